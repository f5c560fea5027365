"""The diseases' profiles completed from their nearest diseases, kept on disk.

Completing every profile (:func:`kg.rules.likelihood.impute_from_neighbours`: 8,359 diseases
x 19,484 terms on HPO, ~9M entries) takes 1-2 s of each process that loads a diagnosis model;
reading the result back takes ~0.1 s. The file is named by a hash of everything the result
is computed from (the profiles, the neighbours, the weight, and :data:`COMPLETION_VERSION` of
this code), so it can only be found by the inputs that made it; it holds that hash too. It is
a NumPy ``.npz`` of plain arrays (read with ``allow_pickle=False``), written whole, checked as
it is read; a file that is damaged, of other inputs, or that cannot be written is computed
again (and logged), never fatal.
"""

from __future__ import annotations

import hashlib
import logging
import os
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from kg.atomic import written_whole

if TYPE_CHECKING:
    from kg.rules.likelihood import Neighbours

logger = logging.getLogger(__name__)

#: Bumped whenever the completion computes something else from the same inputs.
COMPLETION_VERSION = 1

_ARRAYS = ("data", "indices", "indptr", "shape")


def completion_key(profile: sp.spmatrix, neighbours: Neighbours, weight: float) -> str:
    """SHA-256 of the completion's inputs (the profiles in CSC form, the neighbours, the
    weight) and :data:`COMPLETION_VERSION`."""
    csc = sp.csc_matrix(profile, dtype=np.float64)
    if not csc.has_sorted_indices:  # a sorted copy: the caller's matrix is left as it is
        csc = csc.sorted_indices()
    digest = hashlib.sha256(f"kgfuse-completion/{COMPLETION_VERSION}/{weight!r}".encode())
    for array in (
        np.asarray(csc.shape, dtype=np.int64),
        csc.indptr.astype(np.int64),
        csc.indices.astype(np.int64),
        csc.data,
        np.asarray(neighbours.index, dtype=np.int64),
        np.asarray(neighbours.similarity, dtype=np.float64),
    ):
        digest.update(np.asarray(array.shape, dtype=np.int64).tobytes())
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def completion_path(folder: Path, key: str) -> Path:
    """Where the completion of ``key`` is kept in ``folder``."""
    return Path(folder) / f"prior-completion-{key[:32]}.npz"


def read_completion(path: Path, key: str, shape: tuple[int, int]) -> sp.csc_matrix:
    """The completed profiles kept at ``path``.

    Raises:
        OSError: the file cannot be read.
        ValueError: it is damaged, not such a file, or of other inputs than ``key``.
    """
    try:
        with np.load(path, allow_pickle=False) as kept:
            if str(kept["key"]) != key:
                raise ValueError("computed from other inputs")
            data, indices, indptr, stored = (kept[name] for name in _ARRAYS)
    except (KeyError, EOFError, zipfile.BadZipFile) as exc:
        raise ValueError(f"not a completion file ({type(exc).__name__}: {exc})") from None
    if tuple(int(n) for n in stored) != tuple(shape):
        raise ValueError(f"of shape {tuple(stored)}, not {shape}")
    if data.dtype != np.float64 or not np.all(np.isfinite(data)):
        raise ValueError("its values are not finite float64 numbers")
    matrix = sp.csc_matrix((data, indices, indptr), shape=shape)
    matrix.check_format(full_check=True)  # indices in range, pointers in order
    return matrix


def write_completion(path: Path, key: str, matrix: sp.csc_matrix) -> None:
    """Keep ``matrix`` at ``path`` (written whole: a temporary file, then renamed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with written_whole(path) as (fd, _tmp), os.fdopen(fd, "wb") as fh:
        np.savez(
            fh,
            key=np.array(key),
            data=matrix.data,
            indices=matrix.indices,
            indptr=matrix.indptr,
            shape=np.asarray(matrix.shape, dtype=np.int64),
        )


def cached_completion(
    profile: sp.spmatrix, neighbours: Neighbours, weight: float, folder: Path
) -> sp.csc_matrix:
    """:func:`kg.rules.likelihood.impute_from_neighbours`, read from ``folder`` when it was
    kept there for the same inputs, else computed and kept there (a folder that cannot be
    written is only logged)."""
    from kg.rules.likelihood import impute_from_neighbours

    key = completion_key(profile, neighbours, weight)
    path = completion_path(folder, key)
    if path.is_file():
        try:
            return read_completion(path, key, profile.shape)
        except (OSError, ValueError) as exc:
            logger.warning("completed profiles %s not used (%s): computed again", path, exc)
    completed = impute_from_neighbours(profile, neighbours, weight)
    try:
        write_completion(path, key, completed)
    except OSError as exc:
        logger.info("completed profiles not kept in %s (%s)", folder, exc)
    return completed
