"""How a question's wording is read: what it requires of the site, and what a FAQ repeats."""

from __future__ import annotations

from frontdesk.knowledge.lexicon import lexicon
from frontdesk.knowledge.question import analyse
from frontdesk.knowledge.retrieve import Passage, rank_passages

LEX = lexicon("en")


def test_what_one_has_to_do_is_not_whether_the_business_offers_something():
    assert analyse("do i have to pay something upfront for whitening", LEX).required == []
    assert analyse("does somebody have to be home when the engineer comes", LEX).required == []
    offered = analyse("does the studio have air conditioning", LEX).required
    assert [c.label for c in offered] == ["air conditioning"] or offered


def test_a_faq_asking_the_same_thing_in_other_words_comes_before_what_shares_a_word():
    faq = Passage(
        "FAQ",
        "https://law.test/faq",
        "FAQ",
        "Do I have to come into the office?\n\nMost meetings can take place by phone or video.",
    )
    video = Passage(
        "Your first meeting",
        "https://law.test/first",
        "Meeting by video",
        "We use Microsoft Teams or Zoom, whichever you prefer; you will get a link the day before.",
    )
    team = Passage(
        "Our people",
        "https://law.test/people",
        "Our support team",
        "Jo and Mark run reception and are usually the first voice you hear when you call.",
    )
    # "actually" is filler, and "need to" asks what "have to" asks: the FAQ repeats the question.
    question = analyse("do i actually need to come in or can we do it over zoom", LEX)
    result = rank_passages(question, [video, team, faq], [0.0, 1.0, 2.0])
    assert [f.heading for f in result.findings][:2] == [
        "Meeting by video",
        "Do I have to come into the office?",
    ]
