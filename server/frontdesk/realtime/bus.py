"""Pub/sub of small envelopes between processes, reconnecting with backoff.

Redis pub/sub is at-most-once: a message published while a listener is disconnected is gone.
Subscribers therefore treat the bus as a hint and the database as the truth: `on_reconnect`
runs after every (re)connection so they can re-read what they may have missed.

An envelope is one line of text: `origin kind key payload`, the payload being JSON. The
header is read without parsing the payload, so a process skips at the cost of a split the
envelopes of conversations it has no socket for (most of them, with many processes).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable

import redis

from frontdesk.realtime.oneway import OneWay

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 5.0
LISTEN_POLL_SECONDS = 1.0

# on_envelope(kind, key, payload): payload is the undecoded JSON (bytes).
EnvelopeHandler = Callable[[str, int, bytes], None]


class Bus:
    """One channel shared by every process of a deployment; envelopes carry their origin."""

    def __init__(self, client: redis.Redis, channel: str, origin: str, oneway: OneWay) -> None:
        self.client = client
        self.channel = channel
        self.origin = origin
        self.oneway = oneway
        self.connected = False  # the listener's view: True while subscribed
        self.last_error = ""
        self.dropped = 0
        self._owe_notice = False  # envelopes were dropped: the others must re-read the DB
        self._origin_bytes = origin.encode()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def publish(self, kind: str, key: int, payload: str) -> None:
        """Send an envelope to the other processes; never waits for Redis's answer.

        Written by the caller's thread on the one-way connection (no reply, no hand-off to a
        sender thread: both would add to the cross-process latency), so Redis gets this
        process's envelopes in the order they were published here. Redis down: dropped and
        counted; receivers fill the gap from the database.
        """
        data = f"{self.origin} {kind} {key} {payload}"
        commands = [("PUBLISH", self.channel, data)]
        if self._owe_notice:  # first tell the others to re-read what they may have missed
            commands.insert(0, self._notice())
        if self.oneway.send(*commands):
            self._owe_notice = False
        else:
            self.dropped += 1
            self._owe_notice = True

    def _notice(self) -> tuple[str, str, str]:
        """The envelope telling the others to re-read their conversations from the database."""
        return ("PUBLISH", self.channel, f"{self.origin} r 0 null")

    def start(self, on_envelope: EnvelopeHandler, on_reconnect: Callable[[], None]) -> None:
        """Listen on a daemon thread: other processes' envelopes go to `on_envelope`."""
        self._thread = threading.Thread(
            target=self._listen, args=(on_envelope, on_reconnect), name="frontdesk-bus",
            daemon=True,
        )  # fmt: skip
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop listening (the thread notices within LISTEN_POLL_SECONDS)."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _listen(self, on_envelope: EnvelopeHandler, on_reconnect: Callable[[], None]) -> None:
        backoff = 0.1
        while not self._stopping.is_set():
            pubsub = self.client.pubsub(ignore_subscribe_messages=True)
            try:
                pubsub.subscribe(self.channel)
                self.connected = True
                backoff = 0.1
                self.oneway.retry_now()  # Redis is back: publish again at once
                if self._owe_notice and self.oneway.send(self._notice()):
                    self._owe_notice = False
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

    def _pump(self, pubsub, on_envelope: EnvelopeHandler) -> None:
        # get_message waits on the socket itself (no sleeping poll): a message is read as
        # soon as it arrives; the timeout only lets the loop notice `stop`.
        while not self._stopping.is_set():
            message = pubsub.get_message(timeout=LISTEN_POLL_SECONDS)
            if message is None or message.get("type") != "message":
                continue
            try:
                origin, kind, key, payload = message["data"].split(b" ", 3)
                if origin == self._origin_bytes:
                    continue  # our own: already delivered locally
                on_envelope(kind.decode(), int(key), payload)
            except (TypeError, ValueError, AttributeError):
                log.warning("ignoring a malformed bus envelope")
            except Exception:  # one bad envelope must not stop the listener
                log.exception("bus envelope handler failed")

    def _note_error(self, exc: Exception) -> None:
        message = f"{type(exc).__name__}: {exc}"
        if message != self.last_error:
            log.warning("Redis unavailable: %s", message)
        self.last_error = message


def _close_quietly(pubsub) -> None:
    with contextlib.suppress(Exception):  # the connection may already be gone
        pubsub.close()
