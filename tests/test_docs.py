"""README is the front door and docs/ the reference: every link lands, README stays short, and nothing the
old one-page README (and SPEC) told a user was dropped on the way to docs/."""

import re
import unicodedata
from pathlib import Path

import pytest

from tests.support.checksrun import FIXTURES, REPO

README = REPO / "README.md"
DOCS = REPO / "docs"
PAGES = [README] + sorted(DOCS.glob("*.md"))
README_MAX_BYTES = 15 * 1024  # issue 22: a newcomer finds the commands without scrolling past reference tables
# the reference pages this branch moved out of README: each keeps both languages
MOVED = ["codes", "configuration", "troubleshooting", "logs", "json", "django", "ci", "safety", "layout"]
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```.*?^```", re.M | re.S)


def text(page: Path) -> str:
    return page.read_text(encoding="utf-8")


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped (letters of any script, digits, `-`,
    `_` and spaces kept), spaces to `-`."""
    out = []
    for ch in heading.strip().lower():
        if ch == " ":
            out.append("-")
        elif ch in "-_" or unicodedata.category(ch)[0] in "LN":
            out.append(ch)
    return "".join(out)


def anchors(page: Path) -> set:
    seen, found = {}, set()
    for line in FENCE.sub("", text(page)).splitlines():
        m = re.match(r"#{1,6} (.+)", line)
        if not m:
            continue
        base = slug(m.group(1))
        n = seen.get(base, 0)
        seen[base] = n + 1
        found.add(base if n == 0 else f"{base}-{n}")
    return found


def links(page: Path):
    for target in LINK.findall(FENCE.sub("", text(page))):
        if re.match(r"[a-z]+:", target):  # https:, mailto: ... (no network here)
            continue
        yield target


def test_the_slug_is_githubs():
    assert slug("Prometheus: `--prometheus PATH`") == "prometheus---prometheus-path"
    assert slug("По-русски") == "по-русски"
    assert slug("The JSON summary (`--report-json PATH`)") == "the-json-summary---report-json-path"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(REPO).as_posix())
def test_every_relative_link_resolves_to_a_file_and_its_anchor(page):
    broken = []
    for target in links(page):
        path, _, anchor = target.partition("#")
        dest = (page.parent / path).resolve() if path else page
        if not dest.exists():
            broken.append(f"{target}: no such file")
        elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
            broken.append(f"{target}: no heading with that anchor in {dest.relative_to(REPO)}")
    assert not broken, f"{page.relative_to(REPO)}: " + "; ".join(broken)


def test_the_link_checker_sees_a_broken_link(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("# Top\n[ok](#top) [gone](missing.md) [bad anchor](#nowhere) `[code](x.md)`\n"
                    "```\n[in a fence](fenced.md)\n```\n", encoding="utf-8")
    assert list(links(page)) == ["#top", "missing.md", "#nowhere", "x.md"]
    assert anchors(page) == {"top"}


def test_readme_is_the_front_door():
    body = README.read_bytes()
    assert len(body) <= README_MAX_BYTES, f"README is {len(body)} bytes: move reference content to docs/"
    readme = text(README)
    for heading in ("## Quickstart", "## The commands people run", "## Inside the Django site", "## CI",
                    "## Verdicts over time", "## Scheduled runs", "## Diagnosis codes", "## Reference",
                    "## По-русски"):
        assert f"\n{heading}\n" in readme, heading
    reference = readme.split("\n## Reference\n", 1)[1].split("\n## ", 1)[0]
    for name in MOVED + ["live-client", "speed"]:
        assert f"](docs/{name}.md)" in reference, name


def test_readme_names_the_commands_people_run():
    readme = text(README)
    for command in ("pytest checks/ --env-file", "--spend", '-m "not logs"', "python -m gigacheck logs",
                    "manage.py view_gigachat_logs", "manage.py gigacheck", "manage.py check --deploy",
                    "--report-json", "--junitxml", "pytest --pyargs gigacheck.checks",
                    "curl -fsS -m 10 --retry 3 https://hc-ping.com/<uuid>/$?", "--history", "--prometheus",
                    "--notify"):
        assert command in readme, command
    # every mock scenario (a folder under fixtures/scenarios) is listed
    for scenario in sorted(p.name for p in (FIXTURES / "scenarios").iterdir() if p.is_dir()):
        assert f"`{scenario}`" in readme, scenario
    verdicts = readme.split("\n## Verdicts over time\n", 1)[1].split("\n## ", 1)[0]
    assert "resolved:" in verdicts and "ongoing since" in verdicts  # one example each (issue 18)


@pytest.mark.parametrize("name", MOVED)
def test_each_moved_page_has_both_languages(name):
    page = text(DOCS / f"{name}.md")
    assert page.startswith("# ") and "\n## По-русски\n" in page
    assert re.search(r"[а-яё]{4}", page.split("\n## По-русски\n", 1)[1])


# SPEC's variables, and the ones the old README added
VARIABLES = ["GIGACHAT_CREDENTIALS", "GIGACHAT_TOKEN", "GIGACHAT_ACCESS_TOKEN", "GIGACHAT_USER", "GIGACHAT_PASSWORD",
             "GIGACHAT_CERT_FILE", "GIGACHAT_KEY_FILE", "GIGACHAT_KEY_FILE_PASSWORD", "GIGACHAT_SCOPE",
             "GIGACHAT_AUTH_URL", "GIGACHAT_BASE_URL", "GIGACHAT_MODEL", "GIGACHAT_MODELS",
             "GIGACHAT_VERIFY_SSL_CERTS", "GIGACHAT_CA_BUNDLE_FILE", "GIGACHAT_TIMEOUT", "USE_MOCK_RESPONSES",
             "ENABLE_GIGACHAT", "DATABASE_URL", "GIGACHECK_LOG_TABLE", "GIGACHECK_LOG_TIMEZONE",
             "GIGACHECK_LOG_FILE", "PROXY_API_BASE_URL", "PROXY_API_KEY", "PROXY_API_MODEL",
             "GIGACHECK_MIN_BALANCE", "GIGACHECK_SDK_VERSION", "DJANGO_SETTINGS_MODULE", "GIGACHECK_NOTIFY",
             "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "HTTPS_PROXY"]


def test_every_variable_is_in_the_configuration_reference():
    config = text(DOCS / "configuration.md")
    table = config.split("## Environment variables", 1)[1].split("\n## ", 1)[0]
    missing = [v for v in VARIABLES if f"`{v}" not in config]
    assert not missing, f"docs/configuration.md lacks {missing}"
    for v in VARIABLES[:29]:  # the table holds every variable gigacheck itself reads
        assert f"`{v}`" in table, v


def registered(kind: str):
    pattern = re.compile(r'addoption\("(--[a-z-]+)"' if kind == "option" else r'addini\("([a-z_]+)"')
    for source in (REPO / "gigacheck").rglob("*.py"):
        yield from pattern.findall(source.read_text(encoding="utf-8"))


def test_every_option_and_ini_setting_the_plugin_registers_is_documented():
    corpus = "\n".join(text(p) for p in PAGES)
    options, inis = sorted(set(registered("option"))), sorted(set(registered("ini")))
    assert "--env-file" in options and "gigacheck_lang" in inis  # the scan itself works
    missing = [name for name in options + inis if f"`{name}" not in corpus]
    assert not missing, f"document {missing} in docs/configuration.md (README links it)"


def test_every_code_of_the_catalog_is_in_the_codes_reference_and_readme():
    from gigacheck.diagnosis import CATALOG
    codes, readme = text(DOCS / "codes.md"), text(README)
    for code, entry in CATALOG.items():
        assert f"| {code} |" in codes.split("## По-русски")[0] and f"| {code} |" in codes.split("## По-русски")[1]
        assert f"| {code} |" in readme
        assert entry.remedy.split(".")[0].replace("|", "\\|") in codes, code


def test_nothing_of_the_old_readme_was_dropped():
    """Phrases a user of the one-page README relied on, each still findable in README or docs/."""
    corpus = " ".join("\n".join(text(p) for p in PAGES).split())  # a phrase may wrap
    for phrase in ("gigacheck.GigacheckWarning", "--env-file /dev/null", "fixtures/env/example.env",
                   "russian_trusted_root_ca.pem", "gigacheck check --env-file .env", "--fail-level WARNING",
                   "gigacheck.E<nnn>", "gigacheck.W<nnn>", "postgresql://", "gigacheck[postgres]",
                   "uses: actions/upload-artifact@v4", "artifacts:", "`healthy`", "bench/bench_run.py",
                   "api.giga.chat/v1", "GC015", "GC046", "GC017", "`--limit 0`", "two halves on two connections",
                   "GET /balance", "Asistent.SystemLog", "`nothing-checked`", "\"requests\": {\"oauth\"",
                   "http.json", "RqUID", "certificate required"):
        assert phrase in corpus, phrase
