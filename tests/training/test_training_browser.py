"""The Training dashboard in Chromium: rate an answer in the transcript, turn it into a test,
run the evaluation set with its progress bar, compare two runs, and follow a fine-tuning job
page that refreshes itself to success. Screenshots go to the test's tmp folder."""

from __future__ import annotations

import pytest

from frontdesk import create_app
from tests.support.apps import app_config
from tests.support.factories import make_site
from tests.support.servers import LiveServer
from tests.support.staff_accounts import PASSWORD, make_staff
from tests.support.training_data import make_training_conversation

pytestmark = [pytest.mark.browser, pytest.mark.slow]
TIMEOUT = 30000


@pytest.fixture
def dashboard(sqlite_url, tmp_path, fake_llm):
    fake_llm.finetune.stage_seconds = 0.3
    fake_llm.finetune.steps = 6
    config = app_config(sqlite_url, tmp_path, ENGINE="offline", FINETUNE_SYNC_SECONDS=0)
    app = create_app(config, llm_client=fake_llm.client(timeout=10))
    db = app.extensions["frontdesk.db"]
    site = make_site(db, timezone="Europe/London", name="Harbour Studio")
    make_staff(db, site.id)
    conversations = [make_training_conversation(db, site.id, n)[0] for n in range(14)]
    server = LiveServer(app).start()
    yield server, site, conversations
    server.stop()
    db.dispose()


def test_training_flow_in_the_browser(browser, dashboard, tmp_path):
    server, site, conversations = dashboard
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda m: problems.append(m.text) if "Content Security" in m.text else None)
    page.goto(f"{server.url}/staff/signin")
    page.fill("input[name=email]", "ana@studio.test")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    key = site.public_key

    page.goto(f"{server.url}/staff/{key}/conversations/{conversations[0].public_id}")
    answer = page.locator("#entry-4")
    answer.get_by_role("button", name="Good", exact=True).click()
    page.wait_for_selector('#entry-4 .feedback[data-rating="good"]', timeout=TIMEOUT)
    page.locator("#entry-8 summary", has_text="Write the answer").click()
    page.fill("#fix-8", "Thanks! Please **check the card** and press Confirm.")
    page.locator("#entry-8").get_by_role("button", name="Save correction").click()
    page.wait_for_selector('#entry-8 .feedback[data-rating="bad"]', timeout=TIMEOUT)
    page.screenshot(path=str(tmp_path / "1-transcript-feedback.png"), full_page=True)
    page.locator("#entry-4").get_by_role("button", name="Turn into a test").click()
    page.wait_for_selector("text=Checks on the last answer", timeout=TIMEOUT)

    page.goto(f"{server.url}/staff/{key}/training/")
    page.get_by_role("button", name="Add the starter set").click()
    for _ in range(2):  # two runs of the offline engine, to compare
        page.get_by_role("button", name="Run evaluation").click()
        page.wait_for_selector("#run-progress progress", timeout=TIMEOUT)
        page.wait_for_selector("#rates", timeout=TIMEOUT)  # the page reloads when done
        page.goto(f"{server.url}/staff/{key}/training/")
    page.screenshot(path=str(tmp_path / "2-training.png"), full_page=True)
    page.locator("#runs-table input[name=a]").nth(0).check()
    page.locator("#runs-table input[name=b]").nth(1).check()
    page.get_by_role("button", name="Compare the two chosen runs").click()
    page.wait_for_selector("svg.chart", timeout=TIMEOUT)
    page.screenshot(path=str(tmp_path / "3-compare.png"), full_page=True)

    page.goto(f"{server.url}/staff/{key}/training/export")
    assert page.locator("#report").get_attribute("data-ok") == "yes"
    page.screenshot(path=str(tmp_path / "4-export.png"), full_page=True)
    page.fill("#job-suffix", "harbour")
    page.get_by_role("button", name="Upload and start fine-tuning").click()
    page.wait_for_selector("#job-status", timeout=TIMEOUT)
    page.wait_for_selector("#job-status:text('succeeded')", timeout=TIMEOUT)  # it follows itself
    page.wait_for_selector("#loss-chart polyline", timeout=TIMEOUT)
    page.screenshot(path=str(tmp_path / "5-job.png"), full_page=True)
    assert not problems, problems
    print("screenshots in", tmp_path)
