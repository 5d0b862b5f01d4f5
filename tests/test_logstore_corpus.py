"""The signatures on realistic rows, both ways, on every backend (SQLite, MariaDB, the log file):
a healthy busy site's day raises nothing; every sick row counts under its codes and no other.
Precision and recall are computed over the labelled rows (fixtures/logs/corpus-*.json)."""

import json
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from gigacheck.logs import file as logfile, signatures, sources, store as logstore
from gigacheck.logs.signatures import as_text

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "logs"
HEALTHY = json.loads((FIXTURES / "corpus-healthy.json").read_text(encoding="utf-8"))["rows"]
SICK = json.loads((FIXTURES / "corpus-sick.json").read_text(encoding="utf-8"))["rows"]
EVERY = 100_000  # a sample limit above the corpus: the samples then hold every counted row


def timed(rows, seed=8):
    """The rows spread over the last 23 hours, in a shuffled order of time."""
    rnd = random.Random(seed)
    return [(r["level"], r["message"], rnd.uniform(1, 23 * 60)) for r in rows]


def scores(found: dict, expected: dict):
    """found/expected: message -> set of codes. (precision, recall, false alarms, misses)."""
    tp = fp = fn = 0
    alarms, misses = [], []
    for message in set(found) | set(expected):
        got, want = found.get(message, set()), expected.get(message, set())
        tp, fp, fn = tp + len(got & want), fp + len(got - want), fn + len(want - got)
        alarms += [(c, message) for c in got - want]
        misses += [(c, message) for c in want - got]
    return (tp / (tp + fp) if tp + fp else 1.0), (tp / (tp + fn) if tp + fn else 1.0), alarms, misses


def found_rows(scan) -> dict:
    out: dict = {}
    for code, rows in scan.samples.items():
        if code != "LG018":
            for r in rows:
                out.setdefault(r.message, set()).add(code)
    return out


EXPECTED = {r["message"]: set(r["codes"]) for r in SICK}


def assert_perfect(scan, expected=EXPECTED):
    precision, recall, alarms, misses = scores(found_rows(scan), expected)
    assert (alarms, misses) == ([], [])
    assert (precision, recall) == (1.0, 1.0)


def test_the_corpus_is_big_and_labelled():
    assert len({r["message"] for r in HEALTHY}) >= 300 and len(SICK) >= 50
    assert {c for r in SICK for c in r["codes"]} == {s.code for s in signatures.SIGNATURES}


def test_the_python_matcher_on_the_corpus():
    found = {}
    for r in HEALTHY + SICK:
        codes = signatures.classify(r["level"], r["message"]).codes
        if codes:
            found[r["message"]] = set(codes)
    precision, recall, alarms, misses = scores(found, EXPECTED)
    assert (alarms, misses, precision, recall) == ([], [], 1.0, 1.0)


def test_a_healthy_busy_day_raises_nothing(log_db):
    scan = sources.open_database(log_db.make(timed(HEALTHY)))
    with scan as source:
        result = source.scan(logstore.Window.last(24), logstore.Filter(limit=EVERY))
    assert signatures.codes_summary(result.counts) == {code: 0 for code in signatures.CODES}
    assert result.rows == len(HEALTHY) and result.gigachat > 0 and result.saved > 0


@pytest.mark.parametrize("index", [False, True], ids=["no-index", "index"])
def test_every_sick_row_counts_under_its_codes_among_healthy_ones(log_db, index):
    with sources.open_database(log_db.make(timed(HEALTHY + SICK), index=index)) as source:
        result = source.scan(logstore.Window.last(24), logstore.Filter(limit=EVERY))
        shown = {r.message for r in source.rows(logstore.Window.last(24), logstore.Filter(limit=EVERY))}
        streamed = {r.message for r in source.stream(logstore.Window.last(24), logstore.Filter())}
    assert_perfect(result)
    assert set(EXPECTED) <= shown  # the viewer shows every row a check counts
    assert streamed == shown  # and its export (`--limit 0`) streams the same rows


def test_the_log_file_counts_the_corpus_the_same(tmp_path):
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    lines = sorted(timed(HEALTHY + SICK), key=lambda r: -r[2])
    text = "".join(f"{now - timedelta(minutes=m):%Y-%m-%d %H:%M:%S},000 - Asistent - {level} - {msg}\n"
                   for level, msg, m in lines)
    log = tmp_path / "app.log"
    log.write_text(text, encoding="utf-8")
    result = logfile.FileSource(str(log)).scan(logstore.Window.last(24), logstore.Filter(limit=EVERY))
    assert_perfect(result)


def variants(message: str):
    return {message, message.upper(), message.lower(), message.title(), message.swapcase()}


def test_the_prefilter_never_drops_a_row_the_matcher_counts(log_db):
    """Over the whole corpus in several casings: every row that shows a code is among the rows the
    database's prefilter hands to the pass, every row that shows a saved image among those of the
    saved-image search, every row the viewer may show among its rows, and the database counts the
    GigaChat rows as Python does."""
    rows = [(r["level"], m) for r in HEALTHY + SICK for m in variants(r["message"])]
    verdicts = {(level, m): signatures.classify(level, m) for level, m in rows}
    counted = {m for (level, m), v in verdicts.items() if v.codes}
    saved = {m for (level, m), v in verdicts.items() if v.saved}
    shown = {m for (level, m), v in verdicts.items() if v.topic}
    window = logstore.Window.last(24)
    with sources.open_database(log_db.make([(level, m, 5) for level, m in rows])) as source:
        info = source.table_info()
        _, gigachat, plan = source._plan(info, window)
        for kind, wanted in (("scan", counted), ("shown", shown)):
            picked = {as_text(r[3]) for r in source._candidates(info, plan, window, kind)[0]}
            assert len(wanted) > 250 and wanted <= picked, kind
            assert len(picked) < len({m for _, m in rows})  # it does filter
        cond, params = source._prefilter(info, "saved")
        found = {as_text(r[0]) for r in source._run(f"SELECT {source.quote(info.col('message').name)} FROM "
                                                    f"{source.quote(info.name)} WHERE {cond}", params)}
        assert len(saved) >= 20 and saved <= found and len(found) < len({m for _, m in rows})
        assert source._image_saved(info, plan, window) == 1
    assert gigachat == sum(v.gigachat for v in verdicts.values())


def test_matching_is_the_same_in_any_case():
    for r in SICK:
        for message in variants(r["message"]):
            assert set(signatures.classify(r["level"], message).codes) == set(r["codes"]), message


@pytest.mark.parametrize("search, written", [
    ("Ошибка сохранения", "ОШИБКИ СОХРАНЕНИЯ изображения: disk full"),
    ("Ошибка сохранения", "Ошибка при сохранении изображения"),
    ("Не удалось сгенерировать изображение", "не удалось сгенерировать изображения для подборки"),
    ("Нет <img> тега", "В ответе модели нет <img> тегов"),
    ("Таймаут", "Сработал таймаута при генерации"),
    ("Изображение сохранено", "изображения сохранены: 3"),
])
def test_the_viewer_finds_runbook_strings_in_any_word_form(log_db, search, written):
    url = log_db.make([("ERROR", written, 5), ("INFO", "GigaChat: ответ получен", 4)])
    with sources.open_database(url) as source:
        got = [r.message for r in source.rows(logstore.Window.last(24), logstore.Filter(search=search))]
    assert got == [written]


def test_a_literal_search_still_finds_punctuation_as_written():
    accepts = logstore.Filter(search="100%_done").accepts
    assert accepts("INFO", "task 100%_done ok") and not accepts("INFO", "task 100 done")
