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
