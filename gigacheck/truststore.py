"""The trust store the site's client verifies GigaChat with, so that gigacheck verifies with the same one.

The official SDK talks over httpx: `GIGACHAT_CA_BUNDLE_FILE` when set (`verify=<path>`, even with
GIGACHAT_VERIFY_SSL_CERTS=false: the SDK sets the bundle after the flag), else httpx's
own default, which honours `SSL_CERT_FILE`, then `SSL_CERT_DIR`, then certifi's bundle
(httpx `create_default_context`, 0.28+).  httpx never reads `REQUESTS_CA_BUNDLE` or `CURL_CA_BUNDLE`;
requests does (from the environment, `trust_env`), so gigacheck hands requests the store explicitly.
The fallback provider is another service and another client: requests' own store (`requests_store`).

Also the issuer a server presents, read from its certificate without verifying it, for a finding
that says which CA a bundle lacks.  Plain functions: no pytest here.
"""

from __future__ import annotations

import functools
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
    off_not_applied: bool = False  # GIGACHAT_VERIFY_SSL_CERTS=false, overridden by GIGACHAT_CA_BUNDLE_FILE (the SDK's order)

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
        if self.off_not_applied and not brief:
            where += say("trust.off_not_applied", lang)
        return where


def _value(settings, name: str) -> Optional[str]:
    value = settings.raw.get(name)
    return value.strip() if value and value.strip() else None  # httpx and requests: empty is unset


@functools.lru_cache(maxsize=None)  # read by the header, the HTML, the rules and the client: the install does not change
def httpx_version() -> Tuple[int, int]:
    """(major, minor) of the httpx installed here, the site's SDK's; (0, 28) when it cannot be read."""
    import re
    from importlib.metadata import PackageNotFoundError, version
    try:
        found = re.findall(r"\d+", version("httpx"))[:2]
    except (PackageNotFoundError, ValueError):
        return (0, 28)
    return (int(found[0]), int(found[1])) if len(found) == 2 else (0, 28)


def _httpx_reads(name: str, path: str, httpx: Tuple[int, int]) -> bool:
    """Does this httpx use SSL_CERT_FILE/SSL_CERT_DIR = path?  0.28 and later always do (a missing file fails the
    client: GC012); before 0.28 (`get_ca_bundle_from_env`) only a file that exists, a folder that exists."""
    import os
    if httpx >= (0, 28):
        return True
    return os.path.isfile(path) if name == "SSL_CERT_FILE" else os.path.isdir(path)


def httpx_store(settings, httpx: Optional[Tuple[int, int]] = None) -> Store:
    """The store the SDK's httpx verifies GigaChat with (`httpx`: its version, by default the installed one)."""
    if not settings.verify_ssl:
        return Store(None, None)
    httpx = httpx or httpx_version()
    chosen_var, chosen = None, None
    for name in HTTPX_ORDER:
        value = settings.ca_bundle if name == "GIGACHAT_CA_BUNDLE_FILE" else _value(settings, name)
        if value and name != "GIGACHAT_CA_BUNDLE_FILE":
            value = settings._from_folder(name, value)
            if not _httpx_reads(name, value, httpx):
                continue
        if value:
            chosen_var, chosen = name, value
            break
    path = chosen or certifi_bundle()
    ignored = tuple((n, _value(settings, n)) for n in REQUESTS_ONLY if _value(settings, n))
    return Store(chosen_var, path, ignored, off_not_applied=settings.verify_off_not_applied)


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


def _name(der: bytes, j: int, name_end: int) -> Optional[str]:
    """A DER Name (SETs of (OID, value)) as `CN=..., O=...`; None when it holds none of those."""
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
    order = {"CN": 0, "O": 1, "OU": 2, "C": 3}
    shown = ", ".join(f"{n}={v}" for n, v in sorted(parts, key=lambda p: order[p[0]]))
    return shown or None


def _tbs_fields(der: bytes):
    """The (tag, start, end) of each field of a DER certificate's tbsCertificate, version included."""
    _, start, _ = _tlv(der, 0)                # Certificate
    _, i, tbs_end = _tlv(der, start)          # tbsCertificate
    fields = []
    while i < tbs_end and len(fields) < 12:
        tag, s, e = _tlv(der, i)
        fields.append((tag, s, e))
        i = e
    if fields and fields[0][0] == 0xA0:       # [0] version: v3 certificates have it, v1 do not
        fields = fields[1:]
    return fields                             # serial, signature, issuer, validity, subject, key, [1] [2] [3]


def issuer_of(der: bytes) -> Optional[str]:
    """The issuer of a DER certificate, as `CN=..., O=...`; None when it cannot be read.
    (The standard library reads a peer's names only from a verified certificate.)"""
    try:
        _, j, name_end = _tbs_fields(der)[2]
        return _name(der, j, name_end)
    except (IndexError, ValueError):
        return None


_SAN = b"\x55\x1d\x11"  # subjectAltName


def names_of(der: bytes) -> Tuple[str, ...]:
    """The names a DER certificate is valid for: its subjectAltName DNS names and IP addresses (what TLS
    clients match), else its subject CN; () when none can be read."""
    import ipaddress
    try:
        fields = _tbs_fields(der)
        names = []
        for tag, s, e in fields[6:]:
            if tag != 0xA3:                   # [3] extensions
                continue
            _, i, ext_end = _tlv(der, s)      # SEQUENCE OF Extension
            while i < ext_end:
                _, k, one_end = _tlv(der, i)
                _, o, oid_end = _tlv(der, k)
                if der[o:oid_end] == _SAN:
                    vtag, v, v_end = _tlv(der, oid_end)
                    if vtag == 0x01:          # critical BOOLEAN
                        vtag, v, v_end = _tlv(der, v_end)
                    _, g, g_end = _tlv(der, v)  # the OCTET STRING holds SEQUENCE OF GeneralName
                    while g < g_end and len(names) < 20:
                        gtag, gs, ge = _tlv(der, g)
                        if gtag == 0x82:      # dNSName
                            names.append(der[gs:ge].decode("ascii", "replace"))
                        elif gtag == 0x87 and ge - gs in (4, 16):  # iPAddress
                            names.append(str(ipaddress.ip_address(der[gs:ge])))
                        g = ge
                i = one_end
        if names:
            return tuple(names)
        subject = _name(der, *fields[4][1:]) or ""
        cn = [p[3:] for p in subject.split(", ") if p.startswith("CN=")]
        return tuple(cn)
    except (IndexError, ValueError):
        return ()


@dataclass(frozen=True)
class Presented:
    """What a server's certificate says, read without verifying it."""
    issuer: Optional[str]
    names: Tuple[str, ...]


def presented_certificate(host: str, port: int, timeout: float, proxy=None) -> Optional[Presented]:
    """The issuer and names of the certificate `host:port` presents (through `proxy`, a proxies.Proxy, as the
    site's client reaches it): one handshake without verification, nothing sent after it.  None when it cannot
    be had (the connection fails, no certificate)."""
    der = _peer_der(host, port, timeout, proxy)
    return Presented(issuer_of(der), names_of(der)) if der else None


def _peer_der(host: str, port: int, timeout: float, proxy=None) -> Optional[bytes]:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    try:
        if proxy is not None:  # a TLS-inspecting proxy presents its own certificate: read the one the site meets
            from .proxies import tunnel
            raw = tunnel(proxy, host, port, timeout)
            if raw is None:
                return None
        else:
            raw = socket.create_connection((host, port), timeout=timeout)
        with raw, ctx.wrap_socket(raw, server_hostname=host) as tls:
            return tls.getpeercert(binary_form=True)
    except (OSError, ValueError):
        return None


def presented_issuer(host: str, port: int, timeout: float, proxy=None) -> Optional[str]:
    """Who issued the certificate `host:port` presents (through `proxy`, if any): one handshake without
    verification, nothing sent after it.  None when it cannot be had (the connection fails, no certificate)."""
    der = _peer_der(host, port, timeout, proxy)
    return issuer_of(der) if der else None
