"""Fixtures of the training tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def mini_hpo_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home with the mini HPO KG and its fact index (``tests.mini_hpo_env``)."""
    from tests.mini_hpo_env import make_mini_hpo_home

    return make_mini_hpo_home(tmp_path_factory.mktemp("mini_hpo_home"))


@pytest.fixture
def restore_threads():
    """Give torch its thread count back after a test whose training config set it."""
    import torch

    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)
