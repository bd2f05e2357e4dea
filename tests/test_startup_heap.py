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
