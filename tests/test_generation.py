"""Chat, image and balance judgements, in-process: against the mock scenarios' own
handlers (the whole stack: settings, client, mock) and against hand-made answers."""

import json
import struct
import zlib

import pytest
import responses

from gigacheck import sdk
from gigacheck.gigachat import generation
from gigacheck.gigachat.client import GigaChatClient
from gigacheck.diagnosis import Finding
from gigacheck.gigachat.mock import MockGigaChat, fixtures_dir, sample_env
from gigacheck.settings import load

FIXTURES = fixtures_dir()
JPEG = (FIXTURES / "images" / "green-circle.jpg").read_bytes()
BASE = "https://gigachat.devices.sberbank.ru/api/v1"
CHAT = BASE + "/chat/completions"
MODELS = ["GigaChat-Pro", "GigaChat-Max", "GigaChat"]


def png(width=3, height=2) -> bytes:
    """A real PNG: signature, IHDR, one IDAT of grey pixels, IEND, with their CRCs."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


@pytest.fixture
def scenario():
    """scenario(name) -> (client, mock): the scenario's sample settings and its started mock."""
    started = []

    def start(name="healthy", **env):
        settings = load(env, None, mock_sample=sample_env(FIXTURES, name), mock_scenario=name,
                        sdk_defaults=sdk.defaults(detect=False))  # the documented host: the paths below
        mock = MockGigaChat(settings, FIXTURES, name).start()
        started.append(mock)
        return GigaChatClient(settings, settings.redactor()), mock

    yield start
    for mock in started:
        mock.stop()


def token_client(**env):
    """A client with a ready access token: no OAuth, every route is the test's."""
    s = load({"GIGACHAT_ACCESS_TOKEN": "preset-access-token-0123456789", "GIGACHAT_BASE_URL": BASE, **env})
    return GigaChatClient(s, s.redactor())


def chat_answer(content, finish_reason="stop"):
    return {"choices": [{"message": {"content": content, "role": "assistant"}, "index": 0,
                         "finish_reason": finish_reason}],
            "model": "GigaChat:2.0.28.2", "object": "chat.completion",
            "usage": {"prompt_tokens": 17, "completion_tokens": 3, "total_tokens": 20}}


# --- what counts as a picture ---------------------------------------------------------------------

def test_sniff_reads_the_fixture_jpeg_and_a_png():
    assert generation.sniff_image(JPEG) == generation.ImageInfo("image/jpeg", 48, 48)
    assert generation.sniff_image(png(3, 2)) == generation.ImageInfo("image/png", 3, 2)


@pytest.mark.parametrize("data", [
    b"", b"<html><title>403</title></html>", b'{"status": 403}',
    JPEG[:len(JPEG) // 2],                      # cut off: no end of image
    b"\xff\xd8\xff" + b"\x00" * 64 + b"\xff\xd9",  # the signature and the end, nothing between
    png()[:20],                                 # the signature and half a header
    b"\x89PNG\r\n\x1a\n" + b"\x00" * 40,
])
def test_sniff_rejects_what_is_not_a_whole_image(data):
    assert generation.sniff_image(data) is None


@pytest.mark.parametrize("content, file_id", [
    ('Запускаю генерацию изображения... <img src="840c18b3-591b-48a8-9c55-dfa633159e2e" fuse="true"/> - вот',
     "840c18b3-591b-48a8-9c55-dfa633159e2e"),
    ("<IMG fuse='true' src='abc-1'>", "abc-1"),
    ("Я не умею рисовать", None),
    ("", None),
])
def test_image_tag(content, file_id):
    assert generation.image_tag(content) == file_id


# --- chat per model ------------------------------------------------------------------------------

def test_short_chat_with_every_model_reports_latency_and_usage(scenario):
    client, mock = scenario()
    for model in MODELS:
        result = generation.short_chat(client, model)
        assert result.content.strip() and result.finish_reason == "stop"
        assert result.usage["total_tokens"] == result.usage["prompt_tokens"] + result.usage["completion_tokens"]
        assert result.served_by.startswith(model + ":")
        assert "total" in result.usage_text()
    assert client.spend_requests == 3
    assert mock.calls.count(("POST", "/api/v1/chat/completions")) == 3


@responses.activate
def test_the_short_chat_asks_for_few_tokens_and_no_function():
    responses.post(CHAT, json=chat_answer("Да"))
    generation.short_chat(token_client(), "GigaChat-Max")
    body = json.loads(responses.calls[0].request.body)
    assert body["model"] == "GigaChat-Max" and body["max_tokens"] == generation.CHAT_MAX_TOKENS
    assert "function_call" not in body and body["messages"][-1]["role"] == "user"


def test_payment_required_names_the_first_model_only(scenario):
    client, _ = scenario("payment-required")
    with pytest.raises(Finding) as info:
        generation.short_chat(client, "GigaChat-Pro")
    assert info.value.code == "GC033" and info.value.subject == "GigaChat-Pro"
    assert info.value.detail.startswith("GigaChat-Pro: ") and "402" in info.value.detail
    assert generation.short_chat(client, "GigaChat-Max").content


@responses.activate
@pytest.mark.parametrize("answer, code", [
    (chat_answer("", "stop"), "GC041"),
    (chat_answer("   ", "length"), "GC041"),
    (chat_answer("Не могу ответить", "blacklist"), "GC041"),
    ({"object": "chat.completion", "choices": []}, "GC040"),
    ({"status": "ok"}, "GC040"),
])
def test_a_chat_answer_that_is_not_usable(answer, code):
    responses.post(CHAT, json=answer)
    with pytest.raises(Finding) as info:
        generation.short_chat(token_client(), "GigaChat")
    assert info.value.code == code and info.value.subject == "GigaChat"
    assert info.value.evidence and "POST " + CHAT in info.value.evidence[0]


@responses.activate
def test_a_chat_422_is_gc047_naming_the_model():
    """A request GigaChat refuses as invalid: its remedy is about the request, not the model order (GC040's)."""
    responses.post(CHAT, status=422, json={"status": 422, "message": "Invalid params: max_tokens"})
    with pytest.raises(Finding) as info:
        generation.short_chat(token_client(), "GigaChat-Max")
    assert info.value.code == "GC047" and info.value.detail.startswith("GigaChat-Max: ")
    assert "POST /tokens/count" in info.value.remedy and "priority list does not help" in info.value.remedy


# --- the image flow ------------------------------------------------------------------------------

def test_image_flow_downloads_with_the_generation_client_id(scenario):
    client, mock = scenario()
    result = generation.generate_image(client, MODELS)
    assert result.model == "GigaChat-Pro" and result.tried == []
    assert result.data == JPEG and result.info.mime == "image/jpeg"
    # the mock answers 403 to a download whose X-Client-ID differs from the generation call's
    assert list(mock.files) == [result.file_id] and mock.files[result.file_id]
    assert mock.calls[-1] == ("GET", f"/api/v1/files/{result.file_id}/content")
    assert client.spend_requests == 2


@responses.activate
def test_image_request_and_download_headers():
    file_id = "840c18b3-591b-48a8-9c55-dfa633159e2e"
    responses.post(CHAT, json=chat_answer(f'Готово <img src="{file_id}" fuse="true"/>'))
    responses.get(f"{BASE}/files/{file_id}/content", body=png(), content_type="image/png")
    result = generation.generate_image(token_client(), ["GigaChat-Max"])
    gen, download = (c.request for c in responses.calls)
    body = json.loads(gen.body)
    assert body["function_call"] == "auto" and body["model"] == "GigaChat-Max"
    assert "Нарисуй" in body["messages"][-1]["content"]
    assert gen.headers["X-Client-ID"] and download.headers["X-Client-ID"] == gen.headers["X-Client-ID"]
    assert download.headers["Accept"] == "application/jpg"
    assert result.info == generation.ImageInfo("image/png", 3, 2)


def test_no_image_tag_tries_every_model_then_gives_gc042_with_the_answer(scenario):
    client, mock = scenario("no-image-tag")
    with pytest.raises(Finding) as info:
        generation.generate_image(client, MODELS)
    finding = info.value
    assert finding.code == "GC042"
    assert all(m in finding.detail for m in MODELS)
    assert any(e.startswith("answer: ") and "рисовать" in e for e in finding.evidence)
    assert mock.calls.count(("POST", "/api/v1/chat/completions")) == 3
    assert not any("/files/" in path for _, path in mock.calls)


def test_a_model_out_of_tokens_is_passed_over_as_the_site_does(scenario):
    client, _ = scenario("payment-required")
    result = generation.generate_image(client, MODELS)
    assert result.model == "GigaChat-Max"
    assert [(m, f.code) for m, f in result.tried] == [("GigaChat-Pro", "GC033")]


@responses.activate
@pytest.mark.parametrize("status, body, content_type", [
    (200, b"<html><title>Error</title></html>", "text/html"),
    (200, JPEG[:300], "image/jpeg"),
    (403, json.dumps({"status": 403, "message": "Access to file 'x' is denied"}).encode(), "application/json"),
    (404, b'{"status": 404, "message": "Not found"}', "application/json"),
])
def test_a_download_that_is_not_a_picture_is_gc043(status, body, content_type):
    responses.post(CHAT, json=chat_answer('<img src="f-1" fuse="true"/>'))
    responses.get(BASE + "/files/f-1/content", status=status, body=body, content_type=content_type)
    with pytest.raises(Finding) as info:
        generation.generate_image(token_client(), MODELS)
    assert info.value.code == "GC043" and info.value.subject == "image"
    assert info.value.evidence and "/files/f-1/content -> " + str(status) in info.value.evidence[0]
    assert len(responses.calls) == 2  # a failed download is not retried with the next model


@responses.activate
def test_a_fault_shared_by_every_model_stops_at_the_first():
    responses.post(CHAT, status=502, body="<html><title>502 Bad Gateway</title>SynGX</html>",
                   content_type="text/html")
    with pytest.raises(Finding) as info:
        generation.generate_image(token_client(), MODELS)
    assert info.value.code == "GC029"
    assert len(responses.calls) == 1


# --- balance -------------------------------------------------------------------------------------

def test_balance_from_the_healthy_scenario(scenario):
    client, _ = scenario()
    balances = generation.balance(client)
    assert balances["GigaChat-Pro"] == 991490
    assert generation.low_balances(balances, MODELS, 500000) == {"GigaChat-Max": 487120}
    assert generation.low_balances(balances, MODELS, 1000) == {}
    # models without a row are not judged; rows of models not configured neither
    assert generation.low_balances({"GigaChat": 5, "Other": 1}, ["GigaChat-2"], 10) == {}


@responses.activate
def test_balance_403_and_malformed():
    responses.get(BASE + "/balance", status=403, json={"status": 403, "message": "Permission denied"})
    with pytest.raises(Finding) as info:
        generation.balance(token_client())
    assert info.value.code == "GC034"
    responses.replace(responses.GET, BASE + "/balance", json={"tokens": 5})
    with pytest.raises(Finding) as info:
        generation.balance(token_client())
    assert info.value.code == "GC028"


def test_the_estimate_names_every_model_and_the_calls():
    text = generation.spend_estimate(MODELS)
    assert text.startswith("3 chat completions (GigaChat-Pro, GigaChat-Max, GigaChat; max_tokens 16)")
    assert "1 image generation with GigaChat-Pro (up to 3" in text and "1 file download" in text
    assert "up to" not in generation.spend_estimate(["GigaChat"])
