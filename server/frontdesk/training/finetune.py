"""The provider's fine-tuning API (OpenAI's, which Azure OpenAI speaks too) through `openai`.

Upload the files (purpose "fine-tune"), create a supervised job, follow it (any status string,
including ones the API adds later), read its events and checkpoints, cancel it. A provider
without these endpoints (a local server, most OpenAI-compatible hosts) gets NoFineTuning with a
message saying so; the export still works for use elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from frontdesk.assistant.llm.provider import llm_settings, make_client, provider_configured

# Providers known to take the exported file as it is, through this API.
ACCEPTING_PROVIDERS = ("OpenAI", "Azure OpenAI")
HYPERPARAMETERS = {  # name: (type, lowest, highest)
    "n_epochs": (int, 1, 50),
    "batch_size": (int, 1, 256),
    "learning_rate_multiplier": (float, 0.01, 10.0),
}
UPLOAD_TIMEOUT = 120.0


class NoFineTuning(RuntimeError):
    """This provider cannot fine-tune (or none is configured)."""


class FineTuneError(RuntimeError):
    """The provider refused a request; the message is the provider's, made readable."""


@dataclass(frozen=True)
class JobRequest:
    """A supervised fine-tuning job to create."""

    base_model: str
    training_file: str
    validation_file: str = ""
    suffix: str = ""
    hyperparameters: dict[str, Any] | None = None  # each "auto" or a number
    seed: int | None = None
    metadata: dict[str, str] | None = None


def client_for(site: Any, app_config: Any, llm_client: Any = None) -> Any:
    """The openai client to fine-tune with: the injected one, else the site's provider's."""
    if llm_client is not None:
        return llm_client
    settings = llm_settings(site, app_config)
    if not provider_configured(settings):
        raise NoFineTuning(
            "No LLM provider is configured, so there is nothing to fine-tune with. The export "
            "still works: download the JSONL and upload it to a provider that fine-tunes."
        )
    try:
        return make_client({**settings, "timeout": max(UPLOAD_TIMEOUT, float(settings["timeout"]))})
    except ValueError as exc:  # BlockedURL: the site's provider address is refused
        raise NoFineTuning(f"The site's provider address is refused: {exc}") from exc


def clean_hyperparameters(raw: dict[str, Any]) -> dict[str, Any]:
    """Each hyperparameter "auto" or a number within its range; ValueError naming a bad one."""
    cleaned: dict[str, Any] = {}
    for name, (kind, low, high) in HYPERPARAMETERS.items():
        value = str(raw.get(name, "auto") if raw.get(name) not in (None, "") else "auto").strip()
        if value.lower() == "auto":
            cleaned[name] = "auto"
            continue
        try:
            number = kind(value)
        except ValueError:
            raise ValueError(f"{name} must be 'auto' or a number") from None
        if not low <= number <= high:
            raise ValueError(f"{name} must be between {low} and {high}")
        cleaned[name] = number
    return cleaned


def upload(client: Any, filename: str, data: bytes) -> str:
    """Upload a JSONL file for fine-tuning; its file id."""
    return _call(lambda: client.files.create(file=(filename, data), purpose="fine-tune")).id


def create_job(client: Any, request: JobRequest) -> Any:
    """Create the job; the provider's job object."""
    options: dict[str, Any] = {
        "model": request.base_model,
        "training_file": request.training_file,
        "method": {"type": "supervised",
                   "supervised": {"hyperparameters": dict(request.hyperparameters or {})}},
    }  # fmt: skip
    if request.validation_file:
        options["validation_file"] = request.validation_file
    if request.suffix:
        options["suffix"] = request.suffix
    if request.seed is not None:
        options["seed"] = request.seed
    if request.metadata:
        options["metadata"] = request.metadata
    return _call(lambda: client.fine_tuning.jobs.create(**options))


def retrieve(client: Any, job_id: str) -> Any:
    """The job as the provider has it now."""
    return _call(lambda: client.fine_tuning.jobs.retrieve(job_id))


def events(client: Any, job_id: str, limit: int = 100) -> list[dict[str, Any]]:
    """The job's events, oldest first, as plain dicts (type "metrics" carry data.train_loss)."""
    page = _call(lambda: client.fine_tuning.jobs.list_events(job_id, limit=limit))
    # The API lists newest first; ties within a second keep its order (sorted() is stable).
    return sorted((_plain(e) for e in reversed(page.data)), key=lambda e: e["created_at"])


def checkpoints(client: Any, job_id: str) -> list[dict[str, Any]]:
    """The job's checkpoints with their metrics, by step."""
    page = _call(lambda: client.fine_tuning.jobs.checkpoints.list(job_id))
    return sorted((_plain(c) for c in page.data), key=lambda c: c.get("step_number", 0))


def cancel(client: Any, job_id: str) -> Any:
    """Ask the provider to cancel the job; the job object."""
    return _call(lambda: client.fine_tuning.jobs.cancel(job_id))


def _call(request: Any) -> Any:
    """Run one API request; map "no such endpoint" to NoFineTuning, other refusals to
    FineTuneError, with the provider's message."""
    import openai

    try:
        return request()
    except (openai.NotFoundError, openai.APIStatusError) as exc:
        status = getattr(exc, "status_code", 0)
        message = _message(exc)
        if status in (404, 405, 501) and "job" not in message.lower():
            raise NoFineTuning(
                f"This provider has no fine-tuning API (it answered {status}). The export still "
                f"works: download the JSONL for a provider that fine-tunes "
                f"({', '.join(ACCEPTING_PROVIDERS)} accept it as it is)."
            ) from exc
        raise FineTuneError(f"The provider refused: {message} (HTTP {status})") from exc
    except openai.APIConnectionError as exc:
        raise FineTuneError(f"Could not reach the provider: {exc}") from exc


def _message(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        error = body.get("error") if isinstance(body.get("error"), dict) else body
        if error.get("message"):
            return str(error["message"])[:500]
    return str(exc)[:500]


def _plain(item: Any) -> dict[str, Any]:
    return item.model_dump(mode="json") if hasattr(item, "model_dump") else dict(item)


def job_fields(job: Any) -> dict[str, Any]:
    """What the dashboard keeps of a provider's job object (status kept verbatim)."""
    error = getattr(job, "error", None)
    return {
        "provider_job_id": job.id,
        "status": str(job.status or "unknown")[:40],
        "fine_tuned_model": job.fine_tuned_model or "",
        "trained_tokens": getattr(job, "trained_tokens", None),
        "error": _plain(error) if error else {},
    }
