"""Staff add to the calendar: a booking taken by phone, and blocked-out time (and free it)."""

from __future__ import annotations

import secrets
from datetime import date, datetime, time, timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from frontdesk.booking.errors import BookingError, NotFound, SlotTaken
from frontdesk.booking.service import BookingRequest
from frontdesk.booking.staff_actions import block_time, set_staff_notes, unblock_time
from frontdesk.booking.zones import zone_label, zone_or_utc
from frontdesk.db.models import TimeBlock
from frontdesk.db.types import utcnow
from frontdesk.extensions import get_bookings, get_db
from frontdesk.staff.auth import site_required
from frontdesk.staff.booking_common import bp, site_services, staff_actor
from frontdesk.staff.mail_state import sends_mail

FIELDS = ("service", "day", "time", "name", "email", "phone", "notes", "key")
BLOCK_FIELDS = ("day", "time", "end_day", "end_time", "note")


def _start_from_query(tz) -> tuple[str, str]:
    """The day and time a grid click asked for (?start=YYYY-MM-DDTHH:MM or ?day=), else the
    next whole hour."""
    raw = request.args.get("start", "")
    try:
        start = datetime.fromisoformat(raw[:16]) if raw else None
    except ValueError:
        start = None
    if start is None:
        try:
            day = date.fromisoformat(request.args.get("day", "")[:10])
            start = datetime.combine(day, time(9))
        except ValueError:
            now = utcnow().astimezone(tz)
            start = (now + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    return start.date().isoformat(), start.strftime("%H:%M")


def _local(day: str, clock: str, tz) -> datetime:
    """An aware moment from a date and a time field in the site's zone; ValueError if bad."""
    if len(day) != 10 or not 4 <= len(clock) <= 5:
        raise ValueError("bad date or time")
    return datetime.combine(date.fromisoformat(day), time.fromisoformat(clock.zfill(5)), tz)


# The booking service names a bad start "start" and a bad end "end": the form's time fields.
FIELD_OF = {"start": "time", "end": "end_time"}


def _form(site, template: str, values: dict, error: str = "", field: str = "", status=200):
    field = FIELD_OF.get(field, field)
    return (
        render_template(
            template,
            site=site,
            values=values,
            services=[s for s in site_services(site.id) if s.active],
            zone_name=zone_label(site.timezone),
            error=error,
            error_field=field,
        ),
        status,
    )


@bp.get("/new")
@site_required
def new(site):
    """The form for a booking staff take by phone, at the time clicked on the grid."""
    day, clock = _start_from_query(zone_or_utc(site.timezone))
    values = {"day": day, "time": clock, "key": secrets.token_urlsafe(12)}
    return _form(site, "staff/booking_new.html", values)


@bp.post("/new")
@site_required
def create(site):
    """Book it: any free future time (outside the offered slots too); e-mail optional."""
    tz = zone_or_utc(site.timezone)
    values = {name: request.form.get(name, "") for name in FIELDS}
    try:
        start = _local(values["day"], values["time"], tz)
    except ValueError:
        return _form(site, "staff/booking_new.html", values, "Give a date and a time.", "day", 400)
    booking_request = BookingRequest(
        service=values["service"],
        start=start,
        name=values["name"],
        email=values["email"],
        phone=values["phone"],
        visitor_tz=site.timezone,
        idempotency_key=("staff-" + values["key"])[:100] if values["key"] else None,
    )
    try:
        result = get_bookings().create(site.id, booking_request, staff_actor(), by_staff=True)
        if values["notes"].strip() and result.created:
            set_staff_notes(
                get_db(), site.id, result.booking.public_id, values["notes"], staff_actor()
            )
    except BookingError as exc:
        status = 409 if isinstance(exc, SlotTaken) else 400
        return _form(site, "staff/booking_new.html", values, str(exc), exc.field or "", status)
    booking = result.booking
    if booking.email and sends_mail():
        told = f" A confirmation is on its way to {booking.email}."
    else:
        told = " No e-mail was sent" + ("." if not booking.email else ": e-mail is not set up.")
    flash(f"Booked {booking.visitor_name} for {start:%A %-d %B at %H:%M}.{told}", "success")
    return redirect(
        url_for(".detail", site_key=site.public_key, public_id=booking.public_id), code=303
    )


@bp.get("/block")
@site_required
def new_block(site):
    """The form to block out time (an hour from the time clicked on the grid)."""
    day, clock = _start_from_query(zone_or_utc(site.timezone))
    end = (datetime.fromisoformat(f"{day}T{clock}") + timedelta(hours=1)).strftime("%H:%M")
    values = {"day": day, "time": clock, "end_day": day, "end_time": end, "note": ""}
    return _form(site, "staff/block_new.html", values)


@bp.post("/block")
@site_required
def create_block(site):
    """Block the time: nothing can be booked in it until it is freed."""
    tz = zone_or_utc(site.timezone)
    values = {name: request.form.get(name, "") for name in BLOCK_FIELDS}
    try:
        start = _local(values["day"], values["time"], tz)
        end = _local(values["end_day"] or values["day"], values["end_time"], tz)
    except ValueError:
        return _form(site, "staff/block_new.html", values, "Give dates and times.", "day", 400)
    try:
        block_time(get_db(), site.id, start, end, values["note"], staff_actor())
    except BookingError as exc:
        status = 409 if isinstance(exc, SlotTaken) else 400
        return _form(site, "staff/block_new.html", values, str(exc), exc.field or "", status)
    flash(f"Blocked {start:%a %-d %b, %H:%M} – {end:%H:%M}.", "success")
    return redirect(url_for(".week", site_key=site.public_key, week=start.date().isoformat()), 303)


def _own_block(site, public_id: str) -> TimeBlock:
    with get_db().session() as session:
        block = session.scalars(
            select(TimeBlock).where(TimeBlock.site_id == site.id, TimeBlock.public_id == public_id)
        ).first()
    if block is None:
        abort(404)
    return block


@bp.get("/blocked/<public_id>")
@site_required
def blocked(site, public_id: str):
    """One blocked time: when, why, and a button to free it."""
    block = _own_block(site, public_id)
    tz = zone_or_utc(site.timezone)
    return render_template(
        "staff/blocked.html",
        site=site,
        block=block,
        start=block.start.astimezone(tz),
        end=block.end.astimezone(tz),
        zone_name=zone_label(site.timezone),
    )


@bp.post("/blocked/<public_id>/remove")
@site_required
def unblock(site, public_id: str):
    """Free the blocked time: it can be booked again."""
    block = _own_block(site, public_id)
    try:
        unblock_time(get_db(), site.id, public_id, staff_actor())
    except NotFound:
        abort(404)
    week = block.start.astimezone(zone_or_utc(site.timezone)).date().isoformat()
    flash("The time is free again.", "success")
    return redirect(url_for(".week", site_key=site.public_key, week=week), code=303)
