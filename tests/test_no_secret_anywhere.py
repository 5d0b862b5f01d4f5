"""No secret in any output, whatever the peer, the config or the site's log rows hold (issue 9).

A hostile fake GigaChat over TLS (tests/support/hostile.py) echoes the credential it
receives in every form it can take (plain, URL- and form-encoded, unpadded, base64,
MIME-wrapped, JSON-escaped, cut, after `Bearer "`, behind terminal escapes, in a 60 KB
X-Request-Id, OpenAI-masked) at OAuth, the API, generation, /balance and the fallback
provider; the configuration is as careless as an operator's (a key in GIGACHAT_MODELS,
a DATABASE_URL password with `/ # ?` and a newline, a token with literal quotes, the
fallback over http://); the site's log rows quote the key and token.  Each run writes
everything pytest can (`-vv -l --tb=long --full-trace -rA`, DEBUG logs, `--debug`,
`--log-file`, the cache, HTML, JSON, JUnit with logs) and every output is searched for
any 8-character piece of each secret.
"""

from __future__ import annotations

import re
import io
import json
import sqlite3
from argparse import Namespace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from gigacheck.logs import viewer
from tests.support.canary import find_leaks
from tests.support.checksrun import FIXTURES
from tests.support.fakegiga import API_PREFIX, OAUTH_PATH, PROXY_PREFIX, ClosedPort, FakeGigaChat
from tests.support.faultrun import LOUD, base_env
from tests.support.hostile import balance_echo, chat_echo, echo

EVERYTHING = (*LOUD, "--full-trace", "--debug", "--log-file=run.log", "--log-file-level=DEBUG")


def _oauth_echo(fake, env, canaries, closed):
    fake.on("POST", OAUTH_PATH, echo(401, code=6))
    env["GIGACHAT_MODELS"] = f"GigaChat,{canaries.key}"  # a key pasted into the models


def _api_echo(fake, env, canaries, closed):
    fake.on("GET", API_PREFIX + "/models", echo(401))
    fake.on("GET", PROXY_PREFIX + "/models", echo(401))
    pw = canaries.db_password  # with unencoded `/ # ?` and a line break: still learned up to the last `@`
    env["DATABASE_URL"] = f"mysql://site:{pw[:12]}/#?\n{pw[12:]}@127.0.0.1:{closed}/site"


def _spend_echo(fake, env, canaries, closed):
    fake.on("POST", API_PREFIX + "/chat/completions", chat_echo)
    fake.on("GET", API_PREFIX + "/balance", balance_echo)


def _quoted_token(fake, env, canaries, closed):
    env["GIGACHAT_ACCESS_TOKEN"] = f'"{canaries.access_token}"'  # literal quotes, as a careless .env has them
    fake.on("GET", API_PREFIX + "/models", echo(401))
    env["PROXY_API_BASE_URL"] = f"http://127.0.0.1:{closed}/v1"  # the key must not go out in clear


# case -> (set-up, extra options, {check fragment: code it must fail or warn with})
CASES = {
    "oauth-echo": (_oauth_echo, (), {"test_does_oauth_give_a_usable_token": "GC023",
                                     "test_are_the_model_names_model_names_not_secrets": "GC017"}),
    "api-echo": (_api_echo, (), {"test_does_the_models_list_answer_with_the_token": "GC031",
                                 "test_does_the_fallback_provider_answer": "GC045"}),
    "spend-echo": (_spend_echo, ("--spend",), {"test_can_the_site_generate_an_image": "GC042"}),
    "quoted-token": (_quoted_token, ("-s", "--tb=native"), {"test_does_the_fallback_provider_answer": "GC046"}),
}


def _no_cache_plugins(workdir: Path):
    return ("-p", "no:hypothesispytest", "-p", "no:benchmark", "-o", f"cache_dir={workdir / '.pytest_cache'}")


def _outputs(result):
    named = {"stdout": result.stdout, "stderr": result.stderr, "report.json": json.dumps(result.json),
             "html": result.html, "junit.xml": result.junit}
    named.update(result.extra_files)
    return named


def _assert_clean(outputs, secrets, expect_files=("pytestdebug.log", "run.log", ".pytest_cache/v/cache/nodeids")):
    for name in expect_files:
        assert name in outputs, f"{name} was not written: {sorted(outputs)}"
    leaks = [(where, what, seen) for where, text in outputs.items() for what, seen in find_leaks(text, secrets)]
    assert not leaks, "secrets leaked:\n" + "\n".join(f"{w}: {n}: ...{s!r}..." for w, n, s in leaks)
    for where in outputs:
        assert "\x1b]0;pwned" not in outputs[where] and "\x1b[2J" not in outputs[where], \
            f"a peer's terminal escape reached {where}"


@pytest.mark.parametrize("case", list(CASES))
def test_no_secret_in_any_output_of_a_run_against_a_hostile_peer(case, in_process, giga_ca, giga_ca_file,
                                                                  canaries):
    setup, args, expected = CASES[case]
    with ClosedPort() as closed, FakeGigaChat(giga_ca, key=canaries.key, proxy_key=canaries.proxy_key) as fake:
        env = base_env(fake, giga_ca_file, canaries, closed.port)
        setup(fake, env, canaries, closed.port)
        workdir = in_process.pytester.path / case
        result, _ = in_process.run(case, (*EVERYTHING, *args), env, quiet=_no_cache_plugins(workdir))
        sent = [s.header("Authorization") or "" for s in fake.seen]
    assert result.json.get("checks"), result.stdout[-3000:]
    for fragment, code in expected.items():
        check = result.check(fragment)
        assert code in check["codes"], (fragment, check)
    secrets = dict(canaries.values(), **{"issued token": fake.token})
    _assert_clean(_outputs(result), secrets)
    if case == "quoted-token":
        assert not any(canaries.proxy_key in s for s in sent)
        assert "fallback provider OFF (plain http://, refused: GC046)" in result.html  # not a bare "on"
    if case == "spend-echo":
        assert 'name="balance"' in result.junit  # the echoed rows reached a JUnit property, masked
    if case == "oauth-echo":
        assert all(canaries.key[:20] not in s.path for s in fake.seen)  # the key never became a URL path


# --- the site's log rows ------------------------------------------------------------------------

def _log_db(path: Path, canaries) -> Path:
    """The site's SystemLog with rows that quote the key and the token (an image asked for, none saved: LG018)."""
    schema = (FIXTURES / "logs" / "schema.sqlite.sql").read_text(encoding="utf-8")
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    rows = [
        ("INFO", f"GigaChat: запрос с ключом авторизации Basic {canaries.key}"),
        ("ERROR", f"GigaChat: OAuth failed with status 401 for Authorization: Bearer {canaries.access_token}"),
        ("WARNING", f"GigaChat: ключ {canaries.key[5:70]} обрезан"),
        ("ERROR", f"GigaChat 429 Too Many Requests, token={json.dumps(canaries.access_token)[1:300]}"),
        ("INFO", f"GigaChat: fallback key {canaries.proxy_key}"),
        ("INFO", "generate_and_save_image: запуск для статьи 1842"),  # an image asked for: LG018 asks then
    ]
    with sqlite3.connect(path) as db:
        db.executescript(schema)
        db.executemany('INSERT INTO "Asistent_systemlog" ("timestamp", "level", "logger_name", "message", '
                       '"module", "function", "line", "extra_data") VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
                       [((now - timedelta(minutes=10 + i)).strftime("%Y-%m-%d %H:%M:%S"), level, "Asistent",
                         message, "gigachat", "generate", 1, "{}") for i, (level, message) in enumerate(rows)])
    return path


def test_no_secret_of_the_sites_log_rows_in_any_output(in_process, canaries, tmp_path):
    db = _log_db(tmp_path / "site.sqlite3", canaries)
    env = {"GIGACHAT_CREDENTIALS": canaries.key, "GIGACHAT_ACCESS_TOKEN": canaries.access_token,
           "PROXY_API_KEY": canaries.proxy_key, "DATABASE_URL": f"sqlite:///{db}"}
    workdir = in_process.pytester.path / "logs"
    # a live run of the log checks: a mock run reads the scenario's own rows, never DATABASE_URL (SPEC)
    result, _ = in_process.run("logs", ("-m", "logs", *EVERYTHING), env, quiet=_no_cache_plugins(workdir))
    assert "LG018" in result.check("test_was_an_image_saved_while_gigachat_was_used")["codes"]  # a warning
    assert "LG019" in result.check("test_are_there_no_404_or_oauth_failures")["codes"]
    _assert_clean(_outputs(result), canaries.values())
    # the viewer, text and JSON: the same rows, the same redactor
    shown = {}
    for flags in ((), ("--json",)):
        out, err = io.StringIO(), io.StringIO()
        args = Namespace(hours=24.0, level=None, search=None, limit=50, env_file=None, json=bool(flags),
                         summary=False, mock=None)
        assert viewer.run(args, environ=env, stdout=out, stderr=err) == 0, err.getvalue()
        shown[f"logs {' '.join(flags)} stdout"], shown[f"logs {' '.join(flags)} stderr"] = out.getvalue(), err.getvalue()
    assert "OAuth failed with status 401" in shown["logs  stdout"]
    json.loads(shown["logs --json stdout"])  # still JSON after scrubbing
    _assert_clean(shown, canaries.values(), expect_files=())


@pytest.mark.parametrize("url", [
    "mysql://site:{pw}@127.0.0.1:{port}/site", "mysql://site:{pw}/#?x@127.0.0.1:{port}/site",
    "mysql//site:{pw}@127.0.0.1:{port}/site", "mysql:/site:{pw}@127.0.0.1:{port}/site",
    "mysql:site:{pw}@127.0.0.1:{port}/site", "mysql://site:{pw}\nnext@127.0.0.1:{port}/site"])
def test_the_database_password_is_never_shown_however_malformed_the_url(canaries, url):
    with ClosedPort() as closed:
        env = {"DATABASE_URL": url.format(pw=canaries.db_password, port=closed.port)}
        out, err = io.StringIO(), io.StringIO()
        args = Namespace(hours=24.0, level=None, search=None, limit=50, env_file=None, json=False, summary=False,
                         mock=None)
        code = viewer.run(args, environ=env, stdout=out, stderr=err)
    assert code != 0 and err.getvalue().startswith("gigacheck logs: error:")
    assert find_leaks(out.getvalue() + err.getvalue(), {"db password": canaries.db_password}) == []


def test_no_secret_in_any_output_of_a_parallel_run_against_a_hostile_peer(run_checks, giga_ca, giga_ca_file,
                                                                           canaries):
    """Under xdist the workers scrub their reports and the controller its outputs: same result."""
    with ClosedPort() as closed, FakeGigaChat(giga_ca, key=canaries.key, proxy_key=canaries.proxy_key) as fake:
        env = base_env(fake, giga_ca_file, canaries, closed.port)
        _spend_echo(fake, env, canaries, closed.port)
        fake.on("GET", PROXY_PREFIX + "/models", echo(401))
        result = run_checks("-n", "2", "-p", "no:hypothesispytest", "-p", "no:benchmark", *LOUD, "--spend", env=env)
    assert "created: 2/2 workers" in result.stdout
    assert "GC042" in result.check("test_can_the_site_generate_an_image")["codes"]
    _assert_clean(_outputs(result), dict(canaries.values(), **{"issued token": fake.token}), expect_files=())
