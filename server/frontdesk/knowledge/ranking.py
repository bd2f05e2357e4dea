"""Score answer units (sentences, list items, table rows) against an analysed question.

A concept found in the unit itself counts fully; in its section heading (a FAQ question), in
the neighbouring sentences or in the page title it counts less. Concepts are weighted by how
rare they are among the candidate units, so the word that singles out the answer ("molar")
matters more than the one every candidate shares ("tooth"). A unit stating the kind of fact
asked for (an amount for a price question, a clock time for an hours question) gets a bonus.
`coverage` is the share of the question's weight the best context matched: the confidence.
"""

from __future__ import annotations

from dataclasses import dataclass

from frontdesk.knowledge.lexicon import Lexicon, Phrase
from frontdesk.knowledge.question import OBLIGED, Concept, Question
from frontdesk.knowledge.rarity import corpus_weights, local_weights, together
from frontdesk.knowledge.said import FEATURES, SOFT, Stems, label_share, probe, said, stems_of
from frontdesk.knowledge.semantic import add_meaning
from frontdesk.knowledge.units import Unit, is_near, neighbours, section_positions, unit_keys

IN_TEXT, IN_CONTEXT, IN_HEADING, IN_NEIGHBOUR, IN_TITLE = 1.0, 0.95, 0.75, 0.35, 0.3
ASPECT_BONUS = 1.2
EVIDENCE = 0.1  # share of the question's weight a unit must match for the full aspect bonus
PARTIAL = 0.85  # a phrase found only in part, word by word
RANK_PENALTY = 0.04  # later full-text candidates lose a little, to break ties

STEPS_HEADED = 0.5  # "What happens in a fit" over its steps, for "what happens at a fit?"
FOCUS = 0.5  # a price row naming only the thing asked about ("Single x-ray: $35")
HINT_MET = 0.6
HINTS_MET_BY_FACT = {"location", "hours"}  # a price hint ("deposit") needs its own word
QUESTION_HEADING = 1.0  # a FAQ's question over its first answers counts as their text...
FAQ_BONUS = 0.15  # ...and a little more: it was written to answer just that question
FAQ_ECHO = 2.0  # a FAQ question repeating the visitor's question ("How long does a website take?")
FAQ_ECHO_FROM = 0.3  # share of the visitor's words below which an echo earns nothing
PAIR_BONUS = 0.5
EXCLUDED_PENALTY = 1.5
MISSING_SHARE = 0.25  # X of "do you do X?" named nowhere: if the rest matched over half, hedged
CORPUS_MIN = 10  # passages: below this the index says little about how rare a word is
# Closeness in meaning (knowledge.semantic.add_meaning) adds to the coverage of the best units.
MEANING_TOP = 12  # units whose coverage is read (the best, runners-up, one per section)
OWN_BONUS = 0.1  # what the sentence itself says counts more than what its heading does
NOTHING = Stems([])
OBLIGING_STEMS = frozenset({"need", "have", "has", "must", "requir"})
STATED_BY = {*FEATURES, "items"}  # "items" is told by a unit's kind, not its words


@dataclass
class Scored:
    """A unit with its score, how much of the question it covers, and where the match was."""

    unit: Unit
    score: float
    coverage: float
    own: float  # share of the concept score found in the unit's own text
    aspect: bool  # states the kind of fact asked for
    echo: float = 0.0  # how much a FAQ heading over it repeats the question


@dataclass
class _Concept:
    """A concept's forms split for fast look-ups: one-word forms by stem, phrases apart."""

    single: dict[str, float]
    multi: list[tuple[Phrase, float, Phrase]]  # phrase, strength, its words that say something
    words: frozenset[str] = frozenset()  # every word _found can match: none near, nothing found


def _split(concept: Concept, stop: frozenset[str]) -> _Concept:
    single: dict[str, float] = {}
    multi = []
    for form, strength in concept.forms.items():
        if len(form) == 1:
            single[form[0]] = max(single.get(form[0], 0.0), strength)
        else:
            # "letter from": a sentence with "from" in it says nothing about letters.
            multi.append((form, strength, tuple(w for w in form if w not in stop)))
    return _Concept(single, multi, frozenset(single).union(*(m[2] for m in multi)))


def rank(
    units: list[Unit],
    titles: list[str],
    ranks: list[float],
    question: Question,
    lex: Lexicon,
    corpus: tuple[int, dict[str, int]] | None = None,
    memo: tuple[dict, list] | None = None,
) -> list[Scored]:
    """Every unit scored against the question, best first.

    `titles[p]` and `ranks[p]` are the page title and the full-text rank of passage p.
    `memo`, ({}, the passages), keeps what each unit states and matches, which its own passage
    alone decides, for another ranking of the question over some of the same passages.
    """
    if not units:
        return []
    wanted = {w for c in question.concepts for form in c.forms for w in form}
    # Stemming is most of the cost of a passage seen for the first time: a unit whose text
    # holds none of the question's words, even as a prefix, is not stemmed at all.
    probes = {probe(w) for w in wanted | question.excluded if w}
    own, extra = [], []
    for u in units:
        raw = f"{u.text} {u.context}".lower().replace(",", "")
        if any(probe in raw for probe in probes):
            own.append(stems_of(lex, u.text))
            extra.append(stems_of(lex, u.context))
        else:
            own.append(NOTHING)
            extra.append(NOTHING)
    headings = {u.heading: stems_of(lex, u.heading) for u in units}
    title_stems = [stems_of(lex, t) for t in titles]
    split = [_split(c, lex.stop) for c in question.concepts]
    weights, holders = local_weights(
        question.concepts, own, extra, [headings[u.heading] for u in units]
    )
    if corpus is not None and corpus[0] >= CORPUS_MIN:
        weights = corpus_weights(question.concepts, holders, corpus)
    # "do you do botox?": nothing about botox anywhere means no, however well "do" matches.
    missing = any(holders[question.concepts.index(c)] == 0 for c in question.required)
    # "do you do eyelash extensions?": a sentence on eyelashes and another on extensions is
    # not one about eyelash extensions.
    missing = missing or not together(
        question, lex, own, extra, [headings[u.heading] for u in units]
    )
    total = sum(weights) or 1.0
    aspects = [a for a in lex.aspects if a.name in question.aspects and a.name in STATED_BY]
    mean = total / len(weights) if weights else 1.0
    # An aspect only hinted at ("do I lose the deposit?") asks less for an amount than "how much".
    bonus = ASPECT_BONUS * mean * (1.0 if question.aspects - question.hinted_only else 0.5)
    pairs = _pairs(question, weights)
    steps_words = next((a.words for a in lex.aspects if a.name == "steps"), ())
    cue_only = bool(question.concepts) and all(c.cue for c in question.concepts)
    scored = []
    positions = section_positions(units)
    hintable = [_hintable(concept, question) for concept in question.concepts]
    # Most units hold none of the question's words: tell so before building their context.
    nearby = [
        is_near(wanted, units, own, i, (extra[i], headings[u.heading], title_stems[u.passage]))
        for i, u in enumerate(units)
    ]
    bases: dict[int, tuple[float, float]] = {}  # unit -> (coverage by words, cue-only floor)
    known, keys = (
        ({}, [None] * len(units)) if memo is None else (memo[0], unit_keys(units, memo[1]))
    )
    for i, unit in enumerate(units):
        heading = headings[unit.heading]
        faq = unit.heading.endswith("?") and positions[i] < 2
        found = own_found = asked = 0.0
        near = nearby[i]
        if keys[i] is None or keys[i] not in known:
            plainly = {a.name: _states(a, unit, heading, faq) for a in aspects}
            states = {name for name, value in plainly.items() if value >= 1.0}
            if near:
                places = (
                    own[i],
                    extra[i],
                    heading,
                    neighbours(units, own, i),
                    title_stems[unit.passage],
                )
                around = frozenset().union(*(place.words for place in places))
            matches = []
            for concept, quick, can_hint in zip(question.concepts, split, hintable, strict=True):
                if near and not around.isdisjoint(quick.words):
                    best, in_own = _found(
                        quick, places, around, QUESTION_HEADING if faq else IN_HEADING
                    )
                else:
                    best = in_own = 0.0
                if best < HINT_MET and can_hint and _meets_hint(concept, question, states):
                    best = in_own = HINT_MET
                matches.append((best, in_own))
            known[keys[i]] = (plainly, matches)  # an edge's (None) is made again each time
        plainly, matches = known[keys[i]]
        for weight, (best, in_own) in zip(weights, matches, strict=True):
            found += weight * best
            own_found += weight * in_own
            if faq and best > in_own:
                asked += weight * best
        stated = max(plainly.values(), default=0.0)
        if unit.kind == "heading" and "steps" in question.aspects:
            # "what do we do?": the answer is a whole section, best one headed that way
            stated = 1.0 + STEPS_HEADED * any(heading.has(w) for w in steps_words)
        echo = _echo(question, heading, lex) if faq else 0.0
        # A price or a time earns its bonus only beside something asked about (EVIDENCE).
        evidence = 1.0 if cue_only or not weights else min(1.0, found / (EVIDENCE * total))
        score = found + OWN_BONUS * own_found + FAQ_BONUS * asked + bonus * stated * evidence
        score -= RANK_PENALTY * ranks[unit.passage]
        if question.excluded and not question.excluded.isdisjoint(own[i].words):
            score -= EXCLUDED_PENALTY * mean  # "not a wisdom tooth": the sentence about them
        score += FAQ_ECHO * mean * echo + sum(w for pair, w in pairs if own[i].has(pair))
        if stated >= 1.0 and unit.kind in ("row", "item") and near and "price" in question.aspects:
            score += FOCUS * mean * label_share(unit.text, wanted, lex)
        # "where are you?" names nothing but the kind of fact: only stating it answers (a
        # "Contact" heading only hints at an address).
        plain = stated if stated >= 1.0 else stated / 2
        coverage = (found / total if weights else plain) * (
            1.0 if not missing else MISSING_SHARE * (found > total / 2)
        )
        # "how can I pay?": the cue word found, or the fact stated, is enough
        floor = stated if cue_only else 0.0
        bases[id(unit)] = (coverage, floor)
        coverage = max(coverage, floor)
        share = own_found / found if found else 0.0
        scored.append(Scored(unit, score, coverage, share, stated >= 1.0, echo))
    scored.sort(key=lambda s: (-s.score, s.unit.passage, s.unit.index))
    if not missing:
        near = {id(u) for u, n in zip(units, nearby, strict=True) if n}
        top = [s for s in scored[:MEANING_TOP] if id(s.unit) in near]
        if add_meaning(question.text, top, bases, mean):
            scored.sort(key=lambda s: (-s.score, s.unit.passage, s.unit.index))
    return scored


def _pairs(question: Question, weights: list[float]) -> list[tuple[tuple[str, str], float]]:
    """Neighbouring one-word concepts ("root canal"): found side by side they earn a bonus."""
    out = []
    concepts = list(zip(question.concepts, weights, strict=True))
    for (a, wa), (b, wb) in zip(concepts, concepts[1:], strict=False):
        first = [f for f, s in a.forms.items() if s >= 1.0 and len(f) == 1]
        second = [f for f, s in b.forms.items() if s >= 1.0 and len(f) == 1]
        if first and second and a.weight == b.weight == 1.0:
            out.append(((first[0][0], second[0][0]), PAIR_BONUS * min(wa, wb)))
    return out


def _echo(question: Question, heading: Stems, lex: Lexicon) -> float:
    """How much of the visitor's question a FAQ heading repeats, beyond FAQ_ECHO_FROM."""
    words = question.echo_stems
    if len(words) < 2:
        return 0.0
    said = heading.words
    if not said.isdisjoint(OBLIGING_STEMS):  # "Do I have to...?" / "Do I need...?"
        said = said | {OBLIGED}
    same = sum(1 for stem in words if stem in said)
    for concept in question.concepts:  # a synonym counts for the word it stands for
        own = [w for form, strength in concept.forms.items() if strength >= 1.0 for w in form]
        if any(heading.has(form) for form in concept.forms):
            same += sum(1 for w in own if w in words and w not in said)
    return max(0.0, min(1.0, same / len(words)) - FAQ_ECHO_FROM)


def _hintable(concept: Concept, question: Question) -> bool:
    """Whether a concept names a hint a stated fact can meet ("postcode", "weekend")."""
    return any(question.hinted.get(form[-1]) in HINTS_MET_BY_FACT for form in concept.forms)


def _meets_hint(concept: Concept, question: Question, states: set[str]) -> bool:
    """ "what's the postcode?": a unit stating an address answers it, word or no word."""
    for form in concept.forms:
        aspect = question.hinted.get(form[-1])
        if aspect in HINTS_MET_BY_FACT and aspect in states:
            return True
    return False


def _states(aspect, unit: Unit, heading: Stems, faq: bool) -> float:
    """How plainly a unit states the kind of fact asked for: 1 for an amount or a time."""
    if aspect.name == "items":  # "what should I bring?": a list names the things
        return 1.0 if unit.kind in ("item", "row") else 0.0
    stated = said(aspect.name, unit.text, unit.context if unit.kind == "row" else "")
    if stated >= 1.0:
        return 1.0
    if faq and any(heading.has(cue) for cue in aspect.cues):
        return 1.0  # the FAQ asks this very kind of question
    if stated or any(heading.has(word) for word in aspect.words):
        return SOFT
    return 0.0


def _found(concept: _Concept, places, around, in_heading: float) -> tuple[float, float]:
    """How well a concept is found around a unit, and how much of that in the unit itself.

    A phrase not found whole counts word by word, each where it is found best ("tours" in the
    sentence, "virtual" in the page title), discounted.
    """
    values = (IN_TEXT, IN_CONTEXT, in_heading, IN_NEIGHBOUR, IN_TITLE)
    best = in_own = 0.0
    for place, value in zip(places, values, strict=True):
        common = place.words.intersection(concept.single)
        if common:
            strength = max(concept.single[w] for w in common)
            if value * strength > best:
                best = value * strength
                in_own = best if value == IN_TEXT else 0.0
    for form, strength, content in concept.multi:
        if around.isdisjoint(content) or strength * IN_TEXT <= best:
            continue  # none of its words anywhere near, or it could not beat what was found
        value = next((v for place, v in zip(places, values, strict=True) if place.has(form)), 0.0)
        own_part = value == IN_TEXT
        if value < IN_TEXT and content and strength >= 1.0:  # a synonym counts only whole
            per_word = [max((v for p, v in zip(places, values, strict=True) if w in p.words), default=0.0)
                        for w in content]  # fmt: skip
            # The last word of an English noun phrase is its head ("tour" in "virtual tour").
            share = (sum(per_word) + per_word[-1]) / (len(content) + 1)
            if PARTIAL * share > value:
                value = PARTIAL * share
                own_part = any(w in places[0].words for w in content)
        if value * strength > best:
            best = value * strength
            in_own = best if own_part else 0.0
    return best, in_own
