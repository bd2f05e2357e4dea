"""Find the passage and the sentence that answer a visitor's question, and say how sure we are.

1. The question is read for concepts, synonyms and aspects (knowledge.question).
2. The full-text index returns the best candidate passages for all those words (one query).
3. The candidates, and the site's own facts (services, hours), are split into sentences, list
   items and table rows, scored (knowledge.ranking), and the best one is quoted
   (knowledge.excerpt). Findings are one per section, best first, each with its quote.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from frontdesk.knowledge.excerpt import clip, excerpt
from frontdesk.knowledge.fulltext import (
    postgres_rows,
    sqlite_rows,
    sqlite_selective,
    sqlite_vocabulary,
)
from frontdesk.knowledge.lexicon import lexicon
from frontdesk.knowledge.neighbours import widen
from frontdesk.knowledge.question import Question, analyse
from frontdesk.knowledge.ranking import Scored, rank
from frontdesk.knowledge.semantic import similarities
from frontdesk.knowledge.spelling import correct
from frontdesk.knowledge.units import split_passages

CANDIDATES = 10
SECTION_CHARS = 900
FACT_RANK = 2.0  # the site's facts rank like a good full-text hit, not the best one
FACT_COMPANIONS = 3  # pages kept beside the site's facts on the second look
SAFE_WORD = re.compile(r"[^\W_]+")
# How much of the question the best match must cover to be given as the answer.
CONFIDENT = 0.35
CONFIDENT_WITH_ASPECT = 0.3  # ...when it also states the kind of fact asked for
CONFIDENT_WITHOUT_FACT = 0.6  # ...when a price, time or place is asked for and it states none
ECHO_SURE = 0.25
LIKELY = 0.1  # coverage from which an unsure best finding is still shown, hedged
FACT_ASPECTS = {"price", "hours", "location", "duration", "notice"}
FACT_LOOK = 6  # units looked at below the best for one stating the fact asked for
FACT_COVERAGE = 0.7
FACT_SCORE = 0.8
MEANING_LOOK = 3  # sections reordered by closeness in meaning when the words leave doubt...
MEANING_DOUBT = 0.8  # ...that is, when the best covers less of the question than this
MEANING_WEIGHT = 0.3  # closeness (cosine) against the score as a share of the best score


@dataclass(frozen=True)
class Passage:
    """A candidate passage: a knowledge chunk, or a fact the site states (services, hours)."""

    title: str
    url: str
    heading: str
    text: str
    page: bool = True  # False for the site's own settings, which no page states


@dataclass(frozen=True)
class Finding:
    """One section that answers (part of) the question, with the sentences to quote."""

    title: str
    url: str
    heading: str
    quote: str  # Markdown: the sentence or two that answer
    section: str  # the section's text, for a model to read
    score: float
    coverage: float
    page: bool = True  # a document to cite (False: the site's settings)
    unit: str = ""  # the best unit's own text, which the quote is built around


@dataclass
class Retrieval:
    """What was found for a question, best first, and whether the best is a real answer."""

    question: Question
    findings: list[Finding] = field(default_factory=list)
    confident: bool = False
    # Not confident, but the best finding covers enough of the question to be worth showing,
    # hedged, beside the offer of a person.
    likely: bool = False

    @property
    def best(self) -> Finding | None:
        """The best finding, if any."""
        return self.findings[0] if self.findings else None


def retrieve(
    session: Session,
    site_id: int,
    text: str,
    *,
    context: str = "",
    facts: Callable[[], list[Passage]] | None = None,
    limit: int = 4,
    language: str = "en",
) -> Retrieval:
    """The sections answering `text` (a follow-up of `context`), best first, with quotes.

    `facts` gives the site's own facts (services, hours); they are read only when no page
    answers with confidence, so the owner's pages speak first.
    """
    lex = lexicon(language)
    question = analyse(text, lex, context)
    passages, ranks, corpus = candidates(session, site_id, question, language)
    # "a woman instructor" when the pages say "female": words near in meaning to one none of
    # the candidates holds stand in for it, weakly (before the first look, kept for the second).
    widen(question, [f"{p.title} {p.heading} {p.text}" for p in passages], lex)
    # What the units match is kept for the second look, which ranks the closest pages again.
    memo: dict = {}
    found = rank_passages(
        question, passages, ranks, limit=limit, language=language, corpus=corpus, memo=memo
    )
    # "are you open on Saturday?": the hours the owner set are read even when a page answers,
    # so a class timetable does not speak for the front door.
    if facts is None or found.confident and "hours" not in question.aspects - question.hinted_only:
        return found
    extra = facts()
    if not extra:
        return found
    # Second look, with the site's facts beside the pages that came closest.
    closest = [p for p in passages if any(f.title == p.title for f in found.findings)]
    pool = closest[:FACT_COMPANIONS] + extra
    pool_ranks = [float(i) for i in range(len(closest[:FACT_COMPANIONS]))]
    pool_ranks += [FACT_RANK] * len(extra)
    return rank_passages(
        question, pool, pool_ranks, limit=limit, language=language, corpus=corpus, memo=memo
    )


def candidates(
    session: Session, site_id: int, question: Question, language: str = "en"
) -> tuple[list[Passage], list[float], tuple[int, dict[str, int]] | None]:
    """The full-text candidates for an analysed question: (passages best first, their ranks,
    the index's passage counts per stem on SQLite, else None)."""
    lex = lexicon(language)
    words = [w for w in question.search_words if SAFE_WORD.fullmatch(w)]
    passages: list[Passage] = []
    ranks: list[float] = []
    corpus = None
    if not words:
        return passages, ranks, corpus
    rows_for = postgres_rows
    if session.get_bind().dialect.name == "sqlite":
        stems = {w for c in question.concepts for form in c.forms for w in form}
        stems |= {lex.stem(w) for w in words} | set(words)
        corpus = sqlite_vocabulary(session, sorted(stems))
        if corpus is not None:  # "apointment", "handbuilt": what the pages call it
            words += [w for w in correct(session, question, corpus) if w not in words]
        rows_for, words = sqlite_rows, sqlite_selective(session, words, vocabulary=corpus)
    rows = rows_for(session, site_id, words, at_least=1, n=CANDIDATES, flags=False)
    for position, row in enumerate(rows):
        passages.append(Passage(row[2], row[3] or "", row[4] or "", row[5]))
        ranks.append(float(position))
    return passages, ranks, corpus


def rank_passages(
    question: Question,
    passages: list[Passage],
    ranks: list[float],
    *,
    limit: int = 4,
    language: str = "en",
    corpus: tuple[int, dict[str, int]] | None = None,
    memo: dict | None = None,
) -> Retrieval:
    """Score the passages' units for an analysed question and quote the best sections.

    `corpus` (passages indexed, passages per stem) weighs the question's words by how rare
    they are in the whole index; without it, by how rare among these passages. `memo` keeps
    what the units matched for another ranking of the same question (knowledge.ranking.rank).
    """
    lex = lexicon(language)
    units = split_passages([(p.heading, p.text) for p in passages])
    shared = None if memo is None else (memo, passages)
    titles = [p.title for p in passages]
    scored = _fact_first(rank(units, titles, ranks, question, lex, corpus, shared), question)
    result = Retrieval(question)
    if not scored or scored[0].score <= 0:
        return result
    seen: set[tuple[int, int]] = set()
    stating: list[bool] = []  # whether each finding's best unit states the fact asked for
    for item in scored:
        key = (item.unit.passage, item.unit.section)
        if key in seen or item.score <= 0:
            continue
        seen.add(key)
        result.findings.append(_finding(item, scored, units, passages))
        stating.append(item.aspect)
        if len(result.findings) == limit:
            break
    result.findings = _by_meaning(question, result.findings, stating)
    result.confident = is_confident(scored[0], question)
    result.likely = not result.confident and scored[0].coverage >= LIKELY
    return result


def _by_meaning(question: Question, findings: list[Finding], stating: list[bool]) -> list[Finding]:
    """When the words leave doubt, the few best sections are ordered by their score and how
    close in meaning their quote is to the question (the answer is often the second best).

    For a price, time, duration or place, a first section stating one is passed only by
    another stating one: "Full highlights: $190" stays ahead of what highlights are."""
    top = findings[:MEANING_LOOK]
    if len(top) < 2 or top[0].coverage >= MEANING_DOUBT:
        return findings
    wants_fact = bool((question.aspects - question.hinted_only) & FACT_ASPECTS)
    movable = [i for i in range(len(top)) if stating[i] or not (wants_fact and stating[0])]
    if len(movable) < 2:
        return findings
    close = similarities(question.text, [f"{top[i].heading}. {top[i].quote}" for i in movable])
    high = top[0].score or 1.0
    nearness = dict(zip(movable, close, strict=True))
    order = iter(
        sorted(movable, key=lambda i: -(top[i].score / high + MEANING_WEIGHT * nearness[i]))
    )
    return [top[next(order)] if i in nearness else top[i] for i in range(len(top))] + findings[
        MEANING_LOOK:
    ]


def _fact_first(scored: list[Scored], question: Question) -> list[Scored]:
    """For "how much is X?", the best unit stating an amount goes first when it covers the
    question nearly as well as a best one that states none ("full highlights go through the
    whole head" vs "Full highlights: from $190")."""
    if (
        not scored
        or scored[0].aspect
        or not (question.aspects - question.hinted_only) & FACT_ASPECTS
    ):
        return scored
    best = scored[0]
    for position, item in enumerate(scored[1:FACT_LOOK], start=1):
        if (
            item.aspect
            and item.coverage >= FACT_COVERAGE * best.coverage
            and item.score >= FACT_SCORE * best.score
        ):
            return [item] + scored[:position] + scored[position + 1 :]
    return scored


def is_confident(best: Scored, question: Question) -> bool:
    """Whether the best unit answers the question well enough to be said as the answer."""
    if best.echo >= ECHO_SURE and best.coverage >= CONFIDENT_WITH_ASPECT:
        return True  # a FAQ asking just this, in other words
    wants_fact = bool(question.aspects & FACT_ASPECTS)
    if best.coverage >= CONFIDENT and (
        best.aspect or not wants_fact or best.coverage >= CONFIDENT_WITHOUT_FACT
    ):
        return True
    return wants_fact and best.aspect and best.coverage >= CONFIDENT_WITH_ASPECT


def _finding(item: Scored, scored: list[Scored], units, passages: list[Passage]) -> Finding:
    unit = item.unit
    passage = passages[unit.passage]
    section = [u.text for u in units if u.passage == unit.passage and u.section == unit.section]
    return Finding(
        title=passage.title,
        url=passage.url,
        heading=unit.heading,
        quote=excerpt(item, scored, units),
        section=clip(" ".join(section), SECTION_CHARS),
        score=round(item.score, 3),
        coverage=round(item.coverage, 3),
        page=passage.page,
        unit=unit.heading if unit.kind == "heading" else unit.text,
    )
