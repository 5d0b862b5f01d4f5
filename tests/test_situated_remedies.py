"""Every remedy fits the situation it is shown in (issue 8 item 6): GC020 names the host that
failed and points curl there; LG002 on SQLite speaks of the file; GC012 gives the absolute
path tried and the download command for the Russian root CA."""

import pytest
import requests
import responses

from gigacheck import rules
from gigacheck.diagnosis import CATALOG, Finding, RUSSIAN_ROOT_CA_URL
from gigacheck.logs.sqlite import SQLiteSource
from gigacheck.logs.store import LogTable, parse_database_url
from gigacheck.settings import load
from tests.test_client import client

AUTH = "https://ngw.devices.sberbank.ru:9443/api/v2/oauth"
API_HOST = "https://gigachat.devices.sberbank.ru"


@responses.activate
@pytest.mark.parametrize("which, probe, host, port, setting", [
    ("auth", "probe_auth", "ngw.devices.sberbank.ru", "9443", "GIGACHAT_AUTH_URL"),
    ("api", "probe_api", "gigachat.devices.sberbank.ru", "443", "GIGACHAT_BASE_URL"),
])
def test_gc020_names_the_host_that_failed_and_curls_it(which, probe, host, port, setting):
    refused = requests.exceptions.ConnectionError(f"HTTPSConnectionPool(host='{host}'): [Errno 111] Connection refused")
    responses.head(f"https://{host}:{port}/" if port != "443" else f"https://{host}/", body=refused)
    with pytest.raises(Finding) as info:
        getattr(client(), probe)()
    f = info.value
    assert f.code == "GC020" and f.situation == which
    text = f.render()
    assert f"  $ curl -sv https://{host}{':' + port if port != '443' else ''}/ -o /dev/null" in text
    assert f"Remedy: Check {setting} (" in text and f"{host} port {port}" in text
    other = "gigachat.devices.sberbank.ru" if which == "auth" else "ngw.devices.sberbank.ru"
    assert other not in text.split("Evidence:")[0]
    assert host in f.entry.text("ru").remedy or not CATALOG["GC020"].ru  # ru where GC020 has Russian


def test_lg002_on_sqlite_speaks_of_the_file(tmp_path):
    missing = tmp_path / "site" / "db.sqlite3"
    with pytest.raises(Finding) as info:
        SQLiteSource(parse_database_url(f"sqlite:///{missing}"), LogTable())
    text = info.value.render()
    assert info.value.code == "LG002"
    assert "mysql" not in text.lower()
    assert f"SQLite database file {missing}" in text and f"$ ls -l {missing}" in text
    server = Finding("LG002", "mysql://reader@db:3306/site: Access denied").render()
    assert "mysql -h HOST" in server  # a server keeps the server's remedy


def test_gc012_shows_the_absolute_path_and_the_download_command(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    f = rules.ca_bundle_problem(load({"GIGACHAT_CA_BUNDLE_FILE": "russian_trusted_root_ca.pem"}))
    where = tmp_path / "russian_trusted_root_ca.pem"
    assert f.code == "GC012" and str(where) in f.headline
    text = f.render()
    assert f"$ curl -fsSLo {where} {RUSSIAN_ROOT_CA_URL}" in text
    assert f"Download the Russian Trusted Root CA to {where}" in text
    ru = dict(CATALOG["GC012"].variants)["missing"].ru
    assert "НУЦ Минцифры" in ru[1].format(path=where, variable="GIGACHAT_CA_BUNDLE_FILE")
    where.write_text("not a certificate\n")
    f = rules.ca_bundle_problem(load({"GIGACHAT_CA_BUNDLE_FILE": "russian_trusted_root_ca.pem"}))
    assert f.situation == "unusable" and f"Replace {where} with the PEM file" in f.render()


def test_the_json_remedy_is_the_situated_one(run_checks):
    result = run_checks("--mock", "-m", "config", env={"GIGACHAT_CA_BUNDLE_FILE": "no-such-ca.pem"})
    check = result.check("test_is_the_ca_bundle_a_readable_pem_file")
    assert check["outcome"] == "failed" and check["codes"] == ["GC012"]
    assert check["remedy"].startswith(f"Download the Russian Trusted Root CA to {result.path / 'no-such-ca.pem'}")
    # the HTML report's failure card shows the same remedy and commands, not the catalog's generic ones
    where = result.path / 'no-such-ca.pem'
    assert f"<dt>Remedy</dt><dd><b>Download the Russian Trusted Root CA to {where}" in result.html
    assert f"<pre>$ curl -fsSLo {where} " in result.html
