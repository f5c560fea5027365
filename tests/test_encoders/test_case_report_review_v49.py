"""Linking version 49, from a nephrologist's, a hepatologist's and a chest physician's case
reports: a test's negative result after a list of findings, a birth's time before "to ...
parents", "stigmata of", the paleness of fatty stools, an analyte's short name before its
range, ratios to creatinine, and counted acute episodes. Each group has controls that
must not change."""

from __future__ import annotations

import pytest

from encoders.clinical_names import CLINICAL_NAMES
from encoders.linker import ConceptLinker, LinkerConfig
from kg.lexicon import Lexicon, LexiconEntry
from kg.namespaces import to_iri
from tests.test_encoders.context_fixtures import (
    clinical_name_links,
    context_flags,
    lexicon_of,
    mention_labels,
)

_TERMS = {
    "Hepatomegaly": (),
    "Splenomegaly": (),
    "Seizure": ("Seizures",),
    "Hypotonia": (),
    "Ataxia": (),
    "Diarrhea": ("diarrhoea",),
    "Abnormality of the liver": ("liver disease",),
    "Ascites": (),
    "Hypokalemia": ("low potassium",),
    "Hyperkalemia": ("high potassium",),
    "Hyponatremia": ("low sodium",),
    "Hypercalciuria": ("high urine calcium",),
    "Hyperoxaluria": ("high urine oxalate",),
    "Elevated circulating creatinine concentration": ("high creatinine",),
    "Decreased glomerular filtration rate": ("low GFR",),
    "Otitis media": (),
    "Acute otitis media": (),
    "Recurrent otitis media": (),
}
LEXICON, IRI = lexicon_of(_TERMS)
PARENTS = {
    IRI["Acute otitis media"]: [IRI["Otitis media"]],
    IRI["Recurrent otitis media"]: [IRI["Otitis media"]],
}


@pytest.fixture(scope="module")
def linker() -> ConceptLinker:
    return ConceptLinker(LEXICON, LinkerConfig(), parents=PARENTS)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Hepatomegaly and splenomegaly, viral serology negative.",
            {"hepatomegaly": "P", "splenomegaly": "P"},
        ),
        (
            "Hepatomegaly, splenomegaly, hepatitis serology was negative.",
            {"hepatomegaly": "P", "splenomegaly": "P"},
        ),
        # controls: a list of findings that ends at its trigger is ruled out as a whole
        (
            "Seizures, hypotonia and ataxia were negative.",
            {"seizures": "N", "hypotonia": "N", "ataxia": "N"},
        ),
        (
            "However, seizures, hypotonia, and ataxia were excluded.",
            {"seizures": "N", "hypotonia": "N", "ataxia": "N"},
        ),
    ],
)
def test_a_tests_negative_result_after_findings(
    linker: ConceptLinker, text: str, expected: dict[str, str]
) -> None:
    assert context_flags(linker, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "A female infant born at term to consanguineous parents developed diarrhoea.",
            {"diarrhoea": "P"},
        ),
        ("A boy born at 36 weeks to healthy parents developed seizures.", {"seizures": "P"}),
        ("A boy born preterm to healthy parents developed seizures.", {"seizures": "P"}),
        # controls: the relative's own clause, and a clause of its own after a comma
        ("She was born at term to a mother who had seizures.", {"seizures": "F"}),
        ("She was born at term, and her mother had seizures.", {"seizures": "F"}),
    ],
)
def test_a_birth_at_term_to_parents(text: str, expected: dict[str, str]) -> None:
    linker = ConceptLinker(LEXICON, LinkerConfig(include_family=True))
    assert context_flags(linker, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("There were no stigmata of chronic liver disease.", {"liver disease": "U"}),
        ("Stigmata of chronic liver disease were present.", {"liver disease": "U"}),
        # controls
        ("No hepatomegaly and no ascites.", {"hepatomegaly": "N", "ascites": "N"}),
        ("He has chronic liver disease.", {"liver disease": "P"}),
    ],
)
def test_stigmata_of_a_disease_state_neither_it_nor_its_absence(
    linker: ConceptLinker, text: str, expected: dict[str, str]
) -> None:
    assert context_flags(linker, text) == expected


ACHOLIC, STEATORRHEA = to_iri("HP:0011985"), to_iri("HP:0002570")
STOOLS = Lexicon(
    [
        LexiconEntry(ACHOLIC, "Acholic stools", "label", None, "owl:Class"),
        LexiconEntry(ACHOLIC, "pale stools", "exact", None, "owl:Class"),
        LexiconEntry(STEATORRHEA, "Steatorrhea", "label", None, "owl:Class"),
        LexiconEntry(STEATORRHEA, "offensive stools", "exact", None, "owl:Class"),
        LexiconEntry(STEATORRHEA, "greasy stools", "exact", None, "owl:Class"),
    ],
    frozenset(),
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("She has pale, bulky, offensive stools.", {"Steatorrhea"}),
        ("He passes greasy, offensive, pale stools.", {"Steatorrhea"}),
        ("Bulky, pale, offensive, greasy stools.", {"Steatorrhea"}),
        # controls: a colour alone, or with the urine's, is a lack of bile
        ("She passed pale stools and dark urine.", {"Acholic stools"}),
        ("Pale stools since the neonatal period.", {"Acholic stools"}),
    ],
)
def test_the_paleness_of_fatty_stools_is_steatorrhoeas(text: str, expected: set[str]) -> None:
    linker = ConceptLinker(STOOLS, LinkerConfig())
    assert set(mention_labels(linker, text).values()) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("K 2.6 mmol/L (3.5-5.0).", {"Hypokalemia"}),
        ("Na 131 mmol/L (135-145), K 6.1 mmol/L (3.5-5.0).", {"Hyponatremia", "Hyperkalemia"}),
        ("Urine calcium:creatinine 1.1 mmol/mmol (ref <0.7).", {"Hypercalciuria"}),
        ("Urine calcium/creatinine 1.1 mmol/mmol (ref <0.7).", {"Hypercalciuria"}),
        ("Urine oxalate:creatinine 480 mmol/mol (ref <100).", {"Hyperoxaluria"}),
        ("TmP/GFR 0.6 mmol/L (0.8-1.4).", set()),
        # controls: a value within its range, an analyte written out, blood creatinine
        ("K 4.1 mmol/L (3.5-5.0).", set()),
        ("Potassium 2.6 mmol/L (3.5-5.0).", {"Hypokalemia"}),
        ("Creatinine 300 umol/L (45-90).", {"Elevated circulating creatinine concentration"}),
    ],
)
def test_short_analyte_names_and_ratios_to_creatinine(
    linker: ConceptLinker, text: str, expected: set[str]
) -> None:
    assert set(mention_labels(linker, text).values()) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Six episodes of acute otitis media.", {"Recurrent otitis media"}),
        ("Three episodes of otitis media.", {"Recurrent otitis media"}),
        # control: one episode
        ("An episode of acute otitis media.", {"Acute otitis media"}),
    ],
)
def test_counted_acute_episodes_are_a_recurrence(
    linker: ConceptLinker, text: str, expected: set[str]
) -> None:
    assert set(mention_labels(linker, text).values()) == expected


@pytest.mark.parametrize(
    ("curie", "name"),
    [
        ("HP:0012522", "spider naevi"),
        ("HP:0002014", "loose stools"),
        ("HP:0045051", "reduced TLCO"),
        ("HP:0006522", "recurrent pneumothoraces"),
        ("HP:0004784", "juvenile polyposis"),
        ("HP:0012587", "frank haematuria"),
        ("HP:0003774", "ESRD"),
        ("HP:0008341", "dRTA"),
        ("HP:0004719", "hyperechoic kidneys"),
        ("HP:0005565", "poor corticomedullary differentiation"),  # reduced since version 55
        ("HP:0030848", "raised JVP"),
        ("HP:0001667", "RVH"),
    ],
)
def test_the_reviewers_clinical_names(curie: str, name: str) -> None:
    assert name in CLINICAL_NAMES[curie]
    assert clinical_name_links(curie, name)


GAPS, _ = lexicon_of(
    {"Reduced protein S activity": ("Protein S deficiency",), "Brisk reflexes": ()}
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Surfactant protein B deficiency was confirmed.", set()),
        ("the protein B deficiency", set()),
        # controls: the name itself, and a gap over a word that is no identifier
        ("Protein S deficiency was found.", {"Reduced protein S activity"}),
        ("He had brisk tendon reflexes.", {"Brisk reflexes"}),
    ],
)
def test_no_gap_skips_a_letter_that_tells_one_thing_from_another(
    text: str, expected: set[str]
) -> None:
    linker = ConceptLinker(GAPS, LinkerConfig())
    assert set(mention_labels(linker, text).values()) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ataxia was suspected and later confirmed on examination.", {"ataxia": "P"}),
        ("Ataxia was suspected on video and confirmed in clinic.", {"ataxia": "P"}),
        ("Ataxia was suspected antenatally and confirmed after birth.", {"ataxia": "P"}),
        # controls: a suspicion alone, one refuted, and a confirmation of another finding
        ("Ataxia was suspected.", {"ataxia": "U"}),
        ("Ataxia was suspected but not confirmed.", {"ataxia": "N"}),
        ("Ataxia was suspected, and hypotonia was confirmed.", {"ataxia": "U", "hypotonia": "P"}),
        ("Ataxia was suspected and an MRI was requested.", {"ataxia": "U"}),
    ],
)
def test_a_suspicion_confirmed_states_the_finding(
    linker: ConceptLinker, text: str, expected: dict[str, str]
) -> None:
    assert context_flags(linker, text) == expected
