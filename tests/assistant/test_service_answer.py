"""search_knowledge says the owner's own price or duration for a service the visitor names."""

from __future__ import annotations

from sqlalchemy import select

from frontdesk.db.models import Service
from tests.support.factories import add_knowledge

TERMS = "A professional bike fit needs a $50 deposit when you book, taken off the final bill."


def _price_the_workshop(db, site, price_text="$180") -> None:
    with db.transaction() as session:
        workshop = session.scalars(
            select(Service).where(Service.site_id == site.id, Service.slug == "workshop")
        ).one()
        workshop.name = "Professional bike fit"
        workshop.price_text = price_text


def test_a_price_question_naming_a_service_gets_its_price_first(db, site, tools):
    _price_the_workshop(db, site)
    add_knowledge(db, site, "Terms", "https://bikes.test/terms", TERMS, heading="Deposits")
    result = tools.call("search_knowledge", {"query": "how much does it cost to book a bike fit"})
    passages = result.content["untrusted_passages"]
    assert result.content["confident"]
    assert passages[0]["answer"] == "Professional bike fit: 90 minutes, $180."
    assert "$50 deposit" in passages[1]["answer"]  # the page still follows


def test_a_question_about_something_else_of_the_service_is_left_to_the_pages(db, site, tools):
    _price_the_workshop(db, site)
    add_knowledge(db, site, "Terms", "https://bikes.test/terms", TERMS, heading="Deposits")
    result = tools.call("search_knowledge", {"query": "how much is the deposit for a bike fit"})
    assert "$50 deposit" in result.content["untrusted_passages"][0]["answer"]


def test_a_page_stating_the_price_already_speaks_for_itself(db, site, tools):
    _price_the_workshop(db, site)
    add_knowledge(
        db,
        site,
        "Fitting",
        "https://bikes.test/fit",
        "A full bike fit costs $180.",
        heading="Price",
    )
    result = tools.call("search_knowledge", {"query": "what does a bike fit cost"})
    assert result.content["untrusted_passages"][0]["url"] == "https://bikes.test/fit"
