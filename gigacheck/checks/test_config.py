"""The settings, before any network call: the "GigaChat answers 404" checklist's first half."""

import pytest

from gigacheck import rules
from gigacheck.diagnosis import Finding, skip_reason, warn
from gigacheck.words import say

pytestmark = pytest.mark.config

# A key rule is moot when a more basic one already failed: that check reports the cause.
MOOT_AFTER = {
    "GC002": ("GC001",), "GC003": ("GC001",), "GC004": ("GC001",),
    "GC005": ("GC001", "GC004"), "GC006": ("GC001", "GC004", "GC005"),
}


def holds(rule, settings):
    """A settings rule of `rules.py`: its finding, if any, fails the check."""
    finding = rule(settings)
    if finding:
        raise finding


def judge_key(settings, code, lang="en"):
    if settings.key is None or not settings.key.reveal().strip():
        if settings.access_token:
            pytest.skip(skip_reason(code, say("skip.key_not_needed")))
        if settings.auth_method in ("password", "mtls"):
            pytest.skip(skip_reason(code, say("skip.no_key_needed." + settings.auth_method, lang)))
    analysis = rules.key_analysis(settings)
    for earlier in MOOT_AFTER.get(code, ()):
        if earlier in analysis.findings:
            raise analysis.findings[earlier]  # reported by its own check: this one is skipped
    if code in analysis.findings:
        raise analysis.findings[code]


def test_is_the_key_set(gigachat_settings, gigacheck_lang):
    judge_key(gigachat_settings, "GC001", gigacheck_lang)


def test_is_the_key_free_of_a_bearer_or_basic_prefix(gigachat_settings, gigacheck_lang):
    judge_key(gigachat_settings, "GC002", gigacheck_lang)


def test_is_the_key_free_of_spaces_quotes_and_line_breaks(gigachat_settings, gigacheck_lang):
    judge_key(gigachat_settings, "GC003", gigacheck_lang)


def test_is_the_key_a_real_key_not_a_placeholder(gigachat_settings, gigacheck_lang):
    judge_key(gigachat_settings, "GC004", gigacheck_lang)


def test_is_the_key_the_authorization_key_not_an_access_token(gigachat_settings, gigacheck_lang):
    judge_key(gigachat_settings, "GC005", gigacheck_lang)


def test_does_the_key_decode_to_client_id_and_secret(gigachat_settings, gigacheck_lang):
    judge_key(gigachat_settings, "GC006", gigacheck_lang)


def test_do_gigachat_token_and_credentials_agree(gigachat_settings):
    holds(rules.keys_agree, gigachat_settings)


def test_is_the_scope_one_of_the_three(gigachat_settings):
    holds(rules.scope_problem, gigachat_settings)


def test_is_the_auth_url_a_gigachat_oauth_endpoint(gigachat_settings):
    holds(rules.auth_url_problem, gigachat_settings)


def test_is_the_base_url_a_gigachat_api_base(gigachat_settings):
    holds(rules.base_url_problem, gigachat_settings)


def test_are_the_model_names_model_names_not_secrets(gigachat_settings):
    holds(rules.model_names_problem, gigachat_settings)


def test_is_tls_verification_on(gigachat_settings):
    if rules.tls_verification_off(gigachat_settings):
        warn("GC011", say("config.tls_off"))


def test_is_the_ca_bundle_a_readable_pem_file(gigachat_settings):
    # GIGACHAT_CA_BUNDLE_FILE, else the SSL_CERT_FILE/SSL_CERT_DIR the SDK's httpx reads; certifi's bundle
    # needs no check: the network checks tell whether it is enough
    holds(rules.ca_bundle_problem, gigachat_settings)


def test_are_mock_answers_off(gigachat_settings):
    if gigachat_settings.use_mock_responses:
        raise Finding("GC013", say("config.mock_on"), subject="site")


def test_is_gigachat_enabled(gigachat_settings):
    if not gigachat_settings.enable_gigachat:
        raise Finding("GC014", say("config.gigachat_off"), subject="gigachat")


def test_does_the_official_sdk_accept_every_gigachat_variable(gigachat_settings):
    holds(rules.sdk_refusals, gigachat_settings)


def test_can_every_setting_be_read(gigachat_settings):
    holds(rules.unread_lines, gigachat_settings)


def test_are_the_client_certificate_and_key_usable(gigachat_settings):
    if not (gigachat_settings.cert_file or gigachat_settings.key_file):
        return  # no mTLS: nothing to check, as with no CA bundle
    holds(rules.client_cert_problem, gigachat_settings)
