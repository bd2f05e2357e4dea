"""The outbox mechanism: claim a due row (exactly one worker wins it), retry with backoff, and
the background thread that runs the rounds; the e-mail and calendar write-back senders share it.

A row is written in the transaction of the change that calls for it and sent after commit. A
worker claims a due row by pushing its next attempt past a lease and counting the attempt in one
conditional UPDATE: however many threads or processes race, one UPDATE matches. A worker killed
mid-send leaves the row leased; when the lease lapses another worker retries it, so a sender's
work must be safe to repeat for that case (SMTP cannot be, hence a lease longer than any send;
a calendar write is a PUT by UID, which replaces).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update

BATCH_SIZE = 50
MAX_BACKOFF = timedelta(hours=6)
IDLE_POLL_SECONDS = 60.0


class Outbox:
    """Claim-and-retry over one outbox table: a model with `attempts`, `next_attempt_at`,
    `failed`, `last_error` and a timestamp column set when the row is done (`done`)."""

    def __init__(
        self,
        db,
        model: Any,
        *,
        done: str,
        lease: timedelta,
        retry_seconds: float = 60,
        max_attempts: int = 8,
    ) -> None:
        self.db = db
        self.model = model
        self.done_column = getattr(model, done)
        self.done_name = done
        self.lease = lease
        self.retry = timedelta(seconds=max(1.0, float(retry_seconds)))
        self.max_attempts = max(1, int(max_attempts))

    def _waiting(self, now: datetime) -> list[Any]:
        """The conditions of a row that is due: not done, not given up, its time come."""
        model = self.model
        return [self.done_column.is_(None), model.failed.is_(False), model.next_attempt_at <= now]

    def due_ids(self, now: datetime) -> list[int]:
        """Up to a batch of due rows, oldest first."""
        query = (
            select(self.model.id)
            .where(*self._waiting(now))
            .order_by(self.model.id)
            .limit(BATCH_SIZE)
        )
        with self.db.session() as session:
            return list(session.scalars(query))

    def claim(self, row_id: int, now: datetime) -> bool:
        """Lease one row by pushing its next attempt past `now`; exactly one worker wins."""
        model = self.model
        claim = (
            update(model)
            .where(model.id == row_id, *self._waiting(now))
            .values(next_attempt_at=now + self.lease, attempts=model.attempts + 1)
            .execution_options(synchronize_session=False)
        )
        with self.db.write_transaction() as session:
            return session.execute(claim).rowcount == 1

    def claimed(self, now: datetime, stopping: threading.Event | None = None) -> Iterator[int]:
        """Each due row this worker wins, claimed one at a time just before it is handed out
        (a row another worker took first is skipped); stops early when `stopping` is set."""
        for row_id in self.due_ids(now):
            if stopping is not None and stopping.is_set():
                return
            if self.claim(row_id, now):
                yield row_id

    @property
    def poll_interval(self) -> float:
        """Seconds between a worker's looks for due rows: the retry interval, at most a minute
        (a wake() starts a look at once whenever a row is queued)."""
        return min(self.retry.total_seconds(), IDLE_POLL_SECONDS)

    def backoff(self, attempts: int) -> timedelta:
        """The wait before the next attempt: doubling from the retry interval, capped."""
        return min(self.retry * (2 ** max(0, attempts - 1)), MAX_BACKOFF)

    def set(self, session, row_id: int, **values: Any) -> None:
        """Update one row's columns in `session`."""
        session.execute(
            update(self.model)
            .where(self.model.id == row_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )

    def succeeded(self, session, row_id: int, now: datetime, **values: Any) -> None:
        """Mark a row done in `session` (with any other columns the sender records)."""
        self.set(session, row_id, **{self.done_name: now, "last_error": "", **values})

    def failed(
        self, row_id: int, attempts: int, error: str, now: datetime, *, permanent: bool = False
    ) -> bool:
        """Reschedule a failed row with backoff, or give it up after max_attempts (or at once
        when `permanent`). Returns True when given up."""
        give_up = permanent or attempts >= self.max_attempts
        with self.db.transaction() as session:
            self.set(
                session,
                row_id,
                failed=give_up,
                next_attempt_at=now + self.backoff(attempts),
                last_error=error[:1000],
            )
        return give_up


class Worker:
    """A daemon thread that runs one round on every wake-up and at least every `interval`
    seconds; a failed round is logged and the next one comes."""

    def __init__(
        self, name: str, round: Callable[[], Any], interval: float, log: logging.Logger
    ) -> None:
        self.name = name
        self.round = round
        self.interval = interval
        self.log = log
        self.stopping = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def wake(self) -> None:
        """Start the next round now (called after a commit that queued rows)."""
        self._wake.set()

    def start(self) -> None:
        """Start the thread (once while it runs)."""
        if self._thread is not None and self._thread.is_alive():
            return
        self.stopping.clear()
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the thread after the row it is working on, if any."""
        self.stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        while not self.stopping.is_set():
            # Clear before the round: a wake-up that arrives mid-round starts the next at once.
            self._wake.clear()
            try:
                self.round()
            except Exception:  # e.g. the database briefly down: keep the worker alive
                self.log.exception("%s round failed", self.name)
            self._wake.wait(self.interval)


class Background:
    """What a service with a worker thread (`self.worker`) offers the app: wake it after a
    commit that queued work, start it, stop it."""

    worker: Worker

    def wake(self) -> None:
        """Start the next round now (called after a commit that queued rows)."""
        self.worker.wake()

    def start_worker(self) -> None:
        """Start the daemon thread that runs rounds on wake-ups and every interval."""
        self.worker.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the worker after the row or connection it is working on, if any."""
        self.worker.stop(timeout)
