"""Training checkpoints: model, optimizer, scheduler and RNG states in one safetensors file.

Tensors go into safetensors, everything else (optimizer scalars, loop state, run settings)
into the file's JSON header; nothing is pickled. Files are written atomically (temporary
file + ``os.replace``), so a run killed mid-write keeps its previous checkpoint, and the
temporary file such a kill leaves is removed when the next run starts
(:func:`remove_stale_temporaries`).

The random states are the torch CPU generator's (``rng/torch``) and, where CUDA is
available, each CUDA device's (``rng/cuda/<i>``), of every DDP rank: rank 0's under
``rng/``, rank ``r``'s under ``rng/rank<r>/`` (ranks draw differently: their batches differ
in shape). A checkpoint without CUDA states (written on a CPU-only host, or before they
were saved) leaves the CUDA generators as seeded.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import torch
from safetensors import SafetensorError, safe_open
from torch import Tensor

from encoders.graph_model import atomic_save_tensors
from kg.locks import exclusive_lock

logger = logging.getLogger(__name__)

CHECKPOINT_FORMAT = "kgfuse-checkpoint/1"
P = ParamSpec("P")
R = TypeVar("R")
LOCK_FILE = ".lock"


class DamagedCheckpointError(ValueError):
    """A checkpoint file that cannot be read (cut short or overwritten outside a run: runs
    write theirs atomically); it is not resumed. ``path``: the file."""

    path: Path | None = None


def _damaged(path: Path, exc: BaseException) -> DamagedCheckpointError:
    error = DamagedCheckpointError(
        f"the checkpoint {path} is damaged ({exc}); pass --no-resume to train from the start "
        "(it is then replaced)"
    )
    error.path = path
    return error


class FolderBusyError(ValueError):
    """Another run is training into the same output folder (a ValueError, as other unusable
    settings of a run are: the output folder is one)."""


def holding_output_folder(
    output_of: Callable[[Any, Path | None], Path],
    check: Callable[[Any], None] | None = None,
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Run a training function inside :func:`training_folder` of its output folder,
    ``output_of(config, home)``; the function takes the config first and ``home`` and
    ``distributed`` (only rank 0 locks) as keywords.

    ``check(config)`` runs first, before the folder is made (settings and inputs that are
    cheap to refuse). A run that fails leaves no folder it made and wrote nothing into
    (:func:`training_folder`).
    """

    def wrap(train: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(train)
        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            from train.distributed import is_main

            config = args[0] if args else kwargs["config"]
            if check is not None:
                check(config)
            out = output_of(config, kwargs.get("home"))  # type: ignore[arg-type]
            inputs = [getattr(config, name, None) for name in ("data", "valid", "dev_cases")]
            model_section = getattr(config, "model", None)
            check_output_folder(out, inputs, encoder=getattr(model_section, "encoder", None))
            with training_folder(out, owner=is_main(kwargs.get("distributed"))):  # type: ignore[arg-type]
                return train(*args, **kwargs)

        return run

    return wrap


def check_output_folder(
    out: Path, inputs: Sequence[str | Path | None] = (), encoder: str | Path | None = None
) -> None:
    """Refuse, before anything is made, an output that is a file, a KG folder or the text
    encoder's folder, or that holds one of the run's input files (training writes
    ``training.json``, ``config.json``, ``model.safetensors`` ... there, and would write over
    them).

    Raises:
        ValueError: naming the output and, where it applies, the input.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"the output {out} is a file: give a folder for the model")
    if encoder is not None and Path(encoder).resolve() == out.resolve():
        raise ValueError(
            f"the output {out} is the text encoder's folder (model.encoder), whose weights "
            "training would write over: give another folder for the model"
        )
    if (out / "current").exists() or (out / "builds").is_dir():
        raise ValueError(f"the output {out} is a KG folder: give another folder for the model")
    folder = out.resolve()
    for item in inputs:
        if item is not None and folder in Path(item).resolve().parents:
            raise ValueError(
                f"the input {item} lies in the output folder {out}, where training writes its "
                "files: choose another output folder"
            )


@contextmanager
def training_folder(out: Path, *, owner: bool = True, wait: bool = False) -> Iterator[Path]:
    """Create ``out`` and hold it for this run: a second run into the same folder fails at
    once instead of interleaving its checkpoints and model files with this one's.

    An advisory ``flock`` on ``out/.lock`` (released by the OS when the process ends, even
    killed); ``owner=False`` (a DDP rank other than 0, which writes nothing) takes none;
    ``wait=True`` waits for the other process instead of failing. On systems without
    ``fcntl`` no lock is taken.

    A folder this call made is removed again when the block fails before anything but the
    lock file was written into it (bad data, a missing KG, an unusable setting found after
    the folder was made), so a failed run leaves no empty model folder behind; a folder
    that existed before is never removed, nor one holding a checkpoint to resume.

    Raises:
        FolderBusyError: another process holds the folder (unless ``wait``).
    """
    made = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    if not owner:
        yield out
        return
    with exclusive_lock(out / LOCK_FILE, lambda pid: _busy(out, pid), wait=wait):
        try:
            yield out
        except BaseException:
            if made:
                _remove_if_unused(out)
            raise


def _remove_if_unused(out: Path) -> None:
    """Remove ``out`` when it holds the lock file alone (while the lock is still held, so no
    other run is using it)."""
    try:
        if {item.name for item in out.iterdir()} == {LOCK_FILE}:
            (out / LOCK_FILE).unlink()
            out.rmdir()
    except OSError:  # something appeared meanwhile, or the folder is not ours to remove
        return


def _busy(out: Path, holder: str) -> FolderBusyError:
    return FolderBusyError(
        f"{out} is in use by another training run (pid {holder}); wait for it, or choose "
        "another output folder"
    )


def remove_stale_temporaries(path: Path) -> list[Path]:
    """Remove the temporary files that a process killed while writing ``path`` atomically
    left beside it (``.<name>.<random>.tmp``, :func:`kg.atomic.temp_file_beside`; and
    ``.tmpXXXXXX``, a safetensors writer's own); call it only while holding the folder, as
    no other process may be writing there.

    Returns:
        The files removed.
    """
    path = Path(path)
    removed = []
    # its own, and safetensors' private ones (".tmpXXXXXX") of writers that used it directly
    patterns = (f".{path.name}.*.tmp", ".tmp??????")
    for stale in sorted({p for pattern in patterns for p in path.parent.glob(pattern)}):
        if not stale.is_file():
            continue
        try:
            stale.unlink()
        except FileNotFoundError:
            continue
        removed.append(stale)
    if removed:
        logger.info("removed %d temporary files of %s left by a killed run", len(removed), path)
    return removed


def rng_states() -> dict[str, Tensor]:
    """This process's random states: the torch CPU generator's (``torch``) and, where CUDA is
    available, each device's (``cuda/<i>``)."""
    states = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        for i, state in enumerate(torch.cuda.get_rng_state_all()):
            states[f"cuda/{i}"] = state
    return states


def set_rng_states(states: dict[str, Tensor]) -> None:
    """Restore :func:`rng_states`; CUDA states only where CUDA is available with as many
    devices (else the CUDA generators stay as seeded, with a warning)."""
    torch.set_rng_state(states["torch"])
    cuda = [states[f"cuda/{i}"] for i in range(len(states)) if f"cuda/{i}" in states]
    if not cuda:
        return
    if torch.cuda.is_available() and len(cuda) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(cuda)
    else:
        logger.warning(
            "the checkpoint holds the random states of %d CUDA devices and this host has %d: "
            "the CUDA generators stay as seeded, so dropout on them is not resumed exactly",
            len(cuda),
            torch.cuda.device_count() if torch.cuda.is_available() else 0,
        )


def optimizer_entries(optimizer: torch.optim.Optimizer) -> tuple[dict[str, Tensor], dict[str, Any]]:
    """An optimizer's state as checkpoint tensors (``optim/<param>/<name>``) and the JSON part
    of a checkpoint's header (its parameter groups and non-tensor state)."""
    opt = optimizer.state_dict()
    tensors: dict[str, Tensor] = {}
    scalars: dict[str, dict[str, Any]] = {}
    for pid, entries in opt["state"].items():
        for k, v in entries.items():
            if isinstance(v, Tensor):
                tensors[f"optim/{pid}/{k}"] = v.detach().cpu().contiguous()
            else:
                scalars.setdefault(str(pid), {})[k] = v
    return tensors, {"param_groups": opt["param_groups"], "scalars": scalars}


def load_optimizer(
    optimizer: torch.optim.Optimizer, tensors: dict[str, Tensor], saved: dict[str, Any]
) -> None:
    """Restore what :func:`optimizer_entries` gave: ``tensors`` keyed ``<param>/<name>``
    (their ``optim/`` prefix taken off) and the header's JSON part ``saved``."""
    entries: dict[int, dict[str, Any]] = {}
    for key, value in tensors.items():
        pid, name = key.split("/", 1)
        entries.setdefault(int(pid), {})[name] = value
    for pid, scalars in saved["scalars"].items():
        entries.setdefault(int(pid), {}).update(scalars)
    groups = saved["param_groups"]
    for group in groups:
        if isinstance(group.get("betas"), list):  # JSON gives back a list
            group["betas"] = tuple(group["betas"])
    optimizer.load_state_dict({"state": entries, "param_groups": groups})


def write_checkpoint(
    path: Path,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    state: dict[str, Any],
    *,
    extra: dict[str, Tensor] | None = None,
    generators: dict[str, torch.Generator] | None = None,
    scheduler: Any | None = None,
    skip: set[str] = frozenset(),  # type: ignore[assignment]
    rank_rng: Sequence[dict[str, Tensor]] | None = None,
) -> None:
    """Write the whole training state to ``path`` atomically.

    Args:
        path: the checkpoint file.
        model: its state dict is saved, less the ``skip`` keys (large frozen buffers).
        optimizer: its state tensors and scalars are saved.
        state: JSON-serialisable loop state (epoch, step, best metric, history ...).
        extra: more named tensors (e.g. the best weights so far).
        generators: named torch generators whose states are saved.
        scheduler: an LR scheduler with ``state_dict()`` (JSON-serialisable).
        skip: model state keys left out.
        rank_rng: every DDP rank's :func:`rng_states`, by rank (default: this process's
            alone).
    """
    tensors: dict[str, Tensor] = {}
    for k, v in model.state_dict().items():
        if k not in skip:
            tensors[f"model/{k}"] = v.detach().cpu().contiguous()
    for k, v in (extra or {}).items():
        tensors[f"extra/{k}"] = v.detach().cpu().contiguous()
    optim_tensors, optim_header = optimizer_entries(optimizer)
    tensors.update(optim_tensors)
    for rank, states in enumerate(rank_rng if rank_rng is not None else [rng_states()]):
        prefix = "rng/" if rank == 0 else f"rng/rank{rank}/"
        for name, value in states.items():
            tensors[prefix + name] = value
    for name, gen in (generators or {}).items():
        tensors[f"rng/{name}"] = gen.get_state()
    header = {
        "format_version": CHECKPOINT_FORMAT,
        "state": state,
        "optimizer": optim_header,
        "scheduler": scheduler.state_dict() if scheduler is not None else None,
    }
    atomic_save_tensors(tensors, path, {"kgfuse": json.dumps(header, default=float)})


def read_checkpoint(path: Path) -> tuple[dict[str, Tensor], dict[str, Any]]:
    """Tensors and header of a checkpoint.

    Raises:
        DamagedCheckpointError: the file cannot be read.
        ValueError: the file is not a kgfuse checkpoint.
    """
    tensors: dict[str, Tensor] = {}
    try:
        with safe_open(str(path), framework="pt") as handle:
            header = _header(path, handle.metadata())
            for key in handle.keys():  # noqa: SIM118 - safe_open is not a mapping
                tensors[key] = handle.get_tensor(key)
    except (SafetensorError, OSError) as exc:
        raise _damaged(path, exc) from None
    if header.get("format_version") != CHECKPOINT_FORMAT:
        raise ValueError(f"{path}: unsupported checkpoint format {header.get('format_version')!r}")
    return tensors, header


def checkpoint_state(path: Path) -> dict[str, Any]:
    """The loop state a checkpoint holds (its fingerprint, epoch ...), read from its header
    alone: no tensor is loaded.

    Raises:
        DamagedCheckpointError: the file cannot be read.
        ValueError: the file is not a kgfuse checkpoint.
    """
    try:
        with safe_open(str(path), framework="pt") as handle:
            header = _header(path, handle.metadata())
    except (SafetensorError, OSError) as exc:
        raise _damaged(path, exc) from None
    return dict(header.get("state") or {})


def _header(path: Path, metadata: dict[str, str] | None) -> dict[str, Any]:
    """The kgfuse header of a checkpoint's metadata."""
    if not metadata or "kgfuse" not in metadata:
        raise ValueError(f"{path} is not a kgfuse checkpoint")
    try:
        header = json.loads(metadata["kgfuse"])
    except json.JSONDecodeError as exc:
        raise _damaged(path, exc) from None
    if not isinstance(header, dict):
        raise _damaged(path, TypeError("its header is not an object"))
    return header


def restore_checkpoint(
    path: Path,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    *,
    generators: dict[str, torch.Generator] | None = None,
    scheduler: Any | None = None,
    skip: set[str] = frozenset(),  # type: ignore[assignment]
    rank: int = 0,
) -> tuple[dict[str, Any], dict[str, Tensor]]:
    """Load a checkpoint into the model, optimizer, scheduler and generators, and the random
    states of DDP rank ``rank`` (rank 0's when the checkpoint holds none of that rank: one
    written by another number of processes, or before ranks had their own) into this
    process.

    Returns:
        The loop state and the ``extra`` tensors.

    Raises:
        ValueError: the checkpoint does not match the model.
    """
    tensors, header = read_checkpoint(path)

    def section(prefix: str) -> dict[str, Tensor]:
        return {k[len(prefix) :]: v for k, v in tensors.items() if k.startswith(prefix)}

    missing, unexpected = model.load_state_dict(section("model/"), strict=False)
    if unexpected or set(missing) - set(skip):
        raise ValueError(
            f"{path} does not match the model: missing {sorted(set(missing) - set(skip))[:5]}, "
            f"unexpected {sorted(unexpected)[:5]}"
        )
    load_optimizer(optimizer, section("optim/"), header["optimizer"])
    if scheduler is not None and header.get("scheduler") is not None:
        scheduler.load_state_dict(header["scheduler"])
    own = section(f"rng/rank{rank}/") if rank else {}
    set_rng_states(own if "torch" in own else section("rng/"))
    for name, gen in (generators or {}).items():
        if f"rng/{name}" in tensors:
            gen.set_state(tensors[f"rng/{name}"])
    return header["state"], section("extra/")
