"""Wall time of a whole mock run of the checks, beside a bare `pytest --version`.

    python bench/bench_run.py [--runs 7] [-- extra pytest args]

Each command runs in a fresh process from a temporary directory, the same way; the medians and
the spread are printed. Startup is most of a mock run: this shows how much the checks add to it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def clean_env():
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("GIGACHAT_", "GIGACHECK_", "PROXY_API_")) and k != "DATABASE_URL"}
    env.pop("PYTEST_ADDOPTS", None)
    return env


def timed(cmd, cwd, runs):
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, cwd=cwd, env=clean_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              timeout=300)
        times.append(time.perf_counter() - t0)
        if proc.returncode not in (0, 1):
            sys.exit(f"{' '.join(cmd)} exited {proc.returncode}: {proc.stderr.decode()[-500:]}")
    return times


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("extra", nargs="*")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rows = [
            ("pytest --version", [sys.executable, "-m", "pytest", "--version"]),
            ("pytest checks/ --mock", [sys.executable, "-m", "pytest", str(REPO / "checks"), "--mock",
                                       "-p", "no:cacheprovider", "-q", *args.extra]),
            ("pytest checks/ --mock --spend", [sys.executable, "-m", "pytest", str(REPO / "checks"), "--mock",
                                               "--spend", "-p", "no:cacheprovider", "-q", *args.extra]),
        ]
        print(f"{'command':<32} {'median s':>9} {'min s':>7} {'max s':>7}  runs={args.runs}")
        for name, cmd in rows:
            t = timed(cmd, tmp, args.runs)
            print(f"{name:<32} {statistics.median(t):>9.3f} {min(t):>7.3f} {max(t):>7.3f}")


if __name__ == "__main__":
    main()
