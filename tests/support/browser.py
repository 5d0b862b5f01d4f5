"""Debian's headless Chromium, driven over the DevTools protocol (a tiny CDP client over a websocket).

    with Chromium() as browser:
        page = browser.open(path)        # loads a file at 1400x900, collects console errors
        facts = page.evaluate("...")     # a JS expression's JSON value
        page.screenshot(png_path)

No browser download: `/usr/bin/chromium` or nothing (the tests skip, saying so). Loopback only;
every wait has a deadline; the browser and its profile die with the context. The websockets send no
Origin header: Chromium 111 and later refuse a DevTools connection whose Origin is not allowed
(`Rejected an incoming WebSocket connection from the http://127.0.0.1:... origin`), and a client
without one is what the DevTools protocol's own clients are.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import List, Optional

import pytest

CHROMIUM = os.environ.get("GIGACHECK_CHROMIUM", "/usr/bin/chromium")
WIDTH, HEIGHT = 1400, 900
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
         f"--window-size={WIDTH},{HEIGHT}", "about:blank"]
START_S, CALL_S = 30.0, 20.0


def available() -> Optional[str]:
    """Why the browser tests cannot run, or None."""
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return f"{CHROMIUM} is not installed (apt-get install chromium)"
    try:
        import websocket  # noqa: F401
    except ImportError:
        return "websocket-client is not installed (pip install websocket-client)"
    return None


class Page:
    def __init__(self, ws):
        self.ws = ws
        self.ids = itertools.count(1)
        self.errors: List[str] = []   # console errors and uncaught exceptions
        self.events: List[dict] = []

    def call(self, method: str, **params) -> dict:
        msg_id = next(self.ids)
        self.ws.send(json.dumps({"id": msg_id, "method": method, "params": params}))
        deadline = time.monotonic() + CALL_S
        while time.monotonic() < deadline:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == msg_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self._event(msg)
        raise TimeoutError(method)

    def wait_for(self, event: str) -> dict:
        deadline = time.monotonic() + CALL_S
        while time.monotonic() < deadline:
            for e in self.events:
                if e.get("method") == event:
                    self.events.remove(e)
                    return e
            self._event(json.loads(self.ws.recv()))
        raise TimeoutError(event)

    def _event(self, msg: dict) -> None:
        method, params = msg.get("method"), msg.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            self.errors.append(" ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", [])))
        elif method == "Runtime.exceptionThrown":
            self.errors.append(params.get("exceptionDetails", {}).get("text", "exception"))
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            self.errors.append(params["entry"].get("text", ""))
        elif method:
            self.events.append(msg)

    def evaluate(self, expression: str):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(result["exceptionDetails"])
        return result["result"].get("value")

    def screenshot(self, path: Path) -> Path:
        data = self.call("Page.captureScreenshot", format="png")["data"]
        path.write_bytes(base64.b64decode(data))
        return path


class Chromium:
    def __init__(self):
        self.proc = None
        self.profile = None
        self.port = None
        self.pages = []

    def __enter__(self) -> "Chromium":
        self.profile = tempfile.mkdtemp(prefix="gigacheck-chromium-")
        self.proc = subprocess.Popen([CHROMIUM, f"--user-data-dir={self.profile}", *FLAGS],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        port_file = Path(self.profile, "DevToolsActivePort")
        deadline = time.monotonic() + START_S
        while time.monotonic() < deadline and self.proc.poll() is None:
            if port_file.is_file() and port_file.read_text().strip():
                self.port = int(port_file.read_text().split()[0])
                return self
            time.sleep(0.05)
        self.__exit__(None, None, None)
        raise RuntimeError("chromium did not start its DevTools endpoint")

    def open(self, path: Path) -> Page:
        import websocket
        browser = websocket.create_connection(self._browser_url(), timeout=CALL_S, suppress_origin=True)
        try:
            target = Page(browser).call("Target.createTarget", url="about:blank")["targetId"]
        finally:
            browser.close()
        page = Page(websocket.create_connection(f"ws://127.0.0.1:{self.port}/devtools/page/{target}",
                                                timeout=CALL_S, suppress_origin=True))
        self.pages.append(page)
        for domain in ("Page", "Runtime", "Log"):
            page.call(f"{domain}.enable")
        page.call("Emulation.setDeviceMetricsOverride", width=WIDTH, height=HEIGHT, deviceScaleFactor=1,
                  mobile=False)
        page.call("Page.navigate", url=Path(path).resolve().as_uri())
        page.wait_for("Page.loadEventFired")
        return page

    def _browser_url(self) -> str:
        path = Path(self.profile, "DevToolsActivePort").read_text().split()[1]
        return f"ws://127.0.0.1:{self.port}{path}"

    def __exit__(self, *exc):
        for page in self.pages:
            try:
                page.ws.close()
            except Exception:
                pass
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)  # the browser's own process group, started above
                self.proc.wait(timeout=10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        if self.profile:
            shutil.rmtree(self.profile, ignore_errors=True)
        return False


@pytest.fixture(scope="session")
def chromium():
    why = available()
    if why:
        pytest.skip(f"browser tests need Debian's headless Chromium: {why}")
    with Chromium() as browser:
        yield browser
