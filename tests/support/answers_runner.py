"""Ask the answer-quality questions of the real offline engine and judge its replies.

Each business gets its own migrated SQLite database: the site, services and hours are created
as an owner would, the pages go through the real ingest path (the demo through `create_demo`,
as `make run` does), and every question is a fresh conversation whose turns are real `Turn`s
answered by `OfflineEngine` with the real tools. A `setup = "booked"` question first gets a
real booking: the booking dialogue its history started is finished and confirmed, or one is
proposed and confirmed through the tools.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from frontdesk.assistant.tools.toolbox import ConversationTools
from frontdesk.audit import Actor
from frontdesk.booking.service import Bookings
from frontdesk.chat.hub import Hub
from frontdesk.chat.site_cache import load_site_by_id
from frontdesk.chat.status import status_changer
from frontdesk.db import Database
from frontdesk.db.migrate import upgrade
from frontdesk.db.models import Conversation, OpeningHours, Service, UnansweredQuestion
from frontdesk.knowledge.ingest import ingest_paths
from frontdesk.sites import create_site
from tests.support.answers_conversation import Recorder, VisitorChat
from tests.support.answers_dataset import Business, Question, has_facts
from tests.support.answers_stages import stage_of

# A Wednesday, mid-morning wherever the business is: every weekday phrase has days ahead of it.
LOCAL_NOW = datetime(2026, 11, 25, 10, 0)
# What a chip offers, read from its label the way a visitor reads it.
CHIP_ACTIONS = (
    ("book", "book"),
    ("cancel", "cancel"),
    ("reschedule", "reschedule"),
    ("move", "reschedule"),
    ("my bookings", "list_bookings"),
    ("talk to a person", "human"),
)
CARD_ACTIONS = {
    "booking_proposal": "book",
    "reschedule_proposal": "reschedule",
    "cancel_proposal": "cancel",
}


@dataclass
class Outcome:
    """One question's reply and the verdict on it."""

    question: Question
    passed: bool
    reason: str  # "" when passed, else what was wrong
    text: str
    started: str | None
    offered: list[str] = field(default_factory=list)
    stage: str = ""  # for a failure when asked for: where its facts were lost (answers_stages)


class BusinessRun:
    """A business set up in its own database, ready to be asked questions."""

    def __init__(self, business: Business, folder: Path, *, stages: bool = False) -> None:
        self.business = business
        self.stages = stages
        self.db = Database(f"sqlite:///{folder / business.key}.sqlite3")
        upgrade(self.db)
        zone = ZoneInfo(business.timezone)
        self.now = LOCAL_NOW.replace(tzinfo=zone).astimezone(UTC)
        self.site_id = set_up_site(self.db, business, folder)
        self.site = load_site_by_id(self.db, self.site_id)
        self.services = [s.slug for s in self.site.services if s.active]
        self.bookings = Bookings(self.db, secret_key="bench-secret", public_url="http://bench.test")

    def close(self) -> None:
        """Release the database."""
        self.db.dispose()

    def tools_for(self, visitor_id: str) -> ConversationTools:
        """The real tools for a fresh conversation of this visitor."""
        with self.db.transaction() as session:
            conversation = Conversation(
                public_id=f"cv_{visitor_id}",
                site_id=self.site_id,
                visitor_id=visitor_id,
                visitor_tz=self.business.timezone,
            )
            session.add(conversation)
            session.flush()
            conversation_id = conversation.id
        return ConversationTools(
            self.db,
            self.bookings,
            self.site,
            conversation_id=conversation_id,
            visitor_id=visitor_id,
            visitor_tz=self.business.timezone,
            now=self.now,
            public_id=f"cv_{visitor_id}",
            change_status=status_changer(
                self.db, Hub(), conversation_id, Actor("assistant", conversation_id=conversation_id)
            ),
        )

    def ask(self, question: Question) -> Outcome:
        """Play the question's conversation and judge the last reply."""
        chat = VisitorChat(self, question.id)
        reply: dict[str, Any] = {"text": "", "choices": [], "card": None}
        for earlier in question.history:
            reply, _ = chat.say(earlier)
        if question.setup == "booked" and not (
            chat.finish_booking(reply) or chat.book_through_tools()
        ):
            return Outcome(question, False, "setup: could not book", "", None, stage="other")
        reply, out = chat.say(question.text)
        outcome = self.judge(question, chat, reply, out)
        if self.stages and not outcome.passed:
            searches = [(a, r) for _, name, a, r in out.tools if name == "search_knowledge"]
            outcome.stage = stage_of(question, outcome.reason, chat.tools, searches)
        return outcome

    def judge(self, question: Question, chat: VisitorChat, reply, out: Recorder) -> Outcome:
        """Whether the reply does what the question expects."""
        started = started_action(reply, out, chat.state)
        offered = offered_actions(reply)
        text = reply["text"]

        def outcome(reason: str) -> Outcome:
            return Outcome(question, not reason, reason, text, started, offered)

        if question.facts:
            if started:
                return outcome(f"started {started}")
            if not has_facts(text, question.facts):
                return outcome("fact missing")
            if question.offer and question.offer not in offered:
                return outcome(f"no {question.offer} chip")
            return outcome("")
        if question.action == "unanswered":
            if started:
                return outcome(f"started {started}")
            if not self.recorded(chat.tools.conversation_id):
                return outcome("not recorded as unanswered")
            if "human" not in offered:
                return outcome("no person offered")
            return outcome("")
        if started != question.action:
            return outcome(f"started {started or 'nothing'}")
        return outcome("")

    def recorded(self, conversation_id: int) -> bool:
        """Whether the conversation left a question for staff."""
        with self.db.session() as session:
            return bool(
                session.scalar(
                    select(func.count())
                    .select_from(UnansweredQuestion)
                    .where(UnansweredQuestion.conversation_id == conversation_id)
                )
            )


def started_action(reply: dict[str, Any], out: Recorder, state: dict[str, Any]) -> str | None:
    """The action a reply started: a card, a dialogue under way, a hand-over or a listing."""
    card = reply.get("card") or {}
    if card.get("type") in CARD_ACTIONS:
        return CARD_ACTIONS[card["type"]]
    if state.get("flow") in ("book", "reschedule", "cancel"):
        return state["flow"]
    called = [name for _, name, _, _ in out.tools]
    if "request_human" in called:
        return "human"
    if "list_my_bookings" in called:
        return "list_bookings"
    return None


def offered_actions(reply: dict[str, Any]) -> list[str]:
    """The actions the reply's chips offer."""
    offered = []
    for choice in reply.get("choices", []):
        label = choice.label.lower()
        for prefix, action in CHIP_ACTIONS:
            if label.startswith(prefix) and action not in offered:
                offered.append(action)
    return offered


def set_up_site(db: Database, business: Business, folder: Path) -> int:
    """Create the business's site as its owner would and ingest its pages; returns its id."""
    if business.key == "demo":
        from frontdesk.demo import DEMO_KEY, create_demo
        from frontdesk.sites import site_by_key
        from frontdesk.staff.accounts import password_hasher

        # Nobody signs in to these sites: the cheapest hashing makes them fastest.
        create_demo(
            db,
            instance_path=str(folder / "demo"),
            demo_host_url="http://demo.test",
            hasher=password_hasher("CHEAPEST"),
        )
        with db.session() as session:
            return site_by_key(session, DEMO_KEY).id
    with db.transaction() as session:
        site = create_site(
            session, name=business.name, timezone=business.timezone, origins=[], min_notice_min=60
        )
        site.profile = business.profile
        site.greeting = business.greeting
        for position, s in enumerate(business.services):
            session.add(
                Service(
                    site_id=site.id,
                    slug=s.slug,
                    name=s.name,
                    duration_min=s.duration_min,
                    price_text=s.price_text,
                    description=s.description,
                    position=position,
                )
            )
        for h in business.hours:
            session.add(
                OpeningHours(site_id=site.id, weekday=h.weekday, start_time=h.start, end_time=h.end)
            )
        site_id = site.id
    ingest_paths(db, site_id, [str(page) for page in business.pages])
    return site_id


def run_business(
    business: Business, questions: list[Question], *, stages: bool = False
) -> list[Outcome]:
    """Set the business up in a temporary folder and ask it every question (and, with
    `stages`, say at which stage each failure was lost)."""
    with tempfile.TemporaryDirectory() as folder:
        run = BusinessRun(business, Path(folder), stages=stages)
        try:
            return [run.ask(question) for question in questions]
        finally:
            run.close()
