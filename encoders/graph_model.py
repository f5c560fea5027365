r"""Graph embedder: node features + relational GNN encoder + link-prediction decoder.

:class:`GraphEmbedder` composes :class:`~encoders.graph_features.NodeFeatures`, a graph
encoder chosen by name from :data:`GRAPH_ENCODERS` (R-GCN or CompGCN) and a decoder from
:data:`~encoders.kge_decoders.KGE_DECODERS` (DistMult or RotatE), as in the R-GCN
link-prediction setup of Schlichtkrull et al. (2018): the encoder embeds every node with
full-graph message passing, the decoder scores triples from those embeddings.

A saved embedder is a folder with ``model.safetensors`` (weights, text-feature buffer
included) and ``config.json`` (the :class:`GraphEncoderConfig`, sizes, library versions and
the fingerprint of the KG it was trained on); :meth:`GraphEmbedder.load` refuses a KG with
another fingerprint.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import asdict, dataclass, fields
from importlib import metadata
from pathlib import Path
from typing import Any, cast

import torch
import torch.nn.functional as F
from safetensors.torch import load_file
from safetensors.torch import save as save_tensors
from torch import Tensor, nn

from encoders.compgcn import COMPOSITIONS, CompGCNEncoder
from encoders.graph_features import FEATURE_MODES, FeatureMode, NodeFeatures
from encoders.kge_decoders import KGE_DECODERS, KGEDecoder
from encoders.registry import Registry
from encoders.relational_adjacency import RelationalAdjacency
from encoders.rgcn import RGCNEncoder
from kg.atomic import write_atomic, written_whole
from kg.errors import KGMismatchError
from kg.tensors import GraphTensors

logger = logging.getLogger(__name__)

GRAPH_ENCODERS: Registry[type[nn.Module]] = Registry(
    "graph encoder", {"rgcn": RGCNEncoder, "compgcn": CompGCNEncoder}
)

MODEL_FILE = "model.safetensors"
CONFIG_FILE = "config.json"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class GraphEncoderConfig:
    """Architecture of a :class:`GraphEmbedder`.

    Args:
        encoder (str, optional): ``"rgcn"`` or ``"compgcn"``. (default: ``"compgcn"``, which
            learns about four times faster than R-GCN on the HPO graph)
        decoder (str, optional): ``"distmult"`` or ``"rotate"``. (default: ``"distmult"``)
        hidden_dim (int, optional): Size of the node embeddings. (default: :obj:`128`)
        num_layers (int, optional): Number of message-passing layers. (default: :obj:`2`)
        num_bases (int, optional): Basis decomposition of the relation weights (R-GCN) or
            of the initial relation embeddings (CompGCN). (default: :obj:`None`, none)
        num_blocks (int, optional): Block-diagonal decomposition (R-GCN only).
            (default: :obj:`None`, none)
        composition (str, optional): CompGCN's composition, ``"sub"``, ``"mult"`` or
            ``"corr"``; unused by R-GCN. (default: ``"mult"``)
        dropout (float, optional): Dropout on each layer's input. (default: :obj:`0.0`; the
            short default training run underfits rather than overfits)
        features (str, optional): Node input features, ``"learned"``, ``"text"`` or
            ``"both"``; text needs a text-embedding matrix. (default: ``"learned"``)
        seed (int, optional): Seed of the parameter initialisation (and of training).
            (default: :obj:`0`)
    """

    encoder: str = "compgcn"
    decoder: str = "distmult"
    hidden_dim: int = 128
    num_layers: int = 2
    num_bases: int | None = None
    num_blocks: int | None = None
    composition: str = "mult"
    dropout: float = 0.0
    features: str = "learned"
    seed: int = 0

    def __post_init__(self) -> None:
        for name, value, choices in (
            ("encoder", self.encoder, sorted(GRAPH_ENCODERS)),
            ("decoder", self.decoder, sorted(KGE_DECODERS)),
            ("composition", self.composition, list(COMPOSITIONS)),
            ("features", self.features, list(FEATURE_MODES)),
        ):
            if value not in choices:
                raise ValueError(f"unknown {name} {value!r}; choices: {', '.join(choices)}")
        if self.hidden_dim < 1 or self.num_layers < 1:
            raise ValueError("hidden_dim and num_layers must be positive")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")
        if self.num_bases is not None and self.num_bases < 1:
            raise ValueError(f"num_bases must be positive, got {self.num_bases}")
        if self.num_blocks is not None:
            if self.encoder != "rgcn":
                raise ValueError("num_blocks (block decomposition) applies to encoder 'rgcn' only")
            if self.num_bases is not None:
                raise ValueError("use either num_bases or num_blocks")
            if self.num_blocks < 1 or self.hidden_dim % self.num_blocks:
                raise ValueError(f"num_blocks={self.num_blocks} must divide hidden_dim")
        if self.decoder == "rotate" and self.hidden_dim % 2:
            raise ValueError("decoder 'rotate' needs an even hidden_dim")

    def to_dict(self) -> dict[str, Any]:
        """The fields as a JSON-ready dict."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GraphEncoderConfig:
        """Inverse of :meth:`to_dict`; unknown keys are an error, not ignored."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(
                f"unknown GraphEncoderConfig keys {unknown}; known: {', '.join(sorted(known))}"
            )
        return cls(**data)

    def config_hash(self) -> str:
        """SHA-256 of the canonical JSON of the fields."""
        blob = json.dumps(self.to_dict(), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()


def _build_encoder(config: GraphEncoderConfig, num_relations: int) -> nn.Module:
    cls = GRAPH_ENCODERS[config.encoder]
    kwargs: dict[str, Any] = {
        "num_layers": config.num_layers,
        "num_bases": config.num_bases,
        "dropout": config.dropout,
    }
    if issubclass(cls, RGCNEncoder):
        kwargs["num_blocks"] = config.num_blocks
    elif issubclass(cls, CompGCNEncoder):
        kwargs["composition"] = config.composition
    return cls(config.hidden_dim, config.hidden_dim, num_relations, **kwargs)


def _versions() -> dict[str, str]:
    import torch_geometric

    try:
        kgfuse_version = metadata.version("kgfuse")
    except metadata.PackageNotFoundError:
        kgfuse_version = "unknown"
    return {
        "kgfuse": kgfuse_version,
        "torch": torch.__version__,
        "torch_geometric": torch_geometric.__version__,
    }


def atomic_save_tensors(tensors: dict[str, Tensor], path: Path, meta: dict[str, str]) -> None:
    """Write a safetensors file so that ``path`` is never partly written: to a temporary file
    in the same folder first, then :func:`os.replace` (atomic on POSIX and Windows).

    Args:
        tensors (dict): Name -> contiguous CPU tensor.
        path (Path): Target file.
        meta (dict): String metadata stored in the file's header.
    """
    # the bytes made here and written through the one temporary file: safetensors' own
    # save_file writes through a private temporary of its own (".tmpXXXXXX") that a kill
    # during the write leaves beside the file, where nothing removes it
    data = save_tensors(tensors, metadata=meta)
    with written_whole(path) as (fd, _), os.fdopen(fd, "wb") as out:
        out.write(data)


def atomic_write_text(text: str, path: Path) -> None:
    """Write a UTF-8 text file atomically (temporary file, then :func:`os.replace`).

    Args:
        text (str): The content.
        path (Path): Target file.
    """
    write_atomic(path, text)


class GraphEmbedder(nn.Module):
    r"""Node features, a relational GNN encoder and a KGE decoder, trained together by link
    prediction.

    .. math::
        \mathbf{Z} = \mathrm{Encoder}(\mathbf{X}, \mathcal{G}), \qquad
        s(h, r, t) = f_r(\mathbf{z}_h, \mathbf{z}_t)

    The parameters are initialised from ``config.seed`` without touching the global random
    state, so one config always gives the same initial model.

    Args:
        config (GraphEncoderConfig): The architecture.
        num_nodes (int): Number of nodes of the KG.
        num_relations (int): Number of forward relations of the KG.
        text_features (torch.Tensor, optional): Text embeddings of the nodes, required by
            ``features="text"`` or ``"both"``. (default: :obj:`None`)
        fingerprint (str, optional): Fingerprint of the KG the model belongs to.
            (default: ``""``)

    Shapes:
        - **input:** a :class:`~kg.tensors.GraphTensors` or its :class:`RelationalAdjacency`
        - **output:** node embeddings :math:`(|\mathcal{V}|, d)`
    """

    def __init__(
        self,
        config: GraphEncoderConfig,
        num_nodes: int,
        num_relations: int,
        *,
        text_features: Tensor | None = None,
        fingerprint: str = "",
    ) -> None:
        super().__init__()
        self.config = config
        self.num_nodes = num_nodes
        self.num_relations = num_relations
        self.fingerprint = fingerprint
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(config.seed)
            self.features = NodeFeatures(
                num_nodes, config.hidden_dim, cast(FeatureMode, config.features), text_features
            )
            self.encoder = _build_encoder(config, num_relations)
            self.decoder: KGEDecoder = KGE_DECODERS[config.decoder](
                num_relations, config.hidden_dim
            )

    @classmethod
    def from_graph(
        cls,
        config: GraphEncoderConfig,
        graph: GraphTensors,
        *,
        text_features: Tensor | None = None,
    ) -> GraphEmbedder:
        """A new embedder sized for ``graph`` and stamped with its fingerprint.

        Args:
            config (GraphEncoderConfig): The architecture.
            graph (GraphTensors): The KG.
            text_features (torch.Tensor, optional): Text embeddings of the graph's nodes.
                (default: :obj:`None`)
        """
        return cls(
            config,
            graph.num_nodes,
            graph.num_relations,
            text_features=text_features,
            fingerprint=graph.fingerprint,
        )

    def prepare(self, graph: GraphTensors) -> RelationalAdjacency:
        """The encoder's adjacency for ``graph``; build once, pass to :meth:`forward`."""
        if graph.num_relations != self.num_relations:
            raise ValueError(
                f"graph has {graph.num_relations} relations, the model {self.num_relations}"
            )
        return self.encoder.prepare(  # type: ignore[operator]
            graph.edge_index, graph.edge_type, graph.edge_weight, graph.num_nodes
        )

    def forward(self, adjacency: RelationalAdjacency, extra_text: Tensor | None = None) -> Tensor:
        """Embed every node of the graph the adjacency was built from.

        Args:
            adjacency (RelationalAdjacency): From :meth:`prepare`.
            extra_text (torch.Tensor, optional): Text embeddings of nodes appended after the
                trained ones (``features="text"`` only). (default: :obj:`None`)
        """
        x = self.features(None, extra_text)
        return self.encoder(x, adjacency)

    @torch.no_grad()
    def embed(self, graph: GraphTensors, *, extra_text: Tensor | None = None) -> Tensor:
        r"""Node embeddings of ``graph`` in evaluation mode.

        Without ``extra_text`` the graph must be the KG the model belongs to (same
        fingerprint, else :class:`~kg.errors.KGMismatchError`). With ``extra_text`` the
        graph is that KG with ``len(extra_text)`` new nodes appended after the trained ones
        (their edges included); they get vectors from their text embeddings and edges
        without retraining (``features="text"`` only).

        Args:
            graph (GraphTensors): The KG.
            extra_text (torch.Tensor, optional): Text embeddings of the appended nodes.
                (default: :obj:`None`)

        Shapes:
            - **output:** :math:`(|\mathcal{V}|, d)`
        """
        num_new = 0 if extra_text is None else int(extra_text.size(0))
        if graph.num_nodes != self.num_nodes + num_new:
            raise ValueError(
                f"graph has {graph.num_nodes} nodes; the model knows {self.num_nodes} and "
                f"{num_new} new ones were given text"
            )
        if num_new == 0 and self.fingerprint and graph.fingerprint != self.fingerprint:
            raise KGMismatchError("graph embedder", self.fingerprint, graph.fingerprint)
        was_training = self.training
        self.eval()
        try:
            return self(self.prepare(graph), extra_text)
        finally:
            self.train(was_training)

    def score(self, z: Tensor, head: Tensor, relation: Tensor, tail: Tensor) -> Tensor:
        """Scores of triples given by node ids, from node embeddings ``z``.

        Shapes:
            - **input:** :math:`(N, d)`, :math:`(B)`, :math:`(B)`, :math:`(B)`
            - **output:** :math:`(B)`
        """
        return self.decoder(F.embedding(head, z), relation, F.embedding(tail, z))

    def score_all_tails(
        self, z: Tensor, head: Tensor, relation: Tensor, candidate_ids: Tensor
    ) -> Tensor:
        """Scores of every query (head id, relation) against every candidate tail id.

        Shapes:
            - **input:** :math:`(N, d)`, :math:`(B)`, :math:`(B)`, :math:`(C)`
            - **output:** :math:`(B, C)`
        """
        return self.decoder.score_all_tails(
            F.embedding(head, z), relation, F.embedding(candidate_ids, z)
        )

    def save(self, folder: str | Path) -> None:
        """Write ``model.safetensors`` and ``config.json`` into ``folder`` (each atomically).

        Args:
            folder (str or Path): Target folder, created if missing.
        """
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        tensors = {k: v.detach().cpu().contiguous() for k, v in self.state_dict().items()}
        atomic_save_tensors(tensors, folder / MODEL_FILE, {"fingerprint": self.fingerprint})
        meta = {
            "format_version": FORMAT_VERSION,
            "config": self.config.to_dict(),
            "num_nodes": self.num_nodes,
            "num_relations": self.num_relations,
            "text_dim": self.features.text_dim,
            "fingerprint": self.fingerprint,
            "versions": _versions(),
        }
        atomic_write_text(json.dumps(meta, indent=2), folder / CONFIG_FILE)
        logger.info("saved graph embedder to %s", folder)

    @classmethod
    def load(cls, folder: str | Path, graph: GraphTensors) -> GraphEmbedder:
        """Read what :meth:`save` wrote, for ``graph``.

        Args:
            folder (str or Path): The saved folder.
            graph (GraphTensors): The KG to embed; must carry the fingerprint the model was
                saved with.

        Raises:
            KGMismatchError: The folder was saved for a KG with another fingerprint.
            FileNotFoundError: The folder lacks ``config.json`` or ``model.safetensors``.
        """
        folder = Path(folder)
        meta = json.loads((folder / CONFIG_FILE).read_text(encoding="utf-8"))
        if meta["fingerprint"] != graph.fingerprint:
            raise KGMismatchError(
                f"graph embedder {folder}", meta["fingerprint"], graph.fingerprint
            )
        if (meta["num_nodes"], meta["num_relations"]) != (graph.num_nodes, graph.num_relations):
            raise ValueError(
                f"{folder} holds a model for {meta['num_nodes']} nodes and "
                f"{meta['num_relations']} relations; the graph has {graph.num_nodes} and "
                f"{graph.num_relations}"
            )
        config = GraphEncoderConfig.from_dict(meta["config"])
        text_dim = meta["text_dim"]
        placeholder = None if text_dim is None else torch.zeros(meta["num_nodes"], text_dim)
        model = cls(
            config,
            meta["num_nodes"],
            meta["num_relations"],
            text_features=placeholder,
            fingerprint=meta["fingerprint"],
        )
        model.load_state_dict(load_file(str(folder / MODEL_FILE)))
        return model


EMBEDDINGS_FILE = "embeddings.safetensors"
EMBEDDINGS_META_FILE = "embeddings.json"
#: Key of the tensor file's header that holds the sha256 of the ``embeddings.json`` written
#: with it, so that a pair of files from two saves is told apart from a pair of one.
_META_DIGEST = "meta_sha256"


class DamagedEmbeddingsError(ValueError):
    """Saved node embeddings are incomplete (a save was interrupted), cut short, or their
    two files are of different saves; the message names the file."""


def save_node_embeddings(
    folder: str | Path,
    embeddings: Tensor,
    graph: GraphTensors,
    *,
    extra: dict[str, Any] | None = None,
) -> None:
    r"""Write node embeddings with the node IRIs and the KG fingerprint.

    ``embeddings.safetensors`` holds the ``[num_nodes, dim]`` tensor ``embeddings`` (row
    :math:`v` for ``graph.node_iris[v]``), ``embeddings.json`` the IRIs, relation names,
    fingerprint and ``extra``. Each is written whole (a temporary file, then a rename), the
    metadata first and the tensor file last, whose header holds the metadata's sha256: the
    tensor file is there only once both are written, and a metadata file of a later, killed
    save is told apart (:func:`load_node_embeddings`).

    Args:
        folder (str or Path): Target folder, created if missing.
        embeddings (torch.Tensor): Node embeddings.
        graph (GraphTensors): The KG they embed.
        extra (dict, optional): JSON-ready metadata to store alongside. (default: :obj:`None`)

    Shapes:
        - **input:** :math:`(|\mathcal{V}|, d)`
    """
    if embeddings.size(0) != graph.num_nodes:
        raise ValueError(f"{embeddings.size(0)} embeddings for {graph.num_nodes} nodes")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    meta = {
        "fingerprint": graph.fingerprint,
        "dim": int(embeddings.size(1)),
        "node_iris": graph.node_iris,
        "relation_names": graph.relation_names,
        "versions": _versions(),
        **(extra or {}),
    }
    text = json.dumps(meta)
    atomic_write_text(text, folder / EMBEDDINGS_META_FILE)
    atomic_save_tensors(
        {"embeddings": embeddings.detach().cpu().contiguous()},
        folder / EMBEDDINGS_FILE,
        {"fingerprint": graph.fingerprint, _META_DIGEST: _sha256(text)},
    )


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def load_node_embeddings(folder: str | Path, graph: GraphTensors) -> Tensor:
    r"""Read what :func:`save_node_embeddings` wrote, checked against ``graph``.

    Args:
        folder (str or Path): The folder.
        graph (GraphTensors): The KG the embeddings must belong to.

    Raises:
        KGMismatchError: The embeddings were made on a KG with another fingerprint.
        FileNotFoundError: No embeddings in the folder.
        DamagedEmbeddingsError: A file is missing (a save was interrupted), cut short or of
            another save than the other, or the tensor does not fit the graph.

    Shapes:
        - **output:** :math:`(|\mathcal{V}|, d)`
    """
    from safetensors import SafetensorError, safe_open

    folder = Path(folder)
    tensor_path, meta_path = folder / EMBEDDINGS_FILE, folder / EMBEDDINGS_META_FILE
    if not tensor_path.is_file() and not meta_path.is_file():
        raise FileNotFoundError(f"no node embeddings in {folder} (missing {EMBEDDINGS_FILE})")
    redo = "train them again (kgfuse embed redoes the last step from its checkpoint)"
    if not tensor_path.is_file():
        raise DamagedEmbeddingsError(f"{tensor_path} is missing (a save was interrupted); {redo}")
    if not meta_path.is_file():
        raise DamagedEmbeddingsError(f"{meta_path} is missing (a save was interrupted); {redo}")
    try:
        text = meta_path.read_text(encoding="utf-8")
        meta = json.loads(text)
        fingerprint, iris = meta["fingerprint"], meta["node_iris"]
    except (UnicodeDecodeError, ValueError, KeyError, TypeError) as err:
        raise DamagedEmbeddingsError(f"{meta_path} is damaged ({err!r}); {redo}") from None
    if fingerprint != graph.fingerprint:
        raise KGMismatchError(f"node embeddings {folder}", fingerprint, graph.fingerprint)
    if iris != graph.node_iris:
        raise ValueError(f"{folder}: node order differs from the graph's (same fingerprint)")
    try:
        with safe_open(str(tensor_path), framework="pt") as handle:
            header = handle.metadata() or {}
            embeddings = handle.get_tensor("embeddings")
    except (SafetensorError, OSError) as err:
        raise DamagedEmbeddingsError(f"{tensor_path} cannot be read ({err}); {redo}") from None
    if header.get(_META_DIGEST, _sha256(text)) != _sha256(text):
        raise DamagedEmbeddingsError(
            f"{meta_path} is not the one written with {tensor_path} (a later save was "
            f"interrupted); {redo}"
        )
    if embeddings.dim() != 2 or embeddings.size(0) != graph.num_nodes:
        raise DamagedEmbeddingsError(
            f"{tensor_path} holds a tensor of shape {tuple(embeddings.shape)} for "
            f"{graph.num_nodes} nodes; {redo}"
        )
    if not embeddings.is_floating_point() or not bool(torch.isfinite(embeddings).all()):
        raise DamagedEmbeddingsError(
            f"{tensor_path} holds values that are not finite numbers (a training run that "
            f"diverged?); {redo}"
        )
    return embeddings
