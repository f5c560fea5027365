"""The completed profiles kept on disk: read back bit for bit for the same inputs only;
a damaged file or an unwritable folder costs a computation, never the run."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

import kg.rules.likelihood as likelihood_module
from kg.rules.completion_cache import cached_completion, completion_key, completion_path
from kg.rules.likelihood import Neighbours, impute_from_neighbours, nearest_diseases


def _inputs(seed: int = 0) -> tuple[sp.csc_matrix, Neighbours]:
    rng = np.random.default_rng(seed)
    dense = rng.random((30, 40)) * (rng.random((30, 40)) < 0.2)
    profile = sp.csc_matrix(dense)
    background = np.maximum(dense.mean(axis=0), 0.5 / 30)
    return profile, nearest_diseases(profile, background, 5)


def _same(a: sp.spmatrix, b: sp.spmatrix) -> bool:
    a, b = sp.csc_matrix(a), sp.csc_matrix(b)
    return all(np.array_equal(getattr(a, k), getattr(b, k)) for k in ("data", "indices", "indptr"))


def _no_computing(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("computed although kept")

    monkeypatch.setattr(likelihood_module, "impute_from_neighbours", refuse)


def test_kept_completion_is_read_back_bit_for_bit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    profile, neighbours = _inputs()
    computed = impute_from_neighbours(profile, neighbours, 0.2)
    first = cached_completion(profile, neighbours, 0.2, tmp_path)
    assert _same(first, computed)
    path = completion_path(tmp_path, completion_key(profile, neighbours, 0.2))
    assert path.is_file() and [p.name for p in tmp_path.iterdir()] == [path.name]
    _no_computing(monkeypatch)
    again = cached_completion(profile, neighbours, 0.2, tmp_path)
    assert _same(again, computed) and again.shape == computed.shape


def test_other_inputs_have_other_files() -> None:
    profile, neighbours = _inputs()
    key = completion_key(profile, neighbours, 0.2)
    assert completion_key(profile, neighbours, 0.3) != key
    other_profile, other_neighbours = _inputs(seed=1)
    assert completion_key(other_profile, neighbours, 0.2) != key
    moved = Neighbours(neighbours.index, neighbours.similarity * 0.5)
    assert completion_key(profile, moved, 0.2) != key
    assert completion_key(sp.csr_matrix(profile), neighbours, 0.2) == key  # the same matrix


def test_a_damaged_or_foreign_file_is_computed_again(tmp_path: Path) -> None:
    profile, neighbours = _inputs()
    computed = impute_from_neighbours(profile, neighbours, 0.2)
    cached_completion(profile, neighbours, 0.2, tmp_path)
    path = completion_path(tmp_path, completion_key(profile, neighbours, 0.2))
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) // 2])  # cut short
    assert _same(cached_completion(profile, neighbours, 0.2, tmp_path), computed)
    assert path.read_bytes() == whole  # written again, whole
    # a file of other inputs put under this name is not read as this one's
    other_profile, other_neighbours = _inputs(seed=1)
    cached_completion(other_profile, other_neighbours, 0.2, tmp_path)
    foreign = completion_path(tmp_path, completion_key(other_profile, other_neighbours, 0.2))
    foreign.replace(path)
    assert _same(cached_completion(profile, neighbours, 0.2, tmp_path), computed)


def test_an_unwritable_folder_only_costs_the_computation(tmp_path: Path) -> None:
    profile, neighbours = _inputs()
    blocked = tmp_path / "file"
    blocked.write_text("not a folder", encoding="utf-8")
    got = cached_completion(profile, neighbours, 0.2, blocked / "cache")
    assert _same(got, impute_from_neighbours(profile, neighbours, 0.2))


def test_a_kept_file_holds_no_pickle(tmp_path: Path) -> None:
    profile, neighbours = _inputs()
    cached_completion(profile, neighbours, 0.2, tmp_path)
    path = completion_path(tmp_path, completion_key(profile, neighbours, 0.2))
    with np.load(path, allow_pickle=False) as kept:  # every array reads without pickle
        assert {k: kept[k].dtype.kind for k in kept.files} == {
            "key": "U",
            "data": "f",
            "indices": "i",
            "indptr": "i",
            "shape": "i",
        }
