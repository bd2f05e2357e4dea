"""What the dashboard says about the engine answering a site (assistant.select decides it)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from frontdesk.assistant import select


def engine_in_use(site: Any, app_config: Mapping[str, Any]) -> dict[str, str]:
    """The engine in use for the settings page: {"engine", "model", "why", "label"}."""
    info = select.engine_in_use(site, app_config)
    return {"engine": info.kind, "model": info.model, "why": info.reason, "label": info.label}
