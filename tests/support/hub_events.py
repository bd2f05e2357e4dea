"""Reading what the chat hub published, from a queue subscription."""

from __future__ import annotations

from typing import Any


def next_event(subscription, kind: str, timeout: float = 5.0) -> dict[str, Any]:
    """The next hub event of `kind` from a queue subscription (others are skipped)."""
    return next_events(subscription, kind, timeout=timeout)[kind]


def next_events(subscription, *kinds: str, timeout: float = 5.0) -> dict[str, dict[str, Any]]:
    """The next hub event of each of `kinds`, in whatever order they come, by kind."""
    seen: dict[str, dict[str, Any]] = {}
    while len(seen) < len(kinds):
        event = subscription.get(timeout=timeout)
        missing = sorted(set(kinds) - seen.keys())
        assert event is not None, f"no {' or '.join(missing)} event"
        if event.get("type") in kinds:
            seen.setdefault(event["type"], event)
    return seen
