"""GET /ws/chat?site=PUBLIC_KEY: the widget's websocket (flask-sock).

The handshake is vetted in a before_request hook, so a refused socket gets a plain HTTP
403/429 and is never upgraded: unknown site, missing or foreign Origin, too many sockets
from one IP.
"""

from __future__ import annotations

import threading
from typing import Any

from flask import Flask, Response, current_app, g, request
from flask_sock import Sock

from frontdesk.assistant import select
from frontdesk.chat import sites
from frontdesk.chat.connection import ChatConnection
from frontdesk.chat.limits import IpLimits, client_ip
from frontdesk.sites import origin_in

ENDPOINT = "chat_socket"
PATH = "/ws/chat"
LIMITS_KEY = "frontdesk.chat_ip_limits"
# The transport refuses (closes with 1009) frames far beyond the protocol limit without
# buffering them; frames a little over MAX_FRAME_BYTES get a polite bad_frame instead.
TRANSPORT_SLACK = 4


def init_app(app: Flask) -> None:
    """Register the chat socket route and its handshake checks on the app."""
    app.extensions[LIMITS_KEY] = IpLimits(
        int(app.config["CONNECTIONS_PER_IP"]), int(app.config["FRAMES_PER_MINUTE_PER_IP"])
    )
    app.config.setdefault(
        "SOCK_SERVER_OPTIONS",
        {"max_message_size": int(app.config["MAX_FRAME_BYTES"]) * TRANSPORT_SLACK},
    )
    sock = Sock(app)
    # The first turn after a start should not wait for the engines' imports.
    threading.Thread(target=select.preload, name="frontdesk-preload", daemon=True).start()
    app.before_request(_vet_handshake)
    app.teardown_request(_release_slot)
    sock.route(PATH, endpoint=ENDPOINT)(chat_socket)


def origin_allowed(site: Any, origin: str | None) -> bool:
    """Exact match of the request's Origin against the site's allowed origins."""
    return origin_in(origin, site.allowed_origins or [])


def _refuse(status: int, text: str) -> Response:
    return Response(text + "\n", status=status, mimetype="text/plain")


def _vet_handshake() -> Response | None:
    if request.endpoint != ENDPOINT:
        return None
    site = sites.load_site(current_app.extensions["frontdesk.db"], request.args.get("site", ""))
    if site is None:
        return _refuse(403, "unknown site")
    if not origin_allowed(site, request.headers.get("Origin")):
        return _refuse(403, "origin not allowed")
    ip = client_ip(request.environ)
    limits: IpLimits = current_app.extensions[LIMITS_KEY]
    if not limits.acquire(ip):
        return _refuse(429, "too many connections")
    g.chat_site = site
    g.chat_ip = ip
    return None


def _release_slot(_exc: BaseException | None) -> None:
    ip = g.pop("chat_ip", None)
    if ip is not None:
        current_app.extensions[LIMITS_KEY].release(ip)


def chat_socket(ws: Any) -> None:
    """One visitor socket, for as long as it stays open."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    connection = ChatConnection(app, ws, g.chat_site, g.chat_ip, app.extensions[LIMITS_KEY])
    connection.run()
