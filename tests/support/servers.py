"""Real servers on loopback for tests: a WSGI app in a thread, and a free port to listen on."""

from __future__ import annotations

import socket
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from werkzeug.serving import make_server


class LiveServer:
    """A real HTTP server for an app, on a free loopback port, in a thread."""

    def __init__(self, app) -> None:
        self.app = app
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.port = self._server.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> LiveServer:
        """Serve in a daemon thread; returns self."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and wait for the thread."""
        self._server.shutdown()
        self._thread.join(timeout=5)


def free_port() -> int:
    """A loopback TCP port nobody is listening on (at the time of asking)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_healthy(process, url: str, log: Path, name: str, timeout: float) -> bool:
    """Wait until `url`/healthz answers 200 (True) or `timeout` passes (False); raises with the
    end of the process's log when the process exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return True
        except (urllib.error.URLError, OSError):
            # A refused connect costs next to nothing: asking often ends the wait nearer the
            # moment the server is up (every server process a test starts waits here).
            time.sleep(0.05)
    return False
