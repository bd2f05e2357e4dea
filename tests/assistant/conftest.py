"""Assistant fixtures: the tools of a fresh conversation on the test's site (both backends)."""

from __future__ import annotations

import pytest

from tests.support.assistant_tools import make_tools


@pytest.fixture
def tools(db, site):
    """ConversationTools for a new conversation of "visitor-a" (Tokyo), at the fixed NOW."""
    return make_tools(db, site)
