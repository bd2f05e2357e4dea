"""Runs assistant work off the sockets' receive loops: one job at a time per conversation.

Jobs of one conversation run in submission order (a message sent during a turn is answered
after it); different conversations run in parallel on a shared thread pool. Any hashable key
works the same way (the staff socket's queue summaries are keyed by their socket).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections import deque
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from flask import Flask

from frontdesk.realtime.shared import shared_for

log = logging.getLogger(__name__)

EXTENSION_KEY = "frontdesk.chat_runner"
DEFAULT_WORKERS = 64  # turns mostly wait on the provider; threads are cheap while waiting


class TurnRunner:
    """A thread pool with a FIFO of jobs per conversation (or other key)."""

    def __init__(self, app: Flask, workers: int = DEFAULT_WORKERS, leases: Any = None) -> None:
        self.app = app
        # With REDIS_URL (realtime.leases.Leases): one turn per conversation in the deployment.
        self.leases = leases
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="frontdesk-turn")
        self._pending: dict[Hashable, deque[Callable[[], None]]] = {}
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._threads = threading.local()  # which pool threads have the app's context

    def submit(self, conversation_id: Hashable, job: Callable[[], None]) -> None:
        """Queue a job behind the conversation's earlier ones."""
        with self._lock:
            queue = self._pending.get(conversation_id)
            if queue is not None:
                queue.append(job)
                return
            self._pending[conversation_id] = deque([job])
        self._pool.submit(self._drain, conversation_id)

    def busy(self, conversation_id: Hashable) -> bool:
        """True while the conversation has a job running or queued."""
        with self._lock:
            return conversation_id in self._pending

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until no job is queued or running (tests, shutdown)."""
        with self._idle:
            return self._idle.wait_for(lambda: not self._pending, timeout)

    def _drain(self, conversation_id: Hashable) -> None:
        # The turn lease is held across the queue's jobs, not taken again for each one.
        with self._exclusive(conversation_id):
            while True:
                with self._lock:
                    queue = self._pending[conversation_id]
                    if not queue:
                        del self._pending[conversation_id]
                        self._idle.notify_all()
                        return
                    job = queue[0]
                try:
                    self._enter_app()
                    job()
                except Exception:  # jobs report their own failures; this is the last resort
                    log.exception("chat job failed")
                finally:
                    with self._lock:
                        self._pending[conversation_id].popleft()

    def _enter_app(self) -> None:
        """Give this pool thread the app's context, once for its life, not a push and a pop
        (with their signals) around every job: the app registers no teardown to run between."""
        if getattr(self._threads, "app", None) is not self.app:
            self.app.app_context().push()
            self._threads.app = self.app

    def _exclusive(self, key: Hashable) -> contextlib.AbstractContextManager:
        """Hold the conversation's turn lease (other processes' turns of it wait)."""
        if self.leases is None or not isinstance(key, int):
            return contextlib.nullcontext()
        return self.leases.hold(f"turn:{key}")

    def shutdown(self) -> None:
        """Stop accepting work and wait for running jobs."""
        self._pool.shutdown(wait=True, cancel_futures=True)


def runner_for(app: Flask) -> TurnRunner:
    """The app's turn runner (created on first use, sized by TURN_WORKERS)."""
    runner = app.extensions.get(EXTENSION_KEY)
    if runner is None:
        workers = int(app.config.get("TURN_WORKERS") or DEFAULT_WORKERS)
        shared = shared_for(app)
        leases = shared.leases if shared is not None else None
        runner = app.extensions.setdefault(EXTENSION_KEY, TurnRunner(app, workers, leases))
    return runner
