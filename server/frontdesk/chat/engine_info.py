"""What the dashboard says about the engine answering a site (assistant.select decides it)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from frontdesk.assistant import select

LABELS = {"llm": "the LLM engine", "offline": "the built-in offline engine"}


def engine_in_use(site: Any, app_config: Mapping[str, Any]) -> dict[str, str]:
    """The engine in use with a sentence for people: "Answering now: ... (why)"."""
    info = select.describe(site, app_config)
    label = LABELS[info["engine"]] + (f" ({info['model']})" if info["model"] else "")
    return info | {"label": label}
