"""A small real websocket client for the chat protocol (websocket-client), used by tests."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import websocket

DEFAULT_ORIGIN = "http://127.0.0.1"


def ws_url(server_url: str, site_key: str) -> str:
    """The chat socket URL of a live server for a site."""
    return server_url.replace("http://", "ws://", 1) + f"/ws/chat?site={site_key}"


def handshake_status(
    server_url: str, site_key: str, *, origin: str | None = DEFAULT_ORIGIN, headers=None
) -> int:
    """The HTTP status of an upgrade attempt: 101 when accepted (the socket is closed again)."""
    options: dict[str, Any] = {"timeout": 10, "header": headers or []}
    if origin is None:
        options["suppress_origin"] = True
    else:
        options["origin"] = origin
    try:
        conn = websocket.create_connection(ws_url(server_url, site_key), **options)
    except websocket.WebSocketBadStatusException as exc:
        return exc.status_code
    conn.close()
    return 101


class ChatClient:
    """One visitor socket; answers server pings and keeps every frame it received."""

    def __init__(
        self, server_url: str, site_key: str, *, origin: str = DEFAULT_ORIGIN, timeout: float = 15
    ) -> None:
        self.timeout = timeout
        self.conn = websocket.create_connection(
            ws_url(server_url, site_key), origin=origin, timeout=timeout
        )
        self.received: list[dict[str, Any]] = []
        self.welcome: dict[str, Any] | None = None

    def send(self, frame: dict[str, Any] | str) -> None:
        """Send a frame (a dict is JSON-encoded; a string goes as is, for malformed frames)."""
        self.conn.send(frame if isinstance(frame, str) else json.dumps(frame))

    def recv(self, timeout: float | None = None) -> dict[str, Any]:
        """The next frame other than ping (answered with pong); raises on timeout.

        One deadline for the whole wait: the server's pings must not restart it, or a frame
        that never comes would be waited for as long as the server keeps pinging."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no frame before the deadline (only pings)")
            self.conn.settimeout(left)
            raw = self.conn.recv()
            if not raw:  # websocket-client returns "" for a close frame
                raise ConnectionError("the server closed the socket")
            frame = json.loads(raw)
            self.received.append(frame)
            if frame.get("type") == "ping":
                self.send({"type": "pong"})
                continue
            return frame

    def wait_for(
        self, predicate: Callable[[dict[str, Any]], bool], timeout: float | None = None
    ) -> dict[str, Any]:
        """Receive until a frame matches `predicate`; returns it (earlier ones stay in .received)."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no matching frame")
            frame = self.recv(left)
            if predicate(frame):
                return frame

    def seen_or_wait(
        self, predicate: Callable[[dict[str, Any]], bool], timeout: float | None = None
    ) -> dict[str, Any]:
        """The first frame received so far that matches, else wait_for(predicate): for a frame
        that may have come while an earlier expect() was waiting for something else."""
        for frame in self.received:
            if predicate(frame):
                return frame
        return self.wait_for(predicate, timeout)

    def expect(self, kind: str, timeout: float | None = None, **fields: Any) -> dict[str, Any]:
        """Receive until a frame of `kind` whose fields equal `fields`."""
        return self.wait_for(
            lambda f: f.get("type") == kind and all(f.get(k) == v for k, v in fields.items()),
            timeout,
        )

    def hello(self, **fields: Any) -> dict[str, Any]:
        """Send hello and return the welcome frame."""
        frame = {"type": "hello", "visitor": None, "conversation": None, "after": 0,
                 "page": {"url": "http://127.0.0.1/", "title": "Home"}, "tz": "UTC", "lang": "en"}  # fmt: skip
        frame.update(fields)
        self.send(frame)
        self.welcome = self.expect("welcome")
        return self.welcome

    def say(self, text: str, frame_id: str | None = None) -> dict[str, Any]:
        """Send a visitor message and return its ack."""
        frame_id = frame_id or uuid.uuid4().hex
        self.send({"type": "message", "id": frame_id, "text": text})
        return self.expect("ack", id=frame_id)

    def close(self) -> None:
        """Close the socket."""
        self.conn.close()

    def __enter__(self) -> ChatClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
