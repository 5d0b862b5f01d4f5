"""The fault matrix: every way the fake GigaChat misbehaves, over real sockets, through `pytest checks/`.

Each fault must give its code (tests/support/faults.py), at the check that owns
the question, once (one root cause, one failure), with no INTERNALERROR and no
traceback, in under 30 s with GIGACHAT_TIMEOUT=2, and with one OAuth request at most.
"""

import re

import pytest

from tests.support.canary import assert_no_leaks
from tests.support.checksrun import REPO
from tests.support.fakegiga import FakeGigaChat
from tests.support.faultrun import LOUD, RUN_LIMIT, TIMEOUT, only
from tests.support.faults import BY_NAME, FAULTS, markdown_table

REDIRECTS = [f.name for f in FAULTS if "redirect-other-host" in f.name]


@pytest.mark.parametrize("name", [f.name for f in FAULTS])
def test_fault_gives_its_code(fault_run, name):
    run, fault = fault_run(name), BY_NAME[name]
    result = run.result
    both = result.stdout + result.stderr
    assert "INTERNALERROR" not in both and "Traceback (most recent call last)" not in both, both[-3000:]
    assert result.ret in (0, 1), f"exit {result.ret}\n{both[-3000:]}"
    failed = only(result)
    if fault.code is None:
        assert failed == {}, failed
    else:
        assert len(failed) == 1, f"one root cause, one failure: {failed}"
        (check_id, codes), = failed.items()
        assert check_id.endswith(fault.check) and codes == [fault.code], (check_id, codes)
        summary = result.check(fault.check)["summary"]
        assert summary.startswith(f"[{fault.code}]") and fault.says in summary, summary
    assert run.seconds < RUN_LIMIT, f"{name} took {run.seconds:.1f} s"
    assert run.oauth_requests <= 1


@pytest.mark.parametrize("name", REDIRECTS)
def test_a_redirect_to_another_host_is_not_followed(fault_run, name):
    run = fault_run(name)
    assert run.other_host_seen == [], [(s.method, s.path, s.header("Authorization")) for s in run.other_host_seen]
    summary = run.result.check(run.fault.check)["summary"]
    assert "127.0.0.1:" in summary and "not followed" in summary, summary


def test_a_50_mb_body_is_not_read_to_its_end(fault_run):
    run = fault_run("api-50mb")
    # 1 MiB read, and what the kernel's socket buffers took before the client hung up
    assert run.body_bytes_sent < 16 << 20, run.body_bytes_sent


def test_when_every_peer_is_a_black_hole_the_run_still_ends_in_bounded_time(in_process, giga_ca, giga_ca_file,
                                                                            canaries):
    """OAuth host, API host, fallback provider and database each accept and never speak: each
    costs one timeout, once, and the run ends well inside the limit."""
    with FakeGigaChat(giga_ca, silent=True) as auth, FakeGigaChat(giga_ca, silent=True) as api, \
            FakeGigaChat(giga_ca, silent=True) as fallback, FakeGigaChat(giga_ca, silent=True) as db:
        env = {"GIGACHAT_CREDENTIALS": canaries.key, "GIGACHAT_TIMEOUT": TIMEOUT,
               "GIGACHAT_AUTH_URL": auth.auth_url, "GIGACHAT_BASE_URL": api.base_url,
               "GIGACHAT_CA_BUNDLE_FILE": str(giga_ca_file), "PROXY_API_BASE_URL": fallback.proxy_url,
               "PROXY_API_KEY": canaries.proxy_key,
               "DATABASE_URL": f"mysql://site:{canaries.db_password}@127.0.0.1:{db.port}/site"}
        result, seconds = in_process.run("black-holes", LOUD, env)
    both = result.stdout + result.stderr
    assert "INTERNALERROR" not in both and "Traceback (most recent call last)" not in both, both[-3000:]
    assert seconds < RUN_LIMIT, seconds
    failed = result.failed()
    assert failed.pop("checks/test_network.py::test_can_the_auth_host_be_reached_over_verified_tls") == ["GC021"]
    assert failed.pop("checks/test_network.py::test_can_the_api_host_be_reached_over_verified_tls") == ["GC021"]
    assert failed.pop("checks/test_generation.py::test_does_the_fallback_provider_answer") == ["GC045"]
    assert failed.pop("checks/test_logs.py::test_can_the_log_database_be_reached") == ["LG002"]
    assert failed == {}, failed
    assert_no_leaks([("black holes", result, canaries.values())])


def test_the_matrix_covers_every_code_of_the_network_oauth_and_api_areas():
    from gigacheck.diagnosis import CATALOG
    # warnings do not fail a check: GC035 (a stale preset token) is proven in tests/test_sdk_sockets.py
    wanted = {c for c, e in CATALOG.items() if e.area in ("network", "oauth", "api") and e.severity == "fail"}
    assert wanted <= {f.code for f in FAULTS}, wanted - {f.code for f in FAULTS}


def readme_faults_table() -> str:
    text = (REPO / "docs" / "troubleshooting.md").read_text(encoding="utf-8")
    m = re.search(r"<!-- faults:start -->\n(.*?)<!-- faults:end -->", text, re.S)
    assert m, "docs/troubleshooting.md has no <!-- faults:start --> ... <!-- faults:end --> section"
    return m.group(1).strip()


def test_readme_fault_table_is_the_matrix():
    # the table moved from README to docs/troubleshooting.md (README links it)
    assert readme_faults_table() == markdown_table(), \
        "docs/troubleshooting.md's fault table drifted: regenerate it with `python -m tests.support.faults`"
