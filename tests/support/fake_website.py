"""A fake website for crawling tests: pages served from a real HTTP server on loopback."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Website:
    """Pages of a fake website: path -> (status, content type, body)."""

    def __init__(self, pages: dict[str, tuple[int, str, bytes | str]]) -> None:
        self.pages = pages
        self.requests: list[tuple[str, str]] = []  # (path, user agent)
        self.url = ""


@contextmanager
def serve_website(site: Website) -> Iterator[Website]:
    """Serve a Website on a free loopback port from a real HTTP server thread."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server naming)
            site.requests.append((self.path, self.headers.get("User-Agent", "")))
            status, content_type, body = site.pages.get(
                self.path, (404, "text/plain", b"not found")
            )
            data = body.encode() if isinstance(body, str) else body
            data = data.replace(b"SITE_URL", site.url.encode())
            self.send_response(status)
            if status in (301, 302):
                self.send_header("Location", content_type.replace("SITE_URL", site.url))
                content_type = "text/plain"
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args) -> None:  # keep test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    site.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
