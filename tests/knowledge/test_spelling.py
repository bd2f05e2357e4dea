"""Reading a question as visitors type it: typos, words run together or split, clauses, numbers."""

from __future__ import annotations

from datetime import date

import pytest

from frontdesk.assistant.offline.intents import intent
from frontdesk.db import Database
from frontdesk.knowledge.lexicon import lexicon
from frontdesk.knowledge.question import analyse
from frontdesk.knowledge.retrieve import retrieve
from frontdesk.knowledge.said import said
from frontdesk.knowledge.spelling import _closest, edits
from tests.support.factories import add_knowledge, make_site

LEX = lexicon("en")
WHEELS = "A hand-built wheel is $90 in labour per wheel, plus the rim, spokes and hub."
BRAKES = "A brake bleed for hydraulic disc brakes is $40 per brake."
PAINT = "We do not paint frames; ask a frame builder."


@pytest.fixture
def workshop(db):
    site = make_site(db)
    add_knowledge(db, site, "Prices", "https://bikes.test/prices", WHEELS, "Wheel building")
    add_knowledge(db, site, "Prices", "https://bikes.test/brakes", BRAKES, "Brakes")
    add_knowledge(db, site, "Paint", "https://bikes.test/paint", PAINT, "Paint")
    for n in range(3):
        add_knowledge(db, site, f"News {n}", f"https://bikes.test/news/{n}", "Open all week.")
    return site


def test_edits_count_swaps_as_one_and_stop_past_the_limit():
    assert edits("bleeed", "bleed", 1) == 1
    assert edits("recieve", "receive", 1) == 1  # neighbouring letters swapped
    assert edits("pain", "paint", 1) == 1
    assert edits("certify", "wheel", 1) == 2  # stops once past the limit


def test_the_closest_indexed_word_is_found_among_many():
    # letters one word has and the other lacks rule most terms out before the full count
    terms = {"parade": 4, "parrot": 9, "paramedic": 1, "parramatta": 2, "pamphlet": 7}
    assert _closest("paramatta", terms) == (("parramatta",), 2)
    assert _closest("pzrzmztta", terms) is None


def test_a_typo_and_a_compound_find_what_the_pages_call_it(db, workshop):
    with db.session() as session:
        bleed = retrieve(session, workshop.id, "what do you charge for a brake bleeed")
        wheel = retrieve(session, workshop.id, "how much for a handbuilt wheel")
    assert "$40" in bleed.best.quote
    assert "$90" in wheel.best.quote


def test_a_typo_finds_a_word_the_pages_gained_after_an_earlier_look_up(sqlite_url):
    # A letter's vocabulary is kept between questions until the index changes (typos are
    # read against the FTS5 vocabulary, which only SQLite has).
    db = Database(sqlite_url)
    site = make_site(db)
    add_knowledge(db, site, "Prices", "https://bikes.test/brakes", BRAKES, "Brakes")
    question = "what do you charge for a derailluer"
    with db.session() as session:
        earlier = retrieve(session, site.id, question)
    assert earlier.best is None or "$25" not in earlier.best.quote
    gears = "A derailleur tune is $25, cable included."
    add_knowledge(db, site, "Gears", "https://bikes.test/gears", gears, "Gears")
    with db.session() as session:
        found = retrieve(session, site.id, question)
    db.dispose()
    assert "$25" in found.best.quote


def test_a_real_word_is_not_corrected_into_another(db, workshop):
    with db.session() as session:
        found = retrieve(session, workshop.id, "do you do painting of carbon frames")
    concepts = {c.label: c for c in found.question.concepts}
    assert ("pain",) not in concepts["painting"].forms


def test_split_words_are_typed_back_together_when_the_lexicon_knows_them():
    assert LEX.joined(["where", "abouts", "are", "you"]) == ["whereabouts", "are", "you"]
    assert analyse("where abouts are you", LEX).aspects == {"location"}


def test_two_words_are_not_joined_into_a_stem_of_another():
    # "for me" stemmed together is "form", "we are" is "wear": neither was typed as one word
    assert LEX.joined(["is", "it", "for", "me"]) == ["is", "it", "for", "me"]
    assert LEX.joined(["we", "are", "open"]) == ["we", "are", "open"]


def test_a_stop_word_ends_no_compound_unless_it_is_a_particle():
    # "contractor" is a lexicon word, but "a lock in contract or can I stop" asks about a contract
    assert LEX.joined(["contract", "or", "can"]) == ["contract", "or", "can"]
    assert LEX.joined(["a", "check", "up"]) == ["a", "checkup"]


def test_only_the_asking_clause_names_what_must_be_on_the_site():
    question = analyse("is there a lift, my knees are bad", LEX)
    assert [c.label for c in question.required] == ["lift"]


def test_numbers_match_their_words():
    question = analyse("is there a deal if i buy 5 sessions", LEX)
    five = next(c for c in question.concepts if c.label == "5")
    assert ("five",) in five.forms


@pytest.mark.parametrize(
    ("text", "is_duration"),
    [
        ("A full overhaul takes three to four working days.", True),
        ("Most tune-ups are ready the next working day.", True),
        ("Please collect your bike on a weekday.", False),
        ("Each class meets once a week for a 90-minute lesson.", True),
        ("We run two-hour clinics before the exams.", True),
        ("The course takes a week.", True),
        ("Fees are charged for four lessons a month.", False),
        ("Bookkeeping costs $60 a month.", False),
    ],
)
def test_durations_in_words_and_working_days(text, is_duration):
    assert (said("duration", text, "") >= 1.0) is is_duration


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("i'd like to drop my bike off for an overhaul next tuesday", None),
        ("drop my booking", "cancel"),
        ("will you phone me before adding expensive parts", None),
        ("can you call me back", "human"),
    ],
)
def test_questions_that_look_like_commands(text, kind):
    assert intent(text) == kind


def test_filler_inside_a_cue_still_names_the_kind_of_fact():
    assert "steps" in analyse("what actually happens at a bike fit", LEX).aspects
    assert "price" in analyse("how much roughly is a tune up", LEX).aspects


def test_an_hours_question_reads_the_sites_hours_even_when_a_page_answers(db):
    from frontdesk.assistant.tools.site_facts import site_facts

    site = make_site(db)  # open weekdays only
    timetable = "Foundations runs on Saturday at 8:00 am and moves slowly."
    add_knowledge(db, site, "Timetable", "https://yoga.test/timetable", timetable, "Classes")
    with db.session() as session:
        found = retrieve(
            session,
            site.id,
            "are you open on saturday?",
            facts=lambda: site_facts(session, site.id, date(2026, 11, 25)),
        )
    assert any(not f.page for f in found.findings)  # the opening hours the owner set


@pytest.mark.parametrize(
    "text",
    [
        "is it ok to reschedule my drop off",
        "am i allowed to cancel online",
        "is it free to move it",
    ],
)
def test_asking_whether_an_action_is_allowed_is_a_question(text):
    from frontdesk.assistant.offline.decide import decide

    decision = decide(text)
    assert decision.action is None and decision.related in ("reschedule", "cancel")


def test_a_price_row_naming_only_the_thing_asked_about_comes_first():
    from frontdesk.knowledge.retrieve import Passage, rank_passages

    fees = Passage(
        "Fees",
        "https://dental.test/fees",
        "Fees",
        "Root canals\n\nA root canal on a molar is from $1,450, not including the crown that "
        "follows.\n\nCrowns and guards\n\n- Porcelain crown: $1,650 per tooth\n"
        "- Night guard: $480\n- Sports mouthguard: $180",
    )
    found = rank_passages(analyse("how much is a crown", LEX), [fees], [0.0])
    assert found.best.quote.lstrip("- ").startswith("Porcelain crown: $1,650")


def test_other_forms_of_a_word_and_a_stated_no_charge():
    true = next(c for c in analyse("how much to true a wheel", LEX).concepts if c.label == "true")
    assert ("tru",) in true.forms  # "truing", "trued"
    hurt = next(c for c in analyse("my back is injured", LEX).concepts if c.label == "injured")
    assert (LEX.stem("injury"),) in hurt.forms
    assert said("price", "Tune-ups and repairs need no deposit.", "") >= 1.0


@pytest.mark.parametrize(
    ("text", "topic"),
    [("how much is a simple will", True), ("i need to update my will", True),
     ("how much will it cost", False), ("will you call me", False)],
)  # fmt: skip
def test_a_will_is_a_noun_after_a_determiner_or_at_the_end(text, topic):
    labels = [c.label for c in analyse(text, LEX).concepts]
    assert ("will" in labels) is topic
