"""`frontdesk eval ...` and `frontdesk finetune ...`: evaluations and fine-tuning from a shell."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

import click
from flask import Flask

from frontdesk.audit import Actor
from frontdesk.cli_app import pass_app


def _site(app: Flask, key: str):
    from frontdesk.chat.site_cache import load_site

    site = load_site(app.extensions["frontdesk.db"], key)
    if site is None:
        raise click.ClickException(f"No site with key {key!r}.")
    return site


@click.group("eval")
def eval_group() -> None:
    """Evaluation sets and runs."""


@eval_group.command("starter")
@click.option("--site", "site_key", required=True, help="Public key of the site")
@pass_app
def eval_starter(app: Flask, site_key: str) -> None:
    """Add the starter evaluation set generated from the site's services and pages."""
    from frontdesk.training import starter

    site = _site(app, site_key)
    added = starter.generate(app.extensions["frontdesk.db"], app.extensions["frontdesk.bookings"],
                             site)  # fmt: skip
    click.echo(f"Added {added} starter cases to {site.name}.")


@eval_group.command("run")
@click.option("--site", "site_key", required=True, help="Public key of the site")
@click.option("--model", default="", help="Evaluate this model (default: the site's engine)")
@click.option("--offline", is_flag=True, help="Evaluate the offline engine")
@click.option("--label", default="", help="A name for the run")
@pass_app
def eval_run(app: Flask, site_key: str, model: str, offline: bool, label: str) -> None:
    """Run the site's evaluation set (read-only: nothing is booked) and print the results."""
    from frontdesk.training import runs
    from frontdesk.training.eval_engines import EngineUnavailable

    site = _site(app, site_key)
    choice = "offline" if offline else ("llm" if model else "current")
    try:
        run, engine = runs.create_run(app, site.id, choice=choice, model=model, label=label,
                                      started_by="cli")  # fmt: skip
    except EngineUnavailable as exc:
        raise click.ClickException(str(exc)) from exc
    if not run.total:
        raise click.ClickException(
            "The site has no evaluation cases: run `frontdesk eval starter`."
        )
    click.echo(f"Run {run.id}: {run.total} cases on {engine.model or engine.name}")

    def progress(done: int, total: int, name: str, passed: bool) -> None:
        click.echo(f"[{done:>3}/{total}] {'pass' if passed else 'FAIL'}  {name}")

    run = runs.execute(app, run.id, engine, progress)
    if run.status != "done":
        raise click.ClickException(f"The run failed: {run.error}")
    click.echo(f"\nPassed {run.passed}/{run.total} cases")
    for kind, (passed, total) in run.by_kind.items():
        click.echo(f"  {kind:<18} {passed}/{total}")
    cost = "n/a" if run.cost is None else f"${run.cost:.4f}"
    click.echo(f"Tokens {run.prompt_tokens} prompt + {run.completion_tokens} completion, cost "
               f"{cost}, latency p50 {run.latency_ms.get('p50', 0)} ms")  # fmt: skip


@click.group("finetune")
def finetune_group() -> None:
    """Training data and fine-tuning jobs."""


def _export_options(f):
    f = click.option("--since", type=click.DateTime(), default=None, help="Conversations from")(f)
    f = click.option("--until", type=click.DateTime(), default=None, help="... until (excl.)")(f)
    f = click.option("--rated-only", is_flag=True, help="Only conversations staff rated")(f)
    f = click.option("--min-rating", type=click.Choice(["", "good"]), default="",
                     help="good: leave out conversations with an uncorrected bad answer")(f)  # fmt: skip
    return click.option("--site", "site_key", required=True, help="Public key of the site")(f)


def _build(app, site, since, until, rated_only, min_rating):
    from frontdesk.training.export import ExportOptions, build_export

    options = ExportOptions(since=_utc(since), until=_utc(until), rated_only=rated_only,
                            min_rating=min_rating)  # fmt: skip
    return build_export(app.extensions["frontdesk.db"], site, options)


@finetune_group.command("export")
@_export_options
@click.option("--out", type=click.Path(path_type=Path), default=Path("."), show_default=True)
@click.option("--model", default="gpt-4o-mini-2024-07-18", show_default=True,
              help="Base model the report checks against")  # fmt: skip
@pass_app
def finetune_export(app, site_key, since, until, rated_only, min_rating, out, model) -> None:
    """Write train/validation JSONL and print the validation report."""
    from frontdesk.training.validation import validate

    site = _site(app, site_key)
    export = _build(app, site, since, until, rated_only, min_rating)
    out.mkdir(parents=True, exist_ok=True)
    for part in ("train", "validation"):
        path = out / f"{site.public_key}-{part}.jsonl"
        path.write_bytes(export.jsonl(part))
        click.echo(f"Wrote {path} ({len(getattr(export, part))} examples)")
    _print_report(validate(export.train, export.validation, model=model), export)


@finetune_group.command("start")
@_export_options
@click.option("--model", "base_model", default="gpt-4o-mini-2024-07-18", show_default=True)
@click.option("--suffix", default="")
@click.option("--epochs", default="auto", show_default=True)
@click.option("--batch-size", default="auto", show_default=True)
@click.option("--learning-rate-multiplier", default="auto", show_default=True)
@click.option("--seed", type=int, default=None)
@pass_app
def finetune_start(app, site_key, since, until, rated_only, min_rating, base_model, suffix,
                   epochs, batch_size, learning_rate_multiplier, seed) -> None:  # fmt: skip
    """Export, validate, upload and start a fine-tuning job."""
    from frontdesk.training import finetune, jobs
    from frontdesk.training.validation import validate

    site = _site(app, site_key)
    export = _build(app, site, since, until, rated_only, min_rating)
    report = validate(export.train, export.validation, model=base_model, epochs=epochs)
    _print_report(report, export)
    if not report.ok:
        raise click.ClickException("Fix the errors above first; nothing was uploaded.")
    hyper = {"n_epochs": epochs, "batch_size": batch_size,
             "learning_rate_multiplier": learning_rate_multiplier}  # fmt: skip
    try:
        job = jobs.start(app, site, export, base_model=base_model, suffix=suffix,
                         hyperparameters=hyper, seed=seed, started_by="cli")  # fmt: skip
    except (finetune.NoFineTuning, finetune.FineTuneError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Started job {job.id} ({job.provider_job_id}): {job.status}")


@finetune_group.command("status")
@click.argument("job_id", type=int)
@click.option("--watch", is_flag=True, help="Keep following until the job ends")
@click.option("--interval", type=float, default=15.0, show_default=True)
@pass_app
def finetune_status(app: Flask, job_id: int, watch: bool, interval: float) -> None:
    """Show a job's status, its latest metrics and its checkpoints."""
    from frontdesk.training import finetune, jobs

    while True:
        try:
            job = jobs.sync(app, job_id) if jobs.get(app.extensions["frontdesk.db"], job_id) \
                else None  # fmt: skip
        except (finetune.NoFineTuning, finetune.FineTuneError) as exc:
            raise click.ClickException(str(exc)) from exc
        if job is None:
            raise click.ClickException(f"No job {job_id}.")
        points = jobs.loss_points(job)
        loss = f", step {points[-1][0]} loss {points[-1][1]:.4f}" if points else ""
        click.echo(f"Job {job.id} ({job.provider_job_id}): {job.status}{loss}")
        if job.status in jobs.DONE or not watch:
            break
        time.sleep(interval)
    if job.error:
        click.echo(f"Error: {job.error.get('code', '')} {job.error.get('message', '')}")
    if job.fine_tuned_model:
        click.echo(f"Model: {job.fine_tuned_model}")
    for checkpoint in job.checkpoints:
        click.echo(f"Checkpoint step {checkpoint.get('step_number')}: "
                   f"{checkpoint.get('fine_tuned_model_checkpoint')}")  # fmt: skip


@finetune_group.command("cancel")
@click.argument("job_id", type=int)
@pass_app
def finetune_cancel(app: Flask, job_id: int) -> None:
    """Cancel a running job."""
    from frontdesk.training import finetune, jobs

    try:
        job = jobs.cancel(app, job_id)
    except (finetune.NoFineTuning, finetune.FineTuneError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Job {job.id}: {job.status}")


@finetune_group.command("use")
@click.option("--site", "site_key", required=True)
@click.argument("model")
@pass_app
def finetune_use(app: Flask, site_key: str, model: str) -> None:
    """Switch the site to MODEL (kept in its model history)."""
    from frontdesk.training import site_models

    site = _site(app, site_key)
    change = site_models.use_model(app.extensions["frontdesk.db"], site.id, model,
                                   actor=Actor("system", id="cli"),
                                   server_default=app.config.get("MODEL") or "")  # fmt: skip
    click.echo(f"{site.name} now uses {change.model} (was {change.previous_model or 'default'}).")


@finetune_group.command("rollback")
@click.option("--site", "site_key", required=True)
@pass_app
def finetune_rollback(app: Flask, site_key: str) -> None:
    """Go back to the model the site used before the last switch."""
    from frontdesk.training import site_models

    site = _site(app, site_key)
    try:
        change = site_models.roll_back(app.extensions["frontdesk.db"], site.id,
                                       actor=Actor("system", id="cli"),
                                       server_default=app.config.get("MODEL") or "")  # fmt: skip
    except LookupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{site.name} is back on {change.model}.")


def _print_report(report, export) -> None:
    click.echo(f"Examples: {report.train_examples} training, {report.validation_examples} "
               f"validation ({export.conversations} conversations)")  # fmt: skip
    for reason, count in export.skipped.items():
        click.echo(f"Left out {count}: {reason}")
    for error in report.errors:
        click.echo(f"ERROR   {error}")
    for warning in report.warnings:
        click.echo(f"warning {warning}")
    cost = "unknown" if report.cost is None else f"${report.cost:.2f}"
    click.echo(f"Largest example ~{max(report.tokens, default=0)} tokens (limit "
               f"{report.context_limit}); billed ~{report.billed_tokens} tokens over "
               f"{report.epochs} epochs; estimated cost {cost}")  # fmt: skip


def _utc(value: datetime | None) -> datetime | None:
    from datetime import UTC

    return None if value is None else value.replace(tzinfo=UTC)
