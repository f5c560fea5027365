"""One decision, explained: what was read, what was retrieved, what the rules found, the answer.

An :class:`Explanation` gathers, for one decision (``kgfuse diagnose``, later ``ask``):

* the linked mentions of the input and their terms (:class:`Mention`),
* the facts retrieved from the KG with their retrieval scores and the fusion model's
  attention over them (:class:`RetrievedFact`),
* the rule findings (:class:`kg.rules.engine.Finding`), each citing facts with provenance,
* the ranking with probabilities (:class:`RankedAnswer`),
* warnings, and the fingerprints of the KG and model that produced it.

It renders as JSON (:meth:`Explanation.to_json`, the audit trail's format, read back by
:meth:`Explanation.from_json`), plain text (:meth:`~Explanation.to_text`) and a self-contained
HTML report for clinicians (:meth:`~Explanation.to_html`: no scripts, no external resources,
every entity linked to its IRI, all text escaped).
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from kg.hpo import FREQUENCY_RANGES
from kg.namespaces import RDFS_SUBCLASS_OF, RO_HAS_PHENOTYPE, compress
from kg.rules.engine import CitedFact, Finding, frequency_percent

__all__ = [
    "SCHEMA",
    "format_probability",
    "jsonable",
    "printable",
    "Explanation",
    "Mention",
    "RankedAnswer",
    "RetrievedFact",
]

#: Version of the explanation's JSON layout.
SCHEMA = "kgfuse-explanation/1"

_PREDICATE_WORDS = {
    RDFS_SUBCLASS_OF: "is_a",
    RO_HAS_PHENOTYPE: "has phenotype",
    "http://purl.obolibrary.org/obo/RO_0003304": "contributes to",
}
_STATUS_ORDER = {"error": 0, "fail": 1, "warn": 2, "pass": 3}
_STATUS_MARK = {"pass": "PASS", "fail": "FAIL", "warn": "WARN", "error": "ERROR"}
_LINKABLE = ("http://", "https://")


@dataclass
class Mention:
    """A span of the input linked to a KG term.

    Attributes:
        text: the span as written ("" once redacted).
        start, end: character offsets in the input.
        iri: the linked term.
        label: the term's label.
        status: ``present``, ``excluded`` (negated), ``uncertain`` ... as the linker says.
        score: the linker's confidence, if any.
        read_from: ``treatment`` where the span names a treatment done only for the term
            ("orchidopexy": *Cryptorchidism*), else empty (the record leaves it out).
    """

    text: str
    start: int
    end: int
    iri: str
    label: str = ""
    status: str = "present"
    score: float | None = None
    read_from: str = ""

    def to_dict(self) -> dict[str, Any]:
        out = {
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "iri": self.iri,
            "label": self.label,
            "status": self.status,
            "score": self.score,
        }
        if self.read_from:
            out["read_from"] = self.read_from
        return out

    @property
    def shown_status(self) -> str:
        """The status as a reader is shown it: "present, from its treatment" where the
        span is a treatment."""
        return f"{self.status}, from its {self.read_from}" if self.read_from else self.status

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Mention:
        return cls(
            d["text"],
            int(d["start"]),
            int(d["end"]),
            d["iri"],
            d.get("label", ""),
            d.get("status", "present"),
            d.get("score"),
            str(d.get("read_from") or ""),
        )


@dataclass
class RetrievedFact:
    """A fact retrieved for the decision.

    Attributes:
        fact: the fact with its provenance.
        score: retrieval score (e.g. inner product in the FAISS index).
        attention: the fusion layers' attention on it (averaged over heads/tokens), if any.
        source: the KG source (file and release) the fact was read from, when known (a QA
            answer's facts); stored only when set, so older explanations read as before.
    """

    fact: CitedFact
    score: float
    attention: float | None = None
    source: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out = {"fact": self.fact.to_dict(), "score": self.score, "attention": self.attention}
        if self.source is not None:
            out["source"] = self.source
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> RetrievedFact:
        return cls(CitedFact.from_dict(d["fact"]), d["score"], d.get("attention"), d.get("source"))


@dataclass
class RankedAnswer:
    """One answer of the ranking.

    Attributes:
        iri: the answer (disease, gene, offence ...).
        label: its label.
        score: the model's score.
        probability: the model's probability (or post-test probability), if any.
    """

    iri: str
    label: str = ""
    score: float = 0.0
    probability: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "iri": self.iri,
            "label": self.label,
            "score": self.score,
            "probability": self.probability,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> RankedAnswer:
        return cls(d["iri"], d.get("label", ""), d.get("score", 0.0), d.get("probability"))


def jsonable(value: Any) -> Any:
    """JSON-ready copy: tuples as lists, numpy scalars as Python ones, NaN/inf as None."""
    if isinstance(value, bool) or value is None or isinstance(value, (str, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if hasattr(value, "item"):  # numpy scalar
        return jsonable(value.item())
    if hasattr(value, "tolist"):  # numpy array
        return jsonable(value.tolist())
    raise TypeError(f"cannot store a {type(value).__name__} in an explanation")


@dataclass
class Explanation:
    """Everything about one decision; see the module docstring.

    Attributes:
        kind: what produced it (``diagnose``, ``ask``).
        input_text: the input (None when not stored).
        mentions: linked mentions, in input order.
        facts: retrieved facts, best first.
        findings: rule findings (about one or several candidates).
        ranking: answers, best first.
        warnings: messages for the reader (skipped terms, low confidence ...).
        kg_fingerprint, model_fingerprint: what produced the decision.
        labels: IRI -> label for rendering (anything not here shows its CURIE).
        metadata: free-form JSON values (e.g. rule set fingerprint, timings, top-k).
    """

    kind: str = "diagnose"
    input_text: str | None = None
    mentions: list[Mention] = field(default_factory=list)
    facts: list[RetrievedFact] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    ranking: list[RankedAnswer] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    kg_fingerprint: str | None = None
    model_fingerprint: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)

    # ---- JSON ------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (the layout :data:`SCHEMA`)."""
        return jsonable(
            {
                "schema": SCHEMA,
                "kind": self.kind,
                "input_text": self.input_text,
                "mentions": [m.to_dict() for m in self.mentions],
                "facts": [f.to_dict() for f in self.facts],
                "findings": [f.to_dict() for f in self.findings],
                "ranking": [r.to_dict() for r in self.ranking],
                "warnings": list(self.warnings),
                "kg_fingerprint": self.kg_fingerprint,
                "model_fingerprint": self.model_fingerprint,
                "labels": dict(self.labels),
                "metadata": dict(self.metadata),
            }
        )

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Explanation:
        """Inverse of :meth:`to_dict`.

        Raises:
            ValueError: the dict is of another layout version.
        """
        schema = d.get("schema", SCHEMA)
        if schema != SCHEMA:
            raise ValueError(f"unknown explanation layout {schema!r} (expected {SCHEMA})")
        return cls(
            kind=d.get("kind", "diagnose"),
            input_text=d.get("input_text"),
            mentions=[Mention.from_dict(m) for m in d.get("mentions", [])],
            facts=[RetrievedFact.from_dict(f) for f in d.get("facts", [])],
            findings=[Finding.from_dict(f) for f in d.get("findings", [])],
            ranking=[RankedAnswer.from_dict(r) for r in d.get("ranking", [])],
            warnings=list(d.get("warnings", [])),
            kg_fingerprint=d.get("kg_fingerprint"),
            model_fingerprint=d.get("model_fingerprint"),
            labels=dict(d.get("labels", {})),
            metadata=dict(d.get("metadata", {})),
        )

    def to_json(self, indent: int | None = 2) -> str:
        """JSON text (UTF-8 characters kept, keys sorted)."""
        return json.dumps(
            self.to_dict(), indent=indent, sort_keys=True, ensure_ascii=False, allow_nan=False
        )

    @classmethod
    def from_json(cls, text: str) -> Explanation:
        """Read what :meth:`to_json` wrote."""
        return cls.from_dict(json.loads(text))

    def redacted(self) -> Explanation:
        """A copy without the input: no input text, mention texts blanked (spans kept)."""
        return replace(
            self,
            input_text=None,
            mentions=[replace(m, text="") for m in self.mentions],
        )

    # ---- helpers ---------------------------------------------------------------------------
    def fill_labels(self, label: Callable[[str], str]) -> Explanation:
        """Add the label of every entity that has none yet (e.g. ``lambda i: label_of(kg, i)``
        from :mod:`kg.rules.engine`); returns self."""
        for iri in self.entities():
            if not self.labels.get(iri):
                got = label(iri)
                if got:
                    self.labels[iri] = got
        return self

    def label(self, iri: str) -> str:
        """Label of an IRI from ``labels``, the mentions or the ranking ("" when unknown)."""
        got = self.labels.get(iri)
        if got:
            return got
        for m in self.mentions:
            if m.iri == iri and m.label:
                return m.label
        for r in self.ranking:
            if r.iri == iri and r.label:
                return r.label
        return _PREDICATE_WORDS.get(iri, "")

    def entities(self) -> list[str]:
        """Every IRI the explanation mentions (answers, terms, facts, sources), in order."""
        seen: dict[str, None] = {}

        def add(*iris: str | None) -> None:
            for i in iris:
                if i:
                    seen.setdefault(i, None)

        for r in self.ranking:
            add(r.iri)
        for m in self.mentions:
            add(m.iri)
        for f in self.findings:
            add(f.disease, f.patient_term, *f.path)
            for c in f.cites:
                add(*_fact_iris(c))
        for rf in self.facts:
            add(*_fact_iris(rf.fact))
        return list(seen)

    def findings_by_disease(self) -> list[tuple[str | None, list[Finding]]]:
        """Findings grouped by candidate, in ranking order (then first appearance)."""
        groups: dict[str | None, list[Finding]] = {r.iri: [] for r in self.ranking}
        for f in self.findings:
            groups.setdefault(f.disease, []).append(f)
        return [(d, fs) for d, fs in groups.items() if fs]

    def _name(self, iri: str | None) -> str:
        if not iri:
            return ""
        label = self.label(iri)
        curie = compress(iri)
        return f"{label} ({curie})" if label and label != curie else curie

    # ---- text ------------------------------------------------------------------------------
    def to_text(self, *, max_facts: int = 20) -> str:
        """A plain-text report (findings grouped by candidate, worst status first), safe to
        print on a terminal: control characters from the input or the KG are shown as
        escapes (:func:`printable`); a score that was not a number (stored as null) as "–"."""
        out: list[str] = [f"kgfuse {self.kind}"]
        out.append(f"KG {_short(self.kg_fingerprint)}  model {_short(self.model_fingerprint)}")
        if self.input_text is not None:
            out += ["", "Input:", _indent(self.input_text)]
        if "answer_text" in self.metadata:
            meta = self.metadata
            how = [f"intent {meta.get('intent')}"]
            if isinstance(meta.get("confidence"), (int, float)):
                how.append(f"confidence {meta['confidence']:.2f}")
            if "answered" in meta:
                how.append("answered" if meta["answered"] else "not answered")
            out += ["", f"Answer ({', '.join(how)}):", _indent(str(meta["answer_text"]))]
        used = self._patient_lines()
        if used:
            out += ["", "Patient, as the decision used it:", *used]
        if self.mentions:
            out += ["", "Mentions:"]
            for m in self.mentions:
                score = f", {m.score:.2f}" if m.score is not None else ""
                text = f'"{m.text}" ' if m.text else ""
                shown = m.shown_status
                out.append(f"  {text}[{m.start}:{m.end}] -> {self._name(m.iri)}, {shown}{score}")
        if self.ranking:
            out += ["", "Ranking:"]
            for k, r in enumerate(self.ranking, start=1):
                prob = (
                    f"  p={format_probability(r.probability)}" if r.probability is not None else ""
                )
                out.append(f"  {k:>2}. {self._name(r.iri)}  score {_number(r.score)}{prob}")
        for disease, findings in self.findings_by_disease():
            out += ["", f"Findings for {self._name(disease) or 'the decision'}:"]
            for f in sorted(findings, key=lambda f: _STATUS_ORDER.get(f.status, 9)):
                out.append(f"  [{_STATUS_MARK[f.status]}] {f.kind} ({f.rule_id} v{f.rule_version})")
                out.append(_indent(f.message, 6))
                if f.path:
                    out.append("      path: " + " -> ".join(self._name(t) for t in f.path))
                for c in f.cites:
                    out.append("      cites: " + self._fact_text(c))
        if self.facts:
            out += ["", "Retrieved facts:"]
            for rf in self.facts[:max_facts]:
                att = f"  attention {rf.attention:.3f}" if rf.attention is not None else ""
                source = f" [from {rf.source}]" if rf.source else ""
                out.append(f"  {_number(rf.score)}{att}  {self._fact_text(rf.fact)}{source}")
            if len(self.facts) > max_facts:
                out.append(f"  ... {len(self.facts) - max_facts} more")
        if self.warnings:
            out += ["", "Warnings:"] + [f"  - {w}" for w in self.warnings]
        return printable("\n".join(out) + "\n")

    def _patient_lines(self) -> list[str]:
        """The terms a diagnosis used (present, excluded), its onset and the sex and age the
        rules weighed, from the metadata."""
        out = []
        for key in ("present", "excluded"):
            terms = self.metadata.get(key)
            if isinstance(terms, list) and terms:
                out.append(f"  {key + ':':<10}" + ", ".join(self._name(str(t)) for t in terms))
        if self.metadata.get("onset"):
            out.append(f"  {'onset:':<10}{self._name(str(self.metadata['onset']))}")
        stated = self.metadata.get("stated")
        for key in ("sex", "age"):  # what the rules weighed: given, or read from the text
            value = self.metadata.get(key)
            if value is None or isinstance(value, bool):
                continue
            shown = f"{value:g} years" if isinstance(value, int | float) else str(value).lower()
            words = stated.get(key) if isinstance(stated, dict) else None
            out.append(f"  {key + ':':<10}{shown}" + (f" ('{words}')" if words else ""))
        return out

    def _fact_text(self, c: CitedFact) -> str:
        obj = f'"{c.object}"' if c.object_is_literal else self._name(c.object)
        neg = "NOT " if c.negated else ""
        triple = f"{self._name(c.subject)} {neg}{self._name(c.predicate)} {obj}"
        prov = _provenance(c, self._name)
        return f"{triple}{' [' + prov + ']' if prov else ''}"

    # ---- HTML ------------------------------------------------------------------------------
    def to_html(
        self,
        *,
        title: str | None = None,
        max_facts: int = 50,
        provenance: Mapping[str, str] | None = None,
    ) -> str:
        """A self-contained HTML report: inline CSS, no scripts, no external resources.

        Every entity is a link to its IRI; every text that comes from the input or the KG
        goes through :func:`html.escape`. ``provenance`` (name -> value: the audit record's
        id, hashes and versions) is shown first, so that a report can be tied back to its
        record in the hash chain.
        """
        e = _esc
        parts: list[str] = []
        title = title or f"kgfuse {self.kind} report"
        parts.append(f"<h1>{e(title)}</h1>")
        parts.append(
            '<p class="meta">KG fingerprint <code>'
            f"{e(self.kg_fingerprint or 'unknown')}</code> &middot; model fingerprint <code>"
            f"{e(self.model_fingerprint or 'unknown')}</code></p>"
        )
        if provenance:
            parts.append('<section class="provenance"><h2>Record</h2><table><tbody>')
            parts += [
                f"<tr><th>{e(name)}</th><td><code>{e(value)}</code></td></tr>"
                for name, value in provenance.items()
            ]
            parts.append("</tbody></table></section>")
        if "answer_text" in self.metadata:
            parts.append(
                f"<section><h2>Answer</h2><p>{e(self.metadata['answer_text'])}</p>"
                f"<p class='meta'>intent {e(self.metadata.get('intent'))}</p></section>"
            )
        if self.warnings:
            parts.append('<section class="warnings"><h2>Warnings</h2><ul>')
            parts += [f"<li>{e(w)}</li>" for w in self.warnings]
            parts.append("</ul></section>")
        if self.ranking:
            parts.append("<section><h2>Ranking</h2><table><thead><tr>")
            parts.append("<th>#</th><th>Answer</th><th>Score</th><th>Probability</th>")
            parts.append("</tr></thead><tbody>")
            for k, r in enumerate(self.ranking, start=1):
                prob = (
                    e(format_probability(r.probability)) if r.probability is not None else "&ndash;"
                )
                parts.append(
                    f"<tr><td>{k}</td><td>{self._link(r.iri)}</td>"
                    f"<td>{_number(r.score, '&ndash;')}</td><td>{prob}</td></tr>"
                )
            parts.append("</tbody></table></section>")
        if self.input_text is not None or self.mentions:
            parts.append("<section><h2>What was read</h2>")
            if self.input_text is not None:
                parts.append(f'<p class="input">{self._highlighted_input()}</p>')
            if self.mentions:
                parts.append("<table><thead><tr><th>Text</th><th>Span</th><th>Term</th>")
                parts.append("<th>Status</th><th>Confidence</th></tr></thead><tbody>")
                for m in self.mentions:
                    score = f"{m.score:.2f}" if m.score is not None else "&ndash;"
                    parts.append(
                        f"<tr><td>{e(m.text)}</td><td>{m.start}&ndash;{m.end}</td>"
                        f"<td>{self._link(m.iri)}</td>"
                        f'<td class="st-{e(_css(m.status))}">{e(m.shown_status)}</td>'
                        f"<td>{score}</td></tr>"
                    )
                parts.append("</tbody></table>")
            parts.append("</section>")
        for disease, findings in self.findings_by_disease():
            head = self._link(disease) if disease else "the decision"
            parts.append(f"<section><h2>Findings for {head}</h2><ul class='findings'>")
            for f in sorted(findings, key=lambda f: _STATUS_ORDER.get(f.status, 9)):
                parts.append(self._finding_html(f))
            parts.append("</ul></section>")
        if self.facts:
            parts.append("<section><h2>Retrieved facts</h2><table><thead><tr>")
            parts.append("<th>Score</th><th>Attention</th><th>Fact</th></tr></thead><tbody>")
            for rf in self.facts[:max_facts]:
                if rf.attention is not None:
                    width = max(0.0, min(1.0, rf.attention)) * 100
                    att = (
                        f'<span class="bar" style="width:{width:.0f}px"></span> {rf.attention:.3f}'
                    )
                else:
                    att = "&ndash;"
                source = f" <span class='prov'>from {_esc(rf.source)}</span>" if rf.source else ""
                parts.append(
                    f"<tr><td>{_number(rf.score, '&ndash;')}</td><td>{att}</td>"
                    f"<td>{self._fact_html(rf.fact)}{source}</td></tr>"
                )
            parts.append("</tbody></table>")
            if len(self.facts) > max_facts:
                parts.append(f"<p>&hellip; {len(self.facts) - max_facts} more facts</p>")
            parts.append("</section>")
        body = "\n".join(parts)
        return (
            "<!DOCTYPE html>\n<html lang='en'>\n<head>\n<meta charset='utf-8'>\n"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>\n"
            "<meta http-equiv='Content-Security-Policy' "
            "content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
            f"<title>{e(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
            f"{body}\n</body>\n</html>\n"
        )

    def _link(self, iri: str | None) -> str:
        if not iri:
            return ""
        label = self.label(iri)
        curie = compress(iri)
        text = f"{_esc(label)} <span class='curie'>({_esc(curie)})</span>" if label else _esc(curie)
        if iri.startswith(_LINKABLE):
            return f'<a href="{_esc(iri)}" title="{_esc(iri)}">{text}</a>'
        return f'<span title="{_esc(iri)}">{text}</span>'

    def _fact_html(self, c: CitedFact) -> str:
        obj = f"&quot;{_esc(c.object)}&quot;" if c.object_is_literal else self._link(c.object)
        neg = "<strong>NOT</strong> " if c.negated else ""
        triple = f"{self._link(c.subject)} {neg}{self._link(c.predicate)} {obj}"
        prov: list[str] = []
        if c.iri and c.iri.startswith(_LINKABLE):
            prov.append(f'<a href="{_esc(c.iri)}" class="fact">statement</a>')
        elif c.iri:
            prov.append(f'<span class="fact" title="{_esc(c.iri)}">statement</span>')
        freq = _frequency(c, self.label)
        if c.frequency_term:
            prov.append(f"frequency {self._link(c.frequency_term)}")
            if c.frequency_text:
                prov.append(f"stated as {_esc(freq)}")
        elif freq:
            prov.append(f"frequency {_esc(freq)}")
        if c.evidence:
            prov.append(f"evidence {_esc(c.evidence)}")
        if c.sex:
            prov.append(f"{_esc(c.sex.lower())} only")
        if c.onset:
            prov.append(f"onset {self._link(c.onset)}")
        if c.sources:
            prov.append("sources " + ", ".join(self._link(s) for s in c.sources))
        return f"{triple}" + (f" <span class='prov'>[{'; '.join(prov)}]</span>" if prov else "")

    def _finding_html(self, f: Finding) -> str:
        status = _css(f.status)
        parts = [
            f"<li class='finding st-{status}'>",
            f"<span class='badge st-{status}'>{_esc(_STATUS_MARK.get(f.status, f.status))}</span> ",
            f"<strong>{_esc(f.kind.replace('_', ' '))}</strong> ",
            f"<span class='rule'>{_esc(f.rule_id)} v{_esc(f.rule_version)}</span>",
        ]
        if f.patient_term:
            parts.append(f" &middot; {self._link(f.patient_term)}")
        parts.append(f"<p>{_esc(f.message)}</p>")
        if f.path:
            steps = " &rarr; ".join(self._link(t) for t in f.path)
            parts.append(f"<p class='path'>is_a path: {steps}</p>")
        if f.cites:
            parts.append("<ul class='cites'>")
            parts += [f"<li>{self._fact_html(c)}</li>" for c in f.cites]
            parts.append("</ul>")
        parts.append("</li>")
        return "".join(parts)

    def _highlighted_input(self) -> str:
        """The input with each valid, non-overlapping mention linked to its term."""
        text = self.input_text or ""
        spans = sorted(
            (m for m in self.mentions if 0 <= m.start < m.end <= len(text)),
            key=lambda m: (m.start, -m.end),
        )
        out: list[str] = []
        pos = 0
        for m in spans:
            if m.start < pos:
                continue  # overlaps the previous mention
            out.append(_esc(text[pos : m.start]))
            cls = f"mention st-{_css(m.status)}"
            inner = _esc(text[m.start : m.end])
            title = _esc(f"{self._name(m.iri)} ({m.shown_status})")
            if m.iri.startswith(_LINKABLE):
                out.append(f'<a class="{cls}" href="{_esc(m.iri)}" title="{title}">{inner}</a>')
            else:
                out.append(f'<span class="{cls}" title="{title}">{inner}</span>')
            pos = m.end
        out.append(_esc(text[pos:]))
        return "".join(out)


def _fact_iris(c: CitedFact) -> list[str]:
    out = [c.iri or "", c.subject, c.predicate]
    if not c.object_is_literal:
        out.append(c.object)
    out += [c.frequency_term or "", c.onset or "", *c.sources]
    return [i for i in out if i]


def _frequency(c: CitedFact, label: Any) -> str:
    """A fact's frequency as its source stated it: a count with its percentage, or a
    frequency class with the range it stands for (never the midpoint kgfuse computes with,
    which no source stated)."""
    if c.frequency_term:
        curie = compress(c.frequency_term)
        stated = c.frequency_text if c.frequency_text not in (None, curie) else None
        named = stated or label(c.frequency_term) or curie
        span = FREQUENCY_RANGES.get(curie)
        return f"{named} ({span})" if span and span not in named else named
    if c.frequency_text:
        if c.frequency is not None and "%" not in c.frequency_text:
            return f"{c.frequency_text} ({frequency_percent(c.frequency)})"
        return c.frequency_text
    if c.frequency is not None:
        return frequency_percent(c.frequency)
    return ""


def _provenance(c: CitedFact, name: Any) -> str:
    prov: list[str] = []
    freq = _frequency(c, lambda i: name(i))
    if freq:
        prov.append(f"frequency {freq}")
    if c.evidence:
        prov.append(f"evidence {c.evidence}")
    if c.sex:
        prov.append(f"{c.sex.lower()} only")
    if c.onset:
        prov.append(f"onset {name(c.onset)}")
    if c.sources:
        prov.append(", ".join(compress(s) for s in c.sources))
    if c.iri:
        prov.append(compress(c.iri))
    return "; ".join(prov)


def _esc(text: object) -> str:
    """HTML-escaped text, its control and bidirectional characters written as escapes
    (as :func:`printable` writes them for a terminal: no "Trojan Source" reordering)."""
    return html.escape(_CONTROL.sub(_escape_control, str(text)), quote=True)


def _css(value: str) -> str:
    """A safe CSS class fragment."""
    return "".join(ch for ch in value.lower() if ch.isalnum() or ch in "-_") or "x"


#: C0 controls but tab and newline, DEL and C1 controls (ESC, BEL, CSI U+009B ...), and
#: the bidirectional marks, embeddings, overrides and isolates.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """``text`` with each control character but newline and tab written as a visible
    ``\\xNN`` escape, and each bidirectional control (which can reorder what an auditor
    reads, as in "Trojan Source") as ``\\uNNNN``, so that stored text cannot drive the
    terminal it is printed on nor disguise itself there."""
    return _CONTROL.sub(_escape_control, text)


def _escape_control(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _number(value: float | None, missing: str = "\u2013") -> str:
    """A score with 3 decimals; ``missing`` for None (a NaN or inf stored as null)."""
    return missing if value is None else f"{value:.3f}"


def _short(fp: str | None) -> str:
    return fp[:12] if fp else "unknown"


def _indent(text: str, n: int = 2) -> str:
    """Each line indented; lines end at a newline (or CRLF) only, so that other controls
    (a lone CR, form feed, NEL) stay in the text for :func:`printable` to show."""
    lines = re.split(r"\r?\n", text)
    if len(lines) > 1 and not lines[-1]:
        lines.pop()
    return "\n".join(" " * n + line for line in lines)


def format_probability(p: float | None) -> str:
    """A probability as a percentage with enough digits to tell it from 0 and 1."""
    if p is None:
        return "-"
    if 0.0 < p < 1.0:
        tail = min(p, 1.0 - p)
        digits = max(1, min(12, math.ceil(-math.log10(tail)) - 1))
        return f"{100 * p:.{digits}f}%"
    return f"{p:.0%}"


_CSS = """
body{font:15px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2em auto;
max-width:60em;padding:0 1em;color:#1d1d1f}
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;width:100%}td,th{padding:.25em .5em;border-bottom:1px solid #eee;
text-align:left;vertical-align:top}a{color:#0b57d0;text-decoration:none}a:hover{text-decoration:underline}
.curie,.rule,.meta,.prov{color:#666;font-size:.9em}.input{white-space:pre-wrap;background:#f7f7f8;
padding:.75em;border-radius:6px}.mention{border-bottom:2px solid #0b57d0}
.mention.st-excluded{border-bottom-color:#b3261e;text-decoration:line-through}
.findings{list-style:none;padding:0}
.finding{margin:.6em 0;padding:.5em .75em;border-left:4px solid #ccc;background:#fafafa}
.finding p{margin:.3em 0}.finding.st-pass{border-color:#1e8e3e}
.finding.st-warn{border-color:#e37400}.finding.st-fail{border-color:#b3261e}
.finding.st-error{border-color:#6a1b9a}.badge{font-weight:700;font-size:.8em;padding:.1em .4em;
border-radius:3px;color:#fff;background:#888}.badge.st-pass{background:#1e8e3e}
.badge.st-warn{background:#e37400}.badge.st-fail{background:#b3261e}.badge.st-error{background:#6a1b9a}
.cites{font-size:.9em;margin:.3em 0 0 1em;padding-left:1em}.path{font-size:.9em}
.bar{display:inline-block;height:.7em;background:#0b57d0;vertical-align:middle}
.warnings{background:#fff4e5;padding:.1em 1em;border-radius:6px}
"""
