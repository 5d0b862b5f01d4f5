"""The log pass follows the window whatever the optimizer's statistics say (issue 23).

MariaDB chooses how to read a statement from InnoDB's stored statistics. After a bulk load and a
restart before they were recalculated (or on a server with `innodb_stats_auto_recalc` off) they say
the table is empty, and a bare `id IN (<1,000+ ids>)`, which MariaDB turns into a join, was read as
the whole table. Here: tables of the same rows with fresh and with stale statistics, on a server of
the tests' own (it is restarted, which is what leaves them stale). Every statement the pass sends
(the server's general log, both connections of a window passed in two halves) is EXPLAINed: each
reads the log table by key, never `ALL`, and the counts are those of the indexed table.
SQLite's statements too, by EXPLAIN QUERY PLAN.
"""

from __future__ import annotations

import re
import sqlite3
from datetime import datetime, timezone

import pytest

from gigacheck.logs import mysql, sources, store as logstore
from tests.support.mariadb import MariaDBServer, _schema, _statements

TABLE = "Asistent_systemlog"
OLD, NEW = 60_000, 6_000        # rows of the 9 days before the window and of its 20 hours; half the new ones
BY_KEY = {"range", "const", "eq_ref", "ref", "system"}  # picked: 3,000 ids, over 1,000 in each half
# (access types that read by key; ALL and index read every row)
FILL = """INSERT INTO `Asistent_systemlog` (timestamp, level, logger_name, message, module, `function`, extra_data)
SELECT TIMESTAMP('{now}') - INTERVAL {start_s} SECOND + INTERVAL (seq * {step_us}) MICROSECOND,
       IF({sick}, 'ERROR', 'INFO'), 'Asistent.gigachat',
       IF({sick}, CONCAT('GigaChat: HTTPError: 429 Client Error: Too Many Requests; request_id=', MD5(seq)),
          CONCAT('GET /articles/', seq % 5000, '/?page=', seq % 50, ' 200 in ', seq % 900, ' ms')),
       'views', 'handle', '{{}}'
FROM seq_1_to_{n}"""


def _load(server: MariaDBServer, db: str, now: datetime, index: bool, table_recalc_off: bool) -> None:
    conn = server.connect(db)
    try:
        with conn.cursor() as cur:
            for statement in _statements(_schema("mysql", TABLE)):
                cur.execute(statement)
            if index:
                cur.execute(f"CREATE INDEX `{TABLE}_timestamp_idx` ON `{TABLE}` (`timestamp`)")
            if table_recalc_off:  # statistics taken on the empty table, and kept
                cur.execute(f"ALTER TABLE `{TABLE}` STATS_PERSISTENT=1 STATS_AUTO_RECALC=0")
                cur.execute(f"ANALYZE TABLE `{TABLE}`")
                cur.fetchall()
            stamp = now.isoformat(sep=" ")
            # oldest first (ids follow time): 11 to 2 days ago, then the last 20 hours
            cur.execute(FILL.format(now=stamp, start_s=11 * 86400, step_us=9 * 86400 * 10 ** 6 // OLD, sick="FALSE",
                                    n=OLD))
            cur.execute(FILL.format(now=stamp, start_s=20 * 3600, step_us=20 * 3600 * 10 ** 6 // NEW,
                                    sick="seq % 2 = 0", n=NEW))
    finally:
        conn.close()


@pytest.fixture(scope="module")
def tables():
    """{name: url} on a server of this module's own: `fresh` (indexed, ANALYZE after the load), then,
    their statistics taken before the load and read again at a restart, `stale-index`, `stale` (no
    index, STATS_AUTO_RECALC=0) and `recalc-off` (no index, loaded and read with innodb_stats_auto_recalc
    off), and the window's end."""
    try:
        server = MariaDBServer.start()
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        now = server.execute("SELECT UTC_TIMESTAMP(6)")[0][0]
        dbs = {name: server.new_database("stale") for name in ("fresh", "stale-index", "stale", "recalc-off")}
        _load(server, dbs["fresh"], now, index=True, table_recalc_off=False)
        server.execute(f"ANALYZE TABLE `{TABLE}`", database=dbs["fresh"])
        _load(server, dbs["stale-index"], now, index=True, table_recalc_off=True)
        _load(server, dbs["stale"], now, index=False, table_recalc_off=True)
        server.execute("SET GLOBAL innodb_stats_auto_recalc = OFF")
        _load(server, dbs["recalc-off"], now, index=False, table_recalc_off=False)
        server.restart(["--innodb-stats-auto-recalc=OFF"])
        yield server, dbs, now.replace(tzinfo=timezone.utc)
    finally:
        server.stop()


def _table_rows(server, db) -> int:
    return server.execute("SELECT TABLE_ROWS FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s "
                          "AND TABLE_NAME = %s", (db, TABLE))[0][0]


def _scan(url: str, now: datetime):
    with sources.open_database(url) as source:
        return source.scan(logstore.Window.last(24, timezone.utc, now=now), logstore.Filter(limit=50))


def _answer(scan) -> tuple:
    return (scan.counts, scan.gigachat, bool(scan.saved), scan.rows,
            {c: [r.message for r in rs] for c, rs in scan.samples.items()})


def _explain(server, db, statement) -> list:
    """(table, access type, Extra) of each table EXPLAIN names for the statement."""
    conn = server.connect(db)
    try:
        with conn.cursor() as cur:
            cur.execute("EXPLAIN " + statement)
            names = [d[0].lower() for d in cur.description]
            return [(d["table"], d["type"], d["extra"]) for d in (dict(zip(names, r)) for r in cur.fetchall())]
    finally:
        conn.close()


def _reads_of_the_table(sent) -> list:
    return [s for s in sent if s.lstrip().upper().startswith("SELECT") and f"`{TABLE}`" in s]


def test_the_statistics_are_stale_as_after_a_bulk_load_and_a_restart(tables):
    """The setup reproduces the issue: the statistics say empty, and the bare IN list of 1,000+ ids
    that the pass used to send reads every row (ALL) there, but not on the table analyzed after its load."""
    server, dbs, _ = tables
    assert server.execute("SELECT @@innodb_stats_auto_recalc")[0][0] == 0
    ids = ", ".join(str(i) for i in range(OLD + 2, OLD + NEW + 1, 2))  # the window's 3,000 picked ids
    bare = f"SELECT id, timestamp, level, message FROM `{TABLE}` WHERE id IN ({ids})"
    for name in ("stale-index", "stale", "recalc-off"):
        assert server.execute(f"SELECT COUNT(*) FROM `{TABLE}`", database=dbs[name])[0][0] == OLD + NEW
        assert _table_rows(server, dbs[name]) <= 1, name
        assert (TABLE, "ALL", "") in _explain(server, dbs[name], bare), name
    assert _table_rows(server, dbs["fresh"]) > OLD // 2
    assert all(kind != "ALL" for table, kind, _ in _explain(server, dbs["fresh"], bare) if table == TABLE)


@pytest.mark.parametrize("parts", ["one part", "two halves"])
@pytest.mark.parametrize("name", ["stale-index", "stale", "recalc-off"])
def test_every_statement_of_the_pass_reads_by_key_whatever_the_statistics_say(tables, monkeypatch, name, parts):
    server, dbs, now = tables
    monkeypatch.setattr(mysql, "PARALLEL_MIN_ROWS", 1 if parts == "two halves" else 10 ** 9)
    fresh = _scan(server.url(dbs["fresh"]), now)
    with server.general_log(dbs[name]) as sent:
        result = _scan(server.url(dbs[name]), now)
    assert _answer(result) == _answer(fresh)
    assert result.rows == NEW and result.counts["LG014"] == NEW // 2
    reads = _reads_of_the_table(sent)
    lists = [len(m.group(1).split(",")) for s in reads for m in [re.search(r"\bIN \(([\d, ]+)\)", s)] if m]
    assert lists and max(lists) >= 1000  # MariaDB turns an IN list this long into a join
    assert sum(" GROUP_CONCAT(" in s for s in reads) == (2 if parts == "two halves" else 1)
    for statement in reads:
        plan = _explain(server, dbs[name], statement)
        on_table = [kind for table, kind, _ in plan if table == TABLE]
        assert all(kind in BY_KEY for kind in on_table), (statement[:300], plan)
        assert on_table or all("optimized away" in (extra or "") for _, _, extra in plan), (statement[:300], plan)


class Recording:
    """The SQLite connection of a source, recording each statement with its parameters."""

    def __init__(self, conn):
        self.conn, self.sent = conn, []

    def execute(self, sql, params=()):
        self.sent.append((sql, tuple(params)))
        return self.conn.execute(sql, params)

    def __getattr__(self, name):
        return getattr(self.conn, name)


SQLITE_ROWS, SQLITE_DAYS = 30_000, 10


def _sqlite_table(path, index: bool, now: datetime) -> str:
    """The same kind of rows as the MariaDB tables (fewer: SQLite keeps no statistics to go stale), ids in time order."""
    from bench.bench_logs import message
    conn = sqlite3.connect(path)
    conn.executescript(_schema("sqlite", TABLE))
    if index:
        conn.execute(f'CREATE INDEX "{TABLE}_timestamp_idx" ON "{TABLE}" ("timestamp")')
    start, step = now.timestamp() - SQLITE_DAYS * 86400, SQLITE_DAYS * 86400 / SQLITE_ROWS
    rows = []
    for i in range(1, SQLITE_ROWS + 1):
        level, text = message(i)
        stamp = datetime.fromtimestamp(start + i * step, timezone.utc).replace(tzinfo=None).isoformat(sep=" ")
        rows.append((stamp, level, text))
    conn.executemany(f'INSERT INTO "{TABLE}" (timestamp, level, logger_name, message, module, function, extra_data) '
                     f"VALUES (?, ?, 'Asistent', ?, 'views', 'handle', '{{}}')", rows)
    conn.commit()
    conn.close()
    return f"sqlite:///{path}"


@pytest.mark.parametrize("index", [False, True], ids=["no-index", "index"])
def test_sqlites_pass_searches_by_key_or_index_in_every_statement(tmp_path, index):
    """SQLite: each statement of the pass is a SEARCH (rowid range or the timestamp index), never a SCAN
    of the table (EXPLAIN QUERY PLAN, on the source's own connection, with its functions)."""
    now = datetime.now(timezone.utc)
    url = _sqlite_table(tmp_path / "site.sqlite3", index, now)
    with sources.open_database(url) as source:
        recording = source.conn = Recording(source.conn)
        result = source.scan(logstore.Window.last(24, timezone.utc, now=now), logstore.Filter(limit=50))
        source.conn = recording.conn
        reads = [(s, p) for s, p in recording.sent if s.lstrip().upper().startswith("SELECT") and f'"{TABLE}"' in s]
        assert len(reads) >= 2 and result.rows > SQLITE_ROWS // 20 and result.counts["LG014"] > 0
        for sql, params in reads:
            plan = source.explain(sql, params)
            assert "SCAN " not in plan and "SEARCH " in plan, (sql[:300], plan)
