"""Staff feedback, evaluation cases and runs, fine-tuning jobs and each site's model history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.db.models.base import Base
from frontdesk.db.types import UTCDateTime, utcnow


class MessageFeedback(Base):
    """Staff's rating of one assistant message, and the answer it should have given."""

    __tablename__ = "message_feedback"
    __table_args__ = (UniqueConstraint("message_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"))
    rating: Mapped[str] = mapped_column(String(8), default="")  # good / bad / "" (unrated)
    correction: Mapped[str] = mapped_column(Text, default="")  # Markdown
    # [{id, name, arguments, ok, content, error}]: the calls it should have made, with the
    # results they gave when staff wrote the correction (run read-only at the message's time).
    correction_calls: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class EvalCase(Base):
    """A frozen situation (history, visitor turns, zone, clock) and checks on the next answer."""

    __tablename__ = "eval_cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    origin: Mapped[str] = mapped_column(String(16), default="manual")  # starter/feedback/manual
    history: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # frozen entries
    turns: Mapped[list[str]] = mapped_column(JSON, default=list)  # visitor messages, played live
    visitor_tz: Mapped[str] = mapped_column(String(64), default="UTC")
    lang: Mapped[str] = mapped_column(String(16), default="en")
    page: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    now: Mapped[datetime] = mapped_column(UTCDateTime)  # the frozen clock
    checks: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    source_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("messages.id", ondelete="SET NULL")
    )
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class EvalRun(Base):
    """One run of a site's evaluation set against an engine or model, and its totals."""

    __tablename__ = "eval_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(200), default="")
    engine: Mapped[str] = mapped_column(String(16))  # llm / offline
    model: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(16), default="queued")  # queued/running/done/failed
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    passed: Mapped[int] = mapped_column(Integer, default=0)
    by_kind: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # kind -> [passed, total]
    prompt_tokens: Mapped[int] = mapped_column(Integer, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cost: Mapped[float | None] = mapped_column(Float)  # US dollars, None when the price is unknown
    latency_ms: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # mean / p50 / p95
    error: Mapped[str] = mapped_column(Text, default="")
    finetune_job_id: Mapped[int | None] = mapped_column(
        ForeignKey("finetune_jobs.id", ondelete="SET NULL")
    )
    started_by: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class EvalResult(Base):
    """One case's outcome in a run: each check, the transcript of the answer, tokens and time."""

    __tablename__ = "eval_results"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("eval_runs.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("eval_cases.id", ondelete="SET NULL"))
    case_name: Mapped[str] = mapped_column(String(200))
    passed: Mapped[bool] = mapped_column(Boolean, default=False)
    checks: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    transcript: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    writes: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # refused writes
    prompt_tokens: Mapped[int] = mapped_column(Integer, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, default=0)
    latency_ms: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(Text, default="")


class FinetuneJob(Base):
    """A fine-tuning job at the provider, mirrored: its status, events, checkpoints and model."""

    __tablename__ = "finetune_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    provider_job_id: Mapped[str] = mapped_column(String(100), default="", index=True)
    base_model: Mapped[str] = mapped_column(String(200))
    suffix: Mapped[str] = mapped_column(String(64), default="")
    hyperparameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    seed: Mapped[int | None] = mapped_column(Integer)
    training_file: Mapped[str] = mapped_column(String(100), default="")
    validation_file: Mapped[str] = mapped_column(String(100), default="")
    examples: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(40), default="uploading")
    fine_tuned_model: Mapped[str] = mapped_column(String(200), default="")
    trained_tokens: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    events: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    checkpoints: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    comparison: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # eval run ids
    started_by: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SiteModelChange(Base):
    """One switch of a site's model ("use this model" or a roll back): the history kept."""

    __tablename__ = "site_model_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    previous_model: Mapped[str] = mapped_column(String(200), default="")
    model: Mapped[str] = mapped_column(String(200), default="")
    reason: Mapped[str] = mapped_column(String(32))  # use / rollback
    finetune_job_id: Mapped[int | None] = mapped_column(
        ForeignKey("finetune_jobs.id", ondelete="SET NULL")
    )
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
