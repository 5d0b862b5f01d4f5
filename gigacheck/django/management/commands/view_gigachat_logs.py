"""`manage.py view_gigachat_logs [--hours H] [--level L] [--search T] [--limit N] [--json] [--summary]
[--database ALIAS]`: the runbook's command. The viewer of `python -m gigacheck logs` (the same rows and
output), reading the site's own connection `DATABASES[ALIAS]`."""

import os
import sys

from django.core.management.base import BaseCommand

from gigacheck.logs import hours_arg, limit_arg
from gigacheck.logs.signatures import LEVELS
from gigacheck.words import LANGS, default_lang, say


class Command(BaseCommand):
    help = say("viewer.description", default_lang())
    requires_system_checks = []  # a look at the logs is never held up by the site's own checks

    def add_arguments(self, parser):
        lang = default_lang()
        parser.add_argument("--hours", type=hours_arg, default=24.0, metavar="H",
                            help=say("viewer.help.hours", lang))
        parser.add_argument("--level", default=None, metavar="LEVEL",
                            help=say("viewer.help.level", lang, levels=", ".join(LEVELS)))
        parser.add_argument("--search", default=None, metavar="TEXT", help=say("help.search", lang))
        parser.add_argument("--limit", type=limit_arg, default=50, metavar="N",
                            help=say("viewer.help.limit", lang))
        parser.add_argument("--json", action="store_true", help=say("viewer.help.json", lang))
        parser.add_argument("--summary", action="store_true", help=say("viewer.help.summary", lang))
        parser.add_argument("--database", default="default", metavar="ALIAS",
                            help=say("django.help.database", lang))
        parser.add_argument("--env-file", default=None, metavar="PATH", help=say("viewer.help.env_file", lang))
        parser.add_argument("--lang", default=None, choices=LANGS, help=say("lang.help", lang))

    def handle(self, *args, **options):
        import argparse
        from gigacheck.logs import viewer
        ns = argparse.Namespace(hours=options["hours"], level=options["level"], search=options["search"],
                                limit=options["limit"], json=options["json"], summary=options["summary"],
                                env_file=options["env_file"], lang=options["lang"], ds=None, mock=None)
        environ = dict(os.environ, GIGACHECK_DJANGO_DATABASE=options["database"])
        # the viewer's own streams: its lines as `python -m gigacheck logs` writes them, scrubbed there
        status = viewer.run(ns, environ, _Stream(self.stdout), _Stream(self.stderr))
        if status:
            sys.exit(status)  # as `python -m gigacheck logs`: 2 for a setting to fix


class _Stream:
    """Django's OutputWrapper without its line ending: the viewer writes whole lines itself."""

    def __init__(self, wrapper):
        self._wrapper = wrapper

    def write(self, text):
        self._wrapper.write(text, ending="")

    def flush(self):
        self._wrapper.flush()
