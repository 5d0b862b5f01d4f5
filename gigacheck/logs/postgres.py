"""The log table on PostgreSQL, through psycopg 3 (extra `gigacheck[postgres]`): the server keeps the
rows holding a needle, Python decides.

The same promises as MariaDB: one read-only transaction (one snapshot: counts and rows agree) with
`statement_timeout` on every statement, quoted identifiers (Django creates "Asistent_systemlog" in mixed
case), and a pass that follows the window with or without a timestamp index. Every statement that reads
by id or by time carries a closed range: without statistics (a table never analyzed, autovacuum behind a
bulk load) the planner guesses that `id >= $1` keeps a third of the table and reads all of it, while for a
closed range (`BETWEEN`) it guesses a small part and takes the index.
"""

from __future__ import annotations

import math
import re
from datetime import timezone
from typing import Dict, List, Optional, Sequence, Tuple

from ..diagnosis import Finding
from ..words import say
from .signatures import HTTPX_REQUEST, NEEDLES, SAVED_NEEDLES, SCAN_NEEDLES, as_text, at_or_above
from . import grants
from .sql import Column, Plan, SQLSource, TableInfo, _time_limit
from .store import CONNECT_TIMEOUT_S, DB_SUBJECT, STATEMENT_LIMIT_S, TABLE_SUBJECT, DbUrl, LogTable

# SQLSTATEs: https://www.postgresql.org/docs/current/errcodes-appendix.html
QUERY_CANCELED, UNDEFINED_TABLE, UNDEFINED_COLUMN = "57014", "42P01", "42703"
# libpq's own options that may come in the URL's query (?sslmode=verify-full&sslrootcert=...)
LIBPQ_OPTIONS = ("sslmode", "sslrootcert", "sslcert", "sslkey", "sslcrl", "host", "hostaddr", "target_session_attrs",
                 "gssencmode", "channel_binding", "options")
_REGEX_SPECIAL = set("\\.^$|?*+()[]{}")


def needle_pattern(needles: Sequence[str]) -> str:
    """One regular expression of the needles for `~*`. PostgreSQL's case-insensitive match folds only
    ASCII where the database's LC_CTYPE is C, so each other letter comes as a class of both cases:
    `[пП]`, whatever the locale."""
    def one(needle: str) -> str:
        out = []
        for ch in needle:
            if ch in _REGEX_SPECIAL:
                out.append("\\" + ch)
            elif not ch.isascii() and ch.upper() != ch:
                out.append(f"[{ch}{ch.upper()}]")
            else:
                out.append(ch)
        return "".join(out)
    return "|".join(one(n) for n in needles)


class PostgresSource(SQLSource):
    kind = "postgresql"
    ph = "%s"

    def __init__(self, url: DbUrl, table: LogTable, statement_limit: float = STATEMENT_LIMIT_S,
                 connect_timeout: float = CONNECT_TIMEOUT_S, conn=None):
        super().__init__(url, table, statement_limit)
        if conn is None:
            conn = self._connect(url, connect_timeout)
        self.conn = conn
        self._errors = _driver_errors(conn)
        try:
            self._session()
        except Finding:
            self.close()
            raise

    def _connect(self, url: DbUrl, connect_timeout: float):
        try:
            import psycopg
        except ImportError:
            raise Finding("LG002", say("logs.no_psycopg", label=self.label), subject=DB_SUBJECT,
                          situation="postgresql", fields={"label": self.label}) from None
        opts = {k: v for k, v in url.options if k in LIBPQ_OPTIONS}
        # libpq's own bounds: the connect timeout (whole seconds, at least 2), and unacknowledged data on
        # the socket (a peer gone silent mid-statement) given up after the statement limit
        kwargs = dict(host=url.host, port=url.port, user=url.user or None, password=url.password or None,
                      dbname=url.database, connect_timeout=max(2, math.ceil(connect_timeout)),
                      application_name="gigacheck", autocommit=True,
                      tcp_user_timeout=int((self.statement_limit + 5) * 1000), **opts)
        try:
            return psycopg.connect(**{k: v for k, v in kwargs.items() if v is not None})
        except psycopg.Error as exc:
            text = _first_line(exc)
            if "timeout expired" in text:
                raise Finding("LG002", say("logs.silent_server", label=self.label, seconds=f"{connect_timeout:g}",
                                           text=text), subject=DB_SUBJECT, situation="postgresql",
                              fields={"label": self.label}) from None
            raise self._finding(exc) from None
        except (OSError, ValueError) as exc:
            raise Finding("LG002", f"{self.label}: {exc}", subject=DB_SUBJECT, situation="postgresql",
                          fields={"label": self.label}) from None

    def _session(self) -> None:
        """One read-only transaction, every statement in it bounded by the server. LOCAL: the settings end
        with the transaction (a Django site's own connection is left as it was)."""
        self._run("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        self._run(f"SET LOCAL statement_timeout = {max(1, int(self.statement_limit * 1000))}")
        self._run(f"SET LOCAL idle_in_transaction_session_timeout = {max(1, int(self.statement_limit * 6000))}")

    def quote(self, ident: str) -> str:
        return '"' + ident.replace('"', '""') + '"'

    def _run(self, sql: str, params: Sequence = ()) -> list:
        try:
            cur = self.conn.cursor()
            try:
                cur.execute(sql, tuple(params) if params else None)
                return list(cur.fetchall()) if cur.description is not None else []
            finally:
                cur.close()
        except self._errors as exc:
            raise self._finding(exc) from None
        except (OSError, ValueError) as exc:
            raise Finding("LG002", f"{self.label}: {exc}", subject=DB_SUBJECT, situation="postgresql",
                          fields={"label": self.label}) from None

    def _fetch(self, sql: str, params: Sequence = ()) -> list:
        return self._run(sql, params)  # the server's limit bounds the statement; the rows are all read here

    def _finding(self, exc) -> Finding:
        state = _sqlstate(exc)
        text = _first_line(exc)
        if state == QUERY_CANCELED:
            return _time_limit(self.label, self.statement_limit, text, self._unordered)
        if state == grants.PG_INSUFFICIENT_PRIVILEGE:  # may connect, may not read (a column, the table)
            who = self.url.user or "reader"
            return grants.denied(self.label, "postgresql", self.table.name, f'"{who}"',
                                 grants.postgres_grant(self.table.name, who), said=text)
        if state == UNDEFINED_TABLE:
            return Finding("LG003", f"{self.label}: {text}", subject=TABLE_SUBJECT)
        if state == UNDEFINED_COLUMN:
            return Finding("LG004", f"{self.label}: {text}", subject=TABLE_SUBJECT)
        return Finding("LG002", f"{self.label}: {text}" + (f" (PostgreSQL error {state})" if state else ""),
                       subject=DB_SUBJECT, situation="postgresql", fields={"label": self.label})

    # --- the table ----------------------------------------------------------------------------------
    def _find_table(self, name: str) -> Optional[str]:
        found = [as_text(r[0]) for r in self._run(
            "SELECT c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = ANY (current_schemas(false)) AND c.relkind IN ('r', 'v', 'm', 'p', 'f') "
            "AND lower(c.relname) = lower(%s)", (name,))]
        if name in found:
            return name
        return found[0] if len(found) == 1 else None  # asistent_systemlog for Asistent_systemlog

    def _is_view(self, name: str) -> bool:
        rows = self._run("SELECT relkind FROM pg_catalog.pg_class WHERE oid = %s::regclass", (self.quote(name),))
        return bool(rows) and as_text(rows[0][0]) == "v"  # a materialized view ('m') has indexes of its own

    def _check_privileges(self, name: str, present, missing) -> None:
        # the catalog shows every column whatever may be read: ask the server which this role may SELECT
        if not present:
            return
        checks = ", ".join(["has_column_privilege(%s::regclass, %s, 'SELECT')"] * len(present))
        params = [p for column in present for p in (self.quote(name), column)]
        row = self._run(f"SELECT current_user, {checks}", params)[0]
        denied = [column for column, ok in zip(present, row[1:]) if not ok]
        if denied:
            who = as_text(row[0])
            raise grants.denied(self.label, "postgresql", name, f'"{who}"', grants.postgres_grant(name, who), denied)

    def _columns(self, name: str) -> List[Column]:
        rows = self._run("SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_catalog.pg_attribute a "
                         "WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
                         (self.quote(name),))
        return [Column(as_text(r[0]), as_text(r[1])) for r in rows]

    def _primary_key(self, name: str, columns: Dict[str, Column]) -> List[Column]:
        rows = self._run("SELECT a.attname FROM pg_catalog.pg_index i JOIN pg_catalog.pg_attribute a "
                         "ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey) "
                         "WHERE i.indrelid = %s::regclass AND i.indisprimary "
                         "ORDER BY array_position(i.indkey::int2[], a.attnum)", (self.quote(name),))
        return [columns[as_text(r[0]).lower()] for r in rows if as_text(r[0]).lower() in columns]

    def _timestamp_indexed(self, name: str, column: str) -> bool:
        rows = self._run("SELECT COUNT(*) FROM pg_catalog.pg_index i JOIN pg_catalog.pg_attribute a "
                         "ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0] "
                         "WHERE i.indrelid = %s::regclass AND a.attname = %s AND i.indisvalid", (self.quote(name), column))
        return bool(rows and rows[0][0])

    def table_info(self) -> TableInfo:
        fresh = self._info is None
        info = super().table_info()
        if fresh and "with time zone" in info.col("timestamp").type.lower():
            # timestamptz (what Django creates): instants, read as aware values, compared with an aware bound
            self.column_tz = timezone.utc
            self._bound = lambda since: since.replace(tzinfo=timezone.utc)
        return info

    # --- the window -----------------------------------------------------------------------------------
    def _window(self, info: TableInfo, window, bound=None) -> Plan:
        """The base plan (its bisected key range is closed already: see SQLSource._window) with the
        timestamp index's range closed too, up to 'infinity' (the same rows)."""
        plan = super()._window(info, window, bound)
        ts = self.quote(info.col("timestamp").name)
        if plan.where == f"{ts} >= {self.ph}":
            plan.where = f"{ts} >= {self.ph} AND {ts} <= 'infinity'"
        return plan

    def count(self, info: TableInfo, plan: Plan, window, bound=None,
              gigachat: bool = True) -> Tuple[int, Optional[int], Plan]:
        """As the base, in PostgreSQL's terms: conditions are booleans, counted with FILTER."""
        t, gig = self.quote(info.name), self._gigachat(info)
        if plan.rows is not None and not gigachat:
            return plan.rows, None, plan
        if plan.stray is None:
            n, g = self._run(f"SELECT COUNT(*), COUNT(*) FILTER (WHERE {gig}) FROM {t} WHERE {plan.where}",
                             plan.params)[0]
            return int(n or 0), (int(g or 0) if gigachat else None), plan
        stray_sql, stray_params = plan.stray
        k = len(plan.range_params)
        in_window, window_params = plan.where[len(plan.range_where) + len(" AND "):], plan.params[k:]
        n, g, strays = self._run(
            f"SELECT COUNT(*) FILTER (WHERE {in_window}), COUNT(*) FILTER (WHERE ({in_window}) AND {gig}), "
            f"COUNT(*) FILTER (WHERE {stray_sql}) FROM {t} WHERE {plan.range_where}",
            window_params + window_params + list(stray_params) + plan.range_params)[0]
        if int(strays or 0):
            since = window.since_in(self.column_tz or window.tz)
            plan = self._full_scan_plan(self.quote(info.col("timestamp").name), bound(since) if bound else since)
            return self.count(info, plan, window, bound, gigachat)
        return int(n or 0), (int(g or 0) if gigachat else None), plan

    # --- the pass -------------------------------------------------------------------------------------
    def _prefilter(self, info, kind: str) -> Tuple[str, list]:
        """The needles as one case-insensitive regular expression; the level folded only for the few rows
        about GigaChat (AND stops at the first false)."""
        msg = self.quote(info.col("message").name)
        if kind == "saved":
            return f"{msg} ~* {self.ph}", [needle_pattern(SAVED_NEEDLES)]
        if kind == "success":
            from .success import SUCCESS_NEEDLES
            return f"{msg} ~* {self.ph}", [needle_pattern(SUCCESS_NEEDLES)]
        if kind != "scan":
            return f"{msg} ~* {self.ph}", [needle_pattern(NEEDLES)]
        errors = list(at_or_above("ERROR"))
        level = f"upper(btrim({self.quote(info.col('level').name)}::text))"
        return (f"({msg} ~* {self.ph} OR ({self._gigachat(info)} AND {level} IN "
                f"({', '.join([self.ph] * len(errors))})))", [needle_pattern(SCAN_NEEDLES), *errors])

    def _gigachat(self, info) -> str:
        # httpx's request lines are no use of GigaChat (signatures.HTTPX_REQUEST)
        m = self.quote(info.col('message').name)
        return f"({m} ILIKE '%%gigachat%%' AND {m} NOT ILIKE '%%{HTTPX_REQUEST}%%')"

    def explain(self, sql: str, params: Sequence = ()) -> str:
        """The planner's own words: each node that reads a table or an index."""
        lines = [as_text(r[0]) for r in self._run(f"EXPLAIN {sql}", params)]
        nodes = []
        for line in lines:
            m = re.search(r"((?:Parallel )?(?:Seq|Index Only|Index|Bitmap Heap|Bitmap Index) Scan"
                          r"(?: Backward)?(?: using \S+)? on \S+)", line)
            if m:
                nodes.append(m.group(1))
        return "; ".join(nodes) or (lines[0].split("  (")[0].strip() if lines else "")

    def create_index_sql(self, info: Optional[TableInfo] = None) -> str:
        # CONCURRENTLY: the site goes on writing its log while the index is built
        return super().create_index_sql(info).replace("CREATE INDEX ", "CREATE INDEX CONCURRENTLY ", 1)

    def close(self) -> None:
        conn, self.conn = getattr(self, "conn", None), None
        if conn is None:
            return
        try:
            self._end(conn)
        except Exception:
            pass

    def _end(self, conn) -> None:
        try:
            cur = conn.cursor()
            cur.execute("ROLLBACK")  # ends the read-only transaction; nothing was written
            cur.close()
        finally:
            conn.close()


def _driver_errors(conn):
    """The driver's base error class (psycopg 3, or psycopg2 under a Django site)."""
    module = type(conn).__module__.split(".")[0]
    if module == "psycopg2":
        import psycopg2
        return psycopg2.Error
    import psycopg
    return psycopg.Error


def _sqlstate(exc) -> Optional[str]:
    return getattr(exc, "sqlstate", None) or getattr(exc, "pgcode", None)


def _first_line(exc) -> str:
    diag = getattr(exc, "diag", None)
    primary = getattr(diag, "message_primary", None) if diag is not None else None
    text = primary or str(exc)
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__
