"""The audit trail's read-only opening and the ``kgfuse audit`` commands' errors: a clear
line naming the file or option, exit code 2, no traceback, and no file changed."""

from __future__ import annotations

import math
import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from kgfuse import audit
from kgfuse.audit import AuditLog, compare_explanations, verify_record
from kgfuse.commands import audit as audit_cli
from kgfuse.commands.audit import app as audit_app
from kgfuse.explanation import Explanation
from tests.test_kgfuse.test_audit import (
    KIND,
    append,
    locked_then_open,
    make_explanation,
    replay_test_decision,
)

runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    """Exit code and the output (stdout and stderr) as one line of words."""
    res = runner.invoke(audit_app, list(args))
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    assert "Traceback" not in res.output
    return res.exit_code, " ".join(res.output.split())


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An audit database of three records, in the current folder (short names in messages)."""
    monkeypatch.chdir(tmp_path)
    register = audit.register_replayer
    register(KIND, replay_test_decision)
    with AuditLog(Path("audit.sqlite")) as log:
        for i in range(3):
            append(log, f"long thin fingers {i}")
    return Path("audit.sqlite")


def _record_id(db: Path) -> str:
    conn = sqlite3.connect(f"{db.absolute().as_uri()}?mode=ro", uri=True)
    (rid,) = conn.execute("SELECT id FROM audit_records ORDER BY seq DESC LIMIT 1").fetchone()
    conn.close()
    return str(rid)


def _not_audit_files(folder: Path) -> list[Path]:
    """Files that are not audit databases: empty, text, SQLite (rollback journal and WAL)."""
    empty = folder / "empty.jsonl"
    empty.write_bytes(b"")
    text = folder / "ok.jsonl"
    text.write_text('{"id": "p1", "text": "long fingers"}\n', encoding="utf-8")
    files = [empty, text]
    for name, wal in (("patients.db", False), ("patients-wal.db", True)):
        conn = sqlite3.connect(folder / name)
        if wal:
            conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("CREATE TABLE patients (id TEXT, text TEXT)")
        conn.execute("INSERT INTO patients VALUES ('p1', 'long fingers')")
        conn.commit()
        conn.close()
        files.append(folder / name)
    return files


# ---- read-only commands write nothing ----------------------------------------------------------
@pytest.mark.parametrize("command", ["list", "show", "verify", "verify-chain"])
def test_read_only_commands_refuse_and_leave_other_files_unchanged(db: Path, command: str) -> None:
    rid = _record_id(db)
    for path in _not_audit_files(Path(".")):
        before = path.read_bytes()
        names_before = sorted(os.listdir("."))
        args = [command, rid] if command in ("show", "verify") else [command]
        code, out = run(*args, "--db", path.name)
        assert code == 2, out
        assert f"error: {path.name} is not a kgfuse audit database" in out
        assert path.read_bytes() == before  # byte for byte
        assert sorted(os.listdir(".")) == names_before  # no -wal, -shm or journal beside it


def test_read_only_commands_name_a_missing_database_or_a_folder(db: Path) -> None:
    Path("folder").mkdir()
    for command in ("list", "verify-chain"):
        code, out = run(command, "--db", "none.sqlite")
        assert code == 2 and "error: no audit database at none.sqlite" in out
        assert not Path("none.sqlite").exists()
        code, out = run(command, "--db", "folder")
        assert code == 2 and "error: folder is a folder, not a kgfuse audit database" in out


def test_read_only_open_neither_creates_nor_migrates_the_schema(db: Path) -> None:
    conn = sqlite3.connect(db)
    conn.execute("UPDATE audit_meta SET value = '1' WHERE key = 'schema_version'")
    conn.execute("DROP TRIGGER audit_records_no_update")
    conn.commit()
    conn.close()
    before = db.read_bytes()
    code, out = run("verify-chain", "--db", str(db))
    # the removed trigger is reported, not silently put back
    assert code == 0 and "triggers were removed (audit_records_no_update)" in out, out
    assert run("list", "--db", str(db))[0] == 0
    assert db.read_bytes() == before
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT value FROM audit_meta").fetchall() == [("1",)]
    # the two triggers left (no DELETE, no REPLACE) stay; the removed one is not put back
    assert conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'trigger'").fetchone() == (
        2,
    )
    conn.close()


def test_a_read_only_log_reads_a_live_wal_database_and_refuses_to_write(db: Path) -> None:
    with AuditLog(db) as writer:  # holds the database open: new records are in the -wal file
        rid = append(writer, "written while a reader reads")
        assert Path(f"{db}-wal").stat().st_size > 0
        with AuditLog(db, readonly=True) as reader:
            assert len(reader) == 4 and reader.get(rid).id == rid
            assert reader.verify_chain().ok
            with pytest.raises(PermissionError, match="open read-only"):
                append(reader, "x")
        append(writer, "the writer goes on")
    with AuditLog(db, readonly=True) as reader:  # closed: everything is in the main file
        assert len(reader) == 5 and reader.verify_chain().ok


def test_read_only_log_refuses_other_files_at_once(tmp_path: Path) -> None:
    for path in _not_audit_files(tmp_path):
        before = path.read_bytes()
        with pytest.raises(ValueError, match="is not a kgfuse audit database"):
            AuditLog(path, readonly=True)
        assert path.read_bytes() == before
    with pytest.raises(FileNotFoundError, match="no audit database"):
        AuditLog(tmp_path / "none.sqlite", readonly=True)
    assert not (tmp_path / "none.sqlite").exists()
    with pytest.raises(ValueError, match="is a folder"):
        AuditLog(tmp_path, readonly=True)


def test_a_writing_log_names_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    text = tmp_path / "ok.jsonl"
    text.write_text('{"id": "p1"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match="ok.jsonl is not a kgfuse audit database"):
        len(AuditLog(text))
    assert text.read_text(encoding="utf-8") == '{"id": "p1"}\n'
    with pytest.raises(ValueError, match="is a folder"):
        AuditLog(tmp_path)


def test_read_only_opening_retries_a_locked_database(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    locked_twice = locked_then_open(AuditLog._open_readonly, 2, calls)
    monkeypatch.setattr(AuditLog, "_open_readonly", locked_twice)
    with AuditLog(db, readonly=True) as log:
        assert len(log) == 3
    assert len(calls) == 3

    def cannot_open(self: AuditLog) -> sqlite3.Connection:
        calls.append(1)
        raise sqlite3.OperationalError("unable to open database file")

    calls.clear()
    monkeypatch.setattr(AuditLog, "_open_readonly", cannot_open)
    with pytest.raises(ValueError, match="cannot open the audit database .* read-only: unable"):
        AuditLog(db, readonly=True)
    assert len(calls) == 1  # not retried


def test_a_damaged_database_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with AuditLog(Path("audit.sqlite")) as log:
        for i in range(40):
            append(log, f"long thin fingers {i} " * 40)
    os.truncate("audit.sqlite", os.path.getsize("audit.sqlite") // 2)
    code, out = run("verify-chain", "--db", "audit.sqlite")
    assert code == 2 and "error: cannot read the audit database audit.sqlite:" in out, out


# ---- options ------------------------------------------------------------------------------------
@pytest.mark.parametrize("limit", ["99999999999999999999", "1000000001", "0", "-1"])
def test_list_limit_is_bounded(db: Path, limit: str) -> None:
    code, out = run("list", "--db", str(db), "-n", limit)
    assert code == 2 and "Invalid value for '--limit' / '-n'" in out, out


def test_list_limit_of_the_library_is_checked(db: Path) -> None:
    with AuditLog(db, readonly=True) as log:
        for bad in (-1, 2**63):
            with pytest.raises(ValueError, match="the limit must be between 0 and"):
                log.list(bad)
        assert len(log.list(audit_cli.MAX_LIST)) == 3


@pytest.mark.parametrize("tolerance", ["-1", "nan", "inf", "-inf"])
def test_verify_tolerance_must_be_finite_and_not_negative(db: Path, tolerance: str) -> None:
    code, out = run("verify", _record_id(db), "--db", str(db), "--tolerance", tolerance)
    assert code == 2 and "Invalid value for '--tolerance': must be a finite number >= 0" in out


def test_verify_tolerance_zero_still_finds_identical_values_identical(db: Path) -> None:
    code, out = run("verify", _record_id(db), "--db", str(db), "--tolerance", "0")
    assert code == 0 and "identical" in out, out


def test_library_refuses_a_tolerance_that_makes_equal_values_differ(db: Path) -> None:
    a = make_explanation("fingers")
    for bad in (-1.0, math.nan, math.inf):
        with pytest.raises(ValueError, match="tolerance must be a finite number >= 0"):
            compare_explanations(a, make_explanation("fingers"), tolerance=bad)
    calls: list[str] = []

    def counting_replayer(rec: dict[str, Any]) -> Explanation:
        calls.append(rec["id"])
        return replay_test_decision(rec)

    audit.register_replayer(KIND, counting_replayer)
    try:
        with AuditLog(db, readonly=True) as log, pytest.raises(ValueError, match="tolerance"):
            verify_record(log, _record_id(db), tolerance=math.nan)
    finally:
        audit.register_replayer(KIND, replay_test_decision)
    assert calls == []  # refused before anything is re-run


# ---- show --html ---------------------------------------------------------------------------
def test_show_html_refuses_the_audit_database_and_its_files(db: Path) -> None:
    rid = _record_id(db)
    before = db.read_bytes()
    code, out = run("show", rid, "--db", str(db), "--html", str(db))
    assert code == 2 and f"error: the output {db} is an SQLite database" in out, out
    assert db.read_bytes() == before
    with AuditLog(db) as writer:  # a writer holds it open: the -wal file exists
        append(writer, "x")
        wal = Path(f"{db}-wal")
        wal_before = wal.read_bytes()
        code, out = run("show", rid, "--db", str(db), "--html", str(wal))
        assert code == 2 and "is a journal of the SQLite database" in out, out
        assert wal.read_bytes() == wal_before


def test_show_html_refuses_a_folder_or_a_missing_folder(db: Path) -> None:
    rid = _record_id(db)
    Path("reports").mkdir()
    code, out = run("show", rid, "--db", str(db), "--html", "reports")
    assert code == 2 and "error: the output reports is a folder: give a file name" in out
    code, out = run("show", rid, "--db", str(db), "--html", "missing/r.html")
    assert code == 2 and "error: output folder not found: missing" in out
    assert not Path("missing").exists()


def test_show_html_is_written_atomically(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rid = _record_id(db)
    page = Path("report.html")
    code, out = run("show", rid, "--db", str(db), "--html", str(page))
    assert code == 0 and "wrote report.html" in out
    assert page.read_text(encoding="utf-8").lstrip().lower().startswith("<!doctype html")
    page.write_text("an earlier report", encoding="utf-8")

    def refused(src: object, dst: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(audit_cli.os, "replace", refused)
    code, out = run("show", rid, "--db", str(db), "--html", str(page))
    assert code == 2 and "error: cannot write report.html: Permission denied" in out, out
    assert page.read_text(encoding="utf-8") == "an earlier report"
    assert not [p for p in os.listdir(".") if p.endswith(".tmp")]  # no temporary file left


@pytest.mark.skipif(not Path("/sys").is_dir(), reason="needs /sys (Linux)")
def test_show_html_in_a_folder_that_cannot_be_written(db: Path) -> None:
    code, out = run("show", _record_id(db), "--db", str(db), "--html", "/sys/r.html")
    assert code == 2 and "/sys" in out and "error:" in out, out
    assert not Path("/sys/r.html").exists()


def test_a_writing_log_leaves_another_programs_database_alone(tmp_path: Path) -> None:
    other = tmp_path / "patients.sqlite"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE patients (id TEXT)")
    conn.close()
    before = other.read_bytes()
    with pytest.raises(ValueError, match="patients.sqlite is not a kgfuse audit database"):
        append(AuditLog(other), "long thin fingers")
    assert other.read_bytes() == before


def test_an_error_naming_a_long_path_is_one_unbroken_line(tmp_path: Path) -> None:
    missing = tmp_path.joinpath(*["a-rather-long-folder-name"] * 6, "audit.sqlite")
    result = runner.invoke(audit_app, ["show", "x", "--db", str(missing)])
    assert result.exit_code == 2
    assert result.output == f"error: no audit database at {missing}\n"
