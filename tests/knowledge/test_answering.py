"""Finding the sentence that answers: units, question reading, ranking, quotes, confidence."""

from __future__ import annotations

from datetime import date

from frontdesk.knowledge.lexicon import lexicon
from frontdesk.knowledge.question import analyse
from frontdesk.knowledge.retrieve import Passage, rank_passages, retrieve
from frontdesk.knowledge.said import said
from frontdesk.knowledge.units import split_passage
from tests.support.factories import make_site
from tests.support.knowledge_files import write_knowledge_folder

LEX = lexicon("en")
NOW_DAY = date(2026, 11, 25)
PRICES = Passage(
    "Prices",
    "https://salon.test/prices",
    "Prices",
    "Our stylists work at three levels.\n\nCuts\n\nService | Junior | Senior\n\n"
    "Cut and style | $58 | $68\n\nShort cut | $36 | $42\n\nKids' cuts are $28 with any stylist.",
)
FAQ = Passage(
    "FAQ",
    "https://dental.test/faq",
    "FAQ",
    "Do I need a referral to see you?\n\nNo. You can book straight in, online or by phone.\n\n"
    "Do you see children?\n\nYes, from their first tooth.",
)
BRING = Passage(
    "Your first visit",
    "https://dental.test/first-visit",
    "Your first visit",
    "What to bring\n\n- a list of your medicines\n- your insurance card\n\n"
    "There is no need to bring ID.\n\nDeposits\n\nLong appointments need a $100 deposit.",
)


def ask(text: str, *passages: Passage, context: str = ""):
    question = analyse(text, LEX, context)
    return rank_passages(question, list(passages), [float(i) for i in range(len(passages))])


def test_table_rows_are_spelled_out_with_their_column_headers():
    units = split_passage(0, PRICES.heading, PRICES.text)
    rows = [u for u in units if u.kind == "row"]
    assert [u.text for u in rows] == [
        "Cut and style — Junior: $58, Senior: $68",
        "Short cut — Junior: $36, Senior: $42",
    ]
    assert rows[0].heading == "Cuts" and "Senior" in rows[0].context


def test_a_question_is_read_for_concepts_synonyms_and_the_kind_of_fact():
    question = analyse("hi, roughly what would a root canal on a back tooth set me back", LEX)
    assert question.aspects == {"price"}
    labels = [c.label for c in question.concepts]
    assert "root" in labels and "canal" in labels and "roughly" not in labels
    tooth = next(c for c in question.concepts if c.label == "tooth")
    assert ("teeth",) in tooth.forms  # the lexicon's group, stemmed
    referral = analyse("do i need a letter from my gp", LEX)
    assert len([c for c in referral.concepts if ("referr",) in c.forms]) == 1  # merged once


def test_opened_is_not_a_question_about_opening_hours():
    assert "hours" not in analyse("can i return a shampoo i havent opened", LEX).aspects
    assert "hours" in analyse("are you open on sundays", LEX).aspects


def test_a_price_question_gets_the_row_with_the_price_it_asks_for():
    found = ask("how much is a haircut with a senior stylist", PRICES)
    assert found.confident and "$68" in found.best.quote
    follow_up = ask("and a short cut?", PRICES, context="how much is a cut with a junior stylist")
    assert follow_up.best.quote.startswith("Short cut")


def test_a_faq_answer_comes_with_the_question_it_answers():
    found = ask("do i need a letter from my gp first", FAQ)
    assert found.confident
    assert found.best.quote == (
        "**Do I need a referral to see you?** No. You can book straight in, online or by phone."
    )


def test_a_short_faq_answer_is_quoted_from_its_first_sentence():
    legal_aid = Passage(
        "FAQ",
        "https://law.test/faq",
        "FAQ",
        "Do you do legal aid?\n\nWe are not able to take on legal aid work. If you might "
        "qualify, for example in a family case, we will point you to a local legal aid firm.",
    )
    found = ask("can you do legal aid cases", legal_aid)
    assert "not able to take on legal aid work. If you might qualify" in found.best.quote


def test_everyday_ways_of_asking_a_price():
    assert analyse("a few foils around my face, what would that be", LEX).aspects == {"price"}
    booking = analyse("how much does it cost to book a bike fit", LEX)
    assert [c.label for c in booking.concepts] == ["bike", "fit"]  # "book" is how, not what
    # dropping a bike off is no parent dropping a child off
    drop = analyse("is there parking when i drop off", LEX)
    assert not any(("parent",) in c.forms for c in drop.concepts)


def test_a_question_about_what_a_service_includes_gets_the_section_saying_it():
    boilers = Passage(
        "Boilers",
        "https://plumber.test/boilers",
        "Boiler servicing",
        "A boiler that is serviced once a year uses less fuel. Most warranties are void "
        "without a yearly service.\n\nWhat the service includes\n\nThe annual service takes "
        "about an hour. Your engineer will:\n\n- Check the flue\n- Clean the burner\n\n"
        "Oil boilers\n\nOil boilers are serviced for the same price as gas, but the visit "
        "runs closer to ninety minutes.",
    )
    found = ask("whats involved in a boiler service", boilers)
    # the page's opening names both words; next comes the section saying what it includes
    assert [f.heading for f in found.findings[:2]] == [
        "Boiler servicing",
        "What the service includes",
    ]
    assert "Check the flue" in found.findings[1].quote


def test_what_follows_the_asking_clause_weighs_less():
    weights = {
        c.label: c.weight for c in analyse("is there a lift, my knees are bad", LEX).concepts
    }
    assert weights["lift"] == 1.0 and weights["knees"] == 0.5
    asked = analyse("can you do electrics as well, need a new socket", LEX)
    assert {c.label: c.weight for c in asked.concepts}["socket"] == 0.5


def test_lead_times_and_ages_are_kinds_of_fact():
    assert "notice" in analyse("how far out are you booked up for bathrooms", LEX).aspects
    assert "age" in analyse("how old does my son need to be", LEX).aspects
    terms = Passage(
        "Terms",
        "https://plumber.test/terms",
        "Visits",
        "An engineer texts you before they arrive. Someone over 18 must be at home to let us in.",
    )
    assert "over 18" in ask("how old does the person at home need to be", terms).best.quote


def test_how_a_shop_has_something_is_not_what_must_be_on_the_site():
    stock = Passage("FAQ", "https://bikes.test/faq", "Do you sell bikes?", "We stock helmets.")
    assert ask("do you carry helmets", stock).confident  # "carry" says how, like "stock"


def test_a_follow_up_naming_a_day_still_asks_the_earlier_price():
    follow_up = analyse("how about on sunday", LEX, context="whats the call out fee on a weekday")
    assert "price" in follow_up.aspects - follow_up.hinted_only


def test_an_age_finds_the_range_it_falls_in():
    cuts = Passage(
        "Prices",
        "https://salon.test/prices",
        "Cuts",
        "Teens\n\nKids aged 13 to 17 pay $40 for a cut.\n\n"
        "Children\n\nKids 12 and under pay $28 for a cut.",
    )
    assert ask("how much is a cut for my kid, he is 10", cuts).best.heading == "Children"
    assert ask("how much is a cut for my kid, he is 15", cuts).best.heading == "Teens"


def test_an_appliance_is_not_its_halves():
    paying = Passage(
        "Paying", "https://plumber.test/pay", "Paying", "Our engineers carry card machines."
    )
    boiler = Passage("Boilers", "https://plumber.test/b", "Service", "We clean the burner.")
    assert not ask("do you fix washing machines", paying, boiler).confident


def test_a_question_about_a_section_gets_its_list():
    found = ask("what should i bring to my appointment", BRING)
    assert found.best.heading == "What to bring"
    assert "- a list of your medicines\n- your insurance card" in found.best.quote


def test_something_the_site_never_mentions_is_not_answered():
    assert not ask("do you do botox", FAQ, BRING).confident
    assert not ask("do you design logos", PRICES, FAQ).confident
    assert ask("do you see children", FAQ).confident


def test_retrieval_on_the_database_falls_back_to_the_sites_own_facts(db, tmp_path):
    from frontdesk.assistant.tools.site_facts import site_facts

    site, bare = make_site(db), make_site(db)
    from frontdesk.knowledge.ingest import ingest_paths

    ingest_paths(db, site.id, [str(write_knowledge_folder(tmp_path / "kb"))])
    with db.session() as session:
        # No page says how long a workshop takes: the site's services do.
        workshop = retrieve(
            session,
            bare.id,
            "how long does a workshop take?",
            facts=lambda: site_facts(session, bare.id, NOW_DAY),
        )
        hours = retrieve(session, site.id, "are you open on saturday?")
        nothing = retrieve(session, site.id, "do you repair bicycles?")
    assert workshop.confident and workshop.best.quote == "Workshop: 90 minutes."
    assert not workshop.best.page  # a setting, not a page to cite
    assert hours.confident and "Monday to Friday" in hours.best.quote
    assert not nothing.confident and nothing.findings == []


def test_words_in_most_passages_are_left_out_of_a_large_full_text_query(sqlite_url):
    """On SQLite the FTS5 vocabulary (migration 0003) tells how common a word is."""
    from frontdesk.db import Database
    from frontdesk.knowledge.fulltext import sqlite_selective
    from tests.support.factories import add_knowledge

    db = Database(sqlite_url)
    site = make_site(db)
    for n in range(10):
        add_knowledge(db, site, f"Page {n}", f"https://s.test/{n}", f"Our studio offers item{n}.")
    words = ["studio", "offers", "item3", "parking", "item4"]
    with db.session() as session:
        assert sqlite_selective(session, words) == words  # a small index: every word is cheap
        kept = sqlite_selective(session, words, small=0)
    db.dispose()
    assert "studio" not in kept and "offers" not in kept  # in every passage
    assert {"item3", "item4", "parking"} <= set(kept)  # rare or unknown words stay


def test_what_to_have_ready_is_answered_by_the_list_of_things():
    # "what should I bring / have ready?" is answered by a list (its items, or a table's
    # rows), not by a sentence that says "bring" or "paperwork"
    visit = Passage(
        "Your visit",
        "https://dental.test/visit",
        "Your visit",
        "Before your visit\n\nPlease have ready:\n\n- a list of your medicines\n"
        "- your insurance card\n\nPaperwork\n\nWe send the paperwork by email; bring it "
        "filled in or complete it in the waiting room.",
    )
    for text in ("what should i have ready for my first visit", "what do i need to bring along"):
        assert "insurance card" in ask(text, visit).best.quote


def test_id_typed_for_i_would_is_filler_but_after_what_or_a_determiner_it_is_identification():
    assert [c.label for c in analyse("what ID do i need to bring", LEX).concepts][0] == "id"
    assert "id" in [c.label for c in analyse("can i bring my id", LEX).concepts]
    assert "id" not in [c.label for c in analyse("id like to book a cut", LEX).concepts]


STAFF = Passage(
    "About us",
    "https://tutors.test/about",
    "Our team",
    "Our tutors\n\nEvery tutor has passed a police background check before starting with us.\n\n"
    "Reports\n\nAt the end of each term we send parents a written progress note.\n\n"
    "Visiting\n\nParents are welcome to wait, but we ask you not to sit in on lessons.",
)


def test_everyday_words_for_teachers_checks_progress_and_watching_a_lesson():
    for text, quoted in (
        ("are the teachers vetted", "police background check"),
        ("will i hear how my kid is doing", "progress note"),
        ("can i stay and watch my son's class", "sit in"),
    ):
        found = ask(text, STAFF)
        assert found.confident and quoted in found.best.quote, text


def test_a_quoted_sentence_introducing_a_list_comes_with_the_list():
    hours = Passage(
        "Visit",
        "https://salon.test/visit",
        "Hours",
        "We're closed Sunday and Monday. From Tuesday to Saturday:\n\n"
        "- Tuesday and Wednesday: 10 am to 7 pm\n- Saturday: 9 am to 5 pm\n\n"
        "Parking\n\nThere is free parking on Sundays behind the shop.",
    )
    found = ask("are you open on mondays", hours)
    assert "From Tuesday to Saturday:\n- Tuesday and Wednesday: 10 am to 7 pm" in found.best.quote
    assert "- Saturday: 9 am to 5 pm" in found.best.quote


def test_instalments_are_a_payment_plan_not_an_installer():
    installers = Passage(
        "About",
        "https://plumber.test/about",
        "Our engineers",
        "Every boiler is fitted by a registered installer. Installation takes two days.",
    )
    assert not ask("can i pay in instalments", installers).confident
    plan = Passage(
        "Paying",
        "https://plumber.test/pay",
        "Paying",
        "You can spread the cost with a payment plan.",
    )
    assert ask("do you do installments", installers, plan).best.title == "Paying"


def test_a_day_in_a_follow_up_replaces_the_day_asked_about_before():
    hours = Passage(
        "Contact",
        "https://physio.test/contact",
        "Opening times",
        "- Monday, Wednesday: 7:30 am to 5 pm\n- Tuesday, Thursday: 7:30 am to 7:30 pm\n"
        "- Saturday: 8 am to 12 noon\n- Sunday: closed",
    )
    found = ask("what about the weekend", hours, context="what time do you open on monday")
    assert found.best.quote.lstrip("- ").startswith("Saturday: 8 am to 12 noon")
    assert "monday" not in [
        c.label for c in analyse("and friday?", LEX, "open on monday?").concepts
    ]


def test_cannot_make_it_is_a_cancellation_and_not_refunded_is_losing_the_fee():
    question = analyse("if i cancel the trial do i lose the $40", LEX)
    forms = {c.label: c.forms for c in question.concepts}
    assert ("can", "not", "make") in forms["cancel"]  # "If you cannot make a trial lesson"
    assert ("not", "refund") in forms["lose"]  # "the fee is not refunded"
    # "how do I sign up?": telling the front desk is a way to do it
    assert said("method", "After the trial, tell us at the front desk which class you want.", "")


def test_a_part_of_the_day_finds_clock_times_that_never_name_it():
    hours = Passage(
        "Contact",
        "https://tax.test/contact",
        "Office hours",
        "- Monday to Thursday: 9 am to 5 pm\n- Friday: 9 am to 4 pm\n- Saturday: closed",
    )
    found = ask("when do you open in the morning", hours)
    assert found.best is not None and "9 am" in found.best.quote


def test_list_items_quoted_together_stay_one_to_a_line():
    hours = Passage(
        "Contact",
        "https://tax.test/contact",
        "Office hours",
        "- Monday: 9 am to 5 pm\n- Wednesday: 9 am to 7 pm\n- Friday: 9 am to 4 pm",
    )
    quote = ask("are you open in the evenings", hours).best.quote
    assert "\n- Wednesday: 9 am to 7 pm" in quote


def test_how_or_when_to_pay_asks_for_a_way_not_an_amount():
    assert "price" not in analyse("how do i pay you", LEX).aspects
    assert "price" not in analyse("can i pay by card", LEX).aspects
    assert "price" in analyse("how much do i pay for a return", LEX).aspects
    assert said("method", "We send an invoice; pay by card, ACH transfer or check.", "")
    paying = Passage(
        "Pricing",
        "https://tax.test/pricing",
        "Paying",
        "We send an invoice when your return is ready; pay by card, ACH transfer or check.",
    )
    fees = Passage("Pricing", "https://tax.test/pricing", "Fees", "A personal return costs $295.")
    assert "ACH" in ask("how do i pay you", fees, paying).best.quote
