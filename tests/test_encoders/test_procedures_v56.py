"""Linking version 56: a treatment done only for a finding reads that finding
(:mod:`encoders.procedures`), with the source ``procedure``; a treatment not done says
nothing of it; a relative's treatment is the relative's. Each group has controls."""

from __future__ import annotations

import re

import pytest

import encoders.procedures as procedures
from encoders.clinical_names import CLINICAL_NAMES
from encoders.linker import ConceptLinker, LinkerConfig, linkable_lexicon, linker_from_kg
from encoders.normalize import content_tokens
from encoders.procedures import PROCEDURE_FINDINGS, SYNONYM_TYPE, procedure_entries
from kg.knowledge_graph import KnowledgeGraph
from kg.lexicon import Lexicon, LexiconEntry
from kg.namespaces import to_iri
from tests.test_encoders.context_fixtures import context_flags
from tests.test_encoders.test_clinical_names import _release_names, mini_hpo  # noqa: F401

#: The findings of the tests below, by label.
_FINDINGS = {
    "Cryptorchidism": "HP:0000028",
    "Hydrocephalus": "HP:0000238",
    "Hearing impairment": "HP:0000365",
    "Sensorineural hearing impairment": "HP:0000407",
    "Seizure": "HP:0001250",
    "Tube feeding": "HP:0033454",
    "Otitis media": "HP:0000388",
    "Myopia": "HP:0000545",
    "Stage 5 chronic kidney disease": "HP:0003774",
    "Bilateral sensorineural hearing impairment": "HP:0008619",
    "Hepatitis": "HP:0012115",
    "Achalasia": "HP:0002571",
    "Dysphagia": "HP:0002015",
    "Diabetes mellitus": "HP:0000819",
    "Gastroesophageal reflux": "HP:0002020",
    "Bilateral cryptorchidism": "HP:0008689",
    "Febrile seizure": "HP:0002373",
    "Hypothyroidism": "HP:0000821",
    "Aortic root aneurysm": "HP:0002616",
}
#: Child -> parents among them.
_PARENTS = {
    "HP:0008689": ["HP:0000028"],
    "HP:0008619": ["HP:0000407"],
    "HP:0000407": ["HP:0000365"],
}


@pytest.fixture(scope="module")
def linker() -> ConceptLinker:
    known = {to_iri(c) for c in _FINDINGS.values()}
    labels = [LexiconEntry(to_iri(c), label, "label") for label, c in _FINDINGS.items()]
    synonyms = [LexiconEntry(to_iri("HP:0001250"), "Seizures", "exact")]
    parents = {to_iri(c): [to_iri(p) for p in ps] for c, ps in _PARENTS.items()}
    lexicon = Lexicon([*labels, *synonyms, *procedure_entries(known)])
    return ConceptLinker(lexicon, LinkerConfig(), parents=parents)


def test_each_treatment_names_one_finding_by_a_well_formed_id() -> None:
    keys: dict[tuple[str, ...], str] = {}
    for curie, phrases in CLINICAL_NAMES.items():
        for phrase in phrases:
            keys[content_tokens(phrase)] = curie
    for curie, phrases in PROCEDURE_FINDINGS.items():
        assert re.fullmatch(r"HP:\d{7}", curie), curie
        assert phrases, curie
        for phrase in phrases:
            key = content_tokens(phrase)
            assert key, phrase
            assert keys.setdefault(key, curie) == curie, f"{phrase!r} names two terms"


def test_each_finding_is_in_the_release_and_no_treatment_is_a_name_of_it() -> None:
    release = _release_names()
    terms = set().union(*release.values())
    assert set(PROCEDURE_FINDINGS) <= terms
    named = [p for ps in PROCEDURE_FINDINGS.values() for p in ps if content_tokens(p) in release]
    assert named == []


def test_entries_only_for_the_findings_a_kg_has() -> None:
    treatments = {"HP:0000028": ("orchidopexy",), "HP:9999999": ("nothing",)}
    entries = list(procedure_entries({to_iri("HP:0000028")}, treatments))
    assert [(e.iri, e.text, e.kind, e.synonym_type) for e in entries] == [
        (to_iri("HP:0000028"), "orchidopexy", "exact", SYNONYM_TYPE)
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("He underwent orchidopexy at 18 months.", ("Cryptorchidism", "orchidopexy")),
        (
            "A ventriculoperitoneal shunt was placed at 3 months.",
            ("Hydrocephalus", "ventriculoperitoneal shunt"),
        ),
        ("He was fitted with hearing aids at 4.", ("Hearing impairment", "hearing aids")),
        ("Hearing aids were not tolerated.", ("Hearing impairment", "hearing aids")),
        (
            "She received a cochlear implant.",
            ("Sensorineural hearing impairment", "cochlear implant"),
        ),
        ("A G-tube was placed.", ("Tube feeding", "G-tube")),
        (
            "She had a renal transplant at 14.",
            ("Stage 5 chronic kidney disease", "renal transplant"),
        ),
        ("Orchidopexy was planned.", ("Cryptorchidism", "orchidopexy")),
        # controls of a treatment not done: declined, not tolerated, a reason after it
        ("Orchidopexy was declined by the parents.", ("Cryptorchidism", "orchidopexy")),
        ("Orchidopexy was not performed until age 5.", ("Cryptorchidism", "orchidopexy")),
        # a narrower term's name composed from the treatment (not done: above)
        ("Bilateral orchidopexy at 2.", ("Bilateral cryptorchidism", "bilateral orchidopexy")),
        (
            "Levothyroxine was started and surgery was not needed.",
            ("Hypothyroidism", "levothyroxine"),
        ),
        # a removal that is not the patient's own
        (
            "His mother had a thyroidectomy. He takes levothyroxine.",
            ("Hypothyroidism", "levothyroxine"),
        ),
        (
            "A thyroidectomy was not performed. He takes levothyroxine.",
            ("Hypothyroidism", "levothyroxine"),
        ),
        ("He takes levothyroxine.", ("Hypothyroidism", "levothyroxine")),
        (
            "A VP shunt was placed, but a biopsy was not performed.",
            ("Hydrocephalus", "VP shunt"),
        ),
        # in its own word order only
        (
            "Valve-sparing root replacement for an aortic root of 51 mm.",
            ("Aortic root aneurysm", "valve-sparing root replacement"),
        ),
    ],
)
def test_a_treatment_reads_its_finding(
    linker: ConceptLinker, text: str, expected: tuple[str, str]
) -> None:
    found = [(m.label, m.matched, m.source, m.excluded, m.family) for m in linker.link(text)]
    assert found == [(*expected, "procedure", False, False)]


def test_a_name_read_in_another_order_is_no_treatment(linker: ConceptLinker) -> None:
    assert linker.link("The shunt for ventriculoperitoneal drainage.") == []
    assert linker.link("The aids for hearing were lost.") == []


@pytest.mark.parametrize(
    "text",
    [
        "The VP shunt was not needed.",
        "She did not require a VP shunt.",
        "No hearing aids were needed.",
        "Neither had placement of tympanostomy tubes.",
        "Without a gastrostomy tube.",
        # said after it (not a negation of the findings: a treatment's own reading)
        "A VP shunt was therefore not performed.",
        "A cochlear implant was never needed.",
        # a replacement after the gland's removal
        "After a total thyroidectomy for a carcinoma, he takes levothyroxine.",
        "Levothyroxine since her thyroidectomy.",
        # a narrower name composed from the parent's names is no treatment's: read as one
        "Bilateral orchidopexy was not performed.",
        # given for another finding named, or not the patient's own
        "He was given prophylactic antiepileptic drugs after the craniotomy.",
        "In utero exposure to antiepileptic drugs.",
        "She was born to a mother on insulin therapy.",
    ],
)
def test_a_treatment_not_done_says_nothing(linker: ConceptLinker, text: str) -> None:
    assert linker.link(text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("His brother had a VP shunt.", {"vp shunt": "F"}),
        ("His mother wears hearing aids.", {"hearing aids": "F"}),
        ("His father underwent orchidopexy as a child.", {"orchidopexy": "F"}),
        # a relative's device, a finding named: the relative's (since version 56)
        ("His mother wears glasses for myopia.", {"myopia": "F"}),
        # controls: a named finding is still ruled out; the patient's own treatment
        ("No hydrocephalus.", {"hydrocephalus": "N"}),
        ("He wears hearing aids.", {"hearing aids": "P"}),
        (
            "Seizures persisted on antiepileptic drugs.",
            {"seizures": "P", "antiepileptic drugs": "P"},
        ),
        # a relative who uses something for the patient is no experiencer
        ("His mother uses a spoon to feed him because of his dysphagia.", {"dysphagia": "P"}),
    ],
)
def test_whose_treatment(linker: ConceptLinker, text: str, expected: dict[str, str]) -> None:
    assert context_flags(linker, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a narrower finding of the same person named: the treatment adds nothing
        (
            "Bilateral sensorineural hearing impairment; cochlear implants at 2.",
            [("Bilateral sensorineural hearing impairment", "dictionary", False)],
        ),
        (
            "Bilateral sensorineural hearing impairment; hearing aids at 2.",
            [("Bilateral sensorineural hearing impairment", "dictionary", False)],
        ),
        # controls: the same term named (kept: the treatment is its evidence too), a
        # relative's narrower finding, a narrower finding ruled out
        (
            "Sensorineural hearing impairment; cochlear implants at 2.",
            [
                ("Sensorineural hearing impairment", "dictionary", False),
                ("Sensorineural hearing impairment", "procedure", False),
            ],
        ),
        (
            "His mother has bilateral sensorineural hearing impairment. He has hearing aids.",
            [
                ("Bilateral sensorineural hearing impairment", "dictionary", True),
                ("Hearing impairment", "procedure", False),
            ],
        ),
        (
            "Possible bilateral sensorineural hearing impairment; cochlear implants at 2.",
            [
                ("Bilateral sensorineural hearing impairment", "dictionary", False),
                ("Sensorineural hearing impairment", "procedure", False),
            ],
        ),
        (
            "No bilateral sensorineural hearing impairment; hearing aids at 2.",
            [
                ("Bilateral sensorineural hearing impairment", "dictionary", False),
                ("Hearing impairment", "procedure", False),
            ],
        ),
    ],
)
def test_a_treatment_adds_nothing_to_a_narrower_finding_named(
    linker: ConceptLinker, text: str, expected: list[tuple[str, str, bool]]
) -> None:
    found = [(m.label, m.source, m.family) for m in linker.link(text)]
    assert found == expected


def test_an_hpo_kg_links_them(
    mini_hpo: KnowledgeGraph,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(procedures, "PROCEDURE_FINDINGS", {"HP:0001166": ("finger lengthening",)})
    linker = linker_from_kg(mini_hpo)
    found = [(m.label, m.source) for m in linker.link("She had finger lengthening.")]
    assert found == [("Arachnodactyly", "procedure")]
    own = [e.text for e in linkable_lexicon(mini_hpo) if e.synonym_type == SYNONYM_TYPE]
    assert own == ["finger lengthening"]


def test_a_treatments_acronym_is_not_defined_by_it(linker: ConceptLinker) -> None:
    found = [m.text for m in linker.link("A cochlear implant (CI) was placed; the CI works.")]
    assert found == ["cochlear implant"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a vaccine's disease is no finding of the patient (since linking version 56)
        ("He was vaccinated against hepatitis B before dialysis.", {}),
        ("He received hepatitis A and B vaccines.", {}),
        ("Hepatitis B vaccination as a healthcare worker.", {}),
        ("Immunised for hepatitis A.", {}),
        # controls: the disease itself, a finding after a vaccination, a clause of its own
        ("Hepatitis at 3 years.", {"hepatitis": "P"}),
        ("Febrile seizure after vaccination.", {"febrile seizure": "P"}),
        ("He had hepatitis and vaccinations were delayed.", {"hepatitis": "P"}),
        ("Febrile seizure, vaccinations up to date.", {"febrile seizure": "P"}),
    ],
)
def test_a_vaccines_disease_is_no_finding(
    linker: ConceptLinker, text: str, expected: dict[str, str]
) -> None:
    assert context_flags(linker, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # given for another finding named right after it: read as that finding only
        ("Dor fundoplication for achalasia at 40.", [("Achalasia", "dictionary")]),
        # controls: given for its own finding, named after "for"; for a broader finding
        (
            "Nissen fundoplication for gastroesophageal reflux at 2.",
            [
                ("Gastroesophageal reflux", "procedure"),
                ("Gastroesophageal reflux", "dictionary"),
            ],
        ),
        (
            "Cochlear implants for hearing impairment.",
            [
                ("Sensorineural hearing impairment", "procedure"),
                ("Hearing impairment", "dictionary"),
            ],
        ),
    ],
)
def test_a_treatment_for_another_finding(
    linker: ConceptLinker, text: str, expected: list[tuple[str, str]]
) -> None:
    assert [(m.label, m.source) for m in linker.link(text)] == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a second review's sentences: each read as here since its mends
        (
            "He had a febrile seizure and a vaccine reaction the same day.",
            {"febrile seizure": "P"},
        ),
        (
            "He has taken levothyroxine for years. Seizures began at 4.",
            {"levothyroxine": "P", "seizures": "P"},
        ),
        (
            "Nissen fundoplication for achalasia and gastroesophageal reflux.",
            {"nissen fundoplication": "P", "achalasia": "P", "gastroesophageal reflux": "P"},
        ),
        ("His mother reports that he takes levothyroxine.", {"levothyroxine": "P"}),
        ("Prophylactic antibiotics and levothyroxine were started.", {"levothyroxine": "P"}),
        ("After noise exposure he needed hearing aids.", {"hearing aids": "P"}),
        # two treatments share their "not performed"
        ("Orchidopexy and a VP shunt were not performed.", {}),
        # controls: each rule still fires where it should
        ("Levothyroxine was started and surgery was not needed.", {"levothyroxine": "P"}),
        ("Prophylactic antiepileptic drugs were given.", {}),
        ("Hepatitis B vaccination.", {}),
    ],
)
def test_a_second_reviews_sentences(
    linker: ConceptLinker, text: str, expected: dict[str, str]
) -> None:
    assert context_flags(linker, text) == expected


def test_a_composed_treatments_name_is_written_as_the_childs_words(
    linker: ConceptLinker,
) -> None:
    (m,) = linker.link("Bilateral orchidopexy at 2 years.")
    assert (m.label, m.matched, m.source) == (
        "Bilateral cryptorchidism",
        "bilateral orchidopexy",
        "procedure",
    )
    # the treatment's own order only: no reversed key takes the words after it
    assert [m.label for m in linker.link("Orchidopexy, bilateral.")] == ["Cryptorchidism"]
