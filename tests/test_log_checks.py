"""`checks/test_logs.py` run as a user runs it (pytester, via the suite's runner): each check's
outcome and code, in mock mode and against a real MariaDB."""

import re
from datetime import datetime, timedelta, timezone

import pytest

from tests.support.checksrun import CHECKS, REPO

LOG_CHECKS = CHECKS / "test_logs.py"

Q = {  # code -> the check that asks about it
    "LG001": "test_is_a_log_source_configured",
    "LG002": "test_can_the_log_database_be_reached",
    "LG003": "test_does_the_log_table_exist",
    "LG004": "test_does_the_log_table_have_timestamp_level_message",
    "LG005": "test_is_the_timestamp_column_indexed",
    "LG008": "test_are_the_newest_rows_dated_no_later_than_now",
    "LG009": "test_can_every_timestamp_be_read_as_a_date",
    "LG010": "test_are_there_no_gigachat_errors_in_the_window",
    "LG011": "test_did_gigachat_return_no_empty_paths",
    "LG012": "test_did_every_image_generation_succeed",
    "LG013": "test_are_there_no_timeouts",
    "LG014": "test_is_gigachat_not_rate_limiting_the_site",
    "LG015": "test_do_the_models_have_tokens_left",
    "LG016": "test_did_every_image_answer_have_an_img_tag",
    "LG017": "test_were_the_images_saved_without_errors",
    "LG018": "test_was_an_image_saved_while_gigachat_was_used",
    "LG019": "test_are_there_no_404_or_oauth_failures",
    "LG020": "test_did_gigachat_answer_without_server_errors",
    "LG021": "test_can_the_site_verify_gigachats_certificates",
    "LG022": "test_could_the_site_reach_gigachat",
}


def plugin_args():
    """The log plugin, until gigacheck.plugin loads it itself."""
    import gigacheck.plugin
    return [] if "gigacheck.logs.plugin" in getattr(gigacheck.plugin, "pytest_plugins", ()) else \
        ["-p", "gigacheck.logs.plugin"]


@pytest.fixture
def run_logs(run_checks):
    def run(*args, env=None, **kw):
        env = dict(env or {})
        if plugin_args():
            env.setdefault("PYTHONPATH", str(REPO))
        return run_checks(*plugin_args(), *args, env=env, checks=LOG_CHECKS, **kw)
    return run


def outcomes(run) -> dict:
    """question -> (outcome, codes) for every log check of the run."""
    out = {}
    for check in run.checks:
        name = check["id"].split("::")[-1]
        out[name] = (check["outcome"], tuple(check["codes"]))
    assert len(out) == len(Q), sorted(out)
    return out


def explained(want: dict, *codes) -> dict:
    """`want` with these codes skipped as consequences of a failed cause (gigacheck/causes.py)."""
    for code in codes:
        want[Q[code]] = ("skipped", (code,))
    return want


def expect(failed=(), warned=(), skipped=(), skip_code="LG001"):
    """Every log check's (outcome, codes): the failed codes fail, the warned ones pass with their
    code, the `skipped` ones skip with `skip_code`, everything else passes clean."""
    out = {}
    for key, name in Q.items():
        if key in failed:
            out[name] = ("failed", (key,))
        elif key in warned:
            out[name] = ("passed", (key,))
        elif key in skipped:
            out[name] = ("skipped", (skip_code,))
        else:
            out[name] = ("passed", ())
    return out


SCENARIOS = {  # scenario -> (failed codes, warned codes, codes skipped as consequences of the failed one);
    # LG010 only for errors no other signature explains
    "healthy": ((), (), ()),
    "fallback-down": ((), (), ()),
    "unknown-model": (("LG010",), (), ()),
    "bad-key": (("LG019",), (), ("LG018",)),
    "wrong-scope": (("LG019",), (), ("LG018",)),
    "expired-token": (("LG019",), (), ("LG018",)),  # `401 Unauthorized`: an API 401
    "wrong-base-url": (("LG019",), (), ("LG018",)),
    "rate-limited": (("LG014",), (), ("LG018",)),
    "payment-required": (("LG015",), (), ()),
    "no-image-tag": (("LG016",), (), ("LG011", "LG012", "LG018")),
    "provider-down": (("LG020",), (), ("LG018",)),  # the SynGX 502 page
    # a log-only run sees the rows, not the cause: the timeout getting the token also logs `No access
    # token available` (LG019), as the TLS error does (LG021, `CERTIFICATE_VERIFY_FAILED`);
    # with the network checks, GC021 and GC022 are the one failure (tests/test_one_cause.py)
    "timeout": (("LG013", "LG019"), (), ("LG018",)),
    "tls-error": (("LG021", "LG019"), (), ("LG018",)),
}


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_each_mock_scenario_gives_its_log_findings(run_logs, scenario):
    failed, warned, consequences = SCENARIOS[scenario]
    run = run_logs(f"--mock={scenario}")
    assert outcomes(run) == explained(expect(failed, warned), *consequences)
    assert run.ret == (1 if failed else 0)
    for code in failed:  # the evidence rows are in the report
        assert re.search(rf"\[{code}\].*\n(.*\n)*?Evidence:\n  embedded SQLite of mock scenario {scenario}", run.stdout)
    for c in run.checks:
        if c["outcome"] == "skipped":
            assert "(reported by checks/test_logs.py::test_" in c["summary"], c


def test_every_scenario_is_covered():
    assert sorted(SCENARIOS) == sorted(p.name for p in (REPO / "fixtures" / "scenarios").iterdir() if p.is_dir())


def test_live_without_a_database_one_lg001_and_the_rest_skip(run_logs):
    run = run_logs()
    got = outcomes(run)
    assert got.pop(Q["LG001"]) == ("failed", ("LG001",))
    assert set(got.values()) == {("skipped", ("LG001",))}


@pytest.fixture
def site_db(mariadb_server):
    """A site database on MariaDB with a SELECT-only user, its log table without an index."""
    from tests.support.mariadb import LogDB
    db = LogDB("mariadb", None, mariadb_server)
    now = datetime.now(timezone.utc)
    db.make([("INFO", "GigaChat: ответ получен", 50), ("INFO", "Изображение сохранено: a.jpg", 45),
             ("ERROR", "❌ GigaChat error: 429 Too Many Requests", 40), ("WARNING", "GigaChat: cooldown 60 с", 30),
             ("ERROR", "❌ GigaChat error: ответ не разобран", 42),
             ("ERROR", "GigaChat 402 Payment Required", 60 * 30)], now=now)
    user, password = mariadb_server.create_user(db.database, grants="SELECT")
    db.url = mariadb_server.url(db.database, user, password)
    db.password = password
    return db


def test_live_on_mariadb_with_a_select_only_user(run_logs, site_db, mariadb_server):
    with mariadb_server.general_log(site_db.database) as sent:
        run = run_logs(env={"DATABASE_URL": site_db.url})
    assert outcomes(run) == expect(failed=("LG010", "LG014"), warned=("LG005",))
    assert "CREATE INDEX `Asistent_systemlog_timestamp_idx` ON `Asistent_systemlog` (`timestamp`);" in run.stdout
    assert "db_index=True" in run.stdout
    assert re.search(r"\[LG014\](.*\n)+?Evidence:\n.*2 rows matching.*newest first\n.*\[WARNING\] GigaChat: "
                     r"cooldown 60 с\n.*\[ERROR\] ❌ GigaChat error: 429 Too Many Requests\n", run.stdout)
    assert site_db.password not in run.everything()
    # the server's own record: nothing but reads from the checks' connections
    assert sent
    allowed = re.compile(r"^\s*(SELECT|EXPLAIN SELECT|SET SESSION|SET NAMES|START TRANSACTION READ ONLY|ROLLBACK)\b",
                         re.I)
    assert [s for s in sent if not allowed.match(s)] == []
    assert any(re.match(r"SET SESSION max_statement_time", s) for s in sent)
    assert any(re.match(r"SET SESSION TRANSACTION READ ONLY", s) for s in sent)


def test_thresholds_and_window_from_the_command_line(run_logs, site_db):
    env = {"DATABASE_URL": site_db.url}
    run = run_logs("-o", "gigacheck_log_thresholds=LG014=1 LG010=1", env=env)
    assert outcomes(run) == expect(failed=("LG014",), warned=("LG005",))  # LG010: 1 is not above 1
    assert "[LG014] 429 / too many requests / cooldown: 2 entries in the last 24 h (threshold 1)" in run.stdout
    run = run_logs("--hours", "0.6", env=env)  # 36 minutes: the cooldown row; no image asked for, so no LG018
    assert outcomes(run) == expect(failed=("LG014",), warned=("LG005",))
    run = run_logs("--hours", "48", env=env)  # the 402 of 30 h ago: answers and images came after it
    assert outcomes(run) == expect(failed=("LG010", "LG014"), warned=("LG005",))
    assert re.search(r"↺ logs +\[LG015\] 402 / payment required / balance resolved: \d\d:\d\d-\d\d:\d\d, 1 row",
                     run.stdout)


def test_level_search_and_limit_narrow_the_evidence(run_logs):
    run = run_logs("--mock=rate-limited", "--level", "ERROR", "--limit", "1")
    block = run.stdout.split("[LG014]", 1)[1].split("\n\n", 1)[0]
    assert "shown: level ERROR and above" in block
    assert len(re.findall(r"^  \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \[", block, re.M)) == 1
    assert "[ERROR] ❌ GigaChat error: 429 Too Many Requests" in block and "… and 2 more (--limit 1)" in block
    run = run_logs("--mock=rate-limited", "--search", "COOLDOWN")
    block = run.stdout.split("[LG014]", 1)[1].split("\n\n", 1)[0]
    assert "[WARNING] GigaChat: cooldown 60 с после 429" in block and "Too Many Requests\n" not in block


def test_wrong_password_one_lg002_and_no_password_anywhere(run_logs, site_db, mariadb_server):
    url = mariadb_server.url(site_db.database, site_db.url.split("//")[1].split(":")[0], "Not-The-Pass-5150")
    run = run_logs(env={"DATABASE_URL": url})
    got = outcomes(run)
    assert got.pop(Q["LG001"]) == ("passed", ())
    assert got.pop(Q["LG002"]) == ("failed", ("LG002",))
    assert set(got.values()) == {("skipped", ("LG002",))}
    assert "Access denied" in run.stdout
    assert "Not-The-Pass-5150" not in run.everything()


def test_missing_table_and_missing_column_on_mariadb(run_logs, mariadb_server):
    from tests.support.mariadb import LogDB
    db = LogDB("mariadb", None, mariadb_server)
    url = db.make([("ERROR", "HTTP 429", 5)], table="some_other_table")
    got = outcomes(run_logs(env={"DATABASE_URL": url}))
    assert got[Q["LG003"]] == ("failed", ("LG003",)) and got[Q["LG014"]] == ("skipped", ("LG003",))
    url = db.make(columns=["id", "timestamp", "message"])
    got = outcomes(run_logs(env={"DATABASE_URL": url}))
    assert got[Q["LG003"]] == ("passed", ()) and got[Q["LG004"]] == ("failed", ("LG004",))
    assert got[Q["LG005"]] == ("skipped", ("LG004",)) and got[Q["LG010"]] == ("skipped", ("LG004",))


def test_the_log_file_alone(run_logs, tmp_path):
    stamp = (datetime.now(timezone.utc) - timedelta(minutes=5)).strftime("%Y-%m-%d %H:%M:%S")
    log = tmp_path / "app.log"
    log.write_text(f"{stamp},120 - Asistent - INFO - Изображение сохранено: a.jpg\n"  # before it: still ongoing
                   f"{stamp},130 - Asistent - ERROR - ❌ GIGAChat error: <html><head><title>404 Not Found</title>\n",
                   encoding="utf-8")
    run = run_logs(env={"GIGACHECK_LOG_FILE": str(log)})
    got = outcomes(run)
    assert got == expect(failed=("LG019",), skipped=("LG002", "LG003", "LG004", "LG005"))  # LG019 explains it
    assert f"log file {log}: 1 row matching" in run.stdout  # "1 row", not "1 rows"


@pytest.mark.parametrize("args, says", [(["--hours", "0"], "--hours"), (["--level", "LOUD"], "unknown level"),
                                        (["-o", "gigacheck_log_thresholds=LG099=1"], "gigacheck_log_thresholds")])
def test_bad_log_options_are_usage_errors(run_logs, args, says):
    run = run_logs("--mock", *args)
    assert run.ret == 4 and says in run.stderr


def _scenario_db(tmp_path, scenario):
    """The scenario's rows in a site's SQLite, read live (a mock run reads no log file: SPEC)."""
    import json
    from gigacheck.logs.sources import seed_sqlite
    rows = json.loads((REPO / "fixtures" / "scenarios" / scenario / "logs.json").read_text(encoding="utf-8"))
    db = seed_sqlite(tmp_path / f"{scenario}.sqlite3", rows["rows"] if isinstance(rows, dict) else rows)
    return f"sqlite:///{db}"


def test_an_unreadable_log_file_is_one_lg001_and_the_database_still_speaks(run_logs, tmp_path):
    env = {"GIGACHECK_LOG_FILE": str(tmp_path / "missing.log"), "DATABASE_URL": _scenario_db(tmp_path, "healthy")}
    got = outcomes(run_logs(env=env))
    assert got == expect(failed=("LG001",), skipped=[c for c in Q if c >= "LG010"])
    env["DATABASE_URL"] = _scenario_db(tmp_path, "rate-limited")
    run = run_logs(env=env)
    got = outcomes(run)
    assert got[Q["LG001"]] == ("failed", ("LG001",))
    assert got[Q["LG014"]] == ("failed", ("LG014",)) and got[Q["LG013"]] == ("skipped", ("LG001",))
    assert "not read: [LG001]" in run.stdout
