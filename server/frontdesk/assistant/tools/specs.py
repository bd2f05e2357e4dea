"""The eight assistant tools: their strict OpenAI schemas and the argument checks behind them.

One table drives both: the schema the model sees (kept terse, it costs prompt tokens on every
turn) and the validation `ConversationTools.call` runs before anything happens. Limits that
strict mode cannot express (lengths, formats, ranges) are enforced here instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from frontdesk.booking.validation import is_email
from frontdesk.booking.zones import is_zone

CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class Field:
    """One tool argument: JSON type, whether it may be null, and the checks it must pass."""

    name: str
    type: str = "string"  # string / integer
    description: str = ""
    optional: bool = False
    max_len: int = 200
    kind: str = "text"  # text / date / datetime / email / tz / id
    minimum: int = 1
    maximum: int = 10
    # False: accepted from our own callers (the offline engine) but left out of the schema the
    # model sees, where it would cost prompt tokens on every turn for little use.
    offered: bool = True

    def schema(self) -> dict[str, Any]:
        """The JSON-schema property (nullable when optional, as strict mode requires)."""
        prop: dict[str, Any] = {"type": [self.type, "null"] if self.optional else self.type}
        if self.description:
            prop["description"] = self.description
        return prop


@dataclass(frozen=True)
class ToolSpec:
    """A tool's name, one-line description and arguments."""

    name: str
    description: str
    fields: tuple[Field, ...] = ()

    def openai(self) -> dict[str, Any]:
        """The Chat Completions `tools` entry, strict mode."""
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "strict": True,
                "parameters": {
                    "type": "object",
                    "properties": {f.name: f.schema() for f in self.fields if f.offered},
                    "required": [f.name for f in self.fields if f.offered],
                    "additionalProperties": False,
                },
            },
        }


SERVICE = Field("service", description="slug", max_len=64)
HOST = Field("host", optional=True, max_len=200)  # a person's name; null: anyone
BOOKING_ID = Field("booking_id", max_len=32, kind="id")
START = "ISO 8601 with offset"

SPECS: tuple[ToolSpec, ...] = (
    ToolSpec(
        "search_knowledge",
        "Search the knowledge base.",
        (
            Field("query", max_len=300),
            Field("limit", type="integer", optional=True, maximum=8, offered=False),
            Field("context", optional=True, max_len=300, description="earlier question"),
        ),
    ),
    ToolSpec("list_services", "Bookable services."),
    ToolSpec(
        "find_available_slots",
        "Free start times, max 31 days.",
        (
            SERVICE,
            Field("start_date", description="YYYY-MM-DD", kind="date", max_len=10),
            Field("end_date", optional=True, kind="date", max_len=10),
            Field("time_zone", optional=True, kind="tz"),
            HOST,
        ),
    ),
    ToolSpec(
        "propose_booking",
        "Shows a Confirm card. Books nothing.",
        (
            SERVICE,
            Field("start", description=START, kind="datetime", max_len=40),
            Field("name", max_len=200),
            Field("email", kind="email", max_len=254),
            Field("phone", optional=True, max_len=40),
            Field("notes", optional=True, max_len=2000),
            HOST,
        ),
    ),
    ToolSpec("list_my_bookings", "The visitor's bookings."),
    ToolSpec(
        "propose_cancellation",
        "Shows a Confirm card to cancel. Cancels nothing.",
        (BOOKING_ID, Field("reason", optional=True, max_len=500)),
    ),
    ToolSpec(
        "propose_reschedule",
        "Shows a Confirm card to move. Moves nothing.",
        (BOOKING_ID, Field("new_start", description=START, kind="datetime", max_len=40)),
    ),
    ToolSpec(
        "request_human",
        "Hand over to staff; call again with name, email once given.",
        (
            Field("reason", max_len=500),
            Field("name", optional=True),
            Field("email", optional=True, kind="email"),
        ),
    ),
)
SPECS_BY_NAME = {spec.name: spec for spec in SPECS}


class ArgumentError(ValueError):
    """Tool arguments that do not match the schema; the message says what is wrong."""


def validate(spec: ToolSpec, arguments: Any) -> dict[str, Any]:
    """Checked, normalised arguments (optional ones None when absent), or ArgumentError."""
    if not isinstance(arguments, dict):
        raise ArgumentError("arguments must be a JSON object")
    known = {f.name for f in spec.fields}
    unknown = sorted(str(key) for key in arguments if key not in known)
    if unknown:
        raise ArgumentError(f"unknown argument(s): {', '.join(unknown)}")
    return {f.name: _check(f, arguments.get(f.name)) for f in spec.fields}


def _check(field: Field, value: Any) -> Any:
    if value is None:
        if field.optional:
            return None
        raise ArgumentError(f"{field.name} is required")
    if field.type == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ArgumentError(f"{field.name} must be an integer")
        if not field.minimum <= value <= field.maximum:
            raise ArgumentError(f"{field.name} must be {field.minimum}-{field.maximum}")
        return value
    if not isinstance(value, str):
        raise ArgumentError(f"{field.name} must be a string")
    value = CONTROL_RE.sub("", value).strip()
    if not value:
        if field.optional:
            return None
        raise ArgumentError(f"{field.name} must not be empty")
    if len(value) > field.max_len:
        raise ArgumentError(f"{field.name} is too long (max {field.max_len} characters)")
    return _check_kind(field, value)


def _check_kind(field: Field, value: str) -> Any:
    if field.kind == "date":
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ArgumentError(f"{field.name} must be a date like 2026-12-01") from None
    if field.kind == "datetime":
        return parse_instant(field.name, value)
    if field.kind == "email":
        if not is_email(value):
            raise ArgumentError(f"{field.name} is not a valid e-mail address")
        return value
    if field.kind == "tz":
        if not is_zone(value):
            raise ArgumentError(f"{field.name} is not an IANA time zone")
        return value
    if field.kind == "id" and not re.fullmatch(r"[A-Za-z0-9_-]+", value):
        raise ArgumentError(f"{field.name} is not a valid id")
    return value


def parse_instant(name: str, value: str) -> datetime:
    """An ISO 8601 date-time that must carry a UTC offset (a bare local time is ambiguous)."""
    try:
        moment = datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        raise ArgumentError(f"{name} must be ISO 8601, e.g. 2026-12-01T23:00:00Z") from None
    if moment.tzinfo is None:
        raise ArgumentError(f"{name} needs a UTC offset, e.g. 2026-12-01T23:00:00Z")
    return moment
