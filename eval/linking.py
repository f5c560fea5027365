"""Evaluation of concept recognition against span-annotated gold documents.

Gold documents follow ``id68.jsonl``: ``id``, ``text`` and ``annotations``, each
``{start, end, text, hpo_id, flag, span_matches_text}`` where ``flag`` is absent (a plain
finding of the patient), ``Related`` (a finding described loosely or in passing; by default
counted as present) or ``Neg`` (ruled out); flags are read whatever their case, and any other
flag is an error. When ``hpo_id_2025`` is present it is used: it maps ids to the ontology
release the linker is built from. An annotation without a term id is an error.

Measures (:func:`evaluate_linking`):

- mention level, exact span and overlapping span, correct id required;
- document level on the set of present ids (gold: not ``Neg``; predicted: not excluded),
  and, shown separately, an ancestor-tolerant variant in which a predicted id also counts
  when it is an ancestor or a descendant of a gold id;
- excluded-finding accuracy on gold mentions found by the linker (right id, overlapping
  span), with the recall of ruled-out findings;
- documents per second (:func:`run_linking_eval`), also on abstract-sized documents made
  from the gold texts (:func:`measure_throughput`).

:func:`evaluate_dense_heldout` measures the dense path alone on held-out synonyms.
"""

from __future__ import annotations

import codecs
import itertools
import json
import logging
import os
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, TypeGuard

import numpy as np

from encoders.linker import RecordLinker, link_records
from kg.namespaces import compress, to_iri

logger = logging.getLogger(__name__)

__all__ = [
    "DenseHeldoutReport",
    "GoldDocument",
    "GoldMention",
    "PRF_MEASURES",
    "LinkingReport",
    "PRF",
    "ThroughputReport",
    "abstract_sized",
    "data_dir",
    "document_f1_interval",
    "evaluate_dense_heldout",
    "evaluate_linking",
    "f1_text",
    "load_gold",
    "measure_throughput",
    "prf_table",
    "run_linking_eval",
]

DATA_DIR_ENV = "KGFUSE_DATA_DIR"


def data_dir(repo_root: Path | None = None) -> Path | None:
    """The evaluation data folder: ``$KGFUSE_DATA_DIR``, else ``<repo>/../shared/data``.

    Args:
        repo_root: the repository root; defaults to the folder above this package.

    Returns:
        The folder, or None when it does not exist.
    """
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        path = Path(env)
    else:
        root = repo_root or Path(__file__).resolve().parents[1]
        path = root.parent / "shared" / "data"
    return path if path.is_dir() else None


@dataclass(frozen=True)
class GoldMention:
    """One annotated mention.

    Attributes:
        start: character offset.
        end: character offset one past the end.
        text: the annotated text.
        iri: IRI of the annotated term.
        flag: ``None``, ``"Related"`` or ``"Neg"``.
    """

    start: int
    end: int
    text: str
    iri: str
    flag: str | None = None

    @property
    def excluded(self) -> bool:
        """Whether the finding is ruled out."""
        return self.flag == "Neg"


@dataclass(frozen=True)
class GoldDocument:
    """One annotated document."""

    id: str
    text: str
    mentions: tuple[GoldMention, ...]


def load_gold(
    path: Path, id_fields: Sequence[str] = ("hpo_id_2025", "hpo_id")
) -> list[GoldDocument]:
    """Read gold documents in the ``id68.jsonl`` format: ``{"id", "text", "annotations":
    [{"start", "end", "text"?, "hpo_id", "flag"?}]}`` per line.

    Args:
        path: the JSON-lines file.
        id_fields: annotation fields holding the term id, first present wins.
            (default: ``hpo_id_2025`` then ``hpo_id``)

    Raises:
        ValueError: a line that is not UTF-8 or JSON, or not a gold document (named by
            file and line, with the document and the field); a file without documents.
    """
    docs: list[GoldDocument] = []
    with path.open("rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            if lineno == 1 and raw.startswith(codecs.BOM_UTF8):  # read as utf-8-sig
                raw = raw[len(codecs.BOM_UTF8) :]
            if not raw.strip():
                continue
            try:
                docs.append(_gold_document(json.loads(raw.decode("utf-8")), id_fields))
            except UnicodeDecodeError as exc:
                raise ValueError(
                    f"{path}:{lineno}: not valid UTF-8 (byte 0x{exc.object[exc.start]:02x} at "
                    f"position {exc.start + 1} of the line); save the file as UTF-8"
                ) from None
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{lineno}: not valid JSON ({exc.msg})") from None
            except (KeyError, TypeError, ValueError) as exc:
                raise ValueError(
                    f"{path}:{lineno}: not a gold document in the id68.jsonl format ({exc})"
                ) from None
    if not docs:
        raise ValueError(f"no gold documents in {path}")
    return docs


#: Gold flags, by their lower-case spelling: None is a plain (present) finding.
GOLD_FLAGS: dict[str, str | None] = {"": None, "related": "Related", "neg": "Neg"}


def _gold_flag(value: Any, where: str) -> str | None:
    """``None``, ``"Related"`` or ``"Neg"`` for a gold annotation's ``flag`` (any case).

    Raises:
        ValueError: another flag or a flag that is not a string, naming ``where``.
    """
    if value is None:
        return None
    if isinstance(value, str) and value.strip().lower() in GOLD_FLAGS:
        return GOLD_FLAGS[value.strip().lower()]
    raise ValueError(
        f"{where}: unknown flag {json.dumps(value)}; expected none, 'Related' or 'Neg'"
    )


def _offset(value: Any) -> TypeGuard[int]:
    """Whether ``value`` is a character offset (an integer >= 0, not a boolean)."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _gold_document(row: Any, id_fields: Sequence[str]) -> GoldDocument:
    if not isinstance(row, dict):
        raise TypeError("a line must be a JSON object")
    for key in ("id", "text"):
        if key not in row:
            raise ValueError(f"no {key!r} field")
    doc = f"document {row['id']}"
    text = row["text"]
    if not isinstance(text, str):
        raise TypeError(f"{doc}: 'text' must be a string")
    annotations = row.get("annotations", [])
    if not isinstance(annotations, list):
        raise TypeError(f"{doc}: 'annotations' must be a list")
    mentions = []
    for n, a in enumerate(annotations, start=1):
        where = f"{doc}, annotation {n}"
        if not isinstance(a, dict):
            raise TypeError(f"{where}: an annotation must be an object")
        field_name = next((f for f in id_fields if a.get(f) not in (None, "")), None)
        if field_name is None:
            raise ValueError(f"{where}: no term id ({' or '.join(map(repr, id_fields))})")
        term = a[field_name]
        if not isinstance(term, str) or not term.strip():
            raise ValueError(
                f'{where}: {field_name!r} must be a term id such as "HP:0001250", got '
                f"{json.dumps(term)}"
            )
        try:
            iri = to_iri(term.strip())
        except ValueError as exc:
            raise ValueError(f"{where}: {field_name!r}: {exc}") from None
        where = f"{where} ({term})"
        start, end = a.get("start"), a.get("end")
        if not (_offset(start) and _offset(end) and start <= end):
            raise ValueError(f"{where}: 'start' and 'end' must be offsets")
        if end > len(text):
            raise ValueError(f"{where}: end {end} is past the text")
        flag = _gold_flag(a.get("flag"), where)
        mentions.append(GoldMention(start, end, a.get("text", ""), iri, flag))
    return GoldDocument(str(row["id"]), text, tuple(mentions))


@dataclass(frozen=True)
class PRF:
    """Precision, recall and F1 with their counts."""

    precision: float
    recall: float
    f1: float
    tp: int
    fp: int
    fn: int

    @classmethod
    def from_counts(cls, tp: int, fp: int, fn: int) -> PRF:
        """From true positive, false positive and false negative counts."""
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        return cls(p, r, f, tp, fp, fn)


@dataclass
class LinkingReport:
    """Every measure of one evaluation run.

    Attributes:
        mention_exact: mention P/R/F1, exact span and id.
        mention_overlap: mention P/R/F1, overlapping span and id.
        document: document-level P/R/F1 on present ids (micro-averaged over documents).
        document_ancestor: the ancestor-tolerant variant (None without ``ancestors``).
        excluded_accuracy: share of found gold mentions whose excluded flag is right.
        excluded_found: found gold mentions (the accuracy's denominator).
        excluded_recall: share of gold ruled-out mentions found and marked excluded.
        excluded_support: gold ruled-out mentions.
        num_documents: documents evaluated.
        document_f1_interval: 95% percentile-bootstrap interval of the document F1, the
            documents resampled (seeded; :func:`document_f1_interval`).
        docs_per_second: linking throughput (0 when not timed).
        settings: how the run was made (free-form, for the record).
        throughput: documents per second on abstract-sized documents
            (:func:`measure_throughput`), when asked for.
        errors: the false and missed concepts of each document with any
            (:func:`document_errors`).
    """

    mention_exact: PRF
    mention_overlap: PRF
    document: PRF
    document_ancestor: PRF | None
    excluded_accuracy: float
    excluded_found: int
    excluded_recall: float
    excluded_support: int
    num_documents: int
    docs_per_second: float = 0.0
    document_f1_interval: tuple[float, float] | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    throughput: ThroughputReport | None = None
    errors: list[DocumentErrors] = field(default_factory=list, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """As a JSON-ready dict (without the documents' errors: :meth:`DocumentErrors.to_dict`
        gives each)."""
        data = asdict(replace(self, errors=[]))
        del data["errors"]
        return data


#: The P/R/F1 measures of a report, in table order.
PRF_MEASURES = ("mention_exact", "mention_overlap", "document", "document_ancestor")


def f1_text(data: Mapping[str, Any], key: str = "document") -> str:
    """A measure's F1 of :meth:`LinkingReport.to_dict` output, the document F1 with its
    interval when there is one ("0.809 [0.780-0.838]")."""
    interval = data.get("document_f1_interval") if key == "document" else None
    text = f"{data[key]['f1']:.3f}"
    return text + (f" [{interval[0]:.3f}-{interval[1]:.3f}]" if interval else "")


def prf_table(data: Mapping[str, Any]) -> list[str]:
    """Markdown rows of the P/R/F1 measures of :meth:`LinkingReport.to_dict` output, the
    document F1 with its interval when there is one."""
    rows = ["| measure | precision | recall | F1 |", "|---|---:|---:|---:|"]
    for key in PRF_MEASURES:
        prf = data.get(key)
        if not prf:
            continue
        rows.append(
            f"| {key} | {prf['precision']:.3f} | {prf['recall']:.3f} | {f1_text(data, key)} |"
        )
    if data.get("document_f1_interval"):
        rows += ["", "In brackets: 95% bootstrap interval of the document F1, documents resampled."]
    return rows


def _pairs(
    gold: Sequence[GoldMention],
    pred: Sequence[Mapping[str, Any]],
    same_span: Callable[[GoldMention, Mapping[str, Any]], bool],
) -> list[tuple[int, int]]:
    """One-to-one matching of predicted to gold mentions with the same id."""
    used: set[int] = set()
    pairs = []
    for pi, p in enumerate(pred):
        iri = _pred_iri(p)
        for gi, g in enumerate(gold):
            if gi not in used and g.iri == iri and same_span(g, p):
                used.add(gi)
                pairs.append((gi, pi))
                break
    return pairs


def _document_ids(
    doc: GoldDocument, pred: Sequence[Mapping[str, Any]], related_is_present: bool
) -> tuple[set[str], set[str]]:
    """The present concepts of a document, in the gold and in the predictions (what the
    document-level measures compare)."""
    gold_ids = {
        m.iri
        for m in doc.mentions
        if not m.excluded and (related_is_present or m.flag != "Related")
    }
    return gold_ids, {_pred_iri(p) for p in pred if not p.get("excluded")}


@dataclass(frozen=True)
class ConceptError:
    """A concept of one document that the document-level measure counts against the linker.

    Attributes:
        iri: the concept.
        texts: where the document writes it: the linker's spans for a false concept, the
            gold's for a missed one (each once, in order).
        near: an ancestor or descendant of a concept on the other side (a near miss: the
            ancestor-tolerant measure counts it as found).
    """

    iri: str
    texts: tuple[str, ...]
    near: bool


@dataclass(frozen=True)
class DocumentErrors:
    """What the linker found in a document that the gold lacks (``false``) and what the gold
    holds that the linker missed (``missed``), as the document-level measure counts them."""

    id: str
    false: tuple[ConceptError, ...]
    missed: tuple[ConceptError, ...]

    def to_dict(self, label: Callable[[str], str] | None = None) -> dict[str, Any]:
        """As a JSON-ready dict, each concept by its CURIE (and ``label`` when given)."""

        def concept(e: ConceptError) -> dict[str, Any]:
            row: dict[str, Any] = {"curie": compress(e.iri)}
            if label is not None:
                row["label"] = label(e.iri)
            return row | {"texts": list(e.texts), "near": e.near}

        return {
            "id": self.id,
            "false": [concept(e) for e in self.false],
            "missed": [concept(e) for e in self.missed],
        }


def document_errors(
    gold: Sequence[GoldDocument],
    predictions: Mapping[str, Sequence[Mapping[str, Any]]],
    ancestors: Callable[[str], AbstractSet[str]] | None = None,
    related_is_present: bool = True,
) -> list[DocumentErrors]:
    """The false and missed concepts of each document with any (arguments as
    :func:`evaluate_linking`; without ``ancestors`` no error is ``near``)."""
    out = []
    for doc in gold:
        pred = list(predictions.get(doc.id, ()))
        gold_ids, pred_ids = _document_ids(doc, pred, related_is_present)
        if gold_ids == pred_ids:
            continue
        false = tuple(
            ConceptError(
                iri,
                _texts(doc.text, ((p["start"], p["end"]) for p in pred if _pred_iri(p) == iri)),
                _near(iri, gold_ids, ancestors),
            )
            for iri in sorted(pred_ids - gold_ids)
        )
        missed = tuple(
            ConceptError(
                iri,
                _texts(doc.text, ((m.start, m.end) for m in doc.mentions if m.iri == iri)),
                _near(iri, pred_ids, ancestors),
            )
            for iri in sorted(gold_ids - pred_ids)
        )
        out.append(DocumentErrors(doc.id, false, missed))
    return out


def _texts(text: str, spans: Iterable[tuple[int, int]]) -> tuple[str, ...]:
    """The text of each span, each once, in order."""
    return tuple(dict.fromkeys(text[a:b] for a, b in spans))


def _near(
    iri: str, others: AbstractSet[str], ancestors: Callable[[str], AbstractSet[str]] | None
) -> bool:
    """Whether ``iri`` is an ancestor or a descendant of one of ``others``."""
    if ancestors is None:
        return False
    up = ancestors(iri)
    return any(o in up or iri in ancestors(o) for o in others)


def frequent_errors(
    errors: Sequence[DocumentErrors], kind: str, top: int = 10
) -> list[tuple[str, int, tuple[str, ...]]]:
    """The ``top`` concepts most often ``false`` or ``missed`` (``kind``): each with the
    number of documents and up to three of its texts, most frequent first (then by IRI)."""
    if kind not in ("false", "missed"):
        raise ValueError(f"kind must be 'false' or 'missed', got {kind!r}")
    counts: dict[str, int] = {}
    seen: dict[str, dict[str, None]] = {}
    for doc in errors:
        for e in getattr(doc, kind):
            counts[e.iri] = counts.get(e.iri, 0) + 1
            seen.setdefault(e.iri, {}).update(dict.fromkeys(e.texts))
    ranked = sorted(counts, key=lambda iri: (-counts[iri], iri))[:top]
    return [(iri, counts[iri], tuple(list(seen[iri])[:3])) for iri in ranked]


def _pred_iri(p: Mapping[str, Any]) -> str:
    return to_iri(p["curie"] if "curie" in p else p["iri"])


def _exact(g: GoldMention, p: Mapping[str, Any]) -> bool:
    return g.start == p["start"] and g.end == p["end"]


def _overlap(g: GoldMention, p: Mapping[str, Any]) -> bool:
    return g.start < p["end"] and p["start"] < g.end


def document_f1_interval(
    counts: Sequence[tuple[int, int, int]],
    *,
    n_resamples: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
) -> tuple[float, float] | None:
    """Percentile-bootstrap interval of the micro-averaged F1 of per-document ``(tp, fp, fn)``
    counts, whole documents resampled (None without documents). Mentions of one document
    are not independent, so documents are the unit."""
    c = np.asarray(counts, dtype=np.float64).reshape(-1, 3)
    if not len(c):
        return None
    idx = np.random.default_rng(seed).integers(0, len(c), size=(n_resamples, len(c)))
    tp, fp, fn = c[idx].sum(axis=1).T
    with np.errstate(divide="ignore", invalid="ignore"):
        f1 = np.where(2 * tp + fp + fn > 0, 2 * tp / (2 * tp + fp + fn), 0.0)
    tail = (1.0 - confidence) / 2.0 * 100.0
    low, high = np.percentile(f1, [tail, 100.0 - tail])
    return float(low), float(high)


def evaluate_linking(
    gold: Sequence[GoldDocument],
    predictions: Mapping[str, Sequence[Mapping[str, Any]]],
    ancestors: Callable[[str], AbstractSet[str]] | None = None,
    related_is_present: bool = True,
) -> LinkingReport:
    """Compare predicted mentions with gold documents.

    Args:
        gold: the gold documents.
        predictions: document id -> predicted mention dicts (``start``, ``end``, ``curie``
            or ``iri``, ``excluded``); a missing id counts as no prediction.
        ancestors: strict ancestors of an IRI, for the ancestor-tolerant document measure.
            (default: ``None``)
        related_is_present: count ``Related`` gold mentions as present findings.
            (default: ``True``)

    Returns:
        The report (``docs_per_second`` left at 0).
    """
    counts = {"exact": [0, 0, 0], "overlap": [0, 0, 0], "doc": [0, 0, 0]}
    per_document: list[tuple[int, int, int]] = []
    ex_right = ex_found = neg_found = neg_total = 0
    # Ancestor-tolerant counts: predicted ids that hit a gold id, predicted ids that miss,
    # gold ids hit by some prediction, all gold ids (one prediction may cover several).
    anc_hit_pred = anc_miss_pred = anc_hit_gold = anc_gold = 0
    anc_cache: dict[str, set[str]] = {}

    def anc(iri: str) -> set[str]:
        if iri not in anc_cache:
            anc_cache[iri] = set(ancestors(iri)) if ancestors is not None else set()
        return anc_cache[iri]

    def kin(a: str, b: str) -> bool:
        return a == b or a in anc(b) or b in anc(a)

    for doc in gold:
        pred = list(predictions.get(doc.id, ()))
        for key, same in (("exact", _exact), ("overlap", _overlap)):
            pairs = _pairs(doc.mentions, pred, same)
            c = counts[key]
            c[0] += len(pairs)
            c[1] += len(pred) - len(pairs)
            c[2] += len(doc.mentions) - len(pairs)
            if key == "overlap":
                for gi, pi in pairs:
                    ex_found += 1
                    g_ex, p_ex = doc.mentions[gi].excluded, bool(pred[pi].get("excluded"))
                    ex_right += g_ex == p_ex
                    neg_found += g_ex and p_ex
        neg_total += sum(m.excluded for m in doc.mentions)
        gold_ids, pred_ids = _document_ids(doc, pred, related_is_present)
        found = (len(gold_ids & pred_ids), len(pred_ids - gold_ids), len(gold_ids - pred_ids))
        per_document.append(found)
        c = counts["doc"]
        c[0] += found[0]
        c[1] += found[1]
        c[2] += found[2]
        if ancestors is not None:
            hits = sum(any(kin(p, g) for g in gold_ids) for p in pred_ids)
            anc_hit_pred += hits
            anc_miss_pred += len(pred_ids) - hits
            anc_hit_gold += sum(any(kin(p, g) for p in pred_ids) for g in gold_ids)
            anc_gold += len(gold_ids)
    anc_prf = None
    if ancestors is not None:
        p = anc_hit_pred / (anc_hit_pred + anc_miss_pred) if anc_hit_pred + anc_miss_pred else 0.0
        r = anc_hit_gold / anc_gold if anc_gold else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        anc_prf = PRF(p, r, f, anc_hit_pred, anc_miss_pred, anc_gold - anc_hit_gold)
    return LinkingReport(
        mention_exact=PRF.from_counts(*counts["exact"]),
        mention_overlap=PRF.from_counts(*counts["overlap"]),
        document=PRF.from_counts(*counts["doc"]),
        document_ancestor=anc_prf,
        excluded_accuracy=ex_right / ex_found if ex_found else 0.0,
        excluded_found=ex_found,
        excluded_recall=neg_found / neg_total if neg_total else 0.0,
        excluded_support=neg_total,
        num_documents=len(gold),
        document_f1_interval=document_f1_interval(per_document),
        errors=document_errors(gold, predictions, ancestors, related_is_present),
    )


def run_linking_eval(
    linker: RecordLinker,
    gold: Sequence[GoldDocument],
    ancestors: Callable[[str], AbstractSet[str]] | None = None,
    n_process: int = 1,
    repeats: int = 1,
    related_is_present: bool = True,
    throughput_docs: int = 0,
) -> LinkingReport:
    """Link the gold documents' texts with :func:`encoders.linker.link_records` and score.

    Args:
        linker: the linker.
        gold: the gold documents.
        ancestors: see :func:`evaluate_linking`.
        n_process: worker processes for linking. (default: ``1``)
        repeats: link the documents this many times for the throughput figure (the best
            run is reported; the predictions of the first run are scored). (default: ``1``)
        related_is_present: see :func:`evaluate_linking`.
        throughput_docs: also measure throughput on this many abstract-sized documents
            made from the gold texts (:func:`measure_throughput`, ``repeats`` runs); 0 to
            skip. (default: ``0``)

    Returns:
        The report with ``docs_per_second`` (and ``throughput`` when asked for).
    """
    records = [{"id": d.id, "text": d.text} for d in gold]
    best = float("inf")
    predictions: dict[str, list[dict[str, Any]]] = {}
    for r in range(max(1, repeats)):
        t0 = time.perf_counter()
        out = list(link_records(records, linker, n_process=n_process))
        best = min(best, time.perf_counter() - t0)
        if r == 0:
            predictions = {o["id"]: o["mentions"] for o in out}
    report = evaluate_linking(gold, predictions, ancestors, related_is_present)
    report.docs_per_second = len(records) / best if best > 0 else 0.0
    report.settings = {
        "n_process": n_process,
        "repeats": repeats,
        "related_is_present": related_is_present,
        "dense": linker.dense is not None,
        "config": asdict(linker.config),
    }
    if throughput_docs > 0:
        report.throughput = measure_throughput(
            linker, [d.text for d in gold], throughput_docs, n_process, max(1, repeats)
        )
    return report


#: A PubMed abstract is about 1,500 characters.
ABSTRACT_CHARS = 1500

_SENTENCE_RE = re.compile(r"(?<=[.!?])\s+")


def abstract_sized(texts: Sequence[str], num_docs: int, chars: int = ABSTRACT_CHARS) -> list[str]:
    """``num_docs`` documents of about ``chars`` characters from the sentences of ``texts``.

    The sentences are taken in order (cycling through the texts) and packed into a document
    until it reaches ``chars - 100`` characters, so documents end at a sentence end.

    Args:
        texts: source texts.
        num_docs: documents to make.
        chars: target length. (default: :data:`ABSTRACT_CHARS`)

    Raises:
        ValueError: the texts have no sentence.
    """
    sentences = [x for t in texts for x in _SENTENCE_RE.split(t.strip()) if x.strip()]
    if not sentences:
        raise ValueError("no sentence to build documents from")
    docs: list[str] = []
    current: list[str] = []
    size = 0
    for sentence in itertools.cycle(sentences):
        current.append(sentence)
        size += len(sentence) + 1
        if size >= chars - 100:
            docs.append(" ".join(current))
            current, size = [], 0
            if len(docs) == num_docs:
                return docs
    raise AssertionError("unreachable: cycle never ends")  # pragma: no cover


@dataclass(frozen=True)
class ThroughputReport:
    """Linking throughput on abstract-sized documents.

    Attributes:
        docs_per_second: median over the runs.
        docs_per_second_min: slowest run.
        docs_per_second_max: fastest run.
        docs_per_cpu_second: documents per second of CPU time of this process and its
            worker processes (median): what the machine's cores could give when idle.
        num_docs: documents per run.
        chars_per_doc: their mean length.
        n_process: worker processes.
        runs: timed runs.
    """

    docs_per_second: float
    docs_per_second_min: float
    docs_per_second_max: float
    docs_per_cpu_second: float
    num_docs: int
    chars_per_doc: float
    n_process: int
    runs: int


def measure_throughput(
    linker: RecordLinker,
    texts: Sequence[str],
    num_docs: int = 2000,
    n_process: int = 1,
    runs: int = 3,
    chars: int = ABSTRACT_CHARS,
) -> ThroughputReport:
    """Documents per second of :func:`encoders.linker.link_records` on abstract-sized text.

    One untimed warm-up pass over the documents, then ``runs`` timed passes (each starts its
    worker processes when ``n_process > 1``).

    Args:
        linker: the linker.
        texts: texts to build the documents from (:func:`abstract_sized`).
        num_docs: documents per run. (default: ``2000``)
        n_process: worker processes. (default: ``1``)
        runs: timed runs. (default: ``3``)
        chars: target document length. (default: :data:`ABSTRACT_CHARS`)
    """
    import resource
    import statistics

    docs = abstract_sized(texts, num_docs, chars)
    records = [{"id": i, "text": d} for i, d in enumerate(docs)]
    for _ in link_records(records, linker):
        pass
    rates, cpu_rates = [], []
    for _ in range(max(1, runs)):
        kids0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        wall0, cpu0 = time.perf_counter(), time.process_time()
        for _ in link_records(records, linker, n_process=n_process):
            pass
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        kids1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu += (kids1.ru_utime + kids1.ru_stime) - (kids0.ru_utime + kids0.ru_stime)
        rates.append(len(records) / wall)
        cpu_rates.append(len(records) / cpu if cpu > 0 else 0.0)
    return ThroughputReport(
        docs_per_second=statistics.median(rates),
        docs_per_second_min=min(rates),
        docs_per_second_max=max(rates),
        docs_per_cpu_second=statistics.median(cpu_rates),
        num_docs=len(records),
        chars_per_doc=sum(map(len, docs)) / len(docs),
        n_process=n_process,
        runs=len(rates),
    )


@dataclass(frozen=True)
class DenseHeldoutReport:
    """The dense path alone on held-out synonyms.

    Attributes:
        threshold: calibrated on the calibration half.
        calibration: P/R/F1 at the threshold on the calibration half.
        test_precision: on the test half (positives and negatives not used to calibrate).
        test_recall: on the test half.
        test_f1: on the test half.
        test_accuracy_at_1: share of test synonyms whose nearest name is of their term.
        num_test_positives: test synonyms.
        num_test_negatives: test negatives.
        seconds: wall time (index build included).
    """

    threshold: float
    calibration: dict[str, float | int]
    test_precision: float
    test_recall: float
    test_f1: float
    test_accuracy_at_1: float
    num_test_positives: int
    num_test_negatives: int
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        """As a JSON-ready dict."""
        return asdict(self)


def evaluate_dense_heldout(
    lexicon: Any,
    encoder: Any,
    fraction: float = 0.1,
    max_terms: int | None = 2000,
    seed: int = 0,
    target_precision: float | None = None,
    kinds: Iterable[str] = ("label", "exact"),
) -> DenseHeldoutReport:
    """Hold out one synonym of sampled terms, calibrate on half, test on the other half.

    Args:
        lexicon: the full :class:`kg.lexicon.Lexicon`.
        encoder: the :class:`encoders.text.TextEncoder`.
        fraction: share of terms with synonyms to sample. (default: ``0.1``)
        max_terms: cap on sampled terms. (default: ``2000``)
        seed: random seed. (default: ``0``)
        target_precision: see :func:`encoders.dense.calibrate_threshold`.
        kinds: name kinds indexed. (default: label, exact)
    """
    import numpy as np

    from encoders.dense import (
        DenseIndex,
        calibrate_threshold,
        make_negatives,
        score_threshold,
        split_heldout_synonyms,
    )

    t0 = time.perf_counter()
    train_lex, pairs = split_heldout_synonyms(lexicon, fraction, seed, max_terms)
    negatives = make_negatives(lexicon, len(pairs), seed)
    half, nhalf = len(pairs) // 2, len(negatives) // 2
    index = DenseIndex.build(train_lex, encoder, kinds=kinds)
    cal = calibrate_threshold(index, pairs[:half], negatives[:nhalf], target_precision)
    test_pos, test_neg = pairs[half:], negatives[nhalf:]
    hits = index.search([p for p, _ in test_pos], k=1)
    pos_scores = np.array([h[0].score if h else -1.0 for h in hits])
    correct = np.array(
        [bool(h) and h[0].iri == t for h, (_, t) in zip(hits, test_pos, strict=True)]
    )
    neg_hits = index.search(test_neg, k=1)
    neg_scores = np.array([h[0].score if h else -1.0 for h in neg_hits])
    p, r, f = score_threshold(pos_scores, correct, neg_scores, cal.threshold)
    return DenseHeldoutReport(
        threshold=cal.threshold,
        calibration=cal.to_dict(),
        test_precision=p,
        test_recall=r,
        test_f1=f,
        test_accuracy_at_1=float(correct.mean()) if len(correct) else 0.0,
        num_test_positives=len(test_pos),
        num_test_negatives=len(test_neg),
        seconds=time.perf_counter() - t0,
    )
