"""The run key ``--resume`` checks (``OUTPUT.partial.run``): a stopped run's output is not
continued with another input, other options or another model; and ``OUTPUT.partial`` is
never a link followed or a folder written into."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kgfuse.cli import app
from kgfuse.commands.resumed_output import (
    check_run_key,
    key_changes,
    run_key,
    run_key_path,
    write_run_key,
)
from tests.test_kgfuse.diagnose_stops import stop_diagnosis_after
from train.phenopacket import cases_sha256

ENV = {"COLUMNS": "250", "NO_COLOR": "1"}
ROWS = [
    '{"present_hpo": ["HP:0001166", "HP:0001083"]}',  # no ids: matched by place only
    '{"present_hpo": ["HP:0000098"]}',
    '{"present_hpo": ["HP:0001166"]}',
]


def _invoke(*args: object):
    return CliRunner().invoke(app, [str(a) for a in args], env=ENV)


def _diagnose(home: Path, model: Path, cases: Path, out: Path, *more: object):
    return _invoke(
        "diagnose", cases, "-o", out, "--model", model, "--home", home, "--no-audit", *more
    )


@pytest.fixture
def stopped(
    mini_home: Path, mini_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Path, Path]:
    """(the input, the output) of a diagnosis run stopped after its first record."""
    cases = tmp_path / "cases.jsonl"
    cases.write_text("\n".join(ROWS) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    with monkeypatch.context() as patch:
        stop_diagnosis_after(patch, 1)
        result = _diagnose(mini_home, mini_model, cases, out, "--top-k", 3)
    assert result.exit_code == 130, result.output
    return cases, out


def test_a_stopped_run_keeps_its_run_key_and_a_finished_one_removes_it(
    stopped: tuple[Path, Path], mini_home: Path, mini_model: Path
) -> None:
    cases, out = stopped
    key = json.loads(run_key_path(out).read_text(encoding="utf-8"))
    assert key["command"] == "diagnose"
    assert key["options"]["--top-k"] == 3
    assert key["input"]["sha256"] == cases_sha256(cases)
    assert len(key["model"]["sha256"]) == 64
    resumed = _diagnose(mini_home, mini_model, cases, out, "--top-k", 3, "--resume")
    assert resumed.exit_code == 0, resumed.output
    assert len(out.read_text(encoding="utf-8").splitlines()) == len(ROWS)
    assert not run_key_path(out).exists()
    assert not out.with_name("out.jsonl.partial").exists()


def test_resume_refuses_other_options(
    stopped: tuple[Path, Path], mini_home: Path, mini_model: Path
) -> None:
    cases, out = stopped
    partial = out.with_name("out.jsonl.partial")
    before = partial.read_bytes()
    other = _diagnose(mini_home, mini_model, cases, out, "--top-k", 5, "--resume")
    assert other.exit_code == 2
    message = " ".join(other.output.split())
    assert "was written by another run: --top-k was 3, now 5" in message
    assert "or run without --resume" in message
    assert partial.read_bytes() == before  # nothing of it lost


def test_resume_refuses_an_input_edited_in_the_part_done(
    stopped: tuple[Path, Path], mini_home: Path, mini_model: Path
) -> None:
    cases, out = stopped
    # the first record, already diagnosed, is another patient now; without ids the
    # records' places still match, so only the run key can tell
    cases.write_text("\n".join(['{"present_hpo": ["HP:0000098"]}', *ROWS[1:]]) + "\n")
    edited = _diagnose(mini_home, mini_model, cases, out, "--top-k", 3, "--resume")
    assert edited.exit_code == 2
    assert f"the input {cases} is not the one it read" in " ".join(edited.output.split())


def test_a_partial_output_without_a_run_key_is_checked_by_ids_with_a_warning(
    stopped: tuple[Path, Path], mini_home: Path, mini_model: Path, caplog
) -> None:
    cases, out = stopped
    run_key_path(out).unlink()
    with caplog.at_level(logging.WARNING, logger="kgfuse.commands.resumed_output"):
        resumed = _diagnose(mini_home, mini_model, cases, out, "--top-k", 3, "--resume")
    assert resumed.exit_code == 0, resumed.output
    assert "has no run key" in caplog.text and "only its records' ids" in caplog.text
    assert len(out.read_text(encoding="utf-8").splitlines()) == len(ROWS)


def test_a_run_key_that_is_not_one_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "o.jsonl"
    key = run_key("diagnose", _file(tmp_path, "in.jsonl", "{}\n"), {"--top-k": 10}, None)
    run_key_path(out).write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match="is not a run key this kgfuse writes"):
        check_run_key(out, key)
    run_key_path(out).write_bytes(b"\xff\xfe")
    with pytest.raises(ValueError, match="cannot read"):
        check_run_key(out, key)
    write_run_key(out, key)
    check_run_key(out, key)  # its own key passes
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_key_changes_name_each_difference(tmp_path: Path) -> None:
    first = _file(tmp_path, "a.jsonl", '{"id": 1}\n')
    second = _file(tmp_path, "b.jsonl", '{"id": 2}\n')
    kept = run_key("predict", first, {"--threshold": None, "--batch-size": 32}, None)
    same = run_key("predict", tmp_path / "a.jsonl", {"--batch-size": 32, "--threshold": None}, None)
    assert key_changes(kept, same) == []
    now = run_key("diagnose", second, {"--threshold": 0.4, "--batch-size": 32}, None)
    now["kgfuse"] = "99.0"
    changes = key_changes(kept, now)
    assert changes[0] == "it was written by `kgfuse predict`"
    assert changes[1].startswith(f"the input {second} is not the one it read")
    assert "--threshold was not given, now 0.4" in changes
    assert changes[-1].endswith("this is 99.0")
    assert len(changes) == 4


def test_the_input_hash_of_a_folder_follows_its_files(tmp_path: Path) -> None:
    folder = tmp_path / "cases"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.json").write_text("{}")
    (folder / "sub" / "b.json").write_text("[]")
    (folder / "notes.txt").write_text("not read")
    before = cases_sha256(folder)
    (folder / "notes.txt").write_text("still not read")
    assert cases_sha256(folder) == before
    (folder / "sub" / "b.json").write_text("[{}]")
    assert cases_sha256(folder) != before


def test_a_model_of_other_files_is_another_run(tmp_path: Path) -> None:
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text("{}")
    cases = _file(tmp_path, "in.jsonl", "{}\n")
    kept = run_key("diagnose", cases, {}, model)
    (model / "config.json").write_text('{"temperature": 2}')
    (change,) = key_changes(kept, run_key("diagnose", cases, {}, model))
    assert change.startswith(f"the model was {model} (files sha256 ")


def test_resume_after_a_finished_run_says_it_finished(
    mini_home: Path, mini_model: Path, tmp_path: Path
) -> None:
    cases = _file(tmp_path, "cases.jsonl", ROWS[0] + "\n")
    out = tmp_path / "out.jsonl"
    assert _diagnose(mini_home, mini_model, cases, out).exit_code == 0
    again = _diagnose(mini_home, mini_model, cases, out, "--resume")
    assert again.exit_code != 0
    assert f"{out} is there: the run that wrote it finished" in " ".join(again.output.split())


@pytest.mark.parametrize("kind", ["link", "folder"])
def test_a_partial_output_that_is_a_link_or_a_folder_is_refused(
    kind: str, mini_home: Path, mini_model: Path, tmp_path: Path
) -> None:
    cases = _file(tmp_path, "cases.jsonl", ROWS[0] + "\n")
    out = tmp_path / "out.jsonl"
    partial = out.with_name("out.jsonl.partial")
    precious = _file(tmp_path, "precious.txt", "keep me\n")
    if kind == "link":
        partial.symlink_to(precious)
    else:
        partial.mkdir()
    result = _diagnose(mini_home, mini_model, cases, out)
    assert result.exit_code == 2
    assert f"{partial} is a {kind}, where the output is written first" in " ".join(
        result.output.split()
    )
    assert precious.read_text(encoding="utf-8") == "keep me\n"  # not emptied through the link
    assert not out.exists()


def test_the_writer_itself_does_not_follow_a_link(tmp_path: Path) -> None:
    from kgfuse.commands.common import jsonl_output

    out = tmp_path / "out.jsonl"
    precious = _file(tmp_path, "precious.txt", "keep me\n")
    out.with_name("out.jsonl.partial").symlink_to(precious)
    with pytest.raises(ValueError, match="is a link"), jsonl_output(out) as sink:
        sink.write("{}\n")
    assert precious.read_text(encoding="utf-8") == "keep me\n"


def _file(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path
