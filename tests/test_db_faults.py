"""Database faults, through `pytest checks/`: each gives its LG code, once, and the rest of the run
(the GigaChat checks, against a healthy fake) is unharmed.

The database is a real MariaDB (tests/support/mariadb.py); "the server goes away"
is a loopback relay in front of it that is cut between two checks.
"""

import socket
import threading

import pytest

from tests.support.canary import assert_no_leaks
from tests.support.fakegiga import ClosedPort
from tests.support.faultrun import LOUD, base_env, only
from tests.support.mariadb import LogDB

LOGS = "checks/test_logs.py::"
REACHED = LOGS + "test_can_the_log_database_be_reached"
ROWS = [("ERROR", "GigaChat: OAuth failed with status 401", 30), ("INFO", "Изображение сохранено", 20)]


class Relay:
    """127.0.0.1:port -> the server.  `cut()` resets every connection through it and refuses new
    ones: from the client's side, the server went away.  Threads are daemons, sockets time out."""

    def __init__(self, target_port: int):
        self.target_port = target_port
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]
        self._sockets = []
        self._lock = threading.Lock()
        self._cut = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self._cut.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:  # timeout: look at the switch again; closed: done
                continue
            server = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
            with self._lock:
                self._sockets += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, src, dst):
        src.settimeout(60)  # bounded: a silent pair is dropped after a minute
        try:
            while not self._cut.is_set():
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut(self):
        self._cut.set()
        self._listener.close()
        with self._lock:
            for s in self._sockets:
                try:  # a reset, not a polite close: the server is gone, not done
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                    s.close()
                except OSError:
                    pass


class CutAfter:
    """A plugin for the run under test: cut the relay when check `name` is done."""

    def __init__(self, relay: Relay, name: str):
        self.relay, self.name = relay, name

    def pytest_runtest_teardown(self, item):
        if item.name == self.name:
            self.relay.cut()


@pytest.fixture
def log_table(mariadb_server, tmp_path):
    """A MariaDB database with a log table: (database name, URL as root)."""
    maker = LogDB("mariadb", tmp_path, mariadb_server)
    url = maker.make(ROWS, index=True)
    return maker.database, url


def run_with_database(in_process, fake_giga, giga_ca_file, canaries, database_url, *args, plugins=()):
    with ClosedPort() as unused:
        env = base_env(fake_giga, giga_ca_file, canaries, unused.port)
    env["DATABASE_URL"] = database_url
    result, seconds = in_process.run("db", (*LOUD, *args), env, plugins=plugins)
    both = result.stdout + result.stderr
    assert "INTERNALERROR" not in both and "Traceback (most recent call last)" not in both, both[-3000:]
    assert only(result) == {}, f"the GigaChat checks were harmed: {only(result)}"
    return result


def log_failures(result) -> dict:
    return {i: c for i, c in result.failed().items() if i.startswith(LOGS)}


def test_the_log_checks_pass_on_a_healthy_database(in_process, fake_giga, giga_ca_file, canaries, log_table):
    """The control case: the faults below are faults of the database, not of the setup."""
    _, url = log_table
    result = run_with_database(in_process, fake_giga, giga_ca_file, canaries, url, "-o",
                               "gigacheck_log_thresholds=LG010=5 LG019=5")
    assert log_failures(result) == {}, result.stdout[-3000:]
    assert result.check("test_can_the_log_database_be_reached")["outcome"] == "passed"


def test_a_refused_connection_is_lg002(in_process, fake_giga, giga_ca_file, canaries):
    with ClosedPort() as closed:
        url = f"mysql://site:{canaries.db_password}@127.0.0.1:{closed.port}/site"
        result = run_with_database(in_process, fake_giga, giga_ca_file, canaries, url)
    assert log_failures(result) == {REACHED: ["LG002"]}
    assert "refused" in result.check("test_can_the_log_database_be_reached")["summary"].lower()
    assert_no_leaks([("refused", result, canaries.values())])


def test_a_wrong_password_is_lg002_and_shows_neither_password(in_process, fake_giga, giga_ca_file, canaries,
                                                              mariadb_server, log_table):
    database, _ = log_table
    user, right = mariadb_server.create_user(database, password="right-" + canaries.db_password[::-1])
    url = mariadb_server.url(database, user=user, password=canaries.db_password)
    result = run_with_database(in_process, fake_giga, giga_ca_file, canaries, url)
    assert log_failures(result) == {REACHED: ["LG002"]}
    assert "access denied" in result.check("test_can_the_log_database_be_reached")["summary"].lower()
    assert_no_leaks([("wrong password", result, dict(canaries.values(), right=right))])


def test_an_unknown_database_is_lg002(in_process, fake_giga, giga_ca_file, canaries, mariadb_server):
    url = mariadb_server.url("no_such_site_db")
    result = run_with_database(in_process, fake_giga, giga_ca_file, canaries, url)
    assert log_failures(result) == {REACHED: ["LG002"]}
    assert "unknown database" in result.check("test_can_the_log_database_be_reached")["summary"].lower()


def test_a_server_gone_mid_run_is_lg002_once(in_process, fake_giga, giga_ca_file, canaries, mariadb_server,
                                             log_table):
    database, _ = log_table
    relay = Relay(mariadb_server.port)
    url = mariadb_server.url(database).replace(f":{mariadb_server.port}/", f":{relay.port}/")
    try:
        result = run_with_database(in_process, fake_giga, giga_ca_file, canaries, url,
                                   plugins=[CutAfter(relay, "test_can_the_log_database_be_reached")])
    finally:
        relay.cut()
    assert result.check("test_can_the_log_database_be_reached")["outcome"] == "passed"
    failed = log_failures(result)
    assert len(failed) == 1 and list(failed.values()) == [["LG002"]], failed
    (check_id,) = failed
    assert check_id != REACHED
    later = [c for c in result.checks if c["id"].startswith(LOGS) and c["outcome"] == "skipped"
             and c["codes"] == ["LG002"]]
    assert later and all(f"reported by {check_id}" in c["summary"] for c in later)


def test_a_statement_past_its_time_limit_is_lg007(in_process, fake_giga, giga_ca_file, canaries, mariadb_server,
                                                  log_table):
    """Another session holds a write lock on the log table: the checks' read waits, and the
    server ends it at the limit (1 s here), instead of the run waiting for the lock."""
    database, url = log_table
    holder = mariadb_server.connect(database)
    try:
        with holder.cursor() as cur:
            cur.execute("LOCK TABLES `Asistent_systemlog` WRITE")
        result = run_with_database(in_process, fake_giga, giga_ca_file, canaries, url,
                                   "-o", "gigacheck_log_query_timeout=1")
    finally:
        holder.close()
    failed = log_failures(result)
    assert list(failed.values()) == [["LG007"]], failed
    (check_id,) = failed
    assert "time limit" in result.check(check_id.split("::")[1])["summary"]
