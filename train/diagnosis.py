"""Training the fused diagnosis model on simulated patients.

``train_diagnosis(config)`` prepares (or reuses) the graph embeddings and the fact index,
simulates patients for every annotated disease, renders them as clinical text, and trains
:class:`fusion.model.KgFusionForDiagnosis` with cross-entropy over all diseases. It validates
each epoch on held-out simulated patients (selecting the best epoch and stopping early on
them) and, when given, reports real development cases each epoch, ranked as ``kgfuse
diagnose`` ranks them (``dev_*``) and by the model alone over every candidate
(``dev_model_*``). It checkpoints atomically every few hundred steps and resumes exactly
after a kill, fits a calibration temperature, and saves the model folder with its sidecars.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import torch
import torch.nn.functional as F

from encoders.graph_model import (
    EMBEDDINGS_FILE,
    EMBEDDINGS_META_FILE,
    DamagedEmbeddingsError,
    GraphEncoderConfig,
    load_node_embeddings,
)
from encoders.text import TextEncoderConfig
from eval.diagnosis import TiedRanks, rank_metrics, rank_ties
from eval.diagnosis import expected_calibration_error as calibration_error
from fusion.inputs import PatientCollator, PatientInput
from fusion.model import KgFusionForDiagnosis
from fusion.pipeline import (
    LinkedFinding,
    PatientInputBuilder,
    PreparedPatient,
    load_model_meta,
    model_meta,
    neighbours_basis,
    save_neighbours,
)
from fusion.retrieval import FactIndex, RetrievalConfig, default_index_dir
from fusion.retrieval import embeddings_digest as embeddings_digest  # moved there; kept here
from fusion.shortlist import (
    DEFAULT_LEAD,
    DEFAULT_POOL,
    DEFAULT_SHORTLIST,
    DEFAULT_SIMILARITY_WEIGHT,
    add_similarity,
    candidate_similarity,
    fill_values,
    tiered,
    tiered_keys,
)
from kg.knowledge_graph import KnowledgeGraph
from kg.remote import kg_location
from kg.rules.likelihood import LikelihoodConfig, PhenotypeLikelihood
from kg.rules.resnik import ResnikRanker
from kg.store import default_kg_path, kgfuse_home
from train.calibration import top1_confidence
from train.checkpoint import checkpoint_state, holding_output_folder
from train.config import DiagnosisConfig, ModelSection, TaskConfig, run_fingerprint
from train.distributed import DistributedContext, is_main, main_rank_first, to_device, world_size
from train.embed import train_graph_embedder
from train.loop import (
    LoopResult,
    autocast,
    save_model_folder,
    training_device,
    use_bf16,
)
from train.result_json import write_result_json
from train.run import (
    CHECKPOINT,
    TrainRunResult,
    fit_into_folder,
    fused_model_settings,
    new_fused_model,
    run_measures,
    start_run,
    trained_on,
)
from train.simulate import PatientSimulator, PhenotypeNames, SimulatedPatient, render_text

logger = logging.getLogger(__name__)

#: The calibration temperatures :func:`fit_temperature` may return.
TEMPERATURE_BOUNDS = (0.05, 20.0)
#: Large buffers rebuilt from the KG resources rather than stored in every checkpoint.
_SKIP = {"kgfusion.node_embeddings", "label_text", "label_nodes"}


@dataclass(kw_only=True)
class DiagnosisTrainResult(TrainRunResult):
    """What a diagnosis run produced and measured: :class:`train.run.TrainRunResult`, with
    the calibration and the final dev metrics (on rank 0, which saves the model)."""

    temperature: float = 1.0
    ece_before: float = float("nan")
    ece_after: float = float("nan")
    dev: dict[str, float] = field(default_factory=dict)


def embeddings_dir(
    kg: KnowledgeGraph, config: DiagnosisConfig | TaskConfig, home: Path | None = None
) -> Path:
    """Where the graph embeddings of a KG are cached in the kgfuse home: one folder per KG
    and per setting that changes them (encoder, width, epochs, patience, seed), so a run
    never reuses embeddings trained under other settings."""
    e = config.embedding
    name = (
        f"{kg.fingerprint[:12]}-{e.encoder}-{e.hidden_dim}"
        f"-e{e.epochs}-p{e.patience}-s{config.train.seed}"
    )
    return kgfuse_home(home) / "embeddings" / name


def ensure_embeddings(
    kg: KnowledgeGraph,
    config: DiagnosisConfig | TaskConfig,
    home: Path | None = None,
    progress: bool = True,
) -> torch.Tensor:
    """The KG's graph embeddings, trained by link prediction the first time (resumable).

    Saved embeddings that are incomplete or damaged (a run killed while saving them, say)
    are made again: from the finished run's checkpoint when there is one (the last step
    alone), else by training on from the last checkpoint."""
    folder = embeddings_dir(kg, config, home)
    if (folder / EMBEDDINGS_FILE).is_file() or (folder / EMBEDDINGS_META_FILE).is_file():
        try:
            return load_node_embeddings(folder, kg.graph)
        except DamagedEmbeddingsError as err:
            logger.warning("%s: making them again", err)
    e = config.embedding
    gcfg = GraphEncoderConfig(encoder=e.encoder, hidden_dim=e.hidden_dim, seed=config.train.seed)
    logger.info("training %s graph embeddings into %s", e.encoder, folder)
    train_graph_embedder(
        kg.graph,
        gcfg,
        folder,
        epochs=e.epochs,
        patience=e.patience,
        progress=progress,
        device=training_device(config.train.device),  # the GPU when one is present
    )
    # read back what was saved, so a first run and a resumed run see identical values
    return load_node_embeddings(folder, kg.graph)


def ensure_fact_index(
    kg: KnowledgeGraph, node_embeddings: torch.Tensor, progress: bool = True
) -> FactIndex:
    """The KG's FAISS fact index, built and cached beside the KG the first time, and built
    again when the cached one does not fit training: made from other graph embeddings (its
    fact vectors hold them), with another text encoder than the default, or with other
    retrieval settings than :class:`RetrievalConfig` ``()`` (an exact flat index in one
    shard: ``kgfuse facts --index-kind`` / ``--shards`` re-index the same cache, and the
    model reads fact vectors back from the index, which IVF-PQ would return lossy), in
    which case it is re-indexed."""
    return FactIndex.load_or_build(
        default_index_dir(kg),
        kg,
        node_embeddings=node_embeddings,
        text_encoder=TextEncoderConfig(),  # loaded only to build
        config=RetrievalConfig(),
        cache=True,
        progress=progress,
    )


def candidate_subjects(kg: KnowledgeGraph, prefix: str | None) -> list[str] | None:
    """Annotated subjects that a prefix of ``prefix`` names (None: all of them).

    ``prefix`` holds one prefix or several, apart by spaces or commas: a CURIE prefix
    (``"OMIM"``) names the subjects whose CURIE has it, and an IRI's start
    (``"https://example.org/disease/"``, for diseases of one's own beside HPO's) those
    whose IRI starts so.

    Raises:
        ValueError: no prefix is given, or one names no annotated subject.
    """
    if prefix is None:
        return None
    from kg.namespaces import compress

    wanted = [p for p in re.split(r"[\s,]+", prefix) if p]
    if not wanted:
        raise ValueError(f"no candidate prefix given in {prefix!r}: give one, or none for all")
    subjects = kg.annotations.subjects
    chosen: dict[str, None] = {}
    for p in wanted:
        if "://" in p:
            named = [s for s in subjects if s.startswith(p)]
        else:
            curie = p.rstrip(":") + ":"
            named = [s for s in subjects if compress(s).startswith(curie)]
        if not named:
            raise ValueError(f"no annotated subject has the prefix {p!r}")
        chosen.update(dict.fromkeys(named))
    return [s for s in subjects if s in chosen]  # in the table's order, each once


def _findings_of(patient: SimulatedPatient) -> list[LinkedFinding]:
    return [LinkedFinding(i, False) for i in patient.present] + [
        LinkedFinding(i, True) for i in patient.excluded
    ]


class SimulatedPatients:
    """Simulated patients turned into model inputs, deterministically per (seed, index).

    Text models get a freshly rendered text each epoch (``variant``), so the same patient
    is seen with other wordings; KG-only models get the findings alone.
    """

    def __init__(
        self,
        patients: Sequence[SimulatedPatient],
        builder: PatientInputBuilder,
        names: PhenotypeNames | None,
        seed: int,
    ) -> None:
        self.patients = list(patients)
        self.builder = builder
        self.names = names
        self.seed = seed

    def __len__(self) -> int:
        return len(self.patients)

    def prepare(self, index: int, variant: int = 0) -> PreparedPatient:
        p = self.patients[index]
        if self.names is None:
            return self.builder.prepare(_findings_of(p), "", p.disease)
        rng = np.random.default_rng([self.seed, variant, index])
        text, spans = render_text(p, self.names, rng)
        findings = [LinkedFinding(s.iri, s.excluded, s.start, s.end, s.surface) for s in spans]
        rendered = {s.iri for s in spans}
        # findings with no name in the lexicon still count for the prior and the entities
        findings += [f for f in _findings_of(p) if f.iri not in rendered]
        return self.builder.prepare(findings, text, p.disease)


def _split_patients(
    simulator: PatientSimulator, diseases: list[str], config: DiagnosisConfig
) -> tuple[list[SimulatedPatient], list[SimulatedPatient]]:
    s = config.simulation
    train = simulator.dataset(s.patients_per_disease, s.seed, diseases)
    rng = np.random.default_rng(s.seed + 1)
    n_valid = min(len(diseases), s.valid_patients)
    valid_diseases = sorted(rng.choice(len(diseases), size=n_valid, replace=False).tolist())
    valid = simulator.dataset(1, s.seed + 1_000_003, [diseases[i] for i in valid_diseases])
    return train, valid


def true_ranks(logits: torch.Tensor | np.ndarray, labels: torch.Tensor) -> TiedRanks:
    """Where each row's true label lies, ties kept (:func:`eval.diagnosis.rank_ties`: ties
    count as their expectation under a random tie-break, as ``kgfuse eval diagnosis``)."""
    scores = logits.float().numpy() if isinstance(logits, torch.Tensor) else logits
    truth = np.zeros(scores.shape, dtype=bool)
    truth[np.arange(len(truth)), labels.numpy()] = True
    return rank_ties(scores, truth)


def rank_metrics_from_logits(logits: torch.Tensor, labels: torch.Tensor) -> dict[str, float]:
    """Top-1/3/10 and MRR of the true labels (ties as their expectation)."""
    return metrics_of_ranks(true_ranks(logits, labels))


def metrics_of_ranks(ranks: TiedRanks) -> dict[str, float]:
    """Top-1/3/10 and MRR of the cases' ranks (ties as their expectation)."""
    if not len(ranks):
        return {"top1": math.nan, "top3": math.nan, "top10": math.nan, "mrr": math.nan}
    return {
        "top1": float(ranks.hits(1).mean()),
        "top3": float(ranks.hits(3).mean()),
        "top10": float(ranks.hits(10).mean()),
        "mrr": float(ranks.reciprocal().mean()),
    }


def expected_calibration_error(probs: torch.Tensor, labels: torch.Tensor, bins: int = 15) -> float:
    """ECE of the top-1 probability of ``[N, C]`` probabilities (equal-width bins;
    :func:`eval.diagnosis.expected_calibration_error`)."""
    conf, pred = probs.max(1)
    correct = pred == labels
    return calibration_error(conf.double().numpy(), correct.numpy(), bins)


def fit_temperature(logits: torch.Tensor, labels: torch.Tensor) -> float:
    """Temperature minimising the validation NLL (Guo et al., 2017), within
    :data:`TEMPERATURE_BOUNDS`; a warning says when a bound holds it (a tiny or fully
    separable validation set: the probabilities are then overconfident)."""
    log_t = torch.zeros(1, requires_grad=True)
    opt = torch.optim.LBFGS([log_t], lr=0.1, max_iter=100)

    def closure() -> torch.Tensor:
        opt.zero_grad()
        loss = F.cross_entropy(logits / log_t.exp(), labels)
        loss.backward()
        return loss

    opt.step(closure)
    low, high = TEMPERATURE_BOUNDS
    fitted = log_t.detach().exp()
    temperature = float(fitted.clamp(low, high))
    if temperature != float(fitted):  # held by a bound
        logger.warning(
            "the calibration temperature fitted on %d validation patients reached its bound "
            "%.3g (fit %.3g): the validation set is too small or too easy to calibrate on "
            "(more simulation.valid_patients), and the model's probabilities are %s",
            len(labels),
            temperature,
            float(fitted),
            "overconfident" if float(fitted) < low else "flattened",
        )
    return temperature


@torch.no_grad()
def evaluate_patients(
    model: KgFusionForDiagnosis,
    data: SimulatedPatients,
    collator: PatientCollator,
    batch_size: int,
    bf16: bool,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Logits and labels of every patient of ``data``."""
    return _logits_and_labels(
        model, len(data), lambda i: data.prepare(i).input, collator, batch_size, bf16
    )


@torch.no_grad()
def _logits_and_labels(
    model: KgFusionForDiagnosis,
    n: int,
    input_of: Callable[[int], PatientInput],
    collator: PatientCollator,
    batch_size: int,
    bf16: bool,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Logits and labels of ``n`` patients (``input_of(i)``: the i-th input), in batches."""
    model.eval()
    device = next(model.parameters()).device
    all_logits, all_labels = [], []
    for lo in range(0, n, batch_size):
        batch = collator([input_of(i) for i in range(lo, min(lo + batch_size, n))])
        all_labels.append(batch.pop("labels"))
        with autocast(bf16, device):
            all_logits.append(model(**to_device(batch, device)).logits.float().cpu())
    return torch.cat(all_logits), torch.cat(all_labels)


def build_model(
    config: DiagnosisConfig,
    builder: PatientInputBuilder,
    node_embeddings: torch.Tensor,
    fact_index: FactIndex | None,
) -> tuple[KgFusionForDiagnosis, Any]:
    """A new fused model (and its tokenizer) with the KG's embeddings as buffers."""
    m = config.model
    untyped = [c for c in builder.candidates if c not in builder.node_rows]
    if untyped:
        from kg.namespaces import compress

        raise ValueError(
            f"{len(untyped)} candidate disease(s) are no node of the KG's graph, which holds "
            f"the typed nodes only: {', '.join(compress(c) for c in untyped[:3])}; give "
            "them an rdf:type (kgv:Disease) in their file, or leave them out of "
            "model.candidates"
        )
    label_rows = torch.tensor([builder.node_rows[c] for c in builder.candidates], dtype=torch.long)
    label_text = None
    if fact_index is not None:
        label_text = torch.from_numpy(np.asarray(fact_index.tables.node_text))[label_rows]
    settings = fused_model_settings(m, node_embeddings, fact_index, builder.kg.fingerprint)
    settings.update(
        num_candidates=len(builder.candidates),
        label_text_dim=int(label_text.shape[1]) if label_text is not None else 0,
        use_prior=m.use_prior,
        loss_shortlist=m.loss_shortlist,
    )
    model, tokenizer = new_fused_model(KgFusionForDiagnosis, m, settings, node_embeddings)
    model.label_nodes.copy_(label_rows)
    if label_text is not None:
        model.label_text.copy_(label_text)
    return model, tokenizer


def prior_config(model: ModelSection) -> LikelihoodConfig:
    """The symbolic prior's settings for a diagnosis model (saved with it)."""
    return LikelihoodConfig(
        excluded_weight=model.prior_excluded_weight,
        breadth_weight=model.prior_breadth_weight,
        neighbours=model.prior_neighbours,
        neighbour_weight=model.prior_neighbour_weight,
        counterpart_weight=model.prior_counterpart_weight,
        counterpart_similarity=model.prior_counterpart_similarity,
    )


def diagnosis_output(config: DiagnosisConfig, home: Path | None = None) -> Path:
    """The model folder a diagnosis run writes: ``output``, else ``<home>/models/diagnosis``."""
    return Path(config.output) if config.output else kgfuse_home(home) / "models" / "diagnosis"


@holding_output_folder(diagnosis_output)
def train_diagnosis(
    config: DiagnosisConfig,
    *,
    home: Path | None = None,
    progress: bool = True,
    resume: bool = True,
    dev_cases: Sequence[Any] | None = None,
    distributed: DistributedContext | None = None,
    on_epoch: Callable[[list[dict[str, float]]], None] | None = None,
) -> DiagnosisTrainResult:
    """Train (or resume) a diagnosis model as ``config`` says; see the module docstring.

    Args:
        config: the typed configuration.
        home: kgfuse home (KG, embeddings and model defaults live there).
        progress: show progress bars.
        resume: continue from the checkpoint in the output folder when there is one.
        dev_cases: real cases (:class:`eval.diagnosis.Case`) scored after each epoch and at
            the end, with their present terms and onset (reported only: never used to select
            or tune anything; see :func:`score_dev_cases`).
        distributed: this process's rank in a DDP run (``train.distributed``); rank 0
            prepares the cached embeddings and index first, validates, checkpoints and
            saves the model; the other ranks return after training, without a model.
        on_epoch: called with the history after each epoch (see :func:`train.loop.fit`).

    Raises:
        train.checkpoint.FolderBusyError: another run is training into the output folder.
    """
    started = start_run(config.train)
    t = config.train
    run = _prepare_run(config, home, progress, distributed)
    processes = world_size(distributed)
    finished = resume and is_main(distributed) and _finished_run(run.out / CHECKPOINT, t.epochs)
    loop = run.train(
        started,
        processes,
        dev_cases,
        resume=resume,
        progress=progress,
        on_epoch=on_epoch,
        distributed=distributed,
    )
    state = loop.state
    where = trained_on(run.model, run.bf16)
    if not is_main(distributed):
        return _result(run.out, state, started, processes, where)
    run.model.cpu()  # calibration, development cases and export run on the CPU
    run.bf16 = use_bf16(t.precision)  # as the CPU computes, whatever the training device
    calibration = run.calibrate(loop.best_payload)
    dev_metrics = run.final_dev_metrics()
    recalibrated = _recalibrated_temperature(run.out, state["best"]) if finished else None
    if recalibrated is None:
        run.save_model(state, calibration.temperature)
    else:  # the same weights, exported before: exporting again would undo the recalibration
        logger.warning(
            "%s: the run had finished and its model was recalibrated since (`kgfuse "
            "calibrate`, temperature %.3f): kept as it is, not exported again (`kgfuse "
            "calibrate --reset` puts back the temperature training fitted, %.3f)",
            run.out,
            recalibrated,
            calibration.temperature,
        )
    result = _result(run.out, state, started, processes, where, calibration, dev_metrics)
    write_result_json(run.out, result)
    return result


def _finished_run(checkpoint: Path, epochs: int) -> bool:
    """Whether ``checkpoint`` holds a run that had finished (resuming it trains nothing); False
    without a readable one (the loop reports a damaged one)."""
    if not checkpoint.is_file():
        return False
    try:
        state = checkpoint_state(checkpoint)
    except Exception:  # noqa: BLE001 - train.loop.fit reads it again and says what is wrong
        return False
    return bool(state.get("done")) or int(state.get("epoch", 0)) >= epochs


def _recalibrated_temperature(out: Path, best: dict[str, Any]) -> float | None:
    """The temperature ``kgfuse calibrate`` wrote into the model exported at ``out`` from the
    run whose best validation metrics are ``best``; None when there is no such model or it
    was not recalibrated."""
    try:
        meta = load_model_meta(out)
    except (OSError, ValueError):
        return None
    record = meta.get("recalibration")
    if meta.get("best_valid") != best or not isinstance(record, dict):
        return None
    temperature = record.get("temperature")
    return float(temperature) if isinstance(temperature, int | float) else None


class _Calibration(NamedTuple):
    """The temperature fitted on the validation patients, and the ECE before and after it."""

    temperature: float
    ece_before: float
    ece_after: float


@dataclass
class _DiagnosisRun:
    """A diagnosis run, prepared: the KG and its resources, the simulated patients as model
    inputs, the model and its collator."""

    config: DiagnosisConfig
    kg: KnowledgeGraph
    out: Path
    fact_index: FactIndex
    builder: PatientInputBuilder
    train_data: SimulatedPatients
    valid_data: SimulatedPatients
    model: KgFusionForDiagnosis
    tokenizer: Any
    collator: PatientCollator
    bf16: bool
    #: the real development cases, prepared when training starts (None: none to score)
    dev: DevCases | None = None

    def train(
        self,
        started: float,
        processes: int,
        dev_cases: Sequence[Any] | None,
        *,
        resume: bool,
        progress: bool,
        on_epoch: Callable[[list[dict[str, float]]], None] | None,
        distributed: DistributedContext | None,
    ) -> LoopResult:
        """Train the model with :func:`train.loop.fit`, checkpointing into the output folder."""
        self.dev = DevCases.prepare(self.builder, self.model, dev_cases) if dev_cases else None
        return fit_into_folder(
            self.model,
            self.config.train,
            self.out,
            num_examples=len(self.train_data),
            processes=processes,
            make_batch=self.batch,
            evaluate=self.validate,
            select="mrr",
            started=started,
            resume=resume,
            progress=progress,
            bf16=self.bf16,
            skip=_SKIP,
            # the simulated patients come from the KG, seeded: the settings and the KG suffice
            fingerprint=run_fingerprint(self.config.resume_fingerprint(), self.kg.fingerprint),
            distributed=distributed,
            on_epoch=on_epoch,
        )

    def batch(self, idx: list[int], epoch: int) -> dict[str, torch.Tensor]:
        """The training batch of the patients ``idx``, their texts rendered anew each epoch."""
        return self.collator([self.train_data.prepare(i, epoch).input for i in idx])

    def validate(self) -> tuple[dict[str, float], tuple[torch.Tensor, torch.Tensor]]:
        """Rank metrics of the validation patients (and of the dev cases, when there are
        some), with the validation logits and labels (for calibration)."""
        logits, labels = evaluate_patients(
            self.model, self.valid_data, self.collator, 64, self.bf16
        )
        metrics = rank_metrics_from_logits(logits, labels)
        if self.dev is not None:
            metrics.update(score_dev_cases(self.model, self.dev, self.collator, self.bf16))
        return metrics, (logits, labels)

    def calibrate(self, best_valid: tuple[torch.Tensor, torch.Tensor] | None) -> _Calibration:
        """Fit the model's calibration temperature on the best epoch's validation logits
        (``best_valid``; None: scored again) and set it in the model's config."""
        if best_valid is None:  # resumed after the best epoch: score the validation set again
            best_valid = evaluate_patients(
                self.model, self.valid_data, self.collator, 64, self.bf16
            )
        logits, labels = best_valid
        probs = torch.softmax(logits, -1)
        ece_before = expected_calibration_error(probs, labels)
        temperature = fit_temperature(logits, labels)
        self.model.config.calibration_temperature = temperature
        ece_after = expected_calibration_error(torch.softmax(logits / temperature, -1), labels)
        return _Calibration(temperature, ece_before, ece_after)

    def final_dev_metrics(self) -> dict[str, float]:
        """The dev cases' metrics of the final model (none without dev cases)."""
        if self.dev is None:
            return {}
        return score_dev_cases(self.model, self.dev, self.collator, self.bf16)

    def save_model(self, state: dict[str, Any], temperature: float) -> None:
        """Write the model folder with its calibration ``temperature`` (:func:`_save_model`)."""
        _save_model(
            self.out,
            self.model,
            self.tokenizer,
            self.fact_index,
            self.kg,
            self.builder,
            self.config,
            state,
            temperature,
        )


def _prepare_run(
    config: DiagnosisConfig,
    home: Path | None,
    progress: bool,
    distributed: DistributedContext | None,
) -> _DiagnosisRun:
    """Open the KG and its resources, simulate the patients, and build the model (seeded,
    on the training device) and its collator."""
    # checked first: a device that is not there fails before any work
    device = distributed.device if distributed else training_device(config.train.device)
    kg_path = kg_location(config.kg) if config.kg else default_kg_path("hpo", home)
    kg = KnowledgeGraph.open(kg_path, home=home)
    out = diagnosis_output(config, home)
    with main_rank_first(distributed):  # one process trains and caches, the others load
        node_embeddings = ensure_embeddings(kg, config, home, progress)
        # every model reads candidate label vectors from the index tables; only
        # cross-attention models retrieve facts per patient
        fact_index = ensure_fact_index(kg, node_embeddings, progress)
    builder = _input_builder(kg, config, fact_index)
    train_patients, valid_patients = _simulate_patients(kg, builder, config)
    # the model's init from the seed alone, whatever ran before (embeddings trained or read)
    torch.manual_seed(config.train.seed)
    model, tokenizer = build_model(config, builder, node_embeddings, fact_index)
    torch.nn.Module.to(model, device)  # (transformers types .to so that mypy misreads it)
    names = PhenotypeNames.from_lexicon(kg.lexicon) if model.config.uses_text else None
    train_data = SimulatedPatients(train_patients, builder, names, config.simulation.seed)
    valid_data = SimulatedPatients(valid_patients, builder, names, config.simulation.seed + 7)
    collator = PatientCollator(
        tokenizer,
        max_length=config.model.max_length,
        num_facts=config.model.num_facts,
        fact_dim=model.config.fact_dim,
    )
    return _DiagnosisRun(
        config=config,
        kg=kg,
        out=out,
        fact_index=fact_index,
        builder=builder,
        train_data=train_data,
        valid_data=valid_data,
        model=model,
        tokenizer=tokenizer,
        collator=collator,
        bf16=use_bf16(config.train.precision, device),
    )


def _input_builder(
    kg: KnowledgeGraph, config: DiagnosisConfig, fact_index: FactIndex
) -> PatientInputBuilder:
    """The model's input builder: the symbolic prior over the candidates, and the fact
    index for the models that retrieve facts (cross-attention)."""
    likelihood = PhenotypeLikelihood.from_graph(
        kg,
        subjects=candidate_subjects(kg, config.model.candidates),
        config=prior_config(config.model),
    )
    return PatientInputBuilder(
        kg,
        likelihood,
        fact_index if config.model.fusion == "cross_attention" else None,
        config.model.num_facts,
    )


def _simulate_patients(
    kg: KnowledgeGraph, builder: PatientInputBuilder, config: DiagnosisConfig
) -> tuple[list[SimulatedPatient], list[SimulatedPatient]]:
    """The simulated training and validation patients of the candidates the simulator
    knows (:func:`_split_patients`)."""
    simulator = PatientSimulator(kg.hierarchy, kg.annotations, config.simulation.simulator_config())
    simulable = set(simulator.diseases)
    diseases = [d for d in builder.candidates if d in simulable]
    return _split_patients(simulator, diseases, config)


def _result(
    out: Path,
    state: dict[str, Any],
    started: float,
    processes: int,
    where: tuple[str, str],
    calibration: _Calibration | None = None,
    dev: dict[str, float] | None = None,
) -> DiagnosisTrainResult:
    """What the run produced and measured (:func:`train.run.run_measures`) and, on rank 0
    (which saves the model; ``calibration`` given), the calibration and final dev metrics."""
    calibrated: dict[str, Any] = {}
    if calibration is not None:
        calibrated = {
            "temperature": calibration.temperature,
            "ece_before": calibration.ece_before,
            "ece_after": calibration.ece_after,
            "dev": dev or {},
        }
    return DiagnosisTrainResult(
        output=out, **run_measures(state, started, processes, where), **calibrated
    )


@dataclass
class DevCases:
    """Real development cases, prepared once to be scored after every epoch.

    Attributes:
        inputs: the model's input of each case whose diagnosis is a candidate (its present
            terms and, when it has one, its onset: as ``kgfuse eval diagnosis`` gives them).
        present: each case's present term IRIs (for the similarity re-ranking).
        similarity: the Resnik ranker over the model's candidates that ``kgfuse diagnose``
            re-ranks its shortlist with.
    """

    inputs: list[PatientInput]
    present: list[list[str]]
    similarity: ResnikRanker

    @classmethod
    def prepare(
        cls, builder: PatientInputBuilder, model: KgFusionForDiagnosis, cases: Sequence[Any]
    ) -> DevCases | None:
        """The cases whose diagnosis is a candidate and that have coded terms; None when
        there is none. Text-only cases (vignettes) are left out with a warning: scored
        without findings they would read as misses (``kgfuse eval diagnosis`` links text)."""
        inputs, present = [], []
        text_only = 0
        for case in cases:
            label = next((d for d in case.diseases if d in builder.candidate_index), None)
            if label is None:
                continue
            if not case.present and getattr(case, "text", None):
                text_only += 1
                continue
            warnings: list[str] = []
            findings = builder.resolve(case.present, False, warnings)
            onset = builder.resolve_onset(getattr(case, "onset", None), warnings)
            text = None if model.config.uses_text else ""
            inputs.append(builder.prepare(findings, text, label, warnings, onset).input)
            present.append([f.iri for f in findings])
        if text_only:
            logger.warning(
                "%d dev cases have text but no coded terms and are not scored during training "
                "(`kgfuse eval diagnosis --cases FILE` diagnoses them from their text)",
                text_only,
            )
        if not inputs:
            return None
        return cls(inputs, present, candidate_similarity(builder.kg, builder.candidates))


@torch.no_grad()
def score_dev_cases(
    model: KgFusionForDiagnosis, dev: DevCases, collator: PatientCollator, bf16: bool
) -> dict[str, float]:
    """Rank metrics on real cases: ``dev_top1`` ... ``dev_mrr`` as ``kgfuse diagnose`` ranks
    them with the default settings (the prior's first :data:`DEFAULT_SHORTLIST` re-ranked by
    the model's score plus :data:`DEFAULT_SIMILARITY_WEIGHT` times the similarity, its first
    :data:`DEFAULT_LEAD` leading, the rest of the prior's top :data:`DEFAULT_POOL` by the
    prior plus the weighted similarity, the others in the prior's order), and
    ``dev_model_top1`` ... by the model's score alone over every candidate; ``dev_cases``:
    how many were scored; ``dev_top1_probability`` and ``dev_ece``: the mean probability the
    model's temperature gives the first disease (made to fall along the ranking,
    :mod:`fusion.ordered_probabilities`), and its calibration error against whether
    that disease is right (``kgfuse calibrate`` refits the temperature on such cases);
    ``dev_disease_top1`` and ``dev_disease_top10``: the first ranking's top-1 and top-10
    averaged per disease first (every disease weighs the same)."""
    scores, truth = _logits_and_labels(
        model, len(dev.inputs), dev.inputs.__getitem__, collator, 64, bf16
    )
    keys = np.empty(tuple(scores.shape), dtype=np.float64)
    order = np.empty(tuple(scores.shape), dtype=np.int64)
    for k, (row, item) in enumerate(zip(scores.numpy(), dev.inputs, strict=True)):
        s = row.astype(np.float64)
        prior = s if item.prior is None else np.asarray(item.prior, dtype=np.float64)
        similarity = add_similarity(
            s,
            prior,
            DEFAULT_SHORTLIST,
            dev.present[k],
            dev.similarity,
            DEFAULT_SIMILARITY_WEIGHT,
            DEFAULT_POOL,
        ).pooled
        fill = fill_values(prior, similarity, DEFAULT_SIMILARITY_WEIGHT)
        keys[k] = tiered_keys(s, prior, fill, DEFAULT_SHORTLIST, DEFAULT_LEAD, DEFAULT_POOL)
        order[k] = tiered(s, prior, fill, DEFAULT_SHORTLIST, DEFAULT_LEAD, DEFAULT_POOL).order
    ranks = true_ranks(keys, truth)
    metrics = {f"dev_{k}": v for k, v in metrics_of_ranks(ranks).items()}
    metrics.update(
        {f"dev_model_{k}": v for k, v in rank_metrics_from_logits(scores, truth).items()}
    )
    # each disease weighs the same, however many of its patients the cases hold (dev cases
    # are cohorts: one large one can carry a difference); ties as their expectation
    groups = truth.numpy().astype(str)
    per_disease = rank_metrics(ranks, groups=groups, macro=True, n_resamples=1)
    metrics["dev_disease_top1"] = per_disease.top1.value
    metrics["dev_disease_top10"] = per_disease.top10.value
    # the ranking's first probability: the softmax made to fall along its order
    confidence = top1_confidence(scores.numpy(), order, float(model.config.calibration_temperature))
    metrics["dev_top1_probability"] = float(confidence.mean())
    metrics["dev_ece"] = calibration_error(confidence, ranks.hits(1))
    metrics["dev_cases"] = float(len(dev.inputs))
    return metrics


def _save_model(
    out: Path,
    model: KgFusionForDiagnosis,
    tokenizer: Any,
    fact_index: FactIndex,
    kg: KnowledgeGraph,
    builder: PatientInputBuilder,
    config: DiagnosisConfig,
    state: dict[str, Any],
    temperature: float,
) -> None:
    """Write the model folder: weights, tokenizer, fact index, metadata, config."""
    meta = model_meta(
        kg,
        builder.candidates,
        config.model_dump(mode="json"),
        config.config_hash(),
        max_length=config.model.max_length,
        best_valid=state["best"],
        calibration_temperature=temperature,
        likelihood=builder.likelihood.config.to_dict(),
    )
    neighbours = builder.likelihood.neighbours
    basis = neighbours_basis(kg.fingerprint, builder.candidates, builder.likelihood.config)
    save_model_folder(
        out,
        model,
        tokenizer,
        meta=meta,
        config_yaml=config.to_yaml(),
        fact_index=fact_index,
        sidecars=None
        if neighbours is None
        else lambda folder: save_neighbours(folder, neighbours, basis),
    )
