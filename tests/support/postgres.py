"""A real PostgreSQL for the suite's own tests: Debian's binaries on a throwaway cluster.

`postgres_server` (session): `initdb` in a temporary folder, `postgres` on a free loopback port,
run as the `postgres` OS user when the suite runs as root (PostgreSQL refuses to run as root),
stopped and removed at the end. `log_statement = 'all'` writes every statement to the cluster's
log, so a test can read what gigacheck sent (`PostgresServer.statements`). When PostgreSQL is not
installed the tests that need it are skipped with the install hint.
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import List, Optional
from urllib.parse import quote

import pytest

INSTALL_HINT = ("PostgreSQL is not installed: `apt-get install postgresql` (Debian/Ubuntu: the binaries in "
                "/usr/lib/postgresql/<version>/bin), and `pip install 'psycopg[binary]'`")
START_TIMEOUT_S = 60.0
SUPERUSER = "gc_admin"


def bin_dir() -> Optional[Path]:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]) if
                   p.split("/")[4].isdigit() else 0)
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres(args: List[str]) -> List[str]:
    """PostgreSQL will not run as root: as the `postgres` user then."""
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


class PostgresServer:
    def __init__(self, port: int, base: Path, proc: subprocess.Popen):
        self.host, self.port, self.base, self.proc = "127.0.0.1", port, base, proc
        self.user, self.password = SUPERUSER, "Adm-pass-98765"
        self._names = itertools.count(1)
        self._tag = f"{os.getpid()}_{int(time.time()) % 100000}"

    @property
    def log_path(self) -> Path:
        return self.base / "server.log"

    @classmethod
    def start(cls) -> "PostgresServer":
        where = bin_dir()
        if where is None:
            raise RuntimeError(INSTALL_HINT)
        base = Path(tempfile.mkdtemp(prefix="gcpg-"))
        data = base / "data"
        if os.geteuid() == 0:
            shutil.chown(base, "postgres", "postgres")
            os.chmod(base, 0o755)
        pwfile = base / "pw"
        pwfile.write_text("Adm-pass-98765\n")
        if os.geteuid() == 0:
            shutil.chown(pwfile, "postgres", "postgres")
        done = subprocess.run(_as_postgres([str(where / "initdb"), "-D", str(data), "-U", SUPERUSER,
                                            f"--pwfile={pwfile}", "--auth=scram-sha-256", "--encoding=UTF8",
                                            "--locale=C.UTF-8", "--no-sync"]),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
        if done.returncode != 0:
            shutil.rmtree(base, ignore_errors=True)
            raise RuntimeError(f"initdb failed: {done.stdout.decode(errors='replace')[-2000:]}")
        port = _free_port()
        log = base / "server.log"
        args = [str(where / "postgres"), "-D", str(data), "-p", str(port), "-c", "listen_addresses=127.0.0.1",
                "-c", f"unix_socket_directories={base}", "-c", "fsync=off", "-c", "synchronous_commit=off",
                "-c", "full_page_writes=off", "-c", "log_statement=all", "-c", "log_line_prefix=%m [%p] %u@%d ",
                "-c", "shared_buffers=64MB", "-c", "max_connections=60", "-c", "autovacuum=off"]
        # autovacuum off: a table's statistics stay as the test left them (never analyzed unless it says so)
        out = open(log, "ab")
        proc = subprocess.Popen(_as_postgres(args), stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        out.close()
        server = cls(port, base, proc)
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:  # bounded by the deadline
            if proc.poll() is not None:
                tail = log.read_text(errors="replace")[-2000:]
                shutil.rmtree(base, ignore_errors=True)
                raise RuntimeError(f"postgres exited with {proc.returncode}: {tail}")
            try:
                server.connect().close()
                return server
            except Exception:
                if time.monotonic() > deadline:
                    server.stop()
                    raise RuntimeError(f"postgres did not answer on 127.0.0.1:{port} within {START_TIMEOUT_S:g} s")
                time.sleep(0.1)

    def stop(self) -> None:
        if self.proc.poll() is None:
            where = bin_dir()
            if where is not None:  # a fast shutdown by the server's own tool (runuser stands between us and it)
                subprocess.run(_as_postgres([str(where / "pg_ctl"), "-D", str(self.base / "data"), "stop", "-m",
                                             "fast", "-w", "-t", "30"]), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, timeout=60)
            if self.proc.poll() is None:
                self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        shutil.rmtree(self.base, ignore_errors=True)

    # --- helpers ------------------------------------------------------------------------------
    def connect(self, database: str = "postgres", user: Optional[str] = None, password: Optional[str] = None):
        import psycopg
        return psycopg.connect(host=self.host, port=self.port, user=user or self.user,
                               password=self.password if password is None else password, dbname=database,
                               connect_timeout=5, autocommit=True)

    def execute(self, sql: str, params=None, database: str = "postgres") -> list:
        with self.connect(database) as conn:
            cur = conn.execute(sql, params)
            return list(cur.fetchall()) if cur.description else []

    def new_database(self, prefix: str = "gc") -> str:
        name = f"{prefix}_{self._tag}_{next(self._names)}"
        self.execute(f'CREATE DATABASE "{name}"')
        return name

    def create_user(self, database: str, password: str = "Rd-pass-1234567") -> tuple:
        """A role that may only read `database`'s tables: (user, password)."""
        user = f"r{self._tag}_{next(self._names)}"
        from psycopg import sql
        self.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(sql.Identifier(user), sql.Literal(password)))
        self.execute(f'GRANT CONNECT ON DATABASE "{database}" TO "{user}"')
        self.execute(f'GRANT USAGE ON SCHEMA public TO "{user}"', database=database)
        self.execute(f'GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{user}"', database=database)
        return user, password

    def url(self, database: str, user: Optional[str] = None, password: Optional[str] = None,
            scheme: str = "postgresql") -> str:
        user = self.user if user is None else user
        password = self.password if password is None else password
        return f"{scheme}://{quote(user, safe='')}:{quote(password, safe='')}@{self.host}:{self.port}/{database}"

    def log_offset(self) -> int:
        return self.log_path.stat().st_size

    def statements(self, since: int, user: str) -> List[str]:
        """The statements `user` sent since log offset `since`, from the cluster's own log."""
        text = self.log_path.read_bytes()[since:].decode("utf-8", "replace")
        out, current = [], None
        for line in text.splitlines():
            if " LOG:  statement: " in line:
                current = None
                head, _, stmt = line.partition(" LOG:  statement: ")
                if f" {user}@" in head:
                    current = [stmt]
                    out.append(current)
            elif " LOG:  execute " in line:
                current = None
                head, _, rest = line.partition(" LOG:  execute ")
                if f" {user}@" in head:
                    current = [rest.partition(": ")[2]]
                    out.append(current)
            elif current is not None and (line.startswith(("\t", " ")) or not line[:4].isdigit()):
                current.append(line)  # a statement on several lines
            else:
                current = None
        return ["\n".join(parts).strip() for parts in out]


@pytest.fixture(scope="session")
def postgres_server():
    """One PostgreSQL per test session (per xdist worker); skipped with the reason when there is none."""
    pytest.importorskip("psycopg", reason=INSTALL_HINT)
    try:
        server = PostgresServer.start()
    except RuntimeError as exc:
        pytest.skip(str(exc))
    try:
        yield server
    finally:
        server.stop()


# --- log tables -------------------------------------------------------------------------------------------

def schema(table: str = "Asistent_systemlog") -> str:
    import re
    text = (Path(__file__).resolve().parents[2] / "fixtures" / "logs" / "schema.postgresql.sql").read_text("utf-8")
    return re.sub(r"(?m)^\s*--.*$", "", text).replace('"Asistent_systemlog"', f'"{table}"')


def make_log_table(server: PostgresServer, rows=(), index: bool = False, analyze: bool = False,
                   table: str = "Asistent_systemlog", now=None, database: Optional[str] = None) -> str:
    """A fresh database (or `database`) with Django's log table of `rows` (level, message, minutes_ago),
    oldest first (ids grow with time); never analyzed unless `analyze`. Returns the database's name."""
    from datetime import datetime, timedelta, timezone
    from tests.support.mariadb import DEFAULTS, rows_from
    now = now or datetime.now(timezone.utc)
    db = database or server.new_database()
    with server.connect(db) as conn:
        conn.execute(schema(table))
        if index:
            conn.execute(f'CREATE INDEX "{table}_timestamp_idx" ON "{table}" ("timestamp")')
        values = [(now - timedelta(minutes=r.minutes_ago), r.level, r.message, DEFAULTS["logger_name"],
                   DEFAULTS["module"], DEFAULTS["function"], DEFAULTS["extra_data"]) for r in rows_from(rows)]
        with conn.cursor().copy(f'COPY "{table}" ("timestamp", "level", "message", "logger_name", "module", '
                                f'"function", "extra_data") FROM STDIN') as copy:
            for v in values:
                copy.write_row(v)
        if analyze:
            conn.execute(f'ANALYZE "{table}"')
    return db
