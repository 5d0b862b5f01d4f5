"""A small real Django project: with no DATABASE_URL, DJANGO_SETTINGS_MODULE (or --ds) leads the log checks
and the viewer to its DATABASES['default'], on SQLite and on MariaDB. Django makes the table (migrate)
and writes the rows (the ORM), as the site does."""

import json
import subprocess
import sys
import textwrap

import pytest

from gigacheck.logs.django import url_from_databases
from gigacheck.diagnosis import Finding

pytest.importorskip("django", reason="Django is a test extra: pip install -e '.[test]'")

MODELS = '''
from django.db import models


class SystemLog(models.Model):
    timestamp = models.DateTimeField(auto_now_add=True, db_index=True)
    level = models.CharField(max_length=20)
    message = models.TextField()
'''
SETTINGS = '''
{prelude}
SECRET_KEY = "gigacheck-test-only"
INSTALLED_APPS = ["Asistent"]
USE_TZ = True
DATABASES = {{"default": {database}}}
'''
# what the site logs: healthy traffic, then a rate limit still going on (no success after it)
WRITE_ROWS = '''
import django
django.setup()
from django.core.management import call_command
call_command("makemigrations", "Asistent", verbosity=0)
call_command("migrate", verbosity=0)
from Asistent.models import SystemLog
SystemLog.objects.create(level="INFO", message="GigaChat: изображение сохранено media/gen/1.jpg")
SystemLog.objects.create(level="INFO", message="Изображение сохранено: media/gen/2.jpg")
SystemLog.objects.create(level="ERROR", message="GigaChat: 429 Too Many Requests, cooldown 30 s")
'''


def make_project(root, database: str, prelude: str = "") -> None:
    (root / "siteproj").mkdir()
    (root / "siteproj" / "__init__.py").write_text("")
    (root / "siteproj" / "settings.py").write_text(SETTINGS.format(prelude=prelude, database=database))
    (root / "Asistent").mkdir()
    (root / "Asistent" / "__init__.py").write_text("")
    (root / "Asistent" / "models.py").write_text(MODELS)
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(prelude) + WRITE_ROWS], cwd=root,
                          env={"DJANGO_SETTINGS_MODULE": "siteproj.settings", "PATH": "/usr/bin:/bin"},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]


def check_the_logs(run_checks, pytester, *args, **env):
    result = run_checks("-m", "logs", *args, env=env)
    assert result.check("test_is_a_log_source_configured")["outcome"] == "passed", result.stdout[-3000:]
    assert result.check("test_can_the_log_database_be_reached")["outcome"] == "passed"
    assert result.check("test_does_the_log_table_exist")["outcome"] == "passed"
    assert result.check("test_is_the_timestamp_column_indexed")["outcome"] == "passed"  # db_index=True
    # the rows Django wrote are the ones judged: the rate limit is found
    assert result.failed()["checks/test_logs.py::test_is_gigachat_not_rate_limiting_the_site"] == ["LG014"]
    return result


def viewer(pytester, *args, **env):
    return subprocess.run([sys.executable, "-m", "gigacheck", "logs", "--search", "429", "--json", *args],
                          cwd=pytester.path, capture_output=True, text=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin", **env})


def test_sqlite_from_django_settings_module(pytester, run_checks):
    make_project(pytester.path, '{"ENGINE": "django.db.backends.sqlite3", "NAME": "db.sqlite3"}')
    result = check_the_logs(run_checks, pytester, DJANGO_SETTINGS_MODULE="siteproj.settings")
    assert "Django settings siteproj.settings" in result.html  # where DATABASE_URL came from
    shown = viewer(pytester, "--ds", "siteproj.settings")
    assert shown.returncode == 0, shown.stderr
    (row,) = json.loads(shown.stdout)
    assert row["level"] == "ERROR" and "429 Too Many Requests" in row["message"]


def test_mariadb_from_ds_with_the_password_never_shown(pytester, run_checks, mariadb_server):
    database = mariadb_server.new_database("dj")
    user, password = mariadb_server.create_user(database, password="Dj-" + database[-6:] + "-s3cret-pw",
                                                grants="ALL")
    make_project(pytester.path, repr({"ENGINE": "django.db.backends.mysql", "NAME": database, "USER": user,
                                      "PASSWORD": password, "HOST": mariadb_server.host,
                                      "PORT": str(mariadb_server.port)}),
                 prelude="import pymysql\npymysql.install_as_MySQLdb()\n")
    result = check_the_logs(run_checks, pytester, "--ds", "siteproj.settings")
    assert password not in result.everything()
    shown = viewer(pytester, DJANGO_SETTINGS_MODULE="siteproj.settings")
    assert shown.returncode == 0 and "429 Too Many Requests" in shown.stdout, shown.stderr
    assert password not in shown.stdout + shown.stderr


def test_a_database_url_wins_and_other_engines_are_lg001():
    assert url_from_databases({"default": {"ENGINE": "django.db.backends.mysql", "NAME": "site", "USER": "u",
                                           "PASSWORD": "p@ss:w/rd", "HOST": "", "PORT": ""}}, "s") == \
        "mysql://u:p%40ss%3Aw%2Frd@localhost:3306/site"
    with pytest.raises(Finding) as info:
        url_from_databases({"default": {"ENGINE": "django.db.backends.postgresql", "NAME": "site"}}, "s")
    assert info.value.code == "LG001" and "postgresql" in info.value.detail
