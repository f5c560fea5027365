"""What mutation testing of kg/atomic.py showed unchecked: the output folder made and
checked before a run (nested, existing, a file, unwritable), the nearest existing ancestor,
bytes written whole, a failed write that leaves the previous file and no temporary, the
folder modes under a private umask, and a temporary name drawn again when taken."""

from __future__ import annotations

import os
import stat
import uuid
from pathlib import Path

import pytest

import kg.atomic
from kg.atomic import (
    existing_ancestor,
    give_new_file_modes,
    output_folder,
    temp_file_beside,
    write_atomic,
    written_whole,
)


def test_the_output_folder_is_made_with_its_parents_and_may_exist(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "a" / "b" / "c"
    assert output_folder(out) == out and out.is_dir()
    assert output_folder(out) == out  # already there: fine
    assert list(out.iterdir()) == []  # the probe of its mode is gone
    monkeypatch.setenv("HOME", str(tmp_path))
    assert output_folder(Path("~/home-out")) == tmp_path / "home-out"
    assert (tmp_path / "home-out").is_dir()


def test_an_output_folder_that_is_a_file_or_inside_one_is_named(tmp_path: Path) -> None:
    afile = tmp_path / "results.json"
    afile.write_text("{}")
    for out in (afile, afile / "sub"):
        with pytest.raises(NotADirectoryError) as err:
            output_folder(out)
        assert str(err.value) == f"the output folder {out} is a file, or inside one: give a folder"
    assert afile.read_text() == "{}"


def test_an_output_folder_that_cannot_be_written_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused(folder: Path) -> int:
        raise PermissionError(13, "Permission denied", str(folder))

    monkeypatch.setattr(kg.atomic, "new_file_mode", refused)  # root may write anywhere
    out = tmp_path / "ro"
    with pytest.raises(PermissionError) as err:
        output_folder(out)
    assert str(err.value) == f"cannot write to the output folder {out}"


def test_the_nearest_existing_ancestor(tmp_path: Path) -> None:
    assert existing_ancestor(tmp_path / "x" / "y") == tmp_path
    assert existing_ancestor(tmp_path) == tmp_path


def test_bytes_and_text_are_written_whole(tmp_path: Path) -> None:
    path = tmp_path / "f.bin"
    write_atomic(path, b"\x00\xff")
    assert path.read_bytes() == b"\x00\xff"
    write_atomic(path, "café")
    assert path.read_bytes() == "café".encode()


def test_a_failed_write_keeps_the_previous_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    path.write_text("old")
    with pytest.raises(RuntimeError), written_whole(path) as (fd, _):
        os.write(fd, b"half of the new")
        os.close(fd)
        raise RuntimeError("killed")
    with pytest.raises(TypeError):
        write_atomic(path, 42)  # type: ignore[arg-type]
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["model.json"]


def test_folders_stay_private_under_a_private_umask(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "w.bin").write_bytes(b"w")
    old = os.umask(0o077)
    try:
        give_new_file_modes(tmp_path)
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "sub").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "sub" / "w.bin").stat().st_mode) == 0o600


def test_a_temporary_name_already_taken_is_drawn_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    draws = iter([uuid.UUID(hex="a" * 32), uuid.UUID(hex="a" * 32), uuid.UUID(hex="b" * 32)])
    monkeypatch.setattr(uuid, "uuid4", lambda: next(draws))
    first_fd, first = temp_file_beside(tmp_path / "x")
    second_fd, second = temp_file_beside(tmp_path / "x")  # the same draw first: drawn again
    for fd in (first_fd, second_fd):
        os.close(fd)
    assert Path(first).name == f".x.{'a' * 12}.tmp" and Path(second).name == f".x.{'b' * 12}.tmp"
