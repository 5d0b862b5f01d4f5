"""The SDK's ways to authenticate, its default host, and the remedies that fit the situation (client, in-process)."""

import base64
import json
import time
import uuid
import warnings

import pytest
import responses

from gigacheck import GigacheckWarning, rules, sdk
from gigacheck.diagnosis import CATALOG, Finding
from gigacheck.gigachat import generation
from gigacheck.gigachat.client import GigaChatClient
from gigacheck.redact import mask
from gigacheck.settings import load

AUTH = "https://ngw.devices.sberbank.ru:9443/api/v2/oauth"
BASE = "https://gigachat.devices.sberbank.ru/api/v1"
MODEL = {"id": "GigaChat", "object": "model", "owned_by": "salutedevices", "type": "chat"}
MODELS = {"object": "list", "data": [MODEL]}


def key():
    return base64.b64encode(f"{uuid.uuid4()}:{uuid.uuid4()}".encode()).decode()


def client(**env):
    s = load({"GIGACHAT_BASE_URL": BASE, **env})
    return GigaChatClient(s, s.redactor())


def fresh_token():
    return {"access_token": "fresh-" + uuid.uuid4().hex * 8, "expires_at": int(time.time() * 1000) + 1800_000}


def bearer_is(token):
    return [responses.matchers.header_matcher({"Authorization": f"Bearer {token}"})]


# --- the default host: the installed SDK's ------------------------------------------------------------------

@pytest.mark.parametrize("version, base, v2", [
    (None, "https://gigachat.devices.sberbank.ru/api/v1", False),
    ("0.1.43", "https://gigachat.devices.sberbank.ru/api/v1", False),
    ("0.2.2a3", "https://gigachat.devices.sberbank.ru/api/v1", True),
    ("0.2.3", "https://api.giga.chat/v1", True),
    ("0.2.3.post1", "https://api.giga.chat/v1", True),
    ("1.0", "https://api.giga.chat/v1", True),
])
def test_the_default_host_is_the_sdk_versions(version, base, v2):
    d = sdk.defaults(version, detect=False)
    assert (d.base_url, d.v2_chat) == (base, v2)
    s = load({}, sdk_defaults=d)
    assert s.base_url == base
    why = s.base_url_why()
    assert (f"installed gigachat {version}" in why) if version else ("no gigachat SDK installed" in why)
    assert "GIGACHAT_BASE_URL from the environment" == load({"GIGACHAT_BASE_URL": BASE}, sdk_defaults=d).base_url_why()


def test_the_installed_sdk_is_detected():
    pytest.importorskip("gigachat")
    from importlib.metadata import version
    from gigachat.settings import BASE_URL
    d = sdk.defaults()
    assert d.version == version("gigachat") and d.base_url == BASE_URL  # the SDK's own constant agrees


@pytest.mark.parametrize("base, url", [
    ("https://api.giga.chat/v1", "https://api.giga.chat/v2/chat/completions"),
    ("https://gigachat.devices.sberbank.ru/api/v1", "https://gigachat.devices.sberbank.ru/api/v2/chat/completions"),
])
def test_the_v2_chat_url_is_where_the_sdk_posts(base, url):
    assert sdk.v2_chat_url(base) == url
    api_utils = pytest.importorskip("gigachat.api.utils")
    import httpx
    with httpx.Client(base_url=base) as c:
        assert api_utils.resolve_primary_chat_url(c, None) == url


# --- a preset token: refreshed once when a key is set; GC031's remedy per situation --------------------------

@responses.activate
def test_a_rejected_preset_token_with_a_key_is_replaced_by_one_oauth_with_a_warning():
    stale, body = "stale-" + uuid.uuid4().hex * 4, fresh_token()
    responses.post(AUTH, json=body)
    responses.get(BASE + "/models", status=401, json={"status": 401, "message": "Token has expired"},
                  match=bearer_is(stale))
    responses.get(BASE + "/models", json=MODELS, match=bearer_is(body["access_token"]))
    c = client(GIGACHAT_CREDENTIALS=key(), GIGACHAT_ACCESS_TOKEN=stale)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert [m["id"] for m in c.models()] == ["GigaChat"]
        c.api("GET", "/models")  # later calls use the fresh token at once
    assert c.oauth_requests == 1 and len(responses.calls) == 4
    (w,) = [w for w in caught if issubclass(w.category, GigacheckWarning)]
    assert w.message.code == "GC035" and mask(stale) in str(w.message) and stale not in str(w.message)


@responses.activate
def test_a_rejected_preset_token_alone_is_gc031_with_the_preset_remedy():
    responses.get(BASE + "/models", status=401, json={"status": 401, "message": "Token has expired"})
    with pytest.raises(Finding) as info:
        client(GIGACHAT_ACCESS_TOKEN="stale-" + uuid.uuid4().hex).models()
    f = info.value
    assert f.code == "GC031" and f.situation == "preset" and "GIGACHAT_ACCESS_TOKEN" in f.detail
    assert "refresh it" in f.remedy and f.remedy != CATALOG["GC031"].situated("issued").remedy
    assert f"Remedy: {f.remedy}" in f.render()


@responses.activate
def test_a_token_oauth_just_issued_and_refused_is_gc031_with_the_environments_remedy():
    responses.post(AUTH, json=fresh_token())
    responses.get(BASE + "/models", status=401, json={"status": 401, "message": "Unauthorized"})
    with pytest.raises(Finding) as info:
        client(GIGACHAT_CREDENTIALS=key()).models()
    f = info.value
    assert f.code == "GC031" and f.situation == "issued" and "issued in this run" in f.detail
    assert "different environments" in f.remedy and "scope" in f.remedy
    assert "Remove GIGACHAT_ACCESS_TOKEN" not in f.remedy


@responses.activate
def test_a_rejected_fresh_token_after_a_stale_preset_is_the_issued_situation():
    responses.post(AUTH, json=fresh_token())
    responses.get(BASE + "/models", status=401, json={"status": 401, "message": "Unauthorized"})
    c = client(GIGACHAT_CREDENTIALS=key(), GIGACHAT_ACCESS_TOKEN="stale-" + uuid.uuid4().hex)
    with pytest.raises(Finding) as info:
        c.models()
    assert info.value.situation == "issued" and c.oauth_requests == 1  # one OAuth, never a loop


@responses.activate
def test_oauth_5xx_remedy_does_not_ask_for_a_request_id_oauth_never_sends():
    responses.post(AUTH, status=503, body="Service Unavailable")
    with pytest.raises(Finding) as info:
        client(GIGACHAT_CREDENTIALS=key()).token()
    assert info.value.code == "GC029"
    assert "(with X-Request-Id)" not in info.value.remedy and "time of the request" in info.value.remedy
    assert "with X-Request-Id" in CATALOG["GC029"].remedy  # the API's 5xx keep asking for it


# --- password authentication -----------------------------------------------------------------------------------

@responses.activate
def test_password_auth_posts_to_token_as_the_sdk_and_uses_the_token():
    tok = "pw-" + uuid.uuid4().hex * 6
    responses.post(BASE + "/token", json={"tok": tok, "exp": int(time.time() * 1000) + 1800_000})
    responses.get(BASE + "/models", json=MODELS, match=bearer_is(tok))
    c = client(GIGACHAT_USER="site", GIGACHAT_PASSWORD="p4ss-" + uuid.uuid4().hex)
    assert c.settings.auth_method == "password" and rules.key_analysis(c.settings).blocking is not None
    assert [m["id"] for m in c.models()] == ["GigaChat"]
    req = responses.calls[0].request
    assert req.headers["Authorization"] == "Basic " + base64.b64encode(
        f"site:{c.settings.get('GIGACHAT_PASSWORD')}".encode()).decode()
    assert tok not in json.dumps([e.render() for e in c.exchanges])


@responses.activate
def test_password_rejected_is_gc036_and_the_password_never_shows():
    password = "p4ss-" + uuid.uuid4().hex
    basic = base64.b64encode(f"site:{password}".encode()).decode()
    responses.post(BASE + "/token", status=401, json={"status": 401, "message": f"Unauthorized Basic {basic}"})
    c = client(GIGACHAT_USER="site", GIGACHAT_PASSWORD=password)
    with pytest.raises(Finding) as info:
        c.token()
    text = c.redactor.scrub(info.value.render())
    assert info.value.code == "GC036" and password not in text and basic not in text


# --- mTLS: the files, before any call --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def client_pems(tmp_path_factory):
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    d = tmp_path_factory.mktemp("mtls")
    leaf, other = ca.issue_cert("site@example.org"), ca.issue_cert("other@example.org")
    leaf.cert_chain_pems[0].write_to_path(str(d / "cert.pem"))
    leaf.private_key_pem.write_to_path(str(d / "key.pem"))
    other.private_key_pem.write_to_path(str(d / "other-key.pem"))
    (d / "not-pem.txt").write_text("hello")
    return d


@pytest.mark.parametrize("cert, key_file, says", [
    ("cert.pem", "key.pem", None),
    ("cert.pem", "other-key.pem", "does not belong to the certificate"),
    ("missing.pem", "key.pem", "does not exist"),
    ("not-pem.txt", "key.pem", "holds no PEM certificate"),
    ("cert.pem", "not-pem.txt", "holds no PEM key"),
    (None, "key.pem", "GIGACHAT_CERT_FILE is not"),
])
def test_client_certificate_rules(client_pems, cert, key_file, says):
    env = {"GIGACHAT_KEY_FILE": str(client_pems / key_file)}
    if cert:
        env["GIGACHAT_CERT_FILE"] = str(client_pems / cert)
    finding = rules.client_cert_problem(load(env))
    if says is None:
        assert finding is None and load(env).auth_method == "mtls"
    else:
        assert finding.code == "GC016" and says in finding.detail


def test_the_v2_answer_shape_is_read_as_the_sdk_reads_it():
    recorded = {"model": "GigaChat-3-Ultra:32.3.18.5", "created_at": 1780321855,
                "messages": [{"role": "assistant", "content": [{"text": "Hello"}]}], "finish_reason": "stop",
                "usage": {"input_tokens": 19, "input_tokens_details": {"prompt_tokens": 19, "cached_tokens": 0},
                          "output_tokens": 2, "total_tokens": 21}}
    with responses.RequestsMock() as rsps:
        rsps.post(sdk.v2_chat_url(BASE), json=recorded)
        result = generation.short_chat_v2(client(GIGACHAT_ACCESS_TOKEN="t-" + uuid.uuid4().hex), "GigaChat-3-Ultra")
        sent = json.loads(rsps.calls[0].request.body)
    assert (result.content, result.finish_reason) == ("Hello", "stop")
    assert result.usage_text() == "input 19, output 2, total 21"
    assert sent["messages"] == [{"role": "user", "content": [{"text": generation.CHAT_PROMPT}]}]


def test_the_site_can_name_its_sdk_version_when_gigacheck_runs_elsewhere():
    assert load({"GIGACHECK_SDK_VERSION": "none"}).base_url == sdk.DOCUMENTED_BASE_URL
    s = load({"GIGACHECK_SDK_VERSION": "0.2.3"})
    assert s.base_url == sdk.NEW_HOST_BASE_URL and s.sdk.v2_chat and "gigachat 0.2.3" in s.base_url_why()


def test_the_header_says_which_host_and_why(run_checks):
    result = run_checks("--mock", "-m", "config", env={"GIGACHECK_SDK_VERSION": "0.2.3"})
    assert ("gigacheck: API host https://api.giga.chat/v1 (GIGACHAT_BASE_URL unset: the default of the installed "
            "gigachat 0.2.3)") in result.stdout
    assert "gigacheck: authentication: authorization key (OAuth)" in result.stdout
    ru = run_checks("--mock", "-m", "config", "--lang", "ru", env={"GIGACHECK_SDK_VERSION": "none"})
    assert "хост API https://gigachat.devices.sberbank.ru/api/v1 (GIGACHAT_BASE_URL не задан" in ru.stdout
