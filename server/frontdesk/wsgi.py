"""The app as a WSGI server runs it: `gunicorn 'frontdesk.wsgi:serve_app()'` (see deployment)."""

from __future__ import annotations

import gc

from flask import Flask

from frontdesk import create_app, warm_up, warn_of_weak_hashing
from frontdesk.chat.work import start_recovery
from frontdesk.db.schema_check import require_current_schema
from frontdesk.realtime import single_process

# Objects allocated, less those freed, before the youngest generation is collected (Python's
# default is 700). A dashboard page makes tens of thousands that die with the request; collected
# every 700, most of them are alive at that moment, get promoted, and bring the next full
# collection round within a few requests.
YOUNG_COLLECTION_THRESHOLD = 20_000


def serve_app() -> Flask:
    """create_app() from the environment, refusing a second process without REDIS_URL."""
    app = create_app()
    # Under gunicorn a schema that is not this release's fails the worker's boot, saying why.
    require_current_schema(app.extensions["frontdesk.db"])
    single_process.claim(app)
    warn_of_weak_hashing(app)
    # What a crash left unfinished is resumed; with REDIS_URL another process may be doing
    # it, and each job then re-reads under the turn lease whether it is still pending.
    start_recovery(app)
    freeze_startup_heap()
    warm_up()  # what the first requests need, loaded beside them rather than in them
    return app


def freeze_startup_heap() -> None:
    """Leave what start-up loaded (modules, the app, its caches) out of the collector's full
    passes: it lives as long as the process, and walking it cost a request tens of ms at p99.
    The young generation is collected less often too, so fewer of a request's short-lived
    objects are promoted (a full pass over ~200,000 start-up objects took ~100 ms)."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, middle, old)
