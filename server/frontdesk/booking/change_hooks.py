"""What another part (the calendars) may add to a booking change, without booking importing it:
work before the write, rows in its transaction, and a nudge after commit."""

from __future__ import annotations

from typing import Protocol


class ChangeHooks(Protocol):
    """The booking service calls these around every create, reschedule and cancel."""

    def before_write(self, site_id: int, service_slug: str) -> object:
        """Before a booking's transaction (e.g. refresh the hosts' stale external busy times)."""
        ...

    def before_reschedule(self, public_id: str) -> object:
        """Before a reschedule's transaction (the booking's own service and hosts)."""
        ...

    def booking_changed(self, session, booking, site, event: str) -> None:
        """Inside the change's transaction (e.g. queue calendar write-backs)."""
        ...

    def wake(self) -> None:
        """After commit."""
        ...


class NoHooks:
    """Hooks that do nothing: a booking service on its own."""

    def before_write(self, site_id: int, service_slug: str) -> None:
        """Nothing to do before the write."""

    def before_reschedule(self, public_id: str) -> None:
        """Nothing to do before a reschedule."""

    def booking_changed(self, session, booking, site, event: str) -> None:
        """Nothing to add to the transaction."""

    def wake(self) -> None:
        """Nobody to wake."""
