"""Issue 22: LG005's copy-paste line adds `db_index=True` to the timestamp field as the site defines it
(read from the installed model where Django is set up, else from the site's Asistent/models.py source),
never changing its other arguments (`auto_now_add=True` stays)."""

import os
import subprocess
import sys
import textwrap

import pytest

from gigacheck.logs.fieldline import field_line, from_source, with_index
from gigacheck.logs.sources import seed_sqlite

MODELS = '''
from django.db import models


class SystemLog(models.Model):
    """The site's log."""
    timestamp = models.DateTimeField(auto_now_add=True)
    level = models.CharField(max_length=20)
    message = models.TextField()
'''


def _models(folder, text=MODELS):
    (folder / "Asistent").mkdir(parents=True, exist_ok=True)
    (folder / "Asistent" / "__init__.py").write_text("")
    (folder / "Asistent" / "models.py").write_text(text, encoding="utf-8")
    return folder / "Asistent" / "models.py"


def test_with_index_keeps_every_argument():
    assert with_index("models.DateTimeField(auto_now_add=True)") == \
        "models.DateTimeField(auto_now_add=True, db_index=True)"
    assert with_index("models.DateTimeField()") == "models.DateTimeField(db_index=True)"
    assert with_index("models.DateTimeField(default=timezone.now, verbose_name='время',)") == \
        "models.DateTimeField(default=timezone.now, verbose_name='время', db_index=True)"


def test_the_field_as_the_sites_source_writes_it(tmp_path):
    path = _models(tmp_path)
    assert from_source(path, "timestamp") == "timestamp = models.DateTimeField(auto_now_add=True, db_index=True)"
    spread = MODELS.replace("models.DateTimeField(auto_now_add=True)",
                            "models.DateTimeField(\n        auto_now_add=True,\n        db_column='created',\n    )")
    _models(tmp_path, spread)
    assert from_source(path, "created") == \
        "timestamp = models.DateTimeField(auto_now_add=True, db_column='created', db_index=True)"
    assert from_source(path, "message") == "message = models.TextField(db_index=True)"
    _models(tmp_path, "class SystemLog(:\n")  # not Python: no line, never an error
    assert from_source(path, "timestamp") is None
    assert field_line("timestamp", [tmp_path / "nowhere"]) is None


def test_the_installed_models_field_where_django_is_set_up(tmp_path):
    pytest.importorskip("django", reason="Django is a test extra: pip install -e '.[test]'")
    _models(tmp_path)
    (tmp_path / "siteproj").mkdir()
    (tmp_path / "siteproj" / "__init__.py").write_text("")
    (tmp_path / "siteproj" / "settings.py").write_text(
        'SECRET_KEY = "x"\nINSTALLED_APPS = ["Asistent"]\nUSE_TZ = True\n'
        'DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "db.sqlite3"}}\n')
    code = textwrap.dedent("""
        import django; django.setup()
        from gigacheck.django.site import model_field_line
        print(model_field_line("SystemLog", "timestamp"))
    """)
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60,
                          env={"DJANGO_SETTINGS_MODULE": "siteproj.settings", "PATH": "/usr/bin:/bin",
                               "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])})
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "timestamp = models.DateTimeField(auto_now_add=True, db_index=True)"


def test_a_run_in_the_site_folder_shows_its_field_with_the_index(run_checks, pytester):
    _models(pytester.path)
    seed_sqlite(pytester.path / "site.sqlite3", [{"minutes_ago": 5, "level": "INFO",
                                                  "message": "Изображение сохранено: media/gen/1.jpg"}], index=False)
    result = run_checks("-m", "logs", env={"DATABASE_URL": f"sqlite:///{pytester.path / 'site.sqlite3'}"})
    check = result.check("test_is_the_timestamp_column_indexed")
    assert check["codes"] == ["LG005"]
    evidence = "\n".join(check["evidence"])
    assert "timestamp = models.DateTimeField(auto_now_add=True, db_index=True)" in evidence
    assert "default=timezone.now" not in evidence + result.stdout


def test_without_the_models_source_the_line_says_to_keep_the_arguments(run_checks, pytester):
    seed_sqlite(pytester.path / "site.sqlite3", [{"minutes_ago": 5, "level": "INFO", "message": "ok"}], index=False)
    result = run_checks("-m", "logs", env={"DATABASE_URL": f"sqlite:///{pytester.path / 'site.sqlite3'}"})
    evidence = "\n".join(result.check("test_is_the_timestamp_column_indexed")["evidence"])
    assert "add db_index=True to the arguments timestamp already has" in evidence
    assert "default=timezone.now" not in evidence
