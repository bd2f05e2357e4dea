"""`frontdesk ingest` on a real website: progress while it crawls, and a partial crawl that
reports its failures yet succeeds because pages were read."""

from __future__ import annotations

from frontdesk.db import Database
from tests.support.cli_runs import run
from tests.support.factories import make_site
from tests.support.fake_website import Website, serve_website

HTML = "text/html; charset=utf-8"


def _site(url: str):
    db = Database(url)
    site = make_site(db)
    db.dispose()
    return site


def _site_with_a_broken_link() -> Website:
    home = (
        "<html><body><h1>Studio</h1><p>We build websites for small firms.</p>"
        '<a href="/services">Services</a> <a href="/gone">Old page</a>'
        '<a href="/price-list.pdf">Prices</a></body></html>'
    )
    services = "<html><body><h1>Services</h1><p>Website builds and audits.</p></body></html>"
    return Website({"/": (200, HTML, home), "/services": (200, HTML, services)})


def test_a_partial_crawl_reports_failures_and_succeeds(cli_env, sqlite_url):
    site = _site(sqlite_url)
    with serve_website(_site_with_a_broken_link()) as web:
        args = ["ingest", "--site", site.public_key, "--delay", "0", web.url + "/"]
        result = run(args, cli_env, check=False)
    assert result.returncode == 0, result.stderr
    err = result.stderr
    assert f"Reading {web.url}/: its links" in err
    # One progress line per page, as it happens (stderr is not a terminal here).
    assert f"[1] added     {web.url}/" in err and f"added     {web.url}/services" in err
    assert f"Failed: {web.url}/gone: " in err
    assert "Skipped 1: a link to a file, not a page (.pdf)" in err
    assert "2 added, 0 updated, 0 unchanged, 1 failed, 1 skipped" in result.stdout
    assert "1 of 3 documents could not be read" in err


def test_a_site_that_does_not_answer_fails_the_command(cli_env, sqlite_url):
    site = _site(sqlite_url)
    with serve_website(Website({})) as web:
        url = web.url
    args = ["ingest", "--site", site.public_key, "--delay", "0", url + "/"]
    result = run(args, cli_env, check=False)
    assert result.returncode == 1
    assert f"Nothing could be read from {url}/." in result.stderr
