"""Tests of the annotation table: builder, rows per subject, save/load, reading a store."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kg.annotations import SEX_CODES, AnnotationTable, AnnotationTableBuilder
from kg.errors import UnknownTermError
from kg.knowledge_graph import KnowledgeGraph
from kg.namespaces import OBO
from kg.store import build_kg

HPO_MINI = Path(__file__).parents[1] / "fixtures" / "hpo_mini"
OMIM = "https://omim.org/entry/"


@pytest.fixture(scope="module")
def mini_kg(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeGraph:
    dest = tmp_path_factory.mktemp("kg") / "hpo"
    build_kg(["hpo"], dest, hpo_dir=HPO_MINI, progress=False)
    return KnowledgeGraph.open(dest)


def _rows(table: AnnotationTable) -> dict[str, tuple]:
    """Annotation IRI -> every field of its row, by value (indices resolved to IRIs)."""
    out = {}
    for i, iri in enumerate(table.annotation_iris):
        s = int(table.subject[i])
        f = float(table.frequency[i])
        out[iri] = (
            table.subjects[s],
            table.subject_labels[s],
            table.terms[int(table.term[i])],
            bool(table.negated[i]),
            None if np.isnan(f) else round(f, 4),
            table.frequency_term[i],
            table.onset[i],
            int(table.sex[i]),
            table.evidence[i],
            table.aspect[i],
            sorted(table.sources[i]),
        )
    return out


def _small_table() -> AnnotationTable:
    b = AnnotationTableBuilder()
    b.add("urn:a:1", "urn:d:1", "urn:t:1", subject_label="one", frequency=0.5, sex="male")
    b.add("urn:a:2", "urn:d:2", "urn:t:1", negated=True, sources=["urn:pmid:1"])
    b.add("urn:a:3", "urn:d:1", "urn:t:2", frequency_term="urn:f", evidence="TAS", aspect="P")
    b.add("urn:a:1", "urn:d:9", "urn:t:9")  # a repeated annotation IRI is ignored
    b.add_source("urn:a:3", "urn:pmid:2")
    b.add_source("urn:a:missing", "urn:pmid:3")
    b.set_subject_label("urn:d:2", "two")
    b.set_subject_label("urn:d:1", "not applied: already labelled")
    return b.build()


def test_builder_collects_rows() -> None:
    table = _small_table()

    assert len(table) == 3
    assert table.subjects == ["urn:d:1", "urn:d:2"]
    assert table.subject_labels == ["one", "two"]
    assert table.terms == ["urn:t:1", "urn:t:2"]
    assert table.negated.tolist() == [False, True, False]
    assert np.isnan(table.frequency[1]) and table.frequency[0] == 0.5
    assert table.sex.tolist() == [SEX_CODES["MALE"], 0, 0]
    assert table.sources == [[], ["urn:pmid:1"], ["urn:pmid:2"]]
    assert table.frequency_term == ["", "", "urn:f"]


def test_builder_contains() -> None:
    b = AnnotationTableBuilder()
    b.add("urn:a:1", "urn:d:1", "urn:t:1")
    assert "urn:a:1" in b
    assert "urn:a:2" not in b


def test_rows_of_subject(mini_kg: KnowledgeGraph) -> None:
    table = mini_kg.annotations
    marfan = table.rows_of("OMIM:154700")
    assert len(marfan) == 7
    assert {table.subjects[int(table.subject[r])] for r in marfan} == {OMIM + "154700"}
    i = table.subject_index(OMIM + "154700")
    assert table.rows_of(i).tolist() == marfan.tolist()
    assert sum(len(table.rows_of(s)) for s in table.subjects) == len(table) == 20
    assert int(table.negated[marfan].sum()) == 1
    with pytest.raises(UnknownTermError):
        table.rows_of("OMIM:999999")


def test_rows_of_small_table() -> None:
    table = _small_table()
    assert table.rows_of("urn:d:1").tolist() == [0, 2]
    assert table.rows_of(1).tolist() == [1]


def test_annotation_table_save_load_round_trip(mini_kg: KnowledgeGraph, tmp_path: Path) -> None:
    table = mini_kg.annotations
    table.save(tmp_path)
    loaded = AnnotationTable.load(tmp_path)

    assert _rows(loaded) == _rows(table)
    for name in ("subject", "term", "negated", "frequency", "sex"):
        assert np.array_equal(getattr(loaded, name), getattr(table, name), equal_nan=True), name
        assert getattr(loaded, name).dtype == getattr(table, name).dtype
    assert loaded.rows_of("OMIM:154700").tolist() == table.rows_of("OMIM:154700").tolist()


def test_annotation_table_from_store_matches_build(mini_kg: KnowledgeGraph) -> None:
    """The table the build collected while converting equals one read back from the store."""
    from_store = AnnotationTable.from_store(mini_kg.store)

    assert _rows(from_store) == _rows(mini_kg.annotations)


def test_annotation_table_values(mini_kg: KnowledgeGraph) -> None:
    rows = _rows(mini_kg.annotations)
    marfan_aortic = [r for r in rows.values() if r[0] == OMIM + "154700" and r[2].endswith("2616")]
    assert marfan_aortic == [
        (
            OMIM + "154700",
            "Marfan syndrome",
            OBO + "HP_0002616",
            False,
            0.8,
            "",
            OBO + "HP_0003577",
            0,
            "TAS",
            "P",
            [OMIM + "154700"],
        )
    ]


def test_annotation_table_empty_for_store_without_annotations() -> None:
    import pyoxigraph as ox

    table = AnnotationTable.from_store(ox.Store())
    assert len(table) == 0
    assert table.subjects == []
