"""The words of a question that say what kind of fact it wants ("how much", "where"), what
the visitor does not mean ("other than a filling"), and, in "do you do X?", what X is."""

from __future__ import annotations

import re
from dataclasses import replace

from frontdesk.knowledge.concepts import Question
from frontdesk.knowledge.lexicon import Lexicon, Phrase
from frontdesk.knowledge.nouns import DETERMINERS, money_back

EXCLUDING = frozenset({"except", "excluding", "besides"})
EXCLUDING_PAIRS = frozenset({("other", "than"), ("apart", "from"), ("rather", "than")})
NOT_AFTER = frozenset({"that", "which", "it", "is", "its", "thats"})  # "a tooth that's not a..."
CLAUSE_END = re.compile(r"[,;.!?]\s|\s(?:because|but|if)\s", re.I)
MEASURED = frozenset({"duration", "notice", "price", "age"})  # kinds of fact "how many..." may ask
AT_TIME = re.compile(r"\b\d{1,2}(?:[:.]\d{2})?\s?(?:am|pm)\b|\bmidnight\b", re.I)
NOT_MONEY = frozenset({"notice", "time", "warning", "longer"})
UNITS = frozenset({"minutes", "hours", "days", "weeks", "months", "years", "times"})
ASIDE = 0.5  # weight of a concept outside the asking clause of "do you...?"
REQUIRED = 2  # how many concepts after "do you..." name the thing asked about
TRAILING_VERB = re.compile(r"\b(?:do|does|can|will) (?:you|u|ya) (\w+)\W*$", re.I)
RELATIVE = frozenset({"who", "that", "which"})  # "a teacher who speaks hindi"
CAPABILITY = re.compile(
    r"^\W*(?:(?:hi|hey|hello|ok|so|and|also)\W+)*(?:(?:do|does|can|could|would|will) "
    r"(?:you|u|ya|your (?:team|staff|clinic|practice|firm|salon|studio|shop)|anyone there)"
    r"(?: guys| folks| all)?|(?:is|are) there (?:a|an|any)|can i (?:get|have|buy|pay (?:with|by|in)"
    r"|use|bring)|(?:have you|you) got|got (?:any|a|an)|any chance (?:of|you)|"
    # "does the studio have air conditioning?", "does amara do perms?"
    # ...but "do I have to pay upfront?", "does somebody have to be in?" ask what is required
    r"(?:does|do) (?:the |this |your )?(?!(?:i|we|somebody|someone|anybody|anyone|everyone)\b)"
    r"\w+ (?:have(?! to\b)|do|offer|sell|stock|speak|treat|run)|"
    r"(?:would|will) i be able to (?:get|have|buy|use|bring))\b",
    re.I,
)

# "im 16 can i start", "my son is 14", "she's turning 17": a bare number said of a person is an
# age, asked about as "how old does one have to be" (not "I'm 5 minutes away", "he is 6ft").
AGED = re.compile(
    r"\b(?:i'?m|i am|i[’]m|(?:he|she|they)(?:'s|’s|s| is|'re|’re| are)|(?:son|daughter|kid|child|"
    r"boy|girl|grandson|granddaughter|teen|teenager)s? (?:is|are|will be))\s+"
    r"(?:only |just |nearly |almost |about |turning |going to be )?(\d{1,2})\b"
    r"(?!\s*(?:%|[:.]\d|a\.?m|p\.?m|min|minutes?|mins|hours?|hrs?|days?|weeks?|months?|ft|feet|"
    r"foot|cm|kg|kilos?|km|miles?|k\b|euros?|dollars?|pounds?|quid|bucks|th\b|st\b|nd\b|rd\b|"
    r"in line|on the))",
    re.I,
)


def age_said(question: Question, text: str) -> None:
    """A number said of a person ("im 16") asks, like "how old", for an age rule; hinted, so
    a unit stating an age helps without deciding alone."""
    if AGED.search(text) and "age" not in question.aspects:
        question.aspects.add("age")
        question.hinted_only.add("age")


def find_aspects(question: Question, lex: Lexicon, words: list[str], used: list[bool]) -> None:
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
    # "can I ring at 3am?": a time of day asks when, as "weekend" does (a hint, not a cue)
    if "hours" not in question.aspects and AT_TIME.search(question.text):
        question.aspects.add("hours")
        question.hinted_only.add("hours")
    pairs = list(zip(words, words[1:], strict=False))
    if any(a == "much" and b in NOT_MONEY for a, b in pairs):  # "how much notice" is no price
        question.aspects.discard("price")
    # "how many hours", "how many years": a duration, not a number of things
    if question.aspects & MEASURED or any(a == "many" and b in UNITS for a, b in pairs):
        question.aspects.discard("count")


def find_excluded(
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


def find_required(question: Question, lex: Lexicon) -> None:
    """In "do you do X?", "is there an X?" and the like, X must be on the site; concepts
    outside the asking clause say why and weigh less."""
    text = question.text
    # "what payment methods do you accept?", "which languages do you speak?": the verb ending
    # the question says how; the page lists the things ("We take UPI, cards...").
    last = TRAILING_VERB.search(text)
    if last and lex.stem(last.group(1).lower()) in lex.verbs:
        question.concepts = [
            replace(c, weight=c.weight * ASIDE) if c.label == last.group(1).lower() else c
            for c in question.concepts
        ]
    capable = CAPABILITY.search(text)
    if not capable:
        return
    # "is there a lift, my knees are bad": what is asked about is in the asking clause.
    asking = CLAUSE_END.split(text[capable.start() :], 1)[0]
    clause = set(money_back(lex.joined(lex.words(asking))))
    asked = [c for c in question.concepts if c.weight == 1.0 and clause.issuperset(c.label.split())]
    # "do you answer the phone?": the verb says how; what must be on the site is the phone.
    if len(asked) > 1 and all(w in lex.verbs for form in asked[0].forms for w in form[:1]):
        asked = asked[1:]
    # "is there a teacher who speaks hindi?": the verb of a clause describing X says how too
    # (the site says "teaches in Hindi"); the teacher and the language are what is asked.
    words = lex.words(text)
    described = {b for a, b in zip(words, words[1:], strict=False) if a in RELATIVE}
    if len(asked) > 1:
        asked = [c for c in asked if not (c.label in described and lex.stem(c.label) in lex.verbs)]
    question.required = asked[:REQUIRED]
    # "can you do electrics as well, need a new socket": the rest says why, weighing less
    question.concepts = [
        c if clause.intersection(c.label.split()) else replace(c, weight=c.weight * ASIDE)
        for c in question.concepts
    ]


def longest_group_phrase(
    lex: Lexicon, stems: list[str], start: int, used: list[bool]
) -> tuple[Phrase | None, int]:
    """The longest phrase of the lexicon's synonym groups starting at `start`, not used up."""
    for size in range(min(lex.longest, len(stems) - start), 0, -1):
        if any(used[start : start + size]):
            continue
        phrase = tuple(stems[start : start + size])
        if phrase in lex.by_phrase and not (size == 1 and lex.ignorable(phrase[0], phrase[0])):
            return phrase, size
    return None, 0
