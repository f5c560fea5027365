"""The diagnosis report says what went wrong with its cases, beside figures that do not
change: each case's reading warnings, and the cases without a present finding recognised
(``kgfuse diagnose`` refuses them) or without a diagnosis (misses), counted in the config of
``kgfuse eval diagnosis`` and the JSON, flagged per case, and named in the Markdown."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from eval.diagnosis import NAMED_CASES, Case, evaluate_rankers
from kg.namespaces import to_iri

MARFAN = to_iri("OMIM:154700")
ARACHNODACTYLY, TALL_STATURE = to_iri("HP:0001166"), to_iri("HP:0000098")
PMID = (to_iri("PMID:42"),)
COUNTS = ("cases_with_warnings", "cases_without_present_findings", "cases_without_diagnoses")


def ranker(case: Case) -> list[tuple[str, float]]:
    """Marfan first for a case with a present term, else last."""
    return [(MARFAN, 1.0 if case.present else -1.0), ("urn:other", 0.0)]


def _cases() -> list[Case]:
    return [
        Case("fine", present=(ARACHNODACTYLY,), diseases=(MARFAN,), pmids=PMID),
        Case(
            "warned",
            present=(TALL_STATURE,),
            diseases=(MARFAN,),
            pmids=PMID,
            warnings=("HP:9999999: unknown or obsolete term; skipped",),
        ),
        Case("ruled_out_only", excluded=(ARACHNODACTYLY,), diseases=(MARFAN,), pmids=PMID),
        Case("undiagnosed", present=(ARACHNODACTYLY,), pmids=PMID),
    ]


def test_the_report_keeps_each_cases_warnings_and_flags(kg) -> None:
    report = evaluate_rankers(_cases(), {"r": ranker}, annotations=kg.annotations, n_resamples=5)
    data = report.to_dict()
    cases = {c["id"]: c for c in data["cases"]}
    # a case with nothing to say carries none of the new keys (the JSON stays small)
    assert not {"warnings", "no_present_findings", "no_diagnosis"} & cases["fine"].keys()
    assert cases["warned"]["warnings"] == ["HP:9999999: unknown or obsolete term; skipped"]
    assert cases["ruled_out_only"]["no_present_findings"] is True
    assert "warnings" not in cases["ruled_out_only"]
    assert cases["undiagnosed"]["no_diagnosis"] is True
    assert {k: data[k] for k in COUNTS} == dict.fromkeys(COUNTS, 1)
    # ranked and counted as before: the case without a present finding a miss at rank 2,
    # the one without a diagnosis unranked (null), both in the figures
    assert cases["ruled_out_only"]["ranks"]["r"]["present"] == 2.0
    assert cases["undiagnosed"]["ranks"]["r"]["present"] is None
    assert data["metrics"]["r"]["present"]["all"]["n"] == 4
    assert data["metrics"]["r"]["present"]["all"]["top1"]["value"] == pytest.approx(0.5)
    json.dumps(data, allow_nan=False)
    markdown = report.to_markdown()
    assert "1 of 4 case(s) had warnings while read" in markdown
    assert "1 case(s) have no present finding recognised" in markdown
    assert "rank them: ruled_out_only." in markdown
    assert "1 case(s) have no diagnosis and count as misses: undiagnosed." in markdown


def test_a_caller_decides_which_cases_have_no_present_finding(kg) -> None:
    cases = _cases()
    calls: list[str] = []

    def counting(case: Case) -> list[tuple[str, float]]:
        calls.append(case.id)
        return ranker(case)

    flags = [True, False, False, False]
    report = evaluate_rankers(
        cases, {"r": counting}, annotations=kg.annotations, n_resamples=5, no_present=flags
    )
    assert report.no_present.tolist() == flags
    assert report.case_counts["cases_without_present_findings"] == 1
    calls.clear()
    with pytest.raises(ValueError, match="3 no-present-finding flags for 4 cases"):
        evaluate_rankers(cases, {"r": counting}, annotations=kg.annotations, no_present=flags[:3])
    assert calls == []  # refused before any case is ranked


def test_the_counts_are_known_before_the_cases_are_ranked(kg) -> None:
    """:func:`case_counts` (what ``kgfuse eval diagnosis`` records in its config) is the
    report's own count, with or without the caller's no-present-finding flags."""
    import kgfuse.evaluation
    from eval.diagnosis import case_counts

    assert kgfuse.evaluation.case_counts is case_counts  # one count, the report's
    for flags in (None, [True, True, False, False]):
        report = evaluate_rankers(
            _cases(), {"r": ranker}, annotations=kg.annotations, n_resamples=5, no_present=flags
        )
        assert case_counts(_cases(), flags) == report.case_counts
    assert case_counts(_cases(), [True, True, False, False]) == {
        "cases_with_warnings": 1,
        "cases_without_present_findings": 2,
        "cases_without_diagnoses": 1,
    }


def test_the_markdown_names_the_first_cases_only(kg) -> None:
    many = [Case(f"u{i}", present=(ARACHNODACTYLY,), pmids=PMID) for i in range(NAMED_CASES + 3)]
    cases = [Case("d", present=(ARACHNODACTYLY,), diseases=(MARFAN,)), *many]
    report = evaluate_rankers(cases, {"r": ranker}, annotations=kg.annotations, n_resamples=5)
    line = next(x for x in report.to_markdown().splitlines() if "no diagnosis" in x)
    assert f"u{NAMED_CASES - 1} and 3 more." in line and f"u{NAMED_CASES}," not in line
    # every one is flagged in the JSON
    assert sum(c.get("no_diagnosis", False) for c in report.to_dict()["cases"]) == len(many)


# ---- kgfuse eval diagnosis -------------------------------------------------------------------
def _write(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


ROWS: list[dict[str, Any]] = [
    {"id": "fine", "present_hpo": ["HP:0001166", "HP:0001083"], "diseases": ["OMIM:154700"]},
    # every present id unknown: skipped, with a warning
    {"id": "unknown", "present_hpo": ["HP:9999999"], "diseases": ["OMIM:154700"]},
    {
        "id": "excluded_only",
        "present_hpo": [],
        "excluded_hpo": ["HP:0001166"],
        "diseases": ["OMIM:154700"],
    },
    # a mode of inheritance is no phenotypic abnormality: the diagnoser skips it
    {"id": "inheritance", "present_hpo": ["HP:0000006"], "diseases": ["OMIM:154700"]},
    {"id": "no_dx", "present_hpo": ["HP:0000098"], "diseases": []},
    {"id": "fine", "present_hpo": ["HP:0000098"], "diseases": ["OMIM:154700"]},  # id again
    {
        "id": "phenopacket_excluded",
        "phenotypicFeatures": [{"type": {"id": "HP:0001166"}, "excluded": True}],
        "interpretations": [{"id": "i", "diagnosis": {"disease": {"id": "OMIM:154700"}}}],
    },
]


def test_eval_diagnosis_reports_warnings_and_unrankable_cases(kg, tmp_path: Path) -> None:
    from kgfuse.evaluation import evaluate_diagnosis

    cases = _write(tmp_path / "cases.jsonl", ROWS)
    report = evaluate_diagnosis(kg, cases, tmp_path / "out", n_resamples=5, progress=False)
    data = json.loads((tmp_path / "out" / "diagnosis.json").read_text(encoding="utf-8"))
    expected = {
        "cases_with_warnings": 2,  # the unknown id, the repeated id
        "cases_without_present_findings": 4,
        "cases_without_diagnoses": 1,
    }
    assert {k: data["config"][k] for k in COUNTS} == expected
    assert {k: data[k] for k in COUNTS} == expected
    flagged = [c["id"] for c in data["cases"] if c.get("no_present_findings")]
    assert flagged == ["unknown", "excluded_only", "inheritance", "phenopacket_excluded"]
    assert [c["id"] for c in data["cases"] if c.get("no_diagnosis")] == ["no_dx"]
    warned = {c["id"]: c["warnings"] for c in data["cases"][1:] if "warnings" in c}
    assert list(warned) == ["unknown", "fine"]
    assert "is also the id of an earlier case (cases.jsonl:1)" in warned["fine"][0]
    markdown = (tmp_path / "out" / "diagnosis.md").read_text(encoding="utf-8")
    assert "2 of 7 case(s) had warnings while read" in markdown
    assert "4 case(s) have no present finding recognised" in markdown
    assert "1 case(s) have no diagnosis and count as misses: no_dx." in markdown
    # the figures are those of the same cases without the new report: every case counted
    plain = evaluate_rankers(
        _read(kg, cases),
        _baselines(kg),
        annotations=kg.annotations,
        n_resamples=5,
        reference="Resnik one-sided",
        candidates=[s for s in kg.annotations.subjects if s.startswith("https://omim.org/")],
    )
    assert report.metrics == plain.metrics
    for name, by_mode in plain.positions.items():
        for mode, positions in by_mode.items():
            assert np.array_equal(report.positions[name][mode].better, positions.better)
            assert np.array_equal(report.positions[name][mode].tied, positions.tied)


def _read(kg, cases: Path) -> list[Case]:
    from kgfuse.resources import default_linker
    from train.phenopacket import read_cases

    return read_cases(cases, kg.hierarchy, read_label=default_linker(kg).read_label)


def _baselines(kg) -> dict[str, Any]:
    from eval.diagnosis import likelihood_ranker, resnik_ranker
    from kg.rules.likelihood import PhenotypeLikelihood
    from kg.rules.resnik import ResnikRanker
    from kgfuse.evaluation import RESNIK_SETTINGS
    from train.diagnosis import candidate_subjects

    subjects = candidate_subjects(kg, "OMIM")
    return {
        "Resnik one-sided": resnik_ranker(
            ResnikRanker(kg.hierarchy, kg.annotations, subjects=subjects, **RESNIK_SETTINGS)
        ),
        "LIRICAL-style LR": likelihood_ranker(
            PhenotypeLikelihood.from_kg(kg.hierarchy, kg.annotations, subjects=subjects)
        ),
    }
