"""CLI review fixes: checks made before work starts (one line, exit 2), failures that set
the exit status, ``--version``, ``kg build --name`` and ``-v`` tracebacks. The "no KG"
paths use an empty home; no real HPO KG is built."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from kgfuse.cli import app

EXAMPLES = Path(__file__).resolve().parents[2] / "kgfuse" / "examples"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _flat(output: str) -> str:
    """CLI output as one line, without the borders of rich's panels."""
    return " ".join(output.replace("│", " ").split())


def _invoke(*args: Any) -> Any:
    return CliRunner().invoke(app, [str(a) for a in args])


def _one_error(result: Any, *words: str) -> None:
    """Exit 2 with one error line naming ``words``, no traceback."""
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output, result.output
    text = _flat(result.output)
    for word in words:
        assert word in text, (word, result.output)


def _no_launch(*args: Any, **kwargs: Any) -> int:
    raise AssertionError("torchrun was started")


# 1. kgfuse train --nproc N


def test_train_nproc_without_a_kg_is_one_error_before_torchrun(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import train.distributed

    monkeypatch.setattr(train.distributed, "launch", _no_launch)
    result = _invoke("train", "--nproc", "2", "--home", tmp_path / "empty", "-q")
    _one_error(result, "no knowledge graph")
    assert result.output.count("no knowledge graph") == 1


def test_train_nproc_with_a_bad_setting_is_one_error_before_torchrun(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import train.distributed

    monkeypatch.setattr(train.distributed, "launch", _no_launch)
    args = ["train", "--nproc", "2", "--home", tmp_path, "--set", "train.no_such_key=1"]
    _one_error(_invoke(*args), "no_such_key")


# 2. kgfuse bench all


@pytest.mark.parametrize(
    ("flag", "name"),
    [
        ("--cases", "nope.jsonl"),
        ("--link-gold", "nope.jsonl"),
        ("--model", "nope"),
        ("--hpo-dir", "nope"),
    ],
)
def test_bench_all_checks_the_paths_given_before_any_section(
    tmp_path: Path, flag: str, name: str
) -> None:
    out = tmp_path / "report"
    result = _invoke("bench", "all", "--home", tmp_path / "h", "-o", out, flag, tmp_path / name)
    _one_error(result, flag, "not found")
    assert not out.exists()


def test_bench_all_refuses_a_file_given_as_a_folder(tmp_path: Path) -> None:
    afile = tmp_path / "afile"
    afile.write_text("x", encoding="utf-8")
    result = _invoke(
        "bench", "all", "--home", tmp_path / "h", "-o", tmp_path / "r", "--model", afile
    )
    _one_error(result, "--model", "not a folder")


def test_bench_all_refuses_a_section_both_run_and_skipped(tmp_path: Path) -> None:
    args = ["bench", "all", "--home", tmp_path / "h", "-o", tmp_path / "r"]
    _one_error(_invoke(*args, "--only", "kg,qa", "--skip", "kg"), "kg", "--only", "--skip")
    assert not (tmp_path / "r").exists()


def test_bench_all_refuses_skipping_every_section(tmp_path: Path) -> None:
    from kgfuse.bench_report import SECTIONS

    args = ["bench", "all", "--home", tmp_path / "h", "-o", tmp_path / "r"]
    _one_error(_invoke(*args, "--skip", ",".join(SECTIONS)), "no section")


def _fake_report(statuses: dict[str, str]) -> Any:
    def run_report(out: Path, inputs: Any, **kwargs: Any) -> dict[str, Any]:
        return {
            "run": {"wall_seconds": 1.0, "sections_run": list(statuses)},
            "sections": {n: {"status": s, "seconds": 1.0} for n, s in statuses.items()},
        }

    return run_report


def test_bench_all_exits_1_naming_the_failed_sections(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import kgfuse.bench_report

    statuses = {"kg": "failed", "linking": "skipped", "qa": "ok", "serve": "failed"}
    monkeypatch.setattr(kgfuse.bench_report, "run_report", _fake_report(statuses))
    result = _invoke("bench", "all", "--home", tmp_path / "h", "-o", tmp_path / "r")
    assert result.exit_code == 1, result.output
    assert "2 section(s) failed: kg, serve" in _flat(result.output)


def test_bench_all_skipped_sections_are_no_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import kgfuse.bench_report

    statuses = {"kg": "ok", "linking": "skipped", "diagnosis": "skipped"}
    monkeypatch.setattr(kgfuse.bench_report, "run_report", _fake_report(statuses))
    result = _invoke("bench", "all", "--home", tmp_path / "h", "-o", tmp_path / "r")
    assert result.exit_code == 0, result.output


# 3. kgfuse tune


def test_tune_without_a_kg_is_one_error_and_no_study(tmp_path: Path) -> None:
    config = tmp_path / "search.yaml"
    lr = {"train.lr": {"type": "float", "low": 1e-4, "high": 1e-2, "log": True}}
    config.write_text(yaml.safe_dump({"tune": {"params": lr}}), encoding="utf-8")
    home = tmp_path / "empty"
    result = _invoke("tune", "-c", config, "-n", "1", "--home", home, "-q")
    _one_error(result, "no knowledge graph")
    assert not list(tmp_path.rglob("study.db"))


# 4. tracebacks instead of one line


def test_distant_to_a_folder_is_one_error(tmp_path: Path) -> None:
    result = _invoke("distant", "-o", tmp_path, "--home", tmp_path / "empty")
    _one_error(result, "is a folder")


def test_bench_kg_with_a_missing_hpo_dir_is_one_error(tmp_path: Path) -> None:
    args = ["bench", "kg", "--repeats", "1", "-o", tmp_path / "out", "--home", tmp_path / "h"]
    _one_error(_invoke(*args, "--hpo-dir", tmp_path / "nonexistent"), "--hpo-dir", "not a folder")


# 5. kgfuse bench scaling without a step limit


def test_bench_scaling_without_max_steps_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import train.bench_distributed

    monkeypatch.setattr(train.bench_distributed, "launch", _no_launch)
    args = ["bench", "scaling", "--nproc", "1,2", "-o", tmp_path / "out", "--home", tmp_path]
    _one_error(_invoke(*args), "--set train.max_steps=N")


# 6. evaluations that would give meaningless numbers


def test_eval_link_refuses_gold_without_annotations(tmp_path: Path) -> None:
    result = _invoke("eval", "link", "--gold", EXAMPLES / "notes.jsonl", "--home", tmp_path)
    _one_error(result, "'annotations'")


def test_eval_diagnosis_refuses_cases_without_a_diagnosis(tmp_path: Path) -> None:
    args = ["eval", "diagnosis", "--cases", EXAMPLES / "notes.jsonl", "--home", tmp_path]
    _one_error(_invoke(*args, "--out", tmp_path / "r"), "no case", "diagnosis", "'disease_id'")


def test_eval_diagnosis_refuses_limit_with_sample(tmp_path: Path) -> None:
    args = ["eval", "diagnosis", "--cases", EXAMPLES / "notes.jsonl", "--home", tmp_path]
    result = _invoke(*args, "--out", tmp_path / "r", "--limit", "2", "--sample", "2")
    _one_error(result, "--limit", "--sample", "conflict")


# 7. kgfuse --version


def test_version() -> None:
    result = _invoke("--version")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"kgfuse {version('kgfuse')}"


# 8. kgfuse kg build --name without -o


def test_kg_build_name_decides_the_folder(tmp_path: Path) -> None:
    home = tmp_path / "home"
    source = FIXTURES / "hpo_mini" / "hp.obo"
    result = _invoke("kg", "build", source, "--name", "legal", "--home", home, "-q")
    assert result.exit_code == 0, result.output
    assert (home / "kgs" / "legal").is_dir() and not (home / "kgs" / "hp").exists()
    assert str(home / "kgs" / "legal") in _flat(result.output)
    stats = _invoke("kg", "stats", "--kg", "legal", "--home", home, "--json")
    assert stats.exit_code == 0, stats.output


@pytest.mark.parametrize("name", ["../x", ".hidden", "a b", "a/b", ""])
def test_kg_build_refuses_a_name_that_is_no_folder_name(tmp_path: Path, name: str) -> None:
    home = tmp_path / "home"
    source = FIXTURES / "hpo_mini" / "hp.obo"
    result = _invoke("kg", "build", source, "--name", name, "--home", home, "-q")
    _one_error(result, "--name")
    assert not (home / "kgs").exists() or not any((home / "kgs").iterdir())


# 9. -v prints the traceback of a handled error


def test_verbose_prints_the_traceback_of_a_user_error(tmp_path: Path) -> None:
    args = ["eval", "diagnosis", "--cases", tmp_path / "nope.jsonl", "--home", tmp_path]
    plain = _invoke(*args)
    _one_error(plain, "not found")
    verbose = _invoke("-v", *args)
    assert verbose.exit_code == 2, verbose.output
    assert "Traceback" in verbose.output and "FileNotFoundError" in verbose.output
    assert "not found" in verbose.output
    again = _invoke(*args)  # the flag does not stay set for a later command
    _one_error(again, "not found")
