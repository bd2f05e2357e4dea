"""One visitor socket (/ws/chat): frame dispatch, hello and welcome, messages and actions."""

from __future__ import annotations

import logging
from html import escape
from typing import Any

from flask import Flask, has_request_context, request

from frontdesk.booking.availability import is_open_now
from frontdesk.chat import (
    chip_said,
    conversation_store,
    moderation,
    presence,
    site_cache,
    staffing,
    transcript,
    turns,
    work,
)
from frontdesk.chat.client_frames import ClientFrame, FrameError, parse_frame
from frontdesk.chat.hub import hub_for
from frontdesk.chat.limits import IpLimits, SlidingWindow
from frontdesk.chat.protocol import (
    ack_frame,
    activity_event,
    error_frame,
    message_frame,
    pong_frame,
    welcome_frame,
)
from frontdesk.chat.socket_connection import POLICY_VIOLATION, SocketConnection
from frontdesk.chat.visitors import issue_token, new_visitor_id, read_token
from frontdesk.db.types import utcnow

log = logging.getLogger(__name__)

MAX_RATE_VIOLATIONS = 10  # refused frames in a row before the socket is closed


class ChatConnection(SocketConnection):
    """State of one open socket; its `run()` is the receive loop (the request's thread)."""

    def __init__(self, app: Flask, ws: Any, site: Any, ip: str, ip_limits: IpLimits) -> None:
        super().__init__(ws, ping_interval=float(app.config["PING_INTERVAL"] or 0))
        self.app = app
        self.site = site
        self.ip = ip
        self.ip_limits = ip_limits
        self.db = app.extensions["frontdesk.db"]
        self.hub = hub_for(app)
        config = app.config
        self.max_chars = int(config["MAX_MESSAGE_CHARS"])
        self.max_bytes = int(config["MAX_FRAME_BYTES"])
        self.frames = SlidingWindow(int(config["FRAMES_PER_MINUTE"]))
        self.rate_violations = 0
        self.conversation: Any = None
        self.subscription: Any = None
        self.heartbeat: presence.Heartbeat | None = None
        # Vetted against the site's allowlist before the upgrade (chat.views).
        self.origin = request.headers.get("Origin") if has_request_context() else None

    def run(self) -> None:
        """The receive loop; the visitor is "live" on the dashboard from hello until it ends."""
        try:
            super().run()
        finally:
            if self.conversation is not None:
                try:
                    presence.mark(self.db, self.hub, self.site.id, self.conversation, False)
                except Exception:  # the socket is gone either way; the grace period covers it
                    log.exception("marking the visitor gone failed")

    def admit(self) -> bool:
        """Apply the per-connection and per-IP frame rates; persistent flooding closes."""
        if self.frames.allow() and self.ip_limits.allow_frame(self.ip):
            self.rate_violations = 0
            return True
        self.rate_violations += 1
        if self.rate_violations == 1:
            self.send(error_frame("rate_limited", "too many messages; slow down"))
        elif self.rate_violations > MAX_RATE_VIOLATIONS:
            self.close(POLICY_VIOLATION, "rate limit exceeded")
        return False

    def handle(self, raw: str | bytes) -> None:
        """Validate and dispatch one client frame."""
        self._dispatch(parse_frame(raw, max_bytes=self.max_bytes, max_chars=self.max_chars))

    # -- frames --------------------------------------------------------------------------------

    def _dispatch(self, frame: ClientFrame) -> None:
        if self.heartbeat is not None:
            if frame.type == "message":
                self.heartbeat.heard()  # the message's own write refreshes it (no extra write)
            else:
                self.heartbeat.beat()
        if frame.type == "ping":
            self.send(pong_frame())
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
        conversation = conversation_store.open_conversation(
            self.db, self.site.id, visitor_id, fields["conversation"], fields
        )
        self.conversation = conversation
        # Subscribe before reading the backlog so nothing published in between is lost.
        self.subscription = self.hub.subscribe(conversation.id, self.deliver)
        self.subscriptions.append(self.subscription)
        after = fields["after"] if conversation.public_id == fields["conversation"] else 0
        backlog = transcript.visible_since(self.db, conversation.id, after)
        welcome = welcome_frame(
            visitor=issue_token(secret, visitor_id), conversation=conversation,
            messages=[message_frame(entry) for entry in backlog], site=self.site,
            open_now=self._is_open(), lang=fields["lang"], starters=not conversation.last_seq,
        )  # fmt: skip
        last_seq = backlog[-1].seq if backlog else after

        def not_in_backlog(held: dict[str, Any]) -> bool:
            return held.get("type") != "message" or held.get("seq", 0) > last_seq

        # Written before the welcome goes out: a client that acts on the welcome at once never
        # races these writes.
        presence.mark(self.db, self.hub, self.site.id, conversation, True)
        presence.note_widget_origin(self.db, self.site, self.origin)
        self.greet(welcome, keep=not_in_backlog)
        self.heartbeat = presence.Heartbeat(self.db, conversation.id)
        if conversation.public_id == fields["conversation"]:  # a crash may have left work
            work.resume_conversation(self.app, conversation.id)

    def _is_open(self) -> bool | None:
        try:
            return bool(is_open_now(self.site, utcnow()))
        except Exception:
            log.exception("is_open_now failed")
            return None

    def _visitor_text(
        self,
        client_id: str,
        text: str,
        *,
        decline: str | None = None,
        shown: bool = False,
        chosen: bool = False,
        said: str = "",
    ) -> None:
        """Store the visitor's text, ack it, and queue the assistant's answer.

        `shown`: the sender already shows exactly `text` (a typed message, not an action).
        `chosen`: the words are a chip's (the overview counts no chip as a question).
        `said`: the chip's words in the visitor's language, shown in place of `text` (which the
        engines read).
        """
        conversation = self.conversation
        # Settings may have changed since the socket opened.
        self.site = site_cache.newest(self.db, self.site)
        stored = moderation.text_to_store(self.site, text)
        html = "<p>" + escape(said or stored).replace("\n", "<br>") + "</p>"
        with conversation_store.conversation_lock(conversation.id):
            # Stored as acked work still to answer, in the transaction the ack follows.
            entry, created = transcript.append(
                self.db, conversation.id, "visitor", stored, html=html, client_id=client_id,
                payload=_payload(decline, chosen, said), pending=True,
            )  # fmt: skip
            self.send(ack_frame(client_id, entry.seq))
            if not created:  # a re-send: resume its answer if a crash left it unfinished
                if entry.work_pending:
                    work.resume(self.app, [entry])
                return
            # The turn starts before the copies to other sockets go out: its worker prepares
            # the prompt while this thread publishes. Its replies (stored under this lock)
            # still come after the visitor's message.
            work.submit(self.app, entry, text=text, ip=self.ip)
            # Other tabs and staff get a copy; so does this socket, unless the ack is all it
            # lacks (its text was stored as sent, not redacted or made from an action).
            own_copy_needed = not shown or stored != text
            skip = None if own_copy_needed else self.subscription
            if self.hub.reaches_others(conversation.id, skip):  # the frame costs ~10 µs
                self.hub.publish(conversation.id, message_frame(entry), skip=skip)
        # Lets a dashboard's conversation list update without watching every conversation.
        self.hub.publish_site(self.site.id, activity_event(conversation.public_id, entry.seq))

    def _action(self, fields: dict[str, Any]) -> None:
        name, action_id, value = fields["name"], fields["id"], fields["value"]
        if name == "reply":
            said = chip_said.said(self.db, self.conversation.id, value)
            self._visitor_text(action_id, value, chosen=True, said=said)
        elif name == "change":
            change = turns.change_text(self.db, value, getattr(self.conversation, "lang", None))
            self._visitor_text(action_id, change, decline=value, chosen=True)
        elif name == "confirm":
            self._confirm(action_id, value)
        else:
            staffing.request_human(
                self.app, self.conversation, action_id=action_id, is_open=self._is_open(),
                ack=lambda entry: self.send(ack_frame(action_id, entry.seq)),
            )  # fmt: skip

    def _confirm(self, action_id: str, proposal_id: str) -> None:
        conversation = self.conversation
        with conversation_store.conversation_lock(conversation.id):
            entry, created = transcript.append(
                self.db, conversation.id, "tool_call", "confirm", client_id=action_id,
                payload={"call_id": action_id, "name": "confirm",
                         "arguments": {"proposal": proposal_id}, "by": "visitor"},
                pending=True,
            )  # fmt: skip
        self.send(ack_frame(action_id, entry.seq))
        if created:
            work.submit(self.app, entry)
        elif entry.work_pending:  # a re-sent confirm whose result never came: carry it out
            work.resume(self.app, [entry])


def _payload(decline: str | None, chosen: bool, said: str = "") -> dict[str, str] | None:
    """A visitor message's payload: the proposal a Change declines, whether a chip's, and
    the chip's words in the visitor's language."""
    payload = {"decline": decline} if decline else {}
    if chosen:
        payload["via"] = "choice"
    if said:
        payload["said"] = said
    return payload or None
