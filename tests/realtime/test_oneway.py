"""The reply-less Redis connection: commands arrive in order, and a connection Redis closed is
noticed before a write would vanish into it."""

from __future__ import annotations

import time

import redis

from frontdesk.realtime.connection import connect
from frontdesk.realtime.oneway import OneWay


def wait_for(predicate, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met"
        time.sleep(0.01)


def test_commands_are_written_in_order_without_replies(private_redis):
    client = connect(private_redis.url)
    oneway = OneWay(client)
    for index in range(50):
        assert oneway.send(("RPUSH", "order", index))
    wait_for(lambda: client.llen("order") == 50)
    assert [int(x) for x in client.lrange("order", 0, -1)] == list(range(50))
    oneway.close()


def test_a_connection_redis_closed_is_reopened_before_the_next_write(private_redis):
    client = connect(private_redis.url)
    oneway = OneWay(client)
    assert oneway.send(("SET", "k", "1"))
    wait_for(lambda: client.get("k") == b"1")
    # Redis drops every other client (as a restart or an idle timeout would).
    client.client_kill_filter(_type="normal", skipme=True)
    time.sleep(0.1)
    assert oneway.send(("SET", "k", "2"))  # not lost in the closed socket
    wait_for(lambda: client.get("k") == b"2")
    oneway.close()


def test_redis_down_the_write_fails_at_once_and_is_retried_when_back(private_redis):
    client = connect(private_redis.url)
    oneway = OneWay(client)
    assert oneway.send(("SET", "k", "1"))
    private_redis.stop()
    started = time.monotonic()
    assert not oneway.send(("SET", "k", "2"))
    assert not oneway.send(("SET", "k", "3"))  # within RETRY_SECONDS: not even tried
    assert time.monotonic() - started < 1.0
    private_redis.start()
    oneway.retry_now()
    assert oneway.send(("SET", "k", "4"))
    wait_for(lambda: client.get("k") == b"4")
    assert isinstance(client, redis.Redis)
    oneway.close()
