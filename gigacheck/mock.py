"""Mock mode: GigaChat HTTP answered from `fixtures/scenarios/<name>/` by `responses`.

A scenario is data: `env` (sample settings), `http.json` (routes) and, for
the log checks, `logs.json`.  Every scenario starts from `healthy`'s routes
and replaces the ones it names, so adding a scenario is adding files.

A route: {"method", "url", then "status"/"headers"/"json"|"body"|"body_file"
|"content_type", or "raise": one of RAISES}.  URLs and strings may use
{auth_url} {auth_origin} {base_url} {api_origin} {proxy_base_url}
{access_token} {expires_at_ms} {model}; a URL ending in `/*` matches any
last path segment (its value is {model}).
"""

from __future__ import annotations

import json
import re
import secrets
import time
from pathlib import Path
from typing import Dict, List, Optional
from urllib.parse import unquote, urlsplit

import requests
import responses

from .settings import Settings

BASE = "healthy"


def fixtures_dir(root: Optional[Path] = None) -> Path:
    for candidate in ([root / "fixtures"] if root else []) + [Path(__file__).resolve().parent.parent / "fixtures"]:
        if (candidate / "scenarios").is_dir():
            return candidate
    return Path(__file__).resolve().parent.parent / "fixtures"


def scenarios(fixtures: Path) -> List[str]:
    root = fixtures / "scenarios"
    return sorted(p.name for p in root.iterdir() if (p / "env").exists() or (p / "http.json").exists()) \
        if root.is_dir() else []


def sample_env(fixtures: Path, scenario: str) -> Path:
    path = fixtures / "scenarios" / scenario / "env"
    return path if path.exists() else fixtures / "scenarios" / BASE / "env"


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
        self._rsps = responses.RequestsMock(assert_all_requests_are_fired=False)

    def start(self) -> "MockGigaChat":
        values = self.scenario.values(self.settings)
        for route in self.scenario.routes:
            url = _fill(route["url"], values)
            if not url or "{" in url or url.startswith("/"):
                continue  # a route for something not configured (e.g. no fallback provider)
            if url.endswith("/*"):
                matcher = re.compile(re.escape(url[:-1]) + r"([^/?#]+)$")
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


# Routes whose answer depends on the request name a handler here ("handler": "<name>").
HANDLERS = {"model_by_id": _model_by_id}
