"""What a late first `delta` lines up with: bench/scale.py's deployment at one level, traced.

Run: .venv/bin/python bench/scale_trace.py [--chats 200] [--processes 2] [--duration 60]

One deployment (one or two processes behind nginx, the bench's own PostgreSQL and Redis, the
instant provider) carries one level for `duration` s while everything that could stall a
message is recorded on one clock (CLOCK_MONOTONIC):
- the load generator: each message's send and first `delta`, how late each send went out
  (its own loop's lag) and its garbage collections;
- each Frontdesk process: garbage collections and a watchdog thread's lateness (a thread
  that sleeps 5 ms and notes when it wakes late: the process was starved of the GIL or a core);
- a sampler process: /proc/stat (iowait, steal), /proc/diskstats, /proc/pressure, and what the
  PostgreSQL backends are waiting on (pg_stat_activity, every 20 ms);
- an fsync prober: 4 KiB written and fdatasync'd every 50 ms on the cluster's filesystem;
- PostgreSQL's log (checkpoints, statements over 20 ms, lock waits, autovacuum), pg_stat_wal
  and pg_stat_bgwriter before and after; Redis's LATENCY and SLOWLOG.
A stall is a cluster of messages whose first `delta` took over 50 ms; each is printed with what
overlapped it. --tmpfs puts the cluster's data folder on /dev/shm (fsync then costs nothing).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "server"), str(ROOT)]

from bench import chat_load, scale, scale_postgres  # noqa: E402
from bench.chat import raise_fd_limit, spawn  # noqa: E402
from bench.chat_load import Probe, Server, percentile, run_level  # noqa: E402
from bench.scale_balancer import start_nginx  # noqa: E402
from tests.support.redis_servers import PrivateRedis  # noqa: E402
from tests.support.servers import free_port  # noqa: E402

TRACE_ENV = "FRONTDESK_BENCH_TRACE"  # a serving process with this set traces itself there
LATE = 0.050
PG_LOGGING = {
    "log_checkpoints": "on", "log_min_duration_statement": "20", "log_lock_waits": "on",
    "deadlock_timeout": "20ms", "log_autovacuum_min_duration": "0", "track_io_timing": "on",
    "track_wal_io_timing": "on", "log_line_prefix": "%m [%p] ", "log_timezone": "UTC",
}  # fmt: skip


def instrument_process(folder: str) -> None:
    """In a serving process: log its collections and its watchdog's lateness to `folder`."""
    out = open(Path(folder) / f"proc-{os.getpid()}.log", "a", buffering=1)  # noqa: SIM115
    started: dict[str, float] = {}

    def collected(phase: str, info: dict) -> None:
        if phase == "start":
            started["t"] = time.monotonic()
        elif (took := time.monotonic() - started.get("t", time.monotonic())) > 0.002:
            size = len(gc.get_objects(2)) if info["generation"] == 2 else 0
            out.write(f"gc {started['t']:.4f} {took:.4f} {info['generation']} {size} "
                      f"{gc.get_freeze_count()}\n")  # fmt: skip

    gc.callbacks.append(collected)

    def watchdog() -> None:
        while True:
            before = time.monotonic()
            time.sleep(0.005)
            if (late := time.monotonic() - before - 0.005) > 0.010:
                out.write(f"lag {before:.4f} {late:.4f}\n")

    threading.Thread(target=watchdog, name="bench-watchdog", daemon=True).start()


def sampler(folder: str, pg_url: str) -> None:
    """Child process: /proc counters and PostgreSQL's wait events every 20 ms until killed."""
    import psycopg

    conn = psycopg.connect(pg_url, autocommit=True)
    out = open(Path(folder) / "sampler.log", "w", buffering=1)  # noqa: SIM115
    query = ("SELECT coalesce(wait_event_type, '-') || ':' || coalesce(wait_event, 'cpu') "
             "FROM pg_stat_activity WHERE state = 'active' AND backend_type = 'client backend' "
             "AND pid <> pg_backend_pid()")  # fmt: skip
    print("READY sampler", flush=True)
    while True:
        now = time.monotonic()
        cpu = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]
        disk = next(line.split()[3:] for line in Path("/proc/diskstats").read_text().splitlines()
                    if line.split()[2] == "vda")  # fmt: skip
        pressure = [Path(f"/proc/pressure/{kind}").read_text().split("total=")[1].split()[0]
                    for kind in ("cpu", "io")]  # fmt: skip
        waits = [row[0] for row in conn.execute(query)]
        out.write(json.dumps([now, cpu, disk[:11], pressure, waits]) + "\n")
        time.sleep(max(0.0, 0.020 - (time.monotonic() - now)))


def fsync_prober(folder: str, where: str) -> None:
    """Child process: 4 KiB written and fdatasync'd in `where` every 50 ms, each timed."""
    out = open(Path(folder) / "fsync.log", "w", buffering=1)  # noqa: SIM115
    target = os.open(Path(where) / "fsync-probe", os.O_WRONLY | os.O_CREAT, 0o600)
    block = os.urandom(4096)
    print("READY fsync", flush=True)
    while True:
        start = time.monotonic()
        os.pwrite(target, block, 0)
        os.fdatasync(target)
        out.write(f"{start:.4f} {time.monotonic() - start:.5f}\n")
        time.sleep(0.05)


class Recorder:
    """The generator's own records: every first `delta` (sent, came), each send's lateness
    (its loop's lag) and its own garbage collections."""

    def __init__(self) -> None:
        self.deltas: list[tuple[float, float]] = []
        self.lag: list[tuple[float, float]] = []
        self.gc: list[tuple[float, float]] = []
        arrived = Probe._arrived

        def traced_arrived(probe: Probe, raw: str, now: float) -> None:
            count = len(probe.latencies["delta"])
            arrived(probe, raw, now)
            if len(probe.latencies["delta"]) > count:
                self.deltas.append((now - probe.latencies["delta"][-1], now))

        Probe._arrived = traced_arrived
        untraced = chat_load.drive
        chat_load.drive = lambda probes, duration: untraced(probes, duration, lag=self.lag)
        started: dict[str, float] = {}

        def collected(phase: str, info: dict) -> None:
            if phase == "start":
                started["t"] = time.monotonic()
            elif (took := time.monotonic() - started.get("t", time.monotonic())) > 0.002:
                self.gc.append((started["t"], took))

        gc.callbacks.append(collected)


def _read_pairs(path: Path, tag: str | None = None) -> list[tuple[float, float]]:
    """(time, seconds) rows of a log: 'tag t s ...' lines, or 't s' lines with no tag."""
    rows = []
    for line in path.read_text().splitlines() if path.exists() else []:
        parts = line.split()
        if tag is None:
            rows.append((float(parts[0]), float(parts[1])))
        elif parts and parts[0] == tag:
            rows.append((float(parts[1]), float(parts[2])))
    return rows


def _pg_log(path: Path, offset: float) -> list[tuple[float, str]]:
    """PostgreSQL's log lines on the monotonic clock (`offset` = wall - monotonic)."""
    from datetime import datetime

    rows = []
    for line in path.read_text(errors="replace").splitlines() if path.exists() else []:
        try:
            stamp = datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S.%f")
        except ValueError:
            continue  # a continuation line (a statement's text)
        stamp = stamp.replace(tzinfo=UTC).timestamp()  # log_timezone is UTC
        rows.append((stamp - offset, line[28:200]))
    return rows


def stalls(deltas: list[tuple[float, float]]) -> list[tuple[float, float, int, float]]:
    """Clusters of late first deltas: (first send, last arrival, messages, worst seconds)."""
    late = sorted((sent, came) for sent, came in deltas if came - sent > LATE)
    found: list[list[float]] = []
    for sent, came in late:
        if found and sent <= found[-1][1] + 0.05:
            cluster = found[-1]
            cluster[1], cluster[2] = max(cluster[1], came), cluster[2] + 1
            cluster[3] = max(cluster[3], came - sent)
        else:
            found.append([sent, came, 1, came - sent])
    return [tuple(cluster) for cluster in found]  # type: ignore[misc]


def _window(rows: list, start: float, end: float) -> list:
    return [row for row in rows if start <= row[0] <= end]


def report(folder: Path, rec: Recorder, span: tuple[float, float], offset: float) -> None:
    """Print each stall with what overlapped it, then the run's own distributions."""
    from collections import Counter

    span = (min(due for due, _ in rec.lag), span[1])  # times below: from the first send
    deltas = [(s, c) for s, c in rec.deltas if span[0] <= s <= span[1]]
    for label, since in (("all", span[0]), ("after each chat's first message", span[0] + 2.5)):
        values = [c - s for s, c in deltas if s >= since]
        print(f"first deltas ({label}): {len(values)}, p50 {percentile(values, 0.5) * 1000:.1f} "
              f"ms, p99 {percentile(values, 0.99) * 1000:.1f} ms, over 50 ms: "
              f"{sum(v > LATE for v in values)}")  # fmt: skip
    procs = {p.name: (_read_pairs(p, "gc"), _read_pairs(p, "lag"))
             for p in sorted(folder.glob("proc-*.log"))}  # fmt: skip
    fsyncs = _read_pairs(folder / "fsync.log")
    samples = [json.loads(line) for line in (folder / "sampler.log").read_text().splitlines()]
    pg_lines = _pg_log(folder / "pg.log", offset)
    for start, end, count, worst in stalls(deltas):
        print(f"\nstall at {start - span[0]:7.2f} s .. {end - span[0]:7.2f} s: "
              f"{count} late, worst {worst * 1000:.0f} ms")  # fmt: skip
        lo, hi = start - 0.1, end
        cells = [f"generator lag max {max([lag for _, lag in _window(rec.lag, lo, hi)], default=0) * 1000:.0f} ms",
                 f"generator gc {sum(d for _, d in _window(rec.gc, lo, hi)) * 1000:.0f} ms"]  # fmt: skip
        for name, (gcs, lags) in procs.items():
            cells.append(f"{name[5:-4]} gc {sum(d for _, d in _window(gcs, lo, hi)) * 1000:.0f} ms "
                         f"lag max {max([d for _, d in _window(lags, lo, hi)], default=0) * 1000:.0f} ms")  # fmt: skip
        cells.append(
            f"fsync max {max([d for _, d in _window(fsyncs, lo - 0.1, hi)], default=0) * 1000:.1f} ms"
        )
        inside = _window(samples, lo, hi)
        if len(inside) >= 2:
            first, last = inside[0], inside[-1]
            ticks = [int(b) - int(a) for a, b in zip(first[1], last[1], strict=True)]
            total = sum(ticks) or 1
            cells.append(f"cpu busy {100 - 100 * ticks[3] / total:.0f}% iowait {100 * ticks[4] / total:.0f}% "
                         f"steal {100 * ticks[7] / total:.0f}%")  # fmt: skip
            seconds = last[0] - first[0]
            psi = [
                (int(b) - int(a)) / 1e6 / seconds for a, b in zip(first[3], last[3], strict=True)
            ]
            cells.append(f"psi some cpu {psi[0] * 100:.0f}% io {psi[1] * 100:.0f}%")
            cells.append(f"disk in flight max {max(int(s[2][8]) for s in inside)}")
            waits = Counter(w for s in inside for w in s[4])
            cells.append("pg waits " + ", ".join(f"{k} {v}" for k, v in waits.most_common(4)))
            cells.append(
                f"most backends in a lock wait at once {max(sum(w.startswith('Lock:') for w in s[4]) for s in inside)}"
            )
        print("  " + "; ".join(cells))
        for _, text in _window(pg_lines, start - 0.5, end + 0.1):
            print("  pg: " + text[:160])
    print("\nThe run as a whole:")
    durations = sorted(d for _, d in fsyncs)
    if durations:
        print(f"  fsync probe: {len(durations)} calls, p50 {percentile(durations, 0.5) * 1000:.2f} ms, "
              f"p99 {percentile(durations, 0.99) * 1000:.2f} ms, max {durations[-1] * 1000:.1f} ms, "
              f"over 20 ms {sum(d > 0.02 for d in durations)}")  # fmt: skip
        edges = (0.001, 0.002, 0.005, 0.010, 0.020, 0.050)
        counts = [sum(lo < d <= hi for d in durations)
                  for lo, hi in zip((0, *edges), (*edges, 99), strict=True)]  # fmt: skip
        print("  fsync probe histogram (ms): " + ", ".join(
            f"{label} {n}" for label, n in zip(("<=1", "1-2", "2-5", "5-10", "10-20", "20-50",
                                                ">50"), counts, strict=True)))  # fmt: skip
    lags = [lag for _, lag in rec.lag]
    print(f"  generator send lag: p99 {percentile(lags, 0.99) * 1000:.1f} ms, max {max(lags) * 1000:.1f} ms; "
          f"gc over 2 ms: {len(rec.gc)}, longest {max([d for _, d in rec.gc], default=0) * 1000:.1f} ms")  # fmt: skip
    for name, (gcs, lags) in procs.items():
        print(f"  {name}: gc over 2 ms {len(gcs)}, longest {max([d for _, d in gcs], default=0) * 1000:.1f} ms; "
              f"watchdog late > 10 ms {len(lags)}, longest {max([d for _, d in lags], default=0) * 1000:.1f} ms")  # fmt: skip
    if len(samples) >= 2:
        ticks = [int(b) - int(a) for a, b in zip(samples[0][1], samples[-1][1], strict=True)]
        print(f"  cpu: busy {100 - 100 * ticks[3] / sum(ticks):.0f}%, steal {100 * ticks[7] / sum(ticks):.1f}%, "
              f"iowait {100 * ticks[4] / sum(ticks):.1f}%")  # fmt: skip
        print("  pg waits: " + ", ".join(f"{k} {v}" for k, v in
                                         Counter(w for s in samples for w in s[4]).most_common(8)))  # fmt: skip
    for _, text in pg_lines:
        if "checkpoint" in text or "automatic" in text:
            print("  pg: " + text[:160])


def main() -> None:
    """Start the deployment and its tracers, carry one level, print the stalls."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=200)
    parser.add_argument("--processes", type=int, default=2, choices=[1, 2])
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--warm", action="store_true", help="each chat's first message unmeasured")
    parser.add_argument("--tmpfs", action="store_true", help="the cluster's data on /dev/shm")
    parser.add_argument("--role", choices=["sampler", "fsync"], help=argparse.SUPPRESS)
    parser.add_argument("--args", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.role == "sampler":
        return sampler(*args.args)
    if args.role == "fsync":
        return fsync_prober(*args.args)
    raise_fd_limit()
    folder = Path(tempfile.mkdtemp(prefix="fd-trace-"))
    os.chmod(folder, 0o777)
    os.environ[TRACE_ENV] = str(folder)
    print(f"tracing into {folder}; load average {os.getloadavg()[0]:.2f}")
    parent = "/dev/shm" if args.tmpfs else "/var/tmp"
    pg = scale_postgres.PrivatePostgres(free_port(), settings=PG_LOGGING,
                                        log=str(folder / "pg.log"), parent=parent).start()  # fmt: skip
    children: list[subprocess.Popen] = []
    redis_server = PrivateRedis(folder).start()
    try:
        url, key, (admin, name) = scale_postgres.scratch_database(pg.url)
        plain = url.replace("+psycopg", "")
        for role, where in (("sampler", [str(folder), plain]), ("fsync", [str(folder), parent])):
            child = subprocess.Popen([sys.executable, __file__, "--role", role, "--args", *where],
                                     stdout=subprocess.PIPE, text=True, cwd=ROOT)  # fmt: skip
            child.stdout.readline()
            children.append(child)
        llm, (llm_url,) = spawn("--role", "llm")
        children.append(llm)
        started = [scale.start_process(ROOT, llm_url, url, redis_server.url, "trace", str(folder))
                   for _ in range(args.processes)]  # fmt: skip
        children += [child for child, _ in started]
        nginx, listen = start_nginx(str(folder), {"up": [port for _, port in started]})
        children.append(nginx)
        pids = [child.pid for child, _ in started]
        scale.DEPLOYMENT_PIDS[pids[0]] = pids
        import psycopg
        import redis

        rclient = redis.Redis.from_url(redis_server.url)
        rclient.config_set("latency-monitor-threshold", 5)
        rclient.config_set("slowlog-log-slower-than", 5000)
        stats = "SELECT row_to_json(w)::text FROM pg_stat_wal w UNION ALL SELECT row_to_json(b)::text FROM pg_stat_bgwriter b"
        with psycopg.connect(plain, autocommit=True) as conn:
            before = [row[0] for row in conn.execute(stats)]
        server = Server("deployment", f"ws://127.0.0.1:{listen['up']}/ws/chat?site={key}",
                        pids[0], chat=True)  # fmt: skip
        recorder = Recorder()
        offset = time.time() - time.monotonic()
        start = time.monotonic()
        run_level([server], chats=args.chats, duration=args.duration, rounds=1, warm=args.warm)
        if args.warm:
            print(f"warm-up (each chat's first message): p50 {percentile(server.first, 0.5) * 1000:.1f} ms, "
                  f"p99 {percentile(server.first, 0.99) * 1000:.1f} ms, "
                  f"CPU per message {server.first_cpu_ms:.2f} ms")  # fmt: skip
        span = (start, time.monotonic())
        with psycopg.connect(plain, autocommit=True) as conn:
            after = [row[0] for row in conn.execute(stats)]
        print(f"{args.processes} process(es), {args.chats} chats ({args.chats / 2:.0f} msg/s), "
              f"{args.duration:.0f} s, data on {parent}; CPU per message "
              f"{server.cpu_per_message_ms():.2f} ms, unanswered {server.unanswered}")  # fmt: skip
        for label, a, b in zip(("pg_stat_wal", "pg_stat_bgwriter"), before, after, strict=True):
            a, b = json.loads(a), json.loads(b)
            print(f"  {label}: " + ", ".join(f"{k} +{b[k] - a[k]:.0f}" for k in a
                                              if isinstance(a[k], int | float) and b[k] != a[k]))  # fmt: skip
        print(f"  redis latency: {rclient.execute_command('LATENCY', 'LATEST')}; "
              f"slowlog: {[(e['duration'], e['command'][:40]) for e in rclient.slowlog_get(10)]}")  # fmt: skip
        time.sleep(0.3)
        report(folder, recorder, span, offset)
        admin.dispose()
    finally:
        for child in children:
            child.terminate() if child.args[0] == "nginx" else child.kill()
        redis_server.stop()
        pg.stop()


if __name__ == "__main__":
    main()
