"""The audit trail's integrity fixes: INSERT OR REPLACE is refused, the chain's head can be
anchored outside the database (``verify-chain --expect-head``), removed triggers are put
back with a warning, and a database of a newer schema version is not appended to."""

from __future__ import annotations

import json
import logging
import re
import sqlite3
import zlib
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from kgfuse import audit
from kgfuse.audit import AuditLog, record_hash
from kgfuse.commands.audit import app as audit_app
from tests.test_kgfuse.test_audit import append

runner = CliRunner()
COLUMNS = audit._COLUMNS


def run(*args: str) -> tuple[int, str]:
    """Exit code and the output (stdout and stderr) as one line of words; no traceback."""
    res = runner.invoke(audit_app, list(args))
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    assert "Traceback" not in res.output
    return res.exit_code, " ".join(res.output.split())


def _db(tmp_path: Path, n: int = 3) -> tuple[Path, list[str]]:
    db = tmp_path / "audit.sqlite"
    with AuditLog(db) as log:
        ids = [append(log, f"long thin fingers {i}") for i in range(n)]
    return db, ids


def _row(conn: sqlite3.Connection, seq: int) -> dict[str, Any]:
    sql = f"SELECT {', '.join(COLUMNS)} FROM audit_records WHERE seq = ?"
    return dict(zip(COLUMNS, conn.execute(sql, (seq,)).fetchone(), strict=True))


def _forged(row: dict[str, Any], prev_hash: str | None = None) -> dict[str, Any]:
    """The row with its answer changed and its hash recomputed (what a forger does)."""
    text = zlib.decompress(row["explanation"]).decode("utf-8").replace("Marfan", "Loeys")
    fields = {**row, "explanation": text}
    if prev_hash is not None:
        fields["prev_hash"] = prev_hash
    fields["hash"] = record_hash(fields)
    return {**fields, "explanation": zlib.compress(text.encode("utf-8"))}


def _insert(conn: sqlite3.Connection, verb: str, row: dict[str, Any]) -> None:
    marks = ", ".join("?" * len(COLUMNS))
    sql = f"{verb} INTO audit_records ({', '.join(COLUMNS)}) VALUES ({marks})"
    conn.execute(sql, [row[c] for c in COLUMNS])


def _head(out: str) -> str:
    found = re.findall(r"\bhead (\d+:[0-9a-f]{64})", out)
    assert found, out
    return str(found[-1])


# ---- INSERT OR REPLACE ---------------------------------------------------------------------------
@pytest.mark.parametrize("verb", ["INSERT OR REPLACE", "REPLACE", "INSERT OR IGNORE"])
def test_replacing_a_record_is_refused_with_the_triggers_in_place(
    tmp_path: Path, verb: str
) -> None:
    db, ids = _db(tmp_path)
    conn = sqlite3.connect(db, isolation_level=None)
    forged = _forged(_row(conn, 3))
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        _insert(conn, verb, forged)  # the newest record, its hash recomputed
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        _insert(conn, verb, {**forged, "id": "f" * 32})  # its seq under a new id
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        _insert(conn, verb, {**forged, "seq": 4})  # its id under a new seq
    conn.close()
    with AuditLog(db, readonly=True) as log:
        assert log.verify_chain().ok
        assert log.get(ids[2]).explanation.ranking[0].label == "Marfan syndrome"


def test_appends_still_work_once_the_insert_trigger_is_there(tmp_path: Path) -> None:
    db, _ = _db(tmp_path)
    with AuditLog(db) as a, AuditLog(db) as b:  # two writers, one after the other
        for i in range(4):
            append(a if i % 2 else b, f"after {i}")
        assert len(a) == 7 and a.verify_chain().ok


def test_a_writer_puts_removed_triggers_back_and_warns(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db, _ = _db(tmp_path)
    conn = sqlite3.connect(db)
    conn.execute("DROP TRIGGER audit_records_no_update")
    conn.execute("DROP TRIGGER IF EXISTS audit_records_no_replace")
    conn.commit()
    conn.close()
    with caplog.at_level(logging.WARNING, logger="kgfuse.audit"), AuditLog(db) as log:
        append(log, "after the triggers were dropped")
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(
        "audit_records_no_update, audit_records_no_replace" in m and "re-created" in m
        for m in warned
    ), warned
    conn = sqlite3.connect(db)
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    conn.close()
    assert set(audit._TRIGGERS) <= names


def test_a_database_older_than_the_insert_trigger_gets_it_without_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db, _ = _db(tmp_path)
    conn = sqlite3.connect(db)  # as kgfuse wrote it before the trigger (schema version 2)
    conn.execute("DROP TRIGGER audit_records_no_replace")
    conn.execute("UPDATE audit_meta SET value = '2' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    with AuditLog(db, readonly=True) as log:
        report = log.verify_chain()
    assert report.ok and any("predates the trigger" in w for w in report.warnings)
    with caplog.at_level(logging.WARNING, logger="kgfuse.audit"), AuditLog(db) as log:
        append(log, "upgrade")
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT value FROM audit_meta").fetchall() == [("3",)]
    conn.close()
    with AuditLog(db, readonly=True) as log:
        assert log.verify_chain().warnings == []


# ---- the head, anchored outside the database -----------------------------------------------------
def test_verify_chain_prints_the_head_and_json_has_it(tmp_path: Path) -> None:
    db, _ = _db(tmp_path)
    code, out = run("verify-chain", "--db", str(db))
    conn = sqlite3.connect(db)
    last = _row(conn, 3)["hash"]
    conn.close()
    assert code == 0 and _head(out) == f"3:{last}", out
    res = runner.invoke(audit_app, ["verify-chain", "--db", str(db), "--json"])
    assert json.loads(res.stdout)["head"] == f"3:{last}"


def test_a_cut_tail_with_the_counter_lowered_is_caught_by_the_head(tmp_path: Path) -> None:
    db, _ = _db(tmp_path, 4)
    head = _head(run("verify-chain", "--db", str(db))[1])
    conn = sqlite3.connect(db)
    conn.execute("DROP TRIGGER audit_records_no_delete")
    conn.execute("DELETE FROM audit_records WHERE seq >= 3")
    conn.execute("UPDATE sqlite_sequence SET seq = 2 WHERE name = 'audit_records'")
    conn.commit()
    conn.close()
    code, out = run("verify-chain", "--db", str(db))
    assert code == 0, out  # undetectable from inside the database
    code, out = run("verify-chain", "--db", str(db), "--expect-head", head)
    assert code == 1 and "chain broken after seq 2" in out, out
    assert "the chain ends at seq 2, before the expected head 4" in out


def test_a_chain_rewritten_with_recomputed_hashes_is_caught_by_the_head(tmp_path: Path) -> None:
    db, ids = _db(tmp_path, 4)
    head = _head(run("verify-chain", "--db", str(db))[1])
    conn = sqlite3.connect(db, isolation_level=None)
    for name in audit._TRIGGERS:
        conn.execute(f"DROP TRIGGER {name}")
    rows = [_row(conn, seq) for seq in (2, 3, 4)]
    conn.execute("DELETE FROM audit_records WHERE seq >= 2")
    prev = _row(conn, 1)["hash"]
    for row in rows:  # record 2 edited, every later hash and link recomputed
        row = _forged(row, prev) if row["seq"] == 2 else {**row, "prev_hash": prev}
        row["hash"] = record_hash(
            {**row, "explanation": zlib.decompress(row["explanation"]).decode()}
        )
        _insert(conn, "INSERT", row)
        prev = row["hash"]
    conn.close()
    assert run("verify-chain", "--db", str(db))[0] == 0
    code, out = run("verify-chain", "--db", str(db), "--expect-head", head)
    assert code == 1 and f"chain broken at record {ids[3]} (seq 4)" in out, out
    assert "rewritten" in out


def test_a_head_still_holds_after_later_appends(tmp_path: Path) -> None:
    db, _ = _db(tmp_path)
    head = _head(run("verify-chain", "--db", str(db))[1])
    with AuditLog(db) as log:
        append(log, "later")
    code, out = run("verify-chain", "--db", str(db), "--expect-head", head)
    assert code == 0 and "4 records verified" in out and f"the expected head {head}" in out
    assert _head(out).startswith("4:")
    from kgfuse.audit import parse_head

    with AuditLog(db, readonly=True) as log:
        seq, digest = parse_head(head)
        assert log.verify_chain((seq, digest)).ok


@pytest.mark.parametrize("head", ["abc", "3:xyz", "-1:" + "0" * 64, "0:" + "1" * 64, "3"])
def test_a_malformed_expected_head_is_one_line(tmp_path: Path, head: str) -> None:
    db, _ = _db(tmp_path)
    code, out = run("verify-chain", "--db", str(db), "--expect-head", head)
    assert code == 2 and "Invalid value for '--expect-head'" in out, out


# ---- the schema version ------------------------------------------------------------------------
def _set_version(db: Path, version: str) -> None:
    conn = sqlite3.connect(db)
    conn.execute("UPDATE audit_meta SET value = ? WHERE key = 'schema_version'", (version,))
    conn.commit()
    conn.close()


@pytest.mark.parametrize("version", ["99", "v4"])
def test_a_writer_refuses_a_database_of_a_newer_schema_version(
    tmp_path: Path, version: str
) -> None:
    db, _ = _db(tmp_path)
    _set_version(db, version)
    with AuditLog(db) as log, pytest.raises(ValueError, match="schema version"):
        log.check_writable()
    with AuditLog(db) as log, pytest.raises(ValueError, match="schema version"):
        append(log, "refused")
    with AuditLog(db, readonly=True) as log:
        assert len(log) == 3
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT value FROM audit_meta").fetchall() == [(version,)]
    conn.close()


def test_a_reader_says_the_schema_version_is_newer(tmp_path: Path) -> None:
    db, _ = _db(tmp_path)
    _set_version(db, "99")
    code, out = run("list", "--db", str(db))
    assert code == 0 and "warning: the audit database" in out and "schema version 99" in out
    code, out = run("verify-chain", "--db", str(db))
    assert code == 0 and out.count("schema version 99, newer") == 1, out
