"""Shared, lazily built resources of the face: the default linker of a KG."""

from __future__ import annotations

import threading
from collections import OrderedDict

from encoders.linker import ConceptLinker, default_linker_config, linker_from_kg
from kg.knowledge_graph import KnowledgeGraph

_LINKERS: OrderedDict[tuple[str, str, bool, bool], ConceptLinker] = OrderedDict()
_LINKERS_LOCK = threading.Lock()
_MAX_LINKERS = 4


def default_linker(
    kg: KnowledgeGraph, *, measurements: bool = False, milestones: bool = False
) -> ConceptLinker:
    """The dictionary linker of a KG with its default settings (built once per KG, keyed by
    its folder or endpoint URL, its fingerprint, ``measurements`` and ``milestones``; the
    last four are kept)."""
    key = (kg.location, kg.fingerprint, measurements, milestones)
    with _LINKERS_LOCK:
        linker = _LINKERS.get(key)
        if linker is None:
            config = default_linker_config(kg, measurements=measurements, milestones=milestones)
            linker = _LINKERS[key] = linker_from_kg(kg, config)
            if len(_LINKERS) > _MAX_LINKERS:
                _LINKERS.popitem(last=False)
        _LINKERS.move_to_end(key)
        return linker
