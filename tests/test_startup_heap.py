"""A serving process settles its heap once the app is built (frontdesk.wsgi.freeze_startup_heap):
the start-up objects frozen out of the collector's walk, the young generation collected less
often. Run in a child interpreter: the settings are the whole process's."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from frontdesk import wsgi
from frontdesk.wsgi import YOUNG_COLLECTION_THRESHOLD

PROBE = """
import gc
from frontdesk.wsgi import freeze_startup_heap
before = gc.get_freeze_count()
freeze_startup_heap()
print(before, gc.get_freeze_count(), gc.get_threshold()[0])
"""


def test_startup_heap_is_frozen_and_young_objects_collected_less_often_after_start_up_objects_and_raises_the_young_threshold():
    here = {**os.environ, "PYTHONPATH": str(Path(wsgi.__file__).parents[1])}  # this checkout
    out = subprocess.run(
        [sys.executable, "-c", PROBE], env=here, capture_output=True, text=True, check=True,
        timeout=60,
    ).stdout.split()  # fmt: skip
    before, frozen, young = (int(n) for n in out)
    assert before == 0 and frozen > 1000  # the modules imported so far, at least
    assert young == YOUNG_COLLECTION_THRESHOLD


WARM_UP = """
import gc, logging, sys, tempfile
import frontdesk
here = tempfile.mkdtemp()
frontdesk.create_app({"DATABASE_URL": f"sqlite:///{here}/db.sqlite", "INSTANCE_PATH": here,
                      "SECRET_KEY": "x", "MAIL_WORKER": False, "CALENDAR_WORKER": False})
frozen = gc.get_freeze_count()
cold = [name for name in ("openai", "wordllama", "icalendar", "caldav") if name in sys.modules]
frontdesk.warm_up().join(120)
warm = [name for name in ("openai", "wordllama", "icalendar", "caldav") if name in sys.modules]
root = logging.getLogger()
print(",".join(cold) or "-", ",".join(warm), gc.get_freeze_count() > frozen,
      len(root.handlers), root.level)
"""


def test_a_started_server_loads_what_the_first_requests_need_on_a_background_thread():
    """`frontdesk serve` and serve_app() call frontdesk.warm_up() once listening: the engines'
    libraries, the word vectors and the calendar libraries (none of which create_app loads) are
    loaded and frozen with the rest of start-up, and wordllama's import (which calls logging.basicConfig(level=INFO)) leaves the
    process's logging as it was."""
    here = {**os.environ, "PYTHONPATH": str(Path(wsgi.__file__).parents[1])}
    out = subprocess.run(
        [sys.executable, "-c", WARM_UP], env=here, capture_output=True, text=True, check=True,
        timeout=180,
    ).stdout.split()  # fmt: skip
    assert out == ["-", "openai,wordllama,icalendar,caldav", "True", "0", "30"]
