"""Training pages: export and its validation report, fine-tuning jobs, switching models."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import (
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)

from frontdesk.chat.site_cache import load_site_by_id
from frontdesk.db.models import FinetuneJob
from frontdesk.db.types import utcnow
from frontdesk.extensions import get_db
from frontdesk.staff.auth import admin_required, current_staff, staff_actor
from frontdesk.training import finetune, jobs, site_models
from frontdesk.training.blueprint import bp, site_row
from frontdesk.training.charts import loss_chart
from frontdesk.training.export import ExportOptions, build_export
from frontdesk.training.validation import validate

DEFAULT_BASE = "gpt-4o-mini-2024-07-18"


def _app():
    return current_app._get_current_object()  # type: ignore[attr-defined]


def _options(args) -> ExportOptions:
    def day(name: str) -> datetime | None:
        try:
            return datetime.fromisoformat(args.get(name, "")).replace(tzinfo=UTC)
        except ValueError:
            return None

    return ExportOptions(since=day("since"), until=day("until"),
                         rated_only=args.get("rated_only") == "on",
                         min_rating="good" if args.get("min_rating") == "good" else "")  # fmt: skip


def _export(site, args):
    return build_export(get_db(), load_site_by_id(get_db(), site.id), _options(args))


@bp.get("/export")
@admin_required
def export_page(site):
    """Build the export for the chosen conversations and show the validation report."""
    export = _export(site, request.args)
    model = request.args.get("model", DEFAULT_BASE)[:200]
    report = validate(export.train, export.validation, model=model,
                      epochs=request.args.get("n_epochs") or "auto")  # fmt: skip
    return render_template("training/export.html", site=site, export=export, report=report,
                           args=request.args, model=model,
                           accepting=finetune.ACCEPTING_PROVIDERS)  # fmt: skip


@bp.get("/export/<part>.jsonl")
@admin_required
def export_file(site, part: str):
    """Download the training or validation file."""
    if part not in ("train", "validation"):
        abort(404)
    export = _export(site, request.args)
    name = f"frontdesk-{site.public_key}-{part}.jsonl"
    return Response(export.jsonl(part), mimetype="application/jsonl",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})  # fmt: skip


@bp.post("/jobs")
@admin_required
def start_job(site):
    """Validate, upload and start a fine-tuning job with the form's choices."""
    form = request.form
    export = _export(site, form)
    base = form.get("model", DEFAULT_BASE).strip()[:200] or DEFAULT_BASE
    report = validate(export.train, export.validation, model=base,
                      epochs=form.get("n_epochs") or "auto")  # fmt: skip
    if not report.ok:
        flash("The training data has errors; nothing was uploaded. " + report.errors[0], "error")
        return redirect(url_for(".export_page", site_key=site.public_key, **form.to_dict()))
    hyper = {k: form.get(k, "auto") for k in finetune.HYPERPARAMETERS}
    seed = form.get("seed", type=int)
    try:
        job = jobs.start(_app(), load_site_by_id(get_db(), site.id), export, base_model=base,
                         suffix=form.get("suffix", "")[:40], hyperparameters=hyper, seed=seed,
                         started_by=current_staff().email)  # fmt: skip
    except (finetune.NoFineTuning, finetune.FineTuneError, ValueError) as exc:
        flash(str(exc), "error")
        return redirect(url_for(".export_page", site_key=site.public_key, **form.to_dict()))
    flash("Fine-tuning job started.", "success")
    return redirect(url_for(".job_page", site_key=site.public_key, job_id=job.id))


def _fresh(site, job):
    """The job, synced with the provider unless that was done in the last few seconds."""
    every = float(current_app.config.get("FINETUNE_SYNC_SECONDS") or 0)
    recent = job.synced_at and (utcnow() - job.synced_at).total_seconds() < every
    if job.status in jobs.DONE and job.events or recent:
        return job, ""
    try:
        return jobs.sync(_app(), job.id), ""
    except (finetune.NoFineTuning, finetune.FineTuneError) as exc:
        return job, str(exc)


@bp.get("/jobs/<int:job_id>")
@admin_required
def job_page(site, job_id: int):
    """A job: status, loss chart, events, checkpoints; when done, the two models compared."""
    job, problem = _fresh(site, site_row(FinetuneJob, job_id, site))
    return render_template("training/job.html", site=site, job=job, problem=problem,
                           chart=loss_chart(jobs.loss_points(job)), done=jobs.DONE,
                           model=site_models.current_model(site, current_app.config))  # fmt: skip


@bp.get("/jobs/<int:job_id>/status")
@admin_required
def job_status(site, job_id: int):
    """What the job page polls: it reloads itself when this changes."""
    job, problem = _fresh(site, site_row(FinetuneJob, job_id, site))
    return jsonify(status=job.status, events=len(job.events or []), problem=problem,
                   comparison=job.comparison or {}, done=job.status in jobs.DONE)  # fmt: skip


@bp.post("/jobs/<int:job_id>/cancel")
@admin_required
def cancel_job(site, job_id: int):
    """Cancel the job at the provider."""
    job = site_row(FinetuneJob, job_id, site)
    try:
        jobs.cancel(_app(), job.id)
        flash("Cancellation requested.", "success")
    except (finetune.NoFineTuning, finetune.FineTuneError) as exc:
        flash(str(exc), "error")
    return redirect(url_for(".job_page", site_key=site.public_key, job_id=job.id))


@bp.post("/jobs/<int:job_id>/use")
@admin_required
def use_model(site, job_id: int):
    """Switch the site to the job's fine-tuned model."""
    job = site_row(FinetuneJob, job_id, site)
    if not job.fine_tuned_model:
        abort(400)
    site_models.use_model(get_db(), site.id, job.fine_tuned_model, actor=staff_actor(),
                          finetune_job_id=job.id, server_default=_default())  # fmt: skip
    flash(f"The assistant now uses {job.fine_tuned_model}.", "success")
    return redirect(url_for(".index", site_key=site.public_key) + "#models")


@bp.post("/rollback")
@admin_required
def roll_back(site):
    """Go back to the model used before the last switch."""
    try:
        change = site_models.roll_back(get_db(), site.id, actor=staff_actor(),
                                       server_default=_default())  # fmt: skip
        flash(f"Rolled back: the assistant uses {change.model} again.", "success")
    except LookupError as exc:
        flash(str(exc), "error")
    return redirect(url_for(".index", site_key=site.public_key) + "#models")


def _default() -> str:
    return current_app.config.get("MODEL") or ""
