"""A tiny second web server for the demo host page: a client's site with the widget tag."""

from __future__ import annotations

from flask import Flask, Response, abort, send_from_directory

from frontdesk.assets import asset_dir


def create_demo_host_app(server_url: str, site_key: str) -> Flask:
    """Serve static/demo/ with {{SERVER}} and {{SITE_KEY}} filled in, as a separate origin."""
    app = Flask("frontdesk_demo_host", static_folder=None)
    folder = asset_dir("static") / "demo"

    @app.get("/")
    @app.get("/<path:filename>")
    def page(filename: str = "index.html"):
        if filename.endswith(".html"):
            path = (folder / filename).resolve()
            if folder.resolve() not in path.parents or not path.is_file():
                abort(404)
            html = path.read_text(encoding="utf-8")
            html = html.replace("{{SERVER}}", server_url.rstrip("/")).replace(
                "{{SITE_KEY}}", site_key
            )
            return Response(html, mimetype="text/html")
        return send_from_directory(folder, filename)

    return app
