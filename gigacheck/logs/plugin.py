"""pytest wiring of the log checks: the log options and ini keys, and the `log_window` fixture.

Loaded by `gigacheck.plugin`. Fixtures never raise at setup for an expected problem:
`log_window` opens its sources lazily, inside the check that asks, so a problem is
a failed check with its code (and, through the plugin's dedup, one failure per cause).

Loaded in every pytest session, as `gigacheck.plugin` is, and under the same rule: pytest and the
standard library at module level, `words` in `pytest_addoption`, the rest in hooks of a checks run.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from . import LEVELS

OPTIONS_KEY = pytest.StashKey["LogOptions"]()
STATEMENT_LIMIT_S = "10.0"  # gigacheck_log_query_timeout's default as --help shows it: store.STATEMENT_LIMIT_S
# the options live in a pytest-free module (the viewer shares them); importable here too, on first use
_FROM_OPTIONS = ("MAX_HOURS", "MAX_LIMIT", "LogOptions", "options_from", "parse_thresholds")


def __getattr__(name):
    if name in _FROM_OPTIONS:
        from . import options
        return getattr(options, name)
    raise AttributeError(name)


def pytest_addoption(parser):
    from ..words import default_lang, say
    from . import hours_arg, limit_arg
    lang = default_lang()  # --help is built before --lang is parsed: the locale's language
    group = parser.getgroup("gigacheck logs", say("help.logs_group", lang))
    group.addoption("--hours", dest="gigacheck_hours", type=hours_arg, default=24.0, metavar="H",
                    help=say("help.hours", lang))
    group.addoption("--level", dest="gigacheck_level", default=None, metavar="LEVEL",
                    help=say("help.level", lang, levels=", ".join(LEVELS)))
    group.addoption("--search", dest="gigacheck_search", default=None, metavar="TEXT",
                    help=say("help.search", lang))
    group.addoption("--limit", dest="gigacheck_limit", type=limit_arg, default=50, metavar="N",
                    help=say("help.limit", lang))
    import importlib.util
    if importlib.util.find_spec("pytest_django") is None:  # pytest-django has its own --ds, read as well
        group.addoption("--ds", dest="gigacheck_ds", default=None, metavar="SETTINGS", help=say("help.ds", lang))
    parser.addini("gigacheck_log_thresholds", type="linelist", default=[], help=say("help.thresholds", lang))
    parser.addini("gigacheck_log_columns", default="", help=say("help.columns", lang))
    parser.addini("gigacheck_log_query_timeout", default=STATEMENT_LIMIT_S,
                  help=say("help.query_timeout", lang))


@pytest.hookimpl(trylast=True)
def pytest_configure(config):
    from ..plugin import RUN_KEY
    run = config.stash.get(RUN_KEY, None)
    if run is None or not run.active:
        return  # another project's tests: the log options are not read for them
    from .options import options_from
    try:
        opts = options_from(config.getoption("gigacheck_hours"), config.getoption("gigacheck_level"),
                            config.getoption("gigacheck_search"), config.getoption("gigacheck_limit"),
                            config.getini("gigacheck_log_thresholds"), config.getini("gigacheck_log_columns"),
                            config.getini("gigacheck_log_query_timeout"))
    except ValueError as exc:
        raise pytest.UsageError(str(exc)) from None
    config.stash[OPTIONS_KEY] = opts


@pytest.fixture(scope="session")
def log_window(gigacheck_run, pytestconfig):
    """The log sources of the run and one counting pass over the window, opened lazily."""
    from ..causes import explaining
    from .options import LogOptions
    from .questions import LogChecks  # the sources and their drivers: only for a run that reads logs
    opts = pytestconfig.stash.get(OPTIONS_KEY, None) or LogOptions()
    # a plain temporary folder, not tmp_path_factory: that one also deletes, at exit, the numbered
    # folders earlier pytest sessions left, work that grows with what they left (measured in bench/)
    with tempfile.TemporaryDirectory(prefix="gigacheck-logs-") as tmp:
        checks = LogChecks(gigacheck_run.settings, opts, gigacheck_run.mock_scenario, gigacheck_run.fixtures_dir,
                           Path(tmp))
        checks.explained_by = lambda code: explaining(code, gigacheck_run.causes)
        checks.live_passed = lambda question: live_outcome(gigacheck_run.records.values(), question)
        yield checks
        checks.close()


def live_outcome(records, question: str):
    """(every check of `question` passed, the first one's id), or None when none of it ran in this process
    (the live checks run before the log checks, on the same xdist worker: gigacheck/parallel.py)."""
    mine = [r for r in records if r.id.split("::")[-1].split("[", 1)[0] == question]
    if not mine:
        return None
    return all(r.outcome == "passed" for r in mine), mine[0].id
