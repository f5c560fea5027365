"""FAISS index kinds for fact retrieval: exact flat, HNSW, IVF and IVF-PQ, on CPU or GPU.

Every index here scores by inner product (fact vectors are L2-normalised, so this is the
cosine) and numbers its vectors ``0 .. ntotal - 1`` in the order they were added, so a
fact's id is its row; adding vectors never renumbers the old ones.

============  ==============================================  ==============================
kind          index                                           search-time knob
============  ==============================================  ==============================
``flat``      ``IndexFlatIP`` (exact; the default)            none
``hnsw``      ``IndexHNSWFlat`` (Malkov & Yashunin, 2018)     ``efSearch`` (``hnsw_ef_search``)
``ivf``       ``IndexIVFFlat`` on a flat coarse quantizer     ``nprobe`` (``ivf_nprobe``)
``ivfpq``     ``IndexIVFPQ`` (Jégou et al., 2011) on an       ``nprobe``
              HNSW coarse quantizer (fast assignment at
              millions of vectors), optionally re-ranked
              from 8-bit scalar-quantized or full vectors
              (``IndexRefine``, ``pq_refine``)
============  ==============================================  ==============================

**Shards.** ``shards=N`` splits the vectors into N sub-indexes of the configured kind, held
in a ``faiss.IndexShards`` with successive ids. Shard ``s`` holds a contiguous range of rows,
so ids stay rows: :func:`add_vectors` fills the shards in order (vectors added after the
build go to the last one). IVF and PQ shards share one coarse quantizer and codebook, trained
once on the sample and copied. faiss cannot serialise ``IndexShards``: :func:`save_index`
writes each shard to its own file and :func:`load_index` joins them back.
:func:`search_index` searches the shards one after the other (a faiss ``IDSelector`` sees
each shard's own ids, so a filter is sliced shard by shard) and merges the hits itself, best
score first and ties by lower id, as one index orders them (faiss' own merge of
``IndexShards`` prefers the higher ids among equal scores). Each shard's search takes
OpenMP's process-wide thread count (``OMP_NUM_THREADS``, else every core).

faiss is imported on first use (:func:`import_faiss`); a GPU copy of an index is made with
:func:`to_gpu` when ``faiss.get_num_gpus() > 0`` (HNSW has no GPU version and stays on CPU).
"""

from __future__ import annotations

import logging
import math
import os
import uuid
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from kg.atomic import sync_to_disk

logger = logging.getLogger(__name__)

__all__ = [
    "INDEX_KINDS",
    "FaissNotInstalledError",
    "IndexConfig",
    "add_vectors",
    "build_index",
    "enable_reconstruct",
    "gpu_available",
    "import_faiss",
    "index_files",
    "index_nbytes",
    "index_shards",
    "is_sharded",
    "load_index",
    "reconstruct_rows",
    "save_index",
    "search_index",
    "search_parameters",
    "search_shards",
    "shard_offsets",
    "to_gpu",
]

INDEX_KINDS: tuple[str, ...] = ("flat", "hnsw", "ivf", "ivfpq")
REFINE_KINDS: tuple[str | None, ...] = (None, "sq8", "flat")
#: Largest ``k`` the GPU indexes accept.
GPU_MAX_K = 2048


class FaissNotInstalledError(ImportError):
    """faiss is missing; the message says which package to install."""


def import_faiss() -> ModuleType:
    """Import faiss, or fail with an actionable message.

    Raises:
        FaissNotInstalledError: neither ``faiss-cpu`` nor ``faiss-gpu`` is installed.
    """
    try:
        import faiss
    except ImportError as err:
        raise FaissNotInstalledError(
            "fact retrieval needs faiss: pip install faiss-cpu (or faiss-gpu on a CUDA "
            "machine, e.g. pip install 'kgfuse[gpu]')"
        ) from err
    return faiss


def gpu_available() -> bool:
    """Whether faiss was built with GPU support and sees at least one GPU."""
    faiss = import_faiss()
    return hasattr(faiss, "StandardGpuResources") and faiss.get_num_gpus() > 0


@dataclass(frozen=True)
class IndexConfig:
    """Kind and parameters of a fact index.

    Attributes:
        kind: ``flat``, ``hnsw``, ``ivf`` or ``ivfpq``. (default: ``"flat"``)
        hnsw_m: HNSW neighbours per node. (default: ``32``)
        hnsw_ef_construction: HNSW beam width while adding. (default: ``40``)
        hnsw_ef_search: HNSW beam width while searching (raised to ``k`` when smaller);
            512 reaches recall@32 >= 0.95 on the HPO facts (``kgfuse bench retrieval``).
            (default: ``512``)
        ivf_nlist: IVF lists; None for :math:`4\\sqrt{n}` at build time, at most
            :math:`n / 39` so each centroid has enough training points. (default: ``None``)
        ivf_nprobe: IVF lists visited per query; 128 of about 2.5k lists reaches recall@32
            >= 0.95 on the HPO facts. (default: ``128``)
        pq_m: IVF-PQ sub-quantizers (must divide the dimension). (default: ``16``)
        pq_bits: bits per sub-quantizer code. (default: ``8``)
        pq_refine: re-rank IVF-PQ candidates with ``"sq8"`` (8-bit scalar-quantized
            vectors, 1 byte per dimension) or ``"flat"`` (full vectors); None for none.
            (default: ``None``)
        refine_k_factor: IVF-PQ candidates per result re-ranked. (default: ``4``)
        train_size: most vectors used to train IVF / PQ. (default: ``100_000``)
        use_gpu: search on a GPU copy: None when a GPU is present, True to require one,
            False never. (default: ``None``)
        seed: seed of the training sample. (default: ``0``)
        shards: sub-indexes of ``kind`` the vectors are split into, searched together
            (``faiss.IndexShards``, successive ids, one thread per shard). (default: ``1``)
    """

    kind: str = "flat"
    hnsw_m: int = 32
    hnsw_ef_construction: int = 40
    hnsw_ef_search: int = 512
    ivf_nlist: int | None = None
    ivf_nprobe: int = 128
    pq_m: int = 16
    pq_bits: int = 8
    pq_refine: str | None = None
    refine_k_factor: int = 4
    train_size: int = 100_000
    use_gpu: bool | None = None
    seed: int = 0
    shards: int = 1

    def __post_init__(self) -> None:
        if self.kind not in INDEX_KINDS:
            raise ValueError(f"unknown index kind {self.kind!r}; choose one of {INDEX_KINDS}")
        if isinstance(self.shards, bool) or not isinstance(self.shards, int):
            raise ValueError(f"shards must be an integer, not {self.shards!r}")
        positive = (
            "hnsw_m",
            "hnsw_ef_construction",
            "hnsw_ef_search",
            "ivf_nprobe",
            "pq_m",
            "refine_k_factor",
            "shards",
        )
        for name in positive:
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be positive")
        if self.ivf_nlist is not None and self.ivf_nlist < 1:
            raise ValueError("ivf_nlist must be positive")
        if not 1 <= self.pq_bits <= 16:
            raise ValueError("pq_bits must be in 1..16")
        if self.pq_refine not in REFINE_KINDS:
            raise ValueError(f"unknown pq_refine {self.pq_refine!r}; choose one of {REFINE_KINDS}")
        if self.pq_refine is not None and self.kind != "ivfpq":
            raise ValueError("pq_refine applies to the ivfpq kind only")

    @property
    def needs_training(self) -> bool:
        return self.kind in ("ivf", "ivfpq")

    @property
    def is_exact(self) -> bool:
        return self.kind == "flat"

    @property
    def is_sharded(self) -> bool:
        return self.shards > 1

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> IndexConfig:
        """Inverse of :meth:`to_dict`; unknown keys are an error, not ignored."""
        known = set(cls.__dataclass_fields__)
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown index settings {sorted(unknown)}; known: {sorted(known)}")
        return cls(**data)

    def nlist_for(self, num_vectors: int) -> int:
        """Number of IVF lists for ``num_vectors`` training vectors."""
        wanted = self.ivf_nlist or int(4 * math.sqrt(max(num_vectors, 1)))
        return max(1, min(wanted, num_vectors // 39 if num_vectors >= 39 else 1))


def build_index(dim: int, config: IndexConfig, train_vectors: np.ndarray | None = None) -> Any:
    """An empty CPU index of ``config.kind``, trained when the kind needs it.

    Args:
        dim: vector dimension.
        config: kind and parameters.
        train_vectors: ``(n, dim)`` float32 sample to train IVF / PQ on (ignored otherwise).

    Returns:
        A ``faiss.Index`` with ``ntotal == 0`` whose vectors can be reconstructed by id
        (:func:`reconstruct_rows`); with ``config.shards > 1`` a ``faiss.IndexShards`` of
        that many empty sub-indexes, trained alike. Fill it with :func:`add_vectors`.

    Raises:
        ValueError: IVF / PQ without training vectors, or ``pq_m`` not dividing ``dim``.
    """
    faiss = import_faiss()
    if config.is_sharded:
        # train once, then copy: every shard has the same centroids and codebooks
        first = build_index(dim, replace(config, shards=1), train_vectors)
        shards = [first]
        for _ in range(config.shards - 1):
            copy = faiss.deserialize_index(faiss.serialize_index(first))
            enable_reconstruct(copy)
            shards.append(copy)
        return _join_shards(dim, shards)
    metric = faiss.METRIC_INNER_PRODUCT
    if config.kind == "flat":
        return faiss.IndexFlatIP(dim)
    if config.kind == "hnsw":
        index = faiss.IndexHNSWFlat(dim, config.hnsw_m, metric)
        index.hnsw.efConstruction = config.hnsw_ef_construction
        index.hnsw.efSearch = config.hnsw_ef_search
        return index
    if train_vectors is None or len(train_vectors) == 0:
        raise ValueError(f"a {config.kind} index needs training vectors")
    train = np.ascontiguousarray(train_vectors, dtype=np.float32)
    nlist = config.nlist_for(len(train))
    if config.kind == "ivf":
        quantizer = faiss.IndexFlatIP(dim)
        index = faiss.IndexIVFFlat(quantizer, dim, nlist, metric)
    else:
        if dim % config.pq_m:
            raise ValueError(f"pq_m={config.pq_m} does not divide the dimension {dim}")
        # a PQ codebook of 2^bits centroids needs at least as many training vectors
        bits = min(config.pq_bits, max(1, int(math.log2(len(train)))))
        if bits < config.pq_bits:
            logger.warning("only %d training vectors: PQ codes of %d bits", len(train), bits)
        quantizer = faiss.IndexHNSWFlat(dim, 32, metric)
        index = faiss.IndexIVFPQ(quantizer, dim, nlist, config.pq_m, bits, metric)
    index.cp.seed = config.seed
    index.nprobe = min(config.ivf_nprobe, nlist)
    if config.pq_refine is not None:
        if config.pq_refine == "sq8":
            fine = faiss.IndexScalarQuantizer(dim, faiss.ScalarQuantizer.QT_8bit, metric)
        else:
            fine = faiss.IndexFlatIP(dim)
        index = faiss.IndexRefine(index, fine)
        index.k_factor = config.refine_k_factor
    index.train(train)
    enable_reconstruct(index)
    logger.info("trained %s index: %d lists on %d vectors", config.kind, nlist, len(train))
    return index


def _join_shards(dim: int, shards: list[Any], *, threaded: bool = True) -> Any:
    """A ``faiss.IndexShards`` over ``shards`` (in id order) with successive ids."""
    faiss = import_faiss()
    joined = faiss.IndexShards(dim, threaded, True)  # successive_ids: shard s starts where s-1 ends
    for shard in shards:
        joined.add_shard(shard)  # the Python wrapper keeps a reference to each shard
    joined.syncWithSubIndexes()
    return joined


def is_sharded(index: Any) -> bool:
    """Whether ``index`` is a ``faiss.IndexShards``."""
    return isinstance(index, import_faiss().IndexShards)


def index_shards(index: Any) -> list[Any]:
    """The sub-indexes of a sharded index in id order; ``[index]`` for any other index."""
    if not is_sharded(index):
        return [index]
    faiss = import_faiss()
    return [faiss.downcast_index(index.at(i)) for i in range(index.count())]


def shard_offsets(index: Any) -> np.ndarray:
    """``[num_shards + 1]`` first ids of each shard, then ``ntotal``: shard ``s`` holds ids
    ``offsets[s] .. offsets[s + 1] - 1``."""
    sizes = [int(shard.ntotal) for shard in index_shards(index)]
    return np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)


def add_vectors(index: Any, vectors: np.ndarray, total: int | None = None) -> None:
    """Append ``vectors`` to ``index``, numbered from ``index.ntotal`` on (ids stay rows).

    A sharded index is filled in shard order, so each shard holds a contiguous range of
    ids: shard ``s`` takes rows up to ``(s + 1) * total // num_shards`` of the ``total``
    vectors planned (shards of equal size), and vectors beyond it, or any when ``total`` is
    None (growth after the build), go to the last shard. A shard never gets vectors once a
    later one has some. (Adding to the ``IndexShards`` itself would split every call evenly
    across the shards and break the numbering.)

    Args:
        index: an index from :func:`build_index` (or its GPU copy from :func:`to_gpu`).
        vectors: ``(n, dim)`` float32 vectors.
        total: vectors the index will hold once filled (sharded indexes only).
    """
    x = np.ascontiguousarray(vectors, dtype=np.float32)
    if not is_sharded(index):
        index.add(x)
        return
    shards = index_shards(index)
    sizes = [int(shard.ntotal) for shard in shards]
    planned = sum(sizes) if total is None else total
    ends = [planned * (s + 1) // len(shards) for s in range(len(shards))]
    start = sum(sizes)
    last_filled = max((s for s, size in enumerate(sizes) if size), default=0)
    done = 0
    for s in range(last_filled, len(shards)):
        room = len(x) - done if s == len(shards) - 1 else max(0, ends[s] - start - done)
        take = min(room, len(x) - done)
        if take:
            shards[s].add(x[done : done + take])
            done += take
    index.syncWithSubIndexes()


def reconstruct_rows(index: Any, ids: np.ndarray) -> np.ndarray:
    """Stored vectors of ids ``ids``, ``(n, dim)`` (each read from its shard when sharded).

    Raises:
        IndexError: an id outside ``0 .. ntotal - 1``.
    """
    ids = np.asarray(ids, dtype=np.int64)
    if len(ids) and (ids.min() < 0 or ids.max() >= index.ntotal):
        raise IndexError(f"ids must be in 0..{index.ntotal - 1}")
    if not is_sharded(index):
        return np.asarray(index.reconstruct_batch(ids), dtype=np.float32)
    out = np.empty((len(ids), index.d), dtype=np.float32)
    offsets = shard_offsets(index)
    which = np.searchsorted(offsets, ids, side="right") - 1
    for s, shard in enumerate(index_shards(index)):
        mask = which == s
        if mask.any():
            out[mask] = shard.reconstruct_batch(ids[mask] - offsets[s])
    return out


def enable_reconstruct(index: Any) -> None:
    """Keep an id -> list map in IVF indexes so vectors can be read back by id."""
    faiss = import_faiss()
    for shard in index_shards(index):
        try:
            ivf = faiss.extract_index_ivf(shard)
        except RuntimeError:  # not an IVF index: reconstruct works as is
            continue
        if ivf.direct_map.type == faiss.DirectMap.NoMap:
            ivf.make_direct_map()


def search_parameters(
    index: Any, config: IndexConfig, k: int, selector: Any | None = None
) -> Any | None:
    """Search-time parameters of ``index`` (efSearch, nprobe, id filter), or None.

    A sharded index passes the parameters on to every shard; its shards are alike, so the
    first one stands for all. The ``selector`` sees the ids of the index searched, which for a
    shard are its own: filter sharded indexes with :func:`search_index`.

    Args:
        index: a CPU index built by :func:`build_index`, or one of its shards.
        config: its configuration.
        k: neighbours wanted (HNSW's beam is widened to at least ``k``).
        selector: a ``faiss.IDSelector`` restricting the ids that may be returned.
    """
    faiss = import_faiss()
    if config.kind == "hnsw":
        params = faiss.SearchParametersHNSW()
        params.efSearch = max(config.hnsw_ef_search, k)
    elif config.kind in ("ivf", "ivfpq"):
        params = faiss.SearchParametersIVF()
        nlist = faiss.extract_index_ivf(index_shards(index)[0]).nlist
        params.nprobe = min(config.ivf_nprobe, nlist)
    elif selector is not None:
        params = faiss.SearchParameters()
    else:
        return None
    if selector is not None:
        params.sel = selector
    if config.kind == "ivfpq" and config.pq_refine is not None:
        # the filter and nprobe apply to the IVF-PQ stage; re-ranking only reorders its hits
        refine = faiss.IndexRefineSearchParameters()
        refine.k_factor = config.refine_k_factor
        refine.base_index_params = params
        refine.base_params_ref = params  # keep the Python object alive with its parent
        return refine
    return params


def _bitmap_selector(allowed: np.ndarray) -> tuple[Any, np.ndarray]:
    """A ``faiss.IDSelectorBitmap`` of mask ``allowed`` and the bitmap it reads (keep both
    alive while searching)."""
    faiss = import_faiss()
    # bit i of byte i // 8 (little bit order) selects id i
    bitmap = np.packbits(np.asarray(allowed, dtype=bool), bitorder="little")
    return faiss.IDSelectorBitmap(len(bitmap), faiss.swig_ptr(bitmap)), bitmap


def search_index(
    index: Any,
    config: IndexConfig,
    queries: np.ndarray,
    k: int,
    allowed: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Scores and ids of the ``k`` best vectors for each query, among the ``allowed`` ids.

    Hits come best score first, equal scores by lower id; missing hits (fewer than ``k``
    allowed, or an approximate search that found fewer) come last, with id ``-1`` and score
    ``-inf``. A sharded index is searched shard by shard (with a filter, each with the slice
    of the filter over its ids) and the hits merged here, so that it returns what one index
    of the same vectors returns (faiss' own merge of ``IndexShards`` keeps the higher ids
    among equal scores, one index the lower).

    Args:
        index: a CPU index built by :func:`build_index`.
        config: its configuration (search-time knobs).
        queries: ``(m, dim)`` float32 queries.
        k: hits per query.
        allowed: ``[ntotal]`` bool mask of the ids that may be returned; None for all.

    Returns:
        ``(m, k)`` float32 scores and ``(m, k)`` int64 ids.
    """
    q = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
    if not is_sharded(index):
        selector = bitmap = None
        if allowed is not None:
            selector, bitmap = _bitmap_selector(allowed)
        params = search_parameters(index, config, k, selector)
        scores, ids = index.search(q, k, params=params)
        del bitmap  # the selector read it until here
        return _merge_hits([scores], [ids], len(q), k)  # equal scores in id order
    offsets = shard_offsets(index)
    parts_scores, parts_ids = [], []
    for s, shard in enumerate(index_shards(index)):
        selector = bitmap = None
        if allowed is not None:
            part = allowed[offsets[s] : offsets[s + 1]]
            if not part.any():
                continue
            selector, bitmap = _bitmap_selector(part)
        params = search_parameters(shard, config, k, selector)
        scores, ids = shard.search(q, k, params=params)
        del bitmap
        parts_scores.append(scores)
        parts_ids.append(np.where(ids >= 0, ids + offsets[s], -1))
    return _merge_hits(parts_scores, parts_ids, len(q), k)


def search_shards(index: Any, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """``index.search(queries, k)`` with the index's own search-time settings (a GPU copy's,
    say), but a sharded index searched shard by shard and its hits merged by
    :func:`search_index`'s rule (ties by lower id) rather than by faiss' merge.

    Returns:
        ``(m, k)`` float32 scores and ``(m, k)`` int64 ids (``-1`` for missing hits).
    """
    q = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
    if not is_sharded(index):
        scores, ids = index.search(q, k)
        return _merge_hits([scores], [ids], len(q), k)
    offsets = shard_offsets(index)
    parts_scores, parts_ids = [], []
    for s, shard in enumerate(index_shards(index)):
        scores, ids = shard.search(q, k)
        parts_scores.append(scores)
        parts_ids.append(np.where(ids >= 0, ids + offsets[s], -1))
    return _merge_hits(parts_scores, parts_ids, len(q), k)


def _merge_hits(
    parts_scores: list[np.ndarray], parts_ids: list[np.ndarray], num_queries: int, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` best of the shards' hits per query: best score first, ties by lower id."""
    scores = np.full((num_queries, k), -np.inf, dtype=np.float32)
    ids = np.full((num_queries, k), -1, dtype=np.int64)
    if not parts_ids:
        return scores, ids
    all_scores = np.concatenate(parts_scores, axis=1)
    all_ids = np.concatenate(parts_ids, axis=1).astype(np.int64)
    all_scores = np.where(all_ids >= 0, all_scores, -np.inf)
    for row in range(num_queries):
        order = np.lexsort((all_ids[row], -all_scores[row]))[:k]
        order = order[all_ids[row, order] >= 0]
        scores[row, : len(order)] = all_scores[row, order]
        ids[row, : len(order)] = all_ids[row, order]
    return scores, ids


def to_gpu(index: Any, config: IndexConfig) -> tuple[Any, Any] | None:
    """A GPU copy of ``index`` and its resources, or None when it stays on CPU.

    HNSW has no faiss GPU version; ``use_gpu=None`` moves the other kinds when a GPU is
    present.

    Raises:
        RuntimeError: ``use_gpu=True`` but no GPU (or no GPU build of faiss) is available.
    """
    if config.use_gpu is False:
        return None
    if not gpu_available():
        if config.use_gpu:
            raise RuntimeError(
                "use_gpu=True but faiss sees no GPU; install faiss-gpu on a CUDA machine "
                "or set use_gpu=None"
            )
        return None
    if config.kind == "hnsw" or config.pq_refine is not None:
        logger.info("%s has no GPU version in faiss; searching on CPU", config.kind)
        return None
    faiss = import_faiss()
    resources = faiss.StandardGpuResources()
    try:
        # shard by shard (the cloner does not take IndexShards); one resources object is not
        # safe across threads, so the GPU shards are searched one after the other
        shards = [faiss.index_cpu_to_gpu(resources, 0, shard) for shard in index_shards(index)]
    except RuntimeError as err:  # e.g. a quantizer or code size the GPU kernels lack
        if config.use_gpu:
            raise
        logger.warning(
            "could not copy the %s index to the GPU (%s); searching on CPU", config.kind, err
        )
        return None
    if config.kind in ("ivf", "ivfpq"):
        nlist = faiss.extract_index_ivf(index_shards(index)[0]).nlist
        for shard in shards:
            shard.nprobe = min(config.ivf_nprobe, nlist)
    gpu_index = _join_shards(index.d, shards, threaded=False) if is_sharded(index) else shards[0]
    logger.info("fact index copied to GPU 0 (%d vectors)", index.ntotal)
    return gpu_index, resources


def index_nbytes(index: Any) -> int:
    """Size of ``index`` serialised (what it takes on disk, close to its memory); the sum over
    the shards of a sharded index."""
    faiss = import_faiss()
    return sum(int(faiss.serialize_index(shard).nbytes) for shard in index_shards(index))


def index_files(stem: str, shards: int) -> list[str]:
    """File names of an index saved by :func:`save_index`: ``<stem>.faiss`` for one shard,
    ``<stem>.shard<i>.faiss`` (``i`` = 000, 001, ...) for each of several."""
    if shards < 1:
        raise ValueError("shards must be positive")
    if shards == 1:
        return [f"{stem}.faiss"]
    return [f"{stem}.shard{i:03d}.faiss" for i in range(shards)]


def save_index(index: Any, folder: str | Path, stem: str = "index") -> list[Path]:
    """Write ``index`` to ``folder`` in faiss' own format, one file per shard.

    Each file is written beside its final name and renamed into place, so a reader never
    sees a partly written shard. (faiss cannot serialise ``IndexShards`` itself.)

    Returns:
        The files written, in shard order.
    """
    faiss = import_faiss()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    shards = index_shards(index)
    paths = [folder / name for name in index_files(stem, len(shards))]
    for shard, path in zip(shards, paths, strict=True):
        tmp = path.with_name(f".{path.name}.tmp-{uuid.uuid4().hex[:8]}")
        try:
            faiss.write_index(shard, str(tmp))
            sync_to_disk(tmp)  # on disk before the rename: a power cut leaves old or new
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    sync_to_disk(folder)
    return paths


def load_index(
    folder: str | Path, shards: int = 1, stem: str = "index", *, mapped: bool = False
) -> Any:
    """Read what :func:`save_index` wrote: one index, or ``shards`` shards joined again.

    Args:
        folder, shards, stem: where and how :func:`save_index` wrote it.
        mapped: map the vectors of flat indexes (and of HNSW's flat storage) from the file
            instead of reading them: nothing to read at load, and processes that load the
            same file share its pages. Such an index cannot grow (faiss aborts the process
            on an add), so it is for searching only; the file must not be changed in place
            (:func:`save_index` never does: it writes beside it and renames).

    Raises:
        FileNotFoundError: a shard file is missing.
        ValueError: a file faiss cannot read (cut short, or not an index); names it.
    """
    faiss = import_faiss()
    folder = Path(folder)
    # the flag came with faiss 1.11: older releases read the vectors (nothing shared)
    flags = getattr(faiss, "IO_FLAG_MMAP_IFC", 0) if mapped else 0
    parts = []
    for name in index_files(stem, shards):
        path = folder / name
        if not path.is_file():
            raise FileNotFoundError(f"missing index file {path} ({shards} shard(s) expected)")
        try:
            part = faiss.read_index(str(path), flags)
            enable_reconstruct(part)
        except RuntimeError as err:  # faiss' message is a C++ assertion with its source line
            reason = str(err).strip().splitlines()[-1] if str(err).strip() else type(err).__name__
            raise ValueError(f"{path} is not a readable faiss index ({reason[:200]})") from None
        parts.append(part)
    if shards == 1:
        return parts[0]
    if len({part.d for part in parts}) > 1:
        raise ValueError(f"the shards of the index in {folder} have different dimensions")
    return _join_shards(parts[0].d, parts)
