"""The full-text queries behind search(): FTS5 bm25 on SQLite, tsvector ranking on PostgreSQL.

Both take plain terms (letters and digits only, from query.search_terms) and return rows of
(chunk id, document id, title, url, heading, text, score [, term i present ...]), best first,
higher score better. Matching rows are ranked first and only the best `n` are joined to
their text, so a common word does not copy thousands of passages around.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from frontdesk.knowledge.index_cache import kept
from frontdesk.knowledge.lexicon import lexicon
from frontdesk.knowledge.query import fts5_match, pairs

# bm25 column weights: a word in the heading counts twice a word in the body.
HEADING_WEIGHT = 2.0


def sqlite_rows(
    session: Session, site_id: int, terms: list[str], *, at_least: int, n: int, flags: bool
) -> list[Any]:
    """The site's best `n` chunks holding `at_least` (1 or 2) of the terms, by bm25."""
    flag_columns = "".join(
        f", c.id IN (SELECT rowid FROM chunks_fts WHERE chunks_fts MATCH :t{i}) AS m{i}"
        for i in range(len(terms) if flags else 0)
    )
    # When every indexed passage is this site's (one site per install, the usual case), the
    # join keeping other sites' passages out would only look each match up: 1.2 ms of a 2.8 ms
    # query on 10,000 passages.
    own, mine = "JOIN chunks AS own ON own.id = chunks_fts.rowid", "AND own.site_id = :site_id"
    if _sole_site(session) == site_id:
        own = mine = ""
    # bm25 is lower for better matches; named once so SQLite computes it once per row.
    sql = f"""
        SELECT c.id, c.document_id, d.title, d.url, c.heading, c.text, -best.rank{flag_columns}
        FROM (
            SELECT chunks_fts.rowid AS id, bm25(chunks_fts, {HEADING_WEIGHT}, 1.0) AS rank
            FROM chunks_fts {own}
            WHERE chunks_fts MATCH :match {mine}
            ORDER BY rank LIMIT :n
        ) AS best
        JOIN chunks AS c ON c.id = best.id
        JOIN documents AS d ON d.id = c.document_id
        ORDER BY best.rank"""
    params: dict[str, Any] = {"match": fts5_match(terms, at_least), "site_id": site_id, "n": n}
    if flags:
        params.update({f"t{i}": fts5_match([term]) for i, term in enumerate(terms)})
    return list(session.execute(text(sql), params))


def _sole_site(session: Session) -> int | None:
    """The site every indexed passage belongs to, if there is one (kept until the index changes)."""
    return kept(session, "sole site", _read_sole_site)


def _read_sole_site(session: Session) -> int | None:
    low, high = session.execute(text("SELECT min(site_id), max(site_id) FROM chunks")).one()
    return low if low == high else None


# A word in more than this share of all passages is left out of the full-text query (the
# ranking still sees it): it cannot single a passage out, and scoring every passage holding it
# is what makes a search slow on a large knowledge base. At 5% (was 30%) the demo's questions
# inside a 10,000-passage base are answered right 71% of the time instead of 53%, and the
# query takes a third of the time (bench/answers.py's latency case): the common words were
# filling the ten candidates with passages that only shared them.
COMMON_SHARE = 0.05
KEEP_RAREST = 3
SMALL_INDEX = 2000  # passages: below this every search is quick anyway
MAX_COUNTED = 200_000  # terms whose passage counts are kept per state of the index


def sqlite_vocabulary(session: Session, terms: list[str]) -> tuple[int, dict[str, int]] | None:
    """(passages indexed, {term: passages holding it}) from the FTS5 vocabulary table (migration
    0003), over all sites; None without it. Terms are Porter stems, as the index holds them.

    Counting a term's passages walks its whole list in the index (1-2 ms a question on 10,000
    passages), so the counts are kept until the index changes (knowledge.index_cache); the
    dict returned is the caller's own.
    """
    terms = sorted(set(terms))[:200]
    try:
        total, known = kept(session, "vocabulary", _vocabulary_total)
        missing = [term for term in terms if term not in known]
        if missing:
            marks = ", ".join(f":w{i}" for i in range(len(missing)))
            rows = session.execute(
                text(f"SELECT term, doc FROM chunks_fts_vocab WHERE term IN ({marks})"),
                {f"w{i}": term for i, term in enumerate(missing)},
            ).all()
            found = dict.fromkeys(missing, 0) | dict(rows)  # a word no passage holds: 0
            if len(known) < MAX_COUNTED:
                known.update(found)
            else:
                known = known | found
    except OperationalError:
        return None
    return total, {term: known[term] for term in terms if known[term]}


def _vocabulary_total(session: Session) -> tuple[int, dict[str, int]]:
    """Passages indexed, and an empty dict of terms' passage counts to fill as they are asked."""
    return session.execute(text("SELECT count(*) FROM chunks_fts_docsize")).scalar() or 0, {}


def sqlite_selective(
    session: Session,
    words: list[str],
    small: int = SMALL_INDEX,
    vocabulary: tuple[int, dict[str, int]] | None = None,
) -> list[str]:
    """The words worth a full-text query on SQLite: all but those found almost everywhere.

    Uses the FTS5 vocabulary table (migration 0003); without it, every word is kept.
    """
    if len(words) <= KEEP_RAREST:
        return words
    # The index holds Porter stems; Snowball's English stems are nearly always the same.
    stem = lexicon("en").stem
    if vocabulary is None:
        vocabulary = sqlite_vocabulary(
            session, [form for word in words for form in (word.lower(), stem(word.lower()))]
        )
    if vocabulary is None or vocabulary[0] < small:
        return words
    total, docs = vocabulary
    # A word whose stem the index spells differently counts as rare (it is kept).
    counts = [docs.get(stem(word.lower()), docs.get(word.lower(), 0)) for word in words]
    rarest = sorted(range(len(words)), key=lambda i: counts[i])[:KEEP_RAREST]
    return [
        word for i, word in enumerate(words) if i in rarest or counts[i] <= COMMON_SHARE * total
    ]


def postgres_rows(
    session: Session, site_id: int, terms: list[str], *, at_least: int, n: int, flags: bool
) -> list[Any]:
    """The site's best `n` chunks holding `at_least` (1 or 2) of the terms, by ts_rank_cd."""
    # One plainto_tsquery per term, combined with || and &&: user text is never parsed as
    # tsquery syntax. Rows are found by the 1-or-2-term query, ranked by the plain OR.
    per_term = [f"plainto_tsquery('english', :t{i})" for i in range(len(terms))]
    any_term = " || ".join(per_term)
    wanted = any_term
    if at_least >= 2 and len(terms) >= 2:
        wanted = " || ".join(f"({a} && {b})" for a, b in pairs(per_term))
    flag_columns = "".join(
        f", (c.search_vector @@ {q}) AS m{i}" for i, q in enumerate(per_term if flags else [])
    )
    sql = f"""
        WITH q AS (SELECT ({any_term}) AS ranking, ({wanted}) AS wanted),
        best AS (
            SELECT own.id, ts_rank_cd(own.search_vector, q.ranking, 1) AS score
            FROM q, chunks AS own
            WHERE own.site_id = :site_id AND own.search_vector @@ q.wanted
            ORDER BY score DESC, own.id LIMIT :n
        )
        SELECT c.id, c.document_id, d.title, d.url, c.heading, c.text, best.score{flag_columns}
        FROM best
        JOIN chunks AS c ON c.id = best.id
        JOIN documents AS d ON d.id = c.document_id
        ORDER BY best.score DESC, c.id"""
    params: dict[str, Any] = {"site_id": site_id, "n": n}
    params.update({f"t{i}": term for i, term in enumerate(terms)})
    return list(session.execute(text(sql), params))
