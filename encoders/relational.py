r"""Encoder-level plumbing shared by the relational graph encoders.

:class:`RelationalEncoder` turns forward edges (or a prepared :class:`RelationalAdjacency`)
into the adjacency its layers consume and runs the layer stack; :mod:`encoders.rgcn` and
:mod:`encoders.compgcn` supply the layers, the normalisation and the activation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar, cast

import torch.nn.functional as F
from torch import Tensor, nn
from torch_geometric.nn.conv import MessagePassing

from encoders.relational_adjacency import EdgeNorm, RelationalAdjacency

LayerStep = Callable[[nn.Module, Tensor], Tensor]


class RelationalEncoder(nn.Module):
    r"""A stack of relational layers over a KG with inverse relations.

    Subclasses build the layers as ``self.convs``, set :attr:`adjacency_norm` and define
    :meth:`_activation`. :meth:`forward` applies dropout before every layer and the
    activation between layers (none after the last).

    Args:
        num_relations (int): Number of forward relations :math:`R`.
        num_layers (int): Number of layers; at least 1.
        dropout (float): Dropout probability on each layer's input.
    """

    adjacency_norm: ClassVar[EdgeNorm]
    convs: nn.ModuleList

    def __init__(self, num_relations: int, num_layers: int, dropout: float) -> None:
        super().__init__()
        if num_layers < 1:
            raise ValueError(f"num_layers must be at least 1, got {num_layers}")
        self.num_relations = num_relations
        self.dropout = dropout

    def reset_parameters(self) -> None:
        """Reset every layer."""
        for conv in self.convs:
            cast(MessagePassing, conv).reset_parameters()

    def prepare(
        self,
        edge_index: Tensor,
        edge_type: Tensor,
        edge_weight: Tensor | None,
        num_nodes: int,
    ) -> RelationalAdjacency:
        """The adjacency this encoder consumes: inverse edges added, normalised with
        :attr:`adjacency_norm`. Build it once per graph and pass it to :meth:`forward` as
        ``edge_index``.

        Args:
            edge_index (torch.Tensor): Forward edges.
            edge_type (torch.Tensor): Forward relation of each edge.
            edge_weight (torch.Tensor, optional): Weight of each edge.
            num_nodes (int): Number of nodes.
        """
        return RelationalAdjacency.from_edges(
            edge_index,
            edge_type,
            edge_weight,
            num_nodes,
            self.num_relations,
            norm=self.adjacency_norm,
        )

    def forward(
        self,
        x: Tensor,
        edge_index: Tensor | RelationalAdjacency,
        edge_type: Tensor | None = None,
        edge_weight: Tensor | None = None,
    ) -> Tensor:
        """Embed every node.

        Args:
            x (torch.Tensor): Input node features.
            edge_index (torch.Tensor or RelationalAdjacency): Forward edges, or the result of
                :meth:`prepare` (faster when called more than once on a graph).
            edge_type (torch.Tensor, optional): Forward relation of each edge; needed with a
                tensor ``edge_index``. (default: :obj:`None`)
            edge_weight (torch.Tensor, optional): Weight of each edge in :math:`[0, 1]`.
                (default: :obj:`None`, weight 1)
        """
        if isinstance(edge_index, RelationalAdjacency):
            adj = edge_index
        else:
            if edge_type is None:
                raise ValueError("edge_type is required with a tensor edge_index")
            adj = self.prepare(edge_index, edge_type, edge_weight, x.size(0))
        step = self._layer_step(adj)
        for i, conv in enumerate(self.convs):
            x = F.dropout(x, p=self.dropout, training=self.training)
            x = step(conv, x)
            if i < len(self.convs) - 1:
                x = self._activation(x)
        return x

    def _layer_step(self, adj: RelationalAdjacency) -> LayerStep:
        """How one layer maps node features over ``adj`` (here ``conv(x, adj)``); called once
        per :meth:`forward`, so the step may carry state from layer to layer."""
        return lambda conv, x: conv(x, adj)

    def _activation(self, x: Tensor) -> Tensor:
        """The non-linearity between layers."""
        raise NotImplementedError
