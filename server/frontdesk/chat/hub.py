"""In-process pub/sub of conversation frames and site-level staff events.

Every socket of a conversation (two tabs, a staff dashboard) subscribes to it; whoever
changes the conversation publishes AFTER committing. One hub per app, in app.extensions.
Frames carry `seq`, so a subscriber can order and de-duplicate what it receives.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app

log = logging.getLogger(__name__)

Frame = dict[str, Any]
EXTENSION_KEY = "frontdesk.hub"


class Subscription:
    """One subscriber: frames go to `callback` (in the publisher's thread) or to a queue."""

    def __init__(
        self,
        hub: Hub,
        key: tuple[str, int],
        callback: Callable[[Frame], None] | None = None,
        maxsize: int = 1000,
    ) -> None:
        self.key = key
        self._hub = hub
        self._callback = callback
        self._queue: queue.Queue[Frame] | None = None if callback else queue.Queue(maxsize)
        self.dropped = 0
        self.closed = False

    def deliver(self, frame: Frame) -> None:
        """Hand one frame to the subscriber; a full queue drops the frame (and counts it)."""
        if self._callback is not None:
            self._callback(frame)
            return
        try:
            self._queue.put_nowait(frame)
        except queue.Full:
            self.dropped += 1

    def get(self, timeout: float | None = None) -> Frame | None:
        """The next frame (queue subscribers only), or None after `timeout` seconds."""
        if self._queue is None:
            raise RuntimeError("callback subscriptions have no queue")
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def close(self) -> None:
        """Stop receiving frames."""
        if not self.closed:
            self.closed = True
            self._hub._remove(self)

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Hub:
    """Subscribers keyed by conversation id ("conversation" channel), site id ("site") or staff
    id ("staff": account events)."""

    def __init__(self) -> None:
        self._subscribers: dict[tuple[str, int], set[Subscription]] = {}
        self._lock = threading.Lock()
        # With REDIS_URL: a chat.fanout.Fanout carrying frames to and from other processes.
        self.relay: Any = None

    def subscribe(
        self, conversation_id: int, callback: Callable[[Frame], None] | None = None
    ) -> Subscription:
        """Receive every frame published for a conversation (internal id)."""
        return self._add(("conversation", conversation_id), callback)

    def subscribe_site(
        self, site_id: int, callback: Callable[[Frame], None] | None = None
    ) -> Subscription:
        """Receive a site's staff events (a conversation needs a human, was flagged, ...)."""
        return self._add(("site", site_id), callback)

    def publish(
        self, conversation_id: int, frame: Frame, *, skip: Subscription | None = None
    ) -> int:
        """Send a frame to every subscriber of a conversation but `skip`; returns how many
        got it in this process (with a relay, other processes' subscribers get it too)."""
        if self.relay is not None:
            return self.relay.publish(conversation_id, frame, skip)
        return self._send(("conversation", conversation_id), frame, skip)  # as deliver_local

    def publish_site(self, site_id: int, event: Frame) -> int:
        """Send an event to the site's staff subscribers; returns how many got it here."""
        if self.relay is not None:
            self.relay.publish_site(site_id, event)
        return self.deliver_site_local(site_id, event)

    def deliver_local(
        self, conversation_id: int, frame: Frame, skip: Subscription | None = None
    ) -> int:
        """Hand a conversation frame to this process's subscribers only."""
        return self._send(("conversation", conversation_id), frame, skip)

    def deliver_site_local(self, site_id: int, event: Frame) -> int:
        """Hand a site event to this process's subscribers only."""
        return self._send(("site", site_id), event)

    def subscribe_staff(self, staff_id: int, callback: Callable[[Frame], None]) -> Subscription:
        """Receive a staff member's account events (their sessions were revoked)."""
        return self._add(("staff", staff_id), callback)

    def publish_staff(self, staff_id: int, event: Frame) -> int:
        """Send an account event to the staff member's open sockets; returns how many got it
        here (with a relay, their sockets on other processes get it too)."""
        if self.relay is not None:
            self.relay.publish_staff(staff_id, event)
        return self.deliver_staff_local(staff_id, event)

    def deliver_staff_local(self, staff_id: int, event: Frame) -> int:
        """Hand an account event to this process's subscribers only."""
        return self._send(("staff", staff_id), event)

    def subscriber_count(self, conversation_id: int) -> int:
        """How many subscribers a conversation has (sockets, dashboards)."""
        with self._lock:
            return len(self._subscribers.get(("conversation", conversation_id), ()))

    def reaches_others(self, conversation_id: int, skip: Subscription | None) -> bool:
        """Whether a conversation frame published with `skip` would reach anyone (always with
        a relay: other processes may listen). A subscriber that comes after this said no reads
        the committed entry from the database (hello subscribes before it reads the backlog)."""
        if self.relay is not None:
            return True
        with self._lock:
            subscribers = self._subscribers.get(("conversation", conversation_id), ())
            return any(subscription is not skip for subscription in subscribers)

    def has_subscribers(self, channel: str, key: int) -> bool:
        """Whether anyone here listens on a channel ("conversation", "site", "staff") key."""
        return bool(self._subscribers.get((channel, key)))  # a racy read is fine: a hint

    def _add(self, key: tuple[str, int], callback: Callable[[Frame], None] | None) -> Subscription:
        subscription = Subscription(self, key, callback)
        if self.relay is not None:
            self.relay.track(key)  # before subscribing: frames from now on are in order
        with self._lock:
            self._subscribers.setdefault(key, set()).add(subscription)
        return subscription

    def _remove(self, subscription: Subscription) -> None:
        last = False
        with self._lock:
            subscribers = self._subscribers.get(subscription.key)
            if subscribers is not None:
                subscribers.discard(subscription)
                if not subscribers:
                    del self._subscribers[subscription.key]
                    last = True
        if self.relay is not None:
            self.relay.untrack(subscription.key, last)

    def _send(self, key: tuple[str, int], frame: Frame, skip: Subscription | None = None) -> int:
        with self._lock:
            targets = [sub for sub in self._subscribers.get(key, ()) if sub is not skip]
        for subscription in targets:
            try:
                subscription.deliver(frame)
            except Exception:  # one broken subscriber must not starve the others
                log.debug("hub subscriber failed; dropping it", exc_info=True)
                subscription.close()
        return len(targets)


def hub_for(app: Flask) -> Hub:
    """The app's hub (created on first use)."""
    hub = app.extensions.get(EXTENSION_KEY)
    if hub is None:
        hub = app.extensions.setdefault(EXTENSION_KEY, Hub())
    return hub


def publish(conversation_id: int, frame: Frame) -> int:
    """Publish to a conversation on the current app's hub."""
    return hub_for(current_app).publish(conversation_id, frame)


def subscribe(conversation_id: int) -> Subscription:
    """A queue subscription to a conversation on the current app's hub."""
    return hub_for(current_app).subscribe(conversation_id)


def publish_site(site_id: int, event: Frame) -> int:
    """Publish a staff event for a site on the current app's hub."""
    return hub_for(current_app).publish_site(site_id, event)


def subscribe_site(site_id: int) -> Subscription:
    """A queue subscription to a site's staff events on the current app's hub."""
    return hub_for(current_app).subscribe_site(site_id)
