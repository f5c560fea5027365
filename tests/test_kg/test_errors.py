"""The messages of the KG layer's errors."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from kg.errors import UnknownTermError

POOL = [f"HP:{n:07d}" for n in range(0, 5000, 7)] + ["OMIM:154700", "Marfan syndrome"]


def test_suggestions_catch_a_dropped_digit_and_a_wrong_case() -> None:
    assert UnknownTermError("HP:000014", POOL).suggestions[0] == "HP:0000014"
    assert UnknownTermError("hp:0000014", POOL).suggestions[0] == "HP:0000014"
    assert UnknownTermError("OMIM:15470", POOL).suggestions[0] == "OMIM:154700"


def test_the_message_names_the_term_and_at_most_five_suggestions() -> None:
    err = UnknownTermError("HP:0000015", POOL)
    assert str(err).startswith("unknown term 'HP:0000015'; did you mean HP:0000014")
    assert 1 <= len(err.suggestions) <= 5
    assert set(err.suggestions) <= set(POOL)


def test_nothing_close_gives_no_hint() -> None:
    err = UnknownTermError("a question about kidneys", POOL)
    assert err.suggestions == []
    assert str(err) == "unknown term 'a question about kidneys'"


@given(st.text(max_size=300))
def test_any_text_gives_a_readable_error(term: str) -> None:
    err = UnknownTermError(term, POOL)
    assert repr(term) in str(err)
    assert set(err.suggestions) <= set(POOL)


def test_one_mistyped_digit_ranks_before_two() -> None:
    pool = ["OMIM:620707", "OMIM:606070", "OMIM:620607"]
    assert UnknownTermError("OMIM:620608", pool).suggestions[0] == "OMIM:620607"
    assert UnknownTermError("OMIM:620708", pool).suggestions[0] == "OMIM:620707"
