"""The log table on SQLite (Django's default database), and the embedded database of mock mode."""

from __future__ import annotations

import sqlite3
import time
from datetime import datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Tuple
from urllib.request import pathname2url

from ..diagnosis import Finding
from ..words import say
from .sql import Column, SQLSource, _time_limit
from .store import CONNECT_TIMEOUT_S, DB_SUBJECT, STATEMENT_LIMIT_S, TABLE_SUBJECT, DbUrl, LogTable
from .signatures import HTTPX_REQUEST, picks, picks_for_scan, shows_saved
from .success import may_show_success


class SQLiteSource(SQLSource):
    """Django's default database, and the embedded one of mock mode. Opened read-only; SQL
    keeps the rows holding a needle (GLOB, any case), Python decides."""

    kind = "sqlite"
    ph = "?"

    def __init__(self, url: DbUrl, table: LogTable, statement_limit: float = STATEMENT_LIMIT_S):
        super().__init__(url, table, statement_limit)
        path = Path(url.path)
        # LG002 speaks of this file, not of a server (diagnosis: the "sqlite" variant)
        self._about = {"situation": "sqlite", "fields": {"path": str(path.absolute())}}
        if not path.is_file():
            key = "logs.no_db_file" if not path.exists() else "logs.db_not_file"
            raise Finding("LG002", say(key, label=self.label), subject=DB_SUBJECT, **self._about)
        try:
            self.conn = sqlite3.connect(f"file:{pathname2url(str(path.resolve()))}?mode=ro", uri=True,
                                        timeout=CONNECT_TIMEOUT_S, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            raise Finding("LG002", f"{self.label}: {exc}", subject=DB_SUBJECT, **self._about) from None
        # bytes that are not UTF-8 must not stop the read
        self.conn.text_factory = lambda b: b.decode("utf-8", "replace")
        self._deadline = None
        self.conn.set_progress_handler(self._progress, 10000)
        self.conn.create_function("gigacheck_picks", 1, picks, deterministic=True)
        self.conn.create_function("gigacheck_picks_for_scan", 2, picks_for_scan, deterministic=True)
        self.conn.create_function("gigacheck_shows_saved", 1, shows_saved, deterministic=True)
        self.conn.create_function("gigacheck_may_show_success", 1, may_show_success, deterministic=True)

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
            return _time_limit(self.label, self.statement_limit, text, self._unordered)
        if "no such table" in text:
            return Finding("LG003", f"{self.label}: {text}", subject=TABLE_SUBJECT)
        if "no such column" in text:
            return Finding("LG004", f"{self.label}: {text}", subject=TABLE_SUBJECT)
        return Finding("LG002", f"{self.label}: {text}", subject=DB_SUBJECT, **self._about)

    def _find_table(self, name: str) -> Optional[str]:
        found = [r[0] for r in self._run("SELECT name FROM sqlite_master WHERE type IN ('table', 'view') "
                                         "AND lower(name) = lower(?)", (name,))]
        if name in found:
            return name
        return found[0] if len(found) == 1 else None

    def _columns(self, name: str) -> List[Column]:
        return [Column(r[0], r[1] or "") for r in self._run("SELECT name, type FROM pragma_table_info(?)", (name,))]

    def _is_view(self, name: str) -> bool:
        # a view has no rowid to read by range: its rows are read by time alone
        rows = self._run("SELECT type FROM sqlite_master WHERE name = ?", (name,))
        return bool(rows) and rows[0][0] == "view"

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

    # As text, as Django stores it: exact for its own format, a superset for others (`T`), exact in Python.
    _bound = staticmethod(lambda since: since.isoformat(sep=" "))

    def _prefilter(self, info, kind: str) -> Tuple[str, list]:
        """SQLite's own case folding (LIKE, lower) is ASCII only, and a GLOB per needle with a case
        class per letter costs 12 times more than these functions of `signatures`."""
        # as bytes: text that is not UTF-8 would fail the call before it starts; picks decodes it leniently
        msg = f"CAST({self.quote(info.col('message').name)} AS BLOB)"
        if kind == "scan":
            return f"gigacheck_picks_for_scan({self.quote(info.col('level').name)}, {msg})", []
        if kind == "saved":
            return f"gigacheck_shows_saved({msg})", []
        if kind == "success":
            return f"gigacheck_may_show_success({msg})", []
        return f"gigacheck_picks({msg})", []

    def _gigachat(self, info) -> str:
        # lower() folds ASCII, and the needles are ASCII: exact, and done in C for every row; httpx's
        # request lines are no use of GigaChat (signatures.HTTPX_REQUEST)
        m = f"lower({self.quote(info.col('message').name)})"
        return f"(instr({m}, 'gigachat') > 0 AND instr({m}, '{HTTPX_REQUEST}') = 0)"

    def _fetch(self, sql: str, params: Sequence = ()) -> list:
        return self._run(sql, params)  # all rows fetched under the limit, then the limit is off

    def explain(self, sql: str, params: Sequence = ()) -> str:
        """SQLite's own words for the plan (EXPLAIN QUERY PLAN), as the label shows it."""
        return "; ".join(str(r[-1]) for r in self._run(f"EXPLAIN QUERY PLAN {sql}", params))

    def close(self) -> None:
        conn, self.conn = getattr(self, "conn", None), None
        if conn is not None:
            conn.close()


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
    conn = sqlite3.connect(str(path), isolation_level=None)
    try:
        # a throwaway file (mock mode, tests): no fsync, one transaction; each DDL statement committed
        # on its own cost 20 ms of syncing on a slow disk, a third of the mock run's log checks
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("PRAGMA journal_mode = MEMORY")
        conn.execute("BEGIN")
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
        conn.execute("COMMIT")
    finally:
        conn.close()
    return path


def _age(row: dict) -> timedelta:
    return timedelta(hours=float(row.get("hours_ago", 0)), minutes=float(row.get("minutes_ago", 0)),
                     seconds=float(row.get("seconds_ago", 0)))
