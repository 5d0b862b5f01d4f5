"""The site's clock (issue 18, issue 22's bad-zone bullet; gigacheck/logs/clock.py): the zone of the log
table's naive timestamps (GIGACHECK_LOG_TIMEZONE > Django TIME_ZONE where USE_TZ=False > UTC), rows dated
ahead of now (LG008, with the offset that fits), stamps that are no date (LG009), the window bounded above
(a 2099 row is in no "last 24 h"), LG018 only where an image was asked for. On SQLite and MariaDB, through
the small Django project (tests/djangosite) where the zone comes from the site's settings."""

import json
import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from gigacheck.diagnosis import Finding
from gigacheck.logs import clock, sources, store
from tests.test_log_checks import LOG_CHECKS, Q, plugin_args
from tests.test_logstore_corpus import HEALTHY, timed
from tests.test_logview import view

MOSCOW = store.zone("Europe/Moscow")
DJANGOSITE = Path(__file__).resolve().parent / "djangosite"
YEARS_AHEAD = -(2099 - datetime.now(timezone.utc).year) * 365 * 24 * 60  # minutes_ago of a row dated ~2099


@pytest.fixture
def run_logs(run_checks):
    def run(*args, env=None, **kw):
        return run_checks(*plugin_args(), *args, env=dict(env or {}), checks=LOG_CHECKS, **kw)
    return run


def outcome(run, code):
    check = run.check(Q[code])
    return check["outcome"], check["codes"]


def scan(url, hours=24.0, tz=timezone.utc):
    with sources.open_database(url) as source:
        window = store.Window.last(hours, tz)
        return source.scan(window, store.Filter()), source.clock(window)


# --- the zone as written ------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, offset", [("+03:00", 180), ("+0300", 180), ("-05", -300), ("UTC+3", 180),
                                          ("GMT-03:30", -210), ("+05:45", 345), ("utc", 0), ("", 0)])
def test_offsets_and_names_that_are_zones(text, offset):
    tz = clock.parse_zone(text)
    assert tz.utcoffset(None) == timedelta(minutes=offset)
    assert clock.parse_zone("Europe/Moscow").utcoffset(datetime(2026, 1, 1)) == timedelta(hours=3)


@pytest.mark.parametrize("text", ["+25:00", "+03:75", "+3:0", "+03:00:00", "+15:00", "UTC+three", "Mars/Phobos",
                                  "../etc/passwd", "Moscow"])
def test_a_malformed_zone_is_lg001_naming_the_variable_and_the_forms(text):
    with pytest.raises(Finding) as err:
        clock.parse_zone(text)
    f = err.value
    assert f.code == "LG001" and "GIGACHECK_LOG_TIMEZONE=" in f.detail and repr(text) in f.detail
    assert "Europe/Moscow" in f.detail and "+03:00" in f.detail and "ValueError" not in f.detail


def test_a_malformed_offset_fails_one_check_and_the_viewer_exits_2(run_logs, tmp_path):
    db = tmp_path / "db.sqlite3"
    sources.seed_sqlite(db, [{"level": "INFO", "message": "GigaChat: ответ получен", "minutes_ago": 5}])
    env = {"DATABASE_URL": f"sqlite:///{db}", "GIGACHECK_LOG_TIMEZONE": "+25:00"}
    run = run_logs(env=env)
    assert outcome(run, "LG001") == ("failed", ["LG001"])
    assert list(run.failed().values()) == [["LG001"]]  # one failure: the other log checks skip naming it
    assert "GIGACHECK_LOG_TIMEZONE='+25:00' is not a time zone" in run.stdout
    assert "unexpected" not in run.stdout and run.json["log_timezone"] == {
        "zone": "+25:00", "source": "GIGACHECK_LOG_TIMEZONE (environment)", "valid": False}
    assert "CANNOT BE READ" in run.stdout  # the header says it before any check runs
    rc, out, err = view("--summary", env=env)
    assert rc == 2 and out == "" and "GIGACHECK_LOG_TIMEZONE='+25:00' is not a time zone" in err
    assert "unexpected" not in err


# --- rows ahead of now: LG008 ------------------------------------------------------------------------------

def test_moscow_rows_read_as_utc_fail_lg008_with_the_zone_that_fits(run_logs, log_db):
    """Naive Moscow times (Django USE_TZ=False) read as UTC lie 3 h ahead: "the last 1 h" would be wrong."""
    url = log_db.make([("ERROR", "❌ GigaChat error: 429 Too Many Requests", 30), ("INFO", "GigaChat: ответ получен", 40),
                       ("ERROR", "GigaChat: Таймаут получения токена доступа (30 с)", 150)], tz=MOSCOW)
    wrong = run_logs("--hours", "1", env={"DATABASE_URL": url})
    assert outcome(wrong, "LG008") == ("failed", ["LG008"])
    block = wrong.stdout.split("[LG008]", 1)[1].split("\n\n", 1)[0]
    assert "3 rows dated after now + 5 min in UTC" in block
    assert "set GIGACHECK_LOG_TIMEZONE=Europe/Moscow or +03:00" in block
    assert outcome(wrong, "LG009") == ("passed", [])
    right = run_logs("--hours", "1", env={"DATABASE_URL": url, "GIGACHECK_LOG_TIMEZONE": "Europe/Moscow"})
    assert right.failed() == {f"checks/test_logs.py::{Q['LG014']}": ["LG014"]}, right.stdout[-3000:]
    assert "1 entry in the last 1 h" in right.stdout  # the 429 of 30 min ago; the timeout of 2.5 h ago is out
    assert right.json["log_timezone"] == {"zone": "Europe/Moscow", "source": "GIGACHECK_LOG_TIMEZONE (environment)",
                                          "valid": True}
    assert "log table's time zone Europe/Moscow (GIGACHECK_LOG_TIMEZONE (environment))" in right.stdout


def test_rows_dated_2099_are_in_no_window_and_fail_lg008(log_db):
    url = log_db.make([("ERROR", "HTTP 429 Too Many Requests: now", 20),
                       ("ERROR", "HTTP 429 Too Many Requests: written with a broken clock", YEARS_AHEAD)])
    result, found = scan(url)
    assert result.counts["LG014"] == 1 and [r.message for r in result.samples["LG014"]] == \
        ["HTTP 429 Too Many Requests: now"]
    assert found.ahead == 1 and found.newest.year >= 2098 and found.unreadable == 0
    fit = clock.suggestion(found.newest, datetime.now(timezone.utc).replace(tzinfo=None), timezone.utc)
    assert fit["offset"] is None  # no zone is 73 years ahead
    rc, out, _ = view("--search", "429", "--limit", "10", env={"DATABASE_URL": url})
    assert rc == 0 and "broken clock" not in out and "now" in out


def test_a_few_minutes_of_drift_is_no_finding(log_db):
    """A row 2 minutes ahead (a server's clock a little fast) is in the window and raises nothing."""
    url = log_db.make([("INFO", "GigaChat: ответ получен", -2), ("INFO", "GigaChat: ответ получен", 30)])
    result, found = scan(url)
    assert found.ahead == 0 and result.rows == 2


def test_the_offset_that_fits():
    now = datetime(2026, 12, 7, 12, 0)
    assert clock.suggestion(now + timedelta(hours=2, minutes=55), now, timezone.utc) == \
        {"ahead": timedelta(hours=2, minutes=55), "offset": "+03:00", "zone": "Europe/Moscow"}
    assert clock.suggestion(now + timedelta(hours=3), now, MOSCOW)["offset"] == "+06:00"  # Moscow set, Omsk rows
    assert clock.suggestion(now + timedelta(hours=5, minutes=29), now, timezone.utc)["offset"] == "+05:30"
    assert clock.suggestion(now + timedelta(days=3), now, timezone.utc)["offset"] is None


# --- stamps that are no date: LG009 ----------------------------------------------------------------------------

def _odd_table(log_db, stamps):
    """A log table (text timestamps on MariaDB: a DATETIME holds dates only) with healthy rows of the last hours
    and rows whose stamps are `stamps` as the writer stored them."""
    healthy = [("INFO", "GigaChat: получен токен доступа (scope GIGACHAT_API_PERS)", m) for m in (90, 60, 30)]
    if log_db.backend == "sqlite":
        url = log_db.make(healthy)
        conn = sqlite3.connect(url[len("sqlite:///"):])
        conn.executemany('INSERT INTO "Asistent_systemlog" ("timestamp", "level", "logger_name", "message", "module", '
                         '"function", "extra_data") VALUES (?, ?, ?, ?, ?, ?, ?)',
                         [(s, "ERROR", "Asistent", f"GigaChat: 429 Too Many Requests ({s})", "views", "f", "{}")
                          for s in stamps])
        conn.commit()
        conn.close()
        return url
    ddl = ("CREATE TABLE `Asistent_systemlog` (`id` bigint AUTO_INCREMENT PRIMARY KEY, `timestamp` varchar(40) "
           "NOT NULL, `level` varchar(10) NOT NULL, `message` longtext NOT NULL) CHARACTER SET utf8mb4")
    url = log_db.make(healthy, ddl=ddl)
    conn = log_db.server.connect(log_db.database)
    try:
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO `Asistent_systemlog` (`timestamp`, `level`, `message`) VALUES (%s, %s, %s)",
                            [(str(s), "ERROR", f"GigaChat: 429 Too Many Requests ({s})") for s in stamps])
        conn.commit()
    finally:
        conn.close()
    return url


def test_epoch_numbers_and_russian_dates_are_lg009_counted_with_an_example(run_logs, log_db):
    epoch = int(datetime.now(timezone.utc).timestamp()) - 600
    russian = (datetime.now(timezone.utc) - timedelta(minutes=20)).strftime("%d.%m.%Y %H:%M:%S")
    url = _odd_table(log_db, [epoch, russian, "вчера"])
    run = run_logs(env={"DATABASE_URL": url})
    assert outcome(run, "LG009") == ("failed", ["LG009"])
    block = run.stdout.split("[LG009]", 1)[1].split("\n\n", 1)[0]
    assert "3 rows whose timestamp cannot be read as a date" in block
    assert str(epoch) in block and russian in block and "вчера" in block
    assert outcome(run, "LG008") == ("passed", [])  # a word sorts after any date: it is no row "ahead"
    assert outcome(run, "LG014") == ("passed", [])  # they are in no window: LG009 is where they are said


def test_healthy_rows_raise_nothing_on_the_clock(run_logs, log_db):
    url = log_db.make(timed(HEALTHY, seed=18))
    run = run_logs(env={"DATABASE_URL": url})
    assert outcome(run, "LG008") == ("passed", []) and outcome(run, "LG009") == ("passed", [])
    assert run.failed() == {}, run.stdout[-3000:]


# --- LG018 only where an image was asked for ----------------------------------------------------------------

def test_a_chat_only_table_raises_no_lg018(log_db):
    chat = [("INFO", "GigaChat: получен токен доступа (scope GIGACHAT_API_PERS)", 50),
            ("INFO", "GigaChat: статья 1843 сгенерирована, токенов: 1874", 40),
            ("INFO", 'HTTP Request: POST https://gigachat.devices.sberbank.ru/api/v1/chat/completions '
                     '"HTTP/1.1 200 OK"', 30)] * 4
    result, _ = scan(log_db.make(chat))
    assert result.gigachat >= 8 and result.counts["LG018"] == 0
    asked = scan(log_db.make(chat + [("INFO", "generate_and_save_image: запуск для статьи 1843", 20)]))[0]
    assert asked.counts["LG018"] == asked.gigachat >= 8  # an image asked for and none saved: the GigaChat rows are the evidence


# --- a Django site on Moscow time (tests/djangosite, USE_TZ=False) ---------------------------------------------

# the 429 is ongoing (no answer logged after it): it fails LG014 where the window is right
ROWS = [["ERROR", "❌ GigaChat error: 429 Too Many Requests", 30], ["INFO", "GigaChat: ответ получен", 40],
        ["ERROR", "GigaChat: Таймаут получения токена доступа (30 с)", 150]]


@pytest.fixture(params=["sqlite", "mariadb"])
def moscow_site(request, tmp_path, monkeypatch):
    """The test site with USE_TZ=False, TIME_ZONE=Europe/Moscow, its rows written by the ORM (naive Moscow
    times), importable as siteconf.settings; returns the environment a run beside it has."""
    if request.param == "sqlite":
        database = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "db.sqlite3")}
    else:
        server = request.getfixturevalue("mariadb_server")
        database = {"ENGINE": "django.db.backends.mysql", "NAME": server.new_database(), "USER": server.user,
                    "PASSWORD": server.password, "HOST": server.host, "PORT": server.port,
                    "OPTIONS": {"charset": "utf8mb4"}}
    env = {"SITE_DATABASE": json.dumps(database), "SITE_USE_TZ": "0", "SITE_TIME_ZONE": "Europe/Moscow"}
    (tmp_path / "rows.json").write_text(json.dumps(ROWS, ensure_ascii=False), "utf-8")
    done = subprocess.run([sys.executable, str(DJANGOSITE / "manage.py"), "fill_logs", str(tmp_path / "rows.json")],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", **env})
    assert done.returncode == 0, done.stderr[-3000:]
    monkeypatch.syspath_prepend(str(DJANGOSITE))
    import pymysql  # the site's settings patch PyMySQL for Django's mysql backend: put it back after the test
    monkeypatch.setattr(pymysql, "version_info", pymysql.version_info)
    _forget_site_settings()  # imported once per database: the module reads SITE_DATABASE when imported
    yield env
    _forget_site_settings()


def _forget_site_settings():
    for name in [n for n in sys.modules if n == "siteconf" or n.startswith("siteconf.") or n == "MySQLdb"]:
        del sys.modules[name]


def test_a_moscow_django_site_gets_the_right_window(run_logs, moscow_site, pytester):
    pytest.importorskip("django", reason="Django is a test extra: pip install -e '.[test]'")
    env = dict(moscow_site, DJANGO_SETTINGS_MODULE="siteconf.settings")
    for args, run_env in ((("--hours", "1"), env), (("--hours", "1", "--ds", "siteconf.settings"), moscow_site)):
        run = run_logs(*args, env=run_env)
        assert run.failed() == {f"checks/test_logs.py::{Q['LG014']}": ["LG014"]}, run.stdout[-3000:]
        assert "1 entry in the last 1 h" in run.stdout
        assert run.json["log_timezone"] == {"zone": "Europe/Moscow", "valid": True,
                                            "source": "Django settings siteconf.settings: TIME_ZONE (USE_TZ=False)"}
        assert "log table's time zone Europe/Moscow (Django settings siteconf.settings: TIME_ZONE" in run.stdout
        assert outcome(run, "LG018") == ("passed", [])  # chat only: no image asked for
        assert "Log time zone" in run.html and "Europe/Moscow" in run.html
    # the same rows read as UTC: every row lies ahead, and LG008 names the variable and the zone that fits
    utc = run_logs("--hours", "1", env=dict(env, GIGACHECK_LOG_TIMEZONE="UTC"))
    assert list(utc.failed().values()) == [["LG008"]], utc.stdout[-3000:]
    assert "set GIGACHECK_LOG_TIMEZONE=Europe/Moscow or +03:00" in utc.stdout
    # the viewer reads the same zone from the same settings
    rc, out, err = view("--hours", "1", "--search", "429", env=dict(env, PATH="/usr/bin:/bin"))
    assert rc == 0, err
    assert [line.split("] ", 1)[1] for line in out.splitlines()] == ["❌ GigaChat error: 429 Too Many Requests"]
    stamp = datetime.strptime(out[:19], "%Y-%m-%d %H:%M:%S")
    moscow_now = datetime.now(MOSCOW).replace(tzinfo=None)
    assert abs((moscow_now - timedelta(minutes=30) - stamp).total_seconds()) < 120
    rc, out, _ = view("--summary", "--json", "--hours", "1", env=env)
    assert rc == 0 and json.loads(out)["log_timezone"]["zone"] == "Europe/Moscow"
