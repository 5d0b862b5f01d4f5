"""What a run leaves for the runs after it (SPEC "Between deploys"): it is appended to the history
(`history.py`), says what changed since the previous run, writes the Prometheus textfile
(`prometheus.py`) and sends the alert when the verdict changed (`notify.py`).

One call at the end of a run, `after_run`, in that order: the history says what the textfile's last
success and the alert's previous verdict are.  Each part fails on its own: a history that cannot be used,
a textfile that cannot be written, an alert that cannot be sent is one warning line, and the rest goes
on.  No pytest here: the plugin gives the facts and prints the lines.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable, List, Optional, Sequence

from . import history, notify, prometheus
from .report import verdict_word
from .words import say


@dataclass
class RunFacts:
    started_at: str
    verdict: str
    mode: str
    scenario: Optional[str]
    duration_s: float
    finished_at: float
    records: list                       # report.CheckRecord
    incidents: Sequence[dict] = ()      # SPEC's incident objects
    lang: str = "en"


@dataclass
class Line:
    kind: str       # "info" or "warning"
    text: str


@dataclass
class Outcome:
    changes: dict
    lines: List[Line] = field(default_factory=list)
    remembered: Optional[history.Remembered] = None
    history_path: Optional[Path] = None
    notified: int = 0                   # messages sent (0 or 1)


def shown_time(iso: Optional[str]) -> str:
    """`2026-12-07 23:10:05 UTC` from the ISO-8601 the history keeps."""
    if not iso:
        return "-"
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    zone = "UTC" if moment.utcoffset() is not None and not moment.utcoffset() else moment.strftime("%z")
    return moment.strftime("%Y-%m-%d %H:%M:%S") + (f" {zone}" if zone else "")


def after_run(facts: RunFacts, *, history_path: Optional[Path], why_not_kept: str = "",
              prometheus_path: Optional[Path] = None, notify_urls: Sequence[str] = (),
              scrub: Callable[[str], str] = str, shown: Callable[[Path], str] = str) -> Outcome:
    lang = facts.lang
    codes = history.failing_codes(facts.records)
    entry = history.RunEntry(started_at=facts.started_at, verdict=facts.verdict, mode=facts.mode, codes=codes,
                             scenario=facts.scenario, duration_s=round(facts.duration_s, 3),
                             finished_at=facts.finished_at, incidents=history.incidents_of(facts.incidents, scrub))
    outcome = Outcome(changes=history.changes(None, codes), history_path=history_path)
    lines = outcome.lines

    if history_path is not None:
        try:
            outcome.remembered = history.record(history_path, entry)
        except history.HistoryError as exc:
            lines.append(Line("warning", say("history.unusable", lang, path=shown(history_path),
                                             why=scrub(str(exc)))))
    else:
        lines.append(Line("info", say("history.not_kept", lang, why=why_not_kept)))
    remembered = outcome.remembered
    if remembered is not None:
        from .diagnosis import CATALOG
        checked = history.checked_by(facts.records, {c: e.area for c, e in CATALOG.items()})
        outcome.changes = history.changes(remembered.previous, codes, checked)
        lines.append(Line("info", changes_line(outcome.changes, lang, shown(history_path))))

    if prometheus_path is not None:
        succeeded = facts.verdict in history.SUCCESS
        last = facts.finished_at if succeeded else max(
            [t for t in (remembered.last_success if remembered else None,
                         prometheus.previous_success(prometheus_path)) if t] or [0]) or None
        failures = {}
        for r in facts.records:
            if r.outcome == "failed":
                for c in dict.fromkeys(r.codes):
                    failures[c] = failures.get(c, 0) + 1
        from .diagnosis import CATALOG
        from .logs.signatures import CODES as LOG_CODES
        text = prometheus.textfile(prometheus.Facts(
            verdict=facts.verdict, failures=failures, ongoing=entry.ongoing, finished_at=facts.finished_at,
            last_success=last, duration_s=facts.duration_s, codes=list(CATALOG), log_codes=list(LOG_CODES)))
        try:
            prometheus.write_atomic(prometheus_path, text)
        except OSError as exc:
            lines.append(Line("warning", say("prometheus.unwritable", lang, path=shown(prometheus_path),
                                             why=scrub(exc.strerror or str(exc)))))

    if notify_urls:
        # nothing remembered (no history, or one that cannot be used): a failure is sent, on the safe side
        previous = remembered.previous_checked if remembered is not None else None
        if notify.should_send(previous, facts.verdict):
            outcome.notified = _alert(facts, outcome, previous, notify_urls, scrub, lines)
    return outcome


def changes_line(changes: dict, lang: str, path: str) -> str:
    if changes["since"] is None:
        return say("changes.first", lang, path=path)
    parts = []
    if changes["new"]:
        parts.append(say("changes.new", lang, codes=", ".join(changes["new"])))
    if changes["fixed"]:
        parts.append(say("changes.fixed", lang, codes=", ".join(changes["fixed"])))
    what = "; ".join(parts) or say("changes.nothing", lang)
    return say("changes.since", lang, since=shown_time(changes["since"]),
               verdict=verdict_word(changes["previous_verdict"], lang), what=what)


def _alert(facts: RunFacts, outcome: Outcome, previous: Optional[str], urls: Sequence[str],
           scrub: Callable[[str], str], lines: List[Line]) -> int:
    lang = facts.lang
    failures = [notify.Failure(r.codes[0] if r.codes else "", r.summary or r.id, r.remedy)
                for r in facts.records if r.outcome == "failed"]

    def said(key, **fields):
        return say(key, lang, **fields)

    title, body = notify.message(facts.verdict, previous, outcome.changes["since"] and
                                 shown_time(outcome.changes["since"]), failures, outcome.changes["fixed"],
                                 where=_host(), say=said, scrub=scrub)
    sent = notify.send(urls, title, body, facts.verdict)
    if sent.ok:
        lines.append(Line("info", say("notify.sent", lang, n=len(urls),
                                      verdict=verdict_word(facts.verdict, lang))))
        return 1
    if sent.why == "apprise-missing":
        why = say("notify.why.missing", lang)
    elif sent.why == "timeout":
        why = say("notify.why.timeout", lang, seconds=int(notify.SEND_LIMIT_S))
    elif sent.why.startswith("refused:"):
        why = say("notify.why.refused", lang, urls=sent.why[len("refused:"):], n=len(urls))
    else:
        why = say("notify.why.failed", lang)
    lines.append(Line("warning", say("notify.unsent", lang, why=scrub(why))))
    return 0


def _host() -> str:
    try:
        return socket.gethostname()[:64]
    except OSError:
        return "?"
