"""The diagnosis's findings from linked mentions: a relative's finding and a hedged or
hypothetical one are neither present nor excluded; the hedged ones are named in a warning
(fusion.pipeline.Diagnoser.link, kgfuse.evaluation.link_text_cases)."""

from __future__ import annotations

import pytest

from encoders.linker import ConceptLinker, LinkerConfig, Mention
from eval.diagnosis import Case
from fusion.pipeline import Diagnoser, LinkedFinding
from kg.lexicon import Lexicon, LexiconEntry

OBO = "http://purl.obolibrary.org/obo/TEST_"
SEIZURE, HYPOTONIA, PTOSIS, SCOLIOSIS = (f"{OBO}{k:07d}" for k in range(1, 5))


def make_linker() -> ConceptLinker:
    names = [(SEIZURE, "Seizure"), (HYPOTONIA, "Hypotonia"), (PTOSIS, "Ptosis")]
    names.append((SCOLIOSIS, "Scoliosis"))
    entries = [LexiconEntry(iri, name, "label", None, "owl:Class") for iri, name in names]
    return ConceptLinker(Lexicon(entries, frozenset()), LinkerConfig())


def diagnoser_with(linker: object) -> Diagnoser:
    """A diagnoser with only a linker (what :meth:`Diagnoser.link` reads)."""
    diagnoser = Diagnoser.__new__(Diagnoser)
    diagnoser.linker = linker
    return diagnoser


@pytest.mark.parametrize(
    ("text", "present", "excluded", "hedged"),
    [
        ("He has hypotonia. Possible ptosis.", [HYPOTONIA], [], ["ptosis"]),
        ("She is at risk of developing scoliosis; no seizures.", [], [SEIZURE], ["scoliosis"]),
        ("An MRI was done to rule out seizures. Hypotonia.", [HYPOTONIA], [], ["seizures"]),
        (
            "Patients with this syndrome typically have ptosis. He has scoliosis.",
            [SCOLIOSIS],
            [],
            ["ptosis"],
        ),
        ("No family history of seizures. Ptosis is present.", [PTOSIS], [], []),
        ("Her mother has seizures. He has hypotonia.", [HYPOTONIA], [], []),
    ],
)
def test_hedged_and_family_findings_are_neither_present_nor_excluded(
    text: str, present: list[str], excluded: list[str], hedged: list[str]
) -> None:
    diagnoser = diagnoser_with(make_linker())
    findings, warnings = diagnoser._link(text)
    assert [f.iri for f in findings if not f.excluded] == present
    assert [f.iri for f in findings if f.excluded] == excluded
    assert findings == diagnoser.link(text)
    if hedged:
        (warning,) = warnings
        assert warning.startswith("hedged or hypothetical, not used as present or excluded")
        assert all(f"'{word}'" in warning for word in hedged)
    else:
        assert warnings == []


def test_a_hedged_finding_is_named_once() -> None:
    mention = Mention(0, 7, "seizure", SEIZURE, "TEST:0000001", "Seizure", uncertain=True)

    class Linker:
        def link(self, text: str) -> list[Mention]:
            return [mention, mention]

    findings, warnings = diagnoser_with(Linker())._link("seizure seizure")
    assert findings == []
    assert warnings == ["hedged or hypothetical, not used as present or excluded: 'seizure' "
                        "(TEST:0000001)"]  # fmt: skip


def test_present_and_excluded_findings_keep_their_spans() -> None:
    text = "No seizures, hypotonia present."
    findings = diagnoser_with(make_linker()).link(text)
    assert findings == [
        LinkedFinding(SEIZURE, True, 3, 11, "seizures"),
        LinkedFinding(HYPOTONIA, False, 13, 22, "hypotonia"),
    ]


def test_text_cases_leave_hedged_and_family_findings_out(monkeypatch: pytest.MonkeyPatch) -> None:
    import kgfuse.evaluation as evaluation

    monkeypatch.setattr(
        evaluation, "default_linker", lambda kg, measurements=False, milestones=False: make_linker()
    )
    text = "Possible ptosis. Her brother has scoliosis. Hypotonia; no seizures."
    (case,) = evaluation.link_text_cases([Case("a", text=text)], kg=None)  # type: ignore[arg-type]
    assert case.present == (HYPOTONIA,)
    assert case.excluded == (SEIZURE,)
