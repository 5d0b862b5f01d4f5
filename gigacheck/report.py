"""What a run found, as data: the JSON summary, the doctor-style verdicts and
the HTML snippets.  Plain helpers: the plugin feeds them, they know no pytest.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

from .diagnosis import CATALOG, codes_in

AREAS = ("config", "network", "oauth", "api", "generation", "logs")
MARKS = {"passed": "✓", "failed": "✗", "warning": "!", "skipped": "-"}


@dataclass
class CheckRecord:
    id: str
    outcome: str = "passed"
    codes: List[str] = field(default_factory=list)
    summary: str = ""
    remedy: Optional[str] = None
    duration_s: float = 0.0
    area: str = "other"
    warnings: List[str] = field(default_factory=list)  # rendered warning messages

    def add_warning(self, message: str) -> None:
        self.warnings.append(message)
        for code in codes_in(message):
            if code not in self.codes:
                self.codes.append(code)
        if self.outcome == "passed" and self.remedy is None and self.codes:
            self.remedy = remedy_for(self.codes)
            self.summary = first_line_with_code(message) or self.summary


def remedy_for(codes: List[str]) -> Optional[str]:
    for code in codes:
        if code in CATALOG:
            return CATALOG[code].remedy
    return None


def first_line_with_code(text: str) -> str:
    for line in (text or "").splitlines():
        if codes_in(line):
            line = line.strip()
            for prefix in ("E ", "Failed: ", "gigacheck.GigacheckWarning: ", "GigacheckWarning: "):
                if line.startswith(prefix):
                    line = line[len(prefix):].strip()
            return line
    return ""


def summary_json(records: List[CheckRecord], *, mode: str, scenario: Optional[str], started_at: str,
                 duration_s: float, extra: Optional[dict] = None) -> dict:
    counts = {"passed": 0, "failed": 0, "skipped": 0, "warnings": 0}
    for r in records:
        counts[r.outcome] = counts.get(r.outcome, 0) + 1
        counts["warnings"] += len(r.warnings)
    data = {
        "mode": mode,
        "scenario": scenario,
        "started_at": started_at,
        "duration_s": round(duration_s, 3),
        "counts": counts,
        "checks": [{"id": r.id, "outcome": r.outcome, "codes": list(r.codes), "summary": r.summary,
                    "remedy": r.remedy, "duration_s": round(r.duration_s, 4)} for r in records],
    }
    if extra:
        data.update(extra)
    return data


def write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def verdicts(records: List[CheckRecord]) -> List[tuple]:
    """flutter-doctor style: (mark, area, text) lines, one per area, plus one per finding."""
    lines = []
    by_area: Dict[str, List[CheckRecord]] = {}
    for r in records:
        by_area.setdefault(r.area, []).append(r)
    for area in list(AREAS) + sorted(a for a in by_area if a not in AREAS):
        recs = by_area.get(area)
        if not recs:
            continue
        failed = [r for r in recs if r.outcome == "failed"]
        warned = [r for r in recs if r.warnings and r.outcome != "failed"]
        passed = sum(r.outcome == "passed" for r in recs)
        skipped = [r for r in recs if r.outcome == "skipped"]
        if failed:
            for r in failed:
                lines.append(("✗", area, _finding_line(r)))
        for r in warned:
            lines.append(("!", area, _finding_line(r, warning=True)))
        if not failed and not warned:
            if passed:
                text = f"{passed} check{'s' if passed != 1 else ''} passed"
                if skipped:
                    text += f", {len(skipped)} skipped"
                lines.append(("✓", area, text))
            else:
                reason = skipped[0].summary if skipped else ""
                lines.append(("-", area, f"skipped: {reason}"))
    return lines


def _finding_line(r: CheckRecord, warning: bool = False) -> str:
    head = r.summary or r.id
    if warning and r.warnings:
        head = first_line_with_code(r.warnings[0]) or head
    text = head.splitlines()[0] if head else r.id
    if r.remedy:
        text += f"  → {r.remedy}"
    return text


def banner(mode: str, scenario: Optional[str]) -> str:
    if mode == "mock":
        return f"MOCK run (scenario '{scenario}'): answers come from fixtures/, nothing was sent to GigaChat"
    return "LIVE run against the configured GigaChat hosts"


def html_header(mode: str, scenario: Optional[str], hosts: Dict[str, str], started_at: str,
                notes: List[str]) -> str:
    color = "#b35900" if mode == "mock" else "#1f6f43"
    rows = "".join(f"<tr><th style='text-align:left;padding-right:1em'>{html.escape(k)}</th>"
                   f"<td>{html.escape(v)}</td></tr>" for k, v in hosts.items())
    notes_html = "".join(f"<p style='color:#a00;font-weight:bold'>{html.escape(n)}</p>" for n in notes)
    return (f"<div id='gigacheck-header' style='border:3px solid {color};padding:8px;margin:8px 0'>"
            f"<h2 style='color:{color};margin:0'>{'MOCK' if mode == 'mock' else 'LIVE'}: "
            f"{html.escape(banner(mode, scenario))}</h2>"
            f"<p>Started {html.escape(started_at)}</p><table>{rows}</table>{notes_html}</div>")


def html_verdicts(records: List[CheckRecord]) -> str:
    items = "".join(f"<li><b>{html.escape(mark)}</b> <code>{html.escape(area)}</code> {html.escape(text)}</li>"
                    for mark, area, text in verdicts(records))
    return f"<div id='gigacheck-verdicts'><h3>Verdicts</h3><ul style='list-style:none'>{items}</ul></div>"


def html_finding(codes: List[str], message: str, situated: Optional[Dict] = None) -> str:
    """The failure as a small table: code, cause, remedy, commands, evidence (`situated`: code ->
    the catalog entry as this finding shows it, its situation's remedy)."""
    parts = []
    for code in codes:
        entry = (situated or {}).get(code) or CATALOG.get(code)
        if not entry:
            continue
        cmds = "".join(f"<pre>$ {html.escape(c)}</pre>" for c in entry.commands)
        parts.append(f"<tr><th>{code}</th><td><b>{html.escape(entry.finding)}</b><br>"
                     f"Cause: {html.escape(entry.cause)}<br>Remedy: {html.escape(entry.remedy)}{cmds}</td></tr>")
    evidence = ""
    if "Evidence:" in message:
        evidence = f"<pre>{html.escape(message.split('Evidence:', 1)[1].strip())}</pre>"
    return f"<table class='gigacheck-finding'>{''.join(parts)}</table>{evidence}"
