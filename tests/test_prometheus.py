"""--prometheus PATH: a node_exporter textfile, read back by the official Prometheus client's parser: SPEC's
metric names, every catalog code present (0 when not failing), the two timestamps, written atomically."""

import os
import stat
import time

import pytest

from gigacheck import prometheus
from gigacheck.diagnosis import CATALOG
from gigacheck.logs.signatures import CODES as LOG_CODES
from tests.support.between import GIGACHAT_AREAS, live_env
from tests.support.faultrun import InProcess
from tests.support.fakegiga import FakeGigaChat, canary_key

parser = pytest.importorskip("prometheus_client.parser",
                             reason="prometheus-client is a test extra: pip install -e '.[test]'")

FAMILIES = ("gigacheck_verdict", "gigacheck_failures", "gigacheck_incidents_ongoing",
            "gigacheck_last_run_timestamp_seconds", "gigacheck_last_success_timestamp_seconds",
            "gigacheck_run_duration_seconds")


def read(path):
    """{family: {code or None: value}}, every family with HELP and TYPE gauge."""
    text = path.read_text(encoding="utf-8")
    families = {f.name: f for f in parser.text_string_to_metric_families(text)}
    assert sorted(families) == sorted(FAMILIES)
    for name, family in families.items():
        assert family.type == "gauge" and family.documentation, name
        assert f"# HELP {name} " in text and f"# TYPE {name} gauge" in text
    return {name: {s.labels.get("code"): s.value for s in f.samples} for name, f in families.items()}


def test_a_healthy_then_a_failing_live_run(pytester, monkeypatch, giga_ca, giga_ca_file, tmp_path):
    key = canary_key()
    prom, hist = tmp_path / "textfile" / "gigacheck.prom", tmp_path / "h.sqlite3"
    runner = InProcess(pytester, monkeypatch)
    args = (*GIGACHAT_AREAS, "--history", str(hist), "--prometheus", str(prom))
    with FakeGigaChat(giga_ca, key=key) as fake:
        before = time.time()
        runner.run("healthy", args, live_env(fake, giga_ca_file, key))
        healthy = read(prom)
        failing_run, _ = runner.run("failing", args, live_env(fake, giga_ca_file, canary_key()))
        failing = read(prom)
    assert healthy["gigacheck_verdict"] == {None: 0} and failing["gigacheck_verdict"] == {None: 2}
    assert failing_run.ret == 1
    for metrics in (healthy, failing):
        assert set(metrics["gigacheck_failures"]) == set(CATALOG)  # every code, always
        assert set(metrics["gigacheck_incidents_ongoing"]) >= set(LOG_CODES)
        assert metrics["gigacheck_run_duration_seconds"][None] > 0
    assert healthy["gigacheck_failures"]["GC023"] == 0 and failing["gigacheck_failures"]["GC023"] == 1
    assert sum(failing["gigacheck_failures"].values()) == 1
    last_run, last_success = "gigacheck_last_run_timestamp_seconds", "gigacheck_last_success_timestamp_seconds"
    assert before <= healthy[last_run][None] <= time.time()
    assert healthy[last_success][None] == healthy[last_run][None]
    assert failing[last_run][None] > healthy[last_run][None]
    assert failing[last_success][None] == pytest.approx(healthy[last_run][None], abs=0.01)  # the healthy one
    assert stat.S_IMODE(os.stat(prom).st_mode) == 0o644  # node_exporter runs as its own user
    assert sorted(p.name for p in prom.parent.iterdir()) == ["gigacheck.prom"]  # no temporary file left


def test_a_failing_run_with_no_history_keeps_the_last_success_of_the_textfile(run_checks, tmp_path):
    prom = tmp_path / "g.prom"
    run_checks("--mock", "-m", "config or oauth", "--prometheus", str(prom))
    first = read(prom)["gigacheck_last_success_timestamp_seconds"][None]
    run_checks("--mock=bad-key", "-m", "config or oauth", "--prometheus", str(prom))
    metrics = read(prom)
    assert metrics["gigacheck_verdict"][None] == 2
    assert metrics["gigacheck_last_success_timestamp_seconds"][None] == first > 0
    prom.unlink()
    run_checks("--mock=bad-key", "-m", "config or oauth", "--prometheus", str(prom))
    assert read(prom)["gigacheck_last_success_timestamp_seconds"][None] == 0  # never, as far as anyone knows


def test_nothing_checked_and_warnings_have_their_own_numbers():
    for verdict, number in (("passed", 0), ("warnings", 1), ("failed", 2), ("nothing-checked", 3)):
        text = prometheus.textfile(prometheus.Facts(verdict, {}, {"LG015": 1}, 1.5, None, 0.25, ["GC001"]))
        samples = {(f.name, s.labels.get("code")): s.value
                   for f in parser.text_string_to_metric_families(text) for s in f.samples}
        assert samples[("gigacheck_verdict", None)] == number
        assert samples[("gigacheck_incidents_ongoing", "LG015")] == 1
        assert samples[("gigacheck_failures", "GC001")] == 0


def test_a_write_that_fails_leaves_the_old_file_whole(tmp_path, monkeypatch):
    path = tmp_path / "g.prom"
    prometheus.write_atomic(path, "gigacheck_verdict 0\n")

    def broken(src, dst):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(OSError):
        prometheus.write_atomic(path, "gigacheck_verdict 2\n")
    assert path.read_text() == "gigacheck_verdict 0\n"
    assert [p.name for p in tmp_path.iterdir()] == ["g.prom"]


def test_a_textfile_that_cannot_be_written_is_a_warning(run_checks, tmp_path, monkeypatch):
    def full(path, text):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(prometheus, "write_atomic", full)
    result = run_checks("--mock", "-m", "config", "--prometheus", str(tmp_path / "g.prom"))
    assert result.ret == 0 and result.json["verdict"] == "passed"
    # the block wraps at 100 columns: read the warning with its continuation lines joined
    said = " ".join(result.stdout.replace(str(tmp_path) + "/", "").split())
    assert "prometheus: g.prom not written (No space left on device)" in said


def test_a_textfile_path_that_cannot_be_is_a_usage_error_before_the_run(run_checks, tmp_path):
    (tmp_path / "blocked").write_text("a file where the folder should be\n")
    for path, why in ((tmp_path / "blocked" / "g.prom", "is a file, not a folder"), (tmp_path, "is a folder"),
                      ("report.json", "--report-json")):
        result = run_checks("--mock", "-m", "config", "--prometheus", str(path))
        assert result.ret == 4, path
        assert "--prometheus" in result.stderr and why in result.stderr and "Traceback" not in result.stderr


def test_a_runs_incidents_reach_the_history_and_the_textfile(tmp_path):
    from gigacheck import history
    from gigacheck.between import RunFacts, after_run
    from gigacheck.report import CheckRecord
    incidents = {("LG015", "2026-12-07T09:00:00"): {"code": "LG015", "state": "ongoing", "rows": 90,
                                                    "first_seen": "2026-12-07T09:00:00",
                                                    "last_seen": "2026-12-07T09:40:00", "resolved_by": None},
                 ("LG014", "2026-12-07T08:00:00"): {"code": "LG014", "state": "resolved", "rows": 3,
                                                    "first_seen": "2026-12-07T08:00:00",
                                                    "last_seen": "2026-12-07T08:05:00",
                                                    "resolved_by": "api: 08:06 [INFO] HTTP Request: POST https://"
                                                                   "gigachat/api/v1/chat/completions 200 OK"}}
    records = [CheckRecord(id="checks/test_logs.py::test_payment", outcome="failed", codes=["LG015"], area="logs")]
    facts = RunFacts(started_at="2026-12-07T10:00:00+00:00", verdict="failed", mode="live", scenario=None,
                     duration_s=2.0, finished_at=time.time(), records=records, incidents=incidents)
    outcome = after_run(facts, history_path=tmp_path / "h.sqlite3", prometheus_path=tmp_path / "g.prom")
    assert outcome.changes["new"] == ["LG015"]
    (stored,) = history.runs(tmp_path / "h.sqlite3")
    assert sorted(i["code"] for i in stored.incidents) == ["LG014", "LG015"] and stored.ongoing == {"LG015": 1}
    assert {i["code"]: i["resolved_by"] for i in stored.incidents} == {"LG014": "api", "LG015": None}  # no row text
    metrics = read(tmp_path / "g.prom")
    assert metrics["gigacheck_incidents_ongoing"]["LG015"] == 1 and metrics["gigacheck_incidents_ongoing"]["LG014"] == 0
    assert metrics["gigacheck_failures"]["LG015"] == 1 and metrics["gigacheck_verdict"][None] == 2


def test_the_incidents_the_json_lists_are_the_ones_remembered_and_counted(run_checks, tmp_path):
    from gigacheck import history
    result = run_checks("--mock=payment-required", "--history", str(tmp_path / "h.sqlite3"),
                        "--prometheus", str(tmp_path / "g.prom"))
    listed = result.json.get("incidents", [])
    (stored,) = history.runs(tmp_path / "h.sqlite3")
    assert [(i["code"], i["state"], i["first_seen"], i["rows"]) for i in stored.incidents] == \
        [(i["code"], i["state"], i["first_seen"], i["rows"]) for i in listed]
    ongoing = read(tmp_path / "g.prom")["gigacheck_incidents_ongoing"]
    for code in {i["code"] for i in listed} | set(ongoing):
        assert ongoing.get(code, 0) == sum(i["code"] == code and i["state"] == "ongoing" for i in listed), code
