"""``train.tune`` after review: an edited search config, the search space and metric checked
before any training, bad storage URLs, refused draws, and the draws of a resumed search.
A fake trainer (value = f(params)) keeps these fast."""

from __future__ import annotations

import logging
import math
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import optuna
import pytest
import yaml
from typer.testing import CliRunner

import train.tune as tune_module
from kgfuse.cli import app
from train.tune import load_search, run_search

LR = {"train.lr": {"type": "float", "low": 1e-4, "high": 1e-2, "log": True}}


def _fake_training(cfg: Any, *, on_epoch: Any, **kwargs: Any) -> SimpleNamespace:
    value = -abs(cfg.train.lr - 3e-3)
    on_epoch([{"epoch": 1, "mrr": value}])
    return SimpleNamespace(epochs=1, seconds=0.0, best_valid={"mrr": value})


@pytest.fixture
def fake_trainer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tune_module, "_trainer", lambda space: _fake_training)


def _write(path: Path, tune: dict[str, Any], **config: Any) -> Path:
    path.write_text(yaml.safe_dump({**config, "tune": tune}), encoding="utf-8")
    return path


def test_a_study_refuses_an_edited_search_config(tmp_path: Path, fake_trainer: None) -> None:
    config, out = tmp_path / "search.yaml", tmp_path / "study"
    _write(config, {"params": LR, "sampler": "random"}, train={"epochs": 2})
    run_search(config, trials=2, folder=out, progress=False)
    edits = [
        ({"params": LR, "sampler": "random"}, {"epochs": 7}),  # the training config
        ({"params": {"train.lr": {**LR["train.lr"], "low": 5e-3}}}, {"epochs": 2}),  # the space
        ({"params": LR, "metric": "top1"}, {"epochs": 2}),  # the metric
    ]
    for tune, train in edits:
        _write(config, tune, train=train)
        with pytest.raises(ValueError, match="'search'.*another search config.*--study-name"):
            run_search(config, trials=3, folder=out, progress=False)
    # the sampler, or settings a resumed run may change, are not another search
    _write(config, {"params": LR, "sampler": "tpe"}, train={"epochs": 2, "max_minutes": 5})
    assert len(run_search(config, trials=3, folder=out, progress=False).trials) == 3
    # an edited config goes on in a new study
    _write(config, {"params": LR}, train={"epochs": 7})
    other = run_search(config, trials=1, study_name="s2", folder=out, progress=False)
    assert other.study_name == "s2" and len(other.trials) == 1


def test_a_study_made_before_fingerprints_is_accepted(tmp_path: Path, fake_trainer: None) -> None:
    config, out = _write(tmp_path / "search.yaml", {"params": LR}), tmp_path / "study"
    out.mkdir()
    url = f"sqlite:///{out / 'study.db'}"
    old = optuna.create_study(study_name="search", storage=url, direction="maximize")
    lr = optuna.distributions.FloatDistribution(1e-4, 1e-2, log=True)
    old.add_trial(
        optuna.trial.create_trial(
            params={"train.lr": 1e-3}, distributions={"train.lr": lr}, value=-2e-3
        )
    )
    result = run_search(config, trials=2, folder=out, progress=False)
    assert [r["state"] for r in result.trials] == ["complete", "complete"]
    stored = optuna.load_study(study_name="search", storage=url).user_attrs[tune_module.FINGERPRINT]
    assert stored == load_search(config).fingerprint()


@pytest.mark.parametrize(
    ("param", "message"),
    [
        ({"type": "int", "low": 2, "high": 8, "step": 0.5}, "integer 'low', 'high' and 'step'"),
        ({"type": "int", "low": 1.5, "high": 1.9}, "integer 'low', 'high' and 'step'"),
        ({"type": "int", "low": 2, "high": 8.5}, "integer 'low', 'high' and 'step'"),
        ({"type": "int", "low": 2, "high": 8, "step": 0}, "greater than 0"),
        ({"type": "int", "low": 2, "high": 8, "step": -2}, "greater than 0"),
        ({"type": "int", "low": 0, "high": 8}, r"train.batch_size = 0\b"),  # ge=1
    ],
)
def test_int_params_are_checked_by_name(tmp_path: Path, param: dict, message: str) -> None:
    config = _write(tmp_path / "s.yaml", {"params": {"train.batch_size": param}})
    with pytest.raises(ValueError, match=message) as caught:
        load_search(config)
    assert "train.batch_size" in str(caught.value)


def test_every_end_of_the_space_is_checked(tmp_path: Path) -> None:
    config = tmp_path / "s.yaml"
    for params, refused in [
        ({"model.dropout": {"type": "float", "low": 0.0, "high": 1.0}}, "model.dropout = 1.0"),
        ({"model.hidden_dim": {"type": "categorical", "choices": [8, 0]}}, "model.hidden_dim = 0"),
        ({"train.epochs": {"type": "int", "low": 1, "high": 3}, **LR}, None),
    ]:
        _write(config, {"params": params})
        if refused is None:
            load_search(config)
            continue
        with pytest.raises(ValueError, match=f"do not fit the training config: {refused}"):
            load_search(config)


def test_a_draw_the_config_refuses_fails_its_trial_only(
    tmp_path: Path, fake_trainer: None, monkeypatch: pytest.MonkeyPatch, caplog
) -> None:
    # both ends fit (1.0 and 2.0 are integers), a draw between them does not
    params = {"train.epochs": {"type": "float", "low": 1, "high": 2}, **LR}
    config = _write(tmp_path / "search.yaml", {"params": params, "sampler": "random"})
    monkeypatch.setattr(logging.getLogger("optuna"), "propagate", True)
    with caplog.at_level(logging.WARNING, logger="optuna"):
        result = run_search(config, trials=2, folder=tmp_path / "study", progress=False)
    assert [r["state"] for r in result.trials] == ["fail", "fail"]
    assert result.best_config is None
    assert "the training config refuses" in caplog.text and "train.epochs" in caplog.text


def test_the_metric_is_checked_before_training(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(tune_module, "_trainer", lambda space: pytest.fail("trained"))
    config = _write(tmp_path / "search.yaml", {"params": LR, "metric": "mmr"})
    with pytest.raises(ValueError, match="'mmr'.*one of mrr, top1, top3, top10"):
        run_search(config, trials=1, folder=tmp_path / "study", progress=False)
    assert not (tmp_path / "study" / "study.db").exists()
    text = {"params": LR, "metric": "f1"}
    _write(config, text, task="text-classification")
    with pytest.raises(ValueError, match="'f1'.*one of macro_f1, accuracy"):
        load_search(config)
    _write(config, text, task="token-classification")
    assert load_search(config).metric == "f1"


def test_the_known_metrics_are_those_the_trainings_report() -> None:
    from eval.diagnosis import TiedRanks
    from eval.task_metrics import classification_metrics, multilabel_metrics, span_metrics
    from train.diagnosis import metrics_of_ranks

    ranks = metrics_of_ranks(TiedRanks(np.zeros(1), np.ones(1)))
    assert set(tune_module.VALIDATION_METRICS["diagnosis"]) == set(ranks)
    text = {
        **classification_metrics([0], [0]),
        **multilabel_metrics(np.ones((1, 1)), np.ones((1, 1))),
    }
    assert set(tune_module.VALIDATION_METRICS["text-classification"]) == set(text)
    assert set(tune_module.VALIDATION_METRICS["token-classification"]) == set(span_metrics([], []))


@pytest.mark.parametrize(
    "url",
    ["study.db", "sqlite:///{tmp}/no/such/folder/study.db", "postgresql://x@127.0.0.1:1/db"],
)
def test_a_bad_storage_url_is_a_user_error(tmp_path: Path, fake_trainer: None, url: str) -> None:
    config = _write(tmp_path / "search.yaml", {"params": LR})
    url = url.format(tmp=tmp_path)
    with pytest.raises(ValueError, match=r"--storage .*sqlite:///path/study\.db"):
        run_search(config, trials=1, storage=url, folder=tmp_path / "study", progress=False)
    args = ["tune", "--config", str(config), "--trials", "1", "-o", str(tmp_path / "s")]
    result = CliRunner().invoke(app, [*args, "--storage", url, "-q"])
    assert result.exit_code == 2 and "--storage" in result.output, result.output


@pytest.mark.parametrize("sampler", ["random", "tpe"])
def test_a_resumed_search_draws_as_an_uninterrupted_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sampler: str
) -> None:
    calls = {"n": 0, "interrupt_at": 0}

    def training(cfg: Any, **kwargs: Any) -> SimpleNamespace:
        calls["n"] += 1
        if calls["n"] == calls["interrupt_at"]:
            raise KeyboardInterrupt
        return _fake_training(cfg, **kwargs)

    monkeypatch.setattr(tune_module, "_trainer", lambda space: training)
    tune = {"params": LR, "sampler": sampler, "startup_trials": 1, "pruner": "none"}
    config = _write(tmp_path / "search.yaml", tune)
    plain = run_search(config, trials=4, folder=tmp_path / "a", progress=False)
    calls.update(n=0, interrupt_at=2)  # Ctrl-C in the second trial
    with pytest.raises(KeyboardInterrupt):
        run_search(config, trials=4, folder=tmp_path / "b", progress=False)
    resumed = run_search(config, trials=4, folder=tmp_path / "b", progress=False)

    def drawn(rows: list[dict[str, Any]]) -> list[float]:
        return [r["params"]["train.lr"] for r in rows if r["state"] == "complete"]

    assert [r["state"] for r in resumed.trials] == ["complete", "fail", *["complete"] * 3]
    assert all(
        math.isclose(a, b) for a, b in zip(drawn(plain.trials), drawn(resumed.trials), strict=True)
    )
    assert resumed.best_params == plain.best_params
