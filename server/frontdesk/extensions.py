"""Per-app services (database, bookings, mailer, LLM client), kept in app.extensions."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app
from flask_wtf import CSRFProtect

from frontdesk.db import Database

csrf = CSRFProtect()


def init_app(app: Flask, *, llm_client: Any = None) -> None:
    """Create the app's services from its config; nothing is built at import time."""
    from frontdesk.booking.email import Mailer
    from frontdesk.booking.service import Bookings
    from frontdesk.calendars.hooks import CalendarHooks
    from frontdesk.calendars.setup import init_calendars

    db = Database(
        app.config["DATABASE_URL"],
        checkpoint_interval=float(app.config.get("SQLITE_CHECKPOINT_SECONDS") or 0),
        checkpoint_pages=int(app.config.get("SQLITE_CHECKPOINT_PAGES") or 0),
    )
    mailer = Mailer.from_config(db, app.config)
    calendar_sync, calendar_writer = init_calendars(db, app.config)
    app.extensions["frontdesk.db"] = db
    app.extensions["frontdesk.mailer"] = mailer
    app.extensions["frontdesk.calendar_sync"] = calendar_sync
    app.extensions["frontdesk.calendar_writer"] = calendar_writer
    app.extensions["frontdesk.bookings"] = Bookings(
        db,
        secret_key=app.config["SECRET_KEY"],
        public_url=app.config["PUBLIC_URL"],
        mailer=mailer,
        hooks=CalendarHooks(calendar_sync, calendar_writer),
    )
    app.extensions["frontdesk.llm_client"] = llm_client
    csrf.init_app(app)
    if mailer is not None and app.config.get("MAIL_WORKER"):
        mailer.start_worker()


def get_db() -> Database:
    """The current app's database."""
    return current_app.extensions["frontdesk.db"]


def get_calendar_sync():  # -> frontdesk.calendars.sync.CalendarSync
    """The current app's calendar sync (connections, busy times)."""
    return current_app.extensions["frontdesk.calendar_sync"]


def get_bookings():  # -> frontdesk.booking.service.Bookings
    """The current app's booking service."""
    return current_app.extensions["frontdesk.bookings"]
