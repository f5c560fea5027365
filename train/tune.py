"""Hyperparameter search with Optuna: Bayesian (TPE) or random sampling, median pruning on
the validation metric of each epoch, and SQLite storage so that a search resumes.

A search config is a training config (the diagnosis model, or a task with ``task:``) with a
``tune:`` section that declares the search space, each parameter a dotted config key::

    model:
      fusion: kg_only
    tune:
      metric: mrr          # maximised; default mrr (diagnosis); a task must name its metric
      sampler: tpe         # tpe (Bayesian) or random
      pruner: median       # median or none
      startup_trials: 5    # trials before TPE models the results and before pruning
      warmup_epochs: 1     # a trial's first epochs that are never pruned (default 0)
      params:
        train.lr: {type: float, low: 1.0e-4, high: 3.0e-3, log: true}
        model.hidden_dim: {type: int, low: 16, high: 64, step: 16}
        model.dropout: {type: categorical, choices: [0.0, 0.1]}

Each trial trains with :func:`train.diagnosis.train_diagnosis` (or
:func:`train.task_training.train_task`) into ``<folder>/trials/<config hash>``; the loop
reports the metric after every epoch (:func:`train.loop.fit`'s ``on_epoch``) and
:class:`optuna.pruners.MedianPruner` stops trials below the median of earlier ones.

A trial's value is ``tune.metric`` at the epoch the training itself keeps (the best
validation ``mrr`` of a diagnosis model, the ``macro_f1`` / ``micro_f1`` / ``f1`` of a task:
:func:`train.loop.fit`'s ``select``), not the best epoch of ``tune.metric``: it is the value
of the model that ``kgfuse train best_config.yaml`` trains again. Pruning compares
``tune.metric`` epoch by epoch. Metrics of the real development cases (``dev_*``) are
refused: they are never used to select or tune anything (``kgfuse train --dev-cases``). The
study
lives in SQLite (default ``<home>/tune/<study>/study.db``): running the search again adds
only the trials still missing, and retries a trial that was interrupted (Ctrl-C or killed)
with its parameters, whose training resumes from its checkpoint; the k-th drawn trial draws
the same parameters whether or not the search was interrupted. A study refuses to go on
with an edited search config (training config, search space or metric). One search process
per study at a time. A trial whose drawn values the training config refuses fails; the
search goes on.

Writes ``best_config.yaml`` (the training config with the best parameters), and the trials
as ``trials.json`` and ``trials.md``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from encoders.graph_model import atomic_write_text
from kg.store import kgfuse_home
from train.config import DiagnosisConfig, TaskConfig, apply_overrides, read_yaml

logger = logging.getLogger(__name__)

__all__ = [
    "SearchParam",
    "SearchSpace",
    "TuneResult",
    "TuneSection",
    "load_search",
    "run_search",
    "trials_markdown",
]

Scalar = bool | int | float | str | None
#: Metrics of the real development cases (``train.diagnosis.score_dev_cases``): not tunable.
DEV_PREFIX = "dev_"
#: The validation metrics a training reports, what ``tune.metric`` may name:
#: :func:`train.diagnosis.metrics_of_ranks`, and :mod:`eval.task_metrics` for the tasks
#: (``classification_metrics`` / ``multilabel_metrics``, ``span_metrics``).
VALIDATION_METRICS = {
    "diagnosis": ("mrr", "top1", "top3", "top10"),
    "text-classification": (
        "macro_f1",
        "accuracy",
        "micro_f1",
        "micro_precision",
        "micro_recall",
        "subset_accuracy",
    ),
    "token-classification": ("f1", "precision", "recall"),
}
#: The study's user attribute holding :meth:`SearchSpace.fingerprint`.
FINGERPRINT = "search_fingerprint"


class SearchParam(BaseModel):
    """One searched config key.

    Args:
        type: ``float``, ``int`` or ``categorical``.
        low, high: the range of a number (both included).
        log: sample a number on a log scale (``low > 0``).
        step: the grid of a number (default: continuous floats, integers by 1).
        choices: the values of a categorical (scalars).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["float", "int", "categorical"]
    low: float | None = None
    high: float | None = None
    log: bool = False
    step: float | None = Field(None, gt=0)
    choices: list[Scalar] | None = None

    @model_validator(mode="after")
    def _check(self) -> SearchParam:
        if self.type == "categorical":
            if not self.choices:
                raise ValueError("a categorical parameter needs a non-empty 'choices' list")
            return self
        if self.low is None or self.high is None or self.low > self.high:
            raise ValueError(f"a {self.type} parameter needs 'low' <= 'high'")
        if self.log and (self.low <= 0 or self.step is not None):
            raise ValueError("'log' needs 'low' > 0 and no 'step'")
        if self.type == "int" and not all(
            float(v).is_integer() for v in (self.low, self.high, self.step or 1)
        ):
            raise ValueError("an int parameter needs integer 'low', 'high' and 'step'")
        return self

    def suggest(self, trial: Any, name: str) -> Scalar:
        """The value an Optuna trial suggests for ``name``."""
        if self.type == "categorical":
            return trial.suggest_categorical(name, self.choices)
        assert self.low is not None and self.high is not None  # checked in _check
        if self.type == "int":
            low, high, step = int(self.low), int(self.high), int(self.step or 1)  # integers
            return trial.suggest_int(name, low, high, step=step, log=self.log)
        return trial.suggest_float(name, self.low, self.high, step=self.step, log=self.log)

    def ends(self) -> list[Scalar]:
        """The values to check against the training config: every choice, or low and high."""
        if self.type == "categorical":
            return list(self.choices)  # type: ignore[arg-type]
        assert self.low is not None and self.high is not None  # checked in _check
        if self.type == "int":
            return [int(self.low), int(self.high)]
        return [self.low, self.high]


class TuneSection(BaseModel):
    """The ``tune:`` section of a search config (module docstring)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    params: dict[str, SearchParam] = Field(min_length=1)
    metric: str | None = Field(
        None,
        description="validation metric, taken at the epoch the training keeps (module "
        "docstring); None: mrr (diagnosis); never a dev_* metric of the real cases",
    )
    direction: Literal["maximize", "minimize"] = "maximize"
    sampler: Literal["tpe", "random"] = "tpe"
    pruner: Literal["median", "none"] = "median"
    startup_trials: int = Field(5, ge=0)
    warmup_epochs: int = Field(0, ge=0, description="a trial's first epochs, never pruned")
    seed: int = 0


@dataclass(frozen=True)
class SearchSpace:
    """A parsed search config: the base training config and the ``tune:`` section."""

    raw: dict[str, Any]
    schema: type[DiagnosisConfig] | type[TaskConfig]
    tune: TuneSection

    @property
    def metric(self) -> str:
        return self.tune.metric or "mrr"

    def config(self, values: dict[str, Scalar], **fixed: Any) -> DiagnosisConfig | TaskConfig:
        """The training config with ``values`` (dotted keys) and ``fixed`` top-level keys."""
        raw = json.loads(json.dumps(self.raw))
        for key, value in values.items():
            node = raw
            *parents, last = key.split(".")
            for part in parents:
                node = node.setdefault(part, {})
            node[last] = value
        raw.update(fixed)
        return self.schema.model_validate(raw)

    def fingerprint(self) -> str:
        """sha256 of what the trials' values mean: the training config (less the settings
        a resumed run may change), the search space, the metric and its direction."""
        base = self.config({k: p.ends()[0] for k, p in self.tune.params.items()})
        what = {
            "config": base.resume_fingerprint(),
            "params": {k: p.model_dump() for k, p in self.tune.params.items()},
            "metric": self.metric,
            "direction": self.tune.direction,
        }
        return hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()


def load_search(path: Path, overrides: Sequence[str] = ()) -> SearchSpace:
    """Read a search config (module docstring); ``overrides`` (``a.b=value``) apply to the
    training config.

    Raises:
        FileNotFoundError: the file is missing.
        ValueError: no ``tune:`` section, a bad search space, a searched key the training
            config does not have or a bound or choice it refuses, a task search without
            ``tune.metric``, a ``dev_*`` metric, or one the training does not report.
    """
    if not Path(path).is_file():
        raise FileNotFoundError(f"config file not found: {path}")
    loaded = read_yaml(Path(path)) or {}
    if not isinstance(loaded, dict) or "tune" not in loaded:
        raise ValueError(f"{path}: a search config needs a 'tune:' section with 'params'")
    tune = TuneSection.model_validate(loaded.pop("tune"))
    raw = apply_overrides(loaded, overrides)
    schema: type[DiagnosisConfig] | type[TaskConfig] = (
        TaskConfig if "task" in raw else DiagnosisConfig
    )
    if schema is TaskConfig and tune.metric is None:
        raise ValueError(f"{path}: name the task's validation metric in tune.metric")
    if (tune.metric or "").startswith(DEV_PREFIX):
        raise ValueError(
            f"{path}: tune.metric {tune.metric!r} is a metric of the real development cases, "
            "which are reported only, never used to tune: choose a validation metric of the "
            f"simulated patients ({', '.join(VALIDATION_METRICS['diagnosis'])})"
        )
    space = SearchSpace(raw, schema, tune)
    examples = {k: p.ends()[0] for k, p in tune.params.items()}
    for key, param in tune.params.items():
        for value in param.ends():
            try:
                space.config({**examples, key: value})
            except ValueError as exc:
                raise ValueError(
                    f"{path}: the searched keys do not fit the training config: "
                    f"{key} = {value!r}: {exc}"
                ) from exc
    known = VALIDATION_METRICS[raw.get("task", "diagnosis")]  # a task the config accepts
    if space.metric not in known:
        raise ValueError(
            f"{path}: tune.metric {space.metric!r} is not a validation metric of this "
            f"training; choose one of {', '.join(known)}"
        )
    return space


@dataclass
class TuneResult:
    """A search's outcome: where it lives, its best trial and all trials."""

    study_name: str
    storage: str
    folder: Path
    best_trial: int | None
    best_value: float | None
    best_params: dict[str, Scalar]
    best_config: Path | None
    trials: list[dict[str, Any]] = field(default_factory=list)


def _sampler(tune: TuneSection, seed: int) -> Any:
    import optuna

    if tune.sampler == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    return optuna.samplers.TPESampler(seed=seed, n_startup_trials=tune.startup_trials)


def _pruner(tune: TuneSection) -> Any:
    import optuna

    if tune.pruner == "none":
        return optuna.pruners.NopPruner()
    # epochs are reported as steps 1, 2, ... and Optuna prunes from step n_warmup_steps on:
    # epochs 1 .. warmup_epochs are never pruned
    return optuna.pruners.MedianPruner(
        n_startup_trials=tune.startup_trials, n_warmup_steps=tune.warmup_epochs + 1
    )


@contextmanager
def _optuna_verbosity(progress: bool) -> Iterator[None]:
    import optuna

    before = optuna.logging.get_verbosity()
    if not progress:
        optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        yield
    finally:
        optuna.logging.set_verbosity(before)


def _retry_interrupted(study: Any, storage: Any) -> None:
    """Fail trials left running by a killed search and queue the parameters of interrupted
    trials again (their training resumes from its checkpoint)."""
    from optuna.trial import TrialState

    study_id = storage.get_study_id_from_name(study.study_name)
    trials = study.get_trials(deepcopy=False)
    retried = {t.user_attrs.get("retry_of") for t in trials}
    for t in trials:
        stale = t.state == TrialState.RUNNING
        if stale:
            trial_id = storage.get_trial_id_from_study_id_trial_number(study_id, t.number)
            storage.set_trial_user_attr(trial_id, "interrupted", True)
            storage.set_trial_state_values(trial_id, TrialState.FAIL)
        if (stale or t.user_attrs.get("interrupted")) and t.number not in retried and t.params:
            logger.info("trial %d was interrupted: queued again", t.number)
            study.enqueue_trial(t.params, user_attrs={"retry_of": t.number})


def _draw_seed(study: Any, seed: int) -> int:
    """The sampler seed of the study's next draw: from ``seed`` and the trials finished so
    far, less the interrupted ones (their retry draws nothing and counts in their place), so
    that the k-th draw is the same whether or not the search was interrupted."""
    from optuna.trial import TrialState

    finished = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)
    trials = study.get_trials(deepcopy=False, states=finished)
    retried = {t.user_attrs.get("retry_of") for t in trials}
    k = sum(not t.user_attrs.get("interrupted") and t.number not in retried for t in trials)
    digest = hashlib.sha256(f"{seed}:{k}".encode()).digest()
    return int.from_bytes(digest[:4], "little")


def _open_storage(url: str, given: bool) -> Any:
    """The Optuna storage at ``url``; a URL that cannot be opened as a ValueError."""
    import optuna
    import sqlalchemy.exc

    try:
        return optuna.storages.get_storage(url)
    except (sqlalchemy.exc.SQLAlchemyError, ImportError) as exc:
        if isinstance(exc, ImportError):
            why = "no database driver for it is installed"
        elif isinstance(exc, sqlalchemy.exc.ArgumentError):
            why = "it is not a database URL"
        else:
            why = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise ValueError(
            f"{'--storage' if given else 'the study storage'} {url!r} cannot be opened: "
            f"{why}; give a URL such as sqlite:///path/study.db (in an existing folder)"
        ) from exc


def _check_fingerprint(study: Any, space: SearchSpace, url: str) -> None:
    """Record the search's fingerprint in a new study (or one made before fingerprints);
    refuse to add trials of another search config to a study."""
    stored = study.user_attrs.get(FINGERPRINT)
    if stored is None:
        study.set_user_attr(FINGERPRINT, space.fingerprint())
    elif stored != space.fingerprint():
        raise ValueError(
            f"study {study.study_name!r} in {url} was run with another search config (the "
            "training config, the search space or the metric changed): give a new study "
            "name (--study-name), or delete the storage to start the study over"
        )


class _InvalidDraw(ValueError):
    """Drawn values the training config refuses: the trial fails, the search goes on."""


def _trainer(space: SearchSpace) -> Callable[..., Any]:
    if space.schema is TaskConfig:
        from train.task_training import train_task

        return train_task
    from train.diagnosis import train_diagnosis

    return train_diagnosis


def run_search(
    config: Path,
    *,
    trials: int,
    study_name: str | None = None,
    storage: str | None = None,
    folder: Path | None = None,
    sampler: Literal["tpe", "random"] | None = None,
    overrides: Sequence[str] = (),
    home: Path | None = None,
    progress: bool = True,
) -> TuneResult:
    """Run (or resume) the search of ``config`` until the study has ``trials`` finished
    (complete or pruned) trials; write the best config and the trials table.

    Args:
        config: the search config (module docstring).
        trials: finished trials wanted in the study (a resumed search runs the rest).
        study_name: the study (default: the config file's name).
        storage: an Optuna storage URL (default: ``sqlite:///<folder>/study.db``).
        folder: trial models and results (default: ``<home>/tune/<study>``).
        sampler: overrides ``tune.sampler``.
        overrides: ``a.b=value`` changes of the training config.
        home: kgfuse home (KG, embeddings, default folder).
        progress: show a progress bar over trials and Optuna's trial log.

    Raises:
        ModuleNotFoundError: optuna is not installed.
        ValueError: a bad search config (see :func:`load_search`), a storage that cannot
            be opened, or a study run with another search config.
    """
    try:
        import optuna
    except ModuleNotFoundError as exc:
        raise ModuleNotFoundError("kgfuse tune needs optuna: pip install optuna") from exc

    if trials < 1:
        raise ValueError(f"trials must be at least 1, not {trials}")
    space = load_search(config, overrides)
    if sampler is not None:
        space = SearchSpace(
            space.raw, space.schema, space.tune.model_copy(update={"sampler": sampler})
        )
    name = study_name or Path(config).stem
    out = Path(folder) if folder else kgfuse_home(home) / "tune" / name
    out.mkdir(parents=True, exist_ok=True)
    url = storage or f"sqlite:///{(out / 'study.db').resolve()}"
    train = _trainer(space)
    metric = space.metric

    def objective(trial: Any) -> float:
        values = {key: p.suggest(trial, key) for key, p in space.tune.params.items()}
        try:
            digest = space.config(values).config_hash()[:12]
        except ValidationError as exc:
            raise _InvalidDraw(f"the training config refuses {values}: {exc}") from exc
        output = out / "trials" / digest
        trial.set_user_attr("output", str(output))
        reported: set[int] = set()

        def on_epoch(history: list[dict[str, float]]) -> None:
            for record in history:
                epoch = int(record["epoch"])
                if epoch not in reported and metric in record:
                    trial.report(float(record[metric]), epoch)
                    reported.add(epoch)
            if trial.should_prune():
                raise optuna.TrialPruned(f"pruned after epoch {max(reported, default=0)}")

        cfg = space.config(values, output=str(output))
        try:
            result = train(cfg, home=home, progress=False, on_epoch=on_epoch)
        except KeyboardInterrupt:
            trial.set_user_attr("interrupted", True)
            raise
        trial.set_user_attr("epochs", result.epochs)
        trial.set_user_attr("seconds", round(result.seconds, 2))
        trial.set_user_attr("best_valid", result.best_valid)
        if metric not in result.best_valid:
            raise ValueError(
                f"tune.metric {metric!r} is not a validation metric of this training; it "
                f"reports {', '.join(result.best_valid) or 'none (no validation data)'}"
            )
        return float(result.best_valid[metric])

    def reseed(study: Any, trial: Any = None) -> None:
        study.sampler = _sampler(space.tune, _draw_seed(study, space.tune.seed))

    with _optuna_verbosity(progress):
        store = _open_storage(url, storage is not None)
        study = optuna.create_study(
            study_name=name,
            storage=store,
            direction=space.tune.direction,
            load_if_exists=True,
            pruner=_pruner(space.tune),
        )
        _check_fingerprint(study, space, url)
        _retry_interrupted(study, store)
        reseed(study)
        finished = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
        remaining = trials - len(study.get_trials(deepcopy=False, states=finished))
        if remaining > 0:
            logger.info("study %s: %d trials to run", name, remaining)
            study.optimize(
                objective,
                n_trials=remaining,
                catch=(_InvalidDraw,),
                callbacks=[reseed],  # after each trial: each draw seeded by its own number
                show_progress_bar=progress,
            )
    return _write_results(study, space, url, out)


def _trial_rows(study: Any) -> list[dict[str, Any]]:
    rows = []
    for t in study.get_trials(deepcopy=False):
        value = t.value if t.value is not None and math.isfinite(t.value) else None
        rows.append(
            {
                "number": t.number,
                "state": t.state.name.lower(),
                "value": value,
                "params": t.params,
                "epochs_reported": len(t.intermediate_values),
                "seconds": t.user_attrs.get("seconds"),
                "output": t.user_attrs.get("output"),
                "retry_of": t.user_attrs.get("retry_of"),
            }
        )
    return rows


def trials_markdown(rows: list[dict[str, Any]], metric: str, best: int | None) -> str:
    """The trials as a Markdown table (the best trial marked)."""
    names = sorted({k for r in rows for k in r["params"]})
    header = ["trial", "state", metric, *names, "epochs", "seconds"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]

    def cell(value: Any) -> str:
        if value is None:
            return ""
        return f"{value:.4g}" if isinstance(value, float) else str(value)

    for r in rows:
        number = f"**{r['number']}**" if r["number"] == best else str(r["number"])
        values = [number, r["state"], cell(r["value"]), *(cell(r["params"].get(n)) for n in names)]
        values += [str(r["epochs_reported"]), cell(r["seconds"])]
        lines.append("| " + " | ".join(values) + " |")
    return "\n".join(lines) + "\n"


def _write_results(study: Any, space: SearchSpace, url: str, out: Path) -> TuneResult:
    from optuna.trial import TrialState

    rows = _trial_rows(study)
    complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    result = TuneResult(study.study_name, url, out, None, None, {}, None, rows)
    if complete:
        best = study.best_trial
        result.best_trial, result.best_value = best.number, best.value
        result.best_params = dict(best.params)
        cfg = space.config(result.best_params)
        header = (
            f"# best of study {study.study_name!r}: trial {best.number}, "
            f"{space.metric} = {best.value:.4f} ({len(complete)} complete trials)\n"
        )
        result.best_config = out / "best_config.yaml"
        atomic_write_text(header + cfg.to_yaml(), result.best_config)
    summary = {
        "study": study.study_name,
        "metric": space.metric,
        "direction": space.tune.direction,
        "best_trial": result.best_trial,
        "best_value": result.best_value,
        "best_params": result.best_params,
        "trials": rows,
    }
    atomic_write_text(json.dumps(summary, indent=2), out / "trials.json")
    atomic_write_text(trials_markdown(rows, space.metric, result.best_trial), out / "trials.md")
    return result
