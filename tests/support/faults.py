"""Every way the fake GigaChat misbehaves, and the code the checks must answer with.

The single source of docs/troubleshooting.md's fault table (`markdown_table()`, checked by
tests/test_faults.py) and of the fault matrix.  A fault is data: what the peer
does, the expected code (None: the checks pass), the check that reports it,
a phrase its summary must contain, and `apply(peer)`, which sets the fault up
on a started fake (`peer.fake`), a second host (`peer.other`), a refusing port
(`peer.closed_port`) and the run's environment (`peer.env`).
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass, field
from typing import Callable, Dict, Optional

from tests.support.fakegiga import (API_PREFIX, OAUTH_PATH, SYNGX_404, SYNGX_502, FakeGigaChat, Reply,
                                    canary_token)

PROBE = "test_can_the_auth_host_be_reached_over_verified_tls"
OAUTH = "test_does_oauth_give_a_usable_token"
LIST = "test_does_the_models_list_answer_with_the_token"
SERVED = "test_is_every_configured_model_served[GigaChat-3-Ultra]"
CHAT = "test_does_every_model_in_the_priority_list_answer[GigaChat]"
SHOWN_AT = {PROBE: "network: auth host reachable", OAUTH: "oauth: usable token", LIST: "api: models list",
            SERVED: "api: model served", CHAT: "generation: model answers (`--spend`)", "": "(every check passes)"}
MODELS_PATH = API_PREFIX + "/models"
CHAT_PATH = API_PREFIX + "/chat/completions"
SPEND = ("--spend",)


# 50 gzip members of 1 MiB of spaces each: inflates to 50 MiB, built once in milliseconds.  Compressing
# 50 MiB per run took seconds of CPU inside the run's clock, so under load the client timed out (GC021)
# before it met its size bound (GC028): now only the client's byte bound decides.
GZIP_BOMB = gzip.compress(b" " * (1 << 20), 9) * 50


@dataclass
class Peer:
    """What a fault may change: the fake, a second host, a port that refuses, the run's environment."""

    fake: FakeGigaChat
    other: FakeGigaChat
    closed_port: int
    env: Dict[str, str]
    server_options: Dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Fault:
    name: str
    peer_does: str                     # what the peer does, for the README
    code: Optional[str]                # the SPEC code the checks answer with; None: they pass
    check: str                         # the check that reports it ("" when none fails)
    apply: Callable[[Peer], None]
    says: str = ""                     # a phrase the failure's summary must contain
    server: Dict[str, object] = field(default_factory=dict)  # FakeGigaChat options (cert, silent)
    args: tuple = ()                   # extra options for the run (--spend)


def _on(method: str, path: str, reply: Reply) -> Callable[[Peer], None]:
    return lambda peer: peer.fake.on(method, path, reply)


def _oauth(reply: Reply) -> Callable[[Peer], None]:
    return _on("POST", OAUTH_PATH, reply)


def _models(reply: Reply) -> Callable[[Peer], None]:
    return _on("GET", MODELS_PATH, reply)


def _nothing(peer: Peer) -> None:
    pass


def _urls_at(origin: str) -> Callable[[Peer], None]:
    def apply(peer: Peer) -> None:
        peer.env["GIGACHAT_AUTH_URL"] = origin.format(port=peer.closed_port) + OAUTH_PATH
        peer.env["GIGACHAT_BASE_URL"] = origin.format(port=peer.closed_port) + API_PREFIX
    return apply


def _oauth_error(status: int, code: int, message: str) -> Callable[[Peer], None]:
    return _oauth(Reply(status, json={"code": code, "message": message}))


def _api_error(status: int, message: str, **kw) -> Callable[[Peer], None]:
    return _models(Reply(status, json={"status": status, "message": message}, **kw))


def _echoing_oauth_401(seen, fake):
    # a proxy that echoes the request's Authorization header: the key must still not leak
    return {"code": 6, "message": f"credentials doesn't match db data ({seen.header('Authorization')})"}


def _echoing_expired(seen, fake):
    return {"status": 401, "message": f"Token has expired: {seen.header('Authorization')}"}


def _token_expiring(expires_at: Callable[[], object]):
    def body(seen, fake):
        value = {"access_token": fake.token}
        moment = expires_at()
        if moment is not None:
            value["expires_at"] = moment
        return value
    return body


def _now_s() -> int:
    import time
    return int(time.time())


def _redirect_to_other(method: str, path: str, status: int) -> Callable[[Peer], None]:
    def apply(peer: Peer) -> None:
        peer.fake.on(method, path, Reply(status, body="", headers={"Location": peer.other.origin + path}))
    return apply


def _redirect_loop(peer: Peer) -> None:
    peer.fake.on("POST", OAUTH_PATH, Reply(302, body="", headers={"Location": peer.fake.auth_url}))


def _preset_token_expired(peer: Peer) -> None:
    preset = canary_token()
    peer.env["GIGACHAT_ACCESS_TOKEN"] = preset
    peer.fake.extra_tokens.append(preset)
    peer.fake.on("GET", MODELS_PATH, Reply(401, json=_echoing_expired))


def _mtls_host(peer: Peer) -> None:
    import trustme
    peer.fake.require_client_cert(trustme.CA())  # gigacheck has no certificate of this CA


def _password_refused(peer: Peer) -> None:
    del peer.env["GIGACHAT_CREDENTIALS"]
    peer.env["GIGACHAT_USER"], peer.env["GIGACHAT_PASSWORD"] = "site-user", "not-" + canary_token()[:24]
    peer.fake.users["site-user"] = "the-right-password"


def _unknown_model(peer: Peer) -> None:
    peer.env["GIGACHAT_MODELS"] = "GigaChat,GigaChat-3-Ultra"


def _chat_error(status: int, message: str) -> Callable[[Peer], None]:
    def apply(peer: Peer) -> None:
        peer.env["GIGACHAT_MODELS"] = "GigaChat"
        peer.fake.on("POST", CHAT_PATH, Reply(status, json={"status": status, "message": message}))
    return apply


NON_UTF8 = '{"object": "list", "data": [{"id": "GigaChat", "object": "model", "owned_by": "Сбер"}]}'.encode("cp1251")
NON_UTF8_ERROR = '{"code": 7, "message": "область не совпадает"}'.encode("cp1251")
PORTAL = ("<!DOCTYPE html><html><head><title>Вход в корпоративную сеть</title></head><body><form>"
          "<input name=login></form></body></html>")

FAULTS = [
    # --- the network ---
    Fault("refused", "nothing listens on the port (connection refused)", "GC020", PROBE,
          _urls_at("https://127.0.0.1:{port}"), says="refused"),
    Fault("dns", "the host name does not resolve (`gigachat.invalid`)", "GC020", PROBE,
          _urls_at("https://gigachat.invalid"), says="resolved"),
    Fault("black-hole", "accepts TCP and never speaks (not even TLS)", "GC021", PROBE, _nothing,
          server={"silent": True}),
    Fault("no-answer", "reads the request and never answers", "GC021", PROBE,
          _on("HEAD", "*", Reply(200, mode="no-answer"))),
    Fault("stalled-body", "sends the status line and headers, then stalls the body", "GC021", OAUTH,
          _oauth(Reply(200, json=_token_expiring(lambda: None), mode="stall-body"))),
    Fault("trickle", "sends the body one byte every half second, forever", "GC021", LIST,
          _models(Reply(200, json={"object": "list", "data": []}, mode="trickle")), says="did not arrive"),
    Fault("unknown-ca", "TLS certificate from an unknown CA", "GC022", PROBE, _nothing,
          server={"cert": "unknown-ca"}, says="CERTIFICATE_VERIFY_FAILED"),
    Fault("wrong-host-cert", "TLS certificate for another host name", "GC022", PROBE, _nothing,
          server={"cert": "wrong-host"}, says="another host name"),
    # --- OAuth ---
    Fault("oauth-400-code-1", "OAuth 400 `code 1` (scope data format invalid)", "GC026", OAUTH,
          _oauth_error(400, 1, "scope data format invalid"), says="code 1"),
    Fault("oauth-400-code-4", "OAuth 400 `code 4` (Can't decode 'Authorization' header)", "GC025", OAUTH,
          _oauth_error(400, 4, "Can't decode 'Authorization' header"), says="code 4"),
    Fault("oauth-401-code-4", "OAuth 401 `code 4`", "GC025", OAUTH,
          _oauth_error(401, 4, "Can't decode 'Authorization' header"), says="code 4"),
    Fault("oauth-400-code-5", "OAuth 400 `code 5` (scope is empty)", "GC026", OAUTH,
          _oauth_error(400, 5, "scope is empty"), says="code 5"),
    Fault("oauth-400-code-7", "OAuth 400 `code 7` (scope does not match the key)", "GC024", OAUTH,
          _oauth_error(400, 7, "scope from db not fully includes consumed scope"), says="code 7"),
    Fault("oauth-400-no-body", "OAuth 400 with an empty body (e.g. RqUID refused)", "GC026", OAUTH,
          _oauth(Reply(400, body="")), says="400"),
    Fault("oauth-401-code-6", "OAuth 401 `code 6`, echoing the Authorization header back", "GC023", OAUTH,
          _oauth(Reply(401, json=_echoing_oauth_401)), says="code 6"),
    Fault("oauth-413", "OAuth 413 Payload too large", "GC026", OAUTH,
          _oauth(Reply(413, json={"status": 413, "message": "Payload too large"})), says="413"),
    Fault("oauth-html-404", "OAuth URL answers an HTML 404 page", "GC026", OAUTH,
          _oauth(Reply(404, body=SYNGX_404)), says="404"),
    Fault("oauth-429-retry-after", "OAuth 429 with `Retry-After: 7`", "GC027", OAUTH,
          _oauth(Reply(429, json={"code": 429, "message": "Too many requests"}, headers={"Retry-After": "7"})),
          says="Retry-After 7"),
    Fault("oauth-500", "OAuth 500 Internal Server Error", "GC029", OAUTH,
          _oauth(Reply(500, json={"status": 500, "message": "Internal Server Error"})), says="500"),
    Fault("oauth-503", "OAuth 503 Service Unavailable", "GC029", OAUTH,
          _oauth(Reply(503, body="Service Unavailable", content_type="text/plain")), says="503"),
    Fault("oauth-502-syngx", "OAuth 502 HTML page from SynGX", "GC029", OAUTH,
          _oauth(Reply(502, body=SYNGX_502)), says="502"),
    Fault("oauth-invalid-json", "OAuth 200 with a body that is not JSON", "GC028", OAUTH,
          _oauth(Reply(200, body="access_token=abc; expires_at=soon", content_type="application/json")),
          says="not JSON"),
    Fault("oauth-portal-page", "OAuth 200 with an HTML login page (`text/html`): a captive portal", "GC028", OAUTH,
          _oauth(Reply(200, body=PORTAL)), says="HTML page"),
    Fault("oauth-cut-off", "OAuth 200 whose body stops halfway (connection closed)", "GC028", OAUTH,
          _oauth(Reply(200, json=_token_expiring(lambda: None), mode="cut-off")), says="cut off"),
    Fault("oauth-no-token", "OAuth 200 JSON without `access_token`", "GC028", OAUTH,
          _oauth(Reply(200, json={"expires_at": 1})), says="without access_token"),
    Fault("expires-in-seconds", "`expires_at` in seconds, not milliseconds", "GC028", OAUTH,
          _oauth(Reply(200, json=_token_expiring(lambda: _now_s() + 1800))), says="seconds"),
    Fault("expires-in-the-past", "`expires_at` in the past", "GC028", OAUTH,
          _oauth(Reply(200, json=_token_expiring(lambda: (_now_s() - 3600) * 1000))), says="in the past"),
    Fault("expires-missing", "`expires_at` missing", "GC028", OAUTH,
          _oauth(Reply(200, json=_token_expiring(lambda: None))), says="expires_at"),
    Fault("oauth-non-utf8-error", "OAuth 400 `code 7` with a cp1251 (non-UTF-8) message", "GC024", OAUTH,
          _oauth(Reply(400, body=NON_UTF8_ERROR, content_type="application/json")), says="code 7"),
    Fault("oauth-redirect-loop", "OAuth answers 302 to itself (a redirect loop)", "GC028", OAUTH,
          _redirect_loop, says="redirect"),
    Fault("oauth-redirect-other-host", "OAuth answers 307 to another host (the key must not follow)", "GC028",
          OAUTH, _redirect_to_other("POST", OAUTH_PATH, 307), says="redirect"),
    # --- the API ---
    Fault("api-html-404", "`/models` answers an HTML 404 page (wrong base URL)", "GC030", LIST,
          _models(Reply(404, body=SYNGX_404)), says="404"),
    Fault("api-404-no-such-model-list", "`/models` answers 404 `No such model`", "GC030", LIST,
          _api_error(404, "No such model"), says="404"),
    Fault("api-502-syngx", "`/models` answers a 502 HTML page from SynGX", "GC029", LIST,
          _models(Reply(502, body=SYNGX_502)), says="502"),
    Fault("api-500", "`/models` answers 500", "GC029", LIST, _api_error(500, "Internal Server Error"), says="500"),
    Fault("api-503", "`/models` answers 503", "GC029", LIST, _api_error(503, "Service Unavailable"), says="503"),
    Fault("api-401-expired", "API 401 `Token has expired` for the OAuth token (echoing it back)", "GC031", LIST,
          _models(Reply(401, json=_echoing_expired)), says="Token has expired"),
    Fault("api-401-preset-token", "API 401 `Token has expired` for GIGACHAT_ACCESS_TOKEN", "GC031", LIST,
          _preset_token_expired, says="Token has expired"),
    Fault("api-402", "`/models` answers 402 Payment Required", "GC033", LIST,
          _api_error(402, "Payment Required"), says="402"),
    Fault("api-403", "`/models` answers 403 Permission denied", "GC034", LIST,
          _api_error(403, "Permission denied"), says="403"),
    Fault("api-404-no-such-model", "`/models/{id}` answers 404 `No such model` for a configured model",
          "GC032", SERVED, _unknown_model, says="GigaChat-3-Ultra"),
    Fault("api-413", "`/models` answers 413 Payload too large", "GC028", LIST,
          _api_error(413, "Payload too large"), says="413"),
    Fault("api-422", "`/models` answers 422 Invalid params", "GC028", LIST,
          _api_error(422, "Invalid params: unexpected query"), says="422"),
    Fault("api-429-retry-after", "`/models` answers 429 with `Retry-After: 30`", "GC027", LIST,
          _api_error(429, "Too many requests", headers={"Retry-After": "30"}), says="Retry-After 30"),
    Fault("api-429", "`/models` answers 429 without `Retry-After`", "GC027", LIST,
          _api_error(429, "Too many requests"), says="no Retry-After"),
    Fault("api-truncated-json", "`/models` 200 with truncated JSON (complete HTTP body)", "GC028", LIST,
          _models(Reply(200, body='{"object": "list", "data": [{"id": "GigaCh', content_type="application/json")),
          says="not JSON"),
    Fault("api-50mb", "`/models` 200 with a 50 MB body", "GC028", LIST,
          _models(Reply(200, json={}, mode="endless")), says="larger than"),
    Fault("api-gzip-bomb", "`/models` 200 with a gzip body that inflates to 50 MB", "GC028", LIST,
          _models(Reply(200, body=GZIP_BOMB, headers={"Content-Encoding": "gzip"},
                        content_type="application/json")),
          says="larger than"),
    Fault("api-non-utf8", "`/models` 200 with non-UTF-8 (cp1251) bytes", "GC028", LIST,
          _models(Reply(200, body=NON_UTF8, content_type="application/json")), says="UTF-8"),
    Fault("api-json-as-text", "`/models` 200 with valid JSON sent as `text/plain`", None, "",
          _models(Reply(200, json=lambda seen, fake: {"object": "list", "data": [
              {"id": m, "object": "model", "owned_by": "salutedevices"} for m in fake.models]},
              content_type="text/plain"))),
    Fault("chat-402", "chat completion answers 402 Payment Required (`--spend`)", "GC033", CHAT,
          _chat_error(402, "Payment Required"), says="402", args=SPEND),
    Fault("chat-413", "chat completion answers 413 Payload too large (`--spend`)", "GC047", CHAT,
          _chat_error(413, "Payload too large"), says="413", args=SPEND),
    Fault("chat-422", "chat completion answers 422 Invalid params (`--spend`)", "GC047", CHAT,
          _chat_error(422, "Invalid params: max_tokens"), says="422", args=SPEND),
    Fault("chat-422-functions", "chat completion answers 422 `Requested model does not support functions` "
          "(`--spend`)", "GC047", CHAT, _chat_error(422, "Requested model does not support functions"),
          says="does not support functions", args=SPEND),
    Fault("chat-400-invalid-json", "chat completion answers 400 `Invalid JSON` (`--spend`)", "GC047", CHAT,
          _chat_error(400, "Invalid JSON: unexpected end of input"), says="400", args=SPEND),
    Fault("api-redirect-other-host", "`/models` answers 302 to another host (the token must not follow)",
          "GC028", LIST, _redirect_to_other("GET", MODELS_PATH, 302), says="redirect"),
    Fault("mtls-certificate-required", "the host requires a client certificate (TLS alert `certificate required`)",
          "GC037", PROBE, _mtls_host, says="certificate required"),
    Fault("password-refused", "password authentication (`POST /token`) answers 401", "GC036", OAUTH,
          _password_refused, says="401"),
]

BY_NAME = {f.name: f for f in FAULTS}


def markdown_table() -> str:
    """docs/troubleshooting.md's table, between the faults markers."""
    rows = ["| the peer (GigaChat, a proxy, the network) | code | reported by |", "|---|---|---|"]
    for f in FAULTS:
        code = f.code or "none: accepted"
        rows.append(f"| {f.peer_does.replace('|', chr(92) + '|')} | {code} | {SHOWN_AT[f.check]} |")
    return "\n".join(rows)


def update_readme(path) -> bool:
    """Put the table between the faults markers of `path` (docs/troubleshooting.md); True when it changed."""
    import re
    from pathlib import Path
    text = Path(path).read_text(encoding="utf-8")
    new = re.sub(r"(<!-- faults:start -->\n).*?(<!-- faults:end -->)",
                 lambda m: m.group(1) + markdown_table() + "\n" + m.group(2), text, count=1, flags=re.S)
    if new != text:
        Path(path).write_text(new, encoding="utf-8")
    return new != text


if __name__ == "__main__":  # python -m tests.support.faults: refresh docs/troubleshooting.md's fault table
    from tests.support.checksrun import REPO
    page = REPO / "docs" / "troubleshooting.md"
    print(f"{page.name} updated" if update_readme(page) else f"{page.name} already up to date")
