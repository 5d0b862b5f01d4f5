"""Throughput of the one redactor (`gigacheck/redact.py`), on texts shaped like a run's outputs.

    python bench/bench_redact.py [--mb 2] [--runs 5]

Prints, for real-shaped secrets (a 100-character key, a ~1200-character token, a DB password and
an sk-proj key): the time to learn them, and the median MB/s of `scrub` on prose (terminal-like),
on base64 (an HTML report with an embedded picture) and on text full of echoed secrets.
"""

from __future__ import annotations

import argparse
import base64
import os
import secrets
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gigacheck.redact import Redactor  # noqa: E402


def canaries():
    key = base64.b64encode(f"{uuid.uuid4()}:{uuid.uuid4()}".encode()).decode()
    token = "eyJlbmMiOiJBMjU2Q0JDLUhTNTEyIn0." + ".".join(secrets.token_urlsafe(n) for n in (256, 12, 600, 32))
    return [key, token, "pw-" + secrets.token_urlsafe(18), "sk-proj-" + secrets.token_urlsafe(48)]


def texts(mb: float, values):
    n = int(mb * (1 << 20))
    prose = ("PASSED checks/test_api.py::test_does_the_models_list_answer_with_the_token [ 40%] GigaChat ok\n"
             * (n // 90 + 1))[:n]
    b64 = base64.b64encode(os.urandom(n * 3 // 4)).decode()
    echoed = (" ".join(f"Authorization: Bearer {v} and {v[5:60]}" for v in values) + "\n") * 1
    echoed = (echoed * (n // len(echoed) + 1))[:n]
    return {"prose": prose, "base64": b64, "echoed secrets": echoed}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=float, default=2.0)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    values = canaries()
    t0 = time.perf_counter()
    r = Redactor(values)
    r.scrub("warm up")  # compiles the patterns
    print(f"learn 4 secrets and compile: {time.perf_counter() - t0:.3f} s "
          f"({len(r.values)} forms, {len(r._grams)} 8-character pieces)")
    for name, text in texts(args.mb, values).items():
        times = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            r.scrub(text)
            times.append(time.perf_counter() - t0)
        med = statistics.median(times)
        print(f"scrub {name:<15} {args.mb:.1f} MB: median {med:.3f} s  ({args.mb / med:.1f} MB/s)")


if __name__ == "__main__":
    main()
