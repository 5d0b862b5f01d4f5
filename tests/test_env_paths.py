"""Paths in an env file are read from that file's folder, and findings show the absolute path
tried (issue 8 item 8); a path set in the process environment stays relative to the working directory."""

from gigacheck import rules
from gigacheck.logs.store import parse_database_url
from gigacheck.settings import load


def write_env(folder, text):
    folder.mkdir(parents=True, exist_ok=True)
    env = folder / ".env"
    env.write_text(text, encoding="utf-8")
    return env


def test_relative_paths_resolve_against_the_env_files_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    site = tmp_path / "srv" / "site"
    env = write_env(site, "GIGACHAT_CA_BUNDLE_FILE=russian_trusted_root_ca.pem\n"
                          "DATABASE_URL=sqlite:///db.sqlite3\nGIGACHECK_LOG_FILE=logs/app.log\n")
    s = load({}, env, env_file_explicit=True)
    assert s.ca_bundle == str(site / "russian_trusted_root_ca.pem")
    assert s.log_file == str(site / "logs" / "app.log")
    assert parse_database_url(s.database_url.reveal()).path == str(site / "db.sqlite3")
    # the finding shows the absolute path tried, not the working directory's
    f = rules.ca_bundle_problem(s)
    assert f.code == "GC012" and str(site / "russian_trusted_root_ca.pem") in f.headline
    assert f"curl -fsSLo {site / 'russian_trusted_root_ca.pem'} " in f.render()


def test_absolute_paths_and_the_process_environment_are_left_alone(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    site = tmp_path / "site"
    env = write_env(site, "GIGACHAT_CA_BUNDLE_FILE=/etc/ssl/ca.pem\nDATABASE_URL=sqlite:////var/db.sqlite3\n"
                          "GIGACHECK_LOG_FILE=app.log\n")
    s = load({"GIGACHECK_LOG_FILE": "from-env.log"}, env, env_file_explicit=True)
    assert s.ca_bundle == "/etc/ssl/ca.pem"
    assert parse_database_url(s.database_url.reveal()).path == "/var/db.sqlite3"
    assert s.log_file == "from-env.log"  # the process wins, relative to where pytest runs


def test_a_sqlite_file_next_to_the_env_file_is_read_from_any_working_directory(run_checks, pytester, tmp_path):
    from gigacheck.logs.sources import seed_sqlite
    site = tmp_path / "site"
    site.mkdir()
    seed_sqlite(site / "db.sqlite3", [{"minutes_ago": 5, "level": "ERROR", "message": "❌ GigaChat error: 429 Too Many Requests"}])
    write_env(site, "DATABASE_URL=sqlite:///db.sqlite3\n")
    result = run_checks("--env-file", str(site / ".env"), "-m", "logs")
    assert result.check("test_can_the_log_database_be_reached")["outcome"] == "passed"
    assert result.check("test_is_gigachat_not_rate_limiting_the_site")["codes"] == ["LG014"]
    assert f"sqlite:///{site / 'db.sqlite3'}" in result.stdout


def test_the_example_env_and_every_ci_recipe_say_how_the_root_ca_gets_there():
    from tests.support.checksrun import FIXTURES, REPO
    from gigacheck.diagnosis import RUSSIAN_ROOT_CA_URL
    download = f"curl -fsSLo russian_trusted_root_ca.pem {RUSSIAN_ROOT_CA_URL}"
    example = (FIXTURES / "env" / "example.env").read_text(encoding="utf-8")
    assert download in example.split("GIGACHAT_CA_BUNDLE_FILE=russian_trusted_root_ca.pem")[0]
    ci = (REPO / "docs" / "ci.md").read_text(encoding="utf-8").split("## По-русски", 1)[0]  # README links it
    recipes = ci.split("```yaml")[1:]
    assert len(recipes) == 2
    for recipe in recipes:
        recipe = recipe.split("```")[0]
        assert download in recipe.split("pytest checks/")[0], recipe  # downloaded before the run
