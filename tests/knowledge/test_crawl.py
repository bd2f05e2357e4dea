"""Crawling a real local website: same host only, robots.txt obeyed, HTML only, limits kept."""

from __future__ import annotations

import gzip

from sqlalchemy import select

from frontdesk.db.models import Document
from frontdesk.knowledge.fetch import Fetcher, FetchPolicy
from frontdesk.knowledge.ingest import ingest_paths
from frontdesk.knowledge.search import search
from frontdesk.outbound.guard import OutboundPolicy
from tests.support.factories import make_site
from tests.support.fake_website import Website, serve_website
from tests.support.knowledge_files import make_pdf

HTML = "text/html; charset=utf-8"
LOCAL = OutboundPolicy(allow_private=True)  # the test website runs on 127.0.0.1
FAST = FetchPolicy(delay=0.01, timeout=5, outbound=LOCAL)


def page(title: str, body: str) -> str:
    """A page with chrome around the content, like a real site."""
    return (
        f"<html><head><title>{title}</title></head><body>"
        '<nav><a href="/">Home</a> <a href="/services">Services</a></nav>'
        f"<main><h1>{title}</h1>{body}</main><footer>Footer text</footer></body></html>"
    )


def small_website() -> Website:
    """Home links everywhere; the sitemap lists some pages, one off-host, one PDF."""
    home = page(
        "Harbour Studio",
        "<p>We design websites for small businesses in Sydney.</p>"
        '<a href="/about#team">About</a> <a href="https://elsewhere.invalid/offsite">Partner</a>'
        '<a href="/private/secret">Staff</a> <a href="/brochure.pdf">Brochure</a>'
        '<a href="/data">Data</a> <a href="/moved">Moved</a> <a href="/away">Away</a>'
        '<a href="mailto:hi@studio.example">Mail</a> <a href="javascript:void(0)">JS</a>',
    )
    sitemap = """<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <url><loc>SITE_URL/</loc></url>
  <url><loc>SITE_URL/services</loc></url>
  <url><loc>SITE_URL/private/secret</loc></url>
  <url><loc>SITE_URL/brochure.pdf</loc></url>
  <url><loc>https://elsewhere.invalid/page</loc></url>
</urlset>"""
    return Website(
        {
            "/robots.txt": (200, "text/plain", "User-agent: *\nDisallow: /private/\n"),
            "/sitemap.xml": (200, "application/xml", sitemap),
            "/": (200, HTML, home),
            "/services": (200, HTML, page("Services", "<p>Website builds and AI audits.</p>")),
            "/about": (200, HTML, page("About us", "<p>A team of three designers.</p>")),
            "/private/secret": (200, HTML, page("Secret", "<p>Staff salaries list.</p>")),
            "/brochure.pdf": (200, "application/pdf", make_pdf(["Brochure text"])),
            "/data": (200, "application/json", '{"not": "html"}'),
            "/moved": (301, "SITE_URL/about", ""),
            "/away": (302, "https://elsewhere.invalid/", ""),
        }
    )


def _documents(db, site_id):
    with db.session() as session:
        docs = session.scalars(select(Document).where(Document.site_id == site_id)).all()
        return {doc.source: doc for doc in docs}


def test_sitemap_ingests_only_allowed_same_host_html_pages(db):
    site = make_site(db)
    with serve_website(small_website()) as web:
        report = ingest_paths(db, site.id, [web.url + "/sitemap.xml"], fetcher=Fetcher(FAST))

    assert sorted(report.added) == [web.url + "/", web.url + "/services"]
    skipped = dict(report.skipped)
    assert skipped[web.url + "/private/secret"] == "disallowed by robots.txt"
    assert skipped[web.url + "/brochure.pdf"].startswith("not an HTML page (application/pdf)")
    assert skipped["https://elsewhere.invalid/page"] == "on another site"
    paths = [path for path, _agent in web.requests]
    assert "/private/secret" not in paths and "/about" not in paths  # sitemap: no link following
    assert all(agent == "FrontdeskBot/0.1" for _path, agent in web.requests)
    docs = _documents(db, site.id)
    assert docs[web.url + "/services"].title == "Services"
    assert docs[web.url + "/services"].url == web.url + "/services"


def test_page_crawl_follows_same_host_links_only(db):
    site = make_site(db)
    with serve_website(small_website()) as web:
        report = ingest_paths(db, site.id, [web.url + "/"], fetcher=Fetcher(FAST))

    assert sorted(report.added) == [web.url + "/", web.url + "/about", web.url + "/services"]
    paths = [path for path, _agent in web.requests]
    for never in ("/private/secret", "/brochure.pdf"):
        assert never not in paths
    assert paths.count("/robots.txt") == 1
    assert len(report.added) == len(set(report.added))  # /moved redirects to /about: read once
    assert dict(report.skipped)[web.url + "/data"].startswith("not an HTML page")
    assert "another site" in dict(report.failed)[web.url + "/away"]
    # A link to a file is counted as passed over, with the reason, without being fetched.
    assert dict(report.skipped)[web.url + "/brochure.pdf"] == "a link to a file, not a page (.pdf)"
    assert report.unread == []  # one failure among pages read is not a failed source
    assert not any("elsewhere" in source for source in _documents(db, site.id))
    with db.session() as session:
        assert search(session, site.id, "salaries") == []
        assert search(session, site.id, "footer text") == []
        found = search(session, site.id, "team of designers")
    assert found and found[0].url == web.url + "/about" and found[0].title == "About us"


def test_recrawl_unchanged_pages_are_skipped(db):
    site = make_site(db)
    with serve_website(small_website()) as web:
        ingest_paths(db, site.id, [web.url + "/"], fetcher=Fetcher(FAST))
        web.pages["/about"] = (200, HTML, page("About us", "<p>Now a team of four.</p>"))
        again = ingest_paths(db, site.id, [web.url + "/"], fetcher=Fetcher(FAST))
    assert again.updated == [web.url + "/about"]
    assert sorted(again.unchanged) == [web.url + "/", web.url + "/services"]


def test_limits_pages_size_and_errors(db):
    site = make_site(db)
    web_site = small_website()
    web_site.pages["/services"] = (200, HTML, page("Big", "<p>" + "word " * 5000 + "</p>"))
    with serve_website(web_site) as web:
        one = ingest_paths(
            db,
            site.id,
            [web.url + "/"],
            fetcher=Fetcher(FetchPolicy(outbound=LOCAL, delay=0, max_pages=1)),
        )
        tiny = Fetcher(FetchPolicy(outbound=LOCAL, delay=0, max_bytes=10_000))
        big = ingest_paths(db, site.id, [web.url + "/services"], fetcher=tiny, follow_links=False)
        missing = ingest_paths(db, site.id, [web.url + "/nope"], fetcher=Fetcher(FAST))
    assert one.added == [web.url + "/"] and one.failed == []
    assert "the limit is 10000 bytes" in dict(big.failed)[web.url + "/services"]
    assert dict(missing.failed) == {web.url + "/nope": "HTTP 404"}


def test_robots_disallow_all_and_unreachable_site(db):
    site = make_site(db)
    blocked = Website(
        {
            "/robots.txt": (200, "text/plain", "User-agent: FrontdeskBot\nDisallow: /\n"),
            "/": (200, HTML, page("Home", "<p>Hello</p>")),
        }
    )
    with serve_website(blocked) as web:
        report = ingest_paths(db, site.id, [web.url + "/"], fetcher=Fetcher(FAST))
    assert report.added == [] and report.skipped == [(web.url + "/", "disallowed by robots.txt")]
    assert [path for path, _ in web.requests] == ["/robots.txt"]

    gone = ingest_paths(db, site.id, ["http://127.0.0.1:9/"], fetcher=Fetcher(FAST))
    assert gone.added == [] and gone.skipped == []
    assert gone.failed[0][1].startswith("robots.txt could not be read (could not connect")


def test_only_web_addresses_are_fetched(db, tmp_path):
    site = make_site(db)
    secret = tmp_path / "secret.html"
    secret.write_text("<p>Local file that must not be read as a URL</p>")
    sources = [f"file://{secret}", "ftp://127.0.0.1/x", "http://"]
    report = ingest_paths(db, site.id, sources, fetcher=Fetcher(FAST))
    assert report.added == []
    assert [reason for _source, reason in report.failed] == [
        "only http:// and https:// addresses can be read"
    ] * 3


def test_prune_removes_pages_the_site_no_longer_has_or_marks_noindex(db):
    site = make_site(db)
    web_site = small_website()
    with serve_website(web_site) as web:
        ingest_paths(db, site.id, [web.url + "/"], fetcher=Fetcher(FAST))
        # /services is no longer linked from anywhere, /about asks to be forgotten
        home = "<html><body><p>We design websites.</p><a href='/about'>About</a></body></html>"
        about = "<html><head><meta name='robots' content='noindex'></head><body>Hi</body></html>"
        web.pages["/"] = (200, HTML, home)
        web.pages["/about"] = (200, HTML, about)
        kept = ingest_paths(db, site.id, [web.url + "/"], fetcher=Fetcher(FAST))
        assert kept.removed == [] and set(_documents(db, site.id)) >= {web.url + "/services"}
        report = ingest_paths(db, site.id, [web.url + "/"], fetcher=Fetcher(FAST), prune=True)
    assert report.removed == [web.url + "/about", web.url + "/services"]
    assert report.summary().endswith(", 2 removed")
    assert set(_documents(db, site.id)) == {web.url + "/"}
    with db.session() as session:
        assert search(session, site.id, "audits") == []


def test_prune_removes_nothing_when_the_crawl_is_cut_short_or_the_site_is_down(db):
    site = make_site(db)
    with serve_website(small_website()) as web:
        ingest_paths(db, site.id, [web.url + "/"], fetcher=Fetcher(FAST))
        limited = Fetcher(FetchPolicy(outbound=LOCAL, delay=0, max_pages=1))
        cut = ingest_paths(db, site.id, [web.url + "/"], fetcher=limited, prune=True)
        url = web.url
    down = ingest_paths(db, site.id, [url + "/"], fetcher=Fetcher(FAST), prune=True)
    assert cut.removed == [] and down.removed == []
    assert "page limit" in dict(cut.skipped)[url + "/"]
    assert "no page answered" in dict(down.skipped)[url + "/"]
    assert cut.unread == [] and down.unread == [url + "/"]
    assert len(_documents(db, site.id)) == 3


def test_gzipped_sitemap_and_sitemap_index_are_read_within_the_size_limit(db):
    site = make_site(db)
    with serve_website(small_website()) as web:
        pages = f"<urlset><url><loc>{web.url}/about</loc></url></urlset>"
        index = f"<sitemapindex><sitemap><loc>{web.url}/sitemap-pages.xml.gz</loc></sitemap>"
        web.pages["/sitemap-index.xml"] = (200, "application/xml", index + "</sitemapindex>")
        web.pages["/sitemap-pages.xml.gz"] = (
            200,
            "application/gzip",
            gzip.compress(pages.encode()),
        )
        report = ingest_paths(db, site.id, [web.url + "/sitemap-index.xml"], fetcher=Fetcher(FAST))
        bomb = gzip.compress(b"<urlset>" + b" " * 50_000 + b"</urlset>")
        web.pages["/sitemap-bomb.xml.gz"] = (200, "application/x-gzip", bomb)
        small = Fetcher(FetchPolicy(outbound=LOCAL, delay=0, max_bytes=10_000))
        refused = ingest_paths(db, site.id, [web.url + "/sitemap-bomb.xml.gz"], fetcher=small)
    assert report.added == [web.url + "/about"] and report.failed == []
    assert (
        "larger than the limit of 10000 bytes"
        in dict(refused.failed)[web.url + "/sitemap-bomb.xml.gz"]
    )


def test_every_crawl_request_passes_the_outbound_guard(db):
    """Without the operator's permission a loopback site is not read, redirects included."""
    site = make_site(db)
    with serve_website(small_website()) as web:
        report = ingest_paths(db, site.id, [web.url + "/"], fetcher=Fetcher(FetchPolicy(delay=0)))
        assert report.added == [] and len(report.failed) == 1
        assert "private or local address" in report.failed[0][1]
        one_host = OutboundPolicy.from_values(False, [web.url.split("/")[2]])
        allowed = Fetcher(FetchPolicy(delay=0, outbound=one_host))
        assert ingest_paths(
            db, site.id, [web.url + "/services"], fetcher=allowed, follow_links=False
        ).added
