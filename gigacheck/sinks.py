"""Every way output leaves a run, with the one redactor on it (the design: `redact.py`).

`install(config, scrub)` at session start puts `scrub` on the terminal writer's file
(and on `sys.stdout`/`sys.stderr` when capture is off), on the `--debug` trace
writer and on pytest's logging handlers, and remembers the files the run writes;
`finish(config)` at unconfigure filters those files once more (HTML, JUnit XML,
JSON, `--log-file`, `.pytest_cache`). Each report is scrubbed where it is made: `scrub_report`
(traceback, skip reason, captured output) and `ReportScrubber` (JUnit properties, HTML extras).  `ScrubbingStream` is also what the log
viewer writes through.  `scrub` is a callable, so secrets learned later (the
issued token) are masked too.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import List

import pytest

from .redact import Scrub, ScrubbingStream

MAX_FILE = 256 << 20  # a file bigger than this was not written by this run's reporters
SINKS_KEY = pytest.StashKey["Sinks"]()


class ScrubbingFilter(logging.Filter):
    """Scrubs a record's message, traceback and stack before any handler formats it."""

    def __init__(self, scrub: Scrub):
        super().__init__()
        self._scrub = scrub

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: logging would report it; show it raw, scrubbed
            message = f"{record.msg} {record.args}"
        record.msg, record.args = self._scrub(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = self._scrub(record.stack_info)
        return True


class Sinks:
    def __init__(self, scrub: Scrub):
        self.scrub = scrub
        self.files: List[Path] = []
        self._restore: List[tuple] = []

    def wrap(self, owner, attr: str) -> None:
        current = getattr(owner, attr, None)
        if current is not None and not isinstance(current, ScrubbingStream):
            self._restore.append((owner, attr, current))
            setattr(owner, attr, ScrubbingStream(current, self.scrub))

    def restore(self) -> None:
        while self._restore:
            owner, attr, value = self._restore.pop()
            setattr(owner, attr, value)


def scrub_report(report, scrub: Scrub) -> None:
    """Remove secrets from everything a report carries: the traceback (locals included), the skip
    reason, captured output and logs. Called where the report is made (`pytest_runtest_makereport`,
    on the xdist worker that knows the issued token); `ReportScrubber` does the parts added later."""
    if report.longrepr is not None:
        if isinstance(report.longrepr, tuple):
            path, lineno, reason = report.longrepr
            report.longrepr = (path, lineno, scrub(reason))
        elif isinstance(report.longrepr, str):
            report.longrepr = scrub(report.longrepr)
        else:
            _scrub_object(report.longrepr, scrub, 0)
            text = str(report.longrepr)
            if scrub(text) != text:  # something the walk missed: fall back to the text
                report.longrepr = scrub(text)
    report.sections = [(title, scrub(content)) for title, content in report.sections]


def _scrub_object(obj, scrub, depth):
    if depth > 12 or obj is None:
        return
    fields = vars(obj) if hasattr(obj, "__dict__") else {}
    for name, value in list(fields.items()):
        if isinstance(value, str):
            setattr(obj, name, scrub(value))
        elif isinstance(value, list):
            setattr(obj, name, [_scrub_value(v, scrub, depth) for v in value])
        elif isinstance(value, tuple):
            setattr(obj, name, tuple(_scrub_value(v, scrub, depth) for v in value))
        elif isinstance(value, dict):
            setattr(obj, name, {k: _scrub_value(v, scrub, depth) for k, v in value.items()})
        elif hasattr(value, "__dict__") and not isinstance(value, type):
            _scrub_object(value, scrub, depth + 1)


def _scrub_value(value, scrub, depth):
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, (list, tuple)):
        return type(value)(_scrub_value(v, scrub, depth + 1) for v in value)
    if hasattr(value, "__dict__") and not isinstance(value, type):
        _scrub_object(value, scrub, depth + 1)
    return value


class ReportScrubber:
    """JUnit properties and HTML extras, scrubbed where the report is made: pytest-html adds its
    extras after every makereport wrapper, and the xdist controller never learns the issued token."""

    def __init__(self, scrub: Scrub):
        self.scrub = scrub

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report):
        report.user_properties = [(name, self.scrub(value) if isinstance(value, str) else value)
                                  for name, value in report.user_properties]
        if getattr(report, "extras", None):
            report.extras = [self._extra(e) if isinstance(e, dict) else e for e in report.extras]

    def _extra(self, extra: dict) -> dict:
        image = extra.get("format_type") == "image"  # the picture's own bytes are not text
        return {k: self.scrub(v) if isinstance(v, str) and not (image and k == "content") else v
                for k, v in extra.items()}


def install(config, scrub: Scrub) -> Sinks:
    sinks = Sinks(scrub)
    config.stash[SINKS_KEY] = sinks
    config.pluginmanager.register(ReportScrubber(scrub), "gigacheck-report-scrubber")
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None and getattr(reporter, "_tw", None) is not None:
        sinks.wrap(reporter._tw, "_file")  # every terminal line goes through this file
    if config.getoption("capture", "fd") == "no":  # -s: the checks' prints reach the terminal directly
        sinks.wrap(sys, "stdout")
        sinks.wrap(sys, "stderr")
    root = config.trace.root
    writer = getattr(root, "_writer", None)  # --debug: pytestdebug.log
    if writer is not None:
        root.setwriter(lambda text, _w=writer: _w(scrub(text)))
    logs = config.pluginmanager.get_plugin("logging-plugin")
    for name in ("caplog_handler", "report_handler", "log_file_handler", "log_cli_handler"):
        handler = getattr(logs, name, None)
        if handler is not None:
            handler.addFilter(ScrubbingFilter(scrub))
    sinks.files = _output_files(config, logs)
    return sinks


def _output_files(config, logs) -> List[Path]:
    base = config.invocation_params.dir
    paths = []
    for option in ("htmlpath", "xmlpath", "gigacheck_report_json"):
        value = getattr(config.option, option, None)
        if value:
            paths.append(Path(base, value))
    handler = getattr(logs, "log_file_handler", None)
    if getattr(handler, "baseFilename", None) and handler.baseFilename != "/dev/null":
        paths.append(Path(handler.baseFilename))
    cache = getattr(config, "cache", None)
    if cache is not None and getattr(cache, "_cachedir", None):
        paths.append(Path(cache._cachedir) / "v")
    return paths


def finish(config) -> None:
    """Filter the run's files (the last line of defence) and put the streams back."""
    sinks = config.stash.get(SINKS_KEY, None)
    if sinks is None:
        return
    sinks.restore()
    if hasattr(config, "workerinput"):
        return  # the controller writes (and filters) the files
    for path in sinks.files:
        for file in sorted(path.rglob("*")) if path.is_dir() else [path]:
            scrub_file(file, sinks.scrub)


def scrub_file(path: Path, scrub: Scrub) -> bool:
    """Rewrite `path` scrubbed; True if it changed.  JSON is scrubbed value by value."""
    try:
        if not path.is_file() or path.stat().st_size > MAX_FILE:
            return False
        text = path.read_text(encoding="utf-8", errors="surrogateescape")
    except OSError:
        return False
    clean = scrub(text)
    if clean == text:
        return False
    if path.suffix == ".json" or path.parent.name == "cache":
        try:
            clean = json.dumps(_scrub_json(json.loads(text), scrub), ensure_ascii=False,
                               indent=2 if "\n " in text else None)
            clean += "\n" if text.endswith("\n") else ""
        except ValueError:
            pass
    path.write_text(clean, encoding="utf-8", errors="surrogateescape")
    return True


def _scrub_json(value, scrub: Scrub):
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, list):
        return [_scrub_json(v, scrub) for v in value]
    if isinstance(value, dict):
        return {scrub(k): _scrub_json(v, scrub) for k, v in value.items()}
    return value
