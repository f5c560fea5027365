"""kgfuse's code hash: what an evaluation's journal, ``--resume`` and a benchmark report's
kept sections are keyed by beside the version, so that an editable install's edits do not
mix results of two codes."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

import kgfuse.bench_report as report_mod
from kgfuse.commands.resumed_output import key_changes, run_key
from kgfuse.source_fingerprint import PACKAGES, packages_sha256, source_sha256


def test_the_hash_follows_the_files_of_a_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "kgfuse_probe_pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "rules.yaml").write_text("a: 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    before = packages_sha256(["kgfuse_probe_pkg"])
    assert len(before) == 64
    (package / "__pycache__").mkdir()
    (package / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"compiled")
    assert packages_sha256(["kgfuse_probe_pkg"]) == before  # caches do not count
    (package / "sub" / "rules.yaml").write_text("a: 2\n")  # package data counts
    edited = packages_sha256(["kgfuse_probe_pkg"])
    assert edited != before
    (package / "sub" / "rules.yaml").rename(package / "rules.yaml")  # so does a file's place
    assert packages_sha256(["kgfuse_probe_pkg"]) not in (before, edited)
    assert packages_sha256(["no_such_package_here"]) != packages_sha256(["another_missing"])


def test_the_projects_code_hash_is_taken_once_per_process() -> None:
    first = source_sha256()
    assert len(first) == 64 and int(first, 16) >= 0
    assert source_sha256() is first  # one run keeps one key, whatever is edited meanwhile
    assert packages_sha256(PACKAGES) == packages_sha256(PACKAGES)  # the same files, one hash


def test_resume_names_a_change_of_code(tmp_path: Path) -> None:
    cases = tmp_path / "in.jsonl"
    cases.write_text("{}\n", encoding="utf-8")
    kept = run_key("predict", cases, {}, None)
    assert kept["code"] == source_sha256()
    now = dict(kept, code="0" * 64)
    assert key_changes(kept, now) == ["kgfuse's code changed since (an editable install's edits)"]
    # another version says so, and not the code as well
    assert key_changes(kept, dict(now, kgfuse="99.0")) == [
        f"it was written by kgfuse {kept['kgfuse']}, this is 99.0"
    ]


def test_a_benchmark_section_of_other_code_is_marked_changed() -> None:
    saved = {
        "profile": "quick",
        "kgfuse_version": report_mod._version("kgfuse"),
        "kgfuse_code_sha256": source_sha256(),
        "inputs": {"cases": "abc"},
    }
    assert report_mod._changed_inputs(saved, "quick", {"cases": "abc"}) == []
    older = {**saved, "kgfuse_code_sha256": "0" * 64}
    assert report_mod._changed_inputs(older, "quick", {"cases": "abc"}) == ["kgfuse code"]
    unrecorded = {k: v for k, v in saved.items() if k != "kgfuse_code_sha256"}
    assert report_mod._changed_inputs(unrecorded, "quick", {"cases": "abc"}) == ["kgfuse code"]
