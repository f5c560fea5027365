"""Linking version 47, from what the case reviews of version 46 left open and four clinicians'
case reports: functions stated normal ruled out ("Hearing is normal"), one episode that is no
recurrence ("an episode of fever"), a verb form that is a name of its own ("fainted"), and an
examination's own words ("vision reduced to hand movements"). Each group has controls that
must not change."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from encoders.examination import read_examination
from encoders.gestation import read_preterm_births
from encoders.linker import ConceptLinker, LinkerConfig
from encoders.normal_functions import read_normal_functions
from encoders.reference_intervals import read_unranged_values
from tests.test_encoders.context_fixtures import context_flags, lexicon_of, mention_labels

_TERMS = {
    "Hearing impairment": ("Hearing loss",),
    "Visual impairment": (),
    "Global developmental delay": (),
    "Intellectual disability": (),
    "Growth abnormality": (),
    "Fever": (),
    "Recurrent fever": ("Episodic fever",),
    "Vomiting": (),
    "Episodic vomiting": (),
    "Syncope": ("Fainting", "Fainted"),
    "Diminished movement": ("Reduced movements",),
    "Severely reduced visual acuity": (),
    "Seizure": ("Seizures",),
}
LEXICON, IRI = lexicon_of(_TERMS)
PARENTS = {
    IRI["Recurrent fever"]: [IRI["Fever"]],
    IRI["Episodic vomiting"]: [IRI["Vomiting"]],
}


@pytest.fixture(scope="module")
def linker() -> ConceptLinker:
    return ConceptLinker(LEXICON, LinkerConfig(), parents=PARENTS)


def _read(text: str) -> list[tuple[str, str]]:
    return [(text[f.start : f.end], f.phrase) for f in read_normal_functions(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hearing is normal.", [("Hearing is normal", "hearing impairment")]),
        ("She has normal hearing.", [("normal hearing", "hearing impairment")]),
        ("Hearing: normal.", [("Hearing: normal", "hearing impairment")]),
        ("Vision was entirely normal.", [("Vision was entirely normal", "visual impairment")]),
        (
            "Her psychomotor development was normal.",
            [("psychomotor development was normal", "global developmental delay")],
        ),
        ("Cognition is normal.", [("Cognition is normal", "intellectual disability")]),
        ("Audiometry was normal.", [("Audiometry was normal", "hearing impairment")]),
        ("BAER results were normal.", [("BAER results were normal", "hearing impairment")]),
        (
            "He passed the newborn hearing screen.",
            [("passed the newborn hearing screen", "hearing impairment")],
        ),
        (
            "Growth and development were normal.",
            [
                ("Growth and development were normal", "growth abnormality"),
                ("Growth and development were normal", "global developmental delay"),
            ],
        ),
        (
            "She had normal hearing and vision.",
            [
                ("normal hearing and vision", "hearing impairment"),
                ("normal hearing and vision", "visual impairment"),
            ],
        ),
        # limited in time, or denied: nothing ruled out
        ("Development was normal until 9 months, when she lost skills.", []),
        ("Early development was normal.", []),
        ("Early growth and development were normal.", []),
        ("Hearing was not normal.", []),
        ("Not normal hearing.", []),
        # another function, another word
        ("Renal function was normal.", []),
        ("The hearing aid was fitted.", []),
    ],
)
def test_functions_stated_normal(text: str, expected: list[tuple[str, str]]) -> None:
    assert _read(text) == expected


_WORDS = ["hearing", "normal", "vision", "growth", "and", "was", "until", "early", ":", ",", " "]


@given(st.lists(st.sampled_from(_WORDS), max_size=12))
def test_readings_lie_in_the_text(words: list[str]) -> None:
    text = " ".join(words)
    for f in read_normal_functions(text):
        assert 0 <= f.start < f.end <= len(text)


def test_the_linker_rules_them_out_in_context(linker: ConceptLinker) -> None:
    assert context_flags(linker, "Hearing is normal.") == {"hearing is normal": "N"}
    assert mention_labels(linker, "Hearing is normal.") == {
        "hearing is normal": "Hearing impairment"
    }
    # a relative's function is the relative's
    assert context_flags(linker, "His sister's hearing is normal.") == {"hearing is normal": "F"}
    # a stated loss stays present
    assert context_flags(linker, "Hearing loss was found; vision was normal.") == {
        "hearing loss": "P",
        "vision was normal": "N",
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("She had an episode of fever.", {"episode of fever": "Fever"}),
        ("She had one episode of vomiting.", {"episode of vomiting": "Vomiting"}),
        (
            "During an episode of fever she had a seizure.",
            {"episode of fever": "Fever", "seizure": "Seizure"},
        ),
        # several, or each of several: recurrent
        ("She had episodes of fever.", {"episodes of fever": "Recurrent fever"}),
        ("Each episode of fever lasted three days.", {"episode of fever": "Recurrent fever"}),
        ("Another episode of vomiting followed.", {"episode of vomiting": "Episodic vomiting"}),
        ("Episodic fever since infancy.", {"episodic fever": "Recurrent fever"}),
    ],
)
def test_one_episode_is_no_recurrence(
    linker: ConceptLinker, text: str, expected: dict[str, str]
) -> None:
    assert mention_labels(linker, text) == expected


def test_a_verb_form_that_is_a_name_of_its_own(linker: ConceptLinker) -> None:
    assert mention_labels(linker, "She fainted twice.") == {"fainted": "Syncope"}
    assert context_flags(linker, "She never fainted.") == {"fainted": "N"}


def test_an_examination_reading_keeps_its_own_words(linker: ConceptLinker) -> None:
    text = "Her vision was reduced to hand movements."
    assert mention_labels(linker, text) == {
        "vision was reduced to hand movements": "Severely reduced visual acuity"
    }
    # outside the reading, the words are read as before
    assert mention_labels(linker, "Reduced movements of the left arm.") == {
        "reduced movements": "Diminished movement"
    }


# -- from the four reviewers' case reports ------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the electrolytes' short forms, chloride
        ("Serum Mg 0.48 mmol/L despite oral supplements.", [("low magnesium", 0.48)]),
        (
            "K 2.6 mmol/L, Na 128 mmol/L, Cl 88 mmol/L.",
            [("low potassium", 2.6), ("low sodium", 128.0), ("low chloride", 88.0)],
        ),
        # amino acids far above any age's normal
        (
            "Total homocysteine 212 umol/L, methionine 450 umol/L.",
            [("hyperhomocystinemia", 212.0), ("hypermethioninemia", 450.0)],
        ),
        ("Plasma leucine 2,450 umol/L.", [("hyperleucinemia", 2450.0)]),
        ("Phe 1200 umol/L at day 10.", [("hyperphenylalaninemia", 1200.0)]),
        # a sweat test and a stool's elastase
        ("Sweat chloride 98 mmol/L on two occasions.", [("elevated sweat chloride", 98.0)]),
        ("Faecal elastase <15 ug/g.", [("elastase low in stool", 15.0)]),
        # within the limits, another specimen, a dose: nothing
        ("Sweat chloride 35 mmol/L.", []),
        ("Total homocysteine 9 umol/L.", []),
        ("Urinary sodium 80 mmol/L.", []),
        ("She received 500 mg 3 times daily.", []),
    ],
)
def test_values_of_the_reviews(text: str, expected: list[tuple[str, float]]) -> None:
    assert [(v.phrase, v.value) for v in read_unranged_values(text)] == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Examination: spleen palpable 12 cm below the left costal margin, liver 4 cm.",
            [
                ("spleen palpable 12 cm below the left costal margin", "splenomegaly"),
                ("liver 4 cm", "hepatomegaly"),
            ],
        ),
        (
            "The liver was palpable 5 cm below the costal margin and the spleen 1 cm.",
            [("liver was palpable 5 cm below the costal margin", "hepatomegaly")],
        ),
        # the MRC's dyspnoea scale is no muscle's grade
        ("Exertional dyspnoea (MRC grade 3).", []),
        ("Power was MRC grade 4 in the deltoids.", [("MRC grade 4", "proximal muscle weakness")]),
    ],
)
def test_examinations_of_the_reviews(text: str, expected: list[tuple[str, str]]) -> None:
    assert [(text[f.start : f.end], f.phrase) for f in read_examination(text)] == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Delivered at 31 weeks by caesarean section.", [("Delivered at 31 weeks", 31)]),
        (
            "Delivery took place at a gestational age of 35 weeks.",
            [("Delivery took place at a gestational age of 35 weeks", 35)],
        ),
        ("She was born at 34+2 weeks' gestation.", [("born at 34+2 weeks", 34)]),
        ("Born at 39 weeks after an uneventful pregnancy.", []),  # at term
        ("At 20 weeks' gestation, a scan showed polyhydramnios.", []),  # no birth
        ("Birth weight 2.1 kg at 38 weeks.", []),
    ],
)
def test_preterm_births(text: str, expected: list[tuple[str, int]]) -> None:
    assert [(text[b.start : b.end], b.weeks) for b in read_preterm_births(text)] == expected


_REVIEW_TERMS = {
    "Cleft lip": (),
    "Split hand": (),
    "Radioulnar synostosis": (),
    "Hepatomegaly": (),
    "Hypertelorism": (),
    "Long philtrum": (),
    "Tubulointerstitial nephritis": (),
    "Seizure": ("Seizures",),
    "Nephrolithiasis": ("Kidney stones",),
    "Increased body weight": ("Weight gain",),
    "Aggressive behavior": ("Aggression",),
    "Diarrhea": (),
    "Necrotizing enterocolitis": (),
    "Polyuria": (),
    "Hepatitis": (),
    "Hypomethioninemia": ("Low methionine",),
    "Irritability": ("Irritable",),
    "Premature birth": (),
}
REVIEW_LEXICON, _ = lexicon_of(_REVIEW_TERMS)


@pytest.fixture(scope="module")
def review_linker() -> ConceptLinker:
    return ConceptLinker(REVIEW_LEXICON, LinkerConfig())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a healthy relative's "with" is the child's; an unqualified one stays the relative's
        ("Term girl born to healthy parents with cleft lip.", {"cleft lip": "P"}),
        ("A boy born to a father with cleft lip.", {"cleft lip": "F"}),
        # a relative's passing, carrying
        ("Her brother passed kidney stones at age 12.", {"kidney stones": "F"}),
        ("The patient passed kidney stones.", {"kidney stones": "P"}),
        # a query before a modifier, or after a finding with one
        (
            "Face: long philtrum, ? mild hypertelorism.",
            {"long philtrum": "P", "hypertelorism": "U"},
        ),
        ("Mild hypertelorism?", {"hypertelorism": "U"}),
        # a suspicion stated after its finding, at the clause's end
        (
            "Biopsy was deferred, with tubulointerstitial nephritis suspected.",
            {"tubulointerstitial nephritis": "U"},
        ),
        ("Seizures suspected by the parents were confirmed on EEG.", {"seizures": "P"}),
        # an absent structure glossed with its finding; a motion lacking, glossed
        (
            "A deep central cleft with absence of the third ray (split hand).",
            {"split hand": "P"},
        ),
        (
            "The elbows lacked full extension (radioulnar synostosis on X-ray).",
            {"radioulnar synostosis": "P"},
        ),
        ("The absence of seizures (hepatomegaly aside).", {"seizures": "N", "hepatomegaly": "N"}),
        # a drug's effects further along its sentence
        (
            "Risperidone was started for aggression but led to substantial weight gain.",
            {"aggression": "P", "weight gain": "U"},
        ),
        ("She was treated with nintedanib, complicated by diarrhoea.", {"diarrhoea": "U"}),
        (
            "Indomethacin was started at 4 weeks with improvement in the polyuria but was "
            "complicated by necrotizing enterocolitis.",
            {"polyuria": "P", "necrotizing enterocolitis": "U"},
        ),
    ],
)
def test_readings_of_the_reviews(
    review_linker: ConceptLinker, text: str, expected: dict[str, str]
) -> None:
    assert context_flags(review_linker, text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Hepatitis serology was negative.",  # a test
        "She was started on a low methionine diet.",  # a treatment
        "He has irritable bowel syndrome.",  # a disease, not a mood
    ],
)
def test_names_of_other_things(review_linker: ConceptLinker, text: str) -> None:
    assert review_linker.link(text) == []


def test_preterm_births_are_read_with_the_measurements(review_linker: ConceptLinker) -> None:
    text = "Delivered at 31 weeks by caesarean section."
    assert review_linker.link(text) == []
    measuring = ConceptLinker(REVIEW_LEXICON, LinkerConfig(measurements=True))
    assert mention_labels(measuring, text) == {"delivered at 31 weeks": "Premature birth"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "CSF glucose 1.9 mmol/L with simultaneous blood glucose 5.3 mmol/L.",
            [("hypoglycorrhachia", 1.9)],
        ),
        ("IgA <0.07 g/L.", [("low iga", 0.07)]),
        ("CSF glucose 3.1 mmol/L.", []),
    ],
)
def test_spinal_fluid_glucose_and_iga(text: str, expected: list[tuple[str, float]]) -> None:
    assert [(v.phrase, v.value) for v in read_unranged_values(text)] == expected


def test_an_organ_below_a_costal_margin_without_its_article() -> None:
    text = "Liver 3 cm below costal margin."
    assert [(text[f.start : f.end], f.phrase) for f in read_examination(text)] == [
        ("Liver 3 cm below costal margin", "hepatomegaly")
    ]


_OTHER_THINGS = {
    "Cough": (),
    "Increased body weight": ("Weight gain",),
    "Incoordination": (),
}
OTHER_LEXICON, _ = lexicon_of(_OTHER_THINGS)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Cough swab grew Staphylococcus aureus.", {}),  # a specimen
        ("He was treated, with good weight gain.", {}),  # a response to treatment
        ("Weight gain was excessive.", {"weight gain": "Increased body weight"}),
        ("Poor suck and swallow incoordination.", {}),  # the swallow's, not the limbs'
        ("Limb incoordination was marked.", {"incoordination": "Incoordination"}),
    ],
)
def test_words_that_make_a_name_another_thing(text: str, expected: dict[str, str]) -> None:
    assert mention_labels(ConceptLinker(OTHER_LEXICON, LinkerConfig()), text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("DEXA: lumbar spine Z-score -2.8.", ["reduced bone mineral density"]),
        ("Bone mineral density Z-score of \u22122.3.", ["reduced bone mineral density"]),
        ("BMD Z-score -1.2 at the hip.", []),
        ("Beighton score 8/9.", ["joint hypermobility"]),
        ("Beighton score of 4/9.", []),
    ],
)
def test_scores_of_an_examination(text: str, expected: list[str]) -> None:
    assert [f.phrase for f in read_examination(text)] == expected


_HELD_OUT_TERMS = {
    "Aganglionic megacolon": ("Hirschsprung disease",),
    "Ganglioneuromatosis": (),
    "Hypertension": (),
    "Proteinuria": (),
    "Anorexia": (),
    "Increased body weight": ("Weight gain",),
}
HELD_OUT_LEXICON, _ = lexicon_of(_HELD_OUT_TERMS)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Biopsy showed ganglioneuromatosis rather than Hirschsprung disease.",
            {"ganglioneuromatosis": "P", "hirschsprung disease": "N"},
        ),
        (
            "Bevacizumab was started; treatment was complicated by hypertension and proteinuria.",
            {"hypertension": "U", "proteinuria": "U"},
        ),
        ("Initially labelled anorexia, she was later seen again.", {"anorexia": "U"}),
    ],
)
def test_readings_of_the_held_out_reviews(text: str, expected: dict[str, str]) -> None:
    assert context_flags(ConceptLinker(HELD_OUT_LEXICON, LinkerConfig()), text) == expected


def test_a_response_to_treatment_is_no_finding() -> None:
    linker = ConceptLinker(HELD_OUT_LEXICON, LinkerConfig())
    assert linker.link("Improved weight gain on pancreatic enzymes.") == []


_LAST_TERMS = {
    "Impaired pain sensation": ("Loss of pain sensation",),
    "Impaired temperature sensation": ("Loss of temperature sensation",),
    "Pain": (),
    "Mutism": ("Unable to speak",),
    "Inability to walk": ("Unable to walk",),
    "Broad-based gait": (),
    "Myopathy": ("Myopathic",),
    "Decreased appetite": ("Reduced appetite",),
    "Weight loss": (),
    "Xerostomia": ("Dry mouth",),
    "Growth abnormality": (),
}
LAST_LEXICON, _ = lexicon_of(_LAST_TERMS)


@pytest.fixture(scope="module")
def last_linker() -> ConceptLinker:
    return ConceptLinker(LAST_LEXICON, LinkerConfig())


def test_a_coordinated_sensation_leaves_no_bare_pain(last_linker: ConceptLinker) -> None:
    text = "Loss of pain and temperature sensation to mid-thigh."
    labels = sorted(m.label for m in last_linker.link(text))
    assert labels == ["Impaired pain sensation", "Impaired temperature sensation"]
    assert mention_labels(last_linker, "Pain in the knees.") == {"pain": "Pain"}


def test_a_finite_verb_is_no_second_infinitive(last_linker: ConceptLinker) -> None:
    text = "He is unable to speak and walks with a broad-based gait."
    assert mention_labels(last_linker, text) == {
        "unable to speak": "Mutism",
        "broad-based gait": "Broad-based gait",
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # ", plus" adds a finding after a negation
        ("Not in every muscle sampled, plus myopathic units.", {"myopathic": "P"}),
        # a drug's effect after "which has caused"; a drug of the neurology clinic
        (
            "He was treated with methylphenidate, which has caused reduced appetite and "
            "weight loss.",
            {"reduced appetite": "U", "weight loss": "U"},
        ),
        ("Trihexyphenidyl was started but caused dry mouth.", {"dry mouth": "U"}),
    ],
)
def test_readings_of_the_last_reviews(
    last_linker: ConceptLinker, text: str, expected: dict[str, str]
) -> None:
    assert context_flags(last_linker, text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "She is short with a normal growth velocity.",
        "Normal growth hormone levels.",
        "He was fitted with a normal hearing aid.",
    ],
)
def test_a_measure_of_a_function_is_no_statement_of_it(text: str) -> None:
    assert _read(text) == []


def test_hba1c_against_its_limit() -> None:
    assert [(v.phrase, v.value) for v in read_unranged_values("HbA1c 48 mmol/mol.")] == [
        ("elevated hba1c", 48.0)
    ]
    assert list(read_unranged_values("HbA1c 38 mmol/mol.")) == []
