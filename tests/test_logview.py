"""`python -m gigacheck logs`: the viewer's output for a seeded table, and its errors."""

import argparse
import io
import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from gigacheck.logs import viewer as logview

REPO = Path(__file__).resolve().parents[1]
NOW = datetime.now(timezone.utc).replace(microsecond=0)
SEED = [
    ("INFO", "GigaChat: ответ получен", 50),
    ("ERROR", "❌ GigaChat error: 429 Too Many Requests", 40),
    ("INFO", "Изображение сохранено: a.jpg", 25),
    ("DEBUG", "generate_and_save_image: prompt", 20),
    ("WARNING", "Медленный запрос к базе", 10),          # not one of the viewer's topics
    ("ERROR", "GigaChat old error: HTTP 402", 60 * 30),  # outside the window
]


def at(minutes, tz=timezone.utc) -> str:
    return (NOW - timedelta(minutes=minutes)).astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")


def view(*argv, env=None):
    parser = argparse.ArgumentParser()
    logview.add_parser(parser.add_subparsers())
    args = parser.parse_args(["logs", *argv])
    out, err = io.StringIO(), io.StringIO()
    rc = logview.run(args, environ=dict(env or {}), stdout=out, stderr=err)
    return rc, out.getvalue(), err.getvalue()


@pytest.fixture(autouse=True)
def no_env_file_here(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the viewer reads ./.env by default: not the developer's


def test_rows_newest_first_as_the_site_prints_them(log_db):
    url = log_db.make(SEED, now=NOW)
    rc, out, err = view(env={"DATABASE_URL": url})
    assert rc == 0 and err == ""
    assert out.splitlines() == [
        f"{at(20)} [DEBUG] generate_and_save_image: prompt",
        f"{at(25)} [INFO] Изображение сохранено: a.jpg",
        f"{at(40)} [ERROR] ❌ GigaChat error: 429 Too Many Requests",
        f"{at(50)} [INFO] GigaChat: ответ получен",
    ]


def test_rows_as_json(log_db):
    url = log_db.make(SEED, now=NOW)
    rc, out, _ = view("--json", "--limit", "2", env={"DATABASE_URL": url})
    assert rc == 0
    assert json.loads(out) == [
        {"timestamp": (NOW - timedelta(minutes=20)).isoformat(), "level": "DEBUG",
         "message": "generate_and_save_image: prompt"},
        {"timestamp": (NOW - timedelta(minutes=25)).isoformat(), "level": "INFO",
         "message": "Изображение сохранено: a.jpg"},
    ]


def test_level_search_hours_and_limit_narrow_the_rows(log_db):
    env = {"DATABASE_URL": log_db.make(SEED, now=NOW)}
    assert view("--level", "error", env=env)[1].splitlines() == [
        f"{at(40)} [ERROR] ❌ GigaChat error: 429 Too Many Requests"]
    assert view("--search", "ИЗОБРАЖЕНИЕ", env=env)[1].splitlines() == [f"{at(25)} [INFO] Изображение сохранено: a.jpg"]
    assert len(view("--hours", "0.5", env=env)[1].splitlines()) == 2
    assert len(view("--hours", "48", env=env)[1].splitlines()) == 5
    rc, out, err = view("--search", "nothing like this", env=env)
    assert (rc, out) == (0, "") and "no matching log rows" in err


def test_summary_counts_every_code(log_db):
    env = {"DATABASE_URL": log_db.make(SEED, now=NOW)}
    rc, out, _ = view("--summary", "--json", env=env)
    assert rc == 0
    summary = json.loads(out)
    assert summary.pop("incidents")[0]["code"] == "LG014"  # the incidents: tests/test_incidents.py
    assert summary == {"window_hours": 24.0, "counts": {
        "LG010": 0, "LG011": 0, "LG012": 0, "LG013": 0, "LG014": 1, "LG015": 0, "LG016": 0, "LG017": 0,
        "LG018": 0, "LG019": 0, "LG020": 0, "LG021": 0, "LG022": 0}}
    rc, out, _ = view("--summary", "--hours", "72", env=env)
    lines = out.splitlines()
    assert [ln.split()[:2] for ln in lines[:13]] == [[f"LG0{n}", {14: "1", 15: "1"}.get(n, "0")]
                                                      for n in range(10, 23)]


def test_times_are_printed_in_the_log_zone(log_db):
    moscow = __import__("zoneinfo").ZoneInfo("Europe/Moscow")
    url = log_db.make(SEED, now=NOW, tz=moscow)
    env = {"DATABASE_URL": url, "GIGACHECK_LOG_TIMEZONE": "Europe/Moscow"}
    assert view(env=env)[1].splitlines()[0] == f"{at(20, moscow)} [DEBUG] generate_and_save_image: prompt"
    assert json.loads(view("--json", env=env)[1])[0]["timestamp"].endswith("+03:00")


def test_the_env_file_is_read_and_the_environment_wins(log_db, tmp_path):
    url = log_db.make(SEED, now=NOW)
    (tmp_path / "site.env").write_text(f"DATABASE_URL={url}\n", encoding="utf-8")
    assert len(view("--env-file", "site.env")[1].splitlines()) == 4
    (tmp_path / ".env").write_text(f"DATABASE_URL={url}\n", encoding="utf-8")
    assert len(view()[1].splitlines()) == 4
    rc, _, err = view(env={"DATABASE_URL": "sqlite:////nonexistent/db.sqlite3"})
    assert rc == 2 and "LG002" in err


@pytest.mark.parametrize("argv, env, says", [
    ([], {}, "[LG001]"),
    (["--level", "LOUD"], {"DATABASE_URL": "sqlite:////x"}, "unknown level"),
    (["--hours", "0"], {"DATABASE_URL": "sqlite:////x"}, "--hours"),
    (["--limit", "-1"], {"DATABASE_URL": "sqlite:////x"}, "--limit"),
    (["--env-file", "missing.env"], {}, "no such file"),
    (["--mock=nope"], {}, "unknown scenario"),
    # PostgreSQL is read now (issue 19): a closed port is LG002, its password never shown
    ([], {"DATABASE_URL": "postgres://u:Pg-Secret-77@127.0.0.1:1/db"}, "[LG002]"),
    ([], {"DATABASE_URL": "sqlite:////x", "GIGACHECK_LOG_TIMEZONE": "Mars/Phobos"}, "[LG001]"),
    ([], {"GIGACHECK_LOG_FILE": "/nonexistent/app.log"}, "[LG001]"),
])
def test_bad_configuration_is_one_line_and_exit_code_2(argv, env, says):
    rc, out, err = view(*argv, env=env)
    assert rc == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("gigacheck logs: error: ") and says in err
    assert "Pg-Secret-77" not in err


def test_database_problems_exit_2_without_the_password(log_db):
    if log_db.backend == "sqlite":
        url = log_db.make(SEED, table="other")
        expected = "[LG003]"
    else:
        log_db.make(SEED)
        user, _ = log_db.server.create_user(log_db.database)
        url = log_db.server.url(log_db.database, user, "Wrong-Secret-4242")
        expected = "[LG002]"
    rc, out, err = view(env={"DATABASE_URL": url})
    assert (rc, out) == (2, "") and expected in err and "Wrong-Secret-4242" not in err


def test_the_log_file_alone(tmp_path):
    stamp = (NOW - timedelta(minutes=5)).strftime("%Y-%m-%d %H:%M:%S")
    (tmp_path / "app.log").write_text(f"{stamp},120 - Asistent - ERROR - ❌ GIGAChat error: <html>404 Not Found\n"
                                      f"{stamp},130 - django - INFO - GET / 200\n", encoding="utf-8")
    rc, out, _ = view(env={"GIGACHECK_LOG_FILE": str(tmp_path / "app.log")})
    assert rc == 0 and out.splitlines() == [f"{stamp} [ERROR] ❌ GIGAChat error: <html>404 Not Found"]
    rc, out, _ = view("--summary", "--json", env={"GIGACHECK_LOG_FILE": str(tmp_path / "app.log")})
    assert json.loads(out)["counts"]["LG019"] == 1


def test_mock_mode_says_so_and_reads_the_scenario():
    rc, out, err = view("--mock=rate-limited", "--summary", "--json")
    assert rc == 0 and "MOCK" in err
    assert json.loads(out)["counts"]["LG014"] == 3


def test_python_dash_m_gigacheck_logs(log_db, tmp_path):
    """The real entry point, in a process of its own."""
    url = log_db.make(SEED, now=NOW)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIGACHAT_", "GIGACHECK_", "DATABASE_URL"))}
    env.update(PYTHONPATH=str(REPO), DATABASE_URL=url, LC_ALL="C", PYTHONIOENCODING="")
    done = subprocess.run([sys.executable, "-m", "gigacheck", "logs", "--level", "ERROR"], cwd=tmp_path, env=env,
                          capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode("utf-8").splitlines() == [f"{at(40)} [ERROR] ❌ GigaChat error: 429 Too Many Requests"]
    done = subprocess.run([sys.executable, "-m", "gigacheck", "logs", "--hours", "abc"], cwd=tmp_path, env=env,
                          capture_output=True, timeout=60)
    assert done.returncode == 2 and b"--hours" in done.stderr
    done = subprocess.run([sys.executable, "-m", "gigacheck", "codes"], cwd=tmp_path, env=env, capture_output=True,
                          timeout=60)
    assert done.returncode == 0 and b"| LG014 |" in done.stdout
