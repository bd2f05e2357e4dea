"""The local sense of meaning (bundled word vectors) and the general reading rules beside it."""

from __future__ import annotations

import socket

import pytest

from frontdesk.knowledge import semantic
from frontdesk.knowledge.lexicon import lexicon
from frontdesk.knowledge.question import analyse
from frontdesk.knowledge.retrieve import Passage, rank_passages
from frontdesk.knowledge.said import said

LEX = lexicon("en")
CONTACT = Passage(
    "Find us",
    "https://dental.test/find-us",
    "Contact",
    "Contact\n\nPhone (04) 555 0192, or email hello@dental.test.",
)


def ask(text: str, *passages: Passage):
    question = analyse(text, LEX)
    return rank_passages(question, list(passages), [float(i) for i in range(len(passages))])


def test_the_word_vectors_ship_with_the_package_and_load_without_a_network(monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("the model tried to reach the network")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    semantic._model.cache_clear()
    try:
        assert semantic.available()
    finally:
        semantic._model.cache_clear()


def test_a_paraphrase_is_closer_in_meaning_than_an_unrelated_sentence():
    close, far = semantic.similarities(
        "how long does balayage take",
        ["Balayage takes about three hours, toner included.", "We accept cards and cash."],
    )
    assert close > 0.4 > far
    assert semantic.similarities("anything", []) == []


@pytest.mark.parametrize(
    ("text", "is_duration"),
    [
        ("Plan for three to four hours.", True),
        ("A refresh every six weeks keeps it bright.", False),
    ],
)
def test_how_often_is_not_how_long(text, is_duration):
    assert (said("duration", text, "") >= 1.0) is is_duration


def test_a_contact_heading_does_not_answer_where_you_are():
    found = ask("where are you guys", CONTACT)
    assert not found.confident  # the site's profile (its address) gets a look instead


def test_words_for_the_business_itself_weigh_less_than_the_topic():
    question = analyse("is the salon wheelchair friendly", LEX)
    weights = {c.label: c.weight for c in question.concepts}
    assert weights == {"salon": 0.5, "wheelchair": 1.0}  # "friendly" says nothing more
