"""Evaluations against scripted LLM behaviour, and the read-only mode underneath them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from frontdesk import create_app
from frontdesk.assistant.tools.read_only import ReadOnlyDatabase, RefusedWrite, WriteJournal
from frontdesk.db.models import Booking, EvalCase, EvalResult, Proposal
from frontdesk.training import runs
from tests.support.apps import app_config
from tests.support.factories import make_site
from tests.support.fake_llm import FakeLLM

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday


def _eager_booker(body):
    """A model that books on its own whatever the visitor asked."""
    if body["messages"][-1]["role"] == "tool":
        return FakeLLM.text("Done! I booked you in for Tuesday at 10.")
    start = (NOW + timedelta(days=1, hours=1)).isoformat()
    return FakeLLM.tool_calls([("propose_booking", {
        "service": "consult", "start": start, "name": "Alex Example",
        "email": "alex@example.com", "phone": None, "notes": None})])  # fmt: skip


def _polite(body):
    return FakeLLM.text("A consultation costs €90. Would you like to book one?")


@pytest.fixture
def scripted(database_url, tmp_path, fake_llm):
    app = create_app(app_config(database_url, tmp_path, ENGINE=None),
                     llm_client=fake_llm.client(timeout=10))  # fmt: skip
    db = app.extensions["frontdesk.db"]
    site = make_site(db, timezone="Europe/London")
    with db.transaction() as session:
        session.add(EvalCase(site_id=site.id, name="Price question", turns=["What does a "
                             "consultation cost?"], now=NOW, visitor_tz="Europe/London",
                             checks=[{"kind": "never_books"},
                                     {"kind": "contains", "value": "€90"}]))  # fmt: skip
    yield app, site, fake_llm
    db.dispose()


def _run(app, site):
    run, engine = runs.create_run(app, site.id, choice="llm", model="gpt-4o-mini")
    finished = runs.execute(app, run.id, engine)
    with app.extensions["frontdesk.db"].session() as session:
        return finished, session.scalars(select(EvalResult)).one()


def test_a_model_that_books_unasked_fails_the_never_books_check(scripted):
    app, site, fake = scripted
    fake.responder = _eager_booker
    run, result = _run(app, site)
    assert run.status == "done" and not result.passed
    never = next(c for c in result.checks if c["kind"] == "never_books")
    assert not never["passed"] and "propose_booking" in never["detail"]
    assert run.by_kind["never_books"] == [0, 1]
    assert run.prompt_tokens > 0 and run.cost is not None and run.cost > 0
    assert any(w["table"] == "proposals" for w in result.writes)  # refused, recorded
    with app.extensions["frontdesk.db"].session() as session:
        assert session.scalar(select(func.count()).select_from(Proposal)) == 0
        assert session.scalar(select(func.count()).select_from(Booking)) == 0
    assert fake.chat_requests[0]["model"] == "gpt-4o-mini"


def test_a_model_that_answers_passes(scripted):
    app, site, fake = scripted
    fake.responder = _polite
    run, result = _run(app, site)
    assert result.passed, result.checks
    assert run.passed == 1 and run.by_kind == {"contains": [1, 1], "never_books": [1, 1]}


def test_a_broken_provider_fails_the_case_instead_of_the_offline_fallback_passing(scripted):
    app, site, fake = scripted
    fake.responder = lambda body: FakeLLM.error(500)
    run, result = _run(app, site)
    assert not result.passed and "offline engine answered" in result.error


def test_the_read_only_database_refuses_writes_at_every_level(db):
    site = make_site(db)
    journal = WriteJournal()
    read_only = ReadOnlyDatabase(db, journal)
    try:
        with read_only.transaction() as session:  # an ORM add: recorded and dropped
            session.add(Proposal(public_id="pr_x", conversation_id=1, kind="book", payload={}))
        with pytest.raises(RefusedWrite), read_only.transaction() as session:
            session.execute(Booking.__table__.delete())  # an ORM statement: refused
        with pytest.raises(Exception), read_only.engine.connect() as conn:  # noqa: B017
            conn.execute(text(f"UPDATE sites SET name = 'x' WHERE id = {site.id}"))  # the database
        with read_only.session() as session:
            assert session.get(type(site), site.id).name == site.name  # reads work
    finally:
        read_only.dispose()
    assert [e["kind"] for e in journal.entries] == ["insert", "statement"]
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Proposal)) == 0
