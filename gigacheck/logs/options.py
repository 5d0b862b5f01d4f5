"""The log options (window, level, search, limit, thresholds, columns, query limit), validated.

Shared by the log checks' pytest wiring (`plugin`) and the viewer (`python -m gigacheck logs`),
so it imports no pytest: the viewer's start-up pays only for what it runs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Dict, Optional

from . import store
from .signatures import CODES, parse_level
from ..words import say

MAX_HOURS = 24 * 366 * 20   # beyond this a window bound is not a date any more
from . import MAX_LIMIT  # one bound for the parser's message and the range check


@dataclass(frozen=True)
class LogOptions:
    hours: float = 24.0
    level: Optional[str] = None
    search: Optional[str] = None
    limit: int = 50
    thresholds: Dict[str, int] = field(default_factory=dict)
    columns: str = ""
    query_timeout: float = store.STATEMENT_LIMIT_S

    @property
    def filter(self) -> store.Filter:
        return store.Filter(self.level, self.search, self.limit)



def parse_thresholds(lines) -> Dict[str, int]:
    """`LG014=5` lines (commas or spaces between several); unknown codes are an error."""
    out = {}
    for line in lines or ():
        for item in line.replace(",", " ").split():
            code, sep, value = item.partition("=")
            code = code.strip().upper()
            if not sep or code not in CODES:
                raise ValueError(f"gigacheck_log_thresholds: {item!r} is not CODE=N with CODE one of "
                                 f"{', '.join(CODES)}")
            try:
                n = int(value)
            except ValueError:
                raise ValueError(f"gigacheck_log_thresholds: {item!r}: N must be a whole number") from None
            if n < 0:
                raise ValueError(f"gigacheck_log_thresholds: {item!r}: N must not be negative")
            out[code] = n
    return out


def options_from(hours, level, search, limit, thresholds=(), columns="", query_timeout=None) -> LogOptions:
    """Validated log options (ValueError says which one is wrong); the viewer uses this too."""
    if hours is None or not math.isfinite(hours) or hours <= 0 or hours > MAX_HOURS:
        raise ValueError(say("usage.hours", hours=hours))
    if limit is None or limit < 0 or limit > MAX_LIMIT:
        raise ValueError(say("usage.limit", limit=limit, max=MAX_LIMIT))
    level = parse_level(level)
    try:
        timeout = float(query_timeout) if query_timeout not in (None, "") else store.STATEMENT_LIMIT_S
    except (TypeError, ValueError):
        timeout = math.nan  # said below with the setting's name, not as float()'s bare message
    if not math.isfinite(timeout) or timeout <= 0:
        raise ValueError(f"gigacheck_log_query_timeout = {query_timeout!r}: give seconds above 0 "
                         f"(e.g. gigacheck_log_query_timeout = 10)")
    try:
        store.LogTable.of(None, columns)  # the column names are checked here, the table name at use
    except ValueError as exc:  # named as the ini names it, with the form the message gives
        raise ValueError(f"gigacheck_log_columns: {exc}") from None
    return LogOptions(float(hours), level, search or None, int(limit), parse_thresholds(thresholds),
                      columns or "", timeout)
