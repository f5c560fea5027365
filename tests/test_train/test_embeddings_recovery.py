"""Saved graph embeddings that a kill or damage left incomplete: ``ensure_embeddings`` makes
them again (the same values as an uninterrupted run), and damaged files are named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

import encoders.graph_model as graph_model
from encoders.graph_model import (
    EMBEDDINGS_FILE,
    EMBEDDINGS_META_FILE,
    GraphEncoderConfig,
    load_node_embeddings,
)
from kg.knowledge_graph import KnowledgeGraph
from kg.store import build_kg
from train.config import load_config
from train.diagnosis import embeddings_dir, ensure_embeddings
from train.embed import CHECKPOINT_FILE, train_graph_embedder

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


class Killed(BaseException):
    """Stands for a SIGKILL: nothing after it runs, and no ``except Exception`` sees it."""


@pytest.fixture(scope="module")
def kg(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeGraph:
    folder = tmp_path_factory.mktemp("kg") / "hpo"
    build_kg(["hpo"], folder, hpo_dir=FIXTURES / "hpo_mini", progress=False)
    return KnowledgeGraph.open(folder)


def _config(kg: KnowledgeGraph):
    return load_config(None, [f"kg={kg.path}", "embedding.epochs=2", "embedding.hidden_dim=16"])


@pytest.fixture(scope="module")
def reference(kg: KnowledgeGraph, tmp_path_factory: pytest.TempPathFactory) -> torch.Tensor:
    """The embeddings of an uninterrupted run."""
    return ensure_embeddings(kg, _config(kg), tmp_path_factory.mktemp("ref"), progress=False)


def test_a_kill_between_the_two_embedding_files_is_recovered(
    kg: KnowledgeGraph, reference: torch.Tensor, tmp_path: Path, monkeypatch
) -> None:
    written: list[str] = []

    def dies_at_the_second_file(real):
        def write(content, path, *rest):
            if path.name in (EMBEDDINGS_FILE, EMBEDDINGS_META_FILE):
                written.append(path.name)
                if len(written) == 2:
                    raise Killed
            return real(content, path, *rest)

        return write

    for name in ("atomic_write_text", "atomic_save_tensors"):
        monkeypatch.setattr(graph_model, name, dies_at_the_second_file(getattr(graph_model, name)))
    config = _config(kg)
    with pytest.raises(Killed):
        ensure_embeddings(kg, config, tmp_path, progress=False)
    monkeypatch.undo()
    folder = embeddings_dir(kg, config, tmp_path)
    assert len(written) == 2 and (folder / CHECKPOINT_FILE).is_file()
    again = ensure_embeddings(kg, config, tmp_path, progress=False)  # no FileNotFoundError
    assert torch.equal(again, reference)
    assert torch.equal(load_node_embeddings(folder, kg.graph), reference)


def test_metadata_of_another_save_is_told_apart(
    kg: KnowledgeGraph, reference: torch.Tensor, tmp_path: Path
) -> None:
    graph_model.save_node_embeddings(tmp_path, reference, kg.graph, extra={"run": 1})
    meta = json.loads((tmp_path / EMBEDDINGS_META_FILE).read_text())
    # a later save of other embeddings wrote its metadata and was killed before its tensor
    (tmp_path / EMBEDDINGS_META_FILE).write_text(json.dumps({**meta, "run": 2}))
    with pytest.raises(ValueError, match=EMBEDDINGS_META_FILE):
        load_node_embeddings(tmp_path, kg.graph)


def test_a_truncated_embeddings_file_is_named(
    kg: KnowledgeGraph, reference: torch.Tensor, tmp_path: Path
) -> None:
    graph_model.save_node_embeddings(tmp_path, reference, kg.graph)
    path = tmp_path / EMBEDDINGS_FILE
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(ValueError, match=EMBEDDINGS_FILE):
        load_node_embeddings(tmp_path, kg.graph)


def test_embeddings_that_are_not_finite_are_refused(
    kg: KnowledgeGraph, reference: torch.Tensor, tmp_path: Path
) -> None:
    diverged = reference.clone()
    diverged[0, 0] = float("nan")
    graph_model.save_node_embeddings(tmp_path, diverged, kg.graph)
    with pytest.raises(ValueError, match="not finite numbers"):
        load_node_embeddings(tmp_path, kg.graph)


def test_a_damaged_checkpoint_is_named_with_what_to_do(kg: KnowledgeGraph, tmp_path: Path) -> None:
    config = GraphEncoderConfig(hidden_dim=16)
    train_graph_embedder(kg.graph, config, tmp_path, epochs=1, progress=False)
    checkpoint = tmp_path / CHECKPOINT_FILE
    checkpoint.write_bytes(checkpoint.read_bytes()[:200])
    with pytest.raises(ValueError, match=rf"{CHECKPOINT_FILE}.*delete it"):
        train_graph_embedder(kg.graph, config, tmp_path, epochs=2, progress=False)
