"""The history of runs: appended by each live run (a mock run only with --history), what changed since the
previous run in the terminal, the HTML report and the JSON, `python -m gigacheck history`; two runs at once
both land; a locked, corrupt or unwritable file is a warning line, never a failed or crashed run; no secret
is stored."""

import json
import itertools
import sqlite3
import subprocess
import sys
import textwrap

import pytest

from gigacheck import history
from gigacheck.__main__ import main
from tests.support.between import GIGACHAT_AREAS, live_env
from tests.support.faultrun import InProcess
from tests.support.fakegiga import FakeGigaChat, canary_key


def entry(started_at, verdict="passed", codes=(), mode="live", finished_at=0.0):
    return history.RunEntry(started_at=started_at, verdict=verdict, mode=mode, codes=tuple(codes),
                            finished_at=finished_at)


# --- the file, as data ------------------------------------------------------------------------------

def test_each_run_gets_the_previous_run_of_its_mode_and_the_last_success(tmp_path):
    path = tmp_path / "deep" / "h.sqlite3"  # its folder is made
    first = history.record(path, entry("2026-12-07T10:00:00+00:00", finished_at=100.0))
    assert first.previous is None and first.first and first.last_success is None
    history.record(path, entry("2026-12-07T10:30:00+00:00", "failed", ["GC023"], mode="mock", finished_at=150.0))
    second = history.record(path, entry("2026-12-07T11:00:00+00:00", "failed", ["GC023", "LG019"],
                                        finished_at=200.0))
    assert second.previous.started_at == "2026-12-07T10:00:00+00:00"  # the mock run is not the previous live one
    assert second.last_success == 100.0 and second.previous_checked == "passed"
    history.record(path, entry("2026-12-07T11:20:00+00:00", "nothing-checked", finished_at=250.0))
    third = history.record(path, entry("2026-12-07T12:00:00+00:00", "failed", ["LG019"], finished_at=300.0))
    assert third.previous.verdict == "nothing-checked" and third.previous_checked == "failed"
    assert history.changes(second.previous, ["GC023", "LG019"]) == {
        "since": "2026-12-07T10:00:00+00:00", "previous_verdict": "passed", "new": ["GC023", "LG019"], "fixed": []}
    listed = history.runs(path)
    assert [e.started_at[11:16] for e in listed] == ["12:00", "11:20", "11:00", "10:30", "10:00"]
    assert listed[2].codes == ("GC023", "LG019") and listed[3].mode == "mock"
    assert [e.started_at[11:16] for e in history.runs(path, limit=2)] == ["12:00", "11:20"]


def test_failing_codes_are_those_of_failed_checks_once_in_catalog_order():
    class R:
        def __init__(self, outcome, codes):
            self.outcome, self.codes = outcome, codes
    records = [R("failed", ["LG019"]), R("skipped", ["GC023"]), R("passed", ["GC011"]), R("failed", ["GC023"]),
               R("failed", ["LG019"])]
    assert history.failing_codes(records) == ("GC023", "LG019")


def test_incidents_are_stored_with_specs_fields_only_and_scrubbed():
    kept = history.incidents_of([{"code": "LG015", "state": "ongoing", "first_seen": "2026-12-07T10:00:00",
                                  "last_seen": "2026-12-07T10:20:00", "rows": 3, "resolved_by": None,
                                  "message": "key SECRET"}, {"no": "code"}], scrub=lambda s: s.replace("X", "*"))
    assert kept == ({"code": "LG015", "state": "ongoing", "first_seen": "2026-12-07T10:00:00",
                     "last_seen": "2026-12-07T10:20:00", "rows": 3, "resolved_by": None},)
    assert history.incidents_of(None) == ()
    keyed = {("LG015", "2026-12-07T10:00:00"): {"code": "LG015", "state": "resolved", "rows": 2}}
    assert history.incidents_of(keyed)[0]["state"] == "resolved"


def test_a_code_is_fixed_only_where_this_run_looked(run_checks, tmp_path):
    path = tmp_path / "h.sqlite3"
    run_checks("--mock=bad-key", "-m", "config or oauth", "--history", str(path))
    config_only = run_checks("--mock", "-m", "config", "--history", str(path))
    assert config_only.json["changes"]["fixed"] == []  # OAuth was not checked: GC023 is not known to be fixed
    full = run_checks("--mock", "-m", "config or oauth", "--history", str(path))
    assert full.json["changes"]["fixed"] == []  # against the config-only run, which failed nothing
    run_checks("--mock=bad-key", "-m", "config or oauth", "--history", str(path))
    fixed = run_checks("--mock", "-m", "config or oauth", "--history", str(path))
    assert fixed.json["changes"] == {"since": fixed.json["changes"]["since"], "previous_verdict": "failed",
                                     "new": [], "fixed": ["GC023"]}


def test_two_processes_appending_at_once_both_land(tmp_path):
    path = tmp_path / "h.sqlite3"
    script = textwrap.dedent(f"""
        import sys
        from gigacheck import history
        for i in range(25):
            history.record({str(path)!r}, history.RunEntry(started_at=f"{{sys.argv[1]}}-{{i:02}}", verdict="passed"))
    """)
    procs = [subprocess.Popen([sys.executable, "-c", script, name]) for name in ("a", "b")]
    assert [p.wait(timeout=60) for p in procs] == [0, 0]
    listed = history.runs(path)
    assert len(listed) == 50
    assert sorted(e.started_at for e in listed) == sorted(f"{n}-{i:02}" for n in "ab" for i in range(25))
    with sqlite3.connect(str(path)) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_locked_file_waits_then_gives_up_with_a_reason(tmp_path):
    path = tmp_path / "h.sqlite3"
    history.record(path, entry("2026-12-07T10:00:00+00:00"))
    holder = sqlite3.connect(str(path), isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(history.HistoryError, match="locked"):
            history.record(path, entry("2026-12-07T11:00:00+00:00"), timeout=0.2)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert len(history.runs(path)) == 1


def test_where_the_history_is(tmp_path):
    base, ini = tmp_path / "cwd", tmp_path / "ini"
    assert history.resolve(None, "", base, ini, "live") == base / history.DEFAULT_PATH
    assert history.resolve(None, "", base, ini, "mock") is None  # SPEC: a mock run only with --history
    assert history.resolve(None, "var/h.sqlite3", base, ini, "mock") is None
    assert history.resolve("h.sqlite3", "", base, ini, "mock") == base / "h.sqlite3"
    assert history.resolve(None, "var/h.sqlite3", base, ini, "live") == ini / "var/h.sqlite3"
    assert history.resolve("x.sqlite3", "var/h.sqlite3", base, ini, "live") == base / "x.sqlite3"
    assert history.resolve("off", "", base, ini, "live") is None
    assert history.resolve(None, "OFF", base, ini, "live") is None


# --- runs -------------------------------------------------------------------------------------------

def test_live_runs_are_remembered_by_default_and_say_what_changed(pytester, monkeypatch, giga_ca, giga_ca_file):
    key = canary_key()
    runner = InProcess(pytester, monkeypatch)
    with FakeGigaChat(giga_ca, key=key) as fake:
        env = live_env(fake, giga_ca_file, key)
        pytester.path.joinpath("site").mkdir()
        first, _ = runner.run("site", GIGACHAT_AREAS, env)
        second, _ = runner.run("site", GIGACHAT_AREAS, dict(env, GIGACHAT_CREDENTIALS=canary_key()))
    stored = first.path / "reports" / "gigacheck-history.sqlite3"
    assert stored.is_file()
    assert "history: the first run remembered in reports/gigacheck-history.sqlite3" in first.stdout
    assert first.json["changes"] == {"since": None, "previous_verdict": None, "new": [], "fixed": []}
    assert second.json["changes"]["new"] == ["GC023"] and second.json["changes"]["previous_verdict"] == "passed"
    line = [ln for ln in second.stdout.splitlines() if ln.startswith("since the previous run")]
    assert len(line) == 1 and "passed): new GC023" in line[0]
    # the HTML report says it too, beside the verdict
    assert "id='gigacheck-changes'" in second.html and "data-new='GC023'" in second.html
    assert "Since the previous run" in second.html
    assert [e.verdict for e in history.runs(stored)] == ["failed", "passed"]


def test_a_mock_run_is_remembered_only_with_history_given(run_checks, tmp_path):
    result = run_checks("--mock=bad-key", "-m", "config or oauth")
    assert not (result.path / "reports" / "gigacheck-history.sqlite3").exists()
    assert "history: not kept (a mock run is remembered only with --history PATH)" in result.stdout
    assert result.json["changes"] == {"since": None, "previous_verdict": None, "new": ["GC023"], "fixed": []}
    path = tmp_path / "demo.sqlite3"
    run_checks("--mock=bad-key", "-m", "config or oauth", "--history", str(path))
    healthy = run_checks("--mock", "-m", "config or oauth", "--history", str(path))
    assert healthy.json["changes"]["fixed"] == ["GC023"] and healthy.json["changes"]["previous_verdict"] == "failed"
    assert [e.mode for e in history.runs(path)] == ["mock", "mock"]


def test_history_off_remembers_nothing(run_checks):
    result = run_checks("--history", "off", "-m", "config")
    assert not (result.path / "reports" / "gigacheck-history.sqlite3").exists()
    assert "history: not kept (--history off)" in result.stdout


@pytest.mark.parametrize("damage", ["corrupt", "locked", "unwritable"])
def test_a_damaged_history_is_a_warning_line_never_a_failed_run(run_checks, tmp_path, monkeypatch, damage):
    path = tmp_path / "h.sqlite3"
    holder = None
    if damage == "corrupt":
        path.write_bytes(b"this is not an SQLite file, it was overwritten\n" * 100)
    elif damage == "locked":
        history.record(path, entry("2026-12-07T10:00:00+00:00"))
        monkeypatch.setattr(history, "BUSY_TIMEOUT_S", 0.2)
        holder = sqlite3.connect(str(path), isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
    else:  # its folder is a file
        (tmp_path / "reports").write_text("a file where the folder should be\n")
        path = tmp_path / "reports" / "h.sqlite3"
    before = path.read_bytes() if path.is_file() else None
    try:
        result = run_checks("--mock", "-m", "config", "--history", str(path), "--prometheus",
                            str(tmp_path / "g.prom"))
    finally:
        if holder is not None:
            holder.execute("ROLLBACK")
            holder.close()
    assert result.ret == 0 and result.json["verdict"] == "passed"
    assert "INTERNALERROR" not in result.stdout + result.stderr and "Traceback" not in result.stdout
    lines = result.stdout.splitlines()  # a line of the block, its continuation lines (wrapped at 100 columns)
    warning = [" ".join([ln] + [c.strip() for c in itertools.takewhile(lambda c: c.startswith("  "), lines[i + 1:])])
               for i, ln in enumerate(lines) if ln.startswith("history:")]
    assert len(warning) == 1 and "cannot be used" in warning[0] and "this run is not remembered" in warning[0]
    assert {"corrupt": "not a database", "locked": "locked", "unwritable": "not a directory"}[damage] in warning[0]
    assert result.json["changes"]["since"] is None
    assert (tmp_path / "g.prom").is_file()  # the rest goes on
    if before is not None and damage == "corrupt":
        assert path.read_bytes() == before  # never "repaired" away


def test_no_secret_is_stored(run_checks, tmp_path):
    key = canary_key()
    path = tmp_path / "h.sqlite3"
    result = run_checks("--mock=bad-key", "--history", str(path), env={"GIGACHAT_CREDENTIALS": "Bearer " + key})
    assert result.ret == 1
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("h.sqlite3*"))
    for form in (key, key[:12], key[-12:], "Bearer"):
        assert form.encode() not in raw
    (stored,) = history.runs(path)
    assert stored.codes and all(c[:2] in ("GC", "LG") and c[2:].isdigit() for c in stored.codes)


def test_the_history_command_lists_runs_newest_first(tmp_path, capsys):
    path = tmp_path / "h.sqlite3"
    history.record(path, entry("2026-12-07T10:00:00+00:00"))
    history.record(path, entry("2026-12-07T11:00:00+00:00", "failed", ["GC023"]))
    assert main(["history", "--history", str(path), "--json", "--limit", "1"]) == 0
    assert json.loads(capsys.readouterr().out) == [
        {"started_at": "2026-12-07T11:00:00+00:00", "verdict": "failed", "codes": ["GC023"], "mode": "live"}]
    assert main(["history", "--history", str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == ["2026-12-07 11:00:00 UTC  live  failed  GC023", "2026-12-07 10:00:00 UTC  live  passed  -"]
    assert main(["history", "--history", str(tmp_path / "none.sqlite3"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert not (tmp_path / "none.sqlite3").exists()  # reading creates nothing
    (tmp_path / "bad.sqlite3").write_bytes(b"garbage" * 200)
    assert main(["history", "--history", str(tmp_path / "bad.sqlite3")]) == 2
    assert "cannot be read" in capsys.readouterr().err


def test_an_xdist_run_is_remembered_once_by_the_controller(run_checks, tmp_path):
    path = tmp_path / "h.sqlite3"
    result = run_checks("--mock=bad-key", "-m", "config or oauth", "-n", "2", "--history", str(path))
    assert result.ret == 1
    (stored,) = history.runs(path)  # the workers remember nothing of their own
    assert stored.codes == ("GC023",) and stored.verdict == "failed"
    assert result.json["changes"]["new"] == ["GC023"]


def test_an_unexpected_error_in_remembering_is_a_warning_line(run_checks, tmp_path, monkeypatch):
    import gigacheck.between

    def broken(*args, **kwargs):
        raise RuntimeError("a bug in remembering")
    monkeypatch.setattr(gigacheck.between, "after_run", broken)
    result = run_checks("--mock", "-m", "config", "--history", str(tmp_path / "h.sqlite3"))
    assert result.ret == 0 and "INTERNALERROR" not in result.stdout + result.stderr
    # the block wraps at 100 columns: the sentence is read with its continuation lines
    assert "cannot be used (RuntimeError: a bug in remembering): this run is not remembered" in \
        " ".join(result.stdout.split())
    assert result.json["changes"]["since"] is None
