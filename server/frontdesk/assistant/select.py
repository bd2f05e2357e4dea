"""Which engine answers a site's visitors: the LLM engine when a provider is configured."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

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


def describe(site: Any, app_config: Mapping[str, Any]) -> dict[str, str]:
    """Which engine answers the site's visitors now, and why, as engine_for decides (without
    building a client): {"engine": "llm" | "offline", "model": ..., "why": ...}."""
    server = app_config.get("ENGINE")
    site_choice = (getattr(site, "llm_settings", None) or {}).get("engine") or "auto"
    choice = server if server in ENGINES else site_choice if site_choice in ENGINES else None
    where = "the server's ENGINE setting" if server in ENGINES else "this site's setting"
    if choice == "offline":
        return {"engine": "offline", "model": "", "why": f"chosen by {where}"}
    settings = llm_settings(site, app_config)
    if not provider_configured(settings):
        why = "no LLM provider is configured (no API key or provider address)"
        if choice == "llm":
            why = f"{where} asks for the LLM, but {why}"
        return {"engine": "offline", "model": "", "why": why}
    how = f"chosen by {where}" if choice == "llm" else "automatic: a provider is configured"
    return {"engine": "llm", "model": str(settings.get("model") or ""), "why": how}


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
