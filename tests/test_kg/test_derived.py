"""Tests of the derived tables: the same tables from any store holding the same triples."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.derived import write_derived
from kg.helper_triples import HELPER_TRIPLES_FILE, write_helper_triples
from kg.hierarchy import TermHierarchy
from kg.lexicon import Lexicon, LexiconEntry
from kg.namespaces import IAO_REPLACED_BY, OBOINOWL, OWL_CLASS, RDF_TYPE, RDFS_LABEL
from kg.store import build_kg, read_manifest, resolve_build

HPO_MINI = Path(__file__).parents[1] / "fixtures" / "hpo_mini"
EX = "http://example.org/"


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*.*"))}


def test_write_derived_from_the_built_store_gives_the_build_tables(tmp_path: Path) -> None:
    # The HPO build derives its tables from an in-memory mirror (all triples but the
    # annotation nodes' and the known edges'), with the annotation table and edges handed
    # over: recomputing them from the full store, with no hints, must give the same bytes.
    dest = tmp_path / "hpo"
    build_kg(["hpo"], dest, hpo_dir=HPO_MINI, progress=False)
    build = resolve_build(dest)
    store = ox.Store.read_only(str(build / "store"))

    again = tmp_path / "again"
    write_derived(store, again, read_manifest(dest).fingerprint)

    built = _files(build / "derived")
    # the helper triples are copied from the finished store (not by write_derived)
    helper = built.pop(HELPER_TRIPLES_FILE)
    assert write_helper_triples(store, tmp_path / "helper").read_bytes() == helper
    assert built.keys() == {
        "annotations.json",
        "annotations.npz",
        "graph/graph.json",
        "graph/graph.safetensors",
        "hierarchy.json",
        "hierarchy.npz",
        "lexicon.jsonl",
    }
    assert _files(again) == built


def _quads(pairs: list[tuple[str, str, ox.NamedNode | ox.Literal]]) -> list[ox.Quad]:
    return [ox.Quad(ox.NamedNode(EX + s), ox.NamedNode(p), o) for s, p, o in pairs]


@pytest.mark.parametrize("reverse", [False, True])
def test_hierarchy_from_store_does_not_depend_on_answer_order(
    tmp_path: Path, reverse: bool
) -> None:
    cls = ox.NamedNode(OWL_CLASS)
    quads = _quads(
        [
            ("a", RDF_TYPE, cls),
            ("b", RDF_TYPE, cls),
            ("c", RDF_TYPE, cls),
            ("a", RDFS_LABEL, ox.Literal("alpha")),
            ("a", RDFS_LABEL, ox.Literal("able")),  # two labels: the least wins
            ("old", IAO_REPLACED_BY, ox.NamedNode(EX + "c")),
            ("old", IAO_REPLACED_BY, ox.NamedNode(EX + "b")),  # two: the least wins
            ("b", OBOINOWL + "hasAlternativeId", ox.Literal(EX + "alt")),
            ("a", OBOINOWL + "hasAlternativeId", ox.Literal(EX + "alt")),
        ]
    )
    store = ox.Store()
    store.extend(reversed(quads) if reverse else quads)
    hierarchy = TermHierarchy.from_store(store)
    assert hierarchy.labels == ["able", "", ""]
    assert list(hierarchy.replaced_by.items()) == [(EX + "alt", EX + "a"), (EX + "old", EX + "b")]
    hierarchy.save(tmp_path)
    assert json.loads((tmp_path / "hierarchy.json").read_text(encoding="utf-8"))["replaced_by"] == {
        EX + "alt": EX + "a",
        EX + "old": EX + "b",
    }


def test_lexicon_save_writes_each_entry_as_its_fields(tmp_path: Path) -> None:
    entries = [
        LexiconEntry(EX + "a", 'Ärger "quoted"', "label", None, OWL_CLASS),
        LexiconEntry(EX + "a", "anger", "exact", "layperson", OWL_CLASS),
    ]
    lexicon = Lexicon(entries, frozenset({EX + "z"}))
    path = tmp_path / "lexicon.jsonl"
    lexicon.save(path)

    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[:2] == [json.dumps(asdict(e), ensure_ascii=False) for e in entries]
    assert Lexicon.load(path) == lexicon
