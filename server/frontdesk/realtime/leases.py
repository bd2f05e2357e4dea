"""Leases in Redis: one holder of a name at a time across processes, expiring if it dies.

A holder renews its leases on a background thread; a process killed with `kill -9` stops
renewing and its leases lapse after `ttl` seconds, so a conversation is never blocked forever.
Taking a lease is one round trip; releasing one is written on the one-way connection (no
reply to wait for: a release Redis never ran only makes the lease lapse after its ttl).
Because a release is not waited for, this process's next turn of the same conversation (a
visitor answering the reply at once) could find its own released lease still there and sleep
before trying again; it takes that lease over instead, in one script (the late release then
matches no token and does nothing): atomically a release and an acquire.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import threading
import time
from collections.abc import Iterator

import redis

from frontdesk.realtime.oneway import OneWay

log = logging.getLogger(__name__)

DEFAULT_TTL_SECONDS = 15.0

# Delete / extend only while the value is still ours (a lapsed lease may have a new holder).
_RELEASE = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"
)
# Take the lease when it is free or still holds this process's own released token (ARGV[2]).
_TAKE_OVER = (
    "local held = redis.call('get', KEYS[1]) "
    "if held == false or held == ARGV[2] then "
    "return redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[3]) end return false"
)
RELEASED_REMEMBERED = 4096  # released tokens kept for a take-over (a lease lapses anyway)
_RENEW = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then "
    "return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0"
)


class Leases:
    """Named leases under one key prefix, renewed after ttl/3 (by ttl/2) while held."""

    def __init__(
        self, client: redis.Redis, prefix: str, oneway: OneWay, ttl: float = DEFAULT_TTL_SECONDS
    ) -> None:
        self.client = client
        self.oneway = oneway
        self.prefix = prefix
        self.ttl_ms = int(ttl * 1000)
        self._held: dict[str, tuple[str, float]] = {}  # key -> (token, last set or renewed)
        self._released: dict[str, str] = {}  # key -> token released, its release maybe not run
        self._lock = threading.Lock()
        self._renew = client.register_script(_RENEW)
        self._take_over = client.register_script(_TAKE_OVER)
        self._stopping = threading.Event()
        self._renewer = threading.Thread(
            target=self._renew_loop, name="frontdesk-leases", daemon=True
        )
        self._renewer.start()

    @contextlib.contextmanager
    def hold(self, name: str) -> Iterator[bool]:
        """Wait for the lease, hold it for the block; yields False when Redis was unreachable
        (the caller goes on without it: a process keeps serving while Redis is down)."""
        key = f"{self.prefix}:lease:{name}"
        token = self._acquire(key)
        try:
            yield token is not None
        finally:
            if token is not None:
                with self._lock:
                    self._held.pop(key, None)
                    self._released[key] = token
                    if len(self._released) > RELEASED_REMEMBERED:  # the oldest first
                        del self._released[next(iter(self._released))]
                self.oneway.send(("EVAL", _RELEASE, 1, key, token))

    def stop(self) -> None:
        """Stop renewing (held leases then lapse after their ttl)."""
        self._stopping.set()

    def _acquire(self, key: str) -> str | None:
        token = secrets.token_hex(8)
        delay = 0.005
        while True:
            with self._lock:
                released = self._released.pop(key, None)
            try:
                taken = self.client.set(key, token, nx=True, px=self.ttl_ms)
                if not taken and released is not None:  # the usual case costs one command
                    taken = self._take_over(keys=[key], args=[token, released, self.ttl_ms])
                if taken:
                    with self._lock:
                        self._held[key] = (token, time.monotonic())
                    return token
            except redis.RedisError as exc:
                log.warning("lease %s: Redis unavailable (%s); going on without it", key, exc)
                return None
            time.sleep(delay)  # another process's turn is running: it ends or its lease lapses
            delay = min(delay * 2, 0.1)

    def _renew_loop(self) -> None:
        # Every ttl/6, renew the leases set or renewed at least ttl/3 ago: one is renewed by
        # half its ttl at the latest, and a turn shorter than ttl/3 is never renewed (renewing
        # every held lease on each tick renewed the turns that merely straddled a tick).
        while not self._stopping.wait(self.ttl_ms / 6000):
            now = time.monotonic()
            with self._lock:
                due = [(key, token) for key, (token, since) in self._held.items()
                       if now - since >= self.ttl_ms / 3000]  # fmt: skip
            for key, token in due:
                try:
                    self._renew(keys=[key], args=[token, self.ttl_ms])
                except redis.RedisError:
                    log.warning("could not renew lease %s", key)
                    continue
                with self._lock:
                    if self._held.get(key, ("",))[0] == token:
                        self._held[key] = (token, now)
