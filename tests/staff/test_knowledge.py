"""Staff knowledge base over real HTTP: uploads, web pages, delete, re-index, unanswered questions."""

from __future__ import annotations

import functools
import io
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import func, select

from frontdesk.db.models import AuditEvent, Chunk, Document, UnansweredQuestion
from frontdesk.knowledge.search import record_unanswered, search
from tests.support.factories import make_site
from tests.support.forms import csrf_from
from tests.support.staff_accounts import make_staff, sign_in

FAQ = b"""# Parking FAQ

Visitors can park in the zebrafinch garage behind the studio. The first two hours are free.

## Accessibility

The studio has step-free access from the garage lift.
"""


def url(site, tail=""):
    return f"/staff/{site.public_key}/knowledge/{tail}"


def token(client, site):
    return csrf_from(client.get(url(site)).get_data(as_text=True))


def upload(client, site, *files):
    data = {
        "csrf_token": token(client, site),
        "files": [(io.BytesIO(content), name) for name, content in files],
    }
    return client.post(url(site, "upload"), data=data, content_type="multipart/form-data")


def found(app, site_id, query):
    with app.extensions["frontdesk.db"].session() as session:
        return search(session, site_id, query)


def counts(app, site_id):
    with app.extensions["frontdesk.db"].session() as session:
        docs = session.scalar(select(func.count(Document.id)).where(Document.site_id == site_id))
        chunks = session.scalar(select(func.count(Chunk.id)).where(Chunk.site_id == site_id))
    return docs, chunks


def test_upload_markdown_is_searchable_and_listed(app, signed_in, site):
    response = upload(signed_in, site, ("parking faq.md", FAQ))
    assert response.status_code == 302
    passages = found(app, site.id, "zebrafinch garage")
    assert passages and passages[0].title == "Parking FAQ"
    page = signed_in.get(url(site)).get_data(as_text=True)
    assert "Parking FAQ" in page and "parking_faq.md" in page and "1 added" in page
    stored = Path(app.config["INSTANCE_PATH"]) / "uploads" / str(site.id)
    files = list(stored.rglob("*.md"))
    assert [f.name for f in files] == ["parking_faq.md"]  # sanitised, in a generated folder


def test_upload_refuses_unsupported_and_oversized_files(app, signed_in, site):
    before = counts(app, site.id)
    response = upload(signed_in, site, ("tool.exe", b"MZ..."))
    assert response.status_code == 400 and "unsupported file type" in response.get_data(
        as_text=True
    )
    response = upload(signed_in, site)
    assert response.status_code == 400 and "Choose at least one file" in response.get_data(
        as_text=True
    )
    app.config["MAX_CONTENT_LENGTH"] = 1000
    response = upload(signed_in, site, ("big.md", b"# Big\n\n" + b"word " * 1000))
    assert response.status_code == 303
    assert "too large" in signed_in.get(url(site)).get_data(as_text=True)
    assert counts(app, site.id) == before
    assert not list((Path(app.config["INSTANCE_PATH"]) / "uploads").rglob("*.*"))


def test_unreadable_upload_is_reported_and_not_kept(app, signed_in, site):
    response = upload(signed_in, site, ("empty.txt", b"   \n"))
    assert response.status_code == 302
    page = signed_in.get(url(site)).get_data(as_text=True)
    assert "1 failed" in page and "no text found" in page
    assert counts(app, site.id) == (0, 0)
    assert not list((Path(app.config["INSTANCE_PATH"]) / "uploads").rglob("*.txt"))


def test_delete_removes_document_chunks_and_file(app, signed_in, site):
    upload(signed_in, site, ("parking.md", FAQ))
    with app.extensions["frontdesk.db"].session() as session:
        doc_id = session.scalar(select(Document.id).where(Document.site_id == site.id))
    response = signed_in.post(
        url(site, f"documents/{doc_id}/delete"), data={"csrf_token": token(signed_in, site)}
    )
    assert response.status_code == 302
    assert found(app, site.id, "zebrafinch garage") == []
    assert counts(app, site.id) == (0, 0)
    assert not list((Path(app.config["INSTANCE_PATH"]) / "uploads").rglob("*.md"))
    with app.extensions["frontdesk.db"].session() as session:
        assert session.scalar(
            select(AuditEvent.id).where(
                AuditEvent.action == "knowledge.document_deleted", AuditEvent.actor_type == "staff"
            )
        )


def test_reindex_picks_up_a_changed_file(app, signed_in, site):
    upload(signed_in, site, ("parking.md", FAQ))
    stored = next((Path(app.config["INSTANCE_PATH"]) / "uploads").rglob("parking.md"))
    stored.write_bytes(FAQ.replace(b"zebrafinch", b"kingfisher"))
    with app.extensions["frontdesk.db"].session() as session:
        doc_id = session.scalar(select(Document.id).where(Document.site_id == site.id))
    response = signed_in.post(
        url(site, f"documents/{doc_id}/reindex"), data={"csrf_token": token(signed_in, site)}
    )
    assert response.status_code == 302
    assert found(app, site.id, "kingfisher garage") and not found(app, site.id, "zebrafinch")
    response = signed_in.post(url(site, "reindex"), data={"csrf_token": token(signed_in, site)})
    assert response.status_code == 302
    assert "1 unchanged" in signed_in.get(url(site)).get_data(as_text=True)


def test_unanswered_question_becomes_knowledge(app, signed_in, site):
    db = app.extensions["frontdesk.db"]
    with db.transaction() as session:
        question = record_unanswered(session, site.id, None, "Do you offer gift vouchers?")
        question_id = question.id
    page = signed_in.get(url(site)).get_data(as_text=True)
    assert "Do you offer gift vouchers?" in page
    form = signed_in.get(url(site, f"unanswered/{question_id}")).get_data(as_text=True)
    assert 'value="Do you offer gift vouchers?"' in form  # prefilled title
    # An empty answer is refused and nothing changes.
    response = signed_in.post(
        url(site, f"unanswered/{question_id}"),
        data={"csrf_token": csrf_from(form), "title": "Gift vouchers", "answer": "  "},
    )
    assert response.status_code == 400 and "Write an answer" in response.get_data(as_text=True)
    assert counts(app, site.id) == (0, 0)
    response = signed_in.post(
        url(site, f"unanswered/{question_id}"),
        data={
            "csrf_token": csrf_from(form),
            "title": "Gift vouchers",
            "answer": "Yes: gift vouchers for any consultation, valid for twelve months.",
        },
    )
    assert response.status_code == 302
    passages = found(app, site.id, "gift vouchers")
    assert passages and passages[0].title == "Gift vouchers"
    with db.session() as session:
        assert session.get(UnansweredQuestion, question_id).resolved
        assert session.scalar(select(Document.source)) == f"manual:{question_id}"
    assert "Do you offer gift vouchers?" not in signed_in.get(url(site)).get_data(as_text=True)
    again = signed_in.get(url(site, f"unanswered/{question_id}"))
    assert again.status_code == 302  # resolved: no form any more


def test_dismiss_resolves_without_entry(app, signed_in, site):
    db = app.extensions["frontdesk.db"]
    with db.transaction() as session:
        question_id = record_unanswered(session, site.id, None, "What is the meaning of life?").id
    response = signed_in.post(
        url(site, f"unanswered/{question_id}/dismiss"), data={"csrf_token": token(signed_in, site)}
    )
    assert response.status_code == 302
    with db.session() as session:
        item = session.get(UnansweredQuestion, question_id)
        assert item.resolved and item.extra["dismissed"] is True
    assert counts(app, site.id) == (0, 0)


def test_private_addresses_are_not_crawled(app, signed_in, site):
    for address in ("http://127.0.0.1:9/", "ftp://example.com/", "not a url"):
        response = signed_in.post(
            url(site, "url"), data={"csrf_token": token(signed_in, site), "url": address}
        )
        assert response.status_code == 400, address
    assert counts(app, site.id) == (0, 0)


@pytest.fixture
def web_site(tmp_path):
    """A real HTTP server with robots.txt and one page."""
    root = tmp_path / "www"
    root.mkdir()
    (root / "robots.txt").write_text("User-agent: *\nAllow: /\n")
    (root / "services.html").write_text(
        "<html><head><title>Our services</title></head><body><main><h1>Our services</h1>"
        "<p>We build pelican dashboards for harbour pilots.</p></main></body></html>"
    )
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *args: None
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_add_page_by_url(app, signed_in, site, web_site):
    app.config["KNOWLEDGE_ALLOW_PRIVATE_URLS"] = True  # the test server is on loopback
    response = signed_in.post(
        url(site, "url"),
        data={"csrf_token": token(signed_in, site), "url": f"{web_site}/services.html"},
    )
    assert response.status_code == 302
    passages = found(app, site.id, "pelican dashboards")
    assert passages and passages[0].url == f"{web_site}/services.html"
    assert f"{web_site}/services.html" in signed_in.get(url(site)).get_data(as_text=True)


def test_other_sites_staff_get_404(app, client, site):
    db = app.extensions["frontdesk.db"]
    with db.transaction() as session:
        question_id = record_unanswered(session, site.id, None, "Secret question?").id
    other = make_site(db, name="Other")
    make_staff(db, other.id, "bob@other.test")
    sign_in(client, "bob@other.test")
    assert client.get(url(site)).status_code == 404
    assert client.get(url(site, f"unanswered/{question_id}")).status_code == 404
    own = csrf_from(client.get(url(other)).get_data(as_text=True))
    response = client.post(url(site, f"unanswered/{question_id}/dismiss"), data={"csrf_token": own})
    assert response.status_code == 404
    # Another site's question id under one's own site key is not found either.
    response = client.post(
        url(other, f"unanswered/{question_id}/dismiss"), data={"csrf_token": own}
    )
    assert response.status_code == 404
    with db.session() as session:
        assert not session.get(UnansweredQuestion, question_id).resolved


def test_unanswered_questions_show_what_came_closest(app, signed_in, site):
    db = app.extensions["frontdesk.db"]
    best = {"title": "Pricing", "url": "", "heading": "Tours", "quote": "<b>From $690</b>",
            "coverage": 0.4}  # fmt: skip
    with db.transaction() as session:
        record_unanswered(session, site.id, None, "Do you do drone video?", best=best)
    page = signed_in.get(url(site)).get_data(as_text=True)
    assert "Closest found (40% of the question)" in page and "Pricing › Tours" in page
    assert "&lt;b&gt;From $690&lt;/b&gt;" in page  # page text is escaped, never markup
    with db.transaction() as session:  # a page that shares no word with the question
        record_unanswered(session, site.id, None, "Any parking?", best={**best, "coverage": 0.0})
    page = signed_in.get(url(site)).get_data(as_text=True)
    assert "Closest found (none of the question's words)" in page and "(0% of" not in page
