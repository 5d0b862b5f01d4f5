"""Success evidence: the rows that show the site's GigaChat work succeeding, by kind.

An incident of a failure signature (incidents.py) is resolved when, after its last row, the site
logged the same kind of work succeeding. Four kinds, each a signature of what the site's own code,
the official SDK and httpx write when their loggers go to the table:
- `image`: an image saved (`Изображение сохранено`, the same rule LG018 asks about);
- `answer`: a GigaChat answer received (`ответ получен`, `получен ответ`, `статья ... сгенерирована`);
- `api`: httpx's `HTTP Request: POST https://gigachat.../api/v1/... "HTTP/1.1 200 OK"`, from a GigaChat host;
- `token`: a token obtained (`получен токен`, `token obtained`, httpx's `200 OK` from the OAuth endpoint).

Each failure code is resolved by the kinds of work it stopped (`RESOLVED_BY`), and by a live
check of this run that covers that operation (`LIVE_CHECKS`, every one named must have passed).
Plain data and one classifier: no pytest, no database here.
"""

from __future__ import annotations

import re
from typing import Dict, FrozenSet, Iterable, Optional, Tuple
from urllib.parse import urlsplit

from .signatures import IMAGE_SAVED, _folded, fold

IMAGE, ANSWER, API, TOKEN = "image", "answer", "api", "token"
KINDS: Tuple[str, ...] = (IMAGE, ANSWER, API, TOKEN)

# The literals every success row holds (what SQL prefilters on, as the failure needles); Python decides.
SUCCESS_NEEDLES: Tuple[str, ...] = tuple(dict.fromkeys(IMAGE_SAVED.needles + (
    "получен", "сгенерирован", "received", "obtained", "200 ok")))

_ANSWER = re.compile(r"(?<![\w])(?:ответ\w*\s+(?:[\w-]+\s+){0,2}получен|получен\w*\s+ответ"
                     r"|(?<!не )(?<!не\s)сгенерирован[аоы]?(?!\w)"
                     r"|(?:answer|response|reply|completion)\s+received)")
_TOKEN = re.compile(r"(?<![\w])(?:получен\w*\s+(?:[\w-]+\s+)?токен|токен\w*\s+(?:[\w-]+\s+){0,2}получен"
                    r"|(?:access\s+)?token\s+(?:obtained|received|refreshed)|(?:obtained|received|got)\s+"
                    r"(?:an?\s+|new\s+)?(?:access\s+)?token)")
# httpx's own INFO line: `HTTP Request: POST https://host/path "HTTP/1.1 200 OK"` (folded)
_HTTPX_OK = re.compile(r"http request:\s*[a-z]+\s+(https?://[^\s\"']+)\s+\"http/[\d.]+\s+2\d\d\b")
_NEGATED = re.compile(r"(?<![\w])(?:не|not|no|failed|ошибк\w*|error)\s+(?:[\w-]+\s+)?(?:получен|received|obtained)")

# The hosts whose `200 OK` is GigaChat's (the configured ones are added by `hosts_of`).
DEFAULT_HOSTS: FrozenSet[str] = frozenset({"gigachat.devices.sberbank.ru", "ngw.devices.sberbank.ru",
                                           "gigachat-preview.devices.sberbank.ru"})

# code -> the kinds of success that resolve its incidents: the work the failure stopped.
_GENERATION = (IMAGE, ANSWER)
_ANY_CALL = (ANSWER, IMAGE, API)
RESOLVED_BY: Dict[str, Tuple[str, ...]] = {
    "LG010": _ANY_CALL,               # GigaChat errors: any call answered
    "LG011": (IMAGE,),                # an empty path: an image saved since
    "LG012": (IMAGE,),                # every model failed to draw
    "LG013": _ANY_CALL + (TOKEN,),    # timeouts: any exchange that came back
    "LG014": _ANY_CALL,               # 429: answered again
    "LG015": _GENERATION,             # 402: a model generated again (a models list costs no tokens)
    "LG016": (IMAGE,),                # no <img> tag
    "LG017": (IMAGE,),                # saving failed
    "LG019": (API, ANSWER, IMAGE, TOKEN),  # auth/404: a token obtained or an API call answered
    "LG020": _ANY_CALL,               # 5xx
    "LG021": _ANY_CALL + (TOKEN,),    # TLS
    "LG022": _ANY_CALL + (TOKEN,),    # connection
}
DEFAULT_KINDS = _ANY_CALL

# The live checks (question names) that cover each kind's operation.
LIVE_KIND_CHECKS: Dict[str, Tuple[str, ...]] = {
    TOKEN: ("test_does_oauth_give_a_usable_token",),
    API: ("test_does_the_models_list_answer_with_the_token",),
    ANSWER: ("test_does_every_model_in_the_priority_list_answer",),
    IMAGE: ("test_can_the_site_generate_an_image",),
}
# code -> the kinds whose live checks must ALL have passed in this run to resolve it: an OAuth check alone
# does not show that the API path works (`404 Not Found` is LG019 too), nor a models list that a model answers.
LIVE_NEEDS: Dict[str, Tuple[str, ...]] = {
    "LG010": (API, ANSWER),
    "LG011": (IMAGE,), "LG012": (IMAGE,), "LG016": (IMAGE,), "LG017": (IMAGE,),
    "LG013": (TOKEN, API),
    "LG014": (API,),
    "LG015": (ANSWER,),
    "LG019": (TOKEN, API),
    "LG020": (API,),
    "LG021": (TOKEN, API),
    "LG022": (TOKEN, API),
}


def resolving_kinds(code: str) -> Tuple[str, ...]:
    return RESOLVED_BY.get(code, DEFAULT_KINDS)


def hosts_of(*urls: Optional[str]) -> FrozenSet[str]:
    """GigaChat's hosts: the defaults and those of the configured URLs (a corporate proxy, a test server)."""
    hosts = set(DEFAULT_HOSTS)
    for url in urls:
        try:
            host = urlsplit(url or "").hostname
        except ValueError:
            host = None
        if host:
            hosts.add(host.lower())
    return frozenset(hosts)


def _gigachat_host(host: str, hosts: Iterable[str]) -> bool:
    return host in hosts or "gigachat" in host


def kinds_of(message, hosts: Iterable[str] = DEFAULT_HOSTS, folded: Optional[str] = None) -> FrozenSet[str]:
    """The kinds of success one log row shows (empty for most rows)."""
    if folded is None:
        from .signatures import as_text
        folded = fold(as_text(message))
    if not any(n in folded for n in SUCCESS_NEEDLES):
        return frozenset()
    found = set()
    if IMAGE_SAVED.hit(folded):
        found.add(IMAGE)
    negated = _NEGATED.search(folded) is not None
    if not negated and _ANSWER.search(folded):
        found.add(ANSWER)
    if not negated and _TOKEN.search(folded):
        found.add(TOKEN)
    for m in _HTTPX_OK.finditer(folded):
        try:
            parts = urlsplit(m.group(1))
            host, path = (parts.hostname or ""), parts.path
        except ValueError:
            continue
        if not _gigachat_host(host, hosts):
            continue
        found.add(TOKEN if path.rstrip("/").endswith("/oauth") else API)
    return frozenset(found)


def may_show_success(message) -> int:
    """1 when the row holds a success needle (the SQLite prefilter; `kinds_of` decides)."""
    if message is None:
        return 0
    folded = _folded(message)
    return 1 if any(n in folded for n in SUCCESS_NEEDLES) else 0
