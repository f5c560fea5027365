"""A user's own task on the fused model: inputs, BIO tags, batching and prediction.

The path of one text is the diagnosis path without the disease prior:

```
text --encoders.linker--> concept mentions (IRI, span, present/excluded)
     --fusion.retrieval---> facts touching the concepts (FAISS)
     --fusion.heads-------> label(s) of the text, or BIO tags of its tokens -> spans
```

:class:`TaskInputBuilder` is shared by training (``train.task_training``) and
:class:`TaskPredictor`, so a model sees the same kind of input in both. A text longer than
the encoder's token budget is predicted in sentence windows (:func:`sentence_windows`): the
windows' spans are merged (token classification), or their logits combined into the text's
(:meth:`TaskPredictor.combine_windows`, text classification; its output's ``warnings`` say
so). A task model folder holds the transformers checkpoint (``config.json`` with the label
set, ``model.safetensors``), the tokenizer, ``kgfuse_model.json`` (task, KG fingerprint and
path, linker settings, training config and its hash) and ``facts/`` (the fact index, for
cross-attention models).
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from encoders.linker import ConceptLinker, LinkerConfig, linker_from_kg
from fusion.heads import IGNORE_INDEX
from fusion.inputs import PatientCollator, PatientInput
from fusion.pipeline import (
    FACTS_DIR,
    KnowledgeInputBuilder,
    LinkedFinding,
    apply_precision,
    cast_inputs,
    load_model_meta,
    load_pretrained,
)
from kg.errors import KGMismatchError
from kg.knowledge_graph import KnowledgeGraph
from kg.remote import is_endpoint, kg_location

logger = logging.getLogger(__name__)

__all__ = [
    "MAX_TEXT_CHARS",
    "TASKS",
    "PredictedSpan",
    "PreparedText",
    "TaskCollator",
    "TaskInputBuilder",
    "TaskItem",
    "TaskPredictor",
    "TaskRecordError",
    "bio_tags",
    "decode_spans",
    "loose_record_id",
    "sentence_windows",
    "tag_tokens",
]

#: The tasks of the heads, as the CLI names them.
TASKS = ("text-classification", "token-classification")
OUTSIDE = "O"
#: Texts longer than this are refused by :meth:`TaskPredictor.predict_record`.
MAX_TEXT_CHARS = 100_000


class TaskRecordError(ValueError):
    """An input record that cannot be predicted (the message says why).

    Args:
        message: why.
        record_id: the record's own ``id`` where it could be read (a line that is not
            strict JSON may still name itself), reported instead of the line number.
    """

    def __init__(self, message: str, record_id: str | int | None = None) -> None:
        super().__init__(message)
        self.record_id = record_id


def loose_record_id(line: bytes) -> str | int | None:
    """The ``id`` a JSONL line names, read leniently (Python's ``json``, which takes
    ``NaN`` and unpaired surrogate escapes; bytes that are not UTF-8 replaced), so that the
    error record of a line the strict reader refuses carries the record's own id; None when
    there is none, or it is not a string or an integer that a UTF-8 writer takes."""
    text = line.decode("utf-8", errors="replace").lstrip("\ufeff")
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return None
    rid = value.get("id") if isinstance(value, Mapping) else None
    if isinstance(rid, bool) or not isinstance(rid, str | int):
        return None
    if isinstance(rid, str):
        try:
            rid.encode("utf-8")
        except UnicodeEncodeError:
            return None
    return rid


# ------------------------------------------------------------------------------ BIO tags
def bio_tags(span_labels: Iterable[str]) -> list[str]:
    """The tag set of span labels: ``O``, then ``B-X``, ``I-X`` for each label X (sorted)."""
    tags = [OUTSIDE]
    for label in sorted(set(span_labels)):
        tags += [f"B-{label}", f"I-{label}"]
    return tags


def tag_tokens(
    offsets: Tensor, spans: Sequence[tuple[int, int, str]], tag2id: Mapping[str, int]
) -> Tensor:
    """Tag ids of one text's tokens: ``B-X`` on the first token overlapping a span of label X,
    ``I-X`` on the others, ``O`` elsewhere and ``-100`` on special tokens and padding.

    Args:
        offsets: ``(T, 2)`` character offsets of the tokens (empty for special tokens).
        spans: ``(start, end, label)`` character spans, not overlapping.
        tag2id: tag -> id (see :func:`bio_tags`).

    Returns:
        ``(T,)`` long tensor.
    """
    starts, ends = offsets[:, 0], offsets[:, 1]
    real = ends > starts
    tags = torch.full((offsets.shape[0],), IGNORE_INDEX, dtype=torch.long)
    tags[real] = tag2id[OUTSIDE]
    for start, end, label in spans:
        hit = torch.nonzero(real & (starts < end) & (ends > start)).flatten()
        if len(hit) == 0:  # the span lies past the token budget
            continue
        tags[hit[0]] = tag2id[f"B-{label}"]
        tags[hit[1:]] = tag2id[f"I-{label}"]
    return tags


@dataclass(frozen=True)
class PredictedSpan:
    """A span proposed by the token classifier."""

    start: int
    end: int
    label: str
    score: float
    text: str = ""

    def to_record(self) -> dict[str, Any]:
        return {
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "label": self.label,
            "score": round(self.score, 4),
        }


def decode_spans(
    tag_ids: Sequence[int],
    tag_scores: Sequence[float],
    offsets: Tensor,
    id2tag: Mapping[int, str],
    text: str,
) -> list[PredictedSpan]:
    """Character spans from one text's predicted tags.

    A span starts at ``B-X`` (or at an ``I-X`` that does not continue a span of X) and goes on
    over ``I-X``; a ``B-X`` token glued to the previous token of a span of X (a word piece,
    no space between) continues it. A span that starts or ends inside a word (its other
    pieces tagged ``O``) is widened to the whole word, unless that would reach the next or
    previous span. A span's score is the mean probability of its tags.
    """
    spans: list[PredictedSpan] = []
    current: list[Any] | None = None  # [start, end, label, scores]

    def close() -> None:
        nonlocal current
        if current is not None:
            start, end, label, scores = current
            spans.append(PredictedSpan(start, end, label, float(np.mean(scores)), text[start:end]))
        current = None

    for t, (tag_id, score) in enumerate(zip(tag_ids, tag_scores, strict=False)):
        start, end = int(offsets[t, 0]), int(offsets[t, 1])
        if end <= start:
            continue
        tag = id2tag[int(tag_id)]
        if tag == OUTSIDE:
            close()
            continue
        prefix, _, label = tag.partition("-")
        same = current is not None and current[2] == label
        if same and (prefix == "I" or start == current[1]):  # type: ignore[index]
            current[1] = end  # type: ignore[index]
            current[3].append(float(score))  # type: ignore[index]
            continue
        close()
        current = [start, end, label, [float(score)]]
    close()
    return _whole_words(spans, text)


def _whole_words(spans: list[PredictedSpan], text: str) -> list[PredictedSpan]:
    """``spans`` (in order, not overlapping) widened to word boundaries where free."""
    out: list[PredictedSpan] = []
    for k, span in enumerate(spans):
        start, end = span.start, span.end
        floor = out[-1].end if out else 0
        ceiling = spans[k + 1].start if k + 1 < len(spans) else len(text)
        while start > floor and text[start - 1].isalnum() and text[start].isalnum():
            start -= 1
        while end < ceiling and text[end].isalnum() and text[end - 1].isalnum():
            end += 1
        if (start, end) != (span.start, span.end):
            span = PredictedSpan(start, end, span.label, span.score, text[start:end])
        out.append(span)
    return out


#: Sentence ends (and line breaks) where a long text is cut into windows.
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+|\n+")


def sentence_windows(
    text: str, count_tokens: Callable[[str], int], max_tokens: int
) -> list[tuple[int, int]]:
    """``(start, end)`` character windows of ``text`` of at most ``max_tokens`` tokens each,
    cut at sentence ends (a sentence longer than that is cut between words).

    Token classification reads a text in such windows, so nothing past the token budget of
    the encoder is lost.
    """
    pieces: list[tuple[int, int]] = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        pieces.append((start, m.start()))
        start = m.end()
    pieces.append((start, len(text)))
    units: list[tuple[int, int]] = []
    for a, b in pieces:
        if a >= b:
            continue
        if count_tokens(text[a:b]) <= max_tokens:
            units.append((a, b))
            continue
        words = [(w.start() + a, w.end() + a) for w in re.finditer(r"\S+", text[a:b])]
        lo = 0
        while lo < len(words):  # the longest run of words that fits (at least one)
            hi = lo + 1
            while hi < len(words) and count_tokens(text[words[lo][0] : words[hi][1]]) <= max_tokens:
                hi += 1
            units.append((words[lo][0], words[hi - 1][1]))
            lo = hi
    windows: list[tuple[int, int]] = []
    for a, b in units:
        if windows and count_tokens(text[windows[-1][0] : b]) <= max_tokens:
            windows[-1] = (windows[-1][0], b)
        else:
            windows.append((a, b))
    return windows or [(0, len(text))]


# ------------------------------------------------------------------------------ inputs
@dataclass
class PreparedText:
    """A model input with what outputs report: the linked concepts and retrieved facts."""

    input: PatientInput
    findings: list[LinkedFinding]
    facts: list[Any] = field(default_factory=list)


class TaskInputBuilder(KnowledgeInputBuilder):
    """Links a text to the KG's concepts and retrieves the facts touching them.

    Every linked mention counts, present or excluded (its status reaches the model through
    entity-token fusion); facts are those whose subject or object is a linked concept.

    Args:
        kg: the KG.
        linker: the concept linker of the KG.
        fact_index: the fact index, or None for models without facts.
        num_facts: facts retrieved per text. (default: ``16``)
    """

    def __init__(
        self,
        kg: KnowledgeGraph,
        linker: ConceptLinker,
        fact_index: Any | None = None,
        num_facts: int = 16,
    ) -> None:
        super().__init__(kg, fact_index, num_facts)
        self.linker = linker

    def link(self, text: str) -> list[LinkedFinding]:
        return [
            LinkedFinding(m.iri, bool(m.excluded), m.start, m.end, m.text)
            for m in self.linker.link(text)
        ]

    def prepare(self, text: str) -> PreparedText:
        findings = self.link(text)
        iris = list(dict.fromkeys(f.iri for f in findings))
        facts, vectors = self.retrieve(iris)
        return PreparedText(PatientInput(text, self.mentions(findings), vectors), findings, facts)


def linker_settings(allowed_roots: Sequence[str] = (), min_depth: int = 0) -> dict[str, Any]:
    """The linker settings stored with a task model (JSON)."""
    return {"allowed_roots": list(allowed_roots), "min_depth": int(min_depth)}


def build_linker(kg: KnowledgeGraph, settings: Mapping[str, Any]) -> ConceptLinker:
    """The dictionary linker of ``kg`` with stored :func:`linker_settings`."""
    config = LinkerConfig(
        allowed_roots=tuple(settings.get("allowed_roots", ())),
        min_depth=int(settings.get("min_depth", 0)),
    )
    return linker_from_kg(kg, config)


# ------------------------------------------------------------------------------ batching
#: A target: a label id (single label), a multi-hot vector (multi-label) or spans (tokens).
Target = int | np.ndarray | tuple[tuple[int, int, str], ...]


@dataclass
class TaskItem:
    """One model input with its target (None when unknown)."""

    input: PatientInput
    target: Target | None = None


class TaskCollator:
    """Batches :class:`TaskItem` objects: the fused-model tensors plus ``labels``.

    Args:
        tokenizer: a fast tokenizer; None for KG-only models (text classification only).
        problem_type: ``single_label_classification``, ``multi_label_classification`` or
            ``token_classification``.
        label2id: label (or tag) -> id.
        max_length, num_facts, fact_dim: as :class:`~fusion.inputs.PatientCollator`.

    The batch of a token task also holds ``offset_mapping`` ``(B, T, 2)``; pop it before
    calling the model.
    """

    def __init__(
        self,
        tokenizer: Any,
        problem_type: str,
        label2id: Mapping[str, int],
        *,
        max_length: int = 128,
        num_facts: int = 16,
        fact_dim: int = 128,
    ) -> None:
        self.problem_type = problem_type
        self.label2id = dict(label2id)
        self.base = PatientCollator(
            tokenizer,
            max_length=max_length,
            num_facts=num_facts,
            fact_dim=fact_dim,
            keep_offsets=problem_type == "token_classification",
        )

    def __call__(self, items: Sequence[TaskItem]) -> dict[str, Tensor]:
        batch = self.base([i.input for i in items])
        targets = [i.target for i in items]
        if any(t is None for t in targets):
            return batch
        if self.problem_type == "single_label_classification":
            batch["labels"] = torch.tensor(targets, dtype=torch.long)
        elif self.problem_type == "multi_label_classification":
            batch["labels"] = torch.from_numpy(np.stack(targets).astype(np.float32))  # type: ignore[arg-type]
        else:
            offsets = batch["offset_mapping"]
            batch["labels"] = torch.stack(
                [tag_tokens(offsets[r], t, self.label2id) for r, t in enumerate(targets)]  # type: ignore[arg-type]
            )
        return batch


# ------------------------------------------------------------------------------ prediction
def _problem_of(model: Any) -> str:
    from fusion.heads import KgFusionForTokenClassification

    if isinstance(model, KgFusionForTokenClassification):
        return "token_classification"
    return str(model.config.problem_type or "single_label_classification")


class TaskPredictor:
    """A trained task model ready to label texts. Use :meth:`load`, then :meth:`predict`.

    Args:
        model: a :class:`~fusion.heads.KgFusionForSequenceClassification` or
            :class:`~fusion.heads.KgFusionForTokenClassification`.
        tokenizer: its tokenizer (None for KG-only models).
        builder: the input builder (linker and fact index of the KG).
        meta: the model folder's ``kgfuse_model.json``.
        threshold: probability above which a label is given (multi-label).
            (default: ``0.5``)
        precision: the encoder's inference precision, ``fp32``, ``bf16``, ``int8`` or
            ``auto`` (:func:`fusion.pipeline.resolve_precision`). (default: ``"fp32"``: a
            task model's sensitivity to int8 is the user's to measure)
    """

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        builder: TaskInputBuilder,
        meta: Mapping[str, Any],
        threshold: float = 0.5,
        precision: str = "fp32",
    ) -> None:
        self.model = model.eval()
        #: the resolved precision of the encoder (the heads stay fp32)
        self.precision = apply_precision(self.model.kgfusion, precision)
        self.tokenizer = tokenizer
        self.builder = builder
        self.meta = dict(meta)
        self.threshold = threshold
        self.problem_type = _problem_of(model)
        cfg = model.config
        self.id2label = {int(k): v for k, v in cfg.id2label.items()}
        self.collator = TaskCollator(
            tokenizer,
            self.problem_type,
            cfg.label2id,
            max_length=int(self.meta.get("max_length", 128)),
            num_facts=cfg.num_facts,
            fact_dim=cfg.fact_dim,
        )

    @property
    def task(self) -> str:
        return str(self.meta["task"])

    @classmethod
    def load(
        cls,
        folder: str | Path,
        kg: KnowledgeGraph | None = None,
        *,
        threshold: float = 0.5,
        precision: str = "fp32",
    ) -> TaskPredictor:
        """Load a task model folder with its KG (the one it was trained on by default), its
        encoder in ``precision``.

        Raises:
            FileNotFoundError: no task model in ``folder``, or its KG is gone.
            KGMismatchError: ``kg`` is not the KG the model was trained on.
        """
        from transformers import AutoTokenizer

        from fusion.heads import KgFusionForSequenceClassification, KgFusionForTokenClassification
        from fusion.model import register_auto_classes
        from fusion.retrieval import FactIndex

        register_auto_classes()  # so the tokenizer loader reads the folder's config type
        folder = Path(folder)
        meta = load_model_meta(folder)
        task = meta.get("task")
        if task not in TASKS:
            raise FileNotFoundError(
                f"{folder} holds no task model (task {task!r}); `kgfuse predict` reads models "
                "trained with `kgfuse train --task ...`"
            )
        if kg is None:
            kg_path = meta.get("kg_path")
            if not kg_path or not (is_endpoint(kg_path) or Path(kg_path).exists()):
                raise FileNotFoundError(
                    f"the KG the model at {folder} was trained on ({kg_path}) is not there; "
                    "pass it with --kg"
                )
            kg = KnowledgeGraph.open(kg_location(kg_path))
        if meta["kg_fingerprint"] != kg.fingerprint:
            raise KGMismatchError(f"the model at {folder}", meta["kg_fingerprint"], kg.fingerprint)
        model_class = (
            KgFusionForTokenClassification
            if task == "token-classification"
            else KgFusionForSequenceClassification
        )
        model = load_pretrained(model_class, folder)
        tokenizer = None
        if model.config.uses_text:
            tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
        fact_index = None
        if model.config.uses_facts and (folder / FACTS_DIR).is_dir():
            fact_index = FactIndex.load(folder / FACTS_DIR, kg)
        builder = TaskInputBuilder(
            kg, build_linker(kg, meta.get("linker", {})), fact_index, model.config.num_facts
        )
        return cls(model, tokenizer, builder, meta, threshold, precision)

    @torch.no_grad()
    def _forward(self, prepared: Sequence[PreparedText]) -> tuple[Tensor, Tensor | None]:
        """The logits of one batch of prepared texts, with the tokens' character offsets
        (token classification; None otherwise)."""
        batch = cast_inputs(self.collator([TaskItem(p.input) for p in prepared]), self.precision)
        offsets = batch.pop("offset_mapping", None)
        return self.model(**batch).logits.float(), offsets

    def predict_prepared(self, prepared: Sequence[PreparedText]) -> list[dict[str, Any]]:
        """Outputs (without ``id``) of already prepared texts, one batch."""
        logits, offsets = self._forward(prepared)
        return [
            self._output(logits[r], None if offsets is None else offsets[r], p)
            for r, p in enumerate(prepared)
        ]

    def _output(self, logits: Tensor, offsets: Tensor | None, p: PreparedText) -> dict[str, Any]:
        """The output of one prepared text from its logits (and its tokens' offsets)."""
        record: dict[str, Any]
        if offsets is not None:  # token classification
            probs = torch.softmax(logits, -1)
            best, ids = probs.max(-1)
            spans = decode_spans(ids.tolist(), best.tolist(), offsets, self.id2label, p.input.text)
            record = {"spans": [s.to_record() for s in spans]}
        else:
            record = self._labels(logits)
        record["concepts"] = _concepts(p.findings)
        record["facts"] = len(p.facts)
        return record

    def _labels(self, logits: Tensor) -> dict[str, Any]:
        """``label`` (or ``labels``) and ``scores`` of one text's classification logits."""
        if self.problem_type == "multi_label_classification":
            probs = torch.sigmoid(logits)
            scores = {self.id2label[i]: float(v) for i, v in enumerate(probs.tolist())}
            return {
                "labels": [k for k, v in scores.items() if v >= self.threshold],
                "scores": _rounded(scores),
            }
        probs = torch.softmax(logits, -1)
        scores = {self.id2label[i]: float(v) for i, v in enumerate(probs.tolist())}
        return {"label": max(scores, key=scores.__getitem__), "scores": _rounded(scores)}

    def combine_windows(self, logits: Tensor) -> Tensor:
        """One text's classification logits from those of its windows, ``(W, L) -> (L,)``.

        One label per text: the mean of the windows' logits. Its softmax is the normalised
        geometric mean of the windows' probabilities (a product of experts): every window
        is evidence about the one label of the text, a window that favours no label moves
        the result little, and the order of the windows does not matter.

        Several labels per text: the highest logit of each label over the windows, so a
        label's probability is its highest in any window: a text has a label when some
        part of it shows it (a long report that describes a burglary in one paragraph is
        about burglary), which a mean would dilute by the other paragraphs.

        Both are exact, deterministic reductions over the windows in text order.
        """
        if self.problem_type == "multi_label_classification":
            return logits.amax(0)
        return logits.mean(0)

    def _windowed_output(
        self, pieces: Sequence[tuple[int, PreparedText]], logits: Sequence[Tensor]
    ) -> dict[str, Any]:
        """The output of a text classified in windows (:meth:`combine_windows`), with its
        windows' concepts at their places in the whole text and a warning saying so."""
        record = self._labels(self.combine_windows(torch.stack(list(logits))))
        record["concepts"] = [
            {**c, "start": c["start"] + offset, "end": c["end"] + offset}
            for offset, p in pieces
            for c in _concepts(p.findings)
        ]
        record["facts"] = sum(len(p.facts) for _, p in pieces)
        how = (
            "each label scored by its highest score in any window"
            if self.problem_type == "multi_label_classification"
            else "the windows' logits averaged"
        )
        n = len(pieces)
        record["warnings"] = [
            f"the text is longer than the {self.collator.base.max_length} tokens the model "
            f"reads at once: read in {n} window{'s' if n != 1 else ''} cut at sentence ends, "
            f"{how}"
        ]
        return record

    def prepare(self, text: str) -> list[tuple[int, PreparedText]]:
        """``(offset, prepared window)`` pairs of a text: the :func:`sentence_windows` of the
        token budget (``max_length`` less ``[CLS]`` and ``[SEP]``), so nothing past the
        budget is lost; one window, the whole text, when it fits the budget (text
        classification) or the model reads no tokens (KG only)."""
        if self.tokenizer is None:
            return [(0, self.builder.prepare(text))]
        budget = self.collator.base.max_length - 2  # [CLS] and [SEP]

        def count(piece: str) -> int:
            return len(self.tokenizer(piece, add_special_tokens=False)["input_ids"])

        if self.problem_type != "token_classification" and count(text) <= budget:
            return [(0, self.builder.prepare(text))]
        return [
            (a, self.builder.prepare(text[a:b])) for a, b in sentence_windows(text, count, budget)
        ]

    def _predict_texts(
        self, texts: Sequence[list[tuple[int, PreparedText]]], batch_size: int
    ) -> list[dict[str, Any]]:
        flat = [p for pieces in texts for _, p in pieces]
        rows: list[tuple[Tensor, Tensor | None]] = []
        for lo in range(0, len(flat), batch_size):
            logits, offsets = self._forward(flat[lo : lo + batch_size])
            rows += [
                (logits[r], None if offsets is None else offsets[r]) for r in range(len(logits))
            ]
        out, k = [], 0
        for pieces in texts:
            windows = rows[k : k + len(pieces)]
            k += len(pieces)
            whole = len(pieces) == 1 and pieces[0][0] == 0
            if self.problem_type == "token_classification" or whole:
                parts = [
                    self._output(logits, offsets, p)
                    for (logits, offsets), (_, p) in zip(windows, pieces, strict=True)
                ]
                out.append(_merge([offset for offset, _ in pieces], parts))
            else:
                out.append(self._windowed_output(pieces, [logits for logits, _ in windows]))
        return out

    def predict(self, texts: Sequence[str], batch_size: int = 32) -> list[dict[str, Any]]:
        """Outputs of ``texts``: ``label`` / ``labels`` / ``spans``, ``scores``, ``concepts``,
        ``facts``, and ``warnings`` for a text classified in windows (:meth:`prepare`)."""
        out: list[dict[str, Any]] = []
        for lo in range(0, len(texts), batch_size):
            chunk = [self.prepare(t) for t in texts[lo : lo + batch_size]]
            out += self._predict_texts(chunk, batch_size)
        return out

    def predict_records(
        self, records: Iterable[tuple[int, Any]], batch_size: int = 32
    ) -> Iterator[dict[str, Any]]:
        """The JSONL contract: ``(line, {"id", "text"} or an error)`` in, one output per input,
        in order; a bad record gives ``{"id", "error"}`` and the rest goes on."""
        pending: list[tuple[Any, list[tuple[int, PreparedText]]]] = []

        def flush() -> Iterator[dict[str, Any]]:
            if pending:
                results = self._predict_texts([p for _, p in pending], batch_size)
                for (rid, _), result in zip(pending, results, strict=True):
                    yield {"id": rid, **result}
                pending.clear()

        started = time.perf_counter()
        n = 0
        for lineno, raw in records:
            if isinstance(raw, Mapping):
                rid = raw.get("id", lineno)
            else:  # an error record names the record's own id where the line gave it
                named = getattr(raw, "record_id", None)
                rid = lineno if named is None else named
            try:
                text = _record_text(raw, lineno)
                prepared = self.prepare(text)
            except (TaskRecordError, ValueError) as exc:
                yield from flush()
                yield {"id": rid, "error": str(exc)}
                continue
            pending.append((rid, prepared))
            n += 1
            if len(pending) >= batch_size:
                yield from flush()
        yield from flush()
        logger.info("predicted %d records in %.2f s", n, time.perf_counter() - started)


def _merge(offsets: Sequence[int], parts: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """One output from the outputs of a text's windows (character offsets shifted back)."""
    if len(parts) == 1 and offsets[0] == 0:
        return parts[0]
    merged: dict[str, Any] = {"spans": [], "concepts": [], "facts": 0}
    for offset, part in zip(offsets, parts, strict=True):
        for key in ("spans", "concepts"):
            for item in part.get(key, []):
                merged[key].append(
                    {**item, "start": item["start"] + offset, "end": item["end"] + offset}
                )
        merged["facts"] += part.get("facts", 0)
    return merged


def _concepts(findings: Sequence[LinkedFinding]) -> list[dict[str, Any]]:
    """The ``concepts`` of an output: the linked mentions of a text."""
    return [
        {
            "curie": _curie(f.iri),
            "start": f.start,
            "end": f.end,
            "text": f.text,
            "excluded": f.excluded,
        }
        for f in findings
    ]


def _record_text(raw: Any, lineno: int) -> str:
    if isinstance(raw, Exception):
        raise TaskRecordError(str(raw))
    if not isinstance(raw, Mapping):
        raise TaskRecordError(f"line {lineno}: expected a JSON object, got {type(raw).__name__}")
    text = raw.get("text")
    if not isinstance(text, str):
        raise TaskRecordError(f"line {lineno}: 'text' must be a string")
    if not text.strip():
        raise TaskRecordError(f"line {lineno}: empty text")
    if len(text) > MAX_TEXT_CHARS:
        raise TaskRecordError(
            f"line {lineno}: text of {len(text):,} characters exceeds {MAX_TEXT_CHARS:,}"
        )
    return text


def _rounded(scores: Mapping[str, float]) -> dict[str, float]:
    return {k: round(v, 4) for k, v in scores.items()}


def _curie(iri: str) -> str:
    from kg.namespaces import compress

    return compress(iri)
