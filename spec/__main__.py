"""``python -m spec``: regenerate, check and diff the spec tables.

Exit codes: 0 success (``check``: tables up to date; ``diff``: no changes), 1 ``check`` found drift
or ``diff`` found changes, 2 a document or table could not be read, ``diff`` was given two
different endpoints, or ``regenerate``/``check`` do not run in a clone of the repository (one line
on stderr, no traceback, nothing written).
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from pathlib import Path
from typing import Any

from .checkout import NotACheckout, require_checkout
from .diff import EndpointMismatch, diff_tables, format_changes, format_markdown
from .document import DocumentError
from .openapi import load_tables, render_openapi
from .render import ROOT, SOURCES, render_all, render_table, stale_tables, table_from_document, write_files

TABLES_DIR = ROOT / "spec" / "tables"

EPILOG = """\
examples:
  python -m spec regenerate                 rebuild spec/tables/*.json (a table per document in spec/sources/),
                                            the codec's generated modules and spec/openapi.json
  python -m spec regenerate NEW.txt --out /tmp/t
                                            build one document's table into another folder
  python -m spec check                      exit 1 and show the difference if committed tables drift
  python -m spec openapi --out api.json     an OpenAPI 3.1 description of both endpoints (for Schemathesis,
                                            Dredd, Prism, Postman); regenerate keeps spec/openapi.json
  python -m spec diff spec/tables/AutoApplyIdA.json spec/sources/AutoApplyIdA-1.06.txt
                                            what a new vendor document changes and whom it breaks
                                            (--markdown: a changelog section; --json for machines)

A new vendor document: save it as spec/sources/ENDPOINT-VERSION.txt, run `diff` against the
current table, `regenerate`, review the readings and notes in spec/readings.toml, `check`, run
the tests (spec/README.md has the steps).  regenerate and check write only in a clone of the
repository.
"""


def _load(path: Path) -> dict[str, Any]:
    """A table from a document (.txt) or a table file (.json)."""
    if path.suffix == ".json":
        try:
            table: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise DocumentError(str(path), 0, "a readable table file", exc.strerror or str(exc)) from None
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise DocumentError(str(path), getattr(exc, "lineno", 0), "a JSON table", str(exc)) from None
        if not isinstance(table, dict) or "request" not in table or "codes" not in table:
            raise DocumentError(str(path), 0, "a table written by `python -m spec regenerate`", "other JSON")
        return table
    return table_from_document(path)


def cmd_regenerate(args: argparse.Namespace) -> int:
    if not args.out:  # writes beside the package: only in a clone
        require_checkout(ROOT)
    if args.document:
        out_dir = Path(args.out) if args.out else ROOT / "spec" / "tables"
        table = table_from_document(Path(args.document))
        files = {Path(f"{table['endpoint']['name']}.json"): render_table(table)}
        changed = write_files(files, out_dir)
        root = out_dir
    else:
        if args.out:
            print("spec: --out goes with a DOCUMENT", file=sys.stderr)
            return 2
        files = render_all(Path(args.sources))
        changed = write_files(files, ROOT)
        root = ROOT
        for rel in stale_tables(files, ROOT):  # an older document that left spec/sources
            (ROOT / rel).unlink()
            print(f"removed   {ROOT / rel} (no document in {args.sources} makes it)")
    for rel in sorted(files):
        print(f"{'wrote    ' if rel in changed else 'unchanged'} {root / rel}")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    require_checkout(ROOT)
    files = render_all(Path(args.sources))
    drift = 0
    for rel, data in sorted(files.items()):
        target = ROOT / rel
        current = target.read_bytes() if target.exists() else b""
        if current == data:
            continue
        drift += 1
        diff = difflib.unified_diff(
            current.decode("utf-8", "replace").splitlines(keepends=True),
            data.decode("utf-8").splitlines(keepends=True),
            fromfile=f"{rel} (committed)",
            tofile=f"{rel} (regenerated)",
            n=2,
        )
        sys.stdout.writelines(list(diff)[:200])
    for rel in stale_tables(files, ROOT):
        drift += 1
        print(f"{rel}: no document in {args.sources} makes this table (regenerate removes it)")
    if drift:
        print(f"spec check: {drift} file(s) differ from what `python -m spec regenerate` writes", file=sys.stderr)
        return 1
    print(f"spec check: {len(files)} files up to date")
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    old, new = _load(Path(args.old)), _load(Path(args.new))
    o_name, n_name = old["endpoint"]["name"], new["endpoint"]["name"]
    if o_name != n_name:
        raise EndpointMismatch(
            o_name,
            n_name,
            f"{args.old} is {o_name} {old['document_version']}, {args.new} is {n_name} {new['document_version']}; "
            "diff compares two versions of one endpoint",
        )
    changes = diff_tables(old, new)
    if args.json:
        print(
            json.dumps(
                {
                    "endpoint": new["endpoint"]["name"],
                    "old_version": old["document_version"],
                    "new_version": new["document_version"],
                    "changes": changes,
                },
                indent=2,
                sort_keys=True,
                ensure_ascii=False,
            )
        )
    elif args.markdown:
        sys.stdout.write(format_markdown(old, new, changes))
    else:
        sys.stdout.write(format_changes(old, new, changes))
    return 1 if changes else 0


def cmd_openapi(args: argparse.Namespace) -> int:
    tables, countries = load_tables(Path(args.tables))
    data = render_openapi(tables, countries)
    if args.out is None:
        sys.stdout.write(data.decode("utf-8"))
        return 0
    out = Path(args.out)
    changed = write_files({Path(out.name): data}, out.parent)
    print(f"{'wrote    ' if changed else 'unchanged'} {out}")
    return 0


def _prog(default: str) -> str:
    """The name this command was started as: ``comodo-spec`` (the console script) or *default*."""
    started_as = sys.argv[0].rsplit("/", 1)[-1] if sys.argv and sys.argv[0] else ""
    return started_as if started_as.startswith("comodo-") else default


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=_prog("python -m spec"),
        description="Build, check and compare the spec tables made from the vendor documents.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    p = sub.add_parser(
        "regenerate",
        help="rebuild the tables (and codec/_tables.py, spec/openapi.json) from the documents",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=EPILOG,
    )
    p.add_argument("document", nargs="?", help="one document to build (default: every document in --sources)")
    p.add_argument("--out", help="folder for the one document's table (default: spec/tables)")
    p.add_argument("--sources", default=str(SOURCES), help="folder of documents (default: spec/sources)")
    p.set_defaults(func=cmd_regenerate)
    p = sub.add_parser("check", help="exit 1 and print the difference when committed tables are stale")
    p.add_argument("--sources", default=str(SOURCES), help="folder of documents (default: spec/sources)")
    p.set_defaults(func=cmd_check)
    p = sub.add_parser("diff", help="what changed between two versions (each a document .txt or a table .json)")
    p.add_argument("old")
    p.add_argument("new")
    shape = p.add_mutually_exclusive_group()
    shape.add_argument("--json", action="store_true", help="machine-readable output")
    shape.add_argument(
        "--markdown", action="store_true", help="a changelog section to paste, grouped by whom it breaks"
    )
    p.set_defaults(func=cmd_diff)
    p = sub.add_parser(
        "openapi",
        help="an OpenAPI 3.1 description of the endpoints, made from the tables (stdout or --out FILE)",
        description="Write an OpenAPI 3.1 description of both endpoints, made from the tables (the same as "
        "spec/openapi.json, which regenerate writes and check verifies).",
    )
    p.add_argument("--out", help="write it to FILE (default: standard output)")
    p.add_argument("--tables", default=str(TABLES_DIR), help="folder of tables (default: spec/tables)")
    p.set_defaults(func=cmd_openapi)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except (DocumentError, EndpointMismatch, NotACheckout) as exc:
        print(f"spec: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
