"""The redactor itself: every transit form and any long piece of a secret, never invalid
output, never the catalog's own words; the DB password from malformed URLs; peer text."""

import json
from urllib.parse import quote

import pytest

from gigacheck.diagnosis import CATALOG, render
from gigacheck.redact import Redactor, looks_like_secret, mask, peer_text, url_password
from tests.support.canary import Canaries, find_leaks
from tests.support.hostile import ECHO_FORMS


@pytest.fixture(scope="module")
def secrets():
    return Canaries.fresh()


@pytest.mark.parametrize("form", list(ECHO_FORMS))
@pytest.mark.parametrize("which", ["key", "access_token", "proxy_key", "db_password"])
def test_every_echo_form_of_every_secret_is_masked(secrets, form, which):
    value = getattr(secrets, which)
    r = Redactor([secrets.key, secrets.access_token, secrets.proxy_key, secrets.db_password])
    text = f"peer said: {ECHO_FORMS[form]('Basic ' + value if which == 'key' else value)} (end)"
    assert find_leaks(r.scrub(text), secrets.values()) == []


def test_scrubbed_json_stays_json_whatever_the_peer_wrote(secrets):
    r = Redactor([secrets.key, secrets.access_token])
    for message in ('Bearer "', 'Bearer "' + secrets.access_token, "a\\" + secrets.access_token[:40] + '"',
                    secrets.key.replace("/", "\\/") + "\\", 'Basic \\"' + secrets.key):
        text = json.dumps({"summary": message, "detail": [message, {"k": message}]})
        json.loads(r.scrub(text))


def test_the_mask_is_safe_in_json_xml_and_a_terminal():
    shown = mask('pass"word<&\\\x1b')
    assert shown.startswith("****") and not set(shown) & set('"<&\\\x1b')


def test_catalog_texts_and_the_words_table_survive():
    r = Redactor(["a-real-secret-value-0123", "mysql-password-2024-x"])
    for entry in CATALOG.values():
        assert r.scrub(render(entry.code)) == render(entry.code), entry.code
    assert r.scrub("Bearer tokens expire; use Basic authentication") == \
        "Bearer tokens expire; use Basic authentication"


def test_unknown_credentials_are_masked_by_shape():
    r = Redactor()
    for text, secret in [("Authorization: Basic QUJDREVGOjEyMzQ=", "QUJDREVGOjEyMzQ="),
                         ("Bearer eyJhbGciOi.payload.sig", "eyJhbGciOi.payload.sig"),
                         ("form: Basic+QUJDREVGOjEyMzQ%3D", "QUJDREVGOjEyMzQ"),
                         ("key sk-proj-yDzXabcdefgh1234", "yDzXabcdefgh1234"),
                         ("mysql://site:s3cr3t/#?x@db.local/site", "s3cr3t")]:
        assert secret not in r.scrub(text), text


@pytest.mark.parametrize("url, password", [
    ("mysql://u:p/a#b?c@h:3306/db", "p/a#b?c"), ("mysql//u:pw@h/db", "pw"), ("mysql:/u:pw@h/db", "pw"),
    ("mysql:u:pw@h/db", "pw"), ("mysql://u:p\nw@h/db", "p\nw"), ("mysql://u:p@w@h/db", "p@w"),
    ("sqlite:////srv/db.sqlite3", None), ("mysql://u@h/db", None)])
def test_the_password_is_whatever_lies_between_the_user_and_the_last_at(url, password):
    assert url_password(url) == password


def test_a_password_with_a_line_break_is_masked_whole_and_by_line():
    pw = "first-half-0123\nsecond-half-4567"
    r = Redactor([pw])
    for text in (pw, "first-half-0123", "second-half-4567", quote(pw)):
        assert "half-" not in r.scrub(f"env: {text}")


def test_peer_text_loses_escapes_and_controls_and_is_cut_after_scrubbing(secrets):
    r = Redactor([secrets.access_token])
    value = "\x1b[2J\x1b]0;title\x07" + "x" * 60_000 + secrets.access_token
    shown = peer_text(value, 200, r.scrub)
    assert "\x1b" not in shown and "\x07" not in shown and len(shown) < 240
    assert find_leaks(peer_text(secrets.access_token[:300] + "\x00", 150, r.scrub), secrets.values()) == []


@pytest.mark.parametrize("name, secret", [
    ("GigaChat", False), ("GigaChat-2-Max", False), ("GigaChat-3-Ultra", False), ("GigaChat:latest", False),
    ("Embeddings", False), ("MDE5YjJhNzUtOGI0Yy03MDAw", True), ("sk-proj-abcdefgh", True),
    ("eyJhbGciOi.x.y", True), ("Giga Chat", True)])
def test_model_names_that_look_like_secrets(name, secret):
    assert looks_like_secret(name) is secret


def test_a_model_name_holding_a_configured_secret_is_refused(secrets):
    assert looks_like_secret("GigaChat-" + secrets.db_password[3:11], [secrets.db_password]) is True
