"""The reference server: a stateful simulator of the vendor, the kit's own implementation.

* :mod:`~conformance.reference.app` -- the ASGI application (routes, body limits, -14 on failure);
* :mod:`~conformance.reference.vendor` -- what the vendor does with a decoded request;
* :mod:`~conformance.reference.store` -- accounts, SASP sessions, orders and click-throughs in SQLite;
* :mod:`~conformance.reference.serve` -- running it under uvicorn (``python -m conformance serve``);
* :mod:`~conformance.reference.tls` -- the throw-away test CA and certificates;
* :mod:`~conformance.reference.accounts` -- ``python -m conformance accounts``;
* ``prices.toml`` -- the simulator's own price list (not the vendor's).

Nothing here imports the checks or the client side of the kit.
"""
