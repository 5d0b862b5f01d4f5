"""`pytest checks/ -n 2` (pytest-xdist): one OAuth, one failure per root cause, one coherent report.

The workers' reports meet on the controller: the JSON lists every check once,
the doctor summary is printed once, warnings are counted once, and the
GigaChat checks share one worker (gigacheck/parallel.py) so one OAuth serves
them all, as in a serial run.
"""

import re

from tests.support.canary import assert_no_leaks
from tests.support.fakegiga import OAUTH_PATH, ClosedPort, Reply
from tests.support.faultrun import base_env, only


def xdist_run(run_checks, fake, giga_ca_file, canaries, *args, **extra_env):
    with ClosedPort() as db:
        env = base_env(fake, giga_ca_file, canaries, db.port)
        env.update(extra_env)
        return run_checks("-n", "2", "-p", "no:hypothesispytest", "-p", "no:benchmark", "-rA", *args, env=env)


def junit_ids(junit: str) -> list:
    """classname + name of every testcase, as `module.py::name` to compare with node ids."""
    ids = []
    for classname, name in re.findall(r'<testcase classname="([^"]*)" name="([^"]*)"', junit):
        ids.append(classname.replace(".", "/") + ".py::" + name)
    return ids


def test_a_parallel_run_makes_one_oauth_request_and_one_report(run_checks, fake_giga, giga_ca_file, canaries):
    # no CA bundle: with one set the SDK verifies whatever GIGACHAT_VERIFY_SSL_CERTS says (no GC011 then)
    result = xdist_run(run_checks, fake_giga, giga_ca_file, canaries, GIGACHAT_VERIFY_SSL_CERTS="false",
                       GIGACHAT_CA_BUNDLE_FILE="")
    assert "INTERNALERROR" not in result.stdout + result.stderr
    assert re.search(r"\bgw1\b", result.stdout), "the run was not parallel"
    assert fake_giga.oauth_requests == 1
    ids = [c["id"] for c in result.json["checks"]]
    assert len(ids) == len(set(ids)) and sorted(ids) == sorted(set(junit_ids(result.junit))), ids
    assert only(result) == {}, result.failed()
    # the doctor summary and the report paths are printed once, by the controller
    assert result.stdout.count("gigacheck LIVE") == 1
    assert re.findall(r"^report: .*", result.stdout, re.M) == ["report: reports/gigachat-health.html, report.json"]
    assert "Generated html report" not in result.stdout  # pytest-html's own line: the report line says it once
    assert result.html.count("id='gigacheck-verdicts'") == 1
    # the one warning (TLS verification off) is counted once, on its check
    assert result.json["counts"]["warnings"] == 1
    assert result.check("test_is_tls_verification_on")["codes"] == ["GC011"]
    assert_no_leaks([("xdist", result, dict(canaries.values(), issued=fake_giga.token))])


def test_a_parallel_run_fails_once_per_root_cause(run_checks, fake_giga, giga_ca_file, canaries):
    fake_giga.on("POST", OAUTH_PATH, Reply(401, json={"code": 6, "message": "credentials doesn't match db data"}))
    result = xdist_run(run_checks, fake_giga, giga_ca_file, canaries)
    assert fake_giga.oauth_requests == 1
    assert only(result) == {"checks/test_oauth.py::test_does_oauth_give_a_usable_token": ["GC023"]}
    after = [c for c in result.checks if c["outcome"] == "skipped" and "GC023" in c["codes"]]
    assert after and all("reported by checks/test_oauth.py" in c["summary"] for c in after)
