"""bench/chat.py's load generator: open-loop chats against several servers, interleaved in rounds.

Each server gets its own sockets (one per chat). A level runs in rounds; in each round every
server in turn carries the load for a slice of the time (the order rotates from round to
round), so a burst of noise on this shared machine lands on all of them alike instead of on
whichever server happened to be measured during it. Each server's samples are pooled over the
rounds. The server's CPU time (user + system, from /proc) over its slices, divided by the
messages sent to it, is its CPU per message: a figure the machine's noise barely moves.
"""

from __future__ import annotations

import contextlib
import heapq
import json
import os
import random
import time
import uuid
from collections import deque
from dataclasses import dataclass, field

from bench.ws_client import Loop, WebSocket

ORIGIN = "http://127.0.0.1"
INTERVAL = 2.0  # seconds between one chat's messages
SETTLE = 3.0  # seconds the last replies of a slice may take
TEXT = "What do you offer?"
LOOP = Loop()  # reads every probe's socket, from the thread that drives the load


def percentile(values: list[float], share: float) -> float:
    """The value below which `share` of the values fall (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Probe:
    """One chat or echo socket: replies to our sends are timestamped as they come off it.

    Chat sockets record two latencies per message: `ack` (stored) and `delta` (first piece of
    the answer, the headline figure). No `typing` comes: the instant provider answers within
    the engine's typing grace period. Every probe is read by LOOP from the thread that drives
    the load (bench/ws_client.py), so the generator is one thread however many sockets it has.
    """

    def __init__(self, url: str, *, chat: bool) -> None:
        self.chat = chat
        self.conn = WebSocket(url, origin=ORIGIN, timeout=60)
        kinds = ("ack", "delta") if chat else ("delta",)  # an echo socket has no ack
        self.pending: dict[str, deque[float]] = {kind: deque() for kind in kinds}
        self.latencies: dict[str, list[float]] = {key: [] for key in self.pending}
        self.seen_replies: set[str] = set()
        if chat:
            self.conn.send(json.dumps({"type": "hello", "tz": "UTC"}))
            while json.loads(self.conn.recv())["type"] != "welcome":
                pass
        self.conn.inbox.clear()  # what came with the welcome answers no send of ours
        LOOP.register(self.conn, self._arrived)

    def take(self) -> dict[str, list[float]]:
        """The latencies recorded since the last take, and forget them."""
        taken = {key: list(values) for key, values in self.latencies.items()}
        for values in self.latencies.values():
            values.clear()
        return taken

    def waiting(self) -> int:
        """Sends whose reply has not come yet."""
        return len(self.pending["delta"])

    def send(self) -> None:
        """Send one visitor message (or echo payload) and note the time."""
        payload = json.dumps({"type": "message", "id": uuid.uuid4().hex, "text": TEXT})
        now = time.perf_counter()
        for queue in self.pending.values():
            queue.append(now)
        self.conn.send(payload)

    def _kind(self, raw: str) -> str | None:
        if not self.chat:
            return "delta"  # the echo is the whole answer
        frame = json.loads(raw)
        kind = frame.get("type")
        if kind == "delta":
            if frame["reply"] in self.seen_replies:
                return None
            self.seen_replies.add(frame["reply"])
        return kind if kind in self.pending else None

    def _arrived(self, raw: str, now: float) -> None:
        kind = self._kind(raw)
        if kind is not None and self.pending[kind]:
            self.latencies[kind].append(now - self.pending[kind].popleft())

    def close(self) -> None:
        """Stop reading the socket and close it."""
        LOOP.unregister(self.conn)
        with contextlib.suppress(Exception):
            self.conn.close()


def machine_split() -> tuple[float, float]:
    """(CPU seconds the machine has been busy, CPU seconds used by this process and its
    descendants, the deployment under test): their difference over a slice is other work's."""
    ticks = os.sysconf("SC_CLK_TCK")
    fields = [int(v) for v in open("/proc/stat").readline().split()[1:9]]  # noqa: SIM115
    busy = (sum(fields) - fields[3] - fields[4]) / ticks  # all but idle and iowait
    parents, used = {}, {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError), open(f"/proc/{entry}/stat") as stat:
                rest = stat.read().rsplit(")", 1)[1].split()
                parents[int(entry)] = int(rest[1])
                used[int(entry)] = (int(rest[11]) + int(rest[12])) / ticks
    ours, todo = {os.getpid()}, [os.getpid()]
    children: dict[int, list[int]] = {}
    for pid, parent in parents.items():
        children.setdefault(parent, []).append(pid)
    while todo:
        for child in children.get(todo.pop(), []):
            ours.add(child)
            todo.append(child)
    return busy, sum(used.get(pid, 0.0) for pid in ours)


@dataclass
class Server:
    """A server under load: where to connect, its process, and what was measured."""

    name: str
    url: str
    pid: int
    chat: bool
    probes: list[Probe] = field(default_factory=list)
    latencies: dict[str, list[float]] = field(default_factory=lambda: {"ack": [], "delta": []})
    sends: int = 0
    cpu: float = 0.0
    unanswered: int = 0
    first: list[float] = field(default_factory=list)  # run_level(warm=True): first deltas
    rounds: list[list[float]] = field(default_factory=list)  # each round's first deltas
    first_cpu_ms: float = 0.0  # CPU per message of the warm-up (conversations' first)
    others: list[float] = field(default_factory=list)  # each round: cores other work used

    def reset(self) -> None:
        """Forget what an earlier level measured."""
        self.latencies = {"ack": [], "delta": []}
        self.sends, self.cpu, self.unanswered = 0, 0.0, 0
        self.first, self.rounds, self.others = [], [], []

    def cpu_per_message_ms(self) -> float:
        """Server CPU time per message sent to it, in ms."""
        return self.cpu / self.sends * 1000 if self.sends else 0.0


def drive(probes: list[Probe], duration: float, lag: list | None = None) -> int:
    """Open loop for `duration` s: each probe sends every INTERVAL s from a random phase;
    `lag`, when given, gets (due, seconds late) for every send."""
    start = time.perf_counter() + 0.2
    schedule = [(start + random.random() * INTERVAL, index) for index in range(len(probes))]
    heapq.heapify(schedule)
    end, sends = start + duration, 0
    while schedule:
        due, index = heapq.heappop(schedule)
        if due >= end:
            continue
        while (pause := due - time.perf_counter()) > 0:
            LOOP.pump(pause)  # read replies until the send is due
        if lag is not None:
            lag.append((due, time.perf_counter() - due))
        probes[index].send()
        sends += 1
        heapq.heappush(schedule, (due + INTERVAL, index))
    return sends


def drive_once(probes: list[Probe]) -> None:
    """Each probe sends one message, at a random moment of one INTERVAL (the level's rate)."""
    start = time.perf_counter() + 0.2
    for due, index in sorted((start + random.random() * INTERVAL, i) for i in range(len(probes))):
        while (pause := due - time.perf_counter()) > 0:
            LOOP.pump(pause)
        probes[index].send()


def settle(probes: list[Probe]) -> int:
    """Wait (up to SETTLE s) for the last replies; returns how many never came."""
    deadline = time.perf_counter() + SETTLE
    while (left := deadline - time.perf_counter()) > 0:
        if not any(probe.waiting() for probe in probes):
            return 0
        pause_until = time.perf_counter() + min(0.01, left)
        while (pause := pause_until - time.perf_counter()) > 0:
            LOOP.pump(pause)
    return sum(probe.waiting() for probe in probes)


def run_slice(server: Server, duration: float) -> None:
    """Load one server for `duration` s and add what was measured to its totals."""
    before, split, started = cpu_seconds(server.pid), machine_split(), time.perf_counter()
    server.sends += drive(server.probes, duration)
    server.unanswered += settle(server.probes)
    server.cpu += cpu_seconds(server.pid) - before
    (busy, ours), elapsed = machine_split(), time.perf_counter() - started
    server.others.append(max(0.0, (busy - split[0]) - (ours - split[1])) / elapsed)
    server.rounds.append([])
    for probe in server.probes:
        for kind, values in probe.take().items():
            server.latencies[kind].extend(values)
            if kind == "delta":
                server.rounds[-1].extend(values)


def run_level(servers: list[Server], *, chats: int, duration: float, rounds: int,
              warm: bool = False) -> None:  # fmt: skip
    """Measure every server at `chats` concurrent chats, `duration` s each, in `rounds` rounds.

    warm: every chat first sends one message at the level's rate, unmeasured (see
    bench/scale.py: each chat's first message is a conversation's first, and a level's
    chats all start at once), and `Server.first` keeps those first deltas."""
    for server in servers:
        server.reset()
        server.probes = [Probe(server.url, chat=server.chat) for _ in range(chats)]
        server.probes[0].send()  # warm the path (connection pools, imports) outside the figures
        settle(server.probes[:1])
        server.probes[0].take()
        if warm:
            before = cpu_seconds(server.pid)
            drive_once(server.probes)
            server.unanswered += settle(server.probes)
            server.first_cpu_ms = (cpu_seconds(server.pid) - before) / chats * 1000
            server.first = [v for probe in server.probes for v in probe.take()["delta"]]
    try:
        for round_index in range(rounds):
            shift = round_index % len(servers)
            for server in servers[shift:] + servers[:shift]:
                run_slice(server, duration / rounds)
    finally:
        for server in servers:
            for probe in server.probes:
                probe.close()
            server.probes = []
