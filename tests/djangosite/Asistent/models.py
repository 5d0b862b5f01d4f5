from django.db import models
from django.utils import timezone


class SystemLog(models.Model):
    """The site's log rows, as the runbook's site writes them (no index on timestamp: most real tables have none)."""
    timestamp = models.DateTimeField(default=timezone.now)
    level = models.CharField(max_length=10)
    logger_name = models.CharField(max_length=100, default="Asistent")
    message = models.TextField()
