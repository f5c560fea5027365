"""Model inputs: one patient as text, linked concepts and retrieved facts, and their batching.

A :class:`PatientInput` is what every fusion mechanism reads; :class:`PatientCollator` turns a
list of them into the tensors of :meth:`fusion.model.KgFusionForDiagnosis.forward`, aligning
each mention's character span with the tokens it covers (offset mapping of a fast tokenizer).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import Tensor

from encoders.tokenizing import tokenize

#: Status codes of linked concepts (0 is padding).
PRESENT, EXCLUDED = 1, 2
#: The token axis of the tensors of a collated batch that have one.
_TOKEN_AXIS = {
    "input_ids": 1,
    "attention_mask": 1,
    "token_type_ids": 1,
    "offset_mapping": 1,
    "entity_tokens": 2,
}
#: Tensors of a collated batch whose axis 1 is the entity (linked concept) axis.
_ENTITY_KEYS = frozenset({"entity_ids", "entity_status", "entity_tokens"})


@dataclass
class ConceptMention:
    """A linked concept: graph node row, status, and its character span in the text (if any)."""

    node: int
    excluded: bool = False
    start: int = -1
    end: int = -1


@dataclass
class PatientInput:
    """Everything the fused model reads about one patient.

    Attributes:
        text: the clinical text (rendered from terms for structured input).
        concepts: linked concepts with status and spans.
        fact_vectors: ``(K, fact_dim)`` vectors of the retrieved facts (may be empty).
        prior: ``(num_candidates,)`` symbolic prior scores, or None.
        label: index of the true candidate, or -1 when unknown.
    """

    text: str
    concepts: list[ConceptMention] = field(default_factory=list)
    fact_vectors: np.ndarray | None = None
    prior: np.ndarray | None = None
    label: int = -1


class PatientCollator:
    """Batches :class:`PatientInput` objects into model tensors.

    Args:
        tokenizer: a fast Hugging Face tokenizer (offset mappings are needed); None for
            KG-only models.
        max_length: token budget per text. (default: ``128``)
        max_concepts: linked concepts kept per patient. (default: ``32``)
        num_facts: fact slots per patient. (default: ``16``)
        fact_dim: dimension of fact vectors. (default: ``128``)
        keep_offsets: also return the tokens' character ``offset_mapping`` ``(B, T, 2)``
            (token-level heads need it; it is not a model input). (default: ``False``)
    """

    def __init__(
        self,
        tokenizer: Any = None,
        *,
        max_length: int = 128,
        max_concepts: int = 32,
        num_facts: int = 16,
        fact_dim: int = 128,
        keep_offsets: bool = False,
    ) -> None:
        if tokenizer is not None and not getattr(tokenizer, "is_fast", False):
            raise ValueError("PatientCollator needs a fast tokenizer (for offset mappings)")
        self.tokenizer = tokenizer
        self.max_length = max_length
        self.max_concepts = max_concepts
        self.num_facts = num_facts
        self.fact_dim = fact_dim
        self.keep_offsets = keep_offsets

    def __call__(self, items: Sequence[PatientInput]) -> dict[str, Tensor]:
        b = len(items)
        e = max(1, min(self.max_concepts, max((len(i.concepts) for i in items), default=1)))
        entity_ids = torch.zeros(b, e, dtype=torch.long)
        entity_status = torch.zeros(b, e, dtype=torch.long)
        for r, item in enumerate(items):
            for c, mention in enumerate(item.concepts[:e]):
                entity_ids[r, c] = mention.node
                entity_status[r, c] = EXCLUDED if mention.excluded else PRESENT
        batch: dict[str, Tensor] = {"entity_ids": entity_ids, "entity_status": entity_status}
        if self.tokenizer is not None:
            enc = tokenize(
                self.tokenizer,
                [i.text for i in items],
                padding=True,
                truncation=True,
                max_length=self.max_length,
                return_offsets_mapping=True,
                return_tensors="pt",
            )
            offsets = enc.pop("offset_mapping")
            batch["input_ids"] = enc["input_ids"]
            batch["attention_mask"] = enc["attention_mask"]
            t = enc["input_ids"].shape[1]
            tokens = torch.zeros(b, e, t)
            starts, ends = offsets[..., 0], offsets[..., 1]
            real = ends > starts  # special tokens have empty offsets
            for r, item in enumerate(items):
                for c, mention in enumerate(item.concepts[:e]):
                    if mention.start < 0:
                        continue
                    hit = real[r] & (starts[r] < mention.end) & (ends[r] > mention.start)
                    tokens[r, c] = hit.float()
            batch["entity_tokens"] = tokens
            if self.keep_offsets:
                batch["offset_mapping"] = offsets
        k = self.num_facts
        facts = torch.zeros(b, k, self.fact_dim)
        fact_mask = torch.zeros(b, k, dtype=torch.bool)
        for r, item in enumerate(items):
            if item.fact_vectors is not None and len(item.fact_vectors):
                n = min(k, len(item.fact_vectors))
                facts[r, :n] = torch.from_numpy(np.asarray(item.fact_vectors[:n], dtype=np.float32))
                fact_mask[r, :n] = True
        batch["fact_vectors"] = facts
        batch["fact_mask"] = fact_mask
        priors = [i.prior for i in items if i.prior is not None]
        if len(priors) == len(items):
            batch["prior"] = torch.from_numpy(np.stack(priors).astype(np.float32))
        if all(i.label >= 0 for i in items):
            batch["labels"] = torch.tensor([i.label for i in items], dtype=torch.long)
        return batch

    def read_tokens(self, text: str) -> tuple[int, int]:
        """``(read, total)``: how many tokens of ``text`` (special tokens included) the
        model reads, at most :attr:`max_length`, and how many the text has. Needs the
        tokenizer."""
        if self.tokenizer is None:
            raise ValueError("a collator without a tokenizer reads no text")
        total = len(tokenize(self.tokenizer, text, truncation=False, verbose=False)["input_ids"])
        return min(total, self.max_length), total


def split_rows(batch: dict[str, Tensor]) -> list[dict[str, Tensor]]:
    """The rows of a batch made by :class:`PatientCollator`, each as the collator makes it
    for that input alone: the padding of its tokens (by the attention mask) and of its
    linked concepts (status 0 after its own) taken out. Other per-row tensors are cut to
    the row; anything else is kept as it is.

    A model whose scores depend on the batch (int8 dynamic quantization,
    :func:`fusion.pipeline.resolve_precision`) gives each row its own scores this way, one
    forward per row.
    """
    tensors = [v for v in batch.values() if torch.is_tensor(v) and v.dim() > 0]
    if not tensors:
        return [dict(batch)]
    b = tensors[0].shape[0]
    status = batch.get("entity_status")
    mask = batch.get("attention_mask")
    rows = []
    for r in range(b):
        entities = None
        if status is not None and status.dim() == 2:
            entities = max(1, int((status[r] > 0).sum()))
        tokens = None if mask is None else mask[r].nonzero().squeeze(1)
        row: dict[str, Tensor] = {}
        for key, value in batch.items():
            if not torch.is_tensor(value) or value.dim() == 0 or value.shape[0] != b:
                row[key] = value
                continue
            value = value[r : r + 1]
            if entities is not None and key in _ENTITY_KEYS:
                value = value.narrow(1, 0, min(entities, value.shape[1]))
            if tokens is not None and key in _TOKEN_AXIS:
                value = value.index_select(_TOKEN_AXIS[key], tokens)
            row[key] = value
        rows.append(row)
    return rows
