"""The SDK's other ways in, over real sockets: the loopback fake GigaChat with TLS from a throwaway CA,
client certificates from another one (mTLS), password authentication, a stale preset token, the v2 chat API."""

import json

import pytest

from tests.support.faultrun import LOUD, base_env
from tests.support.fakegiga import ClosedPort, FakeGigaChat

GIGACHAT_ONLY = ("-m", "not logs")


@pytest.fixture(scope="module")
def client_ca():
    trustme = pytest.importorskip("trustme")
    return trustme.CA()


@pytest.fixture(scope="module")
def client_cert(client_ca, tmp_path_factory):
    d = tmp_path_factory.mktemp("client-cert")
    leaf = client_ca.issue_cert("site@example.org")
    leaf.cert_chain_pems[0].write_to_path(str(d / "cert.pem"))
    leaf.private_key_pem.write_to_path(str(d / "key.pem"))
    return d / "cert.pem", d / "key.pem"


def env_for(fake, giga_ca_file, canaries, drop=("GIGACHAT_CREDENTIALS",), fallback=None, **extra):
    with ClosedPort() as closed:
        env = base_env(fake, giga_ca_file, canaries, closed.port, fallback)
    for name in drop:
        env.pop(name, None)
    env.update(extra)
    return env


def outcome(result, fragment):
    return result.check(fragment)["outcome"], result.check(fragment)["codes"]


def assert_no_leak(result, *secrets):
    everything = result.everything()
    for secret in secrets:
        assert secret[:12] not in everything


def test_an_mtls_host_without_a_client_certificate_is_gc037(in_process, giga_ca, giga_ca_file, canaries, client_ca):
    with FakeGigaChat(giga_ca, key=canaries.key, client_ca=client_ca) as fake, \
            FakeGigaChat(giga_ca, proxy_key=canaries.proxy_key) as fallback:  # the fallback provider needs no mTLS
        result, _ = in_process.run("mtls-missing", (*LOUD, *GIGACHAT_ONLY),
                                   env_for(fake, giga_ca_file, canaries, drop=(), fallback=fallback))
    failed = result.failed()
    assert list(failed.values()) == [["GC037"]], failed  # one root cause, one failure
    assert "certificate required" in result.stdout and "GIGACHAT_CERT_FILE" in json.dumps(result.json)
    assert "GC022" not in json.dumps(result.json)  # not mistaken for a missing CA


def test_mtls_authentication_runs_instead_of_the_key_checks(in_process, giga_ca, giga_ca_file, canaries, client_ca,
                                                            client_cert):
    cert, key = client_cert
    # the fallback provider is another service: the site reaches it without GigaChat's client certificate
    with FakeGigaChat(giga_ca, key=canaries.key, client_ca=client_ca) as fake, \
            FakeGigaChat(giga_ca, proxy_key=canaries.proxy_key) as fallback:
        result, _ = in_process.run("mtls", (*LOUD, *GIGACHAT_ONLY), env_for(
            fake, giga_ca_file, canaries, fallback=fallback, GIGACHAT_CERT_FILE=str(cert), GIGACHAT_KEY_FILE=str(key)))
        seen = list(fake.seen)
    assert result.failed() == {}, result.stdout[-3000:]
    assert outcome(result, "test_are_the_client_certificate_and_key_usable") == ("passed", [])
    assert outcome(result, "test_is_the_key_set")[0] == "skipped"
    assert outcome(result, "test_does_oauth_give_a_usable_token")[0] == "skipped"
    models = [s for s in seen if s.path == "/api/v1/models"]
    assert models and all(s.client_cert and s.header("Authorization") is None for s in models)
    assert not [s for s in seen if s.method == "POST" and s.path.endswith("/oauth")]


def test_an_encrypted_client_key_is_opened_with_its_password(in_process, giga_ca, giga_ca_file, canaries, client_ca,
                                                            client_cert, tmp_path):
    """GIGACHAT_KEY_FILE_PASSWORD: the SDK opens an encrypted key with it, so the API calls do too
    (requests has no argument for it); the password shows nowhere."""
    from cryptography.hazmat.primitives import serialization
    cert, key = client_cert
    password = "kp-" + canaries.db_password
    encrypted = tmp_path / "key-encrypted.pem"
    encrypted.write_bytes(serialization.load_pem_private_key(key.read_bytes(), None).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(password.encode())))
    assert b"ENCRYPTED PRIVATE KEY" in encrypted.read_bytes()
    with FakeGigaChat(giga_ca, key=canaries.key, client_ca=client_ca) as fake, \
            FakeGigaChat(giga_ca, proxy_key=canaries.proxy_key) as fallback:
        result, _ = in_process.run("mtls-encrypted", (*LOUD, *GIGACHAT_ONLY), env_for(
            fake, giga_ca_file, canaries, fallback=fallback, GIGACHAT_CERT_FILE=str(cert),
            GIGACHAT_KEY_FILE=str(encrypted), GIGACHAT_KEY_FILE_PASSWORD=password))
        models = [s for s in fake.seen if s.path == "/api/v1/models"]
    assert result.failed() == {}, result.stdout[-3000:]
    assert outcome(result, "test_are_the_client_certificate_and_key_usable") == ("passed", [])
    assert models and all(s.client_cert for s in models)
    assert_no_leak(result, password)
    # without its password: GC016 names the key, not a TLS or CA problem, and nothing waits for a prompt
    with FakeGigaChat(giga_ca, key=canaries.key, client_ca=client_ca) as fake, \
            FakeGigaChat(giga_ca, proxy_key=canaries.proxy_key) as fallback:
        result, _ = in_process.run("mtls-encrypted-no-password", (*LOUD, *GIGACHAT_ONLY), env_for(
            fake, giga_ca_file, canaries, fallback=fallback, GIGACHAT_CERT_FILE=str(cert),
            GIGACHAT_KEY_FILE=str(encrypted)))
    assert outcome(result, "test_are_the_client_certificate_and_key_usable") == ("failed", ["GC016"])
    assert list(result.failed().values()) == [["GC016"]]  # one root cause, one failure: not also GC022


def test_password_authentication_asks_token_as_the_sdk_does(in_process, giga_ca, giga_ca_file, canaries):
    password = "pw-" + canaries.db_password
    with FakeGigaChat(giga_ca, key=canaries.key) as fake:
        fake.users["site-user"] = password
        result, _ = in_process.run("password", (*LOUD, *GIGACHAT_ONLY), env_for(
            fake, giga_ca_file, canaries, GIGACHAT_USER="site-user", GIGACHAT_PASSWORD=password))
        token_calls, oauth_calls = fake.count("POST", "/api/v1/token"), fake.oauth_requests
        issued = fake.token
    assert result.failed() == {}, result.stdout[-3000:]
    assert outcome(result, "test_does_oauth_give_a_usable_token") == ("passed", [])
    assert (token_calls, oauth_calls) == (1, 0)
    assert result.json["requests"]["oauth"] == 1
    assert_no_leak(result, password, issued)


def test_a_wrong_password_is_gc036(in_process, giga_ca, giga_ca_file, canaries):
    with FakeGigaChat(giga_ca, key=canaries.key) as fake:
        fake.users["site-user"] = "the-right-one"
        result, _ = in_process.run("password-wrong", (*LOUD, *GIGACHAT_ONLY), env_for(
            fake, giga_ca_file, canaries, GIGACHAT_USER="site-user", GIGACHAT_PASSWORD="pw-" + canaries.db_password))
    assert outcome(result, "test_does_oauth_give_a_usable_token") == ("failed", ["GC036"])
    assert len(result.failed()) == 1
    assert_no_leak(result, "pw-" + canaries.db_password)


def test_a_stale_preset_token_with_a_key_passes_with_a_warning(in_process, giga_ca, giga_ca_file, canaries):
    with FakeGigaChat(giga_ca, key=canaries.key) as fake:
        result, _ = in_process.run("stale-token", (*LOUD, *GIGACHAT_ONLY), env_for(
            fake, giga_ca_file, canaries, drop=(), GIGACHAT_ACCESS_TOKEN=canaries.access_token))
        oauth_calls = fake.oauth_requests
    assert result.failed() == {} and oauth_calls == 1, (result.stdout + result.stderr)[-3000:]
    assert result.json["counts"]["warnings"] >= 1 and result.json["counts"]["failed"] == 0
    (warned,) = [c for c in result.checks if "GC035" in c["codes"]]
    assert "test_does_the_models_list_answer" in warned["id"]
    assert "****" + canaries.access_token[-4:] in json.dumps(result.json)  # names the stale token, masked
    assert_no_leak(result, canaries.access_token, fake.token)


def test_spend_checks_chat_on_the_v2_api_the_sdk_uses(in_process, giga_ca, giga_ca_file, canaries):
    pytest.importorskip("gigachat")  # the installed SDK (0.2.3) uses v2 for chat.create()
    with FakeGigaChat(giga_ca, key=canaries.key) as fake:
        result, _ = in_process.run("v2", (*LOUD, "--spend", "-m", "generation", "-k", "v2_chat"),
                                   env_for(fake, giga_ca_file, canaries, drop=()))
        v2_calls = fake.count("POST", "/api/v2/chat/completions")
    checks = [c for c in result.checks if "v2_chat" in c["id"]]
    assert len(checks) == 2 and all(c["outcome"] == "passed" for c in checks), result.stdout[-3000:]
    assert v2_calls == 2 and result.json["requests"]["chat"] == 2
