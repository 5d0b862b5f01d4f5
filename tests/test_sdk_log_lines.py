"""The official SDK's and httpx's own log lines, taken from their sources and from the libraries running,
both ways: each failure line counts under the code SPEC gives it (LG014, LG015, LG019-LG022), the same
libraries' healthy lines (httpx `200 OK`, DEBUG retries, token refreshes) raise nothing, on SQLite and
MariaDB (PostgreSQL: tests/test_postgres.py on the corpus), one row at a time and all together, and
`--search` with a word of a row finds it in the viewer."""

import json
import logging
import re
import socket
from pathlib import Path

import httpx
import pytest

from gigacheck.diagnosis import Finding
from gigacheck.logs import questions, signatures, viewer as logview
from gigacheck.logs.store import Row
from gigacheck.words import speaking

gigachat = pytest.importorskip("gigachat", reason="the SDK is a test extra: pip install -e '.[test]'")
from gigachat.api import auth as sdk_auth, utils as sdk_utils  # noqa: E402

SDK_DIR = Path(gigachat.__file__).resolve().parent
API = "https://gigachat.devices.sberbank.ru/api/v1/chat/completions"
OAUTH = "https://ngw.devices.sberbank.ru:9443/api/v2/oauth"

# Every logger call of the SDK 0.2.3 (format string -> the arguments it is logged with, the codes it shows).
# A call the SDK adds later fails test_every_sdk_logger_call_has_a_decision until it is decided here.
SDK_LINES = {
    "GigaChat: unknown kwargs - %s": (("{'temprature': 0.5}",), set()),
    "Token refreshed via OAuth": ((), set()),
    "Token refreshed via password auth": ((), set()),
    "Invalid credentials format. Please use only base64 credentials (Authorization data, not client secret!)":
        ((), {"LG019"}),
    "Error parsing chunk from server: %s, raw value: %s": (("Expecting value", "data: {"), set()),
    "Error parsing event chunk from server: %s, event: %s, raw value: %s": (("Expecting value", "message", "{"),
                                                                          set()),
    "Rate limit exceeded (429). Retry-After: %s": (("30",), {"LG014"}),
    "Rate limit exceeded (429)": ((), {"LG014"}),
    "Server error (%d) from %s": ((502, API), {"LG020"}),
    "Retry attempt %d/%d after %.2fs due to %s": ((1, 3, 0.5, "ReadTimeout('The read operation timed out')"), set()),
    "Retry stream attempt %d/%d after %.2fs due to %s": ((1, 3, 0.5, f"ServerError('502 {API}')"), set()),
    "Retry async attempt %d/%d after %.2fs due to %s": ((2, 3, 1.0, f"RateLimitError('429 {API}')"), set()),
    "Retry async stream attempt %d/%d after %.2fs due to %s": ((1, 3, 0.5, "ConnectError('[Errno 111] Connection "
                                                                            "refused')"), set()),
    "All %d retries exhausted for %s": ((3, "chat"), set()),
    "Authentication failed (401), resetting token and retrying": ((), {"LG019"}),
}
LEVEL_OF = {"debug": "DEBUG", "info": "INFO", "warning": "WARNING", "error": "ERROR", "critical": "CRITICAL"}
_CALL = re.compile(r"logger\.(debug|info|warning|error|critical)\(\s*\"((?:[^\"\\]|\\.)*)\"", re.S)


def sdk_calls():
    """(level, format string) of every logger call in the installed SDK's sources."""
    out = set()
    for path in SDK_DIR.rglob("*.py"):
        for level, fmt in _CALL.findall(path.read_text(encoding="utf-8")):
            out.add((LEVEL_OF[level], fmt))
    return sorted(out)


def codes(level, message):
    return set(signatures.classify(level, message).codes)


def test_every_sdk_logger_call_has_a_decision():
    calls = sdk_calls()
    assert len(calls) >= 12
    assert {fmt for _, fmt in calls} <= set(SDK_LINES), "an SDK log line nobody decided on"


@pytest.mark.parametrize("level, fmt", sdk_calls())
def test_each_sdk_line_counts_under_its_code_and_no_other(level, fmt):
    args, want = SDK_LINES[fmt]
    assert codes(level, fmt % args) == want


def sdk_failure(status: int, body: bytes, headers=None):
    """What the SDK itself logs and raises for a status (api/utils.py), as the site's log gets it."""
    logger = logging.getLogger("gigachat.api.utils")
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logger.addHandler(handler)
    old, logger.level = logger.level, logging.DEBUG
    try:
        with pytest.raises(gigachat.exceptions.ResponseError) as raised:
            sdk_utils._raise_for_status(httpx.URL(API), status, body, httpx.Headers(headers or {}))
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old)
    return [(r.levelname, r.getMessage()) for r in records], raised.value


@pytest.mark.parametrize("status, body, headers, code", [
    (429, b'{"status":429,"message":"Too Many Requests"}', {"retry-after": "30"}, "LG014"),
    (429, b'{"status":429,"message":"Too Many Requests"}', {}, "LG014"),
    (502, b"<html><head><title>502 Bad Gateway</title></head><body><center>SynGX</center></body></html>", {},
     "LG020"),
    (503, b"Service Temporarily Unavailable", {}, "LG020"),
    (401, b'{"status":401,"message":"Token has expired"}', {}, "LG019"),
    (402, b'{"status":402,"message":"Payment Required"}', {}, "LG015"),
])
def test_the_sdks_own_warnings_and_exceptions_count(status, body, headers, code):
    logged, exc = sdk_failure(status, body, headers)
    for level, message in logged:  # its own warning, when it writes one
        assert codes(level, message) == {code}, message
    # the exception as sites log it: `logger.error("GigaChat error: %s", e)`, or with its class
    assert codes("ERROR", f"GigaChat error: {exc}") == {code}
    assert codes("ERROR", f"{type(exc).__module__}.{type(exc).__name__}: {exc}") == {code}
    # and in the SDK's DEBUG retry notice it is a retry, no finding
    assert codes("DEBUG", f"Retry attempt 1/3 after 0.50s due to {exc!r}") == set()


def test_the_sdks_credentials_warning_is_an_authentication_failure(caplog):
    with caplog.at_level(logging.WARNING, logger="gigachat"):
        sdk_auth._validate_credentials("client-secret-not-base64!")
    [record] = [r for r in caplog.records if r.name.startswith("gigachat")]
    assert codes(record.levelname, record.getMessage()) == {"LG019"}


def httpx_lines(statuses):
    """httpx's own `HTTP Request: ...` INFO lines, written by httpx for answers of these statuses."""
    logger = logging.getLogger("httpx")
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logger.addHandler(handler)
    # setLevel, not `logger.level =`: only setLevel clears the logger's isEnabledFor cache, which an earlier
    # httpx request of the same process (at the default WARNING) filled with "INFO: off"
    old = logger.level
    logger.setLevel(logging.INFO)
    try:
        with httpx.Client(transport=httpx.MockTransport(lambda req: httpx.Response(int(req.url.params["s"])))) as c:
            for status in statuses:
                c.post(API, params={"s": status})
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old)
    return [(r.levelname, r.getMessage().replace(f"?s={s}", "")) for r, s in zip(records, statuses)]


def test_httpx_request_lines_count_by_their_status():
    lines = httpx_lines([200, 429, 402, 401, 500, 502, 503, 504, 404])
    assert lines[0] == ("INFO", f'HTTP Request: POST {API} "HTTP/1.1 200 OK"')
    got = [codes(level, message) for level, message in lines]
    assert got == [set(), {"LG014"}, {"LG015"}, {"LG019"}, {"LG020"}, {"LG020"}, {"LG020"}, {"LG020"}, {"LG019"}]
    # a 200 OK is success: no finding, and no use of GigaChat that LG018 would count
    assert not signatures.classify(*lines[0]).gigachat


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_refused_connection_as_httpx_and_requests_raise_it_is_lg022_naming_host_and_port():
    import httpx, requests  # noqa: E401  the modules as they are now (a test of the suite may import them afresh)
    port = _closed_port()
    with pytest.raises(Exception) as by_httpx:
        httpx.post(f"https://127.0.0.1:{port}/api/v2/oauth", timeout=2)
    with pytest.raises(Exception) as by_requests:
        requests.post(f"https://127.0.0.1:{port}/api/v2/oauth", timeout=2)
    assert (type(by_httpx.value).__name__, type(by_requests.value).__name__) == ("ConnectError", "ConnectionError")
    rows = [f"httpx.ConnectError: {by_httpx.value}", f"GigaChat error: {by_httpx.value}",
            f"requests.exceptions.ConnectionError: {by_requests.value}"]
    for message in rows:
        assert codes("ERROR", message) == {"LG022"}, message
    situation, fields = questions.situated("LG022", [Row(None, "ERROR", rows[2], len(rows[2]))])
    assert (situation, fields) == ("host", {"host": "127.0.0.1", "port": str(port)})
    for lang in ("en", "ru"):
        with speaking(lang):
            remedy = Finding("LG022", "x", situation=situation, fields=fields).remedy
        assert "127.0.0.1" in remedy and str(port) in remedy
    assert questions.situated("LG022", [Row(None, "ERROR", rows[0], len(rows[0]))]) == ("", {})


def test_lg021s_remedy_names_the_ca_bundle_and_the_russian_root_ca_command():
    from gigacheck.diagnosis import CATALOG
    entry = CATALOG["LG021"]
    assert "GIGACHAT_CA_BUNDLE_FILE" in entry.remedy and "SSL_CERT_FILE" in entry.remedy
    assert "GIGACHAT_CA_BUNDLE_FILE" in entry.text("ru").remedy and "НУЦ Минцифры" in entry.text("ru").remedy
    assert any("russian_trusted_root_ca" in c and c.startswith("curl") for c in entry.commands)
    assert any("update-ca-certificates" in c for c in entry.commands)


@pytest.mark.parametrize("message, want", [
    ("httpx.ConnectError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate in "
     "certificate chain (_ssl.c:1006)", {"LG021"}),  # one cause: the TLS failure, not "unreachable" too
    ("requests.exceptions.ConnectTimeout: HTTPSConnectionPool(host='ngw.devices.sberbank.ru', port=9443): Max "
     "retries exceeded with url: /api/v2/oauth (Caused by ConnectTimeoutError(<urllib3.connection.HTTPSConnection "
     "object at 0x7f>, 'Connection to ngw.devices.sberbank.ru timed out. (connect timeout=30)'))", {"LG013"}),
    ("redis.exceptions.ConnectionError: Error 111 connecting to localhost:6379. Connection refused.", set()),
    ('"GET /api/generate/ HTTP/1.1" 500 145', set()),   # the site's own access log: its status, not GigaChat's
    ('"POST /api/chat/ HTTP/1.1" 429 12', set()),
    ("Internal Server Error: /api/generate/", set()),   # django.request's prefix
    (f'HTTP Request: POST {API} "HTTP/1.1 200 OK"', set()),
])
def test_one_cause_per_row_and_other_services_are_not_gigachat(message, want):
    assert codes("ERROR", message) == want


def test_no_needle_is_a_regular_expression():
    """MariaDB and PostgreSQL take the needles joined as one regular expression: each must be literal."""
    for needle in signatures.NEEDLES + signatures.SCAN_NEEDLES:
        assert not any(c in needle for c in "()[]{}.*+?|^$\\"), needle


# --- in a table, on each backend -------------------------------------------------------------------------



def table_lines():
    """(level, message, codes) as the SDK, httpx and requests wrote them above, sick and healthy."""
    out = [("WARNING" if fmt.startswith(("Rate", "Server", "Auth", "Invalid", "GigaChat: unknown")) else
            "DEBUG" if fmt.startswith(("Retry", "Token")) else "INFO" if fmt.startswith("All") else "ERROR",
            fmt % args, want) for fmt, (args, want) in SDK_LINES.items()]
    out += [(lv, m, codes(lv, m)) for lv, m in httpx_lines([200, 429, 503, 401])]
    out += [("ERROR", "httpx.ConnectError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get "
                      "local issuer certificate (_ssl.c:1006)", {"LG021"}),
            ("ERROR", "httpx.ConnectError: [Errno -2] Name or service not known", {"LG022"})]
    return out


@pytest.fixture(autouse=True)
def no_env_file_here(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def test_one_row_at_a_time_and_all_together_the_summary_counts_them_and_search_finds_them(log_db):
    lines = table_lines()
    everything: dict = {}
    for i, (level, message, want) in enumerate(lines):
        env = {"DATABASE_URL": log_db.make([(level, message, 5)], table=f"t{i}"), "GIGACHECK_LOG_TABLE": f"t{i}"}
        rc, out, _ = view("--summary", "--json", env=env)
        counts = {c: n for c, n in json.loads(out)["counts"].items() if n}
        # LG018 (no image saved while GigaChat was used) for the rows about GigaChat where an image was asked for
        # (issue 18: a chat-only window has nothing to save), never for httpx's lines
        used = {"LG018"} if signatures.classify(level, message).gigachat and signatures.attempts_image(message) \
            else set()
        assert not (used and message.startswith("HTTP Request"))
        assert rc == 0 and counts == {c: 1 for c in want | used}, message
        for c in want | used:
            everything[c] = everything.get(c, 0) + 1
        if want:  # every row a check counts is shown, and a word of it finds it
            word = max(re.findall(r"[A-Za-z]{6,}", message), key=len)
            rc, out, _ = view("--search", word.lower(), env=env)
            assert out.strip().endswith(message), (word, message)
    env = {"DATABASE_URL": log_db.make([(lv, m, 5 + i) for i, (lv, m, _) in enumerate(lines)], table="together"),
           "GIGACHECK_LOG_TABLE": "together"}
    counts = {c: n for c, n in json.loads(view("--summary", "--json", env=env)[1])["counts"].items() if n}
    everything.pop("LG018", None)  # together: every GigaChat row counts, as an image is asked for in the window
    if any(signatures.attempts_image(m) for _, m, _ in lines):
        everything["LG018"] = sum(bool(signatures.classify(lv, m).gigachat) for lv, m, _ in lines)
    assert counts == everything and set(everything) >= {"LG014", "LG019", "LG020", "LG021", "LG022"}
    shown = view("--limit", "0", env=env)[1]
    assert all(m in shown for _, m, want in lines if want)


# --- the log checks, run as a user runs them -------------------------------------------------------------

from tests.test_log_checks import Q, expect, outcomes, run_logs  # noqa: E402,F401  (run_logs: a fixture)
from tests.support.viewer import view


def test_the_checks_fail_lg021_and_lg022_with_remedies_for_what_the_rows_show(run_logs, tmp_path):
    from tests.support.mariadb import LogDB
    refused = ("requests.exceptions.ConnectionError: HTTPSConnectionPool(host='ngw.devices.sberbank.ru', port=9443): "
               "Max retries exceeded with url: /api/v2/oauth (Caused by NewConnectionError('<urllib3.connection."
               "HTTPSConnection object at 0x7f3a2c1d5e10>: Failed to establish a new connection: [Errno 111] "
               "Connection refused'))")
    url = LogDB("sqlite", tmp_path).make([
        ("ERROR", "httpx.ConnectError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed "
                  "certificate in certificate chain (_ssl.c:1006)", 50),
        ("ERROR", refused, 40),
        # successes before the failures: no finding themselves, and the failures after them still go on
        # (a success after them would resolve their incidents: SPEC "Verdicts over time")
        ("INFO", f'HTTP Request: POST {API} "HTTP/1.1 200 OK"', 60),
        ("DEBUG", "Retry attempt 1/3 after 0.50s due to ReadTimeout('timed out')", 29),
        ("INFO", "Изображение сохранено: media/ai_images/article_7.jpg", 55)])
    run = run_logs(env={"DATABASE_URL": url})
    assert outcomes(run) == expect(failed=("LG021", "LG022"), warned=("LG005",))
    lg022 = run.stdout.split("[LG022]", 1)[1].split("\n\n", 1)[0]
    assert "ngw.devices.sberbank.ru" in lg022 and "9443" in lg022 and "getent hosts ngw.devices.sberbank.ru" in lg022
    lg021 = run.stdout.split("[LG021]", 1)[1].split("\n\n", 1)[0]
    assert "GIGACHAT_CA_BUNDLE_FILE" in lg021 and "russian_trusted_root_ca" in lg021
