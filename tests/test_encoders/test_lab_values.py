"""Laboratory values against their reference range, and the linker's reading of them."""

from __future__ import annotations

import pytest
from hypothesis import event, example, given
from hypothesis import strategies as st

from encoders.lab_values import read_lab_values
from encoders.linker import ConceptLinker, LinkerConfig
from kg.lexicon import Lexicon, LexiconEntry


def readings(text: str) -> list[tuple[str, str]]:
    return [(text[v.start : v.end], v.direction) for v in read_lab_values(text)]


@pytest.mark.parametrize(
    ("analyte", "reading", "direction"),
    [
        ("phosphate ", "0.72 mmol/L (1.20\u20131.80 mmol/L)", "low"),
        ("ALP ", "14020U/L (55\u2013515U/L)", "high"),
        ("ALP of ", "256 \u03bcmol/L (normal range50-150 \u00b5mol/L)", "high"),
        ("CK ", "385 IU/L (normal <200 IU/L)", "high"),
        ("albumin ", "2.1 g/dL (> 3.5)", "low"),
        ("Hb ", "9.8 g/dL (N: 12-16)", "low"),
        ("ferritin ", "1,250 ng/mL (30-400 ng/mL)", "high"),
        ("sodium ", "0,9 (1,2-1,8)", "low"),
        ("creatine ", "0.805 mg/ml (control 0.160\u00b10.177 mg/ml)", "high"),
    ],
)
def test_values_outside_their_range(analyte: str, reading: str, direction: str) -> None:
    assert readings(analyte + reading) == [(reading, direction)]


@pytest.mark.parametrize(
    "text",
    [
        "calcium 2.3 mmol/L (2.15-2.65 mmol/L)",  # within the range: no finding
        "height was 46 cm (5\u201310th percentile)",  # a centile, not a reference range
        "weight 2250 g (< 3rd percentile)",
        "seen at 12 months (2-5 years)",
        "in 5 patients (20-30%)",
        "lactate 6.7 mmol/L (0.5-2.2 mg/dL)",  # the units differ
        "IL-18 (2120-4400 pg/ml)",  # the number is part of the analyte's name
        "Case 3 (family III)",
        "value 5 (9-3)",  # no range runs backwards
    ],
)
def test_no_reading(text: str) -> None:
    assert readings(text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # linking version 46: a value written as a bound counts its comparator
        ("IgA <0.07 g/L (normal 0.7-4.0)", [("<0.07 g/L (normal 0.7-4.0)", "low")]),
        ("CK > 12,000 U/L (normal <200)", [("> 12,000 U/L (normal <200)", "high")]),
        ("CK >12000 U/L (cut-off 200)", [(">12000 U/L (cut-off 200)", "high")]),
        # a bound on the wrong side says nothing of the value
        ("IgA >0.1 g/L (normal 0.3-1.0)", []),
        ("CK <500 U/L (normal <200)", []),
        ("CK <500 U/L (cut-off 200)", []),
        ("IgA <5 g/L (normal 0.7-4.0)", []),  # within the range as far as it says
    ],
)
def test_values_written_as_bounds(text: str, expected: list[tuple[str, str]]) -> None:
    assert readings(text) == expected


@pytest.mark.parametrize(
    ("text", "reading", "value"),
    [
        (
            "CK level was 2-fold higher than the upper limit of the normal reference level.",
            "2-fold higher than the upper limit of the normal reference level",
            2.0,
        ),
        ("CK was 5 times the upper limit of normal.", "5 times the upper limit of normal", 5.0),
        ("serum CK 10x ULN", "10x ULN", 10.0),
        ("CK 4.5 \u00d7 ULN", "4.5 \u00d7 ULN", 4.5),
        ("lactate twice the upper normal limit", "twice the upper normal limit", 2.0),
        ("ALT elevated, threefold above normal", "threefold above normal", 3.0),
        (
            "AST 12-fold above the upper limit of the reference range",
            "12-fold above the upper limit of the reference range",
            12.0,
        ),
    ],
)
def test_multiples_of_the_upper_limit_of_normal(text: str, reading: str, value: float) -> None:
    [found] = read_lab_values(text)
    assert (found.value, found.high, found.low, found.direction) == (value, 1.0, None, "high")
    assert text[found.start : found.end] == reading


@pytest.mark.parametrize(
    "text",
    [
        "CK was 0.8 times the upper limit of normal",  # not above the limit
        "CK was 1-fold the ULN",
        "he vomited 5 times the next day",  # a count, no reference
        "a 3-fold increase over baseline",  # relative to another value, not to normal
        "seen 3 times by the normal team",
        "IL-6 5 times",
    ],
)
def test_no_multiple_of_normal(text: str) -> None:
    assert readings(text) == []


# Pieces of case-report text: noise words, bare numbers and units, brackets and ranges
# that read as a reading with a value before them (or not), and planted readings (below).
_WORDS = ["serum", "phosphate", "was", "and", "of", "Hb", "N:", "normal range", "reference"]
_WORDS += ["mg/dL", "mmol/L", "U/L", "%", "th", "SD", "years", "-", "to", "<", ">", "\u00b1"]
_WORDS += ["(", ")", "[", "]", "IL-18", "3-5"]
_VALUES = ["12", "0.5", "1,250", "0,72", "2.1", "1.2 mmol/L", "256 U/L", "46 cm"]
_RANGES = ["(2-4)", "(0,9-1,2)", "(>3.5)", "[50-150U/L]", "(1.20\u20131.80 mmol/L)", "(10\u00b12)"]
_RANGES += ["(< 200)", "(5-10th percentile)", "(N: 12-16)", "(2-5 years)"]
_NOISE = st.one_of(st.sampled_from(_WORDS), st.sampled_from(_VALUES), st.sampled_from(_RANGES))
_UNITS = ["", "mmol/L", "mg/dL", "U/L", "g/L", "pmol/L", "%"]


@st.composite
def planted_reading(draw: st.DrawFn) -> tuple[str, str]:
    """A value outside its range, written as case reports do: (text, direction)."""
    lo = draw(st.integers(1, 400))
    hi = lo + draw(st.integers(0, 400))
    unit = draw(st.sampled_from(_UNITS))
    range_unit = draw(st.sampled_from(["", unit])) if unit else ""
    label = draw(st.sampled_from(["", "normal range ", "N: ", "reference "]))
    half = draw(st.sampled_from(["", ".5"]))
    form = draw(st.sampled_from(["lo-hi", "lo\u2013hi", "lo to hi", "<", ">"]))
    if form == ">" or (form != "<" and draw(st.booleans())):
        direction, value = "low", draw(st.integers(0, lo - 1))
    else:
        direction, value = "high", draw(st.integers(hi, hi + 5000))
        half = half if value > hi else ".5"
    bounds = {"<": f"< {hi}", ">": f"> {lo}"}.get(form) or form.replace("lo", str(lo)).replace(
        "hi", str(hi)
    )
    tail = f" {range_unit}" if range_unit else ""
    return f"{value}{half} {unit} ({label}{bounds}{tail})".replace("  ", " "), direction


@given(
    st.lists(
        st.one_of(_NOISE.map(lambda w: (w, None)), planted_reading()), min_size=1, max_size=12
    ),
    planted_reading(),
    st.integers(0, 12),
)
@example([("(2-4)", None), ("3-5", None)], ("0.72 mmol/L (1.20\u20131.80 mmol/L)", "low"), 1)
@example([("12", None), ("(", None)], ("385 U/L (normal range 50-150 U/L)", "high"), 2)
def test_readings_are_spans_of_the_text(
    pieces: list[tuple[str, str | None]], planted: tuple[str, str], at: int
) -> None:
    pieces = [*pieces[:at], planted, *pieces[at:]]  # at least one reading in every example
    text, offset = "", 0
    starts: dict[int, tuple[str, str]] = {}
    before = ""  # the piece before: a comparator there makes the value a bound
    for piece, direction in pieces:
        if direction is not None:
            bound = {"<": "low", ">": "high"}.get(before)
            if bound is None:
                starts[offset] = (piece, direction)
            elif bound == direction:  # "< 0.5 (1-2)": read from the comparator
                starts[offset - 2] = (f"{before} {piece}", direction)
            # else "> 0.5 (1-2)" says nothing of the value: not read
        text += piece + " "
        offset = len(text)
        before = piece
    found = list(read_lab_values(text))
    event(f"readings besides the planted ones: {len(found) > len(starts)}")
    for v in found:
        assert 0 <= v.start < v.end <= len(text)
        span = text[v.start : v.end]
        assert span.lstrip("<>= ")[0].isdigit() and span[-1] in ")]", span
        assert v.direction in ("low", "high")
        if v.direction == "low":
            assert v.low is not None and v.value < v.low
        else:
            assert v.high is not None and v.value > v.high
    # each planted reading is read, whole and the right way round, whatever is around it
    by_start = {v.start: (text[v.start : v.end], v.direction) for v in found}
    for start, reading in starts.items():
        assert by_start.get(start) == reading, (text, start)


HYPOCALCEMIA, PTH, PHOSPHATE, STATURE = (f"http://example.org/T{n}" for n in range(4))
_NAMES = [
    (HYPOCALCEMIA, "Hypocalcemia", "label"),
    (HYPOCALCEMIA, "Low blood calcium levels", "exact"),
    (PTH, "Elevated circulating parathyroid hormone level", "label"),
    (PTH, "Elevated serum PTH", "exact"),
    (PHOSPHATE, "Hypophosphatemia", "label"),
    (PHOSPHATE, "Low serum phosphate", "exact"),
    (STATURE, "Short stature", "label"),
]


def lexicon() -> Lexicon:
    return Lexicon([LexiconEntry(iri, text, kind, None, "owl:Class") for iri, text, kind in _NAMES])


@pytest.fixture(scope="module")
def linker() -> ConceptLinker:
    return ConceptLinker(lexicon())


def test_linker_reads_the_analyte_before_the_value(linker: ConceptLinker) -> None:
    text = (
        "markedly decreased ionized serum calcium 1.08 mmol/L (1.20-1.35 mmol/L), "
        "PTH was 57.0 pmol/L (1.1-6.9 pmol/L) and chloride 90 mmol/L (102-112 mmol/L)."
    )
    found = [(m.text, m.iri, m.source) for m in linker.link(text)]
    assert found == [
        ("serum calcium 1.08 mmol/L (1.20-1.35 mmol/L)", HYPOCALCEMIA, "laboratory"),
        ("PTH was 57.0 pmol/L (1.1-6.9 pmol/L)", PTH, "laboratory"),
    ]  # chloride names no term of this lexicon: nothing is invented


def test_linker_reads_a_multiple_of_normal_as_high(linker: ConceptLinker) -> None:
    text = "Serum PTH was 3 times the upper limit of normal; calcium was twice the ULN."
    found = [(m.text, m.iri, m.source, m.excluded) for m in linker.link(text)]
    assert found == [
        ("Serum PTH was 3 times the upper limit of normal", PTH, "laboratory", False)
    ]  # "twice the ULN" is high calcium, which names no term of this lexicon


def test_linker_does_not_repeat_a_named_finding(linker: ConceptLinker) -> None:
    found = [(m.text, m.iri) for m in linker.link("low calcium of 2.01 mmol/L (2.15-2.65)")]
    assert found == [("low calcium", HYPOCALCEMIA)]


def test_linker_lab_values_respect_context_and_settings(linker: ConceptLinker) -> None:
    [mention] = linker.link("Her mother had serum phosphate 0.5 mmol/L (0.8-1.5 mmol/L).")
    assert (mention.iri, mention.family) == (PHOSPHATE, True)
    off = ConceptLinker(lexicon(), config=LinkerConfig(lab_values=False))
    assert off.link("serum phosphate 0.5 mmol/L (0.8-1.5 mmol/L)") == []
    # a value within its range, or a centile, is no finding
    assert linker.link("serum phosphate 1.0 mmol/L (0.8-1.5 mmol/L)") == []
    assert linker.link("height 98 cm (3-10th centile)") == []


_AMOUNTS = st.decimals(min_value=0, max_value=5000, places=2).map(str)


@given(_AMOUNTS, _AMOUNTS, _AMOUNTS, st.sampled_from([" mmol/L", " U/L", "g/dL", ""]))
def test_direction_follows_the_numbers(value: str, low: str, high: str, unit: str) -> None:
    statement = f"{value}{unit} ({low}-{high}{unit})"
    found = list(read_lab_values(f"analyte {statement}"))
    v, lo, hi = float(value), float(low), float(high)
    if lo > hi or lo <= v <= hi:
        assert found == []
    else:
        [reading] = found
        assert reading.direction == ("low" if v < lo else "high")
        assert (reading.start, reading.end) == (8, 8 + len(statement))
