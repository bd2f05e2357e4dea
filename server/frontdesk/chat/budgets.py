"""Shares of a site's daily token budget per visitor and per IP, so no one spends it all.

A visitor may spend VISITOR_TOKEN_SHARE of the site's daily budget and one IP address
IP_TOKEN_SHARE of it (a visitor can start over with a new visitor id; their address stays).
When a share or the whole budget is spent, the turn is answered by the offline engine, as when
the provider is down: the visitor is still answered, only the LLM is spared. The ledger is in
this process's memory, per UTC day, or in Redis for all processes when REDIS_URL is set.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import date
from typing import Any

from flask import Flask

from frontdesk.chat import usage
from frontdesk.realtime.shared import shared_for

EXTENSION_KEY = "frontdesk.token_ledger"
MAX_ENTRIES = 200_000  # a day's ledger beyond this forgets its smallest spenders (memory bound)


class TokenLedger:
    """Tokens spent today per (site, visitor) and per (site, IP); with `shared`
    (realtime.tallies.DailyTally, when REDIS_URL is set) counted once for the deployment, and
    in this process's memory while Redis is unreachable."""

    def __init__(self, shared: Any = None) -> None:
        self._day: date | None = None
        self._spent: dict[tuple[int, str, str], int] = {}
        self._lock = threading.Lock()
        self._shared = shared

    def spent(self, site_id: int, kind: str, key: str) -> int:
        """Tokens spent today by one visitor ("visitor") or address ("ip") on a site."""
        if self._shared is not None:
            found = self._shared.get(usage.usage_day().isoformat(), f"{site_id}:{kind}:{key}")
            if found is not None:
                return found
        with self._lock:
            self._roll()
            return self._spent.get((site_id, kind, key), 0)

    def add(self, site_id: int, visitor_id: str, ip: str, tokens: int) -> None:
        """Count a turn's tokens for its visitor and its address."""
        if tokens <= 0:
            return
        if self._shared is not None:
            keys = [f"{site_id}:visitor:{visitor_id}", f"{site_id}:ip:{ip}"]
            if self._shared.add(usage.usage_day().isoformat(), keys, tokens):
                return
        with self._lock:
            self._roll()
            for kind, key in (("visitor", visitor_id), ("ip", ip)):
                entry = (site_id, kind, key)
                self._spent[entry] = self._spent.get(entry, 0) + tokens
            if len(self._spent) > MAX_ENTRIES:
                keep = sorted(self._spent.items(), key=lambda item: item[1])[MAX_ENTRIES // 10 :]
                self._spent = dict(keep)

    def _roll(self) -> None:
        today = usage.usage_day()
        if today != self._day:
            self._day, self._spent = today, {}


def ledger(app: Flask) -> TokenLedger:
    """The app's ledger (created on first use)."""
    found = app.extensions.get(EXTENSION_KEY)
    if found is None:
        shared = shared_for(app)
        tally = shared.tally("tokens") if shared is not None else None
        found = app.extensions.setdefault(EXTENSION_KEY, TokenLedger(tally))
    return found


def site_budget(site: Any, config: Mapping[str, Any]) -> int:
    """The site's daily token budget (0: unlimited)."""
    return int(getattr(site, "daily_token_budget", None) or config.get("DAILY_TOKEN_BUDGET") or 0)


def spent_reason(
    app: Flask, site: Any, visitor_id: str, ip: str, site_used_today: int
) -> str | None:
    """Why this turn may not use the LLM (which budget is spent), or None when it may."""
    budget = site_budget(site, app.config)
    if budget <= 0:
        return None
    if site_used_today >= budget:
        return "the site's daily budget"
    book = ledger(app)
    for kind, key, setting in (("visitor", visitor_id, "VISITOR_TOKEN_SHARE"),
                               ("ip", ip, "IP_TOKEN_SHARE")):  # fmt: skip
        share = float(app.config.get(setting) or 0)
        if 0 < share < 1 and key and book.spent(site.id, kind, key) >= budget * share:
            return f"the {kind}'s share of the daily budget"
    return None
