"""Per-day sums in Redis (tokens spent), counted once for every process of a deployment."""

from __future__ import annotations

import redis

from frontdesk.realtime.oneway import OneWay

DAY_SECONDS = 86_400

# One script for a turn's sums: an INCRBY per key, and its expiry only when that INCRBY made
# the key (amounts are positive); an INCRBY + EXPIRE pair per key was twice the commands.
_ADD = """
for _, key in ipairs(KEYS) do
  if redis.call('incrby', key, ARGV[1]) == tonumber(ARGV[1]) then
    redis.call('expire', key, ARGV[2])
  end
end
"""


class DailyTally:
    """`add(day, keys, amount)` and `get(day, key)` under one prefix; a day's keys expire after
    two days. Methods return None / False when Redis is unreachable (the caller counts alone).

    Adds are written on the one-way connection: a turn's end needs no reply from Redis, and a
    round trip there (four commands, parsed replies) cost more of the process's CPU than the
    rest of its Redis work per message. An add Redis never ran leaves the sum a turn short.
    The script is sent whole (EVAL, cached by Redis): EVALSHA on a connection without replies
    would fail unseen after a Redis restart emptied the script cache.
    """

    def __init__(self, client: redis.Redis, prefix: str, oneway: OneWay) -> None:
        self.client = client
        self.prefix = prefix
        self.oneway = oneway

    def _name(self, day: str, key: str) -> str:
        return f"{self.prefix}:{day}:{key}"

    def add(self, day: str, keys: list[str], amount: int) -> bool:
        """Add `amount` to each key's sum for `day` (written, not waited for)."""
        names = [self._name(day, key) for key in keys]
        return self.oneway.send(("EVAL", _ADD, len(names), *names, amount, 2 * DAY_SECONDS))

    def get(self, day: str, key: str) -> int | None:
        """The key's sum for `day` (0 when nothing was added)."""
        try:
            value = self.client.get(self._name(day, key))
        except redis.RedisError:
            return None
        return int(value or 0)
