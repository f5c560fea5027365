"""Files written whole get the mode of any new file, not a private temporary's."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
import torch

from encoders.graph_model import atomic_save_tensors, atomic_write_text
from kg.atomic import give_new_file_modes, new_file_mode, temp_file_beside


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_atomically_written_files_are_readable_by_others(tmp_path: Path, umask_022) -> None:
    atomic_write_text("{}", tmp_path / "meta.json")
    atomic_save_tensors({"w": torch.zeros(2)}, tmp_path / "w.safetensors", {})
    assert _mode(tmp_path / "meta.json") == 0o644  # mkstemp gave 0600
    assert _mode(tmp_path / "w.safetensors") == 0o644
    assert sorted(p.name for p in tmp_path.iterdir()) == ["meta.json", "w.safetensors"]


def test_temporary_files_are_new_and_beside_the_target(tmp_path: Path) -> None:
    first, second = temp_file_beside(tmp_path / "x"), temp_file_beside(tmp_path / "x")
    for fd, _ in (first, second):
        os.close(fd)
    assert first[1] != second[1]
    assert all(Path(name).parent == tmp_path for _, name in (first, second))


def test_folders_written_by_libraries_get_new_file_modes(tmp_path: Path, umask_022) -> None:
    from safetensors.torch import save_file

    (tmp_path / "sub").mkdir(mode=0o700)
    save_file({"w": torch.zeros(1)}, str(tmp_path / "sub" / "w.safetensors"))  # 0600
    give_new_file_modes(tmp_path)
    assert _mode(tmp_path / "sub" / "w.safetensors") == 0o644
    assert _mode(tmp_path / "sub") == 0o755
    assert new_file_mode(tmp_path) == 0o644 and list(tmp_path.iterdir()) == [tmp_path / "sub"]


def _record_fsyncs(monkeypatch: pytest.MonkeyPatch, events: list[tuple[str, str]]) -> None:
    """Record each fsync (the path synced) and each rename (its source), in order."""
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))
        real_fsync(fd)

    def replace(src, dst) -> None:
        events.append(("replace", str(src)))
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)


def test_a_file_written_whole_reaches_the_disk_before_its_rename(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The temporary file is synced before it is renamed onto the target, and the folder
    after (a power cut must leave the old file or the new one, never an empty one)."""
    from fusion.faiss_index import IndexConfig, add_vectors, build_index, save_index

    events: list[tuple[str, str]] = []
    _record_fsyncs(monkeypatch, events)
    atomic_write_text("{}", tmp_path / "meta.json")
    synced, renamed = events[0], events[1]
    assert synced[0] == "fsync" and renamed == ("replace", synced[1])  # the temporary, first
    assert events[2] == ("fsync", str(tmp_path))  # then the folder's new entry
    assert (tmp_path / "meta.json").read_text() == "{}"
    # the FAISS index shards too
    events.clear()
    index = build_index(8, IndexConfig(kind="flat"))
    add_vectors(index, torch.randn(20, 8).numpy())
    paths = save_index(index, tmp_path / "index", "facts")
    assert [kind for kind, _ in events] == ["fsync", "replace", "fsync"]
    assert events[0][1] == events[1][1] and events[2] == ("fsync", str(tmp_path / "index"))
    assert all(p.is_file() for p in paths)


def test_a_tree_is_synced_files_first_without_following_links(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kg.atomic import sync_tree

    outside = tmp_path / "outside.txt"
    outside.write_text("not ours")
    tree = tmp_path / "tree"
    (tree / "sub").mkdir(parents=True)
    (tree / "a.txt").write_text("a")
    (tree / "sub" / "b.txt").write_text("b")
    (tree / "link.txt").symlink_to(outside)
    events: list[tuple[str, str]] = []
    _record_fsyncs(monkeypatch, events)
    sync_tree(tree)
    synced = [path for kind, path in events if kind == "fsync"]
    expected = {str(p) for p in (tree, tree / "sub", tree / "a.txt", tree / "sub" / "b.txt")}
    assert set(synced) == expected and len(synced) == len(expected)
    # every file and folder before the folder that names it; the link's target not at all
    for path in synced:
        if Path(path) != tree:
            assert synced.index(path) < synced.index(str(Path(path).parent)), path
    assert synced[-1] == str(tree)


def test_a_kg_build_reaches_the_disk_before_it_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fixtures_dir: Path
) -> None:
    """Every file of a new build is synced before the build folder is renamed into place
    and the ``current`` link swapped, and the folders holding the new names after."""
    from kg.store import build_kg

    events: list[tuple[str, str]] = []
    _record_fsyncs(monkeypatch, events)
    dest = tmp_path / "legal"
    build_kg([fixtures_dir / "legal" / "legal.ttl"], dest, progress=False)
    final = (dest / "current").resolve()
    renamed = next(
        i for i, (kind, src) in enumerate(events) if kind == "replace" and ".tmp-" in src
    )
    tmp = events[renamed][1]
    synced_before = {path for kind, path in events[:renamed] if kind == "fsync"}
    files = [p for p in final.rglob("*") if p.is_file() and not p.is_symlink()]
    assert len(files) > 3
    for path in files:  # each file, under the name it had before the rename
        assert str(path).replace(str(final), tmp, 1) in synced_before, path
    assert tmp in synced_before
    synced_after = [path for kind, path in events[renamed:] if kind == "fsync"]
    assert str(dest / "builds") in synced_after and str(dest) in synced_after


def test_a_saved_model_folder_reaches_the_disk_before_its_items_move_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from types import SimpleNamespace

    from train import loop

    out = tmp_path / "model"
    model = SimpleNamespace(
        save_pretrained=lambda folder: (Path(folder) / "model.safetensors").write_bytes(b"w"),
        config=SimpleNamespace(uses_facts=False),
    )
    events: list[tuple[str, str]] = []
    _record_fsyncs(monkeypatch, events)
    loop.save_model_folder(out, model, None, meta={"k": 1}, config_yaml="a: 1\n")
    export = out / ".export"
    first_move = next(  # the first item moved into the model folder
        i
        for i, (kind, src) in enumerate(events)
        if kind == "replace" and Path(src).parent == export and not Path(src).name.startswith(".")
    )
    synced_before = {path for kind, path in events[:first_move] if kind == "fsync"}
    for name in ("model.safetensors", "config.yaml"):
        assert str(export / name) in synced_before
    assert events[-1] == ("fsync", str(out))
