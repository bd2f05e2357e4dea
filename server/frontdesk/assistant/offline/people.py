"""Whom the visitor meets, in the offline engine's booking dialogue: "with Mia", "anyone",
and asking when a service lets the visitor choose."""

from __future__ import annotations

import re
from typing import Any

from frontdesk.assistant.base import Choice

ANYONE = re.compile(
    r"\b(?:any ?one|any ?body|whoever|no preference|(?:doesn't|does not|don't|do not) mind"
    r"|(?:doesn't|does not) matter|either(?: one)?|any of them)\b",
    re.IGNORECASE,
)


def team_of(services: list[dict[str, Any]], slug: str | None) -> list[str]:
    """The names of the people offering a service (every team service's, with none chosen)."""
    names: list[str] = []
    for service in services:
        if slug in (None, service["slug"]):
            names += [n for n in service.get("hosts", []) if n not in names]
    return names


def absorb_host(state: dict[str, Any], text: str, services: list[dict[str, Any]]) -> bool:
    """Take "with Mia" (or just "Mia") / "anyone" from the message into state["host"]."""
    names = team_of(services, state.get("service"))
    if not names:
        return False
    if ANYONE.search(text):
        if state.pop("host", None):
            state.pop("start", None)
        state["host_any"] = True
        return True
    for name in sorted(names, key=len, reverse=True):  # "Mia Wong" before "Mia"
        first = name.split()[0]
        if re.search(rf"\b(?:{re.escape(name)}|{re.escape(first)})\b", text, re.IGNORECASE):
            if state.get("host") != name:
                state.pop("start", None)
            state["host"] = name
            state.pop("host_any", None)
            return True
    return False


def must_choose(state: dict[str, Any], services: list[dict[str, Any]]) -> list[Choice] | None:
    """Chips naming the people, when the chosen service lets the visitor pick and they haven't;
    None otherwise."""
    service = next((s for s in services if s["slug"] == state.get("service")), None)
    if service is None or service.get("assignment") != "chosen" or state.get("host"):
        return None
    names = service.get("hosts", [])
    if len(names) < 2:
        return None
    return [Choice(name, "reply", f"With {name}") for name in names]
