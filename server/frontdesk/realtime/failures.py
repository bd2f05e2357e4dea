"""Timestamps of events under keys, in Redis, for windows counted once per deployment.

Each key is a sorted set of event ids scored by their time (wall clock: processes on several
hosts compare them), trimmed to the window on every touch and expiring with it.
"""

from __future__ import annotations

import contextlib
import secrets
import time

import redis


class SharedEventLog:
    """`record(keys)`, `recent(key)` and `forget(key)` over one key prefix and window."""

    def __init__(self, client: redis.Redis, prefix: str, window: float) -> None:
        self.client = client
        self.prefix = prefix
        self.window = window

    def record(self, keys: list[str]) -> bool:
        """Note one event now under every key; False when Redis is unreachable."""
        now = time.time()
        member = f"{now:.6f}:{secrets.token_hex(4)}"
        try:
            with self.client.pipeline(transaction=False) as pipe:
                for key in keys:
                    name = f"{self.prefix}:{key}"
                    pipe.zadd(name, {member: now})
                    pipe.zremrangebyscore(name, "-inf", now - self.window)
                    pipe.pexpire(name, int(self.window * 1000))
                pipe.execute()
        except redis.RedisError:
            return False
        return True

    def recent(self, key: str) -> list[float] | None:
        """The times (seconds since the epoch) of the key's events within the window, oldest
        first; None when Redis is unreachable."""
        name = f"{self.prefix}:{key}"
        now = time.time()
        try:
            with self.client.pipeline(transaction=False) as pipe:
                pipe.zremrangebyscore(name, "-inf", now - self.window)
                pipe.zrange(name, 0, -1, withscores=True)
                _trimmed, members = pipe.execute()
        except redis.RedisError:
            return None
        return [score for _member, score in members]

    def forget(self, key: str) -> None:
        """Drop every event under the key (an unreachable Redis lets them expire)."""
        with contextlib.suppress(redis.RedisError):
            self.client.delete(f"{self.prefix}:{key}")
