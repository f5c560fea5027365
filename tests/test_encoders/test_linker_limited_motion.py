"""A predicate denied of coordinated subjects, and a joint's motion not done fully (linking
version 23), on a toy lexicon."""

from __future__ import annotations

import pytest

from encoders.linker import ConceptLinker
from tests.test_encoders.context_fixtures import lexicon_of

LEXICON, IRI = lexicon_of(
    {
        "Hepatomegaly": ("Large liver",),
        "Splenomegaly": ("Large spleen",),
        "Limited knee extension": (),
        "Limited elbow extension": (),
        "Limited knee flexion": (),
    }
)
LIVER, SPLEEN = IRI["Hepatomegaly"], IRI["Splenomegaly"]
KNEE_EXT, ELBOW_EXT = IRI["Limited knee extension"], IRI["Limited elbow extension"]
KNEE_FLEX = IRI["Limited knee flexion"]


@pytest.fixture(scope="module")
def linker() -> ConceptLinker:
    return ConceptLinker(LEXICON)


def read(linker: ConceptLinker, text: str) -> list[tuple[str, str, bool]]:
    return [(m.text, m.iri, m.excluded) for m in linker.link(text)]


def test_a_denied_predicate_rules_out_each_coordinated_subject(linker: ConceptLinker) -> None:
    # before version 23 the first subject took the predicate without its "not": Hepatomegaly
    assert read(linker, "The liver and spleen were not enlarged.") == [
        ("liver and spleen were not enlarged", LIVER, True),
        ("spleen were not enlarged", SPLEEN, True),
    ]
    assert read(linker, "The liver and spleen were enlarged.") == [
        ("liver and spleen were enlarged", LIVER, False),
        ("spleen were enlarged", SPLEEN, False),
    ]


@pytest.mark.parametrize(
    ("text", "iri", "span"),
    [
        ("The knees were not fully extendable.", KNEE_EXT, "knees were not fully extendable"),
        ("Elbows could not be fully extended.", ELBOW_EXT, "Elbows could not be fully extended"),
        ("The knee cannot be fully straightened.", KNEE_EXT, "knee cannot be fully straightened"),
        ("His knees can not be fully flexed.", KNEE_FLEX, "knees can not be fully flexed"),
        ("The knees could not be fully bent.", KNEE_FLEX, "knees could not be fully bent"),
    ],
)
def test_a_motion_not_done_fully_is_its_limitation(
    linker: ConceptLinker, text: str, iri: str, span: str
) -> None:
    assert read(linker, text) == [(span, iri, False)]


@pytest.mark.parametrize(
    "text",
    [
        "The knees were fully extendable.",  # done fully: nothing limited
        "The knees could not be extended.",  # not said to be partly done
        "The liver could not be palpated.",  # a modal before no motion
        "The knees could be fully extended.",
        "The hips were not fully extendable.",  # no name of the joint's limitation
    ],
)
def test_other_statements_of_motion_name_nothing(linker: ConceptLinker, text: str) -> None:
    assert read(linker, text) == []


def test_restricted_reads_as_limited(linker: ConceptLinker) -> None:
    assert read(linker, "He had restricted knee extension.") == [
        ("restricted knee extension", KNEE_EXT, False)
    ]
    assert read(linker, "Flexion of the knees was restricted.") == [
        ("Flexion of the knees was restricted", KNEE_FLEX, False)
    ]


def test_coordinated_joints_each_have_their_limitation(linker: ConceptLinker) -> None:
    # the name read for the last joint, with each coordinated joint in its place
    assert read(linker, "The elbows and knees were not fully extendable.") == [
        ("elbows and knees were not fully extendable", ELBOW_EXT, False),
        ("knees were not fully extendable", KNEE_EXT, False),
    ]
    # a joint with no name of its limitation adds nothing
    assert read(linker, "The hips and knees could not be fully flexed.") == [
        ("knees could not be fully flexed", KNEE_FLEX, False)
    ]
