"""What a text says, cheaply: its stems (cached per text) and whether it states a kind of fact.

An amount of money answers a price question, a clock time or a weekday an hours question, a
duration a "how long" question, a street address or a postcode a "where" question. These are
patterns, not words, so the lexicon cannot hold them; they are the same in most languages
written in Latin script.
"""

from __future__ import annotations

import functools
import re

from frontdesk.knowledge.lexicon import Lexicon, Phrase

SOFT = 0.5
CACHE_SIZE = 50_000  # texts: the same candidate passages come back question after question

MONEY = re.compile(
    # "R850" (rand), "Rs. 500", "kr 95": a currency written as letters, capitalised as such
    r"[$€£¥₹₩₺₱₦₽₪฿]\s?\d|(?-i:\bR|\bRs\.?|\bkr\.?)\s?\d|\d\s?(?:kr|zł|Kč)\b|"
    r"\d\s?(?:%|per cent|percent)|\b(?:aud|usd|nzd|cad|gbp|eur|chf|zar|sgd)\s?\d|"
    r"\d\s?(?:aud|usd|nzd|cad|gbp|eur|dollars?|pounds?|euros?)\b|\bfree\b|\bno charge\b|"
    r"\bno extra cost\b|\bat no (?:extra )?cost\b|\bcomplimentary\b|\bfull price\b|"
    r"\bno (?:deposit|fee|charge|cost)s?\b|\bnothing (?:to pay|extra)\b|"
    r"\b(?:not|never) (?:be )?charged?\b|\bwithout charge\b",
    re.I,
)
SOFT_MONEY = re.compile(r"\bhalf\b|\bin full\b|\bnon-refundable\b|\bincluded\b", re.I)
CLOCK = re.compile(
    r"\b\d{1,2}(?:[:.]\d{2})?\s?(?:am|pm|a\.m\.|p\.m\.)|\b\d{1,2}:\d{2}\b|\bnoon\b|\bmidday\b|"
    r"\bclosed\b|\b24 hours a day\b|\b24/7\b|\b(?:a)?round the clock\b|\bday and night\b",
    re.I,
)
SOFT_CLOCK = re.compile(
    r"\bopen\b|\bweekends?\b|\bholidays?\b|\b(?:mon|tues|wednes|thurs|fri|satur|sun)days?\b", re.I
)
# A clock time says which part of the day it is: "9 am" answers "in the morning?".
TIME_OF_DAY = re.compile(r"\b(\d{1,2})(?:[:.](\d{2}))?\s?(am|pm|a\.m\.|p\.m\.)?", re.I)
PARTS_OF_DAY = (  # (from, to) in minutes after midnight, and the words for that part
    (5 * 60, 12 * 60, ("morning", "early")),
    (11 * 60 + 30, 14 * 60, ("lunch", "lunchtime", "midday", "noon")),
    (12 * 60, 17 * 60, ("afternoon",)),
    (17 * 60, 24 * 60, ("evening", "night", "late")),
)
NUMBER_WORD = (
    r"(?:\d+(?:\.\d+)?|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
    r"fifteen|twenty|thirty|forty-five|ninety|a few|a couple of|several)"
)
DURATION = re.compile(
    # "90 minutes", and as a modifier "a 90-minute lesson", "two-hour clinics"
    rf"\b{NUMBER_WORD}(?:\s?(?:to|-|–|or)\s?{NUMBER_WORD})?[\s-](?:(?:working|business|full|whole|"
    r"clear|calendar) )?(?:minutes?|mins?|hours?|days?|weeks?|months?|years?)\b|"
    r"\b(?:the )?(?:next|same|following) (?:working |business )?day\b|\bovernight\b",
    re.I,
)
ADDRESS = re.compile(
    r"\b\d+(?:st|nd|rd|th|[A-Za-z])?,?\s+(?:(?:[A-Z][\w'.-]*|\d+(?:st|nd|rd|th))\s+){1,3}(?:Street|St|Road|Rd|Lane|Ln|Avenue|Ave|Drive|"
    r"Dr|Way|Place|Pl|Square|Sq|Boulevard|Blvd|Terrace|Tce|Court|Ct|Parade|Quay|Crescent|"
    r"Highway|Hwy|Row|Close|Walk|Mall)\b|\b[A-Z]{1,2}\d{1,2}[A-Z]? \d[A-Z]{2}\b|"
    r"\b(?:on the|ground|first|second|third|top|\d+(?:st|nd|rd|th)) (?:floor|level)\b|"
    r"\blevel \d+\b|\bsuite \d+|\b(?:is|are|based|located) (?:in|at|on) (?:the )?[A-Z]\w+",
)
# "Exams are held at the boards' centres": where something happens, if not an address
SOFT_ADDRESS = re.compile(
    r"\b(?:located|based|opposite|next to|between|above|behind|held (?:at|in)|takes? place)\b",
    re.I,
)
# "how old do they need to be?": an age ("over 18", "aged 12", "16 and over", "12+").
AGE = re.compile(
    r"\b(?:over|under|aged?|at least|older than|younger than|age of) \d{1,2}\b(?!\s?(?:%|kw|min))|"
    r"\b\d{1,2}\s?(?:\+|years? old|years? of age|and (?:over|up|under|older)|or (?:over|older))",
    re.I,
)
# "how do I move it?": a way to do it (a link, a call, online).
METHOD = re.compile(
    r"\byou can\b|\bby (?:phone|calling|email|e-mail|text|texting)\b|\bthe link\b|\bonline\b|"
    r"\b(?:call|ring|phone|email|e-mail|text|tell|message|whatsapp) (?:us|reception|the office)\b|"
    r"\breply to\b|\blet us know\b|\bask at\b|\b(?:fill in|fill out|complete) (?:the|a|our)\b|"
    # how to pay: "pay by card, ACH transfer or check", "we take PayNow"
    r"\bpay (?:by|with|via|using|online)\b|\bby (?:card|cash|check|cheque|bank transfer|direct debit)\b",
    re.I,
)
# "how many kids in a class?": a number of things ("at most eight students", "up to 6 people"),
# not an amount, a time, a duration or a level ("Primary 3 and 4").
COUNT = re.compile(
    r"(?<![$€£¥₹.,:/-])\b(?:(?:at most|up to|maximum of|no more than|at least|minimum of) )?"
    r"(?:\d{1,4}|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|"
    r"thirty|forty|fifty|a hundred|a dozen)\s+(?!(?:and|or|to|am|pm|a\.m|p\.m|minutes?|mins?|"
    r"hours?|hrs?|days?|weeks?|months?|years?|per|percent|times?)\b)[a-z]{3,}",
    re.I,
)
HOW_OFTEN = re.compile(r"\b(?:every|each|once a|twice a)(?:\s+[\w-]+){0,2}\s*$", re.I)
# "four lessons a month", "$60 a month", "three times a week": "a" is "per", a rate; "takes a
# week", "lasts an hour" (a verb before it) is a length.
PER = re.compile(
    r"(?:\d|\b(?!(?:takes|lasts|needs|is|was|has|does|its|this|plus|less)\b)[a-z]+s)\s+$"
)


# "let us know 24 hours ahead", "48 hours' notice": how long before, not how long it lasts.
LEAD = re.compile(
    r"^'?s?'?\s*(?:notice|ahead|in advance|beforehand|prior|before (?:the|your|a|an|it|we|you))\b",
    re.I,
)


def _duration(text: str, lead: bool = True) -> bool:
    """A duration not said as a frequency ("every six to eight weeks", "four lessons a month"),
    nor, unless `lead`, as a notice period ("at least 24 hours ahead")."""
    for m in DURATION.finditer(text):
        before = text[max(0, m.start() - 30) : m.start()]
        if HOW_OFTEN.search(before):
            continue
        if m.group(0)[:2].lower() in ("a ", "an") and PER.search(before.lower()):
            continue
        if not lead and LEAD.match(text[m.end() : m.end() + 30]):
            continue
        return True
    return False


LENGTHS = frozenset({"duration", "notice"})
# (what states the fact, what hints at it) per aspect
FEATURES = {
    "price": (MONEY, SOFT_MONEY),
    "hours": (CLOCK, SOFT_CLOCK),
    "duration": (DURATION, None),
    "notice": (DURATION, None),
    "location": (ADDRESS, SOFT_ADDRESS),
    "method": (METHOD, None),
    "age": (AGE, None),
    "count": (COUNT, None),
}


class Stems:
    """A text's stems, as a set and as a padded string for phrase look-ups."""

    __slots__ = ("words", "joined")

    def __init__(self, stems: list[str]) -> None:
        self.words = frozenset(stems)
        self.joined = f" {' '.join(stems)} "

    def has(self, phrase: Phrase) -> bool:
        if phrase[0] not in self.words:  # the cheap test first: most phrases are not there
            return False
        return len(phrase) == 1 or f" {' '.join(phrase)} " in self.joined


_cache: dict[tuple[str, str], Stems] = {}


def stems_of(lex: Lexicon, text: str) -> Stems:
    """A text's stems, computed once per text (a plain dict, emptied when full)."""
    key = (lex.language, text)
    found = _cache.get(key)
    if found is None:
        if len(_cache) >= CACHE_SIZE:
            _cache.clear()
        stems = lex.stems(text)
        extra = _parts_of_day(lex, text) + _in_ranges(text) + _in_seasons(lex, text)
        found = _cache[key] = Stems(stems + extra)
    return found


# "Kids' cuts (12 and under)", "under 16s", "18 and over", "aged 5 to 11": the ages a range
# covers, so "my daughter is 10" finds the sentence about twelve and under.
UP_TO = re.compile(
    r"\b(\d{1,2})\s?(?:and|or) (?:under|younger|below)\b|\bunder[- ](\d{1,2})s?\b", re.I
)
FROM = re.compile(
    r"\b(\d{1,2})\s?(?:\+|and (?:over|up|older|above)|or (?:over|older))|\bover[- ](\d{1,2})s?\b",
    re.I,
)
BETWEEN = re.compile(r"\b(?:aged?|ages) (\d{1,2})\s?(?:to|-|–|and) (\d{1,2})\b", re.I)
DIGIT = re.compile(r"\d")  # what the ranges below are written with
SPAN = 30  # "18 and over" covers eighteen to forty-eight: ages asked about in practice


def _in_ranges(text: str) -> list[str]:
    """The numbers an age range in the text covers, as extra words of the text."""
    if not DIGIT.search(text):  # (in C: most texts have no number, and this runs on each)
        return []
    out: list[int] = []
    for match in UP_TO.finditer(text):
        high = int(match.group(1) or int(match.group(2)) - 1)
        out += range(0, high + 1)
    for match in FROM.finditer(text):
        low = int(match.group(1) or match.group(2))  # "over 18s" are 18 too
        out += range(low, low + SPAN)
    for match in BETWEEN.finditer(text):
        out += range(int(match.group(1)), int(match.group(2)) + 1)
    return [str(n) for n in dict.fromkeys(out)]


# "In spring, from March to May, the queue gets longer": April is in it too.
MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
          "september", "october", "november", "december")  # fmt: skip
MONTH_RANGE = re.compile(
    rf"\b({'|'.join(MONTHS)})\s?(?:to|-|–|until|till|through|and)\s?({'|'.join(MONTHS)})\b", re.I
)


def _in_seasons(lex: Lexicon, text: str) -> list[str]:
    """The months between the ends of a range of months in the text ("March to May": april)."""
    out: list[str] = []
    for match in MONTH_RANGE.finditer(text):
        first, last = MONTHS.index(match.group(1).lower()), MONTHS.index(match.group(2).lower())
        span = (last - first) % 12
        out += [lex.stem(MONTHS[(first + step) % 12]) for step in range(1, span)]
    return out


def _parts_of_day(lex: Lexicon, text: str) -> list[str]:
    """The stems of the parts of the day a text's clock times fall in ("9 am" -> morning)."""
    if ":" not in text and "m" not in text.lower():
        return []
    out: list[str] = []
    for match in TIME_OF_DAY.finditer(text):
        hour, minute, half = int(match.group(1)), int(match.group(2) or 0), match.group(3)
        if not half and match.group(2) is None:
            continue  # a bare number is no time
        if half and half[0].lower() == "p" and hour < 12:
            hour += 12
        elif not half and hour < 7:
            hour += 12  # "5:30" on a page of opening hours is in the afternoon
        if hour > 24 or minute > 59:
            continue
        at = hour * 60 + minute
        for start, end, words in PARTS_OF_DAY:
            if start <= at < end:
                out += [lex.stem(w) for w in words]
    return out


DETAIL = re.compile(r"\([^)]*\)")
ORDINARY = frozenset({"singl", "standard", "regular", "basic", "normal", "individu", "one"})


def label_share(text: str, wanted: set[str], lex: Lexicon) -> float:
    """How much of a list item's or row's label ("Single x-ray — Fee: $35", "Porcelain crown:
    $1,650") is what was asked about: the price of X is on the line that names X alone."""
    label = DETAIL.sub(" ", text.split(" — ")[0].split(":")[0])
    # "Single lesson (1 hour)" is what "how much is a lesson?" asks the price of: a word for the
    # ordinary one, a detail in brackets or a number not asked about names nothing else.
    words = [
        w
        for w in stems_of(lex, label).words
        if w not in lex.stop and w not in ORDINARY and (w in wanted or not w[0].isdigit())
    ]
    return sum(1 for w in words if w in wanted) / len(words) if words else 0.0


@functools.lru_cache(maxsize=CACHE_SIZE)
def said(aspect: str, text: str, context: str) -> float:
    """1 when a text states an aspect's fact outright (an amount, a time), SOFT when it hints."""
    strong, soft = FEATURES[aspect]
    if aspect in LENGTHS:  # "every three to four months" is how often, not how long
        lead = aspect == "notice"
        if _duration(text, lead) or (context and _duration(context, lead)):
            return 1.0
    elif strong.search(text) or (context and strong.search(context)):
        return 1.0
    return SOFT if soft is not None and soft.search(text) else 0.0


PROBE = 4  # a stem's first letters, looked for in a unit's raw text before stemming it
DAY_PARTS = frozenset(word[:PROBE] for *_, words in PARTS_OF_DAY for word in words)
MONTH_PARTS = frozenset(month[:PROBE] for month in MONTHS)


def probe(stem: str) -> str:
    """What of a stem a text holding its word must contain: its first letters, less a final
    "i" the word spells "y" ("copi": copy, "citi": city); a number whole."""
    if stem[0].isdigit():
        return stem
    if stem[:PROBE] in DAY_PARTS or stem[:PROBE] in MONTH_PARTS:
        return ""  # "morning" is in "9 am to 5 pm" (_parts_of_day), April in "March to May"
    if stem.endswith("i") and len(stem) <= PROBE:
        return stem[:-1]
    return stem[:PROBE]
