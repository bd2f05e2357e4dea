"""Frontdesk: an embeddable chat widget whose assistant answers questions and books consultations."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from frontdesk.config import load_config

__all__ = ["create_app"]


def create_app(config: Mapping[str, Any] | None = None, *, llm_client: Any = None) -> Flask:
    """Build the Flask app; `llm_client` (an openai.OpenAI) overrides the configured provider."""
    from frontdesk import extensions

    settings = load_config(config)
    app = Flask(__name__, instance_path=settings["INSTANCE_PATH"], static_folder=None)
    app.config.update(settings)
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=bool(settings["SESSION_COOKIE_SECURE"]),
        MAX_CONTENT_LENGTH=settings["MAX_UPLOAD_BYTES"],
    )
    if settings["TRUST_PROXY"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # One reverse proxy in front: take client IP, scheme and host from its headers.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]
    extensions.init_app(app, llm_client=llm_client)
    _register_blueprints(app)
    return app


def _register_blueprints(app: Flask) -> None:
    from frontdesk import assets, health
    from frontdesk.booking import views as booking_views

    app.register_blueprint(health.bp)
    app.register_blueprint(assets.bp)
    app.register_blueprint(booking_views.bp)
    for optional in ("frontdesk.widget_assets", "frontdesk.chat.views", "frontdesk.staff.views"):
        _register_optional(app, optional)


def _register_optional(app: Flask, module_name: str) -> None:
    """Register a feature blueprint when its module exists (features land one by one)."""
    import importlib

    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        return
    module.init_app(app)
