"""The OpenAI-compatible provider the site falls back to: does `GET /models` answer
with its key, and does it list the model the site uses there?  Free: no tokens.

Every fault here is GC045 with subject "fallback": the provider is its own root
cause, never the GigaChat host's (a TLS or DNS failure here says nothing about
GigaChat).  Plain library code: no pytest here.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import List, Optional
from urllib.parse import urlsplit

from .client import GigaChatClient
from ..diagnosis import Finding, skip_reason
from ..words import say
from ..redact import Redactor
from ..settings import Settings
from ..words import say

SUBJECT = "fallback"
# The GigaChat TLS settings are not the provider's: its client (like the site's) verifies
# against the system roots, whatever bundle or switch GigaChat needs.
# GigaChat's own TLS: its CA, and the client certificate of mTLS (the fallback provider is another service)
GIGACHAT_ONLY = ("GIGACHAT_CA_BUNDLE_FILE", "GIGACHAT_VERIFY_SSL_CERTS", "GIGACHAT_CERT_FILE", "GIGACHAT_KEY_FILE",
                 "GIGACHAT_KEY_FILE_PASSWORD")


@dataclass
class FallbackResult:
    url: str
    models: List[str]
    model: Optional[str]
    latency_s: float

    def describe(self) -> str:
        listed = f"lists {self.model}" if self.model else "PROXY_API_MODEL is not set, so no model was looked for"
        return f"GET {self.url} answered 200 in {self.latency_s:.2f} s with {len(self.models)} models; {listed}"


def not_configured(settings: Settings) -> Optional[str]:
    """The skip reason when there is no fallback provider to check."""
    if not settings.proxy_base_url:
        return skip_reason("GC045", say("skip.no_fallback"))
    return None


def _message(data) -> str:
    """The provider's own words: OpenAI's {"error": {"message"}}, or {"detail"}/{"message"}."""
    if isinstance(data, dict):
        err = data.get("error")
        if isinstance(err, dict) and isinstance(err.get("message"), str):
            return err["message"][:200]
        for k in ("message", "detail", "error"):
            if isinstance(data.get(k), str):
                return data[k][:200]
    return ""


def _ids(data) -> Optional[List[str]]:
    rows = data.get("data") if isinstance(data, dict) else data
    if not isinstance(rows, list):
        return None
    return [r["id"] for r in rows if isinstance(r, dict) and isinstance(r.get("id"), str)]


def check(settings: Settings, redactor: Redactor) -> FallbackResult:
    base = settings.proxy_base_url or ""
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Finding("GC045", say("fallback.not_url", url=repr(redactor.scrub(base))), subject=SUBJECT)
    if parts.scheme == "http":  # never send the key in clear, not even to see whether it works
        raise Finding("GC046", say("fallback.http", url=repr(redactor.scrub(base))), subject=SUBJECT)
    url = base + "/models"
    key = settings.proxy_key
    headers = {"Accept": "application/json"}
    if key:
        headers["Authorization"] = f"Bearer {key.reveal()}"
    own = dataclasses.replace(settings, raw={k: v for k, v in settings.raw.items() if k not in GIGACHAT_ONLY})
    # its send(): one bounded, scrubbed call with evidence; verified as requests verifies, not as the SDK
    client = GigaChatClient(own, redactor, store="requests")
    try:
        ans = client.send("GET", url, headers=headers, subject=SUBJECT)
    except Finding as finding:
        if finding.subject == "proxy":  # the proxy on the way fails GigaChat's calls alike: one cause, one failure
            raise
        raise Finding("GC045", say("fallback.unreachable", detail=finding.detail), list(finding.evidence),
                      subject=SUBJECT) from None
    finally:
        client.close()
    shown = redactor.scrub(url)
    ev = [ans.exchange.render()]
    data = ans.json()
    said = say("http.answered", request=f"GET {shown}", status=ans.status) + \
        (f" {redactor.scrub(_message(data))!r}" if _message(data) else "")
    if ans.status in (401, 403):
        why = say("fallback.rejects_key") if key else say("fallback.wants_key")
        raise Finding("GC045", f"{said}: {why}", ev, subject=SUBJECT)
    if ans.status == 404:
        raise Finding("GC045", f"{said}: " + say("fallback.wrong_path"), ev, subject=SUBJECT)
    if ans.status != 200:
        raise Finding("GC045", said, ev, subject=SUBJECT)
    ids = _ids(data)
    if ids is None:
        raise Finding("GC045", say("fallback.not_list", said=said, shape='{"data": [...]}'), ev, subject=SUBJECT)
    wanted = settings.proxy_model
    if wanted and wanted not in ids:
        listed = ", ".join(ids[:10]) + (", ..." if len(ids) > 10 else "") or say("fallback.nothing")
        raise Finding("GC045", say("fallback.no_model", model=repr(wanted), listed=listed),
                      ev, subject=SUBJECT)
    return FallbackResult(shown, ids, wanted, ans.exchange.elapsed_s)
