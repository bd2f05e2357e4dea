"""The bookings time grid pages: a week (seven day columns) and a day, in the site's zone; on a
team, a column per person (in a week, within each day)."""

from __future__ import annotations

from datetime import date, timedelta

from flask import render_template, request, url_for
from sqlalchemy import func, select

from frontdesk.booking.hosts import site_hosts
from frontdesk.booking.zones import zone_label, zone_or_utc
from frontdesk.db.models import BookingHost, OpeningHours, TimeBlock
from frontdesk.db.types import utcnow
from frontdesk.extensions import get_db
from frontdesk.staff.auth import site_required
from frontdesk.staff.booking_common import bp, request_filters, site_services
from frontdesk.staff.booking_filters import Filters, booking_rows, local_midnight, parse_day
from frontdesk.staff.time_grid import (
    PERSON_COLOURS,
    build_grid,
    columns_by_host,
    items_by_day,
    name_people,
    week_start,
)


@bp.get("/week")
@site_required
def week(site):
    """Seven day columns, Monday first; ?week=YYYY-MM-DD picks the week."""
    tz = zone_or_utc(site.timezone)
    today = utcnow().astimezone(tz).date()
    monday = week_start(parse_day(request.args.get("week"), "The week") or today)
    days = [monday + timedelta(days=i) for i in range(7)]
    return _render(site, "week", days, today, step=timedelta(days=7))


@bp.get("/day")
@site_required
def day(site):
    """One day's column; ?day=YYYY-MM-DD picks the day."""
    tz = zone_or_utc(site.timezone)
    today = utcnow().astimezone(tz).date()
    wanted = parse_day(request.args.get("day"), "The day") or today
    return _render(site, "day", [wanted], today, step=timedelta(days=1))


def _render(site, view: str, days: list[date], today: date, *, step: timedelta):
    """The grid page for `days`: three queries (bookings, blocked time, opening hours)."""
    tz = zone_or_utc(site.timezone)
    services = site_services(site.id)
    filters = request_filters(site, services)
    span = Filters(
        filters.service, filters.status, days[0], days[-1], filters.cancelled, filters.host
    )
    lo, hi = local_midnight(days[0], tz), local_midnight(days[-1] + timedelta(days=1), tz)
    with get_db().session() as session:
        bookings = session.execute(booking_rows(site.id, span, tz)).all()
        blocks = list(
            session.scalars(
                select(TimeBlock)
                .where(TimeBlock.site_id == site.id, TimeBlock.start < hi, TimeBlock.end > lo)
                .order_by(TimeBlock.start)
            )
        )
        people = [] if filters.host else site_hosts(session, site.id)
        attending = _attending(session, bookings) if len(people) > 1 else {}
        opens, closes = session.execute(
            select(func.min(OpeningHours.start_time), func.max(OpeningHours.end_time)).where(
                OpeningHours.site_id == site.id
            )
        ).one()
    hours = None
    if opens is not None:
        hours = (opens.hour, closes.hour + (1 if closes.minute else 0) or 24)
    found = items_by_day(bookings, blocks, days, tz)
    label = "%a %-d" if view == "week" else "%A %-d %B"
    columns = [(d.strftime(label), d, found[d]) for d in days]
    team = len(people) > 1
    if team and view == "day":  # a team's day: a column per person
        columns = [col for d in days for col in columns_by_host(d, found[d], people, attending)]
    elif team:  # a team's week: seven readable days, each booking naming its people
        name_people(found, people, attending)
    first = days[0]
    args = filters.query_args()
    key = "week" if view == "week" else "day"
    return render_template(
        "staff/booking_grid.html",
        # Links built once, each block's by appending its id (url_for per block was a third of
        # a busy week's time).
        detail_url=url_for("staff.bookings.index", site_key=site.public_key),
        add_url=url_for("staff.bookings.new", site_key=site.public_key) + "?start=",
        site=site,
        tz=tz,
        zone_name=zone_label(site.timezone),
        view=view,
        days=days,
        title=_title(days),
        grid=build_grid(columns, tz, utcnow(), hours),
        people=[(h.public_id, h.name, n % PERSON_COLOURS) for n, h in enumerate(people)]
        if team and view == "week"
        else [],
        nav={
            "prev": {**args, key: (first - step).isoformat()},
            "next": {**args, key: (first + step).isoformat()},
            "today": args,
        },
        today=today,
        filters=filters,
        services=services,
        shown=len(bookings),
    )


def _attending(session, bookings) -> dict[int, set[int]]:
    """Booking id -> the ids of the people attending it (one query for the whole grid)."""
    ids = [b.id for b in bookings]
    rows = session.execute(
        select(BookingHost.booking_id, BookingHost.host_id).where(BookingHost.booking_id.in_(ids))
    )
    attending: dict[int, set[int]] = {}
    for booking_id, host_id in rows:
        attending.setdefault(booking_id, set()).add(host_id)
    return attending


def _title(days: list[date]) -> str:
    """ "7 – 13 December 2026", "30 November – 6 December 2026" or "Monday 7 December 2026"."""
    first, last = days[0], days[-1]
    if first == last:
        return first.strftime("%A %-d %B %Y")
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day} – {last:%-d %B %Y}"
    if first.year == last.year:
        return f"{first:%-d %B} – {last:%-d %B %Y}"
    return f"{first:%-d %B %Y} – {last:%-d %B %Y}"
