"""Knowledge search: full-text ranking on SQLite (FTS5 bm25) and PostgreSQL (tsvector), per site."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from frontdesk.db.models import Chunk, UnansweredQuestion
from frontdesk.knowledge.embeddings import Embedder, blend, cosine
from frontdesk.knowledge.query import fts5_match, required_matches, search_terms

MAX_LIMIT = 20
MAX_QUESTION_CHARS = 2000
# bm25 column weights: a word in the heading counts twice a word in the body.
HEADING_WEIGHT = 2.0


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
    candidates = max(limit * 5, 50)
    if session.get_bind().dialect.name == "sqlite":
        rows = _sqlite_rows(session, site_id, terms, candidates)
    else:
        rows = _postgres_rows(session, site_id, terms, candidates)
    needed = required_matches(len(terms))
    passages = [_passage(row) for row in rows if _matched_terms(row, len(terms)) >= needed]
    if embedder is not None and passages:
        passages = _rerank(session, passages, embedder.embed_one(query), embedding_weight)
    return passages[:limit]


def _sqlite_rows(session: Session, site_id: int, terms: list[str], n: int) -> list[Any]:
    # Each term is checked separately so a passage's coverage of the question is known.
    flags = ", ".join(
        f"c.id IN (SELECT rowid FROM chunks_fts WHERE chunks_fts MATCH :t{i}) AS m{i}"
        for i in range(len(terms))
    )
    sql = f"""
        SELECT c.id, c.document_id, d.title, d.url, c.heading, c.text,
               -bm25(chunks_fts, {HEADING_WEIGHT}, 1.0) AS score, {flags}
        FROM chunks_fts
        JOIN chunks AS c ON c.id = chunks_fts.rowid
        JOIN documents AS d ON d.id = c.document_id
        WHERE chunks_fts MATCH :match AND c.site_id = :site_id
        ORDER BY bm25(chunks_fts, {HEADING_WEIGHT}, 1.0)
        LIMIT :n"""
    params: dict[str, Any] = {"match": fts5_match(terms), "site_id": site_id, "n": n}
    params.update({f"t{i}": fts5_match([term]) for i, term in enumerate(terms)})
    return list(session.execute(text(sql), params))


def _postgres_rows(session: Session, site_id: int, terms: list[str], n: int) -> list[Any]:
    # plainto_tsquery per term, OR-ed with ||: user text is never parsed as tsquery syntax.
    per_term = [f"plainto_tsquery('english', :t{i})" for i in range(len(terms))]
    flags = ", ".join(f"(c.search_vector @@ {q}) AS m{i}" for i, q in enumerate(per_term))
    sql = f"""
        WITH q AS (SELECT ({" || ".join(per_term)}) AS query)
        SELECT c.id, c.document_id, d.title, d.url, c.heading, c.text,
               ts_rank_cd(c.search_vector, q.query, 1) AS score, {flags}
        FROM q, chunks AS c
        JOIN documents AS d ON d.id = c.document_id
        WHERE c.site_id = :site_id AND c.search_vector @@ q.query
        ORDER BY score DESC, c.id
        LIMIT :n"""
    params: dict[str, Any] = {"site_id": site_id, "n": n}
    params.update({f"t{i}": term for i, term in enumerate(terms)})
    return list(session.execute(text(sql), params))


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
    session: Session, site_id: int, conversation_id: int | None, question: str
) -> UnansweredQuestion:
    """Queue a question the knowledge base could not answer (once per conversation).

    Added to `session` and flushed; the caller commits.
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
    item = UnansweredQuestion(site_id=site_id, conversation_id=conversation_id, question=question)
    session.add(item)
    session.flush()
    return item
