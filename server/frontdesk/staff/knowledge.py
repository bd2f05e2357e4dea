"""Staff dashboard: the knowledge base — documents, uploads, web pages, unanswered questions."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import select
from werkzeug.exceptions import RequestEntityTooLarge

from frontdesk import audit
from frontdesk.db.models import Document, Site
from frontdesk.extensions import get_db
from frontdesk.knowledge.fetch import FetchPolicy
from frontdesk.knowledge.ingest import IngestReport
from frontdesk.outbound.guard import OutboundPolicy
from frontdesk.staff import knowledge_ops as ops
from frontdesk.staff.auth import admin_required, staff_actor
from frontdesk.staff.knowledge_ops import KnowledgeError

bp = Blueprint("knowledge", __name__, url_prefix="/<site_key>/knowledge")

DEFAULT_CRAWL_PAGES = 25
MAX_PROBLEMS_SHOWN = 10


def _max_pages() -> int:
    return int(current_app.config.get("KNOWLEDGE_CRAWL_MAX_PAGES") or DEFAULT_CRAWL_PAGES)


def _crawl_policy() -> FetchPolicy:
    """The crawler's limits, and what the outbound guard lets it reach (configured)."""
    config = current_app.config
    outbound = OutboundPolicy.from_values(
        config.get("KNOWLEDGE_ALLOW_PRIVATE_URLS", False),
        config.get("OUTBOUND_ALLOWED_HOSTS") or (),
    )
    return FetchPolicy(max_pages=_max_pages(), outbound=outbound)


def _uploads(site: Site):
    return ops.uploads_dir(current_app.config["INSTANCE_PATH"], site.id)


def _render(site: Site, status: int = 200, **extra):
    with get_db().session() as session:
        documents = ops.list_documents(session, site.id)
        questions = ops.unanswered(session, site.id)
    return (
        render_template(
            "staff/knowledge.html",
            site=site,
            documents=documents,
            questions=questions,
            max_upload=current_app.config["MAX_UPLOAD_BYTES"],
            max_pages=_max_pages(),
            **extra,
        ),
        status,
    )


def _back(site: Site, anchor: str = ""):
    target = url_for("staff.knowledge.index", site_key=site.public_key)
    return redirect(target + (f"#{anchor}" if anchor else ""))


def _flash_report(report: IngestReport) -> None:
    """Say what an ingest run did, with the reasons of the first few problems."""
    flash(f"Knowledge base: {report.summary()}.", "success" if not report.failed else "error")
    for source, reason in (report.failed + report.skipped)[:MAX_PROBLEMS_SHOWN]:
        name = source.rsplit("/", 1)[-1] if "://" not in source else source
        flash(f"{name}: {reason}", "info")


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error):
    """Uploads over MAX_UPLOAD_BYTES are refused before any view runs: say so on the page."""
    flash(
        f"That upload is too large; the limit is {current_app.config['MAX_UPLOAD_BYTES']} bytes.",
        "error",
    )
    site_key = (request.view_args or {}).get("site_key", "")
    return redirect(url_for("staff.knowledge.index", site_key=site_key)), 303


@bp.get("/")
@admin_required
def index(site: Site):
    """Documents, add forms and the unanswered questions."""
    return _render(site)


@bp.post("/upload")
@admin_required
def upload(site: Site):
    """Store uploaded files and ingest them."""
    try:
        saved = ops.save_uploads(
            request.files.getlist("files"), _uploads(site), current_app.config["MAX_UPLOAD_BYTES"]
        )
    except KnowledgeError as exc:
        flash(str(exc), "error")
        return _render(site, 400)
    report = ops.ingest_paths(get_db(), site.id, [str(item.path) for item in saved])
    ops.forget_failed_uploads(report, saved)
    _record(
        site,
        "knowledge.uploaded",
        {"files": [item.original[:200] for item in saved], "result": report.counts()},
    )
    _flash_report(report)
    return _back(site, "documents")


@bp.post("/url")
@admin_required
def add_url(site: Site):
    """Read a page (and the pages it links to on the same site) or a sitemap."""
    policy = _crawl_policy()
    try:
        url = ops.check_public_url(request.form.get("url", ""), policy.outbound)
    except KnowledgeError as exc:
        flash(str(exc), "error")
        return _render(site, 400)
    follow = request.form.get("follow_links") == "on"
    report = ops.crawl_urls(get_db(), site.id, [url], policy=policy, follow_links=follow)
    _record(site, "knowledge.crawled", {"url": url, "result": report.counts()})
    _flash_report(report)
    return _back(site, "documents")


@bp.post("/documents/<int:document_id>/delete")
@admin_required
def delete(site: Site, document_id: int):
    """Delete a document and its passages."""
    try:
        title = ops.delete_document(get_db(), site.id, document_id, staff_actor(), _uploads(site))
    except KnowledgeError as exc:
        flash(str(exc), "error")
        return _render(site, 404)
    flash(f"Deleted “{title}”.", "success")
    return _back(site, "documents")


@bp.post("/documents/<int:document_id>/reindex")
@admin_required
def reindex(site: Site, document_id: int):
    """Read one document's source again."""
    with get_db().session() as session:
        try:
            source = ops.site_document(session, site.id, document_id).source
        except KnowledgeError as exc:
            flash(str(exc), "error")
            return _render(site, 404)
    if ops.source_kind(source) == "manual":
        flash("Written answers have no source to read again.", "info")
        return _back(site, "documents")
    _flash_report(ops.reindex(get_db(), site.id, [source], policy=_crawl_policy()))
    return _back(site, "documents")


@bp.post("/reindex")
@admin_required
def reindex_all(site: Site):
    """Read every file and page source again (unchanged ones are left as they are)."""
    with get_db().session() as session:
        sources = list(session.scalars(select(Document.source).where(Document.site_id == site.id)))
    report = ops.reindex(get_db(), site.id, sources, policy=_crawl_policy())
    _record(site, "knowledge.reindexed", {"result": report.counts()})
    _flash_report(report)
    return _back(site, "documents")


@bp.route("/unanswered/<int:question_id>", methods=["GET", "POST"])
@admin_required
def answer(site: Site, question_id: int):
    """Write a knowledge entry that answers an open question."""
    with get_db().session() as session:
        try:
            question = ops.open_question(session, site.id, question_id).question
        except KnowledgeError as exc:
            flash(str(exc), "error")
            return _back(site, "unanswered")
    title = request.form.get("title", question[:200])
    text = request.form.get("answer", "")
    if request.method == "POST":
        try:
            ops.answer_question(get_db(), site.id, question_id, title, text, staff_actor())
        except KnowledgeError as exc:
            flash(str(exc), "error")
        else:
            flash("Answer added to the knowledge base; the question is resolved.", "success")
            return _back(site, "unanswered")
    page = render_template(
        "staff/knowledge_answer.html",
        site=site,
        question=question,
        question_id=question_id,
        title=title,
        answer=text,
    )
    return page, 400 if request.method == "POST" else 200


@bp.post("/unanswered/<int:question_id>/dismiss")
@admin_required
def dismiss(site: Site, question_id: int):
    """Resolve a question without writing an answer."""
    try:
        ops.close_question(get_db(), site.id, question_id, staff_actor(), dismissed=True)
    except KnowledgeError as exc:
        flash(str(exc), "error")
        return _render(site, 404)
    flash("Question dismissed.", "success")
    return _back(site, "unanswered")


def _record(site: Site, action: str, data: dict) -> None:
    with get_db().transaction() as session:
        audit.record(
            session,
            site_id=site.id,
            actor=staff_actor(),
            action=action,
            subject_type="site",
            subject_id=site.public_key,
            data=data,
        )
