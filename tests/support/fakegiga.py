"""A fake GigaChat (OAuth and API) over HTTPS on loopback that misbehaves on request.

In the spirit of pytest-httpserver, small and readable:

    fake = FakeGigaChat(ca, key=KEY).start()      # ca: a trustme.CA
    fake.on("POST", OAUTH_PATH, Reply(401, json={"code": 6, "message": "..."}))
    env = fake.env(ca_file)                        # GIGACHAT_AUTH_URL, _BASE_URL, _CA_BUNDLE_FILE
    ...
    fake.stop()

By default it answers like the real service: OAuth checks the Basic key and
issues a real-shaped token, the API checks the Bearer token.  A `Reply` can
misbehave after the status line (stall, trickle, cut off, send 50 MB), and the
server as a whole can refuse the handshake (`cert="unknown-ca" | "wrong-host"`)
or stay silent (`silent=True`: accepts TCP and never speaks).  Every request is
kept in `seen`; every byte of body sent is counted in `body_bytes_sent`.

Bounded: each connection has a socket timeout, a stalled answer is held for
at most `hold` seconds, and the server stops itself after `lifetime` seconds.
Only loopback is ever bound.
"""

from __future__ import annotations

import base64
import gzip
import http.server
import json
import secrets
import socket
import ssl
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Union
from urllib.parse import parse_qs

import pytest

OAUTH_PATH = "/api/v2/oauth"
API_PREFIX = "/api/v1"
PROXY_PREFIX = "/proxy/v1"
LOOPBACK = "127.0.0.1"
WRONG_HOST = "gigachat.example.org"
MODELS = ("GigaChat", "GigaChat-2", "GigaChat-2-Pro", "GigaChat-2-Max", "GigaChat-Pro", "GigaChat-Max",
          "GigaChat-Plus", "Embeddings", "GigaChat-2-preview")
BODY_LIMIT = 1 << 20  # what the fake reads of a request body


def canary_key() -> str:
    """A real-shaped authorization key: base64 of two fresh UUIDs (100 characters)."""
    return base64.b64encode(f"{uuid.uuid4()}:{uuid.uuid4()}".encode()).decode()


def canary_token() -> str:
    """A real-shaped access token: an opaque JWE of 5 dot-separated base64url parts, ~1200 characters."""
    head = base64.urlsafe_b64encode(json.dumps({"enc": "A256CBC-HS512", "alg": "RSA-OAEP-256"}).encode())
    parts = [head.decode().rstrip("=")] + [secrets.token_urlsafe(n) for n in (256, 12, 600, 32)]
    return ".".join(parts)


def decoded_key(key: str) -> str:
    return base64.b64decode(key).decode()


@dataclass
class Seen:
    """One request the fake received."""

    method: str
    path: str
    headers: Dict[str, str]
    body: bytes
    client_cert: bool = False  # the peer showed a client certificate our client CA signed (mTLS)

    def header(self, name: str) -> Optional[str]:
        for k, v in self.headers.items():
            if k.lower() == name.lower():
                return v
        return None


Body = Union[bytes, str, Callable[["Seen", "FakeGigaChat"], Union[bytes, str]]]


@dataclass
class Reply:
    """What the fake answers.  `mode` says how the body goes out:
    normal · no-answer (reads the request, never answers) · stall-body (headers,
    then nothing) · trickle (one byte every half second) · cut-off (half the
    promised body, then close) · endless (`size` bytes of JSON-ish filler)."""

    status: int = 200
    json: Any = None                    # a value, or f(seen, fake) -> value
    body: Body = b""
    headers: Dict[str, str] = field(default_factory=dict)
    content_type: Optional[str] = None
    mode: str = "normal"
    size: int = 50 << 20                # endless: how much it is willing to send
    gzip: bool = False                  # send the body gzip-compressed

    def payload(self, seen: Seen, fake: "FakeGigaChat") -> bytes:
        if self.json is not None:
            value = self.json(seen, fake) if callable(self.json) else self.json
            return json.dumps(value, ensure_ascii=False).encode("utf-8")
        body = self.body(seen, fake) if callable(self.body) else self.body
        return body.encode("utf-8") if isinstance(body, str) else body


MODES = ("normal", "no-answer", "stall-body", "trickle", "cut-off", "endless")


# --- the real service's answers ------------------------------------------------------------------

def _oauth(seen: Seen, fake: "FakeGigaChat") -> Reply:
    auth = seen.header("Authorization") or ""
    if fake.key is not None and auth != f"Basic {fake.key}":
        return Reply(401, json={"code": 6, "message": "credentials doesn't match db data"})
    if not seen.header("RqUID"):
        return Reply(400, json={"code": 1, "message": "RqUID is empty"})
    if not parse_qs(seen.body.decode("utf-8", "replace")).get("scope"):  # missing or `scope=`, as the SDK sends ""
        return Reply(400, json={"code": 5, "message": "scope is empty"})
    return Reply(200, json={"access_token": fake.token, "expires_at": int(time.time() * 1000) + 30 * 60 * 1000})


def _bearer_ok(seen: Seen, fake: "FakeGigaChat") -> bool:
    if seen.client_cert:  # an mTLS host authenticates by the certificate, as the SDK expects
        return True
    return (seen.header("Authorization") or "") in {f"Bearer {t}" for t in fake.accepted_tokens()}


def _password(seen: Seen, fake: "FakeGigaChat") -> Reply:
    """The SDK's password authentication: POST {base_url}/token, HTTP Basic user:password."""
    auth = seen.header("Authorization") or ""
    try:
        user, _, password = base64.b64decode(auth[len("Basic "):]).decode().partition(":")
    except ValueError:
        user, password = "", ""
    if not auth.startswith("Basic ") or fake.users.get(user) != password:
        return Reply(401, json={"status": 401, "message": "Unauthorized"})
    return Reply(200, json={"tok": fake.token, "exp": int(time.time() * 1000) + 30 * 60 * 1000})


def _chat_v2(seen: Seen, fake: "FakeGigaChat") -> Reply:
    """POST /api/v2/chat/completions: the primary chat API, in the shape of the SDK's recorded answers."""
    model = _chat_model(seen, fake)
    if isinstance(model, Reply):
        return model
    if model not in fake.models:
        return Reply(404, json={"status": 404, "message": "No such model"})
    return Reply(200, json={"model": f"{model}:2.0.28.2", "created_at": int(time.time()),
                            "messages": [{"role": "assistant", "content": [{"text": "Привет!"}]}],
                            "finish_reason": "stop",
                            "usage": {"input_tokens": 19, "input_tokens_details": {"prompt_tokens": 19,
                                                                                   "cached_tokens": 0},
                                      "output_tokens": 2, "total_tokens": 21}})


def _chat_model(seen: Seen, fake: "FakeGigaChat"):
    """The model a chat request names, or the Reply that refuses it (no token, a body that is not JSON)."""
    if not _bearer_ok(seen, fake):
        return _unauthorized()
    try:
        return json.loads(seen.body or b"{}").get("model", "GigaChat")
    except ValueError:
        return Reply(422, json={"status": 422, "message": "Invalid params: body is not JSON"})


def _unauthorized() -> Reply:
    return Reply(401, json={"status": 401, "message": "Unauthorized"})


def _models(seen: Seen, fake: "FakeGigaChat") -> Reply:
    if not _bearer_ok(seen, fake):
        return _unauthorized()
    data = [{"id": m, "object": "model", "owned_by": "salutedevices", "type": "chat"} for m in fake.models]
    return Reply(200, json={"object": "list", "data": data})


def _model(seen: Seen, fake: "FakeGigaChat") -> Reply:
    if not _bearer_ok(seen, fake):
        return _unauthorized()
    name = seen.path.rsplit("/", 1)[-1]
    if name not in fake.models:
        return Reply(404, json={"status": 404, "message": "No such model"})
    return Reply(200, json={"id": name, "object": "model", "owned_by": "salutedevices", "type": "chat"})


def _chat(seen: Seen, fake: "FakeGigaChat") -> Reply:
    model = _chat_model(seen, fake)
    if isinstance(model, Reply):
        return model
    return Reply(200, json={"choices": [{"message": {"content": "Привет!", "role": "assistant"}, "index": 0,
                                         "finish_reason": "stop"}],
                            "created": int(time.time()), "model": f"{model}:2.0.28.2", "object": "chat.completion",
                            "usage": {"prompt_tokens": 17, "completion_tokens": 3, "total_tokens": 20}})


def _balance(seen: Seen, fake: "FakeGigaChat") -> Reply:
    if not _bearer_ok(seen, fake):
        return _unauthorized()
    return Reply(403, json={"status": 403, "message": "Permission denied"})


def _proxy_models(seen: Seen, fake: "FakeGigaChat") -> Reply:
    """The OpenAI-compatible fallback provider's GET /models."""
    if fake.proxy_key is not None and seen.header("Authorization") != f"Bearer {fake.proxy_key}":
        return Reply(401, json={"error": {"message": "Incorrect API key provided", "type": "invalid_request_error"}})
    return Reply(200, json={"object": "list", "data": [{"id": m, "object": "model"} for m in fake.proxy_models]})


def _probe(seen: Seen, fake: "FakeGigaChat") -> Reply:
    return Reply(404, body="")


Handler = Callable[[Seen, "FakeGigaChat"], Reply]


# --- the server ---------------------------------------------------------------------------------

class _Drop(Exception):
    """Close this connection without a word."""


class _RequestHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def version_string(self):
        return "SynGX"  # the real front server's name

    def setup(self):
        fake: FakeGigaChat = self.server.fake
        self.request.settimeout(fake.io_timeout)
        if fake.silent:  # a black hole: TCP accepted, then nothing, not even TLS
            fake._stopping.wait(fake.hold)
            raise _Drop
        tls = fake._context.wrap_socket(self.request, server_side=True, do_handshake_on_connect=False)
        self.request = tls
        try:
            tls.do_handshake()
        except ssl.SSLError:
            # a lingering close, as real front servers do: the alert (e.g. "certificate required")
            # reaches the client, not discarded by a reset over its unread request (raw TCP reads)
            tls.settimeout(0.3)
            try:
                while socket.socket.recv(tls, 65536):
                    pass
            except OSError:
                pass
            raise _Drop from None
        self.connection = self.request
        super().setup()

    def log_message(self, format, *args):  # the tests read `seen`, not stderr
        pass

    def _serve(self):
        fake: FakeGigaChat = self.server.fake
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(min(length, BODY_LIMIT)) if length > 0 else b""
        peer = self.connection.getpeercert() if hasattr(self.connection, "getpeercert") else None
        seen = Seen(self.command, self.path.split("?", 1)[0], dict(self.headers.items()), body, bool(peer))
        with fake._lock:
            fake.seen.append(seen)
        reply = fake.route(seen)
        self.close_connection = True
        _write(self, reply, seen, fake)

    do_GET = do_POST = do_HEAD = do_PUT = do_DELETE = do_OPTIONS = do_PATCH = _serve


def _write(h: _RequestHandler, reply: Reply, seen: Seen, fake: "FakeGigaChat") -> None:
    if reply.mode not in MODES:
        raise ValueError(f"unknown reply mode {reply.mode!r}")
    if reply.mode == "no-answer":
        fake._stopping.wait(fake.hold)
        return
    body = reply.payload(seen, fake)
    if reply.gzip:
        body = gzip.compress(body)
    promised = {"normal": len(body), "stall-body": len(body) + 1000, "trickle": 100_000,
                "cut-off": max(len(body), 2) * 2, "endless": reply.size}[reply.mode]
    h.send_response(reply.status)
    headers = {"Content-Type": "application/json" if reply.json is not None else "text/html; charset=utf-8",
               "Connection": "close"}
    if seen.path != OAUTH_PATH:  # production's OAuth answers carry no X-Request-Id; the API's do
        headers["X-Request-Id"] = str(uuid.uuid4())
    if reply.content_type is not None:
        headers["Content-Type"] = reply.content_type
    if reply.gzip:
        headers["Content-Encoding"] = "gzip"
    headers.update({k: (v(seen, fake) if callable(v) else v) for k, v in reply.headers.items()})
    for k, v in headers.items():
        h.send_header(k, v)
    h.send_header("Content-Length", str(promised))
    h.end_headers()
    h.wfile.flush()
    if seen.method == "HEAD":
        return
    try:
        _write_body(h, reply, body, fake)
    except OSError:  # broken pipe, reset, TLS closed, timeout
        pass  # the client hung up: what a bounded client does with an endless body


def _write_body(h: _RequestHandler, reply: Reply, body: bytes, fake: "FakeGigaChat") -> None:
    def send(chunk: bytes):
        h.wfile.write(chunk)
        h.wfile.flush()
        with fake._lock:
            fake.body_bytes_sent += len(chunk)

    if reply.mode == "normal":
        send(body)
    elif reply.mode == "stall-body":
        send(body[: len(body) // 2])
        fake._stopping.wait(fake.hold)
    elif reply.mode == "trickle":
        ends = time.monotonic() + fake.hold
        for byte in (body or b" ") * 1000:  # bounded: at most 1000 rounds of the body
            if time.monotonic() > ends or fake._stopping.wait(0.5):
                break
            send(bytes([byte]))
    elif reply.mode == "cut-off":
        send(body[: max(len(body) // 2, 1)])
    elif reply.mode == "endless":
        filler = b'{"object": "list", "data": [' + b'{"id": "GigaChat", "object": "model"}, ' * 1700
        sent, chunk = 0, filler[: 64 << 10]
        while sent < reply.size and not fake._stopping.is_set():
            send(chunk)
            sent += len(chunk)


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 64

    def __init__(self, fake: "FakeGigaChat"):
        self.fake = fake
        super().__init__((LOOPBACK, 0), _RequestHandler)

    def handle_error(self, request, client_address):
        pass  # a client that rejects our certificate or hangs up is the point of most faults


class FakeGigaChat:
    """OAuth at `auth_url`, the API at `base_url`, a fallback provider at `proxy_url`: one loopback host."""

    def __init__(self, ca, *, key: Optional[str] = None, token: Optional[str] = None, cert: str = "good",
                 silent: bool = False, hold: float = 15.0, lifetime: float = 120.0, io_timeout: float = 10.0,
                 proxy_key: Optional[str] = None, client_ca=None):
        self.ca = ca
        self.client_ca = client_ca          # a trustme.CA: the server then requires client certificates (mTLS)
        self.users: Dict[str, str] = {}     # user -> password, for the SDK's password authentication
        self.key = key
        self.token = token or canary_token()
        self.extra_tokens: List[str] = []   # e.g. a GIGACHAT_ACCESS_TOKEN the API accepts
        self.proxy_key = proxy_key
        self.models = list(MODELS)
        self.proxy_models = ["gpt-4o-mini"]
        self.cert = cert
        self.silent = silent
        self.hold = hold
        self.lifetime = lifetime
        self.io_timeout = io_timeout
        self.seen: List[Seen] = []
        self.body_bytes_sent = 0
        self.routes: Dict[tuple, Union[Reply, Handler]] = {
            ("POST", OAUTH_PATH): _oauth,
            ("GET", API_PREFIX + "/models"): _models,
            ("GET", API_PREFIX + "/models/*"): _model,
            ("POST", API_PREFIX + "/chat/completions"): _chat,
            ("POST", "/api/v2/chat/completions"): _chat_v2,
            ("POST", API_PREFIX + "/token"): _password,
            ("GET", API_PREFIX + "/balance"): _balance,
            ("GET", PROXY_PREFIX + "/models"): _proxy_models,
            ("HEAD", "*"): _probe,
        }
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: Optional[_Server] = None
        self._thread: Optional[threading.Thread] = None
        self._timer: Optional[threading.Timer] = None
        self._stopped_port: Optional[int] = None
        self._context = self._tls_context(cert)

    # --- configuration -------------------------------------------------------------------------
    def on(self, method: str, path: str, reply: Union[Reply, Handler]) -> "FakeGigaChat":
        """Answer `method path` with `reply` (a Reply, or f(seen, fake) -> Reply); a path
        ending in `/*` matches any last segment, `*` any path."""
        self.routes[(method.upper(), path)] = reply
        return self

    def require_client_cert(self, client_ca) -> "FakeGigaChat":
        """From now on, require a client certificate signed by `client_ca` (a trustme.CA): an mTLS host."""
        self.client_ca = client_ca
        self._context = self._tls_context(self.cert)
        return self

    def accepted_tokens(self) -> List[str]:
        return [self.token] + self.extra_tokens

    def _tls_context(self, cert: str) -> ssl.SSLContext:
        import trustme
        if cert == "good":
            leaf = self.ca.issue_cert(LOOPBACK, "localhost")
        elif cert == "wrong-host":
            leaf = self.ca.issue_cert(WRONG_HOST)
        elif cert == "unknown-ca":
            leaf = trustme.CA().issue_cert(LOOPBACK, "localhost")
        else:
            raise ValueError(f"unknown cert {cert!r}")
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        leaf.configure_cert(ctx)
        if self.client_ca is not None:
            ctx.verify_mode = ssl.CERT_REQUIRED
            self.client_ca.configure_trust(ctx)
        return ctx

    # --- addresses -----------------------------------------------------------------------------
    @property
    def port(self) -> int:
        if self._server is not None:
            return self._server.server_address[1]
        assert self._stopped_port is not None, "start() first"
        return self._stopped_port

    @property
    def origin(self) -> str:
        return f"https://{LOOPBACK}:{self.port}"

    @property
    def auth_url(self) -> str:
        return self.origin + OAUTH_PATH

    @property
    def base_url(self) -> str:
        return self.origin + API_PREFIX

    @property
    def proxy_url(self) -> str:
        return self.origin + PROXY_PREFIX

    def env(self, ca_file: Union[str, Path]) -> Dict[str, str]:
        return {"GIGACHAT_AUTH_URL": self.auth_url, "GIGACHAT_BASE_URL": self.base_url,
                "GIGACHAT_CA_BUNDLE_FILE": str(ca_file)}

    # --- what happened -------------------------------------------------------------------------
    def count(self, method: str, path: str) -> int:
        with self._lock:
            return sum(1 for s in self.seen if s.method == method and s.path == path)

    @property
    def oauth_requests(self) -> int:
        return self.count("POST", OAUTH_PATH)

    # --- routing -------------------------------------------------------------------------------
    def route(self, seen: Seen) -> Reply:
        candidates = [(seen.method, seen.path), (seen.method, seen.path.rsplit("/", 1)[0] + "/*"),
                      (seen.method, "*")]
        for key in candidates:
            if key in self.routes:
                target = self.routes[key]
                return target(seen, self) if callable(target) else target
        return Reply(404, body=SYNGX_404, content_type="text/html")

    # --- life ----------------------------------------------------------------------------------
    def start(self) -> "FakeGigaChat":
        self._server = _Server(self)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name=f"fakegiga-{self.port}", daemon=True)
        self._thread.start()
        self._timer = threading.Timer(self.lifetime, self.stop)  # never outlives a forgotten test
        self._timer.daemon = True
        self._timer.start()
        return self

    def stop(self) -> None:
        """Idempotent: the lifetime timer and the test may both call it."""
        self._stopping.set()  # releases every stalled answer
        if self._timer is not None:
            self._timer.cancel()
        with self._lock:
            server, self._server = self._server, None
            self._stopped_port = server.server_address[1] if server is not None else self._stopped_port
        if server is not None:
            server.shutdown()
            server.server_close()
            if self._thread is not None:
                self._thread.join(timeout=5)

    def __enter__(self) -> "FakeGigaChat":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class ClosedPort:
    """A loopback port that refuses connections: bound, never listening, so no one else takes it."""

    def __init__(self):
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind((LOOPBACK, 0))
        self.port = self._sock.getsockname()[1]

    def close(self) -> None:
        self._sock.close()

    def __enter__(self) -> "ClosedPort":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# --- pages the real front server sends -------------------------------------------------------------

SYNGX_404 = ("<!DOCTYPE html><html><head><title>404 Not Found</title></head><body><center><h1>404 Not Found"
             "</h1></center><hr><center>SynGX</center></body></html>")
SYNGX_502 = ("<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway"
             "</h1></center>\r\n<hr><center>SynGX</center>\r\n</body>\r\n</html>\r\n")


# --- fixtures -----------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def giga_ca():
    """A throwaway CA, trusted only through GIGACHAT_CA_BUNDLE_FILE."""
    import trustme
    return trustme.CA()


@pytest.fixture(scope="session")
def giga_ca_file(giga_ca, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("ca") / "fake-gigachat-ca.pem"
    giga_ca.cert_pem.write_to_path(str(path))
    return path
