"""Turn leases, rate windows and daily tallies against a real Redis: take-over, renewal, expiry."""

from __future__ import annotations

import threading
import time

import redis

from frontdesk.realtime.counters import SharedWindow
from frontdesk.realtime.leases import _RELEASE, Leases
from frontdesk.realtime.oneway import OneWay
from frontdesk.realtime.tallies import DAY_SECONDS, DailyTally


def _leases(url: str, prefix: str, ttl: float = 15.0) -> tuple[redis.Redis, Leases]:
    client = redis.Redis.from_url(url)
    return client, Leases(client, prefix, OneWay(client), ttl=ttl)


def _gone(client: redis.Redis, key: str) -> None:
    deadline = time.monotonic() + 5
    while client.exists(key) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not client.exists(key)


def test_own_released_lease_is_taken_over_and_its_late_release_does_nothing(
    redis_url: str, redis_prefix: str
) -> None:
    client, leases = _leases(redis_url, redis_prefix)
    key = f"{redis_prefix}:lease:turn:1"
    with leases.hold("turn:1") as held:
        assert held
        old = client.get(key)
    _gone(client, key)
    client.set(key, old)  # as if the one-way release had not run yet
    with leases.hold("turn:1") as held:
        assert held
        new = client.get(key)
        assert new not in (None, old)
        client.eval(_RELEASE, 1, key, old)  # the late release arrives now
        assert client.get(key) == new  # and leaves the new holder alone
    _gone(client, key)
    leases.stop()


def test_another_process_waits_for_a_lease_it_did_not_release(
    redis_url: str, redis_prefix: str
) -> None:
    client, first = _leases(redis_url, redis_prefix)
    _other_client, second = _leases(redis_url, redis_prefix)
    key = f"{redis_prefix}:lease:turn:2"
    with first.hold("turn:2"):
        old = client.get(key)
    _gone(client, key)
    client.set(key, old)  # first's release not run yet: second must not take it
    got = threading.Event()

    def take() -> None:
        with second.hold("turn:2"):
            got.set()

    thread = threading.Thread(target=take)
    thread.start()
    assert not got.wait(0.3)
    client.delete(key)  # the release lands
    assert got.wait(5)
    thread.join(5)
    first.stop()
    second.stop()


def test_a_long_turn_keeps_its_lease_past_the_ttl(redis_url: str, redis_prefix: str) -> None:
    client, leases = _leases(redis_url, redis_prefix, ttl=0.6)
    key = f"{redis_prefix}:lease:turn:3"
    with leases.hold("turn:3"):
        token = client.get(key)
        time.sleep(1.5)  # renewed after ttl/3, by ttl/2 at the latest
        assert client.get(key) == token
    _gone(client, key)
    leases.stop()


def test_a_killed_holders_lease_lapses(redis_url: str, redis_prefix: str) -> None:
    client, leases = _leases(redis_url, redis_prefix, ttl=0.5)
    key = f"{redis_prefix}:lease:turn:4"
    leases.stop()  # a dead process renews nothing
    with leases.hold("turn:4"):
        time.sleep(0.8)
        assert not client.exists(key)


def test_window_counts_to_its_limit_and_its_buckets_expire(
    redis_url: str, redis_prefix: str
) -> None:
    client = redis.Redis.from_url(redis_url)
    window = SharedWindow(
        client, f"{redis_prefix}:rate", limit=3, window=3600.0
    )  # no bucket edge mid-test
    assert [window.allow("ip") for _ in range(4)] == [True, True, True, False]
    buckets = client.keys(f"{redis_prefix}:rate:ip:*")
    assert len(buckets) == 1
    assert int(client.get(buckets[0])) == 3
    assert 3_600_000 < client.pttl(buckets[0]) <= 7_200_000


def test_tally_sums_each_key_and_expires_it(redis_url: str, redis_prefix: str) -> None:
    client = redis.Redis.from_url(redis_url)
    tally = DailyTally(client, f"{redis_prefix}:tally", OneWay(client))
    assert tally.add("2026-12-07", ["1:visitor:v", "1:ip:a"], 300)
    assert tally.add("2026-12-07", ["1:visitor:v", "1:ip:b"], 200)
    deadline = time.monotonic() + 5
    while tally.get("2026-12-07", "1:ip:b") != 200 and time.monotonic() < deadline:
        time.sleep(0.01)  # written one-way: read once Redis has run it
    assert tally.get("2026-12-07", "1:visitor:v") == 500
    assert tally.get("2026-12-07", "1:ip:a") == 300
    for key in ("1:visitor:v", "1:ip:a", "1:ip:b"):
        ttl = client.ttl(f"{redis_prefix}:tally:2026-12-07:{key}")
        assert DAY_SECONDS < ttl <= 2 * DAY_SECONDS
