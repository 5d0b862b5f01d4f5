"""Start-up pays only for what runs: what each entry point imports, and a reader that stops early.

Each entry point runs in a fresh interpreter (imports are process-wide), and reports the
modules it ended with; timings are for `bench/bench_run.py`, never asserted here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.support.checksrun import CHECKS, CLOSED_PORT

WATCHED = ("pytest", "requests", "responses")

# Runs a module as `python -m MODULE ARGS` would, then prints which watched modules were imported.
PROBE = """
import json, runpy, sys
module, sys.argv = sys.argv[1], sys.argv[1:]
try:
    runpy.run_module(module, run_name="__main__", alter_sys=True)
except SystemExit:
    pass
print("\\nIMPORTED " + json.dumps(sorted(m for m in %r if m in sys.modules)))
""" % (WATCHED,)


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("GIGACHAT_", "GIGACHECK_", "PROXY_API_", "PYTEST_")) and k != "DATABASE_URL"}
    env.update(extra)
    return env


def imported(tmp_path, *argv, **env):
    proc = subprocess.run([sys.executable, "-c", PROBE, *argv], cwd=tmp_path, env=clean_env(**env),
                          capture_output=True, text=True, timeout=120)
    last = proc.stdout.rstrip().rsplit("\n", 1)[-1]
    assert last.startswith("IMPORTED "), proc.stdout[-2000:] + proc.stderr[-2000:]
    return set(json.loads(last[len("IMPORTED "):]))


LIVE = dict(GIGACHAT_AUTH_URL=f"https://127.0.0.1:{CLOSED_PORT}/api/v2/oauth",
            GIGACHAT_BASE_URL=f"https://127.0.0.1:{CLOSED_PORT}/api/v1",
            GIGACHAT_CREDENTIALS="bm90LWEtcmVhbC1pZDpub3QtYS1yZWFsLXNlY3JldA==")


@pytest.mark.parametrize("argv, env, expected", [
    (["gigacheck", "codes"], {}, set()),
    (["gigacheck", "logs", "--mock", "--summary"], {}, set()),
    # a live run needs requests, not the mock's responses; a mock run needs both (the probe sees them)
    (["pytest", str(CHECKS), "-p", "no:cacheprovider", "-q"], LIVE, {"pytest", "requests"}),
    (["pytest", str(CHECKS), "--mock", "-p", "no:cacheprovider", "-q"], {}, WATCHED),
    # installed in a site's environment the plugin loads in every pytest run: there it stays inert
    (["pytest", "test_other.py", "-p", "no:cacheprovider", "-q"], {}, {"pytest"}),
], ids=["codes", "logs", "live-checks", "mock-checks", "other-tests"])
def test_entry_point_imports_only_what_it_runs(tmp_path, argv, env, expected):
    (tmp_path / "test_other.py").write_text("def test_other():\n    assert 1 + 1 == 2\n")
    assert imported(tmp_path, *argv, **env) == set(expected)


@pytest.mark.parametrize("argv", [["codes"], ["logs", "--mock", "--summary"]], ids=["codes", "logs"])
def test_closed_pipe_ends_quietly(tmp_path, argv):
    """`python -m gigacheck codes | head -1`: the reader is gone before the first write."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # closed before the child starts, so every write meets EPIPE, deterministically
    try:
        proc = subprocess.run([sys.executable, "-m", "gigacheck", *argv], cwd=tmp_path, env=clean_env(),
                              stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=60)
    finally:
        os.close(write_end)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr and "error" not in proc.stderr


# The same run, then how many of the log signatures' patterns were compiled (-1: module not loaded).
COMPILED = """
import runpy, sys
sys.argv = ["pytest"] + sys.argv[1:]
try:
    runpy.run_module("pytest", run_name="__main__", alter_sys=True)
except SystemExit:
    pass
sig = sys.modules.get("gigacheck.logs.signatures")
print("\\nCOMPILED %d %d" % (-1 if sig is None else
                             sum("rx" in vars(r) for s in sig.SIGNATURES for r in s.rules) + (sig._PICKS is not None),
                             "gigacheck.settings" in sys.modules))
"""


@pytest.mark.parametrize("argv, some", [(["test_other.py"], False), ([str(CHECKS), "--mock"], True)],
                         ids=["other-tests", "mock-checks"])
def test_signature_patterns_are_compiled_only_by_a_run_that_reads_logs(tmp_path, argv, some):
    """The plugin loads in every pytest run of a site with gigacheck installed: compiling the log
    signatures' 44 patterns and loading the settings (dotenv, the SDK's rules) is work for the runs of
    the checks, not for the site's own tests."""
    (tmp_path / "test_other.py").write_text("def test_other():\n    assert 1 + 1 == 2\n")
    proc = subprocess.run([sys.executable, "-c", COMPILED, *argv, "-p", "no:cacheprovider", "-q"], cwd=tmp_path,
                          env=clean_env(), capture_output=True, text=True, timeout=120)
    last = proc.stdout.rstrip().rsplit("\n", 1)[-1]
    assert last.startswith("COMPILED "), proc.stdout[-2000:] + proc.stderr[-2000:]
    compiled, settings = int(last.split()[1]), int(last.split()[2])
    assert (compiled > 0) if some else (compiled == -1)  # the other tests' run does not even import them
    assert settings == int(some)


# What gigacheck imported: a plugin of the run (`-p gcprobe`) prints it when the session ends (all plugins
# loaded, every hook of gigacheck's run). Not sys.modules at the probe's exit: pytest imports more on its way out.
MODULES_AT_END = """
import json, sys

def pytest_unconfigure(config):
    names = sorted(m for m in sys.modules if m.split(".")[0] in ("gigacheck", "pymysql", "psycopg", "psycopg2",
                                                                   "django", "gigachat"))
    sys.__stdout__.write("\\nMODULES " + json.dumps(names) + "\\n")
"""
# The plugin's entry modules (gigacheck.plugin and the log checks' options beside their sources) and the
# words of their help texts (plain data). Nothing else of gigacheck may load in another project's session.
ENTRY = {"gigacheck", "gigacheck.plugin", "gigacheck.logs", "gigacheck.logs.plugin", "gigacheck.words"}


def modules_of_run(tmp_path, *args, **env) -> set:
    (tmp_path / "gcprobe.py").write_text(MODULES_AT_END)
    env = dict(env, PYTHONPATH=os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")])))
    proc = subprocess.run([sys.executable, "-m", "pytest", *args, "-p", "gcprobe", "-p", "no:cacheprovider", "-q"],
                          cwd=tmp_path, env=clean_env(**env), capture_output=True, text=True, timeout=180)
    found = [ln for ln in proc.stdout.splitlines() if ln.startswith("MODULES ")]
    assert found, proc.stdout[-2000:] + proc.stderr[-2000:]
    return set(json.loads(found[-1][len("MODULES "):]))


@pytest.mark.parametrize("args", [["test_other.py"], ["test_other.py", "--help"], ["test_other.py", "-n", "2"]],
                         ids=["tests", "help", "xdist"])
def test_a_session_without_checks_imports_only_the_plugins_entry(tmp_path, args):
    """gigacheck installed in a site's environment loads in every pytest session: one that runs none of
    its checks (and `--help`, and an xdist run, each worker a process of its own) imports only the entry."""
    (tmp_path / "test_other.py").write_text("def test_other():\n    assert 1 + 1 == 2\n")
    assert modules_of_run(tmp_path, *args) == ENTRY


def test_a_mock_run_imports_no_driver_sdk_or_django(tmp_path):
    """`pytest checks/ --mock` reads the mock's SQLite: never the MySQL driver, psycopg, Django or the SDK."""
    modules = modules_of_run(tmp_path, str(CHECKS), "--mock")
    assert "gigacheck.gigachat.mock" in modules and "gigacheck.logs.sqlite" in modules  # the run did run
    assert not {m for m in modules if m.split(".")[0] in ("pymysql", "psycopg", "psycopg2", "django", "gigachat")}
    assert "gigacheck.logs.mysql" not in modules


def test_the_help_texts_default_is_the_stores():
    """The log plugin names the statement limit's default without importing the store."""
    from gigacheck.logs import plugin, store
    assert float(plugin.STATEMENT_LIMIT_S) == store.STATEMENT_LIMIT_S
