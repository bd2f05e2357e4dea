"""A visitor's question read for retrieval: what it is about, and what kind of fact it wants.

"how much would a root canal on a back tooth set me back" becomes the concepts root, canal,
back, tooth (each with its synonyms from the lexicon: tooth / teeth) and the aspect `price`
("how much", "set me back"), whose answer states an amount. A follow-up ("and with a
master?") brings the earlier question's concepts along, weaker than its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from frontdesk.knowledge.lexicon import Lexicon, Phrase

SYNONYM_STRENGTH = 0.7
CARRIED_WEIGHT = 0.45
MAX_SEARCH_WORDS = 24


@dataclass(frozen=True)
class Concept:
    """One thing the question is about, and the phrases (stems) that say it."""

    label: str
    forms: dict[Phrase, float]  # phrase -> how strongly finding it counts (1 for the own word)
    weight: float = 1.0  # lower for concepts carried over from an earlier question


@dataclass
class Question:
    """The concepts, aspects and numbers of a question, and words for the full-text search."""

    text: str
    concepts: list[Concept] = field(default_factory=list)
    aspects: set[str] = field(default_factory=set)
    numbers: set[str] = field(default_factory=set)
    search_words: list[str] = field(default_factory=list)


def analyse(text: str, lex: Lexicon, context: str = "") -> Question:
    """Read a question (and the earlier one it follows up, if any) for retrieval."""
    question = _read(text, lex)
    if context:
        earlier = _read(context, lex)
        own = {form for concept in question.concepts for form in concept.forms}
        for concept in earlier.concepts:
            if not own.intersection(concept.forms):
                carried = Concept(concept.label, concept.forms, CARRIED_WEIGHT)
                question.concepts.append(carried)
        if not question.aspects:
            question.aspects = earlier.aspects
        question.search_words += [w for w in earlier.search_words if w not in question.search_words]
    question.search_words = question.search_words[:MAX_SEARCH_WORDS]
    return question


def _read(text: str, lex: Lexicon) -> Question:
    words = lex.words(text[:1000])
    stems = [lex.stem(word) for word in words]
    question = Question(text)
    used = [False] * len(words)
    _find_aspects(question, lex, stems, used)
    position = 0
    originals: list[str] = []
    expansions: list[str] = []
    while position < len(words):
        if used[position]:
            position += 1
            continue
        phrase, size = _longest_group_phrase(lex, stems, position, used)
        if phrase is not None:
            forms = {p: SYNONYM_STRENGTH for p in lex.synonyms(phrase)}
            forms[phrase] = 1.0
            label = " ".join(words[position : position + size])
            question.concepts.append(Concept(label, forms))
            originals.extend(words[position : position + size])
            expansions.extend(w for p in forms for w in p if len(p) == 1)
            position += size
            continue
        word, stem = words[position], stems[position]
        if not lex.ignorable(stem, word):
            if word[0].isdigit():
                question.numbers.add(word)
            question.concepts.append(Concept(word, {(stem,): 1.0}))
            originals.append(word)
        position += 1
    for aspect in lex.aspects:
        if aspect.name in question.aspects:
            expansions.extend(w for p in aspect.words for w in p if len(p) == 1)
    question.search_words = _distinct(originals + expansions, lex)
    return question


def _find_aspects(question: Question, lex: Lexicon, stems: list[str], used: list[bool]) -> None:
    """Aspect cues ("how much", "where") name the kind of fact; their words are used up."""
    for aspect in lex.aspects:
        for cue in aspect.cues:
            size = len(cue)
            for start in range(len(stems) - size + 1):
                if tuple(stems[start : start + size]) == cue:
                    question.aspects.add(aspect.name)
                    # A one-word cue that also names a thing ("parking", "card") stays a concept.
                    if size > 1 or cue not in lex.by_phrase or lex.ignorable(cue[0], cue[0]):
                        for i in range(start, start + size):
                            used[i] = True


def _longest_group_phrase(
    lex: Lexicon, stems: list[str], start: int, used: list[bool]
) -> tuple[Phrase | None, int]:
    for size in range(min(lex.longest, len(stems) - start), 0, -1):
        if any(used[start : start + size]):
            continue
        phrase = tuple(stems[start : start + size])
        if phrase in lex.by_phrase and not (size == 1 and lex.ignorable(phrase[0], phrase[0])):
            return phrase, size
    return None, 0


def _distinct(words: list[str], lex: Lexicon) -> list[str]:
    out: list[str] = []
    for word in words:
        if word not in out and not lex.ignorable(word, word) and len(word) <= 40:
            out.append(word)
    return out
