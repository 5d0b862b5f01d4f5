"""Whole runs of checks/ with a user's own configuration: what an operator sees."""

import base64
import re
import uuid
import xml.etree.ElementTree as ET

from urllib.parse import urlsplit

from gigacheck import sdk
from gigacheck.diagnosis import CATALOG


def key():
    return base64.b64encode(f"{uuid.uuid4()}:{uuid.uuid4()}".encode()).decode()


def test_no_configuration_fails_gc001_and_ends_normally(run_checks):
    result = run_checks("-m", "config or network or oauth or api")
    assert result.ret == 1
    assert "INTERNALERROR" not in result.stdout + result.stderr and "Traceback" not in result.stdout
    assert result.check("test_is_the_key_set")["codes"] == ["GC001"]
    assert result.check("test_is_the_key_set")["outcome"] == "failed"
    assert result.json["mode"] == "live"
    # one root cause: everything that needs the key is skipped and names GC001
    oauth = result.check("test_does_oauth_give_a_usable_token")
    assert oauth["outcome"] == "skipped" and oauth["codes"] == ["GC001"]
    # the hosts (a closed loopback port here) are a root cause of their own
    assert result.failed() == {"checks/test_config.py::test_is_the_key_set": ["GC001"],
                               "checks/test_network.py::test_can_the_auth_host_be_reached_over_verified_tls":
                                   ["GC020"]}
    assert result.check("test_can_the_api_host_be_reached")["codes"] == ["GC020"]


def test_a_users_malformed_key_is_checked_in_mock_mode(run_checks):
    result = run_checks("--mock", "-m", "config or oauth", env={"GIGACHAT_CREDENTIALS": "Bearer " + key()})
    assert result.check("test_is_the_key_free_of_a_bearer")["codes"] == ["GC002"]
    assert result.check("test_does_oauth_give_a_usable_token")["outcome"] == "skipped"


def test_env_file_option_and_precedence(run_checks):
    env_text = f"GIGACHAT_CREDENTIALS={key()}\nGIGACHAT_SCOPE=GIGACHAT_API_WRONG\n"
    result = run_checks("--mock", "-m", "config", env_file_text=env_text)
    assert result.check("test_is_the_scope_one_of_the_three")["codes"] == ["GC008"]
    result = run_checks("--mock", "-m", "config", env_file_text=env_text, env={"GIGACHAT_SCOPE": "GIGACHAT_API_B2B"})
    assert result.check("test_is_the_scope_one_of_the_three")["outcome"] == "passed"


def test_missing_env_file_is_a_usage_error(run_checks):
    result = run_checks("--env-file", "does-not-exist.env")
    assert result.ret == 4  # pytest's usage error
    assert "does-not-exist.env: no such file" in result.stderr
    assert "Traceback" not in result.stderr


def test_gigachat_turned_off_fails_gc014_and_skips_its_checks_naming_it(run_checks):
    result = run_checks("--mock", "-m", "config or network or oauth or api", env={"ENABLE_GIGACHAT": "false"})
    assert result.ret == 1  # README's table: GC014 fails
    enabled = result.check("test_is_gigachat_enabled")
    assert enabled["outcome"] == "failed" and enabled["codes"] == ["GC014"]
    assert result.failed() == {enabled["id"]: ["GC014"]}
    for check in result.checks:
        if "test_config.py" in check["id"]:
            continue
        assert check["outcome"] == "skipped" and check["codes"] == ["GC014"], check
        assert f"(reported by {enabled['id']})" in check["summary"]


def test_tls_verification_off_is_a_warning_that_can_fail(run_checks):
    result = run_checks("--mock", "-m", "config", env={"GIGACHAT_VERIFY_SSL_CERTS": "false"})
    assert result.ret == 0
    check = result.check("test_is_tls_verification_on")
    assert check["outcome"] == "passed" and check["codes"] == ["GC011"]
    assert result.json["counts"]["warnings"] == 1
    assert "TLS verification is OFF" in result.html
    assert " ! config" in result.stdout
    strict = run_checks("--mock", "-m", "config", "-W", "error::gigacheck.GigacheckWarning",
                        env={"GIGACHAT_VERIFY_SSL_CERTS": "false"})
    assert strict.ret == 1
    assert strict.check("test_is_tls_verification_on")["outcome"] == "failed"
    assert strict.check("test_is_tls_verification_on")["codes"] == ["GC011"]
    # a failed check with its code, not a Python traceback through gigacheck's own source
    assert "[GC011] TLS verification is turned off" in strict.stdout
    assert "Traceback" not in strict.stdout and "diagnosis.py" not in strict.stdout
    assert "warnings.warn(" not in strict.stdout and "GigacheckWarning" not in strict.stdout
    assert re.search(r"^ ✗ config +\[GC011\]", strict.stdout, re.M)
    # not strict: pytest's warnings summary shows the finding's first line, not the line that warned
    assert "diagnosis.py" not in result.stdout and "warn(" not in result.stdout
    assert re.search(r"^ ! config +\[GC011\] TLS verification is turned off", result.stdout, re.M)


def test_mock_answers_on_in_production_fail_gc013(run_checks):
    result = run_checks("--mock", "-m", "config", env={"USE_MOCK_RESPONSES": "true"})
    assert result.check("test_are_mock_answers_off")["codes"] == ["GC013"]


def test_a_ready_access_token_skips_oauth(run_checks):
    token = "eyJ" + uuid.uuid4().hex * 10
    result = run_checks("--mock", "-m", "config or network or oauth or api",
                        env={"GIGACHAT_ACCESS_TOKEN": token, "GIGACHAT_CREDENTIALS": ""})
    assert result.check("test_does_oauth_give_a_usable_token")["outcome"] == "skipped"
    assert result.check("test_is_the_key_set")["outcome"] == "skipped"
    assert result.check("test_does_the_models_list_answer")["outcome"] == "passed"
    assert result.ret == 0


def test_json_summary_shape(run_checks):
    result = run_checks("--mock=bad-key")
    data = result.json
    # SPEC's shape, in SPEC's order
    assert list(data)[:9] == ["verdict", "lang", "mode", "scenario", "started_at", "duration_s", "counts",
                              "requests", "checks"]
    # SPEC: "plus incidents, changes" (and the log zone, issue 18's clock)
    assert set(list(data)[9:]) <= {"incidents", "changes", "log_timezone"} and "changes" in data
    assert "incidents" in data
    assert data["verdict"] == "failed" and data["lang"] == "en" and data["scenario"] == "bad-key"
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", data["started_at"])
    assert isinstance(data["duration_s"], float) and data["duration_s"] > 0
    counts = data["counts"]
    assert counts["passed"] + counts["failed"] + counts["skipped"] == len(data["checks"])
    assert counts["failed"] == sum(c["outcome"] == "failed" for c in data["checks"])
    for check in data["checks"]:
        assert list(check) == ["id", "outcome", "codes", "summary", "remedy", "evidence", "duration_s"]
        assert isinstance(check["evidence"], list) and all(isinstance(e, str) for e in check["evidence"])
        assert check["outcome"] in ("passed", "failed", "skipped")
        assert all(code in CATALOG for code in check["codes"])
        if check["outcome"] == "failed":
            entry = CATALOG[check["codes"][0]]  # the catalog's remedy, or the one for its situation
            assert check["remedy"] in {entry.remedy} | {variant.remedy for _, variant in entry.variants}
            assert check["evidence"], check  # the HTTP exchange or the log rows
    gc023 = [c for c in data["checks"] if c["codes"] == ["GC023"] and c["outcome"] == "failed"]
    assert any(e.startswith("POST https://ngw.devices.sberbank.ru:9443/api/v2/oauth -> 401")
               for e in gc023[0]["evidence"])
    assert all(c["evidence"] == [] for c in data["checks"] if c["outcome"] != "failed" and not c["codes"])


def test_html_report_is_self_contained_and_says_what_it_checked(run_checks):
    token_like = key()
    result = run_checks("--mock=expired-token", "-m", "not logs", env={"GIGACHAT_CREDENTIALS": token_like,
                                                                      "SOME_OTHER_SECRET": "x-unrelated-42"})
    html = result.html
    assert html, "no report written"
    assert "<link rel=\"stylesheet\"" not in html  # self-contained: styles inline
    assert "GigaChat health: MOCK" in html
    assert urlsplit(sdk.defaults().base_url).hostname in html and "ngw.devices.sberbank.ru" in html
    assert "GC031" in html and "Token has expired" in html
    # the Environment table: our settings, masked, and nothing else of the process environment
    assert "GIGACHAT_CREDENTIALS" in html and token_like not in html
    assert "x-unrelated-42" not in html and "SOME_OTHER_SECRET" not in html
    assert "Platform" not in html and "Packages" not in html


def test_junit_xml_says_mock(run_checks):
    result = run_checks("--mock=healthy", "-m", "config")
    root = ET.fromstring(result.junit)
    props = {p.get("name"): p.get("value") for p in root.iter("property")}
    assert props.get("gigacheck_mode") == "MOCK"
    assert props.get("gigacheck_scenario") == "healthy"


def test_unknown_scenario_is_a_usage_error(run_checks):
    result = run_checks("--mock=no-such-scenario")
    assert result.ret == 4 and "unknown scenario 'no-such-scenario'" in result.stderr
    assert "healthy" in result.stderr
