"""Which engine answers a site's visitors: the LLM engine when a provider is configured."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from frontdesk.assistant.base import Engine
from frontdesk.assistant.llm.provider import (
    BlockedURL,
    llm_settings,
    provider_configured,
    shared_client,
)

log = logging.getLogger("frontdesk.llm")
ENGINES = ("llm", "offline")


def engine_for(site: Any, app_config: Mapping[str, Any], llm_client: Any = None) -> Engine:
    """The engine for one turn: server ENGINE override, else the site's choice, else auto.

    Auto means the LLM engine when a provider is configured, the offline engine otherwise.
    """
    choice = _engine_choice(app_config.get("ENGINE"), "ENGINE")
    if choice is None:
        site_settings = getattr(site, "llm_settings", None) or {}
        try:
            choice = _engine_choice(site_settings.get("engine"), "the site's engine setting")
        except ValueError as exc:  # a bad stored value must not stop the chat: use auto
            log.warning("%s; choosing automatically", exc)
    if choice == "offline":
        return _offline()
    settings = llm_settings(site, app_config)
    if llm_client is None and provider_configured(settings):
        try:
            llm_client = shared_client(settings)
        except BlockedURL as exc:  # a refused site-chosen provider address: answer offline
            log.warning("site %s: provider address refused: %s", getattr(site, "id", "?"), exc)
            return _offline()
    if llm_client is None:
        if choice == "llm":
            log.warning("ENGINE=llm but no LLM provider is configured; using the offline engine")
        return _offline()
    from frontdesk.assistant.llm.engine import LLMEngine

    return LLMEngine(llm_client, settings, fallback=_offline())


@dataclass(frozen=True)
class EngineInUse:
    """Which engine answers a site's visitors, and why, in words people can act on."""

    kind: str  # "llm" or "offline"
    setting: str  # what was asked for: "auto", "llm" or "offline" (server's ENGINE first)
    reason: str  # why this engine, e.g. "no LLM provider is configured"
    model: str = ""
    provider: str = ""  # host of the provider ("api.openai.com", "127.0.0.1:11434")

    @property
    def label(self) -> str:
        """'the offline engine (built in, no LLM)' or 'the model gpt-4o-mini at api.openai.com'."""
        if self.kind == "offline":
            return "the offline engine (built in, no LLM)"
        return f"the model {self.model} at {self.provider}"


def engine_in_use(site: Any, app_config: Mapping[str, Any], llm_client: Any = None) -> EngineInUse:
    """What `engine_for` would choose, described, without building a client or looking up a
    provider's address (a site-chosen address that the guard refuses at a turn still falls
    back to the offline engine then)."""
    server = _engine_choice(app_config.get("ENGINE"), "ENGINE")
    site_raw = (getattr(site, "llm_settings", None) or {}).get("engine")
    try:
        site_choice = _engine_choice(site_raw, "the site's engine setting")
    except ValueError:
        site_choice = None
    choice = server or site_choice
    setting = choice or "auto"
    if choice == "offline":
        why = "the server sets ENGINE=offline" if server else "the site's settings choose it"
        return EngineInUse("offline", setting, why)
    settings = llm_settings(site, app_config)
    if llm_client is None and not provider_configured(settings):
        why = "no LLM provider is configured: set OPENAI_API_KEY or a base URL"
        if choice == "llm":
            why = "an LLM was chosen but " + why
        return EngineInUse("offline", setting, why)
    model = str(settings.get("model") or "")
    base = settings.get("base_url") or "https://api.openai.com/v1"
    provider = urlsplit(str(base)).netloc or str(base)
    why = "a provider is configured" if choice is None else "chosen in the settings"
    if llm_client is not None and not provider_configured(settings):
        why, provider = "a client was given to the app", "the app's own client"
    return EngineInUse("llm", setting, why, model=model, provider=provider)


def preload() -> None:
    """Import both engines and the provider client library ahead of the first turn.

    They are imported late so that a bare create_app stays light, but then the first visitor
    after a start waited for them: about a second for openai alone. The chat calls this on a
    background thread when it is set up.
    """
    import openai  # noqa: F401

    import frontdesk.assistant.llm.engine  # noqa: F401
    import frontdesk.assistant.offline.engine  # noqa: F401


def _engine_choice(raw: Any, where: str) -> str | None:
    if raw is None or str(raw).strip().lower() in ("", "auto"):
        return None
    choice = str(raw).strip().lower()
    if choice not in ENGINES:
        raise ValueError(f"{where} must be 'llm', 'offline' or empty (auto), got {raw!r}")
    return choice


def _offline() -> Engine:
    # Imported late: the offline engine pulls in the booking and knowledge layers.
    from frontdesk.assistant.offline.engine import OfflineEngine

    return OfflineEngine()
