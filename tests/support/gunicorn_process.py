"""gunicorn serving Frontdesk as docs/deployment.md says (gthread, one worker), in a child
process the test kills at the end."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.support.apps import TEST_SECRET, keep
from tests.support.servers import free_port, wait_healthy

START_TIMEOUT = 30.0


class Gunicorn:
    """`gunicorn 'frontdesk.wsgi:serve_app()' --worker-class gthread --workers 1 --threads N`."""

    def __init__(
        self, database_url: str, instance: Path, *, threads: int = 200, env: dict | None = None
    ) -> None:
        self.database_url = database_url
        self.instance = instance
        self.threads = threads
        self.extra_env = dict(env or {})
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = instance / "gunicorn.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> Gunicorn:
        """Start gunicorn and wait until /healthz answers."""
        self.instance.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if keep(k)}
        env.update(
            FRONTDESK_DATABASE_URL=self.database_url, FRONTDESK_INSTANCE_PATH=str(self.instance),
            FRONTDESK_SECRET_KEY=TEST_SECRET, FRONTDESK_PUBLIC_URL=self.url,
            FRONTDESK_ENGINE="offline", FRONTDESK_MAIL_WORKER="false", **self.extra_env,
        )  # fmt: skip
        command = [
            sys.executable, "-m", "gunicorn", "frontdesk.wsgi:serve_app()",
            "--worker-class", "gthread", "--workers", "1", "--threads", str(self.threads),
            "--bind", f"127.0.0.1:{self.port}", "--timeout", "0", "--graceful-timeout", "5",
        ]  # fmt: skip
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        if wait_healthy(self.process, self.url, self.log, "gunicorn", START_TIMEOUT):
            return self
        self.stop()
        raise RuntimeError(f"gunicorn did not start: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        """Kill the master and its worker (their own process group)."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None
