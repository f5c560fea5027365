"""The linker over a user's own ontology: names too long for a phrase (and a token trie
deeper than Python's recursion limit), SKOS concepts and OWL named individuals, and a KG with
nothing the linker finds."""

from __future__ import annotations

import hashlib
import json
import logging
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from encoders import linker_index
from encoders.linker import (
    LINKED_NODE_TYPES,
    MAX_NAME_WORDS,
    ConceptLinker,
    LinkerConfig,
    linkable_lexicon,
    linker_from_kg,
)
from encoders.linker_index import INDEX_FORMAT, load_index, save_index
from kg.knowledge_graph import KnowledgeGraph
from kg.lexicon import Lexicon, LexiconEntry
from kg.namespaces import KGV_DISEASE, OWL_CLASS, SKOS
from kg.store import build_kg

EX = "http://example.org/t/"
LONG = " ".join(f"w{i}" for i in range(1000))  # a 1,000-word name


def found(linker: ConceptLinker, text: str) -> list[tuple[str, str]]:
    return [(m.text, m.iri) for m in linker.link(text)]


def open_kg(tmp_path: Path, turtle: str) -> KnowledgeGraph:
    source = tmp_path / "onto.ttl"
    source.write_text(turtle, encoding="utf-8")
    build_kg([source], tmp_path / "kg", progress=False)
    return KnowledgeGraph.open(tmp_path / "kg")


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


# ------------------------------------------------------------------ names too long


def test_a_name_of_a_thousand_words_is_left_out_with_one_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    lexicon = Lexicon(
        [
            LexiconEntry(EX + "A", "small cell", "label", None, OWL_CLASS),
            LexiconEntry(EX + "B", "big cell", "label", None, OWL_CLASS),
            LexiconEntry(EX + "B", LONG, "exact", None, OWL_CLASS),
            LexiconEntry(EX + "C", LONG + " again", "label", None, OWL_CLASS),
        ]
    )
    with caplog.at_level(logging.WARNING):
        first = ConceptLinker(lexicon, index_folder=tmp_path)
    [message] = warnings_of(caplog)
    assert "2 name(s) of more than 64 words" in message and EX + "B" in message
    assert first._index_source == "built" and list(tmp_path.glob("linker-*.json"))
    caplog.clear()
    again = ConceptLinker(lexicon, index_folder=tmp_path)
    assert again._index_source == "saved"
    for linker in (first, again):
        assert found(linker, "A small cell and a big cell.") == [
            ("small cell", EX + "A"),
            ("big cell", EX + "B"),
        ]
        assert found(linker, LONG) == []
        assert linker.labels[EX + "C"] == LONG + " again"  # still the term's label


def test_a_name_of_the_limit_is_kept(caplog: pytest.LogCaptureFixture) -> None:
    name = " ".join(f"w{i}" for i in range(MAX_NAME_WORDS))
    lexicon = Lexicon([LexiconEntry(EX + "A", name, "label", None, OWL_CLASS)])
    with caplog.at_level(logging.WARNING):
        linker = ConceptLinker(lexicon)
    assert warnings_of(caplog) == []
    assert found(linker, f"It reads {name}.") == [(name, EX + "A")]


def test_no_warning_for_a_long_name_the_linker_would_not_use(
    caplog: pytest.LogCaptureFixture,
) -> None:
    lexicon = Lexicon(
        [
            LexiconEntry(EX + "A", "small cell", "label", None, OWL_CLASS),
            LexiconEntry(EX + "A", LONG, "related", None, OWL_CLASS),
            LexiconEntry(EX + "Old", LONG, "label", None, OWL_CLASS),
        ],
        frozenset({EX + "Old"}),
    )
    with caplog.at_level(logging.WARNING):
        ConceptLinker(lexicon, LinkerConfig(kinds=("label", "exact")))
    assert warnings_of(caplog) == []


def deep(levels: int) -> dict:
    node: dict = {"": [[0, "exact"]]}
    for i in range(levels):
        node = {f"w{i}": node}
    return node


def test_an_index_deeper_than_the_recursion_limit_is_not_saved(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    index = {
        "names": [[EX + "A", "a", "label", None]],
        "trie": deep(sys.getrecursionlimit() + 100),
        "acronyms": {},
        "vocabulary": [],
    }
    with caplog.at_level(logging.WARNING):
        assert save_index(tmp_path, "k" * 64, index) is None
    assert any("recursion limit" in m for m in warnings_of(caplog))
    assert not list(tmp_path.glob("linker-*.json"))


def test_a_saved_index_deeper_than_the_recursion_limit_is_rebuilt(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    levels = sys.getrecursionlimit() + 100
    # written by hand: json.dumps could not write it
    trie = '{"w":' * levels + '{"":[[0,"exact"]]}' + "}" * levels
    names = json.dumps([[EX + "A", "a", "label", None]])
    payload = f'{{"names":{names},"trie":{trie},"acronyms":{{}},"vocabulary":[]}}'.encode()
    key = "k" * 64
    header = {"format": INDEX_FORMAT, "key": key, "sha256": hashlib.sha256(payload).hexdigest()}
    path = linker_index._path(tmp_path, key)
    path.write_bytes(json.dumps(header).encode() + b"\n" + payload)
    with caplog.at_level(logging.WARNING):
        assert load_index(tmp_path, key) is None
    assert any("building it again" in m for m in warnings_of(caplog))


def test_a_kg_with_a_thousand_word_label_links(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    kg = open_kg(
        tmp_path,
        f"""@prefix ex: <{EX}> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
ex:A a owl:Class ; rdfs:label "small cell" .
ex:B a owl:Class ; rdfs:label "{LONG}" .
""",
    )
    with caplog.at_level(logging.WARNING):
        linker = linker_from_kg(kg)
    assert found(linker, "a small cell") == [("small cell", EX + "A")]
    assert sum("more than 64 words" in m for m in warnings_of(caplog)) == 1
    assert list((kg.path / "derived" / "linker").glob("linker-*.json"))


# ------------------------------------------------------------------ node types linked

SKOS_TTL = f"""@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix t: <{EX}> .
t:scheme a skos:ConceptScheme ; skos:prefLabel "Tissue thesaurus"@en .
t:Tissue a skos:Concept ; skos:prefLabel "tissue"@en ; skos:inScheme t:scheme .
t:Epithelium a skos:Concept ; skos:prefLabel "epithelium"@en ;
    skos:altLabel "epithelial tissue"@en ; skos:broader t:Tissue .
t:Smooth a skos:Concept ; skos:prefLabel "smooth muscle"@en ; skos:broader t:Tissue .
"""


def test_skos_concepts_are_linked_by_pref_and_alt_label(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    kg = open_kg(tmp_path, SKOS_TTL)
    with caplog.at_level(logging.WARNING):
        linker = linker_from_kg(kg)
    assert warnings_of(caplog) == []
    assert found(linker, "Biopsy of epithelial tissue shows smooth muscle.") == [
        ("epithelial tissue", EX + "Epithelium"),
        ("smooth muscle", EX + "Smooth"),
    ]
    assert found(linker, "From the tissue thesaurus") == [("tissue", EX + "Tissue")]


def test_named_individuals_are_linked_with_or_without_a_class(tmp_path: Path) -> None:
    kg = open_kg(
        tmp_path,
        f"""@prefix ex: <{EX}> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
ex:Country a owl:Class ; rdfs:label "country" .
ex:France a owl:NamedIndividual, ex:Country ; rdfs:label "France" .
ex:Spain a owl:NamedIndividual, ex:Country ; rdfs:label "Spain" .
ex:Mars a owl:NamedIndividual ; rdfs:label "Mars" .
ex:alice a ex:Person ; rdfs:label "Alice" .
""",
    )
    linker = linker_from_kg(kg)
    assert found(linker, "Alice saw France, Spain and Mars: each a country.") == [
        ("France", EX + "France"),
        ("Spain", EX + "Spain"),
        ("Mars", EX + "Mars"),
        ("country", EX + "Country"),
    ]


def test_a_kg_with_nothing_to_link_warns_once_naming_the_types(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    kg = open_kg(
        tmp_path,
        f"""@prefix ex: <{EX}> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ex:alice a ex:Person ; rdfs:label "Alice" .
ex:bob a ex:Person ; rdfs:label "Bob" .
""",
    )
    with caplog.at_level(logging.WARNING):
        linker = linker_from_kg(kg)
    [message] = warnings_of(caplog)
    assert "owl:Class, skos:Concept, owl:NamedIndividual" in message
    assert EX + "Person (2)" in message
    assert found(linker, "Alice met Bob") == []


def test_only_linked_node_types_are_kept() -> None:
    lexicon = Lexicon(
        [
            LexiconEntry(EX + "A", "alpha", "label", None, OWL_CLASS),
            LexiconEntry(EX + "B", "beta", "label", None, SKOS + "Concept"),
            LexiconEntry(EX + "D", "delta syndrome", "label", None, KGV_DISEASE),
            LexiconEntry(EX + "p", "part of", "label", None, None),
        ],
        frozenset({EX + "A"}),
    )
    kept = linkable_lexicon(SimpleNamespace(lexicon=lexicon))  # no store: no individuals
    assert [e.iri for e in kept] == [EX + "A", EX + "B"]
    assert kept.obsolete == lexicon.obsolete
    assert OWL_CLASS in LINKED_NODE_TYPES


def test_a_question_names_a_skos_concept(tmp_path: Path) -> None:
    from kgfuse.qa.entities import QuestionEntityLinker

    linker = QuestionEntityLinker(open_kg(tmp_path, SKOS_TTL))
    entities = linker.link("What is smooth muscle?")
    assert [(e.text, e.iris) for e in entities] == [("smooth muscle", (EX + "Smooth",))]


def test_a_thesaurus_is_a_hierarchy_by_skos_broader(tmp_path: Path) -> None:
    hierarchy = open_kg(tmp_path, SKOS_TTL).hierarchy
    assert sorted(hierarchy.terms) == sorted(EX + n for n in ("Epithelium", "Smooth", "Tissue"))
    tissue = hierarchy.terms.index(EX + "Tissue")
    assert hierarchy.labels[tissue] == "tissue"
    below = set(hierarchy.descendants(EX + "Tissue", include_self=False))
    assert below == {EX + "Epithelium", EX + "Smooth"}
    assert hierarchy.ancestors(EX + "Smooth", include_self=False) == [EX + "Tissue"]
