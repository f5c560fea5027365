"""The fused model: a Transformer text encoder with knowledge injected, and its task heads.

The text encoder is composed with ``AutoModel`` (never vendored); fusion layers run after
chosen encoder layers through forward hooks, so any BERT-family encoder folder works. The
graph embeddings of the KG's nodes are frozen buffers of the model, so a saved model holds
everything it scores with.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, cast

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from transformers import AutoConfig, AutoModel, PretrainedConfig, PreTrainedModel
from transformers.utils import ModelOutput

from encoders.text import encoder_folder, quiet_transformers
from fusion.config import FusionConfig
from fusion.layers import ConceptPooling, EntityTokenFusion, GatedCrossAttentionFusion

logger = logging.getLogger(__name__)

_M = TypeVar("_M", bound="KgFusionPreTrainedModel")


@dataclass
class PatientEncoderOutput(ModelOutput):
    """Output of :class:`KgFusionModel`.

    Attributes:
        patient_embeddings: ``(B, hidden_dim)`` one vector per input.
        fact_attention: ``(B, K)`` mean attention of the tokens over the retrieved facts
            (cross-attention fusion only), for explanations.
        token_states: ``(B, T, d)`` the fused encoder's last token states (None for KG-only
            models), read by token-level heads.
    """

    patient_embeddings: Tensor | None = None
    fact_attention: Tensor | None = None
    token_states: Tensor | None = None


@dataclass
class DiagnosisOutput(ModelOutput):
    """Output of :class:`KgFusionForDiagnosis`.

    Attributes:
        loss: cross-entropy over all candidates when ``labels`` are given.
        logits: ``(B, num_labels)`` scores (before temperature).
        patient_embeddings: ``(B, hidden_dim)``.
        fact_attention: ``(B, K)`` attention over retrieved facts, when fused.
    """

    loss: Tensor | None = None
    logits: Tensor | None = None
    patient_embeddings: Tensor | None = None
    fact_attention: Tensor | None = None


def encoder_layers(encoder: nn.Module) -> nn.ModuleList:
    """The list of Transformer blocks of a Hugging Face encoder (BERT, RoBERTa, DistilBERT ...)."""
    for path in ("encoder.layer", "transformer.layer", "layers", "encoder.layers"):
        module: Any = encoder
        for part in path.split("."):
            module = getattr(module, part, None)
            if module is None:
                break
        if isinstance(module, nn.ModuleList):
            return module
    raise ValueError(f"cannot find the layer list of a {type(encoder).__name__}")


#: Checkpoint weights of a text encoder that the fused model leaves out on purpose.
UNUSED_ENCODER_WEIGHTS = ("pooler.",)


class _DropLoadReport(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "LOAD REPORT" not in record.getMessage()


def load_text_encoder(encoder_path: str | Path) -> PreTrainedModel:
    """A pretrained local text encoder without its pooler (the fused model pools itself).

    transformers' load report would list the checkpoint's pooler weights as unexpected on
    every load; it is replaced by a warning only for weights that really are missing or
    unexpected.
    """
    encoder_path = encoder_folder(encoder_path)  # a clear error, not a hub repo id's
    library_logger = logging.getLogger("transformers.modeling_utils")
    drop_report = _DropLoadReport()
    library_logger.addFilter(drop_report)
    try:
        with quiet_transformers():
            text_encoder, info = AutoModel.from_pretrained(
                str(encoder_path),
                local_files_only=True,
                add_pooling_layer=False,
                output_loading_info=True,
                use_safetensors=True,  # never a pickle (pytorch_model.bin)
            )
    finally:
        library_logger.removeFilter(drop_report)
    unexpected = [
        k for k in info.get("unexpected_keys", ()) if not k.startswith(UNUSED_ENCODER_WEIGHTS)
    ]
    for kind, keys in (("missing", info.get("missing_keys", ())), ("unexpected", unexpected)):
        if keys:
            shown = ", ".join(sorted(keys)[:5])
            logger.warning(
                "text encoder %s: %d %s weights (%s%s)",
                encoder_path,
                len(keys),
                kind,
                shown,
                ", ..." if len(keys) > 5 else "",
            )
    return cast(PreTrainedModel, text_encoder)


class KgFusionPreTrainedModel(PreTrainedModel):
    """Base class: config class, weight initialisation, save/load through transformers."""

    config_class = FusionConfig
    base_model_prefix = "kgfusion"
    _no_split_modules: list[str] = []

    def init_weights(self) -> None:
        """At construction (``post_init``): new layers keep PyTorch's own initialisation
        and a given text encoder its pretrained weights; only weights are tied.

        transformers initialises a loaded model's missing weights through
        :meth:`initialize_weights`, not through this method, so they get
        :meth:`_init_weights`'s values.
        """
        self.tie_weights(recompute_mapping=False)

    def _init_weights(self, module: nn.Module) -> None:
        """Deterministic values for the weights a checkpoint lacks (transformers builds a
        loaded model on the meta device and calls this for the modules whose tensors the
        checkpoint does not hold; without it they would keep uninitialised memory).

        Every tensor of ``module`` that was not loaded is zero, except a layer norm's scale
        (one) and the diagnosis head's prior and neural weights (their configured initial
        values): fusion gates at zero leave the encoder unfused. The text encoder's own
        modules are initialised by its class. :func:`fusion.pipeline.load_pretrained`
        refuses such a checkpoint anyway; this is what any other ``from_pretrained`` gets.
        """
        from transformers import initialization as init

        config = cast(FusionConfig, self.config)
        starts = {}
        if isinstance(module, DiagnosisHead):
            starts = {
                "prior_weight": float(config.prior_weight_init),
                "neural_scale": float(config.neural_scale_init),
            }
        for name, tensor in [
            *module.named_parameters(recurse=False),
            *module.named_buffers(recurse=False),
        ]:
            if tensor is None:
                continue
            if name in starts:
                init.constant_(tensor, starts[name])
            elif isinstance(module, nn.LayerNorm) and name == "weight":
                init.ones_(tensor)
            else:
                init.zeros_(tensor)

    @classmethod
    def from_text_encoder(
        cls: type[_M], encoder_path: str | Path, config_kwargs: dict[str, Any]
    ) -> _M:
        """A new model around a pretrained local text encoder folder (no hub access)."""
        text_encoder = load_text_encoder(encoder_path)
        config = cls.config_class(text_config=text_encoder.config.to_dict(), **config_kwargs)
        return cls(config, text_encoder)


@dataclass
class _FusionCall:
    """The inputs the fusion hooks of one forward call read, and the attention they return."""

    context: dict[str, Tensor] = field(default_factory=dict)
    attention: list[Tensor] = field(default_factory=list)


class KgFusionModel(KgFusionPreTrainedModel):
    """Encodes a patient (text + linked concepts + retrieved facts) into one vector.

    The ablations ``text_only`` (text alone) and ``kg_only`` (linked concepts' graph
    embeddings alone, no text encoder) change only this patient encoder; the diagnosis head
    (:class:`DiagnosisHead`) that scores the candidates is the same for every mechanism and
    reads both the KG and the text encoder's output, plus the prior.

    Args:
        config: the :class:`FusionConfig`.
        text_encoder: an already loaded ``AutoModel`` (e.g. the pretrained MiniLM); when
            None it is created from ``config.text_config`` (weights come from the checkpoint).

    Shapes:
        - input_ids, attention_mask: :math:`(B, T)`
        - entity_ids: :math:`(B, E)` rows of the node-embedding table; entity_status
          :math:`(B, E)` (0 padding, 1 present, 2 excluded); entity_tokens :math:`(B, E, T)`
        - fact_vectors: :math:`(B, K, f)`; fact_mask: :math:`(B, K)`
        - output patient_embeddings: :math:`(B, h)`
    """

    node_embeddings: Tensor  # buffer registered in __init__

    def __init__(self, config: FusionConfig, text_encoder: nn.Module | None = None) -> None:
        super().__init__(config)
        self.register_buffer("node_embeddings", torch.zeros(config.num_nodes, config.node_dim))
        self.encoder: nn.Module | None = None
        self.fusions = nn.ModuleDict()
        # What the fusion hooks of one forward call read and write, per calling thread: the
        # hooks run on the thread that called forward, so threads may run forwards at once.
        self._calls: dict[int, _FusionCall] = {}
        if config.uses_text:
            if text_encoder is None:
                if config.text_config is None:
                    raise ValueError(
                        f"fusion={config.fusion!r} needs a text encoder or config.text_config"
                    )
                text_cfg = AutoConfig.for_model(**config.text_config)
                text_encoder = AutoModel.from_config(text_cfg, add_pooling_layer=False)
            self.encoder = text_encoder
            hidden = int(cast(PretrainedConfig, text_encoder.config).hidden_size)
            layers = encoder_layers(self.encoder)
            for i in config.resolved_fusion_layers(len(layers)):
                if config.fusion == "cross_attention":
                    self.fusions[str(i)] = GatedCrossAttentionFusion(
                        hidden, config.fact_dim, config.num_heads, config.dropout
                    )
                elif config.fusion == "entity_token":
                    self.fusions[str(i)] = EntityTokenFusion(hidden, config.node_dim)
            for i, layer in enumerate(layers):
                if str(i) in self.fusions:
                    # a bound method, not a closure: a deep copy of the model rebinds it to
                    # the copy (a closure would keep fusing with the original's layers)
                    layer.register_forward_hook(functools.partial(self._fuse_after, str(i)))
            self.freeze_lower_layers(config.freeze_layers)
            self.text_proj = nn.Linear(hidden, config.hidden_dim)
        else:
            self.concepts = ConceptPooling(config.node_dim, config.hidden_dim)
        self.norm = nn.LayerNorm(config.hidden_dim)
        self.dropout = nn.Dropout(config.dropout)
        self.post_init()

    def freeze_lower_layers(self, n: int) -> None:
        """Freeze the embeddings and the ``n`` lowest encoder layers (cheaper CPU training)."""
        if self.encoder is None or n <= 0:
            return
        for name, module in self.encoder.named_children():
            if "embed" in name:
                module.requires_grad_(False)
        for layer in list(encoder_layers(self.encoder))[:n]:
            layer.requires_grad_(False)

    def _fuse_after(self, key: str, module: nn.Module, args: Any, output: Any) -> Any:
        """The forward hook of encoder layer ``key``: its output with this call's knowledge
        fused in (unchanged when the encoder runs on its own, not through :meth:`forward`)."""
        hidden = output[0] if isinstance(output, tuple) else output
        fusion = self.fusions[key]
        call = self._calls.get(threading.get_ident())
        if call is None:
            return output
        ctx = call.context
        if isinstance(fusion, GatedCrossAttentionFusion):
            if "fact_vectors" not in ctx:
                return output
            hidden, weights = fusion(hidden, ctx["fact_vectors"], ctx["fact_mask"])
            call.attention.append(weights)
        elif isinstance(fusion, EntityTokenFusion):
            if "entity_vectors" not in ctx:
                return output
            hidden = fusion(
                hidden, ctx["entity_vectors"], ctx["entity_tokens"], ctx["entity_status"]
            )
        return (hidden, *output[1:]) if isinstance(output, tuple) else hidden

    def forward(
        self,
        input_ids: Tensor | None = None,
        attention_mask: Tensor | None = None,
        entity_ids: Tensor | None = None,
        entity_status: Tensor | None = None,
        entity_tokens: Tensor | None = None,
        fact_vectors: Tensor | None = None,
        fact_mask: Tensor | None = None,
        **kwargs: Any,
    ) -> PatientEncoderOutput:
        cfg = self.config
        if not cfg.uses_text:
            if entity_ids is None or entity_status is None:
                raise ValueError("the kg_only model needs entity_ids and entity_status")
            vectors = self.node_embeddings[entity_ids]
            patient = self.concepts(vectors, entity_status)
            return PatientEncoderOutput(self.norm(self.dropout(patient)), None)
        if input_ids is None or attention_mask is None:
            raise ValueError(f"the {cfg.fusion} model needs input_ids and attention_mask")
        call = _FusionCall()
        if cfg.uses_facts and fact_vectors is not None:
            if fact_mask is None:
                fact_mask = torch.ones(
                    fact_vectors.shape[:2], dtype=torch.bool, device=fact_vectors.device
                )
            call.context.update(fact_vectors=fact_vectors, fact_mask=fact_mask)
        if cfg.fusion == "entity_token" and entity_ids is not None:
            if entity_status is None or entity_tokens is None:
                raise ValueError("entity_token fusion needs entity_status and entity_tokens")
            call.context.update(
                entity_vectors=self.node_embeddings[entity_ids],
                entity_tokens=entity_tokens,
                entity_status=entity_status,
            )
        assert self.encoder is not None  # set in __init__ whenever cfg.uses_text
        thread = threading.get_ident()
        self._calls[thread] = call
        try:
            states = self.encoder(
                input_ids=input_ids, attention_mask=attention_mask
            ).last_hidden_state
        finally:
            del self._calls[thread]
        mask = attention_mask.unsqueeze(-1).to(states.dtype)
        pooled = (states * mask).sum(1) / mask.sum(1).clamp_min(1.0)
        patient = self.norm(self.dropout(self.text_proj(pooled)))
        attention = None
        if call.attention:
            # mean over fused layers and over real tokens -> one weight per fact
            stacked = torch.stack(call.attention).mean(0)
            attention = (stacked * attention_mask.unsqueeze(-1)).sum(1) / attention_mask.sum(
                1, keepdim=True
            )
        return PatientEncoderOutput(patient, attention, states)


class DiagnosisHead(nn.Module):
    r"""Scores a patient vector against every candidate (disease) node.

    .. math::
        s_{d} = \alpha \frac{\langle p, W_g g_d + W_t t_d \rangle}{\sqrt{h}} + w \cdot \pi_d

    with :math:`g_d` the graph embedding and :math:`t_d` the label text embedding of
    candidate :math:`d`, and :math:`\pi_d` an optional symbolic prior (the summed log10
    likelihood ratios of the patient's findings), weighted by a learned :math:`w`;
    :math:`\alpha` starts small, so training begins from the symbolic ranking.

    Every fusion mechanism, the ``text_only`` and ``kg_only`` ablations included, scores
    with this head: a ``text_only`` model still reads the candidates' graph embeddings
    (:math:`g_d`, from the KG) and a ``kg_only`` model their label text vectors
    (:math:`t_d`, made by the text encoder), and both add the KG's prior. The ablations are
    of the patient encoder only.

    Shapes:
        - patient: :math:`(B, h)`; candidate_nodes: :math:`(L, n)`; candidate_text :math:`(L, t)`
        - prior: :math:`(B, L)` or None; output :math:`(B, L)`.
    """

    def __init__(self, config: FusionConfig) -> None:
        super().__init__()
        h = config.hidden_dim
        self.graph_proj = nn.Linear(config.node_dim, h)
        self.text_proj = nn.Linear(config.label_text_dim, h) if config.label_text_dim else None
        self.candidate_norm = nn.LayerNorm(h)
        self.prior_weight = nn.Parameter(torch.tensor(float(config.prior_weight_init)))
        self.neural_scale = nn.Parameter(torch.tensor(float(config.neural_scale_init)))
        self.scale = h**-0.5

    def candidates(self, candidate_nodes: Tensor, candidate_text: Tensor | None) -> Tensor:
        c = self.graph_proj(candidate_nodes)
        if self.text_proj is not None and candidate_text is not None:
            c = c + self.text_proj(candidate_text)
        return self.candidate_norm(c)

    def forward(self, patient: Tensor, candidates: Tensor, prior: Tensor | None = None) -> Tensor:
        # in the candidates' dtype even under bf16 autocast (training): scores over thousands
        # of diseases in bf16 would keep ~3 digits, and inference scores them in fp32
        with torch.autocast(patient.device.type, enabled=False):
            scores = patient.to(candidates.dtype) @ candidates.t()  # fp32 unless the head is cast
        logits = self.neural_scale * scores * self.scale
        if prior is not None:
            logits = logits + self.prior_weight * prior
        return logits


class KgFusionForDiagnosis(KgFusionPreTrainedModel):
    """The fused model with a diagnosis head over every disease of the KG.

    Buffers hold the candidates: ``label_nodes`` (rows of the node-embedding table) and
    ``label_text`` (label text embeddings).
    """

    # buffers registered in __init__
    label_nodes: Tensor
    label_text: Tensor

    def __init__(self, config: FusionConfig, text_encoder: nn.Module | None = None) -> None:
        super().__init__(config)
        self.kgfusion = KgFusionModel(config, text_encoder)
        self.head = DiagnosisHead(config)
        self.register_buffer("label_nodes", torch.zeros(config.num_candidates, dtype=torch.long))
        self.register_buffer(
            "label_text", torch.zeros(config.num_candidates, max(config.label_text_dim, 1))
        )
        self.post_init()

    def candidate_matrix(self) -> Tensor:
        """``(num_candidates, hidden_dim)`` the candidates' vectors, in the head's dtype
        (fp32 unless the head itself was cast)."""
        dtype = self.head.candidate_norm.weight.dtype  # a norm is never quantized
        nodes = self.kgfusion.node_embeddings[self.label_nodes].to(dtype)
        text = self.label_text.to(dtype) if self.config.label_text_dim else None
        with torch.autocast(nodes.device.type, enabled=False):  # not bf16 under autocast
            return self.head.candidates(nodes, text)

    def forward(
        self,
        input_ids: Tensor | None = None,
        attention_mask: Tensor | None = None,
        entity_ids: Tensor | None = None,
        entity_status: Tensor | None = None,
        entity_tokens: Tensor | None = None,
        fact_vectors: Tensor | None = None,
        fact_mask: Tensor | None = None,
        prior: Tensor | None = None,
        labels: Tensor | None = None,
        candidates: Tensor | None = None,
        **kwargs: Any,
    ) -> DiagnosisOutput:
        """Scores of every candidate; ``candidates`` may pass a cached :meth:`candidate_matrix`
        (inference: it does not depend on the input)."""
        enc = self.kgfusion(
            input_ids=input_ids,
            attention_mask=attention_mask,
            entity_ids=entity_ids,
            entity_status=entity_status,
            entity_tokens=entity_tokens,
            fact_vectors=fact_vectors,
            fact_mask=fact_mask,
        )
        use_prior = prior if self.config.use_prior else None
        if candidates is None:
            candidates = self.candidate_matrix()
        # the head runs in the candidates' dtype (fp32 when only the encoder is cast to bf16)
        logits = self.head(enc.patient_embeddings.to(candidates.dtype), candidates, use_prior)
        loss = None
        if labels is not None:
            loss = F.cross_entropy(self._loss_logits(logits, prior, labels), labels)
        return DiagnosisOutput(loss, logits, enc.patient_embeddings, enc.fact_attention)

    def _loss_logits(self, logits: Tensor, prior: Tensor | None, labels: Tensor) -> Tensor:
        """The logits the loss reads: all of them, or with ``config.loss_shortlist`` only the
        prior's first candidates and the true one (the others masked out)."""
        k = self.config.loss_shortlist
        if not k or prior is None or k >= logits.shape[-1]:
            return logits
        keep = torch.zeros_like(logits, dtype=torch.bool)
        keep.scatter_(1, prior.topk(k, dim=-1).indices, True)
        keep.scatter_(1, labels.view(-1, 1), True)
        return logits.masked_fill(~keep, float("-inf"))

    def probabilities(self, logits: Tensor) -> Tensor:
        """Calibrated probabilities (softmax of logits / fitted temperature)."""
        return torch.softmax(logits / self.config.calibration_temperature, dim=-1)


def register_auto_classes() -> None:
    """Register the kgfuse model types with transformers' Auto classes (idempotent).

    ``kgfuse`` (the diagnosis model) and ``kgfuse_task`` (the task heads of
    :mod:`fusion.heads`) are two config types, because an Auto class maps one config type
    to one model class.
    """
    from transformers import AutoModelForSequenceClassification, AutoModelForTokenClassification

    from fusion.config import KgFusionTaskConfig
    from fusion.heads import KgFusionForSequenceClassification, KgFusionForTokenClassification

    for model_type, config_class in (("kgfuse", FusionConfig), ("kgfuse_task", KgFusionTaskConfig)):
        with contextlib.suppress(ValueError):  # already registered
            AutoConfig.register(model_type, config_class)
    for auto, config_class, model in (
        (AutoModel, FusionConfig, KgFusionModel),
        (AutoModelForSequenceClassification, FusionConfig, KgFusionForDiagnosis),
        (AutoModelForSequenceClassification, KgFusionTaskConfig, KgFusionForSequenceClassification),
        (AutoModelForTokenClassification, KgFusionTaskConfig, KgFusionForTokenClassification),
    ):
        try:
            auto.register(config_class, model)
        except ValueError:
            continue
