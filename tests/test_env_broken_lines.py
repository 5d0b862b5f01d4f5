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
