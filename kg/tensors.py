"""Tensor views of a knowledge graph for message passing.

``GraphTensors`` is one typed, relational graph: every node has a global index (its row in
``node_iris``), a node type and a local index within its type; every edge has a relation
type and a weight (annotation frequency for phenotype edges, 1 elsewhere). It converts to
and from a PyG ``HeteroData`` without losing any IRI.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import torch
from safetensors.torch import load_file

from kg.graph_arrays import META_FILE, SAFETENSORS_FILE, GraphArrays, GraphSizes
from kg.namespaces import compress

if TYPE_CHECKING:
    from torch_geometric.data import HeteroData


def _short(iri: str) -> str:
    """A PyG-safe short name of a type or relation IRI (HeteroData keys cannot hold '.')."""
    return re.sub(r"[^A-Za-z0-9]+", "_", compress(iri)).strip("_")


def _distinct_keys(iris: list[str], what: str) -> list[str]:
    """The short names of ``iris``; two IRIs with one short name (``has-part``,
    ``has_part``) would merge their nodes or edges in a ``HeteroData``, so they are refused."""
    keys = [_short(i) for i in iris]
    seen: dict[str, str] = {}
    for iri, key in zip(iris, keys, strict=True):
        if key in seen and seen[key] != iri:
            raise ValueError(
                f"{what} {seen[key]!r} and {iri!r} share the HeteroData key {key!r}; "
                "rename one of them"
            )
        seen[key] = iri
    return keys


@dataclass
class GraphTensors(GraphSizes):
    """A typed relational graph as tensors.

    Attributes:
        node_iris: IRI of each node; position = global node index.
        node_type: ``[num_nodes]`` index into ``node_type_names``.
        node_type_names: IRI of each node type.
        edge_index: ``[2, num_edges]`` source and target global indices.
        edge_type: ``[num_edges]`` index into ``relation_names``.
        relation_names: IRI of each relation (forward direction only; encoders add inverses).
        edge_weight: ``[num_edges]`` float weights in [0, 1].
        fingerprint: fingerprint of the KG the tensors were read from.
    """

    node_iris: list[str]
    node_type: torch.Tensor
    node_type_names: list[str]
    edge_index: torch.Tensor
    edge_type: torch.Tensor
    relation_names: list[str]
    edge_weight: torch.Tensor
    fingerprint: str

    def __post_init__(self) -> None:
        n, e = len(self.node_iris), self.edge_index.shape[1]
        if self.node_type.shape != (n,):
            raise ValueError(f"node_type has shape {tuple(self.node_type.shape)}, expected ({n},)")
        if self.edge_index.shape[0] != 2:
            raise ValueError("edge_index must have shape [2, num_edges]")
        if self.edge_type.shape != (e,) or self.edge_weight.shape != (e,):
            raise ValueError("edge_type and edge_weight must have shape [num_edges]")
        for name in ("node_type", "edge_index", "edge_type"):
            value = getattr(self, name)
            if value.is_floating_point() or value.is_complex() or value.dtype == torch.bool:
                raise ValueError(f"{name} must hold integers, got {value.dtype}")
            if value.dtype != torch.long:  # int32 ids would overflow the adjacency's sort keys
                setattr(self, name, value.long())
        if e and int(self.edge_index.max()) >= n:
            raise ValueError("edge_index refers to a node beyond node_iris")
        if e and int(self.edge_index.min()) < 0:
            raise ValueError("edge_index holds a negative node index")
        if e and not 0 <= int(self.edge_type.min()) <= int(self.edge_type.max()) < len(
            self.relation_names
        ):
            raise ValueError(
                f"edge_type must lie in [0, {len(self.relation_names)}) "
                f"(one index per relation_names entry)"
            )
        if n and not 0 <= int(self.node_type.min()) <= int(self.node_type.max()) < len(
            self.node_type_names
        ):
            raise ValueError(
                f"node_type must lie in [0, {len(self.node_type_names)}) "
                f"(one index per node_type_names entry)"
            )
        if e:
            w = self.edge_weight
            if not bool(torch.isfinite(w).all()) or float(w.min()) < 0 or float(w.max()) > 1:
                raise ValueError("edge_weight must be finite and lie in [0, 1]")

    def index_of(self) -> dict[str, int]:
        """IRI -> global node index."""
        return {iri: i for i, iri in enumerate(self.node_iris)}

    def nodes_of_type(self, type_iri: str) -> torch.Tensor:
        """Global indices of the nodes of one type."""
        t = self.node_type_names.index(type_iri)
        return torch.nonzero(self.node_type == t, as_tuple=False).flatten()

    def to_hetero_data(self) -> HeteroData:
        """Convert to a PyG ``HeteroData`` (node types and relations keyed by short names).

        Each node store holds ``iri`` (list) and ``global_id``; each edge store holds
        ``edge_index`` (local ids), ``edge_weight`` and ``relation_iri``.
        """
        from torch_geometric.data import HeteroData

        data = HeteroData()
        local = torch.empty(self.num_nodes, dtype=torch.long)
        type_keys = _distinct_keys(self.node_type_names, "node types")
        relation_keys = _distinct_keys(self.relation_names, "relations")
        for t, key in enumerate(type_keys):
            ids = torch.nonzero(self.node_type == t, as_tuple=False).flatten()
            local[ids] = torch.arange(ids.numel())
            data[key].global_id = ids
            data[key].iri = [self.node_iris[i] for i in ids.tolist()]
            data[key].type_iri = self.node_type_names[t]
            data[key].num_nodes = ids.numel()
        src_t = self.node_type[self.edge_index[0]]
        dst_t = self.node_type[self.edge_index[1]]
        for r, rel in enumerate(self.relation_names):
            mask_r = self.edge_type == r
            pairs = torch.unique(torch.stack([src_t[mask_r], dst_t[mask_r]]), dim=1)
            for s, d in pairs.t().tolist():
                mask = mask_r & (src_t == s) & (dst_t == d)
                edge_key = (type_keys[s], relation_keys[r], type_keys[d])
                ei = self.edge_index[:, mask]
                data[edge_key].edge_index = torch.stack([local[ei[0]], local[ei[1]]])
                data[edge_key].edge_weight = self.edge_weight[mask]
                data[edge_key].relation_iri = rel
        data.fingerprint = self.fingerprint
        data.relation_names = list(self.relation_names)  # keeps relations without edges
        return data

    @classmethod
    def from_hetero_data(cls, data: HeteroData) -> GraphTensors:
        """Inverse of :meth:`to_hetero_data`: global ids, IRIs and relations restored."""
        node_type_names: list[str] = []
        num_nodes = sum(int(data[k].num_nodes) for k in data.node_types)
        node_iris: list[str] = [""] * num_nodes
        node_type = torch.empty(num_nodes, dtype=torch.long)
        for t, key in enumerate(data.node_types):
            store = data[key]
            node_type_names.append(store.type_iri)
            node_type[store.global_id] = t
            for g, iri in zip(store.global_id.tolist(), store.iri, strict=True):
                node_iris[g] = iri
        relation_names: list[str] = list(getattr(data, "relation_names", None) or [])
        ei_parts, et_parts, ew_parts = [], [], []
        for key in data.edge_types:
            store = data[key]
            src_key, _, dst_key = key
            rel = store.relation_iri
            if rel not in relation_names:
                relation_names.append(rel)
            ei = store.edge_index
            ei_parts.append(
                torch.stack([data[src_key].global_id[ei[0]], data[dst_key].global_id[ei[1]]])
            )
            et_parts.append(torch.full((ei.shape[1],), relation_names.index(rel), dtype=torch.long))
            ew_parts.append(store.edge_weight)
        edge_index = torch.cat(ei_parts, dim=1) if ei_parts else torch.empty(2, 0, dtype=torch.long)
        edge_type = torch.cat(et_parts) if et_parts else torch.empty(0, dtype=torch.long)
        edge_weight = torch.cat(ew_parts) if ew_parts else torch.empty(0)
        return cls(
            node_iris,
            node_type,
            node_type_names,
            edge_index,
            edge_type,
            relation_names,
            edge_weight,
            str(getattr(data, "fingerprint", "")),
        )

    @classmethod
    def from_arrays(cls, arrays: GraphArrays) -> GraphTensors:
        """The same graph as tensors (sharing the arrays' memory)."""
        return cls(
            arrays.node_iris,
            torch.from_numpy(arrays.node_type),
            arrays.node_type_names,
            torch.from_numpy(arrays.edge_index),
            torch.from_numpy(arrays.edge_type),
            arrays.relation_names,
            torch.from_numpy(arrays.edge_weight),
            arrays.fingerprint,
        )

    def to_arrays(self) -> GraphArrays:
        """The same graph as numpy arrays."""
        return GraphArrays(
            self.node_iris,
            self.node_type.detach().cpu().numpy(),
            self.node_type_names,
            self.edge_index.detach().cpu().numpy(),
            self.edge_type.detach().cpu().numpy(),
            self.relation_names,
            self.edge_weight.detach().cpu().numpy(),
            self.fingerprint,
        )

    def save(self, folder: Path) -> None:
        """Write ``graph.safetensors`` and ``graph.json`` into ``folder``
        (:meth:`GraphArrays.save <kg.graph_arrays.GraphArrays.save>`)."""
        self.to_arrays().save(folder)

    @classmethod
    def load(cls, folder: Path) -> GraphTensors:
        """Read what :meth:`save` wrote."""
        t = load_file(str(folder / SAFETENSORS_FILE))
        meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
        return cls(
            meta["node_iris"],
            t["node_type"],
            meta["node_type_names"],
            t["edge_index"],
            t["edge_type"],
            meta["relation_names"],
            t["edge_weight"],
            meta["fingerprint"],
        )
