"""Laboratory values stated without a range, read against built-in limits (linking
versions 39 and 43): the limits are wide enough to be abnormal at any age past the newborn period,
so a child's or a woman's normal value reads nothing."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from encoders.linker import ConceptLinker, LinkerConfig
from encoders.reference_intervals import read_unranged_values, unit_key
from tests.test_encoders.context_fixtures import lexicon_of


def _read(text: str) -> list[tuple[str, str, float]]:
    return [(v.phrase, v.unit, v.value) for v in read_unranged_values(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Serum potassium was 2.6 mmol/L.", [("low potassium", "mmol/l", 2.6)]),
        ("Potassium 6.8 mEq/L.", [("high potassium", "meq/l", 6.8)]),
        (
            "Haemoglobin was 78 g/L and platelets 22 x 10^9/L.",
            [("low hemoglobin", "g/l", 78.0), ("low platelets", "10^9/l", 22.0)],
        ),
        ("Platelet count 85,000/\u00b5L.", [("low platelets", "/ul", 85_000.0)]),
        ("Hb 7.9 g/dL", [("low hemoglobin", "g/dl", 7.9)]),
        ("Serum CK was 1450 U/L.", [("high creatine kinase", "u/l", 1450.0)]),
        ("Fasting glucose was 9.1 mmol/L.", [("high glucose", "mmol/l", 9.1)]),
        ("Transferrin saturation 88%.", [("elevated transferrin saturation", "%", 88.0)]),
        ("WBC 2,1 \u00d7 10\u2079/L", [("low leukocytes", "10^9/l", 2.1)]),
        ("Blood pressure was 165/100 mmHg.", [("high blood pressure", "mmhg", 165.0)]),
        # version 43: immunoglobulins, CRP, differential counts, low cholesterol and glucose
        ("IgG 1.1 g/L, IgA 0.8 g/L.", [("low igg", "g/l", 1.1)]),
        ("Serum IgE was 12,400 IU/mL.", [("high ige", "iu/ml", 12400.0)]),
        ("CRP 40 mg/L", [("high crp", "mg/l", 40.0)]),
        # version 46: a value written as a bound, on the side it states
        ("Serum CK was >10,000 U/L.", [("high creatine kinase", "u/l", 10000.0)]),
        ("Platelets <20 x 10^9/L", [("low platelets", "10^9/l", 20.0)]),
        ("Serum CK was <10,000 U/L.", []),
        ("Platelets >20 x 10^9/L", []),
        # version 46: the left ventricle's ejection fraction and a corrected QT interval
        ("LVEF 32%.", [("reduced ejection fraction", "%", 32.0)]),
        ("Ejection fraction of 45%.", [("reduced ejection fraction", "%", 45.0)]),
        ("RV ejection fraction 38%.", []),
        ("Preserved EF 60%.", []),
        ("ECG showed a QTc of 510 ms.", [("prolonged qtc interval", "ms", 510.0)]),
        ("The QTc interval was 300 ms.", [("shortened qt interval", "ms", 300.0)]),
        ("QTc 440 ms; QT 480 ms.", []),
        (
            "Lymphocytes 0.3 x 10^9/L and eosinophils 1.8 x 10^9/L.",
            [("low lymphocytes", "10^9/l", 0.3), ("high eosinophils", "10^9/l", 1.8)],
        ),
        ("Total cholesterol was 0.8 mmol/L.", [("low cholesterol", "mmol/l", 0.8)]),
        ("Blood glucose 30 mg/dL.", [("hypoglycemia", "mg/dl", 30.0)]),
        ("IgG 4.5 g/L, IgE 800 IU/mL and CRP 8 mg/L.", []),  # an infant's, an atopic's
        # within the limits, though past an adult laboratory's interval: nothing
        ("Potassium 4.1 mmol/L, sodium 139 mmol/L, Hb 112 g/L.", []),
        ("Glucose was 9.1 mmol/L after a meal.", []),
        ("Serum CK was 260 U/L.", []),
        ("Blood pressure was 118/72 mmHg.", []),
        # other specimens and forms, unknown units, a stated range (read elsewhere)
        ("Urinary calcium was 12 mmol/L.", []),
        ("Ionized calcium was 0.9 mmol/L.", []),
        # the spinal fluid's lactate is no blood's; its glucose has limits of its own
        # (since version 47)
        (
            "CSF glucose was 1.2 mmol/L and lactate 4.5 mmol/L.",
            [("hypoglycorrhachia", "mmol/l", 1.2)],
        ),
        # a range stated after the value is used in place of the limits
        ("Potassium was 2.6 mmol/L (3.5-5.0).", [("low potassium", "mmol/l", 2.6)]),
        ("Potassium was 3.1 mmol/L (3.0-5.0).", []),
        ("Leukocytes 3.5 x 10^9/L [4-11]", [("low leukocytes", "10^9/l", 3.5)]),
        ("Potassium was 2.6 mmol/L (raised?).", []),
        # no unit: since linking version 54 read in the one number both its units give
        # (mmol/L and mEq/L)
        ("Potassium was 2.6.", [("low potassium", "mmol/l", 2.6)]),
        ("Potassium was 2.6 times the baseline.", []),
        ("HbA1c 9.8%", [("elevated hba1c", "%", 9.8)]),  # read since version 47
        ("HDL cholesterol 9.0 mmol/L", []),
        ("Creatinine clearance 20 mL/min", []),  # a rate not per 1.73 m2: not read
        (
            "eGFR was 25 mL/min/1.73m2",  # read since version 48
            [("decreased glomerular filtration rate", "ml/min/1.73m2", 25.0)],
        ),
        (
            "eGFR 22 ml/min/1.73 m\u00b2",
            [("decreased glomerular filtration rate", "ml/min/1.73m2", 22.0)],
        ),
        ("eGFR 45 mL/min/1.73m2", []),  # above the limit of any age past infancy
        # version 48: when the value was taken, the haematologist's analytes, "BP"
        ("Platelet count at birth 14 x10^9/L", [("low platelets", "10^9/l", 14.0)]),
        ("Haemoglobin at presentation 60 g/L", [("low hemoglobin", "g/l", 60.0)]),
        ("Neutrophils 38 x10^9/L", [("high neutrophils", "10^9/l", 38.0)]),
        ("Neutrophils 9.5 x10^9/L", []),
        ("Reticulocytes 0.1%", [("reticulocytopenia", "%", 0.1)]),
        ("reticulocytes 9%", [("reticulocytosis", "%", 9.0)]),
        ("reticulocytes 4%", []),  # a newborn's may be so
        ("Factor VIII:C was <1 IU/dL", [("factor viii deficiency", "iu/dl", 1.0)]),
        ("LDH 1,800 U/L", [("high ldh", "u/l", 1800.0)]),
        ("LDH 650 U/L", []),  # a child's may be so
        ("Fibrinogen 0.9 g/L", [("low fibrinogen", "g/l", 0.9)]),
        ("BP 150/95 mmHg", [("high blood pressure", "mmhg", 150.0)]),
        ("BP 145/92.", [("high blood pressure", "mmhg", 145.0)]),
        ("BP 110/70", []),
        ("QTc 480 ms (normal <500)", []),  # the stated limit decides
        # a bracket that only remarks on how the value was taken
        ("CK 14,000 U/L (on two occasions, rested)", [("high creatine kinase", "u/l", 14000.0)]),
        ("CK was 3,000 U/L (checked twice)", [("high creatine kinase", "u/l", 3000.0)]),
        ("CK 14,000 U/L (raised)", []),  # a flag: the flagged values' reader
        ("Ferritin 1500 ug/L (97th centile)", []),
        # a change from one value to another, and a range of values wholly outside
        ("Sodium fell from 134 to 118 mmol/L", [("low sodium", "mmol/l", 118.0)]),
        ("CK is 900-1,500 U/L", [("high creatine kinase", "u/l", 1500.0)]),
        ("Platelets 20-40 x10^9/L", [("low platelets", "10^9/l", 40.0)]),
        ("CK 300-1500 U/L", []),  # the range reaches below the limit
        ("Sodium was 134-138 mmol/L", []),
        # values written before the one that names their unit
        (
            "Na 118, Cl 90, K 8.2 mmol/L",
            [
                ("low sodium", "mmol/l", 118.0),
                ("low chloride", "mmol/l", 90.0),
                ("high potassium", "mmol/l", 8.2),
            ],
        ),
        ("Sodium 125 and potassium 4.1 mmol/L", [("low sodium", "mmol/l", 125.0)]),
        # another unit: not the platelets' (since linking version 54 a haemoglobin without
        # its unit is read in the unit its scale tells, g/L from 30)
        (
            "Hb 78, platelets 22 x10^9/L",
            [("low hemoglobin", "g/l", 78.0), ("low platelets", "10^9/l", 22.0)],
        ),
        ("He was 118, K 8.2 mmol/L", [("high potassium", "mmol/l", 8.2)]),
        # a specimen named earlier in the clause is not a blood-only analyte's
        (
            "Urinary copper 2.1 umol/24h, ALT 292 U/L and platelets 48 x10^9/L",
            [("high alt", "u/l", 292.0), ("low platelets", "10^9/l", 48.0)],
        ),
        ("Urine sodium 10 mmol/L, potassium 8 mmol/L", []),  # the urine's, as before
    ],
)
def test_values_outside_the_built_in_limits(
    text: str, expected: list[tuple[str, str, float]]
) -> None:
    assert _read(text) == expected


def test_units_written_in_several_ways_are_one() -> None:
    for unit in ("x 10^9/L", "\u00d710\u2079/l", "10*9/L", "X 10 ^ 9 / L"):
        assert unit_key(unit) == "10^9/l"
    for unit in ("/\u00b5L", "/uL", "/mm3", "/mm\u00b3"):
        assert unit_key(unit) == "/ul"
    assert unit_key("\u03bcmol/L") == "umol/l"


@settings(max_examples=300, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(list("potasium 0123456789.,/xX^L%mgUl()[]\u00b5 \n")), max_size=200
    )
)
def test_the_reader_takes_any_text_and_points_inside_it(text: str) -> None:
    for value in read_unranged_values(text):
        assert 0 <= value.start <= value.value_start < value.end <= len(text)
        assert value.direction in ("low", "high")


def test_long_runs_of_digits_and_spaces_are_read_at_once() -> None:
    text = "potassium " + " " * 50_000 + "1" * 50_000 + " mmol/L"
    assert _read(text) == []  # a run of 50,000 digits is no value of the table's form


_TERMS = {
    "Hypokalemia": ("Low potassium",),
    "Thrombocytopenia": ("Low platelets",),
    "Hypertension": ("High blood pressure",),
}
LEXICON, IRI = lexicon_of(_TERMS)


@pytest.fixture(scope="module")
def linker() -> ConceptLinker:
    return ConceptLinker(LEXICON, LinkerConfig())


def test_the_linker_reads_them_and_their_context(linker: ConceptLinker) -> None:
    text = (
        "Serum potassium was 2.6 mmol/L and platelets 22 x 10^9/L. Blood pressure was "
        "165/100 mmHg. Her mother's potassium was 2.9 mmol/L."
    )
    found = [(m.label, m.text, m.family) for m in linker.link(text)]
    assert found == [
        ("Hypokalemia", "potassium was 2.6 mmol/L", False),
        ("Thrombocytopenia", "platelets 22 x 10^9/L", False),
        ("Hypertension", "Blood pressure was 165/100 mmHg", False),
        ("Hypokalemia", "potassium was 2.9 mmol/L", True),
    ]
    assert [m.label for m in linker.link("Serum potassium was 4.2 mmol/L.")] == []
    off = ConceptLinker(LEXICON, LinkerConfig(lab_values=False))
    assert [m.label for m in off.link("Serum potassium was 2.6 mmol/L.")] == []
