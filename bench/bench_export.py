"""How much memory does exporting a big window take? `python -m gigacheck logs --limit 0` (text and
`--json`) on a SQLite table of N rows in the last 24 hours, each run a fresh child process whose peak
resident memory (ru_maxrss of the child) and wall time are printed, with the baseline of the same child
that only starts (imports) and exits. Target (issue 20): <= 150 MiB peak for 200,000 rows.

    python bench/bench_export.py                      # 200,000 rows, this tree
    python bench/bench_export.py --rows 50000 --repeat 3
    python bench/bench_export.py --tree /tmp/base     # another tree (git worktree add /tmp/base <sha>)

Tables are cached under /tmp/gigacheck-bench. Nothing here asserts a number.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CACHE = Path("/tmp/gigacheck-bench")
TABLE = "Asistent_systemlog"


def build(rows: int) -> Path:
    """N rows about GigaChat (every one shown by the viewer), spread over the last 23 hours; one in 7 ERROR."""
    path = CACHE / f"export-{rows}.sqlite3"
    if path.exists() and path.stat().st_mtime > time.time() - 3600:  # its window must still be the last day
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    conn = sqlite3.connect(str(path))
    conn.execute(f'CREATE TABLE "{TABLE}" ("id" integer PRIMARY KEY AUTOINCREMENT, "timestamp" datetime NOT NULL, '
                 f'"level" varchar(10) NOT NULL, "logger_name" varchar(100) NOT NULL DEFAULT \'\', "message" text)')
    conn.execute(f'CREATE INDEX "{TABLE}_timestamp_idx" ON "{TABLE}" ("timestamp")')
    step = 23 * 3600 / rows
    def row(i):
        stamp = now - timedelta(seconds=(rows - i) * step)
        if i % 7 == 0:
            return (stamp.isoformat(sep=" "), "ERROR", "Asistent",
                    f"❌ GigaChat error: 429 Too Many Requests for url: https://gigachat.devices.sberbank.ru/api/v1/"
                    f"chat/completions (article_id={i}, request_id={i * 2654435761 % (1 << 32):08x})")
        return (stamp.isoformat(sep=" "), "INFO", "Asistent",
                f"GigaChat: ответ получен за {i % 90 / 10:.1f} с, токенов: {i % 4000}; статья {i}")
    conn.executemany(f'INSERT INTO "{TABLE}" ("timestamp", "level", "logger_name", "message") VALUES (?, ?, ?, ?)',
                     (row(i) for i in range(rows)))
    conn.commit()
    conn.close()
    return path


CHILD = """
import resource, sys, time
sys.argv = ["gigacheck"] + sys.argv[1:]
start = time.perf_counter()
from gigacheck.__main__ import main
rc = 0
if sys.argv[1:] != ["--none"]:
    try:
        rc = main(sys.argv[1:])
    except SystemExit as e:
        rc = e.code or 0
sys.stdout.flush()
print(f"RESULT {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss} {time.perf_counter() - start:.2f} {rc}",
      file=sys.stderr)
"""


def child(tree: Path, db: Path, args) -> tuple:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "PYTHONPATH": str(tree),
           "DATABASE_URL": f"sqlite:///{db}", "HOME": os.environ.get("HOME", "/")}
    # stdout to a file, never into this process: Linux keeps ru_maxrss across fork and exec, so a parent
    # holding the last export's text would count in the next child's peak
    with tempfile.TemporaryFile() as out:
        done = subprocess.run([sys.executable, "-c", CHILD, *args], env=env, cwd="/tmp", stdout=out,
                              stderr=subprocess.PIPE, text=True, timeout=900)
        out.seek(0)
        lines = sum(chunk.count(b"\n") for chunk in iter(lambda: out.read(1 << 20), b""))
    result = [ln for ln in done.stderr.splitlines() if ln.startswith("RESULT ")]
    if not result:
        raise SystemExit(f"child failed: {done.stderr[-2000:]}")
    kib, seconds, rc = result[-1].split()[1:]
    said = [ln for ln in done.stderr.splitlines() if not ln.startswith("RESULT ")]
    return int(kib) / 1024, float(seconds), lines, said[:1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--tree", default=str(REPO), help="the tree whose gigacheck runs (default: this one)")
    ap.add_argument("--build-only", action="store_true", help=argparse.SUPPRESS)
    opts = ap.parse_args()
    if opts.build_only:
        build(opts.rows)
        return
    # the table is built in a child too, for the same reason
    subprocess.run([sys.executable, __file__, "--build-only", "--rows", str(opts.rows)], check=True)
    db = CACHE / f"export-{opts.rows}.sqlite3"
    tree = Path(opts.tree)
    print(f"SQLite table of {opts.rows} rows in the last 24 h, tree {tree}; peak RSS of the child process")
    print(f"{'run':34} {'peak MiB':>9} {'wall s':>7} {'lines out':>10}")
    runs = [("start-up only (baseline)", ["--none"]),
            ("logs --limit 0", ["logs", "--limit", "0"]),
            ("logs --limit 0 --json", ["logs", "--limit", "0", "--json"]),
            ("logs --level ERROR --limit 0", ["logs", "--level", "ERROR", "--limit", "0"]),
            ("logs (default --limit 50)", ["logs"])]
    for name, args in runs:
        for _ in range(opts.repeat):
            mib, seconds, lines, first_err = child(tree, db, args)
            print(f"{name:34} {mib:9.1f} {seconds:7.2f} {lines:10d}  {first_err[0][:70] if first_err else ''}")
    print("target: <= 150 MiB peak for 200,000 rows (issue 20)")


if __name__ == "__main__":
    main()
