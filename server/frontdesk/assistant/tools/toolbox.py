"""The assistant's tools, bound to one conversation and its visitor (both engines use them).

Nothing here books, moves or cancels anything on the assistant's say-so: the propose_* tools
only validate and return a card, and `confirm` commits only when the visitor pressed Confirm.
So a hostile knowledge page or message can at worst make the assistant *propose* something.
"""

from __future__ import annotations

import functools
import logging
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from frontdesk import audit
from frontdesk.assistant.base import StatusChanger, ToolResult
from frontdesk.assistant.tools import knowledge_search, listings, slot_finder
from frontdesk.assistant.tools.confirmations import Confirmations
from frontdesk.assistant.tools.proposals import ProposalDesk, fail
from frontdesk.assistant.tools.specs import SPECS, SPECS_BY_NAME, ArgumentError, validate
from frontdesk.audit import Actor
from frontdesk.booking.availability import is_open_now
from frontdesk.booking.errors import BookingError, InvalidBooking
from frontdesk.booking.validation import clean_timezone
from frontdesk.db.models import Booking, Conversation, Site
from frontdesk.db.types import utcnow

log = logging.getLogger(__name__)


@functools.cache
def _openai_specs() -> list[dict[str, Any]]:
    # The schemas are constants; building them on every turn cost more than sending them.
    return [spec.openai() for spec in SPECS]


class ConversationTools:
    """The eight tools (`specs`/`call`) plus `confirm`/`decline` for the visitor's card actions."""

    def __init__(
        self,
        db,
        bookings,
        site,
        *,
        conversation_id: int,
        visitor_id: str,
        visitor_tz: str,
        change_status: StatusChanger,
        now: datetime | None = None,
        lang: str = "en",
        public_id: str | None = None,
    ) -> None:
        self.db = db
        self.change_status = change_status  # bound to this conversation by the chat
        self.bookings = bookings
        # Only a configured mailer queues confirmations: the engines promise e-mail only then.
        self.sends_email: bool = getattr(bookings, "mailer", None) is not None
        self.site = site  # a loaded, detached snapshot in the chat (treat as read-only)
        self.site_id: int = site.id
        self.business_tz: str = site.timezone
        self.max_days_ahead: int = site.max_days_ahead
        self.conversation_id = conversation_id
        self.visitor_id = visitor_id
        self.visitor_tz = _valid_zone(visitor_tz)
        self.lang = lang if isinstance(lang, str) and lang else "en"  # the clock style shown
        self._now = now
        # The conversation's public id names it in the audit log; read once when not given.
        self._public_id: str | None = public_id
        self.proposals = ProposalDesk(self)
        self.confirmations = Confirmations(self.proposals)

    # -- the ToolBox interface ------------------------------------------------------------

    def now(self) -> datetime:
        """The fixed clock given at construction (tests) or the real one."""
        return self._now or utcnow()

    def specs(self) -> list[dict[str, Any]]:
        """The OpenAI `tools` entries, strict mode (shared: treat as read-only)."""
        return _openai_specs()

    def call(self, name: str, arguments: dict[str, Any]) -> ToolResult:
        """Validate and run one tool; never raises, bad input runs nothing and says why."""
        spec = SPECS_BY_NAME.get(name) if isinstance(name, str) else None
        if spec is None:
            result = fail(f"unknown tool {str(name)[:64]!r}")
        else:
            try:
                result = self._run(name, validate(spec, arguments))
            except ArgumentError as exc:
                result = fail(f"invalid arguments: {exc}")
        self._audit_call(name if spec else "unknown", result)
        return result

    def confirm(self, proposal_id: str) -> ToolResult:
        """The visitor pressed Confirm: commit the proposal (idempotent)."""
        return self._guard(lambda: self.confirmations.confirm(proposal_id))

    def decline(self, proposal_id: str) -> ToolResult:
        """The visitor pressed Change: drop the proposal."""
        return self._guard(lambda: self.confirmations.decline(proposal_id))

    # -- dispatch ---------------------------------------------------------------------------

    def _run(self, name: str, args: dict[str, Any]) -> ToolResult:
        handlers = {
            "search_knowledge": self.search_knowledge,
            "list_services": self.list_services,
            "find_available_slots": self.find_available_slots,
            "propose_booking": self.proposals.propose_booking,
            "list_my_bookings": self.list_my_bookings,
            "propose_cancellation": self.proposals.propose_cancellation,
            "propose_reschedule": self.proposals.propose_reschedule,
            "request_human": self.request_human,
        }
        return self._guard(lambda: handlers[name](**args))

    def _guard(self, work) -> ToolResult:
        try:
            return work()
        except BookingError as exc:
            return fail(exc.message, field=exc.field)
        except Exception:  # a tool failure must never take the chat down with it
            log.exception("assistant tool failed")
            return fail(
                "Sorry, that didn't work because of a technical problem. Please try again, "
                "or ask for a person."
            )

    def _audit_call(self, name: str, result: ToolResult) -> None:
        """`tool.<name>`: the call, its outcome and any proposal, with the write the tool left to
        it (an unanswered question), in a transaction that holds the write lock from its start (SQLite waits its busy timeout for it, instead of failing
        a read-then-write upgrade as "database is locked"); a failure is raised, not dropped."""
        data: dict[str, Any] = {"ok": result.ok}
        if not result.ok:
            data["error"] = str(result.content.get("error", ""))[:200]
        if result.card and result.card.get("proposal"):
            data["proposal"] = result.card["proposal"]
        with self.db.write_transaction() as session:
            if result.write is not None:
                result.write(session)
            self.audit(session, f"tool.{name}", data)

    def audit(
        self, session, action: str, data: dict[str, Any], *, actor_type: str = "assistant"
    ) -> None:
        """One audit event about this conversation, in `session`: the transaction of the change
        it records, so they commit (or roll back) together."""
        audit.record(
            session,
            site_id=self.site_id,
            actor=self.actor(actor_type),
            action=action,
            subject_type="conversation",
            subject_id=self._conversation_public_id(session),
            data=data,
        )

    def _conversation_public_id(self, session) -> str:
        # Audit subjects name conversations by public id, like the chat session does.
        if self._public_id is None:
            conversation = session.get(Conversation, self.conversation_id)
            self._public_id = conversation.public_id if conversation else str(self.conversation_id)
        return self._public_id

    def actor(self, actor_type: str = "assistant") -> Actor:
        """The assistant (or the visitor, for confirmations) in this conversation."""
        actor_id = self.visitor_id if actor_type == "visitor" else ""
        return Actor(actor_type, id=actor_id, conversation_id=self.conversation_id)

    # -- the read-only tools -----------------------------------------------------------------

    def search_knowledge(self, query: str, limit: int | None, context: str | None) -> ToolResult:
        """Knowledge passages (untrusted data) with the sentences that answer, and their sources.

        A question no passage answers with confidence is queued for staff, with the best
        candidate found, so they can see why it missed.
        """
        return knowledge_search.search_knowledge(self, query, limit, context)

    def list_services(self) -> ToolResult:
        """The site's active consultation types, with chips to pick one."""
        return listings.list_services(self)

    def service(self, wanted: str):
        """The active service with this slug (or name); InvalidBooking naming the valid slugs."""
        services = self.bookings.services(self.site_id)
        needle = wanted.strip().lower()
        for s in services:
            if needle in (s.slug.lower(), s.name.lower()):
                return s
        slugs = ", ".join(s.slug for s in services) or "none"
        raise InvalidBooking(f"Unknown service {wanted!r}; valid slugs: {slugs}.", field="service")

    def find_available_slots(
        self,
        service: str,
        start_date: date,
        end_date: date | None,
        time_zone: str | None,
        host: str | None = None,
    ) -> ToolResult:
        """Free starts of a service in a date range (one person's, or anyone's), with chips."""
        return slot_finder.find_slots(self, service, start_date, end_date, time_zone, host)

    def list_my_bookings(self) -> ToolResult:
        """This visitor's bookings on this site only, upcoming first."""
        return listings.list_my_bookings(self)

    def describe(self, booking, now: datetime) -> dict[str, Any]:
        """A booking as the model (and the offline engine) sees it."""
        return listings.describe(self, booking, now)

    def request_human(self, reason: str, name: str | None = None, email: str | None = None):
        """Flag the conversation for staff and tell the model they were notified; with a name
        and e-mail, keep them as the visitor's contact. Says whether a contact is known, so
        the assistant asks for one when it is not."""
        with self.db.transaction() as session:
            self._require_conversation(session)
            open_now = is_open_now(session.get(Site, self.site_id), self.now())
            conversation = session.get(Conversation, self.conversation_id)
            if email and conversation is not None:  # none in an evaluation's read-only run
                conversation.contact_email = email[:254]
                conversation.contact_name = (name or conversation.contact_name or "")[:200]
            known = self._contact_known(session)
        # Only from "bot": a conversation staff already handle (or closed) stays as it is. The
        # change is audited with the change itself (chat.status); the request is audited as
        # this tool call, and its reason stays in the transcript (erasable), not the log.
        status = self.change_status("needs_human", only_from=("bot",))
        message = "Staff were notified and will reply in this chat"
        message += "." if open_now else ", after opening hours (the business is closed now)."
        if not known:
            message += (
                " No contact is known: ask the visitor for their name and e-mail so the team"
                " can reach them if they leave, then call request_human again with them."
            )
        content = {"status": status, "open_now": open_now, "message": message}
        return ToolResult(content | {"contact_known": known, "contact_saved": bool(email)})

    def _contact_known(self, session) -> bool:
        """The visitor gave an e-mail asking for a person, or booked in this conversation."""
        conversation = session.get(Conversation, self.conversation_id)
        if conversation is None:
            return False  # an evaluation's read-only run has no stored conversation
        if conversation.contact_email:
            return True
        booked = select(Booking.id).where(
            Booking.conversation_id == self.conversation_id, Booking.email != ""
        )
        return session.scalars(booked.limit(1)).first() is not None

    def _require_conversation(self, session) -> None:
        """InvalidBooking unless this tool box's conversation still exists on its site."""
        conversation = session.get(Conversation, self.conversation_id)
        if conversation is None or conversation.site_id != self.site_id:
            raise InvalidBooking("This conversation no longer exists.", field="conversation")


def _valid_zone(name: str) -> str:
    try:
        return clean_timezone(name)
    except BookingError:
        return "UTC"
