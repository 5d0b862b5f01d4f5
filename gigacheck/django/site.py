"""What gigacheck takes from a Django site's own settings: its database connection, the log table of
its `Asistent.SystemLog` model, the zone it stores naive times in, and the database password (a secret
that no output may show). Runs inside the site's process (Django set up here if it is not yet)."""

from __future__ import annotations

from typing import Optional

ALIAS_VARIABLE = "GIGACHECK_DJANGO_DATABASE"  # set by the manage.py commands: read through connections[alias]
SOURCE = "Django site"


def setup() -> None:
    """Django set up as manage.py does (DJANGO_SETTINGS_MODULE), unless it already is."""
    from django.apps import apps
    if not apps.ready:
        import django
        django.setup()


def site_zone(dj_settings) -> str:
    """The zone of the naive times the site stores: TIME_ZONE where USE_TZ=False, else UTC (with
    USE_TZ=True Django stores UTC). GIGACHECK_LOG_TIMEZONE, when set, wins over this."""
    if getattr(dj_settings, "USE_TZ", True):
        return "UTC"
    return str(getattr(dj_settings, "TIME_ZONE", None) or "UTC")


def site_table() -> Optional[str]:
    """The installed `Asistent.SystemLog` model's db_table, if the site has that model."""
    from django.apps import apps
    for config in apps.get_app_configs():
        if config.label.lower() == "asistent":
            try:
                return config.get_model("SystemLog")._meta.db_table
            except LookupError:
                return None
    return None


def fill_from_site(settings, alias: str) -> None:
    """The gigacheck settings of a run inside the site: its connection `alias` as the log database,
    the model's table and the site's zone where the environment does not name them."""
    setup()
    from django.conf import settings as dj
    from django.db import connections
    settings.raw["DATABASE_URL"] = f"django://{alias}"
    settings.source["DATABASE_URL"] = f"{SOURCE}: connections[{alias!r}]"
    settings.folders.pop("DATABASE_URL", None)
    databases = getattr(dj, "DATABASES", {}) or {}
    password = str((databases.get(alias) or {}).get("PASSWORD") or "")
    if password:
        settings.extra_secrets.append(password)
    if alias not in connections:  # LG001 at the first check that reads it
        return
    if not settings.get("GIGACHECK_LOG_TABLE"):
        table = site_table()
        if table:
            settings.raw["GIGACHECK_LOG_TABLE"] = table
            settings.source["GIGACHECK_LOG_TABLE"] = f"{SOURCE}: model Asistent.SystemLog"
    if not settings.get("GIGACHECK_LOG_TIMEZONE"):
        from ..words import say
        settings.raw["GIGACHECK_LOG_TIMEZONE"] = site_zone(dj)
        key = "clock.django_utc" if getattr(dj, "USE_TZ", True) else "clock.django"
        settings.source["GIGACHECK_LOG_TIMEZONE"] = say(key, module=getattr(dj, "SETTINGS_MODULE", None) or SOURCE)


def load_settings(environ=None, env_file=None, alias: Optional[str] = None):
    """gigacheck's settings as a run inside the site sees them (environment over the env file), the log
    database the site's connection `alias` when one is given."""
    import os
    from pathlib import Path
    from .. import settings as settings_mod
    environ = os.environ if environ is None else environ
    env_file = Path(env_file) if env_file else Path(".env")
    settings = settings_mod.load(environ, env_file, env_file_explicit=False)
    if alias:
        fill_from_site(settings, alias)
    return settings


def model_field_line(model: str, column: str) -> Optional[str]:
    """The installed `Asistent.<model>` field stored in `column`, with db_index=True added and every other
    argument as the site defines it, as a migration would write it (`timestamp = models.DateTimeField(
    auto_now_add=True, db_index=True)`); None where Django is not set up or there is no such field."""
    from django.apps import apps
    if not apps.ready:
        return None
    from django.db.migrations.serializer import serializer_factory
    for config in apps.get_app_configs():
        if config.label.lower() != "asistent":
            continue
        try:
            cls = config.get_model(model)
        except LookupError:
            return None
        for field in cls._meta.concrete_fields:
            if column in (field.name, field.column):
                name, _path, args, kwargs = field.deconstruct()
                if kwargs.get("db_index"):
                    return None
                kwargs["db_index"] = True
                text, _imports = serializer_factory(field.__class__(*args, **kwargs)).serialize()
                return f"{name} = {text}"
    return None
