"""Layout slips a new staff member saw, kept fixed: the training page's starter-set button
wrapped by its own explanation, its fields touching the next label on a phone, an empty inbox
view's note at the bottom of the column, a new booking's boxes out of line, Re-index all glued
to the documents table, a service's "Slug", and a person's page saying "None." above
full-width date boxes with buttons of the wrong weight, and the script tag's heading touching
the widget preview above it."""

from __future__ import annotations

import pytest

from frontdesk.db.models import Host
from tests.support.dashboard_browser import signed_in_page, start_dashboard, stop_dashboard
from tests.support.factories import add_knowledge
from tests.support.hosts import add_hosts

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def dashboard(sqlite_url, tmp_path):
    running = start_dashboard(sqlite_url, tmp_path)
    yield running
    stop_dashboard(running)


def test_the_training_page_is_titled_like_the_others_and_its_button_stands_clear(
    browser, dashboard
):
    page = signed_in_page(browser, dashboard)
    page.goto(dashboard.url("training/"))
    assert page.get_by_role("heading", level=1).inner_text() == "Training"
    button = page.get_by_role("button", name="Add the starter set").bounding_box()
    hint = page.locator("#starter-hint").bounding_box()
    assert hint["x"] >= button["x"] + button["width"]  # beside it, not flowing under it
    assert page.problems == []


def test_on_a_phone_the_training_fields_keep_apart(browser, dashboard):
    page = signed_in_page(browser, dashboard, "phone")
    page.goto(dashboard.url("training/"))
    model = page.locator("#run-model").bounding_box()
    label = page.locator("label[for='run-label']").bounding_box()
    assert label["y"] >= model["y"] + model["height"] + 8  # one spacing step, not touching
    hint = page.locator("#starter-hint").bounding_box()
    button = page.get_by_role("button", name="Add the starter set").bounding_box()
    assert hint["y"] >= button["y"] + button["height"]  # under it when there is no room beside
    assert page.problems == []


def test_an_empty_inbox_view_says_what_it_shows_at_the_top_of_the_list(browser, dashboard):
    page = signed_in_page(browser, dashboard)
    page.goto(dashboard.url("conversations/?view=flagged"))
    empty = page.locator("#inbox-empty")
    assert "Nothing is flagged" in empty.inner_text()
    views = page.locator(".inbox-views").bounding_box()
    assert empty.bounding_box()["y"] < views["y"] + views["height"] + 40  # right under the tabs
    assert page.problems == []


def test_a_new_bookings_phone_and_e_mail_boxes_are_level(browser, dashboard):
    page = signed_in_page(browser, dashboard)
    page.goto(dashboard.url("bookings/new"))
    phone = page.locator("#f-phone").bounding_box()
    email = page.locator("#f-email").bounding_box()
    assert abs(phone["y"] - email["y"]) < 2  # the e-mail's hint is under its box, not above
    hint = page.locator("#f-email-hint").bounding_box()
    assert email["y"] + email["height"] <= hint["y"] < email["y"] + email["height"] + 16
    assert page.problems == []


def test_re_index_all_stands_beside_the_documents_title_clear_of_the_table(browser, dashboard):
    add_knowledge(dashboard.db, dashboard.site, "Prices", "https://studio.test/prices", "From $90.")
    page = signed_in_page(browser, dashboard)
    page.goto(dashboard.url("knowledge/"))
    title = page.get_by_role("heading", name="Documents (1)").bounding_box()
    button = page.get_by_role("button", name="Re-index all").bounding_box()
    table = page.locator("table.documents").bounding_box()
    middle = button["y"] + button["height"] / 2
    assert title["y"] <= middle <= title["y"] + title["height"]  # on the title's row
    assert button["x"] > title["x"] + title["width"]
    assert button["y"] + button["height"] + 8 <= table["y"]
    assert page.problems == []


def test_a_services_fields_say_what_they_are_and_stay_level(browser, dashboard):
    page = signed_in_page(browser, dashboard)
    page.goto(dashboard.url("settings/services"))
    form = page.locator(".service-form").last  # "Add a service"
    tops = [
        form.get_by_label(label, exact=exact).bounding_box()["y"]
        for label, exact in (("Name", True), ("Short name", False), ("Length (minutes)", True))
    ]
    assert max(tops) - min(tops) < 2  # a label's note does not push its box down
    assert page.get_by_text("Slug").count() == 0  # a word a new staff member has to look up
    assert page.problems == []


def test_a_persons_special_dates_and_time_off_read_well(browser, dashboard):
    ids = add_hosts(dashboard.db, dashboard.site, ["Ana"])
    with dashboard.db.session() as session:
        key = session.get(Host, ids["Ana"]).public_id
    page = signed_in_page(browser, dashboard)
    page.goto(dashboard.url(f"hosts/{key}/"))
    assert "No special dates: Ana works the weekly hours above." in page.content()
    assert "No time off planned." in page.content()
    day = page.locator("#override-day").bounding_box()
    hours = page.locator("#override-hours").bounding_box()
    assert hours["x"] > day["x"] + day["width"]  # side by side on a laptop
    # Each card's own submit is its main action, as "Save hours" is.
    style = "b => getComputedStyle(b).backgroundColor"
    main = page.get_by_role("button", name="Save hours").evaluate(style)
    for name in ("Save date", "Add time off"):
        assert page.get_by_role("button", name=name).evaluate(style) == main
    assert page.problems == []


def test_privacy_fields_are_sized_to_what_they_hold(browser, dashboard):
    page = signed_in_page(browser, dashboard)
    page.goto(dashboard.url("privacy/"))
    assert page.locator("#retention_days").bounding_box()["width"] <= 10 * 16 + 1
    assert page.locator("#lookup-email").bounding_box()["width"] <= 28 * 16 + 1
    assert page.problems == []


@pytest.mark.parametrize("section", ["settings/", "privacy/"])
def test_on_a_phone_the_section_bar_opens_with_the_current_section_in_view(
    browser, dashboard, section
):
    """The phone's section links scroll sideways; a page far down the list (Settings,
    Privacy) showed Overview to Knowledge, none of them marked as where one is."""
    page = signed_in_page(browser, dashboard, "phone")
    page.goto(dashboard.url(section))
    strip = page.locator(".staff-nav").bounding_box()
    current = page.locator(".staff-nav a[aria-current=page]").bounding_box()
    # Wholly in view (to a pixel: the last link may end at the strip's edge, fractionally).
    assert strip["x"] - 1 <= current["x"]
    assert current["x"] + current["width"] <= strip["x"] + strip["width"] + 1
    assert page.evaluate("window.scrollY") == 0  # the page itself did not move
    assert page.problems == []


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_the_script_tags_heading_stands_clear_of_the_widget_preview(browser, dashboard, size):
    page = signed_in_page(browser, dashboard, size)
    page.goto(dashboard.url("settings/widget"))
    layout = page.locator(".widget-layout").bounding_box()  # the form and the preview
    heading = page.get_by_role("heading", name="Script tag").bounding_box()
    assert heading["y"] >= layout["y"] + layout["height"] + 24  # it touched the preview
    assert page.problems == []
