r"""Train a graph embedder by link prediction, resumably.

One step = full-graph message passing over the training graph, then the decoder scores a
batch of training triples against a shared pool of corrupted tails per tail node type
(:func:`~eval.linkpred.sample_negative_pools`), with binary cross-entropy

.. math::
    \mathcal{L} = -\frac{1}{B} \sum_{i} \log \sigma(s_i^+)
    - \frac{1}{|M|} \sum_{i, j \in M_i} \log \left(1 - \sigma(s_{ij}^-)\right)

(or the margin or sampled-softmax loss, :func:`~eval.linkpred.link_prediction_loss`). After
every epoch the filtered MRR on a fixed sample of the validation triples decides early
stopping, and a checkpoint is written atomically: model, optimizer, random states, epoch and
best model, as tensors in one safetensors file whose header holds the JSON state (no pickle).
A run killed at any point and started again with ``resume=True`` continues from the last
finished epoch and ends with the same embeddings as an uninterrupted run (on CPU).

Defaults (:data:`DEFAULT_EPOCHS`, :data:`DEFAULT_BATCH_SIZE`, :data:`DEFAULT_NUM_NEGATIVES`)
are sized for the quickstart's 3-4 minutes on 2 CPU cores. Measured on the HPO graph (37k
nodes, 550k edges, hidden 128): an epoch is 16 steps and takes 12-13 s of wall clock on 2
idle cores (23-26 CPU-seconds) for either encoder, one thread alone 22 s (CompGCN) or 25 s
(R-GCN) on a synthetic graph of the same size with 600k edges; setup, test and saving add
about 5 s. After 6 default epochs CompGCN (``mult``) reaches a validation MRR of 0.066 (test
MRR 0.065, Hits@10 0.14) and R-GCN 0.033; a shallow DistMult gets 0.051 after 5 epochs (108
CPU-seconds). The sampled-softmax loss diverged in the same setting, and BCE with 128
negatives learned 3-4 times slower than with 512-1024.
"""

from __future__ import annotations

import functools
import inspect
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Literal, ParamSpec, TypeVar

import torch
from safetensors import SafetensorError, safe_open
from torch import Tensor
from tqdm.auto import tqdm

from encoders.graph_model import (
    GraphEmbedder,
    GraphEncoderConfig,
    atomic_save_tensors,
    atomic_write_text,
    save_node_embeddings,
)
from eval.linkpred import (
    LOSSES,
    EdgeSplit,
    candidates_of,
    filtered_ranks,
    link_prediction_loss,
    metrics,
    pooled_negative_scores,
    sample_negative_pools,
    sample_triples,
    split_edges,
)
from kg.errors import KGMismatchError
from kg.tensors import GraphTensors
from train.checkpoint import (
    load_optimizer,
    optimizer_entries,
    remove_stale_temporaries,
    rng_states,
    set_rng_states,
    training_folder,
)

logger = logging.getLogger(__name__)

Loss = Literal["bce", "margin", "softmax"]

CHECKPOINT_FILE = "checkpoint.safetensors"
METRICS_FILE = "metrics.json"
MODEL_DIR = "model"
CHECKPOINT_FORMAT = 1

DEFAULT_EPOCHS = 12
DEFAULT_PATIENCE = 3
DEFAULT_BATCH_SIZE = 32768
DEFAULT_NUM_NEGATIVES = 512
DEFAULT_LR = 0.01

P = ParamSpec("P")
R = TypeVar("R")


@dataclass
class EmbedResult:
    """Outcome of :func:`train_graph_embedder`.

    Attributes:
        out_dir: Folder holding ``model/``, ``embeddings.safetensors``, ``embeddings.json``,
            ``metrics.json`` and ``checkpoint.safetensors``.
        config: The architecture.
        embeddings: ``[num_nodes, hidden_dim]`` embeddings of the best model, computed with
            message passing over the full graph.
        best_epoch: Epoch (1-based) of the best validation MRR.
        best_valid_mrr: That MRR.
        epochs_run: Epochs trained in total (all sessions).
        stopped_early: Whether patience ran out before ``epochs``.
        history: One dict per epoch: ``epoch``, ``loss``, ``valid_mrr``, ``seconds`` (wall
            clock) and ``cpu_seconds`` (process CPU time, all threads).
        test_metrics: Filtered metrics of the best model on the test triples (message
            passing over the training graph only).
    """

    out_dir: Path
    config: GraphEncoderConfig
    embeddings: Tensor
    best_epoch: int
    best_valid_mrr: float
    epochs_run: int
    stopped_early: bool
    history: list[dict[str, float]] = field(default_factory=list)
    test_metrics: dict[str, float] = field(default_factory=dict)

    @property
    def seconds_per_epoch(self) -> float:
        """Mean wall-clock seconds of an epoch (training and validation)."""
        if not self.history:
            return 0.0
        return sum(h["seconds"] for h in self.history) / len(self.history)


@dataclass
class _State:
    epoch: int = 0
    best_mrr: float = -1.0
    best_epoch: int = 0
    bad_epochs: int = 0
    finished: bool = False
    stopped_early: bool = False
    history: list[dict[str, float]] = field(default_factory=list)


@dataclass
class _Data:
    """The model of a run and the triples it trains, validates and tests on."""

    model: GraphEmbedder
    adjacency: Any
    candidates: dict[int, Tensor]
    split: EdgeSplit
    relations: list[str]
    given_split: bool
    fallback: dict[str, Any]
    train: Tensor
    valid: Tensor
    test: Tensor
    validate: bool


def _clone_state(model: torch.nn.Module, skip: set[str]) -> dict[str, Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items() if k not in skip}


def _load_partial(model: torch.nn.Module, tensors: dict[str, Tensor], skip: set[str]) -> None:
    """Load a state dict that lacks exactly the ``skip`` entries."""
    missing, unexpected = model.load_state_dict(tensors, strict=False)
    if unexpected or set(missing) - skip:
        raise ValueError(
            f"checkpoint does not match the model: missing {sorted(set(missing) - skip)}, "
            f"unexpected {sorted(unexpected)}"
        )


def _write_checkpoint(
    path: Path,
    model: torch.nn.Module,
    best: dict[str, Tensor],
    optimizer: torch.optim.Optimizer,
    sampler: torch.Generator,
    state: _State,
    run: dict[str, Any],
    skip: set[str],
) -> None:
    """Write the whole training state to ``path`` atomically (tensors + JSON header)."""
    tensors: dict[str, Tensor] = {}
    for k, v in model.state_dict().items():
        if k not in skip:
            tensors[f"model/{k}"] = v.detach().cpu().contiguous()
    for k, v in best.items():
        tensors[f"best/{k}"] = v.detach().cpu().contiguous()
    optim_tensors, optim_header = optimizer_entries(optimizer)
    tensors.update(optim_tensors)
    for name, rng in rng_states().items():  # the CPU's, and each GPU's (dropout there)
        tensors[f"rng/{name}"] = rng
    tensors["rng/sampler"] = sampler.get_state()
    header = {
        "format_version": CHECKPOINT_FORMAT,
        "run": run,
        "state": state.__dict__,
        "optimizer": optim_header,
    }
    atomic_save_tensors(tensors, path, {"kgfuse": json.dumps(header)})


def _read_checkpoint(path: Path) -> tuple[dict[str, Tensor], dict[str, Any]]:
    """The tensors and JSON header of a checkpoint.

    Raises:
        ValueError: the file is cut short or not a checkpoint of this trainer; names it.
    """
    tensors: dict[str, Tensor] = {}
    try:
        with safe_open(str(path), framework="pt") as handle:
            header = json.loads((handle.metadata() or {})["kgfuse"])
            for key in handle.keys():  # noqa: SIM118 - safe_open is not a mapping
                tensors[key] = handle.get_tensor(key)
        if not isinstance(header, dict) or not {"run", "state", "optimizer"} <= set(header):
            raise ValueError("its header lacks the run, state or optimizer")
    except (SafetensorError, OSError, ValueError, KeyError, TypeError) as err:
        raise ValueError(
            f"the graph embedding checkpoint {path} is damaged ({err!r}); delete it to "
            "train from the start (or pass resume=False)"
        ) from None
    return tensors, header


def _restore(
    tensors: dict[str, Tensor],
    header: dict[str, Any],
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    sampler: torch.Generator,
    skip: set[str],
) -> tuple[_State, dict[str, Tensor]]:
    def section(prefix: str) -> dict[str, Tensor]:
        return {k[len(prefix) :]: v for k, v in tensors.items() if k.startswith(prefix)}

    _load_partial(model, section("model/"), skip)
    best = section("best/")
    load_optimizer(optimizer, section("optim/"), header["optimizer"])
    set_rng_states({k: v for k, v in section("rng/").items() if k != "sampler"})
    sampler.set_state(tensors["rng/sampler"])
    return _State(**header["state"]), best


def _evaluate(
    model: GraphEmbedder,
    adjacency: Any,
    triples: Tensor,
    split: EdgeSplit,
    candidates: dict[int, Tensor],
) -> dict[str, float]:
    model.eval()
    device = next(model.parameters()).device

    def scores(head: Tensor, relation: Tensor, tails: Tensor) -> Tensor:  # on the CPU
        ids = (head.to(device), relation.to(device), tails.to(device))
        return model.score_all_tails(z, *ids).cpu()

    with torch.no_grad():
        z = model(adjacency)
        ranks = filtered_ranks(scores, triples, split.graph, candidates)
    return metrics(ranks)


def _holding_out_dir(train: Callable[P, R]) -> Callable[P, R]:
    """Run a trainer with its own random state and its output folder to itself.

    The trainer's ``torch.manual_seed`` and dropout run under
    :func:`torch.random.fork_rng`: the caller's global generator is left as it was (its
    model's init does not depend on whether embeddings were trained or read from a cache).
    A second run into the same ``out_dir`` waits for the first (a lock file), and the
    temporary files of a checkpoint save that a kill interrupted are removed.
    """
    signature = inspect.signature(train)

    @functools.wraps(train)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        out_dir = Path(signature.bind(*args, **kwargs).arguments["out_dir"])
        devices = list(range(torch.cuda.device_count())) if torch.cuda.is_available() else []
        # refused settings or data leave no new folder holding the lock alone
        with (
            training_folder(out_dir, wait=True),
            torch.random.fork_rng(devices=devices),
        ):
            remove_stale_temporaries(out_dir / CHECKPOINT_FILE)
            return train(*args, **kwargs)

    return run


@_holding_out_dir
def train_graph_embedder(
    graph: GraphTensors,
    config: GraphEncoderConfig,
    out_dir: str | Path,
    *,
    epochs: int = DEFAULT_EPOCHS,
    patience: int = DEFAULT_PATIENCE,
    batch_size: int = DEFAULT_BATCH_SIZE,
    lr: float = DEFAULT_LR,
    resume: bool = True,
    progress: bool = True,
    relations: list[str] | None = None,
    valid_frac: float = 0.05,
    test_frac: float = 0.05,
    num_negatives: int = DEFAULT_NUM_NEGATIVES,
    loss: Loss = "bce",
    margin: float = 1.0,
    weight_decay: float = 0.0,
    max_valid_triples: int | None = 2000,
    max_test_triples: int | None = 5000,
    text_features: Tensor | None = None,
    split: EdgeSplit | None = None,
    device: str | torch.device = "cpu",
) -> EmbedResult:
    """Train a :class:`~encoders.graph_model.GraphEmbedder` on ``graph`` by link prediction.

    The edges of ``relations`` are split (seed ``config.seed``) into train / valid / test;
    message passing and training see the training edges only. Each epoch runs over the
    training triples in batches (one full-graph encoder pass per batch), then measures the
    filtered MRR on the validation sample; training stops after ``patience`` epochs without
    improvement. At the end the best model is saved to ``out_dir/model`` and its embeddings,
    computed over the full graph, to ``out_dir/embeddings.safetensors`` with the node IRIs
    and the fingerprint (``embeddings.json``).

    The model's init is seeded from ``config.seed`` (:class:`GraphEmbedder`); training runs
    under a fork of the caller's global generator (:func:`_holding_out_dir`), which is left
    as it was. A second run into ``out_dir`` waits for the first.

    Args:
        graph (GraphTensors): The full KG.
        config (GraphEncoderConfig): Architecture and seed.
        out_dir (str or Path): Output folder (created).
        epochs (int, optional): Maximum number of epochs. (default: :obj:`12`)
        patience (int, optional): Epochs without validation improvement before stopping.
            (default: :obj:`3`)
        batch_size (int, optional): Positive triples per step. (default: :obj:`32768`)
        lr (float, optional): Adam learning rate. (default: :obj:`0.01`)
        resume (bool, optional): Continue from ``out_dir/checkpoint.safetensors`` when it
            exists; :obj:`False` starts over. (default: :obj:`True`)
        progress (bool, optional): Show a progress bar. (default: :obj:`True`)
        relations (list[str], optional): Relations to split and evaluate. (default:
            :obj:`None`, all)
        valid_frac (float, optional): Validation fraction. (default: :obj:`0.05`)
        test_frac (float, optional): Test fraction. (default: :obj:`0.05`)
        num_negatives (int, optional): Size of the shared pool of corrupted tails per node
            type and step (see :func:`~eval.linkpred.sample_negative_pools`).
            (default: :obj:`512`)
        loss (str, optional): ``"bce"``, ``"margin"`` or ``"softmax"``.
            (default: ``"bce"``)
        margin (float, optional): :math:`\\gamma` of the margin loss. (default: :obj:`1.0`)
        weight_decay (float, optional): Adam weight decay. (default: :obj:`0.0`)
        max_valid_triples (int, optional): Size of the fixed validation sample used each
            epoch; :obj:`None` uses all. (default: :obj:`2000`)
        max_test_triples (int, optional): Likewise for the final test; :obj:`None` uses all,
            ``0`` skips the test. (default: :obj:`5000`)
        text_features (torch.Tensor, optional): ``[num_nodes, text_dim]`` text embeddings,
            for ``config.features`` ``"text"`` or ``"both"``. (default: :obj:`None`)
        split (EdgeSplit, optional): A split of ``graph`` made by the caller (so that other
            models can be trained on the very same edges); it replaces ``relations``,
            ``valid_frac``, ``test_frac`` and the seed of the split. (default: :obj:`None`,
            split here)
        device (str or torch.device, optional): Where the model trains and validates
            (``cuda`` for a GPU); the negatives are drawn on the CPU either way, so a GPU
            run sees the same triples and pools, and the test and the saved embeddings are
            computed on the CPU. (default: ``"cpu"``)

    Raises:
        ValueError: A checkpoint in ``out_dir`` comes from a run with other settings, or
            the graph has no edge.
        KGMismatchError: A checkpoint in ``out_dir`` was trained on another KG, or
            ``split`` is a split of another KG.
    """
    _check_arguments(graph, loss, epochs, patience, batch_size, num_negatives)
    out_dir = Path(out_dir)  # made and held by the decorator
    data = _prepare_data(
        graph,
        config,
        split,
        relations,
        valid_frac=valid_frac,
        test_frac=test_frac,
        max_valid_triples=max_valid_triples,
        max_test_triples=max_test_triples,
        text_features=text_features,
    )
    model = data.model
    where = torch.device(device)
    if where.type != "cpu":
        model.to(where)
        data.adjacency = data.adjacency.to(where)
    skip = {"features.text_features"}  # an input of the run, not a trained state
    settings = {
        "valid_frac": valid_frac,
        "test_frac": test_frac,
        "batch_size": batch_size,
        "lr": lr,
        "num_negatives": num_negatives,
        "loss": loss,
        "margin": margin,
        "weight_decay": weight_decay,
        "max_valid_triples": max_valid_triples,
    }
    run = _run_record(graph, config, data, settings)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    sampler = torch.Generator().manual_seed(config.seed)
    torch.manual_seed(config.seed)  # dropout draws from the global generator
    state = _State()
    best = _clone_state(model, skip)
    checkpoint = out_dir / CHECKPOINT_FILE
    if resume and checkpoint.exists():
        state, best = _resume_from(checkpoint, graph, run, model, optimizer, sampler, skip)
        if state.finished and state.epoch < epochs:
            if state.stopped_early:
                logger.info(
                    "the run in %s stopped early after epoch %d; resume=False trains anew",
                    out_dir,
                    state.epoch,
                )
            else:  # it ran the epochs it was given: more epochs train on from its last
                state.finished = False

    bar = tqdm(
        total=epochs, initial=min(state.epoch, epochs), desc="graph embedding", disable=not progress
    )
    try:
        while not state.finished and state.epoch < epochs:
            clock = time.perf_counter(), time.process_time()
            mean_loss = _train_epoch(
                graph, data, optimizer, sampler, batch_size, num_negatives, loss, margin
            )
            best = _close_epoch(data, state, best, mean_loss, clock, patience, epochs, skip)
            _write_checkpoint(checkpoint, model, best, optimizer, sampler, state, run, skip)
            _log_epoch(state, data.validate, bar)
    finally:
        bar.close()
    if where.type != "cpu":  # tested and saved on the CPU, as a CPU run is
        model.cpu()
        data.adjacency = data.adjacency.to("cpu")

    result = _save_outputs(out_dir, graph, config, data, state, best, skip)
    _write_report(out_dir, run, result, data)
    return result


def _check_arguments(
    graph: GraphTensors, loss: str, epochs: int, patience: int, batch_size: int, num_negatives: int
) -> None:
    """Refuse an unknown loss, a count that is not positive, or a graph without edges."""
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; choices: {', '.join(LOSSES)}")
    if epochs < 1 or patience < 1 or batch_size < 1 or num_negatives < 1:
        raise ValueError("epochs, patience, batch_size and num_negatives must be positive")
    if graph.num_edges == 0:
        raise ValueError(
            "the KG has no triple between its concepts (no subClassOf or other relation) to "
            "learn graph embeddings from; a task on it can use model.fusion=text_only"
        )


def _prepare_data(
    graph: GraphTensors,
    config: GraphEncoderConfig,
    split: EdgeSplit | None,
    relations: list[str] | None,
    *,
    valid_frac: float,
    test_frac: float,
    max_valid_triples: int | None,
    max_test_triples: int | None,
    text_features: Tensor | None,
) -> _Data:
    """Split the edges (or check the given split), build the model, sample the eval triples."""
    given_split = split is not None
    if split is None:
        relations = list(graph.relation_names) if relations is None else list(relations)
        if not relations:
            raise ValueError(
                "relations is empty: name the relations whose edges train and validate the "
                "embeddings, or pass None for every relation"
            )
        split = split_edges(graph, relations, valid_frac, test_frac, seed=config.seed)
    elif split.graph.fingerprint != graph.fingerprint:
        raise KGMismatchError("edge split", split.graph.fingerprint, graph.fingerprint)
    else:
        relations = list(split.relations)
    model = GraphEmbedder.from_graph(config, graph, text_features=text_features)
    adjacency = model.prepare(split.train_graph)
    candidates = candidates_of(graph)
    fallback: dict[str, Any] = {}
    if split.valid.size(0) == 0:
        if given_split:
            raise ValueError("the given edge split has no validation triples")
        split, fallback = _small_graph_split(graph, list(relations), valid_frac, test_frac, config)
        adjacency = model.prepare(split.train_graph)
    train = split.train  # the loss never sees a held-out triple
    validate = split.valid.size(0) > 0
    valid = sample_triples(split.valid, max_valid_triples, config.seed + 1)
    test = sample_triples(split.test, max_test_triples, config.seed + 2)
    return _Data(
        model=model,
        adjacency=adjacency,
        candidates=candidates,
        split=split,
        relations=relations,
        given_split=given_split,
        fallback=fallback,
        train=train,
        valid=valid,
        test=test,
        validate=validate,
    )


def _run_record(
    graph: GraphTensors, config: GraphEncoderConfig, data: _Data, settings: dict[str, Any]
) -> dict[str, Any]:
    """The settings of a run, which a checkpoint must share to be resumed."""
    run: dict[str, Any] = {
        "config": config.to_dict(),
        "fingerprint": graph.fingerprint,
        "num_nodes": graph.num_nodes,
        "num_edges": graph.num_edges,
        "relations": data.relations,
        **settings,
    }
    if data.given_split:
        # the train graph's fingerprint names the relations, fractions and seed of the split
        run.update(valid_frac=None, test_frac=None, split=data.split.train_graph.fingerprint)
    run.update(data.fallback)  # only where the graph is too small for valid_frac
    return run


def _resume_from(
    checkpoint: Path,
    graph: GraphTensors,
    run: dict[str, Any],
    model: GraphEmbedder,
    optimizer: torch.optim.Optimizer,
    sampler: torch.Generator,
    skip: set[str],
) -> tuple[_State, dict[str, Tensor]]:
    """Restore the training state from the checkpoint of a run with the same settings."""
    tensors, header = _read_checkpoint(checkpoint)
    old = header["run"]
    if old.get("fingerprint") != graph.fingerprint:
        raise KGMismatchError(
            f"checkpoint {checkpoint}", str(old.get("fingerprint")), graph.fingerprint
        )
    differ = sorted(k for k in set(run) | set(old) if run.get(k) != old.get(k))
    if differ:
        raise ValueError(
            f"{checkpoint} was written by a run with other settings ({', '.join(differ)}); "
            "pass resume=False to start over"
        )
    try:
        state, best = _restore(tensors, header, model, optimizer, sampler, skip)
    except (KeyError, TypeError, ValueError, RuntimeError) as err:
        raise ValueError(
            f"the graph embedding checkpoint {checkpoint} cannot be resumed ({err!r}); "
            "delete it to train from the start (or pass resume=False)"
        ) from None
    logger.info("resuming from %s after epoch %d", checkpoint, state.epoch)
    return state, best


def _train_epoch(
    graph: GraphTensors,
    data: _Data,
    optimizer: torch.optim.Optimizer,
    sampler: torch.Generator,
    batch_size: int,
    num_negatives: int,
    loss: Loss,
    margin: float,
) -> float:
    """Train one epoch over the training triples in batches; return the mean loss."""
    model, train = data.model, data.train
    device = next(model.parameters()).device
    model.train()
    total, seen = 0.0, 0
    for idx in torch.randperm(train.size(0), generator=sampler).split(batch_size):
        triples = train[idx]
        # drawn on the CPU (the sampler's stream is the same wherever the model trains)
        pools = sample_negative_pools(
            triples[:, 2], graph.node_type, data.candidates, num_negatives, sampler
        )
        h, r, t = triples.to(device).unbind(1)
        pools = [(rows.to(device), pool.to(device)) for rows, pool in pools]
        z = model(data.adjacency)
        pos_score = model.score(z, h, r, t)
        neg_score, neg_mask = pooled_negative_scores(
            partial(model.score_all_tails, z), h, r, t, pools
        )
        step_loss = link_prediction_loss(pos_score, neg_score, neg_mask, loss, margin)
        optimizer.zero_grad()
        step_loss.backward()
        optimizer.step()
        total += float(step_loss.detach()) * idx.numel()
        seen += idx.numel()
    return total / max(seen, 1)


def _close_epoch(
    data: _Data,
    state: _State,
    best: dict[str, Tensor],
    mean_loss: float,
    clock: tuple[float, float],
    patience: int,
    epochs: int,
    skip: set[str],
) -> dict[str, Tensor]:
    """Validate a trained epoch and record it in ``state``; return the best model's weights."""
    start, cpu_start = clock
    state.epoch += 1
    record: dict[str, float] = {"epoch": state.epoch, "loss": mean_loss}
    if data.validate:
        scores = _evaluate(data.model, data.adjacency, data.valid, data.split, data.candidates)
        valid_mrr = record["valid_mrr"] = scores["mrr"]
        if valid_mrr > state.best_mrr:
            state.best_mrr, state.best_epoch, state.bad_epochs = valid_mrr, state.epoch, 0
            best = _clone_state(data.model, skip)
        else:
            state.bad_epochs += 1
    else:  # nothing to validate on: every epoch runs, the last one is kept
        state.best_epoch = state.epoch
        best = _clone_state(data.model, skip)
    seconds = time.perf_counter() - start
    record.update(seconds=seconds, cpu_seconds=time.process_time() - cpu_start)
    state.history.append(record)
    if state.bad_epochs >= patience:
        state.finished = state.stopped_early = True
    elif state.epoch >= epochs:
        state.finished = True
    return best


def _log_epoch(state: _State, validate: bool, bar: tqdm) -> None:
    """Log the epoch just recorded in ``state`` and advance the progress bar."""
    record = state.history[-1]
    if validate:
        logger.info(
            "epoch %d: loss %.4f, valid MRR %.4f (best %.4f at %d), %.1f s",
            state.epoch,
            record["loss"],
            record["valid_mrr"],
            state.best_mrr,
            state.best_epoch,
            record["seconds"],
        )
    else:
        logger.info(
            "epoch %d: loss %.4f (no validation), %.1f s",
            state.epoch,
            record["loss"],
            record["seconds"],
        )
    bar.update(1)
    shown = {"mrr": f"{record['valid_mrr']:.4f}"} if validate else {}
    bar.set_postfix(loss=f"{record['loss']:.4f}", **shown)


def _save_outputs(
    out_dir: Path,
    graph: GraphTensors,
    config: GraphEncoderConfig,
    data: _Data,
    state: _State,
    best: dict[str, Tensor],
    skip: set[str],
) -> EmbedResult:
    """Load the best model, test it, and save it with its embeddings over the full graph."""
    model = data.model
    _load_partial(model, best, skip)
    test_metrics = (
        _evaluate(model, data.adjacency, data.test, data.split, data.candidates)
        if data.test.numel()
        else {}
    )
    embeddings = model.embed(graph)
    model.save(out_dir / MODEL_DIR)
    save_node_embeddings(
        out_dir,
        embeddings,
        graph,
        extra={"config": config.to_dict(), "best_epoch": state.best_epoch},
    )
    return EmbedResult(
        out_dir=out_dir,
        config=config,
        embeddings=embeddings,
        best_epoch=state.best_epoch,
        best_valid_mrr=state.best_mrr,
        epochs_run=state.epoch,
        stopped_early=state.stopped_early,
        history=state.history,
        test_metrics=test_metrics,
    )


def _write_report(out_dir: Path, run: dict[str, Any], result: EmbedResult, data: _Data) -> None:
    """Write ``metrics.json`` (settings, outcome, history) and log the end of the run."""
    report = {
        "run": run,
        "best_epoch": result.best_epoch,
        "best_valid_mrr": result.best_valid_mrr if data.validate else None,
        "epochs_run": result.epochs_run,
        "stopped_early": result.stopped_early,
        "seconds_per_epoch": result.seconds_per_epoch,
        "test": result.test_metrics,
        "num_valid_triples": int(data.valid.size(0)),
        "num_test_triples": int(data.test.size(0)),
        "history": result.history,
    }
    atomic_write_text(json.dumps(report, indent=2), out_dir / METRICS_FILE)
    logger.info(
        "graph embedding done: best valid MRR %.4f, test %s",
        result.best_valid_mrr,
        result.test_metrics,
    )


def _small_graph_split(
    graph: GraphTensors,
    relations: list[str],
    valid_frac: float,
    test_frac: float,
    config: GraphEncoderConfig,
) -> tuple[EdgeSplit, dict[str, Any]]:
    """The split of a graph too small for ``valid_frac`` (no relation has enough triples for
    it to round to one): one validation triple from each relation of two or more, else
    none (training then runs every epoch without early stopping and keeps the last), with
    a warning either way. Also the run settings that say so (checkpoints of another split
    are not resumed)."""
    split = split_edges(graph, relations, valid_frac, test_frac, seed=config.seed, min_valid=1)
    if split.valid.size(0):
        logger.warning(
            "the KG is too small for %.0f%% of each relation's triples to give a validation "
            "triple (%d triples in all): one triple of each relation with two or more is "
            "held out for validation (%d), which is a weak signal for early stopping",
            100 * valid_frac,
            graph.num_edges,
            split.valid.size(0),
        )
        # "held_out": checkpoints of before trained on the held-out triple too; not resumed
        return split, {"min_valid": 1, "held_out": "from training"}
    logger.warning(
        "the KG is too small to hold out a validation triple (%d triples, no relation with "
        "two or more): the graph embeddings train for every epoch without validation or early "
        "stopping, and the last epoch's are kept",
        graph.num_edges,
    )
    return split, {"min_valid": 1, "validation": False}
