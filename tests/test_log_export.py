"""The viewer as an export (issue 20): `--limit 0` streams every row of the window, newest first, in keyset
pages (never the window fetched at once), text and JSON alike; a list that `--limit` cuts says on stderr how
many rows it left out and how to get them; `--limit 0` never says "no matching log rows" when rows exist.
On SQLite and MariaDB (log_db); the runbook's `manage.py view_gigachat_logs --level ERROR --hours 24` on
every backend is in tests/test_django_app.py. Peak memory for 200,000 rows: bench/bench_export.py."""

import json
from datetime import datetime, timedelta, timezone

import pytest

from gigacheck.logs import sources, sql, store, viewer as logview
from tests.support.viewer import view

NOW = datetime.now(timezone.utc).replace(microsecond=0)




@pytest.fixture(autouse=True)
def no_env_file_here(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def runbook_rows():
    """335 ERROR rows over the last 23 hours (the 402, OAuth and 429 episodes of the runbook's day),
    with INFO rows about GigaChat between them, and rows outside the window."""
    rows = []
    kinds = ["❌ GigaChat error: 402 Payment Required", "GigaChat error: OAuth failed with status 401",
             "❌ GigaChat error: 429 Too Many Requests", "Ошибка GigaChat: модель GigaChat-Max недоступна"]
    for i in range(335):
        rows.append(("ERROR", f"{kinds[i % 4]} (запрос {i})", 2 + i * 4))
    for i in range(120):
        rows.append(("INFO", f"GigaChat: ответ получен за {i % 9}.5 с", 3 + i * 11))
    rows += [("ERROR", "❌ GigaChat error: 429 Too Many Requests (вчера)", 25 * 60 + i) for i in range(5)]
    return rows


@pytest.fixture
def runbook_table(log_db):
    return {"DATABASE_URL": log_db.make(runbook_rows(), now=NOW)}


def test_the_runbooks_error_report_says_what_the_limit_left_out(runbook_table):
    rc, out, err = view("--level", "ERROR", "--hours", "24", env=runbook_table)
    assert rc == 0 and len(out.splitlines()) == 50
    assert "50" in err and "335" in err and "285" in err and "--limit 0" in err
    rc, out, err = view("--level", "ERROR", "--hours", "24", "--limit", "0", env=runbook_table)
    lines = out.splitlines()
    assert rc == 0 and err == "" and len(lines) == 335
    assert all("[ERROR]" in line for line in lines) and "(запрос 0)" in lines[0] and "(запрос 334)" in lines[-1]
    assert lines == sorted(lines, reverse=True)  # newest first
    rc, out, err = view("--level", "ERROR", "--limit", "100000", env=runbook_table)
    assert rc == 0 and err == "" and out.splitlines() == lines


def test_json_streams_the_same_rows_and_says_the_same(runbook_table):
    text = view("--level", "ERROR", "--limit", "0", env=runbook_table)[1].splitlines()
    rc, out, err = view("--level", "ERROR", "--limit", "0", "--json", env=runbook_table)
    rows = json.loads(out)
    assert rc == 0 and err == "" and len(rows) == 335
    assert [r["message"] for r in rows] == [line.split("] ", 1)[1] for line in text]
    assert out == json.dumps(rows, ensure_ascii=False, indent=1) + "\n"  # the text json.dumps writes for the list
    rc, out, err = view("--level", "ERROR", "--limit", "10", "--json", env=runbook_table)
    assert len(json.loads(out)) == 10 and "325" in err and "--limit 0" in err


def test_limit_0_never_says_no_rows_when_there_are_rows(log_db):
    env = {"DATABASE_URL": log_db.make([("INFO", "GigaChat: ответ получен", 5)], now=NOW)}
    rc, out, err = view("--limit", "0", env=env)
    assert rc == 0 and len(out.splitlines()) == 1 and err == ""
    rc, out, err = view("--limit", "0", "--search", "ничего такого", env=env)
    assert (rc, out) == (0, "") and "no matching log rows" in err
    rc, out, err = view("--limit", "0", "--json", "--search", "ничего такого", env=env)
    assert (rc, json.loads(out)) == (0, [])


def test_pages_follow_time_and_id_across_their_bounds(log_db, monkeypatch):
    """Small pages, rows of the same second (ties broken by id), rows in and out of the viewer's topics:
    the stream gives exactly the rows, in the order, that the window read at once gives."""
    monkeypatch.setattr(sql, "STREAM_PAGE", 7)
    rows = [("INFO" if i % 3 else "ERROR", f"GigaChat: строка {i}" if i % 5 else f"Медленный запрос {i}",
             (i // 4) * 0.5) for i in range(100)]  # four rows per half minute: ties across page bounds
    url = log_db.make(rows, now=NOW)
    window, flt = store.Window.last(24), store.Filter(limit=1000)
    fetched = []
    with sources.open_database(url) as source:
        real = source._fetch
        monkeypatch.setattr(source, "_fetch", lambda q, p=(): fetched.append(len(r := real(q, p))) or r)
        streamed = [(r.timestamp, r.key, r.message) for r in source.stream(window, flt)]
        monkeypatch.setattr(source, "_fetch", real)
        at_once = [(r.timestamp, r.key, r.message) for r in source.rows(window, flt)]
    assert len(streamed) == 80 and streamed == at_once
    assert max(fetched) <= 7 and len(fetched) >= 80 // 7  # pages, never the window at once


def test_a_table_and_a_log_file_are_merged_newest_first(log_db, tmp_path):
    url = log_db.make([("ERROR", f"GigaChat error: 429 Too Many Requests #{i}", 10 * i + 5) for i in range(6)],
                      now=NOW)
    stamp = lambda m: (NOW - timedelta(minutes=m)).strftime("%Y-%m-%d %H:%M:%S")  # noqa: E731
    log = tmp_path / "app.log"
    log.write_text("".join(f"{stamp(10 * i)},000 - Asistent - ERROR - GigaChat error: 502 Bad Gateway #{i}\n"
                           for i in range(6, -1, -1)), encoding="utf-8")
    rc, out, err = view("--limit", "0", env={"DATABASE_URL": url, "GIGACHECK_LOG_FILE": str(log)})
    lines = out.splitlines()
    assert rc == 0 and len(lines) == 13 and lines == sorted(lines, reverse=True)
    rc, out, err = view("--limit", "4", env={"DATABASE_URL": url, "GIGACHECK_LOG_FILE": str(log)})
    assert out.splitlines() == lines[:4] and "9 left out" in err


def test_limits_are_whole_numbers_from_0(log_db):
    env = {"DATABASE_URL": log_db.make([], now=NOW)}
    assert view("--limit", "-1", env=env)[0] == 2
    assert view("--limit", "100000", env=env)[0] == 0
