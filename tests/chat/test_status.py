"""chat.status.change_status, the one way to change a conversation's status (both backends)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from frontdesk.assistant.tools.toolbox import ConversationTools
from frontdesk.audit import Actor
from frontdesk.booking.service import Bookings
from frontdesk.chat.hub import Hub, hub_for
from frontdesk.chat.status import change_status, status_changer
from frontdesk.db.models import AuditEvent, Conversation
from tests.support.conversations import conversation_status
from tests.support.fake_llm import FakeLLM
from tests.support.hub_events import next_event

STAFF = Actor("staff", id="7")


def status_events(db, public_id: str) -> list[AuditEvent]:
    with db.session() as session:
        return list(
            session.scalars(
                select(AuditEvent)
                .where(
                    AuditEvent.subject_id == public_id, AuditEvent.action == "conversation.status"
                )
                .order_by(AuditEvent.id)
            )
        )


def test_a_change_is_stored_audited_once_and_published_after_commit(db, site, conversation):
    hub = Hub()
    seen: list[tuple[str, dict, str, int]] = []

    def watch(channel: str):
        def deliver(frame: dict) -> None:
            # What another connection reads the moment the frame arrives: already committed.
            events = status_events(db, conversation.public_id)
            seen.append((channel, frame, conversation_status(db, conversation.id), len(events)))

        return deliver

    hub.subscribe(conversation.id, watch("conversation"))
    hub.subscribe_site(site.id, watch("site"))
    change = change_status(db, hub, conversation.id, "staff", actor=STAFF)

    assert (change.previous, change.status, change.changed) == ("bot", "staff", True)
    assert (change.public_id, change.site_id) == (conversation.public_id, site.id)
    assert conversation_status(db, conversation.id) == "staff"
    site_event = {"type": "status", "conversation": conversation.public_id, "status": "staff"}
    assert seen == [
        ("conversation", {"type": "status", "status": "staff"}, "staff", 1),
        ("site", site_event, "staff", 1),
    ]
    (event,) = status_events(db, conversation.public_id)
    assert event.data == {"from": "bot", "to": "staff"}
    assert (event.actor_type, event.actor_id, event.site_id) == ("staff", "7", site.id)
    assert event.subject_type == "conversation"


def test_no_change_writes_audits_and_publishes_nothing(db, conversation):
    hub = Hub()
    frames = hub.subscribe(conversation.id)
    with db.session() as session:
        updated_at = session.get(Conversation, conversation.id).updated_at
    same = change_status(db, hub, conversation.id, "bot", actor=STAFF)
    refused = change_status(db, hub, conversation.id, "needs_human", actor=STAFF, only_from=())
    assert (same.previous, same.status, same.changed) == ("bot", "bot", False)
    assert (refused.previous, refused.status, refused.changed) == ("bot", "bot", False)
    assert frames.get(timeout=0.2) is None
    assert status_events(db, conversation.public_id) == []
    with db.session() as session:
        assert session.get(Conversation, conversation.id).updated_at == updated_at


def test_only_from_leaves_other_statuses_alone(db, conversation):
    hub = Hub()
    change_status(db, hub, conversation.id, "staff", actor=STAFF)
    visitor = Actor("visitor", id="visitor-1", conversation_id=conversation.id)
    asked = change_status(
        db, hub, conversation.id, "needs_human", actor=visitor, only_from=("bot",)
    )
    assert (asked.previous, asked.status, asked.changed) == ("staff", "staff", False)
    assert conversation_status(db, conversation.id) == "staff"
    assert len(status_events(db, conversation.public_id)) == 1


def test_unknown_status_or_conversation_changes_nothing(db, conversation):
    hub = Hub()
    frames = hub.subscribe(conversation.id)
    with pytest.raises(ValueError):
        change_status(db, hub, conversation.id, "asleep", actor=STAFF)
    with pytest.raises(LookupError):
        change_status(db, hub, conversation.id + 1000, "staff", actor=STAFF)
    assert conversation_status(db, conversation.id) == "bot"
    assert frames.get(timeout=0.2) is None
    assert status_events(db, conversation.public_id) == []


def test_concurrent_changes_never_lose_one(db, site, conversation):
    """Requests for a person race with a takeover: each change sees the one before it."""
    hub = Hub()
    frames = hub.subscribe(conversation.id)
    start = threading.Barrier(6)
    results = []

    def request(status: str, only_from: tuple[str, ...]) -> None:
        start.wait()
        results.append(
            change_status(db, hub, conversation.id, status, actor=STAFF, only_from=only_from)
        )

    threads = [threading.Thread(target=request, args=("needs_human", ("bot",))) for _ in range(5)]
    threads.append(threading.Thread(target=request, args=("staff", ("bot", "needs_human"))))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    changed = [result for result in results if result.changed]
    assert len(results) == 6 and conversation_status(db, conversation.id) == "staff"
    assert sum(1 for result in changed if result.status == "needs_human") <= 1
    events = status_events(db, conversation.public_id)
    assert len(events) == len(changed)
    chain = ["bot"] + [event.data["to"] for event in events]
    assert [event.data["from"] for event in events] == chain[:-1]  # no change was overwritten
    published = [frames.get(timeout=1) for _ in changed]
    assert [frame["status"] for frame in published] == chain[1:]
    assert frames.get(timeout=0.2) is None


NOW = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)  # Wednesday lunch break in Sydney


def test_the_request_human_tool_changes_the_status_through_the_chat(db, site, conversation):
    hub = Hub()
    events = hub.subscribe_site(site.id)
    assistant = Actor("assistant", conversation_id=conversation.id)
    tools = ConversationTools(
        db, Bookings(db, secret_key="s", public_url="http://frontdesk.test"), site,
        conversation_id=conversation.id, visitor_id="visitor-1", visitor_tz="UTC",
        change_status=status_changer(db, hub, conversation.id, assistant), now=NOW,
    )  # fmt: skip
    result = tools.call("request_human", {"reason": "wants a discount"})
    assert result.ok and result.content["status"] == "needs_human"
    # Published at once, not after the turn.
    assert next_event(events, "status")["status"] == "needs_human"
    (event,) = status_events(db, conversation.public_id)
    assert event.data == {"from": "bot", "to": "needs_human"}
    assert (event.actor_type, event.conversation_id) == ("assistant", conversation.id)
    again = tools.call("request_human", {"reason": "still waiting"})
    assert again.ok and again.content["status"] == "needs_human"
    assert len(status_events(db, conversation.public_id)) == 1


def test_a_tool_status_change_reaches_the_visitor_socket(chat):
    chat.llm.script(
        FakeLLM.tool_calls([("request_human", {"reason": "wants a person"})]),
        chat.llm.text("I've asked the team to join."),
    )
    events = hub_for(chat.app).subscribe_site(chat.site.id)
    with chat.client() as client:
        conversation = client.hello()["conversation"]
        client.say("Can a person help me?")
        assert client.expect("status")["status"] == "needs_human"
        client.expect("message", role="assistant")
    chat.idle()
    event = next_event(events, "status")
    assert event == {"type": "status", "conversation": conversation, "status": "needs_human"}
    assert chat.conversation(conversation).status == "needs_human"
    events.close()
