r"""CompGCN encoder: composition-based multi-relational message passing.

From `"Composition-based Multi-Relational Graph Convolutional Networks"
<https://arxiv.org/abs/1911.03082>`_ (Vashishth et al., ICLR 2020). Nodes and relations are
embedded jointly; a message is the composition :math:`\phi(\mathbf{x}_u, \mathbf{z}_r)` of
the neighbour with the relation, transformed by one of three weights chosen by the edge's
direction (forward, inverse, self loop), and the relation embeddings are transformed at each
layer too. Edge weights scale the messages.

Every composition here is linear in :math:`\mathbf{x}_u` for a fixed relation, so
:math:`\sum_u a_{uv} \phi(\mathbf{x}_u, \mathbf{z}_r) = \phi(\sum_u a_{uv} \mathbf{x}_u,
\mathbf{z}_r)` (for subtraction, :math:`\sum_u a_{uv} \mathbf{x}_u - (\sum_u a_{uv})
\mathbf{z}_r`): the fast path composes after one sparse product per graph instead of
composing on every edge, and gives the same result as :meth:`CompGCNConv.message`.
"""

from __future__ import annotations

import logging
from typing import Literal

import torch
from torch import Tensor, nn
from torch.nn import Parameter
from torch_geometric.nn.conv import MessagePassing
from torch_geometric.nn.inits import glorot, zeros

from encoders.pyg_templates import drop_generated_source
from encoders.relational import LayerStep, RelationalEncoder
from encoders.relational_adjacency import RelationalAdjacency, edge_norm

logger = logging.getLogger(__name__)

Composition = Literal["sub", "mult", "corr"]
COMPOSITIONS: tuple[str, ...] = ("sub", "mult", "corr")


def circular_correlation(a: Tensor, b: Tensor) -> Tensor:
    r"""Circular correlation :math:`(\mathbf{a} \star \mathbf{b})_k = \sum_i a_i
    b_{(i + k) \bmod d}`, computed as :math:`\mathcal{F}^{-1}(\overline{\mathcal{F}(a)}
    \odot \mathcal{F}(b))`.

    Args:
        a (torch.Tensor): First operand.
        b (torch.Tensor): Second operand, broadcastable to ``a``.

    Shapes:
        - **input:** :math:`(*, d)` and :math:`(*, d)`
        - **output:** :math:`(*, d)`
    """
    d = a.size(-1)
    if a.numel() == 0 or b.numel() == 0:  # a relation without edges: MKL's FFT refuses (0, d)
        return torch.broadcast_tensors(a, b)[0].new_zeros(torch.broadcast_shapes(a.shape, b.shape))
    return torch.fft.irfft(torch.conj(torch.fft.rfft(a, dim=-1)) * torch.fft.rfft(b, dim=-1), n=d)


def compose(x: Tensor, rel: Tensor, composition: Composition) -> Tensor:
    r"""The composition :math:`\phi(\mathbf{x}, \mathbf{z})`: ``"sub"``
    :math:`\mathbf{x} - \mathbf{z}` (TransE), ``"mult"`` :math:`\mathbf{x} \odot \mathbf{z}`
    (DistMult), ``"corr"`` :math:`\mathbf{x} \star \mathbf{z}` (HolE).

    Args:
        x (torch.Tensor): Node features.
        rel (torch.Tensor): Relation embeddings, broadcastable to ``x``.
        composition (str): ``"sub"``, ``"mult"`` or ``"corr"``.

    Shapes:
        - **input:** :math:`(*, d)` and :math:`(*, d)`
        - **output:** :math:`(*, d)`
    """
    if composition == "sub":
        return x - rel
    if composition == "mult":
        return x * rel
    if composition == "corr":
        return circular_correlation(x, rel)
    raise ValueError(f"unknown composition {composition!r}; choices: {', '.join(COMPOSITIONS)}")


def init_relations(tensor: Tensor, composition: Composition) -> Tensor:
    r"""Fill relation embeddings so that :math:`\phi(\mathbf{x}, \mathbf{z})` keeps the scale
    of :math:`\mathbf{x}` at initialisation.

    ``"mult"``: :math:`z_k \sim \mathcal{N}(1, 0.1^2)` (close to the identity);
    ``"corr"``: :math:`z_k \sim \mathcal{N}(0, 1/d)` (unit expected norm);
    ``"sub"``: :math:`z_k \sim \mathcal{N}(0, 0.01/d)` (a small shift). Glorot
    initialisation, as in the paper's code, shrinks ``"mult"`` messages about tenfold per
    layer (0.002 norm after two layers on the HPO graph); the paper's code restores the
    scale with batch normalisation, which this layer does not use.

    Args:
        tensor (torch.Tensor): Relation embeddings, ``[num, d]``; filled in place.
        composition (str): ``"sub"``, ``"mult"`` or ``"corr"``.
    """
    d = tensor.size(-1)
    with torch.no_grad():
        if composition == "mult":
            return tensor.normal_(1.0, 0.1)
        if composition == "corr":
            return tensor.normal_(0.0, d**-0.5)
        return tensor.normal_(0.0, 0.1 * d**-0.5)


class CompGCNConv(MessagePassing):
    r"""One CompGCN layer (Vashishth et al., 2020) with edge weights.

    .. math::
        \mathbf{x}^{\prime}_v =
        \mathbf{W}_{O} \sum_{(u, r) \in \mathcal{N}^{\rightarrow}(v)} a_{uv}
            \phi(\mathbf{x}_u, \mathbf{z}_r)
        + \mathbf{W}_{I} \sum_{(u, r) \in \mathcal{N}^{\leftarrow}(v)} a_{uv}
            \phi(\mathbf{x}_u, \mathbf{z}_r)
        + \mathbf{W}_{S} \phi(\mathbf{x}_v, \mathbf{z}_{\textrm{loop}}) + \mathbf{b},
        \qquad \mathbf{z}^{\prime}_r = \mathbf{W}_{\textrm{rel}} \mathbf{z}_r

    where :math:`\mathcal{N}^{\rightarrow}` are forward edges (relations :math:`r < R`),
    :math:`\mathcal{N}^{\leftarrow}` inverse ones (:math:`r \geq R`), and
    :math:`a_{uv} = w_{uv} / \sqrt{d^{\mathrm{out}}_\lambda(u) d^{\mathrm{in}}_\lambda(v)}`
    is the edge weight times the symmetric normalisation within the edge's direction
    :math:`\lambda`. :math:`\mathbf{z}_{\textrm{loop}}` is a learned self-loop relation of
    this layer. No non-linearity is applied here (the encoder does it). The three parts are
    summed as in the paper's equation; the paper's code averages them and batch-normalises
    the result, which this layer replaces by scale-preserving initialisation
    (:func:`init_relations`).

    ``edge_index`` may be a :class:`RelationalAdjacency` built with ``norm="symmetric"``
    (fast) or a ``[2, num_edges]`` tensor with ``edge_type`` (edge-wise :meth:`message`
    passing, the reference path).

    Args:
        in_channels (int): Size of each input sample (and of the relation embeddings).
        out_channels (int): Size of each output sample.
        num_relations (int): Number of forward relations :math:`R`; edges carry relations
            :math:`0 \ldots 2R - 1`.
        composition (str, optional): :math:`\phi`: ``"sub"``, ``"mult"`` or ``"corr"``.
            (default: ``"mult"``)
        bias (bool, optional): Learn an additive bias. (default: :obj:`True`)

    Shapes:
        - **input:** node features :math:`(|\mathcal{V}|, F_{in})`, edge indices
          :math:`(2, |\mathcal{E}|)` or a :class:`RelationalAdjacency`, relation embeddings
          :math:`(2R, F_{in})`, edge types and weights :math:`(|\mathcal{E}|)`
        - **output:** node features :math:`(|\mathcal{V}|, F_{out})`, relation embeddings
          :math:`(2R, F_{out})`
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        num_relations: int,
        composition: Composition = "mult",
        bias: bool = True,
    ) -> None:
        super().__init__(aggr="add", node_dim=0)
        drop_generated_source(self)
        if composition not in COMPOSITIONS:
            raise ValueError(
                f"unknown composition {composition!r}; choices: {', '.join(COMPOSITIONS)}"
            )
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.num_relations = num_relations
        self.composition: Composition = composition
        self.weight_forward = Parameter(torch.empty(in_channels, out_channels))
        self.weight_inverse = Parameter(torch.empty(in_channels, out_channels))
        self.weight_loop = Parameter(torch.empty(in_channels, out_channels))
        self.weight_relation = Parameter(torch.empty(in_channels, out_channels))
        self.loop_relation = Parameter(torch.empty(1, in_channels))
        self.bias = Parameter(torch.empty(out_channels)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Glorot weights, loop relation from :func:`init_relations`, zero bias."""
        super().reset_parameters()
        for weight in (
            self.weight_forward,
            self.weight_inverse,
            self.weight_loop,
            self.weight_relation,
        ):
            glorot(weight)
        init_relations(self.loop_relation, self.composition)
        zeros(self.bias)

    def forward(
        self,
        x: Tensor,
        edge_index: Tensor | RelationalAdjacency,
        rel_emb: Tensor,
        edge_type: Tensor | None = None,
        edge_weight: Tensor | None = None,
    ) -> tuple[Tensor, Tensor]:
        """Run the layer.

        Args:
            x (torch.Tensor): Node features.
            edge_index (torch.Tensor or RelationalAdjacency): Edges with inverse edges
                included, or the precomputed adjacency.
            rel_emb (torch.Tensor): Embeddings of the :math:`2R` relations.
            edge_type (torch.Tensor, optional): Relation of each edge; needed with a tensor
                ``edge_index``. (default: :obj:`None`)
            edge_weight (torch.Tensor, optional): Weight of each edge; ignored with an
                adjacency, which holds its weights. (default: :obj:`None`)

        Returns:
            The new node features and the new relation embeddings.
        """
        n, r2 = x.size(0), 2 * self.num_relations
        if rel_emb.size(0) != r2:
            raise ValueError(f"rel_emb must have {r2} rows (forward and inverse relations)")
        if isinstance(edge_index, RelationalAdjacency):
            adj = edge_index
            adj.check(n)
            if adj.num_relations != r2:
                raise ValueError(f"adjacency has {adj.num_relations} relations, expected {r2}")
            sizes = adj.relation_sizes()
            chunks = zip(
                adj.aggregate(x).split(sizes),
                adj.row_sum.split(sizes),
                rel_emb.unbind(0),
                strict=True,
            )
            # Per relation, so each z_r broadcasts over its rows (no [rows, F] gather of the
            # relation embeddings, whose backward would be a slow scatter into 2R rows).
            composed = [
                s_r - sum_r.unsqueeze(1) * z_r
                if self.composition == "sub"
                else compose(s_r, z_r, self.composition)
                for s_r, sum_r, z_r in chunks
            ]
            split = adj.offsets[self.num_relations]
            composed_forward = torch.cat(composed[: self.num_relations])
            composed_inverse = torch.cat(composed[self.num_relations :])
            agg_forward = x.new_zeros(n, self.in_channels).index_add_(
                0, adj.row_node[:split], composed_forward
            )
            agg_inverse = x.new_zeros(n, self.in_channels).index_add_(
                0, adj.row_node[split:], composed_inverse
            )
        else:
            if edge_type is None:
                raise ValueError("edge_type is required with a tensor edge_index")
            value = edge_norm(edge_index, edge_type, n, r2, "symmetric")
            if edge_weight is not None:
                value = value * edge_weight
            aggs = []
            for mask in (edge_type < self.num_relations, edge_type >= self.num_relations):
                aggs.append(
                    self.propagate(
                        edge_index[:, mask],
                        x=x,
                        rel=rel_emb[edge_type[mask]],
                        edge_weight=value[mask],
                        size=(n, n),
                    )
                )
            agg_forward, agg_inverse = aggs
        loop = compose(x, self.loop_relation, self.composition)
        out = (
            agg_forward @ self.weight_forward
            + agg_inverse @ self.weight_inverse
            + loop @ self.weight_loop
        )
        if self.bias is not None:
            out = out + self.bias
        return out, rel_emb @ self.weight_relation

    def message(self, x_j: Tensor, rel: Tensor, edge_weight: Tensor) -> Tensor:
        r""":math:`a_{uv} \phi(\mathbf{x}_u, \mathbf{z}_r)` (the direction's weight follows the
        sum, as it is shared by all edges of a direction)."""
        return edge_weight.view(-1, 1) * compose(x_j, rel, self.composition)

    def __repr__(self) -> str:
        return (
            f"{self.__class__.__name__}({self.in_channels}, {self.out_channels}, "
            f"num_relations={self.num_relations}, composition={self.composition!r})"
        )


class CompGCNEncoder(RelationalEncoder):
    r"""A stack of :class:`CompGCNConv` layers with jointly learned relation embeddings.

    The initial embeddings of the :math:`2R` relations (forward and inverse) are free
    parameters or, with ``num_bases``, combinations
    :math:`\mathbf{z}_r = \sum_{b} \alpha_{rb} \mathbf{v}_b` of shared basis vectors (as in
    the paper). The adjacency (:meth:`prepare`) has inverse edges and symmetric normalisation
    per direction. Between layers: tanh, then dropout; dropout also acts on the input.

    Args:
        in_dim (int): Size of the input node features.
        hidden_dim (int): Size of the hidden and output node embeddings.
        num_relations (int): Number of forward relations :math:`R`.
        num_layers (int, optional): Number of layers. (default: :obj:`2`)
        composition (str, optional): ``"sub"``, ``"mult"`` or ``"corr"``.
            (default: ``"mult"``)
        num_bases (int, optional): If set, basis vectors for the initial relation
            embeddings. (default: :obj:`None`)
        dropout (float, optional): Dropout probability on each layer's input.
            (default: :obj:`0.2`)

    Shapes:
        - **input:** node features :math:`(|\mathcal{V}|, F_{in})`, edge indices
          :math:`(2, |\mathcal{E}|)` or a :class:`RelationalAdjacency`, edge types and
          weights :math:`(|\mathcal{E}|)`
        - **output:** node embeddings :math:`(|\mathcal{V}|, F_{hidden})`
    """

    adjacency_norm = "symmetric"

    def __init__(
        self,
        in_dim: int,
        hidden_dim: int,
        num_relations: int,
        *,
        num_layers: int = 2,
        composition: Composition = "mult",
        num_bases: int | None = None,
        dropout: float = 0.2,
    ) -> None:
        super().__init__(num_relations, num_layers, dropout)
        self.composition: Composition = composition
        if num_bases is None:
            self.relation_emb = Parameter(torch.empty(2 * num_relations, in_dim))
            self.register_parameter("relation_basis", None)
        else:
            self.relation_basis = Parameter(torch.empty(num_bases, in_dim))
            self.relation_emb = Parameter(torch.empty(2 * num_relations, num_bases))
        self.convs = nn.ModuleList(
            CompGCNConv(
                in_dim if i == 0 else hidden_dim,
                hidden_dim,
                num_relations,
                composition=composition,
            )
            for i in range(num_layers)
        )
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Relation embeddings from :func:`init_relations` (with bases: bases from it and
        coefficients that keep the combination's scale), reset every layer."""
        if self.relation_basis is None:
            init_relations(self.relation_emb, self.composition)
        else:
            init_relations(self.relation_basis, self.composition)
            num_bases = self.relation_basis.size(0)
            with torch.no_grad():
                if self.composition == "mult":  # rows summing to about 1: z close to 1
                    self.relation_emb.normal_(1.0 / num_bases, 0.1 / num_bases)
                else:
                    self.relation_emb.normal_(0.0, num_bases**-0.5)
        super().reset_parameters()

    def initial_relations(self) -> Tensor:
        r"""The input relation embeddings :math:`\mathbf{z}^{(0)}`.

        Shapes:
            - **output:** :math:`(2R, F_{in})`
        """
        if self.relation_basis is None:
            return self.relation_emb
        return self.relation_emb @ self.relation_basis

    def _layer_step(self, adj: RelationalAdjacency) -> LayerStep:
        """Each layer also maps the relation embeddings, starting from
        :meth:`initial_relations`."""
        rel = self.initial_relations()

        def step(conv: nn.Module, x: Tensor) -> Tensor:
            nonlocal rel
            x, rel = conv(x, adj, rel)
            return x

        return step

    def _activation(self, x: Tensor) -> Tensor:
        return torch.tanh(x)
