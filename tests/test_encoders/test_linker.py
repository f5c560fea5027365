"""Tests of encoders.linker, encoders.negation and the spaCy component on a toy ontology."""

from __future__ import annotations

from pathlib import Path

import pytest

from encoders.linker import (
    ConceptLinker,
    InputTooLargeError,
    LinkerConfig,
    Mention,
    link_records,
)
from kg.lexicon import Lexicon, LexiconEntry

OBO = "http://purl.obolibrary.org/obo/TEST_"


def t(n: int) -> str:
    return f"{OBO}{n:07d}"


ROOT, PHENO, NERVOUS, SEIZURE, FOCAL = t(1), t(2), t(3), t(4), t(5)
HYPOTONIA, AXIAL, APPENDICULAR = t(6), t(7), t(8)
HEART, VSD, ASD_HEART, AUTISM = t(9), t(10), t(11), t(12)
HIP, GDD, PROFOUND_GDD, MICRO, GERD = t(13), t(14), t(15), t(16), t(17)
MODIFIER, SEVERE, OLD = t(18), t(19), t(20)

_NAMES = [
    (ROOT, "All", "label", None),
    (PHENO, "Phenotypic abnormality", "label", None),
    (NERVOUS, "Abnormality of the nervous system", "label", None),
    (SEIZURE, "Seizure", "label", None),
    (SEIZURE, "Epileptic seizure", "exact", None),
    (SEIZURE, "Fits", "exact", "layperson"),
    (FOCAL, "Focal seizure", "label", None),
    (FOCAL, "Partial seizure", "exact", None),
    (HYPOTONIA, "Hypotonia", "label", None),
    (HYPOTONIA, "Low muscle tone", "exact", "layperson"),
    (AXIAL, "Axial hypotonia", "label", None),
    (APPENDICULAR, "Appendicular hypotonia", "label", None),
    (HEART, "Abnormality of the heart", "label", None),
    (HEART, "Cardiac septal defect", "related", None),
    (VSD, "Ventricular septal defect", "label", None),
    (VSD, "Cardiac septal defect", "related", None),
    (VSD, "VSD", "exact", "abbreviation"),
    (ASD_HEART, "Atrial septal defect", "label", None),
    (ASD_HEART, "ASD", "exact", "abbreviation"),
    (AUTISM, "Autism", "label", None),
    (AUTISM, "ASD", "exact", "abbreviation"),
    (HIP, "Hip dysplasia", "label", None),
    (HIP, "Dysplasia of the hip", "exact", None),
    (GDD, "Global developmental delay", "label", None),
    (GDD, "Developmental delay", "exact", None),
    (PROFOUND_GDD, "Profound global developmental delay", "label", None),
    (MICRO, "Microcephaly", "label", None),
    (MICRO, "Small head", "exact", "layperson"),
    (GERD, "Gastroesophageal reflux", "label", None),
    (GERD, "GERD", "exact", "abbreviation"),
    (MODIFIER, "Clinical modifier", "label", None),
    (SEVERE, "Severe", "label", None),
    (OLD, "obsolete Convulsions", "label", None),
    (OLD, "Convulsions", "exact", None),
]
PARENTS: dict[str, list[str]] = {
    PHENO: [ROOT],
    NERVOUS: [PHENO],
    SEIZURE: [NERVOUS],
    FOCAL: [SEIZURE],
    HYPOTONIA: [NERVOUS],
    AXIAL: [HYPOTONIA],
    APPENDICULAR: [HYPOTONIA],
    HEART: [PHENO],
    VSD: [HEART],
    ASD_HEART: [HEART],
    AUTISM: [NERVOUS],
    HIP: [PHENO],
    GDD: [NERVOUS],
    PROFOUND_GDD: [GDD],
    MICRO: [PHENO],
    GERD: [PHENO],
    MODIFIER: [ROOT],
    SEVERE: [MODIFIER],
}


def make_lexicon() -> Lexicon:
    entries = [LexiconEntry(iri, text, kind, st, "owl:Class") for iri, text, kind, st in _NAMES]
    return Lexicon(entries, frozenset({OLD}))


@pytest.fixture(scope="module")
def linker() -> ConceptLinker:
    return ConceptLinker(
        make_lexicon(), LinkerConfig(allowed_roots=(PHENO,), min_depth=1), parents=PARENTS
    )


def found(linker: ConceptLinker, text: str) -> list[tuple[str, str]]:
    return [(m.text, m.iri) for m in linker.link(text)]


def test_linker_normalisation_case_plural_layperson(linker: ConceptLinker) -> None:
    text = "She has SEIZURES, low muscle tones and a small head."
    assert found(linker, text) == [
        ("SEIZURES", SEIZURE),
        ("low muscle tones", HYPOTONIA),
        ("small head", MICRO),
    ]


def test_linker_hyphen_and_word_order(linker: ConceptLinker) -> None:
    assert [iri for _, iri in found(linker, "hip-dysplasia")] == [HIP]
    assert [iri for _, iri in found(linker, "dysplasias of the hips")] == [HIP]
    assert [iri for _, iri in found(linker, "seizure, epileptic")] == [SEIZURE]


def test_linker_mention_offsets(linker: ConceptLinker) -> None:
    text = "Brother well. Focal seizures began."
    (m,) = linker.link(text)
    assert text[m.start : m.end] == m.text == "Focal seizures"
    assert m.curie == "TEST:0000005"
    assert m.label == "Focal seizure"


def test_linker_longest_match_wins(linker: ConceptLinker) -> None:
    assert found(linker, "focal seizures") == [("focal seizures", FOCAL)]
    assert found(linker, "profound global developmental delay") == [
        ("profound global developmental delay", PROFOUND_GDD)
    ]


def test_linker_keeps_most_specific_term(linker: ConceptLinker) -> None:
    assert found(linker, "a cardiac septal defect") == [("cardiac septal defect", VSD)]


def test_linker_most_specific_through_ancestors_callable() -> None:
    def ancestors(iri: str) -> set[str]:
        out, stack = set(), list(PARENTS.get(iri, ()))
        while stack:
            p = stack.pop()
            out.add(p)
            stack.extend(PARENTS.get(p, ()))
        return out

    plain = ConceptLinker(make_lexicon(), ancestors=ancestors)
    assert [iri for _, iri in found(plain, "cardiac septal defect")] == [VSD]


def test_linker_composes_parent_synonyms(linker: ConceptLinker) -> None:
    assert found(linker, "profound developmental delay") == [
        ("profound developmental delay", PROFOUND_GDD)
    ]


def test_linker_coordinated_modifiers(linker: ConceptLinker) -> None:
    iris = {iri for _, iri in found(linker, "axial and appendicular hypotonia")}
    assert iris == {AXIAL, APPENDICULAR}


def test_linker_filters_general_and_obsolete_terms(linker: ConceptLinker) -> None:
    assert found(linker, "severe convulsions") == []
    assert found(linker, "phenotypic abnormality") == []  # too general (depth 0)
    unfiltered = ConceptLinker(make_lexicon())
    assert [iri for _, iri in found(unfiltered, "severe convulsions")] == [SEVERE]


def test_linker_acronyms_case_sensitive_and_ambiguous(linker: ConceptLinker) -> None:
    assert found(linker, "He has GERD.") == [("GERD", GERD)]
    assert found(linker, "He has gerd.") == []
    assert found(linker, "VSDs were seen") == [("VSDs", VSD)]
    assert found(linker, "He has ASD.") == []  # two terms: not linked


def test_linker_acronym_defined_in_text(linker: ConceptLinker) -> None:
    text = "An atrial septal defect (ASD) was found. The ASD was closed."
    mentions = linker.link(text)
    assert [(m.text, m.iri) for m in mentions] == [
        ("atrial septal defect", ASD_HEART),
        ("ASD", ASD_HEART),  # the definition itself
        ("ASD", ASD_HEART),
    ]
    assert mentions[2].start == text.rindex("ASD")
    assert mentions[2].source == "defined"


def test_negation_scope(linker: ConceptLinker) -> None:
    def flags(text: str) -> dict[str, bool]:
        return {m.text.lower(): m.excluded for m in linker.link(text)}

    assert flags("No seizures.") == {"seizures": True}
    assert flags("There is no evidence of seizures, microcephaly or hypotonia.") == {
        "seizures": True,
        "microcephaly": True,
        "hypotonia": True,
    }
    assert flags("No seizures but hypotonia.") == {"seizures": True, "hypotonia": False}
    assert flags("No seizures. Hypotonia.") == {"seizures": True, "hypotonia": False}
    assert flags("Seizures were ruled out.") == {"seizures": True}
    assert flags("Microcephaly, and the hypotonia was normal.") == {
        "microcephaly": False,
        "hypotonia": True,
    }
    assert flags("Not only seizures.") == {"seizures": False}  # pseudo-trigger
    # "not ... until" is a delay: what follows it is not ruled out
    assert flags("She did not crawl until 10 months and had hypotonia.") == {"hypotonia": False}
    assert flags("No seizures until the age of 5.") == {"seizures": True}


def test_negation_of_a_list_before_or_after_its_trigger(linker: ConceptLinker) -> None:
    def flags(text: str) -> dict[str, bool]:
        return {m.text.lower(): m.excluded for m in linker.link(text)}

    # phenopacket2prompt's form: the whole list is ruled out, not only its last item
    assert flags(
        "The proband presented with microcephaly and hypotonia. However, seizures, "
        "gastroesophageal reflux, autism, and hip dysplasia were excluded."
    ) == {
        "microcephaly": False,
        "hypotonia": False,
        "seizures": True,
        "gastroesophageal reflux": True,
        "autism": True,
        "hip dysplasia": True,
    }
    assert flags("Seizures, autism and hip dysplasia were not observed.") == {
        "seizures": True,
        "autism": True,
        "hip dysplasia": True,
    }
    # an item may carry words that are no name of its own
    assert flags("However, seizures, hypotonia, severe, and autism were excluded.") == {
        "seizures": True,
        "hypotonia": True,
        "autism": True,
    }
    assert flags("The following were excluded: seizures, autism and hip dysplasia.") == {
        "seizures": True,
        "autism": True,
        "hip dysplasia": True,
    }
    # two items are no list, and a list that is a verb's object is what the patient has
    assert flags("He had microcephaly, and seizures were absent.") == {
        "microcephaly": False,
        "seizures": True,
    }
    assert flags("She had microcephaly, hypotonia, autism, and seizures were absent.") == {
        "microcephaly": False,
        "hypotonia": False,
        "autism": False,
        "seizures": True,
    }
    assert flags("Microcephaly was present, but seizures, autism, and GERD were absent.") == {
        "microcephaly": False,
        "seizures": True,
        "autism": True,
        "gerd": True,
    }


def test_uncertainty(linker: ConceptLinker) -> None:
    (m,) = linker.link("Possible seizures.")
    assert m.uncertain and not m.excluded
    (m,) = linker.link("Seizures cannot be excluded.")
    assert m.uncertain


def test_family_history(linker: ConceptLinker) -> None:
    def fam(text: str) -> dict[str, bool]:
        return {m.text.lower(): m.family for m in linker.link(text)}

    assert fam("Her mother has seizures.") == {"seizures": True}
    assert fam("His brother also had microcephaly, and he has hypotonia.") == {
        "microcephaly": True,
        "hypotonia": False,
    }
    assert fam("There is a family history of seizures.") == {"seizures": True}
    assert fam("Her parents report that she has seizures.") == {"seizures": False}
    assert fam("Born to a healthy mother, she had seizures.") == {"seizures": False}
    assert fam("Seizures were first noted by his parents.") == {"seizures": False}


def test_link_records_contract_and_family_filter(linker: ConceptLinker) -> None:
    records = [{"id": "a", "text": "No seizures. Her mother has microcephaly. Hypotonia."}]
    (out,) = link_records(records, linker)
    assert out["id"] == "a" and "error" not in out
    assert [m["text"] for m in out["mentions"]] == ["seizures", "Hypotonia"]
    assert set(out["mentions"][0]) == {
        "start",
        "end",
        "text",
        "curie",
        "iri",
        "label",
        "excluded",
        "score",
        "uncertain",
        "family",
    }
    assert out["mentions"][0]["excluded"] is True
    keep = ConceptLinker(make_lexicon(), LinkerConfig(include_family=True), parents=PARENTS)
    (out,) = link_records(records, keep)
    assert len(out["mentions"]) == 3


def test_link_records_bad_input_never_stops_the_stream() -> None:
    small = ConceptLinker(make_lexicon(), LinkerConfig(max_chars=100))
    records = [
        {"id": 1, "text": ""},
        {"id": 2, "text": "seizure " * 20},
        {"id": 3, "text": b"\xff\xfeseizure"},
        "not a record",
        {"text": "seizures"},
        {"id": 4, "text": "bad \udcff surrogate"},
        {"id": 5, "text": 42},
        {"id": 6, "text": b"seizures"},
        {"id": 7, "text": "seizures"},
        {"id": 8, "present_hpo": ["HP:0001250"]},  # a record for kgfuse diagnose
        {"id": 9},
    ]
    out = list(link_records(records, small))
    assert [o["id"] for o in out] == [1, 2, 3, None, None, 4, 5, 6, 7, 8, 9]
    assert out[9]["error"] == (
        "the record has no 'text' to link (its present_hpo/excluded_hpo are read by "
        "kgfuse diagnose)"
    )
    assert out[10]["error"] == "the record has no 'text' to link"
    errors = [o.get("error", "") for o in out]
    assert "empty" in errors[0]
    assert errors[1] == "text has 160 characters, more than max_chars=100"
    assert "UTF-8" in errors[2] and "UTF-8" in errors[5]
    assert "object" in errors[3] and "'id'" in errors[4] and "string" in errors[6]
    assert errors[7] == errors[8] == ""
    assert out[8]["mentions"][0]["curie"] == "TEST:0000004"


def test_link_raises_on_huge_text() -> None:
    small = ConceptLinker(make_lexicon(), LinkerConfig(max_chars=10))
    with pytest.raises(InputTooLargeError):
        small.link("seizure " * 5)


def test_link_records_in_two_processes_matches_one(linker: ConceptLinker) -> None:
    records = [{"id": i, "text": f"{i} focal seizures and no hypotonia"} for i in range(20)]
    assert list(link_records(records, linker, n_process=2, chunksize=3)) == list(
        link_records(records, linker)
    )


def test_linker_config_validation() -> None:
    with pytest.raises(ValueError, match="kinds"):
        LinkerConfig(kinds=("label", "synonym"))
    with pytest.raises(ValueError, match="parents"):
        ConceptLinker(make_lexicon(), LinkerConfig(allowed_roots=(PHENO,)))
    # a root the ontology lacks (a typo) would leave nothing to link: refused by name
    with pytest.raises(ValueError, match="allowed_roots: TEST:9999999 is no concept of the"):
        ConceptLinker(
            make_lexicon(), LinkerConfig(allowed_roots=(PHENO, "TEST:9999999")), parents=PARENTS
        )
    # the ontology's top class, named or not, is one (it is only a parent of others)
    top = ConceptLinker(make_lexicon(), LinkerConfig(allowed_roots=(ROOT,)), parents=PARENTS)
    assert [m.iri for m in top.link("focal seizures")] == [FOCAL]


def test_mention_to_record_rounds_score() -> None:
    m = Mention(0, 4, "fits", SEIZURE, "TEST:0000004", "Seizure", score=0.123456)
    assert m.to_record()["score"] == 0.1235
    assert m.as_dict()["source"] == "dictionary"


def test_link_phrase(linker: ConceptLinker) -> None:
    assert linker.link_phrase("Epileptic seizures") == SEIZURE
    assert linker.link_phrase("unknown thing") is None


def test_spacy_component_spans_and_round_trip(tmp_path: Path) -> None:
    import spacy

    import encoders.spacy_component  # noqa: F401  (registers the factory)

    nlp = spacy.blank("en")
    pipe = nlp.add_pipe("kgfuse_linker", config={"config": {"allowed_roots": [PHENO]}})
    pipe.initialize(lexicon=make_lexicon(), parents=PARENTS)
    doc = nlp("No focal seizures. Her mother has self-hypotonia.")
    spans = list(doc.spans["kgfuse"])
    assert [s.label_ for s in spans] == ["TEST:0000005", "TEST:0000006"]
    assert spans[0]._.kgfuse_excluded and not spans[0]._.kgfuse_family
    assert spans[1]._.kgfuse_family and spans[1]._.kgfuse_iri == HYPOTONIA
    nlp.to_disk(tmp_path / "nlp")
    again = spacy.load(tmp_path / "nlp")
    doc2 = again("No focal seizures. Her mother has self-hypotonia.")
    assert [s.label_ for s in doc2.spans["kgfuse"]] == [s.label_ for s in spans]


def test_spacy_component_without_linker_fails_clearly() -> None:
    import spacy

    from encoders.spacy_component import LinkerNotInitializedError

    nlp = spacy.blank("en")
    nlp.add_pipe("kgfuse_linker")
    with pytest.raises(LinkerNotInitializedError, match="set_linker"):
        nlp("seizures")
    with pytest.raises(ValueError, match="unknown linker settings"):
        spacy.blank("en").add_pipe("kgfuse_linker", config={"config": {"colour": 1}})


# A second toy ontology for the clinical phrasings of names (predicates, alternations,
# templated names, gaps); flat, so every term is linkable.
SPEECH, MASS, BRAIN, WALK, ACID, BRISK, LAX, DYSTONIA = (t(n) for n in range(31, 39))
CREATININE, JUMP, FOREHEAD, DYS_FOREHEAD, FACIAL, SKIN_RASH, ERUPTION, SPEAK = (
    t(n) for n in range(39, 47)
)
CK, HYPOCALCEMIA, URINE_CREATINE, MGA, SORTING, VOMITING = (t(n) for n in range(47, 53))
HYPERORALITY, MYOCLONUS, MOTOR_DELAY, DOWNTURNED, PNEUMOTHORAX, HYPOREFLEXIA = (
    t(n) for n in range(53, 59)
)
UNSTEADY, SHOULDER, TALL, SHORT = t(59), t(60), t(61), t(62)
ID, ID_SEVERE, HYPOTONIA_SEVERE, MICROCEPHALY = t(63), t(64), t(65), t(66)
HEARING, ATTENTION = t(67), t(68)
OBESITY, SPASTICITY, HYPERACTIVITY, UPPER_SPASTICITY = t(69), t(70), t(71), t(72)
_CLINICAL_NAMES = [
    (SPEECH, "Delayed speech", "label"),
    (MASS, "Decreased muscle mass", "label"),
    (BRAIN, "Abnormal brain morphology", "label"),
    (WALK, "Inability to walk", "label"),
    (ACID, "Acidic urine", "label"),
    (BRISK, "Brisk reflexes", "label"),
    (LAX, "Joint laxity", "label"),
    (DYSTONIA, "Limb dystonia", "label"),
    (CREATININE, "Increased serum creatinine", "label"),
    (JUMP, "Jumping", "label"),
    (FOREHEAD, "Prominent forehead", "label"),
    (DYS_FOREHEAD, "Dysmorphic forehead", "label"),
    (FACIAL, "Hypoplastic facial bones", "label"),
    (FACIAL, "Small facial bones", "broad"),
    (SKIN_RASH, "Skin rash", "label"),
    (SKIN_RASH, "Rash", "broad"),
    (ERUPTION, "Eruption", "label"),
    (ERUPTION, "Rash", "exact"),
    (SPEAK, "Inability to speak", "label"),
    (CK, "Elevated circulating creatine kinase concentration", "label"),
    (CK, "Increased serum CK", "exact"),
    (HYPOCALCEMIA, "Hypocalcemia", "label"),
    (HYPOCALCEMIA, "Low blood calcium levels", "exact"),
    (URINE_CREATINE, "Elevated urinary creatine level", "label"),
    (MGA, "3-Methylglutaconic aciduria", "label"),
    (SORTING, "Atypical sorting", "label"),
    (SORTING, "Ordering", "exact"),
    (VOMITING, "Vomiting", "label"),
    (HYPERORALITY, "Hyperorality", "label"),
    (HYPERORALITY, "Mouthing", "exact"),
    (MYOCLONUS, "Myoclonus", "label"),
    (MYOCLONUS, "Jerking", "broad"),
    (MOTOR_DELAY, "Motor delay", "label"),
    (DOWNTURNED, "Downturned corners of mouth", "label"),
    (PNEUMOTHORAX, "Spontaneous pneumothorax", "label"),
    (HYPOREFLEXIA, "Decreased reflexes", "label"),
    (UNSTEADY, "Unsteady gait", "label"),
    (SHOULDER, "Shoulder dislocation", "label"),
    (TALL, "Tall stature", "label"),
    (SHORT, "Short stature", "label"),
    (ID, "Intellectual disability", "label"),
    (ID_SEVERE, "Intellectual disability, severe", "label"),
    (HYPOTONIA_SEVERE, "Severe hypotonia", "label"),
    (MICROCEPHALY, "Microcephaly", "label"),
    (HEARING, "Hearing impairment", "label"),
    (ATTENTION, "Attention deficit", "exact"),
    (OBESITY, "Obesity", "label"),
    (SPASTICITY, "Spasticity", "label"),
    (HYPERACTIVITY, "Hyperactivity", "label"),
    (UPPER_SPASTICITY, "Upper limb spasticity", "label"),
    (UPPER_SPASTICITY, "Spastic upper limbs", "exact"),
]


@pytest.fixture(scope="module")
def clinical() -> ConceptLinker:
    entries = [
        LexiconEntry(iri, text, kind, None, "owl:Class") for iri, text, kind in _CLINICAL_NAMES
    ]
    return ConceptLinker(Lexicon(entries))


def test_linker_predicate_after_its_subject(clinical: ConceptLinker) -> None:
    assert found(clinical, "Her speech was severely delayed.") == [
        ("speech was severely delayed", SPEECH)
    ]
    assert [iri for _, iri in found(clinical, "Speech has always been delayed.")] == [SPEECH]
    assert [iri for _, iri in found(clinical, "His speech seems to be delayed.")] == [SPEECH]
    # a denied predicate is the finding ruled out ("not only" denies nothing)
    assert [(m.text, m.iri, m.excluded) for m in clinical.link("Her speech is not delayed.")] == [
        ("speech is not delayed", SPEECH, True)
    ]
    [never] = clinical.link("Her speech was never delayed.")
    assert never.excluded
    [only] = clinical.link("Her speech was not only delayed but absent.")
    assert (only.iri, only.excluded) == (SPEECH, False)
    # a reported predicate: "was found to be", "were noted"
    [noted] = clinical.link("Her speech was subsequently found to be delayed.")
    assert (noted.text, noted.excluded) == ("speech was subsequently found to be delayed", False)
    [denied] = clinical.link("Her speech was not found to be delayed.")
    assert (denied.iri, denied.excluded) == (SPEECH, True)
    assert found(clinical, "The serum creatinine levels were increased.") == [
        ("serum creatinine levels were increased", CREATININE)
    ]


def test_linker_lexical_alternations_and_name_patterns(clinical: ConceptLinker) -> None:
    assert found(clinical, "reduced muscle mass") == [("reduced muscle mass", MASS)]
    assert found(clinical, "brain malformations") == [("brain malformations", BRAIN)]
    assert found(clinical, "He cannot walk.") == [("cannot walk", WALK)]


def test_linker_laboratory_findings_in_words(clinical: ConceptLinker) -> None:
    assert found(clinical, "Serum creatine kinase was mildly elevated (385 IU/L).") == [
        ("Serum creatine kinase was mildly elevated", CK)
    ]
    assert found(clinical, "She had raised CK and low calcium of 2.01 mmol/L.") == [
        ("raised CK", CK),
        ("low calcium", HYPOCALCEMIA),
    ]
    assert found(clinical, "elevated levels of creatine in the urine") == [
        ("elevated levels of creatine in the urine", URINE_CREATINE)
    ]
    assert found(clinical, "increased excretion of 3-methylglutaconic acid") == [
        ("increased excretion of 3-methylglutaconic acid", MGA)
    ]
    assert [(m.iri, m.excluded) for m in clinical.link("Serum calcium was not low.")] == [
        (HYPOCALCEMIA, True)
    ]
    # the direction and the specimen are part of the finding
    assert found(clinical, "low creatine kinase") == []
    assert found(clinical, "elevated creatine") == []


def test_linker_gerund_synonym_needs_its_own_form(clinical: ConceptLinker) -> None:
    assert found(clinical, "Further tests were ordered.") == []
    assert found(clinical, "ordering of objects") == [("ordering", SORTING)]
    # nor by a singular noun of its stem; a plural noun names the events
    assert found(clinical, "He kept objects in his mouth.") == []
    assert found(clinical, "constant mouthing of objects") == [("mouthing", HYPERORALITY)]
    assert found(clinical, "He developed frequent jerks.") == [("jerks", MYOCLONUS)]
    assert found(clinical, "a sudden jerk of the arm") == []
    # a label is the finding's own name: its verb's other forms still name it
    assert found(clinical, "She vomited twice.") == [("vomited", VOMITING)]


def test_linker_plurals_compounds_and_attenuated(clinical: ConceptLinker) -> None:
    assert found(clinical, "She had minor motor delays.") == [("motor delays", MOTOR_DELAY)]
    assert found(clinical, "three spontaneous pneumothoraces") == [
        ("spontaneous pneumothoraces", PNEUMOTHORAX)
    ]
    # a direction's compound written in two words, with a space or a hyphen
    for text in ("down turned corners of the mouth", "down-turned corners of the mouth"):
        assert [iri for _, iri in found(clinical, text)] == [DOWNTURNED]
    assert [iri for _, iri in found(clinical, "Her gait was unstable.")] == [UNSTEADY]
    assert found(clinical, "shoulder luxation") == [("shoulder luxation", SHOULDER)]
    assert found(clinical, "Reflexes were attenuated.") == [
        ("Reflexes were attenuated", HYPOREFLEXIA)
    ]
    assert found(clinical, "Speech has always been delayed.") == [
        ("Speech has always been delayed", SPEECH)
    ]
    # "deficit" as "impairment", both ways
    assert found(clinical, "His parents noted a hearing deficit.") == [("hearing deficit", HEARING)]
    assert found(clinical, "attention impairment") == [("attention impairment", ATTENTION)]


def test_linker_reads_a_person_said_to_be_tall_or_short(clinical: ConceptLinker) -> None:
    # the span is what is said of the person, not the person
    assert found(clinical, "A 17-year-old boy is very tall.") == [("very tall", TALL)]
    assert found(clinical, "She has been short since infancy.") == [("short", SHORT)]
    assert found(clinical, "He was relatively short for his age.") == [("relatively short", SHORT)]
    assert found(clinical, "a short girl") == [("short girl", SHORT)]
    # set off by commas after the person
    assert found(clinical, "A 12-year-old boy, very tall, with a long face.") == [
        ("very tall", TALL)
    ]
    # "tall" as an item of its own in a list of findings; "short" there qualifies a noun
    assert found(clinical, "Very tall, long fingers.") == [("Very tall", TALL)]
    assert found(clinical, "Findings: tall, thin.") == [("tall", TALL)]
    assert found(clinical, "Short stature; tall.") == [("Short stature", SHORT), ("tall", TALL)]
    assert found(clinical, "Tall and thin.") == [("Tall", TALL)]
    assert found(clinical, "Short, thin.") == []
    assert found(clinical, "The tower was tall.") == []
    # denied: read, and excluded by the negation rules
    for text, term in (("He is not tall.", TALL), ("She was never short.", SHORT)):
        (mention,) = clinical.link(text)
        assert (mention.text, mention.iri, mention.excluded) == (text.split()[-1][:-1], term, True)
    # not the patient's height: another noun, breath, or a relative
    assert found(clinical, "He was short of breath.") == []
    assert found(clinical, "The boy, short of breath, sat down.") == []
    assert found(clinical, "The walk was short.") == []
    assert found(clinical, "His mother is tall.") == []
    assert found(clinical, "His mother, very tall, came along.") == []
    # a son, daughter, baby, teenager ... is a person too (version 20); a relative's height
    # is the family's, by the context rules
    assert found(clinical, "My daughter is very tall.") == [("very tall", TALL)]
    assert found(clinical, "A tall teenager.") == [("tall teenager", TALL)]
    assert found(clinical, "The baby was short.") == [("short", SHORT)]
    (mention,) = clinical.link("Her son is very tall.")
    assert (mention.iri, mention.family) == (TALL, True)


def test_linker_reads_a_person_said_to_have_a_quality(clinical: ConceptLinker) -> None:
    """The adjective of a one-word name of a quality ("obese": *Obesity*) said of a person
    (version 22), as "tall" is; elsewhere the adjective is left to the names."""
    assert clinical.person_adjectives["obese"] == "Obesity"
    assert clinical.person_adjectives["spastic"] == "Spasticity"
    assert clinical.person_adjectives["hyperactive"] == "Hyperactivity"
    assert found(clinical, "She is obese.") == [("obese", OBESITY)]
    assert found(clinical, "An obese boy.") == [("obese boy", OBESITY)]
    assert found(clinical, "He was very spastic and hyperactive.") == [
        ("very spastic", SPASTICITY),
        ("hyperactive", HYPERACTIVITY),
    ]
    (denied,) = clinical.link("He is not obese.")
    assert (denied.iri, denied.excluded) == (OBESITY, True)
    # not said of the patient, or said of something else: left to the names
    assert found(clinical, "His mother is obese.") == []
    assert found(clinical, "spastic movements of the upper limbs") == [
        ("spastic movements of the upper limbs", UPPER_SPASTICITY)
    ]
    assert found(clinical, "The muscles were spastic.") == []


def test_linker_reads_a_name_written_with_its_comma(clinical: ConceptLinker) -> None:
    text = "She presented with Intellectual disability, severe, and Microcephaly."
    assert found(clinical, text) == [
        ("Intellectual disability, severe", ID_SEVERE),
        ("Microcephaly", MICROCEPHALY),
    ]
    assert found(clinical, "Intellectual disability, severe.") == [
        ("Intellectual disability, severe", ID_SEVERE)
    ]
    # the word after the comma modifies the next noun: two findings
    assert found(clinical, "intellectual disability, severe hypotonia") == [
        ("intellectual disability", ID),
        ("severe hypotonia", HYPOTONIA_SEVERE),
    ]
    # a comma-listed item does not make a name: microcephaly, then intellectual disability
    assert [iri for _, iri in found(clinical, "microcephaly, intellectual disability")] == [
        MICROCEPHALY,
        ID,
    ]
    # ruled out as a whole inside a negated list
    text = "However, microcephaly, Intellectual disability, severe, and short stature were absent."
    mentions = clinical.link(text)
    assert [m.iri for m in mentions] == [MICROCEPHALY, ID_SEVERE, SHORT]
    assert all(m.excluded for m in mentions)


def test_linker_gap_needs_name_order_or_a_preposition(clinical: ConceptLinker) -> None:
    assert found(clinical, "brisk tendon reflexes") == [("brisk tendon reflexes", BRISK)]
    assert found(clinical, "laxity of the major joints") == [("laxity of the major joints", LAX)]
    assert found(clinical, "dystonic movements of the limbs") == [
        ("dystonic movements of the limbs", DYSTONIA)
    ]
    # Another word order plus an extra word is too loose: these name tests, not findings.
    assert found(clinical, "urine organic acid") == []
    assert found(clinical, "acid analysis in the urine") == []


def test_linker_word_after_modal_verb_is_not_a_finding(clinical: ConceptLinker) -> None:
    assert found(clinical, "She can jump on one leg.") == []
    assert found(clinical, "Episodes of jumping.") == [("jumping", JUMP)]


def test_linker_coordination_needs_a_conjunction(clinical: ConceptLinker) -> None:
    assert found(clinical, "facial dysmorphism, prominent forehead") == [
        ("prominent forehead", FOREHEAD)
    ]
    assert {iri for _, iri in found(clinical, "dysmorphic and prominent forehead")} == {
        FOREHEAD,
        DYS_FOREHEAD,
    }


def test_linker_broad_synonym_only_where_no_better_name(clinical: ConceptLinker) -> None:
    assert found(clinical, "small facial bones") == [("small facial bones", FACIAL)]
    assert found(clinical, "a rash") == [("rash", ERUPTION)]  # exact beats broad


def test_negation_ends_at_a_new_clause_subject(clinical: ConceptLinker) -> None:
    (m,) = clinical.link("She does not sit, and she cannot speak.")
    assert m.iri == SPEAK and not m.excluded


def test_negation_of_a_whole_list(linker: ConceptLinker) -> None:
    mentions = linker.link("Seizures, hypotonia and GERD were all normal. Microcephaly.")
    assert {m.text: m.excluded for m in mentions} == {
        "Seizures": True,
        "hypotonia": True,
        "GERD": True,
        "Microcephaly": False,
    }
    (m,) = linker.link("Microcephaly, and the EEG was normal.")
    assert not m.excluded  # without "all" a backward scope stays in its clause


def test_link_records_equal_the_mentions_of_link(linker: ConceptLinker) -> None:
    texts = [
        "No focal seizures, but hypotonia (GERD). Her mother has microcephaly.",
        "Axial and appendicular hypotonia; possible seizures.",
        "The ASD was closed after an atrial septal defect (ASD) was found.",
    ]
    records = [{"id": i, "text": text} for i, text in enumerate(texts)]
    for out, text in zip(link_records(records, linker), texts, strict=True):
        assert out["mentions"] == [m.to_record() for m in linker.link(text) if not m.family]


def test_negation_same_on_token_list_and_table(linker: ConceptLinker) -> None:
    from encoders.normalize import scan, tokenize

    text = "No seizures, hypotonia. Her brother has microcephaly; the GERD was ruled out."
    spans = [(1, 2), (3, 4), (8, 9), (11, 12)]
    rules = linker.context_rules
    results = rules.analyze(scan(text), spans)
    assert results == rules.analyze(tokenize(text), spans)
    assert [(r.negated, r.family) for r in results] == [
        (True, False),
        (True, False),
        (False, True),
        (True, False),
    ]


def test_composed_names_never_start_with_a_conjunction() -> None:
    liver, both = t(60), t(61)
    lexicon = Lexicon(
        [
            LexiconEntry(liver, "Hepatomegaly", "label", None, "owl:Class"),
            LexiconEntry(both, "Hepatosplenomegaly", "label", None, "owl:Class"),
            LexiconEntry(both, "Enlarged liver and spleen", "exact", None, "owl:Class"),
            LexiconEntry(liver, "Enlarged liver", "exact", None, "owl:Class"),
        ]
    )
    composed = ConceptLinker(lexicon, parents={both: [liver]})
    assert found(composed, "enlarged liver and spleen") == [("enlarged liver and spleen", both)]
    # Not "and spleen" + a synonym of the parent.
    assert found(composed, "and spleen hepatomegaly") == [("hepatomegaly", liver)]


def test_linker_coordinations_share_a_modifier_or_a_head() -> None:
    reflexes, ventricles, third, seizure, tonic, atrophy, cc_atrophy = (t(n) for n in range(70, 77))
    names = [
        (reflexes, "Decreased reflexes"),
        (ventricles, "Lateral ventricle dilatation"),
        (third, "Dilatation of the third ventricle"),
        (seizure, "Seizure"),
        (tonic, "Tonic seizure"),
        (atrophy, "Atrophy"),
        (cc_atrophy, "Corpus callosum atrophy"),
    ]
    lexicon = Lexicon([LexiconEntry(iri, text, "label", None, "owl:Class") for iri, text in names])
    linker = ConceptLinker(lexicon)
    # A shared modifier: "decreased" goes with each of "power, tone and reflexes".
    assert found(linker, "decreased power, tone and reflexes") == [
        ("decreased power, tone and reflexes", reflexes)
    ]
    # A shared head: "ventricles" goes with "lateral" and with "third".
    text = "dilatation of the lateral and third ventricles"
    assert sorted(found(linker, text)) == sorted([(text, ventricles), (text, third)])
    # A plural noun ends its phrase; a degree word modifies only what follows it; a first
    # conjunct that is a noun does not share the second one's name.
    assert [iri for _, iri in found(linker, "seizures and generalized tonic spasms")] == [seizure]
    assert [iri for _, iri in found(linker, "the corpus callosum and mild atrophy")] == [atrophy]
    assert found(linker, "dilatation of the aorta and third ventricle") == []


def test_linker_reads_with_as_two_findings_not_a_reordered_name() -> None:
    seizure, atonic, hypotonia = (t(n) for n in range(80, 83))
    names = [(seizure, "Seizure"), (atonic, "Hypotonic seizure"), (hypotonia, "Hypotonia")]
    lexicon = Lexicon([LexiconEntry(iri, text, "label", None, "owl:Class") for iri, text in names])
    linker = ConceptLinker(lexicon)
    # the name in its own order still matches, and other orders do without "with"
    assert found(linker, "hypotonic seizures") == [("hypotonic seizures", atonic)]
    assert found(linker, "seizure hypotonic") == [("seizure hypotonic", atonic)]
    # "X with Y" / "X without Y" join two findings: no reordered name across them
    assert found(linker, "seizures with hypotonia") == [
        ("seizures", seizure),
        ("hypotonia", hypotonia),
    ]
    assert found(linker, "seizures without hypotonia") == [
        ("seizures", seizure),
        ("hypotonia", hypotonia),
    ]
    # nor through a coordination: "seizures with [fever and] hypotonia"
    coordinated = {iri for _, iri in found(linker, "seizures with fever and hypotonia")}
    assert coordinated == {seizure, hypotonia}


def test_read_label_reads_a_name_whole_or_by_the_longest_finding_in_it(
    linker: ConceptLinker,
) -> None:
    # a dictionary name, whole
    assert linker.read_label("Epileptic seizure") == SEIZURE
    assert linker.read_label("  Low muscle tone ") == HYPOTONIA
    # a newer, more specific name: the longest finding it names ("axial hypotonia" beats
    # "hypotonia", whatever comes first)
    assert linker.read_label("Recurrent focal seizure") == FOCAL
    assert linker.read_label("Transient axial hypotonia with seizure") == AXIAL


def test_read_label_reads_nothing_from_names_of_nothing_or_not_of_the_patient(
    linker: ConceptLinker,
) -> None:
    assert linker.read_label("") is None
    assert linker.read_label("   ") is None
    assert linker.read_label("Positive Coombs test") is None
    assert linker.read_label("Severe") is None  # a modifier, outside the allowed roots
    assert linker.read_label("No seizure") is None  # negated
    assert linker.read_label("Family history of microcephaly") is None  # a relative's
    # only the first MAX_LABEL_CHARS characters are read
    from encoders.linker import MAX_LABEL_CHARS

    assert linker.read_label("x " * MAX_LABEL_CHARS + "seizure") is None


def test_a_name_with_ordinals_in_words_is_found_in_digits() -> None:
    iri = "http://example.org/toe23"
    lexicon = Lexicon(
        [
            LexiconEntry(iri, "2-3 toe syndactyly", "label", None, "owl:Class"),
            LexiconEntry(iri, "Syndactyly of second and third toes", "exact", None, "owl:Class"),
        ]
    )
    [mention] = ConceptLinker(lexicon).link("She has syndactyly of the 2nd and 3rd toes.")
    assert (mention.iri, mention.text) == (iri, "syndactyly of the 2nd and 3rd toes")


def test_a_modifier_shares_the_head_of_a_name_with_a_longer_modifier() -> None:
    low_set, protruding, rotated, microtia, hypotonia = (t(n) for n in range(80, 85))
    names = [
        (low_set, "Low-set ears"),
        (protruding, "Prominent ears"),
        (rotated, "Posteriorly rotated ears"),
        (microtia, "Small ears"),
        (hypotonia, "Hypotonia"),
    ]
    lexicon = Lexicon([LexiconEntry(iri, text, "label", None, "owl:Class") for iri, text in names])
    linker = ConceptLinker(lexicon)
    assert set(found(linker, "prominent and low-set ears")) == {
        ("prominent and low-set ears", protruding),
        ("low-set ears", low_set),
    }
    assert set(found(linker, "small and posteriorly rotated ears")) == {
        ("small and posteriorly rotated ears", microtia),
        ("posteriorly rotated ears", rotated),
    }
    # a word linked by itself is a finding of its own, not a modifier of the next one
    assert set(found(linker, "hypotonia and low-set ears")) == {
        ("hypotonia", hypotonia),
        ("low-set ears", low_set),
    }


def test_a_predicate_of_several_words_and_large_as_enlarged() -> None:
    low_set, spleen = t(90), t(91)
    lexicon = Lexicon(
        [
            LexiconEntry(low_set, "Low-set ears", "label", None, "owl:Class"),
            LexiconEntry(spleen, "Splenomegaly", "label", None, "owl:Class"),
            LexiconEntry(spleen, "Large spleen", "exact", None, "owl:Class"),
        ]
    )
    linker = ConceptLinker(lexicon)
    assert [(m.text, m.iri, m.excluded) for m in linker.link("His ears were low-set.")] == [
        ("ears were low-set", low_set, False)
    ]
    assert [(m.text, m.iri, m.excluded) for m in linker.link("ears were noted to be low-set")] == [
        ("ears were noted to be low-set", low_set, False)
    ]
    assert [(m.iri, m.excluded) for m in linker.link("The ears were not low-set.")] == [
        (low_set, True)
    ]
    # "enlarged" names what "large" does: no HPO name of Splenomegaly writes "enlarged"
    assert found(linker, "an enlarged spleen") == [("enlarged spleen", spleen)]
    assert found(linker, "the spleen was enlarged") == [("spleen was enlarged", spleen)]


def test_a_gapped_match_refines_the_name_it_holds_only_as_a_descendant() -> None:
    weakness, proximal, deformed, prominent, dominant = (t(n) for n in range(95, 100))
    names = [
        (weakness, "Muscle weakness"),
        (proximal, "Proximal muscle weakness"),
        (deformed, "Deformed ears"),
        (prominent, "Prominent ears"),
        (dominant, "Dominant weakness"),
    ]
    lexicon = Lexicon([LexiconEntry(iri, text, "label", None, "owl:Class") for iri, text in names])
    parents = {proximal: [weakness], prominent: [deformed], weakness: [], deformed: []}
    linker = ConceptLinker(lexicon, parents=parents)
    assert found(linker, "proximal dominant muscle weakness") == [
        ("proximal dominant muscle weakness", proximal)
    ]
    # the extra word belongs to the contiguous name: both words are read as written
    assert found(linker, "prominent deformed ears") == [("deformed ears", deformed)]
    # a gapped name that is no descendant of the one it holds does not replace it
    unrelated = ConceptLinker(lexicon, parents={**parents, proximal: []})
    assert found(unrelated, "proximal dominant muscle weakness") == [("muscle weakness", weakness)]


def test_a_name_leads_a_conjunct_of_several_words() -> None:
    gait, stairs, speech, motor, stature, ears = (t(n) for n in range(100, 106))
    names = [
        (gait, "Difficulty walking"),
        (stairs, "Difficulty climbing stairs"),
        (speech, "Delayed speech"),
        (motor, "Delayed motor development"),
        (stature, "Short stature"),
        (ears, "Low-set ears"),
    ]
    lexicon = Lexicon([LexiconEntry(iri, text, "label", None, "owl:Class") for iri, text in names])
    linker = ConceptLinker(lexicon)
    assert set(found(linker, "difficulty walking and climbing stairs")) == {
        ("difficulty walking", gait),
        ("difficulty walking and climbing stairs", stairs),
    }
    assert set(found(linker, "delayed speech and motor development")) == {
        ("delayed speech", speech),
        ("delayed speech and motor development", motor),
    }
    # no name made of the lead and the conjunct: each finding as written
    assert found(linker, "short stature and low-set ears") == [
        ("short stature", stature),
        ("low-set ears", ears),
    ]


def test_extremities_read_as_limbs() -> None:
    short, spastic = t(110), t(111)
    lexicon = Lexicon(
        [
            LexiconEntry(short, "Short limbs", "label", None, "owl:Class"),
            LexiconEntry(spastic, "Lower limb spasticity", "label", None, "owl:Class"),
        ]
    )
    linker = ConceptLinker(lexicon)
    assert found(linker, "short extremities on ultrasound") == [("short extremities", short)]
    assert found(linker, "lower extremity spasticity") == [("lower extremity spasticity", spastic)]


def test_a_test_result_reported_by_a_verb_is_the_test_s_name() -> None:
    myotonia, discharges, atrophy = t(120), t(121), t(122)
    lexicon = Lexicon(
        [
            LexiconEntry(myotonia, "Myotonia", "label", None, "owl:Class"),
            LexiconEntry(myotonia, "Myotonic", "exact", None, "owl:Class"),
            LexiconEntry(discharges, "EMG: myotonic discharges", "label", None, "owl:Class"),
            LexiconEntry(atrophy, "Cerebellar atrophy", "label", None, "owl:Class"),
        ]
    )
    linker = ConceptLinker(lexicon, parents={myotonia: [], discharges: [], atrophy: []})
    for text in (
        "EMG showed myotonic discharges.",
        "Electromyography revealed myotonic discharges",
    ):
        [mention] = linker.link(text)
        assert mention.iri == discharges, text
    # without a test's name the result is read as written
    assert found(linker, "The MRI showed cerebellar atrophy.") == [("cerebellar atrophy", atrophy)]
    assert found(linker, "She was myotonic.") == [("myotonic", myotonia)]


def test_no_information_on_a_finding_hedges_it() -> None:
    seizure = t(130)
    lexicon = Lexicon([LexiconEntry(seizure, "Seizure", "label", None, "owl:Class")])
    linker = ConceptLinker(lexicon, parents={seizure: []})
    for text in (
        "There was no information on seizures.",
        "No data about seizures were available.",
        "No details regarding seizures.",
    ):
        [mention] = linker.link(text)
        assert (mention.uncertain, mention.excluded) == (True, False), text
    [ruled_out] = linker.link("There was no evidence of seizures.")
    assert (ruled_out.uncertain, ruled_out.excluded) == (False, True)


def test_a_cell_s_stain_is_not_its_count() -> None:
    eosinophilia, basophilia, esophagitis = t(131), t(132), t(133)
    lexicon = Lexicon(
        [
            LexiconEntry(eosinophilia, "Eosinophilia", "label", None, "owl:Class"),
            LexiconEntry(basophilia, "Basophilia", "label", None, "owl:Class"),
            LexiconEntry(esophagitis, "Eosinophilic esophagitis", "label", None, "owl:Class"),
        ]
    )
    linker = ConceptLinker(lexicon, parents={eosinophilia: [], basophilia: [], esophagitis: []})
    assert found(linker, "Biopsy showed eosinophilic inclusions.") == []
    assert found(linker, "Basophilic stippling of red cells.") == []
    assert found(linker, "He had eosinophilia.") == [("eosinophilia", eosinophilia)]
    assert found(linker, "eosinophilic esophagitis") == [("eosinophilic esophagitis", esophagitis)]
    # nor is the cell itself (version 20): "low eosinophils" is no Eosinophilia
    assert found(linker, "Eosinophils were low.") == []
    assert found(linker, "The basophils were normal.") == []
    assert found(linker, "Basophilia was noted.") == [("Basophilia", basophilia)]


def test_deep_seated_eyes_are_deep_set() -> None:
    deep = t(134)
    lexicon = Lexicon([LexiconEntry(deep, "Deep-set eyes", "label", None, "owl:Class")])
    linker = ConceptLinker(lexicon, parents={deep: []})
    assert found(linker, "He had deep seated eyes.") == [("deep seated eyes", deep)]


def test_a_particle_ends_the_first_conjunct_of_a_shared_lead() -> None:
    standing, stairs = t(135), t(136)
    lexicon = Lexicon(
        [
            LexiconEntry(standing, "Difficulty standing", "label", None, "owl:Class"),
            LexiconEntry(stairs, "Difficulty climbing stairs", "label", None, "owl:Class"),
        ]
    )
    linker = ConceptLinker(lexicon, parents={standing: [], stairs: []})
    text = "He had difficulty standing up and climbing the stairs."
    assert {iri for _, iri in found(linker, text)} == {standing, stairs}
    # a particle not followed by the conjunction leads nothing
    assert found(linker, "He had difficulty standing up.") == [("difficulty standing", standing)]


def test_a_gap_word_that_another_name_goes_on_with() -> None:
    lesion, patches = t(137), t(138)
    lexicon = Lexicon(
        [
            LexiconEntry(lesion, "Hyperpigmented lesion", "label", None, "owl:Class"),
            LexiconEntry(patches, "Hyperpigmented skin patches", "exact", None, "owl:Class"),
        ]
    )
    linker = ConceptLinker(lexicon, parents={lesion: [], patches: []})
    assert found(linker, "She had hyperpigmented skin lesions.") == [
        ("hyperpigmented skin lesions", lesion)
    ]
    assert found(linker, "She had hyperpigmented skin patches.") == [
        ("hyperpigmented skin patches", patches)
    ]
    # a function word is never the gap
    assert found(linker, "hyperpigmented and lesions") == []


def test_a_loss_and_a_base_read_as_their_verb_and_participle() -> None:
    ambulation, regression, gait = t(139), t(140), t(141)
    lexicon = Lexicon(
        [
            LexiconEntry(ambulation, "Loss of ability to walk", "exact", None, "owl:Class"),
            LexiconEntry(
                regression, "Loss of developmental milestones", "exact", None, "owl:Class"
            ),
            LexiconEntry(gait, "Wide-based gait", "label", None, "owl:Class"),
        ]
    )
    linker = ConceptLinker(lexicon, parents={ambulation: [], regression: [], gait: []})
    for text in ("She lost the ability to walk.", "He began to lose his ability to walk."):
        assert {iri for _, iri in found(linker, text)} == {ambulation}, text
    assert found(linker, "losing developmental milestones") == [
        ("losing developmental milestones", regression)
    ]
    assert found(linker, "He walks with a wide base gait.") == [("wide base gait", gait)]


def test_abnormally_eyes_and_behaviour_traits_read_as_their_names() -> None:
    micro, autistic, aggressive, head = t(142), t(143), t(144), t(145)
    anophthalmia, ears = t(146), t(147)
    lexicon = Lexicon(
        [
            LexiconEntry(micro, "Abnormally small eyeball", "exact", "layperson", "owl:Class"),
            LexiconEntry(autistic, "Autistic behavior", "label", None, "owl:Class"),
            LexiconEntry(aggressive, "Aggressive behavior", "label", None, "owl:Class"),
            LexiconEntry(head, "Abnormally small head", "exact", "layperson", "owl:Class"),
            LexiconEntry(anophthalmia, "No eyeball", "exact", "layperson", "owl:Class"),
            LexiconEntry(ears, "Abnormally shaped ears", "exact", "layperson", "owl:Class"),
        ]
    )
    terms = (micro, autistic, aggressive, head, anophthalmia, ears)
    linker = ConceptLinker(lexicon, parents={term: [] for term in terms})
    text = "He has small eyes, a small head and autistic traits; no aggressive features."
    assert found(linker, text) == [
        ("small eyes", micro),
        ("small head", head),
        ("autistic traits", autistic),
    ]
    assert found(linker, "mild autistic features") == [("autistic features", autistic)]
    # neither an absent eyeball in "no eye contact" nor a shape in "normally shaped ears"
    assert found(linker, "He makes no eye contact; normally shaped ears.") == []


def test_a_blood_cell_count_is_written_with_the_cells() -> None:
    """(version 20) "Low platelet count" is also "low platelets" and "platelets were low";
    a count that is no count of one kind of cell is left as it is named."""
    thrombocytopenia, neutrophilia, pancytopenia = t(148), t(149), t(150)
    lexicon = Lexicon(
        [
            LexiconEntry(thrombocytopenia, "Thrombocytopenia", "label", None, "owl:Class"),
            LexiconEntry(thrombocytopenia, "Low platelet count", "exact", None, "owl:Class"),
            LexiconEntry(neutrophilia, "Neutrophilia", "label", None, "owl:Class"),
            LexiconEntry(
                neutrophilia, "Increased blood neutrophil counts", "exact", None, "owl:Class"
            ),
            LexiconEntry(pancytopenia, "Pancytopenia", "label", None, "owl:Class"),
            LexiconEntry(pancytopenia, "Low blood cell count", "exact", None, "owl:Class"),
        ]
    )
    parents: dict[str, list[str]] = {thrombocytopenia: [], neutrophilia: [], pancytopenia: []}
    linker = ConceptLinker(lexicon, parents=parents)
    assert found(linker, "He had low platelets.") == [("low platelets", thrombocytopenia)]
    assert found(linker, "Platelets were low.") == [("Platelets were low", thrombocytopenia)]
    assert found(linker, "reduced platelets") == [("reduced platelets", thrombocytopenia)]
    assert found(linker, "increased neutrophils") == [("increased neutrophils", neutrophilia)]
    # no count read from "normal" platelets; since linking version 55 they rule out a low
    # count (encoders.normal_functions), which the linker reads as excluded
    normal = linker.link("The platelets were normal.")
    assert [(m.text, m.iri, m.excluded) for m in normal] == [
        ("platelets were normal", thrombocytopenia, True)
    ]
    assert found(linker, "low cells") == []
