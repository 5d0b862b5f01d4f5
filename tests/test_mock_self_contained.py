"""Issue 22: `pytest checks/ --mock` in a site folder whose `.env` points at a sick log table (and a sick log
file) reads only the scenario's own rows: the site's log settings are named in the header as not read, the
run is green, and the same `.env` in a live run does find the sickness (so the table really is sick)."""

from gigacheck.logs.sources import seed_sqlite

SICK = [{"minutes_ago": 5 + i, "level": "ERROR", "message": m} for i, m in enumerate([
    "❌ GigaChat error: 429 Too Many Requests",
    "Таймаут при генерации изображения через GigaChat (30 с)",
    "GigaChat: OAuth failed with status 401",
    "Не удалось сгенерировать изображение ни одной моделью",
])]


def _site(path):
    seed_sqlite(path / "site.sqlite3", SICK)
    (path / "app.log").write_text("2026-01-01 10:00:00,1 - Asistent - ERROR - GigaChat: Payment Required\n",
                                  encoding="utf-8")
    return ("DATABASE_URL=sqlite:///site.sqlite3\nGIGACHECK_LOG_FILE=app.log\n"
            "GIGACHECK_LOG_TIMEZONE=Europe/Moscow\nDJANGO_SETTINGS_MODULE=site_that_is_not_here.settings\n")


def test_a_mock_run_in_a_sick_site_folder_reads_only_the_scenarios_rows(run_checks, pytester):
    env_text = _site(pytester.path)
    result = run_checks("--mock", env_file_text=env_text)
    assert result.ret == 0, result.stdout[-3000:]
    assert result.json["verdict"] == "passed" and result.json["counts"]["failed"] == 0
    header = [line for line in result.stdout.splitlines() if line.startswith("gigacheck: log checks:")]
    assert header and "the scenario's own rows" in header[0]
    assert "DATABASE_URL, DJANGO_SETTINGS_MODULE, GIGACHECK_LOG_FILE, GIGACHECK_LOG_TIMEZONE" in header[0]
    assert "site.sqlite3" not in result.stdout and "app.log" not in result.stdout
    assert "embedded SQLite (mock)" in result.html


def test_a_failing_scenario_in_that_folder_shows_its_own_rows(run_checks, pytester):
    result = run_checks("--mock=rate-limited", "-m", "logs", env_file_text=_site(pytester.path))
    assert result.failed() and set(sum(result.failed().values(), [])) == {"LG014"}  # the scenario's, nothing else


def test_the_same_env_file_in_a_live_run_finds_the_sick_table(run_checks, pytester):
    env_text = _site(pytester.path).replace("DJANGO_SETTINGS_MODULE=site_that_is_not_here.settings\n", "")
    env_text = env_text.replace("GIGACHECK_LOG_FILE=app.log\n", "")
    result = run_checks("-m", "logs", env_file_text=env_text)
    codes = set(sum(result.failed().values(), []))
    assert {"LG013", "LG014"} <= codes, result.failed()


def test_the_viewers_mock_reads_the_scenario_not_database_url(tmp_path, monkeypatch):
    import argparse
    import io
    from gigacheck.logs import viewer
    monkeypatch.chdir(tmp_path)
    seed_sqlite(tmp_path / "site.sqlite3", SICK)
    parser = argparse.ArgumentParser()
    viewer.add_parser(parser.add_subparsers())
    args = parser.parse_args(["logs", "--mock", "--search", "ни одной моделью"])
    out, err = io.StringIO(), io.StringIO()
    rc = viewer.run(args, environ={"DATABASE_URL": f"sqlite:///{tmp_path / 'site.sqlite3'}"}, stdout=out, stderr=err)
    assert rc == 0, err.getvalue()
    assert "ни одной моделью" not in out.getvalue()  # the site's row; the healthy scenario has none
