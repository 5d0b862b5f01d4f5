"""A real MariaDB for the suite's own tests, and log tables to run the log checks on.

`mariadb_server` (session): Debian's `mariadbd` on a throwaway datadir and a free
loopback port, stopped at the end; or the server at GIGACHECK_TEST_MYSQL_URL (an
account that may create databases and users). When neither is available the
tests that need it FAIL with the install hint: they never skip silently.

`log_db` (parametrized over sqlite and mariadb): makes a log table from rows with
relative times and hands back its DATABASE_URL, so every case runs on both backends.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterable, List, Optional
from urllib.parse import quote, unquote, urlsplit

import pytest

REPO = Path(__file__).resolve().parents[2]
SCHEMAS = REPO / "fixtures" / "logs"
INSTALL_HINT = ("mariadbd is not installed: `apt-get install mariadb-server` (Debian/Ubuntu), or point "
                "GIGACHECK_TEST_MYSQL_URL at a MariaDB/MySQL account that may create databases and users, "
                "e.g. mysql://root:pw@127.0.0.1:3306/")
START_TIMEOUT_S = 60.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MariaDBServer:
    """A mariadbd of our own (or an external server), with helpers to make databases and users."""

    def __init__(self, host="127.0.0.1", port=0, user="root", password="", datadir: Optional[Path] = None,
                 proc=None, external=False):
        self.host, self.port, self.user, self.password = host, port, user, password
        self.datadir, self.proc, self.external = datadir, proc, external
        self.args: List[str] = []  # how our own mariadbd was started (restart)
        self._names = itertools.count(1)
        self._tag = f"{os.getpid()}_{int(time.time()) % 100000}"

    # --- lifecycle ---------------------------------------------------------------------------
    @classmethod
    def start(cls, base: Optional[Path] = None, extra_args: Iterable[str] = ()) -> "MariaDBServer":
        mariadbd = shutil.which("mariadbd") or ("/usr/sbin/mariadbd" if os.path.exists("/usr/sbin/mariadbd") else None)
        install = shutil.which("mariadb-install-db") or shutil.which("mysql_install_db")
        if not mariadbd or not install:
            raise RuntimeError(INSTALL_HINT)
        # a short path: the socket path must stay under 108 bytes
        datadir = Path(tempfile.mkdtemp(prefix="gcmdb-", dir=base)) / "d"
        done = subprocess.run([install, "--no-defaults", f"--datadir={datadir}",
                               "--auth-root-authentication-method=normal", "--skip-test-db"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"mariadb-install-db failed: {done.stdout.decode(errors='replace')[-2000:]}")
        port = _free_port()
        # its temporary files (GROUP_CONCAT, derived tables) in a folder of its own, not /tmp: a server's
        # `#sql-temptable-<pid>-...` files vanished from the shared /tmp mid-query ("Error on delete", errno 2)
        tmpdir = datadir.parent / "tmp"
        tmpdir.mkdir(exist_ok=True)
        args = [mariadbd, "--no-defaults", f"--datadir={datadir}", f"--socket={datadir}/s.sock", f"--port={port}",
                f"--tmpdir={tmpdir}",
                "--bind-address=127.0.0.1", "--skip-log-bin", "--character-set-server=utf8mb4",
                "--collation-server=utf8mb4_general_ci", "--innodb-buffer-pool-size=256M", *extra_args]
        if os.geteuid() == 0:
            args.insert(2, "--user=root")
        server = cls(port=port, datadir=datadir)
        server.args = args
        server._launch(args)
        return server

    def _launch(self, args) -> None:
        log = open(self.datadir / "server.log", "ab")
        self.proc = proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:  # bounded by the deadline
            if proc.poll() is not None:
                tail = (self.datadir / "server.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"mariadbd exited with {proc.returncode}: {tail}")
            try:
                self.connect().close()
                return
            except Exception:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"mariadbd did not answer on 127.0.0.1:{self.port} within "
                                       f"{START_TIMEOUT_S:g} s")
                time.sleep(0.1)

    def restart(self, extra_args: Iterable[str] = ()) -> None:
        """Our own server stopped and started again on its data folder and port, with `extra_args` added:
        InnoDB reads the tables' stored statistics at start, so a bulk load before a restart leaves them stale."""
        if self.external or self.proc is None:
            raise RuntimeError("only a server started by the tests can be restarted")
        self.proc.terminate()
        self.proc.wait(timeout=30)
        self._launch([*self.args, *extra_args])

    @classmethod
    def external_server(cls, url: str) -> "MariaDBServer":
        parts = urlsplit(url)
        return cls(parts.hostname or "127.0.0.1", parts.port or 3306, unquote(parts.username or "root"),
                   unquote(parts.password or ""), external=True)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        if self.datadir is not None and not self.external:
            shutil.rmtree(self.datadir.parent, ignore_errors=True)

    # --- helpers ------------------------------------------------------------------------------
    def connect(self, database: Optional[str] = None, **kw):
        import pymysql
        return pymysql.connect(host=self.host, port=self.port, user=self.user, password=self.password,
                               database=database, charset="utf8mb4", autocommit=True, connect_timeout=5,
                               read_timeout=600, write_timeout=600, **kw)

    def execute(self, sql: str, params=None, database: Optional[str] = None) -> list:
        conn = self.connect(database)
        try:
            with conn.cursor() as cur:
                cur.execute(sql, params)
                return list(cur.fetchall())
        finally:
            conn.close()

    @contextlib.contextmanager
    def global_time_zone(self, zone: str):
        """The server's default zone set to `zone` for the block (sessions opened inside start there)."""
        before = self.execute("SELECT @@GLOBAL.time_zone")[0][0]
        self.execute("SET GLOBAL time_zone = %s", (zone,))
        try:
            yield
        finally:
            self.execute("SET GLOBAL time_zone = %s", (before,))

    def new_database(self, prefix: str = "gc") -> str:
        name = f"{prefix}_{self._tag}_{next(self._names)}"
        self.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci")
        return name

    def create_user(self, database: str, user: Optional[str] = None, password: str = "Rd-pass-1234567",
                    grants: str = "SELECT") -> tuple:
        """A user with only `grants` on `database`: returns (user, password)."""
        user = user or f"u{self._tag}_{next(self._names)}"[:32]
        self.execute("CREATE USER %s@'%%' IDENTIFIED BY %s", (user, password))
        self.execute("CREATE USER %s@'localhost' IDENTIFIED BY %s", (user, password))
        for host in ("%", "localhost"):
            self.execute(f"GRANT {grants} ON `{database}`.* TO %s@%s", (user, host))
        return user, password

    def url(self, database: str = "", user: Optional[str] = None, password: Optional[str] = None) -> str:
        user = self.user if user is None else user
        password = self.password if password is None else password
        auth = quote(user, safe="") + (":" + quote(password, safe="") if password else "")
        return f"mysql://{auth}@{self.host}:{self.port}/{database}"

    def general_log(self, database: str) -> "GeneralLog":
        """`with server.general_log(db) as sent:` -> the statements of the connections made to `db`
        inside the block, from the server's own general log (log_output=TABLE)."""
        return GeneralLog(self, database)


class GeneralLog:
    def __init__(self, server: MariaDBServer, database: str):
        self.server, self.database = server, database
        self.sent: List[str] = []

    def __enter__(self) -> List[str]:
        conn = self.server.connect()
        try:
            with conn.cursor() as cur:
                cur.execute("SET GLOBAL general_log = 0")
                cur.execute("TRUNCATE TABLE mysql.general_log")
                cur.execute("SET GLOBAL log_output = 'TABLE'")
                cur.execute("SET GLOBAL general_log = 1")
        finally:
            conn.close()
        return self.sent

    def __exit__(self, *exc):
        conn = self.server.connect()
        try:
            with conn.cursor() as cur:
                cur.execute("SET GLOBAL general_log = 0")
                cur.execute("SELECT thread_id, command_type, CONVERT(argument USING utf8mb4) FROM mysql.general_log "
                            "ORDER BY event_time, thread_id")
                entries = cur.fetchall()
        finally:
            conn.close()
        # a Connect entry reads `user@host on db using TCP/IP` (or `... as anonymous on db`)
        ours = {tid for tid, kind, arg in entries
                if kind == "Connect" and re.search(rf"\bon {re.escape(self.database)}\b", arg or "")}
        self.sent.extend(arg for tid, kind, arg in entries if tid in ours and kind in ("Query", "Execute", "Prepare"))


# --- rows with relative times -> a log table on either backend ------------------------------------------

@dataclass
class LogRow:
    message: object                 # str, bytes (not UTF-8) or None
    level: str = "INFO"
    minutes_ago: float = 1.0


def rows_from(items, keep_order: bool = False) -> List[LogRow]:
    out = []
    for item in items:
        if isinstance(item, LogRow):
            out.append(item)
        elif isinstance(item, dict):
            out.append(LogRow(item.get("message"), item.get("level", "INFO"),
                              float(item.get("minutes_ago", 0)) + 60 * float(item.get("hours_ago", 0))))
        else:
            level, message, minutes = item
            out.append(LogRow(message, level, minutes))
    return out if keep_order else sorted(out, key=lambda r: -r.minutes_ago)  # oldest first: ids grow with time


def _stamp(now: datetime, minutes: float, tz) -> str:
    return (now - timedelta(minutes=minutes)).astimezone(tz).replace(tzinfo=None).isoformat(sep=" ")


class LogDB:
    """Makes log tables on one backend. `make(rows, ...)` returns a DATABASE_URL."""

    def __init__(self, backend: str, tmp_path: Path, server: Optional[MariaDBServer] = None):
        self.backend, self.tmp_path, self.server = backend, tmp_path, server
        self._n = itertools.count(1)
        self.database: Optional[str] = None

    def make(self, rows=(), table: str = "Asistent_systemlog", index: bool = False, columns=None,
             blob_message: bool = False, create: bool = True, now: Optional[datetime] = None, tz=timezone.utc,
             ddl: Optional[str] = None, keep_order: bool = False) -> str:
        """A fresh database with a log table of `rows` (level, message, minutes_ago), inserted oldest
        first (ids grow with time) unless `keep_order`. `columns`: keep only these columns of the
        schema file; `ddl`: create this table instead (and add rows with `insert`)."""
        now = now or datetime.now(timezone.utc)
        rows = rows_from(rows, keep_order)
        if self.backend == "sqlite":
            return self._sqlite(rows, table, index, columns, create, now, tz, ddl)
        return self._mariadb(rows, table, index, columns, blob_message, create, now, tz, ddl)

    def insert(self, url: str, table: str, columns, rows, now: Optional[datetime] = None) -> None:
        """Rows (level, message, minutes_ago) into `columns` (timestamp, level, message) of `table`."""
        now = now or datetime.now(timezone.utc)
        values = [(_stamp(now, r.minutes_ago, timezone.utc), r.level, r.message) for r in rows_from(rows)]
        if self.backend == "sqlite":
            import sqlite3
            conn = sqlite3.connect(url[len("sqlite:///"):])
            cols = ", ".join(f'"{c}"' for c in columns)
            conn.executemany(f'INSERT INTO "{table}" ({cols}) VALUES (?, ?, ?)', values)
            conn.commit()
            conn.close()
            return
        conn = self.server.connect(self.database)
        try:
            with conn.cursor() as cur:
                cols = ", ".join(f"`{c}`" for c in columns)
                cur.executemany(f"INSERT INTO `{table}` ({cols}) VALUES (%s, %s, %s)", values)
        finally:
            conn.close()

    def script(self, url: str, sql: str) -> None:
        """Run an SQL file's statements (e.g. fixtures/logs/sample-rows.*.sql) on the database of `url`."""
        if self.backend == "sqlite":
            import sqlite3
            conn = sqlite3.connect(url[len("sqlite:///"):])
            conn.executescript(sql)
            conn.close()
            return
        conn = self.server.connect(self.database)
        try:
            with conn.cursor() as cur:
                for statement in _statements(re.sub(r"(?m)^\s*--.*$", "", sql)):
                    cur.execute(statement)
        finally:
            conn.close()

    # SQLite: the schema Django writes (fixtures/logs/schema.sqlite.sql)
    def _sqlite(self, rows, table, index, columns, create, now, tz, ddl):
        import sqlite3
        path = self.tmp_path / f"site{next(self._n)}.sqlite3"
        conn = sqlite3.connect(str(path))
        try:
            if create:
                conn.executescript(_nullable(ddl or _schema("sqlite", table, columns), rows))
                if index:
                    conn.execute(f'CREATE INDEX "{table}_timestamp_idx" ON "{table}" ("timestamp")')
                names = [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')]
                cols, marks = _insert(names, '"', "?")
                for r in rows:
                    values = _values(names, _stamp(now, r.minutes_ago, tz), r)
                    # bytes that are not UTF-8 stored as TEXT, as a careless writer leaves them
                    sql_marks = marks.replace("?", "CAST(? AS TEXT)") if isinstance(r.message, bytes) else marks
                    conn.execute(f'INSERT INTO "{table}" ({cols}) VALUES ({sql_marks})', values)
            conn.commit()
        finally:
            conn.close()
        return f"sqlite:///{path}"  # an absolute path: sqlite:////tmp/...

    def _mariadb(self, rows, table, index, columns, blob_message, create, now, tz, ddl):
        db = self.database = self.server.new_database()
        if create:
            schema = _nullable(ddl or _schema("mysql", table, columns), rows)
            if blob_message:  # raw bytes, whatever their encoding
                schema = schema.replace("`message` longtext", "`message` longblob")
            conn = self.server.connect(db)
            try:
                with conn.cursor() as cur:
                    for statement in _statements(schema):
                        cur.execute(statement)
                    if index:
                        cur.execute(f"CREATE INDEX `{table}_timestamp_idx` ON `{table}` (`timestamp`)")
                    if rows:
                        cur.execute(f"SHOW COLUMNS FROM `{table}`")
                        names = [r[0] for r in cur.fetchall()]
                        cols, marks = _insert(names, "`", "%s")
                        cur.executemany(f"INSERT INTO `{table}` ({cols}) VALUES ({marks})",
                                        [_values(names, _stamp(now, r.minutes_ago, tz), r) for r in rows])
            finally:
                conn.close()
        return self.server.url(db)


DEFAULTS = {"logger_name": "Asistent", "module": "gigachat", "function": "generate", "extra_data": "{}"}


def _insert(names, q, mark):
    cols = [n for n in ("timestamp", "level", "message") if n in names] + [n for n in DEFAULTS if n in names]
    return ", ".join(f"{q}{c}{q}" for c in cols), ", ".join([mark] * len(cols))


def _values(names, stamp, row):
    own = {"timestamp": stamp, "level": row.level, "message": row.message}
    return tuple(own[n] for n in ("timestamp", "level", "message") if n in names) + \
        tuple(v for n, v in DEFAULTS.items() if n in names)


def _nullable(ddl: str, rows) -> str:
    """Django's TextField is NOT NULL; a table whose message may be NULL says `null=True`."""
    if any(r.message is None for r in rows):
        ddl = re.sub(r'([`"]message[`"]\s+\w+)\s+NOT NULL', r"\1 NULL", ddl)
    return ddl


def _schema(dialect: str, table: str, columns=None) -> str:
    text = (SCHEMAS / f"schema.{dialect}.sql").read_text(encoding="utf-8")
    text = re.sub(r"(?m)^\s*--.*$", "", text)
    q = "`" if dialect == "mysql" else '"'
    text = text.replace(f"{q}Asistent_systemlog{q}", f"{q}{table}{q}")
    if columns is not None:  # keep only these columns of the schema
        lines = []
        for line in text.splitlines():
            m = re.match(rf"\s*{re.escape(q)}(\w+){re.escape(q)}\s", line)
            if m and m.group(1) not in columns:
                continue
            lines.append(line)
        text = "\n".join(lines)
        text = re.sub(r",(\s*\))", r"\1", text)  # no trailing comma before the closing parenthesis
    return text


def _statements(script: str) -> List[str]:
    return [s.strip() for s in script.split(";") if s.strip()]


# --- fixtures ------------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def mariadb_server():
    """One MariaDB per test session (per xdist worker). Fails, never skips, when there is none."""
    url = os.environ.get("GIGACHECK_TEST_MYSQL_URL")
    if url:
        yield MariaDBServer.external_server(url)
        return
    try:
        server = MariaDBServer.start()
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=["sqlite", "mariadb"])
def log_db(request, tmp_path) -> LogDB:
    """A maker of log tables on each backend in turn."""
    server = request.getfixturevalue("mariadb_server") if request.param == "mariadb" else None
    return LogDB(request.param, tmp_path, server)
