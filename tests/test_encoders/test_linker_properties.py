"""Properties of concept recognition that hold for any text (hypothesis): mentions are
slices of the text in order, of terms the linker may link; names written into sentences
are found where they were written, ruled out when a sentence says so, and the same
whatever text stands around them."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from encoders.linker import ConceptLinker, LinkerConfig, Mention
from tests.test_encoders.test_linker import (
    ASD_HEART,
    AUTISM,
    GERD,
    HIP,
    HYPOTONIA,
    MICRO,
    PARENTS,
    PHENO,
    SEIZURE,
    VSD,
    make_lexicon,
)

#: Names of terms no other name of the toy lexicon contains or shares, so each is found
#: alone and as its own term wherever it is written.
UNAMBIGUOUS = {
    "Seizure": SEIZURE,
    "Hypotonia": HYPOTONIA,
    "Hip dysplasia": HIP,
    "Microcephaly": MICRO,
    "Gastroesophageal reflux": GERD,
    "Autism": AUTISM,
    "Ventricular septal defect": VSD,
    "Atrial septal defect": ASD_HEART,
}

_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _ancestors(term: str) -> set[str]:
    seen: set[str] = set()
    stack = list(PARENTS.get(term, []))
    while stack:
        parent = stack.pop()
        if parent not in seen:
            seen.add(parent)
            stack.extend(PARENTS.get(parent, []))
    return seen


#: Every term under the allowed root: what the linker may ever return.
ALLOWED = {term for term in PARENTS if PHENO in _ancestors(term)}


@pytest.fixture(scope="module")
def linker() -> ConceptLinker:
    return ConceptLinker(
        make_lexicon(), LinkerConfig(allowed_roots=(PHENO,), min_depth=1), parents=PARENTS
    )


def _check_well_formed(text: str, mentions: list[Mention]) -> None:
    starts = [m.start for m in mentions]
    assert starts == sorted(starts)
    for m in mentions:
        assert 0 <= m.start < m.end <= len(text)
        assert m.text == text[m.start : m.end] and m.text.strip()
        assert m.iri in ALLOWED, m
        assert 0.0 <= m.score <= 1.0


_WORDS = st.sampled_from(
    [*UNAMBIGUOUS, "no", "not", "denies", "but", "family", "history", "of", "with", "and",
     "mother", "possible", "severe", ",", ".", ";", "(", ")", "-", "\n", "3", "mg", "x"]
)  # fmt: skip


@_SETTINGS
@given(st.text(max_size=300))
def test_any_text_gives_mentions_that_are_slices_in_order(linker: ConceptLinker, text: str) -> None:
    mentions = linker.link(text)
    _check_well_formed(text, mentions)
    assert linker.link(text) == mentions  # the same text, the same mentions


@_SETTINGS
@given(st.lists(_WORDS, max_size=40).map(" ".join))
def test_clinical_looking_word_salad_gives_well_formed_mentions(
    linker: ConceptLinker, text: str
) -> None:
    _check_well_formed(text, linker.link(text))


_NAMES = st.lists(st.sampled_from(sorted(UNAMBIGUOUS)), min_size=1, max_size=6, unique=True)


def _sentences(names: list[str], template: str) -> tuple[str, list[int]]:
    """The text of one sentence per name, and where each name starts in it."""
    text, starts = "", []
    for name in names:
        sentence = template.format(name=name.lower())
        starts.append(len(text) + sentence.index(name.lower()))
        text += sentence + " "
    return text, starts


def _found_where_written(linker: ConceptLinker, names: list[str], template: str) -> list[Mention]:
    """The mentions of one sentence per name, checked to be each name's term where written."""
    text, starts = _sentences(names, template)
    mentions = linker.link(text)
    assert [(m.start, m.iri) for m in mentions] == [
        (start, UNAMBIGUOUS[name]) for start, name in zip(starts, names, strict=True)
    ]
    return mentions


@_SETTINGS
@given(_NAMES, st.sampled_from(["The patient has {name}.", "{name} was noted.", "With {name}."]))
def test_a_name_in_a_sentence_is_found_where_it_was_written(
    linker: ConceptLinker, names: list[str], template: str
) -> None:
    mentions = _found_where_written(linker, names, template)
    assert not any(m.excluded or m.family or m.uncertain for m in mentions)


@_SETTINGS
@given(_NAMES, st.sampled_from(["No {name}.", "There is no {name}.", "She denies {name}."]))
def test_a_name_ruled_out_in_its_sentence_is_excluded(
    linker: ConceptLinker, names: list[str], template: str
) -> None:
    assert all(m.excluded for m in _found_where_written(linker, names, template))


@_SETTINGS
@given(
    _NAMES,
    st.text(alphabet=" \t\n", max_size=5),
    st.sampled_from(["", "History: ", "Seen today. ", "Age 3. "]),
)
def test_text_before_and_after_shifts_the_mentions_and_changes_nothing_else(
    linker: ConceptLinker, names: list[str], space: str, before: str
) -> None:
    text, _ = _sentences(names, "The patient has {name}.")
    alone = linker.link(text)
    around = linker.link(before + space + text + space)
    shift = len(before + space)
    assert [(m.start - shift, m.end - shift, m.iri, m.excluded) for m in around] == [
        (m.start, m.end, m.iri, m.excluded) for m in alone
    ]


@_SETTINGS
@given(
    st.lists(
        st.tuples(st.sampled_from(sorted(UNAMBIGUOUS)), st.booleans()),
        min_size=1,
        max_size=6,
        unique_by=lambda pair: pair[0],
    )
)
def test_a_ruling_out_stays_in_its_sentence(
    linker: ConceptLinker, findings: list[tuple[str, bool]]
) -> None:
    text = " ".join(
        f"{'There is no' if ruled_out else 'There is'} {name.lower()}."
        for name, ruled_out in findings
    )
    mentions = linker.link(text)
    assert [(m.iri, m.excluded) for m in mentions] == [
        (UNAMBIGUOUS[name], ruled_out) for name, ruled_out in findings
    ]


@_SETTINGS
@given(_NAMES)
def test_a_list_ruled_out_as_a_whole_rules_out_each_name(
    linker: ConceptLinker, names: list[str]
) -> None:
    listed = [name.lower() for name in names]
    items = listed[0] if len(listed) == 1 else ", ".join(listed[:-1]) + " or " + listed[-1]
    mentions = linker.link(f"No {items}. Seen today.")
    assert [(m.iri, m.excluded) for m in mentions] == [(UNAMBIGUOUS[n], True) for n in names]
