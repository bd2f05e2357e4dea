"""Hostile frames on the chat socket get `bad_frame`, never `internal`, and store nothing, on
both databases (issue 13, item 10): lone surrogates, NUL bytes, deep nesting, huge `after`."""

from __future__ import annotations

import json

import pytest

BACKENDS = ["sqlite", "postgresql"]
HELLO = {"type": "hello", "visitor": None, "conversation": None, "after": 0,
         "page": {"url": "http://127.0.0.1/", "title": "Home"}, "tz": "UTC", "lang": "en"}  # fmt: skip


def raw_hello(**changes) -> str:
    return json.dumps({**HELLO, **changes})


def lone_surrogate(frame: dict, path: tuple[str, ...]) -> str:
    """The frame as JSON with the string at `path` ending in the escape \\ud800."""
    marker = "@@SURROGATE@@"
    target = frame
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = target[path[-1]] + marker
    return json.dumps(frame).replace(marker, "\\ud800")


HOSTILE_HELLOS = {
    "surrogate in page title": lone_surrogate(
        {**HELLO, "page": {"url": "http://127.0.0.1/", "title": "Home"}}, ("page", "title")
    ),
    "surrogate in visitor": lone_surrogate({**HELLO, "visitor": "v"}, ("visitor",)),
    "after 10**30": raw_hello(after=10**30),
    "after 2**63": raw_hello(after=2**63),
    "NUL in page url": raw_hello(page={"url": "http://127.0.0.1/\u0000", "title": "x"}),
}


@pytest.mark.parametrize("backend", BACKENDS)
def test_hostile_hellos_are_bad_frames_and_the_socket_stays_usable(start_chat, backend):
    chat = start_chat(backend, FRAMES_PER_MINUTE=1000, FRAMES_PER_MINUTE_PER_IP=1000)
    for name, raw in HOSTILE_HELLOS.items():
        with chat.client() as client:
            client.send(raw)
            error = client.expect("error")
            assert error["code"] == "bad_frame", name
            client.hello()  # a proper hello still works on the same socket


def deep(levels: int) -> str:
    return '{"type":"message","id":"deep","text":"hi","x":' + "[" * levels + "]" * levels + "}"


HOSTILE_MESSAGES = {
    "surrogate in text": lone_surrogate({"type": "message", "id": "s1", "text": "hi "}, ("text",)),
    "surrogate in id": lone_surrogate({"type": "message", "id": "s2", "text": "hi"}, ("id",)),
    "surrogate in action value": lone_surrogate(
        {"type": "action", "id": "s3", "name": "reply", "value": "yes"}, ("value",)
    ),
    "NUL in text": json.dumps({"type": "message", "id": "n1", "text": "a\u0000b"}),
    "nested 5,000 deep": deep(5000),
    "nested 20 deep": deep(20),
}


@pytest.mark.parametrize("backend", BACKENDS)
def test_hostile_messages_are_bad_frames_and_nothing_is_stored(start_chat, backend):
    chat = start_chat(backend, FRAMES_PER_MINUTE=1000, FRAMES_PER_MINUTE_PER_IP=1000)
    with chat.client() as client:
        conversation = client.hello()["conversation"]
        chat.set_status(conversation, "staff")  # no assistant turns: only what we send
        for name, raw in HOSTILE_MESSAGES.items():
            client.send(raw)
            error = client.expect("error")
            assert error["code"] == "bad_frame", (name, error)
        assert client.say("still here", "ok-1")["seq"] == 1
    assert [e.text for e in chat.entries(conversation)] == ["still here"]
