"""Training pages: the overview, feedback from the transcript, evaluation cases and runs."""

from __future__ import annotations

import json

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from sqlalchemy import select

from frontdesk.chat.engine_in_use import answering_engine
from frontdesk.chat.site_cache import load_site_by_id
from frontdesk.db.models import EvalCase, EvalResult, EvalRun
from frontdesk.extensions import get_bookings, get_db
from frontdesk.staff import roles
from frontdesk.staff.auth import admin_required, current_role, current_staff, site_required
from frontdesk.training import cases, feedback, finetune, jobs, runs, site_models, starter
from frontdesk.training.blueprint import bp, site_row
from frontdesk.training.charts import comparison_chart
from frontdesk.training.checks import KINDS, CheckError
from frontdesk.training.eval_engines import EngineUnavailable

RUN_CHOICES = {"current": "The site's engine as visitors get it", "offline": "Offline engine",
               "llm": "A model (name it below)"}  # fmt: skip


def _app():
    return current_app._get_current_object()  # type: ignore[attr-defined]


@bp.get("/")
@admin_required
def index(site):
    """Cases, runs, fine-tuning jobs and the site's model history on one page."""
    db = get_db()
    with db.session() as session:
        all_cases = list(session.scalars(select(EvalCase).where(EvalCase.site_id == site.id)
                                         .order_by(EvalCase.id)))  # fmt: skip
        all_runs = list(session.scalars(select(EvalRun).where(EvalRun.site_id == site.id)
                                        .order_by(EvalRun.id.desc()).limit(50)))  # fmt: skip
    return render_template(
        "training/index.html", site=site, cases=all_cases, runs=all_runs,
        run_status=runs.run_status, choices=RUN_CHOICES, kinds=KINDS,
        jobs=jobs.for_site(db, site.id), history=site_models.history(db, site.id),
        model=site_models.current_model(site, current_app.config),
        engine=answering_engine(_app(), site), accepting=finetune.ACCEPTING_PROVIDERS,
    )  # fmt: skip


@bp.post("/starter")
@admin_required
def make_starter(site):
    """Add the starter set generated from the site's services and pages."""
    added = starter.generate(get_db(), get_bookings(), load_site_by_id(get_db(), site.id),
                             created_by=current_staff().id)  # fmt: skip
    flash(f"Added {added} starter cases." if added else "The starter cases are already there.",
          "success")  # fmt: skip
    return redirect(url_for(".index", site_key=site.public_key))


@bp.post("/runs")
@admin_required
def start_run(site):
    """Start an evaluation run in the background and show its progress."""
    choice = request.form.get("engine", "current")
    model = request.form.get("model", "").strip()[:200] if choice == "llm" else ""
    try:
        run, engine = runs.create_run(
            _app(), site.id, choice=choice if choice in RUN_CHOICES else "current", model=model,
            label=request.form.get("label", "")[:200], started_by=current_staff().email,
        )  # fmt: skip
    except EngineUnavailable as exc:
        flash(str(exc), "error")
        return redirect(url_for(".index", site_key=site.public_key))
    if not run.total:
        flash("There are no active cases to run: add the starter set first.", "error")
        return redirect(url_for(".index", site_key=site.public_key))
    runs.start_in_background(_app(), run, engine)
    return redirect(url_for(".run_page", site_key=site.public_key, run_id=run.id))


@bp.get("/runs/<int:run_id>")
@admin_required
def run_page(site, run_id: int):
    """A run: its progress, pass rates, cost, and every failure with its transcript."""
    run = site_row(EvalRun, run_id, site)
    with get_db().session() as session:
        results = list(session.scalars(select(EvalResult).where(EvalResult.run_id == run_id)
                                       .order_by(EvalResult.passed, EvalResult.id)))  # fmt: skip
    return render_template("training/run.html", site=site, run=run, results=results,
                           status=runs.run_status(run), kinds=KINDS)  # fmt: skip


@bp.get("/runs/<int:run_id>/progress")
@admin_required
def run_progress(site, run_id: int):
    """{status, done, total, passed} for the progress bar."""
    run = site_row(EvalRun, run_id, site)
    return jsonify(status=runs.run_status(run), done=run.done, total=run.total,
                   passed=run.passed)  # fmt: skip


@bp.get("/compare")
@admin_required
def compare(site):
    """Two runs side by side: pass rate per check kind, cases that differ, tokens and cost."""
    first = site_row(EvalRun, request.args.get("a", 0, type=int), site)
    second = site_row(EvalRun, request.args.get("b", 0, type=int), site)
    kinds = sorted(set(first.by_kind) | set(second.by_kind))
    rate = lambda run, kind: _percent(*(run.by_kind.get(kind) or [0, 0]))  # noqa: E731
    with get_db().session() as session:
        outcomes = {}
        for index, run in enumerate((first, second)):
            for result in session.scalars(select(EvalResult).where(EvalResult.run_id == run.id)):
                outcomes.setdefault(result.case_name, [None, None])[index] = result.passed
    names = (
        f"#{first.id} {first.model or first.engine}",
        f"#{second.id} {second.model or second.engine}",
    )
    chart = comparison_chart([k.replace("_", " ") for k in kinds], [rate(first, k) for k in kinds],
                             [rate(second, k) for k in kinds], names)  # fmt: skip
    return render_template("training/compare.html", site=site, first=first, second=second,
                           kinds=kinds, rate=rate, labels=KINDS, chart=chart, names=names,
                           outcomes=sorted(outcomes.items()))  # fmt: skip


def _percent(passed: int, total: int) -> float:
    return round(100.0 * passed / total, 1) if total else 0.0


@bp.get("/cases/<int:case_id>")
@admin_required
def case_page(site, case_id: int):
    """One case: what is played and what is checked, with a form to change the checks."""
    case = site_row(EvalCase, case_id, site)
    return render_template("training/case.html", site=site, case=case, kinds=KINDS,
                           checks_json=json.dumps(case.checks, indent=2))  # fmt: skip


@bp.post("/cases/<int:case_id>")
@admin_required
def case_update(site, case_id: int):
    """Replace the checks (JSON list) and switch the case on or off."""
    case = site_row(EvalCase, case_id, site)
    try:
        checks = json.loads(request.form.get("checks", "[]"))
        if not isinstance(checks, list):
            raise CheckError("the checks must be a JSON list")
        cases.set_checks(get_db(), case.id, site.id, checks)
    except (ValueError, CheckError) as exc:
        flash(f"Not saved: {exc}", "error")
        return redirect(url_for(".case_page", site_key=site.public_key, case_id=case.id))
    with get_db().transaction() as session:
        session.get(EvalCase, case.id).active = request.form.get("active") == "on"
    flash("Case saved.", "success")
    return redirect(url_for(".case_page", site_key=site.public_key, case_id=case.id))


@bp.post("/feedback/<public_id>/<int:seq>")
@site_required
def save_feedback(site, public_id: str, seq: int):
    """Rate an assistant message, or write the answer it should have given (every member of
    the site, who reads the conversations; making it a test case takes an admin)."""
    if request.form.get("then") == "case" and not roles.at_least(current_role(), roles.ADMIN):
        abort(403)
    target = feedback.find_target(get_db(), site.id, public_id, seq)
    if target is None:
        abort(404)
    back = url_for("staff.conversations.detail", site_key=site.public_key, public_id=public_id)
    try:
        feedback.save(
            get_db(), get_bookings(), load_site_by_id(get_db(), site.id), target,
            staff_id=current_staff().id, rating=request.form.get("rating", ""),
            correction=request.form.get("correction", ""),
            calls_text=request.form.get("calls", ""),
        )  # fmt: skip
    except feedback.FeedbackError as exc:
        flash(f"Feedback not saved: {exc}", "error")
        return redirect(f"{back}#entry-{seq}")
    if request.form.get("then") == "case":
        return _make_case(site, target)
    flash("Feedback saved.", "success")
    return redirect(f"{back}#entry-{seq}")


@bp.post("/feedback/<public_id>/<int:seq>/case")
@admin_required
def turn_into_test(site, public_id: str, seq: int):
    """Make an evaluation case from the conversation up to this answer, in one click."""
    target = feedback.find_target(get_db(), site.id, public_id, seq)
    if target is None:
        abort(404)
    return _make_case(site, target)


def _make_case(site, target):
    try:
        case = cases.case_from_message(get_db(), site, target, staff_id=current_staff().id,
                                       replay=request.form.get("replay") == "on")  # fmt: skip
    except (ValueError, CheckError) as exc:
        flash(f"No test made: {exc}", "error")
        return redirect(url_for("staff.conversations.detail", site_key=site.public_key,
                                public_id=target.conversation.public_id))  # fmt: skip
    flash("Test case created from the conversation. Check what it checks.", "success")
    return redirect(url_for(".case_page", site_key=site.public_key, case_id=case.id))
