"""The booking service: create, reschedule and cancel, audit events, manage tokens, idempotency."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from frontdesk.audit import Actor
from frontdesk.booking.errors import SlotTaken
from frontdesk.booking.service import Bookings
from frontdesk.db.models import AuditEvent, OutboxEmail, Service
from tests.support.apps import PUBLIC_URL
from tests.support.bookings import (
    MONDAY,
    NOW,
    VISITOR,
    at,
    booking_request,
    make_bookings,
    row_counts,
)
from tests.support.factories import make_site

TUESDAY = date(2030, 3, 5)


def audit_trail(db, public_id: str) -> list[AuditEvent]:
    """The audit events about one booking, oldest first."""
    with db.session() as session:
        query = select(AuditEvent).where(AuditEvent.subject_id == public_id)
        return list(session.scalars(query.order_by(AuditEvent.id)))


def test_create_books_the_slot_and_records_it(db, site, bookings):
    start = at(MONDAY, 10)
    result = bookings.create(site.id, booking_request(start), VISITOR, now=NOW)

    booking = result.booking
    assert result.created is True
    assert booking.public_id.startswith("bk_") and len(booking.public_id) >= 15
    assert booking.service.slug == "consult"  # loaded, usable after the session closed
    assert (booking.start, booking.end) == (start, start + timedelta(minutes=30))
    assert (booking.block_start, booking.block_end) == (booking.start, booking.end)
    assert booking.status == "confirmed"
    assert (booking.ics_sequence, booking.token_version) == (0, 1)
    assert booking.visitor_name == "Ada Lovelace" and booking.visitor_tz == "Europe/London"
    assert booking.manage_token_hash == hashlib.sha256(result.manage_token.encode()).hexdigest()
    assert bookings.by_token(result.manage_token).public_id == booking.public_id
    assert bookings.manage_url(booking) == f"{PUBLIC_URL}/b/{result.manage_token}"
    assert bookings.ics_url(booking) == f"{PUBLIC_URL}/b/{result.manage_token}.ics"
    assert bookings.get(booking.public_id).email == "ada@example.com"

    [event] = audit_trail(db, booking.public_id)
    assert (event.action, event.actor_type, event.actor_id) == (
        "booking.created",
        "visitor",
        "visitor-1",
    )
    assert event.site_id == site.id and event.subject_type == "booking"
    assert event.data["start"] == start.astimezone(UTC).isoformat()
    assert "ada@example.com" not in str(event.data)  # no personal data in the permanent log


def test_manage_token_is_deterministic_and_secret_dependent(db, site, bookings):
    booking = bookings.create(site.id, booking_request(at(MONDAY, 10)), VISITOR, now=NOW).booking
    other_secret = Bookings(db, secret_key="another-secret", public_url=PUBLIC_URL)
    assert bookings.manage_token(booking) == bookings.manage_token(booking)
    assert other_secret.manage_token(booking) != bookings.manage_token(booking)
    assert other_secret.by_token(other_secret.manage_token(booking)) is None


def test_booked_slot_disappears_from_free_slots(db, site, bookings):
    start = at(MONDAY, 10)

    def free_starts(**kwargs) -> set[datetime]:
        slots = bookings.free_slots(site.id, "consult", MONDAY, MONDAY, now=NOW, **kwargs)
        return {slot.start for slot in slots}

    assert start in free_starts()
    booking = bookings.create(site.id, booking_request(start), VISITOR, now=NOW).booking
    assert start not in free_starts()
    assert start in free_starts(exclude_booking_id=booking.id)


def test_free_slots_in_the_visitor_zone(db, site, bookings):
    slots = bookings.free_slots(site.id, "workshop", MONDAY, MONDAY, tz="UTC", now=NOW)
    assert slots  # Monday in UTC covers Sydney's Monday afternoon and Tuesday morning
    assert all(slot.start.utcoffset() == timedelta(0) for slot in slots)
    assert all(slot.start.date() == MONDAY for slot in slots)
    assert all(slot.end - slot.start == timedelta(minutes=90) for slot in slots)
    same = bookings.free_slots(site.id, "workshop", MONDAY, MONDAY, tz=ZoneInfo("UTC"), now=NOW)
    assert same == slots


def test_reschedule_moves_booking_and_keeps_its_link(db, site, bookings):
    first = bookings.create(site.id, booking_request(at(MONDAY, 10)), VISITOR, now=NOW)
    new_start = at(TUESDAY, 14, 30)

    moved = bookings.reschedule(first.booking.public_id, new_start, VISITOR, now=NOW)

    booking = moved.booking
    assert (booking.start, booking.end) == (new_start, new_start + timedelta(minutes=30))
    assert (booking.ics_sequence, booking.token_version) == (1, 1)
    assert moved.manage_token == first.manage_token  # links live as long as the booking
    assert bookings.by_token(first.manage_token).public_id == booking.public_id
    actions = [event.action for event in audit_trail(db, booking.public_id)]
    assert actions == ["booking.created", "booking.rescheduled"]
    # the old time is free again, the new one is not
    other = booking_request(at(MONDAY, 10), email="bob@example.com")
    assert bookings.create(site.id, other, Actor("visitor", "v2"), now=NOW).created
    with pytest.raises(SlotTaken):
        bookings.create(site.id, replace(other, start=new_start), VISITOR, now=NOW)


def test_reschedule_to_the_same_time_is_a_harmless_retry(db, site, bookings):
    first = bookings.create(site.id, booking_request(at(MONDAY, 10)), VISITOR, now=NOW)
    moved = bookings.reschedule(first.booking.public_id, at(TUESDAY, 10), VISITOR, now=NOW)
    again = bookings.reschedule(first.booking.public_id, at(TUESDAY, 10), VISITOR, now=NOW)
    assert again.manage_token == moved.manage_token
    assert again.booking.ics_sequence == 1
    assert len(audit_trail(db, first.booking.public_id)) == 2


def test_reschedule_may_overlap_its_own_old_time(db, site, bookings):
    workshop = booking_request(at(MONDAY, 9), service="workshop")
    first = bookings.create(site.id, workshop, VISITOR, now=NOW)
    moved = bookings.reschedule(first.booking.public_id, at(MONDAY, 9, 30), VISITOR, now=NOW)
    assert moved.booking.end == at(MONDAY, 11)


def test_cancel_frees_the_slot(db, site, bookings):
    start = at(MONDAY, 10)
    created = bookings.create(site.id, booking_request(start), VISITOR, now=NOW)
    staff = Actor("staff", "7")

    cancelled = bookings.cancel(created.booking.public_id, staff, reason="Ill", now=NOW)

    assert cancelled.status == "cancelled" and cancelled.cancel_reason == "Ill"
    assert cancelled.ics_sequence == 1
    assert bookings.by_token(created.manage_token).status == "cancelled"  # link still shows it
    [_, event] = audit_trail(db, created.booking.public_id)
    assert (event.action, event.actor_type, event.actor_id) == ("booking.cancelled", "staff", "7")
    rebooked = bookings.create(
        site.id, booking_request(start, email="b@example.com"), staff, now=NOW
    )
    assert rebooked.created and rebooked.booking.start == start


def test_idempotent_retry_returns_the_same_booking_and_link(db, site, bookings):
    request = booking_request(at(MONDAY, 10), idempotency_key="proposal-42")
    first = bookings.create(site.id, request, VISITOR, now=NOW)
    retry = bookings.create(site.id, request, VISITOR, now=NOW)

    assert (first.created, retry.created) == (True, False)
    assert retry.booking.public_id == first.booking.public_id
    assert retry.manage_token == first.manage_token
    assert retry.booking.service.slug == "consult"
    assert row_counts(db) == (1, 1)


def test_idempotency_keys_are_per_site(db, site, bookings):
    other_site = make_site(db)
    request = booking_request(at(MONDAY, 10), idempotency_key="same-key")
    a = bookings.create(site.id, request, VISITOR, now=NOW)
    b = bookings.create(other_site.id, request, VISITOR, now=NOW)
    assert a.created and b.created and a.booking.public_id != b.booking.public_id


def test_sites_do_not_block_each_other(db, site, bookings):
    other_site = make_site(db)
    request = booking_request(at(MONDAY, 10))
    assert bookings.create(site.id, request, VISITOR, now=NOW).created
    assert bookings.create(other_site.id, request, VISITOR, now=NOW).created


def test_buffers_are_part_of_the_block(db, bookings):
    site = make_site(db, buffer_after_min=15)
    booking = bookings.create(site.id, booking_request(at(MONDAY, 10)), VISITOR, now=NOW).booking
    assert booking.block_end == at(MONDAY, 10, 45)
    with pytest.raises(SlotTaken):
        bookings.create(site.id, booking_request(at(MONDAY, 10, 30)), VISITOR, now=NOW)
    assert bookings.create(site.id, booking_request(at(MONDAY, 11)), VISITOR, now=NOW).created


def test_for_visitor_lists_own_bookings_newest_first(db, site, bookings):
    first = bookings.create(site.id, booking_request(at(MONDAY, 10)), VISITOR, now=NOW)
    second = bookings.create(site.id, booking_request(at(MONDAY, 11)), VISITOR, now=NOW)
    third = booking_request(at(MONDAY, 14), visitor_id="someone-else")
    bookings.create(site.id, third, VISITOR, now=NOW)
    listed = [b.public_id for b in bookings.for_visitor(site.id, "visitor-1")]
    assert listed == [second.booking.public_id, first.booking.public_id]
    assert bookings.for_visitor(make_site(db).id, "visitor-1") == []


def test_services_lists_active_ones_in_order(db, site, bookings):
    assert [s.slug for s in bookings.services(site.id)] == ["consult", "workshop"]
    with db.transaction() as session:
        session.execute(
            Service.__table__.update().where(Service.slug == "consult").values(active=False)
        )
    assert [s.slug for s in bookings.services(site.id)] == ["workshop"]


class RecordingMailer:
    """A stand-in outbox writer: queues a row in the booking's transaction, counts wake-ups."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str, str]] = []
        self.wakes = 0

    def enqueue_booking_change(self, session, *, booking, site, event, manage_url, ics_url):
        self.events.append((event, manage_url, ics_url))
        session.add(
            OutboxEmail(site_id=site.id, recipient=booking.email, subject=event, message=b"-")
        )

    def wake(self) -> None:
        self.wakes += 1


def outbox_subjects(db) -> list[str]:
    with db.session() as session:
        return list(session.scalars(select(OutboxEmail.subject).order_by(OutboxEmail.id)))


def test_mail_is_queued_in_the_booking_transaction(db, site):
    mailer = RecordingMailer()
    bookings = make_bookings(db, mailer=mailer)
    created = bookings.create(site.id, booking_request(at(MONDAY, 10)), VISITOR, now=NOW)
    moved = bookings.reschedule(created.booking.public_id, at(MONDAY, 11), VISITOR, now=NOW)
    with pytest.raises(SlotTaken):  # a refused booking queues nothing
        bookings.create(site.id, booking_request(at(MONDAY, 11)), VISITOR, now=NOW)
    bookings.cancel(created.booking.public_id, VISITOR, now=NOW)

    assert outbox_subjects(db) == ["created", "rescheduled", "cancelled"]
    assert [e[0] for e in mailer.events] == ["created", "rescheduled", "cancelled"]
    assert mailer.events[1][1] == f"{PUBLIC_URL}/b/{moved.manage_token}"
    assert mailer.events[1][2] == f"{PUBLIC_URL}/b/{moved.manage_token}.ics"
    assert mailer.wakes == 3


def test_audit_log_refuses_update_and_delete(db, site, bookings):
    booking = bookings.create(site.id, booking_request(at(MONDAY, 10)), VISITOR, now=NOW).booking
    for statement in (
        "UPDATE audit_events SET action = 'forged'",
        "DELETE FROM audit_events",
    ):
        with pytest.raises(DBAPIError, match="append-only"), db.transaction() as session:
            session.execute(text(statement))
    assert [e.action for e in audit_trail(db, booking.public_id)] == ["booking.created"]


class BrokenMailer(RecordingMailer):
    """An outbox writer that fails while queueing."""

    def enqueue_booking_change(self, session, **kwargs):
        super().enqueue_booking_change(session, **kwargs)
        raise RuntimeError("outbox unavailable")


def test_booking_audit_and_mail_commit_or_fail_together(db, site):
    bookings = make_bookings(db, mailer=BrokenMailer())
    with pytest.raises(RuntimeError):
        bookings.create(site.id, booking_request(at(MONDAY, 10)), VISITOR, now=NOW)
    assert row_counts(db) == (0, 0)
    assert outbox_subjects(db) == []
    assert bookings.mailer.wakes == 0
