"""GET /ws/chat?site=PUBLIC_KEY: the widget's websocket (flask-sock).

The handshake is vetted in a before_request hook, so a refused socket gets a plain HTTP
403/429 and is never upgraded: unknown site, missing or foreign Origin, too many sockets
from one IP.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, g, request
from flask_sock import Sock

from frontdesk.chat import fanout, handshake, site_cache
from frontdesk.chat.connection import ChatConnection
from frontdesk.chat.limits import IpLimits
from frontdesk.chat.ws_reader import NoReaderThread
from frontdesk.realtime.shared import shared_for

ENDPOINT = "chat_socket"
PATH = "/ws/chat"
LIMITS_KEY = "frontdesk.chat_ip_limits"
# The transport refuses (closes with 1009) frames far beyond the protocol limit without
# buffering them; frames a little over MAX_FRAME_BYTES get a polite bad_frame instead.
TRANSPORT_SLACK = 4


def init_app(app: Flask) -> None:
    """Register the chat socket route and its handshake checks on the app."""
    shared = shared_for(app)  # REDIS_URL: frames and limits span the deployment
    app.extensions[LIMITS_KEY] = IpLimits(
        int(app.config["CONNECTIONS_PER_IP"]),
        int(app.config["FRAMES_PER_MINUTE_PER_IP"]),
        shared,
    )
    if shared is not None:
        fanout.install(app, shared.bus)
    app.config.setdefault(
        "SOCK_SERVER_OPTIONS",
        {
            "max_message_size": int(app.config["MAX_FRAME_BYTES"]) * TRANSPORT_SLACK,
            "thread_class": NoReaderThread,  # frames are read inline
        },
    )
    sock = Sock(app)  # (a serving process loads the engines after it listens: frontdesk.warm_up)
    app.before_request(handshake.vetting(_vet_handshake, endpoint=ENDPOINT))
    app.wsgi_app = handshake.keep_ip_slots(app.wsgi_app)  # type: ignore[method-assign]
    sock.route(PATH, endpoint=ENDPOINT)(chat_socket)


def _vet_handshake() -> None:
    """Refuse before upgrading: unknown site, foreign Origin, too many sockets from one IP."""
    db = current_app.extensions["frontdesk.db"]
    site = handshake.require(site_cache.load_site(db, request.args.get("site", "")), 403,
                             "unknown site")  # fmt: skip
    handshake.require_origin(site.allowed_origins or [])
    g.chat_ip = handshake.hold_ip_slot(current_app.extensions[LIMITS_KEY])
    g.chat_site = site


def chat_socket(ws: Any) -> None:
    """One visitor socket, for as long as it stays open."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    connection = ChatConnection(app, ws, g.chat_site, g.chat_ip, app.extensions[LIMITS_KEY])
    connection.run()
