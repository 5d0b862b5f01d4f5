"""The log sources against real databases: every case on SQLite and on MariaDB (`log_db`)."""

import hashlib
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from gigacheck.logs import sources, store as logstore
from gigacheck.diagnosis import Finding

SINCE_1H = 60


def scan(url, hours=24.0, flt=logstore.Filter(), tz=timezone.utc, now=None, table=logstore.LogTable(),
         limit_s=logstore.STATEMENT_LIMIT_S):
    with sources.open_database(url, table, limit_s) as source:
        return source.scan(logstore.Window.last(hours, tz, now=now), flt)


def rows(url, hours=24.0, flt=logstore.Filter(), topics=logstore.VIEWER_TOPICS, table=logstore.LogTable()):
    with sources.open_database(url, table) as source:
        return source.rows(logstore.Window.last(hours), flt, topics)


def finding(fn, *args, **kwargs) -> Finding:
    with pytest.raises(Finding) as err:
        fn(*args, **kwargs)
    return err.value


FILLER = [("INFO", "GigaChat: ответ получен", 30), ("INFO", "Изображение сохранено: a.jpg (142900 байт)", 20),
          ("DEBUG", "GET /articles/ 200", 10)]

CASES = [  # code, a row that shows it, a near miss
    ("LG010", ("ERROR", "❌ GIGAChat error: boom"), ("WARNING", "GigaChat error: boom")),
    ("LG011", ("ERROR", "GigaChat вернул пустой путь"), ("INFO", "путь к файлу: a.jpg")),
    ("LG012", ("ERROR", "Не удалось сгенерировать изображение"), ("INFO", "изображение сгенерировано")),
    ("LG013", ("ERROR", "asyncio.TimeoutError"), ("INFO", "тайм-аут не наступил")),
    ("LG014", ("ERROR", "HTTP 429 Too Many"), ("INFO", "размер: 142900 байт")),
    ("LG015", ("ERROR", "HTTP 402"), ("INFO", "строк: 14020")),
    ("LG016", ("WARNING", "Нет <img> тега в ответе"), ("INFO", "<img> тег найден")),
    ("LG017", ("ERROR", "Ошибка сохранения файла"), ("INFO", "сохранение прошло")),
    ("LG019", ("ERROR", "<title>404 Not Found</title>"), ("INFO", "404 страницы проверены")),
]


@pytest.mark.parametrize("code, hit, miss", CASES, ids=[c[0] for c in CASES])
def test_each_code_is_found(log_db, code, hit, miss):
    result = scan(log_db.make(FILLER + [(hit[0], hit[1], 5)]))
    assert result.counts[code] == 1
    assert [r.message for r in result.samples[code]] == [hit[1]]


@pytest.mark.parametrize("code, hit, miss", CASES, ids=[c[0] for c in CASES])
def test_each_code_is_not_found(log_db, code, hit, miss):
    result = scan(log_db.make(FILLER + [(miss[0], miss[1], 5)]))
    assert result.counts[code] == 0 and code not in result.samples
    assert result.rows == 4


def test_lg018_counts_gigachat_rows_only_when_no_image_was_saved(log_db):
    unsaved = scan(log_db.make([("INFO", "generate_and_save_image: GigaChat, статья 7", 30),
                                ("ERROR", "GigaChat: ошибка", 20)]))
    assert unsaved.counts["LG018"] == 2 and len(unsaved.samples["LG018"]) == 2
    chat_only = scan(log_db.make([("INFO", "GigaChat: ответ", 30), ("ERROR", "GigaChat: ошибка", 20)]))
    assert chat_only.counts["LG018"] == 0  # no image asked for: nothing to save (issue 18)
    saved = scan(log_db.make([("INFO", "GigaChat: ответ", 30), ("INFO", "ИЗОБРАЖЕНИЕ СОХРАНЕНО: a.jpg", 20)]))
    assert saved.counts["LG018"] == 0
    quiet = scan(log_db.make([("INFO", "GET / 200", 30)]))
    assert quiet.counts["LG018"] == 0


def test_cyrillic_matches_in_any_case(log_db):
    url = log_db.make([("ERROR", "ТАЙМАУТ запроса", 9), ("ERROR", "ОШИБКА СОХРАНЕНИЯ", 8),
                       ("ERROR", "не удалось СГЕНЕРИРОВАТЬ изображение", 7), ("INFO", "GigaChat: ЁЛКА", 6),
                       ("INFO", "GigaChat: елка", 5)])
    result = scan(url)
    assert (result.counts["LG013"], result.counts["LG017"], result.counts["LG012"]) == (1, 1, 1)
    assert [r.message for r in rows(url, flt=logstore.Filter(search="ёлка"))] == ["GigaChat: ЁЛКА"]
    assert [r.message for r in rows(url, flt=logstore.Filter(search="ОШИБКА сохранения"), topics=None)] == \
        ["ОШИБКА СОХРАНЕНИЯ"]


@pytest.mark.parametrize("index", [False, True], ids=["no-index", "index"])
def test_the_window_boundary(log_db, index):
    now = datetime.now(timezone.utc).replace(microsecond=0)
    url = log_db.make([("ERROR", "HTTP 429 at the bound", 60), ("ERROR", "HTTP 429 a second early", 60 + 1 / 60),
                       ("ERROR", "HTTP 429 old", 60 * 30), ("ERROR", "HTTP 429 fresh", 1)], index=index, now=now)
    result = scan(url, hours=1, now=now)
    assert result.counts["LG014"] == 2
    assert [r.message for r in result.samples["LG014"]] == ["HTTP 429 fresh", "HTTP 429 at the bound"]
    half = scan(log_db.make([("ERROR", "HTTP 429 in", 29), ("ERROR", "HTTP 429 out", 31)], index=index, now=now),
                hours=0.5, now=now)
    assert [r.message for r in half.samples["LG014"]] == ["HTTP 429 in"]
    assert ("timestamp index" in result.plan) == index


def test_ids_a_little_out_of_time_order_are_still_read(log_db):
    """Rows inserted up to ten minutes out of order: the bisected key range starts early enough."""
    url = log_db.make([("ERROR", "HTTP 429 old", 25 * 60), ("ERROR", "HTTP 429 in, inserted before an older row", 24 * 60 - 1),
                       ("ERROR", "HTTP 429 just out", 24 * 60 + 3), ("ERROR", "HTTP 429 new", 60)], keep_order=True)
    result = scan(url)
    assert sorted(r.message for r in result.samples["LG014"]) == ["HTTP 429 in, inserted before an older row", "HTTP 429 new"]


def test_with_the_index_the_window_is_exact_whatever_the_id_order(log_db):
    url = log_db.make([("ERROR", "HTTP 429 in, first id", 23 * 60), ("ERROR", "HTTP 429 old", 30 * 60),
                       ("ERROR", "HTTP 429 new", 60)], keep_order=True, index=True)
    assert scan(url).counts["LG014"] == 2


def test_the_timestamps_zone_is_honoured(log_db):
    """A site with USE_TZ=False stores Moscow time: the window is read in that zone."""
    moscow = logstore.zone("Europe/Moscow")
    url = log_db.make([("ERROR", "HTTP 429 recent", 30), ("ERROR", "HTTP 429 three and a half hours ago", 210)], tz=moscow)
    assert scan(url, hours=1, tz=moscow).counts["LG014"] == 1
    # read as UTC, both look 3 h newer: the old row falls in "the last 1 h", the recent one lies ahead of now
    # (in no window: LG008 says so, tests/test_site_clock.py)
    assert [r.message for r in scan(url, hours=1, tz=timezone.utc).samples["LG014"]] == \
        ["HTTP 429 three and a half hours ago"]


LEVELS = ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL", "warn", "Fatal", "40"]


def test_level_means_this_level_and_above(log_db):
    url = log_db.make([(level, f"GigaChat HTTP 429 at {level}", 10 + i) for i, level in enumerate(LEVELS)])
    result = scan(url, flt=logstore.Filter(level="WARNING"))
    assert result.counts["LG014"] == len(LEVELS)  # the counts are not narrowed
    assert sorted(r.level for r in result.samples["LG014"]) == sorted(["WARNING", "ERROR", "CRITICAL", "warn",
                                                                        "Fatal", "40"])
    assert sorted(r.level for r in rows(url, flt=logstore.Filter(level="error"))) == sorted(["ERROR", "CRITICAL",
                                                                                             "Fatal", "40"])
    assert len(rows(url)) == len(LEVELS)


def test_search_is_literal(log_db):
    texts = ["GigaChat 100% готово", "GigaChat 1000 готово", "GigaChat a_b", "GigaChat axb", "GigaChat C:\\temp",
             "GigaChat C:/temp", "GigaChat it's"]
    url = log_db.make([("INFO", t, 10 + i) for i, t in enumerate(texts)])
    for search, expected in [("100%", ["GigaChat 100% готово"]), ("A_B", ["GigaChat a_b"]),
                             ("\\", ["GigaChat C:\\temp"]), ("%", ["GigaChat 100% готово"]),
                             ("it's", ["GigaChat it's"]), ("_", ["GigaChat a_b"])]:
        assert [r.message for r in rows(url, flt=logstore.Filter(search=search))] == expected, search
    shown = scan(url, flt=logstore.Filter(search="100%"))
    assert shown.rows == len(texts) and shown.counts["LG010"] == 0


def test_limit_keeps_the_newest(log_db):
    url = log_db.make([("ERROR", f"GigaChat HTTP 429 #{i}", 100 - i) for i in range(30)])
    result = scan(url, flt=logstore.Filter(limit=3))
    assert result.counts["LG014"] == 30
    assert [r.message for r in result.samples["LG014"]] == ["GigaChat HTTP 429 #29", "GigaChat HTTP 429 #28", "GigaChat HTTP 429 #27"]
    assert scan(url, flt=logstore.Filter(limit=0)).samples == {}


def test_null_and_empty_messages(log_db):
    url = log_db.make([("ERROR", None, 30), ("ERROR", "", 20), ("ERROR", "GigaChat HTTP 429", 10)])
    result = scan(url)
    assert (result.rows, result.counts["LG014"], result.counts["LG010"]) == (3, 1, 0)  # LG014 explains it
    assert [r.message for r in rows(url)] == ["GigaChat HTTP 429"]
    assert [r.message for r in rows(url, topics=None)] == ["GigaChat HTTP 429", "", ""]


def test_a_1mb_message_is_matched_whole_and_shown_cut(log_db):
    big = "x" * 1_000_000 + " GigaChat error: 429"
    url = log_db.make([("ERROR", big, 10)])
    result = scan(url)
    assert result.counts["LG014"] == 1 and result.counts["LG010"] == 0  # LG014 explains it
    sample = result.samples["LG014"][0]
    assert sample.length == len(big) and len(sample.message) == logstore.EXCERPT_CHARS
    assert sample.line(100).endswith(f"… ({len(big)} characters)")
    assert len(rows(url)[0].message) == len(big)  # the viewer shows it whole


def test_bytes_that_are_not_utf8(log_db):
    raw = b"\xff\xfe GigaChat error 429 \xc3("
    url = log_db.make([("ERROR", raw, 10)], blob_message=True)
    result = scan(url)
    assert result.counts["LG014"] == 1 and result.counts["LG010"] == 0
    shown = result.samples["LG014"][0].message
    assert "\ufffd" in shown and "GigaChat error 429" in shown


def test_missing_table(log_db):
    url = log_db.make([("INFO", "GigaChat", 1)], table="other_table")
    err = finding(scan, url)
    assert err.code == "LG003" and "Asistent_systemlog" in err.detail


def test_missing_column(log_db):
    url = log_db.make(columns=["id", "timestamp", "message"])
    err = finding(scan, url)
    assert err.code == "LG004" and "level" in err.detail


def test_a_table_name_in_another_case_is_found(log_db):
    url = log_db.make([("ERROR", "HTTP 429", 1)], table="asistent_systemlog")
    assert scan(url).counts["LG014"] == 1


def test_columns_with_other_names(log_db):
    ddl = {"sqlite": 'CREATE TABLE "logs" ("pk" integer PRIMARY KEY, "created" datetime, "lvl" text, "msg" text)',
           "mariadb": "CREATE TABLE `logs` (`pk` bigint AUTO_INCREMENT PRIMARY KEY, `created` datetime(6), "
                      "`lvl` varchar(10), `msg` longtext)"}[log_db.backend]
    url = log_db.make(ddl=ddl)
    log_db.insert(url, "logs", ("created", "lvl", "msg"), [("ERROR", "GigaChat HTTP 429", 5), ("ERROR", "HTTP 429", 3000),
                                                         ("ERROR", "GigaChat: boom", 6)])
    result = scan(url, table=logstore.LogTable("logs", "created", "lvl", "msg"))
    assert (result.counts["LG014"], result.counts["LG010"]) == (1, 1)


def test_cannot_connect_wrong_password_or_missing_file(log_db):
    if log_db.backend == "sqlite":
        url = f"sqlite:///{log_db.tmp_path}/missing.sqlite3"
        secret = None
    else:
        url = log_db.make([("INFO", "x", 1)])
        user, _ = log_db.server.create_user(log_db.database)
        secret = "Wr0ng-Pass-xyz-123"
        url = log_db.server.url(log_db.database, user, secret)
    err = finding(scan, url)
    assert err.code == "LG002"
    assert "Access denied" in err.detail if secret else "no such database file" in err.detail
    if secret:
        assert secret not in err.render()
    assert not Path(f"{log_db.tmp_path}/missing.sqlite3").exists()  # read-only: nothing was created


def test_cannot_connect_refused_port_or_not_a_database(log_db, tmp_path):
    if log_db.backend == "sqlite":
        junk = tmp_path / "junk.sqlite3"
        junk.write_bytes(b"this is not a database file" * 100)
        url = f"sqlite:///{junk}"
    else:
        url = "mysql://root@127.0.0.1:9/site"  # discard port: nothing listens on loopback
    err = finding(scan, url)
    assert err.code == "LG002"


def test_a_user_that_may_only_select_reads_everything(log_db):
    url = log_db.make([("ERROR", "GigaChat HTTP 429", 5)])
    if log_db.backend == "mariadb":
        user, password = log_db.server.create_user(log_db.database, grants="SELECT")
        url = log_db.server.url(log_db.database, user, password)
        before = None
    else:
        path = Path(url[len("sqlite:///"):])
        path.chmod(0o444)
        before = hashlib.sha256(path.read_bytes()).hexdigest()
    result = scan(url)
    assert result.counts["LG014"] == 1
    assert len(rows(url)) == 1
    if before:
        assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_only_select_statements_are_sent(log_db):
    url = log_db.make([("ERROR", "GigaChat HTTP 429", 5), ("INFO", "Изображение сохранено", 4)])
    with statements(log_db) as sent:
        with sources.open_database(url) as source:
            window = logstore.Window.last(24)
            source.scan(window, logstore.Filter(level="ERROR", search="giga"))
            source.rows(window, logstore.Filter())
    assert sent, "no statement was seen"
    # SET NAMES: PyMySQL's connect; `-- PRAGMA ...`: SQLite tracing the table-valued pragma_*() of a SELECT
    allowed = re.compile(r"^\s*((EXPLAIN (QUERY PLAN )?)?SELECT|SET SESSION|SET NAMES|START TRANSACTION READ ONLY|ROLLBACK|-- PRAGMA \w+=)", re.I)
    assert [s for s in sent if not allowed.match(s)] == []
    assert not [s for s in sent if re.search(r"\b(NOW|CURRENT_TIMESTAMP|SYSDATE|UTC_TIMESTAMP)\b", s, re.I)]


def test_a_statement_past_its_time_limit_is_lg007(log_db):
    url = log_db.make([("INFO", "x", 1)])
    with sources.open_database(url, statement_limit=0.3) as source:
        slow = "SELECT SLEEP(3)" if log_db.backend == "mariadb" else \
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT COUNT(*) FROM n"
        err = finding(source._run, slow)
    assert err.code == "LG007" and "time limit of 0.3 s" in err.detail


def test_statements_keep_their_read_timeout_after_the_bounded_handshake(mariadb_server, tmp_path):
    """The handshake waits connect_timeout; the statements after it wait statement_limit + 5 s."""
    from tests.support.mariadb import LogDB
    url = LogDB("mariadb", tmp_path, mariadb_server).make([("INFO", "x", 1)])
    with sources.open_database(url, statement_limit=2) as source:
        assert source._run("SELECT 1") == [(1,)]
        assert source.conn._sock.gettimeout() == 7


def test_the_index_is_detected_and_changes_nothing_but_the_plan(log_db):
    data = [("ERROR", "GigaChat HTTP 429", 5), ("ERROR", "GigaChat HTTP 402", 60 * 30)]
    without, with_index = scan(log_db.make(data)), scan(log_db.make(data, index=True))
    assert without.counts == with_index.counts
    assert "bisection" in without.plan and "timestamp index" in with_index.plan
    with sources.open_database(log_db.make(data)) as source:
        info = source.table_info()
        assert not info.indexed and info.pk == "id"
        assert "CREATE INDEX" in source.create_index_sql() and "timestamp" in source.create_index_sql()


def test_the_plan_label_is_what_the_database_says_it_does(log_db):
    """EXPLAIN (QUERY PLAN) of the statement that reads the window: the timestamp index when there is
    one, else the primary-key range; never a whole-table scan on a table whose ids follow time."""
    data = [("ERROR", "GigaChat HTTP 429", 5), ("INFO", "GigaChat ok", 60 * 30)]
    indexed, plain = scan(log_db.make(data, index=True)).plan, scan(log_db.make(data)).plan
    if log_db.backend == "sqlite":
        assert "USING INDEX Asistent_systemlog_timestamp_idx (timestamp>? AND timestamp<?)" in indexed  # bounded above
        assert "USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)" in plain  # the bisected window, a closed range
    else:
        assert "range on Asistent_systemlog_timestamp_idx" in indexed
        assert "range on PRIMARY" in plain or "const on PRIMARY" in plain  # const: the window is the last id
    assert "SCAN" not in indexed + plain and "ALL on" not in indexed + plain


def shuffled(n_old=120, n_new=12, seed=13):
    """Rows imported out of id order: 60 days of old rows and a few in the last day, ids shuffled."""
    import random
    rnd = random.Random(seed)
    rows = [("ERROR", f"GigaChat HTTP 429 old {i}", rnd.uniform(26 * 60, 60 * 24 * 60)) for i in range(n_old)]
    rows += [("ERROR", f"GigaChat HTTP 429 new {i}", rnd.uniform(1, 23 * 60)) for i in range(n_new)]
    rnd.shuffle(rows)
    return rows


def test_ids_that_do_not_follow_time_are_never_a_silent_pass(log_db):
    """No index and shuffled ids (imported or merged rows): the bisected window would miss rows;
    the check sees it and reads the whole table (the plan and the evidence say so)."""
    url = log_db.make(shuffled(), keep_order=True)
    result = scan(url, flt=logstore.Filter(limit=100))
    assert result.counts["LG014"] == 12 and result.rows == 12
    assert sorted(r.message for r in result.samples["LG014"]) == sorted(f"GigaChat HTTP 429 new {i}" for i in range(12))
    assert result.plan.startswith("full scan: ids do not follow time")
    assert any("ids do not follow time" in n and "CREATE INDEX" in n for n in result.notes)
    assert sorted(r.message for r in rows(url, flt=logstore.Filter(limit=100))) == \
        sorted(f"GigaChat HTTP 429 new {i}" for i in range(12))
    ordered = scan(log_db.make(shuffled()))  # the same rows in time order: the bisected range, verified
    assert ordered.counts["LG014"] == 12 and ordered.plan.startswith("primary-key range")


def test_the_rows_just_before_a_bisected_window_must_be_older(log_db):
    """One new row among old ones with a lower id than the bisection's answer: caught by the check of
    the rows just before the window."""
    rows_ = [("ERROR", "GigaChat HTTP 429 old", 60 * 24 * 3 - i) for i in range(40)]
    rows_.insert(5, ("ERROR", "GigaChat HTTP 429 new, low id", 30))
    rows_ += [("ERROR", "GigaChat HTTP 429 newest", 10)]
    result = scan(log_db.make(rows_, keep_order=True))
    assert result.counts["LG014"] == 2 and result.plan.startswith("full scan: ids do not follow time")


def test_a_full_scan_past_its_limit_has_its_own_code(log_db):
    url = log_db.make([("INFO", "x", 1)])
    with sources.open_database(url, statement_limit=0.3) as source:
        source._unordered = True  # as a full scan for want of time order would be
        slow = "SELECT SLEEP(3)" if log_db.backend == "mariadb" else \
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT COUNT(*) FROM n"
        err = finding(source._run, slow)
    assert err.code == "LG006" and "ids do not follow time" in err.detail


@pytest.mark.parametrize("asked, applied", [(1e-9, 0.01), (1e300, 86400.0), (7.5, 7.5)])
def test_an_out_of_range_query_timeout_never_turns_the_limit_off(log_db, asked, applied):
    url = log_db.make([("ERROR", "GigaChat HTTP 429", 1)])
    with sources.open_database(url, statement_limit=asked) as source:
        assert source.statement_limit == applied
        if log_db.backend == "mariadb":
            assert float(source._run("SELECT @@max_statement_time")[0][0]) == pytest.approx(applied)
        assert source.scan(logstore.Window.last(24), logstore.Filter()).counts["LG014"] == 1
    for bad in (0, -1, float("nan"), "x"):
        with pytest.raises(ValueError):
            sources.open_database(url, statement_limit=bad)


def test_an_empty_table(log_db):
    result = scan(log_db.make([]))
    assert result.rows == 0 and not any(result.counts.values())


# --- helpers ------------------------------------------------------------------------------------------

class statements:
    """The statements a block sends: MariaDB's general log (the connections to the test's
    database only), SQLite's trace callback."""

    def __init__(self, log_db):
        self.log_db = log_db

    def __enter__(self):
        if self.log_db.backend == "mariadb":
            self.recorder = self.log_db.server.general_log(self.log_db.database)
            return self.recorder.__enter__()
        self.sent, self._real = [], sources.SQLiteSource.__init__

        def traced(source, *a, **kw):
            self._real(source, *a, **kw)
            source.conn.set_trace_callback(self.sent.append)
        sources.SQLiteSource.__init__ = traced
        return self.sent

    def __exit__(self, *exc):
        if self.log_db.backend == "mariadb":
            self.recorder.__exit__(*exc)
        else:
            sources.SQLiteSource.__init__ = self._real


def test_timestamp_columns_are_read_in_utc_whatever_the_servers_zone(mariadb_server, tmp_path):
    """TIMESTAMP (not DATETIME) values come back in the session's zone: on a server in UTC+5 they
    would look five hours newer; the checker's session asks for UTC."""
    from tests.support.mariadb import LogDB
    db = LogDB("mariadb", tmp_path, mariadb_server)
    ddl = ("CREATE TABLE `Asistent_systemlog` (`id` bigint AUTO_INCREMENT PRIMARY KEY, `timestamp` timestamp(6) "
           "NULL, `level` varchar(10), `message` longtext)")
    url = db.make(ddl=ddl)
    conn = mariadb_server.connect(db.database)
    try:
        with conn.cursor() as cur:
            cur.execute("SET time_zone = '+00:00'")
            now = datetime.now(timezone.utc).replace(tzinfo=None)
            cur.executemany("INSERT INTO Asistent_systemlog (timestamp, level, message) VALUES (%s, 'ERROR', %s)",
                            [(now - timedelta(hours=5, minutes=30), "HTTP 429 five and a half hours ago"),
                             (now - timedelta(minutes=30), "HTTP 429 half an hour ago")])
    finally:
        conn.close()
    with mariadb_server.global_time_zone("+05:00"):
        result = scan(url, hours=1)
    assert [r.message for r in result.samples["LG014"]] == ["HTTP 429 half an hour ago"]


def test_a_table_without_an_integer_id(log_db):
    """No id to bisect (MariaDB reads the window by timestamp; SQLite still has its rowid)."""
    ddl = {"sqlite": 'CREATE TABLE "Asistent_systemlog" ("timestamp" datetime, "level" text, "message" text)',
           "mariadb": "CREATE TABLE `Asistent_systemlog` (`timestamp` datetime(6), `level` varchar(10), "
                      "`message` longtext)"}[log_db.backend]
    url = log_db.make(ddl=ddl)
    log_db.insert(url, "Asistent_systemlog", ("timestamp", "level", "message"),
                  [("ERROR", "GigaChat HTTP 429 new", 5), ("ERROR", "GigaChat HTTP 429 older", 50),
                   ("ERROR", "GigaChat HTTP 429 out", 60 * 30), ("INFO", "GigaChat ok", 1)])
    result = scan(url)
    assert result.counts["LG014"] == 2
    assert [r.message for r in result.samples["LG014"]] == ["GigaChat HTTP 429 new", "GigaChat HTTP 429 older"]
    assert [r.message for r in rows(url)] == ["GigaChat ok", "GigaChat HTTP 429 new", "GigaChat HTTP 429 older"]
    expected_plan = "primary-key range" if log_db.backend == "sqlite" else "full scan"
    assert result.plan.startswith(expected_plan)


def test_the_sample_rows_count_the_same_in_sql_as_in_python(log_db):
    """fixtures/logs: the schema and the sample rows load on both backends, and the database's
    counting (SQL on MariaDB) agrees with the Python matcher row by row."""
    import json
    from gigacheck.logs import signatures
    fixtures = Path(__file__).resolve().parents[1] / "fixtures" / "logs"
    url = log_db.make([])
    dialect = "sqlite" if log_db.backend == "sqlite" else "mysql"
    log_db.script(url, (fixtures / f"sample-rows.{dialect}.sql").read_text(encoding="utf-8"))
    sample = json.loads((fixtures / "sample-rows.json").read_text(encoding="utf-8"))["rows"]
    expected, gigachat, saved = {}, 0, 0
    for row in sample:
        if row["minutes_ago"] < 24 * 60:
            verdict = signatures.classify(row["level"], row["message"])
            gigachat, saved = gigachat + verdict.gigachat, saved + verdict.saved
            for code in verdict.codes:
                expected[code] = expected.get(code, 0) + 1
    expected["LG018"] = signatures.lg018_count(gigachat, saved)
    result = scan(url)
    assert signatures.codes_summary(result.counts) == signatures.codes_summary(expected)
    assert all(expected.get(code) for code in signatures.CODES if code != "LG018")  # every signature is there
    assert result.rows == len(sample) - 1
