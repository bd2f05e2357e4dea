"""Assistant turns over the socket: streaming, limits, failures, staff silence, actions."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import select

from frontdesk.chat import staffing
from frontdesk.chat.hub import hub_for
from frontdesk.db.models import StaffUser, TokenUsage
from tests.support.hub_events import next_event


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_message_is_answered_with_typing_deltas_and_a_stored_reply(start_chat, backend):
    chat = start_chat(backend)
    # A provider slow to begin: the typing indicator shows while it works.
    chat.llm.script(replace(chat.llm.text("Hello! We build websites.", chunks=3), delay=0.3))
    with chat.client() as client:
        conversation = client.hello()["conversation"]
        client.say("What do you do?", "q1")
        reply = client.expect("message", role="assistant")
        kinds = [f["type"] for f in client.received]
    assert reply["text"] == "Hello! We build websites."
    assert reply["html"] == "<p>Hello! We build websites.</p>"
    deltas = [f for f in client.received if f["type"] == "delta"]
    assert "".join(d["text"] for d in deltas) == "Hello! We build websites."
    assert {d["reply"] for d in deltas} == {reply["reply"]}
    assert (
        kinds.index("typing") < kinds.index("delta") < kinds.index("message", kinds.index("delta"))
    )
    chat.idle()
    stored = chat.entries(conversation, ("visitor", "assistant"))
    assert [(e.role, e.text) for e in stored] == [
        ("visitor", "What do you do?"), ("assistant", "Hello! We build websites."),
    ]  # fmt: skip
    assert "What do you do?" in str(chat.llm.chat_requests[0]["messages"])
    assert chat.conversation(conversation).turns == 1


def test_messages_sent_during_a_turn_are_answered_in_order(chat):
    chat.llm.script(chat.llm.text("first answer"), chat.llm.text("second answer"))
    with chat.client() as client:
        client.hello()
        client.send({"type": "message", "id": "a", "text": "one"})
        client.send({"type": "message", "id": "b", "text": "two"})
        first = client.expect("message", role="assistant")
        second = client.expect("message", role="assistant")
    assert (first["text"], second["text"]) == ("first answer", "second answer")
    assert first["seq"] < second["seq"]
    second_request = str(chat.llm.chat_requests[1]["messages"])
    assert "first answer" in second_request and "two" in second_request


def test_turns_run_off_the_receive_loop(chat):
    slow = replace(chat.llm.text("slow answer"), delay=1.5)
    chat.llm.script(slow, chat.llm.text("second"))
    with chat.client() as client:
        client.hello()
        client.say("first question", "q1")
        client.send({"type": "message", "id": "q2", "text": "are you there?"})
        client.send({"type": "ping"})
        client.expect("message", role="assistant")
        kinds = [(f["type"], f.get("id")) for f in client.received]
    # While the first turn waited on the provider, the socket still acked and ponged.
    answered = kinds.index(("message", None))
    assert kinds.index(("ack", "q2")) < answered
    assert kinds.index(("pong", None)) < answered


def test_staff_status_keeps_the_bot_silent_and_staff_can_write(chat):
    with chat.db.transaction() as session:
        staff = StaffUser(email="sam@studio.test", name="Sam", password_hash="x")
        session.add(staff)
    with chat.client() as client:
        conversation = client.hello()["conversation"]
        staffing.set_status(chat.app, conversation, "staff", staff)
        assert client.expect("status")["status"] == "staff"
        joined = client.expect("message", role="system")
        assert "Sam" in joined["text"]
        client.say("are you a human?", "h1")
        chat.idle()
        staffing.post_staff_message(chat.app, conversation, staff, "Yes, I'm Sam.")
        message = client.expect("message", role="staff")
    assert (message["text"], message["author"]) == ("Yes, I'm Sam.", "Sam")
    assert chat.llm.chat_requests == []
    assert [e.role for e in chat.entries(conversation)] == ["system", "visitor", "staff"]


def test_staff_message_takes_over_from_the_bot(chat):
    with chat.db.transaction() as session:
        session.add(StaffUser(email="kim@studio.test", name="Kim", password_hash="x"))
    with chat.db.session() as session:
        staff = session.scalars(select(StaffUser)).one()
    with chat.client() as client:
        conversation = client.hello()["conversation"]
        staffing.post_staff_message(chat.app, conversation, staff, "Hi, Kim here.")
        assert client.expect("status")["status"] == "staff"
        assert client.expect("message", role="staff")["text"] == "Hi, Kim here."
    assert chat.conversation(conversation).status == "staff"


def test_turn_limit_sends_budget_exhausted(start_chat):
    chat = start_chat(MAX_TURNS_PER_CONVERSATION=1)
    chat.llm.script(chat.llm.text("only answer"))
    with chat.client() as client:
        client.hello()
        client.say("one")
        client.expect("message", role="assistant")
        client.say("two")
        notice = client.expect("message", role="system")
        error = client.expect("error")
    assert "can't answer any more" in notice["text"]
    assert error["code"] == "budget_exhausted"
    assert len(chat.llm.chat_requests) == 1


def test_the_turns_own_notes_are_in_the_visitors_language(start_chat):
    chat = start_chat(MAX_TURNS_PER_CONVERSATION=1)
    chat.llm.script(chat.llm.text("Bonjour !"))
    with chat.client() as client:
        client.hello(lang="es-MX")
        client.say("hola")
        client.expect("message", role="assistant")
        client.say("otra pregunta")
        notice = client.expect("message", role="system")
    assert notice["text"].startswith("Nuestro asistente no puede responder más mensajes ahora.")
    # ... and the LLM heard which language to answer in.
    system = chat.llm.chat_requests[0]["messages"][0]["content"]
    assert "The visitor's page language is Spanish (Mexico)." in system


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_spent_daily_budget_hands_turns_to_the_offline_engine(start_chat, backend):
    chat = start_chat(backend, site={"daily_token_budget": 10})
    chat.llm.script(chat.llm.text("spent it", usage=(40, 5)))
    with chat.client() as client:
        conversation = client.hello()["conversation"]
        client.say("one")
        assert client.expect("message", role="assistant")["text"] == "spent it"
        chat.idle()
        client.say("What services do you offer?")
        offline = client.expect("message", role="assistant")  # answered, not silenced
    assert offline["text"] and offline["text"] != "spent it"
    assert len(chat.llm.chat_requests) == 1
    assert not [f for f in client.received if f.get("type") == "error"]
    with chat.db.session() as session:
        usage = session.scalars(select(TokenUsage)).one()
    assert (usage.site_id, usage.prompt_tokens, usage.completion_tokens) == (chat.site.id, 40, 5)
    stored = chat.conversation(conversation)
    assert (stored.prompt_tokens, stored.completion_tokens) == (40, 5)


def test_one_visitor_cannot_spend_the_sites_budget(start_chat):
    chat = start_chat(site={"daily_token_budget": 1000}, VISITOR_TOKEN_SHARE=0.1,
                      IP_TOKEN_SHARE=0.5)  # fmt: skip
    chat.llm.responder = lambda body: chat.llm.text("from the model", usage=(100, 50))
    with chat.client() as greedy:
        greedy.hello()
        greedy.say("one")
        assert greedy.expect("message", role="assistant")["text"] == "from the model"
        chat.idle()
        greedy.say("two")  # 150 tokens spent: over this visitor's 100
        assert greedy.expect("message", role="assistant")["text"] != "from the model"
    assert len(chat.llm.chat_requests) == 1
    for n in range(3):  # new visitors from the same address, until its share (500) is spent
        with chat.client() as other:
            other.hello()
            other.say(f"hello {n}")
            assert other.expect("message", role="assistant")["text"] == "from the model"
            chat.idle()
    with chat.client() as late:  # 600 tokens from this address: over its share
        late.hello()
        late.say("hello")
        assert late.expect("message", role="assistant")["text"] != "from the model"
    assert len(chat.llm.chat_requests) == 4


def test_engine_failure_apologises_and_keeps_the_socket(start_chat):
    chat = start_chat(ENGINE="no-such-engine")  # engine selection raises inside the turn
    with chat.client() as client:
        client.hello()
        client.say("hello?")
        apology = client.expect("message", role="system")
        assert "went wrong" in apology["text"]
        assert client.expect("error")["code"] == "internal"
        client.send({"type": "ping"})
        assert client.expect("pong")["type"] == "pong"


def test_reply_action_is_a_visitor_message_acked_with_the_action_id(chat):
    chat.llm.script(chat.llm.text("Sure."))
    with chat.client() as client:
        conversation = client.hello()["conversation"]
        client.send({"type": "action", "id": "chip-1", "name": "reply", "value": "Pricing"})
        ack = client.expect("ack", id="chip-1")
        client.expect("message", role="assistant")
    stored = chat.entries(conversation, ("visitor",))
    assert [(e.seq, e.client_id, e.text) for e in stored] == [(ack["seq"], "chip-1", "Pricing")]
    assert stored[0].payload == {"via": "choice"}  # a chip's words: no question on the overview


def test_human_action_flags_the_conversation_for_staff(chat):
    events = hub_for(chat.app).subscribe_site(chat.site.id)
    with chat.client() as client:
        conversation = client.hello()["conversation"]
        client.send({"type": "action", "id": "h-1", "name": "human", "value": ""})
        ack = client.expect("ack", id="h-1")
        notice = client.expect("message", role="system")
        assert client.expect("status")["status"] == "needs_human"
        client.send({"type": "action", "id": "h-1", "name": "human", "value": ""})
        assert client.expect("ack", id="h-1")["seq"] == ack["seq"]  # once only
    assert notice["seq"] == ack["seq"]
    assert chat.conversation(conversation).status == "needs_human"
    event = next_event(events, "status")
    assert event == {"type": "status", "conversation": conversation, "status": "needs_human"}
    events.close()


def test_confirm_of_an_unknown_proposal_explains_and_books_nothing(chat):
    with chat.client() as client:
        conversation = client.hello()["conversation"]
        client.send({"type": "action", "id": "c-1", "name": "confirm", "value": "pr_nope"})
        client.expect("ack", id="c-1")
        reply = client.expect("message", role="assistant")
    assert "doesn't exist" in reply["text"]
    assert reply["card"] is None
    roles = [e.role for e in chat.entries(conversation)]
    assert roles == ["tool_call", "tool_result", "assistant"]


def test_the_engines_are_imported_in_the_background_once_a_server_starts(tmp_path, sqlite_url):
    """The first visitor after a start must not wait ~1 s for openai and the offline engine
    (dateparser) to import: `frontdesk serve` and serve_app() call frontdesk.warm_up() once
    listening. create_app alone (every command, every test app) does not import them."""
    script = f"""
import sys
import frontdesk
wanted = ("openai", "frontdesk.assistant.offline.engine", "dateparser")
frontdesk.create_app({{"DATABASE_URL": {sqlite_url!r}, "INSTANCE_PATH": {str(tmp_path)!r},
                      "SECRET_KEY": "x", "MAIL_WORKER": False, "CALENDAR_WORKER": False}})
print(any(name in sys.modules for name in wanted))
frontdesk.warm_up().join(60)
print(all(name in sys.modules for name in wanted))
"""
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": f"{root / 'server'}{os.pathsep}{root}"}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=90
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "True"]


def test_a_settings_change_reaches_the_next_turn_of_an_open_chat(chat):
    from frontdesk.audit import Actor
    from frontdesk.staff import settings_store

    chat.llm.script(chat.llm.text("one"), chat.llm.text("two"))
    with chat.client() as client:
        client.hello()
        client.send({"type": "message", "id": "a", "text": "first"})
        client.expect("message", role="assistant")
        settings_store.update_site_fields(
            chat.db, chat.site.id, Actor("staff", "owner@studio.test"), "settings.profile",
            {"profile": "We now also repair bicycles."},
        )  # fmt: skip
        client.send({"type": "message", "id": "b", "text": "second"})
        client.expect("message", role="assistant")
    assert "repair bicycles" not in str(chat.llm.chat_requests[0]["messages"][0])
    assert "repair bicycles" in str(chat.llm.chat_requests[1]["messages"][0])


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_dropped_stream_is_withdrawn_and_only_the_whole_answer_is_stored(start_chat, backend):
    chat = start_chat(backend)
    chat.llm.script(
        chat.llm.dropped("I could not find anything about", after=2),
        chat.llm.text("We build websites and shops."),
    )
    with chat.client() as client:
        conversation = client.hello()["conversation"]
        client.say("What do you do?", "q1")
        reply = client.expect("message", role="assistant")
        kinds = [f["type"] for f in client.received]
    assert reply["text"] == "We build websites and shops."
    assert kinds.index("delta") < kinds.index("discard") < kinds.index("message", 3)
    chat.idle()
    stored = chat.entries(conversation, ("assistant", "system"))
    assert [(e.role, e.text) for e in stored] == [("assistant", "We build websites and shops.")]


def test_a_turn_past_its_deadline_gets_the_offline_answer_and_the_late_one_is_dropped(start_chat):
    chat = start_chat(TURN_DEADLINE=1.0, LLM_TIMEOUT=10.0)
    late = "A very late answer from a struggling provider."
    chat.llm.script(chat.llm.slow(late, every=0.4, chunks=10))
    with chat.client() as client:
        conversation = client.hello()["conversation"]
        client.say("What do you do?", "q1")
        notice = client.expect("message", role="system")
        basic = client.expect("message", role="assistant")
    assert "taking too long" in notice["text"]
    assert basic["text"] and late not in basic["text"]
    chat.idle()
    texts = [e.text for e in chat.entries(conversation)]
    assert not any("late answer" in text for text in texts)
    assert chat.conversation(conversation).turns == 1
