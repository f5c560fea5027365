r"""Link-prediction evaluation: edge splits, filtered ranking, metrics and shallow baselines.

The protocol (Bordes et al. 2013, "filtered" setting): hold out a seeded fraction of the
edges of the target relations as validation and test triples, remove them from the graph
used for message passing and training, and rank each held-out :math:`(h, r, t)` against
every node of :math:`t`'s node type as candidate tail, after removing the other known true
tails of :math:`(h, r)` (from the full graph) from the candidates. Ties count as the mean of
the positions they span (the "realistic" rank of Berrendorf et al. 2020):

.. math::
    \mathrm{rank} = 1 + |\{c : s_c > s_t\}| + \tfrac{1}{2} |\{c \neq t : s_c = s_t\}|

Shallow baselines (PyG's ``TransE``, ``DistMult``, ``RotatE``) train on the same split
with the same negative sampling and are ranked by the same code.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import Tensor
from torch_geometric.nn.kge import DistMult, KGEModel, RotatE, TransE
from tqdm.auto import tqdm

from encoders.registry import Registry
from kg.tensors import GraphTensors

logger = logging.getLogger(__name__)

ScoreFn = Callable[[Tensor, Tensor, Tensor], Tensor]
r"""``score_fn(head_ids [B], relation_ids [B], candidate_ids [C]) -> scores [B, C]``."""

HITS_AT: tuple[int, ...] = (1, 3, 10)


def graph_triples(graph: GraphTensors) -> Tensor:
    r"""The edges of ``graph`` as ``[num_edges, 3]`` rows (head, relation, tail)."""
    return torch.stack([graph.edge_index[0], graph.edge_type, graph.edge_index[1]], dim=1)


def candidates_of(graph: GraphTensors) -> dict[int, Tensor]:
    r"""Node type index -> sorted global ids of the nodes of that type."""
    return {
        t: torch.nonzero(graph.node_type == t, as_tuple=False).flatten()
        for t in range(len(graph.node_type_names))
    }


@dataclass(frozen=True)
class EdgeSplit:
    r"""A train / validation / test split of a graph's edges.

    Attributes:
        graph: The full graph (every known true edge: the filter of the ranking).
        train_graph: ``graph`` without the validation and test edges: the only edges
            message passing and training may see.
        valid: ``[n_valid, 3]`` held-out (head, relation, tail) triples.
        test: ``[n_test, 3]`` held-out triples.
        relations: IRIs of the relations whose edges were split.
        seed: Seed of the split.
    """

    graph: GraphTensors
    train_graph: GraphTensors
    valid: Tensor
    test: Tensor
    relations: tuple[str, ...]
    seed: int

    @property
    def train(self) -> Tensor:
        r"""``[n_train, 3]`` training triples (every edge of ``train_graph``)."""
        return graph_triples(self.train_graph)


def split_edges(
    graph: GraphTensors,
    relations: list[str],
    valid_frac: float = 0.05,
    test_frac: float = 0.05,
    seed: int = 0,
    min_valid: int = 0,
    *,
    derived_via: str | None = None,
) -> EdgeSplit:
    r"""Hold out validation and test edges of the target relations.

    Only edges of ``relations`` are split; every other edge stays in training. The split is
    made per relation on the sorted unique triples, so it depends on the graph's edge set
    and the seed, not on edge order, and a duplicated edge never lands on both sides.

    Args:
        graph (GraphTensors): The full graph.
        relations (list[str]): IRIs of the relations to split (from
            ``graph.relation_names``).
        valid_frac (float, optional): Fraction of each relation's triples for validation.
            (default: :obj:`0.05`)
        test_frac (float, optional): Fraction for test. (default: :obj:`0.05`)
        seed (int, optional): Seed of the split. (default: :obj:`0`)
        min_valid (int, optional): Validation triples held out of each relation at least,
            where ``valid_frac`` rounds to fewer, as long as one triple of the relation
            stays in training (a small ontology: ``0.05`` of 10 triples rounds to none).
            (default: :obj:`0`, the fraction alone)
        derived_via (str, optional): IRI of a relation :math:`s` whose edges
            :math:`(x, s, y)` make :math:`x`'s edges of a target relation restate
            :math:`y`'s (HPO: a gene's phenotypes are those of the diseases it contributes
            to, ``genes_to_phenotype.txt``). A restated triple :math:`(x, r, t)` (some
            :math:`(x, s, y)` with :math:`(y, r, t)`) is never held out, and it stays in
            ``train_graph`` only while one of its sources :math:`(y, r, t)` does: otherwise
            a held-out triple could be read back over :math:`x` in two hops.
            (default: :obj:`None`, every triple independent)

    Raises:
        ValueError: An unknown relation, fractions outside :math:`[0, 1)`, a negative
            ``min_valid``, or ``derived_via`` among ``relations``.
    """
    if min_valid < 0:
        raise ValueError(f"min_valid must be >= 0, got {min_valid}")
    if valid_frac < 0 or test_frac < 0 or valid_frac + test_frac >= 1:
        raise ValueError(
            f"need 0 <= valid_frac, test_frac and a sum < 1; got {valid_frac}, {test_frac}"
        )
    unknown = [r for r in relations if r not in graph.relation_names]
    if unknown:
        raise ValueError(
            f"unknown relations {unknown}; the graph has: {', '.join(graph.relation_names)}"
        )
    if derived_via is not None and derived_via not in graph.relation_names:
        raise ValueError(f"unknown relation derived_via={derived_via!r}")
    if derived_via in relations:
        raise ValueError(f"derived_via={derived_via!r} is one of the split relations")
    rel_ids = sorted({graph.relation_names.index(r) for r in relations})
    triples = graph_triples(graph)
    unique, inverse = torch.unique(triples, dim=0, return_inverse=True)
    generator = torch.Generator().manual_seed(seed)
    valid_parts, test_parts = [], []
    restatements: list[tuple[Tensor, Tensor]] = []
    for r in rel_ids:
        ids = torch.nonzero(unique[:, 1] == r, as_tuple=False).flatten()
        if derived_via is not None:
            restated, sources = _restatements(unique, ids, graph.relation_names.index(derived_via))
            restatements.append((restated, sources))
            ids = ids[~torch.isin(ids, restated)]
        perm = ids[torch.randperm(ids.numel(), generator=generator)]
        n_test = round(test_frac * ids.numel())
        n_valid = round(valid_frac * ids.numel())
        if n_valid < min_valid:  # keeps one triple of the relation for training
            n_valid = max(0, min(min_valid, ids.numel() - n_test - 1))
        if ids.numel() and n_test + n_valid >= ids.numel():  # rounding took every triple
            n_test = min(n_test, ids.numel() - 1)
            n_valid = ids.numel() - 1 - n_test
        test_parts.append(perm[:n_test])
        valid_parts.append(perm[n_test : n_test + n_valid])
    held_out = torch.zeros(unique.size(0), dtype=torch.bool)
    valid_ids = torch.cat(valid_parts) if valid_parts else torch.empty(0, dtype=torch.long)
    test_ids = torch.cat(test_parts) if test_parts else torch.empty(0, dtype=torch.long)
    held_out[valid_ids] = True
    held_out[test_ids] = True
    dropped = torch.zeros_like(held_out)
    for restated, sources in restatements:  # restated triples whose every source is held out
        supported = restated[~held_out[sources]].unique()
        dropped[restated[~torch.isin(restated, supported)]] = True
    keep = ~(held_out | dropped)[inverse]
    # the tags of before where the options are unused
    at_least = f"|min_valid={min_valid}" if min_valid else ""
    derived = f"|derived_via={derived_via}" if derived_via else ""
    tag = hashlib.sha256(
        f"{sorted(relations)}|{valid_frac}|{test_frac}|{seed}{at_least}{derived}".encode()
    ).hexdigest()[:12]
    train_graph = GraphTensors(
        node_iris=graph.node_iris,
        node_type=graph.node_type,
        node_type_names=graph.node_type_names,
        edge_index=graph.edge_index[:, keep],
        edge_type=graph.edge_type[keep],
        relation_names=graph.relation_names,
        edge_weight=graph.edge_weight[keep],
        fingerprint=f"{graph.fingerprint}:train-split-{tag}",
    )
    logger.info(
        "split %d edges: %d train, %d valid, %d test triples; %d restated triples left out "
        "with their held-out sources",
        graph.num_edges,
        train_graph.num_edges,
        valid_ids.numel(),
        test_ids.numel(),
        int(dropped.sum()),
    )
    return EdgeSplit(
        graph=graph,
        train_graph=train_graph,
        valid=unique[valid_ids],
        test=unique[test_ids],
        relations=tuple(relations),
        seed=seed,
    )


def _restatements(unique: Tensor, ids: Tensor, via: int) -> tuple[Tensor, Tensor]:
    r"""The triples among ``unique[ids]`` (one relation :math:`r`) that restate others:
    :math:`(x, r, t)` with :math:`(x, s, y)` and :math:`(y, r, t)`, :math:`s` = ``via``.

    Returns:
        ``(restated, sources)``: one row per (restatement, source) pair, as row ids of
        ``unique``.
    """
    links = unique[unique[:, 1] == via]  # (x, s, y)
    rows = unique[ids]
    by_head = torch.argsort(rows[:, 0], stable=True)
    heads = rows[by_head, 0]
    targets = links[:, 2].contiguous()
    lo = torch.searchsorted(heads, targets)
    counts = torch.searchsorted(heads, targets, right=True) - lo
    link_of = torch.repeat_interleave(torch.arange(links.size(0)), counts)
    offset = torch.arange(int(counts.sum())) - torch.repeat_interleave(
        counts.cumsum(0) - counts, counts
    )
    source_rows = by_head[torch.repeat_interleave(lo, counts) + offset]
    # (x, t) of each join row, looked up among the relation's own triples by a sorted key
    n = int(unique[:, [0, 2]].max()) + 1 if unique.numel() else 1
    key = rows[:, 0] * n + rows[:, 2]
    order = torch.argsort(key)
    wanted = links[link_of, 0] * n + rows[source_rows, 2]
    at = torch.searchsorted(key[order], wanted).clamp(max=max(key.numel() - 1, 0))
    found = key[order][at] == wanted if key.numel() else torch.zeros(0, dtype=torch.bool)
    restated = ids[order[at[found]]]
    return restated, ids[source_rows[found]]


def sample_triples(triples: Tensor, limit: int | None, seed: int) -> Tensor:
    r"""A fixed, seeded sample of at most ``limit`` rows of ``triples``, in their order.

    Args:
        triples (torch.Tensor): ``[T, 3]`` triples.
        limit (int, optional): Rows kept; :obj:`None` keeps all, ``0`` none.
        seed (int): Seed of the sample.

    Shapes:
        - **input:** :math:`(T, 3)`
        - **output:** :math:`(\min(T, \mathrm{limit}), 3)`
    """
    if limit is None or triples.size(0) <= limit:
        return triples
    generator = torch.Generator().manual_seed(seed)
    pick = torch.randperm(triples.size(0), generator=generator)[:limit]
    return triples[pick.sort().values]


def sample_negative_pools(
    tails: Tensor,
    node_type: Tensor,
    candidates_by_type: dict[int, Tensor],
    pool_size: int,
    generator: torch.Generator | None = None,
) -> list[tuple[Tensor, Tensor]]:
    r"""Shared negative tails for a batch: one pool per tail node type.

    Every positive whose tail has type :math:`\tau` is contrasted with the same
    ``pool_size`` nodes drawn uniformly (with replacement) from the nodes of type
    :math:`\tau`. Sharing the pool turns the negative scores into one ``[B, P]`` product
    (:meth:`~encoders.kge_decoders.KGEDecoder.score_all_tails`) and the gradient into
    ``P`` rows, so far more negatives per positive cost less than a few drawn per positive.

    Args:
        tails (torch.Tensor): Tail ids of the positive triples.
        node_type (torch.Tensor): Node type of every node.
        candidates_by_type (dict): Node type -> ids of its nodes (:func:`candidates_of`).
        pool_size (int): Negatives per pool.
        generator (torch.Generator, optional): Random source. (default: :obj:`None`)

    Returns:
        ``(rows, pool)`` per tail type present: the batch positions with that tail type
        and the ids of its pool.

    Shapes:
        - **input:** :math:`(B)`
        - **output:** pairs of :math:`(B_\tau)` and :math:`(P)`
    """
    out = []
    tail_type = node_type[tails]
    for t in sorted(candidates_by_type):
        rows = torch.nonzero(tail_type == t, as_tuple=False).flatten()
        if rows.numel():
            cands = candidates_by_type[t]
            pick = torch.randint(0, cands.numel(), (pool_size,), generator=generator)
            out.append((rows, cands[pick]))
    return out


LOSSES: tuple[str, ...] = ("bce", "margin", "softmax")


def link_prediction_loss(
    positive: Tensor,
    negative: Tensor,
    negative_mask: Tensor | None = None,
    loss: str = "bce",
    margin: float = 1.0,
) -> Tensor:
    r"""Loss of positive scores against negative ones.

    With :math:`M_i` the unmasked negatives of positive :math:`i`:

    - ``"bce"``: :math:`-\frac{1}{B} \sum_i \log \sigma(s_i^+) - \frac{1}{|M|}
      \sum_{i, j \in M_i} \log(1 - \sigma(s_{ij}^-))`
    - ``"margin"``: :math:`\frac{1}{|M|} \sum_{i, j \in M_i} \max(0, \gamma - s_i^+ + s_{ij}^-)`
    - ``"softmax"`` (sampled softmax cross-entropy): :math:`-\frac{1}{B} \sum_i \log
      \frac{e^{s_i^+}}{e^{s_i^+} + \sum_{j \in M_i} e^{s_{ij}^-}}`

    Args:
        positive (torch.Tensor): Scores of the positives.
        negative (torch.Tensor): Scores of the negatives of each positive.
        negative_mask (torch.Tensor, optional): ``False`` where a "negative" is in fact the
            positive's own tail. (default: :obj:`None`, all kept)
        loss (str, optional): ``"bce"``, ``"margin"`` or ``"softmax"``. (default: ``"bce"``)
        margin (float, optional): :math:`\gamma` of the margin loss. (default: :obj:`1.0`)

    Shapes:
        - **input:** :math:`(B)`, :math:`(B, P)`, :math:`(B, P)`
        - **output:** scalar
    """
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; choices: {', '.join(LOSSES)}")
    if negative_mask is None:
        negative_mask = torch.ones_like(negative, dtype=torch.bool)
    if loss == "softmax":
        logits = torch.cat(
            [positive.unsqueeze(1), negative.masked_fill(~negative_mask, -math.inf)], dim=1
        )
        return (torch.logsumexp(logits, dim=1) - positive).mean()
    weight = negative_mask.to(negative.dtype)
    denom = weight.sum().clamp(min=1.0)
    if loss == "bce":
        pos = F.softplus(-positive).mean()  # -log sigmoid(s)
        neg = (F.softplus(negative) * weight).sum() / denom  # -log(1 - sigmoid(s))
        return pos + neg
    return (F.relu(margin - positive.unsqueeze(1) + negative) * weight).sum() / denom


def pooled_negative_scores(
    score_all_tails: ScoreFn,
    head: Tensor,
    relation: Tensor,
    tail: Tensor,
    pools: list[tuple[Tensor, Tensor]],
) -> tuple[Tensor, Tensor]:
    """Scores of each positive against its type's pool, and the mask of true negatives.

    Args:
        score_all_tails (callable): A :data:`ScoreFn` (ids in, ``[B, C]`` scores out).
        head (torch.Tensor): Head ids of the positives.
        relation (torch.Tensor): Relation ids of the positives.
        tail (torch.Tensor): Tail ids of the positives.
        pools (list): From :func:`sample_negative_pools`.

    Shapes:
        - **input:** :math:`(B)` each
        - **output:** :math:`(B, P)` scores and mask
    """
    parts, masks, rows_all = [], [], []
    for rows, pool in pools:
        parts.append(score_all_tails(head[rows], relation[rows], pool))
        masks.append(pool.unsqueeze(0) != tail[rows].unsqueeze(1))
        rows_all.append(rows)
    order = torch.cat(rows_all)
    inverse = torch.empty_like(order)
    inverse[order] = torch.arange(order.numel(), device=order.device)
    return torch.cat(parts).index_select(0, inverse), torch.cat(masks)[inverse]


@torch.no_grad()
def filtered_ranks(
    score_fn: ScoreFn,
    triples: Tensor,
    graph_all_true: GraphTensors,
    candidates_by_type: dict[int, Tensor] | None = None,
    *,
    batch_size: int = 256,
) -> Tensor:
    r"""Filtered, tie-aware rank of each triple's tail among all nodes of its type.

    For :math:`(h, r, t)` every node of :math:`t`'s type is a candidate; the other tails
    :math:`t'` with :math:`(h, r, t')` in ``graph_all_true`` are removed; ties with
    :math:`t` count half (the mean of the positions they span). NaN scores count as
    :math:`-\infty`.

    Args:
        score_fn (callable): ``(head_ids [B], relation_ids [B], candidate_ids [C]) ->
            [B, C]`` scores, higher is better.
        triples (torch.Tensor): ``[T, 3]`` (head, relation, tail) rows to rank.
        graph_all_true (GraphTensors): Every known true edge (train, valid and test).
        candidates_by_type (dict, optional): Node type -> candidate ids. (default:
            :obj:`None`, every node of the type in ``graph_all_true``)
        batch_size (int, optional): Queries scored at once. (default: :obj:`256`)

    Raises:
        ValueError: A tail's type has no candidates, or a true tail is not among them.

    Shapes:
        - **input:** :math:`(T, 3)`
        - **output:** :math:`(T)` float ranks, 1 is best
    """
    if candidates_by_type is None:
        candidates_by_type = candidates_of(graph_all_true)
    num_nodes, num_rel = graph_all_true.num_nodes, max(graph_all_true.num_relations, 1)
    true_key = graph_all_true.edge_index[0] * num_rel + graph_all_true.edge_type
    true_key, order = torch.sort(true_key)
    true_tail = graph_all_true.edge_index[1][order]
    ranks = torch.full((triples.size(0),), math.nan)
    tail_type = graph_all_true.node_type[triples[:, 2]]
    missing = sorted(set(tail_type.unique().tolist()) - set(candidates_by_type))
    if missing:
        names = [graph_all_true.node_type_names[t] for t in missing]
        raise ValueError(f"candidates_by_type has no candidates for the tails' types {names}")
    for t, cands in candidates_by_type.items():
        rows_t = torch.nonzero(tail_type == t, as_tuple=False).flatten()
        if not rows_t.numel():
            continue
        position = torch.full((num_nodes,), -1, dtype=torch.long)
        position[cands] = torch.arange(cands.numel())
        absent = rows_t[position[triples[rows_t, 2]] < 0]
        if absent.numel():
            h, r, tail = triples[absent[0]].tolist()
            raise ValueError(
                f"{absent.numel()} triples' true tails are not among the candidates of their "
                f"type, the first ({h}, {r}, {tail}): {graph_all_true.node_iris[tail]}"
            )
        for rows in rows_t.split(batch_size):
            h, r, tail = triples[rows, 0], triples[rows, 1], triples[rows, 2]
            scores = score_fn(h, r, cands).float().nan_to_num(nan=-math.inf)
            b = rows.numel()
            # Other known true tails of (h, r): a range of the sorted keys per query.
            key = h * num_rel + r
            lo = torch.searchsorted(true_key, key, right=False)
            hi = torch.searchsorted(true_key, key, right=True)
            counts = hi - lo
            query = torch.repeat_interleave(torch.arange(b), counts)
            start = torch.repeat_interleave(lo - (counts.cumsum(0) - counts), counts)
            known = true_tail[start + torch.arange(int(counts.sum()))]
            col = position[known]
            drop = (col >= 0) & (known != tail[query])
            keep = torch.ones(b, cands.numel(), dtype=torch.bool)
            keep[query[drop], col[drop]] = False
            true_score = scores[torch.arange(b), position[tail]].unsqueeze(1)
            higher = ((scores > true_score) & keep).sum(dim=1)
            tied = ((scores == true_score) & keep).sum(dim=1) - 1
            ranks[rows] = 1.0 + higher.float() + 0.5 * tied.float()
    return ranks


def metrics(ranks: Tensor) -> dict[str, float]:
    r"""Mean reciprocal rank and Hits@1/3/10 of filtered ranks.

    .. math::
        \mathrm{MRR} = \frac{1}{T} \sum_i \frac{1}{\mathrm{rank}_i}, \qquad
        \mathrm{Hits@}k = \frac{1}{T} |\{i : \mathrm{rank}_i \leq k\}|

    Args:
        ranks (torch.Tensor): Ranks from :func:`filtered_ranks`.

    Returns:
        ``{"mrr", "hits@1", "hits@3", "hits@10"}``.
    """
    if ranks.numel() == 0:
        raise ValueError("no ranks to summarise")
    ranks = ranks.double()
    out = {"mrr": float((1.0 / ranks).mean())}
    for k in HITS_AT:
        out[f"hits@{k}"] = float((ranks <= k).double().mean())
    return out


def evaluate(
    score_fn: ScoreFn,
    triples: Tensor,
    graph_all_true: GraphTensors,
    candidates_by_type: dict[int, Tensor] | None = None,
    *,
    batch_size: int = 256,
) -> dict[str, float]:
    r""":func:`metrics` of :func:`filtered_ranks` (same arguments)."""
    return metrics(
        filtered_ranks(score_fn, triples, graph_all_true, candidates_by_type, batch_size=batch_size)
    )


# --- shallow baselines ------------------------------------------------------------------

BASELINE_BATCH_SIZE = 4096
BASELINE_NUM_NEGATIVES = 256
BASELINE_LR = 0.01

KGE_BASELINES: Registry[type[KGEModel]] = Registry(
    "KGE baseline", {"transe": TransE, "distmult": DistMult, "rotate": RotatE}
)


@dataclass
class BaselineResult:
    r"""Outcome of :func:`train_kge_baseline`.

    Attributes:
        name: Registered name of the model.
        model: The trained PyG model (the best epoch's when validated each epoch).
        valid: Filtered metrics on the validation triples.
        test: Filtered metrics on the test triples.
        seconds: Wall-clock training time (per-epoch validation included).
        epochs_run: Epochs trained.
        best_epoch: Epoch (1-based) of the returned model.
        stopped_early: Whether patience ran out before ``epochs``.
        history: One dict per epoch: ``epoch``, ``loss``, ``seconds`` and, when validated
            each epoch, ``valid_mrr``.
        test_ranks: Filtered ranks of the test triples, in ``split.test`` order.
    """

    name: str
    model: KGEModel
    valid: dict[str, float]
    test: dict[str, float]
    seconds: float
    epochs_run: int = 0
    best_epoch: int = 0
    stopped_early: bool = False
    history: list[dict[str, float]] = field(default_factory=list)
    test_ranks: Tensor | None = None


def kge_score_fn(model: KGEModel) -> ScoreFn:
    r"""A :data:`ScoreFn` computing ``model(h, r, c)`` for every query and candidate.

    ``TransE``, ``DistMult`` and ``RotatE`` are scored in closed form (one matrix product or
    one batched distance per query batch), other models by calling them on every pair.
    """
    if isinstance(model, DistMult):

        def distmult(h: Tensor, r: Tensor, c: Tensor) -> Tensor:
            return (model.node_emb(h) * model.rel_emb(r)) @ model.node_emb(c).t()

        return distmult
    if isinstance(model, TransE):

        def transe(h: Tensor, r: Tensor, c: Tensor) -> Tensor:
            head = F.normalize(model.node_emb(h), p=model.p_norm, dim=-1) + model.rel_emb(r)
            tail = F.normalize(model.node_emb(c), p=model.p_norm, dim=-1)
            return -torch.cdist(head, tail, p=model.p_norm)

        return transe
    if isinstance(model, RotatE):

        def rotate(h: Tensor, r: Tensor, c: Tensor) -> Tensor:
            theta = model.rel_emb(r)
            h_re, h_im = model.node_emb(h), model.node_emb_im(h)
            rot = torch.cat(
                [
                    torch.cos(theta) * h_re - torch.sin(theta) * h_im,
                    torch.cos(theta) * h_im + torch.sin(theta) * h_re,
                ],
                dim=-1,
            )
            tail = torch.cat([model.node_emb(c), model.node_emb_im(c)], dim=-1)
            return model.margin - torch.cdist(rot, tail, p=2.0)

        return rotate

    def pairwise(h: Tensor, r: Tensor, c: Tensor) -> Tensor:
        b, n = h.numel(), c.numel()
        step = max(1, 2**18 // max(b, 1))
        parts = []
        for lo in range(0, n, step):
            cc = c[lo : lo + step]
            parts.append(
                model(
                    h.repeat_interleave(cc.numel()), r.repeat_interleave(cc.numel()), cc.repeat(b)
                ).view(b, cc.numel())
            )
        return torch.cat(parts, dim=1)

    return pairwise


def train_kge_baseline(
    name: str,
    split: EdgeSplit,
    epochs: int,
    *,
    hidden_dim: int = 128,
    batch_size: int = BASELINE_BATCH_SIZE,
    lr: float = BASELINE_LR,
    num_negatives: int = BASELINE_NUM_NEGATIVES,
    seed: int = 0,
    patience: int | None = None,
    max_valid_triples: int | None = 2000,
    progress: bool = False,
) -> BaselineResult:
    r"""Train a shallow KGE model on ``split.train_graph`` and evaluate it filtered.

    Negatives are shared pools of tails of the right type (:func:`sample_negative_pools`, as
    the GNN trainer draws them). The loss is the model's own (:func:`link_prediction_loss`):
    margin ranking for ``TransE`` and ``DistMult``, binary cross-entropy on
    :math:`s = \gamma - d` for ``RotatE``.

    With ``patience`` set, the filtered MRR on a fixed sample of the validation triples
    (:func:`sample_triples` with seed ``seed + 1``, the sample the GNN trainer draws) is
    measured after every epoch, training stops after ``patience`` epochs without
    improvement, and the best epoch's model is kept, as the GNN trainer does.

    Args:
        name (str): ``"transe"``, ``"distmult"`` or ``"rotate"``.
        split (EdgeSplit): From :func:`split_edges`.
        epochs (int): Maximum passes over the training triples.
        hidden_dim (int, optional): Embedding size. (default: :obj:`128`)
        batch_size (int, optional): Positive triples per step. (default: :obj:`4096`)
        lr (float, optional): Adam learning rate. (default: :obj:`0.01`)
        num_negatives (int, optional): Pool size of shared negatives per node type and step.
            (default: :obj:`256`)
        seed (int, optional): Seed of initialisation and sampling. (default: :obj:`0`)
        patience (int, optional): Epochs without validation improvement before stopping.
            (default: :obj:`None`, no per-epoch validation: the last epoch's model is kept)
        max_valid_triples (int, optional): Size of the per-epoch validation sample;
            :obj:`None` uses all. (default: :obj:`2000`)
        progress (bool, optional): Show a progress bar. (default: :obj:`False`)
    """
    if patience is not None and patience < 1:
        raise ValueError(f"patience must be positive, got {patience}")
    cls = KGE_BASELINES[name.lower()]
    graph = split.train_graph
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = cls(graph.num_nodes, graph.num_relations, hidden_dim)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    generator = torch.Generator().manual_seed(seed)
    candidates = candidates_of(graph)
    train = split.train
    score_fn = kge_score_fn(model)
    validate = patience is not None and split.valid.numel() > 0
    valid_sample = sample_triples(split.valid, max_valid_triples, seed + 1)
    best_state: dict[str, Tensor] | None = None
    best_mrr, best_epoch, bad_epochs, stopped_early = -1.0, epochs, 0, False
    history: list[dict[str, float]] = []
    start = time.perf_counter()
    bar = tqdm(range(epochs), desc=f"baseline {name}", disable=not progress)
    for epoch in bar:
        epoch_start = time.perf_counter()
        model.train()
        total = 0.0
        for idx in torch.randperm(train.size(0), generator=generator).split(batch_size):
            h, r, t = train[idx, 0], train[idx, 1], train[idx, 2]
            pools = sample_negative_pools(t, graph.node_type, candidates, num_negatives, generator)
            pos_score = model(h, r, t)
            neg_score, mask = pooled_negative_scores(score_fn, h, r, t, pools)
            kind = "bce" if isinstance(model, RotatE) else "margin"
            loss = link_prediction_loss(pos_score, neg_score, mask, kind, model.margin)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += float(loss.detach()) * idx.numel()
        row = {"epoch": epoch + 1, "loss": total / max(train.size(0), 1)}
        if validate:
            model.eval()
            row["valid_mrr"] = evaluate(score_fn, valid_sample, split.graph)["mrr"]
            if row["valid_mrr"] > best_mrr:
                best_mrr, best_epoch, bad_epochs = row["valid_mrr"], epoch + 1, 0
                best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            else:
                bad_epochs += 1
        row["seconds"] = time.perf_counter() - epoch_start
        history.append(row)
        bar.set_postfix({k: f"{v:.4f}" for k, v in row.items() if k in ("loss", "valid_mrr")})
        if validate and patience is not None and bad_epochs >= patience:
            stopped_early = epoch + 1 < epochs
            break
    seconds = time.perf_counter() - start
    if best_state is not None:
        model.load_state_dict(best_state)
    else:
        best_epoch = len(history)
    model.eval()
    valid = evaluate(score_fn, split.valid, split.graph) if split.valid.numel() else {}
    test_ranks = filtered_ranks(score_fn, split.test, split.graph) if split.test.numel() else None
    test = metrics(test_ranks) if test_ranks is not None else {}
    logger.info("baseline %s: valid %s test %s (%.1f s)", name, valid, test, seconds)
    return BaselineResult(
        name=name,
        model=model,
        valid=valid,
        test=test,
        seconds=seconds,
        epochs_run=len(history),
        best_epoch=best_epoch,
        stopped_early=stopped_early,
        history=history,
        test_ranks=test_ranks,
    )
