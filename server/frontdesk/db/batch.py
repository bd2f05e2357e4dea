"""Several reads in one round trip: a turn's conversation, history and pending check.

On PostgreSQL every statement is a round trip of its own: the client waits, the backend wakes
and answers, for each one. psycopg's pipeline mode sends the statements together and reads
their results after one sync, so three reads cost one round trip (each is still its own
autocommit statement, READ COMMITTED as before). SQLite runs in the process: the statements
run one after another on the same cursor.
"""

from __future__ import annotations

from typing import Any

from frontdesk.db.raw import SQL, Cursor

Query = tuple[SQL, dict[str, Any]]


def read_all(cursor: Cursor, queries: list[Query]) -> list[list[tuple]]:
    """Every query's rows, in order, on the cursor's connection (raw.reading's)."""
    if cursor.is_sqlite:
        return [cursor.all(sql, params) for sql, params in queries]
    connection = cursor.dbapi.connection
    cursors = [connection.cursor() for _ in queries]
    try:
        with connection.pipeline():
            for each, (sql, params) in zip(cursors, queries, strict=True):
                each.execute(sql.postgresql, params)
        return [each.fetchall() for each in cursors]
    finally:
        for each in cursors:
            each.close()
