"""kgfuse's version and the hash of its own code and package data, for what resumes work
done earlier.

An evaluation's journal, ``--resume`` of a batch command and a benchmark report's kept
sections reuse results computed by an earlier run. Keyed by kgfuse's version alone they
would mix results of two codes in an editable install (a developer's checkout), where the
version stays while the code changes. This hash changes with any file of the packages.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Sequence
from importlib.util import find_spec
from pathlib import Path

__all__ = ["PACKAGES", "kgfuse_version", "packages_sha256", "source_sha256"]

#: The top-level packages of the project, in their layer order.
PACKAGES = ("kg", "encoders", "fusion", "eval", "train", "kgfuse")


@functools.cache
def source_sha256() -> str:
    """The sha256 of every file of :data:`PACKAGES` (:func:`packages_sha256`), computed
    once per process (~10 ms)."""
    return packages_sha256(PACKAGES)


def packages_sha256(packages: Sequence[str]) -> str:
    """The sha256 of every file of ``packages`` (paths and bytes; compiled caches left out).
    A package not found counts by its name."""
    digest = hashlib.sha256()
    for package in packages:
        spec = find_spec(package)
        roots = list(spec.submodule_search_locations or []) if spec is not None else []
        if not roots:
            digest.update(f"{package}: not found\n".encode())
        for root in map(Path, roots):
            for file in sorted(root.rglob("*")):
                if "__pycache__" in file.parts or file.suffix == ".pyc" or not file.is_file():
                    continue
                name = file.relative_to(root.parent).as_posix()
                content = hashlib.sha256(file.read_bytes()).hexdigest()
                digest.update(f"{name}\0{content}\n".encode())
    return digest.hexdigest()


def kgfuse_version() -> str:
    """The installed kgfuse's version ("unknown" when run from a tree not installed)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("kgfuse")
    except PackageNotFoundError:
        return "unknown"
