"""Review fixes of the retrieval benchmark: warm-up apart from the timed queries, build time
of faiss alone, RSS growth not net of a freed index, operating points below the recall
target flagged, settings timed in interleaved rounds, no stale plot."""

from __future__ import annotations

import json
import time
import weakref
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pytest

import eval.bench_retrieval as bench
from eval.bench_retrieval import (
    IndexPlan,
    IndexRun,
    RetrievalBenchmarkResult,
    SyntheticFacts,
    run_retrieval_benchmark,
    summary_rows,
    to_markdown,
)
from fusion.faiss_index import IndexConfig


@pytest.fixture(scope="module")
def fact_index(kg):
    """The mini HPO's fact index, embedded by a tiny random BERT."""
    from encoders.text import TextEncoder, TextEncoderConfig
    from fusion.retrieval import FactIndex
    from tests.tiny_bert import write_tiny_bert

    folder = write_tiny_bert(Path(kg.path).parent / "tiny_bert", [])
    encoder = TextEncoder(TextEncoderConfig(model_path=str(folder), precision="fp32", device="cpu"))
    return FactIndex.build(kg, text_encoder=encoder)


HPO_PLANS = {"hpo": (IndexPlan(IndexConfig()), IndexPlan(IndexConfig(kind="hnsw"), (16, 64)))}


def test_ten_queries_the_options_minimum_give_end_to_end_figures(fact_index, tmp_path) -> None:
    """The end-to-end warm-up is its own calls: all ten queries are timed (it crashed)."""
    result = run_retrieval_benchmark(
        None,
        tmp_path,
        ["hpo"],
        fact_index=fact_index,
        k=5,
        num_queries=10,
        plans=HPO_PLANS,
        text_check_facts=0,
    )
    chosen = [r for r in result.runs if r.operating_point]
    assert {r.kind for r in chosen} == {"flat", "hnsw"}
    for r in chosen:
        assert r.end_to_end_p50_ms is not None and r.end_to_end_p50_ms > 0
        assert r.end_to_end_p99_ms is not None and r.end_to_end_p99_ms >= r.end_to_end_p50_ms


def test_rss_growth_counts_the_new_index_not_net_of_the_one_it_replaces(
    fact_index, tmp_path, monkeypatch
) -> None:
    """A fake RSS of 1000 per live index: each build reads +1000, the index before it held
    (rebuild_index freed it inside the measured window: 0, or less)."""
    alive: weakref.WeakSet = weakref.WeakSet()
    alive.add(fact_index.index)
    rebuild = type(fact_index).rebuild_index

    def tracked(self, config):
        seconds = rebuild(self, config)
        alive.add(self.index)
        return seconds

    monkeypatch.setattr(type(fact_index), "rebuild_index", tracked)
    monkeypatch.setattr(bench, "_rss", lambda: 1000 * len(alive))
    runs, _ = bench._bench_hpo(fact_index, HPO_PLANS["hpo"], k=5, num_queries=12, seed=0)
    assert [r.rss_delta_bytes for r in runs] == [1000] * len(runs)


@dataclass(frozen=True)
class SlowToDraw(SyntheticFacts):
    """Synthetic vectors that take 0.1 s to draw per chunk."""

    def chunks(self):
        for lo, x in super().chunks():
            time.sleep(0.1)
            yield lo, x


def test_synthetic_build_time_leaves_drawing_the_vectors_out() -> None:
    data = SlowToDraw(2000, 16, chunk=500)  # four chunks: 0.4 s of drawing per build
    runs, _ = bench._bench_synthetic(data, (IndexPlan(IndexConfig()),), k=5, num_queries=12)
    assert runs[0].build_seconds < 0.2


def _row(kind: str, value: int, recall: float, p50: float, shards: int = 1) -> IndexRun:
    return IndexRun(
        dataset="synthetic-1000",
        num_vectors=1000,
        dim=8,
        kind=kind,
        params={"nprobe": value},
        build_seconds=1.0,
        index_bytes=10**6,
        rss_delta_bytes=10**6,
        p50_ms=p50,
        p99_ms=2 * p50,
        mean_ms=p50,
        recall=recall,
        shards=shards,
    )


def test_an_operating_point_below_the_recall_target_is_flagged_wherever_shown() -> None:
    rows = [_row("ivf", 1, 0.60, 0.1), _row("ivf", 4, 0.70, 0.2), _row("ivfpq", 8, 0.97, 0.3)]
    bench._choose_operating_points(rows)
    missed = rows[1]
    assert missed.operating_point and missed.recall_target_missed
    assert rows[2].operating_point and not rows[2].recall_target_missed
    result = RetrievalBenchmarkResult(machine={}, config={"k": 10}, runs=rows)
    markdown = to_markdown(result)
    assert f"| ivf **({bench.MISSED_MARK})** |" in markdown
    assert "| ivfpq **(op)** |" in markdown
    summary = dict(summary_rows(result))
    assert bench.MISSED_MARK in summary["synthetic-1000 ivf"]
    assert bench.MISSED_MARK not in summary["synthetic-1000 ivfpq"]
    saved = json.loads(json.dumps(result.to_dict()))["runs"][1]
    assert bench.op_mark(saved) == bench.MISSED_MARK


def test_settings_are_timed_in_interleaved_rounds_after_an_untimed_warm_up() -> None:
    calls: list[tuple[str, int]] = []

    def setting(name: str):
        def search(q: np.ndarray) -> np.ndarray:
            calls.append((name, int(q[0])))
            return np.array([int(q[0])])

        return search

    queries = np.arange(7, dtype=np.float32).reshape(-1, 1)
    timed = bench._time_rounds([setting("a"), setting("b")], queries, rounds=3, warmup=2)
    assert calls[:4] == [("a", 0), ("a", 1), ("b", 0), ("b", 1)]  # warm-up, untimed
    rounds = [("a", [0, 3, 6]), ("b", [0, 3, 6]), ("b", [1, 4]), ("a", [1, 4])]
    rounds += [("a", [2, 5]), ("b", [2, 5])]  # the order reversed every other round
    assert calls[4:] == [(name, q) for name, qs in rounds for q in qs]
    for per_round, ids in timed:
        assert [len(t) for t in per_round] == [3, 2, 2]  # each query timed once
        assert ids.ravel().tolist() == list(range(7))  # ids in query order


def test_p50_is_the_median_of_the_rounds_with_their_range() -> None:
    got = bench._latency([[1.0, 2.0, 3.0], [10.0, 11.0], [4.0, 5.0, 6.0]])
    assert (got["p50_ms"], got["p50_ms_min"], got["p50_ms_max"]) == (5.0, 2.0, 10.5)
    assert got["p50_ms_rounds"] == [2.0, 10.5, 5.0]


def test_sharded_and_unsharded_copies_are_timed_in_the_same_rounds(tmp_path) -> None:
    ivf = IndexConfig(kind="ivf", ivf_nlist=16)
    plans = {"medium": bench.with_shards((IndexPlan(ivf, (2, 16)),), (2,), ("ivf",))}
    result = run_retrieval_benchmark(
        None, tmp_path, sizes=[2000], k=5, num_queries=12, plans=plans, text_check_facts=0
    )
    assert result.config["rounds"] == bench.ROUNDS
    for r in result.runs:
        assert len(r.p50_ms_rounds) == bench.ROUNDS
        assert r.p50_ms_min <= r.p50_ms <= r.p50_ms_max
    markdown = (tmp_path / "bench_retrieval.md").read_text(encoding="utf-8")
    assert "interleaved rounds" in markdown
    assert "p50 sharded / unsharded, median of rounds [min-max]" in markdown


def test_a_run_stopped_after_a_size_leaves_no_older_plot(tmp_path, monkeypatch) -> None:
    old_plot = tmp_path / "bench_retrieval.png"
    old_plot.write_bytes(b"an older run's plot")
    real = bench._bench_synthetic
    sizes_done: list[int] = []

    def stop_at_second(data, plans, k, num_queries):
        if sizes_done:
            raise KeyboardInterrupt
        sizes_done.append(data.size)
        return real(data, plans, k, num_queries)

    monkeypatch.setattr(bench, "_bench_synthetic", stop_at_second)
    plans = {"medium": (IndexPlan(IndexConfig()),)}
    with pytest.raises(KeyboardInterrupt):
        run_retrieval_benchmark(
            None, tmp_path, sizes=[500, 600], k=5, num_queries=10, plans=plans, text_check_facts=0
        )
    assert not old_plot.exists()
    saved = json.loads((tmp_path / "bench_retrieval.json").read_text(encoding="utf-8"))
    assert {r["dataset"] for r in saved["runs"]} == {"synthetic-500"}  # the size done is kept


def test_the_first_family_must_start_with_unsharded_flat(fact_index) -> None:
    plans = (IndexPlan(replace(IndexConfig(), shards=2)),)
    with pytest.raises(ValueError, match="first HPO plan must be unsharded flat"):
        bench._bench_hpo(fact_index, plans, k=5, num_queries=10, seed=0)
