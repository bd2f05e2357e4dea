"""What the processes of one deployment share when REDIS_URL is set, built by init_app."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

# The Redis pieces are imported only when REDIS_URL is set (init_app): the redis library alone
# is ~60 ms of every start-up, and one process without Redis never needs it.
if TYPE_CHECKING:
    import redis

    from frontdesk.realtime.bus import Bus
    from frontdesk.realtime.counters import SharedConnections, SharedWindow
    from frontdesk.realtime.failures import SharedEventLog
    from frontdesk.realtime.leases import Leases
    from frontdesk.realtime.tallies import DailyTally

log = logging.getLogger(__name__)

EXTENSION_KEY = "frontdesk.realtime"


@dataclass
class Shared:
    """The Redis client and the shared pieces built on it (one per app)."""

    client: redis.Redis
    prefix: str
    origin: str
    bus: Bus
    leases: Leases
    _stoppable: list[Any] = field(default_factory=list)

    def window(self, name: str, limit: int, seconds: float = 60.0) -> SharedWindow:
        """A rate window counted once for the deployment."""
        from frontdesk.realtime.counters import SharedWindow

        return SharedWindow(self.client, f"{self.prefix}:rate:{name}", limit, seconds)

    def connections(self, name: str, limit: int) -> SharedConnections:
        """Open-socket counts for the deployment, `limit` per key."""
        from frontdesk.realtime.counters import SharedConnections

        counter = SharedConnections(
            self.client, f"{self.prefix}:open:{name}", self.origin, limit, self.bus.oneway
        )
        self._stoppable.append(counter)
        return counter

    def event_log(self, name: str, window: float) -> SharedEventLog:
        """Timestamps of events per key within `window` seconds, for the deployment."""
        from frontdesk.realtime.failures import SharedEventLog

        return SharedEventLog(self.client, f"{self.prefix}:events:{name}", window)

    def tally(self, name: str) -> DailyTally:
        """Per-day sums for the deployment (tokens spent per visitor and per IP)."""
        from frontdesk.realtime.tallies import DailyTally

        return DailyTally(self.client, f"{self.prefix}:tally:{name}", self.bus.oneway)

    def health(self) -> dict[str, Any]:
        """Is Redis answering now, and is this process's listener subscribed?"""
        import redis

        try:
            answering = bool(self.client.ping())
        except redis.RedisError:
            answering = False
        return {"redis": "ok" if answering and self.bus.connected else "unreachable"}

    def stop(self) -> None:
        """Stop the threads (tests; a stopping server)."""
        self.bus.stop()
        self.leases.stop()
        self.bus.oneway.close()
        for item in self._stoppable:
            item.stop()


def init_app(app: Any) -> Shared | None:
    """Build the shared pieces when REDIS_URL is configured (refusing SQLite), else None."""
    url = app.config.get("REDIS_URL")
    if not url:
        return None
    if str(app.config["DATABASE_URL"]).startswith("sqlite"):
        raise RuntimeError(
            "REDIS_URL is set but the database is SQLite: several processes cannot share a "
            "SQLite file. Use PostgreSQL (DATABASE_URL) with Redis, or unset REDIS_URL and run "
            "one process."
        )
    from frontdesk.realtime import connection
    from frontdesk.realtime.bus import Bus
    from frontdesk.realtime.leases import Leases
    from frontdesk.realtime.oneway import OneWay

    client = connection.connect(url)
    prefix = connection.namespace(app.config.get("REDIS_PREFIX"))
    origin = connection.process_id()
    oneway = OneWay(client)  # publishes and lease releases: written, never waited for
    ttl = float(app.config.get("TURN_LEASE_SECONDS") or 15)
    shared = Shared(
        client=client, prefix=prefix, origin=origin,
        bus=Bus(client, f"{prefix}:frames", origin, oneway),
        leases=Leases(client, prefix, oneway, ttl=ttl),
    )  # fmt: skip
    app.extensions[EXTENSION_KEY] = shared
    return shared


def shared_for(app: Any) -> Shared | None:
    """The app's shared pieces, or None in a single-process deployment."""
    return app.extensions.get(EXTENSION_KEY)
