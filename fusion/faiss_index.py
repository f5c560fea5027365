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

faiss is imported on first use (:func:`import_faiss`); a GPU copy of an index is made with
:func:`to_gpu` when ``faiss.get_num_gpus() > 0`` (HNSW has no GPU version and stays on CPU).
"""

from __future__ import annotations

import logging
import math
from dataclasses import asdict, dataclass
from types import ModuleType
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

__all__ = [
    "INDEX_KINDS",
    "FaissNotInstalledError",
    "IndexConfig",
    "build_index",
    "enable_reconstruct",
    "gpu_available",
    "import_faiss",
    "index_nbytes",
    "search_parameters",
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

    def __post_init__(self) -> None:
        if self.kind not in INDEX_KINDS:
            raise ValueError(f"unknown index kind {self.kind!r}; choose one of {INDEX_KINDS}")
        positive = (
            "hnsw_m",
            "hnsw_ef_construction",
            "hnsw_ef_search",
            "ivf_nprobe",
            "pq_m",
            "refine_k_factor",
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
        A ``faiss.Index`` with ``ntotal == 0`` whose vectors can be reconstructed by id.

    Raises:
        ValueError: IVF / PQ without training vectors, or ``pq_m`` not dividing ``dim``.
    """
    faiss = import_faiss()
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


def enable_reconstruct(index: Any) -> None:
    """Keep an id -> list map in IVF indexes so vectors can be read back by id."""
    faiss = import_faiss()
    try:
        ivf = faiss.extract_index_ivf(index)
    except RuntimeError:  # not an IVF index: reconstruct works as is
        return
    if ivf.direct_map.type == faiss.DirectMap.NoMap:
        ivf.make_direct_map()


def search_parameters(
    index: Any, config: IndexConfig, k: int, selector: Any | None = None
) -> Any | None:
    """Search-time parameters of ``index`` (efSearch, nprobe, id filter), or None.

    Args:
        index: a CPU index built by :func:`build_index`.
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
        params.nprobe = min(config.ivf_nprobe, faiss.extract_index_ivf(index).nlist)
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
        gpu_index = faiss.index_cpu_to_gpu(resources, 0, index)
    except RuntimeError as err:  # e.g. a quantizer or code size the GPU kernels lack
        if config.use_gpu:
            raise
        logger.warning(
            "could not copy the %s index to the GPU (%s); searching on CPU", config.kind, err
        )
        return None
    if config.kind in ("ivf", "ivfpq"):
        gpu_index.nprobe = min(config.ivf_nprobe, faiss.extract_index_ivf(index).nlist)
    logger.info("fact index copied to GPU 0 (%d vectors)", index.ntotal)
    return gpu_index, resources


def index_nbytes(index: Any) -> int:
    """Size of ``index`` serialised (what it takes on disk, close to its memory)."""
    faiss = import_faiss()
    return int(faiss.serialize_index(index).nbytes)
