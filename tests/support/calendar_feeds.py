"""A local HTTP server for ICS feeds: each path serves what the test sets, with ETag and
Last-Modified, 304 to a matching conditional request, and any status the test asks for."""

from __future__ import annotations

import hashlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FeedServer:
    """Serves `feeds[path] = (status, body)` on a free loopback port; counts requests per path."""

    def __init__(self) -> None:
        self.feeds: dict[str, tuple[int, bytes]] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                server.requests.append((self.path, dict(self.headers)))
                status, body = server.feeds.get(self.path, (404, b"not found"))
                etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
                if status == 200 and self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                self.send_response(status)
                if status == 200:
                    self.send_header("ETag", etag)
                    self.send_header("Last-Modified", "Mon, 07 Dec 2026 08:00:00 GMT")
                    self.send_header("Content-Type", "text/calendar; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def set(self, path: str, body: bytes | str, status: int = 200) -> str:
        """Serve `body` at `path` (with `status`); returns the feed's URL."""
        self.feeds[path] = (status, body.encode() if isinstance(body, str) else body)
        return self.url + path

    def stop(self) -> None:
        """Stop serving."""
        self._server.shutdown()
        self._server.server_close()
