"""``kgfuse eval diagnosis --draw-findings K``: cases described by K of their findings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eval.diagnosis import Case
from kgfuse.evaluation import drawn_findings

TERMS = tuple(f"http://purl.obolibrary.org/obo/HP_{i:07d}" for i in range(1, 30))


def _case(case_id: str, present: tuple[str, ...], text: str | None = None) -> Case:
    return Case(case_id, present=present, excluded=(TERMS[-1],), text=text, diseases=("d",))


@given(
    st.lists(st.sampled_from(TERMS[:-1]), unique=True, max_size=20),
    st.integers(min_value=1, max_value=25),
    st.text(min_size=1, max_size=8),
)
def test_a_draw_keeps_k_of_the_present_findings_in_order_and_no_excluded_one(
    present: list[str], count: int, case_id: str
) -> None:
    (drawn,) = drawn_findings([_case(case_id, tuple(present))], count)
    assert len(drawn.present) == min(count, len(present))
    # a subsequence of the case's findings: each one of them, in the case's order
    positions = [present.index(t) for t in drawn.present]
    assert positions == sorted(positions) and len(set(positions)) == len(positions)
    assert drawn.excluded == ()
    assert (drawn.id, drawn.diseases) == (case_id, ("d",))


def test_a_case_draws_the_same_findings_in_any_run_subset_or_order() -> None:
    cases = [_case(f"c{i}", TERMS[i : i + 12]) for i in range(6)]
    once = {c.id: c.present for c in drawn_findings(cases, 3)}
    again = {c.id: c.present for c in drawn_findings(cases[::-1][:4], 3)}
    assert all(once[k] == v for k, v in again.items())
    # the seed and the case's id draw: another seed draws otherwise for some case
    other = {c.id: c.present for c in drawn_findings(cases, 3, seed=1)}
    assert other != once
    # and cases of the same findings draw by their own ids
    twins = drawn_findings([_case(f"t{i}", TERMS[:12]) for i in range(8)], 3)
    assert len({c.present for c in twins}) > 1


def test_a_free_text_case_is_read_whole_and_a_count_below_one_is_refused() -> None:
    text = _case("v1", (), text="Tall with arachnodactyly.")
    assert drawn_findings([text], 1) == [text]
    with pytest.raises(ValueError, match="at least 1, got 0"):
        drawn_findings([text], 0)


def test_eval_diagnosis_draws_says_so_and_refuses_free_text_only(
    mini_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kg.knowledge_graph import KnowledgeGraph
    from kgfuse import evaluation
    from kgfuse.evaluation import evaluate_diagnosis

    ranked: list[list[Case]] = []
    original = evaluation.evaluate_rankers

    def recording(cases, *args, **kwargs):  # type: ignore[no-untyped-def]
        ranked.append(list(cases))
        return original(cases, *args, **kwargs)

    monkeypatch.setattr(evaluation, "evaluate_rankers", recording)

    rows = [
        {
            "id": f"c{i}",
            "present_hpo": ["HP:0001166", "HP:0000098", "HP:0001083"],
            "excluded_hpo": ["HP:0001249"],
            "diseases": ["OMIM:154700"],
        }
        for i in range(3)
    ]
    cases = tmp_path / "cases.jsonl"
    cases.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    kg = KnowledgeGraph.open(mini_home / "kgs" / "hpo")
    whole = evaluate_diagnosis(kg, cases, tmp_path / "whole", n_resamples=5, progress=False)
    drawn = evaluate_diagnosis(
        kg, cases, tmp_path / "drawn", n_resamples=5, progress=False, draw_findings=1
    )
    assert whole.config["draw_findings"] is None and drawn.config["draw_findings"] == 1
    # the rankers were given the drawn cases: one present finding each, none excluded
    assert [(len(c.present), len(c.excluded)) for c in ranked[0]] == [(3, 1)] * 3
    assert [(len(c.present), len(c.excluded)) for c in ranked[1]] == [(1, 0)] * 3
    assert whole.config_hash != drawn.config_hash
    assert "described by 1 of its present findings" in drawn.to_markdown()
    assert "described by" not in whole.to_markdown()
    vignettes = tmp_path / "vignettes.jsonl"
    vignettes.write_text(
        json.dumps({"id": "v1", "text": "Tall with arachnodactyly.", "disease_id": "OMIM:154700"})
        + "\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="draws from structured cases"):
        evaluate_diagnosis(
            kg, vignettes, tmp_path / "v", n_resamples=5, progress=False, draw_findings=2
        )
