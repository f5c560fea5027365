"""A model's passes of ``kgfuse eval diagnosis --workers N`` in N processes.

Each worker process loads the KG, the linker and the model once
(:class:`fusion.pipeline.Diagnoser`, ``cores / N`` torch threads: :mod:`kgfuse.worker_pool`)
and places the cases it is handed with :func:`kgfuse.evaluation.model_ranker`; this process
hands them out and takes each case's place back in the cases' order
(:class:`eval.rank_journal.RankedCase`), so the journal, the report and every rank are those
of one process. The model's passes (with and without the onset, without the neural part;
present and present + excluded terms) share the workers. Times per case are measured in the
workers, on cores they share.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from eval.rank_journal import RankedCase
from fusion.shortlist import RankingSettings
from kgfuse.worker_pool import WorkerPool, loaded

if TYPE_CHECKING:
    from eval.diagnosis import Case, Ranker
    from fusion.pipeline import Diagnoser

#: Cases handed out ahead of the one placed next, per worker.
AHEAD_PER_WORKER = 8


@dataclass(frozen=True)
class EvalWorkerSettings:
    """What each worker loads."""

    model_dir: Path
    kg_path: Path | str
    home: Path | None
    ranking: RankingSettings
    precision: str
    measurements: bool
    milestones: bool = False


@dataclass(frozen=True)
class ModelDescription:
    """What the report names and records of a model."""

    fusion: str
    use_prior: bool
    config_hash: str | None
    precision: str

    @classmethod
    def of(cls, diagnoser: Diagnoser) -> ModelDescription:
        """The description of a loaded model."""
        config = diagnoser.model.config
        return cls(
            str(config.fusion),
            bool(config.use_prior),
            diagnoser.meta.get("config_hash"),
            str(diagnoser.precision),
        )


@dataclass(frozen=True)
class _Flags:
    onset: bool
    probabilities: bool
    neural: bool


_RANKERS: dict[_Flags, Ranker] = {}


def _load(settings: EvalWorkerSettings) -> Diagnoser:
    """A worker's KG, linker and model (the prior's completed profiles from the home's cache)."""
    from fusion.pipeline import Diagnoser
    from kg.knowledge_graph import KnowledgeGraph
    from kg.store import kgfuse_home
    from kgfuse.resources import default_linker

    kg = KnowledgeGraph.open(settings.kg_path, home=settings.home)
    return Diagnoser.load(
        settings.model_dir,
        kg,
        linker=default_linker(
            kg, measurements=settings.measurements, milestones=settings.milestones
        ),
        ranking=settings.ranking,
        precision=settings.precision,
        prior_cache=kgfuse_home(settings.home) / "cache",
    )


def _loaded() -> Diagnoser:
    diagnoser: Diagnoser = loaded("evaluation")
    return diagnoser


def _describe() -> ModelDescription:
    return ModelDescription.of(_loaded())


def _ranker(flags: _Flags) -> Ranker:
    from kgfuse.evaluation import model_ranker

    ranker = _RANKERS.get(flags)
    if ranker is None:
        ranker = _RANKERS[flags] = model_ranker(
            _loaded(), onset=flags.onset, probabilities=flags.probabilities, neural=flags.neural
        )
    return ranker


def _place(name: str, mode: str, flags: _Flags, case: Case, i: int) -> RankedCase:
    from eval.diagnosis import place_case

    return place_case(name, mode, _ranker(flags), case, i)


def _rank(flags: _Flags, case: Case) -> Sequence[tuple[str, float]]:
    return list(_ranker(flags)(case))


class ModelWorkers(WorkerPool):
    """``workers`` processes holding one model; a context manager that stops them on exit.

    Raises:
        ValueError: fewer than 2 workers.
    """

    def __init__(self, settings: EvalWorkerSettings, workers: int) -> None:
        super().__init__(workers, _load, settings, "evaluation")

    def describe(self) -> ModelDescription:
        """The model as a worker loaded it.

        Raises:
            WorkerError: a worker could not load (its reason in the message), or stopped.
        """
        return self.run("its description", _describe)

    def ranker(
        self, *, onset: bool = True, probabilities: bool = True, neural: bool = True
    ) -> WorkerModelRanker:
        """:func:`kgfuse.evaluation.model_ranker` with these settings, run in the workers."""
        return WorkerModelRanker(self, _Flags(onset, probabilities, neural))


class WorkerModelRanker:
    """A model's ranker whose cases are ranked by :class:`ModelWorkers`
    (an :class:`eval.diagnosis.ManyCaseRanker`)."""

    def __init__(self, workers: ModelWorkers, flags: _Flags) -> None:
        self._workers = workers
        self._flags = flags

    def __call__(self, case: Case) -> Sequence[tuple[str, float]]:
        """One case's ranking (every candidate with its key), from a worker."""
        return self._workers.run(f"case {case.id!r}", _rank, self._flags, case)

    def rank_many(
        self, name: str, mode: str, cases: Iterable[Case], start: int = 0
    ) -> Iterator[RankedCase]:
        """Each case's place, in the cases' order (``start``: the first one's number)."""
        workers, flags = self._workers, self._flags

        def task(item: tuple[int, Case]) -> Future[RankedCase]:
            return workers.submit(_place, name, mode, flags, item[1], item[0])

        for _, placed in workers.in_order(
            enumerate(cases, start),
            task,
            lambda item: f"case {item[1].id!r}",
            ahead_per_worker=AHEAD_PER_WORKER,
        ):
            yield placed
