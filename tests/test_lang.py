"""Russian and English: every code and every word in both, each in its own language, the language
chosen as the SPEC says, and a run in either language giving the same outcomes and codes."""

import argparse
import json
import re
import string
import warnings

import pytest

from gigacheck import GigacheckWarning
from gigacheck.diagnosis import CATALOG, Finding, render, warn
from gigacheck.logs import viewer as logview
from gigacheck.words import WORDS, choose_lang, count, current_lang, default_lang, say, speaking
from tests.test_scenarios import AREAS, EXPECTED
from tests.support.viewer import view

CYRILLIC = re.compile(r"[А-Яа-яЁё]")
LATIN = re.compile(r"[A-Za-z]")
RU_LOCALE = {"LANG": "ru_RU.UTF-8"}
# names that stay as they are in Russian text too
NAMES = re.compile(r"\b(?:GigaChat|Studio|OAuth|SynGX|Django|Yandex Cloud|certifi|gigacheck|pytest|Client Secret|"
                   r"Client ID|Russian Trusted Root CA|Retry-After|X-Request-Id|Accept|Authorization|Content-Type)\b")


def prose(text: str) -> str:
    """What a translator writes: no backticked spans, fields, URLs, variable names, paths, options,
    key=value pairs or acronyms (they stay as they are in both languages)."""
    text = re.sub(r"`[^`]*`", " ", text)
    text = re.sub(r"\{[a-z_]+\}", " ", text)
    text = NAMES.sub(" ", text)
    text = re.sub(r"\S*(?:://|[_/=<>$]|--)\S*", " ", text)
    return re.sub(r"\b[A-Z0-9][A-Z0-9-]+\b", " ", text)


def unquoted(text: str) -> str:
    """English text without the Russian it quotes (log strings, prompts): `...`, "...", «...»."""
    return re.sub(r"`[^`]*`|\"[^\"]*\"|«[^»]*»", " ", text)


def catalog_texts(lang):
    for code, entry in CATALOG.items():
        text = entry.text(lang)
        for part in ("finding", "cause", "remedy"):
            yield f"{code}.{part}", getattr(text, part)


def word_texts(lang):
    for key, entry in WORDS.items():
        yield key, entry[lang]


# --- the tables --------------------------------------------------------------------------------------

def test_every_code_has_russian_and_english():
    for code, entry in CATALOG.items():
        assert len(entry.ru) == 3, f"{code} has no Russian (finding, cause, remedy)"
        en, ru = entry.text("en"), entry.text("ru")
        for part in ("finding", "cause", "remedy"):
            assert getattr(en, part).strip() and getattr(ru, part).strip(), (code, part)
            assert getattr(en, part) != getattr(ru, part), f"{code}.{part} is not translated"


def test_every_word_has_both_languages_with_the_same_fields():
    fields = lambda text: sorted(f for _, f, _, _ in string.Formatter().parse(text) if f)  # noqa: E731
    for key, entry in WORDS.items():
        assert set(entry) == {"en", "ru"}, key
        assert set(fields(entry["en"])) == set(fields(entry["ru"])), key
        if key.startswith("n."):  # plural forms: en one|other, ru one|few|many
            assert (entry["en"].count("|"), entry["ru"].count("|")) == (1, 2), key


@pytest.mark.parametrize("source", [catalog_texts, word_texts], ids=["catalog", "words"])
def test_russian_texts_are_russian(source):
    for where, text in source("ru"):
        words = prose(text)
        cyr, lat = len(CYRILLIC.findall(words)), len(LATIN.findall(words))
        if source is catalog_texts:
            assert cyr, f"{where}: no Russian in {text!r}"
        assert cyr > lat or not cyr + lat, f"{where}: Latin letters dominate in {text!r} ({words!r})"


@pytest.mark.parametrize("source", [catalog_texts, word_texts], ids=["catalog", "words"])
def test_english_texts_have_no_cyrillic_outside_quoted_log_strings(source):
    for where, text in source("en"):
        assert not CYRILLIC.search(unquoted(text)), f"{where}: {text!r}"


def test_the_checks_of_the_prose_filter_could_fail():
    # the two filters above must not hide what they look for
    assert LATIN.search(prose("Set the key, then run the checks")) and not CYRILLIC.search(prose("`Таймаут`"))
    assert CYRILLIC.search(unquoted("the key is Ключ"))


def test_plural_forms():
    assert [count(n, "n.entries", "ru") for n in (1, 2, 5, 11, 21, 104, 112)] == [
        "1 запись", "2 записи", "5 записей", "11 записей", "21 запись", "104 записи", "112 записей"]
    assert [count(n, "n.entries", "en") for n in (1, 2, 0)] == ["1 entry", "2 entries", "0 entries"]


# --- choosing the language -------------------------------------------------------------------

@pytest.mark.parametrize("environ, lang", [
    ({}, "en"), ({"LANG": "ru_RU.UTF-8"}, "ru"), ({"LANG": "C.UTF-8"}, "en"),
    ({"LC_ALL": "en_US.UTF-8", "LANG": "ru_RU.UTF-8"}, "en"), ({"LC_MESSAGES": "ru_RU", "LANG": "en_GB"}, "ru"),
    ({"LC_ALL": "", "LC_MESSAGES": "", "LANG": "ru"}, "ru"),
])
def test_default_language_follows_the_locale(environ, lang):
    assert default_lang(environ) == lang


def test_lang_option_wins_over_ini_and_ini_over_locale():
    assert choose_lang("en", "ru", RU_LOCALE) == "en"
    assert choose_lang(None, "en", RU_LOCALE) == "en"
    assert choose_lang(None, "ru", {}) == "ru"
    assert choose_lang(None, "", RU_LOCALE) == "ru"
    with pytest.raises(ValueError):
        choose_lang(None, "de", {})


# --- rendering ---------------------------------------------------------------------------------

def test_a_finding_renders_in_the_language_asked():
    f = Finding("GC011", "GIGACHAT_VERIFY_SSL_CERTS=false", ["GET https://x/api/v1/models -> 200"])
    ru, en = f.render("ru"), f.render("en")
    assert ru.startswith("[GC011] проверка TLS-сертификатов отключена: GIGACHAT_VERIFY_SSL_CERTS=false")
    for label in ("Причина:", "Что сделать:", "Подтверждение:"):
        assert label in ru
    assert "Cause:" not in ru and "Remedy:" not in ru and "Evidence:" not in ru
    assert en.startswith("[GC011] TLS verification is turned off") and "Cause:" in en and "Evidence:" in en
    # commands and evidence stay as they are
    for same in CATALOG["GC011"].commands + ("GET https://x/api/v1/models -> 200",):
        assert same in ru and same in en
    assert f.headline_in("ru") == ru.splitlines()[0]


def test_warnings_speak_the_language_of_the_run_and_english_outside_one():
    import gigacheck.plugin  # noqa: F401 - importing the plugin sets no language
    assert current_lang() == "en"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with speaking("ru"):
            warn("LG005", "нет индекса")
        warn("LG005", "no index")
    ru, en = (str(w.message) for w in caught if issubclass(w.category, GigacheckWarning))
    assert ru.startswith("[LG005] нет индекса на `timestamp`") and "Что сделать:" in ru
    assert en.startswith("[LG005] no index on `timestamp`") and "Remedy:" in en
    assert render("LG005") == render("LG005", lang="en")


def test_case_details_follow_the_language():
    from gigacheck import rules
    from gigacheck.redact import Secret
    with speaking("ru"):
        missing = rules.analyze_key(None).findings["GC001"]
        short = rules.analyze_key(Secret("test")).findings["GC004"]
        assert missing.headline == "[GC001] ключ авторизации не задан или пуст: GIGACHAT_CREDENTIALS не задан"
        assert short.detail == "в GIGACHAT_CREDENTIALS 4 символа, и это похоже на заглушку"
    assert rules.analyze_key(None).findings["GC001"].detail == "GIGACHAT_CREDENTIALS is not set"


# --- the log viewer -------------------------------------------------------------------------------



def test_log_viewer_speaks_the_locale_and_lang_wins():
    rc, out, err = view("--hours", "-1", environ=RU_LOCALE)
    assert rc == 2 and err.startswith("gigacheck logs: ошибка: --hours -1.0: укажите число часов")
    rc, out, err = view("--hours", "-1", "--lang", "en", environ=RU_LOCALE)
    assert rc == 2 and err.startswith("gigacheck logs: error: --hours -1.0: give a number of hours")
    rc, out, err = view("--mock=bad-key", "--summary", environ=RU_LOCALE)
    assert rc == 0 and "MOCK: строки лога сценария 'bad-key'" in err
    assert f"LG019 " in out and CATALOG["LG019"].text("ru").finding in out
    rc, out, err = view("--mock=nope", environ={})
    assert rc == 2 and "unknown scenario 'nope'" in err
    rc, out, err = view(environ=RU_LOCALE)  # no DATABASE_URL, no log file
    assert rc == 2 and "[LG001] `DATABASE_URL` не задан" in err


def test_log_viewer_help_is_in_the_locale_language(monkeypatch):
    for name in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "ru_RU.UTF-8")
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers()
    text = logview.add_parser(sub).format_help()
    assert "последние H часов" in text and "the last H hours" not in text


# --- whole runs -----------------------------------------------------------------------------------

def test_pytest_help_is_in_the_locale_language(pytester, monkeypatch):
    monkeypatch.setenv("LANG", "ru_RU.UTF-8")
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    result = pytester.runpytest_subprocess("-p", "gigacheck.plugin", "--help")
    text = " ".join(" ".join(result.outlines).split())  # argparse wraps the help
    assert "запускать платные проверки" in text and "run the checks that spend" not in text
    assert "показывать строки лога этого уровня и выше" in text


def test_a_russian_locale_gives_russian_output_end_to_end(run_checks):
    result = run_checks("--mock=bad-key", "-rs", env=RU_LOCALE)
    assert result.ret == 1 and "INTERNALERROR" not in result.stdout + result.stderr
    assert result.json["lang"] == "ru"
    out = result.stdout
    # the header
    assert "gigacheck: авторизация https://ngw.devices.sberbank.ru:9443/api/v2/oauth" in out
    assert "gigacheck: платные проверки выключены, ничего не тратится" in out
    # the failure: Russian words around the peer's own (untranslated) answer
    start = out.index("[GC023] OAuth отклонил ключ авторизации (401, code 6)")
    block = out[start:start + 2000]
    for part in ("Причина: Ключ неверный или отозван", "Что сделать: Сгенерируйте новый ключ авторизации",
                 "Подтверждение:", "credentials doesn't match db data"):
        assert part in block, part
    assert "Cause:" not in out and "Remedy:" not in out and "reported by" not in out
    # JSON: the failure and the skips, every one in Russian
    failed = result.check("test_does_oauth_give_a_usable_token")
    assert failed["summary"].startswith("[GC023] OAuth отклонил ключ авторизации")
    assert failed["remedy"] == CATALOG["GC023"].text("ru").remedy
    skipped = [c for c in result.checks if c["outcome"] == "skipped"]
    assert skipped
    for check in skipped:
        assert CYRILLIC.search(prose(check["summary"])), check
    assert any("об этом уже сообщила проверка checks/test_oauth.py" in c["summary"] for c in skipped)
    assert any("тратит токены" in c["summary"] and "--spend" in c["summary"] for c in skipped)
    assert_expected(result, "bad-key")  # the English run's outcomes and codes (test_scenarios)
    # the HTML's failure card carries the same Russian cause and remedy
    assert "Ключ неверный или отозван" in result.html and "Сгенерируйте новый ключ авторизации" in result.html


def outcomes(result, areas_only=False):
    return {c["id"]: (c["outcome"], c["codes"]) for c in result.checks
            if not areas_only or "test_logs.py" not in c["id"] and "test_generation.py" not in c["id"]}


def assert_expected(result, scenario):
    """The outcomes and codes test_scenarios requires of the English run of `scenario`."""
    expected = EXPECTED[scenario]
    for check_id, (outcome, codes) in outcomes(result, areas_only=True).items():
        key = next((k for k in expected if check_id.endswith(k)), None)
        assert (outcome, codes) == ((expected[key][0], [expected[key][1]]) if key else ("passed", [])), check_id


@pytest.mark.parametrize("scenario, how", [
    ("expired-token", ["-m", AREAS]),                              # the locale alone
    ("tls-error", ["-m", AREAS, "-o", "gigacheck_lang=ru"]),       # the ini option
    ("unknown-model", ["-m", AREAS, "--lang", "ru"]),              # the option
])
def test_russian_run_gives_the_english_outcomes_and_codes(run_checks, scenario, how):
    result = run_checks(f"--mock={scenario}", *how, env=RU_LOCALE if "-o" not in how and "--lang" not in how else {})
    assert result.json["lang"] == "ru"
    assert_expected(result, scenario)
    for check in result.checks:
        if check["outcome"] != "passed":
            assert CYRILLIC.search(prose(check["summary"])), check


def test_an_in_process_run_gives_its_callers_language_back(run_checks):
    assert current_lang() == "en"
    result = run_checks("--mock=bad-key", "-m", "oauth", "--lang", "ru")
    assert result.json["lang"] == "ru" and current_lang() == "en"


def test_lang_option_wins_over_the_locale_and_changes_no_outcome(run_checks):
    en = run_checks("--mock=payment-required", "--spend", "-m", "spend", "--lang", "en", env=RU_LOCALE)
    ru = run_checks("--mock=payment-required", "--spend", "-m", "spend", "--lang", "ru")
    assert (en.json["lang"], ru.json["lang"]) == ("en", "ru")
    assert outcomes(en) == outcomes(ru) and en.ret == ru.ret == 1
    assert any(codes == ["GC033"] for _, codes in outcomes(ru).values()), "the scenario must find its 402"
    for check in en.checks:
        assert not CYRILLIC.search(unquoted(check["summary"])), check
    assert "Cause:" in en.stdout and "Причина:" not in en.stdout and "Причина:" in ru.stdout
