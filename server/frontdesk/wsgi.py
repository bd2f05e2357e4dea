"""The app as a WSGI server runs it: `gunicorn 'frontdesk.wsgi:serve_app()'` (see deployment)."""

from __future__ import annotations

from flask import Flask

from frontdesk import create_app
from frontdesk.chat.work import start_recovery
from frontdesk.realtime import single_process


def serve_app() -> Flask:
    """create_app() from the environment, refusing a second process without REDIS_URL."""
    app = create_app()
    single_process.claim(app)
    # What a crash left unfinished is resumed; with REDIS_URL another process may be doing
    # it, and each job then re-reads under the turn lease whether it is still pending.
    start_recovery(app)
    return app
