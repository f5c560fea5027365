"""What the commands write and print: JSONL outputs never half-written nor over their input,
messages as plain text, settings errors one line per field."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

import kgfuse.diagnosis as diagnosis_module
from kgfuse.cli import app
from kgfuse.commands.common import (
    check_input_output,
    jsonl_output,
    partial_path,
    write_records,
)


def test_output_appears_whole_once_the_block_ends(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    with jsonl_output(out) as sink:
        sink.write('{"id": 1}\n')
        assert not out.exists()  # nothing under the final name while writing
    assert out.read_text(encoding="utf-8") == '{"id": 1}\n'
    assert not partial_path(out).exists()


def test_a_failed_run_keeps_the_earlier_output_and_its_lines_apart(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    out.write_text("earlier\n", encoding="utf-8")
    with pytest.raises(KeyboardInterrupt), jsonl_output(out) as sink:
        sink.write('{"id": 1}\n')
        raise KeyboardInterrupt
    assert out.read_text(encoding="utf-8") == "earlier\n"
    assert partial_path(out).read_text(encoding="utf-8") == '{"id": 1}\n'


def test_a_run_that_wrote_nothing_leaves_no_partial_file(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    with pytest.raises(RuntimeError), jsonl_output(out):
        raise RuntimeError("boom")
    assert not out.exists() and not partial_path(out).exists()


def test_paths_are_checked_before_any_work(tmp_path: Path) -> None:
    records = tmp_path / "in.jsonl"
    records.write_text('{"id": 1, "text": "tall"}\n', encoding="utf-8")
    check_input_output(records, tmp_path / "out.jsonl")
    check_input_output(records, None)
    with pytest.raises(FileNotFoundError, match="input file not found"):
        check_input_output(tmp_path / "missing.jsonl", None)
    with pytest.raises(FileNotFoundError, match="output folder not found"):
        check_input_output(records, tmp_path / "nowhere" / "out.jsonl")
    with pytest.raises(ValueError, match="is a folder"):
        check_input_output(records, tmp_path)
    with pytest.raises(ValueError, match="is the input"):
        check_input_output(records, tmp_path / "." / "in.jsonl")


def test_a_run_with_no_records_writes_an_empty_output(tmp_path: Path) -> None:
    """An empty input (a pipeline's empty shard) has an empty output, in place of an
    earlier run's: the output is always that of the last input."""
    out = tmp_path / "out.jsonl"
    out.write_text("earlier\n", encoding="utf-8")
    assert write_records(iter([]), out) == (0, 0)
    assert out.read_text(encoding="utf-8") == ""
    assert not partial_path(out).exists()


def test_a_repeated_id_is_said_in_records_that_list_warnings_only_when_any(
    tmp_path: Path,
) -> None:
    # `kgfuse predict` writes "warnings" only when a record has some
    records = iter(
        [
            {"id": "a", "label": "x"},
            {"id": "a", "label": "y"},
            {"id": "a", "error": "bad"},
            {"id": "a", "warnings": ["long"]},
        ]
    )
    out = tmp_path / "out.jsonl"
    assert write_records(records, out) == (4, 1)
    written = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    said = "id 'a' is also an earlier record's id"
    assert [r.get("warnings") for r in written] == [None, [said], None, ["long", said]]


def test_outputs_that_writing_would_destroy_are_refused(tmp_path: Path) -> None:
    import os
    import sqlite3

    records = tmp_path / "cases.jsonl.partial"  # where -o cases.jsonl is written first
    records.write_text('{"id": 1, "text": "tall"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match="is the input"):
        check_input_output(records, tmp_path / "cases.jsonl")
    assert records.read_text(encoding="utf-8").startswith('{"id": 1')
    key = tmp_path / "o.jsonl.partial.run"  # the run key, written beside OUTPUT.partial
    key.write_text('{"id": 1, "text": "tall"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match="is the input"):
        check_input_output(key, tmp_path / "o.jsonl")
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    with pytest.raises(ValueError, match="not a regular file"):
        check_input_output(records, pipe)
    database = tmp_path / "audit.sqlite"
    with sqlite3.connect(database) as connection:
        connection.execute("CREATE TABLE t (x)")
    for journal in ("audit.sqlite-wal", "audit.sqlite-shm", "audit.sqlite-journal"):
        with pytest.raises(ValueError, match="journal of the SQLite database"):
            check_input_output(records, tmp_path / journal)
    check_input_output(records, tmp_path / "my-journal")  # a name alone is no journal


def _flat(text: str) -> str:
    """Console output without the line breaks rich puts into long messages."""
    return " ".join(text.split())


class _DiesAfterTwo:
    """A diagnosis service that answers two records, then is interrupted."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def diagnose_records(self, records: Any, top_k: int) -> Iterator[dict[str, Any]]:
        for n, (_, record) in enumerate(records):
            if n == 2:
                raise KeyboardInterrupt
            yield {"id": record["id"], "ranking": []}


def test_cli_diagnose_interrupted_writes_no_output(tmp_path: Path, monkeypatch) -> None:
    records = tmp_path / "in.jsonl"
    lines = [json.dumps({"id": i, "text": "tall"}) for i in range(4)]
    records.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    monkeypatch.setattr(diagnosis_module, "DiagnosisService", _DiesAfterTwo)
    result = CliRunner().invoke(app, ["diagnose", str(records), "-o", str(out)])
    assert result.exit_code == 130, result.output
    assert not out.exists()
    kept = partial_path(out).read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["id"] for line in kept] == [0, 1]
    assert "records done so far" in _flat(result.output)


def test_cli_refuses_an_output_that_is_the_input(tmp_path: Path, monkeypatch) -> None:
    records = tmp_path / "in.jsonl"
    records.write_text('{"id": 1, "text": "tall"}\n', encoding="utf-8")
    monkeypatch.setattr(diagnosis_module, "DiagnosisService", _DiesAfterTwo)
    for command in ("diagnose", "link"):
        result = CliRunner().invoke(app, [command, str(records), "-o", str(records)])
        assert result.exit_code == 2 and "is the input" in _flat(result.output), result.output
    assert records.read_text(encoding="utf-8") == '{"id": 1, "text": "tall"}\n'


def test_cli_quickstart_messages_are_plain_text(monkeypatch) -> None:
    import kgfuse.quickstart as quickstart_module

    def fake_run(home, *, overrides, progress, say):
        say("[kg] done in 18 s")
        return quickstart_module.QuickstartReport(
            stages={"kg": 18.0},
            diagnoses=[{"id": "[note] 1", "ranking": [], "findings": []}],
        )

    monkeypatch.setattr(quickstart_module, "run_quickstart", fake_run)
    result = CliRunner().invoke(app, ["quickstart", "--quiet"])
    assert result.exit_code == 0, result.output
    assert "[kg] done in 18 s" in result.output  # the stage name was read as markup
    assert "[note] 1" in result.output


def test_cli_settings_errors_name_each_field_and_value(tmp_path: Path) -> None:
    args = ["train", "-o", str(tmp_path / "m"), "--set", "train.lr=abc"]
    result = CliRunner().invoke(app, [*args, "--set", "model.fusion=bogus"])
    assert result.exit_code == 2, result.output
    text = _flat(result.output)
    assert "invalid DiagnosisConfig settings" in text
    assert "train.lr: Input should be a valid number" in text and "(got 'abc')" in text
    assert "model.fusion: Input should be" in text and "(got 'bogus')" in text
    assert "errors.pydantic.dev" not in text


def test_command_line_text_that_is_not_utf8_is_refused_by_position() -> None:
    from kgfuse.commands.common import utf8_text

    assert utf8_text("café") == "café" and utf8_text(None) is None
    not_utf8 = b"caf\xe9 fingers".decode("utf-8", "surrogateescape")  # as Python reads argv
    with pytest.raises(typer.BadParameter, match=r"byte 0xe9 at character 3"):
        utf8_text(not_utf8)
    result = CliRunner().invoke(app, ["link", "--text", not_utf8])
    assert result.exit_code == 2 and "not valid UTF-8" in _flat(result.output)


def test_serve_refuses_a_port_in_use_before_loading_anything(tmp_path: Path) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        args = ["serve", "--port", str(port), "--home", str(tmp_path / "empty-home")]
        result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert f"cannot serve on 127.0.0.1:{port}" in _flat(result.output)
    assert not (tmp_path / "empty-home").exists()  # no KG build was started


def test_quickstart_starts_over_from_a_checkpoint_of_other_settings(
    mini_home: Path, tmp_path: Path, monkeypatch
) -> None:
    import kgfuse.quickstart as quickstart_module
    import train.diagnosis as train_module
    from train.loop import CheckpointMismatchError

    home = tmp_path / "home"
    (home / "kgs").mkdir(parents=True)
    (home / "kgs" / "hpo").symlink_to(mini_home / "kgs" / "hpo")
    calls: list[bool] = []

    def train(config, *, home, progress, resume=True):
        calls.append(resume)
        if resume:
            raise CheckpointMismatchError("written by a run with other settings")

    monkeypatch.setattr(train_module, "ensure_embeddings", lambda *args: None)
    monkeypatch.setattr(train_module, "ensure_fact_index", lambda *args: None)
    monkeypatch.setattr(train_module, "train_diagnosis", train)
    monkeypatch.setattr(diagnosis_module, "DiagnosisService", _DiesAfterTwo)
    said: list[str] = []
    quickstart_module.run_quickstart(home, progress=False, say=said.append)
    assert calls == [True, False]  # tried to resume, then started over
    assert any("from other settings: starting over" in line for line in said)


@pytest.mark.parametrize(
    ("stopped_by", "overrides", "trained"),
    [
        ("time budget", ["train.max_minutes=15"], [False]),  # trained again from the start
        ("time budget", [], []),  # kept, with a word on how to get the reproducible one
        ("steps", ["train.max_minutes=15"], []),  # complete: kept
    ],
)
def test_quickstart_trains_again_a_model_its_time_budget_cut_short(
    mini_home: Path, tmp_path: Path, monkeypatch, stopped_by, overrides, trained
) -> None:
    import kgfuse.quickstart as quickstart_module
    import train.diagnosis as train_module

    home = tmp_path / "home"
    (home / "kgs").mkdir(parents=True)
    (home / "kgs" / "hpo").symlink_to(mini_home / "kgs" / "hpo")
    model = home / "models" / "diagnosis"
    model.mkdir(parents=True)
    (model / "kgfuse_model.json").write_text("{}", encoding="utf-8")
    record = {"steps": 311, "stopped_by": stopped_by}
    (model / "training.json").write_text(json.dumps(record), encoding="utf-8")
    calls: list[bool] = []

    def train(config, *, home, progress, resume=True):
        calls.append(resume)

    monkeypatch.setattr(train_module, "ensure_embeddings", lambda *args: None)
    monkeypatch.setattr(train_module, "ensure_fact_index", lambda *args: None)
    monkeypatch.setattr(train_module, "train_diagnosis", train)
    monkeypatch.setattr(diagnosis_module, "DiagnosisService", _DiesAfterTwo)
    said: list[str] = []
    quickstart_module.run_quickstart(home, overrides=overrides, progress=False, say=said.append)
    assert calls == trained
    text = " ".join(said)
    if stopped_by == "time budget":
        assert "stopped at step 311 by its time budget" in text
    if stopped_by == "time budget" and not overrides:
        assert "--set train.max_minutes=15" in text
    if stopped_by == "steps":
        assert f"model found at {model}" in text and "time budget" not in text


def test_every_command_sums_itself_up_in_one_line() -> None:
    """The command lists of `kgfuse --help` show each command's first paragraph as written:
    a summary that wraps in the source would break mid-sentence there."""
    import typer

    def commands(group, path: str):
        for name, command in group.commands.items():
            if hasattr(command, "commands"):  # a group (typer's own click classes)
                yield from commands(command, f"{path} {name}")
            else:
                yield f"{path} {name}", command

    found = list(commands(typer.main.get_command(app), "kgfuse"))
    assert len(found) > 20
    wrapped = [
        name
        for name, command in found
        if "\n" in (command.help or "").strip().split("\n\n")[0] or not command.help
    ]
    assert wrapped == []


def test_serve_refuses_an_audit_database_it_cannot_write_before_loading_anything(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "audit.sqlite").write_text("not a database\n", encoding="utf-8")
    import socket

    with socket.socket() as probe:  # a port that is free now
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = CliRunner().invoke(app, ["serve", "--port", str(port), "--home", str(home)])
    assert result.exit_code == 2, result.output
    assert "error:" in _flat(result.output) and "audit database" in _flat(result.output)
    assert not (home / "kgs").exists()  # no KG build was started


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("terminal", [True, False])
def test_a_file_of_records_counts_its_progress_on_a_terminal_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, terminal: bool
) -> None:
    err = _Terminal() if terminal else io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    records = iter([{"id": "a"}, {"id": "b", "error": "bad"}, {"id": "c"}])
    out = tmp_path / "out.jsonl"
    assert write_records(records, out, doing="diagnosing") == (3, 1)
    assert [json.loads(line)["id"] for line in out.read_text().splitlines()] == ["a", "b", "c"]
    shown = err.getvalue().replace("\r", "\n")
    assert ("diagnosing: 0 records" in shown) is terminal  # redrawn at most 10 times a second
    assert shown.strip() == "" or terminal  # a log or a pipe gets no progress lines


def test_one_record_shown_for_reading_gets_no_progress_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    err = _Terminal()
    monkeypatch.setattr(sys, "stderr", err)
    shown: list[dict[str, Any]] = []
    assert write_records(iter([{"id": "text"}]), None, shown.append, "diagnosing") == (1, 0)
    assert shown == [{"id": "text"}] and "diagnosing" not in err.getvalue()


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (30, "/srv/kg/facts/.lock is on a read-only file system: give a writable"),
        (28, "/srv/kg/facts/.lock cannot be written: the disk is full"),
    ],
)
def test_a_read_only_or_full_file_system_is_one_line(
    code: int, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rich.console import Console

    import kgfuse.commands.common as common

    shown = io.StringIO()
    monkeypatch.setattr(common, "err_console", Console(file=shown, width=200))

    @common.handle_errors
    def command() -> None:
        raise OSError(code, "refused", "/srv/kg/facts/.lock")

    with pytest.raises(typer.Exit) as info:
        command()
    assert info.value.exit_code == 2
    assert shown.getvalue().startswith("error: ") and message in shown.getvalue()

    @common.handle_errors
    def other() -> None:
        raise OSError(5, "Input/output error", "/dev/sdz")

    with pytest.raises(OSError, match="Input/output"):  # not a user's error: kept whole
        other()


def test_an_output_whose_folder_went_away_is_an_error_not_a_loop(tmp_path: Path) -> None:
    # the folder checked at the start is removed before the first record is written (a
    # scratch folder cleaned, a disk unmounted): the open used to retry without end
    gone = tmp_path / "gone"
    gone.mkdir()
    out = gone / "out.jsonl"
    check_input_output(None, out)
    gone.rmdir()
    with pytest.raises(ValueError, match=r"the output's folder .*gone is not there"):
        write_records(iter([{"id": "a"}]), out)


def test_an_output_that_cannot_be_made_is_tried_a_bounded_number_of_times(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    import kgfuse.commands.common as common

    calls = []

    def never(path: object, flags: int, mode: int = 0o777) -> int:
        calls.append(path)
        raise FileNotFoundError(2, "No such file or directory", str(path))

    monkeypatch.setattr(os, "open", never)  # as /proc answers: ENOENT in a folder that is
    with pytest.raises(ValueError, match="cannot be made: it is not there after 100 tries"):
        common._open_partial(tmp_path / "out.jsonl.partial")
    assert len(calls) == 100


@pytest.fixture
def shown(monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    """What the commands print to stderr (their warnings), on one wide line each."""
    from rich.console import Console

    import kgfuse.commands.common as common

    text = io.StringIO()
    monkeypatch.setattr(common, "err_console", Console(file=text, width=300))
    return text


def test_a_stopped_runs_records_discarded_by_a_run_without_resume_are_said(
    tmp_path: Path, shown: io.StringIO
) -> None:
    out = tmp_path / "out.jsonl"
    partial_path(out).write_text('{"id": "old"}\n', encoding="utf-8")  # a stopped run's
    assert write_records(iter([{"id": "new"}]), out, resumable=True) == (1, 0)
    assert [json.loads(line)["id"] for line in out.read_text().splitlines()] == ["new"]
    said = " ".join(shown.getvalue().split())
    assert "the records a stopped run left in" in said and "--resume would have gone" in said
    shown.truncate(0)
    partial_path(out).write_text('{"id": "old"}\n', encoding="utf-8")
    write_records(iter([{"id": "new"}]), out)  # a command that takes no --resume
    assert "stopped run" not in shown.getvalue()


def test_repeated_ids_are_counted_over_a_resumed_output_too(
    tmp_path: Path, shown: io.StringIO
) -> None:
    from kgfuse.commands.resumed_output import ResumedOutput

    out = tmp_path / "out.jsonl"
    kept = b'{"id": "a"}\n{"id": "a"}\n'  # a stopped run wrote these
    partial_path(out).write_bytes(kept)
    resumed = ResumedOutput(partial_path(out), ("a", "a"), 0, len(kept))
    assert write_records(iter([{"id": "a"}, {"id": "b"}]), out, resumed=resumed) == (4, 0)
    assert [json.loads(line)["id"] for line in out.read_text().splitlines()] == ["a"] * 3 + ["b"]
    assert "2 record(s) repeat an earlier record's id ('a')" in " ".join(shown.getvalue().split())


@pytest.mark.parametrize("kept", [True, False])
def test_a_stopped_training_says_what_it_kept(tmp_path: Path, kept: bool) -> None:
    """A kill-and-resume review found Ctrl-C during `kgfuse train` answered a bare
    "interrupted": now the run says whether its last checkpoint is kept and resumes."""
    from kgfuse.commands.common import Terminated, err_console, said_resumable

    if kept:
        (tmp_path / "checkpoint.safetensors").write_bytes(b"x")
    for stop in (KeyboardInterrupt, Terminated):
        with err_console.capture() as said, pytest.raises(stop), said_resumable(tmp_path):
            raise stop
        text = " ".join(said.get().split())
        if kept:
            assert f"the last checkpoint, {tmp_path / 'checkpoint.safetensors'}, is kept" in text
            assert "the same command goes on from it" in text
        else:
            assert "no checkpoint was written yet: the same command starts over" in text
