"""What a first user stumbled on, kept fixed: pages that scroll sideways on a phone, buttons of
one role in two styles, headings that split, an inbox pushed below the fold by a banner, a
staff reply sent out of sight, and a training page naming a model the offline engine stands for."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.support.conversations import make_conversation
from tests.support.dashboard_browser import signed_in_page, start_dashboard, stop_dashboard
from tests.support.factories import add_knowledge

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def dashboard(sqlite_url, tmp_path):
    running = start_dashboard(sqlite_url, tmp_path)
    for n in range(3):  # long titles and addresses: the documents table is wider than a phone
        add_knowledge(running.db, running.site, f"Frequently asked questions, part {n}",
                      f"https://studio.test/help/frequently-asked-questions-{n}", "We open at nine.")  # fmt: skip
    yield running
    stop_dashboard(running)


def sideways(page) -> int:
    return page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


def test_no_page_scrolls_sideways_on_a_phone(browser, dashboard, tmp_path):
    page = signed_in_page(browser, dashboard, "phone")
    for path in ("", "knowledge/", "bookings/", "hosts/", "email/", "settings/hours", "training/"):
        page.goto(dashboard.url(path))
        assert sideways(page) == 0, path
    # The overview's chart keeps a readable width (its labels would be 6 px wide otherwise).
    page.goto(dashboard.url(""))
    assert page.locator("svg.chart").bounding_box()["width"] >= 36 * 16
    # A wide table scrolls inside itself instead.
    page.goto(dashboard.url("knowledge/"))
    table = page.locator("table.data").first
    assert table.evaluate("t => t.scrollWidth > t.clientWidth")
    page.screenshot(path=str(tmp_path / "knowledge-phone.png"), full_page=True)
    assert page.problems == []


def test_buttons_of_one_role_look_the_same_and_headings_do_not_split(browser, dashboard):
    page = signed_in_page(browser, dashboard)
    page.goto(dashboard.url("bookings/"))
    style = "b => [getComputedStyle(b).color, getComputedStyle(b).backgroundColor]"
    submit = page.get_by_role("button", name="Filter").evaluate(style)
    link = page.get_by_role("link", name="Download CSV").evaluate(style)
    assert submit == link  # both secondary: dark words on white, not blue words
    page.goto(dashboard.url("hosts/"))
    heights = page.locator("table.hosts-list th").evaluate_all(
        "cells => cells.map(c => c.getBoundingClientRect().height)"
    )
    assert len(set(heights)) == 1  # "E-mail" stays on one line like the others
    # A count of nothing is quiet grey, not a blue badge asking to be looked at.
    page.goto(dashboard.url("email/"))
    zero = page.locator("nav.tabs a", has_text="Failed").locator(".count")
    assert zero.inner_text() == "0"
    assert zero.evaluate("c => getComputedStyle(c).backgroundColor") == "rgb(238, 240, 243)"


def test_a_settings_form_has_its_button_under_the_fields(browser, dashboard):
    page = signed_in_page(browser, dashboard)
    page.goto(dashboard.url("settings/"))
    last_field = page.get_by_label("Notification e-mail").bounding_box()
    button = page.get_by_role("button", name="Save profile").bounding_box()
    assert button["y"] >= last_field["y"] + last_field["height"]
    assert abs(button["x"] - last_field["x"]) < 2  # at the start of its own row


def test_services_fields_are_spaced_by_the_design_systems_step(browser, dashboard, tmp_path):
    """Between one row of fields and the next is one spacing step (--space-4), not the field's
    own margin, the label's and the grid's gap added up."""
    page = signed_in_page(browser, dashboard)
    page.goto(dashboard.url("settings/services"))
    card = page.locator(".service-card").first
    name = card.get_by_label("Name", exact=True).bounding_box()
    price = card.locator("label", has_text="Price").bounding_box()
    step = page.evaluate(
        "parseFloat(getComputedStyle(document.documentElement).getPropertyValue('--space-4'))"
        " * parseFloat(getComputedStyle(document.documentElement).fontSize)"
    )
    assert price["y"] - (name["y"] + name["height"]) == pytest.approx(step, abs=1)
    page.screenshot(path=str(tmp_path / "services.png"), full_page=True)


def space(page, name: str) -> float:
    """A design.css spacing step in pixels."""
    return page.evaluate(
        f"parseFloat(getComputedStyle(document.documentElement).getPropertyValue('{name}'))"
        " * parseFloat(getComputedStyle(document.documentElement).fontSize)"
    )


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_the_closures_table_stands_apart_from_the_form_under_it(browser, dashboard, tmp_path, size):
    page = signed_in_page(browser, dashboard, size)
    page.goto(dashboard.url("settings/hours"))
    form = page.locator("form", has=page.get_by_role("button", name="Save date"))
    form.get_by_label("Date").fill("2030-12-24")
    form.get_by_label("Closed all day").check()
    form.get_by_label("Note").fill("Closed for the holidays, back on the second")
    form.get_by_role("button", name="Save date").click()
    table = page.locator("#closures")
    expect(table).to_contain_text("Closed for the holidays")
    frame = page.locator(".table-wrap", has=table).bounding_box()
    heading = page.get_by_role("heading", name="Add a special date").bounding_box()
    # A framed table, then a step of the spacing scale before what comes under it.
    assert heading["y"] - (frame["y"] + frame["height"]) >= space(page, "--space-5") - 1
    date = table.locator("td").first
    assert date.evaluate("d => getComputedStyle(d).whiteSpace") == "nowrap"
    assert sideways(page) == 0  # on a phone the table scrolls inside its frame
    page.screenshot(path=str(tmp_path / f"hours-{size}.png"), full_page=True)
    assert page.problems == []


def test_the_inbox_fits_the_window_under_the_banner_and_a_reply_stays_in_view(
    browser, dashboard, tmp_path
):
    texts = [("visitor" if n % 2 else "assistant", f"Message number {n}. " * 6) for n in range(30)]
    conversation = make_conversation(dashboard.db, dashboard.site, texts=texts)
    page = signed_in_page(browser, dashboard)
    page.goto(dashboard.url(f"conversations/{conversation.public_id}"))
    assert page.locator("#mail-banner").is_visible()  # no SMTP here: the banner stands above
    height = page.evaluate("innerHeight")
    assert page.evaluate("document.documentElement.scrollHeight") <= height
    box = page.get_by_role("button", name="Send").bounding_box()
    assert box["y"] + box["height"] <= height  # the reply box is on screen
    # Read back to the start, then reply: your own words come into view.
    page.evaluate("document.querySelector('.conv__transcript').scrollTop = 0")
    page.locator("#live-state[data-live='yes']").wait_for()
    page.get_by_placeholder("Write to the visitor…").fill("Hello from the team")
    page.get_by_role("button", name="Send").click()
    mine = page.locator("#transcript .entry--staff", has_text="Hello from the team")
    expect(mine).to_be_in_viewport()
    page.screenshot(path=str(tmp_path / "inbox-reply.png"))
    assert page.problems == []


def test_after_a_reply_took_the_chat_over_the_hint_stops_saying_it_would(browser, dashboard):
    conversation = make_conversation(dashboard.db, dashboard.site, texts=[("visitor", "Hi")])
    page = signed_in_page(browser, dashboard)
    page.goto(dashboard.url(f"conversations/{conversation.public_id}"))
    hint = page.locator("#reply-hint")
    expect(hint).to_contain_text("Sending takes the conversation over")
    page.locator("#live-state[data-live='yes']").wait_for()
    page.get_by_placeholder("Write to the visitor…").fill("Hello, I can help")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#conversation-status")).to_have_attribute("data-status", "staff")
    expect(hint).not_to_contain_text("takes the conversation over", use_inner_text=True)
    expect(hint).to_contain_text("Ctrl+Enter sends")
    assert page.problems == []


def test_training_names_the_engine_that_answers(browser, dashboard):
    page = signed_in_page(browser, dashboard)
    page.goto(dashboard.url("training/"))
    assert page.locator("#current-model").inner_text() == "the offline engine (built in, no LLM)"
    model = page.locator("#run-model").bounding_box()
    label = page.locator("#run-label").bounding_box()
    assert abs(model["y"] - label["y"]) < 2  # side by side, each under its own label


def test_the_account_page_leads_back_and_signing_out_everywhere_looks_and_asks_first(
    browser, dashboard
):
    page = signed_in_page(browser, dashboard)
    page.goto(f"{dashboard.server.url}/staff/password")
    everywhere = page.get_by_role("button", name="Sign out everywhere")
    colour = everywhere.evaluate("b => getComputedStyle(b).backgroundColor")
    danger = page.evaluate(
        "getComputedStyle(document.documentElement).getPropertyValue('--color-danger')"
    )
    assert colour == page.evaluate(
        f"(() => {{ const s = document.createElement('span'); s.style.color = '{danger.strip()}';"
        " document.body.append(s); const c = getComputedStyle(s).color; s.remove(); return c; })()"
    )  # the danger role, not the primary blue
    everywhere.click()
    dialog = page.get_by_role("dialog", name="Sign out everywhere?")
    dialog.wait_for()
    dialog.get_by_role("button", name="Keep it").click()
    assert page.url.endswith("/staff/password")  # nothing was sent
    page.get_by_role("link", name="Back to the dashboard").click()
    page.wait_for_url(f"**/staff/{dashboard.site.public_key}/**")
