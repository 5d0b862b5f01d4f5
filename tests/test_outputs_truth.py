"""Issue 22, "Outputs that lie": a run in which no check body ran is `nothing-checked` (never "Passed"), and
report paths that cannot be written, or two reports on one path, are usage errors before the run (exit 4)."""

import pytest

from gigacheck.report import CheckRecord, verdict_of

NOT_PASSED = "Passed: the integration works"


def _verdict_line(stdout: str) -> str:
    lines = stdout.splitlines()
    at = next(i for i, line in enumerate(lines) if "gigacheck MOCK" in line or "gigacheck LIVE" in line)
    verdict = [lines[at + 1]]
    for line in lines[at + 2:]:  # its continuation lines, wrapped at 100 columns
        if not line.startswith("   "):
            break
        verdict.append(line.strip())
    return " ".join(verdict)


def test_verdict_of_records_that_never_ran_a_body():
    assert verdict_of([]) == "nothing-checked"
    assert verdict_of([CheckRecord("a")]) == "nothing-checked"  # set up only: no call report
    assert verdict_of([CheckRecord("a", "skipped"), CheckRecord("b", "skipped")]) == "nothing-checked"
    assert verdict_of([CheckRecord("a", "skipped"), CheckRecord("b", "passed")]) == "passed"
    assert verdict_of([CheckRecord("a", "skipped"), CheckRecord("b", "failed")]) == "failed"
    warned = CheckRecord("b", "passed", warnings=["[GC011] off"])
    assert verdict_of([warned]) == "warnings"


@pytest.mark.parametrize("args, why", [
    (("--mock=bad-key", "--setup-only"), "--setup-only"),
    (("--mock=bad-key", "--setup-plan"), "--setup-plan"),
    (("--mock=bad-key", "-m", "no_such_marker"), "no check was selected"),
    (("--mock", "-k", "does_every_model_in_the_priority_list_answer"), "every selected check was skipped"),
])
def test_a_run_where_no_check_body_ran_is_nothing_checked(run_checks, args, why):
    result = run_checks(*args)
    assert result.json["verdict"] == "nothing-checked"
    assert result.json["counts"]["passed"] == 0 and result.json["counts"]["failed"] == 0
    assert NOT_PASSED not in result.stdout + result.html
    line = _verdict_line(result.stdout)
    assert line.startswith(" - Nothing checked") and why in line, line
    assert "data-verdict='nothing-checked'" in result.html
    # pytest's exit codes (SPEC): 5 where nothing was selected, else 0 (no check failed)
    assert result.ret == (5 if "-m" in args else 0)


def test_a_failing_scenario_says_failed_first(run_checks):
    result = run_checks("--mock=bad-key", "-m", "config or oauth")
    assert result.ret == 1 and result.json["verdict"] == "failed"
    assert _verdict_line(result.stdout).startswith(" ✗ Failed")


def test_a_healthy_run_says_passed(run_checks):
    result = run_checks("--mock", "-m", "config")
    assert result.json["verdict"] == "passed" and _verdict_line(result.stdout) == f" ✓ {NOT_PASSED}"


def _usage_error(result, *words):
    assert result.ret == 4, result.stdout[-1500:] + result.stderr[-1500:]
    text = result.stdout + result.stderr
    assert "INTERNALERROR" not in text and "Traceback" not in text
    for word in words:
        assert word in result.stderr, result.stderr


def test_a_reports_file_where_the_folder_goes_is_a_usage_error(run_checks, pytester):
    (pytester.path / "reports").write_text("not a folder\n")
    _usage_error(run_checks("--mock", "-m", "config"), "--html", "reports is a file")
    assert (pytester.path / "reports").read_text() == "not a folder\n"  # left as it was


def test_an_html_folder_that_is_a_file_is_a_usage_error(run_checks, pytester):
    (pytester.path / "out").write_text("x")
    _usage_error(run_checks("--mock", "-m", "config", "--html=out/health.html"), "--html out/health.html",
                 "is a file")


def test_report_json_under_a_file_is_a_usage_error(run_checks, pytester):
    (pytester.path / "notes").write_text("x")
    _usage_error(run_checks("--mock", "-m", "config", "--report-json", "notes/summary.json"),
                 "--report-json notes/summary.json", "notes is a file")


@pytest.mark.parametrize("args, words", [
    (("--html=same.html", "--report-json", "same.html"), ("--report-json same.html", "--html")),
    (("--report-json", "junit.xml"), ("--report-json junit.xml", "--junitxml")),
    (("--html=./junit.xml",), ("--html", "--junitxml", "the same file")),
])
def test_two_reports_on_one_path_are_a_usage_error(run_checks, args, words):
    _usage_error(run_checks("--mock", "-m", "config", *args), *words)


def test_report_paths_that_work_are_left_alone(run_checks, pytester):
    result = run_checks("--mock", "-m", "config", "--html=new/deeper/health.html")
    assert result.ret == 0 and (pytester.path / "new" / "deeper" / "health.html").is_file()


# --- the terminal block as printed: remedies whole, checks named by their question, 100 columns ---

def _block(stdout: str) -> list:
    lines = stdout.splitlines()
    at = next(i for i, line in enumerate(lines) if "gigacheck MOCK" in line or "gigacheck LIVE" in line)
    return lines[at + 1:]


def test_question_of_a_node_id():
    from gigacheck.report import question_of, readable
    assert question_of(".venv/lib/python3.11/site-packages/gigacheck/checks/test_oauth.py::"
                       "test_does_oauth_give_a_usable_token") == "Does OAuth give a usable token?"
    assert question_of("checks/test_generation.py::test_does_every_model_in_the_priority_list_answer"
                       "[GigaChat-Pro]") == "Does every model in the priority list answer? (GigaChat-Pro)"
    assert readable("[GC023] rejected (reported by gigacheck/checks/test_oauth.py::test_does_oauth_give_a_usable_"
                    "token)") == "[GC023] rejected (reported by “Does OAuth give a usable token?”)"


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_the_terminal_block_wraps_whole_remedies_within_100_columns(run_checks, lang):
    from gigacheck.diagnosis import CATALOG
    result = run_checks("--mock=bad-key", "--lang", lang)
    block = _block(result.stdout)
    assert all(len(line) <= 100 for line in block), [line for line in block if len(line) > 100]
    text = " ".join(line.strip() for line in block)
    remedy = CATALOG["GC023"].text(lang).remedy
    assert " ".join(remedy.split()) in text  # whole, as the catalog writes it, only wrapped
    assert "…" not in text
    assert ".py::" not in text and "“Does OAuth give a usable token?”" in text  # the question, not a path
    # the JSON keeps the node id: it is what scripts match on
    api = [c for c in result.checks if "test_api.py" in c["id"] and c["outcome"] == "skipped"]
    assert api and all("test_oauth.py::test_does_oauth_give_a_usable_token" in c["summary"] for c in api)


def test_the_installed_checks_are_named_by_their_question_too(run_checks, pytester):
    # `pytest --pyargs gigacheck.checks`: the node ids are install paths
    result = run_checks("--mock=provider-down", "--pyargs", "gigacheck.checks", checks="gigacheck.checks")
    block = _block(result.stdout)
    assert result.json["verdict"] == "failed"
    assert all(len(line) <= 100 for line in block) and "site-packages" not in "\n".join(block)
    assert "“Does the models list answer with the token?”" in " ".join(line.strip() for line in block)


# --- every value that cannot be read names the setting and the form it takes ---

@pytest.mark.parametrize("args, says", [
    (("--hours", "abc"), "argument --hours: 'abc' is no number of hours: give a number above 0"),
    (("--hours", "-2"), "--hours -2.0: give a number of hours above 0"),
    (("--limit", "x"), "argument --limit: 'x' is no whole number: give one from 0 to 1000000000"),
    (("--limit", "-5"), "--limit -5: give a whole number from 0 to 1000000000"),
])
def test_the_viewers_unreadable_options_name_the_form(tmp_path, monkeypatch, capsys, args, says):
    from gigacheck.__main__ import main
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as done:
        rc = main(["logs", "--mock", *args])
        raise SystemExit(rc)
    err = capsys.readouterr().err
    assert done.value.code == 2 and says in err and "Traceback" not in err, err


@pytest.mark.parametrize("args, says", [
    (("--hours", "1h"), "argument --hours: '1h' is no number of hours"),
    (("--limit", "1.5"), "argument --limit: '1.5' is no whole number"),
    (("-o", "gigacheck_log_query_timeout=abc"), "gigacheck_log_query_timeout = 'abc': give seconds above 0"),
    (("-o", "gigacheck_log_columns=ts;drop"), "gigacheck_log_columns: log columns 'ts;drop': give three names"),
    (("-o", "gigacheck_log_thresholds=LG014=x"), "gigacheck_log_thresholds: 'LG014=x': N must be a whole number"),
    (("-o", "gigacheck_lang=fr"), "gigacheck_lang: unknown language 'fr': use ru or en"),
])
def test_the_checks_unreadable_options_are_usage_errors_naming_the_form(run_checks, args, says):
    result = run_checks("--mock", "-m", "logs", *args)
    assert result.ret == 4 and says in result.stderr, result.stderr
    assert "could not convert" not in result.stderr and "invalid float value" not in result.stderr
