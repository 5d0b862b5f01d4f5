"""The site's clock: the zone of the log table's naive timestamps, and what a table whose clock
disagrees looks like (rows dated ahead of now: LG008; stamps that are no date at all: LG009).

The zone (SPEC "Verdicts over time"): `GIGACHECK_LOG_TIMEZONE` (an IANA name or a fixed `+03:00`
offset), else the Django settings' `TIME_ZONE` where `USE_TZ=False` (read where the log source reads
DATABASES: logs/django.py, django/site.py), else UTC (Django with `USE_TZ=True` stores UTC). A zone
that cannot be read is LG001 naming the variable and the forms it takes, never a bare ValueError.

Pure functions and small records: no driver, no pytest, no Django import here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone, tzinfo
from typing import List, Optional

from ..diagnosis import Finding
from ..words import say

VARIABLE = "GIGACHECK_LOG_TIMEZONE"
SUBJECT = "log settings"
EXAMPLES = 3                         # rows shown per clock finding
# the offsets real zones use beyond whole hours (India, Nepal, Iran, Newfoundland, Chatham ...)
_ODD_OFFSETS = (-9.5, -3.5, 3.5, 4.5, 5.5, 5.75, 6.5, 8.75, 9.5, 10.5, 12.75, 13.75)
# a zone name to suggest for a whole offset (the Russian zones first: the sites this suite is for)
_NAMED = {2: "Europe/Kaliningrad", 3: "Europe/Moscow", 4: "Europe/Samara", 5: "Asia/Yekaterinburg",
          6: "Asia/Omsk", 7: "Asia/Novosibirsk", 8: "Asia/Irkutsk", 9: "Asia/Yakutsk", 10: "Asia/Vladivostok",
          11: "Asia/Magadan", 12: "Asia/Kamchatka", 0: "UTC"}
_OFFSET_RE = re.compile(r"(?:UTC|GMT)?\s*([+-])\s*(\d{1,2})(?::?(\d{2}))?", re.IGNORECASE)
_OFFSETISH_RE = re.compile(r"(?:UTC|GMT)?\s*[+-]", re.IGNORECASE)


def parse_zone(text: Optional[str], variable: str = VARIABLE) -> tzinfo:
    """`UTC`, an IANA name (`Europe/Moscow`) or a fixed offset (`+03:00`, `+0300`, `+3`, `UTC+3`);
    anything else is LG001 naming `variable` and the accepted forms."""
    value = (text or "UTC").strip() or "UTC"
    if value.upper() in ("UTC", "Z", "GMT"):
        return timezone.utc
    m = _OFFSET_RE.fullmatch(value)
    if m:
        hours, minutes = int(m.group(2)), int(m.group(3) or 0)
        if hours < 24 and minutes < 60 and (hours, minutes) <= (14, 0):
            delta = timedelta(hours=hours, minutes=minutes)
            return timezone(delta if m.group(1) == "+" else -delta)
        raise _bad(value, variable)
    if _OFFSETISH_RE.match(value):  # `+3:0`, `+03:00:00`, `UTC+three`: an offset, mistyped
        raise _bad(value, variable)
    try:
        from zoneinfo import ZoneInfo
        return ZoneInfo(value)
    except Exception:  # ZoneInfoNotFoundError, ValueError for keys like `../x`
        raise _bad(value, variable) from None


def _bad(value: str, variable: str) -> Finding:
    return Finding("LG001", say("clock.bad_zone", variable=variable, zone=repr(value)), subject=SUBJECT)


def zone_name(tz: tzinfo) -> str:
    """`Europe/Moscow`, `UTC`, `+03:00`: as a user would write it back."""
    key = getattr(tz, "key", None)
    if key:
        return key
    if tz is timezone.utc:
        return "UTC"
    return format_offset(tz.utcoffset(None) or timedelta(0))


def format_offset(delta: timedelta) -> str:
    minutes = int(round(delta.total_seconds() / 60))
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


@dataclass(frozen=True)
class TableZone:
    """The zone of the table's naive timestamps, where it came from, and whether it could be read."""
    zone: str          # as written (or UTC)
    source: str        # `GIGACHECK_LOG_TIMEZONE (environment)`, `Django settings x: TIME_ZONE (USE_TZ=False)`, `default`
    valid: bool
    tz: Optional[tzinfo] = None
    problem: Optional[Finding] = None

    def as_json(self) -> dict:
        return {"zone": self.zone, "source": self.source, "valid": self.valid}

    def describe(self, lang: Optional[str] = None) -> str:
        key = "clock.header" if self.valid else "clock.header_bad"
        return say(key, lang, zone=self.zone, source=self.source)


DJANGO_MARK = "Django"  # the settings.source of a zone taken from the site's settings names it (words: clock.django)


def table_zone(settings) -> TableZone:
    """GIGACHECK_LOG_TIMEZONE > Django TIME_ZONE where USE_TZ=False (filled in by logs/django.py or
    django/site.py, their source naming the settings) > UTC."""
    if getattr(settings, "mock_scenario", None):  # a mock run reads its scenario's own rows, stored in UTC (SPEC)
        return TableZone("UTC", say("clock.mock"), True, timezone.utc)
    raw = settings.get(VARIABLE)
    if raw is None or not raw.strip():
        zone, source = "UTC", say("clock.default")
    else:
        zone = raw.strip()
        where = settings.source.get(VARIABLE, "")
        source = where if DJANGO_MARK in where else f"{VARIABLE} ({where or '?'})"
    try:
        return TableZone(zone, source, True, parse_zone(zone))
    except Finding as f:
        return TableZone(zone, source, False, None, f)


def django_zone(use_tz, time_zone) -> str:
    """The zone of the naive times a Django site stores: TIME_ZONE where USE_TZ=False, else UTC."""
    if use_tz is None or bool(use_tz):
        return "UTC"
    return str(time_zone or "UTC")


# --- what the rows say about the clock -----------------------------------------------------------------

@dataclass
class Clock:
    """Rows of the recent part of a table that lie ahead of the window (LG008) or whose stamp is no
    date (LG009), with a few examples each. Filled by the sources, merged across them."""
    ahead: int = 0
    newest: Optional[datetime] = None        # the newest stamp ahead, naive in the table's zone
    ahead_rows: List[str] = field(default_factory=list)
    unreadable: int = 0
    unreadable_rows: List[str] = field(default_factory=list)

    def add_ahead(self, stamp: datetime, level: str, message: str) -> None:
        self.ahead += 1
        if self.newest is None or stamp > self.newest:
            self.newest = stamp
        if len(self.ahead_rows) < EXAMPLES:
            self.ahead_rows.append(_example(stamp.strftime("%Y-%m-%d %H:%M:%S"), level, message))

    def add_unreadable(self, raw, level: str, message: str) -> None:
        self.unreadable += 1
        if len(self.unreadable_rows) < EXAMPLES:
            self.unreadable_rows.append(_example(_shown_raw(raw), level, message))

    def merge(self, other: "Clock") -> None:
        self.ahead += other.ahead
        if other.newest is not None and (self.newest is None or other.newest > self.newest):
            self.newest = other.newest
        self.ahead_rows = (self.ahead_rows + other.ahead_rows)[:EXAMPLES]
        self.unreadable += other.unreadable
        self.unreadable_rows = (self.unreadable_rows + other.unreadable_rows)[:EXAMPLES]


def _shown_raw(raw) -> str:
    if isinstance(raw, (bytes, bytearray, memoryview)):
        raw = bytes(raw).decode("utf-8", "replace")
    text = repr(raw)
    return text if len(text) <= 40 else text[:39] + "…"


def _example(stamp: str, level: str, message) -> str:
    if isinstance(message, (bytes, bytearray, memoryview)):
        message = bytes(message).decode("utf-8", "replace")
    text = " ".join(str(message or "").split())
    return f"{stamp} [{level or '-'}] {text[:200]}{'…' if len(text) > 200 else ''}"


def fitting_offset(ahead: timedelta) -> Optional[timedelta]:
    """The smallest real zone offset at least `ahead` (less a minute of drift): the newest row is at most
    that far ahead of a clock in that zone. None when no zone is that far ahead (a 2099 row)."""
    hours = ahead.total_seconds() / 3600 - 1 / 60
    candidates = sorted(set(range(1, 15)) | {h for h in _ODD_OFFSETS if h > 0})
    for h in candidates:
        if h >= hours:
            return timedelta(hours=h)
    return None


def suggestion(newest: datetime, now_local: datetime, configured: tzinfo, preferred: Optional[str] = None) -> dict:
    """How far ahead the newest row is, and the zone that would fit: {ahead, offset, zone} (offset and
    zone None when none fits). `preferred`: a zone name to name when its offset is the one that fits
    (the Django site's TIME_ZONE)."""
    ahead = newest - now_local
    extra = fitting_offset(ahead)
    if extra is None:
        return {"ahead": ahead, "offset": None, "zone": None}
    base = configured.utcoffset(now_local) or timedelta(0)
    total = base + extra
    if total > timedelta(hours=14):
        return {"ahead": ahead, "offset": None, "zone": None}
    named = None
    if preferred:
        try:
            tz = parse_zone(preferred)
            if tz.utcoffset(now_local) == total:
                named = zone_name(tz)
        except Finding:
            pass
    hours = total.total_seconds() / 3600
    if named is None and hours == int(hours):
        named = _NAMED.get(int(hours))
    return {"ahead": ahead, "offset": format_offset(total), "zone": named}


def ahead_text(delta: timedelta) -> str:
    """`3 h`, `2 h 55 min`, `73 years`: how far ahead, for the finding."""
    minutes = int(delta.total_seconds() // 60)
    if minutes >= 2 * 365 * 24 * 60:
        return say("clock.years", years=minutes // (365 * 24 * 60))
    if minutes >= 48 * 60:
        return say("clock.days", days=minutes // (24 * 60))
    h, m = divmod(minutes, 60)
    if not h:
        return say("clock.minutes", minutes=m)
    return say("clock.hours", hours=h) + (" " + say("clock.minutes", minutes=m) if m else "")
