"""The Redis client of one process: built from REDIS_URL, namespaced keys, short timeouts."""

from __future__ import annotations

import os
import socket
import uuid

import redis

# A command that cannot reach Redis fails fast: the process keeps serving its own sockets.
SOCKET_TIMEOUT_SECONDS = 2.0


def connect(url: str) -> redis.Redis:
    """A client for `url` with short timeouts and keepalive (no command is sent yet)."""
    return redis.Redis.from_url(
        url,
        socket_timeout=SOCKET_TIMEOUT_SECONDS,
        socket_connect_timeout=SOCKET_TIMEOUT_SECONDS,
        socket_keepalive=True,
        health_check_interval=30,
    )


def namespace(prefix: str | None) -> str:
    """The key prefix of a deployment: processes sharing a Redis must share it, others not."""
    return (prefix or "frontdesk").rstrip(":")


def process_id() -> str:
    """A name for this process that no other process (here or on another host) will use."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
