"""Linking version 57: an acronym defined in brackets inside a name ("growth hormone (GH)
deficiency", "creatine kinase (CK) was elevated", "a ventriculoperitoneal (VP) shunt") is
read past, the name whole; the bracket still defines the acronym for its later uses, and
a bracket that is no acronym of the words before it stops the name as before."""

from __future__ import annotations

import re

import pytest

from encoders.linker import ConceptLinker, LinkerConfig, Mention
from encoders.procedures import procedure_entries
from kg.lexicon import Lexicon, LexiconEntry
from kg.namespaces import to_iri

GH_DEFICIENCY = to_iri("HP:0034323")
HIGH_CK = to_iri("HP:0003236")
ASD = to_iri("HP:0001631")
HYDROCEPHALUS = to_iri("HP:0000238")
PLEOCYTOSIS = to_iri("HP:0012229")


@pytest.fixture(scope="module")
def linker() -> ConceptLinker:
    names = [
        LexiconEntry(GH_DEFICIENCY, "Reduced circulating growth hormone concentration", "label"),
        LexiconEntry(GH_DEFICIENCY, "Growth hormone deficiency", "exact"),
        LexiconEntry(HIGH_CK, "Elevated circulating creatine kinase concentration", "label"),
        LexiconEntry(HIGH_CK, "Elevated creatine kinase", "exact"),
        LexiconEntry(ASD, "Atrial septal defect", "label"),
        LexiconEntry(HYDROCEPHALUS, "Hydrocephalus", "label"),
        LexiconEntry(PLEOCYTOSIS, "CSF pleocytosis", "label"),
        LexiconEntry(PLEOCYTOSIS, "Cerebrospinal fluid pleocytosis", "exact"),
    ]
    treatments = procedure_entries({HYDROCEPHALUS})
    return ConceptLinker(Lexicon([*names, *treatments]), LinkerConfig())


def _read(linker: ConceptLinker, text: str) -> list[tuple[str, str, bool]]:
    mentions = linker.link(text)
    assert all(m.text == text[m.start : m.end] for m in mentions)  # offsets as written
    return [(m.text, m.iri, m.excluded) for m in mentions]


@pytest.mark.parametrize(
    ("text", "span", "iri"),
    [
        ("He had growth hormone (GH) deficiency.", "growth hormone (GH) deficiency", GH_DEFICIENCY),
        (
            "Creatine kinase (CK) was elevated at 4,000 U/L.",
            "Creatine kinase (CK) was elevated",
            HIGH_CK,
        ),
        (
            "Cerebrospinal fluid (CSF) pleocytosis was found.",
            "Cerebrospinal fluid (CSF) pleocytosis",
            PLEOCYTOSIS,
        ),
        (
            "A ventriculoperitoneal (VP) shunt was placed.",
            "ventriculoperitoneal (VP) shunt",
            HYDROCEPHALUS,
        ),
    ],
)
def test_a_name_is_read_past_an_acronym_defined_inside_it(
    linker: ConceptLinker, text: str, span: str, iri: str
) -> None:
    assert _read(linker, text) == [(span, iri, False)]
    # the control: the same name without the bracket reads the same term
    assert [r[1] for r in _read(linker, re.sub(r" \([^)]*\)", "", text))] == [iri]


@pytest.mark.parametrize(
    "text",
    [
        "He had growth hormone (XY) deficiency.",  # no acronym of the words before
        "He had growth hormone (GT) deficiency.",  # its last letter none of the last word
        "He had growth hormone (see below) deficiency.",  # no acronym at all
        "He had growth hormone (GH), deficiency of iron.",  # the name ends at the comma
        "He had growth hormone (GH).",  # nothing goes on after it
    ],
)
def test_a_bracket_that_is_no_acronym_inside_a_name_stops_it(
    linker: ConceptLinker, text: str
) -> None:
    assert GH_DEFICIENCY not in {m.iri for m in linker.link(text)}


def test_a_bracket_read_past_still_defines_its_acronym(linker: ConceptLinker) -> None:
    text = "An atrial septal defect (ASD) was found; the ASD was closed at 3 years."
    read = _read(linker, text)
    assert read == [
        ("atrial septal defect", ASD, False),
        ("ASD", ASD, False),  # the bracket itself, as when it ends the sentence
        ("ASD", ASD, False),  # its later use
    ]
    assert [m.source for m in linker.link(text)][1:] == ["defined", "defined"]
    # the same as a bracket that ends its clause, which is not read past
    ended = "An atrial septal defect (ASD). The ASD was closed at 3 years."
    assert [(t, i) for t, i, _ in _read(linker, ended)] == [(t, i) for t, i, _ in read]


def test_the_brackets_acronym_keeps_its_long_forms_context(linker: ConceptLinker) -> None:
    text = "No atrial septal defect (ASD) was found on echocardiography."
    mentions: list[Mention] = linker.link(text)
    assert [(m.text, m.excluded) for m in mentions] == [
        ("atrial septal defect", True),
        ("ASD", True),
    ]


def test_a_linker_that_defines_no_acronym_reads_no_bracket_as_a_use() -> None:
    names = [LexiconEntry(ASD, "Atrial septal defect", "label")]
    linker = ConceptLinker(Lexicon(names), LinkerConfig(define_acronyms=False))
    text = "An atrial septal defect (ASD) was found; the ASD was closed."
    assert [m.text for m in linker.link(text)] == ["atrial septal defect"]


def test_a_value_after_the_bracket_is_the_acronyms() -> None:
    """ "adrenocorticotropic hormone (ACTH) 1,240 pg/mL (reference 10-60)": the readers of
    values know the acronym; the mention spans the long form too, as written."""
    acth = to_iri("HP:0003154")
    names = [
        LexiconEntry(acth, "Increased circulating ACTH level", "label"),
        LexiconEntry(ASD, "Atrial septal defect", "label"),
    ]
    linker = ConceptLinker(Lexicon(names), LinkerConfig())
    text = "Cortisol was low and adrenocorticotropic hormone (ACTH) 1,240 pg/mL (reference 10-60)."
    span = "adrenocorticotropic hormone (ACTH) 1,240 pg/mL (reference 10-60)"
    assert _read(linker, text) == [(span, acth, False)]
    assert not linker.link(text.replace(" (ACTH)", ""))  # the control: the long form alone
    # a long form that is a name itself keeps its reading
    sized = "An atrial septal defect (ASD) 9 mm was seen."
    assert [(t, i) for t, i, _ in _read(linker, sized)] == [
        ("atrial septal defect", ASD),
        ("ASD", ASD),
    ]


def test_a_bracket_no_name_goes_on_across_is_left_to_its_acronyms_readers(
    linker: ConceptLinker,
) -> None:
    text = "Magnetic resonance imaging (MRI) showed growth hormone (GH) deficiency."
    read = _read(linker, text)
    assert read == [("growth hormone (GH) deficiency", GH_DEFICIENCY, False)]
    from encoders.linker import _acronyms_inside_names

    found = _acronyms_inside_names(text)
    assert sorted(b[2] for b in found.values()) == ["GH", "MRI"]  # both fit their words
    across = [b[2] for end, b in found.items() if linker._named_across(text, end, b[1])]
    assert across == ["GH"]  # a name goes on across the one only


@pytest.mark.parametrize(
    "text",
    [
        "He had growth hormone (GH) deficiency, and his father had growth hormone (GH) "
        "deficiency too.",
        "No atrial septal defect (ASD) was found on echocardiography.",
        "Creatine kinase (CK) was elevated at 4,000 U/L.",
    ],
)
def test_records_read_brackets_as_link_does(linker: ConceptLinker, text: str) -> None:
    assert linker.records(text) == [m.to_record() for m in linker.link(text) if not m.family]


def test_a_name_read_across_its_bracket_still_defines_the_acronym() -> None:
    """ "Muscle weakness (MW) was proximal": the name read across the bracket is *Proximal
    muscle weakness*; MW is still the long form's own term for its later uses."""
    weakness, proximal = to_iri("HP:0001324"), to_iri("HP:0003701")
    names = [
        LexiconEntry(weakness, "Muscle weakness", "label"),
        LexiconEntry(proximal, "Proximal muscle weakness", "label"),
    ]
    linker = ConceptLinker(Lexicon(names), LinkerConfig(), parents={proximal: [weakness]})
    text = "Muscle weakness (MW) was proximal; the MW progressed."
    assert [(t, i) for t, i, _ in _read(linker, text)] == [
        ("Muscle weakness (MW) was proximal", proximal),
        ("MW", weakness),
    ]
