"""The fused diagnosis model's speed on a device: training steps and inference, per precision.

The inputs are synthetic, of the quickstart recipe's shapes (``ModelShape``: a MiniLM-L6
sized text encoder built from its configuration with random weights, 64 tokens, 16 facts,
8,359 candidate diseases over 36,853 KG nodes). Speed does not depend on the weights or on
what the KG says, so this runs wherever torch and transformers do, a GPU machine without
the KG or the encoder's package too. Training steps run through :func:`train.loop.fit`
itself (its own throughput figure: the steps' patients per second, batches moved to the
device included); inference is timed per forward, synchronised on CUDA, with the
candidates' matrix cached as ``kgfuse diagnose`` caches it.

Each precision (fp32, bf16 autocast) is timed ``rounds`` times, alternated, after one
untimed warm-up round each; the summary gives the median, minimum and maximum, and each
precision's ratio to the first one's median (the baseline). Written as JSON and Markdown
with the machine and the device.
"""

from __future__ import annotations

import itertools
import json
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch

from eval.bench_kg import machine_info
from fusion.config import FusionConfig
from fusion.model import KgFusionForDiagnosis
from kg.atomic import output_folder, write_atomic
from train.config import TrainSection
from train.loop import autocast, build_optimizer, fit, training_device, use_bf16

__all__ = [
    "PRECISIONS",
    "ModelShape",
    "model_bench_markdown",
    "run_model_benchmark",
]

#: The precisions a round may time.
PRECISIONS = ("fp32", "bf16")


@dataclass(frozen=True)
class ModelShape:
    """The sizes of the model and of its inputs (defaults: the quickstart recipe on HPO)."""

    hidden_size: int = 384  # all-MiniLM-L6-v2
    layers: int = 6
    heads: int = 12
    intermediate_size: int = 1536
    vocab_size: int = 30522
    frozen_layers: int = 4
    tokens: int = 64
    facts: int = 16
    fact_dim: int = 128
    candidates: int = 8359
    nodes: int = 36853
    node_dim: int = 128
    label_text_dim: int = 88
    fused_hidden: int = 256
    train_batch: int = 32
    infer_batch: int = 64

    def check(self) -> None:
        """Raises ValueError: a size below 1, or more frozen layers than the encoder has."""
        bad = [k for k, v in asdict(self).items() if v < 1 and k != "frozen_layers"]
        if bad:
            raise ValueError(f"model shape sizes must be at least 1: {', '.join(bad)}")
        if not 0 <= self.frozen_layers <= self.layers:
            raise ValueError(f"frozen_layers must lie in 0..{self.layers}")
        if self.hidden_size % self.heads:
            raise ValueError("hidden_size must be a multiple of heads")


def build_bench_model(shape: ModelShape, seed: int = 0) -> KgFusionForDiagnosis:
    """A fused diagnosis model of ``shape`` with random weights (seeded), on the CPU."""
    torch.manual_seed(seed)
    text_config = {
        "model_type": "bert",
        "hidden_size": shape.hidden_size,
        "num_hidden_layers": shape.layers,
        "num_attention_heads": shape.heads,
        "intermediate_size": shape.intermediate_size,
        "vocab_size": shape.vocab_size,
        "max_position_embeddings": max(512, shape.tokens),
    }
    config = FusionConfig(
        text_config=text_config,
        fusion="cross_attention",
        freeze_layers=shape.frozen_layers,
        num_nodes=shape.nodes,
        node_dim=shape.node_dim,
        fact_dim=shape.fact_dim,
        num_facts=shape.facts,
        num_candidates=shape.candidates,
        label_text_dim=shape.label_text_dim,
        hidden_dim=shape.fused_hidden,
        use_prior=True,
    )
    model = KgFusionForDiagnosis(config)
    with torch.no_grad():
        model.kgfusion.node_embeddings.normal_()
        model.label_nodes.copy_(torch.randint(0, shape.nodes, (shape.candidates,)))
        model.label_text.normal_()
    return model


def synthetic_batch(
    shape: ModelShape, size: int, generator: torch.Generator, labels: bool = True
) -> dict[str, torch.Tensor]:
    """A batch of ``size`` patients as the collator makes them (CPU tensors): token ids with
    a random length each, linked concepts, retrieved facts and the prior's scores."""
    lengths = torch.randint(shape.tokens // 2, shape.tokens + 1, (size,), generator=generator)
    positions = torch.arange(shape.tokens)
    attention_mask = (positions[None, :] < lengths[:, None]).long()
    input_ids = torch.randint(1000, shape.vocab_size, (size, shape.tokens), generator=generator)
    entities = 8
    batch = {
        "input_ids": input_ids * attention_mask,
        "attention_mask": attention_mask,
        "entity_ids": torch.randint(0, shape.nodes, (size, entities), generator=generator),
        "entity_status": torch.ones(size, entities, dtype=torch.long),
        "fact_vectors": torch.randn(size, shape.facts, shape.fact_dim, generator=generator),
        "fact_mask": torch.ones(size, shape.facts, dtype=torch.bool),
        "prior": torch.randn(size, shape.candidates, generator=generator),
    }
    if labels:
        batch["labels"] = torch.randint(0, shape.candidates, (size,), generator=generator)
    return batch


def _synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _train_round(
    model: KgFusionForDiagnosis,
    batches: Sequence[dict[str, torch.Tensor]],
    shape: ModelShape,
    steps: int,
    bf16: bool,
    folder: Path,
) -> float:
    """Patients per second of ``steps`` training steps through :func:`fit` (a fresh
    optimizer each round; the checkpoint goes to ``folder`` and is removed)."""
    settings = TrainSection(
        epochs=1,
        batch_size=shape.train_batch,
        max_steps=steps,
        checkpoint_every=10**9,
        warmup_fraction=0.0,
    )
    num_examples = steps * shape.train_batch
    optimizer, scheduler, total, per_epoch = build_optimizer(model, settings, num_examples)
    checkpoint = folder / "checkpoint.safetensors"
    cycle = itertools.cycle(batches)
    result = fit(
        model,
        optimizer,
        scheduler,
        settings=settings,
        num_examples=num_examples,
        make_batch=lambda idx, epoch: next(cycle),
        evaluate=None,
        select="loss",
        checkpoint=checkpoint,
        total_steps=total,
        steps_per_epoch=per_epoch,
        resume=False,
        progress=False,
        bf16=bf16,
    )
    checkpoint.unlink(missing_ok=True)
    state = result.state
    if state["global_step"] != steps:  # pragma: no cover - fit runs every planned step
        raise RuntimeError(f"fit ran {state['global_step']} of {steps} steps")
    return float(state["train_examples"]) / max(float(state["train_seconds"]), 1e-9)


@torch.no_grad()
def _infer_round(
    model: KgFusionForDiagnosis,
    batch: dict[str, torch.Tensor],
    candidates: torch.Tensor,
    repeats: int,
    bf16: bool,
    device: torch.device,
) -> list[float]:
    """Seconds of each of ``repeats`` forwards of ``batch`` (already on ``device``)."""
    times = []
    for _ in range(repeats):
        _synchronize(device)
        start = time.perf_counter()
        with autocast(bf16, device):
            model(**batch, candidates=candidates).logits.float()
        _synchronize(device)
        times.append(time.perf_counter() - start)
    return times


def _summary(values: Sequence[float]) -> dict[str, float]:
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
    }


def run_model_benchmark(
    out: Path,
    *,
    device: str = "auto",
    precisions: Sequence[str] = PRECISIONS,
    rounds: int = 3,
    steps: int = 20,
    forwards: int = 20,
    shape: ModelShape | None = None,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Time training steps and forwards of the fused model per precision; write
    ``bench_model.json`` and ``bench_model.md`` into ``out``.

    Args:
        out: results folder (made if missing).
        device: ``train.device``'s values (``auto``: the CUDA GPU when present).
        precisions: fp32 and/or bf16; the first is the baseline of the ratios.
        rounds: timed rounds per precision, alternated (after one warm-up round each).
        steps: training steps per round.
        forwards: forwards per round of each inference batch size (1 and
            ``shape.infer_batch``).
        shape: the model's and the inputs' sizes (default: the quickstart recipe's).
        seed: the weights' and the inputs' seed.
        progress: called with a line before each round.

    Raises:
        ValueError: an unknown precision, a count below 1, a bad shape or a device that is
            not there.
    """
    shape = ModelShape() if shape is None else shape
    shape.check()
    unknown = [p for p in precisions if p not in PRECISIONS]
    if unknown or not precisions or len(set(precisions)) != len(precisions):
        raise ValueError(f"precisions must be distinct ones of {', '.join(PRECISIONS)}")
    if min(rounds, steps, forwards) < 1:
        raise ValueError("rounds, steps and forwards must be at least 1")
    where = training_device(device)
    if "bf16" in precisions:
        use_bf16("bf16", where)  # a GPU that does not compute bf16 is refused here
    out = output_folder(out)
    say = progress or (lambda line: None)
    model = build_bench_model(shape, seed)
    torch.nn.Module.to(model, where)  # (transformers types .to so that mypy misreads it)
    generator = torch.Generator().manual_seed(seed)
    batches = [synthetic_batch(shape, shape.train_batch, generator) for _ in range(4)]
    single = synthetic_batch(shape, 1, generator, labels=False)
    full = synthetic_batch(shape, shape.infer_batch, generator, labels=False)
    single = {k: v.to(where) for k, v in single.items()}
    full = {k: v.to(where) for k, v in full.items()}
    runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="kgfuse-bench-model-") as tmp:
        for round_ in range(rounds + 1):  # round 0: the warm-up, not kept
            for precision in precisions:
                bf16 = precision == "bf16"
                say(f"round {round_}/{rounds} {precision}")
                model.train()
                train_rate = _train_round(model, batches, shape, steps, bf16, Path(tmp))
                model.eval()
                with torch.no_grad():  # cached, as kgfuse diagnose caches it
                    candidates = model.candidate_matrix()
                one = _infer_round(model, single, candidates, forwards, bf16, where)
                many = _infer_round(model, full, candidates, forwards, bf16, where)
                if round_ == 0:
                    continue
                runs.append(
                    {
                        "round": round_,
                        "precision": precision,
                        "train_patients_per_s": train_rate,
                        "forward_1_ms": statistics.median(one) * 1000,
                        f"forward_{shape.infer_batch}_patients_per_s": shape.infer_batch
                        / statistics.median(many),
                    }
                )
    keys = [
        "train_patients_per_s",
        "forward_1_ms",
        f"forward_{shape.infer_batch}_patients_per_s",
    ]
    summary: dict[str, Any] = {}
    for precision in precisions:
        mine = [r for r in runs if r["precision"] == precision]
        summary[precision] = {k: _summary([r[k] for r in mine]) for k in keys}
    base = summary[precisions[0]]
    for precision in precisions:
        summary[precision]["ratio_to_" + precisions[0]] = {
            k: summary[precision][k]["median"] / base[k]["median"] for k in keys
        }
    result = {
        "device": _device_info(where),
        # the CPU, cores, RAM, load and versions, as the other benchmarks record them
        "machine": {
            **machine_info(),
            "torch": torch.__version__,
            "torch_threads": torch.get_num_threads(),
        },
        "shape": asdict(shape),
        "rounds": rounds,
        "steps": steps,
        "forwards": forwards,
        "seed": seed,
        "precisions": list(precisions),
        "summary": summary,
        "runs": runs,
    }
    write_atomic(out / "bench_model.json", json.dumps(result, indent=2) + "\n")
    write_atomic(out / "bench_model.md", model_bench_markdown(result))
    return result


def _device_info(device: torch.device) -> dict[str, Any]:
    info: dict[str, Any] = {"type": device.type, "name": "CPU"}
    if device.type == "cuda":
        info["name"] = torch.cuda.get_device_name(device)
        info["cuda"] = torch.version.cuda
        info["bf16_supported"] = bool(torch.cuda.is_bf16_supported())
    return info


def model_bench_markdown(result: dict[str, Any]) -> str:
    """The benchmark's result as a Markdown table (median [min-max], ratio to the base)."""
    shape = result["shape"]
    batch = shape["infer_batch"]
    base = result["precisions"][0]
    lines = [
        f"Fused diagnosis model on {result['device']['name']} ({result['device']['type']}), "
        f"torch {result['machine']['torch']}, {result['machine']['torch_threads']} torch "
        f"threads; synthetic inputs ({shape['tokens']} tokens, {shape['facts']} facts, "
        f"{shape['candidates']} candidates, {shape['layers']}-layer encoder of width "
        f"{shape['hidden_size']}); {result['rounds']} alternated rounds after a warm-up, "
        f"median [min-max]; training {result['steps']} steps of {shape['train_batch']} "
        f"patients a round through the training loop.",
        "",
        f"| precision | training patients/s | forward of 1 (ms) | forward of {batch} "
        f"(patients/s) | ratio to {base} (training / 1 / {batch}; for the forward of 1, "
        "below 1 is faster) |",
        "|---|---|---|---|---|",
    ]
    for precision in result["precisions"]:
        s = result["summary"][precision]
        r = s[f"ratio_to_{base}"]
        cells = []
        for key, fmt in (
            ("train_patients_per_s", "{:.1f}"),
            ("forward_1_ms", "{:.2f}"),
            (f"forward_{batch}_patients_per_s", "{:.1f}"),
        ):
            v = s[key]
            cells.append(
                f"{fmt.format(v['median'])} [{fmt.format(v['min'])}-{fmt.format(v['max'])}]"
            )
        ratios = " / ".join(
            f"{r[k]:.2f}x"
            for k in ("train_patients_per_s", "forward_1_ms", f"forward_{batch}_patients_per_s")
        )
        lines.append(f"| {precision} | {' | '.join(cells)} | {ratios} |")
    return "\n".join(lines) + "\n"
