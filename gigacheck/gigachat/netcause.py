"""What a connection failure means for the site: which part of the way failed, and the remedy that fits.

`describe_transport_error` (client.py) names the failure from requests' exception; here it is
situated: a proxy on the way is named when it is the one failing (refused, 407, unreachable), a TLS
connection the peer closed during the handshake is not a missing CA, and a verification failure says
which trust store was used (the SDK's httpx's, truststore.py) and which issuer the server presented.
Plain functions: no pytest here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Dict, Optional, Tuple
from urllib.parse import urlsplit

from .. import truststore
from ..proxies import Proxy
from ..redact import peer_text
from ..words import say


@dataclass
class Cause:
    code: str
    detail: str
    situation: Optional[str] = None           # None: the host's own (client._which_host)
    fields: Dict[str, str] = field(default_factory=dict)
    subject: Optional[str] = None             # None: the host's own (client._subject)


def is_tls_closed(text: str) -> bool:
    low = text.lower()
    return "unexpected_eof_while_reading" in low or "eof occurred in violation of protocol" in low or \
        ("ssl" in low and ("reset by peer" in low or "connection aborted" in low))


# OpenSSL's reasons when what answers is not TLS at all (plain HTTP, another protocol on the port)
_NOT_TLS = ("WRONG_VERSION_NUMBER", "HTTP_REQUEST", "HTTPS_PROXY_REQUEST", "PACKET_LENGTH_TOO_LONG",
            "UNKNOWN_PROTOCOL", "RECORD_LAYER_FAILURE")


def tls_failure(exc: BaseException, text: str) -> Optional[Tuple[str, str]]:
    """A TLS handshake that failed before any certificate was verified, as ("not_tls" | "tls_failed",
    OpenSSL's reason); None for anything else (a verification failure is GC022, a timeout GC021)."""
    import requests
    low = text.lower()
    if "certificate verify failed" in low or "certificate_verify_failed" in low or "certificate required" in low \
            or "certificate_required" in low or "timed out" in low or "timeout" in low:
        return None
    if not (isinstance(exc, requests.exceptions.SSLError) or ("ssl" in low and "handshake" in low)):
        return None
    m = re.search(r"\[SSL: ([A-Z0-9_]+)\] ([^'\"(]+)", text)
    reason = f"{m.group(1)}: {m.group(2).strip()}" if m else say("net.tls_handshake")
    return ("not_tls" if m and m.group(1) in _NOT_TLS else "tls_failed"), peer_text(reason, 160)


def _from_a_real_handshake(exc: BaseException) -> bool:
    """Did this failure come from a handshake on a socket (ssl's own verification error in its chain)?  A
    mock's or a test double's SSLError did not, and then no second connection is made to read the issuer."""
    import ssl
    stack, seen = [exc], set()
    while stack and len(seen) < 20:
        e = stack.pop()
        if id(e) in seen:
            continue
        seen.add(id(e))
        if isinstance(e, ssl.SSLCertVerificationError):
            return True
        stack.extend(a for a in getattr(e, "args", ()) if isinstance(a, BaseException))
        linked = (getattr(e, "reason", None), e.__cause__, e.__context__)
        stack.extend(v for v in linked if isinstance(v, BaseException))
    return False


def _port(url: str) -> str:
    try:
        return str(urlsplit(url).port or 443)
    except ValueError:
        return "?"


def situate(code: str, detail: str, exc: BaseException, url: str, proxy: Optional[Proxy],
            store: truststore.Store, timeout: float) -> Cause:
    """The cause of a failed connection to `url` (through `proxy`, if any), verified with `store`; a proxy
    on the way is named even where it may not be the one failing (a timeout, a TLS-inspecting proxy)."""
    cause = _situate(code, detail, exc, url, proxy, store, timeout)
    if proxy is not None and cause.subject != "proxy" and proxy.variable not in cause.detail:
        cause.detail += say("net.via_proxy", variable=proxy.variable, proxy=proxy.host_port)
    return cause


def _situate(code, detail, exc, url, proxy, store, timeout) -> Cause:
    import requests
    text = str(exc)
    host = urlsplit(url).hostname or ""
    where = {"host": host, "port": _port(url), "origin": f"https://{host}:{_port(url)}"}
    if proxy is not None and isinstance(exc, requests.exceptions.ProxyError):
        fields = dict(where, variable=proxy.variable, proxy=proxy.host_port, proxy_url=proxy.shown)
        m = re.search(r"Tunnel connection failed: (\d{3})([^'\")]*)", text)
        if m and m.group(1) == "407":
            return Cause(code, say("net.proxy_407", variable=proxy.variable, proxy=proxy.host_port),
                         "proxy_auth", fields, subject="proxy")
        if m:  # the proxy is there and answered: it will not (4xx) or cannot (5xx) open the tunnel
            status = peer_text(m.group(1) + m.group(2), 80).strip()
            fields.update(status=status)
            return Cause(code, say("net.proxy_status", variable=proxy.variable, proxy=proxy.host_port,
                                   status=status), "proxy_upstream" if m.group(1).startswith("5") else "proxy_denied",
                         fields, subject="proxy")
        low = text.lower()
        why = say("net.refused") if "refused" in low else \
            say("net.dns") if "resolve" in low or "name or service" in low else \
            say("net.timeout.connect") if "timed out" in low or "timeout" in low else say("net.closed")
        return Cause(code, say("net.proxy_failed", variable=proxy.variable, proxy=proxy.host_port, why=why),
                     "proxy", fields, subject="proxy")
    if is_tls_closed(text):
        return Cause("GC020", say("net.tls_closed"), "tls_closed", dict(where, url=url))
    failed = tls_failure(exc, text) if code == "GC020" else None
    if failed is not None:  # the handshake failed before any certificate: the port, the protocol, a proxy
        return Cause("GC020", detail, failed[0], dict(where, url=url, reason=failed[1]))
    real = where["port"] != "?" and _from_a_real_handshake(exc)  # never a mock's error: no second connection
    if code == "GC022" and say("net.other_host") in detail:  # a name mismatch: no CA download fixes it
        seen = truststore.presented_certificate(host, int(where["port"]), timeout, proxy) if real else None
        names = ", ".join(peer_text(n, 100) for n in seen.names[:6]) if seen and seen.names else None
        fields = dict(where, url=url, names=names or say("trust.names_unknown"))
        return Cause(code, detail + (say("trust.names", names=names) if names else ""), "other_host", fields)
    if code == "GC022" and not store.off and say("net.other_host") not in detail:
        issuer = truststore.presented_issuer(host, int(where["port"]), timeout, proxy) if real else None
        shown = peer_text(issuer, 200) if issuer else say("trust.issuer_unknown")
        fields = dict(where, issuer=shown, path=store.path or "", variable=store.variable or "certifi")
        said = say("trust.lacks", issuer=shown, store=store.describe(brief=True)) if issuer else \
            say("trust.lacks_unread", store=store.describe(brief=True))
        if store.variable:  # a bundle is set for the site's client, and it lacks the issuer
            off = say("trust.off_not_applied") if store.off_not_applied else ""  # the user thought TLS was off
            return Cause(code, f"{detail}; {said}{off}", "bundle_lacks", fields)
        if store.ignored:  # requests' bundle is set, and the SDK's httpx ignores it
            name, value = store.ignored[0]
            fields.update(ignored=name, ignored_path=value)
            return Cause(code, f"{detail}; {said}; " + say("trust.not_read", name=name), "requests_only", fields)
        return Cause(code, f"{detail}; {said}", "default", fields)
    return Cause(code, detail)
