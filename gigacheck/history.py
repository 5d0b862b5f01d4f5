"""The runs a site's checks remember: an embedded SQLite file of each run's time, verdict, failing
codes and incidents, and what changed since the previous run.

Plain data and the stdlib `sqlite3`: no pytest here (the plugin and `python -m gigacheck history` use
it).  Only codes, verdicts, times and the incidents' SPEC fields are stored, never a finding's text, so no
secret can land in the file; the incidents' strings pass the run's redactor on the way in anyway.

Two runs at once (cron and a deploy) both land: WAL, a busy timeout, and one `BEGIN IMMEDIATE` transaction
that reads the previous run and appends this one, so each run's "previous" is exact.  A file that is
corrupt, locked past the timeout or not writable raises `HistoryError`, which the caller shows as a
warning line: a run is never failed or crashed by its memory.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Optional, Tuple

DEFAULT_PATH = "reports/gigacheck-history.sqlite3"
OFF = ("off", "none", "no", "false")   # `--history off`, ini `gigacheck_history = off`: nothing remembered
BUSY_TIMEOUT_S = 3.0                   # a run's append takes milliseconds: 3 s is another run, not a hang
SUCCESS = ("passed", "warnings")       # the verdicts that count as a working integration
INCIDENT_FIELDS = ("code", "state", "first_seen", "last_seen", "rows", "resolved_by")
SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at TEXT NOT NULL,          -- ISO-8601, UTC
    finished_at REAL NOT NULL,         -- unix seconds
    duration_s REAL NOT NULL,
    verdict TEXT NOT NULL,             -- passed, warnings, failed, nothing-checked
    mode TEXT NOT NULL,                -- live, mock
    scenario TEXT,
    codes TEXT NOT NULL,               -- JSON list: the codes of the failed checks
    incidents TEXT NOT NULL            -- JSON list of SPEC's incident objects
);
CREATE INDEX IF NOT EXISTS runs_by_mode ON runs (mode, id);
"""


class HistoryError(Exception):
    """The history file cannot be used; the message says why (for a warning line)."""


@dataclass(frozen=True)
class RunEntry:
    started_at: str
    verdict: str
    mode: str = "live"
    codes: Tuple[str, ...] = ()
    scenario: Optional[str] = None
    duration_s: float = 0.0
    finished_at: float = 0.0
    incidents: Tuple[dict, ...] = field(default=())

    def as_json(self) -> dict:
        """SPEC's shape of one run in `gigacheck history --json`."""
        return {"started_at": self.started_at, "verdict": self.verdict, "codes": list(self.codes),
                "mode": self.mode}

    @property
    def ongoing(self) -> Dict[str, int]:
        """code -> how many of its incidents are still ongoing."""
        counts: Dict[str, int] = {}
        for inc in self.incidents:
            if inc.get("state") == "ongoing" and inc.get("code"):
                counts[inc["code"]] = counts.get(inc["code"], 0) + 1
        return counts


@dataclass(frozen=True)
class Remembered:
    """What the history said of this run: the previous run of its mode, and its last success before it."""
    previous: Optional[RunEntry]
    last_success: Optional[float]  # unix seconds of the newest earlier run that passed (or only warned)
    first: bool = False            # the file held no run of this mode before
    previous_checked: Optional[str] = None  # the verdict of the newest earlier run that checked something


def failing_codes(records: Iterable) -> Tuple[str, ...]:
    """The codes of the failed checks (records with `outcome` and `codes`), each once, in catalog order."""
    seen: List[str] = []
    for r in records:
        if getattr(r, "outcome", None) == "failed":
            seen.extend(c for c in getattr(r, "codes", ()) if c not in seen)
    return tuple(sorted(seen, key=_code_order))


def _code_order(code: str) -> tuple:
    return (code[:2], int(code[2:]) if code[2:].isdigit() else 0, code)


def incidents_of(items, scrub: Callable[[str], str] = str) -> Tuple[dict, ...]:
    """SPEC's incident objects from whatever the run holds (dicts, dataclasses, objects with `as_json`);
    absent or unreadable: none.  Only SPEC's fields are kept, strings scrubbed."""
    out = []
    if isinstance(items, dict):  # keyed by (code, first_seen), as the run collects them
        items = list(items.values())
    for item in items or ():
        if not isinstance(item, dict):
            for name in ("as_json", "to_json", "as_dict", "to_dict"):
                if callable(getattr(item, name, None)):
                    item = getattr(item, name)()
                    break
            else:
                item = {k: getattr(item, k, None) for k in INCIDENT_FIELDS}
        if not isinstance(item, dict) or not item.get("code"):
            continue
        kept = {}
        for k in INCIDENT_FIELDS:
            v = item.get(k)
            if hasattr(v, "isoformat"):
                v = v.isoformat()
            kept[k] = v if isinstance(v, (int, float)) or v is None else scrub(str(v))
        if kept["resolved_by"] is not None:  # the kind of success only (`api: <the log row>`): no peer text kept
            kind = str(kept["resolved_by"]).split(":", 1)[0].strip()
            kept["resolved_by"] = kind if kind.replace("-", "").replace("_", "").isalnum() and len(kind) <= 32 \
                else "resolved"
        out.append(kept)
    return tuple(out)


def changes(previous: Optional[RunEntry], codes: Iterable[str], checked: Optional[Callable[[str], bool]] = None
            ) -> dict:
    """SPEC's `changes`: since when (the previous run's start), its verdict, the codes new in this run and
    the ones fixed since.  With no previous run every failing code is new.  `checked(code)`: whether this run
    looked where the code is found; a code it did not look at (`-m config` after a failing OAuth, the API
    checks skipped behind GC023) is not said fixed."""
    now = list(codes)
    before = list(previous.codes) if previous else []
    return {"since": previous.started_at if previous else None,
            "previous_verdict": previous.verdict if previous else None,
            "new": [c for c in now if c not in before],
            "fixed": [c for c in before if c not in now and (checked is None or checked(c))]}


def checked_by(records: Iterable, areas_of_codes: Dict[str, str]) -> Callable[[str], bool]:
    """`checked(code)` for `changes`: a check of the code's area (the catalog's) ran its body in this run."""
    ran = {getattr(r, "area", None) for r in records if getattr(r, "outcome", None) in ("passed", "failed")}
    return lambda code: areas_of_codes.get(code) in ran if code in areas_of_codes else True


# --- the file ---------------------------------------------------------------------------------------

def _why(exc: BaseException) -> str:
    if isinstance(exc, FileExistsError):  # mkdir of a folder that is a file
        text = f"not a directory: {exc.filename}"
    elif isinstance(exc, OSError) and exc.strerror:
        text = f"{exc.strerror}: {exc.filename}" if exc.filename else exc.strerror
    else:
        text = str(exc) or type(exc).__name__
    return text.splitlines()[0][:200]


def _connect(path: Path, timeout: float, create: bool) -> sqlite3.Connection:
    if create:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(path), timeout=timeout, isolation_level=None)
    else:  # reading never creates the file or its folder
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", timeout=timeout, isolation_level=None,
                               uri=True)
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
        if create:
            # WAL: a reader (`gigacheck history`) never blocks a run's append, and two appends wait for
            # each other instead of failing; the schema is created once, idempotently
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(SCHEMA)
        else:
            conn.execute("SELECT 1 FROM runs LIMIT 1")
    except BaseException:
        conn.close()
        raise
    return conn


def _entry(row) -> RunEntry:
    started_at, finished_at, duration_s, verdict, mode, scenario, codes, incidents = row
    try:
        codes_list = tuple(str(c) for c in json.loads(codes or "[]"))
    except ValueError:
        codes_list = ()
    try:
        incs = tuple(i for i in json.loads(incidents or "[]") if isinstance(i, dict))
    except ValueError:
        incs = ()
    return RunEntry(started_at=started_at, verdict=verdict, mode=mode, codes=codes_list, scenario=scenario,
                    duration_s=float(duration_s or 0), finished_at=float(finished_at or 0), incidents=incs)


COLUMNS = "started_at, finished_at, duration_s, verdict, mode, scenario, codes, incidents"


def record(path: Path, entry: RunEntry, timeout: Optional[float] = None) -> Remembered:
    """Append `entry`; return the run before it (of the same mode) and the last success before it."""
    timeout = BUSY_TIMEOUT_S if timeout is None else timeout
    try:
        conn = _connect(Path(path), timeout, create=True)
    except (sqlite3.Error, OSError) as exc:
        raise HistoryError(_why(exc)) from None
    try:
        conn.execute("BEGIN IMMEDIATE")
        row = conn.execute(f"SELECT {COLUMNS} FROM runs WHERE mode = ? ORDER BY id DESC LIMIT 1",
                           (entry.mode,)).fetchone()
        success = conn.execute("SELECT MAX(finished_at) FROM runs WHERE mode = ? AND verdict IN (?, ?)",
                               (entry.mode,) + SUCCESS).fetchone()
        checked = conn.execute("SELECT verdict FROM runs WHERE mode = ? AND verdict != 'nothing-checked' "
                               "ORDER BY id DESC LIMIT 1", (entry.mode,)).fetchone()
        conn.execute(f"INSERT INTO runs ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                     (entry.started_at, entry.finished_at, entry.duration_s, entry.verdict, entry.mode,
                      entry.scenario, json.dumps(list(entry.codes)),
                      json.dumps(list(entry.incidents), ensure_ascii=False)))
        conn.execute("COMMIT")
    except sqlite3.Error as exc:
        raise HistoryError(_why(exc)) from None
    finally:
        conn.close()
    return Remembered(previous=_entry(row) if row else None,
                      last_success=success[0] if success and success[0] is not None else None,
                      first=row is None, previous_checked=checked[0] if checked else None)


def runs(path: Path, limit: Optional[int] = None, timeout: Optional[float] = None) -> List[RunEntry]:
    """The runs in the file, newest first; a file that does not exist holds none."""
    timeout = BUSY_TIMEOUT_S if timeout is None else timeout
    path = Path(path)
    if not path.exists():
        return []
    try:
        conn = _connect(path, timeout, create=False)
    except (sqlite3.Error, OSError) as exc:
        raise HistoryError(_why(exc)) from None
    try:
        sql = f"SELECT {COLUMNS} FROM runs ORDER BY id DESC"
        if limit is not None and limit > 0:
            sql += f" LIMIT {int(limit)}"
        return [_entry(row) for row in conn.execute(sql)]
    except sqlite3.Error as exc:
        raise HistoryError(_why(exc)) from None
    finally:
        conn.close()


def resolve(option: Optional[str], ini: Optional[str], base: Path, ini_base: Path, mode: str) -> Optional[Path]:
    """Where this run is remembered, or None: `--history PATH` (from where pytest started) wins over ini
    `gigacheck_history` (from the ini file's folder); a live run defaults to DEFAULT_PATH, a mock run is
    remembered only where `--history` is given (SPEC: not the ini's), `off` remembers nothing."""
    chosen = ((option, base), (ini, ini_base)) if mode == "live" else ((option, base),)
    for value, root in chosen:
        if value is not None and str(value).strip():
            value = str(value).strip()
            if value.lower() in OFF:
                return None
            return Path(root, Path(value).expanduser())
    return Path(base, DEFAULT_PATH) if mode == "live" else None
