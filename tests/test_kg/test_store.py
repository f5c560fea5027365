"""Tests of KG builds: manifest, fingerprint, atomic swaps and recovery from killed builds."""

from __future__ import annotations

import hashlib
import logging
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest

import kg.derived
import kg.hpo
import kg.store
from kg.errors import KGNotFoundError, OntologyParseError
from kg.knowledge_graph import KnowledgeGraph
from kg.namespaces import OBO
from kg.store import (
    DATA_MODEL_VERSION,
    LoaderSink,
    Manifest,
    build_kg,
    default_kg_path,
    fingerprint_of,
    kgfuse_home,
    read_manifest,
    resolve_build,
)

LEGAL = "https://example.org/legal#"


@pytest.fixture
def hpo_mini(fixtures_dir: Path) -> Path:
    return fixtures_dir / "hpo_mini"


@pytest.fixture
def legal_ttl(fixtures_dir: Path) -> Path:
    return fixtures_dir / "legal" / "legal.ttl"


def _builds(dest: Path) -> list[Path]:
    return sorted((dest / "builds").iterdir())


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_kgfuse_home_explicit_env_and_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KGFUSE_HOME", str(tmp_path / "env-home"))
    assert kgfuse_home(tmp_path / "explicit") == tmp_path / "explicit"
    assert kgfuse_home() == tmp_path / "env-home"
    assert default_kg_path("hpo") == tmp_path / "env-home" / "kgs" / "hpo"
    monkeypatch.delenv("KGFUSE_HOME")
    assert kgfuse_home() == Path.home() / ".kgfuse"


def test_build_kg_from_mini_hpo_writes_manifest(tmp_path: Path, hpo_mini: Path) -> None:
    dest = tmp_path / "hpo"
    manifest = build_kg(["hpo"], dest, hpo_dir=hpo_mini, progress=False)

    assert manifest.name == "hpo"
    assert manifest.data_model == DATA_MODEL_VERSION
    assert [s.name for s in manifest.sources] == [
        "hp.obo",
        "phenotype.hpoa",
        "genes_to_phenotype.txt",
    ]
    assert [s.format for s in manifest.sources] == ["obo", "hpoa", "hpo-genes"]
    for source in manifest.sources:
        assert source.sha256 == _sha256(hpo_mini / source.name)
        assert source.triples > 0
    assert manifest.releases["hp.obo"] == "hp/releases/2025-01-01-mini"
    assert manifest.releases["phenotype.hpoa"] == "2025-01-01-mini"
    counts = manifest.counts
    assert counts["type:kgv:Disease"] == 3
    assert counts["type:kgv:Gene"] == 4
    assert counts["type:kgv:PhenotypeAnnotation"] == 20
    assert counts["annotations"] == 20
    assert counts["annotations_negated"] == 3
    assert counts["annotated_subjects"] == 3
    # the sources, and the three triples describing the KG (kg.store.describe_kg)
    assert counts["triples"] == sum(s.triples for s in manifest.sources) + 3
    assert counts["graph_edges"] == sum(v for k, v in counts.items() if k.startswith("relation:"))
    assert manifest.fingerprint == fingerprint_of(manifest.sources)
    assert "pyoxigraph" in manifest.versions
    # the manifest on disk is the one returned
    assert read_manifest(dest) == manifest
    assert (dest / "current").is_symlink()
    assert [p.name for p in _builds(dest)] == [resolve_build(dest).name]
    for name in ("lexicon.jsonl", "hierarchy.npz", "annotations.npz", "graph"):
        assert (resolve_build(dest) / "derived" / name).exists()


def test_build_kg_from_legal_turtle(tmp_path: Path, legal_ttl: Path) -> None:
    manifest = build_kg([legal_ttl], tmp_path / "legal", progress=False)

    assert [(s.name, s.format) for s in manifest.sources] == [("legal.ttl", "turtle")]
    assert manifest.sources[0].sha256 == _sha256(legal_ttl)
    assert manifest.sources[0].release is None
    assert manifest.sources[0].triples == 111
    assert manifest.counts["triples"] == 111 + 3  # and the KG's description
    assert manifest.counts["type:owl:Class"] == 18
    assert manifest.counts["annotations"] == 0
    graph = KnowledgeGraph.open(tmp_path / "legal")
    assert graph.label(LEGAL + "Theft") == "theft"


def test_build_kg_without_derived_counts_predicates(tmp_path: Path, legal_ttl: Path) -> None:
    manifest = build_kg([legal_ttl], tmp_path / "legal", derived=False, progress=False)

    assert not (resolve_build(tmp_path / "legal") / "derived").exists()
    assert manifest.counts["predicate:rdfs:subClassOf"] == 14


def test_build_kg_manifest_round_trips_through_json(tmp_path: Path, legal_ttl: Path) -> None:
    manifest = build_kg([legal_ttl], tmp_path / "legal", name="criminal law", progress=False)

    assert manifest.name == "criminal law"
    assert Manifest.from_json(manifest.to_json()) == manifest


def test_fingerprint_stable_across_builds_of_same_sources(
    tmp_path: Path, hpo_mini: Path, legal_ttl: Path
) -> None:
    first = build_kg(["hpo"], tmp_path / "a", hpo_dir=hpo_mini, progress=False)
    # a copy of the sources elsewhere, built later into another folder: content decides
    copy = tmp_path / "copy"
    shutil.copytree(hpo_mini, copy)
    second = build_kg(["hpo"], tmp_path / "b", hpo_dir=copy, progress=False)
    legal = build_kg([legal_ttl], tmp_path / "c", progress=False)

    assert first.fingerprint == second.fingerprint
    assert first.built_at <= second.built_at
    assert legal.fingerprint != first.fingerprint


def test_fingerprint_changes_with_one_changed_source(tmp_path: Path, hpo_mini: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(hpo_mini, copy)
    before = build_kg(["hpo"], tmp_path / "kg", hpo_dir=copy, progress=False)
    with (copy / "genes_to_phenotype.txt").open("a", encoding="utf-8") as fh:
        fh.write("4000\tLMNA\tHP:0001626\tAbnormality of the cardiovascular system\t-\t\n")
    after = build_kg(["hpo"], tmp_path / "kg", hpo_dir=copy, progress=False)

    assert after.fingerprint != before.fingerprint
    assert after.sources[0].sha256 == before.sources[0].sha256
    assert after.sources[2].sha256 != before.sources[2].sha256
    assert after.counts["type:kgv:Gene"] == before.counts["type:kgv:Gene"] + 1


def test_build_kg_merges_several_sources(
    tmp_path: Path, fixtures_dir: Path, legal_ttl: Path
) -> None:
    mini_obo = fixtures_dir / "mini.obo"
    manifest = build_kg([legal_ttl, mini_obo], tmp_path / "merged", progress=False)
    alone = build_kg([legal_ttl], tmp_path / "legal", progress=False)

    assert [s.format for s in manifest.sources] == ["turtle", "obo"]
    assert manifest.counts["triples"] > alone.counts["triples"]
    assert manifest.fingerprint not in (alone.fingerprint,)
    graph = KnowledgeGraph.open(tmp_path / "merged")
    assert graph.label(LEGAL + "Burglary") == "burglary"
    assert graph.label("MINI:0000003") == "Ventricular septal defect"
    assert OBO + "MINI_0000002" in graph.ancestors("MINI:0000003")
    assert LEGAL + "Offence" in graph.ancestors(LEGAL + "Theft")


def test_build_kg_replaces_previous_build(tmp_path: Path, legal_ttl: Path, hpo_mini: Path) -> None:
    dest = tmp_path / "kg"
    build_kg([legal_ttl], dest, progress=False)
    old = resolve_build(dest)
    reader = KnowledgeGraph.open(dest)  # a process that opened the KG before (a server)
    build_kg(["hpo"], dest, hpo_dir=hpo_mini, progress=False)

    assert resolve_build(dest) != old
    assert KnowledgeGraph.open(dest).label("HP:0001166") == "Arachnodactyly"
    # the build it replaced stays until the next one: its readers load tables lazily
    assert old.exists() and len(_builds(dest)) == 2
    assert LEGAL + "Offence" in reader.hierarchy.ancestors(LEGAL + "Theft")
    build_kg(["hpo"], dest, hpo_dir=hpo_mini, progress=False)
    assert not old.exists() and len(_builds(dest)) == 2  # older builds are dropped


def test_a_kg_folder_copied_through_its_link_is_refused_as_a_build_target(
    tmp_path: Path, legal_ttl: Path
) -> None:
    build_kg([legal_ttl], tmp_path / "kg", progress=False)
    copy = tmp_path / "copy"
    shutil.copytree(tmp_path / "kg", copy)  # follows the link: current is a folder
    assert KnowledgeGraph.open(copy).label(LEGAL + "Burglary") == "burglary"  # it opens
    with pytest.raises(ValueError, match="is a folder, not the link a build writes"):
        build_kg([legal_ttl], copy, progress=False)
    assert sorted(p.name for p in (copy / "builds").iterdir()) == sorted(
        p.name for p in (tmp_path / "kg" / "builds").iterdir()
    )  # no orphan build left


def test_build_kg_bad_second_source_keeps_previous_kg(
    tmp_path: Path, legal_ttl: Path, fixtures_dir: Path
) -> None:
    dest = tmp_path / "kg"
    good = build_kg([legal_ttl], dest, progress=False)
    build_dir = resolve_build(dest)

    with pytest.raises(OntologyParseError) as info:
        build_kg([legal_ttl, fixtures_dir / "bad.ttl"], dest, progress=False)

    assert "bad.ttl" in str(info.value)
    assert info.value.line is not None
    assert resolve_build(dest) == build_dir
    assert _builds(dest) == [build_dir]  # no .tmp-* left behind
    assert read_manifest(dest) == good
    assert KnowledgeGraph.open(dest).label(LEGAL + "Theft") == "theft"


def test_build_kg_crash_halfway_keeps_previous_kg(
    tmp_path: Path, legal_ttl: Path, hpo_mini: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dest = tmp_path / "kg"
    good = build_kg([legal_ttl], dest, progress=False)

    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("simulated crash while deriving tables")

    monkeypatch.setattr(kg.derived, "write_derived", crash)
    with pytest.raises(RuntimeError, match="simulated crash"):
        build_kg(["hpo"], dest, hpo_dir=hpo_mini, progress=False)

    assert read_manifest(dest) == good
    assert [p.name for p in _builds(dest)] == [resolve_build(dest).name]
    assert not list((dest / "builds").glob(".tmp-*"))
    assert KnowledgeGraph.open(dest).label(LEGAL + "Theft") == "theft"


def test_build_kg_crash_while_the_store_loads_keeps_previous_kg(
    tmp_path: Path, legal_ttl: Path, hpo_mini: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dest = tmp_path / "kg"
    good = build_kg([legal_ttl], dest, progress=False)
    # small pieces: phenotype.hpoa's first pieces are loading when the genes file fails
    monkeypatch.setattr(kg.store, "LOAD_PIECE_TRIPLES", 40)

    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("simulated crash while converting genes")

    monkeypatch.setattr(kg.hpo, "genes_to_ntriples", crash)
    with pytest.raises(RuntimeError, match="simulated crash"):
        build_kg(["hpo"], dest, hpo_dir=hpo_mini, progress=False)

    assert read_manifest(dest) == good
    assert [p.name for p in _builds(dest)] == [resolve_build(dest).name]
    assert not list((dest / "builds").glob(".tmp-*"))
    assert KnowledgeGraph.open(dest).label(LEGAL + "Theft") == "theft"


def test_loader_sink_hands_over_pieces_of_whole_writes(tmp_path: Path) -> None:
    handed: list[tuple[str, bool]] = []

    class Loader:
        def submit(self, path: Path, *, lenient: bool = False) -> None:
            handed.append((path.read_text(encoding="utf-8"), lenient))

    writes = ["a .\n", "b .\nc .\n", "d .\n", "e .\nf .\ng .\nh .\n", "i .\n"]
    with LoaderSink(Loader(), tmp_path, "t", piece_triples=3, lenient=True) as sink:
        for text in writes:
            sink.write(text)

    pieces = [text for text, _ in handed]
    assert "".join(pieces) == "".join(writes)
    # a piece ends before a write that would take it past 3 lines; a longer write stays whole
    assert pieces == ["a .\nb .\nc .\n", "d .\n", "e .\nf .\ng .\nh .\n", "i .\n"]
    assert all(lenient for _, lenient in handed)


def test_build_kg_in_pieces_gives_the_same_kg(
    tmp_path: Path, hpo_mini: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = build_kg(["hpo"], tmp_path / "whole", name="hpo", hpo_dir=hpo_mini, progress=False)
    monkeypatch.setattr(kg.store, "LOAD_PIECE_TRIPLES", 7)
    pieces = build_kg(["hpo"], tmp_path / "pieces", name="hpo", hpo_dir=hpo_mini, progress=False)

    assert pieces.fingerprint == whole.fingerprint
    assert pieces.counts == whole.counts
    stores = [KnowledgeGraph.open(tmp_path / name).store for name in ("whole", "pieces")]
    # no blank nodes outside hp.obo, which is loaded in one piece
    named = [sorted(str(q) for q in s if not isinstance(q.subject, ox.BlankNode)) for s in stores]
    assert named[0] == named[1]
    assert len(named[0]) > 200


@pytest.mark.parametrize("content", ["", "format-version: 1.2\nontology: hp\n"])
def test_an_hp_obo_without_terms_is_refused(tmp_path: Path, hpo_mini: Path, content: str) -> None:
    data = tmp_path / "hpo"
    shutil.copytree(hpo_mini, data)
    (data / "hp.obo").write_text(content, encoding="utf-8")
    with pytest.raises(OntologyParseError, match=r"hp\.obo:1: no \[Term\] frame"):
        build_kg(["hpo"], tmp_path / "kg", hpo_dir=data, progress=False)
    assert not (tmp_path / "kg").exists()  # nothing left of a first build that failed


def test_a_subclass_cycle_is_warned_about_when_the_kg_is_built(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    source = tmp_path / "cycle.ttl"
    source.write_text(
        "@prefix ex: <http://ex.org/> .\n"
        "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        "ex:A a owl:Class ; rdfs:subClassOf ex:B .\n"
        "ex:B a owl:Class ; rdfs:subClassOf ex:A .\n",
        encoding="utf-8",
    )
    with caplog.at_level(logging.WARNING, logger="kg.derived"):
        build_kg([source], tmp_path / "kg", progress=False)
    assert "cycle through http://ex.org/A, http://ex.org/B" in caplog.text
    with pytest.raises(ValueError, match="cycle"):  # where the hierarchy is read
        KnowledgeGraph.open(tmp_path / "kg").hierarchy.ancestors("http://ex.org/A")


def test_an_hp_obo_value_past_the_parsers_buffer_is_named_with_its_file(
    tmp_path: Path, hpo_mini: Path
) -> None:
    data = tmp_path / "hpo"
    shutil.copytree(hpo_mini, data)
    text = (data / "hp.obo").read_text(encoding="utf-8")
    huge = text.replace("name: Arachnodactyly", "name: " + "x" * 17_000_000, 1)
    assert huge != text
    (data / "hp.obo").write_text(huge, encoding="utf-8")
    with pytest.raises(OntologyParseError, match=r"hp\.obo: a single name.* too long to load"):
        build_kg(["hpo"], tmp_path / "kg", hpo_dir=data, progress=False)


def test_annotations_of_terms_the_ontology_lacks_are_counted_in_a_warning(
    tmp_path: Path, hpo_mini: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data = tmp_path / "hpo"
    shutil.copytree(hpo_mini, data)
    with (data / "phenotype.hpoa").open("a", encoding="utf-8") as fh:
        fh.write("OMIM:154700\tMarfan syndrome\t\tHP:9999999\tPMID:1\tPCS\t\t\t\t\tP\tHPO:x\n")
    with caplog.at_level(logging.WARNING, logger="kg.derived"):
        build_kg(["hpo"], tmp_path / "kg", hpo_dir=data, progress=False)
    assert "1 annotation row(s) name 1 term(s) no class of the KG defines (HP:9999999)" in (
        caplog.text
    )
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="kg.derived"):
        build_kg(["hpo"], tmp_path / "plain", hpo_dir=hpo_mini, progress=False)
    assert "no class of the KG defines" not in caplog.text


def test_hpo_and_a_file_give_the_same_tables_in_either_order(
    tmp_path: Path, hpo_mini: Path
) -> None:
    extra = tmp_path / "extra.ttl"
    extra.write_text(
        "@prefix ex: <http://ex.org/> .\n"
        "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        'ex:Extra a owl:Class ; rdfs:label "Extra user term" ;\n'
        "  rdfs:subClassOf <http://purl.obolibrary.org/obo/HP_0000118> .\n",
        encoding="utf-8",
    )
    built = {}
    for name, sources in (("hpo_first", ["hpo", extra]), ("file_first", [extra, "hpo"])):
        manifest = build_kg(sources, tmp_path / name, hpo_dir=hpo_mini, progress=False)
        graph = KnowledgeGraph.open(tmp_path / name)
        assert "http://ex.org/Extra" in graph.hierarchy
        assert "http://ex.org/Extra" in graph.graph.node_iris
        assert any(e.iri == "http://ex.org/Extra" for e in graph.lexicon)
        built[name] = manifest
    assert built["hpo_first"].counts == built["file_first"].counts


def test_build_kg_interrupted_keeps_previous_kg(
    tmp_path: Path, legal_ttl: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dest = tmp_path / "kg"
    good = build_kg([legal_ttl], dest, progress=False)

    def interrupt(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(kg.derived, "write_derived", interrupt)
    with pytest.raises(KeyboardInterrupt):
        build_kg([legal_ttl], dest, progress=False)

    assert read_manifest(dest) == good
    assert not list((dest / "builds").glob(".tmp-*"))


def test_build_kg_first_build_failing_leaves_nothing(tmp_path: Path, fixtures_dir: Path) -> None:
    dest = tmp_path / "kg"
    with pytest.raises(OntologyParseError):
        build_kg([fixtures_dir / "bad.obo"], dest, progress=False)

    assert not dest.exists()  # the folder it made is gone too
    with pytest.raises(KGNotFoundError, match="kgfuse kg build"):
        KnowledgeGraph.open(dest)


def test_build_kg_removes_leftovers_of_killed_build(tmp_path: Path, legal_ttl: Path) -> None:
    dest = tmp_path / "kg"
    build_kg([legal_ttl], dest, progress=False)
    leftover = dest / "builds" / ".tmp-0123456789abcdef"
    (leftover / "store").mkdir(parents=True)
    (leftover / "store" / "000001.sst").write_bytes(b"half-written")
    (dest / ".current-deadbeef").symlink_to("builds/.tmp-0123456789abcdef")

    build_kg([legal_ttl], dest, progress=False)

    assert not leftover.exists()
    assert not list((dest / "builds").glob(".tmp-*"))
    assert not list(dest.glob(".current-*"))
    assert len(_builds(dest)) == 2  # the new build and the one it replaced


def test_build_kg_missing_source_fails_before_any_work(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="nope.ttl"):
        build_kg([tmp_path / "nope.ttl"], tmp_path / "kg", progress=False)
    with pytest.raises(ValueError, match="no sources"):
        build_kg([], tmp_path / "kg", progress=False)
    with pytest.raises(ValueError, match="one entry per source"):
        build_kg(["hpo"], tmp_path / "kg", formats=["obo", "ttl"], progress=False)


def test_build_kg_missing_hpo_file_names_it(tmp_path: Path, hpo_mini: Path) -> None:
    partial = tmp_path / "partial"
    partial.mkdir()
    shutil.copy(hpo_mini / "hp.obo", partial / "hp.obo")

    with pytest.raises(FileNotFoundError, match="phenotype.hpoa"):
        build_kg(["hpo"], tmp_path / "kg", hpo_dir=partial, progress=False)

    assert not list((tmp_path / "kg" / "builds").glob(".tmp-*"))


def test_knowledge_graph_reopen_and_concurrent_readers(tmp_path: Path, hpo_mini: Path) -> None:
    dest = tmp_path / "kg"
    manifest = build_kg(["hpo"], dest, hpo_dir=hpo_mini, progress=False)

    first = KnowledgeGraph.open(dest)
    labels = first.labels
    second = KnowledgeGraph.open(dest)  # a second read-only reader while the first is open
    assert second.fingerprint == first.fingerprint == manifest.fingerprint
    assert second.label("HP:0001166") == "Arachnodactyly"
    del first, second

    again = KnowledgeGraph.open(resolve_build(dest))  # a build folder opens too
    assert again.labels == labels
    assert len(again.store) == manifest.counts["triples"]
    assert again.stats() == manifest.counts


def test_triple_count_counts_every_graph_as_len_does() -> None:
    store = ox.Store()
    a, p = ox.NamedNode("http://example.org/a"), ox.NamedNode("http://example.org/p")
    for i in range(5):
        store.add(ox.Quad(a, p, ox.Literal(str(i))))
    store.add(ox.Quad(a, p, ox.Literal("0")))  # a set: counted once
    assert kg.store.triple_count(store) == len(store) == 5
    store.add(ox.Quad(a, p, ox.Literal("x"), ox.NamedNode("http://example.org/g")))
    assert kg.store.triple_count(store) == len(store) == 6


def test_a_build_refuses_a_folder_of_other_files_and_leaves_it(
    legal_ttl: Path, tmp_path: Path
) -> None:
    # a build removes its older builds: it must never remove a user's files
    project = tmp_path / "project"
    (project / "builds" / "nightly").mkdir(parents=True)
    (project / "builds" / "nightly" / "r.csv").write_text("d\n")
    with pytest.raises(ValueError, match="not a kgfuse KG folder .*builds/nightly"):
        build_kg([legal_ttl], project, progress=False)
    assert (project / "builds" / "nightly" / "r.csv").read_text() == "d\n"
    (tmp_path / "notes.txt").write_text("mine\n")
    with pytest.raises(ValueError, match="is a file"):
        build_kg([legal_ttl], tmp_path / "notes.txt", progress=False)
    with pytest.raises(ValueError, match="is a folder"):
        build_kg([tmp_path], tmp_path / "kg", progress=False)
    assert not (tmp_path / "kg").exists()  # nothing made for a bad source
    build_kg([legal_ttl], tmp_path / "kg", progress=False)  # a new folder, then its own
    build_kg([legal_ttl], tmp_path / "kg", progress=False)
    assert len(list((tmp_path / "kg" / "builds").iterdir())) == 2  # and the one it replaced


def test_a_second_build_of_one_kg_at_once_is_refused(legal_ttl: Path, tmp_path: Path) -> None:
    import fcntl

    dest = tmp_path / "kg"
    dest.mkdir()
    with (dest / ".build.lock").open("a") as held:  # as a running build holds it
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(ValueError, match="another build of .* is running"):
            build_kg([legal_ttl], dest, progress=False)
    build_kg([legal_ttl], dest, progress=False)  # free again
    assert (dest / "current" / "manifest.json").is_file()


@pytest.mark.parametrize("name", ["..", ".", ".hidden", "a/b", ""])
def test_kg_names_stay_inside_the_home(name: str, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cannot name a KG"):
        default_kg_path(name, tmp_path)
    assert default_kg_path("legal-2.v1", tmp_path) == tmp_path / "kgs" / "legal-2.v1"


def test_an_empty_source_is_refused_before_anything_is_made(tmp_path: Path) -> None:
    empty = tmp_path / "empty.ttl"
    empty.write_bytes(b"\xef\xbb\xbf \n\n")
    with pytest.raises(OntologyParseError, match="empty.ttl: the file is empty"):
        build_kg([empty], tmp_path / "kg", progress=False)
    assert not (tmp_path / "kg").exists()


def test_a_byte_order_mark_is_not_read_as_part_of_the_first_term(tmp_path: Path) -> None:
    source = tmp_path / "bom.ttl"
    source.write_bytes(b'\xef\xbb\xbf@prefix ex: <http://e.org/> .\nex:a ex:b "c" .\n')
    build_kg([source], tmp_path / "kg", progress=False)
    graph = KnowledgeGraph.open(tmp_path / "kg")
    assert graph.query("SELECT ?o WHERE { <http://e.org/a> <http://e.org/b> ?o }")[1] == [("c",)]
    assert not list((tmp_path / "kg" / "builds").glob("*/bom-*"))  # the copy is gone


def test_a_term_too_long_to_parse_names_the_file_and_leaves_no_folder(tmp_path: Path) -> None:
    source = tmp_path / "huge.ttl"
    source.write_text('<http://e.org/a> <http://e.org/b> "' + "x" * (17 << 20) + '" .\n')
    with pytest.raises(OntologyParseError, match="huge.ttl: a single term or literal is too long"):
        build_kg([source], tmp_path / "kg", progress=False)
    assert not (tmp_path / "kg").exists()  # a first build that failed leaves nothing


def test_a_damaged_store_or_manifest_is_one_clear_error(legal_ttl: Path, tmp_path: Path) -> None:
    build_kg([legal_ttl], tmp_path / "kg", progress=False)
    build = resolve_build(tmp_path / "kg")
    (build / "manifest.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(KGNotFoundError, match="is damaged .* rebuild it with kgfuse kg build"):
        KnowledgeGraph.open(tmp_path / "kg")


def test_shapes_that_are_not_turtle_name_their_file(tmp_path: Path) -> None:
    from kg.validation import _load_shapes

    bad = tmp_path / "shapes.ttl"
    bad.write_text("@prefix sh: <http://www.w3.org/ns/shacl#> .\nthis is not turtle\n")
    with pytest.raises(OntologyParseError, match="shapes.ttl:2: not valid Turtle shapes"):
        _load_shapes([bad])
    with pytest.raises(FileNotFoundError, match="shapes file not found"):
        _load_shapes([tmp_path / "missing.ttl"])


def test_json_ld_named_graphs_join_the_kg(tmp_path: Path) -> None:
    source = tmp_path / "named.jsonld"
    source.write_text(
        '{"@context": {"ex": "http://e.org/", "rdfs": "http://www.w3.org/2000/01/rdf-schema#"},'
        ' "@id": "ex:graph1", "@graph": [{"@id": "ex:A", "rdfs:label": "A thing"}]}',
        encoding="utf-8",
    )
    build_kg([source], tmp_path / "kg", progress=False)
    graph = KnowledgeGraph.open(tmp_path / "kg")
    assert graph.query("SELECT ?l WHERE { <http://e.org/A> rdfs:label ?l }")[1] == [("A thing",)]
    assert list(graph.store.named_graphs()) == []


def test_terms_under_file_iris_can_be_looked_up(tmp_path: Path) -> None:
    # a source's own file: IRIs (relative IRIs without a base are refused: test_build_checks)
    source = tmp_path / "rel.ttl"
    iri = (tmp_path / "A").resolve().as_uri()
    source.write_text(f'<{iri}> <http://www.w3.org/2000/01/rdf-schema#label> "a" .\n')
    build_kg([source], tmp_path / "kg", progress=False)
    graph = KnowledgeGraph.open(tmp_path / "kg")
    assert graph.resolve(iri) == iri
    assert graph.label(iri) == "a"


def test_a_kg_folder_whose_name_is_not_utf8_is_refused_before_any_work(
    tmp_path: Path, legal_ttl: Path
) -> None:
    import os

    dest = Path(os.fsdecode(os.fsencode(str(tmp_path)) + b"/kg-\xff"))
    with pytest.raises(ValueError, match="not valid UTF-8"):
        build_kg([legal_ttl], dest, progress=False)
    assert not dest.exists()
