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
so). Sentences end at ``.!?;`` before white space, at ``。！？；`` (CJK) and at line breaks; a
sentence longer than the budget is cut between words, and a word (or a run of CJK text)
longer than that at the budget's last token; a window the encoder still cannot read whole
is named in the output's ``warnings``.

:class:`TaskInputBuilder` links as the diagnoser does (:func:`fusion.pipeline.patient_findings`):
a relative's finding is left out, and so is a hedged or hypothetical one, named in the
output's ``warnings``.

``kgfuse predict`` writes one output per non-blank input line, in order; its ``id`` is the
record's own ``id``, else ``"line-N"`` (N the line number, as ``kgfuse link`` names a line
it cannot read): a record without an id, a line that is not JSON or not a JSON object. A
record that cannot be labelled gives ``{"id", "error"}``.

A task model folder holds the transformers checkpoint (``config.json`` with the label set,
``model.safetensors``), the tokenizer, ``kgfuse_model.json`` (task, KG fingerprint and path,
linker settings, training config and its hash, the multi-label threshold) and ``facts/``
(the fact index, for cross-attention models).
"""

from __future__ import annotations

import json
import logging
import re
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from encoders.linker import ConceptLinker, LinkerConfig, linker_from_kg
from encoders.tokenizing import tokenize
from fusion.heads import IGNORE_INDEX
from fusion.inputs import PatientCollator, PatientInput
from fusion.pipeline import (
    KnowledgeInputBuilder,
    LinkedFinding,
    apply_precision,
    batch_logits,
    cast_inputs,
    check_model_kg,
    load_model_facts,
    load_model_meta,
    load_pretrained,
    load_tokenizer,
    patient_findings,
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
    "output_id",
    "sentence_windows",
    "tag_tokens",
    "token_counter",
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
            strict JSON may still name itself), reported instead of ``"line-N"``.
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

    A word's pieces take one label: that of its first piece tagged other than ``O`` (a weak
    tagger may tag ``postgre`` and ``##s`` apart; the word is one span's), the pieces after
    it continuing its span. A span starts at ``B-X`` (or at an ``I-X`` that does not continue
    a span of X) and goes on over ``I-X``; a ``B-X`` token glued to the previous token of a
    span of X (a word piece, no space between) continues it. A span that starts or ends
    inside a word the tokens leave characters of uncovered (a combining mark) is widened to
    the whole word, unless that would reach the next or previous span. A span's score is
    the mean probability of the tags it was read from (a word's pieces of its label).
    """
    tags, counted = _word_tags([id2tag[int(t)] for t in tag_ids], offsets, text)
    spans: list[PredictedSpan] = []
    current: list[Any] | None = None  # [start, end, label, scores]

    def close() -> None:
        nonlocal current
        if current is not None:
            start, end, label, scores = current
            spans.append(PredictedSpan(start, end, label, float(np.mean(scores)), text[start:end]))
        current = None

    for t, (tag, score) in enumerate(zip(tags, tag_scores, strict=False)):
        start, end = int(offsets[t, 0]), int(offsets[t, 1])
        if end <= start:
            continue
        if tag == OUTSIDE:
            close()
            continue
        prefix, _, label = tag.partition("-")
        scores = [float(score)] if counted[t] else []
        same = current is not None and current[2] == label
        if same and (prefix == "I" or start == current[1]):  # type: ignore[index]
            current[1] = end  # type: ignore[index]
            current[3].extend(scores)  # type: ignore[index]
            continue
        close()
        current = [start, end, label, scores]
    close()
    return _whole_words(spans, text)


def _word_tags(tags: list[str], offsets: Tensor, text: str) -> tuple[list[str], list[bool]]:
    """Each token's tag once the pieces of a word take one label (:func:`decode_spans`), and
    whether the token's own score counts for its span (it was tagged with that label)."""
    out, counted = list(tags), [tag != OUTSIDE for tag in tags]
    pieces: list[int] = []  # the tokens of the word being read

    def settle() -> None:
        first = next((t for t in pieces if tags[t] != OUTSIDE), None)
        if first is not None and len(pieces) > 1:
            prefix, _, label = tags[first].partition("-")
            out[pieces[0]] = f"{prefix}-{label}"  # the word starts as its first tagged piece
            for t in pieces[1:]:
                out[t] = f"I-{label}"
            for t in pieces:
                counted[t] = tags[t] != OUTSIDE and tags[t].partition("-")[2] == label
        pieces.clear()

    previous_end = None
    for t in range(len(tags)):
        start, end = int(offsets[t, 0]), int(offsets[t, 1])
        if end <= start:
            settle()
            previous_end = None
            continue
        glued = (
            previous_end == start
            and start > 0
            and _in_word(text[start - 1])
            and _in_word(text[start])
        )
        if not glued:
            settle()
        pieces.append(t)
        previous_end = end
    settle()
    return out, counted


#: CJK ideographs: BERT's pre-tokenizer reads each as a word of its own
#: (``BasicTokenizer._is_chinese_char``); kana and hangul it reads in runs, as other letters.
_CJK_IDEOGRAPHS = (
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xF900, 0xFAFF),
    (0x20000, 0x2A6DF),
    (0x2A700, 0x2B73F),
    (0x2B740, 0x2B81F),
    (0x2B820, 0x2CEAF),
    (0x2F800, 0x2FA1F),
)


def _is_cjk_ideograph(char: str) -> bool:
    code = ord(char)
    return any(lo <= code <= hi for lo, hi in _CJK_IDEOGRAPHS)


def _in_word(char: str) -> bool:
    """Whether ``char`` is part of a word as the tokenizer's pre-tokenizer reads one: a
    letter, digit or combining mark (an accent of NFD text, which the tokens' offsets may
    leave out), but not a CJK ideograph, which is a word by itself."""
    if _is_cjk_ideograph(char):
        return False
    return char.isalnum() or unicodedata.category(char).startswith("M")


def _whole_words(spans: list[PredictedSpan], text: str) -> list[PredictedSpan]:
    """``spans`` (in order, not overlapping) widened to word boundaries where free: over
    the letters, digits and combining marks on either side, never past a CJK ideograph."""
    out: list[PredictedSpan] = []
    for k, span in enumerate(spans):
        start, end = span.start, span.end
        floor = out[-1].end if out else 0
        ceiling = spans[k + 1].start if k + 1 < len(spans) else len(text)
        while start > floor and _in_word(text[start - 1]) and _in_word(text[start]):
            start -= 1
        while end < ceiling and _in_word(text[end]) and _in_word(text[end - 1]):
            end += 1
        if (start, end) != (span.start, span.end):
            span = PredictedSpan(start, end, span.label, span.score, text[start:end])
        out.append(span)
    return out


#: Sentence ends (and line breaks) where a long text is cut into windows: ``.!?;`` before
#: white space, the CJK full stop, exclamation and question marks and semicolon (which
#: need no space after them), and line breaks.
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+|(?<=[。！？；｡])\s*|\n+")


def token_counter(tokenizer: Any) -> Callable[[str], int]:
    """The number of tokens ``tokenizer`` makes of a piece of text, special tokens left out
    (the ``count_tokens`` of :func:`sentence_windows`)."""

    def count(piece: str) -> int:
        return len(tokenize(tokenizer, piece, add_special_tokens=False)["input_ids"])

    return count


def _cut_at_the_budget(
    text: str, a: int, b: int, count_tokens: Callable[[str], int], max_tokens: int
) -> list[tuple[int, int]]:
    """``text[a:b]``, one word of more than ``max_tokens`` tokens (a CJK run, a long URL),
    cut into pieces of at most ``max_tokens`` tokens each: each piece ends at the longest
    prefix that fits (found by doubling, then bisection, over characters; only prefixes
    about a window long are counted), at least one character long."""
    pieces: list[tuple[int, int]] = []
    while a < b:
        good, bad = a, b  # text[a:good] fits (or is empty); text[a:bad] does not, or bad == b
        step = max(1, max_tokens)
        while True:
            end = min(a + step, b)
            if count_tokens(text[a:end]) > max_tokens:
                bad = end
                break
            good = end
            if end == b:
                break
            step *= 2
        while bad - good > 1:
            mid = (good + bad) // 2
            if count_tokens(text[a:mid]) <= max_tokens:
                good = mid
            else:
                bad = mid
        end = max(good, a + 1)
        pieces.append((a, end))
        a = end
    return pieces


def sentence_windows(
    text: str, count_tokens: Callable[[str], int], max_tokens: int
) -> list[tuple[int, int]]:
    """``(start, end)`` character windows of ``text`` of at most ``max_tokens`` tokens each,
    cut at sentence ends (``.!?;`` before white space, ``。！？；``, line breaks); a sentence
    longer than that is cut between words, and a word longer than that (a run of CJK text
    has no spaces) at the character where the budget ends.

    A text is read in such windows, so nothing past the token budget of the encoder is
    lost. Only a single character of more than ``max_tokens`` tokens makes a longer window.
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
            first, last = words[lo][0], words[hi - 1][1]
            if hi == lo + 1 and count_tokens(text[first:last]) > max_tokens:
                units += _cut_at_the_budget(text, first, last, count_tokens, max_tokens)
            else:
                units.append((first, last))
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
    """A model input with what outputs report: the linked concepts and retrieved facts, and
    warnings (hedged findings left out, a window the encoder cannot read whole)."""

    input: PatientInput
    findings: list[LinkedFinding]
    facts: list[Any] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class TaskInputBuilder(KnowledgeInputBuilder):
    """Links a text to the KG's concepts and retrieves the facts touching them.

    The patient's findings count, present or excluded (the status reaches the model through
    entity-token fusion), as the diagnoser reads them (:meth:`link`): a relative's finding
    and a hedged one are left out. Facts are those whose subject or object is a linked
    concept.

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
        """The findings in ``text`` by the diagnoser's rule
        (:func:`fusion.pipeline.patient_findings`), so a task model and ``kgfuse diagnose``
        see the same findings of a text."""
        return patient_findings(self.linker, text)[0]

    def prepare(self, text: str) -> PreparedText:
        findings, warnings = patient_findings(self.linker, text)
        iris = list(dict.fromkeys(f.iri for f in findings))
        facts, vectors = self.retrieve(iris)
        return PreparedText(
            PatientInput(text, self.mentions(findings), vectors), findings, facts, warnings
        )


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


def output_id(lineno: int, raw: Any) -> Any:
    """The ``id`` of the output record of an input line (:meth:`TaskPredictor.predict_records`):
    the record's own (an error record names it where the line gave it), else ``"line-N"``."""
    named = raw.get("id") if isinstance(raw, Mapping) else getattr(raw, "record_id", None)
    return f"line-{lineno}" if named is None else named


class TaskPredictor:
    """A trained task model ready to label texts. Use :meth:`load`, then :meth:`predict`.

    Args:
        model: a :class:`~fusion.heads.KgFusionForSequenceClassification` or
            :class:`~fusion.heads.KgFusionForTokenClassification`.
        tokenizer: its tokenizer (None for KG-only models).
        builder: the input builder (linker and fact index of the KG).
        meta: the model folder's ``kgfuse_model.json``.
        threshold: probability from which a label is given (multi-label). (default: None:
            the one saved with the model, ``kgfuse_model.json``'s ``threshold``, else 0.5)
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
        threshold: float | None = None,
        precision: str = "fp32",
    ) -> None:
        self.model = model.eval()
        #: the resolved precision of the encoder (the heads stay fp32)
        self.precision = apply_precision(self.model.kgfusion, precision)
        self.tokenizer = tokenizer
        self.builder = builder
        self.meta = dict(meta)
        self.threshold = float(self.meta.get("threshold", 0.5)) if threshold is None else threshold
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
        threshold: float | None = None,
        precision: str = "fp32",
    ) -> TaskPredictor:
        """Load a task model folder with its KG (the one it was trained on by default), its
        encoder in ``precision``, deciding labels (multi-label) at ``threshold`` (default:
        the threshold it was trained with).

        Raises:
            FileNotFoundError: no task model in ``folder``, or its KG is gone.
            KGMismatchError: ``kg`` is not the KG the model was trained on.
        """

        from fusion.heads import KgFusionForSequenceClassification, KgFusionForTokenClassification
        from fusion.model import register_auto_classes

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
        check_model_kg(model, kg, folder)  # the weights' own KG too
        tokenizer = load_tokenizer(folder) if model.config.uses_text else None
        fact_index = load_model_facts(folder, model, meta, kg)
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
        return batch_logits(self.model, batch, self.precision), offsets

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
        if p.warnings:
            record["warnings"] = list(p.warnings)
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
            f"{how}",
            *_window_warnings(p for _, p in pieces),
        ]
        return record

    def prepare(self, text: str) -> list[tuple[int, PreparedText]]:
        """``(offset, prepared window)`` pairs of a text: the :func:`sentence_windows` of the
        token budget (``max_length`` less the special tokens), so nothing past the budget is
        lost; one window, the whole text, when it fits the budget (text classification) or
        the model reads no tokens (KG only). A window of more tokens than the budget (one
        character of many tokens) carries a warning that the model reads only its first
        ones."""
        if self.tokenizer is None:
            return [(0, self.builder.prepare(text))]
        budget = self.collator.base.max_length - self.tokenizer.num_special_tokens_to_add()
        count = token_counter(self.tokenizer)
        if self.problem_type != "token_classification" and count(text) <= budget:
            return [(0, self.builder.prepare(text))]
        out = []
        for a, b in sentence_windows(text, count, budget):
            prepared = self.builder.prepare(text[a:b])
            tokens = count(text[a:b])
            if tokens > budget:
                prepared.warnings.append(
                    f"characters {a}-{b} of the text make {tokens} tokens, more than the "
                    f"{budget} the model reads at once: it read only their first {budget}"
                )
            out.append((a, prepared))
        return out

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
        """Outputs of ``texts``: ``label`` and ``scores`` (one label per text), ``labels``
        and ``scores`` (several), or ``spans`` (tokens, each with its ``score``); then
        ``concepts``, ``facts``, and ``warnings`` where there are some: a text classified in
        windows (:meth:`prepare`), a window read only in part, hedged findings left out."""
        out: list[dict[str, Any]] = []
        for lo in range(0, len(texts), batch_size):
            chunk = [self.prepare(t) for t in texts[lo : lo + batch_size]]
            out += self._predict_texts(chunk, batch_size)
        return out

    def predict_records(
        self, records: Iterable[tuple[int, Any]], batch_size: int = 32
    ) -> Iterator[dict[str, Any]]:
        """The JSONL contract: ``(line, {"id", "text"} or an error)`` in, one output per input,
        in order; a bad record gives ``{"id", "error"}`` and the rest goes on. The ``id`` is
        the record's own (an error of a line that is not strict JSON may still carry it,
        :class:`TaskRecordError`), else ``"line-N"`` (as ``kgfuse link`` names a line it
        cannot read), so it never collides with a record's own integer id."""
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
            rid = output_id(lineno, raw)
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
    """One output from the outputs of a text's windows (character offsets shifted back,
    the windows' warnings once each)."""
    if len(parts) == 1 and offsets[0] == 0:
        return parts[0]
    merged: dict[str, Any] = {"spans": [], "concepts": [], "facts": 0}
    warnings: dict[str, None] = {}
    for offset, part in zip(offsets, parts, strict=True):
        for key in ("spans", "concepts"):
            for item in part.get(key, []):
                merged[key].append(
                    {**item, "start": item["start"] + offset, "end": item["end"] + offset}
                )
        merged["facts"] += part.get("facts", 0)
        warnings.update(dict.fromkeys(part.get("warnings", [])))
    if warnings:
        merged["warnings"] = list(warnings)
    return merged


def _window_warnings(prepared: Iterable[PreparedText]) -> list[str]:
    """The warnings of a text's windows, once each, in order."""
    return list(dict.fromkeys(w for p in prepared for w in p.warnings))


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
