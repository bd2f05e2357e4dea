"""A visitor's question read for retrieval: what it is about, and what kind of fact it wants.

"how much would a root canal on a back tooth set me back" becomes the concepts root, canal,
back, tooth (each with its synonyms from the lexicon: tooth / teeth) and the aspect `price`
("how much", "set me back"), whose answer states an amount. A follow-up ("and with a
master?") brings the earlier question's concepts along, weaker than its own.
"""

from __future__ import annotations

from itertools import zip_longest

from frontdesk.knowledge import nouns
from frontdesk.knowledge.concepts import (
    CARRIED_WEIGHT,
    INFLECTED,
    NUMBER_WEIGHT,
    SYNONYM_STRENGTH,
    Concept,
    Question,
    generic_halved,
    inflected,
    merged,
    names_day,
    says_aspect,
)
from frontdesk.knowledge.cues import (
    age_said,
    find_aspects,
    find_excluded,
    find_required,
    longest_group_phrase,
)
from frontdesk.knowledge.lexicon import Lexicon
from frontdesk.knowledge.nouns import MODAL_NOUNS, id_here, noun_here

__all__ = ["Concept", "Question", "analyse"]

MAX_SEARCH_WORDS = 16
_SPELLED = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
            "eleven", "twelve")  # fmt: skip
NUMBER_WORDS = {w: str(n) for n, w in enumerate(_SPELLED, start=1)}  # "5 privates" / "five"
DIGITS = {d: w for w, d in NUMBER_WORDS.items()}
# Words too common to show that a FAQ heading repeats a question ("how" and "long" do).
_FUNCTION_WORDS_TEXT = """
    a an the to of for in on at is are am be do does did i you we my your our it its can and
    or me us so just what whats that this there
"""
FUNCTION_WORDS = frozenset(_FUNCTION_WORDS_TEXT.split())
# "Do I have to come in?" repeats "do I actually need to come in?": one obligation, in words.
OBLIGING = frozenset({"need", "needs", "have", "has", "must", "required", "require"})
OBLIGED = "need"


def analyse(text: str, lex: Lexicon, context: str = "") -> Question:
    """Read a question (and the earlier one it follows up, if any) for retrieval."""
    question = _read(text, lex)
    if context:
        earlier = _read(context, lex)
        own = {form for concept in question.concepts for form in concept.forms}
        days = names_day(question.concepts, lex)
        for concept in earlier.concepts:
            if days and names_day([concept], lex):
                continue  # "and on saturday?" after Monday's hours asks about Saturday alone
            if not own.intersection(concept.forms):
                carried = Concept(concept.label, concept.forms, CARRIED_WEIGHT)
                question.concepts.append(carried)
        if not question.aspects - question.hinted_only:
            # "how about on Sunday?" after a price: still the price, now for Sunday
            question.aspects |= earlier.aspects - earlier.hinted_only
        # Both questions' own words before either's synonyms and cues: "how much is that?" after
        # "lessons in my own car" fills the search with the price cues, and the car was lost.
        mine, theirs = question.search_words, earlier.search_words
        ordered = (
            mine[: question.own_words]
            + theirs[: earlier.own_words]
            + mine[question.own_words :]
            + theirs[earlier.own_words :]
        )
        question.search_words = list(dict.fromkeys(ordered))
    question.search_words = question.search_words[:MAX_SEARCH_WORDS]
    return question


def _read(text: str, lex: Lexicon) -> Question:
    words = nouns.one_as_single(nouns.money_back(lex.joined(lex.words(text[:1000]))))
    stems = [lex.stem(word) for word in words]
    question = Question(text)
    # Chat filler ("actually", "somebody") is no part of what a FAQ would repeat; "need",
    # "have (to)" and "must" are, as one word (OBLIGED).
    question.echo_stems = [
        OBLIGED if w in OBLIGING else s
        for w, s in zip(words, stems, strict=True)
        if w not in FUNCTION_WORDS and (w in OBLIGING or w not in lex.filler)
    ]
    used = [False] * len(words)
    find_aspects(question, lex, words, used)
    age_said(question, text)
    nouns.rate_words(words, used)
    paying = [False] * len(words)
    if nouns.not_priced(question.aspects, text):  # "how do I pay you?" asks a way, not a sum
        # ...and beside other words paying is what it is about: "when do I pay, at drop-off or
        # pick-up?" finds "You pay when you collect"; alone, it stays the cue ("how can I pay?")
        paying = [u and w in nouns.PAY_WORDS for u, w in zip(used, words, strict=True)]
        used = [u and not p for u, p in zip(used, paying, strict=True)]
    find_excluded(question, lex, words, stems, used)
    position = 0
    originals: list[str] = []
    expansions: list[list[str]] = []  # per concept (and aspect): its synonyms, in order
    while position < len(words):
        if used[position] or nouns.quantity_here(words, position):
            position += 1  # "a couple (of) weeks" says how many, not who
            continue
        phrase, size = longest_group_phrase(lex, stems, position, used)
        if phrase is None and id_here(words, position):  # "what ID do I need", not "id like"
            phrase, size = (stems[position],), 1
        if phrase is not None:
            forms = {p: SYNONYM_STRENGTH for p in lex.synonyms(phrase)}
            for other in nouns.other_forms(words[position]) if size == 1 else ():
                forms[(lex.stem(other),)] = INFLECTED  # "woman": "women", no synonym
            forms[phrase] = 1.0
            label = " ".join(words[position : position + size])
            question.concepts.append(Concept(label, forms))
            originals.extend(words[position : position + size])
            expansions.append([w for p in forms for w in p if len(p) == 1])
            position += size
            continue
        word, stem = words[position], stems[position]
        # "a will", "my will": a stop word after a determiner is a noun, and the topic.
        noun = word in MODAL_NOUNS and noun_here(words, position, lex)
        if noun or not lex.ignorable(stem, word):
            number = word[0].isdigit() or word in NUMBER_WORDS
            if number:
                question.numbers.add(word)
            forms = {(stem,): 1.0} | {(s,): INFLECTED for s in inflected(word, stem, lex)}
            spelled = NUMBER_WORDS.get(word) or DIGITS.get(word)
            if spelled:  # "5 privates" / "a pack of five private sessions"
                forms[(spelled,)] = 1.0
            question.concepts.append(Concept(word, forms, NUMBER_WEIGHT if number else 1.0))
            originals.append(word)
        position += 1
    question.concepts = merged(question.concepts)
    question.concepts = [c for c in question.concepts if not says_aspect(c, question, lex)]
    if len(question.concepts) > 1:
        question.concepts = [generic_halved(c, lex) for c in question.concepts]
    if all(c.label in nouns.PAY_WORDS for c in question.concepts):
        question.concepts = []  # "how can I pay?": paying was the cue, and is again
        used = [u or p for u, p in zip(used, paying, strict=True)]
    if not question.concepts:  # "how can I pay?": the cue is all there is to go on
        cue_words = [i for i, was_used in enumerate(used) if was_used]
        question.concepts = [
            Concept(words[i], {(stems[i],): 1.0}, cue=True)
            for i in cue_words
            if not lex.ignorable(stems[i], words[i])
        ]
    find_required(question, lex)
    for aspect in lex.aspects:
        if aspect.name in question.aspects:
            # A FAQ heading may ask it in the visitor's words ("Where are you based?").
            cues = [w for p in aspect.cues for w in p] + [w for p in aspect.words for w in p]
            # How pages state it ("street", "floor") first: the cues' stems repeat each other.
            expansions.append([*aspect.search, *(w for w in cues if w not in lex.stop)])
    # The visitor's own words first (a cue like "pay" too: a page may say it), then synonyms.
    asked = [w for w, was_used in zip(words, used, strict=True) if was_used]
    first = _distinct(originals, lex, keep=True)
    # Synonyms taken in turn, one of each concept's at a time: the search has room for few,
    # and the third concept's ("lift": stairs) matter as much as the first's.
    spread = [w for turn in zip_longest(*expansions) for w in turn if w]
    question.search_words = first + [w for w in _distinct(asked + spread, lex) if w not in first]
    question.own_words = len(first)
    return question


def _distinct(words: list[str], lex: Lexicon, keep: bool = False) -> list[str]:
    """Each word once, at most 40 characters; stop words and filler dropped unless `keep`."""
    out: list[str] = []
    for word in words:
        if word not in out and (keep or not lex.ignorable(word, word)) and len(word) <= 40:
            out.append(word)
    return out
