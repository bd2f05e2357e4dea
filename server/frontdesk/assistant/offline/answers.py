"""Knowledge answers for the offline engine: say the fact, cite the page, offer what follows.

The search_knowledge tool finds the section and the sentence or two that answer; without a
model there is no summarising, so those sentences are quoted as they are written. The page
is cited once, as the reply's source (the widget shows it under the answer). When nothing
answers with confidence the reply says so plainly and offers a person; the tool has already
passed the question to staff. Passage text is untrusted page content: only ever shown.
"""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy.exc

from frontdesk.assistant.base import Choice
from frontdesk.assistant.offline import compound, dates, intents
from frontdesk.assistant.offline.dialogue import BOOK, HUMAN, MINE, Dialogue, Reply

RELATIVE_DAY = re.compile(r"\b(?:today|tonight|tomorrow)\b", re.I)
RUNNER_UP = 0.55  # a second section this close to the best is quoted too
CANCEL = Choice("Cancel my booking", "reply", "Cancel my booking")
MOVE = Choice("Move my booking", "reply", "Reschedule my booking")
NOT_FOUND = (
    "I'm sorry, I couldn't find anything about that on our site, so I don't want to guess. "
    "I've passed your question to the team. I can get a person to help, or book a consultation."
)
UNSURE = (
    "I'm not sure about that, and I don't want to guess: I couldn't find a clear answer on our "
    "site. I've passed your question to the team. The closest page I found is {link}."
)

HEDGED = (
    "I'm not sure this answers your question, but the closest I found on our site is in {link}:"
    "\n\n{quote}\n\nI've passed your question to the team; I can also get a person to help."
)


def answer(d: Dialogue, text: str, *, context: str = "", related: str | None = None) -> Reply:
    """The sentences that answer, citing their page; honest when nothing answers clearly."""
    return lookup(d, text, context=context, related=related)[0]


def lookup(
    d: Dialogue, text: str, *, context: str = "", related: str | None = None
) -> tuple[Reply, bool]:
    """(the reply, whether it is a confident answer) for a question."""
    questions = [] if context else compound.parts(text)
    if questions:  # "where are you and is there parking?": each part answered on its own
        each = compound.answer_each(
            questions, lambda part, earlier: lookup(d, part, context=earlier, related=related)
        )
        if each is not None:
            return each, True
    query = with_weekday(d, text)
    result = d.tool("search_knowledge", query=query[:300], limit=3, context=context[:300] or None)
    content = result.content if result.ok else {}
    passages = content.get("untrusted_passages") or []
    if not passages:
        return Reply(NOT_FOUND, [HUMAN, BOOK]), False
    best = passages[0]
    if not content.get("confident"):
        if content.get("likely"):
            # Honest, but useful: the two closest passages, said as possibly relevant (an
            # unsure match is as often the second as the first).
            closest = [best] + [p for p in passages[1:2] if p["answer"] not in best["answer"]]
            links = " and ".join(dict.fromkeys(_link(p) for p in closest))
            said = HEDGED.format(link=links, quote="\n\n".join(p["answer"] for p in closest))
            return Reply(said, [HUMAN, BOOK]), False  # cited in the text: no Sources below
        return Reply(UNSURE.format(link=_link(best)), [HUMAN, BOOK]), False
    # The page is cited once, as the reply's source; the widget shows it under the answer.
    quoted = [best]
    runner_up = passages[1] if len(passages) > 1 else None
    if (
        runner_up
        and runner_up.get("score", 0) >= RUNNER_UP * best.get("score", 0)
        and runner_up["answer"] not in best["answer"]
    ):
        quoted.append(runner_up)  # two sections answer nearly as well: say both
    said = "\n\n".join(p["answer"] for p in quoted)
    keys = [p["url"] or p["title"] for p in quoted]
    sources = [
        s for key in dict.fromkeys(keys) for s in result.sources if (s.url or s.title) == key
    ]
    offered = chips(d, text, related, best)
    if not d.state.get("flow"):
        d.state["offer"] = offered[0].value  # what a "yes please" next will mean
    return Reply(said, offered, sources=sources), True


def with_weekday(d: Dialogue, text: str) -> str:
    """ "do you close early today?" asks about a weekday, which the pages name: it is added."""
    said = RELATIVE_DAY.search(text)
    if said is None:
        return text
    zone = getattr(d.turn.site, "timezone", None) or d.tz
    day = dates.local_now(d.now, zone).date()
    if said.group(0).lower() == "tomorrow":
        day += timedelta(days=1)
    return f"{text.rstrip(' ?!.')} ({day:%A})"


def _link(passage: dict) -> str:
    """The passage's page as a Markdown link, or its quoted title when it has no address."""
    url = safe_url(passage.get("url", ""))
    return f"[{plain(passage['title'])}]({url})" if url else f"“{plain(passage['title'])}”"


def chips(d: Dialogue, text: str, related: str | None, best: dict) -> list[Choice]:
    """What a visitor may want next: the action the question was about, then a booking."""
    first: list[Choice] = []
    if related == "cancel":
        first = [CANCEL]
    elif related == "reschedule":
        first = [MOVE]
    elif related == "list":
        first = [MINE]
    service = _service_named(d, f"{text}\n{best.get('heading', '')}")
    book = BOOK
    if service is not None:
        name = service["name"]
        label = name[0].lower() + name[1:] if name[1:2].islower() else name
        book = Choice(f"Book {label}"[:80], "reply", f"I'd like to book {name}")
    return [*first, book, HUMAN]


def _service_named(d: Dialogue, text: str) -> dict | None:
    services = _services(d)
    return intents.match_service(text, services) if services else None


def _services(d: Dialogue) -> list[dict]:
    """The site's services, from the turn's loaded site when it has them (no tool call)."""
    try:
        loaded = d.turn.site.services
    except (AttributeError, sqlalchemy.exc.SQLAlchemyError):
        return d.services()
    return [{"name": s.name, "slug": s.slug} for s in loaded if s.active]


def plain(title: str) -> str:
    """A page title safe inside markdown link text (it is untrusted)."""
    return re.sub(r"[\[\]()<>`*_]", "", title)[:120] or "source"


def safe_url(url: str) -> str:
    """An http(s) link safe to put in markdown, or "" (the renderer sanitizes again)."""
    if not re.match(r"^https?://[^\s<>]+$", url or ""):
        return ""
    return url.replace("(", "%28").replace(")", "%29")
