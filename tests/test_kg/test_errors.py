"""Error messages that quote user input stay readable whatever the input's size."""

from __future__ import annotations

from kg.errors import UnknownTermError

IDS = [f"HP:{i:07d}" for i in range(2000)]


def test_an_unknown_term_suggests_close_ids() -> None:
    error = UnknownTermError("HP:000116", IDS)
    assert error.suggestions[0] in {"HP:0000116", "HP:0001116", "HP:0000016"}
    assert str(error).startswith("unknown term 'HP:000116'; did you mean HP:")


def test_a_huge_unknown_term_is_quoted_cut_short_and_not_matched() -> None:
    term = "HP:" + "9" * 60_000
    error = UnknownTermError(term, IDS)
    assert error.term == term  # kept whole for callers
    assert error.suggestions == []
    assert len(str(error)) < 140
    assert str(error) == f"unknown term {term[:117] + '...'!r}"
