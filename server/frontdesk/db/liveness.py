"""A pooled PostgreSQL connection's health, checked at checkout without a round trip.

SQLAlchemy's pre-ping sends `SELECT 1` and waits for it on every checkout; a visitor's message
checks out a connection about eight times, so the pings were as many statements as the work
itself, on the path the visitor waits on. A connection idle in the pool has nothing to read:
PostgreSQL writes to it unasked only to end it (a restart, `pg_terminate_backend`, an idle
timeout: an error message, then the close). So one zero-timeout poll of its socket tells a
closed connection from a live one; a closed one is dropped and the pool hands out another.
"""

from __future__ import annotations

import select
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError


def closed_by_server(connection: Any) -> bool:
    """Whether PostgreSQL has ended this idle psycopg connection (or it is broken)."""
    if connection.closed or connection.broken:
        return True
    try:
        poller = select.poll()  # not select(): a busy server's descriptors pass FD_SETSIZE
        poller.register(connection.fileno(), select.POLLIN)
        return bool(poller.poll(0))
    except (OSError, ValueError):
        return True


def check_on_checkout(engine: Engine) -> None:
    """Drop connections PostgreSQL has closed as the pool hands them out."""

    @event.listens_for(engine, "checkout")
    def _check(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        if closed_by_server(dbapi_connection):
            # The pool discards this one and checks out another (a new one if need be).
            raise DisconnectionError("PostgreSQL closed this pooled connection")
