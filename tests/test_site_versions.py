"""Site settings versions: every settings change bumps the version; chats reload on a change."""

from __future__ import annotations

from datetime import date, time, timedelta

from sqlalchemy import select

from frontdesk.audit import Actor
from frontdesk.booking.service import BookingRequest
from frontdesk.chat import site_cache
from frontdesk.db.models import Service, Site
from frontdesk.staff import settings_store
from tests.support.factories import make_site

STAFF = Actor("staff", "owner@studio.test")


def version(db, site_id: int) -> int:
    with db.session() as session:
        return session.scalar(select(Site.settings_version).where(Site.id == site_id))


def test_every_kind_of_settings_change_bumps_the_version(db):
    site = make_site(db)
    other = make_site(db)
    seen, other_before = [version(db, site.id)], version(db, other.id)

    def bumped() -> bool:
        seen.append(version(db, site.id))
        return seen[-1] > seen[-2]

    settings_store.update_site_fields(db, site.id, STAFF, "settings.profile", {"greeting": "Yo"})
    assert bumped()
    settings_store.update_json_field(
        db, site.id, STAFF, "settings.assistant", "llm_settings", {"model": "m2"}
    )
    assert bumped()
    settings_store.replace_weekly_hours(db, site.id, STAFF, {0: [(time(10), time(11))]})
    assert bumped()
    settings_store.replace_weekly_hours(db, site.id, STAFF, {})  # every row deleted
    assert bumped()
    settings_store.set_date_override(db, site.id, STAFF, date(2030, 1, 1), [], "Holiday")
    assert bumped()
    settings_store.delete_date_override(db, site.id, STAFF, date(2030, 1, 1))
    assert bumped()
    values = {"name": "Audit", "slug": "audit", "duration_min": 60, "price_text": "",
              "description": "", "active": True}  # fmt: skip
    settings_store.save_service(db, site.id, STAFF, values)
    assert bumped()
    with db.session() as session:
        audit_id = session.scalar(select(Service.id).where(Service.slug == "audit",
                                                           Service.site_id == site.id))  # fmt: skip
    settings_store.save_service(db, site.id, STAFF, {**values, "name": "Review"}, audit_id)
    assert bumped()
    settings_store.delete_service(db, site.id, STAFF, audit_id)
    assert bumped()
    assert version(db, other.id) == other_before  # only the site that changed


def test_unrelated_writes_and_no_op_edits_keep_the_version(db):
    site = make_site(db)
    before = version(db, site.id)
    settings_store.update_site_fields(
        db, site.id, STAFF, "settings.profile", {"greeting": site.greeting}
    )
    with db.transaction() as session:  # a flush that touches a site's row but changes nothing
        session.get(Site, site.id).name = site.name
    assert version(db, site.id) == before


def test_a_booking_does_not_bump_the_version(app):
    from frontdesk.extensions import get_bookings

    db = app.extensions["frontdesk.db"]
    site = make_site(db)
    before = version(db, site.id)
    with app.app_context():
        bookings = get_bookings()
        today = date.today()
        slot = bookings.free_slots(
            site.id, "consult", today + timedelta(days=3), today + timedelta(days=9)
        )[0]
        bookings.create(
            site.id,
            BookingRequest(service="consult", start=slot.start, name="Ann", email="ann@x.test"),
            Actor("visitor"),
        )
    assert version(db, site.id) == before


def test_cached_site_is_reused_until_the_version_changes(db):
    site = make_site(db)
    first = site_cache.cached_site(db, site.id, version(db, site.id))
    assert site_cache.cached_site(db, site.id, version(db, site.id)) is first
    settings_store.update_site_fields(db, site.id, STAFF, "settings.profile", {"greeting": "New"})
    fresh = site_cache.cached_site(db, site.id, version(db, site.id))
    assert fresh is not first and fresh.greeting == "New"
