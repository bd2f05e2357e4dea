"""Knowledge-base work for the dashboard: uploads, URL checks, deleting, re-indexing, manual answers."""

from __future__ import annotations

import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage
from werkzeug.utils import secure_filename

from frontdesk import audit
from frontdesk.db import Database
from frontdesk.db.models import Chunk, Document, UnansweredQuestion
from frontdesk.knowledge.chunking import chunk_plain_text
from frontdesk.knowledge.extract import (
    SUPPORTED_SUFFIXES,
    TITLE_CHARS,
    URL_CHARS,
    ExtractError,
    finish,
)
from frontdesk.knowledge.fetch import Fetcher, FetchPolicy
from frontdesk.knowledge.ingest import IngestReport, ingest_paths, is_url, store
from frontdesk.outbound.guard import BlockedURL, OutboundPolicy, vet_url

MANUAL_PREFIX = "manual:"
MAX_FILES_PER_UPLOAD = 20
MAX_ANSWER_CHARS = 20_000
UNANSWERED_SHOWN = 100


class KnowledgeError(ValueError):
    """A request the knowledge base cannot carry out (the message says why)."""


@dataclass(frozen=True)
class SavedUpload:
    """An uploaded file stored on disk: where, and the name the staff member gave it."""

    path: Path
    original: str


def uploads_dir(instance_path: str, site_id: int) -> Path:
    """The folder holding a site's uploaded documents."""
    return Path(instance_path) / "uploads" / str(int(site_id))


def save_uploads(files: list[FileStorage], folder: Path, max_bytes: int) -> list[SavedUpload]:
    """Check and store uploaded files under generated folder names; KnowledgeError when unfit."""
    files = [f for f in files if f and f.filename]
    if not files:
        raise KnowledgeError("Choose at least one file to upload.")
    if len(files) > MAX_FILES_PER_UPLOAD:
        raise KnowledgeError(f"Upload at most {MAX_FILES_PER_UPLOAD} files at a time.")
    for upload in files:
        suffix = Path(upload.filename).suffix.lower()
        if suffix not in SUPPORTED_SUFFIXES:
            allowed = ", ".join(sorted(SUPPORTED_SUFFIXES))
            raise KnowledgeError(f"{upload.filename}: unsupported file type (use {allowed}).")
    saved = []
    for upload in files:
        # The visitor-facing title comes from the name, so keep a sanitised one; the random
        # folder makes the path unguessable and keeps same-named uploads apart.
        name = secure_filename(upload.filename) or "document" + Path(upload.filename).suffix
        if Path(name).suffix.lower() not in SUPPORTED_SUFFIXES:
            name = "document" + Path(upload.filename).suffix.lower()
        target = folder / secrets.token_hex(8) / name[-120:]
        target.parent.mkdir(parents=True, exist_ok=True)
        upload.save(target)
        if target.stat().st_size > max_bytes:
            shutil.rmtree(target.parent, ignore_errors=True)
            raise KnowledgeError(f"{upload.filename} is larger than {max_bytes} bytes.")
        saved.append(SavedUpload(target, upload.filename))
    return saved


def forget_failed_uploads(report: IngestReport, saved: list[SavedUpload]) -> None:
    """Delete stored files that could not be ingested (nothing refers to them)."""
    failed = {source for source, _ in report.failed + report.skipped}
    for upload in saved:
        if str(upload.path) in failed:
            shutil.rmtree(upload.path.parent, ignore_errors=True)


def check_public_url(url: str, outbound: OutboundPolicy) -> str:
    """An http(s) URL the outbound guard lets through (no crawling the intranet); the crawl
    checks every request again, pinned, so this only gives staff the reason at once."""
    url = url.strip()
    if len(url) > URL_CHARS:
        raise KnowledgeError("Give a web address starting with http:// or https://.")
    try:
        vet_url(url, outbound)
    except BlockedURL as exc:
        raise KnowledgeError(str(exc).replace("not contacted", "not read")) from None
    return url


def crawl_urls(
    db: Database, site_id: int, urls: list[str], *, policy: FetchPolicy, follow_links: bool
):
    """Read pages (or a sitemap) with the polite crawler under `policy` (its page limit is per
    URL; its outbound policy is what the guard lets through)."""
    return ingest_paths(db, site_id, urls, fetcher=Fetcher(policy), follow_links=follow_links)


def list_documents(session: Session, site_id: int) -> list[dict[str, Any]]:
    """The site's documents with their chunk counts, newest change first."""
    counts = (
        select(Chunk.document_id, func.count(Chunk.id).label("chunks"))
        .where(Chunk.site_id == site_id)
        .group_by(Chunk.document_id)
        .subquery()
    )
    rows = session.execute(
        select(Document, func.coalesce(counts.c.chunks, 0))
        .outerjoin(counts, counts.c.document_id == Document.id)
        .where(Document.site_id == site_id)
        .order_by(Document.updated_at.desc(), Document.id.desc())
    ).all()
    return [
        {"document": doc, "chunks": chunks, "kind": source_kind(doc.source), "label": label(doc)}
        for doc, chunks in rows
    ]


def source_kind(source: str) -> str:
    """'manual', 'web' or 'file'."""
    if source.startswith(MANUAL_PREFIX):
        return "manual"
    return "web" if is_url(source) else "file"


def label(document: Document) -> str:
    """What the list shows as the source: the URL, the file name, or 'written answer'."""
    kind = source_kind(document.source)
    if kind == "manual":
        return "Written answer"
    return document.source if kind == "web" else Path(document.source).name


def site_document(session: Session, site_id: int, document_id: int) -> Document:
    """One of the site's documents; KnowledgeError for anything else."""
    document = session.get(Document, document_id)
    if document is None or document.site_id != site_id:
        raise KnowledgeError("That document does not exist.")
    return document


def delete_document(db: Database, site_id: int, document_id: int, actor, uploads: Path) -> str:
    """Remove a document and its passages (and its uploaded file); returns its title."""
    with db.write_transaction() as session:
        document = site_document(session, site_id, document_id)
        title, source = document.title, document.source
        session.execute(delete(Chunk).where(Chunk.document_id == document_id))
        session.execute(delete(Document).where(Document.id == document_id))
        audit.record(
            session,
            site_id=site_id,
            actor=actor,
            action="knowledge.document_deleted",
            subject_type="document",
            subject_id=str(document_id),
            data={"title": title},
        )
    path = Path(source)
    if source_kind(source) == "file" and path.parent.parent == uploads:
        shutil.rmtree(path.parent, ignore_errors=True)
    return title


def reindex(db: Database, site_id: int, sources: list[str], *, policy: FetchPolicy) -> IngestReport:
    """Ingest stored sources again (pages one by one, not followed); manual answers are skipped."""
    report = IngestReport()
    files = [s for s in sources if source_kind(s) == "file"]
    urls = [s for s in sources if source_kind(s) == "web"]
    for part in (
        ingest_paths(db, site_id, files) if files else None,
        crawl_urls(db, site_id, urls, policy=policy, follow_links=False) if urls else None,
    ):
        if part is not None:
            for outcome in ("added", "updated", "unchanged", "failed", "skipped"):
                getattr(report, outcome).extend(getattr(part, outcome))
    return report


def open_question(session: Session, site_id: int, question_id: int) -> UnansweredQuestion:
    """One of the site's unresolved questions; KnowledgeError otherwise."""
    item = session.get(UnansweredQuestion, question_id)
    if item is None or item.site_id != site_id or item.resolved:
        raise KnowledgeError("That question is not open any more.")
    return item


def unanswered(session: Session, site_id: int) -> list[UnansweredQuestion]:
    """Open questions, newest first."""
    query = (
        select(UnansweredQuestion)
        .where(UnansweredQuestion.site_id == site_id, UnansweredQuestion.resolved.is_(False))
        .order_by(UnansweredQuestion.created_at.desc(), UnansweredQuestion.id.desc())
    )
    return list(session.scalars(query.limit(UNANSWERED_SHOWN)))


def answer_question(
    db: Database, site_id: int, question_id: int, title: str, answer: str, actor
) -> None:
    """Turn an open question into a written knowledge entry and mark it resolved."""
    title, answer = " ".join(title.split()), answer.strip()
    if not title or len(title) > TITLE_CHARS:
        raise KnowledgeError(f"Give a title of 1 to {TITLE_CHARS} characters.")
    if not answer or len(answer) > MAX_ANSWER_CHARS:
        raise KnowledgeError(f"Write an answer of 1 to {MAX_ANSWER_CHARS} characters.")
    with db.session() as session:
        open_question(session, site_id, question_id)
    try:
        extracted = finish(title, "", chunk_plain_text(answer, default_heading=title))
    except ExtractError as exc:
        raise KnowledgeError(f"The answer cannot be stored: {exc}.") from None
    outcome, reason = store(db, site_id, f"{MANUAL_PREFIX}{question_id}", extracted, None)
    if outcome == "failed":
        raise KnowledgeError(f"The answer could not be stored: {reason}.")
    close_question(db, site_id, question_id, actor, dismissed=False)


def close_question(db: Database, site_id: int, question_id: int, actor, *, dismissed: bool) -> None:
    """Mark a question resolved: answered, or dismissed as not worth an entry."""
    with db.write_transaction() as session:
        item = open_question(session, site_id, question_id)
        item.resolved = True
        item.extra = {**(item.extra or {}), "dismissed": dismissed}
        audit.record(
            session,
            site_id=site_id,
            actor=actor,
            action="knowledge.question_dismissed" if dismissed else "knowledge.question_answered",
            subject_type="unanswered_question",
            subject_id=str(question_id),
        )
