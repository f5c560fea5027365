"""A tiny random BERT (2 layers, hidden 32) with a small word-piece vocabulary, for tests."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import torch

LETTERS = "abcdefghijklmnopqrstuvwxyz"


def write_tiny_bert(
    folder: Path,
    words: Iterable[str],
    *,
    pieces: str = LETTERS,
    extra: Iterable[str] = (),
    max_position_embeddings: int = 128,
    **config: float,
) -> Path:
    """Write the model and tokenizer to ``folder``: whole ``words``, single ``pieces`` and
    their ``##`` continuations, so every test string tokenises without [UNK]."""
    from transformers import BertConfig, BertModel, BertTokenizer

    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *words, *pieces, *extra]
    vocab += [f"##{c}" for c in pieces]
    folder.mkdir(parents=True, exist_ok=True)
    tokenizer = BertTokenizer(vocab={w: i for i, w in enumerate(vocab)}, do_lower_case=True)
    tokenizer.save_pretrained(str(folder))
    torch.manual_seed(0)
    bert = BertConfig(
        vocab_size=len(vocab),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=37,
        max_position_embeddings=max_position_embeddings,
        **config,
    )
    BertModel(bert).save_pretrained(str(folder))
    return folder
