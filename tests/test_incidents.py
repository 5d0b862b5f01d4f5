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
    assert inc.resolved_by == "image: Изображение сохранено: a.jpg" and inc.resolved_at == at(45)
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
