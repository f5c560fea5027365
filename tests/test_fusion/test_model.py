"""The fused model on a tiny random config: shapes, gradients, ablations, save/load."""

from __future__ import annotations

import pytest
import torch
from transformers import AutoConfig, AutoModelForSequenceClassification, BertConfig

from encoders.text import int8_is_available
from fusion.config import FUSION_MECHANISMS, FusionConfig
from fusion.model import KgFusionForDiagnosis, register_auto_classes

B, T, E, K, NODES, LABELS = 3, 7, 2, 4, 10, 5


def _text_config() -> dict:
    return BertConfig(
        vocab_size=50,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
    ).to_dict()


def _model(fusion: str, **overrides) -> KgFusionForDiagnosis:
    torch.manual_seed(0)
    cfg = FusionConfig(
        fusion=fusion,
        text_config=None if fusion == "kg_only" else _text_config(),
        num_nodes=NODES,
        node_dim=8,
        fact_dim=6,
        num_candidates=LABELS,
        label_text_dim=4,
        hidden_dim=16,
        freeze_layers=0,
        **overrides,
    )
    model = KgFusionForDiagnosis(cfg)
    model.kgfusion.node_embeddings.normal_()
    model.label_text.normal_()
    model.label_nodes.copy_(torch.arange(LABELS))
    return model


def _open_gates(model: KgFusionForDiagnosis) -> KgFusionForDiagnosis:
    """``model`` with its fusion gates at 1, so the fused knowledge moves the scores."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("gate"):
                p.fill_(1.0)
    return model


def _batch() -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(1)
    return {
        "input_ids": torch.randint(0, 50, (B, T), generator=g),
        "attention_mask": torch.ones(B, T, dtype=torch.long),
        "entity_ids": torch.randint(0, NODES, (B, E), generator=g),
        "entity_status": torch.tensor([[1, 2], [1, 0], [0, 0]]),
        "entity_tokens": torch.rand(B, E, T, generator=g).round(),
        "fact_vectors": torch.randn(B, K, 6, generator=g),
        "fact_mask": torch.tensor([[1, 1, 0, 0], [1, 1, 1, 1], [0, 0, 0, 0]]).bool(),
        "prior": torch.randn(B, LABELS, generator=g),
        "labels": torch.tensor([0, 1, 2]),
    }


@pytest.mark.parametrize("fusion", FUSION_MECHANISMS)
def test_model_shapes_and_loss(fusion: str) -> None:
    out = _model(fusion).eval()(**_batch())
    assert out.logits.shape == (B, LABELS)
    assert out.patient_embeddings.shape == (B, 16)
    assert torch.isfinite(out.loss)
    if fusion == "cross_attention":
        assert out.fact_attention.shape == (B, K)
        # attention is a distribution over the real facts of each row
        assert torch.allclose(out.fact_attention[:2].sum(-1), torch.ones(2), atol=1e-5)
    else:
        assert out.fact_attention is None


@pytest.mark.parametrize("fusion", ["cross_attention", "entity_token"])
def test_model_gradients_reach_fusion_parameters(fusion: str) -> None:
    model = _model(fusion)
    model(**_batch()).loss.backward()
    fusion_grads = [p.grad for n, p in model.named_parameters() if ".fusions." in n]
    assert fusion_grads, "the model has fusion layers"
    assert all(g is not None for g in fusion_grads)
    gates = [p.grad for n, p in model.named_parameters() if n.endswith("gate")]
    assert any(float(g.abs().sum()) > 0 for g in gates)


def test_model_fusion_starts_as_identity() -> None:
    """Zero-initialised gates: before training, facts do not change the text model."""
    model = _model("cross_attention").eval()
    batch = _batch()
    with_facts = model(**batch).logits
    batch["fact_vectors"] = torch.randn_like(batch["fact_vectors"]) * 100
    assert torch.allclose(with_facts, model(**batch).logits, atol=1e-5)


def test_model_prior_weight_adds_symbolic_scores() -> None:
    model = _model("kg_only").eval()
    batch = _batch()
    base = model(**{**batch, "prior": torch.zeros(B, LABELS)}).logits
    shifted = model(**batch).logits
    weight = float(model.head.prior_weight.detach())
    assert torch.allclose(shifted - base, weight * batch["prior"], atol=1e-5)


def test_model_loss_shortlist_reads_the_priors_first_candidates_and_the_true_one() -> None:
    batch = _batch()
    k = 2
    model = _model("kg_only", loss_shortlist=k).eval()
    out = model(**batch)
    keep = torch.zeros(B, LABELS, dtype=torch.bool)
    keep.scatter_(1, batch["prior"].topk(k, dim=-1).indices, True)
    keep.scatter_(1, batch["labels"].view(-1, 1), True)
    assert (keep.sum(1) > k).any(), "some true label lies outside the prior's first k"
    expected = torch.nn.functional.cross_entropy(
        out.logits.masked_fill(~keep, float("-inf")), batch["labels"]
    )
    assert torch.allclose(out.loss, expected)
    full = _model("kg_only").eval()(**batch)
    assert torch.equal(out.logits, full.logits)  # the scores themselves are unchanged
    assert out.loss < full.loss  # fewer competitors
    # no gradient reaches the logits of the candidates left out
    logits = out.logits.detach().requires_grad_()
    torch.nn.functional.cross_entropy(
        model._loss_logits(logits, batch["prior"], batch["labels"]), batch["labels"]
    ).backward()
    assert torch.all(logits.grad[~keep] == 0) and torch.all(logits.grad[keep] != 0)
    with pytest.raises(ValueError, match="loss_shortlist"):
        _model("kg_only", loss_shortlist=-1)


@pytest.mark.parametrize("fusion", FUSION_MECHANISMS)
def test_model_save_load_identical_scores(fusion: str, tmp_path) -> None:
    model = _model(fusion).eval()
    batch = _batch()
    before = model(**batch).logits
    model.save_pretrained(tmp_path)
    loaded = KgFusionForDiagnosis.from_pretrained(tmp_path).eval()
    assert torch.equal(before, loaded(**batch).logits)


def test_model_registered_with_auto_classes(tmp_path) -> None:
    register_auto_classes()
    _model("kg_only").save_pretrained(tmp_path)
    assert isinstance(AutoConfig.from_pretrained(tmp_path), FusionConfig)
    assert isinstance(
        AutoModelForSequenceClassification.from_pretrained(tmp_path), KgFusionForDiagnosis
    )


def test_config_rejects_unknown_fusion() -> None:
    with pytest.raises(ValueError, match="cross_attention"):
        FusionConfig(fusion="magic", text_config=_text_config())


def test_config_text_models_need_text_config() -> None:
    with pytest.raises(ValueError, match="text_config"):
        FusionConfig(fusion="text_only")


def test_model_text_fusion_without_text_encoder_or_text_config_is_a_clear_error() -> None:
    cfg = FusionConfig(fusion="text_only", _allow_missing_text=True)
    with pytest.raises(ValueError, match="needs a text encoder or config.text_config"):
        KgFusionForDiagnosis(cfg)


def test_config_fusion_layers_default_to_upper_third() -> None:
    cfg = FusionConfig(fusion="cross_attention", text_config=_text_config())
    assert cfg.resolved_fusion_layers(6) == [4, 5]
    with pytest.raises(ValueError, match="outside"):
        FusionConfig(
            fusion="cross_attention", text_config=_text_config(), fusion_layers=[9]
        ).resolved_fusion_layers(6)


def test_text_encoder_loads_without_pooler_and_warns_only_about_real_gaps(
    tmp_path, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    from safetensors.torch import load_file, save_file

    from fusion.model import load_text_encoder
    from tests.test_fusion.conftest import make_tiny_encoder

    folder = make_tiny_encoder(tmp_path / "bert")
    library: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: library.append(record.getMessage())  # type: ignore[method-assign]
    transformers_logger = logging.getLogger("transformers.modeling_utils")
    transformers_logger.addHandler(handler)
    try:
        with caplog.at_level(logging.WARNING, logger="fusion.model"):
            encoder = load_text_encoder(folder)
        assert encoder.pooler is None  # the checkpoint has one; the fused model pools itself
        assert not any("LOAD REPORT" in m for m in library)  # the expected pooler gap is quiet
        assert not caplog.records

        weights = folder / "model.safetensors"
        state = load_file(str(weights))
        del state["embeddings.LayerNorm.weight"]
        save_file(state, str(weights), metadata={"format": "pt"})
        with caplog.at_level(logging.WARNING, logger="fusion.model"):
            load_text_encoder(folder)
    finally:
        transformers_logger.removeHandler(handler)
    assert "1 missing weights (embeddings.LayerNorm.weight)" in caplog.text


@pytest.mark.parametrize("fusion", ["cross_attention", "entity_token"])
def test_forwards_on_two_threads_at_once_fuse_their_own_knowledge(fusion: str) -> None:
    """The fusion hooks' per-call state is per thread: two forwards running at once (both
    held inside the encoder until the other arrives) score as they do one after the other."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from fusion.model import encoder_layers

    model = _model(fusion).eval()
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("gate"):
                p.fill_(1.0)  # open the gates, so the knowledge changes the scores
    batch = _batch()
    other = {
        **batch,
        "fact_vectors": -3 * batch["fact_vectors"],
        "entity_ids": (batch["entity_ids"] + 3) % NODES,
    }
    with torch.no_grad():
        expected = [model(**b).logits for b in (batch, other)]
    assert not torch.allclose(expected[0], expected[1])
    together = threading.Barrier(2, timeout=30)

    def meet(*_) -> None:
        together.wait()

    handle = encoder_layers(model.kgfusion.encoder)[0].register_forward_hook(meet)
    try:
        with ThreadPoolExecutor(2) as pool, torch.no_grad():
            got = list(pool.map(lambda b: model(**b).logits, (batch, other)))
    finally:
        handle.remove()
    assert torch.equal(got[0], expected[0]) and torch.equal(got[1], expected[1])
    assert not model.kgfusion._calls  # nothing left behind


@pytest.mark.parametrize("fusion", ["cross_attention", "entity_token"])
def test_a_deep_copy_fuses_with_its_own_layers(fusion: str) -> None:
    import copy

    model = _open_gates(_model(fusion).eval())
    twin = copy.deepcopy(model)
    with torch.no_grad():
        for name, p in twin.named_parameters():
            if ".fusions." in name and not name.endswith("gate"):
                p.mul_(-2.0)  # only the copy's fusion layers change
    batch = _batch()
    with torch.no_grad():
        ours, theirs = model(**batch).logits, twin(**batch).logits
        plain = twin(**{**batch, "fact_vectors": None, "entity_ids": None}).logits
    assert not torch.allclose(ours, theirs)  # the copy used its own fusion layers
    assert not torch.allclose(theirs, plain)  # and did fuse


@pytest.mark.skipif(not int8_is_available(), reason="this torch build has no int8 quantization")
def test_int8_quantized_encoder_still_fuses_and_scores_close_to_fp32() -> None:
    import copy

    from encoders.text import quantize_linear_int8

    model = _open_gates(_model("cross_attention").eval())
    int8 = copy.deepcopy(model)
    quantize_linear_int8(int8.kgfusion)
    # every linear layer of the text encoder (attention's fused out_proj stays fp32)
    assert not any(type(m) is torch.nn.Linear for m in int8.kgfusion.encoder.modules())
    batch = _batch()
    with torch.no_grad():
        exact, quantized = model(**batch), int8(**batch)
        unfused = int8(**{**batch, "fact_vectors": None}).logits
    assert torch.allclose(quantized.logits, exact.logits, atol=0.1)
    assert not torch.allclose(quantized.logits, unfused, atol=1e-3)  # the facts count
    assert torch.allclose(quantized.fact_attention, exact.fact_attention, atol=0.05)


def test_the_diagnosis_head_scores_in_fp32_under_bf16_autocast() -> None:
    """Training under bf16 autocast runs the encoder in bf16; the candidates and their scores
    stay fp32 (in bf16 scores over thousands of diseases would keep ~3 digits), as inference
    computes them."""
    model = _model("cross_attention").eval()
    batch = _batch()
    with torch.no_grad():
        plain = model(**batch)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            cast = model(**batch)
            candidates = model.candidate_matrix()
            patient = cast.patient_embeddings
            direct = model.head(patient, candidates)
        assert candidates.dtype == torch.float32
        assert cast.logits.dtype == direct.dtype == torch.float32
        # the head of the autocast run, on its own patient vectors, equals the fp32 head
        with_fp32_head = model.head(patient.float(), model.candidate_matrix())
        assert torch.allclose(direct, with_fp32_head, atol=1e-6)
        # bf16 encoder: close to, not equal to, the fp32 run
        assert torch.allclose(cast.logits, plain.logits, atol=0.1)
