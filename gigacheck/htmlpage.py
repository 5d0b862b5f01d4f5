"""The HTML report a person reads: verdict first, one line per area, each failure once as a card,
the generated picture in plain sight; then pytest-html's own table and the environment.

pytest-html renders the page; this module builds what gigacheck adds to it (the summary prefix,
the rows' log boxes) from the run's records, and sets the page's language when the file is written.
Plain helpers: the plugin's pytest-html hooks call them.
"""

from __future__ import annotations

import base64
import binascii
import html
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

from .diagnosis import CATALOG
from .report import (MARKS, VERDICT_MARKS, CheckRecord, area_states, counts_of, counts_text, headline,
                     mode_line, readable, verdict_of, verdict_text)
from .words import plural, say

NO_LOG = "No log output captured."  # pytest-html's placeholder for a row with no output

# Emoji that need a colour-emoji font (Unicode Emoji_Presentation, the BMP ones), and their text stand-ins;
# any other emoji shows as its code point. The site's own log rows use them (`❌ GigaChat error`).
_TEXT_FOR = {"\u274c": "✗", "\u274e": "✗", "\u2705": "✓", "\u26a0": "!", "\u2757": "!", "\u2755": "!",
             "\u2753": "?", "\u2754": "?", "\u2b50": "*", "\u23f3": "…", "\u231b": "…", "\ufe0f": ""}
_EMOJI_RE = re.compile("[\U0001F000-\U0001FAFF\u231a\u231b\u23e9-\u23ec\u23f0\u23f3\u25fd\u25fe\u2614\u2615"
                       "\u2648-\u2653\u267f\u2693\u26a0\u26a1\u26aa\u26ab\u26bd\u26be\u26c4\u26c5\u26ce\u26d4"
                       "\u26ea\u26f2\u26f3\u26f5\u26fa\u26fd\u2705\u270a\u270b\u2728\u274c\u274e\u2753-\u2755"
                       "\u2757\u2795-\u2797\u27b0\u27bf\u2b1b\u2b1c\u2b50\u2b55\ufe0f]")

COLOURS = {"failed": "#c62828", "warnings": "#f0a500", "passed": "#2e7d32", "nothing-checked": "#616161"}  # the banner, by verdict
MIN_PICTURE_PX = 192  # a 48x48 test picture is scaled up by whole steps, never stretched


def plain_glyphs(text: str) -> str:
    """Text any font can show: emoji become ✗ ✓ ! or their code point."""
    return _EMOJI_RE.sub(lambda m: _TEXT_FOR.get(m.group(0), f"[U+{ord(m.group(0)):04X}]"), text)


def _e(text) -> str:
    return html.escape(plain_glyphs(str(text)), quote=True)


@dataclass
class Picture:
    name: str
    mime: str
    data_b64: str

    @property
    def size(self) -> Optional[tuple]:
        from .gigachat.generation import sniff_image
        try:
            info = sniff_image(base64.b64decode(self.data_b64, validate=True))
        except (binascii.Error, ValueError):
            return None
        return (info.width, info.height) if info else None


def split_pictures(extras: list, scrub) -> tuple:
    """pytest-html extras -> (the pictures, as Picture; the other extras)."""
    pictures = [x for x in extras if isinstance(x, dict) and x.get("format_type") == "image"
                and isinstance(x.get("content"), str)]
    rest = [x for x in extras if x not in pictures]
    return [Picture(scrub(str(x.get("name") or "")), str(x.get("mime_type")), x["content"]) for x in pictures], rest


@dataclass
class PageFacts:
    """What the page says besides the records."""
    mode: str
    scenario: Optional[str]
    lang: str
    started_at: str
    hosts: Dict[str, str]
    notes: List[str] = field(default_factory=list)
    pictures: List[Picture] = field(default_factory=list)
    after: Optional[object] = None  # between.Outcome: what changed since the previous run, the history's lines
    why: str = ""  # why nothing was checked, when that is the verdict (report.nothing_checked_why)
    incidents: List[dict] = field(default_factory=list)  # timeline.incidents_json, scrubbed
    timeline: Optional[dict] = None                      # timeline.timeline_json


def title(mode: str, scenario: Optional[str], lang: str) -> str:
    return say("html.title", lang, mode=mode.upper()) + (f" ({scenario})" if scenario else "")


def prefix(records: List[CheckRecord], facts: PageFacts) -> str:
    """Everything gigacheck puts above pytest-html's table, in reading order."""
    return "".join([f"<style>{STYLE}</style>", banner(records, facts), since_last(facts),
                    areas(records, facts.lang),
                    cards(records, facts.lang), incidents(facts), pictures(facts), run_table(facts)])


def incidents(facts: PageFacts) -> str:
    """The log window's incidents: the SVG timeline and one line each (timeline.py)."""
    from .timeline import html_section
    return html_section(facts.incidents, facts.timeline, facts.lang, plain_glyphs)


def banner(records: List[CheckRecord], facts: PageFacts) -> str:
    verdict = verdict_of(records)
    mark = VERDICT_MARKS[verdict]
    notes = "".join(f"<p class='gc-note'>{_e(n)}</p>" for n in facts.notes)
    return (f"<div id='gigacheck-banner' class='gc-banner gc-{verdict}' data-verdict='{verdict}' "
            f"style='background:{COLOURS[verdict]}'>"
            f"<p class='gc-title'>{_e(say('html.heading', facts.lang))}</p>"
            f"<p class='gc-verdict'><span class='gc-mark'>{mark}</span> {_e(verdict_text(records, facts.lang, facts.why))}</p>"
            f"<p class='gc-mode'>{_mode_html(facts)}</p>"
            f"<p class='gc-counts'>{_e(counts_text(counts_of(records), facts.lang))}</p>{notes}</div>")


def since_last(facts: PageFacts) -> str:
    """What changed since the previous run (SPEC `changes`), and the history's warnings: one short block."""
    after = facts.after
    if after is None or not after.lines:
        return ""
    ch = after.changes
    items = "".join(f"<li class='gc-{'warning' if ln.kind == 'warning' else 'info'}'>{_e(ln.text)}</li>"
                    for ln in after.lines)
    data = " ".join(f"data-{k}='{_e(' '.join(ch[k]))}'" for k in ("new", "fixed"))
    return (f"<div id='gigacheck-changes' data-since='{_e(ch['since'] or '')}' "
            f"data-previous-verdict='{_e(ch['previous_verdict'] or '')}' {data}>"
            f"<h2>{_e(say('changes.heading', facts.lang))}</h2><ul class='gc-changes'>{items}</ul></div>")


def _mode_html(facts: PageFacts) -> str:
    """The mode line, its mode word (LIVE, MOCK) in bold: said once."""
    text = mode_line(facts.mode, facts.scenario, facts.lang)
    word = facts.mode.upper()
    if text.startswith(word):
        return f"<b>{word}</b>{_e(text[len(word):])}"
    return f"<b>{word}</b> · {_e(text)}"


def areas(records: List[CheckRecord], lang: str) -> str:
    items = []
    for st in area_states(records):
        codes = []
        for r in st.records:
            if r.outcome == "failed" or (r.warnings and r.outcome != "failed"):
                codes.extend(c for c in r.codes if c not in codes)
        detail = ""
        if st.state == "skipped" and st.skip_reasons():
            detail = f"<span class='gc-reason'>{_e(_clip(readable(st.skip_reasons()[0])))}</span>"
        items.append(f"<li class='gc-area gc-{st.state}' data-area='{_e(st.area)}'>"
                     f"<span class='gc-mark'>{MARKS[st.state]}</span> <b>{_e(st.name(lang))}</b> "
                     f"{' '.join(f'<code>{c}</code>' for c in codes)} <span>{_e(st.tally(lang))}</span>"
                     f"{' ' + detail if detail else ''}</li>")
    return (f"<div id='gigacheck-verdicts'><h2>{_e(say('html.areas', lang))}</h2>"
            f"<ul class='gc-areas'>{''.join(items)}</ul></div>")


def _clip(text: str, width: int = 300) -> str:
    """An area's line is one line: the full reason is in the check's row."""
    return text if len(text) <= width else text[:width - 1] + "…"


def cards(records: List[CheckRecord], lang: str) -> str:
    failed = [r for r in records if r.outcome == "failed"]
    warned = [r for r in records if r.warnings and r.outcome != "failed"]
    out = []
    if failed:
        out.append(f"<h2>{_e(say('html.failures', lang))}</h2>")
        out.extend(card(r, lang, "failed") for r in failed)
    if warned:
        out.append(f"<h2>{_e(say('html.warnings', lang))}</h2>")
        out.extend(card(r, lang, "warning") for r in warned)
    return f"<div id='gigacheck-cards'>{''.join(out)}</div>" if out else ""


def card(r: CheckRecord, lang: str, kind: str) -> str:
    """One failure (or warning): code, what is wrong, cause, remedy, commands, evidence."""
    head = headline(r, warning=kind == "warning")
    code = r.codes[0] if r.codes else ""
    if code and head.startswith(f"[{code}]"):
        head = head[len(code) + 2:].strip()
    rows = [("card.check", f"<code>{_e(r.id)}</code>")]
    entry = CATALOG.get(code)
    if entry is not None:
        text = entry.text(lang)  # the generic texts, where the finding did not say its own (a warning)
        cause, remedy = r.cause or text.cause, r.remedy or text.remedy
        commands = r.commands or list(entry.commands)
        rows += [("card.cause", _e(cause)), ("card.remedy", f"<b>{_e(remedy)}</b>")]
        if commands:
            rows.append(("card.commands", "".join(f"<pre>$ {_e(c)}</pre>" for c in commands)))
    dl = "".join(f"<dt>{_e(say(k, lang))}</dt><dd>{v}</dd>" for k, v in rows)
    evidence = ""
    if r.evidence:
        label = say("card.evidence", lang, lines=plural(len(r.evidence), "line", lang))
        evidence = (f"<details{' open' if kind == 'failed' else ''}><summary>{_e(label)}</summary>"
                    f"<pre class='gc-evidence'>{_e(chr(10).join(r.evidence))}</pre></details>")
    return (f"<section class='gc-card gc-{kind}' data-code='{_e(code)}'>"
            f"<h3><span class='gc-code'>{_e(code) or MARKS['failed']}</span> {_e(head)}</h3>"
            f"<dl>{dl}</dl>{evidence}</section>")


def pictures(facts: PageFacts) -> str:
    if not facts.pictures:
        return ""
    figs = []
    for p in facts.pictures:
        size = p.size
        attrs = ""
        if size:
            w, h = size
            scale = max(1, -(-MIN_PICTURE_PX // w))  # whole steps: the aspect ratio stays exact
            attrs = f" width='{w * scale}' height='{h * scale}'"
        figs.append(f"<figure class='gc-picture'><img src='data:{_e(p.mime)};base64,{p.data_b64}' "
                    f"alt='{_e(p.name)}'{attrs}><figcaption>{_e(p.name)}</figcaption></figure>")
    return f"<div id='gigacheck-pictures'><h2>{_e(say('html.picture', facts.lang))}</h2>{''.join(figs)}</div>"


def run_table(facts: PageFacts) -> str:
    rows = [(say("html.started", facts.lang), facts.started_at)] + list(facts.hosts.items())
    cells = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in rows)
    return f"<div id='gigacheck-run'><h2>{_e(say('html.run', facts.lang))}</h2><table>{cells}</table></div>"


def row_log(data: List[str], outcome: str, record: Optional[CheckRecord], lang: str) -> None:
    """pytest-html's log box of one row, in place: a failure shown as a card points there instead of
    repeating it; a skip reads `[CODE] reason (reported by ...)`; no placeholder box for an empty row."""
    if record is not None and outcome == "failed" and record.codes:
        data[:] = [_e(say("html.shown_above", lang, codes=", ".join(record.codes)))]
    elif record is not None and outcome == "skipped":
        data[:] = [_e(record.summary)] if record.summary else []
    elif data == [NO_LOG]:
        data.clear()
    else:
        data[:] = [plain_glyphs(d) for d in data]  # already escaped by pytest-html


def run_count(records: List[CheckRecord], lang: str, seconds: float) -> str:
    """pytest-html's `N tests took` line, counted as everywhere else (skips included)."""
    return say("counts.took", lang, counts=counts_text(counts_of(records), lang), seconds=f"{seconds:.1f}")


_RUN_COUNT_RE = re.compile(r'<p class="run-count">.*?</p>', re.S)


def finish_file(path: Path, lang: str, count_line: str) -> None:
    """What pytest-html's template leaves no hook for: the page's language and its run count."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return
    text = text.replace("<html>", f'<html lang="{lang}">', 1)
    text = _RUN_COUNT_RE.sub(lambda _: f'<p class="run-count">{_e(count_line)}</p>', text, count=1)
    path.write_text(text, encoding="utf-8")


# Verdict first: the summary (banner, areas, cards) leads, pytest-html's table follows, the environment
# after it. Long lines wrap everywhere, so a 1400 px window never scrolls sideways.
STYLE = """
body{display:flex;flex-direction:column;min-width:0;margin:8px 16px;color:#333;font-size:13px;
  overflow-wrap:anywhere}
body>*{order:5}
body>.summary{order:0;display:block}
body>#results-table{order:1}
body>#environment-header,body>#environment{order:2}
body>p{order:3}
#title{display:none}
.summary__data{flex:none}
.summary__data>h2,.summary__spacer{display:none}
.gc-banner{color:#fff;border-radius:6px;padding:10px 16px;margin:0 0 12px}
.gc-banner p{color:inherit;margin:4px 0}
.gc-banner.gc-warnings{color:#241a00}
.gc-title{font-size:15px;opacity:.9}
.gc-verdict{font-size:22px;font-weight:bold}
.gc-mode{font-size:15px}
.gc-note{font-weight:bold;text-decoration:underline}
.gc-areas{list-style:none;padding:0;margin:0 0 8px}
.gc-area{font-size:14px;padding:2px 0;color:#333}
.gc-area .gc-mark{display:inline-block;width:1.2em;font-weight:bold;text-align:center}
.gc-area.gc-passed .gc-mark{color:#2e7d32}.gc-area.gc-failed .gc-mark{color:#c62828}
.gc-area.gc-warning .gc-mark{color:#b07800}.gc-area.gc-skipped .gc-mark{color:#777}
.gc-reason{color:#666}
.gc-changes{list-style:none;padding:0;margin:0 0 8px;font-size:14px}.gc-changes .gc-warning{color:#b07800}
.gc-card{border:1px solid #ddd;border-left:6px solid #c62828;border-radius:4px;padding:6px 12px;margin:8px 0;
  color:#222}
.gc-card.gc-warning{border-left-color:#f0a500}
.gc-card h3{margin:4px 0 6px;font-size:15px}
.gc-code{font-family:monospace;background:#c62828;color:#fff;border-radius:3px;padding:1px 5px}
.gc-warning .gc-code{background:#f0a500;color:#241a00}
.gc-card dl{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:2px 12px;margin:0}
.gc-card dt{font-weight:bold;color:#555}.gc-card dd{margin:0}
.gc-card pre,.gc-evidence{white-space:pre-wrap;overflow-wrap:anywhere;margin:2px 0}
.gc-evidence{background:#f5f5f5;padding:6px;border-radius:3px;font-size:12px}
.gc-picture{margin:4px 0 12px}.gc-picture img{max-width:100%;height:auto;display:block;border:1px solid #ddd}
#gigacheck-run table td,#gigacheck-run table th{text-align:left;padding:1px 12px 1px 0;overflow-wrap:anywhere}
#results-table{table-layout:fixed}
#results-table td,#environment td,.extraHTML,.logwrapper .log{overflow-wrap:anywhere;word-break:break-word}
#results-table .col-result,#results-table th[data-column-type=result]{width:90px}
#results-table .col-code,#results-table th[data-column-type=code]{width:70px}
#results-table .col-duration,#results-table th[data-column-type=duration]{width:80px}
#results-table .col-links,#results-table th:last-child{width:60px}
.logwrapper:not(:has(.log)){display:none}
"""
