"""A log file larger than the scan limit is read from its newest end (issue 22): the pass starts at the
later of the window's start and the end minus the limit, and every output says the limit applied: the
checks' evidence, an LG023 warning on a green run, the viewer's stderr. The big file is sparse (a hole
of 600 MB, then real lines), so it costs no disk and little time."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from gigacheck.logs import file as logfile
from gigacheck.logs import viewer as logview
from gigacheck.logs.store import Filter, Window
from tests.support.checksrun import CHECKS
from tests.support.viewer import view

LOG_CHECKS = CHECKS / "test_logs.py"
NOW = datetime.now(timezone.utc).replace(microsecond=0)
HOLE = 600 << 20


def line(minutes_ago: float, level: str, message: str) -> str:
    """Python logging's usual format, as the site's LOGGING writes it (naive, UTC)."""
    stamp = (NOW - timedelta(minutes=minutes_ago)).replace(tzinfo=None)
    return f"{stamp:%Y-%m-%d %H:%M:%S},123 - Asistent.views - {level} - {message}\n"


OLD = [line(600, "INFO", "GigaChat: ответ получен"), line(590, "ERROR", "GigaChat error: Payment Required (402)")]
NEWEST_SICK = [line(30, "INFO", "GigaChat: ответ получен"),
               line(20, "INFO", "Изображение сохранено: media/a.jpg"),
               line(10, "ERROR", "❌ GigaChat error: 429 Too Many Requests")]  # the newest: still going on
NEWEST_HEALTHY = [line(30, "INFO", "GigaChat: ответ получен"), line(10, "INFO", "Изображение сохранено: media/a.jpg")]


def sparse_log(path, newest, oldest=OLD, hole: int = HOLE):
    """Old lines, a hole of `hole` bytes (NULs, no disk), then the newest lines: all in the window."""
    with open(path, "wb") as f:
        f.write("".join(oldest).encode("utf-8"))
        f.truncate(f.tell() + hole)
        f.seek(0, 2)
        f.write(b"\n" + "".join(newest).encode("utf-8"))
    return path


@pytest.fixture(scope="module")
def big_sick(tmp_path_factory):
    return sparse_log(tmp_path_factory.mktemp("big") / "app.log", NEWEST_SICK)


@pytest.fixture(scope="module")
def big_healthy(tmp_path_factory):
    return sparse_log(tmp_path_factory.mktemp("big") / "app.log", NEWEST_HEALTHY)


def test_the_pass_starts_at_the_end_minus_the_limit(big_sick):
    source = logfile.FileSource(str(big_sick))
    window = Window.last(24)
    start, cut = source.start(window)
    size = big_sick.stat().st_size
    assert cut and size - logfile.MAX_SCAN_BYTES <= start <= size - logfile.MAX_SCAN_BYTES + logfile.MAX_LINE
    scan = source.scan(window, Filter())
    assert scan.counts["LG014"] == 1 and scan.counts["LG015"] == 0  # the newest rows read, the oldest not
    assert any("newest 512 MB" in n for n in scan.notes) and "newest 512 MB" in scan.plan


def test_lines_written_right_after_a_hole_are_read(tmp_path, monkeypatch):
    # `truncate -s 600M app.log` then lines appended: the first one follows the NULs on the same "line"
    # (a smaller limit and hole: the same rule, a cheaper pass)
    monkeypatch.setattr(logfile, "MAX_SCAN_BYTES", 16 << 20)
    path = tmp_path / "app.log"
    with open(path, "wb") as f:
        f.truncate(24 << 20)
        f.seek(0, 2)
        f.write(line(5, "ERROR", "❌ GigaChat error: 429 Too Many Requests").encode("utf-8"))
    scan = logfile.FileSource(str(path)).scan(Window.last(24), Filter())
    assert scan.counts["LG014"] == 1 and scan.notes


def test_a_window_that_fits_starts_at_the_window_not_the_end(tmp_path, monkeypatch):
    # a small limit and hole, the same arithmetic: the window's start is the later bound here
    monkeypatch.setattr(logfile, "MAX_SCAN_BYTES", 64 << 20)
    path = sparse_log(tmp_path / "app.log", NEWEST_SICK, hole=32 << 20)
    source = logfile.FileSource(str(path))
    window = Window.last(24)
    start, cut = source.start(window)
    assert not cut and source.limit_note(window) is None
    scan = source.scan(window, Filter())
    assert scan.notes == [] and scan.counts["LG015"] == 1 and scan.counts["LG014"] == 1  # the whole window
    assert source.scan(Window.last(1), Filter()).counts["LG015"] == 0  # the old rows lie outside an hour


def test_the_checks_fail_on_the_newest_rows_and_the_evidence_says_the_limit(run_checks, big_sick):
    run = run_checks("-m", "logs", "-rA", env={"GIGACHECK_LOG_FILE": str(big_sick)}, checks=LOG_CHECKS)
    failed = run.failed()
    assert [codes for codes in failed.values()] == [["LG014"]], failed
    check = run.check("test_is_gigachat_not_rate_limiting_the_site")
    assert any("only its newest 512 MB were read" in e for e in check["evidence"])
    assert any("429 Too Many Requests" in e for e in check["evidence"])
    assert "LG023" in run.check("test_is_a_log_source_configured")["codes"]


def test_a_green_run_still_says_the_limit(run_checks, big_healthy, monkeypatch):
    monkeypatch.setattr(logfile, "MAX_SCAN_BYTES", 16 << 20)  # the same rule, a cheaper pass (in-process run)
    run = run_checks("-m", "logs", "-rA", env={"GIGACHECK_LOG_FILE": str(big_healthy)}, checks=LOG_CHECKS)
    assert run.failed() == {} and run.ret == 0
    configured = run.check("test_is_a_log_source_configured")
    assert configured["outcome"] == "passed" and configured["codes"] == ["LG023"]
    assert "only its newest 16 MB were read" in run.stdout
    assert "LG023" in run.html




def test_the_viewer_shows_the_newest_rows_and_says_the_limit_on_stderr(big_sick, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no ./.env of the developer's
    rc, out, err = view("--json", env={"GIGACHECK_LOG_FILE": str(big_sick)})
    assert rc == 0
    messages = [r["message"] for r in json.loads(out)]  # stdout stays JSON: the note goes to stderr
    assert "❌ GigaChat error: 429 Too Many Requests" in messages
    assert "GigaChat error: Payment Required (402)" not in messages
    assert "only its newest 512 MB were read" in err


def test_the_viewer_summary_says_the_limit_too(big_sick, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(logfile, "MAX_SCAN_BYTES", 16 << 20)  # the same rule, a cheaper pass
    rc, out, err = view("--summary", "--json", env={"GIGACHECK_LOG_FILE": str(big_sick)})
    assert rc == 0 and json.loads(out)["counts"]["LG014"] == 1
    assert "only its newest 16 MB were read" in err
