"""Which engine an evaluation run plays its cases with: the site's own, offline, or a model."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from frontdesk.assistant.base import Engine
from frontdesk.assistant.llm.provider import llm_settings, provider_configured, shared_client
from frontdesk.assistant.select import engine_for


class EngineUnavailable(ValueError):
    """The run asks for a model but no LLM provider is configured."""


@dataclass(frozen=True)
class RunEngine:
    """An engine and what to call it in the run's record."""

    engine: Engine
    name: str  # llm / offline
    model: str  # "" for the offline engine


def engine_for_run(
    site: Any, app_config: Mapping[str, Any], *, choice: str = "current", model: str = "",
    llm_client: Any = None,
) -> RunEngine:  # fmt: skip
    """`choice` "current" (what visitors get now), "offline", or "llm" with `model` (or the
    site's model). `llm_client` overrides the configured provider, as in the chat."""
    from frontdesk.assistant.llm.engine import LLMEngine
    from frontdesk.assistant.offline.engine import OfflineEngine

    settings = llm_settings(site, app_config)
    if choice == "offline":
        return RunEngine(OfflineEngine(), "offline", "")
    if choice == "current" and not model:
        engine = engine_for(site, app_config, llm_client=llm_client)
        return RunEngine(engine, engine.name, settings["model"] if engine.name == "llm" else "")
    if model:
        settings["model"] = model
    client = llm_client
    if client is None and provider_configured(settings):
        try:
            client = shared_client(settings)
        except ValueError as exc:  # BlockedURL: the site's provider address is refused
            raise EngineUnavailable(f"The site's provider address is refused: {exc}") from exc
    if client is None:
        raise EngineUnavailable(
            "No LLM provider is configured: set OPENAI_API_KEY or OPENAI_BASE_URL (or the "
            "site's provider settings) to evaluate a model. The offline engine needs none."
        )
    return RunEngine(
        LLMEngine(client, settings, fallback=OfflineEngine()), "llm", settings["model"]
    )
