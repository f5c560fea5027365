"""A question naming a finding that the ontology names only with a qualifier ("Is
dysgenesis a feature of X?": *CNS dysgenesis*, *Peripheral dysgenesis* of a toy ontology) is
not answered, but offers the terms named with it, those of the question's disease first.
(HPO's hypomyelination was such a finding until linking version 24 read it as the CNS's.)"""

from __future__ import annotations

import pytest

from kgfuse.qa import QAService
from tests.mini_hpo_env import extended_mini_qa, obo_term, obo_terms

CNS = "http://purl.obolibrary.org/obo/HP_0003429"
PERIPHERAL = "http://purl.obolibrary.org/obo/HP_0007182"

TERMS = obo_terms(
    obo_term("HP:0003429", "CNS dysgenesis"),
    obo_term("HP:0007182", "Peripheral dysgenesis"),
)
ANNOTATIONS = [
    ("OMIM:300002", "Neuropathy syndrome C", "", "HP:0007182", "", "P"),
    ("OMIM:300003", "Leukodystrophy syndrome D", "", "HP:0003429", "", "P"),
]


@pytest.fixture(scope="module")
def qa(tmp_path_factory: pytest.TempPathFactory) -> QAService:
    return extended_mini_qa(tmp_path_factory.mktemp("named_with"), TERMS, ANNOTATIONS, [])


def test_terms_named_with_a_finding_are_offered_shortest_first(qa: QAService) -> None:
    answer = qa.ask("Which diseases have dysgenesis?")
    assert not answer.answered
    assert [i.iri for i in answer.items] == [CNS, PERIPHERAL] and answer.total == 2
    assert "'dysgenesis' is no name of a term; terms named with it" in answer.text
    assert answer.suggestions == ["Which diseases have CNS dysgenesis?"]
    assert all(i.detail == {"named_with": "dysgenesis"} for i in answer.items)


def test_the_terms_of_the_questions_disease_come_first(qa: QAService) -> None:
    answer = qa.ask("Is dysgenesis a feature of Neuropathy syndrome C?")
    assert not answer.answered
    assert [i.iri for i in answer.items] == [PERIPHERAL, CNS]
    assert answer.suggestions == ["Is Peripheral dysgenesis a feature of Neuropathy syndrome C?"]
    # the suggestion, asked, is answered
    asked = qa.ask(answer.suggestions[0])
    assert asked.answered and asked.text.startswith("Yes")


def test_a_word_that_names_no_term_offers_none(qa: QAService) -> None:
    answer = qa.ask("Which diseases have zzyzxquux?")
    assert not answer.answered and answer.items == [] and answer.suggestions == []
    # a fragment shorter than five characters is not searched ("CNS" names a term here)
    answer = qa.ask("Which diseases have CNS?")
    assert not answer.answered and answer.items == [] and answer.suggestions == []
    # a term named whole is answered as before
    assert qa.ask("Which diseases have CNS dysgenesis?").answered


def test_a_suggestion_is_one_the_question_so_written_is_read_with(
    qa: QAService, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A term whose label the question linker reads as something else ("Chaotic multifocal
    atrial tachycardia" holds a shorter disease name) is offered but not asked with: the
    next term that is read back is."""
    read = qa.entities.link

    def reads_cns_as_nothing(question: str):  # type: ignore[no-untyped-def]
        return [e for e in read(question) if e.iri != CNS]

    monkeypatch.setattr(qa.entities, "link", reads_cns_as_nothing)
    answer = qa.ask("Which diseases have dysgenesis?")
    assert [i.iri for i in answer.items] == [CNS, PERIPHERAL]
    assert answer.suggestions == ["Which diseases have Peripheral dysgenesis?"]


def test_only_the_first_runs_of_unknown_words_are_searched(qa: QAService) -> None:
    words = ", ".join(f"zq{a}{b}x" for a in "abcde" for b in "fghijklmnop")  # 55 runs
    answer = qa.ask(f"Which diseases have {words} and dysgenesis?")
    assert not answer.answered and answer.items == []  # the run that names terms comes late
    answer = qa.ask("Which diseases have zqx, dysgenesis?")
    assert [i.iri for i in answer.items] == [CNS, PERIPHERAL]
