"""Frames across processes: the hub's relay over the Redis bus, in seq order, gaps from the DB.

Each process delivers to its own sockets. What one process publishes goes to its own
subscribers at once and, as an envelope on the bus, to the others. Transcript frames carry
`seq`; a process remembers the last seq it delivered per conversation it has subscribers for,
and when a frame arrives past a gap (an envelope lost, or a frame of another process not yet
arrived) it reads the missing entries from the database first. So a lost pub/sub message
costs a query, never a missing frame; duplicates (the late envelope) are dropped by seq.

A process watches the bus channel of each conversation, site and staff member its sockets
listen to (realtime.bus.Bus.watch), so envelopes reach only the processes that deliver them;
one that comes anyway (a subscriber just left) is dropped on the listener thread before its
payload is parsed. The others are delivered on the listener thread itself while their
stripe is idle (a hand-off to another thread is most of the cross-process latency), and
queued to the stripe's thread when a gap must first be filled from the database or the
stripe already has work queued, so one slow query never holds up the other conversations.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # only with REDIS_URL: the redis library stays unloaded without it
    from frontdesk.realtime.bus import Bus

log = logging.getLogger(__name__)

Frame = dict[str, Any]
STRIPES = 8  # delivery threads for other processes' frames (one conversation, one thread)
KINDS = {"conversation": "c", "site": "s", "staff": "t"}  # the hub's channels -> bus kinds


class Fanout:
    """Installed on a Hub when REDIS_URL is set (see chat.hub.Hub.relay)."""

    def __init__(
        self,
        hub: Any,
        bus: Bus,
        read_since: Callable[[int, int], list[Frame]],
        last_seq: Callable[[int], int],
    ) -> None:
        self.hub = hub
        self.bus = bus
        self.read_since = read_since
        self.last_seq = last_seq
        self._last: dict[int, int] = {}  # conversation -> last seq delivered here
        self._locks = [threading.RLock() for _ in range(256)]
        self._dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
        self._queues: list[queue.Queue] = [queue.Queue() for _ in range(STRIPES)]
        for index, jobs in enumerate(self._queues):
            threading.Thread(
                target=self._work, args=(jobs,), name=f"frontdesk-fanout-{index}", daemon=True
            ).start()

    def start(self) -> None:
        """Begin listening to the other processes."""
        self.bus.start(self._envelope, self._reconnected)

    # -- called by the hub ---------------------------------------------------------------------

    def track(self, key: tuple[str, int]) -> None:
        """A subscriber is joining `key` here: watch its channel (confirmed first, so what
        is published from now on comes), then remember where a conversation stands."""
        channel, ident = key
        self.bus.watch(KINDS[channel], ident)
        if channel == "conversation":
            with self._lock(ident):
                if ident not in self._last:
                    self._last[ident] = self.last_seq(ident)

    def untrack(self, key: tuple[str, int], last: bool) -> None:
        """A subscriber of `key` left here (`last`: the last one)."""
        channel, ident = key
        if channel == "conversation" and last:
            with self._lock(ident):
                self._last.pop(ident, None)
        self.bus.unwatch(KINDS[channel], ident)

    def publish(self, conversation_id: int, frame: Frame, skip: Any) -> int:
        """Deliver a frame published here to local subscribers, and send it to the others."""
        delivered = self._deliver(conversation_id, frame, skip)
        self.bus.publish("c", conversation_id, self._dumps(frame))
        return delivered

    def publish_site(self, site_id: int, event: Frame) -> None:
        """Send a site's staff event to the other processes."""
        self.bus.publish("s", site_id, self._dumps(event))

    def publish_staff(self, staff_id: int, event: Frame) -> None:
        """Send a staff member's account event (sessions revoked) to the other processes."""
        self.bus.publish("t", staff_id, self._dumps(event))

    # -- delivery ------------------------------------------------------------------------------

    def _deliver(self, conversation_id: int, frame: Frame, skip: Any = None) -> int:
        seq = _seq(frame)
        with self._lock(conversation_id):
            last = self._last.get(conversation_id)
            if seq is not None and last is None and self.hub.subscriber_count(conversation_id):
                self._last[conversation_id] = seq  # subscribed while the last one left
            elif seq is not None and last is not None:
                if seq <= last:
                    return 0  # already delivered (filled from the database)
                if seq > last + 1:
                    self._fill(conversation_id, last, before=seq)
                self._last[conversation_id] = seq
            return self.hub.deliver_local(conversation_id, frame, skip)

    def _fill(self, conversation_id: int, after: int, before: int | None = None) -> None:
        """Deliver the transcript frames stored after `after` (and before `before`)."""
        for missing in self.read_since(conversation_id, after):
            seq = missing["seq"]
            if before is not None and seq >= before:
                break
            self.hub.deliver_local(conversation_id, missing, None)
            self._last[conversation_id] = seq

    def _envelope(self, kind: str, key: int, payload: bytes) -> None:
        """The listener thread's share: drop, deliver at once, or queue to the stripe."""
        if kind == "r":  # another process dropped envelopes while Redis was away
            self._reconnected()
            return
        if not self._wanted(kind, key):
            return  # no subscriber here: not even parsed
        frame = json.loads(payload)
        jobs = self._queues[key % STRIPES]
        if jobs.unfinished_tasks == 0 and not self._gap(kind, key, frame):
            self._handle(kind, key, frame)  # the stripe is idle: nothing to keep order with
        else:
            jobs.put((kind, key, frame))

    def _wanted(self, kind: str, key: int) -> bool:
        if kind == "c":
            return key in self._last or self.hub.subscriber_count(key) > 0
        if kind in ("s", "t"):
            return self.hub.has_subscribers("site" if kind == "s" else "staff", key)
        return False

    def _gap(self, kind: str, key: int, frame: Frame) -> bool:
        """Whether delivering the frame first needs a query (a seq missed on the way)."""
        seq = _seq(frame) if kind == "c" else None
        last = self._last.get(key)
        return seq is not None and last is not None and seq > last + 1

    def _reconnected(self) -> None:
        # Pub/sub lost whatever was published while we were away: re-read it per conversation.
        for conversation_id in list(self._last):
            self._queues[conversation_id % STRIPES].put(("resync", conversation_id, None))

    def _work(self, jobs: queue.Queue) -> None:
        while True:
            kind, key, frame = jobs.get()
            try:
                self._handle(kind, key, frame)
            except Exception:  # a failed delivery must not stop the stripe
                log.exception("fan-out delivery failed")
            finally:
                jobs.task_done()  # the listener delivers inline only once this reaches 0

    def _handle(self, kind: str, key: int, frame: Frame | None) -> None:
        if kind == "s":
            self.hub.deliver_site_local(key, frame)
        elif kind == "t":
            self.hub.deliver_staff_local(key, frame)
        elif kind == "c":
            if key in self._last or self.hub.subscriber_count(key):
                self._deliver(key, frame)
        elif kind == "resync":
            with self._lock(key):
                last = self._last.get(key)
                if last is not None:
                    self._fill(key, last)

    def _lock(self, conversation_id: int) -> threading.RLock:
        return self._locks[conversation_id % len(self._locks)]


def _seq(frame: Frame) -> int | None:
    """The transcript seq of a message frame (other frames are transient)."""
    if frame.get("type") == "message" and isinstance(frame.get("seq"), int):
        return frame["seq"]
    return None


def install(app: Any, bus: Bus) -> Fanout:
    """Put a relay on the app's hub, reading gaps from the app's database, and start it."""
    from frontdesk.chat import transcript
    from frontdesk.chat.hub import hub_for
    from frontdesk.chat.protocol import message_frame

    db = app.extensions["frontdesk.db"]

    def read_since(conversation_id: int, after: int) -> list[Frame]:
        return [message_frame(e) for e in transcript.visible_since(db, conversation_id, after)]

    def last_seq(conversation_id: int) -> int:
        return transcript.last_seq(db, conversation_id)

    hub = hub_for(app)
    hub.relay = Fanout(hub, bus, read_since, last_seq)
    hub.relay.start()
    return hub.relay
