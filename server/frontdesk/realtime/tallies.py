"""Per-day sums in Redis (tokens spent), counted once for every process of a deployment."""

from __future__ import annotations

import redis

DAY_SECONDS = 86_400


class DailyTally:
    """`add(day, keys, amount)` and `get(day, key)` under one prefix; a day's keys expire after
    two days. Methods return None / False when Redis is unreachable (the caller counts alone)."""

    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self.client = client
        self.prefix = prefix

    def _name(self, day: str, key: str) -> str:
        return f"{self.prefix}:{day}:{key}"

    def add(self, day: str, keys: list[str], amount: int) -> bool:
        """Add `amount` to each key's sum for `day`."""
        try:
            with self.client.pipeline(transaction=False) as pipe:
                for key in keys:
                    pipe.incrby(self._name(day, key), amount)
                    pipe.expire(self._name(day, key), 2 * DAY_SECONDS)
                pipe.execute()
        except redis.RedisError:
            return False
        return True

    def get(self, day: str, key: str) -> int | None:
        """The key's sum for `day` (0 when nothing was added)."""
        try:
            value = self.client.get(self._name(day, key))
        except redis.RedisError:
            return None
        return int(value or 0)
