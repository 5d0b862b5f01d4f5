"""Static judgements of the settings (GC001-GC014): pure functions, no network.

Each returns the Findings for its question; details describe a problem
without ever quoting a secret.
"""

from __future__ import annotations

import base64
import binascii
import re
import ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional
from urllib.parse import urlsplit

from .diagnosis import Finding
from .redact import Secret, mask
from .settings import Settings, file_problem, read_bounded
from .words import say

SCOPES = ("GIGACHAT_API_PERS", "GIGACHAT_API_B2B", "GIGACHAT_API_CORP")
PLACEHOLDERS = {
    "test", "token", "key", "secret", "changeme", "change_me", "your_token", "your_key", "yourtoken",
    "your_token_here", "your_key_here", "your_api_key", "your-api-key", "api_key", "apikey", "xxx",
    "none", "null", "undefined", "example", "placeholder", "ваш_токен", "ваш_ключ", "токен", "ключ",
    "your_credentials", "credentials", "authorization_key", "your_authorization_key",
}
_PLACEHOLDER_RE = re.compile(r"^<.*>$|^\{.*\}$|^\$\{.*\}$|^x{4,}$|ваш|your[_\- ]|insert|paste|here$", re.I)
_PREFIX_RE = re.compile(r"^\s*(Bearer|Basic)(\s+|$)", re.I)
_BAD_CHARS_RE = re.compile(r"[\s\"'`«»“”]")
_JWT_RE = re.compile(r"^[A-Za-z0-9_\-]+(\.[A-Za-z0-9_\-]*){1,4}$")
_UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
MAX_CA_BUNDLE = 4 << 20  # the whole Mozilla bundle is ~250 KiB
MIN_KEY_LENGTH = 24  # id:secret in base64 is never shorter; real keys are 100 characters

# Hosts that can never serve GigaChat OAuth or API: other providers' endpoints seen in old runbooks.
OTHER_PROVIDER_HOSTS = (
    "yandex", "iam.api.cloud", "openai.com", "anthropic.com", "googleapis.com", "azure.com",
    "mistral.ai", "deepseek.com", "api.gigachat.ru",
)
KNOWN_API_HOSTS = ("gigachat.devices.sberbank.ru", "api.giga.chat")


@dataclass
class KeyAnalysis:
    findings: Dict[str, Finding] = field(default_factory=dict)
    core: str = ""  # the key without prefix, whitespace and quotes: what the rules after GC003 judge

    def get(self, code: str) -> Optional[Finding]:
        return self.findings.get(code)

    @property
    def blocking(self) -> Optional[Finding]:
        """The first finding that makes OAuth pointless (GC007 does not: one key is still usable)."""
        for code in ("GC001", "GC002", "GC003", "GC004", "GC005", "GC006"):
            if code in self.findings:
                return self.findings[code]
        return None


def _f(code, detail, subject="key"):
    return Finding(code, detail, subject=subject)


def _describe_bad_chars(value: str) -> str:
    parts = []
    if value != value.lstrip():
        parts.append("whitespace at the start")
    if value.rstrip("\r\n") != value:
        parts.append("a line break at the end")
    elif value != value.rstrip():
        parts.append("whitespace at the end")
    inner = value.strip()
    if re.search(r"[\r\n]", inner):
        parts.append("a line break inside")
    if re.search(r"[ \t]", inner):
        parts.append("spaces inside")
    if re.search(r"[\"'`«»“”]", value):
        parts.append("quote characters")
    return ", ".join(parts) or "characters that do not belong in a key"


def analyze_key(key: Optional[Secret], variable: str = "GIGACHAT_CREDENTIALS") -> KeyAnalysis:
    result = KeyAnalysis()
    raw = key.reveal() if key is not None else None
    if raw is None or not raw.strip():
        what = "not set" if raw is None else "set but empty"
        result.findings["GC001"] = _f("GC001", f"{variable} is {what}")
        return result
    rest = raw
    m = _PREFIX_RE.match(raw)
    if m:
        result.findings["GC002"] = _f("GC002", f"{variable} starts with '{m.group(1)} '; the client adds the scheme itself")
        rest = raw[m.end():]
    if _BAD_CHARS_RE.search(rest) or raw != raw.lstrip():
        result.findings["GC003"] = _f("GC003", f"{variable} has {_describe_bad_chars(rest)}")
    core = _BAD_CHARS_RE.sub("", rest)
    result.core = core
    lowered = core.lower()
    placeholder = lowered in PLACEHOLDERS or bool(_PLACEHOLDER_RE.search(core))
    if not core or placeholder or len(core) < MIN_KEY_LENGTH:
        why = " and looks like a placeholder" if placeholder or len(core) >= MIN_KEY_LENGTH else "; a real key is 100"
        result.findings["GC004"] = _f("GC004", f"{variable} is {len(core)} characters long{why}")
        return result
    if core.startswith("eyJ") or (core.count(".") >= 2 and _JWT_RE.match(core)):
        parts = core.count(".") + 1
        result.findings["GC005"] = _f("GC005", f"{variable} starts with 'eyJ' or has {parts} dot-separated parts: "
                                               f"an access token/JWT ({mask(core)})")
        return result
    problem = _decode_problem(core)
    if problem:
        result.findings["GC006"] = _f("GC006", f"{variable} {problem}")
    return result


def _decode_problem(core: str) -> Optional[str]:
    if _UUID_RE.match(core):
        return "is a bare UUID: the client ID or client secret alone, not the key"
    try:
        decoded_bytes = base64.b64decode(core, validate=True)
    except (binascii.Error, ValueError):
        return "is not valid base64"
    try:
        decoded = decoded_bytes.decode("utf-8")
    except UnicodeDecodeError:
        return "decodes to binary bytes, not client_id:client_secret"
    if ":" not in decoded:
        try:
            again = base64.b64decode(decoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, ValueError, UnicodeDecodeError):
            again = ""
        if ":" in again:
            return "is encoded twice (base64 of base64): use the inner value"
        if _UUID_RE.match(decoded.strip()):
            return "decodes to a single UUID: a client ID or secret was encoded alone"
        return f"decodes to {len(decoded)} characters with no ':' between client_id and client_secret"
    client_id, _, secret = decoded.partition(":")
    if not client_id or not secret:
        return "decodes to client_id:client_secret with an empty part"
    return None


def key_analysis(settings: Settings) -> KeyAnalysis:
    analysis = analyze_key(settings.key, settings.key_variable)
    where = settings.broken.get(settings.key_variable)
    if where:  # the line cannot be parsed: the site's python-dotenv reads no key at all
        found = analysis.findings.get("GC003")
        analysis.findings["GC003"] = _f("GC003", (f"{found.detail}; " if found else
                                                  f"{settings.key_variable}: ") + where)
        analysis.findings.pop("GC001", None)
    return analysis


def keys_agree(settings: Settings) -> Optional[Finding]:
    token, creds = settings.raw.get("GIGACHAT_TOKEN"), settings.raw.get("GIGACHAT_CREDENTIALS")
    if token and creds and token.strip() != creds.strip():
        return _f("GC007", f"GIGACHAT_TOKEN is {mask(token.strip())}, GIGACHAT_CREDENTIALS is {mask(creds.strip())}; "
                           f"the checks use GIGACHAT_CREDENTIALS", subject="GC007")
    return None


def scope_problem(settings: Settings) -> Optional[Finding]:
    if settings.scope not in SCOPES:
        return _f("GC008", f"GIGACHAT_SCOPE is {settings.scope!r}", subject="scope")
    return None


def _url_problem(url: str) -> Optional[str]:
    if not url or re.search(r"\s", url):
        return "has spaces or is empty"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError as exc:
        return f"cannot be parsed ({exc})"
    if not parts.scheme or not parts.netloc:
        return "has no scheme or host (expected https://host/...)"
    if parts.username or parts.password:
        return "carries credentials in the URL (user:password@): put them in their own variables"
    if parts.scheme.lower() != "https":
        return f"uses {parts.scheme}://, not https://"
    return None


def _safe_url(url: str) -> str:
    return re.sub(r"//[^/@\s]*@", "//****@", url)


def auth_url_problem(settings: Settings) -> Optional[Finding]:
    url = settings.auth_url
    problem = _url_problem(url)
    if problem is None:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if any(h in host for h in OTHER_PROVIDER_HOSTS):
            problem = f"points at {host}, another provider's host"
        elif not parts.path.rstrip("/").endswith("/oauth"):
            problem = f"path {parts.path or '/'!r} does not end in /oauth"
    if problem:
        return _f("GC009", f"GIGACHAT_AUTH_URL {_safe_url(url)} {problem}", subject="auth_url")
    return None


def base_url_problem(settings: Settings) -> Optional[Finding]:
    url = settings.base_url
    problem = _url_problem(url)
    if problem is None:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        path = parts.path.rstrip("/")
        if any(h in host for h in OTHER_PROVIDER_HOSTS):
            problem = f"points at {host}, a known wrong host"
        elif "/core/" in path + "/" or (host in KNOWN_API_HOSTS and path not in ("/api/v1", "/v1")):
            problem = f"path {path!r} is a known wrong path (expected /api/v1 or /v1)"
        elif not path.endswith("/v1"):
            problem = f"path {path or '/'!r} does not end in /v1"
    if problem:
        return _f("GC010", f"GIGACHAT_BASE_URL {_safe_url(url)} {problem}", subject="base_url")
    return None


def ca_bundle_problem(settings: Settings) -> Optional[Finding]:
    path = settings.ca_bundle
    if not path:
        return None
    p = Path(path).expanduser().absolute()  # the path tried, as the finding shows it
    try:  # bounded by size and type: a FIFO or /dev/zero is refused, not waited on
        data = read_bounded(p, MAX_CA_BUNDLE)
    except OSError as exc:
        problem = "does not exist" if isinstance(exc, FileNotFoundError) else file_problem(exc)
    else:
        if b"-----BEGIN CERTIFICATE-----" not in data:
            problem = "holds no PEM certificate (-----BEGIN CERTIFICATE-----)"
        else:
            try:
                ssl.create_default_context().load_verify_locations(cafile=str(p))
                problem = None
            except (ssl.SSLError, OSError, ValueError) as exc:
                problem = f"is not a valid PEM bundle ({exc.__class__.__name__})"
    if problem:
        shown = str(p) if str(p) == str(path) else f"{path} ({p})"
        return Finding("GC012", f"GIGACHAT_CA_BUNDLE_FILE {shown} {problem}", subject="ca_bundle",
                       situation="missing" if problem == "does not exist" else "unusable", fields={"path": str(p)})
    return None


def model_names_problem(settings: Settings) -> Optional[Finding]:
    refused = settings.refused_models
    if not refused:
        return None
    shown = ", ".join(mask(m) for m in refused)
    return _f("GC017", say("models.refused", n=len(refused), shown=shown, models=", ".join(settings.models)),
              subject="models")


def tls_verification_off(settings: Settings) -> bool:
    return not settings.verify_ssl


def all_static(settings: Settings) -> List[Finding]:
    """Every static finding, for the summary and the CLI."""
    found = list(key_analysis(settings).findings.values())
    for rule in (keys_agree, scope_problem, auth_url_problem, base_url_problem, ca_bundle_problem,
                 model_names_problem):
        f = rule(settings)
        if f:
            found.append(f)
    return found
