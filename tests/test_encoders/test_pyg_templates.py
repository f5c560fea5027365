"""The graph encoders leave none of PyG's rendered ``propagate`` files in the temp folder."""

from __future__ import annotations

import os
import subprocess
import sys
import types
from pathlib import Path

import pytest

from encoders.compgcn import CompGCNConv
from encoders.pyg_templates import drop_generated_source, generated_module_names

_BUILD_BOTH = """
import inspect, torch
from encoders.compgcn import CompGCNConv
from encoders.rgcn import WeightedRGCNConv
conv = CompGCNConv(4, 4, 2)
CompGCNConv(4, 4, 2)
rgcn = WeightedRGCNConv(4, 4, 2)
x = torch.randn(3, 4)
edges = torch.tensor([[0, 1], [1, 2]])
print(tuple(rgcn(x, edges, torch.tensor([0, 1])).shape))
print("def propagate" in inspect.getsource(type(conv).propagate))
"""


def test_a_process_building_both_encoders_leaves_no_file_in_the_temp_folder(
    tmp_path: Path,
) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {**os.environ, "TMPDIR": str(temp)}
    done = subprocess.run(
        [sys.executable, "-c", _BUILD_BOTH],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["(3,", "4)", "True"]
    left = sorted(p.name for p in temp.iterdir() if p.suffix == ".py")
    assert left == []


def test_a_module_file_outside_the_temp_folder_is_left_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    conv = CompGCNConv(2, 2, 1)
    name = generated_module_names(conv)[0]
    elsewhere = tmp_path / f"{name}_abcdefgh.py"
    elsewhere.write_text("x = 1\n")
    fake = types.ModuleType(name)
    fake.__file__ = str(elsewhere)
    monkeypatch.setitem(sys.modules, name, fake)
    monkeypatch.setenv("TMPDIR", str(tmp_path / "other"))
    (tmp_path / "other").mkdir()
    monkeypatch.setattr("tempfile.tempdir", None)
    assert drop_generated_source(conv) == []
    assert elsewhere.exists()


def test_only_a_file_named_by_pyg_is_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    conv = CompGCNConv(2, 2, 1)
    name = generated_module_names(conv)[0]
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    foreign = tmp_path / "notes.py"
    foreign.write_text("x = 1\n")
    fake = types.ModuleType(name)
    fake.__file__ = str(foreign)
    monkeypatch.setitem(sys.modules, name, fake)
    assert drop_generated_source(conv) == []
    assert foreign.exists()

    rendered = tmp_path / f"{name}_k2j4h5g6.py"
    rendered.write_text("def propagate(self):\n    return 1\n")
    fake.__file__ = str(rendered)
    assert drop_generated_source(conv) == [rendered]
    assert not rendered.exists()
