"""What mutation testing of encoders/lab_values.py showed unchecked: the numbers read (not
only the direction) where commas are decimal or thousands separators, each bound of a range
read alike, MEAN +/- 2 SD on both sides, the unit of a reading, every reading of a text
(after one that is skipped, and each of several multiples of normal), a multiple of normal
at the very start of a text, and a unit or words that make the numbers no reference range."""

from __future__ import annotations

import pytest

from encoders.lab_values import LabValue, read_lab_values


def numbers(text: str) -> list[tuple[float, float | None, float | None, str]]:
    return [(v.value, v.low, v.high, v.direction) for v in read_lab_values(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a decimal comma in value and range alike ("0,9", "1,2"): not thousands
        ("sodium 0,9 (1,2-1,8)", (0.9, 1.2, 1.8, "low")),
        # "0," starts no thousands, even before three digits
        ("phosphate 0,720 mmol/L (1-2 mmol/L)", (0.72, 1.0, 2.0, "low")),
        # the range writes a decimal comma: so does the value ("2,125" is 2.125)
        ("calcium 2,125 mmol/L (2,2-2,6)", (2.125, 2.2, 2.6, "low")),
        # ... and so does each bound, whichever of them shows it
        ("x 1,1 (1,250-2,6)", (1.1, 1.25, 2.6, "low")),
        ("x 3,0 (1,2-2,500)", (3.0, 1.2, 2.5, "high")),
        ("x 14,0 (10,5 \u00b1 1,250)", (14.0, 8.0, 13.0, "high")),
        ("x 14,0 (10,500 \u00b1 1,5)", (14.0, 7.5, 13.5, "high")),
        # thousands separators, with or without a decimal point after them
        ("ferritin 1,250 ng/mL (30-400 ng/mL)", (1250.0, 30.0, 400.0, "high")),
        ("ALP 12,000.5 U/L (50-150)", (12000.5, 50.0, 150.0, "high")),
        # MEAN +/- SD is read as MEAN +/- 2 SD, both ways
        ("x 10 (20 \u00b1 4)", (10.0, 12.0, 28.0, "low")),
        ("x 30 (20 +/- 4)", (30.0, 12.0, 28.0, "high")),
    ],
)
def test_the_numbers_read(text: str, expected: tuple[float, float, float, str]) -> None:
    [found] = numbers(text)
    assert found == pytest.approx(expected) and found[3] == expected[3]


def test_a_value_within_mean_plus_minus_two_sd_is_no_finding() -> None:
    assert numbers("x 14 (20 \u00b1 4)") == []  # 12-28: within
    assert numbers("x 26 (20 \u00b1 4)") == []


def test_the_unit_of_a_reading() -> None:
    [with_unit] = read_lab_values("phosphate 0.72 mmol/L (1.20-1.80 mmol/L)")
    assert with_unit.unit == "mmol/L"
    # a value written without a unit, whose range has one: read, with no unit
    [bare] = read_lab_values("albumin 2.1 (> 3.5 g/dL)")
    assert (bare.unit, bare.value, bare.low, bare.high, bare.direction) == (
        "",
        2.1,
        3.5,
        None,
        "low",
    )


def test_units_compared_with_micro_written_either_way() -> None:
    [found] = read_lab_values("ALP 256 umol/L (50-150 \u00b5mol/L)")
    assert (found.value, found.unit, found.direction) == (256.0, "umol/L", "high")


@pytest.mark.parametrize(
    "text",
    [
        "seen at 12 months (2-5)",  # an age before the brackets
        "weight 2250 g (2500-4000 g, <3rd centile)",  # a centile after the range's unit
    ],
)
def test_no_reference_range(text: str) -> None:
    assert numbers(text) == []


@pytest.mark.parametrize(
    "skipped",
    [
        "value 5 (9-3)",  # backwards
        "calcium 2.3 (2.15-2.65)",  # within its range
        "lactate 6.7 mmol/L (0.5-2.2 mg/dL)",  # units differ
        "at 12 months (2-5 years)",  # no reference range
        "version 1.2.3 (4-5)",  # no number
    ],
)
def test_readings_after_a_skipped_one_are_read(skipped: str) -> None:
    text = f"{skipped}, CK 385 U/L (<200 U/L) and PTH 0.5 (1.1-6.9)"
    assert numbers(text) == [(385.0, None, 200.0, "high"), (0.5, 1.1, 6.9, "low")]


def test_every_multiple_of_normal_is_read() -> None:
    text = "ALT 3 times the ULN, AST 4 times the ULN, CK 5 times the ULN; GGT twice the ULN"
    found = list(read_lab_values(text))
    assert [v.value for v in found] == [3.0, 4.0, 5.0, 2.0]
    assert [text[v.start : v.end] for v in found] == [
        "3 times the ULN",
        "4 times the ULN",
        "5 times the ULN",
        "twice the ULN",
    ]


@pytest.mark.parametrize(
    ("text", "start", "value"),
    [
        ("twice the ULN", 0, 2.0),  # at the very start of the text
        ("Twice the upper limit of normal", 0, 2.0),
        ("5 times the upper limit of normal", 0, 5.0),
        ("CK 1,500-fold above the ULN", 3, 1500.0),  # a thousands comma, not a decimal one
    ],
)
def test_a_multiple_of_normal_anywhere(text: str, start: int, value: float) -> None:
    assert list(read_lab_values(text)) == [
        LabValue(start, len(text), value, "x ULN", None, 1.0, "high")
    ]


@pytest.mark.parametrize(
    "text", ["AST 10x above normal", "CK 10x higher than the ULN", "ALT 10x greater than normal"]
)
def test_a_multiple_written_with_x_and_a_comparison(text: str) -> None:
    assert numbers(text) == [(10.0, None, 1.0, "high")]


def test_points_that_group_thousands_before_a_decimal_comma() -> None:
    assert numbers("ALP 1.250,5 U/L (50,5-150,5)") == [(1250.5, 50.5, 150.5, "high")]
    assert numbers("x 1.234,5 (2-4)") == [(1234.5, 2.0, 4.0, "high")]
    # a comma that groups thousands before a decimal point reads as before
    assert numbers("ALP 12,000.5 U/L (50-150)") == [(12000.5, 50.0, 150.0, "high")]


@pytest.mark.parametrize(
    ("text", "value", "direction", "high"),
    [
        ("ALT 320 U/L (raised).", 320.0, "high", None),
        ("Ammonia 95 umol/L (mildly raised).", 95.0, "high", None),
        ("Caeruloplasmin 0.05 g/L (low).", 0.05, "low", None),
        ("Serum calcium 1.62 mmol/L LOW.", 1.62, "low", None),
        ("Phe 1,250 umol/L (cut-off 120).", 1250.0, "high", 120.0),
    ],
)
def test_a_value_flagged_as_laboratories_print_it(
    text: str, value: float, direction: str, high: float | None
) -> None:
    (found,) = read_lab_values(text)
    assert (found.value, found.direction, found.high) == (value, direction, high)
    assert text[found.start : found.end].replace(",", "").startswith(f"{value:g}")
    assert text[found.end - 1] in ")W"  # through the flag


@pytest.mark.parametrize(
    "text",
    [
        "Phe 100 umol/L (cut-off 120).",  # below its cut-off: no finding
        "He was 3 years (low) in height.",  # an age, no laboratory value
        "The HIGH dependency unit.",
        "A low-set ear and a high palate.",
    ],
)
def test_no_flagged_value(text: str) -> None:
    assert list(read_lab_values(text)) == []
