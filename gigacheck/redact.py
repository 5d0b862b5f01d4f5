"""Secrets never reach an output: a masking wrapper, the one scrubber, and peer text made safe.

Design: redaction at the sinks, not at the sources.  Library code may hold and format
secrets freely (an echoed header, a log row quoting the key); what leaves the process
goes through `Redactor.scrub`, installed once per run on every way out by
`gigacheck.sinks`:

* pytest's terminal: the terminal writer's file is wrapped, so the header, progress,
  tracebacks (`--tb=*`, `-l` locals, `--full-trace`), `-rA`, the warnings summary and
  live logs are scrubbed whatever wrote them; with `-s`, `sys.stdout`/`sys.stderr` too;
* `pytestdebug.log` (`--debug`): the trace writer is wrapped;
* logging: a filter on pytest's handlers (captured logs, `--log-file`, live logs);
* the final files (HTML, JUnit XML, the JSON summary, `--log-file`, `.pytest_cache`) are
  filtered once more when pytest unconfigures, so a path that forgets is still caught;
* `python -m gigacheck logs`: its stdout and stderr are wrapped the same way.

A new output path writes through one of these, so it cannot forget.  Reports are also
scrubbed where they are made (`sinks.scrub_report` in the plugin's makereport: traceback,
locals, sections; `sinks.ReportScrubber`: JUnit properties and HTML extras), because under xdist the
controller writes the files and never learns the token a worker was issued.

What `scrub` finds: each secret whole and in the forms it takes in transit (URL- and
form-encoded, without `=` padding, JSON- and HTML-escaped, base64 of it, quoted, its
base64-decoded `client_id:client_secret` and both halves, each line of a multi-line
value), then ANY piece of 8 or more characters of a long secret in any of those forms
(so a value cut by an excerpt, MIME-wrapped at 76 or split by `%2B` is still found:
scrub-then-cut is not needed for safety, only for looks), then anything shaped like an
Authorization value (`Bearer`/`Basic` + token68), an OpenAI-style `sk-...` key, a
`scheme://user:password@` URL (up to the LAST `@`) or a JSON `"access_token"` field.
It never produces invalid text: masks hold no quote, backslash or markup character,
and a cut never splits a backslash escape.  The catalog's and words' own texts
(`Bearer `, `mysql://user:pass@`) are never masked.
"""

from __future__ import annotations

import base64
import binascii
import html
import json
import re
from functools import lru_cache
from typing import Callable, Dict, Iterable, List, Optional, Tuple
from urllib.parse import quote, quote_plus

from .words import WORDS, say

Scrub = Callable[[str], str]
PIECE = 8              # a run of this many characters of a secret counts as the secret
PEER_LIMIT = 200       # characters of one peer-controlled field (a header, an id) shown
_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=_.-~")


def mask(value) -> str:
    """`****` plus the last 4 characters and the length (characters unsafe in JSON,
    XML or a terminal show as `?`)."""
    if value is None:
        return "(not set)"
    text = str(value)
    if not text:
        return "(empty)"
    tail = "".join(c if c in _SAFE else "?" for c in text[-4:]) if len(text) >= 12 else ""
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


# --- learning secrets ------------------------------------------------------------------------

_SCHEME = re.compile(r"\s*[A-Za-z][A-Za-z0-9+.\-]*(?::/{0,3}|//)")


def url_password(url: Optional[str]) -> Optional[str]:
    """The password of a URL, however malformed: whatever lies between the user and the
    LAST `@` (unencoded `/ # ?`, a newline, `mysql//`, `mysql:/`, `mysql:` typos)."""
    if not url:
        return None
    m = _SCHEME.match(url)
    rest = url[m.end():] if m else url
    if "@" not in rest:
        return None
    userinfo = rest.rsplit("@", 1)[0]
    if ":" not in userinfo:
        return None
    return userinfo.split(":", 1)[1] or None


def _b64decode(value: str) -> str:
    """The text a base64 (or base64url) value decodes to, or ''."""
    padded = value + "=" * (-len(value) % 4)
    for altchars in (None, b"-_"):
        try:
            return base64.b64decode(padded.encode("ascii"), altchars=altchars, validate=True).decode("utf-8")
        except (binascii.Error, ValueError, UnicodeError):
            continue
    return ""


def forms(value: str) -> set:
    """A secret and every form it may take in transit (see the module's docstring)."""
    core = {value, value.strip(), value.strip().strip("'\"").strip()}
    core |= {line.strip() for v in list(core) for line in v.splitlines()}
    decoded = _b64decode(value.strip().strip("'\"").strip())
    if len(decoded) >= PIECE and decoded.isprintable():
        core.add(decoded)
        core.update(p for p in decoded.split(":", 1) if len(p) >= PIECE)
    out = set()
    for v in core:
        if not v:
            continue
        b64 = base64.b64encode(v.encode("utf-8")).decode("ascii")
        out |= {v, v.rstrip("="), quote(v, safe=""), quote_plus(v), quote(v, safe="/:"),
                json.dumps(v)[1:-1], json.dumps(v, ensure_ascii=False)[1:-1], v.replace("/", "\\/"),
                html.escape(v), html.escape(v, quote=False), b64, b64.rstrip("="),
                base64.urlsafe_b64encode(v.encode("utf-8")).decode("ascii").rstrip("=")}
    return {f for f in out if len(f) >= 4}


def _random_enough(value: str) -> bool:
    """Long and varied: its 8-character pieces cannot be ordinary words."""
    return len(value) >= 2 * PIECE and len(set(value)) >= 10


_NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9._:\-]{0,63}")
_UNBROKEN_RE = re.compile(r"[A-Za-z0-9]{20,}")


def looks_like_secret(name: str, secrets: Iterable[str] = ()) -> bool:
    """A name (a model's) that must not become a node id, a URL path or a header: a
    configured secret or a piece of one, or shaped like a key or token rather than a name
    (`GigaChat-2-Max`: letters, digits and `._:-`, words shorter than 20)."""
    if not _NAME_RE.fullmatch(name) or _UNBROKEN_RE.search(name) or name.lower().startswith("sk-"):
        return True
    if _JWT_LIKE.fullmatch(name):
        return True
    pieces = _pieces_of(tuple(s for s in secrets if s))  # the name's few pieces against the secrets' many
    return any(name[i:i + PIECE] in pieces for i in range(len(name) - PIECE + 1))


@lru_cache(maxsize=8)
def _pieces_of(secrets: tuple) -> frozenset:
    return frozenset(s[i:i + PIECE] for s in secrets for i in range(len(s) - PIECE + 1))


_JWT_LIKE = re.compile(r"eyJ[A-Za-z0-9_\-]*\.[A-Za-z0-9_.\-]*")

_VOCABULARY: Optional[str] = None
_VOCABULARY_GRAMS: Optional[frozenset] = None


def vocabulary() -> str:
    """The catalog's and the words' own texts: never masked (GC002 names `Bearer `, LG001
    shows `mysql://user:pass@...`)."""
    global _VOCABULARY
    if _VOCABULARY is None:
        from .diagnosis import CATALOG
        parts = []
        for c in CATALOG.values():
            parts.extend((c.finding, c.cause, c.remedy, *c.commands, *c.ru))
        for entry in WORDS.values():
            parts.extend(entry.values())
        _VOCABULARY = "\n".join(parts)
    return _VOCABULARY


# --- shapes of secrets nobody told us about --------------------------------------------------

_TOKEN68 = r"[A-Za-z0-9+/_.~\-]{8,}=*"
_AUTH_RE = re.compile(r"\b(Bearer|Basic)(\s+|%20|\+)(\"?)(" + _TOKEN68 + ")", re.IGNORECASE)
_SK_RE = re.compile(r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-*.]{8,}")
# up to the LAST `@` of the word: a password may hold an unencoded `/`, `#`, `?` or `@`
_USERINFO_RE = re.compile(r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.-]*:/{1,3})(?P<user>[^/\s:@'\"<>]*):"
                          r"(?P<pw>[^\s'\"<>]*)@")
# example URLs (mysql://user:pass@host/db) show these words, not secrets; a real password that
# happens to be one of them is still masked by value
_PLACEHOLDERS = frozenset({"pass", "password", "<password>", "<pass>", "****"})
_TOKEN_FIELD_RE = re.compile(r'("(?:access_token|api_key|apikey|password|secret|token)"\s*:\s*")'
                             r'((?:[^"\\]|\\.)+)(")', re.IGNORECASE)
# A JWT (header.payload.signature) or JWE (five parts, the encrypted key may be empty: GigaChat's access
# tokens are 1,200-character JWEs) that the site logged: its header is base64url JSON, so it starts `eyJ`.
# Never inside a base64 run (a picture embedded in the HTML report): no base64 letter, `+` or `/` on either side.
# Found by str.find of `eyJ` and `token`, then matched in place: a pattern that starts with a lookbehind or
# an optional group is tried at every position (3 to 4 times slower on a megabyte of prose).
_JWT_RE = re.compile(r"eyJ[A-Za-z0-9_\-]{12,}(?:\.[A-Za-z0-9_\-]*){0,4}(?![A-Za-z0-9_\-+/])")
_B64_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-+/")
# The value after `access_token`, `refresh_token`, `id_token` or `token` in any quoting a log row holds:
# `access_token=...`, `{'access_token': '...'}`, `"token": "..."` (JSON-escaped too), `token: ...`,
# `&quot;token&quot;: ...` (HTML); `GIGACHAT_ACCESS_TOKEN=...` as well. Prose (`token: expired`) stays.
_QUOTE = r"(?:\\{0,3}[\"']|&quot;|&#x27;|&#39;)?"
_TOKEN_AFTER_RE = re.compile(r"(?P<sep>" + _QUOTE + r"\s{0,3}[:=]\s{0,3}" + _QUOTE + r")"
                             r"(?P<value>[^\s'\"\\<>&,;(){}\[\]]{8,})")
_TOKEN_PLAIN_RE = re.compile(r"\S*token\S*(?:\s{1,3}[:=]?\s{0,3}\S+)?", re.IGNORECASE)  # rare texts only
_TOKEN_PREFIXES = ("access_", "access-", "refresh_", "refresh-", "id_", "id-", "auth_", "auth-")


class Redactor:
    def __init__(self, secrets: Iterable[Optional[str]] = ()):
        self._shown: Dict[str, str] = {}   # form -> the mask of its secret
        self._grams: Dict[str, str] = {}   # 8-character piece -> the mask of its secret
        self._exact = None                 # None: to compile; False: no short forms
        self._long: List[str] = []
        self._has_pieces = None
        self._blocks = frozenset()
        for s in secrets:
            self.add(s)

    def add(self, value) -> None:
        if isinstance(value, Secret):
            value = value.reveal()
        if not value:
            return
        shown, new, grams = _prepared(str(value))
        for f in new:
            self._shown.setdefault(f, shown)
        for g in grams:
            self._grams.setdefault(g, shown)
        self._exact = self._has_pieces = None

    @property
    def values(self):
        return frozenset(self._shown)

    def _compile(self):
        # Forms of 8 characters and more are replaced as plain text, longest first (a key before its
        # decoded part): one regular expression of them all cost 14 ms to compile per secret learned.
        # Shorter ones only as whole words, in one small expression.
        ordered = sorted(self._shown, key=len, reverse=True)
        self._long = [v for v in ordered if len(v) >= PIECE]
        short = [rf"(?<![A-Za-z0-9]){re.escape(v)}(?![A-Za-z0-9])" for v in ordered if len(v) < PIECE]
        self._exact = re.compile("|".join(short)) if short else False
        self._blocks = frozenset(g[i:i + 4] for g in self._grams for i in range(PIECE - 3))
        self._has_pieces = bool(self._grams)

    def scrub(self, text):
        if text is None:
            return text
        if not isinstance(text, str):
            text = str(text)
        if self._exact is None and self._shown:
            self._compile()
        for v in self._long:
            if v in text:
                text = text.replace(v, self._shown[v])
        if self._exact:
            text = self._exact.sub(lambda m: self._shown[m.group(0)], text)
        if self._has_pieces:
            text = self._pieces(text)
        return _scrub_shapes(text)

    def _pieces(self, text: str) -> str:
        """Mask every stretch made of 8-character pieces of a secret.  Any such piece holds a
        4-character block starting at a multiple of 4, so only those blocks are looked up
        (a quarter of the positions); each hit is then checked at the 5 starts that can hold it."""
        grams, blocks, n = self._grams, self._blocks, len(text)
        starts = set()
        for i in range(0, n - 3, 4):
            if text[i:i + 4] in blocks:
                for p in range(max(i - 4, 0), min(i, n - PIECE) + 1):
                    if text[p:p + PIECE] in grams:
                        starts.add(p)
        if not starts:
            return text
        spans, first, reach = [], None, -1
        for p in sorted(starts):
            if first is None or p > reach:
                if first is not None:
                    spans.append((first, reach))
                first = p
            reach = p + PIECE
        spans.append((first, reach))
        out, last = [], 0
        for a, b in spans:
            a, b = _whole_escapes(text, a, b)
            if a < last:
                a = last
            out.append(text[last:a])
            out.append(grams.get(text[a:a + PIECE]) or mask(text[a:b]))
            last = b
        out.append(text[last:])
        return "".join(out)


@lru_cache(maxsize=32)
def _prepared(value: str) -> Tuple[str, Tuple[str, ...], Tuple[str, ...]]:
    """A secret's mask, its forms and (when random enough) their 8-character pieces that are not the
    catalog's own words: worked out once, however many redactors of a run learn the same secret."""
    shown = mask(value.strip().strip("'\"").strip() or value)
    new = tuple(forms(value))
    grams = []
    if _random_enough(value.strip()):
        words, spaced = _vocabulary_grams(), _SPACE.search
        for f in new:
            for i in range(len(f) - PIECE + 1):
                g = f[i:i + PIECE]
                if g in words or (spaced(g) and (g.isspace() or g in vocabulary())):
                    continue  # the catalog's own words are never masked
                grams.append(g)
    return shown, new, tuple(dict.fromkeys(grams))


_SPACE = re.compile(r"\s")


def _vocabulary_grams() -> frozenset:
    """The 8-character pieces of the catalog's and the words' texts that hold no whitespace: each lies
    inside one of their unbroken runs of 8 and more, so only those runs are cut (a fifth of all pieces,
    built in a fifth of the time). A piece with whitespace is looked up in the text itself."""
    global _VOCABULARY_GRAMS
    if _VOCABULARY_GRAMS is None:
        runs = re.findall(r"\S{%d,}" % PIECE, vocabulary())
        _VOCABULARY_GRAMS = frozenset(w[i:i + PIECE] for w in runs for i in range(len(w) - PIECE + 1))
    return _VOCABULARY_GRAMS


def _whole_escapes(text: str, a: int, b: int):
    """Never cut a backslash escape in two: it would leave invalid JSON behind."""
    n = 0
    while a - n - 1 >= 0 and text[a - n - 1] == "\\":
        n += 1
    if n % 2:
        a -= 1
    n = 0
    while b - n - 1 >= a and text[b - n - 1] == "\\":
        n += 1
    if n % 2:
        b -= 1
    return a, b


def _keep_if_ours(m, masked: str) -> str:
    return m.group(0) if m.group(0) in vocabulary() else masked


def _auth(m) -> str:
    value = m.group(4)
    if value.isalpha() and len(value) < 16 and (value.islower() or value.istitle() or len(value) <= 6):
        return m.group(0)  # prose ("Basic authentication", "Bearer Tokens"), not a credential
    return _keep_if_ours(m, f"{m.group(1)} {m.group(3)}{mask(value)}")


def _scrub_shapes(text: str) -> str:
    text = _AUTH_RE.sub(_auth, text)
    text = _SK_RE.sub(lambda m: _keep_if_ours(m, mask(m.group(0))), text)
    text = _USERINFO_RE.sub(
        lambda m: m.group(0) if m.group("pw").startswith("****") or m.group("pw").lower() in _PLACEHOLDERS else
        _keep_if_ours(m, f"{m.group('scheme')}{m.group('user')}:****@"), text)
    text = _TOKEN_FIELD_RE.sub(lambda m: m.group(0) if m.group(2).startswith("****") else
                               m.group(1) + mask(m.group(2)) + m.group(3), text)
    if "eyJ" in text:
        text = _jwts(text)
    if "oken" in text or "OKEN" in text:
        text = _token_values(text)
    return text


def _jwts(text: str) -> str:
    out, last, at = [], 0, text.find("eyJ")
    while at >= 0:
        m = None if at and text[at - 1] in _B64_CHARS else _JWT_RE.match(text, at)
        if m is None:
            at = text.find("eyJ", at + 3)
            continue
        out += [text[last:at], _keep_if_ours(m, mask(m.group(0)))]
        last = m.end()
        at = text.find("eyJ", last)
    return "".join(out) + text[last:] if out else text


def _token_values(text: str) -> str:
    folded = text.lower()
    if len(folded) != len(text):  # a lower() that changes lengths (`İ`): positions would not agree
        return _TOKEN_PLAIN_RE.sub(lambda m: _token_values(m.group(0)) if m.group(0).isascii() else m.group(0),
                                   text)
    out, last, at = [], 0, folded.find("token")
    while at >= 0:
        start = at
        for prefix in _TOKEN_PREFIXES:
            if at >= len(prefix) and folded.startswith(prefix, at - len(prefix)):
                start = at - len(prefix)
                break
        m = None if start and text[start - 1].isascii() and text[start - 1].isalnum() else \
            _TOKEN_AFTER_RE.match(text, at + 5)
        value = m.group("value") if m else ""
        if m is None or start < last or value.startswith("****") or value.isdigit() or (
                value.isalpha() and len(value) < 16 and (value.islower() or value.istitle())):
            at = folded.find("token", at + 5)  # none, masked already, a count, or prose (`token: expired`)
            continue
        whole = text[start:m.end()]
        shown = whole if whole in vocabulary() else text[start:at + 5] + m.group("sep") + mask(value)
        out += [text[last:start], shown]
        last = m.end()
        at = folded.find("token", last)
    return "".join(out) + text[last:] if out else text


class ScrubbingStream:
    """A text stream whose every write is scrubbed; everything else is the stream's own."""

    def __init__(self, stream, scrub: Scrub):
        self._stream = stream
        self._scrub = scrub

    def write(self, text) -> int:
        self._stream.write(self._scrub(text) if isinstance(text, str) else text)
        return len(text)

    def writelines(self, lines) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name):
        return getattr(self._stream, name)


# --- text a peer controls --------------------------------------------------------------------

_ESCAPES = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])|\x9b[0-?]*[ -/]*[@-~]")
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def peer_text(value, limit: int = PEER_LIMIT, scrub=None, oneline: bool = True) -> str:
    """Text a peer controls (a header, an id, a message), safe to show: secrets scrubbed
    first (before the cut), terminal escapes and control characters out, at most
    `limit` characters."""
    text = "" if value is None else str(value)
    if scrub is not None:
        text = scrub(text)
    text = _ESCAPES.sub("", text)
    if oneline:
        text = text.replace("\r\n", " ").replace("\n", " ").replace("\t", " ")
    text = _CONTROLS.sub("?", text)
    if len(text) > limit:
        text = text[:limit] + say("peer.cut", n=len(text))
    return text


# --- log rows: peer text shown whole, every control visible ------------------------------------------
# A log row holds what users typed and what providers answered. Shown as it is, it could set the window's
# title, clear the screen, colour the rest of the output, hide a link behind text (OSC 8), overwrite its own
# line with a bare carriage return, or reverse what follows (bidi overrides). `shown_row` keeps every
# character but shows those as text: ESC as `␛` (the sequence after it then prints harmlessly), the other C0
# controls as their control pictures (`␀`, `␇`, `␍`), DEL as `␡`, C1 controls and the bidi/line-separator
# characters as `\x9b` / `\u202e`. One table, applied with str.translate: linear, and the same on every way
# out (evidence in the terminal, HTML and JUnit, the viewer's lines).
_BIDI = (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x2028, 0x2029)
_VISIBLE = {c: chr(0x2400 + c) for c in range(0x20) if c not in (0x09, 0x0A)}
_VISIBLE.update({0x7F: "\u2421", **{c: f"\\x{c:02x}" for c in range(0x80, 0xA0)},
                 **{c: f"\\u{c:04x}" for c in _BIDI}})
_VISIBLE_ONELINE = {**_VISIBLE, 0x09: " ", 0x0A: " "}
# in JSON the same characters as JSON escapes: the text stays exact (json.loads gives it back), yet no raw
# byte of it reaches a terminal that shows the JSON (json.dumps escapes only C0 with ensure_ascii=False)
_JSON_ESCAPED = {c: f"\\u{c:04x}" for c in (0x7F, *range(0x80, 0xA0), *_BIDI)}


def shown_row(text, oneline: bool = False) -> str:
    """A log row's text, safe to show (see above); `oneline`: line breaks and tabs as spaces."""
    text = "" if text is None else str(text)
    text = text.replace("\r\n", "\n")  # a Windows line end is no attack
    return text.translate(_VISIBLE_ONELINE if oneline else _VISIBLE)


def json_safe(dumped: str) -> str:
    """JSON text (json.dumps(..., ensure_ascii=False)) with the characters a terminal acts on escaped."""
    return dumped.translate(_JSON_ESCAPED)
