"""The LLM provider: effective settings for a site and the openai client built from them."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

# Keys a site may set in Site.llm_settings; anything else is ignored.
SITE_KEYS = (
    "model",
    "temperature",
    "top_p",
    "top_k",
    "max_tokens",
    "system_prompt_additions",
    "base_url",
    "api_key",
    "timeout",
    "max_tool_rounds",
)
# A local server (Ollama, llama.cpp, vLLM) needs no key, but the openai client insists on one.
PLACEHOLDER_KEY = "not-needed"
_CLIENT_CACHE_SIZE = 32
_clients: OrderedDict[tuple, Any] = OrderedDict()
_clients_lock = threading.Lock()


def llm_settings(site: Any, app_config: Mapping[str, Any]) -> dict[str, Any]:
    """The app's provider settings, overridden by the site's own `llm_settings`."""
    settings: dict[str, Any] = {
        "model": app_config.get("MODEL") or "gpt-4o-mini",
        "base_url": app_config.get("OPENAI_BASE_URL"),
        "api_key": app_config.get("OPENAI_API_KEY"),
        "timeout": app_config.get("LLM_TIMEOUT", 30.0),
        "max_tool_rounds": app_config.get("LLM_MAX_TOOL_ROUNDS", 6),
    }
    site_settings = getattr(site, "llm_settings", None) or {}
    for key in SITE_KEYS:
        value = site_settings.get(key)
        if value not in (None, ""):
            settings[key] = value
    return settings


def provider_configured(settings: Mapping[str, Any]) -> bool:
    """Whether settings name a provider (a key for OpenAI, or a base URL of a compatible one)."""
    return bool(settings.get("api_key") or settings.get("base_url"))


def make_client(settings: Mapping[str, Any]):
    """An `openai.OpenAI` for these settings; the engine does its own single retry."""
    import openai

    base_url = settings.get("base_url") or None
    api_key = settings.get("api_key") or (PLACEHOLDER_KEY if base_url else None)
    if not api_key:
        raise ValueError("no LLM provider configured: set OPENAI_API_KEY or OPENAI_BASE_URL")
    return openai.OpenAI(
        base_url=base_url,
        api_key=api_key,
        timeout=float(settings.get("timeout") or 30.0),
        max_retries=0,
    )


def shared_client(settings: Mapping[str, Any]):
    """A cached client per (base_url, api_key, timeout), so connections are pooled across turns."""
    key = (settings.get("base_url"), settings.get("api_key"), settings.get("timeout"))
    with _clients_lock:
        client = _clients.get(key)
        if client is not None:
            _clients.move_to_end(key)
            return client
    client = make_client(settings)
    with _clients_lock:
        _clients[key] = client
        while len(_clients) > _CLIENT_CACHE_SIZE:
            _clients.popitem(last=False)
    return client


def open_chat_stream(client: Any, request: dict[str, Any]) -> Iterator[Any]:
    """Start a streamed chat completion; yields chunks with the fields as attributes.

    `chat.completions.create` runs the body through the openai client's typed transform, which
    walks every message and tool schema against its TypedDicts (about half the CPU of a turn),
    and builds a pydantic model per streamed chunk. Our body is plain JSON data already, so it
    is posted as is through the same client (auth, base URL, headers, HTTP errors and SSE
    parsing unchanged) and chunks stay the decoded JSON behind a read-only attribute view.
    Other clients (no `openai.OpenAI`) go through `create`. The stream class also reads the
    end of the body after `[DONE]`, so the connection goes back to the pool (see _drain).
    """
    wire = _wire()
    if wire is None or not isinstance(client, wire.client_class):
        return client.chat.completions.create(**request)
    body = dict(request)
    options: dict[str, Any] = {"security": {"bearer_auth": True}}  # the auth `create` uses
    if body.get("timeout") is not None:
        options["timeout"] = body.pop("timeout")
    body.pop("timeout", None)
    if body.get("extra_body") is not None:
        options["extra_body"] = body.pop("extra_body")
    body.pop("extra_body", None)
    stream = client.post(
        "/chat/completions",
        body=body,
        cast_to=wire.completion,
        options=wire.make_options(**options),
        stream=True,
        stream_cls=wire.stream_class,
    )
    return _ViewStream(stream)


class _ViewStream:
    """An openai raw Stream whose chunks come out as attribute views; close() closes it."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def __iter__(self) -> Iterator[Any]:
        for data in self._stream:
            yield JsonView(data) if isinstance(data, dict) else data

    def close(self) -> None:
        """Release the HTTP connection."""
        self._stream.close()


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


def _view(value: Any) -> Any:
    if isinstance(value, dict):
        return JsonView(value)
    if isinstance(value, list):
        return [_view(item) for item in value]
    return value


@dataclass(frozen=True)
class _Wire:
    client_class: type
    completion: type
    stream_class: type
    make_options: Callable[..., Any]


_wire_types: list[_Wire | None] = []


def _wire() -> _Wire | None:
    """The openai internals the direct post needs; None when this openai release lacks them."""
    if not _wire_types:
        try:
            import openai
            from openai._base_client import make_request_options
            from openai.types.chat import ChatCompletion

            stream_class = _draining_stream_class(openai)
            wire = _Wire(openai.OpenAI, ChatCompletion, stream_class, make_request_options)
        except (ImportError, AttributeError, TypeError):
            wire = None
        _wire_types.append(wire)
    return _wire_types[0]


DRAIN_TIMEOUT = 0.1  # seconds a server may take to end the body after [DONE]
DRAIN_MAX_BYTES = 65536


def _draining_stream_class(openai: Any) -> type:
    """An openai Stream of decoded JSON that reads the body to its end after `[DONE]`.

    The sync Stream of this openai release closes the response as soon as it sees `[DONE]`,
    before the chunked body's last bytes arrive, and httpcore then drops the connection: every
    turn paid a new TCP (and with OpenAI a TLS) handshake. The async Stream drains the rest,
    briefly; this does the same for the sync one.
    """
    if not hasattr(openai.Stream, "_iter_events"):
        raise AttributeError("openai.Stream._iter_events")

    class DrainingStream(openai.Stream[object]):
        def __stream__(self) -> Iterator[Any]:
            try:
                for event in self._iter_events():
                    if event.data.startswith("[DONE]"):
                        _drain(self.response)
                        break
                    data = event.json()
                    if isinstance(data, dict) and data.get("error"):
                        raise openai.APIError(
                            _stream_error_message(data["error"]), self.response.request,
                            body=data["error"],
                        )  # fmt: skip
                    yield data
            finally:
                self.response.close()

    return DrainingStream


def _stream_error_message(error: Any) -> str:
    message = error.get("message") if isinstance(error, dict) else None
    return message if isinstance(message, str) and message else "An error occurred during streaming"


def _drain(response: Any) -> None:
    """Read what is left of an HTTP/1.1 body (the chunked terminator), briefly and boundedly.

    Iterating `response.stream` again continues the same body with the request's timeouts as
    they are now, so a shorter read timeout bounds a server that lingers after `[DONE]`; then
    the connection is simply closed instead of reused.
    """
    if response.is_closed or response.http_version != "HTTP/1.1":
        return
    extensions = response.request.extensions
    timeouts = extensions.get("timeout")
    if isinstance(timeouts, dict):
        extensions["timeout"] = {**timeouts, "read": DRAIN_TIMEOUT}
    received = 0
    try:
        for part in response.stream:
            received += len(part)
            if received > DRAIN_MAX_BYTES:
                break
    except Exception:  # noqa: BLE001 - cleanup must not turn a finished answer into an error
        pass
