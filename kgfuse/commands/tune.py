"""``kgfuse tune``: hyperparameter search with Optuna (see ``train.tune``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from kgfuse.commands.common import (
    HomeOption,
    QuietOption,
    TrainingSetOption,
    console,
    handle_errors,
    resolve_config,
)


@handle_errors
def tune(
    config: Annotated[
        Path,
        typer.Option(
            "--config",
            "-c",
            help="YAML training config with a 'tune:' search space, or the name of a recipe "
            "shipped with kgfuse: tune_diagnosis (configs/tune_diagnosis.yaml); a file of "
            "that name wins.",
            show_default=False,
        ),
    ],
    trials: Annotated[
        int, typer.Option("--trials", "-n", min=1, help="Finished trials wanted in the study.")
    ],
    study_name: Annotated[
        str | None,
        typer.Option(help="Study name (default: the config file's name).", show_default=False),
    ] = None,
    storage: Annotated[
        str | None,
        typer.Option(
            help="Optuna storage URL (default: sqlite:///<home>/tune/<study>/study.db).",
            show_default=False,
        ),
    ] = None,
    sampler: Annotated[
        str | None,
        typer.Option(help="tpe or random (default: tune.sampler).", show_default=False),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help="Results folder (default: <home>/tune/<study>).", show_default=False
        ),
    ] = None,
    overrides: TrainingSetOption = None,
    home: HomeOption = None,
    quiet: QuietOption = False,
) -> None:
    """Search hyperparameters (TPE or random, median pruning on validation).

    A second run resumes the study and runs only the missing trials. Writes
    best_config.yaml and the trials as JSON and Markdown."""
    from kg.knowledge_graph import KnowledgeGraph
    from kg.remote import kg_location
    from kg.store import default_kg_path
    from train.tune import load_search, run_search

    if sampler is not None and sampler not in ("tpe", "random"):
        raise ValueError(f"unknown sampler {sampler!r}; choose tpe or random")
    resolved = resolve_config(config)  # a file, or a built-in recipe's name
    assert resolved is not None  # --config is required
    config = resolved
    # the config and the KG every trial trains on, checked before the study is created: a
    # trial that fails on them would leave a study with a failed trial and Optuna's traceback
    space = load_search(config, list(overrides or []))
    if storage is not None:  # a --storage that cannot be opened is named first, as before
        from train.tune import _open_storage

        _open_storage(storage, True)
    base = space.config({k: p.ends()[0] for k, p in space.tune.params.items()})
    KnowledgeGraph.open(
        kg_location(base.kg) if base.kg else default_kg_path("hpo", home), home=home
    )
    result = run_search(
        config,
        trials=trials,
        study_name=study_name,
        storage=storage,
        folder=out,
        sampler=sampler,  # type: ignore[arg-type]
        overrides=list(overrides or []),
        home=home,
        progress=not quiet,
    )
    table = Table("trial", "state", "value", "params", title=f"study {result.study_name}")
    for row in result.trials:
        value = "" if row["value"] is None else f"{row['value']:.4f}"
        params = ", ".join(f"{k}={v}" for k, v in row["params"].items())
        table.add_row(str(row["number"]), row["state"], value, params)
    console.print(table)
    if result.best_config is None:
        console.print("no trial completed: no best config")
        return
    console.print(
        f"best trial {result.best_trial}: {result.best_value:.4f} {result.best_params}; "
        f"config {result.best_config}; trials {result.folder / 'trials.md'}",
        markup=False,
    )
