"""Diseases named short in a question ("Marfan", "Stickler type 1"; :mod:`kgfuse.qa.disease_names`)
are read as the disease where the short form names one, and a one-word short form only as a
proper name."""

from __future__ import annotations

import pytest

from kg.lexicon import LexiconEntry
from kg.namespaces import KGV_DISEASE, OWL_CLASS
from kgfuse.qa import QAService
from kgfuse.qa.disease_names import (
    SYNONYM_TYPE,
    everyday_words,
    reads_as_a_disease,
    short_disease_names,
)

MARFAN = "https://omim.org/entry/154700"


def _disease(iri: str, label: str) -> LexiconEntry:
    return LexiconEntry(iri, label, "label", None, KGV_DISEASE)


def _short(entries: list[LexiconEntry]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for e in short_disease_names(entries):
        assert (e.kind, e.synonym_type, e.node_type) == ("exact", SYNONYM_TYPE, KGV_DISEASE)
        out.setdefault(e.text, set()).add(e.iri)
    return out


def test_a_label_without_its_head_word_and_a_type_in_either_numerals() -> None:
    short = _short(
        [
            _disease("omim:1", "Marfan syndrome"),
            _disease("omim:2", "Stickler syndrome, type I"),
            _disease("orpha:2", "Stickler syndrome type 1"),  # the same disease elsewhere
            _disease("omim:3", "Pelizaeus-Merzbacher disease"),
        ]
    )
    assert short["Marfan"] == {"omim:1"}
    assert short["Pelizaeus-Merzbacher"] == {"omim:3"}
    for form in ("Stickler type 1", "Stickler type I", "Stickler syndrome type I"):
        assert short[form] == {"omim:2"}, form  # the first node of the disease
    assert "Stickler syndrome type 1" not in short  # a label itself: a name already


def test_a_short_form_of_several_diseases_or_of_another_name_is_left_out() -> None:
    short = _short(
        [
            _disease("omim:1", "Noonan syndrome 1"),
            _disease("omim:2", "Noonan syndrome 2"),
            _disease("omim:3", "Alport syndrome"),
            _disease("omim:4", "Alport disease"),  # "Alport" names two diseases
            _disease("omim:5", "Macroglossia syndrome"),
            LexiconEntry("hp:1", "Macroglossia", "label", None, OWL_CLASS),  # a term's name
            _disease("omim:6", "Rett"),  # no head word: no short form
        ]
    )
    assert short["Noonan type 1"] == {"omim:1"} and short["Noonan type 2"] == {"omim:2"}
    assert "Noonan" not in short  # the types share it
    assert not {"Alport", "Macroglossia", "Rett"} & set(short)


@pytest.mark.parametrize(
    ("question", "word", "read"),
    [
        ("Is ectopia lentis part of Marfan?", "Marfan", True),
        ("Marfan: is ectopia lentis a feature?", "Marfan", True),
        ("Marfan - what are the features?", "Marfan", True),
        ("Marfan's features?", "Marfan", True),
        ("Does it bloom early?", "bloom", False),  # no capital: a word
        ("Good morning, which genes cause ataxia?", "Good", False),  # the question's capital
    ],
)
def test_a_one_word_short_name_is_read_only_as_a_proper_name(
    question: str, word: str, read: bool
) -> None:
    start = question.index(word)
    assert reads_as_a_disease(question, start, start + len(word)) is read


def test_a_question_on_a_disease_named_short(mini_qa: QAService) -> None:
    short = mini_qa.ask("Which genes are associated with Marfan?")
    full = mini_qa.ask("Which genes are associated with Marfan syndrome?")
    assert short.intent == full.intent == "genes_of_disease" and short.answered
    assert [i.iri for i in short.items] == [i.iri for i in full.items]
    assert [(e["text"], e["iri"]) for e in short.entities] == [("Marfan", MARFAN)]
    # written as a word, it names no disease
    assert MARFAN not in {e.iri for e in mini_qa.entities.link("which genes are linked to marfan?")}


def test_a_disease_named_by_the_initials_of_its_label() -> None:
    short = _short(
        [
            _disease("omim:1", "Maple syrup urine disease"),
            _disease("orpha:1", "Maple syrup urine disease"),  # its twin
            _disease("omim:2", "Leber hereditary optic neuropathy"),
            _disease("omim:3", "Charcot-Marie-Tooth disease, type 1A"),
            _disease("omim:4", "Pelizaeus-Merzbacher disease"),
            _disease("omim:5", "Persistent Mullerian duct syndrome"),  # PMD too
            _disease("omim:6", "Granulomatous disease, chronic, X-linked"),  # words reordered
            _disease("omim:7", "Fibrodysplasia ossificans progressiva"),
            _disease("omim:8", "Congenital disorder of glycosylation, type Ia"),
            LexiconEntry("x:1", "CDG1A", "exact", None, OWL_CLASS),  # a name already
        ]
    )
    assert short["MSUD"] == {"omim:1"}  # one node: an acronym of two is read as none
    assert short["LHON"] == {"omim:2"}
    assert short["CMT1A"] == short["CMT type 1A"] == {"omim:3"}
    assert short["CDG type 1A"] == {"omim:8"} and "CDG1A" not in short
    # three letters alone are too few ("FOP"), two diseases' initials none's ("PMD")
    assert not {"PMD", "GDCXL", "FOP"} & set(short)


def test_a_one_word_short_form_that_is_an_everyday_word_names_no_disease() -> None:
    entries = [
        _disease("omim:1", "Good syndrome"),
        _disease("omim:2", "Angelman syndrome"),
        _disease("omim:3", "CHARGE syndrome"),
        _disease("omim:4", "Young syndrome"),
    ]
    short = {e.text for e in short_disease_names(entries, frozenset({"good", "young", "charge"}))}
    # an acronym in capitals is its own; a possessive is no everyday word ("Good's syndrome" is
    # the usual name of Good syndrome)
    assert short == {"Angelman", "Angelman's", "Good's", "Young's", "CHARGE"}
    # without the list of everyday words, no one-word eponym is taken
    assert {e.text for e in short_disease_names(entries, None)} == {"CHARGE"}


def test_everyday_words_are_the_encoders_whole_words() -> None:
    words = everyday_words()
    assert words is not None and {"good", "german", "young", "short"} <= words
    assert not {"marfan", "angelman", "gitelman"} & words


def test_a_disease_named_by_its_eponym_as_a_possessive() -> None:
    short = _short(
        [
            _disease("omim:1", "Leigh syndrome"),
            _disease("omim:2", "Charcot-Marie-Tooth disease"),
            _disease("omim:3", "Menkes disease"),
            _disease("omim:4", "Maple syrup urine disease"),
        ]
    )
    assert short["Leigh's"] == {"omim:1"}
    # several names, a name ending in s, words that name no person: no possessive
    assert not {k for k in short if "'" in k and not k.startswith("Leigh")}, short


def test_a_question_on_a_disease_named_by_a_possessive(mini_qa: QAService) -> None:
    full = mini_qa.ask("Which genes are associated with Marfan syndrome?")
    for question in (
        "Which genes are associated with Marfan's syndrome?",  # the label, as the linker reads
        "Which genes are associated with Marfan's?",
        "Marfan's syndrome - which genes?",
    ):
        short = mini_qa.ask(question)
        assert short.intent == full.intent and short.answered, question
        assert [i.iri for i in short.items] == [i.iri for i in full.items], question
        assert [e["iri"] for e in short.entities] == [MARFAN], question


@pytest.mark.parametrize(
    ("written", "matched", "split_at"),
    [
        ("Leigh's syndrome", "Leigh syndrome", None),  # a possessive's "s" links nothing
        ("Leigh\u2019s syndrome", "Leigh syndrome", None),
        ("syndrome from Loeys-Dietz", "Loeys-Dietz syndrome", 9),  # "from": another order
    ],
)
def test_a_name_is_split_at_a_linking_word_it_lacks_not_at_a_possessive(
    written: str, matched: str, split_at: int | None
) -> None:
    from encoders.linker import Mention
    from kgfuse.qa.entities import _crossing_word

    mention = Mention(0, len(written), written, "omim:1", "OMIM:1", matched, matched=matched)
    assert _crossing_word(mention) == split_at
