"""The run's findings as a person reads them, without a browser: the doctor block in the terminal,
the JSON built from scrubbed values, plural forms, the page's pieces."""

import json
import re

import pytest

from gigacheck.htmlpage import NO_LOG, plain_glyphs, row_log
from gigacheck.redact import Redactor
from gigacheck.report import CheckRecord, short_warning, summary_json, terminal_lines
from gigacheck.words import plural


@pytest.mark.parametrize("n, en, ru", [
    (0, "0 rows", "0 строк"), (1, "1 row", "1 строка"), (2, "2 rows", "2 строки"), (4, "4 rows", "4 строки"),
    (5, "5 rows", "5 строк"), (11, "11 rows", "11 строк"), (12, "12 rows", "12 строк"), (21, "21 rows", "21 строка"),
    (22, "22 rows", "22 строки"), (25, "25 rows", "25 строк"), (111, "111 rows", "111 строк"),
    (1001, "1001 rows", "1001 строка"),
])
def test_plural_forms(n, en, ru):
    assert plural(n, "row", "en") == en and plural(n, "row", "ru") == ru


def test_emoji_become_glyphs_every_font_has():
    assert plain_glyphs("❌ GigaChat error, ✅ ok, ⚠️ low") == "✗ GigaChat error, ✓ ok, ! low"
    assert plain_glyphs("🔥 hot") == "[U+1F525] hot"
    assert plain_glyphs("✓ ✗ ! ключ") == "✓ ✗ ! ключ"


def test_a_rows_log_box_never_repeats_a_card_nor_shows_a_tuple():
    failed = CheckRecord("checks/test_api.py::t", "failed", ["GC031"], "[GC031] API rejected")
    data = ["[GC031] API rejected\nCause: ...\nEvidence:\n  GET ..."]
    row_log(data, "failed", failed, "en")
    assert data == ["Shown above in “What is wrong”: GC031"]
    skipped = CheckRecord("checks/test_api.py::s", "skipped", ["GC031"], "[GC031] API rejected (reported by x)")
    data = ["('/home/op/site/checks/test_api.py', 19, 'Skipped: [GC031] API rejected (reported by x)')"]
    row_log(data, "skipped", skipped, "en")
    assert data == ["[GC031] API rejected (reported by x)"]
    data = [NO_LOG]
    row_log(data, "passed", CheckRecord("p"), "en")
    assert data == []
    data = ["----- Captured stdout call -----\n❌ x"]
    row_log(data, "passed", CheckRecord("p"), "en")
    assert data == ["----- Captured stdout call -----\n✗ x"]


def test_json_is_built_from_scrubbed_values():
    secret = "c2VjcmV0LWtleS0xMjM0NTY3ODkwYWJjZGVmZ2hpams6c2VjcmV0LXNlY3JldA=="
    redactor = Redactor()
    redactor.add(secret)
    records = [CheckRecord("checks/test_oauth.py::t", "failed", ["GC023"], f"[GC023] key {secret} rejected",
                           remedy="Create a new key", evidence=[f"Authorization: Basic {secret}", "body: {}"]),
               CheckRecord("checks/test_config.py::w", "passed", ["GC011"], "[GC011] off",
                           warnings=["[GC011] off"])]
    data = summary_json(records, mode="live", scenario=None, lang="ru", started_at="2026-01-01T00:00:00+00:00",
                        duration_s=1.23456, requests={"oauth": 1, "chat": 0, "files": 0}, scrub=redactor.scrub)
    text = json.dumps(data)
    assert secret not in text and secret[-4:] in text
    assert data["verdict"] == "failed" and data["lang"] == "ru"
    assert data["counts"] == {"passed": 1, "failed": 1, "skipped": 0, "warnings": 1}
    assert data["checks"][0]["evidence"][1] == "body: {}"
    records[0].outcome = "passed"
    assert summary_json(records, mode="live", scenario=None, lang="en", started_at="", duration_s=0,
                        requests={}, scrub=str)["verdict"] == "warnings"


def test_the_doctor_block_sums_skips_per_area():
    records = [CheckRecord(f"checks/test_api.py::s{i}", "skipped", ["GC023"], "[GC023] rejected (reported by o)",
                           area="api") for i in range(3)]
    records += [CheckRecord("checks/test_config.py::c", "passed", area="config"),
                CheckRecord("checks/test_oauth.py::o", "failed", ["GC023"], "[GC023] rejected", "New key",
                            area="oauth"),
                CheckRecord("checks/test_logs.py::f", "failed", ["LG001"], "[LG001] no log", area="logs")]
    records += [CheckRecord(f"checks/test_logs.py::s{i}", "skipped", ["LG001"], "[LG001] no log (reported by f)",
                            area="logs") for i in range(13)]
    assert terminal_lines(records, "en") == [("✓", "config", "1 passed"),
                                             ("✗", "oauth", "[GC023] rejected  → New key"),  # the situated one
                                             ("-", "api", "3 skipped: [GC023] rejected (reported by o)"),
                                             ("✗", "logs", "[LG001] no log  → " + _remedy("LG001")),  # whole
                                             ("-", "logs", "13 skipped: [LG001] no log (reported by f)")]
    assert terminal_lines(records, "ru")[0] == ("✓", "настройки", "пройдено: 1")


def _remedy(code):
    from gigacheck.diagnosis import CATALOG
    return CATALOG[code].remedy


def test_a_run_with_no_configuration_prints_a_short_terminal(run_checks):
    result = run_checks()
    assert result.ret == 1
    assert "SKIPPED" not in result.stdout  # no -ra: skips are summed per area in the block
    block = result.stdout[result.stdout.index("== gigacheck LIVE =="):]
    lines = block.splitlines()[1:-1]  # between the block's title and pytest's final line
    # remedies whole, wrapped at 100 columns; a skip for a reported cause names it by code and question;
    # 25: the history's line too
    assert len(lines) <= 25 and all(len(line) <= 100 for line in lines), lines
    assert re.search(r"^ - api +2 skipped: \[GC001\] \(reported by “Is the key set\?”\)$", block, re.M), block
    assert re.search(r"^ ✗ logs +\[LG001\](.*\n)+? - logs +\d+ skipped: \[LG001\]", block, re.M), block
    assert result.stdout.count("gigacheck: LIVE run") == 1 and "LIVE: LIVE" not in result.stdout
    assert lines[-1] == "report: reports/gigachat-health.html, report.json"


def test_a_mock_run_writes_its_own_report_unless_told(run_checks):
    result = run_checks("--mock=rate-limited", "-m", "config or api")
    assert result.html_path.name == "gigachat-health-mock-rate-limited.html" and "GC027" in result.html
    assert not (result.path / "reports" / "gigachat-health.html").exists()  # a live report would stay as it was
    told = run_checks("--mock=rate-limited", "-m", "config", "--html=out/mine.html")
    assert told.html_path == told.path / "out" / "mine.html" and "MOCK" in told.html


def test_a_warning_in_pytests_summary_is_the_finding_not_gigachecks_source_line():
    evidence = "\n".join(f"  row {i}" for i in range(12))
    formatted = ("/site/gigacheck/logs/questions.py:206: GigacheckWarning: [LG018] no image was saved\n"
                 "Cause: c\nRemedy: r\n  $ cmd\nEvidence:\n" + evidence + "\n"
                 "  warn(LG018, f\"{scan.gigachat} GigaChat entries\"\n")
    short = short_warning(formatted, '    warn(LG018, f"{scan.gigachat} GigaChat entries"\n')
    assert short.splitlines()[:4] == ["[LG018] no image was saved", "Cause: c", "Remedy: r", "  $ cmd"]
    assert "questions.py" not in short and "warn(" not in short
    assert short.splitlines()[-2:] == ["  row 4", "  … 7 more (see the report)"]
