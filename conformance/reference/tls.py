"""A local test certificate authority for the reference server's HTTPS, made with trustme.

The CA is made once per data folder and kept there (``ca.pem``, ``ca-key.pem``, the key readable
by its owner only), so clients can trust ``ca.pem`` across restarts; each start issues a fresh
server certificate for 127.0.0.1, localhost and ::1, written (key and chain) to a private
temporary file only while the server loads it.  Creating
the CA is guarded by a lock file, so two servers starting on one folder agree on one CA.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Final

import attrs
import trustme

__all__ = ["CA_FILE", "CA_KEY_FILE", "LOOPBACK_NAMES", "TlsFiles", "load_or_create_ca", "server_tls"]

CA_FILE: Final = "ca.pem"
CA_KEY_FILE: Final = "ca-key.pem"
LOOPBACK_NAMES: Final = ("127.0.0.1", "localhost", "::1")
_ORGANIZATION = "comodo-conformance reference server (test CA)"


@attrs.frozen
class TlsFiles:
    """What a TLS server and its clients need: the CA certificate clients verify with, and the
    server's certificate chain with its private key (one PEM file)."""

    ca_file: Path
    cert_file: Path
    key_file: Path


def _write_private(path: Path, data: bytes) -> None:
    """Write *data* to *path* atomically, readable by its owner only."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: no cross-process guard
        yield
        return
    with open(folder / ".ca.lock", "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def load_or_create_ca(data_dir: str | Path) -> trustme.CA:
    """The CA kept in *data_dir* (created, with the folder, on first use)."""
    folder = Path(data_dir).expanduser()
    folder.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = folder / CA_FILE, folder / CA_KEY_FILE
    with _locked(folder):
        if cert_path.is_file() and key_path.is_file():
            return trustme.CA.from_pem(cert_path.read_bytes(), key_path.read_bytes())
        ca = trustme.CA(organization_name=_ORGANIZATION)
        _write_private(key_path, ca.private_key_pem.bytes())
        _write_private(cert_path, ca.cert_pem.bytes())
        cert_path.chmod(0o644)
        return ca


@contextmanager
def server_tls(data_dir: str | Path, names: Sequence[str] = LOOPBACK_NAMES) -> Iterator[TlsFiles]:
    """Issue a server certificate for *names* from the folder's CA; yield the files a TLS server
    and its clients need.  The server's key and chain exist on disk only inside the block (load
    them there); ``ca_file`` stays."""
    folder = Path(data_dir).expanduser()
    ca = load_or_create_ca(folder)
    leaf = ca.issue_cert(*names, organization_name=_ORGANIZATION)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".server-", suffix=".pem")
    path = Path(tmp)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(leaf.private_key_and_cert_chain_pem.bytes())
        yield TlsFiles(ca_file=folder / CA_FILE, cert_file=path, key_file=path)
    finally:
        path.unlink(missing_ok=True)
