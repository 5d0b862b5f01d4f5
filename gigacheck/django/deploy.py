"""The config rules that need no network, as plain data for Django's deployment checks: the same
rules and the same order as `checks/test_config.py`, without pytest (the key rules that do not apply,
with an access token or another way of signing in, are left out; a rule moot after a more basic
one's failure too). No network, no database: `manage.py check --deploy` reads only settings and files."""

from __future__ import annotations

from typing import List

from .. import rules
from ..diagnosis import Finding
from ..settings import Settings
from ..words import say

# a key rule is moot when a more basic one already failed (as checks/test_config.py)
MOOT_AFTER = {
    "GC002": ("GC001",), "GC003": ("GC001",), "GC004": ("GC001",),
    "GC005": ("GC001", "GC004"), "GC006": ("GC001", "GC004", "GC005"),
}
KEY_CODES = ("GC001", "GC002", "GC003", "GC004", "GC005", "GC006")


def config_findings(settings: Settings) -> List[Finding]:
    found: List[Finding] = []
    no_key = settings.key is None or not settings.key.reveal().strip()
    if not (no_key and (settings.access_token or settings.auth_method in ("password", "mtls"))):
        analysis = rules.key_analysis(settings)
        for code in KEY_CODES:
            if code in analysis.findings and not any(e in analysis.findings for e in MOOT_AFTER.get(code, ())):
                found.append(analysis.findings[code])
    for rule in (rules.keys_agree, rules.scope_problem, rules.auth_url_problem, rules.base_url_problem,
                 rules.model_names_problem):
        f = rule(settings)
        if f:
            found.append(f)
    if rules.tls_verification_off(settings):
        found.append(Finding("GC011", say("config.tls_off")))
    if settings.ca_bundle:
        f = rules.ca_bundle_problem(settings)
        if f:
            found.append(f)
    if settings.use_mock_responses:
        found.append(Finding("GC013", say("config.mock_on"), subject="site"))
    if not settings.enable_gigachat:
        found.append(Finding("GC014", say("config.gigachat_off"), subject="gigachat"))
    for rule in (rules.sdk_refusals,):
        f = rule(settings)
        if f:
            found.append(f)
    if settings.cert_file or settings.key_file:
        f = rules.client_cert_problem(settings)
        if f:
            found.append(f)
    return found
