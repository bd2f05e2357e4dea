"""Real Redis servers for tests: the machine's shared one, or a private one a test may stop."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import redis

from tests.support.servers import free_port

SHARED_URL = "redis://127.0.0.1:6379/0"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def shared_redis_answers(url: str = SHARED_URL) -> bool:
    """True when the machine's Redis answers a PING."""
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


class PrivateRedis:
    """`redis-server` on a free port, keeping nothing on disk; stop() and start() again."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    @staticmethod
    def available() -> bool:
        """Whether redis-server is installed here."""
        return shutil.which("redis-server") is not None

    def start(self) -> PrivateRedis:
        """Start the server and wait until it accepts connections."""
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        """Kill the server (its data is gone, as with a crashed Redis that keeps nothing)."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None
