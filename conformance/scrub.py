"""The one secret scrubber: every secret, in every encoding the kit's sinks use, out of any text.

A :class:`Scrubber` is built once for a set of secrets (the run's password and SASP session id,
the values a client sent) and is meant to be applied at the last step before every sink: the
terminal, JUnit, JSON, logs, skip reasons, notes and ``curl`` lines.  ``scrubber.scrub(text)``
returns *text* with each of these replaced by ``<redacted>``:

* every secret as it is, and in each encoding a sink writes it in: percent-encoded both ways
  (``quote`` and ``quote_plus``; upper- or lower-case hex; UTF-8 or Latin-1 bytes; encoded
  twice), JSON-escaped (``\\"``, ``\\\\``, ``\\uXXXX`` and surrogate pairs, with or without
  ``ensure_ascii``; JSON in JSON), XML-escaped (``&quot; &amp; &lt; &gt; &apos;`` and numeric
  references; JSON in XML), Python ``repr`` of a ``str`` or of its UTF-8 ``bytes``, and a
  shell-quoted ``'`` (``'"'"'``);
* the value of any secret variable (``loginPassword=...``, ``"saspSessionID": "..."``, and the
  same in every encoding above) whatever it is, so a secret nobody told the scrubber still goes;
* the password of URL user information (``https://bob:<redacted>@host/``).

How, and why it is linear: the text is read through the views of
:mod:`conformance.decoded_views`, each decoding one layer of one encoding (or a stack of them)
exactly as the sink's own decoder would, so an encoded secret is the secret itself in some
view.  Every view is searched with *one* regular expression over all secrets (a trie of them,
compiled once per :class:`Scrubber`: at each position it tries only the secrets that begin
with that character, found by bisection, so the time does not grow with the number of secrets),
only where the view differs from its parent; what it finds is mapped back to the span of the
original text it came from, widened to whole escapes, and the spans are merged and replaced.
Decoding is the costly part, so it is done only where it can matter: every encoding the sinks
use leaves letters and digits as they are, so the text is first searched (as it is) for each
secret's longest run of three or more of them, and decoded only around those places, after
each secret variable's name and after each ``://``.  A secret without such a run (``"&<>%``)
makes its scrubber decode every text whole: still linear, a few times slower.

Promises: no secret given to a scrubber survives in any of those encodings (tests plant one full
of ``"&<>\\%+'`` and search for every form; a Hypothesis property checks arbitrary secrets); the
time is linear in the text for a fixed set of secrets, and building a scrubber is linear in the
secrets' total length.  A secret longer than :data:`MAX_PATTERN` characters is found by its
first :data:`MAX_PATTERN` characters and the redaction runs over the whole secret where the view
holds it whole.  Scrubbing is not idempotent on ``<redacted>`` if a secret occurs in that word.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterable, Iterator
from typing import Final
from urllib.parse import unquote_to_bytes

import codec

from .decoded_views import View, decoded_views

__all__ = [
    "MAX_PATTERN",
    "REDACTED",
    "REDACTED_XML",
    "SECRET_NAMES",
    "Scrubber",
    "has_userinfo",
    "scrub",
    "scrubber",
    "secret_values",
]

REDACTED: Final = codec.REDACTED
REDACTED_XML: Final = REDACTED.replace("<", "&lt;").replace(">", "&gt;")
"""The marker as XML text, for scrubbing a document already serialised."""
SECRET_NAMES: Final[tuple[str, ...]] = tuple(
    sorted({f.name for n in codec.ENDPOINTS for f in codec.endpoint_spec(n).fields if f.secret})
)
"""The variables whose value is a secret whatever it is (from the tables' ``secret`` column)."""
MAX_PATTERN: Final = 256
"""Characters of one secret that go into the search pattern (see the module's promises)."""
_FAN_OUT: Final = 4  # first characters tried in turn at each step of the bisection
_MAX_TRIE_DEPTH: Final = 120  # nested groups; deeper sets (secrets that are prefixes of prefixes...) go flat


# ---------------------------------------------------------------------- patterns


_Trie = dict[str, "_Trie"]


def _trie_pattern(words: Iterable[str]) -> str | None:
    """One regular expression matching any of *words* (longest first), as a trie: at each
    position only the words that begin with that character are tried, and the first character
    is found by bisection (lookahead classes) rather than by trying each in turn.  None when the
    trie nests deeper than the regular expression compiler allows (a flat alternation is used)."""
    root: _Trie = {}
    for word in words:
        node = root
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def branches(node: _Trie, depth: int) -> list[tuple[str, str]]:
        if depth > _MAX_TRIE_DEPTH:
            raise RecursionError
        out = []
        for ch in sorted(k for k in node if k):
            chain, child = [re.escape(ch)], node[ch]
            while len(child) == 1 and "" not in child:  # a chain: no group needed
                (nxt,) = child
                chain.append(re.escape(nxt))
                child = child[nxt]
            out.append((ch, "".join(chain) + (pattern(child, depth + 1) if any(child) else "")))
        return out

    def pattern(node: _Trie, depth: int) -> str:
        parts = [p for _, p in branches(node, depth)]
        body = parts[0] if len(parts) == 1 and "" not in node else "(?:" + "|".join(parts) + ")"
        return body + "?" if "" in node else body

    def bisect(items: list[tuple[str, str]]) -> str:
        if len(items) <= _FAN_OUT:
            return "(?:" + "|".join(p for _, p in items) + ")"
        size = -(-len(items) // _FAN_OUT)
        groups = [items[i : i + size] for i in range(0, len(items), size)]
        return "(?:" + "|".join(f"(?=[{''.join(re.escape(c) for c, _ in g)}]){bisect(g)}" for g in groups) + ")"

    try:
        return bisect(branches(root, 0)) if root else None
    except RecursionError:
        return None


_NAMES_CACHE: dict[tuple[str, ...], re.Pattern[str]] = {}


def _pairs_pattern(names: tuple[str, ...]) -> re.Pattern[str]:
    """The value of a secret variable (group ``value`` or ``quoted``) as a form, a query, JSON or
    ``repr`` writes it; in any decoded view."""
    if names not in _NAMES_CACHE:
        alt = "|".join(re.escape(n) for n in names) or r"(?!)"
        _NAMES_CACHE[names] = re.compile(
            rf"(?i:\b(?:{alt})=(?P<value>[^&\s'\"<>]+))"
            rf"|(?P<q>[\"'])(?i:{alt})(?P=q)\s*[:,]\s*(?P<q2>[\"'])(?P<quoted>(?:\\.|(?!(?P=q2))[^\\])+)(?P=q2)",
            re.DOTALL,
        )
    return _NAMES_CACHE[names]


# the password of URL user information; starts with a literal, so it is searched for quickly
_USERINFO: Final = re.compile(r"://[^/\s@:?#]*:(?P<userinfo>[^/\s@?#]+)@")
_ANCHOR: Final = re.compile(r"[A-Za-z0-9]{3,}")
_PAIR_REACH: Final = 4096  # characters after a secret variable's name searched in decoded views
_ENCODED_WIDTH: Final = 24  # the most characters one character becomes (UTF-8 percent-encoded twice)


def has_userinfo(url: str) -> bool:
    """True when *url* carries user information (``https://user:password@host/``): the CLI
    refuses such a URL (a password there would be printed and written to the reports)."""
    head = url.split("#", 1)[0].split("?", 1)[0]
    _, sep, rest = head.partition("://")
    return bool(sep) and "@" in rest.split("/", 1)[0]


# ---------------------------------------------------------------------- the scrubber


class Scrubber:
    """Scrubs a fixed set of secrets (and the values of the secret variables *names*, and URL
    passwords) out of any text; see the module docstring for every form it finds.

    Build one per run (building is linear in the secrets' length; 3,000 secrets take some tens
    of milliseconds) and call :meth:`scrub` on each text just before it reaches a sink.  Secrets
    shorter than *min_length* are ignored (a client's one-letter password would otherwise cut
    every such letter out of the reports); empty ones always are.  Thread-safe: it holds no
    mutable state after construction.  Its repr shows how many secrets it holds, never them."""

    def __init__(
        self, secrets: Iterable[str] = (), *, names: Iterable[str] = SECRET_NAMES, min_length: int = 1
    ) -> None:
        self._secrets = frozenset(s for s in secrets if isinstance(s, str) and s and len(s) >= max(min_length, 1))
        self._names = tuple(sorted(set(names)))
        self._pairs = _pairs_pattern(self._names)
        heads = {s[:MAX_PATTERN] for s in self._secrets}
        self._long: dict[str, list[str]] = {}
        for s in sorted(self._secrets, key=len, reverse=True):
            if len(s) > MAX_PATTERN:
                self._long.setdefault(s[:MAX_PATTERN], []).append(s)
        for s in self._secrets:  # UTF-8 read as Latin-1 (mojibake): a body decoded the wrong way
            if not s.isascii():
                heads.add(s.encode("utf-8", "surrogatepass").decode("latin-1")[:MAX_PATTERN])
        pattern = _trie_pattern(heads)
        if pattern is None and heads:
            pattern = "|".join(re.escape(h) for h in sorted(heads, key=len, reverse=True))
        self._search = re.compile(pattern) if pattern else None
        self._reach = max(map(len, self._secrets), default=0)  # the longest match a view can hold
        # every encoding the sinks use keeps letters and digits as they are: a secret can be in
        # the text only where its longest run of them is (one without a run of 3 is looked for
        # everywhere)
        anchors = [max(_ANCHOR.findall(s), key=len, default="") for s in self._secrets]
        self._everywhere = not all(anchors)
        anchor_pattern = None if self._everywhere else _trie_pattern(set(anchors))
        self._anchors = re.compile(anchor_pattern) if anchor_pattern else None
        self._everywhere = self._everywhere or bool(self._secrets and self._anchors is None)
        self._names_lower = [n.lower() for n in self._names]

    def __repr__(self) -> str:
        return f"Scrubber({len(self._secrets)} secrets, names={list(self._names)!r})"

    @property
    def secrets(self) -> frozenset[str]:
        return self._secrets

    def with_secrets(self, more: Iterable[str], *, min_length: int = 1) -> Scrubber:
        """A scrubber for these secrets and *more* (this one unchanged)."""
        extra = {s for s in more if isinstance(s, str) and len(s) >= max(min_length, 1)}
        if extra <= self._secrets:
            return self
        return Scrubber(self._secrets | extra, names=self._names)

    def spans(self, text: str) -> list[tuple[int, int]]:
        """The spans of *text* that hold a secret in some encoding, sorted and merged."""
        found: list[tuple[int, int]] = []
        lowered = text.lower()
        names = [n for n in self._names_lower if n in lowered]  # names are letters: never encoded
        if self._everywhere:
            for view in decoded_views(text):
                found.extend(self._view_spans(view, bool(names)))
        else:
            found.extend(self._view_spans(View(text), bool(names)))
            for lo, hi in self._regions(text, lowered, names):
                for view in itertools.islice(decoded_views(text[lo:hi]), 1, None):  # the decoded ones
                    found.extend((lo + a, lo + b) for a, b in self._view_spans(view, bool(names)))
        found.sort()
        merged: list[tuple[int, int]] = []
        for start, end in found:
            if merged and start <= merged[-1][1]:
                if end > merged[-1][1]:
                    merged[-1] = (merged[-1][0], end)
            else:
                merged.append((start, end))
        return merged

    def _view_spans(self, view: View, names: bool) -> Iterator[tuple[int, int]]:
        """The spans (of the view's root text) that secrets, secret variables' values and URL
        passwords take in one view."""
        if self._search is not None:
            for lo, hi in view.windows(self._reach):
                for m in self._search.finditer(view.text, lo, hi):
                    yield view.source_span(m.start(), self._extend(view.text, m))
        if names:
            for m in self._pairs.finditer(view.text):
                group = m.lastgroup or "value"
                yield view.source_span(m.start(group), m.end(group))
        if "://" in view.text:
            for m in _USERINFO.finditer(view.text):
                yield view.source_span(m.start("userinfo"), m.end("userinfo"))

    def _regions(self, text: str, lowered: str, names: list[str]) -> list[tuple[int, int]]:
        """The stretches of *text* whose decoded views can hold a secret or a secret variable:
        around each secret's anchor, after each variable's name and each ``://``.  A stretch
        starts at the beginning of a run of backslashes, so that its escapes pair as they do in
        the whole text."""
        reach = _ENCODED_WIDTH * self._reach + 16
        wanted = [(m.start() - reach, m.end() + reach) for m in self._anchors.finditer(text)] if self._anchors else []
        for name in names:
            at = lowered.find(name)
            while at >= 0:
                wanted.append((at - 16, at + len(name) + _PAIR_REACH))
                at = lowered.find(name, at + 1)
        at = text.find("://")
        while at >= 0:
            wanted.append((at, at + 1024))
            at = text.find("://", at + 3)
        regions: list[tuple[int, int]] = []
        for lo, hi in sorted(wanted):
            lo, hi = max(lo, 0), min(hi, len(text))
            while lo > 0 and text[lo - 1] == "\\":
                lo -= 1
            if regions and lo <= regions[-1][1]:
                regions[-1] = (regions[-1][0], max(hi, regions[-1][1]))
            else:
                regions.append((lo, hi))
        return regions

    def _extend(self, text: str, m: re.Match[str]) -> int:
        """The end of a match, run over the whole of a long secret that the text holds whole."""
        for secret in self._long.get(m.group(), ()):
            if text.startswith(secret, m.start()):
                return m.start() + len(secret)
        return m.end()

    def scrub(self, text: str, replacement: str = REDACTED) -> str:
        """*text* with every span :meth:`spans` finds replaced by *replacement*: ``<redacted>``,
        or :data:`REDACTED_XML` for a serialised XML document (spans never split an escape, so
        JSON and XML stay well-formed)."""
        spans = self.spans(text)
        if not spans:
            return text
        out, pos = [], 0
        for start, end in spans:
            out.append(text[pos:start])
            out.append(replacement)
            pos = end
        out.append(text[pos:])
        return "".join(out)

    __call__ = scrub


@functools.lru_cache(maxsize=32)
def scrubber(secrets: frozenset[str]) -> Scrubber:
    """The scrubber of *secrets* (one per distinct set, built once and kept)."""
    return Scrubber(secrets)


def scrub(text: str, secrets: Iterable[str] = ()) -> str:
    """*text* scrubbed of *secrets* and of the secret variables' values (a scrubber per distinct
    set of secrets is built once and kept)."""
    return scrubber(frozenset(secrets)).scrub(text)


_FORM_PAIR: Final = re.compile(r"(?:^|&)([^&=]*)=([^&]*)")


def secret_values(body: bytes, *, names: Iterable[str] = SECRET_NAMES, min_length: int = 4) -> list[str]:
    """The values of secret variables (any spelling of the name) in a form body, decoded as a
    form decodes them, at least *min_length* long: what a client sent, to scrub from all text."""
    wanted = {n.lower() for n in names}
    text = body.decode("latin-1")
    out = []
    for m in _FORM_PAIR.finditer(text):
        name = unquote_to_bytes(m.group(1).replace("+", " ")).decode("utf-8", "replace").lower()
        if name in wanted:
            value = unquote_to_bytes(m.group(2).replace("+", " ")).decode("utf-8", "replace")
            if len(value) >= min_length:
                out.append(value)
    return out
