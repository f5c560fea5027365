r"""Link-prediction decoders that score (head, relation, tail) triples from node embeddings.

A graph encoder turns the KG into node embeddings :math:`\mathbf{h}_v`; a decoder holds
learnable relation embeddings and scores a triple from its head and tail embeddings. Scores
are logits: higher means more plausible. :meth:`KGEDecoder.score_all_tails` scores a batch
of (head, relation) queries against a set of candidate tails at once, for ranking.
"""

from __future__ import annotations

import logging
import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn import Parameter

from encoders.registry import Registry

logger = logging.getLogger(__name__)


class KGEDecoder(nn.Module):
    r"""Base class: relation embeddings plus a scoring function.

    Args:
        num_relations (int): Number of (forward) relations scored.
        dim (int): Size of the node embeddings.

    Shapes:
        - **input:** head embeddings :math:`(B, d)`, relation ids :math:`(B)`, tail
          embeddings :math:`(B, d)`
        - **output:** scores :math:`(B)`
    """

    def __init__(self, num_relations: int, dim: int) -> None:
        super().__init__()
        self.num_relations = num_relations
        self.dim = dim

    def forward(self, head: Tensor, relation: Tensor, tail: Tensor) -> Tensor:
        r"""Score each triple ``(head[i], relation[i], tail[i])``.

        Args:
            head (torch.Tensor): Head embeddings.
            relation (torch.Tensor): Relation ids.
            tail (torch.Tensor): Tail embeddings.
        """
        raise NotImplementedError

    def score_all_tails(self, h: Tensor, r: Tensor, candidates: Tensor) -> Tensor:
        r"""Score every query ``(h[i], r[i])`` against every candidate tail.

        Args:
            h (torch.Tensor): Head embeddings of the queries.
            r (torch.Tensor): Relation ids of the queries.
            candidates (torch.Tensor): Embeddings of the candidate tails (``z[candidate_ids]``).

        Shapes:
            - **input:** :math:`(B, d)`, :math:`(B)`, :math:`(C, d)`
            - **output:** :math:`(B, C)`
        """
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(num_relations={self.num_relations}, dim={self.dim})"


class DistMultDecoder(KGEDecoder):
    r"""DistMult from `"Embedding Entities and Relations for Learning and Inference in
    Knowledge Bases" <https://arxiv.org/abs/1412.6575>`_ (Yang et al., 2015), the decoder of
    R-GCN's link prediction.

    .. math::
        f(h, r, t) = \langle \mathbf{h}, \mathbf{r}, \mathbf{t} \rangle
        = \sum_{k} h_k \, r_k \, t_k

    Args:
        num_relations (int): Number of relations.
        dim (int): Size of the node embeddings.

    Shapes:
        - **input:** head embeddings :math:`(B, d)`, relation ids :math:`(B)`, tail
          embeddings :math:`(B, d)`
        - **output:** scores :math:`(B)`
    """

    def __init__(self, num_relations: int, dim: int) -> None:
        super().__init__(num_relations, dim)
        self.relation_emb = Parameter(torch.empty(num_relations, dim))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        r"""Relation embeddings drawn from :math:`\mathcal{N}(1, 0.1)`, close to the identity
        so that early scores are inner products of the node embeddings."""
        nn.init.normal_(self.relation_emb, mean=1.0, std=0.1)

    def forward(self, head: Tensor, relation: Tensor, tail: Tensor) -> Tensor:
        return (head * F.embedding(relation, self.relation_emb) * tail).sum(dim=-1)

    def score_all_tails(self, h: Tensor, r: Tensor, candidates: Tensor) -> Tensor:
        return (h * F.embedding(r, self.relation_emb)) @ candidates.t()


class RotatEDecoder(KGEDecoder):
    r"""RotatE from `"RotatE: Knowledge Graph Embedding by Relational Rotation in Complex
    Space" <https://arxiv.org/abs/1902.10197>`_ (Sun et al., 2019).

    A node embedding of size :math:`d` is read as :math:`d/2` complex numbers (first half
    real parts, second half imaginary parts); a relation is a rotation
    :math:`\mathbf{r} = e^{i \boldsymbol{\theta}_r}`:

    .. math::
        f(h, r, t) = \gamma - \sum_{k=1}^{d/2} \left| h_k r_k - t_k \right|

    (the modulus is computed as :math:`\sqrt{a^2 + b^2 + \epsilon}`,
    :math:`\epsilon = 10^{-9}`, to keep its gradient finite at 0).

    Args:
        num_relations (int): Number of relations.
        dim (int): Size of the node embeddings; must be even.
        margin (float, optional): :math:`\gamma`, the score of a distance of 0.
            (default: :obj:`6.0`)

    Shapes:
        - **input:** head embeddings :math:`(B, d)`, relation ids :math:`(B)`, tail
          embeddings :math:`(B, d)`
        - **output:** scores :math:`(B)`
    """

    eps = 1e-9
    chunk_elements = 2**24  # bound on the [B, C_chunk, d/2] temporaries of score_all_tails

    def __init__(self, num_relations: int, dim: int, margin: float = 6.0) -> None:
        super().__init__(num_relations, dim)
        if dim % 2:
            raise ValueError(f"RotatE needs an even embedding size, got {dim}")
        self.margin = margin
        self.relation_phase = Parameter(torch.empty(num_relations, dim // 2))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        r"""Phases drawn uniformly from :math:`[-\pi, \pi)`."""
        nn.init.uniform_(self.relation_phase, -math.pi, math.pi)

    def _rotate(self, h: Tensor, r: Tensor) -> tuple[Tensor, Tensor]:
        re, im = h.chunk(2, dim=-1)
        phase = F.embedding(r, self.relation_phase)
        cos, sin = torch.cos(phase), torch.sin(phase)
        return re * cos - im * sin, re * sin + im * cos

    def forward(self, head: Tensor, relation: Tensor, tail: Tensor) -> Tensor:
        rot_re, rot_im = self._rotate(head, relation)
        t_re, t_im = tail.chunk(2, dim=-1)
        dist = ((rot_re - t_re) ** 2 + (rot_im - t_im) ** 2 + self.eps).sqrt().sum(dim=-1)
        return self.margin - dist

    def score_all_tails(self, h: Tensor, r: Tensor, candidates: Tensor) -> Tensor:
        rot_re, rot_im = self._rotate(h, r)
        c_re, c_im = candidates.chunk(2, dim=-1)
        step = max(1, self.chunk_elements // max(1, h.size(0) * (self.dim // 2)))
        parts = []
        for lo in range(0, candidates.size(0), step):
            d_re = rot_re.unsqueeze(1) - c_re[lo : lo + step].unsqueeze(0)
            d_im = rot_im.unsqueeze(1) - c_im[lo : lo + step].unsqueeze(0)
            parts.append((d_re**2 + d_im**2 + self.eps).sqrt().sum(dim=-1))
        if not parts:
            return h.new_empty(h.size(0), 0)
        return self.margin - torch.cat(parts, dim=1)

    def __repr__(self) -> str:
        return (
            f"{self.__class__.__name__}(num_relations={self.num_relations}, dim={self.dim}, "
            f"margin={self.margin})"
        )


KGE_DECODERS: Registry[type[KGEDecoder]] = Registry(
    "KGE decoder", {"distmult": DistMultDecoder, "rotate": RotatEDecoder}
)
