"""``kgfuse facts "<query>"``: the KG facts FAISS retrieves for a query, with provenance."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from kg.knowledge_graph import KnowledgeGraph
from kg.lexicon import NAME_KINDS, Lexicon
from kg.namespaces import compress
from kgfuse.commands.common import (
    HomeOption,
    JsonOption,
    KGOption,
    console,
    handle_errors,
    print_json,
    resolve_kg,
    utf8_text,
)
from kgfuse.quick_exit import allow_quick_exit

#: Longest name, in words, looked up in the lexicon.
MAX_NAME_WORDS = 12


@dataclass(frozen=True)
class MatchedEntity:
    """A span of the query that exactly names a KG term (case-insensitive)."""

    iri: str
    label: str
    text: str
    kind: str

    def as_dict(self) -> dict[str, str]:
        return {
            "iri": self.iri,
            "curie": compress(self.iri),
            "label": self.label,
            "text": self.text,
            "kind": self.kind,
        }


def _words(text: str) -> list[tuple[str, int, int]]:
    return [(m.group(0).lower(), m.start(), m.end()) for m in re.finditer(r"[^\W_]+", text)]


def match_entities(query: str, lexicon: Lexicon, labels: dict[str, str]) -> list[MatchedEntity]:
    """Terms whose label or synonym equals a span of ``query`` (case and punctuation folded).

    Spans are tried longest first and never overlap; a span naming several terms links all
    of those named by its best kind of name (label before exact, narrow, broad, related).
    A stand-in for the concept linker, enough to turn "Marfan syndrome" into its IRIs.
    """
    names: dict[tuple[str, ...], dict[str, set[str]]] = {}
    for entry in lexicon:
        key = tuple(w for w, _, _ in _words(entry.text))
        if key and len(key) <= MAX_NAME_WORDS:
            names.setdefault(key, {}).setdefault(entry.kind, set()).add(entry.iri)
    words = _words(query)
    taken = [False] * len(words)
    found: list[MatchedEntity] = []
    for size in range(min(MAX_NAME_WORDS, len(words)), 0, -1):
        for start in range(len(words) - size + 1):
            if any(taken[start : start + size]):
                continue
            kinds = names.get(tuple(w for w, _, _ in words[start : start + size]))
            if not kinds:
                continue
            kind = min(kinds, key=NAME_KINDS.index)
            text = query[words[start][1] : words[start + size - 1][2]]
            for iri in sorted(kinds[kind]):
                found.append(MatchedEntity(iri, labels.get(iri, ""), text, kind))
            taken[start : start + size] = [True] * size
    return found


def _provenance(sources: Iterable[str], evidence: str | None, annotation: str | None) -> str:
    parts = []
    if evidence:
        parts.append(evidence)
    cited = [compress(s) for s in sources]
    if cited:
        parts.append(", ".join(cited[:4]) + (f" +{len(cited) - 4}" if len(cited) > 4 else ""))
    if annotation:
        parts.append(compress(annotation).rsplit("/", 1)[-1])
    return "; ".join(parts) or "KG triple"


def _shards_note(shards: int) -> str:
    return f", {shards} shards" if shards > 1 else ""


@handle_errors
def facts(
    query: Annotated[
        str,
        typer.Argument(help="Free text; exact term names in it are linked.", callback=utf8_text),
    ],
    k: Annotated[int, typer.Option("--k", "-k", min=1, help="Facts to return.")] = 20,
    as_json: JsonOption = False,
    kg: KGOption = None,
    home: HomeOption = None,
    index: Annotated[
        Path | None,
        typer.Option(
            "--index",
            help="Fact index folder (default: <KG build>/derived/facts, built when missing).",
            show_default=False,
        ),
    ] = None,
    relation: Annotated[
        list[str] | None,
        typer.Option("--relation", "-r", help="Only facts with this predicate (repeatable)."),
    ] = None,
    node_type: Annotated[
        list[str] | None,
        typer.Option(
            "--node-type", "-t", help="Only facts touching a node of this type (repeatable)."
        ),
    ] = None,
    entities: Annotated[
        str,
        typer.Option(help="'boost' facts touching linked terms, or 'filter' to keep only them."),
    ] = "boost",
    no_link: Annotated[
        bool, typer.Option("--no-link", help="Do not link term names; search by text alone.")
    ] = False,
    embeddings: Annotated[
        Path | None,
        typer.Option(
            help="Node embeddings folder (kgfuse embed) for the graph block, when building.",
            show_default=False,
        ),
    ] = None,
    encoder: Annotated[
        Path | None,
        typer.Option(
            help="Hugging Face encoder folder (default: all-MiniLM-L6-v2).", show_default=False
        ),
    ] = None,
    index_kind: Annotated[
        str | None,
        typer.Option(
            help="Index kind: flat, hnsw, ivf or ivfpq (default: the cached one, flat when "
            "building); another kind than the cached one re-indexes and re-caches it "
            "(training re-indexes the KG's cache as flat in one shard again).",
            show_default=False,
        ),
    ] = None,
    shards: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="FAISS shards the index is split into (default: the cached index's, 1 when "
            "building); another count than the cached one re-indexes and re-caches it.",
            show_default=False,
        ),
    ] = None,
    rebuild: Annotated[
        bool,
        typer.Option(
            "--rebuild",
            help="Rebuild the index (also one in an --index folder that was built on "
            "another KG, encoder or embeddings, which is otherwise refused).",
        ),
    ] = False,
) -> None:
    """Facts (triples and annotation records) retrieved for a query, with scores and sources."""
    from encoders.graph_model import load_node_embeddings
    from encoders.text import TextEncoder, TextEncoderConfig
    from fusion.faiss_index import IndexConfig
    from fusion.retrieval import ENTITY_MODES, FactIndex, RetrievalConfig, default_index_dir

    if entities not in ENTITY_MODES:
        raise typer.BadParameter(
            f"choose one of {', '.join(ENTITY_MODES)}", param_hint="--entities"
        )
    if not query.strip():
        raise typer.BadParameter(
            "the query is empty: give the text to find facts for", param_hint="QUERY"
        )
    allow_quick_exit()  # an index it builds is saved whole before it searches
    graph = KnowledgeGraph.open(resolve_kg(kg, home))
    text_encoder = TextEncoder(TextEncoderConfig(model_path=str(encoder) if encoder else None))
    folder = index if index is not None else default_index_dir(graph)
    node_embeddings = load_node_embeddings(embeddings, graph.graph) if embeddings else None
    config = RetrievalConfig(index=IndexConfig(kind=index_kind or "flat", shards=shards or 1))
    # the cached index is rebuilt when it was made on another KG, with another encoder or
    # from other --embeddings (given); an index of another folder (--index) is refused then
    fact_index = FactIndex.load_or_build(
        folder,
        graph,
        node_embeddings=node_embeddings,
        text_encoder=text_encoder,
        config=config,
        check_config=False,  # the kind and shards are the cached index's unless given
        rebuild=rebuild,
        progress=not as_json,
    )
    cached = fact_index.config.index
    wanted = IndexConfig(kind=index_kind or cached.kind, shards=shards or cached.shards)
    if (wanted.kind, wanted.shards) != (cached.kind, cached.shards):
        fact_index.rebuild_index(wanted)
        fact_index.save(folder)
    linked = [] if no_link else match_entities(query, graph.lexicon, graph.labels)
    hits = fact_index.search(
        text_encoder.encode([query])[0],
        entity_iris=[m.iri for m in linked],
        k=k,
        relations=relation or None,
        node_types=node_type or None,
        entity_mode=entities,
    )
    if as_json:
        print_json(
            {
                "query": query,
                "entities": [m.as_dict() for m in linked],
                "k": k,
                "index": {
                    "folder": str(folder),
                    "kind": fact_index.config.index.kind,
                    "shards": fact_index.config.index.shards,
                    "num_facts": len(fact_index),
                    "fingerprint": fact_index.fingerprint,
                },
                "facts": [h.as_dict() for h in hits],
            }
        )
        return
    if linked:
        names = ", ".join(f"{compress(m.iri)} ({m.label or m.text})" for m in linked)
        console.print(f"linked: {escape(names)}", highlight=False)
    else:
        console.print("linked: no term names found; searching by text alone", highlight=False)
    table = Table(
        "#",
        "score",
        "subject",
        "relation",
        "object",
        "qualifiers",
        "provenance",
        title=f"{len(hits)} facts for {escape(repr(query))} ({len(fact_index):,} indexed, "
        f"{fact_index.config.index.kind}{_shards_note(fact_index.config.index.shards)})",
    )
    for rank, hit in enumerate(hits, 1):
        f = hit.fact
        qualifiers = ", ".join(
            x for x in ("NOT" if f.negated else "", f.frequency_label or "") if x
        )
        table.add_row(
            str(rank),
            f"{hit.score:.3f}",
            f"{escape(f.subject_label)}\n[dim]{escape(compress(f.subject))}[/]",
            escape(f.predicate_label),
            f"{escape(f.object_label)}\n[dim]{escape(compress(f.object))}[/]",
            escape(qualifiers),
            escape(_provenance(f.sources, f.evidence, f.annotation)),
        )
    console.print(table)
