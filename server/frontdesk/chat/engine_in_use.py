"""Which engine answers a site's visitors right now ("auto" resolved), for the dashboard: staff
reach the assistant's choice through the chat, which runs it."""

from __future__ import annotations

from typing import Any

from flask import Flask

from frontdesk.assistant.select import EngineInUse, engine_in_use

__all__ = ["EngineInUse", "answering_engine"]


def answering_engine(app: Flask, site: Any) -> EngineInUse:
    """The engine the site's next visitor turn would get, and why."""
    return engine_in_use(site, app.config, llm_client=app.extensions.get("frontdesk.llm_client"))
