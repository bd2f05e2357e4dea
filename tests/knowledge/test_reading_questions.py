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


def test_a_couple_of_weeks_is_an_amount_not_two_people():
    weeks = analyse("what if i leave my bike there for a couple weeks after its done", LEX)
    assert "couple" not in [c.label for c in weeks.concepts]
    couples = analyse("do you do a discount for couples", LEX)
    assert "couples" in [c.label for c in couples.concepts]


def test_when_to_pay_beside_other_words_is_about_paying():
    asked = analyse("when do i actually pay, at drop off or pick up", LEX)
    assert "price" not in asked.aspects and "pay" in [c.label for c in asked.concepts]
    alone = analyse("how can i pay", LEX)
    assert all(c.cue for c in alone.concepts)
    paying = Passage(
        "Terms",
        "https://bikes.test/terms",
        "Paying",
        "You pay when you collect your bike. We take cash and cards.",
    )
    moving = Passage(
        "Terms",
        "https://bikes.test/terms",
        "Changing a booking",
        "You can move a drop-off slot free of charge at any time.",
    )
    result = rank_passages(asked, [moving, paying], [0.0, 1.0])
    assert result.best.quote.startswith("You pay when you collect your bike")


def test_an_irregular_verb_finds_its_past_form():
    """Snowball stems "left" apart from "leave", "taught" from "teach": each finds the other."""
    left = Passage(
        "Collection",
        "https://shop.test/collection",
        "Collecting your things",
        "Anything left with us for over a month goes to charity.",
    )
    other = Passage(
        "About", "https://shop.test/about", "About us", "We opened our doors in 2009 on Main St."
    )
    result = rank_passages(analyse("what if i leave my coat with you", LEX), [other, left], [0, 1])
    assert result.findings[0].heading == "Collecting your things"
    taught = analyse("who taught the teachers", LEX)
    assert any(("teach",) in c.forms for c in taught.concepts)


def test_two_sentences_of_a_section_scoring_alike_are_both_said():
    """Which of two equally good sentences comes first on the page says nothing of which
    answers: lines apart, both are quoted, in page order."""
    visit = Passage(
        "Contact",
        "https://school.test/contact",
        "Find us",
        "We are on the third floor of the Granary building.\n\nPhone 555 0100 or 555 0101.\n\n"
        "Parents are welcome to wait in the lobby.\n\nLessons run through the school holidays.\n\n"
        "We are in the Granary building, beside the river footbridge.",
    )
    quote = rank_passages(analyse("which building are you in", LEX), [visit], [0.0]).best.quote
    assert "third floor" in quote and "river footbridge" in quote
    assert quote.index("third floor") < quote.index("river footbridge")
