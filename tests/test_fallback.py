"""The fallback provider's check, in-process against `responses`: what it sends, and
that every fault is GC045 with the key kept out of the finding."""

import json

import pytest
import requests
import responses

from gigacheck.gigachat import fallback
from gigacheck.diagnosis import Finding
from gigacheck.gigachat.mock import MockGigaChat, fixtures_dir, sample_env
from gigacheck.settings import load

PROXY = "https://proxy.example.test/openai/v1"
KEY = "sk-test-fallback-0f1e2d3c4b5a69788796a5b4c3d2e1f0"
LISTED = {"object": "list", "data": [{"id": "gpt-4o-mini", "object": "model"}, {"id": "gpt-4o", "object": "model"}]}


def settings(**env):
    base = {"PROXY_API_BASE_URL": PROXY + "/", "PROXY_API_KEY": KEY, "PROXY_API_MODEL": "gpt-4o-mini"}
    base.update(env)
    return load({k: v for k, v in base.items() if v is not None})


def run(s=None):
    s = s or settings()
    return fallback.check(s, s.redactor())


def failure(s=None) -> Finding:
    with pytest.raises(Finding) as info:
        run(s)
    finding = info.value
    assert finding.code == "GC045" and finding.subject == "fallback"
    assert KEY not in finding.render()
    return finding


@responses.activate
def test_models_answer_with_the_bearer_key_and_the_model_listed():
    responses.get(PROXY + "/models", json=LISTED)
    result = run()
    request = responses.calls[0].request
    assert request.headers["Authorization"] == f"Bearer {KEY}"
    assert result.models == ["gpt-4o-mini", "gpt-4o"] and result.model == "gpt-4o-mini"
    assert KEY not in result.describe()


@responses.activate
def test_the_gigachat_ca_settings_do_not_apply_to_the_provider(tmp_path):
    # a CA bundle GigaChat cannot use blocks every GigaChat call (GC012), not the provider's
    responses.get(PROXY + "/models", json=LISTED)
    assert run(settings(GIGACHAT_CA_BUNDLE_FILE=str(tmp_path / "missing.pem"))).model == "gpt-4o-mini"


@responses.activate
def test_gigachats_client_certificate_does_not_apply_to_the_provider(tmp_path):
    # mTLS is GigaChat's: a client certificate it cannot load (GC016) blocks GigaChat's calls, not the
    # provider's, and the provider (another service, reached by the site without it) is not shown it
    responses.get(PROXY + "/models", json=LISTED)
    s = settings(GIGACHAT_CERT_FILE=str(tmp_path / "missing-cert.pem"), GIGACHAT_KEY_FILE=str(tmp_path / "k.pem"),
                 GIGACHAT_KEY_FILE_PASSWORD="kp")
    assert run(s).model == "gpt-4o-mini"
    assert responses.calls[0].request.req_kwargs["cert"] is None


@responses.activate
def test_a_model_the_provider_does_not_list():
    responses.get(PROXY + "/models", json=LISTED)
    finding = failure(settings(PROXY_API_MODEL="gpt-5-imaginary"))
    assert "'gpt-5-imaginary'" in finding.detail and "gpt-4o-mini, gpt-4o" in finding.detail


@responses.activate
def test_without_a_model_to_look_for_any_list_passes():
    responses.get(PROXY + "/models", json=LISTED)
    assert run(settings(PROXY_API_MODEL=None)).model is None


@responses.activate
@pytest.mark.parametrize("status, body, said", [
    (401, {"error": {"message": "Incorrect API key provided: sk-tes...e1f0", "code": "invalid_api_key"}},
     "rejects PROXY_API_KEY"),
    (403, {"detail": "Forbidden"}, "rejects PROXY_API_KEY"),
    (404, {"detail": "Not Found"}, "path is wrong"),
    (500, {"error": "upstream"}, "answered 500"),
    (200, "<html><title>Login</title></html>", "not a model list"),
])
def test_answers_that_mean_the_fallback_cannot_serve(status, body, said):
    if isinstance(body, str):
        responses.get(PROXY + "/models", status=status, body=body, content_type="text/html")
    else:
        responses.get(PROXY + "/models", status=status, json=body)
    finding = failure()
    assert said in finding.detail
    assert finding.evidence and f"GET {PROXY}/models -> {status}" in finding.evidence[0]


@responses.activate
def test_no_key_and_a_provider_that_wants_one():
    responses.get(PROXY + "/models", status=401, json={"error": {"message": "Missing API key"}})
    finding = failure(settings(PROXY_API_KEY=None))
    assert "PROXY_API_KEY is not set" in finding.detail
    assert "Authorization" not in responses.calls[0].request.headers


@responses.activate
def test_an_unreachable_provider_is_gc045_not_a_gigachat_network_code():
    # no route: `responses` refuses the connection like a closed port
    finding = failure()
    assert "cannot be reached" in finding.detail


@pytest.mark.parametrize("url", ["ftp://proxy.example.test/v1", "proxy.example.test/v1", "https://"])
def test_a_url_that_is_not_http_is_gc045(url):
    assert "not an http(s) URL" in failure(settings(PROXY_API_BASE_URL=url)).detail


def test_not_configured_skips_with_gc045():
    assert fallback.not_configured(settings(PROXY_API_BASE_URL=None)).startswith("[GC045] ")
    assert fallback.not_configured(settings()) is None


def test_the_mock_provider_checks_the_key():
    fixtures = fixtures_dir()
    s = load({}, None, mock_sample=sample_env(fixtures, "healthy"), mock_scenario="healthy")
    mock = MockGigaChat(s, fixtures, "healthy").start()
    try:
        url = s.proxy_base_url + "/models"
        wrong = requests.get(url, headers={"Authorization": "Bearer sk-wrong"}, timeout=5)
        right = requests.get(url, headers={"Authorization": f"Bearer {s.proxy_key.reveal()}"}, timeout=5)
    finally:
        mock.stop()
    assert wrong.status_code == 401 and json.loads(wrong.content)["error"]["code"] == "invalid_api_key"
    assert right.status_code == 200 and s.proxy_model in [m["id"] for m in right.json()["data"]]


@responses.activate
def test_a_plain_http_provider_is_refused_with_gc046_and_the_key_is_never_sent():
    s = settings(PROXY_API_BASE_URL="http://proxy.example.test/v1")
    responses.get("http://proxy.example.test/v1/models", json=LISTED)
    with pytest.raises(Finding) as info:
        run(s)
    assert info.value.code == "GC046" and KEY not in info.value.render()
    assert len(responses.calls) == 0  # not even one request in clear
