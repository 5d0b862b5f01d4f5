"""Log sources: the site's log table (MySQL/MariaDB through PyMySQL, SQLite) and its log file.

What every source promises:
- read-only: SELECT statements only, in a read-only session (`SET SESSION
  TRANSACTION READ ONLY` + `START TRANSACTION READ ONLY`; SQLite opened `mode=ro`);
- bounded: connect/read/write timeouts, and a server-side limit on every
  statement (MariaDB `max_statement_time`, MySQL `MAX_EXECUTION_TIME`, SQLite a
  progress handler), bounding the SQL, not the Python after it; a statement past its
  limit is LG007 (LG006 when ids do not follow time and the whole table had to be read);
- the cost grows with the window, not the table: the timestamp index when there is
  one; else the window's first id is found by bisecting the primary key, verified, and
  the window read as a key range; SQL keeps only the rows holding some signature's
  needle and Python decides precisely on those few (signatures.py);
- the window's lower bound is computed here in UTC and converted to the zone of
  the naive timestamps (Django `USE_TZ=True` stores UTC), never the server's NOW().

Problems come out as `Finding`s (LG001-LG004) for the checks to report.

This module holds what every source shares (the table, the window, rows, filters, scans,
DATABASE_URL); the sources live in `sql` (what the SQL sources share), `mysql`, `sqlite` (and
the embedded database of mock mode) and `file`, and `sources` opens one. No source module is
imported here, so there is no import circle.
"""

from __future__ import annotations

import heapq
import itertools
import os
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Dict, List, Optional, Sequence, Tuple
from urllib.parse import parse_qs, unquote, urlsplit

from ..diagnosis import Finding
from ..redact import Redactor, shown_row
from ..words import say
from .signatures import (IMAGE_ATTEMPT, LG018, SIGNATURES, as_text, classify, fold, level_ok, lg018_count,
                         parse_level, search_matcher)
from .signatures import VIEWER_TOPICS  # noqa: F401  re-exported: callers pass store.VIEWER_TOPICS to rows()

DEFAULT_TABLE = "Asistent_systemlog"
STATEMENT_LIMIT_S = 10.0      # per statement, on the server
CONNECT_TIMEOUT_S = 5.0
EXCERPT_CHARS = 2000          # evidence rows carry this much of a message
BISECT_SLACK = timedelta(minutes=10)  # ids are only roughly in time order: start the key range earlier
AHEAD_SLACK = timedelta(minutes=5)    # the window ends at now + this (a clock's drift); later rows are LG008
DB_SUBJECT, TABLE_SUBJECT, FILE_SUBJECT, SETTINGS_SUBJECT = "log database", "log table", "log file", "log settings"

_IDENT_RE = re.compile(r"^[\w$]+$")


# --- what is read, and when -----------------------------------------------------------------------

@dataclass(frozen=True)
class LogTable:
    """The table and its three columns (Django model `Asistent.SystemLog`)."""
    name: str = DEFAULT_TABLE
    timestamp: str = "timestamp"
    level: str = "level"
    message: str = "message"

    @classmethod
    def of(cls, name: Optional[str] = None, columns: Optional[str] = None) -> "LogTable":
        """`columns`: 'timestamp,level,message' (commas or spaces), in that order."""
        names = [c for c in re.split(r"[\s,]+", columns or "") if c]
        if names and len(names) != 3:
            raise ValueError(f"log columns {columns!r}: give three names, timestamp level message")
        table = cls(name.strip() if name and name.strip() else DEFAULT_TABLE, *names)
        for ident in (table.name, table.timestamp, table.level, table.message):
            if not _IDENT_RE.match(ident):
                raise ValueError(f"{ident!r} is not a table or column name (letters, digits, _ and $ only)")
        return table


def zone(name: Optional[str]) -> tzinfo:
    """GIGACHECK_LOG_TIMEZONE: an IANA name (`Europe/Moscow`), `UTC`, or a fixed offset (`+03:00`);
    LG001 naming the variable and the accepted forms otherwise (clock.py)."""
    from .clock import parse_zone
    return parse_zone(name)


@dataclass(frozen=True)
class Window:
    """The last `hours` hours, up to now + AHEAD_SLACK (a row dated later is no part of "the last 24 h":
    LG008 asks about it). The bounds are computed here, in UTC, never by the server."""
    hours: float
    since_utc: datetime   # aware
    tz: tzinfo            # the zone of the source's naive timestamps, and of what is shown
    until_utc: Optional[datetime] = None  # aware; None: no upper bound (callers that build a Window by hand)

    @classmethod
    def last(cls, hours: float, tz: tzinfo = timezone.utc, now: Optional[datetime] = None) -> "Window":
        now = now or datetime.now(timezone.utc)
        return cls(float(hours), now - timedelta(hours=float(hours)), tz, now + AHEAD_SLACK)

    def since_in(self, tz: tzinfo) -> datetime:
        """The bound as the naive value a column in zone `tz` holds."""
        return self.since_utc.astimezone(tz).replace(tzinfo=None)

    def until_in(self, tz: tzinfo) -> datetime:
        """The upper bound as the naive value a column in zone `tz` holds (far ahead when there is none)."""
        if self.until_utc is None:
            return datetime.max - timedelta(days=2)
        return self.until_utc.astimezone(tz).replace(tzinfo=None)

    @property
    def since_local(self) -> datetime:
        return self.since_in(self.tz)

    @property
    def until_local(self) -> datetime:
        return self.until_in(self.tz)

    @property
    def now_local(self) -> datetime:
        return self.until_local - AHEAD_SLACK

    def holds(self, stamp: Optional[datetime]) -> bool:
        """A naive stamp in the window's zone lies inside it."""
        return stamp is not None and self.since_local <= stamp <= self.until_local


@dataclass
class Row:
    timestamp: Optional[datetime]   # naive, in the window's zone
    level: str
    message: str                    # the excerpt (evidence) or the whole message (viewer)
    length: int                     # characters in the whole message
    key: int = 0                    # id or line number: orders rows of the same second

    def line(self, width: Optional[int] = None) -> str:
        """`YYYY-MM-DD HH:MM:SS [LEVEL] message`, as the site's viewer prints it."""
        when = self.timestamp.strftime("%Y-%m-%d %H:%M:%S") if self.timestamp else "????-??-?? ??:??:??"
        # peer text (users' prompts, providers' bodies): escapes, controls and bidi overrides shown as text
        text = shown_row(self.message, oneline=width is not None)
        if width is not None:
            text = " ".join(text.split())  # one line per row in evidence
            if len(text) > width or self.length > len(self.message):
                text = text[:width] + f"… ({self.length} characters)"
        return f"{when} [{shown_row(self.level, oneline=True) or '-'}] {text}"

    def as_json(self, tz: tzinfo) -> dict:
        stamp = self.timestamp.replace(tzinfo=tz).isoformat(timespec="seconds") if self.timestamp else None
        return {"timestamp": stamp, "level": self.level, "message": self.message}


@dataclass(frozen=True)
class Filter:
    """`--level` (this level and above) and `--search` (literal text, any case): they narrow
    the rows shown, never the counts."""
    level: Optional[str] = None
    search: Optional[str] = None
    limit: int = 50

    _search: object = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "level", parse_level(self.level))  # `error`, `warn` -> ERROR, WARNING
        object.__setattr__(self, "_search", search_matcher(self.search))

    def accepts(self, level, folded_message: str) -> bool:
        if not level_ok(level, self.level):
            return False
        return self._search is None or self._search(folded_message)


class Newest:
    """The `limit` newest rows offered, in any order of arrival; memory stays bounded."""

    def __init__(self, limit: int):
        self.limit = max(0, int(limit))
        self._heap: list = []
        self._seq = itertools.count()

    def add(self, row: Row) -> None:
        if not self.limit:
            return
        item = ((row.timestamp or datetime.min, row.key), next(self._seq), row)
        if len(self._heap) < self.limit:
            heapq.heappush(self._heap, item)
        elif item[0] > self._heap[0][0]:
            heapq.heapreplace(self._heap, item)

    def rows(self) -> List[Row]:
        return [item[2] for item in sorted(self._heap, key=lambda i: (i[0], i[1]), reverse=True)]


@dataclass
class Scan:
    """One pass over a window: the count of every code and the newest matching rows."""
    counts: Dict[str, int]
    samples: Dict[str, List[Row]]
    gigachat: int
    saved: int
    rows: int
    source: str
    plan: str = ""
    notes: List[str] = field(default_factory=list)
    broken: list = field(default_factory=list)  # Findings of sources that could not be read
    attempted: bool = True  # an image was asked for in the window (LG018 asks only then)
    times: Dict[str, List[datetime]] = field(default_factory=dict)  # code -> every row's time (incidents.py)

    @staticmethod
    def merge(scans: Sequence["Scan"], limit: int) -> "Scan":
        if len(scans) == 1:
            return scans[0]
        counts: Dict[str, int] = {}
        samples: Dict[str, List[Row]] = {}
        times: Dict[str, List[datetime]] = {}
        for s in scans:
            for code, stamps in s.times.items():
                times.setdefault(code, []).extend(stamps)
            for code, n in s.counts.items():
                counts[code] = counts.get(code, 0) + n
            for code, rows in s.samples.items():
                samples.setdefault(code, []).extend(rows)
        gigachat, saved = sum(s.gigachat for s in scans), sum(s.saved for s in scans)
        attempted = any(s.attempted for s in scans)
        counts[LG018] = lg018_count(gigachat, saved, attempted)
        for code, rows in samples.items():
            newest = Newest(limit)
            for r in rows:
                newest.add(r)
            samples[code] = newest.rows()
        return Scan(counts, samples, gigachat, saved, sum(s.rows for s in scans),
                    " + ".join(s.source for s in scans), "; ".join(s.plan for s in scans if s.plan),
                    [n for s in scans for n in s.notes], attempted=attempted, times=times)


class Tally:
    """Counts and samples rows classified in Python (SQLite, log file): the same rules as SQL."""

    def __init__(self, flt: Filter, excerpt: Optional[int] = EXCERPT_CHARS):
        self.flt = flt
        self.excerpt = excerpt
        self.counts = {s.code: 0 for s in SIGNATURES}
        self.newest: Dict[str, Newest] = {}
        self.times: Dict[str, List[datetime]] = {}  # every counted row's time, whatever --level/--search show
        self.gigachat = self.saved = self.rows = 0
        self.attempted = 0
        self._gigachat_rows = Newest(flt.limit)

    def add(self, timestamp, level, message, key: int) -> None:
        text = as_text(message)
        level = as_text(level).strip()
        verdict = classify(level, text)
        self.rows += 1
        self.gigachat += verdict.gigachat
        self.saved += verdict.saved
        folded = None
        if not self.attempted:
            folded = fold(text)  # once for the image probe and the filter below
            self.attempted = 1 if IMAGE_ATTEMPT.hit(folded) else 0
        if not (verdict.codes or verdict.gigachat):
            return
        row = None
        if self.flt.accepts(level, fold(text) if folded is None else folded):
            row = self._row(timestamp, level, text, key)
            if verdict.gigachat:
                self._gigachat_rows.add(row)
        for code in verdict.codes:
            self.counts[code] += 1
            if timestamp is not None:
                self.times.setdefault(code, []).append(timestamp)
            if row is not None:
                self.newest.setdefault(code, Newest(self.flt.limit)).add(row)

    def _row(self, timestamp, level, text, key) -> Row:
        shown = text if self.excerpt is None else text[:self.excerpt]
        return Row(timestamp, level, shown, len(text), key)

    def scan(self, source: str, plan: str) -> Scan:
        counts = dict(self.counts)
        counts[LG018] = lg018_count(self.gigachat, self.saved, bool(self.attempted))
        samples = {code: n.rows() for code, n in self.newest.items() if n.rows()}
        if counts[LG018] and self._gigachat_rows.rows():
            samples[LG018] = self._gigachat_rows.rows()
        return Scan(counts, samples, self.gigachat, self.saved, self.rows, source, plan,
                    attempted=bool(self.attempted), times=dict(self.times))


def parse_timestamp(value, tz: tzinfo) -> Optional[datetime]:
    """A stored timestamp as a naive datetime in zone `tz`; None when it is not one."""
    if value is None:
        return None
    if isinstance(value, datetime):
        dt = value
    else:
        text = as_text(value).strip()
        if not text:
            return None
        try:  # what Django and the drivers write: no regular expression on the way
            dt = datetime.fromisoformat(text)
        except ValueError:
            dt = _odd_timestamp(text)
            if dt is None:
                return None
    if dt.tzinfo is not None:
        dt = dt.astimezone(tz).replace(tzinfo=None)
    return dt


def _odd_timestamp(text: str) -> Optional[datetime]:
    """`2024-05-01 12:00:00,123 +0300`, `...123456789`: the spellings fromisoformat refuses."""
    text = text.replace(",", ".")
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    text = re.sub(r"\s+([+-]\d{2}:?\d{2})$", r"\1", text)
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        m = re.match(r"(\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2})(?:\.(\d+))?", text)
        if not m:
            return None
        try:  # `0000-00-00 00:00:00` (MySQL's zero date) has the shape and is no date
            return datetime.fromisoformat(m.group(1) + ("." + m.group(2)[:6].ljust(6, "0") if m.group(2) else ""))
        except ValueError:
            return None


# --- DATABASE_URL ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DbUrl:
    kind: str                       # "mysql" | "postgresql" | "sqlite" | "django"
    label: str                      # for messages: never the password
    host: str = ""
    port: int = 3306
    user: str = ""
    password: str = ""
    database: str = ""
    path: str = ""
    options: Tuple[Tuple[str, str], ...] = ()

    def __repr__(self):  # the password stays out of tracebacks
        return f"DbUrl({self.label!r})"


MYSQL_SCHEMES = ("mysql", "mysql+pymysql", "mysql+mysqldb", "mysql+mysqlconnector", "mariadb", "mariadb+pymysql",
                 "mysqlgis")
SQLITE_SCHEMES = ("sqlite", "sqlite3", "spatialite")
POSTGRES_SCHEMES = ("postgresql", "postgres", "pgsql", "postgis", "postgresql+psycopg", "postgresql+psycopg2")


def parse_database_url(text: Optional[str]) -> DbUrl:
    if text is None or not text.strip():
        raise Finding("LG001", say("logs.db_unset"), subject=DB_SUBJECT)
    text = text.strip().strip("'\"")
    try:
        parts = urlsplit(text)
        scheme = parts.scheme.lower()
        if scheme in SQLITE_SCHEMES:
            return _sqlite_url(parts)
        if scheme == "django":  # django://ALIAS: a Django site's own connection (gigacheck.django)
            alias = unquote(parts.netloc or parts.path.lstrip("/")) or "default"
            return DbUrl("django", f"Django connections[{alias!r}]", database=alias)
        if scheme in POSTGRES_SCHEMES:
            kind, port = "postgresql", parts.port or 5432
            host = parts.hostname or "localhost"
            user, password = unquote(parts.username or ""), unquote(parts.password or "")
        elif scheme in MYSQL_SCHEMES:
            kind, port = "mysql", parts.port or 3306
            host = parts.hostname or "localhost"
            user, password = unquote(parts.username or ""), unquote(parts.password or "")
        else:
            shown = f"{scheme}://" if scheme else Redactor().scrub(text)[:40]
            raise Finding("LG001", say("logs.db_scheme", shown=shown), subject=DB_SUBJECT)
    except ValueError as exc:  # a port that is not a number, a bad IPv6 literal
        raise Finding("LG001", say("logs.db_unparsable", error=exc), subject=DB_SUBJECT) from None
    database = unquote(parts.path.lstrip("/"))
    options = tuple((k, v[-1]) for k, v in parse_qs(parts.query).items())
    label = f"{kind}://{user + '@' if user else ''}{host}:{port}/{database}"
    if not database:
        raise Finding("LG001", say("logs.db_no_name", label=label), subject=DB_SUBJECT)
    return DbUrl(kind, label, host=host, port=port, user=user, password=password, database=database,
                 options=options)


def _sqlite_url(parts) -> DbUrl:
    # Django/dj-database-url: sqlite:///relative/db.sqlite3, sqlite:////absolute/db.sqlite3
    raw = unquote((parts.netloc or "") + parts.path)
    path = raw[1:] if raw.startswith("/") else raw
    if not path or path in (":memory:", "/:memory:"):
        raise Finding("LG001", say("logs.sqlite_no_file"), subject=DB_SUBJECT)
    if not os.path.isabs(path) and not os.path.exists(path) and os.path.exists("/" + path):
        path = "/" + path  # sqlite:///home/site/db.sqlite3 meant an absolute path
    return DbUrl("sqlite", f"sqlite:///{path}", path=path)
