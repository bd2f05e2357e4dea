"""Dashboard pages in Chromium: sign in through the form, axe-core checks despite the CSP."""

from __future__ import annotations

from tests.support.staff_accounts import PASSWORD
from tests.support.widget_page import axe_script

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def staff_page(browser, server_url: str, viewport: dict, email: str = "ana@studio.test"):
    """A signed-in dashboard page; the context bypasses the CSP only so axe can be injected."""
    context = browser.new_context(viewport=viewport, bypass_csp=True)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"pageerror: {error}"))
    page.on("console", lambda m: problems.append(m.text) if _console_problem(m) else None)
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if _bad(r) else None)
    page.problems = problems
    page.goto(f"{server_url}/staff/signin")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return page


def _console_problem(message) -> bool:
    # A failed load is reported by the response listener, with its address.
    return message.type == "error" and "Failed to load resource" not in message.text


def _bad(response) -> bool:
    # The favicon belongs to the first-run work; everything else must load.
    # A refused form post (400, 409) is the page under test saying why.
    if response.request.method != "GET" or response.url.endswith("/favicon.ico"):
        return False
    return response.status >= 400


def serious_axe_violations(page) -> list[dict]:
    """The page's serious and critical WCAG 2.x A/AA violations found by axe-core."""
    page.add_script_tag(path=str(axe_script()))
    result = page.evaluate(
        "axe.run(document, {resultTypes: ['violations'],"
        " runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21aa', 'wcag22aa']}})"
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def no_horizontal_scroll(page) -> bool:
    """True when the page itself does not scroll sideways (inner scrollers may)."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
