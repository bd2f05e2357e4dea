"""Shared fixtures: fresh migrated databases (SQLite and PostgreSQL), apps and live servers, the
browser, the fake LLM provider, and the site and booking service most tests start from.

Plain helpers the tests call themselves are in tests/support/; each area's own fixtures are in
tests/<area>/conftest.py.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from frontdesk import create_app
from frontdesk.booking.service import Bookings
from frontdesk.db import Database
from frontdesk.db.migrate import upgrade
from tests.support.apps import HASH_PROFILE_ENV, app_config
from tests.support.bookings import make_bookings
from tests.support.calendar_feeds import FeedServer
from tests.support.factories import make_site
from tests.support.fake_llm import FakeLLM
from tests.support.pg_databases import (
    PG_ADMIN_URL,
    TemplateCopies,
    drop_now,
    pg_admin_or_none,
    pg_url,
)
from tests.support.radicale import Radicale
from tests.support.servers import LiveServer

# argon2's cheapest parameters for the suite's thousand accounts and sign-ins: the same argon2id
# code hashes, verifies and upgrades, in microseconds instead of a third of a second each.
# Apps read it as PASSWORD_HASH_PROFILE, and commands and servers the tests start inherit it;
# tests/staff/test_password_hashing.py checks the default.
os.environ.setdefault(HASH_PROFILE_ENV, "CHEAPEST")

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@pytest.fixture(scope="session")
def pg_admin() -> Iterator[Database]:
    """An autocommit connection to the PostgreSQL server, or a skip (a failure in CI)."""
    admin = pg_admin_or_none()
    if admin is None:
        message = f"PostgreSQL not reachable at {PG_ADMIN_URL}: PostgreSQL tests skipped"
        if IN_CI:
            pytest.fail(message + " (CI requires PostgreSQL)")
        pytest.skip(message)
    yield admin
    admin.dispose()


@pytest.fixture(scope="session")
def pg_template(pg_admin: Database) -> Iterator[str]:
    """A migrated template database; each test copies it (fast) instead of migrating."""
    name = f"fd_tpl_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with pg_admin.engine.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    template = Database(pg_url(name))
    upgrade(template)
    template.dispose()
    yield name
    drop_now(pg_admin, name)


@pytest.fixture(scope="session")
def pg_copies(pg_admin: Database, pg_template: str) -> Iterator[TemplateCopies]:
    """Copies of the template made ahead and dropped behind the tests (see TemplateCopies)."""
    copies = TemplateCopies(pg_admin, pg_template)
    yield copies
    copies.close()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file that each test copies."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.sqlite3"
    template = Database(f"sqlite:///{path}")
    upgrade(template)
    with template.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    template.dispose()
    return path


def _fresh_database_url(request: pytest.FixtureRequest, backend: str, folder: Path) -> str:
    """A fresh, migrated database of the given backend for one test; dropped afterwards."""
    if backend == "sqlite":
        path = folder / "frontdesk.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    copies: TemplateCopies = request.getfixturevalue("pg_copies")
    name = copies.take()
    request.addfinalizer(lambda: copies.give_back(name))
    return pg_url(name)


@pytest.fixture
def new_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[..., str]:
    """Factory: new_database_url(backend, folder=tmp_path) -> URL of another fresh migrated
    database ("sqlite" or "postgresql"), dropped after the test."""

    def new(backend: str, folder: Path | None = None) -> str:
        return _fresh_database_url(request, backend, folder or tmp_path)

    return new


@pytest.fixture(params=["sqlite", "postgresql"])
def db_backend(request: pytest.FixtureRequest) -> str:
    """Runs the test once on SQLite and once on PostgreSQL."""
    return request.param


@pytest.fixture
def database_url(request: pytest.FixtureRequest, db_backend: str, tmp_path: Path) -> str:
    """URL of a fresh migrated database on the parametrized backend."""
    return _fresh_database_url(request, db_backend, tmp_path)


@pytest.fixture
def sqlite_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """URL of a fresh migrated SQLite database (for tests that need only one backend)."""
    return _fresh_database_url(request, "sqlite", tmp_path)


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    """A Database on a fresh migrated database (both backends)."""
    database = Database(database_url)
    yield database
    database.dispose()


@pytest.fixture
def app(request: pytest.FixtureRequest, database_url: str, tmp_path: Path):
    """An app on a fresh database (both backends); @pytest.mark.app_config(**settings) adds
    settings to tests.support.apps.app_config."""
    marker = request.node.get_closest_marker("app_config")
    application = create_app(
        app_config(database_url, tmp_path, **(marker.kwargs if marker else {}))
    )
    yield application
    application.extensions["frontdesk.db"].dispose()


@pytest.fixture
def client(app):
    """A Flask test client."""
    return app.test_client()


@pytest.fixture
def live_server(app) -> Iterator[LiveServer]:
    """The `app` fixture served on a real socket."""
    server = LiveServer(app).start()
    yield server
    server.stop()


@pytest.fixture
def site(request: pytest.FixtureRequest, db: Database):
    """A site on the test's database (tests.support.factories.make_site: Sydney, weekdays,
    "consult" and "workshop"); @pytest.mark.site(**fields) passes other fields."""
    marker = request.node.get_closest_marker("site")
    return make_site(db, **(marker.kwargs if marker else {}))


@pytest.fixture
def bookings(db: Database) -> Bookings:
    """The real booking service on the test's database, without a mailer."""
    return make_bookings(db)


@pytest.fixture
def app_bookings(app) -> Bookings:
    """The `app` fixture's own booking service (with the app's mailer, if it has one)."""
    return app.extensions["frontdesk.bookings"]


@pytest.fixture
def radicale(tmp_path):
    """A running Radicale with user mia (tests/support/radicale.py), stopped afterwards."""
    if importlib.util.find_spec("radicale") is None:
        message = "radicale is not installed (pip install -e '.[test]'): CalDAV tests skipped"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    server = Radicale(tmp_path).start()
    yield server
    server.stop()


@pytest.fixture
def feeds():
    """A local HTTP server serving whatever ICS feeds the test sets."""
    server = FeedServer()
    yield server
    server.stop()


@pytest.fixture
def fake_llm() -> Iterator[FakeLLM]:
    """A running fake OpenAI-compatible provider (tests.support.fake_llm) for one test."""
    with FakeLLM() as fake:
        yield fake


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    """One headless Debian Chromium per test process (Playwright's sync API allows only one)."""
    executable = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    if not executable:
        pytest.skip("Debian's chromium is not installed (make chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
