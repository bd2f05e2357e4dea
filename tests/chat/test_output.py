"""ChatOutput during a turn: the last message is stored with the turn's bookkeeping, in order."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from frontdesk.assistant.base import ToolResult
from frontdesk.chat import transcript
from frontdesk.chat.hub import Hub
from frontdesk.chat.output import ChatOutput
from frontdesk.db.models import Conversation, Message, TokenUsage
from tests.support.conversations import conversation_snapshot


@pytest.fixture
def setup(db, site, conversation):
    hub = Hub()
    frames = hub.subscribe(conversation.id)
    out = ChatOutput(db, hub, site_id=site.id, conversation_id=conversation.id)
    return db, conversation, out, frames


def published(frames) -> list[tuple]:
    seen = []
    while (frame := frames.get(timeout=0.01)) is not None:
        seen.append((frame["type"], frame.get("seq"), frame.get("text")))
    return seen


def stored(db, conversation) -> list[tuple]:
    with db.session() as orm:
        rows = orm.scalars(
            select(Message).where(Message.conversation_id == conversation.id).order_by(Message.seq)
        ).all()
        return [(row.seq, row.role, row.text) for row in rows]


def test_a_turns_messages_tools_and_bookkeeping_keep_their_order(setup):
    db, conversation, out, frames = setup
    out.begin_turn()
    out.message("Let me check.")
    assert stored(db, conversation) == []  # held until the next output
    out.record_tool("c1", "list_services", {}, ToolResult({"services": []}))
    out.typing()
    out.record_usage(120, 30)
    out.message("We offer **consultations**.", reply_id="r_1")
    status = out.finish_turn({"step": "done"})
    assert status == "bot"
    assert stored(db, conversation) == [
        (1, "assistant", "Let me check."),
        (2, "tool_call", "list_services"),
        (3, "tool_result", "list_services"),
        (4, "assistant", "We offer **consultations**."),
    ]
    assert published(frames) == [
        ("message", 1, "Let me check."),
        ("typing", None, None),
        ("message", 4, "We offer **consultations**."),
    ]
    row = conversation_snapshot(db, conversation.id)
    assert (row.turns, row.engine_state) == (1, {"step": "done"})
    with db.session() as orm:
        saved = orm.get(Conversation, conversation.id)
        assert (saved.prompt_tokens, saved.completion_tokens) == (120, 30)
        assert orm.scalars(select(TokenUsage.prompt_tokens)).all() == [120]
    assert out.messages_sent == 2


def test_a_turn_without_a_held_message_still_counts(setup):
    db, conversation, out, frames = setup
    out.begin_turn()
    out.post("system", "Sorry, something went wrong.")  # posts are never held
    out.error("internal", "the assistant failed to answer")
    assert out.finish_turn({}) == "bot"
    assert stored(db, conversation) == [(1, "system", "Sorry, something went wrong.")]
    assert [kind for kind, *_ in published(frames)] == ["message", "error"]
    assert conversation_snapshot(db, conversation.id).turns == 1


def test_outside_a_turn_messages_go_out_at_once(setup):
    db, conversation, out, frames = setup
    out.message("Booked.")
    assert stored(db, conversation) == [(1, "assistant", "Booked.")]
    assert published(frames) == [("message", 1, "Booked.")]
    entry, _ = transcript.append(db, conversation.id, "visitor", "thanks")
    assert entry.seq == 2


def test_a_frame_reaches_others_only_when_someone_else_listens():
    hub = Hub()
    own = hub.subscribe(7, lambda frame: None)
    assert not hub.reaches_others(7, own)  # the sender's socket alone: nothing to publish
    assert hub.reaches_others(7, None)
    other = hub.subscribe(7)
    assert hub.reaches_others(7, own)
    other.close()
    assert not hub.reaches_others(7, own)
    hub.relay = object()  # with Redis, other processes may listen: always publish
    assert hub.reaches_others(7, own)
