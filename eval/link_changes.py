"""Two concept-recognition evaluations of the same gold compared document by document.

``kgfuse eval link --gold GOLD --out DIR`` writes each document's false and missed concepts
to ``DIR/eval_link_errors.jsonl`` (documents without an error are left out) and its figures to
``DIR/eval_link.json``. The gold is the same in both runs, so the documents' errors say
exactly what a change of the linker did, concept by concept: a concept missed in A and not
in B was found (gained), one missed in B and not in A was lost; a false concept of B that A
lacked was added, one of A that B lacks was removed.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval.compare import markdown_cell

__all__ = [
    "LinkChanges",
    "LinkReport",
    "compare_link_reports",
    "is_link_report",
    "read_link_report",
]

ERRORS_FILE = "eval_link_errors.jsonl"
FIGURES_FILE = "eval_link.json"
KINDS = ("gained", "lost", "added", "removed")
_MEANING = {
    "gained": "found in B, missed in A",
    "lost": "missed in B, found in A",
    "added": "false in B, not in A",
    "removed": "false in A, not in B",
}


@dataclass(frozen=True)
class LinkReport:
    """One run's errors by document and, when its report is beside them, its figures.

    Attributes:
        source: the errors file.
        false / missed: document id -> concept CURIE -> its label and texts.
        documents: the documents the run evaluated (None when its figures are absent).
        document: its document-level precision, recall and F1 (empty when absent).
    """

    source: str
    false: dict[str, dict[str, dict[str, Any]]]
    missed: dict[str, dict[str, dict[str, Any]]]
    documents: int | None
    document: dict[str, float]


def _errors_path(path: Path) -> Path:
    return path / ERRORS_FILE if path.is_dir() else path


def is_link_report(path: str | Path) -> bool:
    """Whether ``path`` is an ``eval_link_errors.jsonl`` or a folder holding one."""
    p = Path(path)
    return (p.is_dir() and (p / ERRORS_FILE).is_file()) or p.name == ERRORS_FILE


def _concepts(row: Any, kind: str, where: str) -> dict[str, dict[str, Any]]:
    items = row.get(kind, [])
    if not isinstance(items, list):
        raise ValueError(f"{where}: '{kind}' is not a list")
    out: dict[str, dict[str, Any]] = {}
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("curie"), str):
            raise ValueError(f"{where}: a concept of '{kind}' has no curie")
        texts = item.get("texts", [])
        out[item["curie"]] = {
            "label": str(item.get("label", "")),
            "texts": [str(t) for t in texts] if isinstance(texts, list) else [],
        }
    return out


def read_link_report(path: str | Path) -> LinkReport:
    """A run's ``eval_link_errors.jsonl`` (or its folder), with ``eval_link.json`` beside it
    when there.

    Raises:
        FileNotFoundError: no errors file there.
        ValueError: a line that is not a document's errors, or a document given twice.
    """
    file = _errors_path(Path(path))
    if not file.is_file():
        raise FileNotFoundError(
            f"no {ERRORS_FILE} at {file} (`kgfuse eval link --gold GOLD --out DIR` writes it)"
        )
    false: dict[str, dict[str, dict[str, Any]]] = {}
    missed: dict[str, dict[str, dict[str, Any]]] = {}
    try:
        lines = file.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise ValueError(f"{file} is not UTF-8 ({exc})") from None
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{file}: line {n}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{where} is not JSON ({exc})") from None
        except RecursionError:
            raise ValueError(f"{where} is not a document's errors: nested too deeply") from None
        if not isinstance(row, dict) or not isinstance(row.get("id"), str):
            raise ValueError(f"{where} is not a document's errors (no id)")
        if row["id"] in false:
            raise ValueError(f"{where}: document {row['id']!r} is given twice")
        false[row["id"]] = _concepts(row, "false", where)
        missed[row["id"]] = _concepts(row, "missed", where)
    documents, document = None, {}
    figures = file.with_name(FIGURES_FILE)
    if figures.is_file():
        try:
            data = json.loads(figures.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
            raise ValueError(f"{figures} is not JSON ({type(exc).__name__})") from None
        if isinstance(data, dict):
            if isinstance(data.get("num_documents"), int):
                documents = data["num_documents"]
            doc = data.get("document")
            if isinstance(doc, dict):
                document = {k: float(doc[k]) for k in ("precision", "recall", "f1") if k in doc}
    return LinkReport(str(file), false, missed, documents, document)


@dataclass(frozen=True)
class LinkChanges:
    """What changed from run A to run B (:func:`compare_link_reports`).

    Attributes:
        a, b: the two errors files.
        changes: kind (``gained``, ``lost``, ``added``, ``removed``) -> one row per document
            and concept: ``{"id", "curie", "label", "texts"}``, by document then concept.
        figures: ``{"a": {...}, "b": {...}}`` document precision, recall and F1 where the
            runs' reports give them.
    """

    a: str
    b: str
    changes: dict[str, list[dict[str, Any]]]
    figures: dict[str, dict[str, float]]

    def frequent(self, kind: str, top: int = 10) -> list[tuple[str, str, int]]:
        """The concepts most often among ``kind``: ``(curie, label, documents)``."""
        counts = Counter(row["curie"] for row in self.changes[kind])
        labels = {row["curie"]: row["label"] for row in self.changes[kind]}
        ranked = sorted(counts, key=lambda c: (-counts[c], c))[:top]
        return [(c, labels[c], counts[c]) for c in ranked]

    def to_dict(self) -> dict[str, Any]:
        return {
            "a": self.a,
            "b": self.b,
            "figures": self.figures,
            "counts": {k: len(v) for k, v in self.changes.items()},
            "frequent": {
                k: [{"curie": c, "label": lab, "documents": n} for c, lab, n in self.frequent(k)]
                for k in KINDS
            },
            **self.changes,
        }

    def to_markdown(self, rows: int = 40) -> str:
        """The counts, the figures of each run, and the changed concepts by document (the
        first ``rows`` of each kind)."""
        lines = [f"A: {self.a}", "", f"B: {self.b}", ""]
        if self.figures.get("a") and self.figures.get("b"):
            lines += ["| document | A | B |", "|---|---:|---:|"]
            for k in ("precision", "recall", "f1"):
                if k in self.figures["a"] and k in self.figures["b"]:
                    lines.append(
                        f"| {k} | {self.figures['a'][k]:.3f} | {self.figures['b'][k]:.3f} |"
                    )
            lines.append("")
        lines.append(
            "Concepts by document: "
            + "; ".join(f"{k} {len(self.changes[k])} ({_MEANING[k]})" for k in KINDS)
            + "."
        )
        for kind in KINDS:
            if self.changes[kind]:
                often = ", ".join(f"{lab or c} ({n})" for c, lab, n in self.frequent(kind, 5))
                lines += ["", f"Most often {kind} (documents): {often}."]
        for kind in KINDS:
            if not self.changes[kind]:
                continue
            lines += ["", f"**{kind}** ({_MEANING[kind]})", "", "| document | concept | text |"]
            lines.append("|---|---|---|")
            for row in self.changes[kind][:rows]:
                concept = f"{row['label']} ({row['curie']})" if row["label"] else row["curie"]
                text = "; ".join(row["texts"])
                cells = (markdown_cell(c) for c in (row["id"], concept, text))
                lines.append(f"| {' | '.join(cells)} |")
            if len(self.changes[kind]) > rows:
                lines.append(f"| ... {len(self.changes[kind]) - rows} more | | |")
        return "\n".join(lines) + "\n"


def _rows(
    side: Mapping[str, dict[str, dict[str, Any]]],
    other: Mapping[str, dict[str, dict[str, Any]]],
) -> list[dict[str, Any]]:
    """Per document, the concepts of ``side`` that ``other`` lacks."""
    out = []
    for doc in sorted(side):
        theirs = other.get(doc, {})
        for curie in sorted(side[doc]):
            if curie not in theirs:
                entry = side[doc][curie]
                out.append({"id": doc, "curie": curie, **entry})
    return out


def compare_link_reports(a: LinkReport, b: LinkReport) -> LinkChanges:
    """The concepts gained, lost, added and removed from A to B.

    Raises:
        ValueError: the runs' reports say they evaluated other numbers of documents.
    """
    if a.documents is not None and b.documents is not None and a.documents != b.documents:
        raise ValueError(
            f"A evaluated {a.documents} documents and B {b.documents}: compare runs on the "
            "same gold"
        )
    changes = {
        "gained": _rows(a.missed, b.missed),
        "lost": _rows(b.missed, a.missed),
        "added": _rows(b.false, a.false),
        "removed": _rows(a.false, b.false),
    }
    figures = {k: r.document for k, r in (("a", a), ("b", b)) if r.document}
    return LinkChanges(a.source, b.source, changes, figures)
