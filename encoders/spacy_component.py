"""The concept linker as a spaCy pipeline component, registered as ``kgfuse_linker``.

Mentions are stored on ``doc.spans["kgfuse"]`` (the key is configurable); each span's label
is the term's CURIE and its extension attributes carry the rest::

    span._.kgfuse_iri, span._.kgfuse_curie, span._.kgfuse_label, span._.kgfuse_excluded,
    span._.kgfuse_uncertain, span._.kgfuse_family, span._.kgfuse_score, span._.kgfuse_source

Any pipeline works, ``spacy.blank("en")`` included: the linker reads ``doc.text`` and maps
its character offsets onto the pipeline's tokens. A token that a mention starts or ends
inside is split there (spaCy keeps "IQ:hypotonia;ataxia" as three tokens; the linker reads
two findings in the last), so each span is exactly its mention; in a doc that an earlier
component has parsed, tokens are not split (that would change the parse) and such a
mention's span is the tokens that hold it.

Example:
    >>> import spacy
    >>> import encoders.spacy_component  # registers the factory  # doctest: +SKIP
    >>> nlp = spacy.blank("en")  # doctest: +SKIP
    >>> pipe = nlp.add_pipe("kgfuse_linker")  # doctest: +SKIP
    >>> pipe.set_linker(ConceptLinker(lexicon))  # doctest: +SKIP
    >>> [s.label_ for s in nlp("No seizures.").spans["kgfuse"]]  # doctest: +SKIP
    ['HP:0001250']
"""

from __future__ import annotations

import bisect
import itertools
import json
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc, Span

from encoders.linker import ConceptLinker, LinkerConfig
from kg.lexicon import Lexicon

logger = logging.getLogger(__name__)

__all__ = ["SPANS_KEY", "ConceptLinkerComponent", "make_kgfuse_linker", "register_extensions"]

SPANS_KEY = "kgfuse"
_EXTENSIONS: dict[str, Any] = {
    "kgfuse_iri": None,
    "kgfuse_curie": None,
    "kgfuse_label": None,
    "kgfuse_excluded": False,
    "kgfuse_uncertain": False,
    "kgfuse_family": False,
    "kgfuse_score": 0.0,
    "kgfuse_source": None,
}
_LEXICON_FILE = "lexicon.jsonl"
_PARENTS_FILE = "parents.json"
_CONFIG_FILE = "linker_config.json"


def _split_tokens_at(doc: Doc, offsets: Iterable[int]) -> None:
    """Split the tokens of ``doc`` that ``offsets`` (character offsets) fall inside, at those
    offsets; not in a parsed doc, whose parse a split would change (its spans keep the
    tokens that hold the mention)."""
    if doc.has_annotation("DEP"):
        return
    starts = [token.idx for token in doc]
    cuts: dict[int, list[int]] = {}
    for offset in sorted(set(offsets)):
        k = bisect.bisect_right(starts, offset) - 1
        if k >= 0 and starts[k] < offset < starts[k] + len(doc[k].text):
            cuts.setdefault(k, []).append(offset - starts[k])
    if not cuts:
        return
    with doc.retokenize() as retokenizer:
        for k, inner in cuts.items():
            token = doc[k]
            bounds = [0, *inner, len(token.text)]
            orths = [token.text[a:b] for a, b in itertools.pairwise(bounds)]
            retokenizer.split(token, orths, heads=[(token, i) for i in range(len(orths))])


class LinkerNotInitializedError(RuntimeError):
    """The component has no linker yet: call ``set_linker`` or ``initialize(lexicon=...)``."""


def register_extensions() -> None:
    """Declare the ``Span._.kgfuse_*`` attributes (idempotent)."""
    for name, default in _EXTENSIONS.items():
        if not Span.has_extension(name):
            Span.set_extension(name, default=default)


def _config_from_dict(values: Mapping[str, Any]) -> LinkerConfig:
    known = {f.name for f in fields(LinkerConfig)}
    unknown = set(values) - known
    if unknown:
        raise ValueError(f"unknown linker settings {sorted(unknown)}; known: {sorted(known)}")
    kwargs: dict[str, Any] = {}
    for key, value in values.items():
        kwargs[key] = tuple(value) if isinstance(value, list) else value
    return LinkerConfig(**kwargs)


class ConceptLinkerComponent:
    """spaCy component that runs a :class:`encoders.linker.ConceptLinker` on each doc.

    Args:
        nlp: the pipeline.
        name: the component's name in it.
        spans_key: ``doc.spans`` key for the mentions. (default: ``"kgfuse"``)
        lexicon_path: a lexicon written by ``Lexicon.save`` to build the linker from; None
            to set it later. (default: ``None``)
        parents_path: JSON ``{iri: [parent iris]}`` for most-specific decisions and root
            filtering. (default: ``None``)
        config: :class:`encoders.linker.LinkerConfig` fields. (default: ``{}``)
    """

    def __init__(
        self,
        nlp: Language,
        name: str,
        spans_key: str = SPANS_KEY,
        lexicon_path: str | None = None,
        parents_path: str | None = None,
        config: Mapping[str, Any] | None = None,
    ) -> None:
        register_extensions()
        self.nlp = nlp
        self.name = name
        self.spans_key = spans_key
        self.linker_config = _config_from_dict(config or {})
        self.linker: ConceptLinker | None = None
        self._lexicon: Lexicon | None = None
        self._parents: dict[str, list[str]] | None = None
        if lexicon_path:
            lexicon = Lexicon.load(Path(lexicon_path))
            parents = (
                json.loads(Path(parents_path).read_text(encoding="utf-8")) if parents_path else None
            )
            self.initialize(lexicon=lexicon, parents=parents)

    def set_linker(self, linker: ConceptLinker) -> None:
        """Use an already built linker (it is not saved by :meth:`to_disk`)."""
        self.linker = linker
        self.linker_config = linker.config

    def initialize(
        self,
        get_examples: Callable[[], Iterable[Any]] | None = None,
        *,
        nlp: Language | None = None,
        lexicon: Lexicon | None = None,
        parents: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        """Build the linker from a lexicon (spaCy's ``nlp.initialize`` hook).

        Args:
            get_examples: unused (the component is not trained).
            nlp: unused.
            lexicon: the names to recognise.
            parents: ``is_a`` parent map.

        Raises:
            LinkerNotInitializedError: no lexicon given.
        """
        if lexicon is None:
            if self.linker is not None:
                return
            raise LinkerNotInitializedError(
                f"{self.name}: initialize(lexicon=...) needs a kg.lexicon.Lexicon"
            )
        self._lexicon = lexicon
        self._parents = {k: list(v) for k, v in parents.items()} if parents else None
        self.linker = ConceptLinker(lexicon, self.linker_config, parents=self._parents)

    def __call__(self, doc: Doc) -> Doc:
        """Link ``doc.text`` and store the mentions on ``doc.spans[spans_key]``."""
        if self.linker is None:
            raise LinkerNotInitializedError(
                f"{self.name}: no linker; call set_linker(...) or initialize(lexicon=...)"
            )
        spans = []
        mentions = self.linker.link(doc.text)
        # A mention that starts or ends inside one of the pipeline's tokens (spaCy keeps
        # "hypotonia;ataxia" as one): that token is split there, so that every span is the
        # mention's own text (widened, two mentions would share one span and its
        # attributes).
        _split_tokens_at(doc, {b for m in mentions for b in (m.start, m.end)})
        for m in mentions:
            # on token boundaries once split ("expand" also covers a parsed doc, left whole)
            span = doc.char_span(m.start, m.end, label=m.curie, alignment_mode="expand")
            if span is None:  # pragma: no cover - expand always aligns non-empty text
                continue
            span._.kgfuse_iri = m.iri
            span._.kgfuse_curie = m.curie
            span._.kgfuse_label = m.label
            span._.kgfuse_excluded = m.excluded
            span._.kgfuse_uncertain = m.uncertain
            span._.kgfuse_family = m.family
            span._.kgfuse_score = m.score
            span._.kgfuse_source = m.source
            spans.append(span)
        doc.spans[self.spans_key] = spans
        return doc

    def pipe(self, stream: Iterable[Doc], batch_size: int = 128) -> Iterator[Doc]:
        """Process a stream of docs."""
        for doc in stream:
            yield self(doc)

    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        """Save the lexicon, parent map and settings (a linker set by ``set_linker`` is
        saved only when it was built here)."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        (path / _CONFIG_FILE).write_text(
            json.dumps(asdict(self.linker_config), indent=2), encoding="utf-8"
        )
        if self._lexicon is not None:
            self._lexicon.save(path / _LEXICON_FILE)
        if self._parents is not None:
            (path / _PARENTS_FILE).write_text(json.dumps(self._parents), encoding="utf-8")

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> ConceptLinkerComponent:
        """Load what :meth:`to_disk` wrote."""
        path = Path(path)
        cfg = path / _CONFIG_FILE
        if cfg.is_file():
            self.linker_config = _config_from_dict(json.loads(cfg.read_text(encoding="utf-8")))
        lex = path / _LEXICON_FILE
        if lex.is_file():
            parents_file = path / _PARENTS_FILE
            parents = (
                json.loads(parents_file.read_text(encoding="utf-8"))
                if parents_file.is_file()
                else None
            )
            self.initialize(lexicon=Lexicon.load(lex), parents=parents)
        return self


@Language.factory(
    "kgfuse_linker",
    default_config={
        "spans_key": SPANS_KEY,
        "lexicon_path": None,
        "parents_path": None,
        "config": {},
    },
)
def make_kgfuse_linker(
    nlp: Language,
    name: str,
    spans_key: str,
    lexicon_path: str | None,
    parents_path: str | None,
    config: dict[str, Any],
) -> ConceptLinkerComponent:
    """Factory of the ``kgfuse_linker`` component (see :class:`ConceptLinkerComponent`)."""
    return ConceptLinkerComponent(nlp, name, spans_key, lexicon_path, parents_path, config)
