"""SQLite WAL checkpoints on a background thread (frontdesk.db.checkpoint), real SQLite files."""

from __future__ import annotations

import gc
import threading
import time

from frontdesk import create_app
from frontdesk.db import Database
from frontdesk.db.checkpoint import BACKSTOP_PAGES
from tests.conftest import app_config, make_database_url


def autocheckpoint(db: Database) -> int:
    connection = db.write_engine.raw_connection()
    try:
        return connection.cursor().execute("PRAGMA wal_autocheckpoint").fetchone()[0]
    finally:
        connection.close()


def write_rows(db: Database, count: int) -> None:
    connection = db.write_engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute("CREATE TABLE IF NOT EXISTS filler (body TEXT)")
        for _ in range(count):
            cursor.execute("INSERT INTO filler VALUES (?)", ("x" * 2000,))
    finally:
        connection.close()


def checkpoint_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "frontdesk-wal-checkpoint"]


def wait_for(condition, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def test_a_server_database_checkpoints_in_the_background(sqlite_url):
    db = Database(sqlite_url, checkpoint_interval=0.05)
    try:
        write_rows(db, 200)
        # the thread copied the WAL back into the database: every page it found
        assert wait_for(lambda: (db.checkpointer.last or (0, 0, 0))[1] > 0)
        busy, pages, copied = db.checkpointer.last
        assert busy == 0 and copied == pages
    finally:
        db.dispose()
    assert not db.checkpointer._thread.is_alive()


def test_commits_leave_the_checkpoints_to_the_thread(sqlite_url):
    db = Database(sqlite_url, checkpoint_interval=3600)  # the thread will not run in time
    try:
        assert autocheckpoint(db) == BACKSTOP_PAGES
        write_rows(db, 3000)  # ~1500 pages: past SQLite's own 1000-page checkpoint
        busy, pages, copied = db.checkpointer.run_once()
        assert pages > 1000 and copied == pages  # nothing had been checkpointed by a commit
    finally:
        db.dispose()


def test_command_line_databases_keep_sqlites_own_checkpoints(sqlite_url):
    db = Database(sqlite_url)
    try:
        assert db.checkpointer is None
        assert autocheckpoint(db) == 1000
    finally:
        db.dispose()


def test_postgresql_has_no_checkpoint_thread(request, tmp_path):
    db = Database(make_database_url(request, "postgresql", tmp_path), checkpoint_interval=0.05)
    try:
        assert db.checkpointer is None
    finally:
        db.dispose()


def test_an_abandoned_database_does_not_keep_its_thread(sqlite_url):
    before = len(checkpoint_threads())
    db = Database(sqlite_url, checkpoint_interval=0.02)
    assert len(checkpoint_threads()) == before + 1
    del db
    gc.collect()
    assert wait_for(lambda: len(checkpoint_threads()) == before)


def test_the_app_uses_the_configured_interval(sqlite_url, tmp_path):
    app = create_app(app_config(sqlite_url, tmp_path, SQLITE_CHECKPOINT_SECONDS=0.5))
    db = app.extensions["frontdesk.db"]
    try:
        assert db.checkpointer is not None and db.checkpointer.interval == 0.5
    finally:
        db.dispose()
    off = create_app(app_config(sqlite_url, tmp_path, SQLITE_CHECKPOINT_SECONDS=0))
    assert off.extensions["frontdesk.db"].checkpointer is None
    off.extensions["frontdesk.db"].dispose()
