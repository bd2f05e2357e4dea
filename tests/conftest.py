"""Shared fixtures: fresh migrated databases (SQLite and PostgreSQL), apps and live servers."""

from __future__ import annotations

import os
import shutil
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from frontdesk import create_app
from frontdesk.db import Database
from frontdesk.db.migrate import upgrade

PG_ADMIN_URL = os.environ.get(
    "FRONTDESK_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
pytest_plugins = ["tests.fake_llm"]

TEST_SECRET = "test-secret-key-not-for-production"


def _pg_admin() -> Database | None:
    admin = Database(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    if admin.ping():
        return admin
    admin.dispose()
    return None


def _pg_url(name: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(scope="session")
def pg_admin() -> Iterator[Database]:
    """An autocommit connection to the PostgreSQL server, or a skip (a failure in CI)."""
    admin = _pg_admin()
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
    template = Database(_pg_url(name))
    upgrade(template)
    template.dispose()
    yield name
    with pg_admin.engine.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


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


def make_database_url(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> str:
    """A fresh, migrated database of the given backend for one test; dropped afterwards."""
    if backend == "sqlite":
        path = tmp_path / "frontdesk.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    admin: Database = request.getfixturevalue("pg_admin")
    template = request.getfixturevalue("pg_template")
    name = f"fd_test_{uuid.uuid4().hex[:12]}"
    with admin.engine.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')

    def drop() -> None:
        with admin.engine.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    request.addfinalizer(drop)
    return _pg_url(name)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_backend(request: pytest.FixtureRequest) -> str:
    """Runs the test once on SQLite and once on PostgreSQL."""
    return request.param


@pytest.fixture
def database_url(request: pytest.FixtureRequest, db_backend: str, tmp_path: Path) -> str:
    """URL of a fresh migrated database on the parametrized backend."""
    return make_database_url(request, db_backend, tmp_path)


@pytest.fixture
def sqlite_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """URL of a fresh migrated SQLite database (for tests that need only one backend)."""
    return make_database_url(request, "sqlite", tmp_path)


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    """A Database on a fresh migrated database (both backends)."""
    database = Database(database_url)
    yield database
    database.dispose()


def app_config(database_url: str, tmp_path: Path, **extra) -> dict:
    """Test configuration: a fixed secret, no mail worker unless asked, no LLM provider."""
    config = {
        "DATABASE_URL": database_url,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SECRET_KEY": TEST_SECRET,
        "PUBLIC_URL": "http://frontdesk.test",
        "MAIL_WORKER": False,
        "ENGINE": "offline",
        "OPENAI_API_KEY": None,
        "OPENAI_BASE_URL": None,
        "WTF_CSRF_ENABLED": True,
        "TESTING": True,
    }
    config.update(extra)
    return config


@pytest.fixture
def app(database_url: str, tmp_path: Path):
    """An app on a fresh database (both backends)."""
    application = create_app(app_config(database_url, tmp_path))
    yield application
    application.extensions["frontdesk.db"].dispose()


@pytest.fixture
def client(app):
    """A Flask test client."""
    return app.test_client()


class LiveServer:
    """A real HTTP server for an app, on a free loopback port, in a thread."""

    def __init__(self, app) -> None:
        self.app = app
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.port = self._server.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> LiveServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)


@pytest.fixture
def live_server(app) -> Iterator[LiveServer]:
    """The `app` fixture served on a real socket."""
    server = LiveServer(app).start()
    yield server
    server.stop()


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
