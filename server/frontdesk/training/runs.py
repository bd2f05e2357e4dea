"""Evaluation runs: created queued, played case by case on a background thread, stored."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from statistics import mean
from typing import Any

from sqlalchemy import select, update

from frontdesk.chat.site_cache import load_site_by_id
from frontdesk.db.models import EvalCase, EvalResult, EvalRun
from frontdesk.db.types import utcnow
from frontdesk.training.case_runner import run_case
from frontdesk.training.eval_engines import RunEngine, engine_for_run
from frontdesk.training.prices import usage_cost

log = logging.getLogger(__name__)
# A run whose worker has said nothing for this long died with its process.
STALE_AFTER = timedelta(minutes=10)
FINISHED = ("done", "failed", "interrupted")


def active_cases(db: Any, site_id: int) -> list[EvalCase]:
    """The site's active evaluation cases, oldest first."""
    with db.session() as session:
        query = select(EvalCase).where(EvalCase.site_id == site_id, EvalCase.active.is_(True))
        return list(session.scalars(query.order_by(EvalCase.id)))


def create_run(
    app: Any, site_id: int, *, choice: str = "current", model: str = "", label: str = "",
    started_by: str = "", finetune_job_id: int | None = None,
) -> tuple[EvalRun, RunEngine]:  # fmt: skip
    """A queued run of the site's active cases (EngineUnavailable when the model cannot run)."""
    site = load_site_by_id(app.extensions["frontdesk.db"], site_id)
    engine = engine_for_run(site, app.config, choice=choice, model=model,
                            llm_client=app.extensions.get("frontdesk.llm_client"))  # fmt: skip
    total = len(active_cases(app.extensions["frontdesk.db"], site_id))
    with app.extensions["frontdesk.db"].transaction() as session:
        run = EvalRun(
            site_id=site_id, label=label[:200], engine=engine.name, model=engine.model,
            status="queued", total=total, started_by=started_by[:100],
            finetune_job_id=finetune_job_id,
        )  # fmt: skip
        session.add(run)
    return run, engine


def start_in_background(app: Any, run: EvalRun, engine: RunEngine) -> threading.Thread:
    """Play the run on a daemon thread; the dashboard follows its progress in the database."""
    thread = threading.Thread(
        target=execute, args=(app, run.id, engine), name=f"eval-run-{run.id}", daemon=True
    )
    thread.start()
    return thread


def execute(app: Any, run_id: int, engine: RunEngine, progress: Any = None) -> EvalRun:
    """Play every case of the run, storing each result as it comes; returns the finished run."""
    db = app.extensions["frontdesk.db"]
    try:
        return _play(app, db, run_id, engine, progress)
    except Exception as exc:  # a broken run must say so, not stay "running" for ever
        log.exception("evaluation run %s failed", run_id)
        with db.transaction() as session:
            run = session.get(EvalRun, run_id)
            run.status, run.error, run.finished_at = "failed", str(exc)[:2000], utcnow()
        return run


def _play(app: Any, db: Any, run_id: int, engine: RunEngine, progress: Any) -> EvalRun:
    with db.session() as session:
        site_id = session.get(EvalRun, run_id).site_id
    site = load_site_by_id(db, site_id)
    cases = active_cases(db, site_id)
    _set(db, run_id, status="running", total=len(cases), heartbeat_at=utcnow())
    bookings = app.extensions["frontdesk.bookings"]
    passed = 0
    for done, case in enumerate(cases, start=1):
        outcome = run_case(case, site=site, engine=engine.engine, db=db, bookings=bookings)
        passed += outcome.passed
        with db.transaction() as session:
            session.add(EvalResult(
                run_id=run_id, case_id=case.id, case_name=case.name, passed=outcome.passed,
                checks=outcome.checks, transcript=outcome.transcript, writes=outcome.writes,
                prompt_tokens=outcome.prompt_tokens,
                completion_tokens=outcome.completion_tokens,
                latency_ms=outcome.latency_ms, error=outcome.error,
            ))  # fmt: skip
            session.execute(
                update(EvalRun).where(EvalRun.id == run_id)
                .values(done=done, passed=passed, heartbeat_at=utcnow())
            )  # fmt: skip
        if progress is not None:
            progress(done, len(cases), case.name, outcome.passed)
    return _finish(db, run_id)


def _finish(db: Any, run_id: int) -> EvalRun:
    with db.transaction() as session:
        run = session.get(EvalRun, run_id)
        results = list(session.scalars(select(EvalResult).where(EvalResult.run_id == run_id)))
        run.by_kind = pass_rates(results)
        run.prompt_tokens = sum(r.prompt_tokens for r in results)
        run.completion_tokens = sum(r.completion_tokens for r in results)
        cost = usage_cost(run.model, run.prompt_tokens, run.completion_tokens)
        run.cost = 0.0 if run.engine == "offline" else (None if cost is None else float(cost))
        run.latency_ms = latency_summary([r.latency_ms for r in results])
        run.status, run.finished_at = "done", utcnow()
    return run


def pass_rates(results: list[EvalResult]) -> dict[str, list[int]]:
    """{check kind: [passed, total]} over every check of every result."""
    rates: dict[str, list[int]] = {}
    for result in results:
        for check in result.checks:
            entry = rates.setdefault(check["kind"], [0, 0])
            entry[0] += bool(check["passed"])
            entry[1] += 1
    return dict(sorted(rates.items()))


def latency_summary(values: list[int]) -> dict[str, int]:
    """Mean, median and 95th percentile in milliseconds."""
    if not values:
        return {}
    ordered = sorted(values)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return {"mean": int(mean(ordered)), "p50": pick(0.5), "p95": pick(0.95)}


def run_status(run: EvalRun) -> str:
    """The run's status, "interrupted" when its worker stopped reporting (its process died)."""
    if run.status in ("queued", "running") and utcnow() - run.heartbeat_at > STALE_AFTER:
        return "interrupted"
    return run.status


def _set(db: Any, run_id: int, **values: Any) -> None:
    with db.transaction() as session:
        session.execute(update(EvalRun).where(EvalRun.id == run_id).values(**values))
