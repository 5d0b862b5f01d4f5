"""What the SQL sources (MySQL/MariaDB and SQLite) share: the table check, the window plan,
the key bisection."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone, tzinfo
from typing import Dict, Optional, Tuple

from ..diagnosis import Finding
from .store import BISECT_SLACK, DB_SUBJECT, TABLE_SUBJECT, DbUrl, LogTable, Window, parse_timestamp

MAX_BISECT_STEPS = 80         # enough for any 64-bit key range
_INT_TYPES = ("int", "bigint", "mediumint", "smallint", "tinyint", "integer")


def _is_integer(column_type: str) -> bool:
    """`bigint(20) unsigned`, `INTEGER`: an integer key (one that can be bisected)."""
    words = column_type.lower().replace("(", " ").split()
    return bool(words) and words[0] in _INT_TYPES


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



def _time_limit(label: str, limit: float, said: str) -> Finding:
    return Finding("LG002", f"a query ran past its time limit of {limit:g} s on {label} ({said}): the server is "
                            f"busy or the window is very large; shorten --hours or raise "
                            f"gigacheck_log_query_timeout", subject=DB_SUBJECT)
