"""A scripted websocket peer for the widget's client-side behaviour.

It speaks the wire protocol on a real socket (flask-sock) but sends exactly the frames a test
tells it to: duplicates, hostile HTML the real server would never emit, dropped connections.
That is what defence-in-depth and reconnection logic must survive; the real chat server is
exercised end to end in test_chat_e2e.py.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from typing import Any

from flask_sock import Sock
from simple_websocket import ConnectionClosed

from tests.support.widget_hosts import widget_only_app
from tests.support.widget_page import HOST, wait_launcher


class ScriptedPeer:
    """Records what the widget sends; sends what the test queues; can drop the socket."""

    def __init__(self) -> None:
        self.app = widget_only_app()
        self.received: queue.Queue[dict[str, Any]] = queue.Queue()
        self.outgoing: queue.Queue[dict[str, Any]] = queue.Queue()
        self.connections = 0
        self.accepting = True
        self._drop = threading.Event()
        self._lock = threading.Lock()
        Sock(self.app).route("/ws/chat")(self._socket)

    def _socket(self, ws) -> None:
        if not self.accepting:
            ws.close(reason=1013, message="try later")
            return
        with self._lock:
            self.connections += 1
            generation = self.connections
        self._drop.clear()
        try:
            while not self._drop.is_set():
                raw = ws.receive(timeout=0.02)
                if raw is not None:
                    self.received.put(json.loads(raw))
                # Only the newest socket sends: a socket the widget is closing (it restarted)
                # may linger a moment here, and must not take frames meant for its successor.
                while generation == self.connections and not self.outgoing.empty():
                    ws.send(json.dumps(self.outgoing.get()))
            ws.close()
        except ConnectionClosed:
            pass

    def send(self, *frames: dict[str, Any]) -> None:
        """Queue frames for the newest socket (sent within ~20 ms)."""
        for frame in frames:
            self.outgoing.put(frame)

    def expect(self, kind: str, timeout: float = 10.0) -> dict[str, Any]:
        """The next frame of type `kind` the widget sent (earlier frames of other types skipped)."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"the widget sent no {kind!r} frame")
            try:
                frame = self.received.get(timeout=remaining)
            except queue.Empty:
                continue
            if frame.get("type") == kind:
                return frame

    def drop(self) -> None:
        """Close the current socket from the server side."""
        self._drop.set()


def welcome(messages: list[dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
    """A `welcome` frame with sensible defaults."""
    frame = {
        "type": "welcome",
        "visitor": "v.signed",
        "conversation": "cv_1",
        "messages": messages or [],
        "greeting": "Hi! How can we help?",
        "open": True,
        "site": {"name": "Scripted Studio"},
        "status": "bot",
    }
    frame.update(extra)
    return frame


def message(seq: int, text: str, role: str = "assistant", **extra: Any) -> dict[str, Any]:
    """A `message` frame."""
    frame = {
        "type": "message",
        "seq": seq,
        "role": role,
        "text": text,
        "html": f"<p>{text}</p>",
        "sources": [],
        "choices": [],
        "card": None,
        "reply": None,
        "ts": "2026-11-25T03:00:00Z",
    }
    frame.update(extra)
    return frame


def open_chat(page, peer: ScriptedPeer, *frames: dict[str, Any]) -> dict[str, Any]:
    """Open the widget, answer its hello with `welcome` (or the given frames); the hello."""
    page.goto(peer.page_url)
    wait_launcher(page)
    page.evaluate("Frontdesk.open()")
    hello = peer.expect("hello")
    peer.send(*(frames or (welcome(),)))
    page.wait_for_function(
        f"{HOST}.shadowRoot.querySelector('.fd-panel')?.dataset.connection === 'online'"
    )
    return hello
