"""Small helpers for driving the widget inside its shadow root from Playwright."""

from __future__ import annotations

HOST = "document.querySelector('frontdesk-widget')"


def widget_state(page) -> str | None:
    """The host element's `state` attribute (closed / loading / open), or None if absent."""
    return page.evaluate(f"{HOST} && {HOST}.getAttribute('state')")


def wait_state(page, state: str) -> None:
    """Wait until the widget reaches `state` (selector polling: works under a strict CSP)."""
    page.locator(f"frontdesk-widget[state={state}]").wait_for(state="attached")


def wait_launcher(page) -> None:
    """Wait until the loader has drawn the launcher."""
    page.locator("frontdesk-widget .fd-launcher").wait_for()


def focused_class(page) -> str | None:
    """The class of the focused element inside the shadow root ('' if none)."""
    return page.evaluate(
        f"(() => {{ const a = {HOST}.shadowRoot.activeElement; return a ? a.className : ''; }})()"
    )


def box(page, selector: str) -> dict:
    """The bounding box of the first element matching `selector` (Playwright pierces shadow)."""
    return page.locator(f"frontdesk-widget {selector}").first.bounding_box()


def computed(page, selector: str, props: tuple[str, ...]) -> dict:
    """Computed style values of a shadow-root element."""
    script = (
        f"(s) => {{ const e = {HOST}.shadowRoot.querySelector(s); const c = getComputedStyle(e);"
        f" return Object.fromEntries({list(props)!r}.map(p => [p, c.getPropertyValue(p)])); }}"
    )
    return page.evaluate(script, selector)
