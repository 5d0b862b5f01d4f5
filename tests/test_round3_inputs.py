"""Issue 22 (round 3 hardening), the inputs a newcomer gives: `--env-file /dev/null`, an ini value
that is not a number, and `--junitxml` with warnings made errors."""

from pathlib import Path

import pytest

from gigacheck.logs.options import options_from
from gigacheck.settings import read_env_file


def test_dev_null_reads_as_an_empty_env_file():
    assert not read_env_file(Path("/dev/null"))


def test_a_mock_run_takes_dev_null_as_its_env_file(run_checks):
    result = run_checks("--mock", "--env-file", "/dev/null")
    assert result.ret == 0, result.stdout[-2000:]
    assert result.json["verdict"] == "passed" and result.json["counts"]["failed"] == 0


@pytest.mark.parametrize("value", ["abc", "10s", "nan"])
def test_a_query_timeout_that_is_no_number_names_the_setting_and_its_form(value):
    with pytest.raises(ValueError) as e:
        options_from(24, None, None, 50, query_timeout=value)
    assert "gigacheck_log_query_timeout" in str(e.value) and "seconds above 0" in str(e.value)
    assert "could not convert" not in str(e.value)


def test_junitxml_under_warnings_as_errors_fails_no_check(run_checks):
    # the suite's own properties warned (record_property under xunit2) twice a run, and failed
    # the balance and fallback checks with no code under -W error::pytest.PytestWarning
    result = run_checks("--mock", "-W", "error::pytest.PytestWarning", subprocess=True)  # in-process, the
    # plugin is imported already and pytest warns that it cannot rewrite it
    assert result.ret == 0, result.stdout[-3000:]
    assert "record_property is incompatible" not in result.stdout + result.stderr
    assert result.json["counts"]["failed"] == 0
    assert 'name="balance"' in result.junit
