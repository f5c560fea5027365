"""Typed training configs: YAML, overrides, validation, hashing."""

from __future__ import annotations

from pathlib import Path

import pydantic
import pytest

from train.config import DiagnosisConfig, apply_overrides, load_config


def test_config_defaults_without_file() -> None:
    cfg = load_config(None)
    assert cfg == DiagnosisConfig()
    assert cfg.model.fusion == "cross_attention"


def test_config_yaml_and_overrides(tmp_path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("train:\n  epochs: 5\nmodel:\n  fusion: kg_only\n", encoding="utf-8")
    cfg = load_config(path, ["train.epochs=2", "train.lr=0.001", "output=/x/y"])
    assert (cfg.train.epochs, cfg.train.lr, cfg.model.fusion, cfg.output) == (
        2,
        0.001,
        "kg_only",
        "/x/y",
    )


def test_config_unknown_key_is_an_error(tmp_path) -> None:
    with pytest.raises(pydantic.ValidationError, match="epoch"):
        load_config(None, ["train.epoch=2"])
    with pytest.raises(pydantic.ValidationError, match="fusion"):
        load_config(None, ["model.fusion=magic"])


def test_config_bad_override_syntax() -> None:
    with pytest.raises(ValueError, match="section.key=value"):
        apply_overrides({}, ["train.epochs"])


def test_config_missing_file() -> None:
    with pytest.raises(FileNotFoundError, match="nope.yaml"):
        load_config(__import__("pathlib").Path("nope.yaml"))


def test_config_hash_changes_with_content_and_round_trips_yaml(tmp_path) -> None:
    a, b = load_config(None), load_config(None, ["train.seed=1"])
    assert a.config_hash() != b.config_hash()
    path = tmp_path / "saved.yaml"
    path.write_text(b.to_yaml(), encoding="utf-8")
    assert load_config(path).config_hash() == b.config_hash()


def test_config_simulation_settings_reach_the_simulator() -> None:
    cfg = load_config(
        None,
        [
            "simulation.near_miss_mean=1.5",
            "simulation.near_miss_steps=3",
            "simulation.noise_mean=1.0",
            "simulation.imprecision_rate=0.15",
            "simulation.mean_terms=8.0",
        ],
    )
    sim = cfg.simulation.simulator_config()
    assert (sim.near_miss_mean, sim.near_miss_steps, sim.noise_mean) == (1.5, 3, 1.0)
    assert (sim.imprecision_rate, sim.mean_terms) == (0.15, 8.0)
    with pytest.raises(pydantic.ValidationError, match="imprecision_rate"):
        load_config(None, ["simulation.imprecision_rate=1.5"])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (b"train:\n  epochs: [1\n", r"bad\.yaml:3: not valid YAML"),
        (b'x: !!python/object/apply:os.system ["echo hi"]\n', r"bad\.yaml:1: not valid YAML"),
        (b"train:\n  epochs: \xff\n", r"bad\.yaml: not valid UTF-8"),
    ],
)
def test_a_config_that_is_not_yaml_names_the_file_and_line(
    tmp_path: Path, text: bytes, message: str
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(text)
    with pytest.raises(ValueError, match=message):
        load_config(bad)


def test_an_output_folder_that_would_destroy_inputs_is_refused(tmp_path: Path) -> None:
    from train.checkpoint import check_output_folder

    data = tmp_path / "od" / "training.json"  # the name training writes its results to
    data.parent.mkdir()
    data.write_text("{}")
    with pytest.raises(ValueError, match="lies in the output folder"):
        check_output_folder(tmp_path / "od", [data, None])
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValueError, match="is a file"):
        check_output_folder(tmp_path / "file")
    (tmp_path / "kg" / "builds").mkdir(parents=True)
    with pytest.raises(ValueError, match="is a KG folder"):
        check_output_folder(tmp_path / "kg")
    check_output_folder(tmp_path / "new", [data])  # elsewhere: fine
    assert data.read_text() == "{}"


@pytest.mark.parametrize(
    "override",
    [
        "model.num_facts=0",
        "model.hidden_dim=0",
        "model.max_length=100000",
        "model.dropout=1.5",
        "model.freeze_layers=-1",
        "train.max_steps=-5",
        "train.max_minutes=-1",
        "train.num_threads=-2",
        "train.weight_decay=-1",
        "embedding.hidden_dim=0",
    ],
)
def test_out_of_range_settings_are_named(override: str) -> None:
    key = override.split("=")[0]
    with pytest.raises(pydantic.ValidationError, match=key.split(".")[1]):
        load_config(None, [override])


def test_the_saved_config_holds_no_password_of_a_kg_url() -> None:
    from train.config import DiagnosisConfig

    config = DiagnosisConfig.model_validate({"kg": "http://kguser:kgpass@host:7878/query"})
    saved = config.to_yaml()
    assert "kgpass" not in saved and "kguser" not in saved
    assert "http://***@host:7878/query" in saved
    assert config.kg == "http://kguser:kgpass@host:7878/query"  # the run itself keeps it
