"""Tests of encoders.dense on a tiny lexicon with a tiny random encoder (no download)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from encoders.dense import (
    DenseIndex,
    DenseMatcher,
    calibrate_threshold,
    make_negatives,
    split_heldout_synonyms,
)
from encoders.linker import ConceptLinker, LinkerConfig
from encoders.text import TextEncoder, TextEncoderConfig
from kg.lexicon import Lexicon, LexiconEntry
from tests.tiny_bert import write_tiny_bert

OBO = "http://purl.obolibrary.org/obo/TEST_"
SEIZURE, HYPOTONIA, MICRO, HEART, OLD = (f"{OBO}{n:07d}" for n in range(1, 6))

_NAMES = [
    (SEIZURE, "Seizure", "label", None),
    (SEIZURE, "Epileptic seizure", "exact", None),
    (SEIZURE, "Convulsive episode", "exact", None),
    (HYPOTONIA, "Hypotonia", "label", None),
    (HYPOTONIA, "Low muscle tone", "exact", "layperson"),
    (HYPOTONIA, "Decreased muscle tone", "exact", None),
    (MICRO, "Microcephaly", "label", None),
    (MICRO, "Small head circumference", "exact", None),
    (MICRO, "Small head circumference", "exact", "layperson"),
    (HEART, "Abnormality of the heart", "label", None),
    (HEART, "Cardiac anomaly", "exact", None),
    (OLD, "Obsolete fits", "label", None),
]


def make_lexicon(skip: str | None = None) -> Lexicon:
    entries = [
        LexiconEntry(iri, text, kind, st, "owl:Class")
        for iri, text, kind, st in _NAMES
        if text != skip
    ]
    return Lexicon(entries, frozenset({OLD}))


def make_tiny_encoder(folder: Path) -> Path:
    """A random 2-layer BERT (hidden 32) with a character word-piece vocabulary."""
    words = sorted({w.lower() for _, text, _, _ in _NAMES for w in text.split()})
    # spread the random vectors so that names differ
    return write_tiny_bert(folder, words, initializer_range=0.5)


@pytest.fixture(scope="module")
def encoder(tmp_path_factory: pytest.TempPathFactory) -> TextEncoder:
    folder = make_tiny_encoder(tmp_path_factory.mktemp("tiny_bert"))
    return TextEncoder(TextEncoderConfig(model_path=str(folder), precision="fp32"))


@pytest.fixture(scope="module")
def index(encoder: TextEncoder) -> DenseIndex:
    return DenseIndex.build(make_lexicon(), encoder)


def test_dense_index_build_skips_obsolete_and_duplicates(index: DenseIndex) -> None:
    assert OLD not in index.iris
    assert index.names.count("Small head circumference") == 1
    assert len(index.names) == 10
    assert index.vectors.shape == (10, 32)


def test_dense_index_search_finds_identical_name(index: DenseIndex) -> None:
    (hits,) = index.search(["Low muscle tone"], k=3)
    assert hits[0].iri == HYPOTONIA and hits[0].name == "Low muscle tone"
    assert hits[0].score == pytest.approx(1.0, abs=1e-4)
    assert hits[0].score >= hits[1].score >= hits[2].score
    assert index.search([]) == []


def test_dense_index_hnsw_agrees_with_flat(index: DenseIndex) -> None:
    hnsw = DenseIndex(index.encoder, index.names, index.iris, index.vectors, hnsw_neighbors=8)
    queries = ["Low muscle tone", "Cardiac anomaly", "Seizure"]
    assert [h[0].name for h in hnsw.search(queries)] == queries


def test_dense_matcher_rejects_names_that_say_more(index: DenseIndex) -> None:
    k = index.names.index("Low muscle tone")
    one = DenseIndex(index.encoder, [index.names[k]], [index.iris[k]], index.vectors[k : k + 1])
    # "muscle tone" is inside "Low muscle tone": the text names no finding.
    assert DenseMatcher(one, -1.0).match(["muscle tone"]) == [None]
    assert DenseMatcher(one, -1.0, reject_subsumed=False).match(["muscle tone"])[0].iri == (
        HYPOTONIA
    )


def test_dense_matcher_threshold(index: DenseIndex) -> None:
    assert DenseMatcher(index, 0.99).match(["Cardiac anomaly"])[0].iri == HEART
    assert DenseMatcher(index, 1.01).match(["Cardiac anomaly"]) == [None]


def test_dense_index_save_load_round_trip(index: DenseIndex, tmp_path: Path) -> None:
    index.save(tmp_path / "idx")
    again = DenseIndex.load(tmp_path / "idx", index.encoder)
    assert again.names == index.names and again.iris == index.iris
    np.testing.assert_array_equal(again.vectors, index.vectors)
    assert again.search(["seizure"])[0] == index.search(["seizure"])[0]


def test_split_heldout_synonyms_removes_only_synonyms() -> None:
    lexicon = make_lexicon()
    kept, pairs = split_heldout_synonyms(lexicon, fraction=1.0, seed=1)
    # One per labelled, non-obsolete term with exact synonyms, except MICRO, whose synonym
    # is listed twice and so is still in the kept lexicon (not unseen).
    assert sorted(iri for _, iri in pairs) == [SEIZURE, HYPOTONIA, HEART]
    kept_texts = {(e.iri, e.text) for e in kept}
    for text, iri in pairs:
        assert (iri, text) not in kept_texts
        assert any(e.iri == iri and e.kind == "label" for e in kept)
    assert split_heldout_synonyms(lexicon, 1.0, seed=1)[1] == pairs


def test_make_negatives_are_not_names() -> None:
    lexicon = make_lexicon()
    names = {e.text.lower() for e in lexicon}
    negatives = make_negatives(lexicon, 5, seed=0)
    assert negatives and all(n.lower() not in names for n in negatives)


def test_calibrate_threshold_separates_names_from_negatives(index: DenseIndex) -> None:
    positives = [("Epileptic seizure", SEIZURE), ("Decreased muscle tone", HYPOTONIA)]
    negatives = ["zzzz qqqq", "xylophone"]
    cal = calibrate_threshold(index, positives, negatives)
    assert cal.f1 == pytest.approx(1.0)
    assert cal.accuracy_at_1 == 1.0
    assert cal.threshold <= 1.0
    strict = calibrate_threshold(index, positives, negatives, target_precision=1.0)
    assert strict.precision == 1.0
    with pytest.raises(ValueError, match="calibration needs at least one held-out synonym"):
        calibrate_threshold(index, [])


def test_linker_dense_path_finds_what_dictionary_misses(index: DenseIndex) -> None:
    dictionary = make_lexicon(skip="Low muscle tone")
    plain = ConceptLinker(dictionary)
    text = "She has low muscle tone and a seizure."
    assert [m.iri for m in plain.link(text)] == [SEIZURE]
    dense = ConceptLinker(dictionary, LinkerConfig(), dense=DenseMatcher(index, 0.99))
    mentions = dense.link(text)
    assert [(m.text, m.iri, m.source) for m in mentions] == [
        ("low muscle tone", HYPOTONIA, "dense"),
        ("Seizure".lower(), SEIZURE, "dictionary"),
    ]
    assert mentions[0].score == pytest.approx(1.0, abs=1e-4)
