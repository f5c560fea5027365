"""Tests of TermHierarchy: closure, ancestors, obsolete and alternative ids, cycles."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyoxigraph as ox
import pytest

from kg.errors import UnknownTermError
from kg.hierarchy import TermHierarchy
from kg.namespaces import OBO
from kg.store import build_kg, resolve_build

HPO_MINI = Path(__file__).parents[1] / "fixtures" / "hpo_mini"


@pytest.fixture(scope="module")
def hierarchy(tmp_path_factory: pytest.TempPathFactory) -> TermHierarchy:
    dest = tmp_path_factory.mktemp("kg") / "hpo"
    build_kg(["hpo"], dest, hpo_dir=HPO_MINI, progress=False)
    return TermHierarchy.load(resolve_build(dest) / "derived")


def _hp(local: str) -> str:
    return OBO + "HP_" + local


def _from_parents(parents: dict[str, list[str]]) -> TermHierarchy:
    """A hierarchy from ``{term: [parents]}`` (CURIE-like local names under the OBO PURL)."""
    terms = [OBO + t for t in parents]
    index = {t: i for i, t in enumerate(parents)}
    ptr = np.zeros(len(terms) + 1, dtype=np.int64)
    ptr[1:] = np.cumsum([len(p) for p in parents.values()])
    idx = np.array([index[p] for ps in parents.values() for p in ps], dtype=np.int32)
    return TermHierarchy(terms, list(parents), np.zeros(len(terms), dtype=bool), ptr, idx)


def test_hierarchy_reads_classes_and_obsolete_terms(hierarchy: TermHierarchy) -> None:
    assert len(hierarchy) == 26
    assert _hp("0001166") in hierarchy
    i = hierarchy.index("HP:0001166")
    assert hierarchy.labels[i] == "Arachnodactyly"
    assert [hierarchy.terms[p] for p in hierarchy.parents(i)] == [_hp("0033127")]
    assert hierarchy.obsolete[hierarchy.index("HP:0001519")]
    assert int(hierarchy.obsolete.sum()) == 1


def test_hierarchy_ancestors(hierarchy: TermHierarchy) -> None:
    assert hierarchy.ancestors("HP:0001166") == [
        _hp("0001166"),
        *sorted(
            [_hp("0000001"), _hp("0000118"), _hp("0033127")],
            key=lambda t: hierarchy.index(t),
        ),
    ]
    assert set(hierarchy.ancestors(_hp("0003577"), include_self=False)) == {
        _hp("0003674"),
        _hp("0012823"),
        _hp("0000001"),
    }
    assert hierarchy.ancestors("HP:0000001", include_self=False) == []


def test_hierarchy_closure_matches_ancestors(hierarchy: TermHierarchy) -> None:
    closure = hierarchy.closure
    n = len(hierarchy)
    assert closure.shape == (n, n)
    assert closure.diagonal().all()
    for i, term in enumerate(hierarchy.terms):
        if hierarchy.obsolete[i]:
            continue
        row = set(closure[i].indices.tolist())
        assert row == {hierarchy.index(t) for t in hierarchy.ancestors(term)}
    root = hierarchy.index("HP:0000001")
    live = ~hierarchy.obsolete
    assert closure[:, root].toarray().ravel()[live].all()  # every live term descends from All


def test_hierarchy_depth(hierarchy: TermHierarchy) -> None:
    depth = hierarchy.depth()
    assert depth[hierarchy.index("HP:0000001")] == 0
    assert depth[hierarchy.index("HP:0001166")] == 3
    assert depth[hierarchy.index("HP:0040285")] == 2


def test_hierarchy_resolves_obsolete_and_alternative_ids(hierarchy: TermHierarchy) -> None:
    assert hierarchy.resolve("HP:0001166") == _hp("0001166")
    assert hierarchy.resolve("HP:0001519") == _hp("0000098")  # obsolete, replaced_by
    assert hierarchy.resolve("HP:0001505") == _hp("0001166")  # alt_id
    assert hierarchy.resolve(_hp("0001505")) == _hp("0001166")
    assert hierarchy.resolve("HP:0009999") is None
    assert hierarchy.resolve("not a term") is None


def test_hierarchy_unknown_term_raises_with_suggestions(hierarchy: TermHierarchy) -> None:
    with pytest.raises(UnknownTermError) as info:
        hierarchy.index("HP:0001167")
    assert "HP:0001166" in info.value.suggestions


def test_hierarchy_save_load_round_trip(hierarchy: TermHierarchy, tmp_path: Path) -> None:
    hierarchy.save(tmp_path)
    loaded = TermHierarchy.load(tmp_path)

    assert loaded.terms == hierarchy.terms
    assert loaded.labels == hierarchy.labels
    assert loaded.replaced_by == hierarchy.replaced_by
    for name in ("obsolete", "parent_ptr", "parent_idx"):
        assert np.array_equal(getattr(loaded, name), getattr(hierarchy, name)), name
    assert (loaded.closure != hierarchy.closure).nnz == 0


def test_hierarchy_cycle_is_reported() -> None:
    cyclic = _from_parents({"X_1": [], "X_2": ["X_1", "X_4"], "X_3": ["X_2"], "X_4": ["X_3"]})

    with pytest.raises(ValueError, match="cycle through") as info:
        cyclic.closure  # noqa: B018
    message = str(info.value)
    assert all(t in message for t in ("X:2", "X:3", "X:4"))
    assert "X:1" not in message
    with pytest.raises(ValueError, match="cycle"):
        cyclic.depth()


def test_hierarchy_diamond_and_duplicate_edges() -> None:
    diamond = _from_parents({"Y_1": [], "Y_2": ["Y_1"], "Y_3": ["Y_1"], "Y_4": ["Y_2", "Y_3"]})
    assert set(diamond.ancestors(OBO + "Y_4", include_self=False)) == {
        OBO + "Y_1",
        OBO + "Y_2",
        OBO + "Y_3",
    }
    assert diamond.depth().tolist() == [0, 1, 1, 2]


def test_hierarchy_from_store_follows_replacement_chains() -> None:
    store = ox.Store()
    store.load(
        b"""
        @prefix owl: <http://www.w3.org/2002/07/owl#> .
        @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
        @prefix obo: <http://purl.obolibrary.org/obo/> .
        @prefix oio: <http://www.geneontology.org/formats/oboInOwl#> .
        obo:Z_1 a owl:Class ; rdfs:label "root" .
        obo:Z_2 a owl:Class ; rdfs:label "child" ; rdfs:subClassOf obo:Z_1, obo:Z_1 ;
            oio:hasAlternativeId "Z:9" .
        obo:Z_3 a owl:Class ; owl:deprecated true ; obo:IAO_0100001 obo:Z_4 .
        obo:Z_4 a owl:Class ; owl:deprecated true ; obo:IAO_0100001 obo:Z_2 .
        obo:Z_5 a owl:Class ; owl:deprecated true .
        """,
        format=ox.RdfFormat.TURTLE,
    )
    h = TermHierarchy.from_store(store)

    assert len(h) == 5
    assert h.labels[h.index("Z:3")] == ""
    assert [h.terms[p] for p in h.parents(h.index("Z:2"))] == [OBO + "Z_1"]
    assert h.resolve("Z:3") == OBO + "Z_2"  # obsolete -> obsolete -> current
    assert h.resolve("Z:9") == OBO + "Z_2"
    assert h.resolve("Z:5") is None  # obsolete without a replacement
