"""Knowledge search: full-text ranking on SQLite (FTS5 bm25) and PostgreSQL (tsvector), per site."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from frontdesk.db.models import Chunk, UnansweredQuestion
from frontdesk.knowledge.embeddings import Embedder, blend, cosine
from frontdesk.knowledge.fulltext import postgres_rows, sqlite_rows
from frontdesk.knowledge.query import required_matches, search_terms

MAX_LIMIT = 20
MAX_QUESTION_CHARS = 2000


@dataclass(frozen=True)
class Passage:
    """A relevant chunk; `score` is higher for better matches (comparable within one search)."""

    chunk_id: int
    document_id: int
    title: str
    url: str
    heading: str
    text: str
    score: float


def search(
    session: Session,
    site_id: int,
    query: str,
    *,
    limit: int = 5,
    embedder: Embedder | None = None,
    embedding_weight: float = 0.5,
) -> list[Passage]:
    """The site's passages relevant to a free-text query, best first; [] when nothing fits.

    Any text is safe: only plain words reach the database, as bound parameters.
    With an embedder, the full-text candidates are re-ranked by meaning as well.
    """
    terms = search_terms(query)
    limit = max(1, min(int(limit), MAX_LIMIT))
    if not terms:
        return []
    needed = required_matches(len(terms))
    # The match itself guarantees one or two terms; per-term checks are needed only above.
    with_flags = needed > 2
    # Extra candidates only when some may be dropped (coverage) or re-ordered (embeddings).
    candidates = max(limit * 5, 50) if with_flags or embedder is not None else limit
    rows_for = sqlite_rows if session.get_bind().dialect.name == "sqlite" else postgres_rows
    rows = rows_for(
        session, site_id, terms, at_least=min(2, needed), n=candidates, flags=with_flags
    )
    if with_flags:
        rows = [row for row in rows if _matched_terms(row, len(terms)) >= needed]
    passages = [_passage(row) for row in rows]
    if embedder is not None and passages:
        passages = _rerank(session, passages, embedder.embed_one(query), embedding_weight)
    return passages[:limit]


def _matched_terms(row: Any, term_count: int) -> int:
    return sum(1 for i in range(term_count) if row[7 + i])


def _passage(row: Any) -> Passage:
    return Passage(
        chunk_id=row[0],
        document_id=row[1],
        title=row[2],
        url=row[3] or "",
        heading=row[4] or "",
        text=row[5],
        score=float(row[6]),
    )


def _rerank(
    session: Session, passages: list[Passage], query_vector: list[float], weight: float
) -> list[Passage]:
    ids = [passage.chunk_id for passage in passages]
    rows = session.execute(select(Chunk.id, Chunk.embedding).where(Chunk.id.in_(ids)))
    vectors = {chunk_id: vector for chunk_id, vector in rows}
    similarities = [cosine(query_vector, vectors.get(chunk_id)) for chunk_id in ids]
    scores = blend([p.score for p in passages], similarities, weight)
    ranked = [replace(p, score=s) for p, s in zip(passages, scores, strict=True)]
    return sorted(ranked, key=lambda passage: passage.score, reverse=True)


def record_unanswered(
    session: Session,
    site_id: int,
    conversation_id: int | None,
    question: str,
    *,
    best: dict[str, Any] | None = None,
) -> UnansweredQuestion:
    """Queue a question the knowledge base could not answer (once per conversation).

    `best` is the closest candidate found (title, url, heading, quote, coverage), kept in
    `extra["best"]` so staff can see why it missed. Added to `session` and flushed; the
    caller commits.
    """
    # Control characters (NUL breaks PostgreSQL text) go; runs of whitespace become one space.
    printable = "".join(ch if ch.isprintable() else " " for ch in question)
    question = " ".join(printable.split())[:MAX_QUESTION_CHARS]
    if not question:
        raise ValueError("the question is empty")
    existing = session.scalars(
        select(UnansweredQuestion).where(
            UnansweredQuestion.site_id == site_id,
            UnansweredQuestion.conversation_id == conversation_id,
            UnansweredQuestion.question == question,
            UnansweredQuestion.resolved.is_(False),
        )
    ).first()
    if existing is not None:
        return existing
    item = UnansweredQuestion(
        site_id=site_id,
        conversation_id=conversation_id,
        question=question,
        extra={"best": best} if best else {},
    )
    session.add(item)
    session.flush()
    return item
