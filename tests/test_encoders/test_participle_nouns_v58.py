"""Linking version 58: ``-ified`` participles meet their ``-ification`` nouns and ``-otic``
adjectives their ``-osis`` nouns, as a clinician writes a finding either way ("calcified
basal ganglia" for *Basal ganglia calcification*, "a stenotic pulmonary valve" for
*Pulmonary valve stenosis*). Version 59: the participles and ``-ing`` nouns of ``-en``
verbs meet their adjective ("shortened femurs" for *Short femur*). Version 60: adverbs of
degree meet theirs ("profoundly deaf" for *Profound hearing impairment*). Version 62:
"subluxed" meets "subluxation" ("subluxed lenses" for *Lens subluxation*). Version 63:
"disturbed" meets "disturbance" ("disturbed sleep" for *Sleep disturbance*) and "atrium"
"atrial" ("the left atrium is dilated" for *Left atrial enlargement*). Version 66 mends
what a review found: "highly" is no adverb of degree, "-ification" and "-otic" meet their
kin without meeting other words ("specific", "polio"), "subluxed" meets "subluxating"
too, and the bare ``-en`` verbs meet their adjective. Each group has controls."""

from __future__ import annotations

import pytest

from encoders.linker import ConceptLinker, LinkerConfig
from encoders.normalize import stem
from kg.lexicon import Lexicon, LexiconEntry
from kg.namespaces import to_iri
from tests.test_encoders.context_fixtures import hpo_linker, readings

_FINDINGS = {
    "Basal ganglia calcification": "HP:0002135",
    "Pulmonic stenosis": "HP:0001642",
    "Kyphosis": "HP:0002808",
    "Ptosis": "HP:0000508",
    "Cyanosis": "HP:0000961",
    "Liver fibrosis": "HP:0001395",
    "Seizure": "HP:0001250",
    "Short femur": "HP:0003097",
    "Wide anterior fontanel": "HP:0000260",
    "Thick eyebrow": "HP:0000574",
    "Myopia": "HP:0000545",
    "Severe myopia": "HP:0011003",
    "Hearing impairment": "HP:0000365",
    "Profound hearing impairment": "HP:0012715",
    "Lens subluxation": "HP:0001132",
    "Lens luxation": "HP:0032010",
    "Sleep abnormality": "HP:0002360",
    "Left atrial enlargement": "HP:0031295",
}
#: Child -> parent among them (a degree's child is composed from its parent's names).
_PARENTS = {"HP:0011003": "HP:0000545", "HP:0012715": "HP:0000365"}
_SYNONYMS = {
    "Pulmonary valve stenosis": "HP:0001642",
    "Deaf": "HP:0000365",
    "Sleep disturbance": "HP:0002360",
}


@pytest.fixture(scope="module")
def linker() -> ConceptLinker:
    return hpo_linker(_FINDINGS, _SYNONYMS, _PARENTS)


def test_ified_participles_meet_their_ification_nouns() -> None:
    assert stem("calcified") == stem("calcification") == stem("calcify")
    assert stem("ossified") == stem("ossification")


def test_otic_adjectives_meet_their_osis_nouns() -> None:
    assert stem("stenotic") == stem("stenosis")
    assert stem("sclerotic") == stem("sclerosis")
    assert stem("kyphotic") == stem("kyphosis")
    assert stem("ptotic") == stem("ptosis")


def test_the_stems_stay_apart_from_other_words() -> None:
    assert stem("calcified") != stem("calcium")
    assert stem("stenotic") != stem("stent")
    assert stem("sclerotic") != stem("sclera")
    assert stem("identified") != stem("identity")


@pytest.mark.parametrize(
    ("text", "span", "curie"),
    [
        ("CT showed calcified basal ganglia.", "calcified basal ganglia", "HP:0002135"),
        ("The basal ganglia were calcified.", "basal ganglia were calcified", "HP:0002135"),
        ("Echo: a stenotic pulmonary valve.", "stenotic pulmonary valve", "HP:0001642"),
        ("He is kyphotic.", "kyphotic", "HP:0002808"),
        ("Both eyelids were ptotic.", "ptotic", "HP:0000508"),
        ("She was cyanotic at birth.", "cyanotic", "HP:0000961"),
        ("Biopsy showed a fibrotic liver.", "fibrotic liver", "HP:0001395"),
    ],
)
def test_a_finding_written_as_a_participle_or_adjective_is_read(
    linker: ConceptLinker, text: str, span: str, curie: str
) -> None:
    assert (span, curie, False) in readings(linker, text)


def test_denied_it_is_ruled_out(linker: ConceptLinker) -> None:
    assert ("calcified basal ganglia", "HP:0002135", True) in readings(
        linker, "There were no calcified basal ganglia."
    )


@pytest.mark.parametrize(
    "text",
    [
        "Calcium was normal and the basal ganglia were normal.",  # calcium is not calcified
        "A stent was placed in the pulmonary artery.",  # a stent is no stenosis
        "The cause was identified.",
        "Her sclerae were white.",
    ],
)
def test_controls_read_nothing(linker: ConceptLinker, text: str) -> None:
    assert readings(linker, text) == []


def test_en_verbs_meet_their_adjective() -> None:
    assert stem("shortened") == stem("shortening") == stem("short")
    assert stem("widened") == stem("widening") == stem("wide")
    assert stem("thickened") == stem("thickening") == stem("thick")
    assert stem("flattened") == stem("flat")


def test_other_en_and_ing_words_keep_their_stems() -> None:
    assert stem("shortness") != stem("short")
    assert stem("hardened") != stem("hard")  # not among the listed verbs: left as it was


@pytest.mark.parametrize(
    ("text", "span", "curie"),
    [
        ("X-ray: shortened femurs.", "shortened femurs", "HP:0003097"),
        ("The femurs were shortened.", "femurs were shortened", "HP:0003097"),
        ("Widened anterior fontanel.", "Widened anterior fontanel", "HP:0000260"),
        ("She has thickened eyebrows.", "thickened eyebrows", "HP:0000574"),
    ],
)
def test_a_finding_written_with_an_en_participle_is_read(
    linker: ConceptLinker, text: str, span: str, curie: str
) -> None:
    assert (span, curie, False) in readings(linker, text)


def test_an_en_participle_of_something_else_reads_nothing(linker: ConceptLinker) -> None:
    assert readings(linker, "Her sentences have shortened and her eyebrows are plucked.") == []


def test_adverbs_of_degree_meet_their_adjective() -> None:
    assert stem("severely") == stem("severe")
    assert stem("profoundly") == stem("profound")
    assert stem("mildly") == stem("mild")


@pytest.mark.parametrize(
    ("text", "span", "curie"),
    [
        ("He is profoundly deaf.", "profoundly deaf", "HP:0012715"),
        ("She is severely myopic.", "severely myopic", "HP:0011003"),
    ],
)
def test_a_degree_said_by_an_adverb_reads_the_finding_of_that_degree(
    linker: ConceptLinker, text: str, span: str, curie: str
) -> None:
    assert (span, curie, False) in readings(linker, text)


def test_without_the_adverb_the_finding_is_read_as_it_was(linker: ConceptLinker) -> None:
    assert ("myopic", "HP:0000545", False) in readings(linker, "She is myopic.")
    assert readings(linker, "The risk is highly uncertain.") == []


def test_highly_is_no_adverb_of_degree() -> None:
    # "high" is a word of many names: "highly arched" would read "high arch" (*Pes cavus*)
    assert stem("highly") != stem("high")


def test_xation_nouns_meet_their_participles() -> None:
    assert stem("subluxed") == stem("subluxation") == stem("subluxated")
    assert stem("luxated") == stem("luxation")  # as before
    assert stem("subluxation") != stem("luxation")


@pytest.mark.parametrize(
    ("text", "span", "curie"),
    [
        ("Both lenses are subluxed.", "lenses are subluxed", "HP:0001132"),
        ("Slit lamp: subluxed lenses.", "subluxed lenses", "HP:0001132"),
        ("Luxated lenses.", "Luxated lenses", "HP:0032010"),
    ],
)
def test_a_lens_said_subluxed_or_luxated_is_read(
    linker: ConceptLinker, text: str, span: str, curie: str
) -> None:
    assert (span, curie, False) in readings(linker, text)


@pytest.mark.parametrize(
    ("text", "span", "curie"),
    [
        ("Sleep is very disturbed.", "Sleep is very disturbed", "HP:0002360"),
        ("Disturbed sleep since infancy.", "Disturbed sleep", "HP:0002360"),
        ("Echo: the left atrium is dilated.", "left atrium is dilated", "HP:0031295"),
    ],
)
def test_disturbed_and_atrium_meet_the_names_nouns_and_adjectives(
    linker: ConceptLinker, text: str, span: str, curie: str
) -> None:
    assert (span, curie, False) in readings(linker, text)


def test_a_person_disturbed_by_something_has_no_finding(linker: ConceptLinker) -> None:
    assert readings(linker, "She was disturbed by the noise.") == []


def test_of_tied_terms_the_one_whose_label_the_span_is_wins() -> None:
    # version 65: since version 59 "Wide ..." and "Widened ..." are one key; the label of a
    # term goes before another term's synonym (before: the first by IRI)
    wide, persistent = to_iri("HP:0034964"), to_iri("HP:0002389")
    linker = ConceptLinker(
        Lexicon(
            [
                LexiconEntry(persistent, "Cavum septum pellucidum", "label"),
                LexiconEntry(persistent, "Widened cavum septum pellucidum", "exact"),
                LexiconEntry(wide, "Wide cavum septum pellucidum", "label"),
            ]
        ),
        LinkerConfig(),
    )
    assert readings(linker, "MRI: wide cavum septum pellucidum.") == [
        ("wide cavum septum pellucidum", "HP:0034964", False)
    ]
    assert readings(linker, "MRI: cavum septum pellucidum.") == [
        ("cavum septum pellucidum", "HP:0002389", False)
    ]


def test_the_new_stems_meet_no_other_word() -> None:
    # version 66, from a review: "not specified" read *Specific learning disability*,
    # "polio" *Poliosis*, "the lumbar lordotic curve" *Lumbar hyperlordosis*
    assert stem("specified") != stem("specific")
    assert stem("polio") != stem("poliosis")
    assert stem("lordotic") != stem("lordosis")
    assert stem("subluxating") == stem("subluxed") == stem("subluxation")
    assert stem("straighten") == stem("straightened") == stem("straight")
