"""Tests of eval.diagnosis: hand-checked metrics, bootstrap CIs, subsets, reports."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from eval.diagnosis import (
    Case,
    PresentOnlyRanker,
    case_groups,
    case_subsets,
    evaluate_rankers,
    rank_metrics,
    rank_of,
    run_baselines,
    top1_ratio,
)
from kg.namespaces import to_iri

MARFAN = to_iri("OMIM:154700")
HOMOCYSTINURIA = to_iri("ORPHA:394")
DECIPHER = to_iri("DECIPHER:16")


def test_rank_metrics_hand_checked() -> None:
    m = rank_metrics([1, 2, 5, 20, math.inf])
    assert m.n == 5
    assert m.top1.value == pytest.approx(0.2)
    assert m.top3.value == pytest.approx(0.4)
    assert m.top10.value == pytest.approx(0.6)
    assert m.mrr.value == pytest.approx((1 + 0.5 + 0.2 + 0.05 + 0) / 5)


def test_rank_metrics_bootstrap_ci_contains_point_and_is_seeded() -> None:
    ranks = np.random.default_rng(0).integers(1, 30, size=300).astype(float)
    a = rank_metrics(ranks, seed=1)
    for ci in (a.top1, a.top3, a.top10, a.mrr):
        assert ci.low <= ci.value <= ci.high
        assert ci.high - ci.low < 0.2
    assert rank_metrics(ranks, seed=1) == a
    assert rank_metrics(ranks, seed=2) != a
    narrow = rank_metrics(ranks, confidence=0.5, seed=1)
    assert narrow.top10.high - narrow.top10.low < a.top10.high - a.top10.low


def test_rank_metrics_edge_cases() -> None:
    assert rank_metrics([]).n == 0 and math.isnan(rank_metrics([]).mrr.value)
    same = rank_metrics([1, 1, 1])
    assert (same.top1.low, same.top1.value, same.top1.high) == (1.0, 1.0, 1.0)
    with pytest.raises(ValueError, match=">= 1"):
        rank_metrics([0, 2])
    with pytest.raises(ValueError, match="ranks must be >= 1"):  # NaN is no rank either
        rank_metrics([float("nan")])


def test_cluster_bootstrap_with_singleton_groups_is_the_case_bootstrap() -> None:
    ranks = np.random.default_rng(3).integers(1, 30, size=200).astype(float)
    singletons = [f"d{i:03d}" for i in range(len(ranks))]  # sorted as the cases are
    clusters = rank_metrics(ranks, groups=singletons, seed=4)
    cases = rank_metrics(ranks, seed=4)
    for name in ("top1", "top3", "top10", "mrr"):
        a, b = getattr(clusters, name), getattr(cases, name)
        assert (a.value, a.low, a.high) == pytest.approx((b.value, b.low, b.high))


def test_cluster_bootstrap_widens_the_interval_of_clustered_cases() -> None:
    # 20 diseases of 10 identical patients each: 20 independent units, not 200
    per_disease = np.random.default_rng(5).integers(1, 4, size=20).astype(float)
    ranks = np.repeat(per_disease, 10)
    groups = np.repeat([f"d{i}" for i in range(20)], 10)
    cases_ci = rank_metrics(ranks, seed=0).top1
    cluster_ci = rank_metrics(ranks, groups=groups, seed=0).top1
    assert cluster_ci.value == cases_ci.value  # the point estimate does not change
    assert cluster_ci.high - cluster_ci.low > 2 * (cases_ci.high - cases_ci.low)


def test_macro_average_weighs_each_disease_once() -> None:
    ranks, groups = [1, 1, 1, 5], ["big", "big", "big", "small"]
    micro = rank_metrics(ranks, groups=groups)
    macro = rank_metrics(ranks, groups=groups, macro=True)
    assert micro.top1.value == pytest.approx(0.75) and micro.n == 4
    assert macro.top1.value == pytest.approx(0.5)
    assert macro.top10.value == pytest.approx(1.0)
    assert macro.mrr.value == pytest.approx((1.0 + 0.2) / 2)
    with pytest.raises(ValueError, match="needs groups"):
        rank_metrics(ranks, macro=True)
    with pytest.raises(ValueError, match="3 groups for 4 cases"):
        rank_metrics(ranks, groups=groups[:3])


def test_top1_ratio_is_paired_over_diseases() -> None:
    model = [1, 1, 2, 1, 1, 3]
    baseline = [1, 2, 2, 2, 1, 1]
    groups = ["a", "a", "b", "b", "c", "c"]
    ratio = top1_ratio(model, baseline, groups, seed=0)
    assert ratio.value == pytest.approx(4 / 3)
    assert ratio.low <= ratio.value <= ratio.high
    assert top1_ratio(model, baseline, groups, seed=0) == ratio  # seeded
    same = top1_ratio(baseline, baseline, groups)
    assert (same.low, same.value, same.high) == (1.0, 1.0, 1.0)  # paired: no spread
    assert math.isnan(top1_ratio([1, 1], [2, 3], ["a", "b"]).value)  # baseline never first
    with pytest.raises(ValueError, match="2 ranks against 3"):
        top1_ratio([1, 1], [1, 1, 1], ["a", "b"])


def test_rank_of_counts_ties_as_mean_position() -> None:
    ranking = [("a", 3.0), ("b", 2.0), ("c", 2.0), ("d", 1.0)]
    assert rank_of(ranking, ["a"]) == 1.0
    assert rank_of(ranking, ["c"]) == 2.5
    assert rank_of(ranking, ["d", "b"]) == 2.5  # the best-ranked diagnosis counts
    assert rank_of(reversed(ranking), ["a"]) == 1.0  # order of the list does not matter
    assert rank_of(ranking, ["z"]) == math.inf
    assert rank_of([], ["a"]) == math.inf


def cases() -> list[Case]:
    return [
        # cited by Marfan's annotations (PMID:1000001): covered, not leakage-free
        Case(
            "leaked",
            present=(to_iri("HP:0001166"),),
            diseases=(MARFAN,),
            pmids=(to_iri("PMID:1000001"),),
        ),
        Case(
            "clean",
            present=(to_iri("HP:0001166"), to_iri("HP:0001083")),
            diseases=(MARFAN,),
            pmids=(to_iri("PMID:42"),),
            excluded=(to_iri("HP:0001249"),),
        ),
        Case(
            "uncovered",
            present=(to_iri("HP:0001249"),),
            diseases=(to_iri("OMIM:999999"),),
            pmids=(to_iri("PMID:1000005"),),
        ),
        Case(
            "decipher",
            present=(to_iri("HP:0001626"),),
            diseases=(DECIPHER,),
            pmids=(to_iri("PMID:1000006"),),
        ),
    ]


def test_case_subsets(kg) -> None:
    subsets = case_subsets(cases(), kg.annotations)
    assert subsets["all"].tolist() == [True] * 4
    assert subsets["covered"].tolist() == [True, True, False, True]
    assert subsets["leakage_free"].tolist() == [False, True, False, False]


def test_evaluate_rankers_modes_subsets_and_files(kg, tmp_path: Path) -> None:
    seen_excluded: list[int] = []

    def oracle(case: Case) -> list[tuple[str, float]]:
        seen_excluded.append(len(case.excluded))
        return [(d, 1.0) for d in case.diseases] + [("urn:other", 0.5)]

    def constant(case: Case) -> list[tuple[str, float]]:
        return [("urn:other", 1.0), (MARFAN, 0.5), (DECIPHER, 0.5)]

    report = evaluate_rankers(
        cases(),
        {"oracle": oracle, "constant": constant},
        annotations=kg.annotations,
        out_dir=tmp_path,
        n_resamples=200,
    )
    # "present" mode strips excluded terms; "present+excluded" keeps them.
    assert seen_excluded == [0, 0, 0, 0, 0, 1, 0, 0]
    assert report.metrics["oracle"]["present"]["all"].top1.value == 1.0
    constant_ranks = report.ranks["constant"]["present"]
    assert constant_ranks.tolist() == [2.5, 2.5, math.inf, 2.5]
    assert report.metrics["constant"]["present"]["covered"].top3.value == 1.0
    assert report.metrics["constant"]["present"]["all"].top3.value == 0.75
    assert report.metrics["constant"]["present"]["leakage_free"].n == 1
    data = json.loads((tmp_path / "diagnosis.json").read_text())
    assert data["subset_sizes"] == {"all": 4, "covered": 3, "leakage_free": 1}
    assert data["cases"][2]["ranks"]["constant"]["present"] is None
    assert data["config_hash"] == report.config_hash
    markdown = (tmp_path / "diagnosis.md").read_text()
    assert "| oracle | present only |" in markdown and "present + excluded" in markdown
    assert (tmp_path / "topk.png").read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(ValueError, match="unknown modes"):
        evaluate_rankers(cases(), {}, annotations=kg.annotations, modes=("excluded",))
    with pytest.raises(ValueError, match="reference 'resnik' is not among"):
        evaluate_rankers(
            cases(), {"oracle": oracle}, annotations=kg.annotations, reference="resnik"
        )
    calls: list[Sequence[str]] = []

    def never(terms: Sequence[str]) -> list[tuple[str, float]]:
        calls.append(terms)
        return []

    present_only = PresentOnlyRanker(never)
    with pytest.raises(ValueError, match="ranks present terms only"):  # before any case
        evaluate_rankers(
            cases(),
            {"oracle": oracle, "resnik": present_only},
            annotations=kg.annotations,
            modes=("present+excluded",),
            reference="resnik",
        )
    assert calls == []
    # no reference: no ratios; the macro average is always there
    assert report.ratios == {} and "relative to" not in markdown
    assert report.macro["oracle"]["present"]["all"].top1.value == 1.0


def test_evaluate_rankers_macro_and_ratio_against_a_reference(kg, tmp_path: Path) -> None:
    def oracle(case: Case) -> list[tuple[str, float]]:
        return [(d, 1.0) for d in case.diseases] + [("urn:other", 0.5)]

    def marfan_first(case: Case) -> list[tuple[str, float]]:
        return [(MARFAN, 1.0), (DECIPHER, 0.5), ("urn:other", 0.1)]

    report = evaluate_rankers(
        cases(),
        {"oracle": oracle, "marfan first": marfan_first},
        annotations=kg.annotations,
        out_dir=tmp_path,
        n_resamples=100,
        reference="marfan first",
    )
    assert report.groups == case_groups(cases())
    assert report.groups[0] == report.groups[1] == MARFAN  # the two Marfan patients: one cluster
    # the reference puts both Marfan patients first (2 of 4 cases) but 1 of 3 diseases
    ref_all = report.metrics["marfan first"]["present"]["all"]
    assert ref_all.top1.value == pytest.approx(0.5)
    assert report.macro["marfan first"]["present"]["all"].top1.value == pytest.approx(1 / 3)
    assert set(report.ratios) == {"oracle"}  # the reference is not compared with itself
    assert report.ratios["oracle"]["present"]["all"].value == pytest.approx(2.0)
    data = json.loads((tmp_path / "diagnosis.json").read_text())
    assert data["top1_ratio"]["reference"] == "marfan first"
    assert data["top1_ratio"]["ratios"]["oracle"]["present"]["all"]["value"] == pytest.approx(2.0)
    assert data["cases"][0]["disease"] == MARFAN
    assert data["macro_per_disease"]["oracle"]["present"]["covered"]["top1"]["value"] == 1.0
    markdown = (tmp_path / "diagnosis.md").read_text()
    assert "Top-1 relative to marfan first" in markdown
    assert "| oracle | present | 2.00x [" in markdown
    assert "all (3 diseases)" in markdown


def test_run_baselines_on_mini_kg(kg, tmp_path: Path) -> None:
    from train.phenopacket import read_cases

    rows = [
        {
            "id": "a",
            "present_hpo": ["HP:0001166", "HP:0001083", "HP:0002616"],
            "excluded_hpo": ["HP:0001249"],
            "diseases": ["OMIM:154700"],
            "pmids": ["PMID:7"],
        },
        {
            "id": "b",
            "present_hpo": ["HP:0001249", "HP:9999999"],
            "diseases": ["OMIM:154700"],
            "pmids": ["PMID:1000001"],
        },
    ]
    path = tmp_path / "cases.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows))
    report = run_baselines(kg, path, tmp_path / "out", read_cases=read_cases, n_resamples=50)
    assert set(report.metrics) == {"Resnik one-sided", "LIRICAL-style LR"}
    assert report.config["num_candidates"] == 1  # OMIM entries only
    assert report.config["cases_with_warnings"] == 1
    assert report.ranks["LIRICAL-style LR"]["present"][0] == 1.0
    assert (tmp_path / "out" / "diagnosis.md").exists()
    everything = run_baselines(
        kg, path, tmp_path / "all", read_cases=read_cases, candidates=None, n_resamples=50
    )
    assert everything.config["num_candidates"] == 3
    assert everything.ranks["LIRICAL-style LR"]["present"][0] == 1.0


def test_a_ratio_reads_as_a_multiple_or_as_undefined() -> None:
    assert top1_ratio([1, 1], [1, 1], ["a", "b"]).as_ratio() == "1.00x [1.00-1.00]"
    assert top1_ratio([1, 1], [2, 3], ["a", "b"]).as_ratio() == "n/a"
