"""The offline engine's guided dialogues: book, reschedule and cancel, step by step.

State lives in `turn.state` (persisted by the chat session between turns):
flow (book / reschedule / cancel), step, service, service_name, day, part, at, start, name,
email, booking, proposal. Every step goes through the same tools the LLM uses, so the same
validation applies and nothing is committed until the visitor presses Confirm on the card.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from frontdesk import i18n
from frontdesk.assistant.base import Choice, Source, ToolResult, Turn
from frontdesk.assistant.offline import dates, intents
from frontdesk.assistant.tools.cards import slot_label
from frontdesk.assistant.tools.chip_words import slot_said
from frontdesk.booking.time_words import clock

HUMAN = Choice("Talk to a person", "reply", "I'd like to talk to a person")
BOOK = Choice("Book a consultation", "reply", "I'd like to book a consultation")
MINE = Choice("My bookings", "reply", "Show my bookings")
MAX_CHIPS = 12


@dataclass
class Reply:
    """What the engine will say at the end of the turn."""

    text: str
    choices: list[Choice] = field(default_factory=list)
    card: dict[str, Any] | None = None
    sources: list[Source] = field(default_factory=list)


class Dialogue:
    """One visitor turn as the guided dialogues see it: state, tools, the visitor's clock."""

    def __init__(self, turn: Turn) -> None:
        self.turn = turn
        self.state = turn.state
        self.tz = turn.visitor_tz
        self.lang = turn.lang or "en"  # the clock style of times written out
        self.now: datetime = turn.now

    def tool(self, tool_name: str, /, **arguments: Any) -> ToolResult:
        """Call a tool and record the call in the transcript (like the LLM engine does)."""
        result = self.turn.tools.call(tool_name, arguments)
        call_id = f"offline_{uuid.uuid4().hex[:12]}"
        self.turn.out.record_tool(call_id, tool_name, arguments, result)
        return result

    def services(self) -> list[dict[str, Any]]:
        """The site's active services as list_services reports them."""
        return self.tool("list_services").content.get("services", [])

    def today(self) -> date:
        """Today in the visitor's zone."""
        return dates.local_now(self.now, self.tz).date()

    # -- shared pieces ----------------------------------------------------------------------

    def absorb_when(self, text: str) -> bool:
        """Take a chosen slot or a day / part of day / clock time from the message."""
        s = self.state
        start = dates.parse_slot_phrase(text, self.tz)
        if start is not None:
            s["start"] = start.isoformat()
            s["day"] = dates.local_now(start, self.tz).date().isoformat()
            return True
        when = dates.parse_when(text, self.now, self.tz)
        if when.empty:
            return False
        s.pop("start", None)
        if when.day is not None:
            s["day"] = when.day.isoformat()
            s.pop("part", None)
            s.pop("at", None)
        if when.part:
            s["part"] = when.part
        if when.at:
            s["at"] = when.at.strftime("%H:%M")
        return True

    def absorb_details(self, text: str, *, step: str | None) -> str | None:
        """Take a name and/or e-mail; returns a complaint when the expected one is unusable."""
        s = self.state
        email, looked_like_email = intents.find_email(text)
        if email:
            s["email"] = email
        named = intents.EXPLICIT_NAME.search(text) or step == "name"
        name = intents.find_name(text) if named else None
        if name:
            s["name"] = name
        if step == "email" and not email:
            if looked_like_email:
                return "That e-mail address doesn't look right. Could you check it?"
            return "I need an e-mail address for the booking (like name@example.com)."
        if step == "name" and not name and not email:
            return "Sorry, I didn't catch that. What name should the booking be under?"
        return None

    def choose_time(self, *, verb: str) -> Reply | None:
        """None once state["start"] is a free slot; otherwise a reply offering times."""
        s = self.state
        if s.get("start"):
            return None
        first = date.fromisoformat(s["day"]) if s.get("day") else self.today()
        first = max(first, self.today())
        result = self.tool(
            "find_available_slots",
            service=s["service"],
            start_date=first.isoformat(),
            end_date=first.isoformat() if s.get("day") else None,
            time_zone=None,
            host=s.get("host"),
        )
        if not result.ok:
            s.pop("day", None)
            return Reply(result.content["error"] + " Which day would suit you?", [HUMAN])
        offered = [
            (datetime.fromisoformat(slot["start"].replace("Z", "+00:00")), choice)
            for slot, choice in zip(result.content["slots"], result.choices, strict=False)
        ]
        if verb != "Book":
            prefix = f"Book {s.get('service_name', '')} on "
            offered = [
                (start, Choice(c.label, c.action, c.value.replace(prefix, f"{verb} "), c.group,
                               slot_said("chipMoveTo", start, self.tz, self.lang)))
                for start, c in offered
            ]  # fmt: skip
        s["step"] = "time"
        return self._offer(offered, first)

    def _offer(self, offered: list[tuple[datetime, Choice]], day: date) -> Reply | None:
        s = self.state
        name = s.get("service_name", "that")
        if not offered:
            return Reply(
                f"I'm sorry, I can't see any free times for {name} around then. "
                "Try another day, or I can ask a person to help.",
                [HUMAN],
            )
        if not s.get("day"):
            return Reply(
                f"Here are the next free times for {name}, in your time. Pick one, or "
                "tell me a day that suits you, like “next Tuesday afternoon”.",
                [c for _, c in offered],
            )
        local = [(dates.local_now(start, self.tz), c) for start, c in offered]
        on_day = [(start, c) for start, c in local if start.date() == day]
        if s.get("at"):
            wanted = time.fromisoformat(s.pop("at"))
            for start, _ in on_day:
                if start.time() == wanted:
                    s["start"] = start.isoformat()
                    return None
            said = clock(datetime.combine(day, wanted), self.lang)
            intro = f"Sorry, {said} isn't free on {dates.day_label(day)}."
        else:
            intro = ""
        part = s.get("part")
        in_part = [(st, c) for st, c in on_day if dates.in_part(st, part, self.tz)]
        if in_part:
            free = dates.PART_TIMES[part] if part else "times"
            text = f"Here are the free {free} on {dates.day_label(day)}, in your time:"
            return Reply(f"{intro} {text}".strip(), thin([c for _, c in in_part]))
        if on_day:
            text = (
                f"Nothing's free that {part}, but these times are free on {dates.day_label(day)}:"
            )
            return Reply(f"{intro} {text}".strip(), thin([c for _, c in on_day]))
        text = f"Nothing's free on {dates.day_label(day)}. The next free times are:"
        return Reply(f"{intro} {text}".strip(), [c for _, c in local])

    def pick_booking(self, text: str, verb: str) -> dict[str, Any] | Reply:
        """The visitor's upcoming booking this is about, or a reply asking which (or saying none)."""
        bookings = self.tool("list_my_bookings").content.get("bookings", [])
        upcoming = [b for b in bookings if b["status"] == "confirmed"]
        if not upcoming:
            self.state.clear()
            mailed = getattr(self.turn.tools, "sends_email", False)
            where = "confirmation e-mail" if mailed else "booking's card"
            return Reply(
                "I can't find any upcoming bookings made from this browser. The link in your "
                f"{where} lets you manage a booking, or I can ask a person to help.",
                [HUMAN, BOOK],
            )
        wanted = intents.booking_id_in(text)
        chosen = next((b for b in upcoming if b["booking_id"] == wanted), None)
        if chosen is None and len(upcoming) == 1:
            chosen = upcoming[0]
        if chosen is not None:
            return chosen
        self.state["step"] = "pick"
        return Reply(
            f"Which booking would you like to {verb.lower()}?",
            [booking_choice(b, verb, self.tz, self.lang) for b in upcoming[:6]],
        )


def thin(choices: list[Choice], limit: int = MAX_CHIPS) -> list[Choice]:
    """At most `limit` chips, evenly spread (a whole day has too many times to show them all)."""
    if len(choices) <= limit:
        return choices
    return [choices[round(i * (len(choices) - 1) / (limit - 1))] for i in range(limit)]


def booking_choice(booking: dict[str, Any], verb: str, tz: str, lang: str = "en") -> Choice:
    """A chip naming one booking (in the visitor's language: "Déplacer Consultation · mar. 1
    déc. 14:00"); its value carries the booking id back, in the English the engine reads."""
    start = datetime.fromisoformat(booking["start"].replace("Z", "+00:00"))
    value = f"{verb} booking {booking['booking_id']}"
    names = {"service": booking["service"], "when": slot_label(start, tz, lang)}
    label = i18n.text(lang, f"chip{verb}Label", **names)
    said = "" if i18n.is_english(lang) else i18n.text(lang, f"chip{verb}Said", **names)
    return Choice(label, "reply", value, text=said)
