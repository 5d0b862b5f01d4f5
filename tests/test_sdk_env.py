"""The SDK's own settings class is the oracle: gigacheck's rules accept exactly what it accepts."""

import os
import random

import pytest

from gigacheck import sdkenv

sdk_settings = pytest.importorskip("gigachat.settings", reason="the official SDK is a test extra: pip install -e '.[test]'")

# one variable per field type the SDK uses
BY_TYPE = {kind: next("GIGACHAT_" + f for f, k in sdkenv.FIELDS.items() if k == kind)
           for kind in set(sdkenv.FIELDS.values())}
SEEDS = ["true", "False", "TRUE", "1", "0", "yes", "No", "on", "OFF", "t", "F", "y", "n", "2", "tru", "none",
         "null", "30", "30s", "2.5", "1e3", "1E-3", "inf", "-Infinity", "nan", "1_000", "1__0", "_1", "1_",
         "0x10", "３０", "+3", "-1", ".5", "5.", "3.0", "3.00", "3.5", "30,5", "[]", "[429]", "[429, 503]",
         '["429"]', "[4.0]", "[4.5]", "[true]", '["a"]', '["a", 1]', "a,b", "{}", "x", "", " "]
WRAPS = ["{}", " {}", "{} ", "'{}'", '"{}"', "{}\n", "\t{}"]
ALPHABET = "0123456789.+-_eE aAtTrRuUfFlLsSyYnNoOi[]\",'\t"


def corpus(n_random=120):
    values = {w.format(s) for s in SEEDS for w in WRAPS}
    rnd = random.Random(12)  # fixed: a failure is reproducible
    for _ in range(n_random):
        values.add("".join(rnd.choice(ALPHABET) for _ in range(rnd.randint(0, 6))))
    return sorted(values)


def sdk_accepts(variable, value):
    saved = {k: v for k, v in os.environ.items() if k.upper().startswith("GIGACHAT_")}
    for k in saved:
        del os.environ[k]
    os.environ[variable] = value
    try:
        sdk_settings.Settings()
        return True
    except Exception:  # ValidationError, or SettingsError for a complex value that is not JSON
        return False
    finally:
        del os.environ[variable]
        os.environ.update(saved)


@pytest.mark.parametrize("kind", sorted(BY_TYPE))
def test_gigacheck_accepts_exactly_what_the_sdk_accepts(kind):
    variable = BY_TYPE[kind]
    values = corpus()
    disagree = [(v, sdk_accepts(variable, v)) for v in values if sdkenv.accepts(variable, v) != sdk_accepts(variable, v)]
    assert not disagree, f"{variable}: gigacheck disagrees with the SDK on {disagree[:10]}"
    # the corpus is not trivially one-sided for a typed field
    if kind not in (sdkenv.STR, sdkenv.SSL_CONTEXT):
        verdicts = {sdkenv.accepts(variable, v) for v in values}
        assert verdicts == {True, False}


def test_every_sdk_field_is_known():
    """A new SDK field would go unchecked: the table must list every one."""
    assert set(sdk_settings.Settings.model_fields) == {f.lower() for f in sdkenv.FIELDS}


@pytest.mark.parametrize("variable, value", [
    ("GIGACHAT_VERIFY_SSL_CERTS", ""), ("GIGACHAT_TIMEOUT", "30s"), ("GIGACHAT_VERIFY_SSL_CERTS", "'false'"),
    ("GIGACHAT_PROFANITY_CHECK", " true"), ("GIGACHAT_MAX_RETRIES", "3.5"), ("GIGACHAT_FLAGS", "a,b"),
])
def test_the_issue_examples_are_refused_naming_variable_and_rule(variable, value):
    assert not sdk_accepts(variable, value)
    (refusal,) = sdkenv.refusals({variable: value, "GIGACHAT_TIMEOUT" if variable != "GIGACHAT_TIMEOUT" else "X": "30"})
    assert refusal.variable == variable
    assert "the SDK expects" in refusal.describe() and variable in refusal.describe()


@pytest.mark.parametrize("written", ["gigachat_credentials", "Gigachat_Credentials", "GIGACHAT_credentials"])
def test_sdk_variables_in_any_case_are_read_as_the_sdk_reads_them(monkeypatch, written):
    """pydantic-settings matches the SDK's names in any case: a site with `gigachat_credentials` works,
    so gigacheck reads it too (no false "no key"), says how it was written, and masks it. The upper-case
    spelling wins where both are set; names that are not the SDK's are read only as written."""
    from gigacheck import settings
    key = "bG93ZXItY2FzZS1pZDpsb3dlci1jYXNlLXNlY3JldC14eXo="
    for name in list(os.environ):
        if name.upper().startswith("GIGACHAT_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv(written, key)
    assert sdk_settings.Settings().credentials == key  # the oracle: the SDK itself reads it
    s = settings.load({written: key, "gigacheck_log_table": "other", "gigachat_token": "site-name"}, None)
    assert s.raw["GIGACHAT_CREDENTIALS"] == key and s.key.reveal() == key
    assert s.spelled == {"GIGACHAT_CREDENTIALS": written}
    shown = s.masked()["GIGACHAT_CREDENTIALS"]
    assert key not in shown and written in shown
    assert "GIGACHECK_LOG_TABLE" not in s.raw and "GIGACHAT_TOKEN" not in s.raw  # not the SDK's: as written only
    both = settings.load({written: "bG93ZXI6bG93ZXI=", "GIGACHAT_CREDENTIALS": key}, None)
    assert both.raw["GIGACHAT_CREDENTIALS"] == key and both.spelled == {}


def test_an_env_file_with_sdk_names_in_lower_case(tmp_path):
    from gigacheck import settings
    env = tmp_path / ".env"
    env.write_text("gigachat_scope=GIGACHAT_API_CORP\ngigachat_verify_ssl_certs=false\n", encoding="utf-8")
    s = settings.load({}, env)
    assert s.raw["GIGACHAT_SCOPE"] == "GIGACHAT_API_CORP" and s.source["GIGACHAT_SCOPE"] == "env file"
    assert s.verify_ssl is False
    # the process's upper-case value wins over the file's lower-case one, and is not marked as spelled
    s = settings.load({"GIGACHAT_SCOPE": "GIGACHAT_API_PERS"}, env)
    assert s.raw["GIGACHAT_SCOPE"] == "GIGACHAT_API_PERS" and "GIGACHAT_SCOPE" not in s.spelled


def test_gc015_speaks_the_runs_language():
    """The rule a refused value breaks is said in Russian in a Russian run, as the rest of the finding."""
    from gigacheck import rules, settings, words
    s = settings.load({"GIGACHAT_TIMEOUT": "30s", "GIGACHAT_RETRY_ON_STATUS_CODES": "429"}, None)
    with words.speaking("ru"):
        ru = rules.sdk_refusals(s)
        text = ru.render("ru")
    en = rules.sdk_refusals(s).render("en")
    assert "число секунд" in text and "кодов HTTP" in text and "упадёт" in text and "expects" not in text
    assert "a plain number of seconds" in en and "ждёт" not in en
    assert "GIGACHAT_TIMEOUT='30s'" in text and "GIGACHAT_TIMEOUT='30s'" in en
