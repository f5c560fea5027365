"""The phenotypes of a gene ("What are the phenotypes of FBN1?"), on the mini HPO: FBN1 is
linked to Arachnodactyly, Ectopia lentis and Aortic root aneurysm through Marfan syndrome,
and to its mode of inheritance, which is no phenotype."""

from __future__ import annotations

from pathlib import Path

import pytest

from kgfuse.qa import QAService
from kgfuse.qa.evaluation import evaluate, generate_questions
from kgfuse.qa.intent import _pattern_intent
from kgfuse.qa.questions import TERM, Intent

HP = "http://purl.obolibrary.org/obo/HP_"
FBN1_PHENOTYPES = {HP + "0001166", HP + "0001083", HP + "0002616"}


@pytest.fixture(scope="module")
def qa(mini_home: Path) -> QAService:
    return QAService(mini_home / "kgs" / "hpo", home=mini_home, audit=False)


@pytest.mark.parametrize(
    "question",
    ["What are the phenotypes of FBN1?", "Which phenotypes are associated with the gene FBN1?"],
)
def test_the_phenotypes_of_a_gene(qa: QAService, question: str) -> None:
    answer = qa.ask(question)
    assert answer.answered and answer.intent == Intent.PHENOTYPES_OF_GENE.value
    assert {i.iri for i in answer.items} == FBN1_PHENOTYPES  # not Autosomal dominant
    assert all(i.type == TERM and i.detail == {"diseases": 1} for i in answer.items)
    assert answer.text.startswith(
        "FBN1 (NCBIGene:2200) is linked to 3 phenotypes through the annotations of its 1 disease"
    )
    assert {(f.subject.rsplit(":", 1)[-1], f.object) for f in answer.facts} == {
        ("2200", p) for p in FBN1_PHENOTYPES
    }


def test_a_gene_and_a_phenotype_ask_for_the_genes_diseases_with_it(qa: QAService) -> None:
    answer = qa.ask("What phenotypes of FBN1 include arachnodactyly?")
    assert answer.intent == Intent.DISEASES_OF_GENE.value  # its diseases with the phenotype


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("what are the phenotypes of ent_gene?", Intent.PHENOTYPES_OF_GENE),
        ("what are the symptoms of ent_gene?", None),  # a disease named by its gene?
        ("which diseases are associated with ent_gene?", None),  # its diseases
        # a disease's features (their own pattern since 2026-12-07)
        ("what are the symptoms of ent_disease?", Intent.DISEASE_FEATURES),
    ],
)
def test_the_pattern_for_a_genes_phenotypes(text: str, intent: Intent | None) -> None:
    assert _pattern_intent(text) is intent


def test_the_evaluation_scores_the_answer_set(qa: QAService) -> None:
    items = [
        i
        for i in generate_questions(qa.kg, per_template=2, seed=0)
        if i.intent == Intent.PHENOTYPES_OF_GENE.value
    ]
    assert items
    fbn1 = [i for i in items if "FBN1" in i.question]
    assert all(set(i.gold) == FBN1_PHENOTYPES for i in fbn1)
    report = evaluate(qa, items, progress=False)["per_type"]["phenotypes_of_gene"]
    assert report["n"] == len(items)
    assert report["f1"] == pytest.approx(report["intent_accuracy"])  # read right: set right
    assert report["intent_accuracy"] > 0.5  # not the agreement of two zeros
