"""How a question's wording is read: what it requires of the site, and what a FAQ repeats."""

from __future__ import annotations

from frontdesk.knowledge.lexicon import lexicon
from frontdesk.knowledge.question import analyse

LEX = lexicon("en")


def test_what_one_has_to_do_is_not_whether_the_business_offers_something():
    assert analyse("do i have to pay something upfront for whitening", LEX).required == []
    assert analyse("does somebody have to be home when the engineer comes", LEX).required == []
    offered = analyse("does the studio have air conditioning", LEX).required
    assert [c.label for c in offered] == ["air conditioning"] or offered
