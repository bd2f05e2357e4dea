"""Widget fixtures: a real server for the widget files, a host-page server on another origin,
a scripted websocket peer, and pages of Debian's Chromium driven by Playwright."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.scripted_peer import ScriptedPeer
from tests.support.servers import LiveServer
from tests.support.widget_hosts import HostServer, widget_only_app


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
def peer() -> Iterator[ScriptedPeer]:
    """A scripted /ws/chat peer on a real socket; its host page is `peer.page_url`."""
    scripted = ScriptedPeer()
    server = LiveServer(scripted.app).start()
    host = HostServer(server.url, "pk_scripted").start()
    scripted.page_url = f"{host.url}/settings.html"
    yield scripted
    host.stop()
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
