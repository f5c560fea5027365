"""Task inputs on the legal KG: BIO tags <-> spans, linking + fact retrieval, batching."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from encoders.text import TextEncoder
from fusion.heads import IGNORE_INDEX
from fusion.retrieval import FactIndex
from fusion.tasks import (
    TaskCollator,
    TaskInputBuilder,
    TaskItem,
    bio_tags,
    build_linker,
    decode_spans,
    sentence_windows,
    tag_tokens,
)
from kg.knowledge_graph import KnowledgeGraph

LEGAL = "https://example.org/legal#"
TEXT = "Theft and use of force, then burglary."
SPANS = ((0, 5, "offence"), (10, 22, "element"), (29, 37, "offence"))


def _offsets(tokenizer, text: str) -> torch.Tensor:
    enc = tokenizer([text], return_offsets_mapping=True, return_tensors="pt")
    return enc["offset_mapping"][0]


def test_bio_tags_order() -> None:
    assert bio_tags(["offence", "element", "offence"]) == [
        "O",
        "B-element",
        "I-element",
        "B-offence",
        "I-offence",
    ]


def test_tags_of_gold_spans_decode_back_to_them(tiny_encoder: TextEncoder) -> None:
    tags = bio_tags(s[2] for s in SPANS)
    tag2id = {t: i for i, t in enumerate(tags)}
    offsets = _offsets(tiny_encoder.tokenizer, TEXT)
    ids = tag_tokens(offsets, SPANS, tag2id)
    assert ids[0] == IGNORE_INDEX and ids[-1] == IGNORE_INDEX  # [CLS], [SEP]
    named = [tags[i] for i in ids[1:-1].tolist()]
    assert named[0] == "B-offence" and named.count("O") >= 2
    assert [t for t in named if t.startswith("B-")] == ["B-offence", "B-element", "B-offence"]
    spans = decode_spans(
        ids.clamp_min(0).tolist(), [1.0] * len(ids), offsets, dict(enumerate(tags)), TEXT
    )
    assert {(s.start, s.end, s.label) for s in spans} == set(SPANS)
    assert [s.text for s in spans] == ["Theft", "use of force", "burglary"]


def test_decode_spans_joins_word_pieces_and_starts_at_a_stray_inside_tag() -> None:
    id2tag = {0: "O", 1: "B-x", 2: "I-x", 3: "B-y"}
    text = "thefts and more"
    # tokens: [CLS] theft ##s and more [SEP]
    offsets = torch.tensor([[0, 0], [0, 5], [5, 6], [7, 10], [11, 15], [0, 0]])
    spans = decode_spans([0, 1, 1, 0, 2, 0], [1, 0.8, 0.6, 1, 0.5, 1], offsets, id2tag, text)
    assert [(s.start, s.end, s.label, s.text) for s in spans] == [
        (0, 6, "x", "thefts"),
        (11, 15, "x", "more"),
    ]
    assert spans[0].score == pytest.approx(0.7)
    # another label on a piece of the same word: the word keeps its first (a weak tagger's
    # "theft" / "s"), the other piece's score left out
    spans = decode_spans([0, 1, 3, 0, 0, 0], [1, 0.9, 0.2, 1, 1, 1], offsets, id2tag, text)
    assert [(s.start, s.end, s.label, s.score) for s in spans] == [(0, 6, "x", 0.9)]
    # another label on the next word starts a span of its own
    spans = decode_spans([0, 1, 0, 3, 0, 0], [1] * 6, offsets, id2tag, text)
    assert [(s.start, s.end, s.label) for s in spans] == [(0, 6, "x"), (7, 10, "y")]


def test_decode_spans_gives_a_word_split_between_labels_one() -> None:
    id2tag = {0: "O", 1: "B-COMP", 2: "I-COMP", 3: "B-EVENT", 4: "I-EVENT"}
    text = "postgres exposed records."
    # tokens: [CLS] postgre ##s exposed records . [SEP], as a weakly trained tagger tagged
    offsets = torch.tensor([[0, 0], [0, 7], [7, 8], [9, 16], [17, 24], [24, 25], [0, 0]])
    spans = decode_spans([0, 1, 4, 4, 0, 0, 0], [1.0] * 7, offsets, id2tag, text)
    assert [(s.text, s.label) for s in spans] == [("postgres", "COMP"), ("exposed", "EVENT")]
    # a word tagged from its second piece on is the span's from its first
    spans = decode_spans([0, 0, 3, 4, 0, 0, 0], [1.0] * 7, offsets, id2tag, text)
    assert [(s.text, s.label) for s in spans] == [("postgres exposed", "EVENT")]
    # punctuation after a word is a word of its own: tagged O, it stays out
    spans = decode_spans([0, 0, 0, 0, 1, 0, 0], [1.0] * 7, offsets, id2tag, text)
    assert [s.text for s in spans] == ["records"]


def test_decode_spans_widens_word_pieces_to_whole_words() -> None:
    id2tag = {0: "O", 1: "B-x", 2: "I-x"}
    text = "hypotonia and more"
    # tokens: [CLS] hypo ##ton ##ia and more [SEP]
    offsets = torch.tensor([[0, 0], [0, 4], [4, 7], [7, 9], [10, 13], [14, 18], [0, 0]])
    # a span starting inside the word, one ending inside it: both become "hypotonia"
    for tags in ([0, 0, 2, 2, 0, 0, 0], [0, 1, 0, 0, 0, 0, 0], [0, 0, 1, 0, 0, 0, 0]):
        spans = decode_spans(tags, [1.0] * 7, offsets, id2tag, text)
        assert [(s.start, s.end, s.text) for s in spans] == [(0, 9, "hypotonia")], tags
    # whole words are left as they are
    spans = decode_spans([0, 0, 0, 0, 0, 1, 0], [0.9] * 7, offsets, id2tag, text)
    assert [(s.start, s.end, s.text, s.score) for s in spans] == [(14, 18, "more", 0.9)]


@pytest.fixture(scope="module")
def fact_index(legal_kg_dir, tiny_encoder: TextEncoder) -> FactIndex:
    return FactIndex.build(KnowledgeGraph.open(legal_kg_dir), text_encoder=tiny_encoder)


def test_builder_links_concepts_and_retrieves_their_facts(
    legal_kg: KnowledgeGraph, fact_index: FactIndex
) -> None:
    builder = TaskInputBuilder(legal_kg, build_linker(legal_kg, {}), fact_index, num_facts=8)
    prepared = builder.prepare("The mugging involved violence but no dishonesty.")
    iris = {f.iri for f in prepared.findings}
    assert iris == {LEGAL + "Robbery", LEGAL + "UseOfForce", LEGAL + "Dishonesty"}
    assert any(f.excluded for f in prepared.findings if f.iri == LEGAL + "Dishonesty")
    assert prepared.facts and len(prepared.facts) <= 8
    for hit in prepared.facts:  # every fact touches a linked concept
        assert set(hit.entities) & iris
    assert prepared.input.fact_vectors.shape == (len(prepared.facts), fact_index.dim)
    assert len(prepared.input.concepts) == 3
    nothing = builder.prepare("A quiet afternoon in the park.")
    assert nothing.findings == [] and nothing.input.fact_vectors is None


def test_collator_labels_for_each_problem(tiny_encoder: TextEncoder) -> None:
    from fusion.inputs import PatientInput

    items = [PatientInput(TEXT), PatientInput("a crime")]
    single = TaskCollator(tiny_encoder.tokenizer, "single_label_classification", {"a": 0, "b": 1})
    batch = single([TaskItem(items[0], 1), TaskItem(items[1], 0)])
    assert batch["labels"].tolist() == [1, 0] and "offset_mapping" not in batch
    multi = TaskCollator(tiny_encoder.tokenizer, "multi_label_classification", {"a": 0, "b": 1})
    hot = np.array([1.0, 1.0], dtype=np.float32)
    batch = multi([TaskItem(items[0], hot), TaskItem(items[1], np.zeros(2, np.float32))])
    assert batch["labels"].dtype == torch.float32 and batch["labels"].shape == (2, 2)
    tags = bio_tags(["element", "offence"])
    token = TaskCollator(
        tiny_encoder.tokenizer, "token_classification", {t: i for i, t in enumerate(tags)}
    )
    batch = token([TaskItem(items[0], SPANS), TaskItem(items[1], ((2, 7, "offence"),))])
    assert batch["labels"].shape == batch["input_ids"].shape
    assert batch["offset_mapping"].shape[:2] == batch["input_ids"].shape
    # padding and special tokens are left out of the loss
    assert (batch["labels"][batch["attention_mask"] == 0] == IGNORE_INDEX).all()
    unlabelled = token([TaskItem(items[0]), TaskItem(items[1])])
    assert "labels" not in unlabelled


def test_sentence_windows_respect_the_budget_and_cover_the_text() -> None:
    def words(piece: str) -> int:
        return len(piece.split())

    text = "One two three four. Five six seven eight. Nine ten eleven twelve.\nThirteen fourteen."
    windows = sentence_windows(text, words, 9)
    assert windows == [(0, 41), (42, len(text))]
    assert all(words(text[a:b]) <= 9 for a, b in windows)
    long = " ".join(f"w{i}" for i in range(20)) + "."
    windows = sentence_windows(long, words, 8)
    assert [words(long[a:b]) for a, b in windows] == [8, 8, 4]
    assert " ".join(long[a:b] for a, b in windows) == long
    assert sentence_windows("short", words, 8) == [(0, 5)]


def test_spans_past_the_token_budget_are_counted(tiny_encoder: TextEncoder) -> None:
    from train.task_data import LabelledSpan, TaskExample
    from train.task_training import spans_past_budget

    spans = tuple(LabelledSpan(s, e, label) for s, e, label in SPANS)
    example = TaskExample(TEXT, spans=spans)
    past, _, total = spans_past_budget([example], tiny_encoder.tokenizer, 128)
    assert (past, total) == (0, len(SPANS))
    # 4 tokens: [CLS], two words, [SEP]: only the first span starts inside them
    past, _, total = spans_past_budget([example], tiny_encoder.tokenizer, 4)
    assert (past, total) == (len(SPANS) - 1, len(SPANS))
