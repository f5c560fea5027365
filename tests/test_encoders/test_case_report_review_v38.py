"""Linking version 38, from case reports that an adult geneticist and a dysmorphologist
wrote for a review: negations and hedges of case-report prose, relatives named in other
ways, word senses and the body's compounds. Each group has controls that must not change."""

from __future__ import annotations

import pytest

from encoders.linker import ConceptLinker, LinkerConfig
from tests.test_encoders.context_fixtures import context_flags, lexicon_of, mention_labels

_TERMS = {
    "Seizure": ("Seizures", "Epilepsy"),
    "Hearing impairment": ("Hearing loss",),
    "Hypertelorism": (),
    "Ptosis": (),
    "Scoliosis": (),
    "Microcephaly": (),
    "Hypotonia": (),
    "Cleft lip": (),
    "Bilateral cleft lip": ("Both sided cleft lip",),
    "Uplifted earlobe": (),
    "Thick eyebrow": (),
    "Depression": (),
    "Left ventricular dilatation": (),
    "Ventriculomegaly": ("Dilated ventricles",),
    "Syncope": (),
    "Spherocytosis": (),
    "Lymphocytosis": (),
    "Prolonged QTc interval": (),
    "Prolonged QT interval": (),
    "Aspiration": (),
    "Akinesia": (),
    "Myopia": (),
    "High myopia": ("Severe myopia",),
    "Constipation": (),
    "Generalized hypotonia": (),
    "Generalized-onset seizure": ("Generalized seizures",),
    "Short finger": ("Short fingers",),
    "Short toe": ("Short toes",),
    "Left ventricular hypertrophy": (),
    "Medulloblastoma": (),
    "Neonatal hypotonia": (),
    "Cataract": ("Cataracts",),
    "Blue sclerae": (),
    "Ataxia": (),
    "Fever": (),
    "Congestive heart failure": ("Heart failure",),
    "Asthma": (),
    "Polyhydramnios": (),
    "Small finger": ("Small fingers",),
    "Finger joint hypermobility": (),
    "Low-set ears": (),
    "Posteriorly rotated ears": (),
}
LEXICON, IRI = lexicon_of(_TERMS)


@pytest.fixture(scope="module")
def linker() -> ConceptLinker:
    return ConceptLinker(LEXICON, LinkerConfig())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hypertelorism was not evident.", {"hypertelorism": "N"}),
        ("Ptosis was not apparent.", {"ptosis": "N"}),
        ("Scoliosis could not be demonstrated.", {"scoliosis": "N"}),
        ("Microcephaly reported prenatally was not confirmed.", {"microcephaly": "N"}),
        ("She was negative for hearing loss.", {"hearing loss": "N"}),
        (
            "The EEG was negative for seizures but ataxia was present.",
            {"seizures": "N", "ataxia": "P"},
        ),
        # must not change
        ("Microcephaly was confirmed.", {"microcephaly": "P"}),
        ("The test was negative and she has seizures.", {"seizures": "P"}),
    ],
)
def test_negations_of_case_reports(
    linker: ConceptLinker, text: str, expected: dict[str, str]
) -> None:
    assert context_flags(linker, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "He was advised to avoid drugs that prolong the QT interval.",
            {"prolong the qt interval": "U"},
        ),
        ("He was advised to treat fever promptly.", {"fever": "U"}),
        ("Heart failure may develop later in life.", {"heart failure": "U"}),
        ("Her episodes had been misdiagnosed as epilepsy.", {"epilepsy": "U"}),
        ("She was treated for presumed asthma.", {"asthma": "U"}),
        # must not change: a developed finding, a reason after "because"
        ("He developed heart failure.", {"heart failure": "P"}),
        ("He stopped sports because of ataxia.", {"ataxia": "P"}),
    ],
)
def test_advice_prognoses_and_misdiagnoses_are_hedged(
    linker: ConceptLinker, text: str, expected: dict[str, str]
) -> None:
    assert context_flags(linker, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Cascade screening of his sister revealed left ventricular hypertrophy.",
            {"left ventricular hypertrophy": "F"},
        ),
        ("In her daughter, a medulloblastoma was diagnosed at age 3.", {"medulloblastoma": "F"}),
        ("She was the mother of a child with neonatal hypotonia.", {"neonatal hypotonia": "F"}),
        ("He is the father of two sons with ataxia.", {"ataxia": "F"}),
        ("The patient and her sister both had cataracts.", {"cataracts": "P"}),
        ("Both the proband and her mother have blue sclerae.", {"blue sclerae": "P"}),
        ("He and his brother have ataxia.", {"ataxia": "P"}),
        # must not change
        ("His brother and sister have ataxia.", {"ataxia": "F"}),
        ("Her mother revealed that he had seizures.", {"seizures": "P"}),
        ("In summary, she has seizures.", {"seizures": "P"}),
        ("A child with hypotonia was referred.", {"hypotonia": "P"}),
    ],
)
def test_relatives_named_in_other_ways(
    linker: ConceptLinker, text: str, expected: dict[str, str]
) -> None:
    assert context_flags(linker, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("He had a right-sided cleft lip.", {"cleft lip": "Cleft lip"}),
        ("He had bilateral cleft lip.", {"bilateral cleft lip": "Bilateral cleft lip"}),
        (
            "He had uplifted ear lobes with a central depression.",
            {"uplifted ear lobes": "Uplifted earlobe"},
        ),
        ("She has thick eye brows.", {"thick eye brows": "Thick eyebrow"}),
        ("ECG showed ST depression.", {}),
        ("She has depression.", {"depression": "Depression"}),
        (
            "Echocardiography showed a dilated left ventricle.",
            {"dilated left ventricle": "Left ventricular dilatation"},
        ),
        ("MRI showed dilated ventricles.", {"dilated ventricles": "Ventriculomegaly"}),
        ("She had a syncopal episode.", {"syncopal": "Syncope"}),
        ("The blood film showed spherocytes.", {"spherocytes": "Spherocytosis"}),
        ("Lymphocytes were normal.", {}),
        ("The QTc was prolonged.", {"qtc was prolonged": "Prolonged QTc interval"}),
        ("Fine-needle aspiration showed a nodule.", {}),
        ("He had recurrent aspiration.", {"aspiration": "Aspiration"}),
        ("MRI showed regional akinesia of the free wall.", {}),
        (
            "She had severe constipation and myopia.",
            {"constipation": "Constipation", "myopia": "Myopia"},
        ),
        (
            "He had generalized hypotonia and seizures.",
            {"generalized hypotonia": "Generalized hypotonia", "seizures": "Seizure"},
        ),
        # must not change: a shape's word leads each conjunct
        (
            "Short fingers and toes.",
            {"short fingers": "Short finger", "short fingers and toes": "Short toe"},
        ),
    ],
)
def test_word_senses_compounds_and_shared_leads(
    linker: ConceptLinker, text: str, expected: dict[str, str]
) -> None:
    assert mention_labels(linker, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The mother had polyhydramnios and seizures.", {"polyhydramnios": "P", "seizures": "F"}),
        ("His mother's pregnancy: polyhydramnios.", {"polyhydramnios": "P"}),
        # must not change: another relative's pregnancy, the mother in another sentence
        ("Her sister had polyhydramnios in her pregnancy.", {"polyhydramnios": "F"}),
        (
            "The mother had seizures. Her sister had polyhydramnios.",
            {"seizures": "F", "polyhydramnios": "F"},
        ),
    ],
)
def test_a_pregnancy_the_mother_had_is_the_patients(text: str, expected: dict[str, str]) -> None:
    config = LinkerConfig(pregnancy_terms=(IRI["Polyhydramnios"],))
    assert context_flags(ConceptLinker(LEXICON, config), text) == expected


def test_without_pregnancy_terms_the_mother_has_it(linker: ConceptLinker) -> None:
    assert context_flags(linker, "The mother had polyhydramnios.") == {"polyhydramnios": "F"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # version 42: a modifier before a name read with "of" qualifies its first words
        (
            "She had small joint hypermobility of the fingers.",
            {"joint hypermobility of the fingers": "Finger joint hypermobility"},
        ),
        # must not change: a modifier stacked before the head itself
        (
            "He had low-set posteriorly rotated ears.",
            {
                "low-set posteriorly rotated ears": "Low-set ears",
                "posteriorly rotated ears": "Posteriorly rotated ears",
            },
        ),
    ],
)
def test_stacked_modifiers_and_names_with_of(
    linker: ConceptLinker, text: str, expected: dict[str, str]
) -> None:
    assert mention_labels(linker, text) == expected
