"""The recipes of configs/ ship as ``kgfuse.configs``, and ``--config`` takes a recipe's name
as well as a path (a file there wins; an unknown name lists the recipes)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from kgfuse.cli import app
from kgfuse.commands.common import builtin_configs, resolve_config
from train.config import load_config

CONFIGS = Path(__file__).resolve().parents[2] / "configs"
ENV = {"COLUMNS": "250", "NO_COLOR": "1"}


class _Captured(Exception):
    """Raised by the stand-in of the training, once it has the config."""


def _invoke(*args: Any) -> Any:
    return CliRunner().invoke(app, [str(a) for a in args], env=ENV)


def _flat(output: str) -> str:
    return " ".join(output.replace("│", " ").split())


@pytest.fixture
def trained(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The configs ``kgfuse train`` would train (the training is not run)."""
    import train.diagnosis

    configs: list[Any] = []

    def capture(cfg: Any, **kwargs: Any) -> Any:
        configs.append(cfg)
        raise _Captured

    monkeypatch.setattr(train.diagnosis, "train_diagnosis", capture)
    return configs


def test_importlib_resources_finds_every_yaml_of_configs_in_the_package() -> None:
    shipped = {
        entry.name: entry.read_bytes()
        for entry in resources.files("kgfuse.configs").iterdir()
        if entry.name.endswith(".yaml")
    }
    source = {path.name: path.read_bytes() for path in CONFIGS.glob("*.yaml")}
    assert source, "configs/ holds no recipe"
    assert shipped == source
    assert sorted(builtin_configs()) == sorted(name.removesuffix(".yaml") for name in source)


@pytest.mark.parametrize("name", ["diagnosis", "diagnosis.yaml"])
def test_a_builtin_name_loads_the_same_settings_as_its_path(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no configs/ here: the name is the recipe's
    resolved = resolve_config(Path(name))
    assert resolved is not None and resolved.is_file()
    assert load_config(resolved) == load_config(CONFIGS / "diagnosis.yaml")


def test_kgfuse_train_trains_the_recipe_a_name_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, trained: list[Any]
) -> None:
    monkeypatch.chdir(tmp_path)
    result = _invoke("train", "--config", "diagnosis", "--home", tmp_path, "-q")
    assert isinstance(result.exception, _Captured), result.output
    assert trained == [load_config(CONFIGS / "diagnosis.yaml")]


def test_a_file_of_the_name_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, trained: list[Any]
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("diagnosis").write_text("train:\n  epochs: 7\n", encoding="utf-8")
    assert resolve_config(Path("diagnosis")) == Path("diagnosis")
    result = _invoke("train", "--config", "diagnosis", "--home", tmp_path, "-q")
    assert isinstance(result.exception, _Captured), result.output
    assert trained[0].train.epochs == 7


def test_the_checkout_path_still_works(trained: list[Any], tmp_path: Path) -> None:
    result = _invoke("train", "--config", CONFIGS / "diagnosis.yaml", "--home", tmp_path, "-q")
    assert isinstance(result.exception, _Captured), result.output
    assert trained == [load_config(CONFIGS / "diagnosis.yaml")]


@pytest.mark.parametrize("command", ["train", "embed", "tune"])
def test_an_unknown_name_is_one_error_listing_the_recipes(
    command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    extra = ["--trials", "1"] if command == "tune" else []
    result = _invoke(command, "--config", "diagnosys", "--home", tmp_path, *extra)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output, result.output
    assert result.output.startswith("error:") and result.output.count("\n") == 1, result.output
    assert "'diagnosys'" in result.output
    for name in builtin_configs():
        assert name in result.output, (name, result.output)


def test_a_missing_path_names_the_recipes_too(tmp_path: Path) -> None:
    result = _invoke("train", "--config", tmp_path / "configs" / "diagnosis.yaml")
    assert result.exit_code == 2, result.output
    text = _flat(result.output)
    assert "config file not found" in text and "tune_diagnosis" in text, result.output


def test_kgfuse_tune_reads_the_recipe_a_name_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    # the search config is read first, then the KG is opened: an empty home has none
    result = _invoke("tune", "--config", "tune_diagnosis", "--trials", "1", "--home", tmp_path)
    assert result.exit_code == 2, result.output
    assert "no knowledge graph" in _flat(result.output), result.output


def test_the_help_names_every_recipe() -> None:
    helps = _flat(_invoke("train", "--help").output) + _flat(_invoke("tune", "--help").output)
    for name in builtin_configs():
        assert f"configs/{name}.yaml" in helps, name
