"""Evaluations with the offline engine: the starter set, checks, and nothing written."""

from __future__ import annotations

from sqlalchemy import func, select

from frontdesk.db.models import (
    AuditEvent,
    Booking,
    EvalCase,
    EvalResult,
    Proposal,
    UnansweredQuestion,
)
from frontdesk.training import runs, starter


def _counts(db) -> dict[str, int]:
    with db.session() as session:
        return {
            model.__tablename__: session.scalar(select(func.count()).select_from(model))
            for model in (Booking, Proposal, UnansweredQuestion, AuditEvent)
        }


def test_starter_set_runs_on_the_offline_engine_and_writes_nothing(training_app):
    db = training_app.extensions["frontdesk.db"]
    site = training_app.config["TEST_SITE"]
    from frontdesk.chat.site_cache import load_site_by_id

    added = starter.generate(db, training_app.extensions["frontdesk.bookings"],
                             load_site_by_id(db, site.id))  # fmt: skip
    assert added >= 8
    before = _counts(db)
    run, engine = runs.create_run(training_app, site.id, choice="offline", label="offline")
    finished = runs.execute(training_app, run.id, engine)
    assert finished.status == "done", finished.error
    assert finished.done == finished.total == added
    assert _counts(db) == before  # no booking, proposal, unanswered question or audit event
    with db.session() as session:
        results = {r.case_name: r for r in session.scalars(select(EvalResult))}
        names = set(session.scalars(select(EvalCase.name)))
    assert set(results) == names
    booked = results["Book Consultation step by step"]
    assert booked.passed, booked.checks
    assert [c["kind"] for c in booked.checks] == ["proposes_booking"]
    assert any(w["kind"] == "insert" and w["table"] == "proposals" for w in booked.writes)
    assert results["Ask for a person"].passed
    assert results["Page: Pricing"].passed
    german = results["Question in German"]  # the offline engine answers in English
    assert not german.passed and "expected de" in german.checks[0]["detail"]
    assert finished.by_kind["proposes_booking"] == [1, 1]
    assert finished.by_kind["language"] == [0, 1]
    assert finished.passed == sum(r.passed for r in results.values())
    assert finished.cost == 0.0 and finished.latency_ms["p95"] >= finished.latency_ms["p50"]
