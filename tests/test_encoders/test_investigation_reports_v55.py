"""Linking version 55, from the investigations paragraphs of case reports (imaging, EEG,
nerve conduction and EMG, echo and ECG, audiology, ophthalmology, biopsies): a side alone
reads the finding itself (a reading measured and not kept), normal statements of an
examination and an echo report, values against limits, a test's specimen that is no
conjunct, an MR angiogram's "TOF", plurals in -neas, "DTRs", longer names said of their
subject, an investigation's organ, relatives' appositives and the reviewers' clinical
names. Each group has controls that must not change."""

from __future__ import annotations

import pytest

from encoders.clinical_names import CLINICAL_NAMES, DROPPED_NAMES
from encoders.linker import ConceptLinker, LinkerConfig
from encoders.normal_functions import read_normal_functions
from encoders.normalize import content_tokens, phrase_variants, singularize
from encoders.reference_intervals import read_unranged_values
from tests.test_encoders.context_fixtures import (
    clinical_name_links,
    context_flags,
    lexicon_of,
    mention_labels,
)

LEXICON, _ = lexicon_of(
    {
        "Facial palsy": (),
        "Unilateral facial palsy": (),
        "Ptosis": (),
        "Unilateral ptosis": (),
        "Bilateral ptosis": (),
        "Renal agenesis": (),
        "Unilateral renal agenesis": (),
        "Left ventricular hypertrophy": (),
        "Hematuria": ("Blood in urine",),
        "Abnormal blood glucose concentration": (),
        "Glycosuria": (),
        "Joint contracture of the hand": (),
        "Knee contracture": (),
        "Apnea": ("Apnoea",),
        "Abnormal cornea morphology": ("Abnormality of the cornea",),
        "Pancreatitis": (),
        "Brisk reflexes": (),
        "Areflexia": ("Absent reflexes",),
        "Tetralogy of Fallot": ("TOF",),
        "Hypertension": (),
        "Bicuspid aortic valve": (),
        "Aortic valve stenosis": (),
    }
)


@pytest.fixture(scope="module")
def linker() -> ConceptLinker:
    return ConceptLinker(LEXICON, LinkerConfig())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # measured and not kept (linking version 55): read as *Unilateral X*, a side cost
        # its disease's rank under the default prior (CHARGE syndrome 1st -> 3rd on a dev
        # vignette, a never-read case 1st -> 3rd), and curators take the finding itself
        ("She had a right-sided facial palsy.", {"facial palsy": "Facial palsy"}),
        ("He had a left ptosis.", {"ptosis": "Ptosis"}),
        ("Agenesis of the left kidney.", {"agenesis of the left kidney": "Renal agenesis"}),
        # controls: a name with its own side, both sides
        (
            "Left ventricular hypertrophy.",
            {"left ventricular hypertrophy": "Left ventricular hypertrophy"},
        ),
        ("Bilateral ptosis, left worse than right.", {"bilateral ptosis": "Bilateral ptosis"}),
    ],
)
def test_a_side_alone_reads_the_finding_itself(
    linker: ConceptLinker, text: str, expected: dict[str, str]
) -> None:
    assert mention_labels(linker, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Urinalysis showed glycosuria with normal blood glucose, and urine amino acid "
            "chromatography was normal.",
            {"glycosuria": "Glycosuria"},
        ),
        ("Normal blood glucose, and urine culture was negative.", {}),
        # control: the conjuncts share the name's words
        (
            "He had contractures of the hands and knees.",
            {
                "contractures of the hands and knees": "Knee contracture",
            },
        ),
    ],
)
def test_a_tests_specimen_is_no_conjunct(
    linker: ConceptLinker, text: str, expected: dict[str, str]
) -> None:
    assert mention_labels(linker, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("She was normotensive.", {"normotensive": "N"}),
        ("Echo: trileaflet AV.", {"trileaflet av": "N"}),
        ("Echo showed a trileaflet aortic valve.", {"trileaflet aortic valve": "N"}),
        ("A tricuspid aortic valve.", {"tricuspid aortic valve": "N"}),
        # controls: a dysplastic trileaflet valve; hypertension stated
        ("A trileaflet aortic valve was dysplastic.", {}),
        ("She had hypertension.", {"hypertension": "P"}),
    ],
)
def test_normal_statements_of_an_examination_and_an_echo(
    linker: ConceptLinker, text: str, expected: dict[str, str]
) -> None:
    assert context_flags(linker, text) == expected


def test_the_normal_statements_rule_out_their_findings() -> None:
    phrases = [f.phrase for f in read_normal_functions("Normotensive; a trileaflet aortic valve.")]
    assert phrases == ["hypertension", "bicuspid aortic valve"]


@pytest.mark.parametrize(
    ("text", "phrases"),
    [
        ("ALT was 182 U/L and GGT 640 U/L.", ["high alt", "high ggt"]),
        ("Gamma-GT was 640 U/L.", ["high ggt"]),
        ("GGT 640.", ["high ggt"]),
        ("CSF protein 1.9 g/L, WCC 0.", ["high csf protein"]),
        ("CSF protein 250 mg/dL.", ["high csf protein"]),
        # controls: within an infant's or a newborn's normal; a serum protein
        ("GGT 180 U/L.", []),
        ("CSF protein 1.2 g/L.", []),
        ("Total protein 90 g/L.", []),
    ],
)
def test_the_ggt_and_the_spinal_fluids_protein(text: str, phrases: list[str]) -> None:
    assert [v.phrase for v in read_unranged_values(text)] == phrases


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("MRA (TOF): tortuous intracranial arteries.", {}),
        ("3D TOF angiography was normal.", {}),
        # control: the heart's TOF
        ("Echo showed TOF.", {"tof": "Tetralogy of Fallot"}),
    ],
)
def test_an_mr_angiograms_tof_is_no_tetralogy(
    linker: ConceptLinker, text: str, expected: dict[str, str]
) -> None:
    assert {k: v for k, v in mention_labels(linker, text).items() if k == "tof"} == expected


@pytest.mark.parametrize(
    ("word", "singular"),
    [
        ("apneas", "apnea"),
        ("hypopneas", "hypopnea"),
        ("corneas", "cornea"),
        ("pancreas", "pancreas"),
    ],
)
def test_plurals_in_neas(word: str, singular: str) -> None:
    assert singularize(word) == singular


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Brief apnoeas.", {"apnoeas": "Apnea"}),
        ("Brisk DTRs throughout.", {"brisk dtrs": "Brisk reflexes"}),
        ("Absent DTRs.", {"absent dtrs": "Areflexia"}),
        ("DTRs were brisk.", {"dtrs were brisk": "Brisk reflexes"}),
    ],
)
def test_a_reports_plurals_and_dtrs(
    linker: ConceptLinker, text: str, expected: dict[str, str]
) -> None:
    assert mention_labels(linker, text) == expected


@pytest.mark.parametrize(
    ("curie", "name"),
    [
        ("HP:0000957", "CALMs"),
        ("HP:0001634", "MVP"),
        ("HP:0003445", "neurogenic changes"),
        ("HP:0000405", "conductive HL"),
        ("HP:0000407", "sensorineural HL"),
        ("HP:0005565", "poor corticomedullary differentiation"),
        ("HP:0000863", "central DI"),
        ("HP:0000280", "coarsening of his facial features"),
        ("HP:0010845", "diffuse background slowing"),
        ("HP:0011182", "epileptiform discharges"),
        ("HP:0007108", "demyelinating polyneuropathy"),
        ("HP:0003431", "slowed motor CVs"),
        ("HP:0100951", "deepened interpeduncular fossa"),
        ("HP:0002419", "molar tooth configuration"),
        ("HP:0032447", "subpleural blebs"),
        ("HP:0030890", "WM T2 hyperintensity"),
        ("HP:0008513", "bilateral conductive HL"),
    ],
)
def test_the_reviewers_clinical_names(curie: str, name: str) -> None:
    assert clinical_name_links(curie, name)


def test_poor_differentiation_is_reduced_not_absent() -> None:
    assert "poor corticomedullary differentiation" not in CLINICAL_NAMES.get("HP:0005564", ())


@pytest.mark.parametrize("text", ["She was calm.", "A calm child."])
def test_calm_is_no_cafe_au_lait_macule(text: str) -> None:
    assert not clinical_name_links("HP:0000957", text)


# part 2, from the round held out for part 1


PART2_LEXICON, _ = lexicon_of(
    {
        "Thickened glomerular basement membrane": (),
        "Decreased alpha-galactosidase A activity": (),
        "Reduced upper to lower segment ratio": (),
        "Myopia": ("Myopic",),
        "Retinal detachment": (),
        "Migraine": (),
        "Hearing impairment": (),
        "Ptosis": (),
        "Ocular hypertension": (),
        "Cataract": (),
        "Corneal opacity": (),
        "Thrombocytopenia": (),
        "Hypertension": (),
    }
)


@pytest.fixture(scope="module")
def linker2() -> ConceptLinker:
    return ConceptLinker(PART2_LEXICON, LinkerConfig())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "The glomerular basement membrane was irregularly thickened.",
            {
                "glomerular basement membrane was irregularly thickened": (
                    "Thickened glomerular basement membrane"
                )
            },
        ),
        (
            "Plasma alpha-galactosidase A activity was markedly reduced.",
            {
                "alpha-galactosidase a activity was markedly reduced": (
                    "Decreased alpha-galactosidase A activity"
                )
            },
        ),
        (
            "The upper-to-lower segment ratio was reduced at 0.84.",
            {"upper-to-lower segment ratio was reduced": "Reduced upper to lower segment ratio"},
        ),
        # controls: the name as written; another predicate
        (
            "Thickened glomerular basement membrane.",
            {"thickened glomerular basement membrane": "Thickened glomerular basement membrane"},
        ),
        ("The glomerular basement membrane was normal.", {}),
    ],
)
def test_a_longer_name_said_of_its_subject(
    linker2: ConceptLinker, text: str, expected: dict[str, str]
) -> None:
    assert mention_labels(linker2, text) == expected


def test_only_a_predicates_first_word_is_moved_last() -> None:
    key = content_tokens("Thickened glomerular basement membrane")
    rotated = (*key[1:], key[0])
    assert phrase_variants("Thickened glomerular basement membrane").get(rotated) == "permuted"
    # a first word that is no predicate stays first
    for name in (
        "Glomerular basement membrane lamellation",
        "Abnormal glomerular basement membrane morphology",
    ):
        key = content_tokens(name)
        assert (*key[1:], key[0]) not in phrase_variants(name)
    # longer than the rotation reaches (seven words)
    long_name = "Thickened glomerular basement membrane of the left renal cortex"
    key = content_tokens(long_name)
    assert len(key) > 6
    assert (*key[1:], key[0]) not in phrase_variants(long_name)


@pytest.mark.parametrize(
    ("text", "phrases"),
    [
        ("Refraction showed myopia of -7.50 D in both eyes.", ["high myopia"]),
        ("Cycloplegic refraction: -9.00 D right and -10.50 D left.", ["high myopia"]),
        ("Refraction was -2.25 DS.", ["myopia"]),
        ("Refraction +6.50 D.", ["high hypermetropia"]),
        ("Hypermetropia of +2.0 dioptres.", ["hypermetropia"]),
        # controls: within half a dioptre, no sign, no word of refraction, a "D" of days
        ("Refraction -0.25 D.", []),
        ("Refraction 7.50 D.", []),
        ("Axial length 26.4 mm, cylinder -7.0 D.", []),
        ("Myopia was corrected at -3 days of life.", []),
    ],
)
def test_a_refraction_in_dioptres(text: str, phrases: list[str]) -> None:
    assert [v.phrase for v in read_unranged_values(text)] == phrases


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Audiogram was within normal limits.", {"audiogram was within normal": "N"}),
        ("Intraocular pressure was normal.", {"intraocular pressure was normal": "N"}),
        ("IOP normal, no glaucoma.", {"iop normal": "N"}),
        ("Blood pressure was normal.", {"blood pressure was normal": "N"}),
        ("Platelets normal.", {"platelets normal": "N"}),
        ("Slit lamp: clear lenses.", {"clear lenses": "N"}),
        ("The lenses were clear.", {"the lenses were clear": "N"}),
        ("Corneas were clear.", {"corneas were clear": "N"}),
        ("Audiogram: within normal limits.", {"audiogram: within normal": "N"}),
        ("ABR: normal bilaterally.", {"abr: normal": "N"}),
        ("Audiogram: WNL.", {"audiogram: wnl": "N"}),
        ("Hearing: within normal limits.", {"hearing: within normal": "N"}),
        # controls: a measure limited in time, a lens operation, a raised pressure, a loss
        ("Audiogram: mild loss; otherwise normal.", {}),
        ("Intraocular pressure was normal until age 10.", {}),
        ("He had clear lens extraction.", {}),
        ("Intraocular pressure was raised.", {}),
    ],
)
def test_an_examinations_measures_and_signs_stated_normal(
    linker2: ConceptLinker, text: str, expected: dict[str, str]
) -> None:
    assert context_flags(linker2, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "His father, myopic since early childhood, had surgery for a retinal detachment.",
            {"myopic": "F", "retinal detachment": "F"},
        ),
        ("His father, myopic, had surgery.", {"myopic": "F"}),
        # controls: an appositive of age; a comparison with the patient; a clause of its own
        ("His mother, aged 42, has migraine.", {"migraine": "F"}),
        (
            "Her brother, unlike the proband, has ptosis.",
            {"ptosis": "F"},
        ),
        ("Her father is well, and she is myopic.", {"myopic": "P"}),
    ],
)
def test_an_appositive_that_describes_a_relative(
    linker2: ConceptLinker, text: str, expected: dict[str, str]
) -> None:
    assert context_flags(linker2, text) == expected


@pytest.mark.parametrize(
    ("curie", "name"),
    [
        ("HP:0001757", "high-frequency SNHL"),
        ("HP:0007787", "posterior subcapsular lens opacities"),
        ("HP:0003688", "COX-negative fibres"),
        ("HP:0032568", "mulberry cells"),
        ("HP:0012512", "diffuse disc pallor"),
        ("HP:0025075", "high QRS voltages"),
        ("HP:4000004", "late gadolinium enhancement"),
        ("HP:0003458", "short-duration, low-amplitude polyphasic MUAPs"),
        ("HP:0003541", "urinary glycosaminoglycans were markedly elevated"),
        ("HP:0001133", "concentric constriction"),
    ],
)
def test_the_part_2_clinical_names(curie: str, name: str) -> None:
    assert clinical_name_links(curie, name)


def test_a_reduced_segment_ratio_is_its_own_term() -> None:
    assert "reduced upper-lower segment ratio" in DROPPED_NAMES["HP:0001519"]


# part 3, from the round held out for parts 1 and 2


PART3_LEXICON, _ = lexicon_of(
    {
        "Rhabdomyoma": ("Rhabdomyomas",),
        "Cardiac rhabdomyoma": (),
        "Renal cyst": (),
        "Cyst": ("Cysts",),
        "Abscess": (),
        "Brain abscess": (),
        "Hamartoma": (),
        "Retinal hamartoma": (),
        "Arteriovenous malformation": (),
        "Cerebral arteriovenous malformation": (),
        "Agitation": ("Agitated",),
        "Patent foramen ovale": (),
    }
)


@pytest.fixture(scope="module")
def linker3() -> ConceptLinker:
    return ConceptLinker(PART3_LEXICON, LinkerConfig())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Echo: two echogenic masses, c/w rhabdomyomas.", {"rhabdomyomas": "Cardiac rhabdomyoma"}),
        ("Echocardiogram showed two rhabdomyomas.", {"rhabdomyomas": "Cardiac rhabdomyoma"}),
        ("Renal US: no cysts.", {"cysts": "Renal cyst"}),
        ("Fundoscopy: a hamartoma near the disc.", {"hamartoma": "Retinal hamartoma"}),
        (
            "MRI brain: 2.6 cm ring-enhancing lesion consistent with abscess.",
            {"abscess": "Brain abscess"},
        ),
        (
            "MRA: a nidus with an early draining vein (arteriovenous malformation).",
            {"arteriovenous malformation": "Cerebral arteriovenous malformation"},
        ),
        # controls: no investigation opens the sentence; another sentence's; a site named
        ("He had rhabdomyomas.", {"rhabdomyomas": "Rhabdomyoma"}),
        ("Echo was normal. He had an abscess.", {"abscess": "Abscess"}),
        ("He was 2. Echo was normal. A hamartoma.", {"hamartoma": "Hamartoma"}),
        ("MRI brain was normal; the cysts were in the liver.", {"cysts": "Cyst"}),
        # controls: an investigation of another organ by the same name
        (
            "MRA of the aorta showed an arteriovenous malformation.",
            {"arteriovenous malformation": "Arteriovenous malformation"},
        ),
        ("Abdominal echo showed an abscess.", {"abscess": "Abscess"}),
    ],
)
def test_a_finding_in_an_organs_investigation_is_the_organs(
    linker3: ConceptLinker, text: str, expected: dict[str, str]
) -> None:
    assert mention_labels(linker3, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Echo with agitated saline was normal.", {}),
        ("Bubble study with agitated saline showed a shunt.", {}),
        # control: a patient who is agitated
        ("He was agitated.", {"agitated": "P"}),
    ],
)
def test_an_echos_agitated_saline_is_no_agitation(
    linker3: ConceptLinker, text: str, expected: dict[str, str]
) -> None:
    assert context_flags(linker3, text) == expected


@pytest.mark.parametrize(
    ("text", "phrases"),
    [
        (
            "Serum lactate 5.2 mmol/L, CSF lactate 4.6 mmol/L.",
            ["high lactate", "increased csf lactate"],
        ),
        # control: within the limit
        ("CSF lactate 2.1 mmol/L.", []),
    ],
)
def test_the_spinal_fluids_lactate(text: str, phrases: list[str]) -> None:
    assert [v.phrase for v in read_unranged_values(text)] == phrases


def test_irides_are_irises() -> None:
    assert singularize("irides") == "iris"


@pytest.mark.parametrize(
    ("curie", "name"),
    [
        ("HP:0001655", "PFO"),
        ("HP:0004309", "delta waves"),
        ("HP:0004309", "pre-excitation"),
        ("HP:0011807", "type 1 fibre atrophy"),
        ("HP:0012708", "reduced NAA"),
        ("HP:0012707", "lactate doublet"),
        ("HP:0002181", "vasogenic oedema"),
        ("HP:0000471", "angiodysplasias"),
        ("HP:0007099", "Chiari I"),
        ("HP:0004969", "branch pulmonary artery stenosis"),
        ("HP:0001757", "high-frequency sensorineural hearing loss"),
        ("HP:0003458", "short-duration, low-amplitude polyphasic motor units"),
        ("HP:0000508", "drooping of the eyelids"),
    ],
)
def test_the_part_3_clinical_names(curie: str, name: str) -> None:
    assert clinical_name_links(curie, name)


# part 4, from a round held out until part 3 was scored


PART4_LEXICON, _ = lexicon_of(
    {
        "Leukopenia": ("Decreased blood leukocyte number",),
        "Decreased alpha-galactosidase A activity": (),
        "Low-set ears": (),
        "Posteriorly rotated ears": (),
        "Pallor": (),
        "Optic disc pallor": (),
    }
)


@pytest.fixture(scope="module")
def linker4() -> ConceptLinker:
    return ConceptLinker(PART4_LEXICON, LinkerConfig())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Leukocyte alpha-galactosidase A activity was markedly reduced.",
            {
                "alpha-galactosidase a activity was markedly reduced": (
                    "Decreased alpha-galactosidase A activity"
                )
            },
        ),
        # control: a modifier stacked before a head noun
        (
            "Low-set posteriorly rotated ears.",
            {
                "low-set posteriorly rotated ears": "Low-set ears",
                "posteriorly rotated ears": "Posteriorly rotated ears",
            },
        ),
    ],
)
def test_a_word_before_a_predicate_is_no_stacked_modifier(
    linker4: ConceptLinker, text: str, expected: dict[str, str]
) -> None:
    assert mention_labels(linker4, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Fundoscopy: optic discs healthy with no pallor.", ("Optic disc pallor", True)),
        # control: the skin's pallor, in a sentence no fundoscopy opens
        ("Fundoscopy was normal. She had pallor.", ("Pallor", False)),
    ],
)
def test_a_fundoscopys_pallor_is_the_optic_discs(
    linker4: ConceptLinker, text: str, expected: tuple[str, bool]
) -> None:
    assert [(m.label, m.excluded) for m in linker4.link(text)] == [expected]


@pytest.mark.parametrize(
    ("text", "phrases"),
    [
        ("HDL 0.6 mmol/L.", ["decreased hdl cholesterol"]),
        ("HDL-C 25 mg/dL.", ["decreased hdl cholesterol"]),
        ("Serum urate was 0.51 mmol/L.", ["high uric acid"]),
        # controls: an HDL within the limit, a total cholesterol beside it
        ("HDL 1.2 mmol/L.", []),
        ("HDL cholesterol 1.1 mmol/L, total cholesterol 5.0 mmol/L.", []),
    ],
)
def test_the_hdl_and_urate_in_mmol(text: str, phrases: list[str]) -> None:
    assert [v.phrase for v in read_unranged_values(text)] == phrases


@pytest.mark.parametrize(
    ("curie", "name"),
    [
        ("HP:0031141", "hyperechoic liver"),
        ("HP:0012852", "bridging fibrosis"),
        ("HP:0034254", "face of the giant panda"),
        ("HP:0012899", "difficulty relaxing his grip"),
        ("HP:0004380", "calcified aortic valve cusps"),
    ],
)
def test_the_part_4_clinical_names(curie: str, name: str) -> None:
    assert clinical_name_links(curie, name)


@pytest.mark.parametrize(
    ("text", "linked"),
    [
        ("ECG: short PR with delta waves.", True),
        ("ECG showed delta waves; EEG was normal.", True),
        # an EEG's delta waves are slow waves, no pre-excitation
        ("EEG showed intermittent delta waves over the left temporal region.", False),
        ("EEG: generalized slowing with frontal delta waves.", False),
    ],
)
def test_an_eegs_delta_waves_are_no_preexcitation(text: str, linked: bool) -> None:
    assert clinical_name_links("HP:0004309", text) is linked
