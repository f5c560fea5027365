"""Fixtures of the fusion tests: the legal KG built once and a tiny random text encoder."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from encoders.text import TextEncoder, TextEncoderConfig
from kg.knowledge_graph import KnowledgeGraph
from kg.store import build_kg

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
    """Write a random 2-layer BERT (hidden 32) with a small word-piece vocabulary to ``folder``.

    The same recipe as ``tests/test_encoders/test_text.py``: whole words of the fixture
    plus single letters and digits as pieces, so every label tokenises without [UNK].
    """
    from transformers import BertConfig, BertModel, BertTokenizer

    chars = "abcdefghijklmnopqrstuvwxyz0123456789"
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *_WORDS, *chars, ",", ":", "."]
    vocab += [f"##{c}" for c in chars]
    folder.mkdir(parents=True, exist_ok=True)
    tokenizer = BertTokenizer(vocab={w: i for i, w in enumerate(vocab)}, do_lower_case=True)
    tokenizer.save_pretrained(str(folder))
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=37,
        max_position_embeddings=128,
    )
    BertModel(config).save_pretrained(str(folder))
    return folder


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
