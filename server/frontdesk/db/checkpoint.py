"""SQLite WAL checkpoints on a background thread, off the path that requests wait on.

By default a committing connection checkpoints the WAL itself once the WAL passes 1000 pages,
and with synchronous=NORMAL a checkpoint fsyncs the database file: measured here, a 15-20 ms
stall every few hundred commits, charged to whichever chat message happened to commit then
(and to every writer queued behind it). A server's connections therefore raise that threshold
to a backstop (BACKSTOP_PAGES, for when this thread cannot keep up or fails) and this thread
runs a PASSIVE checkpoint, which never waits for readers or writers, every interval instead.
"""

from __future__ import annotations

import logging
import threading
import weakref
from typing import TYPE_CHECKING

from frontdesk.db import raw

if TYPE_CHECKING:
    from frontdesk.db import Database

log = logging.getLogger(__name__)

BACKSTOP_PAGES = 10000  # about 40 MB of WAL before a commit checkpoints by itself
_CHECKPOINT = raw.SQL("PRAGMA wal_checkpoint(PASSIVE)")


class Checkpointer:
    """Runs `PRAGMA wal_checkpoint(PASSIVE)` every `interval` seconds until stopped.

    The thread holds the database weakly: a Database nobody uses any more is not kept alive
    (and checkpointed forever) by its own checkpointer.
    """

    def __init__(self, db: Database, interval: float) -> None:
        self.interval = interval
        self.checkpoints = 0  # completed runs, for tests and diagnostics
        self.last: tuple[int, int, int] | None = None  # (busy, WAL pages, pages copied)
        self._db = weakref.ref(db)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_error = ""

    def start(self) -> None:
        """Start the daemon thread (once)."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name="frontdesk-wal-checkpoint", daemon=True
            )
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the thread and wait for a checkpoint in progress."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def run_once(self) -> tuple[int, int, int] | None:
        """One PASSIVE checkpoint: (busy, WAL pages, pages checkpointed); None without a db."""
        db = self._db()
        if db is None:
            return None
        with raw.reading(db) as cursor:
            row = cursor.one(_CHECKPOINT, {})
        self.last = tuple(row) if row else (0, 0, 0)
        self.checkpoints += 1
        return self.last

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                if self.run_once() is None:
                    return  # the database is gone
            except Exception as exc:  # keep going; commits still checkpoint at the backstop
                message = f"{type(exc).__name__}: {exc}"
                if message != self._last_error:  # say it once, not every interval
                    log.warning("WAL checkpoint failed: %s", message)
                self._last_error = message
