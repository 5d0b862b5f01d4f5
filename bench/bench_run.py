"""Start-up and whole-run wall times, before and after, paired.

    python bench/bench_run.py --base /tmp/base [--runs 9]
    python bench/bench_run.py                      # this tree only

`--base` is another checkout (e.g. `git worktree add /tmp/base <sha>`). Every command runs in a
fresh interpreter from an empty temporary folder with a clean environment; the tree under test
comes first on PYTHONPATH. Before and after alternate (A B, then B A, ...) so that the machine's
load falls on both alike; the table gives medians, the after/before ratio and, within each tree,
the mock suite against an empty-test pytest session with the same plugins.

Rows:
- empty session: `pytest test_empty.py` (one trivial test; every installed plugin, gigacheck's too);
  48 trivial tests (as many as the checks, the same plugins: the mock suite is compared with it);
  and the same importing `responses` (so requests too) and writing an HTML report, as a mock run must;
  and 48 trivial tests doing that work (as many as the checks: the floor of any mock run of them)
- mock suite: `pytest checks/ --mock`, the same with `-p no:unraisableexception` (its exit cost),
  and with `-n 2` (pytest-xdist: README's advice on `-n` follows this row)
- live run: `pytest checks/` against a closed loopback port (refused at once: start-up and imports)
- viewer: `python -m gigacheck logs --mock --summary`; codes: `python -m gigacheck codes`
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PY = sys.executable
CLOSED = "https://127.0.0.1:9"  # discard port on loopback: nothing listens, connecting is refused at once


def clean_env(tree: Path, bytecode: bool, **extra):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("GIGACHAT_", "GIGACHECK_", "PROXY_API_", "PYTEST_")) and k != "DATABASE_URL"}
    if bytecode:  # as on a usual machine: compiled modules are cached in __pycache__
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPATH"] = str(tree)
    env.update(extra)
    return env


def rows(tree: Path, tmp: Path):
    checks = str(tree / "checks")
    pyt = [PY, "-m", "pytest", "-p", "no:cacheprovider", "-q"]
    live = dict(GIGACHAT_AUTH_URL=f"{CLOSED}/api/v2/oauth", GIGACHAT_BASE_URL=f"{CLOSED}/api/v1",
                GIGACHAT_CREDENTIALS="bm90LWEtcmVhbC1pZDpub3QtYS1yZWFsLXNlY3JldA==")
    return {
        "empty session": (pyt + [str(tmp / "test_empty.py")], {}),
        # the same, plus the work any mock run must do: import responses (and requests), write the HTML
        "empty session + mock's work": (pyt + [str(tmp / "test_empty.py"), "-p", "responses", "--html",
                                              str(tmp / "empty.html"), "--self-contained-html"], {}),
        # as many trivial tests as the checks, with the same plugins (issue 23's yardstick: the mock suite within 1.5x)
        "48 empty tests": (pyt + [str(tmp / "test_48.py")], {}),
        # the floor of any mock run of 48 checks: as many trivial tests, plus the mock run's mandatory work
        "48 empty tests + mock's work": (pyt + [str(tmp / "test_48.py"), "-p", "responses", "--html",
                                               str(tmp / "empty48.html"), "--self-contained-html"], {}),
        "mock suite": (pyt + [checks, "--mock"], {}),
        "mock suite, no unraisable": (pyt + [checks, "--mock", "-p", "no:unraisableexception"], {}),
        "mock suite -n 2": (pyt + [checks, "--mock", "-n", "2"], {}),
        "live run (refused)": (pyt + [checks], live),
        "viewer logs --summary": ([PY, "-m", "gigacheck", "logs", "--mock", "--summary"], {}),
        "codes": ([PY, "-m", "gigacheck", "codes"], {}),
    }


def once(cmd, env, cwd):
    """(wall seconds, CPU seconds): CPU (user + system of the child) is steadier on a shared machine."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=300)
    took = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in (0, 1):  # 1: the live run's checks fail, as they should
        sys.exit(f"{' '.join(cmd)} exited {proc.returncode}: {proc.stderr.decode()[-800:]}")
    return took, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--base", type=Path, help="the checkout to compare against (before)")
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("--only", nargs="*", help="row names to run (default: all)")
    ap.add_argument("--no-bytecode", action="store_true",
                    help="keep PYTHONDONTWRITEBYTECODE if set (every run compiles every module again)")
    args = ap.parse_args()
    trees = {"before": args.base.resolve(), "after": REPO} if args.base else {"after": REPO}
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        (tmp / "test_empty.py").write_text("def test_nothing():\n    assert True\n")
        (tmp / "test_48.py").write_text("".join(f"def test_{i}():\n    assert True\n\n\n" for i in range(48)))
        plan = {name: rows(tree, tmp) for name, tree in trees.items()}
        names = [n for n in plan["after"] if not args.only or n in args.only]
        times = {(t, n): [] for t in trees for n in names}
        order = list(trees)
        for i in range(args.runs):
            for n in names:
                for t in (order if i % 2 == 0 else order[::-1]):  # A B, then B A: paired
                    cmd, extra = plan[t][n]
                    times[(t, n)].append(once(cmd, clean_env(trees[t], not args.no_bytecode, **extra), tmp))
    print(f"medians of {args.runs} paired runs, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}, "
          f"bytecode cache {'off' if args.no_bytecode else 'on'}")
    for label, k, pick in (("wall, median", 0, statistics.median), ("wall, best", 0, min),
                           ("CPU (user+sys), median", 1, statistics.median)):
        med = {key: pick([v[k] for v in runs]) for key, runs in times.items()}
        head = f"{label + ' s':<28}" + "".join(f"{t:>10}" for t in trees) + \
            ("  after/before" if len(trees) == 2 else "")
        print("\n" + head + "\n" + "-" * len(head))
        for n in names:
            line = f"{n:<28}" + "".join(f"{med[(t, n)]:>9.3f}s" for t in trees)
            if len(trees) == 2:
                line += f"  {med[('after', n)] / med[('before', n)]:>11.2f}x"
            print(line)
        for empty in ("empty session", "48 empty tests", "empty session + mock's work"):
            if empty in names and "mock suite" in names:
                floor = "48 empty tests + mock's work"
                if empty == "empty session" and floor in names:
                    print(f"{floor} / {empty} (the floor): " + ", ".join(
                        f"{t} {med[(t, floor)] / med[(t, empty)]:.2f}x" for t in trees))
                print(f"mock suite / {empty}: " + ", ".join(
                    f"{t} {med[(t, 'mock suite')] / med[(t, empty)]:.2f}x" for t in trees))
        if "mock suite, no unraisable" in names and "mock suite" in names:
            print("unraisableexception plugin's cost: " + ", ".join(
                f"{t} {(med[(t, 'mock suite')] - med[(t, 'mock suite, no unraisable')]) * 1000:+.0f} ms"
                for t in trees))


if __name__ == "__main__":
    main()
