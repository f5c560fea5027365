"""A name that writes its own coordination ("Sparse or absent eyelashes") is read as that one
term, while a coordination that no name writes is still read across its conjuncts."""

from __future__ import annotations

import pytest

from encoders.linker import ConceptLinker, LinkerConfig
from kg.lexicon import Lexicon, LexiconEntry

OBO = "http://purl.obolibrary.org/obo/TEST_"
ROOT, PHENO = f"{OBO}1", f"{OBO}2"
LASHES, SPARSE_LASHES, ABSENT_LASHES = f"{OBO}3", f"{OBO}4", f"{OBO}5"
SPARSE_HAIR, ABSENT_HAIR = f"{OBO}6", f"{OBO}7"
PALATE, CLEFT_HARD, CLEFT_SOFT = f"{OBO}8", f"{OBO}9", f"{OBO}10"
NAMES = [
    (ROOT, "All"),
    (PHENO, "Phenotypic abnormality"),
    (LASHES, "Sparse or absent eyelashes"),
    (SPARSE_LASHES, "Sparse eyelashes"),
    (ABSENT_LASHES, "Absent eyelashes"),
    (SPARSE_HAIR, "Sparse hair"),
    (ABSENT_HAIR, "Absent hair"),
    (PALATE, "Cleft hard and soft palate"),
    (CLEFT_HARD, "Cleft hard palate"),
    (CLEFT_SOFT, "Cleft soft palate"),
]
PARENTS = {
    PHENO: [ROOT],
    LASHES: [PHENO],
    SPARSE_LASHES: [LASHES],
    ABSENT_LASHES: [LASHES],
    SPARSE_HAIR: [PHENO],
    ABSENT_HAIR: [PHENO],
    PALATE: [PHENO],
    CLEFT_HARD: [PHENO],
    CLEFT_SOFT: [PHENO],
}


@pytest.fixture(scope="module")
def linker() -> ConceptLinker:
    lexicon = Lexicon([LexiconEntry(iri, text, "label", None, "owl:Class") for iri, text in NAMES])
    return ConceptLinker(lexicon, LinkerConfig(allowed_roots=(PHENO,)), parents=PARENTS)


def _found(linker: ConceptLinker, text: str) -> list[tuple[str, str, bool]]:
    return [(m.text, m.iri, m.excluded) for m in linker.link(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Sparse or absent eyelashes.", [("Sparse or absent eyelashes", LASHES, False)]),
        ("She has cleft hard and soft palate.", [("cleft hard and soft palate", PALATE, False)]),
        ("No sparse or absent eyelashes.", [("sparse or absent eyelashes", LASHES, True)]),
    ],
)
def test_a_name_with_its_own_coordination_is_that_one_term(
    linker: ConceptLinker, text: str, expected: list[tuple[str, str, bool]]
) -> None:
    assert _found(linker, text) == expected


def test_a_coordination_no_name_writes_is_still_read_across_it(linker: ConceptLinker) -> None:
    # the walk along "sparse or absent" (a name's start) ends without a name: both conjuncts
    assert {iri for _, iri, _ in _found(linker, "Sparse or absent hair.")} == {
        SPARSE_HAIR,
        ABSENT_HAIR,
    }
    # the same words in another order are no name: the conjuncts' terms
    assert {iri for _, iri, _ in _found(linker, "Absent or sparse eyelashes.")} == {
        SPARSE_LASHES,
        ABSENT_LASHES,
    }
    assert {iri for _, iri, _ in _found(linker, "Cleft soft and hard palate.")} == {
        CLEFT_HARD,
        CLEFT_SOFT,
    }


def test_the_name_and_a_coordination_after_it_are_both_read(linker: ConceptLinker) -> None:
    found = _found(linker, "Sparse or absent eyelashes, sparse or absent hair.")
    assert found[0] == ("Sparse or absent eyelashes", LASHES, False)
    assert {iri for _, iri, _ in found[1:]} == {SPARSE_HAIR, ABSENT_HAIR}
