"""Booking requests for something that is not a bookable service: the site's own word is said.

"can you book my driving test for me" at a driving school names a thing the school does not
book (its pages say the test is applied for with the national authority, "not through us");
starting a booking of its mock test, the nearest service by name, would be wrong. When the
thing a booking request names is none of the services, and a page the knowledge base answers
with says the business does not do it (a "not", "only", "no ..." next to the thing), that
sentence is the answer, with its page, and the nearest service is offered as a chip.
A request naming a service ("book me a lesson") never gets here: only the site's words
about a thing it does not offer stop a booking.
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy.exc

from frontdesk.assistant.offline import intents
from frontdesk.assistant.offline.answers import chips
from frontdesk.assistant.offline.dialogue import Dialogue, Reply

# What follows "book": the thing is read up to the first word that starts a time, a person or
# a purpose ("book me a cut | with jess on saturday", "book a trial lesson | for my daughter").
OBJECT = re.compile(
    r"\b(?:book|reserve|schedule|arrange)\s+(?:(?:me|us|myself|in|it|one)\s+)*"
    r"(?:(?:for|a|an|the|my|our|some|another|your)\s+)*(?P<thing>[a-z][a-z' -]{0,80})",
    re.I,
)
STOP = {
    "for", "on", "at", "with", "next", "this", "tomorrow", "today", "tonight", "please", "in",
    "by", "before", "after", "from", "me", "us", "asap", "soon", "and", "or", "if", "so", "as",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "morning",
    "afternoon", "evening", "week", "weekend", "am", "pm", "around", "about", "then", "now",
    "that", "it", "one", "time", "when", "thanks", "thank", "there", "to",
}  # fmt: skip
# Words that say a booking, not what is booked; and the words of a length ("one hour").
BOOKING = {
    "appointment", "appointments", "appt", "booking", "bookings", "slot", "slots", "visit",
    "session", "sessions", "call", "meeting", "consultation", "consult", "hour", "hours",
    "min", "mins", "minute", "minutes", "one", "two", "three", "half", "quick", "new",
}  # fmt: skip
# "we do not", "not through us", "we only teach cars": the site saying no ("only fit it if you
# agree" and "no charge" are not)
NEGATION = re.compile(
    r"\b(?:not|never|cannot|nor|elsewhere|we only|no longer)\b|n't\b|\bno (?:booking|appointment)",
    re.I,
)
LONGEST = 4  # words: a thing named is a short noun phrase


def words(text: str) -> set[str]:
    """The words of a text, plurals folded ("lessons" is "lesson")."""
    return {_fold(w) for w in re.findall(r"[a-z0-9]+", text.lower())}


def _fold(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def thing_named(text: str) -> list[str]:
    """The words of what a booking request names ("driving test"), or [] for none."""
    found = OBJECT.search(text)
    if found is None:
        return []
    named: list[str] = []
    for word in re.findall(r"[a-z0-9']+", found.group("thing").lower()):
        if word in STOP or len(named) == LONGEST:
            break
        named.append(word)
    return [_fold(w) for w in named if w not in BOOKING and w not in intents.GENERIC]


def not_a_service(thing: list[str], services: list[dict[str, Any]], site: str) -> bool:
    """Whether the thing is none of the services.

    It is not when it has a word no service has ("motorbike lesson"). It is one when a
    service's own words are all said ("lesson" names "Driving lesson (one hour)" at "Tolka
    Driving School": the site's name and a length are no service's own words), or when it is
    a shorter name of one service only ("an AI chat" for "AI integration consultation").
    "driving test" is in the names of the mock test and of the car for the test: neither.
    """
    if not thing or not services:
        return False
    common = words(site) | words(" ".join(BOOKING)) | {_fold(w) for w in intents.GENERIC}
    said = set(thing) - common
    known = set().union(
        *(words(f"{s['name']} {s['slug']} {s.get('description') or ''}") for s in services)
    )
    if said - known:
        return True
    owns = [
        {w for w in words(f"{s['name']} {s['slug'].replace('-', ' ')}") - common if not w.isdigit()}
        for s in services
    ]
    if any(own and own <= said for own in owns):
        return False
    return sum(bool(said) and said <= own for own in owns) != 1


def declined(d: Dialogue, text: str) -> Reply | None:
    """The site's word on a booking request for a thing it does not offer, or None to book."""
    thing = thing_named(text)
    site = getattr(d.turn.site, "name", "") or ""
    if not thing or not not_a_service(thing, _services(d), site):
        return None
    result = d.tool("search_knowledge", query=text[:300], limit=4, context=None)
    content = result.content if result.ok else {}
    if not content.get("confident"):
        return None
    for passage in content.get("untrusted_passages") or []:
        said = _saying_no(passage, thing)
        if said:
            key = passage["url"] or passage["title"]
            sources = [s for s in result.sources if (s.url or s.title) == key][:1]
            offered = chips(d, " ".join(thing), None, passage)
            d.state["offer"] = offered[0].value  # "yes please" next books the nearest service
            return Reply(said, offered, sources=sources)
    return None


def _services(d: Dialogue) -> list[dict[str, Any]]:
    """The site's active services from the turn's loaded site (no tool call), else the tool."""
    try:
        loaded = d.turn.site.services
    except (AttributeError, sqlalchemy.exc.SQLAlchemyError):
        return d.services()
    return [
        {"name": s.name, "slug": s.slug, "description": s.description} for s in loaded if s.active
    ]


def _saying_no(passage: dict[str, Any], thing: list[str]) -> str:
    """The sentence of a passage's section that says no about the thing (with the one before
    it when only that one names it in full), or ""."""
    section = passage.get("text") or passage.get("answer", "")
    heading = passage.get("heading", "")
    if heading and section.startswith(heading):
        section = section[len(heading) :]  # the section's text starts with its heading
    if not set(thing) <= words(section):
        return ""  # the section is about something else
    sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s+", section) if s.strip()]
    head = thing[-1]
    for index, sentence in enumerate(sentences):
        if head in words(sentence) and NEGATION.search(sentence):
            if not set(thing) <= words(sentence) and index:
                earlier = sentences[index - 1]
                if set(thing) <= words(earlier):
                    return f"{earlier} {sentence}"
            return sentence
    return ""
