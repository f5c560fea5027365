"""A self-check of concept recognition: does the linker read each of a KG's own names back
as its own term?

Each name (label or exact synonym, by default) of a term the linker may link is written into
a sentence (``template``) and linked. The outcome of a name is the first that holds of the
mentions found inside it:

=========================  ===================================================================
``own term``               one mention over the whole name, of its term, and nothing else
``own term and others``    its term over the whole name, with other terms inside it
``own term, part of it``   its term, on part of the name only ("grade 3" of "grade 3+")
``another term``           another term over the whole name (a name two terms share)
``parts only``             other terms on parts of the name
``nothing``                no mention at all
=========================  ===================================================================

A user's own ontology shows here what its names need before any labelled text exists: names
the normaliser splits apart, acronyms held back as ambiguous, synonyms two terms share. The
HPO figures are in docs/measurements.md.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from encoders.linker import ConceptLinker, Mention
from kg.lexicon import Lexicon
from kg.namespaces import compress

__all__ = ["NAME_OUTCOMES", "NameCheck", "check_names", "name_check_markdown", "name_outcome"]

#: The outcomes of a name, best first.
NAME_OUTCOMES = (
    "own term",
    "own term and others",
    "own term, part of it",
    "another term",
    "parts only",
    "nothing",
)
#: The sentence a name is written into by default: nothing around it that a context rule
#: reads (a negation, a relative, a heading).
DEFAULT_TEMPLATE = "{name}."


@dataclass
class NameCheck:
    """How many names came back as each outcome, with a few examples of each."""

    names: int
    template: str
    kinds: tuple[str, ...]
    outcomes: dict[str, int] = field(default_factory=dict)
    #: outcome -> up to ``examples`` names: their term and the mentions found in them
    examples: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @property
    def own_share(self) -> float:
        """The share of names read back as exactly their own term."""
        return self.outcomes.get("own term", 0) / self.names if self.names else float("nan")

    def to_dict(self) -> dict[str, Any]:
        """The check as JSON-ready data."""
        return {
            "names": self.names,
            "template": self.template,
            "kinds": list(self.kinds),
            "own_share": self.own_share,
            "outcomes": {k: self.outcomes.get(k, 0) for k in NAME_OUTCOMES},
            "examples": self.examples,
        }


def name_outcome(term: str, start: int, end: int, mentions: Iterable[Mention]) -> str:
    """The outcome (one of :data:`NAME_OUTCOMES`) of a name of ``term`` written at
    ``[start, end)`` of a text whose mentions are ``mentions``."""
    inside = [m for m in mentions if m.start >= start and m.end <= end]
    whole = {m.iri for m in inside if m.start == start and m.end == end}
    found = {m.iri for m in inside}
    if term in whole:
        return "own term" if found == {term} else "own term and others"
    if term in found:
        return "own term, part of it"
    if whole:
        return "another term"
    return "parts only" if inside else "nothing"


def check_names(
    linker: ConceptLinker,
    lexicon: Lexicon,
    *,
    kinds: tuple[str, ...] = ("label", "exact"),
    template: str = DEFAULT_TEMPLATE,
    examples: int = 10,
    progress: bool = False,
) -> NameCheck:
    """Link each name of ``lexicon`` of the given ``kinds`` whose term ``linker`` may link,
    written into ``template`` (which holds ``{name}`` once), and count the outcomes.

    Raises:
        ValueError: ``template`` does not hold ``{name}`` exactly once.
    """
    if template.count("{name}") != 1:
        raise ValueError(f"the template must hold {{name}} exactly once, got {template!r}")
    before = template.index("{name}")
    entries = [
        e
        for e in lexicon.entries
        if e.kind in kinds
        and e.text.strip()
        and e.iri in linker.labels  # a term of the linker's dictionary
        and linker.is_linkable(e.iri)
    ]
    items: Iterable[Any] = entries
    if progress:
        from tqdm.auto import tqdm

        items = tqdm(entries, desc="linking the names", unit="name")
    counts: Counter[str] = Counter()
    shown: dict[str, list[dict[str, Any]]] = {k: [] for k in NAME_OUTCOMES}
    for entry in items:
        text = template[:before] + entry.text + template[before + len("{name}") :]
        mentions = linker.link(text)
        outcome = name_outcome(entry.iri, before, before + len(entry.text), mentions)
        counts[outcome] += 1
        if outcome != "own term" and len(shown[outcome]) < examples:
            shown[outcome].append(
                {
                    "name": entry.text,
                    "kind": entry.kind,
                    "term": compress(entry.iri),
                    "found": [{"text": m.text, "curie": m.curie} for m in mentions],
                }
            )
    return NameCheck(
        names=len(entries),
        template=template,
        kinds=tuple(kinds),
        outcomes=dict(counts),
        examples={k: v for k, v in shown.items() if v},
    )


def name_check_markdown(check: NameCheck) -> str:
    """The check as a Markdown table of outcomes, then a few names of each outcome."""
    rows = [
        f"{check.names:,} names ({', '.join(check.kinds)}) written as {check.template!r}",
        "",
        "| outcome | names | share |",
        "|---|---:|---:|",
    ]
    for outcome in NAME_OUTCOMES:
        n = check.outcomes.get(outcome, 0)
        share = n / check.names if check.names else 0.0
        rows.append(f"| {outcome} | {n:,} | {share:.1%} |")
    for outcome, shown in check.examples.items():
        rows += ["", f"**{outcome}**, e.g.:", ""]
        for ex in shown:
            found = "; ".join(f"{m['text']} ({m['curie']})" for m in ex["found"]) or "nothing"
            rows.append(f"- {ex['name']} ({ex['term']}): {found}")
    return "\n".join(rows)
