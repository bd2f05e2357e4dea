"""What a question is about: its concepts (each with the phrases that say it) and how
much each weighs, merged when two say the same thing and halved when they say little."""

from __future__ import annotations

from dataclasses import dataclass, field

from frontdesk.knowledge.lexicon import Lexicon, Phrase
from frontdesk.knowledge.nouns import other_forms

SYNONYM_STRENGTH = 0.7
INFLECTED = 0.95  # another form of the visitor's own word
CARRIED_WEIGHT = 0.45
GENERIC_WEIGHT = 0.5
NUMBER_WEIGHT = 0.35  # "14 yr old" may be answered by "under 16": a number helps, rarely decides


@dataclass(frozen=True)
class Concept:
    """One thing the question is about, and the phrases (stems) that say it."""

    label: str
    forms: dict[Phrase, float]  # phrase -> how strongly finding it counts (1 for the own word)
    weight: float = 1.0  # lower for concepts carried over from an earlier question
    cue: bool = False  # stands in for an aspect's cue when the question names nothing else
    near: frozenset[Phrase] = frozenset()  # words near in meaning standing in for the own word


@dataclass
class Question:
    """The concepts, aspects and numbers of a question, and words for the full-text search."""

    text: str
    concepts: list[Concept] = field(default_factory=list)
    aspects: set[str] = field(default_factory=set)
    numbers: set[str] = field(default_factory=set)
    search_words: list[str] = field(default_factory=list)
    own_words: int = 0  # how many of the search words are the visitor's own (the rest expand)
    # "do you do botox?": the site must mention what is asked about, or it does not do it.
    required: list[Concept] = field(default_factory=list)
    hinted: dict[str, str] = field(default_factory=dict)  # stem of a hint -> its aspect
    echo_stems: list[str] = field(default_factory=list)  # its words as a FAQ would repeat them
    hinted_only: set[str] = field(default_factory=set)  # aspects named by a hint, no cue
    # "a tooth that's not a wisdom tooth": stems of what the visitor does NOT mean.
    excluded: set[str] = field(default_factory=set)


def names_day(concepts: list[Concept], lex: Lexicon) -> bool:
    """Whether a concept names a day in the visitor's own words."""
    strong = (form for c in concepts for form, strength in c.forms.items() if strength >= 1.0)
    return any(len(form) == 1 and form[0] in lex.days for form in strong)


def inflected(word: str, stem: str, lex: Lexicon) -> set[str]:
    """Stems of the word's other forms that Snowball stems differently ("true": truing,
    trued -> "tru"), so "how much to true a wheel" finds "Wheel truing: $30"."""
    irregular = other_forms(word)
    if irregular:  # "woman" / "women", "leave" / "left", which Snowball leaves apart
        return {lex.stem(form) for form in irregular} - {stem}
    if not word.isalpha() or len(word) < 4:
        return set()
    base = word[:-1] if word.endswith("e") else word
    forms = {word + "s", base + "ing", base + "ed"}
    if word.endswith("ed"):  # "injured": injury; "carried": carry
        forms |= {word[:-2], word[:-1], word[:-2] + "y"}
        if word.endswith("ied"):  # "carried": carry, but "allowed" is no "alloy"
            forms.add(word[:-3] + "y")
    elif word.endswith("ing"):  # "parking": park; "sharing": share
        forms |= {word[:-3], word[:-3] + "e"}
    return {s for s in map(lex.stem, forms) if s != stem and len(s) >= 3}


def says_aspect(concept: Concept, question: Question, lex: Lexicon) -> bool:
    """A concept that only restates the aspect ("take" in "how long does it take") or, in a
    where/when question, names the business itself ("where's the salon")."""
    own = [form for form, strength in concept.forms.items() if strength >= 1.0]
    for aspect in lex.aspects:
        if aspect.name in question.aspects and all(form in aspect.words for form in own):
            return True
    place_or_time = question.aspects & {"location", "hours"}
    return bool(place_or_time) and all(len(f) == 1 and f[0] in lex.itself for f in own)


def generic_halved(concept: Concept, lex: Lexicon) -> Concept:
    """Words for a visit in general, or for the business itself ("is the salon wheelchair
    friendly?"), weigh half: every page of the site is about them."""
    own = [form for form, strength in concept.forms.items() if strength >= 1.0]
    vague = lex.generic | lex.itself
    if own and all(len(f) == 1 and f[0] in vague for f in own):
        return Concept(concept.label, concept.forms, concept.weight * GENERIC_WEIGHT, concept.cue)
    return concept


def merged(concepts: list[Concept]) -> list[Concept]:
    """Concepts saying the same thing ("letter from my GP": letter from / GP) count once."""
    out: list[Concept] = []
    for concept in concepts:
        same = next((c for c in out if c.weight == concept.weight and _same(c, concept)), None)
        if same is None:
            out.append(concept)
            continue
        forms = dict(same.forms)
        for form, strength in concept.forms.items():
            forms[form] = max(forms.get(form, 0.0), strength)
        out[out.index(same)] = Concept(f"{same.label} {concept.label}", forms, same.weight)
    return out


def _same(a: Concept, b: Concept) -> bool:
    strong_a = {f for f, s in a.forms.items() if s >= 1.0}
    strong_b = {f for f, s in b.forms.items() if s >= 1.0}
    return bool(strong_a & set(b.forms) or strong_b & set(a.forms))
