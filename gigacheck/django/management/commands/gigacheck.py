"""`manage.py gigacheck [pytest options]`: the checks with the site's settings, as
`pytest --pyargs gigacheck.checks [pytest options]` runs them; pytest's exit code.

Every option is pytest's and is passed on as written (Django's parser never sees them); only Django's
own `--settings` and `--pythonpath`, which manage.py has already applied, are taken out. The log
checks read the site's connection (GIGACHECK_DJANGO_DATABASE, default `default`)."""

import importlib
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

from django.core.management.base import BaseCommand

from gigacheck.words import default_lang, say

DJANGO_GLOBALS = ("--settings", "--pythonpath")


def _without_django_globals(args):
    out, skip = [], False
    for a in args:
        if skip:
            skip = False
            continue
        if a in DJANGO_GLOBALS:
            skip = True
            continue
        if a.startswith(tuple(g + "=" for g in DJANGO_GLOBALS)):
            continue
        out.append(a)
    return out


def _site_root() -> str:
    """The folder the settings module is imported from (manage.py's), for the child interpreter."""
    module = os.environ.get("DJANGO_SETTINGS_MODULE", "")
    try:
        path = Path(importlib.import_module(module).__file__).resolve()
    except Exception:
        return os.getcwd()
    for _ in module.split("."):
        path = path.parent
    return str(path)


class Command(BaseCommand):
    help = say("django.help.gigacheck", default_lang())
    requires_system_checks = []

    def run_from_argv(self, argv):
        args = _without_django_globals(argv[2:])
        if args in (["-h"], ["--help"]):
            self.stdout.write(self.help)  # then pytest's own --help
        env = dict(os.environ)
        env.setdefault("GIGACHECK_DJANGO_DATABASE", "default")
        env["PYTHONPATH"] = os.pathsep.join(p for p in (_site_root(), env.get("PYTHONPATH", "")) if p)
        extra = []
        if importlib.util.find_spec("pytest_django") is not None:
            extra = ["-p", "no:django"]  # pytest-django would block the site's connection outside its own tests
        code = subprocess.call([sys.executable, "-m", "pytest", "--pyargs", "gigacheck.checks", *extra, *args],
                               env=env)
        sys.exit(code)

    def handle(self, *args, **options):  # call_command("gigacheck", ...): the same, from a list of words
        self.run_from_argv(["manage.py", "gigacheck", *args])
