"""Comma-joined modifiers of one head noun: "low-set, posteriorly rotated ears" names both
*Low-set ears* and *Posteriorly rotated ears*, while the items of a comma list stay apart."""

from __future__ import annotations

import pytest

from encoders.linker import ConceptLinker
from kg.lexicon import Lexicon, LexiconEntry

OBO = "http://purl.obolibrary.org/obo/TEST_"

_NAMES = (
    "Low-set ears",
    "Posteriorly rotated ears",
    "Long fingers",
    "Thin fingers",
    "Small ears",
    "Short stature",
    "Hypotonia",
    "Seizure",
    "Abnormal foot morphology",
)
IRI = {label: f"{OBO}{k:07d}" for k, label in enumerate(_NAMES, start=1)}


@pytest.fixture(scope="module")
def linker() -> ConceptLinker:
    entries = [LexiconEntry(IRI[n], n, "label", None, "owl:Class") for n in _NAMES]
    entries.append(LexiconEntry(IRI["Seizure"], "Seizures", "exact", None, "owl:Class"))
    entries.append(
        LexiconEntry(IRI["Abnormal foot morphology"], "Foot deformity", "exact", None, "owl:Class")
    )
    return ConceptLinker(Lexicon(entries, frozenset()))


def terms(linker: ConceptLinker, text: str) -> dict[str, bool]:
    """Each linked term's label -> whether it is excluded."""
    by_iri = {iri: label for label, iri in IRI.items()}
    return {by_iri[m.iri]: m.excluded for m in linker.link(text)}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Low-set, posteriorly rotated ears", {"Low-set ears", "Posteriorly rotated ears"}),
        ("Long, thin fingers", {"Long fingers", "Thin fingers"}),
        ("small, low-set ears", {"Small ears", "Low-set ears"}),
        ("She had small, low-set ears.", {"Small ears", "Low-set ears"}),
    ],
)
def test_comma_joined_modifiers_share_the_head(
    linker: ConceptLinker, text: str, expected: set[str]
) -> None:
    assert set(terms(linker, text)) == expected


def test_comma_joined_modifier_spans_modifier_to_head(linker: ConceptLinker) -> None:
    spans = {m.iri: m.text for m in linker.link("Low-set, posteriorly rotated ears")}
    assert spans[IRI["Low-set ears"]] == "Low-set, posteriorly rotated ears"
    assert spans[IRI["Posteriorly rotated ears"]] == "posteriorly rotated ears"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("short stature, low-set ears", {"Short stature", "Low-set ears"}),
        ("hypotonia, seizures", {"Hypotonia", "Seizure"}),
        ("seizures, low-set ears", {"Seizure", "Low-set ears"}),
        # a preposition's object is no modifier of the next item
        ("pain in the foot, varus deformity", set()),
    ],
)
def test_comma_list_items_stay_apart(linker: ConceptLinker, text: str, expected: set[str]) -> None:
    assert set(terms(linker, text)) == expected


def test_negated_comma_joined_modifiers(linker: ConceptLinker) -> None:
    assert terms(linker, "There were no low-set, posteriorly rotated ears.") == {
        "Low-set ears": True,
        "Posteriorly rotated ears": True,
    }
