"""A finding read from its treatment (linking version 56, :mod:`encoders.procedures`) keeps
that provenance from the linker to the patient's findings and into the audit record, its
text and its HTML; records without it read as before."""

from __future__ import annotations

from encoders.linker import ConceptLinker, LinkerConfig
from encoders.procedures import procedure_entries
from fusion.pipeline import patient_findings
from kg.lexicon import Lexicon, LexiconEntry
from kg.namespaces import to_iri
from kgfuse.explanation import Explanation, Mention

CRYPTORCHIDISM, HYDROCEPHALUS = to_iri("HP:0000028"), to_iri("HP:0000238")


def _linker() -> ConceptLinker:
    names = [
        LexiconEntry(CRYPTORCHIDISM, "Cryptorchidism", "label"),
        LexiconEntry(HYDROCEPHALUS, "Hydrocephalus", "label"),
    ]
    treatments = procedure_entries({CRYPTORCHIDISM, HYDROCEPHALUS})
    return ConceptLinker(Lexicon([*names, *treatments]), LinkerConfig())


def test_the_patients_findings_say_which_came_from_a_treatment() -> None:
    text = "He underwent orchidopexy at 2 years. Hydrocephalus. The VP shunt was not needed."
    findings, _ = patient_findings(_linker(), text)
    assert [(f.iri, f.text, f.excluded, f.read_from) for f in findings] == [
        (CRYPTORCHIDISM, "orchidopexy", False, "treatment"),
        (HYDROCEPHALUS, "Hydrocephalus", False, ""),
    ]


def _explanation(mentions: list[Mention]) -> Explanation:
    return Explanation(
        kind="diagnose",
        input_text="He underwent orchidopexy. Hydrocephalus.",
        mentions=mentions,
        facts=[],
        findings=[],
        ranking=[],
    )


def test_an_audit_record_keeps_the_treatment_and_shows_it() -> None:
    treated = Mention(
        "orchidopexy", 13, 24, CRYPTORCHIDISM, "Cryptorchidism", read_from="treatment"
    )
    named = Mention("Hydrocephalus", 26, 39, HYDROCEPHALUS, "Hydrocephalus")
    assert treated.to_dict()["read_from"] == "treatment"
    assert "read_from" not in named.to_dict()  # older records' form
    assert Mention.from_dict(treated.to_dict()) == treated
    assert Mention.from_dict(named.to_dict()) == named
    explanation = _explanation([treated, named])
    text = explanation.to_text()
    assert "Cryptorchidism (HP:0000028), present, from its treatment" in text
    assert "Hydrocephalus (HP:0000238), present\n" in text + "\n"
    html = explanation.to_html()
    assert "present, from its treatment</td>" in html
    assert html.count("from its treatment") == 2  # the table's cell and the span's title
