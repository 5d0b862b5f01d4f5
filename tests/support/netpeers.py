"""Small peers on the way to GigaChat, on loopback: an HTTP CONNECT proxy, and a port that hangs up mid-handshake.

    with ConnectProxy() as proxy:                       # tunnels CONNECT host:port, counts the tunnels
        env["HTTPS_PROXY"] = proxy.url
    with ConnectProxy(credentials=("user", "pw")) as p:  # 407 unless Proxy-Authorization is that Basic pair
    with HangUp() as port:                              # accepts TCP, reads the ClientHello, closes
    with PlainHTTP() as port:                           # answers in plain HTTP where TLS is expected

Bounded: a socket timeout on every connection, tunnels only to loopback, at most `max_connections`
handled, and the server stops itself after `lifetime` seconds.  Threads, no asyncio: readable.
"""

from __future__ import annotations

import base64
import select
import socket
import threading
import time
from typing import List, Optional, Tuple

LOOPBACK = "127.0.0.1"


class _Server:
    def __init__(self, lifetime: float, io_timeout: float, max_connections: int):
        self.lifetime, self.io_timeout, self.max_connections = lifetime, io_timeout, max_connections
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((LOOPBACK, 0))
        self._sock.listen(16)
        self._sock.settimeout(0.2)
        self.port = self._sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self.connections = 0

    def start(self):
        self._thread = threading.Thread(target=self._loop, name=f"{type(self).__name__}-{self.port}", daemon=True)
        self._thread.start()
        return self

    def _loop(self):
        ends = time.monotonic() + self.lifetime
        while not self._stop.is_set() and time.monotonic() < ends and self.connections < self.max_connections:
            try:
                conn, _ = self._sock.accept()
            except OSError:  # the accept timeout, or the socket closed by stop()
                continue
            self.connections += 1
            conn.settimeout(self.io_timeout)
            threading.Thread(target=self._guarded, args=(conn,), daemon=True).start()
        self._sock.close()

    def _guarded(self, conn: socket.socket):
        try:
            self.handle(conn)
        except OSError:
            pass
        finally:
            conn.close()

    def handle(self, conn: socket.socket):  # pragma: no cover - overridden
        raise NotImplementedError

    def stop(self):
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._sock.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


class HangUp(_Server):
    """Accepts TCP, reads what the client sends first (its TLS ClientHello) and closes: a firewall or a
    proxy that cuts TLS, or a port that does not speak TLS."""

    def __init__(self, lifetime: float = 60.0):
        super().__init__(lifetime, io_timeout=5.0, max_connections=50)

    def handle(self, conn):
        conn.recv(65536)
        conn.shutdown(socket.SHUT_RDWR)


class PlainHTTP(_Server):
    """A port that speaks plain HTTP where the client expects TLS: a wrong port or scheme, an HTTP-only service.
    It answers whatever arrives (a ClientHello) with an HTTP 400, as web servers do."""

    def __init__(self, lifetime: float = 60.0):
        super().__init__(lifetime, io_timeout=5.0, max_connections=50)

    def handle(self, conn):
        conn.recv(65536)
        conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        conn.shutdown(socket.SHUT_RDWR)


def _read_head(conn: socket.socket, limit: int = 16 << 10) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data and len(data) < limit:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


class ConnectProxy(_Server):
    """An HTTP proxy for https: `CONNECT host:port`, then bytes both ways.  With `credentials`, a request
    without that Basic `Proxy-Authorization` gets 407; `always_407` refuses every request so."""

    def __init__(self, credentials: Optional[Tuple[str, str]] = None, always_407: bool = False,
                 lifetime: float = 60.0, io_timeout: float = 10.0, answer: Optional[str] = None):
        super().__init__(lifetime, io_timeout, max_connections=200)
        self.credentials = credentials
        self.always_407 = always_407
        self.answer = answer           # e.g. "403 Forbidden": every CONNECT refused with that status line
        self.tunnels: List[str] = []   # host:port of each tunnel opened
        self.refused = 0               # 407s sent

    def url_with(self, user: Optional[str] = None, password: Optional[str] = None) -> str:
        auth = f"{user}:{password}@" if user is not None else ""
        return f"http://{auth}{LOOPBACK}:{self.port}"

    @property
    def url(self) -> str:
        return self.url_with()

    def _authorized(self, head: str) -> bool:
        if self.always_407:
            return False
        if self.credentials is None:
            return True
        wanted = "Basic " + base64.b64encode(":".join(self.credentials).encode()).decode()
        for line in head.split("\r\n")[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "proxy-authorization" and value.strip() == wanted:
                return True
        return False

    def handle(self, conn):
        head = _read_head(conn).decode("latin-1")
        parts = head.split(" ")
        if len(parts) < 2 or parts[0] != "CONNECT":
            conn.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            return
        if self.answer is not None:
            conn.sendall(f"HTTP/1.1 {self.answer}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode())
            return
        if not self._authorized(head):
            self.refused += 1
            conn.sendall(b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"corp\"\r\n"
                         b"Content-Length: 0\r\nConnection: close\r\n\r\n")
            return
        host, _, port = parts[1].rpartition(":")
        if host not in (LOOPBACK, "localhost"):  # loopback only, whatever the client asks
            conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            return
        upstream = socket.create_connection((LOOPBACK, int(port)), timeout=self.io_timeout)
        self.tunnels.append(parts[1])
        conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        with upstream:
            self._pipe(conn, upstream)

    def _pipe(self, a: socket.socket, b: socket.socket):
        ends = time.monotonic() + self.lifetime
        while time.monotonic() < ends and not self._stop.is_set():
            ready, _, _ = select.select([a, b], [], [], 0.2)
            for src in ready:
                data = src.recv(65536)
                if not data:
                    return
                (b if src is a else a).sendall(data)
