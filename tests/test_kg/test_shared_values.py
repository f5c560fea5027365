"""Columns read with their repeated values shared: the same values, one object per value."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from kg.shared_values import shared_rows, shared_strings

# few distinct values, as in the columns these read (evidence codes, source lists), each
# drawn as a new string object, as a JSON reader makes them
_TEXT = st.sampled_from(["", "TAS", "IEA", "https://omim.org/entry/154700", "PMID:1"]).map(
    lambda s: s.encode().decode()
)


@given(st.lists(_TEXT, max_size=40))
def test_shared_strings_keep_every_value_and_share_equal_ones(values: list[str]) -> None:
    out = shared_strings(values)
    assert out == values
    first: dict[str, str] = {}
    for value in out:
        assert first.setdefault(value, value) is value


@given(st.lists(st.lists(_TEXT, max_size=3), max_size=40))
def test_shared_rows_keep_every_row_and_share_equal_ones(rows: list[list[str]]) -> None:
    assert shared_rows(tuple(r) for r in rows) == rows  # any sequences in, lists out
    out = shared_rows(rows)
    assert out == rows and all(type(row) is list for row in out)
    first: dict[tuple[str, ...], list[str]] = {}
    for row in out:
        assert first.setdefault(tuple(row), row) is row
    # lists of its own: a caller changing a row it gave does not change what was read
    assert all(row is not given_row for row, given_row in zip(out, rows, strict=True))
