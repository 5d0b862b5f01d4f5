"""The site's log table and log file: the log runbook, executable.

The window is the last --hours hours. A signature check fails when its count in the window
is above its threshold (0 unless `gigacheck_log_thresholds` in pytest.ini says otherwise)
and shows the newest matching rows (--limit, narrowed by --level and --search).
"""

import pytest

pytestmark = pytest.mark.logs


# --- the source -------------------------------------------------------------------------------------------

def test_is_a_log_source_configured(log_window):
    log_window.configured()


def test_can_the_log_database_be_reached(log_window):
    log_window.database()


def test_does_the_log_table_exist(log_window):
    log_window.table_exists()


def test_does_the_log_table_have_timestamp_level_message(log_window):
    log_window.table_info()


def test_is_the_timestamp_column_indexed(log_window):
    log_window.index()


# --- the signatures in the window ----------------------------------------------------------------------------
# Causes first, consequences after (gigacheck/causes.py): a row that shows a cause already
# reported is skipped naming that check, so one root cause gives one failure.

def test_can_the_site_verify_gigachats_certificates(log_window):
    log_window.signature("LG021")


def test_could_the_site_reach_gigachat(log_window):
    log_window.signature("LG022")


def test_are_there_no_timeouts(log_window):
    log_window.signature("LG013")


def test_is_gigachat_not_rate_limiting_the_site(log_window):
    log_window.signature("LG014")


def test_do_the_models_have_tokens_left(log_window):
    log_window.signature("LG015")


def test_are_there_no_404_or_oauth_failures(log_window):
    log_window.signature("LG019")


def test_did_gigachat_answer_without_server_errors(log_window):
    log_window.signature("LG020")


def test_did_every_image_answer_have_an_img_tag(log_window):
    log_window.signature("LG016")


def test_were_the_images_saved_without_errors(log_window):
    log_window.signature("LG017")


def test_did_gigachat_return_no_empty_paths(log_window):
    log_window.signature("LG011")


def test_did_every_image_generation_succeed(log_window):
    log_window.signature("LG012")


def test_are_there_no_gigachat_errors_in_the_window(log_window):
    log_window.signature("LG010")


def test_was_an_image_saved_while_gigachat_was_used(log_window):
    log_window.images_saved()
