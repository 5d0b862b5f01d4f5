"""No secret in any output: canary values through every mock scenario and every fault.

Canaries: a real-shaped key (base64 of two fresh UUIDs), the access token
(GIGACHAT_ACCESS_TOKEN in some runs, the fake's OAuth-issued token in the
others), the database password and the fallback key.  Every output of each run
is read in full (terminal at -vv -l --tb=long -rA with DEBUG logs, HTML, JSON,
JUnit XML with every test's logs) and searched for any 12-character piece of
each value, which also finds `Basic <key>`, `Bearer <token>` and the decoded
client secret, and for any URL that still carries a password.
"""

import re

import pytest

from gigacheck.gigachat import mock
from gigacheck.redact import mask
from tests.support.canary import assert_no_leaks, find_leaks, outputs_of
from tests.support.checksrun import FIXTURES
from tests.support.fakegiga import ClosedPort
from tests.support.faultrun import LOUD
from tests.support.faults import FAULTS

MOCK_TOKEN = re.compile(r"mock\.[A-Za-z0-9_-]{24,}")  # the mock's per-run token (gigacheck/gigachat/mock.py)
SCENARIOS = mock.scenarios(FIXTURES)


@pytest.mark.parametrize("name", [f.name for f in FAULTS])
def test_no_fault_run_leaks_a_secret(fault_run, name):
    run = fault_run(name)
    assert run.result.json.get("checks"), "the run wrote no report"
    assert_no_leaks([(name, run.result, run.secrets)])


# (scenario, extra environment, extra options): every scenario once with the key, a few
# with a ready access token, TLS verification off (a warning) or live DEBUG logs as well.
VARIANTS = [(s, {}, ()) for s in SCENARIOS] + [
    ("expired-token", {"GIGACHAT_ACCESS_TOKEN": "{access_token}"}, ()),
    ("healthy", {"GIGACHAT_ACCESS_TOKEN": "{access_token}"}, ("--log-cli-level=DEBUG",)),
    ("healthy", {"GIGACHAT_VERIFY_SSL_CERTS": "false", "GIGACHAT_TOKEN": "{key}"}, ()),
]


def _ids(variant):
    scenario, env, args = variant
    extra = "+".join([k.split("_", 1)[1].lower() for k in env] + [a.strip("-").split("=")[0] for a in args])
    return scenario + (f"[{extra}]" if extra else "")


@pytest.mark.parametrize("variant", VARIANTS, ids=[_ids(v) for v in VARIANTS])
def test_no_mock_scenario_leaks_a_secret(in_process, canaries, variant):
    scenario, extra, args = variant
    with ClosedPort() as closed:
        env = {"GIGACHAT_CREDENTIALS": canaries.key, "PROXY_API_KEY": canaries.proxy_key,
               "DATABASE_URL": f"mysql://site:{canaries.db_password}@127.0.0.1:{closed.port}/site"}
        env.update({k: v.format(access_token=canaries.access_token, key=canaries.key) for k, v in extra.items()})
        result, _ = in_process.run(f"mock-{scenario}", (f"--mock={scenario}", "--spend", *LOUD, *args), env)
    assert result.json.get("scenario") == scenario and result.json.get("checks"), result.stdout[-2000:]
    # the canaries were read: the report shows them masked
    assert mask(canaries.key) in result.html
    if "GIGACHAT_ACCESS_TOKEN" in extra:
        assert mask(canaries.access_token) in result.html
    assert_no_leaks([(scenario, result, canaries.values())])
    tokens = {where: MOCK_TOKEN.findall(text) for where, text in outputs_of(result).items()}
    assert not any(tokens.values()), tokens


def test_a_crashing_check_shows_no_secret_in_its_traceback_or_locals(pytester, monkeypatch, canaries):
    """A check that fails with a plain assert (a bug, not a finding): the assertion's
    introspection and `-l` locals would print the values; every output must not."""
    pytester.makepyfile(test_crash="""
        import os
        def test_crash():
            key = os.environ["GIGACHAT_CREDENTIALS"]
            header = "Basic " + key
            proxy = {"Authorization": "Bearer " + os.environ["PROXY_API_KEY"]}
            assert header == "Basic nothing", proxy
    """)
    monkeypatch.setenv("GIGACHAT_CREDENTIALS", canaries.key)
    monkeypatch.setenv("PROXY_API_KEY", canaries.proxy_key)
    result = pytester.runpytest_inprocess("-p", "gigacheck.plugin", "--report-json", "report.json",
                                           "--junitxml", "junit.xml", "-vv", "-l", "--tb=long", "-p",
                                           "no:cacheprovider")
    out = "\n".join(result.outlines + result.errlines)
    assert result.ret == 1 and "test_crash" in out
    texts = {"terminal": out}
    for name in ("report.json", "junit.xml", "reports/gigachat-health.html"):
        path = pytester.path / name
        assert path.is_file(), name
        texts[name] = path.read_text(encoding="utf-8")
    found = [(where, leak) for where, text in texts.items() for leak in find_leaks(text, canaries.values())]
    assert not found, found
    assert mask(canaries.key) in out  # scrubbed, not dropped: the reader still sees which value it was


def test_the_leak_search_finds_a_secret_in_every_form_it_may_take(canaries):
    """The search the tests above rely on: it must see what a leak looks like, and not the mask."""
    from tests.support.fakegiga import decoded_key
    values = canaries.values()
    secret = decoded_key(canaries.key).split(":")[1]
    leaks = {
        "Basic header": f"Authorization: Basic {canaries.key}",
        "key cut in half": "body: {... " + canaries.key[30:70] + "...",
        "decoded secret": f"client secret {secret}",
        "password URL": "mysql://site:hunter2-is-long@db:3306/site",
        "token in JSON": f'{{"access_token": "{canaries.access_token}"}}',
    }
    for what, text in leaks.items():
        assert find_leaks(text, values), what
    shown = f"key {mask(canaries.key)}, token {mask(canaries.access_token)}, mysql://site:****@db/site"
    assert find_leaks(shown, values) == []
