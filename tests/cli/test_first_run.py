"""A first run that tells the truth: `db upgrade` says what it did; `/` leads to the dashboard;
every page has an icon, so no browser logs a failed favicon request."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from frontdesk import create_app
from frontdesk.db import Database
from frontdesk.db.migrate import current_revision, head_revision, upgrade
from tests.support.apps import app_config
from tests.support.cli_runs import FRONTDESK, cli_environment, run, run_process
from tests.support.factories import make_site
from tests.support.servers import LiveServer, free_port
from tests.support.staff_accounts import PASSWORD, make_staff


def test_db_upgrade_says_whether_it_created_upgraded_or_found_it_current(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'new.sqlite3'}"
    env = cli_environment(url, tmp_path / "instance")
    head = head_revision()

    # A real process, as a first run is: nothing the test process set up can help it.
    first = run_process(["db", "upgrade"], env)
    assert first.stdout.startswith(f"Created the database schema at revision {head}: sqlite:///")
    assert first.stderr == ""  # no worker raced the new schema (a command starts none)
    current = run(["db", "upgrade"], env).stdout
    assert current.startswith(f"The database is already at the latest revision ({head})")

    old = Database(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    upgrade(old, "0006")
    upgraded = run(["db", "upgrade"], cli_environment(old.url, tmp_path / "instance")).stdout
    assert upgraded.startswith(f"Upgraded the database from revision 0006 to {head}")
    assert current_revision(old) == head
    old.dispose()


def test_db_upgrade_hides_the_database_password(tmp_path: Path, pg_admin):
    url = pg_admin.url.replace("postgres@", "postgres:s3cret@")
    result = run(["db", "upgrade"], cli_environment(url, tmp_path / "instance"), check=False)
    assert "s3cret" not in result.stdout + result.stderr


def test_the_root_leads_to_the_dashboard_and_the_favicon_is_served(client):
    root = client.get("/")
    assert root.status_code == 302 and root.headers["Location"].endswith("/staff/")
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
    assert b"<svg" in icon.data
    signin = client.get("/staff/signin").get_data(as_text=True)
    assert 'rel="icon" href="/static/favicon.svg"' in signin
    assert client.get("/static/favicon.svg").status_code == 200


@pytest.mark.browser
def test_a_first_visit_in_chromium_logs_no_errors(browser, sqlite_url: str, tmp_path: Path):
    app = create_app(app_config(sqlite_url, tmp_path))
    db = app.extensions["frontdesk.db"]
    site = make_site(db)
    make_staff(db, site.id)
    server = LiveServer(app).start()
    page = browser.new_page()
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    failed: list[str] = []
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
    try:
        page.goto(server.url + "/")
        assert page.url.startswith(server.url + "/staff/signin")
        page.fill("input[name=email]", "ana@studio.test")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"**/staff/{site.public_key}/**")
        page.goto(server.url + "/healthz")  # a page without HTML: the browser asks /favicon.ico
        page.wait_for_timeout(300)  # favicon requests are made after load
    finally:
        page.close()
        server.stop()
        db.dispose()
    assert problems == []
    assert failed == []


def test_make_run_names_the_answering_engine_once(tmp_path: Path):
    """`make run` runs `demo`, then `serve --demo-host-port`: the engine line comes from the
    first (the demo site's engine), not again from the second."""
    env = cli_environment(f"sqlite:///{tmp_path / 'run.sqlite3'}", tmp_path / "instance")
    port = free_port()
    env["FRONTDESK_PUBLIC_URL"] = f"http://127.0.0.1:{port}"
    said = run(["demo", "--demo-host-url", f"http://127.0.0.1:{port + 1}"], env).stdout
    log = tmp_path / "serve.log"
    command = ["serve", "--port", str(port), "--demo-host-port", str(free_port())]
    with log.open("w") as out:
        server = subprocess.Popen(
            FRONTDESK + command, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 30
        while "Frontdesk on" not in log.read_text() and time.monotonic() < deadline:
            assert server.poll() is None, log.read_text()
            time.sleep(0.1)
    finally:
        server.terminate()
        server.wait(timeout=10)
    served = log.read_text()
    assert "Frontdesk on" in served
    assert (said + served).count("Assistant:") == 1 and "Assistant:" in said
