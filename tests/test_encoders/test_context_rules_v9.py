"""Context rules of LINKING_VERSION 9 (encoders.negation, encoders.normalize, the linker's
records and encoders.onset_text), on a small lexicon: a relative's ruled-out finding,
hypothetical statements, negated lists and affirmed items, line breaks, "finding: status"
forms, past findings, and relatives across appositives."""

from __future__ import annotations

import pytest

from encoders.linker import LINKING_VERSION, ConceptLinker, LinkerConfig, link_records
from encoders.negation import ContextRules
from encoders.normalize import LINE_BREAK, scan, tokenize
from encoders.onset_text import read_onset
from tests.test_encoders.context_fixtures import context_flags, lexicon_of

_TERMS = {
    "Seizure": ("Seizures", "Epilepsy"),
    "Absence seizure": (),
    "Hypotonia": (),
    "Ptosis": (),
    "Scoliosis": (),
    "Ataxia": (),
    "Microcephaly": (),
    "Short stature": (),
    "Nystagmus": (),
    "Cataract": (),
    "Coloboma": (),
    "Hepatomegaly": (),
    "Splenomegaly": (),
    "Chest pain": (),
    "Palpitations": (),
    "Syncope": (),
    "Dizziness": (),
    "Dyspnea": (),
    "Hearing impairment": ("Hearing loss",),
    "Intellectual disability": (),
    "Migraine": (),
    "Feeding difficulties": ("Poor feeding",),
    "Delayed speech and language development": ("Delayed speech",),
    "Jaundice": (),
    "Absent speech": (),
    "Cardiomyopathy": (),
    "Hydrocephalus": (),
    "Hypoglycemia": (),
    "Tremor": (),
    "Chorea": (),
    "Negative chorea": (),
}
LEXICON, IRI = lexicon_of(_TERMS)


@pytest.fixture(scope="module")
def linker() -> ConceptLinker:
    return ConceptLinker(LEXICON, LinkerConfig())


def flags(linker: ConceptLinker, text: str) -> dict[str, str]:
    return context_flags(linker, text, family_negated=True)


def test_linking_version_is_9_or_later() -> None:
    """Audit records of texts linked before these rules name an earlier version."""
    assert LINKING_VERSION >= 9


# ---------------------------------------------------------------- 1. no family history


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("No family history of seizures.", {"seizures": "FN"}),
        (
            "There was no family history of seizures or intellectual disability.",
            {"seizures": "FN", "intellectual disability": "FN"},
        ),
        ("No known family history of migraine.", {"migraine": "FN"}),
        ("Family history was negative for cardiomyopathy.", {"cardiomyopathy": "FN"}),
        ("Negative family history of hearing loss.", {"hearing loss": "FN"}),
        # the patient's own findings after it stay the patient's
        (
            "No family history of scoliosis; the patient has hypotonia.",
            {"scoliosis": "FN", "hypotonia": "P"},
        ),
        (
            "There is no known family history of ataxia, and he has ptosis.",
            {"ataxia": "FN", "ptosis": "P"},
        ),
        ("She has scoliosis and no family history of it.", {"scoliosis": "P"}),
        # must not change: a family history of a finding is the family's
        ("There is a family history of seizures.", {"seizures": "F"}),
    ],
)
def test_no_family_history_is_a_relatives_ruled_out_finding(
    linker: ConceptLinker, text: str, expected: dict[str, str]
) -> None:
    assert flags(linker, text) == expected


def test_no_family_history_is_not_the_patients_finding_in_records(linker: ConceptLinker) -> None:
    (out,) = link_records([{"id": 1, "text": "No family history of seizures. Ptosis."}], linker)
    assert [m["text"] for m in out["mentions"]] == ["Ptosis"]


# ---------------------------------------------------------------- 2. hedged, hypothetical


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Possible ptosis on the left.", {"ptosis": "U"}),
        ("Cardiomyopathy cannot be excluded.", {"cardiomyopathy": "U"}),
        ("He may have mild hearing loss.", {"hearing loss": "U"}),
        # a risk
        ("She is at risk of developing scoliosis.", {"scoliosis": "U"}),
        ("Patients are at increased risk for cardiomyopathy.", {"cardiomyopathy": "U"}),
        ("There is a high risk of hearing loss.", {"hearing loss": "U"}),
        # a test or a plan
        ("Screening for hearing loss is recommended.", {"hearing loss": "U"}),
        ("An echocardiogram was performed to exclude cardiomyopathy.", {"cardiomyopathy": "U"}),
        ("MRI was done to rule out hydrocephalus.", {"hydrocephalus": "U"}),
        ("She was screened for scoliosis.", {"scoliosis": "U"}),
        ("Monitor for scoliosis.", {"scoliosis": "U"}),
        # a condition
        ("Parents were advised to seek care if seizures occur.", {"seizures": "U"}),
        ("If hypoglycemia develops, give glucose.", {"hypoglycemia": "U"}),
        ("Seizures may occur later in life.", {"seizures": "U"}),
        # generic statements about a disorder
        (
            "Patients with this syndrome typically have intellectual disability.",
            {"intellectual disability": "U"},
        ),
        (
            "This disorder is characterized by short stature and microcephaly.",
            {"short stature": "U", "microcephaly": "U"},
        ),
        ("The syndrome is associated with hearing loss.", {"hearing loss": "U"}),
        ("Affected individuals usually develop cataracts.", {"cataracts": "U"}),
        ("Individuals with this rare condition often have hypotonia.", {"hypotonia": "U"}),
        ("The disease causes progressive ataxia.", {"ataxia": "U"}),
    ],
)
def test_hedged_and_hypothetical_findings_are_uncertain(
    linker: ConceptLinker, text: str, expected: dict[str, str]
) -> None:
    assert flags(linker, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("He has seizures and hypotonia.", {"seizures": "P", "hypotonia": "P"}),
        ("She developed scoliosis at age 12.", {"scoliosis": "P"}),
        ("She was at home when the seizures occurred.", {"seizures": "P"}),
        ("Seizures occur daily.", {"seizures": "P"}),
        ("He has hypotonia. Monitor for scoliosis.", {"hypotonia": "P", "scoliosis": "U"}),
        # a case series' patients are patients, not people in general
        ("All patients had hypotonia.", {"hypotonia": "P"}),
        ("The children often had seizures.", {"seizures": "P"}),
        ("The patient had hypotonia typical of the syndrome.", {"hypotonia": "P"}),
        ("He has hypotonia and seizures may occur.", {"hypotonia": "P", "seizures": "U"}),
        # a question about a finding is no hedge of it; "evaluated for" is why he came
        ("It is unclear whether his hypotonia is central.", {"hypotonia": "P"}),
        ("It is not known if the ataxia is progressive.", {"ataxia": "P"}),
        ("A boy was evaluated for seizures and ptosis.", {"seizures": "P", "ptosis": "P"}),
        # a hedge of the diagnosis asked for, not of the findings that follow
        (
            "Possible diagnoses for a newborn with hypotonia, ptosis and ataxia?",
            {"hypotonia": "P", "ptosis": "P", "ataxia": "P"},
        ),
        (
            "What are the likely causes of seizures and hypotonia?",
            {"seizures": "P", "hypotonia": "P"},
        ),
        ("Possible syndromes: ptosis and scoliosis in a girl.", {"ptosis": "P", "scoliosis": "P"}),
        ("Possible ptosis, probable scoliosis.", {"ptosis": "U", "scoliosis": "U"}),
    ],
)
def test_statements_about_the_patient_stay_present(
    linker: ConceptLinker, text: str, expected: dict[str, str]
) -> None:
    assert flags(linker, text) == expected


def test_records_carry_uncertain_and_family(linker: ConceptLinker) -> None:
    text = "Possible ptosis. Her mother has seizures. No scoliosis."
    (out,) = link_records([{"id": 1, "text": text}], linker)
    got = {m["text"]: (m["excluded"], m["uncertain"], m["family"]) for m in out["mentions"]}
    assert got == {"ptosis": (False, True, False), "scoliosis": (True, False, False)}
    keep = ConceptLinker(LEXICON, LinkerConfig(include_family=True))
    (out,) = link_records([{"id": 1, "text": text}], keep)
    assert [m["family"] for m in out["mentions"]] == [False, True, False]
    assert out["mentions"] == [m.to_record() for m in keep.link(text)]


# ---------------------------------------------------------------- 3. negated lists


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "No microcephaly, short stature, scoliosis, or ataxia.",
            dict.fromkeys(["microcephaly", "short stature", "scoliosis", "ataxia"], "N"),
        ),
        (
            "She denied chest pain, palpitations, syncope, dizziness, or dyspnea.",
            dict.fromkeys(["chest pain", "palpitations", "syncope", "dizziness", "dyspnea"], "N"),
        ),
        (
            "There was no hypotonia, ptosis, scoliosis, hepatomegaly, splenomegaly or nystagmus.",
            dict.fromkeys(
                ["hypotonia", "ptosis", "scoliosis", "hepatomegaly", "splenomegaly", "nystagmus"],
                "N",
            ),
        ),
        (
            "Negative for seizures, ataxia, tremor, dyspnea, chorea and syncope.",
            dict.fromkeys(["seizures", "ataxia", "tremor", "dyspnea", "chorea", "syncope"], "N"),
        ),
        ("Neither seizures nor ataxia were observed.", {"seizures": "N", "ataxia": "N"}),
        # a list's own predicate rules out every item
        ("No seizures or hypotonia were observed.", {"seizures": "N", "hypotonia": "N"}),
        (
            "No seizures, hypotonia or ataxia was noted.",
            {"seizures": "N", "hypotonia": "N", "ataxia": "N"},
        ),
        ("No hepatomegaly or splenomegaly was found.", {"hepatomegaly": "N", "splenomegaly": "N"}),
    ],
)
def test_a_negated_list_runs_to_its_end(
    linker: ConceptLinker, text: str, expected: dict[str, str]
) -> None:
    assert flags(linker, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("No seizures, hypotonia present.", {"seizures": "N", "hypotonia": "P"}),
        (
            "There was no ptosis, and marked hypotonia was observed.",
            {"ptosis": "N", "hypotonia": "P"},
        ),
        (
            "Without hepatomegaly, splenomegaly was found.",
            {"hepatomegaly": "N", "splenomegaly": "P"},
        ),
        (
            "Eyes: no cataract, no coloboma, nystagmus present.",
            {"cataract": "N", "coloboma": "N", "nystagmus": "P"},
        ),
        ("No ptosis, nystagmus noted.", {"ptosis": "N", "nystagmus": "P"}),
        ("No seizures, ataxia was seen.", {"seizures": "N", "ataxia": "P"}),
        (
            "There were no seizures, and scoliosis was found on exam.",
            {"seizures": "N", "scoliosis": "P"},
        ),
        ("No scoliosis, but ataxia was noted.", {"scoliosis": "N", "ataxia": "P"}),
        ("No seizures; hypotonia was seen.", {"seizures": "N", "hypotonia": "P"}),
    ],
)
def test_a_negation_ends_at_an_affirmed_finding(
    linker: ConceptLinker, text: str, expected: dict[str, str]
) -> None:
    assert flags(linker, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("no further seizures", {"seizures": "P"}),
        ("He has absence seizures.", {"absence seizures": "P"}),
        ("absent speech", {"absent speech": "P"}),
        ("negative for hearing loss", {"hearing loss": "N"}),
        ("Negative for tremor and chorea.", {"tremor": "N", "chorea": "N"}),
        ("negative chorea", {"negative chorea": "P"}),
        ("She has no seizures.", {"seizures": "N"}),
        ("He does not have scoliosis.", {"scoliosis": "N"}),
        ("Ptosis was absent.", {"ptosis": "N"}),
        ("There was no hypotonia but marked ataxia.", {"hypotonia": "N", "ataxia": "P"}),
        ("Seizures were ruled out.", {"seizures": "N"}),
        ("No seizures until the age of 5.", {"seizures": "N"}),
    ],
)
def test_negation_forms_that_must_not_change(
    linker: ConceptLinker, text: str, expected: dict[str, str]
) -> None:
    assert flags(linker, text) == expected


# ---------------------------------------------------------------- 4. line breaks


def test_a_new_line_is_a_token_a_wrapped_line_is_not() -> None:
    table = scan("no seizures\nExamination: hypotonia")
    assert LINE_BREAK in table.raws
    assert LINE_BREAK not in scan("no seizures or\nhypotonia").raws
    assert scan("Findings\n- Seizures\n- Hypotonia").raws == [
        "Findings", "\n", "-", "Seizures", "\n", "-", "Hypotonia"
    ]  # fmt: skip
    assert scan("A blank line\n\nfollows").raws.count(LINE_BREAK) == 1


def test_hyphen_at_a_line_end_and_soft_hyphens_join_a_word() -> None:
    table = scan("marked hypo-\ntonia and hypo\u00adtonia, x-linked")
    assert table.lowers == ["marked", "hypotonia", "and", "hypotonia", ",", "x", "linked"]
    assert table.norms[1] == table.norms[3] == scan("hypotonia").norms[0]
    assert [t.raw for t in tokenize("hypo-\ntonia")] == ["hypo-\ntonia"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Past medical history: no seizures\nExamination: hypotonia, ptosis",
            {"seizures": "N", "hypotonia": "P", "ptosis": "P"},
        ),
        ("Denies seizures\nHypotonia noted on exam", {"seizures": "N", "hypotonia": "P"}),
        ("Findings\n- Seizures\n- Hypotonia", {"seizures": "P", "hypotonia": "P"}),
        ("Negatives:\n- no seizures\n- hypotonia", {"seizures": "N", "hypotonia": "P"}),
        ("Possible ptosis\nScoliosis", {"ptosis": "U", "scoliosis": "P"}),
        (
            "Family history: mother with epilepsy\nPatient: hypotonia",
            {"epilepsy": "F", "hypotonia": "P"},
        ),
        # a wrapped sentence goes on; a word hyphenated at the line end is one word
        ("She has no seizures or\nhypotonia.", {"seizures": "N", "hypotonia": "N"}),
        ("He has marked hypo-\ntonia.", {"hypotonia": "P"}),
        ("Short\nStature", {}),
        ("short\nstature", {"short stature": "P"}),
    ],
)
def test_a_new_line_ends_scopes_and_names(
    linker: ConceptLinker, text: str, expected: dict[str, str]
) -> None:
    assert flags(linker, text) == expected


def test_a_line_break_gives_the_same_context_on_tokens_and_table(linker: ConceptLinker) -> None:
    text = "No seizures\nHypotonia (+), ptosis - no\nMother: migraine"
    rules = linker.context_rules
    table = scan(text)
    spans = [
        (k, k + 1)
        for k, w in enumerate(table.lowers)
        if w in ("seizures", "hypotonia", "ptosis", "migraine")
    ]
    assert rules.analyze(table, spans) == rules.analyze(tokenize(text), spans)


# ---------------------------------------------------------------- 5. finding: status


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Seizures: none.", {"seizures": "N"}),
        ("Seizures: absent", {"seizures": "N"}),
        ("Hypotonia: no", {"hypotonia": "N"}),
        ("Scoliosis: negative.", {"scoliosis": "N"}),
        ("Nystagmus: not present.", {"nystagmus": "N"}),
        ("Ptosis - no", {"ptosis": "N"}),
        ("Seizures (-), hypotonia (+).", {"seizures": "N", "hypotonia": "P"}),
        ("Scoliosis (neg)", {"scoliosis": "N"}),
        ("Seizures: absent; ataxia: present.", {"seizures": "N", "ataxia": "P"}),
        ("Hypotonia: yes", {"hypotonia": "P"}),
        ("Seizures: yes. Ptosis: no.", {"seizures": "P", "ptosis": "N"}),
        ("Ptosis (+)", {"ptosis": "P"}),
        ("Scoliosis - yes", {"scoliosis": "P"}),
        # an affirmed status wins over a scope that runs over it
        ("No seizures, hypotonia (+)", {"seizures": "N", "hypotonia": "P"}),
        # a status is the whole item; more words make it no status
        ("Seizures: frequent, since age 2.", {"seizures": "P"}),
        ("Seizures: no response to valproate.", {"seizures": "P"}),
        ("Seizures: none since 2019", {"seizures": "P"}),
    ],
)
def test_finding_status_forms(linker: ConceptLinker, text: str, expected: dict[str, str]) -> None:
    assert flags(linker, text) == expected


# ---------------------------------------------------------------- 6. past findings


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The seizures resolved by age 5.", {"seizures": "P"}),
        ("Jaundice resolved with phototherapy.", {"jaundice": "P"}),
        ("He did not have seizures until age 12.", {"seizures": "P"}),
        ("Hypotonia was not present until 6 months.", {"hypotonia": "P"}),
        ("He never had seizures until the age of 10.", {"seizures": "P"}),
        ("No improvement in ataxia despite therapy.", {"ataxia": "P"}),
        ("There was no response to treatment of the seizures.", {"seizures": "P"}),
        ("Seizures did not respond to valproate.", {"seizures": "P"}),
        ("His scoliosis did not improve after bracing.", {"scoliosis": "P"}),
        ("No recurrence of seizures after surgery.", {"seizures": "P"}),
        ("No worsening of ataxia over two years.", {"ataxia": "P"}),
        # must not change
        ("She did not have seizures.", {"seizures": "N"}),
        ("Hypotonia was not present.", {"hypotonia": "N"}),
        ("He no longer has seizures.", {"seizures": "P"}),
        ("She did not crawl until 10 months and had hypotonia.", {"hypotonia": "P"}),
    ],
)
def test_past_and_persisting_findings_are_not_negated(
    linker: ConceptLinker, text: str, expected: dict[str, str]
) -> None:
    assert flags(linker, text) == expected


# ---------------------------------------------------------------- 7. relatives


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("His older brother, now aged 10, has epilepsy.", {"epilepsy": "F"}),
        ("His father, aged 40, has scoliosis.", {"scoliosis": "F"}),
        ("An older sister (II-2) has intellectual disability.", {"intellectual disability": "F"}),
        ("A maternal uncle (III-4) had seizures.", {"seizures": "F"}),
        ("The variant was inherited from the mother, who has mild ptosis.", {"ptosis": "F"}),
        ("His sister, who is 12, has scoliosis.", {"scoliosis": "F"}),
        ("Seizures were also reported in her brother.", {"seizures": "F"}),
        ("Ptosis was noted in the mother.", {"ptosis": "F"}),
        ("Hearing loss was present in two sisters.", {"hearing loss": "F"}),
        ("Mother: migraine.", {"migraine": "F"}),
        ("Father: hearing loss\nPatient: ptosis", {"hearing loss": "F", "ptosis": "P"}),
        ("Brother: ataxia. Sister: healthy.", {"ataxia": "F"}),
        ("Seizures were reported in the mother's family.", {"seizures": "F"}),
    ],
)
def test_a_relatives_findings(linker: ConceptLinker, text: str, expected: dict[str, str]) -> None:
    assert flags(linker, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Her mother was concerned about his poor feeding and hypotonia.",
            {"poor feeding": "P", "hypotonia": "P"},
        ),
        ("The parents were worried about delayed speech.", {"delayed speech": "P"}),
        ("The mother was very anxious about his seizures.", {"seizures": "P"}),
        ("His mother noticed his seizures at age 2.", {"seizures": "P"}),
        ("Hypotonia was noted by his parents.", {"hypotonia": "P"}),
        ("He was born to a healthy mother and has seizures.", {"seizures": "P"}),
        ("His parents report that he has seizures.", {"seizures": "P"}),
        ("He has ptosis, like his mother.", {"ptosis": "P"}),
        ("He has ataxia, as does his father.", {"ataxia": "P"}),
        ("He has seizures like those in his brother.", {"seizures": "P"}),
        ("Unlike her brother, she has seizures.", {"seizures": "P"}),
        ("Hypoglycemia was noted in the mother's pregnancy.", {"hypoglycemia": "P"}),
        # must not change
        ("Her mother has seizures.", {"seizures": "F"}),
        ("Her brother has autism. She has no hypotonia.", {"hypotonia": "N"}),
        (
            "Family history: mother with epilepsy and a maternal uncle with intellectual "
            "disability.",
            {"epilepsy": "F", "intellectual disability": "F"},
        ),
    ],
)
def test_the_patients_findings_near_a_relative(
    linker: ConceptLinker, text: str, expected: dict[str, str]
) -> None:
    assert flags(linker, text) == expected


def test_onset_of_a_relative_is_not_read() -> None:
    assert read_onset("His brother has had seizures since infancy.") is None
    assert read_onset("Her mother presented at age 30 with seizures.") is None
    assert read_onset("Family history: seizures since childhood in an uncle.") is None
    stated = read_onset("His brother has seizures. She has had hypotonia since infancy.")
    assert stated is not None and stated.text == "since infancy"
    assert read_onset("She presented at the age of 3 years with hypotonia.") is not None


def test_context_rules_on_a_token_list_read_joined_words() -> None:
    rules = ContextRules()
    tokens = tokenize("No hypo-\ntonia, ataxia present.")
    assert [r.negated for r in rules.analyze(tokens, [(1, 2), (3, 4)])] == [True, False]
