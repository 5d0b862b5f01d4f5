"""A broken env line (unclosed quote, bad syntax) is a finding on its variable, with the line
number, never "not set"; python-dotenv's own warning is not printed bare (issue 8 item 9)."""

from gigacheck import rules
from gigacheck.settings import load, read_env_lines
from tests.support.fakegiga import canary_key


def test_an_unclosed_quote_on_the_key_line_is_gc003_with_the_line_number(tmp_path):
    key = canary_key()
    env = tmp_path / ".env"
    env.write_text(f"# site settings\nGIGACHAT_SCOPE=GIGACHAT_API_PERS\nGIGACHAT_CREDENTIALS=\"{key}\nDEBUG=1\n",
                   encoding="utf-8")
    s = load({}, env, env_file_explicit=True)
    analysis = rules.key_analysis(s)
    assert "GC001" not in analysis.findings
    f = analysis.findings["GC003"]
    assert f"line 3 of {env}" in f.detail and "unclosed quote" in f.detail
    assert key not in f.render() and analysis.blocking is f  # no OAuth with a key the site cannot read
    assert s.scope == "GIGACHAT_API_PERS"  # the lines before it still count


def test_a_broken_line_names_the_lines_python_dotenv_swallows_with_it(tmp_path):
    env = tmp_path / ".env"
    env.write_text('A=1\nGIGACHAT_SCOPE="GIGACHAT_API_PERS\nGIGACHAT_TIMEOUT=5\nB = "x"\nC=2\n', encoding="utf-8")
    values, broken = read_env_lines(env)
    assert values == {"A": "1", "C": "2"}  # as python-dotenv reads it
    written, where = broken["GIGACHAT_SCOPE"]
    assert written == '"GIGACHAT_API_PERS' and "line 2" in where and "GIGACHAT_TIMEOUT, B" in where
    s = load({}, env, env_file_explicit=True)
    assert rules.scope_problem(s).code == "GC008"  # judged as written, not the default scope
    assert any("GIGACHAT_SCOPE: line 2 of" in p for p in s.problems)
    # the process environment wins over the broken line
    assert "GIGACHAT_SCOPE" not in load({"GIGACHAT_SCOPE": "GIGACHAT_API_B2B"}, env, env_file_explicit=True).broken


def test_the_run_reports_gc003_with_the_line_and_no_bare_dotenv_warning(run_checks):
    key = canary_key()
    result = run_checks("--mock", "-m", "config", "-rf", env_file_text=f"GIGACHAT_CREDENTIALS='{key}\n")
    check = result.check("test_is_the_key_free_of_spaces_quotes_and_line_breaks")
    assert check["outcome"] == "failed" and check["codes"] == ["GC003"]
    assert "line 1 of " in check["summary"] and "unclosed quote" in check["summary"]
    assert result.check("test_is_the_key_set")["outcome"] == "passed"
    assert "could not parse statement" not in result.stdout + result.stderr
    assert key not in result.everything()


def test_an_unclosed_quote_in_the_models_is_gc018_and_the_value_is_never_used(tmp_path):
    env = tmp_path / ".env"
    env.write_text('GIGACHAT_SCOPE=GIGACHAT_API_PERS\nGIGACHAT_MODELS="GigaChat-Pro,GigaChat-Max\nA=1\n',
                   encoding="utf-8")
    s = load({}, env, env_file_explicit=True)
    assert s.models == ["GigaChat"]  # as the site has it: python-dotenv skipped the line, the default applies
    assert "GIGACHAT_MODELS" not in s.raw
    f = rules.unread_lines(s)
    assert f.code == "GC018" and "GIGACHAT_MODELS" in f.detail
    assert any("line 2 of" in e and "unclosed quote" in e for e in f.evidence)
    assert rules.scope_problem(s) is None  # the lines before it still count


def test_a_run_with_a_broken_models_line_fails_gc018_and_checks_no_quoted_model(run_checks):
    result = run_checks("--mock", "-m", "config or api", env_file_text='GIGACHAT_MODELS="GigaChat-Pro,GigaChat\n')
    check = result.check("test_can_every_setting_be_read")
    assert check["outcome"] == "failed" and check["codes"] == ["GC018"]
    assert "GC032" not in str(result.failed())
    # the scenario's sample fills what the site never gets; the quoted value is not used
    assert any(line.endswith("· models GigaChat-Pro, GigaChat-Max, GigaChat") for line in result.stdout.splitlines())
    served = [c for c in result.checks if "test_is_every_configured_model_served" in c["id"]]
    assert len(served) == 3 and all(c["outcome"] == "passed" and '"' not in c["id"] for c in served)
    assert "could not parse statement" not in result.stdout + result.stderr
    assert len(result.failed()) == 1


def test_values_not_in_their_form_are_gc018_naming_the_form(tmp_path):
    s = load({"GIGACHECK_MIN_BALANCE": "10k", "ENABLE_GIGACHAT": "maybe", "USE_MOCK_RESPONSES": "false"})
    f = rules.unread_lines(s)
    assert f.code == "GC018" and "GIGACHECK_MIN_BALANCE, ENABLE_GIGACHAT" in f.detail
    assert "GIGACHECK_MIN_BALANCE='10k': give a number of tokens, e.g. GIGACHECK_MIN_BALANCE=10000" in f.evidence
    assert "ENABLE_GIGACHAT='maybe': write true or false (read as true until then)" in f.evidence
    assert rules.unread_lines(load({"GIGACHECK_MIN_BALANCE": "10000", "ENABLE_GIGACHAT": "True"})) is None


def test_a_min_balance_that_is_no_number_fails_once_and_the_balance_check_names_it(run_checks):
    result = run_checks("--mock", "--spend", "-m", "config or generation", env={"GIGACHECK_MIN_BALANCE": "abc"})
    assert result.failed() == {"checks/test_config.py::test_can_every_setting_be_read": ["GC018"]}
    balance = result.check("test_is_the_balance_above_the_minimum")
    assert balance["outcome"] == "skipped" and balance["codes"] == ["GC018"]
    assert "GIGACHECK_MIN_BALANCE is not set" not in result.stdout  # it is set, just not a number


def test_a_pinned_sdk_version_that_is_no_version_is_gc018():
    f = rules.unread_lines(load({"GIGACHECK_SDK_VERSION": "banana"}))
    assert f.code == "GC018" and any("GIGACHECK_SDK_VERSION='banana': give the site's gigachat SDK version" in e
                                     for e in f.evidence)
    assert rules.unread_lines(load({"GIGACHECK_SDK_VERSION": "0.1.42"})) is None
    assert rules.unread_lines(load({"GIGACHECK_SDK_VERSION": "none"})) is None
