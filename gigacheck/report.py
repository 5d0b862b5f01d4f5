"""What a run found, as data: the verdict, one state per area, the JSON summary and the
doctor-style terminal lines.  Plain helpers: the plugin feeds them, they know no pytest.
The HTML page is built from the same data in `htmlpage.py`.
"""

from __future__ import annotations

import json
import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional

from .diagnosis import CATALOG, codes_in
from .words import current_lang, plural, say

AREAS = ("config", "network", "oauth", "api", "generation", "logs")
MARKS = {"passed": "✓", "failed": "✗", "warning": "!", "skipped": "-"}
VERDICTS = ("passed", "warnings", "failed", "nothing-checked")


def verdict_word(verdict, lang=None, say=say) -> str:
    """A verdict in the run's words; one this version does not know (an older history file's) as it is."""
    return say("verdict.word." + verdict, lang) if verdict in VERDICTS else str(verdict)


VERDICT_MARKS = {"passed": MARKS["passed"], "warnings": MARKS["warning"], "failed": MARKS["failed"],
                 "nothing-checked": MARKS["skipped"]}


@dataclass
class CheckRecord:
    id: str
    # "skipped" until the check's body has run (its call report): a check that only had its fixtures set up
    # (--setup-only, --setup-plan) checked nothing and must never count as passed
    outcome: str = "skipped"
    codes: List[str] = field(default_factory=list)
    summary: str = ""
    remedy: Optional[str] = None
    duration_s: float = 0.0
    area: str = "other"
    warnings: List[str] = field(default_factory=list)  # rendered warning messages
    evidence: List[str] = field(default_factory=list)  # scrubbed, one string per line
    cause: Optional[str] = None                          # as the finding shows it (its situation), in the run's lang
    commands: List[str] = field(default_factory=list)

    def add_warning(self, message: str, lang: str = "en") -> None:
        self.warnings.append(message)
        for code in codes_in(message):
            if code not in self.codes:
                self.codes.append(code)
        if self.outcome == "passed" and self.remedy is None and self.codes:
            self.remedy = remedy_for(self.codes, lang)
            self.summary = first_line_with_code(message) or self.summary
        if self.outcome == "passed":
            self.evidence.extend(evidence_of(message))


def remedy_for(codes: List[str], lang: Optional[str] = None) -> Optional[str]:
    """The first known code's remedy, in `lang` (default: the run's language)."""
    for code in codes:
        if code in CATALOG:
            return CATALOG[code].text(lang or current_lang()).remedy
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


def evidence_of(message: str) -> List[str]:
    """The evidence lines of a rendered finding (`diagnosis.render`): what follows `Evidence:`."""
    lines = (message or "").splitlines()
    for i, line in enumerate(lines):
        if line.strip() == "Evidence:":
            return [ln[2:] if ln.startswith("  ") else ln for ln in lines[i + 1:] if ln.strip()]
    return []


def verdict_of(records: List[CheckRecord]) -> str:
    """failed > nothing-checked > warnings > passed. `nothing-checked` where no check body passed: nothing
    selected (`-m`/`-k`), only fixtures set up (`--setup-only`, `--setup-plan`), every check skipped; a green
    word there would tell an operator the integration works when nothing looked at it (SPEC)."""
    if any(r.outcome == "failed" for r in records):
        return "failed"
    if not any(r.outcome == "passed" for r in records):
        return "nothing-checked"
    if any(r.warnings for r in records):
        return "warnings"
    return "passed"


def nothing_checked_why(records: List[CheckRecord], option, lang: str) -> str:
    """Why no check body ran, for the `nothing-checked` verdict's line; `option(name)` reads pytest's options."""
    if option("collectonly"):
        return say("verdict.why.collect", lang)
    if option("setupplan") or option("setuponly"):
        return say("verdict.why.setup", lang, option="--setup-plan" if option("setupplan") else "--setup-only")
    return say("verdict.why.none" if not records else "verdict.why.skipped", lang)


def verdict_text(records: List[CheckRecord], lang: str, why: str = "") -> str:
    """The verdict as one sentence, with why nothing was checked when that is the verdict."""
    verdict = verdict_of(records)
    text = say("verdict." + verdict, lang)
    return f"{text} ({why})" if why and verdict == "nothing-checked" else text


def counts_of(records: List[CheckRecord]) -> Dict[str, int]:
    counts = {"passed": 0, "failed": 0, "skipped": 0, "warnings": 0}
    for r in records:
        counts[r.outcome] = counts.get(r.outcome, 0) + 1
        counts["warnings"] += len(r.warnings)
    return counts


def counts_text(counts: Dict[str, int], lang: str) -> str:
    total = counts["passed"] + counts["failed"] + counts["skipped"]
    return say("counts", lang, total=plural(total, "check", lang), passed=counts["passed"],
               failed=counts["failed"], skipped=counts["skipped"],
               warnings=plural(counts["warnings"], "warning", lang))


def summary_json(records: List[CheckRecord], *, mode: str, scenario: Optional[str], lang: str, started_at: str,
                 duration_s: float, requests: Dict[str, int], scrub: Callable[[str], str],
                 incidents: Optional[List[dict]] = None) -> dict:
    """SPEC's JSON shape, every string passed through the run's redactor on the way in."""
    return {
        "verdict": verdict_of(records),
        "lang": lang,
        "mode": mode,
        "scenario": scenario,
        "started_at": started_at,
        "duration_s": round(duration_s, 3),
        "counts": counts_of(records),
        "requests": dict(requests),
        "checks": [{"id": scrub(r.id), "outcome": r.outcome, "codes": list(r.codes), "summary": scrub(r.summary),
                    "remedy": scrub(r.remedy) if r.remedy is not None else None,
                    "evidence": [scrub(e) for e in r.evidence], "duration_s": round(r.duration_s, 4)}
                   for r in records],
        # the log window's incidents, oldest first (timeline.incidents_json; already scrubbed, scrubbed again)
        "incidents": [{k: scrub(v) if isinstance(v, str) else v for k, v in i.items()} for i in (incidents or [])],
    }


def write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


@dataclass
class AreaState:
    area: str
    state: str                       # passed, warning, failed, skipped (MARKS' keys)
    records: List[CheckRecord]

    def count(self, outcome: str) -> int:
        return sum(r.outcome == outcome for r in self.records)

    @property
    def failed(self) -> List[CheckRecord]:
        return [r for r in self.records if r.outcome == "failed"]

    @property
    def warned(self) -> List[CheckRecord]:
        return [r for r in self.records if r.warnings and r.outcome != "failed"]

    def name(self, lang: str) -> str:
        return say(f"area.{self.area}", lang) if f"area.{self.area}" in _AREA_KEYS else self.area

    def tally(self, lang: str) -> str:
        """`3 passed, 1 failed, 2 skipped, 1 warning`: only the parts that are not zero."""
        parts = []
        for outcome in ("passed", "failed", "skipped"):
            n = self.count(outcome)
            if n:
                parts.append(say(f"area.state.{outcome}", lang, **{outcome: n}))
        warnings = sum(len(r.warnings) for r in self.records if r.outcome != "failed")
        if warnings:
            parts.append(say("area.state.warned", lang, warnings=plural(warnings, "warning", lang)))
        return ", ".join(parts)

    def skip_reasons(self) -> List[str]:
        """Each distinct skip reason once, in order."""
        seen = []
        for r in self.records:
            if r.outcome == "skipped" and r.summary and r.summary not in seen:
                seen.append(r.summary)
        return seen


_AREA_KEYS = {f"area.{a}" for a in AREAS + ("other",)}


def area_states(records: List[CheckRecord]) -> List[AreaState]:
    by_area: Dict[str, List[CheckRecord]] = {}
    for r in records:
        by_area.setdefault(r.area, []).append(r)
    states = []
    for area in list(AREAS) + sorted(a for a in by_area if a not in AREAS):
        recs = by_area.get(area)
        if not recs:
            continue
        if any(r.outcome == "failed" for r in recs):
            state = "failed"
        elif any(r.warnings for r in recs):
            state = "warning"
        elif any(r.outcome == "passed" for r in recs):
            state = "passed"
        else:
            state = "skipped"
        states.append(AreaState(area, state, recs))
    return states


def headline(r: CheckRecord, warning: bool = False) -> str:
    head = r.summary or r.id
    if warning and r.warnings:
        head = first_line_with_code(r.warnings[0]) or head
    return head.splitlines()[0] if head else r.id


COLUMNS = 100  # every line of the terminal block fits here, wrapped (never cut: the remedy is what one acts on)

# words of the checks' names written as people write them (a question: `test_does_oauth_give_a_usable_token`
# -> "Does OAuth give a usable token?")
_SPELLED = {"oauth": "OAuth", "api": "API", "tls": "TLS", "gigachat": "GigaChat", "url": "URL", "urls": "URLs",
            "sdk": "SDK", "ca": "CA", "pem": "PEM", "id": "id", "img": "<img>", "v2": "v2", "http": "HTTP"}
_QUESTION_WORDS = {"is", "are", "does", "do", "did", "can", "was", "were", "has", "have", "will"}
_NODE_ID = re.compile(r"[^\s()“”]+\.py::[^\s()\[]+(?:\[[^\]\s]*\])?")  # checks/test_x.py::test_y[param]


def question_of(nodeid: str) -> str:
    """A check named by its question: `.../test_api.py::test_is_every_configured_model_served[GigaChat]` ->
    "Is every configured model served? (GigaChat)"; an install path says nothing to an operator."""
    name = nodeid.rsplit("::", 1)[-1]
    param = ""
    if name.endswith("]") and "[" in name:
        name, param = name[:-1].split("[", 1)
    if name.startswith("test_"):
        name = name[len("test_"):]
    words = [_SPELLED.get(w, w) for w in name.split("_") if w]
    if not words:
        return nodeid
    text = " ".join(words)
    text = text[0].upper() + text[1:]
    if name.split("_", 1)[0] in _QUESTION_WORDS:
        text += "?"
    return f"{text} ({param})" if param else text


def readable(text: str) -> str:
    """A skip reason's node id (`reported by .venv/.../test_api.py::test_x`) as the question of that check."""
    return _NODE_ID.sub(lambda m: "“" + question_of(m.group(0)) + "”", text)


_SKIPPED_FOR = re.compile(r"^(\[(?:GC|LG)\d{3}\]) .* \(([^()]*?)(“[^”]*”)\)$", re.S)


def _skip_said(reason: str) -> str:
    """A skip for a cause another check reported, said short: that check's failure, a line above, has the
    finding and its remedy (`[GC001] (reported by “Is the key set?”)`)."""
    m = _SKIPPED_FOR.match(reason)
    return f"{m.group(1)} ({m.group(2)}{m.group(3)})" if m else reason


def wrap(prefix: str, text: str, columns: int = COLUMNS, hang: int = 0) -> List[str]:
    """`prefix` + `text` in lines of at most `columns`, the text's continuation lines aligned under its start
    (or, with `hang`, that many columns further in). Nothing is cut: a word longer than the room left (a URL)
    is broken across lines."""
    indent = " " * (len(prefix) + hang)
    room = max(20, columns - len(indent))
    pieces = textwrap.wrap(text, width=room, break_long_words=True, break_on_hyphens=False) or [""]
    return [prefix + pieces[0]] + [indent + p for p in pieces[1:]]


def terminal_lines(records: List[CheckRecord], lang: str = "en") -> List[tuple]:
    """flutter-doctor style (mark, area name, text): one line per area, or one per failure and
    warning in it; skips summed per area. Each text is whole; the block wraps it (`wrap`)."""
    lines = []
    for st in area_states(records):
        name = st.name(lang)
        for r in st.failed:
            lines.append((MARKS["failed"], name, readable(_with_remedy(headline(r), r, lang))))
        for r in st.warned:
            lines.append((MARKS["warning"], name, readable(_with_remedy(headline(r, warning=True), r, lang))))
        reasons = [_skip_said(readable(reason)) for reason in st.skip_reasons()]
        because = (": " + reasons[0] + (f" (+{len(reasons) - 1})" if len(reasons) > 1 else "")) if reasons else ""
        if st.state == "passed":
            lines.append((MARKS["passed"], name, st.tally(lang)))
        elif st.state == "skipped":
            lines.append((MARKS["skipped"], name, st.tally(lang) + because))
        elif st.count("skipped"):  # beside a failure or warning: the skips, summed
            lines.append((MARKS["skipped"], name, say("area.state.skipped", lang, skipped=st.count("skipped"))
                          + because))
    return lines


def _with_remedy(text: str, r: CheckRecord, lang: str) -> str:
    remedy = r.remedy or (remedy_for(r.codes, lang) if r.codes else None)  # the situated one when known
    return f"{text}  → {remedy}" if remedy else text


def mode_line(mode: str, scenario: Optional[str], lang: str = "en") -> str:
    """The mode, said once: `MOCK run, scenario x: ...` or `LIVE run ...`."""
    return say("mode.mock", lang, scenario=scenario) if mode == "mock" else say("mode.live", lang)


WARNING_EVIDENCE_LINES = 5  # in pytest's warnings summary; the HTML report and the JSON have them all


def short_warning(formatted: str, source_line: str = "") -> str:
    """A GigacheckWarning as pytest formats it (`file:line: GigacheckWarning: [CODE] ...` and the statement
    that warned) shown as the finding: headline, cause, remedy, commands, the first evidence lines."""
    lines = formatted.split("GigacheckWarning: ", 1)[-1].rstrip("\n").splitlines()
    if lines and source_line.strip() and lines[-1].strip() == source_line.strip():
        lines.pop()
    if "Evidence:" in lines:
        at = lines.index("Evidence:") + 1
        more = len(lines) - at - WARNING_EVIDENCE_LINES
        if more > 0:
            lines = lines[:at + WARNING_EVIDENCE_LINES] + [f"  … {more} more (see the report)"]
    return "\n".join(lines)
