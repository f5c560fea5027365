"""The dictionary linker's index saved beside the KG, so that a process starts in a fraction
of the index's build time.

Building a :class:`encoders.linker.ConceptLinker` over HPO indexes ~400,000 name variants
(3-5 s on one core); reading them back from JSON takes ~0.4 s. The saved index is keyed by a
hash of everything the build reads: the names, the obsolete terms, the ``is_a`` parents, the
linker's settings, :data:`encoders.linker.LINKING_VERSION` and the source of the modules
that derive the variants. A file whose key differs is never read, and one that cannot be
read is rebuilt, so the index is only ever a faster way to the same linker.

The file is JSON (never a pickle), written whole (:func:`kg.atomic.written_whole`); a folder
that cannot be written, or an index nested deeper than Python's recursion limit lets
:mod:`json` write or read, only means the index is built each time.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sys
import unicodedata
from collections.abc import Mapping, Sequence
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kg.atomic import written_whole
from kg.collector import gc_paused

if TYPE_CHECKING:
    from kg.lexicon import Lexicon

__all__ = ["LinkerIndex", "index_key", "load_index", "save_index"]

logger = logging.getLogger(__name__)

#: Format of the saved file; a change makes every saved index a miss.
INDEX_FORMAT = "kgfuse-linker-index/2"
#: Saved indexes kept in one folder (one per key: several settings may share a KG).
KEEP_FILES = 6
#: Modules whose code decides the index's content (their source is part of the key).
_SOURCES = ("normalize.py", "linker.py", "linker_index.py")

#: A saved index is one line of JSON (format, key, sha256 of the rest) and then the index as
#: JSON: ``names`` ([iri, text, kind, synonym_type] per name id),
#: ``trie`` (token -> subtree, "" -> [[name id, variant], ...]), ``acronyms`` (acronym ->
#: [[name id, variant], ...]) and ``vocabulary`` (every token of a key). The digest makes
#: a file damaged on disk a miss; a file written on purpose with a matching digest is
#: trusted like the rest of the KG's folder.
LinkerIndex = dict[str, Any]


def _code_fingerprint() -> str:
    digest = hashlib.sha256()
    here = Path(__file__).parent
    for name in _SOURCES:
        try:
            digest.update((here / name).read_bytes())
        except OSError:  # pragma: no cover - installed without sources
            digest.update(name.encode())
    return digest.hexdigest()


def index_key(
    lexicon: Lexicon,
    settings: Mapping[str, Any],
    parents: Mapping[str, Sequence[str]] | None,
    version: int,
) -> str:
    """A hash of everything the index is built from (hex, 64 characters): ``settings`` are
    the linker settings the build reads (name kinds, roots, depth, shortest name)."""
    digest = hashlib.sha256()
    head = [
        INDEX_FORMAT,
        version,
        _code_fingerprint(),
        # case folding and accents follow the Unicode tables of the running Python
        unicodedata.unidata_version,
        list(sys.version_info[:2]),
        dict(settings),
        sorted(lexicon.obsolete),
        parents is not None,
    ]
    # json.dumps escapes every non-ASCII character (lone surrogates too) and quotes each
    # field, so no two different inputs write the same text
    digest.update(json.dumps(head, sort_keys=True, default=str).encode())
    names = [(e.iri, e.text, e.kind, e.synonym_type) for e in lexicon]
    digest.update(json.dumps(names).encode())
    parent_map = parents or {}
    digest.update(json.dumps([(iri, list(parent_map[iri])) for iri in sorted(parent_map)]).encode())
    return digest.hexdigest()


def _path(folder: Path, key: str) -> Path:
    return folder / f"linker-{key[:24]}.json"


def load_index(folder: Path, key: str) -> LinkerIndex | None:
    """The index saved under ``key`` in ``folder``, or None (no file, another key, or a file
    that cannot be read or whose content is not what was written: logged, and then rebuilt
    by the caller)."""
    path = _path(folder, key)
    if not path.is_file():
        return None
    try:
        head, _, payload = path.read_bytes().partition(b"\n")
        header = json.loads(head)
        if not isinstance(header, dict) or header.get("format") != INDEX_FORMAT:
            raise ValueError("not a linker index of this version")
        if header.get("key") != key:
            raise ValueError("saved for other names or settings")
        if header.get("sha256") != hashlib.sha256(payload).hexdigest():
            raise ValueError("its content is not what was written (damaged or cut short)")
        with gc_paused():
            data = json.loads(payload)
        if not isinstance(data, dict):
            raise ValueError("not a linker index")
        for field, kind in (("names", list), ("trie", dict), ("acronyms", dict)):
            if not isinstance(data.get(field), kind):
                raise ValueError(f"no {field!r}")
        if not isinstance(data.get("vocabulary"), list):
            raise ValueError("no 'vocabulary'")
    except (OSError, ValueError) as exc:  # json.JSONDecodeError is a ValueError
        logger.warning("linker index %s not used (%s); building it again", path, exc)
        return None
    except RecursionError:
        logger.warning(
            "linker index %s not used (nested deeper than Python reads); building it again", path
        )
        return None
    return data


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:  # removed by another process meanwhile
        return 0.0


def save_index(folder: Path, key: str, index: LinkerIndex) -> Path | None:
    """Write ``index`` under ``key`` in ``folder`` (whole or not at all) and keep only the
    :data:`KEEP_FILES` newest indexes there. None when the folder cannot be written."""
    path = _path(folder, key)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        payload = json.dumps(index, ensure_ascii=False, separators=(",", ":")).encode()
        digest = hashlib.sha256(payload).hexdigest()
        header = json.dumps({"format": INDEX_FORMAT, "key": key, "sha256": digest})
        with written_whole(path) as (fd, _tmp), os.fdopen(fd, "wb") as fh:
            fh.write(header.encode() + b"\n" + payload)
    except (OSError, ValueError) as exc:  # ValueError: a lone surrogate in a name
        logger.info("linker index not saved in %s (%s): it is built each time", folder, exc)
        return None
    except RecursionError:  # a trie deeper than Python's recursion limit: a name that long
        logger.warning(
            "linker index not saved in %s (its token trie is nested deeper than Python's "
            "recursion limit allows to write): it is built each time",
            folder,
        )
        return None
    others = sorted(
        (p for p in folder.glob("linker-*.json") if p != path), key=_mtime, reverse=True
    )
    for old in others[KEEP_FILES - 1 :]:
        with suppress(OSError):  # removed by another process meanwhile
            old.unlink()
    return path
