"""The log pass's fast paths give the answers of the plain ones: the indexed window read as a key
range, a big window passed in two halves on two connections, the saved-image search apart from the
pass, PyMySQL's TLS context without the CA store. Each on real databases (`log_db`, `mariadb_server`)."""

import ssl
import threading
from datetime import datetime, timedelta, timezone

import pytest

from gigacheck.diagnosis import Finding
from gigacheck.logs import mysql, signatures, sources, sql, store as logstore

CODES_AND_SAVED = [("ERROR", "GigaChat HTTP 429", 50), ("ERROR", "asyncio.TimeoutError", 40),
                   ("INFO", "GigaChat: ответ получен", 30), ("INFO", "Изображение сохранено: a.jpg", 20),
                   ("ERROR", "generate_and_save_image: GigaChat вернул пустой путь", 10),
                   ("INFO", "GET /articles/429/?page=402 200", 5)]


def scan(url, hours=24.0, flt=logstore.Filter(limit=50)):
    with sources.open_database(url) as source:
        return source.scan(logstore.Window.last(hours), flt)


def viewer_rows(url):
    with sources.open_database(url) as source:
        return [(r.key, r.message) for r in source.rows(logstore.Window.last(24), logstore.Filter(limit=100))]


def same(a, b) -> bool:
    return (a.counts, a.gigachat, bool(a.saved), a.rows) == (b.counts, b.gigachat, bool(b.saved), b.rows) and \
        {c: [r.message for r in rs] for c, rs in a.samples.items()} == \
        {c: [r.message for r in rs] for c, rs in b.samples.items()}


@pytest.mark.parametrize("message, saved", [
    ("Изображение сохранено: media/ai_images/article_7.jpg", True),
    ("ИЗОБРАЖЕНИЕ УСПЕШНО СОХРАНЕНО", True),
    ("Изображения для статей 12-14 сохранены в media/ai_images/", True),
    ("Сохранено изображение article_12.jpg", True),
    ("Сохранение изображения article_12.jpg: OK", True),
    ("Изображение не сохранено: ошибка диска", False),
    ("Изображение ещё не сохранено", False),
    ("не сохранено изображение", False),
    ("Ошибка сохранения изображения: [Errno 28] No space left on device", False),
    ("Ошибка при сохранении изображения article_1842.jpg", False),
    ("Сохранение изображения a.jpg: ошибка", False),
    ("Не удалось сохранить изображение", False),
])
def test_a_saved_image_is_one_the_row_says_was_saved(message, saved):
    """A save that failed or did not happen must not hide LG018 (GigaChat used, no image saved)."""
    assert bool(signatures.classify("INFO", message).saved) is saved
    assert signatures.shows_saved(message.encode("utf-8")) == int(saved)


@pytest.mark.parametrize("batch", [2, sql.SAVED_BATCH])
def test_one_saved_image_is_found_behind_rows_that_only_mention_saving(log_db, monkeypatch, batch):
    """The saved-image search reads a batch of rows holding its needle, then all of them: one real
    save among many failed ones is found, and none among failed ones only is none."""
    monkeypatch.setattr(sql, "SAVED_BATCH", batch)
    failed = [("ERROR", f"Ошибка сохранения изображения {i}: disk full", 60 - i) for i in range(6)]
    used = [("INFO", "GigaChat: ответ получен", 30), ("INFO", "GigaChat: ответ получен", 29)]
    saved = scan(log_db.make(used + failed + [("INFO", "Изображение сохранено: a.jpg", 1)]))
    assert saved.saved == 1 and saved.counts["LG018"] == 0 and saved.counts["LG017"] == 6
    none = scan(log_db.make(used + failed))
    assert none.saved == 0 and none.counts["LG018"] == 2


def test_without_gigachat_rows_no_saved_image_search_is_made(log_db):
    """LG018 needs GigaChat rows; without them the search is not made (nothing to read for it)."""
    url = log_db.make([("INFO", "Изображение сохранено: a.jpg", 5), ("ERROR", "HTTP 429", 4)])
    with sources.open_database(url) as source:
        called = []
        real = source._image_saved
        source._image_saved = lambda *a: called.append(a) or real(*a)
        result = source.scan(logstore.Window.last(24), logstore.Filter())
    assert called == [] and result.counts["LG018"] == 0 and result.counts["LG014"] == 1


def test_the_indexed_window_is_read_as_a_key_range_on_mariadb(log_db):
    """MariaDB: the window's ids from the timestamp index, its rows by primary-key range (the server's
    own EXPLAIN for both); SQLite keeps the index. The same answer as without the index."""
    indexed, plain = scan(log_db.make(CODES_AND_SAVED, index=True)), scan(log_db.make(CODES_AND_SAVED))
    assert same(indexed, plain)
    if log_db.backend == "mariadb":
        assert indexed.plan == ("the window's ids by the timestamp index (range on Asistent_systemlog_timestamp_idx), "
                                "its rows by primary-key range [range on PRIMARY]")
    else:
        assert indexed.plan.startswith("timestamp index [SEARCH Asistent_systemlog USING INDEX")


def test_ids_far_apart_keep_the_timestamp_index(log_db):
    """The window's two rows have the first and the last id of 300 old rows: a key range would read them
    all, so the index reads the window; the counts are exact either way."""
    old = [("ERROR", f"HTTP 429 old {i}", 60 * 30 + i) for i in range(300)]
    rows = [("ERROR", "HTTP 429 new first", 10)] + old + [("ERROR", "HTTP 429 new last", 5)]
    result = scan(log_db.make(rows, index=True, keep_order=True))
    assert result.counts["LG014"] == 2 and result.rows == 2
    if log_db.backend == "mariadb":
        assert result.plan == "timestamp index [range on Asistent_systemlog_timestamp_idx]"


def _opened(monkeypatch) -> list:
    """The MySQL sources opened, in order (the second one is the pass's peer)."""
    seen = []
    real = mysql.MySQLSource.__init__

    def init(self, *args, **kwargs):
        real(self, *args, **kwargs)
        seen.append(threading.current_thread().name)
    monkeypatch.setattr(mysql.MySQLSource, "__init__", init)
    return seen


@pytest.mark.parametrize("index", [True, False], ids=["index", "no-index"])
def test_a_big_window_passed_in_two_halves_gives_the_same_answer(mariadb_server, tmp_path, monkeypatch, index):
    from tests.support.mariadb import LogDB
    db = LogDB("mariadb", tmp_path, mariadb_server)
    rows = [r for i in range(5) for r in [(lv, f"{m} #{i}", age + i * 60) for lv, m, age in CODES_AND_SAVED]]
    url = db.make(rows, index=index)
    monkeypatch.setattr(mysql, "PARALLEL_MIN_ROWS", 10 ** 9)
    serial, serial_rows = scan(url), viewer_rows(url)
    opened = _opened(monkeypatch)
    monkeypatch.setattr(mysql, "PARALLEL_MIN_ROWS", 1)
    halves = scan(url)
    assert same(halves, serial) and halves.counts["LG014"] == 5 and halves.rows == 30
    assert len(opened) == 2  # the window's key range is split, the bisected one (no index) as the indexed one
    assert viewer_rows(url) == serial_rows and len(serial_rows) >= 25  # the viewer's pass too


def test_the_second_half_reads_timestamp_columns_in_utc_too(mariadb_server, tmp_path, monkeypatch):
    """The peer connection asks for UTC as the first does: on a server in UTC+5 a row 5.5 hours old in
    the second half of the key range would otherwise be counted in a one-hour window."""
    from tests.support.mariadb import LogDB
    db = LogDB("mariadb", tmp_path, mariadb_server)
    url = db.make(ddl="CREATE TABLE `Asistent_systemlog` (`id` bigint AUTO_INCREMENT PRIMARY KEY, `timestamp` "
                      "timestamp(6) NULL, `level` varchar(10), `message` longtext, KEY `ts` (`timestamp`))")
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    conn = mariadb_server.connect(db.database)
    try:
        with conn.cursor() as cur:
            cur.execute("SET time_zone = '+00:00'")
            cur.executemany("INSERT INTO Asistent_systemlog (timestamp, level, message) VALUES (%s, 'ERROR', %s)",
                            [(now - timedelta(minutes=m), text) for m, text in
                             [(30, "GigaChat HTTP 429 a"), (20, "GigaChat HTTP 429 b"),
                              (330, "GigaChat HTTP 429 old, second half"), (10, "GigaChat HTTP 429 c")]])
    finally:
        conn.close()
    monkeypatch.setattr(mysql, "PARALLEL_MIN_ROWS", 1)
    opened = _opened(monkeypatch)
    with mariadb_server.global_time_zone("+05:00"):
        result = scan(url, hours=1)
    assert len(opened) == 2
    assert sorted(r.message for r in result.samples["LG014"]) == [f"GigaChat HTTP 429 {x}" for x in "abc"]
    assert result.gigachat == 3  # counted by the server in each half: the peer's rows are not read again


def test_no_second_connection_means_one_half_after_the_other(mariadb_server, tmp_path, monkeypatch):
    from tests.support.mariadb import LogDB
    url = LogDB("mariadb", tmp_path, mariadb_server).make(CODES_AND_SAVED, index=True)
    serial = scan(url)
    real = mysql.MySQLSource.__init__
    opened = []

    def init(self, *args, **kwargs):
        if opened:
            raise Finding("LG002", "too many connections")
        opened.append(1)
        real(self, *args, **kwargs)
    monkeypatch.setattr(mysql.MySQLSource, "__init__", init)
    monkeypatch.setattr(mysql, "PARALLEL_MIN_ROWS", 1)
    assert same(scan(url), serial)


def test_a_failure_in_the_second_half_reaches_the_check(mariadb_server, tmp_path, monkeypatch):
    """A statement past its limit on the peer connection is the check's LG007, not a lost thread."""
    from tests.support.mariadb import LogDB
    url = LogDB("mariadb", tmp_path, mariadb_server).make(CODES_AND_SAVED, index=True)
    real = mysql.MySQLSource._run

    def run(self, statement, params=()):
        if threading.current_thread().name == "gigacheck-log-pass" and "GROUP_CONCAT" in statement:
            raise Finding("LG007", "the statement went past its time limit")
        return real(self, statement, params)
    monkeypatch.setattr(mysql.MySQLSource, "_run", run)
    monkeypatch.setattr(mysql, "PARALLEL_MIN_ROWS", 1)
    with pytest.raises(Finding) as err:
        scan(url)
    assert err.value.code == "LG007"
    assert not [t for t in threading.enumerate() if t.name == "gigacheck-log-pass"]


def test_pymysqls_preferred_tls_skips_the_ca_store_and_still_verifies_when_asked():
    """PyMySQL's "preferred" TLS verifies nothing, so its context needs no CA store (26 ms to load);
    a context asked to verify (`ssl_ca`) is PyMySQL's own, unchanged."""
    import pymysql
    conn = mysql._connection_class(pymysql).__new__(mysql._connection_class(pymysql))
    preferred = conn._create_ssl_ctx({})
    assert preferred.verify_mode == ssl.CERT_NONE and not preferred.check_hostname
    assert preferred.cert_store_stats()["x509_ca"] == 0
    ca = ssl.get_default_verify_paths().cafile
    if ca:
        verifying = conn._create_ssl_ctx({"ca": ca})
        assert verifying.verify_mode == ssl.CERT_REQUIRED and verifying.cert_store_stats()["x509_ca"] > 0
