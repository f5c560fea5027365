"""Linking version 67, from two reviews of false readings in case reports and clinic letters:
a finding's context (a relative's finding denied, a clause hedged, a finding not ruled out in
full, a negated opinion, a syndrome's or the literature's findings, a relative named after
"in") and words that here name no finding (a chromosome's arm, a measure that "falls", a
risk). Each reading has a control that keeps the finding as it was."""

from __future__ import annotations

import pytest

from encoders.linker import ConceptLinker, LinkerConfig
from tests.test_encoders.context_fixtures import context_flags, hpo_linker, lexicon_of, readings

_TERMS = {
    "Hearing loss": [],
    "Ptosis": [],
    "Short stature": [],
    "Seizures": ["epilepsy"],
    "Scoliosis": [],
    "Hypotonia": [],
    "Ataxia": [],
    "Nystagmus": [],
    "Cleft palate": [],
    "Cardiomyopathy": [],
    "Hypertelorism": ["eyes are widely spaced"],
    "Autism": [],
    "Hepatomegaly": [],
    "Hypothyroidism": [],
    "Microcephaly": [],
    "Clinodactyly": [],
}


@pytest.fixture(scope="module")
def linker() -> ConceptLinker:
    lexicon, _ = lexicon_of(_TERMS)
    return ConceptLinker(lexicon, LinkerConfig())


def _flag(linker: ConceptLinker, text: str, finding: str) -> str:
    return context_flags(linker, text, family_negated=True)[finding]


@pytest.mark.parametrize(
    ("text", "finding"),
    [
        ("Her parents do not have hearing loss.", "hearing loss"),
        ("His mother does not have ptosis.", "ptosis"),
        ("Neither parent has short stature.", "short stature"),
        ("No family members have seizures.", "seizures"),
        ("Nobody in the family has hearing loss.", "hearing loss"),
        ("None of her three siblings has autism.", "autism"),
    ],
)
def test_a_relatives_finding_denied_is_the_relatives_and_ruled_out(
    linker: ConceptLinker, text: str, finding: str
) -> None:
    assert _flag(linker, text, finding) == "FN"


def test_control_a_relatives_finding_stated_and_the_patients_own(linker: ConceptLinker) -> None:
    assert _flag(linker, "Her parents do have hearing loss.", "hearing loss") == "F"
    # "no other family members" says the patient has it
    assert _flag(linker, "No other family members have seizures.", "seizures") != "FN"
    assert _flag(linker, "He does not have ptosis.", "ptosis") == "N"


@pytest.mark.parametrize(
    ("text", "finding"),
    [
        ("It is possible that he has scoliosis.", "scoliosis"),
        ("It is possible that the eyes are widely spaced.", "eyes are widely spaced"),
        ("It is highly likely that she has hypothyroidism.", "hypothyroidism"),
        ("There is a chance that she has a cleft palate.", "cleft palate"),
        ("It is unclear whether she has autism.", "autism"),
        ("We wonder whether he has ataxia.", "ataxia"),
        ("She may or may not have hypotonia.", "hypotonia"),
        ("If he has hypotonia, physiotherapy will help.", "hypotonia"),
        ("Should she develop seizures, please contact us.", "seizures"),
        ("In the event of seizures, rescue midazolam should be given.", "seizures"),
        ("The EEG does not exclude epilepsy.", "epilepsy"),
        ("We could not rule out seizures.", "seizures"),
        ("Hypotonia cannot be fully excluded.", "hypotonia"),
        ("Ataxia was neither confirmed nor excluded.", "ataxia"),
        ("A provisional diagnosis of autism was made.", "autism"),
        ("He is being assessed for autism.", "autism"),
        ("He is expected to develop ataxia in adolescence.", "ataxia"),
        ("Hepatomegaly was queried by the GP.", "hepatomegaly"),
        ("Scoliosis was not assessed.", "scoliosis"),
        ("A cleft palate might be present.", "cleft palate"),
        ("There was a suggestion of ptosis.", "ptosis"),
        ("Cardiomyopathy remains in the differential.", "cardiomyopathy"),
        ("It is likely that he also has hypothyroidism.", "hypothyroidism"),
        ("Perhaps he has a subtle ptosis.", "ptosis"),
        ("There is a real possibility that he has a cleft palate.", "cleft palate"),
        ("It remains to be seen whether she has autism.", "autism"),
        ("Were he to become hypotonic, we would repeat the MRI.", "hypotonic"),
        ("Ataxia was not entirely ruled out by the MRI.", "ataxia"),
        ("Working diagnosis: seizures, awaiting video EEG.", "seizures"),
        ("Scoliosis was not looked for at this appointment.", "scoliosis"),
        ("Does he have ataxia?", "ataxia"),
        ("He has ataxia, possibly due to hypothyroidism.", "hypothyroidism"),
    ],
)
def test_a_finding_hedged_or_not_ruled_out_in_full_is_uncertain(
    linker: ConceptLinker, text: str, finding: str
) -> None:
    assert _flag(linker, text, finding) == "U"


def test_control_a_question_about_a_finding_stated_and_a_condition_met(
    linker: ConceptLinker,
) -> None:
    # the hypotonia is stated; whether it is central is asked
    assert _flag(linker, "It is unclear whether his hypotonia is central.", "hypotonia") == "P"
    assert _flag(linker, "He has hypotonia, so physiotherapy will help.", "hypotonia") == "P"
    assert _flag(linker, "The EEG excluded epilepsy.", "epilepsy") == "N"
    assert _flag(linker, "The scan was equivocal for scoliosis.", "scoliosis") == "U"
    assert _flag(linker, "Why does she have seizures?", "seizures") == "P"
    assert _flag(linker, "He has ataxia, possibly due to hypothyroidism.", "ataxia") == "P"
    assert _flag(linker, "It is likely that he has autism, given his ataxia.", "ataxia") == "P"
    assert _flag(linker, "There was no apparent ptosis.", "ptosis") == "N"


@pytest.mark.parametrize(
    ("text", "finding"),
    [
        ("Hypotonia is a recognised feature of this syndrome.", "hypotonia"),
        ("Seizures are not a feature of this condition.", "seizures"),
        ("Scoliosis is frequently reported in this syndrome.", "scoliosis"),
        ("Seizures occur in about 20% of affected children.", "seizures"),
        ("Nystagmus has been described in a minority of cases.", "nystagmus"),
        ("Common features include microcephaly, hypotonia and autism.", "autism"),
        ("Cardiomyopathy is found in a minority of patients with this deletion.", "cardiomyopathy"),
        ("Affected males typically develop ataxia in the third decade.", "ataxia"),
        ("Knockout mice developed cataracts and seizures.", "seizures"),
        ("This gene has been associated with microcephaly and seizures.", "seizures"),
    ],
)
def test_a_syndromes_or_the_literatures_finding_is_not_the_patients(
    linker: ConceptLinker, text: str, finding: str
) -> None:
    assert _flag(linker, text, finding) == "U"


@pytest.mark.parametrize(
    ("text", "finding"),
    [
        ("I don't think he has ataxia.", "ataxia"),
        ("I doubt there is any hepatomegaly.", "hepatomegaly"),
        ("He was felt not to have autism.", "autism"),
        ("Ataxia was not felt to be present.", "ataxia"),
        ("A diagnosis of epilepsy was not made.", "epilepsy"),
        ("An initial concern about microcephaly was not substantiated.", "microcephaly"),
        ("Clinodactyly was not a feature.", "clinodactyly"),
        ("Scoliosis was looked for but not found.", "scoliosis"),
        ("I very much doubt that she has a cardiomyopathy.", "cardiomyopathy"),
        ("The ophthalmologist did not feel that there was any nystagmus.", "nystagmus"),
        ("I don't believe that she has had any seizures.", "seizures"),
        ("The earlier suspicion of ptosis was not borne out.", "ptosis"),
        ("Physiological clinodactyly was noted.", "clinodactyly"),
    ],
)
def test_a_finding_judged_absent_is_ruled_out(
    linker: ConceptLinker, text: str, finding: str
) -> None:
    assert _flag(linker, text, finding) == "N"


def test_control_an_opinion_that_affirms(linker: ConceptLinker) -> None:
    assert _flag(linker, "I think he has ataxia.", "ataxia") == "U"
    assert _flag(linker, "He was felt to have ataxia.", "ataxia") == "P"
    assert _flag(linker, "A diagnosis of epilepsy was made.", "epilepsy") == "P"


@pytest.mark.parametrize(
    ("text", "finding"),
    [
        ("The sister of the proband has ataxia.", "ataxia"),
        ("A brother of the index case had seizures.", "seizures"),
        ("The variant was also found in his sister, who has nystagmus.", "nystagmus"),
        ("The same variant was found in a cousin with ataxia.", "ataxia"),
        ("His father takes levothyroxine for hypothyroidism.", "hypothyroidism"),
        ("She has two brothers, one of whom has seizures.", "seizures"),
    ],
)
def test_a_relative_named_so_has_the_finding(
    linker: ConceptLinker, text: str, finding: str
) -> None:
    assert _flag(linker, text, finding) == "F"


def test_a_relatives_finding_hedged_is_the_relatives_and_uncertain(linker: ConceptLinker) -> None:
    (ptosis,) = linker.link("The father might have ptosis.")
    assert ptosis.family and ptosis.uncertain
    (stated,) = linker.link("The father has ptosis.")
    assert stated.family and not stated.uncertain


def test_control_the_patient_taken_by_a_relative_and_a_finding_found_in_one(
    linker: ConceptLinker,
) -> None:
    assert _flag(linker, "His mother took him to the GP because of seizures.", "seizures") == "P"
    assert _flag(linker, "Seizures were also reported in her brother.", "seizures") == "F"
    assert _flag(linker, "The proband has ataxia.", "ataxia") == "P"


_NAMES = {
    "Upper limb undergrowth": "HP:0009824",
    "Falls": "HP:0002527",
    "Purpura": "HP:0000979",
    "Neoplasm": "HP:0002664",
    "Ptosis": "HP:0000508",
    "Short stature": "HP:0004322",
}
_NAME_SYNONYMS = {"Short arms": "HP:0009824", "Blood spots": "HP:0000979", "Cancer": "HP:0002664"}


@pytest.fixture(scope="module")
def hpo() -> ConceptLinker:
    return hpo_linker(_NAMES, _NAME_SYNONYMS)


@pytest.mark.parametrize(
    "text",
    [
        "Karyotype showed a deletion of the short arm of chromosome 4.",
        "FISH confirmed loss of the short arm of the X chromosome.",
        "His weight falls on the 50th centile.",
        "The variant falls in the kinase domain.",
        "Blood spots were collected for newborn screening.",
        "Her lifetime cancer risk was estimated at 20%.",
        "She was referred to the cancer genetics clinic.",
        "The short stature homeobox gene SHOX was sequenced.",
        "Ptotic breasts were noted.",
    ],
)
def test_words_that_here_name_no_finding(hpo: ConceptLinker, text: str) -> None:
    assert readings(hpo, text) == []


@pytest.mark.parametrize(
    ("text", "curie"),
    [
        ("He has short arms.", "HP:0009824"),
        ("He has short arms; the karyotype was normal.", "HP:0009824"),
        ("He falls in the playground.", "HP:0002527"),
        ("Blood spots were seen on his legs.", "HP:0000979"),
        ("She was treated for cancer at 30.", "HP:0002664"),
        ("Ptotic eyelids were noted.", "HP:0000508"),
    ],
)
def test_control_the_same_words_naming_a_finding(hpo: ConceptLinker, text: str, curie: str) -> None:
    assert curie in [c for _, c, excluded in readings(hpo, text) if not excluded]


@pytest.mark.parametrize(
    ("text", "finding", "flag"),
    [
        # a third round, from a held-out set's misses: a disease's findings, questions to
        # parents, suspicions refuted or confirmed, hedges in other words
        ("Ptosis is a recognised feature of galactosaemia.", "ptosis", "U"),
        ("Autism is over-represented in this group.", "autism", "U"),
        ("Pathogenic variants typically cause seizures in infancy.", "seizures", "U"),
        (
            "Hearing loss developed in the second decade in most affected individuals.",
            "hearing loss",
            "U",
        ),
        ("Have you noticed any ataxia?", "ataxia", "U"),
        ("Have there been any seizures since the last review?", "seizures", "U"),
        ("The query of microcephaly was refuted by the measurements.", "microcephaly", "N"),
        ("Concerns about hearing loss were unfounded.", "hearing loss", "N"),
        ("A possible cleft palate was excluded on examination.", "cleft palate", "N"),
        ("Clinically suspected ptosis was confirmed on photographs.", "ptosis", "P"),
        ("There appears to be some ataxia.", "ataxia", "U"),
        ("This might reflect an underlying cardiomyopathy.", "cardiomyopathy", "U"),
        ("Nystagmus was questionable on the right.", "nystagmus", "U"),
        ("We cannot entirely exclude a subtle ptosis.", "ptosis", "U"),
        ("Scoliosis remains possible.", "scoliosis", "U"),
        ("I do not believe this is ataxia.", "ataxia", "N"),
        ("There is questionable clinodactyly.", "clinodactyly", "U"),
        ("He is expected to develop ataxia.", "ataxia", "U"),
        ("I do not think it is related to his seizures.", "seizures", "P"),
        ("His hypotonia is a feature of his syndrome.", "hypotonia", "P"),
    ],
)
def test_a_third_rounds_readings(linker: ConceptLinker, text: str, finding: str, flag: str) -> None:
    assert _flag(linker, text, finding) == flag


@pytest.mark.parametrize(
    ("text", "finding", "flag"),
    [
        # a review of version 67's first form: ordinary sentences that its phrases misread
        ("I have little doubt that she has autism.", "autism", "P"),
        ("I doubt that the hypotonia is central in origin.", "hypotonia", "P"),
        ("I do not think there is a need for imaging of his microcephaly.", "microcephaly", "P"),
        ("We do not have an explanation for his seizures.", "seizures", "P"),
        ("Her parents do not have any concerns about her seizures.", "seizures", "P"),
        ("No family members were present during the seizures.", "seizures", "P"),
        ("Ataxia was present in his father with onset at 40 years.", "ataxia", "F"),
        ("Cataracts were found in her sister, who also has ptosis.", "ptosis", "F"),
        ("His mother, given her own history of epilepsy, was anxious.", "epilepsy", "F"),
        ("His mother took a video of one of his seizures.", "seizures", "P"),
        ("Seizures have been reported in our patient since the age of 2.", "seizures", "P"),
        ("His microcephaly is a known feature of the condition.", "microcephaly", "P"),
        ("It is likely that his hypotonia contributed to the feeding problems.", "hypotonia", "P"),
        ("If she has further seizures, please let us know.", "seizures", "P"),
        ("If there is any change in her ataxia, we will repeat the MRI.", "ataxia", "P"),
        ("Further progression of his ataxia is anticipated.", "ataxia", "P"),
        ("He has two brothers, none of whom have seizures.", "seizures", "FN"),
        ("Hearing loss is common in the family.", "hearing loss", "F"),
        ("Our patient, like the knockout mice, has hearing loss.", "hearing loss", "P"),
        ("The picture is not typical of hypothyroidism.", "hypothyroidism", "N"),
        ("He was discharged without a diagnosis of autism.", "autism", "N"),
        ("An epilepsy panel for his seizures was sent.", "epilepsy", "U"),
        ("An epilepsy panel for his seizures was sent.", "seizures", "P"),
    ],
)
def test_ordinary_sentences_that_the_new_phrases_must_not_misread(
    linker: ConceptLinker, text: str, finding: str, flag: str
) -> None:
    assert _flag(linker, text, finding) == flag


@pytest.mark.parametrize(
    ("text", "curie"),
    [
        ("Mum says that falls occur several times a day.", "HP:0002527"),
        ("The microarray showed a deletion; he has short arms.", "HP:0009824"),
        ("He has a ring chromosome 20 and short arms.", "HP:0009824"),
        ("Short arms of the patient were noted.", "HP:0009824"),
        ("The boys of the group (short arms) were measured.", "HP:0009824"),
    ],
)
def test_control_the_body_named_beside_cytogenetics(
    hpo: ConceptLinker, text: str, curie: str
) -> None:
    assert curie in [c for _, c, excluded in readings(hpo, text) if not excluded]
