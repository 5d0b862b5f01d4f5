"""Configuration faults, through `pytest checks/` as an operator runs it.

An env file as editors and Windows leave it (BOM, CRLF, quotes, `export`,
duplicates, cp1251 comments) must give the same key to OAuth as a clean one;
a broken `--env-file` is a usage error with one clear line, not a traceback;
malformed URLs are config findings, and a password inside a URL shows nowhere.
"""

import pytest

from tests.support.canary import find_leaks, outputs_of
from tests.support.fakegiga import ClosedPort
from tests.support.faultrun import LOUD, TIMEOUT, only



def test_an_env_file_as_editors_leave_it_gives_oauth_the_exact_key(in_process, fake_giga, giga_ca_file, canaries):
    lines = [
        "\ufeff# the site's settings, saved by Notepad",
        f'export GIGACHAT_CREDENTIALS="{canaries.key}"',
        "GIGACHAT_SCOPE='GIGACHAT_API_PERS'",
        "GIGACHAT_MODELS=GigaChat",
        "GIGACHAT_MODELS=GigaChat,GigaChat-Pro   # the last one wins, as in python-dotenv",
        f"GIGACHAT_AUTH_URL={fake_giga.auth_url}",
        f"GIGACHAT_BASE_URL={fake_giga.base_url}",
        f"GIGACHAT_CA_BUNDLE_FILE={giga_ca_file}",
        f"GIGACHAT_TIMEOUT={TIMEOUT}",
    ]
    env_file = in_process.pytester.path / "site.env"
    text = "\r\n".join(lines).encode("utf-8") + "\r\n# ключ от Сбера\r\n".encode("cp1251")
    env_file.write_bytes(text)
    result, _ = in_process.run("env-file", ("--env-file", str(env_file), "-m", "not logs"), {})
    assert result.ret == 0, result.stdout[-3000:]
    assert [s.header("Authorization") for s in fake_giga.seen if s.method == "POST"] == [f"Basic {canaries.key}"]
    served = [c["id"] for c in result.checks if "configured_model_served" in c["id"]]
    assert [i.rsplit("[", 1)[1] for i in served] == ["GigaChat]", "GigaChat-Pro]"]


def test_a_key_with_bytes_that_are_not_utf8_is_a_key_finding(in_process, fake_giga, giga_ca_file):
    env_file = in_process.pytester.path / "latin.env"
    env_file.write_bytes(b"GIGACHAT_CREDENTIALS=\xcf\xee\xeb\xfc\xe7\xee\xe2\xe0\xf2\xe5\xeb\xfc-key-value-1234\n")
    result, _ = in_process.run("non-utf8", ("--env-file", str(env_file), "-m", "not logs"),
                               fake_giga.env(giga_ca_file))
    assert result.ret == 1 and "Traceback" not in result.stdout
    assert only(result) == {
        "checks/test_config.py::test_does_the_key_decode_to_client_id_and_secret": ["GC006"]}
    assert fake_giga.oauth_requests == 0  # a key that cannot be right is not sent


def test_an_env_file_of_binary_garbage_is_read_not_fatal(in_process):
    env_file = in_process.pytester.path / "garbage.env"
    env_file.write_bytes(bytes(range(256)) * 4)
    result, _ = in_process.run("garbage", ("--env-file", str(env_file), "-m", "config"), {})
    assert result.ret == 1 and "INTERNALERROR" not in result.stdout + result.stderr
    assert result.check("test_is_the_key_set")["codes"] == ["GC001"]


@pytest.mark.parametrize("target, says", [("missing.env", "no such file"), (".", "is a directory")])
def test_a_broken_env_file_option_is_a_usage_error_not_a_traceback(in_process, target, says):
    result, _ = in_process.run("usage", ("--env-file", target), {})
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    err = result.stderr
    assert "--env-file" in err and says in err, err
    assert "Traceback" not in err + result.stdout and "INTERNALERROR" not in err + result.stdout


URL_FAULTS = [
    # (GIGACHAT_AUTH_URL, GIGACHAT_BASE_URL, {check: code}, a phrase of each summary); every URL is
    # blocked by its config finding, and its host is `.invalid` besides: nothing leaves this machine
    ("ngw.invalid:9443/api/v2/oauth", "gigachat.invalid/api/v1",
     {"auth_url": "GC009", "base_url": "GC010"}, "no scheme"),
    ("https://ngw.invalid:9443/api/v2/ oauth", "https://gigachat.invalid/api/ v1",
     {"auth_url": "GC009", "base_url": "GC010"}, "spaces"),
    ("https://svc:{password}@ngw.invalid:9443/api/v2/oauth", "https://gigachat:{password}@gigachat.invalid/api/v1",
     {"auth_url": "GC009", "base_url": "GC010"}, "credentials"),
]


@pytest.mark.parametrize("auth, base, expected, says", URL_FAULTS, ids=["no-scheme", "spaces", "credentials"])
def test_a_malformed_url_is_a_config_finding(in_process, canaries, auth, base, expected, says):
    password = canaries.db_password
    env = {"GIGACHAT_CREDENTIALS": canaries.key, "GIGACHAT_TIMEOUT": TIMEOUT,
           "GIGACHAT_AUTH_URL": auth.format(password=password), "GIGACHAT_BASE_URL": base.format(password=password)}
    with ClosedPort() as db:
        env["DATABASE_URL"] = f"mysql://site:{password}@127.0.0.1:{db.port}/site"
        result, _ = in_process.run("urls", ("-m", "not logs", *LOUD), env)
    assert result.ret == 1 and "INTERNALERROR" not in result.stdout + result.stderr
    failed = only(result)
    wanted = {f"checks/test_config.py::test_is_the_{name}_a_gigachat_"
              f"{'oauth_endpoint' if name == 'auth_url' else 'api_base'}": [code] for name, code in expected.items()}
    assert failed == wanted, failed
    for check_id in wanted:
        assert says in result.check(check_id.split("::")[1])["summary"]
    # nothing was sent anywhere, and the password in the URL shows nowhere
    assert all(c["outcome"] != "passed" for c in result.checks if "test_network" in c["id"]
               or "test_oauth" in c["id"])
    leaks = [(where, leak) for where, text in outputs_of(result).items()
             for leak in find_leaks(text, {"URL password": password, "key": canaries.key})]
    assert not leaks, leaks
