"""`python -m gigacheck logs ...` (the log viewer), `python -m gigacheck codes` (the codes table),
`python -m gigacheck history` (the remembered runs) and
`gigacheck check ...` (the installed checks: `pytest --pyargs gigacheck.checks ...`)."""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path
from typing import List, Optional

START, END = "<!-- codes:start -->", "<!-- codes:end -->"
# docs/codes.md, the full reference: one table per language, each between its own markers
DOC_TABLES = {"en": "codes-en", "ru": "codes-ru"}
CODES_DOC = Path("docs") / "codes.md"  # beside README.md


def _between(name: str) -> "re.Pattern":
    return re.compile(re.escape(f"<!-- {name}:start -->") + r"\n.*?" + re.escape(f"<!-- {name}:end -->"), re.S)


def refresh(path: Path, tables: dict) -> bool:
    """Put each table between its markers in `path`; False (and a message) when a pair is missing."""
    text = path.read_text(encoding="utf-8")
    for name, table in tables.items():
        pattern = _between(name)
        if not pattern.search(text):
            print(f"gigacheck codes: error: {path} has no <!-- {name}:start --> ... <!-- {name}:end --> markers",
                  file=sys.stderr)
            return False
        text = pattern.sub(lambda m: f"<!-- {name}:start -->\n{table}\n<!-- {name}:end -->", text, count=1)
    path.write_text(text, encoding="utf-8")
    return True


def codes(args) -> int:
    from .diagnosis import compact_table, markdown_table
    full = {name: markdown_table(lang) for lang, name in DOC_TABLES.items()}
    if args.docs:
        return 0 if refresh(Path(args.docs), full) else 2
    if not args.readme:
        print(compact_table(args.lang or "en") if args.compact else markdown_table(args.lang or "en"))
        return 0
    # README holds the compact table; the reference beside it (docs/codes.md) the full ones, so one
    # command (the one land.sh and contributors run) keeps both current
    readme = Path(args.readme)
    if not refresh(readme, {"codes": compact_table("en")}):
        return 2
    doc = readme.parent / CODES_DOC
    if doc.exists() and not refresh(doc, full):
        return 2
    return 0


def history(args) -> int:
    """The remembered runs, newest first: one line each, or SPEC's JSON list."""
    import json
    from . import history as hist
    from .between import shown_time
    from .report import verdict_word
    from .words import default_lang, say
    lang = args.lang or default_lang()
    path = Path(args.history)
    try:
        entries = hist.runs(path, limit=args.limit or None)
    except hist.HistoryError as exc:
        print(f"gigacheck history: {say('history.unreadable', lang, path=path, why=exc)}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps([e.as_json() for e in entries], ensure_ascii=False, indent=2))
        return 0
    if not entries:
        print(say("history.none", lang, path=path), file=sys.stderr)
        return 0
    for e in entries:
        mode = e.mode + (f" ({e.scenario})" if e.scenario else "")
        verdict = verdict_word(e.verdict, lang)
        print(f"{shown_time(e.started_at)}  {mode}  {verdict}  {' '.join(e.codes) or '-'}")
    return 0


def check(args) -> int:
    """The installed checks from the site's own folder, with pytest's options passed through.  A fresh
    interpreter: in this one gigacheck is already imported, too early for pytest's assertion rewriting."""
    import subprocess
    return subprocess.call([sys.executable, "-m", "pytest", "--pyargs", "gigacheck.checks", *args.pytest_args])


def main(argv: Optional[List[str]] = None) -> int:
    from .logs import viewer as logview
    from .words import default_lang, say

    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["check"]:  # every option after it is pytest's, argparse must not judge them
        return check(argparse.Namespace(pytest_args=argv[1:]))

    lang = default_lang()  # the help is built before any --lang is parsed: the locale's language
    parser = argparse.ArgumentParser(prog="python -m gigacheck", description=say("main.description", lang))
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    logview.add_parser(sub)
    p = sub.add_parser("check", help=say("check.help", lang), add_help=False)
    p.add_argument("pytest_args", nargs=argparse.REMAINDER)
    p.set_defaults(func=check)
    from .history import DEFAULT_PATH
    p = sub.add_parser("history", help=say("history.help", lang))
    p.add_argument("--history", metavar="PATH", default=DEFAULT_PATH, help=say("history.help.path", lang))
    p.add_argument("--json", action="store_true", help=say("history.help.json", lang))
    p.add_argument("--limit", metavar="N", type=int, default=20, help=say("history.help.limit", lang))
    p.add_argument("--lang", choices=("en", "ru"), default=None, help=say("codes.help.lang", lang))
    p.set_defaults(func=history)
    p = sub.add_parser("codes", help=say("codes.help", lang))
    p.add_argument("--readme", metavar="PATH", help=say("codes.help.readme", lang, start=START, end=END))
    p.add_argument("--docs", metavar="PATH", help=say("codes.help.docs", lang))
    p.add_argument("--compact", action="store_true", help=say("codes.help.compact", lang))
    p.add_argument("--lang", choices=("en", "ru"), default=None, help=say("codes.help.lang", lang))
    p.set_defaults(func=codes)
    args = parser.parse_args(argv)
    return args.func(args)


def entry(argv: Optional[List[str]] = None) -> int:
    """`main` for a shell: a reader that stops early (`| head -1`) ends the output quietly."""
    for stream in (sys.stdout, sys.stderr):  # Cyrillic rows on a terminal that is not UTF-8
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    try:
        status = main(argv)
        sys.stdout.flush()  # here, so a closed pipe is caught here and not at interpreter exit
        return status
    except BrokenPipeError:
        # Nobody reads the rest, which is the reader's choice, not an error. Point stdout at
        # devnull so the interpreter's own last flush does not complain either.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(entry())
