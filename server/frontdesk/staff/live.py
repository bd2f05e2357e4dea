"""GET /ws/staff?site=KEY[&conversation=ID&after=SEQ]: the dashboard's live socket (queue, transcript, replies).

The handshake is checked before the upgrade (a refused socket gets plain HTTP 403/404): a
signed-in staff session, membership of the site, and an Origin of our own host (no
cross-site websocket hijacking with the staff cookie). Frames are JSON objects with `type`:

client → server: `reply` {id, conversation, text} · `seen` {conversation, seq} (staff read up
to seq: the unread count clears) · `ping` {}
server → client: `ready` {queue: [item], waiting: n, messages: [message frames after `after`]} ·
`queue` {event, item|null, waiting: n} (a site event: status change, flag, visitor activity,
presence; item is the conversation's inbox row, staff.inbox.summarize) · `conversation`
{conversation, frame} (a frame of the watched conversation as the widget gets it, its HTML
rendered again here and `time` in the site's zone) · `ack` {id, seq} · `error` {code, message,
id?} · `pong` {} · `ping` {}

The socket is built on the chat's skeleton (frontdesk.chat.socket_connection, .handshake) and
its frames in frontdesk.chat.protocol.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, current_app, g, redirect, request, url_for
from flask import session as cookie_session
from flask_sock import Sock
from sqlalchemy import select

from frontdesk.booking.zones import zone_or_utc
from frontdesk.chat import handshake, transcript
from frontdesk.chat.client_frames import MAX_SEQ, FrameError, read_object
from frontdesk.chat.hub import hub_for
from frontdesk.chat.protocol import (
    ack_frame,
    conversation_frame,
    error_frame,
    message_frame,
    pong_frame,
    queue_frame,
    ready_frame,
)
from frontdesk.chat.runner import TurnRunner
from frontdesk.chat.socket_connection import POLICY_VIOLATION, SocketConnection
from frontdesk.db.models import SiteMembership, StaffUser
from frontdesk.extensions import get_db
from frontdesk.staff import conversation_queries, conversations, inbox, inbox_state, sessions
from frontdesk.staff.auth import current_staff, session_fingerprint, site_required, staff_sites

log = logging.getLogger(__name__)

PATH = "/ws/staff"
# 16,000 characters of any script (the page's replies are at most 4,000).
MAX_FRAME_BYTES = 64000
PING_INTERVAL = 25.0  # seconds of silence before we ping
SUMMARIES_KEY = "frontdesk.staff_queue_summaries"
SUMMARY_WORKERS = 2
CONVERSATION_FRAMES = ("message", "status", "typing")  # what a watched transcript shows

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


def _vet_handshake() -> None:
    """Refuse before upgrading: anonymous, foreign Origin, other sites, foreign conversations."""
    user = handshake.require(current_staff(), 403, "sign in first")
    handshake.require_origin(handshake.own_origins())
    site_key = request.args.get("site", "")
    site = next((s for s in staff_sites(user) if s.public_key == site_key), None)
    handshake.require(site, 404, "no such site")
    watched = None
    public_id = request.args.get("conversation", "")
    if public_id:
        watched = conversation_queries.conversation_of_site(site.id, public_id)
        handshake.require(watched, 404, "no such conversation")
    g.live_site, g.live_user, g.live_conversation = site, user, watched
    g.live_session = cookie_session.get("sid")


socket_bp.before_request(handshake.vetting(_vet_handshake))


@_sock.route(PATH, bp=socket_bp, endpoint="socket")
def staff_socket(ws: Any) -> None:
    """One dashboard socket, for as long as it stays open."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    connection = StaffConnection(app, ws, g.live_site, g.live_user, g.live_conversation)
    connection.session_id = g.live_session
    connection.run()


class StaffConnection(SocketConnection):
    """A dashboard socket: the site's queue events and, optionally, one watched conversation."""

    def __init__(self, app, ws, site, user, watched) -> None:
        super().__init__(ws, ping_interval=PING_INTERVAL)
        self.app, self.site, self.user, self.watched = app, site, user, watched
        self.hub = hub_for(app)
        self.tz = zone_or_utc(site.timezone)
        self.session_id: str | None = None  # the staff session this socket was opened in

    def run(self) -> None:
        """Subscribe, send `ready` (the queue and what a reconnect missed), then receive."""
        # First: a revocation between the handshake and here is caught by the check below.
        self.subscriptions.append(self.hub.subscribe_staff(self.user.id, self._account_event))
        if not _still_allowed(self.user, self.site, self.session_id):
            self.close(POLICY_VIOLATION, "signed out")
            return
        self.subscriptions.append(self.hub.subscribe_site(self.site.id, self._site_event))
        if self.watched is not None:
            self.subscriptions.append(self.hub.subscribe(self.watched.id, self._conversation_frame))
        queue_rows, _more = inbox.list_page(self.site.id, self.tz, inbox.Filters(view="waiting"))
        ready = ready_frame(queue_rows, [self._shown(f) for f in self._missed()])
        ready["waiting"] = inbox.waiting_count(self.site.id)
        self.greet(ready)
        super().run()

    def _missed(self) -> list[dict[str, Any]]:
        """Visible entries of the watched conversation after `after` (what a reconnect missed).

        Subscribed before reading, so nothing falls in between; the page drops duplicates by seq.
        """
        after = request.args.get("after", type=int)
        if self.watched is None or after is None:
            return []
        after = min(max(after, 0), MAX_SEQ)  # a huge number must not overflow the SQL integer
        entries = transcript.visible_since(get_db(), self.watched.id, after)
        return [message_frame(entry) for entry in entries]

    # -- hub callbacks (in the publisher's thread) -------------------------------------------

    def _account_event(self, event: dict[str, Any]) -> None:
        """This socket's session was ended (sign-out, password change, everywhere): close now,
        so not one more event reaches it."""
        ended = event.get("sessions") or ()
        if event.get("type") == sessions.REVOKED_EVENT and self._session_hash() in ended:
            self.close(POLICY_VIOLATION, "signed out")

    def _session_hash(self) -> str:
        return sessions.id_hash(self.session_id) if self.session_id else ""

    def _site_event(self, event: dict[str, Any]) -> None:
        # The summary is read on the summaries runner: a publisher never waits on a read.
        _summaries(self.app).submit(self, lambda: self._send_queue_frame(event))

    def _send_queue_frame(self, event: dict[str, Any]) -> None:
        """A site event with the conversation's current summary (runs in an app context)."""
        if self.closed or not _still_allowed(self.user, self.site, self.session_id):
            return
        public_id = str(event.get("conversation", ""))
        item = inbox.summary_of(self.site.id, public_id, self.tz) if public_id else None
        queued = queue_frame(event, item)
        queued["waiting"] = inbox.waiting_count(self.site.id)
        self.deliver(queued)

    def _conversation_frame(self, frame: dict[str, Any]) -> None:
        if frame.get("type") in CONVERSATION_FRAMES:
            self.deliver(conversation_frame(self.watched.public_id, self._shown(frame)))

    def _shown(self, frame: dict[str, Any]) -> dict[str, Any]:
        """The frame as the dashboard shows it: Markdown rendered (and sanitized) here, never
        trusted from the frame; the time in the site's zone."""
        return inbox_state.for_dashboard(frame, self.tz)

    # -- client frames -----------------------------------------------------------------------

    def handle(self, raw: str | bytes) -> None:
        """`reply`, `ping` or `pong`; anything else is a bad frame."""
        frame = read_object(raw, max_bytes=MAX_FRAME_BYTES)
        kind = frame.get("type")
        if kind == "ping":
            self.send(pong_frame())
        elif kind == "reply":
            self._reply(frame)
        elif kind == "seen":
            self._seen(frame)
        elif kind != "pong":
            raise FrameError("bad_frame", "unknown frame type")

    def _reply(self, frame: dict[str, Any]) -> None:
        frame_id = str(frame.get("id", ""))[:64]
        public_id, text = frame.get("conversation"), frame.get("text")
        if not isinstance(public_id, str) or not isinstance(text, str):
            raise FrameError("bad_frame", "reply needs conversation and text", frame_id)
        if not _still_allowed(self.user, self.site, self.session_id):
            self.send(error_frame("forbidden", "your session has ended; sign in again", frame_id))
            self.close(POLICY_VIOLATION, "signed out")
            return
        try:
            entry = conversations.staff_reply(self.site, public_id, self.user, text)
        except LookupError:
            raise FrameError("not_found", "no such conversation", frame_id) from None
        except ValueError as exc:
            raise FrameError("bad_frame", str(exc), frame_id) from None
        self.send(ack_frame(frame_id, entry.seq))

    def _seen(self, frame: dict[str, Any]) -> None:
        public_id, seq = frame.get("conversation"), frame.get("seq")
        if not isinstance(public_id, str) or not isinstance(seq, int) or isinstance(seq, bool):
            raise FrameError("bad_frame", "seen needs conversation and seq")
        if inbox_state.mark_seen(self.site.id, public_id, seq):
            self.hub.publish_site(self.site.id, {"type": "seen", "conversation": public_id})


def _summaries(app) -> TurnRunner:
    """The app's runner for queue summaries: a few threads, apart from the assistant's turns.

    Jobs of one socket run in order (keyed by the connection), so its queue frames do too.
    """
    runner = app.extensions.get(SUMMARIES_KEY)
    if runner is None:
        runner = app.extensions.setdefault(SUMMARIES_KEY, TurnRunner(app, SUMMARY_WORKERS))
    return runner


def _still_allowed(user: Any, site: Any, session_id: str | None) -> bool:
    """The user's session is still open, with the same password, and they still belong to
    the site.

    Checked on every reply and queue event (the hub closes the socket at once when a session
    ends in this process; this catches one ended by another process, or a removed membership).
    """
    if not sessions.is_valid(get_db(), session_id, user.id):
        return False
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
