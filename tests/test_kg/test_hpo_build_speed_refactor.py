"""What the faster HPO build must keep: the converters' exact output, the annotation table,
the helper triples read while the store still loads, and the order of urgent loads.

The digests below are of the output of the converters before they were split into steps
and sped up (recorded from that code on the fixtures): any change of a triple, of a row of
the annotation table or of a count fails them.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyoxigraph as ox
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kg.annotations import AnnotationTable, AnnotationTableBuilder
from kg.errors import OntologyParseError
from kg.helper_triples import HELPER_PREDICATES, HELPER_TRIPLES_FILE, write_helper_triples
from kg.hpo import genes_to_ntriples, hpoa_to_ntriples
from kg.store import BackgroundLoader, build_kg, resolve_build

FIXTURES = Path(__file__).parents[1] / "fixtures"

#: fixture -> sha256 of the sorted N-Triples lines of phenotype.hpoa, of
#: genes_to_phenotype.txt (given the annotation table), and of the annotation table's columns
EXPECTED = {
    "hpo_mini": (
        "23f253e7907eae1efb001ba7186611eca0c3496d9afd21f688e79187836d3574",
        "5501ec319eba49d6e4ceea7428ba253c5677b43664a2b83f7479655b773075f6",
        "72c080fb4b881bb2f254378db3d9fb50622cd2a1f9e314c981f69ff0b72e8230",
    ),
    "hpo_edge": (
        "f9ece6a302852e48387854dd3e563bbc6394ee089ebe89f3fedbeff750d5533a",
        "cc73966b0103cd1f58b2085f9b7f4a26020e58d1b604381dd1f2df9269c7b9ad",
        "54dede4fff94e70c964aca387e96413fc9ac6512f3d4c9b8886da73dc5e310b4",
    ),
}


def _lines_digest(text: str) -> str:
    return hashlib.sha256("".join(sorted(text.splitlines(keepends=True))).encode()).hexdigest()


#: The columns a table gained after these digests were taken (checked against the store by
#: tests/test_kg/test_annotation_node_values.py).
_NEWER_COLUMNS = {"frequency_text", "frequency_exact"}


def _table_digest(table: AnnotationTable) -> str:
    columns = {
        k: (v.tolist() if isinstance(v, np.ndarray) else v)
        for k, v in vars(table).items()
        if not k.startswith("_") and k not in _NEWER_COLUMNS
    }
    return hashlib.sha256(json.dumps(columns, sort_keys=True).encode()).hexdigest()


@pytest.mark.parametrize("fixture", sorted(EXPECTED))
def test_hpo_converters_write_what_they_wrote_before(fixture: str) -> None:
    folder = FIXTURES / fixture
    out, builder = io.StringIO(), AnnotationTableBuilder()
    stats = hpoa_to_ntriples(folder / "phenotype.hpoa", out, builder)
    table = builder.build()
    genes = io.StringIO()
    genes_to_ntriples(folder / "genes_to_phenotype.txt", genes, edges={}, annotations=table)

    got = (_lines_digest(out.getvalue()), _lines_digest(genes.getvalue()), _table_digest(table))
    assert got == EXPECTED[fixture]
    assert stats.triples == len(out.getvalue().splitlines())


def test_hpoa_writes_these_triples_of_the_mini_fixture() -> None:
    out = io.StringIO()
    hpoa_to_ntriples(FIXTURES / "hpo_mini" / "phenotype.hpoa", out)
    lines = set(out.getvalue().splitlines())
    omim = "<https://omim.org/entry/154700>"
    assert f'{omim} <http://www.w3.org/2000/01/rdf-schema#label> "Marfan syndrome" .' in lines
    assert (
        f"{omim} <http://purl.obolibrary.org/obo/RO_0002200> "
        "<http://purl.obolibrary.org/obo/HP_0001166> ." in lines
    )
    frequency_text = [line for line in lines if "#frequencyText> " in line]
    assert any(line.endswith(' "30/50" .') for line in frequency_text)
    modifiers = [line for line in lines if "#modifier> " in line]
    assert any(line.endswith("<http://purl.obolibrary.org/obo/HP_0012828> .") for line in modifiers)


@pytest.mark.parametrize("fixture", sorted(EXPECTED))
def test_node_triples_go_to_nodes_out_instead_of_out(fixture: str) -> None:
    folder = FIXTURES / fixture
    whole, rest, nodes = io.StringIO(), io.StringIO(), io.StringIO()
    a = hpoa_to_ntriples(folder / "phenotype.hpoa", whole)
    b = hpoa_to_ntriples(folder / "phenotype.hpoa", rest, nodes_out=nodes)
    gene_whole, gene_rest = io.StringIO(), io.StringIO()
    genes_to_ntriples(folder / "genes_to_phenotype.txt", gene_whole)
    genes_to_ntriples(folder / "genes_to_phenotype.txt", gene_rest, nodes_out=nodes)

    assert a == b
    node_lines = nodes.getvalue().splitlines()
    split = rest.getvalue().splitlines() + gene_rest.getvalue().splitlines() + node_lines
    assert sorted(split) == sorted(
        whole.getvalue().splitlines() + gene_whole.getvalue().splitlines()
    )
    node_kinds = ("vocab#Disease> .", "vocab#Gene> .", "rdf-schema#label> ", "core#altLabel> ")
    assert node_lines
    assert all(any(kind in line for kind in node_kinds) for line in node_lines)


def _row(**fields: str) -> str:
    row = {
        "database_id": "OMIM:154700",
        "disease_name": "Marfan syndrome",
        "qualifier": "",
        "hpo_id": "HP:0001166",
        "reference": "PMID:1",
        "evidence": "PCS",
        "onset": "",
        "frequency": "",
        "sex": "",
        "modifier": "",
        "aspect": "P",
        "biocuration": "HPO:x",
    }
    row.update(fields)
    return "\t".join(row.values()) + "\n"


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"frequency": "often", "hpo_id": "x"}, "unknown frequency"),
        ({"hpo_id": "x", "database_id": "OMIM:1 2"}, "hpo_id 'x'"),
        ({"database_id": "OMIM:1 2", "qualifier": "YES"}, "database_id 'OMIM:1 2'"),
        ({"qualifier": "YES", "sex": "X"}, "qualifier 'YES'"),
        ({"sex": "X", "onset": "soon"}, "sex 'X'"),
        ({"onset": "soon", "modifier": "HP:1;bad"}, "onset or modifier 'soon'"),
        ({"modifier": "HP:1;bad;worse"}, "onset or modifier 'bad'"),
    ],
)
def test_a_row_with_several_faults_names_the_first_as_before(
    tmp_path: Path, fields: dict[str, str], reason: str
) -> None:
    text = (FIXTURES / "hpo_mini" / "phenotype.hpoa").read_text(encoding="utf-8")
    path = tmp_path / "phenotype.hpoa"
    path.write_text(text + _row(**fields), encoding="utf-8")
    with pytest.raises(OntologyParseError, match=reason):
        hpoa_to_ntriples(path, io.StringIO())


# ---- the annotation table -------------------------------------------------------------------

_ROW = st.tuples(
    st.sampled_from(["a1", "a2", "a3", "a4", "a5", "a6"]),
    st.sampled_from(["s1", "s2", "s3"]),
    st.sampled_from(["t1", "t2", "t3"]),
    st.booleans(),
    st.one_of(st.none(), st.sampled_from([0.0, 0.5, 1.0])),
    st.sampled_from(["", "f"]),
    st.sampled_from(["", "o"]),
    st.sampled_from(["", "male", "FEMALE"]),
    st.sampled_from(["PCS", "TAS"]),
    st.sampled_from(["P", "C"]),
    st.lists(st.sampled_from(["m1", "m2"]), max_size=3),
    st.lists(st.sampled_from(["r2", "r1"]), max_size=3),
    st.sampled_from(["", "3/7"]),
)


def _columns(table: AnnotationTable) -> dict[str, Any]:
    return {
        k: (v.tolist() if isinstance(v, np.ndarray) else v)
        for k, v in vars(table).items()
        if not k.startswith("_")
    }


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    def norm(x: Any) -> Any:
        if isinstance(x, float) and math.isnan(x):
            return "nan"
        if isinstance(x, list):
            return [norm(y) for y in x]
        if isinstance(x, dict):
            return {k: norm(v) for k, v in x.items()}
        return x

    return norm(a) == norm(b)


@settings(max_examples=60, deadline=None)
@given(st.lists(_ROW, max_size=12), st.lists(_ROW, max_size=4))
def test_add_rows_is_add_one_by_one(rows: list[Any], before: list[Any]) -> None:
    one, many = AnnotationTableBuilder(), AnnotationTableBuilder()
    for builder in (one, many):
        for r in before:  # rows added before, one of whose IRIs may come again
            builder.add(*r[:3], negated=r[3], frequency=r[4], modifiers=list(r[10]))
    for r in rows:
        one.add(
            *r[:3],
            negated=r[3],
            frequency=r[4],
            frequency_term=r[5],
            onset=r[6],
            sex=r[7],
            evidence=r[8],
            aspect=r[9],
            modifiers=list(r[10]),
            sources=list(r[11]),
            frequency_text=r[12],
        )
    many.add_rows(rows)
    many.add_source("a1", "extra")  # a row's own list, not one shared with ``rows``
    one.add_source("a1", "extra")
    assert _same(_columns(many.build()), _columns(one.build()))
    assert all("extra" not in r[11] for r in rows)


def _canonical_before(t: AnnotationTable) -> AnnotationTable:
    """:meth:`AnnotationTable.canonical` as it was written before it was sped up."""
    subject_order = sorted(range(len(t.subjects)), key=t.subjects.__getitem__)
    term_order = sorted(range(len(t.terms)), key=t.terms.__getitem__)
    subject_rank = np.empty(len(t.subjects), dtype=np.int32)
    subject_rank[subject_order] = np.arange(len(t.subjects), dtype=np.int32)
    term_rank = np.empty(len(t.terms), dtype=np.int32)
    term_rank[term_order] = np.arange(len(t.terms), dtype=np.int32)
    subject, term = subject_rank[t.subject], term_rank[t.term]
    iris = t.annotation_iris
    iri_rank = np.empty(len(iris), dtype=np.int64)
    iri_rank[sorted(range(len(iris)), key=iris.__getitem__)] = np.arange(len(iris))
    order = np.lexsort((iri_rank, term, subject))
    rows = order.tolist()

    def distinct(values: list[str]) -> list[str]:
        return list(values) if len(values) < 2 else sorted(set(values))

    return AnnotationTable(
        [t.subjects[i] for i in subject_order],
        [t.subject_labels[i] for i in subject_order],
        [t.terms[i] for i in term_order],
        [t.annotation_iris[r] for r in rows],
        subject[order],
        term[order],
        t.negated[order],
        t.frequency[order],
        [t.frequency_term[r] for r in rows],
        [t.onset[r] for r in rows],
        t.sex[order],
        [t.evidence[r] for r in rows],
        [t.aspect[r] for r in rows],
        [distinct(t.sources[r]) for r in rows],
        [distinct(t.modifier[r]) for r in rows],
        # the columns added since, in the same order
        None if t.frequency_text is None else [t.frequency_text[r] for r in rows],
        None if t.frequency_exact is None else t.frequency_exact[order],
    )


@settings(max_examples=80, deadline=None)
@given(st.lists(_ROW, max_size=15), st.booleans())
def test_canonical_order_is_as_before(rows: list[Any], repeat_iris: bool) -> None:
    builder = AnnotationTableBuilder()
    builder.add_rows(rows)
    table = builder.build()
    if repeat_iris and len(table):  # a table read from elsewhere may repeat an IRI
        table.annotation_iris = [table.annotation_iris[0]] * len(table)
    assert _same(_columns(table.canonical()), _columns(_canonical_before(table)))


def test_canonical_of_no_or_one_row() -> None:
    for rows in ([], [("a", "s", "t", False, None, "", "", "", "E", "P", ["m"], ["r", "r"], "")]):
        builder = AnnotationTableBuilder()
        builder.add_rows(rows)
        table = builder.build()
        assert _same(_columns(table.canonical()), _columns(_canonical_before(table)))


# ---- the helper triples ---------------------------------------------------------------------


def _helper_triples_before(store: ox.Store) -> dict[str, Any]:
    """What :func:`write_helper_triples` wrote before it read the store's N-Triples text:
    each quad's terms as Python objects."""
    blocks: tuple[dict[Any, int], dict[Any, int], dict[Any, int]] = ({}, {}, {})
    xsd_string = ox.NamedNode("http://www.w3.org/2001/XMLSchema#string")

    def number(term: Any) -> tuple[int, int]:
        if isinstance(term, ox.NamedNode):
            block, key = 0, term.value
        elif (
            isinstance(term, ox.Literal)
            and term.language is None
            and getattr(term, "direction", None) is None
            and term.datatype == xsd_string
        ):
            block, key = 1, term.value
        else:
            block, key = 2, term
        numbers = blocks[block]
        return block, numbers.setdefault(key, len(numbers))

    numbered: dict[str, list[tuple[int, int]]] = {}
    for p in HELPER_PREDICATES:
        pairs = numbered[p] = []
        for q in store.quads_for_pattern(None, ox.NamedNode(p), None, ox.DefaultGraph()):
            pairs += (number(q.subject), number(q.object))
    offsets = (0, len(blocks[0]), len(blocks[0]) + len(blocks[1]))
    return {
        "iris": list(blocks[0]),
        "strings": list(blocks[1]),
        "others": [str(t) for t in blocks[2]],
        "triples": {p: [offsets[b] + n for b, n in pairs] for p, pairs in numbered.items()},
    }


#: Literals whose N-Triples text escapes characters, or could be misread
HARD_TEXTS = [
    'say "hi"',
    "back\\slash",
    "tab\there",
    "new\nline",
    "cr\rlf",
    "bell\x07 and \x00 nul and \x1f unit and \x7f del",
    "line\u2028separator and \x85 next line and \x0c form feed and \x0b vt",
    'ends with a quote"',
    "é ü 漢字 😀",
    '<not an IRI> " .',
    "",
    " leading and trailing ",
]


@pytest.mark.parametrize("on_disk", [True, False], ids=["rocksdb", "memory"])
def test_helper_triples_are_as_read_from_quad_objects(tmp_path: Path, on_disk: bool) -> None:
    store = ox.Store(str(tmp_path / "store")) if on_disk else ox.Store()
    label = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
    sub = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#subClassOf")
    anon = ox.BlankNode()
    quads = [ox.Quad(ox.NamedNode(f"http://example.org/t{i}"), label, ox.Literal(text))
             for i, text in enumerate(HARD_TEXTS)]  # fmt: skip
    quads += [
        ox.Quad(ox.NamedNode("http://example.org/a"), label, ox.Literal("chat", language="fr")),
        ox.Quad(ox.NamedNode("http://example.org/a"), label, ox.Literal('"q"\n', language="en")),
        ox.Quad(
            ox.NamedNode("http://example.org/a"),
            label,
            ox.Literal("7", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")),
        ),
        ox.Quad(ox.NamedNode("http://example.org/a"), sub, anon),
        ox.Quad(anon, sub, ox.NamedNode("http://example.org/b")),
        ox.Quad(anon, label, ox.Literal("anon")),
        # in a named graph: not a helper triple
        ox.Quad(
            ox.NamedNode("http://example.org/g"), label, ox.Literal("g"), ox.NamedNode("urn:g")
        ),
    ]
    store.extend(quads)

    path = write_helper_triples(store, tmp_path / "derived")

    assert json.loads(path.read_text(encoding="utf-8")) == _helper_triples_before(store)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(max_size=12), min_size=1, max_size=6))
def test_helper_triples_of_any_text_are_as_before(texts: list[str]) -> None:
    store = ox.Store()
    label = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
    store.extend(
        ox.Quad(ox.NamedNode(f"http://example.org/t{i}"), label, ox.Literal(t))
        for i, t in enumerate(texts)
    )
    with tempfile.TemporaryDirectory() as folder:
        path = write_helper_triples(store, Path(folder))
        assert json.loads(path.read_text(encoding="utf-8")) == _helper_triples_before(store)


@pytest.mark.parametrize("fixture", ["hpo_mini", "hpo_edge"])
def test_helper_triples_read_while_the_store_loads_are_those_of_the_finished_store(
    tmp_path: Path, fixture: str
) -> None:
    dest = tmp_path / "kg"
    build_kg(["hpo"], dest, hpo_dir=FIXTURES / fixture, progress=False)
    build = resolve_build(dest)
    written = (build / "derived" / HELPER_TRIPLES_FILE).read_bytes()

    store = ox.Store.read_only(str(build / "store"))
    again = write_helper_triples(store, tmp_path / "again").read_bytes()

    assert written == again
    data = json.loads(written)
    assert data["triples"]["http://purl.obolibrary.org/obo/RO_0003304"]  # gene-disease links
    assert "Marfan syndrome" in data["strings"]  # a disease's label


# ---- the loader ----------------------------------------------------------------------------


class _RecordingStore:
    """Records the files it is asked to load; the first load waits for ``go``."""

    def __init__(self) -> None:
        self.loaded: list[str] = []
        self.go = threading.Event()

    def bulk_load(self, *, path: str, **_: object) -> None:
        self.go.wait(10)
        self.loaded.append(Path(path).name)


def test_urgent_files_load_before_the_files_queued_without(tmp_path: Path) -> None:
    store = _RecordingStore()
    files = {name: tmp_path / name for name in ("a", "b", "c", "u1", "u2")}
    for f in files.values():
        f.write_text("", encoding="utf-8")
    with BackgroundLoader(store, workers=1) as loader:
        first = loader.submit(files["a"])
        while not first.running():  # taken by the worker, which waits for ``go``
            time.sleep(0.001)
        loader.submit(files["b"])
        loader.submit(files["c"])
        urgent: Sequence[Any] = [loader.submit(files[u], urgent=True) for u in ("u1", "u2")]
        store.go.set()
        BackgroundLoader.wait([first, *urgent])
    assert store.loaded == ["a", "u1", "u2", "b", "c"]
    assert not any(f.exists() for f in files.values())  # each file removed once loaded
