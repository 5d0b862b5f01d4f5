"""The report a person reads, looked at as a person would: in headless Chromium at 1400x900.

It opens on the verdict (a banner coloured by the outcome that also says the mode), one line per
area, each failure once; evidence wraps; the generated picture is in plain sight at its own aspect
ratio; no glyph needs an emoji font; the counts agree with the JSON; the page's words follow --lang.
"""

import json
import os
import re
from pathlib import Path

import pytest

from tests.support.canary import assert_no_leaks
from tests.support.fakegiga import OAUTH_PATH, ClosedPort, Reply
from tests.support.faultrun import base_env

COLOURS = {"failed": "rgb(198, 40, 40)", "warnings": "rgb(240, 165, 0)", "passed": "rgb(46, 125, 50)"}
SCREENSHOTS = os.environ.get("GIGACHECK_SCREENSHOTS")  # a folder to keep the screenshots in, to look at them

FACTS = r"""(() => {
  const box = (el) => { if (!el) return null; const r = el.getBoundingClientRect();
    return {top: r.top, bottom: r.bottom, width: r.width, height: r.height, shown: el.offsetParent !== null}; };
  const banner = document.getElementById('gigacheck-banner');
  const img = document.querySelector('#gigacheck-pictures img');
  return {
    lang: document.documentElement.lang, title: document.title,
    banner: box(banner), bannerColour: banner && getComputedStyle(banner).backgroundColor,
    bannerText: banner && banner.innerText,
    cards: [...document.querySelectorAll('.gc-card')].map((c) => ({code: c.dataset.code, ...box(c.querySelector('.gc-code'))})),
    areas: [...document.querySelectorAll('.gc-area')].map((a) => a.innerText),
    scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth,
    picture: img && {...box(img), naturalWidth: img.naturalWidth, naturalHeight: img.naturalHeight},
    filters: Object.fromEntries([...document.querySelectorAll('.filters span')].map((s) => [s.className,
      parseInt(s.textContent)])),
    runCount: document.querySelector('.run-count').innerText,
    rows: document.querySelectorAll('#results-table tbody.results-table-row').length,
    codeCells: Array.from(document.querySelectorAll('#results-table td.col-code')).map((e) => e.textContent.trim()),
    logs: [...document.querySelectorAll('#results-table tbody.results-table-row')].map((b) =>
      [b.className.replace('results-table-row', '').trim(), b.querySelector('.log')?.innerText ?? null]),
    environmentTop: document.getElementById('environment').getBoundingClientRect().top,
    text: document.body.innerText,
  };
})()"""

# Unicode Emoji_Presentation code points (the ones a page shows only with a colour-emoji font)
EMOJI = re.compile("[\U0001F000-\U0001FAFF\u231a\u231b\u23e9-\u23ec\u23f0\u23f3\u25fd\u25fe\u2614\u2615"
                   "\u2648-\u2653\u267f\u2693\u26a1\u26aa\u26ab\u26bd\u26be\u26c4\u26c5\u26ce\u26d4\u26ea"
                   "\u26f2\u26f3\u26f5\u26fa\u26fd\u2705\u270a\u270b\u2728\u274c\u274e\u2753-\u2755\u2757"
                   "\u2795-\u2797\u27b0\u27bf\u2b1b\u2b1c\u2b50\u2b55\ufe0f]")


def look(chromium, result, name):
    page = chromium.open(result.html_path)
    facts = page.evaluate(FACTS)
    folder = Path(SCREENSHOTS) if SCREENSHOTS else result.path
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(folder / f"{name}.png")
    assert page.errors == [], page.errors
    return facts


def assert_page_basics(facts, result):
    counts = result.json["counts"]
    assert facts["scrollWidth"] <= facts["innerWidth"], "the page scrolls sideways at 1400 px"
    assert facts["banner"]["top"] < 100, "the page does not open on the verdict"
    assert facts["bannerColour"] == COLOURS[result.json["verdict"]]
    assert facts["environmentTop"] > max([c["bottom"] for c in facts["cards"]] + [facts["banner"]["bottom"]])
    # the counts agree: pytest-html's filters, its run count, the rows and the JSON
    assert facts["filters"]["passed"] == counts["passed"] and facts["filters"]["failed"] == counts["failed"]
    assert facts["filters"]["skipped"] == counts["skipped"]
    assert facts["rows"] == len(result.json["checks"]) == counts["passed"] + counts["failed"] + counts["skipped"]
    assert facts["runCount"].startswith(f"{len(result.json['checks'])} checks: {counts['passed']} passed, "
                                        f"{counts['failed']} failed, {counts['skipped']} skipped")
    assert all(log != "No log output captured." for _, log in facts["logs"])
    assert not EMOJI.search(result.html), EMOJI.findall(result.html)[:5]
    assert "MOCK: MOCK" not in facts["text"] and "('/" not in facts["text"]


def test_a_failing_live_run_opens_on_its_failure(chromium, run_checks, fake_giga, giga_ca_file, canaries):
    # a long unbroken word in the peer's answer: the evidence must wrap, not widen the page
    fake_giga.on("POST", OAUTH_PATH, Reply(401, json={"code": 6, "message": "credentials doesn't match db data "
                                                      + "Q" * 3000}))
    with ClosedPort() as db:
        result = run_checks(env=base_env(fake_giga, giga_ca_file, canaries, db.port))
    assert result.ret == 1 and result.json["verdict"] == "failed" and result.json["mode"] == "live"
    facts = look(chromium, result, "failing-live")
    assert_page_basics(facts, result)
    assert "LIVE" in facts["bannerText"] and "MOCK" not in facts["bannerText"]
    failed = [c for c in result.checks if c["outcome"] == "failed"]
    assert [c["code"] for c in facts["cards"]] == [c["codes"][0] for c in failed]  # each failure once
    gc023 = [c for c in facts["cards"] if c["code"] == "GC023"]
    assert gc023 and gc023[0]["bottom"] <= 900, "the failing code is not on the first screen"
    # the card says it; the failed row's log box points there instead of saying it again
    failed_logs = [log for outcome, log in facts["logs"] if outcome == "failed"]
    assert len(failed_logs) == 2 and all("Shown above" in log and "Evidence" not in log for log in failed_logs)
    # skips read `[CODE] reason (reported by ...)`, never a Python tuple with a local path
    skipped = [c for c in result.checks if c["outcome"] == "skipped" and "GC023" in c["codes"]]
    skip_logs = [log for outcome, log in facts["logs"] if outcome == "skipped"]
    assert skipped and all(c["summary"] in skip_logs for c in skipped)
    assert str(result.path) not in "\n".join(log or "" for _, log in facts["logs"])
    assert_no_leaks([("html", result, dict(canaries.values(), issued=fake_giga.token))])


def test_a_passing_run_shows_the_picture_and_a_warning_turns_the_banner_amber(chromium, run_checks):
    result = run_checks("--mock", "--spend", "-m", "generation or config")
    assert result.ret == 0 and result.json["verdict"] == "passed"
    facts = look(chromium, result, "passing-spend")
    assert_page_basics(facts, result)
    assert facts["bannerText"].count("MOCK") == 1 and "healthy" in facts["bannerText"]
    pic = facts["picture"]
    assert pic and pic["shown"] and pic["top"] < 900 * 2, "the picture is hidden or far below"
    assert pic["naturalWidth"] > 0 and pic["width"] >= pic["naturalWidth"]
    assert abs(pic["width"] / pic["height"] - pic["naturalWidth"] / pic["naturalHeight"]) < 0.01

    warned = run_checks("--mock", "-m", "config", env={"GIGACHAT_VERIFY_SSL_CERTS": "false"})
    assert warned.json["verdict"] == "warnings"
    facts = look(chromium, warned, "warnings")
    assert_page_basics(facts, warned)
    assert [c["code"] for c in facts["cards"]] == ["GC011"]
    # the passed check that warned shows its code in the table too, as in its card and the JSON
    assert [c for c in facts["codeCells"] if c] == ["GC011"]
    assert [c["codes"] for c in warned.json["checks"] if c["codes"]] == [["GC011"]]


def test_a_russian_run_speaks_russian_in_the_page_and_the_terminal(run_checks):
    result = run_checks("--mock=expired-token", "--lang", "ru")
    if SCREENSHOTS:  # to look at: the Russian page in the browser
        with __import__("tests.support.browser", fromlist=["Chromium"]).Chromium() as browser:
            browser.open(result.html_path).screenshot(Path(SCREENSHOTS) / "russian.png")
    assert result.json["lang"] == "ru" and result.json["verdict"] == "failed"
    page = result.html
    assert '<html lang="ru">' in page
    assert "<title id=\"head-title\">Состояние GigaChat: MOCK (expired-token)</title>" in page
    for words in ("Есть ошибки: интеграцию нужно чинить", "сценарий expired-token", "Что проверено", "Что не так",
                  "Причина", "Что сделать", "Подробности", "настройки", "логи", "пройдено:"):
        assert words in page, words
    assert not EMOJI.search(page)  # the site's own `❌ GigaChat error` rows included
    assert "✗ GigaChat error" in page
    block = result.stdout[result.stdout.index("gigacheck MOCK (expired-token)"):]
    assert "Запросы к GigaChat (отвечал mock)" in block and "отчёт: reports/gigachat-health-mock-expired-token.html" \
        in block
    assert re.search(r"^ ✓ настройки +пройдено: \d+$", block, re.M), block
    assert re.search(r"^ ✗ API +\[GC031\]", block, re.M), block
