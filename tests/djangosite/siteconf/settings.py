"""A small real Django site for gigacheck's own tests (tests/test_django_app.py): one app, Asistent,
with the SystemLog model, on the database the test names (SITE_DATABASE, JSON of DATABASES['default'])."""
import json
import os

SECRET_KEY = "gigacheck-test-site-only"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
INSTALLED_APPS = ["Asistent", "gigacheck.django"]
USE_TZ = os.environ.get("SITE_USE_TZ", "1") == "1"
TIME_ZONE = os.environ.get("SITE_TIME_ZONE", "UTC")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
DATABASES = {"default": json.loads(os.environ.get("SITE_DATABASE") or '{"ENGINE": "django.db.backends.sqlite3", '
                                                                    '"NAME": "db.sqlite3"}')}
if DATABASES["default"]["ENGINE"].endswith("mysql"):
    # Django's mysql backend through PyMySQL's MySQLdb shim; Django 5.2 asks for mysqlclient 1.4.3 or later
    import pymysql
    pymysql.version_info = (2, 2, 1, "final", 0)
    pymysql.install_as_MySQLdb()
