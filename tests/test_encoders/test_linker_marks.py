"""A mark that a name writes inside a word group ("lactate:pyruvate", "1,5-", "0.4") is read
as one of its words where a text writes it the same way, and breaks a phrase elsewhere."""

from __future__ import annotations

import pytest

from encoders.linker import ConceptLinker, LinkerConfig
from encoders.normalize import MARK, phrase_variants, scan, tight_mark
from kg.lexicon import Lexicon, LexiconEntry

OBO = "http://purl.obolibrary.org/obo/TEST_"
ROOT, PHENO, RATIO, CD4, GLUCITOL, ACUITY = (f"{OBO}{n}" for n in range(1, 7))
SEIZURE, HYPOTONIA, LACTATE, EMG = f"{OBO}7", f"{OBO}8", f"{OBO}9", f"{OBO}10"
NAMES = [
    (ROOT, "All"),
    (PHENO, "Phenotypic abnormality"),
    (RATIO, "Elevated lactate:pyruvate ratio"),
    (CD4, "Decreased CD4:CD8 ratio"),
    (GLUCITOL, "Decreased level of 1,5 anhydroglucitol"),
    (ACUITY, "Visual acuity 0.4 LogMAR"),
    (SEIZURE, "Seizure"),
    (HYPOTONIA, "Hypotonia"),
    (LACTATE, "Elevated lactate"),
    (EMG, "EMG: myopathic abnormalities"),
]


@pytest.fixture(scope="module")
def linker() -> ConceptLinker:
    lexicon = Lexicon([LexiconEntry(iri, text, "label", None, "owl:Class") for iri, text in NAMES])
    parents = {iri: [PHENO] for iri, _ in NAMES if iri not in (ROOT, PHENO)} | {PHENO: [ROOT]}
    return ConceptLinker(lexicon, LinkerConfig(allowed_roots=(PHENO,)), parents=parents)


def _found(linker: ConceptLinker, text: str) -> list[tuple[str, str]]:
    return [(m.text, m.iri) for m in linker.link(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Elevated lactate:pyruvate ratio.", [("Elevated lactate:pyruvate ratio", RATIO)]),
        ("He had a decreased CD4:CD8 ratio", [("decreased CD4:CD8 ratio", CD4)]),
        (
            "Decreased level of 1,5 anhydroglucitol.",
            [("Decreased level of 1,5 anhydroglucitol", GLUCITOL)],
        ),
        ("Visual acuity 0.4 LogMAR", [("Visual acuity 0.4 LogMAR", ACUITY)]),
        ("EMG: myopathic abnormalities.", [("EMG: myopathic abnormalities", EMG)]),
    ],
)
def test_a_name_written_with_its_mark_is_found_whole(
    linker: ConceptLinker, text: str, expected: list[tuple[str, str]]
) -> None:
    assert _found(linker, text) == expected


def test_a_mark_breaks_a_phrase_where_no_name_writes_it(linker: ConceptLinker) -> None:
    # spaced, the colon is a heading's: the phrase before it ends there
    assert _found(linker, "Elevated lactate: pyruvate ratio normal") == [
        ("Elevated lactate", LACTATE)
    ]
    # marks between words that no name joins keep them apart
    assert _found(linker, "Seizure:hypotonia") == [("Seizure", SEIZURE), ("hypotonia", HYPOTONIA)]
    assert _found(linker, "At 10:30, seizure.") == [("seizure", SEIZURE)]
    assert _found(linker, "Visual acuity 0. 4 LogMAR") == []
    # a test's colon is read only as the name writes it: after the test, before the finding
    assert _found(linker, "EMG:myopathic abnormalities") == []
    assert _found(linker, "EMG : myopathic abnormalities") == []
    assert _found(linker, "EMG: no myopathic abnormalities") == []


def test_tight_marks_and_the_keys_that_keep_them() -> None:
    assert tight_mark(scan("CD4:CD8"), 1) == MARK + ":"
    assert tight_mark(scan("1,5"), 1) == MARK + ","
    assert tight_mark(scan("0.4"), 1) == MARK + "."
    assert tight_mark(scan("1, 5"), 1) is None  # a space after it
    assert tight_mark(scan("a,b"), 1) is None  # a comma between words
    assert tight_mark(scan("EMG: myopathy"), 1) == MARK + ": "  # a test's heading colon
    assert tight_mark(scan("EMG : myopathy"), 1) is None  # a space before it
    assert tight_mark(scan("end."), 1) is None  # the last token
    keys = phrase_variants("Decreased CD4:CD8 ratio")
    assert keys[("decreas", "cd4", MARK + ":", "cd8", "ratio")] == "exact"
    assert phrase_variants("EMG: myopathy")[("emg", MARK + ": ", "myopath")] == "exact"
    assert not any(MARK + ":" in key for key in phrase_variants("Ratio (a): decreased"))


VITAMIN_A, TYPE_A, POSTAXIAL, S_CONE, CONE = (f"{OBO}{n}" for n in range(11, 16))


@pytest.fixture(scope="module")
def lettered() -> ConceptLinker:
    names = [
        (ROOT, "All"),
        (PHENO, "Phenotypic abnormality"),
        (VITAMIN_A, "Reduced circulating vitamin A concentration"),
        (TYPE_A, "Postaxial polydactyly type A"),
        (POSTAXIAL, "Postaxial polydactyly"),
        (SEIZURE, "Seizure"),
        (S_CONE, "S-cone monochromacy"),
        (CONE, "Cone monochromacy"),
    ]
    lexicon = Lexicon([LexiconEntry(iri, text, "label", None, "owl:Class") for iri, text in names])
    parents = {iri: [PHENO] for iri, _ in names if iri not in (ROOT, PHENO)} | {PHENO: [ROOT]}
    return ConceptLinker(lexicon, LinkerConfig(allowed_roots=(PHENO,)), parents=parents)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Low vitamin A levels.", [("Low vitamin A", VITAMIN_A)]),
        ("Serum vitamin A was low.", [("Serum vitamin A was low", VITAMIN_A)]),
        ("Postaxial polydactyly type A.", [("Postaxial polydactyly type A", TYPE_A)]),
        # a name's letter is no article: without it, the name is not there
        ("Low vitamin levels.", []),
        ("Postaxial polydactyly type B.", [("Postaxial polydactyly", POSTAXIAL)]),
        # the article at a phrase's start stays one
        ("A boy with seizure. A seizure again.", [("seizure", SEIZURE), ("seizure", SEIZURE)]),
        # a capital S before a hyphen is a letter too; the possessive 's is not
        ("S-cone monochromacy.", [("S-cone monochromacy", S_CONE)]),
        ("Cone monochromacy.", [("Cone monochromacy", CONE)]),
        ("THE PATIENT'S SEIZURE", [("SEIZURE", SEIZURE)]),
    ],
)
def test_a_capital_a_inside_a_phrase_is_a_names_letter(
    lettered: ConceptLinker, text: str, expected: list[tuple[str, str]]
) -> None:
    assert _found(lettered, text) == expected
