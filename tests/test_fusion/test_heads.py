"""Task heads on a tiny random config: shapes, losses, gradients, save/load, Auto classes."""

from __future__ import annotations

import pytest
import torch
from transformers import (
    AutoConfig,
    AutoModelForSequenceClassification,
    AutoModelForTokenClassification,
    BertConfig,
)

from fusion.config import FUSION_MECHANISMS, FusionConfig, KgFusionTaskConfig
from fusion.heads import (
    KgFusionForSequenceClassification,
    KgFusionForTokenClassification,
    SequenceClassificationOutput,
    TokenClassificationOutput,
)
from fusion.model import KgFusionForDiagnosis, register_auto_classes

B, T, E, K, NODES = 3, 7, 2, 4, 10
LABELS = ["burglary", "robbery", "theft"]
TAGS = ["O", "B-offence", "I-offence"]


def _text_config() -> dict:
    return BertConfig(
        vocab_size=50,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
    ).to_dict()


def _config(fusion: str, labels: list[str], **kwargs) -> KgFusionTaskConfig:
    return KgFusionTaskConfig(
        fusion=fusion,
        text_config=None if fusion == "kg_only" else _text_config(),
        num_nodes=NODES,
        node_dim=8,
        fact_dim=6,
        hidden_dim=16,
        freeze_layers=0,
        id2label=dict(enumerate(labels)),
        label2id={name: i for i, name in enumerate(labels)},
        **kwargs,
    )


def _classifier(fusion: str, problem_type: str | None) -> KgFusionForSequenceClassification:
    torch.manual_seed(0)
    model = KgFusionForSequenceClassification(_config(fusion, LABELS, problem_type=problem_type))
    model.kgfusion.node_embeddings.normal_()
    return model


def _tagger(fusion: str) -> KgFusionForTokenClassification:
    torch.manual_seed(0)
    model = KgFusionForTokenClassification(_config(fusion, TAGS))
    model.kgfusion.node_embeddings.normal_()
    return model


def _batch() -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(1)
    return {
        "input_ids": torch.randint(0, 50, (B, T), generator=g),
        "attention_mask": torch.tensor([[1] * 7, [1] * 5 + [0] * 2, [1] * 3 + [0] * 4]),
        "entity_ids": torch.randint(0, NODES, (B, E), generator=g),
        "entity_status": torch.tensor([[1, 2], [1, 0], [0, 0]]),
        "entity_tokens": torch.rand(B, E, T, generator=g).round(),
        "fact_vectors": torch.randn(B, K, 6, generator=g),
        "fact_mask": torch.tensor([[1, 1, 0, 0], [1, 1, 1, 1], [0, 0, 0, 0]]).bool(),
    }


SINGLE = torch.tensor([0, 2, 1])
MULTI = torch.tensor([[1.0, 0.0, 1.0], [0.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
TOKEN_LABELS = torch.tensor(
    [[-100, 0, 1, 2, 0, 0, -100], [-100, 1, 0, 0, -100, -100, -100], [-100, 0, -100] + [-100] * 4]
)


@pytest.mark.parametrize("fusion", FUSION_MECHANISMS)
def test_sequence_classifier_forward_backward(fusion: str) -> None:
    # single-label here; the multi-label loss is checked below
    model = _classifier(fusion, "single_label_classification")
    out = model(**_batch(), labels=SINGLE)
    assert isinstance(out, SequenceClassificationOutput)
    assert out.logits.shape == (B, len(LABELS)) and out.embeddings.shape == (B, 16)
    assert torch.isfinite(out.loss)
    out.loss.backward()
    assert model.classifier.weight.grad is not None
    assert float(model.classifier.weight.grad.abs().sum()) > 0
    if fusion == "cross_attention":
        assert out.fact_attention.shape == (B, K)


def test_sequence_classifier_infers_problem_type_like_transformers() -> None:
    single = _classifier("text_only", None)
    single(**_batch(), labels=SINGLE)
    assert single.config.problem_type == "single_label_classification"
    multi = _classifier("text_only", None)
    multi(**_batch(), labels=MULTI)
    assert multi.config.problem_type == "multi_label_classification"


def test_sequence_classifier_losses_match_their_definitions() -> None:
    model = _classifier("text_only", "multi_label_classification").eval()
    out = model(**_batch(), labels=MULTI)
    expected = torch.nn.functional.binary_cross_entropy_with_logits(out.logits, MULTI)
    assert torch.allclose(out.loss, expected)
    model.config.problem_type = "single_label_classification"
    out = model(**_batch(), labels=SINGLE)
    assert torch.allclose(out.loss, torch.nn.functional.cross_entropy(out.logits, SINGLE))


def test_sequence_classifier_rejects_an_unknown_problem_type() -> None:
    with pytest.raises(ValueError, match="problem_type"):
        KgFusionForSequenceClassification(_config("text_only", LABELS, problem_type="ranking"))


@pytest.mark.parametrize("fusion", ["cross_attention", "entity_token", "text_only"])
def test_token_classifier_forward_backward(fusion: str) -> None:
    model = _tagger(fusion)
    out = model(**_batch(), labels=TOKEN_LABELS)
    assert isinstance(out, TokenClassificationOutput)
    assert out.logits.shape == (B, T, len(TAGS))
    out.loss.backward()
    fusion_grads = [p.grad for n, p in model.named_parameters() if ".fusions." in n]
    if fusion != "text_only":
        assert fusion_grads and all(g is not None for g in fusion_grads)
    # the loss counts only labelled positions
    keep = TOKEN_LABELS != -100
    expected = torch.nn.functional.cross_entropy(out.logits[keep], TOKEN_LABELS[keep])
    assert torch.allclose(out.loss, expected)


def test_token_classifier_needs_a_text_encoder() -> None:
    with pytest.raises(ValueError, match="text encoder"):
        KgFusionForTokenClassification(_config("kg_only", TAGS))


@pytest.mark.parametrize("fusion", FUSION_MECHANISMS)
def test_sequence_classifier_save_load_identical_outputs(fusion: str, tmp_path) -> None:
    model = _classifier(fusion, "multi_label_classification").eval()
    batch = _batch()
    before = model(**batch).logits
    model.save_pretrained(tmp_path)
    loaded = KgFusionForSequenceClassification.from_pretrained(tmp_path).eval()
    assert torch.equal(before, loaded(**batch).logits)
    assert loaded.config.id2label == dict(enumerate(LABELS))
    assert loaded.config.label2id == {name: i for i, name in enumerate(LABELS)}
    assert loaded.config.problem_type == "multi_label_classification"


@pytest.mark.parametrize("fusion", ["cross_attention", "entity_token", "text_only"])
def test_token_classifier_save_load_identical_outputs(fusion: str, tmp_path) -> None:
    model = _tagger(fusion).eval()
    batch = _batch()
    before = model(**batch).logits
    model.save_pretrained(tmp_path)
    loaded = KgFusionForTokenClassification.from_pretrained(tmp_path).eval()
    assert torch.equal(before, loaded(**batch).logits)
    assert loaded.config.id2label == dict(enumerate(TAGS))


def test_heads_registered_with_auto_classes(tmp_path) -> None:
    register_auto_classes()
    _classifier("text_only", "single_label_classification").save_pretrained(tmp_path / "seq")
    _tagger("text_only").save_pretrained(tmp_path / "tok")
    assert isinstance(AutoConfig.from_pretrained(tmp_path / "seq"), KgFusionTaskConfig)
    seq = AutoModelForSequenceClassification.from_pretrained(tmp_path / "seq")
    tok = AutoModelForTokenClassification.from_pretrained(tmp_path / "tok")
    assert isinstance(seq, KgFusionForSequenceClassification)
    assert isinstance(tok, KgFusionForTokenClassification)
    # the diagnosis model keeps its own config type and Auto mapping
    diagnosis = KgFusionForDiagnosis(FusionConfig(fusion="kg_only", num_nodes=NODES, node_dim=8))
    diagnosis.save_pretrained(tmp_path / "dx")
    loaded = AutoModelForSequenceClassification.from_pretrained(tmp_path / "dx")
    assert isinstance(loaded, KgFusionForDiagnosis)
