"""A visitor's question read for retrieval: what it is about, and what kind of fact it wants.

"how much would a root canal on a back tooth set me back" becomes the concepts root, canal,
back, tooth (each with its synonyms from the lexicon: tooth / teeth) and the aspect `price`
("how much", "set me back"), whose answer states an amount. A follow-up ("and with a
master?") brings the earlier question's concepts along, weaker than its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from itertools import zip_longest

from frontdesk.knowledge import nouns
from frontdesk.knowledge.lexicon import Lexicon, Phrase
from frontdesk.knowledge.nouns import DETERMINERS, MODAL_NOUNS, id_here, noun_here

SYNONYM_STRENGTH = 0.7
INFLECTED = 0.95  # another form of the visitor's own word
CARRIED_WEIGHT = 0.45
GENERIC_WEIGHT = 0.5
NUMBER_WEIGHT = 0.35  # "14 yr old" may be answered by "under 16": a number helps, rarely decides
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
EXCLUDING = frozenset({"except", "excluding", "besides"})
EXCLUDING_PAIRS = frozenset({("other", "than"), ("apart", "from"), ("rather", "than")})
NOT_AFTER = frozenset({"that", "which", "it", "is", "its", "thats"})  # "a tooth that's not a..."
CLAUSE_END = re.compile(r"[,;.!?]\s|\s(?:because|but)\s", re.I)
ASIDE = 0.5  # weight of a concept outside the asking clause of "do you...?"
REQUIRED = 2  # how many concepts after "do you..." name the thing asked about
CAPABILITY = re.compile(
    r"^\W*(?:(?:hi|hey|hello|ok|so|and|also)\W+)*(?:(?:do|does|can|could|would|will) "
    r"(?:you|u|ya|your (?:team|staff|clinic|practice|firm|salon|studio|shop)|anyone there)"
    r"(?: guys| folks| all)?|(?:is|are) there (?:a|an|any)|can i (?:get|have|buy|pay (?:with|by|in)"
    r"|use|bring)|(?:have you|you) got|got (?:any|a|an)|any chance (?:of|you)|"
    # "does the studio have air conditioning?", "does amara do perms?"
    r"(?:does|do) (?:the |this |your )?\w+ (?:have|do|offer|sell|stock|speak|treat|run)|"
    r"(?:would|will) i be able to (?:get|have|buy|use|bring))\b",
    re.I,
)


@dataclass(frozen=True)
class Concept:
    """One thing the question is about, and the phrases (stems) that say it."""

    label: str
    forms: dict[Phrase, float]  # phrase -> how strongly finding it counts (1 for the own word)
    weight: float = 1.0  # lower for concepts carried over from an earlier question
    cue: bool = False  # stands in for an aspect's cue when the question names nothing else


@dataclass
class Question:
    """The concepts, aspects and numbers of a question, and words for the full-text search."""

    text: str
    concepts: list[Concept] = field(default_factory=list)
    aspects: set[str] = field(default_factory=set)
    numbers: set[str] = field(default_factory=set)
    search_words: list[str] = field(default_factory=list)
    # "do you do botox?": the site must mention what is asked about, or it does not do it.
    required: list[Concept] = field(default_factory=list)
    hinted: dict[str, str] = field(default_factory=dict)  # stem of a hint -> its aspect
    echo_stems: list[str] = field(default_factory=list)  # its words as a FAQ would repeat them
    hinted_only: set[str] = field(default_factory=set)  # aspects named by a hint, no cue
    # "a tooth that's not a wisdom tooth": stems of what the visitor does NOT mean.
    excluded: set[str] = field(default_factory=set)


def analyse(text: str, lex: Lexicon, context: str = "") -> Question:
    """Read a question (and the earlier one it follows up, if any) for retrieval."""
    question = _read(text, lex)
    if context:
        earlier = _read(context, lex)
        own = {form for concept in question.concepts for form in concept.forms}
        days = _days(question.concepts, lex)
        for concept in earlier.concepts:
            if days and _days([concept], lex):
                continue  # "and on saturday?" after Monday's hours asks about Saturday alone
            if not own.intersection(concept.forms):
                carried = Concept(concept.label, concept.forms, CARRIED_WEIGHT)
                question.concepts.append(carried)
        if not question.aspects - question.hinted_only:
            # "how about on Sunday?" after a price: still the price, now for Sunday
            question.aspects |= earlier.aspects - earlier.hinted_only
        question.search_words += [w for w in earlier.search_words if w not in question.search_words]
    question.search_words = question.search_words[:MAX_SEARCH_WORDS]
    return question


def _days(concepts: list[Concept], lex: Lexicon) -> bool:
    """Whether a concept names a day in the visitor's own words."""
    strong = (form for c in concepts for form, strength in c.forms.items() if strength >= 1.0)
    return any(len(form) == 1 and form[0] in lex.days for form in strong)


def _read(text: str, lex: Lexicon) -> Question:
    words = lex.joined(lex.words(text[:1000]))
    stems = [lex.stem(word) for word in words]
    question = Question(text)
    question.echo_stems = [s for w, s in zip(words, stems, strict=True) if w not in FUNCTION_WORDS]
    used = [False] * len(words)
    _find_aspects(question, lex, words, used)
    nouns.not_priced(question.aspects, text)  # "how do I pay you?" asks a way, not a sum
    _find_excluded(question, lex, words, stems, used)
    position = 0
    originals: list[str] = []
    expansions: list[list[str]] = []  # per concept (and aspect): its synonyms, in order
    while position < len(words):
        if used[position]:
            position += 1
            continue
        phrase, size = _longest_group_phrase(lex, stems, position, used)
        if phrase is None and id_here(words, position):  # "what ID do I need", not "id like"
            phrase, size = (stems[position],), 1
        if phrase is not None:
            forms = {p: SYNONYM_STRENGTH for p in lex.synonyms(phrase)}
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
            forms = {(stem,): 1.0} | {(s,): INFLECTED for s in _inflected(word, stem, lex)}
            spelled = NUMBER_WORDS.get(word) or DIGITS.get(word)
            if spelled:  # "5 privates" / "a pack of five private sessions"
                forms[(spelled,)] = 1.0
            question.concepts.append(Concept(word, forms, NUMBER_WEIGHT if number else 1.0))
            originals.append(word)
        position += 1
    question.concepts = _merged(question.concepts)
    question.concepts = [c for c in question.concepts if not _says_aspect(c, question, lex)]
    if len(question.concepts) > 1:
        question.concepts = [_generic_halved(c, lex) for c in question.concepts]
    if not question.concepts:  # "how can I pay?": the cue is all there is to go on
        cue_words = [i for i, was_used in enumerate(used) if was_used]
        question.concepts = [
            Concept(words[i], {(stems[i],): 1.0}, cue=True)
            for i in cue_words
            if not lex.ignorable(stems[i], words[i])
        ]
    capable = CAPABILITY.search(text)
    if capable:
        # "is there a lift, my knees are bad": what is asked about is in the asking clause.
        clause = set(lex.joined(lex.words(CLAUSE_END.split(text[capable.start() :], 1)[0])))
        asked = [
            c for c in question.concepts if c.weight == 1.0 and clause.issuperset(c.label.split())
        ]
        # "do you answer the phone?": the verb says how; what must be on the site is the phone.
        if len(asked) > 1 and all(w in lex.verbs for form in asked[0].forms for w in form[:1]):
            asked = asked[1:]
        question.required = asked[:REQUIRED]
        # "can you do electrics as well, need a new socket": the rest says why, weighing less
        question.concepts = [
            c if clause.intersection(c.label.split()) else replace(c, weight=c.weight * ASIDE)
            for c in question.concepts
        ]
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
    return question


def _inflected(word: str, stem: str, lex: Lexicon) -> set[str]:
    """Stems of the word's other forms that Snowball stems differently ("true": truing,
    trued -> "tru"), so "how much to true a wheel" finds "Wheel truing: $30"."""
    if not word.isalpha() or len(word) < 4:
        return set()
    base = word[:-1] if word.endswith("e") else word
    forms = {word + "s", base + "ing", base + "ed"}
    if word.endswith("ed"):  # "injured": injury; "carried": carry
        forms |= {word[:-2], word[:-1], word[:-2] + "y", word[:-3] + "y"}
    elif word.endswith("ing"):  # "parking": park; "sharing": share
        forms |= {word[:-3], word[:-3] + "e"}
    return {s for s in map(lex.stem, forms) if s != stem and len(s) >= 3}


def _says_aspect(concept: Concept, question: Question, lex: Lexicon) -> bool:
    """A concept that only restates the aspect ("take" in "how long does it take") or, in a
    where/when question, names the business itself ("where's the salon")."""
    own = [form for form, strength in concept.forms.items() if strength >= 1.0]
    for aspect in lex.aspects:
        if aspect.name in question.aspects and all(form in aspect.words for form in own):
            return True
    place_or_time = question.aspects & {"location", "hours"}
    return bool(place_or_time) and all(len(f) == 1 and f[0] in lex.itself for f in own)


def _generic_halved(concept: Concept, lex: Lexicon) -> Concept:
    """Words for a visit in general, or for the business itself ("is the salon wheelchair
    friendly?"), weigh half: every page of the site is about them."""
    own = [form for form, strength in concept.forms.items() if strength >= 1.0]
    vague = lex.generic | lex.itself
    if own and all(len(f) == 1 and f[0] in vague for f in own):
        return Concept(concept.label, concept.forms, concept.weight * GENERIC_WEIGHT, concept.cue)
    return concept


def _merged(concepts: list[Concept]) -> list[Concept]:
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


def _find_aspects(question: Question, lex: Lexicon, words: list[str], used: list[bool]) -> None:
    """Aspect cues ("how much", "where") name the kind of fact and are used up; hints
    ("postcode", "weekend") name it too but stay concepts of their own."""
    # "what actually happens at", "how much roughly": chat filler inside a cue is skipped.
    kept = [i for i, w in enumerate(words) if w not in lex.filler or w in lex.cue_words]
    said = [words[i] for i in kept]
    present = set(said)  # most of the lexicon's cues are not in the question at all
    for aspect in lex.aspects:
        for phrases, consume in ((aspect.cues, True), (aspect.hints, False)):
            for phrase in phrases:
                if phrase and phrase[0] not in present:
                    continue
                size = len(phrase)
                for start in range(len(said) - size + 1):
                    if tuple(said[start : start + size]) == phrase:
                        if consume:
                            for i in kept[start : start + size]:
                                used[i] = True
                            question.hinted_only.discard(aspect.name)
                        else:
                            question.hinted[lex.stem(phrase[-1])] = aspect.name
                            if aspect.name not in question.aspects:
                                question.hinted_only.add(aspect.name)
                        question.aspects.add(aspect.name)


def _find_excluded(
    question: Question, lex: Lexicon, words: list[str], stems: list[str], used: list[bool]
) -> None:
    """What follows "except", "other than", "apart from" or "that's not a" is what the
    visitor does not mean: its new words are set aside (a word said before stays asked)."""
    for at, word in enumerate(words):
        after_not = word == "not" and 0 < at < len(words) - 1 and words[at - 1] in NOT_AFTER
        if word in EXCLUDING:
            size = 1
        elif tuple(words[at : at + 2]) in EXCLUDING_PAIRS or (
            after_not and words[at + 1] in DETERMINERS
        ):
            size = 2
        else:
            continue
        taken = 0
        for later in range(at + size, min(at + size + 4, len(words))):
            if words[later] in DETERMINERS or lex.ignorable(stems[later], words[later]):
                continue
            if stems[later] not in stems[:at]:
                question.excluded.add(stems[later])
                used[later] = True
            taken += 1
            if taken == 2:
                break


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


def _distinct(words: list[str], lex: Lexicon, keep: bool = False) -> list[str]:
    """Each word once, at most 40 characters; stop words and filler dropped unless `keep`."""
    out: list[str] = []
    for word in words:
        if word not in out and (keep or not lex.ignorable(word, word)) and len(word) <= 40:
            out.append(word)
    return out
