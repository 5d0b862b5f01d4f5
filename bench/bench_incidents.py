"""What do incidents cost on top of the log pass? The scan alone, then the success lookup and the grouping.

On bench_logs.py's SQLite tables (a mostly healthy site over 60 days, with and without the index on
`timestamp`): the 24-hour window's scan (every signature counted), then `successes()` (the rows holding a
success needle, newest batch first) and `incidents.build`. Best of `--repeat` in-process runs each.
Nothing asserts a time; the numbers are printed.

    python bench/bench_incidents.py                       # 100k and 1M rows
    python bench/bench_incidents.py --sqlite 4000000 --repeat 3
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from bench_logs import build_sqlite  # noqa: E402  (its cached tables)
from gigacheck.logs import sources, store  # noqa: E402
from gigacheck.logs.incidents import Times, build, enough_for  # noqa: E402
from gigacheck.logs.success import hosts_of, resolving_kinds  # noqa: E402


def once(url: str, now: datetime) -> dict:
    window = store.Window.last(24, timezone.utc, now=now)
    with sources.open_database(url, store.LogTable()) as source:
        t0 = time.perf_counter()
        scan = source.scan(window, store.Filter(limit=50))
        t1 = time.perf_counter()
        times = [Times.of(c, s) for c, s in scan.times.items() if s]
        wanted = {k for t in times for k in resolving_kinds(t.code)}
        found = source.successes(window, hosts_of(), wanted, enough_for(times))
        incidents = build(times, found, since=window.since_local, tz=window.tz)
        t2 = time.perf_counter()
    return {"scan": t1 - t0, "incidents": t2 - t1, "n": len(incidents), "rows": scan.rows,
            "ongoing": sum(i.ongoing for i in incidents)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sqlite", default="100000,1000000")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    print(f"{'table':<22} {'window rows':>11} {'scan ms':>8} {'+incidents ms':>14} {'incidents':>9} {'ongoing':>8}")
    for rows in [int(r) for r in args.sqlite.split(",") if r]:
        for index in (False, True):
            path, now = build_sqlite(rows, index)
            now = datetime.fromisoformat(now).replace(tzinfo=timezone.utc)
            runs = [once(f"sqlite:///{path}", now) for _ in range(args.repeat)]
            best = lambda k: min(r[k] for r in runs) * 1000  # noqa: E731
            last = runs[-1]
            name = f"sqlite {rows // 1000}k" + (" +index" if index else "")
            print(f"{name:<22} {last['rows']:>11} {best('scan'):>8.1f} {best('incidents'):>14.1f} {last['n']:>9} "
                  f"{last['ongoing']:>8}")


if __name__ == "__main__":
    main()
