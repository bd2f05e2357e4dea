"""The dashboard's week view: the Monday of a week and its seven day columns."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from frontdesk.db.models import Booking


def week_start(day: date) -> date:
    """The Monday of the week containing `day`."""
    return day - timedelta(days=day.weekday())


def week_grid(bookings: Iterable[Booking], monday: date, tz: ZoneInfo) -> list[dict]:
    """Seven columns (Monday first), each with its day and its bookings in local time."""
    columns = [{"day": monday + timedelta(days=i), "bookings": []} for i in range(7)]
    for booking in bookings:
        index = (booking.start.astimezone(tz).date() - monday).days
        if 0 <= index < 7:
            columns[index]["bookings"].append(booking)
    return columns
