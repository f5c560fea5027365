"""Linking version 48, from what the case reviews of version 47 left open: a finding absent
at birth that came later, a relative whose verb is left out, an infinitive's coordination
("unable to sit or walk"), a list of modifiers before one head, walking or speech never
acquired, and the large joints as a class. Each group has controls that must not change."""

from __future__ import annotations

import pytest

from encoders.clinical_names import CLINICAL_NAMES
from encoders.linker import ConceptLinker, LinkerConfig
from tests.test_encoders.context_fixtures import context_flags, lexicon_of, mention_labels

_TERMS = {
    "Skin rash": ("Rash",),
    "Cataract": (),
    "Stroke": (),
    "Breast carcinoma": ("Breast cancer",),
    "Colon cancer": (),
    "Gastric cancer": (),
    "Seizure": ("Seizures",),
    "Inability to walk": ("Unable to walk", "never walked", "never walked independently"),
    "Absent speech": ("never spoken", "never spoke"),
    "Acholic stools": ("pale stools",),
    "Steatorrhea": ("offensive stools",),
    "Dry hair": (),
    "Sparse hair": (),
    "Enlarged joints": (),
    "Arthritis": (),
    "Joint hypermobility": ("hypermobile joints",),
    "Woolly hair": (),
    "Ataxia": (),
    "Palmoplantar keratoderma": ("Keratoderma",),
    "Hearing impairment": ("Hearing loss",),
    "Dyskinesia": (),
    "Orofacial dyskinesia": (),
    "Akinesia": (),
    "Splenic rupture": (),
    "Arterial rupture": (),
    "Renal artery stenosis": (),
    "Soft skin": (),
    "Skin nodule": (),
    "Hyperpigmentation of the skin": ("hyperpigmentation",),
    "Anhidrosis": ("no sweating", "does not sweat"),
    "Hyperhidrosis": ("Sweating", "Excessive sweating"),
}
LEXICON, IRI = lexicon_of(_TERMS)


@pytest.fixture(scope="module")
def linker() -> ConceptLinker:
    return ConceptLinker(LEXICON, LinkerConfig())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The rash was not present at birth but appeared at 2 months.", {"rash": "P"}),
        ("Cataracts were not present initially.", {"cataracts": "P"}),
        ("The rash was not evident at birth.", {"rash": "P"}),
        # controls: a plain absence stays ruled out
        ("The rash was not present.", {"rash": "N"}),
        ("Cataracts were not present on examination.", {"cataracts": "N"}),
    ],
)
def test_a_finding_that_came_after_birth(
    linker: ConceptLinker, text: str, expected: dict[str, str]
) -> None:
    assert context_flags(linker, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "His father had a stroke at 45, his mother breast cancer at 52 and his maternal"
            " grandfather colon cancer.",
            {"stroke": "F", "breast cancer": "F", "colon cancer": "F"},
        ),
        ("His mother breast cancer at 52.", {"breast cancer": "F"}),
        (
            "His father had colon cancer, his uncle gastric cancer.",
            {"colon cancer": "F", "gastric cancer": "F"},
        ),
        # controls: the scope ends at its clause's comma; a relative not possessed, or
        # followed by no finding, opens none
        ("His mother breast cancer, he has seizures.", {"breast cancer": "F", "seizures": "P"}),
        ("The mother noticed seizures at 3 months.", {"seizures": "P"}),
        ("He has seizures like the mother.", {"seizures": "P"}),
    ],
)
def test_a_relative_whose_verb_is_left_out(
    linker: ConceptLinker, text: str, expected: dict[str, str]
) -> None:
    assert context_flags(linker, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("He is unable to sit or walk.", {"unable to sit or walk": "Inability to walk"}),
        (
            "He was unable to sit, stand or walk.",
            {"unable to sit, stand or walk": "Inability to walk"},
        ),
        # controls: a coordination of other verbs names nothing
        ("He learned to sit and walk late.", {}),
        ("She went to school and walked home.", {}),
    ],
)
def test_an_infinitive_shared_by_a_coordination(
    linker: ConceptLinker, text: str, expected: dict[str, str]
) -> None:
    assert mention_labels(linker, text) == expected


def test_walking_or_speech_never_acquired(linker: ConceptLinker) -> None:
    # the "never" of the name is no negation of it
    assert context_flags(linker, "He has never walked and has never spoken.") == {
        "never walked": "P",
        "never spoken": "P",
    }
    assert mention_labels(linker, "He never walked independently.") == {
        "never walked independently": "Inability to walk"
    }
    # control: "never" before another finding still rules it out
    assert context_flags(linker, "He never had seizures.") == {"seizures": "N"}


def test_the_clinical_names_of_never_acquired_functions() -> None:
    assert "never walked" in CLINICAL_NAMES["HP:0002540"]
    assert "never spoken" in CLINICAL_NAMES["HP:0001344"]
    assert "hypermobile joints" in CLINICAL_NAMES["HP:0001382"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "She passes pale, offensive stools.",
            {"pale, offensive stools": "Acholic stools", "offensive stools": "Steatorrhea"},
        ),
        (
            "She has pale, bulky, offensive stools.",
            {"pale, bulky, offensive stools": "Acholic stools", "offensive stools": "Steatorrhea"},
        ),
        (
            "He has dry, coarse, sparse hair.",
            {"dry, coarse, sparse hair": "Dry hair", "sparse hair": "Sparse hair"},
        ),
        # control: a head phrase linked by itself ends the list ("rash" is no modifier)
        ("He has dry, rash, sparse hair.", {"rash": "Skin rash", "sparse hair": "Sparse hair"}),
    ],
)
def test_a_list_of_modifiers_before_one_head(
    linker: ConceptLinker, text: str, expected: dict[str, str]
) -> None:
    assert mention_labels(linker, text) == expected


def test_the_large_joints_are_a_class_of_joints(linker: ConceptLinker) -> None:
    assert mention_labels(linker, "She has arthritis of the large joints.") == {
        "arthritis": "Arthritis"
    }
    assert context_flags(linker, "His large joints are not hypermobile.") == {
        "joints are not hypermobile": "N"
    }
    assert context_flags(linker, "His joints are hypermobile.") == {"joints are hypermobile": "P"}
    # control: the finding's own word still names it
    assert mention_labels(linker, "He has enlarged joints.") == {
        "enlarged joints": "Enlarged joints"
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "His parents are healthy; neither has heart disease, woolly hair or keratoderma.",
            {"woolly hair": "N", "keratoderma": "N"},
        ),
        ("He has two sisters; none has seizures.", {"seizures": "N"}),
        # controls: "neither ... nor" as before, and a finding after the clause
        ("He has neither ataxia nor seizures.", {"ataxia": "N", "seizures": "N"}),
        ("Neither has seizures. He has woolly hair.", {"seizures": "N", "woolly hair": "P"}),
    ],
)
def test_neither_and_none_as_subjects(
    linker: ConceptLinker, text: str, expected: dict[str, str]
) -> None:
    assert context_flags(linker, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Echo showed dyskinesia of the right ventricular free wall.", {}),
        ("Right ventricular dyskinesia was seen.", {}),
        ("There was akinesia of the left ventricular apex.", {}),
        ("He had rupture of the splenic artery.", {}),
        ("The father has soft skin nodules.", {"skin nodules": "Skin nodule"}),
        ("He has retinal hyperpigmentation.", {}),
        # controls: the movement disorder, the organ, the vessel's own name and the skin
        ("He has orofacial dyskinesia.", {"orofacial dyskinesia": "Orofacial dyskinesia"}),
        ("She has dyskinesia of the limbs.", {"dyskinesia": "Dyskinesia"}),
        ("He had splenic rupture.", {"splenic rupture": "Splenic rupture"}),
        ("Renal artery stenosis was found.", {"renal artery stenosis": "Renal artery stenosis"}),
        ("He has soft skin.", {"soft skin": "Soft skin"}),
        ("She has hyperpigmentation.", {"hyperpigmentation": "Hyperpigmentation of the skin"}),
    ],
)
def test_a_finding_of_another_site(
    linker: ConceptLinker, text: str, expected: dict[str, str]
) -> None:
    assert mention_labels(linker, text) == expected


def test_sweating_absent_is_no_excess_ruled_out(linker: ConceptLinker) -> None:
    assert mention_labels(linker, "She has no sweating.") == {"no sweating": "Anhidrosis"}
    assert context_flags(linker, "She has no sweating.") == {"no sweating": "P"}
    assert context_flags(linker, "He does not sweat.") == {"does not sweat": "P"}
    # control: excess ruled out
    assert context_flags(linker, "There was no excessive sweating.") == {"excessive sweating": "N"}
