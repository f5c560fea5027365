"""A question whose words the KG has no name for is offered the names spelt like them
("What is arachnodactly?"), never answered with a guess; on the mini HPO."""

from __future__ import annotations

from pathlib import Path

import pytest
from rapidfuzz.distance import Levenshtein

from kgfuse.qa import QAService, entities
from kgfuse.qa.entities import MIN_SPELLING_SIMILARITY
from kgfuse.qa.questions import TERM

ARACHNODACTYLY = "http://purl.obolibrary.org/obo/HP_0001166"


@pytest.fixture(scope="module")
def qa(mini_home: Path) -> QAService:
    return QAService(mini_home / "kgs" / "hpo", home=mini_home, audit=False)


@pytest.mark.parametrize("typo", ["arachnodactly", "arachnodactyyly", "Arachnodacytly"])
def test_a_typo_is_offered_the_name_spelt_like_it(qa: QAService, typo: str) -> None:
    answer = qa.ask(f"What is {typo}?")
    assert not answer.answered and answer.intent == "unknown"
    assert f"'{typo}' is no name of the KG; did you mean Arachnodactyly (HP:0001166)?" in (
        answer.text
    )
    assert [(i.iri, i.type, i.detail) for i in answer.items] == [
        (ARACHNODACTYLY, TERM, {"spelt_like": typo})
    ]
    assert answer.suggestions == ["What is Arachnodactyly?"]
    assert qa.ask(answer.suggestions[0]).answered  # the question offered is answered


def test_words_spelt_like_no_name_are_offered_nothing(qa: QAService) -> None:
    answer = qa.ask("What is a floppy baby?")
    assert not answer.answered and answer.items == [] and answer.suggestions == []
    assert "did you mean" not in answer.text


def test_only_names_within_the_similarity_are_offered(qa: QAService) -> None:
    far = "arachnxxxxyly"  # 4 edits from "arachnodactyly"
    assert Levenshtein.normalized_similarity(far, "arachnodactyly") < MIN_SPELLING_SIMILARITY
    assert qa.entities.spelled_like(f"What is {far}?", []) == []
    near = qa.entities.spelled_like("What is arachnodactly?", [])
    assert near == [("arachnodactly", [("Arachnodactyly", ARACHNODACTYLY)])]


def test_a_run_longer_than_the_limit_is_not_compared(
    qa: QAService, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a pasted text is not compared with every name: the same typo, past a shorter limit
    assert qa.entities.spelled_like("What is arachnodactly?", [])
    monkeypatch.setattr(entities, "MAX_SPELLED_CHARS", len("arachnodactly") - 1)
    assert qa.entities.spelled_like("What is arachnodactly?", []) == []


def test_a_disease_written_with_an_s_is_read_by_its_short_name(qa: QAService) -> None:
    """ "Marfan" is *Marfan syndrome* without its head word (kgfuse.qa.disease_names), and
    "Marfans" or "Marfan's" that short name with an s."""
    for written in ("Marfans", "Marfan's"):
        answer = qa.ask(f"What are the features of {written}?")
        assert answer.answered and answer.intent == "disease_features"
        assert [e["iri"] for e in answer.entities] == ["https://omim.org/entry/154700"]
