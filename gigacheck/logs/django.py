"""The log database from the site's Django settings, when DATABASE_URL is unset.

`DJANGO_SETTINGS_MODULE` (or `--ds`) names the site's settings module; its DATABASES['default']
(MySQL/MariaDB or SQLite) becomes the DATABASE_URL the log checks and the viewer read, read-only
as always.  The module is imported as manage.py would (the site's folder on sys.path); Django
itself is not set up: no app is loaded, no connection is made here.
"""

from __future__ import annotations

import importlib
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Optional
from urllib.parse import quote

from ..diagnosis import Finding
from .clock import VARIABLE, django_zone
from .store import DB_SUBJECT

SOURCE = "Django settings"


@contextmanager
def _importable_from(folders: Iterable[Path]):
    added = [str(f) for f in folders if f and str(f) not in sys.path]
    sys.path[:0] = added
    try:
        yield
    finally:
        for f in added:
            if f in sys.path:
                sys.path.remove(f)


def url_from_databases(databases, module: str) -> str:
    """DATABASES['default'] as a DATABASE_URL (mysql://... or sqlite:///...)."""
    default = databases.get("default") if isinstance(databases, dict) else None
    if not isinstance(default, dict):
        raise Finding("LG001", f"{module}: DATABASES has no 'default' entry", subject=DB_SUBJECT)
    engine = str(default.get("ENGINE", ""))
    name = str(default.get("NAME") or "")
    if engine.endswith("sqlite3"):
        if not name or name == ":memory:":
            raise Finding("LG001", f"{module}: DATABASES['default'] is an SQLite database without a file",
                          subject=DB_SUBJECT)
        return f"sqlite:///{Path(name).resolve()}"  # absolute: sqlite:////srv/site/db.sqlite3
    if engine.endswith("mysql"):
        user, password = str(default.get("USER") or ""), str(default.get("PASSWORD") or "")
        auth = quote(user, safe="") + (":" + quote(password, safe="") if password else "")
        host = str(default.get("HOST") or "localhost")
        port = str(default.get("PORT") or "3306")
        return f"mysql://{auth + '@' if auth else ''}{host}:{port}/{quote(name, safe='')}"
    raise Finding("LG001", f"{module}: DATABASES['default'] uses {engine or 'no ENGINE'}; the log checks read "
                           f"MySQL/MariaDB or SQLite", subject=DB_SUBJECT)


def _settings_module(module: str, folders: Iterable[Path] = ()):
    with _importable_from(folders):
        try:
            return importlib.import_module(module)
        except Exception as exc:  # the site's own code: any error is the finding, never a traceback
            raise Finding("LG001", f"DJANGO_SETTINGS_MODULE {module} cannot be imported "
                                   f"({type(exc).__name__}: {str(exc)[:200]})", subject=DB_SUBJECT) from None


def database_url(module: str, folders: Iterable[Path] = ()) -> str:
    """The DATABASE_URL of the site's settings module `module`."""
    return url_from_databases(getattr(_settings_module(module, folders), "DATABASES", None), module)


def _use_tz_default() -> bool:
    """Django's own default for a settings module that does not say: True since Django 5.0."""
    try:
        import django
        return django.VERSION[0] >= 5
    except Exception:
        return True


def module_zone(settings_module, module: str) -> tuple:
    """(zone, source) of the naive times the site stores: TIME_ZONE where USE_TZ=False, else UTC."""
    from ..words import say
    use_tz = getattr(settings_module, "USE_TZ", None)
    use_tz = _use_tz_default() if use_tz is None else bool(use_tz)
    if use_tz:
        return "UTC", say("clock.django_utc", module=module)
    # Django's global default TIME_ZONE is America/Chicago
    return django_zone(False, getattr(settings_module, "TIME_ZONE", "America/Chicago")), \
        say("clock.django", module=module)


def fill_database_url(settings, module: Optional[str], folders: Iterable[Path] = ()) -> None:
    """With no DATABASE_URL, take the site's Django DATABASES['default'] (--ds, else DJANGO_SETTINGS_MODULE).
    A settings module that cannot be used leaves DATABASE_URL unset and says why (LG001 at the log checks)."""
    alias = (settings.get("GIGACHECK_DJANGO_DATABASE") or "").strip()
    if alias:  # a run inside the site (manage.py gigacheck, view_gigachat_logs): its own connection
        from ..django.site import fill_from_site
        fill_from_site(settings, alias)
        return
    module = (module or settings.get("DJANGO_SETTINGS_MODULE") or "").strip()
    if settings.get("DATABASE_URL") or not module:
        return
    try:
        settings_module = _settings_module(module, folders)
        settings.raw["DATABASE_URL"] = url_from_databases(getattr(settings_module, "DATABASES", None), module)
        settings.source["DATABASE_URL"] = f"{SOURCE} {module}"
    except Finding as finding:
        settings.problems.append(f"DATABASE_URL from {finding.detail}")
        return
    if not settings.get(VARIABLE):  # the zone of the same site's naive times (clock.py), unless the user names one
        settings.raw[VARIABLE], settings.source[VARIABLE] = module_zone(settings_module, module)
