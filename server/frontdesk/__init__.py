"""Frontdesk: an embeddable chat widget whose assistant answers questions and books consultations."""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import Mapping
from typing import Any

from flask import Flask

from frontdesk.config import ConfigError, load_config

__all__ = ["ConfigError", "create_app", "warm_up"]
log = logging.getLogger(__name__)


def create_app(config: Mapping[str, Any] | None = None, *, llm_client: Any = None) -> Flask:
    """Build the Flask app; `llm_client` (an openai.OpenAI) overrides the configured provider."""
    # Imported here, as in Flask's tutorial: the modules import `frontdesk` themselves.
    from frontdesk import assets, extensions, health, widget_assets
    from frontdesk.booking import calendar_feed
    from frontdesk.booking import views as booking_views
    from frontdesk.chat import views as chat_views
    from frontdesk.realtime import shared
    from frontdesk.staff import accounts, live
    from frontdesk.staff import views as staff_views
    from frontdesk.training import blueprint as training
    from frontdesk.training import views_evals, views_finetune  # noqa: F401  (their routes)

    settings = load_config(config)
    hasher = _password_hasher(settings["PASSWORD_HASH_PROFILE"])  # refused before anything runs
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
    app.extensions[accounts.HASHER_EXTENSION] = hasher
    extensions.init_app(app, llm_client=llm_client)
    shared.init_app(app)  # REDIS_URL: frames, turns and limits shared across processes
    app.register_blueprint(health.bp)
    app.register_blueprint(assets.bp)
    app.register_blueprint(booking_views.bp)
    app.register_blueprint(calendar_feed.bp)
    widget_assets.init_app(app)
    chat_views.init_app(app)
    app.register_blueprint(staff_views.bp)  # the dashboard, its sections nested inside
    app.register_blueprint(live.socket_bp)
    app.register_blueprint(training.bp)  # feedback, evaluations, fine-tuning
    return app


def _password_hasher(profile: str) -> Any:
    """The argon2 hasher of PASSWORD_HASH_PROFILE, or ConfigError naming the setting."""
    from frontdesk.staff.accounts import password_hasher

    try:
        return password_hasher(profile)
    except ValueError as exc:
        raise ConfigError(
            f"PASSWORD_HASH_PROFILE (FRONTDESK_PASSWORD_HASH_PROFILE): {exc}"
        ) from None


def warn_of_weak_hashing(app: Flask) -> None:
    """Log a warning when a server's staff passwords would be hashed with the test suite's
    parameters (`frontdesk serve` and gunicorn's `serve_app()` call it; other commands don't)."""
    from frontdesk.staff.accounts import weak_profile_warning

    warning = weak_profile_warning(app.config["PASSWORD_HASH_PROFILE"])
    if warning:
        app.logger.warning(warning)


def warm_up() -> threading.Thread:
    """Load what the first requests after a start would otherwise wait for, on a background
    thread, once the server listens (`frontdesk serve`, gunicorn's `serve_app()`): start-up
    stays short and the first visitor's turn does not wait ~1 s for imports and data files."""
    thread = threading.Thread(target=_warm_quietly, name="frontdesk-warm-up", daemon=True)
    thread.start()
    return thread


def _warm_quietly() -> None:
    try:
        _warm()
    except Exception:  # a cold first request is slower, never wrong: the server runs on
        log.exception("warming up failed; the first requests load what they need themselves")


def _warm() -> None:
    from datetime import UTC, datetime

    import babel.dates  # noqa: F401  (dates in the visitor's language)

    # caldav, icalendar, a booking's invitation and recurring-ical-events:
    import frontdesk.booking.ics  # noqa: F401
    import frontdesk.calendars.caldav_account  # noqa: F401
    import frontdesk.calendars.ics_feed  # noqa: F401
    from frontdesk.assistant.offline.dates import parse_when
    from frontdesk.assistant.select import preload
    from frontdesk.knowledge.semantic import available

    preload()  # both engines and the openai client library (~1 s)
    _keeping_logging(available)  # the offline engine's word vectors (~0.5 s)
    parse_when("next tuesday at 3pm", datetime.now(UTC), "UTC")  # dateparser's language data
    # What was loaded here lives as long as the process: out of the collector's full passes,
    # like the rest of start-up (frontdesk.wsgi.freeze_startup_heap). Frozen without a full
    # collection first, which would pause the requests already being served.
    gc.freeze()


def _keeping_logging(load: Any) -> Any:
    """Call `load` without letting wordllama's import reconfigure logging: it calls
    logging.basicConfig(level=INFO), which would print every library's INFO lines. Python's
    own last-resort handler (warnings to stderr, as with no handler) stands in on the root
    logger meanwhile, which makes that call a no-op without a moment of INFO output."""
    root = logging.getLogger()
    if root.handlers:  # configured already: basicConfig does nothing
        return load()
    stand_in = logging.lastResort or logging.NullHandler()
    root.addHandler(stand_in)
    try:
        return load()
    finally:
        root.removeHandler(stand_in)
