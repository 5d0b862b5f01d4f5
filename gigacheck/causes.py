"""One root cause, one failure: which log signatures show the same cause as a finding.

When a check finds a cause (say GC023, OAuth rejected the key), that check is the one
failure: the site's log rows under the signatures listed for it here are attached to it as
evidence ("the site's log agrees"), and the log checks of those signatures are skipped naming
it.  A log signature can be a cause too (no `<img>` tag, then an empty path, then every model
failed), for the runs where no live check meets it (no --spend).  The log checks ask the
causes first (checks/test_logs.py), so a consequence always finds its cause already reported.

Plain data and two small functions: no pytest here.
"""

from __future__ import annotations

from typing import Dict, List, Mapping, Optional, Tuple

from .words import say

# Whatever stops GigaChat from answering leaves GigaChat errors (LG010), images never
# generated (LG012) and no image saved (LG018) in the site's log.
_NO_ANSWER = ("LG012", "LG010", "LG018")
_LOG_NO_ANSWER = ("LG012", "LG018")
# ... and, before a token is had, `No access token available` / `OAuth failed with status` (LG019).
_NO_TOKEN = ("LG019",) + _NO_ANSWER

# cause -> the log signatures whose rows show that same cause
EXPLAINS: Dict[str, Tuple[str, ...]] = {
    # the settings: the site cannot even get a token with them
    **{code: _NO_TOKEN for code in ("GC001", "GC002", "GC003", "GC004", "GC005", "GC006", "GC007", "GC008",
                                   "GC009", "GC010", "GC012")},
    "GC013": ("LG018",),               # mock answers on: the site does not call GigaChat
    "GC014": ("LG018",),               # GigaChat turned off: nothing to save
    # the network
    "GC020": ("LG022",) + _NO_TOKEN,   # unreachable: ConnectError / ConnectionError
    "GC021": ("LG013",) + _NO_TOKEN,   # a timeout, logged as Таймаут / TimeoutError / timed out
    "GC022": ("LG021",) + _NO_TOKEN,   # CERTIFICATE_VERIFY_FAILED / SSLError
    # OAuth
    "GC023": _NO_TOKEN, "GC024": _NO_TOKEN, "GC025": _NO_TOKEN, "GC026": _NO_TOKEN, "GC028": _NO_TOKEN,
    # the API
    "GC027": ("LG014",) + _NO_ANSWER,  # 429, cooldown
    "GC029": ("LG020",) + _NO_ANSWER,  # 5xx: `Server error (502) from ...`, SynGX 502 pages
    "GC030": _NO_TOKEN,                # an HTML 404 page: `404 Not Found`
    "GC031": _NO_TOKEN,                # 401 Token has expired; the site logs `No access token available`
    "GC032": ("LG019",) + _NO_ANSWER,  # 404 No such model
    "GC033": ("LG015",) + _NO_ANSWER,  # 402, balance ran short
    "GC034": _NO_ANSWER,
    # generation (--spend)
    "GC040": _NO_ANSWER,
    "GC047": _NO_ANSWER,               # the request refused as invalid: no answer either
    "GC041": ("LG011",) + _NO_ANSWER,  # an empty answer gives an empty path
    "GC042": ("LG016", "LG011") + _NO_ANSWER,
    "GC043": ("LG011",) + _NO_ANSWER,
    "GC044": ("LG015",),
    # the log's own causes, when no live check met them.  LG010 counts only the errors no signature
    # explains, so no log signature explains it: those rows are another story.
    "LG013": _LOG_NO_ANSWER, "LG014": _LOG_NO_ANSWER, "LG015": _LOG_NO_ANSWER, "LG019": _LOG_NO_ANSWER,
    "LG020": _LOG_NO_ANSWER, "LG021": _LOG_NO_ANSWER, "LG022": _LOG_NO_ANSWER,
    "LG016": ("LG011",) + _LOG_NO_ANSWER,
    "LG017": ("LG018",),               # generated but not saved
    "LG011": _LOG_NO_ANSWER,
    "LG012": ("LG018",),
    "LG010": ("LG018",),               # GigaChat failing: no image to save
}


def explaining(code: str, failed: Mapping[str, str]) -> Optional[str]:
    """The check that already reported a cause of `code`, or None.
    `failed`: cause code -> the check that reported it, in the order they failed."""
    for cause, check in failed.items():
        if cause != code and code in EXPLAINS.get(cause, ()):
            return check
    return None


def log_evidence(logs, cause: str, lang: str = "en") -> List[str]:
    """The site's log rows that show `cause`, as evidence lines; [] when the log shows none.
    `logs` is the run's LogChecks (gigacheck.logs.plugin)."""
    if cause.startswith("LG"):  # a log check's failure shows its own rows already
        return []
    codes = [c for c in EXPLAINS.get(cause, ()) if c != "LG018"]  # LG018 is an absence, not rows
    if not codes:
        return []
    from .diagnosis import Finding
    try:
        scan = logs.scan()
        window = logs.window
    except Finding as f:
        return [say("causes.log_unread", lang, headline=f.headline)]
    found = [(c, scan.counts.get(c, 0)) for c in codes if scan.counts.get(c, 0) > 0]
    if not found:
        return []
    zone = getattr(window.tz, "key", None) or str(window.tz)
    lines = [say("causes.log_agrees", lang, since=f"{window.since_local:%Y-%m-%d %H:%M:%S} ({zone})",
                 counts=", ".join(f"{c} {n}" for c, n in found))]
    for c, n in found:
        lines.extend(logs.evidence(scan, c, n))
    return lines
