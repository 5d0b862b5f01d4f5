"""`python -m gigacheck logs ...` in-process, with its own environment: (exit code, stdout, stderr)."""

from __future__ import annotations

import argparse
import io

from gigacheck.logs import viewer as logview


def view(*argv, env=None, environ=None):
    parser = argparse.ArgumentParser()
    logview.add_parser(parser.add_subparsers())
    out, err = io.StringIO(), io.StringIO()
    given = env if env is not None else environ
    rc = logview.run(parser.parse_args(["logs", *argv]), environ=dict(given or {}), stdout=out, stderr=err)
    return rc, out.getvalue(), err.getvalue()
