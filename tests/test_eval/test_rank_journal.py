"""An evaluation stopped halfway resumes: each ranked case is noted in a journal
(:mod:`eval.rank_journal`), read back by the next run with the same configuration, rankers
and cases, which ranks only the cases after it and gives the report of an uninterrupted run.
A line cut short by a kill is ranked again; a journal of other settings or cases is started
again; two runs cannot write one journal."""

from __future__ import annotations

import json
import logging
import math
import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eval.diagnosis import Case, ProbableRanking, evaluate_rankers
from eval.rank_journal import (
    LOCK_NAME,
    JournalBusyError,
    JournalFolder,
    RankedCase,
    RankJournal,
    journal_key,
)
from kg.locks import exclusive_lock
from kg.namespaces import to_iri

MARFAN = to_iri("OMIM:154700")
OTHER = "urn:other"
TERMS = [to_iri(t) for t in ("HP:0001166", "HP:0000098", "HP:0001083", "HP:0000006")]


def _cases(n: int = 8) -> list[Case]:
    return [
        Case(f"c{i}", present=(TERMS[i % 4],), excluded=(TERMS[(i + 1) % 4],), diseases=(MARFAN,))
        for i in range(n)
    ]


class Counting:
    """Marfan first for even-numbered cases, second for odd ones; counts its calls, and
    stops the run (as a kill would) at call ``stop_at``."""

    def __init__(self, stop_at: int | None = None) -> None:
        self.calls: list[str] = []
        self.stop_at = stop_at

    def __call__(self, case: Case) -> ProbableRanking:
        if self.stop_at is not None and len(self.calls) == self.stop_at:
            raise KeyboardInterrupt
        self.calls.append(case.id)
        first = int(case.id[1:]) % 2 == 0
        scores = [(MARFAN, 2.0 if first else 1.0), (OTHER, 1.5)]
        truth = 0.7 if first else 0.2
        if case.id == "c5":  # the diagnosis not ranked at all: inf places down
            scores, truth = [(OTHER, 1.5)], math.nan
        ranked = sorted(scores, key=lambda s: -s[1])
        return ProbableRanking(ranked, top1_probability=0.7, truth_probability=truth)


def _run(kg, rankers, journal: Path | None, config=None):
    return evaluate_rankers(
        _cases(),
        rankers,
        annotations=kg.annotations,
        n_resamples=5,
        config=config or {"what": "test"},
        journal=journal,
    )


def _same(a, b) -> None:
    assert a.metrics == b.metrics
    assert a.calibration == b.calibration
    for name, by_mode in a.positions.items():
        for mode, pos in by_mode.items():
            assert np.array_equal(pos.better, b.positions[name][mode].better)
            assert np.array_equal(pos.tied, b.positions[name][mode].tied)


def test_a_run_stopped_halfway_resumes_where_it_stopped(kg, tmp_path: Path) -> None:
    plain = _run(kg, {"r": Counting()}, None)
    assert plain.positions["r"]["present"].better[5] == math.inf
    journal = tmp_path / "journal"
    stopped = Counting(stop_at=11)  # 8 cases with present terms, then 3 with both
    with pytest.raises(KeyboardInterrupt):
        _run(kg, {"r": stopped}, journal)
    again = Counting()
    resumed = _run(kg, {"r": again}, journal)
    # only the cases not noted are ranked: the last 5 of the second mode
    assert again.calls == ["c3", "c4", "c5", "c6", "c7"]
    _same(resumed, plain)
    # a third run ranks nothing: every case is noted
    third = Counting()
    _same(_run(kg, {"r": third}, journal), plain)
    assert third.calls == []


def test_other_settings_or_cases_rank_every_case_again(kg, tmp_path: Path) -> None:
    journal = tmp_path / "journal"
    _run(kg, {"r": Counting()}, journal)
    other = Counting()
    _run(kg, {"r": other}, journal, config={"what": "another model"})
    assert len(other.calls) == 16
    # and the journal of a ranker is its own: a new ranker ranks every case
    both = {"r": Counting(), "s": Counting()}
    _run(kg, both, journal)
    assert (len(both["r"].calls), len(both["s"].calls)) == (0, 16)
    # a case changed: another key
    changed = _cases()
    changed[3] = Case("c3", present=(TERMS[0],), diseases=(MARFAN,))
    key = journal_key({"what": "test"}, "r", "present", [*_cases()])
    assert journal_key({"what": "test"}, "r", "present", changed) != key


def test_a_line_cut_short_is_ranked_again(tmp_path: Path) -> None:
    ids = ["a", "b", "c"]
    with RankJournal(tmp_path, "k" * 64, ids, label="r") as journal:
        journal.append(0, "a", RankedCase(0.0, 1.0, 0.01, (0.5, math.nan)))
        journal.append(1, "b", RankedCase(2.0, 1.0, 0.02))
    path = journal.path
    whole = path.read_bytes()
    path.write_bytes(whole[:-7])  # the kill cut the last line
    with RankJournal(tmp_path, "k" * 64, ids, label="r") as journal:
        assert len(journal.done) == 1
        first = journal.done[0]
        assert (first.better, first.tied, first.seconds) == (0.0, 1.0, 0.01)
        assert first.probabilities is not None
        assert first.probabilities[0] == 0.5 and math.isnan(first.probabilities[1])
        journal.append(1, "b", RankedCase(2.0, 1.0, 0.02))
    # the cut line is gone, and the file reads whole again
    assert path.read_bytes() == whole
    with RankJournal(tmp_path, "k" * 64, ids, label="r") as journal:
        assert [d.better for d in journal.done] == [0.0, 2.0]
        with pytest.raises(ValueError, match="case 3 given where case 2 is next"):
            journal.append(3, "c", RankedCase(0.0, 1.0, 0.0))


@pytest.mark.parametrize(
    "damage",
    [
        lambda lines: [lines[0], lines[2], lines[1]],  # out of order
        lambda lines: [lines[0], lines[1].replace('"a"', '"x"'), lines[2]],  # another case
        lambda lines: [lines[0], "{not json", lines[2]],  # a damaged line before the last
        lambda lines: [lines[0].replace("k" * 64, "j" * 64), *lines[1:]],  # another key
        lambda lines: [lines[0].replace('"version": 1', '"version": 0'), *lines[1:]],
        lambda lines: [lines[0], lines[1].replace('"better": 0.0', '"better": null'), lines[2]],
    ],
)
def test_a_journal_not_as_written_is_started_again(tmp_path: Path, damage) -> None:
    ids = ["a", "b", "c"]
    with RankJournal(tmp_path, "k" * 64, ids, label="r") as journal:
        journal.append(0, "a", RankedCase(0.0, 1.0, 0.01))
        journal.append(1, "b", RankedCase(2.0, 1.0, 0.02))
    lines = journal.path.read_text(encoding="utf-8").splitlines()
    journal.path.write_text("\n".join(damage(lines)) + "\n", encoding="utf-8")
    with RankJournal(tmp_path, "k" * 64, ids, label="r") as journal:
        assert journal.done == []
    header = json.loads(journal.path.read_text(encoding="utf-8"))
    assert header == {"version": 1, "key": "k" * 64, "label": "r"}


def test_two_runs_cannot_write_one_journal(kg, tmp_path: Path) -> None:
    journal = tmp_path / "journal"
    journal.mkdir()

    def held(holder: str) -> Exception:
        return AssertionError(holder)

    with exclusive_lock(journal / ".lock", held):
        first = Counting()
        with pytest.raises(JournalBusyError, match=f"process {os.getpid()}.*{journal}"):
            _run(kg, {"r": first}, journal)
        assert first.calls == []  # refused before any case is ranked


@settings(max_examples=40, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.floats(0, 1e6, allow_nan=False) | st.just(math.inf),  # inf: not ranked
            st.floats(1, 1e6, allow_nan=False),
            st.floats(0, 10, allow_nan=False),
            st.none() | st.tuples(st.floats(0, 1), st.floats(0, 1) | st.just(math.nan)),
        ),
        max_size=6,
    ),
    ids=st.lists(st.text(max_size=8), min_size=6, max_size=6),
)
def test_what_is_noted_reads_back_as_it_was(tmp_path_factory, rows, ids) -> None:
    folder = tmp_path_factory.mktemp("j")
    with RankJournal(folder, "k" * 64, ids, label="r") as journal:
        for i, (better, tied, seconds, p) in enumerate(rows):
            journal.append(i, ids[i], RankedCase(better, tied, seconds, p))
    with RankJournal(folder, "k" * 64, ids, label="r") as journal:
        back = journal.done
    assert len(back) == len(rows)
    for got, (better, tied, seconds, p) in zip(back, rows, strict=True):
        assert (got.better, got.tied, got.seconds) == (better, tied, seconds)
        if p is None:
            assert got.probabilities is None
        else:
            assert got.probabilities is not None
            assert got.probabilities[0] == p[0]
            assert got.probabilities[1] == p[1] or (
                math.isnan(p[1]) and math.isnan(got.probabilities[1])
            )


# ---- the journal folder of a run -------------------------------------------------------------
def _held(folder: Path) -> bool:
    """Whether a process holds the lock of the journal folder (a lock of this process too:
    ``flock`` locks of two opens of one file exclude each other)."""
    try:
        with exclusive_lock(folder / LOCK_NAME, JournalBusyError):
            return False
    except JournalBusyError:
        return True


def test_a_finished_run_removes_its_own_journals_only(kg, tmp_path: Path) -> None:
    folder = tmp_path / "out" / ".journal"
    with pytest.raises(KeyboardInterrupt):  # another model's run, stopped halfway
        _run(kg, {"r": Counting(stop_at=3)}, folder, config={"what": "another model"})
    theirs = sorted(folder.glob("*.jsonl"))
    assert len(theirs) == 1
    with JournalFolder(folder) as held:
        _run(kg, {"r": Counting()}, held)
        mine = [j.path for j in held.journals]
        assert len(mine) == 2 and all(p.is_file() for p in mine)
        held.remove_own()
    assert not any(p.exists() for p in mine)
    assert sorted(folder.glob("*.jsonl")) == theirs  # left to resume
    assert (folder / LOCK_NAME).is_file()
    # the other run resumes, and once done leaves nothing: the folder is empty
    again = Counting()
    with JournalFolder(folder) as held:
        _run(kg, {"r": again}, held, config={"what": "another model"})
        held.remove_own()
    assert len(again.calls) == 16 - 3
    assert not folder.exists() and (tmp_path / "out").is_dir()


def test_a_run_that_noted_nothing_leaves_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "out" / "deeper" / ".journal"
    with pytest.raises(KeyboardInterrupt), JournalFolder(folder) as held:
        assert _held(folder)
        with held.journal("k" * 64, ["a"], label="r"):
            raise KeyboardInterrupt  # stopped before a case was ranked
    assert not (tmp_path / "out").exists()  # the folders made for the lock go too
    assert not held.noted


def test_a_lock_file_removed_by_its_holder_is_not_shared(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run that opened the lock file just before its holder removed it (done) and
    released the lock, locks the file then at the path instead: one holder per path."""
    import fcntl

    path = tmp_path / LOCK_NAME
    flock = fcntl.flock
    calls: list[int] = []

    def late(fd: int, operation: int) -> None:
        if not calls:  # the holder removes the file between this run's open and flock
            path.unlink()
        calls.append(fd)
        flock(fd, operation)

    monkeypatch.setattr(fcntl, "flock", late)
    path.touch()
    with exclusive_lock(path, JournalBusyError):
        monkeypatch.setattr(fcntl, "flock", flock)
        assert len(calls) == 2  # the removed file let go, the path opened again
        assert path.is_file() and _held(tmp_path)  # a third run is refused


# ---- kgfuse eval diagnosis -------------------------------------------------------------------
def _case_file(tmp_path: Path) -> Path:
    rows = [
        {"id": f"c{i}", "present_hpo": [term], "diseases": ["OMIM:154700"]}
        for i, term in enumerate(["HP:0001166", "HP:0000098", "HP:0001083"])
    ]
    path = tmp_path / "cases.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_an_evaluation_done_leaves_other_runs_journals(
    kg,
    tmp_path: Path,
    stop_ranking: tuple[list[str], list[int]],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from kgfuse.evaluation import evaluate_diagnosis, journal_folder

    cases, out = _case_file(tmp_path), tmp_path / "out"
    folder = journal_folder(out)
    calls, stop_at = stop_ranking
    stop_at.append(5)
    with pytest.raises(KeyboardInterrupt):
        evaluate_diagnosis(kg, cases, out, limit=3, n_resamples=5, progress=False)
    stopped = sorted(folder.glob("*.jsonl"))
    assert len(stopped) == 2
    stop_at.clear()
    # a run of other settings in the same --out, to the end: the stopped run's journals stay,
    # and are named
    with caplog.at_level(logging.WARNING, logger="kgfuse.evaluation"):
        evaluate_diagnosis(kg, cases, out, limit=2, n_resamples=5, progress=False)
    assert sorted(folder.glob("*.jsonl")) == stopped
    assert "2 journal file(s) of other evaluations" in caplog.text
    calls.clear()
    # the same cases by another path (relative to the working folder) resume
    monkeypatch.chdir(tmp_path)
    evaluate_diagnosis(kg, Path(cases.name), out, limit=3, n_resamples=5, progress=False)
    assert len(calls) == 3 * 3 - 5  # resumed (Resnik ranks present terms only: 3 passes)
    assert not folder.exists()


def test_the_journal_is_held_until_the_report_is_saved_and_its_journals_removed(
    kg, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from eval.diagnosis import EvalReport
    from kgfuse.evaluation import evaluate_diagnosis, journal_folder

    cases, out = _case_file(tmp_path), tmp_path / "out"
    folder = journal_folder(out)
    held: list[tuple[str, bool]] = []
    save, unlink = EvalReport.save, Path.unlink

    def saving(self: EvalReport, out_dir: Path) -> dict[str, Path]:
        held.append(("save", _held(folder)))
        return save(self, out_dir)

    def unlinking(self: Path, missing_ok: bool = False) -> None:
        if self.parent == folder and self.suffix == ".jsonl":
            held.append(("remove", _held(folder)))
        unlink(self, missing_ok=missing_ok)

    monkeypatch.setattr(EvalReport, "save", saving)
    monkeypatch.setattr(Path, "unlink", unlinking)
    evaluate_diagnosis(kg, cases, out, limit=2, n_resamples=5, progress=False)
    assert held == [("save", True)] + [("remove", True)] * 3
    assert (out / "diagnosis.json").is_file() and not folder.exists()
