"""The settings, before any network call: the "GigaChat answers 404" checklist's first half."""

import pytest

from gigacheck import rules
from gigacheck.diagnosis import Finding, skip_reason, warn

pytestmark = pytest.mark.config

# A key rule is moot when a more basic one already failed: that check reports the cause.
MOOT_AFTER = {
    "GC002": ("GC001",), "GC003": ("GC001",), "GC004": ("GC001",),
    "GC005": ("GC001", "GC004"), "GC006": ("GC001", "GC004", "GC005"),
}


def judge_key(settings, code):
    if settings.key is None or not settings.key.reveal().strip():
        if settings.access_token:
            pytest.skip(skip_reason(code, "no key needed: GIGACHAT_ACCESS_TOKEN is set, so OAuth is not called"))
    analysis = rules.key_analysis(settings)
    for earlier in MOOT_AFTER.get(code, ()):
        if earlier in analysis.findings:
            raise analysis.findings[earlier]  # reported by its own check: this one is skipped
    if code in analysis.findings:
        raise analysis.findings[code]


def test_is_the_key_set(gigachat_settings):
    judge_key(gigachat_settings, "GC001")


def test_is_the_key_free_of_a_bearer_or_basic_prefix(gigachat_settings):
    judge_key(gigachat_settings, "GC002")


def test_is_the_key_free_of_spaces_quotes_and_line_breaks(gigachat_settings):
    judge_key(gigachat_settings, "GC003")


def test_is_the_key_a_real_key_not_a_placeholder(gigachat_settings):
    judge_key(gigachat_settings, "GC004")


def test_is_the_key_the_authorization_key_not_an_access_token(gigachat_settings):
    judge_key(gigachat_settings, "GC005")


def test_does_the_key_decode_to_client_id_and_secret(gigachat_settings):
    judge_key(gigachat_settings, "GC006")


def test_do_gigachat_token_and_credentials_agree(gigachat_settings):
    finding = rules.keys_agree(gigachat_settings)
    if finding:
        raise finding


def test_is_the_scope_one_of_the_three(gigachat_settings):
    finding = rules.scope_problem(gigachat_settings)
    if finding:
        raise finding


def test_is_the_auth_url_a_gigachat_oauth_endpoint(gigachat_settings):
    finding = rules.auth_url_problem(gigachat_settings)
    if finding:
        raise finding


def test_is_the_base_url_a_gigachat_api_base(gigachat_settings):
    finding = rules.base_url_problem(gigachat_settings)
    if finding:
        raise finding


def test_are_the_model_names_model_names_not_secrets(gigachat_settings):
    finding = rules.model_names_problem(gigachat_settings)
    if finding:
        raise finding


def test_is_tls_verification_on(gigachat_settings):
    if rules.tls_verification_off(gigachat_settings):
        warn("GC011", "GIGACHAT_VERIFY_SSL_CERTS is false; the report of this run says so")


def test_is_the_ca_bundle_a_readable_pem_file(gigachat_settings):
    if not gigachat_settings.ca_bundle:
        return  # system/certifi store: the network checks tell whether it is enough
    finding = rules.ca_bundle_problem(gigachat_settings)
    if finding:
        raise finding


def test_are_mock_answers_off(gigachat_settings):
    if gigachat_settings.use_mock_responses:
        raise Finding("GC013", "USE_MOCK_RESPONSES is true: the site answers from canned data", subject="site")


def test_is_gigachat_enabled(gigachat_settings):
    if not gigachat_settings.enable_gigachat:
        raise Finding("GC014", "ENABLE_GIGACHAT=false: the site does not call GigaChat; its checks are skipped",
                      subject="gigachat")
