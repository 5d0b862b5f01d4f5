"""The key checklist on real-shaped values: each mistake people make gets its own code."""

import base64
import uuid

import pytest
import trustme

from gigacheck import rules
from gigacheck.redact import Secret


def real_shaped_key() -> str:
    return base64.b64encode(f"{uuid.uuid4()}:{uuid.uuid4()}".encode()).decode()


def codes(value):
    return list(rules.analyze_key(None if value is None else Secret(value)).findings)


def test_a_real_shaped_key_passes_every_rule():
    key = real_shaped_key()
    assert len(key) == 100 and key.endswith("==")
    assert codes(key) == []


@pytest.mark.parametrize("make, expected", [
    (lambda k: None, ["GC001"]),
    (lambda k: "", ["GC001"]),
    (lambda k: "   ", ["GC001"]),
    (lambda k: "Bearer " + k, ["GC002"]),
    (lambda k: "Basic " + k, ["GC002"]),
    (lambda k: k + " ", ["GC003"]),
    (lambda k: k + "\n", ["GC003"]),
    (lambda k: k + "\r\n", ["GC003"]),
    (lambda k: k[:50] + "\n" + k[50:], ["GC003"]),
    (lambda k: '"' + k + '"', ["GC003"]),
    (lambda k: "'" + k + "'", ["GC003"]),
    (lambda k: "«" + k + "»", ["GC003"]),
    (lambda k: "test", ["GC004"]),
    (lambda k: "<ваш_токен>", ["GC004"]),
    (lambda k: "your_token", ["GC004"]),
    (lambda k: "your_authorization_key_here_please_replace", ["GC004"]),
    (lambda k: "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyIn0.c2lnbmF0dXJlLWJ5dGVz", ["GC005"]),
    (lambda k: "eyJjdHkiOiJqd3QiLCJlbmMiOiJBMjU2Q0JDLUhTNTEyIn0..aGVsbG8.d29ybGQtcGF5bG9hZA.dGFn", ["GC005"]),
    (lambda k: base64.b64encode(k.encode()).decode(), ["GC006"]),          # encoded twice
    (lambda k: str(uuid.uuid4()), ["GC006"]),                              # the client secret alone
    (lambda k: base64.b64encode(str(uuid.uuid4()).encode()).decode(), ["GC006"]),  # the id alone, encoded
    (lambda k: "Bearer " + k + "\n", ["GC002", "GC003"]),
])
def test_each_mistake_gets_its_code(make, expected):
    assert codes(make(real_shaped_key())) == expected


def test_a_finding_never_quotes_the_key():
    key = real_shaped_key()
    for value in ("Bearer " + key, key + "\n", '"' + key + '"', base64.b64encode(key.encode()).decode()):
        for finding in rules.analyze_key(Secret(value)).findings.values():
            text = finding.render()
            assert key not in text and key[:20] not in text


def test_rules_after_prefix_and_whitespace_judge_the_bare_key():
    # "Bearer <key>\n" is one key with two mistakes, not also a base64 failure
    analysis = rules.analyze_key(Secret("Bearer " + real_shaped_key() + "\n"))
    assert "GC006" not in analysis.findings
    assert analysis.blocking.code == "GC002"


def test_gc007_when_token_and_credentials_differ():
    from gigacheck.settings import load
    a, b = real_shaped_key(), real_shaped_key()
    s = load({"GIGACHAT_TOKEN": a, "GIGACHAT_CREDENTIALS": b})
    finding = rules.keys_agree(s)
    assert finding is not None and finding.code == "GC007"
    assert a not in finding.render() and b not in finding.render()
    assert rules.keys_agree(load({"GIGACHAT_TOKEN": a, "GIGACHAT_CREDENTIALS": a})) is None


@pytest.mark.parametrize("url, bad", [
    ("https://ngw.devices.sberbank.ru:9443/api/v2/oauth", False),
    ("https://127.0.0.1:8443/api/v2/oauth", False),              # a local test server with the right path
    ("https://proxy.corp.example/gigachat/oauth/", False),
    ("http://ngw.devices.sberbank.ru:9443/api/v2/oauth", True),
    ("https://iam.api.cloud.yandex.net/iam/v1/tokens", True),     # the old runbook's Yandex URL
    ("https://ngw.devices.sberbank.ru:9443/api/v2/token", True),
    ("ngw.devices.sberbank.ru:9443/api/v2/oauth", True),
    ("https://ngw.devices.sberbank.ru:9443/api/v2/o auth", True),
    ("https://user:pw@ngw.devices.sberbank.ru:9443/api/v2/oauth", True),
])
def test_auth_url_rule(url, bad):
    from gigacheck.settings import load
    finding = rules.auth_url_problem(load({"GIGACHAT_AUTH_URL": url}))
    assert (finding is not None) == bad
    if finding:
        assert finding.code == "GC009" and "pw@" not in finding.render()


@pytest.mark.parametrize("url, bad", [
    ("https://gigachat.devices.sberbank.ru/api/v1", False),
    ("https://api.giga.chat/v1", False),
    ("https://127.0.0.1:8443/api/v1/", False),
    ("https://api.gigachat.ru/core/api/v1", True),
    ("https://gigachat.devices.sberbank.ru/core/api/v1", True),
    ("http://gigachat.devices.sberbank.ru/api/v1", True),
    ("https://gigachat.devices.sberbank.ru/api/v2", True),
    ("https://gigachat.devices.sberbank.ru", True),
])
def test_base_url_rule(url, bad):
    from gigacheck.settings import load
    finding = rules.base_url_problem(load({"GIGACHAT_BASE_URL": url}))
    assert (finding is not None) == bad
    if finding:
        assert finding.code == "GC010"


@pytest.mark.parametrize("scope, bad", [("GIGACHAT_API_PERS", False), ("GIGACHAT_API_B2B", False),
                                        ("GIGACHAT_API_CORP", False), ("GIGACHAT_API_PERSONAL", True),
                                        ("gigachat_api_pers", True)])
def test_scope_rule(scope, bad):
    from gigacheck.settings import load
    assert (rules.scope_problem(load({"GIGACHAT_SCOPE": scope})) is not None) == bad


def test_ca_bundle_rule(tmp_path):
    from gigacheck.settings import load
    good = tmp_path / "ca.pem"
    trustme.CA().cert_pem.write_to_path(str(good))
    assert rules.ca_bundle_problem(load({"GIGACHAT_CA_BUNDLE_FILE": str(good)})) is None
    not_pem = tmp_path / "ca.der"
    not_pem.write_bytes(b"\x30\x82\x01\x0a garbage")
    for path in (str(not_pem), str(tmp_path / "missing.pem"), str(tmp_path)):
        finding = rules.ca_bundle_problem(load({"GIGACHAT_CA_BUNDLE_FILE": path}))
        assert finding is not None and finding.code == "GC012", path
    broken = tmp_path / "broken.pem"
    broken.write_text("-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n")
    assert rules.ca_bundle_problem(load({"GIGACHAT_CA_BUNDLE_FILE": str(broken)})).code == "GC012"
