"""Diagnosing a file of records in several processes (``kgfuse diagnose --workers N``).

Each worker process loads its own :class:`kgfuse.diagnosis.DiagnosisService` (unaudited) and
diagnoses and explains the records it is handed; this process reads the records, hands them
out, and takes the results back in the input's order. It alone writes the audit log, so the
records are appended in the input's order, as one process would, and each is the record one
process would write (a worker's torch uses ``cores / workers`` threads, which changes no
score: checked by the tests against a run in one process).

A worker that cannot load (no model, a KG of another fingerprint) stops the run with its
reason; a record that fails is an error record, as in one process.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from fusion.shortlist import RankingSettings

if TYPE_CHECKING:
    from kgfuse.audit import AuditLog
    from kgfuse.diagnosis import DiagnosisService
    from kgfuse.explanation import Explanation

logger = logging.getLogger(__name__)

#: Records handed out ahead of the one written next, per worker (bounds what waits in memory).
AHEAD_PER_WORKER = 4


class WorkerStartError(ValueError):
    """A worker process could not load (the model, the KG, the linker) or stopped."""


@dataclass(frozen=True)
class WorkerSettings:
    """What each worker loads: the arguments of :class:`kgfuse.diagnosis.DiagnosisService`
    (unaudited) and its torch threads."""

    model_dir: Path | None
    kg_path: Path | str | None
    home: Path | None
    ranking: RankingSettings
    precision: str
    torch_threads: int


#: The worker process's service, or why it could not load (set by :func:`_start_worker`).
_SERVICE: DiagnosisService | None = None
_START_ERROR: str | None = None


def _start_worker(settings: WorkerSettings) -> None:
    """Load the worker's service; a failure is kept and reported with the first record."""
    global _SERVICE, _START_ERROR
    import gc

    import torch

    from kgfuse.diagnosis import DiagnosisService

    torch.set_num_threads(settings.torch_threads)
    gc.disable()  # loading makes millions of objects that stay: no collection while it runs
    try:
        _SERVICE = DiagnosisService(
            settings.model_dir,
            settings.kg_path,
            settings.home,
            audit=False,
            ranking=settings.ranking,
            precision=settings.precision,
        )
    except Exception as exc:  # noqa: BLE001 - told to the parent by name, not lost
        _START_ERROR = f"{type(exc).__name__}: {exc}"
    finally:
        gc.freeze()  # what is loaded stays out of later collections (as in `kgfuse serve`)
        gc.enable()


@dataclass
class _Decision:
    """A worker's answer for one record: the output record and, when it was diagnosed, the
    explanation and the audit config to record it with."""

    out: dict[str, Any]
    explanation: Explanation | None = None
    config: dict[str, Any] | None = None


def _decide(index: int, raw: Any, top_k: int, audited: bool) -> _Decision:
    """Diagnose one record in a worker, as :meth:`DiagnosisService.diagnose_records` does."""
    from kgfuse.diagnosis import error_record

    if _SERVICE is None:
        raise WorkerStartError(
            f"a diagnosis worker could not load: {_START_ERROR or 'no reason given'}"
        )
    try:
        out, explanation = _SERVICE.decide(raw, index, top_k, unnamed=f"line-{index}")
    except Exception as exc:  # a bug met on one record must not end the run
        return _Decision(error_record(index, raw, exc))
    return _Decision(out, explanation, _SERVICE.audit_config(top_k) if audited else None)


def torch_threads_per_worker(workers: int, cores: int | None = None) -> int:
    """Each worker's torch threads: the cores shared out, at least one."""
    return max(1, (cores or os.cpu_count() or 1) // workers)


class DiagnosisWorkers:
    """``workers`` processes diagnosing records; a context manager that stops them on exit.

    Args:
        settings: what each worker loads.
        workers: how many processes (at least 2; one process needs no workers).
        audit_log: where this process records each decision (None: unaudited).
        store_input: keep each input in its audit record (else only its hash).
    """

    def __init__(
        self,
        settings: WorkerSettings,
        workers: int,
        *,
        audit_log: AuditLog | None = None,
        store_input: bool = True,
    ) -> None:
        if workers < 2:
            raise ValueError(f"workers must be at least 2, got {workers}")
        self.workers = workers
        self.audit_log = audit_log
        self.store_input = store_input
        from kgfuse.diagnosis import default_model_dir

        # the folder each worker loads (as the service resolves it), hashed here for the audit
        self._model_dir = (
            Path(settings.model_dir) if settings.model_dir else default_model_dir(settings.home)
        )
        self._model_files: dict[str, Any] | None = None
        # spawned, not forked: a fork would copy torch's and faiss's thread pools half-made
        self._pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker,
            initargs=(settings,),
        )

    def __enter__(self) -> DiagnosisWorkers:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close(cancel=exc is not None)

    def close(self, *, cancel: bool = False) -> None:
        """Stop the workers (``cancel``: drop the records not yet begun)."""
        self._pool.shutdown(wait=True, cancel_futures=cancel)

    def diagnose_records(
        self, records: Iterable[tuple[int, Any]], top_k: int = 10
    ) -> Iterator[dict[str, Any]]:
        """Output records for (index, raw record or error) pairs, in their order, each
        recorded in the audit log when there is one; errors become error records.

        Raises:
            WorkerStartError: a worker could not load (its reason in the message).
        """
        from kgfuse.diagnosis import error_record

        audited = self.audit_log is not None
        waiting: deque[tuple[int, Any, Future[_Decision] | dict[str, Any]]] = deque()
        ahead = self.workers * AHEAD_PER_WORKER
        for index, raw in records:
            if isinstance(raw, Exception):  # unreadable: no worker needed
                waiting.append((index, raw, error_record(index, raw, raw)))
            else:
                waiting.append((index, raw, self._pool.submit(_decide, index, raw, top_k, audited)))
            while len(waiting) > ahead:
                yield self._finish(*waiting.popleft())
        while waiting:
            yield self._finish(*waiting.popleft())

    def _finish(
        self, index: int, raw: Any, pending: Future[_Decision] | dict[str, Any]
    ) -> dict[str, Any]:
        if isinstance(pending, dict):
            return pending
        try:
            decision = pending.result()
        except BrokenProcessPool as exc:
            raise WorkerStartError(
                f"a diagnosis worker stopped (out of memory?) at record {index}: {exc}"
            ) from None
        if decision.explanation is not None and self.audit_log is not None:
            from kgfuse.diagnosis import record_decision

            assert decision.config is not None  # asked for with every audited record
            decision.explanation.metadata["model_files"] = self._files()
            decision.out["audit_id"] = record_decision(
                self.audit_log, decision.explanation, raw, decision.config, self.store_input
            )
        return decision.out

    def _files(self) -> dict[str, Any]:
        """The model folder's content fingerprint, hashed once."""
        if self._model_files is None:
            from kgfuse.model_files import model_files_fingerprint

            self._model_files = model_files_fingerprint(self._model_dir)
        return self._model_files
