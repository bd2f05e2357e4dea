"""The fake provider's Files and fine-tuning API: uploads checked as OpenAI checks them, jobs
that move through their states as time passes (events, metrics, checkpoints), and failures.

Times are scaled by `stage_seconds`: validating, queued, then `steps` training steps, each one
stage long. `fail_next` makes the next job fail while running, with that error object.
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

FINE_TUNABLE = ("gpt-4o-mini-2024-07-18", "gpt-4o-mini", "gpt-4.1-mini-2025-04-14",
                "gpt-4.1-nano-2025-04-14", "gpt-4o-2024-08-06", "gpt-3.5-turbo")  # fmt: skip
ROLES = ("system", "user", "assistant", "tool")
FINISHED = ("succeeded", "failed", "cancelled")


@dataclass
class FineTuning:
    """The fake's files and jobs (thread-safe); tests tune the timing and the failures."""

    stage_seconds: float = 0.2
    steps: int = 6
    fail_next: dict[str, Any] | None = None  # {"code", "message"}: the next job fails so
    enabled: bool = True  # False: a provider without these endpoints (404, like a local server)
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # ----- routing ---------------------------------------------------------------------------
    def handle(self, method: str, route: str, raw: bytes, headers: dict[str, str]):
        """(status, JSON payload) for a Files or fine-tuning request, or None for other routes."""
        parts = route.split("/v1/", 1)[-1].strip("/").split("/")
        if not self.enabled:
            return None
        with self._lock:
            if parts[0] == "files":
                if method == "POST" and len(parts) == 1:
                    return self._upload(raw, headers.get("content-type", ""))
                if method == "GET" and len(parts) == 2:
                    return self._found(self.files.get(parts[1]), "file")
            if parts[:2] == ["fine_tuning", "jobs"]:
                return self._jobs(method, parts[2:], raw)
        return None

    def _jobs(self, method: str, rest: list[str], raw: bytes):
        if method == "POST" and not rest:
            return self._create(json.loads(raw or b"{}"))
        if method == "GET" and not rest:
            jobs = sorted(self.jobs.values(), key=lambda j: -j["created_at"])
            return 200, _page([self._view(job) for job in jobs])
        job = self.jobs.get(rest[0])
        if job is None:
            return _error(404, f"No fine-tuning job found with id {rest[0]!r}", "job_id")
        self._advance(job)
        if method == "GET" and len(rest) == 1:
            return 200, self._view(job)
        if method == "GET" and rest[1] == "events":
            return 200, _page(list(reversed(job["events"])))  # newest first, as OpenAI lists
        if method == "GET" and rest[1] == "checkpoints":
            return 200, _page(list(reversed(job["checkpoints"])))
        if method == "POST" and rest[1] == "cancel":
            if job["status"] in FINISHED:
                return _error(400, f"Job has already {job['status']}", "job_id")
            job["status"], job["finished_at"] = "cancelled", int(time.time())
            self._event(job, "info", "Fine-tuning job cancelled")
            return 200, self._view(job)
        return _error(404, "no such route", None)

    # ----- files -----------------------------------------------------------------------------
    def _upload(self, raw: bytes, content_type: str):
        fields = _multipart(raw, content_type)
        purpose = fields.get("purpose", (None, b""))[1].decode()
        filename, data = fields.get("file", (None, b""))
        if purpose not in ("fine-tune", "assistants", "batch", "vision", "user_data", "evals"):
            return _error(400, f"Invalid value for purpose: {purpose!r}", "purpose")
        if filename is None:
            return _error(400, "No file was uploaded", "file")
        if purpose == "fine-tune":
            problem = _jsonl_problem(filename, data)
            if problem:
                return _error(400, problem, "file", "invalid_file_format")
        file_id = "file-" + secrets.token_hex(12)
        self.files[file_id] = {"id": file_id, "object": "file", "bytes": len(data),
                               "created_at": int(time.time()), "filename": filename,
                               "purpose": purpose, "status": "processed", "data": data}  # fmt: skip
        return 200, _public(self.files[file_id])

    def _found(self, item: dict[str, Any] | None, what: str):
        return (200, _public(item)) if item else _error(404, f"No such {what}", what)

    # ----- jobs ------------------------------------------------------------------------------
    def _create(self, body: dict[str, Any]):
        model = body.get("model")
        if model not in FINE_TUNABLE:
            return _error(400, f"Model {model!r} is not available for fine-tuning", "model",
                          "model_not_available")  # fmt: skip
        for key in ("training_file", "validation_file"):
            file_id = body.get(key)
            if key == "validation_file" and not file_id:
                continue
            stored = self.files.get(file_id or "")
            if stored is None or stored["purpose"] != "fine-tune":
                return _error(400, f"invalid {key}: {file_id!r}", key, "invalid_file")
        method = body.get("method") or {"type": "supervised", "supervised": {}}
        hyper = dict((method.get("supervised") or {}).get("hyperparameters") or {})
        job_id = "ftjob-" + secrets.token_hex(10)
        job = {
            "id": job_id, "object": "fine_tuning.job", "created_at": int(time.time()),
            "model": model, "organization_id": "org-fake", "status": "validating_files",
            "training_file": body["training_file"],
            "validation_file": body.get("validation_file"), "fine_tuned_model": None,
            "finished_at": None, "error": None, "result_files": [], "trained_tokens": None,
            "seed": body.get("seed") if body.get("seed") is not None else 42,
            "metadata": body.get("metadata"), "suffix": body.get("suffix"),
            "hyperparameters": {k: hyper.get(k, "auto") for k in
                                ("n_epochs", "batch_size", "learning_rate_multiplier")},
            "method": method, "events": [], "checkpoints": [], "_t0": time.monotonic(),
            "_fail": self.fail_next, "_step": 0, "estimated_finish": None,
        }  # fmt: skip
        self.fail_next = None
        self.jobs[job_id] = job
        self._event(job, "info", f"Created fine-tuning job: {job_id}")
        return 200, self._view(job)

    def _advance(self, job: dict[str, Any]) -> None:
        """Move the job along its timeline to where the clock says it is."""
        if job["status"] in FINISHED:
            return
        stage = (time.monotonic() - job["_t0"]) / self.stage_seconds
        if job["status"] == "validating_files" and stage >= 1:
            problem = _training_problem(self.files[job["training_file"]]["data"])
            if problem:
                return self._fail(job, "invalid_training_file", problem, "training_file")
            job["status"] = "queued"
            self._event(job, "info", "Validated training file: " + job["training_file"])
        if job["status"] == "queued" and stage >= 2:
            job["status"] = "running"
            self._event(job, "info", "Fine-tuning job started")
        while job["status"] == "running" and job["_step"] < min(self.steps, int(stage - 2)):
            self._step(job)
            if job["_fail"] and job["_step"] >= self.steps // 2:
                failure = job["_fail"]
                return self._fail(job, failure["code"], failure["message"], None)
        if job["status"] == "running" and job["_step"] >= self.steps:
            self._succeed(job)

    def _step(self, job: dict[str, Any]) -> None:
        job["_step"] += 1
        step = job["_step"]
        loss = round(2.0 / (1 + step * 0.6), 4)
        metrics = {"step": step, "train_loss": loss, "total_steps": self.steps,
                   "train_mean_token_accuracy": round(1 - loss / 3, 4)}  # fmt: skip
        if job["validation_file"]:
            metrics["valid_loss"] = round(loss * 1.1, 4)
        self._event(job, "info", f"Step {step}/{self.steps}: training loss={loss}",
                    "metrics", metrics)  # fmt: skip
        if step % 2 == 0 or step == self.steps:
            job["checkpoints"].append({
                "id": f"ftckpt-{secrets.token_hex(6)}", "object": "fine_tuning.job.checkpoint",
                "created_at": int(time.time()), "fine_tuning_job_id": job["id"],
                "fine_tuned_model_checkpoint": f"ft:{job['model']}:org-fake::{job['id'][-8:]}:ckpt-step-{step}",
                "step_number": step, "metrics": {k: v for k, v in metrics.items() if k != "total_steps"},
            })  # fmt: skip

    def _succeed(self, job: dict[str, Any]) -> None:
        suffix = job.get("suffix") or ""
        job["fine_tuned_model"] = f"ft:{job['model']}:org-fake:{suffix}:{job['id'][-8:]}"
        job["status"], job["finished_at"] = "succeeded", int(time.time())
        data = self.files[job["training_file"]]["data"]
        job["trained_tokens"] = len(data) // 4 * 3
        job["result_files"] = ["file-result-" + job["id"][-8:]]
        self._event(job, "info", "New fine-tuned model created")
        self._event(job, "info", "The job has successfully completed")

    def _fail(self, job: dict[str, Any], code: str, message: str, param: str | None) -> None:
        job["status"], job["finished_at"] = "failed", int(time.time())
        job["error"] = {"code": code, "message": message, "param": param}
        self._event(job, "error", message)

    def _event(self, job, level, message, kind="message", data=None) -> None:
        job["events"].append({"id": f"ftevent-{secrets.token_hex(8)}",
                              "object": "fine_tuning.job.event", "created_at": int(time.time()),
                              "level": level, "message": message, "type": kind,
                              "data": data or {}})  # fmt: skip

    def _view(self, job: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in job.items() if not k.startswith("_") and k not in
                ("events", "checkpoints", "suffix")}  # fmt: skip


def _jsonl_problem(filename: str, data: bytes) -> str:
    """Why the Files API refuses a fine-tune upload, or ""."""
    if not filename.endswith(".jsonl"):
        return "Invalid file format for Fine-Tuning API. Must be .jsonl"
    for number, line in enumerate(data.decode("utf-8", "replace").splitlines(), start=1):
        try:
            row = json.loads(line)
        except ValueError:
            return f"Invalid file format. Line {number} is not valid JSON."
        messages = row.get("messages") if isinstance(row, dict) else None
        if not isinstance(messages, list) or not messages:
            return f'Invalid file format. Line {number}, key "messages": missing or empty.'
        for message in messages:
            if not isinstance(message, dict) or message.get("role") not in ROLES:
                return f"Invalid file format. Line {number}: unrecognised role."
    return ""


def _training_problem(data: bytes) -> str:
    """What the job's validating_files stage finds wrong with the file, or ""."""
    rows = [json.loads(line) for line in data.decode().splitlines() if line.strip()]
    if len(rows) < 10:
        return (f"The job failed due to an invalid training file. Training file has "
                f"{len(rows)} example(s), but must have at least 10 examples")  # fmt: skip
    for number, row in enumerate(rows, start=1):
        messages = row["messages"]
        if messages[-1].get("role") != "assistant":
            return f"Example {number}: the last message must be from the assistant"
        answered = {m.get("tool_call_id") for m in messages if m.get("role") == "tool"}
        for message in messages:
            for call in message.get("tool_calls") or []:
                if call.get("id") not in answered:
                    return f"Example {number}: tool call {call.get('id')} has no response"
            if message.get("weight") not in (None, 0, 1):
                return f"Example {number}: weight must be 0 or 1"
    return ""


def _multipart(raw: bytes, content_type: str) -> dict[str, tuple[str | None, bytes]]:
    """{field name: (filename or None, bytes)} of a multipart/form-data body."""
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + raw)
    fields = {}
    for part in message.iter_parts() if message.is_multipart() else []:
        name = part.get_param("name", header="content-disposition")
        fields[name] = (part.get_filename(), part.get_payload(decode=True) or b"")
    return fields


def _page(data: list[dict[str, Any]]) -> dict[str, Any]:
    return {"object": "list", "data": data, "has_more": False,
            "first_id": data[0]["id"] if data else None,
            "last_id": data[-1]["id"] if data else None}  # fmt: skip


def _public(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k != "data"}


def _error(status: int, message: str, param: str | None, code: str | None = None):
    return status, {"error": {"message": message, "type": "invalid_request_error",
                              "param": param, "code": code}}  # fmt: skip
