"""The content fingerprint of a model folder, recorded with audited decisions.

A decision's audit record names the model by the sha256 of every file that loading reads,
so that ``kgfuse audit verify`` can say which file changed (weights, calibration,
tokenizer, fact index, the prior's neighbours ...), and by the hash of its training
configuration (:func:`model_fingerprint_of`), which older records hold alone.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["BackgroundFingerprint", "model_files_fingerprint", "model_fingerprint_of"]

#: Folders of a model folder that loading does not read (training logs, exports).
_UNREAD_DIRS = frozenset({"tensorboard", ".export"})
#: Files of a model folder that loading does not read (the run's record, the training lock).
_UNREAD_FILES = frozenset({"training.json", ".lock"})
_HASH_CHUNK = 1 << 20
#: Fingerprints hashed in this process, by folder: (the files' sizes, times and inodes, the
#: fingerprint); a folder whose files did not change is not hashed again.
_hashed: dict[str, tuple[tuple[Any, ...], dict[str, Any]]] = {}
_hashed_lock = threading.Lock()


class _HashingStopped(Exception):
    """The service stopped loading: the fingerprint is no longer wanted."""


def _loaded_file(name: str) -> bool:
    """Whether loading a model reads a file of this name (training checkpoints, the run's
    record, the lock and unfinished writes it does not)."""
    if name in _UNREAD_FILES or name.endswith(".partial"):
        return False
    return not (name.startswith("checkpoint") and name.endswith(".safetensors"))


#: A version folder of a fact index (``fusion.retrieval``: ``facts/v-000001``), which its
#: ``current`` link names.
_INDEX_VERSION = re.compile(r"v-(\d{6,})")
_CURRENT_LINK = "current"


def _only_version_link(root: Path, name: str) -> bool:
    """Whether ``root/name`` is a fact index's ``current`` link as a save leaves it: a
    relative link to the one version folder beside it, a real folder. Its files are then
    hashed under that folder's own name (as before links were followed), and the link adds
    nothing: it cannot name another version."""
    link = root / name
    if name != _CURRENT_LINK or not link.is_symlink():
        return False
    target = os.readlink(link)
    if not _INDEX_VERSION.fullmatch(target) or (root / target).is_symlink():
        return False
    versions = [e for e in os.listdir(root) if _INDEX_VERSION.fullmatch(e)]
    return versions == [target] and (root / target).is_dir()


def _model_file_list(folder: Path) -> list[tuple[str, Path, os.stat_result]]:
    """(path relative to the folder, path, stat) of each regular file loading reads, sorted.

    Links are followed: a linked folder's files (a fact index's ``current`` version, or a
    ``facts`` folder linked from elsewhere) are hashed under the link's path, so re-pointing
    a link changes the fingerprint; a ``current`` link to the only version folder is not
    followed, its files being hashed under the version's name already.
    """
    found = []
    seen: set[str] = set()
    for root, dirs, files in os.walk(folder, followlinks=True):
        real = os.path.realpath(root)
        if real in seen:  # a link back to a folder walked already
            dirs[:] = []
            continue
        seen.add(real)
        here = Path(root)
        dirs[:] = sorted(
            d for d in dirs if d not in _UNREAD_DIRS and not _only_version_link(here, d)
        )
        for name in files:
            path = here / name
            if _loaded_file(name) and path.is_file():
                found.append((path.relative_to(folder).as_posix(), path, path.stat()))
    return sorted(found, key=lambda f: f[0])


def _sha256_file(path: Path, stop: threading.Event | None) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_HASH_CHUNK):
            if stop is not None and stop.is_set():
                raise _HashingStopped
            digest.update(chunk)
    return digest.hexdigest()


def model_files_fingerprint(folder: Path, stop: threading.Event | None = None) -> dict[str, Any]:
    """The content fingerprint of a model folder: ``{"sha256": combined, "files": {relative
    path: sha256}}`` over every regular file that loading reads (weights, ``config.json``
    with the calibration temperature, ``kgfuse_model.json``, the tokenizer, the fact index
    ...), leaving out ``checkpoint*.safetensors``, ``training.json``, ``.lock``,
    ``*.partial``, ``tensorboard/`` and ``.export/``. Linked folders are followed (the fact
    index's ``current`` version, see :func:`_model_file_list`). The combined hash is the
    sha256 of the files' hashes as sorted, compact JSON. Files are streamed; a folder hashed
    before in this process whose files kept their sizes, times and inodes is not read again.

    Raises:
        FileNotFoundError: no folder there.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"no model folder at {folder}")
    listing = _model_file_list(folder)
    signature = tuple((rel, st.st_size, st.st_mtime_ns, st.st_ino) for rel, _, st in listing)
    key = str(folder.resolve())
    with _hashed_lock:
        cached = _hashed.get(key)
    if cached is not None and cached[0] == signature:
        return {"sha256": cached[1]["sha256"], "files": dict(cached[1]["files"])}
    files = {rel: _sha256_file(path, stop) for rel, path, _ in listing}
    combined = hashlib.sha256(
        json.dumps(files, sort_keys=True, separators=(",", ":")).encode("utf-8")
    ).hexdigest()
    result = {"sha256": combined, "files": files}
    with _hashed_lock:
        _hashed[key] = (signature, {"sha256": combined, "files": dict(files)})
    return result


class BackgroundFingerprint:
    """:func:`model_files_fingerprint` in a daemon thread, while the model loads (hashing
    releases the GIL); :meth:`result` waits for it, :meth:`stop` abandons it."""

    def __init__(self, folder: Path) -> None:
        self._stop = threading.Event()
        self._result: dict[str, Any] | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._run, args=(folder,), name="kgfuse-model-fingerprint", daemon=True
        )
        self._thread.start()

    def _run(self, folder: Path) -> None:
        try:
            self._result = model_files_fingerprint(folder, self._stop)
        except BaseException as exc:  # re-raised by result()
            self._error = exc

    def stop(self) -> None:
        self._stop.set()

    def result(self) -> dict[str, Any]:
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._result is not None
        return self._result


def model_fingerprint_of(meta: Mapping[str, Any]) -> str:
    """A model's fingerprint from its ``kgfuse_model.json``: the training configuration's
    hash; after ``kgfuse calibrate``, with a hash of the temperature and the cases it was
    fitted on (the probabilities depend on them; the same fit on the same cases gives the
    same fingerprint)."""
    base = str(meta.get("config_hash", ""))
    record = meta.get("recalibration")
    if not record:
        return base
    fit = {k: record.get(k) for k in ("temperature", "cases_sha256")}
    digest = hashlib.sha256(json.dumps(fit, sort_keys=True).encode()).hexdigest()
    return f"{base}+calibration:{digest[:16]}"
