"""Data-parallel training with ``torch.distributed``: DDP over processes started by torchrun.

``kgfuse train --nproc N`` runs the same command again under ``torchrun --standalone``
(:func:`launch`, loopback rendezvous): each process opens a :func:`distributed_session`
(``gloo`` on CPUs, ``nccl`` when CUDA is available) and passes its
:class:`DistributedContext` to the training function, which passes it on to
:func:`train.loop.fit`. The loop then

* wraps the model in :class:`~torch.nn.parallel.DistributedDataParallel` (gradients are
  averaged over the processes during ``backward``),
* reads this process's share of each epoch from a
  :class:`~torch.utils.data.distributed.DistributedSampler` seeded like the one-process
  order and moved on with ``set_epoch``; ``train.batch_size`` stays the *global* batch
  (each process takes ``ceil(batch_size / N)``), so N processes take the same optimiser
  steps on the same examples as one process,
* validates on rank 0 and broadcasts the metrics, so every rank keeps the same best epoch
  and stops at the same time,
* checkpoints, logs and exports on rank 0 only; every rank resumes from that checkpoint.

Example (what ``kgfuse train --nproc 2`` runs)::

    python -m torch.distributed.run --standalone --nnodes=1 --nproc-per-node=2 \\
        --local-addr=127.0.0.1 -m kgfuse.cli train --config diagnosis.yaml
"""

from __future__ import annotations

import inspect
import logging
import math
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

import torch
import torch.distributed as dist

logger = logging.getLogger(__name__)

__all__ = [
    "DistributedContext",
    "DistributedSetupError",
    "any_rank",
    "broadcast_from_main",
    "distributed_session",
    "epoch_indices",
    "gather_from_ranks",
    "is_main",
    "launch",
    "main_rank_first",
    "mean_over_ranks",
    "check_batch_size",
    "shard_batch_size",
    "steps_per_epoch",
    "to_device",
    "torchrun_command",
    "under_torchrun",
    "world_size",
    "wrap_model",
]

T = TypeVar("T")

#: Environment variables torchrun sets in every process it starts.
_TORCHRUN_VARIABLES = ("RANK", "WORLD_SIZE", "LOCAL_RANK")


class DistributedSetupError(RuntimeError):
    """The process group cannot be set up as asked (e.g. NCCL without CUDA)."""


@dataclass(frozen=True)
class DistributedContext:
    """Where this process stands in the process group.

    Args:
        rank: global rank (0 checkpoints, logs and exports).
        world_size: number of processes.
        local_rank: rank on this machine (selects the GPU).
        backend: ``gloo`` or ``nccl``.
        device: where the model and batches live (``cpu`` or ``cuda:<local_rank>``).
    """

    rank: int
    world_size: int
    local_rank: int
    backend: str
    device: torch.device

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def is_main(ctx: DistributedContext | None) -> bool:
    """True on rank 0 and in one-process runs."""
    return ctx is None or ctx.is_main


def world_size(ctx: DistributedContext | None) -> int:
    return 1 if ctx is None else ctx.world_size


def under_torchrun(environ: Mapping[str, str] | None = None) -> bool:
    """Whether this process was started by torchrun (with more than one process)."""
    env = os.environ if environ is None else environ
    return all(k in env for k in _TORCHRUN_VARIABLES) and int(env["WORLD_SIZE"]) > 1


def torchrun_command(
    nproc: int, module: str, args: Sequence[str], *, log_dir: str | os.PathLike[str] | None = None
) -> list[str]:
    """The command line that runs ``python -m module *args`` in ``nproc`` processes.

    ``--standalone`` starts a local rendezvous on a free port, so runs do not collide.
    ``log_dir`` is where torchrun makes its per-run folders (without it, new folders in the
    system's temp folder that nothing removes).
    """
    if nproc < 1:
        raise ValueError(f"nproc must be at least 1, not {nproc}")
    logs = [] if log_dir is None else [f"--log-dir={os.fspath(log_dir)}"]
    return [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nnodes=1",
        f"--nproc-per-node={nproc}",
        "--local-addr=127.0.0.1",
        *logs,
        "-m",
        module,
        *args,
    ]


def launch(
    nproc: int,
    module: str,
    args: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
) -> int:
    """Run ``python -m module *args`` in ``nproc`` processes under torchrun and wait.

    The processes run with ``PYTHONSAFEPATH=1`` (unless ``env`` sets it): ``python -m`` would
    otherwise put the working folder first on the import path, where a user's ``train.py``
    or ``eval.py`` would stand in for kgfuse's packages of those names.

    Returns:
        torchrun's exit status (non-zero when a process failed or was killed; torchrun then
        stops the others).
    """
    environ = {**(os.environ if env is None else env)}
    environ.setdefault("PYTHONSAFEPATH", "1")
    with tempfile.TemporaryDirectory(prefix="kgfuse-torchrun-") as log_dir:
        command = torchrun_command(nproc, module, args, log_dir=log_dir)
        logger.info("launching %d processes: %s", nproc, " ".join(command))
        done = subprocess.run(command, env=environ, check=False)
    return done.returncode


@contextmanager
def distributed_session(
    backend: str = "auto",
    *,
    environ: Mapping[str, str] | None = None,
    timeout_minutes: float = 60.0,
) -> Iterator[DistributedContext | None]:
    """Join torchrun's process group for the duration of the block (None outside torchrun).

    Args:
        backend: ``auto`` (``nccl`` when CUDA is available, else ``gloo``), ``gloo`` or
            ``nccl``.
        environ: torchrun's variables (default: this process's environment).
        timeout_minutes: how long a collective waits for the other ranks; rank 0 may
            train the graph embeddings or build the fact index while the others wait.

    Raises:
        ValueError: an unknown backend.
        DistributedSetupError: ``nccl`` asked for without CUDA.
    """
    env = os.environ if environ is None else environ
    if backend not in ("auto", "gloo", "nccl"):
        raise ValueError(f"unknown backend {backend!r}; choose auto, gloo or nccl")
    if not under_torchrun(env):
        yield None
        return
    if backend == "auto":
        backend = "nccl" if torch.cuda.is_available() else "gloo"
    local_rank = int(env["LOCAL_RANK"])
    if backend == "nccl":
        if not torch.cuda.is_available():
            raise DistributedSetupError("the nccl backend needs CUDA GPUs; use gloo on CPUs")
        torch.cuda.set_device(local_rank)
        device = torch.device("cuda", local_rank)
    else:
        device = torch.device("cpu")
    dist.init_process_group(backend, timeout=timedelta(minutes=timeout_minutes))
    ctx = DistributedContext(
        rank=dist.get_rank(),
        world_size=dist.get_world_size(),
        local_rank=local_rank,
        backend=backend,
        device=device,
    )
    logger.info("rank %d of %d (%s on %s)", ctx.rank, ctx.world_size, backend, device)
    try:
        yield ctx
    finally:
        dist.destroy_process_group()


def shard_batch_size(batch_size: int, ctx: DistributedContext | None) -> int:
    """Each process's share of the global batch.

    Raises:
        ValueError: the processes cannot share ``batch_size`` equally (their steps would
            then take another global batch than one process's).
    """
    check_batch_size(batch_size, world_size(ctx))
    return batch_size // world_size(ctx)


def check_batch_size(batch_size: int, processes: int) -> None:
    """Refuse a global batch that ``processes`` cannot share equally, naming what would."""
    if processes > 1 and batch_size % processes:
        lower = batch_size - batch_size % processes
        raise ValueError(
            f"train.batch_size={batch_size} does not divide among {processes} processes: "
            f"set it to a multiple of {processes} ({lower or processes} or "
            f"{lower + processes}), so that their steps take the global batch one process would"
        )


def steps_per_epoch(num_examples: int, batch_size: int, processes: int = 1) -> int:
    """Optimiser steps per epoch when ``processes`` share the global ``batch_size``."""
    per_process = math.ceil(num_examples / processes)  # the sampler pads to equal shares
    return math.ceil(per_process / math.ceil(batch_size / processes))


def epoch_indices(
    num_examples: int, seed: int, epoch: int, ctx: DistributedContext | None
) -> list[int]:
    """This process's examples of ``epoch``, in order.

    A :class:`~torch.utils.data.distributed.DistributedSampler` over the whole epoch's
    permutation (``torch.randperm`` seeded with ``seed + epoch``): with one process it is
    that permutation; with N, rank r takes every N-th example from position r (padded
    with the first ones to equal shares), so step s of all ranks together covers the
    examples one process would see at step s; where N does not divide the examples, the
    epoch's last step also repeats up to N - 1 of its first examples.
    """
    from torch.utils.data.distributed import DistributedSampler

    sampler: DistributedSampler[int] = DistributedSampler(
        range(num_examples),  # type: ignore[arg-type]
        num_replicas=world_size(ctx),
        rank=0 if ctx is None else ctx.rank,
        shuffle=True,
        seed=seed,
    )
    sampler.set_epoch(epoch)
    return list(sampler)


def wrap_model(model: torch.nn.Module, ctx: DistributedContext | None) -> torch.nn.Module:
    """The module the training steps run through: ``model`` itself, or a DDP wrapper of it
    (moved to the process's device) whose ``backward`` averages gradients over ranks."""
    if ctx is None:
        return model
    from torch.nn.parallel import DistributedDataParallel

    model.to(ctx.device)
    # the KG tables are constant buffers: synced once at construction, not at every step
    # (the option was renamed in torch 2.13)
    names = inspect.signature(DistributedDataParallel).parameters
    sync = "forward_sync_buffers" if "forward_sync_buffers" in names else "broadcast_buffers"
    options: dict[str, Any] = {sync: False}
    if ctx.device.type == "cuda":
        options["device_ids"] = [ctx.local_rank]
    return DistributedDataParallel(model, **options)


def to_device(batch: dict[str, Any], device: torch.device) -> dict[str, Any]:
    """The batch's tensors on ``device`` (other values as they are)."""
    return {k: v.to(device) if isinstance(v, torch.Tensor) else v for k, v in batch.items()}


def broadcast_from_main(obj: T, ctx: DistributedContext | None) -> T:
    """Rank 0's ``obj`` on every rank (a picklable value, e.g. validation metrics)."""
    if ctx is None:
        return obj
    holder = [obj]
    dist.broadcast_object_list(holder, src=0)
    return holder[0]


def gather_from_ranks(obj: T, ctx: DistributedContext | None) -> list[T]:
    """Every rank's ``obj``, by rank, on every rank (a picklable value, e.g. random states)."""
    if ctx is None:
        return [obj]
    gathered: list[Any] = [None] * ctx.world_size
    dist.all_gather_object(gathered, obj)
    return gathered


def mean_over_ranks(value: float, ctx: DistributedContext | None) -> float:
    """The mean of ``value`` over ranks."""
    if ctx is None:
        return value
    tensor = torch.tensor([value], dtype=torch.float64, device=ctx.device)
    dist.all_reduce(tensor)
    return float(tensor) / ctx.world_size


def any_rank(flag: bool, ctx: DistributedContext | None) -> bool:
    """True on every rank when ``flag`` is true on one of them (e.g. a time budget spent)."""
    if ctx is None:
        return flag
    tensor = torch.tensor([int(flag)], device=ctx.device)
    dist.all_reduce(tensor, op=dist.ReduceOp.MAX)
    return bool(tensor.item())


@contextmanager
def main_rank_first(ctx: DistributedContext | None) -> Iterator[None]:
    """Run the block on rank 0 first, then on the others (which then find rank 0's cached
    results, e.g. graph embeddings, instead of computing them concurrently)."""
    if ctx is not None and not ctx.is_main:
        dist.barrier()
    yield
    if ctx is not None and ctx.is_main:
        dist.barrier()
