"""A small lexicon and a reading of each mention's context, shared by the tests of the
linker's negation, hedging and family rules."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from encoders.clinical_names import clinical_entries
from encoders.linker import ConceptLinker, LinkerConfig
from kg.lexicon import Lexicon, LexiconEntry
from kg.namespaces import to_iri

OBO = "http://purl.obolibrary.org/obo/TEST_"


def lexicon_of(terms: Mapping[str, Sequence[str]]) -> tuple[Lexicon, dict[str, str]]:
    """A lexicon of ``label -> synonyms`` (numbered test IRIs, in order) and its IRIs by label."""
    iri = {label: f"{OBO}{k:07d}" for k, label in enumerate(terms, start=1)}
    entries = []
    for label, synonyms in terms.items():
        entries.append(LexiconEntry(iri[label], label, "label", None, "owl:Class"))
        entries += [LexiconEntry(iri[label], s, "exact", None, "owl:Class") for s in synonyms]
    return Lexicon(entries, frozenset()), iri


def context_flags(
    linker: ConceptLinker, text: str, *, family_negated: bool = False
) -> dict[str, str]:
    """Each mention's text (lower case, on one line) -> ``P`` present, ``N`` negated, ``U``
    uncertain, ``F`` family (``FN`` a relative's ruled-out finding with
    ``family_negated``)."""
    out = {}
    for m in linker.link(text):
        flag = "F" if m.family else ("U" if m.uncertain else ("N" if m.excluded else "P"))
        if family_negated and m.family and m.excluded:
            flag = "FN"
        out[" ".join(m.text.lower().replace("-\n", "").split())] = flag
    return out


def mention_labels(linker: ConceptLinker, text: str) -> dict[str, str]:
    """Each mention's text (lower case, on one line) -> the label of its term."""
    return {" ".join(m.text.lower().split()): m.label for m in linker.link(text)}


def clinical_name_links(curie: str, name: str) -> bool:
    """Whether ``name``, written alone, links to the term ``curie`` through kgfuse's clinical
    names of that term (:func:`encoders.clinical_names.clinical_entries`), as written: its
    acronym, hyphens and word order as the linker reads them."""
    iri = to_iri(curie)
    label = LexiconEntry(iri, "Term of the test", "label", None, "owl:Class")
    lexicon = Lexicon([label, *clinical_entries({iri})], frozenset())
    linker = ConceptLinker(lexicon, LinkerConfig())
    return any(m.iri == iri and not m.excluded for m in linker.link(name))


def hpo_linker(
    labels: Mapping[str, str],
    synonyms: Mapping[str, str] | None = None,
    parents: Mapping[str, str] | None = None,
) -> ConceptLinker:
    """A linker of HPO terms by ``label -> id``, with exact ``synonym -> id`` names and ``child
    id -> parent id`` (the HPO's own ids: a test reads them as the ontology has them)."""
    entries = [LexiconEntry(to_iri(c), label, "label") for label, c in labels.items()]
    entries += [LexiconEntry(to_iri(c), name, "exact") for name, c in (synonyms or {}).items()]
    tree = {to_iri(c): [to_iri(p)] for c, p in (parents or {}).items()}
    return ConceptLinker(Lexicon(entries), LinkerConfig(), parents=tree or None)


def readings(linker: ConceptLinker, text: str) -> list[tuple[str, str, bool]]:
    """Each mention of ``text`` as ``(text, curie, excluded)``, in order."""
    return [(m.text, m.curie, m.excluded) for m in linker.link(text)]
