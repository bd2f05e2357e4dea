"""Removing what a re-ingest no longer finds: files gone from a folder, pages gone from a site."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, select

from frontdesk.db import Database
from frontdesk.db.models import Chunk, Document


def prune(db: Database, site_id: int, prefix: str, found: Iterable[str]) -> list[str]:
    """Delete the site's documents whose source starts with `prefix` but was not `found`.

    Returns the removed sources. The caller decides when a scope was read completely enough
    for its absences to mean anything (a folder that exists, a crawl that was not cut short).
    """
    keep = set(found)
    with db.write_transaction() as session:
        rows = session.execute(
            select(Document.id, Document.source).where(
                Document.site_id == site_id, Document.source.startswith(prefix, autoescape=True)
            )
        ).all()
        gone = [(doc_id, source) for doc_id, source in rows if source not in keep]
        ids = [doc_id for doc_id, _ in gone]
        if ids:
            session.execute(delete(Chunk).where(Chunk.document_id.in_(ids)))
            session.execute(delete(Document).where(Document.id.in_(ids)))
    return sorted(source for _, source in gone)
