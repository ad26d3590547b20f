"""The reference server: a stateful simulator of the vendor, the kit's own implementation.

* :mod:`~conformance.reference.app` -- the ASGI application (routes, body limits, -14 on failure);
* :mod:`~conformance.reference.vendor` -- what the vendor does with a decoded request;
* :mod:`~conformance.reference.answers` -- the answers every endpoint gives alike, and the prices;
* :mod:`~conformance.reference.store` -- accounts, SASP sessions (hashed), orders and click-throughs in
  SQLite (:mod:`~conformance.reference.records`: the schema and its rows);
* :mod:`~conformance.reference.integrity` -- a database file checked before use (damage, a
  write-ahead log that does not belong) and kept private;
* :mod:`~conformance.reference.serve` -- running it under uvicorn;
* :mod:`~conformance.reference.transport` -- uvicorn and asyncio hardened against hostile connections;
* :mod:`~conformance.reference.tls` -- the throw-away test CA and certificates;
* :mod:`~conformance.reference.commands` -- ``python -m conformance serve`` and ``accounts``;
* ``prices.toml`` -- the simulator's own price list (not the vendor's).

What each endpoint does with a valid request is per-endpoint behaviour: :mod:`conformance.endpoints`.
Nothing here imports the checks or the client side of the kit.
"""
