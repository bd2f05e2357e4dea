"""A Redis connection whose commands get no reply (CLIENT REPLY OFF): fire and forget.

Publishing an envelope or releasing a lease needs no answer, yet a normal command costs a
round trip in the calling thread (or a hand-off to a thread that waits for it). Here the
command is written to the socket and the caller goes on: one `sendall`, in the caller's
order, under one lock. What was written is not proof that Redis ran it; every use tolerates
a loss (frames are re-read from the database, a lease lapses after its ttl).
"""

from __future__ import annotations

import logging
import select
import ssl
import threading
import time
from typing import Any

import redis

log = logging.getLogger(__name__)

RETRY_SECONDS = 1.0  # after a failure, commands are dropped this long before reconnecting


class OneWay:
    """One reply-less connection, opened on first use and reopened after a failure."""

    def __init__(self, client: redis.Redis) -> None:
        pool = client.connection_pool
        self._connection_class = pool.connection_class
        # No health-check PING: its PONG would never come on a connection without replies.
        self._kwargs: dict[str, Any] = {**pool.connection_kwargs, "health_check_interval": 0}
        self._connection: Any = None
        self._lock = threading.Lock()
        self.failed_at = -RETRY_SECONDS
        self.last_error = ""

    def send(self, *commands: tuple[Any, ...]) -> bool:
        """Write the commands, in order; False when they could not be written (Redis down)."""
        with self._lock:
            connection = self._connection
            if connection is not None and _closed_by_server(connection):
                # Redis closed it (restarted, idle timeout): a write now would vanish.
                connection.disconnect()
                connection = self._connection = None
                self.failed_at = -RETRY_SECONDS
            if connection is None:
                if time.monotonic() - self.failed_at < RETRY_SECONDS:
                    return False
                try:
                    connection = self._connection = self._open()
                except (redis.RedisError, OSError) as exc:
                    self._failed(exc)
                    return False
            try:
                connection.send_packed_command(
                    connection.pack_commands(commands), check_health=False
                )
            except (redis.RedisError, OSError) as exc:
                self._connection = None
                connection.disconnect()
                self._failed(exc)
                return False
            return True

    def retry_now(self) -> None:
        """Reconnect on the next send without waiting out RETRY_SECONDS (Redis is back)."""
        with self._lock:
            self.failed_at = -RETRY_SECONDS

    def close(self) -> None:
        """Close the connection (a stopping process)."""
        with self._lock:
            if self._connection is not None:
                self._connection.disconnect()
                self._connection = None

    def _open(self) -> Any:
        connection = self._connection_class(**self._kwargs)
        connection.connect()
        connection.send_command("CLIENT", "REPLY", "OFF", check_health=False)
        return connection

    def _failed(self, exc: Exception) -> None:
        self.failed_at = time.monotonic()
        message = f"{type(exc).__name__}: {exc}"
        if message != self.last_error:
            log.warning("Redis unavailable for one-way commands: %s", message)
        self.last_error = message


def _closed_by_server(connection: Any) -> bool:
    """Whether Redis has closed the connection (it never writes to it: anything to read means
    EOF, or an error before closing). One zero-timeout poll, no round trip."""
    sock = getattr(connection, "_sock", None)
    if sock is None:
        return True
    if isinstance(sock, ssl.SSLSocket):
        return False  # TLS may have records of its own to read: a write after a close is lost
    poller = select.poll()  # not select(): a busy server's descriptors pass FD_SETSIZE
    poller.register(sock.fileno(), select.POLLIN)
    return bool(poller.poll(0))
