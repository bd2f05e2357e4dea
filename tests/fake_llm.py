"""A fake OpenAI-compatible provider: a real HTTP server on 127.0.0.1 driven by per-test scripts.

Speaks the wire protocol the `openai` client uses: chat completions (SSE streaming or plain JSON),
embeddings and moderations. Each chat request pops the next scripted `Script` (or asks the
`responder` callback); when nothing is scripted it answers "OK." so a forgotten script never hangs.
Every request body is recorded for assertions.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import struct
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

TOOL_STYLES = ("fragmented", "whole", "no_index", "no_id", "interleaved")


@dataclass
class Script:
    """One scripted provider response: streamed deltas, or an HTTP error, garbage or a stall."""

    deltas: list[dict[str, Any]] = field(default_factory=list)  # OpenAI `delta` objects, in order
    finish_reason: str = "stop"
    usage: tuple[int, int] | None = None  # (prompt, completion); None: estimated
    status: int = 200
    error_message: str = ""
    delay: float = (
        0.0  # seconds to wait before answering (longer than the client timeout = timeout)
    )
    garbage: bool = False  # answer 200 with a body that is not the protocol
    cut_after: int | None = None  # close the connection after this many chunks (no [DONE])
    stall_after: int | None = None  # after this many chunks, wait `delay` seconds mid-stream

    def __add__(self, other: Script) -> Script:
        """Concatenate two scripts' deltas (e.g. some text, then tool calls)."""
        return replace(
            self,
            deltas=self.deltas + other.deltas,
            finish_reason=other.finish_reason,
            usage=other.usage or self.usage,
        )


@dataclass
class RecordedRequest:
    """A request the fake received."""

    path: str
    body: dict[str, Any]
    headers: dict[str, str]  # names lower-cased


def _pieces(text: str, count: int) -> list[str]:
    """Split text into `count` roughly equal non-empty pieces (fewer if the text is short)."""
    count = max(1, min(count, len(text) or 1))
    size = -(-len(text) // count) or 1
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


class FakeLLM:
    """A scripted OpenAI-compatible HTTP server; use as a context manager or via `fake_llm`."""

    def __init__(self, *, flag_words: tuple[str, ...] = ("forbidden",), dims: int = 64):
        self.flag_words = [word.lower() for word in flag_words]
        self.dims = dims
        self.requests: list[RecordedRequest] = []
        self.responder: Callable[[dict[str, Any]], Script | None] | None = None
        self._queue: deque[Script] = deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None

    # ----- lifecycle -------------------------------------------------------------------------
    def start(self) -> FakeLLM:
        """Listen on a free port of 127.0.0.1 in a daemon thread."""
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._server.block_on_close = False  # stalled scripts must not delay teardown
        serve = self._server.serve_forever
        # a short poll interval keeps shutdown (once per test) fast
        threading.Thread(target=serve, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop serving; wakes up any stalled response."""
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> FakeLLM:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """The `base_url` to give the openai client."""
        assert self._server is not None, "FakeLLM not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def client(self, *, timeout: float = 5.0, max_retries: int = 0):
        """A real `openai.OpenAI` client pointed at this server."""
        import openai

        return openai.OpenAI(
            base_url=self.base_url, api_key="sk-fake", timeout=timeout, max_retries=max_retries
        )

    # ----- scripting -------------------------------------------------------------------------
    def script(self, *scripts: Script) -> FakeLLM:
        """Queue responses for the next chat requests, in order."""
        with self._lock:
            self._queue.extend(scripts)
        return self

    @property
    def pending(self) -> int:
        """How many scripted responses have not been used yet."""
        with self._lock:
            return len(self._queue)

    @property
    def chat_requests(self) -> list[dict[str, Any]]:
        """Bodies of the chat completion requests received, in order."""
        return [r.body for r in self.requests if r.path.endswith("/chat/completions")]

    def _next_script(self, body: dict[str, Any]) -> Script:
        if self.responder is not None:
            chosen = self.responder(body)
            if chosen is not None:
                return chosen
        with self._lock:
            return self._queue.popleft() if self._queue else FakeLLM.text("OK.")

    # ----- script builders -------------------------------------------------------------------
    @staticmethod
    def text(text: str, *, chunks: int = 3, usage: tuple[int, int] | None = None) -> Script:
        """A plain text answer streamed in `chunks` pieces."""
        deltas = [{"role": "assistant", "content": ""}]
        deltas += [{"content": piece} for piece in _pieces(text, chunks)]
        return Script(deltas=deltas, usage=usage)

    @staticmethod
    def tool_calls(
        calls: list[tuple[str, dict[str, Any] | str]],
        *,
        style: str = "fragmented",
        finish_reason: str = "tool_calls",
        pieces: int = 4,
        usage: tuple[int, int] | None = None,
    ) -> Script:
        """Tool calls; arguments given as a str are sent verbatim (truncated/invalid JSON)."""
        if style not in TOOL_STYLES:
            raise ValueError(f"unknown style {style!r}; use one of {TOOL_STYLES}")
        per_call = [
            _call_deltas(
                i, name, args if isinstance(args, str) else json.dumps(args), style, pieces
            )
            for i, (name, args) in enumerate(calls)
        ]
        if style == "interleaved":  # heads first, then argument fragments alternating by index
            heads = [d[0] for d in per_call]
            tails = [d[1:] for d in per_call]
            ordered = heads + [d for group in _zip_longest(tails) for d in group]
        else:
            ordered = [d for deltas in per_call for d in deltas]
        deltas = [{"role": "assistant", "content": None, "tool_calls": [d]} for d in ordered]
        return Script(deltas=deltas, finish_reason=finish_reason, usage=usage)

    @staticmethod
    def error(status: int = 500, message: str = "provider exploded") -> Script:
        """An HTTP error response with an OpenAI-style error body."""
        return Script(status=status, error_message=message)

    @staticmethod
    def timeout(seconds: float = 3.0) -> Script:
        """Answer only after `seconds` (longer than the client timeout)."""
        return replace(FakeLLM.text("too late"), delay=seconds)

    @staticmethod
    def garbage() -> Script:
        """A 200 response that is not the OpenAI protocol."""
        return Script(garbage=True)

    # ----- non-chat endpoints ----------------------------------------------------------------
    def embed(self, text: str) -> list[float]:
        """Deterministic unit vector: hashed bag of words, so similar texts get similar vectors."""
        vector = [0.0] * self.dims
        for word in re.findall(r"\w+", text.lower()):
            digest = hashlib.sha256(word.encode()).digest()
            index = int.from_bytes(digest[:4], "big") % self.dims
            vector[index] += 1.0 if digest[4] % 2 else -1.0
        norm = sum(v * v for v in vector) ** 0.5
        if norm == 0:
            vector[0], norm = 1.0, 1.0
        return [v / norm for v in vector]

    def is_flagged(self, text: str) -> bool:
        """Whether a moderation input contains one of the flag words."""
        lowered = text.lower()
        return any(word in lowered for word in self.flag_words)


def _call_deltas(index: int, name: str, raw: str, style: str, pieces: int) -> list[dict[str, Any]]:
    """The tool_call delta objects for one call in the given style."""
    call_id = f"call_fake{index}"
    fragments = [raw] if style == "whole" else [""] + _pieces(raw, pieces)
    deltas = []
    for n, fragment in enumerate(fragments):
        delta: dict[str, Any] = {"index": index, "function": {"arguments": fragment}}
        if n == 0:
            delta.update(id=call_id, type="function")
            delta["function"]["name"] = name
        if style == "no_index":
            delta.pop("index")
        if style == "no_id":
            delta.pop("id", None)
        deltas.append(delta)
    return deltas


def _zip_longest(groups: list[list[dict]]) -> Iterator[list[dict]]:
    for i in range(max((len(g) for g in groups), default=0)):
        yield [g[i] for g in groups if i < len(g)]


class _Handler(BaseHTTPRequestHandler):
    """Routes the three endpoints; the `fake` attribute is set on a per-server subclass."""

    fake: FakeLLM

    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:
        self._json(404, {"error": {"message": f"no route GET {self.path}"}})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            return self._json(400, {"error": {"message": "invalid JSON body"}})
        headers = {key.lower(): value for key, value in self.headers.items()}
        self.fake.requests.append(RecordedRequest(self.path, body, headers))
        if self.path.endswith("/chat/completions"):
            return self._chat(body)
        if self.path.endswith("/embeddings"):
            return self._embeddings(body)
        if self.path.endswith("/moderations"):
            return self._moderations(body)
        self._json(404, {"error": {"message": f"no route {self.path}"}})

    # ----- responses -------------------------------------------------------------------------
    def _json(self, status: int, payload: Any) -> None:
        self._raw(status, "application/json", json.dumps(payload).encode())

    def _wait(self, seconds: float) -> None:
        self.fake._stopping.wait(seconds)

    def _chat(self, body: dict[str, Any]) -> None:
        script = self.fake._next_script(body)
        if script.delay and script.stall_after is None:
            self._wait(script.delay)
        if script.status != 200:
            error = {"message": script.error_message, "type": "server_error", "code": None}
            return self._json(script.status, {"error": error})
        if script.garbage:
            return self._raw(200, "text/html", b"<html>502 Bad Gateway from some proxy</html>")
        usage = script.usage or _estimate_usage(body, script)
        if body.get("stream"):
            return self._stream(body, script, usage)
        self._json(200, _completion(body, script, usage))

    def _raw(self, status: int, content_type: str, data: bytes) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:  # the client gave up (timeout): nothing left to do
            pass

    def _stream(self, body: dict[str, Any], script: Script, usage: tuple[int, int]) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        model = body.get("model", "fake")
        chunks = [_chunk(model, {"index": 0, "delta": d}) for d in script.deltas]
        chunks.append(
            _chunk(model, {"index": 0, "delta": {}, "finish_reason": script.finish_reason})
        )
        if (body.get("stream_options") or {}).get("include_usage"):
            chunks.append(_chunk(model, None, usage=usage))
        for n, chunk in enumerate(chunks):
            if n == script.cut_after:
                return self._hang_up()
            if n == script.stall_after:
                self._wait(script.delay)
            self._send_event(json.dumps(chunk))
        self._send_event("[DONE]")

    def _send_event(self, data: str) -> None:
        try:
            self.wfile.write(f"data: {data}\n\n".encode())
            self.wfile.flush()
        except OSError:  # the client gave up (timeout): nothing left to do
            pass

    def _hang_up(self) -> None:
        self.wfile.flush()
        self.close_connection = True

    def _embeddings(self, body: dict[str, Any]) -> None:
        inputs = body.get("input")
        texts = [inputs] if isinstance(inputs, str) else list(inputs or [])
        if not texts or not all(isinstance(t, str) for t in texts):
            return self._json(400, {"error": {"message": "input must be a string or strings"}})
        dims = int(body.get("dimensions") or self.fake.dims)
        data = []
        for i, text in enumerate(texts):
            vector = _resize(self.fake.embed(text), dims)
            if body.get("encoding_format") == "base64":
                packed = struct.pack(f"<{len(vector)}f", *vector)
                vector = base64.b64encode(packed).decode()
            data.append({"object": "embedding", "index": i, "embedding": vector})
        tokens = sum(len(t) // 4 + 1 for t in texts)
        usage = {"prompt_tokens": tokens, "total_tokens": tokens}
        self._json(
            200, {"object": "list", "data": data, "model": body.get("model"), "usage": usage}
        )

    def _moderations(self, body: dict[str, Any]) -> None:
        inputs = body.get("input")
        texts = [inputs] if isinstance(inputs, str) else list(inputs or [])
        results = []
        for text in texts:
            flagged = self.fake.is_flagged(str(text))
            results.append(
                {
                    "flagged": flagged,
                    "categories": {"harassment": flagged, "violence": False},
                    "category_scores": {"harassment": 0.99 if flagged else 0.01, "violence": 0.0},
                    "category_applied_input_types": {"harassment": ["text"], "violence": ["text"]},
                }
            )
        model = body.get("model") or "omni-moderation-latest"
        self._json(200, {"id": "modr-fake", "model": model, "results": results})


def _resize(vector: list[float], dims: int) -> list[float]:
    return (vector * (dims // len(vector) + 1))[:dims]


def _chunk(model: str, choice: dict[str, Any] | None, usage: tuple[int, int] | None = None):
    chunk: dict[str, Any] = {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": [] if choice is None else [choice],
    }
    if usage is not None:
        prompt, completion = usage
        chunk["usage"] = {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        }
    return chunk


def _estimate_usage(body: dict[str, Any], script: Script) -> tuple[int, int]:
    prompt = len(json.dumps(body.get("messages", []))) // 4 + 1
    return prompt, max(1, len(script.deltas))


def _completion(body: dict[str, Any], script: Script, usage: tuple[int, int]) -> dict[str, Any]:
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
    prompt, completion = usage
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", "fake"),
        "choices": [{"index": 0, "message": message, "finish_reason": script.finish_reason}],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        },
    }


@pytest.fixture
def fake_llm() -> Iterator[FakeLLM]:
    """A running FakeLLM for one test."""
    with FakeLLM() as fake:
        yield fake
