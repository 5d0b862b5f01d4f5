"""What the site's client reads, unit by unit, with the official SDK, httpx and requests as the oracles:
empty values as set, the trust store, the proxy and NO_PROXY, the issuer of a certificate; and the
remedies of HTTP content (`responses`): GC047, an OAuth 429, an `expires_at` behind the local clock."""

import base64
import os
import time
import uuid
import warnings

import pytest
import responses

from gigacheck import proxies, rules, truststore
from gigacheck.diagnosis import Finding
from gigacheck.gigachat.client import GigaChatClient
from gigacheck.settings import load

sdk_settings = pytest.importorskip("gigachat.settings", reason="the official SDK is a test extra")
httpx = pytest.importorskip("httpx")

AUTH = "https://ngw.devices.sberbank.ru:9443/api/v2/oauth"
BASE = "https://gigachat.devices.sberbank.ru/api/v1"
READ_BY_CLIENTS = ("SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE") + proxies.VARIABLES


@pytest.fixture
def bare_env(monkeypatch):
    """No GIGACHAT_*, trust store or proxy variable of this machine (it sets SSL_CERT_FILE and REQUESTS_CA_BUNDLE)."""
    for name in list(os.environ):
        if name.upper().startswith("GIGACHAT_") or name in READ_BY_CLIENTS:
            monkeypatch.delenv(name, raising=False)
    return monkeypatch


def key():
    return base64.b64encode(f"{uuid.uuid4()}:{uuid.uuid4()}".encode()).decode()


# --- empty values: set, as pydantic-settings reads them ---------------------------------------------------

@pytest.mark.parametrize("variable", ["GIGACHAT_SCOPE", "GIGACHAT_AUTH_URL", "GIGACHAT_BASE_URL",
                                      "GIGACHAT_CA_BUNDLE_FILE", "GIGACHAT_ACCESS_TOKEN", "GIGACHAT_CREDENTIALS",
                                      "GIGACHAT_CERT_FILE", "GIGACHAT_USER"])
@pytest.mark.parametrize("value", ["", "GIGACHAT_API_B2B"])
def test_a_value_reads_as_the_sdk_reads_it(bare_env, variable, value):
    bare_env.setenv(variable, value)
    sdk = sdk_settings.Settings()
    ours = load({variable: value})
    assert (ours.scope, ours.auth_url, ours.base_url) == (sdk.scope, sdk.auth_url, sdk.base_url.rstrip("/"))
    assert (ours.ca_bundle or None) == (sdk.ca_bundle_file or None)  # the SDK's `if ca_bundle_file:`
    assert (ours.access_token is None) == (not sdk.access_token)
    assert (ours.cert_file or None) == (sdk.cert_file or None)


def test_empty_scope_and_urls_are_findings_not_defaults():
    s = load({"GIGACHAT_SCOPE": "", "GIGACHAT_AUTH_URL": "", "GIGACHAT_BASE_URL": ""})
    assert rules.scope_problem(s).code == "GC008" and "empty" in rules.scope_problem(s).detail
    assert rules.auth_url_problem(s).code == "GC009" and "''" in rules.auth_url_problem(s).detail
    assert rules.base_url_problem(s).code == "GC010"
    assert "from the environment" in s.base_url_why()  # set (empty), not the SDK's default
    assert rules.scope_problem(load({})) is None and rules.auth_url_problem(load({})) is None


@responses.activate
def test_a_refused_scope_is_never_sent():
    s = load({"GIGACHAT_CREDENTIALS": key(), "GIGACHAT_SCOPE": "", "GIGACHAT_BASE_URL": BASE})
    client = GigaChatClient(s, s.redactor())
    with pytest.raises(Finding) as info:
        client.token()
    assert info.value.code == "GC008" and info.value.subject == "scope"  # the config check's own cause
    assert len(responses.calls) == 0


# --- the trust store: the SDK's httpx's ---------------------------------------------------------------------

def httpx_cafile(bare_env, env):
    """The CA file or folder httpx itself picks for verify=True (its create_ssl_context), seen through ssl."""
    import ssl
    picked = {}

    def spy(*args, **kwargs):  # what httpx asks ssl for (the files need not exist)
        picked.update(kwargs)
        return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    for k, v in env.items():
        bare_env.setenv(k, v)
    bare_env.setattr(ssl, "create_default_context", spy)
    httpx.create_ssl_context()
    return picked.get("cafile") or picked.get("capath")


@pytest.mark.parametrize("env, variable", [
    ({}, None),
    ({"REQUESTS_CA_BUNDLE": "/tmp/rq.pem", "CURL_CA_BUNDLE": "/tmp/curl.pem"}, None),
    ({"SSL_CERT_FILE": "/tmp/ssl.pem", "REQUESTS_CA_BUNDLE": "/tmp/rq.pem"}, "SSL_CERT_FILE"),
    ({"SSL_CERT_DIR": "/tmp/certs"}, "SSL_CERT_DIR"),
    ({"SSL_CERT_FILE": "/tmp/ssl.pem", "SSL_CERT_DIR": "/tmp/certs"}, "SSL_CERT_FILE"),
    ({"SSL_CERT_FILE": "", "SSL_CERT_DIR": "/tmp/certs"}, "SSL_CERT_DIR"),
])
def test_the_store_is_the_one_httpx_picks(bare_env, env, variable):
    store = truststore.httpx_store(load(env))
    assert store.variable == variable
    assert store.verify == httpx_cafile(bare_env, env)  # httpx, asked: the same file or folder
    assert isinstance(store.verify, str)  # explicit, so requests' REQUESTS_CA_BUNDLE cannot replace it
    if "REQUESTS_CA_BUNDLE" in env:
        assert ("REQUESTS_CA_BUNDLE", "/tmp/rq.pem") in store.ignored
        assert "not read by the SDK's httpx: REQUESTS_CA_BUNDLE" in store.describe("en")


def test_gigachat_ca_bundle_file_wins_as_in_the_sdk_and_tls_off_is_off():
    s = load({"GIGACHAT_CA_BUNDLE_FILE": "/tmp/giga.pem", "SSL_CERT_FILE": "/tmp/ssl.pem"})
    assert truststore.httpx_store(s).verify == "/tmp/giga.pem"
    off = truststore.httpx_store(load({"GIGACHAT_VERIFY_SSL_CERTS": "false", "SSL_CERT_FILE": "/tmp/x.pem"}))
    assert off.verify is False and "off" in off.describe("en")


@pytest.mark.parametrize("env", [
    {"GIGACHAT_VERIFY_SSL_CERTS": "false", "GIGACHAT_CA_BUNDLE_FILE": "/tmp/giga.pem"},
    {"GIGACHAT_VERIFY_SSL_CERTS": "false", "GIGACHAT_CA_BUNDLE_FILE": ""},
    {"GIGACHAT_VERIFY_SSL_CERTS": "false"},
    {"GIGACHAT_VERIFY_SSL_CERTS": "true", "GIGACHAT_CA_BUNDLE_FILE": "/tmp/giga.pem"},
])
def test_a_ca_bundle_verifies_even_with_verification_off_as_in_the_sdk(bare_env, env):
    """The SDK builds its client with verify=verify_ssl_certs, then verify=ca_bundle_file when one is set:
    GIGACHAT_VERIFY_SSL_CERTS=false does not turn a set bundle off (its own _get_kwargs is the oracle)."""
    from gigachat.client import _get_auth_kwargs, _get_kwargs
    for k, v in env.items():
        bare_env.setenv(k, v)
    theirs = _get_kwargs(sdk_settings.Settings())["verify"]
    assert _get_auth_kwargs(sdk_settings.Settings())["verify"] == theirs  # OAuth alike
    s = load(env)
    store = truststore.httpx_store(s)
    assert store.verify == (theirs if theirs is not True else truststore.certifi_bundle())
    assert rules.tls_verification_off(s) is (theirs is False)  # GC011 only where the SDK does not verify
    not_applied = "GIGACHAT_VERIFY_SSL_CERTS=false is not applied" in store.describe("en")
    assert not_applied is (env["GIGACHAT_VERIFY_SSL_CERTS"] == "false" and theirs is not False)


def test_the_fallback_keeps_requests_own_store(bare_env):
    import requests
    env = {"REQUESTS_CA_BUNDLE": "/tmp/rq.pem", "SSL_CERT_FILE": "/tmp/ssl.pem"}
    for k, v in env.items():
        bare_env.setenv(k, v)
    oracle = requests.Session().merge_environment_settings("https://x.example/", {}, None, True, None)["verify"]
    assert truststore.requests_store(load(env)).verify == oracle == "/tmp/rq.pem"


@pytest.mark.parametrize("variable", ["SSL_CERT_FILE", "SSL_CERT_DIR"])
def test_a_missing_ssl_cert_file_or_dir_is_gc012_naming_it(tmp_path, variable):
    where = tmp_path / "nowhere"
    f = rules.ca_bundle_problem(load({variable: str(where)}))
    assert f.code == "GC012" and variable in f.detail and str(where) in f.detail
    assert f"{variable} names {where}" in f.render("en")
    assert rules.ca_bundle_problem(load({})) is None


def test_an_unusable_ssl_cert_file_fails_the_sdk_too(bare_env, tmp_path):
    bad = tmp_path / "bad.pem"
    bad.write_text("not a certificate")
    bare_env.setenv("SSL_CERT_FILE", str(bad))
    with pytest.raises(Exception):
        httpx.Client()  # the site's client cannot even be built
    assert rules.ca_bundle_problem(load({"SSL_CERT_FILE": str(bad)})).code == "GC012"


def test_the_issuer_is_read_as_cryptography_reads_it():
    trustme = pytest.importorskip("trustme")
    from cryptography import x509
    from cryptography.x509.oid import NameOID
    ca = trustme.CA()
    ders = [x509.load_pem_x509_certificate(ca.issue_cert("127.0.0.1").cert_chain_pems[0].bytes())]
    with open(truststore.certifi_bundle(), "rb") as f:
        certifi_pem = f.read()
    with warnings.catch_warnings():  # one of certifi's roots has a serial number cryptography frowns on
        warnings.simplefilter("ignore")
        ders += x509.load_pem_x509_certificates(certifi_pem)[:60]
    for cert in ders:
        der = cert.public_bytes(serialization_der())
        shown = truststore.issuer_of(der)
        for oid, label in ((NameOID.COMMON_NAME, "CN"), (NameOID.ORGANIZATION_NAME, "O")):
            for attr in cert.issuer.get_attributes_for_oid(oid):
                assert f"{label}={attr.value}" in shown, (shown, cert.issuer.rfc4514_string())
    assert truststore.issuer_of(b"\x30\x03\x02") is None  # cut short: no name, no exception


def serialization_der():
    from cryptography.hazmat.primitives import serialization
    return serialization.Encoding.DER


# --- the proxy and NO_PROXY: as the SDK's httpx picks them ----------------------------------------------

HOSTS = ["https://ngw.devices.sberbank.ru:9443/api/v2/oauth", "https://gigachat.devices.sberbank.ru/api/v1",
         "https://api.giga.chat/v1", "https://127.0.0.1:8443/api/v1", "https://localhost:9443/x",
         "https://devices.sberbank.ru/", "https://xsberbank.ru/"]
NO_PROXY = ["", "*", "127.0.0.1", "127.0.0.0/8", ".sberbank.ru", "sberbank.ru", "devices.sberbank.ru:9443",
            "giga.chat", "localhost,127.0.0.1", " api.giga.chat , other", "ngw.devices.sberbank.ru:443",
            "*.giga.chat", "127.0.0.1:8443", "gigachat.devices.sberbank.ru"]


def httpx_proxy(bare_env, env, url):
    """The proxy httpx's own client would use for `url`, or None."""
    for k, v in env.items():
        bare_env.setenv(k, v)
    client = httpx.Client()
    try:
        transport = client._transport_for_url(httpx.URL(url))
        if transport is client._transport:
            return None
        return str(transport._pool._proxy_url.host.decode()) + ":" + str(transport._pool._proxy_url.port)
    finally:
        client.close()


@pytest.mark.parametrize("no_proxy", NO_PROXY)
def test_no_proxy_is_read_as_httpx_reads_it(bare_env, no_proxy):
    env = {"HTTPS_PROXY": "http://127.0.0.1:3128", "NO_PROXY": no_proxy}
    for url in HOSTS:
        ours = proxies.proxy_for(url, env)
        with bare_env.context() as mp:
            theirs = httpx_proxy(mp, env, url)
        assert (ours.host_port if ours else None) == theirs, (url, no_proxy)


@pytest.mark.parametrize("env, variable", [
    ({"HTTPS_PROXY": "127.0.0.1:3128"}, "HTTPS_PROXY"),
    ({"https_proxy": "http://127.0.0.1:3128", "HTTPS_PROXY": "http://127.0.0.1:1"}, "https_proxy"),
    ({"ALL_PROXY": "http://127.0.0.1:3128"}, "ALL_PROXY"),
    ({"all_proxy": "http://127.0.0.1:3128", "HTTPS_PROXY": ""}, "all_proxy"),
    ({"HTTPS_PROXY": "http://127.0.0.1:3128", "ALL_PROXY": "http://127.0.0.1:1"}, "HTTPS_PROXY"),
    ({"HTTP_PROXY": "http://127.0.0.1:3128"}, None),  # not for https
])
def test_the_proxy_variable_is_the_one_httpx_uses(bare_env, env, variable):
    url = "https://ngw.devices.sberbank.ru:9443/api/v2/oauth"
    ours = proxies.proxy_for(url, env)
    assert (ours.variable if ours else None) == variable
    assert (ours.host_port if ours else None) == httpx_proxy(bare_env, env, url)


def test_a_proxy_password_is_masked_and_a_secret():
    p = proxies.Proxy("HTTPS_PROXY", "http://site:s3cr3t-pw@proxy.corp:3128")
    assert p.shown == "http://site:****@proxy.corp:3128" and p.host_port == "proxy.corp:3128"
    s = load({"HTTPS_PROXY": "http://site:s3cr3t-pw@proxy.corp:3128"})
    assert "s3cr3t-pw" not in s.redactor().scrub("proxy http://site:s3cr3t-pw@proxy.corp:3128 failed")
    assert "s3cr3t-pw" not in "".join(s.masked().values())


# --- remedies of HTTP content ------------------------------------------------------------------------------

def client(**env):
    s = load({"GIGACHAT_CREDENTIALS": key(), "GIGACHAT_BASE_URL": BASE, **env})
    return GigaChatClient(s, s.redactor())


@responses.activate
@pytest.mark.parametrize("status, message, situation, says", [
    (422, "Requested model does not support functions", "functions", "only to a model that supports them"),
    (413, "Payload too large", "too_large", "POST /tokens/count"),
    (400, "Invalid JSON: unexpected end of input", "", "valid JSON"),
    (422, "Invalid params: messages[1].role", "", "message order"),
])
def test_a_request_gigachat_refuses_is_gc047_with_a_remedy_about_the_request(status, message, situation, says):
    c = client(GIGACHAT_ACCESS_TOKEN="tok-" + "a" * 40)
    responses.post(BASE + "/chat/completions", status=status, json={"status": status, "message": message})
    with pytest.raises(Finding) as info:
        c.api("POST", "/chat/completions", json_body={"model": "GigaChat", "messages": []}, subject="GigaChat")
    f = info.value
    assert (f.code, f.situation) == ("GC047", situation)
    assert says in f.remedy and "move the model down" not in f.remedy.lower()
    assert says_ru(f)


def says_ru(f: Finding) -> bool:
    text = f.render("ru")
    return "[GC047] GigaChat отклонил сам запрос" in text and "Что сделать:" in text


@responses.activate
def test_a_get_that_gigachat_refuses_stays_gc028():
    c = client(GIGACHAT_ACCESS_TOKEN="tok-" + "a" * 40)
    responses.get(BASE + "/models", status=422, json={"status": 422, "message": "Invalid params"})
    with pytest.raises(Finding) as info:
        c.models()
    assert info.value.code == "GC028"


@responses.activate
def test_an_oauth_429_is_told_to_reuse_the_token():
    c = client()
    responses.post(AUTH, status=429, json={"code": 429, "message": "Too Many Requests"}, headers={"Retry-After": "7"})
    with pytest.raises(Finding) as info:
        c.token()
    f = info.value
    assert f.code == "GC027" and "Retry-After 7" in f.detail
    assert "30 minutes" in f.remedy and "reuse" in f.remedy and "once, not per request" in f.remedy
    assert "Кэшируйте токен" in f.render("ru")
    # the API's 429 keeps its own remedy: nothing to cache there
    c = client(GIGACHAT_ACCESS_TOKEN="tok-" + "a" * 40)
    responses.get(BASE + "/models", status=429, json={"status": 429, "message": "Too Many Requests"})
    with pytest.raises(Finding) as info:
        c.models()
    assert info.value.code == "GC027" and "30 minutes" not in info.value.remedy


@responses.activate
def test_an_expires_at_in_the_past_names_the_local_clock():
    c = client()
    expires = int(time.time() * 1000) - 3600_000
    responses.post(AUTH, json={"access_token": "tok-" + uuid.uuid4().hex * 4, "expires_at": expires})
    with pytest.raises(Finding) as info:
        c.token()
    f = info.value
    import datetime
    local = datetime.datetime.fromtimestamp(expires / 1000).astimezone().isoformat(timespec="seconds")
    assert f.code == "GC028" and f.situation == "clock"
    assert local in f.detail and "this machine's clock" in f.detail and "NTP" in f.detail
    text = f.render("en")
    assert "timedatectl status" in text and "Check the local clock against NTP" in text and local in text
    assert "часы этой машины" in f.render("ru")


@responses.activate
def test_a_test_doubles_tls_error_opens_no_second_connection(monkeypatch):
    """The issuer is read only after a real handshake failed: a mock's SSLError (no ssl error inside) never
    makes gigacheck connect anywhere, so a mock run stays off the network."""
    import requests

    def no_network(*args, **kwargs):
        raise AssertionError("presented_issuer called for a test double")
    monkeypatch.setattr(truststore, "presented_issuer", no_network)
    c = client()
    responses.head("https://ngw.devices.sberbank.ru:9443/", body=requests.exceptions.SSLError(
        "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local issuer certificate"))
    with pytest.raises(Finding) as info:
        c.probe_auth()
    assert info.value.code == "GC022" and "Russian Trusted Root CA" in info.value.remedy


def test_the_names_are_read_as_cryptography_reads_them():
    """The names a certificate is for (its subjectAltName, else its CN), for a name mismatch's finding."""
    trustme = pytest.importorskip("trustme")
    from cryptography import x509
    ca = trustme.CA()
    for names in [("127.0.0.1", "localhost"), ("gigachat.example.org",), ("*.devices.sberbank.ru", "::1")]:
        cert = x509.load_pem_x509_certificate(ca.issue_cert(*names).cert_chain_pems[0].bytes())
        der = cert.public_bytes(serialization_der())
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        theirs = [str(n.value) for n in san]
        assert list(truststore.names_of(der)) == theirs == list(names)
    ca_der = x509.load_pem_x509_certificate(ca.cert_pem.bytes()).public_bytes(serialization_der())
    assert truststore.names_of(ca_der) == ()  # a CA without a CN or alternative names: none, no exception
    assert truststore.names_of(b"\x30\x03\x02") == ()


@pytest.mark.parametrize("text, kind", [
    ("[SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1006)", "not_tls"),
    ("[SSL: HTTP_REQUEST] http request (_ssl.c:1006)", "not_tls"),
    ("[SSL: SSLV3_ALERT_HANDSHAKE_FAILURE] sslv3 alert handshake failure (_ssl.c:1006)", "tls_failed"),
    ("[SSL: TLSV1_ALERT_PROTOCOL_VERSION] tlsv1 alert protocol version (_ssl.c:1006)", "tls_failed"),
    ("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local issuer certificate", None),
    ("_ssl.c:1006: The handshake operation timed out", None),
])
def test_a_handshake_that_failed_before_any_certificate_is_no_gc022(text, kind):
    import requests
    from gigacheck.gigachat import netcause
    from gigacheck.gigachat.client import describe_transport_error
    exc = requests.exceptions.SSLError(f"HTTPSConnectionPool(host='h', port=443): Max retries exceeded "
                                       f"(Caused by SSLError(SSLError(1, '{text}')))")
    failed = netcause.tls_failure(exc, str(exc))
    assert (failed[0] if failed else None) == kind
    code, detail = describe_transport_error(exc)
    expected = {"not_tls": "GC020", "tls_failed": "GC020", None: "GC022" if "verify" in text else "GC021"}[kind]
    assert code == expected, detail


@responses.activate
def test_a_name_mismatch_from_a_test_double_opens_no_connection_and_is_not_a_ca_download(monkeypatch):
    import requests

    def no_network(*args, **kwargs):
        raise AssertionError("a certificate read for a test double")
    monkeypatch.setattr(truststore, "presented_certificate", no_network)
    responses.head("https://ngw.devices.sberbank.ru:9443/", body=requests.exceptions.SSLError(
        "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: Hostname mismatch, certificate is not valid "
        "for 'ngw.devices.sberbank.ru'. (_ssl.c:1006)"))
    with pytest.raises(Finding) as info:
        client().probe_auth()
    f = info.value
    assert (f.code, f.situation) == ("GC022", "other_host")
    assert "Hostname mismatch, certificate is not valid for 'ngw.devices.sberbank.ru'" in f.detail
    assert "does not fix a name mismatch" in f.remedy and "Download" not in f.remedy
    assert "скачивание корневого сертификата несовпадение имени не исправит" in f.render("ru")


def test_the_store_follows_the_installed_httpx_version(tmp_path):
    """httpx 0.28 and later use SSL_CERT_FILE/SSL_CERT_DIR as set (a missing one fails the client: GC012); before
    0.28 (`get_ca_bundle_from_env`) a file or folder that does not exist is passed over, silently."""
    there = tmp_path / "certs"
    there.mkdir()
    missing = str(tmp_path / "missing.pem")
    both = load({"SSL_CERT_FILE": missing, "SSL_CERT_DIR": str(there)})
    assert truststore.httpx_store(both, (0, 28)).variable == "SSL_CERT_FILE"
    assert truststore.httpx_store(both, (0, 27)).variable == "SSL_CERT_DIR"
    alone = load({"SSL_CERT_FILE": missing})
    assert truststore.httpx_store(alone, (0, 27)).path == truststore.certifi_bundle()
    installed = tuple(int(p) for p in httpx.__version__.split(".")[:2])
    assert truststore.httpx_version() == installed


@pytest.mark.parametrize("variable, file_variable", [("GIGACHAT_CA_BUNDLE_FILE", "GIGACHAT_CA_BUNDLE_FILE"),
                                                     ("SSL_CERT_DIR", "SSL_CERT_FILE")])
def test_a_ca_folder_needs_openssls_hash_names(tmp_path, variable, file_variable):
    """httpx hands a folder to OpenSSL as a CA path (GIGACHAT_CA_BUNDLE_FILE=<folder> included), where certificates
    are found by hash names only: a folder without them is GC012 with `openssl rehash`, one with them is fine."""
    folder = tmp_path / "certs"
    folder.mkdir()
    (folder / "russian_trusted_root_ca.pem").write_text("-----BEGIN CERTIFICATE-----\n")
    f = rules.ca_bundle_problem(load({variable: str(folder)}))
    assert (f.code, f.situation) == ("GC012", "unhashed")
    assert f"Run openssl rehash on {folder}" in f.remedy and f"set {file_variable} to the PEM file" in f.remedy
    assert "openssl rehash" in f.render("ru") and "по хеш-именам" in f.render("ru")
    (folder / "0a775a30.0").symlink_to(folder / "russian_trusted_root_ca.pem")
    assert rules.ca_bundle_problem(load({variable: str(folder)})) is None
    assert truststore.httpx_store(load({variable: str(folder)})).verify == str(folder)
