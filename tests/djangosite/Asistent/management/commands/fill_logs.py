"""`manage.py fill_logs ROWS.json`: migrate, then write the rows through the ORM, as the site does
([level, message, minutes_ago], oldest first: ids grow with time)."""
import json
from datetime import timedelta

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils import timezone


class Command(BaseCommand):
    def add_arguments(self, parser):
        parser.add_argument("rows")

    def handle(self, *args, **options):
        from Asistent.models import SystemLog
        call_command("migrate", verbosity=0)
        now = timezone.now()
        rows = sorted(json.loads(open(options["rows"], encoding="utf-8").read()), key=lambda r: -r[2])
        SystemLog.objects.bulk_create([SystemLog(level=level, message=message, timestamp=now - timedelta(minutes=m))
                                       for level, message, m in rows], batch_size=2000)
