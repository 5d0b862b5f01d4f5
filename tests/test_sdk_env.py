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
