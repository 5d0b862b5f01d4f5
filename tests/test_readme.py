"""README stays true: its codes table (and docs/codes.md's) is the catalog's, and its Quickstart is two commands."""

import re

from gigacheck.diagnosis import CATALOG, compact_table, markdown_table
from tests.support.checksrun import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")
CODES_DOC = (REPO / "docs" / "codes.md").read_text(encoding="utf-8")
SPEC_CODES = [f"GC{n:03d}" for n in list(range(1, 15)) + list(range(20, 35)) + list(range(40, 46))] + \
    [f"LG{n:03d}" for n in list(range(1, 6)) + list(range(10, 23))]
# issue 12: the SDK's settings, other ways to authenticate, a stale preset token
SDK_CODES = ["GC015", "GC016", "GC035", "GC036", "GC037"]
# issue 9: a model name that looks like a secret; the fallback provider over plain http
REDACT_CODES = ["GC017", "GC046"]
# the logs branch: log ids that do not follow time, a query past its time limit
LOGS_CODES = ["LG006", "LG007"]
# issue 20: a request GigaChat refuses as invalid (its remedy is about the request, not the model order)
LIVE_CODES = ["GC047"]
# issue 18: the site's clock (rows dated ahead of now, stamps that are no date)
CLOCK_CODES = ["LG008", "LG009"]
# issue 22: an env-file line python-dotenv skips (the site never gets that value)
OUTPUTS_CODES = ["GC018"]  # a setting whose written value is never used
# issue 22 (hostile rows): a log file whose window is larger than the scan limit, read from its newest end
HOSTILE_CODES = ["LG023"]


def between(name, text=README):
    m = re.search(rf"<!-- {name}:start -->\n(.*?)<!-- {name}:end -->", text, re.S)
    assert m, f"lacks the {name} markers"
    return m.group(1).strip()


def test_codes_table_is_generated_from_the_catalog():
    # regenerate with: python -m gigacheck codes --readme README.md (README's compact table and docs/codes.md's)
    assert between("codes") == compact_table()
    assert compact_table().count("\n| GC") + compact_table().count("\n| LG") == len(CATALOG)


def test_the_codes_reference_is_generated_from_the_catalog():
    # the same command regenerates both languages' full tables in docs/codes.md
    assert between("codes-en", CODES_DOC) == markdown_table("en")
    assert between("codes-ru", CODES_DOC) == markdown_table("ru")
    assert markdown_table("ru").count("\n| GC") + markdown_table("ru").count("\n| LG") == len(CATALOG)


def test_russian_section_says_what_the_suite_is_and_has_the_quickstart():
    section = README.split("\n## По-русски\n", 1)[1].split("\n## ", 1)[0]
    assert "gigacheck — набор проверок" in section and "--lang ru" in section
    blocks = re.findall(r"```sh\n(.*?)```", section, re.S)
    quickstart = re.findall(r"```sh\n(.*?)```", README.split("## Quickstart", 1)[1].split("\n## ", 1)[0], re.S)
    assert blocks == quickstart


def test_catalog_has_exactly_the_spec_codes():
    assert sorted(CATALOG) == sorted(SPEC_CODES + REDACT_CODES + LOGS_CODES + SDK_CODES + LIVE_CODES + CLOCK_CODES +
                                     HOSTILE_CODES + OUTPUTS_CODES)
    for entry in CATALOG.values():
        assert entry.finding and entry.cause and entry.remedy
        assert entry.severity in ("fail", "warn")
    assert {c for c, e in CATALOG.items() if e.severity == "warn"} == {"GC011", "LG005", "LG018", "GC035", "LG023"}


def test_quickstart_is_two_commands():
    section = README.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, re.S)
    assert len(blocks) == 2 and all(len(b.strip().splitlines()) == 1 for b in blocks)
    assert "pytest checks/ --mock" in blocks[0] and "pytest tests/" in blocks[1]
    ci = (REPO / ".ci" / "run").read_text()
    assert "pytest tests/" in ci and "pytest checks/ --mock" in ci
    # CI runs the suite's own tests as README tells a newcomer to (two xdist workers included)
    tests_command = blocks[1].strip().rsplit("&& ", 1)[-1]
    assert tests_command.startswith("pytest tests/") and tests_command in ci, tests_command


def test_one_command_regenerates_readme_and_the_codes_reference(tmp_path, capsys):
    """`python -m gigacheck codes --readme README.md` (what land.sh and contributors run) rewrites README's
    compact table and docs/codes.md's full ones beside it; `--docs` the reference alone."""
    from gigacheck.__main__ import main
    (tmp_path / "docs").mkdir()
    readme, doc = tmp_path / "README.md", tmp_path / "docs" / "codes.md"
    readme.write_text("# x\n<!-- codes:start -->\nstale\n<!-- codes:end -->\ntail\n", encoding="utf-8")
    doc.write_text("<!-- codes-en:start -->\n<!-- codes-en:end -->\n## По-русски\n"
                   "<!-- codes-ru:start -->\nстарое\n<!-- codes-ru:end -->\n", encoding="utf-8")
    assert main(["codes", "--readme", str(readme)]) == 0
    assert between("codes", readme.read_text(encoding="utf-8")) == compact_table()
    assert readme.read_text(encoding="utf-8").endswith("<!-- codes:end -->\ntail\n")
    assert between("codes-en", doc.read_text(encoding="utf-8")) == markdown_table("en")
    assert between("codes-ru", doc.read_text(encoding="utf-8")) == markdown_table("ru")
    doc.write_text("no markers\n", encoding="utf-8")
    assert main(["codes", "--docs", str(doc)]) == 2
    assert "has no <!-- codes-en:start -->" in capsys.readouterr().err
    assert main(["codes", "--compact"]) == 0 and capsys.readouterr().out.strip() == compact_table()
