"""Refusing a second process where live state is per process (no REDIS_URL).

Without Redis the hub, turn runner and limits live in one process's memory: a second process
on the same database would silently split them (a tab on each misses the other's frames). So a
serving process claims its database: a file lock beside a SQLite file, a session-level
advisory lock on PostgreSQL. Both end with the process, `kill -9` included.
"""

from __future__ import annotations

import fcntl
import os
from typing import Any

REFUSAL = (
    "another Frontdesk process is already serving this database. Without REDIS_URL a "
    "deployment is one process (scale with threads); to run several, use PostgreSQL and set "
    "REDIS_URL (docs/deployment.md, 'Several processes')."
)
ADVISORY_KEY = 0x46524F4E54  # "FRONT": one key per database (advisory locks are per database)


class AlreadyServing(RuntimeError):
    """A second serving process was started where only one may run."""


def claim(app: Any) -> Any:
    """Claim the app's database for this process, or raise AlreadyServing; returns the claim,
    which the caller keeps for the life of the process (it is also kept on the app)."""
    if app.config.get("REDIS_URL"):
        return None  # shared state lives in Redis: any number of processes may serve
    db = app.extensions["frontdesk.db"]
    url = str(app.config["DATABASE_URL"])
    held = _claim_sqlite(url) if url.startswith("sqlite") else _claim_postgresql(db)
    app.extensions["frontdesk.serving_claim"] = held
    return held


def _claim_sqlite(url: str) -> Any:
    path = url.split("///", 1)[-1] + ".serving"
    handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(handle)
        raise AlreadyServing(REFUSAL) from None
    return handle


def _claim_postgresql(db: Any) -> Any:
    connection = db.engine.connect()
    got = connection.exec_driver_sql(f"SELECT pg_try_advisory_lock({ADVISORY_KEY})").scalar()
    connection.commit()
    if not got:
        connection.close()
        raise AlreadyServing(REFUSAL)
    return connection
