"""Fixtures of the fusion tests: the legal KG built once and a tiny random text encoder."""

from __future__ import annotations

from pathlib import Path

import pytest

from encoders.text import TextEncoder, TextEncoderConfig
from kg.knowledge_graph import KnowledgeGraph
from kg.store import build_kg
from tests.tiny_bert import LETTERS, write_tiny_bert

#: Words of the legal fixture's labels, so the tiny tokenizer makes whole-word pieces.
_WORDS = [
    "theft",
    "burglary",
    "robbery",
    "assault",
    "common",
    "offence",
    "property",
    "against",
    "person",
    "element",
    "statutory",
    "provision",
    "penalty",
    "dishonesty",
    "appropriation",
    "force",
    "use",
    "entry",
    "trespasser",
    "recklessness",
    "intention",
    "deprive",
    "act",
    "section",
    "has",
    "defined",
    "in",
    "is",
    "not",
    "the",
    "of",
    "a",
    "an",
    "to",
    "up",
    "years",
]


def make_tiny_encoder(folder: Path) -> Path:
    """A random 2-layer BERT (hidden 32): fixture words plus letters and digits as pieces."""
    return write_tiny_bert(
        folder,
        _WORDS,
        pieces=LETTERS + "0123456789",
        extra=(",", ":", "."),
        max_position_embeddings=128,
    )


@pytest.fixture(scope="session")
def tiny_encoder(tmp_path_factory: pytest.TempPathFactory) -> TextEncoder:
    """A tiny random BERT text encoder (hidden 32, fp32, CPU)."""
    folder = make_tiny_encoder(tmp_path_factory.mktemp("tiny_bert"))
    return TextEncoder(TextEncoderConfig(model_path=str(folder), precision="fp32", device="cpu"))


@pytest.fixture(scope="session")
def legal_kg_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The legal fixture ontology built into a KG folder (once per session)."""
    source = Path(__file__).parents[1] / "fixtures" / "legal" / "legal.ttl"
    dest = tmp_path_factory.mktemp("legal") / "kg"
    build_kg([source], dest, progress=False)
    return dest


@pytest.fixture
def legal_kg(legal_kg_dir: Path) -> KnowledgeGraph:
    """The legal KG, opened read-only."""
    return KnowledgeGraph.open(legal_kg_dir)
