"""What every training run shares, whatever its task: how a process starts, how the model is
fitted into its output folder, and what the run measured.

:mod:`train.diagnosis` and :mod:`train.task_training` each prepare their own data and model;
from there on they train, record and report the same way, through these helpers.
"""

from __future__ import annotations

import math
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import torch

from encoders.text import encoder_folder
from fusion.blas import limit_blas_threads
from fusion.model import KgFusionPreTrainedModel
from fusion.retrieval import FactIndex
from train.config import FusedModelSection, TrainSection
from train.distributed import DistributedContext
from train.loop import Evaluate, LoopResult, build_optimizer, device_label, fit

__all__ = [
    "CHECKPOINT",
    "TrainRunResult",
    "fit_into_folder",
    "fused_model_settings",
    "new_fused_model",
    "run_measures",
    "start_run",
    "trained_on",
]

#: The checkpoint file of a run, in its output folder.
CHECKPOINT = "checkpoint.safetensors"
#: The TensorBoard log folder of a run, in its output folder.
LOG_DIR = "tensorboard"

_M = TypeVar("_M", bound=KgFusionPreTrainedModel)


@dataclass(kw_only=True)
class TrainRunResult:
    """What any training run produced and measured (the task's results add their own)."""

    output: Path
    epochs: int
    steps: int
    best_valid: dict[str, float]
    history: list[dict[str, float]] = field(default_factory=list)
    #: this session's wall clock
    seconds: float = 0.0
    #: what the sessions before a resume spent (0 for a run from the start)
    seconds_before: float = 0.0
    peak_rss_mb: float = 0.0
    processes: int = 1
    #: examples (patients, texts) per second in the training steps, all processes together
    throughput: float = math.nan
    #: what ended the run: ``steps``, ``time budget``, ``early stopping`` or ``epochs``
    stopped_by: str = "epochs"
    #: where this session's training steps ran (``cpu``, ``cuda:0 (its name)``)
    device: str = "cpu"
    #: their precision: ``fp32``, or ``bf16`` autocast
    precision: str = "fp32"


def start_run(settings: TrainSection) -> float:
    """Set up this process for a run: the same BLAS numbers in every process
    (:mod:`fusion.blas`), ``settings.num_threads`` torch threads when set, the seed.

    Returns:
        ``time.perf_counter()`` at the start, from which the run's time budget counts.
    """
    limit_blas_threads()
    started = time.perf_counter()
    if settings.num_threads:
        torch.set_num_threads(settings.num_threads)
    torch.manual_seed(settings.seed)
    return started


def fit_into_folder(
    model: torch.nn.Module,
    settings: TrainSection,
    out: Path,
    *,
    num_examples: int,
    processes: int,
    make_batch: Callable[[list[int], int], dict[str, torch.Tensor]],
    evaluate: Evaluate | None,
    select: str,
    started: float,
    resume: bool,
    progress: bool,
    bf16: bool,
    skip: set[str],
    fingerprint: str,
    distributed: DistributedContext | None,
    on_epoch: Callable[[list[dict[str, float]]], None] | None,
) -> LoopResult:
    """Build the optimizer and train ``model`` with :func:`train.loop.fit`, checkpointing into
    ``out/checkpoint.safetensors`` and logging into ``out/tensorboard``; the arguments are
    :func:`~train.loop.fit`'s."""
    optimizer, scheduler, total_steps, steps_per_epoch = build_optimizer(
        model, settings, num_examples, processes
    )
    return fit(
        model,
        optimizer,
        scheduler,
        settings=settings,
        num_examples=num_examples,
        make_batch=make_batch,
        evaluate=evaluate,
        select=select,
        checkpoint=out / CHECKPOINT,
        total_steps=total_steps,
        steps_per_epoch=steps_per_epoch,
        started=started,
        resume=resume,
        progress=progress,
        bf16=bf16,
        skip=skip,
        log_dir=out / LOG_DIR,
        distributed=distributed,
        on_epoch=on_epoch,
        fingerprint=fingerprint,
    )


def trained_on(model: torch.nn.Module, bf16: bool) -> tuple[str, str]:
    """Where ``model``'s training steps ran (its device, named) and in what precision."""
    return device_label(next(model.parameters()).device), "bf16" if bf16 else "fp32"


def run_time(result: TrainRunResult, unit: str = "min") -> str:
    """This session's time, and the run's in all after a resume: ``5.2 min`` or ``1.1 min
    (5.3 min in all, with the sessions before the resume)``."""
    scale = 60.0 if unit == "min" else 1.0
    said = f"{result.seconds / scale:.1f} {unit}"
    if result.seconds_before > 0:
        total = (result.seconds + result.seconds_before) / scale
        said += f" ({total:.1f} {unit} in all, with the sessions before the resume)"
    return said


def run_measures(
    state: dict[str, Any], started: float, processes: int, where: tuple[str, str]
) -> dict[str, Any]:
    """The :class:`TrainRunResult` fields but ``output``, from the loop's final ``state``,
    the run's start (``started``), its ``processes`` and :func:`trained_on` (``where``)."""
    return {
        "epochs": state["epoch"],
        "steps": state["global_step"],
        "best_valid": state["best"],
        "history": state["history"],
        "seconds": time.perf_counter() - started,
        "seconds_before": float(state.get("seconds_before_resume", 0.0)),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "processes": processes,
        "throughput": state.get("train_examples", 0) / max(state.get("train_seconds", 0.0), 1e-9),
        "stopped_by": state.get("stopped_by", "epochs"),
        "device": where[0],
        "precision": where[1],
    }


def fused_model_settings(
    section: FusedModelSection,
    node_embeddings: torch.Tensor,
    fact_index: FactIndex | None,
    kg_fingerprint: str,
) -> dict[str, Any]:
    """The config fields that every fused model takes from its model ``section`` and the
    KG's resources (a task adds its own: candidates, labels ...)."""
    return {
        "fusion": section.fusion,
        "fusion_layers": section.fusion_layers,
        "freeze_layers": section.freeze_layers,
        "num_nodes": node_embeddings.shape[0],
        "node_dim": node_embeddings.shape[1],
        "fact_dim": fact_index.dim if fact_index is not None else 128,
        "num_facts": section.num_facts,
        "hidden_dim": section.hidden_dim,
        "dropout": section.dropout,
        "kg_fingerprint": kg_fingerprint,
    }


def new_fused_model(
    model_class: type[_M],
    section: FusedModelSection,
    settings: dict[str, Any],
    node_embeddings: torch.Tensor,
) -> tuple[_M, Any]:
    """A new ``model_class`` of config ``settings`` (and its tokenizer: None for ``kg_only``,
    which reads no text) around the local text encoder ``section.encoder``, with the KG's
    graph embeddings copied into its buffer."""
    tokenizer = None
    if section.fusion == "kg_only":
        model = model_class(model_class.config_class(**settings))
    else:
        from transformers import AutoTokenizer

        path = encoder_folder(section.encoder)
        model = model_class.from_text_encoder(path, settings)
        tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
    model.kgfusion.node_embeddings.copy_(node_embeddings)  # type: ignore[union-attr,operator]
    return model, tokenizer
