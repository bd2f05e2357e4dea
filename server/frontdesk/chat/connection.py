"""One visitor socket: the receive loop, frame dispatch, and serialized sends."""

from __future__ import annotations

import contextlib
import logging
import socket
import struct
import threading
import time
from html import escape
from typing import Any

from flask import Flask
from simple_websocket import ConnectionClosed
from wsproto.events import TextMessage

from frontdesk.assistant import moderation
from frontdesk.booking.availability import is_open_now
from frontdesk.chat import session as store
from frontdesk.chat import sites, staffing, transcript, turns
from frontdesk.chat.hub import hub_for
from frontdesk.chat.limits import IpLimits, SlidingWindow
from frontdesk.chat.protocol import (
    ClientFrame,
    FrameError,
    encode,
    error_frame,
    message_frame,
    parse_frame,
)
from frontdesk.chat.runner import runner_for
from frontdesk.chat.visitors import issue_token, new_visitor_id, read_token
from frontdesk.db.types import utcnow

log = logging.getLogger(__name__)

POLICY_VIOLATION = 1008
SEND_TIMEOUT_SECONDS = 10  # a client that stops reading must not block publishers for long
MAX_RATE_VIOLATIONS = 10  # refused frames in a row before the socket is closed


class ChatConnection:
    """State of one open socket; its `run()` is the receive loop (the request's thread)."""

    def __init__(self, app: Flask, ws: Any, site: Any, ip: str, ip_limits: IpLimits) -> None:
        self.app = app
        self.ws = ws
        self.site = site
        self.ip = ip
        self.ip_limits = ip_limits
        self.db = app.extensions["frontdesk.db"]
        self.hub = hub_for(app)
        config = app.config
        self.max_chars = int(config["MAX_MESSAGE_CHARS"])
        self.max_bytes = int(config["MAX_FRAME_BYTES"])
        self.ping_interval = max(0.0, float(config["PING_INTERVAL"] or 0))
        self.frames = SlidingWindow(int(config["FRAMES_PER_MINUTE"]))
        self.rate_violations = 0
        self.conversation: Any = None
        self.subscription: Any = None
        self._lock = threading.RLock()  # serializes sends (simple_websocket is not thread-safe)
        self._welcomed = False
        self._held: list[dict[str, Any]] = []  # hub frames that arrived before `welcome`
        self.closed = False
        _limit_send_time(ws)

    # -- sending -----------------------------------------------------------------------------

    def send(self, frame: dict[str, Any]) -> None:
        """Send one frame; a dead socket just marks the connection closed."""
        with self._lock:
            if self.closed:
                return
            try:
                _send_text(self.ws, encode(frame))
            except (ConnectionClosed, OSError):
                # Timed out or broken mid-frame: the stream is unusable, drop the connection.
                self.closed = True
                _abort(self.ws)

    def deliver(self, frame: dict[str, Any]) -> None:
        """Hub callback: frames published for the conversation (held until `welcome` is out)."""
        with self._lock:
            if not self._welcomed:
                self._held.append(frame)
            else:
                self.send(frame)

    # -- the loop ------------------------------------------------------------------------------

    def run(self) -> None:
        """Receive and handle frames until the socket closes; pings when the line is quiet."""
        last_heard = time.monotonic()
        try:
            while not self.closed:
                raw = self.ws.receive(timeout=self.ping_interval or None)  # 0: no pings
                now = time.monotonic()
                if raw is None:
                    if now - last_heard > 2.5 * self.ping_interval:
                        self._close(1001, "no answer to pings")
                        return
                    self.send({"type": "ping"})
                    continue
                last_heard = now
                if self._admit():
                    self._handle_raw(raw)
        except ConnectionClosed:
            pass
        finally:
            self.closed = True
            if self.subscription is not None:
                self.subscription.close()

    def _admit(self) -> bool:
        """Apply the per-connection and per-IP frame rates; persistent flooding closes."""
        if self.frames.allow() and self.ip_limits.allow_frame(self.ip):
            self.rate_violations = 0
            return True
        self.rate_violations += 1
        if self.rate_violations == 1:
            self.send(error_frame("rate_limited", "too many messages; slow down"))
        elif self.rate_violations > MAX_RATE_VIOLATIONS:
            self._close(POLICY_VIOLATION, "rate limit exceeded")
        return False

    def _handle_raw(self, raw: str | bytes) -> None:
        try:
            frame = parse_frame(raw, max_bytes=self.max_bytes, max_chars=self.max_chars)
            self._dispatch(frame)
        except FrameError as exc:
            self.send(error_frame(exc.code, exc.message, exc.frame_id))
        except Exception:
            log.exception("chat frame failed")
            self.send(error_frame("internal", "something went wrong; please try again"))

    def _close(self, code: int, reason: str) -> None:
        with self._lock:
            if not self.closed:
                self.closed = True
                with contextlib.suppress(ConnectionClosed, OSError):
                    self.ws.close(reason=code, message=reason)

    # -- frames --------------------------------------------------------------------------------

    def _dispatch(self, frame: ClientFrame) -> None:
        if frame.type == "ping":
            self.send({"type": "pong"})
            return
        if frame.type == "pong":
            return
        if frame.type == "hello":
            self._hello(frame.fields)
            return
        if self.conversation is None:
            raise FrameError("bad_frame", "send `hello` first", frame.fields.get("id"))
        if frame.type == "message":
            self._visitor_text(frame.fields["id"], frame.fields["text"], shown=True)
        else:
            self._action(frame.fields)

    def _hello(self, fields: dict[str, Any]) -> None:
        if self.conversation is not None:
            raise FrameError("bad_frame", "`hello` was already sent on this socket")
        secret = self.app.config["SECRET_KEY"]
        visitor_id = read_token(secret, fields["visitor"]) or new_visitor_id()
        conversation = store.open_conversation(
            self.db, self.site.id, visitor_id, fields["conversation"], fields
        )
        self.conversation = conversation
        # Subscribe before reading the backlog so nothing published in between is lost.
        self.subscription = self.hub.subscribe(conversation.id, self.deliver)
        after = fields["after"] if conversation.public_id == fields["conversation"] else 0
        backlog = transcript.visible_since(self.db, conversation.id, after)
        welcome = {
            "type": "welcome",
            "visitor": issue_token(secret, visitor_id),
            "conversation": conversation.public_id,
            "messages": [message_frame(entry) for entry in backlog],
            "greeting": self.site.greeting,
            "open": self._is_open(),
            "site": {"name": self.site.name},
            "status": conversation.status,
        }
        last_seq = backlog[-1].seq if backlog else after
        with self._lock:
            self.send(welcome)
            for held in self._held:
                if held.get("type") != "message" or held.get("seq", 0) > last_seq:
                    self.send(held)
            self._held = []
            self._welcomed = True

    def _is_open(self) -> bool | None:
        try:
            return bool(is_open_now(self.site, utcnow()))
        except Exception:
            log.exception("is_open_now failed")
            return None

    def _visitor_text(
        self, client_id: str, text: str, *, decline: str | None = None, shown: bool = False
    ) -> None:
        """Store the visitor's text, ack it, and queue the assistant's answer.

        `shown`: the sender already shows exactly `text` (a typed message, not an action).
        """
        conversation = self.conversation
        self.site = sites.newest(self.db, self.site)  # settings changed since the socket opened
        stored = moderation.text_to_store(self.site, text)
        html = "<p>" + escape(stored).replace("\n", "<br>") + "</p>"
        with store.conversation_lock(conversation.id):
            entry, created = transcript.append(
                self.db, conversation.id, "visitor", stored, html=html, client_id=client_id
            )
            self.send({"type": "ack", "id": client_id, "seq": entry.seq})
            if not created:
                return
            # The turn starts before the copies to other sockets go out: its worker prepares
            # the prompt while this thread publishes. Its replies (stored under this lock)
            # still come after the visitor's message.
            job = turns.Job(self.app, conversation.id, entry.seq, text, entry.id, decline)
            runner_for(self.app).submit(conversation.id, lambda: turns.answer(job))
            # Other tabs and staff get a copy; so does this socket, unless the ack is all it
            # lacks (its text was stored as sent, not redacted or made from an action).
            own_copy_needed = not shown or stored != text
            skip = None if own_copy_needed else self.subscription
            self.hub.publish(conversation.id, message_frame(entry), skip=skip)
        # Lets a dashboard's conversation list update without watching every conversation.
        self.hub.publish_site(
            self.site.id,
            {"type": "activity", "conversation": conversation.public_id, "seq": entry.seq},
        )

    def _action(self, fields: dict[str, Any]) -> None:
        name, action_id, value = fields["name"], fields["id"], fields["value"]
        if name == "reply":
            self._visitor_text(action_id, value)
        elif name == "change":
            self._visitor_text(action_id, turns.CHANGE_TEXT, decline=value)
        elif name == "confirm":
            self._confirm(action_id, value)
        else:
            staffing.request_human(
                self.app, self.conversation, action_id=action_id, is_open=self._is_open(),
                ack=lambda entry: self.send({"type": "ack", "id": action_id, "seq": entry.seq}),
            )  # fmt: skip

    def _confirm(self, action_id: str, proposal_id: str) -> None:
        conversation = self.conversation
        with store.conversation_lock(conversation.id):
            entry, created = transcript.append(
                self.db, conversation.id, "tool_call", "confirm", client_id=action_id,
                payload={"call_id": action_id, "name": "confirm",
                         "arguments": {"proposal": proposal_id}, "by": "visitor"},
            )  # fmt: skip
        self.send({"type": "ack", "id": action_id, "seq": entry.seq})
        if created:
            runner_for(self.app).submit(
                conversation.id,
                lambda: turns.confirm(self.app, conversation.id, proposal_id, action_id),
            )


def _limit_send_time(ws: Any) -> None:
    """Make blocking sends give up after SEND_TIMEOUT_SECONDS (receives are unaffected)."""
    sock = getattr(ws, "sock", None)
    if sock is None:
        return
    with contextlib.suppress(OSError):
        sock.setsockopt(
            socket.SOL_SOCKET, socket.SO_SNDTIMEO, struct.pack("ll", SEND_TIMEOUT_SECONDS, 0)
        )
    # Frames are small and come in bursts (ack, message, typing, deltas): without NODELAY,
    # Nagle's algorithm holds each one back until the previous one is acknowledged.
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def _send_text(ws: Any, text: str) -> None:
    """Send a text frame with sendall, so a send timeout raises instead of half-sending.

    simple_websocket's own send() uses socket.send(), which with SO_SNDTIMEO could write part
    of a frame and report nothing; sendall() either writes all of it or raises.
    """
    if not ws.connected:
        raise ConnectionClosed(ws.close_reason, ws.close_message)
    ws.sock.sendall(ws.ws.send(TextMessage(data=text)))


def _abort(ws: Any) -> None:
    """Shut the TCP connection down so the reader thread and the receive loop end."""
    sock = getattr(ws, "sock", None)
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
