"""gigacheck inside a real Django site (tests/djangosite: settings, the Asistent app's SystemLog, its
migration, manage.py) on SQLite, MariaDB (Django's mysql backend through PyMySQL's MySQLdb shim) and
PostgreSQL: Django makes the table (migrate) and writes the rows (the ORM), as the site does; the
runbook's `manage.py view_gigachat_logs`, `manage.py gigacheck` and `manage.py check --deploy` are
compared with `python -m gigacheck logs` and `pytest --pyargs gigacheck.checks` on the same rows.
Each manage.py start costs ~0.4 s: the runs are few, each asked several things."""

import base64
import json
import os
import re
import socket
import subprocess
import sys
import threading
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from gigacheck.logs import sources, store
from tests.support.mariadb import LogDB
from tests.test_logstore_corpus import HEALTHY, SICK, timed

pytest.importorskip("django", reason="Django is a test extra: pip install -e '.[test]'")

MANAGE = Path(__file__).resolve().parent / "djangosite" / "manage.py"
ROWS = timed(SICK + HEALTHY, seed=19)
GOOD_KEY = base64.b64encode(f"{uuid.UUID(int=19)}:{uuid.UUID(int=2019)}".encode()).decode()
PG_ALLOWED = re.compile(r"^(SELECT|EXPLAIN SELECT|BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY|"
                        r"SET LOCAL (statement_timeout|idle_in_transaction_session_timeout) = \d+|ROLLBACK)\b")


def base_env(**extra) -> dict:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "HOME": os.environ.get("HOME", "/")}
    env.update({k: str(v) for k, v in extra.items()})
    return env


def run(cwd, env, *args, timeout=120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


class Site:
    """The test site on one database: `manage(...)` runs its manage.py, `cli(...)` gigacheck beside it."""

    def __init__(self, backend, folder: Path, database: dict, url: str, reader: dict = None):
        self.backend, self.folder, self.database, self.url = backend, folder, database, url
        self.reader = reader or database  # the connection the read-only runs use

    def env(self, database=None, **extra) -> dict:
        return base_env(SITE_DATABASE=json.dumps(database or self.reader), **extra)

    def manage(self, *args, database=None, **extra) -> subprocess.CompletedProcess:
        return run(self.folder, self.env(database, **extra), str(MANAGE), *args)

    def cli(self, *args, **extra) -> subprocess.CompletedProcess:
        return run(self.folder, base_env(DATABASE_URL=self.url, **extra), "-m", "gigacheck", *args)


def fill(site: Site, rows) -> None:
    (site.folder / "rows.json").write_text(json.dumps([list(r) for r in rows], ensure_ascii=False), "utf-8")
    done = site.manage("fill_logs", "rows.json", database=site.database)
    assert done.returncode == 0, done.stderr[-3000:]


@pytest.fixture(scope="module", params=["sqlite", "mariadb", "postgresql"])
def site(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp(f"site-{request.param}")
    reader = None
    if request.param == "sqlite":
        database = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(folder / "db.sqlite3")}
        url = f"sqlite:///{folder / 'db.sqlite3'}"
    elif request.param == "mariadb":
        server = request.getfixturevalue("mariadb_server")
        name = server.new_database()
        database = {"ENGINE": "django.db.backends.mysql", "NAME": name, "USER": server.user,
                    "PASSWORD": server.password, "HOST": server.host, "PORT": server.port,
                    "OPTIONS": {"charset": "utf8mb4"}}
        url = server.url(name)
    else:
        server = request.getfixturevalue("postgres_server")
        name = server.new_database()
        database = {"ENGINE": "django.db.backends.postgresql", "NAME": name, "USER": server.user,
                    "PASSWORD": server.password, "HOST": server.host, "PORT": server.port}
        url = server.url(name)
    made = Site(request.param, folder, database, url)
    fill(made, ROWS)
    if request.param == "postgresql":  # the site reads its log as a role that may only SELECT
        user, password = server.create_user(name)
        made.reader = dict(database, USER=user, PASSWORD=password)
        made.server, made.reader_user = server, user
    return made


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The same rows in SQLite, read in this process: what every backend must count and show."""
    url = LogDB("sqlite", tmp_path_factory.mktemp("reference")).make(ROWS)
    window = store.Window.last(24)
    with sources.open_database(url, store.LogTable(), 10) as source:
        counts = source.scan(window, store.Filter(limit=0)).counts
        rows = source.rows(window, store.Filter(search="429", limit=10_000))
    return counts, [(r.level, r.message) for r in rows]


def test_view_gigachat_logs_shows_what_python_m_gigacheck_logs_shows(site, reference):
    counts, rows = reference
    offset = site.server.log_offset() if site.backend == "postgresql" else 0
    shown = site.manage("view_gigachat_logs", "--search", "429", "--limit", "1000")
    summary = site.manage("view_gigachat_logs", "--summary", "--json")
    assert shown.returncode == 0 and summary.returncode == 0, shown.stderr + summary.stderr
    assert shown.stdout == site.cli("logs", "--search", "429", "--limit", "1000").stdout
    # the same summary; only where the zone came from differs (the site's settings, or the default)
    ours, theirs = json.loads(summary.stdout), json.loads(site.cli("logs", "--summary", "--json").stdout)
    assert ours["log_timezone"].pop("source").startswith("Django settings siteconf.settings")
    theirs["log_timezone"].pop("source")
    assert ours == theirs and ours["log_timezone"] == {"zone": "UTC", "valid": True}
    assert json.loads(summary.stdout)["counts"] == counts and sum(counts.values()) > 20
    lines = shown.stdout.splitlines()
    assert [re.sub(r"^\S+ \S+ \[(\w+)\] ", r"\1 ", line) for line in lines] == [f"{lv} {m}" for lv, m in rows]
    if site.backend == "postgresql":  # the server's own record: the reader role sent only reads
        sent = site.server.statements(offset, site.reader_user)
        assert sent and [s for s in sent if not PG_ALLOWED.match(s)] == []


def failed_codes(report: Path) -> list:
    data = json.loads(report.read_text(encoding="utf-8"))
    return sorted(c for check in data["checks"] if check["outcome"] == "failed" for c in check["codes"])


def test_manage_py_gigacheck_fails_what_pytest_fails_on_the_same_rows(site, reference):
    ours = site.manage("gigacheck", "-m", "logs", "--report-json", "site.json", "-p", "no:cacheprovider")
    theirs = run(site.folder, base_env(DATABASE_URL=site.url), "-m", "pytest", "--pyargs", "gigacheck.checks", "-m",
                 "logs", "--report-json", "plain.json", "-p", "no:cacheprovider")
    assert ours.returncode == theirs.returncode == 1, ours.stdout[-3000:] + ours.stderr[-2000:]
    codes = failed_codes(site.folder / "site.json")
    assert codes == failed_codes(site.folder / "plain.json")
    # every failed code counted rows (LG011/LG012 may be skipped as LG016's consequences: gigacheck/causes.py);
    # the sick rows lie among healthy ones, so most incidents are resolved: only the ongoing ones fail, the
    # same ones both ways (SPEC "Verdicts over time")
    assert codes and set(codes) <= {code for code, n in reference[0].items() if n}
    def incidents(name):
        data = json.loads((site.folder / name).read_text(encoding="utf-8"))["incidents"]
        return [(i["code"], i["state"], i["rows"]) for i in data]
    assert incidents("site.json") == incidents("plain.json")
    assert {"LG013", "LG014", "LG015"} <= {code for code, _, _ in incidents("site.json")}
    assert sorted({c for c, state, _ in incidents("site.json") if state == "ongoing"}) == sorted(set(codes))
    assert "Django site: connections['default']" in ours.stdout or "connections['default']" in \
        (site.folder / "site.json").read_text(encoding="utf-8")


@pytest.fixture
def listener():
    """A loopback port that counts the connections made to it: the GigaChat hosts of the settings."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(0.2)
    accepted, stop = [], threading.Event()

    def serve():
        while not stop.is_set():  # bounded: the test stops it
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            accepted.append(1)
            conn.close()
    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    port = server.getsockname()[1]
    yield {"GIGACHAT_AUTH_URL": f"https://127.0.0.1:{port}/api/v2/oauth",
           "GIGACHAT_BASE_URL": f"https://127.0.0.1:{port}/api/v1"}, accepted
    stop.set()
    thread.join(timeout=5)
    server.close()


def test_deploy_checks_name_a_bad_key_and_never_block_plain_check(site, listener):
    if site.backend != "sqlite":
        pytest.skip("the config rules read no database: once is enough")
    hosts, accepted = listener
    bad = site.manage("check", "--deploy", GIGACHAT_CREDENTIALS=f"Bearer {GOOD_KEY}", **hosts)
    assert bad.returncode == 1
    assert re.search(r"\(gigacheck\.E002\) \[GC002\] .*Bearer", bad.stderr), bad.stderr
    assert "HINT: Remove the `Bearer `/`Basic ` prefix" in bad.stderr and GOOD_KEY not in bad.stderr + bad.stdout
    plain = site.manage("check", GIGACHAT_CREDENTIALS=f"Bearer {GOOD_KEY}", USE_MOCK_RESPONSES="true", **hosts)
    assert plain.returncode == 0 and "gigacheck." not in plain.stdout + plain.stderr  # migrate and runserver pass
    good = site.manage("check", "--deploy", "--fail-level", "WARNING", "--tag", "gigachat",
                       GIGACHAT_CREDENTIALS=GOOD_KEY, **hosts)
    assert good.returncode == 0 and "gigacheck." not in good.stdout + good.stderr, good.stderr
    assert accepted == []  # no system check went to the network


def test_deploy_checks_with_database_warn_of_the_missing_index_and_name_the_table(site):
    if site.backend == "mariadb":
        pytest.skip("the table checks through Django's mysql backend are the log checks' (above)")
    args = ("check", "--deploy", "--database", "default", "--tag", "gigachat")
    got = site.manage(*args, GIGACHAT_CREDENTIALS=GOOD_KEY)
    assert got.returncode == 0, got.stderr  # a warning: only --fail-level WARNING fails on it
    index = ('CREATE INDEX CONCURRENTLY "Asistent_systemlog_timestamp_idx"' if site.backend == "postgresql" else
             'CREATE INDEX "Asistent_systemlog_timestamp_idx"')
    assert "(gigacheck.W105) [LG005]" in got.stderr and index in got.stderr
    # the site's own field, db_index=True added and its default kept (not a field written anew)
    assert "timestamp = models.DateTimeField(db_index=True, default=django.utils.timezone.now)" in got.stderr
    missing = site.manage(*args, GIGACHAT_CREDENTIALS=GOOD_KEY, GIGACHECK_LOG_TABLE="not_the_log")
    assert missing.returncode == 1 and "(gigacheck.E103) [LG003]" in missing.stderr
    if site.backend == "postgresql":  # a wrong password: E102, and the password nowhere
        wrong = site.manage(*args, database=dict(site.reader, PASSWORD="Not-The-Pass-5150"),
                            GIGACHAT_CREDENTIALS=GOOD_KEY)
        assert wrong.returncode == 1 and "(gigacheck.E102) [LG002]" in wrong.stderr, wrong.stderr
        assert "Not-The-Pass-5150" not in wrong.stdout + wrong.stderr


def test_the_sites_time_zone_places_the_window(tmp_path):
    """USE_TZ=False: the site stores naive local times (TIME_ZONE); read as UTC, a row of 30 hours ago
    would look 20 hours old."""
    site = Site("sqlite", tmp_path, {"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "db.sqlite3")},
                f"sqlite:///{tmp_path / 'db.sqlite3'}")
    zone = {"SITE_USE_TZ": "0", "SITE_TIME_ZONE": "Asia/Vladivostok"}
    (tmp_path / "rows.json").write_text(json.dumps([["ERROR", "HTTP 429 Too Many Requests: now", 60],
                                                    ["ERROR", "HTTP 429 Too Many Requests: yesterday", 30 * 60]]))
    assert site.manage("fill_logs", "rows.json", **zone).returncode == 0
    shown = site.manage("view_gigachat_logs", "--search", "429", **zone)
    assert shown.returncode == 0, shown.stderr
    assert [line.split("] ", 1)[1] for line in shown.stdout.splitlines()] == ["HTTP 429 Too Many Requests: now"]
    local = datetime.now(timezone(timedelta(hours=10))) - timedelta(minutes=60)
    stamp = datetime.strptime(shown.stdout[:19], "%Y-%m-%d %H:%M:%S").replace(tzinfo=local.tzinfo)
    assert abs((stamp - local).total_seconds()) < 120
    assert shown.stdout == site.cli("logs", "--search", "429", GIGACHECK_LOG_TIMEZONE="Asia/Vladivostok").stdout
    # what reading it as UTC gets wrong: the row of 30 h ago looks 20 h old, the recent one lies ahead (LG008)
    assert [line.split("] ", 1)[1] for line in site.cli("logs", "--search", "429").stdout.splitlines()] == \
        ["HTTP 429 Too Many Requests: yesterday"]


def test_the_runbooks_error_report_exports_every_error_row_or_says_how_many_it_left_out(site):
    """The runbook's `view_gigachat_logs --level ERROR --hours 24 > error_report.txt`: the rows it leaves out
    are counted on stderr with the way to get them; `--limit 0` exports every ERROR row of the window (issue 20)."""
    url = LogDB("sqlite", site.folder).make(ROWS, table="reference_errors")
    with sources.open_database(url, store.LogTable("reference_errors"), 10) as source:
        want = [(r.level, r.message) for r in source.stream(store.Window.last(24), store.Filter(level="ERROR"))]
    assert len(want) > 50
    cut = site.manage("view_gigachat_logs", "--level", "ERROR", "--hours", "24")
    assert cut.returncode == 0 and len(cut.stdout.splitlines()) == 50
    assert f"50 of the {len(want)} matching rows" in cut.stderr and f"{len(want) - 50} left out" in cut.stderr
    assert "--limit 0" in cut.stderr
    every = site.manage("view_gigachat_logs", "--level", "ERROR", "--hours", "24", "--limit", "0")
    assert every.returncode == 0 and every.stderr == ""
    assert [re.sub(r"^\S+ \S+ \[(\w+)\] ", r"\1 ", line) for line in every.stdout.splitlines()] == \
        [f"{lv} {m}" for lv, m in want]
    as_json = site.manage("view_gigachat_logs", "--level", "ERROR", "--limit", "0", "--json")
    assert [(r["level"], r["message"]) for r in json.loads(as_json.stdout)] == want
