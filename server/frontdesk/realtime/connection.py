"""The Redis client of one process: built from REDIS_URL, namespaced keys, short timeouts."""

from __future__ import annotations

import os
import socket
import uuid

import redis

# A command that cannot reach Redis fails fast: the process keeps serving its own sockets.
SOCKET_TIMEOUT_SECONDS = 2.0
# Connections one process keeps to Redis at most. redis-py's own pool (also 100) raises "Too
# many connections" on the 101st command in flight, which a loaded process (a socket thread
# per visitor checking its frame rate, 64 turn workers taking leases) reached: the turn lease
# and rate limits then went on without Redis as if it were down. A command waits for a free
# connection instead (each is held for one round trip), up to the same timeout.
MAX_CONNECTIONS = 100


def connect(url: str) -> redis.Redis:
    """A client for `url` with short timeouts and keepalive (no command is sent yet)."""
    pool = redis.BlockingConnectionPool.from_url(
        url,
        max_connections=MAX_CONNECTIONS,
        timeout=SOCKET_TIMEOUT_SECONDS,
        socket_timeout=SOCKET_TIMEOUT_SECONDS,
        socket_connect_timeout=SOCKET_TIMEOUT_SECONDS,
        socket_keepalive=True,
        health_check_interval=30,
    )
    return redis.Redis(connection_pool=pool)


def namespace(prefix: str | None) -> str:
    """The key prefix of a deployment: processes sharing a Redis must share it, others not."""
    return (prefix or "frontdesk").rstrip(":")


def process_id() -> str:
    """A name for this process that no other process (here or on another host) will use."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
