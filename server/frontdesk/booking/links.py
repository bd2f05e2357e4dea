"""Manage links on demand: a booking's link lives as long as the booking, until revoked.

Rescheduling keeps the link (the one in the first e-mail, the chat card and the first .ics
keep working, as Calendly's do). Revoking it is an explicit act: staff's "new link" action or
the visitor's "send me a new link"; every earlier link stops working and the new one goes by
e-mail to the booking's address only (whoever holds an old link does not learn it).
"""

from __future__ import annotations

from frontdesk import audit
from frontdesk.audit import Actor
from frontdesk.booking import tokens
from frontdesk.booking.errors import NotFound
from frontdesk.booking.lookups import find_booking, require_site
from frontdesk.db.models import Booking


def renew_link(bookings, public_id: str, actor: Actor) -> str:
    """Revoke the booking's manage and calendar links and mail the new ones; the new token."""
    with bookings.db.write_transaction() as session:
        booking = find_booking(session, Booking.public_id == public_id, lock=True)
        if booking is None:
            raise NotFound("No booking with that reference.")
        site = require_site(session, booking.site_id)
        booking.token_version += 1
        token = bookings.manage_token(booking)
        booking.manage_token_hash = tokens.token_hash(token)
        audit.record(
            session, site_id=site.id, actor=actor, action="booking.link_renewed",
            subject_type="booking", subject_id=booking.public_id,
            data={"version": booking.token_version},
        )  # fmt: skip
        if bookings.mailer and booking.email:
            bookings.mailer.enqueue_booking_change(
                session, booking=booking, site=site, event="link",
                manage_url=bookings.manage_url(booking), ics_url=bookings.ics_url(booking),
            )  # fmt: skip
    if bookings.mailer:
        bookings.mailer.wake()
    return token
