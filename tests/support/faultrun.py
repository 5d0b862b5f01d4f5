"""Run `checks/` against a faulty fake GigaChat, as an operator would, and keep what it wrote.

Runs are in-process (pytester): on this machine a child interpreter's start-up
costs more than the whole run, and child processes gain nothing in parallel.
Each run gets a clean environment (the canary secrets, the fake's URLs and CA,
GIGACHAT_TIMEOUT=2) and writes every output: terminal at `-vv -l --tb=long -rA`
with DEBUG logs, HTML, JSON and JUnit XML.  `fault_run(name)` runs a fault once
per session; the matrix and the canary tests both read it.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Optional, Sequence

import pytest

# In-process runs drop the modules first imported inside them, and a later run imports them again:
# an object kept from the first copy then meets classes of the second (requests: "You can only merge
# into CookieJar").  Importing what the checks use here keeps one copy for every run.
import pymysql  # noqa: F401,E402
import requests  # noqa: F401,E402
import responses  # noqa: F401,E402

import gigacheck.causes  # noqa: F401,E402
import gigacheck.gigachat.client  # noqa: F401,E402
import gigacheck.gigachat.mock  # noqa: F401,E402
import gigacheck.logs.plugin  # noqa: F401,E402
import gigacheck.logs.questions  # noqa: F401,E402
import gigacheck.plugin  # noqa: F401,E402
import gigacheck.scenarios  # noqa: F401,E402
import gigacheck.settings  # noqa: F401,E402
from tests.support.canary import Canaries
from tests.support.checksrun import CHECKS, ChecksRun, clean_environment
from tests.support.fakegiga import ClosedPort, FakeGigaChat
from tests.support.faults import BY_NAME, Fault, Peer

TIMEOUT = "2"             # GIGACHAT_TIMEOUT for every fault run
RUN_LIMIT = 30.0          # seconds a whole run of the checks may take, whatever the peer does
# Everything an operator could ask to see; plugins unrelated to gigacheck are left out for speed.
LOUD = ("-vv", "-l", "--tb=long", "-rA", "--log-level=DEBUG", "-W", "always", "-o", "junit_logging=all")
QUIET_PLUGINS = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:benchmark")


def read_outputs(workdir: Path, ret: int, stdout: str, stderr: str) -> ChecksRun:
    """A run's outputs: terminal, JSON, HTML, JUnit XML, and every other file it wrote."""
    def text(path: Path) -> str:
        return path.read_text(encoding="utf-8", errors="replace") if path.is_file() else ""

    # the live report, or a mock run's own (reports/gigachat-health-mock-SCENARIO.html)
    written = sorted(workdir.glob("reports/gigachat-health*.html"))
    html = written[0] if len(written) == 1 else workdir / "reports" / "gigachat-health.html"
    report, junit = workdir / "report.json", workdir / "junit.xml"
    data = json.loads(report.read_text(encoding="utf-8")) if report.is_file() else {}
    extra = {str(p.relative_to(workdir)): text(p) for p in sorted(workdir.rglob("*"))
             if p.is_file() and p not in (report, html, junit) and p.stat().st_size < (8 << 20)}
    return ChecksRun(ret=ret, stdout=stdout, stderr=stderr, json=data, html=text(html), junit=text(junit),
                     html_path=html, path=workdir, extra_files=extra)


class InProcess:
    """`pytest checks/ ARGS` inside this process, in its own directory and environment."""

    def __init__(self, pytester, monkeypatch):
        self.pytester = pytester
        self.monkeypatch = monkeypatch

    def run(self, name: str, args: Sequence[str], env: Dict[str, str], plugins=(),
            quiet: Sequence[str] = QUIET_PLUGINS) -> (ChecksRun, float):
        """`plugins`: plugin objects for that run (e.g. one that acts between two checks);
        `quiet`: the plugins left out (the cache provider by default)."""
        workdir = self.pytester.path / name
        workdir.mkdir(parents=True, exist_ok=True)
        with self.monkeypatch.context() as mp:
            clean_environment(mp)
            for proxy in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
                mp.delenv(proxy, raising=False)
            mp.setenv("NO_PROXY", "127.0.0.1,localhost,::1")  # loopback only, never through a proxy
            for k, v in env.items():
                mp.setenv(k, v)
            mp.chdir(workdir)
            started = time.monotonic()
            result = self.pytester.runpytest_inprocess(
                str(CHECKS), *quiet, "--report-json", "report.json", "--junitxml", "junit.xml", *args,
                plugins=list(plugins))
            seconds = time.monotonic() - started
        return read_outputs(workdir, int(result.ret), "\n".join(result.outlines), "\n".join(result.errlines)), \
            seconds


@dataclass
class FaultRun:
    fault: Fault
    result: ChecksRun
    seconds: float
    oauth_requests: int
    other_host_seen: list
    body_bytes_sent: int
    secrets: Dict[str, str] = field(default_factory=dict)


def base_env(fake: FakeGigaChat, ca_file: Path, canaries: Canaries, closed_port: int,
             fallback: Optional[FakeGigaChat] = None) -> Dict[str, str]:
    """The settings of a run against `fake`; the fallback provider is `fallback` (or `fake` itself)."""
    env = fake.env(ca_file)
    env.update({
        "GIGACHAT_CREDENTIALS": canaries.key,
        "GIGACHAT_TIMEOUT": TIMEOUT,
        "GIGACHAT_MODELS": "GigaChat,GigaChat-Pro",
        # the fallback provider is verified against the default store, as the site's own client does
        "REQUESTS_CA_BUNDLE": str(ca_file),
        "PROXY_API_BASE_URL": (fallback or fake).proxy_url,
        "PROXY_API_KEY": canaries.proxy_key,
        "PROXY_API_MODEL": "gpt-4o-mini",
        # a database that refuses: its password is a canary too
        "DATABASE_URL": f"mysql://gigacheck:{canaries.db_password}@127.0.0.1:{closed_port}/site",
    })
    return env


def run_fault(fault: Fault, ca, ca_file: Path, canaries: Canaries, runner: InProcess,
              args: Sequence[str] = LOUD) -> FaultRun:
    # the fallback provider is a host of its own: a fault of GigaChat's host is not its fault
    with ClosedPort() as closed, FakeGigaChat(ca, key=canaries.key, **fault.server) as fake, \
            FakeGigaChat(ca, key=canaries.key) as other, FakeGigaChat(ca, proxy_key=canaries.proxy_key) as fallback:
        env = base_env(fake, ca_file, canaries, closed.port, fallback)
        fault.apply(Peer(fake=fake, other=other, closed_port=closed.port, env=env))
        result, seconds = runner.run(fault.name, (*args, *fault.args), env)
        values = dict(canaries.values(), **{"issued token": fake.token})
        return FaultRun(fault, result, seconds, fake.oauth_requests, list(other.seen), fake.body_bytes_sent,
                        values)


@pytest.fixture(scope="session")
def canaries() -> Canaries:
    return Canaries.fresh()


@pytest.fixture
def fake_giga(giga_ca, canaries):
    """A started fake GigaChat that knows the canary key and fallback key; stopped after the test."""
    with FakeGigaChat(giga_ca, key=canaries.key, proxy_key=canaries.proxy_key) as fake:
        yield fake


@pytest.fixture(scope="session")
def _fault_cache() -> Dict[str, FaultRun]:
    return {}


@pytest.fixture
def in_process(pytester, monkeypatch) -> InProcess:
    return InProcess(pytester, monkeypatch)


@pytest.fixture
def fault_run(_fault_cache, in_process, giga_ca, giga_ca_file, canaries):
    """fault_run(name) -> FaultRun: the checks run against that fault, once per session."""
    def get(name: str) -> FaultRun:
        if name not in _fault_cache:
            _fault_cache[name] = run_fault(BY_NAME[name], giga_ca, giga_ca_file, canaries, in_process)
        return _fault_cache[name]
    return get


GIGACHAT_MODULES = ("test_config", "test_network", "test_oauth", "test_api", "test_generation")


def only(run: ChecksRun, module_fragments=GIGACHAT_MODULES) -> Dict:
    """The failed checks of the given modules (by default every one but the log checks): {id: codes}."""
    return {i: c for i, c in run.failed().items() if any(m in i for m in module_fragments)}
