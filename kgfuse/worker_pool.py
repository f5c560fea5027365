"""Spawned worker processes that each load a model once, with results taken back in order:
what ``kgfuse diagnose --workers`` (:mod:`kgfuse.diagnosis_workers`) and ``kgfuse eval
diagnosis --workers`` (:mod:`kgfuse.evaluation_workers`) share."""

from __future__ import annotations

import gc
import multiprocessing
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from types import TracebackType
from typing import Any, Self, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class WorkerError(ValueError):
    """A worker process could not load what it works with, or stopped."""


def torch_threads_per_worker(workers: int, cores: int | None = None) -> int:
    """Each worker's torch threads: the cores shared out, at least one."""
    return max(1, (cores or os.cpu_count() or 1) // workers)


#: What this worker process loaded (:func:`start_worker`), or why it could not.
_LOADED: Any = None
_LOAD_ERROR: str | None = None


#: How often a worker looks whether the process that started it is still there (seconds).
PARENT_CHECK_SECONDS = 1.0


def _exit_with(parent: int) -> None:
    """End this worker once ``parent`` is gone: a parent killed outright (SIGKILL, out of
    memory) cannot stop its workers, which would otherwise live on, each holding a model."""
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_SECONDS)
    os._exit(1)


def start_worker(
    load: Callable[[Any], Any], settings: Any, torch_threads: int, parent: int
) -> None:
    """A worker's first step: ``load(settings)`` with its share of the cores, the collector
    paused while it makes its millions of lasting objects, which are then frozen out of
    later collections (as in ``kgfuse serve``). A failure is kept, and told by
    :func:`loaded` to whoever asks the worker for work. The worker ends when ``parent``,
    the process that started it (its pid, as that process gave it), is gone
    (:func:`_exit_with`)."""
    global _LOADED, _LOAD_ERROR
    threading.Thread(target=_exit_with, args=(parent,), daemon=True).start()
    import torch

    torch.set_num_threads(torch_threads)
    gc.disable()
    try:
        _LOADED = load(settings)
    except Exception as exc:  # noqa: BLE001 - told to the parent by name, not lost
        _LOAD_ERROR = f"{type(exc).__name__}: {exc}"
    finally:
        gc.freeze()
        gc.enable()


def loaded(what: str) -> Any:
    """In a worker: what it loaded.

    Raises:
        WorkerError: it could not load (``what``: the kind of worker; the reason follows).
    """
    if _LOADED is None:
        raise WorkerError(f"a {what} worker could not load: {_LOAD_ERROR or 'no reason given'}")
    return _LOADED


def spawn_executor(
    workers: int,
    load: Callable[[Any], Any],
    settings: Any,
    torch_threads: int,
    begin: Callable[..., None] = start_worker,
) -> ProcessPoolExecutor:
    """An executor of ``workers`` spawned processes, each first running ``begin(load,
    settings, torch_threads, parent)`` (:func:`start_worker`, or a step that ends by calling
    it), ``parent`` being this process's pid."""
    # spawned, not forked: a fork would copy torch's and faiss's thread pools half-made
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=begin,
        initargs=(load, settings, torch_threads, os.getpid()),
    )


class WorkerPool:
    """``workers`` spawned processes, each running ``load(settings)`` first (with ``cores /
    workers`` torch threads; :func:`loaded` gives a task what it made); a context manager
    that stops them on exit (dropping the tasks not begun when it exits on an error).

    Args:
        workers: how many processes (at least 2: one process needs no workers).
        load, settings: what each process loads (a module-level function, and its
            picklable argument).
        what: the kind of worker, named in errors ("a diagnosis worker stopped ...").
    """

    def __init__(self, workers: int, load: Callable[[Any], Any], settings: Any, what: str) -> None:
        self.check_count(workers)
        self.workers = workers
        self.what = what
        self._pool = spawn_executor(workers, load, settings, torch_threads_per_worker(workers))

    @staticmethod
    def check_count(workers: int) -> None:
        """Refuse fewer than 2 workers (one process needs no workers).

        Raises:
            ValueError: ``workers`` is below 2.
        """
        if workers < 2:
            raise ValueError(f"workers must be at least 2, got {workers}")

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close(cancel=exc is not None)

    def close(self, *, cancel: bool = False) -> None:
        """Stop the workers (``cancel``: drop the tasks not yet begun)."""
        self._pool.shutdown(wait=True, cancel_futures=cancel)

    def run(self, where: str, fn: Callable[..., R], *args: Any) -> R:
        """``fn(*args)`` in a worker, waited for.

        Raises:
            WorkerError: the worker stopped (``where`` names the task in the message).
        """
        return self.result(self._pool.submit(fn, *args), where)

    def result(self, future: Future[R], where: str) -> R:
        """A task's result; a worker's own exception is raised as it is.

        Raises:
            WorkerError: the worker stopped (killed, out of memory) during it.
        """
        try:
            return future.result()
        except BrokenProcessPool as exc:
            raise WorkerError(
                f"a {self.what} worker stopped (out of memory?) at {where}: {exc}"
            ) from None

    def in_order(
        self,
        items: Iterable[T],
        task: Callable[[T], Future[R]],
        where: Callable[[T], str],
        ahead_per_worker: int = 4,
    ) -> Iterator[tuple[T, R]]:
        """Each item with its result, in the items' order; ``task`` submits an item (with
        :meth:`submit`, or :func:`done` for a result known at once). At most
        ``ahead_per_worker`` items a worker wait ahead of the one given next."""
        waiting: deque[tuple[T, Future[R]]] = deque()
        ahead = self.workers * ahead_per_worker
        for item in items:
            waiting.append((item, task(item)))
            while len(waiting) > ahead:
                item_, future = waiting.popleft()
                yield item_, self.result(future, where(item_))
        while waiting:
            item_, future = waiting.popleft()
            yield item_, self.result(future, where(item_))

    def submit(self, fn: Callable[..., R], *args: Any) -> Future[R]:
        """``fn(*args)`` handed to a worker."""
        return self._pool.submit(fn, *args)


def done(value: R) -> Future[R]:
    """A future that holds ``value`` already (an item that needs no worker)."""
    future: Future[R] = Future()
    future.set_result(value)
    return future
