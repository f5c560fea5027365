"""Benchmark of fact retrieval: build time, query latency, recall and memory of FAISS indexes.

What it measures (targets on 2 cores, from the issue that asked for it: p50 <= 2 ms per
query at k=32 on the HPO facts, with recall@32 >= 0.95 against exact search for the
approximate index):

* **HPO facts**: the real fact vectors of a :class:`~fusion.retrieval.FactIndex` (about
  570k facts), re-indexed as ``flat`` (exact), ``hnsw``, ``ivf`` and ``ivfpq``. Queries are
  what a linked concept asks: the query vector of one node (its label vector and graph
  vector) for a seeded sample of nodes that appear in facts. For each approximate index the
  search knob (HNSW ``efSearch``, IVF ``nprobe``) is swept; the *operating point* is the
  fastest setting (by its median p50, see *Timing*) with recall@k >= 0.95, or, where no
  setting reaches it, the best recall, flagged as missing the target. The end-to-end
  latency of :meth:`~fusion.retrieval.FactIndex.search` (entity boost, exact scoring of the
  facts touching the entity, facts materialised) is measured at each kind's operating
  point, after an untimed warm-up.
* **Synthetic scale-ups** (1M and 5M vectors by default): vectors of the same dimension
  drawn around ``n / 256`` random centres with Gaussian noise (clustered, as fact vectors
  are: facts of one subject lie close together; uniform random vectors would be
  unrealistically hard for IVF and HNSW), generated chunk by chunk from a seed, so the
  exact top-k is computed in a streaming pass without holding an exact index (see
  :class:`SyntheticFacts` for the distribution). IVF-PQ is built at 1M and 5M, so its growth
  is seen; at 5M only flat and IVF-PQ are built by default (2048 lists on an HNSW coarse
  quantizer, 32 sub-quantizers of 8 bits, candidates re-ranked from 8-bit scalar-quantized
  vectors): HNSW and IVF-flat take too long to build on 2 cores.
* **Shards**: flat and IVF-PQ again split into 2 and 4 shards (``IndexConfig.shards``, a
  ``faiss.IndexShards`` searched with one thread per shard), on every dataset, so the
  latency, recall, memory and build time of sharded and unsharded indexes sit side by side;
  an index and its sharded copies are held together and timed against each other.
* **Timing**: every setting of an index and of its sharded copies (every knob value) first
  answers :data:`WARMUP` queries untimed; then the queries are timed in :data:`ROUNDS`
  interleaved rounds, each round a share of the queries answered by every setting in turn
  (the order reversed every other round), so a load that changes during the run weighs on
  all of them alike and each query is timed once per setting. p50 is the median of the
  rounds' p50s, with their min and max; p99 and the mean are over every timed call.
* **Compositional text vectors**: for a sample of HPO facts, the cosine between the
  compositional text block and the embedded verbalisation, and how often a verbalisation's
  nearest compositional vector (within the sample) is its own fact's.

Build time is the time spent in faiss (training and adding; drawing the synthetic vectors
is left out). Memory is the serialised index size (``faiss.serialize_index``) and the
process RSS growth while the index was built (the index before it still held, so the figure
is not net of one freed). Results go to ``bench_retrieval.json``, ``bench_retrieval.md``
and ``bench_retrieval.png`` (latency and memory against the number of facts), each written
whole. The load average of the machine is recorded, since other jobs share it.
"""

from __future__ import annotations

import gc
import io
import json
import logging
import os
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from eval.bench_kg import machine_info
from fusion.faiss_index import (
    IndexConfig,
    add_vectors,
    build_index,
    import_faiss,
    index_nbytes,
    search_parameters,
)
from kg.atomic import output_folder, write_atomic

if TYPE_CHECKING:
    from encoders.text import TextEncoder
    from fusion.retrieval import FactIndex
    from kg.knowledge_graph import KnowledgeGraph

logger = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_PLANS",
    "DEFAULT_SHARDS",
    "IndexRun",
    "MISSED_MARK",
    "ROUNDS",
    "RetrievalBenchmarkResult",
    "TARGETS",
    "WARMUP",
    "op_mark",
    "run_retrieval_benchmark",
    "summary_rows",
    "with_shards",
]

TARGETS: dict[str, float] = {"p50_ms": 2.0, "recall": 0.95}
"""Upper bound on the p50 latency (ms) and lower bound on recall@k of the approximate index."""

HPO = "hpo"
#: Cosine gap to the exact k-th best under which a returned fact counts as a near-tie.
TIE_TOLERANCE = 1e-3
#: Interleaved timing rounds of every setting (:func:`_time_rounds`).
ROUNDS = 3
#: Untimed queries each setting (and each end-to-end measure) answers before it is timed.
WARMUP = 10


@dataclass(frozen=True)
class IndexPlan:
    """One index to build at one size, with the search knob values to sweep."""

    config: IndexConfig
    sweep: tuple[int, ...] = ()


#: Shard counts of the sharded variants in :data:`DEFAULT_PLANS`.
DEFAULT_SHARDS: tuple[int, ...] = (2, 4)
#: Index kinds that get sharded variants.
SHARDED_KINDS: tuple[str, ...] = ("flat", "ivfpq")


def with_shards(
    plans: Sequence[IndexPlan],
    shards: Sequence[int] = DEFAULT_SHARDS,
    kinds: Sequence[str] = SHARDED_KINDS,
) -> tuple[IndexPlan, ...]:
    """``plans`` followed by a copy of each unsharded plan of ``kinds`` per shard count."""
    extra = [
        IndexPlan(replace(plan.config, shards=n), plan.sweep)
        for n in shards
        for plan in plans
        if plan.config.kind in kinds and not plan.config.is_sharded and n > 1
    ]
    return (*plans, *extra)


_LARGE_IVFPQ = IndexConfig(
    kind="ivfpq", ivf_nlist=2048, pq_m=32, pq_refine="sq8", refine_k_factor=8, train_size=100_000
)
_UNSHARDED_PLANS: dict[str, tuple[IndexPlan, ...]] = {
    HPO: (
        IndexPlan(IndexConfig(kind="flat")),
        IndexPlan(
            IndexConfig(kind="hnsw", hnsw_m=32, hnsw_ef_construction=40), (32, 64, 128, 256, 512)
        ),
        IndexPlan(IndexConfig(kind="ivf", train_size=100_000), (8, 16, 32, 64, 128, 256)),
        IndexPlan(
            IndexConfig(
                kind="ivfpq", pq_m=32, pq_refine="sq8", refine_k_factor=8, train_size=100_000
            ),
            (32, 64, 128, 256),
        ),
    ),
    "medium": (
        IndexPlan(IndexConfig(kind="flat")),
        IndexPlan(
            IndexConfig(kind="hnsw", hnsw_m=16, hnsw_ef_construction=40), (32, 64, 128, 256, 512)
        ),
        IndexPlan(
            IndexConfig(kind="ivf", ivf_nlist=2048, train_size=100_000), (8, 16, 32, 64, 128)
        ),
        IndexPlan(_LARGE_IVFPQ, (8, 16, 32, 64)),
    ),
    "large": (IndexPlan(IndexConfig(kind="flat")), IndexPlan(_LARGE_IVFPQ, (8, 16, 32, 64))),
}
#: Index plans per dataset: ``"hpo"``, ``"medium"`` (synthetic sizes up to
#: :data:`MEDIUM_MAX`) and ``"large"``; flat and IVF-PQ also with 2 and 4 shards.
DEFAULT_PLANS: dict[str, tuple[IndexPlan, ...]] = {
    name: with_shards(plans) for name, plans in _UNSHARDED_PLANS.items()
}
#: Synthetic sizes at or below this use the ``"medium"`` plans.
MEDIUM_MAX = 2_000_000


@dataclass
class IndexRun:
    """One index at one search setting.

    Attributes:
        dataset: ``"hpo"`` or ``"synthetic-<n>"``.
        num_vectors: vectors indexed.
        dim: their dimension.
        kind: index kind.
        params: build parameters and the search knob of this row.
        build_seconds: train + add time (HPO: also composing the fact vectors; synthetic:
            drawing the vectors left out).
        index_bytes: serialised index size.
        rss_delta_bytes: process RSS growth while building (the previous index still held,
            so not net of one freed).
        p50_ms: single-query latency of the index search: the median over the
            :data:`ROUNDS` interleaved rounds of each round's p50.
        p50_ms_min, p50_ms_max, p50_ms_rounds: the rounds' p50s: their min, max, and each.
        p99_ms, mean_ms: over every timed call.
        recall: recall@k against exact search (1 for flat): the share of the exact top-k ids
            that the index returns.
        recall_tolerant: the share of returned facts whose exact cosine is within
            :data:`TIE_TOLERANCE` of the exact k-th best (HPO only: many facts differ only in
            one label and score within 1e-3 of each other, so which of them fill the last
            places is a near-tie).
        operating_point: this row is the kind's chosen search setting.
        end_to_end_p50_ms, end_to_end_p99_ms: ``FactIndex.search`` latency (HPO only).
        shards: sub-indexes searched together (1: not sharded).
        recall_target_missed: the operating point is only the best recall: no setting of
            this index reached recall@k >= ``TARGETS["recall"]``.
    """

    dataset: str
    num_vectors: int
    dim: int
    kind: str
    params: dict[str, Any]
    build_seconds: float
    index_bytes: int
    rss_delta_bytes: int
    p50_ms: float
    p99_ms: float
    mean_ms: float
    recall: float
    recall_tolerant: float | None = None
    operating_point: bool = False
    end_to_end_p50_ms: float | None = None
    end_to_end_p99_ms: float | None = None
    shards: int = 1
    p50_ms_min: float | None = None
    p50_ms_max: float | None = None
    p50_ms_rounds: list[float] = field(default_factory=list)
    recall_target_missed: bool = False

    @property
    def label(self) -> str:
        """The kind, with the shard count when sharded (``ivfpq x4``)."""
        return self.kind if self.shards == 1 else f"{self.kind} x{self.shards}"


@dataclass
class RetrievalBenchmarkResult:
    """Everything :func:`run_retrieval_benchmark` measured."""

    machine: dict[str, Any]
    config: dict[str, Any]
    runs: list[IndexRun]
    datasets: dict[str, dict[str, Any]] = field(default_factory=dict)
    text_check: dict[str, Any] | None = None
    checks: dict[str, bool] = field(default_factory=dict)
    load_average_end: list[float] | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _rss() -> int:
    import psutil

    return int(psutil.Process().memory_info().rss)


def _load_average() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):
        return None


def _percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=np.float64), q)) if values else float("nan")


def _recall(exact: np.ndarray, approx: np.ndarray) -> float:
    hits = [
        len(set(e[e >= 0]) & set(a[a >= 0])) / max(1, int((e >= 0).sum()))
        for e, a in zip(exact, approx, strict=True)
    ]
    return float(np.mean(hits))


def _time_rounds(
    searches: Sequence[Callable[[np.ndarray], np.ndarray]],
    queries: np.ndarray,
    rounds: int = ROUNDS,
    warmup: int = WARMUP,
) -> list[tuple[list[list[float]], np.ndarray]]:
    """Time settings against each other; per setting, the milliseconds of each call by
    round, and the ids it returned for each query.

    Every setting first answers ``min(warmup, n)`` queries untimed. Then, in each round,
    every setting in turn answers that round's share of the queries (every ``rounds``-th,
    from the round's number), the order of the settings reversed every other round: each
    query is timed once per setting, as in one pass, and a load that changes during the run
    weighs on every setting alike.
    """
    n = len(queries)
    rounds = max(1, min(rounds, n))
    for search in searches:
        for q in queries[: min(warmup, n)]:
            search(q)
    times: list[list[list[float]]] = [[[] for _ in range(rounds)] for _ in searches]
    found: list[list[np.ndarray]] = [[np.empty(0)] * n for _ in searches]
    order = list(range(len(searches)))
    for r in range(rounds):
        for i in order if r % 2 == 0 else order[::-1]:
            for j in range(r, n, rounds):
                t0 = time.perf_counter()
                out = searches[i](queries[j])
                times[i][r].append((time.perf_counter() - t0) * 1e3)
                found[i][j] = out
    return [(times[i], np.stack(found[i])) for i in range(len(searches))]


def _latency(per_round: Sequence[Sequence[float]]) -> dict[str, Any]:
    """The :class:`IndexRun` latency fields of one setting's timed calls, by round."""
    p50s = [statistics.median(times) for times in per_round]
    every = [t for times in per_round for t in times]
    return {
        "p50_ms": statistics.median(p50s),
        "p50_ms_min": min(p50s),
        "p50_ms_max": max(p50s),
        "p50_ms_rounds": p50s,
        "p99_ms": _percentile(every, 99),
        "mean_ms": statistics.fmean(every),
    }


def _search_one(index: Any, params: Any, k: int, q: np.ndarray) -> np.ndarray:
    return index.search(q.reshape(1, -1), k, params=params)[1][0]


def _pad(ids: np.ndarray, k: int) -> np.ndarray:
    out = np.full(k, -1, dtype=np.int64)
    out[: min(k, len(ids))] = ids[:k]
    return out


def _knob(config: IndexConfig, value: int) -> IndexConfig:
    if config.kind == "hnsw":
        return replace(config, hnsw_ef_search=value)
    return replace(config, ivf_nprobe=value)


def _knob_params(config: IndexConfig, value: int | None) -> dict[str, Any]:
    params: dict[str, Any] = {}
    if config.kind == "hnsw":
        params = {"M": config.hnsw_m, "efConstruction": config.hnsw_ef_construction}
        if value is not None:
            params["efSearch"] = value
    elif config.kind in ("ivf", "ivfpq"):
        params = {"nlist": config.ivf_nlist or "auto", "train_size": config.train_size}
        if config.kind == "ivfpq":
            params.update(pq_m=config.pq_m, pq_bits=config.pq_bits, coarse="hnsw")
            if config.pq_refine:
                params.update(refine=config.pq_refine, k_factor=config.refine_k_factor)
        if value is not None:
            params["nprobe"] = value
    return params


def _choose_operating_points(runs: list[IndexRun]) -> None:
    """Mark, per (dataset, kind, shards), the row with the lowest median p50 among those with
    recall >= target; else the best recall, flagged :attr:`IndexRun.recall_target_missed`."""
    groups: dict[tuple[str, str, int], list[IndexRun]] = {}
    for r in runs:
        groups.setdefault((r.dataset, r.kind, r.shards), []).append(r)
    for rows in groups.values():
        good = [r for r in rows if r.recall >= TARGETS["recall"]]
        best = min(good, key=lambda r: r.p50_ms) if good else max(rows, key=lambda r: r.recall)
        for r in rows:
            r.operating_point = r is best
            r.recall_target_missed = r is best and not good


def _families(plans: Sequence[IndexPlan]) -> list[list[IndexPlan]]:
    """The plans by index: each plan with its sharded copies (the same settings otherwise),
    in the order of their first plan; an index and its copies are timed against each other."""
    families: dict[str, list[IndexPlan]] = {}
    for plan in plans:
        key = json.dumps(replace(plan.config, shards=1).to_dict(), sort_keys=True, default=str)
        families.setdefault(key, []).append(plan)
    return list(families.values())


@dataclass
class _Built:
    """One index built for the benchmark, and what building it took."""

    plan: IndexPlan
    index: Any
    seconds: float
    nbytes: int
    rss: int


def _family_rows(
    dataset: str,
    num_vectors: int,
    dim: int,
    built: Sequence[_Built],
    queries: np.ndarray,
    k: int,
    exact_ids: np.ndarray,
    tolerant: Callable[[np.ndarray], float] | None = None,
) -> list[IndexRun]:
    """One row per setting (index and knob value) of a family, timed against each other
    (:func:`_time_rounds`), with each index's operating point marked."""
    settings = [(b, value) for b in built for value in b.plan.sweep or (None,)]
    searches = []
    for b, value in settings:
        cfg = b.plan.config if value is None else _knob(b.plan.config, value)
        searches.append(partial(_search_one, b.index, search_parameters(b.index, cfg, k), k))
    rows = []
    for (b, value), (per_round, ids) in zip(settings, _time_rounds(searches, queries), strict=True):
        cfg = b.plan.config if value is None else _knob(b.plan.config, value)
        rows.append(
            IndexRun(
                dataset=dataset,
                num_vectors=num_vectors,
                dim=dim,
                kind=cfg.kind,
                params=_knob_params(cfg, value),
                build_seconds=round(b.seconds, 3),
                index_bytes=int(b.nbytes),
                rss_delta_bytes=b.rss,
                recall=_recall(exact_ids, ids),
                recall_tolerant=None if tolerant is None else tolerant(ids),
                shards=cfg.shards,
                **_latency(per_round),
            )
        )
    _choose_operating_points(rows)
    return rows


# ---- HPO facts ---------------------------------------------------------------------------
def _hpo_queries(fact_index: FactIndex, n: int, seed: int) -> tuple[np.ndarray, list[str]]:
    rng = np.random.default_rng(seed)
    used = np.unique(np.concatenate([fact_index.facts.subject, fact_index.facts.object]))
    rows = rng.choice(used, size=min(n, len(used)), replace=False)
    queries = np.stack([fact_index.query_vector(None, [int(r)]) for r in rows])
    return queries, [fact_index.facts.nodes[int(r)] for r in rows]


def _end_to_end_ms(fact_index: FactIndex, entity_iris: Sequence[str], k: int) -> list[float]:
    """Milliseconds of ``FactIndex.search`` for each entity, after :data:`WARMUP` untimed
    searches."""
    for iri in entity_iris[:WARMUP]:
        fact_index.search(None, entity_iris=[iri], k=k)
    times = []
    for iri in entity_iris:
        t0 = time.perf_counter()
        fact_index.search(None, entity_iris=[iri], k=k)
        times.append((time.perf_counter() - t0) * 1e3)
    return times


def _bench_hpo(
    fact_index: FactIndex,
    plans: Sequence[IndexPlan],
    k: int,
    num_queries: int,
    seed: int,
) -> tuple[list[IndexRun], dict[str, Any]]:
    faiss = import_faiss()
    original = fact_index.config
    queries, entity_iris = _hpo_queries(fact_index, num_queries, seed)
    n, dim = len(fact_index), fact_index.dim
    runs: list[IndexRun] = []
    exact_ids: np.ndarray | None = None
    info: dict[str, Any] = {"num_facts": n, "dim": dim, "num_queries": len(queries)}
    kth: np.ndarray | None = None

    def tolerant(ids: np.ndarray) -> float:
        assert kth is not None
        found = fact_index.fact_vectors(np.maximum(ids, 0).ravel()).reshape(*ids.shape, -1)
        sims = np.einsum("qkd,qd->qk", found, queries)
        return float(((sims >= kth - TIE_TOLERANCE) & (ids >= 0)).mean())

    for family in _families(plans):
        built: list[_Built] = []
        for plan in family:
            # the index before stays referenced while this one is built: rebuild_index would
            # free it inside the measured window, and the growth would read net of it
            held = fact_index.index
            gc.collect()
            rss0 = _rss()
            seconds = fact_index.rebuild_index(replace(plan.config, use_gpu=False))
            rss = _rss() - rss0
            del held
            nbytes = index_nbytes(fact_index.index)
            logger.info(
                "hpo %s x%d built in %.1f s (%.0f MB)",
                plan.config.kind,
                plan.config.shards,
                seconds,
                nbytes / 1e6,
            )
            if exact_ids is None:
                if plan.config.kind != "flat" or plan.config.is_sharded:
                    raise ValueError(
                        "the first HPO plan must be unsharded flat (it gives the exact top-k)"
                    )
                exact_sims, exact_ids = fact_index.index.search(queries, k)
                kth = exact_sims[:, -1:]
            built.append(_Built(plan, fact_index.index, seconds, nbytes, rss))
        assert exact_ids is not None  # the first family's first plan is flat
        rows = _family_rows(
            HPO,
            n,
            dim,
            built,
            queries,
            k,
            exact_ids,
            None if fact_index.config.exact_text else tolerant,
        )
        for b in built:  # end to end, at each index's operating point
            chosen = next(
                r
                for r in rows
                if r.operating_point
                and r.kind == b.plan.config.kind
                and r.shards == b.plan.config.shards
            )
            value = chosen.params.get("efSearch", chosen.params.get("nprobe"))
            fact_index.index = b.index
            fact_index.config = replace(
                fact_index.config,
                index=b.plan.config if value is None else _knob(b.plan.config, int(value)),
            )
            e2e = _end_to_end_ms(fact_index, entity_iris, k)
            chosen.end_to_end_p50_ms = statistics.median(e2e)
            chosen.end_to_end_p99_ms = _percentile(e2e, 99)
        runs.extend(rows)
        del built
    info["faiss_threads"] = faiss.omp_get_max_threads()
    fact_index.rebuild_index(original.index)
    fact_index.config = original
    return runs, info


# ---- synthetic scale-ups -----------------------------------------------------------------
@dataclass(frozen=True)
class SyntheticFacts:
    """Clustered unit vectors generated chunk by chunk (the same chunks for the same seed).

    A two-level Gaussian mixture, standing in for the hierarchy of ontology facts (facts of
    one subject lie close together, subjects of one branch less so): ``size /
    points_per_centre`` cluster centres, each a unit vector around one of
    ``sqrt(#centres)`` topics (cosine about ``1 / sqrt(1 + spread^2)`` to its
    topic), and points around their centre with noise of norm ``noise``. A single level of
    random centres (all nearly orthogonal in 128 dimensions, unlike real embeddings) leaves
    IVF no structure to summarise once the clusters outnumber its lists: with 19.5k such
    centres at 5M vectors, IVF-PQ with 2048 lists stalled at recall@32 = 0.86 whatever the
    ``nprobe`` and re-ranking depth.

    Attributes:
        size: number of vectors.
        dim: dimension.
        seed: seed of the centres and of each chunk.
        points_per_centre: average cluster size.
        spread: norm of a centre's offset from its topic (relative to a unit topic).
        noise: norm of the Gaussian noise around a unit centre.
        chunk: vectors per chunk.
    """

    size: int
    dim: int
    seed: int = 0
    points_per_centre: int = 256
    spread: float = 1.0
    noise: float = 0.6
    chunk: int = 250_000

    def centres(self) -> np.ndarray:
        rng = np.random.default_rng([self.seed, 0])
        count = max(16, self.size // self.points_per_centre)
        topics = rng.standard_normal((max(4, int(np.sqrt(count))), self.dim)).astype(np.float32)
        topics /= np.linalg.norm(topics, axis=1, keepdims=True)
        offsets = rng.standard_normal((count, self.dim)).astype(np.float32)
        offsets *= self.spread / np.sqrt(self.dim)
        c = topics[rng.integers(0, len(topics), count)] + offsets
        return c / np.linalg.norm(c, axis=1, keepdims=True)

    def _draw(self, centres: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
        which = rng.integers(0, len(centres), n)
        scale = self.noise / np.sqrt(self.dim)
        x = centres[which] + scale * rng.standard_normal((n, self.dim), dtype=np.float32)
        return x / np.linalg.norm(x, axis=1, keepdims=True)

    def chunks(self) -> Iterator[tuple[int, np.ndarray]]:
        """``(first id, vectors)`` of each chunk, in id order."""
        centres = self.centres()
        for i, lo in enumerate(range(0, self.size, self.chunk)):
            rng = np.random.default_rng([self.seed, 1, i])
            yield lo, self._draw(centres, min(self.chunk, self.size - lo), rng)

    def queries(self, n: int) -> np.ndarray:
        """Query vectors drawn like the data (new points, not copies of indexed ones)."""
        return self._draw(self.centres(), n, np.random.default_rng([self.seed, 2]))


def exact_top_k(data: SyntheticFacts, queries: np.ndarray, k: int) -> tuple[np.ndarray, float]:
    """Exact top-k ids of ``queries`` over ``data`` by a streaming scan, and its seconds."""
    started = time.perf_counter()
    best_ids = np.full((len(queries), 0), -1, dtype=np.int64)
    best = np.zeros((len(queries), 0), dtype=np.float32)
    for lo, x in data.chunks():
        sims = queries @ x.T
        ids = np.broadcast_to(np.arange(lo, lo + len(x), dtype=np.int64), sims.shape)
        sims = np.concatenate([best, sims], axis=1)
        ids = np.concatenate([best_ids, ids], axis=1)
        top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        best = np.take_along_axis(sims, top, axis=1)
        best_ids = np.take_along_axis(ids, top, axis=1)
    order = np.argsort(-best, axis=1, kind="stable")
    return np.take_along_axis(best_ids, order, axis=1), time.perf_counter() - started


def _bench_synthetic(
    data: SyntheticFacts,
    plans: Sequence[IndexPlan],
    k: int,
    num_queries: int,
) -> tuple[list[IndexRun], dict[str, Any]]:
    name = f"synthetic-{data.size}"
    queries = data.queries(num_queries)
    exact_ids, exact_seconds = exact_top_k(data, queries, k)
    info = {
        "num_vectors": data.size,
        "dim": data.dim,
        "centres": len(data.centres()),
        "topics": max(4, int(np.sqrt(len(data.centres())))),
        "spread": data.spread,
        "noise": data.noise,
        "num_queries": num_queries,
        "exact_scan_ms_per_query": exact_seconds * 1e3 / num_queries,
    }
    logger.info("%s: exact top-%d in %.1f s", name, k, exact_seconds)
    runs: list[IndexRun] = []
    for family in _families(plans):
        built: list[_Built] = []
        for plan in family:
            gc.collect()
            rss0 = _rss()
            index, seconds = _build_synthetic(data, plan.config)
            rss = _rss() - rss0
            nbytes = (
                index.ntotal * data.dim * 4 + 64
                if plan.config.kind == "flat"
                else index_nbytes(index)
            )
            logger.info(
                "%s %s x%d built in %.1f s", name, plan.config.kind, plan.config.shards, seconds
            )
            built.append(_Built(plan, index, seconds, nbytes, rss))
        runs.extend(_family_rows(name, data.size, data.dim, built, queries, k, exact_ids))
        del built, index
        gc.collect()
    return runs, info


def _build_synthetic(data: SyntheticFacts, config: IndexConfig) -> tuple[Any, float]:
    """The index of ``data``, and the seconds spent training it and adding to it: each chunk
    is drawn before its clock starts."""
    index: Any = None
    seconds = 0.0
    for _, x in data.chunks():
        started = time.perf_counter()
        if index is None:
            train = x[: config.train_size] if config.needs_training else None
            index = build_index(data.dim, config, train)
        add_vectors(index, x, total=data.size)
        seconds += time.perf_counter() - started
    return index, seconds


# ---- compositional text check ------------------------------------------------------------
def text_check(fact_index: FactIndex, encoder: TextEncoder, n: int, seed: int) -> dict[str, Any]:
    """How close compositional text vectors are to embedded verbalisations, on ``n`` facts."""
    rng = np.random.default_rng(seed)
    ids = np.sort(rng.choice(len(fact_index), size=min(n, len(fact_index)), replace=False))
    started = time.perf_counter()
    exact = fact_index.exact_text_vectors(ids, encoder)
    seconds = time.perf_counter() - started
    composed = fact_index.composed_text_vectors(ids)
    own = (exact * composed).sum(1)
    cross = exact @ composed.T
    others = exact @ exact.T
    off = ~np.eye(len(ids), dtype=bool)
    return {
        "num_facts": len(ids),
        "cosine_mean": float(own.mean()),
        "cosine_p10": float(np.percentile(own, 10)),
        "random_pair_cosine_mean": float(others[off].mean()),
        "top1_identification": float((cross.argmax(1) == np.arange(len(ids))).mean()),
        "exact_seconds_per_fact": seconds / max(1, len(ids)),
    }


# ---- reports -----------------------------------------------------------------------------
def _checks(runs: list[IndexRun]) -> dict[str, bool]:
    hpo = [r for r in runs if r.dataset == HPO and r.kind != "flat"]
    ok = [r for r in hpo if r.p50_ms <= TARGETS["p50_ms"] and r.recall >= TARGETS["recall"]]
    # the targets name the approximate index; flat's latency is reported, not checked
    return (
        {"hpo_approximate_p50_and_recall": bool(ok)} if any(r.dataset == HPO for r in runs) else {}
    )


def _fmt_params(params: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in params.items()) or "-"


def _p50(r: IndexRun) -> str:
    """The median p50 with the rounds' [min-max]."""
    if r.p50_ms_min is None or r.p50_ms_max is None:
        return f"{r.p50_ms:.3f}"
    return f"{r.p50_ms:.3f} [{r.p50_ms_min:.3f}-{r.p50_ms_max:.3f}]"


#: How a row that is its index's operating point is marked; :func:`op_mark`.
MISSED_MARK = "best recall, target not met"


def op_mark(r: IndexRun | dict[str, Any]) -> str:
    """``"op"`` for an operating point that meets the recall target, :data:`MISSED_MARK` for
    one chosen as the best recall because no setting met it, ``""`` for other rows (also
    for an IndexRun's dict, as the JSON holds it)."""
    row = asdict(r) if isinstance(r, IndexRun) else r
    if not row.get("operating_point"):
        return ""
    return MISSED_MARK if row.get("recall_target_missed") else "op"


def to_markdown(result: RetrievalBenchmarkResult) -> str:
    """The result as a Markdown report (machine, targets, one table row per setting)."""
    m = result.machine
    lines = [
        "# Fact retrieval benchmark",
        "",
        f"Machine: {m.get('cpu')}, {m.get('cores_usable')} usable cores, {m.get('ram_gib')} GiB; "
        f"load average at start {m.get('load_average')}, at end {result.load_average_end} "
        "(other jobs share the machine: latencies are upper bounds).",
        f"faiss threads {result.config.get('faiss_threads')}, OMP_NUM_THREADS "
        f"{result.config.get('omp_num_threads_env') or 'unset'} (a sharded index searches each "
        "shard in its own thread, with that many OpenMP threads).",
        f"k = {result.config['k']}; targets: p50 <= {TARGETS['p50_ms']} ms and recall@k >= "
        f"{TARGETS['recall']} for an approximate index on the HPO facts.",
        f"Timing: each setting answers {result.config.get('warmup', WARMUP)} queries untimed, "
        f"then the queries in {result.config.get('rounds', ROUNDS)} interleaved rounds (each "
        "round a share of the queries, answered by every setting of an index and of its "
        "sharded copies in turn, the order reversed every other round). p50 is the median of "
        "the rounds' p50s [min-max]; p99 is over every timed call. Build s is the time in "
        "faiss (drawing the synthetic vectors left out); RSS growth is measured with the "
        "index before still held.",
        "",
        "| dataset | vectors | kind | params | build s | p50 ms [min-max] | p99 ms | recall@k "
        f"| recall, ties ±{TIE_TOLERANCE:g} | index MB | RSS growth MB "
        "| end-to-end p50 / p99 ms |",
        "|---|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in result.runs:
        e2e = (
            f"{r.end_to_end_p50_ms:.2f} / {r.end_to_end_p99_ms:.2f}"
            if r.end_to_end_p50_ms is not None
            else ""
        )
        mark = op_mark(r) if r.kind != "flat" else ""
        mark = f" **({mark})**" if mark else ""
        lines.append(
            f"| {r.dataset} | {r.num_vectors:,} | {r.label}{mark} | {_fmt_params(r.params)} | "
            f"{r.build_seconds:.1f} | {_p50(r)} | {r.p99_ms:.3f} | {r.recall:.3f} | "
            f"{'' if r.recall_tolerant is None else f'{r.recall_tolerant:.3f}'} | "
            f"{r.index_bytes / 1e6:.0f} | {r.rss_delta_bytes / 1e6:.0f} | {e2e} |"
        )
    lines += [
        "",
        f"(op) = operating point: the setting with the lowest median p50 among those with "
        f"recall@k >= {TARGETS['recall']}; ({MISSED_MARK}) = no setting of that index reached "
        "it: the operating point is only its best recall. `x2`, `x4`: the index split into "
        "that many shards (faiss `IndexShards`, one search thread per shard); index MB is the "
        "sum over the shards.",
        "",
        *sharding_table(result),
    ]
    for name, info in result.datasets.items():
        lines.append(f"- {name}: " + ", ".join(f"{k}={v}" for k, v in info.items()))
    if result.text_check:
        t = result.text_check
        lines += [
            "",
            "Compositional text vectors against embedded verbalisations "
            f"({t['num_facts']} HPO facts): mean cosine {t['cosine_mean']:.3f} (10th percentile "
            f"{t['cosine_p10']:.3f}; random pairs of verbalisations "
            f"{t['random_pair_cosine_mean']:.3f}); "
            f"a verbalisation's nearest compositional vector is its own fact's in "
            f"{t['top1_identification']:.1%} of cases.",
        ]
    lines += ["", "Checks:"]
    lines += [f"- {name}: {'pass' if ok else 'FAIL'}" for name, ok in result.checks.items()]
    return "\n".join(lines) + "\n"


def sharding_table(result: RetrievalBenchmarkResult) -> list[str]:
    """Markdown lines comparing each sharded operating point with its unsharded kind."""
    chosen = [r for r in result.runs if r.operating_point]
    base = {(r.dataset, r.kind): r for r in chosen if r.shards == 1}
    rows = [r for r in chosen if r.shards > 1 and (r.dataset, r.kind) in base]
    if not rows:
        return []
    lines = [
        "Sharded against unsharded, at each index's operating point (timed against each "
        "other, in the same rounds):",
        "",
        "| dataset | index | p50 ms [min-max] (unsharded) | p50 sharded / unsharded, "
        "median of rounds [min-max] | recall@k (unsharded) | index MB (unsharded) "
        "| build s (unsharded) |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in sorted(rows, key=lambda r: (r.num_vectors, r.dataset, r.kind, r.shards)):
        b = base[(r.dataset, r.kind)]
        missed = f" ({MISSED_MARK})" if r.recall_target_missed or b.recall_target_missed else ""
        lines.append(
            f"| {r.dataset} | {r.label}{missed} | {_p50(r)} ({_p50(b)}) | {_ratio(r, b)} "
            f"| {r.recall:.3f} ({b.recall:.3f}) | {r.index_bytes / 1e6:.0f} "
            f"({b.index_bytes / 1e6:.0f}) | {r.build_seconds:.1f} ({b.build_seconds:.1f}) |"
        )
    return [*lines, ""]


def _ratio(r: IndexRun, base: IndexRun) -> str:
    """``r``'s p50 over ``base``'s, round by round: median [min-max]."""
    ratios = [a / b for a, b in zip(r.p50_ms_rounds, base.p50_ms_rounds, strict=False) if b > 0]
    if not ratios:
        return "-"
    return f"{statistics.median(ratios):.2f} [{min(ratios):.2f}-{max(ratios):.2f}]"


def plot(result: RetrievalBenchmarkResult, path: Path) -> None:
    """PNG of latency and memory against the number of facts, per index kind.

    Synthetic sizes are joined by lines; the HPO facts (another distribution) are stars.
    Each point is the kind's operating point, labelled with its recall@k; sharded variants
    have the kind's colour, dashed (2 shards) or dash-dotted (4 and more), with p50 and index
    size only.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 4.5))
    FigureCanvasAgg(fig)
    ax_lat, ax_mem = fig.subplots(1, 2)
    chosen = [r for r in result.runs if r.operating_point]
    colours = {"flat": "tab:blue", "hnsw": "tab:green", "ivf": "tab:purple", "ivfpq": "tab:red"}

    def positive(values: list[float]) -> list[float]:
        return [v if v > 0 else float("nan") for v in values]

    for kind, shards in sorted({(r.kind, r.shards) for r in chosen}):
        colour = colours.get(kind, "black")
        line = "-" if shards == 1 else ("--" if shards == 2 else "-.")
        for real in (False, True):
            rows = sorted(
                (
                    r
                    for r in chosen
                    if r.kind == kind and r.shards == shards and (r.dataset == HPO) == real
                ),
                key=lambda r: r.num_vectors,
            )
            if not rows:
                continue
            style = {"marker": "*", "markersize": 11, "linestyle": "none"} if real else {}
            tag = f"{rows[0].label}{' (HPO)' if real else ''}"
            xs = [r.num_vectors for r in rows]
            ax_lat.plot(
                xs,
                [r.p50_ms for r in rows],
                color=colour,
                **{"marker": "o", "linestyle": line, **style},
                label=f"{tag} p50",
            )
            ax_mem.plot(
                xs,
                positive([r.index_bytes / 1e6 for r in rows]),
                color=colour,
                **{"marker": "o", "linestyle": line, **style},
                label=f"{tag} index",
            )
            if shards == 1:  # keep the plot readable: p50 and size for shards
                ax_lat.plot(
                    xs,
                    [r.p99_ms for r in rows],
                    color=colour,
                    alpha=0.5,
                    **{"marker": "x", "linestyle": ":", **style},
                    label=f"{tag} p99",
                )
                ax_mem.plot(
                    xs,
                    positive([r.rss_delta_bytes / 1e6 for r in rows]),
                    color=colour,
                    alpha=0.5,
                    **{"marker": "x", "linestyle": ":", **style},
                    label=f"{tag} RSS growth",
                )
            for r in rows:
                missed = " below target" if r.recall_target_missed else ""
                ax_lat.annotate(f"{r.recall:.2f}{missed}", (r.num_vectors, r.p50_ms), fontsize=7)
    ax_lat.axhline(TARGETS["p50_ms"], color="grey", linestyle="--", linewidth=0.8)
    for ax, label in (
        (ax_lat, f"query latency (ms, k={result.config['k']})"),
        (ax_mem, "memory (MB)"),
    ):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("facts indexed")
        ax.set_ylabel(label)
        ax.grid(True, which="both", linewidth=0.3)
        ax.legend(fontsize=6, ncol=2)
    ax_lat.set_title(
        "p50 (median of rounds) / p99 at each kind's operating point (labels: recall@k; "
        f"'below target': no setting reached {TARGETS['recall']})",
        fontsize=8,
    )
    ax_mem.set_title("serialised index size and RSS growth while building", fontsize=9)
    fig.tight_layout()
    png = io.BytesIO()
    fig.savefig(png, format="png", dpi=120)
    write_atomic(path, png.getvalue())


def summary_rows(result: RetrievalBenchmarkResult) -> list[tuple[str, str]]:
    """(measure, value) pairs for a console table: one per operating point (one that misses
    the recall target says so)."""
    out = []
    for r in result.runs:
        if r.operating_point:
            missed = f" ({MISSED_MARK})" if r.recall_target_missed else ""
            out.append(
                (
                    f"{r.dataset} {r.label}",
                    f"p50 {r.p50_ms:.2f} ms, p99 {r.p99_ms:.2f} ms, recall {r.recall:.3f}"
                    f"{missed}, build {r.build_seconds:.0f} s, {r.index_bytes / 1e6:.0f} MB "
                    f"({_fmt_params(r.params)})",
                )
            )
    return out


def run_retrieval_benchmark(
    kg: KnowledgeGraph | None,
    out_dir: Path,
    sizes: Sequence[str | int] = (HPO, 1_000_000, 5_000_000),
    *,
    fact_index: FactIndex | None = None,
    k: int = 32,
    num_queries: int = 300,
    threads: int | None = None,
    text_encoder: TextEncoder | None = None,
    text_check_facts: int = 200,
    plans: dict[str, tuple[IndexPlan, ...]] | None = None,
    seed: int = 0,
) -> RetrievalBenchmarkResult:
    """Measure the index kinds on the HPO facts and on synthetic scale-ups; write the reports.

    Args:
        kg: the HPO KG (its cached fact index is loaded, or built and cached, when
            ``fact_index`` is None); None when only synthetic sizes are run.
        out_dir: folder for ``bench_retrieval.json``, ``.md`` and ``.png``.
        sizes: ``"hpo"`` and/or synthetic sizes.
        fact_index: the HPO fact index to measure; its index is rebuilt in memory for each
            kind and restored at the end.
        k: neighbours per query.
        num_queries: queries, each timed once per setting in :data:`ROUNDS` interleaved
            rounds, after :data:`WARMUP` untimed ones.
        threads: faiss OpenMP threads of this thread (None: faiss' default, the usable
            cores). The search threads of sharded indexes are faiss' own and take OpenMP's
            process-wide setting, ``OMP_NUM_THREADS``: set it to the same value for a fair
            comparison.
        text_encoder: the fact index's encoder, for the compositional text check (skipped
            when None or ``text_check_facts`` is 0).
        text_check_facts: facts sampled for that check.
        plans: index plans per dataset (default :data:`DEFAULT_PLANS`).
        seed: seed of queries, synthetic data and samples.
    """
    faiss = import_faiss()
    if threads is not None:
        faiss.omp_set_num_threads(threads)
    plans = plans or DEFAULT_PLANS
    sharded = any(p.config.is_sharded for ps in plans.values() for p in ps)
    if sharded and threads is not None and os.environ.get("OMP_NUM_THREADS") != str(threads):
        logger.warning(
            "threads=%d applies to this thread only: the shards' search threads use "
            "OMP_NUM_THREADS (%s); set OMP_NUM_THREADS=%d to compare like with like",
            threads,
            os.environ.get("OMP_NUM_THREADS", "unset: every core"),
            threads,
        )
    out_dir = output_folder(out_dir)
    # drawn at the end: a run stopped after a size must not leave an older run's plot beside it
    (out_dir / "bench_retrieval.png").unlink(missing_ok=True)
    result = RetrievalBenchmarkResult(
        machine=machine_info(),
        config={
            "k": k,
            "num_queries": num_queries,
            "sizes": [str(s) for s in sizes],
            "faiss_threads": faiss.omp_get_max_threads(),
            # the shards' search threads take OpenMP's process-wide default, not ``threads``
            "omp_num_threads_env": os.environ.get("OMP_NUM_THREADS"),
            "faiss_version": faiss.__version__,
            "seed": seed,
            "rounds": ROUNDS,
            "warmup": WARMUP,
            "plans": {
                name: [{"config": p.config.to_dict(), "sweep": list(p.sweep)} for p in ps]
                for name, ps in plans.items()
            },
        },
        runs=[],
    )
    if HPO in sizes and fact_index is None:
        if kg is None:
            raise ValueError("the 'hpo' size needs the HPO KG or its fact index")
        from fusion.retrieval import FactIndex, default_index_dir

        fact_index = FactIndex.load_or_build(
            default_index_dir(kg), kg, text_encoder=text_encoder, progress=True
        )
    dim = fact_index.dim if fact_index is not None else 128
    for size in sizes:
        if size == HPO:
            if fact_index is None:
                raise ValueError("the 'hpo' size needs the HPO fact index")
            runs, info = _bench_hpo(fact_index, plans[HPO], k, num_queries, seed)
            info["index_build_seconds_with_encoding"] = fact_index.meta.get("build_seconds")
            info["load_average"] = _load_average()
            result.datasets[HPO] = info
        else:
            n = int(size)
            data = SyntheticFacts(n, dim, seed)
            plan = plans["medium" if n <= MEDIUM_MAX else "large"]
            runs, info = _bench_synthetic(data, plan, k, num_queries)
            info["load_average"] = _load_average()
            result.datasets[f"synthetic-{n}"] = info
        result.runs.extend(runs)
        _write(result, out_dir)  # keep what is done if a later size is interrupted
    if fact_index is not None and text_encoder is not None and text_check_facts > 0:
        result.text_check = text_check(fact_index, text_encoder, text_check_facts, seed)
    result.checks = _checks(result.runs)
    result.load_average_end = _load_average()
    _write(result, out_dir)
    plot(result, out_dir / "bench_retrieval.png")
    return result


def _write(result: RetrievalBenchmarkResult, out_dir: Path) -> None:
    write_atomic(
        out_dir / "bench_retrieval.json", json.dumps(result.to_dict(), indent=2, default=str)
    )
    write_atomic(out_dir / "bench_retrieval.md", to_markdown(result))
