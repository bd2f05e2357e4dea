"""At which stage of the offline engine a failed answer-quality question lost its expected facts.

The engine's own search calls of the question's last turn (query and context as it passed
them) are run again through the same public functions the search_knowledge tool uses, and the
expected facts are looked for at each stage in turn, the first stage that no longer holds
them being where they were lost:

- `route`: a question was taken for an action, or an action for a question (or nothing started)
- `candidates`: no full-text candidate passage, nor the site's own facts, holds the facts
- `ranking`: a candidate holds them, none of the three best sections does
- `order`: one of the three best sections holds them, not the one(s) the reply quotes
- `unit`: the quoted section holds them, neither its best unit (sentence, item, row) nor the
  quote does
- `extraction`: the best unit holds them, the quote built around it does not
- `confidence`: the quote holds them, but the reply said it was not sure and quoted nothing
  (or, for a question the site does not answer, it was answered with confidence)
- `context`: a follow-up (earlier messages, or a booking made first) not taken as one
- `other`: anything else (a chip not offered, a booking that could not be set up)
"""

from __future__ import annotations

from typing import Any

from frontdesk.assistant.offline.answers import RUNNER_UP
from frontdesk.assistant.tools.service_answer import with_service_fact
from frontdesk.assistant.tools.site_facts import site_facts
from frontdesk.knowledge.lexicon import lexicon
from frontdesk.knowledge.question import analyse
from frontdesk.knowledge.retrieve import Retrieval, candidates, retrieve
from tests.support.answers_dataset import Question, has_facts

STAGES = (
    "route",
    "candidates",
    "ranking",
    "order",
    "unit",
    "extraction",
    "confidence",
    "context",
    "other",
)
LIMIT = 3  # the passages the offline engine asks search_knowledge for


def stage_of(question: Question, reason: str, tools: Any, searches: list[tuple[dict, Any]]) -> str:
    """The stage at which a failed question was lost (one of STAGES).

    `reason` is the judge's verdict, `tools` the conversation's ConversationTools and
    `searches` the search_knowledge calls made in the question's last turn (arguments, result).
    """
    followed = bool(question.history or question.setup)
    if reason.startswith("setup"):
        return "other"
    if reason.startswith("started") and (question.facts or question.action == "unanswered"):
        return "route"  # a question taken for an action
    if not question.facts and question.action != "unanswered":
        return "context" if followed else "route"  # the action expected was not started
    if question.action == "unanswered":
        if reason == "not recorded as unanswered":
            return "confidence"  # answered as if the site said it
        return "other"
    if not searches:  # facts expected, and the knowledge base was never asked
        return "context" if followed else "route"
    if reason != "fact missing":
        return "other"
    return _lost_in_retrieval(question, tools, searches)


def _lost_in_retrieval(question: Question, tools: Any, searches: list[tuple[dict, Any]]) -> str:
    """The first retrieval stage whose texts (all searches of the turn together) lack the facts."""
    levels: dict[str, list[str]] = {}
    for arguments, result in searches:
        for stage, texts in _levels(tools, arguments, result).items():
            levels.setdefault(stage, []).extend(texts)

    def holds(stage: str) -> bool:
        return has_facts("\n".join(levels[stage]), question.facts)

    for stage in ("candidates", "ranking", "order"):
        if not holds(stage):
            return stage
    if not holds("extraction"):
        return "extraction" if holds("unit") else "unit"
    if not holds("confidence"):
        return "confidence"
    return "other"  # the quote holds them and was said: the reply lost them elsewhere


def _levels(tools: Any, arguments: dict, result: Any) -> dict[str, list[str]]:
    """What each stage holds for one search: the texts the facts must be found in to pass it."""
    query, context = arguments.get("query") or "", arguments.get("context") or ""
    lex = lexicon("en")
    with tools.db.session() as session:
        facts = site_facts(session, tools.site_id, tools.now().date(), tools.site)
        passages, _, _ = candidates(session, tools.site_id, analyse(query, lex, context))
        found = retrieve(
            session,
            tools.site_id,
            query,
            context=context,
            facts=lambda: facts,
            limit=arguments.get("limit") or LIMIT,
        )
        found = with_service_fact(found, session, tools.site_id, tools.site)
    engine_said = [p["answer"] for p in (result.content.get("untrusted_passages") or [])]
    if engine_said != [f.quote for f in found.findings]:
        # The same search found something else this time: the stages below would not be
        # the engine's (a cache or the database changed between the two).
        raise AssertionError(f"search again found other passages for {query!r}")
    quoted = _quoted(found)
    said = [f.quote for f in quoted] if found.confident or found.likely else []
    return {
        "candidates": [f"{p.title}\n{p.heading}\n{p.text}" for p in [*passages, *facts]],
        "ranking": [f"{f.heading}\n{f.section}" for f in found.findings[:LIMIT]],
        "order": [f"{f.heading}\n{f.section}" for f in quoted],
        "unit": [f.unit for f in quoted],
        "extraction": [f.quote for f in quoted],
        "confidence": said,
    }


def _quoted(found: Retrieval) -> list:
    """The findings the offline reply says (offline/answers.lookup): the best, and the
    runner-up when it scores nearly as well (confident) or always (hedged)."""
    if not found.findings:
        return []
    best, rest = found.findings[0], found.findings[1:2]
    runner_up = [
        f
        for f in rest
        if f.quote not in best.quote and (not found.confident or f.score >= RUNNER_UP * best.score)
    ]
    return [best, *runner_up]
