"""Storing visitor messages: ack after storage, seq, dedupe, reconnect, ownership, two tabs."""

from __future__ import annotations

import threading

import pytest

from frontdesk.assistant.base import ToolResult
from frontdesk.chat.hub import hub_for
from frontdesk.chat.output import ChatOutput

BACKENDS = ["sqlite", "postgresql"]


def quiet_conversation(chat, client) -> str:
    """Hello, then hand the conversation to staff so the bot never answers."""
    conversation = client.hello()["conversation"]
    chat.set_status(conversation, "staff")
    return conversation


@pytest.mark.parametrize("backend", BACKENDS)
def test_ack_comes_after_storage_with_next_seq(start_chat, backend):
    chat = start_chat(backend)
    with chat.client() as client:
        conversation = quiet_conversation(chat, client)
        first = client.say("hello there", "id-1")
        stored = chat.entries(conversation)  # read as soon as the ack is in
        assert [(e.seq, e.role, e.client_id, e.text) for e in stored] == [
            (1, "visitor", "id-1", "hello there")
        ]
        assert first == {"type": "ack", "id": "id-1", "seq": 1}
        assert client.say("second", "id-2")["seq"] == 2


@pytest.mark.parametrize("backend", BACKENDS)
def test_repeated_id_is_acked_with_original_seq_and_stored_once(start_chat, backend):
    chat = start_chat(backend)
    with chat.client() as client:
        conversation = quiet_conversation(chat, client)
        assert client.say("once", "dup")["seq"] == 1
        assert client.say("once again?", "dup")["seq"] == 1
        assert client.say("next", "other")["seq"] == 2
    assert [(e.client_id, e.text) for e in chat.entries(conversation)] == [
        ("dup", "once"), ("other", "next"),
    ]  # fmt: skip


@pytest.mark.parametrize("backend", BACKENDS)
def test_racing_sockets_store_each_id_once_with_unique_seqs(start_chat, backend):
    chat = start_chat(backend, FRAMES_PER_MINUTE=1000, FRAMES_PER_MINUTE_PER_IP=1000)
    first = chat.client()
    conversation = quiet_conversation(chat, first)
    second = chat.client()
    second.hello(visitor=first.welcome["visitor"], conversation=conversation)
    ids = [f"m{i}" for i in range(15)]
    acks: dict[int, dict[str, int]] = {0: {}, 1: {}}

    def send_all(index: int, client) -> None:
        for frame_id in ids:  # both tabs send the same ids at the same time
            client.send({"type": "message", "id": frame_id, "text": f"text {frame_id}"})
        while len(acks[index]) < len(ids):
            ack = client.expect("ack")
            acks[index][ack["id"]] = ack["seq"]

    threads = [
        threading.Thread(target=send_all, args=(i, c)) for i, c in enumerate((first, second))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    first.close()
    second.close()
    assert acks[0] == acks[1]
    rows = chat.entries(conversation)
    assert sorted(e.client_id for e in rows) == sorted(ids)
    assert sorted(e.seq for e in rows) == list(range(1, len(ids) + 1))
    assert {e.client_id: e.seq for e in rows} == acks[0]


def test_reconnect_with_after_gets_exactly_the_missed_messages(chat):
    with chat.client() as client:
        conversation = quiet_conversation(chat, client)
        token = client.welcome["visitor"]
        for n in range(3):
            client.say(f"message {n}")
    output = ChatOutput(
        chat.db, hub_for(chat.app), site_id=chat.site.id,
        conversation_id=chat.conversation(conversation).id,
    )  # fmt: skip
    output.post("staff", "Reply while you were away")  # seq 4
    output.record_tool("call_1", "list_services", {}, ToolResult({"services": []}))  # 5, 6
    output.post("assistant", "And **one** more")  # seq 7
    with chat.client() as client:
        welcome = client.hello(visitor=token, conversation=conversation, after=2)
    assert welcome["conversation"] == conversation
    got = [(m["seq"], m["role"], m["text"]) for m in welcome["messages"]]
    assert got == [
        (3, "visitor", "message 2"),
        (4, "staff", "Reply while you were away"),
        (7, "assistant", "And **one** more"),
    ]
    assert welcome["messages"][0]["id"] is not None  # visitor messages carry the client id
    assert welcome["messages"][2]["html"] == "<p>And <strong>one</strong> more</p>"
    roles = [e.role for e in chat.entries(conversation)]
    assert roles.count("tool_call") == 1 and roles.count("tool_result") == 1  # stored, not sent


def test_resent_unacked_messages_after_reconnect_are_not_duplicated(chat):
    with chat.client() as client:
        conversation = quiet_conversation(chat, client)
        token = client.welcome["visitor"]
        client.send({"type": "message", "id": "lost-ack", "text": "did this arrive?"})
        client.expect("ack", id="lost-ack")
    with chat.client() as client:
        client.hello(visitor=token, conversation=conversation, after=0)
        assert client.say("did this arrive?", "lost-ack")["seq"] == 1
    assert len(chat.entries(conversation)) == 1


def test_two_sockets_of_one_visitor_both_receive_messages(chat):
    with chat.client() as first, chat.client() as second:
        conversation = first.hello()["conversation"]
        second.hello(visitor=first.welcome["visitor"], conversation=conversation)
        chat.llm.script(chat.llm.text("Both tabs see this."))
        seq = first.say("hi from tab one", "t1")["seq"]
        echo = second.expect("message", role="visitor")
        assert (echo["id"], echo["seq"], echo["text"]) == ("t1", seq, "hi from tab one")
        for client in (first, second):
            reply = client.expect("message", role="assistant")
            assert reply["text"] == "Both tabs see this."
        # The sending tab shows its text already: the ack (with the seq) replaces a copy.
        assert not [f for f in first.received if f.get("role") == "visitor"]


def test_another_visitor_cannot_resume_a_conversation(chat):
    with chat.client() as owner:
        conversation = quiet_conversation(chat, owner)
        owner.say("my private question")
    with chat.client() as stranger:
        welcome = stranger.hello(visitor=None, conversation=conversation, after=0)
    assert welcome["conversation"] != conversation
    assert welcome["messages"] == []
    with chat.client() as forger:
        welcome = forger.hello(visitor="v_forged.signature", conversation=conversation)
    assert welcome["conversation"] != conversation
    assert welcome["messages"] == []
