"""The mock answers as production does, in the shapes of the SDK's recorded answers: the SDK's own
models parse them, tokens look like the real JWE, OAuth sends no X-Request-Id, and /models/{id}
fails as the API fails in each scenario."""

import pytest
import requests

from gigacheck.gigachat.mock import MockGigaChat
from gigacheck.scenarios import fixtures_dir, sample_env, scenarios
from gigacheck.settings import load

FIXTURES = fixtures_dir()


def started(name):
    settings = load({}, None, mock_sample=sample_env(FIXTURES, name), mock_scenario=name)
    return settings, MockGigaChat(settings, FIXTURES, name).start()


def oauth(settings):
    return requests.post(settings.auth_url, data={"scope": settings.scope}, timeout=5,
                         headers={"Authorization": f"Basic {settings.key.reveal()}", "RqUID": "x"})


def test_tokens_are_shaped_like_production_and_oauth_sends_no_request_id():
    settings, mock = started("healthy")
    try:
        answer = oauth(settings)
        token = answer.json()["access_token"]
        assert "X-Request-Id" not in answer.headers
        assert 1000 <= len(token) <= 1400 and token.count(".") == 4 and token.startswith("eyJ")
        models = requests.get(settings.base_url + "/models", headers={"Authorization": f"Bearer {token}"}, timeout=5)
        assert models.headers.get("X-Request-Id")  # the API's answers carry one
    finally:
        mock.stop()


@pytest.mark.parametrize("scenario", scenarios(FIXTURES))
def test_every_model_object_parses_with_the_sdks_model(scenario):
    sdk_models = pytest.importorskip("gigachat.models.models")
    settings, mock = started(scenario)
    try:
        answer = requests.get(settings.base_url + "/models", timeout=5)
        if answer.status_code == 200:
            assert len(sdk_models.Models(**answer.json()).data) >= 10
        one = requests.get(settings.base_url + "/models/GigaChat", timeout=5)
        if one.status_code == 200:
            assert sdk_models.Model(**one.json()).owned_by
    except requests.exceptions.RequestException:
        pass  # the scenario's network fault (timeout, TLS): no body to parse
    finally:
        mock.stop()


@pytest.mark.parametrize("scenario, status", [("expired-token", 401), ("rate-limited", 429),
                                              ("provider-down", 502), ("healthy", 200)])
def test_model_by_id_fails_as_the_api_does_in_each_scenario(scenario, status):
    settings, mock = started(scenario)
    try:
        assert requests.get(settings.base_url + "/models/GigaChat-Pro", timeout=5).status_code == status
    finally:
        mock.stop()
