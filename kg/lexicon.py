"""The lexicon of a knowledge graph: every name (label or synonym) of every term.

Concept recognition (``encoders.linker``) and question answering match text against it.
It is read from the store with one SPARQL query, so any ontology with ``rdfs:label``,
``skos:prefLabel``/``skos:altLabel`` or oboInOwl synonyms gets one.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from kg.namespaces import OBOINOWL, RDFS, SKOS

#: Kinds of names, from most to least trustworthy for linking.
NAME_KINDS = ("label", "exact", "narrow", "broad", "related")

_PROPERTY_KIND = {
    RDFS + "label": "label",
    SKOS + "prefLabel": "label",
    SKOS + "altLabel": "exact",
    OBOINOWL + "hasExactSynonym": "exact",
    OBOINOWL + "hasNarrowSynonym": "narrow",
    OBOINOWL + "hasBroadSynonym": "broad",
    OBOINOWL + "hasRelatedSynonym": "related",
}


@dataclass(frozen=True)
class LexiconEntry:
    """One name of one term.

    Attributes:
        iri: IRI of the term.
        text: the name as written in the ontology.
        kind: one of ``NAME_KINDS``.
        synonym_type: the synonym's type local name when declared
            (``layperson``, ``abbreviation``, ``plural_form``, ``uk_spelling`` ...), else None.
        node_type: IRI of the class of nodes the term belongs to (owl:Class for ontology
            terms, kgv:Disease, kgv:Gene ...), when known.
    """

    iri: str
    text: str
    kind: str
    synonym_type: str | None = None
    node_type: str | None = None


@dataclass
class Lexicon:
    """All names of the terms of a KG, with the set of obsolete terms to avoid."""

    entries: list[LexiconEntry]
    obsolete: frozenset[str] = field(default_factory=frozenset)

    def __iter__(self) -> Iterator[LexiconEntry]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def labels(self) -> dict[str, str]:
        """IRI -> preferred label (first ``label`` entry of each term)."""
        out: dict[str, str] = {}
        for e in self.entries:
            if e.kind == "label" and e.iri not in out:
                out[e.iri] = e.text
        return out

    def filter(self, node_types: Iterable[str]) -> Lexicon:
        """The entries whose node type is one of ``node_types``."""
        wanted = set(node_types)
        return Lexicon([e for e in self.entries if e.node_type in wanted], self.obsolete)

    def save(self, path: Path) -> None:
        """Write as JSON lines (one entry a line, then the obsolete set)."""
        dumps = json.JSONEncoder(ensure_ascii=False).encode
        with path.open("w", encoding="utf-8") as fh:
            # the fields in declaration order, as ``asdict`` gives them (it deep-copies each
            # entry: seconds for a large lexicon)
            fh.writelines(
                dumps(
                    {
                        "iri": e.iri,
                        "text": e.text,
                        "kind": e.kind,
                        "synonym_type": e.synonym_type,
                        "node_type": e.node_type,
                    }
                )
                + "\n"
                for e in self.entries
            )
            fh.write(json.dumps({"obsolete": sorted(self.obsolete)}) + "\n")

    @classmethod
    def load(cls, path: Path) -> Lexicon:
        """Read a lexicon written by :meth:`save`."""
        entries: list[LexiconEntry] = []
        obsolete: frozenset[str] = frozenset()
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                row = json.loads(line)
                if "obsolete" in row:
                    obsolete = frozenset(row["obsolete"])
                else:
                    entries.append(LexiconEntry(**row))
        return cls(entries, obsolete)


def property_kind(property_iri: str) -> str | None:
    """Name kind of a labelling property IRI, or None when it is not one."""
    return _PROPERTY_KIND.get(property_iri)
