"""pytest wiring of the log checks: the log options and ini keys, and the `log_window` fixture.

Loaded by `gigacheck.plugin`. Fixtures never raise at setup for an expected problem:
`log_window` opens its sources lazily, inside the check that asks, so a problem is
a failed check with its code (and, through the plugin's dedup, one failure per cause).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from . import store
# the options live in a pytest-free module (the viewer shares them); importable here too
from .options import MAX_HOURS, MAX_LIMIT, LogOptions, options_from, parse_thresholds  # noqa: F401

OPTIONS_KEY = pytest.StashKey[LogOptions]()


def pytest_addoption(parser):
    group = parser.getgroup("gigacheck logs", "gigacheck logs: the site's log table and log file")
    group.addoption("--hours", dest="gigacheck_hours", type=float, default=24.0, metavar="H",
                    help="the window: the last H hours (a float: 0.5 is 30 minutes; default 24)")
    group.addoption("--level", dest="gigacheck_level", default=None, metavar="LEVEL",
                    help="show log rows of this level and above: DEBUG, INFO, WARNING, ERROR, CRITICAL "
                         "(narrows the rows shown, not the counts)")
    group.addoption("--search", dest="gigacheck_search", default=None, metavar="TEXT",
                    help="show only log rows containing TEXT (literal, any case)")
    group.addoption("--limit", dest="gigacheck_limit", type=int, default=50, metavar="N",
                    help="log rows shown per finding, newest first (default 50)")
    parser.addini("gigacheck_log_thresholds", type="linelist", default=[],
                  help="CODE=N per line (e.g. LG014=5): a log check fails when its count in the window "
                       "is above N (default 0)")
    parser.addini("gigacheck_log_columns", default="",
                  help="the log table's timestamp, level and message columns (default: timestamp level message)")
    parser.addini("gigacheck_log_query_timeout", default=str(store.STATEMENT_LIMIT_S),
                  help="seconds each log query may run on the database server (default 10)")


@pytest.hookimpl(trylast=True)
def pytest_configure(config):
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
    from .questions import LogChecks  # the sources and their drivers: only for a run that reads logs
    opts = pytestconfig.stash.get(OPTIONS_KEY, None) or LogOptions()
    # a plain temporary folder, not tmp_path_factory: that one also deletes, at exit, the numbered
    # folders earlier pytest sessions left, work that grows with what they left (measured in bench/)
    with tempfile.TemporaryDirectory(prefix="gigacheck-logs-") as tmp:
        checks = LogChecks(gigacheck_run.settings, opts, gigacheck_run.mock_scenario, gigacheck_run.fixtures_dir,
                           Path(tmp))
        checks.explained_by = lambda code: explaining(code, gigacheck_run.causes)
        yield checks
        checks.close()
