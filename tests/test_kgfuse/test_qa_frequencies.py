"""A disease's features of one frequency, and the diseases with a feature of one frequency
("What are the very frequent features of Marfan syndrome?"), on the mini HPO: Marfan syndrome
has Arachnodactyly (Very frequent; 12/20), Ectopia lentis (30/50), Aortic root aneurysm (80%)
and one feature of no stated frequency; Classic homocystinuria has Ectopia lentis (Frequent)
and Intellectual disability (Occasional)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kgfuse.qa import QAService
from kgfuse.qa.lookups import _in_band, _row_in_band, frequency_band

HP = "http://purl.obolibrary.org/obo/HP_"
VERY_FREQUENT, FREQUENT, OBLIGATE, EXCLUDED = (HP + f"00402{n}" for n in (81, 82, 80, 85))
MARFAN = "https://omim.org/entry/154700"
HOMOCYSTINURIA = "https://www.orpha.net/ORDO/Orphanet_394"


@pytest.fixture(scope="module")
def qa(mini_home: Path) -> QAService:
    return QAService(mini_home / "kgs" / "hpo", home=mini_home, audit=False)


def features(answer) -> set[str]:
    return {i.iri for i in answer.items if "frequency" in i.detail}


@pytest.mark.parametrize(
    ("question", "expected", "named"),
    [
        (
            "What are the very frequent features of Marfan syndrome?",
            {HP + "0001166", HP + "0002616"},  # Very frequent; 80%
            "of frequency Very frequent (80-99%)",
        ),
        (
            "Which features of Marfan syndrome are frequent?",
            {HP + "0001166", HP + "0001083"},  # 12/20; 30/50
            "of frequency Frequent (30-79%)",
        ),
    ],
)
def test_the_features_of_a_disease_of_one_frequency(
    qa: QAService, question: str, expected: set[str], named: str
) -> None:
    answer = qa.ask(question)
    assert answer.answered and answer.intent == "disease_features"
    assert features(answer) == expected
    assert f"Marfan syndrome (OMIM:154700) has {len(expected)} annotated features {named}" in (
        answer.text
    )


def test_a_frequency_no_feature_has_is_said(qa: QAService) -> None:
    answer = qa.ask("What are the obligate features of Marfan syndrome?")
    assert answer.answered and answer.intent == "disease_features"
    assert answer.text == (
        "No phenotype of Marfan syndrome (OMIM:154700) is annotated with the frequency "
        "Obligate (100%)."
    )


def test_the_diseases_with_a_feature_of_one_frequency(qa: QAService) -> None:
    frequent = qa.ask("Which diseases have ectopia lentis as a frequent feature?")
    assert frequent.answered and frequent.intent == "diseases_with_feature"
    assert {i.iri for i in frequent.items} == {MARFAN, HOMOCYSTINURIA}
    assert ", as Frequent (30-79%), e.g." in frequent.text
    very = qa.ask("Which diseases have ectopia lentis as a very frequent feature?")
    assert very.items == []
    assert very.text.startswith("No disease is annotated with Ectopia lentis (HP:0001083)")
    assert very.text.endswith(", as Very frequent (80-99%).")


@pytest.mark.parametrize(
    ("value", "inside"),
    [
        (1.0, {OBLIGATE}),
        (0.99, {VERY_FREQUENT}),
        (0.8, {VERY_FREQUENT}),
        (0.79, {FREQUENT}),
        (0.3, {FREQUENT}),
        (0.0, {EXCLUDED}),
    ],
)
def test_a_stated_value_falls_in_one_class(value: float, inside: set[str]) -> None:
    classes = {OBLIGATE, VERY_FREQUENT, FREQUENT, EXCLUDED, HP + "0040283", HP + "0040284"}
    assert all(frequency_band(c) is not None for c in classes)

    class Row:  # the two fields _in_band reads of an annotation
        frequency_term = None
        frequency = value

    assert {c for c in classes if _in_band(Row(), c)} == inside  # type: ignore[arg-type]

    class Table:  # the two columns _row_in_band reads of the annotation table
        frequency_term = [""]
        frequency = np.array([value], dtype=np.float32)

    assert {c for c in classes if _row_in_band(Table(), 0, c)} == inside


def test_a_stated_class_is_its_own_and_no_other() -> None:
    assert frequency_band(HP + "0001166") is None  # no frequency class

    class Row:
        frequency_term = FREQUENT
        frequency = 0.9  # the class stated decides, not its midpoint

    assert _in_band(Row(), FREQUENT) and not _in_band(Row(), VERY_FREQUENT)  # type: ignore[arg-type]
