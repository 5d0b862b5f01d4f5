"""`python -m gigacheck logs`: the site's `manage.py view_gigachat_logs`, without Django.

Prints the rows that command shows (messages about GigaChat, images, generate_and_save_image)
in the window, newest first, as `YYYY-MM-DD HH:MM:SS [LEVEL] message` in the log zone;
`--summary` prints the count of each LG code instead; `--json` gives both as JSON.
Bad configuration is one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import List, TextIO

from . import sources, store
from ..diagnosis import CATALOG, Finding
from ..redact import Redactor, ScrubbingStream
from .options import options_from
from .signatures import LEVELS, codes_summary

EXIT_OK, EXIT_CONFIG = 0, 2


class ConfigError(Exception):
    """Something the user must fix before there is anything to show."""


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser("logs", help="show the site's GigaChat log rows (like manage.py view_gigachat_logs)",
                              description=__doc__.split("\n\n")[1].replace("\n", " "))
    p.add_argument("--hours", type=float, default=24.0, metavar="H", help="the last H hours (0.5 is 30 minutes; "
                                                                          "default 24)")
    p.add_argument("--level", default=None, metavar="LEVEL",
                   help=f"this level and above: {', '.join(LEVELS)}")
    p.add_argument("--search", default=None, metavar="TEXT", help="only rows containing TEXT (literal, any case)")
    p.add_argument("--limit", type=int, default=50, metavar="N", help="at most N rows, newest first (default 50)")
    p.add_argument("--env-file", default=None, metavar="PATH",
                   help="env file with DATABASE_URL etc. (default ./.env when it exists; the environment wins)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--summary", action="store_true", help="print the count of each LG code in the window")
    p.add_argument("--mock", nargs="?", const="healthy", default=None, metavar="SCENARIO",
                   help="read the embedded log rows of a mock scenario (default healthy) when DATABASE_URL is unset")
    p.set_defaults(func=run)
    return p


def run(args, environ=None, stdout: TextIO = None, stderr: TextIO = None) -> int:
    environ = os.environ if environ is None else environ
    redactor = Redactor()  # learns the secrets once the settings are read
    # the one redactor on both ways out: rows, JSON and errors alike (redact.py)
    stdout = ScrubbingStream(stdout or sys.stdout, redactor.scrub)
    stderr = ScrubbingStream(stderr or sys.stderr, redactor.scrub)
    try:
        opts = options_from(args.hours, args.level, args.search, args.limit)
        settings = _settings(args, environ)
        for secret in settings.secret_values():
            redactor.add(secret)
        if settings.mock:
            stderr.write(f"MOCK: log rows of scenario '{settings.mock_scenario}' from fixtures/, not the site's\n")
        with Sources(settings, opts) as sources:
            if args.summary:
                counting = store.Filter(limit=0)  # counts only: no rows to fetch
                scan = store.Scan.merge([s.scan(sources.window, counting) for s in sources], 0)
                _print_summary(scan, opts.hours, args.json, stdout)
            else:
                newest = store.Newest(opts.limit)
                for source in sources:
                    for row in source.rows(sources.window, opts.filter):
                        newest.add(row)
                _print_rows(newest.rows(), sources.window, args.json, stdout, stderr, opts.hours)
    except (ValueError, ConfigError) as exc:
        stderr.write(f"gigacheck logs: error: {exc}\n")
        return EXIT_CONFIG
    except Finding as f:
        stderr.write(f"gigacheck logs: error: {f.headline}\n")
        return EXIT_CONFIG
    except BrokenPipeError:  # the reader stopped (`| head`): the caller ends quietly
        raise
    except Exception as exc:  # a driver's surprise: still one line, never a traceback with secrets in it
        stderr.write(f"gigacheck logs: error: unexpected {type(exc).__name__}: {exc}\n")
        return 1
    return EXIT_OK


def _settings(args, environ):
    from .. import settings as settings_mod
    from ..scenarios import fixtures_dir, sample_env, scenarios
    env_file = Path(args.env_file).expanduser() if args.env_file else Path(".env")
    fixtures = fixtures_dir()
    sample = None
    if args.mock is not None:
        known = scenarios(fixtures)
        if args.mock not in known:
            raise ConfigError(f"--mock: unknown scenario {args.mock!r}; known: {', '.join(known)}")
        sample = sample_env(fixtures, args.mock)
    try:
        return settings_mod.load(environ, env_file, env_file_explicit=bool(args.env_file), mock_sample=sample,
                                 mock_scenario=args.mock)
    except settings_mod.EnvFileError as exc:
        raise ConfigError(str(exc)) from None


class Sources:
    """The configured log sources, opened (and closed) together."""

    def __init__(self, settings, opts):
        from .questions import LogChecks
        from ..scenarios import fixtures_dir
        self.settings, self.opts = settings, opts
        self._tmp = None
        if settings.mock and settings.database_url is None:  # the embedded database of mock mode
            import tempfile
            self._tmp = tempfile.TemporaryDirectory(prefix="gigacheck-logs-")
        self.checks = LogChecks(settings, opts, settings.mock_scenario, fixtures_dir(),
                                Path(self._tmp.name) if self._tmp else None)
        self.items: List = []

    def __enter__(self):
        try:
            if not (self.checks.db_configured or self.settings.log_file):
                raise Finding("LG001", "DATABASE_URL is not set (nor GIGACHECK_LOG_FILE): there is no log to read",
                              subject=store.DB_SUBJECT)
            self.window = self.checks.window
            if self.checks.db_configured:
                self.items.append(self.checks.table_source())
            if self.settings.log_file:
                self.items.append(self.checks.file_source())
        except BaseException:
            self.__exit__()
            raise
        return self

    def __iter__(self):
        return iter(self.items)

    def __exit__(self, *exc):
        self.checks.close()
        if self._tmp is not None:
            self._tmp.cleanup()


def _print_rows(rows, window, as_json: bool, out: TextIO, err: TextIO, hours: float) -> None:
    if as_json:
        out.write(json.dumps([r.as_json(window.tz) for r in rows], ensure_ascii=False, indent=1) + "\n")
        return
    for row in rows:
        out.write(row.line() + "\n")
    if not rows:
        err.write(f"no matching log rows in the last {hours:g} h\n")


def _print_summary(scan, hours: float, as_json: bool, out: TextIO) -> None:
    counts = codes_summary(scan.counts)
    if as_json:
        out.write(json.dumps({"window_hours": hours, "counts": counts}, ensure_ascii=False) + "\n")
        return
    for code, n in counts.items():
        out.write(f"{code} {n:>6}  {CATALOG[code].finding}\n")
