"""Verdicts over time (SPEC "Verdicts over time: incidents", issue 18): a code's rows grouped into
incidents, resolved by the site logging the same work succeeding after them or by a live check of the
run; only an ongoing incident fails its check. Units first (plain data), then runs of the checks on
SQLite and MariaDB, the viewer's summary, and the report's SVG timeline in headless Chromium."""

import json
import re
from datetime import datetime, timedelta, timezone

import pytest

from gigacheck.logs.incidents import GAP, Success, Times, build, group, live_resolver, ongoing
from gigacheck.logs.success import API, ANSWER, IMAGE, TOKEN, hosts_of, kinds_of
from gigacheck.timeline import describe, incidents_json, svg, terminal_lines

T0 = datetime(2026, 12, 7, 3, 0, 0)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def times(code, *minutes):
    return Times.of(code, [at(m) for m in minutes])


# --- success evidence: what the site, the SDK and httpx write when the work succeeds ---------------------

@pytest.mark.parametrize("message, kinds", [
    ("Изображение сохранено: media/ai_images/article_1842.jpg (размер: 142900 байт)", {IMAGE}),
    ("Изображения для статей 1-9 сохранены", {IMAGE}),
    ("GigaChat-Pro: ответ получен за 7.8 с, <img> тег найден", {ANSWER}),
    ("GigaChat: статья 1843 сгенерирована, токенов: 1874", {ANSWER}),
    ("GigaChat: получен токен доступа (scope GIGACHAT_API_PERS)", {TOKEN}),
    ('HTTP Request: POST https://gigachat.devices.sberbank.ru/api/v1/chat/completions "HTTP/1.1 200 OK"', {API}),
    ('HTTP Request: POST https://ngw.devices.sberbank.ru:9443/api/v2/oauth "HTTP/1.1 200 OK"', {TOKEN}),
    # not a success: another host, a failure status, a negation, a page of the site
    ('HTTP Request: GET https://example.org/api/v1/x "HTTP/1.1 200 OK"', set()),
    ('HTTP Request: POST https://gigachat.devices.sberbank.ru/api/v1/chat/completions "HTTP/1.1 429 Too Many '
     'Requests"', set()),
    ("Изображение не сохранено: диск полон", set()),
    ("GigaChat: ответ не получен за 30 с", set()),
    ("Не удалось сгенерировать изображение для статьи 1850", set()),
    ('"GET /articles/429/ HTTP/1.1" 200 402', set()),
])
def test_success_kinds_of_real_rows(message, kinds):
    assert set(kinds_of(message)) == kinds


def test_a_configured_host_counts_as_gigachat():
    row = 'HTTP Request: POST https://llm-gw.corp.local/api/v1/chat/completions "HTTP/1.1 200 OK"'
    assert kinds_of(row) == frozenset()
    assert kinds_of(row, hosts_of("https://llm-gw.corp.local/api/v1")) == {API}


# --- grouping and resolving ----------------------------------------------------------------------------------

def test_rows_less_than_30_minutes_apart_are_one_incident_two_bursts_are_two():
    assert group(times("LG014", 0, 5, 29, 58)) == [(at(0), at(58), 4)]
    got = group(times("LG014", 0, 10, 20, 600, 610))  # two incidents of one code in a day
    assert got == [(at(0), at(20), 3), (at(600), at(610), 2)]
    assert GAP == timedelta(minutes=30)


def test_success_after_the_incident_resolves_it():
    (inc,) = build([times("LG015", 10, 20, 40)], {IMAGE: Success(IMAGE, at(45), "Изображение сохранено: a.jpg")})
    assert (inc.state, inc.first, inc.last, inc.rows) == ("resolved", at(10), at(40), 3)
    assert inc.resolved_by == "image saved: Изображение сохранено: a.jpg" and inc.resolved_at == at(45)
    assert ongoing([inc]) == []


def test_no_success_after_the_incident_is_ongoing():
    (inc,) = build([times("LG015", 10, 20, 40)], {IMAGE: Success(IMAGE, at(30)), ANSWER: Success(ANSWER, at(5))})
    assert inc.state == "ongoing" and inc.resolved_by is None
    assert ongoing([inc], "LG015") == [inc]


def test_traffic_that_stopped_is_ongoing():
    """No rows at all since the incident: no success logged since, so it is not over."""
    (inc,) = build([times("LG013", 0, 3)], {})
    assert inc.ongoing


def test_a_success_of_another_kind_resolves_nothing():
    (inc,) = build([times("LG017", 0)], {ANSWER: Success(ANSWER, at(10)), API: Success(API, at(10))})
    assert inc.ongoing  # saving failed: only a saved image says saving works again


def test_two_incidents_of_one_code_one_resolved_one_ongoing():
    a, b = build([times("LG014", 0, 5, 600, 601)], {ANSWER: Success(ANSWER, at(300))})
    assert (a.state, a.first, a.last, a.rows) == ("resolved", at(0), at(5), 2)
    assert (b.state, b.first, b.last, b.rows) == ("ongoing", at(600), at(601), 2)


def test_an_incident_crossing_the_window_start_starts_at_the_window():
    since = at(0)
    first, later = build([times("LG014", 2, 9), times("LG013", 200)], {}, since=since)
    assert first.first == at(2) and first.before_window  # it may have begun before the window
    assert not later.before_window
    assert incidents_json([first])[0]["before_window"] is True


def test_live_checks_resolve_an_auth_incident():
    records = {"test_does_oauth_give_a_usable_token": (True, "checks/test_oauth.py::test_does_oauth_give_a_usable_token"),
               "test_does_the_models_list_answer_with_the_token": (True, "checks/test_api.py::test_models")}
    live = live_resolver(records.get)
    (inc,) = build([times("LG019", 0, 2)], {}, live=live)
    assert inc.state == "resolved" and "live check checks/test_oauth.py::" in inc.resolved_by
    # the OAuth check alone does not show that the API path works (`404 Not Found` is LG019 too)
    half = live_resolver({"test_does_oauth_give_a_usable_token": (True, "x")}.get)
    assert build([times("LG019", 0)], {}, live=half)[0].ongoing
    failed = live_resolver({**records, "test_does_oauth_give_a_usable_token": (False, "x")}.get)
    assert build([times("LG019", 0)], {}, live=failed)[0].ongoing


def test_json_keys_and_terminal_line():
    tz = timezone(timedelta(hours=3))
    inc = build([times("LG015", 10, 35, 62)], {ANSWER: Success(ANSWER, at(70), "ok")}, tz=tz)[0]
    data = incidents_json([inc])[0]
    assert {"code", "state", "first_seen", "last_seen", "rows", "resolved_by"} <= set(data)
    assert data["first_seen"] == "2026-12-07T03:10:00+03:00" and data["last_seen"] == "2026-12-07T04:02:00+03:00"
    (line,) = terminal_lines([data], "en")
    assert line[0] == "↺" and line[1] == "logs"
    assert line[2].startswith("[LG015] 402 / payment required / balance resolved: 03:10-04:02, 3 rows")
    assert "решено" not in describe(data, "ru") and "завершён: 03:10-04:02, 3 строки" in describe(data, "ru")


def test_the_svg_names_every_incident_and_has_no_script():
    incs = incidents_json(build([times("LG015", 10, 35, 62), times("LG014", 300)], {ANSWER: Success(ANSWER, at(70))}))
    timeline = {"start": at(-60).isoformat(), "end": at(23 * 60).isoformat(), "zone": "UTC",
                "hourly": [0, 1, 1, 0, 0, 1] + [0] * 18}
    drawn = svg(incs, timeline, "en")
    assert drawn.startswith("<svg") and "<script" not in drawn and "href" not in drawn
    titles = re.findall(r"<g class='gc-incident[^>]*><title>([^<]*)</title>", drawn)
    assert titles == ["LG015 resolved: 2026-12-07 03:10 - 2026-12-07 04:02, 3 rows",
                      "LG014 ongoing: 2026-12-07 08:00 - 2026-12-07 08:00, 1 row"]
    assert drawn.count("class='gc-hour'") == 3


# --- a site's day, read by the checks (SQLite and MariaDB), the viewer and the report ---------------------------

from tests.support.checksrun import CHECKS  # noqa: E402
from tests.test_logstore_corpus import HEALTHY  # noqa: E402  (the tricky healthy rows: numbers that are no status)

LOG_CHECKS = CHECKS / "test_logs.py"
NOW = datetime.now(timezone.utc).replace(microsecond=0)
HTTPX_OK = 'HTTP Request: POST https://gigachat.devices.sberbank.ru/api/v1/chat/completions "HTTP/1.1 200 OK"'
HTTPX_429 = ('HTTP Request: POST https://gigachat.devices.sberbank.ru/api/v1/chat/completions "HTTP/1.1 429 Too Many '
             'Requests"')


def busy_day(pauses=()):
    """A site's 24 h as the site, the SDK and httpx log it: an answer, an httpx 200 OK and, every third time,
    a saved image every 10 minutes (none inside a pause), and the suite's tricky healthy rows spread in."""
    rows = []
    for i, minutes in enumerate(range(5, 24 * 60 - 5, 10)):
        if any(lo <= minutes <= hi for lo, hi in pauses):
            continue
        rows += [("INFO", HTTPX_OK, minutes + 0.2), ("INFO", f"GigaChat-Pro: ответ получен за 7.{i % 10} с", minutes + 0.1)]
        if i % 3 == 0:
            rows.append(("INFO", f"Изображение сохранено: media/ai_images/article_{1000 + i}.jpg "
                                 f"(размер: {140000 + i} байт)", minutes))
        if i % 6 == 0:
            rows.append(("INFO", "GigaChat: получен токен доступа (scope GIGACHAT_API_PERS)", minutes + 0.3))
    rows += [(r["level"], r["message"], 3 + (n * 7.3) % (23 * 60)) for n, r in enumerate(HEALTHY)]
    return rows


def burst(level, messages, start, end, every=1.0):
    """Rows from `start` to `end` minutes ago, one every `every` minutes, cycling through `messages`."""
    out, minutes, n = [], float(start), 0
    while minutes >= end:
        out.append((level, messages[n % len(messages)], minutes))
        minutes -= every
        n += 1
    return out


# three incidents, each followed by successes: a 429 burst 20 h ago, timeouts 6 h ago, a 402 3 h ago
RATE = burst("ERROR", ["❌ GigaChat error: 429 Too Many Requests", HTTPX_429], 20 * 60, 20 * 60 - 29)
TIMEOUTS = burst("WARNING", ["GigaChat: Таймаут ответа (30 с)", "httpx.ReadTimeout: The read operation timed out"],
                 6 * 60, 6 * 60 - 20, every=2)
PAYMENT = burst("ERROR", ["❌ GigaChat error: GigaChat-Pro: 402 Payment Required",
                          "GigaChat-Pro: закончился баланс токенов"], 3 * 60, 3 * 60 - 15)
PAUSES = [(20 * 60 - 30, 20 * 60 + 1), (6 * 60 - 21, 6 * 60 + 1), (3 * 60 - 16, 3 * 60 + 1)]
EXPECTED = [("LG014", 20 * 60, 20 * 60 - 29, len(RATE)), ("LG013", 6 * 60, 6 * 60 - 20, len(TIMEOUTS)),
            ("LG015", 3 * 60, 3 * 60 - 15, len(PAYMENT))]


def minutes_ago(iso: str) -> float:
    return (NOW - datetime.fromisoformat(iso)).total_seconds() / 60


def assert_listed(incidents, expected, state="resolved"):
    got = [i for i in incidents if i["code"] == expected[0]]
    assert len(got) == 1, incidents
    inc = got[0]
    assert inc["state"] == state and inc["rows"] == expected[3], inc
    assert abs(minutes_ago(inc["first_seen"]) - expected[1]) < 3 and abs(minutes_ago(inc["last_seen"]) - expected[2]) < 3
    return inc


@pytest.fixture
def recovered(log_db):
    return log_db.make(busy_day(PAUSES) + RATE + TIMEOUTS + PAYMENT, index=True, now=NOW)


def test_a_recovered_site_is_green_and_lists_each_incident_resolved(run_checks, recovered):
    run = run_checks(checks=LOG_CHECKS, env={"DATABASE_URL": recovered})
    assert run.failed() == {} and run.ret == 0, run.stdout[-3000:]
    assert run.json["counts"]["warnings"] == 0 and run.json["verdict"] == "passed"
    incidents = run.json["incidents"]
    assert [i["code"] for i in incidents] == ["LG014", "LG013", "LG015"]  # oldest first
    for expected in EXPECTED:
        inc = assert_listed(incidents, expected)
        assert inc["resolved_by"] and minutes_ago(inc["resolved_at"]) < expected[2]
        # its own line in the terminal summary, with its first and last row
        first, last = (datetime.fromisoformat(inc[k]) for k in ("first_seen", "last_seen"))
        assert re.search(rf"↺ logs +\[{expected[0]}\] .* resolved: {first:%H:%M}-{last:%H:%M}, {inc['rows']} rows",
                         run.stdout), run.stdout[-2000:]


def test_the_same_site_with_a_402_still_going_fails_lg015_alone(run_checks, log_db):
    going = burst("ERROR", ["❌ GigaChat error: GigaChat-Pro: 402 Payment Required"], 40, 1, every=1.5)
    url = log_db.make(busy_day(PAUSES + [(0, 41)]) + RATE + TIMEOUTS + going, index=True, now=NOW)
    run = run_checks(checks=LOG_CHECKS, env={"DATABASE_URL": url})
    assert run.failed() == {"checks/test_logs.py::test_do_the_models_have_tokens_left": ["LG015"]}, run.stdout[-3000:]
    check = run.check("test_do_the_models_have_tokens_left")
    first = datetime.fromisoformat([i for i in run.json["incidents"] if i["code"] == "LG015"][0]["first_seen"])
    assert f"ongoing since {first:%Y-%m-%d %H:%M:%S} (UTC): {len(going)} entries, no success logged since" in \
        check["summary"]
    assert_listed(run.json["incidents"], ("LG015", 40, 1, len(going)), state="ongoing")
    for expected in EXPECTED[:2]:
        assert_listed(run.json["incidents"], expected)
    # the viewer's summary lists the same incidents
    from tests.test_logview import view
    rc, out, _ = view("--summary", "--json", env={"DATABASE_URL": url})
    assert rc == 0
    listed = json.loads(out)["incidents"]
    strip = lambda incs: [(i["code"], i["state"], i["first_seen"], i["last_seen"], i["rows"]) for i in incs]  # noqa
    assert strip(listed) == strip(run.json["incidents"])
    rc, text, _ = view("--summary", env={"DATABASE_URL": url})
    assert re.search(rf"✗ \[LG015\] 402 .* ongoing: .*, {len(going)} rows", text)
    assert len(re.findall(r"↺ \[LG01[34]\] .* resolved", text)) == 2


def test_a_healthy_busy_site_has_no_incident(run_checks, log_db):
    url = log_db.make(busy_day(), index=True, now=NOW)
    run = run_checks(checks=LOG_CHECKS, env={"DATABASE_URL": url})
    assert run.failed() == {} and run.json["incidents"] == [] and run.json["counts"]["warnings"] == 0


def test_gigachat_turned_off_the_log_checks_do_not_fail_on_history(run_checks, tmp_path):
    from tests.support.mariadb import LogDB
    going = burst("ERROR", ["❌ GigaChat error: 429 Too Many Requests"], 40, 1, every=2)  # nothing succeeded since
    url = LogDB("sqlite", tmp_path).make(busy_day([(0, 41)]) + going, index=True)
    run = run_checks(checks=LOG_CHECKS, env={"DATABASE_URL": url, "ENABLE_GIGACHAT": "false"})
    assert run.failed() == {}, run.stdout[-3000:]
    skipped = run.check("test_is_gigachat_not_rate_limiting_the_site")
    assert skipped["outcome"] == "skipped" and skipped["codes"] == ["GC014"]
    assert "ENABLE_GIGACHAT=false" in skipped["summary"] and "history" in skipped["summary"]
    on = run_checks(checks=LOG_CHECKS, env={"DATABASE_URL": url, "ENABLE_GIGACHAT": "true"})  # on: ongoing
    assert on.failed() == {"checks/test_logs.py::test_is_gigachat_not_rate_limiting_the_site": ["LG014"]}


def test_the_live_checks_resolve_an_auth_incident(run_checks, tmp_path, fake_giga, giga_ca_file, canaries):
    """The site could not get a token an hour ago and logged nothing since; this run's OAuth and models
    checks pass (the local fake GigaChat answers; a mock run would read only its scenario's rows, SPEC):
    the incident is resolved by them."""
    from tests.support.faultrun import base_env
    from tests.support.mariadb import LogDB
    rows = [("ERROR", '❌ GigaChat error: OAuth failed with status 401: {"code": 6}', 62),
            ("WARNING", "GigaChat: No access token available, запрос пропущен", 61),
            ("INFO", "Изображение сохранено: media/a.jpg", 200)]
    url = LogDB("sqlite", tmp_path).make(rows, index=True)
    logs_only = run_checks(checks=LOG_CHECKS, env={"DATABASE_URL": url})
    assert "LG019" in [c for codes in logs_only.failed().values() for c in codes]  # no live check: ongoing
    run = run_checks("-m", "oauth or api or logs", env=dict(base_env(fake_giga, giga_ca_file, canaries, 9),
                                                           DATABASE_URL=url))
    assert run.failed() == {}, run.stdout[-3000:]
    (inc,) = [i for i in run.json["incidents"] if i["code"] == "LG019"]
    assert inc["state"] == "resolved" and inc["resolved_by"].startswith("live check ")
    assert "test_does_oauth_give_a_usable_token" in inc["resolved_by"]


def test_the_report_draws_the_timeline(chromium, run_checks, tmp_path):
    """The SVG in the report, seen in headless Chromium: visible, within the page width, every incident named
    (the page is the same whatever the backend: SQLite)."""
    from tests.support.mariadb import LogDB
    recovered = LogDB("sqlite", tmp_path).make(busy_day(PAUSES) + RATE + TIMEOUTS + PAYMENT, index=True, now=NOW)
    for lang, word in (("en", "resolved"), ("ru", "завершён")):
        run = run_checks("--lang", lang, checks=LOG_CHECKS, env={"DATABASE_URL": recovered})
        html = run.html
        assert "<script" not in html.split("gigacheck-timeline-svg", 1)[1].split("</svg>", 1)[0]
        page = chromium.open(run.html_path)
        facts = page.evaluate(SVG_FACTS)
        assert page.errors == [], page.errors
        svg_box = facts["svg"]
        assert svg_box and svg_box["width"] > 300 and svg_box["height"] > 40 and svg_box["visible"]
        assert svg_box["right"] <= facts["innerWidth"] and facts["scrollWidth"] <= facts["innerWidth"]
        assert len(facts["marks"]) == 3
        for mark, code in zip(facts["marks"], ["LG014", "LG013", "LG015"]):
            assert mark["title"].startswith(f"{code} {word}: ") and mark["width"] >= 3 and mark["height"] >= 6
            assert svg_box["left"] <= mark["left"] and mark["right"] <= svg_box["right"] + 1
        assert facts["labels"] and all(size >= 9 for size in facts["labels"])  # readable text
        assert ("Incidents in the log window" if lang == "en" else "Инциденты в окне лога") in facts["text"]


SVG_FACTS = r"""(() => {
  const svg = document.getElementById('gigacheck-timeline-svg');
  const box = (el) => { const r = el.getBoundingClientRect();
    return {left: r.left, right: r.right, width: r.width, height: r.height}; };
  return {
    svg: svg && {...box(svg), visible: svg.checkVisibility ? svg.checkVisibility() : svg.getClientRects().length > 0},
    marks: [...document.querySelectorAll('#gigacheck-timeline-svg g.gc-incident')].map((g) =>
      ({title: g.querySelector('title').textContent, ...box(g.querySelector('rect'))})),
    labels: [...document.querySelectorAll('#gigacheck-timeline-svg text')].map((t) => t.getBoundingClientRect().height),
    innerWidth: window.innerWidth, scrollWidth: document.documentElement.scrollWidth,
    text: document.getElementById('gigacheck-incidents').innerText,
  };
})()"""


# --- the mock scenarios tell a story; xdist carries the incidents to the report ----------------------------------

@pytest.mark.parametrize("scenario", sorted(p.name for p in (CHECKS.parent / "fixtures" / "scenarios").iterdir()
                                            if p.is_dir()))
def test_each_scenario_story_is_ongoing_where_it_fails_and_resolved_where_healthy(scenario, tmp_path, monkeypatch):
    from tests.test_logview import view
    monkeypatch.chdir(tmp_path)
    rc, out, _ = view("--mock", scenario, "--summary", "--json")
    assert rc == 0
    states = {(i["code"], i["state"]) for i in json.loads(out)["incidents"]}
    if scenario == "healthy":
        assert states == {("LG014", "resolved")}  # a short 429 burst two hours ago, answers since
    elif scenario == "fallback-down":
        assert states == set()  # no log signature covers the fallback provider
    else:
        assert any(state == "ongoing" for _, state in states), states


def test_under_xdist_the_report_lists_the_incidents(run_checks):
    result = run_checks("--mock", "-n", "2", "-p", "no:hypothesispytest")
    assert result.failed() == {} and result.ret == 0
    assert [(i["code"], i["state"]) for i in result.json["incidents"]] == [("LG014", "resolved")]
    assert re.search(r"↺ logs +\[LG014\] 429 .* resolved: \d\d:\d\d-\d\d:\d\d, 3 rows", result.stdout)
    assert "gigacheck-timeline-svg" in result.html
