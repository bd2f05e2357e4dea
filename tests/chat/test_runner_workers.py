"""The turn runner's thread pool (chat.runner.Workers): jobs run, threads stay within the size,
shutdown lets running jobs finish and drops the rest."""

from __future__ import annotations

import threading

import pytest

from frontdesk.chat.runner import Workers


def test_jobs_run_on_at_most_size_threads():
    workers = Workers(3, "test-pool")
    done: list[int] = []
    names: set[str] = set()
    lock = threading.Lock()
    finished = threading.Event()

    def job(n: int) -> None:
        with lock:
            done.append(n)
            names.add(threading.current_thread().name)
            if len(done) == 50:
                finished.set()

    for n in range(50):
        workers.submit(job, n)
    assert finished.wait(10)
    assert sorted(done) == list(range(50))
    assert 1 <= len(names) <= 3 and all(name.startswith("test-pool_") for name in names)
    workers.shutdown()


def test_a_failing_job_does_not_stop_its_worker():
    workers = Workers(1, "test-pool")
    ran = threading.Event()

    def fail() -> None:
        raise ValueError("boom")

    workers.submit(fail)
    workers.submit(ran.set)
    assert ran.wait(10)
    workers.shutdown()


def test_shutdown_waits_for_running_jobs_and_drops_queued_ones():
    workers = Workers(1, "test-pool")
    started, release = threading.Event(), threading.Event()
    ran: list[str] = []

    def slow() -> None:
        started.set()
        release.wait(10)
        ran.append("slow")

    workers.submit(slow)
    assert started.wait(10)
    workers.submit(ran.append, "queued")
    stopper = threading.Thread(target=workers.shutdown)
    stopper.start()
    stopper.join(0.2)
    assert stopper.is_alive()  # still waiting for the running job
    release.set()
    stopper.join(10)
    assert ran == ["slow"]
    with pytest.raises(RuntimeError):
        workers.submit(ran.append, "late")
