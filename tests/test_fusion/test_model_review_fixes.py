"""Fixes of the review of the fused model and its inference path: weights that do not fit
the model are refused (and missing ones are never uninitialised memory), a model loads in
fp32 whatever its config says, bf16 keeps the graph embeddings fp32, int8 batches run row
by row, a fact index's ``current`` link stays inside its folder and the audit's fingerprint
follows links, the shortlist takes in the prior's ties, the lead is never longer than the
shortlist, a cut text is reported, and the weights' KG and candidates are checked."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file

from encoders.linker import linker_from_kg
from encoders.text import int8_is_available
from fusion.config import FusionConfig
from fusion.inputs import ConceptMention, PatientCollator, PatientInput
from fusion.model import KgFusionForDiagnosis
from fusion.pipeline import (
    WEIGHTS,
    Diagnoser,
    apply_precision,
    cast_inputs,
    load_pretrained,
    model_meta,
    save_model_meta,
)
from fusion.retrieval import DamagedIndexError, index_version
from fusion.shortlist import (
    RankingSettings,
    add_similarity,
    shortlist_keys,
    shortlist_order,
    tiered,
)
from kg.errors import KGMismatchError
from kg.knowledge_graph import KnowledgeGraph
from kg.rules.likelihood import LikelihoodConfig, PhenotypeLikelihood
from kg.store import build_kg
from kgfuse.model_files import model_files_fingerprint
from tests.tiny_bert import write_tiny_bert

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
#: findings of the mini HPO KG (arachnodactyly, ectopia lentis, scoliosis, ...)
TERMS = ["HP:0001166", "HP:0001083", "HP:0002616", "HP:0000098", "HP:0001626"]


@pytest.fixture(scope="module")
def kg(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeGraph:
    folder = tmp_path_factory.mktemp("mini") / "kgs" / "hpo"
    build_kg(["hpo"], folder, hpo_dir=FIXTURES / "hpo_mini", progress=False)
    return KnowledgeGraph.open(folder)


@pytest.fixture(scope="module")
def bert(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_bert(tmp_path_factory.mktemp("bert"), ["clinical", "findings", "absent"])


def _candidates(kg: KnowledgeGraph) -> list[str]:
    config = LikelihoodConfig(partial_credit=True)  # a meta without "likelihood" reads so
    return list(PhenotypeLikelihood.from_kg(kg.hierarchy, kg.annotations, config=config).diseases)


def make_model(kg: KnowledgeGraph, bert: Path, fusion: str = "cross_attention") -> Any:
    """A small fused diagnosis model on the mini KG, its fusion gates open."""
    candidates = _candidates(kg)
    rows = kg.graph.index_of()
    kwargs: dict[str, Any] = {
        "fusion": fusion,
        "num_nodes": kg.graph.num_nodes,
        "node_dim": 8,
        "fact_dim": 8,
        "num_facts": 4,
        "num_candidates": len(candidates),
        "label_text_dim": 4,
        "hidden_dim": 16,
        "num_heads": 2,
        "dropout": 0.0,
        "kg_fingerprint": kg.fingerprint,
    }
    torch.manual_seed(0)
    if fusion == "kg_only":
        model = KgFusionForDiagnosis(FusionConfig(**kwargs))
    else:
        model = KgFusionForDiagnosis.from_text_encoder(bert, kwargs)
    with torch.no_grad():
        model.kgfusion.node_embeddings.normal_()
        model.label_nodes.copy_(torch.tensor([rows[c] for c in candidates]))
        model.label_text.normal_()
        for name, p in model.named_parameters():
            if name.endswith("gate"):
                p.fill_(0.8)
    return model.eval()


def save_model(
    folder: Path, kg: KnowledgeGraph, bert: Path, fusion: str = "cross_attention", **meta: Any
) -> Path:
    from transformers import AutoTokenizer

    model = make_model(kg, bert, fusion)
    model.save_pretrained(str(folder))
    if fusion != "kg_only":
        AutoTokenizer.from_pretrained(str(bert)).save_pretrained(str(folder))
    save_model_meta(folder, model_meta(kg, _candidates(kg), {}, "test", **meta))
    return folder


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory, kg: KnowledgeGraph, bert: Path) -> Path:
    return save_model(tmp_path_factory.mktemp("model") / "m", kg, bert, max_length=24)


def _copy(folder: Path, dest: Path) -> Path:
    import shutil

    shutil.copytree(folder, dest)
    return dest


def _inputs(model: Any, kg: KnowledgeGraph, n: int = 4) -> list[PatientInput]:
    """Patients of one to five findings, with facts, a prior and mentions of their text."""
    rows = kg.graph.index_of()
    rng = np.random.default_rng(0)
    items = []
    for i in range(n):
        iris = [kg.hierarchy.resolve(t) for t in TERMS[: i % 5 + 1]]
        text = " ".join(f"finding{k} abc" for k in range(3 * i + 1))
        mentions = [ConceptMention(rows[iri], k % 2 == 1, 0, 8) for k, iri in enumerate(iris)]
        facts = rng.normal(size=(i % 3 + 1, 8)).astype(np.float32) * (5.0 if i == 2 else 1.0)
        prior = rng.normal(size=model.config.num_candidates).astype(np.float32)
        items.append(PatientInput(text, mentions, facts, prior))
    return items


def _collator(bert: Path, model: Any, max_length: int = 128) -> PatientCollator:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(bert))
    cfg = model.config
    return PatientCollator(
        tokenizer, max_length=max_length, num_facts=cfg.num_facts, fact_dim=cfg.fact_dim
    )


# ---- 1: weights that do not fit the model ---------------------------------------------------
def _damaged(folder: Path, dest: Path, drop: tuple[str, ...] = (), add: dict | None = None) -> Path:
    dest = _copy(folder, dest)
    weights = load_file(str(dest / WEIGHTS))
    for key in drop:
        del weights[key]
    weights.update(add or {})
    save_file(weights, str(dest / WEIGHTS), metadata={"format": "pt"})
    return dest


MISSING = (
    "head.prior_weight",
    "kgfusion.fusions.1.attn_gate",
    "kgfusion.fusions.1.attn.in_proj_weight",
)


def test_weights_missing_tensors_are_refused_naming_them(folder: Path, tmp_path: Path) -> None:
    damaged = _damaged(folder, tmp_path / "m", drop=MISSING)
    with pytest.raises(ValueError, match=r"3 missing \(head\.prior_weight, kgfusion") as err:
        load_pretrained(KgFusionForDiagnosis, damaged)
    assert "attn_gate" in str(err.value)


def test_weights_that_are_not_finite_numbers_are_refused(folder: Path, tmp_path: Path) -> None:
    # bytes overwritten in the file's tensor data read as NaN: predictions would be NaN
    weights = load_file(str(folder / WEIGHTS))
    gate = weights["kgfusion.fusions.1.attn_gate"].clone()
    gate.view(-1)[0] = float("nan")
    damaged = _damaged(folder, tmp_path / "nan", add={"kgfusion.fusions.1.attn_gate": gate})
    with pytest.raises(
        ValueError, match=r"are damaged: 1 tensors .*kgfusion\.fusions\.1\.attn_gate"
    ):
        load_pretrained(KgFusionForDiagnosis, damaged)
    assert load_pretrained(KgFusionForDiagnosis, folder) is not None  # the folder as saved


def test_weights_with_unexpected_or_reshaped_tensors_are_refused(
    folder: Path, tmp_path: Path
) -> None:
    extra = _damaged(folder, tmp_path / "extra", add={"head.bias": torch.zeros(3)})
    with pytest.raises(ValueError, match=r"1 unexpected \(head\.bias\)"):
        load_pretrained(KgFusionForDiagnosis, extra)
    weights = load_file(str(folder / WEIGHTS))
    wrong = weights["head.graph_proj.weight"]
    reshaped = _damaged(
        folder, tmp_path / "shape", add={"head.graph_proj.weight": torch.zeros(wrong.shape[0], 3)}
    )
    saved, expected = [wrong.shape[0], 3], list(wrong.shape)
    with pytest.raises(ValueError, match=r"1 of another shape \(head\.graph_proj\.weight: ") as err:
        load_pretrained(KgFusionForDiagnosis, reshaped)
    assert f"saved {saved}, the model's {expected}" in str(err.value)
    assert expected != saved


def test_missing_weights_get_deterministic_values_not_uninitialised_memory(
    folder: Path, tmp_path: Path
) -> None:
    damaged = _damaged(folder, tmp_path / "m", drop=MISSING)
    for _ in range(2):  # transformers itself, as any caller of from_pretrained gets it
        model = KgFusionForDiagnosis.from_pretrained(str(damaged), local_files_only=True)
        assert model.head.prior_weight.item() == pytest.approx(model.config.prior_weight_init)
        fusion = model.kgfusion.fusions["1"]
        assert fusion.attn_gate.item() == 0.0  # a closed gate: the layer leaves states as they are
        assert torch.count_nonzero(fusion.attn.in_proj_weight) == 0
        # what was in the file is kept
        kept = load_file(str(folder / WEIGHTS))
        assert torch.equal(model.head.neural_scale.detach(), kept["head.neural_scale"])
        assert fusion.ffn_gate.item() == pytest.approx(0.8)


def test_a_new_model_keeps_pytorchs_initialisation(kg: KnowledgeGraph, bert: Path) -> None:
    a, b = make_model(kg, bert), make_model(kg, bert)
    weight = a.head.graph_proj.weight
    assert weight.std() > 0 and torch.equal(weight, b.head.graph_proj.weight)
    assert a.head.prior_weight.item() == pytest.approx(a.config.prior_weight_init)
    # the text encoder keeps its pretrained weights
    pretrained = load_file(str(bert / "model.safetensors"))
    word = next(k for k in pretrained if k.endswith("word_embeddings.weight"))
    assert torch.equal(a.kgfusion.encoder.embeddings.word_embeddings.weight, pretrained[word])


# ---- 3: the folder's dtype does not choose the precision ------------------------------------
def test_a_model_saved_in_bf16_loads_in_fp32_and_diagnoses(
    folder: Path, kg: KnowledgeGraph, tmp_path: Path
) -> None:
    bf16 = _copy(folder, tmp_path / "bf16")
    config = json.loads((bf16 / "config.json").read_text())
    config["dtype"] = "bfloat16"
    (bf16 / "config.json").write_text(json.dumps(config))
    model = load_pretrained(KgFusionForDiagnosis, bf16)
    assert {p.dtype for p in model.parameters()} == {torch.float32}
    for precision in ("fp32", "bf16"):
        result = Diagnoser.load(bf16, kg, precision=precision).diagnose("p", present=TERMS[:2])
        assert len(result.ranking) == 3


@pytest.mark.parametrize("fusion", ["cross_attention", "entity_token", "kg_only"])
def test_bf16_keeps_the_graph_embeddings_and_the_head_in_fp32(
    kg: KnowledgeGraph, bert: Path, fusion: str
) -> None:
    model = make_model(kg, bert, fusion)
    items = _inputs(model, kg, 2)
    collator = (
        _collator(bert, model)
        if fusion != "kg_only"
        else PatientCollator(None, num_facts=4, fact_dim=8)
    )
    with torch.no_grad():
        fp32 = model(**collator(items)).logits
        assert apply_precision(model.kgfusion, "bf16") == "bf16"
        assert model.kgfusion.node_embeddings.dtype == torch.float32
        assert model.candidate_matrix().dtype == torch.float32
        # without cached candidates: the head reads the fp32 graph embeddings
        bf16 = model(**cast_inputs(collator(items), "bf16")).logits
    assert bf16.dtype == torch.float32
    assert torch.allclose(bf16, fp32, atol=0.1)


# ---- 4: int8 batches run row by row ---------------------------------------------------------
def test_split_rows_gives_each_row_as_the_collator_makes_it_alone(
    kg: KnowledgeGraph, bert: Path
) -> None:
    from fusion.inputs import split_rows

    model = make_model(kg, bert)
    collator = _collator(bert, model)
    items = _inputs(model, kg, 5)
    rows = split_rows(collator(items))
    assert len(rows) == 5
    for row, item in zip(rows, items, strict=True):
        alone = collator([item])
        assert row.keys() == alone.keys()
        for key in alone:
            assert torch.equal(row[key], alone[key]), key


@pytest.mark.skipif(not int8_is_available(), reason="this torch build has no int8 quantization")
@pytest.mark.parametrize("fusion", ["cross_attention", "entity_token", "kg_only"])
def test_int8_batch_logits_are_each_patients_own(
    kg: KnowledgeGraph, bert: Path, fusion: str
) -> None:
    from fusion.pipeline import batch_logits

    model = make_model(kg, bert, fusion)
    apply_precision(model.kgfusion, "int8")
    collator = (
        _collator(bert, model)
        if fusion != "kg_only"
        else PatientCollator(None, num_facts=4, fact_dim=8)
    )
    items = _inputs(model, kg, 5)
    with torch.no_grad():
        candidates = model.candidate_matrix()
        alone = torch.cat([model(**collator([i]), candidates=candidates).logits for i in items])
        together = model(**collator(items), candidates=candidates).logits
        rows = batch_logits(model, collator(items), "int8", candidates=candidates)
        fp32_path = batch_logits(model, collator(items), "fp32", candidates=candidates)
    assert not torch.equal(together, alone)  # one scale per tensor: the batch moves them
    assert torch.equal(rows, alone)
    assert fp32_path.shape == alone.shape


# ---- 2: the fact index's link, and the audit's fingerprint ----------------------------------
def _versions(folder: Path, *names: str) -> Path:
    for i, name in enumerate(names):
        (folder / name).mkdir(parents=True)
        (folder / name / "facts.json").write_text(json.dumps({"version": i}))
    return folder


def test_a_current_link_out_of_the_index_folder_is_refused(tmp_path: Path) -> None:
    outside = _versions(tmp_path / "elsewhere", "v-000001")
    facts = _versions(tmp_path / "model" / "facts", "v-000002")
    current = facts / "current"
    for target in (
        "../../elsewhere/v-000001",
        str(outside / "v-000001"),
        ".",
        "v-000002/../../../elsewhere/v-000001",
    ):
        current.unlink(missing_ok=True)
        os.symlink(target, current)
        with pytest.raises(DamagedIndexError, match="current link names a version"):
            index_version(facts)
    current.unlink()
    os.symlink(outside / "v-000001", facts / "v-000003")  # a version that is itself a link
    os.symlink("v-000003", current)
    with pytest.raises(DamagedIndexError):
        index_version(facts)
    current.unlink()
    os.symlink("v-000002", current)
    assert index_version(facts) == facts / "v-000002"


def test_a_fact_index_behind_a_link_out_of_its_folder_is_refused_and_saved_over(
    kg: KnowledgeGraph, bert: Path, tmp_path: Path
) -> None:
    import shutil

    from encoders.text import TextEncoder, TextEncoderConfig
    from fusion.retrieval import FactIndex

    encoder = TextEncoder(TextEncoderConfig(model_path=str(bert), precision="fp32", device="cpu"))
    index = FactIndex.build(kg, text_encoder=encoder)
    facts = tmp_path / "model" / "facts"
    index.save(facts)
    outside = tmp_path / "elsewhere"
    shutil.copytree(facts / "v-000001", outside / "v-000001")
    (facts / "current").unlink()
    os.symlink("../../elsewhere/v-000001", facts / "current")
    with pytest.raises(DamagedIndexError, match="current link names a version"):
        FactIndex.load(facts, kg)
    index.save(facts)  # a save replaces the link, and leaves what it pointed to alone
    version = index_version(facts)
    assert version is not None and version.parent == facts and not version.is_symlink()
    assert FactIndex.load(facts, kg).index.ntotal == index.index.ntotal
    assert (outside / "v-000001" / "facts.json").is_file()


def test_the_fingerprint_follows_the_current_link(tmp_path: Path) -> None:
    model = tmp_path / "model"
    facts = _versions(model / "facts", "v-000001", "v-000002")
    (model / "config.json").write_text("{}")
    os.symlink("v-000001", facts / "current")
    first = model_files_fingerprint(model)
    (facts / "current").unlink()
    os.symlink("v-000002", facts / "current")
    second = model_files_fingerprint(model)
    assert first["sha256"] != second["sha256"]
    assert "facts/current/facts.json" in second["files"]


def test_the_fingerprint_hashes_a_facts_folder_linked_from_elsewhere(tmp_path: Path) -> None:
    elsewhere = _versions(tmp_path / "elsewhere" / "facts", "v-000001")
    os.symlink("v-000001", elsewhere / "current")
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text("{}")
    os.symlink(elsewhere, model / "facts")
    files = model_files_fingerprint(model)["files"]
    assert sorted(files) == ["config.json", "facts/v-000001/facts.json"]
    # a folder as a save leaves it: the link to its only version is not hashed twice
    plain = tmp_path / "plain"
    _versions(plain / "facts", "v-000001")
    os.symlink("v-000001", plain / "facts" / "current")
    (plain / "config.json").write_text("{}")
    assert model_files_fingerprint(plain)["files"] == files


# ---- 6: the shortlist takes in the prior's ties ---------------------------------------------
class _Ranker:
    def score_candidates_each(
        self, present: list[str], rows: np.ndarray, combines: tuple[str, ...]
    ) -> list[np.ndarray]:
        return [np.full(len(rows), 0.5) for _ in combines]


def test_the_priors_ties_at_the_shortlists_end_are_all_shortlisted() -> None:
    prior = np.array([9.0, 8.0, 5.0, 5.0, 5.0, 5.0, 1.0, 0.0])
    # the model's scores order the tied candidates one way, then (by noise) the other
    one = np.array([0.0, 0.0, 0.30, 0.31, 0.29, 0.28, 5.0, 5.0])
    other = np.array([0.0, 0.0, 0.30, 0.29, 0.31, 0.28, 5.0, 5.0])
    for scores in (one, other):
        assert set(shortlist_order(scores, prior, 3)[:6].tolist()) == {0, 1, 2, 3, 4, 5}
        lifted = scores.copy()
        similarity = add_similarity(lifted, prior, 3, [], _Ranker(), 4.0, 0)  # type: ignore[arg-type]
        assert sorted(similarity.pooled) == sorted(similarity.shortlist) == [0, 1, 2, 3, 4, 5]
        assert np.allclose(lifted[:6], scores[:6] + 2.0) and np.array_equal(lifted[6:], scores[6:])
        keys = shortlist_keys(scores, prior, 3)
        assert keys[:6].min() > keys[6:].max()
    # which tied candidates are shortlisted no longer depends on the scores
    fill = prior.copy()
    a = tiered(one, prior, fill, 3, 2, 0)
    b = tiered(other, prior, fill, 3, 2, 0)
    assert a.spans == b.spans == (6, 0, 0)
    assert set(a.order[:6].tolist()) == set(b.order[:6].tolist()) == set(range(6))


def test_shortlisted_is_the_priors_top_with_its_ties() -> None:
    from fusion.shortlist import shortlisted

    prior = np.array([9.0, 8.0, 5.0, 5.0, 5.0, 5.0, 1.0, 0.0])
    assert shortlisted(prior, 3).tolist() == [0, 1, 2, 3, 4, 5]
    assert shortlisted(prior, 2).tolist() == [0, 1]
    assert shortlisted(prior, 0).tolist() == list(range(8))
    # a prior flat at the shortlist's end: the model ranks every candidate
    assert shortlisted(np.zeros(5), 2).tolist() == [0, 1, 2, 3, 4]


# ---- 7: the lead is at most the shortlist ---------------------------------------------------
def test_a_lead_past_the_shortlist_is_never_labelled_the_models() -> None:
    prior = np.arange(10.0)[::-1].copy()  # no ties: the shortlist is the prior's first 3
    scores = np.array([0.0, 1.0, 2.0, 9.0, 8.0, 0.0, 0.0, 0.0, 0.0, 0.0])
    placed = tiered(scores, prior, prior.copy(), 3, 5, 6)
    for i, by in zip(placed.order.tolist(), placed.placed_by(), strict=True):
        assert by != "model" or i in {0, 1, 2}
    assert placed.spans[0] == 3
    assert placed.order[:3].tolist() == [2, 1, 0]


def test_diagnoser_stops_a_lead_longer_than_the_shortlist_at_its_end(
    folder: Path, kg: KnowledgeGraph
) -> None:
    diagnoser = Diagnoser.load(
        folder, kg, precision="fp32", ranking=RankingSettings(shortlist=1, lead=2, pool=3)
    )
    assert diagnoser.ranking.lead == 1 and diagnoser.ranking_settings["lead"] == 1
    ranking = diagnoser.diagnose("p", present=TERMS[:2]).ranking
    assert [r.placed_by for r in ranking] == ["model", "prior+similarity", "prior+similarity"]
    # without a pool, or with the model ranking every candidate, the lead is not used
    count = len(diagnoser.builder.candidates)
    assert RankingSettings(shortlist=1, lead=2, pool=0).for_candidates(count).lead == 2
    assert RankingSettings(shortlist=0, lead=5, pool=3).for_candidates(count).lead == 5


# ---- 9: a text cut at max_length is reported ------------------------------------------------
def test_a_text_longer_than_max_length_is_reported(folder: Path, kg: KnowledgeGraph) -> None:
    linker = linker_from_kg(kg)
    diagnoser = Diagnoser.load(folder, kg, precision="fp32", linker=linker)
    text = "She has arachnodactyly and ectopia lentis. " * 2
    total = len(diagnoser.tokenizer(text)["input_ids"])
    assert total > 24
    noted = diagnoser.diagnose("p", text=text).warnings
    expected = f"the text is {total} tokens long and the model read the first 24"
    assert [w for w in noted if w.startswith(expected)]
    short = Diagnoser.load(folder, kg, precision="fp32", linker=linker)
    short.collator.max_length = 128  # the tiny encoder's positions
    assert not [w for w in short.diagnose("p", text=text).warnings if "tokens long" in w]


def test_structured_findings_past_the_window_are_reported_as_findings(
    folder: Path, kg: KnowledgeGraph
) -> None:
    diagnoser = Diagnoser.load(folder, kg, precision="fp32")
    result = diagnoser.diagnose("p", present=TERMS[:3], excluded=TERMS[3:])
    # the user wrote no text: the note counts the findings of the rendered text the model read
    prepared = diagnoser.builder.prepare(result.findings, None)
    enc = diagnoser.tokenizer(
        prepared.input.text, truncation=True, max_length=24, return_offsets_mapping=True
    )
    read_to = max(end for _, end in enc["offset_mapping"])
    held = sum(f.start < read_to for f in prepared.findings)
    assert 0 < held < len(prepared.findings) == len(TERMS)
    expected = f"the model's text window (24 tokens) held {held} of the {len(TERMS)} findings given"
    assert [w for w in result.warnings if w.startswith(expected)]
    assert not [w for w in result.warnings if "tokens long" in w]


# ---- 10, 11: the weights' KG and candidates -------------------------------------------------
def test_weights_of_another_kg_are_refused(
    folder: Path, kg: KnowledgeGraph, tmp_path: Path
) -> None:
    other = _copy(folder, tmp_path / "other")
    config = json.loads((other / "config.json").read_text())
    config["kg_fingerprint"] = "0" * 64
    (other / "config.json").write_text(json.dumps(config))
    with pytest.raises(KGMismatchError, match="config.json's kg_fingerprint"):
        Diagnoser.load(other, kg, precision="fp32")


def test_weights_scoring_other_nodes_than_the_candidates_are_refused(
    folder: Path, kg: KnowledgeGraph, tmp_path: Path
) -> None:
    weights = load_file(str(folder / WEIGHTS))
    nodes = weights["label_nodes"].flip(0)
    other = _damaged(folder, tmp_path / "nodes", add={"label_nodes": nodes.contiguous()})
    with pytest.raises(ValueError, match="score other graph nodes than the candidates"):
        Diagnoser.load(other, kg, precision="fp32")


def test_a_candidate_list_of_other_annotations_is_refused_clearly(
    folder: Path, kg: KnowledgeGraph, tmp_path: Path
) -> None:
    swapped = _copy(folder, tmp_path / "swapped")
    meta = json.loads((swapped / "kgfuse_model.json").read_text())
    meta["candidates"] = meta["candidates"][::-1]
    (swapped / "kgfuse_model.json").write_text(json.dumps(meta))
    with pytest.raises(KGMismatchError) as err:
        Diagnoser.load(swapped, kg, precision="fp32")
    message = str(err.value)
    assert "differs from the diseases the KG annotates" in message
    assert "first difference is at position 0" in message
    assert "fingerprint model candid" not in message
    from fusion.pipeline import CandidateMismatchError

    assert isinstance(err.value, CandidateMismatchError)


# ---- loading and saving print nothing of transformers' own --------------------------------------
@pytest.mark.parametrize("shown_before", [True, False])
def test_loading_and_saving_show_no_progress_bar_of_transformers_and_restore_its_setting(
    folder: Path,
    kg: KnowledgeGraph,
    bert: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    shown_before: bool,
) -> None:
    from transformers.utils import logging as hf_logging

    from train.loop import save_model_folder

    (hf_logging.enable_progress_bar if shown_before else hf_logging.disable_progress_bar)()
    try:
        model = load_pretrained(KgFusionForDiagnosis, folder)
        make_model(kg, bert)
        save_model_folder(tmp_path / "saved", model, None, meta={}, config_yaml="")
        assert (tmp_path / "saved" / WEIGHTS).is_file()
        err = capsys.readouterr().err
        assert "Loading weights" not in err and "Writing model shards" not in err
        assert hf_logging.is_progress_bar_enabled() is shown_before
    finally:
        hf_logging.enable_progress_bar()


# ---- a library user's wrong arguments are refused by name -----------------------------------
@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        ({"present": "HP:0001166"}, TypeError, "present is a sequence of term ids"),
        ({"present": None}, TypeError, "present is a sequence of term ids"),
        ({"excluded": b"HP:0001166"}, TypeError, "excluded is a sequence of term ids"),
        ({"present": ["HP:0001166", 1166]}, TypeError, "present holds int 1166"),
        ({"text": b"arachnodactyly"}, TypeError, "text is a string or None, not bytes"),
        ({"text": "arachnodactyly", "top_k": "3"}, TypeError, "top_k is an int, not str"),
        ({"text": "arachnodactyly", "top_k": 0}, ValueError, "top_k is 1 or more, not 0"),
    ],
)
def test_arguments_it_would_misread_are_refused(
    folder: Path, kg: KnowledgeGraph, arguments: dict[str, object], error: type, message: str
) -> None:
    diagnoser = Diagnoser.load(folder, kg, precision="fp32", linker=linker_from_kg(kg))
    with pytest.raises(error, match=message):
        diagnoser.diagnose("p", **arguments)  # type: ignore[arg-type]
    assert diagnoser.diagnose("p", present=TERMS[:1], top_k=1).ranking  # the same call, right


# ---- ranking version 5: a text's findings get partial credit -------------------------------
def test_a_texts_findings_are_credited_partly_and_structured_ones_are_not(
    folder: Path, kg: KnowledgeGraph, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[bool | None] = []
    assert RankingSettings().text_partial_credit is False  # off by default
    for settings in (RankingSettings(text_partial_credit=True), RankingSettings()):
        diagnoser = Diagnoser.load(
            folder, kg, precision="fp32", ranking=settings, linker=linker_from_kg(kg)
        )
        likelihood = diagnoser.builder.likelihood
        real = likelihood.score

        def recording(*args, partial_credit=None, real=real, **kwargs):  # type: ignore[no-untyped-def]
            seen.append(partial_credit)
            return real(*args, partial_credit=partial_credit, **kwargs)

        monkeypatch.setattr(likelihood, "score", recording)
        diagnoser.diagnose("t", text="Arachnodactyly and ectopia lentis.")
        diagnoser.diagnose("s", present=TERMS[:2])
        assert diagnoser.ranking_settings["text_partial_credit"] is settings.text_partial_credit
    # on: the text's findings with partial credit, structured input with the model's setting
    assert seen == [True, None, None, None]
