"""A diagnosis service keeps the prior's completed profiles in the home's cache, and the
next service reads them there instead of computing them: same rankings."""

from __future__ import annotations

from pathlib import Path

import pytest

import kg.rules.likelihood as likelihood_module
from kg.rules.completion_cache import completion_key, completion_path
from kgfuse.diagnosis import DiagnosisService

RECORD = {"id": "p", "text": "Tall with arachnodactyly and ectopia lentis."}


def _service(home: Path, model: Path) -> DiagnosisService:
    return DiagnosisService(model, home / "kgs" / "hpo", home, audit=False)


def test_the_next_service_reads_the_completed_profiles(
    mini_home: Path, mini_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _service(mini_home, mini_model)
    prior = first.diagnoser.builder.likelihood
    assert prior.neighbours is not None  # the prior completes the profiles
    key = completion_key(prior._enriched, prior.neighbours, prior.config.neighbour_weight)
    assert completion_path(mini_home / "cache", key).is_file()
    kept = sorted((mini_home / "cache").glob("prior-completion-*.npz"))
    ranked = first.run(RECORD, audit=False)[0]["ranking"]

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("computed although kept")

    monkeypatch.setattr(likelihood_module, "impute_from_neighbours", refuse)
    second = _service(mini_home, mini_model)
    assert second.run(RECORD, audit=False)[0]["ranking"] == ranked
    assert sorted((mini_home / "cache").glob("prior-completion-*.npz")) == kept
