"""GET /ws/staff?site=KEY[&conversation=ID&after=SEQ]: the dashboard's live socket (queue, transcript, replies).

The handshake is checked before the upgrade (a refused socket gets plain HTTP 403/404): a
signed-in staff session, membership of the site, and an Origin of our own host (no
cross-site websocket hijacking with the staff cookie). Frames are JSON objects with `type`:

client → server: `reply` {id, conversation, text} · `ping` {}
server → client: `ready` {queue: [item], messages: [message frames after `after`]} · `queue` {event, item|null} (a site event: status
change, flag, visitor activity; item is the conversation's summary) · `conversation`
{conversation, frame} (a frame of the watched conversation, as the widget gets it) ·
`ack` {id, seq} · `error` {code, message, id?} · `pong` {} · `ping` {}
"""

from __future__ import annotations

import contextlib
import json
import logging
import queue
import threading
import time
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, g, redirect, request, url_for
from flask_sock import Sock
from simple_websocket import ConnectionClosed
from sqlalchemy import select

from frontdesk.chat import transcript
from frontdesk.chat.hub import hub_for
from frontdesk.chat.protocol import message_frame
from frontdesk.db.models import SiteMembership, StaffUser
from frontdesk.extensions import get_db
from frontdesk.sites import origin_in
from frontdesk.staff import conversation_queries, conversations
from frontdesk.staff.auth import current_staff, session_fingerprint, site_required, staff_sites

log = logging.getLogger(__name__)

PATH = "/ws/staff"
MAX_FRAME_CHARS = 16000
POLICY_VIOLATION = 1008
RECEIVE_TIMEOUT = 25.0  # seconds of silence before we ping
OUTBOX_SIZE = 1000
CLOSE = "_close"  # outbox marker: close the socket after what was queued before
SITE_EVENT = "_site_event"  # outbox marker: resolved into a `queue` frame by the sender thread

bp = Blueprint("live", __name__, url_prefix="/<site_key>/live")
# The socket lives outside /staff/<site_key>/ (its site comes in the query string), so it
# has its own blueprint, which create_app registers on the app.
socket_bp = Blueprint("staff_socket", __name__)
# flask-sock's Sock only wraps the view; with `bp=` it needs no app, so this does not clash
# with the chat socket's Sock instance in frontdesk/chat/views.py.
_sock = Sock()


@bp.get("/")
@site_required
def index(site):
    """The live queue is shown on the conversations page."""
    return redirect(url_for("staff.conversations.index", site_key=site.public_key))


def _same_origin(origin: str | None) -> bool:
    """The Origin is this server's own scheme://host[:port] (or the configured PUBLIC_URL)."""
    own = [request.host_url]
    public = current_app.config.get("PUBLIC_URL")
    if public:
        parts = urlsplit(str(public))
        own.append(f"{parts.scheme}://{parts.netloc}")
    return origin_in(origin, own)


def _refuse(status: int, text: str) -> Response:
    return Response(text + "\n", status=status, mimetype="text/plain")


@socket_bp.before_request
def _vet_handshake() -> Response | None:
    """Refuse before upgrading: anonymous, foreign Origin, other sites, foreign conversations."""
    user = current_staff()
    if user is None:
        return _refuse(403, "sign in first")
    if not _same_origin(request.headers.get("Origin")):
        return _refuse(403, "origin not allowed")
    site_key = request.args.get("site", "")
    site = next((s for s in staff_sites(user) if s.public_key == site_key), None)
    if site is None:
        return _refuse(404, "no such site")
    watched = None
    public_id = request.args.get("conversation", "")
    if public_id:
        watched = conversation_queries.conversation_of_site(site.id, public_id)
        if watched is None:
            return _refuse(404, "no such conversation")
    g.live_site, g.live_user, g.live_conversation = site, user, watched
    return None


@_sock.route(PATH, bp=socket_bp, endpoint="socket")
def staff_socket(ws: Any) -> None:
    """One dashboard socket, for as long as it stays open."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    StaffConnection(app, ws, g.live_site, g.live_user, g.live_conversation).run()


class StaffConnection:
    """A dashboard socket: hub events go through an outbox that one sender thread drains."""

    def __init__(self, app, ws, site, user, watched) -> None:
        self.app, self.ws, self.site, self.user, self.watched = app, ws, site, user, watched
        self.hub = hub_for(app)
        self.outbox: queue.Queue[dict[str, Any] | None] = queue.Queue(OUTBOX_SIZE)
        self.subscriptions: list[Any] = []

    def put(self, frame: dict[str, Any] | None) -> None:
        """Queue a frame for sending; never blocks a publisher (a full outbox drops frames)."""
        try:
            self.outbox.put_nowait(frame)
        except queue.Full:
            log.warning("staff socket outbox full; dropping a frame")

    def run(self) -> None:
        """Subscribe, send the queue snapshot, then receive until the socket closes."""
        self.subscriptions.append(self.hub.subscribe_site(self.site.id, self._site_event))
        if self.watched is not None:
            self.subscriptions.append(self.hub.subscribe(self.watched.id, self._conversation_frame))
        sender = threading.Thread(target=self._send_loop, daemon=True, name="staff-socket-send")
        sender.start()
        with self.app.app_context():
            queue_rows, _more = conversation_queries.list_conversations(self.site.id, queue=True)
        self.put({"type": "ready", "queue": queue_rows, "messages": self._missed()})
        try:
            self._receive_loop()
        except ConnectionClosed:
            pass
        finally:
            for subscription in self.subscriptions:
                subscription.close()
            self.put(None)
            sender.join(timeout=5)

    def _missed(self) -> list[dict[str, Any]]:
        """Visible entries of the watched conversation after `after` (what a reconnect missed).

        Subscribed before reading, so nothing falls in between; the page drops duplicates by seq.
        """
        after = request.args.get("after", type=int)
        if self.watched is None or after is None:
            return []
        entries = transcript.visible_since(get_db(), self.watched.id, max(after, 0))
        return [message_frame(entry) for entry in entries]

    def _receive_loop(self) -> None:
        last_heard = time.monotonic()
        while self.ws.connected:
            raw = self.ws.receive(timeout=RECEIVE_TIMEOUT)
            if raw is None:
                if time.monotonic() - last_heard > 2.5 * RECEIVE_TIMEOUT:
                    return  # a vanished client (half-open TCP) must not hold a thread forever
                self.put({"type": "ping"})
                continue
            last_heard = time.monotonic()
            self._handle(raw)

    def _send_loop(self) -> None:
        while True:
            frame = self.outbox.get()
            if frame is None:
                return
            if frame.get("type") == CLOSE:
                with contextlib.suppress(ConnectionClosed, OSError):
                    self.ws.close(reason=POLICY_VIOLATION, message="signed out")
                return
            if frame.get("type") == SITE_EVENT:
                frame = self._queue_frame(frame["event"])
            try:
                self.ws.send(json.dumps(frame))
            except (ConnectionClosed, OSError):
                return

    def _queue_frame(self, event: dict[str, Any]) -> dict[str, Any]:
        """A site event with the conversation's current summary (read here, not by the publisher)."""
        public_id = str(event.get("conversation", ""))
        with self.app.app_context():
            item = conversation_queries.queue_item(self.site.id, public_id) if public_id else None
        return {"type": "queue", "event": event, "item": item}

    # -- hub callbacks (in the publisher's thread: only queue, never read or send) -------------

    def _site_event(self, event: dict[str, Any]) -> None:
        self.put({"type": SITE_EVENT, "event": event})

    def _conversation_frame(self, frame: dict[str, Any]) -> None:
        if frame.get("type") in ("message", "status", "typing"):
            self.put(
                {"type": "conversation", "conversation": self.watched.public_id, "frame": frame}
            )

    # -- client frames -----------------------------------------------------------------------

    def _handle(self, raw: str | bytes) -> None:
        try:
            if len(raw) > MAX_FRAME_CHARS:
                raise ValueError("frame too long")
            frame = json.loads(raw)
            if not isinstance(frame, dict):
                raise ValueError("a frame is a JSON object")
        except ValueError as exc:
            self.put({"type": "error", "code": "bad_frame", "message": str(exc)})
            return
        kind = frame.get("type")
        if kind == "ping":
            self.put({"type": "pong"})
        elif kind == "reply":
            self._reply(frame)
        elif kind != "pong":
            self.put({"type": "error", "code": "bad_frame", "message": "unknown frame type"})

    def _reply(self, frame: dict[str, Any]) -> None:
        frame_id = str(frame.get("id", ""))[:64]
        public_id, text = frame.get("conversation"), frame.get("text")
        if not isinstance(public_id, str) or not isinstance(text, str):
            self.put(_error("bad_frame", "reply needs conversation and text", frame_id))
            return
        if not _still_allowed(self.user, self.site):
            self.put(_error("forbidden", "your session has ended; sign in again", frame_id))
            self.put({"type": CLOSE})  # after the error frame, from the sending thread
            return
        try:
            entry = conversations.staff_reply(self.site, public_id, self.user, text)
        except LookupError:
            self.put(_error("not_found", "no such conversation", frame_id))
        except ValueError as exc:
            self.put(_error("bad_frame", str(exc), frame_id))
        else:
            self.put({"type": "ack", "id": frame_id, "seq": entry.seq})


def _still_allowed(user: Any, site: Any) -> bool:
    """The user still exists with the same password and still belongs to the site.

    Checked on every reply: a socket outlives the handshake, but not a password change or a
    removed membership.
    """
    with get_db().session() as session:
        stored = session.get(StaffUser, user.id)
        if stored is None or session_fingerprint(stored) != session_fingerprint(user):
            return False
        membership = session.scalars(
            select(SiteMembership.id).where(
                SiteMembership.staff_id == user.id, SiteMembership.site_id == site.id
            )
        ).first()
        return membership is not None


def _error(code: str, message: str, frame_id: str) -> dict[str, Any]:
    return {"type": "error", "code": code, "message": message, "id": frame_id}
