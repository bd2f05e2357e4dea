"""hosts: the people who take consultations, who serves which service, who attends each booking

Every existing site gets one host (named after the site, working the site's opening hours),
every service is offered by it, and every booking is assigned to it. The rule "never two
bookings at once" moves from the site to the person: PostgreSQL's exclusion constraint and
SQLite's triggers now guard booking_hosts, so a host shared by two sites is never booked twice.

Revision ID: 0013
Revises: 0008
Create Date: 2026-12-07 03:30:00.000000
"""

import secrets
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from frontdesk.db.types import UTCDateTime

revision = "0013"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    _create_tables()
    op.add_column(
        "services",
        sa.Column("assignment", sa.String(16), server_default="round_robin", nullable=False),
    )
    _one_host_per_site()
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in POSTGRES_UP if postgres else SQLITE_UP:
        op.execute(statement)


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in POSTGRES_DOWN if postgres else SQLITE_DOWN:
        op.execute(statement)
    op.drop_column("services", "assignment")
    for table in ("booking_hosts", "service_hosts", "site_hosts", "host_time_off"):
        op.drop_table(table)
    op.drop_table("host_date_overrides")
    op.drop_table("host_hours")
    op.drop_table("hosts")


def _host_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["host_id"], ["hosts.id"], name=op.f(f"fk_{table}_host_id_hosts"), ondelete="CASCADE"
    )


def _create_tables() -> None:
    op.create_table(
        "hosts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("feed_secret", sa.String(64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff_users.id"],
            name=op.f("fk_hosts_staff_id_staff_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hosts")),
        sa.UniqueConstraint("public_id", name=op.f("uq_hosts_public_id")),
        sa.UniqueConstraint("staff_id", name=op.f("uq_hosts_staff_id")),
        sa.UniqueConstraint("feed_secret", name=op.f("uq_hosts_feed_secret")),
    )
    op.create_table(
        "host_hours",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("host_id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("start_time", sa.Time(), nullable=False),
        sa.Column("end_time", sa.Time(), nullable=False),
        _host_fk("host_hours"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_host_hours")),
    )
    op.create_table(
        "host_date_overrides",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("host_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("start_time", sa.Time(), nullable=True),
        sa.Column("end_time", sa.Time(), nullable=True),
        sa.Column("note", sa.String(200), nullable=False),
        _host_fk("host_date_overrides"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_host_date_overrides")),
    )
    op.create_table(
        "host_time_off",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("host_id", sa.Integer(), nullable=False),
        sa.Column("start", UTCDateTime(), nullable=False),
        sa.Column("end", UTCDateTime(), nullable=False),
        sa.Column("note", sa.String(200), nullable=False),
        _host_fk("host_time_off"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_host_time_off")),
    )
    op.create_table(
        "site_hosts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("host_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        _host_fk("site_hosts"),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_site_hosts_site_id_sites"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site_hosts")),
        sa.UniqueConstraint("site_id", "host_id", name=op.f("uq_site_hosts_site_id_host_id")),
    )
    op.create_table(
        "service_hosts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("host_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        _host_fk("service_hosts"),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
            name=op.f("fk_service_hosts_service_id_services"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_hosts")),
        sa.UniqueConstraint(
            "service_id", "host_id", name=op.f("uq_service_hosts_service_id_host_id")
        ),
    )
    op.create_table(
        "booking_hosts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("host_id", sa.Integer(), nullable=False),
        sa.Column("block_start", UTCDateTime(), nullable=False),
        sa.Column("block_end", UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["bookings.id"],
            name=op.f("fk_booking_hosts_booking_id_bookings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["host_id"],
            ["hosts.id"],
            name=op.f("fk_booking_hosts_host_id_hosts"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booking_hosts")),
        sa.UniqueConstraint(
            "booking_id", "host_id", name=op.f("uq_booking_hosts_booking_id_host_id")
        ),
    )
    for table in ("host_hours", "host_date_overrides", "host_time_off", "site_hosts"):
        op.create_index(op.f(f"ix_{table}_host_id"), table, ["host_id"])
    op.create_index(op.f("ix_site_hosts_site_id"), "site_hosts", ["site_id"])
    op.create_index(op.f("ix_service_hosts_host_id"), "service_hosts", ["host_id"])
    op.create_index(op.f("ix_service_hosts_service_id"), "service_hosts", ["service_id"])
    op.create_index(op.f("ix_booking_hosts_booking_id"), "booking_hosts", ["booking_id"])
    op.create_index(
        "ix_booking_hosts_host_block", "booking_hosts", ["host_id", "status", "block_start"]
    )


def _one_host_per_site() -> None:
    """Each site's one host: its name, notification address and zone; it serves every service
    and attends every booking (no hours of its own: it works the site's opening hours)."""
    bind = op.get_bind()
    now = datetime.now(UTC)
    hosts = sa.table(
        "hosts",
        sa.column("public_id"),
        sa.column("name"),
        sa.column("email"),
        sa.column("timezone"),
        sa.column("feed_secret"),
        sa.column("active"),
        sa.column("created_at", UTCDateTime()),
    )
    sites = bind.execute(
        sa.text("SELECT id, name, timezone, notification_email FROM sites ORDER BY id")
    ).all()
    for site_id, name, timezone, email in sites:
        host_id = bind.execute(
            hosts.insert().returning(sa.column("id")),
            {
                "public_id": "hs_" + secrets.token_hex(8),
                "name": name,
                "email": email or "",
                "timezone": timezone,
                "feed_secret": secrets.token_urlsafe(24),
                "active": True,
                "created_at": now,
            },
        ).scalar_one()
        values = {"site": site_id, "host": host_id}
        bind.execute(
            sa.text("INSERT INTO site_hosts (site_id, host_id, position) VALUES (:site, :host, 0)"),
            values,
        )
        bind.execute(
            sa.text(
                "INSERT INTO service_hosts (service_id, host_id, position) "
                "SELECT id, :host, 0 FROM services WHERE site_id = :site"
            ),
            values,
        )
        bind.execute(
            sa.text(
                "INSERT INTO booking_hosts (booking_id, host_id, block_start, block_end, status) "
                "SELECT id, :host, block_start, block_end, status FROM bookings "
                "WHERE site_id = :site"
            ),
            values,
        )


# A person is never booked twice at once: the exclusion constraint / triggers over the hosts
# attending each confirmed booking replace the former per-site rule on bookings (a site with
# three hosts takes three bookings at 10:00). The booking code checks first; these fire only
# if that check has a bug, a race slipped past it, or a writer bypasses it.
POSTGRES_UP = [
    "ALTER TABLE bookings DROP CONSTRAINT bookings_no_overlap",
    """ALTER TABLE booking_hosts ADD CONSTRAINT booking_hosts_no_overlap EXCLUDE USING gist (
        host_id WITH =, tstzrange(block_start, block_end, '[)') WITH &&
    ) WHERE (status = 'confirmed')""",
]
POSTGRES_DOWN = [
    "ALTER TABLE booking_hosts DROP CONSTRAINT booking_hosts_no_overlap",
    """ALTER TABLE bookings ADD CONSTRAINT bookings_no_overlap EXCLUDE USING gist (
        site_id WITH =, tstzrange(block_start, block_end, '[)') WITH &&
    ) WHERE (status = 'confirmed')""",
]

SQLITE_HOST_OVERLAP = """EXISTS (SELECT 1 FROM booking_hosts AS other
    WHERE other.host_id = NEW.host_id AND other.status = 'confirmed' AND other.id IS NOT NEW.id
      AND other.block_start < NEW.block_end AND other.block_end > NEW.block_start)"""
SQLITE_SITE_OVERLAP = """EXISTS (SELECT 1 FROM bookings AS other
    WHERE other.site_id = NEW.site_id AND other.status = 'confirmed' AND other.id IS NOT NEW.id
      AND other.block_start < NEW.block_end AND other.block_end > NEW.block_start)"""

SQLITE_UP = [
    "DROP TRIGGER bookings_no_overlap_insert",
    "DROP TRIGGER bookings_no_overlap_update",
    f"""CREATE TRIGGER booking_hosts_no_overlap_insert BEFORE INSERT ON booking_hosts
    WHEN NEW.status = 'confirmed' AND {SQLITE_HOST_OVERLAP}
    BEGIN SELECT RAISE(ABORT, 'booking_hosts_no_overlap'); END""",
    f"""CREATE TRIGGER booking_hosts_no_overlap_update BEFORE UPDATE ON booking_hosts
    WHEN NEW.status = 'confirmed' AND {SQLITE_HOST_OVERLAP}
    BEGIN SELECT RAISE(ABORT, 'booking_hosts_no_overlap'); END""",
]
SQLITE_DOWN = [
    "DROP TRIGGER booking_hosts_no_overlap_insert",
    "DROP TRIGGER booking_hosts_no_overlap_update",
    f"""CREATE TRIGGER bookings_no_overlap_insert BEFORE INSERT ON bookings
    WHEN NEW.status = 'confirmed' AND {SQLITE_SITE_OVERLAP}
    BEGIN SELECT RAISE(ABORT, 'bookings_no_overlap'); END""",
    f"""CREATE TRIGGER bookings_no_overlap_update BEFORE UPDATE ON bookings
    WHEN NEW.status = 'confirmed' AND {SQLITE_SITE_OVERLAP}
    BEGIN SELECT RAISE(ABORT, 'bookings_no_overlap'); END""",
]
