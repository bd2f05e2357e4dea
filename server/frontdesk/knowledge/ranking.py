"""Score answer units (sentences, list items, table rows) against an analysed question.

A concept found in the unit itself counts fully; in its section heading (a FAQ question), in
the neighbouring sentences or in the page title it counts less. Concepts are weighted by how
rare they are among the candidate units, so the word that singles out the answer ("molar")
matters more than the one every candidate shares ("tooth"). A unit stating the kind of fact
asked for (an amount for a price question, a clock time for an hours question) gets a bonus.
`coverage` is the share of the question's weight the best context matched: the confidence.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from frontdesk.knowledge.lexicon import Lexicon, Phrase
from frontdesk.knowledge.question import Concept, Question
from frontdesk.knowledge.units import Unit

IN_TEXT, IN_CONTEXT, IN_HEADING, IN_NEIGHBOUR, IN_TITLE = 1.0, 0.8, 0.6, 0.35, 0.3
ASPECT_BONUS = 0.8
RANK_PENALTY = 0.04  # later full-text candidates lose a little, to break ties

MONEY = re.compile(
    r"[$€£¥₹]\s?\d|\d\s?(?:%|per cent|percent)|\b(?:aud|usd|nzd|cad|gbp|eur|chf|zar|sgd)\s?\d|"
    r"\d\s?(?:aud|usd|nzd|cad|gbp|eur|dollars?|pounds?|euros?)\b|\bfree\b|\bno charge\b|"
    r"\bhalf\b|\bin full\b|\bfull price\b",
    re.I,
)
CLOCK = re.compile(
    r"\b\d{1,2}(?:[:.]\d{2})?\s?(?:am|pm|a\.m\.|p\.m\.)|\b\d{1,2}:\d{2}\b|\bnoon\b|\bmidday\b|"
    r"\bclosed\b|\b(?:mon|tues|wednes|thurs|fri|satur|sun)days?\b",
    re.I,
)
NUMBER_WORD = r"(?:\d+(?:\.\d+)?|a|an|one|two|three|four|five|six|seven|eight|nine|ten|twelve)"
DURATION = re.compile(
    rf"\b{NUMBER_WORD}(?:\s?(?:to|-|–|or)\s?{NUMBER_WORD})?\s(?:minutes?|mins?|hours?|days?|"
    r"weeks?|months?|years?)\b",
    re.I,
)
ADDRESS = re.compile(
    r"\b\d+[A-Za-z]?,?\s+(?:[A-Z][\w'-]+\s+){1,3}(?:Street|St|Road|Rd|Lane|Ln|Avenue|Ave|Drive|"
    r"Dr|Way|Place|Pl|Square|Sq|Boulevard|Blvd|Terrace|Tce|Court|Ct|Parade|Quay|Crescent|"
    r"Highway|Hwy|Row|Close|Walk|Mall)\b|\b(?:floor|level|suite)\b|\b(?:located|based) in\b|"
    r"\b[A-Z]{1,2}\d{1,2}[A-Z]? \d[A-Z]{2}\b",
)
FEATURES = {"price": MONEY, "hours": CLOCK, "duration": DURATION, "location": ADDRESS}


@dataclass
class Scored:
    """A unit with its score, how much of the question it covers, and where the match was."""

    unit: Unit
    score: float
    coverage: float
    own: float  # share of the concept score found in the unit's own text
    aspect: bool  # states the kind of fact asked for


class _Stems:
    """A text's stems, as a set and as a padded string for phrase look-ups."""

    __slots__ = ("words", "joined")

    def __init__(self, lex: Lexicon, text: str) -> None:
        stems = lex.stems(text)
        self.words = set(stems)
        self.joined = f" {' '.join(stems)} "

    def has(self, phrase: Phrase) -> bool:
        if len(phrase) == 1:
            return phrase[0] in self.words
        return f" {' '.join(phrase)} " in self.joined


def rank(
    units: list[Unit], titles: list[str], ranks: list[float], question: Question, lex: Lexicon
) -> list[Scored]:
    """Every unit scored against the question, best first.

    `titles[p]` and `ranks[p]` are the page title and the full-text rank of passage p.
    """
    if not units:
        return []
    own = [_Stems(lex, u.text) for u in units]
    extra = [_Stems(lex, u.context) for u in units]
    headings = {u.heading: _Stems(lex, u.heading) for u in units}
    title_stems = [_Stems(lex, t) for t in titles]
    weights = _weights(question.concepts, own, extra, [headings[u.heading] for u in units])
    total = sum(weights) or 1.0
    scored = []
    for i, unit in enumerate(units):
        neighbours = _neighbours(units, own, i)
        places = (own[i], extra[i], headings[unit.heading], neighbours, title_stems[unit.passage])
        found = own_found = 0.0
        for concept, weight in zip(question.concepts, weights, strict=True):
            best, in_own = _found(concept, places)
            found += weight * best
            own_found += weight * in_own
        aspect = any(
            FEATURES[a].search(unit.text) for a in question.aspects if a in FEATURES
        ) or _numbers_match(question, unit.text)
        bonus = ASPECT_BONUS * (total / max(len(weights), 1)) if weights else ASPECT_BONUS
        score = found + (bonus if aspect else 0.0) - RANK_PENALTY * ranks[unit.passage]
        coverage = found / total if weights else (1.0 if aspect else 0.0)
        scored.append(Scored(unit, score, coverage, own_found / found if found else 0.0, aspect))
    scored.sort(key=lambda s: (-s.score, s.unit.passage, s.unit.index))
    return scored


def _weights(concepts: list[Concept], own, extra, heads) -> list[float]:
    """Rarer concepts weigh more: log inverse frequency among the candidate units."""
    count = len(own)
    weights = []
    for concept in concepts:
        strong = [form for form, strength in concept.forms.items() if strength >= 0.7]
        holders = sum(
            1
            for i in range(count)
            if any(own[i].has(f) or extra[i].has(f) or heads[i].has(f) for f in strong)
        )
        weights.append(math.log(1 + (count + 1) / (holders + 0.5)) * concept.weight)
    return weights


def _found(concept: Concept, places) -> tuple[float, float]:
    text, context, heading, neighbours, title = places
    best = in_own = 0.0
    for form, strength in concept.forms.items():
        if text.has(form):
            value = IN_TEXT
        elif context.has(form):
            value = IN_CONTEXT
        elif heading.has(form):
            value = IN_HEADING
        elif neighbours.has(form):
            value = IN_NEIGHBOUR
        elif title.has(form):
            value = IN_TITLE
        else:
            continue
        if value * strength > best:
            best = value * strength
            in_own = best if value == IN_TEXT else 0.0
    return best, in_own


def _neighbours(units: list[Unit], own: list[_Stems], i: int) -> _Stems:
    """The sentences either side in the same section, as one bag of stems."""
    merged = _Stems.__new__(_Stems)
    merged.words, parts = set(), []
    for j in (i - 1, i + 1):
        if 0 <= j < len(units) and _same_section(units[i], units[j]):
            merged.words |= own[j].words
            parts.append(own[j].joined)
    merged.joined = " ".join(parts) or " "
    return merged


def _same_section(a: Unit, b: Unit) -> bool:
    return a.passage == b.passage and a.section == b.section


def _numbers_match(question: Question, text: str) -> bool:
    """A number from the question in the unit ("is the 690 price..." / "AUD 690")."""
    if not question.numbers:
        return False
    said = {n.replace(",", "") for n in re.findall(r"\d[\d,]*(?:\.\d+)?", text)}
    return bool(said & question.numbers)
