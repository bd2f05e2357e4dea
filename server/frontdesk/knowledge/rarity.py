"""How much each of a question's concepts weighs: the rarer, the more it singles an answer out.

Among the candidate units ("tooth" is in all of them, "molar" in one), or, on a large index,
among all the passages (the candidates were fetched for the main topic, so among them it is
common; the index tells how rare it really is). Also: whether the thing a "do you do X Y?"
question names is named whole anywhere, or only its words apart.
"""

from __future__ import annotations

import math

from frontdesk.knowledge.lexicon import Lexicon
from frontdesk.knowledge.question import Concept, Question
from frontdesk.knowledge.said import Stems

STRICT = 0.9  # the visitor's own words (and their other forms), not synonyms


def _holds(concept: Concept, stems: Stems) -> bool:
    """Whether a text says the concept in the visitor's own word (or another form of it)."""
    return any(
        (strength >= STRICT or form in concept.near) and stems.has(form)
        for form, strength in concept.forms.items()
    )


def together(question: Question, lex: Lexicon, own, extra, heads) -> bool:
    """Whether some unit (with its context and heading) names the thing a "do you do X Y?"
    question asks about whole, when X Y is one phrase ("online video consultations")."""
    if len(question.required) < 2:
        return True
    first, second = question.required[:2]
    said = " ".join(lex.joined(lex.words(question.text)))
    if f" {first.label} {second.label} " not in f" {said} ":
        return True  # two things asked about, not one thing named in two words
    if lex.stem(first.label) in lex.verbs:
        return True  # "do you prepare kids for exams?": a verb and its object, not one thing
    return any(
        (_holds(first, o) or _holds(first, e) or _holds(first, h))
        and (_holds(second, o) or _holds(second, e) or _holds(second, h))
        for o, e, h in zip(own, extra, heads, strict=True)
    )


def local_weights(concepts: list[Concept], own, extra, heads) -> tuple[list[float], list[int]]:
    """Rarer concepts weigh more: log inverse frequency among the candidate units.

    Also returns how many units hold each concept.
    """
    count = len(own)
    # Most units of a large index were never stemmed (none of the question's words in them).
    live = [i for i in range(count) if own[i].words or extra[i].words]
    # A heading counts once, not once for every sentence under it: each looked at once.
    distinct = list({id(h): h for h in heads}.values())
    weights, counts = [], []
    for concept in concepts:
        strong = [form for form, strength in concept.forms.items() if strength >= 0.7]
        words = {f[0] for f in strong if len(f) == 1}
        phrases = [f for f in strong if len(f) > 1]
        firsts = {f[0] for f in phrases}  # a text without a phrase's first word lacks it

        def holds(stems: Stems, words=words, phrases=phrases, firsts=firsts) -> bool:
            if not stems.words.isdisjoint(words):
                return True
            return not stems.words.isdisjoint(firsts) and any(stems.has(f) for f in phrases)

        in_text = sum(1 for i in live if holds(own[i]) or holds(extra[i]))
        in_headings = sum(1 for h in distinct if holds(h))
        holders = in_text + in_headings
        # A concept found nowhere weighs as one found once: it may be the visitor's own word
        # for something the site does say, or a topic the site does not cover.
        weights.append(math.log(1 + (count + 1) / (max(holders, 1) + 0.5)) * concept.weight)
        counts.append(holders)
    return weights, counts


def corpus_weights(
    concepts: list[Concept], holders: list[int], corpus: tuple[int, dict[str, int]]
) -> list[float]:
    """Rarer concepts weigh more, by how many passages of the whole index hold them.

    The candidates were fetched for the question's main topic, so among them it is common;
    the index tells how rare it really is. A concept the candidates lack weighs as the rarest.
    """
    total, docs = corpus
    weights = []
    for concept, held in zip(concepts, holders, strict=True):
        counts = [
            min(docs.get(w, 0) for w in form)
            for form, strength in concept.forms.items()
            if strength >= 0.7
        ]
        df = max(counts, default=0) if held else 0
        weights.append(math.log(1 + (total + 1) / (max(df, 1) + 0.5)) * concept.weight)
    return weights
