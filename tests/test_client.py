"""The client against `responses`: what it sends, and which code each answer maps to."""

import base64
import json
import time
import uuid

import pytest
import responses

from gigacheck.gigachat.client import GigaChatClient
from gigacheck.diagnosis import Finding
from gigacheck.settings import load

AUTH = "https://ngw.devices.sberbank.ru:9443/api/v2/oauth"
BASE = "https://gigachat.devices.sberbank.ru/api/v1"
MODEL = {"id": "GigaChat", "object": "model", "owned_by": "salutedevices", "type": "chat"}  # as the API lists it


def key():
    return base64.b64encode(f"{uuid.uuid4()}:{uuid.uuid4()}".encode()).decode()


def client(**env):
    s = load({"GIGACHAT_CREDENTIALS": env.pop("k", None) or key(), "GIGACHAT_BASE_URL": BASE, **env})
    return GigaChatClient(s, s.redactor())


def token_body(expires_at=None):
    return {"access_token": "tok-" + uuid.uuid4().hex, "expires_at": expires_at or int(time.time() * 1000) + 1800_000}


@responses.activate
def test_oauth_request_is_what_the_api_expects():
    k = key()
    responses.post(AUTH, json=token_body())
    c = client(k=k, GIGACHAT_SCOPE="GIGACHAT_API_B2B")
    c.token()
    req = responses.calls[0].request
    assert req.headers["Authorization"] == f"Basic {k}"
    assert str(uuid.UUID(req.headers["RqUID"], version=4)) == req.headers["RqUID"]
    assert req.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert req.headers["Accept"] == "application/json"
    assert req.body == "scope=GIGACHAT_API_B2B"


@responses.activate
def test_one_oauth_call_serves_every_request_and_failures_are_kept():
    body = token_body()
    responses.post(AUTH, json=body)
    responses.get(BASE + "/models", json={"object": "list", "data": [MODEL]})
    c = client()
    assert c.token().reveal() == body["access_token"]
    c.models()
    c.api("GET", "/models")
    assert c.oauth_requests == 1
    assert [r.request.method for r in responses.calls].count("POST") == 1
    assert responses.calls[1].request.headers["Authorization"] == "Bearer " + body["access_token"]

    responses.reset()
    responses.post(AUTH, status=401, json={"code": 6, "message": "credentials doesn't match db data"})
    failing = client()
    for _ in range(3):
        with pytest.raises(Finding) as info:
            failing.token()
        assert info.value.code == "GC023"
    assert failing.oauth_requests == 1


@pytest.mark.parametrize("status, body, code", [
    (401, {"code": 6, "message": "credentials doesn't match db data"}, "GC023"),
    (400, {"code": 7, "message": "scope from db not fully includes consumed scope"}, "GC024"),
    (400, {"code": 4, "message": "Can't decode 'Authorization' header"}, "GC025"),
    (401, {"code": 4, "message": "Can't decode 'Authorization' header"}, "GC025"),
    (400, {"code": 1, "message": "scope data format invalid"}, "GC026"),
    (400, {"code": 5, "message": "scope is empty"}, "GC026"),
    (400, "", "GC026"),                                       # RqUID problems: body undocumented
    (429, {"code": 429, "message": "Too many requests"}, "GC027"),
    (500, "<html>oops</html>", "GC029"),
    (200, "<html><title>Portal</title></html>", "GC028"),
    (200, {"expires_at": 1}, "GC028"),
    (200, {"access_token": "x" * 40, "expires_at": int(time.time()) + 1800}, "GC028"),      # seconds
    (200, {"access_token": "x" * 40, "expires_at": int(time.time() * 1000) - 60_000}, "GC028"),  # past
    (200, {"access_token": "x" * 40}, "GC028"),
])
@responses.activate
def test_oauth_answers_map_to_codes(status, body, code):
    if isinstance(body, dict):
        responses.post(AUTH, status=status, json=body)
    else:
        responses.post(AUTH, status=status, body=body, content_type="text/html")
    with pytest.raises(Finding) as info:
        client().token()
    assert info.value.code == code
    assert "POST " + AUTH in info.value.render()


@pytest.mark.parametrize("status, body, code", [
    (401, {"status": 401, "message": "Token has expired"}, "GC031"),
    (402, {"status": 402, "message": "Payment Required"}, "GC033"),
    (403, {"status": 403, "message": "Permission denied"}, "GC034"),
    (404, "<html><head><title>404 Not Found</title></head></html>", "GC030"),
    (429, {"status": 429, "message": "Too many requests"}, "GC027"),
    (502, "<html><center>SynGX</center></html>", "GC029"),
    (200, "not json", "GC028"),
    (200, {"object": "list"}, "GC028"),
])
@responses.activate
def test_models_answers_map_to_codes(status, body, code):
    responses.post(AUTH, json=token_body())
    if isinstance(body, dict):
        responses.get(BASE + "/models", status=status, json=body, headers={"X-Request-Id": "req-123"})
    else:
        responses.get(BASE + "/models", status=status, body=body, content_type="text/html",
                      headers={"X-Request-Id": "req-123"})
    with pytest.raises(Finding) as info:
        client().models()
    assert info.value.code == code
    assert "X-Request-Id: req-123" in info.value.render()


@responses.activate
def test_429_names_retry_after():
    responses.post(AUTH, json=token_body())
    responses.get(BASE + "/models", status=429, json={"status": 429, "message": "Too many requests"},
                  headers={"Retry-After": "17"})
    with pytest.raises(Finding) as info:
        client().models()
    assert "Retry-After 17 s" in info.value.detail


@responses.activate
def test_no_such_model_is_gc032_for_that_model():
    responses.post(AUTH, json=token_body())
    responses.get(BASE + "/models/GigaChat-3-Ultra", status=404, json={"status": 404, "message": "No such model"})
    with pytest.raises(Finding) as info:
        client().api("GET", "/models/GigaChat-3-Ultra", subject="GigaChat-3-Ultra")
    assert info.value.code == "GC032" and info.value.subject == "GigaChat-3-Ultra"


@responses.activate
def test_a_ready_access_token_is_used_without_oauth():
    responses.get(BASE + "/models", json={"object": "list", "data": [MODEL]})
    c = client(GIGACHAT_ACCESS_TOKEN="ready-token-" + uuid.uuid4().hex)
    assert [m["id"] for m in c.models()] == ["GigaChat"]
    assert c.oauth_requests == 0 and len(responses.calls) == 1


@responses.activate
def test_a_broken_key_is_never_sent():
    responses.post(AUTH, json=token_body())
    c = client(k="Bearer " + key())
    with pytest.raises(Finding) as info:
        c.token()
    assert info.value.code == "GC002" and len(responses.calls) == 0


@responses.activate
def test_evidence_never_carries_the_token():
    body = token_body()
    responses.post(AUTH, json=body)
    responses.get(BASE + "/models", status=401, json={"status": 401, "message": "Token has expired",
                                                       "echo": body["access_token"]})
    c = client()
    with pytest.raises(Finding) as info:
        c.models()
    rendered = info.value.render() + json.dumps([e.render() for e in c.exchanges])
    assert body["access_token"] not in rendered
