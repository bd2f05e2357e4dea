"""Our cost over the floor, before and after, in one run: CPU per message and first-delta latency.

Run: .venv/bin/python bench/chat_compare.py [--compare PATH] [--chats 200] [--duration 30]
                                            [--rounds 5] [--floor-plus]

Servers, taking turns in rounds under the same open-loop load (bench/chat_load.py), all on
SQLite with the instant provider (bench/instant_llm.py):
- this code (bench/chat.py's chat server);
- with --compare PATH, the code of another checkout (e.g. `git archive main~3 | tar -x -C
  /tmp/base`), so a change is measured before / after under the same noise;
- with --floor-plus, the floor plus the database work ours does per message and the floor
  leaves out: it reads the conversation's row before the turn and stores the reply with the
  turn's state, clears the message's pending mark and adds the day's tokens in one
  transaction. What is left between ours and it is our own code;
- the floor (bench/floor_chat.py, unchanged).
Printed per server: first delta p50 / p99, CPU per message (user + system from /proc, and the
system part), and each server's ratios to the floor (targets: CPU <= 1.5x, p99 <= 1.5x).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "server"), str(ROOT)]

from bench import chat_load  # noqa: E402
from bench.chat import raise_fd_limit, spawn  # noqa: E402
from bench.chat_load import Server, percentile, run_level  # noqa: E402
from bench.floor_chat import FloorChat  # noqa: E402

SYSTEM_SECONDS: dict[int, float] = {}  # pid -> system CPU over its slices
_started: dict[int, float] = {}


def cpu_seconds(pid: int) -> float:
    """chat_load's CPU reading, also adding up the system part over each slice."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    user, system = int(fields[11]) / tick, int(fields[12]) / tick
    if pid in _started:  # the slice's end (run_slice reads before and after)
        SYSTEM_SECONDS[pid] = SYSTEM_SECONDS.get(pid, 0.0) + system - _started.pop(pid)
    else:
        _started[pid] = system
    return user + system


chat_load.cpu_seconds = cpu_seconds


class FloorPlus(FloorChat):
    """The floor with the per-message database work ours must do and it leaves out."""

    def __init__(self, llm_url: str, path: str) -> None:
        super().__init__(llm_url, path)
        db = self.db()
        for table, column in (
            ("conv", "state TEXT DEFAULT '{}'"),
            ("msg", "pending INT DEFAULT 0"),
        ):
            if column.split()[0] not in [
                row[1] for row in db.execute(f"PRAGMA table_info({table})")
            ]:
                db.execute(f"ALTER TABLE {table} ADD COLUMN {column}")
        db.execute("CREATE TABLE IF NOT EXISTS usage (day TEXT PRIMARY KEY, tokens INT)")
        db.execute("INSERT OR IGNORE INTO usage VALUES ('today', 0)")

    def answer(self, conversation: int, text: str, send) -> None:
        """Read the conversation first; store the reply before its `message` goes out."""
        self.db().execute(
            "SELECT last_seq, state FROM conv WHERE id = ?", (conversation,)
        ).fetchone()

        def store_then_send(frame: dict) -> None:
            if frame.get("type") == "message":
                self.store_reply(conversation, frame["text"])
            send(frame)

        super().answer(conversation, text, store_then_send)

    def store_reply(self, conversation: int, text: str) -> None:
        """The reply with the turn's state, the answered mark and the tokens: one transaction
        of four statements, as ours (chat.turn_record)."""
        with self.write_lock:
            cursor = self.db().cursor()
            cursor.execute("BEGIN IMMEDIATE")
            (seq,) = cursor.execute(
                "UPDATE conv SET last_seq = last_seq + 1, state = '{}' WHERE id = ? "
                "RETURNING last_seq",
                (conversation,),
            ).fetchone()
            cursor.execute(
                "INSERT INTO msg (conv, seq, role, cid, text) VALUES (?, ?, 'assistant', NULL, ?)",
                (conversation, seq, text),
            )
            cursor.execute(
                "UPDATE msg SET pending = 0 WHERE conv = ? AND seq = ?", (conversation, seq - 1)
            )
            cursor.execute("UPDATE usage SET tokens = tokens + 1209 WHERE day = 'today'")
            cursor.execute("COMMIT")


def serve_floor_plus(llm_url: str, workdir: str) -> None:
    """Child process: the floor-plus server."""
    import logging
    import threading

    from flask import Flask
    from flask_sock import Sock
    from werkzeug.serving import make_server

    raise_fd_limit()
    threading.stack_size(512 * 1024)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    floor = FloorPlus(llm_url, f"{workdir}/floor_plus.sqlite3")
    app = Flask("floor_plus")
    Sock(app).route("/ws/chat")(floor.serve)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    print("READY", server.server_port, flush=True)
    server.serve_forever()


def start(tree: Path, *args: str) -> tuple[subprocess.Popen, list[str]]:
    """bench/chat.py of `tree` in a child role; the process and its READY line's words."""
    env = {**os.environ, "PYTHONPATH": f"{tree}/server{os.pathsep}{tree}"}
    process = subprocess.Popen([sys.executable, str(tree / "bench" / "chat.py"), *args],
                               stdout=subprocess.PIPE, text=True, cwd=tree, env=env)  # fmt: skip
    line = process.stdout.readline().split()
    if not line or line[0] != "READY":
        process.kill()
        raise RuntimeError(f"{tree}: child {args} failed to start")
    return process, line[1:]


def report(servers: list[Server]) -> None:
    """Each server's figures, and its ratios to the floor (the last one)."""
    floor = servers[-1]
    for server in servers:
        delta = server.latencies["delta"]
        p50, p99 = percentile(delta, 0.5), percentile(delta, 0.99)
        system = SYSTEM_SECONDS.get(server.pid, 0.0) / max(server.sends, 1) * 1000
        line = (f"  {server.name:10s} first delta p50 {p50 * 1000:6.2f} ms  p99 {p99 * 1000:7.2f} "
                f"ms   CPU/message {server.cpu_per_message_ms():.3f} ms (system {system:.3f})")  # fmt: skip
        if server is not floor:
            fp99 = percentile(floor.latencies["delta"], 0.99)
            cpu = server.cpu_per_message_ms() / max(floor.cpu_per_message_ms(), 1e-9)
            line += f"   / floor: CPU {cpu:.2f}x  p99 {p99 / fp99:.2f}x"
        if server.unanswered:
            line += f"   ({server.unanswered} unanswered)"
        print(line)


def main() -> None:
    """Start the servers, load them in turns, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compare", type=Path, help="a checkout of other code to run beside")
    parser.add_argument("--chats", type=int, default=200)
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--floor-plus", action="store_true")
    parser.add_argument("--role", choices=["floor-plus"], help=argparse.SUPPRESS)
    parser.add_argument("--args", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.role == "floor-plus":
        return serve_floor_plus(*args.args)
    raise_fd_limit()
    print(f"{os.cpu_count()} CPUs (shared); load average {os.getloadavg()[0]:.2f}; "
          f"{args.chats} chats, {args.rounds} rounds, {args.duration:g} s each in all")  # fmt: skip
    children: list[subprocess.Popen] = []
    with tempfile.TemporaryDirectory() as workdir:
        try:
            llm, (llm_url,) = spawn("--role", "llm")
            children.append(llm)
            trees = {
                "this code": ROOT,
                **({"compared": args.compare.resolve()} if args.compare else {}),
            }
            servers = []
            for name, tree in trees.items():
                own = Path(workdir) / name.replace(" ", "_")
                own.mkdir()
                process, (port, key) = start(tree, "--role", "chat", "--llm-url", llm_url,
                                             "--workdir", str(own))  # fmt: skip
                children.append(process)
                servers.append(Server(name, f"ws://127.0.0.1:{port}/ws/chat?site={key}",
                                      process.pid, chat=True))  # fmt: skip
            if args.floor_plus:
                role = ["--role", "floor-plus", "--args", llm_url, workdir]
                process = subprocess.Popen([sys.executable, __file__, *role],
                                           stdout=subprocess.PIPE, text=True, cwd=ROOT)  # fmt: skip
                children.append(process)
                port = process.stdout.readline().split()[1]
                servers.append(
                    Server("floor+", f"ws://127.0.0.1:{port}/ws/chat", process.pid, True)
                )
            process, (port,) = spawn("--role", "floor", "--llm-url", llm_url, "--workdir", workdir)
            children.append(process)
            servers.append(Server("floor", f"ws://127.0.0.1:{port}/ws/chat", process.pid, True))
            run_level(servers, chats=args.chats, duration=args.duration, rounds=args.rounds)
            report(servers)
        finally:
            for child in children:
                child.kill()
                child.wait()


if __name__ == "__main__":
    main()
