"""Differential-diagnosis evaluation of trained models beside the baselines, in one run.

Structured cases (phenopackets, ``ppkt_dev.jsonl`` rows) are ranked from their terms; free-text
cases (``vignettes_dev.jsonl``) are first linked with the KG's linker, and the baselines rank
the linked terms while the models read the text itself.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import asdict, replace
from functools import partial
from pathlib import Path
from typing import Any

from eval.diagnosis import (
    Case,
    EvalReport,
    ProbableRanking,
    Ranker,
    case_counts,
    evaluate_rankers,
    likelihood_ranker,
    resnik_ranker,
)
from eval.rank_journal import JournalFolder
from fusion.pipeline import PHENOTYPIC_ABNORMALITY, Diagnoser, DiagnosisResult, patient_findings
from fusion.shortlist import (
    RankingSettings,
    fill_values,
    tiered_keys,
)
from kg.hierarchy import TermHierarchy
from kg.knowledge_graph import KnowledgeGraph
from kg.rules.likelihood import PhenotypeLikelihood
from kg.rules.resnik import ResnikRanker
from kgfuse.evaluation_workers import EvalWorkerSettings, ModelDescription, ModelWorkers
from kgfuse.model_files import model_files_fingerprint
from kgfuse.resources import default_linker
from kgfuse.source_fingerprint import kgfuse_version, source_sha256
from train.diagnosis import candidate_subjects
from train.phenopacket import read_cases

logger = logging.getLogger(__name__)


def diagnose_case(
    diagnoser: Diagnoser,
    case: Case,
    *,
    onset: bool = True,
    top_k: int = 10,
    keep_logits: bool = False,
    keep_scores: bool = False,
    trace_imputed: bool = True,
    neural: bool = True,
) -> DiagnosisResult:
    """One case diagnosed as ``kgfuse diagnose`` diagnoses its record: from its text when it
    has one, else from its terms; ``onset``: with the case's onset class, or the one its text
    states (:func:`encoders.onset_text.read_onset`)."""
    return diagnoser.diagnose(
        case.id,
        text=case.text,
        present=() if case.text else case.present,
        excluded=() if case.text else case.excluded,
        onset=case.onset if onset else None,
        top_k=top_k,
        onset_from_text=onset,
        keep_logits=keep_logits,
        keep_scores=keep_scores,
        trace_imputed=trace_imputed,
        neural=neural,
    )


#: The seed of ``--sample``'s draw of cases.
SAMPLE_SEED = 0


def drawn_findings(cases: Sequence[Case], count: int, seed: int = SAMPLE_SEED) -> list[Case]:
    """Each structured case described by ``count`` of its present findings, drawn at random
    and kept in the case's order, without its excluded findings: how the rankers do on a
    brief description. The draw is seeded by ``seed`` and the case's id, so a case keeps its
    findings in any run, subset or order. A case with ``count`` present findings or fewer
    keeps them all; a free-text case keeps its text (the model reads the text itself).

    Raises:
        ValueError: ``count`` below 1.
    """
    if count < 1:
        raise ValueError(f"the findings drawn must be at least 1, got {count}")
    import random

    out = []
    for case in cases:
        if case.text:
            out.append(case)
            continue
        present = case.present
        if len(present) > count:
            kept = sorted(random.Random(f"{seed}:{case.id}").sample(range(len(present)), count))
            present = tuple(present[i] for i in kept)
        out.append(replace(case, present=present, excluded=()))
    return out


#: The Resnik baseline's settings, given to it and written in the run's config.
RESNIK_SETTINGS: dict[str, Any] = {
    "combine": "one_sided",
    "ic_weighting": "count",
    "aspects": ("P",),
}


def model_ranker(
    diagnoser: Diagnoser, *, onset: bool = True, probabilities: bool = True, neural: bool = True
) -> Ranker:
    """A ranker over every candidate of a trained model (text when the case has it), in the
    diagnoser's order: the lead of its shortlist re-ranked by the model, the pool by the
    prior plus the similarity, then the prior's order (:mod:`fusion.shortlist`).
    It is run on present + excluded terms too, whatever its prior's excluded weight: the
    excluded findings reach the model in the text rendered from the findings ("Absent:
    ...") and as its linked concepts (a kg_only model pools them all), not only in the prior.
    ``onset``: give the model the case's onset class when it has one, or the one its text
    states (:func:`encoders.onset_text.read_onset`); ``probabilities``: return a
    :class:`eval.diagnosis.ProbableRanking` (the probability of the first disease and of the
    case's diagnoses), which the evaluation keeps, by case position, for calibration;
    ``neural`` False: the same ranking without the fused model, the prior standing for its
    scores (the ablation that shows what the neural part adds)."""
    candidates = diagnoser.builder.candidates
    index = {iri: i for i, iri in enumerate(candidates)}

    def rank(case: Case) -> list[tuple[str, float]]:
        # the first entry only, and every candidate's scores: the keys of the whole order
        # without an entry per candidate (8,359 on HPO: most of an evaluation's time)
        result = diagnose_case(
            diagnoser,
            case,
            onset=onset,
            top_k=1,
            keep_scores=True,
            trace_imputed=False,
            neural=neural,
        )
        found = result.candidate_scores
        assert found is not None  # asked for
        r = diagnoser.ranking
        fill = fill_values(found.prior, found.similarity, r.similarity_weight)
        keys = tiered_keys(found.scores, found.prior, fill, r.shortlist, r.lead, r.pool)
        items = list(zip(candidates, keys.tolist(), strict=True))
        if not probabilities or not result.ranking:
            return items
        truth = sum(float(found.probabilities[index[d]]) for d in set(case.diseases) & index.keys())
        return ProbableRanking(
            items, top1_probability=result.ranking[0].probability, truth_probability=truth
        )

    return rank


def link_text_cases(
    cases: Sequence[Case],
    kg: KnowledgeGraph,
    *,
    measurements: bool = False,
    milestones: bool = False,
) -> list[Case]:
    """Free-text cases with their linked present and excluded terms filled in
    (``measurements``: also the findings growth measurements state; ``milestones``: the
    delays late developmental milestones state); a relative's finding
    and a hedged or hypothetical one are neither (the diagnoser's rule,
    :func:`fusion.pipeline.patient_findings`)."""
    linker = default_linker(kg, measurements=measurements, milestones=milestones)
    out = []
    for case in cases:
        if case.text and not case.present:
            findings, _ = patient_findings(linker, case.text)
            present = tuple(dict.fromkeys(f.iri for f in findings if not f.excluded))
            excluded = tuple(dict.fromkeys(f.iri for f in findings if f.excluded))
            case = replace(case, present=present, excluded=excluded)
        out.append(case)
    return out


def has_present_finding(case: Case, hierarchy: TermHierarchy) -> bool:
    """Whether ``kgfuse diagnose`` would recognise a present finding in the case (it refuses
    a record without one): a linked present finding of its text, or a present term inside
    *Phenotypic abnormality* (the diagnoser skips the terms outside it, as
    :meth:`fusion.pipeline.PatientInputBuilder.resolve` does) when the KG has that term."""
    if case.text:
        return bool(case.present)
    root = hierarchy.resolve(PHENOTYPIC_ABNORMALITY)
    return any(
        root is None or iri == root or root in hierarchy.ancestors(iri)
        for iri in case.present
        if iri in hierarchy
    )


def evaluate_diagnosis(
    kg: KnowledgeGraph,
    cases_path: Path,
    out_dir: Path,
    *,
    models: Sequence[Path] = (),
    candidates: str | None = "OMIM",
    limit: int | None = None,
    sample: int | None = None,
    n_resamples: int = 1000,
    ranking: RankingSettings | None = None,
    precision: str = "auto",
    measurements: bool = False,
    milestones: bool = False,
    progress: bool = True,
    journal: JournalFolder | None = None,
    workers: int = 1,
    home: Path | None = None,
    draw_findings: int | None = None,
) -> EvalReport:
    """Rank the cases with the Resnik and likelihood-ratio baselines and each model (given
    the case's onset class when it has one, and again without it).

    Every case read is ranked and counted (none is skipped: a bad record stops the reading);
    the report gives each case's warnings, and names the cases without a present finding
    recognised (which ``kgfuse diagnose`` refuses) and those without a diagnosis (misses),
    with their counts in its config.

    Args:
        kg: the KG the models were trained on.
        cases_path: a case file (phenopackets or the development formats).
        out_dir: where the JSON, Markdown table and PNG of top-k curves go.
        models: model folders (each fusion mechanism and ablation to compare).
        candidates: CURIE prefix of the baselines' candidates, which also decide the covered
            subset (the models use their own).
        limit: evaluate the first ``limit`` cases only (quick checks).
        sample: evaluate a seeded random sample of this many cases (every cohort has a chance).
        n_resamples: bootstrap resamples of the 95% intervals.
        ranking: how each model's differential is put together
            (:class:`fusion.shortlist.RankingSettings`; default: its defaults).
        precision: the models' inference precision (:func:`fusion.pipeline.resolve_precision`).
        measurements: the linker of free-text cases also reads growth measurements
            (:mod:`encoders.measurements`).
        milestones: the linker of free-text cases also reads late developmental milestones
            (:mod:`encoders.milestones`).
        progress: progress bars.
        journal: the journal folder of ``out_dir`` (:func:`journal_folder`), held already
            by the caller, who took its lock before loading the KG (default: held from the
            start here). Held until the report is saved and this run's journals removed.
        workers: processes ranking the cases with each model
            (:mod:`kgfuse.evaluation_workers`; 1: this process); the ranks are the same.
        home: the kgfuse home (the workers' KG and the prior's cache).
        draw_findings: describe each structured case by this many of its present findings
            and none of its excluded ones (:func:`drawn_findings`; None: as given).

    Raises:
        JournalBusyError: another evaluation holds the journal folder of ``out_dir``.
        ValueError: ``draw_findings`` with no structured case to draw from.
    """
    with ExitStack() as stack:
        if journal is None:  # held from the start: a busy folder fails before any loading
            journal = stack.enter_context(JournalFolder(journal_folder(out_dir)))
        ranking = ranking or RankingSettings()
        # an id newer than the KG's release is read by the name written beside it
        cases = read_cases(Path(cases_path), kg.hierarchy, read_label=default_linker(kg).read_label)
        if limit is not None:
            cases = cases[:limit]
        if sample is not None and sample < len(cases):
            import random

            cases = random.Random(SAMPLE_SEED).sample(cases, sample)
        if draw_findings is not None:
            if all(c.text for c in cases):
                raise ValueError(
                    f"--draw-findings draws from structured cases; every case of {cases_path} "
                    "is a free text, which the model reads whole"
                )
            cases = drawn_findings(cases, draw_findings)
        cases = link_text_cases(cases, kg, measurements=measurements, milestones=milestones)
        no_present = [not has_present_finding(c, kg.hierarchy) for c in cases]
        subjects = candidate_subjects(kg, candidates)
        likelihood = PhenotypeLikelihood.from_kg(kg.hierarchy, kg.annotations, subjects=subjects)
        rankers: dict[str, Ranker] = {
            "Resnik one-sided": resnik_ranker(
                ResnikRanker(kg.hierarchy, kg.annotations, subjects=subjects, **RESNIK_SETTINGS)
            ),
            "LIRICAL-style LR": likelihood_ranker(likelihood),
        }
        config: dict[str, Any] = {
            "cases_path": str(cases_path),
            "num_cases": len(cases),
            "limit": limit,
            "sample": sample,
            "sample_seed": SAMPLE_SEED,
            "draw_findings": draw_findings,
            "candidates": candidates or "all annotated subjects",
            "num_candidates": len(likelihood),
            "resnik": {**RESNIK_SETTINGS, "aspects": list(RESNIK_SETTINGS["aspects"])},
            "likelihood": asdict(likelihood.config),
            "shortlist": ranking.shortlist,
            "similarity_weight": ranking.similarity_weight,
            "shortlist_similarity": ranking.shortlist_similarity,
            "text_partial_credit": ranking.text_partial_credit,
            "lead": ranking.lead,
            "pool": ranking.pool,
            "measurements": measurements,
            "milestones": milestones,
            **case_counts(cases, no_present),
            "models": {},
        }
        if workers > 1:
            config["workers"] = workers
        linker = (
            default_linker(kg, measurements=measurements, milestones=milestones)
            if workers == 1
            else None
        )
        for folder in models:
            if linker is not None:
                diagnoser = Diagnoser.load(
                    Path(folder), kg, linker=linker, ranking=ranking, precision=precision
                )
                described = ModelDescription.of(diagnoser)
                ranker: Callable[..., Ranker] = partial(model_ranker, diagnoser)
            else:
                pool = stack.enter_context(
                    ModelWorkers(
                        EvalWorkerSettings(
                            Path(folder),
                            kg.location,
                            home,
                            ranking,
                            precision,
                            measurements,
                            milestones,
                        ),
                        workers,
                    )
                )  # fmt: skip
                described = pool.describe()
                ranker = pool.ranker
            name = f"kgfuse {described.fusion} ({Path(folder).name})"
            rankers[name] = ranker()
            if any(c.onset for c in cases):  # what the onset adds, in the same run
                rankers[f"{name} without onset"] = ranker(onset=False, probabilities=False)
            if described.use_prior:  # what the neural part adds, in the same run
                rankers[f"{name} without the model (prior + similarity)"] = ranker(
                    probabilities=False, neural=False
                )
            config["models"][name] = {
                "path": str(folder),
                "config_hash": described.config_hash,
                "files_sha256": model_files_fingerprint(Path(folder))["sha256"],
                "precision": described.precision,
            }
        config["kg_fingerprint"] = kg.fingerprint
        config["kgfuse_version"] = kgfuse_version()
        # the journal's key: an editable install's code changes while its version stays
        config["kgfuse_code_sha256"] = source_sha256()
        report = evaluate_rankers(
            cases,
            rankers,
            annotations=kg.annotations,
            n_resamples=n_resamples,
            config=config,
            progress=progress,
            reference="Resnik one-sided",
            candidates=subjects,
            no_present=no_present,
            journal=journal,
            journal_config=_without_paths(config),
        )
        report.save(out_dir)
        # the report holds their ranks now; the lock is still held
        others = journal.remove_own()
        if others:
            logger.warning(
                "%d journal file(s) of other evaluations (other cases, models, settings or "
                "code) are left in %s: the same command as theirs resumes them; delete them "
                "if none will be run again",
                len(others),
                journal.folder,
            )
        return report


def _without_paths(config: dict[str, Any]) -> dict[str, Any]:
    """An evaluation's config without the paths of its cases and models: the journal is
    keyed by what they hold (every case's fields, each model's file hashes), so the same
    files given by another path (relative, absolute, moved) resume."""
    # the workers rank the same: a run stopped with some resumes with others
    keyed = {k: v for k, v in config.items() if k not in ("cases_path", "workers")}
    keyed["models"] = {
        name: {k: v for k, v in model.items() if k != "path"}
        for name, model in config.get("models", {}).items()
    }
    return keyed


def journal_folder(out_dir: Path) -> Path:
    """Where an evaluation writing its report to ``out_dir`` notes each ranked case, so
    that the same command started again after a stop resumes (:mod:`eval.rank_journal`);
    a run's journals are removed once its report is saved (the folder when no other run's
    is left)."""
    return Path(out_dir) / ".journal"
