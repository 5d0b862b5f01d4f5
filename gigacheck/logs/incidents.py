"""Verdicts over time: the rows of one failure code grouped into incidents (SPEC "Verdicts over time").

Plain data. Built from the scan (each code's row times, in the table's zone) and the success
evidence (success.py: the newest row of each kind of work succeeding), plus the live checks of
this run that passed:
- rows less than `GAP` apart belong to one incident (so two bursts of one code in a day are two);
- an incident is resolved when a success of a kind that resolves its code was logged after its last
  row, or when every live check covering that operation passed in this run; otherwise it is ongoing
  ("no success logged since"), traffic that stopped included;
- the scan only sees the window: an incident whose first row lies within `GAP` of the window's start
  may have begun before it, and says so (`before_window`); its first row is the window's first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from ..words import say
from .success import LIVE_NEEDS, resolving_kinds

GAP = timedelta(minutes=30)
ONGOING, RESOLVED = "ongoing", "resolved"


@dataclass(frozen=True)
class Times:
    """When one code's rows were logged: naive datetimes in the table's zone, any order."""
    code: str
    stamps: Tuple[datetime, ...]

    @classmethod
    def of(cls, code: str, stamps: Iterable[Optional[datetime]]) -> "Times":
        return cls(code, tuple(sorted(s for s in stamps if s is not None)))


@dataclass(frozen=True)
class Success:
    """The newest row of one kind of success: when, and the row as shown (for `resolved_by`)."""
    kind: str
    at: datetime
    line: str = ""


@dataclass(frozen=True)
class Incident:
    code: str
    first: datetime                # naive, in the table's zone
    last: datetime
    rows: int
    state: str = ONGOING
    resolved_by: Optional[str] = None   # "image saved 2026-12-07 04:05:00: <row>" | "live check <name> passed"
    resolved_at: Optional[datetime] = None
    before_window: bool = False    # its first row is within GAP of the window's start: it may have begun earlier
    tz: Optional[tzinfo] = field(default=None, compare=False)

    @property
    def ongoing(self) -> bool:
        return self.state == ONGOING

    def iso(self, when: Optional[datetime]) -> Optional[str]:
        if when is None:
            return None
        return (when.replace(tzinfo=self.tz) if self.tz is not None else when).isoformat(timespec="seconds")

    def as_json(self) -> dict:
        """SPEC's keys (`first_seen`, `last_seen`, `rows`, `state`, `resolved_by`) and a few more."""
        return {"code": self.code, "state": self.state, "first_seen": self.iso(self.first),
                "last_seen": self.iso(self.last), "rows": self.rows, "resolved_by": self.resolved_by,
                "resolved_at": self.iso(self.resolved_at), "before_window": self.before_window}


def group(times: Times, gap: timedelta = GAP) -> List[Tuple[datetime, datetime, int]]:
    """(first, last, rows) of each run of rows less than `gap` apart, oldest first."""
    out: List[List] = []
    for stamp in times.stamps:
        if out and stamp - out[-1][1] < gap:
            out[-1][1] = stamp
            out[-1][2] += 1
        else:
            out.append([stamp, stamp, 1])
    return [tuple(g) for g in out]


def build(all_times: Iterable[Times], successes: Mapping[str, Success], *, since: Optional[datetime] = None,
          live: Callable[[str], Optional[str]] = lambda code: None, tz: Optional[tzinfo] = None,
          gap: timedelta = GAP) -> List[Incident]:
    """Every code's incidents, oldest first. `successes`: kind -> the newest success of that kind;
    `live(code)`: the live check of this run whose pass resolves `code`, or None; `since`: the
    window's start (naive, the table's zone)."""
    out: List[Incident] = []
    for times in all_times:
        for first, last, n in group(times, gap):
            state, by, at = ONGOING, None, None
            after = [s for k in resolving_kinds(times.code) for s in [successes.get(k)] if s and s.at > last]
            if after:
                s = max(after, key=lambda s: s.at)  # the newest evidence that the work succeeds
                state, at = RESOLVED, s.at
                by = say(f"success.{s.kind}") + (f": {s.line}" if s.line else "")
            else:
                check = live(times.code)
                if check:
                    state, by = RESOLVED, say("success.live", check=check)
            out.append(Incident(times.code, first, last, n, state, by, at,
                                since is not None and first - since < gap, tz))
    out.sort(key=lambda i: (i.first, i.code))
    return out


def enough_for(all_times: Sequence[Times]) -> Callable[[Mapping[str, Success]], bool]:
    """Whether the successes found so far resolve every code's newest incident: then the older success rows
    cannot change any state (an older incident ends before the newest one's last row)."""
    last = {t.code: t.stamps[-1] for t in all_times if t.stamps}

    def enough(found: Mapping[str, Success]) -> bool:
        return all(any(k in found and found[k].at > at for k in resolving_kinds(code)) for code, at in last.items())
    return enough


def ongoing(incidents: Sequence[Incident], code: Optional[str] = None) -> List[Incident]:
    return [i for i in incidents if i.ongoing and (code is None or i.code == code)]


def live_resolver(passed: Callable[[str], Optional[Tuple[bool, str]]]) -> Callable[[str], Optional[str]]:
    """`live(code)` from `passed(question)` -> (all of that question's checks passed, one check's id), or
    None when it did not run: a code is resolved live when every kind it needs was checked and passed."""
    from .success import LIVE_KIND_CHECKS

    def live(code: str) -> Optional[str]:
        needs = LIVE_NEEDS.get(code)
        if not needs:
            return None
        names = []
        for kind in needs:
            for question in LIVE_KIND_CHECKS[kind]:
                outcome = passed(question)
                if outcome is None or not outcome[0]:
                    return None
                names.append(outcome[1])
        return ", ".join(names) if names else None
    return live


def hourly(all_times: Iterable[Times], start: datetime, hours: int) -> Dict[str, List[int]]:
    """code -> the rows of each hour of the window from `start` (the timeline's bars)."""
    out: Dict[str, List[int]] = {}
    for times in all_times:
        bins = [0] * max(1, hours)
        for stamp in times.stamps:
            i = int((stamp - start).total_seconds() // 3600)
            if 0 <= i < len(bins):
                bins[i] += 1
            elif i >= len(bins):
                bins[-1] += 1
        out[times.code] = bins
    return out
