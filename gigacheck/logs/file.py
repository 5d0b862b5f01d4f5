"""The site's log file (GIGACHECK_LOG_FILE): records of Python logging's usual formats, read
from the window's start, or, when the window holds more than the scan limit, from its newest end:
the newest rows are the ones that say whether the site works now, so the oldest part is what goes
unread, and every output says so (the checks' evidence, a warning, the viewer's stderr)."""

from __future__ import annotations

import itertools
from dataclasses import replace
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator, List, Optional, Tuple

from ..diagnosis import Finding
from ..words import say
from .store import BISECT_SLACK, FILE_SUBJECT, Filter, Newest, Row, Scan, Tally, Window, parse_timestamp
from .signatures import VIEWER_TOPICS, Signature, classify, fold, normalize_level

_TS = r"(?P<ts>\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:[.,]\d{1,9})?(?:\s?(?:Z|[+-]\d{2}:?\d{2}))?)"
_LEVEL = r"(?P<level>DEBUG|INFO|WARNING|WARN|ERROR|CRITICAL|FATAL)"
_TS_AT = re.compile(rf"\[?{_TS}\]?[\s,|:-]*")
_LEVEL_AT = re.compile(rf"\[?{_LEVEL}\]?(?![\w])[\s:|-]*")
# `2024-05-01 12:00:00,123 - Asistent.views - ERROR - ...`, `[...] [1234] [ERROR] ...`
_NAME_LEVEL_AT = re.compile(rf"(?:[\w.\-]+\s*[-|:]|(?:\[[^\]]*\]\s*)+)\s*\[?{_LEVEL}\]?(?![\w])[\s:|-]*")
MAX_LINE = 4 << 20          # a longer line is read in pieces
MAX_MESSAGE = 1 << 20       # a record's message is kept up to this many characters
MAX_SCAN_BYTES = 512 << 20  # one pass reads at most this much of the file
BISECT_BYTES = 8 << 20      # files bigger than this are bisected to the window's start
BISECT_GRAIN = 64 << 10     # ... to within this many bytes
PROBE_BYTES = 1 << 20       # a bisection probe looks this far for a record's time
HEAD_BYTES = 512            # a record's head (time, level) lies in its line's first bytes


def parse_head(line: str) -> Optional[Tuple[Optional[str], str, str]]:
    """(timestamp text or None, level, message) when the line starts a record of one of
    Python logging's usual formats; None for a continuation line (traceback, HTML body)."""
    s = line.lstrip()
    stamp = level = None
    m = _TS_AT.match(s)
    if m:
        stamp, s = m.group("ts"), s[m.end():]
    m = _LEVEL_AT.match(s) or (_NAME_LEVEL_AT.match(s) if stamp else None)
    if m:
        level, s = m.group("level"), s[m.end():]
        if stamp is None:  # Django's verbose format: `ERROR 2024-05-01 12:00:00,123 views 123 456 msg`
            m = _TS_AT.match(s)
            if m:
                stamp, s = m.group("ts"), s[m.end():]
    if stamp is None and level is None:
        return None
    return stamp, normalize_level(level) if level else "", s


class FileSource:
    """GIGACHECK_LOG_FILE. Lines without a time of their own take the previous record's time,
    or the file's last modification when no line before them has one."""

    kind = "file"

    def __init__(self, path: str, hosts=None):
        from .success import DEFAULT_HOSTS
        self.hosts = hosts or DEFAULT_HOSTS  # whose httpx `200 OK` is GigaChat's (success.py)
        self.path = Path(path).expanduser()
        self.label = f"log file {path}"
        if not self.path.exists():
            raise Finding("LG001", say("logs.file_missing", path=path), subject=FILE_SUBJECT)
        if not self.path.is_file():
            raise Finding("LG001", say("logs.file_not_file", path=path), subject=FILE_SUBJECT)
        try:
            with open(self.path, "rb") as f:
                f.read(1)
        except OSError as exc:
            raise Finding("LG001", say("logs.file_unreadable", path=path, error=exc.strerror),
                          subject=FILE_SUBJECT) from None

    def start(self, window: Window) -> Tuple[int, bool]:
        """Where a pass over `window` starts reading: the window's start (bisected), or the later
        offset `size - MAX_SCAN_BYTES` (at a line's start) when the window holds more than the
        limit; and whether the limit cut the window."""
        size = self.path.stat().st_size
        with open(self.path, "rb") as f:
            start = self._seek(f, size, window.since_local - BISECT_SLACK, window.tz) if size > BISECT_BYTES else 0
            if size - start <= MAX_SCAN_BYTES:
                return start, False
            f.seek(size - MAX_SCAN_BYTES)
            f.readline(MAX_LINE)  # the rest of a line cut in two
            return f.tell(), True

    def limit_note(self, window: Window) -> Optional[str]:
        """The sentence every output carries when the scan limit cut the window, else None."""
        _, cut = self.start(window)
        return say("logs.file_newest", label=self.label, limit=MAX_SCAN_BYTES >> 20) if cut else None

    def _records(self, window: Window, notes: List[str]) -> Iterator[Tuple[int, Optional[datetime], str, str]]:
        tz = window.tz
        stat = self.path.stat()
        fallback = datetime.fromtimestamp(stat.st_mtime, timezone.utc).astimezone(tz).replace(tzinfo=None)
        start, cut = self.start(window)
        if cut:
            notes.append(say("logs.file_newest", label=self.label, limit=MAX_SCAN_BYTES >> 20))
        with open(self.path, "rb") as f:
            f.seek(start)
            current = None
            last_time = None
            read = 0
            skipping = start > 0  # the bisection may land inside a record: start at the next head
            for lineno in itertools.count(1):
                raw = f.readline(MAX_LINE)
                if not raw:
                    break
                read += len(raw)
                if raw[:1] == b"\0":  # a hole (a crash, a sparse file): the line begins after its NULs
                    raw = raw.lstrip(b"\0")
                if read > MAX_SCAN_BYTES + MAX_LINE:  # the file grew while it was read: the rest is newer still
                    notes.append(say("logs.file_grew", label=self.label, limit=MAX_SCAN_BYTES >> 20))
                    break
                if skipping and parse_head(raw[:HEAD_BYTES].decode("utf-8", "replace")) is None:
                    continue  # the rest of a record cut by the start (or a hole of NULs): not even decoded
                line = raw.decode("utf-8", "replace").rstrip("\r\n")
                head = parse_head(line)
                if head is None:
                    if current is not None:
                        if len(current[3]) < MAX_MESSAGE:
                            current[3] += "\n" + line
                        continue
                    head = (None, "", line)
                skipping = False
                if current is not None:
                    yield tuple(current)
                stamp = parse_timestamp(head[0], tz) if head[0] else None
                if stamp is not None:
                    last_time = stamp
                current = [lineno, stamp or last_time or fallback, head[1], head[2]]
            if current is not None:
                yield tuple(current)

    def _seek(self, f, size: int, target: datetime, tz) -> int:
        """The offset of a line at or before the first one written at `target` or later."""
        lo, hi = 0, size
        for _ in range(64):
            if hi - lo < BISECT_GRAIN:
                break
            mid = (lo + hi) // 2
            stamp = self._time_after(f, mid, tz)
            if stamp is None or stamp >= target:
                hi = mid
            else:
                lo = mid
        if lo == 0:
            return 0
        f.seek(lo)
        f.readline(MAX_LINE)
        return f.tell()

    @staticmethod
    def _time_after(f, offset: int, tz) -> Optional[datetime]:
        """The time of the first record after `offset`, looking at most 200 lines and PROBE_BYTES on (a
        hole of NULs, a huge HTML body): None when there is none, and the bisection then looks earlier."""
        f.seek(offset)
        budget = PROBE_BYTES - len(f.readline(min(MAX_LINE, PROBE_BYTES)))
        for _ in range(200):
            if budget <= 0:
                return None
            raw = f.readline(min(MAX_LINE, budget))
            if not raw:
                return None
            budget -= len(raw)
            head = parse_head(raw.lstrip(b"\0")[:HEAD_BYTES].decode("utf-8", "replace"))
            if head and head[0]:
                return parse_timestamp(head[0], tz)
        return None

    def _window_records(self, window: Window, notes: List[str]):
        since = window.since_local
        for key, stamp, level, message in self._records(window, notes):
            if stamp >= since:
                yield key, stamp, level, message

    def scan(self, window: Window, flt: Filter) -> Scan:
        from .success import kinds_of
        notes: List[str] = []
        tally = Tally(flt)
        found: dict = {}  # the success evidence of the same pass (successes()): a big file is read once
        for key, stamp, level, message in self._window_records(window, notes):
            tally.add(stamp, level, message, key)
            for kind in kinds_of(message, self.hosts):
                if kind not in found or stamp >= found[kind][0]:
                    found[kind] = (stamp, level, message)
        self._found = (window, found)
        plan = (f"file read from its newest {MAX_SCAN_BYTES >> 20} MB (the window holds more)" if notes
                else "file read from the window's start")
        scan = tally.scan(self.label, plan)
        scan.notes = notes
        return scan

    def successes(self, window: Window, hosts, wanted=None, enough=None) -> dict:
        """kind -> the newest record of the window showing that kind of work succeeding (success.py)."""
        from .incidents import Success
        from .success import kinds_of
        done = getattr(self, "_found", None)
        if done is not None and done[0] is window and hosts == self.hosts:
            found = done[1]
        else:
            found = {}
            for key, stamp, level, message in self._window_records(window, []):
                for kind in kinds_of(message, hosts):
                    if kind not in found or stamp >= found[kind][0]:
                        found[kind] = (stamp, level, message)
        return {kind: Success(kind, stamp, Row(stamp, level, message[:200], len(message)).line(200))
                for kind, (stamp, level, message) in found.items()}

    def rows(self, window: Window, flt: Filter, topics: Optional[Signature] = VIEWER_TOPICS) -> List[Row]:
        """The viewer's rows; `self.notes` then says what the pass could not read (the viewer's stderr)."""
        out = Newest(flt.limit)
        self.notes: List[str] = []
        for key, stamp, level, message in self._window_records(window, self.notes):
            if (topics is None or classify(level, message).topic) and flt.accepts(level, fold(message)):
                out.add(Row(stamp, level, message, len(message), key))
        return out.rows()

    def stream(self, window: Window, flt: Filter, topics: Optional[Signature] = VIEWER_TOPICS) -> Iterator[Row]:
        """The viewer's rows, every one of the window, newest first: the file's window is bounded by the
        scan limit already (MAX_SCAN_BYTES), so it is sorted here."""
        rows = self.rows(window, replace(flt, limit=1 << 62), topics)
        yield from rows

    def close(self) -> None:
        pass
