"""Checking a client program: the requests it sends, or how it decodes answers.

``python -m conformance client``; see :mod:`conformance.client.modes`.
"""
