"""Hyperparameter search (``train.tune``, ``kgfuse tune``) on the mini HPO KG: the search
space, resuming from SQLite, retrying an interrupted trial, pruning, the best config."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from typer.testing import CliRunner

import train.tune as tune_module
from kgfuse.cli import app
from tests.mini_hpo_env import TINY_DIAGNOSIS
from train.config import DiagnosisConfig, apply_overrides, load_config
from train.tune import load_search, run_search

SPACE = {
    "train.lr": {"type": "float", "low": 1e-4, "high": 1e-2, "log": True},
    "model.hidden_dim": {"type": "categorical", "choices": [8, 16]},
}


def _write_search(folder: Path, home: Path, **tune: object) -> Path:
    """A search config: the tiny diagnosis run with a ``tune:`` section."""
    raw = apply_overrides({"kg": str(home / "kgs" / "hpo")}, TINY_DIAGNOSIS)
    raw["tune"] = {"params": SPACE, "startup_trials": 1, **tune}
    path = folder / "search.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return path


def test_load_search_checks_the_space(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("train: {epochs: 1}\n")
    with pytest.raises(ValueError, match="'tune:' section"):
        load_search(path)
    path.write_text("tune: {params: {train.nope: {type: int, low: 1, high: 2}}}\n")
    with pytest.raises(ValueError, match="do not fit the training config"):
        load_search(path)
    path.write_text("tune: {params: {model.fusion: {type: categorical}}}\n")
    with pytest.raises(ValueError, match="non-empty 'choices'"):
        load_search(path)
    path.write_text("tune: {params: {train.lr: {type: float, low: 0, high: 1, log: true}}}\n")
    with pytest.raises(ValueError, match="'low' > 0"):
        load_search(path)
    path.write_text(
        "task: text-classification\ntune: {params: {train.lr: {type: float, low: 0.1, high: 1}}}\n"
    )
    with pytest.raises(ValueError, match="tune.metric"):
        load_search(path)
    path.write_text(
        "train: {epochs: 1}\ntune: {params: {train.batch_size: {type: int, low: 2, high: 8}}}\n"
    )
    space = load_search(path, ["train.lr=0.01"])
    assert space.schema is DiagnosisConfig and space.metric == "mrr"
    cfg = space.config({"train.batch_size": 4}, output="x")
    assert (cfg.train.batch_size, cfg.train.lr, cfg.train.epochs, cfg.output) == (4, 0.01, 1, "x")
    shipped = load_search(Path(__file__).parents[2] / "configs" / "tune_diagnosis.yaml")
    assert shipped.tune.sampler == "tpe" and "train.lr" in shipped.tune.params


def test_search_resumes_from_its_storage_and_writes_the_best_config(
    mini_hpo_home: Path, tmp_path: Path, restore_threads: None
) -> None:
    config = _write_search(tmp_path, mini_hpo_home)
    out = tmp_path / "study"
    first = run_search(config, trials=2, folder=out, home=mini_hpo_home, progress=False)
    assert [r["state"] for r in first.trials] == ["complete", "complete"]
    assert (out / "study.db").is_file()
    # the CLI resumes the study: one more trial, the first two kept
    args = ["tune", "--config", str(config), "--trials", "3", "-o", str(out)]
    result = CliRunner().invoke(app, [*args, "--home", str(mini_hpo_home), "-q"])
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "trials.json").read_text())
    rows = summary["trials"]
    assert [r["number"] for r in rows] == [0, 1, 2]
    assert [r["params"] for r in rows[:2]] == [r["params"] for r in first.trials]
    assert rows[2]["params"] not in [r["params"] for r in rows[:2]]
    for row in rows:  # the loop reported the metric after each of the 2 epochs
        assert row["state"] == "complete" and row["epochs_reported"] == 2
        assert Path(row["output"], "model.safetensors").is_file()
    best = max(rows, key=lambda r: r["value"])
    assert summary["best_value"] == best["value"]
    cfg = load_config(out / "best_config.yaml")
    assert cfg.train.lr == summary["best_params"]["train.lr"]
    assert cfg.model.hidden_dim == summary["best_params"]["model.hidden_dim"]
    assert cfg.output is None and cfg.train.epochs == 2
    assert "| trial | state | mrr |" in (out / "trials.md").read_text()


def test_interrupted_trial_is_retried_and_resumes_its_training(
    mini_hpo_home: Path, tmp_path: Path, monkeypatch, restore_threads: None
) -> None:
    from train.diagnosis import train_diagnosis

    calls = {"n": 0}

    def interrupted_once(cfg, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:  # Ctrl-C in the second trial, after its first epoch

            def stop(history):
                raise KeyboardInterrupt

            kwargs["on_epoch"] = stop
        return train_diagnosis(cfg, **kwargs)

    monkeypatch.setattr(tune_module, "_trainer", lambda space: interrupted_once)
    # no pruning: whether the retry falls below the median depends on the draws
    config = _write_search(tmp_path, mini_hpo_home, sampler="random", pruner="none")
    out = tmp_path / "study"
    with pytest.raises(KeyboardInterrupt):
        run_search(config, trials=2, folder=out, home=mini_hpo_home, progress=False)
    result = run_search(config, trials=2, folder=out, home=mini_hpo_home, progress=False)
    rows = result.trials
    assert [r["state"] for r in rows] == ["complete", "fail", "complete"]
    assert rows[2]["retry_of"] == 1 and rows[2]["params"] == rows[1]["params"]
    assert rows[2]["output"] == rows[1]["output"]  # the checkpoint of the interrupted run
    assert rows[2]["epochs_reported"] == 2  # its first epoch (from the checkpoint) and the next


@pytest.mark.parametrize(
    ("tune_extra", "pruned_after"),
    [({}, 1), ({"warmup_epochs": 1}, 2)],  # a warm-up epoch is never pruned
)
def test_trials_below_the_median_are_pruned(
    tmp_path: Path, monkeypatch, tune_extra: dict[str, int], pruned_after: int
) -> None:
    curves = iter([[0.9, 0.95, 0.97], [0.2, 0.9, 0.99]])  # the second: below at epochs 1, 2

    def fake_training(cfg, *, on_epoch, **kwargs):
        history: list[dict[str, float]] = []
        for epoch, value in enumerate(next(curves), start=1):
            history.append({"epoch": epoch, "mrr": value})
            on_epoch(history)
        return SimpleNamespace(epochs=len(history), seconds=0.0, best_valid=history[-1])

    monkeypatch.setattr(tune_module, "_trainer", lambda space: fake_training)
    config = tmp_path / "search.yaml"
    params = {"train.lr": {"type": "float", "low": 1e-4, "high": 1e-2}}
    tune = {"params": params, "startup_trials": 1, **tune_extra}
    config.write_text(yaml.safe_dump({"tune": tune}))
    result = run_search(config, trials=2, folder=tmp_path / "study", progress=False)
    assert [(r["state"], r["epochs_reported"]) for r in result.trials] == [
        ("complete", 3),
        ("pruned", pruned_after),
    ]
    assert result.best_trial == 0 and result.best_value == 0.97


def test_metrics_of_the_development_cases_are_not_tuned_on(tmp_path: Path) -> None:
    config = tmp_path / "search.yaml"
    params = {"train.lr": {"type": "float", "low": 1e-4, "high": 1e-2}}
    config.write_text(yaml.safe_dump({"tune": {"params": params, "metric": "dev_top1"}}))
    with pytest.raises(ValueError, match="development cases"):
        load_search(config)
