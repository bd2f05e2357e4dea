"""Question or action: whether a message asks the assistant to DO something or to TELL something.

"cancel my booking" is a command; "is there a charge if I cancel late?" is a question about
the cancellation policy: it is answered, and cancelling is offered as a chip. Commands are
recognised by their form (imperative, "I'd like to...", "can you...", a request about *my*
booking); questions by theirs (a question word plus something a policy decides: a charge, a
deposit, "what happens if", "is it possible"). A request to book phrased as a question
("can I get a whitening appointment?") is left to the knowledge base when it reads like a
question about the service: a clear answer is given with a booking chip, otherwise booking
starts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from frontdesk.assistant.offline import intents

LEAD_IN = (
    r"^\s*(?:(?:hi|hello|hey|ok|okay|great|perfect|sure|yes|yeah|please|sorry|actually|so|"
    r"right|cool|thanks|thank you|hmm|um|oh|well|and|then)\W+)*"
)
ACTION_VERB = r"(?:book|cancel|reschedule|re-schedule|move|change|push|switch|show|list|make|set)"
IMPERATIVE = re.compile(
    LEAD_IN + r"(?:(?:can|could|would|will) you (?:please )?|please |i(?:'d| would) like to |"
    r"i want to |i wanna |i need to |need to |i have to |i'?ll need to |let'?s |lets |"
    r"i'?m going to need to |we need to |we(?:'d| would) like to )?" + ACTION_VERB + r"\b",
    re.I,
)
MY_BOOKING = re.compile(
    rf"\b(?:my|our|this|that|the) (?:\w+ )?{intents.BOOKING_WORDS}\b|\bbk_\w+|"
    r"\b(?:move|change|push|switch|make|shift) (?:it|that|this)\b",
    re.I,
)
POLICY = re.compile(
    r"\b(?:charged?|charges|fee|fees|costs?|pay|paying|paid|price|refunds?|refunded|refundable|"
    r"deposit|penalty|penalties|lose|forfeit|notice|policy|policies|allowed|possible|how much|"
    r"free|extra|upfront|up front|in advance|online|how far ahead|deadline|late|myself|"
    r"ourselves|by phone|by email)\b",
    re.I,
)
CONDITION = re.compile(
    r"\b(?:if|in case|what happens|what if|supposing|will i|would i|am i|do i (?:have|need|"
    r"lose|get|still)|how (?:do|would|can|could|should|late|far|long|much)|is it possible|"
    r"is there|are there|can (?:a|an|the|you) \w+ be|is it (?:ok|okay|fine|alright|all right|free)|"
    r"am i allowed|are we allowed|do you allow|without (?:being|having))\b",
    re.I,
)
REQUEST_TO_BOOK = re.compile(
    r"\b(?:can|could|may) (?:i|we|you) (?:please )?(?:book|get|have|make|schedule|reserve|set up|"
    r"arrange)\b|\b(?:do you have|is there|are there|any) (?:any )?(?:availab\w*|free|openings?|"
    r"space|room|slots?|times?)\b|\bget (?:that|it|this|me) booked\b|"
    r"\b(?:next|earliest|first) (?:free |available |open )?(?:slots?|times?|appointments?|openings?)\b",
    re.I,
)
REQUEST = re.compile(
    LEAD_IN + r"(?:i'?d like|i would like|i want|i wanna|i need|can i|could i|may i|can we|"
    r"could we|we'?d like|please|i'?ll have|i'?ll take|get me|put me|fit me|book me|"
    r"(?:can|could) you (?!tell|explain|let|confirm|say|check whether|advise)|"
    r"let'?s (?:do|go with|make it|say|book|go for))\b",
    re.I,
)
RETIME_ANY = re.compile(
    r"\b(?:make|move|push|change|switch|shift|bring|put|do|have|swap)\b (?:it|that|this|the time|"
    r"the booking|the appointment)\b|\binstead\b|\brather\b",
    re.I,
)
RETIME = re.compile(
    r"\b(?:make|move|push|change|switch|shift|bring|put|do|have|swap)\b (?:it|that|this|the time|"
    r"the booking|the appointment)\b|\binstead\b|\brather\b|\b(?:later|earlier) (?:time|slot|"
    r"one|in the day)\b|\b(?:another|a different) (?:day|time)\b|"
    r"\b(?:can|could) (?:it|that|we|i) (?:be|do)\b|\b(?:would|will|might) suit\b|\bsuits? (?:me )?better\b|"
    r"\bworks? (?:better|for me)\b|\b(?:is|would) (?:that|it) (?:be )?ok(?:ay)?\b|"
    r"\b(?:would|will|might) be (?:better|easier|best)\b|\b(?:is|are|'s) (?:better|easier)\b|"
    r"\bbetter for (?:me|us)\b|\b(?:a bit |a little |any )?(?:earlier|later|sooner)\b|"
    r"\bok(?:ay)?\W*$",
    re.I,
)
SHORT_RETIME = 9  # words: "how about friday?" names a new time; a longer message asks more
# A question inside a longer message: "I need a small change to my will, what does it cost"
EMBEDDED = re.compile(
    r"\b(?:what|how much|how long|how|when|where|which|who)\b (?:does|do|did|is|are|was|would|"
    r"will|can|could|should|much)\b",
    re.I,
)
# "what time is it again?", "is that still on?": after a booking, a question about it
ABOUT_IT = re.compile(
    LEAD_IN + r"(?:(?:remind me |tell me )?(?:when|what time|what day|which day)(?:'s| is| was)? "
    r"(?:it|that|this)\b(?! (?:open|close|cost|take))|(?:is|it's|is it) (?:it |that |this )?"
    r"still (?:on|booked|happening|going ahead)\b|what (?:time|day) did (?:i|we) (?:book|get|pick))",
    re.I,
)
# After "I can't make it": another time asked for makes it a move, not a cancellation.
OTHER_TIME = re.compile(
    r"\b(?:can|could) (?:we|i|you) (?:do|make it|come|move it|change it|switch|have)\b|"
    r"\bhow about\b|\binstead\b|\bmove it\b|\b(?:another|a different) (?:day|time)\b",
    re.I,
)
# What makes "which appointments have I got?" about the visitor's own bookings for sure.
OWN_BOOKINGS = re.compile(r"\b(?:my|our|any|booked|coming up|upcoming|show|list)\b|\bbk_\w+", re.I)
FOLLOW_UP = re.compile(
    r"^\s*(?:and|or|what about|how about|plus|also|and what about|same for)\b", re.I
)
# "how long does that take?", "is it painful?", "how much for those": a short question that
# points back at what the last one was about.
POINTS_BACK = re.compile(r"\b(?:it|that|this|those|these|them|they|ones?)\b(?!\s+(?:is|'s) )", re.I)
SHORT_FOLLOW_UP = 8  # words
BARE = 3  # words: "how much?", "how long?", "price?" name nothing but the kind of fact


@dataclass(frozen=True)
class Decision:
    """What to do with a message: start `action`, or answer it (offering `related` as a chip).

    `sure` is False for a booking request phrased as a question: the knowledge base decides.
    """

    action: str | None
    related: str | None = None
    sure: bool = True


def decide(text: str) -> Decision:
    """Command or question, from the wording alone."""
    kind = intents.intent(text)
    action = kind if kind in ("cancel", "reschedule", "list", "book") else None
    related = action or mentioned_action(text)
    if action is None:
        return Decision(None, related)
    if action == "cancel" and OTHER_TIME.search(text) and not _policy_question(text):
        return Decision("reschedule")  # "I can't make Friday, can we do Monday instead?"
    if action == "list":
        # "do I have a consultation first?", "when am I due for a check-up?": the site may
        # answer that, and the visitor's bookings are shown when it does not; "do I have any
        # appointments coming up?" is about theirs for sure
        sure = bool(OWN_BOOKINGS.search(text)) or not intents.is_question(text)
        return Decision(action, None if sure else "list", sure=sure)
    if IMPERATIVE.search(text) and not (intents.is_question(text) and _policy_question(text)):
        return Decision(action)
    if _policy_question(text):
        return Decision(None, related)
    if action != "book":
        return Decision(action)
    if intents.is_question(text) and not REQUEST_TO_BOOK.search(text):
        return Decision(action, sure=False)
    return Decision(action)


def _policy_question(text: str) -> bool:
    """A question about what a policy says ("do I lose the deposit if I move it?")."""
    asks = intents.is_question(text) or CONDITION.search(text) or EMBEDDED.search(text)
    return bool(asks and (POLICY.search(text) or CONDITION.search(text)))


def mentioned_action(text: str) -> str | None:
    """The action a question is about, to offer as a chip ("cancel" for a cancellation fee)."""
    lowered = text.lower()
    if re.search(r"\bcancel\w*|\bno[- ]show|\bcan'?t make it", lowered):
        return "cancel"
    if re.search(r"\b(?:reschedul\w*|rearrang\w*|postpon\w*|move|change) ", lowered):
        return "reschedule"
    if re.search(rf"\b(?:book\w*|{intents.BOOKING_WORDS}|appointments?)\b", lowered):
        return "book"
    return None


def is_request(text: str) -> bool:
    """ "I'd like a cut on Saturday", "can I come in Friday": a request, if it names a time."""
    return bool(REQUEST.search(text)) and not _policy_question(text)


def is_retime(text: str) -> bool:
    """ "could we make that Thursday instead", "thursday would suit better", "how about friday
    at 10?": a new time for the booking just made or in hand."""
    return (
        bool(RETIME.search(text))
        and len(text.split()) <= SHORT_RETIME
        or bool(RETIME_ANY.search(text))
    )


def asks_about_it(text: str) -> bool:
    """ "when is it again?", "is that still on?": about the booking just made, if there is one."""
    return bool(ABOUT_IT.search(text)) and len(text.split()) <= SHORT_RETIME


def is_follow_up(text: str) -> bool:
    """ "and with a master?", "how long does that take?", "how much?": a question that leans on
    the one before it."""
    words = len(text.split())
    if FOLLOW_UP.search(text):
        return words <= 12
    return words <= BARE or words <= SHORT_FOLLOW_UP and bool(POINTS_BACK.search(text))
