"""Keyboard use, focus, contrast, reduced motion, phone layout and axe-core checks."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from tests.support.widget_page import (
    HOST,
    axe_violations,
    box,
    computed,
    focused_class,
    wait_launcher,
    wait_state,
)

pytestmark = pytest.mark.browser


def test_keyboard_open_focus_escape_and_focus_return(page, host):
    page.goto(f"{host.url}/plain.html")
    wait_launcher(page)
    page.focus("#page-button")
    page.keyboard.press("Tab")
    assert focused_class(page) == "fd-launcher"
    page.keyboard.press("Enter")
    wait_state(page, "open")
    page.wait_for_function(f"{HOST}.shadowRoot.activeElement?.className === 'fd-input'")
    launcher = page.locator("frontdesk-widget .fd-launcher")
    assert launcher.get_attribute("aria-expanded") == "true"
    dialog = page.locator("frontdesk-widget [role=dialog]")
    assert dialog.get_attribute("aria-label") == "Test Studio chat"
    page.keyboard.press("Escape")
    wait_state(page, "closed")
    assert focused_class(page) == "fd-launcher"
    assert launcher.get_attribute("aria-expanded") == "false"
    page.keyboard.press("Space")
    wait_state(page, "open")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    assert focused_class(page) == "fd-close"
    page.keyboard.press("Enter")
    wait_state(page, "closed")
    assert focused_class(page) == "fd-launcher"
    dialog.wait_for(state="hidden")  # visibility: hidden keeps it out of the tab order too


def test_every_button_has_an_accessible_name_and_a_visible_focus_ring(page, host):
    page.goto(f"{host.url}/plain.html")
    wait_launcher(page)
    page.evaluate("Frontdesk.open()")
    wait_state(page, "open")
    unnamed = page.evaluate(
        f"""[...{HOST}.shadowRoot.querySelectorAll('button, textarea')]
             .filter(e => !e.hidden && !(e.getAttribute('aria-label') || e.textContent.trim()
                          || (e.id && {HOST}.shadowRoot.querySelector(`label[for="${{e.id}}"]`))))
             .map(e => e.className)"""
    )
    assert unnamed == []
    for _ in range(4):  # from the input back to the close button, by keyboard
        if focused_class(page) == "fd-close":
            break
        page.keyboard.press("Shift+Tab")
    ring = computed(page, ".fd-close", ("outline-style", "outline-width"))
    assert ring == {"outline-style": "solid", "outline-width": "3px"}


def contrast(rgb_a: str, rgb_b: str) -> float:
    def luminance(rgb: str) -> float:
        channels = [int(part) / 255 for part in rgb[rgb.index("(") + 1 : -1].split(",")[:3]]
        linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(rgb_a), luminance(rgb_b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("accent", ["#ffd43b", "#7a1fa2", "#777777", "#00ff00", "#0000ff", "#f60"])
def test_text_on_the_accent_colour_meets_wcag_aa(page, host, accent):
    page.goto(f"{host.url}/settings.html?" + urlencode({"accent": accent, "title": "Contrast"}))
    wait_launcher(page)
    page.evaluate("Frontdesk.open()")
    wait_state(page, "open")
    for selector in (".fd-launcher", ".fd-head", ".fd-send"):
        colours = computed(page, selector, ("color", "background-color"))
        assert contrast(colours["color"], colours["background-color"]) >= 4.5, selector


def test_invalid_accent_falls_back_to_the_default(page, host):
    page.goto(f"{host.url}/settings.html?" + urlencode({"accent": "red;background:url(x)"}))
    wait_launcher(page)
    colours = computed(page, ".fd-launcher", ("background-color", "color"))
    assert colours == {"background-color": "rgb(15, 95, 140)", "color": "rgb(255, 255, 255)"}


def test_reduced_motion_turns_the_slide_off(browser, host):
    durations = {}
    for motion in ("no-preference", "reduce"):
        context = browser.new_context(reduced_motion=motion)
        page = context.new_page()
        page.goto(f"{host.url}/plain.html")
        wait_launcher(page)
        page.evaluate("Frontdesk.open()")
        wait_state(page, "open")
        durations[motion] = computed(page, ".fd-panel", ("transition-duration",))
        context.close()
    assert durations["reduce"] == {"transition-duration": "0s"}
    assert durations["no-preference"]["transition-duration"].startswith("0.28s")


def test_phone_layout_is_full_screen_with_the_input_in_view(browser, host):
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.goto(f"{host.url}/plain.html")
    wait_launcher(page)
    page.locator("frontdesk-widget .fd-launcher").tap()
    wait_state(page, "open")
    page.wait_for_function(
        f"getComputedStyle({HOST}.shadowRoot.querySelector('.fd-panel')).transform === 'none'"
    )
    panel = box(page, ".fd-panel")
    assert (panel["x"], panel["y"], panel["width"], panel["height"]) == (0, 0, 390, 844)
    field = box(page, ".fd-input")
    assert field["y"] > 700 and field["y"] + field["height"] <= 844
    assert computed(page, ".fd-input", ("font-size",)) == {"font-size": "16px"}
    assert not page.locator("frontdesk-widget .fd-launcher").is_visible()
    page.locator("frontdesk-widget .fd-close").tap()
    wait_state(page, "closed")
    assert page.locator("frontdesk-widget .fd-launcher").is_visible()
    context.close()


def test_full_screen_phone_panel_is_modal_and_keeps_keyboard_focus_inside(browser, host):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(f"{host.url}/plain.html")
    wait_launcher(page)
    page.evaluate("Frontdesk.open()")
    wait_state(page, "open")
    page.wait_for_function(f"{HOST}.shadowRoot.activeElement?.className === 'fd-input'")
    assert page.locator("frontdesk-widget [role=dialog]").get_attribute("aria-modal") == "true"
    inside = (
        f"{HOST}.shadowRoot.querySelector('.fd-panel').contains({HOST}.shadowRoot.activeElement)"
    )
    seen = set()
    for key in ["Tab"] * 8 + ["Shift+Tab"] * 8:
        page.keyboard.press(key)
        assert page.evaluate(f"document.activeElement === {HOST} && {inside}"), key
        seen.add(focused_class(page))
    assert {"fd-input", "fd-close"} <= seen
    page.set_viewport_size({"width": 1280, "height": 800})  # desktop: a side panel, not modal
    page.wait_for_function(
        f"!{HOST}.shadowRoot.querySelector('[role=dialog]').hasAttribute('aria-modal')"
    )
    context.close()


def test_axe_finds_no_serious_violations_on_the_demo_page_closed_and_open(page, host):
    page.goto(f"{host.url}/demo/")
    wait_launcher(page)
    assert axe_violations(page) == []
    page.locator("frontdesk-widget .fd-launcher").click()
    wait_state(page, "open")
    page.wait_for_function(
        f"getComputedStyle({HOST}.shadowRoot.querySelector('.fd-panel')).transform === 'none'"
    )
    page.locator("frontdesk-widget .fd-input").fill("Hello")
    page.keyboard.press("Enter")  # a pending message and the offline banner are on screen too
    assert axe_violations(page) == []


def test_right_to_left_language_lays_the_panel_out_rtl(page, host):
    page.goto(f"{host.url}/settings.html?" + urlencode({"lang": "ar", "title": "مرحبا"}))
    wait_launcher(page)
    page.evaluate("Frontdesk.open()")
    wait_state(page, "open")
    dialog = page.locator("frontdesk-widget [role=dialog]")
    assert (dialog.get_attribute("dir"), dialog.get_attribute("lang")) == ("rtl", "ar")
    close, title = box(page, ".fd-close"), box(page, ".fd-title")
    assert close["x"] < title["x"]  # the close button sits on the left in RTL
