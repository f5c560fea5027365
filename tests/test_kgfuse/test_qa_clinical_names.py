"""A question names findings as a note does: kgfuse's clinical names of HPO terms are read in
questions as the diagnosis reads them in notes; a treatment is read only where a patient is
described to diagnose (the mini HPO: "mentally retarded" is a clinical name of *Intellectual
disability*, a valve-sparing root replacement is done for an *Aortic root aneurysm*)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kgfuse.audit import AuditLog, verify_record
from kgfuse.qa import QAService

ID = "http://purl.obolibrary.org/obo/HP_0001249"
AORTIC_ROOT_ANEURYSM = "http://purl.obolibrary.org/obo/HP_0002616"
ARACHNODACTYLY = "http://purl.obolibrary.org/obo/HP_0001166"
ECTOPIA_LENTIS = "http://purl.obolibrary.org/obo/HP_0001083"
MARFAN = "https://omim.org/entry/154700"
#: a patient described by one treatment, and by the finding it treats
TREATED_ALONE = (
    "What is the differential diagnosis of a man who had a valve-sparing root replacement?"
)
NAMED_ALONE = "What is the differential diagnosis of a man with an aortic root aneurysm?"


@pytest.fixture(scope="module")
def qa(mini_home: Path, mini_model: Path) -> QAService:
    return QAService(mini_home / "kgs" / "hpo", mini_model, mini_home)


def test_a_clinical_name_in_a_question_is_its_term(qa: QAService) -> None:
    entities = qa.entities.link("Which genes are linked to being mentally retarded?")
    assert [(e.text, e.iri) for e in entities] == [("mentally retarded", ID)]
    by_name = qa.ask("Which diseases have mentally retarded patients?")
    by_label = qa.ask("Which diseases have intellectual disability?")
    assert by_name.intent == by_label.intent == "diseases_with_feature"
    assert by_name.answered and by_name.items
    assert [i.iri for i in by_name.items] == [i.iri for i in by_label.items]


def test_a_treatment_names_no_entity_of_a_lookup(qa: QAService) -> None:
    entities = qa.entities.link("Which diseases have a valve-sparing root replacement?")
    assert AORTIC_ROOT_ANEURYSM not in {e.iri for e in entities}
    # the finding named is read as before
    named = qa.entities.link("Which diseases have an aortic root aneurysm?")
    assert [e.iri for e in named] == [AORTIC_ROOT_ANEURYSM]


def test_a_patient_described_by_a_treatment_alone_gets_the_diseases_with_its_finding(
    qa: QAService,
) -> None:
    question = TREATED_ALONE
    assert not qa.entities.link(question)  # the question's names hold no finding
    answer = qa.ask(question)
    # one finding: the diseases with it, as "a man with an aortic root aneurysm" gets
    assert answer.intent == "diseases_with_feature" and answer.answered
    assert MARFAN in {i.iri for i in answer.items}
    (entity,) = answer.entities
    assert (entity["iri"], entity["text"], entity["read_from"]) == (
        AORTIC_ROOT_ANEURYSM,
        "valve-sparing root replacement",
        "treatment",
    )
    named = qa.ask(NAMED_ALONE)
    assert [i.iri for i in named.items] == [i.iri for i in answer.items]
    assert "read_from" not in named.entities[0]  # written only where set


def test_a_differential_from_a_finding_told_by_its_treatment(qa: QAService) -> None:
    answer = qa.ask(
        "What is the diagnosis of a man with arachnodactyly who had a valve-sparing root "
        "replacement?"
    )
    assert answer.intent == "diagnose" and answer.answered
    assert MARFAN in {i.iri for i in answer.items}
    assert "Aortic root aneurysm" in answer.text  # "Read: ...; Aortic root aneurysm"
    # the audit record's mentions are the findings the differential was made from
    log = AuditLog(qa.audit_log.path)
    mentions = log.get(answer.audit_id).explanation.mentions
    assert [(m.iri, m.text, m.status, m.read_from) for m in mentions] == [
        (ARACHNODACTYLY, "arachnodactyly", "present", ""),
        (AORTIC_ROOT_ANEURYSM, "valve-sparing root replacement", "present", "treatment"),
    ]
    report = verify_record(log, answer.audit_id)
    assert report.identical, report.differences


def test_a_differential_records_the_questions_other_entities_beside_its_findings(
    qa: QAService,
) -> None:
    answer = qa.ask("Which diseases explain arachnodactyly and HP:0001083?")
    assert answer.intent == "diagnose" and answer.answered
    mentions = AuditLog(qa.audit_log.path).get(answer.audit_id).explanation.mentions
    # the id written in the question, which the linker does not read, is kept
    assert [(m.text, m.start, m.iri) for m in mentions] == [
        ("arachnodactyly", 23, ARACHNODACTYLY),
        ("HP:0001083", 42, ECTOPIA_LENTIS),
    ]


@pytest.mark.parametrize(
    "question",
    [
        "What is the differential diagnosis of a man whose valve-sparing root replacement "
        "was not performed?",
        "What is the differential diagnosis of a man whose father had a valve-sparing root "
        "replacement?",
    ],
)
def test_a_treatment_not_done_or_a_relatives_tells_no_finding(qa: QAService, question: str) -> None:
    assert not qa.entities.treatment_readings(question)
    answer = qa.ask(question)
    assert not answer.answered and answer.text.startswith("I cannot answer this")
    assert AORTIC_ROOT_ANEURYSM not in {e["iri"] for e in answer.entities}


def test_a_relatives_treatment_is_read_as_theirs(qa: QAService) -> None:
    """The control of the test above: the linker reads the father's treatment, as his."""
    mentions = qa.entities.linker.link(
        "What is the differential diagnosis of a man whose father had a valve-sparing root "
        "replacement?"
    )
    assert [(m.iri, m.family) for m in mentions] == [(AORTIC_ROOT_ANEURYSM, True)]


def test_cli_ask_says_which_finding_came_from_its_treatment(
    mini_home: Path, mini_model: Path
) -> None:
    from typer.testing import CliRunner

    from kgfuse.cli import app

    base = ["--kg", str(mini_home / "kgs" / "hpo"), "--home", str(mini_home), "--no-audit"]
    question = TREATED_ALONE
    result = CliRunner().invoke(app, ["ask", question, *base])
    assert result.exit_code == 0, result.output
    flat = " ".join(result.output.split())
    assert "valve-sparing root replacement -> HP:0002616 (from its treatment)" in flat
    named = CliRunner().invoke(app, ["ask", NAMED_ALONE, *base])
    assert named.exit_code == 0 and "from its" not in named.output


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("what is the differential diagnosis of a man with ent_term?", "diagnose"),
        ("likely diagnosis for a 3-year-old girl with ent_term and ent_term", "diagnose"),
        # how a diagnosis is made, who makes it: no differential asked for
        ("how is the diagnosis of a child with ent_term confirmed?", None),
        ("who makes the diagnosis in a child with ent_term?", None),
        # a yes/no question on one disease and one finding: is it one of its features?
        ("do kids with ent_disease end up with ent_term?", "is_feature_of"),
        ("ent_disease - is ent_term a feature?", "is_feature_of"),
        # ... unless it asks something else of them
        ("can ent_disease be diagnosed without ent_term?", None),
        ("should a child with ent_term be screened for ent_disease?", None),
        ("is ent_disease more severe when ent_term is present?", None),
        # one disease with words of its findings: its features; not a yes/no question
        ("ent_disease - clinical features?", "disease_features"),
        ("is dysgenesis a feature of ent_disease?", None),
        # a differential asked for after the findings, set off by a mark
        ("3yo boy with ent_term and ent_term - differential?", "diagnose"),
        ("ent_term, ent_term. ddx?", "diagnose"),
        ("newborn with ent_term and ent_term: likely diagnosis?", "diagnose"),
        ("ent_term and ent_term, what's the differential diagnosis", "diagnose"),
        # not where the words make no request at the question's end; a disease's differential is
        # the diseases like it
        ("ent_term with a differential of ent_term", None),
        ("ent_term in the dx of ent_term", None),
        ("ent_disease - differential?", "similar_diseases"),
        ("which hpo term is ent_term, dx", None),  # a question of its own first
        ("is ent_term a common mis-diagnosis?", None),  # a hyphen in a word is no mark
        ("ent_term after self-diagnosis", None),
        # a patient described from the first words, with no question of its own
        ("22m, ent_term, ent_term, ent_term.", "diagnose"),
        ("19yo f with ent_term and ent_term", "diagnose"),
        ("5 day old ent_term, ent_term, ent_term", "diagnose"),
        ("newborn with ent_term and ent_term", "diagnose"),
        ("8 mo, ent_term, ent_term", "diagnose"),
        # one finding, a question of its own, a disease named, or no patient first
        ("newborn with ent_term", None),
        ("newborn with ent_term and ent_term - which genes?", "genes_of_phenotype"),
        ("infant with ent_term and ent_term: is it ent_disease", None),
        ("ent_term and ent_term in the family", None),
    ],
)
def test_the_intent_patterns_of_clinicians_questions(text: str, intent: str | None) -> None:
    from kgfuse.qa.intent import _pattern_intent

    found = _pattern_intent(text)
    assert (found.value if found else None) == intent


def test_a_differential_asked_as_such_reads_every_finding_and_records_no_hedged_one(
    qa: QAService,
) -> None:
    """ "differential diagnosis" hedges what follows it in a note: the request is blanked
    before the diagnosis reads the question; a finding it still hedges ("may have") is not
    recorded as one the differential was made from."""
    answer = qa.ask(
        "What is the differential diagnosis of a man with arachnodactyly who had a "
        "valve-sparing root replacement?"
    )
    assert answer.intent == "diagnose" and answer.answered
    assert "Arachnodactyly, Aortic root aneurysm" in answer.text
    hedged = qa.ask(
        "What is the diagnosis of a man who may have arachnodactyly and had a valve-sparing "
        "root replacement?"
    )
    assert hedged.intent == "diagnose" and hedged.answered
    mentions = AuditLog(qa.audit_log.path).get(hedged.audit_id).explanation.mentions
    assert [(m.iri, m.status) for m in mentions if m.status == "present"] == [
        (AORTIC_ROOT_ANEURYSM, "present")
    ]
