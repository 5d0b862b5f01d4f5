"""The log library without a database: signatures, URLs, time, the log file."""

import os
import socket
import time
from datetime import datetime, timedelta, timezone

import pytest

from gigacheck.logs import file as logfile
from gigacheck.logs import store as logstore
from gigacheck.logs import signatures
from gigacheck.diagnosis import Finding
from gigacheck.logs.options import options_from, parse_thresholds

NOW = datetime(2025, 6, 1, 12, 0, 0, tzinfo=timezone.utc)


def codes(level, message):
    return set(signatures.classify(level, message).codes)


# --- signatures ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("level, message, code", [
    ("ERROR", "❌ GIGAChat error: boom", "LG010"),
    ("CRITICAL", "gigachat is down", "LG010"),
    ("fatal", "GigaChat is down", "LG010"),
    ("INFO", "GigaChat вернул пустой путь", "LG011"),
    ("DEBUG", "модель ВЕРНУЛ ПУСТОЙ ответ", "LG011"),
    ("ERROR", "Не удалось сгенерировать изображение", "LG012"),
    ("WARNING", "ТАЙМАУТ запроса", "LG013"),
    ("ERROR", "asyncio.TimeoutError", "LG013"),
    ("ERROR", "HTTP 429", "LG014"),
    ("ERROR", "status=429,", "LG014"),
    ("INFO", "too many requests", "LG014"),
    ("INFO", "Cooldown 30 s", "LG014"),
    ("ERROR", "HTTP 402", "LG015"),
    ("ERROR", "PAYMENT REQUIRED", "LG015"),
    ("INFO", "Баланс исчерпан", "LG015"),
    ("INFO", "low balance", "LG015"),
    ("WARNING", "нет <IMG> тега в ответе", "LG016"),
    ("ERROR", "ошибка сохранения файла", "LG017"),
    ("ERROR", "<title>404 Not Found</title>", "LG019"),
    ("WARNING", "No access token available", "LG019"),
    ("ERROR", "OAuth failed with status 401", "LG019"),
])
def test_each_signature_is_found_at_any_case(level, message, code):
    assert code in codes(level, message)


@pytest.mark.parametrize("level, message, code", [
    ("WARNING", "GigaChat error", "LG010"),          # LG010 asks for ERROR and above
    ("INFO", "GigaChat ok", "LG010"),
    ("ERROR", "database error", "LG010"),
    ("INFO", "размер: 142900 байт", "LG014"),        # not a whole 429
    ("INFO", "id=4290", "LG014"),
    ("INFO", "1402 строки", "LG015"),
    ("INFO", "тайм-аут не наступил", "LG013"),
    ("INFO", "<img> тег найден", "LG016"),
    ("INFO", "404 страницы", "LG019"),
])
def test_near_misses_are_not_found(level, message, code):
    assert code not in codes(level, message)


@pytest.mark.parametrize("text", [
    "HTTP 429", "http/1.1 429", "status=429,", "status_code=429", '{"status": 429}', "statusCode: 429",
    "429 Client Error: Too Many Requests for url: https://x/api/v1/chat/completions", "Error code: 429 - {}",
    "<Response [429]>", "код ответа 429", "Ошибка 429 от GigaChat", "статус: 429", "HTTP Error 429",
    "ResponseError: (URL('https://x/api/v1/chat/completions'), 429, b'', Headers({}))"])
def test_a_status_number_counts_in_a_status_context(text):
    assert "LG014" in codes("INFO", text)
    assert "LG015" in codes("INFO", text.replace("429", "402"))


@pytest.mark.parametrize("text", [
    "429", "(429)", "code429x", "Страница /blog/?page=429 отдана за 12 мс", "GigaChat-Pro: ответ получен за 429 мс",
    "media/ai_images/article_429.jpg", "cache hit key=page:429", "GET /articles/429/ 200", "request_id=9f429ab1",
    "status: 200, items: 429", "HTTP 200 за 429 мс", "Изображение сохранено (размер: 429 КБ)", "status=4290"])
def test_a_status_number_elsewhere_is_not_a_status(text):
    assert "LG014" not in codes("ERROR", text)
    assert "LG015" not in codes("ERROR", text.replace("429", "402"))


def test_null_and_bytes_messages_classify_without_error():
    assert codes("ERROR", None) == set()
    assert "LG014" in codes("ERROR", b"\xff\xfe HTTP 429 \xc3")


def test_levels_and_above():
    assert signatures.at_or_above("ERROR") == tuple(sorted({"ERROR", "CRITICAL", "ERR", "CRIT", "FATAL", "40", "50"}))
    assert signatures.level_ok("warn", "WARNING") and signatures.level_ok("Critical", "ERROR")
    assert not signatures.level_ok("INFO", "WARNING") and not signatures.level_ok("", "DEBUG")
    assert signatures.level_ok(None, None)
    with pytest.raises(ValueError):
        signatures.parse_level("LOUD")


def test_the_summary_names_every_code_zeros_included():
    assert list(signatures.codes_summary({"LG014": 2})) == [f"LG0{n}" for n in range(10, 23)]
    assert signatures.codes_summary({"LG014": 2})["LG014"] == 2


# --- options -------------------------------------------------------------------------------------------

def test_thresholds_parse_and_refuse_bad_entries():
    assert parse_thresholds(["LG014=5", "lg015=2", "LG010=1, LG013=0"]) == {"LG014": 5, "LG015": 2, "LG010": 1,
                                                                              "LG013": 0}
    for bad in (["LG099=1"], ["LG014"], ["LG014=x"], ["LG014=-1"], ["GC001=1"]):
        with pytest.raises(ValueError):
            parse_thresholds(bad)


@pytest.mark.parametrize("kwargs", [dict(hours=0), dict(hours=-1), dict(hours=float("nan")), dict(limit=-1),
                                    dict(level="LOUD"), dict(query_timeout="0")])
def test_bad_log_options_are_refused(kwargs):
    args = dict(hours=24, level=None, search=None, limit=50) | kwargs
    with pytest.raises(ValueError):
        options_from(**args)


def test_half_an_hour_is_a_float_window():
    opts = options_from(0.5, "warning", "x", 5)
    assert (opts.hours, opts.level, opts.search, opts.limit) == (0.5, "WARNING", "x", 5)
    window = logstore.Window.last(0.5, now=NOW)
    assert window.since_local == datetime(2025, 6, 1, 11, 30)


# --- time ----------------------------------------------------------------------------------------------

def test_the_window_bound_is_utc_converted_to_the_log_zone():
    moscow = logstore.zone("Europe/Moscow")
    window = logstore.Window.last(24, moscow, now=NOW)
    assert window.since_local == datetime(2025, 5, 31, 15, 0)   # 12:00 UTC - 24 h, in UTC+3
    assert logstore.Window.last(24, now=NOW).since_local == datetime(2025, 5, 31, 12, 0)
    assert logstore.zone("+03:00").utcoffset(None) == timedelta(hours=3)
    with pytest.raises(Finding) as err:
        logstore.zone("Mars/Olympus")
    assert err.value.code == "LG001"


@pytest.mark.parametrize("text, expected", [
    ("2025-06-01 12:00:00", datetime(2025, 6, 1, 12)),
    ("2025-06-01 12:00:00.123456", datetime(2025, 6, 1, 12, 0, 0, 123456)),
    ("2025-06-01T12:00:00,123", datetime(2025, 6, 1, 12, 0, 0, 123000)),
    ("2025-06-01 15:00:00+03:00", datetime(2025, 6, 1, 12)),
    ("2025-06-01T12:00:00Z", datetime(2025, 6, 1, 12)),
    ("2025-06-01 12:00:00.1234567", datetime(2025, 6, 1, 12, 0, 0, 123456)),
    ("not a time", None), ("", None), (None, None),
])
def test_stored_timestamps_parse(text, expected):
    assert logstore.parse_timestamp(text, timezone.utc) == expected


# --- DATABASE_URL ----------------------------------------------------------------------------------------

def test_mysql_urls_parse_and_their_label_has_no_password():
    url = logstore.parse_database_url("mysql://site:p%40ss%3Aword@db.local:3307/site_db?unix_socket=/run/m.sock")
    assert (url.user, url.password, url.host, url.port, url.database) == ("site", "p@ss:word", "db.local", 3307,
                                                                            "site_db")
    assert url.label == "mysql://site@db.local:3307/site_db"
    assert "word" not in repr(url) and "word" not in url.label
    assert dict(url.options)["unix_socket"] == "/run/m.sock"
    assert logstore.parse_database_url("mysql+pymysql://u@h/d").port == 3306


def test_sqlite_urls_as_django_writes_them(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert logstore.parse_database_url("sqlite:///db.sqlite3").path == "db.sqlite3"
    assert logstore.parse_database_url("sqlite:////srv/site/db.sqlite3").path == "/srv/site/db.sqlite3"
    (tmp_path / "abs.sqlite3").write_bytes(b"")
    # sqlite:///<absolute path without the 4th slash> still finds the file
    assert logstore.parse_database_url(f"sqlite://{tmp_path}/abs.sqlite3").path == f"{tmp_path}/abs.sqlite3"


@pytest.mark.parametrize("text", [None, "", "   ", "oracle://u:p@h/db", "mysql://u:p@h:notaport/db",
                                  "mysql://u:p@h:3306/", "sqlite://", "sqlite:///:memory:", "just-text"])
def test_urls_that_cannot_be_read_are_lg001_without_the_password(text):
    with pytest.raises(Finding) as err:
        logstore.parse_database_url(text)
    assert err.value.code == "LG001"
    assert ":p@" not in err.value.render()


def test_table_and_column_names_are_identifiers():
    assert logstore.LogTable.of("T", "created_at, lvl msg") == logstore.LogTable("T", "created_at", "lvl", "msg")
    assert logstore.LogTable.of(None, "") == logstore.LogTable()
    for name, cols in (("t; DROP TABLE x", ""), ("t", "a b"), ("t`", ""), ("t", "a b c`")):
        with pytest.raises(ValueError):
            logstore.LogTable.of(name, cols)


def test_a_database_that_accepts_and_never_speaks_costs_the_connect_timeout_not_the_read_timeout():
    """The greeting is waited for connect_timeout, not statement_limit + 5 s (35 s here)."""
    from gigacheck.logs.mysql import MySQLSource
    # a listener that never accepts: the kernel completes the TCP handshake and nobody ever speaks;
    # closing it at the end resets the waiting connection
    with socket.create_server(("127.0.0.1", 0)) as silent:
        url = logstore.parse_database_url(f"mysql://site:pw@127.0.0.1:{silent.getsockname()[1]}/site")
        started = time.monotonic()
        with pytest.raises(Finding) as err:
            MySQLSource(url, logstore.LogTable(), statement_limit=30, connect_timeout=1)
        seconds = time.monotonic() - started
    assert (err.value.code, err.value.subject) == ("LG002", logstore.DB_SUBJECT)
    assert "did not answer within 1 s" in err.value.detail, err.value.detail
    assert "time limit" not in err.value.detail
    assert seconds < 15, seconds


# --- the log file ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("line, stamp, level, message", [
    ("2025-06-01 12:00:00,123 - Asistent.views - ERROR - GigaChat down", "2025-06-01 12:00:00,123", "ERROR",
     "GigaChat down"),
    ("2025-06-01 12:00:00,123 ERROR GigaChat down", "2025-06-01 12:00:00,123", "ERROR", "GigaChat down"),
    ("[2025-06-01 12:00:00] [WARNING] slow", "2025-06-01 12:00:00", "WARNING", "slow"),
    ("[2025-06-01 12:00:00 +0300] [1234] [ERROR] worker timeout", "2025-06-01 12:00:00 +0300", "ERROR",
     "worker timeout"),
    ("ERROR 2025-06-01 12:00:00,123 views 1234 5678 GigaChat down", "2025-06-01 12:00:00,123", "ERROR",
     "views 1234 5678 GigaChat down"),
    ("ERROR - ❌ GIGAChat error: <html><head><title>404 Not Found</title>", None, "ERROR",
     "❌ GIGAChat error: <html><head><title>404 Not Found</title>"),
    ("ERROR:Asistent:GigaChat down", None, "ERROR", "Asistent:GigaChat down"),
    ("WARN 2025-06-01T12:00:00Z retry", "2025-06-01T12:00:00Z", "WARNING", "retry"),
])
def test_log_line_formats(line, stamp, level, message):
    assert logfile.parse_head(line) == (stamp, level, message)


@pytest.mark.parametrize("line", ["Traceback (most recent call last):", '  File "x.py", line 1', "</body></html>",
                                  "Error while saving", ""])
def test_continuation_lines_are_not_records(line):
    assert logfile.parse_head(line) is None


def write_log(path, text, mtime=None):
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    if mtime is not None:
        os.utime(path, (mtime.timestamp(), mtime.timestamp()))
    return path


def test_the_log_file_counts_its_window(tmp_path):
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    old, recent = now - timedelta(hours=30), now - timedelta(minutes=10)
    log = write_log(tmp_path / "app.log", "\n".join([
        f"{old:%Y-%m-%d %H:%M:%S},000 - Asistent - ERROR - GigaChat error: 429 Too Many Requests",
        f"{recent:%Y-%m-%d %H:%M:%S},000 - Asistent - ERROR - GigaChat error: 429 Too Many Requests",
        "Traceback (most recent call last):",
        "  TimeoutError: read timed out",       # a continuation: part of the record above
        f"{recent:%Y-%m-%d %H:%M:%S},500 - Asistent - INFO - Изображение сохранено: a.jpg",
    ]) + "\n")
    source = logfile.FileSource(str(log))
    scan = source.scan(logstore.Window.last(24), logstore.Filter())
    # LG014 and LG013 explain the GigaChat error: LG010 does not count it again
    assert (scan.counts["LG014"], scan.counts["LG013"], scan.counts["LG010"], scan.saved) == (1, 1, 0, 1)
    assert scan.rows == 2
    assert "TimeoutError" in scan.samples["LG013"][0].message
    rows = source.rows(logstore.Window.last(24), logstore.Filter())
    assert [r.level for r in rows] == ["INFO", "ERROR"]   # newest first


def test_undated_lines_take_the_files_modification_time(tmp_path):
    line = "ERROR - ❌ GIGAChat error: <html><head><title>404 Not Found</title></head></html>\n"
    fresh = write_log(tmp_path / "fresh.log", line)
    stale = write_log(tmp_path / "stale.log", line, mtime=datetime.now(timezone.utc) - timedelta(days=3))
    window = logstore.Window.last(24)
    assert logfile.FileSource(str(fresh)).scan(window, logstore.Filter()).counts["LG019"] == 1
    assert logfile.FileSource(str(stale)).scan(window, logstore.Filter()).counts["LG019"] == 0


def test_a_log_file_that_is_not_utf8_is_still_read(tmp_path):
    log = write_log(tmp_path / "cp1251.log", "ERROR - Таймаут GigaChat\n".encode("cp1251") + b"ERROR - \xff HTTP 429\n")
    scan = logfile.FileSource(str(log)).scan(logstore.Window.last(1), logstore.Filter())
    assert scan.counts["LG014"] == 1 and scan.rows == 2


def test_a_big_log_file_is_bisected_to_the_window(tmp_path, monkeypatch):
    monkeypatch.setattr(logfile, "BISECT_BYTES", 10_000)
    monkeypatch.setattr(logfile, "BISECT_GRAIN", 1_000)
    seeks = []
    real_seek = logfile.FileSource._seek
    monkeypatch.setattr(logfile.FileSource, "_seek", lambda self, *a: seeks.append(real_seek(self, *a)) or seeks[-1])
    # 48 hours, one line every 43.2 s, the 2000th 20 s inside the 24-hour window; a failure every 100th
    start = datetime.now(timezone.utc).replace(tzinfo=None) - timedelta(hours=48) + timedelta(seconds=20)
    lines = []
    for i in range(4000):
        stamp = start + timedelta(seconds=43.2 * i)
        what = "ERROR GigaChat error: 429" if i % 100 == 0 else "INFO GET /articles/ 200"
        lines.append(f"{stamp:%Y-%m-%d %H:%M:%S},000 {what}")
    log = write_log(tmp_path / "big.log", "\n".join(lines) + "\n")
    scan = logfile.FileSource(str(log)).scan(logstore.Window.last(24), logstore.Filter())
    assert (scan.counts["LG014"], scan.rows) == (20, 2000)
    size = log.stat().st_size
    assert seeks and 0.4 * size < seeks[0] < 0.5 * size  # started near the window, ten minutes early


@pytest.mark.parametrize("make, why", [(lambda p: p / "missing.log", "no such file"),
                                       (lambda p: p, "not a file")])
def test_a_log_file_that_cannot_be_read_is_lg001(tmp_path, make, why):
    with pytest.raises(Finding) as err:
        logfile.FileSource(str(make(tmp_path)))
    assert err.value.code == "LG001" and why in err.value.detail


# --- rows ------------------------------------------------------------------------------------------------

def test_newest_keeps_the_newest_rows_in_any_arrival_order():
    newest = logstore.Newest(3)
    for minute in (5, 1, 9, 3, 7, 2):
        newest.add(logstore.Row(datetime(2025, 1, 1, 0, minute), "INFO", str(minute), 1, minute))
    assert [r.message for r in newest.rows()] == ["9", "7", "5"]
    assert logstore.Newest(0).rows() == []


def test_a_row_prints_as_the_site_viewer_does():
    row = logstore.Row(datetime(2025, 6, 1, 12, 0, 5, 999), "ERROR", "a\nb", 3)
    assert row.line() == "2025-06-01 12:00:05 [ERROR] a\nb"
    assert row.line(width=10) == "2025-06-01 12:00:05 [ERROR] a b"
    long = logstore.Row(datetime(2025, 6, 1), "INFO", "x" * 20, 1_000_000)
    assert long.line(width=5) == "2025-06-01 00:00:00 [INFO] xxxxx… (1000000 characters)"
    assert long.as_json(timezone.utc)["timestamp"] == "2025-06-01T00:00:00+00:00"


def test_a_surprise_from_a_driver_is_a_coded_finding_raised_once_per_ask():
    from gigacheck.logs.questions import Cached
    calls = []
    cached = Cached(lambda: calls.append(1) or 1 / 0)
    first = pytest.raises(Finding, cached.get).value
    second = pytest.raises(Finding, cached.get).value
    assert (first.code, first.subject) == (second.code, second.subject) == ("LG002", logstore.DB_SUBJECT)
    assert "ZeroDivisionError" in first.detail and first is not second and calls == [1]


def test_prefilter_functions_find_what_the_plain_forms_find():
    """Issue 13: the trie-spelled needles, the ASCII-bytes folding and the remembered level test
    pick exactly the rows the plain alternation on `fold(as_text(...))` picks."""
    import random
    import re
    from gigacheck.logs import signatures as S
    plain = {S.picks: re.compile("|".join(map(re.escape, S.NEEDLES))),
             S.picks_for_scan: re.compile("|".join(map(re.escape, S.SCAN_NEEDLES)))}
    rnd = random.Random(13)
    alphabet = list("abcdefgiklmnopqrstuvwxyzKT <>_0429 \x00\x80\xff") + list("абвгдеёжзийклмнопрстуфхцчшщыьэюяПБ")
    needles = S.NEEDLES + S.SCAN_NEEDLES + ("gigachat", "GigaChat")
    texts = ["", "TIMED OUT", "Недостаточно средств", "ReadTimeout", "K\u212aelvin token", "ﬃ insuﬃcient"]
    for _ in range(20000):
        parts = []
        for _ in range(rnd.randint(0, 5)):
            n = rnd.choice(needles)
            i, j = sorted((rnd.randint(0, len(n)), rnd.randint(0, len(n))))
            parts.append(rnd.choice((n, n.upper(), n[i:j], "".join(rnd.choice(alphabet) for _ in range(3)))))
        texts.append("".join(parts))
    levels = ("ERROR", " error ", "warn", 40, 40.0, "40", b"CRITICAL", None, "INFO")
    for text in texts:
        for value in (text, text.encode("utf-8"), text.encode("utf-8") + b"\xc3", text.encode("latin-1", "replace")):
            folded = S.fold(S.as_text(value))
            assert S.picks(value) == (1 if plain[S.picks].search(folded) else 0), value
            level = rnd.choice(levels)
            want = plain[S.picks_for_scan].search(folded) or ("gigachat" in folded and S.level_ok(level, "ERROR"))
            assert S.picks_for_scan(level, value) == (1 if want else 0), (level, value)
