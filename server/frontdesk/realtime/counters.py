"""Rate windows and open-connection counts shared by every process of a deployment.

Frame rates use a sliding-window counter (this minute's bucket plus the previous one weighted
by how much of it still overlaps the window): one atomic script call per event (two commands
inside it: MGET, INCR), constant memory.
Open sockets are members of a sorted set scored by an expiry the owning process keeps pushing
forward, so the sockets of a killed process stop counting within `CONNECTION_TTL_SECONDS`.
"""

from __future__ import annotations

import threading
import time

import redis

from frontdesk.realtime.oneway import OneWay

CONNECTION_TTL_SECONDS = 60.0

_WINDOW = """
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
local bucket = math.floor(now / window)
local current = KEYS[1] .. ':' .. bucket
local previous = KEYS[1] .. ':' .. (bucket - 1)
local elapsed = (now - bucket * window) / window
local counts = redis.call('mget', current, previous)
local count = tonumber(counts[1] or '0')
local before = tonumber(counts[2] or '0')
if count + before * (1 - elapsed) >= limit then return 0 end
-- The expiry is set once, when the bucket's key is made: it outlives the bucket's own window
-- and the next (where it is `previous`), and a pexpire on every event was a command more.
if redis.call('incr', current) == 1 then
  redis.call('pexpire', current, math.ceil(window * 2000))
end
return 1
"""

_OPEN = """
redis.call('zremrangebyscore', KEYS[1], '-inf', ARGV[1])
if redis.call('zcard', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('zadd', KEYS[1], ARGV[3], ARGV[4])
redis.call('pexpire', KEYS[1], ARGV[5])
return 1
"""


class SharedWindow:
    """`allow(key)`: record an event under `key` unless `limit` were reached in `window` s."""

    def __init__(self, client: redis.Redis, prefix: str, limit: int, window: float = 60.0) -> None:
        self.prefix = prefix
        self.limit = limit
        self.window = window
        self._script = client.register_script(_WINDOW)

    def allow(self, key: str) -> bool:
        """Count one event; False (not counted) when over the limit. Redis down: allowed."""
        try:
            return bool(
                self._script(
                    keys=[f"{self.prefix}:{key}"], args=[time.time(), self.window, self.limit]
                )
            )
        except redis.RedisError:
            return True  # fail open: a Redis outage must not lock every visitor out


class SharedConnections:
    """Open sockets per key (an IP), across processes; members expire unless refreshed."""

    def __init__(
        self, client: redis.Redis, prefix: str, origin: str, limit: int, oneway: OneWay
    ) -> None:
        self.client = client
        self.oneway = oneway
        self.prefix = prefix
        self.origin = origin
        self.limit = limit
        self._open = client.register_script(_OPEN)
        self._mine: dict[str, str] = {}  # member -> key
        self._lock = threading.Lock()
        self._counter = 0
        self._stopping = threading.Event()
        threading.Thread(target=self._refresh_loop, name="frontdesk-conns", daemon=True).start()

    def acquire(self, key: str) -> str | None:
        """A ticket for one more socket under `key`, or None when `key` has `limit` open."""
        with self._lock:
            self._counter += 1
            member = f"{self.origin}:{self._counter}"
        now = time.time()
        try:
            ok = self._open(
                keys=[f"{self.prefix}:{key}"],
                args=[now, self.limit, now + CONNECTION_TTL_SECONDS, member,
                      int(CONNECTION_TTL_SECONDS * 2000)],
            )  # fmt: skip
        except redis.RedisError:
            ok = 1  # fail open, as SharedWindow does
        if not ok:
            return None
        with self._lock:
            self._mine[member] = key
        return member

    def release(self, ticket: str) -> None:
        """The socket behind `ticket` has closed (its thread has ended)."""
        with self._lock:
            key = self._mine.pop(ticket, None)
        if key is not None:  # written one-way, no reply waited for: unrun, it expires
            self.oneway.send(("ZREM", f"{self.prefix}:{key}", ticket))

    def count(self, key: str) -> int:
        """Open sockets under `key` in the whole deployment."""
        try:
            return int(self.client.zcount(f"{self.prefix}:{key}", time.time(), "+inf"))
        except redis.RedisError:
            return 0

    def stop(self) -> None:
        """Stop refreshing this process's members."""
        self._stopping.set()

    def _refresh_loop(self) -> None:
        while not self._stopping.wait(CONNECTION_TTL_SECONDS / 3):
            with self._lock:
                mine = list(self._mine.items())
            expiry = time.time() + CONNECTION_TTL_SECONDS
            try:
                with self.client.pipeline(transaction=False) as pipe:
                    for member, key in mine:
                        pipe.zadd(f"{self.prefix}:{key}", {member: expiry}, xx=True)
                    pipe.execute()
            except redis.RedisError:
                pass
