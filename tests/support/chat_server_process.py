"""The real Frontdesk server (`frontdesk serve`) in a child process that a test can kill -9
and start again on the same port, over a demo database prepared in the test process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from frontdesk.db import Database
from frontdesk.db.migrate import upgrade
from tests.support.apps import TEST_SECRET, keep
from tests.support.servers import free_port, wait_healthy

START_TIMEOUT = 30.0


class ChatServer:
    """`python -m frontdesk.cli serve` on a fixed port, with the offline engine and no mail."""

    def __init__(
        self, database_url: str, instance: Path, extra_env: dict[str, str] | None = None
    ) -> None:
        self.database_url = database_url
        self.instance = instance
        self.extra_env = extra_env or {}  # e.g. FRONTDESK_REDIS_URL, another engine
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self.log = instance / "server.log"

    def prepare(self) -> Database:
        """Migrate the database; the caller fills it (demo site, documents) before start()."""
        self.instance.mkdir(parents=True, exist_ok=True)
        database = Database(self.database_url)
        upgrade(database)
        return database

    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if keep(k)}
        env.update(
            FRONTDESK_DATABASE_URL=self.database_url,
            FRONTDESK_INSTANCE_PATH=str(self.instance),
            FRONTDESK_SECRET_KEY=TEST_SECRET,
            FRONTDESK_PUBLIC_URL=self.url,
            FRONTDESK_ENGINE="offline",
            FRONTDESK_MAIL_WORKER="false",
            FRONTDESK_PING_INTERVAL="5",
        )
        env.update(self.extra_env)
        return env

    def start(self) -> ChatServer:
        """Start the server and wait until /healthz answers."""
        return self.launch().wait_started()

    def launch(self) -> ChatServer:
        """Start the server's process without waiting for it (`start_all`)."""
        command = [sys.executable, "-m", "frontdesk.cli", "serve", "--port", str(self.port)]
        self.instance.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                command, env=self.environment(), stdout=log, stderr=subprocess.STDOUT
            )
        return self

    def wait_started(self) -> ChatServer:
        """Wait until /healthz answers; RuntimeError (the process killed) if it never does."""
        assert self.process is not None, "server not launched"
        if wait_healthy(self.process, self.url, self.log, "server", START_TIMEOUT):
            return self
        self.kill()
        raise RuntimeError(f"server did not start: {self.log.read_text()[-2000:]}")

    def kill(self) -> None:
        """SIGKILL: sockets die mid-conversation, as in a crash."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None

    def threads(self) -> int:
        """How many threads the server process has now (Linux: /proc)."""
        assert self.process is not None, "server not started"
        return len(os.listdir(f"/proc/{self.process.pid}/task"))


def start_all(*servers: ChatServer) -> list[ChatServer]:
    """Start `servers` side by side (each spends seconds importing and building its app) and
    wait for every one; if one fails, all are killed."""
    try:
        for server in servers:
            server.launch()
        for server in servers:
            server.wait_started()
    except BaseException:
        for server in servers:
            server.kill()
        raise
    return list(servers)
