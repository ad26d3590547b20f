"""A decoding adapter that misbehaves on purpose, for ``python -m conformance client --adapter``.

    python tests/support/clients/hostile_adapter.py ATTACK

Answers as the codec's reference adapter does (``conformance.adapters.codec_adapter``), except:

``deep-json``
    answers the first message with JSON nested 100,000 deep;
``long-line``
    answers the first message with 300 MB and no newline, then a newline, then behaves;
``big-errors``
    answers the first 61 messages with an ``error`` of 20 MB;
``stray``
    prints a warning line on stdout before every third answer (as a PHP runtime does);
``late``
    sleeps past the kit's timeout on message 2, then answers it, late, before answering 3;
``crash``
    writes a 60-line traceback on stderr (in colour: terminal escapes) and exits on message 3.
"""

from __future__ import annotations

import json
import sys
import time

from conformance.adapters.codec_adapter import answer


def main() -> int:
    attack = sys.argv[1]
    out = sys.stdout.buffer
    for line in sys.stdin:
        message = json.loads(line)
        number = message["id"]
        reply = json.dumps(answer(message)).encode() + b"\n"
        if attack == "deep-json" and number == 1:
            reply = b"[" * 100_000 + b"]" * 100_000 + b"\n"
        elif attack == "long-line" and number == 1:
            chunk = b"x" * (1024 * 1024)
            for _ in range(300):
                out.write(chunk)
            reply = b"\n" + reply
        elif attack == "big-errors" and number <= 61:
            reply = json.dumps({"id": number, "error": "e" * (20 * 1024 * 1024)}).encode() + b"\n"
        elif attack == "stray" and number % 3 == 0:
            out.write(b"PHP Deprecated:  Creation of dynamic property is deprecated in /app/Decoder.php on line 12\n")
        elif attack == "late" and number == 2:
            time.sleep(float(sys.argv[2]))
        elif attack == "crash" and number == 3:
            sys.stderr.write(
                "\x1b[31mPHP Fatal error:\x1b[0m  Uncaught RuntimeException: cannot parse in /app/Decoder.php:40\n"
            )
            sys.stderr.write("Stack trace:\n")
            for frame in range(57):
                colour = "\x1b[31m" if frame == 50 else ""
                sys.stderr.write(f"{colour}#{frame} /app/Frame{frame}.php(10): step{frame}()\n")
            sys.stderr.write("  thrown in /app/Decoder.php on line 40\n")
            return 255
        out.write(reply)
        out.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
