"""The dashboard's bookings CSV export, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from frontdesk.db.models import Booking

EXPORT_LIMIT = 20_000
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_COLUMNS = (
    "id",
    "service",
    "start",
    "end",
    "time_zone",
    "status",
    "name",
    "email",
    "phone",
    "notes",
    "visitor_time_zone",
    "cancel_reason",
    "created_at",
)


def safe_cell(value: object) -> str:
    """A CSV cell spreadsheets will not run as a formula (OWASP CSV injection advice)."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def csv_text(bookings: Iterable[Booking], tz: ZoneInfo) -> str:
    """The bookings as CSV (header row first), times in the site's zone."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for b in bookings:
        row = (
            b.public_id,
            b.service.name,
            b.start.astimezone(tz).isoformat(),
            b.end.astimezone(tz).isoformat(),
            tz.key,
            b.status,
            b.visitor_name,
            b.email,
            b.phone,
            b.notes,
            b.visitor_tz,
            b.cancel_reason,
            b.created_at.astimezone(tz).isoformat(),
        )
        writer.writerow([safe_cell(v) for v in row])
    return out.getvalue()
