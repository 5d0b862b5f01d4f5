"""The log table on a real PostgreSQL (a throwaway cluster, tests/support/postgres.py): the same counts,
codes and rows as SQLite on the same rows, the promises MariaDB keeps (a read-only transaction with a
statement limit, only reads from the reader role, no password in any output), and a pass that reads
ranges whatever the planner's statistics say."""

import json
import re
import time
from datetime import datetime, timezone

import pytest

from gigacheck.logs import sources, store
from gigacheck.diagnosis import Finding
from tests.support.mariadb import LogDB
from tests.support.postgres import make_log_table
from tests.test_log_checks import Q, expect, outcomes, run_logs  # noqa: F401  (run_logs: the fixture)
from tests.test_logstore_corpus import EVERY, HEALTHY, SICK, found_rows, timed

pytest.importorskip("psycopg", reason="psycopg 3 is the PostgreSQL driver: pip install -e '.[test]'")

TABLE = '"Asistent_systemlog"'


def scan_of(url: str, window, limit: int = EVERY):
    with sources.open_database(url, store.LogTable(), 10) as source:
        return source.scan(window, store.Filter(limit=limit)), source.rows(window, store.Filter(search="429",
                                                                                                 limit=EVERY))


@pytest.mark.parametrize("index", [False, True], ids=["no-index", "index"])
def test_the_corpus_counts_and_shows_as_on_sqlite(postgres_server, tmp_path, index):
    rows = timed(SICK + HEALTHY)
    now = datetime.now(timezone.utc)
    pg = postgres_server.url(make_log_table(postgres_server, rows, index=index, now=now))
    lite = LogDB("sqlite", tmp_path).make(rows, index=index, now=now)
    window = store.Window.last(24, now=now)
    (pg_scan, pg_rows), (lite_scan, lite_rows) = scan_of(pg, window), scan_of(lite, window)
    assert pg_scan.counts == lite_scan.counts and sum(pg_scan.counts.values()) > len(SICK) // 2
    assert (pg_scan.rows, pg_scan.gigachat, pg_scan.saved) == (lite_scan.rows, lite_scan.gigachat, lite_scan.saved)
    assert found_rows(pg_scan) == found_rows(lite_scan)
    assert [r.line() for r in pg_rows] == [r.line() for r in lite_rows] and pg_rows
    assert ("timestamp index" if index else "primary-key range") in pg_scan.plan


def test_the_viewer_on_postgresql_prints_what_it_prints_on_sqlite(postgres_server, tmp_path, monkeypatch, capsys):
    from gigacheck.__main__ import main
    rows = timed(SICK + HEALTHY, seed=3)
    now = datetime.now(timezone.utc)
    urls = [postgres_server.url(make_log_table(postgres_server, rows, now=now), scheme="postgres"),
            LogDB("sqlite", tmp_path).make(rows, now=now)]
    monkeypatch.chdir(tmp_path)
    printed = []
    for url in urls:
        monkeypatch.setenv("DATABASE_URL", url)
        got = []
        for args in (["--search", "таймаут", "--limit", "0"], ["--search", "TIMEOUT", "--json"], ["--summary", "--json"]):
            assert main(["logs", *args]) == 0
            got.append(capsys.readouterr().out)
        printed.append(got)
    assert printed[0] == printed[1]
    assert json.loads(printed[0][2])["counts"]["LG013"] > 0 and json.loads(printed[0][1])


def test_every_statement_reads_a_range_on_a_table_never_analyzed(postgres_server):
    """A bulk load the planner has no statistics for: `id >= $1` alone is read as a whole-table scan
    (shown first, so this test could fail); every statement of the pass must read a range instead."""
    n = 60_000
    rows = [("INFO", "GigaChat: ответ получен", (n - i) * 2.0) for i in range(n)]  # 83 days, ids follow time
    rows += [("ERROR", "GigaChat: 429 Too Many Requests", 3), ("INFO", "Изображение сохранено: a.jpg", 2)]
    for index in (False, True):
        db = make_log_table(postgres_server, rows, index=index)
        url = postgres_server.url(db)
        with postgres_server.connect(db) as conn:
            assert conn.execute(f"SELECT reltuples FROM pg_class WHERE oid = '{TABLE}'::regclass").fetchone()[0] < 0
            plan = " ".join(r[0] for r in conn.execute(f"EXPLAIN SELECT COUNT(*) FROM {TABLE} WHERE id >= %s AND "
                                                       f"timestamp >= now() - interval '1 day'", (n - 800,)))
            assert "Seq Scan" in plan  # what an open range costs here
        sent = []
        with sources.open_database(url, store.LogTable(), 10) as source:
            run = source._run

            def recording(sql, params=()):
                if sql.lstrip().upper().startswith("SELECT") and TABLE in sql:
                    sent.append((sql, list(params or ())))
                return run(sql, params)
            source._run = recording
            window = store.Window.last(24)
            scan = source.scan(window, store.Filter())
            shown = source.rows(window, store.Filter(search="429"))
            plans = {sql: source.explain(sql, params) for sql, params in sent}
        assert scan.counts["LG014"] == 1 and scan.saved == 1 and len(shown) == 1
        assert len(plans) >= (3 if index else 6), plans
        for sql, plan in plans.items():
            assert "Seq Scan" not in plan, (sql, plan)


def test_live_checks_with_a_select_only_role_send_only_reads(run_logs, postgres_server):
    db = make_log_table(postgres_server, [
        ("INFO", "GigaChat: ответ получен", 50), ("INFO", "Изображение сохранено: a.jpg", 45),
        ("ERROR", "❌ GigaChat error: 429 Too Many Requests", 40), ("WARNING", "GigaChat: cooldown 60 с", 30),
        ("ERROR", "❌ GigaChat error: ответ не разобран", 42), ("ERROR", "GigaChat 402 Payment Required", 60 * 30)])
    user, password = postgres_server.create_user(db)
    offset = postgres_server.log_offset()
    run = run_logs(env={"DATABASE_URL": postgres_server.url(db, user, password)})
    assert outcomes(run) == expect(failed=("LG010", "LG014"), warned=("LG005",))
    assert ('CREATE INDEX CONCURRENTLY "Asistent_systemlog_timestamp_idx" ON "Asistent_systemlog" ("timestamp");'
            in run.stdout)
    assert password not in run.everything()
    sent = postgres_server.statements(offset, user)
    allowed = re.compile(r"^(SELECT|EXPLAIN SELECT|BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY|"
                         r"SET LOCAL (statement_timeout|idle_in_transaction_session_timeout) = \d+|ROLLBACK)\b")
    assert sent and [s for s in sent if not allowed.match(s)] == []
    assert sent[0].startswith("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
    assert any(s.startswith("SET LOCAL statement_timeout = 10000") for s in sent)


def test_a_wrong_password_is_lg002_with_postgresqls_remedy_and_no_password(run_logs, postgres_server):
    db = make_log_table(postgres_server, [("ERROR", "HTTP 429", 5)])
    user, _ = postgres_server.create_user(db)
    run = run_logs(env={"DATABASE_URL": postgres_server.url(db, user, "Not-The-Pass-5150", scheme="postgres")})
    got = outcomes(run)
    assert got.pop(Q["LG001"]) == ("passed", ())
    assert got.pop(Q["LG002"]) == ("failed", ("LG002",))
    assert set(got.values()) == {("skipped", ("LG002",))}
    assert "password authentication failed" in run.stdout and "psql 'postgresql://USER@HOST:5432/DB'" in run.stdout
    assert "Not-The-Pass-5150" not in run.everything()


def test_missing_table_and_missing_column_on_postgresql(run_logs, postgres_server):
    db = make_log_table(postgres_server, [("ERROR", "HTTP 429", 5)], table="some_other_table")
    got = outcomes(run_logs(env={"DATABASE_URL": postgres_server.url(db)}))
    assert got[Q["LG003"]] == ("failed", ("LG003",)) and got[Q["LG014"]] == ("skipped", ("LG003",))
    db = postgres_server.new_database()
    postgres_server.execute(f'CREATE TABLE {TABLE} (id bigint PRIMARY KEY, "timestamp" timestamptz, message text)',
                            database=db)
    got = outcomes(run_logs(env={"DATABASE_URL": postgres_server.url(db)}))
    assert got[Q["LG003"]] == ("passed", ()) and got[Q["LG004"]] == ("failed", ("LG004",))


def test_a_slow_table_fails_within_the_statement_limit(run_logs, postgres_server):
    """A view that takes a minute to read: the server cancels each statement at the limit (LG007)."""
    db = make_log_table(postgres_server, [("ERROR", "HTTP 429", 5)], table="real_log")
    postgres_server.execute(f'CREATE VIEW {TABLE} AS SELECT l.* FROM real_log l, pg_sleep(60)', database=db)
    started = time.monotonic()
    run = run_logs("-o", "gigacheck_log_query_timeout=1", env={"DATABASE_URL": postgres_server.url(db)})
    took = time.monotonic() - started
    assert "LG007" in {c for codes in run.failed().values() for c in codes}, run.stdout[-3000:]
    assert "statement timeout" in run.stdout
    assert took < 30  # a minute's read, stopped by the server at the limit


def test_postgresql_urls_are_understood_without_their_password():
    for scheme in ("postgresql", "postgres"):
        url = store.parse_database_url(f"{scheme}://site:S3cr%40t@db.example:6432/prod?sslmode=require")
        assert (url.kind, url.host, url.port, url.user, url.password, url.database) == \
            ("postgresql", "db.example", 6432, "site", "S3cr@t", "prod")
        assert url.label == "postgresql://site@db.example:6432/prod" and "S3cr" not in repr(url)
    assert store.parse_database_url("postgres://u@h/db").port == 5432
    with pytest.raises(Finding) as caught:
        store.parse_database_url("postgresql://u:p@h:5432/")
    assert caught.value.code == "LG001" and ":p@" not in caught.value.detail
