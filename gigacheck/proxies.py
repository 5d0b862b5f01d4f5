"""The proxy a request to an https URL goes through, chosen as requests and httpx choose it.

Both read `https_proxy`/`HTTPS_PROXY`, then `all_proxy`/`ALL_PROXY` (the lower-case name wins, as
urllib's `getproxies()` reads them), and skip the proxy for hosts that `NO_PROXY`/`no_proxy` names
(`*`, a host or domain suffix, optionally with `:port`, an IP address or an IP network).  gigacheck
reads them from its settings (the environment over the env file) and hands requests the proxy
explicitly, so that a failing proxy can be named: the variable, its host and port, the password masked.
Plain functions: no pytest here.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Mapping, Optional
from urllib.parse import urlsplit, urlunsplit

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


def bypassed(host: str, port: int, no_proxy: str) -> bool:
    """Does `no_proxy` exempt host:port? As requests' `should_bypass_proxies` and httpx read it."""
    entries = [e.strip() for e in no_proxy.replace(" ", ",").split(",") if e.strip()]
    if "*" in entries:
        return True
    host = (host or "").lower().strip("[]")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    for entry in entries:
        entry = entry.lower()
        if address is not None and "/" in entry:
            try:
                if address in ipaddress.ip_network(entry, strict=False):
                    return True
            except ValueError:
                pass
            continue
        name, _, entry_port = entry.rpartition(":") if entry.count(":") == 1 else (entry, "", "")
        if entry_port and entry_port != str(port):
            continue
        name = name.strip("[]")
        if address is not None:
            if host == name:
                return True
            continue
        suffix = name.lstrip("*")
        if suffix and (host == suffix.lstrip(".") or host.endswith(suffix if suffix.startswith(".") else suffix)):
            return True
    return False


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
        port = parts.port or 443
    except ValueError:
        port = 443
    if no_proxy and bypassed(parts.hostname or "", port, no_proxy[1]):
        return None
    return Proxy(name, value if "://" in value else "http://" + value)
