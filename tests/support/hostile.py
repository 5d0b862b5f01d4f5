"""A hostile peer for the fake GigaChat: it echoes the credential it was sent, in every form.

`ECHO_FORMS` are the ways a peer (or a proxy, or an error page) may show a secret back:
plain, URL- and form-encoded (`Basic+<key>%3D%3D`), without `=` padding, base64 of it,
MIME-wrapped at 76, JSON-escaped (`\\/`), cut mid-value, after `Bearer "`, behind terminal
escapes, inside a 60 KB id, and masked OpenAI-style (`sk-proj-yDzX****5XTA`).
`echo(status)` is a route handler for `FakeGigaChat.on`: its answer carries every form in
the JSON message, and the credential again in `X-Request-Id` (60 KB, with escapes),
`Retry-After` and `Location`.
"""

from __future__ import annotations

import base64
import json
from typing import Callable, Dict
from urllib.parse import quote, quote_plus

from tests.support.fakegiga import Reply, Seen

ESC = "\x1b[2J\x1b]0;pwned\x07\x1b[31m"  # clear screen, set the window title, red


def _openai_masked(v: str) -> str:
    return v[:12] + "*" * 24 + v[-4:]


ECHO_FORMS: Dict[str, Callable[[str], str]] = {
    "plain": lambda v: v,
    "url-encoded": lambda v: quote(v, safe=""),
    "form-encoded": lambda v: quote_plus(v),
    "unpadded": lambda v: v.rstrip("="),
    "base64": lambda v: base64.b64encode(v.encode()).decode(),
    "mime-wrapped": lambda v: base64.encodebytes(v.encode()).decode(),
    "json-escaped": lambda v: json.dumps(v).strip('"').replace("/", "\\/"),
    "cut": lambda v: v[3:3 + max(len(v) // 2, 9)],
    "bearer-quote": lambda v: f'Bearer "{v}',
    "escapes": lambda v: ESC + v + "\x1b[0m",
    "huge": lambda v: "x" * 30_000 + v + "x" * 30_000,
    "openai-masked": _openai_masked,
}


def credential(seen: Seen) -> str:
    """What the client sent after `Basic `/`Bearer ` (quotes included, as sent)."""
    auth = seen.header("Authorization") or ""
    return auth.split(" ", 1)[1] if " " in auth else auth


def echo_text(value: str) -> str:
    return " | ".join(f"{name}: {form(value)}" for name, form in ECHO_FORMS.items())


def echo(status: int, **extra) -> Callable[[Seen, object], Reply]:
    """A handler answering `status` with the credential echoed in every form and header."""
    def handler(seen: Seen, fake) -> Reply:
        value = credential(seen)
        headers = {"X-Request-Id": ECHO_FORMS["huge"](value).replace("x", "\x1b[1m", 3),
                   "Retry-After": ESC + value, "Location": "https://127.0.0.1/echo?auth=" + quote(value)}
        return Reply(status, json={"status": status, "code": extra.get("code", status),
                                   "message": "rejected " + echo_text(value),
                                   "error": {"message": "Incorrect API key provided: " + _openai_masked(value)}},
                     headers=headers)
    return handler


def chat_echo(seen: Seen, fake) -> Reply:
    """A chat answer that draws nothing and tells the token back (GC042's evidence)."""
    value = credential(seen)
    return Reply(200, json={"choices": [{"message": {"content": "echo " + echo_text(value), "role": "assistant"},
                                         "index": 0, "finish_reason": "stop"}],
                            "created": 1, "model": "GigaChat", "object": "chat.completion",
                            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}},
                 headers={"X-Request-Id": "Bearer " + value})


def balance_echo(seen: Seen, fake) -> Reply:
    """/balance 200 whose rows are named after the token: the JUnit property `balance` quotes them."""
    value = credential(seen)
    return Reply(200, json={"balance": [{"usage": ECHO_FORMS[name](value), "value": 7}
                                        for name in ("plain", "url-encoded", "cut", "base64")]})
