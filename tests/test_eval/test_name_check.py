"""``eval.name_check``: each name of a KG read back through the linker, and its outcome."""

from __future__ import annotations

import json

import pytest

from encoders.linker import ConceptLinker, LinkerConfig, Mention
from eval.name_check import NAME_OUTCOMES, check_names, name_check_markdown, name_outcome
from kg.lexicon import Lexicon, LexiconEntry

OBO = "http://purl.obolibrary.org/obo/TEST_"
ROOT, PHENO, SEIZURE, FOCAL, AUTISM, HEART_ASD, OLD, OUTSIDE, PTOSIS, DROOP = (
    f"{OBO}{n}" for n in range(1, 11)
)
ENTRIES = [
    (ROOT, "All", "label"),
    (PHENO, "Phenotypic abnormality", "label"),
    (SEIZURE, "Seizure", "label"),
    (SEIZURE, "Epileptic seizure", "exact"),
    (SEIZURE, "Fits", "related"),  # not read unless asked for
    (FOCAL, "Focal seizure", "label"),
    (AUTISM, "Autism", "label"),
    (AUTISM, "ASD", "exact"),  # an acronym of two terms: linked to neither
    (HEART_ASD, "Atrial septal defect", "label"),
    (HEART_ASD, "ASD", "exact"),
    (OLD, "Convulsions", "label"),  # obsolete: not read
    (OUTSIDE, "Clinical modifier", "label"),  # outside the allowed root: not read
    (PTOSIS, "Ptosis", "label"),
    (PTOSIS, "Drooping eyelid", "exact"),  # a name two terms share
    (DROOP, "Drooping eyelid", "label"),
]
PARENTS = {
    PHENO: [ROOT],
    SEIZURE: [PHENO],
    FOCAL: [SEIZURE],
    AUTISM: [PHENO],
    HEART_ASD: [PHENO],
    OUTSIDE: [ROOT],
    PTOSIS: [PHENO],
    DROOP: [PHENO],
}


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    entries = [LexiconEntry(iri, text, kind, None, "owl:Class") for iri, text, kind in ENTRIES]
    return Lexicon(entries, frozenset({OLD}))


@pytest.fixture(scope="module")
def linker(lexicon: Lexicon) -> ConceptLinker:
    return ConceptLinker(
        lexicon, LinkerConfig(allowed_roots=(PHENO,), min_depth=1), parents=PARENTS
    )


def _mention(start: int, end: int, iri: str) -> Mention:
    return Mention(start=start, end=end, text="x" * (end - start), iri=iri, curie="", label="")


def test_each_outcome_from_the_mentions_inside_the_name() -> None:
    a, b = SEIZURE, FOCAL
    assert name_outcome(a, 0, 10, [_mention(0, 10, a)]) == "own term"
    assert name_outcome(a, 0, 10, [_mention(0, 10, a), _mention(2, 5, b)]) == (
        "own term and others"
    )
    assert name_outcome(a, 0, 10, [_mention(0, 6, a)]) == "own term, part of it"
    assert name_outcome(a, 0, 10, [_mention(0, 10, b)]) == "another term"
    assert name_outcome(a, 0, 10, [_mention(3, 8, b)]) == "parts only"
    assert name_outcome(a, 0, 10, []) == "nothing"
    # mentions outside the name's place do not count
    assert name_outcome(a, 4, 10, [_mention(0, 3, a), _mention(4, 10, a)]) == "own term"
    assert name_outcome(a, 4, 10, [_mention(0, 3, a)]) == "nothing"


def test_the_names_read_and_their_outcomes(linker: ConceptLinker, lexicon: Lexicon) -> None:
    check = check_names(linker, lexicon, examples=5)
    # labels and exact synonyms of linkable terms: not the related name, the obsolete
    # term, the term outside the root nor the root itself (depth 0)
    assert check.names == 10
    assert sum(check.outcomes.values()) == check.names
    assert check.outcomes["own term"] == 7  # seizure x2, focal, autism, ASD heart, ptosis, droop
    assert check.outcomes["nothing"] == 2  # "ASD" of either term
    assert check.outcomes["another term"] == 1  # "Drooping eyelid" read as one of its terms
    assert {ex["name"] for ex in check.examples["nothing"]} == {"ASD"}
    assert check.own_share == pytest.approx(0.7)
    data = check.to_dict()
    assert list(data["outcomes"]) == list(NAME_OUTCOMES)
    assert json.loads(json.dumps(data)) == data
    markdown = name_check_markdown(check)
    assert "| own term | 7 | 70.0% |" in markdown and "- ASD (TEST:5): nothing" in markdown


def test_more_kinds_and_another_sentence(linker: ConceptLinker, lexicon: Lexicon) -> None:
    check = check_names(linker, lexicon, kinds=("related",), template="No history of {name}.")
    assert check.names == 1 and check.outcomes == {"own term": 1}
    assert check_names(linker, lexicon, examples=0).examples == {}


@pytest.mark.parametrize("template", ["{name} and {name}", "no placeholder", "{Name}"])
def test_a_template_without_one_name_is_refused(
    linker: ConceptLinker, lexicon: Lexicon, template: str
) -> None:
    with pytest.raises(ValueError, match="exactly once"):
        check_names(linker, lexicon, template=template)
