"""Tests of encoders.normalize: one normal form for the spellings of one name."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from encoders.normalize import (
    BREAK,
    content_tokens,
    fold,
    is_acronym,
    normalize_token,
    phrase_variants,
    singularize,
    stem,
    tokenize,
)


def test_fold_strips_accents_and_case() -> None:
    assert fold("Sjögren") == "sjogren"
    assert fold("CAFÉ") == "cafe"


def test_singularize_regular_and_latin_plurals() -> None:
    assert singularize("seizures") == "seizure"
    assert singularize("abnormalities") == "abnormality"
    assert singularize("reflexes") == "reflex"
    assert singularize("vertebrae") == "vertebra"
    assert singularize("phalanges") == "phalanx"
    assert singularize("exostoses") == "exostosis"
    assert singularize("teeth") == "tooth"


def test_singularize_keeps_singulars_ending_in_s() -> None:
    for word in ("status", "axis", "stenosis", "mass", "pes"):
        assert singularize(word) == word


def test_stem_meets_adjective_and_noun() -> None:
    assert stem("microcephalic") == stem("microcephaly")
    assert stem("hypotonic") == stem("hypotonia")
    assert stem("dysplastic") == stem("dysplasia")
    assert stem("delayed") == stem("delay")
    assert stem("sloping") == stem("sloped")
    assert stem("thinning") == stem("thinned")


def test_normalize_token_folds_british_spelling_and_acronym_plural() -> None:
    assert normalize_token("Oedema") == normalize_token("edema")
    assert normalize_token("haemorrhage") == normalize_token("hemorrhage")
    assert normalize_token("UTIs") == normalize_token("UTI")
    assert normalize_token("toes") == normalize_token("toe")


def test_tokenize_keeps_offsets_and_marks_breaks() -> None:
    text = "Self-mutilating behaviour, seizures."
    tokens = tokenize(text)
    assert [text[t.start : t.end] for t in tokens] == [t.raw for t in tokens]
    assert [t.raw for t in tokens] == ["Self", "mutilating", "behaviour", ",", "seizures", "."]
    assert [t.is_break for t in tokens] == [False, False, False, True, False, True]
    assert tokens[3].norm == BREAK


def test_content_tokens_drop_stopwords_and_punctuation() -> None:
    assert content_tokens("Abnormality of the heart") == content_tokens("abnormalities, heart")
    assert content_tokens("self-mutilating behaviors") == content_tokens("Self mutilating behavior")
    assert content_tokens("of the") == ()


def test_is_acronym() -> None:
    assert is_acronym("GERD")
    assert is_acronym("UTIs")
    assert is_acronym("C2")
    assert not is_acronym("Seizure")
    assert not is_acronym("A")


def test_phrase_variants_inversion_hyphen_and_permutation() -> None:
    variants = phrase_variants("Dysplasia of the hip")
    assert variants[content_tokens("dysplasia hip")] == "exact"
    assert variants[content_tokens("hip dysplasia")] in ("inverted", "permuted")
    joined = phrase_variants("Down-slanting palpebral fissures")
    assert content_tokens("downslanting palpebral fissures") in joined
    long = phrase_variants("Abnormality of the left upper limb bones")
    assert content_tokens("left upper limb bones abnormality") in long
    assert len(long) == 2  # exact + inversion; no permutations of long names
    assert phrase_variants("the") == {}


@given(st.text(max_size=80))
def test_tokenize_offsets_roundtrip(text: str) -> None:
    for t in tokenize(text):
        assert text[t.start : t.end] == t.raw
        assert t.norm == BREAK or t.norm == normalize_token(t.raw)
