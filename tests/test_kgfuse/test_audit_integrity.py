"""What the audit trail refuses or says when a record, an id, the database or a replay is not
what it should be: an edited record, collapsed findings, a read-only or damaged database,
hostile ids, an answer re-run without its model, and what ``audit show`` prints."""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from kg.errors import KGMismatchError
from kg.namespaces import OBO, RDFS_SUBCLASS_OF, RO_HAS_PHENOTYPE, compress
from kg.rules.engine import CitedFact, Finding
from kgfuse import audit
from kgfuse.audit import (
    MIN_ID_PREFIX,
    AuditLog,
    AuditRecordNotFoundError,
    TamperedRecordError,
    compare_explanations,
    model_file_changes,
    verify_record,
)
from kgfuse.explanation import Explanation, RankedAnswer, RetrievedFact
from tests.privileges import as_nobody, is_root
from tests.test_kgfuse.test_audit import (
    KIND,
    MARFAN,
    append,
    make_explanation,
    replay_test_decision,
)
from tests.test_kgfuse.test_audit_cli_errors import run

runner = CliRunner()
ECTOPIA = OBO + "HP_0001083"
AORTA = OBO + "HP_0002616"


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An audit database of three records, in the current folder."""
    monkeypatch.chdir(tmp_path)
    audit.register_replayer(KIND, replay_test_decision)
    with AuditLog(Path("audit.sqlite")) as log:
        for i in range(3):
            append(log, f"long thin fingers {i}")
    yield Path("audit.sqlite")
    audit.register_replayer(KIND, replay_test_decision)


def _ids(db: Path) -> list[str]:
    conn = sqlite3.connect(f"{db.absolute().as_uri()}?mode=ro", uri=True)
    ids = [r[0] for r in conn.execute("SELECT id FROM audit_records ORDER BY seq")]
    conn.close()
    return ids


def _tamper(db: Path, sql: str, *params: Any) -> None:
    """Run ``sql`` as someone who drops the append-only triggers first."""
    conn = sqlite3.connect(db)
    conn.execute("DROP TRIGGER IF EXISTS audit_records_no_update")
    conn.execute("DROP TRIGGER IF EXISTS audit_records_no_delete")
    conn.execute(sql, params)
    conn.commit()
    conn.close()


def _explanation_text(db: Path, seq: int) -> str:
    conn = sqlite3.connect(db)
    (stored,) = conn.execute(
        "SELECT explanation FROM audit_records WHERE seq = ?", (seq,)
    ).fetchone()
    conn.close()
    return zlib.decompress(stored).decode("utf-8")


# ---- 1. an edited record is refused wherever it is read -----------------------------------------
def test_an_edited_record_is_refused_by_get_show_and_verify(db: Path) -> None:
    ids = _ids(db)
    text = _explanation_text(db, 2)
    assert "pubmed.ncbi.nlm.nih.gov/1" in text
    forged = zlib.compress(
        text.replace("pubmed.ncbi.nlm.nih.gov/1", "pubmed.ncbi.nlm.nih.gov/9").encode()
    )
    _tamper(
        db,
        "UPDATE audit_records SET created_at = ?, explanation = ? WHERE seq = 2",
        "2020-01-01T00:00:00.000000+00:00",
        forged,
    )
    with AuditLog(db, readonly=True) as log, pytest.raises(TamperedRecordError) as caught:
        log.get(ids[1])
    assert f"audit record {ids[1]} (seq 2) does not match its hash" in str(caught.value)
    for command in ("verify", "show"):
        code, out = run(command, ids[1], "--db", str(db))
        assert code == 2, out
        assert f"error: audit record {ids[1]} (seq 2) does not match its hash" in out
        assert "kgfuse audit verify-chain" in out
    code, out = run("show", ids[1], "--db", str(db), "--json")
    assert code == 2 and "does not match its hash" in out
    # the records around it read as before
    assert run("verify", ids[0], "--db", str(db))[0] == 0
    assert run("show", ids[2], "--db", str(db))[0] == 0


def test_an_edit_with_a_recomputed_hash_is_refused_by_the_next_link(db: Path) -> None:
    ids = _ids(db)
    conn = sqlite3.connect(db)
    row = conn.execute(
        f"SELECT {', '.join(audit._COLUMNS)} FROM audit_records WHERE seq = 2"
    ).fetchone()
    conn.close()
    fields = audit._row_fields(row)
    fields["input"] = audit.canonical_json({"text": "forged"})
    _tamper(
        db,
        "UPDATE audit_records SET input = ?, hash = ? WHERE seq = 2",
        fields["input"],
        audit.record_hash(fields),
    )
    code, out = run("verify", ids[1], "--db", str(db))
    assert code == 2 and "is not the record that the next record is chained to" in out, out


# ---- 2. each finding is compared on its own -----------------------------------------------------
def _hallmark(term: str, status: str = "warn", message: str | None = None) -> Finding:
    fact = CitedFact(
        f"https://w3id.org/kgfuse/data/hpo/annotation/{term[-4:]}", MARFAN, RO_HAS_PHENOTYPE, term
    )
    return Finding(
        "hpo.missing-hallmark",
        "1",
        "missing_hallmark",
        status,
        "warning",
        message or f"{compress(term)} is a hallmark, not reported",
        disease=MARFAN,
        cites=[fact],
        data={"hallmark": term, "frequency": 0.9},
    )


def test_findings_about_no_patient_term_are_not_collapsed() -> None:
    recorded = make_explanation("fingers")
    recorded.findings += [_hallmark(ECTOPIA), _hallmark(AORTA)]
    replayed = make_explanation("fingers")
    replayed.findings += [_hallmark(AORTA, status="fail")]  # one gone, one changed
    diffs = compare_explanations(recorded, replayed)
    assert (
        "finding hpo.missing-hallmark (missing_hallmark) for HP:0001083 of OMIM:154700: "
        "missing in the re-run (warn: " in " ".join(diffs)
    )
    assert (
        "finding hpo.missing-hallmark (missing_hallmark) for HP:0002616 of OMIM:154700: "
        "status differs: warn -> fail" in diffs
    )
    changed = make_explanation("fingers")
    changed.findings += [_hallmark(ECTOPIA), _hallmark(AORTA, message="another message")]
    assert any(
        d.endswith("message differs: HP:0002616 is a hallmark, not reported -> another message")
        for d in compare_explanations(recorded, changed)
    )
    assert compare_explanations(recorded, recorded) == []


def test_findings_alike_in_every_key_are_still_counted() -> None:
    recorded = make_explanation("fingers")
    recorded.findings += [_hallmark(ECTOPIA), _hallmark(ECTOPIA)]
    replayed = make_explanation("fingers")
    replayed.findings += [_hallmark(ECTOPIA)]
    diffs = compare_explanations(recorded, replayed)
    assert len(diffs) == 1 and "for HP:0001083 of OMIM:154700: missing in the re-run" in diffs[0]


def test_a_wall_of_finding_differences_is_cut_short() -> None:
    recorded = make_explanation("fingers")
    terms = [OBO + f"HP_{i:07d}" for i in range(1, 40)]
    recorded.findings += [_hallmark(t) for t in terms]
    replayed = make_explanation("fingers")
    replayed.findings += [_hallmark(t, status="fail") for t in terms]
    diffs = compare_explanations(recorded, replayed)
    assert len(diffs) == audit._MAX_FINDING_LINES + 1
    assert diffs[-1] == "... and 19 more finding differences"


# ---- 3. which model files changed ---------------------------------------------------------------
def test_model_file_changes_name_changed_missing_and_new_files() -> None:
    a = {
        "sha256": "a",
        "files": {"config.json": "1", "model.safetensors": "2", "tokenizer.json": "3"},
    }
    b = {
        "sha256": "b",
        "files": {"config.json": "9", "model.safetensors": "2", "facts/index.faiss": "4"},
    }
    assert model_file_changes(a, b) == [
        "model file config.json: changed",
        "model file tokenizer.json: missing now",
        "model file facts/index.faiss: new",
    ]
    assert model_file_changes(a, a) == [] and model_file_changes(None, b) == []


def test_verify_names_the_changed_model_files_before_the_differences(db: Path) -> None:
    names = {"config.json": "1", "model.safetensors": "2"}
    files = {"sha256": "a", "files": names}
    with AuditLog(db) as log:
        expl = make_explanation("fingers")
        expl.metadata["model_files"] = files
        rid = log.record(expl, {"text": "fingers"}, config={"score": 8.6})
    seen: list[dict[str, Any]] = []

    def replayer(rec: dict[str, Any]) -> Explanation:
        seen.append(rec)
        out = make_explanation("fingers", score=2.0)
        out.metadata["model_files"] = {
            "sha256": "b",
            "files": {**names, "config.json": "9"},
        }
        return out

    audit.register_replayer(KIND, replayer)
    with AuditLog(db, readonly=True) as log:
        report = verify_record(log, rid, overrides={"model_dir": "/m", "kg": None})
    assert report.differences[0] == "model file config.json: changed"
    assert any("score: 8.6 -> 2.0" in d for d in report.differences[1:])
    assert seen[0]["overrides"] == {"model_dir": "/m"}  # what --model gives the replayer


def _verified_with(db: Path, recorded: dict[str, Any], replayed: dict[str, Any]) -> Any:
    """verify_record of a record made with ``recorded`` fields, re-run to ``replayed`` ones."""
    with AuditLog(db) as log:
        expl = make_explanation("fingers")
        if "model_fingerprint" in recorded:
            expl.model_fingerprint = recorded["model_fingerprint"]
        expl.metadata["model_files"] = recorded.get("model_files")
        rid = log.record(expl, {"text": "fingers"}, config={"score": 8.6})

    def replayer(rec: dict[str, Any]) -> Explanation:
        out = make_explanation("fingers")
        if "model_fingerprint" in replayed:
            out.model_fingerprint = replayed["model_fingerprint"]
        out.metadata["model_files"] = replayed.get("model_files")
        return out

    audit.register_replayer(KIND, replayer)
    with AuditLog(db, readonly=True) as log:
        return verify_record(log, rid)


def test_changed_model_files_with_the_recorded_outputs_are_told_apart(db: Path) -> None:
    names = {"config.json": "1", "model.safetensors": "2", "cache.safetensors": "3"}
    now = {k: v for k, v in names.items() if k != "cache.safetensors"}
    report = _verified_with(
        db,
        {"model_files": {"sha256": "a", "files": names}},
        {"model_files": {"sha256": "b", "files": now}},
    )
    assert not report.identical and report.outputs_identical
    assert report.differences == [
        "model file cache.safetensors: missing now",
        "the re-run's ranking, scores, findings, facts and mentions are the recorded ones: "
        "only the model files above differ",
    ]


def test_a_changed_model_with_other_outputs_is_not_outputs_identical(db: Path) -> None:
    files = {"sha256": "a", "files": {"config.json": "1"}}
    with AuditLog(db) as log:
        expl = make_explanation("fingers")
        expl.metadata["model_files"] = files
        rid = log.record(expl, {"text": "fingers"}, config={"score": 8.6})

    def replayer(rec: dict[str, Any]) -> Explanation:
        out = make_explanation("fingers", score=2.0)
        out.metadata["model_files"] = {"sha256": "b", "files": {"config.json": "9"}}
        return out

    audit.register_replayer(KIND, replayer)
    with AuditLog(db, readonly=True) as log:
        report = verify_record(log, rid)
    assert not report.identical and not report.outputs_identical
    assert not any("only the model files" in d for d in report.differences)


@pytest.mark.parametrize(
    ("then", "now", "noted"),
    [
        ("abc", "abc+calibration:1234", True),  # recalibrated since
        ("abc+calibration:1234", "abc", True),  # reset since
        ("abc+calibration:1234", "abc+calibration:5678", True),  # refitted
        ("abc", "xyz+calibration:1234", False),  # another model
        ("abc", "xyz", False),
    ],
)
def test_verify_notes_a_recalibration_since_the_decision(
    db: Path, then: str, now: str, noted: bool
) -> None:
    report = _verified_with(db, {"model_fingerprint": then}, {"model_fingerprint": now})
    said = [n for n in report.notes if "temperature changed" in n]
    assert bool(said) is noted, report.notes


# ---- 5. a read-only database --------------------------------------------------------------------
def _readonly_sqlite(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Make SQLite answer as it does for a WAL database in a folder this process cannot
    write: ``mode=ro`` fails, ``immutable=1`` reads. Returns the URIs opened."""
    real = sqlite3.connect
    opened: list[str] = []

    def connect(database: Any, *args: Any, **kwargs: Any) -> sqlite3.Connection:
        uri = str(database)
        opened.append(uri)
        if kwargs.get("uri") and "mode=ro" in uri and "immutable=1" not in uri:
            raise sqlite3.OperationalError("attempt to write a readonly database")
        return real(database, *args, **kwargs)

    monkeypatch.setattr(audit.sqlite3, "connect", connect)
    return opened


def test_read_only_commands_read_a_database_sqlite_cannot_open_read_only(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = _ids(db)
    opened = _readonly_sqlite(monkeypatch)
    for args in (["list"], ["show", ids[0]], ["verify-chain"], ["verify", ids[1]]):
        code, out = run(*args, "--db", str(db))
        assert code == 0, (args, out)
        assert "readonly" not in out
    assert any("immutable=1" in u for u in opened)


def test_a_read_only_open_refuses_a_wal_file_it_could_not_read(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with AuditLog(db) as writer:  # open: its newest records are in the -wal file
        append(writer, "in the wal")
        _readonly_sqlite(monkeypatch)
        code, out = run("list", "--db", str(db))
    assert code == 2 and "its -wal file holds records" in out, out


@pytest.mark.skipif(not is_root(), reason="drops root privileges")
def test_a_database_in_a_read_only_folder_reads_and_refuses_writers() -> None:
    folder = Path(tempfile.mkdtemp(prefix="kgfuse-ro-"))
    try:
        os.chmod(folder, 0o755)  # others may read, not write
        path = folder / "audit.sqlite"
        with AuditLog(path) as log:
            rid = append(log, "long thin fingers")
        assert not Path(f"{path}-wal").exists()  # closed: no WAL index to share
        os.chmod(path, 0o644)
        run("list", "--db", str(path))  # imports what the child will need

        def read() -> list[Any]:
            with AuditLog(path, readonly=True) as log:
                return [log.get(rid).id, len(log.list()), log.verify_chain().ok]

        assert as_nobody(read) == ("ok", [rid, 1, True])

        def write() -> None:
            AuditLog(path).check_writable()

        status, message = as_nobody(write)
        assert status == "error" and message.startswith(
            f"PermissionError: cannot write the audit database {path}"
        )
    finally:
        for p in folder.iterdir():
            p.unlink()
        folder.rmdir()


def test_a_writer_checks_the_database_before_any_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "audit.sqlite"
    with AuditLog(path) as log:
        for i in range(40):
            append(log, f"long thin fingers {i} " * 40)
        log.check_writable()  # a healthy database passes
    with pytest.raises(PermissionError, match="open read-only"):
        AuditLog(path, readonly=True).check_writable()
    monkeypatch.setattr(audit.os, "access", lambda p, mode: Path(p) != path)
    with pytest.raises(PermissionError, match=f"cannot write the audit database {path}: make it"):
        AuditLog(path).check_writable()
    monkeypatch.undo()
    os.truncate(path, path.stat().st_size // 2)
    with pytest.raises(ValueError, match="database disk image is malformed"):
        AuditLog(path).check_writable()


# ---- 9. a damaged record does not stop the list -------------------------------------------------
def test_list_marks_a_damaged_record_and_lists_the_rest(db: Path) -> None:
    ids = _ids(db)
    _tamper(db, "UPDATE audit_records SET explanation = ? WHERE seq = 2", b"\x78\x9c garbage")
    _tamper(db, "UPDATE audit_records SET created_at = 'x' WHERE seq = 3")
    with AuditLog(db, readonly=True) as log:
        rows = log.list()
    assert [r.id for r in rows] == ids[::-1]
    assert rows[0].damaged == "it does not match its hash: it was changed"
    assert rows[1].damaged == "its stored explanation cannot be read"
    assert rows[2].damaged is None and rows[2].top_answer == MARFAN
    code, out = run("list", "--db", str(db))
    assert code == 0 and out.count("DAM") == 2, out  # "DAMAGED", cut by the width
    assert "warning: 2 listed record(s) cannot be trusted (seq 3, 2)" in out
    code, out = run("list", "--db", str(db), "--json")
    assert code == 0 and [r["damaged"] for r in json.loads(out)][2] is None


# ---- 10. hostile ids ----------------------------------------------------------------------------
def test_a_long_id_is_not_echoed_in_full(db: Path) -> None:
    code, out = run("show", "a" * 100_000, "--db", str(db))
    assert code == 2 and f"error: no audit record '{'a' * 40}'... (100,000 characters)" in out
    assert len(out) < 300


def test_an_id_that_is_not_text_is_refused_clearly(db: Path) -> None:
    code, out = run("show", "\udcff\udcfe", "--db", str(db))
    assert code == 2, out
    assert (
        "error: the audit id '\\udcff\\udcfe' is not valid text (byte 0xff at character 0)" in out
    )


def test_an_id_prefix_must_have_a_few_characters(db: Path) -> None:
    rid = _ids(db)[0]
    for short in ("", rid[:1], rid[: MIN_ID_PREFIX - 1]):
        code, out = run("verify", short, "--db", str(db))
        assert code == 2 and f"is too short: give at least {MIN_ID_PREFIX} characters" in out
    assert run("show", rid[:MIN_ID_PREFIX], "--db", str(db))[0] == 0
    with AuditLog(db, readonly=True) as log, pytest.raises(AuditRecordNotFoundError):
        log.get(rid[:3])


# ---- 6. the KG fingerprints of a mismatch are told apart ----------------------------------------
def test_a_kg_mismatch_shows_where_the_fingerprints_differ() -> None:
    expected = "393d739836a1" + "0" * 30 + "abcd"
    found = "393d739836a1" + "0" * 30 + "abce"
    message = str(KGMismatchError("the model at m", expected, found))
    assert f"fingerprint {expected[:46]}" in message and f"fingerprint {found[:46]}" in message
    assert "fingerprint 393d739836a1," not in message
    short = str(KGMismatchError("the model", "a" * 64, "b" * 64))
    assert f"fingerprint {'a' * 12}..., but" in short and f"fingerprint {'b' * 12}...;" in short


# ---- 7. what show prints ------------------------------------------------------------------------
def test_show_prints_the_settings_the_structured_input_and_an_answer(db: Path) -> None:
    given = {
        "id": "p1",
        "present_hpo": ["HP:0001166"],
        "excluded_hpo": ["HP:0001249"],
        "sex": "female",
        "age": 12,
        "onset": "HP:0003577",
    }
    config = {
        "model_dir": "/models/m",
        "kg": "/kgs/hpo",
        "top_k": 5,
        "rules_top": 3,
        "shortlist": 10,
        "precision": "int8",
        "similarity_weight": 4.0,
        "lead": 5,
        "pool": 20,
        "shortlist_similarity": "funSimAvg",
        "model_config_hash": "c" * 64,
    }
    expl = make_explanation("fingers")
    expl.input_text = None
    expl.metadata.update(
        {
            "present": [OBO + "HP_0001166"],
            "excluded": [OBO + "HP_0001249"],
            "sex": "FEMALE",  # as the service records what the rules weighed
            "age": 12.0,
            "model_files": {"sha256": "f" * 64, "files": {"config.json": "1"}},
        }
    )
    with AuditLog(db) as log:
        rid = log.record(expl, given, config=config)
        answer = make_explanation("Which genes are associated with Marfan syndrome?")
        answer.kind = "ask"
        answer.metadata.update(
            {
                "intent": "genes_of_disease",
                "confidence": 0.99,
                "answered": True,
                "answer_text": "Genes associated with Marfan syndrome: FBN1.",
            }
        )
        fact = CitedFact(None, OBO + "HP_0001166", RDFS_SUBCLASS_OF, OBO + "HP_0001238")
        answer.facts = [RetrievedFact(fact, 1.0, source="hp.obo (2025-01-16)")]
        ask_id = log.record(
            answer,
            {"question": "q"},
            config={"kg": "/kgs/hpo", "model_dir": None, "top_k": 10, "limit": 50},
        )
    code, out = run("show", rid, "--db", str(db))
    assert code == 0, out
    for expected in (
        "settings top_k 5, rules_top 3, shortlist 10, precision int8, similarity_weight 4.0, "
        "lead 5, pool 20, shortlist_similarity funSimAvg",
        "present: HP:0001166",
        "excluded: HP:0001249",
        "sex: female",
        "age: 12",
        "onset: HP:0003577",
        f"model /models/m; files sha256 {'f' * 64} (1); training config {'c' * 64}",
        "KG /kgs/hpo",
        "Patient, as the decision used it: present: Arachnodactyly (HP:0001166) "
        "excluded: HP:0001249",
        "age: 12 years",  # the patient as the rules weighed it, beside the terms
    ):
        assert expected in out, expected
    code, out = run("show", ask_id, "--db", str(db))
    assert code == 0, out
    assert (
        "Answer (intent genes_of_disease, confidence 0.99, answered): Genes associated with "
        "Marfan syndrome: FBN1." in out
    )
    assert "[from hp.obo (2025-01-16)]" in out
    assert "settings top_k 10, limit 50" in out


def test_a_retrieved_fact_keeps_its_source_and_older_ones_read_as_before() -> None:
    fact = CitedFact(None, OBO + "HP_0001166", RDFS_SUBCLASS_OF, OBO + "HP_0001238")
    with_source = RetrievedFact(fact, 1.0, source="hp.obo")
    assert RetrievedFact.from_dict(with_source.to_dict()) == with_source
    older = RetrievedFact(fact, 1.0).to_dict()
    assert "source" not in older and RetrievedFact.from_dict(older).source is None


# ---- 8. an answer re-run without its model ------------------------------------------------------
def test_an_answer_re_run_without_its_model_says_so_first() -> None:
    recorded = make_explanation("Which diseases explain long fingers and tall stature?")
    recorded.kind = "ask"
    recorded.findings += [_hallmark(ECTOPIA), _hallmark(AORTA)]
    recorded.metadata.update(
        {"intent": "diagnose", "answer_text": "Most likely: Marfan syndrome (97%)."}
    )
    recorded.warnings = ["low confidence"]
    replayed = Explanation(
        kind="ask",
        kg_fingerprint=recorded.kg_fingerprint,
        metadata={
            "intent": "diagnose",
            "answer_text": "I cannot answer this: it needs the diagnosis model, which is missing.",
        },
        ranking=[],
    )
    diffs = compare_explanations(recorded, replayed)
    assert diffs[0].startswith("the re-run could not use the model the decision was made with")
    assert diffs[1] == (
        'answer: recorded "Most likely: Marfan syndrome (97%).", now "I cannot answer this: it '
        'needs the diagnosis model, which is missing."'
    )
    assert 'warning missing in the re-run: "low confidence"' in diffs
    assert "findings: none of the 3 recorded findings is in the re-run" in diffs
    assert not any(d.startswith("model fingerprint") for d in diffs)
    other = Explanation(
        kind="ask",
        metadata={"intent": "definition", "answer_text": "x"},
        ranking=[RankedAnswer(MARFAN)],
    )
    assert any(
        d.startswith('intent: recorded "genes"')
        for d in compare_explanations(
            Explanation(
                kind="ask",
                metadata={"intent": "genes", "answer_text": "x"},
                ranking=[RankedAnswer(MARFAN)],
            ),
            other,
        )
    )


def test_a_decision_replays_with_the_shortlist_similarity_it_was_made_with() -> None:
    from kgfuse.diagnosis import recorded_ranking

    # decisions recorded before the setting was kept lifted the shortlist by the BMA
    assert recorded_ranking({"similarity_weight": 4.0}).shortlist_similarity == "BMA"
    for kept in ("funSimAvg", "BMA"):
        assert recorded_ranking({"shortlist_similarity": kept}).shortlist_similarity == kept
