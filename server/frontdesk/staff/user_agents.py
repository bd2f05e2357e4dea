"""A browser's User-Agent header in words for the account page ("Firefox on Windows"), so staff
recognise their own sessions without reading a raw header."""

from __future__ import annotations

# First match wins: Edge and Opera say "Chrome" too, Chrome says "Safari", iPhones say "Mac OS".
BROWSERS = (
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("HeadlessChrome/", "Headless Chrome"),
    ("Chrome/", "Chrome"),
    ("CriOS/", "Chrome"),
    ("Safari/", "Safari"),
)
SYSTEMS = (
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


def describe(user_agent: str | None) -> str:
    """ "Chrome on macOS", "Firefox", or "Unknown browser" when nothing is recognised."""
    text = user_agent or ""
    browser = next((name for mark, name in BROWSERS if mark in text), "")
    system = next((name for mark, name in SYSTEMS if mark in text), "")
    if browser and system:
        return f"{browser} on {system}"
    return browser or (f"A browser on {system}" if system else "Unknown browser")
