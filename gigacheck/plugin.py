"""pytest wiring: options, the run's state, fixtures and report hooks.

Everything here happens in hooks: importing this module changes nothing, and
a pytest run that collects no check (say, the suite's own `tests/`) only
gains the options.

The plugin loads in every pytest session of a site with gigacheck installed, so at module level this
imports only pytest and the standard library; `pytest_addoption` imports only `words` (plain data, for
the help texts); everything else of gigacheck is imported inside the hooks, after `run.active` (a run
of the checks). tests/test_startup.py checks it.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Dict, List, Optional

import pytest

from . import GigacheckWarning

from typing import TYPE_CHECKING
if TYPE_CHECKING:  # annotations only: imported in the hooks that use them
    from .diagnosis import Finding
    from .report import CheckRecord

# The log checks' options and fixtures live beside their sources.
pytest_plugins = ["gigacheck.logs.plugin"]

GIGACHAT_AREAS = ("network", "oauth", "api", "generation")
REQUEST_KINDS = ("oauth", "chat", "files")  # what the JSON summary counts: chat and files are what --spend guards
DEFAULT_HTML = "reports/gigachat-health.html"
MOCK_HTML = "reports/gigachat-health-mock-{scenario}.html"  # a demo never overwrites the live report
PROPERTY = "gigacheck"
EVIDENCE_LINES = 200  # the JSON and the card carry this many; the full text stays in the failure's message


class Run:
    """The state of one pytest run of the checks."""

    def __init__(self, config):
        self.config = config
        self.active = False
        self.settings = None
        self.mock_scenario: Optional[str] = None
        self.fixtures_dir: Optional[Path] = None
        self.redactor = None  # the settings' (configure), or an empty one on first use (`scrub`)
        self.client = None
        self.mock = None
        self.ledger: Dict[tuple, str] = {}        # (code, subject) -> nodeid that reported it
        self.causes: Dict[str, str] = {}          # code -> nodeid that reported it (causes.py), in order
        self.records: Dict[str, CheckRecord] = {}
        self.requests = dict.fromkeys(REQUEST_KINDS, 0)           # summed from every report (xdist too)
        self.requests_reported = dict.fromkeys(REQUEST_KINDS, 0)  # this process's client, already in a report
        self.warnings: Dict[str, List[str]] = {}
        self.pictures: list = []  # htmlpage.Picture: shown above the table, not in a collapsed row
        self.lang = "en"  # the language of every word shown (words.py, the catalog's ru texts)
        self.incidents: Dict[tuple, dict] = {}    # (code, first_seen) -> the incident's JSON (timeline.py)
        self.timeline: Optional[dict] = None      # the log window and its hourly counts, for the HTML timeline
        self.started_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
        self.history_path: Optional[Path] = None   # between.py: where this run is remembered
        self.prometheus_path: Optional[Path] = None
        self.notify_urls: List[str] = []
        self.after = None                          # between.Outcome, once the checks have run
        self.t0 = time.monotonic()

    @property
    def mode(self) -> str:
        return "mock" if self.mock_scenario else "live"

    def scrub(self, text):
        if self.redactor is None:
            from .redact import Redactor
            self.redactor = Redactor()
        return self.redactor.scrub(text)


RUN_KEY = pytest.StashKey[Run]()
FINDING_KEY = pytest.StashKey["Finding"]()
SKIPPED_BY_KEY = pytest.StashKey["Finding"]()  # a finding another check reported first: this one skips
WARNED_KEY = pytest.StashKey[list]()  # the codes a check warned (diagnosis.warn), for its report's Code column
LANG_TOKEN_KEY = pytest.StashKey[object]()


def run_of(config) -> Run:
    return config.stash[RUN_KEY]


# --- options and configuration ---------------------------------------------------------------

def pytest_addoption(parser):
    from .words import default_lang, say
    lang = default_lang()  # --help is built before --lang is parsed: the locale's language
    group = parser.getgroup("gigacheck", say("help.group", lang))
    group.addoption("--env-file", dest="gigacheck_env_file", metavar="PATH", default=None,
                    help=say("help.env_file", lang))
    group.addoption("--mock", dest="gigacheck_mock", nargs="?", const="healthy", default=None, metavar="SCENARIO",
                    help=say("help.mock", lang))
    group.addoption("--spend", dest="gigacheck_spend", action="store_true", default=False,
                    help=say("help.spend", lang))
    group.addoption("--report-json", dest="gigacheck_report_json", metavar="PATH", default=None,
                    help=say("help.report_json", lang))
    group.addoption("--lang", dest="gigacheck_lang", metavar="LANG", default=None, choices=("ru", "en"),
                    help=say("lang.help", lang))
    parser.addini("gigacheck_lang", default="", help=say("lang.help", lang))
    # between deploys (between.py): the history, the Prometheus textfile, the alert
    group.addoption("--history", dest="gigacheck_history", metavar="PATH", default=None,
                    help=say("help.history", lang))
    group.addoption("--prometheus", dest="gigacheck_prometheus", metavar="PATH", default=None,
                    help=say("help.prometheus", lang))
    group.addoption("--notify", dest="gigacheck_notify", metavar="URL", action="append", default=[],
                    help=say("help.notify", lang))
    parser.addini("gigacheck_history", default="", help=say("help.history_ini", lang))


def _checks_dirs(config) -> List[Path]:
    dirs = [config.rootpath / "checks", Path(__file__).resolve().parent / "checks"]
    return [d.resolve() for d in dirs if d.is_dir()]


def _is_checks_run(config) -> bool:
    if any(config.getoption(o) for o in ("gigacheck_mock", "gigacheck_report_json", "gigacheck_env_file")):
        return True
    base = config.invocation_params.dir
    for arg in config.args:
        # `pytest --pyargs gigacheck.checks[.test_api][::check]`: the installed checks, from any folder
        name = str(arg).split("::")[0]
        if config.getoption("pyargs", False) and (name == "gigacheck.checks" or name.startswith("gigacheck.checks.")):
            return True
        path = (base / str(arg).split("::")[0]).resolve()
        for checks in _checks_dirs(config):
            if path == checks or checks in path.parents or path in checks.parents:
                return True
    return False


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    run = Run(config)
    config.stash[RUN_KEY] = run
    if not _is_checks_run(config):
        return  # another project's tests: nothing of the checks is imported for them
    from .report import AREAS
    from .scenarios import fixtures_dir, sample_env, scenarios
    from . import settings as settings_mod
    from .words import choose_lang, say, set_lang
    for area in AREAS + ("spend",):
        config.addinivalue_line("markers", f"{area}: gigacheck {area} checks")
    run.active = True
    try:
        run.lang = choose_lang(config.getoption("gigacheck_lang"), config.getini("gigacheck_lang"))
    except ValueError as exc:
        raise pytest.UsageError(f"gigacheck_lang: {exc}") from None
    # for the words said deep down (warnings, skip reasons, details); once per config, however often
    # configure runs, so unconfigure gives the caller (an in-process pytester run's) language back
    if LANG_TOKEN_KEY not in config.stash:
        config.stash[LANG_TOKEN_KEY] = set_lang(run.lang)
    run.fixtures_dir = fixtures_dir(config.rootpath)
    scenario = config.getoption("gigacheck_mock")
    if scenario is not None:
        known = scenarios(run.fixtures_dir)
        if scenario not in known:
            hint = say("usage.mock_hint") if os.path.exists(scenario) else ""
            raise pytest.UsageError(say("usage.unknown_scenario", scenario=repr(scenario), hint=hint,
                                        known=", ".join(known)))
        run.mock_scenario = scenario
    env_opt = config.getoption("gigacheck_env_file")
    env_file = Path(env_opt).expanduser() if env_opt else config.invocation_params.dir / ".env"
    if env_opt:
        env_file = config.invocation_params.dir / env_file
    try:
        run.settings = settings_mod.load(
            os.environ, env_file, env_file_explicit=bool(env_opt),
            mock_sample=sample_env(run.fixtures_dir, scenario) if scenario else None,
            mock_scenario=scenario)
    except settings_mod.EnvFileError as exc:
        raise pytest.UsageError(str(exc)) from None
    if not scenario:  # a mock run reads the scenario's own rows, never the site's database (SPEC)
        from .logs.django import fill_database_url  # no DATABASE_URL: the site's Django DATABASES['default']
        fill_database_url(run.settings, config.getoption("gigacheck_ds", None) or config.getoption("ds", None),
                          [config.invocation_params.dir, env_file.parent])
    run.redactor = run.settings.redactor()
    _between_deploys(config, run)
    report_json = config.getoption("gigacheck_report_json")
    if report_json and Path(config.invocation_params.dir, report_json).is_dir():
        raise pytest.UsageError(say("usage.report_json_dir", path=report_json,
                                    example=Path(report_json, "gigachat-health.json")))
    html_default = False
    if hasattr(config.option, "htmlpath"):
        if not config.option.htmlpath:
            default = MOCK_HTML.format(scenario=scenario) if scenario else DEFAULT_HTML
            config.option.htmlpath = str(config.invocation_params.dir / default)
            html_default = True
        config.option.self_contained_html = True
    _check_report_paths(config, run, html_default)
    config.pluginmanager.register(Collector(run), "gigacheck-collector")
    _refill_metadata(config, run)
    _junit_properties(config, run)


def _between_deploys(config, run) -> None:
    """Where this run is remembered, its textfile, its alert URLs (whose tokens the redactor learns now)."""
    from . import history, notify
    base = config.invocation_params.dir
    ini_base = config.inipath.parent if config.inipath else config.rootpath
    run.history_path = history.resolve(config.getoption("gigacheck_history"), config.getini("gigacheck_history"),
                                       base, ini_base, run.mode)
    prom = config.getoption("gigacheck_prometheus")  # its path is checked with the reports' (reportpaths.py)
    run.prometheus_path = Path(base, os.path.expanduser(prom)) if prom else None
    run.notify_urls = notify.urls_of(config.getoption("gigacheck_notify"), run.settings.get(notify.ENV))
    for url in run.notify_urls:
        for secret in notify.url_secrets(url):
            run.redactor.add(secret)


def _check_report_paths(config, run, html_default: bool) -> None:
    """Every report's path, before the run (reportpaths.py): a usage error (exit 4) that names the option."""
    from .reportpaths import problems
    base = config.invocation_params.dir
    html = getattr(config.option, "htmlpath", None)
    if html and html_default:  # as the user would write it: the default, relative to where pytest started
        html = _shown_path(Path(html), base)
    reports = [("--html", html), ("--junitxml", getattr(config.option, "xmlpath", None)),
               ("--report-json", config.getoption("gigacheck_report_json")),
               ("--prometheus", config.getoption("gigacheck_prometheus"))]
    found = problems(reports, base, run.lang)
    if found:
        raise pytest.UsageError("\n".join(found))


def _junit_properties(config, run):
    try:
        from _pytest.junitxml import xml_key
    except ImportError:  # pragma: no cover - pytest internals moved
        return
    xml = config.stash.get(xml_key, None)
    if xml is not None:
        xml.add_global_property("gigacheck_mode", run.mode.upper())
        xml.add_global_property("gigacheck_scenario", run.mock_scenario or "")


def pytest_report_header(config):
    run = run_of(config)
    if not run.active:
        return None
    from .report import mode_line
    from .words import say
    s = run.settings
    lines = [f"gigacheck: {mode_line(run.mode, run.mock_scenario, run.lang)}",
             "gigacheck: " + say("header.hosts", run.lang, auth=run.scrub(s.auth_url), api=run.scrub(s.base_url),
                                 models=", ".join(s.models))]
    lines.append("gigacheck: " + say("header.api_host", run.lang, url=s.base_url, why=s.base_url_why(run.lang)))
    lines.append("gigacheck: " + say("header.auth_method", run.lang, method=say("auth." + s.auth_method, run.lang)))
    if s.env_file:
        lines.append("gigacheck: " + say("header.env_file", run.lang, path=s.env_file))
    if run.mock_scenario:
        lines.append("gigacheck: " + mock_logs_line(run))
    if not s.verify_ssl:
        lines.append("gigacheck: " + say("header.tls_off", run.lang))
    elif not run.mock_scenario:  # which CAs the site's SDK trusts (truststore.py): gigacheck verifies with the same
        from .truststore import httpx_store
        lines.append("gigacheck: " + say("header.trust", run.lang, store=httpx_store(s).describe(run.lang)))
    if not run.mock_scenario:  # the proxy the site's client goes through, if any (proxies.py): named where it fails
        via = proxy_line(s, run.lang)
        if via:
            lines.append("gigacheck: " + via)
    from .logs.clock import table_zone  # the zone of the log table's naive times, and where it came from
    lines.append("gigacheck: " + table_zone(s).describe(run.lang))
    lines.extend(f"gigacheck: {p}" for p in s.problems)
    lines.append(spend_header(run))
    return [run.scrub(line) for line in lines]


MOCK_IGNORED = ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "GIGACHECK_LOG_FILE", "GIGACHECK_LOG_TABLE",
                "GIGACHECK_LOG_TIMEZONE")  # the log settings a mock run does not read (logs/questions.py)


def mock_logs_line(run: Run) -> str:
    """What a mock run's log checks read, and the site's log settings it leaves alone."""
    from .words import say
    names = [n for n in MOCK_IGNORED if run.settings.get(n)]
    if run.config.getoption("gigacheck_ds", None) or run.config.getoption("ds", None):
        names.append("--ds")
    ignored = say("header.mock_logs.ignored", run.lang, names=", ".join(names)) if names else ""
    return say("header.mock_logs", run.lang, ignored=ignored)


def proxy_line(settings, lang: str) -> str:
    """Which proxy the SDK's httpx takes to the OAuth and API hosts (password masked), or "" when none."""
    from .proxies import proxy_for
    from .words import say
    used = {}
    for which, url in (("OAuth", settings.auth_url), ("API", settings.base_url)):
        proxy = proxy_for(url, settings.raw)
        if proxy is not None:
            used.setdefault(f"{proxy.variable} ({proxy.shown})", []).append(which)
    if not used:
        return ""
    return say("header.proxy", lang, proxies="; ".join(f"{p} -> {', '.join(w)}" for p, w in used.items()))


@pytest.hookimpl(optionalhook=True)
def pytest_metadata(metadata, config):
    """The HTML Environment table: the settings used, secrets masked, nothing else of the environment."""
    run = config.stash.get(RUN_KEY, None)
    if run is None or not run.active:
        return
    _fill_metadata(metadata, run)


def _refill_metadata(config, run) -> None:
    """pytest-metadata may have run its configure (and our hook, inert then) before ours: fill its table now."""
    try:
        from pytest_metadata.plugin import metadata_key
    except ImportError:
        return
    metadata = config.stash.get(metadata_key, None)
    if metadata is not None:
        _fill_metadata(metadata, run)


def _fill_metadata(metadata, run) -> None:
    metadata.clear()
    metadata["gigacheck mode"] = run.mode.upper() + (f" (scenario {run.mock_scenario})" if run.mock_scenario else "")
    metadata["GIGACHAT_AUTH_URL (used)"] = run.scrub(run.settings.auth_url)
    metadata["GIGACHAT_BASE_URL (used)"] = run.scrub(run.settings.base_url)
    metadata["TLS verification"] = tls_state(run.settings)
    if run.settings.verify_ssl and not run.mock_scenario:
        from .truststore import httpx_store
        metadata["TLS trust store"] = run.scrub(httpx_store(run.settings).describe(run.lang))
    proxies = None if run.mock_scenario else proxy_line(run.settings, run.lang)
    if proxies:
        metadata["Proxy"] = run.scrub(proxies)
    from .logs.clock import table_zone
    from .words import say
    metadata[say("clock.html", run.lang)] = run.scrub(table_zone(run.settings).describe(run.lang))
    metadata.update(run.settings.masked())


def pytest_unconfigure(config):
    run = config.stash.get(RUN_KEY, None)
    if run is not None and run.active:
        from . import sinks
        sinks.finish(config)
    token = config.stash.get(LANG_TOKEN_KEY, None)
    if token is not None:  # an in-process run (pytester) gives its caller's language back
        from .words import reset_lang
        reset_lang(token)
        del config.stash[LANG_TOKEN_KEY]


def tls_state(settings) -> str:
    """What the report says of TLS: "on" only when nothing goes out without it."""
    state = "on" if settings.verify_ssl else "OFF"
    if (settings.proxy_base_url or "").lower().startswith("http://"):
        from .words import say
        state += "; " + say("tls.fallback_http")
    return state


# --- collection ----------------------------------------------------------------------------------

def area_of(item) -> str:
    from .report import AREAS
    for area in AREAS:
        if item.get_closest_marker(area) is not None:
            return area
    return "other"


def pytest_collection_modifyitems(config, items):
    run = run_of(config)
    if not run.active:
        return
    from .report import AREAS
    order = {a: i for i, a in enumerate(AREAS)}
    # the runbook's order: a config problem is reported before the network call it would break
    items.sort(key=lambda it: order.get(area_of(it), len(AREAS)))
    if not config.getoption("gigacheck_spend"):
        for item in items:
            if item.get_closest_marker("spend") is not None:
                item.add_marker(pytest.mark.skip(reason=spend_skip_reason(run, item)))


def spend_skip_reason(run: Run, item) -> str:
    """What this check would cost, how to enable it, and what all spending checks would cost."""
    from .gigachat.generation import chat_cost, image_cost, spend_estimate
    from .words import say
    models = run.settings.models if run.settings else ["GigaChat"]
    marker = item.get_closest_marker("spend")
    cost = marker.kwargs.get("cost") if marker is not None else None
    model = getattr(item, "callspec", None) and item.callspec.params.get("model")
    if cost == "chat" and model:
        this = chat_cost(model)
    elif cost == "image":
        this = image_cost(models)
    else:
        this = say("spend.tokens", run.lang)
    v2 = bool(run.settings and run.settings.sdk.v2_chat)
    return say("spend.skip", run.lang, this=this, estimate=spend_estimate(models, v2))


def spend_header(run: Run) -> str:
    from .gigachat.generation import spend_estimate
    from .words import say
    estimate = spend_estimate(run.settings.models, run.settings.sdk.v2_chat)
    key = "spend.header.on" if run.config.getoption("gigacheck_spend") else "spend.header.off"
    return "gigacheck: " + say(key, run.lang, estimate=estimate)


def requests_made(client) -> Dict[str, int]:
    """What this process's client has sent, by kind."""
    return client.requests_by_kind() if client is not None else dict.fromkeys(REQUEST_KINDS, 0)


def _requests_delta(run: Run) -> Dict[str, int]:
    """The requests sent since the last report: each report carries its own, so the
    controller can sum them over xdist workers."""
    now = requests_made(run.client)
    delta = {k: now[k] - run.requests_reported[k] for k in REQUEST_KINDS}
    run.requests_reported = now
    return delta


def pytest_generate_tests(metafunc):
    if "model" in metafunc.fixturenames:
        run = metafunc.config.stash.get(RUN_KEY, None)
        models = run.settings.models if run is not None and run.settings is not None else ["GigaChat"]
        metafunc.parametrize("model", models, ids=models)


@pytest.hookimpl(tryfirst=True, optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """`-n N` (xdist's default `--dist load`) would spread the GigaChat checks over the
    workers: one OAuth each, and the same root cause failing once per worker."""
    run = config.stash.get(RUN_KEY, None)
    if run is None or not run.active or config.getvalue("dist") != "load":
        return None
    from .parallel import GigacheckScheduling
    return GigacheckScheduling(config, log)


# --- fixtures --------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def gigacheck_run(pytestconfig) -> Run:
    run = run_of(pytestconfig)
    if not run.active:
        from .words import say
        pytest.skip(say("skip.inactive"))
    return run


@pytest.fixture(scope="session")
def gigachat_settings(gigacheck_run):
    return gigacheck_run.settings


@pytest.fixture(scope="session")
def gigacheck_lang(gigacheck_run) -> str:
    """The run's language, for the words a check says itself (words.say)."""
    return gigacheck_run.lang


@pytest.fixture(scope="session")
def gigachat(gigacheck_run):
    """The one client of the run: one OAuth call at most, shared by every check."""
    from .gigachat.client import GigaChatClient
    if gigacheck_run.client is None:
        gigacheck_run.client = GigaChatClient(gigacheck_run.settings, gigacheck_run.redactor)
    return gigacheck_run.client


@pytest.fixture(scope="session")
def spend_allowed(pytestconfig) -> bool:
    return bool(pytestconfig.getoption("gigacheck_spend"))


# --- running a check -------------------------------------------------------------------------------

def pytest_sessionstart(session):
    run = run_of(session.config)
    if run.active:
        from . import sinks
        _junit_properties(session.config, run)  # junitxml's LogXML exists only after configure
        sinks.install(session.config, run.scrub)  # the one redactor on every way out (redact.py)
    if run.active and run.mock_scenario:
        from .gigachat.mock import MockGigaChat
        run.mock = MockGigaChat(run.settings, run.fixtures_dir, run.mock_scenario).start()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    run = run_of(item.config)
    # the fallback provider does not use the GigaChat client: it matters most when GigaChat is off
    if run.active and area_of(item) in GIGACHAT_AREAS and "gigachat" in getattr(item, "fixturenames", ()) \
            and not run.settings.enable_gigachat:
        from .diagnosis import skip_reason
        from .words import say
        first = run.ledger.get(("GC014", "gigachat"))
        why = say("skip.gigachat_off", run.lang)
        why = say("skip.reported_by", run.lang, headline=why, first=first) if first else why
        pytest.skip(skip_reason("GC014", why))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    if not run_of(item.config).active:
        return (yield)  # not a checks run: a Finding is just an exception here
    from .diagnosis import WARNED, Finding
    noted = []
    token = WARNED.set(noted)
    try:
        return (yield)
    except (Finding, GigacheckWarning) as exc:
        caught = exc
    finally:
        WARNED.reset(token)
        item.stash[WARNED_KEY] = noted
    # outside the except block, so the failure does not chain onto the Finding's traceback
    if isinstance(caught, GigacheckWarning):  # -W error::gigacheck.GigacheckWarning: a failed check with its code
        pytest.fail(run_of(item.config).scrub(str(caught)), pytrace=False)
    conclude(item, caught)


def conclude(item, finding: Finding):
    """A finding fails the first check that meets it; a later check that meets the same
    root cause, or a consequence of it (causes.py), is skipped with a reason naming that first
    check.  The failure carries the site's log rows that show its cause."""
    from . import causes
    from .words import say
    run = run_of(item.config)
    key = (finding.code, finding.subject or item.nodeid)
    first = run.ledger.setdefault(key, item.nodeid)
    if first == item.nodeid:
        first = causes.explaining(finding.code, run.causes) or first
    if first != item.nodeid:
        run.causes.setdefault(finding.code, first)  # its own consequences point to the same check
        item.stash[SKIPPED_BY_KEY] = finding  # the skip shows the same situated remedy as the failure
        try:
            pytest.skip(run.scrub(say("skip.reported_by", run.lang, headline=finding.headline_in(run.lang),
                                      first=first)))
        except pytest.skip.Exception as skipped:
            skipped._use_item_location = True  # show the check's location, not this line's
            raise
    run.causes.setdefault(finding.code, item.nodeid)
    finding = _with_log_evidence(item, run, finding)
    item.stash[FINDING_KEY] = finding
    pytest.fail(run.scrub(finding.render(run.lang)), pytrace=False)


def _with_log_evidence(item, run: Run, finding: Finding) -> Finding:
    """The finding, with the site's log rows that show its cause when the log checks are part of this run."""
    from .causes import EXPLAINS, log_evidence
    if finding.code not in EXPLAINS or not any(area_of(i) == "logs" for i in item.session.items):
        return finding
    try:
        lines = log_evidence(item._request.getfixturevalue("log_window"), finding.code, run.lang)
    except (Exception, pytest.skip.Exception):  # evidence is a bonus: never a second failure
        return finding
    if not lines:
        return finding
    return dataclasses.replace(finding, evidence=tuple(finding.evidence) + tuple(lines))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    run = run_of(item.config)
    if not run.active:
        return report
    from . import sinks
    sinks.scrub_report(report, run.scrub)
    if report.when in ("setup", "call") or report.outcome != "passed":  # setup too: the area of a check whose
        payload = _payload(item, report)                                # body never runs (--setup-only)
        payload["requests"] = _requests_delta(run)
        # the summary quotes the finding's detail, which may quote the peer's answer (an echoed header)
        payload["summary"] = run.scrub(payload["summary"])
        payload["evidence"] = [run.scrub(str(e)) for e in payload["evidence"]]
        payload.update({k: run.scrub(v) if isinstance(v, str) else v
                        for k, v in _situated(item, report, payload["codes"], run.lang).items()})
        payload.update(_incidents_of(item, run.scrub))
        report.user_properties = [p for p in report.user_properties if p[0] != PROPERTY]
        report.user_properties.append((PROPERTY, json.dumps(payload, ensure_ascii=False)))
    return report


def _incidents_of(item, scrub) -> dict:
    """The log window's incidents, once a log check computed them: carried by its report to the process
    that prints (the xdist controller), scrubbed here (a resolving row is the site's text)."""
    logs = getattr(item, "funcargs", {}).get("log_window")
    found = logs.incidents_peek() if logs is not None and hasattr(logs, "incidents_peek") else None
    if found is None:
        return {}
    from .timeline import incidents_json, timeline_json
    incidents = [{k: scrub(v) if isinstance(v, str) else v for k, v in i.items()} for i in incidents_json(found)]
    try:
        timeline = timeline_json(logs.window, logs.scan().times)
    except Exception:  # the timeline is a picture of what was found: never a second failure
        timeline = None
    return {"incidents": incidents, "timeline": timeline}


def _payload(item, report) -> dict:
    from .diagnosis import codes_in
    from .report import evidence_of, first_line_with_code
    finding = item.stash.get(FINDING_KEY, None)
    if report.skipped and isinstance(report.longrepr, tuple):
        text = str(report.longrepr[2])
        if text.startswith("Skipped: "):
            text = text[len("Skipped: "):]
    else:
        text = report.longreprtext or ""
    if finding is not None and report.failed:
        codes = [finding.code]
        summary = finding.headline_in(run_of(item.config).lang)
    else:
        codes = codes_in(text) if not report.passed else list(item.stash.get(WARNED_KEY, ()))
        summary = (first_line_with_code(text) or text.strip().splitlines()[0] if text.strip() else "") \
            if not report.passed else "ok"
    if report.failed and not codes:
        summary = text.strip().splitlines()[-1] if text.strip() else "failed"
    summary = summary[:500]
    if finding is not None and report.failed:
        evidence = [ln for e in finding.evidence if e for ln in str(e).splitlines()]
    else:
        evidence = evidence_of(text) if report.failed else []
    return {"codes": codes, "summary": summary, "evidence": evidence[:EVIDENCE_LINES],
            "area": area_of(item), "question": item.name}


def _situated(item, report, codes: List[str], lang: str) -> dict:
    """The cause, remedy and commands as this finding shows them (its situation's variant), in `lang`."""
    from .diagnosis import CATALOG
    finding = item.stash.get(FINDING_KEY, None)
    if report.passed or not codes:
        return {"remedy": None, "cause": None, "commands": []}
    skipped_by = item.stash.get(SKIPPED_BY_KEY, None) if report.skipped else None
    if finding is not None and report.failed:
        entry = finding.entry
    elif skipped_by is not None and skipped_by.code == codes[0]:
        entry = skipped_by.entry  # the remedy the failing check shows (its situation), not the catalog's generic
    else:
        entry = CATALOG.get(codes[0])
    if entry is None:
        return {"remedy": None, "cause": None, "commands": []}
    text = entry.text(lang)
    return {"remedy": text.remedy, "cause": text.cause, "commands": list(entry.commands)}


# --- collecting results (on the xdist controller too) -------------------------------------------

class Collector:
    """Gathers every check's outcome where the reports end up (the xdist controller)."""

    def __init__(self, run: Run):
        self.run = run

    def pytest_runtest_logreport(self, report):
        payload = {}
        for name, value in report.user_properties:
            if name == PROPERTY:
                try:
                    payload = json.loads(value)
                except (TypeError, ValueError):
                    payload = {}
        rec = self.run.records.get(report.nodeid)
        if rec is None:
            from .report import CheckRecord
            rec = self.run.records[report.nodeid] = CheckRecord(id=report.nodeid)
        rec.duration_s += getattr(report, "duration", 0.0) or 0.0
        self._take_pictures(report)
        for kind, n in (payload.get("requests") or {}).items():
            if kind in self.run.requests and isinstance(n, int):
                self.run.requests[kind] += n
        if payload.get("area"):
            rec.area = payload["area"]
        for inc in payload.get("incidents") or []:
            if isinstance(inc, dict):
                self.run.incidents[(inc.get("code"), inc.get("first_seen"))] = inc
        if payload.get("timeline"):
            self.run.timeline = payload["timeline"]
        outcome = report.outcome
        if report.when == "call" or (report.when == "setup" and outcome != "passed") or \
                (report.when == "teardown" and outcome == "failed"):
            if rec.outcome == "failed" and outcome != "failed":
                return
            rec.outcome = outcome
            rec.codes = list(payload.get("codes", []))
            rec.summary = payload.get("summary", "")
            rec.remedy = payload.get("remedy")
            rec.evidence = list(payload.get("evidence", []))
            rec.cause = payload.get("cause")
            rec.commands = list(payload.get("commands") or [])
            for message in self.run.warnings.get(report.nodeid, []):
                rec.add_warning(message, self.run.lang)

    def pytest_warning_recorded(self, warning_message, when, nodeid, location):
        category = getattr(warning_message, "category", None)
        if not (isinstance(category, type) and issubclass(category, GigacheckWarning)):
            return
        message = self.run.scrub(str(warning_message.message))
        self.run.warnings.setdefault(nodeid, []).append(message)
        if nodeid in self.run.records:
            self.run.records[nodeid].add_warning(message, self.run.lang)

    def _take_pictures(self, report) -> None:
        """A generated picture goes above the table, at its own size, instead of into a collapsed row."""
        if hasattr(self.run.config, "workerinput"):
            return  # the controller takes them: an xdist worker sends its reports on, extras included
        from .htmlpage import split_pictures
        pictures, rest = split_pictures(getattr(report, "extras", None) or [], self.run.scrub)
        if pictures:
            self.run.pictures.extend(pictures)
            report.extras = rest

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_terminal_summary(self, terminalreporter):
        """The gigacheck block ends the summary: pytest's sections and short summary come first, then
        one line per area, the requests, and one report line (pytest-html's own line is dropped for it)."""
        if hasattr(self.run.config, "workerinput"):
            return (yield)
        tr = terminalreporter
        _shorten_warnings(tr.stats.get("warnings", []), self.run.scrub)
        write_sep = tr.write_sep

        def quiet_write_sep(sep, title=None, **kw):
            if title and title.startswith("Generated html report"):
                return None
            return write_sep(sep, title, **kw)

        tr.write_sep = quiet_write_sep
        try:
            result = yield
        finally:
            tr.write_sep = write_sep
        self._write_block(tr)
        return result

    def incidents(self) -> List[dict]:
        from .timeline import incidents_json
        return incidents_json(self.run.incidents.values())

    def _write_block(self, tr) -> None:
        from .report import VERDICT_MARKS, terminal_lines, verdict_of, verdict_text, wrap
        from .timeline import terminal_lines as terminal_incidents
        from .words import say
        run, lang = self.run, self.run.lang
        tr.section(f"gigacheck {run.mode.upper()}" + (f" ({run.mock_scenario})" if run.mock_scenario else ""),
                   sep="=", bold=True, yellow=run.mode == "mock")
        records = list(run.records.values())
        verdict = verdict_of(records)
        colour = {"passed": "green", "failed": "red", "warnings": "yellow"}.get(verdict)
        # scrubbed whole, then wrapped: a secret split over two lines would slip past the redactor
        for line in wrap(f" {VERDICT_MARKS[verdict]} ", run.scrub(verdict_text(records, lang, _why(run)))):
            tr.write_line(line, bold=True, **({colour: True} if colour else {}))
        lines = terminal_lines(records, lang)
        resolved = terminal_incidents(self.incidents(), lang)  # resolved incidents: no failure, a line
        width = max([len(area) for _, area, _ in lines + list(resolved)] + [0])
        for mark, area, text in lines:
            colour = {"✓": "green", "✗": "red", "!": "yellow"}.get(mark)
            for line in wrap(f" {mark} {area:<{width}}  ", run.scrub(text)):
                tr.write_line(line, **({colour: True} if colour else {}))
        for mark, area, text in resolved:
            for line in wrap(f" {mark} {area:<{width}}  ", run.scrub(text)):
                tr.write_line(line, cyan=True)
        sent = run.requests
        text = say("term.requests", lang, oauth=sent["oauth"], chat=sent["chat"], files=sent["files"],
                   mock=say("term.requests.mock", lang) if run.mock_scenario else "",
                   spent="" if run.config.getoption("gigacheck_spend") else say("term.requests.unspent", lang))
        for line in wrap("", text, hang=2):
            tr.write_line(line)
        for change in (run.after.lines if run.after is not None else []):  # history's lines, wrapped too
            for line in wrap("", run.scrub(change.text), hang=2):
                tr.write_line(line, **({"yellow": True} if change.kind == "warning" else {}))
        paths = self.report_paths()
        if paths:
            for line in wrap("", say("term.report", lang, paths=", ".join(paths)), hang=2):
                tr.write_line(line)

    def report_paths(self):
        base = self.run.config.invocation_params.dir
        paths = []
        html = getattr(self.run.config.option, "htmlpath", None)
        if html:
            paths.append(_shown_path(Path(base, html), base))
        js = self.run.config.getoption("gigacheck_report_json")
        if js:
            paths.append(_shown_path(Path(base, js), base))
        return paths

    @pytest.hookimpl(wrapper=True)
    def pytest_runtestloop(self, session):
        """Every check has reported (on the xdist controller too): the run is remembered now, before the
        reports that say what changed are written."""
        try:
            return (yield)
        finally:
            if not hasattr(session.config, "workerinput") and not session.config.option.collectonly:
                self.remember()

    def remember(self):
        if self.run.after is not None:
            return self.run.after
        from .between import RunFacts, after_run
        from .report import verdict_of
        from .words import say
        run = self.run
        if run.mock is not None:  # every check is done: the mock's `responses` would answer the alert too
            run.mock.stop()  # stopping twice is harmless (sessionfinish stops it again); its calls stay readable
        records = list(run.records.values())
        facts = RunFacts(started_at=run.started_at, verdict=verdict_of(records), mode=run.mode,
                         scenario=run.mock_scenario, duration_s=time.monotonic() - run.t0, finished_at=time.time(),
                         records=records, incidents=self.incidents(), lang=run.lang)
        why = "" if run.history_path is not None else say(
            "history.not_kept.mock" if run.mock_scenario and not self.run.config.getoption("gigacheck_history")
            else "history.not_kept.off", run.lang)
        base = run.config.invocation_params.dir
        try:
            run.after = after_run(facts, history_path=run.history_path, why_not_kept=why,
                                  prometheus_path=run.prometheus_path, notify_urls=run.notify_urls,
                                  scrub=run.scrub, shown=lambda p: _shown_path(Path(p), base))
        except Exception as exc:  # noqa: BLE001 - the run's memory never crashes the run (SPEC)
            from .between import Line, Outcome
            from .history import changes, failing_codes
            run.after = Outcome(changes=changes(None, failing_codes(records)), lines=[Line("warning", say(
                "history.unusable", run.lang, path=_shown_path(Path(run.history_path or "-"), base),
                why=run.scrub(f"{type(exc).__name__}: {exc}")))])
        return run.after

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session):
        run = self.run
        if run.mock is not None:
            run.mock.stop()
        if run.client is not None:
            run.client.close()
        if hasattr(session.config, "workerinput"):
            return
        path = session.config.getoption("gigacheck_report_json")
        if path:
            from .report import summary_json, write_json
            from .logs.clock import table_zone
            data = summary_json(list(run.records.values()), mode=run.mode, scenario=run.mock_scenario,
                                lang=run.lang, started_at=run.started_at, duration_s=time.monotonic() - run.t0,
                                requests=run.requests, scrub=run.scrub, incidents=self.incidents())
            data["log_timezone"] = {k: run.scrub(v) if isinstance(v, str) else v
                                    for k, v in table_zone(run.settings).as_json().items()}
            if run.after is not None:
                data["changes"] = run.after.changes
            else:  # the checks never ran (a collection error): nothing is remembered
                from .history import changes, failing_codes
                data["changes"] = changes(None, failing_codes(run.records.values()))
            write_json(Path(session.config.invocation_params.dir, path), data)

    def pytest_unconfigure(self, config):
        html = getattr(config.option, "htmlpath", None)
        if html and not hasattr(config, "workerinput"):
            from .htmlpage import finish_file, run_count
            count = run_count(list(self.run.records.values()), self.run.lang, time.monotonic() - self.run.t0)
            finish_file(Path(config.invocation_params.dir, html), self.run.lang, count)

    # --- pytest-html: thin; the page is built in htmlpage.py ----------------------------------------
    @pytest.hookimpl(optionalhook=True)
    def pytest_html_report_title(self, report):
        from .htmlpage import title
        report.title = title(self.run.mode, self.run.mock_scenario, self.run.lang)

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_results_summary(self, prefix, summary, postfix, session):
        from .htmlpage import PageFacts, prefix as page_prefix
        from .words import say
        run, lang = self.run, self.run.lang
        s = run.settings
        hosts = {"OAuth": run.scrub(s.auth_url), "API": run.scrub(s.base_url),
                 say("html.models", lang): ", ".join(s.models),
                 say("html.log_source", lang): say("html.log_source.mock", lang) if run.mock_scenario else
                 "DATABASE_URL" if s.database_url else say("html.log_source.none", lang)}
        notes = [] if s.verify_ssl else [say("html.tls_off", lang)]
        facts = PageFacts(run.mode, run.mock_scenario, lang, run.started_at, hosts, notes, run.pictures,
                          why=_why(run), after=run.after, incidents=self.incidents(), timeline=run.timeline)
        prefix.append(page_prefix(list(run.records.values()), facts))

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_results_table_header(self, cells):
        cells.insert(2, '<th class="sortable" data-column-type="code">Code</th>')

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_results_table_row(self, report, cells):
        rec = self.run.records.get(report.nodeid)
        cells.insert(2, f'<td class="col-code">{" ".join(rec.codes) if rec else ""}</td>')

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_results_table_html(self, report, data):
        from .htmlpage import row_log
        row_log(data, report.outcome, self.run.records.get(report.nodeid), self.run.lang)


def _why(run: Run) -> str:
    """Why no check body ran (shown only with the verdict `nothing-checked`)."""
    from .report import nothing_checked_why
    return nothing_checked_why(list(run.records.values()), lambda name: getattr(run.config.option, name, False),
                               run.lang)


def _shown_path(path: Path, base: Path) -> str:
    """Relative to where pytest was started when it is below it; absolute otherwise."""
    try:
        return str(path.resolve().relative_to(base.resolve()))
    except ValueError:
        return str(path)


def _shorten_warnings(reports, scrub) -> None:
    """pytest's warnings summary shows a GigacheckWarning as its finding, not gigacheck's source line."""
    import linecache
    from .report import short_warning
    for wr in reports:
        message = getattr(wr, "message", "")
        if "GigacheckWarning: [" in message:
            source = linecache.getline(str(wr.fslocation[0]), wr.fslocation[1]) if wr.fslocation else ""
            wr.message = scrub(short_warning(message, source))
