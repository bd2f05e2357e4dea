"""SQLite WAL checkpoints on a background thread (frontdesk.db.checkpoint), real SQLite files."""

from __future__ import annotations

import gc
import threading
import time

from frontdesk import create_app
from frontdesk.db import Database
from frontdesk.db.checkpoint import BACKSTOP_PAGES, Checkpointer, wal_frames_pending
from tests.support.apps import app_config


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


def database_path(db: Database) -> str:
    return db.engine.url.database


def test_a_server_database_checkpoints_in_the_background(sqlite_url):
    db = Database(sqlite_url, checkpoint_interval=0.05, checkpoint_pages=100)
    try:
        write_rows(db, 200)
        # the thread copied the WAL back into the database: every page it found
        assert wait_for(lambda: (db.checkpointer.last or (0, 0, 0))[1] > 0)
        busy, pages, copied = db.checkpointer.last
        assert busy == 0 and copied == pages
    finally:
        db.dispose()
    assert not db.checkpointer._thread.is_alive()


def test_a_small_wal_is_left_alone(sqlite_url):
    # Checkpointing a WAL that holds a few pages would make the next commit start the WAL over
    # and fsync its header: on a quiet site, nearly every message's commit.
    db = Database(sqlite_url, checkpoint_interval=0.01, checkpoint_pages=1000)
    try:
        write_rows(db, 50)
        waiting = wal_frames_pending(database_path(db))
        assert 0 < waiting < 1000
        assert wait_for(lambda: db.checkpointer.looks >= 10)
        assert db.checkpointer.checkpoints == 0
        assert wal_frames_pending(database_path(db)) == waiting
        write_rows(db, 2000)  # ~1000 more pages: past the threshold
        assert wait_for(lambda: wal_frames_pending(database_path(db)) < 1000)
        assert db.checkpointer.checkpoints >= 1
    finally:
        db.dispose()


def test_the_waiting_pages_are_read_from_the_wal_index(sqlite_url):
    db = Database(sqlite_url, checkpoint_interval=3600)
    try:
        write_rows(db, 100)
        waiting = wal_frames_pending(database_path(db))
        busy, pages, copied = db.checkpointer.run_once()
        assert waiting == pages > 50 and copied == pages  # the count SQLite itself reports
        assert wal_frames_pending(database_path(db)) == 0
        write_rows(db, 1)
        assert 0 < wal_frames_pending(database_path(db)) < 10  # the WAL started over
    finally:
        db.dispose()


def test_an_unreadable_wal_index_means_checkpoint_every_time(sqlite_url, tmp_path):
    db = Database(sqlite_url, checkpoint_interval=3600)
    try:
        garbage = tmp_path / "other.sqlite3"
        (tmp_path / "other.sqlite3-shm").write_bytes(b"not a wal-index" * 20)
        assert wal_frames_pending(str(garbage)) is None
        assert wal_frames_pending(str(tmp_path / "missing.sqlite3")) is None
        (tmp_path / "empty.sqlite3-shm").write_bytes(b"")  # created, not yet initialised
        assert wal_frames_pending(str(tmp_path / "empty.sqlite3")) is None
        (tmp_path / "short.sqlite3-shm").write_bytes(db_index(db)[:96])  # no nBackfill
        assert wal_frames_pending(str(tmp_path / "short.sqlite3")) is None
        torn = bytearray(db_index(db))
        torn[16] ^= 0xFF  # the first header copy mid-update: it differs from the second
        (tmp_path / "torn.sqlite3-shm").write_bytes(bytes(torn))
        assert wal_frames_pending(str(tmp_path / "torn.sqlite3")) is None
        checkpointer = Checkpointer(db, 3600, pages=1000)
        checkpointer.path = str(garbage)
        assert checkpointer.due()  # unknown: checkpoint, as before the threshold existed
        checkpointer.path = database_path(db)
        assert not checkpointer.due()
    finally:
        db.dispose()


def db_index(db: Database) -> bytes:
    write_rows(db, 1)
    with open(database_path(db) + "-shm", "rb") as shm:
        return shm.read(4096)


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


def test_postgresql_has_no_checkpoint_thread(new_database_url):
    db = Database(new_database_url("postgresql"), checkpoint_interval=0.05)
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
    config = app_config(
        sqlite_url, tmp_path, SQLITE_CHECKPOINT_SECONDS=0.5, SQLITE_CHECKPOINT_PAGES=300
    )
    app = create_app(config)
    db = app.extensions["frontdesk.db"]
    try:
        assert db.checkpointer is not None and db.checkpointer.interval == 0.5
        assert db.checkpointer.pages == 300
    finally:
        db.dispose()
    off = create_app(app_config(sqlite_url, tmp_path, SQLITE_CHECKPOINT_SECONDS=0))
    assert off.extensions["frontdesk.db"].checkpointer is None
    off.extensions["frontdesk.db"].dispose()
