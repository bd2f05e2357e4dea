"""bench/scale.py's PostgreSQL: a private cluster of the machine's PostgreSQL, for the bench alone.

The machine's shared server also carries every test suite's databases: their CREATE DATABASE
copies and writes went through the same WAL (gigabytes in minutes while tests ran), and a
bench commit's flush waited behind them, so the figures measured other people's work. The
same goes for `max_connections` (100 there, shared; four bench processes keep 80 open). This
cluster has its own WAL and settings a production deployment would use: the server's defaults
(fsync and `synchronous_commit` on: an acknowledged message survives a crash), with
`max_connections` sized as docs/deployment.md asks (processes x 30 and some to spare).
Its data folder is on disk like any database's, not in memory.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time

from bench.chat_load import ORIGIN

MAX_CONNECTIONS = 200  # up to four processes of 30 (with --compare), the admin, the accounting


def binaries() -> str | None:
    """The folder of the newest installed PostgreSQL's server programs, or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version)
    return os.path.dirname(found[-1]) if found else None


def _version(path: str) -> int:
    return int(path.split("/")[4]) if path.split("/")[4].isdigit() else 0


class PrivatePostgres:
    """initdb and postgres on a free port, run as the `postgres` user when started by root.

    Its data folder is under /var/tmp (on disk, as a database's is) unless `parent` says."""

    def __init__(
        self, port: int, *, settings: dict[str, str] | None = None, log: str | None = None,
        parent: str = "/var/tmp",
    ) -> None:  # fmt: skip
        self.port = port
        self.bin = binaries()
        self.settings = settings or {}  # extra `-c` settings (bench/scale_trace.py's logging)
        self.log = log  # where the server's log goes (None: nowhere)
        self.folder = tempfile.mkdtemp(prefix="fd-scale-pg-", dir=parent)
        self.process: subprocess.Popen | None = None
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"

    @staticmethod
    def _owner() -> dict[str, str]:
        """Popen's `user`: PostgreSQL refuses to run as root."""
        return {"user": "postgres"} if os.geteuid() == 0 else {}

    def start(self) -> PrivatePostgres:
        """Create the cluster and wait until it accepts connections."""
        if self.bin is None:
            raise RuntimeError("no PostgreSQL server programs here: set FRONTDESK_BENCH_PG_URL")
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        data = os.path.join(self.folder, "data")
        subprocess.run(
            [f"{self.bin}/initdb", "-D", data, "-U", "postgres", "-A", "trust",
             "--no-sync", "-E", "UTF8"],  # --no-sync: initdb's own files only
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **self._owner(),
        )  # fmt: skip
        log = open(self.log, "ab") if self.log else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(
            [f"{self.bin}/postgres", "-D", data, "-p", str(self.port),
             "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={self.folder}",
             "-c", f"max_connections={MAX_CONNECTIONS}",
             *(f"-c{name}={value}" for name, value in self.settings.items())],
            stdout=subprocess.DEVNULL, stderr=log, **self._owner(),
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            ready = subprocess.run(
                [f"{self.bin}/pg_isready", "-h", "127.0.0.1", "-p", str(self.port)],
                stdout=subprocess.DEVNULL,
            )
            if ready.returncode == 0:
                threading.Thread(target=self._share_autogroup, daemon=True).start()
                return self
            time.sleep(0.2)
        raise RuntimeError("the bench's PostgreSQL did not start")

    def _share_autogroup(self) -> None:
        """Give the cluster's processes the bench's scheduling weight, as they start.

        Every PostgreSQL child process calls setsid(), and with sched_autogroup each session is
        a group the CPU is shared between: a backend would weigh as much as a whole session of
        other work, whatever weight the bench's own group has (see bench/scale.py), and it
        waited ~10 ms for a core per message at load 15. Copying the bench's group weight puts
        the database on the same footing as the processes, nginx and Redis.
        """
        try:
            with open("/proc/self/autogroup") as own:
                nice = own.read().split("nice")[1].strip()
        except (OSError, IndexError):
            return  # no autogroups here
        done: set[int] = set()
        while self.process is not None and self.process.poll() is None:
            with contextlib.suppress(OSError):
                pid = self.process.pid
                with open(f"/proc/{pid}/task/{pid}/children") as listing:
                    children = {int(child) for child in listing.read().split()}
                for child in children - done:
                    with (
                        contextlib.suppress(OSError),
                        open(f"/proc/{child}/autogroup", "w") as group,
                    ):
                        group.write(nice)
                done = children
            time.sleep(0.1)

    def stop(self) -> None:
        """Stop the server (fast shutdown) and remove its files."""
        if self.process is not None:
            self.process.send_signal(signal.SIGINT)  # "fast" shutdown: clients are cut off
            self.process.wait(30)
        shutil.rmtree(self.folder, ignore_errors=True)


# What the cluster did on its own that could pause a commit, logged for bench/scale.py.
LOGGED = {"log_checkpoints": "on", "log_autovacuum_min_duration": "0", "log_timezone": "UTC",
          "log_line_prefix": "%m "}  # fmt: skip


def own_work(log: str) -> list[tuple[float, str]]:
    """(unix time, line) of each checkpoint and autovacuum / autoanalyze in the cluster's log."""
    from datetime import UTC, datetime

    found = []
    with contextlib.suppress(OSError), open(log, errors="replace") as lines:
        for line in lines:
            if "checkpoint " in line or "automatic " in line:
                stamp = datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=UTC)
                text = line[28:].replace("LOG:  ", "").strip()
                found.append((stamp.timestamp(), text.split(", sync files")[0]))
    return found


def scratch_database(admin_url: str) -> tuple[str, str, object]:
    """Create and migrate a scratch PostgreSQL database with one site; (url, site key, admin)."""
    from tests.support.factories import make_site

    from frontdesk.db import Database
    from frontdesk.db.migrate import upgrade

    admin = Database(admin_url, isolation_level="AUTOCOMMIT")
    name = f"fd_bench_scale_{os.getpid()}"
    with admin.engine.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = admin_url.rsplit("/", 1)[0] + "/" + name
    database = Database(url)
    upgrade(database)
    site = make_site(database, origins=(ORIGIN,))
    database.dispose()
    return url, site.public_key, (admin, name)
