"""Tests of the audit trail: records, the hash chain, tampering, concurrency, crashes, CLI."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import sqlite3
import subprocess
import sys
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from kg.namespaces import OBO, RO_HAS_PHENOTYPE
from kg.rules.engine import CitedFact, Finding
from kgfuse import audit
from kgfuse.audit import (
    GENESIS_HASH,
    AuditLog,
    AuditRecordNotFoundError,
    CorruptRecordError,
    ReplayerNotFoundError,
    canonical_json,
    compare_explanations,
    config_hash,
    default_audit_path,
    register_replayer,
    verify_record,
)
from kgfuse.commands.audit import app as audit_app
from kgfuse.explanation import Explanation, Mention, RankedAnswer, RetrievedFact

MARFAN = "https://omim.org/entry/154700"
ARACHNODACTYLY = OBO + "HP_0001166"
KIND = "test-diagnose"


def make_explanation(text: str, *, score: float = 8.6) -> Explanation:
    """A deterministic explanation of a text (what the fake diagnosis service returns)."""
    fact = CitedFact(
        "https://w3id.org/kgfuse/data/hpo/annotation/x",
        MARFAN,
        RO_HAS_PHENOTYPE,
        ARACHNODACTYLY,
        sources=("https://pubmed.ncbi.nlm.nih.gov/1",),
        evidence="PCS",
        frequency=0.63,
    )
    start = max(text.find("fingers"), 0)
    return Explanation(
        kind=KIND,
        input_text=text,
        mentions=[Mention("fingers", start, start + 7, ARACHNODACTYLY, "Arachnodactyly")],
        facts=[RetrievedFact(fact, 0.9, 0.4)],
        findings=[
            Finding(
                "hpo.supported",
                "1",
                "supported",
                "pass",
                "info",
                f"supported ({len(text)})",
                disease=MARFAN,
                patient_term=ARACHNODACTYLY,
                cites=[fact],
            )
        ],
        ranking=[RankedAnswer(MARFAN, "Marfan syndrome", score, 0.97)],
        kg_fingerprint="k" * 64,
        model_fingerprint="m" * 64,
    )


def replay_test_decision(record: dict[str, Any]) -> Explanation:
    return make_explanation(record["input"]["text"], score=record["config"].get("score", 8.6))


def append(log: AuditLog, text: str, **kwargs: Any) -> str:
    return log.record(
        make_explanation(text), {"text": text}, config={"top_k": 10, "score": 8.6}, **kwargs
    )


@pytest.fixture
def log(tmp_path: Path) -> Iterator[AuditLog]:
    with AuditLog(tmp_path / "audit.sqlite") as log:
        yield log


# ---- records ---------------------------------------------------------------------------------
def test_record_and_get_round_trip(log: AuditLog) -> None:
    rid = append(log, "long thin fingers")
    rec = log.get(rid)
    assert rec.id == rid and rec.seq == 1 and rec.prev_hash == GENESIS_HASH
    assert rec.kind == KIND and rec.input == {"text": "long thin fingers"} and rec.input_stored
    assert rec.explanation == make_explanation("long thin fingers")
    assert rec.kg_fingerprint == "k" * 64 and rec.model_fingerprint == "m" * 64
    assert rec.config_hash == config_hash({"top_k": 10, "score": 8.6})
    assert rec.input_hash == audit._sha256(canonical_json({"text": "long thin fingers"}))
    assert "python" in rec.versions and "numpy" in rec.versions
    assert log.get(rid[:8]).id == rid  # a unique prefix is enough
    with pytest.raises(AuditRecordNotFoundError):
        log.get("nope")


def test_a_new_database_and_its_wal_files_are_the_owners_alone(tmp_path: Path) -> None:
    old_umask = os.umask(0o022)  # the usual umask: files readable by every local user
    try:
        path = tmp_path / "new" / "folder" / "audit.sqlite"
        with AuditLog(path) as log:
            append(log, "long thin fingers")
            files = [path, path.with_name("audit.sqlite-wal"), path.with_name("audit.sqlite-shm")]
            modes = {p.name: p.stat().st_mode & 0o777 for p in files}
    finally:
        os.umask(old_umask)
    assert modes == {p.name: 0o600 for p in files}
    assert path.parent.stat().st_mode & 0o777 == 0o700
    # an existing database keeps the permissions its owner gave it
    path.chmod(0o640)
    with AuditLog(path) as log:
        append(log, "tall")
    assert path.stat().st_mode & 0o777 == 0o640


def test_record_without_input_keeps_only_its_hash(log: AuditLog) -> None:
    rid = append(log, "secret fingers", store_input=False)
    rec = log.get(rid)
    assert rec.input is None and not rec.input_stored
    assert rec.explanation.input_text is None and rec.explanation.mentions[0].text == ""
    raw = sqlite3.connect(log.path).execute("SELECT * FROM audit_records").fetchall()
    assert "secret" not in repr(raw)
    with pytest.raises(ValueError, match="without its input"):
        verify_record(log, rid)


def test_record_rejects_values_without_json_form(log: AuditLog) -> None:
    with pytest.raises(ValueError, match="Out of range float values are not JSON compliant"):
        log.record(make_explanation("x"), {"text": float("nan")})
    with pytest.raises(ValueError, match="config_hash does not match the hash of config"):
        log.record(make_explanation("x"), "x", config={"a": 1}, config_hash="0" * 64)
    assert len(log) == 0


def test_list_newest_first(log: AuditLog) -> None:
    ids = [append(log, f"fingers {i}") for i in range(3)]
    rows = log.list(2)
    assert [r.id for r in rows] == ids[::-1][:2]
    assert rows[0].top_answer == MARFAN and rows[0].statuses == {"pass": 1}


def test_list_the_decisions_about_one_input_record(log: AuditLog, tmp_path: Path) -> None:
    def decide(rid: Any, store_input: bool = True) -> str:
        return log.record(make_explanation("x"), {"id": rid, "text": "x"}, store_input=store_input)

    first, _, again, number = decide("pp-1"), decide("pp-2"), decide("pp-1"), decide(7)
    decide("pp-1", store_input=False)  # its input a hash only: not searchable
    log.record(make_explanation("x"), "a question, not a record")
    assert [r.id for r in log.list(None, input_id="pp-1")] == [again, first]
    assert [r.id for r in log.list(1, input_id="pp-1")] == [again]
    assert [r.id for r in log.list(None, input_id="7")] == [number]  # an integer id's digits
    assert log.list(None, input_id="' OR 1=1 --") == []  # bound, never formatted into SQL
    runner = CliRunner()
    db = ["--db", str(log.path)]
    res = runner.invoke(audit_app, ["list", "--record", "pp-1", *db, "--json"])
    assert res.exit_code == 0 and [r["id"] for r in json.loads(res.output)] == [again, first]
    res = runner.invoke(audit_app, ["list", "--record", "nope", *db])
    assert res.exit_code == 1 and "no decision about an input record 'nope'" in res.output
    res = runner.invoke(audit_app, ["show", "pp-1", *db])
    assert res.exit_code != 0
    assert "kgfuse audit list --record pp-1" in " ".join(res.output.split())


def test_canonical_json_is_key_order_and_whitespace_free() -> None:
    assert (
        canonical_json({"b": 1, "a": [1, {"d": 2, "c": "é"}]}) == '{"a":[1,{"c":"é","d":2}],"b":1}'
    )
    with pytest.raises(ValueError, match="Out of range float values are not JSON compliant"):
        canonical_json({"x": float("inf")})


def test_default_path_is_in_the_kgfuse_home(tmp_path: Path) -> None:
    assert default_audit_path(tmp_path) == tmp_path / "audit.sqlite"


def test_missing_database_is_not_created_for_reading(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        AuditLog(tmp_path / "none.sqlite", create=False)
    assert not (tmp_path / "none.sqlite").exists()


# ---- append-only and the chain -----------------------------------------------------------------
def test_chain_links_each_record_to_the_previous(log: AuditLog) -> None:
    ids = [append(log, f"fingers {i}") for i in range(5)]
    records = list(log)
    assert [r.id for r in records] == ids
    assert [r.prev_hash for r in records[1:]] == [r.hash for r in records[:-1]]
    report = log.verify_chain()
    assert report.ok and report.records == 5 and report.warnings == []


def test_triggers_reject_update_and_delete(log: AuditLog) -> None:
    append(log, "fingers")
    conn = sqlite3.connect(log.path)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("UPDATE audit_records SET kind = 'x'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("DELETE FROM audit_records")
    conn.close()
    assert log.verify_chain().ok


def _tamper(path: Path, sql: str, *params: Any) -> None:
    conn = sqlite3.connect(path)
    conn.execute("DROP TRIGGER IF EXISTS audit_records_no_update")
    conn.execute("DROP TRIGGER IF EXISTS audit_records_no_delete")
    conn.execute(sql, params)
    conn.commit()
    conn.close()


def _stored_explanation(path: Path, seq: int) -> Any:
    conn = sqlite3.connect(path)
    sql = "SELECT explanation FROM audit_records WHERE seq = ?"
    (value,) = conn.execute(sql, (seq,)).fetchone()
    conn.close()
    return value


def test_an_edited_record_breaks_the_chain_and_is_named(log: AuditLog) -> None:
    ids = [append(log, f"fingers {i}") for i in range(5)]
    text = zlib.decompress(_stored_explanation(log.path, 3)).decode("utf-8")
    assert "Marfan" in text
    forged = zlib.compress(text.replace("Marfan", "Loeys").encode("utf-8"))
    _tamper(log.path, "UPDATE audit_records SET explanation = ? WHERE seq = 3", forged)
    report = log.verify_chain()
    assert not report.ok and report.first_bad_id == ids[2] and report.first_bad_seq == 3
    assert "does not match its hash" in report.reason
    assert any("triggers were removed" in w for w in report.warnings)


def test_explanations_are_stored_compressed_and_hashed_as_text(log: AuditLog) -> None:
    audit_id = append(log, "long thin fingers " * 50)
    stored = _stored_explanation(log.path, 1)
    text = zlib.decompress(stored).decode("utf-8")
    record = log.get(audit_id)
    assert text == canonical_json(record.explanation.to_dict())
    assert len(stored) * 4 < len(text.encode("utf-8"))
    assert audit.record_hash(audit._row_fields(_raw_row(log.path, 1))) == record.hash
    conn = sqlite3.connect(log.path)
    version = conn.execute("SELECT value FROM audit_meta WHERE key = 'schema_version'").fetchone()
    conn.close()
    assert version == ("3",)  # 3: the trigger that refuses INSERT OR REPLACE


def _raw_row(path: Path, seq: int) -> tuple[Any, ...]:
    conn = sqlite3.connect(path)
    row = conn.execute(
        f"SELECT {', '.join(audit._COLUMNS)} FROM audit_records WHERE seq = ?", (seq,)
    ).fetchone()
    conn.close()
    return tuple(row)


def test_plain_text_records_of_schema_version_1_still_read_and_verify(log: AuditLog) -> None:
    ids = [append(log, f"fingers {i}") for i in range(3)]
    text = zlib.decompress(_stored_explanation(log.path, 2)).decode("utf-8")
    _tamper(log.path, "UPDATE audit_records SET explanation = ? WHERE seq = 2", text)
    assert isinstance(_stored_explanation(log.path, 2), str)  # as version 1 stored it
    assert log.verify_chain().ok
    assert log.get(ids[1]).explanation == make_explanation("fingers 1")
    assert [s.id for s in log.list()] == ids[::-1]


def test_a_damaged_compressed_record_is_named(log: AuditLog) -> None:
    ids = [append(log, f"fingers {i}") for i in range(3)]
    damaged = bytearray(_stored_explanation(log.path, 2))
    damaged[len(damaged) // 2] ^= 0xFF
    _tamper(log.path, "UPDATE audit_records SET explanation = ? WHERE seq = 2", bytes(damaged))
    report = log.verify_chain()
    assert not report.ok and report.first_bad_id == ids[1]
    assert "does not decompress" in report.reason or "does not match its hash" in report.reason
    truncated = _stored_explanation(log.path, 2)[:10]
    _tamper(log.path, "UPDATE audit_records SET explanation = ? WHERE seq = 2", truncated)
    report = log.verify_chain()
    assert not report.ok and report.first_bad_id == ids[1]
    assert "does not decompress" in report.reason
    with pytest.raises(CorruptRecordError, match="audit record 2: .*verify-chain"):
        log.get(ids[1])


def test_an_edit_with_a_recomputed_hash_is_caught_by_the_next_link(log: AuditLog) -> None:
    ids = [append(log, f"fingers {i}") for i in range(4)]
    conn = sqlite3.connect(log.path)
    row = conn.execute(
        f"SELECT {', '.join(audit._COLUMNS)} FROM audit_records WHERE seq = 2"
    ).fetchone()
    conn.close()
    fields = audit._row_fields(row)  # the explanation as the text its hash covers
    fields["input"] = canonical_json({"text": "forged"})
    forged = audit.record_hash(fields)
    _tamper(
        log.path,
        "UPDATE audit_records SET input = ?, hash = ? WHERE seq = 2",
        fields["input"],
        forged,
    )
    report = log.verify_chain()
    assert not report.ok and report.first_bad_id == ids[2]
    assert "seq 2" in report.reason


def test_a_deleted_record_is_detected(log: AuditLog) -> None:
    ids = [append(log, f"fingers {i}") for i in range(4)]
    _tamper(log.path, "DELETE FROM audit_records WHERE seq = 2")
    report = log.verify_chain()
    assert (
        not report.ok
        and report.first_bad_id == ids[2]
        and "2 before it were deleted" in (report.reason)
    )


def test_deleting_the_newest_records_is_detected(log: AuditLog) -> None:
    for i in range(4):
        append(log, f"fingers {i}")
    _tamper(log.path, "DELETE FROM audit_records WHERE seq >= 3")
    report = log.verify_chain()
    assert not report.ok and report.first_bad_seq == 3 and "newest" in report.reason
    # a later append does not paper over the cut
    append(log, "after the cut")
    assert not log.verify_chain().ok


# ---- concurrency and crashes ---------------------------------------------------------------------
def _append_many(path: str, count: int, tag: str) -> None:
    log = AuditLog(path)
    for i in range(count):
        append(log, f"{tag} fingers {i}")
    log.close()


def _write_at_once(path: Path, count: int, tags: str) -> None:
    """One spawned process per tag appends ``count`` records to ``path``; all succeed."""
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_append_many, args=(str(path), count, t)) for t in tags]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=300)
        assert p.exitcode == 0


def test_concurrent_writers_lose_no_record(tmp_path: Path) -> None:
    path = tmp_path / "audit.sqlite"
    with AuditLog(path) as log:  # create it, as the first diagnosis would
        assert len(log) == 0
    _write_at_once(path, 50, "ab")
    with AuditLog(path) as log:
        records = list(log)
        assert len(records) == 100
        assert [r.seq for r in records] == list(range(1, 101))
        texts = {r.input["text"] for r in records}
        assert texts == {f"{t} fingers {i}" for t in "ab" for i in range(50)}
        assert log.verify_chain().ok


def test_processes_creating_the_database_at_once_all_write(tmp_path: Path) -> None:
    # Servers started together on a fresh home all open the new database at the same moment.
    path = tmp_path / "audit.sqlite"
    _write_at_once(path, 5, "abcd")
    with AuditLog(path) as log:
        assert len(log) == 20
        assert log.verify_chain().ok


def locked_then_open(
    real_open: Callable[[AuditLog], sqlite3.Connection], times: int, calls: list[int]
) -> Callable[[AuditLog], sqlite3.Connection]:
    """An opener that finds the database locked ``times`` times, then opens it; each call
    is counted in ``calls``."""

    def opener(self: AuditLog) -> sqlite3.Connection:
        calls.append(1)
        if len(calls) <= times:
            raise sqlite3.OperationalError("database is locked")
        return real_open(self)

    return opener


def test_opening_retries_a_locked_database_then_gives_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    locked_twice = locked_then_open(AuditLog._open_connection, 2, calls)
    monkeypatch.setattr(AuditLog, "_open_connection", locked_twice)
    with AuditLog(tmp_path / "a.sqlite") as log:
        assert len(log) == 0
    assert len(calls) == 3

    def always_locked(self: AuditLog) -> sqlite3.Connection:
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(AuditLog, "_open_connection", always_locked)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        len(AuditLog(tmp_path / "b.sqlite", timeout=0.2))

    def corrupt(self: AuditLog) -> sqlite3.Connection:
        calls.append(1)
        raise sqlite3.OperationalError("file is not a database")

    calls.clear()
    monkeypatch.setattr(AuditLog, "_open_connection", corrupt)
    with pytest.raises(sqlite3.OperationalError, match="not a database"):
        len(AuditLog(tmp_path / "c.sqlite"))
    assert len(calls) == 1  # not retried


_WRITER = """
import sys
from tests.test_kgfuse.test_audit import append
from kgfuse.audit import AuditLog
log = AuditLog(sys.argv[1])
big = "fingers " + "x" * 200_000  # large records: the kill often lands mid-write
i = 0
while True:
    append(log, f"{i} {big}")
    print(i, flush=True)
    i += 1
"""


def test_a_writer_killed_mid_write_leaves_a_consistent_database(tmp_path: Path) -> None:
    path = tmp_path / "audit.sqlite"
    root = Path(__file__).parents[2]
    committed = 0
    for round_ in range(3):
        proc = subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(path)],
            cwd=root,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(root)},
        )
        assert proc.stdout is not None
        target = committed + 5 + round_
        last = -1
        deadline = time.monotonic() + 120
        while last + 1 + committed < target and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            last = int(line.split()[0])
        time.sleep(0.003 * round_)  # land at different points of the next write
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        with AuditLog(path) as log:
            report = log.verify_chain()
            assert report.ok, report
            n = len(log)
        assert n >= committed + last + 1  # every acknowledged record survived
        committed = n
    assert committed >= 15


# ---- replay -------------------------------------------------------------------------------------
def test_verify_record_reproduces_a_decision(log: AuditLog) -> None:
    register_replayer(KIND, replay_test_decision)
    rid = append(log, "long thin fingers")
    report = verify_record(log, rid)
    assert report.identical and report.differences == []


def test_verify_notes_a_record_linked_by_another_linker_version(
    log: AuditLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    from encoders.linker import LINKING_VERSION

    register_replayer(KIND, replay_test_decision)
    rid = append(log, "long thin fingers")
    assert log.get(rid).versions["kgfuse-linking"] == str(LINKING_VERSION)
    assert verify_record(log, rid).notes == []
    recorded_earlier = {**audit.package_versions(), "kgfuse-linking": "1"}
    monkeypatch.setattr(audit, "package_versions", lambda: recorded_earlier)
    # now the record looks newer than the code that verifies it: the note names both
    assert verify_record(log, rid).notes == [f"kgfuse-linking: recorded {LINKING_VERSION}, now 1"]


def test_records_keep_the_ranking_version_and_verify_names_a_change(
    log: AuditLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A replay after the ranking rules changed (ties at the shortlist's end) says so."""
    from fusion.shortlist import RANKING_VERSION

    register_replayer(KIND, replay_test_decision)
    rid = append(log, "long thin fingers")
    assert log.get(rid).versions["kgfuse-ranking"] == str(RANKING_VERSION)
    later = {**audit.package_versions(), "kgfuse-ranking": str(RANKING_VERSION + 1)}
    monkeypatch.setattr(audit, "package_versions", lambda: later)
    assert verify_record(log, rid).notes == [
        f"kgfuse-ranking: recorded {RANKING_VERSION}, now {RANKING_VERSION + 1}"
    ]


def test_verify_record_reports_differences(log: AuditLog) -> None:
    register_replayer(KIND, lambda rec: make_explanation(rec["input"]["text"], score=1.0))
    try:
        rid = append(log, "long thin fingers")
        report = verify_record(log, rid)
        assert not report.identical and not report.findings_only
        assert any("score: 8.6 -> 1.0" in d for d in report.differences)
    finally:
        register_replayer(KIND, replay_test_decision)


def test_unknown_replayer_is_a_clear_error(log: AuditLog) -> None:
    rid = log.record(make_explanation("x"), "x", kind="never-registered")
    with pytest.raises(ReplayerNotFoundError, match="no replayer for 'never-registered'"):
        verify_record(log, rid)


def test_compare_explanations_names_changed_findings() -> None:
    a = make_explanation("fingers")
    b = make_explanation("fingers")
    b.findings[0].status = "fail"
    b.kg_fingerprint = "z" * 64
    diffs = compare_explanations(a, b)
    assert any(d.startswith("KG fingerprint") for d in diffs)
    assert any("status differs: pass -> fail" in d for d in diffs)
    assert compare_explanations(a, make_explanation("fingers")) == []


# ---- CLI -----------------------------------------------------------------------------------------
def test_cli_list_show_verify_and_verify_chain(tmp_path: Path) -> None:
    register_replayer(KIND, replay_test_decision)
    db = tmp_path / "audit.sqlite"
    with AuditLog(db) as log:
        ids = [append(log, f"<b>long</b> thin fingers {i}") for i in range(3)]
    runner = CliRunner()
    res = runner.invoke(audit_app, ["list", "--db", str(db), "--json"])
    assert res.exit_code == 0, res.output
    assert [r["id"] for r in json.loads(res.stdout)] == ids[::-1]
    res = runner.invoke(audit_app, ["show", ids[0][:10], "--db", str(db)])
    assert res.exit_code == 0 and ids[0] in res.stdout and "Findings for Marfan" in res.stdout
    res = runner.invoke(audit_app, ["show", ids[0], "--db", str(db), "--json"])
    assert json.loads(res.stdout)["explanation"]["ranking"][0]["iri"] == MARFAN
    page = tmp_path / "report.html"
    res = runner.invoke(audit_app, ["show", ids[0], "--db", str(db), "--html", str(page)])
    assert res.exit_code == 0 and "&lt;b&gt;long&lt;/b&gt;" in page.read_text(encoding="utf-8")
    with AuditLog(db, readonly=True) as log:  # the page names its record in the chain
        rec = log.get(ids[0])
    report = page.read_text(encoding="utf-8")
    assert all(v in report for v in (rec.id, rec.hash, rec.prev_hash, rec.input_hash))
    res = runner.invoke(audit_app, ["verify", ids[1], "--db", str(db)])
    assert res.exit_code == 0 and "identical" in res.stdout
    res = runner.invoke(audit_app, ["verify-chain", "--db", str(db)])
    assert res.exit_code == 0 and "3 records verified" in res.stdout
    res = runner.invoke(audit_app, ["show", "0000", "--db", str(db)])
    assert res.exit_code == 2 and isinstance(res.exception, SystemExit)  # not a crash
    assert "audit id '0000' is too short: give at least 6 characters" in res.output
    _tamper(db, "UPDATE audit_records SET input = '\"forged\"' WHERE seq = 2")
    res = runner.invoke(audit_app, ["verify-chain", "--db", str(db)])
    assert res.exit_code == 1 and ids[1] in res.stdout and "chain broken" in res.stdout


def test_cli_verify_exits_1_on_differences(tmp_path: Path) -> None:
    db = tmp_path / "audit.sqlite"
    with AuditLog(db) as log:
        rid = log.record(make_explanation("fingers"), {"text": "fingers"}, config={"score": 8.6})
    register_replayer(KIND, lambda rec: make_explanation("fingers", score=2.0))
    try:
        res = CliRunner().invoke(audit_app, ["verify", rid, "--db", str(db)])
        assert res.exit_code == 1 and "different" in res.stdout and "score" in res.stdout
    finally:
        register_replayer(KIND, replay_test_decision)


def test_cli_missing_database_is_a_user_error(tmp_path: Path) -> None:
    res = CliRunner().invoke(audit_app, ["list", "--db", str(tmp_path / "none.sqlite")])
    assert res.exit_code == 2 and isinstance(res.exception, SystemExit)  # not a crash
    assert f"no audit database at {tmp_path / 'none.sqlite'}" in " ".join(res.output.split())


def test_records_keep_the_codes_hash_and_verify_says_when_the_code_changed(
    log: AuditLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An edited checkout keeps its version number: the code's own hash tells the change."""
    from kgfuse.source_fingerprint import source_sha256

    register_replayer(KIND, replay_test_decision)
    rid = append(log, "long thin fingers")
    assert log.get(rid).versions[audit.CODE_VERSION_KEY] == source_sha256()
    assert verify_record(log, rid).notes == []
    edited = {**audit.package_versions(), audit.CODE_VERSION_KEY: "f" * 64}
    monkeypatch.setattr(audit, "package_versions", lambda: edited)
    assert verify_record(log, rid).notes == [
        f"kgfuse's code changed since the decision (sha256 {source_sha256()[:12]}..., now "
        "ffffffffffff...): a difference may come from that"
    ]


@pytest.mark.parametrize("wrong", [None, 123456, b"3a96a1d1c157"])
def test_an_id_that_is_not_text_is_not_found_by_name(log: AuditLog, wrong: object) -> None:
    append(log, "a note")
    with pytest.raises(AuditRecordNotFoundError, match="an audit id is text"):
        log.get(wrong)  # type: ignore[arg-type]


def test_a_database_this_process_holds_is_never_opened_as_a_plain_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Closing a plain file handle drops every POSIX lock the process holds on the file,
    SQLite's included: another process could then checkpoint and remove the WAL under this
    process's connections. A server's committed record was lost so at its stop, while the
    test process held the database open and had opened it read-only (the header read)."""
    db = tmp_path / "audit.sqlite"
    with AuditLog(db) as writer:
        rid = append(writer, "long thin fingers")
        real_open = Path.open

        def no_plain_open(self: Path, *args: object, **kwargs: object) -> object:
            assert self.resolve() != db.resolve(), "the held database opened as a plain file"
            return real_open(self, *args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(Path, "open", no_plain_open)
        with AuditLog(db, readonly=True) as reader:
            assert reader.get(rid).id == rid
        monkeypatch.undo()
    with AuditLog(db, readonly=True) as reader:  # held by none: its header is checked
        assert reader.get(rid).id == rid
