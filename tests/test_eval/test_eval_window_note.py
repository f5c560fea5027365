"""The note of findings past the model's text window says where they still count, true for
a model whose prior weighs excluded findings and for one whose prior leaves them out
(``prior_excluded_weight`` 0, the default): there an excluded finding counts only where the
window holds it, not "in the prior". The retrieved facts are named only for a model that has
a fact index."""

from __future__ import annotations

from pathlib import Path

import pytest

from encoders.linker import linker_from_kg
from fusion.pipeline import Diagnoser
from kg.knowledge_graph import KnowledgeGraph
from kg.rules.likelihood import LikelihoodConfig
from tests.test_fusion.test_model_review_fixes import TERMS, save_model
from tests.tiny_bert import write_tiny_bert

#: what the note said of every model before; true only where excluded findings count and
#: the model retrieves facts
WEIGHED = "every finding counts in the prior, and every present one in the retrieved facts"
LEFT_OUT = (
    "every present one counts in the prior and the retrieved facts, an excluded one only "
    "where the window holds it (this model's prior leaves excluded findings out)"
)


class _Index:
    """A fact index that finds no fact: the notes of a model that retrieves facts."""

    def search(self, **_: object) -> list[object]:
        return []


@pytest.fixture(scope="module")
def bert(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_bert(tmp_path_factory.mktemp("bert"), ["clinical", "findings", "absent"])


def _diagnoser(kg: KnowledgeGraph, bert: Path, folder: Path, excluded_weight: float) -> Diagnoser:
    prior = LikelihoodConfig(partial_credit=True, excluded_weight=excluded_weight)
    save_model(folder, kg, bert, max_length=24, likelihood=prior.to_dict())
    return Diagnoser.load(folder, kg, precision="fp32", linker=linker_from_kg(kg))


def _window_notes(warnings: list[str]) -> list[str]:
    return [w for w in warnings if w.startswith("the model's text window")]


def test_the_window_note_says_where_excluded_findings_count(
    kg: KnowledgeGraph, bert: Path, tmp_path: Path
) -> None:
    text = "She has arachnodactyly and ectopia lentis. " * 2
    left_out = _diagnoser(kg, bert, tmp_path / "m0", 0.0)
    left_out.builder.fact_index = _Index()
    assert left_out.builder.likelihood.config.excluded_weight == 0.0
    [note] = _window_notes(left_out.diagnose("p", present=TERMS[:3], excluded=TERMS[3:]).warnings)
    assert note.endswith(f"(present ones first): {LEFT_OUT}")
    assert "every finding counts in the prior" not in note
    # a given text past the window: the excluded findings after it count nowhere
    [cut] = [w for w in left_out.diagnose("t", text=text).warnings if "tokens long" in w]
    assert (
        "the present findings after that count in the prior and the retrieved facts, the "
        "excluded ones nowhere" in cut
    )
    # a prior that weighs excluded findings: the notes as they were
    weighed = _diagnoser(kg, bert, tmp_path / "m1", 0.5)
    weighed.builder.fact_index = _Index()
    [note] = _window_notes(weighed.diagnose("p", present=TERMS[:3], excluded=TERMS[3:]).warnings)
    assert note.endswith(f"(present ones first): {WEIGHED}")
    [cut] = [w for w in weighed.diagnose("t", text=text).warnings if "tokens long" in w]
    assert cut.endswith(
        "the findings after that count in the prior and the retrieved facts, not in the text "
        "the model reads"
    )


def test_the_window_note_names_no_facts_for_a_model_without_an_index(
    kg: KnowledgeGraph, bert: Path, tmp_path: Path
) -> None:
    text = "She has arachnodactyly and ectopia lentis. " * 2
    for weight, expected in (
        (
            0.0,
            "every present one counts in the prior, an excluded one only where the window "
            "holds it (this model's prior leaves excluded findings out)",
        ),
        (0.5, "every finding counts in the prior"),
    ):
        plain = _diagnoser(kg, bert, tmp_path / f"m{weight}", weight)
        assert plain.builder.fact_index is None  # saved without facts/
        [note] = _window_notes(plain.diagnose("p", present=TERMS[:3], excluded=TERMS[3:]).warnings)
        assert note.endswith(f"(present ones first): {expected}")
        [cut] = [w for w in plain.diagnose("t", text=text).warnings if "tokens long" in w]
        assert "retrieved facts" not in note and "retrieved facts" not in cut
        assert "count in the prior, " in cut or "count in the prior, not" in cut
