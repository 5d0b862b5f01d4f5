"""Installed into a site's environment: the checks run from the site's own folder by module name, the
`gigacheck check` command does the same, and an unrelated pytest run is left as it was."""

import json
import subprocess
import sys

from tests.support.checksrun import clean_environment


def test_the_installed_checks_run_from_any_folder_with_pyargs(pytester, monkeypatch):
    clean_environment(monkeypatch)
    result = pytester.runpytest_subprocess("--pyargs", "gigacheck.checks", "--mock", "-p", "no:cacheprovider",
                                           "--report-json", "r.json", "-m", "not logs")
    assert result.ret == 0, result.stdout.str()[-2000:]
    data = json.loads((pytester.path / "r.json").read_text())
    assert data["mode"] == "mock" and data["counts"]["passed"] >= 20 and data["counts"]["failed"] == 0
    assert (pytester.path / "reports" / "gigachat-health-mock-healthy.html").is_file()  # a demo's own file


def test_pyargs_alone_is_a_checks_run_with_the_sites_env_file(pytester, monkeypatch):
    clean_environment(monkeypatch)
    pytester.path.joinpath(".env").write_text("GIGACHAT_TIMEOUT=30s\nGIGACHAT_VERIFY_SSL_CERTS=\n")
    result = pytester.runpytest_subprocess("--pyargs", "gigacheck.checks", "-p", "no:cacheprovider", "-m", "config",
                                           "--env-file", ".env")
    result.stdout.fnmatch_lines(["gigacheck: LIVE*", "*[[]GC015[]]*GIGACHAT_TIMEOUT, GIGACHAT_VERIFY_SSL_CERTS*"])
    plain = pytester.runpytest_subprocess("--pyargs", "gigacheck.checks.test_config", "-p", "no:cacheprovider")
    assert "gigacheck: LIVE" in plain.stdout.str() and "GC015" in plain.stdout.str()  # ./.env by default


def test_an_unrelated_pytest_run_stays_as_it_was(pytester, monkeypatch):
    clean_environment(monkeypatch)
    pytester.makepyfile(test_site="def test_site():\n    assert 1 + 1 == 2\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    assert result.ret == 0
    out = result.stdout.str()
    assert "gigacheck:" not in out and "gigacheck LIVE" not in out and "gigacheck MOCK" not in out
    assert "1 passed" in out and not (pytester.path / "reports").exists()


def test_the_gigacheck_command_runs_the_checks(pytester, monkeypatch):
    clean_environment(monkeypatch)
    done = subprocess.run([sys.executable, "-m", "gigacheck", "check", "--mock=bad-key", "-m", "oauth",
                           "-p", "no:cacheprovider", "--report-json", "r.json"], cwd=pytester.path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stdout[-2000:] + done.stderr[-2000:]
    failed = [c for c in json.loads((pytester.path / "r.json").read_text())["checks"] if c["outcome"] == "failed"]
    assert [c["codes"] for c in failed] == [["GC023"]]
