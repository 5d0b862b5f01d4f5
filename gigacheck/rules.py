"""Static judgements of the settings (GC001-GC014): pure functions, no network.

Each returns the Findings for its question; details describe a problem
without ever quoting a secret.
"""

from __future__ import annotations

import base64
import math
import binascii
import os
import re
import ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional
from urllib.parse import urlsplit

from . import sdk, sdkenv
from .diagnosis import Finding
from .redact import Secret, mask
from .settings import Settings, file_problem, read_bounded
from .words import count, say

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
        parts.append(say("chars.lead"))
    if value.rstrip("\r\n") != value:
        parts.append(say("chars.trailing_break"))
    elif value != value.rstrip():
        parts.append(say("chars.trail"))
    inner = value.strip()
    if re.search(r"[\r\n]", inner):
        parts.append(say("chars.inner_break"))
    if re.search(r"[ \t]", inner):
        parts.append(say("chars.spaces"))
    if re.search(r"[\"'`«»“”]", value):
        parts.append(say("chars.quotes"))
    return ", ".join(parts) or say("chars.other")


def analyze_key(key: Optional[Secret], variable: str = "GIGACHAT_CREDENTIALS") -> KeyAnalysis:
    result = KeyAnalysis()
    raw = key.reveal() if key is not None else None
    if raw is None or not raw.strip():
        result.findings["GC001"] = _f("GC001", say("key.not_set" if raw is None else "key.empty", variable=variable))
        return result
    rest = raw
    m = _PREFIX_RE.match(raw)
    if m:
        result.findings["GC002"] = _f("GC002", say("key.prefix", variable=variable, prefix=m.group(1)))
        rest = raw[m.end():]
    if _BAD_CHARS_RE.search(rest) or raw != raw.lstrip():
        result.findings["GC003"] = _f("GC003", say("key.has", variable=variable, what=_describe_bad_chars(rest)))
    core = _BAD_CHARS_RE.sub("", rest)
    result.core = core
    lowered = core.lower()
    placeholder = lowered in PLACEHOLDERS or bool(_PLACEHOLDER_RE.search(core))
    if not core or placeholder or len(core) < MIN_KEY_LENGTH:
        why = say("key.placeholder") if placeholder or len(core) >= MIN_KEY_LENGTH else say("key.real_length")
        result.findings["GC004"] = _f("GC004", say("key.length", variable=variable, length=count(len(core), "n.chars"),
                                                   why=why))
        return result
    if core.startswith("eyJ") or (core.count(".") >= 2 and _JWT_RE.match(core)):
        parts = core.count(".") + 1
        result.findings["GC005"] = _f("GC005", say("key.jwt", variable=variable, parts=parts, masked=mask(core)))
        return result
    problem = _decode_problem(core)
    if problem:
        result.findings["GC006"] = _f("GC006", say("key.problem", variable=variable, problem=problem))
    return result


def _decode_problem(core: str) -> Optional[str]:
    if _UUID_RE.match(core):
        return say("key.bare_uuid")
    try:
        decoded_bytes = base64.b64decode(core, validate=True)
    except (binascii.Error, ValueError):
        return say("key.not_base64")
    try:
        decoded = decoded_bytes.decode("utf-8")
    except UnicodeDecodeError:
        return say("key.binary")
    if ":" not in decoded:
        try:
            again = base64.b64decode(decoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, ValueError, UnicodeDecodeError):
            again = ""
        if ":" in again:
            return say("key.twice")
        if _UUID_RE.match(decoded.strip()):
            return say("key.one_uuid")
        return say("key.no_colon", length=count(len(decoded), "n.chars"))
    client_id, _, secret = decoded.partition(":")
    if not client_id or not secret:
        return say("key.empty_part")
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
        return _f("GC007", say("key.disagree", token=mask(token.strip()), creds=mask(creds.strip())), subject="GC007")
    return None


def scope_problem(settings: Settings) -> Optional[Finding]:
    if settings.scope not in SCOPES:
        if not settings.scope:  # set but empty: the SDK sends `scope=`, which OAuth refuses (code 5)
            return _f("GC008", say("scope.empty"), subject="scope")
        return _f("GC008", say("scope.is", scope=repr(settings.scope)), subject="scope")
    return None


def _url_problem(url: str) -> Optional[str]:
    if not url or re.search(r"\s", url):
        return say("url.blank")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError as exc:
        return say("url.unparsable", error=exc)
    if not parts.scheme or not parts.netloc:
        return say("url.no_host")
    if parts.username or parts.password:
        return say("url.credentials")
    if parts.scheme.lower() != "https":
        return say("url.scheme", scheme=parts.scheme)
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
            problem = say("url.other_provider", host=host)
        elif not parts.path.rstrip("/").endswith("/oauth"):
            problem = say("url.not_oauth", path=repr(parts.path or "/"))
    if problem:
        return _f("GC009", say("setting.problem", variable="GIGACHAT_AUTH_URL", value=_safe_url(url) or "''",
                                 problem=problem),
                  subject="auth_url")
    return None


def base_url_problem(settings: Settings) -> Optional[Finding]:
    url = settings.base_url
    problem = _url_problem(url)
    if problem is None:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        path = parts.path.rstrip("/")
        if any(h in host for h in OTHER_PROVIDER_HOSTS):
            problem = say("url.wrong_host", host=host)
        elif "/core/" in path + "/" or (host in KNOWN_API_HOSTS and path not in ("/api/v1", "/v1")):
            problem = say("url.wrong_path", path=repr(path))
        elif not path.endswith("/v1"):
            problem = say("url.not_v1", path=repr(path or "/"))
    if problem:
        return _f("GC010", say("setting.problem", variable="GIGACHAT_BASE_URL", value=_safe_url(url) or "''",
                                 problem=problem),
                  subject="base_url")
    return None


def ca_bundle_problem(settings: Settings) -> Optional[Finding]:
    """GC012: the CA bundle the site's SDK verifies with (GIGACHAT_CA_BUNDLE_FILE, else httpx's SSL_CERT_FILE or
    SSL_CERT_DIR) cannot be used: httpx raises building the client, and the site's calls all fail."""
    from .truststore import httpx_store
    store = httpx_store(settings)
    variable, path = store.variable, store.path
    if not variable:
        return None
    folder = Path(path).expanduser()
    # a folder is a CA store for httpx as SSL_CERT_DIR, and as GIGACHAT_CA_BUNDLE_FILE too (verify=<folder>: capath)
    is_dir = os.path.isdir(folder)  # False, never an exception, for a path this user may not look into
    if variable == "SSL_CERT_DIR" or (variable == "GIGACHAT_CA_BUNDLE_FILE" and is_dir):
        p = folder.absolute()
        fields = {"path": str(p), "variable": variable,  # and where a PEM file would go instead
                  "file_variable": "SSL_CERT_FILE" if variable == "SSL_CERT_DIR" else variable}
        if not is_dir:
            return Finding("GC012", say("setting.problem", variable=variable, value=str(p), problem=say("ca.no_dir")),
                           subject="ca_bundle", situation="missing", fields=fields)
        if not _hashed(folder):  # OpenSSL looks certificates up in a folder by hash names only: it finds none
            return Finding("GC012", say("setting.problem", variable=variable, value=str(p), problem=say("ca.no_hash")),
                           subject="ca_bundle", situation="unhashed", fields=fields)
        return None
    p = Path(path).expanduser().absolute()  # the path tried, as the finding shows it
    try:  # bounded by size and type: a FIFO or /dev/zero is refused, not waited on
        data = read_bounded(p, MAX_CA_BUNDLE)
    except OSError as exc:
        missing = isinstance(exc, FileNotFoundError)
        problem = say("ca.missing") if missing else file_problem(exc)
    else:
        missing = False
        if b"-----BEGIN CERTIFICATE-----" not in data:
            problem = say("ca.no_pem")
        else:
            try:
                ssl.create_default_context().load_verify_locations(cafile=str(p))
                problem = None
            except (ssl.SSLError, OSError, ValueError) as exc:
                problem = say("ca.bad_pem", kind=exc.__class__.__name__)
    if problem:
        shown = str(p) if str(p) == str(path) else f"{path} ({p})"
        detail = say("setting.problem", variable=variable, value=shown, problem=problem)
        return Finding("GC012", detail, subject="ca_bundle", situation="missing" if missing else "unusable",
                       fields={"path": str(p), "variable": variable})
    return None


def _hashed(folder: Path, limit: int = 10000) -> bool:
    """Does the folder hold OpenSSL's hash names (`<8 hex digits>.<n>`, made by `openssl rehash`)?  A capath is
    read by those names only: certificates under other names are never found.  Bounded: a huge folder counts."""
    try:
        with os.scandir(folder) as entries:
            for i, entry in enumerate(entries):
                if i >= limit or re.fullmatch(r"[0-9a-f]{8}\.\d+", entry.name):
                    return True
    except OSError:
        return False
    return False


def sdk_refusals(settings: Settings) -> Optional[Finding]:
    """GC015: every GIGACHAT_* value the official SDK would refuse, each with its rule."""
    found = sdkenv.refusals(settings.raw)
    if not found:
        return None
    names = ", ".join(r.variable for r in found)
    return Finding("GC015", say("sdk.would_raise", names=names),
                   [r.describe() + f" ({settings.source.get(r.variable, '?')})" for r in found], subject="sdk_settings")


def unread_lines(settings: Settings) -> Optional[Finding]:
    """GC018: settings whose written value is never used. Env-file lines python-dotenv skips (an unclosed
    quote, bad syntax), for the variables whose own checks do not judge them (the key's and the scope's do):
    the site never gets those values, so neither do the other checks. And values not in their form
    (GIGACHECK_MIN_BALANCE not a number, the site's true/false flags): read as their default. Each is named
    with its line or the form it takes."""
    from .settings import FALSE, JUDGED_AS_WRITTEN, TRUE
    lines = [f"{name}: {where}" for name, where in settings.broken.items()
             if name not in JUDGED_AS_WRITTEN and settings.source.get(name) != "environment"]
    balance = settings.get("GIGACHECK_MIN_BALANCE")
    if balance and balance.strip() and not _is_number(balance):
        lines.append(say("setting.form", name="GIGACHECK_MIN_BALANCE", value=repr(balance),
                         form=say("form.tokens")))
    pinned = (settings.get("GIGACHECK_SDK_VERSION") or "").strip()
    if pinned and pinned.lower() != "none" and not sdk.parse_version(pinned):
        lines.append(say("setting.form", name="GIGACHECK_SDK_VERSION", value=repr(pinned), form=say("form.sdk")))
    for name, default in (("USE_MOCK_RESPONSES", "false"), ("ENABLE_GIGACHAT", "true")):
        value = settings.get(name)
        if value is not None and value.strip().strip("'\"").lower() not in TRUE | FALSE:
            lines.append(say("setting.form", name=name, value=repr(value), form=say("form.bool", default=default)))
    if not lines:
        return None
    names = ", ".join(line.split(":", 1)[0].split("=", 1)[0] for line in lines)
    return Finding("GC018", say("env.unread_lines", names=names), lines, subject="settings_form")


def _is_number(value: str) -> bool:
    try:
        return math.isfinite(float(value))
    except ValueError:
        return False


def client_cert_problem(settings: Settings) -> Optional[Finding]:
    """GC016: the mTLS certificate and key are readable PEM files that belong together."""
    cert, key = settings.cert_file, settings.key_file
    if not cert and not key:
        return None
    problem = None
    if not cert:
        problem = "GIGACHAT_KEY_FILE is set but GIGACHAT_CERT_FILE is not"
    for name, path in (("GIGACHAT_CERT_FILE", cert), ("GIGACHAT_KEY_FILE", key)):
        if problem or not path:
            continue
        p = Path(path).expanduser()
        if not p.is_file():
            problem = f"{name} {path} {'is a directory' if p.is_dir() else 'does not exist'}"
            continue
        try:
            data = p.read_bytes()[: 1 << 20]
        except OSError as exc:
            problem = f"{name} {path} cannot be read ({exc.strerror})"
            continue
        marker = b"-----BEGIN CERTIFICATE-----" if name == "GIGACHAT_CERT_FILE" else b"PRIVATE KEY-----"
        if marker not in data and not (name == "GIGACHAT_KEY_FILE" and key == cert):
            problem = f"{name} {path} holds no PEM {'certificate' if marker.startswith(b'-----BEGIN C') else 'key'}"
    if problem is None:
        try:  # the SDK hands (cert, key, password) to ssl's load_cert_chain: ask it the same
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            # a callable, never None: None lets OpenSSL prompt on the terminal for an encrypted key's password
            password = settings.get("GIGACHAT_KEY_FILE_PASSWORD") or ""
            ctx.load_cert_chain(cert, key or None, password=lambda: password.encode())
        except ssl.SSLError as exc:
            why = "the key does not belong to the certificate" if "mismatch" in str(exc).lower() \
                else f"ssl cannot load them ({exc.reason or exc.__class__.__name__})"
            problem = f"GIGACHAT_CERT_FILE {cert} and GIGACHAT_KEY_FILE {key or '(in the same file)'}: {why}"
        except (OSError, ValueError, TypeError) as exc:
            problem = f"GIGACHAT_CERT_FILE {cert}: cannot be loaded ({exc.__class__.__name__})"
    return _f("GC016", problem, subject="client_cert") if problem else None
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
                 model_names_problem, sdk_refusals, unread_lines, client_cert_problem):
        f = rule(settings)
        if f:
            found.append(f)
    return found
