"""QA answers on the mini HPO KG: a differential without a finding, ids the KG lacks, names
of both a phenotype and a disease, features counted once, the lookups under a broad term, and
the differential's ranked text."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from kg.sparql import IRI
from kgfuse.qa import QAService, lookups
from kgfuse.qa.entities import Entity
from kgfuse.qa.questions import DISEASE, TERM, Intent

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
FBN1 = "https://identifiers.org/ncbigene:2200"
CBS = "https://identifiers.org/ncbigene:875"
UNKNOWN_WARNING = "HP:9999999 is not an id of the KG: the question was read without it"

#: What the lookups of a term "or any of its subtypes" ran before they read the KG's tables in
#: memory: the reference their answers are checked against.
ORACLE_DISEASES = """
SELECT ?disease ?label ?frequency WHERE {
  ?phenotype rdfs:subClassOf* ?term .
  ?a rdf:object ?phenotype ; a kgv:PhenotypeAnnotation ; rdf:subject ?disease .
  FILTER NOT EXISTS { ?a kgv:negated true }
  OPTIONAL { ?disease rdfs:label ?label }
  OPTIONAL { ?a kgv:frequencyValue ?frequency }
  FILTER (!BOUND(?frequency) || ?frequency != 0)  # 0/n, Excluded: seen in no patient
}"""
ORACLE_GENES = """
SELECT DISTINCT ?gene ?symbol ?phenotype WHERE {
  ?phenotype rdfs:subClassOf* ?term . ?gene obo:RO_0002200 ?phenotype ; a kgv:Gene .
  OPTIONAL { ?gene rdfs:label ?symbol }
}"""


@pytest.fixture(scope="module")
def qa(mini_home: Path, mini_model: Path) -> QAService:
    return QAService(mini_home / "kgs" / "hpo", mini_model, mini_home, audit=False)


@pytest.fixture(scope="module")
def twins_qa(tmp_path_factory: pytest.TempPathFactory) -> QAService:
    """The mini HPO with a disease named like a phenotype ("Ectopia lentis", OMIM:225100)
    and an Orphanet twin of Marfan syndrome (ORPHA:558) with annotations of its own."""
    from kg.store import build_kg

    root = tmp_path_factory.mktemp("twins")
    data = root / "hpo"
    shutil.copytree(FIXTURES / "hpo_mini", data)
    orpha = "\tORPHA:558\tTAS\t\t{freq}\t\t\t{aspect}\tORPHA:orphadata[2025-01-01]"
    rows = [
        "OMIM:225100\tEctopia lentis\t\tHP:0001083\tOMIM:225100\tTAS\t\t\t\t\tP\t"
        "HPO:curator[2020-01-01]",
        *(
            f"ORPHA:558\tMarfan syndrome\t\t{term}" + orpha.format(freq=freq, aspect=aspect)
            for term, freq, aspect in (
                ("HP:0001166", "HP:0040282", "P"),  # Arachnodactyly again, as Frequent
                ("HP:0000478", "", "P"),
                ("HP:0001626", "", "P"),
                ("HP:0000006", "", "I"),  # Autosomal dominant inheritance: not a feature
            )
        ),
    ]
    with (data / "phenotype.hpoa").open("a", encoding="utf-8") as out:
        out.write("\n".join(rows) + "\n")
    build_kg(["hpo"], root / "kgs" / "hpo", hpo_dir=data, progress=False)
    return QAService(root / "kgs" / "hpo", home=root, audit=False)


def iris(answer) -> set[str]:
    return {i.iri for i in answer.items}


# ---- a differential needs a present finding -----------------------------------------------------
@pytest.mark.parametrize(
    ("question", "read", "warnings"),
    [
        ("Which diseases explain no intellectual disability?", "no Intellectual disability", []),
        (
            "Which diseases explain HP:9999999 but no intellectual disability?",
            "no Intellectual disability",
            [UNKNOWN_WARNING],
        ),
        ("Differential diagnosis for a patient with HP:9999999", "", [UNKNOWN_WARNING]),
    ],
)
def test_a_differential_without_a_present_finding_is_not_a_ranking(
    qa: QAService, question: str, read: str, warnings: list[str]
) -> None:
    answer = qa.ask(question)
    assert answer.intent == Intent.DIAGNOSE.value and not answer.answered
    assert answer.items == [] and answer.total == 0
    assert answer.text.startswith(
        "I cannot answer this: no present finding was recognised in the question"
    )
    assert f"(read: {read})" in answer.text if read else "(read:" not in answer.text
    assert "Most likely" not in answer.text and answer.warnings == warnings


def test_a_differential_without_a_finding_is_audited_without_the_model(
    mini_home: Path, mini_model: Path
) -> None:
    from kgfuse.audit import AuditLog, verify_record

    audited = QAService(mini_home / "kgs" / "hpo", mini_model, mini_home)
    ranked = audited.ask("Which diseases explain arachnodactyly and ectopia lentis?")
    answer = audited.ask("Which diseases explain no intellectual disability?")  # model loaded
    log = AuditLog(audited.audit_log.path)
    assert log.get(ranked.audit_id).model_fingerprint
    assert log.get(answer.audit_id).model_fingerprint is None  # it was not used
    report = verify_record(log, answer.audit_id)
    assert report.identical, report.differences


def test_a_differential_the_model_reads_no_finding_in_is_not_a_ranking(
    qa: QAService, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kgfuse.diagnosis import RecordError

    question = "Which diseases explain arachnodactyly but no intellectual disability?"
    service = qa.diagnosis
    real = service.run

    def only_the_ruled_out(record: dict[str, Any], index: int, top_k: int, audit: bool):
        out, explanation = real(record, index, top_k, audit=audit)
        explanation.mentions = [m for m in explanation.mentions if m.status == "excluded"]
        return out, explanation

    monkeypatch.setattr(service, "run", only_the_ruled_out)
    answer = qa.ask(question)
    assert not answer.answered and answer.items == []
    assert "(read: no Intellectual disability)" in answer.text

    def refused(record: dict[str, Any], index: int, top_k: int, audit: bool):
        raise RecordError("record question: no present finding recognised (only ruled out)")

    monkeypatch.setattr(service, "run", refused)
    answer = qa.ask(question)
    assert not answer.answered and answer.intent == Intent.DIAGNOSE.value
    assert answer.warnings == ["no present finding recognised (only ruled out)"]
    assert answer.text == (  # the model's reason, not a generic one
        "I cannot answer this: no present finding recognised (only ruled out). Name at least "
        "one finding the patient has."
    )


def test_a_differential_of_hedged_findings_says_they_were_hedged(qa: QAService) -> None:
    answer = qa.ask("Diagnose: possible arachnodactyly and maybe ectopia lentis")
    assert answer.intent == Intent.DIAGNOSE.value and not answer.answered
    assert "hedged or hypothetical" in answer.text and "'arachnodactyly'" in answer.text


@pytest.mark.parametrize(
    "question",
    [
        "Differential diagnosis: arachnodactyly, ectopia lentis",
        "DDx: arachnodactyly, ectopia lentis",
        "My son has arachnodactyly and ectopia lentis. What could it be?",
    ],
)
def test_a_differential_asked_for_by_its_heading_or_by_a_parent_is_ranked(
    qa: QAService, question: str
) -> None:
    """A question's "Differential diagnosis:" asks for one (in a note it would hedge its
    list), and "my son" is the patient (linking version 20)."""
    answer = qa.ask(question)
    assert answer.intent == Intent.DIAGNOSE.value and answer.answered, answer.text
    assert answer.text.startswith("Read: Arachnodactyly, Ectopia lentis.")
    assert answer.items


# ---- ids the KG lacks ---------------------------------------------------------------------------
def test_an_unknown_id_is_named_and_the_question_keeps_its_reading(qa: QAService) -> None:
    question = "Which diseases explain arachnodactyly and HP:9999999?"
    entities, guess = qa.understand(question)
    assert guess.intent is Intent.DIAGNOSE  # two findings, one unknown: still a differential
    assert [e.curie for e in entities] == ["HP:0001166"]
    answer = qa.ask(question)
    assert answer.answered and answer.items and answer.warnings == [UNKNOWN_WARNING]
    assert answer.text.endswith("Not an id of the KG, left out: HP:9999999.")
    genes = qa.ask("Which genes are linked to HP:9999999?")
    assert not genes.answered and genes.warnings == [UNKNOWN_WARNING]


def test_unknown_ids_are_those_with_a_prefix_of_the_kg(qa: QAService) -> None:
    found = qa.entities.unknown_ids("Is OMIM:999999 like HP:9999999? note:this, HP:0001166")
    assert [(u.text, u.type) for u in found] == [("OMIM:999999", DISEASE), ("HP:9999999", TERM)]
    assert qa.ask("What is arachnodactyly? note:this").warnings == []


def test_a_finding_written_as_an_id_counts_in_a_differential(qa: QAService) -> None:
    by_id = qa.ask("Which diseases explain arachnodactyly and HP:0001083?")
    by_name = qa.ask("Which diseases explain arachnodactyly and ectopia lentis?")
    assert by_id.text.startswith("Read: Arachnodactyly, Ectopia lentis.")
    assert [i.iri for i in by_id.items] == [i.iri for i in by_name.items]


# ---- the differential's text --------------------------------------------------------------------
def test_the_differential_text_gives_the_ranked_order_without_probabilities(
    qa: QAService,
) -> None:
    answer = qa.ask("Which diseases explain arachnodactyly, ectopia lentis and tall stature?")
    assert answer.answered and len(answer.items) >= 3
    top = ", ".join(i.label for i in answer.items[:3])
    assert f"Most likely, in ranked order: {top}." in answer.text
    assert "%" not in answer.text  # the ranking is not by probability: none to contradict it
    assert all(0.0 <= i.detail["probability"] <= 1.0 for i in answer.items)


# ---- features, each phenotype once --------------------------------------------------------------
def test_features_count_distinct_phenotypes_of_the_records_named(twins_qa: QAService) -> None:
    answer = twins_qa.ask("What are the features of Marfan syndrome?")
    assert answer.text.startswith(
        "Marfan syndrome (OMIM:154700) has 6 annotated features, from the annotations of "
        "OMIM:154700 and ORPHA:558 (same name): Arachnodactyly (Very frequent; Frequent; 12/20), "
    )
    assert answer.text.count("Arachnodactyly") == 1
    assert "Also annotated, not as features: Autosomal dominant inheritance (inheritance)." in (
        answer.text
    )
    assert "Explicitly not a feature: Intellectual disability." in answer.text
    assert len(iris(answer)) == len(answer.items)  # one item per phenotype
    by_label = {i.label: i.detail for i in answer.items}
    assert by_label["Arachnodactyly"]["sources"] == ["OMIM:154700", "ORPHA:558", "OMIM:154700"]
    assert by_label["Autosomal dominant inheritance"]["aspect"] == "inheritance"
    features = [i for i in answer.items if "frequency" in i.detail and "aspect" not in i.detail]
    assert len(features) == 6


def test_the_features_listed_and_the_more_add_up(
    twins_qa: QAService, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lookups, "FEATURES_LISTED", 2)
    answer = twins_qa.ask("What are the features of Marfan syndrome?")
    listed = answer.text.split(": ", 1)[1].split(". ", 1)[0]
    assert listed == (
        "Arachnodactyly (Very frequent; Frequent; 12/20), Aortic root aneurysm (80%) and 4 more"
    )
    assert "has 6 annotated features" in answer.text


def test_is_a_feature_of_names_each_phenotype_once(twins_qa: QAService) -> None:
    answer = twins_qa.ask("Is arachnodactyly a feature of Marfan syndrome?")
    assert answer.text == (
        "Yes: Marfan syndrome (OMIM:154700) is annotated with Arachnodactyly (Very frequent; "
        "Frequent; 12/20), from the annotations of OMIM:154700 and ORPHA:558 (same name)."
    )
    assert len(answer.facts) == 3  # every annotation is still cited


# ---- a name of both a phenotype and a disease ---------------------------------------------------
def test_genes_linked_to_a_phenotype_name_read_the_phenotype_and_offer_the_disease(
    twins_qa: QAService,
) -> None:
    answer = twins_qa.ask("Which genes are linked to ectopia lentis?")
    assert answer.intent == Intent.GENES_OF_PHENOTYPE.value and iris(answer) == {FBN1, CBS}
    offered = "Which genes are linked to OMIM:225100?"  # an id reads as its node alone
    assert (
        "'ectopia lentis' is read as the phenotype Ectopia lentis (HP:0001083); it also names "
        f'the disease Ectopia lentis (OMIM:225100): ask "{offered}" for that.'
    ) in answer.text
    entities, guess = twins_qa.understand(offered)
    assert guess.intent is Intent.GENES_OF_DISEASE
    assert [(e.curie, e.type) for e in entities] == [("OMIM:225100", DISEASE)]
    assert "also names" not in twins_qa.ask(offered).text  # an id names one node
    other = twins_qa.ask("Which genes are linked to the disease ectopia lentis?")
    assert other.intent == Intent.GENES_OF_DISEASE.value
    assert 'ask "Which genes are linked to HP:0001083?" for that.' in other.text


@pytest.mark.parametrize(
    ("question", "intent", "read"),
    [
        ("Which genes are linked with the phenotype ectopia lentis?", "genes_of_phenotype", TERM),
        ("Which genes are associated with ectopia lentis?", "genes_of_phenotype", TERM),
        ("What is the phenotype ectopia lentis?", "definition", TERM),
        (
            "Which genes are associated with the disease ectopia lentis?",
            "genes_of_disease",
            DISEASE,
        ),
        ("What is the disease ectopia lentis?", "definition", DISEASE),
        # uncalled, the reading with a definition: the phenotype's (the disease has none)
        ("What is ectopia lentis?", "definition", TERM),
    ],
)
def test_a_name_of_both_is_read_as_the_question_calls_it(
    twins_qa: QAService, question: str, intent: str, read: str
) -> None:
    entities, guess = twins_qa.understand(question)
    assert guess.intent.value == intent and [e.type for e in entities] == [read]
    answer = twins_qa.ask(question)
    other = "disease Ectopia lentis (OMIM:225100)" if read == TERM else "phenotype Ectopia lentis"
    assert f"it also names the {other}" in answer.text


def test_no_other_reading_is_offered_where_it_cannot_be_answered(twins_qa: QAService) -> None:
    answer = twins_qa.ask("Which diseases have ectopia lentis?")
    assert answer.answered and "also names" not in answer.text


# ---- lookups under a term, read in memory -------------------------------------------------------
def _entity(qa: QAService, iri: str) -> Entity:
    curie = qa.kg.named(iri).curie
    return Entity(curie, 0, len(curie), iri, curie, qa.kg.labels.get(iri, ""), TERM)


def test_lookups_under_a_term_give_the_sparql_path_answers(twins_qa: QAService) -> None:
    kg = twins_qa.kg
    for iri in kg.hierarchy.terms:
        term = _entity(twins_qa, iri)
        best: dict[str, tuple[float, str]] = {}
        for r in kg.select(ORACLE_DISEASES, term=IRI(iri)):
            f = r["frequency"] if r["frequency"] is not None else lookups.UNSTATED_FREQUENCY
            best[r["disease"]] = max(best.get(r["disease"], (f, "")), (f, r["label"] or ""))
        expected = sorted(best.items(), key=lambda d: (-d[1][0], d[1][1].casefold(), d[0]))
        found = lookups.diseases_with_feature(kg, term)
        frequencies = [
            f.frequency if f.frequency is not None else lookups.UNSTATED_FREQUENCY
            for f in found.facts
        ]
        got = [(i.iri, (f, i.label)) for i, f in zip(found.items, frequencies, strict=True)]
        assert got == expected and found.total == len(expected), iri
        genes: dict[str, dict[str, Any]] = {}
        for r in sorted(
            kg.select(ORACLE_GENES, term=IRI(iri)), key=lambda r: (r["symbol"], r["phenotype"])
        ):
            genes.setdefault(r["gene"], {"via": r["phenotype"], "symbol": r["symbol"]})
        found = lookups.genes_of_phenotype(kg, term)
        assert [(g.iri, g.detail["via"]["iri"]) for g in found.items] == [
            (g, v["via"]) for g, v in genes.items()
        ], iri


def test_diseases_under_a_broad_term_read_only_what_they_list(
    qa: QAService, monkeypatch: pytest.MonkeyPatch
) -> None:
    kg = qa.kg
    queries: list[str] = []
    select = kg.select

    def counted(query: str, **bindings: Any) -> list[dict[str, Any]]:
        queries.append(query)
        return select(query, **bindings)

    monkeypatch.setattr(kg, "select", counted)
    broad = _entity(qa, "http://purl.obolibrary.org/obo/HP_0000118")  # Phenotypic abnormality
    found = lookups.diseases_with_feature(kg, broad, limit=1)
    assert len(found.items) == len(found.facts) == 1 and found.total == 3
    assert found.text.endswith("e.g. 22q11 deletion syndrome and 2 more.")
    assert len(queries) == 1 and "subClassOf*" not in queries[0]  # one annotation's values
    lookups.genes_of_phenotype(kg, broad)
    assert len(queries) == 1  # the genes come from the KG's graph
    answer = qa.ask("Which diseases have phenotypic abnormality?", limit=1)
    assert len(answer.items) == 1 and answer.total == 3 and len(answer.facts) == 3


def test_kgfuse_ask_prints_the_answers_warnings(mini_home: Path, mini_model: Path) -> None:
    from typer.testing import CliRunner

    from kgfuse.cli import app

    question = "Which diseases explain arachnodactyly and HP:9999999?"
    args = ["ask", question, "--model", str(mini_model), "--home", str(mini_home), "--no-audit"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    flat = " ".join(result.output.split())
    assert "warning: HP:9999999 is not an id of the KG: the question was read without it" in flat
