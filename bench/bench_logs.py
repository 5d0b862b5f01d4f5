"""How fast are the log checks on a big log table, with and without an index on timestamp?

Builds a 2,000,000-row `Asistent_systemlog` over 60 days (about 33,000 rows in the last
24 hours) in a throwaway MariaDB, then prints, for a 24-hour window, the time of
gigacheck's whole log-check pass (connect, table check, window, every signature counted
in one pass, evidence rows) and of the runbook's four SQL queries as written, first
without and then with the index on `timestamp`.

    python bench/bench_logs.py                  # starts its own mariadbd (mariadb-server)
    python bench/bench_logs.py --url mysql://root:pw@127.0.0.1:3306/   # an existing server
    python bench/bench_logs.py --rows 200000    # a smaller table

Times are the median of --repeat runs (first run included: the buffer pool is warm after
loading). Targets: the pass without the index within 1.5x of the pass with it; with it at
most 0.4 s; both well ahead of the runbook's queries.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from gigacheck.logs import sources, store as logstore  # noqa: E402
from tests.support.mariadb import MariaDBServer, _schema, _statements  # noqa: E402

DAYS = 60
VIEWER = "gigacheck logs viewer (50 newest rows, 24 h)"
TABLE = "Asistent_systemlog"

# The runbook's queries as the guide prints them: NOW() (the server's clock), LIKE '%..%',
# ORDER BY timestamp DESC LIMIT n with no bound on time for the 429 search.
RUNBOOK = [
    ("runbook 1: 429 search (unbounded)",
     f"SELECT * FROM {TABLE} WHERE message LIKE '%429%' ORDER BY timestamp DESC LIMIT 20"),
    ("runbook 2: errors in the last 24 h",
     f"SELECT * FROM {TABLE} WHERE level IN ('ERROR', 'CRITICAL') AND timestamp >= NOW() - INTERVAL 24 HOUR "
     f"ORDER BY timestamp DESC"),
    ("runbook 3: count by level, 24 h",
     f"SELECT level, COUNT(*) FROM {TABLE} WHERE timestamp >= NOW() - INTERVAL 24 HOUR GROUP BY level"),
    ("runbook 4: GigaChat search, 24 h",
     f"SELECT * FROM {TABLE} WHERE message LIKE '%GigaChat%' AND timestamp >= NOW() - INTERVAL 24 HOUR "
     f"ORDER BY timestamp DESC LIMIT 50"),
]
NEVER = ("(for contrast) a string that never occurs, ORDER BY timestamp DESC LIMIT 20",
         f"SELECT * FROM {TABLE} WHERE message LIKE '%no such text anywhere%' ORDER BY timestamp DESC LIMIT 20")

# What a mostly healthy site writes: per 1000 rows, a few failures of each kind.
FILL = f"""
INSERT INTO {TABLE} (timestamp, level, logger_name, message, module, `function`, line, process_id, thread_id,
                     extra_data)
SELECT UTC_TIMESTAMP(6) - INTERVAL {DAYS} DAY + INTERVAL (seq * @STEP@) MICROSECOND,
       CASE WHEN seq % 1000 IN (7, 13, 21, 33) THEN 'ERROR' WHEN seq % 100 >= 95 THEN 'WARNING'
            WHEN seq % 100 >= 90 THEN 'DEBUG' ELSE 'INFO' END,
       IF(seq % 100 < 60, 'django.request', 'Asistent.gigachat'),
       CASE
         WHEN seq % 1000 = 7 THEN CONCAT('GigaChat error: 429 Too Many Requests, retry in 30 s; request_id=', MD5(seq))
         WHEN seq % 1000 = 13 THEN CONCAT('GigaChat: Таймаут запроса к модели GigaChat-Pro (30 с); request_id=',
                                          MD5(seq))
         WHEN seq % 1000 = 21 THEN CONCAT('❌ GIGAChat error: <html><head><title>502 Bad Gateway</title></head>',
                                          '<body><center>SynGX</center></body></html> ', MD5(seq))
         WHEN seq % 1000 = 33 THEN CONCAT('generate_and_save_image: GigaChat вернул пустой путь; article_id=', seq)
         WHEN seq % 100 < 60 THEN CONCAT('GET /articles/', seq % 50000, '/ 200 in ', seq % 900, ' ms; user_id=',
                                         seq % 7000, '; ua=Mozilla/5.0 (X11; Linux x86_64) session=', MD5(seq))
         WHEN seq % 100 < 80 THEN CONCAT('GigaChat: ответ модели GigaChat-Pro за ', seq % 5000,
                                         ' мс, токенов: ', seq % 3000, '; request_id=', MD5(seq))
         WHEN seq % 100 < 90 THEN CONCAT('Изображение сохранено: media/ai/', seq, '.jpg, размер: ',
                                         100000 + seq % 400000, ' байт')
         WHEN seq % 100 < 95 THEN CONCAT('generate_and_save_image: prompt="Нарисуй иллюстрацию к статье ',
                                         seq % 50000, '", model=GigaChat-Pro')
         ELSE CONCAT('Медленный ответ базы: ', seq % 3000, ' мс; query_id=', MD5(seq))
       END,
       'views', 'handle', seq % 700, 1000 + seq % 8, seq, '{{}}'
FROM seq_@LO@_to_@HI@
"""


def median_time(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def check_pass(url: str) -> logstore.Scan:
    """What `pytest checks/ -m logs` does against the database, end to end."""
    window = logstore.Window.last(24)
    with sources.open_database(url) as source:
        source.table_info()
        return source.scan(window, logstore.Filter(limit=50))


def viewer(url: str) -> list:
    """`python -m gigacheck logs`: the newest 50 GigaChat rows of the window."""
    with sources.open_database(url) as source:
        return source.rows(logstore.Window.last(24), logstore.Filter(limit=50))


def run_sql(server: MariaDBServer, db: str, sql: str):
    conn = server.connect(db)
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
            cur.fetchall()
    finally:
        conn.close()


def build(server: MariaDBServer, rows: int) -> str:
    db = server.new_database("bench")
    conn = server.connect(db)
    try:
        with conn.cursor() as cur:
            for statement in _statements(_schema("mysql", TABLE)):
                cur.execute(statement)
            step_us = int(DAYS * 86400 * 1e6 / rows)
            chunk = 250_000
            for lo in range(1, rows + 1, chunk):  # bounded: rows / chunk statements
                hi = min(rows, lo + chunk - 1)
                cur.execute(FILL.replace("@STEP@", str(step_us)).replace("@LO@", str(lo)).replace("@HI@", str(hi)))
            cur.execute(f"ANALYZE TABLE {TABLE}")
            cur.fetchall()
    finally:
        conn.close()
    return db


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=2_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--url", help="an existing server (an account that may create databases); default: start one")
    args = ap.parse_args(argv)

    server = MariaDBServer.external_server(args.url) if args.url else MariaDBServer.start()
    try:
        t0 = time.perf_counter()
        db = build(server, args.rows)
        version = server.execute("SELECT VERSION()")[0][0]
        in_window = server.execute(f"SELECT COUNT(*) FROM {TABLE} WHERE timestamp >= UTC_TIMESTAMP() - "
                                   f"INTERVAL 24 HOUR", database=db)[0][0]
        print(f"MariaDB {version}: {args.rows:,} rows over {DAYS} days, {in_window:,} in the 24-hour window "
              f"(built in {time.perf_counter() - t0:.0f} s); median of {args.repeat} runs\n")
        url = server.url(db)
        results = {}
        for phase in ("no index", "index"):
            if phase == "index":
                server.execute(f"CREATE INDEX {TABLE}_timestamp_idx ON {TABLE} (timestamp)", database=db)
            scan = check_pass(url)
            results[("gigacheck log-check pass (24 h)", phase)] = median_time(lambda: check_pass(url), args.repeat)
            results[("plan", phase)] = scan.plan
            results[(VIEWER, phase)] = median_time(lambda: viewer(url), args.repeat)
            for name, sql in RUNBOOK + [NEVER]:
                results[(name, phase)] = median_time(lambda: run_sql(server, db, sql), args.repeat)
        counts = ", ".join(f"{c} {n}" for c, n in scan.counts.items() if n)
        print(f"signatures in the window: {counts or 'none'}\n")
        width = 72
        print(f"{'query (24-hour window)':<{width}} {'no index':>10} {'index':>10}")
        print("-" * (width + 22))
        for name, _ in [("gigacheck log-check pass (24 h)", None), (VIEWER, None)] + RUNBOOK + [NEVER]:
            print(f"{name:<{width}} {results[(name, 'no index')]:>9.3f}s {results[(name, 'index')]:>9.3f}s")
        print()
        print(f"plan without the index: {results[('plan', 'no index')]}")
        print(f"plan with the index:    {results[('plan', 'index')]}")
        ours_no, ours_ix = (results[("gigacheck log-check pass (24 h)", p)] for p in ("no index", "index"))
        runbook = {p: sum(results[(n, p)] for n, _ in RUNBOOK) for p in ("no index", "index")}
        print(f"\ntargets: no index within 1.5x of index: {ours_no / ours_ix:.2f}x "
              f"({'ok' if ours_no <= 1.5 * ours_ix else 'MISSED'}); with index <= 0.4 s: {ours_ix:.3f} s "
              f"({'ok' if ours_ix <= 0.4 else 'MISSED'})")
        print(f"the runbook's four queries together: {runbook['no index']:.3f} s without the index, "
              f"{runbook['index']:.3f} s with it (they look for 429 and GigaChat only; the pass counts every "
              f"signature and fetches the evidence rows)")
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
