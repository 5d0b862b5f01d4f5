"""Where each setting comes from: the process, then the env file, then (mock only) the scenario sample."""

import base64
import uuid

import pytest

from gigacheck.redact import Redactor, Secret, mask
from gigacheck import rules, sdk
from gigacheck.settings import EnvFileError, load, read_env_file


def key():
    return base64.b64encode(f"{uuid.uuid4()}:{uuid.uuid4()}".encode()).decode()


def test_process_environment_wins_over_env_file(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("GIGACHAT_SCOPE=GIGACHAT_API_CORP\nGIGACHAT_MODEL=GigaChat-Max\n")
    s = load({"GIGACHAT_SCOPE": "GIGACHAT_API_B2B"}, env_file)
    assert s.scope == "GIGACHAT_API_B2B" and s.source["GIGACHAT_SCOPE"] == "environment"
    assert s.models == ["GigaChat-Max"] and s.source["GIGACHAT_MODEL"] == "env file"


def test_mock_sample_fills_only_what_nobody_set(tmp_path):
    sample = tmp_path / "sample"
    sample.write_text(f"GIGACHAT_CREDENTIALS={key()}\nGIGACHAT_SCOPE=GIGACHAT_API_PERS\n")
    mine = "Bearer " + key()
    s = load({"GIGACHAT_CREDENTIALS": mine}, None, mock_sample=sample, mock_scenario="healthy")
    assert s.key.reveal() == mine and s.source["GIGACHAT_CREDENTIALS"] == "environment"
    assert s.source["GIGACHAT_SCOPE"] == "mock sample"


def test_defaults():
    s = load({}, sdk_defaults=sdk.defaults(detect=False))  # no SDK installed: the documented defaults
    assert s.key is None
    assert s.scope == "GIGACHAT_API_PERS"
    assert s.auth_url == "https://ngw.devices.sberbank.ru:9443/api/v2/oauth"
    assert s.base_url == "https://gigachat.devices.sberbank.ru/api/v1"
    assert s.models == ["GigaChat"] and s.timeout == 30 and s.verify_ssl and s.enable_gigachat
    assert s.log_table == "Asistent_systemlog" and s.log_timezone == "UTC"


def test_models_priority_list_keeps_order_and_drops_blanks():
    s = load({"GIGACHAT_MODELS": " GigaChat-Pro, GigaChat-Max,,GigaChat ,GigaChat-Pro", "GIGACHAT_MODEL": "X"})
    assert s.models == ["GigaChat-Pro", "GigaChat-Max", "GigaChat"]


@pytest.mark.parametrize("raw, expected", [("false", False), ("False", False), ("0", False), ("no", False),
                                           ("true", True), ("1", True), ("nonsense", True)])
def test_verify_flag(raw, expected):
    assert load({"GIGACHAT_VERIFY_SSL_CERTS": raw}).verify_ssl is expected


def test_bad_numbers_fall_back_and_are_reported():
    s = load({"GIGACHAT_TIMEOUT": "thirty", "GIGACHECK_MIN_BALANCE": "lots"})
    assert s.timeout == 30 and s.min_balance is None
    # the SDK refuses GIGACHAT_TIMEOUT=thirty: a config check fails (GC015) instead of a header note
    assert len(s.problems) == 1 and "GIGACHECK_MIN_BALANCE" in s.problems[0]
    assert rules.sdk_refusals(s).code == "GC015" and "GIGACHAT_TIMEOUT" in rules.sdk_refusals(s).detail


def test_env_file_forms(tmp_path):
    k = key()
    p = tmp_path / "site.env"
    p.write_bytes(("\ufeffGIGACHAT_CREDENTIALS=" + k + "\r\n"
                   "export GIGACHAT_SCOPE=GIGACHAT_API_B2B\r\n"
                   "GIGACHAT_MODELS=\"GigaChat-Pro,GigaChat\"\r\n"
                   "# a comment\r\n"
                   "GIGACHAT_TIMEOUT='5'\r\n"
                   "GIGACHAT_TIMEOUT=7\r\n").encode("utf-8"))
    values = read_env_file(p)
    assert values["GIGACHAT_CREDENTIALS"] == k           # BOM and CR gone
    assert values["GIGACHAT_SCOPE"] == "GIGACHAT_API_B2B"  # export prefix
    assert values["GIGACHAT_MODELS"] == "GigaChat-Pro,GigaChat"
    assert values["GIGACHAT_TIMEOUT"] == "7"               # the last duplicate wins, as in python-dotenv


def test_env_file_with_non_utf8_bytes_is_read_not_fatal(tmp_path):
    p = tmp_path / ".env"
    p.write_bytes(b"GIGACHAT_SCOPE=GIGACHAT_API_PERS\nGIGACHAT_CREDENTIALS=\xff\xfe\xfa\n")
    values = read_env_file(p)
    assert values["GIGACHAT_SCOPE"] == "GIGACHAT_API_PERS"
    assert "\ufffd" in values["GIGACHAT_CREDENTIALS"]


def test_named_env_file_must_exist(tmp_path):
    with pytest.raises(EnvFileError, match="no such file"):
        load({}, tmp_path / "nope.env", env_file_explicit=True)
    with pytest.raises(EnvFileError, match="directory"):
        load({}, tmp_path, env_file_explicit=True)
    # the default ./.env is optional
    assert load({}, tmp_path / ".env").env_file is None


def test_masked_settings_hide_secrets_and_show_nothing_else():
    k, token = key(), "eyJ" + uuid.uuid4().hex * 3
    s = load({"GIGACHAT_CREDENTIALS": k, "GIGACHAT_ACCESS_TOKEN": token, "HOME": "/root",
              "DATABASE_URL": "mysql://reader:S3cr3t-pass@db:3306/site", "AWS_SECRET_ACCESS_KEY": "zzz"})
    shown = " ".join(f"{n}={v}" for n, v in s.masked().items())
    assert k not in shown and token not in shown and "S3cr3t-pass" not in shown
    assert mask(k) in shown and "mysql://reader:****" in shown
    assert "HOME" not in shown and "AWS_SECRET" not in shown
    assert k not in repr(s) and k not in repr(s.key)


def test_redactor_removes_values_headers_and_url_passwords():
    k = key()
    decoded_secret = base64.b64decode(k).decode().split(":")[1]
    r = Redactor([k])
    text = f"Authorization: Basic {k}\nsecret {decoded_secret}\nBearer abc.def.ghi\nmysql://u:pw@h/db"
    out = r.scrub(text)
    assert k not in out and decoded_secret not in out and "abc.def.ghi" not in out and "u:pw@" not in out
    assert "****" in out and mask(k) in out


def test_secret_hides_itself():
    s = Secret("hunter2-but-longer")
    assert "hunter2" not in repr(s) and "hunter2" not in str(s) and "hunter2" not in f"{s}"
    assert s.reveal() == "hunter2-but-longer"
