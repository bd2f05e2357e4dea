"""What is derived from the SQLite full-text index, kept until the index changes.

FTS5's structure record (row 10 of chunks_fts_data) changes with every write to the index, in
any process (the chunks' triggers write it on every insert, update and delete), and reading it
is one row: what a question would otherwise count again in the index every time (how many
passages hold a word, which sites have passages) is read once per change instead.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

MAX_KEPT = 1024  # (database, name) entries kept; emptied when full
_lock = threading.Lock()
_kept: dict[tuple[str, str], tuple[bytes | None, Any]] = {}


def index_stamp(session: Session) -> bytes | None:
    """The index's structure record: equal stamps, equal index."""
    return session.execute(text("SELECT block FROM chunks_fts_data WHERE id = 10")).scalar()


def kept(session: Session, name: str, compute: Callable[[Session], Any]) -> Any:
    """`compute(session)`, computed once per state of this database's index.

    The value is shared between callers (and threads): treat it as read-only, or, for a cache
    filled as it is used (a dict of counts), add to it only what `compute` would have given.
    """
    stamp = index_stamp(session)
    key = (str(session.get_bind().url), name)
    with _lock:
        found = _kept.get(key)
    if found is not None and found[0] == stamp:
        return found[1]
    value = compute(session)
    with _lock:
        if len(_kept) >= MAX_KEPT:
            _kept.clear()
        _kept[key] = (stamp, value)
    return value
