"""A fake OpenAI-compatible provider: a real HTTP server on 127.0.0.1 driven by per-test scripts.

Speaks the wire protocol the `openai` client uses: chat completions (SSE streaming or plain JSON),
embeddings, moderations, and the Files and fine-tuning API (tests/fake_llm_finetune.py). Each chat request pops the next scripted `Script` (or asks the
`responder` callback); when nothing is scripted it answers "OK." so a forgotten script never hangs.
Every request body is recorded for assertions.
"""

from __future__ import annotations

import hashlib
import json
import re
import socket
import sys
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.support import fake_llm_wire as wire
from tests.support.fake_llm_finetune import FineTuning

# Re-exported: tests import Script and TOOL_STYLES from here.
from tests.support.fake_llm_scripts import TOOL_STYLES, Script, ScriptBuilders

__all__ = ["TOOL_STYLES", "FakeLLM", "RecordedRequest", "Script", "ScriptBuilders"]


@dataclass
class RecordedRequest:
    """A request the fake received."""

    path: str
    body: dict[str, Any]
    headers: dict[str, str]  # names lower-cased


class FakeLLM(ScriptBuilders):
    """A scripted OpenAI-compatible HTTP server; use as a context manager or via `fake_llm`."""

    def __init__(
        self,
        *,
        flag_words: tuple[str, ...] = ("forbidden",),
        dims: int = 64,
        idle_timeout: float | None = None,
    ):
        self.flag_words = [word.lower() for word in flag_words]
        self.idle_timeout = idle_timeout  # close keep-alive connections idle this long
        self.dims = dims
        self.requests: list[RecordedRequest] = []
        self.finetune = FineTuning()  # the Files and fine-tuning API (tests tune its timing)
        self.connections = 0  # TCP connections accepted (keep-alive reuse shows here)
        self.lingered = threading.Event()  # a `linger` script finished holding its body open
        # Moderation requests wait while this is clear (a test holds a turn in moderation).
        self.moderation_open = threading.Event()
        self.moderation_open.set()
        self.responder: Callable[[dict[str, Any]], Script | None] | None = None
        self._queue: deque[Script] = deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None

    # ----- lifecycle -------------------------------------------------------------------------
    def start(self) -> FakeLLM:
        """Listen on a free port of 127.0.0.1 in a daemon thread."""
        # StreamRequestHandler.timeout: waiting longer for the next request closes the connection
        handler = type("Handler", (_Handler,), {"fake": self, "timeout": self.idle_timeout})
        self._server = _Server(("127.0.0.1", 0), handler)
        self._server.fake = self
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

    def client(self, *, timeout: float = 5.0, max_retries: int = 0, **options: Any):
        """A real `openai.OpenAI` client pointed at this server (options go to its constructor)."""
        import openai

        return openai.OpenAI(
            base_url=self.base_url,
            api_key="sk-fake",
            timeout=timeout,
            max_retries=max_retries,
            **options,
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
        return [r.body for r in self.requests if "/chat/completions" in r.path]

    def _next_script(self, body: dict[str, Any]) -> Script:
        if self.responder is not None:
            chosen = self.responder(body)
            if chosen is not None:
                return chosen
        with self._lock:
            return self._queue.popleft() if self._queue else FakeLLM.text("OK.")

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


class _Server(ThreadingHTTPServer):
    """The fake's HTTP server: a client dropping an idle keep-alive connection is normal."""

    fake: FakeLLM

    def get_request(self) -> tuple[Any, Any]:
        # Servers that stream (uvicorn, nginx, OpenAI's edge) disable Nagle's algorithm: without
        # it each small SSE write waits for the client's delayed ACK of the previous one.
        conn, address = super().get_request()
        self.fake.connections += 1
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return conn, address

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    """Routes the three endpoints; the `fake` attribute is set on a per-server subclass.

    HTTP/1.1 with keep-alive, as real providers speak it (the client reuses connections);
    scripts that cut or stall a stream close the connection instead, like a dying server.
    """

    fake: FakeLLM
    protocol_version = "HTTP/1.1"
    _chunked = False

    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:
        headers = {key.lower(): value for key, value in self.headers.items()}
        self.fake.requests.append(RecordedRequest(self.path, {}, headers))
        handled = self.fake.finetune.handle("GET", self.path.partition("?")[0], b"", headers)
        self._json(*(handled or (404, {"error": {"message": f"no route GET {self.path}"}})))

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        headers = {key.lower(): value for key, value in self.headers.items()}
        route = self.path.partition("?")[0]  # a client's default query does not change the route
        handled = self.fake.finetune.handle("POST", route, raw, headers)  # files, fine-tuning
        if handled is not None:
            self.fake.requests.append(RecordedRequest(self.path, {}, headers))
            return self._json(*handled)
        if not route.endswith(("/chat/completions", "/embeddings", "/moderations")):
            self.fake.requests.append(RecordedRequest(self.path, {}, headers))
            return self._json(404, {"error": {"message": f"no route {self.path}"}})
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            return self._json(400, {"error": {"message": "invalid JSON body"}})
        self.fake.requests.append(RecordedRequest(self.path, body, headers))
        if route.endswith("/chat/completions"):
            return self._chat(body)
        if route.endswith("/embeddings"):
            return self._embeddings(body)
        return self._moderations(body)

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
        usage = script.usage or wire.estimate_usage(body, script)
        if body.get("stream"):
            return self._stream(body, script, usage)
        self._json(200, wire.completion(body, script, usage))

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
        broken = script.cut_after is not None or script.stall_after is not None
        self._chunked = not broken
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        if self._chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if script.raw_sse:
            for piece in script.raw_sse:
                self._write(b"%x\r\n%s\r\n" % (len(piece), piece))
            return self._write(b"0\r\n\r\n")
        model = body.get("model", "fake")
        chunks = [wire.chunk(model, {"index": 0, "delta": d}) for d in script.deltas]
        chunks.append(
            wire.chunk(model, {"index": 0, "delta": {}, "finish_reason": script.finish_reason})
        )
        if (body.get("stream_options") or {}).get("include_usage"):
            chunks.append(wire.chunk(model, None, usage=usage))
        if script.error_event:  # an error reported inside the stream, in place of its ending
            error = {"error": {"message": script.error_event, "type": "server_error"}}
            chunks = [*chunks[: len(script.deltas)], error]
        for n, chunk in enumerate(chunks):
            if n == script.cut_after:
                return self._hang_up()
            if n == script.stall_after:
                self._wait(script.delay)
            if n and script.drip:
                self._wait(script.drip)
            self._send_event(json.dumps(chunk))
        self._send_event("[DONE]")
        if script.linger:
            self._wait(script.linger)
            self.fake.lingered.set()
        if self._chunked:
            self._write(b"0\r\n\r\n")

    def _send_event(self, data: str) -> None:
        event = f"data: {data}\n\n".encode()
        if self._chunked:
            event = b"%x\r\n%s\r\n" % (len(event), event)
        self._write(event)

    def _write(self, data: bytes) -> None:
        try:
            self.wfile.write(data)
            self.wfile.flush()
        except OSError:  # the client gave up (timeout): nothing left to do
            self.close_connection = True

    def _hang_up(self) -> None:
        self.wfile.flush()
        self.close_connection = True

    def _embeddings(self, body: dict[str, Any]) -> None:
        self._json(*wire.embeddings(self.fake, body))

    def _moderations(self, body: dict[str, Any]) -> None:
        self.fake.moderation_open.wait(10)
        self._json(*wire.moderations(self.fake, body))
