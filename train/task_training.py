"""Training a text or token classifier on the fused model from a user's labelled data.

``train_task(config)`` reads and checks the data (``train.task_data``), links every text to
the KG's concepts with the dictionary linker, retrieves the facts touching them, and trains
:class:`fusion.heads.KgFusionForSequenceClassification` or
:class:`fusion.heads.KgFusionForTokenClassification` with the loop the diagnosis model uses
(``train.loop``: seeded, resumable checkpoints, early stopping on validation). The graph
embeddings and the fact index are the KG's cached ones (``train.diagnosis``), so a task on
a KG already embedded starts at once; a ``text_only`` model reads neither, and none is made.

The encoder reads the first ``model.max_length`` tokens of a text in training (and in
validation of text classification). Token classification is validated on the sentence
windows ``kgfuse predict`` reads (:meth:`fusion.tasks.TaskPredictor.prepare`), so no gold
span is lost to the budget there. Logged as warnings before training starts: texts longer
than the budget (text classification); training spans past it (not learnt) and across it
(learnt cut short); validation spans across a window's end (no prediction matches them);
gold spans that no tagging of the tokens decodes back.

Validation metrics: accuracy and macro-F1 (one label), micro-F1 (several labels), exact
span P/R/F1 (tokens); see :mod:`eval.task_metrics`.
"""

from __future__ import annotations

import bisect
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from eval.task_metrics import classification_metrics, multilabel_metrics, span_metrics
from fusion.heads import (
    IGNORE_INDEX,
    KgFusionForSequenceClassification,
    KgFusionForTokenClassification,
)
from fusion.pipeline import model_meta
from fusion.retrieval import FactIndex
from fusion.tasks import (
    OUTSIDE,
    TaskCollator,
    TaskInputBuilder,
    TaskItem,
    bio_tags,
    build_linker,
    decode_spans,
    linker_settings,
    sentence_windows,
    tag_tokens,
    token_counter,
)
from kg.knowledge_graph import KnowledgeGraph
from kg.remote import kg_location
from kg.store import default_kg_path, kgfuse_home
from train.checkpoint import holding_output_folder
from train.config import TaskConfig, run_fingerprint
from train.diagnosis import ensure_embeddings, ensure_fact_index
from train.distributed import DistributedContext, is_main, main_rank_first, to_device, world_size
from train.loop import (
    LoopResult,
    autocast,
    save_model_folder,
    training_device,
    use_bf16,
)
from train.result_json import write_result_json
from train.run import (
    TrainRunResult,
    fit_into_folder,
    fused_model_settings,
    new_fused_model,
    run_measures,
    start_run,
    trained_on,
)
from train.task_data import LabelledSpan, TaskData, TaskExample, load_task_data

logger = logging.getLogger(__name__)

__all__ = [
    "TaskTrainResult",
    "evaluate_items",
    "prepare_items",
    "spans_past_budget",
    "texts_past_budget",
    "train_task",
    "undecodable_spans",
    "validation_windows",
]

#: The graph-embedding table is rebuilt from the KG's cached embeddings, not checkpointed.
_SKIP = {"kgfusion.node_embeddings"}
#: The metric that selects the best epoch, per problem type.
SELECT = {
    "single_label_classification": "macro_f1",
    "multi_label_classification": "micro_f1",
    "token_classification": "f1",
}


@dataclass(kw_only=True)
class TaskTrainResult(TrainRunResult):
    """What a task training run produced and measured: :class:`train.run.TrainRunResult`,
    with the task, its labels and its data."""

    task: str
    labels: list[str]
    examples: int
    valid_examples: int
    #: the share of training texts with a linked concept
    linked_fraction: float


def _target(example: TaskExample, data: TaskData, label2id: dict[str, int]) -> Any:
    if data.kind == "single":
        return label2id[example.label]  # type: ignore[index]
    if data.kind == "multi":
        hot = np.zeros(len(data.labels), dtype=np.float32)
        for name in example.labels or ():
            hot[label2id[name]] = 1.0
        return hot
    return tuple((s.start, s.end, s.label) for s in example.spans or ())


def prepare_items(
    examples: Sequence[TaskExample], data: TaskData, builder: TaskInputBuilder
) -> list[TaskItem]:
    """Model inputs (linked concepts and retrieved facts) with targets, one per example."""
    label2id = {name: i for i, name in enumerate(data.labels)}
    return [
        TaskItem(builder.prepare(ex.text).input, _target(ex, data, label2id)) for ex in examples
    ]


def spans_past_budget(
    examples: Sequence[TaskExample], tokenizer: Any, max_length: int
) -> tuple[int, int, int]:
    """How many spans lie wholly past the tokens the encoder reads of their text (truncated
    at ``max_length``), how many start before that end and end after it, and how many
    spans there are."""
    past = cut = total = 0
    for example in examples:
        if not example.spans:
            continue
        encoded = tokenizer(
            example.text, truncation=True, max_length=max_length, return_offsets_mapping=True
        )
        read = max((end for start, end in encoded["offset_mapping"] if end > start), default=0)
        total += len(example.spans)
        past += sum(span.start >= read for span in example.spans)
        cut += sum(span.start < read < span.end for span in example.spans)
    return past, cut, total


def validation_windows(
    examples: Sequence[TaskExample], tokenizer: Any, max_length: int
) -> tuple[list[TaskExample], int]:
    """Token-classification examples cut into the sentence windows ``kgfuse predict``
    reads (:func:`fusion.tasks.sentence_windows` of the budget ``max_length`` less the
    special tokens), each window an example of its own holding the gold spans that start
    in it, in its own offsets.

    A span that runs past its window's end keeps its end there, past the window's text:
    no prediction of the window matches it, so validation counts it as a miss, as it is
    one for ``kgfuse predict``; exact span P/R/F1 summed over the windows is then that of
    the whole texts.

    Returns:
        The windows, in order, and how many gold spans run past their window's end.
    """
    count = token_counter(tokenizer)
    budget = max_length - tokenizer.num_special_tokens_to_add()
    out: list[TaskExample] = []
    crossing = 0
    for example in examples:
        windows = sentence_windows(example.text, count, budget)
        starts = [a for a, _ in windows]
        inside: list[list[LabelledSpan]] = [[] for _ in windows]
        for span in example.spans or ():
            k = max(bisect.bisect_right(starts, span.start) - 1, 0)
            a, b = windows[k]
            crossing += span.end > b
            inside[k].append(LabelledSpan(span.start - a, span.end - a, span.label))
        for (a, b), spans in zip(windows, inside, strict=True):
            out.append(
                TaskExample(example.text[a:b], spans=tuple(spans), id=example.id, line=example.line)
            )
    return out, crossing


def texts_past_budget(examples: Sequence[TaskExample], tokenizer: Any, max_length: int) -> int:
    """How many texts have more tokens (with ``[CLS]`` and ``[SEP]``) than the encoder reads
    (``max_length``): training and validation read only their first ``max_length``."""
    return sum(
        len(tokenizer(ex.text, truncation=True, max_length=max_length + 1)["input_ids"])
        > max_length
        for ex in examples
    )


def undecodable_spans(
    examples: Sequence[TaskExample], tokenizer: Any, max_length: int
) -> tuple[int, int, str]:
    """Gold spans that no tagging of the tokens decodes back to (:func:`decode_spans` of
    their own BIO tags gives other spans): a span that starts or ends inside a word piece
    ("anti[burglary]"), or glued to a span of the same label with no space between
    ("theft" + "burglary" in "theftburglary"). Validation counts them as misses whatever
    the model learns. Spans not wholly within the first ``max_length`` tokens are left to
    :func:`spans_past_budget`.

    Returns:
        How many such spans, how many spans were checked, and the first one shown as
        ``line N: 'text' (start-end label)`` ("" when none).
    """
    labels = sorted({s.label for ex in examples for s in ex.spans or ()})
    tags = bio_tags(labels)
    tag2id = {tag: i for i, tag in enumerate(tags)}
    id2tag = dict(enumerate(tags))
    bad = total = 0
    first = ""
    for example in examples:
        if not example.spans:
            continue
        encoded = tokenizer(
            example.text, truncation=True, max_length=max_length, return_offsets_mapping=True
        )
        offsets = torch.tensor(encoded["offset_mapping"], dtype=torch.long).reshape(-1, 2)
        read = int(offsets[:, 1].max()) if len(offsets) else 0
        gold = [(s.start, s.end, s.label) for s in example.spans if s.end <= read]
        ids = tag_tokens(offsets, gold, tag2id)
        ids[ids == IGNORE_INDEX] = tag2id[OUTSIDE]  # special tokens are skipped by offsets
        decoded = decode_spans(ids.tolist(), [1.0] * len(ids), offsets, id2tag, example.text)
        found = {(s.start, s.end, s.label) for s in decoded}
        total += len(gold)
        for start, end, label in gold:
            if (start, end, label) not in found:
                bad += 1
                if not first:
                    first = (
                        f"line {example.line}: {example.text[start:end]!r} ({start}-{end} {label})"
                    )
    return bad, total, first


def _warn_about_the_token_budget(
    data: TaskData,
    tokenizer: Any,
    max_length: int,
    valid_windows: Sequence[TaskExample] = (),
    crossing: int = 0,
) -> None:
    """Log, once each, what the encoder's token budget hides from training and validation:
    long texts (classification); training spans past the budget or across it, validation
    spans across a window's end (``valid_windows`` and ``crossing`` of
    :func:`validation_windows`), and spans no tagging can decode (token classification)."""
    if data.kind != "spans":
        long_train = texts_past_budget(data.train, tokenizer, max_length)
        long_valid = texts_past_budget(data.valid, tokenizer, max_length)
        if long_train or long_valid:
            logger.warning(
                "%d of %d training texts and %d of %d validation texts are longer than "
                "model.max_length=%d tokens: only their first %d tokens are learnt from and "
                "validated (kgfuse predict reads a long text whole, in windows): raise "
                "model.max_length (at most 512) or split the texts",
                long_train,
                len(data.train),
                long_valid,
                len(data.valid),
                max_length,
                max_length,
            )
        return
    past, cut, total = spans_past_budget(data.train, tokenizer, max_length)
    if past or cut:
        logger.warning(
            "%d of %d training spans lie past the first model.max_length=%d tokens of "
            "their texts and are not learnt, and %d more run across that end and are learnt "
            "cut short (kgfuse predict and validation read a long text whole, in sentence "
            "windows): raise model.max_length (at most 512) or split the texts",
            past,
            total,
            max_length,
            cut,
        )
    if crossing:
        logger.warning(
            "%d of %d validation spans run across the end of a sentence window (a long text "
            "is read in windows of model.max_length=%d tokens cut at sentence ends, or inside "
            "a longer sentence): no prediction can match them and validation counts them as "
            "misses; keep spans within a sentence",
            crossing,
            sum(len(ex.spans or ()) for ex in data.valid),
            max_length,
        )
    for name, examples in (("training", data.train), ("validation", valid_windows)):
        bad, checked, first = undecodable_spans(examples, tokenizer, max_length)
        if bad:
            logger.warning(
                "%d of %d %s spans cannot be decoded from the tokens' tags (they start or "
                "end inside a word piece, or touch a span of the same label with no space "
                "between), e.g. %s: the model cannot predict them exactly%s; put span "
                "boundaries between words",
                bad,
                checked,
                name,
                first,
                " and validation counts them as misses" if name == "validation" else "",
            )


def build_task_model(
    config: TaskConfig,
    data: TaskData,
    node_embeddings: torch.Tensor,
    fact_index: FactIndex | None,
    kg: KnowledgeGraph,
) -> tuple[KgFusionForSequenceClassification | KgFusionForTokenClassification, Any]:
    """A new task model (and its tokenizer) with the KG's graph embeddings as a buffer."""
    m = config.model
    names = bio_tags(data.labels) if data.kind == "spans" else list(data.labels)
    settings = fused_model_settings(m, node_embeddings, fact_index, kg.fingerprint)
    settings.update(
        id2label=dict(enumerate(names)), label2id={name: i for i, name in enumerate(names)}
    )
    model_class: type[KgFusionForSequenceClassification] | type[KgFusionForTokenClassification]
    if data.kind == "spans":
        if m.fusion == "kg_only":
            raise ValueError("token classification needs a text encoder: choose another fusion")
        model_class = KgFusionForTokenClassification
    else:
        model_class = KgFusionForSequenceClassification
        settings["problem_type"] = data.problem_type
    return new_fused_model(model_class, m, settings, node_embeddings)


@torch.no_grad()
def evaluate_items(
    model: Any,
    items: Sequence[TaskItem],
    collator: TaskCollator,
    *,
    threshold: float = 0.5,
    bf16: bool = False,
    batch_size: int = 32,
) -> dict[str, float]:
    """Validation metrics of ``items`` (see :mod:`eval.task_metrics`)."""
    model.eval()
    device = next(model.parameters()).device
    problem = collator.problem_type
    id2label = {int(k): v for k, v in model.config.id2label.items()}
    preds: list[Any] = []
    golds: list[Any] = []
    for lo in range(0, len(items), batch_size):
        chunk = items[lo : lo + batch_size]
        batch = collator(chunk)
        batch.pop("labels", None)
        offsets = batch.pop("offset_mapping", None)
        with autocast(bf16, device):
            logits = model(**to_device(batch, device)).logits.float().cpu()
        if problem == "single_label_classification":
            preds += logits.argmax(-1).tolist()
            golds += [int(i.target) for i in chunk]  # type: ignore[arg-type]
        elif problem == "multi_label_classification":
            preds += list((torch.sigmoid(logits) >= threshold).numpy())
            golds += [np.asarray(i.target) > 0.5 for i in chunk]
        elif offsets is not None:
            probs = torch.softmax(logits, -1)
            best, ids = probs.max(-1)
            for r, item in enumerate(chunk):
                spans = decode_spans(
                    ids[r].tolist(), best[r].tolist(), offsets[r], id2label, item.input.text
                )
                preds.append({(s.start, s.end, s.label) for s in spans})
                golds.append(set(item.target))  # type: ignore[arg-type]
    if problem == "single_label_classification":
        return classification_metrics(preds, golds)
    if problem == "multi_label_classification":
        return multilabel_metrics(np.stack(preds), np.stack(golds))
    return span_metrics(preds, golds)


def task_output(config: TaskConfig, home: Path | None = None) -> Path:
    """The model folder a task run writes: ``output``, else ``<home>/models/<task>``."""
    return Path(config.output) if config.output else kgfuse_home(home) / "models" / config.task


def check_task_config(config: TaskConfig) -> None:
    """Refuse, before the output folder is made, what would fail a run at once: no training
    data, a data file that is not there, token classification on a model that reads no
    text, a training device that is not there.

    Raises:
        ValueError: no data, the fusion cannot tag tokens, or no such device.
        FileNotFoundError: a data file is missing.
    """
    training_device(config.train.device)
    if config.data is None:
        raise ValueError("no training data: pass --data TRAIN.jsonl (or data= in the config)")
    for path in (config.data, config.valid):
        if path is not None and not Path(path).is_file():
            raise FileNotFoundError(f"data file not found: {path}")
    if config.task == "token-classification" and config.model.fusion == "kg_only":
        raise ValueError(
            "model.fusion=kg_only reads no text, and token classification tags the text's "
            "tokens: choose cross_attention, entity_token or text_only"
        )


@holding_output_folder(task_output, check_task_config)
def train_task(
    config: TaskConfig,
    *,
    home: Path | None = None,
    progress: bool = True,
    resume: bool = True,
    on_epoch: Callable[[list[dict[str, float]]], None] | None = None,
    distributed: DistributedContext | None = None,
) -> TaskTrainResult:
    """Train (or resume) a text or token classifier as ``config`` says (module docstring).

    Args:
        config: the typed configuration (``data`` is required).
        home: kgfuse home (KG, embeddings and model defaults live there).
        progress: show progress bars.
        resume: continue from the checkpoint in the output folder when there is one.
        on_epoch: called with the history after each epoch (see :func:`train.loop.fit`).
        distributed: this process's rank in a DDP run (``train.distributed``); rank 0
            prepares the cached embeddings and index first, validates, checkpoints and saves
            the model.

    Raises:
        ValueError: no training data given, or an invalid setting.
        train.task_data.TaskDataError: a bad data file (file:line).
        train.checkpoint.FolderBusyError: another run is training into the output folder.
    """
    if config.data is None:  # for mypy: check_task_config refused it
        raise ValueError("no training data: pass --data TRAIN.jsonl (or data= in the config)")
    started = start_run(config.train)
    data = load_task_data(config.task, config.data, config.valid)
    run = _prepare_run(config, data, home, progress, distributed)
    processes = world_size(distributed)
    loop = run.train(
        started,
        processes,
        resume=resume,
        progress=progress,
        on_epoch=on_epoch,
        distributed=distributed,
    )
    state = loop.state
    where = trained_on(run.model, run.bf16)
    run.model.cpu()
    if is_main(distributed):
        run.save_model(state)
    result = run.result(state, started, processes, where)
    if is_main(distributed):
        write_result_json(run.out, result)
    return result


@dataclass
class _TaskRun:
    """A task run, prepared: its texts as model inputs, the KG, the model and its collator."""

    config: TaskConfig
    data: TaskData
    kg: KnowledgeGraph
    kg_path: Path | str
    out: Path
    linker: dict[str, Any]
    fact_index: FactIndex | None
    train_items: list[TaskItem]
    valid_items: list[TaskItem]
    #: the share of training texts with a linked concept
    linked: float
    model: KgFusionForSequenceClassification | KgFusionForTokenClassification
    tokenizer: Any
    collator: TaskCollator
    #: training under bf16 autocast (``train.precision`` on the training device)
    bf16: bool

    def train(
        self,
        started: float,
        processes: int,
        *,
        resume: bool,
        progress: bool,
        on_epoch: Callable[[list[dict[str, float]]], None] | None,
        distributed: DistributedContext | None,
    ) -> LoopResult:
        """Train the model with :func:`train.loop.fit`, checkpointing into the output folder."""
        config, model = self.config, self.model

        def evaluate() -> tuple[dict[str, float], None]:
            return self.validate(self.bf16), None

        # frozen weights come back from the encoder folder when a run resumes: not checkpointed
        skip = _SKIP | {n for n, p in model.named_parameters() if not p.requires_grad}
        return fit_into_folder(
            model,
            config.train,
            self.out,
            num_examples=len(self.train_items),
            processes=processes,
            make_batch=self.batch,
            evaluate=evaluate if self.valid_items else None,
            select=SELECT[self.data.problem_type],
            started=started,
            resume=resume,
            progress=progress,
            bf16=self.bf16,
            skip=skip,
            # what the run computes from: its settings, the data files' bytes and the KG
            fingerprint=run_fingerprint(
                config.resume_fingerprint(), self.kg.fingerprint, config.data, config.valid
            ),
            distributed=distributed,
            on_epoch=on_epoch,
        )

    def batch(self, idx: list[int], epoch: int) -> dict[str, torch.Tensor]:
        """The training batch of the examples ``idx`` (the same in every epoch)."""
        batch = self.collator([self.train_items[i] for i in idx])
        batch.pop("offset_mapping", None)
        return batch

    def validate(self, bf16: bool) -> dict[str, float]:
        """The validation metrics of the model as it stands."""
        return evaluate_items(
            self.model, self.valid_items, self.collator, threshold=self.config.threshold, bf16=bf16
        )

    def save_model(self, state: dict[str, Any]) -> None:
        """Write the model folder: weights, tokenizer, fact index, metadata and config."""
        config = self.config
        meta = model_meta(
            self.kg,
            None,
            config.model_dump(mode="json"),
            config.config_hash(),
            task=config.task,
            labels=self.data.labels,
            kg_path=self.kg_path if isinstance(self.kg_path, str) else str(self.kg_path.resolve()),
            linker=self.linker,
            max_length=config.model.max_length,
            threshold=config.threshold,
            best_valid=state["best"],
            examples=len(self.train_items),
        )
        save_model_folder(
            self.out,
            self.model,
            self.tokenizer,
            meta=meta,
            config_yaml=config.to_yaml(),
            fact_index=self.fact_index,
        )

    def result(
        self, state: dict[str, Any], started: float, processes: int, where: tuple[str, str]
    ) -> TaskTrainResult:
        """What the run produced and measured (:func:`train.run.run_measures`, ``where``
        from :func:`train.run.trained_on`), with the task, its labels and its data."""
        return TaskTrainResult(
            output=self.out,
            task=self.config.task,
            labels=self.data.labels,
            examples=len(self.train_items),
            valid_examples=len(self.data.valid),
            linked_fraction=self.linked,
            **run_measures(state, started, processes, where),
        )


def _prepare_run(
    config: TaskConfig,
    data: TaskData,
    home: Path | None,
    progress: bool,
    distributed: DistributedContext | None,
) -> _TaskRun:
    """Open the KG, link the texts to it, and build the model (seeded, on the training
    device) and its collator."""
    # checked first: a device that is not there fails before any work
    device = distributed.device if distributed else training_device(config.train.device)
    kg_path = kg_location(config.kg) if config.kg else default_kg_path("hpo", home)
    kg = KnowledgeGraph.open(kg_path, home=home)
    out = task_output(config, home)
    node_embeddings, fact_index = _graph_inputs(kg, config, home, progress, distributed)
    linker = linker_settings(config.linker.allowed_roots, config.linker.min_depth)
    builder = TaskInputBuilder(kg, build_linker(kg, linker), fact_index, config.model.num_facts)
    train_items = prepare_items(data.train, data, builder)
    linked = _linked_fraction(train_items, data, reads_kg=config.model.fusion != "text_only")
    # the model's init from the seed alone, whatever ran before (embeddings trained or read)
    torch.manual_seed(config.train.seed)
    model, tokenizer = build_task_model(config, data, node_embeddings, fact_index, kg)
    torch.nn.Module.to(model, device)  # (transformers types .to so that mypy misreads it)
    valid_examples = _validation_examples(data, tokenizer, config.model.max_length)
    valid_items = prepare_items(valid_examples, data, builder)
    collator = TaskCollator(
        tokenizer,
        data.problem_type,
        {str(k): int(v) for k, v in (model.config.label2id or {}).items()},
        max_length=config.model.max_length,
        num_facts=config.model.num_facts,
        fact_dim=model.config.fact_dim,
    )
    return _TaskRun(
        config=config,
        data=data,
        kg=kg,
        kg_path=kg_path,
        out=out,
        linker=linker,
        fact_index=fact_index,
        train_items=train_items,
        valid_items=valid_items,
        linked=linked,
        model=model,
        tokenizer=tokenizer,
        collator=collator,
        bf16=use_bf16(config.train.precision, device),
    )


def _graph_inputs(
    kg: KnowledgeGraph,
    config: TaskConfig,
    home: Path | None,
    progress: bool,
    distributed: DistributedContext | None,
) -> tuple[torch.Tensor, FactIndex | None]:
    """The KG's graph embeddings (zeros for ``text_only``) and its fact index (None but for
    ``cross_attention``), trained and cached by one process while the others wait."""
    if config.model.fusion == "text_only":  # reads no graph embedding: none trained
        return torch.zeros(kg.graph.num_nodes, config.embedding.hidden_dim), None
    fact_index = None
    with main_rank_first(distributed):  # one process trains and caches, the others load
        node_embeddings = ensure_embeddings(kg, config, home, progress)
        if config.model.fusion == "cross_attention":
            fact_index = ensure_fact_index(kg, node_embeddings, progress)
    return node_embeddings, fact_index


def _linked_fraction(
    train_items: Sequence[TaskItem], data: TaskData, *, reads_kg: bool = True
) -> float:
    """The share of training texts with a linked concept, logged with the counts of texts
    (a warning when a model that reads the KG would find no concept in any text)."""
    linked = float(np.mean([bool(i.input.concepts) for i in train_items]))
    logger.info(
        "%d training texts (%.0f%% with a linked concept), %d validation texts",
        len(train_items),
        100 * linked,
        len(data.valid),
    )
    if reads_kg and linked == 0.0:
        logger.warning(
            "no training text names a concept of the KG: the model learns from the text "
            "alone; check that the texts use the ontology's labels or synonyms and that "
            "linker.allowed_roots holds the classes they name"
        )
    return linked


def _validation_examples(data: TaskData, tokenizer: Any, max_length: int) -> Sequence[TaskExample]:
    """The examples to validate on (token classification: the sentence windows ``kgfuse
    predict`` reads), once the token budget's warnings are logged (models that read text)."""
    if data.kind == "spans" and tokenizer is not None:  # as kgfuse predict reads them
        windows, crossing = validation_windows(data.valid, tokenizer, max_length)
        _warn_about_the_token_budget(data, tokenizer, max_length, windows, crossing)
        return windows
    if tokenizer is not None:
        _warn_about_the_token_budget(data, tokenizer, max_length)
    return data.valid
