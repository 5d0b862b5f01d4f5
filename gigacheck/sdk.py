"""What the site's own `gigachat` SDK does by default: its API host and its chat API version.

Read from the installed distribution's version (never imported: importing it costs time and
pulls httpx and pydantic into every run).  Without the SDK installed, the documented defaults.
Plain data: no pytest here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional, Tuple
from urllib.parse import urlsplit, urlunsplit

DOCUMENTED_BASE_URL = "https://gigachat.devices.sberbank.ru/api/v1"  # the SPEC table's default
NEW_HOST_BASE_URL = "https://api.giga.chat/v1"
# From the SDK's releases: 0.2.3 moved the default host to api.giga.chat; 0.2.2 made
# `client.chat.create()` post to /api/v2/chat/completions (the older `client.chat(...)` stays on v1).
NEW_HOST_SINCE = (0, 2, 3)
V2_CHAT_SINCE = (0, 2, 2)


def installed_version() -> Optional[str]:
    """The installed `gigachat` distribution's version, or None."""
    try:
        from importlib.metadata import PackageNotFoundError, version
    except ImportError:  # pragma: no cover - Python < 3.8
        return None
    try:
        return version("gigachat")
    except PackageNotFoundError:
        return None


def parse_version(text: str) -> Tuple[int, ...]:
    """(0, 2, 3) from '0.2.3', '0.2.3.post1', '0.2.2a3' (pre-releases count as their release)."""
    parts = []
    for piece in text.strip().lstrip("v").split("."):
        digits = ""
        for ch in piece:
            if not ch.isdigit():
                break
            digits += ch
        if not digits:
            break
        parts.append(int(digits))
        if len(digits) != len(piece):
            break
    return tuple(parts) + (0,) * (3 - len(parts)) if parts else ()


@dataclass(frozen=True)
class SdkDefaults:
    version: Optional[str]   # the installed SDK's version, None when it is not installed
    base_url: str
    v2_chat: bool            # its client.chat.create() uses /api/v2/chat/completions


def defaults(version: Optional[str] = None, *, detect: bool = True) -> SdkDefaults:
    """The SDK's defaults for `version` (by default the installed one)."""
    if version is None and detect:
        version = installed_version()
    if version is None:
        return SdkDefaults(None, DOCUMENTED_BASE_URL, False)
    v = parse_version(version)
    base = NEW_HOST_BASE_URL if v and v >= NEW_HOST_SINCE else DOCUMENTED_BASE_URL
    return SdkDefaults(version, base, bool(v) and v >= V2_CHAT_SINCE)


def v2_chat_url(base_url: str) -> str:
    """Where the SDK's `chat.create()` posts: the base URL's /vN suffix becomes /v2/chat/completions
    (https://api.giga.chat/v1 -> https://api.giga.chat/v2/chat/completions; .../api/v1 -> .../api/v2/...)."""
    parts = urlsplit(base_url)
    path = parts.path.rstrip("/")
    if re.search(r"/v\d+$", path):
        path = re.sub(r"/v\d+$", "/v2/chat/completions", path)
    else:
        path += "/chat/completions"
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))
