"""How questions are read and answered on a mini HPO grown for it: NOT annotations of a
subtype, negated questions, several or ruled-out entities, qualifier terms, questions the KG
does not answer, names of both a disease and a phenotype, questions in capitals, obsolete
ids, and the wording of answers."""

from __future__ import annotations

import pytest

from kgfuse.qa import QAService
from kgfuse.qa.entities import placeholder
from kgfuse.qa.intent import IntentClassifier
from kgfuse.qa.questions import DISEASE, GENE, TERM
from tests.mini_hpo_env import build_extended_mini_hpo

HP = "http://purl.obolibrary.org/obo/HP_"
MARFAN = "https://omim.org/entry/154700"
LDS1 = "https://omim.org/entry/609192"
EPILEPSY = "https://omim.org/entry/300000"
ATAXIA_SYNDROME = "https://omim.org/entry/300001"
FBN1 = "https://identifiers.org/ncbigene:2200"
TGFBR1 = "https://identifiers.org/ncbigene:7046"
TGFBR2 = "https://identifiers.org/ncbigene:7048"
KCNQ2 = "https://identifiers.org/ncbigene:3785"
ATXN1 = "https://identifiers.org/ncbigene:6310"
NO_SYMBOL = "https://identifiers.org/ncbigene:10108"  # its source symbol is "-"

TERMS = """
[Term]
id: HP:0002861
name: Melanoma
is_a: HP:0000118 ! Phenotypic abnormality

[Term]
id: HP:0012056
name: Cutaneous melanoma
is_a: HP:0002861 ! Melanoma

[Term]
id: HP:0002187
name: Intellectual disability, profound
synonym: "Profound intellectual disability" EXACT []
is_a: HP:0001249 ! Intellectual disability

[Term]
id: HP:0001252
name: Hypotonia
is_a: HP:0000118 ! Phenotypic abnormality

[Term]
id: HP:0001250
name: Seizure
is_a: HP:0000118 ! Phenotypic abnormality

[Term]
id: HP:0001251
name: Ataxia
is_a: HP:0000118 ! Phenotypic abnormality

[Term]
id: HP:0000158
name: Macroglossia
is_a: HP:0000118 ! Phenotypic abnormality

[Term]
id: HP:0012825
name: Mild
is_a: HP:0012823 ! Clinical modifier

[Term]
id: HP:0008665
name: Clitoral hypertrophy
is_a: HP:0000118 ! Phenotypic abnormality

[Term]
id: HP:0000057
name: obsolete Clitoromegaly
is_obsolete: true
replaced_by: HP:0008665

[Term]
id: HP:0000058
name: obsolete Abnormality of the labia
is_obsolete: true
consider: HP:0008665

"""

ANNOTATIONS = [
    # disease, name, qualifier, term, frequency, aspect
    ("ORPHA:79405", "Junctional epidermolysis bullosa inversa", "NOT", "HP:0012056", "", "P"),
    ("ORPHA:79405", "Junctional epidermolysis bullosa inversa", "", "HP:0000098", "", "P"),
    ("OMIM:153630", "MACROGLOSSIA", "", "HP:0000158", "", "P"),
    ("OMIM:153630", "MACROGLOSSIA", "", "HP:0000006", "", "I"),
    ("OMIM:225100", "Ectopia lentis", "", "HP:0001083", "", "P"),
    ("OMIM:609192", "Loeys-Dietz syndrome 1", "", "HP:0001166", "3/10", "P"),
    ("OMIM:609192", "Loeys-Dietz syndrome 1", "", "HP:0001252", "", "P"),
    ("OMIM:300000", "Epilepsy syndrome A", "", "HP:0001250", "", "P"),
    ("OMIM:300000", "Epilepsy syndrome A", "", "HP:0001252", "", "P"),
    ("OMIM:300001", "Ataxia syndrome B", "", "HP:0001250", "", "P"),
    ("OMIM:300001", "Ataxia syndrome B", "", "HP:0001251", "", "P"),
    ("ORPHA:558", "Marfan syndrome", "", "HP:0000478", "", "P"),
]
GENES = [
    # NCBI id, symbol, term, disease
    ("7046", "TGFBR1", "HP:0001166", "OMIM:609192"),
    ("7048", "TGFBR2", "HP:0001252", "OMIM:300000"),
    ("3785", "KCNQ2", "HP:0001250", "OMIM:300000"),
    ("10108", "-", "HP:0001250", "OMIM:300000"),
    ("6310", "ATXN1", "HP:0001250", "OMIM:300001"),
    ("6310", "ATXN1", "HP:0001251", "OMIM:300001"),
    ("7454", "WAS", "HP:0001252", "OMIM:300000"),
]


@pytest.fixture(scope="module")
def qa(tmp_path_factory: pytest.TempPathFactory) -> QAService:
    """The mini HPO with the terms, diseases and genes above (no diagnosis model)."""
    root = tmp_path_factory.mktemp("reading")
    build_extended_mini_hpo(root, TERMS, ANNOTATIONS, GENES)
    return QAService(root / "kgs" / "hpo", home=root, audit=False)


def iris(answer) -> set[str]:
    return {i.iri for i in answer.items}


def read(qa: QAService, question: str) -> list[tuple[str, str, bool]]:
    entities, _ = qa.understand(question)
    return [(e.curie, e.type, e.excluded) for e in entities]


# ---- 1: a NOT annotation of a subtype says nothing of the broader term ------------------------
def test_a_not_annotation_of_a_subtype_is_no_not_of_the_term(qa: QAService) -> None:
    answer = qa.ask("Is melanoma a feature of Junctional epidermolysis bullosa inversa?")
    assert answer.answered and answer.items[0].detail["answer"] == "no"
    assert "explicitly annotated as NOT having Melanoma" not in answer.text
    assert "not among the annotations" in answer.text
    assert "NOT having the subtype(s) Cutaneous melanoma (HP:0012056)" in answer.text
    exact = qa.ask("Is cutaneous melanoma a feature of Junctional epidermolysis bullosa inversa?")
    assert "explicitly annotated as NOT having Cutaneous melanoma (HP:0012056)" in exact.text


def test_a_not_annotation_of_a_broader_term_rules_out_the_narrower(qa: QAService) -> None:
    answer = qa.ask("Is profound intellectual disability a feature of Marfan syndrome?")
    assert answer.items[0].detail == {"term": "HP:0002187", "answer": "no", "stated": True}
    assert "NOT having Intellectual disability, a broader term of" in answer.text


# ---- 2: a negated question is not answered with the positive answer -------------------------
@pytest.mark.parametrize(
    ("question", "negation"),
    [
        ("Which diseases do not have arachnodactyly?", "not have"),
        ("Which diseases lack arachnodactyly?", "lack arachnodactyly"),
        ("Which diseases never have tall stature?", "never have"),
        ("Which genes are NOT associated with Marfan syndrome?", "NOT associated"),
        ("Which features does Marfan syndrome not have?", "not have"),
        ("Which diseases don't have arachnodactyly and tall stature?", "don't have"),
    ],
)
def test_a_negated_list_question_is_not_answered(
    qa: QAService, question: str, negation: str
) -> None:
    answer = qa.ask(question)
    assert not answer.answered and answer.intent == "unknown" and answer.items == []
    assert answer.text.startswith("I cannot answer this") and f"'{negation}'" in answer.text


def test_a_negated_yes_no_question_is_answered_the_other_way(qa: QAService) -> None:
    answer = qa.ask("Is arachnodactyly not a feature of Marfan syndrome?")
    assert answer.answered and answer.items[0].detail["answer"] == "no"
    assert answer.text.startswith("No — asked whether it is not so ('not a feature')")
    said = qa.ask("Is it true that Marfan syndrome does not cause arachnodactyly?")
    assert said.items[0].detail["answer"] == "no" and said.text.startswith("No")
    ruled_out = qa.ask("Is intellectual disability not a feature of Marfan syndrome?")
    assert ruled_out.answered and ruled_out.items[0].detail["answer"] == "yes"
    assert "explicitly annotated as NOT having Intellectual disability" in ruled_out.text
    # not annotated either way: no claim that it is absent
    unknown = qa.ask("Is seizure not a feature of Marfan syndrome?")
    assert not unknown.answered and unknown.text.startswith("I cannot answer this")


def test_a_finding_ruled_out_or_denied_in_notes_is_no_negated_question(qa: QAService) -> None:
    whether = qa.ask("Is arachnodactyly a feature of Marfan syndrome or not?")
    assert whether.items[0].detail["answer"] == "yes" and whether.text.startswith("Yes:")
    answer = qa.ask("Which genes are associated with seizure but not ataxia?")
    assert answer.answered and answer.intent == "genes_of_phenotype"
    guess = qa.understand("A boy with hypotonia and seizures, not walking. Diagnosis?")[1]
    assert guess.intent.value == "diagnose"
    assert qa.ask("A boy with hypotonia and seizures, not walking. Diagnosis?").intent == (
        "diagnose"
    )


# ---- 3: every entity is used, or named as left out ------------------------------------------
def test_a_phenotype_ruled_out_is_left_out_of_its_genes(qa: QAService) -> None:
    answer = qa.ask("Which genes are associated with seizure but not ataxia?")
    assert iris(answer) == {KCNQ2, NO_SYMBOL}  # ATXN1 is linked to ataxia too
    assert "and not to Ataxia (HP:0001251)" in answer.text


def test_the_genes_of_each_disease_named(qa: QAService) -> None:
    answer = qa.ask("Which genes are associated with Marfan syndrome and Loeys-Dietz syndrome 1?")
    assert iris(answer) == {FBN1, TGFBR2, TGFBR1}
    assert "Loeys-Dietz syndrome 1 (OMIM:609192): TGFBR1" in answer.text


def test_a_gene_and_a_feature_narrow_the_diseases(qa: QAService) -> None:
    answer = qa.ask("Which diseases with arachnodactyly are caused by TGFBR2?")
    assert answer.answered and iris(answer) == {MARFAN}  # not Epilepsy syndrome A
    assert "Of the 2 diseases TGFBR2 (NCBIGene:7048) is linked to, 1 is annotated" in answer.text


def test_the_genes_of_several_phenotypes_are_those_of_all(qa: QAService) -> None:
    answer = qa.ask("Which genes are associated with seizure and ataxia?")
    assert iris(answer) == {ATXN1}
    assert "Linked to each alone: Seizure (HP:0001250): 3 genes" in answer.text


def test_three_diseases_are_distinguished(qa: QAService) -> None:
    answer = qa.ask(
        "What is the difference between Marfan syndrome and Loeys-Dietz syndrome 1 and "
        "Epilepsy syndrome A?"
    )
    assert {i.detail["only_in"] for i in answer.items} >= {"OMIM:154700", "OMIM:300000"}
    assert "only Epilepsy syndrome A (OMIM:300000): Seizure" in answer.text


def test_an_entity_the_answer_cannot_take_is_named(qa: QAService) -> None:
    answer = qa.ask("Which genes are associated with Marfan syndrome and arachnodactyly?")
    assert answer.answered
    assert "Not used in this answer: Arachnodactyly (HP:0001166)" in answer.text
    assert answer.warnings == [
        "Arachnodactyly (HP:0001166) in the question was not used in the answer"
    ]


# ---- 4: qualifier terms never take a phenotype's place ----------------------------------------
def test_the_frequency_of_a_feature_in_a_disease(qa: QAService) -> None:
    answer = qa.ask("What is the frequency of arachnodactyly in Marfan syndrome?")
    assert answer.intent == "is_feature_of" and answer.items[0].detail["answer"] == "yes"
    assert "Arachnodactyly (Very frequent; 12/20)" in answer.text


def test_a_severity_is_context_not_the_phenotype(qa: QAService) -> None:
    genes = qa.ask("Which genes are associated with mild hypotonia?")
    assert genes.answered and iris(genes) == {TGFBR2, "https://identifiers.org/ncbigene:7454"}
    assert "Hypotonia (HP:0001252)" in genes.text and "Mild (" not in genes.text
    diseases = qa.ask("Which diseases have mild hypotonia?")
    assert diseases.intent == "diseases_with_feature" and iris(diseases) == {LDS1, EPILEPSY}


def test_a_qualifier_asked_for_on_its_own_is_no_context(qa: QAService) -> None:
    alone = qa.ask("Which diseases have infantile onset?")
    assert alone.answered and iris(alone) == {"https://www.orpha.net/ORDO/Orphanet_394"}
    both = qa.ask("Which diseases have infantile onset and arachnodactyly?")
    assert "Infantile onset (HP:0003593) in the question was not used in the answer" in (
        both.warnings
    )
    assert qa.ask("What is the frequency of arachnodactyly in Marfan syndrome?").warnings == []


def test_the_onset_root_is_no_phenotype(qa: QAService) -> None:
    answer = qa.ask("What is the age of onset of Marfan syndrome?")
    assert answer.intent == "inheritance_onset" and answer.answered
    assert "Onset (HP:0003674)" not in answer.text and HP + "0003674" not in iris(answer)


# ---- 5: questions the KG does not answer ------------------------------------------------------
@pytest.mark.parametrize(
    "question",
    [
        "What is the treatment for Marfan syndrome?",
        "Which diseases are associated with Marfan syndrome?",
        "Which drugs treat arachnodactyly?",
        "Who discovered FBN1?",
        "On which chromosome is FBN1?",
    ],
)
def test_a_question_outside_the_kg_is_not_answered(qa: QAService, question: str) -> None:
    answer = qa.ask(question)
    assert not answer.answered and answer.intent == "unknown" and answer.items == []
    assert answer.text.startswith("I cannot answer this") and answer.facts


def test_how_a_disease_is_inherited_gives_its_inheritance_annotations(qa: QAService) -> None:
    answer = qa.ask("How is Marfan syndrome inherited?")
    assert answer.answered and answer.intent == "inheritance_onset"
    assert "mode of inheritance: Autosomal dominant inheritance (HP:0000006)" in answer.text
    assert answer.facts[0].object == HP + "0000006"


def test_the_classifier_knows_questions_out_of_scope() -> None:
    classifier = IntentClassifier()
    d, g = placeholder(DISEASE), placeholder(GENE)
    assert classifier.predict(f"What is the treatment for {d}?").out_of_scope
    assert classifier.predict(f"On which chromosome is {g}?").out_of_scope
    assert not classifier.predict(f"Which genes are associated with {d}?").out_of_scope


# ---- 6: a name of both a disease and a phenotype, read span by span ---------------------------
def test_each_name_of_both_is_read_as_its_words_say(qa: QAService) -> None:
    question = "Is ectopia lentis a feature of the disease macroglossia?"
    assert read(qa, question) == [("HP:0001083", TERM, False), ("OMIM:153630", DISEASE, False)]
    answer = qa.ask(question)
    assert answer.answered and answer.items[0].detail["answer"] == "no"
    assert "also names" not in answer.text  # not "Is OMIM:225100 a feature of the disease ..."
    both = qa.ask("Is the phenotype macroglossia a feature of the disease macroglossia?")
    assert both.answered and both.items[0].detail["answer"] == "yes"
    assert "also names" not in both.text


def test_a_name_of_both_ruled_out_is_the_phenotype(qa: QAService) -> None:
    question = "What are the features of Marfan syndrome without ectopia lentis?"
    assert read(qa, question) == [("OMIM:154700", DISEASE, False), ("HP:0001083", TERM, True)]
    answer = qa.ask(question)
    assert answer.intent == "disease_features" and HP + "0001083" not in iris(answer)
    assert "other than Ectopia lentis (HP:0001083)" in answer.text


# ---- 7: questions in capitals -----------------------------------------------------------------
def test_words_in_capitals_are_no_gene_symbols(qa: QAService) -> None:
    assert read(qa, "WHICH DISEASES WAS LINKED TO FBN1?") == [("NCBIGene:2200", GENE, False)]
    assert iris(qa.ask("WHICH DISEASES WAS LINKED TO FBN1?")) == {MARFAN}
    assert read(qa, "WHICH DISEASES ARE LINKED TO THE GENE WAS?") == [
        ("NCBIGene:7454", GENE, False)
    ]


# ---- 8: obsolete ids --------------------------------------------------------------------------
def test_an_obsolete_id_is_named_with_its_replacement(qa: QAService) -> None:
    answer = qa.ask("What is HP:0000057?")
    assert answer.entities[0]["label"] == "obsolete Clitoromegaly"
    assert "kind of -" not in answer.text
    assert answer.text.count("replaced by Clitoral hypertrophy (HP:0008665)") == 1
    diseases = qa.ask("Which diseases have HP:0000057?")
    assert "HP:0000057 is obsolete; it is replaced by Clitoral hypertrophy" in diseases.text
    assert any("obsolete" in w for w in diseases.warnings)
    assert "considering HP:0008665" in qa.ask("What is HP:0000058?").text


# ---- 10: wording ------------------------------------------------------------------------------
def test_a_gene_without_a_symbol_is_named_by_its_id(qa: QAService) -> None:
    answer = qa.ask("Which genes are associated with seizure?")
    labels = [i.label for i in answer.items]
    assert "NCBIGene:10108" in labels and "-" not in labels
    assert "-," not in answer.text


def test_counts_of_one_are_singular(qa: QAService) -> None:
    assert (
        "1 disease is annotated with Macroglossia"
        in qa.ask("Which diseases have macroglossia?").text
    )
    text = qa.ask("What is Loeys-Dietz syndrome 1?").text
    assert "2 annotated features and 1 associated gene." in text
    assert "is linked to 1 disease:" in qa.ask("Which diseases are associated with KCNQ2?").text


def test_the_root_and_an_id_in_lower_case(qa: QAService) -> None:
    assert "kind of -" not in qa.ask("What is HP:0000001?").text
    answer = qa.ask("What is hp:0001166?")
    assert answer.answered and iris(answer) == {HP + "0001166"}


def test_inheritance_is_named_as_such(qa: QAService) -> None:
    answer = qa.ask("Is autosomal dominant inheritance a feature of Marfan syndrome?")
    # no frequency is stated for it: none is written ("(unknown)" before)
    assert "Autosomal dominant inheritance as its mode of inheritance" in answer.text
    differ = qa.ask("What distinguishes Marfan syndrome from Classic homocystinuria?")
    by_iri = {i.iri: i for i in differ.items}
    assert by_iri[HP + "0000006"].detail["aspect"] == "inheritance"
    assert "not as features: Autosomal dominant inheritance (inheritance of" in differ.text


def test_one_disease_under_two_names_is_the_same(qa: QAService) -> None:
    answer = qa.ask("What distinguishes Marfan syndrome from ORPHA:558?")
    assert answer.answered and answer.items == []
    assert "are one disease (same name): nothing distinguishes them" in answer.text


def test_a_phenotype_name_with_a_comma_is_read_whole_where_it_ends_its_phrase(
    qa: QAService,
) -> None:
    """The linker reads a name's comma as a phrase break; a question that writes the name in
    full, ending there, means that term ("... , profound seen in"), while more of a name
    after it keeps the parts apart ("..., profound hypotonia")."""
    whole = read(qa, "Is intellectual disability, profound seen in Marfan syndrome?")
    assert ("HP:0002187", TERM, False) in whole
    assert ("HP:0001249", TERM, False) not in whole
    at_end = read(qa, "Which genes are linked to Intellectual disability, profound?")
    assert [curie for curie, *_ in at_end] == ["HP:0002187"]
    apart = read(qa, "Which diseases have intellectual disability, profound hypotonia?")
    assert ("HP:0002187", TERM, False) not in apart
    assert ("HP:0001252", TERM, False) in apart


# ---- 11: a disease named by its gene, and a term's id asked for -------------------------------
def test_a_disease_named_by_its_gene_is_offered_as_the_genes_disease(qa: QAService) -> None:
    """A question that needs a disease and names a gene instead is not answered, but names
    the gene's diseases, and asks again of the one disease the gene is linked to."""
    answer = qa.ask("What are the features of ATXN1?")
    assert not answer.answered and answer.intent == "unknown"
    assert iris(answer) == {ATAXIA_SYNDROME} and answer.total == 1
    assert "'ATXN1' names the gene ATXN1 (NCBIGene:6310), not a disease" in answer.text
    assert answer.suggestions == ["What are the features of Ataxia syndrome B?"]
    # the disease the question does name keeps its place in the question asked instead
    both = qa.ask("What distinguishes Marfan syndrome from KCNQ2?")
    assert not both.answered and iris(both) == {EPILEPSY}
    assert both.suggestions == ["What distinguishes Marfan syndrome from Epilepsy syndrome A?"]


def test_a_gene_of_several_diseases_lists_them_and_suggests_none(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    root = tmp_path_factory.mktemp("two-diseases")
    genes = [*GENES, ("3785", "KCNQ2", "HP:0001251", "OMIM:300001")]
    build_extended_mini_hpo(root, TERMS, ANNOTATIONS, genes)
    answer = QAService(root / "kgs" / "hpo", home=root, audit=False).ask(
        "What are the features of KCNQ2?"
    )
    assert not answer.answered
    assert iris(answer) == {EPILEPSY, ATAXIA_SYNDROME} and answer.total == 2
    assert answer.suggestions == []
    assert "Ask again with one of these names." in answer.text


@pytest.mark.parametrize(
    ("question", "curie"),
    [
        ("What is the HPO id of seizure?", "HP:0001250"),
        ("What is the OMIM number of Ataxia syndrome B?", "OMIM:300001"),
        ("Give me the identifier for ataxia", "HP:0001251"),
        ("what's the HPO term id for ataxia?", "HP:0001251"),
        ("Gene id of ATXN1", "NCBIGene:6310"),
        ("What is the HPO term for seizures?", "HP:0001250"),
        ("What is the term for ataxia?", "HP:0001251"),
        ("What's the OMIM entry for Ataxia syndrome B?", "OMIM:300001"),
    ],
)
def test_the_id_of_what_a_question_names_is_its_definition(
    qa: QAService, question: str, curie: str
) -> None:
    answer = qa.ask(question)
    assert answer.answered and answer.intent == "definition"
    assert f"({curie})" in answer.text


def test_a_question_asking_more_than_an_id_is_no_id_question(qa: QAService) -> None:
    assert qa.ask("What is the ICD code for seizure?").intent != "definition"
    assert qa.ask("What is the class of seizure?").intent != "definition"  # its parents
    genes = qa.ask("Which genes are associated with the disease id OMIM:300001?")
    assert genes.answered and genes.intent == "genes_of_disease"
    assert iris(genes) == {ATXN1}


def test_runs_of_spaces_read_as_one_space_in_the_patterns() -> None:
    """The patterns read a question with its whitespace runs made one space (so that no
    pattern splits a long run in many ways: a question of 2,000 spaces stays linear)."""
    classifier = IntentClassifier()
    t = placeholder(TERM)
    for question in (f"What   is\n {t} ?", f"What is the  HPO\tid   of {t}?"):
        guess = classifier.predict(question)
        assert (guess.intent.value, guess.method) == ("definition", "pattern")


def test_a_described_patients_names_of_both_are_findings(qa: QAService) -> None:
    """A patient described ("Newborn with ...") is diagnosed from findings, though its names
    of both a disease and a phenotype could also be read as two diseases to compare; a
    comparison's words keep the diseases."""
    entities, guess = qa.understand("Newborn with macroglossia and ectopia lentis")
    assert guess.intent.value == "diagnose"
    assert [(e.curie, e.type) for e in entities] == [("HP:0000158", TERM), ("HP:0001083", TERM)]
    entities, guess = qa.understand(
        "What distinguishes macroglossia from ectopia lentis in a newborn?"
    )
    assert guess.intent.value == "distinguish"
    assert {e.type for e in entities} == {DISEASE}


def test_a_disease_named_by_a_gene_with_one_omim_disease_asks_again_of_it(
    qa: QAService, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A gene linked to one OMIM disease and to other sources' entries ("KAT6A syndrome":
    Arboleda-Tham syndrome and an Orphanet group) is asked of the OMIM disease; with two
    OMIM diseases the question is not guessed."""
    from kg.knowledge_graph import Named

    omim = Named(ATAXIA_SYNDROME, "Ataxia syndrome B")
    orpha = Named("https://www.orpha.net/ORDO/Orphanet_79405", "An Orphanet group")
    monkeypatch.setattr(qa.kg, "diseases_of_gene", lambda gene: [omim, orpha])
    answer = qa.ask("What are the features of ATXN1?")
    assert not answer.answered and answer.total == 2
    assert answer.suggestions == ["What are the features of Ataxia syndrome B?"]
    # a susceptibility entry beside it is not counted
    risk = Named("https://omim.org/entry/300009", "Glioma susceptibility 9")
    monkeypatch.setattr(qa.kg, "diseases_of_gene", lambda gene: [risk, omim, orpha])
    answer = qa.ask("What are the features of ATXN1?")
    assert answer.suggestions == ["What are the features of Ataxia syndrome B?"]
    other = Named("https://omim.org/entry/300000", "Epilepsy syndrome A")
    monkeypatch.setattr(qa.kg, "diseases_of_gene", lambda gene: [omim, other, orpha])
    answer = qa.ask("What are the features of ATXN1?")
    assert answer.suggestions == [] and "Ask again with one of these names." in answer.text


def test_the_genes_of_a_name_shared_by_two_records_say_whose_they_are(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Two OMIM records of one name may be other diseases with other genes (a review found
    "Polymicrogyria, bilateral perisylvian (OMIM:300388): ADGRG1", a gene of OMIM:615752):
    the answer names the records and each gene's own."""
    root = tmp_path_factory.mktemp("same_name_genes")
    name = "Polymicrogyria, bilateral"
    rows = [
        ("OMIM:300388", name, "", "HP:0001250", "", "P"),
        ("OMIM:615752", name, "", "HP:0001250", "", "P"),
    ]
    build_extended_mini_hpo(root, "", rows, [("9289", "ADGRG1", "HP:0001250", "OMIM:615752")])
    answer = QAService(root / "kgs" / "hpo", home=root, audit=False).ask(
        f"Which genes are associated with {name}?"
    )
    assert answer.answered and [i.label for i in answer.items] == ["ADGRG1"]
    assert "from the annotations of OMIM:300388 and OMIM:615752 (same name)" in answer.text
    assert "ADGRG1 (NCBIGene:9289; of OMIM:615752)" in answer.text


@pytest.mark.parametrize(
    "question", ["What is HP_0001166?", "What is HP:0001505?", "What is Orphanet:558?"]
)
def test_ids_written_in_other_forms_are_read(qa: QAService, question: str) -> None:
    """The underscore form, an alternative id (alt_id of Arachnodactyly) and Orphanet's own
    prefix (a review found each answered "not an id of the KG")."""
    answer = qa.ask(question)
    assert answer.answered and answer.intent == "definition", answer.text
    assert "Not an id of the KG" not in answer.text
    expected = "ORPHA:558" if "558" in question else "HP:0001166"
    assert [e["curie"] for e in answer.entities] == [expected]


def test_a_mode_of_inheritance_asked_about_is_no_entity_left_out(qa: QAService) -> None:
    """ "Is X inherited as autosomal dominant?" answers with that mode: the answer does not
    also say it left the mode out (a review found it did)."""
    answer = qa.ask("Is the disease macroglossia inherited as autosomal dominant inheritance?")
    assert answer.intent == "inheritance_onset" and answer.answered, answer.text
    assert HP + "0000006" in {i.iri for i in answer.items}
    assert "Not used in this answer" not in answer.text and not answer.warnings
