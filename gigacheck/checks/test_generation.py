"""Does generation work as the site uses it: every model in the priority list, the
image flow end to end, the balance, and the fallback provider?

The chat and image checks spend tokens and run only with --spend; the balance and
the fallback provider's model list are free and always run.
"""

import base64
import html

import pytest

from gigacheck.gigachat import fallback
from gigacheck.gigachat import generation
from gigacheck import rules
from gigacheck.diagnosis import Finding, skip_reason, warn
from gigacheck.words import say

pytestmark = pytest.mark.generation


@pytest.fixture
def html_extras(request):
    """pytest-html's `extras` for this check's row, or a list nobody reads when the HTML report is off."""
    if request.config.pluginmanager.hasplugin("html"):
        return request.getfixturevalue("extras")
    return []


@pytest.fixture
def record_property(request):
    """The check's details as the row's user properties (JUnit, the JSON), as pytest's own
    record_property does, without its PytestWarning under junit_family xunit2 (the default):
    that warned twice in every --junitxml run and failed two checks under -W error."""
    return lambda name, value: request.node.user_properties.append((name, value))


def _show(html_extras, rows=(), image=None):
    """Details (and the picture) in this check's row of the HTML report."""
    try:
        from pytest_html import extras
    except ImportError:  # no HTML report: the terminal and JUnit properties still say it
        return
    if image is not None:
        html_extras.append(extras.image(base64.b64encode(image.data).decode("ascii"),
                                        name=f"{image.model}: {image.info.width}x{image.info.height} "
                                             f"{image.info.kind}",
                                        mime_type=image.info.mime, extension=image.info.extension))
    cells = "".join(f"<tr><th style='text-align:left;padding-right:1em'>{html.escape(k)}</th>"
                    f"<td>{html.escape(str(v))}</td></tr>" for k, v in rows)
    html_extras.append(extras.html(f"<table class='gigacheck-details'>{cells}</table>"))


@pytest.mark.spend(cost="chat")
def test_does_every_model_in_the_priority_list_answer(gigachat, model, html_extras, record_property):
    gigachat.models()  # free and cached: an API that fails for everyone is reported once, not paid for per model
    result = generation.short_chat(gigachat, model)
    record_property("latency_s", round(result.latency_s, 3))
    record_property("usage", result.usage_text())
    print(f"{model}: {result.latency_s:.2f} s, tokens: {result.usage_text()}, finish_reason {result.finish_reason}")
    _show(html_extras, [
        ("model", model + (f" (answered by {result.served_by})" if result.served_by else "")),
        ("latency", f"{result.latency_s:.2f} s"),
        ("tokens", result.usage_text()),
        ("finish_reason", result.finish_reason),
        ("answer", result.content[:200]),
    ])


@pytest.mark.spend(cost="chat")
def test_does_every_model_answer_on_the_v2_chat_api_the_sdk_uses(gigachat, gigachat_settings, gigacheck_lang, model,
                                                                   record_property):
    sdk = gigachat_settings.sdk
    if not sdk.v2_chat:
        why = f"gigachat {sdk.version}" if sdk.version else "no gigachat SDK installed"
        pytest.skip(skip_reason("GC040", say("skip.no_v2_chat", gigacheck_lang, why=why)))
    gigachat.models()  # as above: an API that fails for everyone is reported once
    result = generation.short_chat_v2(gigachat, model)
    record_property("usage_v2", result.usage_text())
    print(f"{model} (v2): {result.latency_s:.2f} s, tokens: {result.usage_text()}, "
          f"finish_reason {result.finish_reason}")


@pytest.mark.spend(cost="image")
def test_can_the_site_generate_an_image(gigachat, gigachat_settings, html_extras, record_property):
    gigachat.models()  # as above: no drawing request to an API that already failed
    result = generation.generate_image(gigachat, gigachat_settings.models)
    record_property("image", result.describe())
    print(result.describe())
    for model, finding in result.tried:
        print(f"{model} failed first: {finding.headline}")
        if finding.code == "GC042":  # the chat checks cannot see this one: the site pays for it on every picture
            warn("GC042", say("gen.text_instead_of_image", model=model, drew=result.model), finding.evidence)
    _show(html_extras, [
        ("model", result.model), ("file", result.file_id),
        ("picture", f"{result.info.width}x{result.info.height} {result.info.kind}, {len(result.data)} bytes"),
        ("generation", f"{result.generation.latency_s:.2f} s, tokens: {result.generation.usage_text()}"),
        ("download", f"{result.download_s:.2f} s"),
    ] + [(f"{m} (tried first)", f.headline) for m, f in result.tried], image=result)


def test_is_the_balance_above_the_minimum(gigachat, gigachat_settings, record_property):
    try:
        balances = generation.balance(gigachat)
    except Finding as finding:
        if finding.code == "GC034":
            pytest.skip(skip_reason("GC044", say("skip.balance_403")))
        raise
    shown = generation.balance_text(balances)
    record_property("balance", shown)
    print(f"balance: {shown}")
    used_up = [m for m in gigachat_settings.models if m in balances and balances[m] <= 0]
    if used_up:  # the 402 a chat with that model would meet: the same root cause (subject), one failure
        raise Finding("GC033", f"GET /balance shows no tokens left for {', '.join(used_up)}",
                      [f"balance: {shown}"], subject=used_up[0])
    minimum = gigachat_settings.min_balance
    if minimum is None:
        unread = rules.unread_lines(gigachat_settings) if gigachat_settings.get("GIGACHECK_MIN_BALANCE") else None
        if unread is not None:  # set but no number: the config check's finding (one cause, one failure)
            raise unread
        pytest.skip(skip_reason("GC044", say("skip.min_balance_unset", shown=shown)))
    low = generation.low_balances(balances, gigachat_settings.models, minimum)
    if low:
        low_text = ", ".join(say("gen.model_has", model=m, value=f"{v:g}") for m, v in low.items())
        raise Finding("GC044", say("gen.below_minimum", minimum=f"{minimum:g}", low=low_text),
                      [f"balance: {shown}"], subject="balance")


def test_does_the_fallback_provider_answer(gigacheck_run, gigachat_settings, record_property):
    why = fallback.not_configured(gigachat_settings)
    if why:
        pytest.skip(why)
    result = fallback.check(gigachat_settings, gigacheck_run.redactor)
    record_property("fallback", result.describe())
    print(result.describe())
