"""`--prometheus PATH`: the run as a node_exporter textfile (the text exposition format), for the
monitoring a site already has: node_exporter's `--collector.textfile.directory` reads every `*.prom`
file in a folder, which is how cron jobs feed Prometheus.

Every catalog code is present in `gigacheck_failures` (0 when not failing) and every log signature in
`gigacheck_incidents_ongoing`, so an alert on `gigacheck_failures{code="GC023"} > 0` never sees a series
appear and vanish.  The file is written atomically (a temporary file in the same folder, then
`os.replace`): node_exporter never reads half a file.  Plain data and the stdlib: no pytest here.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, Optional, Sequence

VERDICT_VALUES = {"passed": 0, "warnings": 1, "failed": 2, "nothing-checked": 3}  # SPEC's numbers


@dataclass
class Facts:
    verdict: str
    failures: Dict[str, int]          # code -> failed checks with it
    ongoing: Dict[str, int]           # code -> ongoing incidents
    finished_at: float                # unix seconds
    last_success: Optional[float]     # unix seconds; None: never (as far as anyone remembers)
    duration_s: float
    codes: Sequence[str] = field(default_factory=tuple)      # every code a failure may have
    log_codes: Sequence[str] = field(default_factory=tuple)  # every code an incident may have


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _number(value: float) -> str:
    return repr(float(value)) if not float(value).is_integer() else str(int(value))


def _family(lines, name: str, kind: str, help_text: str, samples: Iterable[tuple]) -> None:
    lines.append(f"# HELP {name} {help_text}")
    lines.append(f"# TYPE {name} {kind}")
    for labels, value in samples:
        shown = ",".join(f'{k}="{_label(v)}"' for k, v in labels)
        lines.append(f"{name}{{{shown}}} {_number(value)}" if shown else f"{name} {_number(value)}")


def textfile(facts: Facts) -> str:
    lines: list = []
    _family(lines, "gigacheck_verdict", "gauge",
            "Verdict of the last gigacheck run: 0 passed, 1 warnings, 2 failed, 3 nothing checked.",
            [((), VERDICT_VALUES.get(facts.verdict, 3))])
    codes = list(dict.fromkeys(list(facts.codes) + sorted(facts.failures)))
    _family(lines, "gigacheck_failures", "gauge",
            "Failed checks of the last gigacheck run, by diagnosis code (0: not failing).",
            [((("code", c),), facts.failures.get(c, 0)) for c in codes])
    log_codes = list(dict.fromkeys(list(facts.log_codes) + sorted(facts.ongoing)))
    _family(lines, "gigacheck_incidents_ongoing", "gauge",
            "Ongoing incidents in the site's log window at the last gigacheck run, by code.",
            [((("code", c),), facts.ongoing.get(c, 0)) for c in log_codes])
    _family(lines, "gigacheck_last_run_timestamp_seconds", "gauge",
            "When the last gigacheck run ended (unix time).", [((), round(facts.finished_at, 3))])
    _family(lines, "gigacheck_last_success_timestamp_seconds", "gauge",
            "When a gigacheck run last passed or only warned (unix time; 0: never).",
            [((), round(facts.last_success or 0, 3))])
    _family(lines, "gigacheck_run_duration_seconds", "gauge",
            "How long the last gigacheck run took.", [((), round(facts.duration_s, 3))])
    return "\n".join(lines) + "\n"


_LAST_SUCCESS_RE = re.compile(r"^gigacheck_last_success_timestamp_seconds\s+([0-9.eE+]+)\s*$", re.M)


def previous_success(path: Path) -> Optional[float]:
    """The last success the textfile already there says: a run without history still keeps it."""
    try:
        m = _LAST_SUCCESS_RE.search(Path(path).read_text(encoding="utf-8", errors="replace")[:1 << 20])
        value = float(m.group(1)) if m else 0.0
    except (OSError, ValueError):
        return None
    return value or None


def write_atomic(path: Path, text: str) -> None:
    """`text` at `path`, whole or not at all; readable by node_exporter's user (0644)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # a dot name without .prom: node_exporter skips the temporary file if it ever sees it
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=str(path.parent))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
