"""The threaded HTTP server of `frontdesk serve`, guarded against slow and half-sent requests.

Werkzeug's threaded server gives every connection a thread at once and then waits, without a
time limit, for its request head: a client that sends half a handshake holds a thread for as
long as it likes, and one IP can open hundreds (slowloris). Here a request head must arrive
within HEADER_TIMEOUT seconds, and one IP may have at most HEADS_PER_IP connections still
sending theirs: more are closed at once, before any thread is started. Once a head is in, a
websocket upgrade has no read timeout (the socket pings its idle clients itself); other
requests keep the timeout for each read and write. The production answer is still a reverse
proxy in front (docs/deployment.md): nginx holds slow clients without a thread each.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler


class HeadSlots:
    """Connections per IP whose request head has not fully arrived yet."""

    def __init__(self, per_ip: int) -> None:
        self.per_ip = per_ip
        self._open: dict[str, int] = {}
        self._lock = threading.Lock()

    def acquire(self, ip: str) -> bool:
        """Count one more connection from `ip`; False when it already has its maximum."""
        with self._lock:
            count = self._open.get(ip, 0)
            if count >= self.per_ip:
                return False
            self._open[ip] = count + 1
            return True

    def release(self, ip: str) -> None:
        """One connection from `ip` sent its head (or ended)."""
        with self._lock:
            count = self._open.get(ip, 0) - 1
            if count > 0:
                self._open[ip] = count
            else:
                self._open.pop(ip, None)


class GuardedHandler(WSGIRequestHandler):
    """A request handler whose head must arrive in time (the server's `header_timeout`)."""

    server: GuardedServer
    _head_pending = True

    def setup(self) -> None:
        """Apply the head's timeout to the connection before anything is read."""
        self.timeout = self.server.header_timeout
        super().setup()

    def run_wsgi(self) -> None:
        """The head is in: free the IP's head slot; a websocket reads without a time limit."""
        self._head_done()
        if self.headers.get("Upgrade", "").lower() == "websocket":
            self.connection.settimeout(None)
        super().run_wsgi()

    def finish(self) -> None:
        """The connection ends (also after a timeout or a bad head): free its head slot."""
        self._head_done()
        super().finish()

    def _head_done(self) -> None:
        if self._head_pending:
            self._head_pending = False
            self.server.heads.release(self.client_address[0])


class GuardedServer(ThreadedWSGIServer):
    """Werkzeug's threaded server with a head timeout and a per-IP cap on unfinished heads."""

    def __init__(self, host: str, port: int, app: Callable, *, header_timeout: float,
                 heads_per_ip: int) -> None:  # fmt: skip
        self.header_timeout = header_timeout
        self.heads = HeadSlots(heads_per_ip)
        super().__init__(host, port, app, handler=GuardedHandler)

    def process_request(self, request: Any, client_address: Any) -> None:
        """Start a thread for the connection, unless its IP has too many heads pending."""
        if not self.heads.acquire(client_address[0]):
            self.shutdown_request(request)  # closed before a thread exists for it
            return
        try:
            super().process_request(request, client_address)
        except Exception:
            self.heads.release(client_address[0])
            raise


def make_guarded_server(host: str, port: int, app: Any) -> GuardedServer:
    """The server for `app`, with its HEADER_TIMEOUT and HEADS_PER_IP settings."""
    config = app.config
    return GuardedServer(
        host, port, app, header_timeout=float(config["HEADER_TIMEOUT"]),
        heads_per_ip=int(config["HEADS_PER_IP"]),
    )  # fmt: skip
