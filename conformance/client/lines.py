"""Reading a program's output a line at a time, bounded in memory whatever it writes.

:func:`pump_lines` hands each line of a stream to a callback, as it arrives, keeping at most
*max_line* bytes of any line: a longer one is handed over as a :class:`LongLine` (its first bytes
and how long it had got) as soon as it passes the limit, and the rest of it is read and dropped
up to its newline.  A 300 MB line without a newline costs *max_line* bytes of memory, not 300 MB.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import IO, Final

import attrs

__all__ = ["EOF", "LongLine", "pump_lines"]

EOF: Final = object()
"""Handed over last: the stream ended (the program exited or closed it)."""

_CHUNK: Final = 64 * 1024
_SHOWN: Final = 200


@attrs.frozen
class LongLine:
    """A line longer than the limit: its first bytes and how many bytes it had when it passed the
    limit (the rest is dropped)."""

    head: bytes
    size: int

    def describe(self, limit: int) -> str:
        shown = self.head[:_SHOWN].decode("utf-8", "replace")
        return f"a line of more than {limit} bytes, not read (it begins {shown!r})"


def pump_lines(stream: IO[bytes] | None, put: Callable[[object], None], *, max_line: int) -> None:
    """Hand each line of *stream* (newline included) to *put* -- or a :class:`LongLine` for one
    longer than *max_line* bytes -- then :data:`EOF`.  A last line without a newline is handed
    over at the end of the stream.  Returns when the stream ends."""
    if stream is None:
        put(EOF)
        return
    read = getattr(stream, "read1", stream.read)
    line = bytearray()
    dropping = False  # inside a line already handed over as a LongLine
    while True:
        try:
            data = read(_CHUNK)
        except (OSError, ValueError):  # closed under us
            data = b""
        if not data:
            break
        start = 0
        while start < len(data):
            end = data.find(b"\n", start)
            stop = len(data) if end < 0 else end + 1
            if not dropping:
                room = max_line - len(line)
                line += data[start : start + room] if stop - start > room else data[start:stop]
                if stop - start > room:
                    put(LongLine(bytes(line[:_SHOWN]), len(line) + (stop - start - room)))
                    line.clear()
                    dropping = True
            if end >= 0:
                if not dropping:
                    put(bytes(line))
                line.clear()
                dropping = False
            start = stop
    if line and not dropping:
        put(bytes(line))
    put(EOF)
