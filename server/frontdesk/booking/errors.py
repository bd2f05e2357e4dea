"""Booking errors: what callers catch (by `code` and `field`), and the sentences they carry."""

from __future__ import annotations


class BookingError(Exception):
    """A booking request that cannot be carried out; `code` and `field` are for the caller."""

    code = "invalid"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidBooking(BookingError):
    """Bad input: unknown service, malformed e-mail, a time that is not an offered slot, ..."""

    code = "invalid"


class SlotTaken(BookingError):
    """Someone else holds (part of) that time."""

    code = "slot_taken"


class NotFound(BookingError):
    """No such booking (or site)."""

    code = "not_found"


class NotAllowed(BookingError):
    """The booking exists but cannot be changed: cancelled, in the past, ..."""

    code = "not_allowed"


class TryAgain(BookingError):
    """The database stayed busy through every retry; nothing was written."""

    code = "busy"


SLOT_TAKEN_MESSAGE = "That time was just taken. Please pick another slot."


def slot_problem_message(reason: str, *, min_notice_min: int, max_days_ahead: int) -> str:
    """A human sentence for a check_slot reason code (other than "taken")."""
    if reason == "past":
        return "That time is in the past. Please pick a future slot."
    if reason == "too_soon":
        return f"That time is too soon: bookings need {_duration(min_notice_min)} notice."
    if reason == "too_far":
        return f"That time is too far ahead: bookings open {max_days_ahead} days in advance."
    if reason == "outside_hours":
        return "That time isn't one of the available slots. Please pick an offered time."
    return "That time can't be booked. Please pick an offered slot."


def _duration(minutes: int) -> str:
    if minutes % 60 == 0 and minutes >= 60:
        hours = minutes // 60
        return f"{hours} hour's" if hours == 1 else f"{hours} hours'"
    return f"{minutes} minutes'"
