"""Fixtures for calendar tests (the Radicale and feed servers are in tests/conftest.py)."""

from __future__ import annotations

import pytest

from frontdesk.outbound.guard import OutboundPolicy


@pytest.fixture
def loopback_policy() -> OutboundPolicy:
    """The outbound policy tests use: loopback allowed explicitly (the servers are local)."""
    return OutboundPolicy(allow_private=True)
