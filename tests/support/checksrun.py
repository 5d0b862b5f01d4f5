"""Run `checks/` in a pytester subprocess with a clean environment, and read
back everything it wrote: terminal, JSON summary, HTML report, JUnit XML."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

import pytest

from gigacheck.settings import VARIABLES

REPO = Path(__file__).resolve().parents[2]
CHECKS = REPO / "checks"
FIXTURES = REPO / "fixtures"
CLOSED_PORT = 9  # discard: nothing listens on loopback here, so connecting is refused at once


@dataclass
class ChecksRun:
    ret: int
    stdout: str
    stderr: str
    json: dict
    html: str
    junit: str
    html_path: Path
    path: Path
    extra_files: Dict[str, str] = field(default_factory=dict)

    @property
    def checks(self) -> List[dict]:
        return self.json.get("checks", [])

    @property
    def outcomes(self) -> Dict[str, str]:
        return {c["id"]: c["outcome"] for c in self.checks}

    @property
    def codes(self) -> Dict[str, List[str]]:
        return {c["id"]: c["codes"] for c in self.checks}

    def check(self, fragment: str) -> dict:
        """The one check whose id contains `fragment`."""
        found = [c for c in self.checks if fragment in c["id"]]
        assert len(found) == 1, f"{fragment!r} matches {[c['id'] for c in found]}"
        return found[0]

    def failed(self) -> Dict[str, List[str]]:
        return {c["id"]: c["codes"] for c in self.checks if c["outcome"] == "failed"}

    def everything(self) -> str:
        """Every output of the run, for leak searches."""
        parts = [self.stdout, self.stderr, json.dumps(self.json, ensure_ascii=False), self.html, self.junit]
        parts.extend(self.extra_files.values())
        return "\n".join(parts)


def clean_environment(monkeypatch) -> None:
    """No setting may leak in from the machine running the tests."""
    for name in list(os.environ):
        if name in VARIABLES or name.startswith(("GIGACHAT_", "GIGACHECK_", "PROXY_API_")):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("PYTEST_ADDOPTS", raising=False)
    # gigacheck's language follows the locale: English (and UTF-8) unless a test says otherwise
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)


@pytest.fixture
def run_checks(pytester, monkeypatch):
    """run_checks(*args, env={...}, env_file_text=None, timeout=120, subprocess=False) -> ChecksRun

    In-process unless `subprocess` or xdist's `-n` asks for a child interpreter (`timeout` bounds that one)."""
    clean_environment(monkeypatch)

    def run(*args, env: Optional[Dict[str, str]] = None, env_file_text: Optional[str] = None,
            timeout: float = 120, checks=None, subprocess: bool = False) -> ChecksRun:
        env = dict(env or {})
        if not any(str(a).startswith("--mock") for a in args):
            # a live run under test never leaves this machine: unless a test points the hosts
            # somewhere (the local fake GigaChat), they are a closed loopback port
            env.setdefault("GIGACHAT_AUTH_URL", f"https://127.0.0.1:{CLOSED_PORT}/api/v2/oauth")
            env.setdefault("GIGACHAT_BASE_URL", f"https://127.0.0.1:{CLOSED_PORT}/api/v1")
        for k, v in env.items():
            monkeypatch.setenv(k, v)
        if env_file_text is not None:
            (pytester.path / ".env").write_text(env_file_text, encoding="utf-8")
        target = [str(checks)] if checks is not None else [str(CHECKS)]
        argv = target + ["-p", "no:cacheprovider", "--report-json", "report.json",
                         "--junitxml", "junit.xml", *args]
        if subprocess or "-n" in args:  # xdist's workers, or a run that needs a fresh interpreter
            result = pytester.runpytest_subprocess(*argv, timeout=timeout)
        else:  # a child interpreter's start-up costs more than most runs; the checks need no isolation
            result = pytester.runpytest_inprocess(*argv)
        out = "\n".join(result.outlines)
        err = "\n".join(result.errlines)
        base = pytester.path
        js = base / "report.json"
        html_path = base / "reports" / "gigachat-health.html"
        for a in args:  # a mock run writes its own file (SPEC), and --html PATH overrides both
            m = re.match(r"--mock(?:=(.*))?$", str(a))
            if m:
                html_path = base / "reports" / f"gigachat-health-mock-{m.group(1) or 'healthy'}.html"
        for a in args:
            m = re.match(r"--html=(.*)", str(a))
            if m:
                html_path = base / m.group(1)
        return ChecksRun(
            ret=int(result.ret), stdout=out, stderr=err,
            json=json.loads(js.read_text(encoding="utf-8")) if js.exists() else {},
            html=html_path.read_text(encoding="utf-8") if html_path.exists() else "",
            html_path=html_path,
            junit=(base / "junit.xml").read_text(encoding="utf-8") if (base / "junit.xml").exists() else "",
            path=base,
        )

    return run
