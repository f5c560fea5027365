"""A small, fast setting for task training tests: the legal KG, a tiny random BERT, a home.

The KG's fact index is built with the tiny encoder beforehand, so training finds it cached
instead of loading the default MiniLM encoder; graph embeddings are 16-dimensional and
trained for two epochs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from encoders.text import TextEncoder, TextEncoderConfig
from fusion.retrieval import FactIndex, default_index_dir
from kg.knowledge_graph import KnowledgeGraph
from kg.store import build_kg
from tests.tiny_bert import LETTERS, write_tiny_bert

if TYPE_CHECKING:
    from train.config import TaskConfig

FIXTURES = Path(__file__).parent / "fixtures"
EXAMPLES = Path(__file__).parents[1] / "kgfuse" / "examples"
#: Words of the legal examples, so the tiny tokenizer makes whole-word pieces.
WORDS = [
    "the",
    "he",
    "she",
    "a",
    "an",
    "and",
    "of",
    "to",
    "in",
    "his",
    "her",
    "was",
    "with",
    "as",
    "from",
    "theft",
    "burglary",
    "robbery",
    "assault",
    "took",
    "house",
    "force",
    "violence",
    "dishonesty",
    "entry",
    "trespasser",
    "use",
    "crime",
    "offence",
    "element",
]


@dataclass(frozen=True)
class LegalTaskEnv:
    kg: Path
    encoder: Path
    home: Path

    def overrides(self, *extra: str) -> list[str]:
        """``--set`` values of a fast training run."""
        return [
            f"model.encoder={self.encoder}",
            "model.hidden_dim=16",
            "model.num_facts=4",
            "embedding.epochs=2",
            "embedding.hidden_dim=16",
            "train.epochs=2",
            "train.batch_size=8",
            "train.precision=fp32",
            *extra,
        ]

    def config(self, data: Path, out: Path, *extra: str) -> TaskConfig:
        """The task config of a fast run on ``data`` into ``out`` (with ``extra`` overrides)."""
        from train.config import TaskConfig, load_config

        sets = self.overrides(f"data={data}", f"kg={self.kg}", f"output={out}", *extra)
        return load_config(None, sets, schema=TaskConfig)


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    """``records`` written to ``path`` as JSON Lines; the path."""
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def make_legal_task_env(folder: Path) -> LegalTaskEnv:
    kg_dir = folder / "kg"
    build_kg([FIXTURES / "legal" / "legal.ttl"], kg_dir, progress=False)
    encoder_dir = write_tiny_bert(
        folder / "tiny_bert", WORDS, pieces=LETTERS + "0123456789", extra=(",", ":", ".", ";")
    )
    kg = KnowledgeGraph.open(kg_dir)
    encoder = TextEncoder(
        TextEncoderConfig(model_path=str(encoder_dir), precision="fp32", device="cpu")
    )
    FactIndex.build(kg, text_encoder=encoder).save(default_index_dir(kg))
    return LegalTaskEnv(kg_dir, encoder_dir, folder / "home")
