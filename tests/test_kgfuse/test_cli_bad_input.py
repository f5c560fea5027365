"""``kgfuse link`` and ``kgfuse diagnose`` on bad input: each bad line or record named in
the output, the others still served, exit codes that say when nothing worked, and outputs
that would destroy a database refused."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kgfuse.cli import app


def _flat(output: str) -> str:
    """CLI output as one line, without the borders of rich's panels."""
    return " ".join(output.replace("│", " ").split())


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _diagnosed(mini_home: Path, mini_model: Path, tmp_path: Path, rows: list[dict]) -> list[dict]:
    """``kgfuse diagnose`` of ``rows`` (unaudited, one process): its output records."""
    records, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    records.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    args = ["diagnose", str(records), "-o", str(out), "--model", str(mini_model), "--no-audit"]
    result = CliRunner().invoke(app, [*args, "--home", str(mini_home)])
    assert result.exit_code == 0, result.output
    return _lines(out)


def _link(mini_home: Path, tmp_path: Path, data: bytes) -> tuple[list[dict], str]:
    """``kgfuse link`` over a file of ``data`` (one process): its records and its output."""
    records, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    records.write_bytes(data)
    args = ["link", str(records), "-o", str(out), "--home", str(mini_home), "-j", "1"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return _lines(out), result.output


def test_link_names_each_bad_line_in_order_and_goes_on(mini_home: Path, tmp_path: Path) -> None:
    lines, output = _link(
        mini_home,
        tmp_path,
        b"\xef\xbb\xbf"  # a byte-order mark before the first record
        + b'{"id": "a", "text": "Arachnodactyly."}\n'
        + b"{not json\n"
        + b'{"id": "b\\ud800", "text": "Arachnodactyly."}\n'
        + b"\n"
        + b'{"id": "c", "text": NaN}\n'
        + b'{"id": "d", "text": "Ectopia lentis."}\n',
    )
    assert [r["id"] for r in lines] == ["a", "line-2", "line-3", "line-5", "d"]
    assert [m["curie"] for m in lines[0]["mentions"]] == ["HP:0001166"]
    assert lines[1]["error"].startswith("line 2 is not valid JSON: Expecting property name")
    assert "line 3 is not valid Unicode: it holds an unpaired UTF-16 surrogate" in lines[2]["error"]
    assert lines[3]["error"] == "line 5 is not valid JSON: NaN is not a JSON number"
    assert "3 of 5 record(s) could not be linked" in _flat(output)


def test_link_names_lines_that_are_no_records_and_ids_that_are_no_ids(
    mini_home: Path, tmp_path: Path
) -> None:
    lines, _ = _link(
        mini_home,
        tmp_path,
        b'["a", "b"]\n5\n{"id": {"a": 1}, "text": "Arachnodactyly."}\n'
        b'{"id": 7, "text": "Arachnodactyly."}\n{"id": "e", "text": "Ectopia lentis."}\n',
    )
    assert [r["id"] for r in lines] == ["line-1", "line-2", {"a": 1}, 7, "e"]
    assert lines[0]["error"] == "line 1 is not a JSON object (a record), got list"
    assert lines[1]["error"] == "line 2 is not a JSON object (a record), got int"
    assert lines[2]["error"] == "'id' must be a string or an integer, got dict"
    assert [m["curie"] for m in lines[3]["mentions"]] == ["HP:0001166"]


def test_a_diagnosis_record_id_must_be_a_string_or_an_integer() -> None:
    import pytest

    from kgfuse.diagnosis import RecordError, error_record, parse_record

    assert parse_record({"id": 7, "present_hpo": ["HP:0001166"]}).id == "7"
    # null, as data frames write a missing value, is no id: the record's place names it
    assert parse_record({"id": None, "present_hpo": ["HP:0001166"]}, 4).id == "4"
    for bad in (True, 1.5, [1], {"a": 1}):
        with pytest.raises(RecordError, match="'id' must be a string or an integer") as err:
            parse_record({"id": bad, "present_hpo": ["HP:0001166"]})
        # its error record is named as every output record is: by a string
        assert error_record(3, {"id": bad}, err.value)["id"] == "line-3"
    assert error_record(3, {"id": 7}, ValueError("x")) == {"id": "7", "error": "x"}


def test_link_and_diagnose_exit_1_when_nothing_worked_and_0_for_an_empty_shard(
    mini_home: Path, mini_model: Path, tmp_path: Path
) -> None:
    empty, bad = tmp_path / "empty.jsonl", tmp_path / "bad.jsonl"
    empty.write_text("\n\n", encoding="utf-8")
    bad.write_text('not json\n[1]\n{"id": "x"}\n', encoding="utf-8")
    home = ["--home", str(mini_home)]
    for command in (["link"], ["diagnose", "--model", str(mini_model), "--no-audit"]):
        shard = tmp_path / f"{command[0]}-empty.jsonl"
        result = CliRunner().invoke(app, [*command, str(empty), "-o", str(shard), *home])
        assert result.exit_code == 0, result.output
        assert "no records in" in result.output and "the output is empty" in result.output
        assert shard.read_bytes() == b""  # a pipeline's declared output is there
        out = tmp_path / f"{command[0]}.jsonl"
        result = CliRunner().invoke(app, [*command, str(bad), "-o", str(out), *home])
        assert result.exit_code == 1, result.output
        assert "3 of 3 record(s) could not be" in _flat(result.output)
        assert len(_lines(out)) == 3 and all("error" in r for r in _lines(out))
    for args in (  # refused before anything loads
        ["diagnose", "--text", "   ", "--model", str(mini_model), "--no-audit", *home],
        ["link", "--text", "   ", *home],
        ["predict", str(mini_model), "--text", "\n\t ", *home],
    ):
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        assert _flat(result.output) == "error: --text is empty: give the words to read"


def test_options_are_checked_before_any_model_loads(mini_home: Path, tmp_path: Path) -> None:
    home = ["--home", str(mini_home)]
    for args in (
        ["diagnose", "--text", "tall", "--top-k", "0"],
        ["diagnose", "--text", "tall", "--precision", "banana"],
        ["link", "--text", "tall", "-j", "0"],
    ):
        result = CliRunner().invoke(app, [*args, *home])
        assert result.exit_code == 2, (args, result.output)
    # an onset's form is checked before the model is even looked for
    for onset in ("P2Q", " "):
        args = ["diagnose", "--text", "tall", "--onset", onset, "--model", str(tmp_path / "no")]
        result = CliRunner().invoke(app, [*args, *home])
        assert result.exit_code == 2 and "Invalid value for --onset" in _flat(result.output)
    result = CliRunner().invoke(app, ["diagnose", "--text", "tall", "--precision", "banana", *home])
    assert "choose one of auto, fp32, bf16, int8" in _flat(result.output)
    result = CliRunner().invoke(app, ["diagnose", "--text", "tall", "--onset", "P2Q", *home])
    assert "Invalid value for --onset: onset 'P2Q' is not an ISO 8601 duration" in _flat(
        result.output
    )


def test_an_output_that_is_a_database_is_refused(mini_home: Path, tmp_path: Path) -> None:
    database = tmp_path / "audit.sqlite"
    with sqlite3.connect(database) as conn:
        conn.execute("CREATE TABLE t (x)")
    before = database.read_bytes()
    records = tmp_path / "in.jsonl"
    records.write_text(json.dumps({"id": "a", "text": "Arachnodactyly."}) + "\n")
    args = ["link", str(records), "-o", str(database), "--home", str(mini_home)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2 and "is an SQLite database" in _flat(result.output)
    assert database.read_bytes() == before


def test_diagnose_names_a_record_without_an_id_by_its_line_as_link_does(
    mini_home: Path, mini_model: Path, tmp_path: Path
) -> None:
    records = tmp_path / "in.jsonl"
    records.write_text(
        '{"present_hpo": ["HP:0001166"]}\n{"text": "   "}\n\n'
        '{"id": 7, "present_hpo": ["HP:0001166"]}\n{"text": "Arachnodactyly."}\n',
        encoding="utf-8",
    )
    out = tmp_path / "out.jsonl"
    args = ["diagnose", str(records), "-o", str(out), "--model", str(mini_model), "--no-audit"]
    result = CliRunner().invoke(app, [*args, "--home", str(mini_home)])
    assert result.exit_code == 0, result.output
    lines = _lines(out)
    assert [r["id"] for r in lines] == ["line-1", "line-2", "7", "line-5"]
    assert "error" in lines[1] and all("ranking" in lines[i] for i in (0, 2, 3))
    # the line number, not the place among the records: an empty line 3 is skipped
    assert lines[0]["ranking"] == lines[2]["ranking"]


def test_link_names_a_record_without_an_id_by_its_line_as_diagnose_does(
    mini_home: Path, tmp_path: Path
) -> None:
    lines, _ = _link(
        mini_home,
        tmp_path,
        b'{"text": "Arachnodactyly."}\n\n{"id": "b", "text": "Arachnodactyly."}\n'
        b'{"text": "Ectopia lentis."}\n',
    )
    assert [r["id"] for r in lines] == ["line-1", "b", "line-4"]
    assert not any("error" in r for r in lines)
    assert [m["curie"] for m in lines[0]["mentions"]] == ["HP:0001166"]
    assert [m["curie"] for m in lines[2]["mentions"]] == ["HP:0001083"]


def test_diagnose_warns_of_terms_that_are_no_finding_and_of_contradictions(
    mini_home: Path, mini_model: Path, tmp_path: Path
) -> None:
    rows = [
        {"id": "moi", "present_hpo": ["HP:0001166", "HP:0000006"]},  # a mode of inheritance
        {"id": "both", "present_hpo": ["HP:0001166"], "excluded_hpo": ["HP:0001166"]},
        {"id": "onset", "text": "Arachnodactyly.", "onset": "banana"},
        {"id": "named", "text": "Arachnodactyly.", "onset": " infantile  Onset"},
    ]
    moi, both, onset, named = _diagnosed(mini_home, mini_model, tmp_path, rows)
    assert [f["curie"] for f in moi["findings"]] == ["HP:0001166"]
    assert any("HP:0000006" in w and "not a phenotypic abnormality" in w for w in moi["warnings"])
    assert "both present and excluded, counted as present: HP:0001166" in both["warnings"]
    # counted as present everywhere: one finding, not also an excluded copy
    assert [(f["curie"], f["excluded"]) for f in both["findings"]] == [("HP:0001166", False)]
    assert "error" not in onset and onset["ranking"]
    assert "unknown or obsolete onset 'banana' skipped" in onset["warnings"]
    # an onset class given by its name is read, and said to be
    assert "onset 'infantile  Onset' read by its name as HP:0003593" in named["warnings"]
    assert not [w for w in named["warnings"] if "unknown or obsolete onset" in w]


def test_ask_refuses_an_empty_question_before_opening_anything(tmp_path: Path) -> None:
    # the home holds no KG: the question is checked first
    result = CliRunner().invoke(app, ["ask", "   ", "--home", str(tmp_path)])
    assert result.exit_code == 2 and "the question is empty" in _flat(result.output)


def test_a_repeated_id_is_said_in_the_record_and_once_at_the_end(
    mini_home: Path, mini_model: Path, tmp_path: Path
) -> None:
    records = tmp_path / "in.jsonl"
    rows = [{"id": i, "present_hpo": ["HP:0001166"]} for i in ("a", "a", "b", "a")]
    records.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    args = ["diagnose", str(records), "-o", str(out), "--model", str(mini_model), "--no-audit"]
    result = CliRunner().invoke(app, [*args, "--home", str(mini_home)])
    assert result.exit_code == 0, result.output
    said = [[w for w in r["warnings"] if "earlier record's id" in w] for r in _lines(out)]
    assert said == [[], ["id 'a' is also an earlier record's id"], [], said[1]]
    assert "2 record(s) repeat an earlier record's id ('a')" in _flat(result.output)


def test_an_id_of_a_disease_or_an_unknown_id_says_why_it_is_skipped(
    mini_home: Path, mini_model: Path, tmp_path: Path
) -> None:
    from fusion.pipeline import UNKNOWN_TERM_HINT

    row = {"id": "r", "present_hpo": ["HP:0001166", "OMIM:154700", "HP:5200000"]}
    (record,) = _diagnosed(mini_home, mini_model, tmp_path, [row])
    assert (
        "OMIM:154700 (Marfan syndrome) is not a phenotype term of this KG: skipped"
        in (record["warnings"])
    )
    assert (
        "unknown or obsolete term 'HP:5200000' skipped" + UNKNOWN_TERM_HINT in (record["warnings"])
    )


def test_ids_in_white_space_are_read_and_one_term_twice_counts_once(
    mini_home: Path, mini_model: Path, tmp_path: Path
) -> None:
    # as a spreadsheet's cells export: a space before, a no-break space after, another case
    row = {"id": "r", "present_hpo": [" HP:0001166", "HP:0001166\u00a0", "hp:0001166"]}
    (record,) = _diagnosed(mini_home, mini_model, tmp_path, [row])
    assert [(f["curie"], f["excluded"]) for f in record["findings"]] == [("HP:0001166", False)]
    assert [w for w in record["warnings"] if "counted once" in w] == [
        "HP:0001166 given again: counted once",
        "hp:0001166 is HP:0001166, given already as HP:0001166: counted once",
    ]
    assert not [w for w in record["warnings"] if "not a phenotype term" in w]


def test_sigterm_stops_a_command_as_ctrl_c_does_with_exit_status_143(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import os
    import signal

    import typer

    from kgfuse.commands.common import handle_errors, stop_on_sigterm

    @handle_errors
    def command() -> None:
        os.kill(os.getpid(), signal.SIGTERM)  # a scheduler's timeout
        raise AssertionError("not stopped")

    before = signal.getsignal(signal.SIGTERM)
    try:
        stop_on_sigterm()
        with pytest.raises(typer.Exit) as stopped:
            command()
    finally:
        signal.signal(signal.SIGTERM, before)
    assert stopped.value.exit_code == 143
    assert "stopped (SIGTERM)" in capsys.readouterr().err


def test_output_names_a_pipeline_writes(mini_home: Path, tmp_path: Path, monkeypatch) -> None:
    """``-o -`` is stdout; a name that starts with a dash is a file like any other; a
    compressed name, which kgfuse would fill with plain JSON, is refused."""
    monkeypatch.chdir(tmp_path)
    records = tmp_path / "in.jsonl"
    records.write_text(json.dumps({"id": "a", "text": "Arachnodactyly."}) + "\n")
    home = ["--home", str(mini_home), "-j", "1"]
    to_stdout = CliRunner().invoke(app, ["link", str(records), "-o", "-", *home])
    assert to_stdout.exit_code == 0, to_stdout.output
    assert json.loads(to_stdout.stdout.splitlines()[0])["id"] == "a"
    assert not (tmp_path / "-").exists()
    dashed = CliRunner().invoke(app, ["link", str(records), "-o", "./-x.jsonl", *home])
    assert dashed.exit_code == 0, dashed.output
    assert _lines(tmp_path / "-x.jsonl")[0]["id"] == "a"
    compressed = CliRunner().invoke(app, ["link", str(records), "-o", "out.jsonl.gz", *home])
    assert compressed.exit_code == 2
    assert "is named as a compressed file, which kgfuse does not write" in _flat(compressed.output)
    assert not (tmp_path / "out.jsonl.gz").exists()


def test_diagnose_records_into_an_audit_database_given_by_path(
    mini_home: Path, mini_model: Path, tmp_path: Path
) -> None:
    from kgfuse.audit import AuditLog, default_audit_path

    records, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    records.write_text(json.dumps({"id": "a", "present_hpo": ["HP:0001166"]}) + "\n")
    home_db = default_audit_path(mini_home)
    before = len(AuditLog(home_db)) if home_db.exists() else 0
    own = tmp_path / "run" / "audit.sqlite"
    args = ["diagnose", str(records), "-o", str(out), "--model", str(mini_model)]
    result = CliRunner().invoke(app, [*args, "--audit-db", str(own), "--home", str(mini_home)])
    assert result.exit_code == 0, result.output
    with AuditLog(own) as log:
        assert [s.id for s in log.list()] == [_lines(out)[0]["audit_id"]]
    assert (len(AuditLog(home_db)) if home_db.exists() else 0) == before
    both = CliRunner().invoke(app, [*args, "--audit-db", str(own), "--no-audit"])
    assert both.exit_code == 2 and "--audit-db or --no-audit, not both" in _flat(both.output)


def test_a_long_note_without_a_present_finding_is_not_blamed_on_the_models_window(
    mini_home: Path, mini_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """How much of a long text the model read says nothing of why no present finding was
    recognised: that warning of the ranking is left out of the error."""
    from kgfuse.diagnosis import DiagnosisService, NoFindingError

    service = DiagnosisService(mini_model, home=mini_home, audit=False)
    window = (
        "the text is 146 tokens long and the model read the first 64 (its max_length): the "
        "present findings after that count in the prior"
    )
    real = service.diagnose

    def with_window(record, top_k=10):  # type: ignore[no-untyped-def]
        result = real(record, top_k)
        result.warnings = [*result.warnings, window]
        return result

    monkeypatch.setattr(service, "diagnose", with_window)
    with pytest.raises(NoFindingError) as raised:
        service.decide({"id": "long", "text": "There was no arachnodactyly."})
    message = str(raised.value)
    assert message.startswith("record long: no present finding recognised")
    assert "only ruled out: Arachnodactyly" in message and "max_length" not in message


def test_link_keeps_relatives_findings_only_when_asked(mini_home: Path, tmp_path: Path) -> None:
    text = "Arachnodactyly. His mother has ectopia lentis."
    lines, _ = _link(mini_home, tmp_path, (json.dumps({"id": "a", "text": text}) + "\n").encode())
    assert [(m["label"], m["family"]) for m in lines[0]["mentions"]] == [("Arachnodactyly", False)]
    records, out = tmp_path / "in.jsonl", tmp_path / "family.jsonl"
    args = ["link", str(records), "-o", str(out), "--family", "--home", str(mini_home)]
    result = CliRunner().invoke(app, [*args, "-j", "1"])
    assert result.exit_code == 0, result.output
    assert [(m["label"], m["family"]) for m in _lines(out)[0]["mentions"]] == [
        ("Arachnodactyly", False),
        ("Ectopia lentis", True),
    ]


def test_input_dash_reads_the_records_from_standard_input(
    mini_home: Path, mini_model: Path, tmp_path: Path, monkeypatch
) -> None:
    """``... | kgfuse link -``: the records come from stdin (JSONL, or a JSON list), the
    output is as from a file, and the spooled copy is gone when the command ends."""
    import atexit

    at_exit: list = []
    register = atexit.register

    def recorded(f, *a, **k):
        at_exit.append((f, a, k))
        return register(f, *a, **k)

    monkeypatch.setattr(atexit, "register", recorded)
    home = ["--home", str(mini_home)]
    rows = [{"id": "a", "text": "Arachnodactyly."}, {"id": "b", "text": "No arachnodactyly."}]
    jsonl = "".join(json.dumps(r) + "\n" for r in rows)
    linked = CliRunner().invoke(app, ["link", "-", "-o", "-", "-j", "1", *home], input=jsonl)
    assert linked.exit_code == 0, linked.output
    by_id = {r["id"]: r for r in map(json.loads, linked.stdout.splitlines())}
    assert [m["excluded"] for m in by_id["a"]["mentions"]] == [False]
    assert [m["excluded"] for m in by_id["b"]["mentions"]] == [True]
    out = tmp_path / "out.jsonl"
    args = ["diagnose", "-", "-o", str(out), "--model", str(mini_model), "--no-audit", *home]
    diagnosed = CliRunner().invoke(app, args, input=json.dumps(rows))  # a JSON list
    assert diagnosed.exit_code == 0, diagnosed.output
    assert [r["id"] for r in _lines(out)] == ["a", "b"]
    assert _lines(out)[0]["ranking"]
    removals = [(f, a, k) for f, a, k in at_exit if a and "kgfuse-stdin-" in str(a[0])]
    spooled = [Path(a[0]) for _, a, _ in removals]
    assert len(spooled) == 2 and all(folder.is_dir() for folder in spooled)
    for f, a, k in removals:  # what the process's end runs
        f(*a, **k)
    assert not any(folder.exists() for folder in spooled)


def test_input_from_a_named_pipe_is_read(mini_home: Path, tmp_path: Path) -> None:
    """``kgfuse link <(zcat ...)``: a pipe given by its path is read once, into a copy."""
    import os
    import threading

    fifo = tmp_path / "records.fifo"
    os.mkfifo(fifo)
    record = json.dumps({"id": "a", "text": "Arachnodactyly."}) + "\n"

    def feed() -> None:
        with fifo.open("w", encoding="utf-8") as pipe:
            pipe.write(record)

    writer = threading.Thread(target=feed, daemon=True)  # never left blocking the exit
    writer.start()
    try:
        result = CliRunner().invoke(
            app, ["link", str(fifo), "-o", "-", "-j", "1", "--home", str(mini_home)]
        )
    finally:
        writer.join(timeout=30)
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == ["a"]
