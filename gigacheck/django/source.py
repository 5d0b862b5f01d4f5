"""The log table read through a Django site's own connection, `connections[alias]`.

The driver connection Django opened (its HOST, socket, OPTIONS, router-chosen alias, TLS) feeds the
sources gigacheck already has, each under its own promises: PostgreSQL in one READ ONLY transaction
with `SET LOCAL statement_timeout`; MySQL/MariaDB in `START TRANSACTION READ ONLY` with the session's
statement limit; SQLite with `PRAGMA query_only` and the progress handler. What is changed on the
site's connection is put back when the source closes; the connection itself stays Django's.
Other backends are read with plain SELECTs (their SQL and their limits are the backend's own).
"""

from __future__ import annotations

import types
from typing import Optional

from ..diagnosis import Finding
from ..logs.mysql import MySQLSource
from ..logs.postgres import PostgresSource
from ..logs.sql import SQLSource
from ..logs.sqlite import SQLiteSource
from ..logs.store import DB_SUBJECT, DbUrl, LogTable
from ..logs.signatures import picks, picks_for_scan, shows_saved
from ..logs.success import may_show_success


def open_site_database(url: DbUrl, table: LogTable, statement_limit: float) -> SQLSource:
    from .site import setup
    setup()
    from django.db import connections
    alias = url.database
    if alias not in connections:
        raise Finding("LG001", f"Django DATABASES has no {alias!r} (it has {', '.join(connections) or 'none'})",
                      subject=DB_SUBJECT)
    site = connections[alias]
    label = f"{url.label} ({site.vendor})"
    try:
        site.ensure_connection()
    except Exception as exc:  # the driver's own words, as Django raised them
        raise Finding("LG002", f"{label}: {_first_line(exc)}", subject=DB_SUBJECT,
                      **_about(site)) from None
    if not site.get_autocommit() or site.in_atomic_block:
        raise Finding("LG002", f"{label}: the connection is inside a transaction of the site's; gigacheck reads in "
                               f"a read-only one of its own", subject=DB_SUBJECT, **_about(site))
    kind = {"postgresql": SitePostgres, "mysql": SiteMySQL, "sqlite": SiteSQLite}.get(site.vendor)
    if kind is None:
        raise Finding("LG001", f"{label}: the log checks read PostgreSQL, MySQL/MariaDB and SQLite connections; "
                               f"this one is {site.vendor}", subject=DB_SUBJECT)
    source = kind(url, table, statement_limit, site)
    source.label = label
    return source


def _about(site) -> dict:
    if site.vendor == "sqlite":
        return {"situation": "sqlite", "fields": {"path": str(site.settings_dict.get("NAME") or "")}}
    if site.vendor == "postgresql":
        return {"situation": "postgresql", "fields": {"label": f"connections[{site.alias!r}]"}}
    return {}


def _first_line(exc) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class SitePostgres(PostgresSource):
    """PostgreSQL through the site's psycopg (3 or 2) connection, in autocommit as Django keeps it: the
    source's own BEGIN ... READ ONLY and SET LOCAL end with its ROLLBACK."""

    def __init__(self, url: DbUrl, table: LogTable, statement_limit: float, site):
        self.site = site
        super().__init__(url, table, statement_limit, conn=site.connection)

    def _end(self, conn) -> None:
        cur = conn.cursor()
        try:
            cur.execute("ROLLBACK")  # the connection stays open: it is Django's
        finally:
            cur.close()


class SiteMySQL(MySQLSource):
    """MySQL/MariaDB through the site's driver (mysqlclient, or PyMySQL as MySQLdb)."""

    _restore = ("max_statement_time", "time_zone", "group_concat_max_len")

    def __init__(self, url: DbUrl, table: LogTable, statement_limit: float, site):
        SQLSource.__init__(self, url, table, statement_limit)
        self.site, self.conn = site, site.connection
        # MySQLSource catches its driver's errors as `self._pymysql.err.MySQLError`: the site's driver's
        self._pymysql = types.SimpleNamespace(err=types.SimpleNamespace(MySQLError=site.Database.Error))
        self.server = str(site.mysql_server_info or "")
        self.mariadb = bool(site.mysql_is_mariadb)
        if not self.mariadb:
            self._restore = ("max_execution_time", "time_zone", "group_concat_max_len")
        names = ", ".join(f"@@SESSION.{n}" for n in self._restore)
        self._before = dict(zip(self._restore, self._run(f"SELECT {names}")[0]))
        try:
            if self.mariadb:
                self._run("SET SESSION max_statement_time = %s", (self.statement_limit,))
            else:
                self._run("SET SESSION MAX_EXECUTION_TIME = %s", (int(self.statement_limit * 1000),))
            self._run("START TRANSACTION READ ONLY")  # one snapshot, read-only; the session is left as it was
        except Finding:
            self.close()
            raise

    def _in_parts(self, part, plan):
        return [part(self, plan.params)]  # one connection: Django's is the thread's own

    def close(self) -> None:
        conn, self.conn = getattr(self, "conn", None), None
        if conn is None:
            return
        try:
            cur = conn.cursor()
            try:
                cur.execute("ROLLBACK")
                for name, value in getattr(self, "_before", {}).items():
                    cur.execute(f"SET SESSION {name} = %s", (value,))
            finally:
                cur.close()
        except Exception:
            pass


class SiteSQLite(SQLiteSource):
    """SQLite through the site's sqlite3 connection: `PRAGMA query_only` for the source's life (writes
    refused by SQLite itself), the progress handler as the statement limit, gigacheck's functions."""

    def __init__(self, url: DbUrl, table: LogTable, statement_limit: float, site):
        SQLSource.__init__(self, url, table, statement_limit)
        self.site, self.conn = site, site.connection
        self._about = _about(site)
        self._text_factory = self.conn.text_factory
        self.conn.text_factory = lambda b: b.decode("utf-8", "replace")  # bytes that are not UTF-8 must not stop it
        self._query_only = self._run("PRAGMA query_only")[0][0]
        self._run("PRAGMA query_only = 1")
        self._deadline = None
        self.conn.set_progress_handler(self._progress, 10000)
        self.conn.create_function("gigacheck_picks", 1, picks, deterministic=True)
        self.conn.create_function("gigacheck_picks_for_scan", 2, picks_for_scan, deterministic=True)
        self.conn.create_function("gigacheck_shows_saved", 1, shows_saved, deterministic=True)
        self.conn.create_function("gigacheck_may_show_success", 1, may_show_success, deterministic=True)

    def close(self) -> None:
        conn, self.conn = getattr(self, "conn", None), None
        if conn is None:
            return
        try:
            conn.set_progress_handler(None, 0)
            conn.execute(f"PRAGMA query_only = {int(bool(self._query_only))}")
            conn.text_factory = self._text_factory
        except Exception:
            pass


def site_table_info(alias: str, table: Optional[LogTable] = None):
    """(source label, TableInfo, CREATE INDEX statement) of the site's log table on `alias`: raises the
    Finding (LG001-LG004) that stands in the way."""
    from ..logs.store import STATEMENT_LIMIT_S, parse_database_url
    source = open_site_database(parse_database_url(f"django://{alias}"), table or LogTable(), STATEMENT_LIMIT_S)
    try:
        info = source.table_info()
        return source.label, info, source.create_index_sql(info)
    finally:
        source.close()
