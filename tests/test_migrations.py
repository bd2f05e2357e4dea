"""The migrations build exactly the schema the models describe (both backends)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from frontdesk.db.models import Base

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
