"""Streamed Chat Completions on kept-alive connections, without the openai client.

One streamed completion through the openai client (httpx2, httpcore2, h11 and its typed request
and response layers) costs about 1.1 ms of CPU; over http.client on a pooled connection about
0.25 ms, and over http_wire (the request in one write, the response parsed from whole blocks)
less again; that cost was most of the latency budget before a visitor sees the first words.
provider.open_chat_stream sends plain clients here; everything else (and every other endpoint)
keeps using the openai client.
"""

from __future__ import annotations

import functools
import http.client
import json
import ssl
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from frontdesk.assistant.llm import http_wire
from frontdesk.assistant.llm.http_pool import acquire, connect, release
from frontdesk.outbound.guard import Target

DRAIN_TIMEOUT = 0.1  # seconds a server may take to end the body after [DONE]
DRAIN_MAX_BYTES = 65536
ERROR_BODY_MAX = 65536
MESSAGE_MAX = 1000
READ_SIZE = 65536
# What a reused connection raises when the server closed it while it sat idle in the pool.
_IDLE_CLOSED = (ConnectionError, ssl.SSLEOFError)


class ProviderHTTPError(Exception):
    """The provider answered with an HTTP error; str() is the provider's message."""

    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code


class StreamErrorEvent(Exception):
    """The provider reported an error inside the stream (an event carrying `error`)."""


@dataclass(frozen=True)
class Endpoint:
    """Where to post a chat completion and the headers that go with it."""

    scheme: str  # "http" or "https"
    host: str
    port: int
    path: str  # with the query, if any
    headers: Mapping[str, str]
    target: Target | None = None  # a vetted site-chosen address: connect to its address only

    @property
    def pool_key(self) -> tuple[str, str, int, str]:
        """Connections are shared only between requests to the same host, port and address."""
        return (self.scheme, self.host, self.port, self.target.address if self.target else "")

    @functools.cached_property
    def head(self) -> bytes:
        """The request's head up to its Content-Length (built once; ValueError: bad header)."""
        default_port = 443 if self.scheme == "https" else 80
        return http_wire.request_head(
            "POST", self.host, self.port, default_port, self.path, self.headers
        )


class JsonView:
    """Read-only attribute access to decoded JSON; a missing field reads as None."""

    __slots__ = ("_data",)

    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # copy/pickle probes must not see None
            raise AttributeError(name)
        return _view(self._data.get(name))

    def __repr__(self) -> str:
        return f"JsonView({self._data!r})"


def decoded(view: JsonView) -> dict[str, Any]:
    """The decoded object a view reads (treat as read-only): no view objects per field."""
    return view._data


def _view(value: Any) -> Any:
    if isinstance(value, dict):
        return JsonView(value)
    if isinstance(value, list):
        return [_view(item) for item in value]
    return value


def stream_chat(
    endpoint: Endpoint,
    body: Mapping[str, Any],
    timeout: float,
    *,
    waiting: Callable[[], None] | None = None,
    grace: float = 0.0,
    deadline: float | None = None,
) -> Iterator[JsonView]:
    """Post a streamed chat completion and yield its chunks; close() releases the connection.

    Nothing is sent before the first next(). `timeout` bounds the connect and every read.
    `waiting` runs once if the provider has not begun its answer `grace` seconds after the
    request was written (at once with grace 0), while it works on the request. No read
    waits past `deadline` (a time.monotonic() value): a provider dripping its answer slowly
    fails with a timeout there.
    """
    conn, response = _send(endpoint, http_wire.encode_body(body).encode(), timeout, waiting, grace)
    reusable = False
    try:
        if not 200 <= response.status < 300:
            raise _status_error(response)
        for payload in _sse_data(response, _read_timeout(conn, timeout, deadline)):
            if payload.startswith(b"[DONE]"):
                reusable = _drain(conn, response)
                break
            chunk = json.loads(payload)
            if not isinstance(chunk, dict):
                raise ValueError(f"not a chat completion chunk: {payload[:200]!r}")
            if chunk.get("error"):
                raise StreamErrorEvent(_message(chunk["error"]) or "error during streaming")
            yield JsonView(chunk)
    finally:  # also on close() mid-stream: a body not read to its end cannot be reused
        if reusable:
            release(endpoint.pool_key, conn)
        else:
            conn.close()


def _send(
    endpoint: Endpoint,
    body: bytes,
    timeout: float,
    waiting: Callable[[], None] | None,
    grace: float,
):
    """(connection, response) once the status line and headers have arrived.

    http.client's connection opens the socket (TLS, a pinned address); http_wire writes the
    request and reads the response on it."""
    head = endpoint.head
    pooled = acquire(endpoint.pool_key)
    while True:
        conn = pooled or connect(endpoint, timeout)
        try:
            conn.timeout = timeout
            if conn.sock is None:
                conn.connect()
            conn.sock.settimeout(timeout)  # a pooled connection: this request's timeout
            http_wire.send_request(conn.sock, head, body)
            first = None
            if waiting is not None:
                first = http_wire.receive_within(conn.sock, grace, timeout)
                if first is None:  # the provider has not begun its answer
                    callback, waiting = waiting, None  # once, even if the connection is replaced
                    _call_or_close(callback, conn)
            return conn, http_wire.Response(conn.sock, first)
        except _CallbackFailed as failed:  # the caller's own error: no retry, not the provider's
            cause = failed.__cause__
            raise cause from cause.__cause__
        except BaseException as exc:
            conn.close()
            # The server closed an idle connection before we wrote (nothing of this request was
            # processed): one fresh connection. Anything else is the engine's to retry, or not.
            if pooled is None or not isinstance(exc, _IDLE_CLOSED):
                raise
            pooled = None


class _CallbackFailed(Exception):
    """The `waiting` callback raised (its exception is the __cause__)."""


def _call_or_close(callback: Callable[[], None], conn: http.client.HTTPConnection) -> None:
    try:
        callback()
    except Exception as exc:
        conn.close()  # the request is out but its answer will never be read
        raise _CallbackFailed() from exc


def _drain(conn: http.client.HTTPConnection, response: http_wire.Response) -> bool:
    """Read the rest of the body after [DONE], briefly; whether the connection can be reused.

    A chunked body ends a few bytes after [DONE]; a connection is reusable only once they are
    read. A server that lingers is not waited for: its connection is closed instead.
    """
    if conn.sock is None or response.will_close:
        return False
    received = 0
    try:
        if not response.done:
            conn.sock.settimeout(DRAIN_TIMEOUT)
        while received <= DRAIN_MAX_BYTES:
            part = response.read1(READ_SIZE)
            if not part:
                return response.reusable
            received += len(part)
    except (OSError, http.client.HTTPException):
        pass
    return False


def _read_timeout(conn, timeout: float, deadline: float | None) -> Callable[[], None]:
    """Before each read: the socket's timeout, cut short by the deadline when one is set."""

    def before_read() -> None:
        if deadline is not None and conn.sock is not None:
            conn.sock.settimeout(max(0.001, min(timeout, deadline - time.monotonic())))

    return before_read


def _sse_data(
    response: http_wire.Response, before_read: Callable[[], None] = lambda: None
) -> Iterator[bytes]:
    """The data of each server-sent event, parsed as the SSE spec says.

    Lines end with \\n, \\r\\n or \\r; `data:` fields (one leading space dropped) are joined
    with \\n; a blank line ends the event; comments, event, id and retry are ignored. A body
    that ends early just ends the events (an unfinished event is dropped).
    """
    pending = b""
    data: list[bytes] = []
    while True:
        before_read()
        try:
            block = response.read1(READ_SIZE)
        except http.client.IncompleteRead:
            return
        if not block:
            return
        lines = (pending + block).splitlines(keepends=True)
        # an unfinished last line, or one ending in \r (maybe half of \r\n), waits for more
        pending = b"" if lines[-1].endswith(b"\n") else lines.pop()
        for line in lines:
            line = line.rstrip(b"\r\n")
            if not line:
                payload = b"\n".join(data)
                data = []
                if payload:
                    yield payload
            elif line.startswith(b"data"):
                name, _, value = line.partition(b":")
                if name == b"data":
                    data.append(value[1:] if value.startswith(b" ") else value)


def _status_error(response: http_wire.Response) -> ProviderHTTPError:
    try:
        raw = response.read(ERROR_BODY_MAX)
    except (OSError, http.client.HTTPException):
        raw = b""
    text = raw.decode("utf-8", "replace").strip()
    try:
        payload = json.loads(text)
    except ValueError:
        payload = None
    error = payload.get("error") if isinstance(payload, dict) else None
    message = _message(error) or text[:MESSAGE_MAX] or response.reason or "no message"
    return ProviderHTTPError(response.status, message)


def _message(error: Any) -> str | None:
    """The message of an OpenAI-style error: {"message": ...} or a plain string."""
    if isinstance(error, dict):
        error = error.get("message")
    return error[:MESSAGE_MAX] if isinstance(error, str) and error else None
