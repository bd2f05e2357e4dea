"""Fixtures for the scale-out tests: Redis (shared or private) and apps sharing one database."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from frontdesk import create_app
from tests.support.apps import app_config
from tests.support.redis_servers import IN_CI, SHARED_URL, PrivateRedis, shared_redis_answers


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The machine's Redis, or a skip (a failure in CI, where Redis is required)."""
    if not shared_redis_answers():
        message = f"Redis not reachable at {SHARED_URL}: scale-out tests skipped"
        if IN_CI:
            pytest.fail(message + " (CI requires Redis)")
        pytest.skip(message)
    return SHARED_URL


@pytest.fixture
def redis_prefix() -> str:
    """A key prefix of this test's own: tests share the Redis server, never its keys."""
    return f"fdtest-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    """A Redis of this test's own, which it may stop and start."""
    if not PrivateRedis.available():
        message = "redis-server is not installed: Redis restart tests skipped"
        if IN_CI:
            pytest.fail(message + " (CI requires Redis)")
        pytest.skip(message)
    server = PrivateRedis(tmp_path).start()
    yield server
    server.stop()


@pytest.fixture
def pg_url(new_database_url: Callable[..., str]) -> str:
    """A fresh migrated PostgreSQL database (scale-out needs PostgreSQL)."""
    return new_database_url("postgresql")


@pytest.fixture
def make_process_app(pg_url: str, tmp_path: Path, redis_prefix: str):
    """Factory: an app as one process of the deployment would build it (its own hub and bus)."""
    apps = []

    def make(redis: str, **settings):
        config = app_config(pg_url, tmp_path, REDIS_URL=redis, REDIS_PREFIX=redis_prefix,
                            **settings)  # fmt: skip
        app = create_app(config)
        apps.append(app)
        return app

    yield make
    for app in apps:
        shared = app.extensions.get("frontdesk.realtime")
        if shared is not None:
            shared.stop()
        app.extensions["frontdesk.db"].dispose()
