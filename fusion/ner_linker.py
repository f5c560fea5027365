"""Concept recognition by a fused token classifier, grounded to terms by the dictionary.

The tagger (:class:`fusion.tasks.TaskPredictor` of a token-classification model, e.g. one
trained on ``train.distant`` data) proposes spans; each span is grounded to one term:

1. the whole span is a name of the dictionary (:meth:`ConceptLinker.link_phrase`), else
2. the dictionary finds a term inside the span (the longest mention), else
3. the dense matcher, when given, accepts the nearest name (paraphrases).

The context rules of the linker (:mod:`encoders.negation`) then mark each mention excluded,
uncertain or family, reading the whole text. ``mode="ner"`` keeps the tagger's mentions only;
``mode="combined"`` keeps every dictionary mention and adds the tagger's mentions where the
dictionary found nothing. :class:`NerLinker` has the linker's ``link`` / ``config`` / ``dense``
interface, so :func:`encoders.linker.link_records` and ``eval.linking`` take it as a linker.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from encoders.linker import ConceptLinker, Mention
from encoders.negation import ContextRules
from encoders.normalize import tokenize
from kg.namespaces import compress

logger = logging.getLogger(__name__)

__all__ = ["NER_MODES", "NerLinker", "dense_grounding"]

NER_MODES = ("ner", "combined")


class NerLinker:
    """Tagger spans grounded by a dictionary linker (see the module docstring).

    Args:
        predictor: a :class:`fusion.tasks.TaskPredictor` of a token-classification model.
        linker: the dictionary linker of the same KG.
        mode: ``"ner"`` or ``"combined"``. (default: ``"combined"``)
        min_score: tagger spans scoring below this are dropped. (default: ``0.5``)
        dense: a :class:`encoders.dense.DenseMatcher` for spans the dictionary cannot
            ground, or None. (default: ``None``)
        labels: term labels for the mentions (default: the predictor's KG's).
    """

    def __init__(
        self,
        predictor: Any,
        linker: ConceptLinker,
        *,
        mode: str = "combined",
        min_score: float = 0.5,
        dense: Any = None,
        labels: Mapping[str, str] | None = None,
    ) -> None:
        if mode not in NER_MODES:
            raise ValueError(f"unknown mode {mode!r}; choose one of {', '.join(NER_MODES)}")
        self.predictor = predictor
        self.linker = linker
        self.mode = mode
        self.min_score = min_score
        self.grounding_dense = dense
        self.context = ContextRules() if linker.config.context else None
        self.labels = labels if labels is not None else predictor.builder.kg.labels

    @property
    def config(self) -> Any:
        return self.linker.config

    @property
    def dense(self) -> Any:
        return self.linker.dense

    def ground(self, phrase: str) -> tuple[str, float, str, int, int] | None:
        """``(iri, score, source, start, end)`` of the term a span names (offsets within the
        phrase), or None."""
        iri = self.linker.link_phrase(phrase)
        if iri is not None and self.linker.is_linkable(iri):
            return iri, 1.0, "ner", 0, len(phrase)
        inner = [m for m in self.linker.link(phrase) if not m.family]
        if inner:
            best = max(inner, key=lambda m: (m.end - m.start, m.score))
            return best.iri, best.score, "ner", best.start, best.end
        if self.grounding_dense is not None:
            hit = self.grounding_dense.match([phrase])[0]
            if hit is not None and self.linker.is_linkable(hit.iri):
                return hit.iri, hit.score, "ner-dense", 0, len(phrase)
        return None

    def link(self, text: str) -> list[Mention]:
        """The mentions of ``text``, sorted by position."""
        dictionary = self.linker.link(text) if self.mode == "combined" else []
        taken = [(m.start, m.end) for m in dictionary]
        proposed = []
        spans = self.predictor.predict([text])[0]["spans"]
        for span in spans:
            if span["score"] < self.min_score:
                continue
            start, end = span["start"], span["end"]
            if any(start < e and s < end for s, e in taken):
                continue
            grounded = self.ground(text[start:end])
            if grounded is None:
                continue
            iri, score, source, a, b = grounded
            proposed.append((start + a, start + b, iri, min(score, span["score"]), source))
            taken.append((start + a, start + b))
        mentions = list(dictionary) + self._with_context(text, proposed)
        return sorted(mentions, key=lambda m: (m.start, m.end))

    def records(self, text: str) -> list[dict[str, Any]]:
        """The record contract's mention dicts (what :func:`encoders.linker.link_records`
        asks a linker for)."""
        keep = self.config.include_family
        return [m.to_record() for m in self.link(text) if keep or not m.family]

    def _with_context(
        self, text: str, proposed: list[tuple[int, int, str, float, str]]
    ) -> list[Mention]:
        if not proposed:
            return []
        tokens = tokenize(text)
        ranges = []
        for start, end, *_ in proposed:
            inside = [i for i, t in enumerate(tokens) if t.start < end and t.end > start]
            ranges.append((inside[0], inside[-1] + 1) if inside else (0, 0))
        results = self.context.analyze(tokens, ranges) if self.context is not None else None
        out = []
        for k, (start, end, iri, score, source) in enumerate(proposed):
            ctx = results[k] if results is not None else None
            out.append(
                Mention(
                    start,
                    end,
                    text[start:end],
                    iri,
                    compress(iri),
                    self.labels.get(iri, ""),
                    excluded=bool(ctx and ctx.negated),
                    score=float(score),
                    uncertain=bool(ctx and ctx.uncertain),
                    family=bool(ctx and ctx.family),
                    source=source,
                )
            )
        return out


def dense_grounding(
    kg: Any,
    threshold: float = 0.8,
    *,
    encoder: Any = None,
    cache: bool = True,
) -> Any:
    """A dense matcher over the labels and exact synonyms of the KG's classes.

    The name vectors are cached beside the KG (``<build>/derived/dense_names``) the first
    time, so later runs only load them.

    Args:
        kg: the KG.
        threshold: minimum cosine of an accepted name. (default: ``0.8``)
        encoder: the text encoder (default: all-MiniLM-L6-v2).
        cache: read and write the cached vectors. (default: ``True``)
    """
    from pathlib import Path

    from encoders.dense import DenseIndex, DenseMatcher
    from encoders.linker import linkable_lexicon
    from encoders.procedures import SYNONYM_TYPE as TREATMENT_TYPE
    from encoders.text import TextEncoder, TextEncoderConfig
    from kg.lexicon import Lexicon

    encoder = encoder or TextEncoder(TextEncoderConfig())
    folder = Path(kg.path) / "derived" / "dense_names"
    if cache and folder.is_dir():
        index = DenseIndex.load(folder, encoder)
    else:
        # the dictionary's names of its terms, less the treatments that imply a finding
        # (encoders.procedures): a span near "orchidopexy" may be another operation
        names = linkable_lexicon(kg)
        kept = [e for e in names if e.synonym_type != TREATMENT_TYPE]
        index = DenseIndex.build(Lexicon(kept, names.obsolete), encoder)
        if cache:
            index.save(folder)
    return DenseMatcher(index, threshold)
