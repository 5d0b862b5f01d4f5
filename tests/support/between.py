"""Runs between deploys, as cron makes them: live runs of checks/ against the local fake GigaChat into
one history file, and a local webhook that Apprise's `json://` posts to.  Plain helpers (no fixtures):
tests/test_history.py, test_prometheus.py and test_notify.py build on them."""

from __future__ import annotations

import http.server
import json
import threading
from dataclasses import dataclass, field
from typing import Dict, List

GIGACHAT_AREAS = ("-m", "config or network or oauth or api")  # the live checks: no log table, no fallback


def live_env(fake, ca_file, key: str) -> Dict[str, str]:
    env = fake.env(ca_file)
    env["GIGACHAT_CREDENTIALS"] = key
    env["GIGACHAT_TIMEOUT"] = "5"
    return env


@dataclass
class Posted:
    path: str
    headers: Dict[str, str]
    body: dict
    raw: str


@dataclass
class Webhook:
    """A loopback HTTP server that keeps every POST; `status` is what it answers."""
    status: int = 200
    posted: List[Posted] = field(default_factory=list)

    def __enter__(self) -> "Webhook":
        hook = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                length = min(int(self.headers.get("Content-Length") or 0), 1 << 20)
                raw = self.rfile.read(length).decode("utf-8", "replace")
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = {}
                hook.posted.append(Posted(self.path, dict(self.headers), body, raw))
                self.send_response(hook.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format, *args):  # the test reads `posted`
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.timeout = 5
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()
        return self

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)
