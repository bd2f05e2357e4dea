"""Test data builders (plain functions writing real rows): sites and knowledge documents."""

from __future__ import annotations

import secrets
from datetime import time

from frontdesk.booking.hosts import add_site_host
from frontdesk.db import Database
from frontdesk.db.models import Chunk, Document, OpeningHours, Service, Site

WEEKDAYS = range(0, 5)


def make_site(
    db: Database,
    *,
    timezone: str = "Australia/Sydney",
    hours: tuple[tuple[time, time], ...] = ((time(9), time(12)), (time(13), time(17))),
    weekdays=WEEKDAYS,
    origins: tuple[str, ...] = ("http://127.0.0.1", "http://localhost"),
    **fields,
) -> Site:
    """A site open on weekdays with two services ("consult" 30 min, "workshop" 90 min)."""
    with db.transaction() as session:
        site = Site(
            public_key=fields.pop("public_key", "pk_" + secrets.token_hex(8)),
            name=fields.pop("name", "Test Studio"),
            timezone=timezone,
            allowed_origins=list(origins),
            calendar_secret=secrets.token_urlsafe(24),
            notification_email=fields.pop("notification_email", "owner@studio.test"),
            min_notice_min=fields.pop("min_notice_min", 0),
            **fields,
        )
        session.add(site)
        session.flush()
        add_site_host(session, site)
        session.add_all(
            [
                Service(site_id=site.id, slug="consult", name="Consultation", duration_min=30),
                Service(site_id=site.id, slug="workshop", name="Workshop", duration_min=90),
            ]
        )
        for weekday in weekdays:
            for start, end in hours:
                session.add(
                    OpeningHours(site_id=site.id, weekday=weekday, start_time=start, end_time=end)
                )
    return site


def add_knowledge(db: Database, site, title: str, url: str, text: str, heading: str = "") -> None:
    """A document with one chunk (the database triggers index it for search)."""
    with db.transaction() as session:
        document = Document(
            site_id=site.id, source=url, title=title, url=url, content_hash=secrets.token_hex(8)
        )
        session.add(document)
        session.flush()
        session.add(
            Chunk(document_id=document.id, site_id=site.id, position=0, heading=heading, text=text)
        )
