"""Secrets never reach an output: a masking wrapper and a scrubber for text.

`Secret` hides its value from repr/str (so `-l` tracebacks and reprs show the
mask), and `Redactor` removes every known secret value, and anything shaped
like an Authorization header or a `user:password@` URL, from text on its way
out (reports, JSON, captured logs).
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Iterable, Optional


def mask(value) -> str:
    """`****` plus the last 4 characters and the length."""
    if value is None:
        return "(not set)"
    text = str(value)
    if not text:
        return "(empty)"
    tail = text[-4:] if len(text) >= 12 else ""
    return f"****{tail} (len {len(text)})"


class Secret:
    """A string that does not print itself. `.reveal()` gives the value."""

    __slots__ = ("_value",)

    def __init__(self, value: str):
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self):
        return f"Secret({mask(self._value)})"

    __str__ = __repr__

    def __bool__(self):
        return bool(self._value)

    def __eq__(self, other):
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self):
        return hash(("Secret", self._value))

    def __reduce__(self):  # never pickle the value (xdist ships reports between processes)
        return (Secret, ("",))


# A credential after the scheme word is token-shaped (RFC 6750 b64token, base64): a word of
# plain letters shorter than 16 (`Bearer tokens`, the catalog's "`Bearer `/`Basic `") is prose.
_AUTH_RE = re.compile(r"\b(Bearer|Basic)(\s+|%20)(?!(?:[^\W\d_]{1,15})(?![\w.~+/=-]))([^\s\"',;&<>`]+)",
                      re.IGNORECASE)
_USERINFO_RE = re.compile(r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^/\s:@]*):(?P<pw>[^/\s@]*)@")
# the catalog's example URLs (mysql://user:pass@host/db) show these words, not secrets; a real
# password that happens to be one of them is masked anyway by the value pass
_PLACEHOLDER_PASSWORDS = frozenset({"pass", "password", "<password>", "<pass>", "****"})
_TOKEN_FIELD_RE = re.compile(r'("(?:access_token|api_key|password|secret)"\s*:\s*")([^"]+)(")', re.IGNORECASE)


def _variants(value: str) -> set:
    """A value and the forms it may take in transit (base64-decoded parts too)."""
    out = {value, value.strip()}
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        decoded = ""
    if decoded and len(decoded) >= 8:
        out.add(decoded)
        if ":" in decoded:
            out.update(p for p in decoded.split(":", 1) if len(p) >= 8)
    return {v for v in out if v and len(v) >= 4}


class Redactor:
    def __init__(self, secrets: Iterable[Optional[str]] = ()):
        self._values = set()
        for s in secrets:
            self.add(s)

    def add(self, value) -> None:
        if isinstance(value, Secret):
            value = value.reveal()
        if value:
            self._values |= _variants(str(value))
            self._pattern = None

    @property
    def values(self):
        return frozenset(self._values)

    def scrub(self, text):
        if text is None:
            return text
        if not isinstance(text, str):
            text = str(text)
        if self._values:
            pattern = getattr(self, "_pattern", None)
            if pattern is None:
                # longest first, so a key is masked whole before its decoded part
                ordered = sorted(self._values, key=len, reverse=True)
                pattern = self._pattern = re.compile("|".join(re.escape(v) for v in ordered))
            text = pattern.sub(lambda m: mask(m.group(0)), text)
        text = _AUTH_RE.sub(lambda m: f"{m.group(1)} {_mask_once(m.group(3))}", text)
        text = _USERINFO_RE.sub(lambda m: m.group(0) if m.group("pw").lower() in _PLACEHOLDER_PASSWORDS
                                else f"{m.group('scheme')}{m.group('user')}:****@", text)
        text = _TOKEN_FIELD_RE.sub(lambda m: m.group(1) + _mask_once(m.group(2)) + m.group(3), text)
        return text


def _mask_once(value: str) -> str:
    # already masked by the value pass: keep it as it is
    return value if value.startswith("****") else mask(value)
