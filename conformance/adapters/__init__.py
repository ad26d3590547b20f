"""Decoding adapters: how a client's *decoder* is checked (``python -m conformance client --adapter``).

An adapter is a small program, in any language, that wraps a client's response decoder and
speaks JSON lines over stdin/stdout (the protocol is in ``conformance/ADAPTER.md``).  The kit's
side -- every response variant the tables allow and the malformed bodies
(:mod:`conformance.client.variants`), talking to the adapter and comparing its answers
(:mod:`conformance.client.adapter`) -- is client mode's; the reference adapter, the
codec's own decoder behind the protocol, is :mod:`conformance.adapters.codec_adapter`.

This package imports nothing, so ``python -m conformance.adapters.codec_adapter`` starts fast.
"""
