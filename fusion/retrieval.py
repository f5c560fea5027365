r"""Fact retrieval: a FAISS index over the facts of a KG, queried with text and entities.

**Fact vectors.** Fact :math:`f = (s, r, o)` with qualifiers gets the L2-normalised vector

.. math::
    \mathbf{v}_f \propto \big[\, \alpha_t\, \hat{\mathbf{t}}_f \;\|\;
    \alpha_g\, \widehat{\mathbf{g}_s + \mathbf{g}_o} \;\|\; \alpha_q\, \mathbf{q}_f \,\big]

- :math:`\hat{\mathbf{t}}_f`: text embedding of the verbalisation (``"Marfan syndrome has
  phenotype Arachnodactyly; frequent; ..."``), projected from the encoder's dimension onto
  its top principal directions (uncentred PCA of the node-label embeddings, so inner products
  are kept as well as possible) and re-normalised.
  By default it is *compositional*: mean pooling is linear in the token states, so the
  pooled vector of ``"A r B"`` is close to the token-count weighted mean of the pooled
  vectors of ``A``, ``r`` and ``B`` (exact when no attention crosses the parts). Each node
  label, relation label and qualifier is then embedded once (37k short texts for HPO instead
  of 570k sentences). ``exact_text=True`` embeds every verbalisation instead (small KGs).
- :math:`\mathbf{g}_v`: graph embedding of node :math:`v` (``encoders.graph_model``), when
  given; projected the same way.
- :math:`\mathbf{q}_f`: 8 small features: frequency (stated, else 1; 0 when negated),
  frequency-stated flag, negated flag, annotation flag, one-hot of the three commonest
  evidence codes and "other".

**Queries.** A query is a text vector (same encoder) and/or linked entity IRIs. Its vector is
:math:`[\alpha_t \hat{\mathbf{t}}_q \| \alpha_g \widehat{\textstyle\sum_e \mathbf{g}_e} \|
\alpha_q (\pi, 0, \dots)]`, normalised, where :math:`\hat{\mathbf{t}}_q` is the projected text
vector (the mean of the entities' label vectors when no text is given) and :math:`\pi`
(``frequency_prior``) turns the frequency feature into a small prior for frequent facts.

**Entities.** A fact *touches* a linked entity when the entity is its subject or object.
``entity_mode="boost"`` (default) ranks by

.. math::
    \mathrm{score}(f) = \cos(\mathbf{q}, \mathbf{v}_f) + \beta\, |\{s, o\} \cap E|

over the union of the ANN neighbours and every fact touching :math:`E` (scored exactly);
``"filter"`` returns only facts touching :math:`E`, ranked by the cosine.

**Filters.** ``relations`` keeps facts whose predicate is listed; ``node_types`` keeps facts
whose subject or object has a listed type. Approximate indexes apply them during the search
(a faiss ``IDSelectorBitmap``) and fall back to exact scoring of the allowed facts when the
approximate search returns fewer than ``k`` (a selective filter, or, without one, IVF lists
probed that hold fewer than ``k`` vectors).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.numpy import load_file, save_file

from encoders.tokenizing import tokenize
from fusion.blas import limit_blas_threads
from fusion.facts import ANNOTATION, Fact, FactTable, extract_facts
from fusion.faiss_index import (
    GPU_MAX_K,
    IndexConfig,
    add_vectors,
    build_index,
    load_index,
    reconstruct_rows,
    save_index,
    search_index,
    search_shards,
    to_gpu,
)
from kg.atomic import give_new_file_modes
from kg.errors import KGMismatchError
from kg.locks import exclusive_lock
from kg.tensors import GraphTensors

if TYPE_CHECKING:
    from encoders.text import TextEncoder, TextEncoderConfig
    from kg.knowledge_graph import KnowledgeGraph

logger = logging.getLogger(__name__)

__all__ = [
    "DamagedIndexError",
    "FactIndex",
    "IndexNotReplacedError",
    "RetrievalConfig",
    "RetrievedFact",
    "default_index_dir",
    "embeddings_digest",
    "encoder_identity",
    "index_version",
]

EntityMode = Literal["boost", "filter"]
ENTITY_MODES: tuple[str, ...] = ("boost", "filter")
#: Width of the feature block of a fact vector.
NUM_FEATURES = 8
#: Evidence codes with their own feature slot (the commonest ones); the rest share one.
EVIDENCE_SLOTS = 3
#: Index file stem: ``index.faiss``, or ``index.shard000.faiss``, ... for a sharded index.
INDEX_STEM = "index"
TABLES_FILE = "vectors.safetensors"
FACTS_FILE = "facts.safetensors"
META_FILE = "facts.json"
FORMAT_VERSION = 1
_CHUNK = 65_536
#: An index folder holds ``current`` (a link to the version in use), the versions
#: ``v-000001``, ``v-000002`` ... (each a complete index) and the writers' ``.lock``. A save
#: writes a new version and then swaps the link (atomic), so a reader or a kill never finds
#: half an index. An index saved by an older kgfuse has its files in the folder itself; it
#: is read as it is and replaced by a version at the next save.
CURRENT_LINK = "current"
LOCK_FILE = ".lock"
_VERSION = re.compile(r"v-(\d{6,})")
_LINK_TEMP = re.compile(r"\.current-[0-9a-f]{12}")
_UNVERSIONED = re.compile(
    r"facts\.json|facts\.safetensors|vectors\.safetensors|index(?:\.shard\d{3})?\.faiss"
)
#: Bytes read from the start and from the end of each weights file of an encoder for its
#: identity (:func:`encoder_identity`): enough to tell weights apart without reading GBs.
_WEIGHTS_SAMPLE = 1 << 20
#: Files of an encoder folder that :func:`encoder_identity` reads (configuration, tokenizer,
#: weights), not a README.
_ENCODER_SUFFIXES = frozenset({".json", ".txt", ".model", ".safetensors", ".bin"})


class DamagedIndexError(ValueError):
    """A file of a saved fact index is missing, cut short or not what the index needs; the
    message names the file and what to do."""


class IndexNotReplacedError(ValueError):
    """A saved fact index does not fit the request (another KG, text encoder, graph
    embeddings or settings, or damaged) in a folder other than the KG's default cache, which
    is therefore left as it is."""


@dataclass(frozen=True)
class RetrievalConfig:
    """How fact vectors are made and searched.

    Attributes:
        dim: size of a fact vector (the fused model's ``fact_dim``). (default: ``128``)
        graph_dim: width of the graph block when node embeddings are given; the text block
            gets ``dim - graph_dim - 8``. (default: ``32``)
        exact_text: embed every verbalisation instead of composing label vectors (slow on
            large KGs, exact on small ones). (default: ``False``)
        index: FAISS index kind and parameters. (default: exact flat)
        text_weight, graph_weight, feature_weight: block weights
            :math:`\\alpha_t, \\alpha_g, \\alpha_q`. (default: ``1.0``, ``0.5``, ``0.25``)
        frequency_prior: the query's value in the frequency slot (0 disables the prior).
            (default: ``1.0``)
        entity_mode: ``"boost"`` or ``"filter"`` (see the module docstring).
            (default: ``"boost"``)
        entity_boost: :math:`\\beta`, added per touched entity. (default: ``0.5``)
        max_entity_facts: most facts touching the entities that are scored exactly per
            query (a larger set is cut to its lowest ids). (default: ``200_000``)
        batch_size: texts per encoder batch. (default: ``256``)
        seed: seed of the training sample and projections. (default: ``0``)
    """

    dim: int = 128
    graph_dim: int = 32
    exact_text: bool = False
    index: IndexConfig = field(default_factory=IndexConfig)
    text_weight: float = 1.0
    graph_weight: float = 0.5
    feature_weight: float = 0.25
    frequency_prior: float = 1.0
    entity_mode: str = "boost"
    entity_boost: float = 0.5
    max_entity_facts: int = 200_000
    batch_size: int = 256
    seed: int = 0

    def __post_init__(self) -> None:
        if self.entity_mode not in ENTITY_MODES:
            raise ValueError(
                f"unknown entity_mode {self.entity_mode!r}; choose one of {ENTITY_MODES}"
            )
        if self.dim - NUM_FEATURES - self.graph_dim < 8:
            raise ValueError(f"dim={self.dim} leaves no room for text after the graph block")
        if self.graph_dim < 0 or self.batch_size < 1:
            raise ValueError("graph_dim must be >= 0 and batch_size positive")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RetrievalConfig:
        """Inverse of :meth:`to_dict`; unknown keys are an error, not ignored."""
        data = dict(data)
        known = set(cls.__dataclass_fields__)
        unknown = set(data) - known
        if unknown:
            raise ValueError(
                f"unknown retrieval settings {sorted(unknown)}; known: {sorted(known)}"
            )
        index = data.pop("index", None)
        return cls(index=IndexConfig.from_dict(index) if index else IndexConfig(), **data)

    def config_hash(self) -> str:
        blob = json.dumps(self.to_dict(), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:16]


@dataclass(frozen=True)
class RetrievedFact:
    """One search hit.

    Attributes:
        fact: the fact, with IRIs, labels and provenance.
        score: ranking score (cosine plus the entity boost).
        similarity: cosine between the query and fact vectors.
        entities: the linked entities (IRIs) the fact touches.
    """

    fact: Fact
    score: float
    similarity: float
    entities: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "score": self.score,
            "similarity": self.similarity,
            "entities": list(self.entities),
            **self.fact.as_dict(),
        }


def default_index_dir(kg: KnowledgeGraph) -> Path:
    """Where the fact index of a KG build is cached: ``<build>/derived/facts``."""
    return Path(kg.path) / "derived" / "facts"


def _normalise(x: np.ndarray) -> np.ndarray:
    norm = np.linalg.norm(x, axis=-1, keepdims=True)
    return x / np.maximum(norm, 1e-12)


def _principal_projection(x: np.ndarray, width: int) -> np.ndarray:
    """``(d, width)`` projection onto the top right singular vectors of ``x`` (uncentred).

    Columns beyond ``d`` are zero, so a narrow encoder still fills a fixed-width block.
    """
    d = x.shape[1]
    out = np.zeros((d, width), dtype=np.float32)
    if d <= width:
        out[:, :d] = np.eye(d, dtype=np.float32)
        return out
    gram = x.astype(np.float64).T @ x.astype(np.float64)
    values, vectors = np.linalg.eigh(gram)
    top = vectors[:, np.argsort(values)[::-1][:width]]
    # fix each direction's sign so the projection is reproducible
    signs = np.sign(top[np.argmax(np.abs(top), axis=0), np.arange(width)])
    out[:, :] = (top * signs).astype(np.float32)
    return out


def _versions() -> dict[str, str]:
    out = {}
    for pkg in ("kgfuse", "faiss-cpu", "faiss-gpu", "numpy", "transformers"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            continue
    return out


def embeddings_digest(node_embeddings: torch.Tensor | np.ndarray) -> str:
    """sha256 (16 hex digits) of node embeddings' float32 values and shape: what a fact
    index records of the graph embeddings its vectors hold."""
    if isinstance(node_embeddings, torch.Tensor):
        values = node_embeddings.detach().to("cpu", torch.float32).contiguous().numpy()
    else:
        values = np.ascontiguousarray(node_embeddings, dtype=np.float32)
    digest = hashlib.sha256(str(tuple(values.shape)).encode())
    digest.update(values.tobytes())
    return digest.hexdigest()[:16]


def encoder_identity(path: str | Path, pooling: str = "mean") -> dict[str, Any]:
    """What decides a text encoder's vectors, as a fact index records it: the folder's name
    and path, the pooling, and ``digest``, a sha256 of its configuration and tokenizer files
    and of each weights file's size, first and last MiB (cheap, and kept when the encoder
    folder is copied or moved; two fine-tunings of one model differ in it)."""
    path = Path(path)
    digest = hashlib.sha256()
    files = sorted(
        p
        for p in path.iterdir()
        if p.is_file() and not p.name.startswith(".") and p.suffix in _ENCODER_SUFFIXES
    )
    for file in files:
        size = file.stat().st_size
        digest.update(f"{file.name}\0{size}\0".encode())
        with file.open("rb") as handle:
            if size <= 2 * _WEIGHTS_SAMPLE:
                digest.update(handle.read())
            else:
                digest.update(handle.read(_WEIGHTS_SAMPLE))
                handle.seek(size - _WEIGHTS_SAMPLE)
                digest.update(handle.read(_WEIGHTS_SAMPLE))
    return {
        "path": str(path),
        "name": path.name,
        "pooling": pooling,
        "digest": digest.hexdigest()[:16],
    }


def _identity_of(encoder: TextEncoder | TextEncoderConfig) -> dict[str, Any]:
    """:func:`encoder_identity` of an encoder, or of the one a config would load (without
    loading it)."""
    from encoders.text import TextEncoder, default_encoder_path

    if isinstance(encoder, TextEncoder):
        return encoder_identity(encoder.path, encoder.config.pooling)
    path = Path(encoder.model_path) if encoder.model_path else default_encoder_path()
    return encoder_identity(path, encoder.pooling)


def _same_encoder(saved: Any, wanted: dict[str, Any]) -> bool:
    """Whether a saved index's ``encoder`` record names the ``wanted`` encoder: by digest and
    pooling, or by path for an index saved before digests were recorded."""
    if not isinstance(saved, dict):
        return False
    if "digest" in saved:
        return bool(
            saved["digest"] == wanted["digest"]
            and saved.get("pooling", "mean") == wanted["pooling"]
        )
    return _same_path(Path(str(saved.get("path", ""))), Path(wanted["path"]))


def _same_path(a: Path, b: Path) -> bool:
    return os.path.realpath(a) == os.path.realpath(b)


def index_version(folder: str | Path) -> Path | None:
    """The folder holding the files of the index saved in ``folder``: the version its
    ``current`` link names, ``folder`` itself for an index saved before versions, or None
    when there is no index.

    ``current`` must be what :meth:`FactIndex.save` writes, a relative link to a version
    folder ``v-NNNNNN`` beside it that is itself in ``folder`` (a model folder from
    elsewhere must not load, through its link, an index from outside the folder, which the
    audit's fingerprint of the folder would not cover).

    Raises:
        DamagedIndexError: ``current`` is another link (absolute, to another name, or to a
            version that leads out of ``folder``).
    """
    folder = Path(folder)
    current = folder / CURRENT_LINK
    if current.is_symlink():
        target = os.readlink(current)
        version = folder / target
        inside = (
            _VERSION.fullmatch(target) is not None
            and not version.is_symlink()
            and version.resolve().parent == folder.resolve()
        )
        if not inside:
            raise DamagedIndexError(
                f"{current} links to {target!r}; a fact index's current link names a version "
                f"folder v-NNNNNN beside it (in {folder}): rebuild the index, or copy the "
                "model folder again"
            )
        return version
    if (current / META_FILE).is_file():  # a copy that followed the link (shutil.copytree)
        return current
    if (folder / META_FILE).is_file():
        return folder
    saved = sorted(
        v.name
        for v in (folder.iterdir() if folder.is_dir() else ())
        if _VERSION.fullmatch(v.name) and (v / META_FILE).is_file()
    )
    if saved:  # an index whose link was lost: not "no index" (a save would delete it)
        raise DamagedIndexError(
            f"{folder} holds a saved fact index ({saved[-1]}) but no {CURRENT_LINK} link to it "
            "(copied without symbolic links, by rsync -r, a zip or git?): copy it again with "
            f"its links, or link it: ln -s {saved[-1]} {current}"
        )
    return None


def _written_version(folder: Path) -> Path | None:
    """:func:`index_version` for a writer, which replaces the index: a ``current`` link
    that :func:`index_version` refuses names no index to keep (the save replaces it)."""
    try:
        return index_version(folder)
    except DamagedIndexError:
        return None


def _index_lock(folder: Path) -> Any:
    """The writers' lock of an index folder (waits for another writer to finish)."""
    return exclusive_lock(
        folder / LOCK_FILE, lambda pid: RuntimeError(f"{folder} is locked by {pid}"), wait=True
    )


def _check_index_folder(folder: Path) -> None:
    """Refuse to write an index into a file, or into a folder holding anything but an
    index's own entries (a save removes the entries it does not need).

    Raises:
        ValueError: naming the folder and some of its other entries.
    """
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"the fact index folder {folder} is a file: give a folder")
    if not folder.is_dir():
        return
    strange = sorted(e.name for e in folder.iterdir() if not _own_entry(e.name))
    if strange:
        shown = ", ".join(strange[:5]) + (f" +{len(strange) - 5}" if len(strange) > 5 else "")
        raise ValueError(
            f"{folder} holds files that are not part of a fact index ({shown}); give a new "
            "or empty folder for the index"
        )


def _own_entry(name: str) -> bool:
    return bool(
        name in (CURRENT_LINK, LOCK_FILE)
        or _VERSION.fullmatch(name)
        or _LINK_TEMP.fullmatch(name)
        or _UNVERSIONED.fullmatch(name)
    )


def _remove_leftovers(folder: Path) -> None:
    """Remove what the index in use does not need: older versions, unfinished ones of a
    killed save, link temporaries, the files of an unversioned index once a version is in
    use, and the ``.<name>.tmp-*`` / ``.<name>.old-*`` folders an older kgfuse left beside
    ``folder`` when killed while saving. Call with the writers' lock held."""
    current = _written_version(folder)
    keep = current.name if current is not None and current != folder else None
    for entry in folder.iterdir():
        name = entry.name
        if name in (CURRENT_LINK, LOCK_FILE) or name == keep:
            continue
        stale = _VERSION.fullmatch(name) or _LINK_TEMP.fullmatch(name)
        if stale or (keep is not None and _UNVERSIONED.fullmatch(name)):
            logger.info("removing %s (not part of the fact index in use)", entry)
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
    for pattern in (f".{folder.name}.tmp-*", f".{folder.name}.old-*"):
        for leftover in folder.parent.glob(pattern):
            if re.fullmatch(r"[0-9a-f]{8}", leftover.name.rsplit("-", 1)[-1]):
                logger.info("removing %s (left by an interrupted save)", leftover)
                shutil.rmtree(leftover, ignore_errors=True)


def _read_tensors(path: Path, folder: Path) -> dict[str, np.ndarray]:
    """The arrays of a safetensors file of an index, or a :class:`DamagedIndexError`."""
    if not path.is_file():
        raise _damaged(folder, f"{path} is missing")
    try:
        return load_file(str(path))
    except (SafetensorError, OSError, ValueError) as err:
        raise _damaged(folder, f"{path} cannot be read ({err})") from None


def _damaged(folder: Path, what: str) -> DamagedIndexError:
    return DamagedIndexError(
        f"{what}: the fact index in {folder} is damaged; rebuild it (kgfuse facts --rebuild, "
        f"or delete {folder} and it is built again where it is the KG's cache)"
    )


@dataclass
class _Tables:
    """Per-node and per-relation vectors that fact vectors are composed from."""

    text_projection: np.ndarray  # (encoder_dim, text_dim)
    node_text: np.ndarray  # (num_nodes, text_dim), projected and normalised
    node_tokens: np.ndarray  # (num_nodes,) tokens of each label
    relation_text: np.ndarray  # (num_relations, text_dim)
    relation_tokens: np.ndarray
    negation_text: np.ndarray  # (text_dim,)
    node_graph: np.ndarray | None  # (num_nodes, graph_dim), normalised

    def arrays(self) -> dict[str, np.ndarray]:
        out = {
            "text_projection": self.text_projection,
            "node_text": self.node_text,
            "node_tokens": self.node_tokens,
            "relation_text": self.relation_text,
            "relation_tokens": self.relation_tokens,
            "negation_text": self.negation_text,
        }
        if self.node_graph is not None:
            out["node_graph"] = self.node_graph
        return {k: np.ascontiguousarray(v) for k, v in out.items()}

    @classmethod
    def from_arrays(cls, t: dict[str, np.ndarray]) -> _Tables:
        return cls(
            t["text_projection"],
            t["node_text"],
            t["node_tokens"],
            t["relation_text"],
            t["relation_tokens"],
            t["negation_text"],
            t.get("node_graph"),
        )

    def problems(self, facts: FactTable, dim: int) -> list[str]:
        """What does not fit ``facts`` and a fact vector of ``dim``: tables of the wrong
        shape (cut short, or of another index) or with non-finite values."""
        graph_dim = 0 if self.node_graph is None else self.node_graph.shape[-1]
        text_dim = dim - NUM_FEATURES - graph_dim
        nodes, relations = facts.num_nodes, len(facts.relations)
        expected: dict[str, tuple[int | None, ...]] = {
            "text_projection": (None, text_dim),
            "node_text": (nodes, text_dim),
            "node_tokens": (nodes,),
            "relation_text": (relations, text_dim),
            "relation_tokens": (relations,),
            "negation_text": (text_dim,),
        }
        if self.node_graph is not None:
            expected["node_graph"] = (nodes, graph_dim)
        out = []
        for name, array in self.arrays().items():
            shape = expected[name]
            if array.ndim != len(shape) or any(
                want is not None and got != want
                for got, want in zip(array.shape, shape, strict=True)
            ):
                wanted = "x".join("?" if w is None else str(w) for w in shape)
                out.append(f"{name} has shape {'x'.join(map(str, array.shape))}, not {wanted}")
            elif not np.isfinite(array).all():
                out.append(f"{name} holds non-finite values")
        return out


class FactIndex:
    """Facts of one KG with their vectors in a FAISS index.

    Build with :meth:`build`, query with :meth:`search`, grow with :meth:`add`, persist with
    :meth:`save` / :meth:`load`. Fact ids are rows of :attr:`facts` and of the index.

    Example:
        >>> index = FactIndex.build(kg, text_encoder=encoder)            # doctest: +SKIP
        >>> hits = index.search(encoder.encode(["Marfan syndrome"])[0],
        ...                     entity_iris=["https://omim.org/entry/154700"], k=5)
        ...                                                             # doctest: +SKIP
        >>> hits[0].fact.text                                            # doctest: +SKIP
        'Marfan syndrome has phenotype Arachnodactyly; very frequent; ...'
    """

    def __init__(
        self,
        facts: FactTable,
        tables: _Tables,
        index: Any,
        config: RetrievalConfig,
        fingerprint: str,
        meta: dict[str, Any] | None = None,
        *,
        search_only: bool = False,
    ) -> None:
        self.facts = facts
        self.tables = tables
        self.index = index
        self.config = config
        self.fingerprint = fingerprint
        self.meta = dict(meta or {})
        self._gpu: tuple[Any, Any] | None = None
        self._touch: tuple[np.ndarray, np.ndarray] | None = None
        #: loaded for searching only (its vectors mapped from the file): it cannot grow
        self.search_only = search_only
        self._attach_gpu()

    # ---- sizes ---------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.facts)

    @property
    def dim(self) -> int:
        return self.config.dim

    @property
    def text_dim(self) -> int:
        return int(self.tables.text_projection.shape[1])

    @property
    def graph_dim(self) -> int:
        return 0 if self.tables.node_graph is None else int(self.tables.node_graph.shape[1])

    @property
    def encoder_dim(self) -> int:
        return int(self.tables.text_projection.shape[0])

    @property
    def on_gpu(self) -> bool:
        return self._gpu is not None

    def _attach_gpu(self) -> None:
        self._gpu = None if self.index is None else to_gpu(self.index, self.config.index)

    # ---- building ------------------------------------------------------------------------
    @classmethod
    def build(
        cls,
        kg: KnowledgeGraph,
        node_embeddings: torch.Tensor | np.ndarray | None = None,
        text_encoder: TextEncoder | None = None,
        config: RetrievalConfig | None = None,
        *,
        progress: bool = False,
    ) -> FactIndex:
        """Extract the facts of ``kg``, embed them and index them.

        Args:
            kg: the built KG (its derived tables are read, not the store).
            node_embeddings: ``(num_nodes, d)`` graph embeddings in ``kg.graph`` node order
                (:func:`encoders.graph_model.load_node_embeddings`), or None for text only.
            text_encoder: encoder of labels, verbalisations and (later) queries; None for
                the default (all-MiniLM-L6-v2).
            config: settings. (default: :class:`RetrievalConfig` ``()``)
            progress: show a progress bar while embedding.
        """
        return cls.from_table(
            extract_facts(kg),
            kg.graph,
            node_embeddings=node_embeddings,
            text_encoder=text_encoder,
            config=config,
            progress=progress,
        )

    @classmethod
    def from_table(
        cls,
        facts: FactTable,
        graph: GraphTensors,
        node_embeddings: torch.Tensor | np.ndarray | None = None,
        text_encoder: TextEncoder | None = None,
        config: RetrievalConfig | None = None,
        *,
        progress: bool = False,
    ) -> FactIndex:
        """Index a fact table whose first nodes are ``graph``'s (see :meth:`build`)."""
        from encoders.text import TextEncoder

        limit_blas_threads()  # the same vectors in every process (fusion.blas)
        config = config or RetrievalConfig()
        encoder = text_encoder or TextEncoder()
        started = time.perf_counter()
        graph_width = config.graph_dim if node_embeddings is not None else 0
        text_width = config.dim - NUM_FEATURES - graph_width

        labels = list(facts.node_labels)
        logger.info("embedding %d node labels and %d relations", len(labels), len(facts.relations))
        node_raw = _encode(encoder, labels, config, progress, "node labels")
        projection = _principal_projection(node_raw, text_width)
        rel_raw = _encode(encoder, facts.relation_labels, config, False, "relations")
        neg_raw = _encode(encoder, ["not"], config, False, "negation")
        node_graph = None
        if node_embeddings is not None:
            emb = np.asarray(
                node_embeddings.detach().cpu().numpy()
                if isinstance(node_embeddings, torch.Tensor)
                else node_embeddings,
                dtype=np.float32,
            )
            if emb.shape[0] != graph.num_nodes:
                raise ValueError(f"{emb.shape[0]} node embeddings for {graph.num_nodes} nodes")
            emb = _normalise(emb)
            g = np.zeros((facts.num_nodes, graph_width), dtype=np.float32)
            g[: graph.num_nodes] = _normalise(emb @ _principal_projection(emb, graph_width))
            node_graph = g
        tables = _Tables(
            text_projection=projection,
            node_text=_normalise(node_raw @ projection).astype(np.float32),
            node_tokens=_token_counts(encoder, labels),
            relation_text=_normalise(rel_raw @ projection).astype(np.float32),
            relation_tokens=_token_counts(encoder, facts.relation_labels),
            negation_text=_normalise(neg_raw @ projection)[0].astype(np.float32),
            node_graph=node_graph,
        )
        meta = {
            "encoder": encoder_identity(encoder.path, encoder.config.pooling),
            "node_embeddings": (
                None if node_embeddings is None else embeddings_digest(node_embeddings)
            ),
            "added_facts": 0,
        }
        out = cls(facts, tables, None, config, graph.fingerprint, meta)
        out._fill_index(encoder, progress)
        out.meta["build_seconds"] = round(time.perf_counter() - started, 3)
        logger.info(
            "fact index: %d facts, dim %d, %s, built in %.1f s",
            len(facts),
            config.dim,
            config.index.kind,
            out.meta["build_seconds"],
        )
        return out

    def _fill_index(self, encoder: TextEncoder | None, progress: bool) -> None:
        """Create the FAISS index from every fact's vector."""
        exact = None
        if self.config.exact_text:
            ids = np.arange(len(self.facts), dtype=np.int64)
            exact = self.exact_text_vectors(ids, _require(encoder, "exact_text indexes"), progress)

        def vectors_of(ids: np.ndarray) -> np.ndarray:
            return self.fact_vectors(ids, None if exact is None else exact[ids])

        self._index_vectors(vectors_of, self.config.index)

    def _index_vectors(self, vectors_of: Any, index_config: IndexConfig) -> None:
        n = len(self.facts)
        train = None
        if index_config.needs_training:
            rng = np.random.default_rng(index_config.seed)
            size = min(n, index_config.train_size)
            train = vectors_of(np.sort(rng.choice(n, size=size, replace=False)))
        index = build_index(self.dim, index_config, train)
        for lo in range(0, n, _CHUNK):
            chunk = vectors_of(np.arange(lo, min(lo + _CHUNK, n), dtype=np.int64))
            add_vectors(index, chunk, total=n)
        self.config = replace(self.config, index=index_config)
        self.index = index
        self.search_only = False  # built here: in memory, it can grow
        self._attach_gpu()

    def rebuild_index(self, index_config: IndexConfig) -> float:
        """Re-index the same fact vectors with another index kind; returns the seconds taken.

        Composed vectors are recomputed from the stored tables, ``exact_text`` vectors are
        read back from the current index (exactly, unless it is IVF-PQ); nothing is
        re-encoded.
        """
        started = time.perf_counter()
        if self.config.exact_text:
            old = self.index
            self._index_vectors(lambda ids: reconstruct_rows(old, ids), index_config)
        else:
            self._index_vectors(self.fact_vectors, index_config)
        return time.perf_counter() - started

    def exact_text_vectors(
        self, ids: np.ndarray, encoder: TextEncoder | None, progress: bool = False
    ) -> np.ndarray:
        """Text blocks of facts ``ids`` from their embedded verbalisations, ``(n, d_t)``."""
        texts = [self.facts.text(int(i)) for i in ids]
        raw = _encode(encoder, texts, self.config, progress, "verbalisations")
        return _normalise(raw @ self.tables.text_projection).astype(np.float32)

    # ---- vectors -------------------------------------------------------------------------
    def fact_vectors(self, ids: np.ndarray, text: np.ndarray | None = None) -> np.ndarray:
        """Composed vectors of facts ``ids`` (``text``: their exact text block, if any).

        Shapes:
            - ids: :math:`(n)`; text: :math:`(n, d_t)`; output: :math:`(n, \\text{dim})`
        """
        f, t, c = self.facts, self.tables, self.config
        s, o = f.subject[ids], f.object[ids]
        if text is None:
            text = self.composed_text_vectors(ids)
        blocks = [c.text_weight * text]
        if t.node_graph is not None:
            blocks.append(c.graph_weight * _normalise(t.node_graph[s] + t.node_graph[o]))
        blocks.append(c.feature_weight * self._features(ids))
        return np.ascontiguousarray(_normalise(np.concatenate(blocks, axis=1)), dtype=np.float32)

    def composed_text_vectors(self, ids: np.ndarray) -> np.ndarray:
        """Compositional text blocks of facts ``ids``: token-weighted sums of label vectors.

        Shapes:
            - ids: :math:`(n)`; output: :math:`(n, d_t)`, unit rows
        """
        f, t = self.facts, self.tables
        s, p, o = f.subject[ids], f.predicate[ids], f.object[ids]
        tok_s = t.node_tokens[s, None].astype(np.float32)
        tok_o = t.node_tokens[o, None].astype(np.float32)
        tok_r = t.relation_tokens[p, None].astype(np.float32)
        text = tok_s * t.node_text[s] + tok_r * t.relation_text[p] + tok_o * t.node_text[o]
        ft = f.frequency_term[ids]
        has_ft = ft >= 0
        if has_ft.any():
            ftr = ft[has_ft]
            text[has_ft] += t.node_tokens[ftr, None] * t.node_text[ftr]
        neg = f.negated[ids]
        if neg.any():
            text[neg] += t.negation_text
        return _normalise(text).astype(np.float32)

    def _features(self, ids: np.ndarray) -> np.ndarray:
        f = self.facts
        out = np.zeros((len(ids), NUM_FEATURES), dtype=np.float32)
        freq = f.frequency[ids]
        stated = ~np.isnan(freq)
        neg = f.negated[ids]
        out[:, 0] = np.where(neg, 0.0, np.where(stated, freq, 1.0))
        out[:, 1] = stated
        out[:, 2] = neg
        out[:, 3] = f.kind[ids] == ANNOTATION
        ev = f.evidence[ids].astype(np.int64)
        has_ev = ev >= 0
        slot = 4 + np.minimum(ev, EVIDENCE_SLOTS)
        out[np.nonzero(has_ev)[0], slot[has_ev]] = 1.0
        return out

    def vectors(self, ids: Sequence[int] | np.ndarray) -> np.ndarray:
        """Stored vectors of facts ``ids`` (read back from the index), ``(n, dim)``."""
        ids = np.asarray(ids, dtype=np.int64)
        if len(ids) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        return reconstruct_rows(self.index, ids)

    def query_vector(
        self, text_vector: np.ndarray | None = None, entity_rows: Sequence[int] = ()
    ) -> np.ndarray:
        """The normalised query vector of a text vector and/or linked entity rows.

        Raises:
            ValueError: neither a text vector nor a known entity, a text vector of the
                wrong dimension (another encoder), or one with NaN or infinite values.
        """
        t, c = self.tables, self.config
        rows = np.asarray(list(entity_rows), dtype=np.int64)
        if text_vector is not None:
            vec = np.asarray(text_vector, dtype=np.float32).reshape(-1)
            if vec.shape[0] != self.encoder_dim:
                raise ValueError(
                    f"text vector has dimension {vec.shape[0]}; this index was built with a "
                    f"{self.encoder_dim}-dimensional encoder ({self.meta.get('encoder', {})})"
                )
            if not np.isfinite(vec).all():
                raise ValueError(
                    "the query's text vector holds NaN or infinite values (an encoder run "
                    "in a precision it overflows in?); it ranks no fact"
                )
            text = _normalise(vec @ t.text_projection)
        elif len(rows):
            text = _normalise(t.node_text[rows].sum(0))
        else:
            raise ValueError("a query needs a text vector or at least one entity of the KG")
        blocks: list[np.ndarray] = [c.text_weight * text]
        if t.node_graph is not None:
            g = t.node_graph[rows].sum(0) if len(rows) else np.zeros(self.graph_dim, np.float32)
            blocks.append(c.graph_weight * (_normalise(g) if len(rows) else g))
        features = np.zeros(NUM_FEATURES, dtype=np.float32)
        features[0] = c.frequency_prior
        blocks.append(c.feature_weight * features)
        return _normalise(np.concatenate(blocks)).astype(np.float32)

    # ---- search --------------------------------------------------------------------------
    def entity_rows(self, entity_iris: str | Iterable[str]) -> list[int]:
        """Node rows of the given IRIs/CURIEs that the facts know (others are skipped); a
        single string is one IRI."""
        if isinstance(entity_iris, str):
            entity_iris = [entity_iris]
        rows = []
        for iri in entity_iris:
            i = self.facts.node_index(iri)
            if i is None:
                logger.debug("entity %s is in no fact; ignored", iri)
            elif i not in rows:
                rows.append(i)
        return rows

    def touching(self, entity_rows: Sequence[int]) -> np.ndarray:
        """Sorted ids of the facts whose subject or object is one of ``entity_rows``."""
        if self._touch is None:
            n = len(self.facts)
            ends = np.concatenate([self.facts.subject, self.facts.object]).astype(np.int64)
            ids = np.concatenate([np.arange(n), np.arange(n)])
            order = np.argsort(ends, kind="stable")
            counts = np.bincount(ends, minlength=self.facts.num_nodes)
            offsets = np.concatenate([[0], np.cumsum(counts)])
            self._touch = (offsets, ids[order])
        offsets, flat = self._touch
        parts = [flat[offsets[r] : offsets[r + 1]] for r in entity_rows if r + 1 < len(offsets)]
        if not parts:
            return np.zeros(0, dtype=np.int64)
        return np.unique(np.concatenate(parts))

    def allowed(
        self, relations: Iterable[str] | None = None, node_types: Iterable[str] | None = None
    ) -> np.ndarray | None:
        """``[num_facts]`` mask of the facts passing the filters, or None without filters."""
        mask = None
        if relations is not None:
            mask = self.facts.relation_mask(relations)
        if node_types is not None:
            types = self.facts.node_type_mask(node_types)
            mask = types if mask is None else mask & types
        return mask

    def search(
        self,
        text_vector: np.ndarray | None = None,
        entity_iris: str | Sequence[str] = (),
        k: int = 20,
        relations: Iterable[str] | None = None,
        node_types: Iterable[str] | None = None,
        entity_mode: str | None = None,
    ) -> list[RetrievedFact]:
        """The ``k`` best facts for a text vector and/or linked entities.

        Args:
            text_vector: pooled vector of the query text from the index's text encoder.
            entity_iris: linked entities (IRIs or CURIEs); unknown ones are skipped. A
                single string is one entity.
            k: facts to return.
            relations: keep only facts with one of these predicates (IRIs or CURIEs).
            node_types: keep only facts whose subject or object has one of these types.
            entity_mode: ``"boost"`` or ``"filter"``; None for ``config.entity_mode``.

        Returns:
            Up to ``k`` hits, best first (ties broken by fact id).

        Raises:
            ValueError: neither a text vector nor entities; a text vector with NaN or
                infinite values; an unknown relation, node type or entity mode. (Entities
                that no fact touches give no hits, not an error.)
        """
        mode = entity_mode or self.config.entity_mode
        if mode not in ENTITY_MODES:
            raise ValueError(f"unknown entity_mode {mode!r}; choose one of {ENTITY_MODES}")
        if k < 1 or len(self.facts) == 0:
            return []
        rows = self.entity_rows(entity_iris)
        if text_vector is None and not rows:
            if entity_iris:  # entities given, but no fact touches any of them
                return []
            raise ValueError("a query needs a text vector or at least one entity of the KG")
        query = self.query_vector(text_vector, rows)
        allowed = self.allowed(relations, node_types)
        touching = self.touching(rows) if rows else np.zeros(0, dtype=np.int64)
        if allowed is not None:
            touching = touching[allowed[touching]]
        if len(touching) > self.config.max_entity_facts:
            logger.info(
                "%d facts touch the entities; scoring the first %d",
                len(touching),
                self.config.max_entity_facts,
            )
            touching = touching[: self.config.max_entity_facts]
        if mode == "filter":
            ids = touching
            sims = self.vectors(ids) @ query if len(ids) else np.zeros(0, np.float32)
        else:
            # With a positive boost, 2k neighbours suffice: if fewer than k of them touch
            # no entity, at least k touching facts outrank every fact outside them.
            extra_needed = min(k, len(touching)) if self.config.entity_boost > 0 else len(touching)
            fetch = min(k + extra_needed, len(self.facts))
            ann_ids, ann_sims = self.nearest(query, fetch, allowed)
            extra = np.setdiff1d(touching, ann_ids, assume_unique=False)
            ids = np.concatenate([ann_ids, extra])
            sims = np.concatenate(
                [ann_sims, self.vectors(extra) @ query if len(extra) else np.zeros(0, np.float32)]
            )
        return self._rank(ids, sims, rows, k)

    def _rank(
        self, ids: np.ndarray, sims: np.ndarray, rows: Sequence[int], k: int
    ) -> list[RetrievedFact]:
        if len(ids) == 0:
            return []
        entity_set = np.asarray(sorted(rows), dtype=np.int64)
        s_hit = np.isin(self.facts.subject[ids], entity_set)
        o_hit = np.isin(self.facts.object[ids], entity_set)
        scores = sims + self.config.entity_boost * (s_hit.astype(np.float32) + o_hit)
        order = np.lexsort((ids, -scores))[:k]
        out = []
        for j in order:
            fid = int(ids[j])
            touched = []
            if s_hit[j]:
                touched.append(self.facts.nodes[int(self.facts.subject[fid])])
            if o_hit[j]:
                touched.append(self.facts.nodes[int(self.facts.object[fid])])
            out.append(
                RetrievedFact(
                    self.facts.fact(fid), float(scores[j]), float(sims[j]), tuple(touched)
                )
            )
        return out

    def nearest(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Ids and cosines of the ``k`` nearest fact vectors among the ``allowed`` ones.

        Exact with a flat index, approximate otherwise; filters never leak disallowed facts.
        When the approximate search finds fewer than ``k`` (a selective filter, or IVF lists
        probed that hold fewer vectors than ``k``), the allowed facts are scored exactly.
        """
        q = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
        total = len(self.facts) if allowed is None else int(allowed.sum())
        k = min(k, total)
        if k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        if self._gpu is not None and k <= GPU_MAX_K:
            fetch = k if allowed is None else min(GPU_MAX_K, k * 8, len(self.facts))
            sims, ids = search_shards(self._gpu[0], q, fetch)  # ties by id when sharded
            ids, sims = ids[0], sims[0]
            keep = ids >= 0
            if allowed is not None:
                keep &= allowed[np.maximum(ids, 0)]
            if keep.sum() >= k:
                return ids[keep][:k].astype(np.int64), sims[keep][:k]
        sims, ids = search_index(self.index, self.config.index, q, k, allowed)
        ids, sims = ids[0], sims[0]
        keep = ids >= 0
        if keep.sum() < k and not self.config.index.is_exact:
            every = np.arange(len(self.facts), dtype=np.int64)
            return self._exact_among(q[0], every if allowed is None else np.nonzero(allowed)[0], k)
        return ids[keep].astype(np.int64), sims[keep]

    def _exact_among(
        self, query: np.ndarray, ids: np.ndarray, k: int
    ) -> tuple[np.ndarray, np.ndarray]:
        best_ids = np.zeros(0, dtype=np.int64)
        best = np.zeros(0, dtype=np.float32)
        for lo in range(0, len(ids), _CHUNK):
            chunk = ids[lo : lo + _CHUNK]
            sims = self.vectors(chunk) @ query
            best_ids = np.concatenate([best_ids, chunk])
            best = np.concatenate([best, sims])
            if len(best) > k:
                top = np.argpartition(-best, k)[:k]
                best_ids, best = best_ids[top], best[top]
        order = np.lexsort((best_ids, -best))
        return best_ids[order], best[order]

    # ---- growing -------------------------------------------------------------------------
    def add(self, facts: Sequence[Fact], text_encoder: TextEncoder | None = None) -> list[int]:
        """Add facts without rebuilding: their vectors are appended to the index.

        New nodes and relations get text vectors from ``text_encoder`` (needed only when a
        fact names something new, or always for ``exact_text`` indexes) and a zero graph
        vector; IVF / PQ indexes keep their trained centroids.

        Returns:
            The ids of the added facts.

        Raises:
            ValueError: something new must be embedded and no encoder was given, or the
                index was loaded for searching only.
        """
        if self.search_only:
            raise ValueError(
                "this fact index was loaded for searching only (its vectors mapped from the "
                "file); load it with FactIndex.load(..., search_only=False) to add facts"
            )
        if not facts:
            return []
        old_nodes, old_rels = self.facts.num_nodes, len(self.facts.relations)
        ids = self.facts.append(facts)
        new_nodes = self.facts.node_labels[old_nodes:]
        new_rels = self.facts.relation_labels[old_rels:]
        needs_text = bool(new_nodes or new_rels or self.config.exact_text)
        if needs_text and text_encoder is None:
            raise ValueError(
                "the new facts name nodes or relations this index has no vectors for; "
                "pass the index's text encoder"
            )
        t = self.tables
        if new_nodes:
            raw = _encode(text_encoder, new_nodes, self.config, False, "new nodes")
            t.node_text = np.concatenate([t.node_text, _normalise(raw @ t.text_projection)])
            t.node_tokens = np.concatenate([t.node_tokens, _token_counts(text_encoder, new_nodes)])
            if t.node_graph is not None:
                pad = np.zeros((len(new_nodes), self.graph_dim), dtype=np.float32)
                t.node_graph = np.concatenate([t.node_graph, pad])
        if new_rels:
            raw = _encode(text_encoder, new_rels, self.config, False, "new relations")
            t.relation_text = np.concatenate([t.relation_text, _normalise(raw @ t.text_projection)])
            t.relation_tokens = np.concatenate(
                [t.relation_tokens, _token_counts(text_encoder, new_rels)]
            )
        exact = (
            self.exact_text_vectors(ids, text_encoder, False) if self.config.exact_text else None
        )
        vectors = self.fact_vectors(ids, exact)
        add_vectors(self.index, vectors)  # a sharded index grows its last shard
        if self._gpu is not None:
            add_vectors(self._gpu[0], vectors)
        self._touch = None
        self.meta["added_facts"] = int(self.meta.get("added_facts", 0)) + len(ids)
        logger.info("added %d facts (index now %d)", len(ids), self.index.ntotal)
        return [int(i) for i in ids]

    # ---- persistence ---------------------------------------------------------------------
    def save(self, folder: str | Path) -> None:
        """Write the index, the fact table, the vector tables and the metadata to ``folder``.

        The files go into a new version ``folder/v-<n>``, and the link ``folder/current`` is
        then swapped to it (``os.replace`` of a link is atomic): a reader, or a kill at any
        point, finds the previous index or the new one whole, never none or a mix. Writers
        of one folder wait for each other (a lock file, ``folder/.lock``), and each removes
        what the index in use does not need (the previous version, an unfinished one, the
        leftovers an older kgfuse left beside ``folder``). No pickles: ``index.faiss``
        (faiss' own format; one ``index.shard<i>.faiss`` per shard of a sharded index),
        safetensors and JSON.

        Raises:
            ValueError: ``folder`` is a file, or holds files that are not an index's.
        """
        folder = Path(folder)
        _check_index_folder(folder)
        folder.mkdir(parents=True, exist_ok=True)
        with _index_lock(folder):
            self._save_locked(folder)

    def _save_locked(self, folder: Path) -> None:
        """:meth:`save`, the writers' lock of ``folder`` held."""
        _remove_leftovers(folder)
        number = 1 + max(
            (int(m.group(1)) for e in folder.iterdir() if (m := _VERSION.fullmatch(e.name))),
            default=0,
        )
        current = folder / CURRENT_LINK
        if current.is_dir() and not current.is_symlink():  # a copy that followed the link
            copied, relink = f"v-{number:06d}", folder / f".current-{uuid.uuid4().hex[:12]}"
            os.replace(current, folder / copied)
            os.symlink(copied, relink)
            os.replace(relink, current)  # a link again at once
            number += 1
        version = folder / f"v-{number:06d}"
        link = folder / f".current-{uuid.uuid4().hex[:12]}"
        version.mkdir()
        try:
            save_index(self.index, version, INDEX_STEM)
            save_file(self.tables.arrays(), str(version / TABLES_FILE))
            save_file(
                {k: np.ascontiguousarray(v) for k, v in self.facts.columns().items()},
                str(version / FACTS_FILE),
            )
            meta = {
                **self.meta,  # what the build recorded; below, what this save is
                "format_version": FORMAT_VERSION,
                "fingerprint": self.fingerprint,
                "config": self.config.to_dict(),
                "config_hash": self.config.config_hash(),
                "num_facts": len(self.facts),
                "versions": _versions(),
                "strings": self.facts.strings(),
            }
            text = json.dumps(meta, ensure_ascii=False)
            (version / META_FILE).write_text(text, encoding="utf-8")
            give_new_file_modes(version)  # readable like any new file (safetensors writes 0600)
            os.symlink(version.name, link)
            os.replace(link, folder / CURRENT_LINK)
        except BaseException:
            link.unlink(missing_ok=True)
            if _written_version(folder) != version:
                shutil.rmtree(version, ignore_errors=True)
            raise
        _remove_leftovers(folder)  # the previous version, or the files of an unversioned one
        logger.info("saved fact index (%d facts) to %s", len(self.facts), version)

    @classmethod
    def load(
        cls,
        folder: str | Path,
        kg: KnowledgeGraph | GraphTensors,
        *,
        use_gpu: bool | None = None,
        search_only: bool = False,
    ) -> FactIndex:
        """Read what :meth:`save` wrote, checked against the KG it must belong to.

        Every file is checked as it is read: a file cut short, of another kind, or whose
        tables do not fit the facts is a :class:`DamagedIndexError` naming it. An index
        replaced by a writer while being read is read again.

        Args:
            folder: the index folder.
            kg: the KG (or its graph tensors) the index was built on.
            use_gpu: override the saved ``index.use_gpu``.
            search_only: map the faiss index's vectors from its file rather than read them
                (:func:`fusion.faiss_index.load_index`): a faster load, and pages shared by
                the processes that load it; :meth:`add` then refuses.

        Raises:
            KGMismatchError: the index was built on a KG with another fingerprint.
            DamagedIndexError: a file of the index is missing, cut short or does not fit.
            FileNotFoundError: no index in ``folder``.
        """
        folder = Path(folder)
        attempts = 5  # a writer replaced the version being read: read the new one
        for attempt in range(attempts):
            version = index_version(folder)
            if version is None:
                raise FileNotFoundError(f"no fact index in {folder} (missing {META_FILE})")
            try:
                return cls._load_version(version, folder, kg, use_gpu, search_only)
            except (OSError, ValueError):
                if attempt < attempts - 1 and index_version(folder) != version:
                    logger.info("the fact index in %s was replaced while read: again", folder)
                    continue
                raise
        raise AssertionError("unreachable")  # pragma: no cover

    @classmethod
    def _load_version(
        cls,
        version: Path,
        folder: Path,
        kg: KnowledgeGraph | GraphTensors,
        use_gpu: bool | None,
        search_only: bool = False,
    ) -> FactIndex:
        meta_path = version / META_FILE
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise _damaged(folder, f"{meta_path} is missing") from None
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise _damaged(folder, f"{meta_path} is not readable JSON ({err})") from None
        if not isinstance(meta, dict) or not isinstance(meta.get("fingerprint"), str):
            raise _damaged(folder, f"{meta_path} is not the metadata of a fact index")
        if meta.get("format_version") != FORMAT_VERSION:
            raise _damaged(
                folder, f"{meta_path}: fact index format {meta.get('format_version')} unknown"
            )
        if meta["fingerprint"] != kg.fingerprint:
            raise KGMismatchError(f"fact index {folder}", meta["fingerprint"], kg.fingerprint)
        try:
            config = RetrievalConfig.from_dict(meta.pop("config"))
            strings = meta.pop("strings")
        except (KeyError, TypeError, ValueError) as err:
            raise _damaged(folder, f"{meta_path} lacks or mangles {err}") from None
        if use_gpu is not None:
            config = replace(config, index=replace(config.index, use_gpu=use_gpu))
        columns = _read_tensors(version / FACTS_FILE, folder)
        try:
            facts = FactTable.from_columns(columns, strings)
        except (KeyError, TypeError, ValueError) as err:
            what = f"{version / FACTS_FILE} and {meta_path} do not fit together ({err})"
            raise _damaged(folder, what) from None
        problems = _fact_problems(facts, meta.get("num_facts"))
        if problems:
            raise _damaged(folder, f"{version / FACTS_FILE}: {'; '.join(problems)}")
        arrays = _read_tensors(version / TABLES_FILE, folder)
        try:
            tables = _Tables.from_arrays(arrays)
        except KeyError as err:
            raise _damaged(folder, f"{version / TABLES_FILE} lacks the table {err}") from None
        problems = tables.problems(facts, config.dim)
        if problems:
            raise _damaged(folder, f"{version / TABLES_FILE}: {'; '.join(problems)}")
        try:
            index = load_index(version, config.index.shards, INDEX_STEM, mapped=search_only)
        except (FileNotFoundError, ValueError) as err:
            raise _damaged(folder, str(err)) from None
        if index.ntotal != len(facts) or index.d != config.dim:
            what = (
                f"{version}: the faiss index holds {index.ntotal} vectors of dimension "
                f"{index.d} for {len(facts)} facts of dimension {config.dim}"
            )
            raise _damaged(folder, what)
        fingerprint = meta.pop("fingerprint")
        return cls(facts, tables, index, config, fingerprint, meta, search_only=search_only)

    def differences(
        self,
        *,
        node_embeddings: str | None = None,
        encoder: dict[str, Any] | None = None,
        config: RetrievalConfig | None = None,
    ) -> tuple[list[str], bool]:
        """How this index differs from the wanted one, and whether only its faiss index
        (kind, shards, knobs) does, so :meth:`rebuild_index` suffices.

        Args:
            node_embeddings: :func:`embeddings_digest` of the graph embeddings wanted; None
                for no requirement.
            encoder: :func:`encoder_identity` of the text encoder wanted; None for any.
            config: the retrieval settings wanted (``index.use_gpu`` aside); None for any.
        """
        reasons: list[str] = []
        vectors_differ = False  # more than the faiss index: the fact vectors themselves
        if node_embeddings is not None and self.meta.get("node_embeddings") != node_embeddings:
            reasons.append("it holds other graph embeddings (or none)")
            vectors_differ = True
        if encoder is not None and not _same_encoder(self.meta.get("encoder"), encoder):
            saved = self.meta.get("encoder")
            name = saved.get("name", "?") if isinstance(saved, dict) else "?"
            reasons.append(
                f"it was built with another text encoder ({name}, not {encoder['name']})"
            )
            vectors_differ = True
        if config is not None:
            have, want = self.config.to_dict(), config.to_dict()
            have["index"].pop("use_gpu")
            want["index"].pop("use_gpu")
            other = sorted(k for k in want if k != "index" and want[k] != have.get(k))
            knobs = sorted(k for k in want["index"] if want["index"][k] != have["index"].get(k))
            if other:
                reasons.append(f"it was built with other settings ({', '.join(other)})")
                vectors_differ = True
            if knobs:
                reasons.append(f"its faiss index has other settings ({', '.join(knobs)})")
        # exact text vectors of an IVF-PQ index are known only as its lossy codes
        lossy = self.config.exact_text and self.config.index.kind == "ivfpq"
        index_only = bool(reasons) and not vectors_differ and not lossy
        return reasons, index_only

    @classmethod
    def load_or_build(
        cls,
        folder: str | Path,
        kg: KnowledgeGraph,
        *,
        node_embeddings: torch.Tensor | np.ndarray | None = None,
        text_encoder: TextEncoder | TextEncoderConfig | None = None,
        config: RetrievalConfig | None = None,
        check_config: bool = True,
        rebuild: bool = False,
        cache: bool | None = None,
        progress: bool = False,
    ) -> FactIndex:
        """The index saved in ``folder`` for this KG, built and saved when missing or stale.

        A saved index is stale when it was built on another KG, from other graph embeddings
        than ``node_embeddings`` (when given), with another text encoder than
        ``text_encoder`` (when given), or with other settings than ``config`` (when given
        and ``check_config``; ``index.use_gpu`` aside), or when a file of it is damaged. In
        a cache (``folder`` is the KG's :func:`default_index_dir`, unless ``cache`` says
        otherwise) a stale index is rebuilt, with a warning: re-indexed alone when only its
        faiss settings differ, built again otherwise. Any other folder is the caller's and
        is not replaced: :class:`IndexNotReplacedError` says why (``rebuild=True``
        replaces it). Builders of one folder wait for each other.

        Args:
            folder: the index folder.
            kg: the KG.
            node_embeddings: graph embeddings of the fact vectors; None builds text only and
                accepts a saved index with or without them.
            text_encoder: the encoder (or the config of one, loaded only to build); None for
                the default when building, and any when loading.
            config: the settings to build with (and to require, see ``check_config``).
            check_config: require ``config`` of a saved index.
            rebuild: build again whatever is saved.
            cache: whether ``folder`` is a cache to rebuild when stale; None: whether it is
                the KG's default index folder.
            progress: show progress bars while building.

        Raises:
            IndexNotReplacedError: a stale or damaged index in a folder that is no cache.
            ValueError: ``folder`` is a file or holds files that are not an index's.
        """
        folder = Path(folder)
        if cache is None:
            cache = _same_path(folder, default_index_dir(kg))
        wanted = {
            "node_embeddings": (
                None if node_embeddings is None else embeddings_digest(node_embeddings)
            ),
            "encoder": None if text_encoder is None else _identity_of(text_encoder),
            "config": config if check_config else None,
        }
        found: FactIndex | None = None
        reindex = False
        seen = _written_version(folder)
        if not rebuild:
            found, reindex = cls._reusable(folder, kg, wanted, cache)
            if found is not None and not reindex:
                return found
        _check_index_folder(folder)
        folder.mkdir(parents=True, exist_ok=True)
        with _index_lock(folder):
            if not rebuild and _written_version(folder) != seen:
                # another process saved an index while this one waited: maybe the one wanted
                found, reindex = cls._reusable(folder, kg, wanted, cache)
                if found is not None and not reindex:
                    return found
            if found is not None and config is not None:
                found.rebuild_index(config.index)
                index = found
            else:
                from encoders.text import TextEncoder

                encoder = text_encoder
                if encoder is not None and not isinstance(encoder, TextEncoder):
                    encoder = TextEncoder(encoder)
                index = cls.build(kg, node_embeddings, encoder, config, progress=progress)
            index._save_locked(folder)
        return cls.load(folder, kg)  # as a later call will read it

    @classmethod
    def _reusable(
        cls, folder: Path, kg: KnowledgeGraph, wanted: dict[str, Any], cache: bool
    ) -> tuple[FactIndex | None, bool]:
        """The saved index if it fits ``wanted`` (None when there is none, or a stale one in
        a cache), and whether re-indexing it is enough."""
        try:
            if index_version(folder) is None:
                return None, False
            index = cls.load(folder, kg)
        except (KGMismatchError, DamagedIndexError) as err:
            if not cache:
                raise IndexNotReplacedError(_not_replaced(folder, str(err))) from None
            logger.warning("%s; building it again", err)
            return None, False
        reasons, index_only = index.differences(**wanted)
        if not reasons:
            return index, False
        why = "; ".join(reasons)
        if not cache:
            raise IndexNotReplacedError(_not_replaced(folder, f"the fact index in {folder}: {why}"))
        logger.warning(
            "the fact index in %s is stale (%s): %s",
            folder,
            why,
            "re-indexing it" if index_only else "building it again",
        )
        return (index, True) if index_only else (None, False)


def _not_replaced(folder: Path, why: str) -> str:
    return (
        f"{why}. {folder} is not the KG's fact index cache, so it is left as it is: pass "
        "--rebuild (rebuild=True) to replace it, delete it, or give another --index folder"
    )


def _fact_problems(facts: FactTable, num_facts: Any) -> list[str]:
    """What is wrong with a fact table read back: a count other than the metadata's, or
    rows naming nodes or relations it does not have."""
    out = []
    if num_facts != len(facts):
        out.append(f"{len(facts)} facts where the metadata says {num_facts}")
    if len(facts):
        nodes, relations = facts.num_nodes, len(facts.relations)
        for name, column, size in (
            ("subject", facts.subject, nodes),
            ("object", facts.object, nodes),
            ("predicate", facts.predicate, relations),
        ):
            if column.min() < 0 or column.max() >= size:
                out.append(f"the {name} column names rows outside 0..{size - 1}")
        if facts.frequency_term.max() >= nodes:
            out.append(f"the frequency_term column names rows outside 0..{nodes - 1}")
    return out


def _encode(
    encoder: TextEncoder | None,
    texts: Sequence[str],
    config: RetrievalConfig,
    progress: bool,
    what: str,
) -> np.ndarray:
    """Pooled, normalised vectors of ``texts`` (with a progress bar if asked).

    Each distinct text is embedded once, and texts are batched in order of length across the
    whole list (HPO's 37k labels have about 35k distinct ones).
    """
    if encoder is None:
        raise ValueError(f"embedding {what} needs a text encoder")
    if not texts:
        return np.zeros((0, encoder.hidden_size), dtype=np.float32)
    from tqdm.auto import tqdm

    distinct = sorted(set(texts), key=lambda t: (len(t), t))
    position = {t: i for i, t in enumerate(distinct)}
    vectors = np.zeros((len(distinct), encoder.hidden_size), dtype=np.float32)
    chunk = config.batch_size * 16
    with tqdm(total=len(distinct), desc=f"embedding {what}", disable=not progress) as bar:
        for lo in range(0, len(distinct), chunk):
            batch = distinct[lo : lo + chunk]
            vectors[lo : lo + len(batch)] = encoder.encode(batch, batch_size=config.batch_size)
            bar.update(len(batch))
    return _normalise(vectors[[position[t] for t in texts]])


def _require(encoder: TextEncoder | None, what: str) -> TextEncoder:
    if encoder is None:
        raise ValueError(f"{what} need the text encoder")
    return encoder


def _token_counts(encoder: TextEncoder | None, texts: Sequence[str]) -> np.ndarray:
    """Word pieces of each text as the encoder reads it (no special tokens), at least 1."""
    if encoder is None:
        raise ValueError("counting tokens needs a text encoder")
    if not texts:
        return np.zeros(0, dtype=np.float32)
    counts = tokenize(
        encoder.tokenizer,
        list(texts),
        add_special_tokens=False,
        truncation=True,
        max_length=encoder.config.max_length,
    )["input_ids"]
    return np.maximum(np.asarray([len(c) for c in counts], dtype=np.float32), 1.0)
