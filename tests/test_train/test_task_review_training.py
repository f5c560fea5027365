"""Review fixes of task training: token classification validated on the sentence windows
``kgfuse predict`` reads (nothing truncated), spans across the token budget warned about,
a model's saved multi-label threshold used by ``TaskPredictor.load``, distant supervision
that names classes only."""

from __future__ import annotations

import logging
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

import train.task_training as task_training
from fusion.inputs import PatientInput
from fusion.tasks import TaskCollator, TaskItem, TaskPredictor, bio_tags
from kg.knowledge_graph import KnowledgeGraph
from kg.namespaces import OWL_CLASS
from tests.legal_task_env import LegalTaskEnv, write_jsonl
from train.distant import DistantConfig, distant_examples
from train.task_data import LabelledSpan, TaskExample
from train.task_training import evaluate_items, train_task

FILLER = " ".join(["the house."] * 12)  # 12 sentences, 36 tokens of the tiny BERT
#: two sentences of 11 and 9 tokens: windows of 14 tokens hold one each
ACROSS = (
    "the house the house the house the house the theft. and the robbery of the house the house."
)


def _span(text: str, words: str, label: str = "offence") -> dict:
    start = text.index(words)
    return {"start": start, "end": start + len(words), "label": label}


def _tokenizer(env: LegalTaskEnv):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(env.encoder))


class _Oracle(torch.nn.Module):
    """A perfect tagger of ``items``: one-hot logits of the gold tags of the tokens the
    collator gives it (one batch, the items in order)."""

    def __init__(self, items: list[TaskItem], collator: TaskCollator, tags: list[str]) -> None:
        super().__init__()
        self.weight = torch.nn.Parameter(torch.zeros(1))
        self.config = SimpleNamespace(id2label=dict(enumerate(tags)))
        self.items, self.collator, self.tags = items, collator, tags

    def forward(self, **batch: torch.Tensor) -> SimpleNamespace:
        labels = self.collator(self.items)["labels"].clamp_min(0)
        return SimpleNamespace(logits=torch.nn.functional.one_hot(labels, len(self.tags)) * 10.0)


def test_a_perfect_tagger_scores_one_on_validation_spans_past_the_budget(
    legal_task_env: LegalTaskEnv,
) -> None:
    tokenizer = _tokenizer(legal_task_env)
    short = "the theft of a house."
    long = FILLER + " then the robbery."
    examples = [
        TaskExample(short, spans=(LabelledSpan(4, 9, "offence"),), line=1),
        TaskExample(long, spans=(LabelledSpan(long.index("robbery"), len(long) - 1, "offence"),)),
    ]
    windows, crossing = task_training.validation_windows(examples, tokenizer, 16)
    assert crossing == 0 and len(windows) > 2
    # every window fits the 14 tokens the encoder reads besides [CLS] and [SEP]
    assert all(len(tokenizer(w.text, add_special_tokens=False)["input_ids"]) <= 14 for w in windows)
    gold = {(w.text[s.start : s.end], s.label) for w in windows for s in w.spans or ()}
    assert gold == {("theft", "offence"), ("robbery", "offence")}
    tags = bio_tags(["offence"])
    collator = TaskCollator(tokenizer, "token_classification", {t: i for i, t in enumerate(tags)})
    collator.base.max_length = 16
    items = [
        TaskItem(PatientInput(w.text), tuple((s.start, s.end, s.label) for s in w.spans or ()))
        for w in windows
    ]
    metrics = evaluate_items(_Oracle(items, collator, tags), items, collator, batch_size=64)
    assert metrics == {"precision": 1.0, "recall": 1.0, "f1": 1.0}


def test_a_validation_span_across_a_window_end_is_a_miss(legal_task_env: LegalTaskEnv) -> None:
    tokenizer = _tokenizer(legal_task_env)
    start = ACROSS.index("theft")
    span = LabelledSpan(start, ACROSS.index(" of"), "offence")  # "theft. and the robbery"
    windows, crossing = task_training.validation_windows(
        [TaskExample(ACROSS, spans=(span,))], tokenizer, 16
    )
    assert [w.text for w in windows] == [
        "the house the house the house the house the theft.",
        "and the robbery of the house the house.",
    ]
    assert crossing == 1
    (holder,) = [w for w in windows if w.spans]
    (local,) = holder.spans or ()
    assert local.end > len(holder.text)  # no prediction of its window can match it


def test_training_validates_on_windows_and_warns_about_spans_across_the_budget(
    legal_task_env: LegalTaskEnv,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cut = " ".join(["the house"] * 6) + " the theft and burglary of the house."  # tokens 13-16
    train = [
        {"text": t, "spans": [_span(t, w)]}
        for t, w in (
            ("he took the house and the theft was a crime.", "theft"),
            ("she used violence in the robbery.", "robbery"),
            (cut, "the theft and burglary"),
        )
    ]
    long = FILLER + " then the robbery."
    valid = [
        {"text": "the theft of a house.", "spans": [_span("the theft of a house.", "theft")]},
        {"text": long, "spans": [_span(long, "robbery")]},
        {"text": ACROSS, "spans": [_span(ACROSS, "theft. and the robbery")]},
    ]
    seen: list[list[TaskItem]] = []
    real = task_training.evaluate_items

    def recording(model, items, collator, **kwargs):
        seen.append(list(items))
        return real(model, items, collator, **kwargs)

    monkeypatch.setattr(task_training, "evaluate_items", recording)
    data = write_jsonl(tmp_path / "train.jsonl", train)
    with caplog.at_level(logging.WARNING, logger="train.task_training"):
        result = train_task(
            legal_task_env.config(
                data,
                tmp_path / "m",
                "task=token-classification",
                "model.fusion=text_only",
                "model.max_length=16",
                "train.epochs=1",
                f"valid={write_jsonl(tmp_path / 'valid.jsonl', valid)}",
            ),
            home=legal_task_env.home,
            progress=False,
        )
    assert result.valid_examples == 3
    messages = [r.getMessage() for r in caplog.records]
    (budget,) = [m for m in messages if "training spans lie past" in m]
    assert "0 of 3 training spans" in budget and "1 more run across that end" in budget
    (window,) = [m for m in messages if "run across the end of a sentence window" in m]
    assert window.startswith("1 of 3 validation spans")
    # validation read every text whole, in windows the encoder reads without cutting
    tokenizer = _tokenizer(legal_task_env)
    items = seen[0]
    assert len(items) > len(valid)
    assert all(
        len(tokenizer(i.input.text, add_special_tokens=False)["input_ids"]) <= 14 for i in items
    )
    gold = sorted(i.input.text[s:e] for i in items for s, e, _ in i.target or ())  # type: ignore[misc]
    assert gold == ["robbery", "theft", "theft."]  # the crossing one, cut at its window


def test_the_predictor_uses_the_threshold_saved_with_the_model(
    legal_task_env: LegalTaskEnv, tmp_path: Path
) -> None:
    records = [
        {"text": "he took the house.", "labels": ["theft"]},
        {"text": "she used violence.", "labels": ["assault"]},
        {"text": "the robbery with force.", "labels": ["theft", "assault"]},
        {"text": "a crime.", "labels": []},
    ] * 2
    out = tmp_path / "m"
    train_task(
        legal_task_env.config(
            write_jsonl(tmp_path / "multi.jsonl", records),
            out,
            "model.fusion=text_only",
            "train.epochs=1",
            "threshold=0.3",
        ),
        home=legal_task_env.home,
        progress=False,
    )
    predictor = TaskPredictor.load(out)
    assert predictor.threshold == 0.3
    (record,) = predictor.predict(["the robbery of a house."])
    assert record["labels"] == [k for k, v in record["scores"].items() if v >= 0.3]
    assert TaskPredictor.load(out, threshold=0.7).threshold == 0.7  # a given one wins


def test_distant_supervision_on_a_kg_without_roots_names_classes_only(
    legal_task_env: LegalTaskEnv,
) -> None:
    kg = KnowledgeGraph.open(legal_task_env.kg)
    class_names = {e.text.lower() for e in kg.lexicon.filter([OWL_CLASS])}
    other_names = {e.text.lower() for e in kg.lexicon} - class_names
    assert {"defined in", "has element"} <= other_names  # properties the lexicon names
    config = DistantConfig(patients=0, name_sentences=150, definition_rate=0.0)
    written = {
        rec["text"][s["start"] : s["end"]].lower()
        for rec in distant_examples(kg, config)
        for s in rec["spans"]
    }
    assert written and written <= class_names
