r"""Input features of the graph encoder's nodes.

A node starts from a learned vector, from a fixed text embedding of its label and
definition, or from both:

.. math::
    \mathbf{x}_v = \begin{cases}
    \mathbf{e}_v & \text{learned} \\
    \mathbf{W} \mathbf{t}_v + \mathbf{b} & \text{text} \\
    \mathbf{e}_v + \mathbf{W} \mathbf{t}_v + \mathbf{b} & \text{both}
    \end{cases}

With ``"text"`` alone nothing is tied to a node's identity, so a node added after training
gets a vector from its text embedding alone (the inductive setting of the design: new terms
get vectors without retraining).
"""

from __future__ import annotations

import logging
from typing import Literal

import torch
from torch import Tensor, nn

logger = logging.getLogger(__name__)

FeatureMode = Literal["learned", "text", "both"]
FEATURE_MODES: tuple[str, ...] = ("learned", "text", "both")


class NodeFeatures(nn.Module):
    r"""Node input features: a learned embedding, a projected text embedding, or their sum.

    Args:
        num_nodes (int): Number of nodes with a row in the tables.
        dim (int): Size of the output features.
        mode (str, optional): ``"learned"``, ``"text"`` or ``"both"``.
            (default: ``"learned"``)
        text_features (torch.Tensor, optional): Fixed text embeddings of the nodes' labels
            and definitions, row :math:`v` for node :math:`v`; required by ``"text"`` and
            ``"both"``, and kept as a buffer (saved with the model, never trained).
            (default: :obj:`None`)

    Shapes:
        - **input:** node ids :math:`(n)` *(optional, default all nodes)*, text embeddings
          of new nodes :math:`(m, F_{text})` *(optional)*
        - **output:** features :math:`(n + m, d)`, the new nodes last
    """

    text_features: Tensor | None

    def __init__(
        self,
        num_nodes: int,
        dim: int,
        mode: FeatureMode = "learned",
        text_features: Tensor | None = None,
    ) -> None:
        super().__init__()
        if mode not in FEATURE_MODES:
            raise ValueError(f"unknown feature mode {mode!r}; choices: {', '.join(FEATURE_MODES)}")
        self.num_nodes = num_nodes
        self.dim = dim
        self.mode: FeatureMode = mode
        self.embedding = nn.Embedding(num_nodes, dim) if mode in ("learned", "both") else None
        if mode in ("text", "both"):
            if text_features is None:
                raise ValueError(f"feature mode {mode!r} needs text_features")
            if text_features.dim() != 2 or text_features.size(0) != num_nodes:
                raise ValueError(
                    f"text_features must have shape [{num_nodes}, text_dim], "
                    f"got {list(text_features.shape)}"
                )
            self.register_buffer("text_features", text_features.detach().float().clone())
            self.projection: nn.Linear | None = nn.Linear(text_features.size(1), dim)
        else:
            if text_features is not None:
                raise ValueError("text_features given but feature mode is 'learned'")
            self.register_buffer("text_features", None)
            self.projection = None
        self.reset_parameters()

    @property
    def text_dim(self) -> int | None:
        """Size of the text embeddings, or :obj:`None` without text."""
        return None if self.text_features is None else int(self.text_features.size(1))

    def reset_parameters(self) -> None:
        r"""Learned rows from :math:`\mathcal{N}(0, 1/d)` (unit expected norm); default
        ``Linear`` initialisation for the projection."""
        if self.embedding is not None:
            nn.init.normal_(self.embedding.weight, std=self.dim**-0.5)
        if self.projection is not None:
            self.projection.reset_parameters()

    def forward(self, node_ids: Tensor | None = None, extra_text: Tensor | None = None) -> Tensor:
        """Features of known nodes, then of new nodes given by their text embeddings.

        Args:
            node_ids (torch.Tensor, optional): Ids of known nodes. (default: :obj:`None`,
                all nodes in order)
            extra_text (torch.Tensor, optional): Text embeddings of nodes that have no row
                in the tables (only with ``mode="text"``). (default: :obj:`None`)
        """
        if node_ids is None:
            device = self._device()
            node_ids = torch.arange(self.num_nodes, device=device)
        parts: list[Tensor] = []
        if self.embedding is not None:
            parts.append(self.embedding(node_ids))
        if self.projection is not None and self.text_features is not None:
            parts.append(self.projection(self.text_features[node_ids]))
        x = parts[0] if len(parts) == 1 else parts[0] + parts[1]
        if extra_text is None:
            return x
        if self.mode != "text" or self.projection is None:
            raise ValueError(
                f"new nodes need feature mode 'text' (a learned row exists only for trained "
                f"nodes); this model uses {self.mode!r}"
            )
        if extra_text.dim() != 2 or extra_text.size(1) != self.text_dim:
            raise ValueError(
                f"extra_text must have shape [num_new, {self.text_dim}], "
                f"got {list(extra_text.shape)}"
            )
        return torch.cat([x, self.projection(extra_text.to(x.dtype))])

    def _device(self) -> torch.device:
        return next(self.parameters()).device

    def extra_repr(self) -> str:
        return f"num_nodes={self.num_nodes}, dim={self.dim}, mode={self.mode!r}"
