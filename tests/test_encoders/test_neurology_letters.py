"""Linking versions 34 and 35, from neurology and metabolic letters a second reviewer wrote
(held out from the fixes of version 32): "no speech" is *Absent speech*, a letter's "nil",
a status with its site after it, plural differentials, a plan's surveillance or a service
named by a finding, a "?" before a disease's name, and one-word findings that the word
before them puts elsewhere ("knee jerks", "optic pallor"). Each group has controls that
must not change."""

from __future__ import annotations

import pytest

from encoders.linker import ConceptLinker, LinkerConfig
from tests.test_encoders.context_fixtures import context_flags, lexicon_of

_TERMS = {
    "Absent speech": ("Lack of speech",),
    "Areflexia": ("Absent reflexes",),
    "Renal agenesis": ("Absent kidney",),
    "Nephrolithiasis": ("Kidney stones",),
    "Seizure": ("Seizures", "Epilepsy"),
    "Infantile spasms": (),
    "Scoliosis": (),
    "Neoplasm": ("Cancer",),
    "Myotonia": ("Myotonic",),
    "Spastic paraplegia": (),
    "Cerebral palsy": (),
    "Ptosis": (),
    "Hypotonia": (),
    "Myoclonus": ("Jerks",),
    "Pallor": (),
    "Lymphocytosis": (),
    "Stroke": (),
    "Stroke-like episode": (),
}
LEXICON, IRI = lexicon_of(_TERMS)


@pytest.fixture(scope="module")
def linker() -> ConceptLinker:
    return ConceptLinker(LEXICON, LinkerConfig())


def _labels(linker: ConceptLinker, text: str) -> dict[str, str]:
    return {m.text.lower(): m.label for m in linker.link(text)}


@pytest.mark.parametrize(
    ("text", "expected", "labels"),
    [
        ("He has no speech at 4 years.", {"no speech": "P"}, {"no speech": "Absent speech"}),
        (
            "c/o: no speech, seizures.",
            {"no speech": "P", "seizures": "P"},
            {"no speech": "Absent speech", "seizures": "Seizure"},
        ),
        ("No eye contact, no speech.", {"no speech": "P"}, {"no speech": "Absent speech"}),
        ("There were no reflexes.", {"no reflexes": "P"}, {"no reflexes": "Areflexia"}),
        ("His brother has no speech.", {"no speech": "F"}, {"no speech": "Absent speech"}),
        # must not change: a noun after the words, a longer name, "and" / "or" sharing a head
        ("No speech therapy was given.", {}, {}),
        ("No kidney stones.", {"kidney stones": "N"}, {"kidney stones": "Nephrolithiasis"}),
        ("He had no kidney problems.", {}, {}),
        ("No speech or hypotonia.", {"hypotonia": "N"}, {"hypotonia": "Hypotonia"}),
    ],
)
def test_no_before_what_only_its_absence_names(
    linker: ConceptLinker, text: str, expected: dict[str, str], labels: dict[str, str]
) -> None:
    assert context_flags(linker, text) == expected
    assert _labels(linker, text) == labels


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Nil infantile spasms.", {"infantile spasms": "N"}),
        ("Seizures: nil to date.", {"seizures": "N"}),
        ("Scoliosis: not present on exam.", {"scoliosis": "N"}),
        ("Differentials considered: congenital myotonic dystrophy.", {"myotonic": "U"}),
        ("Plan: cancer surveillance.", {"cancer": "U"}),
        ("Plan: epilepsy gene panel.", {"epilepsy": "U"}),
        ("PAEDIATRIC EPILEPSY CLINIC", {"epilepsy": "U"}),
        ("Cerebral palsy felt unlikely given the progression.", {"cerebral palsy": "U"}),
        ("?hereditary spastic paraplegia", {"spastic paraplegia": "U"}),
        ("Impression: ?hereditary spastic paraplegia.", {"spastic paraplegia": "U"}),
        # must not change: a past finding, a clause of its own, another finding after a "?"
        ("Seizures: none since 2019", {"seizures": "P"}),
        ("Seizures and hypotonia; nil else.", {"seizures": "P", "hypotonia": "P"}),
        ("Mild ?ptosis and hypotonia.", {"ptosis": "U", "hypotonia": "P"}),
        ("She has seizures, seen in the clinic today.", {"seizures": "P"}),
    ],
)
def test_a_letters_nil_statuses_plans_and_queries(
    linker: ConceptLinker, text: str, expected: dict[str, str]
) -> None:
    assert context_flags(linker, text) == expected


@pytest.mark.parametrize(
    ("text", "labels"),
    [
        ("Reduced knee jerks.", {}),
        ("Absent knee and ankle jerks.", {}),
        ("Fundi: optic pallor?", {}),
        ("CSF: lymphocytosis 25 cells.", {}),
        ("Cortical stroke-like lesion.", {}),
        # must not change: the findings themselves
        ("Frequent jerks of the arms.", {"jerks": "Myoclonus"}),
        # (since linking version 53 "she was pale" is *Pallor* too)
        ("She was pale; pallor was marked.", {"pale": "Pallor", "pallor": "Pallor"}),
        ("Lymphocytosis on the blood count.", {"lymphocytosis": "Lymphocytosis"}),
        ("Stroke-like episodes.", {"stroke-like episodes": "Stroke-like episode"}),
        ("He had a stroke like his father.", {"stroke": "Stroke"}),
    ],
)
def test_one_word_findings_the_word_before_puts_elsewhere(
    linker: ConceptLinker, text: str, labels: dict[str, str]
) -> None:
    assert _labels(linker, text) == labels
