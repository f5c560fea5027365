"""The retrieval benchmark on a tiny synthetic set: sharded rows beside unsharded ones."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from eval.bench_retrieval import IndexPlan, _recall, run_retrieval_benchmark, with_shards
from fusion.faiss_index import IndexConfig


def test_with_shards_adds_sharded_copies_of_flat_and_ivfpq() -> None:
    plans = (IndexPlan(IndexConfig()), IndexPlan(IndexConfig(kind="hnsw"), (16,)))
    plans += (IndexPlan(IndexConfig(kind="ivfpq"), (4, 8)),)
    out = with_shards(plans, (2, 4))
    assert [(p.config.kind, p.config.shards) for p in out] == [
        ("flat", 1),
        ("hnsw", 1),
        ("ivfpq", 1),
        ("flat", 2),
        ("ivfpq", 2),
        ("flat", 4),
        ("ivfpq", 4),
    ]
    assert out[-1].sweep == (4, 8)


def test_retrieval_benchmark_reports_sharded_rows(tmp_path: Path) -> None:
    plans = {
        "medium": with_shards(
            (IndexPlan(IndexConfig()), IndexPlan(IndexConfig(kind="ivf", ivf_nlist=16), (4, 16))),
            (2,),
            ("flat", "ivf"),
        )
    }
    result = run_retrieval_benchmark(
        None, tmp_path, sizes=[3000], k=10, num_queries=20, plans=plans, text_check_facts=0
    )
    chosen = {(r.kind, r.shards): r for r in result.runs if r.operating_point}
    assert set(chosen) == {("flat", 1), ("flat", 2), ("ivf", 1), ("ivf", 2)}
    assert chosen["flat", 2].recall == 1.0  # sharded exact search is still exact
    assert chosen["ivf", 2].index_bytes > chosen["ivf", 1].index_bytes  # a quantizer per shard
    saved = json.loads((tmp_path / "bench_retrieval.json").read_text())
    assert {r["shards"] for r in saved["runs"]} == {1, 2}
    table = (tmp_path / "bench_retrieval.md").read_text()
    assert "| flat x2 |" in table and "Sharded against unsharded" in table
    assert (tmp_path / "bench_retrieval.png").stat().st_size > 0


def test_recall_is_the_share_of_the_exact_neighbours_found() -> None:
    exact = np.array([[0, 1, 2, 3], [4, 5, -1, -1]])  # the second query has 2 neighbours
    assert _recall(exact, exact) == 1.0
    assert _recall(exact, np.array([[3, 2, 9, 8], [-1, -1, -1, -1]])) == pytest.approx(0.25)
    assert _recall(exact, np.array([[0, -1, -1, -1], [5, 4, 7, 7]])) == pytest.approx(0.625)
    assert _recall(exact, np.array([[7, 7, 7, 7], [6, 6, 6, 6]])) == 0.0


def test_retrieval_benchmark_recall_falls_with_fewer_lists_probed(tmp_path: Path) -> None:
    ivf = IndexConfig(kind="ivf", ivf_nlist=32)
    plans = {"medium": (IndexPlan(IndexConfig()), IndexPlan(ivf, (1, 32)))}
    result = run_retrieval_benchmark(
        None, tmp_path, sizes=[2000], k=10, num_queries=30, plans=plans, text_check_facts=0
    )
    recall = {(r.kind, r.params.get("nprobe")): r.recall for r in result.runs}
    assert recall["flat", None] == 1.0 and recall["ivf", 32] == 1.0  # every list: exact
    assert recall["ivf", 1] < 0.9  # one list of 32 misses neighbours in the others
