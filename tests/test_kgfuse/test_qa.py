"""The QA service on the mini HPO KG: each question type, cannot-answer, bad input, audit."""

from __future__ import annotations

import base64
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fusion.shortlist import (
    DEFAULT_LEAD,
    DEFAULT_POOL,
    DEFAULT_SHORTLIST,
    PLACED_BY,
    RankingSettings,
)
from kgfuse.audit import AuditLog, verify_record
from kgfuse.qa import QAService, QuestionError
from kgfuse.qa.entities import delexicalise, placeholder
from kgfuse.qa.fitted_classifier import FittedTextClassifier
from kgfuse.qa.intent import IntentClassifier, fill_slots, training_examples
from kgfuse.qa.questions import DISEASE, GENE, HELDOUT_TEMPLATES, TERM, TRAIN_TEMPLATES, Intent

FBN1 = "https://identifiers.org/ncbigene:2200"
MARFAN = "https://omim.org/entry/154700"
HOMOCYSTINURIA = "https://www.orpha.net/ORDO/Orphanet_394"
ARACHNODACTYLY = "http://purl.obolibrary.org/obo/HP_0001166"
ECTOPIA = "http://purl.obolibrary.org/obo/HP_0001083"
ID = "http://purl.obolibrary.org/obo/HP_0001249"


@pytest.fixture(scope="module")
def qa(mini_home: Path, mini_model: Path) -> QAService:
    return QAService(mini_home / "kgs" / "hpo", mini_model, mini_home)


def iris(answer) -> set[str]:
    return {i.iri for i in answer.items}


def test_genes_of_a_disease_with_iri_and_source(qa: QAService) -> None:
    answer = qa.ask("Which genes are associated with Marfan syndrome?")
    assert answer.intent == "genes_of_disease" and answer.answered
    assert iris(answer) == {FBN1, "https://identifiers.org/ncbigene:7048"}  # FBN1, TGFBR2
    data = qa.answer_dict(answer)
    fbn1 = next(i for i in data["items"] if i["label"] == "FBN1")
    assert fbn1["iri"] == FBN1 and fbn1["curie"] == "NCBIGene:2200"
    fact = next(f for f in data["facts"] if f["subject"]["iri"] == FBN1)
    assert fact["object"]["iri"] == MARFAN and fact["predicate"]["label"] == "contributes to"
    assert fact["source"].startswith("genes_to_phenotype.txt")
    assert "FBN1" in answer.text and answer.audit_id


def test_features_of_a_disease_with_frequencies_and_not(qa: QAService) -> None:
    answer = qa.ask("What are the features of Marfan syndrome?")
    assert answer.intent == "disease_features"
    by_iri = {i.iri: i for i in answer.items}
    assert set(by_iri[ARACHNODACTYLY].detail["frequency"]) == {"Very frequent", "12/20"}
    assert by_iri[ID].detail == {"excluded": True}  # a NOT annotation
    cited = {f.iri for f in answer.facts}
    assert all(c and "/annotation/" in c for c in cited)
    data = qa.answer_dict(answer)
    assert any(s["curie"] == "PMID:1000001" for f in data["facts"] for s in f["sources"])


def test_diseases_with_a_feature_include_subtypes_and_skip_not(qa: QAService) -> None:
    answer = qa.ask("Which diseases have an abnormality of the eye?")
    assert answer.intent == "diseases_with_feature"
    # ectopia lentis (a subtype) is annotated to both; 22q11 deletion has it as NOT
    assert iris(answer) == {MARFAN, HOMOCYSTINURIA}


def test_genes_of_a_phenotype_and_diseases_of_a_gene(qa: QAService) -> None:
    genes = qa.ask("Which genes are linked to ectopia lentis?")
    assert genes.intent == "genes_of_phenotype"
    assert iris(genes) == {FBN1, "https://identifiers.org/ncbigene:875"}
    diseases = qa.ask("What diseases are caused by FBN1?")
    assert diseases.intent == "diseases_of_gene" and iris(diseases) == {MARFAN}


def test_term_definition_synonyms_parents_children(qa: QAService) -> None:
    definition = qa.ask("What is arachnodactyly?")
    assert definition.intent == "definition" and "spider fingers" in definition.text
    synonyms = qa.ask("What are the synonyms of arachnodactyly?")
    assert synonyms.items[0].detail["synonyms"]["exact"] == [
        "Long slender fingers",
        "Spider fingers",
    ]
    parents = qa.ask("What are the parents of ectopia lentis?")
    assert iris(parents) == {"http://purl.obolibrary.org/obo/HP_0000478"}
    children = qa.ask("What are the subtypes of abnormality of the eye?")
    assert iris(children) == {ECTOPIA}


def test_is_feature_of_yes_no_and_not(qa: QAService) -> None:
    yes = qa.ask("Is arachnodactyly a feature of Marfan syndrome?")
    assert yes.intent == "is_feature_of" and yes.text.startswith("Yes")
    assert {f.object for f in yes.facts} == {ARACHNODACTYLY}
    negated = qa.ask("Is intellectual disability a feature of Marfan syndrome?")
    assert negated.text.startswith("No") and "NOT" in negated.text
    assert all(f.negated for f in negated.facts) and negated.facts
    # annotated with frequency HP:0040285 Excluded (seen in none of the patients): a stated
    # no, not a yes
    absent = qa.ask("Is tall stature a feature of 22q11 deletion syndrome?")
    assert absent.text.startswith("No") and "in none of its patients" in absent.text
    assert absent.facts and all(
        f.object == "http://purl.obolibrary.org/obo/HP_0000098" for f in absent.facts
    )


def test_distinguish_two_diseases(qa: QAService) -> None:
    answer = qa.ask("What distinguishes Marfan syndrome from classic homocystinuria?")
    assert answer.intent == "distinguish"
    only = {i.iri: i.detail["only_in"] for i in answer.items}
    # aortic root aneurysm: Marfan only (homocystinuria has it as NOT)
    assert only["http://purl.obolibrary.org/obo/HP_0002616"] == "OMIM:154700"
    assert ARACHNODACTYLY not in only and ECTOPIA not in only  # shared
    # the diseases in turn: a list cut short shows each one's features, not only the first's
    sides = [i.detail["only_in"] for i in answer.items]
    assert len(set(sides)) == 2
    mixed = min(sides.count(side) for side in set(sides))
    assert sides[: 2 * mixed] == [sides[0], sides[1]] * mixed and sides[0] != sides[1]
    cut = qa.ask("What distinguishes Marfan syndrome from classic homocystinuria?", limit=2)
    assert {i.detail["only_in"] for i in cut.items} == set(sides)


def test_diagnosis_question_uses_the_model_and_rules(qa: QAService) -> None:
    answer = qa.ask(
        "Which diseases explain arachnodactyly and ectopia lentis but no intellectual disability?"
    )
    assert answer.intent == "diagnose" and answer.answered
    assert {i.iri for i in answer.items} >= {MARFAN}
    assert [i.detail["rank"] for i in answer.items] == list(range(1, len(answer.items) + 1))
    assert answer.items[0].detail["placed_by"] == "model"  # the lead is the model's
    assert {i.detail["placed_by"] for i in answer.items} <= set(PLACED_BY)
    assert answer.findings and all("rule_id" in f for f in answer.findings)
    excluded = [e for e in answer.entities if e["excluded"]]
    assert [e["iri"] for e in excluded] == [ID]


def test_a_diagnosis_question_is_audited_once_as_ask(qa: QAService) -> None:
    log = AuditLog(qa.audit_log.path)
    before = len(log)
    answer = qa.ask("Which diseases explain arachnodactyly and ectopia lentis?")
    assert len(log) == before + 1 and log.get(answer.audit_id).kind == "ask"
    assert qa.diagnosis.audit_log is not None  # /diagnose requests are still audited
    # the ranking's settings are recorded, and the answer replays with them
    config = log.get(answer.audit_id).to_dict()["config"]
    assert (config["lead"], config["pool"]) == (DEFAULT_LEAD, DEFAULT_POOL)
    assert (qa.diagnosis.diagnoser.ranking.lead, qa.diagnosis.diagnoser.ranking.pool) == (
        DEFAULT_LEAD,
        DEFAULT_POOL,
    )
    # with the shortlist and the precision as the model ran it ("auto" resolved)
    assert config["shortlist"] == qa.diagnosis.diagnoser.ranking.shortlist == DEFAULT_SHORTLIST
    assert config["precision"] == qa.diagnosis.diagnoser.precision != "auto"
    report = verify_record(log, answer.audit_id)
    assert report.identical, report.differences


def test_a_diagnosis_answer_replays_with_its_own_shortlist_and_precision(
    mini_home: Path, mini_model: Path
) -> None:
    qa = QAService(
        mini_home / "kgs" / "hpo",
        mini_model,
        mini_home,
        ranking=RankingSettings(shortlist=2),
        precision="fp32",
    )
    answer = qa.ask("Which diseases explain arachnodactyly and ectopia lentis?")
    log = AuditLog(qa.audit_log.path)
    config = log.get(answer.audit_id).to_dict()["config"]
    assert (config["shortlist"], config["precision"]) == (2, "fp32")
    assert qa.diagnosis.diagnoser.ranking_settings.items() <= config.items()
    report = verify_record(log, answer.audit_id)
    assert report.identical, report.differences


@pytest.mark.parametrize(
    "question",
    [
        "What is the capital of France?",
        "Which genes are associated with Unknownitis syndrome?",
        "What distinguishes Marfan syndrome from nothing at all?",
        "'} ; DROP ALL ; SELECT * WHERE { ?s ?p ?o } #",
        "<script>alert(1)</script> Which genes cause it?",
    ],
)
def test_cannot_answer_without_inventing(qa: QAService, question: str) -> None:
    answer = qa.ask(question)
    assert not answer.answered and answer.intent == "unknown"
    assert answer.items == [] and answer.text.startswith("I cannot answer this")


def test_cannot_answer_lists_the_closest_facts(qa: QAService) -> None:
    answer = qa.ask("What distinguishes Marfan syndrome from nothing at all?")
    assert answer.facts and all(f.subject == MARFAN for f in answer.facts)


def test_diseases_named_after_a_finding(qa: QAService) -> None:
    named, total = qa.diseases_named_after("homocystinuria")
    assert [(d.iri, d.label) for d in named] == [(HOMOCYSTINURIA, "Classic homocystinuria")]
    assert total == 1 and named[0].type == DISEASE
    assert qa.diseases_named_after("HOMOCYSTIN") == ([], 0)  # whole words only
    both, total = qa.diseases_named_after("syndrome")
    assert total == 2 and [d.label for d in both] == ["Marfan syndrome", "22q11 deletion syndrome"]
    first, total = qa.diseases_named_after("Marfan syndrome", limit=1)
    assert [d.iri for d in first] == [MARFAN] and total == 1


def test_cannot_answer_names_the_diseases_named_after_a_finding(
    mini_home: Path, mini_model: Path
) -> None:
    # a finding named in place of a disease: "What distinguishes X from arachnodactyly?"
    qa = QAService(mini_home / "kgs" / "hpo", mini_model, mini_home, audit=False)
    contractural = "https://omim.org/entry/121050"
    qa.entities.disease_labels = [("Contractural arachnodactyly", contractural)]
    answer = qa.ask("What distinguishes Marfan syndrome from arachnodactyly?")
    assert not answer.answered and answer.intent == "unknown"
    assert [i.iri for i in answer.items] == [contractural] and answer.total == 1
    assert "reads as the phenotype Arachnodactyly (HP:0001166)" in answer.text
    assert "Contractural arachnodactyly (OMIM:121050)" in answer.text
    # a question that needs no disease gets no such list
    plain = qa.ask("What is the capital of France?")
    assert plain.items == [] and "named after" not in plain.text


@pytest.mark.parametrize(
    ("question", "message"),
    [("", "empty"), ("   ", "empty"), ("x" * 2001, "2,001 characters"), (42, "must be text")],
)
def test_bad_questions_raise_a_clear_error(qa: QAService, question, message: str) -> None:
    with pytest.raises(QuestionError, match=message):
        qa.ask(question)


def test_answers_are_audited_and_replay_identically(qa: QAService) -> None:
    answer = qa.ask("Which genes are associated with Marfan syndrome?")
    log = AuditLog(qa.audit_log.path)
    record = log.get(answer.audit_id)
    assert record.kind == "ask" and record.kg_fingerprint == qa.kg.fingerprint
    assert [r.iri for r in record.explanation.ranking] == [i.iri for i in answer.items]
    report = verify_record(log, answer.audit_id)
    assert report.identical, report.differences


def test_entities_curies_gene_symbols_and_twins(qa: QAService) -> None:
    entities = qa.entities.link("Is HP:0001166 linked to FBN1 or to the word was?")
    assert [(e.curie, e.type) for e in entities] == [("HP:0001166", TERM), ("NCBIGene:2200", GENE)]
    text = "Which genes are associated with Marfan syndrome?"
    assert delexicalise(text, qa.entities.link(text)) == (
        f"Which genes are associated with {placeholder(DISEASE)}?"
    )


def test_classifier_on_held_out_paraphrases() -> None:
    """Intent accuracy on the held-out templates, entities as placeholders (no linking)."""
    classifier = IntentClassifier()
    slots = {
        "disease": placeholder(DISEASE),
        "disease2": placeholder(DISEASE),
        "gene": placeholder(GENE),
        "term": placeholder(TERM),
        "findings": f"{placeholder(TERM)}, {placeholder(TERM)} and no {placeholder(TERM)}",
    }
    right = total = 0
    for intent, templates in HELDOUT_TEMPLATES.items():
        for template in templates:
            total += 1
            right += classifier.predict(fill_slots(template, **slots)).intent is intent
    assert total == 72 and right / total >= 0.85
    assert not set().union(*TRAIN_TEMPLATES.values()) & set().union(*HELDOUT_TEMPLATES.values())


def test_classifier_respects_feasible_intents() -> None:
    classifier = IntentClassifier()
    text = f"What is the genetic basis of {placeholder(DISEASE)}?"
    guess = classifier.predict(text, feasible=[Intent.DEFINITION, Intent.SYNONYMS])
    assert guess.intent in (Intent.DEFINITION, Intent.SYNONYMS)


def test_fitted_classifier_gives_the_pipelines_probabilities() -> None:
    classifier = IntentClassifier()
    texts, _ = training_examples(seed=1)
    texts = [t.lower() for t in texts[:200]]
    texts += ["", "zzzz qqqq", "genes genes genes of ent_disease", "Ünïcode ?? ent_term"]
    expected = classifier.model.predict_proba(texts)
    fitted = FittedTextClassifier(classifier.model)
    got = np.array([fitted.predict_proba(t) for t in texts])
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)


def test_fitted_classifier_two_classes_and_unsupported_vectoriser() -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline, make_union

    texts = ["red apple", "green apple", "red car", "blue car", "fast car", "ripe apple"]
    labels = ["fruit", "fruit", "vehicle", "vehicle", "vehicle", "fruit"]
    pipeline = make_pipeline(
        make_union(TfidfVectorizer(), TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 3))),
        LogisticRegression(),
    ).fit(texts, labels)
    queries = ["a red apple", "car", "", "unknown words"]
    fitted = FittedTextClassifier(pipeline)
    got = np.array([fitted.predict_proba(q) for q in queries])
    np.testing.assert_allclose(got, pipeline.predict_proba(queries), rtol=0, atol=1e-12)
    l1 = make_pipeline(make_union(TfidfVectorizer(norm="l1")), LogisticRegression())
    with pytest.raises(ValueError, match="vectorisers"):
        FittedTextClassifier(l1.fit(texts, labels))


def test_cli_ask_prints_json_and_a_table(mini_home: Path, mini_model: Path) -> None:
    import json

    from typer.testing import CliRunner

    from kgfuse.cli import app

    runner = CliRunner()
    base = ["--kg", str(mini_home / "kgs" / "hpo"), "--home", str(mini_home)]
    question = "Which genes are associated with Marfan syndrome?"
    result = runner.invoke(app, ["ask", question, "--json", *base])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert "https://identifiers.org/ncbigene:2200" in {i["iri"] for i in data["items"]}
    table = runner.invoke(app, ["ask", question, *base])
    assert table.exit_code == 0 and "NCBIGene:2200" in table.output and "audit id" in table.output
    cannot = runner.invoke(app, ["ask", "What is the capital of France?", "--no-audit", *base])
    assert cannot.exit_code == 3 and "cannot answer" in cannot.output
    empty = runner.invoke(app, ["ask", "  ", *base])
    assert empty.exit_code == 2 and "empty" in empty.output


def test_generated_evaluation_questions_have_independent_gold(qa: QAService) -> None:
    from kgfuse.qa.evaluation import evaluate, generate_questions

    items = generate_questions(qa.kg, per_template=1, seed=0)
    by_intent = {i.intent for i in items}
    assert {"genes_of_disease", "parents", "children", "distinguish"} <= by_intent
    marfan_genes = [i for i in items if i.intent == "genes_of_disease" and "Marfan" in i.question]
    assert all(FBN1 in i.gold for i in marfan_genes)
    children = [i for i in items if i.intent == "children"]
    assert all(set(i.gold) <= set(qa.kg.hierarchy.terms) for i in children)
    report = evaluate(qa, items, with_diagnosis=False, progress=False)
    assert report["questions"] == sum(1 for i in items if i.intent != "diagnose")
    assert 0.0 <= report["intent_accuracy"] <= 1.0
    assert set(report["per_type"]) == by_intent - {"diagnose"}


def test_diagnosis_questions_use_the_precision_asked_for(mini_home: Path, mini_model: Path) -> None:
    qa = QAService(mini_home / "kgs" / "hpo", mini_model, mini_home, audit=False, precision="fp32")
    assert qa.diagnosis.diagnoser.precision == "fp32"
    with pytest.raises(ValueError, match="unknown precision 'half'"):
        QAService(mini_home / "kgs" / "hpo", mini_model, mini_home, precision="half")


@pytest.fixture(scope="module")
def twin_named_qa(tmp_path_factory) -> QAService:
    """The mini HPO with one more disease called like a phenotype: "Ectopia lentis"."""
    import shutil

    from kg.store import build_kg

    root = tmp_path_factory.mktemp("twin")
    data = root / "hpo"
    shutil.copytree(Path(__file__).resolve().parents[1] / "fixtures" / "hpo_mini", data)
    with (data / "phenotype.hpoa").open("a", encoding="utf-8") as out:
        out.write(
            "OMIM:225100\tEctopia lentis\t\tHP:0001083\tOMIM:225100\tTAS\t\t\t\t\tP\t"
            "HPO:curator[2020-01-01]\n"
        )
    build_kg(["hpo"], root / "kgs" / "hpo", hpo_dir=data, progress=False)
    return QAService(root / "kgs" / "hpo", home=root, audit=False)


def test_a_name_of_a_disease_and_a_phenotype_is_read_as_the_question_needs(
    twin_named_qa: QAService,
) -> None:
    def read(question: str) -> tuple[str, list[tuple[str, str]]]:
        entities, guess = twin_named_qa.understand(question)
        return guess.intent.value, [(e.curie, e.type) for e in entities]

    # the disease where the question calls it a disease ...
    assert read("Which genes are associated with the disease ectopia lentis?")[1] == [
        ("OMIM:225100", DISEASE)
    ]
    assert read("What is the disease ectopia lentis?")[1] == [("OMIM:225100", DISEASE)]
    # ... the phenotype where only the phenotype reading can be answered, or where only it
    # has what is asked for (a definition)
    assert read("What is ectopia lentis?")[1] == [("HP:0001083", TERM)]
    intent, entities = read("Which diseases have ectopia lentis?")
    assert (intent, entities) == ("diseases_with_feature", [("HP:0001083", TERM)])
    answer = twin_named_qa.ask("Which diseases have ectopia lentis?")
    assert answer.answered and "https://omim.org/entry/154700" in iris(answer)
    intent, entities = read("Is ectopia lentis a feature of Marfan syndrome?")
    assert intent == "is_feature_of" and entities[0] == ("HP:0001083", TERM)
    assert twin_named_qa.ask("Is ectopia lentis a feature of Marfan syndrome?").answered
    # and the findings of a patient to diagnose are phenotypes
    intent, entities = read("Which diseases explain arachnodactyly and ectopia lentis?")
    assert intent == "diagnose" and ("HP:0001083", TERM) in entities


def test_a_feature_of_a_finding_that_also_names_a_disease_is_not_guessed(
    twin_named_qa: QAService,
) -> None:
    # "ectopia lentis" names a disease too; read so, the question would ask whether
    # arachnodactyly is a feature of that disease, when the asker may mean the reverse
    question = "Is arachnodactyly a feature of ectopia lentis?"
    entities, guess = twin_named_qa.understand(question)
    assert guess.intent.value == "is_feature_of"
    assert [(e.curie, e.type) for e in entities] == [("HP:0001166", TERM), ("HP:0001083", TERM)]
    answer = twin_named_qa.ask(question)
    assert not answer.answered and answer.text.startswith("I cannot answer this: it asks whether")
    assert "'ectopia lentis' reads as the phenotype Ectopia lentis (HP:0001083)" in answer.text
    assert "https://omim.org/entry/225100" in iris(answer)  # offered by its name
    # a disease named in full still answers
    answer = twin_named_qa.ask("Is ectopia lentis a feature of Marfan syndrome?")
    assert answer.answered and iris(answer) == {MARFAN}


@settings(max_examples=300, deadline=None)
@given(
    text=st.lists(
        st.sampled_from(
            [
                "ab",
                "c",
                "XYZ",
                "é",
                "Üß",
                "_",
                "-",
                "'",
                ".",
                ",",
                "?",
                " ",
                "  ",
                "\t",
                "\n",
                "\u00a0",
                "\u2003",
                "ent_disease",
                "a1",
            ]
        ),
        max_size=25,
    ).map("".join),
    low=st.integers(1, 3),
    width=st.integers(0, 3),
)
def test_ngrams_are_scikit_learns(text: str, low: int, width: int) -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer

    from kgfuse.qa.fitted_classifier import ngrams

    for kind in ("word", "char_wb"):
        expected = TfidfVectorizer(analyzer=kind, ngram_range=(low, low + width))
        assert ngrams(kind, (low, low + width), text) == expected.build_analyzer()(text)


def test_fitted_classifier_json_round_trip() -> None:
    classifier = IntentClassifier()
    texts, _ = training_examples(seed=3)
    texts = [t.lower() for t in texts[:100]] + ["", "zzzz", "Ünïcode ?? ent_term"]
    read = FittedTextClassifier.from_json(classifier._proba.to_json())
    assert read.classes == classifier._proba.classes
    for text in texts:
        np.testing.assert_array_equal(
            read.predict_proba(text), classifier._proba.predict_proba(text)
        )


@pytest.mark.parametrize(
    ("mangle", "message"),
    [
        (lambda d: d.update(format="other/1"), "not a kgfuse-text-classifier/1"),
        (lambda d: d.pop("weights"), "incomplete"),
        (lambda d: d["weights"].update(shape=[2, 11]), "does not fit its"),
        (lambda d: d["weights"].update(f8="@@@@"), "incomplete"),
        (lambda d: d["intercept"].update(shape=[1, *d["intercept"]["shape"]]), "wrong shape"),
        (lambda d: d["classes"].pop(), "classes do not match"),
        (lambda d: d["parts"][0]["vocabulary"].popitem(), "vocabulary and idf"),
        (lambda d: d["parts"][1].update(kind="char"), "unknown analyser"),
        (lambda d: d["parts"][1].update(offset=3), "misplaced"),
    ],
)
def test_fitted_classifier_json_checked(mangle, message: str) -> None:
    import json

    data = json.loads(IntentClassifier()._proba.to_json())
    mangle(data)
    with pytest.raises(ValueError, match=message):
        FittedTextClassifier.from_json(json.dumps(data))


def test_intent_classifier_saved_and_read_back(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    fitted = IntentClassifier.saved_or_fitted(0, tmp_path)
    (saved,) = tmp_path.glob("intent-*.json")
    read = IntentClassifier.saved_or_fitted(0, tmp_path)
    assert fitted.model is not None and read.model is None  # read back, not fitted again
    text = f"what genes cause {placeholder(DISEASE).lower()}"
    assert read.predict(text) == fitted.predict(text)
    np.testing.assert_array_equal(read._proba._weights, fitted._proba._weights)
    # another seed is other training questions: another file
    IntentClassifier.saved_or_fitted(1, tmp_path)
    assert len(list(tmp_path.glob("intent-*.json"))) == 2
    good = saved.read_bytes()
    head, _, body = good.partition(b"\n")
    for damaged in (
        b"{broken",
        head,  # no classifier
        b'{"key": "0"}\n' + body,  # written under another key
        head + b"\n" + body[:-40],  # cut short
    ):
        saved.write_bytes(damaged)
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="kgfuse.qa.intent"):
            again = IntentClassifier.saved_or_fitted(0, tmp_path)
        assert again.model is not None and "fitting it again" in caplog.text
        assert saved.read_bytes() == good  # fitted again, the same numbers written whole


def test_intent_classifier_of_other_code_or_settings_is_fitted_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kgfuse.qa import intent

    IntentClassifier.saved_or_fitted(0, tmp_path)
    monkeypatch.setattr(intent, "_FIT_SETTINGS", "other settings")
    assert IntentClassifier.saved_or_fitted(0, tmp_path).model is not None
    assert len(list(tmp_path.glob("intent-*.json"))) == 2
    key = intent.fit_key(0)
    monkeypatch.setattr(
        "importlib.metadata.version", lambda name: "0.0" if name == "scikit-learn" else "1"
    )
    assert intent.fit_key(0) != key  # another scikit-learn fits other numbers


def test_fitted_classifier_refuses_numbers_that_are_not_finite() -> None:
    import json

    data = json.loads(IntentClassifier()._proba.to_json())
    idf = np.full(data["parts"][0]["idf"]["shape"], np.nan)
    data["parts"][0]["idf"]["f8"] = base64.b64encode(idf.astype("<f8").tobytes()).decode()
    with pytest.raises(ValueError, match="not finite"):
        FittedTextClassifier.from_json(json.dumps(data))


def test_eval_qa_as_json_prints_json_alone_on_stdout(
    mini_home: Path, mini_model: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    from kgfuse.qa.evaluation import evaluate, generate_questions

    qa = QAService(mini_home / "kgs" / "hpo", mini_model, mini_home, audit=False)
    items = generate_questions(qa.kg, per_template=1, seed=0)[:5]
    report = evaluate(qa, items, with_diagnosis=False, progress=True)
    out, err = capfd.readouterr()
    # the progress bar went to stderr: stdout is left to the report
    assert out == "" and "asking" in err
    assert report["questions"] == len([i for i in items if i.intent != "diagnose"])
