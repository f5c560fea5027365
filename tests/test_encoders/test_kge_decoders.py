"""Tests of the DistMult and RotatE decoders."""

from __future__ import annotations

import math

import pytest
import torch

from encoders.kge_decoders import KGE_DECODERS, DistMultDecoder, RotatEDecoder
from encoders.registry import UnknownChoiceError


def test_distmult_decoder_scores_trilinear_product() -> None:
    decoder = DistMultDecoder(2, 3)
    with torch.no_grad():
        decoder.relation_emb.copy_(torch.tensor([[1.0, 2.0, 3.0], [0.0, 1.0, 0.0]]))
    h = torch.tensor([[1.0, 1.0, 1.0]])
    t = torch.tensor([[2.0, 0.5, -1.0]])
    # 1*1*2 + 1*2*0.5 + 1*3*(-1) = 0
    assert decoder(h, torch.tensor([0]), t).item() == pytest.approx(0.0)
    assert decoder(h, torch.tensor([1]), t).item() == pytest.approx(0.5)


def test_rotate_decoder_scores_margin_for_exact_rotation() -> None:
    decoder = RotatEDecoder(1, 4, margin=6.0)
    with torch.no_grad():
        decoder.relation_phase.copy_(torch.tensor([[math.pi / 2, 0.0]]))
    # h = (1 + 0i, 2 + 1i); rotating by (i, 1) gives (0 + 1i, 2 + 1i).
    h = torch.tensor([[1.0, 2.0, 0.0, 1.0]])
    t = torch.tensor([[0.0, 2.0, 1.0, 1.0]])
    assert decoder(h, torch.tensor([0]), t).item() == pytest.approx(6.0, abs=1e-3)
    far = torch.tensor([[0.0, 2.0, 4.0, 1.0]])  # first component off by 3
    assert decoder(h, torch.tensor([0]), far).item() == pytest.approx(3.0, abs=1e-3)


@pytest.mark.parametrize("name", ["distmult", "rotate"])
def test_decoder_score_all_tails_matches_pairwise_forward(name: str) -> None:
    decoder = KGE_DECODERS[name](3, 8)
    if isinstance(decoder, RotatEDecoder):
        decoder.chunk_elements = 20  # force several candidate chunks
    g = torch.Generator().manual_seed(0)
    h, r = torch.randn(5, 8, generator=g), torch.tensor([0, 1, 2, 1, 0])
    cands = torch.randn(7, 8, generator=g)
    scores = decoder.score_all_tails(h, r, cands)
    assert scores.shape == (5, 7)
    pairwise = decoder(h.unsqueeze(1), r.unsqueeze(1), cands.unsqueeze(0))
    assert torch.allclose(scores, pairwise, atol=1e-5)


def test_rotate_decoder_rejects_odd_dim() -> None:
    with pytest.raises(ValueError, match="even"):
        RotatEDecoder(1, 5)


def test_kge_decoders_unknown_name_lists_choices() -> None:
    with pytest.raises(UnknownChoiceError, match="choices: distmult, rotate"):
        KGE_DECODERS["transh"]
    assert KGE_DECODERS.resolve("DistMult") is DistMultDecoder
