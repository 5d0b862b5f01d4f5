"""Log sources: the site's log table (MySQL/MariaDB through PyMySQL, SQLite) and its log file.

What every source promises:
- read-only: SELECT statements only, in a read-only session (`SET SESSION
  TRANSACTION READ ONLY` + `START TRANSACTION READ ONLY`; SQLite opened `mode=ro`);
- bounded: connect/read/write timeouts, and a server-side limit on every
  statement (MariaDB `max_statement_time`, MySQL `MAX_EXECUTION_TIME`, SQLite a
  progress handler); a statement past its limit becomes LG002 saying so;
- fast on big tables without an index on `timestamp`: the window's first id is
  found by bisecting the primary key, and the window read as a key range;
  every signature is counted in one pass;
- the window's lower bound is computed here in UTC and converted to the zone of
  the naive timestamps (Django `USE_TZ=True` stores UTC), never the server's NOW().

Problems come out as `Finding`s (LG001-LG004) for the checks to report.
"""

from __future__ import annotations

import heapq
import itertools
import os
import re
import sqlite3
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Dict, Iterable, Iterator, List, Optional, Sequence, Tuple
from urllib.parse import parse_qs, unquote, urlsplit
from urllib.request import pathname2url

from .diagnosis import Finding
from .redact import Redactor
from .signatures import (GIGACHAT, IMAGE_SAVED, LG018, SIGNATURES, VIEWER_TOPICS, Signature, as_text,
                         at_or_above, classify, fold, level_ok, lg018_count, matches, normalize_level,
                         number_regex, parse_level)

DEFAULT_TABLE = "Asistent_systemlog"
STATEMENT_LIMIT_S = 10.0      # per statement, on the server
CONNECT_TIMEOUT_S = 5.0
EXCERPT_CHARS = 2000          # evidence rows carry this much of a message
BISECT_SLACK = timedelta(minutes=10)  # ids are only roughly in time order: start the key range earlier
MAX_BISECT_STEPS = 80         # enough for any 64-bit key range
DB_SUBJECT, TABLE_SUBJECT, FILE_SUBJECT, SETTINGS_SUBJECT = "log database", "log table", "log file", "log settings"

_IDENT_RE = re.compile(r"^[\w$]+$")
# A derived table with a LIMIT is materialized, not merged into the outer query: each message is
# lowered once, not once per reference.
NO_MERGE = "LIMIT 18446744073709551615"
_INT_TYPES = ("int", "bigint", "mediumint", "smallint", "tinyint", "integer")


def _is_integer(column_type: str) -> bool:
    """`bigint(20) unsigned`, `INTEGER`: an integer key (one that can be bisected)."""
    words = column_type.lower().replace("(", " ").split()
    return bool(words) and words[0] in _INT_TYPES


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
    """GIGACHECK_LOG_TIMEZONE: an IANA name (`Europe/Moscow`), `UTC`, or a fixed offset (`+03:00`)."""
    text = (name or "UTC").strip() or "UTC"
    if text.upper() in ("UTC", "Z", "GMT"):
        return timezone.utc
    m = re.fullmatch(r"(?:UTC|GMT)?([+-])(\d{1,2})(?::?(\d{2}))?", text, re.IGNORECASE)
    if m:
        delta = timedelta(hours=int(m.group(2)), minutes=int(m.group(3) or 0))
        return timezone(delta if m.group(1) == "+" else -delta)
    try:
        from zoneinfo import ZoneInfo
        return ZoneInfo(text)
    except Exception:  # ZoneInfoNotFoundError, ValueError for odd keys
        raise Finding("LG001", f"GIGACHECK_LOG_TIMEZONE={text!r} is not a time zone (use e.g. UTC, "
                               f"Europe/Moscow or +03:00)", subject=SETTINGS_SUBJECT) from None


@dataclass(frozen=True)
class Window:
    """The last `hours` hours. The bound is computed here, in UTC, never by the server."""
    hours: float
    since_utc: datetime   # aware
    tz: tzinfo            # the zone of the source's naive timestamps, and of what is shown

    @classmethod
    def last(cls, hours: float, tz: tzinfo = timezone.utc, now: Optional[datetime] = None) -> "Window":
        now = now or datetime.now(timezone.utc)
        return cls(float(hours), now - timedelta(hours=float(hours)), tz)

    def since_in(self, tz: tzinfo) -> datetime:
        """The bound as the naive value a column in zone `tz` holds."""
        return self.since_utc.astimezone(tz).replace(tzinfo=None)

    @property
    def since_local(self) -> datetime:
        return self.since_in(self.tz)


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
        text = self.message
        if width is not None:
            text = " ".join(text.split())  # one line per row in evidence
            if len(text) > width or self.length > len(self.message):
                text = text[:width] + f"… ({self.length} characters)"
        return f"{when} [{self.level or '-'}] {text}"

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

    def __post_init__(self):
        object.__setattr__(self, "level", parse_level(self.level))  # `error`, `warn` -> ERROR, WARNING

    def accepts(self, level, folded_message: str) -> bool:
        if not level_ok(level, self.level):
            return False
        return not self.search or fold(self.search) in folded_message


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

    @staticmethod
    def merge(scans: Sequence["Scan"], limit: int) -> "Scan":
        if len(scans) == 1:
            return scans[0]
        counts: Dict[str, int] = {}
        samples: Dict[str, List[Row]] = {}
        for s in scans:
            for code, n in s.counts.items():
                counts[code] = counts.get(code, 0) + n
            for code, rows in s.samples.items():
                samples.setdefault(code, []).extend(rows)
        gigachat, saved = sum(s.gigachat for s in scans), sum(s.saved for s in scans)
        counts[LG018] = lg018_count(gigachat, saved)
        for code, rows in samples.items():
            newest = Newest(limit)
            for r in rows:
                newest.add(r)
            samples[code] = newest.rows()
        return Scan(counts, samples, gigachat, saved, sum(s.rows for s in scans),
                    " + ".join(s.source for s in scans), "; ".join(s.plan for s in scans if s.plan),
                    [n for s in scans for n in s.notes])


class Tally:
    """Counts and samples rows classified in Python (SQLite, log file): the same rules as SQL."""

    def __init__(self, flt: Filter, excerpt: Optional[int] = EXCERPT_CHARS):
        self.flt = flt
        self.excerpt = excerpt
        self.counts = {s.code: 0 for s in SIGNATURES}
        self.newest: Dict[str, Newest] = {}
        self.gigachat = self.saved = self.rows = 0
        self._gigachat_rows = Newest(flt.limit)

    def add(self, timestamp, level, message, key: int) -> None:
        text = as_text(message)
        level = as_text(level).strip()
        verdict = classify(level, text)
        self.rows += 1
        self.gigachat += verdict.gigachat
        self.saved += verdict.saved
        if not (verdict.codes or verdict.gigachat):
            return
        row = None
        if self.flt.accepts(level, fold(text)):
            row = self._row(timestamp, level, text, key)
            if verdict.gigachat:
                self._gigachat_rows.add(row)
        for code in verdict.codes:
            self.counts[code] += 1
            if row is not None:
                self.newest.setdefault(code, Newest(self.flt.limit)).add(row)

    def _row(self, timestamp, level, text, key) -> Row:
        shown = text if self.excerpt is None else text[:self.excerpt]
        return Row(timestamp, level, shown, len(text), key)

    def scan(self, source: str, plan: str) -> Scan:
        counts = dict(self.counts)
        counts[LG018] = lg018_count(self.gigachat, self.saved)
        samples = {code: n.rows() for code, n in self.newest.items() if n.rows()}
        if counts[LG018] and self._gigachat_rows.rows():
            samples[LG018] = self._gigachat_rows.rows()
        return Scan(counts, samples, self.gigachat, self.saved, self.rows, source, plan)


def parse_timestamp(value, tz: tzinfo) -> Optional[datetime]:
    """A stored timestamp as a naive datetime in zone `tz`; None when it is not one."""
    if value is None:
        return None
    if isinstance(value, datetime):
        dt = value
    else:
        text = as_text(value).strip().replace(",", ".")
        if not text:
            return None
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        text = re.sub(r"\s+([+-]\d{2}:?\d{2})$", r"\1", text)
        try:
            dt = datetime.fromisoformat(text)
        except ValueError:
            m = re.match(r"(\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2})(?:\.(\d+))?", text)
            if not m:
                return None
            dt = datetime.fromisoformat(m.group(1) + ("." + m.group(2)[:6].ljust(6, "0") if m.group(2) else ""))
    if dt.tzinfo is not None:
        dt = dt.astimezone(tz).replace(tzinfo=None)
    return dt


# --- DATABASE_URL ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DbUrl:
    kind: str                       # "mysql" | "sqlite"
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


def parse_database_url(text: Optional[str]) -> DbUrl:
    if text is None or not text.strip():
        raise Finding("LG001", "DATABASE_URL is not set", subject=DB_SUBJECT)
    text = text.strip().strip("'\"")
    try:
        parts = urlsplit(text)
        scheme = parts.scheme.lower()
        if scheme in SQLITE_SCHEMES:
            return _sqlite_url(parts)
        if scheme in MYSQL_SCHEMES:
            port = parts.port or 3306
            host = parts.hostname or "localhost"
            user, password = unquote(parts.username or ""), unquote(parts.password or "")
        else:
            shown = f"{scheme}://" if scheme else Redactor().scrub(text)[:40]
            raise Finding("LG001", f"DATABASE_URL {shown}... is not mysql://user:pass@host:3306/db or "
                                   f"sqlite:///path/db.sqlite3", subject=DB_SUBJECT)
    except ValueError as exc:  # a port that is not a number, a bad IPv6 literal
        raise Finding("LG001", f"DATABASE_URL cannot be parsed ({exc})", subject=DB_SUBJECT) from None
    database = unquote(parts.path.lstrip("/"))
    options = tuple((k, v[-1]) for k, v in parse_qs(parts.query).items())
    label = f"mysql://{user + '@' if user else ''}{host}:{port}/{database}"
    if not database:
        raise Finding("LG001", f"DATABASE_URL {label} names no database (add /dbname)", subject=DB_SUBJECT)
    return DbUrl("mysql", label, host=host, port=port, user=user, password=password, database=database,
                 options=options)


def _sqlite_url(parts) -> DbUrl:
    # Django/dj-database-url: sqlite:///relative/db.sqlite3, sqlite:////absolute/db.sqlite3
    raw = unquote((parts.netloc or "") + parts.path)
    path = raw[1:] if raw.startswith("/") else raw
    if not path or path in (":memory:", "/:memory:"):
        raise Finding("LG001", "DATABASE_URL sqlite:// names no database file", subject=DB_SUBJECT)
    if not os.path.isabs(path) and not os.path.exists(path) and os.path.exists("/" + path):
        path = "/" + path  # sqlite:///home/site/db.sqlite3 meant an absolute path
    return DbUrl("sqlite", f"sqlite:///{path}", path=path)


# --- the table's shape ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Column:
    name: str
    type: str
    collation: Optional[str] = None


@dataclass
class TableInfo:
    name: str                       # as the database spells it
    columns: Dict[str, Column]      # lower-case name -> column
    indexed: bool                   # an index starts with the timestamp column
    pk: Optional[str]               # a single integer primary key (the id), if any
    want: LogTable

    def col(self, logical: str) -> Column:
        return self.columns[getattr(self.want, logical).lower()]


# --- SQL sources ------------------------------------------------------------------------------------------

class SQLSource:
    """What MySQL and SQLite share: the table check, the window plan, the key bisection."""

    kind = ""
    ph = "?"

    def __init__(self, url: DbUrl, table: LogTable, statement_limit: float):
        self.url = url
        self.table = table
        self.statement_limit = float(statement_limit)
        self.label = url.label
        self.column_tz: Optional[tzinfo] = None  # None: the window's zone
        self._info: Optional[TableInfo] = None

    # subclasses: _run(sql, params) -> rows, _find_table(), _columns(name), _timestamp_indexed(name, col),
    # close(), quote(ident), scan(window, flt), rows(window, flt)

    def quote(self, ident: str) -> str:
        raise NotImplementedError

    def table_info(self) -> TableInfo:
        if self._info is None:
            self._info = self._inspect()
        return self._info

    def _inspect(self) -> TableInfo:
        want = self.table
        name = self._find_table(want.name)
        if name is None:
            raise Finding("LG003", f"no table {want.name} in {self.label} (or this user may not read it)",
                          subject=TABLE_SUBJECT)
        columns = {c.name.lower(): c for c in self._columns(name)}
        missing = [c for c in (want.timestamp, want.level, want.message) if c.lower() not in columns]
        if missing:
            have = ", ".join(c.name for c in columns.values()) or "none visible"
            raise Finding("LG004", f"{name} has no column {', '.join(missing)} (it has: {have})",
                          subject=TABLE_SUBJECT)
        ts = columns[want.timestamp.lower()]
        pks = self._primary_key(name, columns)
        pk = pks[0].name if len(pks) == 1 and _is_integer(pks[0].type) else None
        return TableInfo(name, columns, self._timestamp_indexed(name, ts.name), pk, want)

    def _first_id(self, info: TableInfo, since: datetime) -> Optional[int]:
        """The first id of the window, found without an index on timestamp: bisect the
        primary key (ids grow with time). Returns a lower bound; the window's timestamp
        condition still applies to the rows from there."""
        pk, ts, t = self.quote(info.pk), self.quote(info.col("timestamp").name), self.quote(info.name)
        lo, hi = self._run(f"SELECT MIN({pk}), MAX({pk}) FROM {t}")[0]
        if lo is None:
            return None
        lo, hi = int(lo), int(hi) + 1
        target = since - BISECT_SLACK
        probe = f"SELECT {pk}, {ts} FROM {t} WHERE {pk} >= {self.ph} ORDER BY {pk} LIMIT 1"
        for _ in range(MAX_BISECT_STEPS):
            if lo >= hi:
                break
            mid = (lo + hi) // 2
            found = self._run(probe, (mid,))
            if not found:
                hi = mid
                continue
            stamp = self._timestamp(found[0][1])
            if stamp is None or stamp >= target:  # unreadable time: keep the row in (conservative)
                hi = mid
            else:
                lo = int(found[0][0]) + 1
        return lo

    def _window(self, info: TableInfo, window: Window, prefilter=None) -> Tuple[str, list, str]:
        """The WHERE clause of the window, its parameters and the plan's name. With an integer
        id the window is read as a primary-key range (sequential, cheaper than index lookups):
        its first id comes exactly from the timestamp index when there is one, else by bisection."""
        since = window.since_in(self.column_tz or window.tz)
        ts, t = self.quote(info.col("timestamp").name), self.quote(info.name)
        bound = prefilter(since) if prefilter else since
        if not info.pk:
            plan = "timestamp index" if info.indexed else "full scan (no index on timestamp, no integer id)"
            return f"{ts} >= {self.ph}", [bound], plan
        pk = self.quote(info.pk)
        if info.indexed:
            first = self._run(f"SELECT MIN({pk}) FROM {t} WHERE {ts} >= {self.ph}", (bound,))[0][0]
            how = "first id from the timestamp index"
        else:
            first = self._first_id(info, since)
            how = "first id by bisection: no index on timestamp"
        if first is None:
            return "1 = 0", [], "empty window"
        return f"{pk} >= {self.ph} AND {ts} >= {self.ph}", [int(first), bound], f"primary-key range ({how})"

    def _timestamp(self, value) -> Optional[datetime]:
        return parse_timestamp(value, timezone.utc)  # naive values stay as they are

    def _shown_time(self, value, window: Window) -> Optional[datetime]:
        """A stored time in the window's zone, for display and comparison."""
        stamp = self._timestamp(value)
        if stamp is not None and self.column_tz is not None and self.column_tz != window.tz:
            stamp = stamp.replace(tzinfo=self.column_tz).astimezone(window.tz).replace(tzinfo=None)
        return stamp

    def create_index_sql(self, info: Optional[TableInfo] = None) -> str:
        info = info or self.table_info()
        col = info.col("timestamp").name
        return (f"CREATE INDEX {self.quote(info.name + '_' + col + '_idx')} ON {self.quote(info.name)} "
                f"({self.quote(col)});")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        raise NotImplementedError


class MySQLSource(SQLSource):
    kind = "mysql"
    ph = "%s"

    def __init__(self, url: DbUrl, table: LogTable, statement_limit: float = STATEMENT_LIMIT_S,
                 connect_timeout: float = CONNECT_TIMEOUT_S):
        super().__init__(url, table, statement_limit)
        import pymysql
        self._pymysql = pymysql
        self._lowered_cache: Dict[str, bytes] = {}
        opts = dict(url.options)
        kwargs = dict(host=url.host, port=url.port, user=url.user, password=url.password, database=url.database,
                      charset="utf8mb4", connect_timeout=connect_timeout,
                      read_timeout=max(1, int(self.statement_limit + 5)), write_timeout=10,
                      autocommit=True, local_infile=False)
        if opts.get("unix_socket"):
            kwargs["unix_socket"] = opts["unix_socket"]
        if opts.get("ssl_ca") or opts.get("ssl-ca"):
            kwargs["ssl"] = {"ca": opts.get("ssl_ca") or opts.get("ssl-ca")}
        try:
            self.conn = pymysql.connect(**kwargs)
        except pymysql.err.MySQLError as exc:
            raise self._finding(exc) from None
        except (OSError, ValueError) as exc:
            raise Finding("LG002", f"{self.label}: {exc}", subject=DB_SUBJECT) from None
        self.server = self.conn.get_server_info() or ""
        self.mariadb = "mariadb" in self.server.lower()
        try:
            self._session()
        except Finding:
            self.close()
            raise

    def _session(self) -> None:
        """A read-only session where every statement has a time limit."""
        try:
            if self.mariadb:
                self._run("SET SESSION max_statement_time = %s", (self.statement_limit,))
            else:
                self._run("SET SESSION MAX_EXECUTION_TIME = %s", (int(self.statement_limit * 1000),))
        except Finding:
            pass  # a server too old for it: the client's read_timeout still bounds every statement
        self._run("SET SESSION TRANSACTION READ ONLY")
        self._run("START TRANSACTION READ ONLY")  # one snapshot: counts and rows agree

    def quote(self, ident: str) -> str:
        return "`" + ident.replace("`", "``") + "`"

    def _run(self, sql: str, params: Sequence = ()) -> list:
        try:
            with self.conn.cursor() as cur:
                cur.execute(sql, tuple(params) if params else None)
                return list(cur.fetchall())
        except self._pymysql.err.MySQLError as exc:
            raise self._finding(exc) from None
        except (OSError, ValueError) as exc:
            raise Finding("LG002", f"{self.label}: {exc}", subject=DB_SUBJECT) from None

    def _finding(self, exc) -> Finding:
        code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else None
        text = str(exc.args[1]) if len(exc.args) > 1 else str(exc)
        if code in (1969, 3024, 1317, 1028) or (code == 2013 and "timed out" in text):
            return _time_limit(self.label, self.statement_limit, text)
        if code == 1146:
            return Finding("LG003", f"{self.label}: {text}", subject=TABLE_SUBJECT)
        if code == 1054:
            return Finding("LG004", f"{self.label}: {text}", subject=TABLE_SUBJECT)
        return Finding("LG002", f"{self.label}: {text}" + (f" (MySQL error {code})" if code else ""),
                       subject=DB_SUBJECT)

    def _find_table(self, name: str) -> Optional[str]:
        found = [r[0] for r in self._run(
            "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() "
            "AND LOWER(TABLE_NAME) = LOWER(%s)", (name,))]
        found = [as_text(f) for f in found]
        if name in found:
            return name
        return found[0] if len(found) == 1 else None  # asistent_systemlog for Asistent_systemlog

    def _columns(self, name: str) -> List[Column]:
        rows = self._run("SELECT COLUMN_NAME, COLUMN_TYPE, COLLATION_NAME FROM information_schema.COLUMNS "
                         "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s ORDER BY ORDINAL_POSITION", (name,))
        return [Column(as_text(r[0]), as_text(r[1]), as_text(r[2]) if r[2] else None) for r in rows]

    def _primary_key(self, name: str, columns: Dict[str, Column]) -> List[Column]:
        rows = self._run("SELECT COLUMN_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() "
                         "AND TABLE_NAME = %s AND INDEX_NAME = 'PRIMARY' ORDER BY SEQ_IN_INDEX", (name,))
        return [columns[as_text(r[0]).lower()] for r in rows if as_text(r[0]).lower() in columns]

    def _timestamp_indexed(self, name: str, column: str) -> bool:
        rows = self._run("SELECT COUNT(*) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() "
                         "AND TABLE_NAME = %s AND COLUMN_NAME = %s AND SEQ_IN_INDEX = 1", (name, column))
        return bool(rows and rows[0][0])

    def table_info(self) -> TableInfo:
        fresh = self._info is None
        info = super().table_info()
        if fresh and info.col("timestamp").type.lower().startswith("timestamp"):
            # TIMESTAMP columns come back in the session's zone: ask for UTC
            self._run("SET SESSION time_zone = '+00:00'")
            self.column_tz = timezone.utc
        return info

    # -- expressions --------------------------------------------------------------------------
    # Each message is lowered once into bytes (a materialized derived table) and searched with
    # LOCATE: case-insensitive for Cyrillic and Latin alike, `%` and `_` literal, and about five
    # times cheaper than twenty-odd LIKEs under a _ci collation, each of which re-folds the row.

    def _derived(self, info: TableInfo, where: str, raw: bool = False) -> str:
        msg, lvl = info.col("message"), info.col("level")
        key = self.quote(info.pk) if info.pk else "0"
        extra = f", {self.quote(msg.name)} AS raw, {self.quote(lvl.name)} AS rawlevel" if raw else ""
        return (f"SELECT {key} AS id, {self.quote(info.col('timestamp').name)} AS ts, "
                f"UPPER(TRIM({self._utf8(lvl)})) AS lv, "
                f"CONVERT(LOWER(COALESCE({self._utf8(msg)}, '')) USING binary) AS m{extra} "
                f"FROM {self.quote(info.name)} WHERE {where} {NO_MERGE}")

    def _utf8(self, column: Column) -> str:
        """The column as utf8mb4 text (a no-op for utf8mb4 columns; bytes of blobs decoded)."""
        q = self.quote(column.name)
        return q if (column.collation or "").lower().startswith("utf8mb4") else f"CONVERT({q} USING utf8mb4)"

    def _lowered(self, texts: Iterable[str]) -> Dict[str, bytes]:
        """Texts lowered by the server itself (so they match its LOWER of the rows), once each.
        As constants in the pass they are not lowered again for every row."""
        todo = sorted({t for t in texts if t not in self._lowered_cache})
        if todo:
            row = self._run("SELECT " + ", ".join(["CONVERT(LOWER(%s) USING binary)"] * len(todo)), todo)[0]
            self._lowered_cache.update(zip(todo, (bytes(v) for v in row)))
        return self._lowered_cache

    def _hit(self, sig: Signature) -> Tuple[str, list]:
        """1 when a row (of the derived table) shows the signature, else 0."""
        parts, params = [], []
        lowered = self._lowered(sig.texts)
        for text in sig.texts:
            parts.append("LOCATE(%s, m) > 0")
            params.append(lowered[text])
        for number in sig.numbers:  # LOCATE first: cheap, and the regexp only runs on candidates
            # (as text: MySQL 8.0.22+ refuses REGEXP on binary strings)
            parts.append("(LOCATE(%s, m) > 0 AND CONVERT(m USING utf8mb4) REGEXP %s)")
            params += [number, number_regex(number)]
        cond = "(" + " OR ".join(parts) + ")"
        if sig.min_level:
            spellings = at_or_above(sig.min_level)
            cond = f"(lv IN ({', '.join(['%s'] * len(spellings))}) AND {cond})"
            params = list(spellings) + params
        return cond, params

    def _shown(self, flt: Filter) -> Tuple[str, list]:
        """1 when a row passes --level and --search (they narrow what is shown, not the counts)."""
        sql, params = ["1"], []
        if flt.level:
            spellings = at_or_above(flt.level)
            sql.append(f"lv IN ({', '.join(['%s'] * len(spellings))})")
            params += list(spellings)
        if flt.search:  # LOCATE takes the text literally: %, _ and \ match themselves
            sql.append("LOCATE(%s, m) > 0")
            params.append(self._lowered([flt.search])[flt.search])
        return "(" + " AND ".join(sql) + ")", params

    def scan(self, window: Window, flt: Filter) -> Scan:
        """Every signature counted in one pass: each row gets a bitmask of what it shows, the
        pass groups by mask, and each group brings the ids of its newest shown rows."""
        info = self.table_info()
        where, wparams, plan = self._window(info, window)
        sigs = list(SIGNATURES) + [GIGACHAT, IMAGE_SAVED]
        bits, params = [], []
        for i, sig in enumerate(sigs):
            cond, p = self._hit(sig)
            bits.append(f"(({cond}) << {i})")
            params += p
        shown, sparams = self._shown(flt)
        failures = (1 << len(SIGNATURES)) - 1  # samples for the signatures; LG018's only if it applies
        limit = max(0, int(flt.limit))
        if limit and info.pk:
            self._run("SET SESSION group_concat_max_len = %s", (max(1024, 21 * limit),))  # newest `limit` ids
            ids = f"GROUP_CONCAT(IF(shown AND mask & {failures}, id, NULL) ORDER BY ts DESC, id DESC)"
        else:
            ids = "NULL"
        # g materialized too: merged, each use of `mask` would compute every signature again
        sql = (f"SELECT mask, COUNT(*), {ids} FROM (SELECT id, ts, {' | '.join(bits)} AS mask, {shown} AS shown "
               f"FROM ({self._derived(info, where)}) AS w {NO_MERGE}) AS g GROUP BY mask")
        groups = [(int(mask or 0), int(n), _ids(text)) for mask, n, text in self._run(sql, params + sparams + wparams)]
        values = {sig.code: sum(n for mask, n, _ in groups if mask >> i & 1) for i, sig in enumerate(sigs)}
        counts = {s.code: values[s.code] for s in SIGNATURES}
        counts[LG018] = lg018_count(values[GIGACHAT.code], values[IMAGE_SAVED.code])
        samples: Dict[str, List[Row]] = {}
        if limit:
            wanted = {}
            for i, sig in enumerate(SIGNATURES):
                if counts[sig.code]:
                    wanted[sig.code] = [k for mask, _, keys in groups if mask >> i & 1 for k in keys[:limit]]
            if not info.pk:
                for i, sig in enumerate(SIGNATURES):
                    if counts[sig.code]:
                        samples[sig.code] = self._rows_where(info, window, where, wparams, self._hit(sig), flt)
            else:
                rows = self._fetch(info, window, {k for keys in wanted.values() for k in keys}, EXCERPT_CHARS)
                for code, keys in wanted.items():
                    newest = Newest(limit)
                    for k in keys:
                        if k in rows:
                            newest.add(rows[k])
                    samples[code] = newest.rows()
            if counts[LG018]:
                samples[LG018] = self._rows_where(info, window, where, wparams, self._hit(GIGACHAT), flt)
        total = sum(n for _, n, _ in groups)
        return Scan(counts, samples, values[GIGACHAT.code], values[IMAGE_SAVED.code], total, self.label, plan)

    def rows(self, window: Window, flt: Filter, topics: Optional[Signature] = VIEWER_TOPICS) -> List[Row]:
        """The viewer's rows: the site's topics, narrowed by level and search, newest first."""
        info = self.table_info()
        where, wparams, _ = self._window(info, window)
        hit = self._hit(topics) if topics else ("1", [])
        return self._rows_where(info, window, where, wparams, hit, flt, excerpt=None)

    def _rows_where(self, info, window, where, wparams, hit, flt: Filter, excerpt: Optional[int] = EXCERPT_CHARS
                    ) -> List[Row]:
        """The newest rows of the window that show `hit` and pass the filter."""
        cond, cparams = hit
        shown, sparams = self._shown(flt)
        limit = int(flt.limit)
        if not limit:
            return []
        if info.pk:
            sql = (f"SELECT id FROM ({self._derived(info, where)}) AS w WHERE {cond} AND {shown} "
                   f"ORDER BY ts DESC, id DESC LIMIT {limit}")
            keys = [int(r[0]) for r in self._run(sql, wparams + cparams + sparams)]  # in the order of the text
            rows = self._fetch(info, window, keys, excerpt)
            return [rows[k] for k in keys if k in rows]
        shown_raw = f"LEFT(raw, {int(excerpt)})" if excerpt else "raw"
        sql = (f"SELECT 0, ts, rawlevel, {shown_raw}, CHAR_LENGTH(raw) FROM ({self._derived(info, where, raw=True)}) "
               f"AS w WHERE {cond} AND {shown} ORDER BY ts DESC LIMIT {limit}")
        return [self._row(r, window) for r in self._run(sql, wparams + cparams + sparams)]

    def _fetch(self, info, window, keys, excerpt: Optional[int]) -> Dict[int, Row]:
        """Rows by id (a primary-key lookup each)."""
        keys = sorted({int(k) for k in keys})
        if not keys:
            return {}
        mcol = self.quote(info.col("message").name)
        shown = f"LEFT({mcol}, {int(excerpt)})" if excerpt else mcol
        sql = (f"SELECT {self.quote(info.pk)}, {self.quote(info.col('timestamp').name)}, "
               f"{self.quote(info.col('level').name)}, {shown}, CHAR_LENGTH({mcol}) FROM {self.quote(info.name)} "
               f"WHERE {self.quote(info.pk)} IN ({', '.join(['%s'] * len(keys))})")
        return {int(r[0]): self._row(r, window) for r in self._run(sql, keys)}

    def _row(self, r, window) -> Row:
        key, stamp, level, text, length = r
        text = as_text(text)
        return Row(self._shown_time(stamp, window), as_text(level).strip(), text,
                   int(length) if length is not None else len(text), int(key or 0))

    def close(self) -> None:
        conn, self.conn = getattr(self, "conn", None), None
        if conn is None:
            return
        try:
            conn.rollback()  # ends the read-only transaction; nothing was written
        except Exception:
            pass
        try:
            conn.close()
        except Exception:
            pass


class SQLiteSource(SQLSource):
    """Django's default database, and the embedded one of mock mode. Opened read-only;
    rows are classified in Python (SQLite's LIKE folds ASCII only)."""

    kind = "sqlite"
    ph = "?"

    def __init__(self, url: DbUrl, table: LogTable, statement_limit: float = STATEMENT_LIMIT_S):
        super().__init__(url, table, statement_limit)
        path = Path(url.path)
        if not path.is_file():
            raise Finding("LG002", f"{self.label}: no such database file" if not path.exists() else
                          f"{self.label}: not a file", subject=DB_SUBJECT)
        try:
            self.conn = sqlite3.connect(f"file:{pathname2url(str(path.resolve()))}?mode=ro", uri=True,
                                        timeout=CONNECT_TIMEOUT_S, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            raise Finding("LG002", f"{self.label}: {exc}", subject=DB_SUBJECT) from None
        # bytes that are not UTF-8 must not stop the read
        self.conn.text_factory = lambda b: b.decode("utf-8", "replace")
        self._deadline = None
        self.conn.set_progress_handler(self._progress, 10000)

    def _progress(self) -> int:
        return 1 if self._deadline is not None and time.monotonic() > self._deadline else 0

    def quote(self, ident: str) -> str:
        return '"' + ident.replace('"', '""') + '"'

    def _cursor(self, sql: str, params: Sequence = ()):
        self._deadline = time.monotonic() + self.statement_limit
        try:
            return self.conn.execute(sql, tuple(params))
        except sqlite3.Error as exc:
            raise self._finding(exc) from None

    def _run(self, sql: str, params: Sequence = ()) -> list:
        cur = self._cursor(sql, params)
        try:
            return cur.fetchall()
        except sqlite3.Error as exc:
            raise self._finding(exc) from None
        finally:
            self._deadline = None

    def _finding(self, exc) -> Finding:
        text = str(exc)
        if "interrupted" in text:
            return _time_limit(self.label, self.statement_limit, text)
        if "no such table" in text:
            return Finding("LG003", f"{self.label}: {text}", subject=TABLE_SUBJECT)
        if "no such column" in text:
            return Finding("LG004", f"{self.label}: {text}", subject=TABLE_SUBJECT)
        return Finding("LG002", f"{self.label}: {text}", subject=DB_SUBJECT)

    def _find_table(self, name: str) -> Optional[str]:
        found = [r[0] for r in self._run("SELECT name FROM sqlite_master WHERE type IN ('table', 'view') "
                                         "AND lower(name) = lower(?)", (name,))]
        if name in found:
            return name
        return found[0] if len(found) == 1 else None

    def _columns(self, name: str) -> List[Column]:
        return [Column(r[0], r[1] or "") for r in self._run("SELECT name, type FROM pragma_table_info(?)", (name,))]

    def _primary_key(self, name: str, columns: Dict[str, Column]) -> List[Column]:
        rows = self._run("SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk", (name,))
        pks = [columns[r[0].lower()] for r in rows if r[0].lower() in columns]
        if not pks:  # every rowid table has an integer key, in insertion order
            without_rowid = self._run("SELECT sql LIKE '%WITHOUT ROWID%' FROM sqlite_master WHERE name = ?", (name,))
            if not (without_rowid and without_rowid[0][0]):
                return [Column("rowid", "integer")]
        return pks

    def _timestamp_indexed(self, name: str, column: str) -> bool:
        rows = self._run("SELECT COUNT(*) FROM pragma_index_list(?) AS il, pragma_index_info(il.name) AS ii "
                         "WHERE ii.seqno = 0 AND lower(ii.name) = lower(?)", (name, column))
        return bool(rows and rows[0][0])

    def _window_rows(self, window: Window, flt: Filter) -> Tuple[Iterator[tuple], str]:
        info = self.table_info()
        # text comparison is a superset here (seconds truncated, 'T' sorts after ' '); exact test in Python
        where, params, plan = self._window(info, window, prefilter=lambda s: s.strftime("%Y-%m-%d %H:%M:%S"))
        key = self.quote(info.pk) if info.pk else "rowid"
        cols = ", ".join(self.quote(info.col(c).name) for c in ("timestamp", "level", "message"))
        cur = self._cursor(f"SELECT {key}, {cols} FROM {self.quote(info.name)} WHERE {where}", params)
        since = window.since_local

        def rows():
            try:
                for k, stamp, level, message in cur:
                    shown = self._shown_time(stamp, window)
                    if shown is not None and shown >= since:
                        yield k, shown, level, message
            except sqlite3.Error as exc:
                raise self._finding(exc) from None
            finally:
                self._deadline = None
        return rows(), plan

    def scan(self, window: Window, flt: Filter) -> Scan:
        rows, plan = self._window_rows(window, flt)
        tally = Tally(flt)
        for k, stamp, level, message in rows:
            tally.add(stamp, level, message, int(k or 0))
        return tally.scan(self.label, plan)

    def rows(self, window: Window, flt: Filter, topics: Optional[Signature] = VIEWER_TOPICS) -> List[Row]:
        out = Newest(flt.limit)
        rows, _ = self._window_rows(window, flt)
        for k, stamp, level, message in rows:
            text, level = as_text(message), as_text(level).strip()
            folded = fold(text)
            if (topics is None or matches(topics, level, folded)) and flt.accepts(level, folded):
                out.add(Row(stamp, level, text, len(text), int(k or 0)))
        return out.rows()

    def close(self) -> None:
        conn, self.conn = getattr(self, "conn", None), None
        if conn is not None:
            conn.close()


def _time_limit(label: str, limit: float, said: str) -> Finding:
    return Finding("LG002", f"a query ran past its time limit of {limit:g} s on {label} ({said}): the server is "
                            f"busy or the window is very large; shorten --hours or raise "
                            f"gigacheck_log_query_timeout", subject=DB_SUBJECT)


def _ids(text) -> List[int]:
    """The ids of a GROUP_CONCAT, newest first. group_concat_max_len (21 bytes per wanted id) may
    cut the list inside an id, but only after the first `limit` ones, which are all that is used."""
    return [int(p) for p in as_text(text).split(",") if p.isdigit()] if text else []


def open_database(url_text: Optional[str], table: LogTable = LogTable(),
                  statement_limit: float = STATEMENT_LIMIT_S) -> SQLSource:
    """A read-only connection to DATABASE_URL (Finding LG001/LG002 when there is none)."""
    url = parse_database_url(url_text)
    if url.kind == "sqlite":
        return SQLiteSource(url, table, statement_limit)
    return MySQLSource(url, table, statement_limit)


# --- the log file ------------------------------------------------------------------------------------------

_TS = r"(?P<ts>\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:[.,]\d{1,9})?(?:\s?(?:Z|[+-]\d{2}:?\d{2}))?)"
_LEVEL = r"(?P<level>DEBUG|INFO|WARNING|WARN|ERROR|CRITICAL|FATAL)"
_TS_AT = re.compile(rf"\[?{_TS}\]?[\s,|:-]*")
_LEVEL_AT = re.compile(rf"\[?{_LEVEL}\]?(?![\w])[\s:|-]*")
# `2024-05-01 12:00:00,123 - Asistent.views - ERROR - ...`, `[...] [1234] [ERROR] ...`
_NAME_LEVEL_AT = re.compile(rf"(?:[\w.\-]+\s*[-|:]|(?:\[[^\]]*\]\s*)+)\s*\[?{_LEVEL}\]?(?![\w])[\s:|-]*")
MAX_LINE = 4 << 20          # a longer line is read in pieces
MAX_MESSAGE = 1 << 20       # a record's message is kept up to this many characters
MAX_SCAN_BYTES = 512 << 20  # one pass reads at most this much of the file
BISECT_BYTES = 8 << 20      # files bigger than this are bisected to the window's start
BISECT_GRAIN = 64 << 10     # ... to within this many bytes


def parse_head(line: str) -> Optional[Tuple[Optional[str], str, str]]:
    """(timestamp text or None, level, message) when the line starts a record of one of
    Python logging's usual formats; None for a continuation line (traceback, HTML body)."""
    s = line.lstrip()
    stamp = level = None
    m = _TS_AT.match(s)
    if m:
        stamp, s = m.group("ts"), s[m.end():]
    m = _LEVEL_AT.match(s) or (_NAME_LEVEL_AT.match(s) if stamp else None)
    if m:
        level, s = m.group("level"), s[m.end():]
        if stamp is None:  # Django's verbose format: `ERROR 2024-05-01 12:00:00,123 views 123 456 msg`
            m = _TS_AT.match(s)
            if m:
                stamp, s = m.group("ts"), s[m.end():]
    if stamp is None and level is None:
        return None
    return stamp, normalize_level(level) if level else "", s


class FileSource:
    """GIGACHECK_LOG_FILE. Lines without a time of their own take the previous record's time,
    or the file's last modification when no line before them has one."""

    kind = "file"

    def __init__(self, path: str):
        self.path = Path(path).expanduser()
        self.label = f"log file {path}"
        if not self.path.exists():
            raise Finding("LG001", f"GIGACHECK_LOG_FILE={path}: no such file", subject=FILE_SUBJECT)
        if not self.path.is_file():
            raise Finding("LG001", f"GIGACHECK_LOG_FILE={path}: not a file", subject=FILE_SUBJECT)
        try:
            with open(self.path, "rb") as f:
                f.read(1)
        except OSError as exc:
            raise Finding("LG001", f"GIGACHECK_LOG_FILE={path}: cannot be read ({exc.strerror})",
                          subject=FILE_SUBJECT) from None

    def _records(self, window: Window, notes: List[str]) -> Iterator[Tuple[int, Optional[datetime], str, str]]:
        tz = window.tz
        stat = self.path.stat()
        fallback = datetime.fromtimestamp(stat.st_mtime, timezone.utc).astimezone(tz).replace(tzinfo=None)
        since = window.since_local
        with open(self.path, "rb") as f:
            start = self._seek(f, stat.st_size, since - BISECT_SLACK, tz) if stat.st_size > BISECT_BYTES else 0
            f.seek(start)
            current = None
            last_time = None
            read = 0
            skipping = start > 0  # the bisection may land inside a record: start at the next head
            for lineno in itertools.count(1):
                raw = f.readline(MAX_LINE)
                if not raw:
                    break
                read += len(raw)
                if read > MAX_SCAN_BYTES:
                    notes.append(f"{self.label}: read only {MAX_SCAN_BYTES >> 20} MB of the window")
                    break
                line = raw.decode("utf-8", "replace").rstrip("\r\n")
                head = parse_head(line)
                if head is None:
                    if skipping:
                        continue
                    if current is not None:
                        if len(current[3]) < MAX_MESSAGE:
                            current[3] += "\n" + line
                        continue
                    head = (None, "", line)
                skipping = False
                if current is not None:
                    yield tuple(current)
                stamp = parse_timestamp(head[0], tz) if head[0] else None
                if stamp is not None:
                    last_time = stamp
                current = [lineno, stamp or last_time or fallback, head[1], head[2]]
            if current is not None:
                yield tuple(current)

    def _seek(self, f, size: int, target: datetime, tz) -> int:
        """The offset of a line at or before the first one written at `target` or later."""
        lo, hi = 0, size
        for _ in range(64):
            if hi - lo < BISECT_GRAIN:
                break
            mid = (lo + hi) // 2
            stamp = self._time_after(f, mid, tz)
            if stamp is None or stamp >= target:
                hi = mid
            else:
                lo = mid
        if lo == 0:
            return 0
        f.seek(lo)
        f.readline(MAX_LINE)
        return f.tell()

    @staticmethod
    def _time_after(f, offset: int, tz) -> Optional[datetime]:
        f.seek(offset)
        f.readline(MAX_LINE)
        for _ in range(200):
            raw = f.readline(MAX_LINE)
            if not raw:
                return None
            head = parse_head(raw.decode("utf-8", "replace"))
            if head and head[0]:
                return parse_timestamp(head[0], tz)
        return None

    def _window_records(self, window: Window, notes: List[str]):
        since = window.since_local
        for key, stamp, level, message in self._records(window, notes):
            if stamp >= since:
                yield key, stamp, level, message

    def scan(self, window: Window, flt: Filter) -> Scan:
        notes: List[str] = []
        tally = Tally(flt)
        for key, stamp, level, message in self._window_records(window, notes):
            tally.add(stamp, level, message, key)
        scan = tally.scan(self.label, "file read from the window's start")
        scan.notes = notes
        return scan

    def rows(self, window: Window, flt: Filter, topics: Optional[Signature] = VIEWER_TOPICS) -> List[Row]:
        out = Newest(flt.limit)
        for key, stamp, level, message in self._window_records(window, []):
            folded = fold(message)
            if (topics is None or matches(topics, level, folded)) and flt.accepts(level, folded):
                out.add(Row(stamp, level, message, len(message), key))
        return out.rows()

    def close(self) -> None:
        pass


# --- the embedded database of mock mode -----------------------------------------------------------------

SQLITE_SCHEMA = """CREATE TABLE IF NOT EXISTS "{t}" (
    "id" integer NOT NULL PRIMARY KEY AUTOINCREMENT,
    "timestamp" datetime NOT NULL,
    "level" varchar(10) NOT NULL,
    "logger_name" varchar(100) NOT NULL DEFAULT '',
    "message" text NULL
)"""


def seed_sqlite(path: Path, rows: Iterable[dict], table: LogTable = LogTable(), tz: tzinfo = timezone.utc,
                now: Optional[datetime] = None, index: bool = True) -> Path:
    """Write a fresh SQLite log table from fixture rows with relative times
    (`minutes_ago`, `hours_ago`, `seconds_ago`), stored naive in zone `tz` as Django does."""
    now = now or datetime.now(timezone.utc)
    path = Path(path)
    conn = sqlite3.connect(str(path))
    try:
        ddl = SQLITE_SCHEMA.format(t=table.name).replace('"timestamp"', f'"{table.timestamp}"') \
            .replace('"level"', f'"{table.level}"').replace('"message"', f'"{table.message}"')
        conn.execute(ddl)
        if index:
            conn.execute(f'CREATE INDEX IF NOT EXISTS "{table.name}_{table.timestamp}_idx" '
                         f'ON "{table.name}" ("{table.timestamp}")')
        values = []
        for row in sorted(rows, key=_age, reverse=True):  # oldest first: ids grow with time
            stamp = (now - _age(row)).astimezone(tz).replace(tzinfo=None)
            values.append((stamp.isoformat(sep=" "), row.get("level", "INFO"), row.get("logger", "Asistent"),
                           row.get("message")))
        conn.executemany(f'INSERT INTO "{table.name}" ("{table.timestamp}", "{table.level}", "logger_name", '
                         f'"{table.message}") VALUES (?, ?, ?, ?)', values)
        conn.commit()
    finally:
        conn.close()
    return path


def _age(row: dict) -> timedelta:
    return timedelta(hours=float(row.get("hours_ago", 0)), minutes=float(row.get("minutes_ago", 0)),
                     seconds=float(row.get("seconds_ago", 0)))
