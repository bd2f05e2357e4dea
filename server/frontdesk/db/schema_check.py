"""Whether the database's schema is the one this release's code was written for, before serving.

A release whose migrations were not run (`frontdesk db upgrade` forgotten after an upgrade of
the package, or a new database never created) would otherwise start, answer with 500s, and
fill the log with a background worker's traceback every round; a database migrated by a newer
release (a rollback of the code) would fail the same way in places. Both are refused at start
with the command that fixes it, as Rails refuses pending migrations.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from frontdesk.db import Database

VERSIONS = Path(__file__).parent / "migrations" / "versions"


class SchemaNotCurrent(RuntimeError):
    """The database is not at the revision this release expects; the message says what to do."""


def expected_revision() -> str:
    """The newest revision shipped, read off the file names (alembic itself costs ~0.1 s to
    import; a test keeps the two in agreement)."""
    return max(path.name.split("_", 1)[0] for path in VERSIONS.glob("[0-9]*_*.py"))


def stored_revision(db: Database) -> str | None:
    """The revision recorded in the database, or None when it has no Frontdesk schema."""
    with db.engine.connect() as conn:
        if not sa.inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def schema_problem(db: Database) -> str | None:
    """A sentence for people when the schema is missing, behind or ahead; None when current."""
    expected, stored = expected_revision(), stored_revision(db)
    if stored == expected:
        return None
    if stored is None:
        return (
            "The database has no Frontdesk schema yet: run `frontdesk db upgrade` "
            "(with the same FRONTDESK_DATABASE_URL), then start the server again."
        )
    if stored < expected:
        return (
            f"The database is at revision {stored} and this release needs {expected}: "
            "back it up, run `frontdesk db upgrade`, then start the server again."
        )
    return (
        f"The database is at revision {stored}, newer than this release knows ({expected}): "
        "it was migrated by a newer Frontdesk. Run that release, or restore the backup taken "
        "before it migrated."
    )


def require_current_schema(db: Database) -> None:
    """Raise SchemaNotCurrent with the fix when the schema is not this release's."""
    problem = schema_problem(db)
    if problem is not None:
        raise SchemaNotCurrent(problem)
