"""The trust store the site's client verifies GigaChat with, so that gigacheck verifies with the same one.

The official SDK talks over httpx: `GIGACHAT_CA_BUNDLE_FILE` when set (`verify=<path>`), else httpx's
own default, which honours `SSL_CERT_FILE`, then `SSL_CERT_DIR`, then certifi's bundle
(httpx `create_default_context`, 0.28+).  httpx never reads `REQUESTS_CA_BUNDLE` or `CURL_CA_BUNDLE`;
requests does (from the environment, `trust_env`), so gigacheck hands requests the store explicitly.
The fallback provider is another service and another client: requests' own store (`requests_store`).

Also the issuer a server presents, read from its certificate without verifying it, for a finding
that says which CA a bundle lacks.  Plain functions: no pytest here.
"""

from __future__ import annotations

import socket
import ssl
from dataclasses import dataclass
from typing import Optional, Tuple

from .words import say

HTTPX_ORDER = ("GIGACHAT_CA_BUNDLE_FILE", "SSL_CERT_FILE", "SSL_CERT_DIR")
REQUESTS_ONLY = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")  # requests reads them; httpx does not
VARIABLES = ("SSL_CERT_FILE", "SSL_CERT_DIR") + REQUESTS_ONLY


def certifi_bundle() -> str:
    import certifi  # requests' dependency: always there
    return certifi.where()


@dataclass(frozen=True)
class Store:
    variable: Optional[str]        # where it comes from; None: certifi's bundle, the default
    path: Optional[str]            # the file or folder; None when verification is off
    ignored: Tuple[Tuple[str, str], ...] = ()  # (variable, value) set, yet not used by this client

    @property
    def off(self) -> bool:
        return self.path is None

    @property
    def verify(self):
        """What requests' `verify=` gets: always explicit, so REQUESTS_CA_BUNDLE cannot override it."""
        return False if self.off else self.path

    def describe(self, lang: Optional[str] = None, brief: bool = False) -> str:
        """One line for the header: which store, and (unless `brief`) what the site's client ignores."""
        if self.off:
            return say("trust.off", lang)
        where = say("trust.from", lang, variable=self.variable, path=self.path) if self.variable \
            else say("trust.certifi", lang, path=self.path)
        if self.ignored and not brief:
            where += say("trust.ignored", lang, names=", ".join(name for name, _ in self.ignored))
        return where


def _value(settings, name: str) -> Optional[str]:
    value = settings.raw.get(name)
    return value.strip() if value and value.strip() else None  # httpx and requests: empty is unset


def httpx_store(settings) -> Store:
    """The store the SDK's httpx verifies GigaChat with."""
    if not settings.verify_ssl:
        return Store(None, None)
    chosen_var, chosen = None, None
    for name in HTTPX_ORDER:
        value = settings.ca_bundle if name == "GIGACHAT_CA_BUNDLE_FILE" else _value(settings, name)
        if value:
            chosen_var = name
            chosen = value if name == "GIGACHAT_CA_BUNDLE_FILE" else settings._from_folder(name, value)
            break
    path = chosen or certifi_bundle()
    ignored = tuple((n, _value(settings, n)) for n in REQUESTS_ONLY if _value(settings, n))
    return Store(chosen_var, path, ignored)


def requests_store(settings) -> Store:
    """requests' own store (its `merge_environment_settings`): REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE, certifi."""
    for name in REQUESTS_ONLY:
        value = _value(settings, name)
        if value:
            return Store(name, settings._from_folder(name, value))
    return Store(None, certifi_bundle())


# --- the issuer a server presents -----------------------------------------------------------------

_NAMES = {b"\x55\x04\x03": "CN", b"\x55\x04\x0a": "O", b"\x55\x04\x0b": "OU", b"\x55\x04\x06": "C"}
_STRINGS = {0x0c: "utf-8", 0x13: "ascii", 0x16: "ascii", 0x14: "latin-1", 0x1e: "utf-16-be"}


def _tlv(data: bytes, i: int) -> Tuple[int, int, int]:
    """(tag, start, end) of the DER element at i."""
    tag, length = data[i], data[i + 1]
    i += 2
    if length & 0x80:
        n = length & 0x7F
        length = int.from_bytes(data[i:i + n], "big")
        i += n
    if i + length > len(data):
        raise ValueError("truncated")
    return tag, i, i + length


def issuer_of(der: bytes) -> Optional[str]:
    """The issuer of a DER certificate, as `CN=..., O=...`; None when it cannot be read.
    (The standard library reads a peer's names only from a verified certificate.)"""
    try:
        _, start, _ = _tlv(der, 0)            # Certificate
        _, i, _ = _tlv(der, start)            # tbsCertificate
        tag, _, end = _tlv(der, i)
        if tag == 0xA0:                       # [0] version
            i = end
        _, _, i = _tlv(der, i)                # serialNumber
        _, _, i = _tlv(der, i)                # signature
        _, j, name_end = _tlv(der, i)         # issuer Name: SETs of (OID, value)
        parts = []
        while j < name_end:
            _, k, set_end = _tlv(der, j)
            while k < set_end:
                _, a, attr_end = _tlv(der, k)
                _, o, oid_end = _tlv(der, a)
                vtag, v, v_end = _tlv(der, oid_end)
                name = _NAMES.get(der[o:oid_end])
                if name and vtag in _STRINGS:
                    parts.append((name, der[v:v_end].decode(_STRINGS[vtag], "replace")))
                k = attr_end
            j = set_end
    except (IndexError, ValueError):
        return None
    order = {"CN": 0, "O": 1, "OU": 2, "C": 3}
    shown = ", ".join(f"{n}={v}" for n, v in sorted(parts, key=lambda p: order[p[0]]))
    return shown or None


def presented_issuer(host: str, port: int, timeout: float) -> Optional[str]:
    """Who issued the certificate `host:port` presents: one handshake without verification, nothing
    sent after it.  None when it cannot be had (the connection fails, no certificate)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    try:
        with socket.create_connection((host, port), timeout=timeout) as raw, \
                ctx.wrap_socket(raw, server_hostname=host) as tls:
            der = tls.getpeercert(binary_form=True)
    except (OSError, ValueError):
        return None
    return issuer_of(der) if der else None
