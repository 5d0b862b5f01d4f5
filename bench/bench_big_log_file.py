"""The log file pass on a file larger than the scan limit (issue 22): a sparse 600 MB file (a hole, then real
lines), read from its newest end.

    python bench/bench_big_log_file.py [--mb 600] [--lines 20000] [--runs 3]

Prints where the pass starts, the time to find it (the bisection) and the best and median time of a full
scan (the first run pays for the kernel's zero pages of the hole; later ones read them from the page cache).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gigacheck.logs import file as logfile  # noqa: E402
from gigacheck.logs.store import Filter, Window  # noqa: E402


def write(path: Path, mb: int, lines: int) -> None:
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    kinds = ["INFO - GigaChat: ответ получен", "INFO - HTTP Request: POST https://gigachat.devices.sberbank.ru/"
             "api/v1/chat/completions \"HTTP/1.1 200 OK\"", "ERROR - ❌ GigaChat error: 429 Too Many Requests",
             "INFO - Изображение сохранено: media/a.jpg"]
    with open(path, "wb") as f:
        f.truncate(mb << 20)
        f.seek(0, 2)
        body = []
        for i in range(lines):
            stamp = now - timedelta(seconds=(lines - i) * 2)
            body.append(f"{stamp:%Y-%m-%d %H:%M:%S},123 - Asistent.views - {kinds[i % len(kinds)]}\n")
        f.write(("\n" + "".join(body)).encode("utf-8"))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=int, default=600)
    ap.add_argument("--lines", type=int, default=20000)
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="gigacheck-bench-") as tmp:
        path = Path(tmp) / "app.log"
        write(path, a.mb, a.lines)
        source = logfile.FileSource(str(path))
        window = Window.last(24)
        t = time.perf_counter()
        start, cut = source.start(window)
        found = time.perf_counter() - t
        size = path.stat().st_size
        print(f"file {size / (1 << 20):.0f} MB (sparse), limit {logfile.MAX_SCAN_BYTES >> 20} MB: pass starts at "
              f"{start / (1 << 20):.1f} MB (end minus limit: {(size - logfile.MAX_SCAN_BYTES) / (1 << 20):.1f} MB), "
              f"cut={cut}, found in {found * 1000:.1f} ms")
        times = []
        for _ in range(a.runs):
            t = time.perf_counter()
            scan = source.scan(window, Filter())
            times.append(time.perf_counter() - t)
        print(f"scan of the newest {logfile.MAX_SCAN_BYTES >> 20} MB: first {times[0]:.2f} s, best {min(times):.2f} s, "
              f"median {statistics.median(times):.2f} s; LG014 {scan.counts['LG014']} of {a.lines // 4} planted, "
              f"notes: {len(scan.notes)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
