"""Pub/sub of small envelopes between processes, reconnecting with backoff.

Redis pub/sub is at-most-once: a message published while a listener is disconnected is gone.
Subscribers therefore treat the bus as a hint and the database as the truth: `on_reconnect`
runs after every (re)connection so they can re-read what they may have missed.

Each conversation, site and staff member has a channel of its own (`<channel>:<kind>:<key>`),
and a process subscribes to it only while one of its sockets listens there (`watch`), so an
envelope reaches only the processes that deliver it: with one shared channel every process read
and dropped every other process's envelopes (and its own), a cost that grew with the number of
processes. The base channel carries the re-read notices.

An envelope is one line of text: `origin kind key payload`, the payload being JSON. The
header is read without parsing the payload.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable

import redis

from frontdesk.realtime.oneway import OneWay

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 5.0
LISTEN_POLL_SECONDS = 1.0
SUBSCRIBE_WAIT_SECONDS = 2.0  # Redis answering slower than this is treated as down
QUIET_PING_SECONDS = 30.0  # a listener that heard nothing this long asks Redis for a PONG
PONG_WAIT_SECONDS = 5.0  # and reconnects if that does not come

# on_envelope(kind, key, payload): payload is the undecoded JSON (bytes).
EnvelopeHandler = Callable[[str, int, bytes], None]


class Bus:
    """A base channel plus one channel per watched key; envelopes carry their origin."""

    def __init__(self, client: redis.Redis, channel: str, origin: str, oneway: OneWay) -> None:
        self.client = client
        # The listener's own pool, without redis-py's health checks: their PING would be
        # written by the listener while a watcher writes a SUBSCRIBE (see _pump's own PING).
        pool = client.connection_pool
        self._listener_client = redis.Redis(connection_pool=redis.ConnectionPool(
            connection_class=pool.connection_class,
            **{**pool.connection_kwargs, "health_check_interval": 0},
        ))  # fmt: skip
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
        # Watched channels (counted: one watch per local subscriber), the listener's pub/sub
        # connection while subscribed, and confirmations not read yet.
        self._watched: Counter[bytes] = Counter()
        self._pubsub: redis.client.PubSub | None = None
        self._pending: dict[bytes, threading.Event] = {}
        self._resubscribing: set[bytes] = set()
        self._lock = threading.Lock()

    def channel_of(self, kind: str, key: int) -> str:
        """The channel of one conversation ("c"), site ("s") or staff member ("t")."""
        return f"{self.channel}:{kind}:{key}"

    def publish(self, kind: str, key: int, payload: str) -> None:
        """Send an envelope to the processes watching `kind` `key`; never waits for Redis.

        Written by the caller's thread on the one-way connection (no reply, no hand-off to a
        sender thread: both would add to the cross-process latency), so Redis gets this
        process's envelopes in the order they were published here. Redis down: dropped and
        counted; receivers fill the gap from the database.
        """
        data = f"{self.origin} {kind} {key} {payload}"
        commands = [("PUBLISH", self.channel_of(kind, key), data)]
        if self._owe_notice:  # first tell the others to re-read what they may have missed
            commands.insert(0, self._notice())
        if self.oneway.send(*commands):
            self._owe_notice = False
        else:
            self.dropped += 1
            self._owe_notice = True

    def watch(self, kind: str, key: int) -> None:
        """Receive `kind` `key`'s envelopes from now on (returns once Redis has confirmed).

        Redis unreachable: returns at once; the channel is subscribed on reconnecting, and
        `on_reconnect` then has the subscribers re-read what they missed.
        """
        name = self.channel_of(kind, key).encode()
        with self._lock:
            self._watched[name] += 1
            confirmed = self._pending.get(name)
            if self._watched[name] == 1 and self._pubsub is not None:
                confirmed = self._pending[name] = threading.Event()
                if not self._send("SUBSCRIBE", name):
                    confirmed = None
        if confirmed is not None:
            confirmed.wait(SUBSCRIBE_WAIT_SECONDS)

    def unwatch(self, kind: str, key: int) -> None:
        """One local subscriber of `kind` `key` left; the last one unsubscribes."""
        name = self.channel_of(kind, key).encode()
        with self._lock:
            self._watched[name] -= 1
            if self._watched[name] > 0:
                return
            del self._watched[name]
            if self._pubsub is not None:
                self._send("UNSUBSCRIBE", name)

    def _send(self, *command: bytes | str) -> bool:
        """Write a (un)subscribe on the listener's connection (under self._lock); the listener
        reads the confirmation. False when the connection has failed (the listener reconnects)."""
        try:
            self._pubsub.connection.send_command(*command, check_health=False)
            return True
        except (redis.RedisError, OSError, AttributeError):
            return False

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
            pubsub = self._listener_client.pubsub()
            try:
                pubsub.subscribe(self.channel)
                self._subscribe_watched(pubsub)
                self.connected = True
                backoff = 0.1
                self.oneway.retry_now()  # Redis is back: publish again at once
                if self._owe_notice and self.oneway.send(self._notice()):
                    self._owe_notice = False
                if not self._resubscribing:
                    on_reconnect()  # else once the channels are confirmed (see _pump)
                self._pump(pubsub, on_envelope, on_reconnect)
            except (redis.RedisError, OSError) as exc:
                self._note_error(exc)
            finally:
                self.connected = False
                with self._lock:
                    self._pubsub = None
                    for confirmed in self._pending.values():
                        confirmed.set()  # nobody waits on a dead connection
                    self._pending.clear()
                _close_quietly(pubsub)
            if self._stopping.wait(backoff):
                return
            backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)

    def _subscribe_watched(self, pubsub) -> None:
        """(Re)subscribe the watched channels on a new connection, in one command."""
        with self._lock:
            self._pubsub = pubsub
            self._resubscribing = set(self._watched)
            if self._resubscribing and not self._send("SUBSCRIBE", *self._resubscribing):
                raise redis.ConnectionError("could not subscribe the watched channels")

    def _pump(self, pubsub, on_envelope: EnvelopeHandler, on_reconnect) -> None:
        # get_message waits on the socket itself (no sleeping poll): a message is read as
        # soon as it arrives; the timeout only lets the loop notice `stop`.
        heard, pinged = time.monotonic(), False
        while not self._stopping.is_set():
            message = pubsub.get_message(timeout=LISTEN_POLL_SECONDS)
            if message is None:
                quiet = time.monotonic() - heard
                if quiet > QUIET_PING_SECONDS + PONG_WAIT_SECONDS:
                    raise redis.ConnectionError("Redis did not answer the listener's PING")
                if quiet > QUIET_PING_SECONDS and not pinged:
                    with self._lock:
                        pinged = self._send("PING")
                continue
            heard, pinged = time.monotonic(), False
            if message.get("type") == "subscribe":
                self._confirmed(message["channel"], on_reconnect)
                continue
            if message.get("type") != "message":
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

    def _confirmed(self, name: bytes, on_reconnect: Callable[[], None]) -> None:
        """Redis confirmed a subscription: wake its watcher; after a reconnect's last one,
        have the subscribers re-read what they may have missed."""
        with self._lock:
            confirmed = self._pending.pop(name, None)
            reconnected = name in self._resubscribing
            self._resubscribing.discard(name)
            done = reconnected and not self._resubscribing
        if confirmed is not None:
            confirmed.set()
        if done:
            on_reconnect()

    def _note_error(self, exc: Exception) -> None:
        message = f"{type(exc).__name__}: {exc}"
        if message != self.last_error:
            log.warning("Redis unavailable: %s", message)
        self.last_error = message


def _close_quietly(pubsub) -> None:
    with contextlib.suppress(Exception):  # the connection may already be gone
        pubsub.close()
