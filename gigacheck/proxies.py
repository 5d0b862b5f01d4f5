"""The proxy a request to an https URL goes through, chosen as requests and httpx choose it.

Both read `https_proxy`/`HTTPS_PROXY`, then `all_proxy`/`ALL_PROXY` (the lower-case name wins, as
urllib's `getproxies()` reads them), and skip the proxy for hosts that `NO_PROXY`/`no_proxy` names
(`*`, a host or domain suffix, optionally with `:port`, an IP address), as httpx reads them: the site's
SDK talks over httpx.  gigacheck reads them from its settings (the environment over the env file) and
hands requests the proxy explicitly, so that a failing proxy can be named: the variable, its host and
port, the password masked.
Plain functions: no pytest here.
"""

from __future__ import annotations

import base64
import ipaddress
import re
import socket
import time
from dataclasses import dataclass
from typing import Mapping, Optional
from urllib.parse import unquote, urlsplit, urlunsplit

# for an https URL: https_proxy, else all_proxy; each lower case first (urllib's order)
PROXY_VARIABLES = ("https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY")
NO_PROXY_VARIABLES = ("no_proxy", "NO_PROXY")
VARIABLES = PROXY_VARIABLES + NO_PROXY_VARIABLES


@dataclass(frozen=True)
class Proxy:
    variable: str      # the variable it comes from, as written (HTTPS_PROXY, https_proxy, ALL_PROXY ...)
    url: str           # as requests gets it (http:// added to a bare host:port, as requests and httpx do)

    @property
    def host_port(self) -> str:
        p = urlsplit(self.url)
        try:
            port = p.port or (443 if p.scheme == "https" else 80)
        except ValueError:
            port = "?"
        return f"{p.hostname}:{port}"

    @property
    def password(self) -> Optional[str]:
        return urlsplit(self.url).password

    @property
    def shown(self) -> str:
        """The URL without its password (the user stays: it says which account)."""
        p = urlsplit(self.url)
        if p.password is None:
            return self.url
        netloc = f"{p.username}:****@{p.hostname}" + (f":{p.port}" if p.port else "")
        return urlunsplit((p.scheme, netloc, p.path, p.query, p.fragment))


def _first(environ: Mapping[str, str], names) -> Optional[tuple]:
    for name in names:
        value = environ.get(name)
        if value is not None:
            return (name, value.strip()) if value.strip() else None  # set but empty: no proxy of this kind
    return None


def _entry_matches(entry: str, host: str, port: Optional[int]) -> bool:
    """One NO_PROXY entry, as httpx reads it (curl's rules): `*`; an IP address (exact; a network suffix
    `/8` is not honoured); `localhost`; `.example.com` (subdomains only); `example.com` (it and its
    subdomains, not `wwwexample.com`); any of them with `:port`."""
    if "://" in entry:
        entry = entry.split("://", 1)[1]
    bare = entry.split("/")[0]
    for candidate in (bare, bare.strip("[]")):
        try:
            return ipaddress.ip_address(candidate) == ipaddress.ip_address(host)
        except ValueError:
            continue
    name, _, entry_port = bare.rpartition(":") if ":" in bare else (bare, "", "")
    if entry_port:
        if not entry_port.isdigit() or int(entry_port) != port:
            return False
    name = name.lower()
    if name == "localhost":
        return host == "localhost"
    if name.startswith("."):
        return bool(re.fullmatch(r".+\." + re.escape(name[1:]), host))
    return bool(re.fullmatch(r"(.+\.)?" + re.escape(name.lstrip("*")), host))


def bypassed(host: str, port: Optional[int], no_proxy: str) -> bool:
    """Does `no_proxy` exempt host (`port`: the URL's explicit port, None for the default)? As the SDK's httpx
    reads it (its `get_environment_proxies`)."""
    entries = [e.strip() for e in no_proxy.split(",")]
    if "*" in entries:
        return True
    host = (host or "").lower().strip("[]")
    return any(_entry_matches(e, host, port) for e in entries if e)


def proxy_for(url: str, environ: Mapping[str, str]) -> Optional[Proxy]:
    """The proxy requests and httpx would use for `url`, or None (no proxy, or NO_PROXY names the host)."""
    parts = urlsplit(url)
    if parts.scheme != "https":
        return None
    found = _first(environ, PROXY_VARIABLES[:2]) or _first(environ, PROXY_VARIABLES[2:])
    if found is None:
        return None
    name, value = found
    no_proxy = _first(environ, NO_PROXY_VARIABLES)
    try:
        port = parts.port if parts.port != 443 else None  # httpx drops the scheme's default port
    except ValueError:
        port = None
    if no_proxy and bypassed(parts.hostname or "", port, no_proxy[1]):
        return None
    return Proxy(name, value if "://" in value else "http://" + value)


def tunnel(proxy: Proxy, host: str, port: int, timeout: float) -> Optional[socket.socket]:
    """A TCP connection to host:port through `proxy` (HTTP CONNECT, its credentials if the URL has them), as the
    site's client opens one; None when the proxy does not open it.  Bounded: one connect, one answer head of at most
    16 KiB, all within `timeout`."""
    p = urlsplit(proxy.url)
    if p.scheme != "http" or not p.hostname:
        return None  # an https:// or socks proxy: not opened here
    try:
        proxy_port = p.port or 80
    except ValueError:
        return None
    ends = time.monotonic() + timeout
    request = f"CONNECT {host}:{port} HTTP/1.1\r\nHost: {host}:{port}\r\n"
    if p.username is not None:
        pair = f"{unquote(p.username)}:{unquote(p.password or '')}".encode()
        request += f"Proxy-Authorization: Basic {base64.b64encode(pair).decode()}\r\n"
    raw = None
    try:
        raw = socket.create_connection((p.hostname, proxy_port), timeout=timeout)
        raw.sendall((request + "\r\n").encode("latin-1"))
        head = b""
        while b"\r\n\r\n" not in head and len(head) < 16 << 10 and time.monotonic() < ends:
            chunk = raw.recv(4096)
            if not chunk:
                break
            head += chunk
        if re.match(rb"HTTP/1\.[01] 200\b", head) and b"\r\n\r\n" in head:
            return raw
    except (OSError, UnicodeError):
        pass
    if raw is not None:
        raw.close()
    return None
