"""What remembering costs a run: one history append (and its previous-run read) on files of growing size,
two processes appending at once, `history --json` listing, and the Prometheus textfile.  Prints numbers.

    python bench/bench_history.py [--runs 20000]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gigacheck import history, prometheus  # noqa: E402
from gigacheck.diagnosis import CATALOG  # noqa: E402
from gigacheck.logs.signatures import CODES  # noqa: E402


def entry(i: int) -> history.RunEntry:
    return history.RunEntry(started_at=f"2026-12-07T{i % 24:02}:00:00+00:00", verdict="failed" if i % 7 else "passed",
                            codes=("GC023",) if i % 7 else (), finished_at=float(i), duration_s=1.0)


def best_median(fn, n: int = 15):
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times), statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20000, help="runs in the biggest file")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "h.sqlite3")
        filled = 0
        print("history append (read previous + insert), ms        best    median")
        for size in (0, 1000, args.runs):
            for i in range(filled, size):
                history.record(path, entry(i))
            filled = max(filled, size)
            b, m = best_median(lambda: history.record(path, entry(filled)))
            filled += 15
            print(f"  file of {size:>6} runs                        {b * 1e3:8.2f}  {m * 1e3:8.2f}")
        b, m = best_median(lambda: history.runs(path, limit=20))
        print(f"history --limit 20, ms                            {b * 1e3:8.2f}  {m * 1e3:8.2f}")
        b, m = best_median(lambda: history.runs(path), n=3)
        print(f"history, all {filled} runs, ms                  {b * 1e3:8.2f}  {m * 1e3:8.2f}")
        facts = prometheus.Facts("failed", {"GC023": 1}, {"LG019": 1}, time.time(), time.time() - 60, 1.5,
                                 list(CATALOG), list(CODES))
        prom = Path(tmp, "g.prom")
        b, m = best_median(lambda: prometheus.write_atomic(prom, prometheus.textfile(facts)))
        print(f"prometheus textfile ({len(CATALOG)} codes), ms            {b * 1e3:8.2f}  {m * 1e3:8.2f}")
        two = Path(tmp, "two.sqlite3")
        script = textwrap.dedent(f"""
            from gigacheck import history
            for i in range(200):
                history.record({str(two)!r}, history.RunEntry(started_at=str(i), verdict="passed"))
        """)
        t = time.perf_counter()
        procs = [subprocess.Popen([sys.executable, "-c", script]) for _ in range(2)]
        codes = [p.wait() for p in procs]
        took = time.perf_counter() - t
        print(f"two processes x 200 appends at once: exit {codes}, {len(history.runs(two))} runs landed, "
              f"{took:.2f} s")


if __name__ == "__main__":
    main()
