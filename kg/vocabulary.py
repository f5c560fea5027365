"""Stable IRI <-> integer id maps, per node type and for relations.

Ids are positions in sorted IRI lists, so the same KG always gives the same ids, and a
saved vocabulary maps model rows back to IRIs without any implicit offset.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from kg.errors import KGMismatchError, UnknownTermError
from kg.namespaces import compress
from kg.tensors import GraphTensors


@dataclass
class Vocabulary:
    """IRIs of the nodes of each type and of each relation, in id order.

    Attributes:
        nodes: node type IRI -> IRIs of its nodes (local id = position).
        relations: relation IRIs (relation id = position).
        fingerprint: the KG the ids were read from.
    """

    nodes: dict[str, list[str]]
    relations: list[str]
    fingerprint: str
    _ids: dict[str, tuple[str, int]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._ids = {iri: (t, i) for t, iris in self.nodes.items() for i, iri in enumerate(iris)}

    @classmethod
    def from_graph(cls, graph: GraphTensors) -> Vocabulary:
        """The vocabulary of a graph's nodes (sorted per type) and relations."""
        nodes: dict[str, list[str]] = {t: [] for t in graph.node_type_names}
        for iri, t in zip(graph.node_iris, graph.node_type.tolist(), strict=True):
            nodes[graph.node_type_names[t]].append(iri)
        return cls(
            {t: sorted(v) for t, v in nodes.items()}, list(graph.relation_names), graph.fingerprint
        )

    def id(self, iri: str) -> tuple[str, int]:
        """(node type IRI, local id) of a node.

        Raises:
            UnknownTermError: the IRI is not a node of this vocabulary.
        """
        try:
            return self._ids[iri]
        except KeyError:
            raise UnknownTermError(compress(iri), (compress(i) for i in self._ids)) from None

    def iri(self, node_type: str, local_id: int) -> str:
        """IRI of a node from its type and local id."""
        return self.nodes[node_type][local_id]

    def relation_id(self, iri: str) -> int:
        try:
            return self.relations.index(iri)
        except ValueError:
            raise UnknownTermError(compress(iri), (compress(r) for r in self.relations)) from None

    def check(self, fingerprint: str, what: str = "this vocabulary") -> None:
        """Raise KGMismatchError unless the vocabulary was read from that KG."""
        if fingerprint != self.fingerprint:
            raise KGMismatchError(what, self.fingerprint, fingerprint)

    def save(self, path: Path) -> None:
        """Write as JSON."""
        data = {"nodes": self.nodes, "relations": self.relations, "fingerprint": self.fingerprint}
        path.write_text(json.dumps(data), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> Vocabulary:
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(data["nodes"], data["relations"], data["fingerprint"])
