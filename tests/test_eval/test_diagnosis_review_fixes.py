"""Tests of eval.diagnosis after review: ties as expectations, null for undefined figures,
the legend, PMID-less cases, present-only rankers, the candidate set and NaN scores."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from eval.diagnosis import Case, case_subsets, evaluate_rankers, rank_of, run_baselines
from kg.namespaces import to_iri

MARFAN = to_iri("OMIM:154700")
HOMOCYSTINURIA = to_iri("ORPHA:394")
DECIPHER = to_iri("DECIPHER:16")
ARACHNODACTYLY = to_iri("HP:0001166")


@pytest.fixture
def figures(monkeypatch: pytest.MonkeyPatch) -> list[Figure]:
    """The figures written by ``plot_topk`` (kept instead of only saved)."""
    saved: list[Figure] = []
    real = Figure.savefig

    def keep(self: Figure, *args, **kwargs) -> None:
        saved.append(self)
        real(self, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", keep)
    return saved


# -- 1. ties count as their expectation ----------------------------------------------------

RR_C3 = (1 / 2 + 1 / 3 + 1 / 4 + 1 / 5) / 4


def tie_cases() -> list[Case]:
    pmid = (to_iri("PMID:42"),)
    return [
        Case("c1", present=(ARACHNODACTYLY,), diseases=(MARFAN,), pmids=pmid),
        Case("c2", present=(ARACHNODACTYLY,), diseases=(MARFAN, DECIPHER), pmids=pmid),
        Case("c3", present=(ARACHNODACTYLY,), diseases=(DECIPHER,), pmids=pmid),
    ]


def tied(case: Case) -> list[tuple[str, float]]:
    return {
        # tied first with one other: top-1 1/2, reciprocal rank (1 + 1/2) / 2
        "c1": [(MARFAN, 1.0), ("urn:x", 1.0), ("urn:y", 0.0)],
        # two true diagnoses tied first: the other one is no competitor
        "c2": [(MARFAN, 1.0), (DECIPHER, 1.0), ("urn:x", 0.5)],
        # one better, three others tied with it: positions 2..5
        "c3": [("urn:a", 2.0), ("urn:b", 1.0), ("urn:c", 1.0), ("urn:d", 1.0), (DECIPHER, 1.0)],
    }[case.id]


def oracle(case: Case) -> list[tuple[str, float]]:
    return [(d, 1.0) for d in case.diseases] + [("urn:x", 0.0)]


def test_a_tie_counts_as_its_expectation_everywhere(kg, tmp_path: Path, figures) -> None:
    report = evaluate_rankers(
        tie_cases(),
        {"tied": tied, "oracle": oracle},
        annotations=kg.annotations,
        out_dir=tmp_path,
        n_resamples=50,
        modes=("present",),
        reference="oracle",
    )
    top1 = (0.5 + 1.0 + 0.0) / 3
    m = report.metrics["tied"]["present"]["all"]
    assert m.top1.value == pytest.approx(top1)
    assert m.top3.value == pytest.approx((1.0 + 1.0 + 0.5) / 3)
    assert m.top10.value == pytest.approx(1.0)
    assert m.mrr.value == pytest.approx((0.75 + 1.0 + RR_C3) / 3)
    # every disease is its own cluster here: the macro average equals the case average
    assert report.macro["tied"]["present"]["all"].top1.value == pytest.approx(top1)
    assert report.ratios["tied"]["present"]["all"].value == pytest.approx(top1)
    # the expected rank is kept for reporting
    assert report.ranks["tied"]["present"].tolist() == [1.5, 1.0, 3.5]
    data = json.loads((tmp_path / "diagnosis.json").read_text())
    assert [c["ranks"]["tied"]["present"] for c in data["cases"]] == [1.5, 1.0, 3.5]
    assert "random tie-break" in (tmp_path / "diagnosis.md").read_text()
    # the top-k curves: top-1 and top-3 of the "all" panel
    [figure] = figures
    [line] = [ln for ln in figure.axes[0].lines if ln.get_label() == "tied (present)"]
    assert line.get_ydata()[:3] == pytest.approx([top1, 2.25 / 3, 2.5 / 3])


def test_rank_of_leaves_other_diagnoses_out_of_the_ties() -> None:
    assert rank_of([("a", 1.0), ("b", 1.0), ("c", 0.5)], ["a", "b"]) == 1.0
    assert rank_of([("a", 1.0), ("b", 1.0), ("c", 1.0)], ["a", "b"]) == 1.5


def test_the_dev_scores_of_training_count_ties_the_same_way() -> None:
    from train.diagnosis import rank_metrics_from_logits

    logits = torch.tensor([[1.0, 1.0, 0.0], [0.0, 2.0, 2.0], [3.0, 2.0, 1.0]])
    metrics = rank_metrics_from_logits(logits, torch.tensor([0, 2, 1]))
    assert metrics["top1"] == pytest.approx((0.5 + 0.5 + 0.0) / 3)
    assert metrics["mrr"] == pytest.approx((0.75 + 0.75 + 0.5) / 3)


def test_calibration_uses_the_expected_top1(kg) -> None:
    from eval.diagnosis import ProbableRanking

    def probable(case: Case) -> ProbableRanking:
        return ProbableRanking(tied(case), top1_probability=0.5, truth_probability=0.4)

    report = evaluate_rankers(
        tie_cases(), {"model": probable}, annotations=kg.annotations, n_resamples=10
    )
    calibration = report.calibration["model"]
    assert calibration.cases == 3
    covered = report.metrics["model"]["present"]["covered"].top1.value
    assert calibration.top1_accuracy == pytest.approx(covered)
    assert calibration.mean_top1_probability == pytest.approx(0.5)


# -- 3. undefined figures: null in the JSON, n/a in the Markdown, a legend in the PNG -----


def empty_subset_report(kg, out: Path):
    """A report whose leakage-free subset is empty and whose reference is never first."""
    leaked = [  # all cite the PMID of Marfan's annotations: no leakage-free case
        Case(
            f"l{i}", present=(ARACHNODACTYLY,), diseases=(MARFAN,), pmids=(to_iri("PMID:1000001"),)
        )
        for i in range(3)
    ]

    def never_first(case: Case) -> list[tuple[str, float]]:
        return [("urn:x", 1.0), (MARFAN, 0.5)]

    report = evaluate_rankers(
        leaked,
        {"oracle": oracle, "last": never_first},
        annotations=kg.annotations,
        out_dir=out,
        n_resamples=20,
        reference="last",
    )
    assert report.metrics["oracle"]["present"]["leakage_free"].n == 0
    return report


def test_undefined_figures_are_null_in_the_json(kg, tmp_path: Path) -> None:
    empty_subset_report(kg, tmp_path)

    def refuse(constant: str) -> None:
        raise ValueError(f"bare {constant} in the JSON")

    data = json.loads((tmp_path / "diagnosis.json").read_text(), parse_constant=refuse)
    assert data["metrics"]["oracle"]["present"]["leakage_free"]["top1"]["value"] is None
    assert data["top1_ratio"]["ratios"]["oracle"]["present"]["all"]["value"] is None


def test_undefined_figures_are_na_in_the_markdown(kg, tmp_path: Path) -> None:
    markdown = empty_subset_report(kg, tmp_path).to_markdown()
    assert "nan" not in markdown.lower() and "| n/a |" in markdown


def test_the_legend_stays_when_the_last_panel_is_empty(kg, tmp_path: Path, figures) -> None:
    empty_subset_report(kg, tmp_path)
    [figure] = figures
    assert not figure.axes[-1].lines  # the leakage-free panel is empty ...
    legends = [ax.get_legend() for ax in figure.axes if ax.get_legend()] + figure.legends
    entries = {t.get_text() for legend in legends for t in legend.get_texts()}
    assert {"oracle (present)", "last (present)"} <= entries  # ... the legend names the curves


# -- 4. a case without a PMID cannot be checked for leakage -------------------------------


def test_a_case_without_pmid_is_not_leakage_free(kg, tmp_path: Path) -> None:
    cases = [
        Case("cited", present=(ARACHNODACTYLY,), diseases=(MARFAN,), pmids=(to_iri("PMID:42"),)),
        Case("uncited", present=(ARACHNODACTYLY,), diseases=(MARFAN,)),
    ]
    subsets = case_subsets(cases, kg.annotations)
    assert subsets["covered"].tolist() == [True, True]
    assert subsets["leakage_free"].tolist() == [True, False]
    report = evaluate_rankers(
        cases, {"oracle": oracle}, annotations=kg.annotations, out_dir=tmp_path, n_resamples=10
    )
    assert report.unchecked == 1
    assert "1 covered case(s) cite no PMID" in report.to_markdown()
    data = json.loads((tmp_path / "diagnosis.json").read_text())
    assert data["covered_without_pmid"] == 1
    assert [c["no_pmid"] for c in data["cases"]] == [False, True]


# -- 7. rankers that ignore excluded findings are not measured on them ---------------------


def test_a_present_only_ranker_is_na_on_excluded_findings(kg, tmp_path: Path) -> None:
    from train.phenopacket import read_cases

    row = {
        "id": "a",
        "present_hpo": ["HP:0001166", "HP:0001083"],
        "excluded_hpo": ["HP:0001249"],
        "diseases": ["OMIM:154700"],
        "pmids": ["PMID:7"],
    }
    path = tmp_path / "cases.jsonl"
    path.write_text(json.dumps(row) + "\n")
    report = run_baselines(kg, path, tmp_path / "out", read_cases=read_cases, n_resamples=10)
    assert set(report.metrics["Resnik one-sided"]) == {"present"}
    assert set(report.metrics["LIRICAL-style LR"]) == {"present", "present+excluded"}
    markdown = (tmp_path / "out" / "diagnosis.md").read_text()
    assert "| Resnik one-sided | present + excluded | n/a (ignores excluded findings) |" in markdown
    assert "| LIRICAL-style LR | present + excluded | " in markdown
    lr_rows = [line for line in markdown.splitlines() if line.startswith("| LIRICAL")]
    assert lr_rows and not any("ignores excluded" in line for line in lr_rows)
    data = json.loads((tmp_path / "out" / "diagnosis.json").read_text())
    assert data["ignores_excluded_findings"] == ["Resnik one-sided"]


# -- 8. covered means among the ranked candidates ----------------------------------------


def test_covered_is_checked_against_the_candidates(kg, tmp_path: Path) -> None:
    from train.phenopacket import read_cases

    rows = [
        {"id": "m", "present_hpo": ["HP:0001166"], "diseases": ["OMIM:154700"]},
        {"id": "h", "present_hpo": ["HP:0001166"], "diseases": ["ORPHA:394"]},  # annotated
    ]
    path = tmp_path / "cases.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    omim = run_baselines(kg, path, tmp_path / "omim", read_cases=read_cases, n_resamples=10)
    assert omim.subsets["covered"].tolist() == [True, False]  # ORPHA is no OMIM candidate
    every = run_baselines(
        kg, path, tmp_path / "all", read_cases=read_cases, candidates=None, n_resamples=10
    )
    assert every.subsets["covered"].tolist() == [True, True]


# -- 9. a NaN score stops the run at once, naming the ranker and the case -----------------


def test_a_nan_score_is_an_error_naming_ranker_and_case(kg) -> None:
    calls: list[str] = []

    def broken(case: Case) -> list[tuple[str, float]]:
        calls.append(case.id)
        return [(MARFAN, math.nan if case.id == "c2" else 1.0), ("urn:x", 0.5)]

    with pytest.raises(ValueError, match=r"ranker 'broken'.*case 'c2'.*NaN"):
        evaluate_rankers(tie_cases(), {"broken": broken}, annotations=kg.annotations)
    assert calls == ["c1", "c2"]  # before the other cases are ranked
    with pytest.raises(ValueError, match="NaN"):
        rank_of([("a", 1.0), ("b", float("nan"))], ["a"])
    assert np.isfinite(rank_of([("a", -math.inf), ("b", 1.0)], ["a"]))
