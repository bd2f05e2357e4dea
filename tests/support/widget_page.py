"""Small helpers for driving the widget inside its shadow root from Playwright, and axe-core."""

from __future__ import annotations

from pathlib import Path

import pytest

HOST = "document.querySelector('frontdesk-widget')"
LOG = "frontdesk-widget .fd-log"


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


def axe_script() -> Path:
    """axe.min.js as bundled by the axe-playwright-python test dependency (or a skip)."""
    axe = pytest.importorskip("axe_playwright_python")
    return Path(axe.__file__).parent / "axe.min.js"


def axe_violations(page) -> list[dict]:
    """The page's serious and critical WCAG 2.x A/AA violations found by axe-core."""
    page.add_script_tag(path=str(axe_script()))
    result = page.evaluate(
        "axe.run(document, {resultTypes: ['violations'],"
        " runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21aa', 'wcag22aa']}})"
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
