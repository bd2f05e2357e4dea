"""The migrations build exactly the schema the models describe (both backends)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from frontdesk.db import Database
from frontdesk.db.migrate import downgrade, upgrade
from frontdesk.db.models import Base, Booking, BookingHost, Host, Service, ServiceHost, SiteHost

# Full-text search lives beside the models: SQLite's FTS5 tables, PostgreSQL's tsvector column.
SEARCH_TABLES = ("chunks_fts",)


def _ours(obj, name, type_, reflected, compare_to) -> bool:
    if type_ == "table" and name and name.startswith(SEARCH_TABLES):
        return False
    return name not in ("search_vector", "ix_chunks_search_vector")


def test_migrated_schema_matches_the_models(db):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": _ours})
        assert compare_metadata(context, Base.metadata) == []


def test_upgrading_a_populated_0001_database_keeps_its_rows(tmp_path):
    """0002 adds a column to `sites`, which everything references with ON DELETE CASCADE: on
    SQLite a table rebuild would delete every service and hour. The rows must survive."""
    from frontdesk.db import Database
    from frontdesk.db.migrate import upgrade

    db = Database(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    upgrade(db, "0001")
    with db.engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO sites (id, public_key, name, timezone, allowed_origins, profile, "
            "greeting, appearance, llm_settings, moderation, calendar_secret, buffer_before_min, "
            "buffer_after_min, min_notice_min, max_days_ahead, slot_step_min, created_at) VALUES "
            "(1, 'pk', 'Studio', 'UTC', '[]', '', 'Hi', '{}', '{}', '{}', 'secret', 0, 0, 0, 60, "
            "30, '2026-01-01 00:00:00')"
        )
        conn.exec_driver_sql(
            "INSERT INTO services (site_id, slug, name, description, duration_min, price_text, "
            "active, position) VALUES (1, 'consult', 'Consultation', '', 30, '', 1, 0)"
        )
    upgrade(db)
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT settings_version FROM sites").all() == [(1,)]
        assert conn.exec_driver_sql("SELECT slug FROM services").all() == [("consult",)]
    db.dispose()


@pytest.fixture
def empty_database(request, db_backend, tmp_path):
    """An empty database of the parametrized backend (nothing migrated yet)."""
    if db_backend == "sqlite":
        database = Database(f"sqlite:///{tmp_path / 'old.sqlite3'}")
        yield database
        database.dispose()
        return
    admin = request.getfixturevalue("pg_admin")
    name = f"fd_mig_{uuid.uuid4().hex[:12]}"
    with admin.engine.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    database = Database(admin.url.rsplit("/", 1)[0] + "/" + name)
    yield database
    database.dispose()
    with admin.engine.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _populate_0008(db) -> None:
    """Two sites of the release before hosts, with services and bookings (one cancelled)."""
    with db.engine.begin() as conn:
        for site_id, name, email in ((1, "Studio", "owner@studio.test"), (2, "Clinic", None)):
            conn.execute(
                text(
                    "INSERT INTO sites (id, public_key, name, timezone, allowed_origins, profile, "
                    "greeting, notification_email, appearance, llm_settings, moderation, "
                    "calendar_secret, buffer_before_min, buffer_after_min, min_notice_min, "
                    "max_days_ahead, slot_step_min, created_at, settings_version) VALUES "
                    "(:id, :key, :name, 'Europe/Paris', '[]', '', 'Hi', :email, '{}', '{}', "
                    "'{}', :secret, 0, 0, 0, 60, 30, :now, 1)"
                ),
                {
                    "id": site_id,
                    "key": f"pk{site_id}",
                    "name": name,
                    "email": email,
                    "secret": f"secret{site_id}",
                    "now": datetime(2026, 1, 1, tzinfo=UTC),
                },
            )
            for service_id, slug in ((site_id * 10, "consult"), (site_id * 10 + 1, "audit")):
                conn.execute(
                    text(
                        "INSERT INTO services (id, site_id, slug, name, description, duration_min,"
                        " price_text, active, position) VALUES (:id, :site, :slug, :slug, '', 60,"
                        " '', true, 0)"
                    ),
                    {"id": service_id, "site": site_id, "slug": slug},
                )
        rows = [  # the same hour on both sites: one resource per site then
            (1, 1, 10, 9, "confirmed"),
            (2, 1, 11, 11, "cancelled"),
            (3, 2, 20, 9, "confirmed"),
        ]
        for booking_id, site_id, service_id, hour, status in rows:
            start = datetime(2026, 12, 1, hour, tzinfo=UTC)
            conn.execute(
                text(
                    'INSERT INTO bookings (id, public_id, site_id, service_id, start, "end", '
                    "block_start, block_end, visitor_name, email, phone, notes, visitor_tz, "
                    "status, cancel_reason, manage_token_hash, token_version, ics_sequence, "
                    "created_at, updated_at) VALUES (:id, :pid, :site, :service, :start, :end, "
                    ":start, :end, 'Ada', 'ada@example.test', '', '', 'UTC', :status, '', :hash, "
                    "1, 0, :start, :start)"
                ),
                {
                    "id": booking_id,
                    "pid": f"bk{booking_id}",
                    "site": site_id,
                    "service": service_id,
                    "start": _naive(db, start),
                    "end": _naive(db, start + timedelta(hours=1)),
                    "status": status,
                    "hash": f"h{booking_id}",
                },
            )


def _naive(db, moment: datetime):
    """What the UTC column stores: naive UTC text on SQLite, timestamptz on PostgreSQL."""
    return moment.replace(tzinfo=None) if db.is_sqlite else moment


def test_upgrading_a_populated_0008_database_gives_every_site_its_host(empty_database):
    """Issue 16's migration on a database of the previous release: each site gets one host who
    offers every service and attends every booking; the guard moves from sites to hosts."""
    db = empty_database
    upgrade(db, "0008")
    _populate_0008(db)
    upgrade(db)
    with db.session() as session:
        hosts = {h.name: h for h in session.scalars(select(Host))}
        assert sorted(hosts) == ["Clinic", "Studio"]
        assert hosts["Studio"].email == "owner@studio.test" and hosts["Clinic"].email == ""
        assert hosts["Studio"].timezone == "Europe/Paris" and hosts["Studio"].active
        links = session.execute(select(SiteHost.site_id, SiteHost.host_id)).all()
        assert sorted(links) == [(1, hosts["Studio"].id), (2, hosts["Clinic"].id)]
        offered = session.execute(select(ServiceHost.service_id, ServiceHost.host_id)).all()
        assert sorted(offered) == [
            (10, hosts["Studio"].id),
            (11, hosts["Studio"].id),
            (20, hosts["Clinic"].id),
            (21, hosts["Clinic"].id),
        ]
        attending = {
            b.public_id: [(r.host_id, r.status, r.block_start) for r in b.hosts]
            for b in session.scalars(select(Booking))
        }
        nine = datetime(2026, 12, 1, 9, tzinfo=UTC)
        assert attending == {
            "bk1": [(hosts["Studio"].id, "confirmed", nine)],
            "bk2": [(hosts["Studio"].id, "cancelled", nine + timedelta(hours=2))],
            "bk3": [(hosts["Clinic"].id, "confirmed", nine)],
        }
        assert {s.assignment for s in session.scalars(select(Service))} == {"round_robin"}
    # The database now refuses the Studio's host twice at 09:30, and takes 09:00 on a new host.
    with pytest.raises(IntegrityError, match="no_overlap"), db.transaction() as session:
        session.add(
            BookingHost(
                booking_id=3,
                host_id=hosts["Studio"].id,
                status="confirmed",
                block_start=nine + timedelta(minutes=30),
                block_end=nine + timedelta(hours=1),
            )
        )
    downgrade(db, "0008")
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM bookings").scalar() == 3
    upgrade(db)
    with db.session() as session:
        assert len(session.scalars(select(BookingHost)).all()) == 3


def test_upgrading_to_roles_keeps_what_every_account_could_do(empty_database):
    """Before 0016 every membership was "staff" and could do everything: each site's earliest
    account becomes its owner, the others admins (nobody loses a page), and downgrade undoes it."""
    db = empty_database
    upgrade(db, "0015")
    _populate_0008(db)
    with db.engine.begin() as conn:
        for staff_id, email in ((1, "a@studio.test"), (2, "b@studio.test"), (3, "c@studio.test")):
            conn.execute(
                text(
                    "INSERT INTO staff_users (id, email, name, password_hash, created_at) "
                    "VALUES (:id, :email, '', 'x', :now)"
                ),
                {"id": staff_id, "email": email, "now": _naive(db, datetime(2026, 1, 1))},
            )
        for membership_id, staff_id, site_id in ((1, 2, 1), (2, 1, 1), (3, 3, 2), (4, 1, 2)):
            conn.execute(
                text(
                    "INSERT INTO site_memberships (id, staff_id, site_id, role) "
                    "VALUES (:id, :staff, :site, 'staff')"
                ),
                {"id": membership_id, "staff": staff_id, "site": site_id},
            )
    upgrade(db, "0016")
    query = "SELECT id, role FROM site_memberships ORDER BY id"
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql(query).all() == [
            (1, "owner"), (2, "admin"), (3, "owner"), (4, "admin"),
        ]  # fmt: skip
    downgrade(db, "0015")
    with db.engine.connect() as conn:
        assert {role for _id, role in conn.exec_driver_sql(query).all()} == {"staff"}
