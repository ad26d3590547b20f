"""Tests of codec."""
