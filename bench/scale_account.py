"""Where a message's CPU goes in bench/scale.py's deployment, and the capacity ceiling it implies.

At one fixed rate, through nginx to one process and then to two, it reads before and after the
load: the CPU time (user + system, /proc) of each Frontdesk process, of the PostgreSQL backends
serving the bench's database, of the bench's own Redis, nginx's workers, the instant provider
and this load generator (getrusage); Redis commands per message (INFO commandstats) and
PostgreSQL transactions, new sessions and statement time per message (pg_stat_database; a
backend that ended during the window takes its CPU with it, so with many new sessions the
backends' CPU is short and their statement time the better figure). The sum is what one
message costs the 2-core machine, so 2 cores / that sum is the most any number of processes
could carry here, whatever their latency.
"""

from __future__ import annotations

import contextlib
import os
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bench.chat_load import INTERVAL, Probe, cpu_seconds, drive, percentile, settle

Pids = Callable[[], list[int]]


def children(pid: int) -> list[int]:
    """The direct children of a process (nginx's workers)."""
    found = []
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children") as listing:
            found += [int(child) for child in listing.read().split()]
    return found


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, every core (/proc/stat)."""
    with open("/proc/stat") as stat:
        ticks = [int(value) for value in stat.readline().split()[1:]]
    idle = ticks[3] + ticks[4]  # idle + iowait
    total = sum(ticks[:8])  # guest time is already in user
    return (total - idle) / os.sysconf("SC_CLK_TCK"), total / os.sysconf("SC_CLK_TCK")


def own_cpu() -> float:
    """CPU seconds this process (the load generator, all its threads) has used."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass
class Snapshot:
    """Counters at one moment."""

    cpu: dict[str, dict[int, float]] = field(default_factory=dict)  # component -> pid -> s
    waited: dict[str, dict[int, float]] = field(default_factory=dict)  # ... run-queue s
    generator: float = 0.0
    machine: tuple[float, float] = (0.0, 0.0)
    at: float = field(default_factory=time.monotonic)
    redis_calls: dict[str, int] = field(default_factory=dict)
    pg: dict[str, int] = field(default_factory=dict)


class Accounts:
    """Reads the counters of every part of the deployment."""

    def __init__(self, parts: dict[str, Pids], redis_client, pg_admin, database: str) -> None:
        self.parts = parts
        self.redis = redis_client
        self.pg_admin = pg_admin
        self.database = database

    def backends(self) -> list[int]:
        """The PostgreSQL backends connected to the bench's database."""
        with self.pg_admin.engine.connect() as conn:
            rows = conn.exec_driver_sql(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s", (self.database,)
            ).all()
        return [row[0] for row in rows]

    def snapshot(self) -> Snapshot:
        """Every counter, now."""
        shot = Snapshot(generator=own_cpu(), machine=machine_busy())
        for name, pids in {**self.parts, "PostgreSQL backends": self.backends}.items():
            shot.cpu[name], shot.waited[name] = {}, {}
            for pid in pids():
                with contextlib.suppress(OSError):  # ended between listing and reading
                    shot.cpu[name][pid] = cpu_seconds(pid)
                    shot.waited[name][pid] = run_queue_seconds(pid)
        shot.waited["load generator"] = {os.getpid(): run_queue_seconds(os.getpid())}
        stats = self.redis.info("commandstats")
        shot.redis_calls = {name.removeprefix("cmdstat_"): int(value["calls"])
                            for name, value in stats.items()}  # fmt: skip
        with self.pg_admin.engine.connect() as conn:
            row = conn.exec_driver_sql(
                "SELECT xact_commit, xact_rollback, sessions, active_time FROM pg_stat_database "
                "WHERE datname = %s", (self.database,),
            ).one()  # fmt: skip
        shot.pg = {"commits": row[0], "rollbacks": row[1], "sessions": row[2],
                   "active ms": row[3]}  # fmt: skip
        return shot


def run_queue_seconds(pid: int) -> float:
    """Seconds the threads of a process have spent runnable but waiting for a core (the
    scheduler's schedstat; a thread that ended takes its share with it)."""
    total = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        with contextlib.suppress(OSError), open(f"/proc/{pid}/task/{task}/schedstat") as stat:
            total += int(stat.read().split()[1])
    return total / 1e9


def waited(before: Snapshot, after: Snapshot) -> dict[str, float]:
    """Run-queue seconds per component between two snapshots."""
    return {name: sum(after.waited[name][pid] - before.waited.get(name, {}).get(pid, 0.0)
                      for pid in after.waited[name]) for name in after.waited}  # fmt: skip


def spent(before: Snapshot, after: Snapshot) -> dict[str, float]:
    """CPU seconds per component between two snapshots (a process born in between counts
    from its start; one that ended in between is lost: see the sessions figure)."""
    used = {name: sum(after.cpu[name][pid] - before.cpu.get(name, {}).get(pid, 0.0)
                      for pid in after.cpu[name]) for name in after.cpu}  # fmt: skip
    used["load generator"] = after.generator - before.generator
    return used


@dataclass
class Account:
    """One measured window: messages, p99, CPU per component, Redis and PG counts."""

    name: str
    messages: int
    p99: float
    seconds: float
    cpu: dict[str, float]
    redis_calls: dict[str, int]
    pg: dict[str, int]
    machine_busy: float = 0.0  # share of the whole machine's CPU that was busy (anyone's)
    waited: dict[str, float] = field(default_factory=dict)  # run-queue seconds by component
    wall: float = 1.0  # seconds from the first snapshot to the last

    def per_message_ms(self) -> dict[str, float]:
        """CPU milliseconds per message, by component."""
        return {name: used / self.messages * 1000 for name, used in self.cpu.items()}


def measure(name: str, url: str, accounts: Accounts, chats: int, seconds: float) -> Account:
    """Load one deployment at `chats` chats for `seconds` and account for it."""
    probes = [Probe(url, chat=True) for _ in range(chats)]
    try:
        probes[0].send()  # warm the path outside the window
        settle(probes[:1])
        probes[0].take()
        before = accounts.snapshot()
        messages = drive(probes, seconds)
        settle(probes)
        after = accounts.snapshot()
    finally:
        for probe in probes:
            probe.close()
    deltas = [value for probe in probes for value in probe.take()["delta"]]
    calls = {cmd: count - before.redis_calls.get(cmd, 0)
             for cmd, count in after.redis_calls.items()}  # fmt: skip
    return Account(
        name=name, messages=messages, p99=percentile(deltas, 0.99) if deltas else float("nan"),
        seconds=seconds, cpu=spent(before, after), waited=waited(before, after),
        redis_calls={cmd: n for cmd, n in calls.items() if n > 0},
        pg={key: after.pg[key] - before.pg[key] for key in after.pg},
        machine_busy=(after.machine[0] - before.machine[0])
        / max(after.machine[1] - before.machine[1], 1e-9),
        wall=after.at - before.at,
    )  # fmt: skip


def report(accounts: list[Account], chats: int) -> None:
    """Print CPU per message by component, and the ceiling of the 2-core machine."""
    rate = chats / INTERVAL
    print(f"\n3. Where the CPU goes at {rate:.0f} msg/s ({chats} chats), CPU ms per message")
    names = list(accounts[0].cpu)
    print("  " + " " * 22 + "".join(f"{a.name:>12}" for a in accounts))
    for part in names:
        cells = "".join(f"{a.per_message_ms().get(part, 0):12.2f}" for a in accounts)
        print(f"  {part:22}{cells}")
    # Time runnable threads waited for a core: latency that is the machine's, not our CPU.
    for part in names:
        if any(part in a.waited for a in accounts):
            cells = "".join(f"{a.waited.get(part, 0) / a.messages * 1000:12.2f}" for a in accounts)
            print(f"  {'  waited: ' + part:22}{cells}")
    totals = [sum(a.per_message_ms().values()) for a in accounts]
    print(f"  {'all':22}" + "".join(f"{t:12.2f}" for t in totals))
    print(f"  {'first delta p99 ms':22}" + "".join(f"{a.p99 * 1000:12.1f}" for a in accounts))
    # How much of the machine this deployment had: the rest was other work on the shared cores.
    cores = os.cpu_count() or 1
    print(f"  {'machine busy, cores':22}" + "".join(f"{a.machine_busy * cores:12.2f}"
                                                     for a in accounts))  # fmt: skip
    print(
        f"  {'of it ours, cores':22}"
        + "".join(f"{sum(a.cpu.values()) / a.wall:12.2f}" for a in accounts)
    )
    for key in ("commits", "rollbacks", "sessions", "active ms"):
        cells = "".join(f"{a.pg[key] / a.messages:12.2f}" for a in accounts)
        print(f"  {'PG ' + key + ' / msg':22}{cells}")
    commands = sorted({cmd for a in accounts for cmd in a.redis_calls})
    for cmd in commands:
        cells = "".join(f"{a.redis_calls.get(cmd, 0) / a.messages:12.2f}" for a in accounts)
        print(f"  {'Redis ' + cmd + ' / msg':22}{cells}")
    for account, total in zip(accounts, totals, strict=True):
        print(f"  {account.name}: the whole deployment costs {total:.2f} ms CPU a message: "
              f"2 cores carry at most {2000 / total:.0f} msg/s (at 100% of both, no p99 rule)")  # fmt: skip
