"""`python -m gigacheck logs`: the site's `manage.py view_gigachat_logs`, without Django.

Prints the rows that command shows (messages about GigaChat, images, generate_and_save_image)
and every row a log check counts, in the window, newest first (streamed: `--limit 0` exports every
row of the window in constant memory; the rows a `--limit` leaves out are counted and said on stderr), as `YYYY-MM-DD HH:MM:SS [LEVEL] message` in the log zone;
`--summary` prints the count of each LG code instead; `--json` gives both as JSON.
Bad configuration is one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import heapq
import json
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import Iterable, Iterator, List, TextIO

from . import hours_arg, limit_arg, sources, store
from ..diagnosis import CATALOG, Finding
from ..redact import Redactor, ScrubbingStream, json_safe
from .options import options_from
from .signatures import LEVELS, codes_summary
from ..words import LANGS, current_lang, default_lang, say, speaking

EXIT_OK, EXIT_CONFIG = 0, 2


class ConfigError(Exception):
    """Something the user must fix before there is anything to show."""


def add_parser(subparsers) -> argparse.ArgumentParser:
    lang = default_lang()  # the help is built before --lang is parsed: the locale's language
    p = subparsers.add_parser("logs", help=say("viewer.help", lang), description=say("viewer.description", lang))
    p.add_argument("--hours", type=hours_arg, default=24.0, metavar="H",
                   help=say("viewer.help.hours", lang))
    p.add_argument("--level", default=None, metavar="LEVEL",
                   help=say("viewer.help.level", lang, levels=", ".join(LEVELS)))
    p.add_argument("--search", default=None, metavar="TEXT", help=say("help.search", lang))
    p.add_argument("--limit", type=limit_arg, default=50, metavar="N", help=say("viewer.help.limit", lang))
    p.add_argument("--env-file", default=None, metavar="PATH", help=say("viewer.help.env_file", lang))
    p.add_argument("--ds", default=None, metavar="SETTINGS", help=say("help.ds", lang))
    p.add_argument("--json", action="store_true", help=say("viewer.help.json", lang))
    p.add_argument("--summary", action="store_true", help=say("viewer.help.summary", lang))
    p.add_argument("--mock", nargs="?", const="healthy", default=None, metavar="SCENARIO",
                   help=say("viewer.help.mock", lang))
    p.add_argument("--lang", default=None, choices=LANGS, help=say("lang.help", lang))
    p.set_defaults(func=run)
    return p


def run(args, environ=None, stdout: TextIO = None, stderr: TextIO = None) -> int:
    environ = os.environ if environ is None else environ
    with speaking(getattr(args, "lang", None) or default_lang(environ)):
        return _run(args, environ, stdout or sys.stdout, stderr or sys.stderr)


def _run(args, environ, stdout: TextIO, stderr: TextIO) -> int:
    redactor = Redactor()  # learns the secrets once the settings are read
    # the one redactor on both ways out: rows, JSON and errors alike (redact.py)
    stdout = ScrubbingStream(stdout, redactor.scrub)
    stderr = ScrubbingStream(stderr, redactor.scrub)
    try:
        opts = options_from(args.hours, args.level, args.search, args.limit)
        settings = _settings(args, environ)
        for secret in settings.secret_values():
            redactor.add(secret)
        if settings.mock:
            stderr.write(say("viewer.mock", scenario=settings.mock_scenario) + "\n")
        with Sources(settings, opts) as sources:
            if args.summary:
                counting = store.Filter(limit=0)  # counts only: no rows to fetch
                scan = store.Scan.merge([s.scan(sources.window, counting) for s in sources], 0)
                zone = sources.checks.zone
                if not args.json:
                    stderr.write(zone.describe() + "\n")
                _print_summary(scan, opts.hours, args.json, stdout, sources.checks.incidents_of(scan), zone.as_json())
                notes = scan.notes
            else:
                rows = newest_first([source.stream(sources.window, opts.filter) for source in sources])
                _print_rows(rows, sources.window, args.json, opts.limit, stdout, stderr, opts.hours)
                # what a pass could not read (the file's scan limit), known once the streams are read
                notes = [n for source in sources for n in getattr(source, "notes", [])]
            for note in notes:  # on stderr: stdout stays the rows (or the JSON) alone
                stderr.write(note + "\n")
    except (ValueError, ConfigError) as exc:
        stderr.write(say("viewer.error", message=exc) + "\n")
        return EXIT_CONFIG
    except Finding as f:
        stderr.write(say("viewer.error", message=f.headline) + "\n")
        return EXIT_CONFIG
    except BrokenPipeError:  # the reader stopped (`| head`): the caller ends quietly
        raise
    except Exception as exc:  # a driver's surprise: still one line, never a traceback with secrets in it
        unexpected = say("viewer.unexpected", kind=type(exc).__name__, message=exc)
        stderr.write(say("viewer.error", message=unexpected) + "\n")
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
            raise ConfigError(say("usage.unknown_scenario", scenario=repr(args.mock), hint="", known=", ".join(known)))
        sample = sample_env(fixtures, args.mock)
    try:
        settings = settings_mod.load(environ, env_file, env_file_explicit=bool(args.env_file), mock_sample=sample,
                                     mock_scenario=args.mock)
    except settings_mod.EnvFileError as exc:
        raise ConfigError(str(exc)) from None
    if not settings.mock:  # a mock run reads the scenario's rows, never the site's database
        from .django import fill_database_url  # no DATABASE_URL: the site's Django DATABASES['default']
        fill_database_url(settings, getattr(args, "ds", None), [Path.cwd(), env_file.parent])
    for problem in settings.problems:
        if problem.startswith("DATABASE_URL from"):
            raise ConfigError(problem)
    return settings


class Sources:
    """The configured log sources, opened (and closed) together."""

    def __init__(self, settings, opts):
        from .questions import LogChecks
        from ..scenarios import fixtures_dir
        self.settings, self.opts = settings, opts
        self._tmp = None
        if settings.mock:  # the embedded database of mock mode, whatever DATABASE_URL says (LogChecks)
            import tempfile
            self._tmp = tempfile.TemporaryDirectory(prefix="gigacheck-logs-")
        self.checks = LogChecks(settings, opts, settings.mock_scenario, fixtures_dir(),
                                Path(self._tmp.name) if self._tmp else None)
        self.items: List = []

    def __enter__(self):
        try:
            if not (self.checks.db_configured or self.checks.log_file):
                raise Finding("LG001", say("logs.no_source"),
                              subject=store.DB_SUBJECT)
            self.window = self.checks.window
            if self.checks.db_configured:
                self.items.append(self.checks.table_source())
            if self.checks.log_file:
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


def newest_first(streams: List[Iterable[store.Row]]) -> Iterator[store.Row]:
    """The sources' streams (each newest first) as one, newest first: nothing held but one row of each."""
    if len(streams) == 1:
        return iter(streams[0])
    return heapq.merge(*streams, key=lambda r: (r.timestamp or datetime.min, r.key), reverse=True)


def _print_rows(rows: Iterable[store.Row], window, as_json: bool, limit: int, out: TextIO, err: TextIO,
                hours: float) -> None:
    """Each row written as it comes (JSON too, element by element: an export of the whole window holds one
    page of rows at a time, and the text is json.dumps(list, indent=1)'s); `limit` rows at most (0: all);
    the rows it leaves out are counted and said on stderr with the way to get them, never dropped silently."""
    shown = left = 0
    for row in rows:
        if limit and shown >= limit:
            left += 1  # counted, not kept
            continue
        if as_json:
            # exact (json.loads gives every row back) but with no raw escape or bidi character (redact.json_safe)
            item = json_safe(json.dumps(row.as_json(window.tz), ensure_ascii=False, indent=1)).replace("\n", "\n ")
            out.write(("[\n " if not shown else ",\n ") + item)
        else:
            out.write(row.line() + "\n")
        shown += 1
    if as_json:
        out.write("\n]\n" if shown else "[]\n")
    if left:
        err.write(say("viewer.cut", shown=shown, total=shown + left, left=left, hours=f"{hours:g}") + "\n")
    elif not shown:
        err.write(say("viewer.no_rows", hours=f"{hours:g}") + "\n")


def _print_summary(scan, hours: float, as_json: bool, out: TextIO, incidents=(), log_timezone: dict = None) -> None:
    from ..timeline import incidents_json, summary_lines
    counts = codes_summary(scan.counts)
    listed = incidents_json(incidents)
    if as_json:
        data = {"window_hours": hours, "counts": counts, "incidents": listed}
        if log_timezone is not None:
            data["log_timezone"] = log_timezone
        out.write(json.dumps(data, ensure_ascii=False) + "\n")
        return
    for code, n in counts.items():
        out.write(f"{code} {n:>6}  {CATALOG[code].text(current_lang()).finding}\n")
    lang = current_lang()
    out.write((say("viewer.incidents") if listed else say("viewer.no_incidents")) + "\n")
    for line in summary_lines(listed, lang):
        out.write(f"  {line}\n")
