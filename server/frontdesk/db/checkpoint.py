"""SQLite WAL checkpoints on a background thread, off the path that requests wait on.

By default a committing connection checkpoints the WAL itself once the WAL passes 1000 pages,
and with synchronous=NORMAL a checkpoint fsyncs the database file: measured here, a 15-20 ms
stall every few hundred commits, charged to whichever chat message happened to commit then
(and to every writer queued behind it). A server's connections therefore raise that threshold
to a backstop (BACKSTOP_PAGES, for when this thread cannot keep up or fails) and this thread
runs a PASSIVE checkpoint, which never waits for readers or writers, instead.

It checkpoints only once the WAL holds `pages` frames not yet copied back (SQLite's own
threshold by default), looking every `interval`. A checkpoint that empties the WAL makes the
next commit start the WAL over, and that commit fsyncs the new WAL header (about 0.5 ms here):
checkpointing every interval whatever the WAL held put that fsync before the ack of nearly
every message on a quiet site. The count is read from the wal-index header in the `-shm` file
(layout: https://www.sqlite.org/walformat.html); when it cannot be read, every interval
checkpoints, as before.
"""

from __future__ import annotations

import logging
import struct
import threading
import weakref
from typing import TYPE_CHECKING

from frontdesk.db import raw

if TYPE_CHECKING:
    from frontdesk.db import Database

log = logging.getLogger(__name__)

BACKSTOP_PAGES = 10000  # about 40 MB of WAL before a commit checkpoints by itself
DEFAULT_PAGES = 1000  # SQLite's own wal_autocheckpoint
_CHECKPOINT = raw.SQL("PRAGMA wal_checkpoint(PASSIVE)")
# The wal-index starts with two copies of a 48-byte header, then the checkpoint info; numbers
# are in native byte order (walformat.html).
_HEADER_BYTES = 48
_WAL_INDEX_VERSION = 3007000  # iVersion, offset 0
_IS_INIT = 12  # isInit, one byte: 1 once the header is valid
_MX_FRAME = 16  # mxFrame: the last valid frame in the WAL
_N_BACKFILL = 96  # nBackfill: frames already copied into the database
_U32 = struct.Struct("=I")
_INDEX_BYTES = _N_BACKFILL + _U32.size  # what is read: both headers and nBackfill


def wal_frames_pending(database_path: str) -> int | None:
    """Frames in the WAL not yet checkpointed, read from the `-shm` wal-index; None if unknown.

    The header is read without SQLite's locks: a writer may be updating it, in which case its
    two copies differ and it is read again.
    """
    try:
        with open(database_path + "-shm", "rb") as shm:
            for _attempt in range(3):
                shm.seek(0)
                index = shm.read(_INDEX_BYTES)
                if len(index) < _INDEX_BYTES:
                    return None
                if index[:_HEADER_BYTES] == index[_HEADER_BYTES : 2 * _HEADER_BYTES]:
                    return _pending_in(index)
    except OSError:
        return None
    return None


def _pending_in(index: bytes) -> int | None:
    """mxFrame - nBackfill from a whole, consistent wal-index start; None if not initialised."""
    if _U32.unpack_from(index, 0)[0] != _WAL_INDEX_VERSION or index[_IS_INIT] != 1:
        return None
    frames, copied = _U32.unpack_from(index, _MX_FRAME)[0], _U32.unpack_from(index, _N_BACKFILL)[0]
    return max(0, frames - copied)


class Checkpointer:
    """Every `interval` seconds until stopped, runs `PRAGMA wal_checkpoint(PASSIVE)` if the WAL
    holds at least `pages` frames not yet copied back (or if that count cannot be read).

    The thread holds the database weakly: a Database nobody uses any more is not kept alive
    (and checkpointed forever) by its own checkpointer.
    """

    def __init__(self, db: Database, interval: float, pages: int = DEFAULT_PAGES) -> None:
        self.interval = interval
        self.pages = pages
        self.path = db.engine.url.database or ""
        self.looks = 0  # times the thread woke and looked at the WAL, for tests and diagnostics
        self.checkpoints = 0  # completed checkpoints, likewise
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

    def due(self) -> bool:
        """True when the WAL has grown enough to checkpoint (or its size is unknown)."""
        pending = wal_frames_pending(self.path)
        return pending is None or pending >= self.pages

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            if self._db() is None:
                return  # the database is gone
            self.looks += 1
            try:
                if self.due():
                    self.run_once()
            except Exception as exc:  # keep going; commits still checkpoint at the backstop
                message = f"{type(exc).__name__}: {exc}"
                if message != self._last_error:  # say it once, not every interval
                    log.warning("WAL checkpoint failed: %s", message)
                self._last_error = message
