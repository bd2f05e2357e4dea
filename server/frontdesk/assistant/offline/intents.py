"""What a visitor's message is about, for the offline engine: plain keyword rules, no model.

The rules are deliberately conservative: when in doubt the engine asks, offers chips, or says
plainly what it can't do, rather than guessing at something that changes a booking.
"""

from __future__ import annotations

import re
from typing import Any

from frontdesk.booking.errors import BookingError
from frontdesk.booking.validation import EMAIL_RE, clean_email, clean_name

BOOKING_WORDS = r"(?:bookings?|appointments?|meetings?|calls?|consultations?|sessions?|slots?)"
RULES: list[tuple[str, re.Pattern[str]]] = [
    (
        "change",
        re.compile(r"\bi'?d like to change that\b|^i'?ll keep my booking\b|^__change__", re.I),
    ),
    (
        "greeting",
        re.compile(
            r"^\s*(?:hi|hello|hey|hiya|howdy|g'day|good (?:morning|afternoon|evening))\W*$", re.I
        ),
    ),
    (
        "human",
        re.compile(
            r"\b(?:human|real person|staff member|an agent|representative)\b|"
            r"\b(?:talk|speak|chat) (?:to|with) (?:a |an |the |your |someone (?:at|from|on) )?"
            r"(?:real |actual |live )?(?:person|people|someone|somebody|team|staff|owner|human|"
            r"reception|receptionist|front desk|manager|member of staff|operator|agent)\b|"
            r"\b(?:put|get) me through\b|\b(?:connect|transfer) me\b|\bactual person\b|"
            r"\b(?:(?:can|could|may) i (?:please )?|i(?:'d| would) like to |i (?:want|need) to |"
            r"let me )(?:talk|speak|chat) (?:to|with)\b|"
            r"\bget (?:me )?(?:a person|someone)\b|"
            r"\b(?:call|ring|phone) me(?: back)?\b|"
            r"\bget (?:someone|somebody) to (?:call|ring)\b",
            re.I,
        ),
    ),
    (
        "cancel",
        re.compile(
            rf"\bcancel\b.*\b(?:my|the|this|that|it|bk_\w+|{BOOKING_WORDS})\b|\bcancel\W*$|"
            # "drop my bike off" is a drop-off, not a cancellation
            rf"\b(?:call off|scrap|delete) (?:my|the|this|that|it|our)\b|"
            rf"\bdrop (?:my|the|this|that|our) {BOOKING_WORDS}\b|\bdrop (?:it|that|this)\W*$|"
            rf"\b(?:no longer|won'?t be) need(?:ing)? (?:my|the|that|it|our)\b|"
            # "I can't come anymore": said of the booking in hand, not of a day ("on Tuesday")
            rf"\b(?:can'?t|cannot|can not|won'?t be able to|unable to) (?:make it|come|attend)"
            rf"(?: (?:anymore|any more|after all|now|today|tomorrow))?\W*$|"
            rf"\b(?:can'?t|cannot|can not|won'?t be able to|unable to|not able to) "
            rf"(?:make|attend|come to|keep) (?:my|our|the|this|that) {BOOKING_WORDS}\b",
            re.I,
        ),
    ),
    (
        "reschedule",
        re.compile(
            rf"(?<!\ba )(?<!small )\b(?:reschedule|re-schedule|postpone|move|change|rearrange|"
            rf"rebook|switch|swap|shift|push back|bring forward)\b.*"
            rf"\b(?:my|the|bk_\w+|{BOOKING_WORDS})\b|"
            rf"\breschedule\b|\brebook\b",
            re.I,
        ),
    ),
    (
        "list",
        re.compile(
            rf"\b(?:show|list|see|view|check)\b(?:\s+\w+){{0,3}}\s+(?:my|our) (?:\w+ )?"
            rf"{BOOKING_WORDS}|\bmy (?:upcoming|next|future|existing|current) {BOOKING_WORDS}|"
            rf"\b(?:what|which|any) {BOOKING_WORDS}\b.*\b(?:i|we|ive|i've) (?:got|have|booked|"
            rf"made)\b|\bwhen(?:'s| is| are) (?:my|our) (?:next |upcoming |\w+'s )?{BOOKING_WORDS}|"
            rf"\bwhat time(?:'s| is) (?:my|our)\b|"
            rf"\bdo i (?:still )?have (?:a|an|any) (?:\w+ )?{BOOKING_WORDS}|"
            rf"^\W*(?:my|our) {BOOKING_WORDS}\W*$|\bhave i got\b.*\b{BOOKING_WORDS}|"
            rf"\b{BOOKING_WORDS}\b.*\b(?:i|we|i've|ive)\b.*\bcoming up\b|"
            rf"\b(?:have i got|do i have|have i) (?:anything|something|\w+ \w+|\w+) booked\b|"
            rf"\bwhen am i (?:booked|coming|due|seeing)\b|\bwhat (?:have|did) (?:i|we) book|"
            rf"\b(?:remind|tell) me when my (?:next )?{BOOKING_WORDS}\b|"
            rf"\bwhat (?:i|we)(?:'?ve| have)? booked\b|"
            rf"\bwhat(?:'s| is|s) my (?:next |upcoming )?{BOOKING_WORDS}\b|"
            rf"\b(?:details|time|date) of my (?:next )?{BOOKING_WORDS}\b|\bwhen am i (?:in|due)\b",
            re.I,
        ),
    ),
    (
        "book",
        re.compile(
            r"\b(?:book(?:ed)?|reserve|availab\w*|free (?:times?|slots?)|slots?)\b|"
            r"\bschedule (?:a|an|me|us|my|in|it|that|one)\b|^\W*schedule\b|"
            r"\b(?:want|like|need|can i|could i|set up|arrange|get|have)\b.*"
            r"\b(?:a |an )?(?:call|meeting|consultation|consult|session|chat)\b|"
            r"\b(?:want|like|need|can i|could i|can we|could we|make|get|grab)\b"
            r"(?:\s+\w+)?\s+(?:a |an |another |the next |the first |the earliest )?"
            r"(?:appointment|appt|booking|slot|time slot)\b|"
            r"\b(?:get|put|fit|squeeze|pencil|sign|set) (?:me|us) (?:in|down|up)\b",
            re.I,
        ),
    ),
    (
        "greeting",
        re.compile(
            r"^\s*(?:hi|hello|hey|hiya|howdy|g'day|good (?:morning|afternoon|evening))\b", re.I
        ),
    ),
    ("thanks", re.compile(r"\b(?:thanks|thank you|thx|cheers|much appreciated)\b", re.I)),
    ("bye", re.compile(r"^\s*(?:bye|goodbye|see you|that's all|that is all)\b", re.I)),
]
ABORT = re.compile(r"^\s*(?:never ?mind|stop|cancel|forget it|start over|no thanks|quit)\b", re.I)
AFFIRM = re.compile(
    r"^\s*(?:yes|yep|yeah|ok|okay|sure|confirm|sounds good|great|perfect|let'?s do (?:it|that)|"
    r"go ahead|go for it|why not|absolutely|definitely)\b",
    re.I,
)
# "sounds good, let's do it", "ok great, book it please": an affirmation said at more length
AFFIRM_TAIL = re.compile(
    r"\b(?:let'?s do (?:it|that)|go ahead|go for it|book (?:it|that|me in)|i'?ll take (?:it|that)|"
    r"sounds good|please)\W*$",
    re.I,
)
LONGEST_AFFIRMATION = 7  # words
# After an answer that offered a booking: "I'd like one of those", "can I come in for one on
# Friday?", "do you have anything Thursday?", "I'll do that then" take the offer up.
TAKES_OFFER = re.compile(
    r"\b(?:go ahead|let'?s do (?:it|that)|book (?:it|that|one|me in)|i'?ll (?:do|take|have) (?:it|that|one)|"
    r"one of (?:those|them|these)|get (?:that|it|one) (?:done|booked|sorted)|(?:for|get|have|book) one\b|"
    r"(?:do you have|have you got|got) (?:anything|something|any(?:thing)? free|a space|room)|"
    r"(?:next|earliest|first) (?:free |available )?(?:slot|time|appointment|opening))",
    re.I,
)
QUESTION = re.compile(
    r"\?\s*$|^\s*(?:what|how|why|when|where|who|which|do|does|did|is|are|can|could|will|would|"
    r"should|tell me|explain)\b",
    re.I,
)
BOOKING_ID = re.compile(r"\bbk_[A-Za-z0-9_-]{4,29}\b")
EMAIL_FIND = re.compile(r"[^\s@<>(),;:\"']+@[^\s@<>(),;:\"']+")
NAME_PREFIX = re.compile(
    r"^\s*(?:(?:my name is|my name's|name is|name:|i am|i'm|im|it's|it is|this is|call me)\s+)",
    re.I,
)
# Outside the "what's your name?" step only an explicit phrase counts ("I'm free" is no name).
EXPLICIT_NAME = re.compile(r"^\s*(?:my name is|my name's|name is|name:|call me)\s+", re.I)
# Words that name a kind of meeting rather than a particular service.
GENERIC = {
    "a", "an", "and", "the", "of", "for", "to", "with", "in", "on", "min", "mins", "minute",
    "minutes", "call", "session", "meeting", "consultation", "consult", "chat", "free", "hour",
}  # fmt: skip
SHORT = 6  # greetings and thanks only count as such in short messages
# "will you phone me before fitting parts?", "do you text me when it's ready?": a question about
# how the business keeps in touch, not a request for a person now.
KEEPS_IN_TOUCH = re.compile(
    r"\b(?:will|do|does|would|should) (?:you|u|they|someone|the team)(?: \w+)? (?:call|ring|phone|"
    r"text|email|e-mail|contact) (?:me|us)\b.*\b(?:before|if|when|once|after|whenever)\b",
    re.I,
)


def intent(text: str) -> str | None:
    """The first matching intent name, or None when no rule fits."""
    for name, pattern in RULES:
        if pattern.search(text):
            if name in {"greeting", "thanks", "bye"} and len(text.split()) > SHORT:
                continue
            if name == "human" and KEEPS_IN_TOUCH.search(text):
                continue
            return name
    return None


def is_question(text: str) -> bool:
    """True when the message reads like a question."""
    return bool(QUESTION.search(text))


def is_abort(text: str) -> bool:
    """True when the visitor wants out of the current dialogue ("never mind", "stop")."""
    return bool(ABORT.search(text))


def is_affirmation(text: str) -> bool:
    """True for a bare yes/ok/confirm."""
    words = len(text.split())
    return bool(AFFIRM.search(text)) and (
        words <= 4 or words <= LONGEST_AFFIRMATION and bool(AFFIRM_TAIL.search(text))
    )


def takes_offer(text: str) -> bool:
    """True for a message taking up an offered booking in other words than "yes"."""
    return bool(TAKES_OFFER.search(text)) and len(text.split()) <= 12


def booking_id_in(text: str) -> str | None:
    """A bk_... id mentioned in the message (from a chip), if any."""
    match = BOOKING_ID.search(text)
    return match.group(0) if match else None


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.lower()))


def match_service(text: str, services: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The service a message names: by full name or slug, else by its distinctive words.

    "AI integration" finds "AI integration consultation"; an ambiguous match finds nothing.
    """
    lowered = f" {' '.join(re.findall(r'[a-z0-9]+', text.lower()))} "
    for service in services:
        for label in (service["name"], service["slug"].replace("-", " ")):
            phrase = " ".join(re.findall(r"[a-z0-9]+", label.lower()))
            if phrase and f" {phrase} " in lowered:
                return service
    said = _words(text)
    scored = []
    for service in services:
        distinctive = (_words(service["name"]) | _words(service["slug"])) - GENERIC
        hits = len(distinctive & said)
        if hits:
            scored.append((hits / len(distinctive), hits, service))
    scored.sort(key=lambda item: item[:2], reverse=True)
    if not scored or (len(scored) > 1 and scored[0][:2] == scored[1][:2]):
        return None
    return scored[0][2]


def find_email(text: str) -> tuple[str | None, bool]:
    """(valid e-mail or None, whether something e-mail-like was typed at all)."""
    match = EMAIL_FIND.search(text)
    if not match:
        return None, False
    candidate = match.group(0).rstrip(".!?")
    try:
        return clean_email(candidate), True
    except BookingError:
        return None, True


def find_name(text: str) -> str | None:
    """A plausible person's name from a reply like "I'm Ada Lovelace, ada@example.com"."""
    without_email = EMAIL_FIND.sub(" ", text)
    candidate = NAME_PREFIX.sub("", without_email)
    candidate = re.sub(r"\b(?:and )?(?:my )?e-?mail(?: is)?\b", " ", candidate, flags=re.I)
    candidate = " ".join(candidate.strip(" ,.;:!-").split())
    if not candidate or len(candidate) > 100 or len(candidate.split()) > 6:
        return None
    if any(ch.isdigit() or ch in "?@" for ch in candidate) or EMAIL_RE.search(candidate):
        return None
    try:
        return clean_name(candidate)
    except BookingError:
        return None
