"""Hostile log rows (issue 22): the site's rows are peer text. Site tokens are masked by shape (JWT/JWE,
values after `access_token`/`token` in any quoting) and terminal escapes, NUL, bare carriage returns and
bidi overrides are shown as text, on every way out: terminal, HTML, JSON, JUnit and the viewer."""

from __future__ import annotations

import base64
import json
import re
import secrets

import pytest

from gigacheck.diagnosis import CATALOG, render
from gigacheck.logs import viewer as logview
from gigacheck.logs.store import Row
from gigacheck.redact import Redactor, json_safe, shown_row
from tests.support.canary import find_leaks
from tests.support.checksrun import CHECKS
from tests.support.viewer import view

LOG_CHECKS = CHECKS / "test_logs.py"


def jwe(length: int = 1280) -> str:
    """A token shaped as GigaChat's (a JWE: five base64url parts, the header `{"enc": ..., "alg": ...}`)."""
    header = base64.urlsafe_b64encode(b'{"enc":"A256CBC-HS512","alg":"RSA-OAEP-256"}').decode().rstrip("=")
    body = [secrets.token_urlsafe(256)[:342], secrets.token_urlsafe(16)[:22], "", secrets.token_urlsafe(32)[:43]]
    body[2] = secrets.token_urlsafe(length)[:length - len(header) - sum(map(len, body)) - 4]
    token = ".".join([header, *body])
    assert len(token) == length and token.count(".") == 4
    return token


def jwt() -> str:
    part = lambda raw: base64.urlsafe_b64encode(raw).decode().rstrip("=")  # noqa: E731
    return ".".join([part(b'{"alg":"RS256","typ":"JWT"}'), part(b'{"sub":"site","exp":1767225600}'),
                     part(secrets.token_bytes(64))])


# --- the redactor: tokens by shape ---------------------------------------------------------------------

SHAPES = {
    "access_token=": "GigaChat: got access_token={t}&expires_at=1767225600000",
    "python dict": "GigaChat token response: {{'access_token': '{t}', 'expires_at': 1767225600000}}",
    "JSON": 'GigaChat answered {{"access_token": "{t}", "expires_at": 1767225600000}}',
    "JSON escaped": '{{"message": "token {{\\"access_token\\": \\"{t}\\"}}"}}',
    "token:": "GigaChat retry with token: {t}",
    "token =": "cached token = '{t}'",
    "refresh_token": "refresh_token={t}",
    "env line": "GIGACHAT_ACCESS_TOKEN={t}",
    "HTML escaped": "{{&#x27;access_token&#x27;: &#x27;{t}&#x27;}}",
    "bare": "Получен токен {t} для GigaChat",
}


@pytest.mark.parametrize("token", [jwe(), jwt(), "tok-" + secrets.token_hex(24)], ids=["jwe", "jwt", "opaque"])
@pytest.mark.parametrize("shape", list(SHAPES))
def test_a_site_token_is_masked_in_every_quoting(token, shape):
    if shape == "bare" and not token.startswith("eyJ"):
        pytest.skip("a bare opaque value has no shape to find")
    text = SHAPES[shape].format(t=token)
    shown = Redactor().scrub(text)
    assert find_leaks(shown, {"token": token}) == [], shown
    assert f"(len {len(token)})" in shown  # masked as the configured secrets are: **** + 4 + length
    assert Redactor().scrub(shown) == shown  # and masking twice changes nothing (every sink scrubs again)


def test_a_token_is_masked_where_lowering_changes_the_text_length():
    token = "tok-" + secrets.token_hex(24)
    for text in (f"İstanbul: token: {token}", f"İ {{'access_token': '{token}'}}", f"İ token={token}"):
        assert find_leaks(Redactor().scrub(text), {"token": token}) == [], text


def test_a_word_ending_in_token_is_no_token_name():
    assert Redactor().scrub("mytoken=abcdefgh12345") == "mytoken=abcdefgh12345"


def test_a_token_cut_by_an_excerpt_is_still_masked():
    token = jwe()
    for cut in (20, 100, 356, 900):
        text = f"GigaChat error: {{'access_token': '{token}'}}"[:cut + 35]
        assert find_leaks(Redactor().scrub(text), {"token": token[:cut]}) == []


@pytest.mark.parametrize("text", [
    "token: expired", "Token has expired", "GigaChat: token=None", "max_tokens=1024, total_tokens: 2",
    "token count: 1234567890", "Bearer tokens expire in 30 minutes",
    "GigaChat-2-Max, GigaChat-Pro and GigaChat answered 200 OK",
    "Изображение сохранено: media/generated/2024/05/article_429.jpg",
    "OAuth: токен получен, истекает через 30 минут",
    "eyJ... is the start of every JWT",
])
def test_prose_and_product_names_stay_unmasked(text):
    assert Redactor().scrub(text) == text


def test_an_embedded_picture_is_never_taken_for_a_token():
    # the HTML report embeds pictures as base64: a run of it that happens to hold `eyJ` is no token
    blob = base64.b64encode(b"\xff\xd8\xff" + secrets.token_bytes(3000) + b'{"a": 1}' * 50).decode()
    page = f'<img src="data:image/jpeg;base64,{blob}">'
    for at in range(0, len(blob) - 40, 97):
        planted = page.replace(blob, blob[:at] + "eyJ" + blob[at + 3:])
        assert Redactor().scrub(planted) == planted


def test_the_catalog_and_the_words_survive_the_new_shapes():
    r = Redactor()
    for entry in CATALOG.values():
        assert r.scrub(render(entry.code)) == render(entry.code), entry.code


# --- the peer-text filter --------------------------------------------------------------------------------

ESCAPES = {
    "OSC title": "\x1b]0;pwned\x07",
    "OSC title ST": "\x1b]2;pwned\x1b\\",
    "clear screen": "\x1b[2J\x1b[H",
    "colour": "\x1b[31;1mred\x1b[0m",
    "OSC 8 link": "\x1b]8;;https://evil.example/\x1b\\click here\x1b]8;;\x1b\\",
    "NUL": "a\x00b",
    "bare CR": "GigaChat ok\rGigaChat error",
    "bidi override": "invoice\u202egpj.exe",
    "bidi isolate": "\u2066abc\u2069",
    "C1 CSI": "\x9b31m",
    "DEL": "a\x7fb",
    "line separator": "a\u2028b",
}
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


@pytest.mark.parametrize("name", list(ESCAPES))
@pytest.mark.parametrize("oneline", [False, True])
def test_each_escape_is_shown_as_text(name, oneline):
    shown = shown_row(f"GigaChat error {ESCAPES[name]} end", oneline=oneline)
    assert not RAW.search(shown), repr(shown)
    assert shown.startswith("GigaChat error ") and shown.endswith(" end")  # nothing else is lost
    if "\x1b" in ESCAPES[name]:
        assert "␛" in shown


def test_line_breaks_stay_in_the_viewer_and_go_in_evidence():
    text = "GigaChat error\r\nTraceback (most recent call last):\n\tFile x"
    assert shown_row(text) == "GigaChat error\nTraceback (most recent call last):\n\tFile x"
    assert "\n" not in shown_row(text, oneline=True)


def test_json_stays_exact_yet_holds_no_raw_escape():
    rows = [{"message": v} for v in ESCAPES.values()]
    text = json_safe(json.dumps(rows, ensure_ascii=False))
    assert json.loads(text) == rows
    assert not RAW.search(text)


def test_a_row_line_shows_the_level_safely_too():
    from datetime import datetime
    row = Row(datetime(2024, 5, 1, 12, 0), "ERR\x1b[2J", "GigaChat \x1b]0;x\x07", 18)
    assert not RAW.search(row.line()) and not RAW.search(row.line(400))


# --- every way out ---------------------------------------------------------------------------------------

def hostile_rows(token: str, bare: str):
    return [
        ("ERROR", f"GigaChat OAuth failed with status 401: {{'access_token': '{token}', 'expires_at': 1}}", 5),
        ("ERROR", f"GigaChat error: retry with access_token={token}", 6),
        ("ERROR", f"GigaChat error: token {bare} rejected", 7),
        ("ERROR", "GigaChat error: " + "".join(ESCAPES.values()) + " end of row", 8),
        ("INFO", "Изображение сохранено: media/a.jpg", 9),
    ]


@pytest.fixture
def hostile_table(log_db):
    token, bare = jwe(), jwe()
    url = log_db.make(hostile_rows(token, bare))
    return url, {"token": token, "bare token": bare}


def _raw_in(text: str):
    return sorted({f"U+{ord(c):04X}" for c in RAW.findall(text)})


@pytest.mark.parametrize("log_db", ["sqlite"], indirect=True)
def test_no_token_and_no_escape_reaches_the_terminal_html_json_or_junit(run_checks, hostile_table):
    url, tokens = hostile_table
    run = run_checks("-m", "logs", "-rA", env={"DATABASE_URL": url}, checks=LOG_CHECKS)
    failed = run.failed()
    assert any("LG019" in codes for codes in failed.values()) and any("LG010" in codes for codes in failed.values())
    assert find_leaks(run.everything(), tokens) == []
    assert "end of row" in run.stdout and "␛]0;pwned␇" in run.stdout  # shown, as text
    for where, text in (("terminal", run.stdout), ("html", run.html), ("junit", run.junit)):
        assert _raw_in(text) == [], where
    assert "\x1b" not in run.html and "&#27;" not in run.html and "#x1B" not in run.junit
    evidence = "\n".join(e for c in run.checks for e in c["evidence"])
    assert "end of row" in evidence and _raw_in(evidence) == []


@pytest.fixture
def viewer_env(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the viewer reads ./.env by default: not the developer's




def test_the_viewer_masks_tokens_and_shows_escapes_as_text(hostile_table, viewer_env):
    url, tokens = hostile_table
    rc, out, err = view(env={"DATABASE_URL": url})
    assert rc == 0, err
    assert find_leaks(out + err, tokens) == []
    assert _raw_in(out) == [] and "␛[2J" in out and "\\u202e" in out and "end of row" in out
    assert "Изображение сохранено" in out


def test_the_viewer_json_is_exact_but_masked(hostile_table, viewer_env):
    url, tokens = hostile_table
    rc, out, err = view("--json", env={"DATABASE_URL": url})
    assert rc == 0, err
    assert find_leaks(out, tokens) == []
    assert _raw_in(out) == []
    rows = json.loads(out)
    hostile = [r["message"] for r in rows if r["message"].endswith("end of row")]
    assert hostile == ["GigaChat error: " + "".join(ESCAPES.values()) + " end of row"]  # exact, escapes and all
