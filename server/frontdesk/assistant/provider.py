"""The LLM provider: effective settings for a site and the openai client built from them."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
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
