"""``kgfuse calibrate``: refit a diagnosis model's temperature on real labelled cases.

The cases are diagnosed as ``kgfuse diagnose`` diagnoses them (text or terms, with their
onset); the temperature is then fitted to the probability of each first disease
(:mod:`train.calibration`) and written into the model folder: ``config.json``'s
``calibration_temperature`` and a ``recalibration`` entry in ``kgfuse_model.json`` (the cases'
file hash, the fit and its figures, the temperature training fitted on simulated patients).
``reset_calibration`` puts that one back. The ranking never changes, only the probabilities;
decisions audited before a recalibration no longer replay to the same probabilities, and the
model's fingerprint says so.

The two files cannot change at once: the record (with the trained temperature) is written
before ``config.json``'s new temperature and removed after the trained one is back, so a
kill between the writes leaves the record, from which ``--reset`` or a new fit recovers.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from encoders.graph_model import atomic_write_text
from fusion.pipeline import Diagnoser, load_model_meta, save_model_meta
from kg.knowledge_graph import KnowledgeGraph
from kgfuse.evaluation import diagnose_case
from kgfuse.resources import default_linker
from train.calibration import CalibrationFit
from train.phenopacket import cases_sha256 as _cases_sha256
from train.phenopacket import read_cases

__all__ = ["RECALIBRATION", "Recalibration", "describe", "recalibrate", "reset_calibration"]

#: Key of the recalibration record in ``kgfuse_model.json``.
RECALIBRATION = "recalibration"
_CONFIG = "config.json"


class Recalibration(NamedTuple):
    """A fit, and how many cases of the model's diseases were left out because no present
    finding was recognised in them (``kgfuse diagnose`` refuses such a record)."""

    fit: CalibrationFit
    no_finding: int


def _diagnosed_cases(
    diagnoser: Diagnoser, cases_path: Path, progress: bool
) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray], int]:
    """Logits, the order of every candidate (best first), whether the first is true, and the
    truth's index, of each case whose disease is a candidate of the model and in which a
    present finding was recognised; and how many of the former lack one."""
    index = diagnoser.builder.candidate_index
    read_label = diagnoser.linker.read_label if diagnoser.linker is not None else None
    cases = read_cases(cases_path, diagnoser.kg.hierarchy, read_label=read_label)
    cases = [c for c in cases if any(d in index for d in c.diseases)]
    items: Any = cases
    if progress:
        from tqdm.auto import tqdm

        items = tqdm(cases, desc="diagnosing the cases", unit="case")
    logits, order, correct, truth = [], [], [], []
    no_finding = 0
    for case in items:
        result = diagnose_case(
            diagnoser, case, top_k=1, keep_logits=True, keep_scores=True, trace_imputed=False
        )
        if not any(not f.excluded for f in result.findings):  # DiagnosisService.run's test
            no_finding += 1
            continue
        assert result.logits is not None and result.candidate_scores is not None  # asked for
        logits.append(result.logits.astype(np.float32))
        order.append(result.candidate_scores.order.astype(np.int32))
        correct.append(result.ranking[0].iri in case.diseases)
        truth.append(next(index[d] for d in case.diseases if d in index))
    if not logits:
        empty = np.empty((0, 0)), np.empty(0, int), np.empty(0, bool), np.empty(0, int)
        return empty, no_finding
    return (np.stack(logits), np.stack(order), np.array(correct), np.array(truth)), no_finding


def _write_config_temperature(folder: Path, temperature: float) -> None:
    """Set ``config.json``'s ``calibration_temperature`` (atomically)."""
    config_path = folder / _CONFIG
    config = json.loads(config_path.read_text(encoding="utf-8"))
    config["calibration_temperature"] = temperature
    atomic_write_text(json.dumps(config, indent=2, sort_keys=True) + "\n", config_path)


def _config_temperature(folder: Path) -> float:
    """``config.json``'s temperature: the one the model applies."""
    config = json.loads((folder / _CONFIG).read_text(encoding="utf-8"))
    return float(config.get("calibration_temperature", 1.0))


def _trained_temperature(meta: dict[str, Any]) -> float | None:
    """The temperature training fitted on simulated patients, as the metadata holds it (the
    recalibration record's, else the one training saved); None when it holds neither."""
    record = meta.get(RECALIBRATION) or {}
    for found in (record.get("simulated_temperature"), meta.get("calibration_temperature")):
        if isinstance(found, int | float) and not isinstance(found, bool):
            return float(found)
    return None


def recalibrate(
    kg: KnowledgeGraph,
    model_dir: Path,
    cases_path: Path,
    *,
    write: bool = True,
    precision: str = "auto",
    progress: bool = True,
) -> Recalibration:
    """Fit the temperature of the model at ``model_dir`` on the cases of ``cases_path``.

    Args:
        kg: the KG the model was trained on.
        model_dir: the diagnosis model folder.
        cases_path: labelled cases in any format ``kgfuse eval diagnosis`` reads (a file or
            a folder).
        write: save the temperature into the model folder (else only report it).
        precision: the encoder's inference precision while diagnosing the cases.
        progress: a progress bar.

    Raises:
        ValueError: fewer than :data:`train.calibration.MIN_CASES` cases have a disease
            that is a candidate of the model and a recognised present finding.
    """
    model_dir, cases_path = Path(model_dir), Path(cases_path)
    meta = load_model_meta(model_dir)
    diagnoser = Diagnoser.load(model_dir, kg, linker=default_linker(kg), precision=precision)
    arrays, no_finding = _diagnosed_cases(diagnoser, cases_path, progress)
    before = float(diagnoser.model.config.calibration_temperature)
    fit = CalibrationFit.of(*arrays, before)
    if write:
        trained = _trained_temperature(meta)
        meta[RECALIBRATION] = {
            **asdict(fit),
            "simulated_temperature": before if trained is None else trained,
            "cases_file": cases_path.name,
            "cases_sha256": _cases_sha256(cases_path),
            "cases_without_finding": no_finding,
            "precision": diagnoser.precision,
            "fitted_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        save_model_meta(model_dir, meta)  # first: it keeps the trained temperature
        _write_config_temperature(model_dir, fit.temperature)
    return Recalibration(fit, no_finding)


def reset_calibration(model_dir: Path) -> float | None:
    """Put back the temperature training fitted on simulated patients; returns it, or None
    when there is nothing to put back (never recalibrated, ``config.json`` holds it).

    Raises:
        ValueError: the metadata holds a recalibration record but no trained temperature.
    """
    model_dir = Path(model_dir)
    meta = load_model_meta(model_dir)
    trained = _trained_temperature(meta)
    record = meta.pop(RECALIBRATION, None)
    if trained is None:
        if record is None:
            return None
        raise ValueError(f"{model_dir}: the recalibration record lacks the trained temperature")
    if record is None and math.isclose(_config_temperature(model_dir), trained, rel_tol=1e-9):
        return None
    _write_config_temperature(model_dir, trained)  # first: the record stays until it is back
    if record is not None:
        save_model_meta(model_dir, meta)
    return trained


def describe(fit: CalibrationFit) -> str:
    """One paragraph on what a fit changes."""
    cv = "" if fit.cv_ece is None else f"; on held-out diseases (5 folds) {fit.cv_ece:.3f}"
    return (
        f"{fit.cases} covered cases, first disease right in {fit.top1_accuracy:.1%}. "
        f"Temperature {fit.temperature_before:.3f} -> {fit.temperature:.3f}: mean probability "
        f"of the first disease {fit.mean_confidence_before:.3f} -> {fit.mean_confidence:.3f}, "
        f"calibration error (ECE) {fit.ece_before:.3f} -> {fit.ece:.3f}{cv}."
    )
