"""Fixtures for calendar tests: a real Radicale CalDAV server and a local ICS feed server."""

from __future__ import annotations

import importlib.util
import os

import pytest
from tests.support.calendar_feeds import FeedServer
from tests.support.radicale import Radicale

from frontdesk.outbound.guard import OutboundPolicy

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@pytest.fixture
def radicale(tmp_path):
    """A running Radicale with user mia (tests/support/radicale.py), stopped afterwards."""
    if importlib.util.find_spec("radicale") is None:
        message = "radicale is not installed (pip install -e '.[test]'): CalDAV tests skipped"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    server = Radicale(tmp_path).start()
    yield server
    server.stop()


@pytest.fixture
def feeds():
    """A local HTTP server serving whatever ICS feeds the test sets."""
    server = FeedServer()
    yield server
    server.stop()


@pytest.fixture
def loopback_policy() -> OutboundPolicy:
    """The outbound policy tests use: loopback allowed explicitly (the servers are local)."""
    return OutboundPolicy(allow_private=True)
