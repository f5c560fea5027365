"""The typed graph of a KG as numpy arrays, and its files (``graph.safetensors``,
``graph.json``).

A build computes and saves the graph with numpy alone (no torch import); upper layers read
the same files as :class:`kg.tensors.GraphTensors`, whose ``save`` writes them through
:meth:`GraphArrays.save`, so there is one writer of the format.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

SAFETENSORS_FILE = "graph.safetensors"
META_FILE = "graph.json"


class GraphSizes:
    """Node, edge and relation counts of a graph held as ``node_iris``, a ``[2, E]``
    ``edge_index`` and ``relation_names`` (numpy arrays or torch tensors alike)."""

    node_iris: list[str]
    edge_index: Any
    relation_names: list[str]

    @property
    def num_nodes(self) -> int:
        return len(self.node_iris)

    @property
    def num_edges(self) -> int:
        return int(self.edge_index.shape[1])

    @property
    def num_relations(self) -> int:
        return len(self.relation_names)


@dataclass
class GraphArrays(GraphSizes):
    """A typed relational graph as numpy arrays (the fields of
    :class:`~kg.tensors.GraphTensors`).

    Attributes:
        node_iris: IRI of each node; position = global node index.
        node_type: ``[num_nodes]`` int64 index into ``node_type_names``.
        node_type_names: IRI of each node type.
        edge_index: ``[2, num_edges]`` int64 source and target global indices.
        edge_type: ``[num_edges]`` int64 index into ``relation_names``.
        relation_names: IRI of each relation.
        edge_weight: ``[num_edges]`` float32 weights in [0, 1].
        fingerprint: fingerprint of the KG the graph was read from.
    """

    node_iris: list[str]
    node_type: np.ndarray
    node_type_names: list[str]
    edge_index: np.ndarray
    edge_type: np.ndarray
    relation_names: list[str]
    edge_weight: np.ndarray
    fingerprint: str

    def save(self, folder: Path) -> None:
        """Write ``graph.safetensors`` and ``graph.json`` into ``folder``."""
        from safetensors.numpy import save_file

        folder.mkdir(parents=True, exist_ok=True)
        save_file(
            {
                "node_type": np.ascontiguousarray(self.node_type),
                "edge_index": np.ascontiguousarray(self.edge_index),
                "edge_type": np.ascontiguousarray(self.edge_type),
                "edge_weight": np.ascontiguousarray(self.edge_weight),
            },
            str(folder / SAFETENSORS_FILE),
        )
        meta = {
            "node_iris": self.node_iris,
            "node_type_names": self.node_type_names,
            "relation_names": self.relation_names,
            "fingerprint": self.fingerprint,
        }
        (folder / META_FILE).write_text(json.dumps(meta), encoding="utf-8")
