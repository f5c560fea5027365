"""The worker pool under both commands' --workers: results in the items' order, a result
known at once passes without a worker, and a worker that dies is named, not a hang."""

from __future__ import annotations

import os
import time
from concurrent.futures import Future

import pytest

from kgfuse.worker_pool import WorkerError, WorkerPool, done, torch_threads_per_worker


def _nothing(settings: object) -> None:
    """A worker with nothing to load."""


def _slow_square(n: int) -> int:
    time.sleep(0.05 * (n % 3))  # later items may finish first
    return n * n


def _die(n: int) -> int:
    os._exit(1)  # as the kernel's out-of-memory killer would end it


def test_results_come_in_the_items_order() -> None:
    with WorkerPool(2, _nothing, None, "test") as pool:

        def task(n: int) -> Future[int]:
            return done(-1) if n == 4 else pool.submit(_slow_square, n)

        got = list(pool.in_order(range(9), task, str, ahead_per_worker=2))
    assert got == [(n, -1 if n == 4 else n * n) for n in range(9)]


def test_a_worker_that_dies_is_named() -> None:
    stopped = pytest.raises(WorkerError, match="a test worker stopped .* at item 0")
    with WorkerPool(2, _nothing, None, "test") as pool, stopped:
        list(pool.in_order([0], lambda n: pool.submit(_die, n), lambda n: f"item {n}"))


def test_pools_need_two_workers_and_share_the_cores() -> None:
    with pytest.raises(ValueError, match="at least 2"):
        WorkerPool(1, _nothing, None, "test")
    assert torch_threads_per_worker(2, cores=2) == 1
    assert torch_threads_per_worker(4, cores=16) == 4
    assert torch_threads_per_worker(3, cores=2) == 1


def alive(pid: int) -> bool:
    """The process runs (a zombie, ended but not yet reaped, counts as ended)."""
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_workers_end_when_their_parent_is_killed(tmp_path) -> None:
    import signal
    import subprocess
    import sys

    script = (
        "import os, sys, time\n"
        "from kgfuse.worker_pool import WorkerPool\n"
        "from tests.test_kgfuse.test_worker_pool import _nothing\n"
        "pool = WorkerPool(2, _nothing, None, 'test')\n"
        "[f.result() for f in [pool.submit(os.getpid) for _ in range(2)]]\n"
        "print(' '.join(map(str, pool._pool._processes)), flush=True)\n"
        "time.sleep(600)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None
        workers = [int(pid) for pid in parent.stdout.readline().split()]
        assert len(workers) == 2 and all(alive(pid) for pid in workers)
    finally:
        parent.send_signal(signal.SIGKILL)  # no chance to stop its workers itself
        parent.wait()
    deadline = time.monotonic() + 30
    while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(alive(pid) for pid in workers)
