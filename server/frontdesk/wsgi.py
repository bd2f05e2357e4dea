"""The app as a WSGI server runs it: `gunicorn 'frontdesk.wsgi:serve_app()'` (see deployment)."""

from __future__ import annotations

import gc

from flask import Flask

from frontdesk import create_app
from frontdesk.realtime import single_process


def serve_app() -> Flask:
    """create_app() from the environment, refusing a second process without REDIS_URL."""
    app = create_app()
    single_process.claim(app)
    if not app.config.get("REDIS_URL"):  # the only process: what a crash left is ours to do
        from frontdesk.chat.work import start_recovery

        start_recovery(app)
    freeze_startup_heap()
    return app


def freeze_startup_heap() -> None:
    """Leave what start-up loaded (modules, the app, its caches) out of the collector's full
    passes: it lives as long as the process, and walking it cost a request tens of ms at p99."""
    gc.collect()
    gc.freeze()
