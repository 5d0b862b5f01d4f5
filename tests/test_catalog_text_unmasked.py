"""Masking removes secret values, never the catalog's own words (issue 8 item 7)."""

from gigacheck.diagnosis import CATALOG, render
from gigacheck.redact import Redactor
from tests.support.fakegiga import canary_key


def test_a_key_pasted_with_a_bearer_prefix_keeps_the_gc002_text_intact(run_checks):
    key = canary_key()
    result = run_checks("--mock", "-m", "config", "-rf", env={"GIGACHAT_CREDENTIALS": "Bearer " + key})
    check = result.check("test_is_the_key_free_of_a_bearer_or_basic_prefix")
    assert check["outcome"] == "failed" and check["codes"] == ["GC002"]
    assert check["summary"].startswith("[GC002] key starts with `Bearer ` or `Basic `")
    assert check["remedy"] == CATALOG["GC002"].remedy
    assert "[GC002] key starts with `Bearer ` or `Basic `" in result.stdout
    assert "(len 1)" not in result.everything() and "(len 2)" not in result.everything()
    assert key[:12] not in result.everything() and key[-20:-4] not in result.everything()


def test_every_catalog_text_survives_the_redactor():
    r = Redactor(["a-real-secret-value-0123"])
    for entry in CATALOG.values():
        text = render(entry.code)
        assert r.scrub(text) == text, entry.code
    lg001 = render("LG001")
    assert "mysql://user:pass@127.0.0.1:3306/site" in r.scrub(lg001)


def test_token_shaped_values_after_the_scheme_word_are_still_masked():
    r = Redactor()
    assert "QUJDREVGOjEyMzQ=" not in r.scrub("Authorization: Basic QUJDREVGOjEyMzQ=")
    assert "eyJhbGciOi.payload.sig" not in r.scrub("Bearer eyJhbGciOi.payload.sig")
    assert "s3cr3t" not in r.scrub("mysql://site:s3cr3t@db.local/site")
    assert r.scrub("Bearer tokens expire in 30 minutes") == "Bearer tokens expire in 30 minutes"
