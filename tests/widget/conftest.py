"""Widget fixtures: a real server for the widget files, a host-page server on another origin,
and Debian's Chromium driven by Playwright."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from frontdesk import widget_assets
from tests.conftest import LiveServer
from tests.widget.hostserver import HostServer


def widget_only_app() -> Flask:
    """An app with just the widget blueprint (no database, no chat endpoint)."""
    app = Flask("frontdesk_widget_tests", static_folder=None)
    widget_assets.init_app(app)
    return app


@pytest.fixture(scope="session")
def widget_server() -> Iterator[LiveServer]:
    """The widget files on a real socket; /ws/chat answers 404, so the panel stays offline."""
    server = LiveServer(widget_only_app()).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def host(widget_server: LiveServer) -> Iterator[HostServer]:
    """Host pages on a second origin, embedding the widget from `widget_server`."""
    server = HostServer(widget_server.url, "pk_widget_test").start()
    yield server
    server.stop()


@pytest.fixture
def context(browser):
    """A fresh browser profile (no cookies, no storage) per test."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    yield ctx
    ctx.close()


@pytest.fixture
def page(context):
    """A page that records uncaught errors and CSP violations in `page.problems`."""
    tab = context.new_page()
    tab.problems = []
    tab.on("pageerror", lambda error: tab.problems.append(f"pageerror: {error}"))
    tab.on(
        "console",
        lambda msg: (
            tab.problems.append(f"console: {msg.text}")
            if "Content Security Policy" in msg.text
            else None
        ),
    )
    return tab
