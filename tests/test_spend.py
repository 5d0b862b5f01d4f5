"""Whole mock runs of checks/ with and without --spend: nothing is spent without it,
the cost is said first, and each spend scenario gives its code."""

import base64
import json

import pytest

from urllib.parse import urlsplit

from gigacheck import sdk
from tests.support.checksrun import FIXTURES, REPO

MODELS = ["GigaChat-Pro", "GigaChat-Max", "GigaChat"]
CHAT = "test_generation.py::test_does_every_model_in_the_priority_list_answer"
IMAGE = "test_generation.py::test_can_the_site_generate_an_image"
BALANCE = "test_generation.py::test_is_the_balance_above_the_minimum"
FALLBACK = "test_generation.py::test_does_the_fallback_provider_answer"
LIST = "test_api.py::test_does_the_models_list_answer_with_the_token"
SDK = sdk.defaults()  # the installed SDK decides the host, and whether chat is checked on v2 as well
CHATS = len(MODELS) * (2 if SDK.v2_chat else 1)
JPEG_B64 = base64.b64encode((FIXTURES / "images" / "green-circle.jpg").read_bytes()).decode()


def sample(scenario, name):
    for line in (FIXTURES / "scenarios" / scenario / "env").read_text().splitlines():
        if line.startswith(name + "="):
            return line.split("=", 1)[1]
    raise KeyError(name)


def test_without_spend_nothing_is_spent_and_the_skips_say_the_cost(run_checks):
    result = run_checks("--mock", "-m", "generation", "-rs", "-p", "tests.support.callcount",
                        env={"PYTHONPATH": str(REPO)})
    assert result.ret == 0
    # counted twice, independently: the run's own summary, and the mock's log of answered calls
    assert result.json["requests"]["chat"] == 0 and result.json["requests"]["files"] == 0
    calls = [tuple(c) for c in json.loads((result.path / "calls.json").read_text())]
    assert not [c for c in calls if c[1].endswith("/chat/completions") or "/files/" in c[1]]
    assert ("GET", urlsplit(SDK.base_url).path + "/balance") in calls and ("GET", "/openai/v1/models") in calls  # the free checks ran
    spending = [c for c in result.checks if CHAT in c["id"] or IMAGE in c["id"]]
    assert len(spending) == 4 and all(c["outcome"] == "skipped" for c in spending)
    for check in spending:
        assert "--spend" in check["summary"] and f"{CHATS} chat completions" in check["summary"]
        assert all(m in check["summary"] for m in MODELS)
    assert "1 chat completion with GigaChat-Max" in result.check(CHAT + "[GigaChat-Max]")["summary"]
    assert f"--spend would use {CHATS} chat completions" in result.stdout
    assert result.check(BALANCE)["outcome"] == "passed" and result.check(FALLBACK)["outcome"] == "passed"


def test_with_spend_the_estimate_comes_first_and_the_picture_is_in_the_report(run_checks):
    # two xdist workers: each has its own client, the controller sums their requests
    result = run_checks("--mock", "--spend", "-n", "2")
    assert result.ret == 0, result.failed()
    assert set(result.outcomes.values()) == {"passed"}
    estimate = result.stdout.index(f"--spend: the spending checks may use {CHATS} chat completions")
    assert estimate < result.stdout.index("passed")
    assert result.json["requests"]["chat"] == CHATS + 1 and result.json["requests"]["files"] == 1
    assert f"data:image/jpeg;base64,{JPEG_B64[:200]}" in result.html
    assert "GigaChat-Max (answered by GigaChat-Max:" in result.html and "total " in result.html  # latency, tokens
    everything = result.everything()
    for secret in (sample("healthy", "PROXY_API_KEY"), sample("healthy", "GIGACHAT_CREDENTIALS")):
        assert secret not in everything


@pytest.mark.parametrize("scenario, spend, failed", [
    ("no-image-tag", True, {IMAGE: "GC042"}),
    ("payment-required", True, {CHAT + "[GigaChat-Pro]": "GC033"}),
    ("fallback-down", False, {FALLBACK: "GC045"}),
    ("rate-limited", True, {LIST: "GC027"}),
])
def test_each_spend_scenario_gives_its_code(run_checks, scenario, spend, failed):
    args = [f"--mock={scenario}", "-m", "api or generation"] + (["--spend"] if spend else [])
    result = run_checks(*args)
    assert result.ret == 1
    got = {cid.split("checks/", 1)[1]: codes for cid, codes in result.failed().items()}
    assert got == {k: [v] for k, v in failed.items()}
    check = result.check(next(iter(failed)))
    assert check["summary"].startswith(f"[{failed[next(iter(failed))]}]") and check["remedy"]
    if scenario == "payment-required":  # the site falls back to the next model, and so does the check
        assert result.check(IMAGE)["outcome"] == "passed"
    if scenario == "rate-limited":  # an API that fails for everyone is not paid for per model
        assert result.json["requests"]["chat"] == 0 and result.json["requests"]["files"] == 0
        spending = [c for c in result.checks if CHAT in c["id"] or IMAGE in c["id"]]
        assert len(spending) == 4 and all(c["outcome"] == "skipped" and c["codes"] == ["GC027"] for c in spending)
    if scenario == "fallback-down":
        key = sample(scenario, "PROXY_API_KEY")
        assert key not in result.everything() and "****" + key[-4:] in result.html
