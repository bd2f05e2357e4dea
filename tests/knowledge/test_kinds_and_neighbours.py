"""Counting questions ("how many kids in a class?") and words near in meaning to the visitor's."""

from __future__ import annotations

from frontdesk.knowledge.lexicon import lexicon
from frontdesk.knowledge.neighbours import widen
from frontdesk.knowledge.question import analyse
from frontdesk.knowledge.retrieve import Passage, rank_passages
from frontdesk.knowledge.said import said

LEX = lexicon("en")
CLASSES = Passage(
    "About us",
    "https://tuition.test/about",
    "How our classes work",
    "Classes are held on weekday evenings and on Saturdays, in our classrooms.\n\n"
    "Parents may wait in the lobby.\n\nThe teacher marks homework every week.\n\n"
    "Classes have at most eight students.",
)
INSTRUCTORS = [
    Passage(
        "FAQ",
        "https://driving.test/faq",
        "FAQ",
        "Can I have a female instructor?\n\nYes. Just ask when you book.",
    ),
    Passage(
        "Our team",
        "https://driving.test/team",
        "Our team",
        "Every instructor holds a full licence and an instructor's permit.",
    ),
]


def ranked(question, passages: list[Passage]):
    return rank_passages(question, passages, [float(i) for i in range(len(passages))])


def test_how_many_asks_for_a_number_of_things_unless_it_names_a_unit_of_time():
    assert "count" in analyse("how many kids in each class", LEX).aspects
    hours = analyse("how many hours does a full service take", LEX)
    assert "count" not in hours.aspects and "duration" in hours.aspects
    assert "count" not in analyse("how many years do you keep my papers", LEX).aspects


def test_a_number_of_things_is_stated_by_a_count_not_by_a_price_a_time_or_a_level():
    assert said("count", "Classes have at most eight students.", "") == 1.0
    assert said("count", "There are 4 visitor spaces out front.", "") == 1.0
    assert said("count", "Primary 3 and 4 — Lesson length: 90 minutes, Fee: S$240", "") == 0.0
    assert said("count", "We can wait up to 15 minutes.", "") == 0.0
    assert said("count", "It costs $20 per item.", "") == 0.0


def test_a_counting_question_gets_the_sentence_stating_how_many():
    result = ranked(analyse("how many kids in a class?", LEX), [CLASSES])
    assert result.best.quote == "Classes have at most eight students."


def test_a_word_no_candidate_uses_is_matched_by_the_candidates_words_nearest_in_meaning():
    asked = "is there a woman instructor i could have"
    plain = ranked(analyse(asked, LEX), INSTRUCTORS)
    # "woman" is on no page: "is there an X?" with no X anywhere is not answered.
    assert not plain.confident
    question = analyse(asked, LEX)
    widen(question, [f"{p.title} {p.heading} {p.text}" for p in INSTRUCTORS], LEX)
    woman = next(c for c in question.concepts if c.label == "woman")
    assert ("femal",) in woman.near and woman.forms[("femal",)] < 1.0
    result = ranked(question, INSTRUCTORS)
    assert result.confident and "female instructor" in result.best.quote


def test_words_far_in_meaning_do_not_stand_in_for_the_visitors_word():
    question = analyse("do you do botox", LEX)
    widen(question, [f"{p.title} {p.heading} {p.text}" for p in INSTRUCTORS], LEX)
    assert all(not c.near for c in question.concepts)
    assert not ranked(question, INSTRUCTORS).confident


def test_the_price_of_a_thing_is_on_the_line_naming_the_ordinary_one():
    lessons = Passage(
        "Prices",
        "https://driving.test/prices",
        "Lesson prices",
        "Lesson | Manual | Automatic\n\nFull course (12 lessons) | €480 | €540\n\n"
        "Block of 6 lessons | €250 | €280\n\nSingle lesson (1 hour) | €45 | €50",
    )
    result = ranked(analyse("how much is a lesson", LEX), [lessons])
    assert result.best.quote.startswith("Single lesson (1 hour) — Manual: €45")
    # A number the visitor asked about still names the line ("P5": "Primary 5 and 6").
    fees = Passage(
        "Fees",
        "https://tuition.test/fees",
        "Fees",
        "Level | Fee\n\nPrimary 3 and 4 | S$240\n\nPrimary 5 and 6 | S$280",
    )
    assert "S$280" in ranked(analyse("how much is it for primary 5", LEX), [fees]).best.quote
