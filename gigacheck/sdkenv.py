"""Every GIGACHAT_* variable the official SDK reads, judged as the SDK parses it.

The SDK (`gigachat` 0.2.x) reads its settings with pydantic-settings (env_prefix GIGACHAT_);
a value pydantic refuses makes `GigaChat()` raise, so the site cannot even build its client.
These rules restate pydantic's (lax mode) for the field types the SDK uses; a test runs the
real SDK over many values as the oracle.  Plain functions: no pydantic, no pytest here.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Callable, Dict, List, Mapping, Optional

from .words import say

# The SDK's fields and their types (gigachat/settings.py): the variable is GIGACHAT_<FIELD>.
STR, FLOAT, BOOL, INT, OPT_BOOL, OPT_INT, STR_LIST, INT_TUPLE, SSL_CONTEXT = (
    "str", "float", "bool", "int", "optional bool", "optional int", "list of str", "tuple of int", "SSLContext")
FIELDS = {
    "BASE_URL": STR, "AUTH_URL": STR, "CREDENTIALS": STR, "SCOPE": STR, "ACCESS_TOKEN": STR, "MODEL": STR,
    "PROFANITY_CHECK": OPT_BOOL, "USER": STR, "PASSWORD": STR, "TIMEOUT": FLOAT, "VERIFY_SSL_CERTS": BOOL,
    "SSL_CONTEXT": SSL_CONTEXT, "CA_BUNDLE_FILE": STR, "CERT_FILE": STR, "KEY_FILE": STR,
    "KEY_FILE_PASSWORD": STR, "FLAGS": STR_LIST, "MAX_CONNECTIONS": OPT_INT, "MAX_RETRIES": INT,
    "RETRY_BACKOFF_FACTOR": FLOAT, "RETRY_ON_STATUS_CODES": INT_TUPLE, "TOKEN_EXPIRY_BUFFER_MS": INT,
}
VARIABLES = tuple("GIGACHAT_" + f for f in FIELDS)

TRUE_WORDS = ("1", "on", "t", "true", "y", "yes")
FALSE_WORDS = ("0", "off", "f", "false", "n", "no")

# What each type accepts, said to the operator: the words live in words.py (English and Russian).
RULES = {BOOL: "sdk.rule.bool", OPT_BOOL: "sdk.rule.opt_bool", FLOAT: "sdk.rule.float", INT: "sdk.rule.int",
         OPT_INT: "sdk.rule.opt_int", STR_LIST: "sdk.rule.str_list", INT_TUPLE: "sdk.rule.int_tuple",
         SSL_CONTEXT: "sdk.rule.ssl_context"}

_ASCII_SPACE = " \t\n\r\x0b\x0c"
_D = "[0-9](?:_?[0-9])*"  # ASCII digits; pydantic takes underscores between them
_FLOAT_RE = re.compile(rf"[+-]?(?:(?:{_D})?\.?{_D}(?:[eE][+-]?{_D})?|{_D}\.)|[+-]?(?:inf|infinity|nan)", re.I)
_INT_RE = re.compile(rf"[+-]?{_D}(?:\.0+)?")


def _number_text(value: str) -> str:
    """pydantic strips ASCII whitespace around a float, but not around one written with underscores."""
    return value if "_" in value else value.strip(_ASCII_SPACE)


def _bool_ok(value: str) -> bool:
    return value.lower() in TRUE_WORDS + FALSE_WORDS


def _float_ok(value: str) -> bool:
    return bool(_FLOAT_RE.fullmatch(_number_text(value)))


def _int_ok(value: str) -> bool:
    return bool(_INT_RE.fullmatch(value.strip(_ASCII_SPACE)))


def _json(value: str):
    return json.loads(value)  # pydantic-settings decodes a complex field's value as JSON first


def _str_list_ok(value: str) -> bool:
    try:
        data = _json(value)
    except ValueError:
        return False
    return data is None or (isinstance(data, list) and all(isinstance(x, str) for x in data))


def _int_item_ok(item) -> bool:
    if isinstance(item, bool):
        return True  # lax mode takes true/false as 1/0
    if isinstance(item, int):
        return True
    if isinstance(item, float):
        return item == item and item not in (float("inf"), float("-inf")) and item == int(item)
    if isinstance(item, str):
        return _int_ok(item)
    return False


def _int_tuple_ok(value: str) -> bool:
    try:
        data = _json(value)
    except ValueError:
        return False
    return data is None or (isinstance(data, list) and all(_int_item_ok(x) for x in data))


CHECKS: Dict[str, Callable[[str], bool]] = {
    STR: lambda v: True, BOOL: _bool_ok, OPT_BOOL: _bool_ok, FLOAT: _float_ok, INT: _int_ok, OPT_INT: _int_ok,
    STR_LIST: _str_list_ok, INT_TUPLE: _int_tuple_ok, SSL_CONTEXT: lambda v: False,
}


def accepts(variable: str, value: str) -> bool:
    """Would the SDK accept `value` for `variable`?"""
    kind = FIELDS[variable[len("GIGACHAT_"):]]
    return CHECKS[kind](value)


@dataclass(frozen=True)
class Refusal:
    variable: str
    shown: str    # the value as it may be shown (never a secret's)
    rule: str     # its key in words.py

    def describe(self, lang: Optional[str] = None) -> str:
        return say("sdk.refusal", lang, variable=self.variable, shown=self.shown, rule=say(self.rule, lang))


def _shown(value: str) -> str:
    if not value:
        return "(empty)"
    text = value if len(value) <= 40 else value[:37] + "..."
    return repr(text)


def refusals(raw: Mapping[str, str]) -> List[Refusal]:
    """The SDK's variables whose values it would refuse, in the SDK's field order.
    Only non-secret typed fields can be refused (every str is accepted), so no secret is shown."""
    found = []
    for variable in VARIABLES:
        value = raw.get(variable)
        if value is None or accepts(variable, value):
            continue
        kind = FIELDS[variable[len("GIGACHAT_"):]]
        found.append(Refusal(variable, _shown(value), RULES[kind]))
    return found


def parse_float(value: Optional[str]) -> Optional[float]:
    """A float as the SDK reads it, or None when it would refuse it."""
    if value is None or not _float_ok(value):
        return None
    return float(_number_text(value))


def parse_bool(value: Optional[str]) -> Optional[bool]:
    """A boolean as the SDK reads it, or None when it would refuse it."""
    if value is None or not _bool_ok(value):
        return None
    return value.lower() in TRUE_WORDS
