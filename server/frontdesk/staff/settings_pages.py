"""The settings pages: which sections each shows, and which page a saved section returns to."""

from __future__ import annotations

PAGES = {
    "business": "Business",
    "services": "Services",
    "hours": "Hours and closures",
    "assistant": "Assistant",
    "widget": "Widget",
    "moderation": "Moderation",
}
SECTION_PAGE = {
    "profile": "business",
    "services": "services",
    "hours": "hours",
    "overrides": "hours",
    "rules": "hours",
    "assistant": "assistant",
    "origins": "widget",
    "widget": "widget",
    "moderation": "moderation",
}


def page_of(section: str) -> str:
    """The page that holds a form's section ("business" for anything unknown)."""
    return SECTION_PAGE.get(section, "business")
