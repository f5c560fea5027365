"""The training loop shared by every head of the fused model (diagnosis, text and tokens).

:func:`fit` runs seeded epochs over a dataset given as a batch function, validates after
each epoch, keeps the best weights, stops early, shows a progress bar, and checkpoints the
whole state atomically (``train.checkpoint``) every few steps, so a killed run resumes
exactly where it stopped (bit for bit with the same number of threads: another
``train.num_threads`` sums floats in another order). The checkpoint also keeps what the
history and the time budget need: the interrupted epoch's running loss, examples and
seconds, and the seconds spent before the resume (``train.max_minutes`` counts them).
:func:`build_optimizer` gives the encoder its own (smaller) learning rate;
:func:`save_model_folder` writes a model folder in one swap.
"""

from __future__ import annotations

import json
import logging
import math
import os
import shutil
import time
from collections.abc import Callable
from contextlib import closing, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import Tensor

from encoders.text import quiet_transformers
from kg.atomic import give_new_file_modes, sync_to_disk, sync_tree
from train.checkpoint import (
    checkpoint_state,
    remove_stale_temporaries,
    restore_checkpoint,
    rng_states,
    write_checkpoint,
)
from train.config import TrainSection
from train.distributed import (
    DistributedContext,
    any_rank,
    broadcast_from_main,
    epoch_indices,
    gather_from_ranks,
    is_main,
    mean_over_ranks,
    shard_batch_size,
    to_device,
    world_size,
    wrap_model,
)
from train.distributed import steps_per_epoch as count_steps
from train.result_json import RESULT_FILE

if TYPE_CHECKING:
    from rich.progress import Progress
    from torch.utils.tensorboard import SummaryWriter

logger = logging.getLogger(__name__)

__all__ = [
    "LinearSchedule",
    "LoopResult",
    "autocast",
    "build_optimizer",
    "device_label",
    "fit",
    "save_model_folder",
    "tensorboard",
    "training_device",
    "use_bf16",
]

#: Parameters under this prefix are the pretrained text encoder's (own learning rate).
ENCODER_PREFIX = "kgfusion.encoder."

#: ``evaluate()`` returns the validation metrics and anything the caller wants back for the
#: best epoch (e.g. its logits, for calibration).
Evaluate = Callable[[], tuple[dict[str, float], Any]]

#: Steps between two re-plannings of a schedule fitted to a time budget.
BUDGET_REPLAN_STEPS = 5
#: Weight of the newest step in the moving average of the step time.
BUDGET_PACE_SMOOTHING = 0.2
#: Share of the remaining budget a fitted schedule plans steps for (the rest absorbs noise).
BUDGET_SAFETY = 0.95


class LinearSchedule:
    """Learning-rate factor of step ``s``: linear warm-up over ``warmup`` steps, then linear
    decay to 0 at step ``horizon`` (at first ``total``, the steps planned).

    A callable object rather than a lambda so that ``LambdaLR.state_dict()`` saves its
    attributes: a horizon fitted to a time budget (:meth:`fit_horizon`) survives a resume.
    """

    def __init__(self, warmup: int, total: int) -> None:
        self.warmup = int(warmup)
        self.total = int(total)
        self.horizon = int(total)

    def __call__(self, step: int) -> float:
        rise = min(1.0, (step + 1) / max(1, self.warmup))
        return rise * max(0.0, 1.0 - step / max(1, self.horizon))

    def fit_horizon(self, horizon: int) -> bool:
        """Decay to 0 by step ``horizon`` instead (never past ``total``); True if it moved."""
        horizon = min(self.total, max(1, int(horizon)))
        moved = horizon != self.horizon
        self.horizon = horizon
        return moved


def _budget_horizon(
    done: int, step_seconds: float, remaining_seconds: float, safety: float = BUDGET_SAFETY
) -> int:
    """The global step a run reaches by its deadline: ``done`` plus the steps that fit into
    ``safety`` of the remaining seconds at the measured seconds per step."""
    if step_seconds <= 0:
        return done + 1
    return done + max(1, int(safety * max(0.0, remaining_seconds) / step_seconds))


class CheckpointMismatchError(ValueError):
    """A checkpoint was written by a run with other settings; it is not resumed."""


@dataclass
class LoopResult:
    """The loop's final state and what ``evaluate`` returned for the best epoch of this run
    (None when that epoch ran before a resume, or without validation)."""

    state: dict[str, Any]
    best_payload: Any = None


def training_device(name: str = "auto") -> torch.device:
    """Where one training process runs (``train.device``): ``auto`` takes the current CUDA
    GPU when one is present, else the CPU; ``cpu``, ``cuda`` or ``cuda:N`` as named.

    Raises:
        ValueError: a CUDA device is named where torch sees none, or not that one.
    """
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cpu":
        return torch.device("cpu")
    if not name.startswith("cuda"):
        raise ValueError(f"train.device={name!r}: choose auto, cpu, cuda or cuda:N")
    if not torch.cuda.is_available():
        build = "a CPU build" if torch.version.cuda is None else f"CUDA {torch.version.cuda}"
        raise ValueError(
            f"train.device={name!r}, but torch ({torch.__version__}, {build}) sees no CUDA "
            "GPU here; use train.device=auto or cpu"
        )
    device = torch.device(name)
    index = torch.cuda.current_device() if device.index is None else device.index
    if index >= torch.cuda.device_count():
        raise ValueError(
            f"train.device={name!r}, but torch sees {torch.cuda.device_count()} CUDA GPU(s) "
            f"here (cuda:0 to cuda:{torch.cuda.device_count() - 1})"
        )
    return torch.device("cuda", index)


def device_label(device: torch.device) -> str:
    """``device`` as a training record names it: ``cpu``, or ``cuda:0 (NVIDIA H200)``."""
    if device.type != "cuda":
        return str(device)
    index = torch.cuda.current_device() if device.index is None else device.index
    return f"cuda:{index} ({torch.cuda.get_device_name(index)})"


def use_bf16(precision: str, device: torch.device | None = None) -> bool:
    """Whether training on ``device`` (default: the CPU) runs under bf16 autocast: ``bf16``,
    or ``auto`` on a CPU that computes bf16 in hardware (AMX or AVX512-BF16:
    :func:`encoders.text.bf16_is_native`; a training step of the quickstart recipe took
    0.67x the fp32 time on an AVX512-BF16 host). ``auto`` on a GPU is fp32: there the
    quickstart recipe's model is too small for bf16 to pay for its casts (an H200 trained
    0.83x as many patients a second under bf16 autocast as in fp32, ``kgfuse bench
    model``). Losses, the head's scores and the optimizer stay fp32.

    Raises:
        ValueError: ``bf16`` asked for on a GPU that does not compute it (autocast would fail
            at the first step).
    """
    from encoders.text import bf16_is_native

    device = torch.device("cpu") if device is None else device
    if precision == "bf16" and device.type == "cuda" and not torch.cuda.is_bf16_supported():
        raise ValueError(
            f"train.precision=bf16, but {device_label(device)} does not compute bf16; use "
            "auto or fp32 there"
        )
    if precision != "auto":
        return precision == "bf16"
    return device.type == "cpu" and bf16_is_native(device)


def autocast(enabled: bool, device: torch.device | None = None) -> torch.autocast:
    """bf16 autocast on ``device``'s kind (default: the CPU) when ``enabled`` (a no-op context
    otherwise)."""
    kind = "cpu" if device is None else device.type
    return torch.autocast(kind, dtype=torch.bfloat16, enabled=enabled)


def tensorboard(folder: Path, purge_step: int | None = None) -> SummaryWriter | None:
    """A TensorBoard writer into ``folder``, or None when tensorboard is not installed.

    ``purge_step``: TensorBoard hides the events of earlier writers at this step and later
    (those of a killed run's steps that a resumed run logs again)."""
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        logger.info("tensorboard is not installed: no TensorBoard logs")
        return None
    return SummaryWriter(str(folder), purge_step=purge_step)


def build_optimizer(
    model: torch.nn.Module, settings: TrainSection, num_examples: int, processes: int = 1
) -> tuple[torch.optim.Optimizer, Any, int, int]:
    """AdamW with two learning rates and linear warm-up then decay (:class:`LinearSchedule`).

    ``processes`` share each global batch of ``settings.batch_size`` (``train.distributed``).

    Returns:
        The optimizer, the scheduler, the total number of steps and the steps per epoch.
    """
    t = settings
    encoder_params: list[torch.nn.Parameter] = []
    other_params: list[torch.nn.Parameter] = []
    for name, param in model.named_parameters():
        if param.requires_grad:
            (encoder_params if name.startswith(ENCODER_PREFIX) else other_params).append(param)
    groups: list[dict[str, Any]] = [{"params": other_params, "lr": t.lr}]
    if encoder_params:
        groups.append({"params": encoder_params, "lr": t.encoder_lr})
    optimizer = torch.optim.AdamW(groups, weight_decay=t.weight_decay)
    steps_per_epoch = count_steps(num_examples, t.batch_size, processes)
    total_steps = steps_per_epoch * t.epochs
    if t.max_steps:
        total_steps = min(total_steps, t.max_steps)
    warmup = int(total_steps * t.warmup_fraction)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, LinearSchedule(warmup, total_steps))
    return optimizer, scheduler, total_steps, steps_per_epoch


def _fresh_state(fingerprint: str | None) -> dict[str, Any]:
    """The loop's state before its first step."""
    return {
        "epoch": 0,
        "step_in_epoch": 0,
        "global_step": 0,
        "best_score": -math.inf,
        "bad_epochs": 0,
        "history": [],
        "best": {},
        "done": False,
        "fingerprint": fingerprint,
    }


def _resume(
    checkpoint: Path,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: Any,
    *,
    skip: set[str],
    fingerprint: str | None,
    distributed: DistributedContext | None,
) -> tuple[dict[str, Any], dict[str, Tensor]]:
    """The state and best weights that ``checkpoint`` holds, restored into the model,
    optimizer, scheduler and random generators.

    Raises:
        CheckpointMismatchError: it was written by a run with another ``fingerprint``.
    """
    # the settings first: weights of another run may not even fit this model
    written_by = checkpoint_state(checkpoint).get("fingerprint")  # None: before them
    if fingerprint and written_by and written_by != fingerprint:
        raise CheckpointMismatchError(
            f"{checkpoint} was written by a run with other settings, data or KG "
            f"(fingerprint {written_by[:12]}, these {fingerprint[:12]}): rerun with what "
            "it started with, choose another output folder, or pass --no-resume to start "
            "over"
        )
    state, best_weights = restore_checkpoint(
        checkpoint,
        model,
        optimizer,
        scheduler=scheduler,
        skip=skip,
        rank=distributed.rank if distributed is not None else 0,
    )
    if "best_mrr" in state:  # checkpoints of the diagnosis loop before it was shared
        state["best_score"] = state.pop("best_mrr")
    state["fingerprint"] = fingerprint
    logger.info(
        "resumed from %s at epoch %d step %d", checkpoint, state["epoch"], state["step_in_epoch"]
    )
    return state, best_weights


def _progress_bar(show: bool) -> Progress:
    """The training progress bar (rich), shown when ``show``."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    columns = [
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TextColumn("{task.fields[info]}"),
        TimeRemainingColumn(),
    ]
    return Progress(*columns, disable=not show, transient=False)


@dataclass
class _Run:
    """One call of :func:`fit`: the state that its checkpoints keep, the best weights, the
    time budget, and the pace of its steps (for a schedule fitted to the budget)."""

    model: torch.nn.Module
    optimizer: torch.optim.Optimizer
    scheduler: Any
    settings: TrainSection
    checkpoint: Path
    skip: set[str]
    distributed: DistributedContext | None
    total_steps: int
    started: float
    state: dict[str, Any]
    best_weights: dict[str, Tensor]
    #: seconds that the sessions before a resume spent (the budget counts them)
    spent_before: float = 0.0
    deadline: float | None = None
    #: the schedule fitted to the time budget, when asked for (None: the planned steps hold)
    budget_schedule: LinearSchedule | None = None
    best_payload: Any = None
    last_step_end: float = 0.0
    step_seconds: float = 0.0
    run_steps: int = 0
    #: names of the parameters the best weights keep
    trainable: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        t = self.settings
        self.spent_before = float(self.state.get("elapsed_seconds", 0.0))
        if t.max_minutes:
            self.deadline = self.started + t.max_minutes * 60 - self.spent_before
        if self.deadline is not None and t.anneal_to_budget:
            schedules = getattr(self.scheduler, "lr_lambdas", ())
            self.budget_schedule = next(
                (f for f in schedules if isinstance(f, LinearSchedule)), None
            )
        self.trainable = {n for n, p in self.model.named_parameters() if p.requires_grad}
        self.last_step_end = time.perf_counter()

    def planned_steps(self) -> int:
        """The steps the run stops after: the planned ones, or fewer fitted to the budget."""
        if self.budget_schedule is None:
            return self.total_steps
        return min(self.total_steps, self.budget_schedule.horizon)

    def save(self) -> None:
        """Write the checkpoint (rank 0; every rank's random states in it)."""
        state = self.state
        state["elapsed_seconds"] = self.spent_before + time.perf_counter() - self.started
        # every rank's random states: ranks draw differently (batches of other shapes)
        rng = gather_from_ranks(rng_states(), self.distributed)
        if not is_main(self.distributed):
            return
        write_checkpoint(
            self.checkpoint,
            self.model,
            self.optimizer,
            state,
            extra=self.best_weights,
            scheduler=self.scheduler,
            skip=self.skip,
            rank_rng=rng,
        )

    def out_of_budget(self) -> bool:
        """Whether the step or time budget ends the run before its next step (then marks it
        done and says why)."""
        state = self.state
        if state["global_step"] >= self.planned_steps():
            state["done"] = True
            # a horizon fitted to the time budget is the budget's doing
            fitted = self.planned_steps() < self.total_steps
            state["stopped_by"] = "time budget" if fitted else "steps"
            return True
        if self.deadline and any_rank(time.perf_counter() > self.deadline, self.distributed):
            state["done"], state["stopped_by"] = True, "time budget"
            if self.budget_schedule is None:
                logger.warning(
                    "the time budget (train.max_minutes=%s) stopped training at step "
                    "%d of %d planned: the learning rate had not decayed to 0, and "
                    "another run may stop at another step (train.max_steps bounds a "
                    "run that reproduces from its seed)",
                    self.settings.max_minutes,
                    state["global_step"],
                    self.total_steps,
                )
            return True
        return False

    def step(self, net: torch.nn.Module, batch: dict[str, Tensor], bf16: bool) -> float:
        """One optimizer step on ``batch``; its loss.

        Raises:
            FloatingPointError: the loss is not finite on some rank (the run diverged); the
                last checkpoint stays as it was, and no model is saved.
        """
        with autocast(bf16, next(self.model.parameters()).device):
            loss = net(**batch).loss
        if any_rank(not bool(torch.isfinite(loss.detach())), self.distributed):
            rates = ", ".join(f"{g['lr']:.3g}" for g in self.optimizer.param_groups)
            raise FloatingPointError(
                f"the training loss is {float(loss.detach())} at step "
                f"{self.state['global_step'] + 1}: the run diverged (learning rates {rates}); "
                "lower train.lr or train.encoder_lr and train again (--no-resume)"
            )
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_([p for p in self.model.parameters() if p.requires_grad], 1.0)
        self.optimizer.step()
        self.scheduler.step()
        return float(loss.detach())

    def replan(self) -> bool:
        """Refit the schedule to the time left; True when the planned steps moved.

        Decays the learning rate to 0 by the deadline rather than stopping on a
        half-decayed schedule: plans the steps that fit into the time left at the recent
        pace (a moving average of the step time), re-planned every few steps."""
        if self.budget_schedule is None or self.deadline is None:
            return False
        now = time.perf_counter()
        took, self.last_step_end = now - self.last_step_end, now
        smoothing = 1.0 if self.run_steps == 1 else BUDGET_PACE_SMOOTHING
        self.step_seconds += smoothing * (took - self.step_seconds)
        if self.run_steps % BUDGET_REPLAN_STEPS:
            return False
        horizon = _budget_horizon(self.state["global_step"], self.step_seconds, self.deadline - now)
        horizon = broadcast_from_main(horizon, self.distributed)  # ranks agree
        moved = self.budget_schedule.fit_horizon(horizon)
        self.state["schedule_horizon"] = self.planned_steps()
        return moved

    def end_epoch(
        self, epoch: int, metrics: dict[str, float], payload: Any, select: str | None
    ) -> dict[str, float]:
        """Record the epoch in the history, keep the best weights, count patience, save.

        ``select``: the metric to maximise; None keeps no best weights (no validation)."""
        state = self.state
        steps_run = state.get("epoch_loss_steps", 0)
        loss_mean = state.get("epoch_loss_sum", 0.0) / steps_run if steps_run else math.nan
        record = {"epoch": epoch + 1, "loss": mean_over_ranks(loss_mean, self.distributed)}
        record.update(metrics)
        state["history"].append(record)
        logger.info("epoch %d: %s", epoch + 1, record)
        if select is not None:
            if metrics[select] > state["best_score"]:
                state["best_score"], state["best"], state["bad_epochs"] = (
                    metrics[select],
                    metrics,
                    0,
                )
                self.best_weights = {
                    n: p.detach().clone()
                    for n, p in self.model.named_parameters()
                    if n in self.trainable
                }
                self.best_payload = payload
            else:
                state["bad_epochs"] += 1
                if state["bad_epochs"] >= self.settings.patience:
                    state["done"], state["stopped_by"] = True, "early stopping"
        state["epoch"] = epoch + 1
        state["step_in_epoch"] = 0
        self.save()
        return record


def fit(
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: Any,
    *,
    settings: TrainSection,
    num_examples: int,
    make_batch: Callable[[list[int], int], dict[str, Tensor]],
    evaluate: Evaluate | None,
    select: str,
    checkpoint: Path,
    total_steps: int,
    steps_per_epoch: int,
    started: float | None = None,
    resume: bool = True,
    progress: bool = True,
    bf16: bool = False,
    skip: set[str] = frozenset(),  # type: ignore[assignment]
    distributed: DistributedContext | None = None,
    on_epoch: Callable[[list[dict[str, float]]], None] | None = None,
    fingerprint: str | None = None,
    log_dir: Path | None = None,
) -> LoopResult:
    """Train ``model`` (resuming from ``checkpoint`` when asked) and load its best weights.

    Args:
        model: returns an output with ``.loss`` for ``model(**batch)``; one process trains
            it where it is (the callers move it to :func:`training_device` first), DDP on
            its rank's device. Batches are moved there.
        optimizer, scheduler: from :func:`build_optimizer`.
        settings: epochs, batch size, patience, checkpoint interval, budgets, seed.
        num_examples: size of the training set.
        make_batch: ``(example indices, epoch) -> batch``.
        evaluate: validation after each epoch; None trains every epoch and keeps the last
            weights.
        select: the metric of ``evaluate`` to maximise (best weights, early stopping).
        checkpoint: the checkpoint file.
        total_steps, steps_per_epoch: from :func:`build_optimizer`.
        started: ``time.perf_counter()`` of this session's start; ``max_minutes`` counts
            from it, less the seconds that sessions before a resume spent (kept in the
            checkpoint).
        resume: continue from ``checkpoint`` when it exists. The caller holds its folder
            (:func:`train.checkpoint.training_folder`): temporary files of a checkpoint save
            that a kill interrupted are removed.
        progress: show a progress bar.
        bf16: run forward passes under bf16 autocast (on the model's device).
        skip: model state keys left out of checkpoints (large buffers rebuilt by the caller).
        log_dir: a TensorBoard folder that rank 0 logs into (None: no logs), opened
            once the checkpoint is read: a resumed run purges the steps after its checkpoint
            (logged again), a run from the start clears the folder (another run's events).
        distributed: this process's place in a DDP process group (``train.distributed``):
            data sharded by rank, gradients averaged, validation on rank 0, checkpoints
            written by rank 0 and read by every rank; None: one process.
        on_epoch: called on every rank after each epoch's validation with the history so
            far (epochs before a resume included); it may raise to stop the run (pruning).
        fingerprint: the run's settings (``resume_fingerprint`` of its config), kept in the
            checkpoint; a checkpoint written under other settings is not resumed.

    Raises:
        CheckpointMismatchError: ``checkpoint`` was written by a run with another
            ``fingerprint``.
    """
    t = settings
    started = time.perf_counter() if started is None else started
    state = _fresh_state(fingerprint)
    best_weights: dict[str, Tensor] = {}
    net = wrap_model(model, distributed)  # moves the model to the rank's device first
    device = next(model.parameters()).device
    if is_main(distributed):  # a kill during a save leaves a checkpoint-sized file
        remove_stale_temporaries(checkpoint)
        remove_stale_temporaries(checkpoint.parent / RESULT_FILE)  # and one of its report
    resumed = resume and checkpoint.is_file()
    if resumed:
        state, best_weights = _resume(
            checkpoint,
            model,
            optimizer,
            scheduler,
            skip=skip,
            fingerprint=fingerprint,
            distributed=distributed,
        )
    run = _Run(
        model=model,
        optimizer=optimizer,
        scheduler=scheduler,
        settings=t,
        checkpoint=checkpoint,
        skip=skip,
        distributed=distributed,
        total_steps=total_steps,
        started=started,
        state=state,
        best_weights=best_weights,
    )
    writer = None
    if log_dir is not None and is_main(distributed):
        if not resumed:
            shutil.rmtree(log_dir, ignore_errors=True)
        writer = tensorboard(log_dir, state["global_step"] + 1 if resumed else None)
    closer = closing(writer) if writer is not None else nullcontext()
    with _progress_bar(progress and is_main(distributed)) as bar, closer:
        task = bar.add_task(
            "training", total=run.planned_steps(), completed=state["global_step"], info=""
        )
        while not state["done"] and state["epoch"] < t.epochs:
            epoch = state["epoch"]
            order = epoch_indices(num_examples, t.seed * 1000, epoch, distributed)
            size = shard_batch_size(t.batch_size, distributed)
            model.train()
            losses: list[float] = []  # this session's
            tick = time.perf_counter()
            fresh = state["step_in_epoch"] == 0  # no step of this epoch ran before a resume
            if fresh:  # the epoch's running loss, kept in checkpoints for its history record
                state["epoch_loss_sum"], state["epoch_loss_steps"] = 0.0, 0
            for step in range(state["step_in_epoch"], steps_per_epoch):
                if run.out_of_budget():
                    break
                idx = order[step * size : (step + 1) * size]
                losses.append(run.step(net, to_device(make_batch(idx, epoch), device), bf16))
                state["epoch_loss_sum"] = state.get("epoch_loss_sum", 0.0) + losses[-1]
                state["epoch_loss_steps"] = state.get("epoch_loss_steps", 0) + 1
                state["global_step"] += 1
                state["step_in_epoch"] = step + 1
                run.run_steps += 1
                if run.replan():
                    bar.update(task, total=run.planned_steps())
                bar.update(
                    task, advance=1, info=f"epoch {epoch + 1} loss {np.mean(losses[-50:]):.3f}"
                )
                if writer is not None:
                    writer.add_scalar("train/loss", losses[-1], state["global_step"])
                # throughput of the training steps (every rank's examples, padding included)
                now = time.perf_counter()
                state["train_seconds"] = state.get("train_seconds", 0.0) + (now - tick)
                examples = len(idx) * world_size(distributed)
                state["train_examples"] = state.get("train_examples", 0) + examples
                tick = now
                if state["global_step"] % t.checkpoint_every == 0:
                    run.save()
            if state["done"] and fresh and not losses:
                # the step or time budget ran out exactly at the end of the last epoch: this
                # one trained nothing, so it is no epoch (no second validation of the same
                # weights, no count towards patience, no loss of no step in the history)
                run.save()
                break
            state["train_seconds"] = state.get("train_seconds", 0.0) + (time.perf_counter() - tick)
            metrics: dict[str, float] = {}
            payload: Any = None
            if evaluate is not None and is_main(distributed):
                metrics, payload = evaluate()
            # every rank takes rank 0's metrics, so they keep the same best epoch and stop
            metrics = broadcast_from_main(metrics, distributed)
            run.end_epoch(epoch, metrics, payload, select if evaluate is not None else None)
            if writer is not None:
                for k, v in metrics.items():
                    writer.add_scalar(f"valid/{k}", v, epoch + 1)
            if on_epoch is not None:
                on_epoch(state["history"])
    state.setdefault("stopped_by", "epochs")
    state["seconds_before_resume"] = run.spent_before  # for the summary only
    if run.best_weights:
        model.load_state_dict(run.best_weights, strict=False)
    return LoopResult(state, run.best_payload)


def save_model_folder(
    out: Path,
    model: Any,
    tokenizer: Any,
    *,
    meta: dict[str, Any],
    config_yaml: str,
    fact_index: Any = None,
    sidecars: Callable[[Path], None] | None = None,
) -> None:
    """Write a model folder: weights, tokenizer, fact index, ``kgfuse_model.json``, config,
    and what ``sidecars`` writes into the folder it is given (the prior's neighbours ...).

    Everything is written into ``out/.export`` first and then moved in, item by item,
    ``kgfuse_model.json`` removed first and put back last: a run killed while saving leaves
    the checkpoint (rerun to finish) and a folder that loads as no model, never a mix of
    new and old files. ``kgfuse_model.json`` lists the items saved (``saved_items``), so
    that a later save into the same folder removes those it does not write again (a fact
    index or sidecar of an earlier model), and nothing else.
    """
    from fusion.pipeline import FACTS_DIR, MODEL_META, save_model_meta

    tmp = out / ".export"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    with quiet_transformers():
        model.save_pretrained(str(tmp))
    if tokenizer is not None:
        tokenizer.save_pretrained(str(tmp))
    if fact_index is not None and model.config.uses_facts:
        fact_index.save(tmp / FACTS_DIR)
    if sidecars is not None:
        sidecars(tmp)
    (tmp / "config.yaml").write_text(config_yaml, encoding="utf-8")
    saved = sorted({*(item.name for item in tmp.iterdir()), MODEL_META})
    save_model_meta(tmp, {**meta, "saved_items": saved})
    give_new_file_modes(tmp)  # readable like any new file (safetensors writes 0600)
    sync_tree(tmp)  # on disk before the names move in: a power cut leaves no empty weights
    earlier = _saved_items(out / MODEL_META)
    # The model's meta file goes first out and last in: a kill in between leaves a folder
    # that loads as no model (rerun to finish it), never new weights under an old config.
    (out / MODEL_META).unlink(missing_ok=True)
    for item in sorted(tmp.iterdir(), key=lambda i: i.name == MODEL_META):
        if item.name == MODEL_META:  # last: first the earlier model's items not saved again
            for name in sorted(set(earlier) - set(saved)):
                stale = out / name
                if stale.is_dir():
                    shutil.rmtree(stale)
                else:
                    stale.unlink(missing_ok=True)
        target = out / item.name
        if target.is_dir():
            shutil.rmtree(target)
        os.replace(item, target)
    tmp.rmdir()
    sync_to_disk(out)


def _saved_items(meta_path: Path) -> list[str]:
    """The items an earlier save listed in its ``kgfuse_model.json`` (none when there is no
    such file, it is damaged, or it predates the list); only plain names in the folder."""
    try:
        items = json.loads(meta_path.read_text(encoding="utf-8")).get("saved_items", [])
    except (OSError, ValueError, AttributeError):
        return []
    if not isinstance(items, list):
        return []
    return [i for i in items if isinstance(i, str) and i and "/" not in i and i not in (".", "..")]
