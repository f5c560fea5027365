"""Tests of eval.diagnosis that mutation testing found missing: the tie counts and their
checks, the bootstrap over cases and over diseases (micro and macro), the paired top-1 ratio,
the subsets and clusters, the calibration error, and what the report and the evaluation
record. Built on small hand-made annotation tables (no KG store) to stay fast."""

from __future__ import annotations

import json
import math
from dataclasses import asdict
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from eval.diagnosis import (
    SUBSETS,
    Calibration,
    Case,
    MetricCI,
    PresentOnlyRanker,
    ProbableRanking,
    TiedRanks,
    case_groups,
    case_subsets,
    evaluate_rankers,
    expected_calibration_error,
    likelihood_ranker,
    rank_metrics,
    rank_of,
    rank_ties,
    ranking_ties,
    top1_ratio,
)
from kg.annotations import AnnotationTable, AnnotationTableBuilder

INF = math.inf


def brute_force(better: float, tied: float, k: float) -> tuple[float, float]:
    """hit@k and reciprocal rank averaged over the tied positions, one by one."""
    if math.isinf(better):
        return 0.0, 0.0
    positions = [better + 1 + j for j in range(int(tied))]
    return (
        float(np.mean([p <= k for p in positions])),
        float(np.mean([1 / p for p in positions])),
    )


# -- where the diagnosis lies, ties kept ---------------------------------------------------


def test_tied_ranks_are_expectations_over_the_tied_positions() -> None:
    better = [0, 0, 1, 2, 9, 0, INF]
    tied = [1, 2, 4, 3, 3, 12, 1]
    ranks = TiedRanks(better, tied)
    assert len(ranks) == 7
    assert ranks.better.dtype == np.float64 and ranks.tied.dtype == np.float64
    for k in (1, 2, 3, 10):
        assert ranks.hits(k) == pytest.approx(
            [brute_force(b, n, k)[0] for b, n in zip(better, tied, strict=True)]
        )
    assert ranks.reciprocal() == pytest.approx(
        [brute_force(b, n, 1)[1] for b, n in zip(better, tied, strict=True)]
    )
    assert ranks.expected().tolist() == [1.0, 1.5, 3.5, 4.0, 11.0, 6.5, INF]
    # an array of k gives a row per k
    curves = ranks.hits(np.array([1, 3]))
    assert curves.shape == (2, 7)
    assert curves[1] == pytest.approx(ranks.hits(3))
    # indexing keeps both counts together
    part = ranks[np.array([False, False, True, False, False, False, True])]
    assert part.better.tolist() == [1.0, INF] and part.tied.tolist() == [4.0, 1.0]
    assert ranks[2:4].expected().tolist() == [3.5, 4.0]


def test_tied_ranks_refuse_counts_that_are_no_positions() -> None:
    TiedRanks([[0, 1]], [[1, 2]])  # any shape, read flat
    assert TiedRanks([[0, 1]], [[1, 2]]).better.shape == (2,)
    for better, tied in (([0, 1], [1]), ([0], [1, 1])):
        with pytest.raises(ValueError, match="counts of better candidates"):
            TiedRanks(better, tied)
    for better in ([math.nan], [-1.0]):
        with pytest.raises(ValueError, match=">= 0"):
            TiedRanks(better, [1])
    for tied in ([0.0], [0.5], [INF], [math.nan]):
        with pytest.raises(ValueError):
            TiedRanks([0], tied)
    with pytest.raises(ValueError, match="tie counts"):
        TiedRanks([0], [INF])
    assert TiedRanks([INF], [1]).hits(10).tolist() == [0.0]


def test_plain_ranks_are_untied_positions() -> None:
    ranks = TiedRanks.of_ranks([1, 4, INF])
    assert ranks.better.tolist() == [0.0, 3.0, INF] and ranks.tied.tolist() == [1.0, 1.0, 1.0]
    assert rank_metrics(ranks, n_resamples=5) == rank_metrics([1, 4, INF], n_resamples=5)
    with pytest.raises(ValueError, match="ranks must be >= 1"):
        TiedRanks.of_ranks([1, 0.5])


def test_rank_ties_counts_rivals_above_and_level_with_the_best_true_candidate() -> None:
    scores = np.array(
        [
            [3.0, 2.0, 2.0, 1.0, 2.0],
            [3.0, 2.0, 2.0, 1.0, 2.0],
            [1.0, 1.0, 1.0, 1.0, 1.0],
            [5.0, 4.0, 3.0, 2.0, 1.0],
        ]
    )
    truth = np.array(
        [
            [False, True, False, False, False],  # one above, two level with it
            [False, True, False, True, True],  # its other true ones count in neither
            [True, False, False, False, False],  # everything level
            [False, False, False, False, False],  # no true candidate: not ranked
        ]
    )
    ranks = rank_ties(scores, truth)
    assert ranks.better.tolist() == [1.0, 1.0, 0.0, INF]
    assert ranks.tied.tolist() == [3.0, 2.0, 5.0, 1.0]
    as_numbers = rank_ties(scores.astype(int), truth.astype(int))  # 0/1 truth, integer scores
    assert as_numbers.better.tolist() == ranks.better.tolist()
    assert as_numbers.tied.tolist() == ranks.tied.tolist()
    one = rank_ties(scores[0], truth[0])  # a single case as a 1-d row
    assert one.better.tolist() == [1.0] and one.tied.tolist() == [3.0]
    with pytest.raises(ValueError, match=r"shape \(4, 5\).*shape \(4, 4\)"):
        rank_ties(scores, truth[:, :4])
    bad = scores.copy()
    bad[2, 3] = math.nan
    with pytest.raises(ValueError, match=r"row 2, candidate 3"):
        rank_ties(bad, truth)


def test_ranking_ties_of_one_ranking() -> None:
    ranking = [("a", 0.5), ("b", 0.9), ("c", 0.5), ("d", 0.5), ("e", 0.1)]
    ranks = ranking_ties(ranking, ["d"])
    assert ranks.better.tolist() == [1.0] and ranks.tied.tolist() == [3.0]
    assert rank_of(ranking, ("d",)) == 3.0
    assert rank_of(iter(ranking), iter(["e", "nothing"])) == 5.0  # iterables, read once
    with pytest.raises(ValueError, match="NaN score for c"):
        ranking_ties([("a", 1.0), ("b", 0.5), ("c", math.nan)], ["a"])


# -- the bootstrap -----------------------------------------------------------------------


def test_the_interval_is_a_central_percentile_interval_of_the_resamples() -> None:
    # two cases, one first and one missed: a resample has a top-1 of 0, 1/2 or 1 with
    # chances 1/4, 1/2, 1/4, so the 95% interval spans 0..1 and the central 40% is 1/2
    ranks = [1, INF]
    wide = rank_metrics(ranks, n_resamples=2000).top1
    assert (wide.low, wide.value, wide.high) == (0.0, 0.5, 1.0)
    narrow = rank_metrics(ranks, n_resamples=2000, confidence=0.4).top1
    assert (narrow.low, narrow.value, narrow.high) == (0.5, 0.5, 0.5)
    almost = rank_metrics(ranks, n_resamples=2000, confidence=0.999).top1
    assert (almost.low, almost.high) == (0.0, 1.0)
    # a single resample: one mean, both ends of the interval
    single = rank_metrics(np.arange(1, 30), n_resamples=1).top3
    assert single.low == single.high


def test_the_bootstrap_defaults_are_1000_seeded_resamples_and_95_percent() -> None:
    ranks = np.random.default_rng(7).integers(1, 15, size=60).astype(float)
    groups = [f"d{i % 13}" for i in range(60)]
    explicit = rank_metrics(ranks, groups=groups, n_resamples=1000, seed=0, confidence=0.95)
    assert rank_metrics(ranks, groups=groups) == explicit
    assert rank_metrics(ranks, groups=groups, n_resamples=999) != explicit
    assert rank_metrics(ranks, groups=groups, seed=1) != explicit


def test_the_cluster_bootstrap_resamples_whole_diseases() -> None:
    # disease "a": three patients all first; disease "b": one patient missed. A resample
    # of the two diseases is aa, ab or bb: top-1 1, 3/4 or 0 over its cases (micro), and
    # 1, 1/2 or 0 over its diseases (macro)
    ranks, groups = [1, 1, 1, INF], ["a", "a", "a", "b"]
    micro = rank_metrics(ranks, groups=groups, n_resamples=2000, confidence=0.4).top1
    assert (micro.low, micro.value, micro.high) == (0.75, 0.75, 0.75)
    macro = rank_metrics(ranks, groups=groups, macro=True, n_resamples=2000, confidence=0.4)
    assert (macro.top1.low, macro.top1.value, macro.top1.high) == (0.5, 0.5, 0.5)
    assert macro.n == 4
    wide = rank_metrics(ranks, groups=groups, n_resamples=2000).top1
    assert (wide.low, wide.high) == (0.0, 1.0)
    # cases resampled one by one: values between those of whole diseases
    cases = rank_metrics(ranks, n_resamples=2000, confidence=0.4).top1
    assert cases.low < 0.75 or cases.high > 0.75
    # groups as an array, clusters in any order: the same
    shuffled = np.array(["b", "a", "a", "a"])
    again = rank_metrics([INF, 1, 1, 1], groups=shuffled, n_resamples=2000, confidence=0.4)
    assert again.top1.value == 0.75 and (again.top1.low, again.top1.high) == (0.75, 0.75)


def test_macro_metrics_average_each_disease_first_for_every_metric() -> None:
    ranks = TiedRanks([0, 2, 0, INF, 1], [1, 1, 2, 1, 3])
    groups = ["x", "x", "y", "y", "z"]
    m = rank_metrics(ranks, groups=groups, macro=True, n_resamples=20)
    per = {
        "x": ([1.0, 0.0], [1.0, 1.0], [1.0, 1.0], [1.0, 1 / 3]),
        "y": ([0.5, 0.0], [1.0, 0.0], [1.0, 0.0], [0.75, 0.0]),
        "z": ([0.0], [2 / 3], [1.0], [(1 / 2 + 1 / 3 + 1 / 4) / 3]),
    }
    for i, name in enumerate(("top1", "top3", "top10", "mrr")):
        expected = np.mean([np.mean(v[i]) for v in per.values()])
        assert getattr(m, name).value == pytest.approx(expected)
        assert getattr(m, name).low <= getattr(m, name).value <= getattr(m, name).high
    micro = rank_metrics(ranks, groups=groups, n_resamples=20)
    assert micro.mrr.value == pytest.approx(
        np.mean([1, 1 / 3, 0.75, 0, (1 / 2 + 1 / 3 + 1 / 4) / 3])
    )


def test_bootstrap_arguments_are_checked() -> None:
    for bad in (0, -1, 2.0, True, "10"):
        with pytest.raises(ValueError, match="resamples"):
            rank_metrics([1, 2], n_resamples=bad)
        with pytest.raises(ValueError, match="resamples"):
            top1_ratio([1], [1], ["a"], n_resamples=bad)
    assert rank_metrics([1, 2], n_resamples=np.int64(3)).n == 2
    with pytest.raises(ValueError, match="2 groups for 3 cases"):
        rank_metrics([1, 2, 3], groups=np.array(["a", "b"]))
    empty = rank_metrics([], groups=[], macro=True)
    assert empty.n == 0
    for ci in (empty.top1, empty.top3, empty.top10, empty.mrr):
        assert all(math.isnan(x) for x in (ci.value, ci.low, ci.high))


# -- the top-1 ratio -----------------------------------------------------------------------


def test_top1_ratio_resamples_pairs_of_whole_diseases() -> None:
    # disease "a": one case, first for both; disease "b": two cases, both first for the
    # model and one for the reference. A resample is aa, ab or bb: ratio 1, 3/2 or 2
    model, reference, groups = [1, 1, 1], [1, 1, 2], ["a", "b", "b"]
    wide = top1_ratio(model, reference, groups, n_resamples=2000)
    assert (wide.low, wide.value, wide.high) == (1.0, 1.5, 2.0)
    narrow = top1_ratio(model, reference, groups, n_resamples=2000, confidence=0.4)
    assert (narrow.low, narrow.value, narrow.high) == (1.5, 1.5, 1.5)
    for confidence in (0.999, 0.5, 0.1):
        ci = top1_ratio(model, reference, groups, n_resamples=500, confidence=confidence)
        assert 1.0 <= ci.low <= ci.value <= ci.high <= 2.0
    # ties count as their expectation on both sides
    tied = top1_ratio(TiedRanks([0, 0], [2, 1]), TiedRanks([0, 0], [1, 4]), ["a", "b"])
    assert tied.value == pytest.approx(1.5 / 1.25)


def test_top1_ratio_defaults_and_seed() -> None:
    rng = np.random.default_rng(11)
    model = TiedRanks(rng.integers(0, 2, size=80), rng.integers(1, 5, size=80))
    reference = TiedRanks(rng.integers(0, 2, size=80), rng.integers(1, 7, size=80))
    groups = [f"d{i % 23}" for i in range(80)]
    explicit = top1_ratio(model, reference, groups, n_resamples=1000, seed=0, confidence=0.95)
    assert top1_ratio(model, reference, groups) == explicit
    assert top1_ratio(model, reference, groups, seed=0) == explicit  # seeded
    assert top1_ratio(model, reference, groups, seed=1) != explicit
    assert top1_ratio(model, reference, groups, n_resamples=999) != explicit
    assert explicit.low < explicit.value < explicit.high


def test_top1_ratio_leaves_out_resamples_without_a_reference_hit() -> None:
    # the reference is first only in disease d0: a resample without d0 has no ratio
    groups = [f"d{i}" for i in range(10)]
    model = [1.0] * 10
    reference = [1.0] + [2.0] * 9
    results = [top1_ratio(model, reference, groups, n_resamples=1, seed=s) for s in range(20)]
    assert all(r.value == 10.0 for r in results)
    unknown = [r for r in results if math.isnan(r.low)]
    assert unknown and all(math.isnan(r.high) for r in unknown)  # no resample left
    assert any(math.isfinite(r.low) and math.isfinite(r.high) for r in results)
    full = top1_ratio(model, reference, groups, n_resamples=500)
    assert math.isfinite(full.low) and math.isfinite(full.high)
    none = top1_ratio([1, 1], [2, 2], ["a", "b"])
    assert all(math.isnan(x) for x in (none.value, none.low, none.high))
    nothing = top1_ratio([], [], [])
    assert all(math.isnan(x) for x in (nothing.value, nothing.low, nothing.high))


def test_metric_texts() -> None:
    assert str(MetricCI(0.5, 0.25, 0.75)) == "0.500 [0.250, 0.750]"
    assert str(MetricCI(math.nan, math.nan, math.nan)) == "n/a"
    assert str(MetricCI(None, None, None)) == "n/a"  # as read back from the JSON
    assert MetricCI(1.2345, 1.1, 1.5).as_ratio() == "1.23x [1.10-1.50]"
    assert MetricCI(None, None, None).as_ratio() == "n/a"


# -- subsets and clusters ------------------------------------------------------------------


def annotations(rows: list[tuple[str, str, list[str]]]) -> AnnotationTable:
    """Rows of ``(disease, term, sources)``."""
    b = AnnotationTableBuilder()
    for n, (disease, term, sources) in enumerate(rows):
        b.add(f"urn:a:{n}", disease, term, aspect="P", sources=sources)
    return b.build()


TABLE = [
    ("urn:d:1", "urn:t:x", ["urn:pmid:1"]),
    ("urn:d:1", "urn:t:y", ["urn:pmid:2", "urn:pmid:3"]),
    ("urn:d:2", "urn:t:x", []),
    ("urn:d:3", "urn:t:y", ["urn:pmid:9"]),
]


def test_case_subsets_cover_leakage_and_candidates() -> None:
    table = annotations(TABLE)
    cases = [
        Case("leaked", diseases=("urn:d:1",), pmids=("urn:pmid:3",)),
        Case("clean", diseases=("urn:d:1",), pmids=("urn:pmid:4",)),
        Case("second cited", diseases=("urn:d:2", "urn:d:3"), pmids=("urn:pmid:4", "urn:pmid:9")),
        Case("other disease's source", diseases=("urn:d:2",), pmids=("urn:pmid:1",)),
        Case("unannotated", diseases=("urn:d:9",), pmids=("urn:pmid:4",)),
        Case("uncited", diseases=("urn:d:2",)),
        Case("no diagnosis", pmids=("urn:pmid:4",)),
    ]
    subsets = case_subsets(cases, table)
    assert list(subsets) == ["all", "covered", "leakage_free"]
    assert subsets["all"].tolist() == [True] * 7
    assert subsets["covered"].tolist() == [True, True, True, True, False, True, False]
    assert subsets["leakage_free"].tolist() == [False, True, False, True, False, False, False]
    assert all(mask.dtype == bool for mask in subsets.values())
    none = case_subsets([], table)
    assert all(mask.dtype == bool and mask.shape == (0,) for mask in none.values())
    only = case_subsets(cases, table, candidates=iter(["urn:d:1", "urn:d:9"]))
    assert only["covered"].tolist() == [True, True, False, False, False, False, False]
    assert only["leakage_free"].tolist() == [False, True, False, False, False, False, False]


def test_case_groups_are_the_sorted_diagnoses_or_the_case_itself() -> None:
    cases = [
        Case("1", diseases=("urn:d:b", "urn:d:a")),
        Case("2", diseases=("urn:d:a", "urn:d:b")),
        Case("3", diseases=("urn:d:a",)),
        Case("4"),
        Case("5"),
    ]
    assert case_groups(cases) == [
        "urn:d:a urn:d:b",
        "urn:d:a urn:d:b",
        "urn:d:a",
        "case:4",
        "case:5",
    ]


# -- calibration -----------------------------------------------------------------------


def reference_ece(confidence: np.ndarray, correct: np.ndarray, bins: int) -> float:
    """Equal-width bins closed on the right: (0, 1/bins], (1/bins, 2/bins], ..."""
    index = np.ceil(confidence * bins).astype(int) - 1
    total = 0.0
    for b in range(bins):
        m = index == b
        if m.any():
            total += m.mean() * abs(confidence[m].mean() - correct[m].mean())
    return total


def test_expected_calibration_error_bins_confidences_of_15_equal_widths() -> None:
    rng = np.random.default_rng(2)
    confidence = rng.uniform(0.01, 1.0, size=300)
    correct = (rng.uniform(size=300) < confidence**2).astype(float)
    assert expected_calibration_error(confidence, correct) == pytest.approx(
        reference_ece(confidence, correct, 15)
    )
    assert expected_calibration_error(confidence, correct, bins=4) == pytest.approx(
        reference_ece(confidence, correct, 4)
    )
    # hand-checked: 0.50 and 0.52 share a bin, 0.90 is alone
    assert expected_calibration_error([0.5, 0.52, 0.9], [1, 0, 1]) == pytest.approx(
        2 / 3 * 0.01 + 1 / 3 * 0.1
    )
    assert expected_calibration_error([0.8, 0.8], [True, True]) == pytest.approx(0.2)
    # each bin holds its upper edge, once
    assert expected_calibration_error([1.0], [0.0]) == pytest.approx(1.0)
    assert expected_calibration_error([0.5], [0.0], bins=2) == pytest.approx(0.5)
    assert expected_calibration_error([0.75, 0.75], [1.0, 1.0]) == pytest.approx(0.25)


def test_calibration_of_a_set_of_cases() -> None:
    c = Calibration.of(np.array([0.9, 0.65]), np.array([1.0, 0.0]), np.array([0.8, 0.1]))
    assert c.cases == 2
    assert c.top1_accuracy == pytest.approx(0.5)
    assert c.mean_top1_probability == pytest.approx(0.775)
    assert c.ece == pytest.approx(0.5 * 0.1 + 0.5 * 0.65)
    assert c.mean_truth_probability == pytest.approx(0.45)
    assert Calibration.of([], [], []) == Calibration(0, 0.0, 0.0, 0.0, 0.0)
    assert ProbableRanking([("a", 1.0)], top1_probability=0.7, truth_probability=0.2) == [
        ("a", 1.0)
    ]


def test_likelihood_ranker_gives_the_model_the_excluded_terms() -> None:
    seen = []

    class Model:
        def score(self, present, excluded):
            seen.append((present, excluded))
            return SimpleNamespace(ranking=lambda: [("urn:d:1", 2.0)])

    rank = likelihood_ranker(Model())
    assert rank(Case("c", present=("urn:t:x",), excluded=("urn:t:y",))) == [("urn:d:1", 2.0)]
    assert seen == [(("urn:t:x",), ("urn:t:y",))]


# -- the evaluation and its report ------------------------------------------------------

D1, D2, D3, D9 = "urn:d:1", "urn:d:2", "urn:d:3", "urn:d:9"


def report_cases() -> list[Case]:
    return [
        Case(
            "c1", present=("urn:t:x",), excluded=("urn:t:y",), diseases=(D1,), pmids=("urn:pmid:4",)
        ),
        Case("c2", present=("urn:t:x",), diseases=(D1,), pmids=("urn:pmid:1",)),  # leaked
        Case("c3", present=("urn:t:y",), diseases=(D2,)),  # no PMID
        Case("c4", present=("urn:t:x",), diseases=(D9,), pmids=("urn:pmid:4",)),  # uncovered
        Case("", warnings=("odd",)),  # no id, no finding, no diagnosis
    ]


def model(case: Case) -> ProbableRanking:
    """The truth first when the case has an excluded finding, else second, level with one."""
    truth = case.diseases[0] if case.diseases else "urn:d:none"
    if case.excluded:
        items = [(truth, 1.0), ("urn:d:x", 0.5)]
    else:
        items = [(D3, 1.0), (truth, 0.5), ("urn:d:x", 0.5)]
    return ProbableRanking(items, top1_probability=0.8, truth_probability=0.3)


def resnik(present) -> list[tuple[str, float]]:
    return [(D1, 1.0), (D2, 0.9), (D9, 0.1)] if present else []


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("report")


@pytest.fixture(scope="module")
def report(report_dir: Path):
    return evaluate_rankers(
        report_cases(),
        {"model": model, "resnik": PresentOnlyRanker(resnik)},
        annotations=annotations(TABLE),
        out_dir=report_dir,
        n_resamples=50,
        seed=3,
        config={"name": "test", "seed": "kept"},
        reference="resnik",
    )


def test_the_evaluation_ranks_each_mode_and_counts_ties(report) -> None:
    assert report.case_ids == ["c1", "c2", "c3", "c4", ""]
    assert report.present_only == ["resnik"]
    assert set(report.positions["resnik"]) == {"present"}
    assert report.ranks["resnik"]["present"].tolist() == [1.0, 1.0, 2.0, 3.0, INF]
    assert report.ranks["model"]["present"].tolist() == [2.5, 2.5, 2.5, 2.5, INF]
    assert report.ranks["model"]["present+excluded"].tolist() == [1.0, 2.5, 2.5, 2.5, INF]
    assert report.positions["model"]["present"].tied.tolist() == [2.0, 2.0, 2.0, 2.0, 1.0]
    assert report.groups == [D1, D1, D2, D9, "case:"]
    assert report.no_pmid.tolist() == [False, False, True, False, True]
    assert report.no_present.tolist() == [False, False, False, False, True]
    assert report.no_diagnosis.tolist() == [False, False, False, False, True]
    assert report.case_warnings == [(), (), (), (), ("odd",)]
    assert report.unchecked == 1  # c3: covered, no PMID
    for by_mode in report.latency_ms.values():
        assert all(0.0 <= ms < 1e4 for ms in by_mode.values())
    assert set(report.latency_ms["resnik"]) == {"present"}


def test_the_figures_of_each_ranker_mode_and_subset(report) -> None:
    r = report.metrics["resnik"]["present"]
    assert (r["all"].n, r["covered"].n, r["leakage_free"].n) == (5, 3, 1)
    assert r["all"].top1.value == pytest.approx(0.4)
    assert r["all"].top3.value == pytest.approx(0.8)
    assert r["all"].mrr.value == pytest.approx((1 + 1 + 1 / 2 + 1 / 3) / 5)
    assert r["covered"].top1.value == pytest.approx(2 / 3)
    assert r["leakage_free"].top1.value == 1.0
    m = report.metrics["model"]
    assert m["present"]["all"].top1.value == 0.0
    assert m["present"]["covered"].mrr.value == pytest.approx(5 / 12)
    assert m["present+excluded"]["leakage_free"].top1.value == 1.0
    # per disease: d1 first (both patients), d2, d9 and the undiagnosed case not
    macro = report.macro["resnik"]["present"]
    assert macro["all"].top1.value == pytest.approx(1 / 4)
    assert macro["covered"].top1.value == pytest.approx(1 / 2)
    assert macro["all"].n == 5
    # the bootstrap settings reach every figure
    again = rank_metrics(
        report.positions["resnik"]["present"], groups=report.groups, n_resamples=50, seed=3
    )
    assert r["all"] == again


def test_top1_ratios_against_a_present_only_reference(report) -> None:
    assert report.reference == "resnik" and set(report.ratios) == {"model"}
    ratios = report.ratios["model"]
    assert ratios["present"]["all"].value == 0.0
    # on present + excluded terms the reference ranks as on present terms
    assert ratios["present+excluded"]["all"].value == pytest.approx(1 / 2)
    assert ratios["present+excluded"]["leakage_free"].value == 1.0
    assert ratios["present"]["covered"].value == 0.0
    model_pos = report.positions["model"]["present+excluded"]
    reference_pos = report.positions["resnik"]["present"]
    assert ratios["present+excluded"]["all"] == top1_ratio(
        model_pos, reference_pos, report.groups, n_resamples=50, seed=3
    )


def test_the_calibration_of_the_probable_ranker_on_covered_cases(report) -> None:
    assert set(report.calibration) == {"model"}
    c = report.calibration["model"]
    assert c.cases == 3  # covered cases
    assert c.top1_accuracy == 0.0  # present terms: never first
    assert c.mean_top1_probability == pytest.approx(0.8)
    assert c.ece == pytest.approx(0.8)
    assert c.mean_truth_probability == pytest.approx(0.3)


def test_a_reference_that_reads_excluded_findings_is_compared_mode_by_mode() -> None:
    cases = [
        Case("c1", present=("urn:t:x",), excluded=("urn:t:y",), diseases=(D1,)),
        Case("c2", present=("urn:t:x",), diseases=(D2,)),
    ]

    def reference(case: Case) -> list[tuple[str, float]]:  # first only with an exclusion
        return [(case.diseases[0], 1.0 if case.excluded else 0.1), ("urn:d:x", 0.5)]

    def oracle(case: Case) -> list[tuple[str, float]]:
        return [(case.diseases[0], 1.0), ("urn:d:x", 0.5)]

    report = evaluate_rankers(
        cases,
        {"oracle": oracle, "reference": reference},
        annotations=annotations(TABLE),
        n_resamples=10,
        reference="reference",
    )
    assert math.isnan(report.ratios["oracle"]["present"]["all"].value)  # never first
    assert report.ratios["oracle"]["present+excluded"]["all"].value == pytest.approx(2.0)


def test_calibration_reads_the_probabilities_on_present_terms_where_given() -> None:
    cases = [
        Case("c1", present=("urn:t:x",), excluded=("urn:t:y",), diseases=(D1,)),
        Case("c2", present=("urn:t:x",), diseases=(D1,)),
        Case("c3", present=("urn:t:x",), diseases=(D2,)),
        Case("c4", present=("urn:t:x",), diseases=(D9,)),  # not covered
    ]

    def sometimes(case: Case) -> list[tuple[str, float]]:
        items = [(case.diseases[0], 1.0), ("urn:d:x", 0.5)]
        if case.id == "c3":
            return items  # no probabilities for this one
        top1 = 0.9 if case.excluded else 0.6
        return ProbableRanking(items, top1_probability=top1, truth_probability=0.2)

    def uncovered_only(case: Case) -> list[tuple[str, float]]:
        items = [(case.diseases[0], 1.0)]
        if case.id != "c4":
            return items
        return ProbableRanking(items, top1_probability=0.5, truth_probability=0.5)

    report = evaluate_rankers(
        cases,
        {"uncovered": uncovered_only, "p": sometimes},
        annotations=annotations(TABLE),
        n_resamples=5,
    )
    assert set(report.calibration) == {"p"}  # the first has none on covered cases
    c = report.calibration["p"]
    assert c.cases == 2  # covered, with probabilities
    assert c.mean_top1_probability == pytest.approx(0.6)  # present terms only
    assert c.top1_accuracy == 1.0 and c.ece == pytest.approx(0.4)
    plain = evaluate_rankers(
        cases, {"r": lambda case: [(D1, 1.0)]}, annotations=annotations(TABLE), n_resamples=5
    )
    assert plain.calibration == {}


def test_the_config_records_the_settings_it_does_not_give(report) -> None:
    assert report.config == {
        "name": "test",
        "seed": "kept",  # given: kept as given
        "n_resamples": 50,
        "rankers": ["model", "resnik"],
        "bootstrap": "whole diseases resampled",
        "ties": "expectation under a uniformly random tie-break",
    }
    assert len(report.config_hash) == 16
    other = evaluate_rankers(
        report_cases()[:2],
        {"r": PresentOnlyRanker(resnik)},
        annotations=annotations(TABLE),
        n_resamples=5,
    )
    assert other.config["seed"] == 0 and other.config["n_resamples"] == 5
    assert other.config_hash != report.config_hash


def test_the_json_report(report, report_dir: Path) -> None:
    data = json.loads((report_dir / "diagnosis.json").read_text(encoding="utf-8"))
    assert data == report.to_dict()
    assert data["config_hash"] == report.config_hash
    assert "random tie-break" in data["ties"]
    assert data["subset_sizes"] == {"all": 5, "covered": 3, "leakage_free": 1}
    assert data["covered_without_pmid"] == 1
    assert data["cases_with_warnings"] == 1
    assert data["cases_without_present_findings"] == 1
    assert data["cases_without_diagnoses"] == 1
    assert data["ignores_excluded_findings"] == ["resnik"]
    assert data["metrics"]["resnik"]["present"]["all"]["top1"]["value"] == pytest.approx(0.4)
    assert data["metrics"]["resnik"]["present"]["all"]["n"] == 5
    assert data["macro_per_disease"]["resnik"]["present"]["all"]["top1"]["value"] == 0.25
    assert data["latency_ms"] == report.latency_ms
    assert data["calibration"]["model"]["cases"] == 3
    assert data["calibration"]["model"]["ece"] == pytest.approx(0.8)
    assert data["top1_ratio"]["reference"] == "resnik"
    ratio = data["top1_ratio"]["ratios"]["model"]["present+excluded"]["all"]
    assert ratio["value"] == pytest.approx(0.5)
    first, *_, last = data["cases"]
    assert first == {
        "id": "c1",
        "disease": D1,
        "all": True,
        "covered": True,
        "leakage_free": True,
        "no_pmid": False,
        "ranks": {"model": {"present": 2.5, "present+excluded": 1.0}, "resnik": {"present": 1.0}},
        "tied": {"model": {"present": 2.0, "present+excluded": 1.0}, "resnik": {"present": 1.0}},
    }
    assert last["id"] == "" and last["disease"] == "case:"
    assert last["ranks"] == {
        "model": {"present": None, "present+excluded": None},
        "resnik": {"present": None},
    }
    assert last["tied"] == last["ranks"]  # no position: no tie count either
    assert last["warnings"] == ["odd"]
    assert last["no_present_findings"] is True and last["no_diagnosis"] is True
    assert last["no_pmid"] is True and last["covered"] is False


def test_a_report_made_without_the_optional_parts(tmp_path: Path) -> None:
    """A report of the required fields only (as older callers make it) writes as well."""
    from eval.diagnosis import EvalReport

    positions = {"r": {"present": TiedRanks([0, INF], [2, 1])}}
    subsets = {s: np.array([True, False]) if s != "all" else np.ones(2, bool) for s in SUBSETS}
    metrics = {
        "r": {
            "present": {
                s: rank_metrics(positions["r"]["present"][m], n_resamples=5)
                for s, m in subsets.items()
            }
        }
    }
    report = EvalReport(["a", "b"], subsets, positions, metrics, {"r": {"present": 1.0}})
    paths = report.save(tmp_path / "new" / "folder")
    assert sorted(p.name for p in paths.values()) == ["diagnosis.json", "diagnosis.md", "topk.png"]
    data = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert data["cases"][0] == {
        "id": "a",
        "all": True,
        "covered": True,
        "leakage_free": True,
        "ranks": {"r": {"present": 1.5}},
        "tied": {"r": {"present": 2.0}},
    }
    assert data["covered_without_pmid"] == 0 and data["calibration"] == {}
    assert data["top1_ratio"] == {"reference": None, "ratios": {}}
    text = paths["markdown"].read_text(encoding="utf-8")
    assert "Macro average" not in text and "relative to" not in text and "cite no PMID" not in text
    assert "had warnings" not in text and "Calibration" not in text
    row = cells(text, "| r | present only |")
    assert row[2].startswith("25.0 / 50.0 [") and row[3] == "50.0 / 100.0 [50.0-50.0]"


def cells(markdown: str, start: str) -> list[str]:
    """The cells of the first row of ``markdown`` that starts with ``start``."""
    line = next(x for x in markdown.splitlines() if x.startswith(start))
    return [c.strip() for c in line.strip("|").split("|")]


def section(markdown: str, title: str) -> str:
    """The table under the line ``title`` (a blank line between): its lines up to the next
    blank line."""
    lines = markdown.splitlines()
    i = lines.index(title)
    assert lines[i + 1] == ""
    table = lines[i + 2 :]
    return "\n".join(table[: table.index("")] if "" in table else table)


def pct(x: float) -> str:
    return f"{100 * x:.1f}"


SUBSET_HEAD = "| ranker | terms | all (5) | covered (3) | leakage_free (1) |"
RULE = "|---|---|---|---|---|"
IGNORED = "n/a (ignores excluded findings)"


def test_the_markdown_headline_table(report, report_dir: Path) -> None:
    text = (report_dir / "diagnosis.md").read_text(encoding="utf-8")
    assert text == report.to_markdown() and text.endswith("|\n")
    lines = text.splitlines()
    assert lines[0].startswith("Top-1 / top-10 accuracy (%), 95% bootstrap CI of top-1")
    assert "random tie-break" in lines[2]
    headline = lines[4 : lines.index("", 4)]

    def row(ranker: str, mode: str) -> str:
        m = report.metrics[ranker][mode]
        return " | ".join(
            f"{pct(m[s].top1.value)} / {pct(m[s].top10.value)} "
            f"[{pct(m[s].top1.low)}-{pct(m[s].top1.high)}]"
            for s in ("all", "covered", "leakage_free")
        )

    assert headline == [  # rankers in order, present terms first
        SUBSET_HEAD,
        RULE,
        f"| model | present only | {row('model', 'present')} |",
        f"| model | present + excluded | {row('model', 'present+excluded')} |",
        f"| resnik | present only | {row('resnik', 'present')} |",
        f"| resnik | present + excluded | {IGNORED} | {IGNORED} | {IGNORED} |",
    ]
    assert row("resnik", "present").startswith("40.0 / 80.0 [")
    assert row("model", "present+excluded").startswith("20.0 / 80.0 [")


def test_the_markdown_mrr_macro_and_ratio_tables(report) -> None:
    text = report.to_markdown()
    mrr = section(text, "MRR:")
    assert mrr.splitlines()[:2] == [SUBSET_HEAD, RULE]
    assert cells(mrr, "| resnik | present |")[2:] == [
        f"{report.metrics['resnik']['present'][s].mrr.value:.3f}"
        for s in ("all", "covered", "leakage_free")
    ]
    assert cells(mrr, "| resnik | present+excluded |")[2:] == [IGNORED] * 3
    assert len(mrr.splitlines()) == 2 + 4  # model on both, resnik on present terms and n/a
    macro = section(
        text,
        "Macro average over diseases, top-1 / top-10 (%) (each disease weighs the same):",
    )
    assert macro.splitlines()[0] == (
        "| ranker | terms | all (4 diseases) | covered (2 diseases) | leakage_free (1 diseases) |"
    )
    assert cells(macro, "| resnik | present |")[2:] == [
        "25.0 / 75.0",
        "50.0 / 100.0",
        "100.0 / 100.0",
    ]
    assert cells(macro, "| resnik | present+excluded |")[2:] == [IGNORED] * 3
    ratio = section(text, "Top-1 relative to resnik (paired bootstrap over diseases, 95% CI):")
    assert ratio.splitlines()[:2] == [SUBSET_HEAD, RULE]
    r = report.ratios["model"]["present+excluded"]["all"]
    assert cells(ratio, "| model | present+excluded |")[2] == (
        f"{r.value:.2f}x [{r.low:.2f}-{r.high:.2f}]"
    )
    assert not any(x.startswith("| resnik |") for x in ratio.splitlines())


def test_the_markdown_notes_and_calibration(report) -> None:
    text = report.to_markdown()
    assert "1 covered case(s) cite no PMID" in text
    assert "1 of 5 case(s) had warnings while read" in text
    assert "counted here as the rankers rank them: (no id)." in text
    assert "1 case(s) have no diagnosis and count as misses: (no id)." in text
    calibration = section(
        text, "Calibration of the probabilities on the covered cases (present terms):"
    )
    assert calibration.splitlines() == [
        "| ranker | cases | top-1 accuracy | mean top-1 probability | ECE "
        "| mean probability of the true disease |",
        "|---|---|---|---|---|---|",
        "| model | 3 | 0.000 | 0.800 | 0.800 | 0.300 |",
    ]


def test_the_markdown_names_as_many_cases_as_it_has_room_for() -> None:
    from eval.diagnosis import NAMED_CASES

    cases = [Case(f"u{i}", present=("urn:t:x",)) for i in range(NAMED_CASES)]
    report = evaluate_rankers(
        cases, {"r": lambda case: [(D1, 1.0)]}, annotations=annotations(TABLE), n_resamples=5
    )
    names = ", ".join(f"u{i}" for i in range(NAMED_CASES))
    assert f"count as misses: {names}.\n" in report.to_markdown()


def test_the_top_k_curves(report, report_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from matplotlib.figure import Figure

    figures: list[Figure] = []
    real = Figure.savefig

    def keep(self: Figure, *args, **kwargs) -> None:
        figures.append(self)
        real(self, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", keep)
    report.plot_topk(report_dir / "curves.png", max_k=5)
    assert (report_dir / "curves.png").read_bytes()[:4] == b"\x89PNG"
    [figure] = figures
    assert [ax.get_title() for ax in figure.axes] == [
        "all (n=5)",
        "covered (n=3)",
        "leakage_free (n=1)",
    ]
    lines = {ln.get_label(): ln for ln in figure.axes[0].lines}
    assert set(lines) == {"model (present)", "model (present+excluded)", "resnik (present)"}
    curve = lines["resnik (present)"]
    assert curve.get_xdata().tolist() == [1, 2, 3, 4, 5]
    assert curve.get_ydata() == pytest.approx([0.4, 0.6, 0.8, 0.8, 0.8])
    assert curve.get_linestyle() == "-"
    assert lines["model (present+excluded)"].get_linestyle() == "--"
    assert figure.axes[0].get_xscale() == "log"


# -- the baselines ---------------------------------------------------------------------------

OMIM1, OMIM2 = "https://omim.org/entry/1", "https://omim.org/entry/2"
ORPHA = "https://www.orpha.net/ORDO/Orphanet_1"


def toy_kg() -> SimpleNamespace:
    """A -> B -> C -> D, A -> G; OMIM 1 has C, OMIM 2 has G, an ORPHA disease has D."""
    from kg.hierarchy import TermHierarchy

    parents = {"A": [], "B": ["A"], "C": ["B"], "D": ["C"], "G": ["A"]}
    names = list(parents)
    ptr = np.zeros(len(names) + 1, dtype=np.int64)
    ptr[1:] = np.cumsum([len(parents[n]) for n in names])
    idx = np.array([names.index(p) for n in names for p in parents[n]], dtype=np.int32)
    iris = [f"http://example.org/T_{n}" for n in names]
    hierarchy = TermHierarchy(iris, names, np.zeros(len(names), bool), ptr, idx)
    b = AnnotationTableBuilder()
    for n, (disease, term) in enumerate(((OMIM1, "C"), (OMIM2, "G"), (ORPHA, "D"))):
        b.add(f"urn:a:{n}", disease, f"http://example.org/T_{term}", aspect="P")
    return SimpleNamespace(hierarchy=hierarchy, annotations=b.build(), fingerprint="toy")


def test_run_baselines_ranks_the_candidates_with_the_given_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from kg.rules.likelihood import LikelihoodConfig, PhenotypeLikelihood

    kg = toy_kg()
    cases = [
        Case(
            "p",
            present=("http://example.org/T_D",),
            excluded=("http://example.org/T_G",),
            diseases=(OMIM1,),
        ),
        Case("q", present=("http://example.org/T_G",), diseases=(OMIM2,)),
    ]
    read: list[Path] = []

    def read_cases(path: Path, hierarchy) -> list[Case]:
        assert hierarchy is kg.hierarchy
        read.append(path)
        return cases

    configs: list = []
    built = PhenotypeLikelihood.from_kg

    def from_kg(*args, **kwargs):
        configs.append(kwargs.get("config"))
        return built(*args, **kwargs)

    monkeypatch.setattr(PhenotypeLikelihood, "from_kg", from_kg)
    lr = LikelihoodConfig(false_positive_rate=0.2)
    from eval.diagnosis import run_baselines

    report = run_baselines(
        kg,
        str(tmp_path / "cases.jsonl"),
        tmp_path / "out",
        read_cases=read_cases,
        likelihood_config=lr,
        n_resamples=7,
        seed=5,
    )
    assert read == [tmp_path / "cases.jsonl"]
    assert configs == [lr]
    assert report.config == {
        "cases_path": str(tmp_path / "cases.jsonl"),
        "num_cases": 2,
        "kg_fingerprint": "toy",
        "candidates": "https://omim.org/entry/",
        "num_candidates": 2,
        "resnik": {"combine": "one_sided", "ic_weighting": "count", "aspects": ["P"]},
        "likelihood": asdict(lr),
        "cases_with_warnings": 0,
        "n_resamples": 7,
        "seed": 5,
        "rankers": ["Resnik one-sided", "LIRICAL-style LR"],
        "bootstrap": "whole diseases resampled",
        "ties": "expectation under a uniformly random tie-break",
    }
    # OMIM candidates only: the ORPHA disease, a closer match, is not ranked
    assert report.ranks["Resnik one-sided"]["present"].tolist() == [1.0, 1.0]
    assert report.reference == "Resnik one-sided"
    assert set(report.ratios) == {"LIRICAL-style LR"}
    assert report.metrics["Resnik one-sided"]["present"]["all"] == rank_metrics(
        report.positions["Resnik one-sided"]["present"], groups=report.groups, n_resamples=7, seed=5
    )
    assert (tmp_path / "out" / "diagnosis.json").exists()
    capsys.readouterr()
    kg = SimpleNamespace(hierarchy=kg.hierarchy, annotations=kg.annotations)  # no fingerprint
    every = run_baselines(
        kg, tmp_path / "cases.jsonl", tmp_path / "every", read_cases=read_cases, candidates=None
    )
    assert capsys.readouterr().err == ""  # no progress bars unless asked
    assert every.config["candidates"] == "all annotated subjects"
    assert every.config["num_candidates"] == 3
    assert every.config["kg_fingerprint"] is None
    assert every.ranks["Resnik one-sided"]["present"].tolist() == [2.0, 1.0]
    assert every.config["seed"] == 0 and every.config["n_resamples"] == 1000
    assert configs[-1] == LikelihoodConfig()


def test_evaluation_defaults_latency_order_of_modes_and_progress(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import time

    cases = report_cases()[:2]

    def slow(case: Case) -> list[tuple[str, float]]:
        time.sleep(0.02)
        return [(D1, 1.0)]

    capsys.readouterr()
    report = evaluate_rankers(
        cases,
        {"slow": slow, "resnik": PresentOnlyRanker(resnik)},
        annotations=annotations(TABLE),
        modes=("present+excluded", "present"),
    )
    assert capsys.readouterr().err == ""  # no progress bars unless asked
    assert report.config["n_resamples"] == 1000 and report.config["seed"] == 0
    assert report.metrics["slow"]["present"]["all"] == rank_metrics(
        report.positions["slow"]["present"], groups=report.groups
    )
    assert set(report.positions["resnik"]) == {"present"}  # whatever the order of the modes
    assert all(15.0 <= ms <= 2000.0 for ms in report.latency_ms["slow"].values())
    shown = evaluate_rankers(
        cases, {"slow": slow}, annotations=annotations(TABLE), n_resamples=5, progress=True
    )
    assert shown.ranks["slow"]["present"].tolist() == [1.0, 1.0]
    # asked for, but stderr is no terminal here (a log, a pipe): no bar is drawn into it
    assert "it/s" not in capsys.readouterr().err


def test_a_nan_score_names_the_case_by_its_number() -> None:
    def broken(case: Case) -> list[tuple[str, float]]:
        return [(D1, math.nan if case.id == "c2" else 1.0)]

    with pytest.raises(ValueError, match=r"case 'c2' \(number 2\)"):
        evaluate_rankers(report_cases(), {"b": broken}, annotations=annotations(TABLE))


def test_a_resumed_run_keeps_the_probabilities_of_present_terms(
    tmp_path: Path, stop_ranking
) -> None:
    """Calibration reads the probabilities given on present terms, also where they are read
    back from the journal of a run stopped while ranking present + excluded terms."""
    cases = [
        Case("c1", present=("urn:t:x",), excluded=("urn:t:y",), diseases=(D1,)),
        Case("c2", present=("urn:t:x",), excluded=("urn:t:y",), diseases=(D2,)),
    ]

    def probable(case: Case) -> ProbableRanking:
        top1 = 0.9 if case.excluded else 0.6  # differs between the two modes
        return ProbableRanking(
            [(case.diseases[0], 1.0)], top1_probability=top1, truth_probability=top1
        )

    def run():
        return evaluate_rankers(
            cases,
            {"p": probable},
            annotations=annotations(TABLE),
            n_resamples=5,
            config={"what": "resume"},
            journal=tmp_path / "journal",
        )

    calls, stop_at = stop_ranking
    stop_at.append(3)  # both cases on present terms, one on present + excluded, then stop
    with pytest.raises(KeyboardInterrupt):
        run()
    stop_at.clear()
    resumed = run()
    assert len(calls) == 4  # the last case only was ranked again
    assert resumed.calibration["p"].mean_top1_probability == pytest.approx(0.6)
