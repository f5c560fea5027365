"""Task heads on the fused model: text classification and token classification.

Both heads sit on :class:`fusion.model.KgFusionModel`, so every fusion mechanism (gated
cross-attention to retrieved facts, entity-token fusion, and the ablations) works under
them unchanged. They follow the transformers contract: a config holding the label set
(``id2label`` / ``label2id``), ``save_pretrained`` / ``from_pretrained``, and ``ModelOutput``
dataclasses; :func:`fusion.model.register_auto_classes` registers them with
``AutoModelForSequenceClassification`` and ``AutoModelForTokenClassification``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch.nn.functional as F
from torch import Tensor, nn
from transformers.utils import ModelOutput

from fusion.config import KgFusionTaskConfig
from fusion.model import KgFusionModel, KgFusionPreTrainedModel, PatientEncoderOutput

__all__ = [
    "PROBLEM_TYPES",
    "KgFusionForSequenceClassification",
    "KgFusionForTokenClassification",
    "SequenceClassificationOutput",
    "TokenClassificationOutput",
]

#: ``problem_type`` values of text classification (transformers' names).
PROBLEM_TYPES = ("single_label_classification", "multi_label_classification", "regression")
#: Label of token positions that do not count in the loss (special tokens, padding).
IGNORE_INDEX = -100


@dataclass
class SequenceClassificationOutput(ModelOutput):
    """Output of :class:`KgFusionForSequenceClassification`.

    Attributes:
        loss: the loss of ``problem_type`` when ``labels`` are given.
        logits: ``(B, num_labels)`` scores before softmax / sigmoid.
        embeddings: ``(B, hidden_dim)`` the pooled, fused text vectors.
        fact_attention: ``(B, K)`` attention over the retrieved facts (cross-attention only).
    """

    loss: Tensor | None = None
    logits: Tensor | None = None
    embeddings: Tensor | None = None
    fact_attention: Tensor | None = None


@dataclass
class TokenClassificationOutput(ModelOutput):
    """Output of :class:`KgFusionForTokenClassification`.

    Attributes:
        loss: token cross-entropy when ``labels`` are given (positions labelled ``-100``
            are left out).
        logits: ``(B, T, num_labels)`` tag scores per token.
        fact_attention: ``(B, K)`` attention over the retrieved facts (cross-attention only).
    """

    loss: Tensor | None = None
    logits: Tensor | None = None
    fact_attention: Tensor | None = None


class _TaskModel(KgFusionPreTrainedModel):
    """Shared part of the task heads: the fused encoder and its call."""

    config_class = KgFusionTaskConfig  # type: ignore[assignment]

    def __init__(self, config: KgFusionTaskConfig, text_encoder: nn.Module | None = None) -> None:
        super().__init__(config)
        self.kgfusion = KgFusionModel(config, text_encoder)

    def encode(
        self,
        input_ids: Tensor | None,
        attention_mask: Tensor | None,
        entity_ids: Tensor | None,
        entity_status: Tensor | None,
        entity_tokens: Tensor | None,
        fact_vectors: Tensor | None,
        fact_mask: Tensor | None,
    ) -> PatientEncoderOutput:
        return self.kgfusion(
            input_ids=input_ids,
            attention_mask=attention_mask,
            entity_ids=entity_ids,
            entity_status=entity_status,
            entity_tokens=entity_tokens,
            fact_vectors=fact_vectors,
            fact_mask=fact_mask,
        )


class KgFusionForSequenceClassification(_TaskModel):
    r"""The fused model with a linear classifier on its pooled text vector.

    .. math::
        z = W p + b,\qquad
        \mathcal{L} = \begin{cases}
            \mathrm{CE}(\mathrm{softmax}(z), y) & \text{single label} \\
            \sum_l \mathrm{BCE}(\sigma(z_l), y_l) / L & \text{multi-label} \\
            \mathrm{MSE}(z, y) & \text{regression}
        \end{cases}

    where :math:`p` is :class:`~fusion.model.KgFusionModel`'s fused, pooled text vector.
    ``config.problem_type`` picks the loss; when it is unset, the first labelled batch fixes
    it as transformers does (one output: regression; integer labels: single label; float
    label vectors: multi-label).

    Args:
        config: a :class:`~fusion.config.KgFusionTaskConfig` with the label set.
        text_encoder: an already loaded ``AutoModel``, or None to build it from the config.

    Shapes:
        - the inputs of :class:`~fusion.model.KgFusionModel`;
          labels: :math:`(B,)` long (single label) or :math:`(B, L)` float (multi-label).
        - logits: :math:`(B, L)`.
    """

    def __init__(self, config: KgFusionTaskConfig, text_encoder: nn.Module | None = None) -> None:
        super().__init__(config, text_encoder)
        if config.problem_type is not None and config.problem_type not in PROBLEM_TYPES:
            raise ValueError(
                f"unknown problem_type {config.problem_type!r}; choose one of {PROBLEM_TYPES}"
            )
        self.num_labels = int(config.num_labels or 0)
        self.classifier = nn.Linear(config.hidden_dim, self.num_labels)
        self.post_init()

    def forward(
        self,
        input_ids: Tensor | None = None,
        attention_mask: Tensor | None = None,
        entity_ids: Tensor | None = None,
        entity_status: Tensor | None = None,
        entity_tokens: Tensor | None = None,
        fact_vectors: Tensor | None = None,
        fact_mask: Tensor | None = None,
        labels: Tensor | None = None,
        **kwargs: Any,
    ) -> SequenceClassificationOutput:
        enc = self.encode(
            input_ids,
            attention_mask,
            entity_ids,
            entity_status,
            entity_tokens,
            fact_vectors,
            fact_mask,
        )
        logits = self.classifier(enc.patient_embeddings)
        loss = self.loss(logits, labels) if labels is not None else None
        return SequenceClassificationOutput(
            loss, logits, enc.patient_embeddings, enc.fact_attention
        )

    def loss(self, logits: Tensor, labels: Tensor) -> Tensor:
        """The loss of ``config.problem_type`` (fixed from ``labels`` when unset)."""
        if self.config.problem_type is None:
            if self.num_labels == 1:
                self.config.problem_type = "regression"
            elif not labels.is_floating_point():
                self.config.problem_type = "single_label_classification"
            else:
                self.config.problem_type = "multi_label_classification"
        kind = self.config.problem_type
        if kind == "single_label_classification":
            return F.cross_entropy(logits.float(), labels.long().view(-1))
        if kind == "multi_label_classification":
            return F.binary_cross_entropy_with_logits(logits.float(), labels.float())
        return F.mse_loss(logits.float(), labels.float().reshape(logits.shape))


class KgFusionForTokenClassification(_TaskModel):
    r"""The fused model with a linear tagger on its token states (BIO tags, for NER).

    .. math::
        z_t = W h_t + b,\qquad \mathcal{L} = \frac{1}{|\{t: y_t \ne -100\}|}
        \sum_{t: y_t \ne -100} \mathrm{CE}(\mathrm{softmax}(z_t), y_t)

    where :math:`h_t` are the fused encoder's last token states: with entity-token fusion
    they carry the graph embeddings of the concepts linked at each token, with
    cross-attention the retrieved facts.

    Args:
        config: a :class:`~fusion.config.KgFusionTaskConfig` with the tag set (``O``,
            ``B-X``, ``I-X`` ...); a text encoder is needed (not ``kg_only``).
        text_encoder: an already loaded ``AutoModel``, or None to build it from the config.

    Shapes:
        - the inputs of :class:`~fusion.model.KgFusionModel`; labels: :math:`(B, T)` long.
        - logits: :math:`(B, T, L)`.
    """

    def __init__(self, config: KgFusionTaskConfig, text_encoder: nn.Module | None = None) -> None:
        if not config.uses_text:
            raise ValueError("token classification needs a text encoder (fusion != 'kg_only')")
        super().__init__(config, text_encoder)
        self.num_labels = int(config.num_labels or 0)
        encoder: Any = self.kgfusion.encoder
        self.dropout = nn.Dropout(config.dropout)
        self.classifier = nn.Linear(int(encoder.config.hidden_size), self.num_labels)
        self.post_init()

    def forward(
        self,
        input_ids: Tensor | None = None,
        attention_mask: Tensor | None = None,
        entity_ids: Tensor | None = None,
        entity_status: Tensor | None = None,
        entity_tokens: Tensor | None = None,
        fact_vectors: Tensor | None = None,
        fact_mask: Tensor | None = None,
        labels: Tensor | None = None,
        **kwargs: Any,
    ) -> TokenClassificationOutput:
        enc = self.encode(
            input_ids,
            attention_mask,
            entity_ids,
            entity_status,
            entity_tokens,
            fact_vectors,
            fact_mask,
        )
        logits = self.classifier(self.dropout(enc.token_states))
        loss = None
        if labels is not None:
            loss = F.cross_entropy(
                logits.float().reshape(-1, self.num_labels),
                labels.reshape(-1),
                ignore_index=IGNORE_INDEX,
            )
        return TokenClassificationOutput(loss, logits, enc.fact_attention)
