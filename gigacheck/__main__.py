"""`python -m gigacheck logs ...` (the log viewer) and `python -m gigacheck codes` (the codes table)."""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path
from typing import List, Optional

START, END = "<!-- codes:start -->", "<!-- codes:end -->"


def codes(args) -> int:
    from .diagnosis import markdown_table
    table = markdown_table()
    if not args.readme:
        print(table)
        return 0
    path = Path(args.readme)
    text = path.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(START) + r"\n.*?" + re.escape(END), re.S)
    if not pattern.search(text):
        print(f"gigacheck codes: error: {path} has no {START} ... {END} markers", file=sys.stderr)
        return 2
    path.write_text(pattern.sub(lambda m: f"{START}\n{table}\n{END}", text, count=1), encoding="utf-8")
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    from .logs import viewer as logview

    parser = argparse.ArgumentParser(prog="python -m gigacheck",
                                     description="gigacheck: GigaChat integration checks (run the checks with "
                                                 "`pytest checks/`)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    logview.add_parser(sub)
    p = sub.add_parser("codes", help="print the table of diagnosis codes (Markdown)")
    p.add_argument("--readme", metavar="PATH", help=f"rewrite the table between {START} and {END} in PATH instead")
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
