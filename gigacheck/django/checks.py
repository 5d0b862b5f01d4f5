"""Django's deployment checks for GigaChat (`manage.py check --deploy`, tag `gigachat`).

Each config rule that fails is a message whose text starts `[GC<nnn>]`, id `gigacheck.E<nnn>` (a
warning's `gigacheck.W<nnn>`), `hint=` the remedy; with `--database ALIAS` also the log table's
LG003-LG005 (`gigacheck.E103`, `gigacheck.E104`, `gigacheck.W105`). Registered with deploy=True:
plain `manage.py check`, which `migrate` and `runserver` run, never sees them. No network: the rules
read settings and files only, and the table checks only the site's own database.
"""

from __future__ import annotations

from pathlib import Path

from django.core import checks

from ..diagnosis import CATALOG, WARN, Finding


def _message(finding: Finding, scrub, number: str = ""):
    """A Finding as Django's message: Error or Warning by the catalog's severity."""
    warning = CATALOG[finding.code].severity == WARN
    number = number or finding.code[2:]
    cls, letter = (checks.Warning, "W") if warning else (checks.Error, "E")
    return cls(scrub(finding.headline), hint=scrub(finding.remedy), id=f"gigacheck.{letter}{number}")


def _settings():
    from django.conf import settings as dj
    from .site import load_settings
    base = getattr(dj, "BASE_DIR", None)
    return load_settings(env_file=Path(base) / ".env" if base else None)


@checks.register("gigachat", deploy=True)
def gigachat_settings(app_configs=None, **kwargs):
    """The config rules that need no network."""
    from .deploy import config_findings
    settings = _settings()
    scrub = settings.redactor().scrub
    return [_message(f, scrub) for f in config_findings(settings)]


@checks.register("gigachat", checks.Tags.database, deploy=True)
def gigachat_log_table(app_configs=None, databases=None, **kwargs):
    """With `--database ALIAS`: the log table exists (LG003), has its columns (LG004), and an index on
    timestamp (LG005). LG0nn is gigacheck.E1nn (W105 for the index, a warning)."""
    if not databases:
        return []
    from ..logs.store import LogTable
    from ..words import say
    from .site import site_table
    from .source import site_table_info
    settings = _settings()
    scrub = settings.redactor().scrub
    try:
        table = LogTable.of(settings.get("GIGACHECK_LOG_TABLE") or site_table())
    except ValueError as exc:
        return [_message(Finding("LG003", f"GIGACHECK_LOG_TABLE: {exc}"), scrub, "103")]
    out = []
    for alias in databases:
        try:
            label, info, create_index = site_table_info(alias, table)
        except Finding as f:
            out.append(_message(f, scrub, "1" + f.code[3:]))
            continue
        if not info.indexed:
            ts = info.col("timestamp").name
            ours = say("logs.ours_by_pk") if info.pk else say("logs.ours_scan")
            f = Finding("LG005", f"{label}: " + say("logs.no_index", column=f"{info.name}.{ts}", ours=ours))
            try:  # the site's own field with db_index=True added, its other arguments kept
                from .site import model_field_line
                field = model_field_line("SystemLog", ts)
            except Exception:  # the site's model: a hint without it, never a crashed system check
                field = None
            hint = (say("django.index_hint.field", create_index=create_index, field=field) if field else
                    say("django.index_hint", create_index=create_index, column=ts))
            out.append(checks.Warning(scrub(f.headline), id="gigacheck.W105", hint=scrub(hint)))
    return out
