"""Knowledge search on SQLite and PostgreSQL: ranking, isolation, hostile input, relevance cut-off."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import select

from frontdesk.db.models import Chunk, UnansweredQuestion
from frontdesk.knowledge.embeddings import Embedder
from frontdesk.knowledge.ingest import ingest_paths
from frontdesk.knowledge.search import record_unanswered, search
from tests.support.factories import make_site
from tests.support.knowledge_files import write_knowledge_folder

HOSTILE_QUERIES = [
    '"',
    '""',
    "AND (",
    "NEAR",
    "NEAR(parking studio, 2)",
    "OR OR OR",
    "*",
    "parking*",
    "heading:parking",
    "{heading text}: parking",
    "^parking",
    "- parking",
    "'; DROP TABLE chunks; --",
    "parking & | ! ( ) : * < >",
    "\\x00 \x00 \x01",
    "parking\x00studio",
    "",
    "     ",
    "a",
    "x" * 5000,
    " ".join(["parking"] * 500),
    "ÄÖÜ ß 日本語 🚗",
]


@pytest.fixture
def kb(db, tmp_path):
    """A site with the sample knowledge folder, plus a second site with its own document."""
    site = make_site(db)
    other = make_site(db)
    ingest_paths(db, site.id, [str(write_knowledge_folder(tmp_path / "kb"))])
    secret = tmp_path / "other.md"
    secret.write_text(
        "# Garage\n\nUnderground parking garage at Example Tower for members of Other Corp."
    )
    ingest_paths(db, other.id, [str(secret)])
    return SimpleNamespace(db=db, site=site, other=other)


def _search(kb, query, **kwargs):
    with kb.db.session() as session:
        return search(session, kb.site.id, query, **kwargs)


def test_relevant_passage_first_with_title_and_url(kb):
    results = _search(kb, "How much does hosting cost per month?")
    assert results, "expected the pricing passage"
    top = results[0]
    assert top.title == "Prices and packages"
    assert top.url == "https://studio.example/pricing"
    assert "AUD 45 a month" in top.text
    assert top.score > 0 and top.chunk_id > 0 and top.document_id > 0
    assert [r.score for r in results] == sorted((r.score for r in results), reverse=True)


QUESTIONS = [
    ("Is there parking near the studio?", "Opening hours and location"),
    ("What are your opening hours on Friday?", "Opening hours and location"),
    ("Do you refund a cancelled workshop?", "Refunds"),
    ("How long do you keep my personal data?", "Privacy notice"),
    ("payment terms invoice", "Prices and packages"),
]


def test_questions_find_the_right_document(kb):
    for question, title in QUESTIONS:
        results = _search(kb, question)
        assert results and results[0].title == title, question


def test_heading_is_returned(kb):
    results = _search(kb, "payment invoice")
    assert results[0].heading in {"Pricing", "Payment terms"}


def test_other_sites_documents_are_never_returned(kb):
    assert _search(kb, "underground garage Example Tower Other Corp") == []
    for result in _search(kb, "parking garage"):
        assert "Other Corp" not in result.text
    with kb.db.session() as session:
        theirs = search(session, kb.other.id, "parking garage")
    assert theirs and "Other Corp" in theirs[0].text
    assert all("studio" not in r.text.lower() for r in theirs)


def test_hostile_queries_never_error(kb):
    for query in HOSTILE_QUERIES:
        results = _search(kb, query)
        assert isinstance(results, list)
        assert all(result.title for result in results)


def test_operators_are_read_as_plain_words(kb):
    for query in ["parking*", "^parking", "- parking", "NEAR(parking studio)", "parking & | !"]:
        results = _search(kb, query)
        assert results and results[0].title == "Opening hours and location", query


def test_tables_survive_a_hostile_query(kb):
    _search(kb, "'; DROP TABLE chunks; --")
    with kb.db.session() as session:
        assert session.scalars(select(Chunk.id)).first() is not None


def test_unrelated_questions_return_nothing(kb):
    for question in [
        "What is the best recipe for chocolate cake?",
        "Who won the football world cup in 1998?",
        "Can you recommend a good dentist in Berlin?",
        "hello, how are you?",
    ]:
        assert _search(kb, question) == [], question


def test_boilerplate_is_not_searchable(kb):
    assert _search(kb, "navigation menu") == []
    assert _search(kb, "secret analytics token trackVisitor") == []


def test_limit_is_respected(kb):
    assert len(_search(kb, "studio parking hours", limit=1)) == 1
    assert len(_search(kb, "parking", limit=0)) <= 1
    assert len(_search(kb, "parking", limit=10_000)) <= 20


def test_record_unanswered_queues_once_per_conversation(kb):
    with kb.db.transaction() as session:
        first = record_unanswered(session, kb.site.id, None, "  Do you \x00 do logo design? ")
        again = record_unanswered(session, kb.site.id, None, "Do you do logo design?")
        other = record_unanswered(session, kb.other.id, None, "Do you do logo design?")
    assert first.id == again.id != other.id
    with kb.db.session() as session:
        stored = session.get(UnansweredQuestion, first.id)
        assert stored.question == "Do you do logo design?"
        assert stored.site_id == kb.site.id and stored.resolved is False
    with kb.db.transaction() as session, pytest.raises(ValueError, match="empty"):
        record_unanswered(session, kb.site.id, None, "   ")


class FakeEmbeddingsClient:
    """Stands in for openai.OpenAI: a vector per text from a rule, and a log of calls."""

    def __init__(self, rule):
        self.rule = rule
        self.calls: list[list[str]] = []
        self.embeddings = self

    def create(self, *, model, input):  # noqa: A002 (the openai parameter name)
        self.calls.append(list(input))
        data = [SimpleNamespace(index=i, embedding=self.rule(t)) for i, t in enumerate(input)]
        return SimpleNamespace(data=list(reversed(data)))


def test_embeddings_rerank_full_text_candidates(db, tmp_path):
    site = make_site(db)
    (tmp_path / "a.md").write_text(
        "# Alpha\n\nWorkshop workshop workshop agenda and workshop notes."
    )
    (tmp_path / "b.md").write_text("# Bravo\n\nA workshop for teams who want calm meetings.")
    client = FakeEmbeddingsClient(
        lambda t: [1.0, 0.0] if "calm" in t or t == "workshop" else [0.0, 1.0]
    )
    embedder = Embedder(client)
    ingest_paths(db, site.id, [str(tmp_path)], embedder=embedder)
    with db.session() as session:
        assert all(c.embedding for c in session.scalars(select(Chunk)).all())
        plain = search(session, site.id, "workshop")
        hybrid = search(session, site.id, "workshop", embedder=embedder)
    assert plain[0].title == "Alpha"
    assert hybrid[0].title == "Bravo"
    assert 0 < hybrid[0].score <= 1
    assert client.calls[-1] == ["workshop"]


def test_embeddings_failure_fails_only_that_document(db, tmp_path):
    site = make_site(db)
    (tmp_path / "ok.md").write_text("# Fine\n\nShort text.")
    (tmp_path / "boom.md").write_text("# Boom\n\nThis one breaks the embeddings service.")

    def rule(text):
        if "breaks" in text:
            raise RuntimeError("service unavailable")
        return [1.0, 0.0]

    report = ingest_paths(
        db, site.id, [str(tmp_path)], embedder=Embedder(FakeEmbeddingsClient(rule))
    )
    assert [source.rsplit("/", 1)[-1] for source in report.added] == ["ok.md"]
    assert report.failed[0][0].endswith("boom.md")
    assert report.failed[0][1] == "embeddings failed: service unavailable"


def test_hybrid_search_without_stored_embeddings_keeps_text_order(kb):
    embedder = Embedder(FakeEmbeddingsClient(lambda text: [1.0, 0.0]))
    plain = _search(kb, "parking studio")
    hybrid = _search(kb, "parking studio", embedder=embedder)
    assert [p.chunk_id for p in hybrid] == [p.chunk_id for p in plain]
