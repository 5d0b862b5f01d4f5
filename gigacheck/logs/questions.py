"""What the log checks ask (`LogChecks`), each answer computed once per run.

Shared by the log checks' pytest wiring (`plugin`, the `log_window` fixture) and the viewer
(`python -m gigacheck logs`), so it imports no pytest at import time.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from dataclasses import replace
from typing import List, Optional

from . import clock, sources, sql, store
from ..diagnosis import Finding, skip_reason, statement, warn
from ..words import plural
from .options import LogOptions
from .incidents import Incident
from .signatures import BY_CODE, LG018
from ..words import count, say

EVIDENCE_WIDTH = 400        # characters of a message shown per evidence row


class Cached:
    """A value or the Finding that stood in its way, computed once; a Finding is raised again
    (a fresh copy) for every check that asks, and the plugin's dedup keeps one failure.
    A driver's surprise (any other exception) becomes `code` too: a coded failure, not a traceback."""

    def __init__(self, compute, code: str = "LG002", subject: str = store.DB_SUBJECT):
        self._compute = compute
        self._code, self._subject = code, subject
        self._done = False
        self._value = self._finding = None

    def get(self):
        if not self._done:
            try:
                self._value = self._compute()
            except Finding as f:
                self._finding = f
            except Exception as exc:
                self._finding = Finding(self._code, f"unexpected {type(exc).__name__}: {exc}", subject=self._subject)
            self._done = True
        if self._finding is not None:
            f = self._finding
            raise replace(f, evidence=tuple(f.evidence))  # a fresh copy, its situation kept
        return self._value

    def peek(self):
        """The value if it was computed and is not a Finding, else None (computes nothing)."""
        return self._value if self._done and self._finding is None else None


class LogChecks:
    """What the log checks ask, each answer computed once per run."""

    def __init__(self, settings, opts: LogOptions, mock_scenario: Optional[str] = None, fixtures_dir=None,
                 tmp_dir=None):
        self.settings = settings
        self.opts = opts
        self.mock_scenario = mock_scenario
        self.fixtures_dir = fixtures_dir
        self.tmp_dir = tmp_dir
        # a mock run is self-contained (SPEC): its log checks read the scenario's own rows in an embedded SQLite,
        # whatever DATABASE_URL, Django settings, log file, table or zone the environment or a site's .env names
        self.database_url = None if mock_scenario else settings.database_url
        self.log_file = None if mock_scenario else settings.log_file
        self.zone = clock.table_zone(settings)  # the zone, where it came from, whether it can be read (mock: UTC)
        self._tz = Cached(self._zone, "LG001", store.SETTINGS_SUBJECT)
        self._window = Cached(lambda: store.Window.last(opts.hours, self._tz.get()), "LG001",
                              store.SETTINGS_SUBJECT)
        self._db = Cached(self._open_database)
        self._info = Cached(lambda: self._db.get().table_info(), "LG003", store.TABLE_SUBJECT)
        self._file = Cached(lambda: sources.FileSource(self.log_file, self._hosts()) if self.log_file
                            else None, "LG001",
                            store.FILE_SUBJECT)
        self._scan = Cached(self._scan_all)
        self._clock = Cached(self._clock_all)
        self._incidents = Cached(self._build_incidents)
        self.explained_by = lambda code: None  # the check that already reported a cause of `code`
        # question -> (every check of that question passed, one check's id), or None when none ran: the live
        # checks of this run (the plugin's records), which resolve the incidents of the operation they cover
        self.live_passed = lambda question: None

    def _zone(self):
        if self.zone.problem is not None:
            raise self.zone.problem
        return self.zone.tz

    # -- sources --
    @property
    def db_configured(self) -> bool:
        return bool(self.database_url) or bool(self.mock_scenario)

    def _table(self) -> store.LogTable:
        try:
            return store.LogTable.of(None if self.mock_scenario else self.settings.log_table, self.opts.columns)
        except ValueError as exc:
            raise Finding("LG003", f"GIGACHECK_LOG_TABLE: {exc}", subject=store.TABLE_SUBJECT) from None

    def _open_database(self):
        url = self.database_url
        if url is None:
            if not self.mock_scenario:
                raise Finding("LG001", say("logs.no_source"),
                              subject=store.DB_SUBJECT)
            source = sources.open_database(self._embedded(), self._table(), self.opts.query_timeout)
            source.label = f"embedded SQLite of mock scenario {self.mock_scenario}"
            return source
        return sources.open_database(url.reveal(), self._table(), self.opts.query_timeout)

    def _embedded(self) -> str:
        """Mock mode without DATABASE_URL: the scenario's log rows in a fresh SQLite database."""
        base = self.fixtures_dir / "scenarios"
        path = base / self.mock_scenario / "logs.json"
        if not path.exists():
            path = base / "healthy" / "logs.json"
        rows = json.loads(path.read_text(encoding="utf-8"))
        rows = rows["rows"] if isinstance(rows, dict) else rows
        target = self.tmp_dir / f"mock-{self.mock_scenario}.sqlite3"
        if target.exists():
            target.unlink()
        sources.seed_sqlite(target, rows, self._table(), self._tz.get())
        return f"sqlite:///{target}"

    def database(self):
        if not self.db_configured and self.log_file:
            import pytest  # only a check gets here, and pytest runs it: the viewer never imports pytest
            pytest.skip(skip_reason("LG001", say("skip.logs_file_only")))
        return self._db.get()

    def close(self) -> None:
        for cached in (self._db, self._file):
            source = cached.peek()
            if source is not None:
                source.close()

    # -- the questions --
    def configured(self) -> None:
        """LG001: a log to read (DATABASE_URL understood, the mock's embedded database, or
        GIGACHECK_LOG_FILE readable), in a zone that exists."""
        self._tz.get()
        url = self.database_url
        if url is not None:
            store.parse_database_url(url.reveal())  # LG001 when it is not understood
        if self.log_file:
            note = self._file.get().limit_note(self.window)  # LG001 when it cannot be read
            if note:  # read, but not all of the window: said here too, so a green run says it
                warn("LG023", note)
        if url is None and not self.mock_scenario and not self.log_file:
            self._db.get()  # LG001: nothing to read at all

    def table_exists(self) -> None:
        self.database()
        try:
            self._info.get()
        except Finding as f:
            if f.code != "LG004":  # the table is there; its columns are the next check's question
                raise

    def table_info(self):
        self.database()
        return self._info.get()

    def index(self) -> None:
        info = self.table_info()
        if info.indexed:
            return
        if info.view:  # a view has no index of its own: the table under it is the place for one
            import pytest  # only a check gets here, as in database()
            pytest.skip(skip_reason("LG005", say("skip.view_no_index", table=info.name)))
        source = self._db.get()
        ts = info.col("timestamp").name
        ours = say("logs.ours_by_pk") if info.pk else say("logs.ours_scan")
        warn("LG005", say("logs.no_index", column=f"{info.name}.{ts}", ours=ours),
             evidence=[source.create_index_sql(info), self.index_field_line(ts),
                       "then: python manage.py makemigrations Asistent && python manage.py migrate Asistent"])

    def index_field_line(self, column: str) -> str:
        """The site's own field with db_index=True added (fieldline.py), never a field written anew."""
        from .fieldline import field_line
        env_file = self.settings.env_file
        line = field_line(column, [Path.cwd(), Path(env_file).absolute().parent if env_file else None])
        if line:
            return f"Django, Asistent/models.py, class SystemLog: {line}"
        return say("logs.index_field_generic", column=column)

    @property
    def window(self) -> store.Window:
        return self._window.get()

    def scan(self) -> store.Scan:
        return self._scan.get()

    def _sources(self):
        """The configured sources' getters: the table (also when nothing is configured: its check says so), the file."""
        if self.db_configured or not self.log_file:
            yield self.table_source
        if self.log_file:
            yield self.file_source

    def _scan_all(self) -> store.Scan:
        """Every source that can be read; a source that cannot is named, and its Finding raised
        when the others show nothing (its own check reports it)."""
        window = self.window
        scans, broken = [], []
        for source in self._sources():
            try:
                scans.append(source().scan(window, self.opts.filter))
            except Finding as f:
                broken.append(f)
        if not scans:
            raise broken[0]
        merged = store.Scan.merge(scans, self.opts.limit)
        merged.notes = merged.notes + [f"not read: {f.headline}" for f in broken]
        merged.broken = list(broken)
        return merged

    def table_source(self):
        """The database, once its log table has passed the table checks."""
        self._info.get()
        return self._db.get()

    def file_source(self):
        """GIGACHECK_LOG_FILE, or None when it is not set."""
        return self._file.get()

    # -- incidents (SPEC "Verdicts over time") --
    def incidents(self) -> List[Incident]:
        """Every code's incidents in the window, oldest first (incidents.py), computed once."""
        return self._incidents.get()

    def incidents_peek(self) -> Optional[List[Incident]]:
        """The incidents if they were computed (computes nothing): what a check's report carries."""
        return self._incidents.peek()

    def _build_incidents(self) -> List[Incident]:
        return self.incidents_of(self.scan())

    def incidents_of(self, scan: store.Scan) -> List[Incident]:
        """The incidents of a scan of this window (the viewer's summary passes its own)."""
        from .incidents import Times, build, enough_for, live_resolver
        from .success import resolving_kinds
        window = self.window
        times = [Times.of(code, stamps) for code, stamps in sorted(scan.times.items()) if stamps]
        wanted = {k for t in times for k in resolving_kinds(t.code)}
        successes = self._successes(window, wanted, enough_for(times)) if times else {}
        return build(times, successes, since=window.since_local, live=live_resolver(self.live_passed),
                     tz=window.tz)

    def _hosts(self):
        """GigaChat's hosts: whose httpx `200 OK` shows the work succeeding (success.py)."""
        from .success import hosts_of
        return hosts_of(self.settings.base_url, self.settings.auth_url)

    def _successes(self, window, wanted, enough=None) -> dict:
        """kind -> the newest success of that kind over the sources that could be read."""
        hosts = self._hosts()
        found: dict = {}
        for source in self._sources():
            try:
                got = source().successes(window, hosts, wanted, enough)
            except Finding:
                continue  # that source's own check reports it; no success read there
            for kind, s in got.items():
                if kind not in found or s.at > found[kind].at:
                    found[kind] = s
        return found

    # -- the site's clock (clock.py) --
    def _clock_all(self) -> clock.Clock:
        """Rows ahead of the window and stamps that are no date, in every source that can be read (one that
        cannot is its own check's failure)."""
        window = self.window
        try:
            self.scan()  # first: its plan found the window's first id, which the clock's probes start from
        except Finding:
            pass
        found, read = clock.Clock(), 0
        for source in self._sources():
            try:
                found.merge(source().clock(window))
                read += 1
            except Finding:
                continue
        if not read:
            self.scan()  # raises the Finding that stood in the way
        return found

    def rows_ahead(self) -> None:
        """LG008: the newest rows are dated after now + 5 min in the table's zone."""
        found = self._clock.get()
        if not found.ahead:
            return
        window = self.window
        fit = clock.suggestion(found.newest, window.now_local, window.tz)
        rows = plural(found.ahead, "row") if found.ahead < sql.CLOCK_ROWS else f"≥ {plural(found.ahead, 'row')}"
        detail = say("clock.ahead", rows=rows, zone=clock.zone_name(window.tz),
                     newest=f"{found.newest:%Y-%m-%d %H:%M:%S}", ahead=clock.ahead_text(fit["ahead"]))
        if fit["offset"]:
            zones = [z for z in (fit["zone"], fit["offset"]) if z]
            detail += "; " + say("clock.fits", ahead=clock.ahead_text(fit["ahead"]),
                                 zones=say("clock.or").join(zones))
        else:
            detail += "; " + say("clock.no_fit")
        raise Finding("LG008", detail, [self.zone.describe()] + found.ahead_rows, subject=store.TABLE_SUBJECT)

    def stamps_readable(self) -> None:
        """LG009: rows whose timestamp cannot be read as a date: counted, an example shown, never dropped silently."""
        found = self._clock.get()
        if not found.unreadable:
            return
        n = found.unreadable
        rows = plural(n, "row") if n < sql.CLOCK_ROWS else f"≥ {plural(n, 'row')}"
        example = found.unreadable_rows[0].split(" [", 1)[0] if found.unreadable_rows else "?"
        raise Finding("LG009", say("clock.unreadable", rows=rows, example=example), list(found.unreadable_rows),
                      subject=store.TABLE_SUBJECT)

    def signature(self, code: str) -> None:
        """A code's check fails only for an ongoing incident (rows above the threshold in it); resolved
        incidents fail nothing and are no warning: the run's summary lists them."""
        from .incidents import ongoing
        scan = self.scan()
        n = scan.counts.get(code, 0)
        limit = self.opts.thresholds.get(code, 0)
        if n > limit:
            incidents = [i for i in self.incidents() if i.code == code]
            going = ongoing(incidents)
            rows = sum(i.rows for i in going)
            if not incidents or rows > limit:  # (no incident: rows with no readable time, counted as before)
                if not self.settings.enable_gigachat:  # the site calls no GigaChat now: its log is history
                    import pytest  # only a check gets here, as in database()
                    pytest.skip(skip_reason("GC014", say("skip.logs_gigachat_off", code=code,
                                                         rows=count(n, "n.entries"))))
                detail = self._detail(n, limit) + (self._ongoing_detail(going, incidents) if incidents else "")
                situation, fields = situated(code, scan.samples.get(code, ()))
                raise Finding(code, detail, self.evidence(scan, code, n) + self._incident_lines(incidents),
                              situation=situation, fields=fields)
        for f in scan.broken:  # nothing found, but not everything could be read
            raise replace(f, evidence=tuple(f.evidence))  # a fresh copy, its situation kept

    def images_saved(self) -> None:
        scan = self.scan()
        n = scan.counts.get(LG018, 0)
        by = self.explained_by(LG018) if n > self.opts.thresholds.get(LG018, 0) else None
        if by:  # no image saved because GigaChat failed: that failure says it
            import pytest  # only a check gets here, as in database()
            try:
                pytest.skip(skip_reason(LG018, say("skip.reported_by", headline=statement(LG018), first=by)))
            except pytest.skip.Exception as skipped:
                skipped._use_item_location = True  # the check's location, not this line's
                raise
        if n > self.opts.thresholds.get(LG018, 0):
            warn(LG018, say("logs.no_image_saved", entries=count(scan.gigachat, "n.gigachat_entries"),
                            hours=f"{self.opts.hours:g}"), self.evidence(scan, LG018, n))
        for f in scan.broken:
            raise replace(f, evidence=tuple(f.evidence))  # a fresh copy, its situation kept

    def _ongoing_detail(self, going: List[Incident], incidents: List[Incident]) -> str:
        """`ongoing since <first row, table's zone>, N rows; no success logged since`."""
        first = going[0]
        resolved = len(incidents) - len(going)
        return say("logs.ongoing", since=f"{first.first:%Y-%m-%d %H:%M:%S}", zone=_zone_name(self.window.tz),
                   entries=count(sum(i.rows for i in going), "n.entries"), last=f"{going[-1].last:%Y-%m-%d %H:%M:%S}",
                   resolved=say("logs.ongoing.resolved", n=resolved) if resolved else "")

    def _incident_lines(self, incidents: List[Incident]) -> List[str]:
        from ..timeline import incident_line
        return [incident_line(i) for i in incidents]

    def _detail(self, n: int, limit: int) -> str:
        above = say("logs.threshold", limit=limit) if limit else ""
        return say("logs.entries", entries=count(n, "n.entries"), hours=f"{self.opts.hours:g}", above=above)

    def evidence(self, scan: store.Scan, code: str, n: int) -> List[str]:
        window = self.window
        rows = scan.samples.get(code, [])
        what = BY_CODE[code].describe() if code in BY_CODE else "`gigachat` (any level)"
        narrowed = []
        if self.opts.level:
            narrowed.append(f"level {self.opts.level} and above")
        if self.opts.search:
            narrowed.append(f"containing {self.opts.search!r}")
        head = (f"{scan.source}: {plural(n, 'row')} matching {what} since "
                f"{window.since_local:%Y-%m-%d %H:%M:%S} ({_zone_name(window.tz)}), newest first"
                + (f", shown: {', '.join(narrowed)}" if narrowed else ""))
        lines = [head] + [r.line(EVIDENCE_WIDTH) for r in rows]
        if not rows and narrowed:
            lines.append("(no row of these matches --level/--search)")
        elif n > len(rows):
            lines.append(f"… and {n - len(rows)} more (--limit {self.opts.limit})")
        lines += scan.notes
        return lines


# Where a connection failed, as the rows spell it: urllib3's `host='ngw...', port=9443`, a URL, `(host:port)`.
_HOST_PORT = (re.compile(r"host='([\w.-]+)',\s*port=(\d+)"),
              re.compile(r"https?://([\w-]+(?:\.[\w-]+)+)(?::(\d+))?"),
              re.compile(r"\b([a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}):(\d{2,5})\b", re.IGNORECASE))


def situated(code: str, rows) -> tuple:
    """(situation, fields) of a log finding whose remedy names what the rows show: LG022's host and port
    tried (the newest row that names one); ("", {}) otherwise."""
    if code != "LG022":
        return "", {}
    for row in rows:
        for rx in _HOST_PORT:
            m = rx.search(row.message)
            if m:
                return "host", {"host": m.group(1), "port": m.group(2) or "443"}
    return "", {}


def _zone_name(tz) -> str:
    return getattr(tz, "key", None) or str(tz)
