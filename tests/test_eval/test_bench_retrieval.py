"""The retrieval benchmark on a tiny synthetic set: sharded rows beside unsharded ones."""

from __future__ import annotations

import json
from pathlib import Path

from eval.bench_retrieval import IndexPlan, run_retrieval_benchmark, with_shards
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
