"""Ingest files, folders and web pages into a site's knowledge base, one transaction per document."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import delete, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from frontdesk.db import Database
from frontdesk.db.models import Chunk, Document
from frontdesk.knowledge.crawl import NOINDEX, CrawlStats, crawl
from frontdesk.knowledge.embeddings import Embedder
from frontdesk.knowledge.extract import (
    SUPPORTED_SUFFIXES,
    URL_CHARS,
    Extracted,
    ExtractError,
    extract_file,
    extract_html,
    title_from_filename,
)
from frontdesk.knowledge.fetch import CrawlItem, Fetcher, origin_of
from frontdesk.knowledge.prune import prune as prune_missing

Progress = Callable[["Step"], None]


@dataclass(frozen=True)
class Step:
    """One document handled: `outcome` is added/updated/unchanged/failed/skipped."""

    source: str
    outcome: str
    done: int
    total: int | None  # None while crawling: the number of pages is not known in advance
    reason: str = ""


@dataclass
class IngestReport:
    """What an ingest run did to each source, with the reasons for failures and skips."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # only with prune=True
    unread: list[str] = field(default_factory=list)  # sources that gave nothing at all
    pruned: bool = False  # whether absent documents were looked for

    def counts(self) -> dict[str, int]:
        """Number of documents per outcome."""
        return {
            "added": len(self.added),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
            "failed": len(self.failed),
            "skipped": len(self.skipped),
        }

    def read(self) -> int:
        """Documents read successfully (added, updated or unchanged)."""
        return len(self.added) + len(self.updated) + len(self.unchanged)

    def summary(self) -> str:
        """'2 added, 1 updated, 0 unchanged, 1 failed, 0 skipped' (and ', 1 removed')."""
        text = ", ".join(f"{count} {name}" for name, count in self.counts().items())
        return text + (f", {len(self.removed)} removed" if self.pruned else "")

    def record(self, source: str, outcome: str, reason: str = "") -> None:
        """Note one document's outcome."""
        if outcome in {"failed", "skipped"}:
            getattr(self, outcome).append((source, reason))
        else:
            getattr(self, outcome).append(source)


def ingest_paths(
    db: Database,
    site_id: int,
    sources: list[str],
    *,
    progress: Progress | None = None,
    fetcher: Fetcher | None = None,
    embedder: Embedder | None = None,
    follow_links: bool = True,
    prune: bool = False,
) -> IngestReport:
    """Ingest files, folders (recursively) and URLs (a page and its links, or a sitemap).

    A source that gave nothing at all (a missing file, a site that did not answer, a folder
    with nothing readable) is listed in `report.unread`; one failure among many pages is not.
    With `prune`, documents that came from a given folder or site but were not found this time
    are removed: files no longer in the folder, pages the complete crawl no longer reached.
    """
    report = IngestReport(pruned=prune)
    files = [item for item in sources if not is_url(item)]
    urls = [item for item in sources if is_url(item)]
    expanded = [(source, list(_expand_files([source]))) for source in files]
    total = None if urls else sum(len(found) for _source, found in expanded)

    def note(source: str, outcome: tuple[str, str]) -> None:
        report.record(source, *outcome)
        if progress is not None:
            done = sum(report.counts().values())
            progress(Step(source, outcome[0], done, total, outcome[1]))

    for source, found in expanded:
        read_before = report.read()
        for entry in found:
            if entry.skip:
                note(entry.path, ("skipped", entry.skip))
            else:
                note(entry.path, _file(db, site_id, entry.path, entry.error, embedder))
        if report.read() == read_before:
            report.unread.append(source)
    if prune:
        stored = {e.path for _source, found in expanded for e in found if not (e.error or e.skip)}
        _prune_folders(db, site_id, files, stored, report)
    fetcher = fetcher or Fetcher()
    for url in urls:
        read_before = report.read()
        if urlsplit(url).scheme.lower() not in {"http", "https"} or not urlsplit(url).hostname:
            note(url, ("failed", "only http:// and https:// addresses can be read"))
            report.unread.append(url)
            continue
        stats, reached = CrawlStats(), set()
        for item in crawl(url, fetcher, follow_links=follow_links, stats=stats):
            if item.skipped != NOINDEX:  # a page now marked noindex is to be forgotten
                reached.add(item.url)
            note(item.url, _page(db, site_id, item, embedder))
        if report.read() == read_before:
            report.unread.append(url)
        if prune:
            _prune_site(db, site_id, url, stats, reached, report)
    return report


def _prune_folders(db, site_id, sources: list[str], found: set[str], report: IngestReport):
    for source in sources:
        folder = Path(source).expanduser().absolute()
        if folder.is_dir():  # a missing folder is an error, not an empty one
            report.removed += prune_missing(db, site_id, str(folder) + os.sep, found)


def _prune_site(db, site_id, url: str, stats: CrawlStats, reached: set[str], report):
    if not (stats.answered and stats.complete):
        # A site that did not answer, or a crawl cut short by the page limit, proves nothing.
        reason = "the crawl stopped at the page limit" if stats.answered else "no page answered"
        report.skipped.append((url, f"nothing removed: {reason}"))
        return
    report.removed += prune_missing(db, site_id, origin_of(url) + "/", reached)


def is_url(source: str) -> bool:
    """Whether a source names a web address rather than a file."""
    return "://" in source


@dataclass(frozen=True)
class FileEntry:
    """A file found under a source: to read, missing (`error`), or passed over (`skip`, why)."""

    path: str
    error: str = ""
    skip: str = ""


def _expand_files(sources: list[str]) -> Iterator[FileEntry]:
    """Each file to ingest; folders are walked, hidden entries (.git, drafts) left out unseen,
    files of other types reported as skipped with the reason."""
    for source in sources:
        path = Path(source).expanduser().absolute()
        if path.is_dir():
            for root, dirs, names in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(n for n in names if not n.startswith(".")):
                    suffix = Path(name).suffix.lower()
                    skip = "" if suffix in SUPPORTED_SUFFIXES else unsupported_reason(suffix)
                    yield FileEntry(str(Path(root) / name), skip=skip)
        elif path.is_file():
            yield FileEntry(str(path))
        else:
            yield FileEntry(str(path), error="no such file or folder")


def unsupported_reason(suffix: str) -> str:
    """Why a file of this type is passed over, naming the types that are read."""
    return f"unsupported file type {suffix or '(no extension)'} (Markdown, HTML, text and PDF are read)"


def _file(
    db: Database, site_id: int, source: str, error: str, embedder: Embedder | None
) -> tuple[str, str]:
    if error:
        return "failed", error
    try:
        extracted = extract_file(Path(source))
    except ExtractError as exc:
        return "failed", str(exc)
    except OSError as exc:
        return "failed", f"cannot read: {exc.strerror or exc}"
    return store(db, site_id, source, extracted, embedder)


def _page(
    db: Database, site_id: int, item: CrawlItem, embedder: Embedder | None
) -> tuple[str, str]:
    if item.page is None:
        return ("skipped", item.skipped) if item.skipped else ("failed", item.failed)
    try:
        fallback = title_from_filename(urlsplit(item.url).path.rstrip("/").rsplit("/", 1)[-1])
        extracted = extract_html(item.page.text, fallback or urlsplit(item.url).netloc, item.url)
    except ExtractError as exc:
        return "failed", str(exc)
    return store(db, site_id, item.url, extracted, embedder)


def store(
    db: Database, site_id: int, source: str, extracted: Extracted, embedder: Embedder | None
) -> tuple[str, str]:
    """Add, replace or leave one document; (outcome, reason). Nothing is half-written."""
    if len(source) > URL_CHARS:
        return "failed", f"source name longer than {URL_CHARS} characters"
    content_hash = extracted.content_hash
    with db.session() as session:
        if _stored_hash(session, site_id, source) == content_hash:
            return "unchanged", ""
    vectors = None
    if embedder is not None:
        # Fetched outside the transaction: a slow embeddings API must not hold the write lock.
        try:
            vectors = embedder.embed([chunk.text for chunk in extracted.chunks])
        except Exception as exc:  # any client/network error fails this document only
            return "failed", f"embeddings failed: {exc}"
    try:
        with db.write_transaction() as session:
            return _write(session, site_id, source, extracted, content_hash, vectors), ""
    except SQLAlchemyError as exc:
        return "failed", f"database error: {type(exc).__name__}"


def _stored_hash(session: Session, site_id: int, source: str) -> str | None:
    query = select(Document.content_hash).where(
        Document.site_id == site_id, Document.source == source
    )
    return session.scalar(query)


def _write(
    session: Session,
    site_id: int,
    source: str,
    extracted: Extracted,
    content_hash: str,
    vectors: list[list[float]] | None,
) -> str:
    document = session.scalars(
        select(Document).where(Document.site_id == site_id, Document.source == source)
    ).first()
    if document is not None and document.content_hash == content_hash:
        return "unchanged"  # someone else stored the same content meanwhile
    outcome = "updated" if document is not None else "added"
    if document is None:
        document = Document(site_id=site_id, source=source)
        session.add(document)
    document.title = extracted.title
    document.url = extracted.url
    document.content_hash = content_hash
    session.flush()
    # Old passages go in the same transaction as the new ones arrive: search never sees a gap.
    session.execute(delete(Chunk).where(Chunk.document_id == document.id))
    for position, chunk in enumerate(extracted.chunks):
        session.add(
            Chunk(
                document_id=document.id,
                site_id=site_id,
                position=position,
                heading=chunk.heading,
                text=chunk.text,
                embedding=vectors[position] if vectors else None,
            )
        )
    return outcome
