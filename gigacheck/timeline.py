"""Incidents, printed: the JSON list, the terminal's resolved lines, the HTML list and its SVG timeline.

Works on the incidents' JSON form (`incidents_json`), which is what an xdist worker's report carries to
the controller that prints: so the terminal, the HTML and the JSON say the same thing. The SVG is inline
(no script, no external file), one mark per incident with a `<title>` naming its code, state and times,
the window's hourly counts of failure rows behind them, drawn to the page's width (a viewBox).
Plain helpers, no pytest; every word through `words.py`, every text through the caller's redactor.
"""

from __future__ import annotations

import html
from datetime import datetime, timedelta, timezone
from typing import Callable, Dict, Iterable, List, Optional, Sequence

from .diagnosis import CATALOG
from .words import current_lang, plural, say

RESOLVED_MARK = "↺"
_COLOURS = {"ongoing": "#c62828", "resolved": "#2e7d32"}


def incidents_json(incidents: Iterable) -> List[dict]:
    """SPEC's `incidents`: [{code, state, first_seen, last_seen, rows, resolved_by, ...}], oldest first."""
    out = [i.as_json() if hasattr(i, "as_json") else dict(i) for i in incidents]
    out.sort(key=lambda d: (d.get("first_seen") or "", d.get("code") or ""))
    return out


def timeline_json(window, times: Dict[str, Sequence[datetime]], now: Optional[datetime] = None) -> dict:
    """The window (start, end, zone) and the failure rows of each hour in it, oldest hour first."""
    from .logs.incidents import Times, hourly
    start = window.since_local
    now = now or datetime.now(timezone.utc)
    end = now.astimezone(window.tz).replace(tzinfo=None) if now.tzinfo else now
    hours = max(1, int(-(-(end - start).total_seconds() // 3600)))
    bins = [0] * hours
    for code, counts in hourly([Times.of(c, s) for c, s in times.items()], start, hours).items():
        bins = [a + b for a, b in zip(bins, counts)]
    zone = getattr(window.tz, "key", None) or str(window.tz)
    return {"start": start.replace(tzinfo=window.tz).isoformat(timespec="seconds"),
            "end": end.replace(tzinfo=window.tz).isoformat(timespec="seconds"), "zone": zone, "hourly": bins}


def _when(text: Optional[str]) -> Optional[datetime]:
    try:
        return datetime.fromisoformat(text) if text else None
    except ValueError:
        return None


def span(inc: dict) -> str:
    """`15:10-15:40` (the first and last rows, in the table's zone; the day before it when they differ)."""
    first, last = _when(inc.get("first_seen")), _when(inc.get("last_seen"))
    if first is None or last is None:
        return "?"
    if first.date() == last.date():
        return f"{first:%H:%M}-{last:%H:%M}"
    return f"{first:%m-%d %H:%M}-{last:%m-%d %H:%M}"


def finding(code: str, lang: str) -> str:
    entry = CATALOG.get(code)
    return entry.text(lang).finding if entry is not None else code


def describe(inc: dict, lang: str) -> str:
    """`[LG015] 402 / payment required resolved: 15:10-15:40, 90 rows (2026-12-07, UTC; image: ...)`."""
    first = _when(inc.get("first_seen"))
    day = f"{first:%Y-%m-%d}" if first else ""
    zone = (first.tzname() if first and first.tzinfo else "") or ""
    state = say(f"incident.{inc.get('state')}", lang)
    by = inc.get("resolved_by")
    tail = say("incident.tail", lang, day=day, zone=zone, by=f"; {by}" if by else "",
               before=say("incident.before_window", lang) if inc.get("before_window") else "")
    return say("incident.line", lang, code=inc.get("code"), finding=finding(inc.get("code", ""), lang), state=state,
               span=span(inc), rows=plural(int(inc.get("rows") or 0), "row", lang), tail=tail)


def incident_line(incident, lang: Optional[str] = None) -> str:
    """One incident as an evidence line of its code's check."""
    return describe(incident.as_json(), lang or current_lang())


def terminal_lines(incidents: Iterable[dict], lang: str) -> List[tuple]:
    """(mark, area, text) for each resolved incident: the failed checks show the ongoing ones."""
    return [(RESOLVED_MARK, say("area.logs", lang), describe(i, lang)) for i in incidents
            if i.get("state") == "resolved"]


def summary_lines(incidents: Iterable[dict], lang: str) -> List[str]:
    """The viewer's text summary: every incident, its state first."""
    return [("✗ " if i.get("state") == "ongoing" else f"{RESOLVED_MARK} ") + describe(i, lang) for i in incidents]


# --- HTML ------------------------------------------------------------------------------------------

W, LANE, TOP, AXIS, LEFT, RIGHT = 1000, 22, 46, 26, 70, 10


def _e(text) -> str:
    return html.escape(str(text), quote=True)


def svg(incidents: Sequence[dict], timeline: Optional[dict], lang: str) -> str:
    """The window drawn as an inline SVG: hourly bars behind, one lane per code, one mark per incident."""
    start, end = _when((timeline or {}).get("start")), _when((timeline or {}).get("end"))
    if start is None or end is None or end <= start:
        firsts = [t for t in (_when(i.get("first_seen")) for i in incidents) if t]
        lasts = [t for t in (_when(i.get("last_seen")) for i in incidents) if t]
        if not firsts:
            return ""
        start, end = min(firsts), max(lasts) + timedelta(minutes=30)
    total = (end - start).total_seconds() or 1.0
    codes = list(dict.fromkeys(i.get("code") for i in incidents))
    height = TOP + LANE * max(1, len(codes)) + AXIS
    inner = W - LEFT - RIGHT

    def x(when: datetime) -> float:
        if when.tzinfo is None and start.tzinfo is not None:
            when = when.replace(tzinfo=start.tzinfo)
        return LEFT + inner * min(max((when - start).total_seconds() / total, 0.0), 1.0)

    parts = [f"<svg id='gigacheck-timeline-svg' xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {W} {height}' "
             f"width='100%' preserveAspectRatio='xMinYMin meet' role='img' "
             f"aria-label='{_e(say('timeline.label', lang))}' style='max-width:100%;height:auto;display:block'>",
             f"<title>{_e(say('timeline.label', lang))}</title>",
             f"<rect x='0' y='0' width='{W}' height='{height}' fill='#fafafa'/>"]
    bins = list((timeline or {}).get("hourly") or [])
    if bins and max(bins) > 0:
        peak, width = max(bins), inner / len(bins)
        for n, count in enumerate(bins):
            if not count:
                continue
            h = (height - TOP - AXIS + 20) * count / peak
            parts.append(f"<rect class='gc-hour' x='{LEFT + n * width:.1f}' y='{height - AXIS - h:.1f}' "
                         f"width='{max(width - 1, 1):.1f}' height='{h:.1f}' fill='#cfd8dc'>"
                         f"<title>{_e(say('timeline.hour', lang, rows=plural(count, 'row', lang)))}</title></rect>")
    for lane, code in enumerate(codes):
        y = TOP + lane * LANE
        parts.append(f"<text x='6' y='{y + 15}' font-size='13' font-family='monospace' fill='#333'>{_e(code)}</text>")
    for inc in incidents:
        first, last = _when(inc.get("first_seen")), _when(inc.get("last_seen"))
        if first is None or last is None:
            continue
        y = TOP + codes.index(inc.get("code")) * LANE + 3
        x0, x1 = x(first), x(last)
        state = inc.get("state")
        title = say("timeline.mark", lang, code=inc.get("code"), state=say(f"incident.{state}", lang),
                    first=f"{first:%Y-%m-%d %H:%M}", last=f"{last:%Y-%m-%d %H:%M}",
                    rows=plural(int(inc.get("rows") or 0), "row", lang))
        parts.append(f"<g class='gc-incident gc-{_e(state)}' data-code='{_e(inc.get('code'))}' "
                     f"data-state='{_e(state)}'><title>{_e(title)}</title>"
                     f"<rect x='{x0:.1f}' y='{y}' width='{max(x1 - x0, 6):.1f}' height='{LANE - 6}' rx='3' "
                     f"fill='{_COLOURS.get(state, '#777')}'/></g>")
    # the axis: the window's start, its end and every 6 hours between
    ay = height - AXIS + 4
    parts.append(f"<line x1='{LEFT}' y1='{ay}' x2='{W - RIGHT}' y2='{ay}' stroke='#999'/>")
    tick = start.replace(minute=0, second=0, microsecond=0)
    step = timedelta(hours=6 if total > 12 * 3600 else 1)
    labels = [(start, f"{start:%m-%d %H:%M}")]
    tick += step
    while tick < end - step / 2:
        labels.append((tick, f"{tick:%H:%M}"))
        tick += step
    labels.append((end, f"{end:%H:%M}"))
    for when, text in labels:
        anchor = "start" if when == start else "end" if when == end else "middle"
        parts.append(f"<text x='{x(when):.1f}' y='{ay + 16}' font-size='12' text-anchor='{anchor}' "
                     f"fill='#555'>{_e(text)}</text>")
    legend = say("timeline.legend", lang)
    parts.append(f"<text x='{LEFT}' y='20' font-size='13' fill='#333'>{_e(legend)}</text>")
    parts.append(f"<rect x='{W - 260}' y='10' width='12' height='12' fill='{_COLOURS['ongoing']}'/>"
                 f"<text x='{W - 244}' y='21' font-size='13' fill='#333'>{_e(say('incident.ongoing', lang))}</text>"
                 f"<rect x='{W - 140}' y='10' width='12' height='12' fill='{_COLOURS['resolved']}'/>"
                 f"<text x='{W - 124}' y='21' font-size='13' fill='#333'>{_e(say('incident.resolved', lang))}</text>")
    parts.append("</svg>")
    return "".join(parts)


def html_section(incidents: Sequence[dict], timeline: Optional[dict], lang: str,
                 scrub: Callable[[str], str] = lambda s: s) -> str:
    """The report's Incidents section: the timeline and one list item per incident."""
    if not incidents:
        return ""
    items = "".join(f"<li class='gc-incident-item gc-{_e(i.get('state'))}' data-code='{_e(i.get('code'))}' "
                    f"data-state='{_e(i.get('state'))}'>{_e(scrub(describe(i, lang)))}</li>" for i in incidents)
    return (f"<div id='gigacheck-incidents'><h2>{_e(say('timeline.heading', lang))}</h2>"
            f"{svg(incidents, timeline, lang)}<ul class='gc-incidents'>{items}</ul></div>")
