"""Dense concept matching: what the dictionary misses, found by embedding similarity.

Every name of every term is embedded with a :class:`encoders.text.TextEncoder` and stored in
a FAISS inner-product index (vectors are L2-normalised, so scores are cosines). A phrase is
linked to the term of its nearest name when the cosine reaches a threshold.

The threshold is calibrated on *held-out synonyms* (:func:`split_heldout_synonyms`): one
synonym of a sample of terms is removed from the index and used as a query, so it plays an
unseen paraphrase of a known term; *negatives* are phrases that name no term (by default,
halves of two unrelated names glued together, which look like ontology text but are not).
:func:`calibrate_threshold` picks the cosine that maximises F1 of "accepted and correct", or
the lowest cosine that reaches a target precision.
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from encoders.normalize import content_tokens
from kg.lexicon import Lexicon, LexiconEntry

if TYPE_CHECKING:
    from encoders.text import TextEncoder

logger = logging.getLogger(__name__)

__all__ = [
    "Calibration",
    "DenseHit",
    "DenseIndex",
    "DenseMatcher",
    "calibrate_threshold",
    "make_negatives",
    "split_heldout_synonyms",
]

_INDEX_FILE = "names.json"
_VECTORS_FILE = "vectors.safetensors"


def _faiss() -> Any:
    try:
        import faiss
    except ImportError as err:  # pragma: no cover - declared dependency
        raise ImportError(
            "the dense linking path needs FAISS: pip install faiss-cpu (or faiss-gpu)"
        ) from err
    return faiss


@dataclass(frozen=True)
class DenseHit:
    """The nearest name of a phrase.

    Attributes:
        iri: IRI of the term.
        score: cosine similarity between phrase and name.
        name: the name.
    """

    iri: str
    score: float
    name: str


class DenseIndex:
    """FAISS index of the embedded names of a lexicon.

    Args:
        encoder: the text encoder used for names and queries.
        names: the names, one per vector.
        iris: IRI of the term of each name.
        vectors: L2-normalised name vectors.
        hnsw_neighbors: build an approximate HNSW graph with this many neighbours per node
            instead of the exact flat index (much faster queries on large lexicons, a few
            seconds to build); None for exact search. (default: ``None``)

    Shapes:
        - vectors: :math:`(N, d)` float32
    """

    def __init__(
        self,
        encoder: TextEncoder,
        names: Sequence[str],
        iris: Sequence[str],
        vectors: np.ndarray,
        hnsw_neighbors: int | None = None,
    ) -> None:
        if len(names) != len(iris) or len(names) != len(vectors):
            raise ValueError("names, iris and vectors must have the same length")
        self.encoder = encoder
        self.names = list(names)
        self.iris = list(iris)
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self.vocabulary: set[str] = {tok for n in self.names for tok in content_tokens(n)}
        faiss = _faiss()
        dim = self.vectors.shape[1]
        self.hnsw_neighbors = hnsw_neighbors
        if hnsw_neighbors:
            self.index = faiss.IndexHNSWFlat(dim, hnsw_neighbors, faiss.METRIC_INNER_PRODUCT)
            self.index.hnsw.efSearch = max(64, 2 * hnsw_neighbors)
        else:
            self.index = faiss.IndexFlatIP(dim)
        if len(self.vectors):
            self.index.add(self.vectors)

    @classmethod
    def build(
        cls,
        lexicon: Lexicon,
        encoder: TextEncoder,
        kinds: Iterable[str] = ("label", "exact"),
        batch_size: int | None = None,
        hnsw_neighbors: int | None = None,
    ) -> DenseIndex:
        """Embed the names of ``lexicon`` (obsolete terms left out, duplicates merged).

        Args:
            lexicon: the names.
            encoder: the text encoder.
            kinds: kinds of names to index. (default: label, exact)
            batch_size: encoder batch size override.
            hnsw_neighbors: see the class. (default: ``None``)
        """
        wanted = set(kinds)
        seen: set[tuple[str, tuple[str, ...]]] = set()
        names: list[str] = []
        iris: list[str] = []
        for e in lexicon:
            if e.kind not in wanted or e.iri in lexicon.obsolete:
                continue
            key = (e.iri, content_tokens(e.text))
            if not key[1] or key in seen:
                continue
            seen.add(key)
            names.append(e.text)
            iris.append(e.iri)
        logger.info("dense index: embedding %d names", len(names))
        vectors = encoder.encode(names, batch_size=batch_size)
        return cls(encoder, names, iris, _l2(vectors), hnsw_neighbors)

    def search(self, phrases: Sequence[str], k: int = 1) -> list[list[DenseHit]]:
        """The ``k`` nearest names of each phrase.

        Args:
            phrases: the query phrases.
            k: neighbours per phrase. (default: ``1``)
        """
        if not phrases or not self.names:
            return [[] for _ in phrases]
        queries = _l2(self.encoder.encode(list(phrases)))
        scores, ids = self.index.search(queries, min(k, len(self.names)))
        return [
            [
                DenseHit(self.iris[i], float(s), self.names[i])
                for s, i in zip(row_s, row_i, strict=True)
                if i >= 0
            ]
            for row_s, row_i in zip(scores, ids, strict=True)
        ]

    def save(self, directory: Path) -> None:
        """Write the names (JSON) and vectors (safetensors) to ``directory``."""
        from safetensors.numpy import save_file

        directory.mkdir(parents=True, exist_ok=True)
        save_file({"vectors": self.vectors}, str(directory / _VECTORS_FILE))
        meta = {"names": self.names, "iris": self.iris, "encoder": str(self.encoder.path)}
        (directory / _INDEX_FILE).write_text(json.dumps(meta), encoding="utf-8")

    @classmethod
    def load(
        cls, directory: Path, encoder: TextEncoder, hnsw_neighbors: int | None = None
    ) -> DenseIndex:
        """Read an index written by :meth:`save` (query with the same encoder)."""
        from safetensors.numpy import load_file

        meta = json.loads((directory / _INDEX_FILE).read_text(encoding="utf-8"))
        vectors = load_file(str(directory / _VECTORS_FILE))["vectors"]
        return cls(encoder, meta["names"], meta["iris"], vectors, hnsw_neighbors)


def _l2(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


class DenseMatcher:
    """Accept the nearest name of a phrase when its cosine reaches ``threshold``.

    A hit is also refused when the name holds every word of the phrase and more
    (``corpus callosum`` -> ``Short corpus callosum``): the text names the anatomy or the
    measurement, not the finding, and embeddings are close for that reason alone.

    Args:
        index: the name index.
        threshold: minimum cosine. (default: ``0.8``)
        reject_subsumed: refuse names that strictly contain the phrase's words.
            (default: ``True``)
    """

    def __init__(
        self, index: DenseIndex, threshold: float = 0.8, reject_subsumed: bool = True
    ) -> None:
        self.index = index
        self.threshold = threshold
        self.reject_subsumed = reject_subsumed

    @property
    def vocabulary(self) -> set[str]:
        """Normalised words of the indexed names."""
        return self.index.vocabulary

    def match(self, phrases: Sequence[str]) -> list[DenseHit | None]:
        """Nearest name of each phrase when close enough, else None."""
        out: list[DenseHit | None] = []
        for phrase, hits in zip(phrases, self.index.search(phrases, k=1), strict=True):
            hit = hits[0] if hits else None
            if hit is not None and hit.score < self.threshold:
                hit = None
            if (
                hit is not None
                and self.reject_subsumed
                and set(content_tokens(phrase)) < set(content_tokens(hit.name))
            ):
                hit = None
            out.append(hit)
        return out


def split_heldout_synonyms(
    lexicon: Lexicon,
    fraction: float = 0.1,
    seed: int = 0,
    max_terms: int | None = None,
) -> tuple[Lexicon, list[tuple[str, str]]]:
    """Take one exact synonym away from a random sample of terms.

    Only terms that keep a label are sampled, and abbreviations and plural forms are not
    held out (they test normalisation, not paraphrase).

    Args:
        lexicon: the full lexicon.
        fraction: share of eligible terms to sample. (default: ``0.1``)
        seed: random seed. (default: ``0``)
        max_terms: cap on the number of sampled terms. (default: ``None``)

    Returns:
        The lexicon without the held-out synonyms, and ``(synonym, iri)`` pairs.
    """
    by_term: dict[str, list[LexiconEntry]] = {}
    labelled: set[str] = set()
    for e in lexicon:
        if e.iri in lexicon.obsolete:
            continue
        if e.kind == "label":
            labelled.add(e.iri)
        elif e.kind == "exact" and e.synonym_type not in ("abbreviation", "plural_form"):
            by_term.setdefault(e.iri, []).append(e)
    eligible = sorted(t for t in by_term if t in labelled)
    rng = random.Random(seed)
    k = round(len(eligible) * fraction)
    if max_terms is not None:
        k = min(k, max_terms)
    sampled = rng.sample(eligible, k)
    held: dict[int, tuple[str, str]] = {}
    for t in sampled:
        entry = rng.choice(by_term[t])
        held[id(entry)] = (entry.text, entry.iri)
    kept = [e for e in lexicon if id(e) not in held]
    # A synonym that is also a name of another kept entry of the same term is not unseen.
    kept_keys = {(e.iri, content_tokens(e.text)) for e in kept}
    pairs = [(s, t) for s, t in held.values() if (t, content_tokens(s)) not in kept_keys]
    return Lexicon(kept, lexicon.obsolete), pairs


def make_negatives(lexicon: Lexicon, n: int, seed: int = 0) -> list[str]:
    """Phrases that name no term: the first half of one name glued to the second of another.

    Args:
        lexicon: the lexicon the phrases must not be in.
        n: how many.
        seed: random seed. (default: ``0``)
    """
    multi = [e.text for e in lexicon if e.kind in ("label", "exact") and " " in e.text]
    known = {content_tokens(e.text) for e in lexicon}
    rng = random.Random(seed)
    out: list[str] = []
    tries = 0
    while len(out) < n and multi and tries < 20 * n:
        tries += 1
        a, b = rng.choice(multi).split(), rng.choice(multi).split()
        phrase = " ".join(a[: max(1, len(a) // 2)] + b[len(b) // 2 :])
        if content_tokens(phrase) not in known:
            out.append(phrase)
    return out


@dataclass(frozen=True)
class Calibration:
    """A calibrated threshold and what it gives on the calibration set.

    Attributes:
        threshold: the cosine threshold.
        precision: accepted-and-correct / accepted.
        recall: accepted-and-correct / positives.
        f1: their harmonic mean.
        accuracy_at_1: share of positives whose nearest name is of the right term.
        num_positives: held-out synonyms used.
        num_negatives: negative phrases used.
    """

    threshold: float
    precision: float
    recall: float
    f1: float
    accuracy_at_1: float
    num_positives: int
    num_negatives: int

    def to_dict(self) -> dict[str, float | int]:
        """As a plain dict."""
        return asdict(self)


def score_threshold(
    pos_scores: np.ndarray, pos_correct: np.ndarray, neg_scores: np.ndarray, threshold: float
) -> tuple[float, float, float]:
    """Precision, recall and F1 of accepting hits with cosine >= ``threshold``.

    Args:
        pos_scores: top-1 cosine of each positive.
        pos_correct: whether each positive's top-1 term is its own.
        neg_scores: top-1 cosine of each negative.
        threshold: the cosine threshold.
    """
    accepted_pos = pos_scores >= threshold
    tp = int((accepted_pos & pos_correct).sum())
    fp = int((accepted_pos & ~pos_correct).sum() + (neg_scores >= threshold).sum())
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / len(pos_scores) if len(pos_scores) else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def calibrate_threshold(
    index: DenseIndex,
    positives: Sequence[tuple[str, str]],
    negatives: Sequence[str] = (),
    target_precision: float | None = None,
) -> Calibration:
    """Choose the cosine threshold of the dense path on held-out synonyms.

    Args:
        index: an index that does not contain the positives.
        positives: ``(phrase, iri)`` pairs (held-out synonyms).
        negatives: phrases that name no term. (default: none)
        target_precision: pick the lowest threshold reaching this precision; None maximises
            F1. (default: ``None``)

    Returns:
        The threshold with its precision, recall and F1 on these phrases.

    Raises:
        ValueError: no positives.
    """
    if not positives:
        raise ValueError("calibration needs at least one held-out synonym")
    pos_hits = index.search([p for p, _ in positives], k=1)
    pos_scores = np.array([h[0].score if h else -1.0 for h in pos_hits])
    pos_correct = np.array(
        [bool(h) and h[0].iri == iri for h, (_, iri) in zip(pos_hits, positives, strict=True)]
    )
    neg_hits = index.search(list(negatives), k=1) if negatives else []
    neg_scores = np.array([h[0].score if h else -1.0 for h in neg_hits])
    candidates = np.unique(np.concatenate([pos_scores, neg_scores, [1.01]]))
    best: tuple[float, float, float, float] | None = None
    for t in candidates:
        p, r, f = score_threshold(pos_scores, pos_correct, neg_scores, float(t))
        if target_precision is not None:
            if p >= target_precision and (best is None or t < best[0]):
                best = (float(t), p, r, f)
        elif best is None or f > best[3]:
            best = (float(t), p, r, f)
    if best is None:  # target precision unreachable: be as strict as the data allows
        t = float(candidates[-2]) if len(candidates) > 1 else 1.0
        best = (t, *score_threshold(pos_scores, pos_correct, neg_scores, t))
    t, p, r, f = best
    logger.info("dense threshold %.3f: P=%.3f R=%.3f F1=%.3f", t, p, r, f)
    return Calibration(
        threshold=t,
        precision=p,
        recall=r,
        f1=f,
        accuracy_at_1=float(pos_correct.mean()),
        num_positives=len(positives),
        num_negatives=len(negatives),
    )
