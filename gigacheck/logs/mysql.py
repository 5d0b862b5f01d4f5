"""The log table on MySQL/MariaDB, through PyMySQL: every signature counted in one pass on the server."""

from __future__ import annotations

from datetime import timezone
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from ..diagnosis import Finding
from .sql import Column, SQLSource, TableInfo, _time_limit
from .store import (CONNECT_TIMEOUT_S, DB_SUBJECT, EXCERPT_CHARS, STATEMENT_LIMIT_S, TABLE_SUBJECT, DbUrl, Filter,
                       LogTable, Newest, Row, Scan, Window)
from .signatures import (GIGACHAT, IMAGE_SAVED, LG018, SIGNATURES, VIEWER_TOPICS, Signature, as_text, at_or_above,
                         lg018_count, number_regex)

# A derived table with a LIMIT is materialized, not merged into the outer query: each message is
# lowered once, not once per reference.
NO_MERGE = "LIMIT 18446744073709551615"


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
            self.conn = pymysql.connect(**kwargs)
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
            return Finding("LG002", f"{self.label}: the server accepted the connection but did not answer within "
                                    f"{connect_timeout:g} s ({text})", subject=DB_SUBJECT)
        return self._finding(exc)

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


def _ids(text) -> List[int]:
    """The ids of a GROUP_CONCAT, newest first. group_concat_max_len (21 bytes per wanted id) may
    cut the list inside an id, but only after the first `limit` ones, which are all that is used."""
    return [int(p) for p in as_text(text).split(",") if p.isdigit()] if text else []
