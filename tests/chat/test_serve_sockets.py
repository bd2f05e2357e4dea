"""`frontdesk serve` (werkzeug's threaded server) under socket abuse: no thread outlives its
socket, every thread counts against its IP until it ends, and half-sent request heads (slowloris)
hold at most a few threads per IP, for at most HEADER_TIMEOUT."""

from __future__ import annotations

import time
import urllib.request
from pathlib import Path

import pytest

from tests.support.chat_server_process import ChatServer
from tests.support.factories import make_site
from tests.support.raw_sockets import (
    close_code,
    closed_by_peer,
    half_sent_handshakes,
    open_websocket,
    send_oversized_frame,
)
from tests.support.ws_client import ChatClient

pytestmark = pytest.mark.slow

ATTACKS = 60
CONNECTIONS_PER_IP = 20


@pytest.fixture
def server(sqlite_url: str, tmp_path: Path):
    """A real `frontdesk serve` with small frame limits and its site."""
    env = {
        "FRONTDESK_MAX_FRAME_BYTES": "1000",
        "FRONTDESK_CONNECTIONS_PER_IP": str(CONNECTIONS_PER_IP),
    }
    server = ChatServer(sqlite_url, tmp_path / "instance", extra_env=env)
    db = server.prepare()
    server.site = make_site(db)
    server.start()
    yield server
    server.kill()
    db.dispose()


def settled_threads(server: ChatServer, at_most: int, wait: float = 10.0) -> int:
    """The server's thread count once it is at most `at_most` (or after `wait` seconds)."""
    deadline = time.monotonic() + wait
    while (count := server.threads()) > at_most and time.monotonic() < deadline:
        time.sleep(0.1)
    return count


def test_oversized_frames_leave_no_thread_behind(server):
    path = f"/ws/chat?site={server.site.public_key}"
    with ChatClient(server.url, server.site.public_key) as warm:  # the server's own threads
        warm.hello()
    baseline = settled_threads(server, at_most=0, wait=1.0)
    held, refused, most = [], 0, 0  # the attacker keeps every connection open
    try:
        for _ in range(ATTACKS):
            try:
                sock = open_websocket(server.port, path)
            except ConnectionRefusedError as refusal:  # 429: its sockets still count
                assert "429" in str(refusal)
                refused += 1
                continue
            held.append(sock)
            send_oversized_frame(sock, claimed=1_000_000, sent=100_000)
            assert close_code(sock) == 1009
            most = max(most, server.threads())
        # Two threads per live socket at most (werkzeug's and the websocket reader), and never
        # more sockets than the IP's limit: the count holds until a thread has ended.
        assert most <= baseline + 2 * CONNECTIONS_PER_IP
        assert refused < ATTACKS // 2  # refused sockets end at once: the slots come back
        # Each refused socket's connection is dropped at once: its threads end with it.
        assert settled_threads(server, at_most=baseline + 2) <= baseline + 2
        with ChatClient(server.url, server.site.public_key) as visitor:  # not locked out
            assert visitor.hello()["conversation"]
    finally:
        for sock in held:
            sock.close()


SLOW_HEADS = 250


@pytest.fixture
def guarded(sqlite_url: str, tmp_path: Path):
    """A real `frontdesk serve` with a short head timeout."""
    env = {"FRONTDESK_HEADER_TIMEOUT": "2", "FRONTDESK_HEADS_PER_IP": "16"}
    server = ChatServer(sqlite_url, tmp_path / "instance", extra_env=env)
    db = server.prepare()
    server.site = make_site(db)
    server.start()
    yield server
    server.kill()
    db.dispose()


def test_half_sent_handshakes_hold_no_more_than_the_ip_cap_and_then_time_out(guarded):
    server = guarded
    baseline = settled_threads(server, at_most=0, wait=1.0)
    held = half_sent_handshakes(server.port, f"/ws/chat?site={server.site.public_key}", SLOW_HEADS)
    try:
        # One IP gets HEADS_PER_IP threads at most; the rest are closed before they get one.
        assert server.threads() <= baseline + 16 + 2
        with urllib.request.urlopen(f"{server.url}/healthz", timeout=5) as response:
            assert response.status == 200  # another client is served meanwhile
        # Past HEADER_TIMEOUT (2 s) the server gives up on every half-sent head.
        assert all(closed_by_peer(sock, timeout=10) for sock in held)
        assert settled_threads(server, at_most=baseline + 2) <= baseline + 2
    finally:
        for sock in held:
            sock.close()


def test_a_websocket_outlives_the_head_timeout(guarded):
    """The head timeout ends with the head: an open chat is not cut after HEADER_TIMEOUT."""
    with ChatClient(guarded.url, guarded.site.public_key) as visitor:
        visitor.hello()
        time.sleep(3)  # longer than HEADER_TIMEOUT
        visitor.send({"type": "ping"})
        assert visitor.expect("pong") == {"type": "pong"}
