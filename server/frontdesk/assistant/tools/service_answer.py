"""The owner's own figure for a service the visitor names: "how much is a bike fit?" -> $180.

The services table (name, duration, price) is the site's settings, the most reliable
statement of what a service costs and how long it takes. When a price or "how long" question
is about one service and nothing else, and the pages' best sentence does not already state
that figure (it may be the deposit taken when booking it), the service's own line goes first;
the pages' sentences follow it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import sqlalchemy.exc
from sqlalchemy import select
from sqlalchemy.orm import Session

from frontdesk.db.models import Service
from frontdesk.knowledge.lexicon import Lexicon, lexicon
from frontdesk.knowledge.question import Question
from frontdesk.knowledge.retrieve import Finding, Retrieval
from frontdesk.knowledge.said import said

ASKED = ("price", "duration")
NAMED = 0.6  # share of a service name's own words the question must say ("bike fit")


def with_service_fact(
    found: Retrieval, session: Session, site_id: int, site: Any = None, language: str = "en"
) -> Retrieval:
    """`found`, with the named service's own price or duration first when the pages miss it."""
    question = found.question
    asked = [a for a in ASKED if a in question.aspects - question.hinted_only]
    if len(asked) != 1:
        return found
    lex = lexicon(language)
    service = named_service(question, _services(session, site_id, site), lex)
    if service is None:
        return found
    figure = service.price_text if asked[0] == "price" else ""
    if asked[0] == "price" and not figure:
        return found
    best = found.best
    if best is not None and found.confident and _states(best.quote, asked[0], figure):
        return found
    fact = _fact(service, best.score if best is not None else 1.0)
    return replace(found, findings=[fact, *found.findings], confident=True, likely=False)


def named_service(question: Question, services: list[Any], lex: Lexicon) -> Any | None:
    """The one service the question is about: most of its name said, and nothing else asked."""
    asked = {
        w for c in question.concepts if c.weight >= 1.0 for form in c.forms for w in form
    }  # every form, synonyms too: "bike fit" says "fitting"
    topics = [c for c in question.concepts if c.weight >= 1.0 and not c.cue]
    best, best_share = None, 0.0
    for service in services:
        name = {s for s in lex.stems(service.name) if s not in lex.stop}
        if not name:
            continue
        share = len(name & asked) / len(name)
        # every concept of the question must be a word of the service's name
        covered = all(any(form[0] in name for form in c.forms if len(form) == 1) for c in topics)
        if covered and share >= NAMED and share > best_share:
            best, best_share = service, share
        elif covered and share == best_share:
            best = None  # two services fit as well: the pages decide
    return best


def _states(quote: str, aspect: str, figure: str) -> bool:
    if aspect == "price":
        return bool(figure) and figure.lower() in quote.lower()
    return said("duration", quote, "") >= 1.0


def _fact(service: Any, score: float) -> Finding:
    price = f", {service.price_text}" if service.price_text else ""
    line = f"{service.name}: {service.duration_min} minutes{price}."
    description = (service.description or "").strip()
    return Finding(
        title="Services",
        url="",
        heading=service.name,
        quote=line,
        section=f"{line} {description}".strip(),
        score=score,
        coverage=1.0,
        page=False,
    )


def _services(session: Session, site_id: int, site: Any) -> list[Any]:
    """The site's active services, from the loaded site when it has them."""
    try:
        loaded = list(site.services) if site is not None else None
    except (AttributeError, sqlalchemy.exc.SQLAlchemyError):
        loaded = None
    if loaded is None:
        loaded = list(session.scalars(select(Service).where(Service.site_id == site_id)))
    return [s for s in loaded if s.active]
