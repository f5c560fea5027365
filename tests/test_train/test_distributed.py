"""Distributed (DDP) diagnosis training: sharding, and 2 CPU processes (gloo) under torchrun
that are killed, resume, and reach the validation metric of one process (the tiny run of
``tests.mini_hpo_env.TINY_DIAGNOSIS``).

Tolerance: with dropout off, 2 processes take the same optimiser steps on the same examples
as one (``train.distributed``), so they differ only by float summation order; the test asks
for the same validation MRR within 0.02 and weights within 1e-3.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from typer.testing import CliRunner

import train.distributed as distributed_module
from kgfuse.cli import app
from tests.mini_hpo_env import TINY_DIAGNOSIS
from train.checkpoint import read_checkpoint
from train.config import load_config
from train.diagnosis import CHECKPOINT, train_diagnosis
from train.distributed import (
    DistributedSetupError,
    distributed_session,
    epoch_indices,
    shard_batch_size,
    steps_per_epoch,
    torchrun_command,
    under_torchrun,
)

ROOT = Path(__file__).resolve().parents[2]
MRR_TOLERANCE = 0.02
WEIGHT_TOLERANCE = 1e-3


def test_epoch_indices_with_one_process_is_the_seeded_permutation() -> None:
    expected = torch.randperm(11, generator=torch.Generator().manual_seed(3000 + 2)).tolist()
    assert epoch_indices(11, 3000, 2, None) == expected


def test_epoch_indices_of_two_ranks_cover_each_one_process_batch() -> None:
    class Rank:
        def __init__(self, rank: int) -> None:
            self.rank, self.world_size = rank, 2

    order = epoch_indices(18, 0, 1, None)
    shards = [epoch_indices(18, 0, 1, Rank(r)) for r in (0, 1)]  # type: ignore[arg-type]
    assert len(shards[0]) == len(shards[1]) == 9
    for step in range(steps_per_epoch(18, 4, 2)):
        together = shards[0][step * 2 : step * 2 + 2] + shards[1][step * 2 : step * 2 + 2]
        assert sorted(together) == sorted(order[step * 4 : step * 4 + 4])


def test_steps_per_epoch_pads_uneven_shares() -> None:
    assert steps_per_epoch(18, 4) == 5
    assert steps_per_epoch(18, 4, 2) == 5
    assert steps_per_epoch(7, 6, 4) == 1  # 2 examples per rank, 2 per rank and step


def test_a_batch_the_processes_cannot_share_equally_is_refused() -> None:
    class Rank:
        rank, world_size = 0, 2

    assert shard_batch_size(6, Rank()) == 3  # type: ignore[arg-type]
    assert shard_batch_size(5, None) == 5
    with pytest.raises(ValueError, match=r"batch_size=5 does not divide among 2 .* \(4 or 6\)"):
        shard_batch_size(5, Rank())  # type: ignore[arg-type]


def test_train_nproc_refuses_an_odd_batch_before_starting_processes(
    monkeypatch, tmp_path: Path
) -> None:
    calls = []
    monkeypatch.setattr(distributed_module, "launch", lambda *args: calls.append(args) or 0)
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    args = ["train", "--nproc", "2", "-o", str(tmp_path / "m"), "--set", "train.batch_size=5"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code != 0 and not calls
    assert "does not divide among 2 processes" in result.output


def test_torchrun_command_is_standalone_on_loopback() -> None:
    command = torchrun_command(2, "kgfuse.cli", ["train", "--quiet"])
    assert command[:3] == [sys.executable, "-m", "torch.distributed.run"]
    assert "--standalone" in command and "--nproc-per-node=2" in command
    assert "--local-addr=127.0.0.1" in command
    assert command[-4:] == ["-m", "kgfuse.cli", "train", "--quiet"]
    with pytest.raises(ValueError, match="at least 1"):
        torchrun_command(0, "kgfuse.cli", [])
    logged = torchrun_command(2, "kgfuse.cli", ["train"], log_dir=Path("runs/logs"))
    assert logged.index("--log-dir=runs/logs") < logged.index("kgfuse.cli")


def test_launch_gives_torchrun_a_log_folder_and_removes_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[Path] = []

    def fake_run(command: list[str], **_: object) -> subprocess.CompletedProcess[str]:
        (flag,) = [part for part in command if part.startswith("--log-dir=")]
        folder = Path(flag.removeprefix("--log-dir="))
        assert folder.is_dir()
        (folder / "attempt_0").mkdir()  # what torchrun leaves there
        seen.append(folder)
        return subprocess.CompletedProcess(command, 3)

    monkeypatch.setattr(distributed_module.subprocess, "run", fake_run)
    assert distributed_module.launch(2, "kgfuse.cli", ["train"]) == 3
    assert len(seen) == 1 and not seen[0].exists()


def test_distributed_session_outside_torchrun_is_none() -> None:
    assert not under_torchrun({})
    assert not under_torchrun({"RANK": "0", "WORLD_SIZE": "1", "LOCAL_RANK": "0"})
    with distributed_session(environ={}) as ctx:
        assert ctx is None
    with pytest.raises(ValueError, match="unknown backend"), distributed_session("mpi"):
        pass


def test_nccl_without_cuda_is_refused_before_joining_a_group(monkeypatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    env = {"RANK": "0", "WORLD_SIZE": "2", "LOCAL_RANK": "0"}
    with (
        pytest.raises(DistributedSetupError, match="nccl backend needs CUDA"),
        distributed_session("nccl", environ=env),
    ):
        pass


def test_train_nproc_runs_the_same_command_under_torchrun(
    monkeypatch, tmp_path: Path, mini_hpo_home: Path
) -> None:
    calls = []
    monkeypatch.setenv("KGFUSE_HOME", str(mini_hpo_home))  # a home with a KG: checked first
    monkeypatch.setattr(
        distributed_module, "launch", lambda n, module, args: calls.append((n, module, args)) or 0
    )
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    out = tmp_path / "model"
    result = CliRunner().invoke(
        app, ["-v", "train", "--nproc", "2", "-o", str(out), "--set", "train.epochs=1", "-q"]
    )
    assert result.exit_code == 0, result.output
    assert calls == [
        (
            2,
            "kgfuse.cli",
            ["-v", "train", "--output", str(out.resolve()), "--set", "train.epochs=1", "--quiet"],
        )
    ]
    data = tmp_path / "train.jsonl"  # read and validated before the launch
    data.write_text(
        '{"text": "short stature", "label": "a"}\n{"text": "seizures", "label": "b"}\n',
        encoding="utf-8",
    )
    task = ["train", "--task", "text-classification", "--data", str(data), "--nproc", "2"]
    assert CliRunner().invoke(app, task).exit_code == 0
    assert calls[-1][2] == ["train", "--task", "text-classification", "--data", str(data.resolve())]


def test_train_nproc_passes_a_home_kg_named_by_its_name_as_its_folder(
    monkeypatch, tmp_path: Path, mini_hpo_home: Path
) -> None:
    """--kg hpo names <home>/kgs/hpo where no folder hpo is here: the processes get that
    folder (the working folder's hpo, which is not there, failed in every process)."""
    calls = []
    monkeypatch.setattr(
        distributed_module, "launch", lambda n, module, args: calls.append((n, module, args)) or 0
    )
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    monkeypatch.chdir(tmp_path)
    args = ["train", "--nproc", "2", "--home", str(mini_hpo_home), "--kg", "hpo", "-q"]
    result = CliRunner().invoke(app, [*args, "--set", "train.epochs=1"])
    assert result.exit_code == 0, result.output
    child = calls[-1][2]
    assert child[child.index("--kg") + 1] == str((mini_hpo_home / "kgs" / "hpo").resolve())


def test_train_nproc_refuses_a_missing_text_encoder_before_torchrun(
    monkeypatch, tmp_path: Path, mini_hpo_home: Path
) -> None:
    def launch(*args: object) -> int:
        raise AssertionError("torchrun was started")

    monkeypatch.setattr(distributed_module, "launch", launch)
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    missing = tmp_path / "no-encoder"
    args = ["train", "--nproc", "2", "--home", str(mini_hpo_home), "-q"]
    result = CliRunner().invoke(app, [*args, "--set", f"model.encoder={missing}"])
    assert result.exit_code == 2, result.output
    assert "text encoder folder not found" in result.output
    assert "Traceback" not in result.output


def _cli(home: Path, output: Path) -> list[str]:
    args = ["train", "--home", str(home), "--kg", str(home / "kgs" / "hpo"), "-o", str(output)]
    for item in TINY_DIAGNOSIS:
        args += ["--set", item]
    return [*args, "--quiet"]


def test_two_processes_resume_after_a_kill_and_match_one_process(
    mini_hpo_home: Path, restore_threads: None
) -> None:
    home = mini_hpo_home
    config = load_config(
        None, [f"kg={home / 'kgs' / 'hpo'}", f"output={home / 'one'}", *TINY_DIAGNOSIS]
    )
    one = train_diagnosis(config, home=home, progress=False)
    two = home / "two"
    # rank 0 dies (SIGKILL) right after its third checkpoint; torchrun stops rank 1
    killed = subprocess.run(
        torchrun_command(
            2,
            "tests.test_train.ddp_kill_worker",
            ["3", *_cli(home, two)],
            log_dir=home / "torchrun-logs",
        ),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert killed.returncode != 0, killed.stderr[-2000:]
    assert not (two / "model.safetensors").exists()
    _, header = read_checkpoint(two / CHECKPOINT)
    assert header["state"]["global_step"] == 3
    # what kgfuse -v train --nproc 2 runs: both ranks resume from rank 0's checkpoint
    resumed = subprocess.run(
        torchrun_command(
            2,
            "tests.test_train.ddp_kill_worker",
            ["0", "-v", *_cli(home, two)],
            log_dir=home / "torchrun-logs",
        ),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert resumed.stderr.count("at epoch 0 step 3") == 2  # "resumed from ..." on each rank
    report = json.loads((two / "training.json").read_text())
    assert report["processes"] == 2 and report["steps"] == one.steps == 10
    assert abs(report["best_valid"]["mrr"] - one.best_valid["mrr"]) <= MRR_TOLERANCE
    a = load_file(str(home / "one" / "model.safetensors"))
    b = load_file(str(two / "model.safetensors"))
    assert a.keys() == b.keys()
    for key in a:
        torch.testing.assert_close(b[key], a[key], atol=WEIGHT_TOLERANCE, rtol=0)
