"""--notify: real Apprise posting to a local `json://` webhook, one message when the verdict changes against
the history (the first failure, the recovery), none while it stays; scrubbed, the URL's own tokens too;
a send that fails or hangs is a warning line, never a failed run."""

import json
import socket
import subprocess
import sys
import time
import warnings

import pytest

from gigacheck import notify
from gigacheck.diagnosis import CATALOG
from tests.support.between import GIGACHAT_AREAS, Webhook, live_env
from tests.support.faultrun import InProcess
from tests.support.fakegiga import FakeGigaChat, canary_key

with warnings.catch_warnings():  # its own imports' DeprecationWarnings (imghdr)
    warnings.simplefilter("ignore")
    apprise = pytest.importorskip("apprise", reason="Apprise is a test extra: pip install -e '.[test]'")

URL_PASSWORD = "Hook-Passw0rd-7731"
URL_TOKEN = "Tok3nAbcdefGhij1234567890xyz"


def test_four_live_runs_send_0_1_0_1_messages_with_no_secret(pytester, monkeypatch, giga_ca, giga_ca_file,
                                                             tmp_path):
    key, wrong = canary_key(), canary_key()
    history = tmp_path / "cron" / "history.sqlite3"
    runner = InProcess(pytester, monkeypatch)
    with FakeGigaChat(giga_ca, key=key) as fake, Webhook() as hook:
        url = f"json://gigacheck:{URL_PASSWORD}@127.0.0.1:{hook.port}/hooks/{URL_TOKEN}"
        messages, changes, runs = [], [], []
        for i, used in enumerate((key, wrong, wrong, key)):
            before = len(hook.posted)
            result, _ = runner.run(f"run{i}", (*GIGACHAT_AREAS, "--history", str(history), "--notify", url,
                                               "--prometheus", str(tmp_path / "gigacheck.prom")),
                                   live_env(fake, giga_ca_file, used))
            messages.append(len(hook.posted) - before)
            changes.append(result.json["changes"])
            runs.append(result)
        secrets = {"key": key, "wrong key": wrong, "token": fake.token, "URL password": URL_PASSWORD,
                   "URL token": URL_TOKEN}
    assert [r.json["verdict"] for r in runs] == ["passed", "failed", "failed", "passed"]
    assert [r.ret for r in runs] == [0, 1, 1, 0]
    assert messages == [0, 1, 0, 1]
    first, second, third, fourth = changes
    assert first == {"since": None, "previous_verdict": None, "new": [], "fixed": []}
    assert second == {"since": runs[0].json["started_at"], "previous_verdict": "passed", "new": ["GC023"],
                      "fixed": []}
    assert third == {"since": runs[1].json["started_at"], "previous_verdict": "failed", "new": [], "fixed": []}
    assert fourth == {"since": runs[2].json["started_at"], "previous_verdict": "failed", "new": [],
                      "fixed": ["GC023"]}
    failure, recovery = hook.posted
    # the webhook got its own credentials (that is how it authenticates), the message none of them
    assert failure.path == f"/hooks/{URL_TOKEN}" and failure.headers.get("Authorization", "").startswith("Basic ")
    assert failure.body["type"] == "failure" and recovery.body["type"] == "success"
    text = failure.body["title"] + "\n" + failure.body["message"]
    assert "failed" in failure.body["title"]
    assert "[GC023]" in text and CATALOG["GC023"].finding in text and "Remedy:" in text
    assert "passed" in recovery.body["title"] and "GC023" in recovery.body["message"]  # what was fixed
    for name, value in secrets.items():
        for posted in hook.posted:
            assert value not in posted.raw, f"the {name} was sent in a message"
        for result in runs:
            assert value not in result.everything(), f"the {name} is in an output"
    assert "alert: the verdict is now failed, sent to 1 URL(s)" in runs[1].stdout
    # `gigacheck history --json`: the four runs, newest first, as SPEC shapes them
    listed = subprocess.run([sys.executable, "-m", "gigacheck", "history", "--history", str(history), "--json"],
                            capture_output=True, text=True, timeout=60)
    assert listed.returncode == 0, listed.stderr
    data = json.loads(listed.stdout)
    assert [d["verdict"] for d in data] == ["passed", "failed", "failed", "passed"]
    assert [d["codes"] for d in data] == [[], ["GC023"], ["GC023"], []]
    assert all(list(d) == ["started_at", "verdict", "codes", "mode"] and d["mode"] == "live" for d in data)
    assert [d["started_at"] for d in data] == [r.json["started_at"] for r in reversed(runs)]


def test_a_send_that_fails_is_a_warning_line_and_the_run_keeps_its_verdict(run_checks, tmp_path):
    with Webhook(status=500) as hook:
        result = run_checks("--mock=bad-key", "-m", "config or oauth", "--history", str(tmp_path / "h.sqlite3"),
                            "--notify", f"json://127.0.0.1:{hook.port}/down")
    assert len(hook.posted) == 1  # Apprise tried once
    assert result.ret == 1 and result.json["verdict"] == "failed"
    assert "alert: not sent (the service refused it or could not be reached)" in result.stdout
    assert "INTERNALERROR" not in result.stdout + result.stderr


def test_a_url_apprise_does_not_know_is_a_warning(run_checks, tmp_path):
    result = run_checks("--mock=bad-key", "-m", "config or oauth", "--notify", "nosuchscheme://abc")
    assert result.ret == 1
    assert "alert: not sent (Apprise does not understand URL no. 1 of 1)" in result.stdout
    assert "nosuchscheme://abc" not in result.everything()


def test_a_webhook_that_never_answers_is_given_up_within_the_limit():
    with socket.socket() as silent:  # accepts the connection, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        started = time.monotonic()
        sent = notify.send([f"json://127.0.0.1:{silent.getsockname()[1]}/x"], "t", "b", "failed", limit_s=0.5)
        took = time.monotonic() - started
    assert not sent.ok and sent.why == "timeout"
    assert took < 2


def test_no_apprise_is_a_warning_that_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "apprise", None)
    sent = notify.send(["json://127.0.0.1:9/x"], "t", "b", "failed")
    assert not sent.ok and sent.why == "apprise-missing"


def test_the_gigacheck_notify_variable_is_read_and_its_tokens_masked(run_checks, tmp_path):
    with Webhook() as hook:
        url = f"json://user:{URL_PASSWORD}@127.0.0.1:{hook.port}/h/{URL_TOKEN}"
        result = run_checks("--mock=bad-key", "-m", "config or oauth", "--history", str(tmp_path / "h.sqlite3"),
                            env={"GIGACHECK_NOTIFY": f"{url} "})
    assert len(hook.posted) == 1 and "[GC023]" in hook.posted[0].body["message"]
    assert URL_PASSWORD not in result.everything() and URL_TOKEN not in result.everything()
    assert "GIGACHECK_NOTIFY" in result.html  # the settings table names it, masked


@pytest.mark.parametrize("previous, verdict, send", [
    (None, "passed", False), (None, "warnings", False), (None, "failed", True), (None, "nothing-checked", False),
    ("passed", "failed", True), ("failed", "failed", False), ("failed", "passed", True),
    ("passed", "passed", False), ("passed", "warnings", True), ("failed", "nothing-checked", False),
])
def test_a_message_only_when_the_verdict_changes(previous, verdict, send):
    assert notify.should_send(previous, verdict) is send


@pytest.mark.parametrize("url, secret, shown", [
    ("tgram://123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/-1001234567", "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw",
     "tgram"),
    ("slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/#general", "TIiajkdnlazkcOXrIdevi7FQ", "general"),
    ("mailto://ops:mail-password-42@mail.example.org?to=ops@example.org", "mail-password-42", "mail.example.org"),
    ("json://127.0.0.1:8080/hook?token=abcdEFGH1234", "abcdEFGH1234", "127.0.0.1"),
])
def test_an_apprise_urls_tokens_are_secrets_and_its_host_is_not(url, secret, shown):
    secrets = notify.url_secrets(url)
    assert url in secrets and secret in secrets
    assert shown not in secrets and "8080" not in secrets


def test_a_russian_run_alerts_in_russian(run_checks, tmp_path):
    with Webhook() as hook:
        result = run_checks("--mock=bad-key", "-m", "config or oauth", "--lang", "ru", "--history",
                            str(tmp_path / "h.sqlite3"), "--notify", f"json://127.0.0.1:{hook.port}/ru")
    assert result.ret == 1 and len(hook.posted) == 1
    body = hook.posted[0].body
    assert "есть ошибки" in body["title"] and "Вердикт: есть ошибки" in body["message"]
    assert "[GC023]" in body["message"] and "Что сделать:" in body["message"]
    assert "оповещение: вердикт теперь «есть ошибки»" in result.stdout


def test_the_alert_urls_may_live_in_the_env_file(run_checks, tmp_path):
    with Webhook() as hook:
        url = f"json://user:{URL_PASSWORD}@127.0.0.1:{hook.port}/env/{URL_TOKEN}"
        result = run_checks("--mock=bad-key", "-m", "config or oauth", "--history", str(tmp_path / "h.sqlite3"),
                            env_file_text=f"GIGACHECK_NOTIFY={url}\n")
    assert len(hook.posted) == 1 and hook.posted[0].path == f"/env/{URL_TOKEN}"
    assert URL_PASSWORD not in result.everything() and URL_TOKEN not in result.everything()


def test_a_previous_verdict_this_version_does_not_know_is_shown_as_it_is():
    """An older history file may hold a verdict word this version lacks: the message says it, never a KeyError."""
    from gigacheck.words import say
    title, body = notify.message("failed", "degraded", None, [], [], where="site", say=lambda k, **f: say(k, "en", **f),
                                 scrub=lambda s: s)
    assert "degraded" in body and "failed" in title
