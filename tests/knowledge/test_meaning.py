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
    semantic.loaded.cache_clear()
    try:
        assert semantic.available()
    finally:
        semantic.loaded.cache_clear()


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


EXTRACTIONS = Passage(
    "Fees",
    "https://dental.test/fees",
    "Extractions",
    "Extractions\n\nWisdom teeth are from $650 per tooth.\n\nA simple extraction is $220.",
)
HIGHLIGHTS = [
    Passage(
        "Colour",
        "https://salon.test/colour",
        "Highlights",
        "Highlights\n\nPartial highlights frame the face; full highlights go through the whole "
        "head.",
    ),
    Passage("Prices", "https://salon.test/prices", "Colour", "Colour\n\nFull highlights: $190"),
]


def test_what_the_visitor_does_not_mean_is_set_aside():
    question = analyse("cost to pull out a tooth thats not a wisdom tooth", LEX)
    assert question.excluded == {"wisdom"}
    assert (
        "$220" in ask("cost to pull out a tooth thats not a wisdom tooth", EXTRACTIONS).best.quote
    )
    assert analyse("how much if im not a member", LEX).excluded == set()


def test_a_price_question_gets_the_amount_not_the_description():
    found = ask("price of full head highlights", *HIGHLIGHTS)
    assert found.best.quote == "Full highlights: $190"


def test_is_x_available_asks_about_x():
    question = analyse("is laughing gas available", LEX)
    assert [c.label for c in question.concepts] == ["laughing gas"]
    assert ("happi", "gas") in question.concepts[0].forms


def test_how_do_i_gets_the_way_to_do_it():
    policies = Passage(
        "Policies",
        "https://dental.test/policies",
        "Changing an appointment",
        "Changing an appointment\n\nWe would much rather you moved an appointment than missed "
        "it. To move it, you can reply to your reminder text or call reception.",
    )
    assert analyse("how do i move my appointment", LEX).aspects == {"method"}
    assert "reply to your reminder text" in ask("how do i move my appointment", policies).best.quote


def test_accents_are_read_as_visitors_type_them_without():
    assert LEX.stems("cafés, Māori, crèche") == LEX.stems("cafes, maori, creche")


def test_a_price_in_rand_is_a_price():
    assert said("price", "Initial assessment — Length: 60 minutes, Fee: R850", "") == 1.0
    assert said("price", "We will not charge a late cancellation for illness.", "") == 1.0


def test_a_thing_named_only_in_words_apart_is_not_offered():
    first_visit = Passage(
        "First visit",
        "https://physio.test/first-visit",
        "Please arrive early",
        "Please arrive early\n\nArrive ten minutes before your first appointment to fill in a "
        "short health form, or complete it online from the link in your confirmation email.",
    )
    fees = Passage(
        "Fees",
        "https://physio.test/fees",
        "Fees",
        "Fees\n\n| Service | Length | Fee |\n|---|---|---|\n"
        "| Running video analysis | 45 minutes | R720 |\n"
        "| Follow-up consultation | 30 minutes | R500 |",
    )
    # "online" here, "video" there: no sentence offers online video consultations.
    assert not ask("do you do online video consultations", first_visit, fees).confident
