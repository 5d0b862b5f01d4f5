"""One root cause, one failure (issue 8 item 4): every mock scenario, every area, with and
without --spend, gives exactly one failed check and no warning beside it; the log checks that
show the same cause skip naming that check, and the failure carries the site's log rows."""

import pytest

from gigacheck.causes import EXPLAINS, explaining
from gigacheck.diagnosis import CATALOG
from tests.support.checksrun import FIXTURES

OAUTH = "test_oauth.py::test_does_oauth_give_a_usable_token"
LIST = "test_api.py::test_does_the_models_list_answer_with_the_token"
AUTH_HOST = "test_network.py::test_can_the_auth_host_be_reached_over_verified_tls"
IMG_LOG = "test_logs.py::test_did_every_image_answer_have_an_img_tag"

# scenario -> (the failing check, its code) without --spend, and with it where it differs
ONE_FAILURE = {
    "healthy": (None, None),
    "bad-key": (OAUTH, "GC023"),
    "wrong-scope": (OAUTH, "GC024"),
    "expired-token": (LIST, "GC031"),
    "wrong-base-url": (LIST, "GC030"),
    "unknown-model": ("test_is_every_configured_model_served[GigaChat-3-Ultra]", "GC032"),
    "rate-limited": (LIST, "GC027"),
    "payment-required": ("test_is_the_balance_above_the_minimum", "GC033"),
    "no-image-tag": (IMG_LOG, "LG016"),
    "provider-down": (LIST, "GC029"),
    "timeout": (AUTH_HOST, "GC021"),
    "tls-error": (AUTH_HOST, "GC022"),
    "fallback-down": ("test_does_the_fallback_provider_answer", "GC045"),
}
WITH_SPEND = {
    "payment-required": ("test_does_every_model_in_the_priority_list_answer[GigaChat-Pro]", "GC033"),
    "no-image-tag": ("test_can_the_site_generate_an_image", "GC042"),
}
# the scenarios whose log rows show the cause: the failure quotes them
LOG_AGREES = {"bad-key", "wrong-scope", "expired-token", "wrong-base-url", "unknown-model", "rate-limited",
              "payment-required", "provider-down", "timeout", "tls-error"}


def test_every_scenario_on_disk_has_its_one_failure():
    assert {p.name for p in (FIXTURES / "scenarios").iterdir() if p.is_dir()} == set(ONE_FAILURE)


@pytest.mark.parametrize("spend", [False, True], ids=["free", "spend"])
@pytest.mark.parametrize("scenario", sorted(ONE_FAILURE))
def test_one_root_cause_gives_one_failure(run_checks, scenario, spend):
    result = run_checks(f"--mock={scenario}", "-rs", *(["--spend"] if spend else []))
    check, code = (WITH_SPEND.get(scenario) if spend else None) or ONE_FAILURE[scenario]
    failed = result.failed()
    if check is None:
        assert failed == {} and result.ret == 0
    else:
        assert len(failed) == 1, failed
        (nodeid, codes), = failed.items()
        assert nodeid.endswith(check) and codes == [code], failed
        assert result.ret == 1
    # request counts count what left this machine: no OAuth request leaves when its host times out
    # at connect or fails TLS (issue 8 item 10)
    assert result.json["requests"]["oauth"] == (0 if scenario in ("timeout", "tls-error") else 1)
    assert result.json["counts"]["warnings"] == 0, [c for c in result.checks if c["codes"] and
                                                      c["outcome"] == "passed"]
    for c in result.checks:
        if c["outcome"] == "skipped" and c["codes"] and c["codes"][0].startswith("LG"):
            # a log check skipped by a cause names the check that reported it
            assert f"(reported by {next(iter(failed))})" in c["summary"], c
    if scenario in LOG_AGREES or (spend and scenario == "no-image-tag"):
        assert "The site's log agrees: rows since " in result.stdout
    if check is not None and code.startswith("GC"):
        # every log signature the cause explains is skipped, never passed over silently
        explained = [c for c in result.checks if "test_logs.py" in c["id"] and c["outcome"] == "skipped"]
        assert all(c["codes"][0] in EXPLAINS[code] for c in explained), explained


def test_every_cause_and_consequence_is_a_catalog_code():
    for cause, consequences in EXPLAINS.items():
        assert cause in CATALOG
        assert consequences and all(c in CATALOG and c.startswith("LG") for c in consequences), cause


def test_explaining_names_the_check_that_reported_the_cause():
    failed = {"GC023": "checks/test_oauth.py::t"}
    assert explaining("LG019", failed) == "checks/test_oauth.py::t"
    assert explaining("LG018", failed) == "checks/test_oauth.py::t"
    assert explaining("LG017", failed) is None      # a full disk is not a bad key
    assert explaining("GC023", failed) is None      # a cause never explains itself
    assert explaining("LG015", {"GC027": "x"}) is None
