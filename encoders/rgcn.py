r"""R-GCN encoder with weighted edges.

Why a layer of our own instead of PyG's ``RGCNConv``/``FastRGCNConv``: both aggregate an
unweighted mean per relation and take no edge weight, while the phenotype edges of the KG
carry an annotation frequency that should scale their messages. Bucketing the frequency
into extra relation types (the other way to feed it to ``RGCNConv``) multiplies the
relations and throws away the value within a bucket. On speed, measured here (one thread,
37k nodes, 1.2M edges with inverses, 128 channels, no pyg-lib), forward + backward of one
layer: ``RGCNConv`` (gather/scatter per relation) 1.57 CPU-seconds; ``FastRGCNConv`` 2.5
CPU-seconds on 20k edges alone, as it builds a ``[num_edges, in, out]`` weight tensor (79 GB
at 1.2M edges); :class:`WeightedRGCNConv` on a precomputed :class:`RelationalAdjacency`
0.24 CPU-seconds. With all weights 1 the layer computes exactly what ``RGCNConv`` computes
and uses the same parameter names, so an ``RGCNConv`` state dict loads into it.
"""

from __future__ import annotations

import logging

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn import Parameter
from torch_geometric.nn.conv import MessagePassing
from torch_geometric.nn.inits import glorot, zeros

from encoders.pyg_templates import drop_generated_source
from encoders.relational import RelationalEncoder
from encoders.relational_adjacency import RelationalAdjacency, edge_norm

logger = logging.getLogger(__name__)


class WeightedRGCNConv(MessagePassing):
    r"""The relational graph convolution of `"Modeling Relational Data with Graph
    Convolutional Networks" <https://arxiv.org/abs/1703.06103>`_ (Schlichtkrull et al.,
    2018), with edge weights.

    .. math::
        \mathbf{x}^{\prime}_v = \mathbf{\Theta}_{\textrm{root}} \mathbf{x}_v +
        \sum_{r \in \mathcal{R}} \sum_{u \in \mathcal{N}_r(v)}
        \frac{w_{uv}}{|\mathcal{N}_r(v)|} \mathbf{\Theta}_r \mathbf{x}_u + \mathbf{b}

    where :math:`w_{uv} \in [0, 1]` is the edge weight (1 when none is given). The
    normaliser stays the neighbour count, not the weight sum, so a rare annotation
    (:math:`w = 0.05`) contributes a twentieth of a certain one instead of being rescaled
    to it. With basis decomposition
    :math:`\mathbf{\Theta}_r = \sum_{b=1}^{B} a_{rb} \mathbf{V}_b`; with block
    decomposition :math:`\mathbf{\Theta}_r` is block diagonal with ``num_blocks`` blocks.

    ``edge_index`` may be a :class:`RelationalAdjacency` (fast: one sparse product for all
    relations) or a plain ``[2, num_edges]`` tensor with ``edge_type`` (edge-wise
    :meth:`message` passing, the reference path).

    Args:
        in_channels (int): Size of each input sample.
        out_channels (int): Size of each output sample.
        num_relations (int): Number of relations (inverse relations included: this layer
            adds none).
        num_bases (int, optional): If set, use basis decomposition with this many bases.
            (default: :obj:`None`)
        num_blocks (int, optional): If set, use block-diagonal decomposition with this many
            blocks; must divide both channel sizes. (default: :obj:`None`)
        root_weight (bool, optional): Add the transformed root features
            :math:`\mathbf{\Theta}_{\textrm{root}} \mathbf{x}_v` (the self loop).
            (default: :obj:`True`)
        bias (bool, optional): Learn an additive bias. (default: :obj:`True`)

    Shapes:
        - **input:** node features :math:`(|\mathcal{V}|, F_{in})`,
          edge indices :math:`(2, |\mathcal{E}|)` or a :class:`RelationalAdjacency`,
          edge types :math:`(|\mathcal{E}|)`, edge weights :math:`(|\mathcal{E}|)` *(optional)*
        - **output:** node features :math:`(|\mathcal{V}|, F_{out})`
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        num_relations: int,
        num_bases: int | None = None,
        num_blocks: int | None = None,
        root_weight: bool = True,
        bias: bool = True,
    ) -> None:
        super().__init__(aggr="add", node_dim=0)
        drop_generated_source(self)
        if num_bases is not None and num_blocks is not None:
            raise ValueError("use either basis (num_bases) or block (num_blocks) decomposition")
        if num_blocks is not None and (in_channels % num_blocks or out_channels % num_blocks):
            raise ValueError(
                f"num_blocks={num_blocks} must divide in_channels={in_channels} and "
                f"out_channels={out_channels}"
            )
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.num_relations = num_relations
        self.num_bases = num_bases
        self.num_blocks = num_blocks
        if num_bases is not None:
            self.weight = Parameter(torch.empty(num_bases, in_channels, out_channels))
            self.comp = Parameter(torch.empty(num_relations, num_bases))
        elif num_blocks is not None:
            self.weight = Parameter(
                torch.empty(
                    num_relations, num_blocks, in_channels // num_blocks, out_channels // num_blocks
                )
            )
            self.register_parameter("comp", None)
        else:
            self.weight = Parameter(torch.empty(num_relations, in_channels, out_channels))
            self.register_parameter("comp", None)
        self.root = Parameter(torch.empty(in_channels, out_channels)) if root_weight else None
        self.bias = Parameter(torch.empty(out_channels)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Glorot weights, zero bias (as ``RGCNConv``)."""
        super().reset_parameters()
        glorot(self.weight)
        glorot(self.comp)
        glorot(self.root)
        zeros(self.bias)

    def relation_weights(self) -> Tensor:
        r"""The per-relation weights :math:`\mathbf{\Theta}_r`, bases combined.

        Shapes:
            - **output:** :math:`(R, F_{in}, F_{out})`, or
              :math:`(R, B, F_{in}/B, F_{out}/B)` with blocks
        """
        if self.comp is None:
            return self.weight
        return (self.comp @ self.weight.view(self.comp.size(1), -1)).view(
            self.num_relations, self.in_channels, self.out_channels
        )

    def _transform(self, h: Tensor, weight: Tensor) -> Tensor:
        if self.num_blocks is None:
            return h @ weight
        blocks = h.view(-1, self.num_blocks, self.in_channels // self.num_blocks)
        return torch.einsum("nbi,bio->nbo", blocks, weight).reshape(-1, self.out_channels)

    def forward(
        self,
        x: Tensor,
        edge_index: Tensor | RelationalAdjacency,
        edge_type: Tensor | None = None,
        edge_weight: Tensor | None = None,
    ) -> Tensor:
        """Run the layer.

        Args:
            x (torch.Tensor): Node features.
            edge_index (torch.Tensor or RelationalAdjacency): Edges, or the precomputed
                adjacency (built with ``norm="mean"``).
            edge_type (torch.Tensor, optional): Relation of each edge; needed with a tensor
                ``edge_index``. (default: :obj:`None`)
            edge_weight (torch.Tensor, optional): Weight of each edge; ignored with an
                adjacency, which holds its weights. (default: :obj:`None`)
        """
        weight = self.relation_weights()
        if isinstance(edge_index, RelationalAdjacency):
            adj = edge_index
            adj.check(x.size(0))
            if adj.num_relations != self.num_relations:
                raise ValueError(
                    f"adjacency has {adj.num_relations} relations, layer {self.num_relations}"
                )
            # split/unbind rather than slicing: their backward is one cat/stack instead of
            # a zero-filled full-size gradient per relation.
            chunks = adj.aggregate(x).split(adj.relation_sizes())
            parts = [self._transform(h, w) for h, w in zip(chunks, weight.unbind(0), strict=True)]
            out = x.new_zeros(x.size(0), self.out_channels).index_add_(
                0, adj.row_node, torch.cat(parts)
            )
        else:
            if edge_type is None:
                raise ValueError("edge_type is required with a tensor edge_index")
            value = edge_norm(edge_index, edge_type, x.size(0), self.num_relations, "mean")
            if edge_weight is not None:
                value = value * edge_weight
            out = x.new_zeros(x.size(0), self.out_channels)
            for r, w in enumerate(weight.unbind(0)):
                mask = edge_type == r
                h = self.propagate(edge_index[:, mask], x=x, edge_weight=value[mask])
                out = out + self._transform(h, w)
        if self.root is not None:
            out = out + x @ self.root
        if self.bias is not None:
            out = out + self.bias
        return out

    def message(self, x_j: Tensor, edge_weight: Tensor) -> Tensor:
        r""":math:`\frac{w_{uv}}{|\mathcal{N}_r(v)|} \mathbf{x}_u` (the transform follows
        the sum, as it is shared within a relation)."""
        return edge_weight.view(-1, 1) * x_j

    def __repr__(self) -> str:
        return (
            f"{self.__class__.__name__}({self.in_channels}, {self.out_channels}, "
            f"num_relations={self.num_relations})"
        )


class RGCNEncoder(RelationalEncoder):
    r"""A stack of :class:`WeightedRGCNConv` layers over a KG with inverse relations.

    The graph holds forward relations :math:`0 \ldots R - 1` only; every edge
    :math:`(u, r, v)` is also passed as :math:`(v, r + R, u)` with the same weight, so
    information flows both ways with separate weights per direction. Self loops are the
    layers' root weight. The adjacency (:meth:`prepare`) is mean-normalised. Between layers:
    ReLU, then dropout; dropout also acts on the input.

    .. math::
        \mathbf{H}^{(l+1)} = \sigma\left(\mathrm{RGCN}^{(l)}\left(
        \mathrm{dropout}(\mathbf{H}^{(l)})\right)\right)

    with :math:`\sigma` the identity after the last layer.

    Args:
        in_dim (int): Size of the input node features.
        hidden_dim (int): Size of the hidden and output node embeddings.
        num_relations (int): Number of forward relations :math:`R`.
        num_layers (int, optional): Number of layers. (default: :obj:`2`)
        num_bases (int, optional): Basis decomposition, see :class:`WeightedRGCNConv`.
            (default: :obj:`None`)
        num_blocks (int, optional): Block decomposition, see :class:`WeightedRGCNConv`.
            (default: :obj:`None`)
        dropout (float, optional): Dropout probability on each layer's input.
            (default: :obj:`0.2`)

    Shapes:
        - **input:** node features :math:`(|\mathcal{V}|, F_{in})`, edge indices
          :math:`(2, |\mathcal{E}|)` or a :class:`RelationalAdjacency`, edge types and
          weights :math:`(|\mathcal{E}|)`
        - **output:** node embeddings :math:`(|\mathcal{V}|, F_{hidden})`
    """

    adjacency_norm = "mean"

    def __init__(
        self,
        in_dim: int,
        hidden_dim: int,
        num_relations: int,
        *,
        num_layers: int = 2,
        num_bases: int | None = None,
        num_blocks: int | None = None,
        dropout: float = 0.2,
    ) -> None:
        super().__init__(num_relations, num_layers, dropout)
        self.convs = nn.ModuleList(
            WeightedRGCNConv(
                in_dim if i == 0 else hidden_dim,
                hidden_dim,
                2 * num_relations,
                num_bases=num_bases,
                num_blocks=num_blocks,
            )
            for i in range(num_layers)
        )

    def _activation(self, x: Tensor) -> Tensor:
        return F.relu(x)
