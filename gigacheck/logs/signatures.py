"""The failure signatures of the log runbook: code -> what to look for.

One table, read by every source: each rule has a `needle`, a literal every matching row
contains (the SQL prefilter and the log file keep only rows holding some needle), and a
pattern that decides precisely in Python on those few rows. So a signature is spelled in
exactly one place, and every backend counts the same rows.

Rules (SPEC): a signature matches at any level (LG010 alone asks for ERROR or CRITICAL),
case-insensitively for Latin and Cyrillic alike, in any Russian word form; a status number
counts only in a status context (`HTTP 429`, `status_code=429`, `Error code: 402`), never as
a duration, size, id, page number or part of a path; balance words only where the balance
ran short; `cooldown` only when one is active. LG010 counts GigaChat errors that no other
signature explains.

The libraries' own lines (the `gigachat` SDK 0.2.3, httpx, requests/urllib3) count under the code of
what they show, taken from their sources: `Rate limit exceeded (429)`, `Server error (502) from ...`,
`Authentication failed (401) ...`, `Invalid credentials format`, the SDK's `401 https://...: b'...'`
ResponseError text, httpx's `HTTP Request: POST ... "HTTP/1.1 503 Service Unavailable"`. What they
write when things go well is no finding: httpx's `"HTTP/1.1 200 OK"` is success evidence (and no
GigaChat use for LG018), the SDK's DEBUG `Retry attempt 1/3 ... due to ReadTimeout(...)` is a retry,
not a failure (the failure, if the retries run out, is logged apart). An access log line of the site
itself (`"GET /x HTTP/1.1" 500 123`) is no GigaChat status.
"""

from __future__ import annotations

import re
from functools import cached_property, lru_cache
from dataclasses import dataclass
from typing import Callable, Dict, FrozenSet, Optional, Tuple

from ..words import say

from . import LEVELS  # defined in the package, for the plugin's help text
RANK = {name: i for i, name in enumerate(LEVELS)}
# Spellings seen in log tables and files, and logging's numeric levels.
ALIASES = {"WARN": "WARNING", "FATAL": "CRITICAL", "ERR": "ERROR", "CRIT": "CRITICAL",
           "10": "DEBUG", "20": "INFO", "30": "WARNING", "40": "ERROR", "50": "CRITICAL"}


@dataclass(frozen=True)
class Rule:
    """`needle`: folded text every match contains (what SQL prefilters on); `pattern`: a regex
    on the folded message that decides (None: the needle alone decides)."""
    needle: str
    pattern: Optional[str] = None

    @cached_property
    def rx(self) -> "Optional[re.Pattern]":
        """Compiled on first use: a pytest run that reads no log (the plugin loads in every run) pays
        nothing for the 44 patterns."""
        return re.compile(self.pattern) if self.pattern else None

    def hit(self, folded: str) -> bool:
        return self.needle in folded and (self.rx is None or self.rx.search(folded) is not None)


@dataclass(frozen=True)
class Signature:
    code: str
    rules: Tuple[Rule, ...]
    shown: Tuple[str, ...] = ()      # how the evidence names it
    min_level: Optional[str] = None  # only rows at this level and above (None: any level)
    unless: Optional[str] = None     # a regex on the folded row that vetoes the code (another service's row)
    yields_to: Tuple[str, ...] = ()  # codes that, found in the same row, name its cause more precisely

    @cached_property
    def veto(self) -> "Optional[re.Pattern]":
        return re.compile(self.unless) if self.unless else None

    def describe(self) -> str:
        where = f" at {self.min_level} and above" if self.min_level else ""
        return " or ".join(f"`{t}`" for t in self.shown) + where

    @property
    def needles(self) -> Tuple[str, ...]:
        return tuple(dict.fromkeys(r.needle for r in self.rules))

    def hit(self, folded: str) -> bool:
        return any(r.hit(folded) for r in self.rules)


def _plain(*texts: str) -> Tuple[Rule, ...]:
    return tuple(Rule(t) for t in texts)


# A status number in a status context: after `HTTP`, `status`, `code`, `Error code:`, `код`, `статус`,
# `ошибка`, `<Response [`; or before `Client Error`, `Too Many Requests`, `Payment Required`; or as the
# status of the gigachat SDK's ResponseError tuple. Not followed by a unit (`429 мс`, `402 КБ`).
_KEYWORD = (r"(?<![\w./-])(?:https?(?:/[\d.]+)?|http-статус\w*|status(?:[ _-]?code)?|error(?:[ _-]?code)?|code"
            r"|response|код(?:\s+ответа|\s+ошибки|\s+статуса)?|статус\w*(?:\s+ответа)?|ошибк[аиуе])")
_UNIT = r"(?!\w)(?![.,]\d)(?!\s*(?:ms|мс|s\b|с\b|сек|мин|min|кб|kb|мб|mb|байт|bytes?|%|шт|руб|₽))"


_REASON = (r"(?:client error|server error|too many|payment required|unauthorized|internal server error|bad gateway"
           r"|service unavailable|gateway time-?out)")


def _status(number: str) -> Tuple[Rule, ...]:
    return (Rule(number, rf"{_KEYWORD}[\"']?\s*[:=]?\s*[\"'\[(]?\s*{number}{_UNIT}"),
            Rule(number, rf"(?<![\w/.=:-]){number}\s*[:-]?\s*{_REASON}"),
            Rule(number, rf"url\([^)]*\),\s*{number},"),
            # the gigachat SDK 0.2.3's ResponseError: `401 https://ngw.../api/v2/oauth: b'{...}'`
            Rule(number, rf"(?<![\w/.=:,-]){number}\s+https?://"))


def _ran_out(word: str) -> Rule:
    """`<balance/package/tokens> … исчерпан` and `исчерпан … <balance/…>` (two words apart at most)."""
    things = r"(?:баланс|пакет|лимит|токен|средств|квот)\w*"
    return Rule(word, rf"{things}\s+(?:[\w-]+\s+){{0,2}}{word}|{word}\w*\s+(?:[\w-]+\s+){{0,2}}{things}")


_NOT_NEGATED = r"(?<!not )(?<!no longer )(?<!не )"

# A row about another service of the site (its database, cache, mail, queue) is no GigaChat network
# failure, however it spells its ConnectionError or SSLError; one that names GigaChat's hosts still is.
_OTHER_SERVICE = (r"^(?!.*(?:gigachat|sberbank|giga\.chat|ngw\.))"
                  r".*(?:redis|psycopg|postgres|mysql|mariadb|sqlite|database|\bdb\b|smtp|imap|amqp|rabbitmq|celery"
                  r"|kombu|memcache|elasticsearch|s3\.|boto|:6379|:5432|:3306|:5672|:11211|баз[аеуы]\s+данных|почт)")

SIGNATURES: Tuple[Signature, ...] = (
    Signature("LG010", _plain("gigachat"), ("gigachat",), min_level="ERROR"),
    Signature("LG011", (Rule("пуст", r"пуст(?:ой|ая|ое|ые|ую|ого|ым|ом|а|о)?\s+пут|вернул\w*\s+пуст"
                                     r"|пут(?:ь|и|ём|ем)\s+(?:[\w-]+\s+){0,3}пуст(?:ой|ая|ое|а|о)?\b"),),
              ("пустой путь", "вернул пустой")),
    Signature("LG012", (Rule("сгенерировать", r"не\s+удалось\s+сгенерировать\s+(?:[\w-]+\s+)?изображени"),),
              ("Не удалось сгенерировать изображение",)),
    Signature("LG013", (Rule("таймаут"), Rule("timeouterror"), Rule("readtimeout"), Rule("connecttimeout"),
                        Rule("writetimeout"), Rule("pooltimeout"), Rule("timed out"),
                        Rule("timeout", r"(?<![\w])timeout\s+(?:error|exceeded|expired)"),
                        Rule("время ожидания", r"(?:превышено|истекло)\s+время\s+ожидания")),
              ("Таймаут", "TimeoutError", "ReadTimeout", "timed out")),
    Signature("LG014", _status("429") + (
        Rule("too many requests"),
        Rule("rate limit exceeded"),  # the SDK: `Rate limit exceeded (429). Retry-After: 30`
        Rule("ratelimiterror"),
        Rule("cooldown", _NOT_NEGATED + r"(?<![\w])(?:in|on|under|into|entering|entered|enter|active|start\w*|в)\s+"
                                        r"cooldown(?!\s+(?:expired|ended|over|reset|cleared|off))"
                                        r"|(?<!no )(?<![\w])cooldown\s*(?:is\s+)?(?:active|activated|started|until|for\s+\d"
                                        r"|до|на\s+\d|активен|включ\w*|[:=]?\s*[1-9]\d*(?:[.,]\d+)?\s*(?:s|с|сек|"
                                        r"seconds?|секунд\w*|min\w*|мин\w*)?\b)")),
              ("429 (as a status)", "Too Many Requests", "Rate limit exceeded", "cooldown (active)")),
    Signature("LG015", _status("402") + (
        Rule("payment required"),
        Rule("insufficient", r"insufficient[\s_]+(?:account\s+)?(?:balance|funds|credits?|quota|tokens?)"),
        Rule("balance", r"(?<![\w])(?:low|zero|negative|empty)\s+balance|balance\s+(?:is\s+)?(?:too\s+low|low|"
                        r"exhausted|depleted|insufficient|empty|zero|used up|run out|ran out|exceeded)"),
        Rule("not enough", r"not\s+enough\s+(?:balance|funds|credits?|tokens?|money)"),
        Rule("out of", r"(?<![\w])out\s+of\s+(?:funds|credits?|tokens|balance|money)"),
        Rule("quota", r"quota\s+(?:is\s+)?(?:exceeded|exhausted|used up)"),
        Rule("недостаточн", r"недостаточн\w*\s+(?:[\w-]+\s+)?(?:средств|баланс\w*|токен\w*|денег)"),
        Rule("баланс", r"баланс\w*\s+(?:[\w-]+\s+){0,2}(?:на\s+нуле|пуст|отрицательн|ниже\s+порог|недостаточ)"
                       r"|(?:нулев|отрицательн)\w*\s+баланс"),
        _ran_out("исчерпан"), _ran_out("израсходован"), _ran_out("кончил")),
              ("402 (as a status)", "Payment Required", "insufficient balance", "недостаточно средств",
               "баланс исчерпан")),
    Signature("LG016", (Rule("<img>", r"(?:нет|отсутству\w*|не\s+найден\w*|без)\s+(?:тег\w*\s+)?<img>"
                                      r"|<img>\s*(?:тег\w*\s+)?(?:не\s+найден|отсутству|нет)"
                                      r"|(?:no|missing)\s+<img>|<img>\s*tag\s+(?:not\s+found|missing)"),),
              ("Нет <img> тега",)),
    Signature("LG017", (Rule("сохранени", r"ошибк\w*\s+(?:при\s+)?сохранени"),
                        Rule("сохранить", r"не\s+удалось\s+сохранить\s+(?:[\w-]+\s+)?(?:изображени|картинк|файл)")),
              ("Ошибка сохранения",)),
    Signature("LG019", _plain("404 not found", "no access token available", "oauth failed with status",
                              "authentication failed", "authenticationerror", "invalid credentials format")
              + _status("401"),
              ("404 Not Found", "No access token available", "OAuth failed with status", "401 (as a status)",
               "Authentication failed (401)", "AuthenticationError", "Invalid credentials format")),
    Signature("LG020", _status("500") + _status("502") + _status("503") + _status("504") + (
        Rule("server error", r"server error \(5\d\d\)"),  # the SDK: `Server error (502) from https://...`
        Rule("servererror"), Rule("bad gateway"), Rule("service unavailable"),
        Rule("gateway time", r"gateway time-?out")),
              ("Server error (5xx) from", "ServerError", "5xx (as a status)", "502 Bad Gateway",
               "503 Service Unavailable")),
    Signature("LG021", _plain("certificate_verify_failed", "certificate verify failed", "sslerror",
                              "sslcertverificationerror") + (
        Rule("сертификат", r"(?:ошибк\w*|сбой)\s+(?:при\s+)?проверк\w*\s+(?:ssl[\s-]*|tls[\s-]*)?сертификат"),),
              ("CERTIFICATE_VERIFY_FAILED", "SSLError"), unless=_OTHER_SERVICE),
    Signature("LG022", _plain("connecterror", "connectionerror", "connection refused", "connection reset",
                              "name or service not known", "temporary failure in name resolution",
                              "nodename nor servname", "getaddrinfo failed", "failed to resolve",
                              "nameresolutionerror", "newconnectionerror", "failed to establish a new connection",
                              "no route to host", "network is unreachable") + (
        Rule("соединени", r"в\s+соединении\s+отказано|соединени\w*\s+(?:отклонен|сброшен|разорван)"),),
              ("ConnectError", "ConnectionError", "Name or service not known", "Connection refused",
               "Connection reset"),
              unless=_OTHER_SERVICE, yields_to=("LG021", "LG013")),
)
BY_CODE: Dict[str, Signature] = {s.code: s for s in SIGNATURES}
SPECIFIC = tuple(s for s in SIGNATURES if s.code != "LG010")  # LG010 counts what none of these explains

# LG018 is not a signature but a condition on two counters: GigaChat was used
# (any level) and no image was saved in the window.
GIGACHAT = Signature("gigachat", _plain("gigachat"), ("gigachat",))
# Saved: `Изображение (успешно) сохранено`, `Изображения для статей 1-9 сохранены`, `Сохранено изображение`,
# `Сохранение изображения a.jpg: OK`; not `Изображение не сохранено`, `Ошибка (при) сохранени(я|и) изображения`.
IMAGE_SAVED = Signature("saved", (
    Rule("сохранен", r"изображени\w*\s+(?:(?!не\s)\S+\s+){0,3}сохранен[оаы]?(?!\w)"),
    Rule("сохранен", r"(?<!не )(?<!\w)сохранен[оаы]?\s+изображени"),
    Rule("сохранен", r"(?<!\w)сохранение\s+изображени[^:\n]*:\s*(?:ok|успешно|готово)(?!\w)")),
    ("Изображение сохранено",))
LG018 = "LG018"

# Every code the summary reports, zeros included, in order.
CODES: Tuple[str, ...] = tuple(sorted([s.code for s in SIGNATURES] + [LG018]))

# The rows the site's `manage.py view_gigachat_logs` shows (its base query, any word form of
# `изображение`); the viewer adds every row a log check counts.
VIEWER_TOPICS = Signature("viewer", _plain("gigachat", "изображени", "generate_and_save_image"),
                          ("gigachat", "изображение", "generate_and_save_image"))

# What the prefilter looks for: a row without any of these can show nothing. A needle that holds
# another one (`readtimeout` holds `timeout`) adds nothing, so it is left out.
def _minimal(sigs) -> Tuple[str, ...]:
    every = tuple(dict.fromkeys(n for s in sigs for n in s.needles))
    return tuple(n for n in every if not any(o != n and o in n for o in every))


NEEDLES: Tuple[str, ...] = _minimal(SIGNATURES + (GIGACHAT, IMAGE_SAVED, VIEWER_TOPICS))  # what the viewer may show
# What the pass needs to see row by row: what may show a specific code. Rows about GigaChat are
# counted by the database itself; only those at ERROR and above (LG010) come too. Saved images are
# not here: a busy site saves one every few rows, and LG018 only asks whether one was saved at all
# (`SAVED_NEEDLES`, looked for apart, up to the first).
SCAN_NEEDLES: Tuple[str, ...] = _minimal(SPECIFIC)
SAVED_NEEDLES: Tuple[str, ...] = IMAGE_SAVED.needles


def fold(text: str) -> str:
    """Case folding for Latin and Cyrillic alike (Ё, ß and friends included)."""
    return text.casefold()


def normalize_level(raw) -> str:
    """`warn`, `Warning`, `30` -> `WARNING`; unknown spellings are kept, upper-cased."""
    if raw is None:
        return ""
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", "replace")
    text = str(raw).strip().upper()
    return ALIASES.get(text, text)


def parse_level(text: Optional[str]) -> Optional[str]:
    """A user's `--level` value: a canonical level, or None for 'all levels'."""
    if text is None or not str(text).strip():
        return None
    level = normalize_level(text)
    if level not in RANK:
        raise ValueError(say("usage.level", level=repr(text), levels=", ".join(LEVELS)))
    return level


def at_or_above(level: Optional[str]) -> Tuple[str, ...]:
    """Every spelling (canonical and alias) of `level` and the levels above it."""
    if level is None:
        return ()
    wanted = {name for name in LEVELS if RANK[name] >= RANK[level]}
    return tuple(sorted(wanted | {alias for alias, name in ALIASES.items() if name in wanted}))


def level_ok(row_level, minimum: Optional[str]) -> bool:
    if minimum is None:
        return True
    rank = RANK.get(normalize_level(row_level))
    return rank is not None and rank >= RANK[minimum]


def matches(sig: Signature, level, folded_message: str) -> bool:
    """`folded_message` is `fold(message)`: fold once per row, not once per signature."""
    if sig.min_level and not level_ok(level, sig.min_level):
        return False
    return sig.hit(folded_message)


@dataclass(frozen=True)
class Verdict:
    """What one log row shows."""
    codes: FrozenSet[str]
    gigachat: bool
    saved: bool
    topic: bool  # a row the viewer shows: the site's viewer topics, or counted by a check


_NONE = Verdict(frozenset(), False, False, False)
_TOPIC, _SAVED, _GIGACHAT = "topic", "saved", "gigachat"


def _by_needle() -> Dict[str, Tuple[Tuple[str, Rule], ...]]:
    """needle -> the (code, rule) pairs it opens: a row is tested only against the rules whose needle it holds."""
    out: Dict[str, list] = {}
    for code, sig in [(s.code, s) for s in SPECIFIC] + [(_GIGACHAT, GIGACHAT), (_SAVED, IMAGE_SAVED),
                                                       (_TOPIC, VIEWER_TOPICS)]:
        for rule in sig.rules:
            out.setdefault(rule.needle, []).append((code, rule))
    return {n: tuple(pairs) for n, pairs in out.items()}


_RULES = _by_needle()
# Each needle of the prefilter opens the rules of every needle that holds it (`timeout` opens
# `readtimeout`'s), so a row is tested against the few rules whose needles it holds.
_OPENS = {n: tuple(pair for needle, pairs in _RULES.items() if n in needle for pair in pairs) for n in NEEDLES}


# The site's own access log (django.server, gunicorn, uvicorn): `"GET /api/x HTTP/1.1" 500 123` is the
# status the site answered its visitor, not one GigaChat answered the site.
_ACCESS_LINE = re.compile(r'"(?:get|post|put|patch|delete|head|options)\s+\S*\s+http/[\d.]+"\s+\d{3}(?:\s+(?:\d+|-))?')
# The SDK's retry notice (gigachat/retry.py, DEBUG): `Retry attempt 1/3 after 0.50s due to ReadTimeout(...)`,
# `Retry stream attempt ...`, `Retry async (stream) attempt ...`. A retry is no failure by itself: when the retries run out the SDK raises, and
# the site logs that.
_RETRY_NOTICE = re.compile(r"\s*retry (?:async )?(?:stream )?attempt \d+/\d+ after [\d.]+s due to ")
# httpx's request line (`HTTP Request: POST https://gigachat... "HTTP/1.1 200 OK"`): a transport record,
# not the site using GigaChat (LG018 counts those). The SQL sources count the same way (`_gigachat`).
HTTPX_REQUEST = "http request: "


def classify(level, message) -> Verdict:
    folded = fold(as_text(message))
    if "http/" in folded and '" ' in folded:
        folded = _ACCESS_LINE.sub(" ", folded)
    found = set()
    for needle in NEEDLES:
        if needle not in folded:
            continue
        for code, rule in _OPENS[needle]:
            if code not in found and rule.needle in folded and (rule.rx is None or rule.rx.search(folded)):
                found.add(code)
    if not found:
        return _NONE
    gigachat, saved = _GIGACHAT in found, _SAVED in found
    codes = found - {_TOPIC, _SAVED, _GIGACHAT}
    for code in tuple(codes):
        sig = BY_CODE[code]
        if (sig.veto is not None and sig.veto.search(folded)) or any(c in codes for c in sig.yields_to):
            codes.discard(code)
    retry = bool(codes) and _RETRY_NOTICE.match(folded) is not None and not level_ok(level, "WARNING")
    if retry:
        codes = set()
    used = gigachat and HTTPX_REQUEST not in folded  # httpx's request lines: no GigaChat use, no GigaChat error
    if not retry and used and not codes and level_ok(level, BY_CODE["LG010"].min_level):
        codes.add("LG010")
    return Verdict(frozenset(codes), used, saved, bool(codes) or saved or _TOPIC in found)


# The prefilter as the SQLite source runs it (functions registered on the connection: one regular
# expression per folded row is 12 times cheaper there than a GLOB per needle, and 10 times cheaper
# than re.IGNORECASE on the raw row).
def _any_of(needles) -> "re.Pattern":
    """One regular expression that finds any of `needles`, spelled as a trie (`time(?:d out|out)`,
    not `timed out|timeout`): the same rows found, each position tried against fewer branches."""
    trie: dict = {}
    for needle in needles:
        node = trie
        for ch in needle:
            node = node.setdefault(ch, {})
        node[""] = {}

    def spell(node: dict) -> str:
        branches = [re.escape(ch) + spell(child) for ch, child in sorted(node.items()) if ch]
        if "" in node:  # a needle ends here: matched already, whatever follows
            return ""
        return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    return re.compile(spell(trie))


_PICKS: "Optional[Tuple[re.Pattern, re.Pattern]]" = None  # (shown, scan): compiled on first use, as the rules


def _compile_picks() -> "Tuple[re.Pattern, re.Pattern]":
    global _PICKS
    _PICKS = (_any_of(NEEDLES), _any_of(SCAN_NEEDLES))
    return _PICKS


def _folded(message) -> str:
    """`fold(as_text(message))`, with a shortcut for the bytes the SQLite source passes: ASCII bytes
    fold as `bytes.lower()` folds them (casefold changes no other ASCII character)."""
    if type(message) is bytes:
        if message.isascii():
            return message.lower().decode("ascii")
        return message.decode("utf-8", "replace").casefold()
    return fold(as_text(message))


def picks(message) -> int:
    """1 when the row may be shown by the viewer (holds a needle, any case), else 0."""
    return 1 if message is not None and (_PICKS or _compile_picks())[0].search(_folded(message)) else 0


@lru_cache(maxsize=256, typed=True)  # typed: 40 and 40.0 are different levels
def _error_or_above(level) -> bool:
    """`level_ok(level, "ERROR")`, remembered: a table spells its levels a few ways only."""
    return level_ok(level, "ERROR")


def shows_saved(message) -> int:
    """1 when the row shows a saved image (exact: the rule itself, on the folded row)."""
    return 1 if message is not None and IMAGE_SAVED.hit(_folded(message)) else 0


def picks_for_scan(level, message) -> int:
    """1 when the row may show a code: the rows the pass decides on in Python."""
    if message is None:
        return 0
    folded = _folded(message)
    if (_PICKS or _compile_picks())[1].search(folded):
        return 1
    if "gigachat" not in folded:
        return 0
    try:
        return 1 if _error_or_above(level) else 0
    except TypeError:  # a value that cannot be a key
        return 1 if level_ok(level, "ERROR") else 0


def as_text(value) -> str:
    """A message as text whatever the column held: NULL, bytes that are not UTF-8."""
    if value is None:
        return ""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("utf-8", "replace")
    return str(value)


def lg018_count(gigachat: int, saved: int) -> int:
    """LG018 counts the GigaChat rows of a window in which no image was saved."""
    return gigachat if gigachat and not saved else 0


def codes_summary(counts: Dict[str, int]) -> Dict[str, int]:
    """Every code, zeros included, in order."""
    return {code: int(counts.get(code, 0)) for code in CODES}


# --- --search: the site's literal substring, and the runbook's strings in any Russian word form ----------

_ENDING = re.compile(r"(?:иями|ями|ами|ого|его|ому|ему|ыми|ими|ией|ия|ие|ий|ии|ой|ей|ая|яя|ое|ее|ые|ую|юю|ом|ем"
                     r"|ах|ях|ов|ев|ам|ям|ию|ья|ью|ь|а|я|о|е|ы|и|у|ю|й)$")
_CYRILLIC_WORD = re.compile(r"[а-яё]{4,}")


def search_matcher(text: Optional[str]) -> Optional[Callable[[str], bool]]:
    """A test on folded messages: the literal text (any case), or the same words in other
    Russian word forms (`Ошибка сохранения` finds `ошибки сохранения`, `Ошибка при сохранении`);
    None when no search."""
    if not text:
        return None
    literal = fold(text)
    words = literal.split()
    parts = []
    for w in words:
        if _CYRILLIC_WORD.fullmatch(w):
            parts.append(re.escape(_ENDING.sub("", w) if len(w) > 4 else w[:-1]) + r"\w*")
        else:
            parts.append(re.escape(w))
    # words in order, a preposition between them allowed (`Ошибка при сохранении`)
    forms = re.compile(r"\s+(?:\w{1,3}\s+)?".join(parts)) if parts else None

    def found(folded: str) -> bool:
        return literal in folded or (forms is not None and forms.search(folded) is not None)
    return found
