"""The diagnosis service: records in, ranked differential diagnoses out.

An input record is one of
- ``{"id", "text"}`` (free clinical text, linked to terms with negation detection),
- ``{"id", "present_hpo": [...], "excluded_hpo": [...], "sex"?, "age"?}``,
- a GA4GH phenopacket v2 object (``phenotypicFeatures`` with ``excluded`` flags).

An output record is ``{"id", "ranking": [{"curie", "label", "score", "probability"}],
"warnings": [...]}`` (plus the findings used). A bad record gives ``{"id", "error"}`` and
never stops the rest of a file.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fusion.pipeline import Diagnoser, DiagnosisResult
from kg.knowledge_graph import KnowledgeGraph
from kg.store import default_kg_path, kgfuse_home

logger = logging.getLogger(__name__)

MAX_TEXT_CHARS = 100_000


class RecordError(ValueError):
    """A record that cannot be diagnosed (the message says why)."""


def default_model_dir(home: Path | None = None) -> Path:
    """The model ``kgfuse quickstart`` trains: ``<home>/models/diagnosis``."""
    return kgfuse_home(home) / "models" / "diagnosis"


@dataclass(frozen=True)
class PatientRecord:
    """A parsed input record."""

    id: str
    text: str | None
    present: tuple[str, ...]
    excluded: tuple[str, ...]
    sex: str | None = None
    age: float | None = None


def parse_record(record: Any, index: int = 0) -> PatientRecord:
    """Parse one input record of any of the three forms.

    Raises:
        RecordError: not an object, no usable field, empty or oversized text, bad types.
    """
    if not isinstance(record, Mapping):
        raise RecordError(f"record {index}: expected a JSON object, got {type(record).__name__}")
    rid = str(record.get("id", index))
    if "phenotypicFeatures" in record:
        from train.phenopacket import read_phenopacket

        try:
            case = read_phenopacket(dict(record))
        except (KeyError, TypeError, ValueError) as exc:
            raise RecordError(f"record {rid}: not a valid phenopacket: {exc}") from exc
        return PatientRecord(rid, None, tuple(case.present), tuple(case.excluded), case.sex, case.age_years)
    text = record.get("text")
    present = record.get("present_hpo", [])
    excluded = record.get("excluded_hpo", [])
    for name, value in (("present_hpo", present), ("excluded_hpo", excluded)):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise RecordError(f"record {rid}: {name} must be a list of term ids")
    if text is not None:
        if not isinstance(text, str):
            raise RecordError(f"record {rid}: text must be a string")
        if not text.strip() and not present and not excluded:
            raise RecordError(f"record {rid}: empty text")
        if len(text) > MAX_TEXT_CHARS:
            raise RecordError(f"record {rid}: text of {len(text):,} characters exceeds {MAX_TEXT_CHARS:,}")
    elif not present and not excluded:
        raise RecordError(f"record {rid}: needs 'text', 'present_hpo'/'excluded_hpo' or a phenopacket")
    age = record.get("age")
    if age is not None and not isinstance(age, int | float):
        raise RecordError(f"record {rid}: age must be a number of years")
    sex = record.get("sex")
    return PatientRecord(rid, text, tuple(present), tuple(excluded), sex, float(age) if age is not None else None)


def read_jsonl(path: Path) -> Iterator[tuple[int, Any]]:
    """(line number, parsed JSON or the error) of each non-blank line; bad bytes are errors."""
    with Path(path).open("rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                yield lineno, json.loads(raw.decode("utf-8"))
            except UnicodeDecodeError as exc:
                yield lineno, RecordError(f"line {lineno}: not valid UTF-8 ({exc.reason} at byte {exc.start})")
            except json.JSONDecodeError as exc:
                yield lineno, RecordError(f"line {lineno}: not valid JSON ({exc.msg})")


class DiagnosisService:
    """Loads the KG, the model and the linker once; diagnoses records.

    Args:
        model_dir: model folder (default: the one quickstart trains).
        kg_path: KG folder (default: the HPO KG in the kgfuse home).
        home: kgfuse home.
    """

    def __init__(self, model_dir: Path | None = None, kg_path: Path | None = None, home: Path | None = None) -> None:
        self.kg = KnowledgeGraph.open(kg_path or default_kg_path("hpo", home))
        self.model_dir = Path(model_dir) if model_dir else default_model_dir(home)
        from kgfuse.resources import default_linker

        self.diagnoser = Diagnoser.load(self.model_dir, self.kg, linker=default_linker(self.kg))

    def diagnose(self, record: PatientRecord, top_k: int = 10) -> DiagnosisResult:
        return self.diagnoser.diagnose(
            record.id, text=record.text, present=record.present, excluded=record.excluded, top_k=top_k
        )

    def diagnose_records(self, records: Iterable[tuple[int, Any]], top_k: int = 10) -> Iterator[dict[str, Any]]:
        """Output records for (index, raw record or error) pairs; errors become error records."""
        for index, raw in records:
            try:
                if isinstance(raw, Exception):
                    raise raw
                record = parse_record(raw, index)
                yield self.diagnose(record, top_k).to_record()
            except (RecordError, ValueError, KeyError) as exc:
                rid = raw.get("id", index) if isinstance(raw, Mapping) else index
                yield {"id": rid, "error": str(exc).strip("'\"")}
