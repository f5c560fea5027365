"""Fixtures of the training tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def mini_hpo_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home with the mini HPO KG and its fact index (``tests.mini_hpo_env``)."""
    from tests.mini_hpo_env import make_mini_hpo_home

    return make_mini_hpo_home(tmp_path_factory.mktemp("mini_hpo_home"))


@pytest.fixture(scope="module")
def kg(tmp_path_factory: pytest.TempPathFactory):
    """The mini HPO KG (``tests/fixtures/hpo_mini``), built once per module."""
    from kg.knowledge_graph import KnowledgeGraph
    from kg.store import build_kg

    dest = tmp_path_factory.mktemp("kg") / "hpo_mini"
    hpo_dir = Path(__file__).resolve().parents[1] / "fixtures" / "hpo_mini"
    build_kg(["hpo"], dest, hpo_dir=hpo_dir, progress=False)
    return KnowledgeGraph.open(dest)


@pytest.fixture(scope="module")
def hierarchy(kg):
    """The term hierarchy of the mini HPO KG."""
    return kg.hierarchy


@pytest.fixture
def restore_threads():
    """Give torch its thread count back after a test whose training config set it."""
    import torch

    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


@pytest.fixture
def kill_at_checkpoint(monkeypatch: pytest.MonkeyPatch):
    """``arm(n)``: the training loop's n-th checkpoint is written, then the run is killed
    (KeyboardInterrupt); ``arm`` returns ``disarm()``, which puts the real writer back."""
    import train.loop as loop_module

    real = loop_module.write_checkpoint

    def arm(n: int):
        calls = {"n": 0}

        def write_then_die(*args, **kwargs):
            real(*args, **kwargs)
            calls["n"] += 1
            if calls["n"] == n:
                raise KeyboardInterrupt("simulated kill")

        monkeypatch.setattr(loop_module, "write_checkpoint", write_then_die)
        return lambda: monkeypatch.setattr(loop_module, "write_checkpoint", real)

    return arm
