"""A built mini HPO KG and a tiny trained diagnosis model, shared by the face's tests."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from kg.store import build_kg
from tests.mini_hpo_env import FACE_DIAGNOSIS

if TYPE_CHECKING:
    from kgfuse.qa import QAService

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.fixture(scope="session")
def mini_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A kgfuse home holding the mini HPO KG (``kgs/hpo``)."""
    home = tmp_path_factory.mktemp("qa-home")
    build_kg(["hpo"], home / "kgs" / "hpo", hpo_dir=FIXTURES / "hpo_mini", progress=False)
    return home


@pytest.fixture(scope="session")
def mini_model(mini_home: Path) -> Path:
    """A tiny KG-only diagnosis model trained on the mini KG (a few seconds)."""
    from train.config import load_config
    from train.diagnosis import train_diagnosis

    config = load_config(
        None,
        [
            f"kg={mini_home / 'kgs' / 'hpo'}",
            f"output={mini_home / 'models' / 'diagnosis'}",
            *FACE_DIAGNOSIS,
        ],
    )
    train_diagnosis(config, home=mini_home, progress=False)
    return mini_home / "models" / "diagnosis"


@pytest.fixture(scope="session")
def mini_qa(mini_home: Path, mini_model: Path) -> QAService:
    """The QA service over the mini KG and model, unaudited (for tests that only ask)."""
    from kgfuse.qa import QAService

    return QAService(mini_home / "kgs" / "hpo", mini_model, mini_home, audit=False)
