"""A knowledge graph behind a SPARQL 1.1 endpoint, opened read-only like a local build.

``KnowledgeGraph.open("http://127.0.0.1:7878/query")`` gives a KG whose store is a
:class:`RemoteStore`: it speaks the SPARQL 1.1 protocol over HTTP (a query is POSTed as
``application/sparql-query``; SELECT and ASK results come back as
``application/sparql-results+json`` and are parsed by Oxigraph into the same
``QuerySolutions`` / ``QueryBoolean`` objects a local store returns), so the helper queries,
the rules and :mod:`kg.sparql` run unchanged. Any SPARQL 1.1 store works: ``oxigraph serve``
(``kgfuse kg serve``), Apache Jena Fuseki, GraphDB, ...

The derived tables (lexicon, hierarchy, annotation table, graph tensors) are computed from
the endpoint once, by the same code as a local build, and cached in the kgfuse home::

    <home>/remote/<sha256 of the URL, 16 hex>/<fingerprint, 16 hex>/derived/
    <home>/remote/<sha256 of the URL, 16 hex>/<fingerprint, 16 hex>/manifest.json

(the URL without its credentials: they are sent, but never shown nor written).

The fingerprint is read from the endpoint: a kgfuse build writes a short description of
itself into the store (:func:`kg.store.describe_kg`), so a KG served remotely has the
fingerprint of its local build and models trained on either are accepted by both. A store
without that description (data loaded by other tools) gets a fingerprint hashed from its
triple and type counts instead.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph as ox

from kg.atomic import sync_to_disk, sync_tree
from kg.errors import EndpointQueryError, EndpointUnreachableError, NotAnEndpointError
from kg.namespaces import KGV
from kg.store import (
    KG_DESCRIPTION_NODE,
    Manifest,
    SourceRecord,
    _counts,
    _package_versions,
    kgfuse_home,
)

logger = logging.getLogger(__name__)

#: What a SELECT/ASK (JSON results) or CONSTRUCT/DESCRIBE (N-Triples, Turtle) may answer.
_ACCEPT = "application/sparql-results+json, application/n-triples;q=0.9, text/turtle;q=0.8"
_DESCRIPTION = f"""
SELECT ?p ?v WHERE {{
  VALUES ?p {{ <{KGV}fingerprint> <{KGV}name> <{KGV}sources> }} <{KG_DESCRIPTION_NODE}> ?p ?v
}}"""
_COUNT_ALL = "SELECT (COUNT(*) AS ?n) WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }"
_COUNT_TYPES = "SELECT ?t (COUNT(?s) AS ?n) WHERE { ?s a ?t } GROUP BY ?t"
#: Version of the fallback fingerprint (of counts) of stores that carry no kgfuse description.
_COUNTS_FINGERPRINT_VERSION = "kgfuse-endpoint-counts/1"
#: The most bytes one answer may have: the largest answer the derived tables read from the
#: full HPO (2025 release, 3.2 M triples) is about 110 MB of JSON results.
MAX_ANSWER_BYTES = 512 * 2**20
#: The most bytes of an error answer (HTTP 3xx-5xx) read for its message.
_ERROR_ANSWER_BYTES = 64 * 1024
#: A fingerprint as kgfuse writes one (a sha256 hex digest) or a prefix of one; it names a
#: cache folder, so nothing else is accepted.
_FINGERPRINT = re.compile(r"[0-9a-f]{16,64}")
#: ``scheme://`` and the userinfo (``user:password@``) of a URL.
_USERINFO = re.compile(r"^(\s*[A-Za-z][A-Za-z0-9+.\-]*://)([^/?#]*)@")


def is_endpoint(location: object) -> bool:
    """True for an ``http://`` or ``https://`` URL given as a string (a Path is a folder)."""
    return isinstance(location, str) and location.strip().lower().startswith(
        ("http://", "https://")
    )


def redact_url(url: str) -> str:
    """``url`` without its credentials, for messages: ``http://user:pw@host/q`` gives
    ``http://***@host/q``."""
    return _USERINFO.sub(r"\1***@", url, count=1)


def kg_location(value: str | os.PathLike[str]) -> Path | str:
    """A KG location as a user gave it: an endpoint URL stays a string, a folder is a Path.

    ``Path("http://host/query")`` would collapse the ``//``; every place that turns a KG
    argument into a path goes through here instead.
    """
    return value.strip() if isinstance(value, str) and is_endpoint(value) else Path(value)


class RemoteStore:
    """The read-only part of the ``pyoxigraph.Store`` API, answered by a SPARQL endpoint.

    Offers :meth:`query`, :meth:`quads_for_pattern` and ``len()``; there are no write
    methods (serve the endpoint read-only too: ``kgfuse kg serve`` does).

    Args:
        url: the endpoint's query URL (``oxigraph serve``: ``http://HOST:PORT/query``;
            Fuseki: ``http://HOST:3030/DATASET/sparql``); credentials in it
            (``user:password@``) are sent, and shown as ``***`` (the ``url`` attribute).
        timeout: seconds one query may take in all, connecting, waiting and reading the
            answer (default: ``120``).
        client: an ``httpx.Client`` to send requests with (default: a new one).
        max_answer_bytes: the most bytes one answer may have (default:
            :data:`MAX_ANSWER_BYTES`).

    Raises:
        NotAnEndpointError: ``url`` is not an http(s) URL with a host.
    """

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 120.0,
        client: httpx.Client | None = None,
        max_answer_bytes: int = MAX_ANSWER_BYTES,
    ) -> None:
        shown = redact_url(url)
        try:
            parsed = httpx.URL(url)
        except httpx.InvalidURL as exc:
            raise NotAnEndpointError(
                f"not a SPARQL endpoint URL: {shown!r} ({_hide(str(exc), url)})"
            ) from None
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise NotAnEndpointError(
                f"not a SPARQL endpoint URL: {shown!r} (expected http://HOST:PORT/PATH)"
            )
        self.url = shown
        self._url = url
        self.timeout = timeout
        self.max_answer_bytes = max_answer_bytes
        self._client = client or httpx.Client(
            timeout=httpx.Timeout(timeout, connect=min(10.0, timeout))
        )

    def __repr__(self) -> str:
        return f"RemoteStore({self.url!r})"

    def close(self) -> None:
        self._client.close()

    def query(
        self, query: str, *, prefixes: Mapping[str, str] | None = None
    ) -> ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples:
        """Run a SPARQL query on the endpoint; results as a local store gives them.

        Args:
            query: SPARQL query text.
            prefixes: prefix -> IRI declared before the query (as ``Store.query`` takes them).

        Raises:
            EndpointUnreachableError: nothing answers at the URL.
            EndpointQueryError: the endpoint rejected or failed the query (its message).
            NotAnEndpointError: the answer is not SPARQL results.
        """
        shift = 0
        if prefixes:
            declared = "".join(f"PREFIX {k}: <{v}>\n" for k, v in prefixes.items())
            query, shift = declared + query, len(prefixes)
        try:
            media_type, body = self._post(query)
        except EndpointQueryError as exc:
            if not shift:
                raise
            # "error at LINE:COLUMN" counts the declared prefix lines; count from the query's
            raise EndpointQueryError(
                self.url, exc.status, _shift_lines(exc.reason, shift)
            ) from None
        results_format = ox.QueryResultsFormat.from_media_type(media_type)
        if results_format is not None:
            try:
                return ox.parse_query_results(body, results_format)
            except SyntaxError as exc:
                raise NotAnEndpointError(
                    f"{self.url} answered {media_type} that is not valid SPARQL results: {exc}"
                ) from None
        rdf_format = ox.RdfFormat.from_media_type(media_type) if media_type else None
        if rdf_format is not None:
            # CONSTRUCT / DESCRIBE: load the triples into a memory store and return them as
            # the QueryTriples a local store would give.
            graph = ox.Store()
            try:
                graph.load(body, format=rdf_format)
            except SyntaxError as exc:
                raise NotAnEndpointError(
                    f"{self.url} answered {media_type} that is not valid RDF: {exc}"
                ) from None
            return graph.query("CONSTRUCT WHERE { ?s ?p ?o }")
        raise NotAnEndpointError(
            f"{self.url} answered {media_type or 'an unknown content type'}, not SPARQL results; "
            "is it the endpoint's query URL? (oxigraph serve: http://HOST:PORT/query, "
            "Fuseki: http://HOST:3030/DATASET/sparql)"
        )

    def _post(self, query: str) -> tuple[str, bytes]:
        """POST a query; the answer's media type and body, read by the deadline."""
        deadline = time.monotonic() + self.timeout
        try:
            with self._client.stream(
                "POST",
                self._url,
                content=query.encode("utf-8"),
                headers={
                    "Content-Type": "application/sparql-query; charset=utf-8",
                    "Accept": _ACCEPT,
                },
            ) as response:
                status = response.status_code
                if 300 <= status < 400:
                    location = response.headers.get("location")
                    raise NotAnEndpointError(
                        f"{self.url} answered HTTP {status}, a redirect to "
                        f"{redact_url(location) if location else '(no Location)'}; give the "
                        "URL it redirects to (kgfuse does not follow redirects)"
                    )
                body = self._read(response, deadline, truncate=status >= 400)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise EndpointUnreachableError(
                f"no SPARQL endpoint answers at {self.url} ({_hide(str(exc), self._url)}); "
                "start one with `kgfuse kg serve` or check the URL"
            ) from None
        except httpx.TimeoutException as exc:
            raise EndpointUnreachableError(
                f"the SPARQL endpoint {self.url} did not answer within the {self.timeout:g} s "
                f"timeout ({type(exc).__name__})"
            ) from None
        except httpx.TransportError as exc:
            raise EndpointUnreachableError(
                f"the SPARQL endpoint {self.url} did not answer: {type(exc).__name__}: "
                f"{_hide(str(exc), self._url)}"
            ) from None
        if status in (404, 405):
            raise NotAnEndpointError(
                f"{self.url} answered HTTP {status} to a SPARQL query; it is not "
                "a SPARQL query endpoint (oxigraph serve: http://HOST:PORT/query, "
                "Fuseki: http://HOST:3030/DATASET/sparql)"
            )
        if status >= 400:
            text = body.decode(response.encoding or "utf-8", errors="replace").strip()
            lines = text.splitlines()
            raise EndpointQueryError(self.url, status, lines[0][:500] if lines else "(no message)")
        media_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
        return media_type, body

    def _read(self, response: httpx.Response, deadline: float, *, truncate: bool) -> bytes:
        """The body of an answer; the first bytes only when ``truncate`` (an error's).

        Raises:
            EndpointUnreachableError: the deadline passed before the answer was read.
            NotAnEndpointError: the answer is longer than ``max_answer_bytes``.
        """
        limit = _ERROR_ANSWER_BYTES if truncate else self.max_answer_bytes
        declared = response.headers.get("content-length", "")
        if not truncate and declared.isdigit() and int(declared) > limit:
            raise self._too_large(f"announced {int(declared):,} bytes")
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            chunks.append(chunk)
            size += len(chunk)
            if size >= limit:
                if truncate:
                    break
                if size > limit:
                    raise self._too_large(f"sent more than {limit:,} bytes")
            if time.monotonic() > deadline:
                raise EndpointUnreachableError(
                    f"the SPARQL endpoint {self.url} did not finish its answer within the "
                    f"{self.timeout:g} s timeout ({size:,} bytes read)"
                )
        body = b"".join(chunks)
        return body[:limit] if truncate else body

    def _too_large(self, what: str) -> NotAnEndpointError:
        return NotAnEndpointError(
            f"{self.url} {what} in answer to one query, over the cap of "
            f"{self.max_answer_bytes:,} bytes (RemoteStore's max_answer_bytes); "
            "give a smaller query, or a larger max_answer_bytes"
        )

    def quads_for_pattern(
        self,
        subject: ox.NamedNode | None = None,
        predicate: ox.NamedNode | None = None,
        object: ox.NamedNode | ox.Literal | None = None,  # noqa: A002 (Store's argument name)
        graph_name: ox.NamedNode | ox.DefaultGraph | None = None,
    ) -> Iterator[ox.Quad]:
        """The quads matching a pattern (None matches anything), as one SELECT query.

        ``graph_name=None`` matches the default graph and every named graph, as in Oxigraph.

        Raises:
            ValueError: a blank node in the pattern (blank node labels do not survive a
                request, so they cannot be looked up remotely).
        """
        terms = {"s": subject, "p": predicate, "o": object}
        for term in (*terms.values(), graph_name):
            if isinstance(term, ox.BlankNode):
                raise ValueError("a SPARQL endpoint cannot be asked about a blank node")
        triple = " ".join(str(t) if t is not None else f"?{n}" for n, t in terms.items())
        free = [n for n, t in terms.items() if t is None]
        if graph_name is None:
            where = f"{{ {triple} }} UNION {{ GRAPH ?g {{ {triple} }} }}"
            free.append("g")
        elif isinstance(graph_name, ox.DefaultGraph):
            where = triple
        else:
            where = f"GRAPH {graph_name} {{ {triple} }}"
        head = " ".join(f"?{n}" for n in free) if free else "(1 AS ?one)"
        result = self.query(f"SELECT {head} WHERE {{ {where} }}")
        if not isinstance(result, ox.QuerySolutions):
            raise NotAnEndpointError(f"{self.url} did not answer a SELECT with solutions")
        default = graph_name if graph_name is not None else ox.DefaultGraph()
        for row in result:
            g = row["g"] if graph_name is None else None
            try:
                yield ox.Quad(
                    subject if subject is not None else row["s"],
                    predicate if predicate is not None else row["p"],
                    object if object is not None else row["o"],
                    g if g is not None else default,
                )
            except TypeError:  # a variable left unbound, or a literal as a subject
                raise NotAnEndpointError(
                    f"{self.url} answered a pattern query with a solution that is no quad"
                ) from None

    def __len__(self) -> int:
        """Number of quads (default graph and named graphs), as ``len(Store)``."""
        return _count(self, self.query(_COUNT_ALL))


def _hide(text: str, url: str) -> str:
    """``text`` (an error's message) without the credentials of ``url``."""
    found = _USERINFO.match(url)
    return text.replace(found.group(2), "***") if found and found.group(2) else text


def _shift_lines(message: str, lines: int) -> str:
    def shifted(m: re.Match[str]) -> str:
        line = int(m.group(1))
        return f"at {line - lines}:{m.group(2)}" if line > lines else m.group(0)

    return re.sub(r"\bat (\d+):(\d+)", shifted, message)


def _value(store: RemoteStore, row: ox.QuerySolution, name: str) -> str:
    """The value bound to ``?name`` in a solution the endpoint answered."""
    term = row[name]
    if term is None:
        raise NotAnEndpointError(f"{store.url} answered a solution without ?{name}")
    return str(term.value)


def _count(store: RemoteStore, result: Any) -> int:
    """The ``?n`` of a COUNT query's single solution."""
    rows = list(result)
    if not rows:
        return 0
    n = _value(store, rows[0], "n")
    try:
        return int(n)
    except ValueError:
        raise NotAnEndpointError(
            f"{store.url} answered a count that is no integer: {n[:80]!r}"
        ) from None


# ---- opening an endpoint as a KG ------------------------------------------------------------
def remote_cache_dir(url: str, home: Path | None = None) -> Path:
    """Folder of the cached derived tables of one endpoint URL in the kgfuse home (named by
    a hash of the URL without its credentials)."""
    digest = hashlib.sha256(redact_url(url.strip()).encode("utf-8")).hexdigest()[:16]
    return kgfuse_home(home) / "remote" / digest


def read_description(store: RemoteStore) -> dict[str, str]:
    """The kgfuse description of the KG in a store: ``fingerprint``, ``name``, ``sources``
    (JSON), each when present (empty for stores not built by kgfuse)."""
    result = store.query(_DESCRIPTION)
    if not isinstance(result, ox.QuerySolutions):
        raise NotAnEndpointError(f"{store.url} did not answer a SELECT with solutions")
    out: dict[str, str] = {}
    for row in result:
        out.setdefault(_value(store, row, "p").removeprefix(KGV), _value(store, row, "v"))
    return out


def counts_fingerprint(store: RemoteStore) -> str:
    """Fingerprint of a store that carries no kgfuse fingerprint: a hash of its triple count
    and of its count of nodes per type (the same data gives the same value)."""
    h = hashlib.sha256(_COUNTS_FINGERPRINT_VERSION.encode())
    h.update(f"\ntriples:{len(store)}".encode())
    result = store.query(_COUNT_TYPES)
    if not isinstance(result, ox.QuerySolutions):
        raise NotAnEndpointError(f"{store.url} did not answer a SELECT with solutions")
    types = sorted((_value(store, r, "t"), _value(store, r, "n")) for r in result)
    for t, n in types:
        h.update(f"\n{t}:{n}".encode())
    return h.hexdigest()


def open_endpoint(
    url: str, *, home: Path | None = None, timeout: float = 120.0
) -> tuple[RemoteStore, Path, Manifest]:
    """Connect to a SPARQL endpoint and make sure its derived tables are cached.

    Returns:
        The store, the cache folder (it plays the part of a build folder: ``derived/`` and
        ``manifest.json``), and the KG's manifest.

    Raises:
        EndpointUnreachableError: nothing answers at the URL.
        NotAnEndpointError: the URL answers, but not as a SPARQL endpoint.
    """
    url = url.strip()
    store = RemoteStore(url, timeout=timeout)
    description = read_description(store)  # also checks that a SPARQL endpoint answers
    fingerprint = description.get("fingerprint")
    if fingerprint is None:
        fingerprint = counts_fingerprint(store)
        logger.warning(
            "%s carries no kgfuse fingerprint (not a kgfuse build, or built before kgfuse "
            "wrote one); using a hash of its counts, %s: models trained on a local build "
            "will not be accepted",
            store.url,
            fingerprint[:12],
        )
    elif not _FINGERPRINT.fullmatch(fingerprint):
        raise NotAnEndpointError(
            f"{store.url} describes its KG with the fingerprint {fingerprint[:80]!r}, not "
            "16 to 64 lowercase hex digits as kgfuse writes; it is not a kgfuse KG's endpoint"
        )
    parent = remote_cache_dir(url, home)
    folder = parent / fingerprint[:16]
    if not (folder / "manifest.json").is_file():
        _derive(store, parent, folder, fingerprint, description)
    manifest = Manifest.from_json((folder / "manifest.json").read_text(encoding="utf-8"))
    return store, folder, manifest


def _derive(
    store: RemoteStore, parent: Path, folder: Path, fingerprint: str, description: dict[str, str]
) -> None:
    """Compute the derived tables and the manifest of an endpoint into ``folder``."""
    from rich.markup import escape
    from rich.progress import Progress

    from kg.derived import write_derived

    sources = _sources(store, description)
    parent.mkdir(parents=True, exist_ok=True)
    (parent / "url.txt").write_text(store.url + "\n", encoding="utf-8")  # no credentials
    tmp = parent / f".tmp-{uuid.uuid4().hex}"
    started = time.perf_counter()
    logger.info("deriving the tables of %s into %s (once per KG)", store.url, folder)
    try:
        with Progress(transient=True, disable=not sys.stderr.isatty()) as bar:
            bar.add_task(f"reading the derived tables from {escape(store.url)} (once)", total=None)
            write_derived(store, tmp / "derived", fingerprint)
            counts = _counts(store, tmp / "derived")
        manifest = Manifest(
            name=description.get("name", store.url),
            fingerprint=fingerprint,
            sources=sources,
            counts=counts,
            build_seconds=round(time.perf_counter() - started, 3),
            built_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            versions=_package_versions(),
        )
        (tmp / "manifest.json").write_text(manifest.to_json(), encoding="utf-8")
        sync_tree(tmp)
        try:
            os.replace(tmp, folder)
            sync_to_disk(parent)
        except OSError:  # another process cached the same KG meanwhile: keep theirs
            if not (folder / "manifest.json").is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for old in parent.iterdir():  # tables of KGs this URL served before
        if old.is_dir() and old != folder and not old.name.startswith(".tmp-"):
            shutil.rmtree(old, ignore_errors=True)
    logger.info("derived the tables of %s in %.1f s", store.url, time.perf_counter() - started)


def _sources(store: RemoteStore, description: dict[str, str]) -> list[SourceRecord]:
    """The sources of the KG's description (a JSON list of :class:`SourceRecord` fields)."""
    try:
        raw = json.loads(description.get("sources", "[]"))
        sources = [SourceRecord(**s) for s in raw]
    except (ValueError, TypeError) as exc:  # not JSON, not a list of objects, unknown keys
        raise NotAnEndpointError(
            f"{store.url} describes its KG's sources with something other than kgfuse's "
            f"JSON list of sources: {exc}"
        ) from None
    for s in sources:
        if not (
            isinstance(s.name, str)
            and isinstance(s.format, str)
            and isinstance(s.sha256, str)
            and isinstance(s.triples, int)
            and (s.release is None or isinstance(s.release, str))
            and isinstance(s.counts, dict)
        ):
            raise NotAnEndpointError(
                f"{store.url} describes a source of its KG with fields of the wrong type: {s}"
            )
    return sources
