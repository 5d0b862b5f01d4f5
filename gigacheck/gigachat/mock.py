"""Mock mode: GigaChat HTTP answered from `fixtures/scenarios/<name>/` by `responses`.

A scenario is data: `env` (sample settings), `http.json` (routes) and, for
the log checks, `logs.json`.  Every scenario starts from `healthy`'s routes
and replaces the ones it names, so adding a scenario is adding files.

A route: {"method", "url", then "status"/"headers"/"json"|"body"|"body_file"
|"content_type", or "raise": one of RAISES}.  URLs and strings may use
{auth_url} {auth_origin} {base_url} {api_origin} {proxy_base_url}
{access_token} {expires_at_ms} {model} {first_model}; a `*` path segment
matches any one segment (at the end, its value is {model}).

Handler routes ("handler": a name in HANDLERS) answer from the request:
`chat_completion` answers as the model asked for (404 for a model /models does
not list); a drawing request (function_call "auto", "Нарисуй ...") gets an
`<img src="<file id>" fuse="true"/>` tag unless "draws": false; models listed in
"static_for_models" get the route's static answer instead (e.g. a 402).
`file_content` serves "image_file" (relative to fixtures/) for ids the chat
handed out, and 403 when X-Client-ID differs from the generation call's.
`proxy_models` answers the route's json when the fallback key is sent as
`Authorization: Bearer <PROXY_API_KEY>`, and OpenAI's 401 otherwise.
"""

from __future__ import annotations

import json
import re
import secrets
import time
import uuid
from pathlib import Path
from typing import Dict, List, Optional
from urllib.parse import unquote, urlsplit

import requests
import responses

from ..scenarios import BASE, fixtures_dir, sample_env, scenarios  # noqa: F401  (importable from here too)
from ..settings import Settings


def _raise(kind: str, url: str):
    host = urlsplit(url).hostname
    if kind == "connect-timeout":
        return requests.exceptions.ConnectTimeout(f"HTTPSConnectionPool(host='{host}', port=443): Max retries "
                                                  f"exceeded (Caused by ConnectTimeoutError(connect timeout))")
    if kind == "read-timeout":
        return requests.exceptions.ReadTimeout(f"HTTPSConnectionPool(host='{host}', port=443): Read timed out.")
    if kind == "ssl":
        return requests.exceptions.SSLError(
            f"HTTPSConnectionPool(host='{host}', port=443): Max retries exceeded (Caused by SSLError("
            f"SSLCertVerificationError(1, '[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: "
            f"self-signed certificate in certificate chain (_ssl.c:1006)')))")
    if kind == "refused":
        return requests.exceptions.ConnectionError(f"HTTPSConnectionPool(host='{host}', port=443): "
                                                   f"[Errno 111] Connection refused")
    if kind == "dns":
        return requests.exceptions.ConnectionError(f"Failed to resolve '{host}' ([Errno -2] Name or service "
                                                   f"not known)")
    raise ValueError(f"unknown raise kind {kind!r}")


RAISES = ("connect-timeout", "read-timeout", "ssl", "refused", "dns")


class Scenario:
    def __init__(self, fixtures: Path, name: str):
        self.fixtures = fixtures
        self.name = name
        self.dir = fixtures / "scenarios" / name
        if not self.dir.is_dir():
            raise ValueError(f"no mock scenario {name!r}; known: {', '.join(scenarios(fixtures))}")
        self.description = ""
        self.routes = self._routes()
        self.access_token = "mock." + secrets.token_urlsafe(48)  # unique per run, so leaks are findable

    def _load(self, name: str) -> dict:
        path = self.fixtures / "scenarios" / name / "http.json"
        if not path.exists():
            return {}
        return json.loads(path.read_text(encoding="utf-8"))

    def _routes(self) -> List[dict]:
        merged: Dict[tuple, dict] = {}
        for layer in ([BASE] if self.name == BASE else [BASE, self.name]):
            data = self._load(layer)
            if layer == self.name:
                self.description = data.get("description", "")
            for route in data.get("routes", []):
                merged[(route["method"].upper(), route["url"])] = route
        return list(merged.values())

    def values(self, settings: Settings) -> Dict[str, object]:
        def origin(url):
            p = urlsplit(url)
            return f"{p.scheme}://{p.netloc}"
        return {
            "auth_url": settings.auth_url, "auth_origin": origin(settings.auth_url),
            "base_url": settings.base_url, "api_origin": origin(settings.base_url),
            "proxy_base_url": settings.proxy_base_url or "",
            "first_model": settings.models[0] if settings.models else "",
            "access_token": self.access_token,
            "expires_at_ms": int(time.time() * 1000) + 30 * 60 * 1000,
        }


def _fill(value, values: Dict[str, object]):
    """Replace {placeholders}: a whole-string placeholder keeps the value's type."""
    if isinstance(value, str):
        whole = re.fullmatch(r"\{(\w+)\}", value)
        if whole and whole.group(1) in values:
            return values[whole.group(1)]
        return re.sub(r"\{(\w+)\}", lambda m: str(values.get(m.group(1), m.group(0))), value)
    if isinstance(value, list):
        return [_fill(v, values) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, values) for k, v in value.items()}
    return value


class MockGigaChat:
    """A started `responses` mock serving one scenario; `stop()` undoes the patch."""

    def __init__(self, settings: Settings, fixtures: Path, scenario: str):
        self.scenario = Scenario(fixtures, scenario)
        self.settings = settings
        self.calls: List[tuple] = []  # (method, path) of every request answered, for tests and the report
        self.files: Dict[str, Optional[str]] = {}  # file id handed out by a drawing answer -> its X-Client-ID
        self._rsps = responses.RequestsMock(assert_all_requests_are_fired=False)

    def start(self) -> "MockGigaChat":
        values = self.scenario.values(self.settings)
        for route in self.scenario.routes:
            url = _fill(route["url"], values)
            if not url or "{" in url or url.startswith("/"):
                continue  # a route for something not configured (e.g. no fallback provider)
            if url.endswith("/*") or "/*/" in url:
                matcher = re.compile(re.escape(url).replace(r"/\*", r"/([^/?#]+)") + "$")
            else:
                matcher = url
            self._rsps.add_callback(route["method"].upper(), matcher, callback=self._callback(route, values))
        self._rsps.start()
        return self

    def stop(self) -> None:
        try:
            self._rsps.stop()
            self._rsps.reset()
        except RuntimeError:
            pass

    def _callback(self, route: dict, values: Dict[str, object]):
        def answer(request):
            path = urlsplit(request.url).path
            self.calls.append((request.method, path))
            local = dict(values)
            if route["url"].endswith("/*"):
                local["model"] = unquote(path.rsplit("/", 1)[-1])
            if "raise" in route:
                raise _raise(route["raise"], request.url)
            handler = route.get("handler")
            if handler:
                return HANDLERS[handler](self, route, request, local)
            return self._static(route, local)
        return answer

    def _static(self, route: dict, values: Dict[str, object]):
        status = int(route.get("status", 200))
        headers = {k: str(v) for k, v in _fill(route.get("headers", {}), values).items()}
        if "json" in route:
            body = json.dumps(_fill(route["json"], values), ensure_ascii=False).encode("utf-8")
            headers.setdefault("Content-Type", "application/json")
        elif "body_file" in route:
            body = (self.scenario.fixtures / "scenarios" / route["body_file"]).read_bytes()
        else:
            body = _fill(route.get("body", ""), values).encode("utf-8")
        if "content_type" in route:
            headers["Content-Type"] = route["content_type"]
        headers.setdefault("X-Request-Id", "mock-" + secrets.token_hex(8))
        return status, headers, body

    def listed_models(self) -> List[str]:
        for route in self.scenario.routes:
            if route["method"].upper() == "GET" and route["url"] == "{base_url}/models" and "json" in route:
                return [m.get("id") for m in route["json"].get("data", [])]
        return []


def _model_by_id(mock: MockGigaChat, route: dict, request, values):
    """GET /models/<id>: the listed model object, or the API's 404 for any other name."""
    name = values["model"]
    if name in mock.listed_models():
        obj = {"id": name, "object": "model", "owned_by": "salutedevices", "type": "chat"}
        return 200, {"Content-Type": "application/json", "X-Request-Id": "mock-model"}, json.dumps(obj).encode()
    return 404, {"Content-Type": "application/json", "X-Request-Id": "mock-model"}, \
        json.dumps({"status": 404, "message": "No such model"}).encode()


def _json_answer(status: int, data, request_id: str):
    return status, {"Content-Type": "application/json", "X-Request-Id": request_id}, \
        json.dumps(data, ensure_ascii=False).encode("utf-8")


_DRAWING = re.compile(r"нарису|изобрази|draw", re.IGNORECASE)


def _chat_completion(mock: MockGigaChat, route: dict, request, values):
    """POST /chat/completions: a short answer, or a picture's <img> tag for a drawing request."""
    rid = "mock-chat-" + secrets.token_hex(6)
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        return _json_answer(422, {"status": 422, "message": "Invalid params: body is not JSON"}, rid)
    model = body.get("model") if isinstance(body, dict) else None
    if model not in mock.listed_models():
        return _json_answer(404, {"status": 404, "message": "No such model"}, rid)
    if model in _fill(route.get("static_for_models", []), values):
        return mock._static(route, values)
    messages = body.get("messages") or [{}]
    prompt = str(messages[-1].get("content", "")) if isinstance(messages[-1], dict) else ""
    if body.get("function_call") == "auto" and _DRAWING.search(prompt):
        if route.get("draws", True):
            file_id = str(uuid.uuid4())
            mock.files[file_id] = request.headers.get("X-Client-ID")
            content = f'Запускаю генерацию изображения... <img src="{file_id}" fuse="true"/> - вот что получилось.'
        else:
            content = "Я не умею рисовать, но могу описать: на светлом фоне лежит маленький зелёный круг."
    else:
        content = "Да."
    prompt_tokens = max(1, len(prompt.split()) + 8)
    completion_tokens = max(1, len(content.split()))
    return _json_answer(200, {
        "choices": [{"message": {"content": content, "role": "assistant"}, "index": 0, "finish_reason": "stop"}],
        "created": int(time.time()), "model": f"{model}:2.0.28.2", "object": "chat.completion",
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                  "total_tokens": prompt_tokens + completion_tokens},
    }, rid)


def _file_content(mock: MockGigaChat, route: dict, request, values):
    """GET /files/<id>/content: the picture, for the X-Client-ID that asked for it."""
    rid = "mock-file-" + secrets.token_hex(6)
    file_id = unquote(urlsplit(request.url).path.rstrip("/").split("/")[-2])
    if file_id not in mock.files:
        return _json_answer(404, {"status": 404, "message": f"File '{file_id}' not found"}, rid)
    if mock.files[file_id] and request.headers.get("X-Client-ID") != mock.files[file_id]:
        return _json_answer(403, {"status": 403, "message": f"Access to file '{file_id}' is denied"}, rid)
    data = (mock.scenario.fixtures / route["image_file"]).read_bytes()
    return 200, {"Content-Type": route.get("content_type", "image/jpeg"), "X-Request-Id": rid}, data


def _proxy_models(mock: MockGigaChat, route: dict, request, values):
    """GET <proxy>/models: the route's list, for the configured fallback key only."""
    key = mock.settings.proxy_key
    if not key or request.headers.get("Authorization") != f"Bearer {key.reveal()}":
        return _json_answer(401, {"error": {"message": "Incorrect API key provided", "type": "invalid_request_error",
                                            "code": "invalid_api_key"}}, "mock-proxy")
    return mock._static(route, values)


# Routes whose answer depends on the request name a handler here ("handler": "<name>").
HANDLERS = {"model_by_id": _model_by_id, "chat_completion": _chat_completion, "file_content": _file_content,
            "proxy_models": _proxy_models}
