"""The log table on MySQL/MariaDB, through PyMySQL: the server keeps the rows holding a needle, Python decides."""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from datetime import timezone
from typing import Dict, List, Optional, Sequence, Tuple

from ..diagnosis import Finding
from ..words import say
from . import grants
from .sql import Column, Plan, SQLSource, TableInfo, _time_limit
from .store import CONNECT_TIMEOUT_S, DB_SUBJECT, STATEMENT_LIMIT_S, TABLE_SUBJECT, DbUrl, LogTable
from .signatures import ATTEMPT_NEEDLES, HTTPX_REQUEST, NEEDLES, SAVED_NEEDLES, SCAN_NEEDLES, as_text, at_or_above

# A derived table with a LIMIT is materialized, not merged into the outer query: each message is
# lowered once, not once per LOCATE.
NO_MERGE = "LIMIT 18446744073709551615"
FETCH_CHUNK = 5000  # ids per primary-key read
PARALLEL_MIN_ROWS = 20000  # a window this big is passed in two halves at once (measured: 140 ms -> 75 ms for 33k rows)


@lru_cache(maxsize=None)  # one class, however many connections a run opens
def _connection_class(pymysql):
    """PyMySQL's connection, without loading the system's CA store for nothing: PyMySQL 1.2 tries TLS on
    every connection ("preferred" mode) with a context that verifies no certificate, yet builds it with
    `ssl.create_default_context()`, which reads every system CA (26 ms: a sixth of the whole log pass).
    The same context without the store; contexts that verify (`ssl_ca` given) are PyMySQL's own."""
    class Connection(pymysql.connections.Connection):
        def _create_ssl_ctx(self, sslp):
            if isinstance(sslp, dict) and not sslp:
                import ssl
                ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
                return ctx
            return super()._create_ssl_ctx(sslp)
    return Connection


class MySQLSource(SQLSource):
    kind = "mysql"
    ph = "%s"
    _key_range_after_index = True  # InnoDB: a secondary index costs a clustered-index lookup per row
    # A key range is read by key whatever the optimizer's statistics say: stale ones (a bulk load, then a
    # restart; innodb_stats_auto_recalc off) call the table empty, and MariaDB then reads every row even for
    # `id BETWEEN a AND b AND id IN (<869 ids>)`: 889 ms against 2 ms on 2M rows (issue 23)
    _key_hint = " FORCE INDEX (PRIMARY)"

    def __init__(self, url: DbUrl, table: LogTable, statement_limit: float = STATEMENT_LIMIT_S,
                 connect_timeout: float = CONNECT_TIMEOUT_S):
        super().__init__(url, table, statement_limit)
        self._connect_timeout = connect_timeout
        import pymysql
        self._pymysql = pymysql
        opts = dict(url.options)
        # The greeting and the login are bounded by the connect timeout, not a statement's read timeout:
        # a server that accepts TCP and never speaks costs connect_timeout, not statement_limit + 5 s.
        kwargs = dict(host=url.host, port=url.port, user=url.user, password=url.password, database=url.database,
                      charset="utf8mb4", connect_timeout=connect_timeout, read_timeout=connect_timeout,
                      write_timeout=10, autocommit=True, local_infile=False)
        if opts.get("unix_socket"):
            kwargs["unix_socket"] = opts["unix_socket"]
        if opts.get("ssl_ca") or opts.get("ssl-ca"):
            kwargs["ssl"] = {"ca": opts.get("ssl_ca") or opts.get("ssl-ca")}
        try:
            self.conn = _connection_class(pymysql)(**kwargs)
        except pymysql.err.MySQLError as exc:
            raise self._connect_finding(exc, connect_timeout) from None
        except (OSError, ValueError) as exc:
            raise Finding("LG002", f"{self.label}: {exc}", subject=DB_SUBJECT) from None
        # Statements get the read timeout. PyMySQL (1.1, 1.2) has no setter for it, but applies
        # `_read_timeout` to the socket before each packet it reads.
        self.conn._read_timeout = max(1, int(self.statement_limit + 5))
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

    def _connect_finding(self, exc, connect_timeout: float) -> Finding:
        """A timeout while connecting is the server not answering, not a query past its limit."""
        code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else None
        text = str(exc.args[1]) if len(exc.args) > 1 else str(exc)
        if code == 2013 and "timed out" in text:
            return Finding("LG002", say("logs.silent_server", label=self.label, seconds=f"{connect_timeout:g}",
                                        text=text), subject=DB_SUBJECT)
        return self._finding(exc)

    def _finding(self, exc) -> Finding:
        code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else None
        text = str(exc.args[1]) if len(exc.args) > 1 else str(exc)
        if code in (1969, 3024, 1317, 1028) or (code == 2013 and "timed out" in text):
            return _time_limit(self.label, self.statement_limit, text, self._unordered)
        if code in (grants.MYSQL_TABLE_DENIED, grants.MYSQL_COLUMN_DENIED):  # may connect, may not read
            # `for column 'message' in table 'T'`, `for table 'T'`, `for table `db`.`T`` (MariaDB 10.5+)
            m = re.search(r"for (?:column [`']([^`']*)[`'] in )?table (?:[`'][^`']*[`']\.)?[`']([^`']*)[`']", text)
            column, table = (m.group(1), m.group(2)) if m else (None, self.table.name)
            return grants.denied(self.label, "mysql", table, self._account(), self._grant(table),
                                 [column] if column else (), said=text)
        if code == 1146:
            return Finding("LG003", f"{self.label}: {text}", subject=TABLE_SUBJECT)
        if code == 1054:
            return Finding("LG004", f"{self.label}: {text}", subject=TABLE_SUBJECT)
        return Finding("LG002", f"{self.label}: {text}" + (f" (MySQL error {code})" if code else ""),
                       subject=DB_SUBJECT)

    def _account(self) -> str:
        """This session's account as a GRANT names it (`'reader'@'%'`), asked once (with the database's
        name: a Django site's URL names its alias, not the database)."""
        if getattr(self, "_account_name", None) is None:
            self._database_name = self.url.database
            try:
                cur = self.conn.cursor()
                try:
                    cur.execute("SELECT CURRENT_USER(), DATABASE()")
                    user, database = cur.fetchone()
                finally:
                    cur.close()
                self._account_name = grants.mysql_account(as_text(user))
                self._database_name = as_text(database) or self.url.database
            except Exception:  # a server that will not say: the user of DATABASE_URL, any host
                self._account_name = grants.mysql_account(f"{self.url.user}@%")
        return self._account_name

    def _grant(self, table: str) -> str:
        account = self._account()
        return grants.mysql_grant(self._database_name, table, account)

    def _find_table(self, name: str) -> Optional[str]:
        found = [r[0] for r in self._run(
            "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() "
            "AND LOWER(TABLE_NAME) = LOWER(%s)", (name,))]
        found = [as_text(f) for f in found]
        if name in found:
            return name
        if not found:  # information_schema hides a table this user may not read: a read tells which
            try:
                self._run(f"SELECT 1 FROM {self.quote(name)} WHERE 1 = 0")
            except Finding as f:
                if f.situation == "privilege-mysql":
                    raise  # 1142: there, but not to be read by this user (LG002 naming the GRANT)
            return None
        return found[0] if len(found) == 1 else None  # asistent_systemlog for Asistent_systemlog

    def _is_view(self, name: str) -> bool:
        rows = self._run("SELECT TABLE_TYPE FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() "
                         "AND TABLE_NAME = %s", (name,))
        return bool(rows) and as_text(rows[0][0]).upper() == "VIEW"

    def _check_privileges(self, name: str, present, missing) -> None:
        # information_schema.COLUMNS lists only the columns this user holds a privilege on: a read of each
        # "missing" one says whether it is missing (1054, LG004) or hidden (1143, LG002 naming the GRANT)
        denied = []
        for column in missing:
            try:
                self._run(f"SELECT {self.quote(column)} FROM {self.quote(name)} WHERE 1 = 0")
            except Finding as f:
                if f.situation != "privilege-mysql":
                    continue  # truly missing: LG004 says so
                denied.append(column)
        if denied:
            raise grants.denied(self.label, "mysql", name, self._account(), self._grant(name), denied)

    def _columns(self, name: str) -> List[Column]:
        rows = self._run("SELECT COLUMN_NAME, COLUMN_TYPE, COLLATION_NAME FROM information_schema.COLUMNS "
                         "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s ORDER BY ORDINAL_POSITION", (name,))
        return [Column(as_text(r[0]), as_text(r[1]), as_text(r[2]) if r[2] else None) for r in rows]

    def _primary_key(self, name: str, columns: Dict[str, Column]) -> List[Column]:
        rows = self._run("SELECT COLUMN_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() "
                         "AND TABLE_NAME = %s AND INDEX_NAME = 'PRIMARY' ORDER BY SEQ_IN_INDEX", (name,))
        return [columns[as_text(r[0]).lower()] for r in rows if as_text(r[0]).lower() in columns]

    def _timestamp_indexed(self, name: str, column: str) -> bool:
        rows = self._run("SELECT INDEX_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() "
                         "AND TABLE_NAME = %s AND COLUMN_NAME = %s AND SEQ_IN_INDEX = 1 ORDER BY INDEX_NAME",
                         (name, column))
        self._ts_index = as_text(rows[0][0]) if rows else None
        return bool(rows)

    def _index_hint(self, info) -> str:
        # as a key range's: stale statistics ("empty") may read the whole table rather than the index
        index = getattr(self, "_ts_index", None)
        return f" FORCE INDEX ({self.quote(index)})" if index else ""

    def table_info(self) -> TableInfo:
        fresh = self._info is None
        info = super().table_info()
        if fresh and info.col("timestamp").type.lower().startswith("timestamp"):
            # TIMESTAMP columns come back in the session's zone: ask for UTC
            self._run("SET SESSION time_zone = '+00:00'")
            self.column_tz = timezone.utc
        return info

    def _unreadable_sql(self, info):
        if self._date_typed(info):  # DATETIME/TIMESTAMP hold dates only (a zero date reads as NULL or text)
            ts = self.quote(info.col("timestamp").name)
            return f"{ts} IS NULL OR {ts} < '1000-01-01'"
        return (f"{self.quote(info.col('timestamp').name)} IS NULL OR "
                f"{self._utf8(info.col('timestamp'))} NOT REGEXP '^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}'")

    def _prefilter(self, info, kind: str) -> Tuple[str, list]:
        """Each message lowered and searched with one regular expression of the needles (PCRE on
        MariaDB, ICU on MySQL 8: literal letters, spaces and `<>` read the same)."""
        lowered = f"LOWER({self._utf8(info.col('message'))})"
        if kind in ("saved", "attempt", "success"):  # a few needles: LOCATE on the lowered bytes
            if kind == "success":
                from .success import SUCCESS_NEEDLES as needles
            else:
                needles = SAVED_NEEDLES if kind == "saved" else ATTEMPT_NEEDLES
            return ("(" + " OR ".join([f"LOCATE(%s, CONVERT({lowered} USING binary)) > 0"] * len(needles)) + ")",
                    [n.encode("utf-8") for n in needles])  # parenthesized: it follows `window AND`
        if kind != "scan":
            return f"{lowered} REGEXP %s", ["|".join(NEEDLES)]
        errors = at_or_above("ERROR")
        level = f"UPPER(TRIM({self._utf8(info.col('level'))}))"
        return (f"({lowered} REGEXP %s OR ({self._gigachat(info)} AND {level} IN ({', '.join(['%s'] * len(errors))})))",
                ["|".join(SCAN_NEEDLES), *errors])

    def _gigachat(self, info) -> str:
        # httpx's request lines are no use of GigaChat (signatures.HTTPX_REQUEST)
        m = f"LOWER({self._utf8(info.col('message'))})"
        return f"(LOCATE('gigachat', {m}) > 0 AND LOCATE('{HTTPX_REQUEST}', {m}) = 0)"

    def _gigachat_in_pass(self, info) -> bool:
        return bool(info.pk)

    def _candidates(self, info, plan, window, kind):
        """With an integer id: one pass that lowers each message once (a materialized derived table),
        tests the needles with LOCATE on bytes (3 times cheaper than REGEXP here) and counts the
        GigaChat rows; the ids it picks are then read by primary key. A big window's key range is
        passed in two halves on two connections at once (the server gives each statement one core)."""
        if kind not in ("scan", "shown") or not info.pk:
            return super()._candidates(info, plan, window, kind)
        needles = SCAN_NEEDLES if kind == "scan" else NEEDLES
        cond = " OR ".join(["LOCATE(%s, m) > 0"] * len(needles))
        params = [n.encode("utf-8") for n in needles]
        if kind == "scan":
            errors = at_or_above("ERROR")
            # the level is folded only for the few GigaChat rows (AND stops at the first false)
            cond += (f" OR (LOCATE('gigachat', m) > 0 AND UPPER(TRIM(lv)) IN "
                     f"({', '.join(['%s'] * len(errors))}))")
            params += list(errors)
        derived = (f"SELECT {self.quote(info.pk)} AS id, {self._utf8(info.col('level'))} AS lv, "
                   f"CONVERT(LOWER({self._utf8(info.col('message'))}) USING binary) AS m "
                   f"FROM {self.quote(info.name)}{plan.hint} WHERE {plan.where} {NO_MERGE}")
        # the flags materialized too: merged, each use of `c` would run every LOCATE again
        sql = (f"SELECT COALESCE(SUM(c), 0), GROUP_CONCAT(IF(c, id, NULL)), COALESCE(SUM(g), 0) FROM "
               f"(SELECT id, ({cond}) AS c, LOCATE('gigachat', m) > 0 AND LOCATE('{HTTPX_REQUEST}', m) = 0 AS g "
               f"FROM ({derived}) AS w {NO_MERGE}) AS x")
        def part(source: "MySQLSource", bounds: list):
            """One part's pass, then its picked rows read by key on the same connection: (rows or
            None when the ids were cut by max_allowed_packet, GigaChat rows)."""
            n, ids, gigachat = source._run(sql, params + bounds)[0]
            keys = [int(k) for k in as_text(ids).split(",") if k] if ids else []
            if len(keys) != int(n or 0):
                return None, int(gigachat or 0)
            keys.sort()
            rows = []
            for i in range(0, len(keys), FETCH_CHUNK):
                # integers from the server, written as literals: 5000 parameters cost more to escape than to send.
                # The chunk's key range too: at 1,000 values MariaDB turns the list into a join, and with stale
                # statistics ("empty") it then reads the whole table for it; the range is read by key whatever
                # they say (a 2M-row table: 0.55 s -> a few ms)
                some = keys[i:i + FETCH_CHUNK]
                chunk = Plan(f"{self.quote(info.pk)} BETWEEN {some[0]} AND {some[-1]} AND "
                             f"{self.quote(info.pk)} IN ({', '.join(map(str, some))})", [], plan.label,
                             hint=self._key_hint)
                rows += SQLSource._candidates(source, info, chunk, window, None)[0]
            return rows, int(gigachat or 0)

        self._run("SET SESSION group_concat_max_len = %s", (1 << 30,))
        parts = self._in_parts(part, plan)
        self._pass_gigachat = sum(g for _, g in parts)
        if any(rows is None for rows, _ in parts):  # cut by max_allowed_packet: read them the plain way
            return super()._candidates(info, plan, window, kind)
        return [r for rows, _ in parts for r in rows], sql, params + plan.params

    def _in_parts(self, part, plan: Plan) -> list:
        """`part(source, bounds)` for each part of the window: the whole window, or the two halves of
        its key range at once, the second on a connection of its own (if one can be opened)."""
        if plan.key_range is None or (plan.rows or 0) < PARALLEL_MIN_ROWS:
            return [part(self, plan.params)]
        lo, hi = plan.key_range
        mid = (lo + hi) // 2
        halves = [[lo, mid] + plan.params[2:], [mid + 1, hi] + plan.params[2:]]
        try:
            peer = MySQLSource(self.url, self.table, self.statement_limit, self._connect_timeout)
        except Finding:  # no second connection (max_connections, a pool): one part after the other
            return [part(self, half) for half in halves]
        results: list = [None, None]
        errors: list = [None, None]

        def work(i: int, source: "MySQLSource") -> None:
            try:
                results[i] = part(source, halves[i])
            except BaseException as exc:  # raised again below, in the caller's thread
                errors[i] = exc
        try:
            # the same session: TIMESTAMP bounds read alike, rows shown in the same zone
            peer._info, peer.column_tz = self._info, self.column_tz
            if self.column_tz is not None:
                peer._run("SET SESSION time_zone = '+00:00'")
            peer._run("SET SESSION group_concat_max_len = %s", (1 << 30,))
            other = threading.Thread(target=work, args=(1, peer), name="gigacheck-log-pass", daemon=True)
            other.start()
            work(0, self)
            other.join()
        finally:
            peer.close()
        for exc in errors:
            if exc is not None:
                raise exc
        return results

    def _window_ids(self, ids_sql: str, pk: str) -> str:
        # a derived table with a LIMIT is materialized in the index's order: a range of it, never the whole index
        return f"SELECT COUNT(*), MIN({pk}), MAX({pk}) FROM ({ids_sql} {NO_MERGE}) AS w"

    def _utf8(self, column: Column) -> str:
        """The column as utf8mb4 text (a no-op for utf8mb4 columns; bytes of blobs decoded)."""
        q = self.quote(column.name)
        return q if (column.collation or "").lower().startswith("utf8mb4") else f"CONVERT({q} USING utf8mb4)"

    def _fetch(self, sql: str, params: Sequence = ()) -> list:
        return self._run(sql, params)  # the server's limit bounds the statement; the rows are all read here

    def explain(self, sql: str, params: Sequence = ()) -> str:
        """The server's own words for the plan: access type and key of each table read."""
        try:
            with self.conn.cursor() as cur:
                cur.execute(f"EXPLAIN {sql}", tuple(params) if params else None)
                names = [d[0].lower() for d in cur.description]
                rows = cur.fetchall()
        except self._pymysql.err.MySQLError as exc:
            raise self._finding(exc) from None
        parts = []
        for r in rows:
            d = dict(zip(names, r))
            if as_text(d.get("table")).startswith("<"):  # the materialized derived table, not the log table
                continue
            parts.append(f"{as_text(d.get('type'))} on {as_text(d.get('key')) or 'no index'}")
        return "; ".join(parts)

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
