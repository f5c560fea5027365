"""What the other files of a build beside HPO add to the tables HPO's converters collected.

An HPO build hands its derived tables the annotation table and the edges its converters
collected (:class:`kg.store.DomainHints`), which spares reading ~3M triples back from the
store. A file built beside HPO may add annotation nodes (a disease of one's own with its
phenotypes) and edges of the same predicates: read from a store of those files alone, they
complete the converters' tables, which then equal the tables read from the finished store.
Where the files write into HPO's own nodes instead (a value of one of its annotation nodes, a
label of a subject it annotates) or give their annotation nodes blank nodes (whose ids differ
from one store to another), :func:`completed_hints` declines and the build reads every table
from the finished store (~40 s more on HPO).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kg.annotations import AnnotationTable
from kg.namespaces import KGV_ANNOTATION, RDF_TYPE, RDFS_LABEL

if TYPE_CHECKING:
    import pyoxigraph as ox

__all__ = ["completed_hints"]

Edges = dict[str, list[tuple[str, str]]]


def completed_hints(
    annotations: AnnotationTable, edges: Edges, others: ox.Store, store: ox.Store
) -> tuple[AnnotationTable, Edges] | None:
    """HPO's annotation table and edges with those of ``others`` (a store of the other
    files' triples alone) added; None where the other files write into HPO's own annotation
    nodes or subjects' labels, or give an annotation node a blank node, so that the tables
    must be read from ``store`` (the finished store of the whole build)."""
    import pyoxigraph as ox

    default = ox.DefaultGraph()
    hpo_nodes = set(annotations.annotation_iris)
    hpo_subjects = set(annotations.subjects)
    typed = ox.NamedNode(RDF_TYPE), ox.NamedNode(KGV_ANNOTATION)
    nodes = {q.subject for q in others.quads_for_pattern(None, *typed, default)}
    if any(isinstance(node, ox.BlankNode) for node in nodes):
        return None
    label = ox.NamedNode(RDFS_LABEL)
    for quad in others.quads_for_pattern(None, None, None, default):
        if quad.subject in nodes and isinstance(quad.object, ox.BlankNode):
            return None  # a blank source, modifier, subject or object of a node
        if not isinstance(quad.subject, ox.NamedNode):
            continue
        subject = quad.subject.value
        if subject in hpo_nodes or (quad.predicate == label and subject in hpo_subjects):
            return None
    added = AnnotationTable.from_store(others)
    if len(added):
        _label_from(store, added)
        annotations = AnnotationTable.concat(annotations, added)
    completed: Edges = {}
    for predicate, pairs in edges.items():
        more = [
            (q.subject.value, q.object.value)
            for q in others.quads_for_pattern(None, ox.NamedNode(predicate), None, default)
            if isinstance(q.subject, ox.NamedNode) and isinstance(q.object, ox.NamedNode)
        ]
        completed[predicate] = list(dict.fromkeys([*pairs, *more])) if more else pairs
    return annotations, completed


def _label_from(store: ox.Store, table: AnnotationTable) -> None:
    """Give the subjects of ``table`` that have no label in it their label in ``store`` (a
    subject of HPO's files, such as a gene, annotated by another file), as reading the
    table from ``store`` would."""
    import pyoxigraph as ox

    label, default = ox.NamedNode(RDFS_LABEL), ox.DefaultGraph()
    for i, subject in enumerate(table.subjects):
        if not table.subject_labels[i]:
            for quad in store.quads_for_pattern(ox.NamedNode(subject), label, None, default):
                if isinstance(quad.object, ox.Literal):
                    table.subject_labels[i] = quad.object.value
                    break
