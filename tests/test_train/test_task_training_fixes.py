"""Task training on the legal KG: long texts (warned in training, read in windows by
predict), a user ontology too small for the graph embeddings' validation split, a run that
ends at an epoch's end, failed runs that leave no folder, gold spans no tagging decodes."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

import train.task_training as task_training
from encoders.graph_model import GraphEncoderConfig
from eval.linkpred import split_edges
from fusion.tasks import TaskPredictor
from kg.errors import KGNotFoundError
from kg.store import build_kg
from kg.tensors import GraphTensors
from tests.legal_task_env import EXAMPLES, LegalTaskEnv, write_jsonl
from train.config import TaskConfig, load_config
from train.embed import _prepare_data, train_graph_embedder
from train.task_data import load_task_data
from train.task_training import train_task

#: A 3-class user ontology: one subClassOf triple in all.
SMALL_TTL = """@prefix ex: <http://ex.org/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
ex:Theft a owl:Class ; rdfs:label "theft" .
ex:Robbery a owl:Class ; rdfs:subClassOf ex:Theft ; rdfs:label "robbery" .
ex:Assault a owl:Class ; rdfs:label "assault" .
"""


# ------------------------------------------------------------------------ long texts
def test_long_texts_are_warned_about_in_training_and_read_in_windows_by_predict(
    legal_task_env: LegalTaskEnv, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data = write_jsonl(
        tmp_path / "d.jsonl",
        [
            {"text": "He took the house.", "label": "theft"},
            {"text": "She used force. " * 12, "label": "robbery"},
        ],
    )
    with caplog.at_level(logging.WARNING, logger="train.task_training"):
        train_task(
            legal_task_env.config(
                data,
                tmp_path / "m",
                "model.fusion=text_only",
                "model.max_length=16",
                "train.epochs=1",
                f"valid={data}",
            ),
            home=legal_task_env.home,
            progress=False,
        )
    (warning,) = [r.getMessage() for r in caplog.records if "longer than" in r.getMessage()]
    assert "1 of 2 training texts and 1 of 2 validation texts" in warning
    assert "model.max_length=16" in warning and "at most 512" in warning

    predictor = TaskPredictor.load(tmp_path / "m")
    head = "The owner was at home. " * 4
    long_a, long_b = head + "Then came the mugging.", head + "He took the house."
    short = "He took the house."
    out_a, out_b, out_short = predictor.predict([long_a, long_b, short])
    # a text within the budget: one window, the output as before (no warnings)
    assert out_short == predictor.predict_prepared([predictor.builder.prepare(short)])[0]
    assert "warnings" not in out_short
    # texts alike in their first 16 tokens but not after: no longer the same scores
    assert out_a["scores"] != out_b["scores"]
    windows = predictor.prepare(long_a)
    assert len(windows) > 1 and [a for a, _ in windows] == sorted(a for a, _ in windows)
    assert out_a["warnings"] == [
        f"the text is longer than the 16 tokens the model reads at once: read in "
        f"{len(windows)} windows cut at sentence ends, the windows' logits averaged"
    ]
    logits, _ = predictor._forward([p for _, p in windows])
    expected = torch.softmax(logits.mean(0), -1).tolist()
    names = [predictor.id2label[i] for i in range(len(expected))]
    assert out_a["scores"] == {n: round(v, 4) for n, v in zip(names, expected, strict=True)}
    assert out_a["label"] == max(out_a["scores"], key=out_a["scores"].__getitem__)
    # the concepts of the windows at their places in the whole text
    for concept in out_a["concepts"]:
        assert long_a[concept["start"] : concept["end"]] == concept["text"]
    assert "mugging" in {c["text"] for c in out_a["concepts"]}
    assert predictor.predict([long_a]) == [out_a]  # deterministic


def test_windows_combine_by_mean_logits_or_by_the_highest_per_label() -> None:
    logits = torch.tensor([[2.0, -1.0, 0.0], [0.0, 3.0, -2.0]])
    single = SimpleNamespace(problem_type="single_label_classification")
    multi = SimpleNamespace(problem_type="multi_label_classification")
    assert TaskPredictor.combine_windows(single, logits).tolist() == [1.0, 1.0, -1.0]  # type: ignore[arg-type]
    assert TaskPredictor.combine_windows(multi, logits).tolist() == [2.0, 3.0, 0.0]  # type: ignore[arg-type]


# ------------------------------------------------------------------------ small ontology
def _small_graph() -> GraphTensors:
    """Five classes: three subClassOf triples and one partOf triple."""
    return GraphTensors(
        node_iris=[f"http://x/{i}" for i in range(5)],
        node_type=torch.zeros(5, dtype=torch.long),
        node_type_names=["Class"],
        edge_index=torch.tensor([[0, 1, 2, 3], [1, 2, 3, 4]]),
        edge_type=torch.tensor([0, 0, 0, 1]),
        relation_names=["subClassOf", "partOf"],
        edge_weight=torch.ones(4),
        fingerprint="fp-small",
    )


def test_split_edges_holds_out_one_triple_of_small_relations_only_when_asked() -> None:
    graph = _small_graph()
    plain = split_edges(graph, list(graph.relation_names))
    assert plain.valid.numel() == 0 and plain.train_graph.num_edges == 4  # as before
    split = split_edges(graph, list(graph.relation_names), min_valid=1)
    # one of subClassOf's three; partOf has one triple only, which stays in training
    assert split.valid.tolist() in ([[0, 0, 1]], [[1, 0, 2]], [[2, 0, 3]])
    assert split.train_graph.num_edges == 3
    assert split.train_graph.fingerprint != plain.train_graph.fingerprint


def test_a_small_graphs_validation_triple_is_left_out_of_the_training_triples() -> None:
    graph = _small_graph()
    data = _prepare_data(
        graph,
        GraphEncoderConfig(hidden_dim=8, seed=0),
        None,
        None,
        valid_frac=0.05,
        test_frac=0.05,
        max_valid_triples=None,
        max_test_triples=None,
        text_features=None,
    )
    held_out = {tuple(t) for t in data.valid.tolist()}
    assert len(held_out) == 1 and data.fallback["min_valid"] == 1
    assert held_out.isdisjoint(tuple(t) for t in data.train.tolist())
    assert data.train.size(0) == 3  # the other four triples less the held-out one


def test_graph_embeddings_of_a_graph_too_small_to_validate_train_without_early_stopping(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    graph = GraphTensors(
        node_iris=["http://x/a", "http://x/b", "http://x/c"],
        node_type=torch.zeros(3, dtype=torch.long),
        node_type_names=["Class"],
        edge_index=torch.tensor([[1], [0]]),
        edge_type=torch.tensor([0]),
        relation_names=["subClassOf"],
        edge_weight=torch.ones(1),
        fingerprint="fp-one-edge",
    )
    config = GraphEncoderConfig(hidden_dim=8, seed=0)
    with caplog.at_level(logging.WARNING, logger="train.embed"):
        result = train_graph_embedder(graph, config, tmp_path, epochs=3, progress=False)
    assert "too small to hold out a validation triple" in caplog.text
    assert (result.epochs_run, result.best_epoch, result.stopped_early) == (3, 3, False)
    assert result.embeddings.shape == (3, 8)
    report = json.loads(
        (tmp_path / "metrics.json").read_text(), parse_constant=lambda c: pytest.fail(c)
    )
    assert report["best_valid_mrr"] is None and report["run"]["validation"] is False
    assert all("valid_mrr" not in h for h in report["history"])
    again = train_graph_embedder(graph, config, tmp_path, epochs=3, progress=False)  # resumes
    assert torch.equal(again.embeddings, result.embeddings)
    no_edge = GraphTensors(
        node_iris=graph.node_iris,
        node_type=graph.node_type,
        node_type_names=graph.node_type_names,
        edge_index=torch.zeros(2, 0, dtype=torch.long),
        edge_type=torch.zeros(0, dtype=torch.long),
        relation_names=[],
        edge_weight=torch.ones(0),
        fingerprint="fp-no-edge",
    )
    with pytest.raises(ValueError, match="no triple between its concepts.*text_only"):
        train_graph_embedder(no_edge, config, tmp_path / "none", epochs=3, progress=False)
    assert not (tmp_path / "none").exists()


def test_a_small_user_ontology_trains_text_only_without_embeddings_and_with_them(
    legal_task_env: LegalTaskEnv, tmp_path: Path
) -> None:
    (tmp_path / "small.ttl").write_text(SMALL_TTL, encoding="utf-8")
    kg = tmp_path / "small_kg"
    build_kg([tmp_path / "small.ttl"], kg, progress=False)
    data = write_jsonl(
        tmp_path / "d.jsonl",
        [
            {"text": "a theft", "label": "theft"},
            {"text": "the robbery", "label": "robbery"},
            {"text": "an assault", "label": "assault"},
        ],
    )
    home = tmp_path / "home"

    def config(out: str, fusion: str) -> TaskConfig:
        return load_config(
            None,
            legal_task_env.overrides(
                f"data={data}",
                f"kg={kg}",
                f"output={tmp_path / out}",
                f"model.fusion={fusion}",
                "train.epochs=1",
            ),
            schema=TaskConfig,
        )

    result = train_task(config("text", "text_only"), home=home, progress=False)
    assert result.labels == ["assault", "robbery", "theft"]
    assert not (home / "embeddings").exists()  # text_only reads no graph embedding
    result = train_task(config("entity", "entity_token"), home=home, progress=False)
    assert result.linked_fraction == 1.0
    (metrics,) = (home / "embeddings").glob("*/metrics.json")
    assert json.loads(metrics.read_text())["run"]["validation"] is False
    predictor = TaskPredictor.load(tmp_path / "entity")
    assert predictor.predict(["the robbery"])[0]["concepts"][0]["text"] == "robbery"


# ------------------------------------------------------------------------ epoch boundary
def test_a_run_ending_at_an_epoch_end_writes_one_epoch_and_valid_json(
    legal_task_env: LegalTaskEnv, tmp_path: Path
) -> None:
    data = EXAMPLES / "legal_valid.jsonl"  # 12 texts in batches of 4: 3 steps an epoch
    result = train_task(
        legal_task_env.config(
            data,
            tmp_path / "m",
            "model.fusion=kg_only",
            "train.batch_size=4",
            "train.max_steps=3",
            "train.epochs=3",
            f"valid={data}",
        ),
        home=legal_task_env.home,
        progress=False,
    )
    assert (result.epochs, result.steps, len(result.history)) == (1, 3, 1)
    assert result.stopped_by == "steps"
    text = (tmp_path / "m" / "training.json").read_text()
    training = json.loads(text, parse_constant=lambda c: pytest.fail(f"{c} in training.json"))
    assert training["epochs"] == 1 and len(training["history"]) == 1


# ------------------------------------------------------------------------ failed runs
def test_a_failed_run_leaves_no_folder_it_made(
    legal_task_env: LegalTaskEnv, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "a", "label": "x"}\nnot json\n', encoding="utf-8")
    good = EXAMPLES / "legal_valid.jsonl"
    cases = [
        ("bad data", legal_task_env.config(bad, tmp_path / "m1"), "bad.jsonl:2"),
        (
            "missing data file",
            legal_task_env.config(tmp_path / "none.jsonl", tmp_path / "m2"),
            "data file not found",
        ),
        (
            "missing KG",
            load_config(
                None,
                legal_task_env.overrides(
                    f"data={good}", f"kg={tmp_path / 'no_kg'}", f"output={tmp_path / 'm3'}"
                ),
                schema=TaskConfig,
            ),
            "no knowledge graph at",
        ),
        (
            "kg_only tags no tokens",
            legal_task_env.config(
                good,
                tmp_path / "m4",
                "task=token-classification",
                "model.fusion=kg_only",
            ),
            "reads no text",
        ),
    ]
    for name, config, message in cases:
        with pytest.raises((ValueError, FileNotFoundError, KGNotFoundError), match=message):
            train_task(config, home=legal_task_env.home, progress=False)
        assert not Path(config.output).exists(), name  # type: ignore[arg-type]
    # a folder that was there before stays, with what it held
    before = tmp_path / "kept"
    before.mkdir()
    (before / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="bad.jsonl:2"):
        train_task(legal_task_env.config(bad, before), home=legal_task_env.home, progress=False)
    assert sorted(p.name for p in before.iterdir()) == [".lock", "notes.txt"]
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValueError, match="bad.jsonl:2"):
        train_task(legal_task_env.config(bad, empty), home=legal_task_env.home, progress=False)
    assert empty.is_dir()


# ------------------------------------------------------------------------ spans
def test_gold_spans_no_tagging_decodes_are_counted_and_warned_about(
    legal_task_env: LegalTaskEnv, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(legal_task_env.encoder))
    data = write_jsonl(
        tmp_path / "s.jsonl",
        [
            {"text": "He took the house.", "spans": [{"start": 12, "end": 17, "label": "o"}]},
            {  # glued to a span of the same label: decoded as one span
                "text": "theftburglary here",
                "spans": [
                    {"start": 0, "end": 5, "label": "o"},
                    {"start": 5, "end": 13, "label": "o"},
                ],
            },
            {  # inside a word: decoded widened to the whole word
                "text": "antiburglary act",
                "spans": [{"start": 4, "end": 12, "label": "o"}],
            },
        ],
    )
    examples = load_task_data("token-classification", data).train
    undecodable_spans = task_training.undecodable_spans
    bad, total, first = undecodable_spans(examples, tokenizer, 64)
    assert (bad, total) == (3, 4)
    assert first == "line 2: 'theft' (0-5 o)"
    assert undecodable_spans(examples[:1], tokenizer, 64) == (0, 1, "")
    with caplog.at_level(logging.WARNING, logger="train.task_training"):
        train_task(
            legal_task_env.config(
                data,
                tmp_path / "m",
                "task=token-classification",
                "model.fusion=text_only",
                "train.max_steps=1",
            ),
            home=legal_task_env.home,
            progress=False,
        )
    (warning,) = [r.getMessage() for r in caplog.records if "cannot be decoded" in r.getMessage()]
    assert warning.startswith("3 of 4 training spans cannot be decoded")
    assert "line 2: 'theft' (0-5 o)" in warning


def test_training_json_is_written_whole(
    legal_task_env: LegalTaskEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import kg.atomic

    renamed: list[Path] = []
    real_replace = kg.atomic.os.replace

    def replace(src: str, dst: str) -> None:  # a temporary file renamed onto the target
        renamed.append(Path(dst))
        real_replace(src, dst)

    monkeypatch.setattr(kg.atomic.os, "replace", replace)
    data = EXAMPLES / "legal_valid.jsonl"
    config = legal_task_env.config(
        data, tmp_path / "m", "model.fusion=kg_only", "train.max_steps=1", "train.epochs=1"
    )
    train_task(config, home=legal_task_env.home, progress=False)
    assert tmp_path / "m" / "training.json" in renamed


def test_no_linked_concept_in_any_training_text_is_warned_about(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from types import SimpleNamespace

    from train.task_training import _linked_fraction

    data = SimpleNamespace(valid=[])
    unlinked = [SimpleNamespace(input=SimpleNamespace(concepts=())) for _ in range(3)]
    with caplog.at_level("WARNING", logger="train.task_training"):
        assert _linked_fraction(unlinked, data) == 0.0  # type: ignore[arg-type]
    assert "no training text names a concept of the KG" in caplog.text
    caplog.clear()
    with caplog.at_level("WARNING", logger="train.task_training"):
        _linked_fraction(unlinked, data, reads_kg=False)  # type: ignore[arg-type]
        linked = [*unlinked, SimpleNamespace(input=SimpleNamespace(concepts=("x",)))]
        assert _linked_fraction(linked, data) == 0.25  # type: ignore[arg-type]
    assert "no training text" not in caplog.text  # a text-only model, or one text linked
