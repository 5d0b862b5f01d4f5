"""The settings a run uses: process environment over env file over mock sample.

Plain data: reading and parsing only; judging the values is `rules.py`'s job.
"""

from __future__ import annotations

import errno
import io
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Tuple
from urllib.parse import unquote

from dotenv.parser import parse_stream

from . import sdk, sdkenv
from .redact import Redactor, Secret, looks_like_secret, mask, url_password
from .words import say

DEFAULT_AUTH_URL = "https://ngw.devices.sberbank.ru:9443/api/v2/oauth"
DEFAULT_BASE_URL = sdk.DOCUMENTED_BASE_URL  # without GIGACHAT_BASE_URL: the site's SDK's default (sdk.py)
DEFAULT_SCOPE = "GIGACHAT_API_PERS"
DEFAULT_MODEL = "GigaChat"
DEFAULT_TIMEOUT = 30.0
DEFAULT_LOG_TABLE = "Asistent_systemlog"

# Every variable gigacheck reads; nothing else of the environment is looked at or shown.
VARIABLES = (
    "GIGACHAT_CREDENTIALS", "GIGACHAT_TOKEN", "GIGACHAT_ACCESS_TOKEN", "GIGACHAT_SCOPE",
    "GIGACHAT_AUTH_URL", "GIGACHAT_BASE_URL", "GIGACHAT_MODEL", "GIGACHAT_MODELS",
    "GIGACHAT_VERIFY_SSL_CERTS", "GIGACHAT_CA_BUNDLE_FILE", "GIGACHAT_TIMEOUT",
    "USE_MOCK_RESPONSES", "ENABLE_GIGACHAT", "DATABASE_URL", "GIGACHECK_LOG_TABLE",
    "GIGACHECK_LOG_TIMEZONE", "GIGACHECK_LOG_FILE", "PROXY_API_BASE_URL", "PROXY_API_KEY",
    "PROXY_API_MODEL", "GIGACHECK_MIN_BALANCE", "GIGACHECK_SDK_VERSION", "DJANGO_SETTINGS_MODULE",
    "GIGACHECK_DJANGO_DATABASE",  # inside a Django site (gigacheck.django): the log table read via connections[alias]
    "GIGACHECK_NOTIFY",  # Apprise URLs to alert (notify.py): their tokens are secrets
) + tuple(v for v in sdkenv.VARIABLES if v not in (
    "GIGACHAT_CREDENTIALS", "GIGACHAT_ACCESS_TOKEN", "GIGACHAT_SCOPE", "GIGACHAT_AUTH_URL", "GIGACHAT_BASE_URL",
    "GIGACHAT_MODEL", "GIGACHAT_VERIFY_SSL_CERTS", "GIGACHAT_CA_BUNDLE_FILE", "GIGACHAT_TIMEOUT"))  # the SDK's others
# what the site's client reads besides: its trust store (truststore.py) and its proxy (proxies.py)
VARIABLES += ("SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE",
              "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY")
PROXY_URL_VARIABLES = ("https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY")
SECRET_VARIABLES = ("GIGACHAT_CREDENTIALS", "GIGACHAT_TOKEN", "GIGACHAT_ACCESS_TOKEN", "PROXY_API_KEY",
                    "GIGACHAT_PASSWORD", "GIGACHAT_KEY_FILE_PASSWORD", "GIGACHECK_NOTIFY")

TRUE = {"1", "true", "yes", "on", "y", "t"}
FALSE = {"0", "false", "no", "off", "n", "f", ""}


class EnvFileError(Exception):
    """The env file named on the command line cannot be used at all."""


# variables whose broken env-file line is judged as written: their own rules refuse it (the key GC003, the
# scope GC008) and nothing refused is sent; any other broken line leaves its variable unset, as the site has it
JUDGED_AS_WRITTEN = frozenset({"GIGACHAT_CREDENTIALS", "GIGACHAT_TOKEN", "GIGACHAT_SCOPE"})

MAX_ENV_FILE = 1 << 20  # a real env file is a few KiB


def read_env_file(path: Path) -> Dict[str, str]:
    """Parse an env file the way python-dotenv does, tolerating a BOM, CRLF and
    non-UTF-8 bytes (kept as U+FFFD so the value is still checked, not lost)."""
    return read_env_lines(path)[0]


_NAME_RE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=(.*)$")


def read_env_lines(path: Path):
    """(values, broken): the values as python-dotenv reads them, and for each line it cannot parse
    (it skips them, with a bare warning on stderr that this parse does not print) the variable
    named there -> (its value as written, where and why)."""
    try:
        raw = read_bounded(path, MAX_ENV_FILE)
    except OSError as exc:
        raise EnvFileError(f"--env-file {path}: {file_problem(exc)}") from None
    text = raw.decode("utf-8-sig", errors="replace").replace("\r\n", "\n").replace("\r", "\n")
    values: Dict[str, str] = {}
    broken: Dict[str, tuple] = {}
    for binding in parse_stream(io.StringIO(text)):
        if binding.error:
            broken.update(_broken_binding(path, binding.original.string, binding.original.line))
        elif binding.key and binding.key.strip():
            values[binding.key.strip()] = "" if binding.value is None else binding.value
    return values, broken


def _broken_binding(path: Path, chunk: str, line: int) -> Dict[str, tuple]:
    """The variable of a line python-dotenv cannot parse, and the lines it swallows with it
    (an unclosed quote runs on to the next quote)."""
    lines = chunk.split("\n")
    m = _NAME_RE.match(lines[0])
    if not m:
        return {}
    first = m.group(2).strip()
    why = "an unclosed quote" if first[:1] in "\"'" and first.count(first[0]) % 2 else "syntax python-dotenv cannot read"
    lost = [n.group(1) for n in map(_NAME_RE.match, lines[1:]) if n]
    where = f"line {line} of {path.absolute()}: {why}; python-dotenv skips it"
    if lost:
        where += f" and the lines after it up to line {line + len([x for x in lines if x]) - 1} " \
                 f"({', '.join(lost)})"
    return {m.group(1): (first, where)}


def read_bounded(path: Path, limit: int) -> bytes:
    """The bytes of a regular file of at most `limit` bytes.  Checked before opening, so a
    FIFO (open would wait for a writer), a device (/dev/zero never ends) or a huge file is
    refused at once; OSError (PermissionError included) says why."""
    st = os.stat(path)  # FileNotFoundError, PermissionError (an unsearchable folder)
    if stat.S_ISCHR(st.st_mode) and os.path.samefile(path, os.devnull):
        return b""  # `--env-file /dev/null` is the usual "no env file": read as empty
    if stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(errno.EISDIR, "is a directory", str(path))
    if not stat.S_ISREG(st.st_mode):
        raise OSError(errno.EINVAL, "not a regular file", str(path))
    if st.st_size > limit:
        raise OSError(errno.EFBIG, str(limit >> 10), str(path))  # file_problem says it
    with open(path, "rb") as f:
        return f.read(limit + 1)[:limit]


def file_problem(exc: OSError) -> str:
    """One line for why a file cannot be used."""
    if isinstance(exc, FileNotFoundError):
        return say("file.missing")
    if isinstance(exc, PermissionError):
        return say("file.permission")
    if isinstance(exc, IsADirectoryError):
        return say("file.is_dir")
    if exc.errno == errno.EINVAL:
        return say("file.not_regular")
    if exc.errno == errno.EFBIG:
        return say("file.too_big", kib=exc.strerror)
    return say("file.unreadable", why=exc.strerror or exc)


def _bool(value: Optional[str], default: bool) -> bool:
    if value is None:
        return default
    v = value.strip().strip("'\"").lower()
    if v in TRUE:
        return True
    if v in FALSE:
        return False
    return default


def _models(raw_models: Optional[str], raw_model: Optional[str]) -> List[str]:
    raw = raw_models if raw_models and raw_models.strip() else raw_model
    if not raw or not raw.strip():
        return [DEFAULT_MODEL]
    names = []
    for part in raw.split(","):
        part = part.strip().strip("'\"")
        if part and part not in names:
            names.append(part)
    return names or [DEFAULT_MODEL]


@dataclass
class Settings:
    raw: Dict[str, str] = field(default_factory=dict)      # VARIABLES only, as found
    source: Dict[str, str] = field(default_factory=dict)   # variable -> environment | env file | mock sample
    env_file: Optional[Path] = None
    mock_scenario: Optional[str] = None
    problems: List[str] = field(default_factory=list)      # values that could not be parsed (defaults used)
    folders: Dict[str, Path] = field(default_factory=dict)  # variable -> folder of the env file it came from
    broken: Dict[str, str] = field(default_factory=dict)    # variable -> the env-file line it is on cannot be parsed
    # (where and why); outside JUDGED_AS_WRITTEN such a variable is unset here, as in the site
    spelled: Dict[str, str] = field(default_factory=dict)   # SDK variable -> its name as written, when not upper case
    extra_secrets: List[str] = field(default_factory=list)  # secrets found elsewhere (a Django site's DB password)

    def _from_folder(self, name: str, path: str) -> str:
        """A relative path from an env file, read from that file's folder (SPEC), as the absolute path tried."""
        folder = self.folders.get(name)
        if folder is None or not path or os.path.isabs(os.path.expanduser(path)):
            return path
        return str(folder / path)
    sdk: sdk.SdkDefaults = field(default_factory=lambda: sdk.defaults(detect=False))  # the site's SDK's defaults

    # --- parsed views --------------------------------------------------------
    def get(self, name: str, default: Optional[str] = None) -> Optional[str]:
        value = self.raw.get(name)
        return default if value is None or value == "" else value

    @property
    def mock(self) -> bool:
        return self.mock_scenario is not None

    @property
    def key(self) -> Optional[Secret]:
        """The authorization key: the SDK name first, then the site's older name."""
        name = self.key_variable
        return Secret(self.raw[name]) if name in self.raw else None

    @property
    def key_variable(self) -> str:
        """The variable the key is read from: the first one that is not empty."""
        for name in ("GIGACHAT_CREDENTIALS", "GIGACHAT_TOKEN"):
            if self.raw.get(name, "").strip():
                return name
        return "GIGACHAT_CREDENTIALS" if "GIGACHAT_CREDENTIALS" in self.raw or "GIGACHAT_TOKEN" not in self.raw \
            else "GIGACHAT_TOKEN"

    @property
    def access_token(self) -> Optional[Secret]:
        value = self.get("GIGACHAT_ACCESS_TOKEN")
        return Secret(value.strip()) if value else None

    def as_sdk(self, name: str, default: str) -> str:
        """A value as the SDK's pydantic-settings reads it: set to an empty value is set (SPEC),
        never the default (`GIGACHAT_SCOPE=` sends an empty scope)."""
        value = self.raw.get(name)
        return default if value is None else value

    @property
    def scope(self) -> str:
        return self.as_sdk("GIGACHAT_SCOPE", DEFAULT_SCOPE).strip()

    @property
    def auth_url(self) -> str:
        return self.as_sdk("GIGACHAT_AUTH_URL", DEFAULT_AUTH_URL).strip()

    @property
    def base_url(self) -> str:
        return self.as_sdk("GIGACHAT_BASE_URL", self.sdk.base_url).strip().rstrip("/")

    def base_url_why(self, lang: str = "en") -> str:
        """Where the API host comes from, for the header: the variable, or the site's SDK's default."""
        from .words import say
        if "GIGACHAT_BASE_URL" in self.raw:
            return say("sdk.set", lang, source=self.source.get("GIGACHAT_BASE_URL", "?"))
        if self.sdk.version:
            return say("sdk.installed", lang, version=self.sdk.version)
        return say("sdk.documented", lang)

    @property
    def auth_method(self) -> str:
        """How the site's SDK authenticates, in its order: a key (OAuth), else user and password,
        else a ready token alone, else a client certificate (mTLS), else nothing configured."""
        if self.key is not None and self.key.reveal().strip():
            return "key"
        if self.get("GIGACHAT_USER") and self.get("GIGACHAT_PASSWORD"):
            return "password"
        if self.access_token:
            return "token"
        if self.get("GIGACHAT_CERT_FILE"):
            return "mtls"
        return "key"

    @property
    def models(self) -> List[str]:
        """The configured models, without any name that looks like a secret: those never become
        a node id, a URL path or a report header (`refused_models`, GC017)."""
        names = [m for m in self._all_models() if m not in self.refused_models]
        return names or [DEFAULT_MODEL]

    @property
    def refused_models(self) -> List[str]:
        secrets = self.secret_values()
        return [m for m in self._all_models() if looks_like_secret(m, secrets)]

    def _all_models(self) -> List[str]:
        return _models(self.get("GIGACHAT_MODELS"), self.get("GIGACHAT_MODEL"))

    @property
    def verify_ssl(self) -> bool:
        """Does the site's SDK verify TLS?  As it builds its httpx client (`_get_kwargs`): verify=verify_ssl_certs,
        then verify=GIGACHAT_CA_BUNDLE_FILE whenever one is set, so a bundle verifies whatever
        GIGACHAT_VERIFY_SSL_CERTS says."""
        return self.verify_ssl_asked or self.ca_bundle is not None

    @property
    def verify_ssl_asked(self) -> bool:
        # GIGACHAT_VERIFY_SSL_CERTS as the SDK reads it; a value it refuses fails GC015, and verification stays on
        value = self.raw.get("GIGACHAT_VERIFY_SSL_CERTS")
        parsed = sdkenv.parse_bool(value) if value is not None else None
        return True if parsed is None else parsed

    @property
    def verify_off_not_applied(self) -> bool:
        """GIGACHAT_VERIFY_SSL_CERTS=false, and the SDK verifies anyway: GIGACHAT_CA_BUNDLE_FILE is set."""
        return not self.verify_ssl_asked and self.ca_bundle is not None

    @property
    def ca_bundle(self) -> Optional[str]:
        value = self.get("GIGACHAT_CA_BUNDLE_FILE")
        return self._from_folder("GIGACHAT_CA_BUNDLE_FILE", value.strip()) if value else None

    @property
    def timeout(self) -> float:
        t = sdkenv.parse_float(self.raw.get("GIGACHAT_TIMEOUT"))
        return t if t is not None and 0 < t < 3600 else DEFAULT_TIMEOUT

    @property
    def cert_file(self) -> Optional[str]:
        value = self.get("GIGACHAT_CERT_FILE")
        return self._from_folder("GIGACHAT_CERT_FILE", value.strip()) if value else None

    @property
    def key_file(self) -> Optional[str]:
        value = self.get("GIGACHAT_KEY_FILE")
        return self._from_folder("GIGACHAT_KEY_FILE", value.strip()) if value else None

    @property
    def use_mock_responses(self) -> bool:
        return _bool(self.get("USE_MOCK_RESPONSES"), False)

    @property
    def enable_gigachat(self) -> bool:
        return _bool(self.get("ENABLE_GIGACHAT"), True)

    @property
    def database_url(self) -> Optional[Secret]:
        value = self.get("DATABASE_URL")
        return Secret(self._sqlite_from_folder(value.strip())) if value else None

    def _sqlite_from_folder(self, url: str) -> str:
        """sqlite:///relative/db.sqlite3 from an env file: relative to that file's folder. (sqlite:///home/...
        that only makes sense as an absolute path is left to the URL parser, which reads it so.)"""
        m = re.match(r"(?i)(sqlite3?|spatialite):///(?!/)(.+)$", url)
        if m is None or "DATABASE_URL" not in self.folders or ":memory:" in url or os.path.exists("/" + m.group(2)):
            return url
        return f"{m.group(1)}:///{self._from_folder('DATABASE_URL', m.group(2))}"

    @property
    def log_table(self) -> str:
        return (self.get("GIGACHECK_LOG_TABLE") or DEFAULT_LOG_TABLE).strip()

    @property
    def log_timezone(self) -> str:
        return (self.get("GIGACHECK_LOG_TIMEZONE") or "UTC").strip()

    @property
    def log_file(self) -> Optional[str]:
        value = self.get("GIGACHECK_LOG_FILE")
        return self._from_folder("GIGACHECK_LOG_FILE", value) if value else value

    @property
    def proxy_base_url(self) -> Optional[str]:
        value = self.get("PROXY_API_BASE_URL")
        return value.strip().rstrip("/") if value else None

    @property
    def proxy_key(self) -> Optional[Secret]:
        value = self.get("PROXY_API_KEY")
        return Secret(value.strip()) if value else None

    @property
    def proxy_model(self) -> Optional[str]:
        value = self.get("PROXY_API_MODEL")
        return value.strip() if value else None

    @property
    def min_balance(self) -> Optional[float]:
        value = self.get("GIGACHECK_MIN_BALANCE")
        try:
            return float(value) if value else None
        except ValueError:
            return None

    # --- secrets ---------------------------------------------------------------
    def secret_values(self) -> List[str]:
        values = [self.raw.get(n) for n in SECRET_VARIABLES]
        for name in ("DATABASE_URL",) + PROXY_URL_VARIABLES:  # a proxy URL's password is one too
            password = url_password(self.get(name))  # learned even from a malformed URL
            if password:
                values.extend((password, unquote(password)))
        values.extend(self.extra_secrets)
        from .notify import url_secrets, urls_of  # each alert URL's tokens, not only the whole value
        for url in urls_of((), self.raw.get("GIGACHECK_NOTIFY")):
            values.extend(url_secrets(url))
        return [v for v in values if v]

    def redactor(self) -> Redactor:
        return Redactor(self.secret_values())

    def masked(self) -> Dict[str, str]:
        """The settings used, as shown in reports: secrets masked, defaults named."""
        shown = {}
        redactor = self.redactor()
        for name in VARIABLES:
            if name not in self.raw:
                continue
            value = self.raw[name]
            if name in SECRET_VARIABLES:
                value = mask(value)
            else:  # any URL may carry user:password@ (DATABASE_URL, and GIGACHAT_*_URL by mistake)
                value = redactor.scrub(value)
            written = f", {say('settings.spelled', name=self.spelled[name])}" if name in self.spelled else ""
            shown[name] = f"{value}  ({self.source.get(name, '?')}{written})"
        return shown

    def __repr__(self):  # never the raw values: `-l` tracebacks print reprs
        return f"Settings(mock={self.mock_scenario!r}, variables={sorted(self.raw)})"


_SDK_NAMES = frozenset(sdkenv.VARIABLES)


def by_sdk_name(values: Mapping[str, str]) -> Tuple[Dict[str, str], Dict[str, str]]:
    """The variables gigacheck reads, found as the official SDK finds its own: its `GIGACHAT_*` fields in
    any case (pydantic-settings matches names case-insensitively, so `gigachat_credentials` works for the
    site), the upper-case spelling first; every other name only as written. Also: variable -> the name
    as written, for those found in another case."""
    found = {k: v for k, v in values.items() if k in VARIABLES}
    spelled: Dict[str, str] = {}
    for k, v in values.items():
        name = k.upper()
        if name != k and name in _SDK_NAMES and name not in found:
            found[name], spelled[name] = v, k
    return found, spelled


def load(environ: Mapping[str, str] = None, env_file: Optional[Path] = None, env_file_explicit: bool = False,
         mock_sample: Optional[Path] = None, mock_scenario: Optional[str] = None,
         sdk_defaults: Optional[sdk.SdkDefaults] = None) -> Settings:
    """Process environment wins over the env file; in mock mode, the scenario's
    sample env fills only what neither of them sets."""
    environ = os.environ if environ is None else environ
    settings = Settings(env_file=None, mock_scenario=mock_scenario)
    layers = []  # (source, values, the folder its relative paths are read from: None for the working directory)
    if mock_sample is not None and mock_sample.exists():
        layers.append(("mock sample", read_env_file(mock_sample), mock_sample.absolute().parent))
    if env_file is not None:
        if env_file_explicit or _exists(env_file):
            values, broken = read_env_lines(env_file)
            for name, (written, where) in broken.items():
                if name in VARIABLES and name not in values:
                    settings.broken[name] = where
                    settings.problems.append(f"{name}: {where}")
                    if name in JUDGED_AS_WRITTEN:
                        # judged as written, not "not set": their rules refuse it with the line, and what
                        # they refuse is never sent (GC003 blocks OAuth, a GC008 scope gets no request)
                        values[name] = written
                    # any other variable: the site's python-dotenv skips the line, so the site runs with
                    # the variable unset; so does every check here, and GC018 names the line
            layers.append(("env file", values, env_file.absolute().parent))
            settings.env_file = env_file
    layers.append(("environment", environ, None))
    for source, values, folder in layers:
        values, spelled = by_sdk_name(values)
        for name in VARIABLES:
            if name in values and values[name] is not None:
                settings.raw[name] = values[name]
                settings.source[name] = source
                if name in spelled:
                    settings.spelled[name] = spelled[name]
                else:
                    settings.spelled.pop(name, None)
                if source == "environment":
                    settings.broken.pop(name, None)  # the process's value wins over the broken line
                if folder is None:
                    settings.folders.pop(name, None)
                else:
                    settings.folders[name] = folder
    # the site's SDK: the one installed here, unless GIGACHECK_SDK_VERSION names the site's own ("none": no SDK)
    pinned = (settings.get("GIGACHECK_SDK_VERSION") or "").strip()
    settings.sdk = sdk_defaults or (sdk.defaults(None if pinned.lower() == "none" else pinned, detect=False)
                                    if pinned else sdk.defaults())
    for name, check in (("GIGACHAT_TIMEOUT", _is_positive_number), ("GIGACHECK_MIN_BALANCE", _is_number)):
        value = settings.get(name)
        if name.startswith("GIGACHAT_") and value is not None and not sdkenv.accepts(name, value):
            continue  # the SDK refuses it: a config check fails with GC015, no header note besides
        if value and not check(value):
            settings.problems.append(say("settings.not_a_number", name=name, value=repr(value)))
    return settings


def _exists(path: Path) -> bool:
    """Exists, or cannot even be looked at (then reading it says why)."""
    try:
        os.stat(path)
        return True
    except FileNotFoundError:
        return False
    except OSError:
        return True


def _is_number(value: str) -> bool:
    try:
        float(value)
        return True
    except ValueError:
        return False


def _is_positive_number(value: str) -> bool:
    return _is_number(value) and 0 < float(value) < 3600
