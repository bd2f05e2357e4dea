"""Words that mean something else where they stand: "a will" (not "will it cost"), "what ID"
(not "id like", typed for I'd), "how do I pay?" (a way to pay, not an amount), "a couple of
weeks" (an amount, not two people)."""

from __future__ import annotations

import re

from frontdesk.knowledge.lexicon import Lexicon

MODAL_NOUNS = frozenset({"will", "can", "may", "must"})
DETERMINERS = frozenset({"a", "an", "the", "my", "your", "our", "his", "her", "their", "this",
                         "that", "old", "new", "existing", "current"})  # fmt: skip
ID_AFTER = frozenset({"what", "which", "photo", "any", "some", "of", "valid", "no", "for",
                      "bring", "need", "show", "have", "take", "carry", "send", "upload"})  # fmt: skip


# Plurals Snowball does not bring back to their singular ("women" stems to "women"): a visitor
# asking for "a woman instructor" is answered by "three of our instructors are women".
_IRREGULAR = (("woman", "women"), ("man", "men"), ("person", "people"), ("child", "children"),
              ("tooth", "teeth"), ("foot", "feet"), ("mouse", "mice"), ("goose", "geese"),
              ("wife", "wives"), ("life", "lives"), ("knife", "knives"), ("half", "halves"),
              ("shelf", "shelves"), ("leaf", "leaves"), ("calf", "calves"), ("thief", "thieves"),
              ("ox", "oxen"), ("die", "dice"), ("louse", "lice"))  # fmt: skip
IRREGULAR = {a: b for pair in _IRREGULAR for a, b in (pair, pair[::-1])}
# Verbs whose past forms Snowball does not bring back to them ("left" stems to "left"): "if I
# leave my bike there" is answered by "bikes left for more than 60 days". Not the verbs the
# question reader drops as filler (do, go, come, make), nor forms that are mostly other words
# ("saw", "found", "lay", "lead").
_VERBS = ("leave left", "sell sold", "pay paid", "bring brought", "buy bought", "take took taken",
          "give gave given", "get got gotten", "write wrote written", "speak spoke spoken",
          "drive drove driven", "send sent", "spend spent", "lend lent", "build built",
          "hold held", "keep kept", "feel felt", "meet met", "teach taught", "tell told",
          "lose lost", "run ran", "choose chose chosen", "break broke broken", "wear wore worn",
          "ride rode ridden", "begin began begun", "eat ate eaten", "fall fell fallen",
          "forget forgot forgotten", "grow grew grown", "know knew known", "catch caught",
          "sleep slept", "stand stood", "sit sat", "win won", "freeze froze frozen",
          "wake woke woken", "tear tore torn", "bite bit bitten", "throw threw thrown",
          "fly flew flown", "draw drew drawn", "hang hung", "feed fed", "bleed bled")  # fmt: skip
VERB_FORMS = {w: tuple(f for f in forms.split() if f != w) for forms in _VERBS
              for w in forms.split()}  # fmt: skip


def other_forms(word: str) -> tuple[str, ...]:
    """A word's irregular other forms Snowball stems apart: "women" for "woman", "left" for
    "leave", "leave" and "leaves" for "left"."""
    if word in IRREGULAR:
        return (IRREGULAR[word],)
    return VERB_FORMS.get(word, ())


def id_here(words: list[str], at: int) -> bool:
    """ "id" typed for I'd is filler; after "what", "photo", a determiner, a verb it is the
    object of ("bring id"), or last, it is ID."""
    if words[at] != "id":
        return False
    return at == len(words) - 1 or at > 0 and words[at - 1] in ID_AFTER | DETERMINERS


def noun_here(words: list[str], at: int, lex: Lexicon) -> bool:
    """ "a will", "a simple will", "my mum's will", "update my will": a determiner before it
    (an adjective or two between), or nothing after it."""
    if at == len(words) - 1 and at > 0:
        return True
    for back in (1, 2, 3):
        if at - back < 0:
            return False
        before = words[at - back]
        if before in DETERMINERS:
            return True
        if lex.ignorable(lex.stem(before), before):
            return False
    return False


# "how do I pay you?", "when do I pay, at drop-off?", "can I pay by card?": the way or the time of
# paying, not how much; "how much do I pay" and "what does it cost" stay price questions.
PAYING = re.compile(
    r"\b(?:how|when|where) (?:do|can|should|would|will|must|shall) (?:i|we) (?:\w+ )?pay\b|"
    r"\bpay (?:by|with|via|using|online|in cash|upfront|up front|on the day|at the|when|before|"
    r"after)\b",
    re.I,
)
PRICED = re.compile(r"\bhow much\b|\bcosts?\b|\bprices?\b|\bfees?\b|\bcharge|\brates?\b", re.I)


# "what's your pass rate?": a share of outcomes, not a charge.
RATE_OF = re.compile(
    r"\b(?:pass|passing|success|failure|fail|completion|response|retention|survival|approval|"
    r"acceptance|conversion|occupancy|attendance|recovery|complication|infection|error|"
    r"heart|birth|crime|hit|win)\s+rates?\b",
    re.I,
)
PAY_WORDS = frozenset({"pay", "paid", "paying", "payment"})


def not_priced(aspects: set[str], text: str) -> bool:
    """A question about how or when to pay, or about a pass or success rate, which no amount
    answers, asks for no price; returns whether it was a question about paying."""
    if RATE_OF.search(text) and not PRICED.search(RATE_OF.sub(" ", text)):
        aspects.discard("price")
    if "price" in aspects and PAYING.search(text) and not PRICED.search(text):
        aspects.discard("price")
        return True
    return False


def rate_words(words: list[str], used: list[bool]) -> None:
    """ "rate" in "pass rate" is the topic, not the price cue it was taken for."""
    for at in range(1, len(words)):
        if words[at] in ("rate", "rates") and RATE_OF.fullmatch(f"{words[at - 1]} {words[at]}"):
            used[at] = False


QUANTITY_WORDS = frozenset({"couple", "pair"})
COUNTED = frozenset({"of", "minutes", "hours", "days", "weeks", "months", "years", "times",
                     "more", "extra", "hundred", "thousand"})  # fmt: skip


def quantity_here(words: list[str], at: int) -> bool:
    """ "a couple of weeks", "a couple weeks", "a pair of": an amount, not a couple of people."""
    following = words[at + 1] if at + 1 < len(words) else ""
    return words[at] in QUANTITY_WORDS and following in COUNTED


BACK_TAKERS = frozenset({"get", "getting", "got", "have", "want"})
PAID_THINGS = frozenset({"money", "fee", "fees", "deposit", "deposits", "payment", "cash"})


def money_back(words: list[str]) -> list[str]:
    """ "can I get my registration fee back?", "will I get the deposit back": a refund (the
    words are apart, so no lexicon phrase says it); "get back to me" stays a reply."""
    out = list(words)
    for at, word in enumerate(words):
        if word != "back" or at < 2:
            continue
        before = words[max(0, at - 4) : at]
        if any(w in BACK_TAKERS for w in before) and any(w in PAID_THINGS for w in before):
            out[at] = "refund"
    return out


ONE_AFTER = frozenset({"is", "for", "just", "only", "of", "book", "buy", "get", "want", "try"})
NOT_ONE_OF = frozenset({"of", "more", "or", "and", "to", "on", "off", "way", "thing", "time",
                        "times", "minute", "hour", "day", "week", "month", "year"})  # fmt: skip


def one_as_single(words: list[str]) -> list[str]:
    """ "how much is one lesson?": one of a thing is a single one (pages say "single lesson",
    and "one" alone is filler); "one hour", "one of", "one more" stay as they are."""
    out = list(words)
    for at in range(1, len(words) - 1):
        if words[at] == "one" and words[at - 1] in ONE_AFTER and words[at + 1] not in NOT_ONE_OF:
            out[at] = "single"
    return out
