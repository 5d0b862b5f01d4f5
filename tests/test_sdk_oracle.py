"""The official SDK as the oracle: it runs against every mock scenario and the fake GigaChat, and its
outcome must agree with gigacheck's (where the SDK works, gigacheck passes; where it fails, gigacheck
fails with the code that names that failure)."""

import json

import pytest
import requests

from gigacheck.gigachat.mock import MockGigaChat, fixtures_dir, scenarios, sample_env
from gigacheck.settings import load
from tests.support.faultrun import base_env
from tests.support.fakegiga import ClosedPort, Reply

gigachat = pytest.importorskip("gigachat", reason="the official SDK is a test extra: pip install -e '.[test]'")
httpx = pytest.importorskip("httpx")
from gigachat import exceptions as sdk_errors  # noqa: E402

FIXTURES = fixtures_dir()
# what the SDK never looks at: pictures, the balance, the fallback provider, the site's logs
SDK_BLIND = {"GC042", "GC043", "GC044", "GC045"}
PROMPT = "Ответь одним словом: ты на связи?"


class RequestsBridge(httpx.BaseTransport):
    """httpx (the SDK's transport) over `requests`, so that the mock's `responses` answers the SDK too."""

    def handle_request(self, request):
        try:
            r = requests.request(request.method, str(request.url), headers=dict(request.headers),
                                 data=request.read(), allow_redirects=False, timeout=5)
        except requests.exceptions.ConnectTimeout as exc:
            raise httpx.ConnectTimeout(str(exc), request=request) from None
        except requests.exceptions.ReadTimeout as exc:
            raise httpx.ReadTimeout(str(exc), request=request) from None
        except requests.exceptions.ConnectionError as exc:  # SSLError included, with its text
            raise httpx.ConnectError(str(exc), request=request) from None
        headers = {k: v for k, v in r.headers.items() if k.lower() not in ("content-encoding", "content-length")}
        return httpx.Response(r.status_code, headers=headers, content=r.content, request=request)


def sdk_code(exc, settings) -> str:
    """The gigacheck code that names the SDK's failure."""
    if isinstance(exc, httpx.TimeoutException):
        return "GC021"
    if isinstance(exc, httpx.TransportError):
        return "GC022" if "CERTIFICATE_VERIFY_FAILED" in str(exc) else "GC020"
    if isinstance(exc, ValueError):  # pydantic's ValidationError: an answer the SDK cannot parse
        return "GC028"
    assert isinstance(exc, sdk_errors.ResponseError), repr(exc)
    oauth = str(exc.url).startswith(settings.auth_url)
    body = exc.content.decode("utf-8", "replace") if exc.content else ""
    try:
        data = json.loads(body)
    except ValueError:
        data = {}
    code = data.get("code") if isinstance(data, dict) else None
    if oauth and exc.status_code < 500 and exc.status_code != 429:
        return {6: "GC023", 7: "GC024", 4: "GC025"}.get(code, "GC023" if exc.status_code == 401 else "GC026")
    if exc.status_code == 401:
        return "GC031"
    if exc.status_code == 404:
        return "GC032" if "No such model" in body and not str(exc.url).endswith("/models") else "GC030"
    if exc.status_code in (400, 413, 422) and "/chat/completions" in str(exc.url):
        return "GC047"  # the request refused as invalid
    return {402: "GC033", 403: "GC034", 429: "GC027"}.get(exc.status_code,
                                                         "GC029" if exc.status_code >= 500 else "GC040")


def run_sdk(settings, transport=None, ca_file=None):
    """What the site does with its SDK: list the models, look up each configured one, then chat with
    each on v1 (`client.chat`) and on v2 (`client.chat.create`). The first failure, or None."""
    kwargs = dict(credentials=settings.key.reveal() if settings.key else None, scope=settings.scope,
                  auth_url=settings.auth_url, base_url=settings.base_url, timeout=5)
    if ca_file:
        kwargs["ca_bundle_file"] = str(ca_file)
    client = gigachat.GigaChat(**kwargs)
    if transport is not None:  # the SDK builds its httpx clients lazily: give them the bridge
        client._client_instance = httpx.Client(base_url=settings.base_url, transport=transport)
        client._auth_client_instance = httpx.Client(transport=transport)
    try:
        client.get_models()
        for model in settings.models:
            client.get_model(model)
        for model in settings.models:
            answer = client.chat({"model": model, "messages": [{"role": "user", "content": PROMPT}]})
            assert answer.choices[0].message.content
            primary = client.chat.create({"model": model, "messages": [{"role": "user", "content": PROMPT}]})
            assert "".join(p.text or "" for m in primary.messages for p in m.content or [])
    except Exception as exc:  # noqa: BLE001 - every failure is the oracle's answer
        return exc
    finally:
        client.close()
    return None


def gigacheck_failures(result) -> dict:
    return {i: set(c) - SDK_BLIND for i, c in result.failed().items()
            if not i.startswith("checks/test_logs.py") and set(c) - SDK_BLIND}


@pytest.mark.parametrize("scenario", scenarios(FIXTURES))
def test_the_sdk_and_gigacheck_agree_on_each_mock_scenario(scenario, in_process):
    settings = load({}, None, mock_sample=sample_env(FIXTURES, scenario), mock_scenario=scenario)
    mock = MockGigaChat(settings, FIXTURES, scenario).start()
    try:
        failure = run_sdk(settings, RequestsBridge())
    finally:
        mock.stop()
    result, _ = in_process.run(scenario, (f"--mock={scenario}", "--spend", "-m", "not logs"), {})
    failed = gigacheck_failures(result)
    if failure is None:
        assert failed == {}, f"the SDK works in {scenario}, gigacheck fails: {failed}"
    else:
        expected = sdk_code(failure, settings)
        assert failed, f"the SDK fails in {scenario} ({failure!r:.200}), gigacheck passes"
        assert expected in set().union(*failed.values()), (scenario, expected, failed, repr(failure)[:300])


def test_the_sdk_and_gigacheck_agree_on_the_fake_gigachat(in_process, fake_giga, giga_ca_file, canaries):
    with ClosedPort() as closed:
        env = base_env(fake_giga, giga_ca_file, canaries, closed.port)
    settings = load(env)
    assert run_sdk(settings, ca_file=giga_ca_file) is None  # over real TLS, the SDK parses every answer
    result, _ = in_process.run("fake", ("--spend", "-m", "not logs"), env)
    assert gigacheck_failures(result) == {}, result.stdout[-3000:]
    # and where the fake refuses the token, both say so, with the same code
    fake_giga.on("GET", "/api/v1/models", Reply(401, json={"status": 401, "message": "Token has expired"}))
    failure = run_sdk(settings, ca_file=giga_ca_file)
    result, _ = in_process.run("fake-401", ("-m", "not logs"), env)
    assert sdk_code(failure, settings) == "GC031" and "GC031" in set().union(*gigacheck_failures(result).values())
