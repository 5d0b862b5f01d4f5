"""What the SQL sources (MySQL/MariaDB and SQLite) share: the table check, the window plan (verified
key bisection), and the pass: SQL prefilters on the signatures' needles, Python decides."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timezone, tzinfo
from typing import Dict, Iterator, List, Optional, Tuple

from ..diagnosis import Finding
from ..words import say
from .clock import Clock
from .signatures import LG018, VIEWER_TOPICS, Signature, as_text, attempts_image, classify, fold, shows_saved
from .store import (BISECT_SLACK, DB_SUBJECT, EXCERPT_CHARS, TABLE_SUBJECT, DbUrl, Filter, LogTable, Newest, Row, Scan,
                    Tally, Window, parse_timestamp)

MAX_BISECT_STEPS = 80         # enough for any 64-bit key range
VERIFY_ROWS = 256             # the rows just before a bisected window that must be older than it
MIN_STATEMENT_S, MAX_STATEMENT_S = 0.01, 86400.0
CLOCK_ROWS = 10000            # rows read per clock probe (rows ahead, stamps that are no date): a count beyond is "at least"
CLOCK_EXCERPT = 300           # characters of their message kept for the example
STREAM_PAGE = 5000            # rows per keyset page of the viewer's stream (`--limit 0`)
MAX_STREAM_PAGES = 1 << 20    # 5 billion rows: a bound on the loop, never reached
SAVED_BATCH = 200             # rows holding the saved-image needle read at first; all of them only if none shows it
SUCCESS_BATCH = 500           # the newest rows holding a success needle read at first; all of them only if needed
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
class Plan:
    """How a window is read: its WHERE clause and parameters, and the plan's name."""
    where: str
    params: list
    label: str
    range_where: str = ""           # a bisected key range: the range alone, to find strays
    range_params: list = field(default_factory=list)
    stray: Optional[Tuple[str, list]] = None
    unordered: bool = False         # ids do not follow time: the whole table is read
    rows: Optional[int] = None      # the window's rows, when the plan counted them already
    key_range: Optional[Tuple[int, int]] = None  # the window's first and last id: the first two parameters
    hint: str = ""                  # after the table's name: how a key range is read whatever the statistics say


def clamp_limit(seconds) -> float:
    """A usable limit whatever was asked: a tiny one would round to 0 (MariaDB: no limit at all),
    a huge one overflow the server's variable; NaN and <= 0 are not limits."""
    try:
        value = float(seconds)
    except (TypeError, ValueError):
        raise ValueError(f"log query timeout {seconds!r}: give seconds") from None
    if value != value or value <= 0:
        raise ValueError(f"log query timeout {seconds!r}: give seconds above 0")
    return min(max(value, MIN_STATEMENT_S), MAX_STATEMENT_S)


@dataclass
class TableInfo:
    name: str                       # as the database spells it
    columns: Dict[str, Column]      # lower-case name -> column
    indexed: bool                   # an index starts with the timestamp column
    pk: Optional[str]               # a single integer primary key (the id), if any
    want: LogTable
    view: bool = False              # a view: no index of its own (LG005 skips), no rowid, EXPLAIN may be denied

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
        self.statement_limit = clamp_limit(statement_limit)
        self._unordered = False  # the plan being read is a full scan for want of time order
        self.label = url.label
        self.column_tz: Optional[tzinfo] = None  # None: the window's zone
        self._info: Optional[TableInfo] = None

    # subclasses: _run(sql, params) -> rows, _fetch(sql, params) -> rows (the statement limit bounds the SQL,
    # never the Python that follows), _find_table(), _columns(name), _timestamp_indexed(name, col),
    # _prefilter(info, kind) -> (sql, params), _gigachat(info) -> sql, explain(sql, params) -> what the database says it does, close(), quote(ident)
    _bound = None     # how the window's bound is passed (SQLite: as text)
    _no_key = "0"     # the key of tables without an integer id
    _key_range_after_index = False  # read the indexed window as a primary-key range (see `_key_range`)
    _key_hint = ""    # a key range's Plan.hint (MySQL: FORCE INDEX (PRIMARY), see there)

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
            raise Finding("LG003", say("logs.no_table", table=want.name, label=self.label),
                          subject=TABLE_SUBJECT)
        columns = {c.name.lower(): c for c in self._columns(name)}
        missing = [c for c in (want.timestamp, want.level, want.message) if c.lower() not in columns]
        self._check_privileges(name, [c for c in (want.timestamp, want.level, want.message) if c not in missing],
                               missing)  # LG002 naming the GRANT, before a hidden column reads as missing
        if missing:
            have = ", ".join(c.name for c in columns.values()) or "none visible"
            raise Finding("LG004", say("logs.no_column", table=name, missing=", ".join(missing), have=have),
                          subject=TABLE_SUBJECT)
        ts = columns[want.timestamp.lower()]
        view = self._is_view(name)
        pks = [] if view else self._primary_key(name, columns)
        pk = pks[0].name if len(pks) == 1 and _is_integer(pks[0].type) else None
        return TableInfo(name, columns, False if view else self._timestamp_indexed(name, ts.name), pk, want, view)

    def _is_view(self, name: str) -> bool:
        """Whether the log table is a view (each backend asks its catalog)."""
        return False

    def _check_privileges(self, name: str, present, missing) -> None:
        """Raise LG002 (grants.py) when this user may not read the table or one of its columns."""

    def plan_label(self, sql: str, params) -> str:
        """The database's own words for a read's plan, or "" where it will not say: EXPLAIN of a view
        needs more than SELECT (MariaDB: SHOW VIEW), and a label is never worth failing the read for."""
        try:
            return self.explain(sql, params)
        except Finding:
            return ""

    def _first_id(self, info: TableInfo, since: datetime) -> Tuple[Optional[int], bool, Optional[int]]:
        """The first id of the window, found without an index on timestamp: bisect the
        primary key (ids grow with time). Returns a lower bound (the window's timestamp
        condition still applies to the rows from there), whether the probes kept time order,
        and the table's last id (the window's key range is closed: see `_window`)."""
        pk, ts, t = self.quote(info.pk), self.quote(info.col("timestamp").name), self.quote(info.name)
        # two statements: MIN and MAX together turn off the min/max shortcut and read every row
        lo, hi = self._run(f"SELECT MIN({pk}) FROM {t}")[0][0], self._run(f"SELECT MAX({pk}) FROM {t}")[0][0]
        if lo is None:
            return None, True, None
        last = int(hi)
        lo, hi = int(lo), last + 1
        target = since - BISECT_SLACK
        probe = f"SELECT {pk}, {ts} FROM {t} WHERE {pk} >= {self.ph} ORDER BY {pk} LIMIT 1"
        seen: List[Tuple[int, datetime]] = []
        for _ in range(MAX_BISECT_STEPS):
            if lo >= hi:
                break
            mid = (lo + hi) // 2
            found = self._run(probe, (mid,))
            if not found:
                hi = mid
                continue
            stamp = self._timestamp(found[0][1])
            if stamp is not None:
                seen.append((int(found[0][0]), stamp))
            if stamp is None or stamp >= target:  # unreadable time: keep the row in (conservative)
                hi = mid
            else:
                lo = int(found[0][0]) + 1
        seen.sort()
        ordered = all(b[1] >= a[1] - BISECT_SLACK for a, b in zip(seen, seen[1:]))
        return lo, ordered, last

    def _rows_before_are_older(self, info: TableInfo, first: int, since: datetime) -> bool:
        """The rows just before the bisected first id must lie before the window."""
        pk, ts, t = self.quote(info.pk), self.quote(info.col("timestamp").name), self.quote(info.name)
        before = self._run(f"SELECT {ts} FROM {t} WHERE {pk} < {self.ph} ORDER BY {pk} DESC LIMIT {VERIFY_ROWS}",
                           (first,))
        stamps = [self._timestamp(r[0]) for r in before]
        return all(s is None or s < since for s in stamps)

    def _window(self, info: TableInfo, window: Window, bound=None) -> "Plan":
        """How the window is read. With an index on timestamp: a range of that index. Without
        one but with an integer id: a primary-key range from the bisected first id, verified
        (rows just before it are older than the window, rows after it are not much older; see
        `count`); where ids do not follow time, the whole table, bounded by the statement limit."""
        since = window.since_in(self.column_tz or window.tz)
        ts = self.quote(info.col("timestamp").name)
        value, upper = self._bounds(window, bound)
        between = f"{ts} >= {self.ph} AND {ts} <= {self.ph}"  # bounded above too: a 2099 row is in no window
        if info.indexed:
            plan = Plan(between, [value, upper], "timestamp index", hint=self._index_hint(info))
            return self._key_range(info, plan) if info.pk and self._key_range_after_index else plan
        if not info.pk:
            return Plan(between, [value, upper], "full scan (no index on timestamp, no integer id)")
        first, ordered, last = self._first_id(info, since)
        if first is None:
            return Plan("1 = 0", [], "empty table")
        self._recent_from = int(first)
        if not ordered or not self._rows_before_are_older(info, first, since):
            return self._full_scan_plan(ts, value, upper)
        stray = bound(since - 2 * BISECT_SLACK) if bound else since - 2 * BISECT_SLACK
        # A closed key range, as the indexed path's: an open one (`id >= first`) or a bare `id IN (...)`
        # leaves the choice to the optimizer's statistics, and stale ones (a bulk load, then a restart;
        # innodb_stats_auto_recalc off) say "empty": MariaDB then reads the whole table (issue 23).
        key = f"{self.quote(info.pk)} BETWEEN {self.ph} AND {self.ph}"
        return Plan(f"{key} AND {between}", [int(first), last, value, upper],
                    "primary-key range (first id by bisection: no index on timestamp)",
                    range_where=key, range_params=[int(first), last],
                    stray=(f"{ts} < {self.ph}", [stray]), key_range=(int(first), last), hint=self._key_hint)

    def _key_range(self, info: TableInfo, plan: "Plan") -> "Plan":
        """The window's ids from the timestamp index alone, then its rows as a range of the primary key
        when the ids are about as many as the rows (they follow time). InnoDB reads a secondary index's
        rows one clustered-index lookup each and a key range in order: a day of a 2M-row table, 49 ms
        against 16 ms. The same rows either way: the timestamp condition stays."""
        pk, t = self.quote(info.pk), self.quote(info.name)
        # the ids in the index's order: asked for their COUNT and MIN/MAX directly, MariaDB may read the whole
        # index when stale statistics call the table empty (200k rows: 13 ms against 0.6 ms)
        sql = self._window_ids(f"SELECT {pk} FROM {t}{plan.hint} WHERE {plan.where} "
                               f"ORDER BY {self.quote(info.col('timestamp').name)}", pk)
        n, lo, hi = self._run(sql, plan.params)[0]
        plan.rows = int(n or 0)
        if lo is not None:
            self._recent_from = int(lo)
        if not plan.rows or int(hi) - int(lo) + 1 > 2 * plan.rows + VERIFY_ROWS:
            return plan  # ids far apart: other rows between them, the index reads fewer
        return Plan(f"{pk} BETWEEN {self.ph} AND {self.ph} AND {plan.where}", [int(lo), int(hi)] + plan.params,
                    f"the window's ids by the timestamp index ({self.plan_label(sql, plan.params)}), its rows by "
                    f"primary-key range", rows=plan.rows, key_range=(int(lo), int(hi)), hint=self._key_hint)

    def _index_hint(self, info: TableInfo) -> str:
        """The indexed window's Plan.hint (MySQL: FORCE INDEX of the timestamp index)."""
        return ""

    def _window_ids(self, ids_sql: str, pk: str) -> str:
        """COUNT, MIN and MAX of the ids `ids_sql` selects (MySQL: of a derived table that keeps its order)."""
        return f"SELECT COUNT(*), MIN({pk}), MAX({pk}) FROM ({ids_sql}) AS w"

    def _bounds(self, window: Window, bound=None) -> tuple:
        """The window's lower and upper bounds as the SQL parameters this column compares with."""
        tz = self.column_tz or window.tz
        since, until = window.since_in(tz), window.until_in(tz)
        return (bound(since) if bound else since), self._upper_value(until, bound)

    def _upper_value(self, until: datetime, bound=None):
        return bound(until) if bound else until

    def _full_scan_plan(self, ts: str, value, upper) -> "Plan":
        return Plan(f"{ts} >= {self.ph} AND {ts} <= {self.ph}", [value, upper],
                    "full scan: ids do not follow time and there is no index on timestamp", unordered=True)

    def count(self, info: TableInfo, plan: "Plan", window: Window, bound=None,
              gigachat: bool = True) -> Tuple[int, Optional[int], "Plan"]:
        """The rows of the window and those about GigaChat (counted here: they are many, and only
        their number matters). On a bisected key range this also counts the rows of the range that
        are far older than the window: any such row means ids do not follow time, and the window is
        read again as a full scan."""
        t, gig = self.quote(info.name), (self._gigachat(info) if gigachat else "0")
        if plan.rows is not None and not gigachat:
            return plan.rows, None, plan
        if plan.stray is None:
            n, g = self._run(f"SELECT COUNT(*), COALESCE(SUM({gig}), 0) FROM {t}{plan.hint} WHERE {plan.where}",
                             plan.params)[0]
            return int(n or 0), (int(g or 0) if gigachat else None), plan
        stray_sql, stray_params = plan.stray
        in_window = plan.where[len(plan.range_where) + len(" AND "):]
        own = plan.params[len(plan.range_params):]
        n, g, strays = self._run(
            f"SELECT COALESCE(SUM({in_window}), 0), COALESCE(SUM(({in_window}) AND {gig}), 0), "
            f"COALESCE(SUM({stray_sql}), 0) FROM {t}{plan.hint} WHERE {plan.range_where}",
            own + own + stray_params + plan.range_params)[0]
        if int(strays or 0):
            plan = self._full_scan_plan(self.quote(info.col("timestamp").name), *self._bounds(window, bound))
            return self.count(info, plan, window, bound, gigachat)
        plan.rows = int(n or 0)  # the window's rows: a big one is passed in two halves, as the indexed one
        return plan.rows, (int(g or 0) if gigachat else None), plan

    def _plan(self, info: TableInfo, window: Window, gigachat: bool = True) -> Tuple[int, Optional[int], "Plan"]:
        plan = self._window(info, window, self._bound)
        total, gigachat, plan = self.count(info, plan, window, self._bound, gigachat)
        self._unordered = plan.unordered
        return total, gigachat, plan

    def _gigachat_in_pass(self, info: TableInfo) -> bool:
        """Whether `_candidates(kind="scan")` counts the GigaChat rows itself (in `_pass_gigachat`)."""
        return False

    def _candidates(self, info: TableInfo, plan: "Plan", window: Window, kind: Optional[str]):
        """(key, time, level, message) of the window's rows that SQL keeps: `scan`, the rows that may
        show a code; `shown`, also the viewer's topics and saved images; `gigachat`, the rows about
        GigaChat; None, all. The precise test is the caller's, in Python."""
        key = self.quote(info.pk) if info.pk else self._no_key
        cols = ", ".join(self.quote(info.col(c).name) for c in ("timestamp", "level", "message"))
        where, params = plan.where, list(plan.params)
        if kind == "gigachat":
            where = f"{where} AND {self._gigachat(info)}"
        elif kind:
            cond, extra = self._prefilter(info, kind)
            where, params = f"{where} AND {cond}", params + extra
        sql = f"SELECT {key}, {cols} FROM {self.quote(info.name)}{plan.hint} WHERE {where}"
        out = []
        for k, stamp, level, message in self._fetch(sql, params):
            shown = self._in_window(stamp, window)
            if shown is not None:
                out.append((int(k or 0), shown, as_text(level).strip(), message))
        return out, sql, params

    def scan(self, window: Window, flt: Filter) -> Scan:
        """Every signature counted in one pass: SQL picks the rows holding a needle, Python decides."""
        info = self.table_info()
        in_pass = self._gigachat_in_pass(info)
        total, gigachat, plan = self._plan(info, window, gigachat=not in_pass)
        rows, sql, params = self._candidates(info, plan, window, "scan")
        if in_pass:
            gigachat = self._pass_gigachat
        self._scanned = (window, plan)  # the success lookup (incidents) reads the same window
        tally = Tally(flt)
        for key, stamp, level, message in rows:
            tally.add(stamp, level, message, key)
        tally.gigachat = gigachat
        if gigachat and not tally.saved:  # LG018 asks whether an image was saved at all
            tally.saved = self._image_saved(info, plan, window)
            if not tally.saved and not tally.attempted:  # ... and only where one was asked for
                tally.attempted = self._image_attempted(info, plan, window)
        said = self.plan_label(sql, params)
        scan = tally.scan(self.label, f"{plan.label} [{said}]" if said else plan.label)
        scan.rows = total
        if scan.counts[LG018] and flt.limit:  # rare: GigaChat used, no image saved; then its rows are the evidence
            newest = Newest(flt.limit)
            for key, stamp, level, message in self._candidates(info, plan, window, "gigachat")[0]:
                text = as_text(message)
                if flt.accepts(level, fold(text)):
                    newest.add(Row(stamp, level, text[:EXCERPT_CHARS], len(text), key))
            scan.samples[LG018] = newest.rows()
        if plan.unordered:
            scan.notes.append(f"{self.label}: ids do not follow time and there is no index on timestamp: the whole "
                              f"table was read (add the index: {self.create_index_sql(info)})")
        return scan

    def successes(self, window: Window, hosts, wanted=None, enough=None) -> Dict[str, "Success"]:
        """kind -> the newest row of the window showing that kind of work succeeding (success.py). SQL keeps
        the rows holding a success needle, the newest batch first (on a busy site it shows every kind), all of
        them only when a kind `wanted` is still missing and `enough(found)` is not true; Python decides."""
        from .incidents import Success
        from .success import KINDS, kinds_of
        info = self.table_info()
        scanned = getattr(self, "_scanned", None)
        plan = scanned[1] if scanned is not None and scanned[0] is window else self._plan(info, window)[2]
        cond, extra = self._prefilter(info, "success")
        ts = self.quote(info.col("timestamp").name)
        cols = ", ".join(self.quote(info.col(c).name) for c in ("timestamp", "level", "message"))
        # newest first: by the index on timestamp, else by the id a key-range plan read (ids follow time there:
        # read backwards, the batch stops early), else sorted
        order = self.quote(info.pk) if plan.key_range is not None and not info.indexed else ts
        sql = (f"SELECT {cols} FROM {self.quote(info.name)}{plan.hint} WHERE {plan.where} AND {cond} "
               f"ORDER BY {order} DESC")
        wanted = set(KINDS if wanted is None else wanted)
        found: Dict[str, Success] = {}
        for limit in (SUCCESS_BATCH, None):
            rows = self._fetch(sql + (f" LIMIT {limit}" if limit else ""), list(plan.params) + extra)
            for stamp, level, message in rows:
                shown = self._in_window(stamp, window)
                if shown is None:
                    continue
                text = as_text(message)
                for kind in kinds_of(text, hosts):
                    if kind not in found or shown > found[kind].at:
                        found[kind] = Success(kind, shown, Row(shown, as_text(level).strip(), text[:200],
                                                               len(text)).line(200))
            if len(rows) < SUCCESS_BATCH or wanted <= set(found) or (enough is not None and enough(found)):
                break  # the newest batch showed what the incidents ask (`enough`): the older rows cannot change it
        return found

    def _image_saved(self, info: TableInfo, plan: "Plan", window: Window) -> int:
        """1 when a row of the window shows a saved image."""
        return self._window_shows(info, plan, window, "saved", shows_saved)

    def _image_attempted(self, info: TableInfo, plan: "Plan", window: Window) -> int:
        """1 when a row of the window shows image generation at work (LG018 asks only then)."""
        return self._window_shows(info, plan, window, "attempt", attempts_image)

    def _window_shows(self, info: TableInfo, plan: "Plan", window: Window, kind: str, decides) -> int:
        """1 when a row of the window holding the `kind` needles passes `decides`. SQL keeps the rows holding
        a needle, a batch first (on a busy site the first rows show one), all of them only if none does."""
        cond, extra = self._prefilter(info, kind)
        cols = ", ".join(self.quote(info.col(c).name) for c in ("timestamp", "message"))
        sql = f"SELECT {cols} FROM {self.quote(info.name)}{plan.hint} WHERE {plan.where} AND ({cond})"
        for limit in (SAVED_BATCH, None):
            found = self._fetch(sql + (f" LIMIT {limit}" if limit else ""), list(plan.params) + extra)
            if any(self._in_window(stamp, window) is not None and decides(message) for stamp, message in found):
                return 1
            if len(found) < SAVED_BATCH:
                return 0
        return 0

    def rows(self, window: Window, flt: Filter, topics: Optional[Signature] = VIEWER_TOPICS) -> List[Row]:
        """The viewer's rows: the site's topics and every row a check counts (all rows with
        `topics=None`), narrowed by level and search, newest first."""
        info = self.table_info()
        _, _, plan = self._plan(info, window)
        out = Newest(flt.limit)
        for key, stamp, level, message in self._candidates(info, plan, window, "shown" if topics else None)[0]:
            text = as_text(message)
            if (topics is None or classify(level, text).topic) and flt.accepts(level, fold(text)):
                out.add(Row(stamp, level, text, len(text), key))
        return out.rows()

    def stream(self, window: Window, flt: Filter, topics: Optional[Signature] = VIEWER_TOPICS) -> Iterator[Row]:
        """The viewer's rows as `rows` picks them, every one of the window, newest first, in constant memory:
        keyset pages of STREAM_PAGE rows by (timestamp, id) descending, never the window fetched at once
        (`--limit 0` exports 200,000 rows in a few MiB). `flt.limit` is the caller's to apply."""
        info = self.table_info()
        if not info.pk:  # no integer id to page by (a MySQL/PostgreSQL table without one): the window at once
            yield from self.rows(window, replace(flt, limit=1 << 62), topics)
            return
        plan = self._stream_plan(info, window)
        ts, pk = self.quote(info.col("timestamp").name), self.quote(info.pk)
        cols = ", ".join(self.quote(info.col(c).name) for c in ("timestamp", "level", "message"))
        cond, extra = self._prefilter(info, "shown") if topics else ("1 = 1", [])
        base = f"SELECT {pk}, {cols} FROM {self.quote(info.name)}{plan.hint} WHERE {plan.where} AND {cond}"
        order = f" ORDER BY {ts} DESC, {pk} DESC LIMIT {STREAM_PAGE}"
        after: Optional[tuple] = None
        for _ in range(MAX_STREAM_PAGES):
            if after is None:
                page = self._fetch(base + order, list(plan.params) + extra)
            else:
                # `ts <= last` is implied by the keyset condition, and said: it keeps each page one range of the
                # timestamp index read backwards (with the OR alone SQLite reads two and sorts the rest of the
                # window for every page: 200,000 rows exported in 20 s against 7 s, bench/bench_export.py)
                page = self._fetch(base + f" AND {ts} <= {self.ph} AND ({ts} < {self.ph} OR ({ts} = {self.ph} AND "
                                   f"{pk} < {self.ph}))" + order,
                                   list(plan.params) + extra + [after[0], after[0], after[0], after[1]])
            for key, stamp, level, message in page:
                shown = self._in_window(stamp, window)
                if shown is None:
                    continue
                text, level = as_text(message), as_text(level).strip()
                if (topics is None or classify(level, text).topic) and flt.accepts(level, fold(text)):
                    yield Row(shown, level, text, len(text), int(key or 0))
            if len(page) < STREAM_PAGE:
                return
            after = (page[-1][1], page[-1][0])

    def _stream_plan(self, info: TableInfo, window: Window) -> "Plan":
        """The window as `stream` pages through it: with an index on timestamp, a range of that index (each
        page then reads its rows in order, no sort); else the window's plan (a key range or a full scan)."""
        if not info.indexed:
            return self._plan(info, window, gigachat=False)[2]
        value, upper = self._bounds(window, self._bound)  # bounded above too: a 2099 row is in no window
        ts = self.quote(info.col('timestamp').name)
        return Plan(f"{ts} >= {self.ph} AND {ts} <= {self.ph}", [value, upper], "timestamp index",
                    hint=self._index_hint(info))

    def _timestamp(self, value) -> Optional[datetime]:
        return parse_timestamp(value, timezone.utc)  # naive values stay as they are

    def _in_window(self, value, window: Window) -> Optional[datetime]:
        """The stored time as shown, when it lies in the window (SQL's bound may be a superset: exact here)."""
        shown = self._shown_time(value, window)
        return shown if window.holds(shown) else None

    def _shown_time(self, value, window: Window) -> Optional[datetime]:
        """A stored time in the window's zone, for display and comparison."""
        stamp = self._timestamp(value)
        if stamp is not None and self.column_tz is not None and self.column_tz != window.tz:
            stamp = stamp.replace(tzinfo=self.column_tz).astimezone(window.tz).replace(tzinfo=None)
        return stamp

    # --- the site's clock (clock.py): rows ahead of the window, stamps that are no date ----------------------
    _recent_from: Optional[int] = None  # the window's first id, once a plan has found it

    def _unreadable_sql(self, info: TableInfo) -> Optional[str]:
        """A condition true for stamps that cannot be a date (None: the column's type holds only dates)."""
        return None

    def _date_typed(self, info: TableInfo) -> bool:
        words = info.col("timestamp").type.lower().replace("(", " ").split()
        return bool(words) and words[0] in ("datetime", "timestamp", "date", "timestamptz")

    def clock(self, window: Window) -> Clock:
        """LG008 and LG009's rows: those dated after the window's end (by the timestamp index, else among the
        recent ids, else the whole table), and those whose stamp is no date (among the recent ids, else the
        whole table; only where the column can hold such values). SQL keeps a superset, Python decides."""
        info = self.table_info()
        found = Clock()
        t, ts = self.quote(info.name), self.quote(info.col("timestamp").name)
        cols = (f"{ts}, {self.quote(info.col('level').name)}, "
                f"SUBSTR({self.quote(info.col('message').name)}, 1, {CLOCK_EXCERPT})")
        since, upper = self._bounds(window, self._bound)
        scope, scope_params = self._recent_scope(info, window, since, upper)
        ahead_where = f"{ts} > {self.ph}"
        ahead_params = [self._ahead_value(window)]
        if not info.indexed and scope:
            ahead_where, ahead_params = f"{scope} AND {ahead_where}", scope_params + ahead_params
        for stamp, level, message in self._fetch(f"SELECT {cols} FROM {t} WHERE {ahead_where} "
                                                 f"LIMIT {CLOCK_ROWS}", ahead_params):
            shown = self._shown_time(stamp, window)
            if shown is not None and shown > window.until_local:
                found.add_ahead(shown, as_text(level).strip(), as_text(message))
        odd = self._unreadable_sql(info)
        if odd is not None:
            where, params = (f"{scope} AND ({odd})", list(scope_params)) if scope else (odd, [])
            for stamp, level, message in self._fetch(f"SELECT {cols} FROM {t} WHERE {where} LIMIT {CLOCK_ROWS}",
                                                     params):
                if stamp is None or self._timestamp(stamp) is None:
                    found.add_unreadable(stamp, as_text(level).strip(), as_text(message))
        return found

    def _ahead_value(self, window: Window):
        tz = self.column_tz or window.tz
        until = window.until_in(tz)
        return self._bound(until) if self._bound else until

    def _recent_scope(self, info: TableInfo, window: Window, since, upper) -> Tuple[str, list]:
        """`id >= first` for the window's first id (a bisection or the index found it), or '' (the whole table)."""
        if not info.pk:
            return "", []
        if self._recent_from is None:
            if info.indexed:
                ts = self.quote(info.col("timestamp").name)
                got = self._run(f"SELECT MIN({self.quote(info.pk)}) FROM {self.quote(info.name)}"
                                f"{self._index_hint(info)} WHERE {ts} >= {self.ph} AND {ts} <= {self.ph}",
                                [since, upper])
                first = got[0][0] if got else None
                if first is None:  # nothing in the window: the newest ids are the recent part
                    last = self._run(f"SELECT MAX({self.quote(info.pk)}) FROM {self.quote(info.name)}")[0][0]
                    first = max(0, int(last or 0) - CLOCK_ROWS)
                self._recent_from = int(first)
            else:
                self._plan(info, window, gigachat=False)  # the bisection finds the window's first id
                if self._recent_from is None:
                    return "", []
        return f"{self.quote(info.pk)} >= {self.ph}", [self._recent_from]

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



def _time_limit(label: str, limit: float, said: str, unordered: bool = False) -> Finding:
    if unordered:
        return Finding("LG006", say("logs.unordered", label=label, limit=f"{limit:g}", said=said),
                       subject=TABLE_SUBJECT)
    return Finding("LG007", say("logs.time_limit", label=label, limit=f"{limit:g}", said=said), subject=DB_SUBJECT)
