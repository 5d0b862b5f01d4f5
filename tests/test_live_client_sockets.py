"""Live, as the site's client meets GigaChat, over real sockets: the loopback fake GigaChat with TLS from
trustme, a CONNECT proxy and a port that hangs up mid-handshake (tests/support/netpeers.py).  The official
SDK, reading the same environment itself (`GigaChat().get_models()`), is the oracle: where it works the
checks pass, where it fails they fail with the one code that names why, and the remedy fits."""

import json
import os

import pytest

from tests.support.faultrun import base_env
from tests.support.fakegiga import ClosedPort, FakeGigaChat, Reply, _chat
from tests.support.netpeers import ConnectProxy, HangUp, PlainHTTP

gigachat = pytest.importorskip("gigachat", reason="the official SDK is a test extra: pip install -e '.[test]'")
trustme = pytest.importorskip("trustme")

GIGACHAT_ONLY = ("-m", "not logs")
READ_BY_CLIENTS = ("SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "https_proxy",
                   "HTTPS_PROXY", "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY", "http_proxy", "HTTP_PROXY")


def live_env(fake, canaries, **extra):
    """The fake's settings, with no CA configured (each test says where the site's client finds it) and no
    fallback provider (its own client is not the SDK's)."""
    with ClosedPort() as closed:
        env = base_env(fake, "unused", canaries, closed.port)
    for name in ("GIGACHAT_CA_BUNDLE_FILE", "REQUESTS_CA_BUNDLE", "PROXY_API_BASE_URL", "PROXY_API_KEY",
                 "PROXY_API_MODEL", "DATABASE_URL"):
        env.pop(name)
    env.update(extra)
    return env


def sdk_get_models(monkeypatch, env):
    """What the site's own client does with this environment: None when it works, else its exception."""
    with monkeypatch.context() as mp:
        for name in list(os.environ):
            if name.upper().startswith("GIGACHAT_") or name in READ_BY_CLIENTS:
                mp.delenv(name, raising=False)
        for k, v in env.items():
            mp.setenv(k, v)
        try:
            client = gigachat.GigaChat()
            try:
                client.get_models()
            finally:
                client.close()
        except Exception as exc:  # noqa: BLE001 - every failure is the oracle's answer
            return exc
    return None


def gigachat_failures(result):
    return {i: c for i, c in result.failed().items() if not i.startswith("checks/test_logs.py")}


def failure_text(result) -> str:
    """The failures as the JSON summary holds them and as the terminal prints them (cause, remedy, commands)."""
    return json.dumps([c for c in result.checks if c["outcome"] == "failed"], ensure_ascii=False) + result.stdout


@pytest.fixture
def fake(giga_ca, canaries):
    with FakeGigaChat(giga_ca, key=canaries.key) as f:
        yield f


def ca_name(ca) -> str:
    from cryptography import x509
    from cryptography.x509.oid import NameOID
    cert = x509.load_pem_x509_certificate(ca.cert_pem.bytes())
    return cert.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)[0].value


# --- the trust store ------------------------------------------------------------------------------------

def test_only_requests_ca_bundle_fails_as_the_sdk_fails(in_process, fake, giga_ca, giga_ca_file, canaries,
                                                        monkeypatch):
    env = live_env(fake, canaries, REQUESTS_CA_BUNDLE=str(giga_ca_file))
    failure = sdk_get_models(monkeypatch, env)
    assert failure is not None and "CERTIFICATE_VERIFY_FAILED" in str(failure)
    result, _ = in_process.run("requests-bundle-only", GIGACHAT_ONLY, env)
    assert list(gigachat_failures(result).values()) == [["GC022"]], result.stdout[-3000:]
    text = failure_text(result)
    assert "REQUESTS_CA_BUNDLE" in text and f"GIGACHAT_CA_BUNDLE_FILE={giga_ca_file}" in text
    assert ca_name(giga_ca) in text  # the issuer the server presented
    assert "certifi" in result.stdout and "not read by the SDK's httpx: REQUESTS_CA_BUNDLE" in result.stdout
    # the checks that skip naming the failure show its remedy, not the catalog's "download the Russian CA"
    failed = [c for c in result.checks if c["outcome"] == "failed"][0]
    skipped = [c for c in result.checks if c["outcome"] == "skipped" and c["codes"] == ["GC022"]]
    assert skipped and {c["remedy"] for c in skipped} == {failed["remedy"]}
    assert "Download the Russian" not in json.dumps(skipped)


def test_only_ssl_cert_file_works_as_the_sdk_works(in_process, fake, giga_ca_file, canaries, monkeypatch):
    env = live_env(fake, canaries, SSL_CERT_FILE=str(giga_ca_file))
    assert sdk_get_models(monkeypatch, env) is None
    result, _ = in_process.run("ssl-cert-file-only", GIGACHAT_ONLY, env)
    assert gigachat_failures(result) == {}, result.stdout[-3000:]
    assert f"TLS trust store, as the SDK's httpx reads it: SSL_CERT_FILE ({giga_ca_file})" in result.stdout
    assert "TLS trust store" in result.html and f"SSL_CERT_FILE ({giga_ca_file})" in result.html  # the report's too


def test_a_bundle_without_the_issuer_shows_the_issuer(in_process, fake, giga_ca, canaries, monkeypatch, tmp_path):
    other = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other))
    env = live_env(fake, canaries, GIGACHAT_CA_BUNDLE_FILE=str(other))
    failure = sdk_get_models(monkeypatch, env)
    assert failure is not None and "CERTIFICATE_VERIFY_FAILED" in str(failure)
    result, _ = in_process.run("bundle-lacks-issuer", GIGACHAT_ONLY, env)
    assert list(gigachat_failures(result).values()) == [["GC022"]], result.stdout[-3000:]
    text = failure_text(result)
    assert f"GIGACHAT_CA_BUNDLE_FILE ({other}) is the trust store of the site's client" in text
    assert ca_name(giga_ca) in text and "does not hold" in text


def test_verification_off_with_a_bundle_still_verifies_as_the_sdk_does(in_process, fake, canaries, monkeypatch,
                                                                          tmp_path):
    """GIGACHAT_VERIFY_SSL_CERTS=false beside a GIGACHAT_CA_BUNDLE_FILE: the SDK verifies with the bundle anyway."""
    other = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other))
    env = live_env(fake, canaries, GIGACHAT_CA_BUNDLE_FILE=str(other), GIGACHAT_VERIFY_SSL_CERTS="false")
    failure = sdk_get_models(monkeypatch, env)
    assert failure is not None and "CERTIFICATE_VERIFY_FAILED" in str(failure)
    result, _ = in_process.run("off-with-bundle", GIGACHAT_ONLY, env)
    assert list(gigachat_failures(result).values()) == [["GC022"]], result.stdout[-3000:]
    assert "GIGACHAT_VERIFY_SSL_CERTS=false is not applied" in failure_text(result)
    assert "TLS VERIFICATION IS OFF" not in result.stdout
    assert result.check("test_is_tls_verification_on")["codes"] == []  # no GC011: the site's client verifies


@pytest.mark.parametrize("rehashed", [True, False])
@pytest.mark.parametrize("variable", ["GIGACHAT_CA_BUNDLE_FILE", "SSL_CERT_DIR"])
def test_a_ca_folder_works_as_the_sdk_reads_it(in_process, fake, giga_ca_file, canaries, monkeypatch, tmp_path,
                                               variable, rehashed):
    """A folder is a CA path for httpx (GIGACHAT_CA_BUNDLE_FILE=<folder> too): OpenSSL finds certificates there by
    their hash names only, so a folder that `openssl rehash` never saw fails the SDK, and is GC012 alone."""
    import shutil
    import subprocess
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed: no hash names can be made")
    folder = tmp_path / "certs"
    folder.mkdir()
    shutil.copy(giga_ca_file, folder / "gigachat-ca.pem")
    if rehashed:
        subprocess.run(["openssl", "rehash", str(folder)], check=True, capture_output=True, timeout=30)
    env = live_env(fake, canaries, **{variable: str(folder)})
    failure = sdk_get_models(monkeypatch, env)
    result, _ = in_process.run(f"ca-folder-{variable}-{rehashed}", GIGACHAT_ONLY, env)
    if rehashed:
        assert failure is None and gigachat_failures(result) == {}, result.stdout[-3000:]
        return
    assert failure is not None and "CERTIFICATE_VERIFY_FAILED" in str(failure)
    assert list(gigachat_failures(result).values()) == [["GC012"]], result.stdout[-3000:]
    text = failure_text(result)
    assert f"Run openssl rehash on {folder}" in text
    assert ("set SSL_CERT_FILE to the PEM file" if variable == "SSL_CERT_DIR" else
            "set GIGACHAT_CA_BUNDLE_FILE to the PEM file") in text
    assert fake.seen == []  # nothing sent with a store that cannot verify


# --- empty values: set, and a refused setting never sent -------------------------------------------------

def test_an_empty_scope_is_gc008_alone_and_never_sent(in_process, fake, giga_ca_file, canaries, monkeypatch):
    env = live_env(fake, canaries, GIGACHAT_CA_BUNDLE_FILE=str(giga_ca_file), GIGACHAT_SCOPE="")
    failure = sdk_get_models(monkeypatch, env)
    assert failure is not None and "scope is empty" in str(getattr(failure, "content", b""), "utf-8", "replace")
    assert fake.oauth_requests == 1  # the SDK sent `scope=`
    result, _ = in_process.run("empty-scope", GIGACHAT_ONLY, env)
    assert gigachat_failures(result) == {"checks/test_config.py::test_is_the_scope_one_of_the_three": ["GC008"]}
    assert fake.oauth_requests == 1  # gigacheck sent nothing
    oauth = result.check("test_does_oauth_give_a_usable_token")
    assert oauth["outcome"] == "skipped" and "GC008" in json.dumps(oauth)
    assert "set but empty" in failure_text(result)


def test_an_empty_auth_url_is_gc009_alone(in_process, fake, giga_ca_file, canaries, monkeypatch):
    env = live_env(fake, canaries, GIGACHAT_CA_BUNDLE_FILE=str(giga_ca_file), GIGACHAT_AUTH_URL="")
    assert sdk_get_models(monkeypatch, env) is not None  # the SDK posts to "" and fails
    result, _ = in_process.run("empty-auth-url", GIGACHAT_ONLY, env)
    assert list(gigachat_failures(result).values()) == [["GC009"]], result.stdout[-3000:]
    assert fake.oauth_requests == 0


# --- the proxy --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("variable", ["HTTPS_PROXY", "https_proxy", "ALL_PROXY"])
def test_a_refused_proxy_is_named(in_process, fake, giga_ca_file, canaries, monkeypatch, variable):
    with ClosedPort() as closed:
        env = live_env(fake, canaries, GIGACHAT_CA_BUNDLE_FILE=str(giga_ca_file), NO_PROXY="",
                       **{variable: f"http://127.0.0.1:{closed.port}"})
        assert sdk_get_models(monkeypatch, env) is not None
        result, _ = in_process.run("proxy-refused", GIGACHAT_ONLY, env)
    assert list(gigachat_failures(result).values()) == [["GC020"]], result.stdout[-3000:]  # one cause: the proxy
    text = failure_text(result)
    assert f"the proxy {variable} (127.0.0.1:{closed.port}) cannot be used: the connection was refused" in text
    # the finding leads with the proxy, and the GigaChat host comes after it: that host was never reached
    summary = [c["summary"] for c in result.checks if c["outcome"] == "failed"][0]
    assert summary.startswith(f"[GC020] host cannot be resolved or connected to: the proxy {variable} ")
    assert summary.endswith(f", on the way to 127.0.0.1:{fake.port}")
    assert "NO_PROXY" in text and fake.seen == []


def test_a_refused_proxy_fails_once_with_the_fallback_provider_behind_it_too(in_process, fake, giga_ca, giga_ca_file,
                                                                             canaries):
    """The fallback provider goes through the same proxy: its check skips naming the proxy's one failure."""
    with ClosedPort() as closed, FakeGigaChat(giga_ca, proxy_key=canaries.proxy_key) as fallback:
        env = live_env(fake, canaries, GIGACHAT_CA_BUNDLE_FILE=str(giga_ca_file), NO_PROXY="",
                       HTTPS_PROXY=f"http://127.0.0.1:{closed.port}", REQUESTS_CA_BUNDLE=str(giga_ca_file),
                       PROXY_API_BASE_URL=fallback.proxy_url, PROXY_API_KEY=canaries.proxy_key,
                       PROXY_API_MODEL="gpt-4o-mini")
        result, _ = in_process.run("proxy-refused-fallback", GIGACHAT_ONLY, env)
    assert list(gigachat_failures(result).values()) == [["GC020"]], result.stdout[-3000:]
    check = result.check("test_does_the_fallback_provider_answer")
    assert check["outcome"] == "skipped" and check["codes"] == ["GC020"] and "reported by" in check["summary"]
    assert fallback.seen == []


def test_no_proxy_is_honoured_as_the_sdk_does(in_process, fake, giga_ca_file, canaries, monkeypatch):
    with ClosedPort() as closed:
        env = live_env(fake, canaries, GIGACHAT_CA_BUNDLE_FILE=str(giga_ca_file),
                       HTTPS_PROXY=f"http://127.0.0.1:{closed.port}", NO_PROXY="localhost,127.0.0.1")
        assert sdk_get_models(monkeypatch, env) is None
        result, _ = in_process.run("no-proxy", GIGACHAT_ONLY, env)
    assert gigachat_failures(result) == {}, result.stdout[-3000:]
    assert "proxy, as the SDK's httpx picks it" not in result.stdout  # NO_PROXY exempts both hosts


def test_a_working_proxy_carries_every_call(in_process, fake, giga_ca_file, canaries, monkeypatch):
    with ConnectProxy() as proxy:
        env = live_env(fake, canaries, GIGACHAT_CA_BUNDLE_FILE=str(giga_ca_file), HTTPS_PROXY=proxy.url, NO_PROXY="")
        assert sdk_get_models(monkeypatch, env) is None
        through_sdk = len(proxy.tunnels)
        result, _ = in_process.run("proxy-works", GIGACHAT_ONLY, env)
        tunnels = list(proxy.tunnels)
    assert gigachat_failures(result) == {}, result.stdout[-3000:]
    assert f"HTTPS_PROXY ({proxy.url}) -> OAuth, API" in result.stdout and "Proxy" in result.html
    assert through_sdk >= 1 and len(tunnels) > through_sdk
    assert set(tunnels) == {f"127.0.0.1:{fake.port}"}


def test_a_tls_inspecting_proxy_shows_its_own_issuer(in_process, giga_ca, giga_ca_file, canaries, monkeypatch):
    """Through a proxy that presents a certificate of its own CA (here: a host whose CA the bundle lacks), the issuer
    shown is the one the site's client meets through that proxy, read through the same tunnel."""
    with FakeGigaChat(giga_ca, key=canaries.key, cert="unknown-ca") as inspected, \
            ConnectProxy(credentials=("site", "pp-" + canaries.db_password)) as proxy:
        env = live_env(inspected, canaries, GIGACHAT_CA_BUNDLE_FILE=str(giga_ca_file), NO_PROXY="",
                       HTTPS_PROXY=proxy.url_with("site", "pp-" + canaries.db_password))
        failure = sdk_get_models(monkeypatch, env)
        assert failure is not None and "CERTIFICATE_VERIFY_FAILED" in str(failure)
        result, _ = in_process.run("inspecting-proxy", GIGACHAT_ONLY, env)
        tunnels = len(proxy.tunnels)
    assert list(gigachat_failures(result).values()) == [["GC022"]], result.stdout[-3000:]
    text = failure_text(result)
    assert "the server presented a certificate issued by O=trustme" in text
    assert ca_name(giga_ca) not in text  # the inspecting CA, not the one the bundle holds
    assert f"through the proxy HTTPS_PROXY, 127.0.0.1:{proxy.port}" in text
    assert tunnels >= 2  # the site's call and the one read of the certificate, both through the proxy
    assert "pp-" + canaries.db_password not in result.everything()


def test_a_407_asks_for_proxy_credentials_and_masks_them(in_process, fake, giga_ca_file, canaries, monkeypatch):
    right = "pp-" + canaries.db_password
    wrong = "wrong-" + canaries.db_password[::-1]
    with ConnectProxy(credentials=("site", right)) as proxy:
        env = live_env(fake, canaries, GIGACHAT_CA_BUNDLE_FILE=str(giga_ca_file), NO_PROXY="",
                       HTTPS_PROXY=proxy.url_with("site", wrong))
        failure = sdk_get_models(monkeypatch, env)
        assert failure is not None and "407" in str(failure)
        result, _ = in_process.run("proxy-407", GIGACHAT_ONLY, env)
        env["HTTPS_PROXY"] = proxy.url_with("site", right)
        good, _ = in_process.run("proxy-auth-ok", GIGACHAT_ONLY, env)
    assert list(gigachat_failures(result).values()) == [["GC020"]], result.stdout[-3000:]
    text = failure_text(result)
    assert "407 Proxy Authentication Required" in text and "proxy credentials" in text
    assert f"user and password in HTTPS_PROXY (http://user:password@127.0.0.1:{proxy.port}" in text
    assert "site:****@" in text
    # the header names the proxy the site's client takes, its password masked
    assert f"proxy, as the SDK's httpx picks it (HTTPS_PROXY, ALL_PROXY, NO_PROXY): HTTPS_PROXY " \
           f"(http://site:****@127.0.0.1:{proxy.port}) -> OAuth, API" in result.stdout
    assert wrong not in result.everything() and right not in good.everything()
    assert gigachat_failures(good) == {}, good.stdout[-3000:]


@pytest.mark.parametrize("answer, situation", [("403 Forbidden", "will not open a tunnel"),
                                               ("502 Bad Gateway", "cannot reach")])
def test_a_proxy_that_refuses_the_tunnel_says_whose_rule(in_process, fake, giga_ca_file, canaries, monkeypatch,
                                                         answer, situation):
    with ConnectProxy(answer=answer) as proxy:
        env = live_env(fake, canaries, GIGACHAT_CA_BUNDLE_FILE=str(giga_ca_file), NO_PROXY="", HTTPS_PROXY=proxy.url)
        failure = sdk_get_models(monkeypatch, env)
        assert failure is not None and answer.split()[0] in str(failure)
        result, _ = in_process.run("proxy-" + answer.split()[0], GIGACHAT_ONLY, env)
    assert list(gigachat_failures(result).values()) == [["GC020"]], result.stdout[-3000:]
    text = failure_text(result)
    assert f"the proxy HTTPS_PROXY (127.0.0.1:{proxy.port}) refused the tunnel: {answer}" in text
    assert situation in text and f"127.0.0.1:{fake.port}" in text and "NO_PROXY" in text
    assert "Check that a proxy listens" not in text  # it does listen: it answered
    assert fake.seen == []


# --- a connection closed during the TLS handshake ----------------------------------------------------------

def test_a_hang_up_during_the_handshake_is_no_missing_ca(in_process, canaries, monkeypatch, fake):
    with HangUp() as peer:
        origin = f"https://127.0.0.1:{peer.port}"
        env = live_env(fake, canaries, GIGACHAT_AUTH_URL=origin + "/api/v2/oauth", GIGACHAT_BASE_URL=origin + "/api/v1")
        failure = sdk_get_models(monkeypatch, env)
        assert failure is not None and "EOF" in str(failure)
        result, _ = in_process.run("tls-hang-up", GIGACHAT_ONLY, env)
    assert list(gigachat_failures(result).values()) == [["GC020"]], result.stdout[-3000:]
    text = failure_text(result)
    assert "the connection was closed during the TLS handshake" in text
    assert "downloading a CA does not help" in text
    assert "gu-st.ru" not in text and "Download the Russian" not in text


def test_a_silent_proxy_is_named_with_the_timeout(in_process, fake, giga_ca, giga_ca_file, canaries):
    """A proxy that accepts TCP and never answers the CONNECT: a timeout, through the proxy it names."""
    with FakeGigaChat(giga_ca, silent=True, hold=5) as silent:
        env = live_env(fake, canaries, GIGACHAT_CA_BUNDLE_FILE=str(giga_ca_file), NO_PROXY="",
                       HTTPS_PROXY=f"http://127.0.0.1:{silent.port}", GIGACHAT_TIMEOUT="1")
        result, _ = in_process.run("proxy-silent", GIGACHAT_ONLY, env)
    failed = gigachat_failures(result)
    assert len(failed) == 1, result.stdout[-3000:]
    assert list(failed.values()) == [["GC021"]]
    assert f"through the proxy HTTPS_PROXY, 127.0.0.1:{silent.port}" in failure_text(result)


# --- TLS failures that are no missing CA --------------------------------------------------------------------

def test_a_certificate_for_another_name_shows_the_names(in_process, giga_ca, giga_ca_file, canaries, monkeypatch):
    """The CA is trusted, the name is not the one in the URL: GC022 naming what the certificate is for, and a
    remedy about the URL's host name, never a CA download."""
    with FakeGigaChat(giga_ca, key=canaries.key, cert="wrong-host") as other:
        env = live_env(other, canaries, GIGACHAT_CA_BUNDLE_FILE=str(giga_ca_file))
        failure = sdk_get_models(monkeypatch, env)
        assert failure is not None and "CERTIFICATE_VERIFY_FAILED" in str(failure) and "mismatch" in str(failure)
        result, _ = in_process.run("wrong-name", GIGACHAT_ONLY, env)
    assert list(gigachat_failures(result).values()) == [["GC022"]], result.stdout[-3000:]
    text = failure_text(result)
    assert "the certificate presented is for gigachat.example.org" in text
    assert "downloading a CA does not fix a name mismatch" in text
    assert "Download the Russian" not in text and "gu-st.ru" not in text


def test_a_port_that_speaks_plain_http_is_no_missing_ca(in_process, fake, canaries, monkeypatch):
    with PlainHTTP() as peer:
        origin = f"https://127.0.0.1:{peer.port}"
        env = live_env(fake, canaries, GIGACHAT_AUTH_URL=origin + "/api/v2/oauth", GIGACHAT_BASE_URL=origin + "/api/v1")
        failure = sdk_get_models(monkeypatch, env)
        assert failure is not None and "WRONG_VERSION_NUMBER" in str(failure)
        result, _ = in_process.run("plain-http", GIGACHAT_ONLY, env)
    assert list(gigachat_failures(result).values()) == [["GC020"]], result.stdout[-3000:]
    text = failure_text(result)
    assert "does not speak TLS (WRONG_VERSION_NUMBER" in text and "downloading a CA does not help" in text
    assert "Download the Russian" not in text and "GC022" not in text


# --- GC047: a request GigaChat refuses as invalid, with --spend ----------------------------------------------

def _functions_refused(seen, fake):
    """A model without functions: a drawing request (function_call) is refused, a plain chat answered."""
    body = json.loads(seen.body or b"{}")
    if "function_call" in body or "functions" in body:
        return Reply(422, json={"status": 422, "message": "Requested model does not support functions"})
    return _chat(seen, fake)


def test_functions_refused_is_gc047_about_functions(in_process, fake, giga_ca_file, canaries):
    fake.on("POST", "/api/v1/chat/completions", _functions_refused)
    env = live_env(fake, canaries, GIGACHAT_CA_BUNDLE_FILE=str(giga_ca_file))
    result, _ = in_process.run("functions-refused", (*GIGACHAT_ONLY, "--spend"), env)
    assert gigachat_failures(result) == {"checks/test_generation.py::test_can_the_site_generate_an_image": ["GC047"]}
    image = result.check("test_can_the_site_generate_an_image")
    assert "Requested model does not support functions" in image["summary"]
    assert image["remedy"].startswith("Send functions only to a model that supports them")
    assert "move the model down" not in failure_text(result)


@pytest.mark.parametrize("status, message, remedy", [
    (413, "Payload too large", "Shorten the request: measure the chat with POST /tokens/count"),
    (400, "Invalid JSON: Unexpected character at position 1", "Fix the request: valid JSON"),
])
def test_a_request_refused_as_invalid_is_one_gc047(in_process, fake, giga_ca_file, canaries, status, message, remedy):
    """The request, not the model: every model refuses it alike, so one failure, the others skip naming it."""
    refused = Reply(status, json={"status": status, "message": message})
    for path in ("/api/v1/chat/completions", "/api/v2/chat/completions"):
        fake.on("POST", path, refused)
    env = live_env(fake, canaries, GIGACHAT_CA_BUNDLE_FILE=str(giga_ca_file))
    result, _ = in_process.run(f"refused-{status}", (*GIGACHAT_ONLY, "--spend"), env)
    failed = gigachat_failures(result)
    assert list(failed.values()) == [["GC047"]], result.stdout[-3000:]
    first = next(iter(failed))
    assert sum(c["codes"] == ["GC047"] for c in result.checks) == 5  # 2 models x 2 chat APIs, and the picture
    for check in result.checks:
        if check["id"] != first and check["codes"] == ["GC047"]:
            assert check["outcome"] == "skipped" and first.split("/")[-1] in check["summary"], check
    assert all(c["remedy"].startswith(remedy) for c in result.checks if c["codes"] == ["GC047"])
    assert "move the model down" not in json.dumps(result.checks)
