"""Tests of encoders.linker_index: the saved dictionary index links as the built one does."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from encoders import linker as linker_module
from encoders import linker_index
from encoders.linker import ConceptLinker, LinkerConfig, index_folder_of
from encoders.linker_index import KEEP_FILES, save_index
from kg.lexicon import Lexicon, LexiconEntry
from tests.privileges import as_nobody, is_root
from tests.test_encoders.test_linker import PARENTS, PHENO, make_lexicon

CONFIG = LinkerConfig(allowed_roots=(PHENO,), min_depth=1)
TEXTS = [
    "Fits since age 2, low muscle tone and a small head; no VSD. ASD was ruled out.",
    "Profound developmental delay with axial and appendicular hypotonia.",
    "She has GERD, dysplasia of the hip and partial seizures (focal). Convulsions.",
    "The mother had seizures. Possible microcephaly. Hypotonia: none.",
]


def records(linker: ConceptLinker) -> list[list[dict]]:
    return [[m.as_dict() for m in linker.link(text)] for text in TEXTS]


def saved_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("linker-*.json"))


def test_saved_index_links_as_the_built_one(tmp_path: Path) -> None:
    built = ConceptLinker(make_lexicon(), CONFIG, parents=PARENTS)
    first = ConceptLinker(make_lexicon(), CONFIG, parents=PARENTS, index_folder=tmp_path)
    again = ConceptLinker(make_lexicon(), CONFIG, parents=PARENTS, index_folder=tmp_path)
    assert (first._index_source, again._index_source) == ("built", "saved")
    assert len(saved_files(tmp_path)) == 1
    expected = records(built)
    assert any(expected) and records(first) == expected and records(again) == expected
    assert again.vocabulary == built.vocabulary
    # settings that only change how texts are read share the index
    reader = ConceptLinker(
        make_lexicon(),
        LinkerConfig(allowed_roots=(PHENO,), min_depth=1, context=False, allow_gap=False),
        parents=PARENTS,
        index_folder=tmp_path,
    )
    assert reader._index_source == "saved" and len(saved_files(tmp_path)) == 1


@pytest.mark.parametrize(
    "change",
    [
        "a name",
        "an obsolete term",
        "the parents",
        "the roots",
        "the depth",
        "the name kinds",
        "the shortest name",
        "the linking version",
        "the code",
    ],
)
def test_index_of_other_names_or_settings_is_not_read(
    tmp_path: Path, change: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    ConceptLinker(make_lexicon(), CONFIG, parents=PARENTS, index_folder=tmp_path)
    lexicon, parents, config = make_lexicon(), dict(PARENTS), CONFIG
    if change == "a name":
        first = lexicon.entries[3]
        lexicon.entries[3] = LexiconEntry(first.iri, "Epileptic fit", first.kind)
    elif change == "an obsolete term":
        lexicon = Lexicon(lexicon.entries, lexicon.obsolete | {lexicon.entries[8].iri})
    elif change == "the parents":
        parents.pop(next(iter(parents)))
    elif change == "the roots":
        config = LinkerConfig(min_depth=1)
    elif change == "the depth":
        config = LinkerConfig(allowed_roots=(PHENO,), min_depth=2)
    elif change == "the name kinds":
        config = LinkerConfig(allowed_roots=(PHENO,), min_depth=1, kinds=("label",))
    elif change == "the shortest name":
        config = LinkerConfig(allowed_roots=(PHENO,), min_depth=1, min_name_chars=5)
    elif change == "the linking version":
        monkeypatch.setattr(linker_module, "LINKING_VERSION", linker_module.LINKING_VERSION + 1)
    else:
        monkeypatch.setattr(linker_index, "_code_fingerprint", lambda: "edited code")
    other = ConceptLinker(lexicon, config, parents=parents, index_folder=tmp_path)
    fresh = ConceptLinker(lexicon, config, parents=parents)
    assert other._index_source == "built"
    assert records(other) == records(fresh)
    assert len(saved_files(tmp_path)) == 2


def _rewrite(path: Path, header_change: dict | None = None, payload: bytes | None = None) -> None:
    head, _, body = path.read_bytes().partition(b"\n")
    header = json.loads(head)
    if payload is not None:
        body = payload
        header["sha256"] = hashlib.sha256(body).hexdigest()
    header.update(header_change or {})
    path.write_bytes(json.dumps(header).encode() + b"\n" + body)


@pytest.mark.parametrize(
    "damage",
    [
        "empty",
        "cut short",
        "a byte changed",
        "not an object",
        "header only",
        "not utf-8",
        "older format",
        "other key",
        "names of three fields",
        "unknown name kind",
        "no trie",
    ],
)
def test_damaged_index_is_built_again(
    tmp_path: Path, damage: str, caplog: pytest.LogCaptureFixture
) -> None:
    ConceptLinker(make_lexicon(), CONFIG, parents=PARENTS, index_folder=tmp_path)
    (path,) = saved_files(tmp_path)
    data = path.read_bytes()
    index = json.loads(data.partition(b"\n")[2])
    if damage == "empty":
        path.write_bytes(b"")
    elif damage == "cut short":
        path.write_bytes(data[: len(data) * 2 // 3])
    elif damage == "a byte changed":  # still valid JSON: only the digest tells
        path.write_bytes(data.replace(b'"exact"', b'"exacT"', 1))
    elif damage == "not an object":
        _rewrite(path, payload=b"[]")
    elif damage == "header only":
        path.write_bytes(data.partition(b"\n")[0])
    elif damage == "not utf-8":
        path.write_bytes(b"\xff\xfe" + data)
    elif damage == "older format":
        _rewrite(path, {"format": "kgfuse-linker-index/1"})
    elif damage == "other key":
        _rewrite(path, {"key": "0" * 64})
    elif damage == "names of three fields":
        index["names"][0] = index["names"][0][:3]
        _rewrite(path, payload=json.dumps(index).encode())
    elif damage == "unknown name kind":
        index["names"][-1][2] = "nickname"
        _rewrite(path, payload=json.dumps(index).encode())
    else:
        del index["trie"]
        _rewrite(path, payload=json.dumps(index).encode())
    with caplog.at_level(logging.WARNING):
        linker = ConceptLinker(make_lexicon(), CONFIG, parents=PARENTS, index_folder=tmp_path)
    assert linker._index_source == "built"
    assert "not used" in caplog.text
    assert records(linker) == records(ConceptLinker(make_lexicon(), CONFIG, parents=PARENTS))
    again = ConceptLinker(make_lexicon(), CONFIG, parents=PARENTS, index_folder=tmp_path)
    assert again._index_source == "saved"  # written again, whole
    assert records(again) == records(linker)


def test_unwritable_folder_only_means_building(tmp_path: Path) -> None:
    def link() -> tuple[str, list[list[dict]]]:
        linker = ConceptLinker(make_lexicon(), CONFIG, parents=PARENTS, index_folder=folder)
        return linker._index_source, records(linker)

    if is_root():  # root writes into read-only folders: the user nobody links
        folder = Path(tempfile.mkdtemp(prefix="kgfuse-ro-"))  # nobody can reach it, not write
        folder.chmod(0o755)
        try:
            status, got = as_nobody(link)
            assert status == "ok", got
            source, linked = got
            assert saved_files(folder) == [] and not list(folder.iterdir())
        finally:
            shutil.rmtree(folder)
    else:
        folder = tmp_path / "ro"
        folder.mkdir()
        folder.chmod(0o500)
        try:
            source, linked = link()
        finally:
            folder.chmod(0o700)
        assert saved_files(folder) == []
    assert source == "built"
    assert linked == records(ConceptLinker(make_lexicon(), CONFIG, parents=PARENTS))


def test_folder_that_is_a_file_only_means_building(tmp_path: Path) -> None:
    blocker = tmp_path / "derived"
    blocker.write_text("a file where the folder should be")
    linker = ConceptLinker(make_lexicon(), CONFIG, parents=PARENTS, index_folder=blocker / "linker")
    assert linker._index_source == "built" and blocker.read_text().startswith("a file")


def test_name_that_cannot_be_saved_only_means_building(tmp_path: Path) -> None:
    lexicon = make_lexicon()
    lexicon.entries.append(LexiconEntry(lexicon.entries[8].iri, "Hypotonia \ud800", "exact"))
    linker = ConceptLinker(lexicon, CONFIG, parents=PARENTS, index_folder=tmp_path)
    assert linker._index_source == "built" and saved_files(tmp_path) == []
    assert not list(tmp_path.glob(".*.tmp"))
    assert ("Hypotonia", lexicon.entries[8].iri) in [
        (m.text, m.iri) for m in linker.link("Hypotonia since birth.")
    ]


def test_only_the_newest_indexes_are_kept(tmp_path: Path) -> None:
    for i in range(KEEP_FILES + 3):
        path = save_index(tmp_path, f"{i:x}" * 64, {"names": [], "trie": {}})
        assert path is not None
        os.utime(path, (1_000_000 + i, 1_000_000 + i))
    kept = saved_files(tmp_path)
    assert len(kept) == KEEP_FILES
    newest = {f"linker-{f'{i:x}' * 24}.json" for i in range(3, KEEP_FILES + 3)}
    assert {p.name for p in kept} == newest
    assert not list(tmp_path.glob(".*.tmp"))  # nothing half-written left


def test_index_folder_of_a_kg() -> None:
    class Built:
        path = Path("/kgs/hpo/builds/1")

    assert index_folder_of(Built()) == Path("/kgs/hpo/builds/1/derived/linker")
    assert index_folder_of(object()) is None
