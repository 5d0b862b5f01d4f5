"""The log table on SQLite (Django's default database), and the embedded database of mock mode."""

from __future__ import annotations

import sqlite3
import time
from datetime import datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Dict, Iterable, Iterator, List, Optional, Sequence, Tuple
from urllib.request import pathname2url

from ..diagnosis import Finding
from .sql import Column, SQLSource, _time_limit
from .store import (CONNECT_TIMEOUT_S, DB_SUBJECT, STATEMENT_LIMIT_S, TABLE_SUBJECT, DbUrl, Filter, LogTable,
                       Newest, Row, Scan, Tally, Window)
from .signatures import VIEWER_TOPICS, Signature, as_text, fold, matches


class SQLiteSource(SQLSource):
    """Django's default database, and the embedded one of mock mode. Opened read-only;
    rows are classified in Python (SQLite's LIKE folds ASCII only)."""

    kind = "sqlite"
    ph = "?"

    def __init__(self, url: DbUrl, table: LogTable, statement_limit: float = STATEMENT_LIMIT_S):
        super().__init__(url, table, statement_limit)
        path = Path(url.path)
        # LG002 speaks of this file, not of a server (diagnosis: the "sqlite" variant)
        self._about = {"situation": "sqlite", "fields": {"path": str(path.absolute())}}
        if not path.is_file():
            raise Finding("LG002", f"{self.label}: no such database file" if not path.exists() else
                          f"{self.label}: not a file", subject=DB_SUBJECT, **self._about)
        try:
            self.conn = sqlite3.connect(f"file:{pathname2url(str(path.resolve()))}?mode=ro", uri=True,
                                        timeout=CONNECT_TIMEOUT_S, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            raise Finding("LG002", f"{self.label}: {exc}", subject=DB_SUBJECT, **self._about) from None
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
        return Finding("LG002", f"{self.label}: {text}", subject=DB_SUBJECT, **self._about)

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
