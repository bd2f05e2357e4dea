"""Leases in Redis: one holder of a name at a time across processes, expiring if it dies.

A holder renews its leases on a background thread; a process killed with `kill -9` stops
renewing and its leases lapse after `ttl` seconds, so a conversation is never blocked forever.
Taking a lease is one round trip; releasing one is written on the one-way connection (no
reply to wait for: a release Redis never ran only makes the lease lapse after its ttl).
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
_RENEW = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then "
    "return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0"
)


class Leases:
    """Named leases under one key prefix, renewed every ttl/3 while held."""

    def __init__(
        self, client: redis.Redis, prefix: str, oneway: OneWay, ttl: float = DEFAULT_TTL_SECONDS
    ) -> None:
        self.client = client
        self.oneway = oneway
        self.prefix = prefix
        self.ttl_ms = int(ttl * 1000)
        self._held: dict[str, str] = {}
        self._lock = threading.Lock()
        self._renew = client.register_script(_RENEW)
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
                self.oneway.send(("EVAL", _RELEASE, 1, key, token))

    def stop(self) -> None:
        """Stop renewing (held leases then lapse after their ttl)."""
        self._stopping.set()

    def _acquire(self, key: str) -> str | None:
        token = secrets.token_hex(8)
        delay = 0.005
        while True:
            try:
                if self.client.set(key, token, nx=True, px=self.ttl_ms):
                    with self._lock:
                        self._held[key] = token
                    return token
            except redis.RedisError as exc:
                log.warning("lease %s: Redis unavailable (%s); going on without it", key, exc)
                return None
            time.sleep(delay)  # another process's turn is running: it ends or its lease lapses
            delay = min(delay * 2, 0.1)

    def _renew_loop(self) -> None:
        while not self._stopping.wait(self.ttl_ms / 3000):
            with self._lock:
                held = list(self._held.items())
            for key, token in held:
                try:
                    self._renew(keys=[key], args=[token, self.ttl_ms])
                except redis.RedisError:
                    log.warning("could not renew lease %s", key)
