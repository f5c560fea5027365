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
from collections.abc import Iterable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fusion.shortlist import RankingSettings
from kgfuse.model_files import BackgroundFingerprint, model_files_fingerprint
from kgfuse.worker_pool import WorkerPool, done, loaded

if TYPE_CHECKING:
    from kgfuse.audit import AuditLog
    from kgfuse.diagnosis import DiagnosisService
    from kgfuse.explanation import Explanation

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkerSettings:
    """What each worker loads: the arguments of :class:`kgfuse.diagnosis.DiagnosisService`
    (unaudited)."""

    model_dir: Path | None
    kg_path: Path | str | None
    home: Path | None
    ranking: RankingSettings
    precision: str
    measurements: bool = False
    milestones: bool = False


def _load(settings: WorkerSettings) -> DiagnosisService:
    """A worker's service (unaudited: this process records the decisions)."""
    from kgfuse.diagnosis import DiagnosisService

    return DiagnosisService(
        settings.model_dir,
        settings.kg_path,
        settings.home,
        audit=False,
        ranking=settings.ranking,
        precision=settings.precision,
        measurements=settings.measurements,
        milestones=settings.milestones,
    )


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

    service: DiagnosisService = loaded("diagnosis")
    try:
        out, explanation = service.decide(raw, index, top_k, unnamed=f"line-{index}")
    except Exception as exc:  # a bug met on one record must not end the run
        return _Decision(error_record(index, raw, exc))
    return _Decision(out, explanation, service.audit_config(top_k) if audited else None)


class DiagnosisWorkers(WorkerPool):
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
        from fusion.model_meta import load_model_meta
        from kg.remote import is_endpoint
        from kg.store import default_kg_path, resolve_build
        from kgfuse.diagnosis import default_model_dir

        self.check_count(workers)
        # the folder each worker loads (as the service resolves it), hashed here for the audit
        self._model_dir = (
            Path(settings.model_dir) if settings.model_dir else default_model_dir(settings.home)
        )
        # no model or no KG is told here, before the workers start
        load_model_meta(self._model_dir)
        kg = settings.kg_path or default_kg_path("hpo", settings.home)
        if not is_endpoint(kg):
            resolve_build(Path(kg))
        super().__init__(workers, _load, settings, "diagnosis")
        self.audit_log = audit_log
        self.store_input = store_input
        self._model_files: dict[str, Any] | None = None
        # hashed while the workers load, as a service hashes while its model loads
        self._hashing = (
            BackgroundFingerprint(self._model_dir)
            if audit_log is not None and self._model_dir.is_dir()
            else None
        )

    def close(self, *, cancel: bool = False) -> None:
        """Stop the workers, and the hashing of the model's files if no record needed it."""
        if self._hashing is not None:
            self._hashing.stop()
        super().close(cancel=cancel)

    def diagnose_records(
        self, records: Iterable[tuple[int, Any]], top_k: int = 10
    ) -> Iterator[dict[str, Any]]:
        """Output records for (index, raw record or error) pairs, in their order, each
        recorded in the audit log when there is one; errors become error records.

        Raises:
            WorkerError: a worker could not load (its reason in the message), or stopped.
        """
        from kgfuse.diagnosis import error_record

        audited = self.audit_log is not None

        def task(item: tuple[int, Any]) -> Future[_Decision]:
            index, raw = item
            if isinstance(raw, Exception):  # unreadable: no worker needed
                return done(_Decision(error_record(index, raw, raw)))
            return self.submit(_decide, index, raw, top_k, audited)

        for (_index, raw), decision in self.in_order(
            records, task, lambda item: f"record {item[0]}"
        ):
            yield self._recorded(raw, decision)

    def _recorded(self, raw: Any, decision: _Decision) -> dict[str, Any]:
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
            hashing, self._hashing = self._hashing, None
            if hashing is not None:
                self._model_files = hashing.result()
            else:
                self._model_files = model_files_fingerprint(self._model_dir)
        return self._model_files
