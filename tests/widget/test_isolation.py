"""The loader stays passive until opened, and the widget is isolated from its host page."""

from __future__ import annotations

import pytest

from tests.support.widget_page import HOST, box, computed, wait_launcher, wait_state, widget_state

pytestmark = pytest.mark.browser


def storage_snapshot(page) -> dict:
    return page.evaluate(
        "({cookie: document.cookie, local: localStorage.length, session: sessionStorage.length})"
    )


def test_nothing_stored_fetched_or_connected_before_open(page, host, widget_server):
    sockets, requests = [], []
    page.on("websocket", lambda ws: sockets.append(ws.url))
    page.on("request", lambda request: requests.append(request.url))
    page.goto(f"{host.url}/plain.html", wait_until="networkidle")
    wait_launcher(page)
    assert widget_state(page) == "closed"
    assert storage_snapshot(page) == {"cookie": "", "local": 0, "session": 0}
    assert page.context.cookies() == []
    assert sockets == []
    ours = [url for url in requests if url.startswith(widget_server.url)]
    assert ours == [f"{widget_server.url}/widget.js"]

    page.locator("frontdesk-widget .fd-launcher").click()
    wait_state(page, "open")
    page.wait_for_function("localStorage.length === 1")
    assert sockets and sockets[0].startswith(widget_server.url.replace("http", "ws", 1))
    assert sockets[0].endswith("/ws/chat?site=pk_widget_test")
    assert any("/widget/panel." in url and url.endswith(".js") for url in requests)
    assert page.evaluate("Object.keys(localStorage)") == ["frontdesk:pk_widget_test"]
    assert page.context.cookies() == []


def test_the_panel_parts_arrive_as_one_script_and_add_no_globals(page, host, widget_server):
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(f"{host.url}/plain.html")
    wait_launcher(page)
    before = set(page.evaluate("Object.getOwnPropertyNames(window)"))
    page.locator("frontdesk-widget .fd-launcher").click()
    wait_state(page, "open")
    scripts = [url for url in requests if url.startswith(widget_server.url) and url.endswith(".js")]
    assert len(scripts) == 2 and scripts[0].endswith("/widget.js")
    assert "/widget/panel." in scripts[1]
    assert set(page.evaluate("Object.getOwnPropertyNames(window)")) - before == set()


def test_one_custom_element_with_an_open_shadow_root_and_no_light_dom(page, host):
    page.goto(f"{host.url}/plain.html")
    wait_launcher(page)
    shape = page.evaluate(
        f"""() => {{
          const host = {HOST};
          return {{
            count: document.querySelectorAll('frontdesk-widget').length,
            lightChildren: host.childNodes.length,
            shadow: !!host.shadowRoot,
            leaked: document.querySelectorAll('.fd-launcher, .fd-panel').length,
            defined: !!customElements.get('frontdesk-widget'),
          }};
        }}"""
    )
    assert shape == {"count": 1, "lightChildren": 0, "shadow": True, "leaked": 0, "defined": True}
    launcher = page.locator("frontdesk-widget .fd-launcher")
    assert launcher.get_attribute("aria-expanded") == "false"
    assert launcher.get_attribute("aria-label") == "Chat with us"


def layout(page, url: str) -> dict:
    page.goto(url)
    wait_launcher(page)
    # The panel reopens by itself on a page after one where it was left open: close it, so
    # the launcher is measured as a launcher (while open it is a round close button).
    page.wait_for_timeout(300)
    page.evaluate("Frontdesk.close()")
    wait_state(page, "closed")
    closed = box(page, ".fd-launcher")
    page.evaluate("Frontdesk.open()")
    wait_state(page, "open")
    page.wait_for_function(
        f"getComputedStyle({HOST}.shadowRoot.querySelector('.fd-panel')).transform === 'none'"
    )
    return {
        "launcher": closed,
        "panel": box(page, ".fd-panel"),
        "input": box(page, ".fd-input"),
        "title": computed(page, ".fd-title", ("font-size", "display", "text-transform")),
        "field": computed(page, ".fd-input", ("font-size", "box-sizing", "letter-spacing")),
        "head": computed(page, ".fd-head", ("display", "direction")),
    }


def test_hostile_css_and_rtl_page_looks_the_same_as_a_plain_page(page, host):
    plain = layout(page, f"{host.url}/plain.html")
    hostile = layout(page, f"{host.url}/hostile.html")
    assert hostile == plain
    assert hostile["field"]["font-size"] == "16px"
    assert hostile["field"]["box-sizing"] == "border-box"
    assert hostile["head"] == {"display": "flex", "direction": "ltr"}
    assert hostile["launcher"]["x"] > 1000  # still bottom-right on an RTL page
    assert page.locator("frontdesk-widget .fd-panel").is_visible()
    # The panel's header is painted above the page's fixed, high z-index header.
    top = hostile["panel"]
    assert page.evaluate(
        f"document.elementFromPoint({top['x'] + 20}, {top['y'] + 20}).tagName"
    ) == ("FRONTDESK-WIDGET")


def test_strict_csp_page_runs_the_widget_without_violations(page, host):
    page.goto(f"{host.url}/csp.html")
    wait_launcher(page)
    page.locator("frontdesk-widget .fd-launcher").click()
    wait_state(page, "open")
    panel = computed(page, ".fd-panel", ("border-top-left-radius", "background-color"))
    assert panel == {"border-top-left-radius": "16px", "background-color": "rgb(255, 255, 255)"}
    launcher = computed(page, ".fd-launcher", ("background-color", "color"))
    assert launcher == {"background-color": "rgb(255, 212, 59)", "color": "rgb(0, 0, 0)"}
    assert page.problems == []


def test_queue_stub_replays_early_calls_and_events(page, host):
    page.goto(f"{host.url}/queue.html")
    wait_state(page, "open")  # Frontdesk("open") was queued before widget.js arrived
    page.wait_for_function("window.frontdeskEvents.length === 1")
    assert box(page, ".fd-launcher")["x"] < 100  # data-position="left"
    assert box(page, ".fd-panel")["x"] < 100
    page.evaluate("Frontdesk.close()")
    wait_state(page, "closed")
    page.evaluate("Frontdesk.toggle()")
    wait_state(page, "open")
    assert page.evaluate("window.frontdeskEvents") == ["open", "close", "open"]


def test_panel_that_was_open_reopens_after_navigation_but_not_when_closed(page, host):
    page.goto(f"{host.url}/plain.html")
    wait_launcher(page)
    page.evaluate("Frontdesk.open()")
    wait_state(page, "open")
    page.reload()
    wait_state(page, "open")
    page.evaluate("Frontdesk.close()")
    page.reload()
    wait_launcher(page)
    page.wait_for_load_state("networkidle")
    assert widget_state(page) == "closed"


def test_offline_state_is_shown_and_messages_wait_to_be_sent(page, host):
    page.goto(f"{host.url}/plain.html")
    wait_launcher(page)
    page.evaluate("Frontdesk.open()")
    panel = page.locator("frontdesk-widget .fd-panel")
    page.wait_for_function(
        f"{HOST}.shadowRoot.querySelector('.fd-panel')?.dataset.connection === 'reconnecting'"
    )
    banner = page.locator("frontdesk-widget .fd-banner")
    assert banner.is_visible()
    assert "Reconnecting" in banner.inner_text()
    assert banner.get_attribute("role") == "status"
    page.locator("frontdesk-widget .fd-input").fill("Are you open on Saturdays?")
    page.keyboard.press("Enter")
    message = panel.locator(".fd-log .fd-visitor")
    assert message.count() == 1
    assert "Are you open on Saturdays?" in message.inner_text()
    assert "fd-pending" in message.get_attribute("class")
    assert page.locator("frontdesk-widget .fd-input").input_value() == ""
