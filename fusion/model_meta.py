"""A model folder's ``kgfuse_model.json``: what marks a folder as a kgfuse model.

Read without torch, so a command can refuse a folder that holds no model before it starts
processes or imports the model's code.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["MODEL_META", "load_model_meta"]

MODEL_META = "kgfuse_model.json"
#: Items a model cannot do without, checked when listed as saved (the fact index is checked
#: where it loads; the prior's nearest diseases are computed again when missing).
_NEEDED_ITEMS = frozenset(
    {
        "model.safetensors",
        "config.json",
        "tokenizer.json",
        "tokenizer_config.json",
        "special_tokens_map.json",
        "vocab.txt",
    }
)


def load_model_meta(folder: Path) -> dict[str, Any]:
    """A model folder's ``kgfuse_model.json``.

    Raises:
        FileNotFoundError: the folder holds none, or lacks a weights, config or tokenizer
            file it lists as saved (``saved_items``: a half-copied folder would load a
            tokenizer of five tokens from its config alone and predict from ``[UNK]``).
        ValueError: it is not JSON, not an object, or lacks the KG's fingerprint.
    """
    path = Path(folder) / MODEL_META
    if not path.is_file():
        raise FileNotFoundError(
            f"no kgfuse model at {folder} ({MODEL_META} missing); train one with "
            "`kgfuse train` or `kgfuse quickstart` (a diagnosis model), or `kgfuse train "
            "--task ...` (a task model)"
        )
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path} is damaged ({exc}); train the model again") from None
    if not isinstance(meta, dict) or not isinstance(meta.get("kg_fingerprint"), str):
        raise ValueError(
            f"{path} is damaged (not an object with the KG's fingerprint); train the model again"
        )
    items = meta.get("saved_items")
    if isinstance(items, list):
        missing = [
            item for item in items if item in _NEEDED_ITEMS and not (Path(folder) / item).exists()
        ]
        if missing:
            raise FileNotFoundError(
                f"the model at {folder} lacks {', '.join(sorted(missing))}, which it was saved "
                "with; copy the model folder again or train the model again"
            )
    return meta
