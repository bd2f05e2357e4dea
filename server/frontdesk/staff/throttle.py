"""Sign-in throttling that slows guessing without letting anyone lock a person out.

Failures are counted in a sliding window (15 minutes) under three keys:

- account and IP: the tight limit (SIGNIN_ATTEMPTS_PER_15_MIN). Guessing one person's password
  from one address stops there, and only that address is refused;
- IP: three times the limit, for one address trying many accounts;
- account, from every address: ten times the limit, for guessing spread over many addresses.
  It refuses only browsers that never signed in to the account: a browser that did carries a
  signed device cookie and is let through (so the owner still gets in during such an attack).

Nothing counted under one address refuses another: ten wrong passwords from one IP do not stop
the right one from anywhere else. Each refusal says when to try again (Retry-After).
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Sequence
from typing import Any

from flask import Response, current_app, request
from itsdangerous import BadSignature, URLSafeSerializer

from frontdesk.realtime.shared import shared_for

WINDOW_SECONDS = 15 * 60
PER_IP_FACTOR = 3
PER_ACCOUNT_FACTOR = 10
DEVICE_COOKIE = "fd_device"
DEVICE_COOKIE_DAYS = 365
MAX_KEYS = 100_000  # beyond this many counted keys, the oldest are forgotten (memory bound)


class SigninThrottle:
    """Sliding windows of failed sign-ins: in this process's memory, or with `shared`
    (realtime.failures.SharedEventLog, when REDIS_URL is set) counted once for every process
    of the deployment."""

    def __init__(self, shared: Any = None) -> None:
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()
        self._shared = shared

    @staticmethod
    def _keys(email: str, ip: str) -> dict[str, int]:
        account = email.strip().lower()
        return {f"pair:{account}|{ip}": 1, f"ip:{ip}": PER_IP_FACTOR,
                f"account:{account}": PER_ACCOUNT_FACTOR}  # fmt: skip

    def retry_after(self, email: str, ip: str, limit: int, known_device: bool) -> int:
        """Seconds until this address may try this account again; 0: it may now."""
        now = time.time() if self._shared_up() else time.monotonic()
        wait = 0.0
        with self._lock:
            for key, factor in self._keys(email, ip).items():
                if key.startswith("account:") and known_device:
                    continue
                window = self._window(key, now)
                if window is not None and len(window) >= limit * factor:
                    # Free again when enough of the oldest failures have left the window.
                    oldest_needed = window[len(window) - limit * factor]
                    wait = max(wait, oldest_needed + WINDOW_SECONDS - now)
        return math.ceil(wait) if wait > 0 else 0

    def failed(self, email: str, ip: str) -> None:
        """Record a failed attempt under every key."""
        if self._shared is not None and self._shared.record(list(self._keys(email, ip))):
            return
        now = time.monotonic()  # alone, or Redis unreachable: this process counts
        with self._lock:
            if len(self._failures) > MAX_KEYS:
                for key in list(self._failures)[: MAX_KEYS // 10]:
                    del self._failures[key]
            for key in self._keys(email, ip):
                self._failures.setdefault(key, deque()).append(now)

    def succeeded(self, email: str, ip: str) -> None:
        """The right password from this address: its own failures on the account are forgotten
        (the account's and the address's other counts stay: they are about others)."""
        if self._shared is not None:
            self._shared.forget(next(iter(self._keys(email, ip))))
        with self._lock:
            self._failures.pop(next(iter(self._keys(email, ip))), None)

    def _shared_up(self) -> bool:
        # Redis answers: its wall-clock times are compared; else this process's own counts.
        return self._shared is not None and self._shared.recent("probe") is not None

    def _window(self, key: str, now: float) -> Sequence[float] | None:
        if self._shared is not None:
            shared = self._shared.recent(key)
            if shared is not None:
                return shared or None
        window = self._failures.get(key)
        if window is None:
            return None
        while window and now - window[0] > WINDOW_SECONDS:
            window.popleft()
        if not window:
            del self._failures[key]
            return None
        return window


def throttle() -> SigninThrottle:
    """The app's sign-in throttle (shared by the deployment's processes with REDIS_URL)."""
    found = current_app.extensions.get("frontdesk.signin_throttle")
    if found is None:
        shared = shared_for(current_app)
        log = shared.event_log("signin", WINDOW_SECONDS) if shared is not None else None
        found = current_app.extensions.setdefault("frontdesk.signin_throttle", SigninThrottle(log))
    return found


def _devices() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="frontdesk-signin-device")


def known_device(email: str) -> bool:
    """Whether this browser signed in to the account before (its signed device cookie)."""
    raw = request.cookies.get(DEVICE_COOKIE, "")
    try:
        accounts = _devices().loads(raw) if raw else []
    except BadSignature:
        return False
    return isinstance(accounts, list) and email.strip().lower() in accounts


def remember_device(response: Response, email: str) -> None:
    """Mark this browser as one that signed in to the account (kept for a year)."""
    raw = request.cookies.get(DEVICE_COOKIE, "")
    try:
        accounts = _devices().loads(raw) if raw else []
    except BadSignature:
        accounts = []
    account = email.strip().lower()
    accounts = [a for a in accounts if isinstance(a, str) and a != account][-4:] + [account]
    response.set_cookie(
        DEVICE_COOKIE, _devices().dumps(accounts), max_age=DEVICE_COOKIE_DAYS * 86400,
        httponly=True, samesite="Lax", path="/staff",
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
    )  # fmt: skip
