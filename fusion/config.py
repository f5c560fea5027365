"""Configuration of the fused model (a transformers ``PretrainedConfig``)."""

from __future__ import annotations

from typing import Any

from transformers import PretrainedConfig

#: Fusion mechanisms; ``text_only`` and ``kg_only`` are the two ablations of the same class.
#: They ablate the patient encoder only: every mechanism scores the candidates with the same
#: head, which reads each disease's graph embedding (the KG) and label text vector (the text
#: encoder), and adds the KG's likelihood-ratio prior (``use_prior``).
FUSION_MECHANISMS = ("cross_attention", "entity_token", "text_only", "kg_only")


class FusionConfig(PretrainedConfig):
    """Settings of :class:`fusion.model.KgFusionModel`.

    Args:
        fusion: one of ``FUSION_MECHANISMS``: gated cross-attention from token states to
            retrieved fact vectors inside the upper encoder layers, entity-token fusion
            (projected graph embeddings added at linked mention tokens, ERNIE-style), or the
            two patient-encoder ablations: ``text_only`` (the patient is its text alone: no
            retrieved facts, no linked concepts) and ``kg_only`` (the patient is its linked
            concepts' graph embeddings alone: no text encoder over the patient). These
            ablate only how the patient is encoded. The candidate side is shared by every
            mechanism and reads both sources: each disease is scored against its graph
            embedding (the KG, in ``text_only`` too) plus its label text vector from the
            text encoder (``label_text_dim``, in ``kg_only`` too), and the KG's
            likelihood-ratio prior is added (``use_prior``). So neither ablation is a
            text-only or KG-only model. (default: ``"cross_attention"``)
        text_config: the text encoder's own config as a dict (a BERT-family encoder such as
            all-MiniLM-L6-v2); None for ``kg_only``. (default: ``None``)
        fusion_layers: indices of the encoder layers after which fusion is applied; None
            means the upper third. (default: ``None``)
        freeze_layers: the embeddings and this many lower encoder layers are frozen.
            (default: ``4``)
        num_nodes: rows of the graph-embedding table (concepts, diseases, genes).
        node_dim: dimension of the graph embeddings. (default: ``128``)
        fact_dim: dimension of retrieved fact vectors. (default: ``128``)
        num_facts: facts retrieved per input. (default: ``16``)
        num_candidates: number of candidates of the diagnosis head (diseases).
        label_text_dim: dimension of the label text embeddings of candidates (0: none).
        hidden_dim: dimension of the patient and candidate representations. (default: ``256``)
        num_heads: attention heads of the fusion layers. (default: ``4``)
        dropout: dropout of the fusion and head layers. (default: ``0.1``)
        prior_weight_init: initial weight of the symbolic prior (summed log10 likelihood
            ratios) added to the logits; learned. ln(10) makes the untrained model's softmax
            the likelihood-ratio posterior. (default: ``2.302585``)
        neural_scale_init: initial weight of the neural patient-candidate similarity; small,
            so training starts from the symbolic ranking and learns a correction.
            (default: ``0.1``)
        use_prior: add the symbolic prior when it is given. (default: ``True``)
        loss_shortlist: train against the prior's first ``loss_shortlist`` candidates (and
            the true one) only, the decision the model makes when it re-ranks the prior's
            shortlist; 0: against every candidate. (default: ``0``)
        calibration_temperature: logit temperature fitted on validation data (calibration).
            (default: ``1.0``)
        kg_fingerprint: fingerprint of the KG the model was trained on.
    """

    model_type = "kgfuse"

    def __init__(
        self,
        fusion: str = "cross_attention",
        text_config: dict[str, Any] | None = None,
        fusion_layers: list[int] | None = None,
        freeze_layers: int = 4,
        num_nodes: int = 0,
        node_dim: int = 128,
        fact_dim: int = 128,
        num_facts: int = 16,
        num_candidates: int = 0,
        label_text_dim: int = 0,
        hidden_dim: int = 256,
        num_heads: int = 4,
        dropout: float = 0.1,
        prior_weight_init: float = 2.302585,
        neural_scale_init: float = 0.1,
        use_prior: bool = True,
        loss_shortlist: int = 0,
        calibration_temperature: float = 1.0,
        kg_fingerprint: str = "",
        **kwargs: Any,
    ) -> None:
        if fusion not in FUSION_MECHANISMS:
            raise ValueError(
                f"unknown fusion {fusion!r}; choose one of {', '.join(FUSION_MECHANISMS)}"
            )
        if fusion != "kg_only" and text_config is None and not kwargs.get("_allow_missing_text"):
            raise ValueError(f"fusion={fusion!r} needs a text_config (the text encoder's config)")
        kwargs.pop("_allow_missing_text", None)
        if hidden_dim % num_heads:
            raise ValueError("hidden_dim must be divisible by num_heads")
        self.fusion = fusion
        self.text_config = text_config
        self.fusion_layers = fusion_layers
        self.freeze_layers = freeze_layers
        self.num_nodes = num_nodes
        self.node_dim = node_dim
        self.fact_dim = fact_dim
        self.num_facts = num_facts
        self.label_text_dim = label_text_dim
        self.hidden_dim = hidden_dim
        self.num_heads = num_heads
        self.dropout = dropout
        self.prior_weight_init = prior_weight_init
        self.neural_scale_init = neural_scale_init
        self.use_prior = use_prior
        if loss_shortlist < 0:
            raise ValueError(f"loss_shortlist must be >= 0, got {loss_shortlist}")
        self.loss_shortlist = loss_shortlist
        self.calibration_temperature = calibration_temperature
        self.kg_fingerprint = kg_fingerprint
        self.num_candidates = num_candidates
        super().__init__(**kwargs)

    @property
    def uses_text(self) -> bool:
        return self.fusion != "kg_only"

    @property
    def uses_facts(self) -> bool:
        return self.fusion == "cross_attention"

    @property
    def uses_entities(self) -> bool:
        return self.fusion in ("entity_token", "kg_only")

    def resolved_fusion_layers(self, num_layers: int) -> list[int]:
        """Encoder layers after which fusion runs (the upper third by default)."""
        if self.fusion_layers is not None:
            bad = [i for i in self.fusion_layers if not 0 <= i < num_layers]
            if bad:
                raise ValueError(f"fusion_layers {bad} outside the encoder's {num_layers} layers")
            return sorted(set(self.fusion_layers))
        start = max(0, num_layers - max(1, num_layers // 3))
        return list(range(start, num_layers))


class KgFusionTaskConfig(FusionConfig):
    """Settings of the task heads of :mod:`fusion.heads` (text and token classification).

    The same settings as :class:`FusionConfig`; the label set is transformers' own
    ``id2label`` / ``label2id`` / ``num_labels`` and, for text classification,
    ``problem_type`` (``"single_label_classification"``, ``"multi_label_classification"`` or
    ``"regression"``). A separate ``model_type`` lets the Auto classes tell these models from
    the diagnosis model (one config type maps to one model class per Auto class).
    """

    model_type = "kgfuse_task"

    def __init__(self, **kwargs: Any) -> None:
        # an explicit __init__: transformers turns config subclasses without one into
        # dataclasses whose generated __init__ would skip FusionConfig's
        super().__init__(**kwargs)
