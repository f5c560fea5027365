"""Behaviours of kgfuse.json_input that mutation testing found unchecked: ``NaN``,
``Infinity`` and numbers past the float range are refused by :func:`loads_json` itself, as
are unpaired surrogate escapes (a pair is read), and each refusal names its problem: an empty
input, the line of a syntax error, nesting too deep, the key that repeats, a number out of
range; a long key or number is shown cut short."""

from __future__ import annotations

import pytest

from kgfuse.json_input import loads_json


@pytest.mark.parametrize(
    ("raw", "named"),
    [
        (b"[NaN]", "NaN"),
        (b'{"a": Infinity}', "Infinity"),
        (b"[-Infinity]", "Infinity"),
        (b"[1e400]", "out of range"),
        (b"[-1.5e999]", "out of range"),
    ],
)
def test_numbers_json_cannot_write_back_are_refused_and_named(raw: bytes, named: str) -> None:
    with pytest.raises(ValueError, match=named):
        loads_json(raw)


def test_finite_numbers_are_read() -> None:
    assert loads_json(b"[1.5, -2e10, 1e308, 3]") == [1.5, -2e10, 1e308, 3]


def test_an_unpaired_surrogate_escape_is_refused_and_a_pair_is_read() -> None:
    with pytest.raises(ValueError, match="surrogate"):
        loads_json(b'{"text": "a\\ud800b"}')
    with pytest.raises(ValueError, match="surrogate"):
        loads_json(b'["\\udc00"]')
    assert loads_json(b'["\\ud83d\\ude00"]') == ["\U0001f600"]


@pytest.mark.parametrize(
    ("raw", "named"),
    [
        (b"  \n", "empty"),
        (b'{\n"a": 1,\n}', "line 3"),
        (b"[" * 100_000, "nested"),
    ],
)
def test_each_refusal_names_its_problem(raw: bytes, named: str) -> None:
    with pytest.raises(ValueError, match=named):
        loads_json(raw)


def test_the_key_that_repeats_is_the_one_named() -> None:
    with pytest.raises(ValueError, match="'b' appears twice"):
        loads_json(b'{"a": 1, "b": 2, "c": 3, "b": 4}')


def test_a_long_repeated_key_or_number_is_shown_cut_short() -> None:
    key = "k" * 10_000
    with pytest.raises(ValueError, match="kkkk") as caught:
        loads_json(f'{{"{key}": 1, "{key}": 2}}'.encode())
    assert len(str(caught.value)) < 200
    number = "9" * 10_000 + ".0e400"
    with pytest.raises(ValueError, match="out of range") as caught:
        loads_json(f"[{number}]".encode())
    assert "9999" in str(caught.value) and len(str(caught.value)) < 300
