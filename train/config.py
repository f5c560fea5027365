"""Typed training configurations: loaded from YAML, overridable from the CLI, saved and hashed.

Example:
    >>> cfg = load_config(Path("configs/diagnosis.yaml"), ["train.epochs=2"])  # doctest: +SKIP
    >>> cfg.train.epochs                                                   # doctest: +SKIP
    2
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field

from kg.remote import redact_url
from train.simulate import SimulationConfig


class _Strict(BaseModel):
    # inf and nan are no setting (an infinite learning rate trains a model of NaNs)
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class _RunConfig(_Strict):
    """A whole run's config: saved as YAML next to the results and hashed."""

    def to_yaml(self) -> str:
        """The config as YAML, a KG endpoint URL without its credentials (the file is saved
        beside models and results: a ``--kg`` given with a password must be given again)."""
        data = self.model_dump(mode="json")
        if isinstance(data.get("kg"), str):
            data["kg"] = redact_url(data["kg"])
        return yaml.safe_dump(data, sort_keys=False)

    def config_hash(self) -> str:
        """sha256 of the canonical JSON of the config."""
        return _sha256_json(self.model_dump(mode="json"))

    def resume_fingerprint(self) -> str:
        """sha256 of the settings a resumed run must share with the run it continues: all
        but :data:`FREE_ON_RESUME` (where the model goes, the time budget, threads, how
        often to checkpoint, the development cases reported on; another thread count resumes
        with floats that differ in their last bits: see :data:`FREE_ON_RESUME`)."""
        data = self.model_dump(mode="json")
        for dotted in FREE_ON_RESUME:
            *path, key = dotted.split(".")
            section = data
            for part in path:
                section = section.get(part, {})
            section.pop(key, None)
        return _sha256_json(data)


#: Settings a resumed run may change. None changes the computation, but the thread count
#: (``train.num_threads``; null: torch's default, from the machine's cores) and the device
#: (``train.device``) change the order in which floats are summed: a resumed run is
#: bit-identical to an uninterrupted one only with the same threads on the same device (else
#: it differs in the last bits, as a rerun with other threads or on a GPU does).
FREE_ON_RESUME = (
    "output",
    "dev_cases",
    "train.max_minutes",
    "train.num_threads",
    "train.device",
    "train.checkpoint_every",
    # paths: what they name is compared instead (the KG's fingerprint, the data files'
    # bytes: :func:`run_fingerprint`), so a relative path given again as absolute resumes
    "kg",
    "data",
    "valid",
)


def run_fingerprint(settings: str, kg_fingerprint: str, *data_files: str | Path | None) -> str:
    """What a resumed run must share with the run it continues: its settings
    (:meth:`resume_fingerprint`), the KG's fingerprint and the bytes of its data files (the
    same paths with other contents are another run)."""
    files = []  # by content, in order: the same file named by another path is the same run
    for path in data_files:
        digest = hashlib.sha256()
        if path is not None:
            with Path(path).open("rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(block)
        files.append(digest.hexdigest() if path is not None else None)
    return _sha256_json({"settings": settings, "kg": kg_fingerprint, "data": files})


def _sha256_json(data: Any) -> str:
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


class SimulationSection(_Strict):
    """Simulated training patients (see ``train.simulate``)."""

    patients_per_disease: int = Field(default=2, ge=1, description="training patients per disease")
    valid_patients: int = Field(
        default=600, ge=1, description="held-out simulated patients (of distinct random diseases)"
    )
    seed: int = 0
    mean_terms: float = Field(default=7.0, ge=0, description="mean cap on present findings")
    imprecision_rate: float = Field(
        default=0.25, ge=0, le=1, description="chance a finding is replaced by an ancestor"
    )
    noise_mean: float = Field(default=0.7, ge=0, description="mean unrelated findings added")
    near_miss_mean: float = Field(
        default=0.0, ge=0, description="mean near-miss findings (cousins of a finding) added"
    )
    near_miss_steps: int = Field(
        default=2, ge=1, description="most levels up to a near miss's shared ancestor"
    )

    def simulator_config(self) -> SimulationConfig:
        """The simulator's parameters (the others keep ``SimulationConfig``'s defaults)."""
        return SimulationConfig(
            mean_terms=self.mean_terms,
            imprecision_rate=self.imprecision_rate,
            noise_mean=self.noise_mean,
            near_miss_mean=self.near_miss_mean,
            near_miss_steps=self.near_miss_steps,
        )


class FusedModelSection(_Strict):
    """The fused model of any head (see ``fusion.config.FusionConfig``)."""

    fusion: Literal["cross_attention", "entity_token", "text_only", "kg_only"] = "cross_attention"
    encoder: str | None = Field(
        default=None, description="local HF encoder folder; None: MiniLM package"
    )
    hidden_dim: int = Field(default=256, ge=1)
    num_facts: int = Field(default=16, ge=1)
    freeze_layers: int = Field(default=4, ge=0)
    fusion_layers: list[int] | None = None
    dropout: float = Field(default=0.1, ge=0.0, lt=1.0)
    max_length: int = Field(default=128, ge=8, le=512, description="tokens the encoder reads")


class ModelSection(FusedModelSection):
    """The fused diagnosis model."""

    max_length: int = Field(default=96, ge=8, le=512, description="tokens the encoder reads")
    use_prior: bool = True
    prior_excluded_weight: float = Field(
        default=0.0,
        ge=0.0,
        le=1.0,
        description="weight of excluded findings in the symbolic prior's log10 LR "
        "(kg.rules.likelihood.LikelihoodConfig.excluded_weight); 0: present findings only",
    )
    prior_breadth_weight: float = Field(
        default=0.0,
        ge=0.0,
        le=10.0,
        description="the symbolic prior's breadth weight b: each disease's log10 LR lowered "
        "by b log10(its number of annotated phenotype terms) "
        "(kg.rules.likelihood.LikelihoodConfig.breadth_weight); 0: none (the trained "
        "model learns the same correction: see the README)",
    )
    prior_neighbours: int = Field(
        default=60,
        ge=0,
        le=1000,
        description="k: each disease's profile in the symbolic prior is completed from its k "
        "most similar diseases (kg.rules.likelihood.LikelihoodConfig.neighbours); 0: none "
        "(see docs/measurements.md: 60 and 0.2 lie on a plateau of k 30-250, weight 0.2-0.5)",
    )
    prior_neighbour_weight: float = Field(
        default=0.2,
        ge=0.0,
        le=1.0,
        description="how far the k nearest diseases' mean profile counts in the symbolic "
        "prior (kg.rules.likelihood.LikelihoodConfig.neighbour_weight); 0: not at all",
    )
    prior_counterpart_weight: float = Field(
        default=1.0,
        ge=0.0,
        le=1.0,
        description="how far a disease's counterparts in the KG's other sources (its Orphanet "
        "entry for an OMIM disease: kg.rules.counterparts) count in its profile in the "
        "symbolic prior (kg.rules.likelihood.LikelihoodConfig.counterpart_weight); 0: not at "
        "all (see docs/measurements.md)",
    )
    prior_counterpart_similarity: float = Field(
        default=0.4,
        ge=0.0,
        le=1.0,
        description="the least profile similarity of a counterpart found through a shared "
        "gene rather than by its name "
        "(kg.rules.likelihood.LikelihoodConfig.counterpart_similarity)",
    )
    candidates: str | None = Field(
        default="OMIM",
        description="CURIE prefix of the candidate diseases (several apart by spaces or "
        "commas; the start of an IRI names the diseases whose IRI starts so, e.g. diseases "
        "of one's own beside HPO's); None: every annotated subject",
    )
    loss_shortlist: int = Field(
        default=0,
        ge=0,
        description="train against the prior's first N candidates and the true one only "
        "(fusion.config.FusionConfig.loss_shortlist); 0: every candidate",
    )


class TrainSection(_Strict):
    """The optimisation loop."""

    epochs: int = Field(default=2, ge=1)
    batch_size: int = Field(default=32, ge=1)
    lr: float = Field(default=3e-4, gt=0)
    encoder_lr: float = Field(default=3e-5, gt=0)
    weight_decay: float = Field(default=0.01, ge=0)
    warmup_fraction: float = Field(default=0.05, ge=0, le=1)
    patience: int = Field(
        default=2, ge=1, description="epochs without validation gain before stopping"
    )
    checkpoint_every: int = Field(default=200, ge=1, description="steps between checkpoints")
    max_steps: int | None = Field(
        default=None, ge=1, description="stop after this many steps (time budgets)"
    )
    max_minutes: float | None = Field(
        default=None,
        gt=0,
        description="stop after this many minutes of the whole run: a resumed run counts "
        "the minutes spent before (up to its checkpoint) and gets what is left",
    )
    anneal_to_budget: bool = Field(
        default=False,
        description="with max_minutes, decay the learning rate to 0 by the deadline, "
        "re-planning the steps that fit at the measured pace every 5 steps (off: the "
        "schedule follows the planned steps and the budget may stop it half-decayed)",
    )
    precision: Literal["auto", "fp32", "bf16"] = "auto"
    device: str = Field(
        default="auto",
        pattern=r"^(auto|cpu|cuda(:[0-9]+)?)$",
        description="where one training process runs: auto (the first CUDA GPU when one is "
        "present, else the CPU), cpu, cuda or cuda:N; under torchrun each rank's device "
        "follows the backend (nccl: its GPU, gloo: the CPU)",
    )
    seed: int = 0
    num_threads: int | None = Field(
        default=None,
        ge=1,
        description="torch threads; None: torch's default (the machine's cores). Results "
        "are bit-identical only with the same count",
    )


class EmbeddingSection(_Strict):
    """Graph embeddings used by the model (see ``train.embed``)."""

    encoder: Literal["rgcn", "compgcn"] = "compgcn"
    hidden_dim: int = Field(default=128, ge=1)
    epochs: int = Field(default=12, ge=1)
    patience: int = Field(default=3, ge=1)


class DiagnosisConfig(_RunConfig):
    """Everything that defines a diagnosis training run."""

    kg: str | None = Field(default=None, description="KG folder; None: <home>/kgs/hpo")
    output: str | None = Field(
        default=None, description="model folder; None: <home>/models/diagnosis"
    )
    dev_cases: str | None = Field(
        default=None, description="real cases (JSONL) validated each epoch"
    )
    simulation: SimulationSection = SimulationSection()
    model: ModelSection = ModelSection()
    train: TrainSection = TrainSection()
    embedding: EmbeddingSection = EmbeddingSection()


class LinkerSection(_Strict):
    """The concept linker that finds the KG's concepts in task texts (``encoders.linker``)."""

    allowed_roots: list[str] = Field(
        default_factory=list, description="link only below these terms (CURIEs or IRIs)"
    )
    min_depth: int = Field(default=0, ge=0, description="skip terms fewer is_a steps below a root")


class TaskTrainSection(TrainSection):
    """The optimisation loop of a task: defaults for a few hundred or thousand texts."""

    epochs: int = Field(default=10, ge=1)
    batch_size: int = Field(default=8, ge=1)
    lr: float = Field(default=1e-3, gt=0)
    encoder_lr: float = Field(default=5e-5, gt=0)
    patience: int = Field(
        default=3, ge=1, description="epochs without validation gain before stopping"
    )
    checkpoint_every: int = Field(default=50, ge=1, description="steps between checkpoints")


class TaskConfig(_RunConfig):
    """Everything that defines a training run of a text or token classification task."""

    task: Literal["text-classification", "token-classification"] = "text-classification"
    data: str | None = Field(
        default=None, description="training data, JSONL or CSV (train.task_data)"
    )
    valid: str | None = Field(default=None, description="validation data; None: no validation")
    kg: str | None = Field(default=None, description="KG folder; None: <home>/kgs/hpo")
    output: str | None = Field(default=None, description="model folder; None: <home>/models/<task>")
    threshold: float = Field(default=0.5, gt=0, lt=1, description="multi-label decision threshold")
    model: FusedModelSection = FusedModelSection()
    linker: LinkerSection = LinkerSection()
    train: TaskTrainSection = TaskTrainSection()
    embedding: EmbeddingSection = EmbeddingSection()


_C = TypeVar("_C", DiagnosisConfig, TaskConfig)


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML's safe loader, refusing a key given twice in one mapping (the plain loader keeps
    the last one, so a setting, or a whole section, would vanish without a word), and
    aliases (``*name``): nested ones make a file of a few hundred bytes expand to billions
    of values, and no setting needs one."""

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None,
                None,
                f"an alias (*{event.anchor}) repeats a value given before: write the value "
                "out, since aliases are not read in a config",
                event.start_mark,
            )
        return super().compose_node(parent, index)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"the key {key!r} is given twice", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def read_yaml(path: Path) -> Any:
    """A YAML file's value, its keys unique and its values JSON's kinds (no dates or sets).

    Raises:
        ValueError: not UTF-8, not YAML, a key given twice, or a value JSON cannot hold
            (naming the file and, where known, the line).
    """
    try:
        loaded = yaml.load(Path(path).read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)  # noqa: S506 - a safe loader
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not valid UTF-8 (byte {exc.start})") from None
    except yaml.YAMLError as exc:  # syntax, a key given twice, or a tag the loader refuses
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ValueError(f"{where}: not valid YAML ({problem})") from None
    try:
        json.dumps(loaded)
    except (TypeError, ValueError) as exc:  # a date, a set, bytes: no setting is one
        raise ValueError(
            f"{path}: {exc}: write such a value as a quoted string or a number"
        ) from None
    return loaded


def _parse_value(text: str) -> Any:
    value = yaml.safe_load(text)
    return text if value is None and text not in ("null", "~", "") else value


def apply_overrides(raw: dict[str, Any], overrides: Sequence[str]) -> dict[str, Any]:
    """Apply ``section.key=value`` overrides (values parsed as YAML scalars).

    Raises:
        ValueError: an override is not of the form ``a.b=value``.
    """
    out = json.loads(json.dumps(raw))
    for item in overrides:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValueError(f"override {item!r} is not of the form section.key=value")
        node = out
        parts = key.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ValueError(f"override {item!r}: {part!r} is not a section")
        node[parts[-1]] = _parse_value(value)
    return out


def load_config(
    path: Path | None,
    overrides: Sequence[str] = (),
    schema: type[_C] = DiagnosisConfig,  # type: ignore[assignment]
) -> _C:
    """Read a YAML config (or the defaults when ``path`` is None) and apply overrides.

    ``schema`` is the config class: :class:`DiagnosisConfig` (default) or :class:`TaskConfig`.

    Raises:
        FileNotFoundError: the file is missing.
        ValueError: the file is not UTF-8, not YAML (naming the line) or not a mapping.
        pydantic.ValidationError: an unknown key or a bad value (the message names it).
    """
    raw: dict[str, Any] = {}
    if path is not None:
        if not Path(path).is_file():
            raise FileNotFoundError(f"config file not found: {path}")
        loaded = read_yaml(Path(path))
        if loaded is not None and not isinstance(loaded, dict):
            raise ValueError(f"{path}: a config must be a YAML mapping")
        raw = loaded or {}
    return schema.model_validate(apply_overrides(raw, overrides))
