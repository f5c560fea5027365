"""Laboratory values stated without a reference range, read against built-in limits.

Case reports often give a value alone: "serum potassium was 2.6 mmol/L", "haemoglobin 78
g/L and platelets 22 x 10^9/L", "blood pressure 165/100 mmHg". :func:`read_unranged_values`
reads such a value after the name of one of a few common analytes (:data:`ANALYTES`) in a
unit it knows, and says whether it lies outside that analyte's limits; so it does a blood
pressure and a corrected QT interval.

The limits are not the laboratory's reference interval: they are wide enough to be abnormal
at any age past the newborn period and for either sex ("haemoglobin below 100 g/L", "CK
above 400 U/L", "creatinine above 130 umol/L"), so that a child's or a woman's normal value
is never read as a finding; a value between a reference limit and these reads nothing.
Analytes whose limits depend too much on age or sex (alkaline phosphatase, bilirubin in a
newborn, hormones) are left out, as are values of urine, spinal fluid (but for its
glucose, read against a limit of its own) or ionised calcium.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from encoders.lab_values import comparator_before, read_number

__all__ = ["ANALYTES", "Analyte", "UnrangedValue", "analyte_phrase", "read_unranged_values"]


@dataclass(frozen=True)
class Analyte:
    """An analyte with its limits by unit.

    Attributes:
        names: a regular expression of its names in text (case-insensitive).
        low_phrase: what a value below the low limit states ("low potassium"), read by the
            linker's dictionary; "" when a low value is no finding read here.
        high_phrase: the same above the high limit.
        limits: unit (:func:`unit_key`) -> ``(low, high)``; None: no limit that side.
        fasting_high: the high limit of a fasting value in each unit (glucose).
    """

    names: str
    low_phrase: str
    high_phrase: str
    limits: dict[str, tuple[float | None, float | None]]
    fasting_high: dict[str, float] | None = None


_G10_9 = "10^9/l"
_PER_UL = "/ul"
_GFR_UNIT = "ml/min/1.73m2"
#: The analytes read without a stated range, and their limits (see the module's notes).
ANALYTES: tuple[Analyte, ...] = (
    Analyte(
        r"sodium|na\+?", "low sodium", "high sodium", {"mmol/l": (130, 148), "meq/l": (130, 148)}
    ),
    Analyte(
        r"potassium|k\+?",
        "low potassium",
        "high potassium",
        {"mmol/l": (3.2, 6.0), "meq/l": (3.2, 6.0)},
    ),
    Analyte(
        r"calcium|ca(?:2\+|\+\+)?",
        "low calcium",
        "high calcium",
        {"mmol/l": (2.0, 2.75), "mg/dl": (8.0, 11.0)},
    ),
    Analyte(
        r"magnesium|mg(?![/\w])",
        "low magnesium",
        "high magnesium",
        {"mmol/l": (0.65, 1.1), "mg/dl": (1.6, 2.7)},
    ),
    Analyte(
        r"phosphate|phosphorus|po4|phos",
        "low phosphate",
        "high phosphate",
        {"mmol/l": (0.8, 2.3), "mg/dl": (2.5, 7.0)},
    ),
    Analyte(
        r"bicarbonate|hco3-?",
        "low bicarbonate",
        "high bicarbonate",
        {"mmol/l": (18, 32), "meq/l": (18, 32)},
    ),
    # since linking version 47: chloride, and the short forms of the electrolytes ("K 2.6
    # mmol/L", "Mg 0.48 mmol/L")
    Analyte(
        r"chloride|cl-?", "low chloride", "high chloride", {"mmol/l": (94, 112), "meq/l": (94, 112)}
    ),
    Analyte(
        r"glucose|blood sugar",
        "hypoglycemia",
        "high glucose",
        {"mmol/l": (2.6, 11.1), "mg/dl": (47, 200)},
        fasting_high={"mmol/l": 7.0, "mg/dl": 126},
    ),
    Analyte(
        r"creatine (?:phospho)?kinase|ck|cpk",
        "",
        "high creatine kinase",
        {"u/l": (None, 400), "iu/l": (None, 400)},
    ),
    Analyte(
        r"ferritin",
        "low ferritin",
        "high ferritin",
        {"ug/l": (10, 1000), "ng/ml": (10, 1000)},
    ),
    Analyte(
        r"ha?emoglobin|hb|hgb",
        "low hemoglobin",
        "high hemoglobin",
        {"g/l": (100, 220), "g/dl": (10.0, 22.0)},
    ),
    Analyte(
        r"platelets?(?: count)?|platelet count|plt",
        "low platelets",
        "high platelets",
        {_G10_9: (140, 500), _PER_UL: (140_000, 500_000)},
    ),
    Analyte(
        r"white (?:blood )?cell count|white (?:blood )?cells|wbc|leu[ck]ocytes?(?: count)?",
        "low leukocytes",
        "high leukocytes",
        {_G10_9: (3.0, 18.0), _PER_UL: (3_000, 18_000)},
    ),
    Analyte(
        r"(?:absolute )?neutrophils?(?: count)?|absolute neutrophil count|anc",
        "low neutrophils",
        "high neutrophils",  # since linking version 48, above any age's past the first days
        {_G10_9: (1.0, 15.0), _PER_UL: (1_000, 15_000)},
    ),
    Analyte(
        r"tsh|thyroid[- ]stimulating hormone",
        "low tsh",
        "high tsh",
        {"mu/l": (0.1, 10), "miu/l": (0.1, 10), "uiu/ml": (0.1, 10), "uu/ml": (0.1, 10)},
    ),
    Analyte(r"lactate|lactic acid", "", "high lactate", {"mmol/l": (None, 2.5)}),
    # since linking version 53: an ESR above 50 mm/h, high at any age and for either sex
    Analyte(
        r"esr|erythrocyte sedimentation rate|sedimentation rate",
        "",
        "elevated esr",
        {"mm/h": (None, 50), "mm/hr": (None, 50), "mm/hour": (None, 50)},
    ),
    Analyte(r"ammonia", "", "high ammonia", {"umol/l": (None, 80), "ug/dl": (None, 136)}),
    Analyte(
        r"alanine aminotransferase|alt|sgpt",
        "",
        "high alt",
        {"u/l": (None, 100), "iu/l": (None, 100)},
    ),
    Analyte(
        r"aspartate aminotransferase|ast|sgot",
        "",
        "high ast",
        {"u/l": (None, 100), "iu/l": (None, 100)},
    ),
    Analyte(
        r"creatinine(?! clearance| ratio| kinase)",
        "",
        "high creatinine",
        {"umol/l": (None, 130), "mg/dl": (None, 1.5)},
    ),
    Analyte(
        r"uric acid|urate",
        "low uric acid",
        "high uric acid",
        # mmol/L since linking version 55 ("Serum urate was 0.51 mmol/L")
        {"umol/l": (120, 480), "mg/dl": (2.0, 8.0), "mmol/l": (0.12, 0.48)},
    ),
    Analyte(
        r"(?<!hdl )(?<!hdl-)(?<!ldl )(?<!ldl-)(?:total )?cholesterol|tc",  # "TC": since v54
        "low cholesterol",
        "high cholesterol",
        {"mmol/l": (2.0, 7.8), "mg/dl": (77, 300)},
    ),
    Analyte(
        r"ldl(?:[- ]cholesterol)?|low[- ]density lipoprotein(?: cholesterol)?",
        "",
        "high ldl cholesterol",
        {"mmol/l": (None, 4.9), "mg/dl": (None, 190)},
    ),
    # since linking version 55: the HDL cholesterol, low below 0.8 mmol/L at any age and for
    # either sex
    Analyte(
        r"hdl(?:[- ]cholesterol|-c)?|high[- ]density lipoprotein(?: cholesterol)?",
        "decreased hdl cholesterol",
        "",
        {"mmol/l": (0.8, None), "mg/dl": (31, None)},
    ),
    Analyte(
        r"triglycerides?", "", "high triglycerides", {"mmol/l": (None, 3.0), "mg/dl": (None, 265)}
    ),
    Analyte(r"albumin", "low albumin", "", {"g/l": (30, None), "g/dl": (3.0, None)}),
    Analyte(
        r"(?:serum )?igg|immunoglobulin g",
        "low igg",
        "",
        {"g/l": (2.0, None), "mg/dl": (200, None)},
    ),
    Analyte(
        r"(?:serum )?ige|immunoglobulin e",
        "",
        "high ige",
        {"iu/ml": (None, 2000), "ku/l": (None, 2000), "u/ml": (None, 2000)},
    ),
    Analyte(
        r"crp|c-reactive protein|c reactive protein",
        "",
        "high crp",
        {"mg/l": (None, 10), "mg/dl": (None, 1.0)},
    ),
    Analyte(
        r"(?:absolute )?lymphocytes?(?: count)?|absolute lymphocyte count|alc",
        "low lymphocytes",
        "",
        {_G10_9: (1.0, None), _PER_UL: (1_000, None)},
    ),
    Analyte(
        r"(?:absolute )?eosinophils?(?: count)?|absolute eosinophil count|aec",
        "",
        "high eosinophils",
        {_G10_9: (None, 1.5), _PER_UL: (None, 1_500)},
    ),
    # since linking version 47: amino acids of the blood, their limits far above any age's
    # normal (a newborn's included); a sweat test and a stool's elastase
    Analyte(
        r"(?:total )?homocyste?ine?|t?hcy",
        "",
        "hyperhomocystinemia",
        {"umol/l": (None, 20)},
    ),
    Analyte(r"methionine", "", "hypermethioninemia", {"umol/l": (None, 80)}),
    Analyte(
        r"phenylalanine|phe",
        "",
        "hyperphenylalaninemia",
        {"umol/l": (None, 150), "mg/dl": (None, 2.5)},
    ),
    Analyte(r"leucine", "", "hyperleucinemia", {"umol/l": (None, 400)}),
    Analyte(r"tyrosine", "", "hypertyrosinemia", {"umol/l": (None, 250)}),
    Analyte(
        r"hba1c|ha?emoglobin a1c|glycated ha?emoglobin",
        "",
        "elevated hba1c",
        {"mmol/mol": (None, 47), "%": (None, 6.4)},
    ),
    Analyte(r"sweat chloride", "", "elevated sweat chloride", {"mmol/l": (None, 59)}),
    # the spinal fluid's glucose, low below any age's normal (a blood glucose beside it is
    # the blood's)
    Analyte(
        r"(?:csf|cerebrospinal fluid|spinal fluid) glucose",
        "hypoglycorrhachia",
        "",
        {"mmol/l": (2.2, None), "mg/dl": (40, None)},
    ),
    # since linking version 55: the spinal fluid's protein, high above any age's normal (a
    # preterm newborn's reaches 1.5 g/L), and the GGT, high above an infant's normal
    Analyte(
        r"(?:csf|cerebrospinal fluid|spinal fluid) (?:total )?protein",
        "",
        "high csf protein",
        {"g/l": (None, 1.5), "mg/dl": (None, 150)},
    ),
    # since linking version 55: the spinal fluid's lactate, high above 2.8 mmol/L at any age
    Analyte(
        r"(?:csf|cerebrospinal fluid|spinal fluid) lactate",
        "",
        "increased csf lactate",
        {"mmol/l": (None, 2.8)},
    ),
    Analyte(
        r"gamma[- ]?glutamyl ?(?:transferase|transpeptidase)|gamma[- ]?gt|ggt|\u03b3-?gt",
        "",
        "high ggt",
        {"u/l": (None, 250), "iu/l": (None, 250)},
    ),
    Analyte(
        r"(?:serum )?iga|immunoglobulin a",
        "low iga",
        "",
        {"g/l": (0.1, None), "mg/dl": (10, None)},
    ),
    Analyte(
        r"(?:f(?:a)?ecal|stool) elastase(?:-1| 1)?",
        "elastase low in stool",
        "",
        {"ug/g": (200, None)},
    ),
    # since linking version 54: the red cells' mean volume, small below 70 fL (an infant's
    # lowest normal) and large above 110 fL
    Analyte(
        r"mcv|mean (?:corpuscular|cell) volume",
        "decreased mean corpuscular volume",
        "increased mean corpuscular volume",
        {"fl": (70, 110)},
    ),
    # "TSAT": since linking version 54
    Analyte(
        r"transferrin saturation|tsat", "", "elevated transferrin saturation", {"%": (None, 55)}
    ),
    # since linking version 48, from a haematologist's case reports: the reticulocytes
    # (a newborn's up to 7%), factor VIII, LDH (a child's up to ~700 U/L) and fibrinogen
    Analyte(
        r"reticulocytes?(?: count)?|retics?",
        "reticulocytopenia",
        "reticulocytosis",
        {"%": (0.2, 8.0)},
    ),
    Analyte(
        r"factor viii(?::c)?|fviii(?::c)?",
        "factor viii deficiency",
        "",
        {"iu/dl": (40, None), "%": (40, None), "u/dl": (40, None)},
    ),
    Analyte(
        r"ldh|lactate dehydrogenase",
        "",
        "high ldh",
        {"u/l": (None, 1000), "iu/l": (None, 1000)},
    ),
    Analyte(r"fibrinogen", "low fibrinogen", "", {"g/l": (1.0, None), "mg/dl": (100, None)}),
    # since linking version 50: the oxygen saturation by pulse oximetry, low below 92%
    Analyte(
        # a bare "sats" is oxygen's, not "transferrin sats 8%"
        r"spo2|sp02|sao2|o2 sat(?:uration)?s?|oxygen saturations?|(?<!transferrin )(?<!iron )sats",
        "hypoxemia",
        "",
        {"%": (92, None)},
    ),
    # since linking version 48: the glomerular filtration rate per 1.73 m2, low below 30
    # (CKD stage G4; an infant's normal rate lies below the adults' 60); a rate in mL/min
    # alone depends on the body's size, so it is not read
    Analyte(
        r"e?gfr|(?:estimated )?glomerular filtration rate|creatinine clearance",
        "decreased glomerular filtration rate",
        "",
        {_GFR_UNIT: (30, None)},
    ),
    # since linking version 46: the left ventricle's ejection fraction (not the right's)
    Analyte(
        r"(?<!rv )(?<!right ventricular )(?:lv ?)?ef"
        r"|(?<!rv )(?<!right ventricular )(?:left ventricular |lv )?ejection fraction",
        "reduced ejection fraction",
        "",
        {"%": (50, None)},
    ),
)


@dataclass(frozen=True)
class UnrangedValue:
    """A value outside its analyte's built-in limits.

    Attributes:
        start: offset of the analyte's name in the text.
        value_start: offset of the value.
        end: offset one past the value's unit.
        value: the value (for a blood pressure, the systolic).
        unit: the unit as read (:func:`unit_key`).
        phrase: what the value states, for the linker's dictionary ("low potassium").
        direction: ``"low"`` or ``"high"``.
    """

    start: int
    value_start: int
    end: int
    value: float
    unit: str
    phrase: str
    direction: str


_NUM = r"\d{1,7}(?:[.,]\d{1,4})?(?![\d.,])"
_THOUSANDS = r"\d{1,3}(?:,\d{3}){1,2}(?![\d.,])"
# Between the name and the value: a quantity's noun, a linking verb, a mark.
_LINK = (
    r"(?:\s+(?:levels?|concentrations?|values?|counts?|activity))?"
    # since linking version 48: when it was taken ("platelet count at birth 14 x10^9/L")
    r"(?:\s+(?:at|on)\s+(?:birth|presentation|admission|diagnosis|referral))?"
    r"(?:\s*(?::|=|\bwas\b|\bwere\b|\bis\b|\bof\b|\bat\b|\bmeasured\b|\breached\b"
    r"|\bremained\b|\bincreased to\b|\bdecreased to\b|\brose to\b|\bfell to\b"
    # since linking version 48: a change stated from one value to another ("sodium fell
    # from 134 to 118 mmol/L": the last value is read)
    r"|\b(?:fell|dropped|rose|climbed|increased|decreased)\s+from\s+\d{1,7}(?:[.,]\d{1,4})?"
    r"\s+to\b)){0,2}\s*"
)
_UNIT = (
    r"(?P<unit>[x\u00d7*]\s*10\s*(?:\^|\*|\*\*)?\s*(?:9|\u2079)\s*/\s*l"
    r"|10\s*(?:\^|\*)\s*9\s*/\s*l|/\s*(?:[u\u00b5\u03bc]l|mm3|mm\u00b3)"
    r"|ml\s*/\s*min\s*/\s*1[.,]73\s*m(?:2|\u00b2|\^2)"
    # since linking version 53, the units of older reports: "mg per 100 ml", "mg%", "g per
    # 100 ml", "per cu mm" (:func:`unit_key` reads them as mg/dl, g/dl and /ul)
    r"|(?:mg|g|ug|mcg|\u00b5g|\u03bcg)\s*(?:per\s+100\s*ml|per\s*cent|percent|%)"
    r"|per\s+cu(?:bic)?\.?\s*mm\b"
    r"|[a-z\u00b5\u03bc]+/[a-z]+|%)"
)
# Specimens and forms that the limits are not for, in the words before the name.
_OTHER_SPECIMEN = re.compile(
    r"\b(?:urin\w*|csf|cerebrospinal|spinal fluid|ioni[sz]ed|free|24[- ]?h\w*|stool|fecal"
    r"|faecal|sweat|amniotic|cord|vitreous|liver|muscle|tissue|fibroblast\w*)\b",
    re.IGNORECASE,
)
# Where the clause of a value starts: its specimen is named there ("CSF glucose was 1.2
# mmol/L and lactate 4.5 mmol/L": the lactate is the spinal fluid's too).
_CLAUSE_START = re.compile(r"[.;!?](?=\s)|\n")
_FASTING = re.compile(r"fasting\W+(?:\w+\W+){0,2}$", re.IGNORECASE)
# A value with a unit and no range after it, then an analyte's name just before it (one
# expression for every analyte, run on the words before each value only: scanning the
# whole text for names cost more than the tokenizer); which analyte a name is, its own
# expression says.
_VALUE = re.compile(
    rf"(?P<value>{_THOUSANDS}|{_NUM})\s*{_UNIT}(?![\w/])", re.IGNORECASE
)  # starts with a digit, which the engine looks for fast; what precedes it is tested after
# A reference range in brackets right after a value whose unit the reader of stated ranges
# (encoders.lab_values) does not read ("leukocytes 1.1 x 10^9/L [4-11]"): it is used in
# place of the built-in limits. Any other bracket after a value makes it no value here.
_BRACKET = re.compile(r"\s*[(\[]")
_STATED_RANGE = re.compile(
    r"\s*[(\[]\s*(?:(?:normal|reference|ref|range|nl|n)\b[^\d()\[\]]{0,12})?"
    rf"(?P<lo>{_NUM})\s*(?:-|\u2013|to)\s*(?P<hi>{_NUM})\s*[)\]]",
    re.IGNORECASE,
)
# A bracket that only remarks on how a value was taken ("CK 14,000 U/L (on two occasions,
# rested)", "(checked twice)"): no number, no flag, no range's word; the value is read
# against the built-in limits as if it were not there (since linking version 48).
_REMARK = re.compile(
    r"\s*[(\[](?![^)\]]*(?:\d|\b(?:h|l|high|low|raised|elevated|increased|decreased|reduced"
    r"|normal|abnormal|borderline|ref|reference|range|nl|n|centile|percentile|sd)\b|[\u2191\u2193]))"
    r"[^()\[\]]{1,60}[)\]]",
    re.IGNORECASE,
)
_NAME_BEFORE = re.compile(
    rf"(?<![\w-])(?P<name>{'|'.join(f'(?:{a.names})' for a in ANALYTES)})(?![\w-]){_LINK}$",
    re.IGNORECASE,
)
_NAME_WINDOW = 80
# A range of values right before the last ("CK is 900-1,500 U/L", "Platelets 20-40 x10^9/L"):
# read as a range only when the whole range lies outside the limits (since version 48).
_VALUES_RANGE_BEFORE = re.compile(r"(?<![\d.,/-])(?P<lo>\d{1,7}(?:[.,]\d{1,4})?)\s*[-\u2013]\s*$")
_NAMES = tuple((re.compile(a.names, re.IGNORECASE), a) for a in ANALYTES)
_PRESSURE = re.compile(
    r"(?<![\w-])(?:blood pressure|bp)(?:['\u2019]s)?"
    + _LINK
    # "160/100", and since linking version 54 a dictated "160 over 100"
    + r"(?P<sys>\d{2,3})\s*(?:/|\s+over\s+)\s*(?P<dia>\d{2,3})"
    r"(?:\s*mm\s*hg|(?![\d/]|\.\d))",
    re.IGNORECASE,
)
# Since linking version 46: a corrected QT interval in milliseconds, prolonged from 470 ms
# and shortened to 330 ms or less at any age and for either sex ("a QTc of 510 ms").
_QTC = re.compile(
    # the unit may be left out since linking version 54 ("QTc 498 (machine)"): three digits
    # are milliseconds
    r"(?<![\w-])qtc(?:\s+interval)?"
    + _LINK
    + r"(?P<ms>\d{3})(?:\s*(?:ms|msec|milliseconds)\b|(?![\d.,]\d|\s*(?:s|sec)\b))",
    re.IGNORECASE,
)
_QTC_LIMITS = (330, 470)
# Since linking version 53: a PR interval above 200 ms and a QRS duration of 120 ms or more,
# prolonged at any age ("PR interval 240 ms", "the QRS duration was 128 ms", "P-R 0.22 s").
_CONDUCTION = re.compile(
    r"(?<![\w-])(?P<what>p-?r|qrs)(?:\s+(?:interval|duration|complex|width))?"
    + _LINK
    + r"(?P<value>\d{1,3}(?:\.\d{1,3})?)\s*(?P<unit>ms|msec|milliseconds|s|sec|seconds?)\b",
    re.IGNORECASE,
)
_CONDUCTION_LIMITS = {
    "pr": (200.0, "prolonged pr interval"),
    "qrs": (119.0, "prolonged qrs complex"),
}
# Since linking version 50: an INR, which has no unit, prolonged above 1.5 (a newborn's
# reaches ~1.3; anticoagulation is a treatment's effect, read as such elsewhere).
_INR = re.compile(
    r"(?<![\w-])inr" + _LINK + r"(?P<value>\d{1,2}(?:\.\d{1,2})?)(?![\d.,]*\d)(?!\s*%)",
    re.IGNORECASE,
)
_INR_HIGH = 1.5
# Since linking version 51: a nuchal translucency of 3.5 mm or more at the first-trimester
# scan ("NT 4.2 mm", "nuchal translucency at 12+3 weeks was 5.6 mm"); not "NT-proBNP".
_NUCHAL = re.compile(
    r"(?<![\w-])(?:nuchal translucency|nt)(?![\w-])[^.;\n]{0,40}?"
    r"(?<![\d.,])(?P<value>\d{1,2}(?:[.,]\d{1,2})?)\s*mm\b",
    re.IGNORECASE,
)
_NUCHAL_HIGH = 3.5
# Since linking version 55: a refraction in dioptres with its sign, after a word of
# refraction in the same clause ("refraction -7.50 D", "myopia of -9.00 D", "cycloplegic
# refraction: +6.50 DS"): myopia from -0.50 D, high from -6.00 D; hypermetropia from +0.50
# D, high from +5.00 D.
_REFRACTION = re.compile(
    r"(?<![\w-])(?i:refraction|refractive\s+errors?|spherical\s+equivalents?|myopia|myopic"
    r"|hypermetropia|hypermetropic|hyperopia|hyperopic)(?![\w-])[^.;\n]{0,40}?"
    r"(?<![\w.])(?P<sign>[-+\u2212])\s?(?P<value>\d{1,2}(?:\.\d{1,2})?)\s*"
    r"(?:D|DS|(?i:dioptres?|diopters?))(?![\w-])"
)
_REFRACTION_CUES = ("fract", "myop", "metrop", "hyperop", "spherical")
#: (limit, finding): below a negative limit, above a positive one; each side's furthest first
_REFRACTION_LIMITS = (
    (-6.0, "high myopia"),
    (-0.5, "myopia"),
    (5.0, "high hypermetropia"),
    (0.5, "hypermetropia"),
)
# Since linking version 54: a value written without its unit in a referral's shorthand
# ("CK 18,400", "Hb 89, MCV 68, ferritin 6", "plt 98"), read only for the analytes whose
# unit the number tells: one unit in use (U/L for CK and the transaminases, ug/L = ng/mL for
# ferritin) or a scale per unit far apart (platelets per uL in thousands, per nL in units;
# haemoglobin in g/L from 30, in g/dL below).
_BARE_NAMES = (
    r"ck|cpk|creatine (?:phospho)?kinase|alt|sgpt|ast|sgot|ferritin|plt|platelets?"
    r"(?: count)?|platelet count|ha?emoglobin|hb|hgb"
    # part 3: the electrolytes (mmol/L and mEq/L are one number) and creatinine (umol/L from
    # 20, mg/dL below)
    r"|sodium|na|potassium|k|creatinine"
    # part 4: LDL and total cholesterol (mmol/L below 30, mg/dL from), HbA1c (mmol/mol from
    # 20, % below), the red cells' mean volume (fL)
    r"|ldl(?:[- ]cholesterol)?|(?:total )?cholesterol|tc|hba1c|mcv"
    # since linking version 55: the GGT (U/L)
    r"|ggt|gamma[- ]?gt"
)
_BARE = re.compile(
    rf"(?<![\w-])(?<!vitamin )(?P<name>{_BARE_NAMES})(?![\w-])(?:['\u2019]s)?"
    r"(?:\s+(?:today|yesterday|now|came\s+back\s+at))?"
    rf"{_LINK}"
    # a number that a comma or a full stop may end ("Hb 89, MCV 68", "CK 18,400.")
    r"(?P<value>\d{1,3}(?:,\d{3}){1,2}(?!\d|[.,]\d)|\d{1,7}(?:\.\d{1,4})?(?!\d|[.,]\d))"
    # no unit after it (a value with one is read above), no bracket (a flag or a range
    # decides, encoders.lab_values), no range or ratio, no other number run on; the clause
    # or the list goes on after it, or where and when it was taken ("K 2 times" is no value)
    r"(?!\s*(?:[a-z\u00b5\u03bc]+\s*/|%|[x\u00d7*]\s*10|10\s*\^|(?:iu|u|g|mg|ng|ug|mcg|mmol|umol|k)\b"
    r"|[(\[]|[-\u2013/]\s*\d|\d))"
    r"(?=\s*(?:[,;:.!?)\]]|$|\n|(?:and|on|at|in|with|today|yesterday|when|during)\b))",
    re.IGNORECASE,
)
#: Words of a text that may name such an analyte, as written (a substring test before the
#: expression runs).
_BARE_CUES = (
    *("CK", "CPK", "ALT", "AST", "SGPT", "SGOT", "erritin", "plt", "Plt", "PLT", "latelet"),
    *("lobin", "Hb", "HB", "Hgb", "HGB", "kinase", "Na ", "K ", "odium", "otassium"),
    *("reatinine", "LDL", "ldl", "holesterol", "TC ", "A1c", "A1C", "MCV"),
    *("GGT", "amma-GT", "amma GT", "ammaGT"),
)


def _bare_unit(analyte: Analyte, value: float) -> str:
    """The unit a value of ``analyte`` written without one is in (see :data:`_BARE`)."""
    if _G10_9 in analyte.limits:
        return _PER_UL if value >= 1000 else _G10_9
    if "g/l" in analyte.limits:
        return "g/l" if value >= 30 else "g/dl"
    if "umol/l" in analyte.limits and "mg/dl" in analyte.limits:
        return "umol/l" if value >= 20 else "mg/dl"
    if "mmol/l" in analyte.limits and "mg/dl" in analyte.limits:
        return "mmol/l" if value < 30 else "mg/dl"
    if "mmol/mol" in analyte.limits:
        return "mmol/mol" if value >= 20 else "%"
    return next(iter(analyte.limits))


# How far before its "/" or "%" a value may start ("26,839 x 10^9/L"), and after it end.
_UNIT_REACH, _UNIT_TAIL = 32, 12


def unit_key(unit: str) -> str:
    """A unit as the table writes it: lower case, ``u`` for micro, no spaces, every way of
    writing 10^9/L as ``10^9/l`` and every per-microlitre as ``/ul``."""
    key = re.sub(r"\s+", "", unit.lower()).replace("\u00b5", "u").replace("\u03bc", "u")
    key = key.replace("\u00b2", "2").replace("^2", "2").replace("1,73", "1.73")
    if "10" in key and ("9" in key or "\u2079" in key):
        return _G10_9
    if key in ("/ul", "/mm3", "/mm\u00b3") or key.startswith("percu"):
        return _PER_UL
    older = _OLDER_UNITS.fullmatch(key)
    if older:  # "mg per 100 ml", "mg%": per decilitre
        return f"{older['mass'].replace('mcg', 'ug')}/dl"
    return key


_OLDER_UNITS = re.compile(r"(?P<mass>mg|g|ug|mcg)(?:per100ml|percent|%)")


def _values(text: str) -> Iterator[re.Match[str]]:
    """The matches of :data:`_VALUE`, looked for only around each "/" and "%" of the text
    (every unit of the table has one): a scan of the whole text cost as much as its
    tokenizing."""
    marks = sorted(at for mark in ("/", "%", " per ") for at in _find_all(text, mark))
    seen = 0  # end of the last match: the windows overlap
    for at in marks:
        if at < seen:
            continue
        end = min(len(text), at + _UNIT_TAIL)
        for match in _VALUE.finditer(text, max(seen, at - _UNIT_REACH), end):
            if match.start() <= at < match.end():
                seen = match.end()
                yield match
                break


def _find_all(text: str, mark: str) -> Iterator[int]:
    at = text.find(mark)
    while at >= 0:
        yield at
        at = text.find(mark, at + 1)


#: Analytes measured in the blood only, by a phrase of theirs: a specimen named earlier in
#: the clause ("Urinary copper 2.1 umol/24h, ALT 292 U/L") is not theirs (since version 48).
_BLOOD_ONLY = frozenset(
    {"low platelets", "low hemoglobin", "low leukocytes", "low neutrophils", "low lymphocytes"}
    | {"high eosinophils", "reticulocytopenia", "high alt", "high ast", "high creatine kinase"}
    | {"high ferritin", "elevated transferrin saturation", "elevated hba1c", "high crp"}
    | {"low igg", "high ige", "low iga", "low fibrinogen", "factor viii deficiency", "high ldh"}
    | {"high tsh", "high ammonia", "high cholesterol", "high ldl cholesterol", "elevated esr"}
    | {"high triglycerides", "decreased glomerular filtration rate", "reduced ejection fraction"}
)


def _blood_only(analyte: Analyte) -> bool:
    """Whether ``analyte`` is measured in the blood only, so that a specimen named earlier
    in its clause belongs to another value."""
    return analyte.low_phrase in _BLOOD_ONLY or analyte.high_phrase in _BLOOD_ONLY


# Values written before one that names their unit for them ("Na 118, K 8.2 mmol/L": 118
# mmol/L too): an analyte's name and a number, then a comma or "and" (since version 48).
_UNITLESS_BEFORE = re.compile(
    rf"(?<![\w-])(?P<name>{'|'.join(f'(?:{a.names})' for a in ANALYTES)})(?![\w-]){_LINK}"
    r"(?P<value>\d{1,7}(?:\.\d{1,4})?)(?![\d.])\s*(?:,|\band\b)\s*$",
    re.IGNORECASE,
)
_UNITLESS_REACH = 40


def _analyte_named(name: str) -> Analyte | None:
    """The analyte a name found by :data:`_NAME_BEFORE` or :data:`_UNITLESS_BEFORE` is."""
    return next((a for names, a in _NAMES if names.fullmatch(name)), None)


def analyte_phrase(name: str, direction: str) -> str | None:
    """The dictionary phrase of a value of the analyte ``name`` names (one of
    :data:`ANALYTES`' names, such as "K" or "Hb") outside its stated range in ``direction``
    (``"low"`` or ``"high"``): "K 2.6 mmol/L (3.5-5.0)" is "low potassium" (since linking
    version 49). None where the name is none of them or that side has no phrase."""
    analyte = _analyte_named(name)
    if analyte is None:
        return None
    return (analyte.low_phrase if direction == "low" else analyte.high_phrase) or None


def _outside(
    analyte: Analyte, low: float | None, high: float | None, least: float, most: float
) -> tuple[str, str] | None:
    """``(direction, phrase)`` of a value (or a range of values, ``least`` to ``most``)
    wholly below ``low`` or above ``high``, where the analyte has a phrase for that side."""
    if low is not None and most < low and analyte.low_phrase:
        return "low", analyte.low_phrase
    if high is not None and least > high and analyte.high_phrase:
        return "high", analyte.high_phrase
    return None


def _sharing_the_unit(text: str, before: int, unit: str) -> list[UnrangedValue]:
    """The values outside their limits among those written without a unit right before the
    analyte's name at ``before``, each read in ``unit`` ("Na 118, K 8.2 mmol/L")."""
    out: list[UnrangedValue] = []
    while prev := _UNITLESS_BEFORE.search(text, max(0, before - _UNITLESS_REACH), before):
        before = prev.start()
        analyte = _analyte_named(prev["name"])
        limits = analyte.limits.get(unit) if analyte is not None else None
        if analyte is None or limits is None:
            break
        try:
            value = read_number(prev["value"])
        except ValueError:
            break
        outside = _outside(analyte, *limits, value, value)
        if outside is None:
            continue
        direction, phrase = outside
        out.append(
            UnrangedValue(
                prev.start("name"),
                prev.start("value"),
                prev.end("value"),
                value,
                unit,
                phrase,
                direction,
            )
        )
    return out


def _matched_value(
    match: re.Match[str],
    value: float,
    unit: str,
    phrase: str,
    direction: str = "high",
    group: str = "value",
) -> UnrangedValue:
    """A value outside its limit, read by an expression of its own (a blood pressure, a
    QTc, a nuchal translucency, an INR) whose ``group`` holds the number."""
    return UnrangedValue(
        match.start(), match.start(group), match.end(), value, unit, phrase, direction
    )


def _refraction_phrase(dioptres: float) -> str | None:
    """The finding a refraction states (:data:`_REFRACTION_LIMITS`), or None within
    half a dioptre of none."""
    for limit, phrase in _REFRACTION_LIMITS:  # each side's furthest limit first
        if (dioptres <= limit) if limit < 0 else (dioptres >= limit):
            return phrase
    return None


def read_unranged_values(text: str) -> Iterator[UnrangedValue]:
    """Values of :data:`ANALYTES` stated without a range in brackets and outside their
    limits, in text order; a blood pressure of 140/90 mmHg or more as high.

    Args:
        text: any text.
    """
    found: list[UnrangedValue] = []
    for match in _values(text):
        low_end = None  # the first value of a range of values ("CK 900-1,500 U/L")
        begin = match.start()
        if begin and text[begin - 1] in "-\u2013":
            spanned = _VALUES_RANGE_BEFORE.search(text, max(0, begin - 24), begin)
            if spanned is None:
                continue
            low_end, begin = read_number(spanned["lo"]), spanned.start()
        elif begin and (text[begin - 1].isalnum() or text[begin - 1] in "_.,/-"):
            continue  # the end of a longer number or word ("A1c 9 %", "1/2 mmol/L")
        begin, bound = comparator_before(text, begin)  # "ferritin <3 ng/mL"
        window = max(0, begin - _NAME_WINDOW)
        named = _NAME_BEFORE.search(text, window, begin)
        if named is None:
            continue
        analyte = _analyte_named(named["name"])
        if analyte is not None:
            before = text[max(0, named.start() - 80) : named.start()]
            clause = before[max((m.end() for m in _CLAUSE_START.finditer(before)), default=0) :]
            if _OTHER_SPECIMEN.search(clause) and not _blood_only(analyte):
                continue
            unit = unit_key(match["unit"])
            found.extend(_sharing_the_unit(text, named.start(), unit))
            limits = analyte.limits.get(unit)
            if limits is None:
                continue
            try:
                value = read_number(match["value"])
            except ValueError:
                continue
            low, high = limits
            if _BRACKET.match(text, match.end()) and not _REMARK.match(text, match.end()):
                stated = _STATED_RANGE.match(text, match.end())
                if stated is None:
                    continue  # "(raised)", "(97th centile)": another reader's, or none
                low, high = read_number(stated["lo"]), read_number(stated["hi"])
                if low > high:
                    continue
            if analyte.fasting_high is not None and _FASTING.search(before):
                high = analyte.fasting_high.get(unit, high)
            least = value if low_end is None else min(value, low_end)
            most = value if low_end is None else max(value, low_end)
            outside = _outside(analyte, low, high, least, most)
            if outside is None:
                continue
            direction, phrase = outside
            if bound is not None and bound != direction:
                continue  # "ferritin >5 ng/mL" may be any value above 5
            found.append(
                UnrangedValue(
                    named.start("name"),
                    match.start("value"),
                    match.end(),
                    value,
                    unit,
                    phrase,
                    direction,
                )
            )
    lowered = text.lower()
    if "blood pressure" in lowered or "bp" in lowered:  # "BP 150/95" since version 48
        for match in _PRESSURE.finditer(text):
            systolic, diastolic = int(match["sys"]), int(match["dia"])
            if systolic >= 140 or diastolic >= 90:
                found.append(
                    _matched_value(
                        match, float(systolic), "mmhg", "high blood pressure", group="sys"
                    )
                )
    if "qtc" in lowered:
        for match in _QTC.finditer(text):
            if _BRACKET.match(text, match.end()) and not _REMARK.match(text, match.end()):
                continue  # "QTc 480 ms (normal <500)": the stated limit decides (lab_values)
            ms = int(match["ms"])
            if ms <= _QTC_LIMITS[0] or ms >= _QTC_LIMITS[1]:
                long = ms >= _QTC_LIMITS[1]
                found.append(
                    _matched_value(
                        match,
                        float(ms),
                        "ms",
                        "prolonged qtc interval" if long else "shortened qt interval",
                        "high" if long else "low",
                        group="ms",
                    )
                )
    if "pr" in lowered or "p-r" in lowered or "qrs" in lowered:
        for match in _CONDUCTION.finditer(text):
            if _BRACKET.match(text, match.end()):
                continue  # a stated range decides (encoders.lab_values)
            seconds = match["unit"].lower().startswith("s")
            duration = float(match["value"]) * (1000 if seconds else 1)
            limit, phrase = _CONDUCTION_LIMITS[match["what"].lower().replace("-", "")]
            if duration > limit:
                found.append(_matched_value(match, duration, "ms", phrase))
    if "nuchal" in lowered or "NT" in text:
        for match in _NUCHAL.finditer(text):
            value = float(match["value"].replace(",", "."))
            if value >= _NUCHAL_HIGH:
                found.append(_matched_value(match, value, "mm", "increased nuchal translucency"))
    if any(cue in lowered for cue in _REFRACTION_CUES):
        for match in _REFRACTION.finditer(text):
            value = float(match["value"]) * (1 if match["sign"] == "+" else -1)
            refraction = _refraction_phrase(value)
            if refraction is not None:
                direction = "high" if value > 0 else "low"
                found.append(_matched_value(match, value, "d", refraction, direction))
    if any(cue in text for cue in _BARE_CUES):
        taken = {f.value_start for f in found}
        for match in _BARE.finditer(text):
            analyte = _analyte_named(match["name"])
            if analyte is None or match.start("value") in taken:
                continue
            try:
                value = read_number(match["value"])
            except ValueError:
                continue
            unit = _bare_unit(analyte, value)
            outside = _outside(analyte, *analyte.limits[unit], value, value)
            if outside is not None:
                found.append(_matched_value(match, value, unit, outside[1], outside[0]))
    if "inr" in lowered:
        for match in _INR.finditer(text):
            if _BRACKET.match(text, match.end()):
                continue  # a stated range or flag decides (encoders.lab_values)
            value = float(match["value"])
            if value > _INR_HIGH:
                found.append(
                    _matched_value(match, value, "", "increased international normalized ratio")
                )
    found.sort(key=lambda f: f.start)
    yield from found
