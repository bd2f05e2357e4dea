"""The three guided flows of the offline engine: book, reschedule, cancel (and "change that")."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from frontdesk.assistant.base import Choice
from frontdesk.assistant.offline import dates, intents, people
from frontdesk.assistant.offline.dialogue import BOOK, HUMAN, MINE, Dialogue, Reply, booking_choice
from frontdesk.booking.time_words import clock

CONFIRM_HINT = "Please check the details and press **Confirm** to {what}, or **Change** to adjust."
# A cancellation card's buttons say "Cancel booking" / "Keep booking" (tools/cards.py).
CANCEL_HINT = "Please check the details and press **Cancel booking** to cancel it, or **Keep booking** to keep it."


# -- booking ---------------------------------------------------------------------------------


def start_booking(d: Dialogue, text: str, earlier: list[str] | None = None) -> Reply:
    """Begin the booking dialogue, keeping whatever the first message already said.

    "Can I get that booked?" names no service: the one the visitor's last messages were
    about (`earlier`, most recent first) is taken.
    """
    d.state.clear()
    d.state.update(flow="book", step="service")
    if earlier and re.search(r"\b(?:that|it|this|one|same|them|those)\b", text, re.I):
        services = d.services()
        if intents.match_service(text, services) is None:
            for said in earlier:
                chosen = intents.match_service(said, services)
                if chosen is not None:
                    d.state["service"], d.state["service_name"] = chosen["slug"], chosen["name"]
                    break
    return continue_booking(d, text)


def continue_booking(d: Dialogue, text: str) -> Reply | None:
    """One step of the booking dialogue; None when the message was not about it (a question)."""
    s = d.state
    step = s.get("step")
    services = d.services()
    if not services:
        s.clear()
        return Reply(
            "Online booking isn't available right now. I can ask a person to help.", [HUMAN]
        )
    understood = _absorb_service(d, text, services)
    understood = people.absorb_host(d.state, text, services) or understood
    if step in ("name", "email"):
        if dates.parse_slot_phrase(text, d.tz):  # an earlier time chip clicked again
            d.absorb_when(text)
        elif not understood and intents.is_question(text) and not intents.find_email(text)[1]:
            return None
        else:
            complaint = d.absorb_details(text, step=step)
            if complaint:
                return Reply(complaint)
    else:
        understood = d.absorb_when(text) or understood
        d.absorb_details(text, step=None)
        if not understood and step != "service" and intents.is_question(text):
            return None
    return _next_booking_step(d, services)


def _absorb_service(d: Dialogue, text: str, services: list[dict[str, Any]]) -> bool:
    s = d.state
    if len(services) == 1 and not s.get("service"):
        chosen: dict[str, Any] | None = services[0]
    else:
        chosen = intents.match_service(text, services)
    if chosen is None:
        return False
    if chosen["slug"] != s.get("service"):
        s.pop("start", None)
    s["service"], s["service_name"] = chosen["slug"], chosen["name"]
    return True


def _next_booking_step(d: Dialogue, services: list[dict[str, Any]]) -> Reply:
    s = d.state
    if not s.get("service"):
        s["step"] = "service"
        choices = [
            Choice(f"{svc['name']} · {svc['duration_min']} min", "reply", svc["name"])
            for svc in services
        ]
        return Reply("Happy to help you book. Which kind of session would you like?", choices)
    team = people.must_choose(s, services)
    if team is not None:
        s["step"] = "host"
        return Reply(f"Who would you like to meet for your {s['service_name']}?", team)
    reply = d.choose_time(verb="Book")
    if reply is not None:
        return reply
    if not s.get("name"):
        s["step"] = "name"
        return Reply(f"{_picked(d)} What name should I put the booking under?")
    if not s.get("email"):
        s["step"] = "email"
        first = s["name"].split()[0]
        if getattr(d.turn.tools, "sends_email", False):
            return Reply(f"Thanks, {first}! Which e-mail address should the confirmation go to?")
        return Reply(f"Thanks, {first}! What's your e-mail address, in case we need to reach you?")
    result = d.tool(
        "propose_booking",
        service=s["service"],
        start=s["start"],
        name=s["name"],
        email=s["email"],
        phone=None,
        notes=None,
        host=s.get("host"),
    )
    if result.ok:
        s["step"], s["proposal"] = "proposed", result.card["proposal"]
        return Reply(CONFIRM_HINT.format(what="book it"), card=result.card)
    return _booking_refused(d, result.content)


def _booking_refused(d: Dialogue, content: dict[str, Any]) -> Reply:
    s, error = d.state, content.get("error", "That didn't work.")
    if content.get("field") in ("email", "name"):
        s.pop(content["field"])
        s["step"] = content["field"]
        return Reply(error)
    s.pop("start", None)
    return d.choose_time(verb="Book") or Reply(error)


def _picked(d: Dialogue) -> str:
    start = dates.local_now(datetime.fromisoformat(d.state["start"]), d.tz)
    with_whom = f" with {d.state['host']}" if d.state.get("host") else ""
    return f"Great, {dates.day_label(start.date())} at {clock(start, d.lang)}{with_whom} it is."


# -- reschedule and cancel -------------------------------------------------------------------


def start_reschedule(d: Dialogue, text: str) -> Reply:
    """Begin moving one of the visitor's bookings."""
    d.state.clear()
    d.state.update(flow="reschedule", step="pick")
    return continue_reschedule(d, text)


def continue_reschedule(d: Dialogue, text: str) -> Reply:
    """Pick the booking, then a new time, then show the reschedule card."""
    s = d.state
    if not s.get("booking"):
        picked = d.pick_booking(text, "Reschedule")
        if isinstance(picked, Reply):
            return picked
        s["booking"], s["service_name"] = picked["booking_id"], picked["service"]
        service = intents.match_service(picked["service"], d.services())
        if service is None:
            s.clear()
            return Reply("That kind of session can't be moved online. I can ask a person.", [HUMAN])
        s["service"] = service["slug"]
    d.absorb_when(text)
    reply = d.choose_time(verb="Move to")
    if reply is not None:
        return reply
    result = d.tool("propose_reschedule", booking_id=s["booking"], new_start=s["start"])
    if result.ok:
        s["step"], s["proposal"] = "proposed", result.card["proposal"]
        return Reply(CONFIRM_HINT.format(what="move your booking"), card=result.card)
    s.pop("start", None)
    error = result.content.get("error", "That didn't work.")
    offer = d.choose_time(verb="Move to") if result.content.get("field") == "start" else None
    if offer is None:
        return Reply(error, [HUMAN])
    return Reply(f"{error}\n\n{offer.text}", offer.choices)


def start_cancel(d: Dialogue, text: str) -> Reply:
    """Pick one of the visitor's bookings and show a cancellation card."""
    d.state.clear()
    d.state.update(flow="cancel", step="pick")
    picked = d.pick_booking(text, "Cancel")
    if isinstance(picked, Reply):
        return picked
    result = d.tool("propose_cancellation", booking_id=picked["booking_id"], reason=None)
    if not result.ok:
        d.state.clear()
        return Reply(result.content.get("error", "That didn't work."), [HUMAN])
    d.state.update(step="proposed", proposal=result.card["proposal"], booking=picked["booking_id"])
    return Reply(CANCEL_HINT, card=result.card)


def list_bookings(d: Dialogue) -> Reply:
    """The visitor's upcoming bookings with chips to move or cancel them."""
    bookings = d.tool("list_my_bookings").content.get("bookings", [])
    upcoming = [b for b in bookings if b["status"] == "confirmed"]
    if not upcoming:
        return Reply("You have no upcoming bookings from this browser. Shall I book one?", [BOOK])
    lines = "\n".join(f"- **{b['service']}**: {b['when']}" for b in upcoming)
    choices = [
        booking_choice(b, verb, d.tz, d.lang)
        for b in upcoming[:3]
        for verb in ("Reschedule", "Cancel")
    ]
    return Reply(f"Your upcoming bookings:\n\n{lines}", choices)


def change(d: Dialogue) -> Reply:
    """The visitor pressed Change on a card: nothing was committed; go back a step."""
    s = d.state
    flow = s.get("flow")
    s.pop("proposal", None)
    if flow in ("book", "reschedule") and s.get("service"):
        s.pop("start", None)
        s["step"] = "time"
        verb = "Book" if flow == "book" else "Move to"
        offer = d.choose_time(verb=verb)
        tail = (
            " You can also tell me another day, or type a new name or e-mail."
            if flow == "book"
            else ""
        )
        text = "No problem, nothing has been changed." + tail
        if offer is not None:
            return Reply(f"{text}\n\n{offer.text}", offer.choices)
        return Reply(text)
    kept = flow == "cancel"
    s.clear()
    text = (
        "No problem, your booking stays as it is."
        if kept
        else "No problem, nothing has been changed."
    )
    return Reply(f"{text} What would you like to do?", [BOOK, MINE, HUMAN])
