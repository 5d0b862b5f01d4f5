"""The failure signatures of the log runbook: code -> what to look for.

One table, read by the SQL builder (store), the Python matcher (SQLite,
log file) and the viewer, so a signature is spelled in exactly one place.

Rules (SPEC): a signature matches at any level (LG010 alone asks for ERROR or
CRITICAL), as a substring, case-insensitively for Latin and Cyrillic alike; a
status number matches only as a whole number (`429` is not in `142900`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Dict, FrozenSet, Optional, Tuple

from ..words import say

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
RANK = {name: i for i, name in enumerate(LEVELS)}
# Spellings seen in log tables and files, and logging's numeric levels.
ALIASES = {"WARN": "WARNING", "FATAL": "CRITICAL", "ERR": "ERROR", "CRIT": "CRITICAL",
           "10": "DEBUG", "20": "INFO", "30": "WARNING", "40": "ERROR", "50": "CRITICAL"}


@dataclass(frozen=True)
class Signature:
    code: str
    texts: Tuple[str, ...] = ()      # substrings, any case
    numbers: Tuple[str, ...] = ()    # status numbers, whole numbers only
    min_level: Optional[str] = None  # only rows at this level and above (None: any level)

    def describe(self) -> str:
        parts = [f"`{t}`" for t in self.texts] + [f"`{n}` (whole number)" for n in self.numbers]
        where = f" at {self.min_level} and above" if self.min_level else ""
        return " or ".join(parts) + where


SIGNATURES: Tuple[Signature, ...] = (
    Signature("LG010", ("gigachat",), min_level="ERROR"),
    Signature("LG011", ("пустой путь", "вернул пустой")),
    Signature("LG012", ("Не удалось сгенерировать изображение",)),
    Signature("LG013", ("Таймаут", "TimeoutError")),
    Signature("LG014", ("Too Many Requests", "cooldown"), numbers=("429",)),
    Signature("LG015", ("Payment Required", "balance", "баланс"), numbers=("402",)),
    Signature("LG016", ("Нет <img> тега",)),
    Signature("LG017", ("Ошибка сохранения",)),
    Signature("LG019", ("404 Not Found", "No access token available", "OAuth failed with status")),
)
BY_CODE: Dict[str, Signature] = {s.code: s for s in SIGNATURES}

# LG018 is not a signature but a condition on two counters: GigaChat was used
# (any level) and no image was saved in the window.
GIGACHAT = Signature("gigachat", ("gigachat",))
IMAGE_SAVED = Signature("saved", ("Изображение сохранено",))
LG018 = "LG018"

# Every code the summary reports, zeros included, in order.
CODES: Tuple[str, ...] = tuple(sorted([s.code for s in SIGNATURES] + [LG018]))

# The rows the site's `manage.py view_gigachat_logs` shows: its base query.
VIEWER_TOPICS = Signature("viewer", ("gigachat", "изображение", "generate_and_save_image"))


def fold(text: str) -> str:
    """Case folding for Latin and Cyrillic alike (Ё, ß and friends included)."""
    return text.casefold()


def number_regex(number: str) -> str:
    """A whole-number pattern that PCRE (MariaDB), ICU (MySQL 8), Spencer
    (MySQL 5.7) and Python all read the same way: ASCII digits only."""
    return f"(^|[^0-9]){re.escape(number)}([^0-9]|$)"


_NUMBER_RE = {n: re.compile(number_regex(n)) for s in SIGNATURES for n in s.numbers}


def normalize_level(raw) -> str:
    """`warn`, `Warning`, `30` -> `WARNING`; unknown spellings are kept, upper-cased."""
    if raw is None:
        return ""
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", "replace")
    text = str(raw).strip().upper()
    return ALIASES.get(text, text)


def parse_level(text: Optional[str]) -> Optional[str]:
    """A user's `--level` value: a canonical level, or None for 'all levels'."""
    if text is None or not str(text).strip():
        return None
    level = normalize_level(text)
    if level not in RANK:
        raise ValueError(say("usage.level", level=repr(text), levels=", ".join(LEVELS)))
    return level


def at_or_above(level: Optional[str]) -> Tuple[str, ...]:
    """Every spelling (canonical and alias) of `level` and the levels above it."""
    if level is None:
        return ()
    wanted = {name for name in LEVELS if RANK[name] >= RANK[level]}
    return tuple(sorted(wanted | {alias for alias, name in ALIASES.items() if name in wanted}))


def level_ok(row_level, minimum: Optional[str]) -> bool:
    if minimum is None:
        return True
    rank = RANK.get(normalize_level(row_level))
    return rank is not None and rank >= RANK[minimum]


def matches(sig: Signature, level, folded_message: str) -> bool:
    """`folded_message` is `fold(message)`: fold once per row, not once per signature."""
    if sig.min_level and not level_ok(level, sig.min_level):
        return False
    if any(fold(t) in folded_message for t in sig.texts):
        return True
    return any(n in folded_message and _NUMBER_RE[n].search(folded_message) for n in sig.numbers)


@dataclass(frozen=True)
class Verdict:
    """What one log row shows."""
    codes: FrozenSet[str]
    gigachat: bool
    saved: bool
    topic: bool  # one of the rows the site's viewer shows


def classify(level, message) -> Verdict:
    folded = fold(as_text(message))
    codes = frozenset(s.code for s in SIGNATURES if matches(s, level, folded))
    return Verdict(codes, matches(GIGACHAT, level, folded), matches(IMAGE_SAVED, level, folded),
                   matches(VIEWER_TOPICS, level, folded))


def as_text(value) -> str:
    """A message as text whatever the column held: NULL, bytes that are not UTF-8."""
    if value is None:
        return ""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("utf-8", "replace")
    return str(value)


def lg018_count(gigachat: int, saved: int) -> int:
    """LG018 counts the GigaChat rows of a window in which no image was saved."""
    return gigachat if gigachat and not saved else 0


def codes_summary(counts: Dict[str, int]) -> Dict[str, int]:
    """Every code, zeros included, in order."""
    return {code: int(counts.get(code, 0)) for code in CODES}
