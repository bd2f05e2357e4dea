"""The offline engine: a rule-based assistant that needs no language model.

It answers questions from the knowledge base (citing the page), runs guided booking,
rescheduling and cancelling dialogues with chips, hands over to a person on request, and says
plainly what it can't do. It uses the same tools as the LLM engine (`turn.tools`).
"""

from __future__ import annotations

import logging
import re

from frontdesk.assistant.base import Turn
from frontdesk.assistant.offline import dates, decide, flows, intents, language_notice, unbooked
from frontdesk.assistant.offline.answers import answer, lookup
from frontdesk.assistant.offline.context import booked_here, names_time, settle, take_offer
from frontdesk.assistant.offline.dialogue import BOOK, HUMAN, MINE, Dialogue, Reply

log = logging.getLogger(__name__)

CARRY_ON = "\n\nWhenever you're ready, we can carry on with your booking."


class OfflineEngine:
    """Engine "offline": keyword intents, guided dialogues and knowledge-base answers."""

    name = "offline"

    def respond(self, turn: Turn) -> None:
        """Answer one visitor turn; always ends with exactly one turn.out.message()."""
        turn.out.typing()
        try:
            settle(turn.state, turn.history)
            text = language_notice.understood(" ".join((turn.text or "").split())[:2000])
            d = Dialogue(turn)
            offer = turn.state.pop("offer", None)
            reply = language_notice.notice(turn, text) or route(d, take_offer(d, offer, text))
        except Exception:  # the visitor must always get an answer, even if a tool broke
            log.exception("offline engine failed")
            turn.state.clear()
            reply = Reply(
                "Sorry, something went wrong on my side. Could you try again, or shall I get a "
                "person?",
                [HUMAN],
            )
        turn.out.message(reply.text, sources=reply.sources, choices=reply.choices, card=reply.card)


def route(d: Dialogue, text: str) -> Reply:
    """Decide what this message is about and produce the answer."""
    s = d.state
    flow = s.get("flow")
    kind = intents.intent(text)
    if not text:
        return Reply("Sorry, I didn't get any text. What can I help with?", [BOOK, HUMAN])
    if kind == "change":
        return flows.change(d)
    if kind == "human":
        return hand_over(d, text)
    if flow == "contact":
        contact = take_contact(d, text)
        if contact is not None:
            return contact
        flow = None  # they moved on to something else: answer that
    if flow and s.get("step") == "proposed":
        if intents.is_affirmation(text):
            button = "Cancel booking" if flow == "cancel" else "Confirm"  # the card's own button
            return Reply(f"Just press **{button}** on the card above and it's done.")
        if flow == "cancel" or not _adjusts(d, text):
            s.clear()  # the card stays on screen; this message is about something else
            flow = None
    if flow and intents.is_abort(text) and kind not in ("cancel", "reschedule"):
        s.clear()
        return Reply("No problem, nothing has been booked or changed. Anything else?", [BOOK, MINE])
    decision = decide.decide(text)
    action, sure = decision.action, decision.sure
    if action is None and not flow and decide.is_request(text) and names_time(d, text):
        action = "book"  # "I'd like a cut with Jess on Saturday"
        sure = not intents.is_question(text)  # "can I get seen today?": the site may say how
    if action in (None, "book") and flow != "reschedule" and _retimes(d, text) and _has_time(d):
        return _retime(d, text, flow)
    if action in ("cancel", "reschedule") and _asks_first(d, text, flow):
        reply, answered = lookup(d, text, related=action)
        if answered:  # "can I change my lesson time to another day?" with nothing booked here
            return reply
    if action == "cancel" or (not flow and re.fullmatch(r"cancel\W*", text, re.I)):
        return flows.start_cancel(d, text)
    if action == "reschedule" and not (flow == "book" and not _about_existing(text)):
        return flows.start_reschedule(d, text)
    if action == "list" and not decision.sure:
        reply, answered = lookup(d, text, related="list")
        if answered:
            return reply
    if action == "list" or (not flow and decide.asks_about_it(text) and booked_here(d)):
        return flows.list_bookings(d)
    if action == "book" and flow != "book":
        declined = unbooked.declined(d, text)  # "book my driving test" where the site says no
        if declined is not None:
            return declined
        if not sure:
            reply, answered = lookup(d, text, related="book")
            if answered:
                return reply
        return flows.start_booking(d, text, earlier=_earlier(d))
    if flow == "book":
        return flows.continue_booking(d, text) or _aside(d, text)
    if flow == "reschedule":
        return flows.continue_reschedule(d, text)
    if flow == "cancel" and s.get("step") == "pick":
        return flows.start_cancel(d, text)
    return small_talk(d, kind) or fallback(d, text, decision.related)


def _asks_first(d: Dialogue, text: str, flow: str | None) -> bool:
    """A question about changing or cancelling, naming no time, from a visitor who booked
    nothing in this conversation: the site's policy may answer it (the action is offered)."""
    return not flow and intents.is_question(text) and not names_time(d, text) and not booked_here(d)


def _retimes(d: Dialogue, text: str) -> bool:
    """ "could we make that Thursday instead?": a new time for a booking made or being made."""
    return decide.is_retime(text) and (
        names_time(d, text)
        or re.search(
            r"\b(?:later|earlier|another|different|next week|back|forward|an hour|week after|"
            r"day after|following)\b",
            text,
            re.I,
        )
        is not None
    )


def _has_time(d: Dialogue) -> bool:
    """Whether there is a time to change: a booking under way, made, or asked for earlier
    ("can I come on Sunday rather than a weekday?" with none changes nothing)."""
    asked = any(intents.intent(said) == "book" for said in _earlier(d))
    return bool(d.state.get("flow") or asked or booked_here(d))


def _retime(d: Dialogue, text: str, flow: str | None) -> Reply:
    if flow == "book":
        return flows.continue_booking(d, text) or _aside(d, text)
    bookings = d.tool("list_my_bookings").content.get("bookings", [])
    if any(b.get("status") == "confirmed" for b in bookings):
        return flows.start_reschedule(d, text)
    return flows.start_booking(d, text, earlier=_earlier(d))


def _earlier(d: Dialogue, count: int = 3) -> list[str]:
    """The visitor's previous messages, most recent first."""
    said = [entry.text for entry in d.turn.history if entry.role == "visitor" and entry.text]
    return said[::-1][:count]


def _adjusts(d: Dialogue, text: str) -> bool:
    """True when a message after a card changes its details (a time, a day, a name, an e-mail)."""
    return bool(
        not dates.parse_when(text, d.now, d.tz).empty
        or intents.find_email(text)[1]
        or intents.EXPLICIT_NAME.search(text)
    )


def _about_existing(text: str) -> bool:
    return bool(
        intents.booking_id_in(text)
        or re.search(r"\breschedule\b|\bmy (?:booking|appointment)\b", text, re.I)
    )


def _aside(d: Dialogue, text: str) -> Reply:
    """A question in the middle of a booking: answer it and keep the booking state."""
    reply = answer(d, text)
    reply.text += CARRY_ON
    return reply


def small_talk(d: Dialogue, kind: str | None) -> Reply | None:
    """Greetings, thanks and goodbyes."""
    site = getattr(d.turn.site, "name", "") or "us"
    if kind == "greeting":
        return Reply(
            f"Hi! I can answer questions about {site}, book a consultation, or change a "
            "booking you've made. What can I help with?",
            [BOOK, MINE, HUMAN],
        )
    if kind == "thanks":
        return Reply("You're welcome! Is there anything else I can help with?", [BOOK])
    if kind == "bye":
        d.state.clear()
        return Reply("Thanks for stopping by. Have a great day!")
    return None


def fallback(d: Dialogue, text: str, related: str | None = None) -> Reply:
    """Questions go to the knowledge base; anything else gets a plain "here's what I can do"."""
    earlier = _earlier(d, 1)
    follows = bool(earlier) and decide.is_follow_up(text)  # "and friday?" after the hours
    if follows or intents.is_question(text) or len(text.split()) >= 3:
        context = earlier[0] if follows else ""
        return answer(d, text, context=context, related=related)
    site = getattr(d.turn.site, "name", "") or "us"
    return Reply(
        f"I'm a simple assistant: I can answer questions about {site}, book, move or cancel a "
        "consultation, or get you a person. What would you like?",
        [BOOK, MINE, HUMAN],
    )


def hand_over(d: Dialogue, text: str) -> Reply:
    """Ask staff to join the conversation."""
    d.state.clear()
    result = d.tool("request_human", reason=text[:500])
    if not result.ok:
        return Reply(
            "I couldn't reach the team just now, sorry. Please try again in a moment.", [HUMAN]
        )
    when = (
        "as soon as they can"
        if result.content.get("open_now")
        else "when we're open again (we're closed right now)"
    )
    text = f"I've let the team know. Someone will reply right here {when}."
    if result.content.get("contact_known", True):
        return Reply(text + " You can keep this chat open or come back to it later.")
    # Nobody could reach them after they leave the page: ask how (the next message answers).
    d.state["flow"] = "contact"
    return Reply(
        text + " In case you have to leave, what's your name and e-mail address? "
        "The team can write to you there."
    )


EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
NAME_LEAD = re.compile(
    r"^(?:(?:hi|hello|sure|yes|ok(?:ay)?)[,!. ]+)*(?:my name is|i'm|i am|it's|this is)\s+", re.I
)


def take_contact(d: Dialogue, text: str) -> Reply | None:
    """The answer to "what's your name and e-mail?": keep them with the request for a person.
    None when the message is about something else (the caller answers that instead)."""
    d.state.pop("flow", None)
    found = EMAIL.search(text)
    if found is None:
        if intents.is_abort(text) or re.fullmatch(r"(no|nope|no thanks?)\W*", text, re.I):
            return Reply("No problem. Keep this chat open and someone will reply right here.")
        return None
    email = found.group(0).rstrip(".")
    name = NAME_LEAD.sub("", (text[: found.start()] + " " + text[found.end() :]).strip())
    name = " ".join(
        re.sub(r"\b(and|my e-?mail is|e-?mail:?|at)\b|[,;:()<>]", " ", name, flags=re.I).split()
    )
    result = d.tool("request_human", reason="contact details", name=name[:200] or None, email=email)
    if not result.ok:
        return Reply(f"Sorry, I couldn't note {email}. Could you check the address?")
    thanks = f"Thanks, {name}!" if name else "Thanks!"
    return Reply(f"{thanks} The team will reply here, or e-mail you at {email} if you've left.")
