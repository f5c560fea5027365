"""Training the diagnosis model end to end on the mini HPO KG: save, load, diagnose, resume."""

from __future__ import annotations

import json
import logging
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from safetensors.numpy import save_file
from safetensors.torch import load_file

import train.diagnosis as diagnosis_train
from encoders.text import int8_is_available
from eval.diagnosis import Case, expected_calibration_error
from fusion.pipeline import (
    NEIGHBOURS_FILE,
    Diagnoser,
    likelihood_config_of,
    neighbours_basis,
    save_neighbours,
)
from fusion.retrieval import FactIndex
from fusion.shortlist import DEFAULT_POOL, RankingSettings
from kg.knowledge_graph import KnowledgeGraph
from kg.namespaces import to_iri
from kg.rules.likelihood import (
    LikelihoodConfig,
    Neighbours,
    PhenotypeLikelihood,
    disease_term_matrix,
)
from kg.rules.resnik import ResnikRanker
from kg.store import build_kg
from kgfuse.audit import AuditLog, verify_record
from kgfuse.diagnosis import DiagnosisService, RecordError, parse_record, read_jsonl
from train.config import load_config
from train.diagnosis import (
    embeddings_digest,
    embeddings_dir,
    ensure_embeddings,
    ensure_fact_index,
    prior_config,
    train_diagnosis,
)
from train.loop import use_bf16

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SEXES = ("male", "M", "Female", "f", "OTHER_SEX", "unknown", None)


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("home")
    build_kg(["hpo"], home / "kgs" / "hpo", hpo_dir=FIXTURES / "hpo_mini", progress=False)
    return home


def _config(home: Path, output: str, *extra: str):
    return load_config(
        None,
        [
            f"kg={home / 'kgs' / 'hpo'}",
            f"output={home / output}",
            "model.fusion=kg_only",
            "model.candidates=null",
            "model.hidden_dim=16",
            "simulation.patients_per_disease=6",
            "simulation.valid_patients=3",
            "train.epochs=2",
            "train.batch_size=4",
            "train.checkpoint_every=1",
            "train.precision=fp32",
            "embedding.epochs=2",
            "embedding.hidden_dim=16",
            *extra,
        ],
    )


@pytest.fixture(scope="module")
def trained(home: Path) -> Path:
    train_diagnosis(_config(home, "model-a"), home=home, progress=False)
    return home / "model-a"


def test_train_writes_a_loadable_model_with_sidecars(home: Path, trained: Path) -> None:
    meta = json.loads((trained / "kgfuse_model.json").read_text())
    kg = KnowledgeGraph.open(home / "kgs" / "hpo")
    assert meta["kg_fingerprint"] == kg.fingerprint
    assert len(meta["candidates"]) == 3 and meta["config_hash"]
    assert (trained / "config.yaml").is_file() and (trained / "training.json").is_file()
    summary = json.loads((trained / "training.json").read_text())
    assert summary["stopped_by"] in ("epochs", "early stopping")  # no step or time bound set
    precision = _config(home, "model-a").train.precision
    assert summary["device"] == "cpu"  # no GPU here: where its steps ran, in what precision
    assert summary["precision"] == ("bf16" if use_bf16(precision) else "fp32")
    diagnoser = Diagnoser.load(trained, kg)
    result = diagnoser.diagnose("p1", present=["HP:0001166", "HP:0001083"], excluded=["HP:0001249"])
    probs = [r.probability for r in result.ranking]
    assert len(result.ranking) == 3 and abs(sum(probs) - 1.0) < 1e-4
    assert probs == sorted(probs, reverse=True)
    # the prior's settings travel with the model and are the ones used when it is loaded;
    # by default the prior leaves excluded findings out (model.prior_excluded_weight) and
    # completes the profiles from the nearest diseases (2 of the mini KG's 3 are all there are)
    # and from their counterparts in other sources (the mini KG's candidates are all there are)
    trained_with = LikelihoodConfig(
        excluded_weight=0.0,
        neighbours=60,
        neighbour_weight=0.2,
        counterpart_weight=1.0,
        counterpart_similarity=0.4,
    )
    assert LikelihoodConfig.from_dict(meta["likelihood"]) == trained_with
    assert diagnoser.builder.likelihood.config == trained_with
    without = diagnoser.diagnose("p2", present=["HP:0001166", "HP:0001083"])
    priors = {r.iri: r.prior for r in result.ranking}
    assert priors == pytest.approx({r.iri: r.prior for r in without.ranking})


def test_the_priors_weights_are_training_settings(home: Path) -> None:
    config = _config(home, "unused", "model.prior_excluded_weight=0.5")
    assert config.model.prior_excluded_weight == 0.5
    for bad in ("-0.1", "1.5"):
        with pytest.raises(ValueError, match="prior_excluded_weight"):
            _config(home, "unused", f"model.prior_excluded_weight={bad}")
    weights = ("model.prior_excluded_weight=0.5", "model.prior_breadth_weight=1")
    both = _config(home, "unused", *weights)
    assert prior_config(both.model) == LikelihoodConfig(
        excluded_weight=0.5,
        breadth_weight=1.0,
        neighbours=60,
        neighbour_weight=0.2,
        counterpart_weight=1.0,
        counterpart_similarity=0.4,
    )
    off = _config(home, "unused", "model.prior_neighbours=0", "model.prior_counterpart_weight=0")
    assert not prior_config(off.model).imputes
    assert not prior_config(off.model).uses_counterparts
    for key, bad in (
        ("prior_neighbours", "-1"),
        ("prior_neighbour_weight", "1.5"),
        ("prior_counterpart_weight", "-0.5"),
        ("prior_counterpart_similarity", "2"),
    ):
        with pytest.raises(ValueError, match=key):
            _config(home, "unused", f"model.{key}={bad}")
    for bad in ("-1", "11"):
        with pytest.raises(ValueError, match="prior_breadth_weight"):
            _config(home, "unused", f"model.prior_breadth_weight={bad}")


def test_the_loss_shortlist_is_a_training_setting_saved_with_the_model(home: Path) -> None:
    train_diagnosis(
        _config(home, "model-short", "model.loss_shortlist=1", "train.epochs=1"),
        home=home,
        progress=False,
    )
    saved = json.loads((home / "model-short" / "config.json").read_text())
    assert saved["loss_shortlist"] == 1
    with pytest.raises(ValueError, match="loss_shortlist"):
        _config(home, "unused", "model.loss_shortlist=-1")


def test_models_saved_without_prior_settings_keep_partial_credit() -> None:
    # such models were trained when partial credit was the default
    assert likelihood_config_of({}) == LikelihoodConfig(partial_credit=True)
    recorded = {"likelihood": LikelihoodConfig(false_positive_rate=0.2).to_dict()}
    assert likelihood_config_of(recorded) == LikelihoodConfig(false_positive_rate=0.2)
    # models saved before the excluded findings' weight was recorded counted them fully
    older = {k: v for k, v in LikelihoodConfig().to_dict().items() if k != "excluded_weight"}
    assert likelihood_config_of({"likelihood": older}).excluded_weight == 1.0
    # and those saved before the breadth prior had none
    older = {k: v for k, v in LikelihoodConfig().to_dict().items() if k != "breadth_weight"}
    assert likelihood_config_of({"likelihood": older}).breadth_weight == 0.0


def test_the_model_reranks_the_priors_shortlist(home: Path, trained: Path) -> None:
    kg = KnowledgeGraph.open(home / "kgs" / "hpo")
    patient = {"present": ["HP:0001166", "HP:0001083"], "excluded": ["HP:0001249"]}
    by_prior = [
        r.iri
        for r in sorted(
            Diagnoser.load(trained, kg).diagnose("p", **patient).ranking,
            key=lambda r: -(r.prior or 0.0),
        )
    ]
    assert len(by_prior) == 3
    rankings = {}
    for shortlist in (0, 1, 3):
        diagnoser = Diagnoser.load(trained, kg, ranking=RankingSettings(shortlist=shortlist))
        with torch.no_grad():  # a model that disagrees with its prior: it reverses it
            diagnoser.model.head.prior_weight.fill_(-100.0)
        result = diagnoser.diagnose("p", **patient)
        scores = [r.score for r in result.ranking]
        rankings[shortlist] = [r.iri for r in result.ranking]
        assert all(r.prior is not None for r in result.ranking)
        if shortlist != 1:  # the model ranks every candidate
            assert scores == sorted(scores, reverse=True)
        # the probabilities fall with the rank: where the prior's best leads against the
        # model (shortlist 1), the three share the model's probability evenly
        probabilities = [r.probability for r in result.ranking]
        assert probabilities == sorted(probabilities, reverse=True)
        assert sum(probabilities) == pytest.approx(1.0)
        if shortlist == 1:
            assert probabilities == pytest.approx([1 / 3] * 3)
            # the model's own (decisions recorded before 2026-12-02): out of the rank's order
            own = Diagnoser.load(
                trained, kg, ranking=RankingSettings(shortlist=1, ordered_probabilities=False)
            )
            with torch.no_grad():
                own.model.head.prior_weight.fill_(-100.0)
            kept = own.diagnose("p", **patient, keep_logits=True)
            assert [r.iri for r in kept.ranking] == rankings[1]
            assert kept.logits is not None
            softmax = own.model.probabilities(torch.from_numpy(kept.logits)).numpy()
            index = {iri: i for i, iri in enumerate(own.builder.candidates)}
            assert [r.probability for r in kept.ranking] == pytest.approx(
                [float(softmax[index[r.iri]]) for r in kept.ranking]
            )
            assert kept.ranking[0].probability < kept.ranking[-1].probability
    assert rankings[0] == rankings[3] == by_prior[::-1]
    assert rankings[1] == by_prior  # the prior's best stays first; the rest in its order
    with pytest.raises(ValueError, match="shortlist"):
        RankingSettings(shortlist=-1)


def test_the_similarity_lifts_the_reranked_candidates_by_its_weight(
    home: Path, trained: Path
) -> None:
    kg = KnowledgeGraph.open(home / "kgs" / "hpo")
    present = ["HP:0001166", "HP:0001083"]
    logits = {}
    for shortlist in (0, 2):
        plain = Diagnoser.load(
            trained, kg, ranking=RankingSettings(shortlist, similarity_weight=0.0, pool=0)
        )
        result = plain.diagnose("p", present=present)
        assert all(r.similarity is None for r in result.ranking)
        logits[shortlist] = {r.iri: r.score for r in result.ranking}
        probability = {r.iri: r.probability for r in result.ranking}
        diagnoser = Diagnoser.load(
            trained, kg, ranking=RankingSettings(shortlist, similarity_weight=3.0, pool=0)
        )
        lifted = diagnoser.diagnose("p", present=present).ranking
        ranker = ResnikRanker(
            kg.hierarchy, kg.annotations, subjects=diagnoser.builder.candidates, combine="BMA"
        )
        expected = dict(zip(ranker.diseases, ranker.score(present).score, strict=True))
        assert max(expected.values()) > 0.0
        # 2 findings: a brief description, lifted by the mean of the two directions
        mean = ranker.score(present, combine="funSimAvg").score
        lift = dict(zip(ranker.diseases, mean, strict=True))
        inside = [r for r in lifted if r.similarity is not None]
        # the same candidates are re-ranked, they come first, ordered by their new scores
        assert {r.iri for r in inside} == {r.iri for r in result.ranking[: len(inside)]}
        assert len(inside) == (3 if shortlist == 0 else 2) and lifted[: len(inside)] == inside
        assert [r.score for r in inside] == sorted((r.score for r in inside), reverse=True)
        for r in lifted:
            if r.similarity is None:
                assert r.score == pytest.approx(logits[shortlist][r.iri])
            else:
                assert r.similarity == pytest.approx(expected[r.iri])
                assert r.shortlist_similarity == pytest.approx(lift[r.iri])
                assert r.score == pytest.approx(
                    logits[shortlist][r.iri] + 3.0 * r.shortlist_similarity
                )
        # the probabilities stay the model's own: the similarity orders, it does not sharpen
        assert {r.iri: r.probability for r in lifted} == pytest.approx(probability)
    with pytest.raises(ValueError, match="similarity weight"):
        RankingSettings(similarity_weight=-1.0)


def test_the_places_after_the_lead_follow_the_prior_plus_the_similarity(
    home: Path, trained: Path
) -> None:
    kg = KnowledgeGraph.open(home / "kgs" / "hpo")
    present = ["HP:0001166", "HP:0001083"]
    rankings = {}
    for pool in (0, 3):
        diagnoser = Diagnoser.load(
            trained, kg, ranking=RankingSettings(3, similarity_weight=3.0, lead=1, pool=pool)
        )
        with torch.no_grad():  # a model that disagrees with its prior: it reverses it
            diagnoser.model.head.prior_weight.fill_(-100.0)
        rankings[pool] = diagnoser.diagnose("p", present=present).ranking
    plain, tiered = rankings[0], rankings[3]
    assert len(tiered) == 3 and all(r.similarity is not None for r in tiered)
    assert [r.placed_by for r in plain] == ["model"] * 3  # the shortlist holds every one
    assert [r.placed_by for r in tiered] == ["model", "prior+similarity", "prior+similarity"]
    assert tiered[0] == plain[0]  # the lead keeps the model's first
    # the places after it: by the prior plus the weighted similarity, not by the model
    fill = [r.prior + 3.0 * r.similarity for r in tiered[1:]]
    assert fill == sorted(fill, reverse=True)
    assert [r.iri for r in plain[1:]] != [r.iri for r in tiered[1:]]
    assert {(r.iri, r.score, r.probability) for r in plain} == {
        (r.iri, r.score, r.probability) for r in tiered
    }  # the scores and probabilities of each disease stay the same
    assert Diagnoser.load(trained, kg).ranking.pool == DEFAULT_POOL
    for bad in ({"lead": -1}, {"pool": -1}):
        with pytest.raises(ValueError, match="lead and pool"):
            RankingSettings(**bad)


def _record_service_arguments(monkeypatch, keyword: str) -> list:
    """The ``keyword`` argument of every DiagnosisService made from now on (a replay's): its
    precision, or a field of its ranking settings."""
    import kgfuse.diagnosis as diagnosis_module

    made = []
    real = diagnosis_module.DiagnosisService

    def recording(*args, **kwargs):
        given = kwargs[keyword] if keyword in kwargs else getattr(kwargs["ranking"], keyword)
        made.append(given)
        return real(*args, **kwargs)

    monkeypatch.setattr(diagnosis_module, "DiagnosisService", recording)
    return made


@pytest.mark.parametrize(
    ("settings", "missing", "before"),
    [
        ({"similarity_weight": 2.5}, "similarity_weight", 0.0),  # before the similarity
        ({"lead": 1, "pool": 2}, "pool", 0),  # before the pool
        # before the probabilities fell with the rank
        ({"ordered_probabilities": True}, "ordered_probabilities", False),
    ],
)
def test_decisions_record_their_ranking_settings_and_old_records_replay_without(
    home: Path, trained: Path, monkeypatch, settings: dict, missing: str, before: float
) -> None:
    import kgfuse.diagnosis as diagnosis_module

    ranking = RankingSettings(**settings)
    service = DiagnosisService(trained, home / "kgs" / "hpo", home, ranking=ranking)
    out, explanation = service.run({"id": "p", "present_hpo": ["HP:0001166", "HP:0001083"]})
    assert {k: explanation.metadata[k] for k in settings} == settings
    assert all(r["similarity"] is not None for r in out["ranking"])
    assert service.audit_log is not None
    record = service.audit_log.get(out["audit_id"]).to_dict()
    assert {k: record["config"][k] for k in settings} == settings
    made = _record_service_arguments(monkeypatch, missing)
    replayed = diagnosis_module.replay(record)
    assert [(r.iri, r.score) for r in replayed.ranking] == [
        (r.iri, r.score) for r in explanation.ranking
    ]
    del record["config"][missing]  # a decision recorded before the setting existed
    diagnosis_module.replay(record)
    assert made == [settings[missing], before]


def test_bf16_inference_casts_the_encoder_only_and_keeps_the_ranking(
    home: Path, trained: Path, monkeypatch
) -> None:
    import encoders.text
    from fusion.pipeline import resolve_precision

    kg = KnowledgeGraph.open(home / "kgs" / "hpo")
    patient = {"present": ["HP:0001166", "HP:0001083"], "excluded": ["HP:0001249"]}
    fp32 = Diagnoser.load(trained, kg, precision="fp32")
    bf16 = Diagnoser.load(trained, kg, precision="bf16")
    assert (fp32.precision, bf16.precision) == ("fp32", "bf16")
    encoder = {p.dtype for p in bf16.model.kgfusion.parameters() if p.is_floating_point()}
    assert encoder == {torch.bfloat16}
    assert {p.dtype for p in bf16.model.head.parameters()} == {torch.float32}
    assert {p.dtype for p in fp32.model.parameters() if p.is_floating_point()} == {torch.float32}
    a, b = fp32.diagnose("p", **patient), bf16.diagnose("p", **patient)
    assert [r.iri for r in a.ranking] == [r.iri for r in b.ranking]
    assert [r.prior for r in a.ranking] == [r.prior for r in b.ranking]  # the prior stays fp32
    for x, y in zip(a.ranking, b.ranking, strict=True):
        assert y.probability == pytest.approx(x.probability, abs=0.05)
    # auto: bf16 only where the CPU runs it in hardware, else int8 where torch can
    for fast, int8, expected in (
        (True, True, "bf16"),
        (False, True, "int8"),
        (False, False, "fp32"),
    ):
        monkeypatch.setattr(encoders.text, "bf16_is_fast", lambda device, fast=fast: fast)
        monkeypatch.setattr(encoders.text, "int8_is_available", lambda int8=int8: int8)
        assert resolve_precision("auto") == expected
    with pytest.raises(ValueError, match="int8 quantization"):
        resolve_precision("int8")  # int8_is_available is still patched to False
    with pytest.raises(ValueError, match="unknown precision 'fp16'"):
        Diagnoser.load(trained, kg, precision="fp16")


@pytest.mark.skipif(not int8_is_available(), reason="this torch build has no int8 quantization")
def test_int8_inference_quantizes_the_encoder_only_and_keeps_the_ranking(
    home: Path, trained: Path
) -> None:
    from torch.ao.nn.quantized.dynamic import Linear as QuantizedLinear

    kg = KnowledgeGraph.open(home / "kgs" / "hpo")
    patient = {"present": ["HP:0001166", "HP:0001083"], "excluded": ["HP:0001249"]}
    fp32 = Diagnoser.load(trained, kg, precision="fp32")
    int8 = Diagnoser.load(trained, kg, precision="int8")
    assert int8.precision == "int8"
    patient_model = list(int8.model.kgfusion.modules())  # the patient encoder, not the head
    assert any(isinstance(m, QuantizedLinear) for m in patient_model)
    assert not any(type(m) is torch.nn.Linear for m in patient_model)  # every one of them
    assert not any(isinstance(m, QuantizedLinear) for m in int8.model.head.modules())
    a, b = fp32.diagnose("p", **patient), int8.diagnose("p", **patient)
    assert [r.iri for r in a.ranking] == [r.iri for r in b.ranking]
    assert [r.prior for r in a.ranking] == [r.prior for r in b.ranking]
    for x, y in zip(a.ranking, b.ranking, strict=True):
        assert y.probability == pytest.approx(x.probability, abs=0.05)
    assert int8.diagnose("p", **patient).ranking == b.ranking  # the same every time


def test_decisions_record_their_precision_and_old_records_replay_in_fp32(
    home: Path, trained: Path, monkeypatch
) -> None:
    import kgfuse.diagnosis as diagnosis_module

    service = DiagnosisService(trained, home / "kgs" / "hpo", home, precision="bf16")
    out, explanation = service.run({"id": "p", "present_hpo": ["HP:0001166"]})
    assert explanation.metadata["precision"] == "bf16"
    assert service.audit_log is not None
    record = service.audit_log.get(out["audit_id"]).to_dict()
    assert record["config"]["precision"] == "bf16"
    made = _record_service_arguments(monkeypatch, "precision")
    replayed = diagnosis_module.replay(record)
    assert [r.iri for r in replayed.ranking] == [r.iri for r in explanation.ranking]
    del record["config"]["precision"]
    diagnosis_module.replay(record)
    assert made == ["bf16", "fp32"]


def test_diagnose_reports_unknown_ids_in_warnings(home: Path, trained: Path) -> None:
    diagnoser = Diagnoser.load(trained, KnowledgeGraph.open(home / "kgs" / "hpo"))
    result = diagnoser.diagnose("p", present=["HP:0001166", "HP:9999999"])
    assert any("HP:9999999" in w for w in result.warnings)
    assert result.ranking


def _with_two_onsets(diagnoser: Diagnoser, kg: KnowledgeGraph) -> Diagnoser:
    """The mini KG annotates one onset (homocystinuria: infantile), which alone tells no
    disease from another; give the 22q11 deletion a congenital onset beside it."""
    lr, h = diagnoser.builder.likelihood, kg.hierarchy
    onsets = sp.lil_matrix((len(lr.diseases), len(h)))
    for disease, onset in (("Orphanet_394", "HP_0003593"), ("syndrome/16", "HP_0003577")):
        row = next(i for i, d in enumerate(lr.diseases) if d.endswith(disease))
        onsets[row, h.index(to_iri(onset.replace("_", ":")))] = 1.0
    matrix = disease_term_matrix(h, kg.annotations, subjects=lr.diseases)
    no_negation = sp.csr_matrix(onsets.shape, dtype=bool)
    diagnoser.builder.likelihood = PhenotypeLikelihood(
        h,
        matrix,
        lr.config,
        onsets=replace(matrix, frequency=onsets.tocsr(), negated=no_negation),
        counterparts=lr.counterparts,
    )
    return diagnoser


def test_the_onset_moves_the_prior_of_diseases_with_an_onset_annotation(
    home: Path, trained: Path
) -> None:
    kg = KnowledgeGraph.open(home / "kgs" / "hpo")
    diagnoser = _with_two_onsets(Diagnoser.load(trained, kg), kg)
    patient = {"present": ["HP:0001166", "HP:0001249"]}

    def priors(**onset: str) -> dict[str, float | None]:
        return {r.curie: r.prior for r in diagnoser.diagnose("p", **patient, **onset).ranking}

    without, infantile = priors(), priors(onset="HP:0003593")
    congenital = priors(onset="HP:0003577")
    assert infantile["ORPHA:394"] > without["ORPHA:394"] > congenital["ORPHA:394"]
    assert infantile["DECIPHER:16"] < without["DECIPHER:16"] < congenital["DECIPHER:16"]
    assert infantile["OMIM:154700"] == pytest.approx(without["OMIM:154700"])  # no onset known
    not_an_onset = diagnoser.diagnose("p", **patient, onset="HP:0001166")
    unknown = diagnoser.diagnose("p", **patient, onset="HP:9999999")
    for result, why in ((not_an_onset, "not an onset class"), (unknown, "unknown")):
        assert any(why in w for w in result.warnings)
        assert {r.curie: r.prior for r in result.ranking} == pytest.approx(without)


def test_the_onset_a_text_states_is_weighed_like_a_given_one(home: Path, trained: Path) -> None:
    from kgfuse.resources import default_linker

    kg = KnowledgeGraph.open(home / "kgs" / "hpo")
    diagnoser = _with_two_onsets(Diagnoser.load(trained, kg, linker=default_linker(kg)), kg)
    text = "The proband presented as an infant with arachnodactyly and intellectual disability."

    def priors(result) -> dict[str, float | None]:
        return {r.curie: r.prior for r in result.ranking}

    read = diagnoser.diagnose("p", text=text)
    assert read.onset == to_iri("HP:0003593") and read.onset_text == "presented as an infant"
    given = diagnoser.diagnose("p", text=text, onset="HP:0003593")
    assert priors(read) == pytest.approx(priors(given))
    assert given.onset_text is None  # a given onset is not read from the text
    # a given onset wins over the text's; and reading can be turned off
    congenital = diagnoser.diagnose("p", text=text, onset="HP:0003577")
    assert congenital.onset == to_iri("HP:0003577")
    off = diagnoser.diagnose("p", text=text, onset_from_text=False)
    assert off.onset is None and off.onset_text is None
    assert priors(off) != pytest.approx(priors(read))
    assert read.to_record()["onset"] == "HP:0003593"
    assert off.to_record()["onset"] is None


def test_a_recorded_onset_replays(home: Path, trained: Path) -> None:
    import kgfuse.diagnosis as diagnosis_module

    service = DiagnosisService(trained, home / "kgs" / "hpo", home)
    out, explanation = service.run({"id": "p", "present_hpo": ["HP:0001249"], "onset": "P6M"})
    assert explanation.metadata["onset"] == to_iri("HP:0003593")  # six months: infantile
    # the rules compare it with the disease's onset annotations, citing them
    [onset_check] = [f for f in explanation.findings if f.rule_id == "hpo.onset-class"]
    assert onset_check.status == "pass" and onset_check.disease.endswith("Orphanet_394")
    assert onset_check.cites[0].object == to_iri("HP:0003593")
    assert service.audit_log is not None
    record = service.audit_log.get(out["audit_id"]).to_dict()
    replayed = diagnosis_module.replay(record)
    assert [(r.iri, r.score) for r in replayed.ranking] == [
        (r.iri, r.score) for r in explanation.ranking
    ]


def test_cli_diagnose_text_with_an_onset(home: Path, trained: Path) -> None:
    from typer.testing import CliRunner

    from kgfuse.cli import app

    base = ["diagnose", "--model", str(trained), "--home", str(home), "--no-audit"]
    note = ["--text", "Tall boy with arachnodactyly and intellectual disability."]
    runner = CliRunner()
    ok = runner.invoke(app, [*base, *note, "--onset", "P6M"])
    assert ok.exit_code == 0, ok.output
    assert "Classic homocystinuria" in ok.output
    bad = runner.invoke(app, [*base, *note, "--onset", "P6Q"])
    assert "not an ISO 8601 duration" in bad.output
    lonely = runner.invoke(app, [*base, "records.jsonl", "--onset", "P6M"])
    assert lonely.exit_code != 0 and "--onset goes with --text" in lonely.output


def test_resume_after_a_kill_matches_an_uninterrupted_run(
    home: Path, trained: Path, kill_at_checkpoint
) -> None:
    disarm = kill_at_checkpoint(3)
    with pytest.raises(KeyboardInterrupt):
        train_diagnosis(_config(home, "model-b"), home=home, progress=False)
    assert not (home / "model-b" / "model.safetensors").exists()
    disarm()
    train_diagnosis(_config(home, "model-b"), home=home, progress=False)
    a = load_file(str(trained / "model.safetensors"))
    b = load_file(str(home / "model-b" / "model.safetensors"))
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key


def test_a_checkpoint_of_other_settings_is_not_resumed(home: Path, kill_at_checkpoint) -> None:
    disarm = kill_at_checkpoint(2)
    with pytest.raises(KeyboardInterrupt):
        train_diagnosis(_config(home, "model-c"), home=home, progress=False)
    disarm()
    with pytest.raises(ValueError, match="written by a run with other settings.*--no-resume"):
        train_diagnosis(_config(home, "model-c", "train.lr=0.01"), home=home, progress=False)
    assert not (home / "model-c" / "model.safetensors").exists()
    # the time budget and the checkpoint interval may change: the run resumes
    relaxed = _config(home, "model-c", "train.max_minutes=30", "train.checkpoint_every=2")
    assert relaxed.resume_fingerprint() == _config(home, "model-c").resume_fingerprint()
    train_diagnosis(relaxed, home=home, progress=False)
    assert (home / "model-c" / "model.safetensors").is_file()
    # --no-resume starts over with the new settings
    fresh = _config(home, "model-c", "train.lr=0.01")
    train_diagnosis(fresh, home=home, progress=False, resume=False)
    assert (home / "model-c" / "model.safetensors").is_file()


def test_cached_embeddings_and_fact_index_are_those_of_the_settings(
    home: Path, trained: Path, monkeypatch
) -> None:
    kg = KnowledgeGraph.open(home / "kgs" / "hpo")
    base = _config(home, "model-a")
    assert embeddings_dir(kg, base, home) != embeddings_dir(
        kg, _config(home, "model-a", "train.seed=1"), home
    )
    assert embeddings_dir(kg, base, home) != embeddings_dir(
        kg, _config(home, "model-a", "embedding.epochs=3"), home
    )
    vectors = ensure_embeddings(kg, base, home, progress=False)  # cached by the trained model
    builds: list[str] = []
    real_build = FactIndex.build

    def counted(*args, **kwargs):
        builds.append("build")
        return real_build(*args, **kwargs)

    monkeypatch.setattr(diagnosis_train.FactIndex, "build", counted)
    same = ensure_fact_index(kg, vectors, progress=False)
    assert builds == [] and same.meta["node_embeddings"] == embeddings_digest(vectors)
    other = vectors.flip(0)
    rebuilt = ensure_fact_index(kg, other, progress=False)
    assert builds == ["build"] and rebuilt.meta["node_embeddings"] == embeddings_digest(other)
    ensure_fact_index(kg, vectors, progress=False)  # back to the first: built again
    assert builds == ["build", "build"]


def test_model_files_are_as_readable_as_any_new_file(trained: Path) -> None:
    from kg.atomic import new_file_mode

    expected = new_file_mode(trained)
    modes = {p.name: p.stat().st_mode & 0o777 for p in trained.rglob("*") if p.is_file()}
    assert {"model.safetensors", "kgfuse_model.json", "checkpoint.safetensors"} <= set(modes)
    assert modes == dict.fromkeys(modes, expected)  # safetensors alone would write 0600


def test_a_second_run_into_a_busy_folder_stops_at_once(home: Path) -> None:
    from train.checkpoint import FolderBusyError, training_folder

    with training_folder(home / "model-busy"), pytest.raises(FolderBusyError, match="in use"):
        train_diagnosis(_config(home, "model-busy"), home=home, progress=False)
    assert [p.name for p in (home / "model-busy").iterdir()] == [".lock"]  # nothing written


def test_parse_record_forms_and_errors() -> None:
    sexes = [parse_record({"id": "s", "text": "tall", "sex": v}).sex for v in SEXES]
    assert sexes == ["MALE", "MALE", "FEMALE", "FEMALE", None, None, None]
    assert parse_record({"id": "a", "text": "tall"}).text == "tall"
    r = parse_record({"id": "b", "present_hpo": ["HP:0001166"], "excluded_hpo": [], "age": 3})
    assert r.present == ("HP:0001166",) and r.age == 3.0 and r.onset is None
    onset = parse_record({"id": "g", "present_hpo": ["HP:0001166"], "onset": "HP:0003593"})
    assert onset.onset == "HP:0003593"
    aged = parse_record({"id": "h", "present_hpo": ["HP:0001166"], "onset": "P3Y"})
    assert aged.onset == "http://purl.obolibrary.org/obo/HP_0011463"  # childhood onset
    for age in (-4, 1e308):  # no patient's age: dropped with a warning, the record kept
        kept = parse_record({"id": "k", "present_hpo": ["HP:1"], "age": age})
        assert kept.age is None and kept.warnings[0].endswith("0 to 130 years; skipped")
    for bad, message in (
        ({"id": "i", "present_hpo": ["HP:1"], "onset": 3}, "onset must be"),
        ({"id": "j", "present_hpo": ["HP:1"], "onset": "P3Q"}, "not an ISO 8601 duration"),
        ({"id": "c", "text": "   "}, "empty text"),
        ({"id": "d"}, "needs 'text'"),
        ({"id": "e", "present_hpo": "HP:1"}, "list of term ids"),
        ({"id": "f", "text": "x" * 100_001}, "exceeds"),
        ({"id": "m", "present_hpo": ["HP:1"], "age": True}, "age must be"),
        ({"id": "n", "phenotypicFeatures": "HP:1"}, "not a valid phenopacket"),
        ({"id": "o", "present_hpo": ["HP:1"], "sex": 5}, "sex must be male, female"),
        ({"id": "p", "present_hpo": ["HP:1"], "sex": "yes"}, "got 'yes'"),
        ({"id": "q", "present_hpo": ["HP:1"] * 600, "excluded_hpo": ["HP:2"] * 401}, "1,001"),
        ({"id": "r", "text": "tall \ud800 boy"}, "unpaired UTF-16 surrogate .U.D800 at"),
        ({"id": "s\udfff", "text": "tall"}, "id holds an unpaired"),
        (["not", "an", "object"], "JSON object"),
    ):
        with pytest.raises(RecordError, match=message):
            parse_record(bad)


def test_service_keeps_going_after_bad_records(home: Path, trained: Path, tmp_path: Path) -> None:
    lines = [
        json.dumps({"id": "ok", "present_hpo": ["HP:0001166"]}).encode(),
        b"{not json",
        b'{"id": "latin", "text": "caf\xe9"}',
        json.dumps({"id": "empty", "text": ""}).encode(),
        json.dumps(
            {"id": "ok2", "present_hpo": ["HP:0001083"], "excluded_hpo": ["HP:0001249"]}
        ).encode(),
    ]
    path = tmp_path / "in.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    service = DiagnosisService(trained, home / "kgs" / "hpo", home, audit=True)
    out = list(service.diagnose_records(read_jsonl(path)))
    assert [o["id"] for o in out] == ["ok", "line-2", "line-3", "empty", "ok2"]
    assert "ranking" in out[0] and "audit_id" in out[0]
    assert "JSON" in out[1]["error"] and "UTF-8" in out[2]["error"] and "empty" in out[3]["error"]
    assert out[4]["ranking"][0]["curie"]


def test_an_unexpected_error_on_one_record_ends_only_that_record(
    home: Path, trained: Path, monkeypatch
) -> None:
    service = DiagnosisService(trained, home / "kgs" / "hpo", home, audit=False)
    real = service.run

    def fails_on_b(raw, index, top_k, **kwargs):
        if raw["id"] == "b":
            raise ZeroDivisionError("a bug")
        return real(raw, index, top_k, **kwargs)

    monkeypatch.setattr(service, "run", fails_on_b)
    records = [(i, {"id": rid, "present_hpo": ["HP:0001166"]}) for i, rid in enumerate("abc")]
    out = list(service.diagnose_records(records))
    assert [o["id"] for o in out] == ["a", "b", "c"]
    assert out[1]["error"] == "internal error: ZeroDivisionError: a bug"
    assert "ranking" in out[0] and "ranking" in out[2]


def test_dev_cases_are_scored_each_epoch_as_diagnose_ranks_them(home: Path, caplog) -> None:
    kg = KnowledgeGraph.open(home / "kgs" / "hpo")
    likelihood = PhenotypeLikelihood.from_kg(kg.hierarchy, kg.annotations)
    matrix = disease_term_matrix(kg.hierarchy, kg.annotations, subjects=likelihood.diseases)
    cases = []
    for row, disease in enumerate(likelihood.diseases):
        terms = [kg.hierarchy.terms[c] for c in sp.csr_matrix(matrix.annotated)[row].indices]
        cases.append(Case(f"c{row}", present=tuple(terms[:2]), diseases=(disease,)))
    # two more patients of the first disease, one of them with a single term: the average
    # per disease then differs from the average per case
    cases.append(Case("c0b", present=cases[0].present, diseases=cases[0].diseases))
    cases.append(Case("c0c", present=cases[0].present[1:], diseases=cases[0].diseases))
    cases.append(Case("unknown", present=cases[0].present, diseases=("OMIM:999999",)))
    # a vignette (text, no coded terms) would score as a miss without findings: left out
    vignette = Case("text-only", text="Long thin fingers.", diseases=cases[0].diseases)
    with caplog.at_level(logging.WARNING, logger="train.diagnosis"):
        result = train_diagnosis(
            _config(home, "model-dev"), home=home, progress=False, dev_cases=[*cases, vignette]
        )
    assert "1 dev cases have text but no coded terms" in caplog.text
    metrics = ("top1", "top3", "top10", "mrr")
    for record in result.history:  # every epoch reports both rankings
        assert {f"dev_{m}" for m in metrics} | {f"dev_model_{m}" for m in metrics} <= set(record)
        assert record["dev_cases"] == len(cases) - 1  # a diagnosis that is no candidate: left out
    # at the end: the ranking kgfuse diagnose gives (fp32, default shortlist and similarity)
    diagnoser = Diagnoser.load(home / "model-dev", kg, precision="fp32")
    reciprocal, first, right = [], [], []
    tops: dict[str, list[bool]] = {}
    for case in cases[:-1]:
        ranking = diagnoser.diagnose(case.id, present=case.present, top_k=10).ranking
        rank = next(i for i, r in enumerate(ranking, 1) if r.iri in case.diseases)
        reciprocal.append(1.0 / rank)
        first.append(ranking[0].probability)
        right.append(ranking[0].iri in case.diseases)
        tops.setdefault(case.diseases[0], []).append(rank == 1)
    per_disease = np.mean([np.mean(v) for v in tops.values()])
    assert result.dev["dev_disease_top1"] == pytest.approx(per_disease)
    assert result.dev["dev_disease_top10"] == pytest.approx(1.0)  # 3 candidates
    assert result.dev["dev_mrr"] == pytest.approx(sum(reciprocal) / len(reciprocal))
    # the probability kgfuse diagnose gives the first disease, and its calibration error
    assert result.dev["dev_top1_probability"] == pytest.approx(np.mean(first), rel=1e-4)
    assert result.dev["dev_ece"] == pytest.approx(
        expected_calibration_error(np.array(first), np.array(right)), abs=1e-4
    )
    assert result.dev["dev_top1"] == pytest.approx(
        sum(r == 1.0 for r in reciprocal) / len(cases[:-1])
    )
    assert 0.0 < result.dev["dev_model_mrr"] <= 1.0
    saved = json.loads((home / "model-dev" / "training.json").read_text())
    assert saved["dev"] == pytest.approx(result.dev)


def test_cli_train_reads_the_configs_dev_cases(home: Path, tmp_path: Path, monkeypatch) -> None:
    from typer.testing import CliRunner

    from kgfuse.cli import app

    cases = tmp_path / "dev.jsonl"
    row = {"id": "a", "present_hpo": ["HP:0001166"], "diseases": ["OMIM:154700"]}
    cases.write_text(json.dumps(row) + "\n")
    config = tmp_path / "diagnosis.yaml"
    config.write_text(f"dev_cases: {cases}\n")
    seen = {}

    def fake_train(cfg, **kwargs):
        seen["dev_cases"] = kwargs["dev_cases"]
        raise RuntimeError("stop here")

    monkeypatch.setattr("train.diagnosis.train_diagnosis", fake_train)
    res = CliRunner().invoke(app, ["train", "--config", str(config), "--home", str(home)])
    assert isinstance(res.exception, RuntimeError) and str(res.exception) == "stop here"
    assert [c.id for c in seen["dev_cases"]] == ["a"]


def test_cli_train_records_the_dev_cases_option_in_the_config(
    home: Path, tmp_path: Path, monkeypatch
) -> None:
    """``--dev-cases FILE`` reaches the config that is saved with the model, as a config's
    ``dev_cases`` does."""
    from typer.testing import CliRunner

    from kgfuse.cli import app

    cases = tmp_path / "dev #2.jsonl"  # a path is set as given, never read as YAML
    row = {"id": "a", "present_hpo": ["HP:0001166"], "diseases": ["OMIM:154700"]}
    cases.write_text(json.dumps(row) + "\n")
    seen = {}

    def fake_train(cfg, **kwargs):
        seen["config"] = cfg
        raise RuntimeError("stop here")

    monkeypatch.setattr("train.diagnosis.train_diagnosis", fake_train)
    res = CliRunner().invoke(app, ["train", "--dev-cases", str(cases), "--home", str(home)])
    assert isinstance(res.exception, RuntimeError) and str(res.exception) == "stop here"
    assert seen["config"].dev_cases == str(cases)


def test_the_neighbours_basis_of_a_prior_without_counterparts_is_the_one_saved_before() -> None:
    # models saved before the counterparts keep their neighbours file valid; a prior that
    # uses counterparts finds its neighbours over other profiles, so over another basis
    import hashlib

    plain = LikelihoodConfig(neighbours=60, neighbour_weight=0.2)
    shaping = {"unknown_frequency": 0.5, "propagation": "noisy_or", "neighbours": 60}
    basis = {"kg": "fp", "candidates": ["a", "b"], "prior": shaping}
    before = hashlib.sha256(json.dumps(basis, sort_keys=True).encode("utf-8")).hexdigest()
    assert neighbours_basis("fp", ["a", "b"], plain) == before
    with_counterparts = replace(plain, counterpart_weight=1.0)
    assert neighbours_basis("fp", ["a", "b"], with_counterparts) != before
    other_similarity = replace(with_counterparts, counterpart_similarity=0.2)
    assert neighbours_basis("fp", ["a", "b"], other_similarity) != neighbours_basis(
        "fp", ["a", "b"], with_counterparts
    )


def test_a_prior_that_imputes_saves_its_neighbours_with_the_model(
    home: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = ("model.prior_neighbours=2", "model.prior_neighbour_weight=0.5", "train.epochs=1")
    train_diagnosis(_config(home, "model-nb", *settings), home=home, progress=False)
    folder = home / "model-nb"
    meta = json.loads((folder / "kgfuse_model.json").read_text())
    assert meta["likelihood"]["neighbours"] == 2
    assert meta["likelihood"]["neighbour_weight"] == 0.5
    assert (folder / NEIGHBOURS_FILE).is_file()
    kg = KnowledgeGraph.open(home / "kgs" / "hpo")
    patient = {"present": ["HP:0001166", "HP:0001083", "HP:0001249"]}
    loaded = Diagnoser.load(folder, kg)
    saved = loaded.builder.likelihood.neighbours
    assert saved is not None and saved.index.shape == (3, 2)
    want = loaded.diagnose("p", **patient).to_record()
    imputed = {r["curie"]: [f["curie"] for f in r["imputed"]] for r in want["ranking"]}
    assert imputed["DECIPHER:16"] == ["HP:0001166"]  # its neighbours have it, it has not
    for r in want["ranking"]:  # what the prior imputed is named with its sources
        for f in r["imputed"]:
            assert f["from"] and all(s["iri"] in meta["candidates"] for s in f["from"])
            similarities = [s["similarity"] for s in f["from"]]
            assert similarities == sorted(similarities, reverse=True)  # nearest first
            # the prior weighs it above an unexplained finding (likelihood ratio 0.1)
            assert math.log10(0.1) < f["log10_lr"]
    # the explanation traces the imputed credit to the neighbours' annotations, and the
    # audit log replays it
    service = DiagnosisService(folder, home / "kgs" / "hpo", home, rules_top=3)
    out, explanation = service.run({"id": "p", "present_hpo": patient["present"]})
    traced = [f for f in explanation.findings if f.rule_id == "prior.imputed"]
    assert [(f.disease, f.patient_term) for f in traced] == [
        (to_iri("DECIPHER:16"), to_iri("HP:0001166"))
    ]
    assert traced[0].cites and all(c.object == to_iri("HP:0001166") for c in traced[0].cites)
    assert {c.subject for c in traced[0].cites} <= {s["disease"] for s in traced[0].data["from"]}
    assert (
        "instead of 0.1 as an unexplained finding, because its entries in other sources or "
        "the diseases most like it" in traced[0].message
    )
    report = verify_record(AuditLog(home / "audit.sqlite", readonly=True), out["audit_id"])
    assert report.identical, report.differences
    # without the file, or with a damaged one, one of another dtype or one computed for
    # another KG, candidate list or prior, the same neighbours are computed again
    shifted = Neighbours(np.roll(saved.index, 1, axis=0), saved.similarity)
    bad_files = {
        "deserializing": lambda: (folder / NEIGHBOURS_FILE).write_bytes(b"not safetensors"),
        "another KG, candidate list or prior": lambda: save_neighbours(folder, shifted, "other"),
        "float64 similarities": lambda: save_file(
            {"index": saved.index, "similarity": saved.similarity.astype(np.float32)},
            str(folder / NEIGHBOURS_FILE),
            metadata={"basis": neighbours_basis(kg.fingerprint, meta["candidates"], prior)},
        ),
    }
    prior = likelihood_config_of(meta)
    reloaded = []
    for message, write in bad_files.items():
        write()
        caplog.clear()
        with caplog.at_level("WARNING", logger="fusion.pipeline"):
            reloaded.append(Diagnoser.load(folder, kg))
        assert "cannot be used" in caplog.text and message in caplog.text
    (folder / NEIGHBOURS_FILE).unlink()
    for other in (*reloaded, Diagnoser.load(folder, kg)):
        again = other.builder.likelihood.neighbours
        assert again is not None and np.array_equal(again.index, saved.index)
        assert other.diagnose("p", **patient).to_record()["ranking"] == want["ranking"]
    # retrained into the same folder without imputation, it keeps no stale neighbours
    plain = _config(home, "model-nb", "model.prior_neighbours=0", "train.epochs=1")
    train_diagnosis(plain, home=home, progress=False, resume=False)
    assert not (folder / NEIGHBOURS_FILE).exists()
    assert Diagnoser.load(folder, kg).builder.likelihood.neighbours is None
    # models saved before the imputation was recorded have none
    older = {k: v for k, v in LikelihoodConfig().to_dict().items() if "neighbour" not in k}
    assert not likelihood_config_of({"likelihood": older}).imputes
