"""Checking training data before it is uploaded: format, size, tokens and estimated cost.

Tokens are estimated without a tokenizer (tiktoken would download its encoding files): a
message counts ceil(characters / 4) tokens plus 4 for its framing, an example's tool schemas
count the same way, and 10% is added as a margin, since JSON, numbers and non-English text run
above OpenAI's rule of thumb of four characters per token.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from frontdesk.training.prices import base_name, training_cost

MIN_EXAMPLES = 10
GOOD_EXAMPLES = 50
MESSAGE_OVERHEAD = 4
MARGIN = 1.10
DEFAULT_CONTEXT = 65_536  # tokens one training example may hold
CONTEXT = {"gpt-3.5-turbo": 16_385}
ROLES = ("system", "user", "assistant", "tool")
# OpenAI's "auto" epochs, as its cookbook's data-preparation notebook computes them.
TARGET_EPOCHS, MIN_TARGET_EXAMPLES, MAX_TARGET_EXAMPLES, MAX_EPOCHS = 3, 100, 25_000, 25


@dataclass
class Report:
    """What is wrong (errors stop the upload), what is doubtful, and what it will cost."""

    train_examples: int = 0
    validation_examples: int = 0
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    tokens: list[int] = field(default_factory=list)  # per training example
    context_limit: int = DEFAULT_CONTEXT
    epochs: int = TARGET_EPOCHS
    billed_tokens: int = 0
    cost: Decimal | None = None

    @property
    def ok(self) -> bool:
        """True when the file can be uploaded."""
        return not self.errors

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON-safe data (for the CLI's --json and the job's record)."""
        return {
            "ok": self.ok, "train_examples": self.train_examples,
            "validation_examples": self.validation_examples, "errors": self.errors,
            "warnings": self.warnings, "max_tokens": max(self.tokens, default=0),
            "context_limit": self.context_limit, "epochs": self.epochs,
            "billed_tokens": self.billed_tokens,
            "cost": None if self.cost is None else float(self.cost),
        }  # fmt: skip


def estimate_tokens(example: dict[str, Any]) -> int:
    """Estimated tokens of one example (see the module docstring)."""
    total = 0
    for message in example.get("messages") or []:
        text = message.get("content") or ""
        if message.get("tool_calls"):
            text += json.dumps(message["tool_calls"])
        total += math.ceil(len(text) / 4) + MESSAGE_OVERHEAD
    if example.get("tools"):
        total += math.ceil(len(json.dumps(example["tools"])) / 4)
    return math.ceil(total * MARGIN)


def auto_epochs(examples: int) -> int:
    """The number of epochs "auto" is expected to choose for this many examples."""
    if examples and examples * TARGET_EPOCHS < MIN_TARGET_EXAMPLES:
        return min(MAX_EPOCHS, MIN_TARGET_EXAMPLES // examples)
    if examples * TARGET_EPOCHS > MAX_TARGET_EXAMPLES:
        return max(1, MAX_TARGET_EXAMPLES // examples)
    return TARGET_EPOCHS


def validate(train: list[dict], validation: list[dict], *, model: str,
             epochs: int | str = "auto") -> Report:  # fmt: skip
    """Check both files for `model`; the report says what must change before uploading."""
    report = Report(train_examples=len(train), validation_examples=len(validation))
    report.context_limit = CONTEXT.get(base_name(model), DEFAULT_CONTEXT)
    if len(train) < MIN_EXAMPLES:
        report.errors.append(
            f"Only {len(train)} training examples: at least {MIN_EXAMPLES} are needed."
        )
    elif len(train) < GOOD_EXAMPLES:
        report.warnings.append(
            f"{len(train)} training examples: fine-tuning usually needs {GOOD_EXAMPLES} or more "
            "to make a clear difference."
        )
    for part, examples in (("training", train), ("validation", validation)):
        for number, example in enumerate(examples, start=1):
            for problem in example_problems(example):
                report.errors.append(f"{part} example {number}: {problem}")
            tokens = estimate_tokens(example)
            if part == "training":
                report.tokens.append(tokens)
            if tokens > report.context_limit:
                report.errors.append(
                    f"{part} example {number}: about {tokens} tokens, over the model's "
                    f"{report.context_limit} per example (it would be cut)."
                )
    report.epochs = auto_epochs(len(train)) if epochs == "auto" else int(epochs)
    report.billed_tokens = sum(min(t, report.context_limit) for t in report.tokens) * report.epochs
    report.cost = training_cost(model, sum(report.tokens), report.epochs)
    if report.cost is None:
        report.warnings.append(f"No training price is known for {model!r}: cost not estimated.")
    return report


def example_problems(example: Any) -> list[str]:
    """What makes one example unusable (the same rules OpenAI's validation applies)."""
    messages = example.get("messages") if isinstance(example, dict) else None
    if not isinstance(messages, list) or not messages:
        return ["no messages"]
    problems = []
    owed: list[str] = []  # tool call ids still waiting for their result
    for number, message in enumerate(messages, start=1):
        role = message.get("role") if isinstance(message, dict) else None
        if role not in ROLES:
            problems.append(f"message {number} has an unknown role {role!r}")
            continue
        if "weight" in message and (role != "assistant" or message["weight"] not in (0, 1)):
            problems.append(f"message {number}: weight must be 0 or 1, on assistant messages")
        if role == "tool":
            if message.get("tool_call_id") not in owed:
                problems.append(f"message {number} answers no open tool call")
            else:
                owed.remove(message["tool_call_id"])
            continue
        if owed:
            problems.append(f"message {number}: tool call(s) {', '.join(owed)} not answered")
            owed = []
        calls = message.get("tool_calls") or []
        if role == "assistant" and not calls and not isinstance(message.get("content"), str):
            problems.append(f"message {number}: an assistant message needs content or tool calls")
        owed = [call.get("id") for call in calls]
    if owed:
        problems.append(f"tool call(s) {', '.join(owed)} not answered")
    last = messages[-1]
    if not isinstance(last, dict) or last.get("role") != "assistant" or last.get("tool_calls"):
        problems.append("does not end with an assistant answer")
    if not any(m.get("role") == "assistant" and m.get("weight", 1) for m in messages
               if isinstance(m, dict)):  # fmt: skip
        problems.append("every assistant message has weight 0: nothing to learn")
    return problems
