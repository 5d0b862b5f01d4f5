"""A view as the log table, and a user that may not read all of it (issue 22).

A view works on MariaDB, PostgreSQL and SQLite: an EXPLAIN the server refuses (MariaDB wants SHOW VIEW for
it) drops only the plan's label, never the read; LG005 skips (a view has no index of its own); SQLite reads
a view without rowid. A user lacking SELECT on a column or the table is LG002's "privilege" variant naming
the GRANT to run, never "the table lacks message ... migrate it" nor "log table missing". Real servers, real
users and roles with column grants."""

from __future__ import annotations

import pytest

from gigacheck.diagnosis import Finding
from gigacheck.logs import sources
from gigacheck.logs.store import Filter, LogTable, Window
from tests.support.checksrun import CHECKS
from tests.support.postgres import make_log_table

LOG_CHECKS = CHECKS / "test_logs.py"
ROWS = [("INFO", "GigaChat: ответ получен", 50), ("ERROR", "❌ GigaChat error: 429 Too Many Requests", 40),
        ("INFO", "Изображение сохранено: a.jpg", 30), ("ERROR", "GigaChat 402 Payment Required", 60 * 30)]
VIEW = "gigachat_log_view"


def scan_of(url: str, table: str = VIEW):
    with sources.open_database(url, LogTable.of(table)) as source:
        info = source.table_info()
        scan = source.scan(Window.last(24), Filter())
        rows = source.rows(Window.last(24), Filter())
    return info, scan, rows


def finding_of(url: str, table: str = "Asistent_systemlog") -> Finding:
    with pytest.raises(Finding) as caught:
        with sources.open_database(url, LogTable.of(table)) as source:
            source.table_info()
            source.scan(Window.last(24), Filter())
    return caught.value


# --- views ---------------------------------------------------------------------------------------------

def _mariadb_view(log_db) -> str:
    server = log_db.server
    url = log_db.make(ROWS, index=True)
    server.execute(f"CREATE VIEW `{VIEW}` AS SELECT id, `timestamp`, level, message FROM Asistent_systemlog",
                   database=log_db.database)
    user, password = server.create_user(log_db.database)  # SELECT on the database: no SHOW VIEW
    return server.url(log_db.database, user, password)


@pytest.mark.parametrize("log_db", ["mariadb"], indirect=True)
def test_a_mariadb_view_is_read_though_explain_is_refused(log_db):
    url = _mariadb_view(log_db)
    with sources.open_database(url, LogTable.of(VIEW)) as source:
        with pytest.raises(Finding):  # the server refuses EXPLAIN of the view to a SELECT-only user ...
            source.explain(f"SELECT message FROM `{VIEW}`")
    info, scan, rows = scan_of(url)  # ... and the read goes on without the plan's label
    assert info.view and info.pk is None and not info.indexed
    assert scan.counts["LG014"] == 1 and scan.counts["LG015"] == 0 and "[" not in scan.plan
    assert [r.message for r in rows][0] == "Изображение сохранено: a.jpg"


@pytest.mark.parametrize("log_db", ["sqlite"], indirect=True)
def test_a_sqlite_view_is_read_without_rowid(log_db):
    url = log_db.make(ROWS)
    import sqlite3
    conn = sqlite3.connect(url[len("sqlite:///"):])
    conn.execute(f'CREATE VIEW "{VIEW}" AS SELECT "timestamp", level, message FROM "Asistent_systemlog"')
    conn.commit()
    conn.close()
    info, scan, rows = scan_of(url)
    assert info.view and info.pk is None
    assert scan.counts["LG014"] == 1 and len(rows) == 3


def test_a_postgresql_view_is_read(postgres_server):
    db = make_log_table(postgres_server, ROWS, index=True)
    postgres_server.execute(f'CREATE VIEW "{VIEW}" AS SELECT id, "timestamp", level, message '
                            f'FROM "Asistent_systemlog"', database=db)
    user, password = postgres_server.create_user(db)  # SELECT on every table and view of the schema
    info, scan, rows = scan_of(postgres_server.url(db, user, password))
    assert info.view and not info.indexed
    assert scan.counts["LG014"] == 1 and scan.counts["LG015"] == 0 and len(rows) == 3


@pytest.mark.parametrize("log_db", ["mariadb"], indirect=True)
def test_the_checks_on_a_view_skip_lg005_and_find_the_rows(run_checks, log_db):
    url = _mariadb_view(log_db)
    run = run_checks("-m", "logs", env={"DATABASE_URL": url, "GIGACHECK_LOG_TABLE": VIEW}, checks=LOG_CHECKS)
    index = run.check("test_is_the_timestamp_column_indexed")
    assert index["outcome"] == "skipped" and index["codes"] == ["LG005"], index
    assert "is a view" in index["summary"]
    # the view's rows are found: the 429, then an image saved after it (a resolved incident, SPEC "Verdicts over time")
    assert run.failed() == {}
    assert [(i["code"], i["state"], i["rows"]) for i in run.json["incidents"]] == [("LG014", "resolved", 1)]


# --- privileges ------------------------------------------------------------------------------------------

def _mariadb_user(server, database: str, grant: str):
    user, password = f"cg{next(server._names)}_{server._tag}"[:32], "Rd-pass-1234567"
    for host in ("%", "localhost"):
        server.execute("CREATE USER %s@%s IDENTIFIED BY %s", (user, host, password))
        server.execute(grant.format(db=database, user=user, host=host))
    return user, password


@pytest.mark.parametrize("log_db", ["mariadb"], indirect=True)
def test_a_mariadb_user_without_select_on_message_is_told_the_grant(log_db):
    server = log_db.server
    log_db.make(ROWS)
    db = log_db.database
    user, password = _mariadb_user(server, db, "GRANT SELECT (id, `timestamp`, level) ON `{db}`.Asistent_systemlog "
                                               "TO '{user}'@'{host}'")
    f = finding_of(server.url(db, user, password))
    assert f.code == "LG002" and f.situation == "privilege-mysql", f.render()
    text = f.render()
    assert "message" in f.detail and "migrate" not in text
    assert f"GRANT SELECT ON `{db}`.`Asistent_systemlog` TO '{user}'@'" in text


@pytest.mark.parametrize("log_db", ["mariadb"], indirect=True)
def test_a_mariadb_user_without_the_table_is_not_told_it_is_missing(log_db):
    server = log_db.server
    log_db.make(ROWS)
    db = log_db.database
    server.execute("CREATE TABLE other (x int)", database=db)
    user, password = _mariadb_user(server, db, "GRANT SELECT ON `{db}`.other TO '{user}'@'{host}'")
    f = finding_of(server.url(db, user, password))
    assert f.code == "LG002" and f.situation == "privilege-mysql", f.render()
    assert f"GRANT SELECT ON `{db}`.`Asistent_systemlog` TO '{user}'@'" in f.render()


@pytest.mark.parametrize("log_db", ["mariadb"], indirect=True)
def test_the_checks_say_lg002_with_the_grant_not_lg004(run_checks, log_db):
    server = log_db.server
    log_db.make(ROWS)
    db = log_db.database
    user, password = _mariadb_user(server, db, "GRANT SELECT (id, `timestamp`, level) ON `{db}`.Asistent_systemlog "
                                               "TO '{user}'@'{host}'")
    run = run_checks("-m", "logs", env={"DATABASE_URL": server.url(db, user, password)}, checks=LOG_CHECKS)
    codes = {c for codes in run.failed().values() for c in codes}
    assert "LG002" in codes and "LG004" not in codes and "LG003" not in codes, run.failed()
    assert "GRANT SELECT ON" in run.stdout and "migrate it" not in run.stdout


def test_a_postgresql_role_without_select_on_message_is_told_the_grant(postgres_server):
    db = make_log_table(postgres_server, ROWS)
    user, password = postgres_server.create_user(db)
    postgres_server.execute(f'REVOKE SELECT ON "Asistent_systemlog" FROM "{user}"', database=db)
    postgres_server.execute(f'GRANT SELECT (id, "timestamp", level) ON "Asistent_systemlog" TO "{user}"',
                            database=db)
    f = finding_of(postgres_server.url(db, user, password))
    assert f.code == "LG002" and f.situation == "privilege-postgresql", f.render()
    assert "message" in f.detail and "migrate" not in f.render()
    assert f'GRANT SELECT ON "Asistent_systemlog" TO "{user}";' in f.render()


def test_a_postgresql_permission_denied_mid_read_is_the_privilege_variant(postgres_server):
    db = make_log_table(postgres_server, ROWS)
    user, password = postgres_server.create_user(db)
    with sources.open_database(postgres_server.url(db, user, password)) as source:
        source.table_info()
        postgres_server.execute(f'REVOKE SELECT ON "Asistent_systemlog" FROM "{user}"', database=db)
        with pytest.raises(Finding) as caught:
            source._run('SELECT message FROM "Asistent_systemlog" LIMIT 1')
    assert caught.value.code == "LG002" and caught.value.situation == "privilege-postgresql"
    assert f'GRANT SELECT ON "Asistent_systemlog" TO "{user}";' in caught.value.render()


@pytest.mark.parametrize("log_db", ["mariadb"], indirect=True)
def test_a_mariadb_read_refused_mid_pass_names_the_column_and_the_grant(log_db):
    server = log_db.server
    log_db.make(ROWS)
    db = log_db.database
    user, password = _mariadb_user(server, db, "GRANT SELECT (id, `timestamp`, level) ON `{db}`.Asistent_systemlog "
                                               "TO '{user}'@'{host}'")
    with sources.open_database(server.url(db, user, password)) as source:
        with pytest.raises(Finding) as caught:  # error 1143, as a read of the pass meets it
            source._run("SELECT message FROM Asistent_systemlog WHERE 1 = 0")
    f = caught.value
    assert f.code == "LG002" and f.situation == "privilege-mysql" and "column(s) message" in f.detail
    assert f"GRANT SELECT ON `{db}`.`Asistent_systemlog` TO '{user}'@'" in f.render()
