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
