"""Handing a conversation back to the assistant: the question the visitor asked while staff had
the chat, and that no one answered, is answered then, once."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select

from frontdesk import create_app
from frontdesk.chat import staffing
from frontdesk.chat.runner import runner_for
from frontdesk.db.models import StaffUser
from tests.support.apps import app_config


def add_staff(chat) -> StaffUser:
    with chat.db.transaction() as session:
        session.add(StaffUser(email="sam@studio.test", name="Sam", password_hash="x"))
    with chat.db.session() as session:
        return session.scalars(select(StaffUser)).one()


def taken_over_with_a_question(chat, client, staff) -> str:
    """Staff take the chat over, then the visitor asks; the assistant stays silent."""
    conversation = client.hello()["conversation"]
    staffing.set_status(chat.app, conversation, "staff", staff)
    client.expect("status", status="staff")
    client.say("Do you build online shops?", "q1")
    chat.idle()
    assert chat.entries(conversation, ("assistant",)) == []
    return conversation


def roles_after_handback(chat, conversation: str) -> list[str]:
    entries = chat.entries(conversation, ("visitor", "staff", "assistant", "system"))
    return [e.role for e in entries][[e.role for e in entries].index("visitor") :]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_question_asked_during_a_takeover_is_answered_on_hand_back(start_chat, backend):
    chat = start_chat(backend)
    staff = add_staff(chat)
    chat.llm.script(chat.llm.text("Yes, we build online shops."))
    with chat.client() as client:
        conversation = taken_over_with_a_question(chat, client, staff)
        staffing.set_status(chat.app, conversation, "bot", staff)
        client.expect("status", status="bot")
        answer = client.expect("message", role="assistant")
    chat.idle()
    assert answer["text"] == "Yes, we build online shops."
    assert "Do you build online shops?" in str(chat.llm.chat_requests[0]["messages"])
    # The note that the assistant is back comes first, then its answer; nothing is left to do.
    assert roles_after_handback(chat, conversation) == ["visitor", "system", "assistant"]
    assert not any(e.work_pending for e in chat.entries(conversation))


def test_a_question_staff_already_answered_is_left_alone(chat):
    staff = add_staff(chat)
    with chat.client() as client:
        conversation = taken_over_with_a_question(chat, client, staff)
        staffing.post_staff_message(chat.app, conversation, staff, "Yes, we do.")
        staffing.set_status(chat.app, conversation, "bot", staff)
        client.expect("status", status="bot")
    chat.idle()
    assert chat.llm.chat_requests == []
    assert roles_after_handback(chat, conversation) == ["visitor", "staff", "system"]


def test_hand_back_clicked_twice_and_taken_over_again_answers_once(chat):
    staff = add_staff(chat)
    chat.llm.script(chat.llm.text("Yes."), chat.llm.text("A second answer!"))
    with chat.client() as client:
        conversation = taken_over_with_a_question(chat, client, staff)
        for _ in range(2):
            staffing.set_status(chat.app, conversation, "bot", staff)
        chat.idle()
        # Taken over and handed back again: the question has its answer already.
        staffing.set_status(chat.app, conversation, "staff", staff)
        staffing.set_status(chat.app, conversation, "bot", staff)
        chat.idle()
    assert [e.text for e in chat.entries(conversation, ("assistant",))] == ["Yes."]
    assert len(chat.llm.chat_requests) == 1


def test_two_processes_handing_back_at_once_answer_once(start_chat, tmp_path):
    chat = start_chat("postgresql")
    staff = add_staff(chat)
    chat.llm.script(chat.llm.text("Yes."), chat.llm.text("A second answer!"))
    # A second app on the same database: another process's runner, claims and locks.
    other = create_app(
        app_config(chat.db.url, tmp_path, ENGINE="llm"), llm_client=chat.llm.client()
    )
    try:
        with chat.client() as client:
            conversation = taken_over_with_a_question(chat, client, staff)
            start = threading.Barrier(2)

            def hand_back(app) -> None:
                start.wait()
                staffing.set_status(app, conversation, "bot", staff)

            threads = [threading.Thread(target=hand_back, args=(a,)) for a in (chat.app, other)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(10)
            # Whichever app wins the hand-back answers; without Redis (two apps in one test
            # process stand in for two processes) only the winner's own sockets see its
            # frames, so the answer is looked for in the database, where both write.
            deadline = time.monotonic() + 30
            while not chat.entries(conversation, ("assistant",)):
                assert time.monotonic() < deadline, "no process answered the handed-back question"
                time.sleep(0.05)
            for app in (chat.app, other):
                assert runner_for(app).wait_idle(timeout=30)
    finally:
        other.extensions["frontdesk.db"].dispose()
    assert [e.text for e in chat.entries(conversation, ("assistant",))] == ["Yes."]
    assert [e.role for e in chat.entries(conversation, ("system",))].count("system") == 2


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_hand_back_while_the_silent_turn_runs_still_gets_the_question_answered(
    start_chat, backend
):
    chat = start_chat(backend, site={"moderation": {"mode": "provider"}})
    staff = add_staff(chat)
    chat.llm.script(chat.llm.text("Yes, we do."))
    with chat.client() as client:
        conversation = client.hello()["conversation"]
        staffing.set_status(chat.app, conversation, "staff", staff)
        client.expect("status", status="staff")
        # The turn reads "staff", then waits on moderation while staff hand back.
        chat.llm.moderation_open.clear()
        client.say("Do you build online shops?", "q1")
        deadline = time.monotonic() + 10
        while not any(r.path.endswith("/moderations") for r in chat.llm.requests):
            assert time.monotonic() < deadline, "the turn never reached moderation"
            time.sleep(0.01)
        staffing.set_status(chat.app, conversation, "bot", staff)
        chat.llm.moderation_open.set()
        answer = client.expect("message", role="assistant")
    chat.idle()
    assert answer["text"] == "Yes, we do."
    assert len(chat.entries(conversation, ("assistant",))) == 1
    assert not any(e.work_pending for e in chat.entries(conversation))
