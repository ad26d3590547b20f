"""Run one server for the load benchmark in its own process (so that the load generator and the
server do not share a GIL): ``python bench_serve.py reference|static DATA_DIR [DB]``.

* ``reference`` -- the reference server as ``python -m conformance serve`` runs it (HTTPS with
  the data folder's test CA, the SQLite store in *DB*, the default PBKDF2 cost), with the
  benchmark's account;
* ``static`` -- its floor: the same uvicorn configuration (``ServerGroup``'s: h11, the same TLS
  certificate chain, connection limit, keep-alive, TCP_NODELAY socket) serving an ASGI app that
  reads the body and answers one fixed body: the reference server's answer to the rejected
  request of the benchmark.

* ``kit DATA_DIR DELAY_MS`` -- the reference server as the kit's default run needs it (an account,
  a SASP session, a plain-HTTP port) with every answer held back *DELAY_MS* milliseconds (0: none):
  the server a conformance run is raced against, and the loopback delay server of
  ``test_bench_overhead.py`` (``asyncio.sleep`` before the answer: the server stays concurrent).

Prints one JSON line (``url``, ``ca``; ``plain_url``, ``login_name``, ``password``, ``sasp`` for
``kit``) once listening; stops when its stdin closes.
:func:`serving` runs one from a benchmark and yields that line.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

ACCOUNT = ("reseller-4711", "c0rrect horse&battery=staple!")  # bench_data's requests log in as this
CREDIT = Decimal("1000000000.00")


def static_answer() -> tuple[bytes, bytes]:
    """The reference server's answer to :func:`rejected_request` (content type, body)."""
    from bench_load import REJECTED_ARGUMENT, REJECTED_CODE, REJECTED_FORMAT

    import codec

    answer = codec.encode_response(
        codec.error_response(codec.AUTO_APPLY_IDA, REJECTED_CODE, REJECTED_ARGUMENT), response_format=REJECTED_FORMAT
    )
    return answer.content_type.encode("latin-1"), answer.body


@contextlib.contextmanager
def serving(kind: str, *args: Path | str) -> Iterator[dict[str, str]]:
    """Run ``bench_serve.py KIND ARGS...`` in a process of its own; yield its ``url`` and ``ca``."""
    process = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), kind, *map(str, args)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line:
            raise RuntimeError(f"the {kind} server did not start (exit code {process.wait()})")
        yield json.loads(line)
    finally:
        if process.stdin is not None:
            process.stdin.close()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_for_eof(stop: Any) -> None:
    sys.stdin.read()
    stop()


def serve_reference(data_dir: Path, db: Path) -> None:
    from conformance.reference.serve import running_server
    from conformance.reference.store import Store

    with Store(db) as store:
        store.add_account(*ACCOUNT, credit=CREDIT, replace=True)
        with running_server(store=store, data_dir=data_dir, tls=True) as server:
            print(json.dumps({"url": server.base_url, "ca": server.ca_file}), flush=True)
            sys.stdin.read()


KIT_SASP = "BenchSasp0000001"


def serve_kit(data_dir: Path, delay_ms: int) -> None:
    import asyncio as aio

    from conformance.reference.serve import running_server

    def delayed(app: Any) -> Any:
        async def wrapped(scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] == "http" and delay_ms:
                await aio.sleep(delay_ms / 1000)
            await app(scope, receive, send)

        return wrapped

    with running_server(
        accounts=[ACCOUNT],
        sasp_sessions=[(KIT_SASP, ACCOUNT[0])],
        plain_port=True,
        data_dir=data_dir,
        tls=True,
        app_wrapper=delayed,
    ) as server:
        line = {
            "url": server.base_url,
            "plain_url": server.plain_url,
            "ca": server.ca_file,
            "login_name": ACCOUNT[0],
            "password": ACCOUNT[1],
            "sasp": KIT_SASP,
        }
        print(json.dumps(line), flush=True)
        sys.stdin.read()


def serve_static(data_dir: Path) -> None:
    from conformance.reference.app import DEFAULT_MAX_CONCURRENCY
    from conformance.reference.serve import _OUTER_LIMIT_FACTOR, ServerGroup, _url
    from conformance.reference.tls import server_tls
    from conformance.reference.transport import DEFAULT_HEAD_TIMEOUT, bind

    content_type, body = static_answer()
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        while True:  # read the body, as the reference app does
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            if not message.get("more_body", False):
                break
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    with server_tls(data_dir) as files:  # the reference server's chain, from the same test CA
        limit = DEFAULT_MAX_CONCURRENCY * _OUTER_LIMIT_FACTOR
        server = ServerGroup._server(app, files, limit, "warning", DEFAULT_HEAD_TIMEOUT)
        ca = str(files.ca_file)
    sock = bind("127.0.0.1", 0)

    async def main() -> None:
        task = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started:
            await asyncio.sleep(0.01)
        print(json.dumps({"url": _url("https", "127.0.0.1", sock.getsockname()[1]), "ca": ca}), flush=True)
        await task

    def stop() -> None:
        server.should_exit = True

    threading.Thread(target=_wait_for_eof, args=(stop,), daemon=True).start()
    asyncio.run(main())


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    kind, folder = sys.argv[1], Path(sys.argv[2])
    if kind == "reference":
        serve_reference(folder, Path(sys.argv[3]))
    elif kind == "kit":
        serve_kit(folder, int(sys.argv[3]))
    else:
        serve_static(folder)
