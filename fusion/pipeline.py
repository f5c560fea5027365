"""From a patient description to a ranked differential diagnosis.

:class:`PatientInputBuilder` turns linked findings (from the linker, or given as terms) into
the model's :class:`~fusion.inputs.PatientInput`: the symbolic prior (summed log10 likelihood
ratios over every candidate disease), the retrieved facts touching the findings, and the
mentions aligned with the text. Training (``train.diagnosis``) and inference
(:class:`Diagnoser`) use the same builder, so a model sees the same kind of input in both.

A model folder holds the transformers checkpoint (``config.json``, ``model.safetensors``),
the tokenizer, ``kgfuse_model.json`` (KG fingerprint, candidate IRIs, training config and
its hash, calibration) and ``facts/`` (the FAISS fact index).
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from encoders.linker import ConceptLinker, read_by_name
from encoders.onset_text import StatedOnset, read_onset
from encoders.procedures import MENTION_SOURCE as TREATMENT_SOURCE
from encoders.text import quiet_transformers
from fusion.blas import limit_blas_threads
from fusion.inputs import ConceptMention, PatientCollator, PatientInput, split_rows
from fusion.model_meta import MODEL_META, load_model_meta
from fusion.ordered_probabilities import along_order
from fusion.precision import check_precision
from fusion.shortlist import (
    CandidateMismatchError,
    RankingSettings,
    Similarities,
    TieredOrder,
    add_similarity,
    candidate_similarity,
    fill_values,
    tiered,
)
from kg.errors import KGMismatchError
from kg.knowledge_graph import KnowledgeGraph
from kg.namespaces import compress, to_iri
from kg.rules.likelihood import (
    LikelihoodConfig,
    MatchKind,
    Neighbours,
    PhenotypeLikelihood,
    ScoreResult,
    check_neighbours,
)
from kg.rules.onset import is_onset_class, not_an_onset_class
from kg.rules.resnik import ResnikRanker

if TYPE_CHECKING:
    from fusion.model import KgFusionForDiagnosis

logger = logging.getLogger(__name__)

FACTS_DIR = "facts"
#: the symbolic prior's nearest diseases (:func:`kg.rules.likelihood.nearest_diseases`), saved
#: with a model whose prior completes the diseases' profiles from them
NEIGHBOURS_FILE = "prior_neighbours.safetensors"


@dataclass(frozen=True)
class LinkedFinding:
    """A finding of the patient: a term, present or excluded, and where the text says it;
    ``read_from`` is ``"treatment"`` where the text gives it by a treatment done only for it
    ("orchidopexy": *Cryptorchidism*; :mod:`encoders.procedures`), else empty."""

    iri: str
    excluded: bool = False
    start: int = -1
    end: int = -1
    text: str = ""
    read_from: str = ""


def render_findings(
    findings: Sequence[LinkedFinding], labels: dict[str, str]
) -> tuple[str, list[LinkedFinding]]:
    """A plain clinical sentence naming structured findings, with the span of each.

    ``"Clinical findings: arachnodactyly; ectopia lentis. Absent: intellectual disability."``
    """
    out: list[LinkedFinding] = []
    text = ""
    for excluded, head in ((False, "Clinical findings: "), (True, "Absent: ")):
        group = [f for f in findings if f.excluded == excluded and labels.get(f.iri)]
        if not group:
            continue
        if text:
            text += " "
        text += head
        for i, f in enumerate(group):
            name = labels[f.iri]
            if not name[:2].isupper():  # keep acronyms such as "ASD" as written
                name = name[0].lower() + name[1:]
            start = len(text)
            text += name
            out.append(LinkedFinding(f.iri, excluded, start, len(text), name))
            text += "; " if i < len(group) - 1 else "."
    return text, out


@dataclass
class PreparedPatient:
    """A model input with what explanations need: the resolved findings and retrieved facts."""

    input: PatientInput
    findings: list[LinkedFinding]
    facts: list[Any] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: the symbolic prior's scores of every finding against every disease, when asked for
    prior: ScoreResult | None = None
    #: the text was rendered from structured findings (:func:`render_findings`), not given
    rendered: bool = False


class KnowledgeInputBuilder:
    """Turns linked findings into what the fused model reads of the KG: mentions and facts.

    Shared by the diagnosis builder below and the task heads (``fusion.tasks``).

    Args:
        kg: the KG (node rows of the graph embeddings come from ``kg.graph``).
        fact_index: the FAISS fact index, or None for models without facts.
        num_facts: facts retrieved per input. (default: ``16``)
    """

    def __init__(
        self, kg: KnowledgeGraph, fact_index: Any | None = None, num_facts: int = 16
    ) -> None:
        self.kg = kg
        self.fact_index = fact_index
        self.num_facts = num_facts
        self.node_rows = kg.graph.index_of()

    def retrieve(self, iris: Sequence[str]) -> tuple[list[Any], np.ndarray | None]:
        """The facts touching ``iris`` (best first) and their vectors; none without an index."""
        if self.fact_index is None or not iris:
            return [], None
        facts = self.fact_index.search(
            entity_iris=list(iris), k=self.num_facts, entity_mode="filter"
        )
        if not facts:
            return [], None
        return facts, self.fact_index.vectors([f.fact.id for f in facts])

    def mentions(self, findings: Sequence[LinkedFinding]) -> list[ConceptMention]:
        """Findings as model mentions (graph node row, status, span); unknown IRIs are left out."""
        return [
            ConceptMention(self.node_rows[f.iri], f.excluded, f.start, f.end)
            for f in findings
            if f.iri in self.node_rows
        ]


#: Said of a term id the KG does not know, given without its name.
UNKNOWN_TERM_HINT = (
    " (of a newer release than this KG's? write its name beside it, as present_labels, to "
    "have it read by its name)"
)

#: HPO's root of patient findings; term ids given as findings must lie below it.
PHENOTYPIC_ABNORMALITY = "HP:0000118"


class PatientInputBuilder(KnowledgeInputBuilder):
    """Builds model inputs from findings, with the symbolic prior and retrieved facts.

    Args:
        kg: the KG (node rows of the graph embeddings come from ``kg.graph``).
        likelihood: the likelihood-ratio model; its diseases are the candidates.
        fact_index: the FAISS fact index, or None for models without facts.
        num_facts: facts retrieved per patient. (default: ``16``)
    """

    def __init__(
        self,
        kg: KnowledgeGraph,
        likelihood: PhenotypeLikelihood,
        fact_index: Any | None = None,
        num_facts: int = 16,
    ) -> None:
        super().__init__(kg, fact_index, num_facts)
        self.likelihood = likelihood
        self.candidates: list[str] = list(likelihood.diseases)
        self.candidate_index = {iri: i for i, iri in enumerate(self.candidates)}

    @cached_property
    def _phenotype_root(self) -> str | None:
        """The IRI of *Phenotypic abnormality* in this KG (None: not an HPO KG)."""
        return self.kg.hierarchy.resolve(PHENOTYPIC_ABNORMALITY)

    def resolve(
        self,
        terms: Sequence[str],
        excluded: bool,
        warnings: list[str],
        names: Mapping[str, str] | None = None,
        read_label: Callable[[str], str | None] | None = None,
    ) -> list[LinkedFinding]:
        """Findings for term ids; unknown or obsolete ids, and in a KG with HPO's
        *Phenotypic abnormality* terms outside it (*Mode of inheritance*, *Onset*, the root),
        are reported in ``warnings`` and skipped. An id the KG does not know whose name
        ``names`` gives (by the id as written) is read by that name with ``read_label``
        (:meth:`encoders.linker.ConceptLinker.read_label`), and reported."""
        hierarchy = self.kg.hierarchy
        phenotypes = self._phenotype_root
        out = []
        seen: dict[str, str] = {}  # IRI -> the id it was first given as
        for written in terms:
            term = written.strip()  # " HP:0001263", "HP:0001263\u00a0": a spreadsheet's cell
            iri = hierarchy.resolve(term)
            name = (names or {}).get(term)
            if iri is None and name and read_label is not None:
                iri = read_label(name)
                if iri is not None and iri in hierarchy:
                    label = self.kg.labels.get(iri, "")
                    warnings.append(read_by_name(term, name, iri, label))
                    term = compress(iri)
                else:
                    iri = None
            if iri is None:
                warnings.append(self._unknown(term, name))
                continue
            outside = phenotypes not in (None, iri) and phenotypes not in hierarchy.ancestors(iri)
            if outside:
                label = self.kg.labels.get(iri, "")
                warnings.append(
                    f"{term} ({label}) is not a phenotypic abnormality "
                    f"({PHENOTYPIC_ABNORMALITY}): skipped"
                )
                continue
            if iri in seen:  # "HP:0001250" and "hp:0001250", an obsolete id and its term
                given = f" is {compress(iri)}, given already as {seen[iri]}"
                warnings.append(
                    f"{term}{' given again' if seen[iri] == term else given}: counted once"
                )
                continue
            seen[iri] = term
            if iri != _written_iri(term):  # not the id as written, nor another spelling of it
                warnings.append(f"{term} replaced by {compress(iri)}")
            out.append(LinkedFinding(iri, excluded))
        return out

    def _unknown(self, term: str, name: str | None) -> str:
        """Why a term id is skipped: a node of the KG that is no term (a disease, a gene), or
        an id this KG does not know (obsolete, or of a newer release: read by the name written
        beside it, when there is one)."""
        written = _written_iri(term)
        label = self.kg.labels.get(written, "") if written else ""
        if label:
            return f"{term.strip()} ({label}) is not a phenotype term of this KG: skipped"
        why = f"; its name {name!r} names no term of this KG" if name else UNKNOWN_TERM_HINT
        return f"unknown or obsolete term {term!r} skipped{why}"

    @cached_property
    def _onset_names(self) -> dict[str, str]:
        """The onset classes by their labels and synonyms (case and spacing folded)."""
        from kg.rules.onset import ONSET_ROOT

        hierarchy = self.kg.hierarchy
        classes = set(hierarchy.descendants(ONSET_ROOT)) if ONSET_ROOT in hierarchy else set()
        return {
            " ".join(e.text.casefold().split()): e.iri for e in self.kg.lexicon if e.iri in classes
        }

    def _onset_named(self, name: str) -> str | None:
        """The onset class whose label or synonym is ``name`` (case and spacing aside)."""
        return self._onset_names.get(" ".join(name.casefold().split()))

    def resolve_onset(self, onset: str | None, warnings: list[str]) -> str | None:
        """The IRI of an onset class id; an unknown id or a term outside the onset classes
        (``HP:0003674``) is reported in ``warnings`` and left out."""
        if onset is None:
            return None
        iri = self.kg.hierarchy.resolve(onset)
        if iri is None and (named := self._onset_named(onset)) is not None:
            iri = named  # "Infantile onset": an onset class given by its name
            warnings.append(f"onset {onset!r} read by its name as {compress(iri)}")
        if iri is None:
            warnings.append(f"unknown or obsolete onset {onset!r} skipped")
        elif not is_onset_class(self.kg.hierarchy, iri):
            warnings.append(f"{not_an_onset_class(onset)}; skipped")
            iri = None
        return iri

    def prepare(
        self,
        findings: Sequence[LinkedFinding],
        text: str | None = None,
        label: str | None = None,
        warnings: list[str] | None = None,
        onset: str | None = None,
        keep_prior: bool = False,
        partial_credit: bool | None = None,
    ) -> PreparedPatient:
        """The model input of one patient.

        Args:
            findings: linked findings (spans refer to ``text`` when it is given).
            text: the clinical text; None renders one from the findings' labels.
            label: IRI of the true disease (training), or None.
            warnings: messages gathered so far (unknown ids ...).
            onset: IRI of the disease's onset class (see :meth:`resolve_onset`): it counts
                in the prior (:meth:`PhenotypeLikelihood.score`), not in the text.
            keep_prior: keep the prior's per-finding scores (for explanations; large).
            partial_credit: overrides the prior's partial credit for findings more specific
                than a disease's annotations (None: the model's setting).
        """
        warnings = list(warnings or [])
        rendered = False
        if text is None:
            text, findings = render_findings(findings, self.kg.labels)
            rendered = True
        present = [f.iri for f in findings if not f.excluded]
        excluded = [f.iri for f in findings if f.excluded]
        score = self.likelihood.score(present, excluded, onset=onset, partial_credit=partial_credit)
        prior = np.asarray(score.total, dtype=np.float32)
        facts, fact_vectors = self.retrieve(present)
        mentions = self.mentions(findings)
        target = self.candidate_index.get(label, -1) if label is not None else -1
        item = PatientInput(text, mentions, fact_vectors, prior, target)
        return PreparedPatient(
            item, list(findings), facts, warnings, score if keep_prior else None, rendered
        )


@dataclass(frozen=True)
class ImputedFinding:
    """A finding that a disease is not annotated with and that the prior credited because
    its counterparts in other sources (``LikelihoodConfig.counterpart_weight``) or the
    diseases most like it (``LikelihoodConfig.neighbours``) are: its log10 likelihood ratio
    for the disease and those entries that have it, with their profile similarity
    (counterparts first, then the nearest diseases, nearest first)."""

    iri: str
    log10_lr: float
    sources: tuple[tuple[str, float], ...]

    def to_record(self) -> dict[str, Any]:
        return {
            "curie": compress(self.iri),
            "iri": self.iri,
            "log10_lr": self.log10_lr,
            "from": [
                {"curie": compress(d), "iri": d, "similarity": round(sim, 4)}
                for d, sim in self.sources
            ],
        }


@dataclass(frozen=True)
class CandidateScores:
    """What a ranking of every candidate is built from, by candidate index
    (:mod:`fusion.shortlist` orders them): for an evaluation that needs the rank of any
    disease without an entry per candidate."""

    #: ``[candidates]`` the model's scores
    scores: np.ndarray
    #: ``[candidates]`` what shortlists and fills: the prior (the scores for a model without one)
    prior: np.ndarray
    #: ``[candidates]`` the ranking's probabilities: the model's calibrated ones made to
    #: fall with the rank (:mod:`fusion.ordered_probabilities`)
    probabilities: np.ndarray
    #: the symmetric Resnik similarity of the candidates it was computed for
    similarity: dict[int, float]
    #: every candidate's index, best first
    order: np.ndarray


@dataclass(frozen=True)
class RankedDisease:
    """One entry of a differential diagnosis: its score (the model's logit, plus the weighted
    :attr:`shortlist_similarity` for a candidate the model re-ranks), its probability (the
    model's calibrated probabilities made to fall with the rank,
    :mod:`fusion.ordered_probabilities`), the
    symbolic prior (summed log10 likelihood ratio) that shortlisted it, and the symmetric
    Resnik similarity of the patient and the disease (None outside the re-ranked candidates
    and the pool that fills the places after the lead, :mod:`fusion.shortlist`), and what
    placed it: ``model`` (its score), ``prior+similarity`` (the pool's order) or ``prior``."""

    iri: str
    curie: str
    label: str
    score: float
    probability: float
    prior: float | None = None
    similarity: float | None = None
    placed_by: str = "model"
    #: findings the prior credited only through the diseases most like this one
    imputed: tuple[ImputedFinding, ...] = ()
    #: for a candidate the model re-ranks, the similarity whose weighted value its score
    #: holds (:attr:`fusion.shortlist.RankingSettings.shortlist_similarity`: by default the
    #: best-match average, :attr:`similarity`, or for a brief description the mean of the two
    #: directions)
    shortlist_similarity: float | None = None


@dataclass
class DiagnosisResult:
    """A ranked differential diagnosis with what it was computed from."""

    id: str
    ranking: list[RankedDisease]
    findings: list[LinkedFinding]
    facts: list[dict[str, Any]]
    warnings: list[str]
    seconds: float
    #: IRI of the onset class the prior weighed (given, or stated in the text), or None
    onset: str | None = None
    #: the text's statement of that onset when it was read from the text
    onset_text: str | None = None
    #: ``[candidates]`` the model's logits (before the temperature), when asked for
    logits: np.ndarray | None = None
    #: every candidate's scores, prior, probability and similarity, when asked for
    candidate_scores: CandidateScores | None = None
    #: the prior's scores of each finding against every disease (not written out), kept
    #: when the imputed findings are traced: the likelihood rule reads them
    prior_scores: ScoreResult | None = None

    def to_record(self) -> dict[str, Any]:
        """The JSONL contract: ``{"id", "ranking": [...], "warnings": [...]}`` plus findings."""
        return {
            "id": self.id,
            "ranking": [
                {
                    "curie": r.curie,
                    "iri": r.iri,
                    "label": r.label,
                    "score": r.score,
                    "probability": r.probability,
                    "prior": r.prior,
                    "similarity": r.similarity,
                    "placed_by": r.placed_by,
                    "imputed": [f.to_record() for f in r.imputed],
                    "shortlist_similarity": r.shortlist_similarity,
                }
                for r in self.ranking
            ],
            "findings": [
                {
                    "curie": compress(f.iri),
                    "iri": f.iri,
                    "excluded": f.excluded,
                    "start": f.start,
                    "end": f.end,
                }
                for f in self.findings
            ],
            "onset": None if self.onset is None else compress(self.onset),
            "onset_text": self.onset_text,
            "warnings": self.warnings,
        }


def save_model_meta(folder: Path, meta: dict[str, Any]) -> None:
    """Write ``kgfuse_model.json`` (atomically)."""
    from encoders.graph_model import atomic_write_text

    atomic_write_text(json.dumps(meta, indent=2, sort_keys=True), folder / MODEL_META)


def likelihood_config_of(meta: dict[str, Any]) -> LikelihoodConfig:
    """The likelihood-ratio settings a diagnosis model was trained with (its prior).

    Models saved before the settings were recorded were trained with partial credit on (the
    default then), so they are read with it and score as they did.
    """
    if "likelihood" in meta:
        return LikelihoodConfig.from_dict(meta["likelihood"])
    return LikelihoodConfig(partial_credit=True)


def neighbours_basis(
    kg_fingerprint: str, candidates: Sequence[str], prior: LikelihoodConfig
) -> str:
    """What the prior's nearest diseases are computed from, as a hash: the KG, the candidate
    list and the settings that shape the profiles (saved with them, checked on load)."""
    shaping_keys = ["unknown_frequency", "propagation", "neighbours"]
    if prior.uses_counterparts:  # the neighbours are found over the profiles they complete
        shaping_keys += ["counterpart_weight", "counterpart_similarity"]
    shaping = {k: prior.to_dict()[k] for k in shaping_keys}
    basis = {"kg": kg_fingerprint, "candidates": list(candidates), "prior": shaping}
    return hashlib.sha256(json.dumps(basis, sort_keys=True).encode("utf-8")).hexdigest()


def save_neighbours(folder: Path, neighbours: Neighbours, basis: str) -> None:
    """Write the prior's nearest diseases into a model folder (safetensors, no pickle), with
    the :func:`neighbours_basis` they were computed from."""
    from safetensors.numpy import save_file

    save_file(
        {
            "index": np.ascontiguousarray(neighbours.index, dtype=np.int64),
            "similarity": np.ascontiguousarray(neighbours.similarity, dtype=np.float64),
        },
        str(Path(folder) / NEIGHBOURS_FILE),
        metadata={"basis": basis},
    )


def load_neighbours(folder: Path, num_diseases: int, k: int, basis: str) -> Neighbours | None:
    """The prior's nearest diseases saved with a model, or None when the folder has none or
    they cannot be used (damaged, of another dtype or shape, or computed from another KG,
    candidate list or prior: logged, and the caller computes them again)."""
    from safetensors import SafetensorError, safe_open

    path = Path(folder) / NEIGHBOURS_FILE
    if not path.is_file():
        return None
    try:
        with safe_open(str(path), framework="np") as fh:
            saved = (fh.metadata() or {}).get("basis")
            if saved != basis:
                raise ValueError("computed from another KG, candidate list or prior")
            neighbours = Neighbours(fh.get_tensor("index"), fh.get_tensor("similarity"))
        check_neighbours(neighbours, num_diseases, k)
    except (SafetensorError, OSError, KeyError, TypeError, ValueError) as exc:
        logger.warning("%s cannot be used (%s); computing the nearest diseases again", path, exc)
        return None
    return neighbours


def load_tokenizer(folder: Path) -> Any:
    """The tokenizer saved in a model folder, its damage named with the folder."""
    from transformers import AutoTokenizer

    try:
        return AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
    except (OSError, ValueError) as exc:  # a missing or damaged tokenizer file
        raise ValueError(
            f"the tokenizer in {folder} cannot be read ({exc}); copy the model folder again "
            "or train the model again"
        ) from None


def load_model_facts(folder: Path, model: Any, meta: dict[str, Any], kg: KnowledgeGraph) -> Any:
    """The fact index a model was saved with (None for a model without facts).

    Raises:
        FileNotFoundError: the model reads facts and its ``facts/`` is missing (it would
            predict without them, silently).
        ValueError: the index's vectors are not the width the model reads.
    """
    from fusion.retrieval import FactIndex

    if not model.config.uses_facts:
        return None
    facts = Path(folder) / FACTS_DIR
    if not facts.is_dir():
        if "facts" not in meta.get("saved_items", []):
            return None  # saved without an index (or before the items saved were listed)
        raise FileNotFoundError(
            f"{facts} is missing: the model reads retrieved facts and was saved with them; "
            "copy the whole model folder again, or train the model again"
        )
    # searched only, never grown: mapped, so processes loading one model share its vectors
    fact_index = FactIndex.load(facts, kg, search_only=True)
    width = int(fact_index.dim)
    if width != int(model.config.fact_dim):
        raise ValueError(
            f"the fact index in {facts} holds {width}-dimensional facts and the model reads "
            f"{model.config.fact_dim}: it is another model's index; copy the model folder "
            "again, or train the model again"
        )
    return fact_index


#: The one weights file a kgfuse model folder holds (never a pickled ``.bin``).
WEIGHTS = "model.safetensors"


def _shown_key(key: Any) -> str:
    """A tensor's name; a mismatched one (transformers' ``(name, saved shape, model shape)``)
    with its two shapes."""
    if isinstance(key, str):
        return key
    if len(key) != 3:
        return str(key[0])
    saved, expected = ([int(n) for n in shape] for shape in key[1:])
    return f"{key[0]}: saved {saved}, the model's {expected}"


def _shown_keys(keys: Any, most: int = 5) -> str:
    names = sorted(_shown_key(k) for k in keys)
    return ", ".join(names[:most]) + (f" and {len(names) - most} more" if len(names) > most else "")


def load_pretrained(model_class: Any, folder: Path) -> Any:
    """``model_class.from_pretrained(folder)`` from safetensors only: a pickled
    ``pytorch_model.bin`` beside or instead of it is never read (unpickling runs code).

    The model loads in fp32 whatever ``config.json``'s ``dtype`` says: the inference
    precision is the caller's choice (:func:`apply_precision`), not the folder's. Every
    weight must be there, with its shape, and nothing else: a checkpoint that lacks a
    tensor (damaged, or saved by a kgfuse without a parameter added since) would otherwise
    score with made-up values.

    Raises:
        FileNotFoundError: the folder has no :data:`WEIGHTS`.
        ValueError: the weights or the config are damaged (truncated, not safetensors), or
            the weights lack tensors of the model, hold tensors it does not have, or hold
            them in other shapes (naming them).
    """
    from safetensors import SafetensorError

    folder = Path(folder)
    if not (folder / WEIGHTS).is_file():
        raise FileNotFoundError(f"{folder} has no {WEIGHTS}: train the model again")
    try:
        with quiet_transformers():
            model, info = model_class.from_pretrained(
                str(folder),
                use_safetensors=True,
                local_files_only=True,
                dtype=torch.float32,
                output_loading_info=True,
                # a tensor of another shape is listed in the loading info (and refused
                # below, naming it), not an error that names no tensor
                ignore_mismatched_sizes=True,
            )
    except (OSError, ValueError, RuntimeError, SafetensorError) as exc:
        reason = " ".join(str(exc).split())[:200]
        raise ValueError(f"cannot load the model at {folder} (damaged files?): {reason}") from None
    problems = [
        f"{len(keys)} {kind} ({_shown_keys(keys)})"
        for kind, keys in (
            ("missing", info.get("missing_keys") or ()),
            ("unexpected", info.get("unexpected_keys") or ()),
            ("of another shape", info.get("mismatched_keys") or ()),
        )
        if keys
    ]
    if problems:
        raise ValueError(
            f"the weights in {folder / WEIGHTS} do not fit the model: tensors "
            + "; ".join(problems)
            + " (a damaged file, or a model saved by another kgfuse version): train the "
            "model again"
        )
    not_finite = [name for name, tensor in model.state_dict().items() if not _all_finite(tensor)]
    if not_finite:  # a run that diverged never saves (its loop stops); so a damaged file
        raise ValueError(
            f"the weights in {folder / WEIGHTS} are damaged: {len(not_finite)} tensors hold "
            f"numbers that are not finite ({_shown_keys(not_finite)}); copy the model "
            "folder again or train the model again"
        )
    return model


def resolve_precision(precision: str) -> str:
    """``fp32``, ``bf16`` or ``int8`` for a requested inference precision.

    ``auto`` is ``bf16`` on CPUs with AMX tiles, where oneDNN runs bf16 matrix products in
    hardware: with the encoder's weights cast once to bf16, one patient's forward pass takes
    0.65-0.8x the fp32 time on 2 cores (the latency section of ``docs/benchmarks`` times
    both). Elsewhere ``auto`` is ``int8`` (the encoder's linear layers dynamically quantized,
    :func:`encoders.text.quantize_linear_int8`) where torch can, else ``fp32``. The published
    figures were measured with this choice, and it is kept; what it trades:

    - bf16 is not emulated wherever AMX is missing: a CPU with ``avx512_bf16`` and no AMX
      (an AMD EPYC, 2026-12) runs it natively, and there bf16 takes 0.72x the fp32 time of
      a single-patient forward of the quickstart model on 1 and 2 threads, with logits
      within 0.0035 of fp32 and no ranking changed on 256 simulated patients. ``auto``
      still picks int8 on such a CPU.
    - int8 is the fastest (0.55-0.61x fp32 on that CPU) but the least exact: on those 256
      patients its logits were up to 0.06 from fp32 (median 0.028), the model's first
      disease changed for 1 of them, and the final differential's top-10 order for 3
      (two neighbours swapped whose scores differ by less than that; no top-1 and no
      top-10 set changed). On the 1,092 covered dev phenopackets (measured earlier) its
      logits were within 0.03 of fp32 and every rank the same.
    - int8 scores also depend on the batch: each activation is quantized with one scale
      for the whole input tensor, so a patient's logits move (up to 0.04 on those patients)
      with the other patients and the padding of its batch. :class:`Diagnoser` runs one
      patient per forward; a batched int8 caller must run its rows one at a time
      (:func:`batch_logits`).

    Pass ``bf16`` on a CPU with avx512_bf16 for rankings as fp32's at about 0.7x its time,
    ``fp32`` for exact ones. (Autocast, which casts the weights at every call, was slower
    than fp32 for one patient.)

    Raises:
        ValueError: not one of :data:`fusion.precision.PRECISIONS`, or ``int8`` on a torch build
            without it.
    """
    from encoders.text import bf16_is_fast, int8_is_available

    if check_precision(precision) == "auto":
        if bf16_is_fast(torch.device("cpu")):
            return "bf16"
        return "int8" if int8_is_available() else "fp32"
    if precision == "int8" and not int8_is_available():
        raise ValueError("precision int8 needs a torch build with int8 quantization (x86/fbgemm)")
    return precision


def apply_precision(encoder: torch.nn.Module, precision: str) -> str:
    """Put a fused model's encoder part (``model.kgfusion``) in the inference ``precision``
    (:func:`resolve_precision`): bf16 weights, or int8 linear layers. The graph embeddings
    (the ``node_embeddings`` buffer, which the diagnosis head reads for its candidates) and
    the heads stay fp32; the layers that read graph embeddings cast them to their own dtype.
    Returns the resolved precision."""
    resolved = resolve_precision(precision)
    if resolved == "bf16":
        kept = {
            name: buffer
            for name, buffer in encoder.named_buffers()
            if name.rsplit(".", 1)[-1] == "node_embeddings"
        }
        encoder.to(torch.bfloat16)
        for name, buffer in kept.items():
            owner_name, _, attr = name.rpartition(".")
            owner = encoder.get_submodule(owner_name) if owner_name else encoder
            setattr(owner, attr, buffer)
    elif resolved == "int8":
        from encoders.text import quantize_linear_int8

        quantize_linear_int8(encoder)
    return resolved


def cast_inputs(batch: dict[str, Any], precision: str) -> dict[str, Any]:
    """``batch`` with the encoder's float inputs in bf16 when ``precision`` is bf16 (the
    prior stays fp32); unchanged otherwise (int8 layers take fp32 inputs)."""
    if precision == "bf16":
        for key, value in batch.items():
            if key != "prior" and torch.is_tensor(value) and value.is_floating_point():
                batch[key] = value.to(torch.bfloat16)
    return batch


def batch_logits(model: Any, batch: dict[str, Any], precision: str, **kwargs: Any) -> torch.Tensor:
    """The float logits of a batch made by :class:`fusion.inputs.PatientCollator` (or one
    built on it): one forward of the whole batch, except in ``int8``, whose scores depend
    on the batch (:func:`resolve_precision`): there each row runs alone, as the collator
    would make it for that input alone (:func:`fusion.inputs.split_rows`), so it gets the
    logits it gets alone. Token-level logits ``(B, T, ...)`` are put back at the tokens they
    belong to (zeros at the padding). ``kwargs`` go to every forward (``candidates=``)."""
    if precision != "int8":
        return model(**batch, **kwargs).logits.float()
    rows = split_rows(batch)
    if len(rows) == 1:
        return model(**batch, **kwargs).logits.float()
    mask = batch.get("attention_mask")
    out = []
    for r, row in enumerate(rows):
        logits = model(**row, **kwargs).logits.float()
        if logits.dim() >= 3 and mask is not None:  # one vector per token: pad back
            full = logits.new_zeros((1, mask.shape[1], *logits.shape[2:]))
            full[:, mask[r].bool()] = logits
            logits = full
        out.append(logits)
    return torch.cat(out)


def patient_findings(linker: Any, text: str) -> tuple[list[LinkedFinding], list[str]]:
    """The patient's findings in ``text``, present or ruled out, and a warning naming the
    hedged ones left out: a relative's finding ("her mother has seizures") and a hedged or
    hypothetical one ("possible ptosis") are neither present nor ruled out. The one rule
    for diagnosis and the task models, so both read a text alike."""
    out = []
    hedged: dict[str, None] = {}
    for m in linker.link(text):
        if getattr(m, "family", False):
            continue
        if getattr(m, "uncertain", False):
            hedged[f"'{m.text}' ({m.curie})"] = None
            continue
        read_from = "treatment" if getattr(m, "source", "") == TREATMENT_SOURCE else ""
        out.append(LinkedFinding(m.iri, bool(m.excluded), m.start, m.end, m.text, read_from))
    warnings = []
    if hedged:
        warnings.append(
            "hedged or hypothetical, not used as present or excluded: " + ", ".join(hedged)
        )
    return out, warnings


def check_model_kg(model: Any, kg: KnowledgeGraph, folder: Path) -> None:
    """Check that loaded weights belong to ``kg``: their own KG fingerprint
    (``config.json``'s ``kg_fingerprint``) must be the KG's, as ``kgfuse_model.json``'s is
    (checked by the loaders before the weights load), so a folder whose weights and sidecar
    come from different trainings is refused.

    Raises:
        KGMismatchError: the weights' fingerprint is not the KG's (or they record none).
    """
    weights = str(getattr(model.config, "kg_fingerprint", "") or "")
    if weights != kg.fingerprint:
        raise KGMismatchError(
            f"the weights at {folder / WEIGHTS} (their config.json's kg_fingerprint"
            + (", which is empty" if not weights else "")
            + f", while {MODEL_META} names the loaded KG: the two come from different "
            "trainings)",
            weights or "(none)",
            kg.fingerprint,
        )


def _all_finite(tensor: torch.Tensor) -> bool:
    """Whether every value of ``tensor`` is finite: its sum first (one pass, no mask: any inf
    or NaN makes the sum inf or NaN), the values one by one only when the sum is not (~0.15 s
    to ~0.01 s for the quickstart model's load)."""
    return bool(torch.isfinite(tensor.sum())) or bool(torch.isfinite(tensor).all())


def _check_arguments(text: object, present: object, excluded: object, top_k: object) -> None:
    """Refuse, with a message naming the argument, what :meth:`Diagnoser.diagnose` would
    otherwise misread."""
    if text is not None and not isinstance(text, str):
        raise TypeError(f"text is a string or None, not {type(text).__name__}")
    for name, ids in (("present", present), ("excluded", excluded)):
        if isinstance(ids, str | bytes) or not isinstance(ids, Sequence):
            shown = f"{ids!r}"[:60]
            raise TypeError(
                f"{name} is a sequence of term ids such as ['HP:0001166'], not "
                f"{type(ids).__name__} {shown}"
            )
        wrong = next((i for i in ids if not isinstance(i, str)), None)
        if wrong is not None:
            raise TypeError(f"{name} holds {type(wrong).__name__} {wrong!r}: term ids are strings")
    if isinstance(top_k, bool) or not isinstance(top_k, int):
        raise TypeError(f"top_k is an int, not {type(top_k).__name__}")
    if top_k < 1:
        raise ValueError(f"top_k is 1 or more, not {top_k}")


#: How the notes of :meth:`Diagnoser._window_note` begin: a text's, and a rendering's.
_WINDOW_NOTES = ("the text is ", "the model's text window (")


class Diagnoser:
    """A trained diagnosis model ready to rank diseases for patients.

    Use :meth:`load`; then :meth:`diagnose` for one patient (text and/or terms). Each
    patient runs in a forward of its own (checked): in ``int8`` a patient's scores would
    otherwise depend on the others of its batch (:func:`resolve_precision`).
    """

    def __init__(
        self,
        model: KgFusionForDiagnosis,
        tokenizer: Any,
        builder: PatientInputBuilder,
        meta: dict[str, Any],
        linker: ConceptLinker | None = None,
        *,
        ranking: RankingSettings | None = None,
        precision: str = "auto",
    ) -> None:
        self.model = model.eval()
        #: how the differential is put together (:class:`fusion.shortlist.RankingSettings`),
        #: a lead longer than the shortlist cut to it when a pool follows
        self.ranking = (ranking or RankingSettings()).for_candidates(len(builder.candidates))
        self.similarity: ResnikRanker | None = None
        if self.ranking.similarity_weight > 0.0:
            self.similarity = candidate_similarity(builder.kg, builder.candidates)
        self.tokenizer = tokenizer
        self.builder = builder
        self.meta = meta
        self.linker = linker
        cfg = model.config
        self.collator = PatientCollator(
            tokenizer,
            max_length=int(meta.get("max_length", 128)),
            num_facts=cfg.num_facts,
            fact_dim=cfg.fact_dim,
        )
        with torch.no_grad():
            self._candidates = model.candidate_matrix()  # fp32, like the head and the prior
        limit_blas_threads()
        #: ``fp32``, ``bf16`` or ``int8``: the encoder's weights (:func:`resolve_precision`).
        #: The head, the candidate matrix and the prior stay fp32.
        self.precision = apply_precision(self.model.kgfusion, precision)

    @property
    def kg(self) -> KnowledgeGraph:
        return self.builder.kg

    @property
    def ranking_settings(self) -> dict[str, Any]:
        """What a ranking depends on besides the model and the input (audit records keep
        it, and a replay passes it back)."""
        r = self.ranking
        return {
            "shortlist": r.shortlist,
            "precision": self.precision,
            "similarity_weight": r.similarity_weight,
            "lead": r.lead,
            "pool": r.pool,
            "ordered_probabilities": r.ordered_probabilities,
            "shortlist_similarity": r.shortlist_similarity,
            "text_partial_credit": r.text_partial_credit,
        }

    @classmethod
    def load(
        cls,
        folder: Path,
        kg: KnowledgeGraph,
        *,
        linker: ConceptLinker | None = None,
        ranking: RankingSettings | None = None,
        precision: str = "auto",
        prior_cache: Path | None = None,
    ) -> Diagnoser:
        """Load a model folder against the KG it was trained on; ``ranking``: how the
        differential is put together (default: :class:`fusion.shortlist.RankingSettings`'s
        defaults; with a pool, a lead longer than the shortlist stops at its end: the model
        places only what it re-ranks); ``precision``: ``auto``, ``fp32``, ``bf16`` or
        ``int8`` (:func:`resolve_precision`); ``prior_cache``: a folder where the prior's
        completed profiles are kept between processes (:mod:`kg.rules.completion_cache`;
        default: computed each time).

        Raises:
            KGMismatchError: the model was trained on another KG (by ``kgfuse_model.json``
                or by the weights' own ``config.json``), or its candidates are not the
                diseases this KG annotates (:class:`CandidateMismatchError`).
            ValueError: the weights do not fit the model (:func:`load_pretrained`), or
                score other graph nodes than ``kgfuse_model.json``'s candidates.
        """

        from fusion.model import KgFusionForDiagnosis, register_auto_classes

        register_auto_classes()  # so the tokenizer loader reads the folder's config type
        folder = Path(folder)
        meta = load_model_meta(folder)
        if meta.get("task") is not None:
            raise ValueError(
                f"{folder} holds a {meta['task']} model, not a diagnosis model: use "
                "`kgfuse predict` for it"
            )
        if not isinstance(meta.get("candidates"), list):
            raise ValueError(f"{folder / MODEL_META} is damaged (no candidate list); train again")
        if meta["kg_fingerprint"] != kg.fingerprint:
            raise KGMismatchError(f"the model at {folder}", meta["kg_fingerprint"], kg.fingerprint)
        model = load_pretrained(KgFusionForDiagnosis, folder)
        check_model_kg(model, kg, folder)
        tokenizer = load_tokenizer(folder) if model.config.uses_text else None
        fact_index = load_model_facts(folder, model, meta, kg)
        prior = likelihood_config_of(meta)
        neighbours = None
        if prior.imputes:
            basis = neighbours_basis(kg.fingerprint, meta["candidates"], prior)
            neighbours = load_neighbours(folder, len(meta["candidates"]), prior.neighbours, basis)
        likelihood = PhenotypeLikelihood.from_graph(
            kg,
            subjects=meta["candidates"],
            config=prior,
            neighbours=neighbours,
            completion_cache=prior_cache,
        )
        if list(likelihood.diseases) != meta["candidates"]:
            raise CandidateMismatchError(
                f"the candidate list of {folder}", meta["candidates"], list(likelihood.diseases)
            )
        builder = PatientInputBuilder(kg, likelihood, fact_index, model.config.num_facts)
        rows = [builder.node_rows.get(c, -1) for c in builder.candidates]
        if model.label_nodes.tolist() != rows:
            raise ValueError(
                f"the weights at {folder / WEIGHTS} score other graph nodes than the "
                f"candidates {MODEL_META} lists (label_nodes): its weights and "
                f"{MODEL_META} come from different trainings; train the model again"
            )
        return cls(
            model,
            tokenizer,
            builder,
            meta,
            linker,
            ranking=ranking,
            precision=precision,
        )

    def link(self, text: str) -> list[LinkedFinding]:
        """The patient's findings in ``text``: present or ruled out. A relative's finding is
        left out, and so is a hedged or hypothetical one ("possible ptosis", "at risk of
        scoliosis", "to rule out seizures"): it is neither present nor ruled out."""
        return self._link(text)[0]

    def _link(self, text: str) -> tuple[list[LinkedFinding], list[str]]:
        """:meth:`link`, and the warnings that name the hedged findings left out."""
        if self.linker is None:
            raise ValueError("this diagnoser has no linker: pass terms, or load it with linker=")
        return patient_findings(self.linker, text)

    def _imputed(
        self, prior: ScoreResult | None, diseases: Sequence[int]
    ) -> dict[int, tuple[ImputedFinding, ...]]:
        """The findings the prior credited to each of ``diseases`` only through its nearest
        diseases (those with none are left out)."""
        likelihood = self.builder.likelihood
        if prior is None or likelihood.neighbours is None:
            return {}
        rows = np.asarray(diseases, dtype=np.int64)
        imputed = prior.match[rows] == MatchKind.IMPUTED  # [diseases, findings]
        out: dict[int, tuple[ImputedFinding, ...]] = {}
        sources: dict[int, list[list[tuple[str, float]]]] = {}
        for r, j in zip(*np.nonzero(imputed), strict=True):
            if j not in sources:  # per finding, once: which neighbours of each disease have it
                sources[j] = likelihood.imputed_from(prior.findings[j], rows)
            d = int(rows[r])
            found = ImputedFinding(
                prior.findings[j], float(prior.contributions[d, j]), tuple(sources[j][r])
            )
            out[d] = (*out.get(d, ()), found)
        return out

    def _add_similarity(
        self, present: Sequence[str], scores: np.ndarray, ranked_by: np.ndarray
    ) -> Similarities:
        """:func:`fusion.shortlist.add_similarity` with this diagnoser's settings."""
        if self.similarity is None:
            return Similarities({}, {})
        r = self.ranking
        return add_similarity(
            scores,
            ranked_by,
            r.shortlist,
            present,
            self.similarity,
            r.similarity_weight,
            r.pool,
            r.shortlist_similarity,
        )

    def _model_scores(
        self, prepared: PreparedPatient
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[float] | None]:
        """The fused model's scores, calibrated probabilities, logits and fact attention
        for one prepared patient (one per forward: int8 scores depend on the batch)."""
        batch = cast_inputs(self.collator([prepared.input]), self.precision)
        # a text only counts again when its encoding filled the window (it may go on)
        if (
            "attention_mask" in batch
            and int(batch["attention_mask"].sum()) >= self.collator.max_length
        ):
            read, total = self.collator.read_tokens(prepared.input.text)
            if read < total:
                prepared.warnings.append(self._window_note(prepared, batch, read, total))
        # threads may diagnose at once: each forward's fusion state is its thread's own
        out = self.model(**batch, candidates=self._candidates)
        logits = out.logits[0].float()
        # the model's own calibrated probabilities: the similarity orders, it does not
        # sharpen them (on real cases it would make them more overconfident); the ranking
        # then makes them fall with the rank (:mod:`fusion.ordered_probabilities`)
        probs = self.model.probabilities(logits).numpy()
        attention = out.fact_attention[0].tolist() if out.fact_attention is not None else None
        return logits.numpy().astype(np.float64), probs, logits.numpy(), attention

    @staticmethod
    def is_window_note(warning: str) -> bool:
        """Whether ``warning`` is the note of what the model's text window left out
        (:meth:`_window_note`): it says how much was read, not what was found."""
        return warning.startswith(_WINDOW_NOTES)

    def _window_note(
        self, prepared: PreparedPatient, batch: dict[str, Any], read: int, total: int
    ) -> str:
        """What the model's text window left out: of a given text, its tokens; of a text
        rendered from structured findings, the findings (the user wrote no text). Where the
        findings past the window still count depends on the prior: its excluded weight
        (0: excluded findings count only in the text the model reads), and on the model:
        the retrieved facts where it has a fact index."""
        excluded_count = self.builder.likelihood.config.excluded_weight > 0
        facts = self.builder.fact_index is not None
        counted = "the prior and the retrieved facts" if facts else "the prior"
        if not prepared.rendered:
            return (
                f"the text is {total} tokens long and the model read the first {read} "
                "(its max_length): "
                + (
                    f"the findings after that count in {counted}"
                    if excluded_count
                    else f"the present findings after that count in {counted}, the excluded "
                    "ones nowhere (this model's prior leaves excluded findings out)"
                )
                + ", not in the text the model reads"
            )
        held = int((batch["entity_tokens"][0].sum(-1) > 0).sum())  # the tokens read of each
        return (
            f"the model's text window ({read} tokens) held {held} of the "
            f"{len(prepared.findings)} findings given (present ones first): "
            + (
                "every finding counts in the prior"
                + (", and every present one in the retrieved facts" if facts else "")
                if excluded_count
                else f"every present one counts in {counted}, an excluded one only where the "
                "window holds it (this model's prior leaves excluded findings out)"
            )
        )

    @torch.no_grad()
    def diagnose(
        self,
        id: str = "",
        *,
        text: str | None = None,
        present: Sequence[str] = (),
        excluded: Sequence[str] = (),
        onset: str | None = None,
        top_k: int = 10,
        onset_from_text: bool = True,
        keep_logits: bool = False,
        keep_scores: bool = False,
        trace_imputed: bool = True,
        names: Mapping[str, str] | None = None,
        neural: bool = True,
    ) -> DiagnosisResult:
        """Rank the candidate diseases for one patient: the model re-ranks the prior's top
        :attr:`shortlist` candidates and its first :attr:`lead` lead; the rest of the prior's
        top :attr:`pool` follow by the prior plus the weighted similarity, then the others
        in the prior's order (each entry keeps the model's score; :mod:`fusion.shortlist`).
        The probabilities are the model's calibrated ones made to fall with the rank
        (:mod:`fusion.ordered_probabilities`).

        Args:
            id: the record id.
            text: clinical text (linked with the linker), or None.
            present, excluded: term ids (CURIEs or IRIs) given directly.
            onset: the onset class of the disease (e.g. ``HP:0003593``, Infantile onset),
                weighed by the prior against the diseases' onset annotations.
            top_k: entries of the ranking.
            onset_from_text: without ``onset``, use the onset the text states ("presented
                as an infant with", :func:`encoders.onset_text.read_onset`).
            keep_logits: also return the model's logits over every candidate (to
                recalibrate its temperature, :mod:`train.calibration`).
            keep_scores: also return every candidate's scores, prior, probability,
                similarity and place (:class:`CandidateScores`): the ranking of every candidate
                without ``top_k`` entries (an evaluation ranks every candidate per case).
            trace_imputed: name, for each entry, the findings the prior credited through
                the diseases most like it (:attr:`RankedDisease.imputed`); an evaluation
                that ranks every candidate and reads only the order leaves it off.
            names: the names written beside ``present`` and ``excluded`` ids, by id as
                written: an id the KG does not know (a newer ontology release) is read by its
                name with the linker (:meth:`encoders.linker.ConceptLinker.read_label`).
            neural: False ranks without the fused model, for an ablation: the prior stands
                for its scores (the similarity still re-ranks the shortlist and fills the
                tier after the lead) and the probabilities are the prior's posterior under a
                uniform pre-test probability (LIRICAL's post-test probability), made to
                fall with the rank as the model's are.

        Raises:
            TypeError: ``text`` not a string, ``present`` or ``excluded`` not a sequence of
                strings (one string would be read letter by letter), ``top_k`` not an int.
            ValueError: ``top_k`` below 1; ``neural`` False for a model without a prior.
        """
        started = time.perf_counter()
        _check_arguments(text, present, excluded, top_k)
        if not neural and not self.model.config.use_prior:
            raise ValueError("a ranking without the model needs its prior; this model has none")
        warnings: list[str] = []
        onset, stated = self._onset(onset, text if onset_from_text else None, warnings)
        written = text is not None
        findings, text = self._findings(text, present, excluded, names, warnings)
        prepared = self.builder.prepare(
            findings,
            text,
            None,
            warnings,
            onset,
            keep_prior=trace_imputed,
            # a text's findings credited where a disease has a broader term (ranking
            # version 5, off by default): a writer names them more precisely than the
            # annotations do
            partial_credit=True if written and self.ranking.text_partial_credit else None,
        )
        prior = prepared.input.prior
        logits: np.ndarray | None = None
        attention: list[float] | None = None
        if neural:
            scores, probs, logits, attention = self._model_scores(prepared)
            ranked_by = scores if prior is None else prior
        else:  # the ablation: the prior stands for the model's scores and probabilities
            ranked_by = np.asarray(prior, dtype=np.float64)
            scores, probs = ranked_by.copy(), _posterior(ranked_by)
        present_iris = [f.iri for f in prepared.findings if not f.excluded]
        similarities = self._add_similarity(present_iris, scores, ranked_by)
        similarity = similarities.pooled
        r = self.ranking
        fill = fill_values(ranked_by, similarity, r.similarity_weight)
        every = tiered(scores, ranked_by, fill, r.shortlist, r.lead, r.pool)
        if r.ordered_probabilities:  # they fall with the rank
            probs = along_order(probs, every.order)
        placed = TieredOrder(every.order[: max(top_k, 0)], every.spans)
        imputed = self._imputed(prepared.prior, placed.order.tolist())
        lead_by = "model" if neural else "prior+similarity"  # what placed the lead
        ranking = [
            RankedDisease(
                self.builder.candidates[i],
                compress(self.builder.candidates[i]),
                self.kg.labels.get(self.builder.candidates[i], ""),
                float(scores[i]),
                float(probs[i]),
                None if prior is None else float(prior[i]),
                similarity.get(i),
                lead_by if by == "model" else by,
                imputed.get(i, ()),
                similarities.shortlist.get(i),
            )
            for i, by in zip(placed.order.tolist(), placed.placed_by(), strict=True)
        ]
        return DiagnosisResult(
            id,
            ranking,
            prepared.findings,
            _facts_with_attention(prepared.facts, attention),
            prepared.warnings,
            time.perf_counter() - started,
            onset,
            None if stated is None else stated.text,
            logits.copy() if keep_logits and logits is not None else None,
            CandidateScores(scores, ranked_by, probs, similarity, every.order)
            if keep_scores
            else None,
            prepared.prior,
        )

    def _onset(
        self, onset: str | None, text: str | None, warnings: list[str]
    ) -> tuple[str | None, StatedOnset | None]:
        """The onset class the prior weighs: the given one, else the one ``text`` states
        (with that statement) when the KG knows its class."""
        onset = self.builder.resolve_onset(onset, warnings)
        if onset is not None or not text:
            return onset, None
        stated = read_onset(text)
        if stated is not None and stated.iri in self.kg.hierarchy:
            return stated.iri, stated
        return None, None

    def _findings(
        self,
        text: str | None,
        present: Sequence[str],
        excluded: Sequence[str],
        names: Mapping[str, str] | None,
        warnings: list[str],
    ) -> tuple[list[LinkedFinding], str | None]:
        """The patient's findings and the text the model reads (None without one): the
        findings linked in ``text``, then the given terms it does not state, rendered after
        it; warns of no finding, and of a term both present and excluded (counted as
        present: its excluded copy is left out)."""
        read_label = self.linker.read_label if self.linker is not None and names else None
        findings = self.builder.resolve(
            present, False, warnings, names, read_label
        ) + self.builder.resolve(excluded, True, warnings, names, read_label)
        if text is not None and text.strip():
            linked, notes = self._link(text)
            warnings.extend(notes)
            seen = {(f.iri, f.excluded) for f in linked}
            extra = [f for f in findings if (f.iri, f.excluded) not in seen]
            findings = linked
            if extra:  # structured terms given beside the text are rendered after it
                tail, rendered = render_findings(extra, self.kg.labels)
                offset = len(text) + 1
                text = f"{text} {tail}"
                findings += [
                    LinkedFinding(f.iri, f.excluded, f.start + offset, f.end + offset, f.text)
                    for f in rendered
                ]
        else:
            text = None
        if not findings:
            warnings.append("no finding recognised: the ranking reflects the prior only")
        both = {f.iri for f in findings if f.excluded} & {f.iri for f in findings if not f.excluded}
        if both:  # as the prior counts it: present, its "excluded" copy left out
            named = ", ".join(sorted(compress(iri) for iri in both))
            warnings.append(f"both present and excluded, counted as present: {named}")
            findings = [f for f in findings if not (f.excluded and f.iri in both)]
        return findings, text


def _posterior(log10_scores: np.ndarray) -> np.ndarray:
    """The posterior of log10 likelihood ratios under a uniform pre-test probability
    (LIRICAL's post-test probability)."""
    posterior = np.exp((log10_scores - log10_scores.max()) * np.log(10.0))
    return posterior / posterior.sum()


def _facts_with_attention(
    facts: Sequence[Any], attention: list[float] | None
) -> list[dict[str, Any]]:
    """The retrieved facts as records, each with the model's attention to it when known."""
    out = []
    for j, f in enumerate(facts):
        d = f.as_dict()
        if attention is not None and j < len(attention):
            d["attention"] = attention[j]
        out.append(d)
    return out


def _written_iri(term: str) -> str | None:
    """The IRI ``term`` names as written (``hp:0000473``, ``HP_0000473`` as well: another
    spelling of the same id is no replacement); None when it names none."""
    try:
        return to_iri(term.strip())
    except ValueError:
        return None


def model_meta(
    kg: KnowledgeGraph,
    candidates: list[str] | None,
    config: dict[str, Any],
    config_hash: str,
    **extra: Any,
) -> dict[str, Any]:
    """The ``kgfuse_model.json`` content of a new model (``candidates``: the diagnosis
    model's diseases; None for models without candidates)."""
    from importlib.metadata import PackageNotFoundError, version

    versions = {}
    for pkg in ("kgfuse", "torch", "transformers", "torch_geometric", "faiss-cpu", "pyoxigraph"):
        try:
            versions[pkg] = version(pkg)
        except PackageNotFoundError:
            continue
    meta = {
        "kg_fingerprint": kg.fingerprint,
        "candidates": candidates,
        "config": config,
        "config_hash": config_hash,
        "versions": versions,
        **extra,
    }
    if candidates is None:
        del meta["candidates"]
    return meta


__all__ = [
    "NEIGHBOURS_FILE",
    "CandidateMismatchError",
    "CandidateScores",
    "Diagnoser",
    "DiagnosisResult",
    "ImputedFinding",
    "KnowledgeInputBuilder",
    "LinkedFinding",
    "PatientInputBuilder",
    "PreparedPatient",
    "RankedDisease",
    "apply_precision",
    "batch_logits",
    "cast_inputs",
    "check_model_kg",
    "likelihood_config_of",
    "load_neighbours",
    "neighbours_basis",
    "save_neighbours",
    "model_meta",
    "patient_findings",
    "render_findings",
]
