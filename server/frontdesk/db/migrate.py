"""Run Alembic migrations programmatically (no alembic.ini needed in an installed package)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from frontdesk.db import Database

MIGRATIONS = Path(__file__).parent / "migrations"


@dataclass(frozen=True)
class Upgrade:
    """What an upgrade did: the revision before (None: no schema yet) and after."""

    before: str | None
    after: str | None

    def describe(self) -> str:
        """A sentence for people: whether the schema was created, upgraded, or already current."""
        if self.before is None:
            return f"Created the database schema at revision {self.after}"
        if self.before == self.after:
            return f"The database is already at the latest revision ({self.after})"
        return f"Upgraded the database from revision {self.before} to {self.after}"


def alembic_config(url: str) -> Config:
    """An Alembic config pointing at the packaged migrations."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def head_revision() -> str | None:
    """The newest revision the packaged migrations know."""
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def current_revision(db: Database) -> str | None:
    """The revision the database is at, or None when it has no schema yet."""
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(db: Database, revision: str = "head") -> Upgrade:
    """Bring the database schema up to `revision`; says which revision it was at and is at."""
    with db.engine.begin() as conn:
        before = MigrationContext.configure(conn).get_current_revision()
        cfg = alembic_config(db.url)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
        after = MigrationContext.configure(conn).get_current_revision()
    return Upgrade(before, after)


def downgrade(db: Database, revision: str) -> None:
    """Take the database schema back down to `revision`."""
    with db.engine.begin() as conn:
        cfg = alembic_config(db.url)
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)
