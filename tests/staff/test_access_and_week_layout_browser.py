"""Two layout slips kept fixed: on a phone an account's e-mail on People > Dashboard access broke
mid-word ("harbourpixel.tes t") and the invite form's Role label sat lower than E-mail's; a team
of three's week view at 1280 px scrolled Sunday out of sight inside the grid, then fitted only
as 21 columns of initials (now seven days, each booking naming its person)."""

from __future__ import annotations

import pytest

from tests.support.bookings import SYDNEY, book, make_bookings
from tests.support.dashboard_browser import signed_in_page, start_dashboard, stop_dashboard
from tests.support.hosts import add_hosts
from tests.support.staff_accounts import make_staff

pytestmark = [pytest.mark.browser, pytest.mark.slow]
LONG = "reception.and.bookings@harbourpixel-studio.test"

# Where each line of an element's text starts (index of its first character), read from the
# rectangles Chromium lays each character out in.
LINE_STARTS = """e => {
  const text = e.textContent, starts = [];
  const walker = document.createTreeWalker(e, NodeFilter.SHOW_TEXT);
  let offset = 0, top = null;
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (let i = 0; i < node.length; i++) {
      const range = document.createRange();
      range.setStart(node, i); range.setEnd(node, i + 1);
      const rect = range.getBoundingClientRect();
      if (rect.width && (top === null || rect.top > top + 2)) { starts.push(offset + i); top = rect.top; }
    }
    offset += node.length;
  }
  return [text, starts];
}"""


@pytest.fixture
def dashboard(sqlite_url, tmp_path):
    running = start_dashboard(sqlite_url, tmp_path)
    make_staff(running.db, running.site.id, "staff@harbourpixel.test")
    make_staff(running.db, running.site.id, LONG)
    yield running
    stop_dashboard(running)


def sideways(page) -> int:
    return page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


def test_on_a_phone_an_accounts_e_mail_wraps_only_before_an_at_or_a_dot(
    browser, dashboard, tmp_path
):
    page = signed_in_page(browser, dashboard, "phone")
    page.goto(dashboard.url("access/"))
    page.locator("#access").screenshot(path=str(tmp_path / "access-phone.png"))
    assert sideways(page) == 0
    wrapped = 0
    for email in ("staff@harbourpixel.test", LONG):
        cell = page.locator(f"tr[data-account='{email}'] td.team-email > div")
        assert cell.evaluate("c => c.scrollWidth <= c.clientWidth")  # nothing sticks out
        text, starts = cell.evaluate(LINE_STARTS)
        assert text.strip() == email
        for start in starts[1:]:
            assert text[start] in "@.", (text[:start], text[start:])  # never "harbourpixel.tes|t"
        wrapped += len(starts) > 1
    assert wrapped  # the long one does wrap: the check above saw a line break
    assert page.problems == []


def test_the_invite_forms_labels_are_level(browser, dashboard, tmp_path):
    page = signed_in_page(browser, dashboard)
    page.goto(dashboard.url("access/"))
    page.locator("#invite").screenshot(path=str(tmp_path / "invite-1280.png"))
    email = page.locator("label[for='invite-email']").bounding_box()
    role = page.locator("label[for='invite-role']").bounding_box()
    assert role["x"] > email["x"] + email["width"]  # side by side at 1280 px
    assert abs(role["y"] - email["y"]) < 0.5
    boxes = [page.locator(s).bounding_box() for s in ("#invite-email", "#invite-role")]
    assert abs(boxes[0]["y"] - boxes[1]["y"]) < 0.5
    button = page.get_by_role("button", name="Send invitation").bounding_box()
    bottoms = [b["y"] + b["height"] for b in boxes]
    assert abs(button["y"] + button["height"] - max(bottoms)) < 0.5, (boxes, button)
    assert page.problems == []


def test_a_team_of_threes_week_is_seven_readable_days_at_1280(browser, dashboard, tmp_path):
    add_hosts(dashboard.db, dashboard.site, ["Mia Chen", "Priya Nair"])  # and Harbour Test
    made = book(make_bookings(dashboard.db), dashboard.site, name="Grace Hopper")
    week = made.booking.start.astimezone(SYDNEY).date().isoformat()
    page = signed_in_page(browser, dashboard)
    page.goto(dashboard.url(f"bookings/week?week={week}"))
    page.screenshot(path=str(tmp_path / "week-1280.png"))
    scroller = page.locator(".tgrid-scroll")
    assert scroller.evaluate("s => s.scrollWidth - s.clientWidth") == 0
    assert sideways(page) == 0
    box = scroller.bounding_box()
    # Seven day columns wide enough for a name and a time (a column per person per day left
    # 40 px of initials at this width), Sunday in sight.
    days = page.locator(".tcol").evaluate_all(
        "cols => cols.map(c => c.getBoundingClientRect().toJSON())"
    )
    assert len(days) == 7 and min(d["width"] for d in days) >= 120
    assert days[6]["x"] + days[6]["width"] <= box["x"] + box["width"]
    # Who each booking is with: a legend of the team, each person in a colour, and the
    # booking's block naming its person in that colour.
    legend = page.locator(".tgrid-legend__person")
    assert sorted(legend.all_inner_texts()) == ["Harbour Test", "Mia Chen", "Priya Nair"]
    block = page.locator(".titem", has_text="Grace Hopper")
    person = block.locator(".titem__person")
    assert person.count() == 1 and block.bounding_box()["width"] >= 100
    name = person.text_content().strip()  # a half-hour block shows only the dot; its title names
    assert name in ("Harbour Test", "Mia Chen", "Priya Nair")
    assert f"with {name}" in block.get_attribute("title")
    colour = person.locator(".pdot").get_attribute("class")
    assert legend.filter(has_text=name).locator(".pdot").get_attribute("class") == colour
    assert person.is_visible()  # not pushed out of the block
    # The legend's link shows one person's week.
    legend.filter(has_text=name).click()
    page.wait_for_url(lambda url: "host=" in url)
    assert page.locator(".titem", has_text="Grace Hopper").count() == 1
    assert page.locator(".tgrid-legend").count() == 0
    assert page.problems == []


def test_a_teams_day_keeps_a_column_per_person(browser, dashboard):
    add_hosts(dashboard.db, dashboard.site, ["Mia Chen", "Priya Nair"])
    page = signed_in_page(browser, dashboard)
    page.goto(dashboard.url("bookings/day"))
    heads = page.locator(".tgrid__colhead").all_inner_texts()
    assert sorted(h.strip() for h in heads) == ["Harbour Test", "Mia Chen", "Priya Nair"]
    assert page.problems == []


def test_on_a_phone_the_teams_week_may_scroll_inside_the_grid_only(browser, dashboard):
    add_hosts(dashboard.db, dashboard.site, ["Mia Chen", "Priya Nair"])  # and Harbour Test
    page = signed_in_page(browser, dashboard, "phone")
    page.goto(dashboard.url("bookings/week"))
    assert sideways(page) == 0
    assert page.locator(".tgrid-scroll").evaluate("s => s.scrollWidth > s.clientWidth")
