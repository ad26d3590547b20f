"""Conformance test kit for the Comodo reseller APIs: checks, runners, reference server, reports.

The packages show the architecture:

* :mod:`conformance.checks` -- the check catalog (one module per family group) and the one
  Hypothesis runner; :mod:`conformance.context` sends a check's requests to a server, and
  :mod:`conformance.runner` runs checks (for :mod:`conformance.cli` and
  :mod:`conformance.pytest_plugin` alike);
* :mod:`conformance.client` -- checking a client program: the checking vendor, recording and
  judging its requests, running it, and the decoding adapter protocol;
* :mod:`conformance.reference` -- the reference server, a stateful simulator of the vendor;
* :mod:`conformance.endpoints` -- every piece of per-endpoint behaviour the kit needs;
* :mod:`conformance.judge` judges one exchange; :mod:`conformance.results` is the one result
  model every mode produces, :mod:`conformance.report` says what every report says and
  :mod:`conformance.sinks` writes them where they go;
* :mod:`conformance.scrub` is the one secret scrubber every sink applies last (reading text
  through :mod:`conformance.decoded_views`), and :mod:`conformance.peertext` makes a peer's
  strings safe to show (escaped controls, XML-safe, cut);
* :mod:`conformance.http` is the kit's own HTTP/1.1 client, bounded in time and memory, and
  :mod:`conformance.pacing` paces a run (rate limit, request budget).

Layers, lowest first.  A module imports from its own layer and the layers below it, never from
one above, and the imports form no cycle (``tests/conformance/test_conformance_layout.py`` reads this list
and checks both):

1. foundations, on the codec alone: ``__init__``, ``results``, ``formats``, ``asgi``,
   ``interpreter``, ``freetext``, ``kind_values``, ``response_strategies``, ``strategies``, ``arguments``, ``adapters``,
   ``versions``, ``reference.records``, ``reference.tls``, ``decoded_views``, ``scrub``,
   ``peertext``, ``http``, ``pacing``, ``target``
2. judging, reporting and the reference server's state: ``judge``, ``report``, ``sinks``,
   ``reference.store``, ``reference.integrity``, ``reference.answers``
3. per-endpoint behaviour: ``endpoints``
4. the kit's three sides: the reference server ``reference``, the server checks ``context`` and
   ``checks``, client mode ``client``
5. running: ``runner``, ``client.cli``
6. entry points: ``cli``, ``server_command``, ``pytest_plugin``, ``__main__``

Within layer 4 the server checks and client mode never import each other, and the reference
server imports neither (client mode starts the reference server as its checking vendor).
"""

DEFAULT_EXAMPLES = 100
"""Hypothesis examples per property check when the user does not say (a full default run of both
endpoints against the reference server takes a few seconds on 2 cores).  Kept here, in a module
that imports nothing, so the pytest plugin can show it without loading the kit."""

DEFAULT_WORKERS = 4
"""The most checks run at once by default (``--workers``): enough to hide a real server's round
trips, few enough to stay polite (a run uses fewer against a server that answers faster than
the kit prepares requests: :class:`conformance.pacing.Concurrency`).  Kept here for the same reason as :data:`DEFAULT_EXAMPLES`: the
command line shows it without importing the runner."""
