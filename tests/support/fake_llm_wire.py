"""OpenAI wire-format bodies the fake provider sends: stream chunks and whole completions."""

from __future__ import annotations

import base64
import json
import struct
import time
from typing import Any

from tests.support.fake_llm_scripts import Script


def resize(vector: list[float], dims: int) -> list[float]:
    """The vector repeated or cut to `dims` numbers (the `dimensions` request parameter)."""
    return (vector * (dims // len(vector) + 1))[:dims]


def chunk(model: str, choice: dict[str, Any] | None, usage: tuple[int, int] | None = None):
    """One `chat.completion.chunk` event body; no choice and a usage for the final usage chunk."""
    event: dict[str, Any] = {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": [] if choice is None else [choice],
    }
    if usage is not None:
        prompt, completed = usage
        event["usage"] = {
            "prompt_tokens": prompt,
            "completion_tokens": completed,
            "total_tokens": prompt + completed,
        }
    return event


def estimate_usage(body: dict[str, Any], script: Script) -> tuple[int, int]:
    """Rough (prompt, completion) token counts for a script that gives none."""
    prompt = len(json.dumps(body.get("messages", []))) // 4 + 1
    return prompt, max(1, len(script.deltas))


def completion(body: dict[str, Any], script: Script, usage: tuple[int, int]) -> dict[str, Any]:
    """Assemble the non-streaming completion from the scripted deltas."""
    content = "".join(d.get("content") or "" for d in script.deltas)
    calls: dict[Any, dict[str, Any]] = {}
    for delta in script.deltas:
        for part in delta.get("tool_calls") or []:
            function = part.get("function") or {}
            key = part.get("index")
            if key is None:  # no index: a new id or name starts a call, else continue the last
                starts = "id" in part or "name" in function or not calls
                key = len(calls) if starts else list(calls)[-1]
            call = calls.setdefault(key, {"id": f"call_{len(calls)}", "type": "function",
                                          "function": {"name": "", "arguments": ""}})  # fmt: skip
            call["id"] = part.get("id", call["id"])
            call["function"]["name"] += function.get("name") or ""
            call["function"]["arguments"] += function.get("arguments") or ""
    message: dict[str, Any] = {"role": "assistant", "content": content or None}
    if calls:
        message["tool_calls"] = list(calls.values())
    prompt, completed = usage
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", "fake"),
        "choices": [{"index": 0, "message": message, "finish_reason": script.finish_reason}],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": completed,
            "total_tokens": prompt + completed,
        },
    }


def embeddings(fake: Any, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """(status, body) of an embeddings request: the fake's deterministic vectors."""
    inputs = body.get("input")
    texts = [inputs] if isinstance(inputs, str) else list(inputs or [])
    if not texts or not all(isinstance(t, str) for t in texts):
        return 400, {"error": {"message": "input must be a string or strings"}}
    dims = int(body.get("dimensions") or fake.dims)
    data = []
    for i, text in enumerate(texts):
        vector: Any = resize(fake.embed(text), dims)
        if body.get("encoding_format") == "base64":
            vector = base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
        data.append({"object": "embedding", "index": i, "embedding": vector})
    tokens = sum(len(t) // 4 + 1 for t in texts)
    usage = {"prompt_tokens": tokens, "total_tokens": tokens}
    return 200, {"object": "list", "data": data, "model": body.get("model"), "usage": usage}


def moderations(fake: Any, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """(status, body) of a moderations request: flagged when a flag word appears."""
    inputs = body.get("input")
    texts = [inputs] if isinstance(inputs, str) else list(inputs or [])
    results = []
    for text in texts:
        flagged = fake.is_flagged(str(text))
        results.append(
            {
                "flagged": flagged,
                "categories": {"harassment": flagged, "violence": False},
                "category_scores": {"harassment": 0.99 if flagged else 0.01, "violence": 0.0},
                "category_applied_input_types": {"harassment": ["text"], "violence": ["text"]},
            }
        )
    model = body.get("model") or "omni-moderation-latest"
    return 200, {"id": "modr-fake", "model": model, "results": results}
