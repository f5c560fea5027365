"""``kgfuse calibrate``: refit a diagnosis model's temperature on real labelled cases.

The cases are diagnosed as ``kgfuse diagnose`` diagnoses them (text or terms, with their
onset); the temperature is then fitted to the probability of each first disease
(:mod:`train.calibration`) and written into the model folder: ``config.json``'s
``calibration_temperature`` and a ``recalibration`` entry in ``kgfuse_model.json`` (the cases'
file hash, the fit and its figures, the temperature training fitted on simulated patients).
``reset_calibration`` puts that one back. The ranking never changes, only the probabilities;
decisions audited before a recalibration no longer replay to the same probabilities, and the
model's fingerprint says so.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from encoders.graph_model import atomic_write_text
from fusion.pipeline import Diagnoser, load_model_meta, save_model_meta
from kg.knowledge_graph import KnowledgeGraph
from kg.store import sha256_file
from kgfuse.evaluation import diagnose_case
from kgfuse.resources import default_linker
from train.calibration import CalibrationFit
from train.phenopacket import read_cases

__all__ = ["RECALIBRATION", "describe", "recalibrate", "reset_calibration"]

#: Key of the recalibration record in ``kgfuse_model.json``.
RECALIBRATION = "recalibration"
_CONFIG = "config.json"


def _diagnosed_cases(
    diagnoser: Diagnoser, cases_path: Path, progress: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Logits, the order of every candidate (best first), whether the first is true, and the
    truth's index, of each case whose disease is a candidate of the model."""
    index = diagnoser.builder.candidate_index
    read_label = diagnoser.linker.read_label if diagnoser.linker is not None else None
    cases = read_cases(cases_path, diagnoser.kg.hierarchy, read_label=read_label)
    cases = [c for c in cases if any(d in index for d in c.diseases)]
    items: Any = cases
    if progress:
        from tqdm.auto import tqdm

        items = tqdm(cases, desc="diagnosing the cases", unit="case")
    logits, order, correct, truth = [], [], [], []
    for case in items:
        result = diagnose_case(
            diagnoser, case, top_k=1, keep_logits=True, keep_scores=True, trace_imputed=False
        )
        assert result.logits is not None and result.candidate_scores is not None  # asked for
        logits.append(result.logits.astype(np.float32))
        order.append(result.candidate_scores.order.astype(np.int32))
        correct.append(result.ranking[0].iri in case.diseases)
        truth.append(next(index[d] for d in case.diseases if d in index))
    if not cases:
        return np.empty((0, 0)), np.empty(0, int), np.empty(0, bool), np.empty(0, int)
    return np.stack(logits), np.stack(order), np.array(correct), np.array(truth)


def _write_temperature(folder: Path, temperature: float, meta: dict[str, Any]) -> None:
    """Write the temperature into ``config.json`` and ``meta`` into ``kgfuse_model.json``,
    each atomically (the metadata last, so a crash between them leaves the record of the
    previous state beside the new temperature at worst, never a half-written file)."""
    config_path = folder / _CONFIG
    config = json.loads(config_path.read_text(encoding="utf-8"))
    config["calibration_temperature"] = temperature
    atomic_write_text(json.dumps(config, indent=2, sort_keys=True) + "\n", config_path)
    save_model_meta(folder, meta)


def recalibrate(
    kg: KnowledgeGraph,
    model_dir: Path,
    cases_path: Path,
    *,
    write: bool = True,
    precision: str = "auto",
    progress: bool = True,
) -> CalibrationFit:
    """Fit the temperature of the model at ``model_dir`` on the cases of ``cases_path``.

    Args:
        kg: the KG the model was trained on.
        model_dir: the diagnosis model folder.
        cases_path: labelled cases in any format ``kgfuse eval diagnosis`` reads.
        write: save the temperature into the model folder (else only report it).
        precision: the encoder's inference precision while diagnosing the cases.
        progress: a progress bar.

    Raises:
        ValueError: fewer than :data:`train.calibration.MIN_CASES` cases have a disease
            that is a candidate of the model.
    """
    model_dir = Path(model_dir)
    meta = load_model_meta(model_dir)
    diagnoser = Diagnoser.load(model_dir, kg, linker=default_linker(kg), precision=precision)
    logits, order, correct, truth = _diagnosed_cases(diagnoser, Path(cases_path), progress)
    before = float(diagnoser.model.config.calibration_temperature)
    fit = CalibrationFit.of(logits, order, correct, truth, before)
    if write:
        earlier = meta.get(RECALIBRATION) or {}
        meta[RECALIBRATION] = {
            **asdict(fit),
            "simulated_temperature": earlier.get("simulated_temperature", before),
            "cases_file": Path(cases_path).name,
            "cases_sha256": sha256_file(Path(cases_path)),
            "precision": diagnoser.precision,
            "fitted_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        _write_temperature(model_dir, fit.temperature, meta)
    return fit


def reset_calibration(model_dir: Path) -> float | None:
    """Put back the temperature training fitted on simulated patients; returns it, or None
    when the model was never recalibrated."""
    model_dir = Path(model_dir)
    meta = load_model_meta(model_dir)
    record = meta.pop(RECALIBRATION, None)
    if record is None:
        return None
    temperature = float(record["simulated_temperature"])
    _write_temperature(model_dir, temperature, meta)
    return temperature


def describe(fit: CalibrationFit) -> str:
    """One paragraph on what a fit changes."""
    cv = "" if fit.cv_ece is None else f"; on held-out diseases (5 folds) {fit.cv_ece:.3f}"
    return (
        f"{fit.cases} covered cases, first disease right in {fit.top1_accuracy:.1%}. "
        f"Temperature {fit.temperature_before:.3f} -> {fit.temperature:.3f}: mean probability "
        f"of the first disease {fit.mean_confidence_before:.3f} -> {fit.mean_confidence:.3f}, "
        f"calibration error (ECE) {fit.ece_before:.3f} -> {fit.ece:.3f}{cv}."
    )
