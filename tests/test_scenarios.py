"""Every mock scenario, run through `checks/` as a user would: each check's outcome and code."""

import json

import pytest

from tests.support.checksrun import FIXTURES, REPO

AREAS = "config or network or oauth or api"
MODELS = ["GigaChat-Pro", "GigaChat-Max", "GigaChat"]
AUTH = "test_network.py::test_can_the_auth_host_be_reached_over_verified_tls"
APIHOST = "test_network.py::test_can_the_api_host_be_reached_over_verified_tls"
OAUTH = "test_oauth.py::test_does_oauth_give_a_usable_token"
LIST = "test_api.py::test_does_the_models_list_answer_with_the_token"


def served(model):
    return f"test_api.py::test_is_every_configured_model_served[{model}]"


def after(code, *checks):
    return {c: ("skipped", code) for c in checks}


# scenario -> {check: (outcome, code)}; every check not named must pass.
EXPECTED = {
    "healthy": {},
    "payment-required": {},   # 402 comes from spending checks (--spend)
    "no-image-tag": {},       # so does the missing <img>
    "fallback-down": {},      # the fallback provider is a generation check
    "bad-key": {OAUTH: ("failed", "GC023"), **after("GC023", LIST, *map(served, MODELS))},
    "wrong-scope": {OAUTH: ("failed", "GC024"), **after("GC024", LIST, *map(served, MODELS))},
    "expired-token": {LIST: ("failed", "GC031"), **after("GC031", *map(served, MODELS))},
    "wrong-base-url": {LIST: ("failed", "GC030"), **after("GC030", *map(served, MODELS))},
    "unknown-model": {served("GigaChat-3-Ultra"): ("failed", "GC032")},
    "rate-limited": {LIST: ("failed", "GC027"), **after("GC027", *map(served, MODELS))},
    "provider-down": {LIST: ("failed", "GC029"), **after("GC029", *map(served, MODELS))},
    "timeout": {AUTH: ("failed", "GC021"), **after("GC021", OAUTH, LIST, *map(served, MODELS))},
    "tls-error": {AUTH: ("failed", "GC022"), **after("GC022", APIHOST, OAUTH, LIST, *map(served, MODELS))},
}


def test_every_scenario_on_disk_is_covered():
    on_disk = {p.name for p in (FIXTURES / "scenarios").iterdir() if p.is_dir()}
    spec = {"healthy", "bad-key", "wrong-scope", "expired-token", "wrong-base-url", "unknown-model",
            "rate-limited", "payment-required", "no-image-tag", "provider-down", "timeout", "tls-error"}
    assert spec <= on_disk
    assert spec <= set(EXPECTED)


@pytest.mark.parametrize("scenario", sorted(EXPECTED))
def test_scenario_gives_its_codes(run_checks, scenario):
    result = run_checks(f"--mock={scenario}", "-m", AREAS)
    assert "INTERNALERROR" not in result.stdout + result.stderr
    assert result.json["mode"] == "mock" and result.json["scenario"] == scenario
    expected = EXPECTED[scenario]
    seen = {}
    for check in result.checks:
        key = next((k for k in expected if check["id"].endswith(k)), None)
        if key is None:
            assert check["outcome"] == "passed", (check["id"], check["summary"])
            assert check["codes"] == []
            continue
        outcome, code = expected[key]
        seen[key] = check
        assert check["outcome"] == outcome, (check["id"], check["summary"])
        assert check["codes"] == [code], check
        if outcome == "skipped":
            # names the check that failed for the same root cause
            assert check["summary"].startswith(f"[{code}]") and "reported by checks/" in check["summary"]
        else:
            assert check["summary"].startswith(f"[{code}]") and check["remedy"]
    assert set(seen) == set(expected), set(expected) - set(seen)
    failed = [c for c in result.checks if c["outcome"] == "failed"]
    assert result.ret == (1 if failed else 0)
    assert len(failed) <= 1, "one root cause, one failure"
    # the doctor summary and the HTML carry the same verdict, and say MOCK
    assert "gigacheck MOCK" in result.stdout
    assert "MOCK" in result.html and scenario in result.html
    for check in failed:
        code = check["codes"][0]
        assert "✗" in result.stdout and f"[{code}]" in result.stdout
        assert result.html.count(f"class='gc-card gc-failed' data-code='{code}'") == 1  # each failure once


def test_failure_message_has_cause_remedy_and_masked_evidence(run_checks):
    result = run_checks("--mock=bad-key", "-m", "oauth", "-rf")
    text = result.stdout
    start = text.index("[GC023] OAuth rejected the key")
    block = text[start:start + 2000]
    for part in ("Cause:", "Remedy:", "Evidence:", "POST https://ngw.devices.sberbank.ru:9443/api/v2/oauth -> 401",
                 "credentials doesn't match db data"):
        assert part in block, part
    assert "X-Request-Id" not in block  # production's OAuth answers carry none, so neither does the mock


def test_one_oauth_request_per_run(run_checks):
    # every api check needs the token; the mock counts the OAuth calls it answered
    result = run_checks("--mock", "-m", AREAS, "-p", "tests.support.callcount", env={"PYTHONPATH": str(REPO)})
    calls = json.loads((result.path / "calls.json").read_text())
    assert calls.count(["POST", "/api/v2/oauth"]) == 1
    assert sum(1 for c in calls if c[0] == "GET" and c[1].endswith("/v1/models")) == 1  # on the SDK's host
