"""Acked work, done exactly once across crashes: visitor messages to answer, confirms to run.

The entry that carries the work (a visitor message, the visitor's `confirm` tool call) is
stored with `work_pending` set, in the transaction the ack follows; the answer (the turn's last
message, the confirm's result) clears it in its own transaction. So after a crash (kill -9
included) the database says exactly what was acked and never finished. That work is resumed
at start-up (`start_recovery`, serving processes only), when its conversation reconnects
(`resume_conversation`, from hello) and when the client re-sends the acked frame. Within a
process, the work in flight (queued or running) is claimed by its entry id, so a resume never
runs it twice beside the first run. With several processes (REDIS_URL) another process may
have the same work queued or running: every job then runs under its conversation's turn lease
(chat.runner) and first reads whether its entry is still pending, so whichever process gets
the lease first does the work and the others find it done.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable

from flask import Flask

from frontdesk.chat import transcript, turns
from frontdesk.chat.runner import runner_for
from frontdesk.db import raw
from frontdesk.db.raw import SQL

log = logging.getLogger(__name__)

EXTENSION_KEY = "frontdesk.work_in_flight"
_claims_lock = threading.Lock()


class InFlight:
    """Entry ids whose work is queued or running in this process."""

    def __init__(self) -> None:
        self._ids: set[int] = set()
        self._lock = threading.Lock()

    def claim(self, message_id: int) -> bool:
        """Take the work of an entry; False when this process already has it."""
        with self._lock:
            if message_id in self._ids:
                return False
            self._ids.add(message_id)
            return True

    def release(self, message_id: int) -> None:
        """The work is over (done, or failed and left pending for a later resume)."""
        with self._lock:
            self._ids.discard(message_id)


def in_flight(app: Flask) -> InFlight:
    """The app's claims (one set per app: message ids are per database)."""
    claims = app.extensions.get(EXTENSION_KEY)  # made once: the lock is for the first time
    if claims is not None:
        return claims
    with _claims_lock:
        claims = app.extensions.get(EXTENSION_KEY)
        if claims is None:
            claims = app.extensions[EXTENSION_KEY] = InFlight()
        return claims


def submit(app: Flask, entry: transcript.Entry, *, text: str | None = None, ip: str = "") -> bool:
    """Queue the work an entry carries (claimed first); False when it is already in flight.

    `text`: the visitor's message as written (the stored copy may be redacted); `ip`: the
    visitor's address (unknown when resumed after a crash).
    """
    claims = in_flight(app)
    if not claims.claim(entry.id):
        return False
    shared = bool(app.config.get("REDIS_URL"))
    job, checks_itself = _job(app, entry, text, ip, only_if_pending=shared)
    if job is None:
        claims.release(entry.id)
        return False
    db = app.extensions["frontdesk.db"]

    def run() -> None:  # runs under the conversation's turn lease (several processes)
        try:
            if shared and not checks_itself and not is_pending(db, entry.id):
                return  # another process did it while this job waited for the lease
            job()
        finally:  # after the work's own commit: a resume that claims next sees it done
            claims.release(entry.id)

    runner_for(app).submit(entry.conversation_id, run)
    return True


def resume(app: Flask, entries: Iterable[transcript.Entry]) -> int:
    """Queue the work of entries that is still pending and not in flight here; how many.

    With several processes the work may also be queued in another one: the job's own check
    under the turn lease (see submit) keeps it from being done twice.
    """
    db = app.extensions["frontdesk.db"]
    resumed = 0
    for entry in entries:
        claims = in_flight(app)
        if not claims.claim(entry.id):
            continue
        # Read again once claimed: a run that just ended has committed its answer by now.
        still = is_pending(db, entry.id)
        claims.release(entry.id)
        if still and submit(app, entry):
            resumed += 1
    return resumed


def resume_conversation(app: Flask, conversation_id: int) -> int:
    """Resume what a conversation's crash left unfinished (its socket said hello)."""
    return resume(app, pending(app.extensions["frontdesk.db"], conversation_id))


def recover(app: Flask) -> int:
    """Resume every conversation's unfinished work (a serving process starting)."""
    resumed = resume(app, pending(app.extensions["frontdesk.db"]))
    if resumed:
        log.warning("resumed %d acked messages or actions left unfinished by a crash", resumed)
    return resumed


def start_recovery(app: Flask) -> threading.Thread:
    """Run recover() on a background thread (start-up does not wait for it)."""
    thread = threading.Thread(target=_recover_logged, args=(app,), name="frontdesk-recovery",
                              daemon=True)  # fmt: skip
    thread.start()
    return thread


def _recover_logged(app: Flask) -> None:
    try:
        recover(app)
    except Exception:
        log.exception("recovering unfinished work failed")


def _job(app: Flask, entry: transcript.Entry, text: str | None, ip: str, *,
         only_if_pending: bool):  # fmt: skip
    """The entry's work as a callable, and whether it reads the pending mark itself."""
    if entry.role == "visitor":  # a turn reads the mark with its other reads: one round trip
        job = turns.Job(app, entry.conversation_id, entry.seq, text or entry.text, entry.id,
                        entry.payload.get("decline"), ip=ip,
                        only_if_pending=only_if_pending)  # fmt: skip
        return (lambda: turns.answer(job)), True
    arguments = entry.payload.get("arguments") or {}
    if entry.role == "tool_call" and entry.payload.get("name") == "confirm":
        proposal, action_id = arguments.get("proposal"), entry.client_id
        run = lambda: turns.confirm(app, entry.conversation_id, proposal, action_id, entry.id)  # noqa: E731
        return run, False
    log.error("entry %s (%s) carries no work this server knows", entry.id, entry.role)
    return None, False


_PENDING_ALL = SQL(
    f"SELECT {transcript.ENTRY_COLUMNS} FROM messages WHERE work_pending "
    "ORDER BY conversation_id, seq"
)
_PENDING_OF = SQL(
    f"SELECT {transcript.ENTRY_COLUMNS} FROM messages WHERE work_pending "
    "AND conversation_id = :conversation_id ORDER BY seq"
)


def pending(db, conversation_id: int | None = None) -> list[transcript.Entry]:
    """Entries whose acked work is unfinished (of one conversation, or all), in order."""
    with raw.reading(db) as cursor:
        if conversation_id is None:
            rows = cursor.all(_PENDING_ALL, {})
        else:
            rows = cursor.all(_PENDING_OF, {"conversation_id": conversation_id})
    return [transcript.Entry.of_row(row) for row in rows]


def is_pending(db, message_id: int) -> bool:
    """Whether an entry's work is still unfinished."""
    with raw.reading(db) as cursor:
        return transcript.pending_of(cursor.all(*transcript.pending_query(message_id)))
