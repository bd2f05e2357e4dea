"""Redis commands and round trips per chat message, with REDIS_URL set (one process).

Run: .venv/bin/python bench/redis_trips.py [--chats 20] [--messages 5] [--compare PATH]

Starts a private redis-server, a scratch PostgreSQL database (as bench/scale.py does), the
instant provider and one Frontdesk process per tree whose Redis connections go through a
counting TCP proxy here. Each chat sends its messages one after another, each after the last
one's reply ended. Printed per message: the commands Redis ran (MONITOR: those a client sent
and those run inside scripts, by name) and the round trips (a client's bytes answered by
Redis's bytes, per connection; the one-way connection never gets an answer). Idle traffic
(health checks, renewals, subscription pings) is measured over the same time without load
and taken off.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import json
import socket
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "server"), str(ROOT)]

from bench.chat import spawn  # noqa: E402
from bench.chat_load import ORIGIN  # noqa: E402
from bench.scale import scratch_database, start_process  # noqa: E402
from tests.support.redis_servers import PrivateRedis  # noqa: E402
from tests.support.servers import free_port  # noqa: E402


class CountingProxy:
    """TCP proxy to Redis counting round trips: client bytes followed by server bytes."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self.trips = 0
        self._lock = threading.Lock()
        listener = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            client, _ = listener.accept()
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            state = {"asked": False}
            threading.Thread(target=self._pipe, args=(client, upstream, state, True),
                             daemon=True).start()  # fmt: skip
            threading.Thread(target=self._pipe, args=(upstream, client, state, False),
                             daemon=True).start()  # fmt: skip

    def _pipe(self, source: socket.socket, sink: socket.socket, state: dict, asking: bool) -> None:
        try:
            while data := source.recv(65536):
                with self._lock:
                    if asking:
                        state["asked"] = True
                    elif state["asked"]:
                        state["asked"] = False
                        self.trips += 1
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)


class Monitor:
    """MONITOR on a connection of its own: counts commands by name, client-sent or in Lua."""

    def __init__(self, port: int) -> None:
        self.counts: collections.Counter[str] = collections.Counter()
        self._sock = socket.create_connection(("127.0.0.1", port))
        self._sock.sendall(b"MONITOR\r\n")
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        buffer = b""
        while data := self._sock.recv(65536):
            buffer += data
            *lines, buffer = buffer.split(b"\r\n")
            for line in lines:
                if not line.startswith(b"+") or b"[" not in line:
                    continue
                source, _, rest = line.partition(b"] ")
                name = rest.split(b" ", 1)[0].strip(b'"').decode().upper()
                where = "lua" if b" lua" in source else "client"
                self.counts[f"{where} {name}"] += 1

    def take(self) -> collections.Counter[str]:
        """The counts so far, and start again."""
        time.sleep(0.3)
        found, self.counts = self.counts, collections.Counter()
        return found


def converse(url: str, key: str, chats: int, messages: int) -> int:
    """`chats` chats in parallel, each sending `messages` messages in turn; messages sent."""
    import websocket

    def one() -> None:
        conn = websocket.create_connection(f"{url}/ws/chat?site={key}", origin=ORIGIN, timeout=30)
        conn.send(json.dumps({"type": "hello", "tz": "UTC"}))
        while json.loads(conn.recv())["type"] != "welcome":
            pass
        for index in range(messages):
            conn.send(json.dumps({"type": "message", "id": uuid.uuid4().hex, "text": f"m{index}"}))
            while True:
                frame = json.loads(conn.recv())
                if frame.get("type") == "message" and frame.get("role") == "assistant":
                    break
        conn.close()

    threads = [threading.Thread(target=one) for _ in range(chats)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return chats * messages


def measure(name: str, url: str, key: str, proxy: CountingProxy, monitor: Monitor, args) -> None:
    """Print one tree's figures."""
    monitor.take()
    converse(url, key, 1, 1)  # warm: scripts loaded, pools filled
    time.sleep(0.5)
    monitor.take()
    trips0 = proxy.trips
    started = time.monotonic()
    sent = converse(url, key, args.chats, args.messages)
    time.sleep(0.5)
    busy, trips = monitor.take(), proxy.trips - trips0
    elapsed = time.monotonic() - started
    trips0 = proxy.trips
    time.sleep(elapsed)  # the same time idle: what runs without messages
    idle, idle_trips = monitor.take(), proxy.trips - trips0
    per = {cmd: (busy[cmd] - idle.get(cmd, 0)) / sent for cmd in busy}
    total = sum(per.values())
    client = sum(value for cmd, value in per.items() if cmd.startswith("client"))
    print(f"\n{name}: {sent} messages ({args.chats} chats x {args.messages})")
    print(f"  commands per message: {total:.2f} ({client:.2f} sent by clients, "
          f"{total - client:.2f} inside scripts)")  # fmt: skip
    print(f"  round trips per message: {(trips - idle_trips) / sent:.2f}")
    for cmd, value in sorted(per.items(), key=lambda item: -item[1]):
        if abs(value) >= 0.005:
            print(f"    {cmd:28s} {value:6.2f}")


def main() -> None:
    """Start everything, measure each tree, stop everything."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=20)
    parser.add_argument("--messages", type=int, default=5)
    parser.add_argument("--compare", type=Path, help="a checkout of other code, measured too")
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="fd-trips-")
    url, key, (admin, name) = scratch_database()
    redis = PrivateRedis(Path(workdir)).start()
    llm, (llm_url,) = spawn("--role", "llm")
    children = [llm]
    try:
        trees = {"this code": ROOT, **({"compared": args.compare.resolve()} if args.compare
                                       else {})}  # fmt: skip
        for label, tree in trees.items():
            proxy = CountingProxy(redis.port)
            monitor = Monitor(redis.port)
            redis_url = f"redis://127.0.0.1:{proxy.port}/0"
            prefix = f"trips-{uuid.uuid4().hex[:8]}"
            child, port = start_process(tree, llm_url, url, redis_url, prefix, workdir)
            children.append(child)
            measure(label, f"ws://127.0.0.1:{port}", key, proxy, monitor, args)
            child.kill()
    finally:
        for child in children:
            child.kill()
        redis.stop()
        with admin.engine.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
