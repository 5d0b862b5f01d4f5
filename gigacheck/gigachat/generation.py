"""What the site does with GigaChat, at the smallest cost: a short chat per model,
one picture through the site's image flow, and the prepaid balance.

Every call goes through `GigaChatClient.api()`, so time limits, evidence and the
HTTP fault mapping are the client's; this module adds the judgements (GC040 to
GC044) and the spend accounting.  Plain library code: no pytest here.
"""

from __future__ import annotations

import re
import struct
import uuid
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple
from urllib.parse import quote

from .client import MAX_FILE, Answer, GigaChatClient
from ..diagnosis import Finding
from ..words import count, say

CHAT_PATH = "/chat/completions"
CHAT_PROMPT = "Ответь одним словом: ты на связи?"
CHAT_MAX_TOKENS = 16  # enough for a word; a check must not pay for an essay
IMAGE_PROMPT = "Нарисуй маленький зелёный круг на светлом фоне"
EXCERPT = 300

# A failure that belongs to one model: the site moves on to the next model in its list.
MODEL_FAILURES = ("GC032", "GC033", "GC034", "GC040", "GC041", "GC042", "GC047")
# Codes the download's HTTP answer maps to that mean "this file could not be had" (GC043);
# the others (expired token, rate limit, 5xx, network) keep their own, shared, root cause.
DOWNLOAD_FAILURES = ("GC028", "GC030", "GC032", "GC034", "GC040")

_IMG_TAG = re.compile(r"<img\b[^>]*?\bsrc\s*=\s*[\"']([^\"']*)[\"'][^>]*>", re.IGNORECASE)
_FILE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")


# --- the cost, said before anything is spent ------------------------------------------------

def chat_cost(model: str) -> str:
    return say("spend.chat", model=model, max_tokens=CHAT_MAX_TOKENS)


def image_cost(models: Sequence[str]) -> str:
    first = models[0] if models else "GigaChat"
    more = say("spend.image.more", n=len(models)) if len(models) > 1 else ""
    return say("spend.image", model=first, more=more)


def spend_estimate(models: Sequence[str], v2: bool = False) -> str:
    """Everything the spending checks may cost, in one line (in the run's language); `v2`: chat is
    checked on the v2 API too."""
    n = len(models) * (2 if v2 else 1)
    return say("spend.estimate", chats=count(n, "n.chats"), models=", ".join(models), max_tokens=CHAT_MAX_TOKENS,
               apis=say("spend.v2_apis") if v2 else "", image=image_cost(models))


# --- chat ------------------------------------------------------------------------------------

@dataclass
class ChatResult:
    model: str
    content: str
    finish_reason: Optional[str]
    usage: Dict[str, int]
    latency_s: float
    served_by: str = ""          # the answer's "model" field: the version that answered
    answer: Optional[Answer] = field(default=None, repr=False)

    def usage_text(self) -> str:
        if not self.usage:
            return "no usage reported"
        order = ("prompt_tokens", "completion_tokens", "input_tokens", "output_tokens", "total_tokens")
        keys = [k for k in order if k in self.usage] + sorted(k for k in self.usage if k not in order)
        return ", ".join(f"{k.replace('_tokens', '')} {self.usage[k]}" for k in keys)


def chat(client: GigaChatClient, model: str, prompt: str, *, max_tokens: Optional[int] = CHAT_MAX_TOKENS,
         function_call: Optional[str] = None, headers: Optional[dict] = None) -> ChatResult:
    """One chat completion; HTTP faults are the client's findings, a 200 that is not a
    chat completion is GC040.  Does not judge the content (see `judge_chat`)."""
    body = {"model": model, "messages": [{"role": "user", "content": prompt}], "stream": False}
    if max_tokens is not None:
        body["max_tokens"] = max_tokens
    if function_call is not None:
        body["function_call"] = function_call
    ans = _post_for_model(client, CHAT_PATH, body, model, model, headers=headers)
    data = ans.json()
    choice = None
    if isinstance(data, dict) and isinstance(data.get("choices"), list) and data["choices"]:
        choice = data["choices"][0] if isinstance(data["choices"][0], dict) else None
    message = choice.get("message") if choice else None
    if not isinstance(message, dict):
        said = say("http.answered", request=f"{model}: POST {CHAT_PATH}", status=ans.status)
        raise Finding("GC040", say("gen.not_completion", said=said), [ans.exchange.render()], subject=model)
    content = message.get("content")
    usage = data.get("usage") if isinstance(data.get("usage"), dict) else {}
    return ChatResult(
        model=model,
        content=content if isinstance(content, str) else "",
        finish_reason=choice.get("finish_reason") if isinstance(choice.get("finish_reason"), str) else None,
        usage={k: v for k, v in usage.items() if isinstance(v, int) and not isinstance(v, bool)},
        latency_s=ans.exchange.elapsed_s,
        served_by=data.get("model") if isinstance(data.get("model"), str) else "",
        answer=ans,
    )


def _post_for_model(client: GigaChatClient, path: str, body: dict, model: str, label: str,
                    headers: Optional[dict] = None) -> Answer:
    """POST for one model; a model's failure names the model (the client's words name the path)."""
    try:
        return client.api("POST", path, json_body=body, headers=headers, subject=model)
    except Finding as finding:
        if finding.code not in MODEL_FAILURES:
            raise
        raise Finding(finding.code, f"{label}: {finding.detail}", list(finding.evidence),
                      subject=finding.subject, situation=finding.situation, fields=finding.fields) from None


def chat_v2(client: GigaChatClient, model: str, prompt: str = CHAT_PROMPT) -> ChatResult:
    """One completion on the primary (v2) chat API, as the SDK's `chat.create()` sends it; a 200
    that is not its answer shape (messages[].content[].text, top-level finish_reason) is GC040."""
    from ..sdk import v2_chat_url
    url = v2_chat_url(client.settings.base_url)
    body = {"model": model, "messages": [{"role": "user", "content": [{"text": prompt}]}],
            "model_options": {"max_tokens": CHAT_MAX_TOKENS}}
    ans = _post_for_model(client, url, body, model, f"{model} (v2)")
    data = ans.json()
    messages = data.get("messages") if isinstance(data, dict) else None
    if not isinstance(messages, list) or not all(isinstance(m, dict) for m in messages):
        raise Finding("GC040", f"{model}: POST {url} answered {ans.status} but not a v2 chat completion "
                               f"(no messages[])", [ans.exchange.render()], subject=model)
    texts = []
    for message in messages:
        if message.get("role") != "assistant":
            continue
        parts = message.get("content") or []
        parts = [{"text": parts}] if isinstance(parts, str) else parts
        texts.extend(p["text"] for p in parts if isinstance(p, dict) and isinstance(p.get("text"), str))
    usage = data.get("usage") if isinstance(data.get("usage"), dict) else {}
    finish = data.get("finish_reason")
    return ChatResult(model=model, content="".join(texts), finish_reason=finish if isinstance(finish, str) else None,
                      usage={k: v for k, v in usage.items() if isinstance(v, int) and not isinstance(v, bool)},
                      latency_s=ans.exchange.elapsed_s,
                      served_by=data.get("model") if isinstance(data.get("model"), str) else "", answer=ans)


def short_chat_v2(client: GigaChatClient, model: str) -> ChatResult:
    """The v2 chat check: one short completion on the API the site's SDK uses, judged."""
    result = chat_v2(client, model)
    judge_chat(result)
    return result


def judge_chat(result: ChatResult) -> None:
    """GC041: an empty answer, or one the content filter blocked."""
    evidence = [result.answer.exchange.render()] if result.answer is not None else []
    if result.finish_reason == "blacklist":
        raise Finding("GC041", f"{result.model}: " + say("gen.blacklist"), evidence,
                      subject=result.model)
    if not result.content.strip():
        raise Finding("GC041", f"{result.model}: " + say("gen.empty", reason=repr(result.finish_reason)), evidence,
                      subject=result.model)


def short_chat(client: GigaChatClient, model: str) -> ChatResult:
    """The chat check: one short completion, judged."""
    result = chat(client, model, CHAT_PROMPT)
    judge_chat(result)
    return result


# --- images ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ImageInfo:
    mime: str
    width: int
    height: int

    @property
    def kind(self) -> str:
        return self.mime.split("/")[1].upper()

    @property
    def extension(self) -> str:
        return "jpg" if self.mime == "image/jpeg" else "png"


def sniff_image(data: bytes) -> Optional[ImageInfo]:
    """A JPEG or PNG by its structure, not by its first bytes alone: a truncated file or
    an error page with a faked signature is not an image."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return _png(data)
    if data.startswith(b"\xff\xd8\xff"):
        return _jpeg(data)
    return None


def _png(data: bytes) -> Optional[ImageInfo]:
    # the first chunk is IHDR (13 bytes: width, height, ...), and the file ends with IEND
    if len(data) < 33 or data[12:16] != b"IHDR" or b"IEND" not in data[-16:]:
        return None
    width, height = struct.unpack(">II", data[16:24])
    return ImageInfo("image/png", width, height) if width and height else None


_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def _jpeg(data: bytes) -> Optional[ImageInfo]:
    # walk the marker segments up to the frame header (SOFn); the file must end with EOI
    if not data.rstrip(b"\x00").endswith(b"\xff\xd9"):
        return None
    i = 2
    for _ in range(256):  # bounded: real files have a dozen segments before SOF
        if i + 4 > len(data) or data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        length = struct.unpack(">H", data[i + 2:i + 4])[0]
        if length < 2:
            return None
        if marker in _SOF:
            if i + 9 > len(data):
                return None
            height, width = struct.unpack(">HH", data[i + 5:i + 9])
            return ImageInfo("image/jpeg", width, height) if width and height else None
        if marker == 0xDA:  # scan data before any frame header
            return None
        i += 2 + length
    return None


@dataclass
class ImageResult:
    model: str
    file_id: str
    data: bytes = field(repr=False)
    info: ImageInfo
    generation: ChatResult
    download_s: float
    tried: List[Tuple[str, Finding]] = field(default_factory=list)  # models that failed first, as the site saw

    def describe(self) -> str:
        return (f"{self.model} drew a {self.info.width}x{self.info.height} {self.info.kind} "
                f"({len(self.data)} bytes): generation {self.generation.latency_s:.2f} s, "
                f"download {self.download_s:.2f} s, tokens: {self.generation.usage_text()}")


def image_tag(content: str) -> Optional[str]:
    """The file id in the answer's `<img src="<id>" fuse="true"/>`, or None."""
    m = _IMG_TAG.search(content or "")
    return m.group(1).strip() if m else None


def _clip(text: str) -> str:
    text = " ".join((text or "").split())
    return text[:EXCERPT] + ("..." if len(text) > EXCERPT else "")


def image_with(client: GigaChatClient, model: str, prompt: str = IMAGE_PROMPT) -> ImageResult:
    """The site's flow with one model: a drawing request with function_call "auto", the
    <img> tag read from the answer, then the file downloaded with the same X-Client-ID."""
    client_id = str(uuid.uuid4())
    gen = chat(client, model, prompt, max_tokens=None, function_call="auto", headers={"X-Client-ID": client_id})
    judge_chat(gen)
    file_id = image_tag(gen.content)
    if file_id is None:
        raise Finding("GC042", say("gen.text_answer", model=model, reason=repr(gen.finish_reason)),
                      [f"answer: {_clip(gen.content)}", gen.answer.exchange.render()], subject="image")
    if not _FILE_ID.match(file_id):
        raise Finding("GC042", say("gen.bad_src", model=model, src=repr(_clip(file_id)[:80])),
                      [f"answer: {_clip(gen.content)}"], subject="image")
    path = f"/files/{quote(file_id, safe='')}/content"
    try:
        ans = client.api("GET", path, headers={"X-Client-ID": client_id}, subject="image", max_bytes=MAX_FILE,
                         accept="application/jpg")
    except Finding as finding:
        if finding.code not in DOWNLOAD_FAILURES:
            raise
        raise Finding("GC043", say("gen.download_failed", model=model, detail=finding.detail),
                      list(finding.evidence), subject="image") from None
    info = sniff_image(ans.body)
    if info is None:
        said = say("http.answered", request=f"GET {path}", status=ans.status)
        raise Finding("GC043", say("gen.not_image", said=said, size=len(ans.body),
                                   ctype=ans.exchange.content_type or "none", head=ans.body[:8].hex(" ") or "none"),
                      [ans.exchange.render()], subject="image")
    return ImageResult(model, file_id, ans.body, info, gen, ans.exchange.elapsed_s)


def generate_image(client: GigaChatClient, models: Sequence[str], prompt: str = IMAGE_PROMPT) -> ImageResult:
    """Try the models in priority order, as the site does; the first picture wins.
    A failure shared by every model (network, token, rate limit, 5xx) ends the attempt."""
    tried: List[Tuple[str, Finding]] = []
    for model in models:
        try:
            result = image_with(client, model, prompt)
        except Finding as finding:
            if finding.code not in MODEL_FAILURES:
                raise
            tried.append((model, finding))
            continue
        result.tried = tried
        return result
    if not tried:
        raise Finding("GC040", say("gen.no_model"), subject="image")
    first = tried[0][1]
    said = ", ".join(f"{m} {f.code}" for m, f in tried)
    evidence = [line for _, f in tried for line in f.evidence]
    # the first model's cause names the finding, so the same cause seen by the chat check counts once
    # and its situation: a request refused for its functions keeps the remedy about functions
    raise Finding(first.code, say("gen.nobody_drew", tried=said, detail=first.detail),
                  evidence, subject=first.subject, situation=first.situation, fields=first.fields)


# --- balance ---------------------------------------------------------------------------------------

def balance(client: GigaChatClient) -> Dict[str, float]:
    """GET /balance: tokens left per usage (model).  403 (pay-as-you-go) is GC034 from the client."""
    ans = client.api("GET", "/balance", subject="balance")
    data = ans.json()
    rows = data.get("balance") if isinstance(data, dict) else None
    if not isinstance(rows, list):
        raise Finding("GC028", "GET /balance did not answer {\"balance\": [...]}", [ans.exchange.render()],
                      subject="balance")
    out: Dict[str, float] = {}
    for row in rows:
        if isinstance(row, dict) and isinstance(row.get("usage"), str) and \
                isinstance(row.get("value"), (int, float)) and not isinstance(row.get("value"), bool):
            out[row["usage"]] = row["value"]
    return out


def low_balances(balances: Dict[str, float], models: Sequence[str], minimum: float) -> Dict[str, float]:
    """The configured models whose balance is below the minimum (models without a row are not judged)."""
    return {m: balances[m] for m in models if m in balances and balances[m] < minimum}


def balance_text(balances: Dict[str, float]) -> str:
    return ", ".join(f"{k} {v:g}" for k, v in balances.items()) or "no rows"
