"""The Django app: `INSTALLED_APPS = [..., "gigacheck.django"]`."""

from django.apps import AppConfig


class GigacheckConfig(AppConfig):
    name = "gigacheck.django"
    label = "gigacheck"
    verbose_name = "gigacheck (GigaChat health checks)"

    def ready(self):
        from . import checks  # noqa: F401  registers the deployment checks (tag `gigachat`)
