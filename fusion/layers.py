"""Fusion layers: how knowledge vectors enter the token states of a Transformer encoder.

Both layers start as the identity (their gates are initialised to zero, as in Flamingo's
gated cross-attention), so inserting them into a pretrained encoder does not disturb it
before training.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class GatedCrossAttentionFusion(nn.Module):
    r"""Token states attend to retrieved fact vectors; a learned tanh gate adds the result.

    .. math::
        H' = H + \tanh(\alpha) \cdot \mathrm{MHA}(\mathrm{LN}(H), W_f F, W_f F)
             + \tanh(\beta) \cdot \mathrm{FFN}(\cdot)

    following the gated cross-attention dense blocks of Flamingo (Alayrac et al., 2022).

    Args:
        hidden_size: dimension of the token states.
        fact_dim: dimension of the fact vectors.
        num_heads: attention heads. (default: ``4``)
        dropout: attention and output dropout. (default: ``0.1``)

    Shapes:
        - hidden: :math:`(B, T, d)`; facts: :math:`(B, K, f)`; fact_mask: :math:`(B, K)` bool,
          True on real facts.
        - output: :math:`(B, T, d)` and attention weights :math:`(B, T, K)`.
    """

    def __init__(
        self, hidden_size: int, fact_dim: int, num_heads: int = 4, dropout: float = 0.1
    ) -> None:
        super().__init__()
        self.fact_proj = nn.Linear(fact_dim, hidden_size)
        self.norm = nn.LayerNorm(hidden_size)
        self.attn = nn.MultiheadAttention(hidden_size, num_heads, dropout=dropout, batch_first=True)
        self.ffn = nn.Sequential(
            nn.LayerNorm(hidden_size),
            nn.Linear(hidden_size, 2 * hidden_size),
            nn.GELU(),
            nn.Linear(2 * hidden_size, hidden_size),
        )
        self.attn_gate = nn.Parameter(torch.zeros(1))
        self.ffn_gate = nn.Parameter(torch.zeros(1))
        self.dropout = nn.Dropout(dropout)

    def forward(self, hidden: Tensor, facts: Tensor, fact_mask: Tensor) -> tuple[Tensor, Tensor]:
        keys = self.fact_proj(facts.to(hidden.dtype))
        # A row with no fact at all would give NaNs; let it attend to a zero vector instead.
        empty = ~fact_mask.any(dim=1)
        mask = fact_mask.clone()
        mask[empty, 0] = True
        keys = keys.masked_fill(~fact_mask.unsqueeze(-1), 0.0)
        out, weights = self.attn(
            self.norm(hidden), keys, keys, key_padding_mask=~mask, need_weights=True
        )
        out = out.masked_fill(empty[:, None, None], 0.0)
        hidden = hidden + torch.tanh(self.attn_gate) * self.dropout(out)
        hidden = hidden + torch.tanh(self.ffn_gate) * self.dropout(self.ffn(hidden))
        return hidden, weights


class EntityTokenFusion(nn.Module):
    r"""Adds projected graph embeddings of linked concepts at their mention tokens (ERNIE-style).

    .. math::
        H'_t = H_t + \tanh(\gamma) \cdot \mathrm{LN}\Big(\sum_{e \,:\, t \in \mathrm{span}(e)}
               W_e\, g_e + s_e\Big)

    where :math:`g_e` is the graph embedding of entity :math:`e` and :math:`s_e` a learned
    vector for its status (present / excluded), after Zhang et al. (2019), ERNIE.

    Args:
        hidden_size: dimension of the token states.
        node_dim: dimension of the graph embeddings.

    Shapes:
        - hidden: :math:`(B, T, d)`; entity_vectors: :math:`(B, E, n)`;
          entity_tokens: :math:`(B, E, T)` float weights (1 on the tokens of each mention);
          entity_status: :math:`(B, E)` long (0 padding, 1 present, 2 excluded).
        - output: :math:`(B, T, d)`.
    """

    def __init__(self, hidden_size: int, node_dim: int) -> None:
        super().__init__()
        self.proj = nn.Linear(node_dim, hidden_size)
        self.status = nn.Embedding(3, hidden_size, padding_idx=0)
        self.norm = nn.LayerNorm(hidden_size)
        self.gate = nn.Parameter(torch.zeros(1))

    def forward(
        self, hidden: Tensor, entity_vectors: Tensor, entity_tokens: Tensor, entity_status: Tensor
    ) -> Tensor:
        ent = self.proj(entity_vectors.to(hidden.dtype)) + self.status(entity_status)
        ent = ent * (entity_status > 0).unsqueeze(-1).to(ent.dtype)
        per_token = torch.einsum("bet,bed->btd", entity_tokens.to(ent.dtype), ent)
        touched = (entity_tokens.sum(1) > 0).unsqueeze(-1)
        return hidden + torch.tanh(self.gate) * self.norm(per_token) * touched


class ConceptPooling(nn.Module):
    r"""Attention pooling of linked concepts' graph embeddings into one patient vector.

    .. math::
        p = \sum_e \mathrm{softmax}_e(w^\top \tanh(V c_e))\, c_e,\quad
        c_e = W g_e + s_e

    Shapes:
        - entity_vectors: :math:`(B, E, n)`; entity_status: :math:`(B, E)`; output :math:`(B, h)`.
    """

    def __init__(self, node_dim: int, hidden_dim: int) -> None:
        super().__init__()
        self.proj = nn.Linear(node_dim, hidden_dim)
        self.status = nn.Embedding(3, hidden_dim, padding_idx=0)
        self.score = nn.Sequential(
            nn.Linear(hidden_dim, hidden_dim), nn.Tanh(), nn.Linear(hidden_dim, 1)
        )

    def forward(self, entity_vectors: Tensor, entity_status: Tensor) -> Tensor:
        # the graph embeddings stay fp32 when the layers are cast to bf16
        # (fusion.pipeline.apply_precision); int8 layers take fp32, as the embedding has
        c = self.proj(entity_vectors.to(self.status.weight.dtype)) + self.status(entity_status)
        logits = self.score(c).squeeze(-1).masked_fill(entity_status == 0, -1e4)
        weights = torch.softmax(logits, dim=-1) * (entity_status > 0).any(-1, keepdim=True)
        return torch.einsum("be,beh->bh", weights, c)
