"""``kgfuse eval compare``: two diagnosis reports compared case by case (``eval/compare.py``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from eval.compare import compare_ranked, rankers_in, read_ranked_cases
from eval.diagnosis import Case, evaluate_rankers
from kg.namespaces import to_iri
from kgfuse.cli import app

MARFAN = to_iri("OMIM:154700")
ARACHNODACTYLY = to_iri("HP:0001166")
PMID = (to_iri("PMID:42"),)
MODEL = "kgfuse model"


def _case(cid: str, disease: str, rank: float | None, tied: float = 1.0, **flags: bool) -> dict:
    subsets = {"all": True, "covered": True, "leakage_free": False, **flags}
    ranks = {MODEL: {"present": rank}, "other": {"present": 1.0}}
    ties = {MODEL: {"present": tied if rank is not None else None}, "other": {"present": 1.0}}
    return {"id": cid, "disease": disease, **subsets, "ranks": ranks, "tied": ties}


def _report(path: Path, cases: list[dict[str, Any]]) -> Path:
    data = {"metrics": {"other": {}, MODEL: {}}, "cases": cases}
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_differences_and_counts_on_hand_made_reports(tmp_path: Path) -> None:
    a = _report(
        tmp_path / "a.json",
        [_case("c1", "D1", 3.0), _case("c2", "D2", 1.0), _case("c3", "D3", None)],
    )
    b = _report(
        tmp_path / "b.json",
        # in another order: cases are matched by id
        [_case("c3", "D3", 12.0), _case("c1", "D1", 1.0), _case("c2", "D2", 1.0)],
    )
    result = compare_ranked(
        read_ranked_cases(a, MODEL), read_ranked_cases(b, MODEL), n_resamples=200
    )
    covered = {s.subset: s for s in result.subsets}["covered"]
    metrics = {m.metric: m for m in covered.metrics}
    assert metrics["top1"].a == pytest.approx(1 / 3)
    assert metrics["top1"].b == pytest.approx(2 / 3)
    assert metrics["top1"].difference.value == pytest.approx(1 / 3)
    assert metrics["top10"].difference.value == 0.0  # c3 moved up, not into the first ten
    # c3: unranked (reciprocal 0) -> rank 12; c1: 1/3 -> 1
    assert metrics["mrr"].difference.value == pytest.approx(((1 - 1 / 3) + 1 / 12) / 3)
    # every resample has B no worse than A: the interval cannot reach below 0
    assert metrics["mrr"].difference.low >= 0.0
    assert metrics["mrr"].difference.high > 0.0
    assert (covered.better_in_b, covered.better_in_a) == (2, 0)
    assert (covered.first_gained, covered.first_lost) == (1.0, 0.0)
    assert (covered.top10_gained, covered.top10_lost) == (0.0, 0.0)
    assert (covered.diseases_top1, covered.diseases_top10) == ((1, 0), (0, 0))  # D1 rises
    assert covered.cases == 3 and covered.diseases == 3
    assert {s.subset: s.cases for s in result.subsets}["leakage_free"] == 0
    assert [m["id"] for m in result.moved] == ["c3", "c1"]  # not ranked -> 12 first
    assert result.to_dict()["moved"][0]["rank_a"] is None
    assert "| c3 | D3 | not ranked | 12 |" in result.to_markdown()


def test_identical_rankings_differ_by_nothing(tmp_path: Path) -> None:
    a = _report(tmp_path / "a.json", [_case(f"c{i}", f"D{i % 3}", 1.0 + i) for i in range(9)])
    result = compare_ranked(read_ranked_cases(a), read_ranked_cases(a), n_resamples=50)
    for subset in result.subsets[:2]:
        for m in subset.metrics:
            assert (m.difference.value, m.difference.low, m.difference.high) == (0.0, 0.0, 0.0)
        assert subset.better_in_a == subset.better_in_b == 0
        assert subset.diseases_top1 == subset.diseases_top10 == (0, 0)
    assert result.moved == []


def test_ties_count_as_their_chance(tmp_path: Path) -> None:
    a = _report(tmp_path / "a.json", [_case("c1", "D1", 2.0)])
    b = _report(tmp_path / "b.json", [_case("c1", "D1", 1.5, tied=2.0)])  # shares the lead
    result = compare_ranked(read_ranked_cases(a), read_ranked_cases(b), n_resamples=10)
    covered = {s.subset: s for s in result.subsets}["covered"]
    assert covered.first_gained == pytest.approx(0.5)
    assert {m.metric: m.b for m in covered.metrics}["top1"] == pytest.approx(0.5)


def test_the_report_of_eval_diagnosis_reads_back_to_its_own_figures(tmp_path: Path, kg) -> None:
    def first(case: Case) -> list[tuple[str, float]]:
        return [(MARFAN, 1.0), ("urn:other", 0.0)]

    def second(case: Case) -> list[tuple[str, float]]:
        return [(MARFAN, 0.0), ("urn:other", 1.0)]

    def tied(case: Case) -> list[tuple[str, float]]:
        return [(MARFAN, 1.0), ("urn:other", 1.0)]

    cases = [
        Case(f"p{i}", present=(ARACHNODACTYLY,), diseases=(MARFAN,), pmids=PMID) for i in range(4)
    ]
    rankers = {"kgfuse first": first, "second": second, "tied": tied}
    report = evaluate_rankers(cases, rankers, annotations=kg.annotations, n_resamples=5)
    path = tmp_path / "diagnosis.json"
    path.write_text(json.dumps(report.to_dict()), encoding="utf-8")
    assert rankers_in(json.loads(path.read_text())) == list(rankers)
    assert read_ranked_cases(tmp_path).ranker == "kgfuse first"  # the folder, its default
    for a, b in (("second", "kgfuse first"), ("second", "tied")):
        result = compare_ranked(
            read_ranked_cases(path, a), read_ranked_cases(path, b), n_resamples=20
        )
        got = {m.metric: (m.a, m.b) for m in result.subsets[0].metrics}
        for side, name in ((0, a), (1, b)):
            written = report.to_dict()["metrics"][name]["present"]["all"]
            assert got["top1"][side] == pytest.approx(written["top1"]["value"])
            assert got["mrr"][side] == pytest.approx(written["mrr"]["value"])


@pytest.mark.parametrize(
    ("cases_b", "message"),
    [
        ([_case("c1", "D1", 1.0), _case("c9", "D2", 1.0)], "1 only in A (c2), 1 only in B (c9)"),
        ([_case("c1", "D1", 1.0), _case("c2", "D9", 1.0)], "'c2' is D2 in A and D9 in B"),
    ],
)
def test_reports_of_other_cases_are_refused(
    tmp_path: Path, cases_b: list[dict], message: str
) -> None:
    a = _report(tmp_path / "a.json", [_case("c1", "D1", 1.0), _case("c2", "D2", 1.0)])
    b = _report(tmp_path / "b.json", cases_b)
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        compare_ranked(read_ranked_cases(a), read_ranked_cases(b))


def test_a_report_without_diseases_is_named(tmp_path: Path) -> None:
    a = _report(tmp_path / "a.json", [_case("c1", "D1", 1.0)])
    nameless = _case("c1", "D1", 1.0)
    del nameless["disease"]
    b = _report(tmp_path / "b.json", [nameless])
    with pytest.raises(ValueError, match="B does not name each case's disease"):
        compare_ranked(read_ranked_cases(a), read_ranked_cases(b))


def test_bad_reports_are_named(tmp_path: Path) -> None:
    good = _report(tmp_path / "good.json", [_case("c1", "D1", 1.0)])
    with pytest.raises(ValueError, match="no ranker 'nope'; it has: other, kgfuse model"):
        read_ranked_cases(good, "nope")
    with pytest.raises(ValueError, match="unknown terms"):
        read_ranked_cases(good, terms="excluded")
    with pytest.raises(ValueError, match="has no 'present\\+excluded' ranks"):
        read_ranked_cases(good, MODEL, terms="present+excluded")
    with pytest.raises(FileNotFoundError, match="no diagnosis report"):
        read_ranked_cases(tmp_path / "absent")
    (tmp_path / "list.json").write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(ValueError, match="no 'cases' list"):
        read_ranked_cases(tmp_path / "list.json")
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    with pytest.raises(ValueError, match="nested too deeply"):
        read_ranked_cases(tmp_path / "deep.json")
    (tmp_path / "bytes.json").write_bytes(b"\xff\xfe{")
    with pytest.raises(ValueError, match="not a JSON diagnosis report"):
        read_ranked_cases(tmp_path / "bytes.json")
    for rank in (0.0, "1", True, float("nan")):
        case = _case("c1", "D1", 1.0)
        case["ranks"][MODEL]["present"] = rank
        bad = tmp_path / "bad.json"
        bad.write_text(json.dumps({"cases": [case]}), encoding="utf-8")
        with pytest.raises(ValueError, match="is not a position"):
            read_ranked_cases(bad, MODEL)
    twice = _report(tmp_path / "twice.json", [_case("c1", "D1", 1.0), _case("c1", "D1", 2.0)])
    with pytest.raises(ValueError, match="'c1' is repeated"):
        read_ranked_cases(twice, MODEL)
    baselines = tmp_path / "baselines.json"
    baselines.write_text(json.dumps({"metrics": {"other": {}}, "cases": []}), encoding="utf-8")
    with pytest.raises(ValueError, match="no kgfuse ranker; name one of: other"):
        read_ranked_cases(baselines)


def test_cli_writes_the_comparison(tmp_path: Path) -> None:
    a = _report(tmp_path / "a.json", [_case("c1", "D1", 4.0), _case("c2", "D2", 1.0)])
    b = _report(tmp_path / "b.json", [_case("c1", "D1", 1.0), _case("c2", "D2", 1.0)])
    out = tmp_path / "report"
    args = ["eval", "compare", str(a), str(b), "--ranker-b", MODEL]  # A: the default
    result = CliRunner().invoke(app, [*args, "--out", str(out), "--json", "--resamples", "50"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data == json.loads((out / "eval_compare.json").read_text(encoding="utf-8"))
    assert data["subsets"]["covered"]["metrics"]["top1"]["difference"]["value"] == 0.5
    assert data["bootstrap"]["resamples"] == 50
    assert "| top1 | 50.0 | 100.0 |" in (out / "eval_compare.md").read_text(encoding="utf-8")
    bad = CliRunner().invoke(app, ["eval", "compare", str(a), str(tmp_path / "none")])
    assert bad.exit_code == 2
    assert "no diagnosis report" in bad.output
    assert np.isfinite(data["subsets"]["all"]["metrics"]["mrr"]["difference"]["low"])
