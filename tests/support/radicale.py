"""A real Radicale CalDAV server for tests: its own process, port and storage folder, which can
be stopped and started again on the same port with the same data."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

from tests.support.servers import free_port

USER = "mia"
PASSWORD = "app-password-1"


class Radicale:
    """One Radicale process serving `folder` on 127.0.0.1:port, with one htpasswd user."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.user_url = f"{self.url}{USER}/"
        (folder / "users").write_text(f"{USER}:{PASSWORD}\n")
        self._process: subprocess.Popen | None = None

    def start(self) -> Radicale:
        """Start the server and wait until it accepts connections."""
        args = [
            sys.executable, "-m", "radicale", "--config", "",
            "--server-hosts", f"127.0.0.1:{self.port}",
            "--storage-filesystem-folder", str(self.folder / "collections"),
            "--auth-type", "htpasswd",
            "--auth-htpasswd-filename", str(self.folder / "users"),
            "--auth-htpasswd-encryption", "plain",
            "--rights-type", "owner_only",
            "--logging-level", "warning",
        ]  # fmt: skip
        self._process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"radicale exited: {self._process.stderr.read().decode()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("radicale did not start in 20 s")

    def stop(self) -> None:
        """Kill the server (like a crash: no goodbye) and wait for it."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait(10)
        self._process = None


def make_work_calendar(radicale: Radicale, name: str = "Work"):
    """Mia's calendar in Radicale, written through the caldav client, with the meetings the
    calendar tests check times against (all January 2027; Berlin time is UTC+1 then): a
    one-off on Tuesday the 5th 10:00-11:00, the weekly series (WEEKLY: Mondays 10:00, the 11th
    moved to Tuesday the 12th 15:00, the 18th cancelled), an all-day holiday on the 6th, and a
    transparent (free) event on the 7th 10:00."""
    import caldav

    from tests.support.ical_samples import HOLIDAY, WEEKLY, event_ics

    client = caldav.DAVClient(url=radicale.url, username=USER, password=PASSWORD)
    calendar = client.principal().make_calendar(name=name)
    calendar.save_event(event_ics("oneoff@test", "20270105T090000Z", "20270105T100000Z"))
    calendar.save_event(WEEKLY)
    calendar.save_event(HOLIDAY)
    free = "TRANSP:TRANSPARENT\r\n"
    calendar.save_event(event_ics("free@test", "20270107T090000Z", "20270107T100000Z", extra=free))
    return calendar
