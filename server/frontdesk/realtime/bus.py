"""Pub/sub of small JSON envelopes between processes, reconnecting with backoff.

Redis pub/sub is at-most-once: a message published while a listener is disconnected is gone.
Subscribers therefore treat the bus as a hint and the database as the truth: `on_reconnect`
runs after every (re)connection so they can re-read what they may have missed.
"""

from __future__ import annotations

import contextlib
import json
import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

import redis

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 5.0
LISTEN_POLL_SECONDS = 1.0
OUTBOX_SIZE = 10_000  # envelopes waiting for Redis; beyond this they are dropped (and counted)


class Bus:
    """One channel shared by every process of a deployment; envelopes carry their origin."""

    def __init__(self, client: redis.Redis, channel: str, origin: str) -> None:
        self.client = client
        self.channel = channel
        self.origin = origin
        self.connected = False  # the listener's view: True while subscribed
        self.last_error = ""
        self.dropped = 0
        self.last_error_at = 0.0
        self._outbox: queue.Queue[str] = queue.Queue(OUTBOX_SIZE)
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._sender: threading.Thread | None = None

    def publish(self, envelope: dict[str, Any]) -> None:
        """Queue an envelope for the other processes; never blocks on Redis.

        One sender thread publishes them in queue order, so Redis keeps this process's
        envelopes in the order they were published here.
        """
        data = json.dumps({**envelope, "o": self.origin}, separators=(",", ":"))
        try:
            self._outbox.put_nowait(data)
        except queue.Full:
            self.dropped += 1  # receivers fill the gap from the database

    def _send_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                first = self._outbox.get(timeout=LISTEN_POLL_SECONDS)
            except queue.Empty:
                continue
            batch = [first]
            while len(batch) < 256:
                try:
                    batch.append(self._outbox.get_nowait())
                except queue.Empty:
                    break
            try:
                with self.client.pipeline(transaction=False) as pipe:
                    for data in batch:
                        pipe.publish(self.channel, data)
                    pipe.execute()
            except (redis.RedisError, OSError) as exc:
                self.dropped += len(batch)
                self._note_error(exc)

    def start(
        self,
        on_envelope: Callable[[dict[str, Any]], None],
        on_reconnect: Callable[[], None],
    ) -> None:
        """Listen on a daemon thread: other processes' envelopes go to `on_envelope`."""
        self._sender = threading.Thread(
            target=self._send_loop, name="frontdesk-bus-send", daemon=True
        )
        self._sender.start()
        self._thread = threading.Thread(
            target=self._listen, args=(on_envelope, on_reconnect), name="frontdesk-bus",
            daemon=True,
        )  # fmt: skip
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop listening (the thread notices within LISTEN_POLL_SECONDS)."""
        self._stopping.set()
        for thread in (self._thread, self._sender):
            if thread is not None:
                thread.join(timeout)

    def _listen(self, on_envelope, on_reconnect) -> None:
        backoff = 0.1
        while not self._stopping.is_set():
            pubsub = self.client.pubsub(ignore_subscribe_messages=True)
            try:
                pubsub.subscribe(self.channel)
                self.connected = True
                backoff = 0.1
                on_reconnect()  # anything published while we were away: re-read it
                self._pump(pubsub, on_envelope)
            except (redis.RedisError, OSError) as exc:
                self._note_error(exc)
            finally:
                self.connected = False
                _close_quietly(pubsub)
            if self._stopping.wait(backoff):
                return
            backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)

    def _pump(self, pubsub, on_envelope) -> None:
        while not self._stopping.is_set():
            message = pubsub.get_message(timeout=LISTEN_POLL_SECONDS)
            if message is None or message.get("type") != "message":
                continue
            try:
                envelope = json.loads(message["data"])
            except (TypeError, ValueError):
                log.warning("ignoring a malformed bus envelope")
                continue
            if envelope.get("o") == self.origin:
                continue  # our own: already delivered locally
            try:
                on_envelope(envelope)
            except Exception:  # one bad envelope must not stop the listener
                log.exception("bus envelope handler failed")

    def _note_error(self, exc: Exception) -> None:
        message = f"{type(exc).__name__}: {exc}"
        if message != self.last_error:
            log.warning("Redis unavailable: %s", message)
        self.last_error = message
        self.last_error_at = time.time()


def _close_quietly(pubsub) -> None:
    with contextlib.suppress(Exception):  # the connection may already be gone
        pubsub.close()
