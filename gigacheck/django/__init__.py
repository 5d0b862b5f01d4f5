"""gigacheck inside a Django site: `"gigacheck.django"` in INSTALLED_APPS.

- `manage.py view_gigachat_logs`: the runbook's command, the viewer of `python -m gigacheck logs`;
- `manage.py gigacheck [pytest options]`: the checks with the site's settings;
- `manage.py check --deploy` (tag `gigachat`): the config rules that need no network, and with
  `--database ALIAS` the log table's LG003-LG005, as Django messages.

A thin adapter: the site's connection (`connections[alias]`) feeds the existing log reader. This package
is the one place that imports Django, and only its modules that run inside a Django process do.
"""
