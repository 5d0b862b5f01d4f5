"""`--notify URL` (repeatable; `GIGACHECK_NOTIFY`, space-separated): one message when the verdict
changes against the history (the first failure, the recovery), none while it stays the same.

The URLs are Apprise's (Telegram `tgram://`, e-mail `mailto://`, Slack `slack://`, webhooks `json://`):
Apprise is the optional extra `gigacheck[notify]`, imported only when a message goes out.  A message
says the verdict and each failure's code, finding and remedy, scrubbed by the run's redactor, which has
learned the URLs' own tokens (`url_secrets`) at configure time.  Sending is bounded: every URL together
gets `SEND_LIMIT_S`; a slow or failed send is a warning line, never a failed run.
"""

from __future__ import annotations

import re
import threading
import warnings
from dataclasses import dataclass
from typing import Callable, List, Optional, Sequence, Tuple

SEND_LIMIT_S = 10.0
ENV = "GIGACHECK_NOTIFY"
_SPLIT_RE = re.compile(r"[/@:?&=#,;]+")
_SECRET_QUERY_RE = re.compile(r"(?:^|[?&])([^=&]*(?:token|key|pass|secret|auth|sig)[^=&]*)=([^&#]+)", re.I)
_HOSTNAME_RE = re.compile(r"^[a-z][a-z-]*(\.[a-z][a-z0-9-]*)+$", re.I)  # example.org: shown, not a secret


def urls_of(option: Sequence[str] = (), env_value: Optional[str] = None) -> List[str]:
    """The notify URLs: every `--notify`, then GIGACHECK_NOTIFY's space-separated ones, each once."""
    found: List[str] = []
    for value in list(option or ()) + ([env_value] if env_value else []):
        for url in str(value).split():
            if url and url not in found:
                found.append(url)
    return found


def url_secrets(url: str) -> List[str]:
    """What of an Apprise URL is a secret: the whole URL, a password, every token-like part of the host
    and path (a bot token, a webhook's ids) and token-named query values.  Host names and short plain
    words (ports, `hooks`) stay readable."""
    secrets = [url]
    rest = url.split("://", 1)[-1]
    base, _, query = rest.partition("?")
    userinfo = base.split("/", 1)[0].rpartition("@")[0]
    if userinfo:
        user, _, password = userinfo.partition(":")
        secrets.extend(p for p in (password, userinfo) if p)
    for _, value in _SECRET_QUERY_RE.findall("?" + query):
        secrets.append(value)
    for piece in _SPLIT_RE.split(base):
        if not piece or _HOSTNAME_RE.match(piece) or not piece.strip("0123456789."):  # a name, a port, an IP
            continue
        mixed = any(c.isdigit() for c in piece) or (piece != piece.lower() and piece != piece.upper())
        if len(piece) >= 16 or (len(piece) >= 8 and mixed):
            secrets.append(piece)
    return [s for s in dict.fromkeys(secrets) if s]


def should_send(previous_verdict: Optional[str], verdict: str) -> bool:
    """A message when the verdict changes against the history: a first failure (nothing remembered, or a
    run that did not fail before), a recovery, passed<->warnings; none while it stays the same, none for a
    run that checked nothing (`previous_verdict` is the last run that checked something)."""
    if verdict == "nothing-checked":
        return False
    if previous_verdict is None:
        return verdict == "failed"
    return verdict != previous_verdict


@dataclass(frozen=True)
class Failure:
    code: str
    finding: str
    remedy: Optional[str]


def message(verdict: str, previous_verdict: Optional[str], since: Optional[str], failures: Sequence[Failure],
            fixed: Sequence[str], where: str, say: Callable, scrub: Callable[[str], str]) -> Tuple[str, str]:
    """(title, body) in the run's words, scrubbed."""
    from .report import verdict_word

    def word(v):
        return verdict_word(v, say=lambda key, lang: say(key))  # `say` is the run's, its language bound
    title = say("notify.title", verdict=word(verdict), where=where)
    lines = [say("notify.verdict", verdict=word(verdict), previous=word(previous_verdict) if previous_verdict else "-",
                 since=since or "-")]
    for f in failures:
        lines.append(f"[{f.code}] {f.finding}" if not f.finding.startswith(f"[{f.code}]") else f.finding)
        if f.remedy:
            lines.append("  " + say("notify.remedy", remedy=f.remedy))
    if fixed:
        lines.append(say("notify.fixed", codes=", ".join(fixed)))
    return scrub(title), scrub("\n".join(lines))


@dataclass
class Sent:
    ok: bool
    why: str = ""      # for the warning line, scrubbed by the caller


def send(urls: Sequence[str], title: str, body: str, verdict: str,
         limit_s: float = SEND_LIMIT_S) -> Sent:
    """Post (title, body) to every URL through Apprise, within `limit_s` for all of them together."""
    try:
        with warnings.catch_warnings():  # its imports' DeprecationWarnings are not the run's (-W error)
            warnings.simplefilter("ignore")
            import apprise
    except ImportError:
        return Sent(False, "apprise-missing")
    box = apprise.Apprise()
    refused = [str(i) for i, u in enumerate(urls, 1) if not box.add(u)]
    if refused:
        # by position: any part of a URL may be its token, which the redactor would mask anyway
        return Sent(False, "refused:" + ", ".join(refused))
    kind = {"failed": apprise.NotifyType.FAILURE, "warnings": apprise.NotifyType.WARNING,
            "passed": apprise.NotifyType.SUCCESS}.get(verdict, apprise.NotifyType.INFO)
    result: List[bool] = []

    def post():
        try:
            result.append(bool(box.notify(body=body, title=title, notify_type=kind)))
        except Exception:  # noqa: BLE001 - a plugin's bug is a failed send, never a crashed run
            result.append(False)

    worker = threading.Thread(target=post, name="gigacheck-notify", daemon=True)
    worker.start()
    worker.join(limit_s)
    if worker.is_alive():
        return Sent(False, "timeout")
    if not result or not result[0]:
        return Sent(False, "failed")
    return Sent(True)
