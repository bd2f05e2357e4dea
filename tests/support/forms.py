"""Reading HTML forms the way a browser posts them: the CSRF token a page carries."""

from __future__ import annotations

import re

CSRF_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    """The CSRF token of the first form in the page (the test fails if there is none)."""
    match = CSRF_TOKEN.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)
