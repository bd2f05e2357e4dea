"""Fine-tuning jobs as the dashboard keeps them: started, followed, compared when they succeed."""

from __future__ import annotations

import logging
import threading
from typing import Any

from sqlalchemy import select, update

from frontdesk.chat.site_cache import load_site_by_id
from frontdesk.db.models import FinetuneJob
from frontdesk.db.types import utcnow
from frontdesk.training import finetune, runs
from frontdesk.training.export import Export
from frontdesk.training.site_models import current_model

log = logging.getLogger(__name__)
DONE = ("succeeded", "failed", "cancelled")


def client(app: Any, site: Any) -> Any:
    """The fine-tuning client for this site (NoFineTuning when there is no provider)."""
    return finetune.client_for(site, app.config, app.extensions.get("frontdesk.llm_client"))


def start(app: Any, site: Any, export: Export, *, base_model: str, suffix: str = "",
          hyperparameters: dict[str, Any] | None = None, seed: int | None = None,
          started_by: str = "") -> FinetuneJob:  # fmt: skip
    """Upload the export's files, create the job, and keep its record (failures included)."""
    db = app.extensions["frontdesk.db"]
    api = client(app, site)
    hyper = finetune.clean_hyperparameters(hyperparameters or {})
    with db.transaction() as session:
        job = FinetuneJob(site_id=site.id, base_model=base_model[:200], suffix=suffix[:64],
                          hyperparameters=hyper, seed=seed, examples=len(export.train),
                          status="uploading", started_by=started_by[:100])  # fmt: skip
        session.add(job)
    try:
        stem = f"frontdesk-{site.public_key}-{job.id}"
        training = finetune.upload(api, f"{stem}-train.jsonl", export.jsonl("train"))
        validation = (finetune.upload(api, f"{stem}-validation.jsonl", export.jsonl("validation"))
                      if export.validation else "")  # fmt: skip
        request = finetune.JobRequest(
            base_model=base_model, training_file=training, validation_file=validation,
            suffix=suffix, hyperparameters=hyper, seed=seed,
            metadata={"frontdesk_site": site.public_key, "frontdesk_job": str(job.id)},
        )  # fmt: skip
        created = finetune.create_job(api, request)
    except Exception as exc:
        _update(db, job.id, status="not started", error={"message": str(exc)[:1000]},
                finished_at=utcnow())  # fmt: skip
        raise
    _update(db, job.id, training_file=training, validation_file=validation, synced_at=utcnow(),
            **finetune.job_fields(created))  # fmt: skip
    return get(db, job.id)


def get(db: Any, job_id: int) -> FinetuneJob | None:
    """The job's record."""
    with db.session() as session:
        return session.get(FinetuneJob, job_id)


def for_site(db: Any, site_id: int) -> list[FinetuneJob]:
    """The site's jobs, newest first."""
    with db.session() as session:
        query = select(FinetuneJob).where(FinetuneJob.site_id == site_id)
        return list(session.scalars(query.order_by(FinetuneJob.id.desc())))


def sync(app: Any, job_id: int) -> FinetuneJob:
    """Bring the record up to date with the provider; on success start the comparison."""
    db = app.extensions["frontdesk.db"]
    job = get(db, job_id)
    if not job.provider_job_id or (job.status in DONE and job.synced_at and job.events):
        return job
    site = load_site_by_id(db, job.site_id)
    api = client(app, site)
    remote = finetune.retrieve(api, job.provider_job_id)
    fields = finetune.job_fields(remote)
    values = {**fields, "events": finetune.events(api, job.provider_job_id),
              "checkpoints": finetune.checkpoints(api, job.provider_job_id),
              "synced_at": utcnow()}  # fmt: skip
    if fields["status"] in DONE:
        values["finished_at"] = job.finished_at or utcnow()
    with db.transaction() as session:
        # Only the sync that sees the success first starts the comparison (several processes
        # may be following the same job).
        first = session.execute(
            update(FinetuneJob)
            .where(FinetuneJob.id == job_id, FinetuneJob.status != "succeeded")
            .values(**values)
        ).rowcount
        if not first:
            session.execute(update(FinetuneJob).where(FinetuneJob.id == job_id).values(**values))
    if first and fields["status"] == "succeeded" and fields["fine_tuned_model"]:
        compare(app, job_id)
    return get(db, job_id)


def compare(app: Any, job_id: int, *, background: bool = True) -> dict[str, int]:
    """Evaluate the new model and the site's current one on the same cases, side by side."""
    db = app.extensions["frontdesk.db"]
    job = get(db, job_id)
    site = load_site_by_id(db, job.site_id)
    current = current_model(site, app.config)
    new_run, new_engine = runs.create_run(
        app, job.site_id, choice="llm", model=job.fine_tuned_model,
        label=f"Fine-tuned {job.fine_tuned_model}", started_by="finetune", finetune_job_id=job_id,
    )  # fmt: skip
    old_run, old_engine = runs.create_run(
        app, job.site_id, label=f"Current ({current or 'offline engine'})",
        started_by="finetune", finetune_job_id=job_id,
    )  # fmt: skip
    comparison = {"new": new_run.id, "current": old_run.id}
    _update(db, job_id, comparison=comparison)

    def both() -> None:
        runs.execute(app, new_run.id, new_engine)
        runs.execute(app, old_run.id, old_engine)

    if background:
        threading.Thread(target=both, name=f"compare-{job_id}", daemon=True).start()
    else:
        both()
    return comparison


def cancel(app: Any, job_id: int) -> FinetuneJob:
    """Ask the provider to cancel the job, then record what it says."""
    db = app.extensions["frontdesk.db"]
    job = get(db, job_id)
    remote = finetune.cancel(client(app, load_site_by_id(db, job.site_id)), job.provider_job_id)
    _update(db, job_id, synced_at=utcnow(), **finetune.job_fields(remote))
    return get(db, job_id)


def loss_points(job: FinetuneJob) -> list[tuple[int, float, float | None]]:
    """(step, training loss, validation loss or None) from the job's metrics events."""
    points = {}
    for event in job.events or []:
        data = event.get("data") or {}
        if event.get("type") == "metrics" and "step" in data and "train_loss" in data:
            valid = data.get("valid_loss")
            points[int(data["step"])] = (float(data["train_loss"]),
                                         None if valid is None else float(valid))  # fmt: skip
    return [(step, train, valid) for step, (train, valid) in sorted(points.items())]


def _update(db: Any, job_id: int, **values: Any) -> None:
    with db.transaction() as session:
        session.execute(update(FinetuneJob).where(FinetuneJob.id == job_id).values(**values))
