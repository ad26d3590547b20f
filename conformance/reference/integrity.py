"""What the store checks of a database file before and after it opens it, and how the file is kept private.

**A write-ahead log that does not belong.**  In WAL mode SQLite appends committed pages to
``FILE-wal`` and copies them into ``FILE`` at checkpoints; a log left by a crash is applied when
the database is next opened.  Nothing in a WAL names its database: its salts only tie each frame
to the log's own header (frames with other salts are stale and ignored), and a log whose header
and frame checksums hold is applied to whatever file sits beside it.  A ``-wal`` copied from
another database, or left behind when a database file is restored from a backup, is therefore
applied without a word -- measured: a log from a freshly made database replaced every account and
order, ``PRAGMA quick_check`` said ``ok``, and closing made it permanent.

So the store stamps every write: each transaction it commits also sets ``PRAGMA user_version`` to
the next value of a commit counter (:func:`next_commit`), and the database's
``PRAGMA application_id`` is a random number chosen when it is created (its *store id*).  Both
live in the database header on page 1, so every transaction in a log carries a copy of page 1 with
the store id and its commit number.  Before opening a file, :func:`check_wal` reads the log
itself (the documented WAL format: header, salts, cumulative checksums, commit frames -- the same
frames SQLite would apply, and no others) and the file's header, and refuses the log unless

* every stamp in it carries the file's store id (or the file is a fresh or schema-1 database, which
  has none yet, and the log starts with that database's first stamp), and
* the file's own commit number is where the log starts or one of the commits in it -- a log
  continues exactly the file it was written against (a checkpoint may have copied part of it in
  already); a restored older or newer file does not match.

A log with committed transactions but no stamp at all was written by another program or by an
older version of this one, and is refused too (``sqlite3 FILE 'PRAGMA wal_checkpoint(TRUNCATE)'``
applies it, if it is this database's).  A log that changes while it is read belongs to a live
writer (another process has the database open and stamps its writes) and is left to it.

**Damage.**  :func:`quick_check` runs ``PRAGMA quick_check`` once the file is open and raises
:class:`DamagedDatabase` with what SQLite said; a file SQLite cannot read at all is reported the
same way.

**Privacy.**  :func:`private_file` creates the database 0600 (SQLite gives its ``-wal`` and
``-shm`` the database file's mode) and takes group and other access away from an existing one.
"""

from __future__ import annotations

import array
import logging
import os
import sqlite3
import stat
import struct
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Final

import attrs

from .records import StoreError

__all__ = [
    "FIRST_COMMIT",
    "DamagedDatabase",
    "ForeignWal",
    "check_wal",
    "next_commit",
    "private_file",
    "quick_check",
]

logger = logging.getLogger("conformance.store")

FIRST_COMMIT: Final = 2
"""The commit number of a database's first stamped transaction: 0 is a fresh file's
``user_version`` and 1 was schema 1's (which kept its schema version there)."""
_LAST_COMMIT: Final = 2**31 - 1  # user_version is a signed 32-bit integer; the counter wraps to FIRST_COMMIT

_DB_MAGIC: Final = b"SQLite format 3\x00"
_WAL_MAGIC: Final = {0x377F0682: "<", 0x377F0683: ">"}  # checksum words little- or big-endian
_WAL_VERSION: Final = 3007000
_WAL_HEADER: Final = 32
_FRAME_HEADER: Final = 24
_USER_VERSION: Final = slice(60, 64)  # in the database header, the first 100 bytes of page 1
_APPLICATION_ID: Final = slice(68, 72)
_QUICK_CHECK_SHOWN: Final = 3  # problems quick_check lists in the one line
_WORD: Final = array.array("I")


class DamagedDatabase(StoreError):
    """The database file is damaged or not a database (the message names it and quotes SQLite)."""


class ForeignWal(StoreError):
    """A ``-wal`` file beside the database does not belong to it (see the module docstring)."""


def next_commit(current: int) -> int:
    """The commit number after *current* (a database's first is :data:`FIRST_COMMIT`)."""
    return current + 1 if FIRST_COMMIT <= current < _LAST_COMMIT else FIRST_COMMIT


def _previous_commit(number: int) -> int:
    return number - 1 if number > FIRST_COMMIT else _LAST_COMMIT


@attrs.frozen
class _Stamp:
    store_id: int
    commit: int


def _header_stamp(page1: bytes) -> _Stamp:
    (store_id,) = struct.unpack(">i", page1[_APPLICATION_ID])
    (commit,) = struct.unpack(">i", page1[_USER_VERSION])
    return _Stamp(store_id, commit)


def _database_header(path: Path) -> bytes | None:
    """The database's first 100 bytes; None for a missing or empty file; b"" for one that is not
    an SQLite database (opening it reports that)."""
    try:
        with path.open("rb") as f:
            header = f.read(100)
    except FileNotFoundError:
        return None
    if not header:
        return None
    return header if len(header) == 100 and header.startswith(_DB_MAGIC) else b""


def _checksum(data: bytes, order: str, s0: int, s1: int) -> tuple[int, int]:
    """SQLite's WAL checksum of *data* (a multiple of 8 bytes), continuing from (s0, s1): 32-bit
    words in the log's byte order, summed in pairs, each sum feeding the next (about 150 us a
    4 KiB page here; the chain cannot be vectorised)."""
    if _WORD.itemsize != 4:  # pragma: no cover - no such platform in use
        words: Iterator[int] = (w for pair in struct.iter_unpack(order + "II", data) for w in pair)
    else:
        array_ = array.array("I", data)
        if (order == ">") == (sys.byteorder == "little"):
            array_.byteswap()
        words = iter(array_)
    for x0 in words:
        x1 = next(words)
        s0 = (s0 + x0 + s1) & 0xFFFFFFFF
        s1 = (s1 + x1 + s0) & 0xFFFFFFFF
    return s0, s1


@attrs.frozen
class _Wal:
    """What SQLite would apply from a log: its committed frames' count and the page-1 stamps in them."""

    page_size: int
    committed_frames: int
    stamps: tuple[_Stamp, ...]


def _read_wal(f: BinaryIO) -> _Wal | None:
    """The log's committed frames as SQLite's recovery reads them: a valid header, then frames
    whose salts match it and whose cumulative checksums hold, up to the last commit frame.
    None when the header is not valid (SQLite then ignores the whole log).  Reads one frame at a
    time, so a large log costs time, not memory."""
    data = f.read(_WAL_HEADER)
    if len(data) < _WAL_HEADER:
        return None
    magic, version, page_size, _, salt1, salt2, c0, c1 = struct.unpack(">8I", data)
    order = _WAL_MAGIC.get(magic)
    if order is None or version != _WAL_VERSION or page_size < 512 or page_size & (page_size - 1):
        return None
    s0, s1 = _checksum(data[:24], order, 0, 0)
    if (s0, s1) != (c0, c1):
        return None
    committed, count = 0, 0
    stamps: list[_Stamp] = []
    pending: list[_Stamp] = []
    frame = _FRAME_HEADER + page_size
    while len(data := f.read(frame)) == frame:
        page, commit_size, f_salt1, f_salt2, f0, f1 = struct.unpack(">6I", data[:_FRAME_HEADER])
        if (f_salt1, f_salt2) != (salt1, salt2) or page == 0:
            break
        body = data[_FRAME_HEADER:]
        s0, s1 = _checksum(data[:8], order, s0, s1)
        s0, s1 = _checksum(body, order, s0, s1)
        if (s0, s1) != (f0, f1):
            break
        count += 1
        if page == 1 and (stamp := _header_stamp(body)).store_id != 0:  # id 0: a database never stamped
            pending.append(stamp)
        if commit_size:  # a commit frame: everything up to here is applied
            committed = count
            stamps.extend(pending)
            pending = []
    return _Wal(page_size, committed, tuple(stamps))


def _wal_state(wal: Path) -> tuple[bytes, int] | None:
    """The log's header and size (None: no log)."""
    try:
        with wal.open("rb") as f:
            return f.read(_WAL_HEADER), os.fstat(f.fileno()).st_size
    except FileNotFoundError:
        return None


def check_wal(db: Path) -> None:
    """Raise :class:`ForeignWal` (one line) if ``DB-wal`` holds committed changes that do not belong
    to *db* (see the module docstring).  No log, an empty one, or one SQLite would ignore, passes;
    so does a log that changes while it is read (a live writer's: not this open's to judge)."""
    wal = Path(f"{db}-wal")
    header = _database_header(db)
    if header == b"":
        return  # not a database at all: opening it says so
    state = _wal_state(wal)
    if state is None or state[1] <= _WAL_HEADER:
        return
    try:
        with wal.open("rb") as f:
            contents = _read_wal(f)
    except FileNotFoundError:  # checkpointed and removed meanwhile
        return
    if contents is None or contents.committed_frames == 0:
        return
    reason = _mismatch(header, contents)
    if reason is None or _database_header(db) != header or _wal_state(wal) != state:
        return
    raise ForeignWal(
        f"{wal}: does not belong to {db}: {reason}; SQLite would apply it without a word (a WAL names no "
        f"database). Remove it if it is not this database's (its changes are lost), or put back the "
        f"database file it belongs to"
    )


def _mismatch(header: bytes | None, wal: _Wal) -> str | None:
    """Why *wal* cannot continue the database whose header is *header* (None: it can)."""
    if not wal.stamps:
        return (
            f"its {wal.committed_frames} committed pages carry no stamp of this store (written by another "
            "program or an older version; if it is this database's, `sqlite3 FILE 'PRAGMA "
            "wal_checkpoint(TRUNCATE)'` applies it)"
        )
    ids = {s.store_id for s in wal.stamps}
    if len(ids) > 1:
        return f"it holds the stamps of {len(ids)} databases"
    first = wal.stamps[0]
    mine = _header_stamp(header) if header is not None else _Stamp(0, 0)
    if header is not None:
        (page_size,) = struct.unpack(">H", header[16:18])
        page_size = 65536 if page_size == 1 else page_size
        if page_size != wal.page_size:
            return f"its pages are {wal.page_size} bytes, the database's {page_size}"
    if mine.store_id == 0:  # a fresh or schema-1 database: the log must start it
        if mine.commit in (0, 1) and first.commit == FIRST_COMMIT:
            return None
        return f"it continues store {first.store_id} at commit {first.commit}; this database has no stamp yet"
    if first.store_id != mine.store_id:
        return f"it is store {first.store_id}'s; this database is store {mine.store_id}"
    if mine.commit == _previous_commit(first.commit) or mine.commit in {s.commit for s in wal.stamps}:
        return None
    last = wal.stamps[-1].commit
    return (
        f"it holds commits {first.commit} to {last} but the database file is at commit {mine.commit} "
        "(a database file restored or copied without its log?)"
    )


def quick_check(conn: sqlite3.Connection, path: str | Path) -> None:
    """Raise :class:`DamagedDatabase` naming *path* unless ``PRAGMA quick_check`` says ``ok``."""
    try:
        rows = [str(r[0]) for r in conn.execute("PRAGMA quick_check").fetchall()]
    except sqlite3.DatabaseError as exc:
        raise DamagedDatabase(f"{path}: damaged database: {exc}") from None
    if rows != ["ok"]:
        shown = "; ".join(" ".join(r.split()) for r in rows[:_QUICK_CHECK_SHOWN])
        more = f" (and {len(rows) - _QUICK_CHECK_SHOWN} more)" if len(rows) > _QUICK_CHECK_SHOWN else ""
        raise DamagedDatabase(f"{path}: damaged database: PRAGMA quick_check: {shown}{more}")


def _companions(path: Path) -> Iterator[Path]:
    yield path
    for suffix in ("-wal", "-shm"):
        yield Path(f"{path}{suffix}")


def private_file(path: Path) -> None:
    """Create *path* empty with mode 0600 if it does not exist (SQLite gives the ``-wal`` and
    ``-shm`` files it makes the database's mode); otherwise take group and other access away from
    it and its ``-wal`` and ``-shm`` (they hold password hashes), saying so in the log."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        return
    except FileExistsError:
        pass
    for file in _companions(path):
        try:
            mode = stat.S_IMODE(file.stat().st_mode)
            if mode & 0o077 and stat.S_ISREG(file.stat().st_mode):
                file.chmod(mode & 0o700)
                logger.warning("%s: was readable by others (mode %04o); now %04o", file, mode, mode & 0o700)
        except FileNotFoundError:
            continue
        except PermissionError:  # not ours to change: SQLite's own checks decide
            continue
