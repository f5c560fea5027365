"""What mutation testing of encoders/normalize.py showed unchecked: the plural rules at their
length limits and for each ending, the plural acronym of three letters, a word joined across
a line end or by a soft hyphen, the dash and sign tokens, tokens too long to cache, the
doubled consonant and the final e of participles, the length limit of -tion nouns, and the
keys of a name: lexical alternations (capped), hyphen and inverted labels, a name's letter,
and a mark inside a word group."""

from __future__ import annotations

from collections import Counter

import pytest

from encoders.normalize import (
    BREAK,
    MARK,
    content_tokens,
    fold,
    normalize_token,
    phrase_variants,
    singularize,
    stem,
    tokenize,
)


@pytest.mark.parametrize(
    ("plural", "singular"),
    [
        ("rugae", "ruga"),  # -ae of five letters
        ("ptoses", "ptosis"),  # -oses of six letters
        ("sties", "sty"),  # -ies of five letters
        ("masses", "mass"),
        ("abscesses", "abscess"),
        ("waltzes", "waltz"),
        ("patches", "patch"),
        ("rashes", "rash"),
        ("carcinomas", "carcinoma"),  # -as, which other words keep as singulars
        ("hernias", "hernia"),
        ("edemas", "edema"),  # -mas of six letters
        ("alias", "alias"),  # -ias of five letters: no plural
    ],
)
def test_singularize_each_ending(plural: str, singular: str) -> None:
    assert singularize(plural) == singular


def test_dash_and_sign_tokens_are_themselves_not_breaks() -> None:
    for sign in ("-", "+", "\u2013", "\u2014", "\u2212"):
        assert normalize_token(sign) == sign
    assert normalize_token(",") == BREAK
    dash = [t for t in tokenize("Ptosis - no") if t.raw == "-"]
    assert [(t.norm, t.is_break) for t in dash] == [("-", False)]


@pytest.mark.parametrize("joined", ["hypo-\ntonia", "hypo\u00adtonia", "hypo\u200btonia"])
def test_a_word_joined_across_a_line_end_or_invisibly(joined: str) -> None:
    assert normalize_token(joined) == normalize_token("hypotonia")


def test_plural_acronyms_and_short_words_ending_in_s() -> None:
    assert normalize_token("CTs") == normalize_token("CT") == "ct"
    assert normalize_token("Is") == normalize_token("is") == "is"  # no acronym "I"


def test_tokens_too_long_to_cache_are_normalised_alike() -> None:
    word = "hypo" * 20 + "tonias"
    assert len(word) > 64
    assert normalize_token(word) == normalize_token(word[:-1]) == stem(word[:-1])
    assert fold("Sj\u00f6gren " * 10) == "sjogren " * 10


def test_doubled_consonants_and_final_e_of_participles() -> None:
    assert stem("blurred") == stem("blurring") == "blur"  # doubled r: one
    assert stem("swelling") == stem("swelled") == "swell"  # doubled l: kept
    assert stem("dressing") == stem("dressed") == "dress"  # doubled s: kept
    assert stem("elevating") == stem("elevated") == stem("elevation") == "elevat"
    assert stem("agreeing") == stem("agreed")


def test_short_tion_words_are_kept() -> None:
    # a -tion word of seven letters is no action noun of a verb: "station" is not "stated"
    assert stem("station") == "station"
    assert stem("section") == "section"
    assert stem("station") != stem("stated")


def test_lexical_alternations_of_every_word_capped_at_eight() -> None:
    # every word has alternatives: each combination is a key, labelled lexical
    assert phrase_variants("Poor heart")[content_tokens("weak cardiac")] == "lexical"
    assert phrase_variants("Enlarged heart")[content_tokens("dilated cardiac")] == "lexical"
    # 5 x 2 x 2 combinations: the name itself and the first eight others
    variants = phrase_variants("Decreased liver lung")
    assert Counter(variants.values())["lexical"] == 8


def test_variants_are_labelled_by_how_they_were_derived() -> None:
    joined = phrase_variants("Down-slanting palpebral fissures")
    assert joined[content_tokens("downslanting palpebral fissures")] == "hyphen"
    # four content tokens: inverted, with alternations labelled as the inversion, never permuted
    variants = phrase_variants("Enlargement of the left heart ventricle")
    assert variants[content_tokens("left heart ventricle enlargement")] == "inverted"
    assert variants[content_tokens("left cardiac ventricle dilation")] == "inverted"
    assert variants[content_tokens("dilation of the left cardiac ventricle")] == "lexical"
    assert set(phrase_variants("Dysplasia of the left hip joint").values()) == {
        "exact",
        "inverted",
    }


def test_a_names_letter_is_in_every_key() -> None:
    base = content_tokens("Low levels of vitamin A")
    assert "A" in base
    # since linking version 55 also said of its subject ("levels of vitamin A were low"),
    # with the letter; the inversion without it ("vitamin a low levels") is dropped
    assert phrase_variants("Low levels of vitamin A") == {
        base: "exact",
        (*base[1:], base[0]): "permuted",
    }


def test_a_mark_inside_a_word_group_gives_an_exact_key() -> None:
    variants = phrase_variants("Increased lactate:pyruvate ratio")
    marked = [(k, v) for k, v in variants.items() if any(t.startswith(MARK) for t in k)]
    words = [normalize_token(w) for w in ("Increased", "lactate", "pyruvate", "ratio")]
    assert marked == [((*words[:2], MARK + ":", *words[2:]), "exact")]
