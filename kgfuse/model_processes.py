"""The server's diagnoses in processes of their own: ``kgfuse serve --model-processes N``.

One server process is bound by Python's GIL: its threads share about one core of Python
work. ``kgfuse serve --processes N`` runs N uvicorn processes on one port, but the kernel
hands each connection to one of them and a client keeps its connection, so 16 clients
split 8/8 in one run and 16/0 in the next (and the second process idles). Here the server
process keeps the HTTP work, the lookups and the reading of questions, and hands each
diagnosis (a diagnosis question of ``POST /ask``, a record of ``POST /diagnose``) to N
spawned processes through one queue: whichever is free takes the next, whatever connection
it came on. Each loads the KG, the linker and the model once, and records its decisions in
the server's audit database (SQLite transactions keep one hash chain across processes).

A process that stops (killed, out of memory) fails the requests it held with a 500; the
processes are then started anew, and the server goes on serving.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, Any

from kgfuse.worker_pool import loaded, spawn_executor, start_worker, torch_threads_per_worker

if TYPE_CHECKING:
    from kgfuse.api import ApiSettings, AskRequest
    from kgfuse.qa.service import QAService, Understood

logger = logging.getLogger(__name__)

#: What a task answers: an HTTP status (200: done) and the answer, or the error's message.
Outcome = tuple[int, Any]

#: How much lower the model processes' CPU priority is than the server process's: its
#: lookups (a few ms each) then take a core first, and the diagnoses have the rest.
NICENESS = 10

#: The kind of worker, as errors name it.
_WHAT = "model"


def _load(settings_json: str) -> QAService:
    """A model process's service: the server's KG, linker, intent classifier and model,
    audited into the server's database."""
    from kgfuse.api import ApiSettings

    qa = ApiSettings.from_json(settings_json).qa_service()
    _ = qa.diagnosis  # the model now, not at the first request (no model: it cannot load)
    return qa


def _begin(load: Callable[[Any], Any], settings_json: str, torch_threads: int, parent: int) -> None:
    """A model process's first step: Ctrl-C is the server's to handle (it stops these
    processes in order), its priority below the server's (:data:`NICENESS`), then
    :func:`kgfuse.worker_pool.start_worker`."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.nice(NICENESS)
    start_worker(load, settings_json, torch_threads, parent)


def _outcome(fn: Callable[..., Any], *args: Any) -> Outcome:
    """``fn(*args)`` as an :data:`Outcome`: errors as the server's handlers answer them."""
    from kgfuse.api import error_answer

    try:
        return 200, fn(*args)
    except Exception as exc:
        status, detail = error_answer(exc)
        if status == 500:
            logger.exception("error in a model process")
        return status, detail


def _ready() -> Outcome:
    """Nothing: a process answers once it has loaded (or says why it could not)."""

    def check() -> None:
        loaded(_WHAT)

    return _outcome(check)


def _ask(body: AskRequest, understood: Understood) -> Outcome:
    """A diagnosis question, answered as ``POST /ask`` answers it."""
    from kgfuse.api import answer_question

    return _outcome(lambda: answer_question(loaded(_WHAT), body, understood))


def _diagnose(record: dict[str, Any], top_k: int = 10) -> Outcome:
    """One record of the ``kgfuse diagnose`` contract, as ``POST /diagnose`` answers it."""

    def run() -> dict[str, Any]:
        qa: QAService = loaded(_WHAT)
        return qa.diagnosis.run(record, 0, top_k, unnamed="text")[0]

    return _outcome(run)


class ModelProcesses:
    """``processes`` spawned processes that run the server's diagnoses, fed from one queue.

    Args:
        settings: the server's settings (each process loads what they name).
        processes: how many (at least 1).
    """

    def __init__(self, settings: ApiSettings, processes: int) -> None:
        if processes < 1:
            raise ValueError(f"model processes must be at least 1, got {processes}")
        self.processes = processes
        self._settings = settings.to_json()
        self._threads = settings.torch_threads or torch_threads_per_worker(processes)
        self._lock = threading.Lock()
        #: times the processes were started anew after one stopped
        self.restarts = 0
        self._pool = self._start()
        # one task each, now: the pool starts a process for each task while none is idle,
        # so they load while the server process loads what it serves
        self._loading = [self._pool.submit(_ready) for _ in range(processes)]

    def _start(self) -> ProcessPoolExecutor:
        return spawn_executor(self.processes, _load, self._settings, self._threads, _begin)

    async def ready(self) -> None:
        """Wait until every process has loaded.

        Raises:
            WorkerError: a process could not load (its reason follows).
        """
        from kgfuse.worker_pool import WorkerError

        for future in self._loading:
            try:
                status, detail = await asyncio.wrap_future(future)
            except BrokenProcessPool as exc:
                raise WorkerError(f"a model process stopped while it loaded: {exc}") from None
            if status != 200:
                raise WorkerError(detail)

    async def ask(self, body: AskRequest, understood: Understood) -> dict[str, Any]:
        """The answer to a diagnosis question (the question read by the server process).

        Raises:
            Refused: the error the process met, with the status it answers.
        """
        return self._answer(await self._call(_ask, body, understood))

    async def diagnose(self, record: dict[str, Any], top_k: int = 10) -> dict[str, Any]:
        """The output record of one record of the ``kgfuse diagnose`` contract, its first
        ``top_k`` diseases.

        Raises:
            Refused: the error the process met, with the status it answers.
        """
        return self._answer(await self._call(_diagnose, record, top_k))

    @staticmethod
    def _answer(outcome: Outcome) -> dict[str, Any]:
        from kgfuse.api import Refused

        status, answer = outcome
        if status != 200:
            raise Refused(status, answer)
        return answer

    async def _call(self, fn: Callable[..., Outcome], *args: Any) -> Outcome:
        """``fn(*args)`` in whichever process is free; a process that stopped during it (or
        before) answers 500, and the processes are started anew."""
        pool = self._pool
        try:
            return await asyncio.wrap_future(pool.submit(fn, *args))
        except BrokenProcessPool:
            self._replace(pool)
            logger.error("a model process stopped; the model processes are started anew")
            return 500, "a model process stopped (out of memory?); it is being started again"

    def _replace(self, broken: ProcessPoolExecutor) -> None:
        """New processes for a pool one of whose processes stopped (once per pool)."""
        with self._lock:
            if self._pool is broken:
                broken.shutdown(wait=False, cancel_futures=True)
                self._pool = self._start()
                self.restarts += 1

    def close(self) -> None:
        """Stop the processes (the requests not yet begun are dropped)."""
        with self._lock:
            self._pool.shutdown(wait=True, cancel_futures=True)
