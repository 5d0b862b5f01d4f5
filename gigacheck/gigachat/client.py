"""One session-scoped GigaChat client on `requests`.

Every call has a timeout and a bounded body; every answer (or failure) is kept
as an `Exchange` with secrets removed, for the report's evidence.  Failures are
raised as `diagnosis.Finding` with the code the answer maps to.  One OAuth
request per run at most: its outcome, success or failure, is kept.
"""

from __future__ import annotations

import http.client
import json
import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional
from urllib.parse import urlsplit

import requests

from .. import proxies, rules, truststore
from ..diagnosis import Finding
from ..redact import Redactor, Secret, mask, peer_text
from ..settings import Settings
from ..words import count, say
from . import netcause

MAX_BODY = 1 << 20        # JSON answers: 1 MiB is far above any real one
MAX_FILE = 20 << 20       # generated images
EXCERPT = 600
USER_AGENT = "gigacheck/0.1 (+pytest)"


@dataclass
class Exchange:
    """One HTTP call, as evidence: nothing here may hold a secret."""

    method: str
    url: str
    status: Optional[int] = None
    request_id: Optional[str] = None
    content_type: Optional[str] = None
    excerpt: str = ""
    elapsed_s: float = 0.0
    error: Optional[str] = None
    headers: Dict[str, str] = field(default_factory=dict)  # a few answer headers worth showing
    kind: str = ""     # "oauth" for the token request: what the run's request counts count
    sent: bool = True  # False when the request never left (refused, TLS failed, connect timeout, bad CA file)

    def render(self) -> str:
        outcome = f"{self.status}" if self.status is not None else f"no answer ({self.error})"
        line = f"{self.method} {self.url} -> {outcome} in {self.elapsed_s:.2f} s"
        if self.request_id:
            line += f" (X-Request-Id: {self.request_id})"
        lines = [line]
        for k, v in self.headers.items():
            lines.append(f"  {k}: {v}")
        if self.content_type:
            lines.append(f"  Content-Type: {self.content_type}")
        if self.excerpt:
            lines.append(f"  body: {self.excerpt}")
        return "\n".join(lines)


@dataclass
class Answer:
    status: int
    headers: Dict[str, str]
    body: bytes
    exchange: Exchange

    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self, lenient: bool = False) -> Any:
        """The JSON body, or None when it is not JSON.  Strict, as the SDK is, for answers
        the site would use; `lenient` reads an error body with bytes that are not UTF-8
        (its code still counts)."""
        try:
            return json.loads(self.body.decode("utf-8", errors="replace" if lenient else "strict"))
        except (UnicodeDecodeError, ValueError):
            return None

    def not_json(self) -> str:
        """What the body is, when it is not the JSON expected."""
        if re.search(rb"<html|<!doctype", self.body[:2048], re.I):
            return say("body.html")
        try:
            self.body.decode("utf-8")
        except UnicodeDecodeError:
            return say("body.not_utf8")
        return say("body.not_json") if self.body.strip() else say("body.empty")


def _origin(url: str) -> str:
    p = urlsplit(url)
    return f"{p.scheme}://{p.netloc.rsplit('@', 1)[-1]}"


def _host_key(url: str) -> str:
    p = urlsplit(url)
    try:
        port = p.port or (443 if p.scheme == "https" else 80)
    except ValueError:
        port = "?"
    return f"{p.hostname}:{port}"


def _subject(code: str, host: str) -> str:
    # a missing CA fails every host alike: one root cause, one failure
    return "tls" if code == "GC022" else host


def _printable(text: str) -> str:
    return re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", "?", text)


def excerpt(body: bytes, content_type: str = "", scrub=None) -> str:
    """A short, printable view of a body: an HTML page by its title.  `scrub` runs
    before the cut, so a secret cut in half is still found whole."""
    text = body[: 64 << 10].decode("utf-8", errors="replace")
    if scrub is not None:
        text = scrub(text)
    if "html" in (content_type or "").lower() or re.match(r"\s*<(!doctype|html)", text, re.I):
        title = re.search(r"<title[^>]*>(.*?)</title>", text, re.I | re.S)
        heading = re.search(r"<h1[^>]*>(.*?)</h1>", text, re.I | re.S)
        bits = [m.group(1).strip() for m in (title, heading) if m]
        server = re.search(r"syngx", text, re.I)
        summary = "HTML page" + (f" '{bits[0]}'" if bits else "") + (" from SynGX" if server else "")
        return _printable(summary)
    text = " ".join(text.split())
    return _printable(text[:EXCERPT] + ("..." if len(text) > EXCERPT else ""))


def describe_transport_error(exc: BaseException) -> (str, str):
    """(code, detail) for a requests exception: the network's answer, not the API's."""
    text = str(exc)
    low = text.lower()
    if "certificate required" in low or "certificate_required" in low:  # the TLS alert of an mTLS host
        return "GC037", "the TLS handshake ended with the alert 'certificate required'"
    if isinstance(exc, requests.exceptions.ProxyError):  # before "refused": the proxy refused, not the host
        return "GC020", say("net.proxy")
    if netcause.is_tls_closed(text):  # the peer hung up mid-handshake: a proxy, a firewall, a wrong port; no CA
        return "GC020", say("net.tls_closed")
    if "certificate_verify_failed" in low or "certificate verify failed" in low:  # GC022: the certificate itself
        m = re.search(r"certificate verify failed: (.+?)\s*(?:\(_ssl\.c|['\"]\)|$)", text)
        reason = m.group(1).strip().rstrip(".") if m else say("net.tls_handshake")
        if "hostname" in low or "doesn't match" in low or "not valid for" in low or "mismatch" in low:
            reason = say("net.other_host") + (f" ({reason})" if m else "")
        return "GC022", f"CERTIFICATE_VERIFY_FAILED: {reason}" if m else reason
    failed = netcause.tls_failure(exc, text)  # a handshake that failed before any certificate: no CA helps
    if failed is not None:
        kind, reason = failed
        return "GC020", say("net.not_tls" if kind == "not_tls" else "net.tls_failed", reason=reason)
    if isinstance(exc, (requests.exceptions.Timeout,)) or "timed out" in low or "timeout" in low:
        phase = "connect" if isinstance(exc, requests.exceptions.ConnectTimeout) or "connect timeout" in low \
            else "answer"
        return "GC021", say(f"net.timeout.{phase}")
    if "name or service not known" in low or "failed to resolve" in low or "nodename nor servname" in low \
            or "getaddrinfo" in low or "name resolution" in low or "no address associated" in low:
        return "GC020", say("net.dns")
    if "refused" in low:
        return "GC020", say("net.refused")
    if isinstance(exc, requests.exceptions.ProxyError):
        return "GC020", say("net.proxy")
    if isinstance(exc, (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError)):
        return "GC028", say("net.cut_off")
    if "reset by peer" in low or "remotedisconnected" in low or "aborted" in low:
        return "GC020", say("net.closed")
    return "GC020", say("net.failed", kind=exc.__class__.__name__)


def _request_left(exc: BaseException) -> bool:
    """Did the request reach the peer before this failure? Only a read timeout or a cut
    connection comes after sending; DNS, refusal, TLS and connect timeouts come before."""
    if isinstance(exc, (requests.exceptions.SSLError, requests.exceptions.ConnectTimeout,
                        requests.exceptions.ProxyError)):
        return False
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return True
    if isinstance(exc, requests.exceptions.ConnectionError):
        low = str(exc).lower()
        return "reset by peer" in low or "remotedisconnected" in low or "aborted" in low
    return True


def _read1_chunks(raw, read1):
    """The body in pieces as they arrive, with urllib3's errors as requests' (as iter_content does)."""
    from urllib3 import exceptions as u3
    while True:
        try:
            chunk = read1(64 << 10, decode_content=True)  # as iter_content: gzip inflated, bounded
        except u3.ReadTimeoutError as exc:
            raise requests.exceptions.ReadTimeout(exc) from None
        except u3.SSLError as exc:
            raise requests.exceptions.SSLError(exc) from None
        except u3.DecodeError as exc:
            raise requests.exceptions.ContentDecodingError(exc) from None
        except (u3.ProtocolError, u3.HTTPError, http.client.HTTPException) as exc:  # cut off mid-body
            raise requests.exceptions.ChunkedEncodingError(exc) from None
        if not chunk:
            return
        yield chunk


class _KeyPasswordAdapter(requests.adapters.HTTPAdapter):
    """requests has no argument for a client key's password; urllib3's pools take one (`key_password`)."""

    def __init__(self, password: str, **kwargs):
        self._key_password = password
        super().__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs):
        kwargs["key_password"] = self._key_password
        super().init_poolmanager(*args, **kwargs)

    def proxy_manager_for(self, proxy, **proxy_kwargs):
        proxy_kwargs["key_password"] = self._key_password
        return super().proxy_manager_for(proxy, **proxy_kwargs)


class GigaChatClient:
    def __init__(self, settings: Settings, redactor: Redactor, store: str = "httpx"):
        """`store`: whose trust store verifies TLS: "httpx" (the SDK's, for GigaChat) or "requests"
        (the fallback provider's client)."""
        self.settings = settings
        self.redactor = redactor
        self.store = truststore.httpx_store(settings) if store == "httpx" else truststore.requests_store(settings)
        self.exchanges: List[Exchange] = []
        self._token: Optional[Secret] = None
        self._token_failure: Optional[Finding] = None
        self._host_failures: Dict[str, Finding] = {}
        self._cache: Dict[str, Any] = {}
        self._session: Optional[requests.Session] = None

    # --- transport --------------------------------------------------------------
    @property
    def session(self) -> requests.Session:
        if self._session is None:
            s = requests.Session()
            s.headers["User-Agent"] = USER_AGENT
            # the environment is read by gigacheck's settings, as the site's client reads it: the trust store
            # (REQUESTS_CA_BUNDLE is not the SDK's), the proxy (named when it fails), never ~/.netrc
            s.trust_env = False
            # redirects are never followed (allow_redirects=False on every call): a redirect is
            # reported, and no key or token goes to the host it names.  max_redirects must stay
            # above 0, or requests raises TooManyRedirects instead of returning the 3xx.
            s.max_redirects = 1
            if self.settings.cert_file:  # mTLS, as the SDK sends it on API calls
                s.cert = (self.settings.cert_file, self.settings.key_file) if self.settings.key_file \
                    else self.settings.cert_file
                # an encrypted key opens as the SDK's load_cert_chain(..., password) opens it; without a
                # password, "" fails at once where None would let OpenSSL prompt on the terminal
                s.mount("https://", _KeyPasswordAdapter(self.settings.get("GIGACHAT_KEY_FILE_PASSWORD") or ""))
            self._session = s
        return self._session

    @property
    def verify(self):
        return self.store.verify

    def close(self):
        if self._session is not None:
            self._session.close()

    def send(self, method: str, url: str, *, headers=None, data=None, json_body=None, subject: str = "",
             max_bytes: int = MAX_BODY, timeout: Optional[float] = None) -> Answer:
        """One HTTP call, bounded in time and size. Raises Finding on transport faults;
        HTTP error statuses are returned for the caller to map."""
        host = _host_key(url)
        if host in self._host_failures:
            raise self._host_failures[host]
        self._refuse_if("ca_bundle", rules.ca_bundle_problem)
        if self.settings.cert_file:  # every call carries the client certificate: one that cannot load is GC016
            self._refuse_if("client_cert", rules.client_cert_problem)
        t = timeout or self.settings.timeout
        shown_url = self.redactor.scrub(url)
        ex = Exchange(method, shown_url, kind="oauth" if subject == "oauth" else "")
        started = time.monotonic()
        deadline = started + 2 * t  # connect + the whole body: a trickling peer cannot hold us longer
        proxy = proxies.proxy_for(url, self.settings.raw)
        try:
            resp = self.session.request(method, url, headers=headers, data=data, json=json_body, timeout=(t, t),
                                        verify=self.verify, stream=True, allow_redirects=False,
                                        proxies={"https": proxy.url} if proxy else {})
        except (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema,
                requests.exceptions.InvalidSchema, ValueError, UnicodeError) as exc:
            ex.error = say("net.bad_url", kind=exc.__class__.__name__)
            ex.sent = False
            ex.elapsed_s = time.monotonic() - started
            self.exchanges.append(ex)
            code = "GC009" if subject == "oauth" else "GC010"
            raise Finding(code, f"{shown_url}: {ex.error}", [ex.render()],
                          subject="auth_url" if code == "GC009" else "base_url") from None
        except requests.exceptions.RequestException as exc:
            code, detail = describe_transport_error(exc)
            cause = netcause.situate(code, detail, exc, url, proxy, self.store, t)  # the proxy, the store, the issuer
            ex.error = self.redactor.scrub(cause.detail)
            ex.sent = _request_left(exc)
            ex.elapsed_s = time.monotonic() - started
            self.exchanges.append(ex)
            where = self._which_host(url)
            if cause.situation:
                where = {"situation": cause.situation,
                         "fields": dict(where.get("fields", {}), **cause.fields)}
            # a failing proxy leads the finding: GigaChat's host was never reached (the host said after it)
            said = ex.error + say("net.proxy_target", host=host) if cause.subject == "proxy" else f"{host}: {ex.error}"
            finding = Finding(cause.code, said, [ex.render()],
                              subject=cause.subject or _subject(cause.code, host), **where)
            self._host_failures[host] = finding
            raise finding from None
        except OSError as exc:  # e.g. a CA bundle path requests cannot load
            ex.error = f"{exc.__class__.__name__}: {exc}"
            ex.sent = False
            ex.elapsed_s = time.monotonic() - started
            self.exchanges.append(ex)
            raise Finding("GC020", f"{host}: " + say("net.not_sent", error=ex.error), [ex.render()],
                          subject=host, **self._which_host(url)) from None
        with resp:
            ex.status = resp.status_code
            # the peer's words: scrubbed, then stripped of control characters and cut (redact.peer_text)
            rid = resp.headers.get("X-Request-Id") or resp.headers.get("X-Request-ID")
            ex.request_id = peer_text(rid, 80, self.redactor.scrub) if rid else None
            ctype = resp.headers.get("Content-Type")
            ex.content_type = peer_text(ctype, 120, self.redactor.scrub) if ctype else None
            for name in ("Retry-After", "Location", "Server"):
                if name in resp.headers:
                    ex.headers[name] = peer_text(resp.headers[name], scrub=self.redactor.scrub)
            try:
                body, too_big = self._read(resp, max_bytes, deadline)
            except requests.exceptions.RequestException as exc:
                code, detail = describe_transport_error(exc)
                ex.error = detail
                ex.elapsed_s = time.monotonic() - started
                self.exchanges.append(ex)
                finding = Finding(code, f"{host}: {detail}" + say("net.after_status", status=resp.status_code),
                                  [ex.render()], subject=_subject(code, host))
                if code == "GC021":
                    self._host_failures[host] = finding
                raise finding from None
            except TimeoutError:
                ex.error = "the body did not arrive in time"
                ex.elapsed_s = time.monotonic() - started
                self.exchanges.append(ex)
                finding = Finding("GC021", f"{host}: " + say("net.body_late", seconds=f"{2 * t:.0f}"),
                                  [ex.render()], subject=host)
                self._host_failures[host] = finding
                raise finding from None
        ex.elapsed_s = time.monotonic() - started
        ex.excerpt = self.redactor.scrub(excerpt(body, ex.content_type or "", self.redactor.scrub)) if body else ""
        self.exchanges.append(ex)
        if too_big:
            raise Finding("GC028", say("http.too_large", url=shown_url, kib=max_bytes >> 10), [ex.render()],
                          subject=host)
        headers_out = {k: v for k, v in resp.headers.items()}
        return Answer(resp.status_code, headers_out, body, ex)

    def _which_host(self, url: str) -> dict:
        """The situation of a host that failed (the OAuth host or the API host), for the remedy."""
        origin = _origin(url)
        if origin == _origin(self.settings.auth_url):
            which, setting = "auth", self.settings.auth_url
        elif origin == _origin(self.settings.base_url):
            which, setting = "api", self.settings.base_url
        else:
            return {}
        p = urlsplit(url)
        return {"situation": which, "fields": {"host": p.hostname or "", "port": _host_key(url).rsplit(":", 1)[1],
                                               "origin": origin, "url": self.redactor.scrub(setting)}}

    @property
    def oauth_requests(self) -> int:
        return self.requests_by_kind()["oauth"]

    def requests_by_kind(self) -> Dict[str, int]:
        """What this client has sent, by kind: every call leaves an exchange; one that never
        left this machine (refused, TLS failed, no connection in time) is not counted."""
        counts = {"oauth": 0, "chat": 0, "files": 0}
        for ex in self.exchanges:
            if not ex.sent:
                continue
            path = urlsplit(ex.url).path
            if ex.kind == "oauth":
                counts["oauth"] += 1
            elif path.endswith("/chat/completions"):
                counts["chat"] += 1
            elif "/files/" in path:
                counts["files"] += 1
        return counts

    @property
    def spend_requests(self) -> int:
        """Chat and file calls: what --spend guards."""
        counts = self.requests_by_kind()
        return counts["chat"] + counts["files"]

    def _refuse_if(self, name, rule) -> None:
        """Raise the static finding that makes a call pointless (its config check reports it first)."""
        key = "blocker:" + name
        if key not in self._cache:
            self._cache[key] = rule(self.settings)
        if self._cache[key] is not None:
            raise self._cache[key]

    @staticmethod
    def _read(resp, max_bytes: int, deadline: float):
        """At most max_bytes (decoded) of the body, before the deadline.  read1 returns
        whatever one socket read brings, so a peer trickling a byte at a time meets the
        deadline; iter_content would wait for a whole chunk, for as long as it trickles."""
        read1 = getattr(resp.raw, "read1", None)  # urllib3 >= 2.3
        chunks = _read1_chunks(resp.raw, read1) if read1 is not None else resp.iter_content(64 << 10)
        parts, size = [], 0
        for chunk in chunks:
            parts.append(chunk)
            size += len(chunk)
            if size > max_bytes:
                return b"".join(parts)[:max_bytes], True
            if time.monotonic() > deadline:
                raise TimeoutError
        return b"".join(parts), False

    # --- reachability -------------------------------------------------------------
    def probe(self, url: str) -> Exchange:
        """Can the host be reached over (verified) TLS? Any HTTP status counts as reached."""
        origin = _origin(url) + "/"
        return self.send("HEAD", origin, subject="probe").exchange

    def probe_auth(self) -> Exchange:
        self._refuse_if("auth_url", rules.auth_url_problem)
        return self.probe(self.settings.auth_url)

    def probe_api(self) -> Exchange:
        self._refuse_if("base_url", rules.base_url_problem)
        return self.probe(self.settings.base_url)

    # --- OAuth ------------------------------------------------------------------
    def token(self) -> Optional[Secret]:
        """The access token: GIGACHAT_ACCESS_TOKEN, or one OAuth (or password) call per run;
        None for mTLS alone, where the certificate authenticates every call."""
        preset = self.settings.access_token
        if preset and not self._preset_refused:
            return preset
        if self._token is not None:
            return self._token
        if self._token_failure is not None:
            raise self._token_failure
        if self.settings.auth_method == "mtls":
            return None
        try:
            self._token = self._password_token() if self.settings.auth_method == "password" else self._oauth()
            return self._token
        except Finding as finding:
            self._token_failure = finding
            raise

    @property
    def _preset_refused(self) -> bool:
        return bool(self._cache.get("preset refused"))

    def _can_refresh(self) -> bool:
        """A refused preset token is replaced once, as the SDK does, when a key or password is set."""
        if self._preset_refused or not self.settings.access_token:
            return False
        if self.settings.auth_method == "password":
            return True
        return self.settings.auth_method == "key" and rules.key_analysis(self.settings).blocking is None

    def _password_token(self) -> Secret:
        """The SDK's password authentication: POST {base_url}/token with HTTP Basic user:password."""
        import base64
        self._refuse_if("base_url", rules.base_url_problem)
        user, password = self.settings.get("GIGACHAT_USER", ""), self.settings.get("GIGACHAT_PASSWORD", "")
        basic = base64.b64encode(f"{user}:{password}".encode()).decode()
        self.redactor.add(basic)  # a peer may echo the header back
        ans = self.send("POST", self.settings.base_url + "/token", subject="oauth",
                        headers={"Authorization": f"Basic {basic}", "Accept": "application/json"})
        ev = [ans.exchange.render()]
        if ans.status in (401, 403):
            raise Finding("GC036", f"POST /token answered {ans.status}", ev, subject="oauth")
        if ans.status >= 300:
            raise api_error(ans, "/token", "oauth")
        data = ans.json()
        token = data.get("tok") if isinstance(data, dict) else None
        if not isinstance(token, str) or not token.strip():
            raise Finding("GC028", "POST /token answered without a token ('tok')", ev, subject="oauth")
        self.redactor.add(token)
        ans.exchange.excerpt = self.redactor.scrub(excerpt(ans.body, ans.exchange.content_type or "",
                                                           self.redactor.scrub))
        return Secret(token.strip())

    def _oauth(self) -> Secret:
        analysis = rules.key_analysis(self.settings)
        if analysis.blocking is not None:
            raise analysis.blocking
        self._refuse_if("auth_url", rules.auth_url_problem)
        self._refuse_if("scope", rules.scope_problem)  # never sent: GC008 reports it, alone
        headers = {
            "Authorization": f"Basic {analysis.core}",
            "RqUID": str(uuid.uuid4()),
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
        }
        ans = self.send("POST", self.settings.auth_url, headers=headers, data={"scope": self.settings.scope},
                        subject="oauth")
        return parse_oauth(ans, self.redactor)

    # --- API -----------------------------------------------------------------------
    def api(self, method: str, path: str, *, json_body=None, headers=None, subject: str = "api",
            max_bytes: int = MAX_BODY, accept: str = "application/json") -> Answer:
        self._refuse_if("base_url", rules.base_url_problem)
        url = path if path.startswith("https://") else self.settings.base_url + path
        ans = self._api_call(method, url, json_body, headers, subject, max_bytes, accept)
        if ans.status == 401 and self._can_refresh():
            # as the SDK does: a refused preset token, one fresh token from the key, the call again
            stale = self.settings.access_token
            self._cache["preset refused"] = True
            ans = self._api_call(method, url, json_body, headers, subject, max_bytes, accept)
            if ans.status < 300:
                from ..diagnosis import warn
                warn("GC035", f"GIGACHAT_ACCESS_TOKEN {mask(stale.reveal())} was refused (401); a fresh token "
                              f"from {'the password' if self.settings.auth_method == 'password' else 'OAuth'} "
                              f"works", [ans.exchange.render()], stacklevel=3)
        if ans.status >= 300:
            preset = self.settings.access_token is not None and not self._preset_refused
            shown = urlsplit(url).path if path.startswith("https://") else path  # e.g. the v2 chat API's
            raise api_error(ans, shown, subject, situation="preset" if preset else "issued")
        return ans

    def _api_call(self, method, url, json_body, headers, subject, max_bytes, accept) -> Answer:
        token = self.token()
        h = {"Accept": accept}
        if token is not None:
            h["Authorization"] = f"Bearer {token.reveal()}"
        if headers:
            h.update(headers)
        return self.send(method, url, headers=h, json_body=json_body, subject=subject, max_bytes=max_bytes)

    def models(self) -> List[dict]:
        """GET /models, once per run: the list of model objects."""
        if "models" in self._cache:
            cached = self._cache["models"]
            if isinstance(cached, Finding):
                raise cached
            return cached
        try:
            ans = self.api("GET", "/models")
            data = ans.json()
            if data is None:
                raise Finding("GC028", say("http.not_json", request="GET /models", what=ans.not_json(),
                                           ctype=ans.exchange.content_type or "none"), [ans.exchange.render()],
                              subject="api")
            if not isinstance(data, dict) or not isinstance(data.get("data"), list):
                raise Finding("GC028", say("http.not_shape", request="GET /models", shape='{"data": [...]}'),
                              [ans.exchange.render()], subject="api")
            models = [m for m in data["data"] if isinstance(m, dict) and isinstance(m.get("id"), str)]
            # the SDK's Models/Model require "object" and every model's "owned_by": without them get_models() raises
            odd = [m.get("id", "?") for m in data["data"]
                   if not (isinstance(m, dict) and all(isinstance(m.get(k), str) for k in ("id", "object", "owned_by")))]
            if odd or not isinstance(data.get("object"), str):
                what = f"model objects without id, object or owned_by ({', '.join(map(str, odd[:5]))})" if odd \
                    else "a list without \"object\""
                raise Finding("GC028", f"GET /models answered {what}: the gigachat SDK cannot parse it",
                              [ans.exchange.render()], subject="api")
            self._cache["models"] = models
            return models
        except Finding as finding:
            self._cache["models"] = finding
            raise


def _json_code(data) -> Optional[int]:
    if isinstance(data, dict):
        for k in ("code", "status"):
            v = data.get(k)
            if isinstance(v, int) or (isinstance(v, str) and v.isdigit()):
                return int(v)
    return None


def _message(data) -> str:
    if isinstance(data, dict) and isinstance(data.get("message"), str):
        return peer_text(data["message"])
    return ""


def parse_oauth(ans: Answer, redactor: Redactor) -> Secret:
    ev = [ans.exchange.render()]
    status = ans.status
    data = ans.json(lenient=status >= 300)
    if status >= 300:
        code_n, message = _json_code(data), _message(data)
        said = f"HTTP {status}" + (f", code {code_n}" if code_n is not None and code_n != status else "") + \
               (f": {message}" if message else "")
        if status == 429:
            retry = ans.exchange.headers.get("Retry-After")
            wait = say("http.retry_after", retry=retry) if retry else say("http.no_retry_after")
            raise Finding("GC027", say("http.answered", request="OAuth", status=said) + wait, ev, subject="oauth",
                          situation="oauth")  # the remedy: reuse the token (it lives 30 minutes), as the SDK does
        if status >= 500:  # OAuth answers carry no X-Request-Id: the remedy asks for the time instead
            raise Finding("GC029", say("http.answered", request="OAuth", status=said), ev, subject="oauth",
                          situation="oauth")
        if 300 <= status < 400:
            where = ans.exchange.headers.get("Location", "?")
            said = say("http.answered", request="OAuth", status=status)
            raise Finding("GC028", say("http.redirect", said=said, location=where), ev, subject="oauth")
        if code_n == 6 or (status == 401 and code_n in (None, 401)):
            raise Finding("GC023", said, ev, subject="oauth")
        if code_n == 7:
            raise Finding("GC024", said, ev, subject="oauth")
        if code_n == 4:
            raise Finding("GC025", said, ev, subject="oauth")
        raise Finding("GC026", said, ev, subject="oauth")
    if data is None:
        raise Finding("GC028", say("oauth.not_json", status=status, what=ans.not_json(),
                                   ctype=ans.exchange.content_type or "none"), ev, subject="oauth")
    token = data.get("access_token") if isinstance(data, dict) else None
    if not isinstance(token, str) or not token.strip():
        raise Finding("GC028", say("oauth.no_token"), ev, subject="oauth")
    redactor.add(token)
    # the excerpt was made before the token was known: make it again, from the whole body
    ans.exchange.excerpt = redactor.scrub(excerpt(ans.body, ans.exchange.content_type or "", redactor.scrub))
    ev = [ans.exchange.render()]
    expires = data.get("expires_at")
    if isinstance(expires, bool) or not isinstance(expires, (int, float)):
        raise Finding("GC028", say("oauth.no_expiry", kind=type(expires).__name__), ev, subject="oauth")
    now_ms = time.time() * 1000
    if expires < 1e12:
        digits = count(len(str(int(expires))), "n.digits")
        raise Finding("GC028", say("oauth.seconds", value=int(expires), digits=digits), ev, subject="oauth")
    if expires < now_ms:  # the local clock may be what is wrong: show both
        clock = {"now": _when(now_ms), "expires": _when(expires)}
        raise Finding("GC028", say("oauth.past", seconds=int((now_ms - expires) / 1000)) +
                      say("oauth.clock", **clock), ev, subject="oauth", situation="clock", fields=clock)
    return Secret(token.strip())


def _when(ms: float) -> str:
    """A moment in milliseconds since the epoch, in this machine's local time with its offset."""
    import datetime
    try:
        return datetime.datetime.fromtimestamp(ms / 1000).astimezone().isoformat(timespec="seconds")
    except (OverflowError, OSError, ValueError):
        return str(int(ms))


def refused_request(ans: Answer, said: str, ev, subject: str) -> Optional[Finding]:
    """GC047: a request with a body that GigaChat refuses as invalid (400, 413, 422); the remedy fits what it says."""
    if ans.status not in (400, 413, 422) or ans.exchange.method not in ("POST", "PUT", "PATCH"):
        return None
    low = _message(ans.json(lenient=True)).lower()
    situation = "too_large" if ans.status == 413 else "functions" if "function" in low else ""
    # functions are refused per model (one supports them, another not); the rest is the request itself, the
    # same for every model: one cause, one failure (the other models' checks skip naming the first)
    return Finding("GC047", said, ev, subject=subject if situation == "functions" else "request",
                   situation=situation)


def api_error(ans: Answer, path: str, subject: str = "api", situation: str = "issued") -> Finding:
    """`situation` says whose token was refused on a 401: "preset" (GIGACHAT_ACCESS_TOKEN) or
    "issued" (by OAuth or the password in this run); GC031's remedy differs."""
    ev = [ans.exchange.render()]
    data = ans.json(lenient=True)
    status = ans.status
    message = _message(data)
    said = say("http.answered", request=f"{ans.exchange.method} {path}", status=status) + \
        (f" {message!r}" if message else "")
    if status == 401:
        whose = "GIGACHAT_ACCESS_TOKEN" if situation == "preset" else "the token issued in this run"
        return Finding("GC031", f"{said} for {whose}", ev, subject="api", situation=situation)
    if status == 402:
        return Finding("GC033", said, ev, subject=subject)
    if status == 403:
        return Finding("GC034", said, ev, subject=subject)
    if status == 404:
        # on the list itself, even 'No such model' means the base URL leads somewhere else
        if "no such model" in message.lower() and path.rstrip("/") != "/models":
            return Finding("GC032", said, ev, subject=subject)
        return Finding("GC030", said + ("" if message else f" ({ans.exchange.excerpt[:120]})"), ev, subject="api")
    if status == 429:
        retry = ans.exchange.headers.get("Retry-After")
        wait = say("http.retry_after", retry=retry) if retry else say("http.no_retry_after")
        return Finding("GC027", said + wait, ev, subject="api")
    if status >= 500:
        return Finding("GC029", said, ev, subject="api")
    if 300 <= status < 400:
        return Finding("GC028", say("http.redirect", said=said, location=ans.exchange.headers.get("Location", "?")), ev,
                       subject="api")
    refused = refused_request(ans, said, ev, subject)
    if refused is not None:
        return refused
    if "/chat/completions" in path:
        return Finding("GC040", said, ev, subject=subject)
    return Finding("GC028", said, ev, subject="api")
