"""The LLM provider: effective settings for a site, the openai client built from them, and
streamed chat completions (over http_stream for plain clients, the openai client otherwise)."""

from __future__ import annotations

import dataclasses
import threading
import time
import urllib.parse
import urllib.request
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from frontdesk.assistant.llm import http_stream
from frontdesk.outbound import provider_urls
from frontdesk.outbound.guard import BlockedURL  # raised by make_client for a refused address

__all__ = ["BlockedURL", "llm_settings", "make_client", "open_chat_stream", "shared_client"]

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
# A site-chosen address is looked up and vetted again this often (its DNS may change).
REVET_SECONDS = 300.0
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
    # A base URL the site chose never gets the server's key, and passes the outbound guard.
    return provider_urls.guard_settings(settings, site_settings, app_config)


def provider_configured(settings: Mapping[str, Any]) -> bool:
    """Whether settings name a provider (a key for OpenAI, or a base URL of a compatible one)."""
    return bool(settings.get("api_key") or settings.get("base_url"))


def make_client(settings: Mapping[str, Any]):
    """An `openai.OpenAI` for these settings; the engine does its own single retry.

    A site-chosen base URL (settings carry `site_url_rules`) is vetted first (BlockedURL when
    refused) and the client connects only to the address the guard checked, on both paths.
    """
    import openai

    base_url = settings.get("base_url") or None
    api_key = settings.get("api_key") or (PLACEHOLDER_KEY if base_url else None)
    if not api_key:
        raise ValueError("no LLM provider configured: set OPENAI_API_KEY or OPENAI_BASE_URL")
    timeout = float(settings.get("timeout") or 30.0)
    rules = settings.get("site_url_rules")
    if rules is None:
        return openai.OpenAI(base_url=base_url, api_key=api_key, timeout=timeout, max_retries=0)
    from frontdesk.outbound.httpx_pinned import pinned_httpx_client

    target = provider_urls.vet_site_url(base_url, rules)
    client = openai.OpenAI(
        base_url=base_url,
        api_key=api_key,
        timeout=timeout,
        max_retries=0,
        http_client=pinned_httpx_client(target, timeout),
    )
    endpoint = _endpoint_for(client, trust_transport=True)
    if endpoint is not None:  # the fast path dials the same checked address
        endpoint = dataclasses.replace(endpoint, target=target)
    with _endpoints_lock:
        _endpoints[client] = endpoint
    return client


def shared_client(settings: Mapping[str, Any]):
    """A cached client per provider settings, so connections are pooled across turns.

    A site-chosen address is vetted again every REVET_SECONDS (a new client, a new lookup).
    """
    rules = settings.get("site_url_rules")
    epoch = int(time.monotonic() // REVET_SECONDS) if rules is not None else 0
    key = (settings.get("base_url"), settings.get("api_key"), settings.get("timeout"), rules, epoch)
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


def open_chat_stream(
    client: Any,
    request: dict[str, Any],
    *,
    waiting: Callable[[], None] | None = None,
    grace: float = 0.0,
    deadline: float | None = None,
) -> Iterator[Any]:
    """Start a streamed chat completion; yields chunks with the fields as attributes; close().

    A plain `openai.OpenAI` goes over http_stream (stdlib http.client, pooled connections):
    about a fifth of the openai client's CPU per request. Anything else, or a request with
    options the fast path does not know, goes through the client's public `create`.
    `waiting` is called once if the provider has not begun to answer `grace` seconds after the
    request went out (through `create`: just before it, which returns only once the answer has
    begun). `deadline` (time.monotonic()) bounds every read of the fast path; through
    `create`, the request's timeout (which the engine shortens to the deadline) does.
    """
    endpoint = fast_endpoint(client)
    if endpoint is None or not _plain_request(request):
        if waiting is not None:
            waiting()
        return client.chat.completions.create(**request)
    body = {key: value for key, value in request.items() if key not in ("timeout", "extra_body")}
    body.update(request.get("extra_body") or {})  # as openai merges it: top level, extra wins
    timeout = float(request["timeout"])
    return http_stream.stream_chat(
        endpoint, body, timeout, waiting=waiting, grace=grace, deadline=deadline
    )


def _plain_request(request: Mapping[str, Any]) -> bool:
    """Whether the fast path knows every option of this request (else `create` takes it)."""
    return (
        request.get("stream") is True
        and type(request.get("timeout")) in (int, float)
        and isinstance(request.get("extra_body") or {}, Mapping)
        and not request.keys() & {"extra_headers", "extra_query"}
    )


_endpoints: weakref.WeakKeyDictionary[Any, http_stream.Endpoint | None] = (
    weakref.WeakKeyDictionary()
)
_endpoints_lock = threading.Lock()


def fast_endpoint(client: Any) -> http_stream.Endpoint | None:
    """Where the fast path posts this client's chat completions; None: use the client's API.

    Decided once per client object.
    """
    try:
        return _endpoints[client]
    except KeyError:
        pass
    except TypeError:  # not weak-referenceable: not an openai.OpenAI anyway
        return None
    endpoint = _endpoint_for(client)
    with _endpoints_lock:
        _endpoints[client] = endpoint
    return endpoint


# Ways an openai client may authenticate or route other than a static bearer key.
_OTHER_AUTH = ("_provider", "_provider_runtime", "workload_identity", "_workload_identity_auth",
               "_api_key_provider")  # fmt: skip


def _endpoint_for(client: Any, trust_transport: bool = False) -> http_stream.Endpoint | None:
    try:
        return _plain_endpoint(client, trust_transport)
    except (ImportError, AttributeError, TypeError, ValueError):  # an openai we do not know
        return None


def _plain_endpoint(client: Any, trust_transport: bool) -> http_stream.Endpoint | None:
    """The endpoint of a client the fast path can stand in for exactly, else None.

    Exactly `openai.OpenAI` (not Azure or other subclasses) with a plain string key, openai's
    own default HTTP client (a user-supplied one may carry a proxy, transport or TLS setup;
    `trust_transport`: ours, pinned, which the caller pins the endpoint to as well), no other
    authentication, and no proxy from the environment for its base URL.
    """
    import openai
    from openai._base_client import SyncHttpxClientWrapper

    if type(client) is not openai.OpenAI:
        return None
    if not trust_transport and type(client._client) is not SyncHttpxClientWrapper:
        return None
    if any(getattr(client, name, None) is not None for name in _OTHER_AUTH):
        return None
    api_key = client.api_key
    auth = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    if type(api_key) is not str or client.custom_auth is not None or client.auth_headers != auth:
        return None
    url = urllib.parse.urlsplit(str(client.base_url))
    if url.scheme not in ("http", "https") or not url.hostname or url.username or url.password:
        return None
    if url.query or url.fragment or (not trust_transport and _env_proxy(url.scheme, url.hostname)):
        return None
    headers = _headers(auth, client.default_headers, openai.Omit)
    query = client.default_query
    if headers is None or not all(type(value) in (str, int, float) for value in query.values()):
        return None
    path = url.path.rstrip("/") + "/chat/completions"
    if query:
        path += "?" + urllib.parse.urlencode(query)
    port = url.port or (443 if url.scheme == "https" else 80)
    endpoint = http_stream.Endpoint(url.scheme, url.hostname, port, path, headers)
    return endpoint if endpoint.head else None  # its head, built now: ValueError for a bad header


def _headers(auth: dict[str, str], defaults: Mapping[str, Any], omit: type) -> dict | None:
    """Auth, then the client's default headers (names case-insensitive, Omit removes one)."""
    merged = {name.lower(): (name, value) for name, value in auth.items()}
    for name, value in defaults.items():
        if isinstance(value, omit):
            merged.pop(name.lower(), None)
        elif isinstance(value, str):
            value.encode("latin-1")  # http.client's header encoding; ValueError: not for us
            merged[name.lower()] = (name, value)
        else:
            return None
    merged["content-type"] = ("Content-Type", "application/json")
    merged.setdefault("accept", ("Accept", "text/event-stream"))
    return dict(merged.values())


def _env_proxy(scheme: str, host: str) -> bool:
    """Whether a proxy from the environment (or system settings) applies to this host."""
    proxies = urllib.request.getproxies()
    if not (proxies.get(scheme) or proxies.get("all")):
        return False
    return not urllib.request.proxy_bypass(host)
