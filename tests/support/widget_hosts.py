"""Servers for widget tests: the widget files alone (no database, no chat), and a second, real
HTTP server (another origin) serving host pages that embed the widget.

Host pages are templates: {{SERVER}} becomes the Frontdesk server's origin and {{SITE_KEY}} the
site's public key. A page listed in `csp_pages` is sent with a strict Content-Security-Policy
that allows scripts and connections from the Frontdesk origin only.
"""

from __future__ import annotations

import mimetypes
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask

from frontdesk import widget_assets

REPO = Path(__file__).resolve().parents[2]
PAGES = REPO / "tests" / "widget" / "pages"
DEMO = REPO / "static" / "demo"


def widget_only_app() -> Flask:
    """An app with just the widget blueprint (no database, no chat endpoint)."""
    app = Flask("frontdesk_widget_tests", static_folder=None)
    widget_assets.init_app(app)
    return app


def strict_csp(server: str) -> str:
    """Only the Frontdesk origin may run scripts or be connected to; no inline anything."""
    socket_origin = server.replace("http", "ws", 1)
    return (
        f"default-src 'none'; script-src {server}; connect-src {server} {socket_origin}; "
        "style-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'"
    )


class HostServer:
    """Serves tests/widget/pages/* and static/demo/* on a free loopback port."""

    def __init__(self, server: str, site_key: str, csp_pages: tuple[str, ...] = ("csp.html",)):
        self.server = server.rstrip("/")
        self.site_key = site_key
        self.csp_pages = csp_pages
        self.requests: list[str] = []
        handler = self._handler()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.port = self._httpd.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def start(self) -> HostServer:
        """Start serving in a daemon thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def render(self, path: Path) -> bytes:
        """A page template with the placeholders filled."""
        text = path.read_text("utf-8")
        text = text.replace("{{SERVER}}", self.server).replace("{{SITE_KEY}}", self.site_key)
        return text.encode("utf-8")

    def resolve(self, url_path: str) -> Path | None:
        """The file behind a URL path: /demo/... from static/demo, anything else from pages/."""
        relative = url_path.lstrip("/") or "index.html"
        base = PAGES
        if relative == "demo" or relative.startswith("demo/"):
            base, relative = DEMO, relative.removeprefix("demo").lstrip("/") or "index.html"
        candidate = (base / relative).resolve()
        if base.resolve() not in candidate.parents or not candidate.is_file():
            return None
        return candidate

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        host = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                path = urlsplit(self.path).path
                host.requests.append(path)
                file = host.resolve(path)
                if file is None:
                    self.send_error(404)
                    return
                is_page = file.suffix == ".html"
                body = host.render(file) if is_page else file.read_bytes()
                kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
                self.send_response(200)
                self.send_header("Content-Type", kind + ("; charset=utf-8" if is_page else ""))
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                if file.name in host.csp_pages:
                    self.send_header("Content-Security-Policy", strict_csp(host.server))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        return Handler
