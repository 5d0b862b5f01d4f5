"""A plugin for runs of checks/ under test: writes the mock's answered calls to calls.json."""

import json
from pathlib import Path

import pytest


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session):
    from gigacheck.plugin import run_of
    run = run_of(session.config)
    calls = run.mock.calls if run.mock is not None else []
    Path(session.config.invocation_params.dir, "calls.json").write_text(json.dumps(calls))
