"""Rate limits: frames per minute (per connection and per IP) and open sockets per IP."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Mapping
from typing import Any

WINDOW_SECONDS = 60.0


class SlidingWindow:
    """Counts events in the last minute; `allow()` records one and says if it is within limit."""

    __slots__ = ("limit", "_events", "_lock")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._events: deque[float] = deque()
        self._lock = threading.Lock()

    def allow(self, now: float | None = None) -> bool:
        """Record an event; False (and not recorded) when the limit is already reached."""
        now = time.monotonic() if now is None else now
        with self._lock:
            while self._events and now - self._events[0] >= WINDOW_SECONDS:
                self._events.popleft()
            if len(self._events) >= self.limit:
                return False
            self._events.append(now)
            return True

    def idle(self, now: float) -> bool:
        """True when nothing happened in the last minute (the window can be forgotten)."""
        return not self._events or now - self._events[-1] >= WINDOW_SECONDS


class IpLimits:
    """Per-IP counters shared by every socket of one app: open connections and frame rate.

    With `shared` (realtime.shared.Shared, when REDIS_URL is set) both are counted once for
    the whole deployment instead of per process.
    """

    def __init__(
        self, connections_per_ip: int, frames_per_minute_per_ip: int, shared: Any = None
    ) -> None:
        self.connections_per_ip = connections_per_ip
        self.frames_per_minute_per_ip = frames_per_minute_per_ip
        self._open: dict[str, int] = {}
        self._frames: dict[str, SlidingWindow] = {}
        self._lock = threading.Lock()
        self._last_sweep = time.monotonic()
        self._shared_open = shared.connections("ip", connections_per_ip) if shared else None
        self._shared_frames = (
            shared.window("frames-ip", frames_per_minute_per_ip) if shared else None
        )
        self._tickets: dict[str, list[str]] = {}

    def acquire(self, ip: str) -> bool:
        """Count a new socket from `ip`; False when the IP already has its maximum open."""
        if self._shared_open is not None:
            ticket = self._shared_open.acquire(ip)
            if ticket is None:
                return False
            with self._lock:
                self._tickets.setdefault(ip, []).append(ticket)
                self._open[ip] = self._open.get(ip, 0) + 1
            return True
        with self._lock:
            count = self._open.get(ip, 0)
            if count >= self.connections_per_ip:
                return False
            self._open[ip] = count + 1
            return True

    def release(self, ip: str) -> None:
        """Forget one socket from `ip`."""
        with self._lock:
            tickets = self._tickets.get(ip)
            ticket = tickets.pop() if tickets else None
            if tickets == []:
                del self._tickets[ip]
            count = self._open.get(ip, 0) - 1
            if count > 0:
                self._open[ip] = count
            else:
                self._open.pop(ip, None)
        if ticket is not None:
            self._shared_open.release(ticket)

    def open_count(self, ip: str) -> int:
        """How many sockets `ip` has open."""
        with self._lock:
            return self._open.get(ip, 0)

    def allow_frame(self, ip: str) -> bool:
        """Record a frame from `ip`; False when the IP sent too many this minute."""
        if self._shared_frames is not None:
            return self._shared_frames.allow(ip)
        with self._lock:
            window = self._frames.get(ip)
            if window is None:
                window = self._frames[ip] = SlidingWindow(self.frames_per_minute_per_ip)
            self._sweep()
        return window.allow()

    def _sweep(self) -> None:
        # Drop idle windows now and then so a stream of distinct IPs cannot grow the dict forever.
        now = time.monotonic()
        if now - self._last_sweep < WINDOW_SECONDS:
            return
        self._last_sweep = now
        for ip in [ip for ip, window in self._frames.items() if window.idle(now)]:
            del self._frames[ip]


def client_ip(environ: Mapping[str, Any]) -> str:
    """The client's address for limits.

    X-Forwarded-For is NOT read here: when TRUST_PROXY is set, create_app wraps the app in
    werkzeug's ProxyFix (one trusted proxy), which has already put the client's address in
    REMOTE_ADDR. Without TRUST_PROXY a forged header therefore changes nothing.
    """
    return str(environ.get("REMOTE_ADDR") or "unknown")
