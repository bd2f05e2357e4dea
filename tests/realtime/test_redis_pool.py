"""A process's Redis client: a burst of commands past its pool's size waits for a connection."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from frontdesk.realtime.connection import MAX_CONNECTIONS, connect


def test_more_commands_in_flight_than_pooled_connections_wait_for_one(private_redis):
    """redis-py's own pool raised "Too many connections" here, which the turn lease and the
    rate limits took for Redis being down (and went on without it)."""
    client = connect(private_redis.url)
    burst = MAX_CONNECTIONS + 40
    with ThreadPoolExecutor(max_workers=burst) as pool:
        # Each BLPOP holds its connection for 0.3 s: the last 40 must wait for the first ones.
        replies = list(pool.map(lambda i: client.blpop(f"empty-{i}", timeout=0.3), range(burst)))
    assert replies == [None] * burst
    assert client.ping()
