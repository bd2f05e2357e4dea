"""Without REDIS_URL a deployment is one process: a second `frontdesk serve` is refused."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.support.chat_server_process import ChatServer

pytestmark = pytest.mark.slow


def second_serve(first: ChatServer, tmp_path) -> subprocess.CompletedProcess:
    """Start another `frontdesk serve` on the first one's database and wait for it to exit."""
    other = ChatServer(first.database_url, tmp_path / "second")
    return subprocess.run(
        [sys.executable, "-m", "frontdesk.cli", "serve", "--port", str(other.port)],
        env=other.environment(), capture_output=True, text=True, timeout=60,
    )  # fmt: skip


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_second_process_on_the_same_database_is_refused(backend, new_database_url, tmp_path):
    first = ChatServer(new_database_url(backend), tmp_path / "first").start()
    try:
        refused = second_serve(first, tmp_path)
        assert refused.returncode != 0
        assert "already serving this database" in refused.stderr
        assert "REDIS_URL" in refused.stderr
    finally:
        first.kill()
    # A killed process leaves no claim behind: the next start works.
    again = ChatServer(first.database_url, tmp_path / "third").start()
    again.kill()
