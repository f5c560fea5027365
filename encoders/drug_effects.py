"""Findings a text gives as a treatment's effect, not the patient's disease.

Case reports tell the treatment's course: "amiodarone was complicated by hypothyroidism",
"a neuropathy attributed to vincristine", "steroid-induced hyperglycaemia", "timolol was
stopped after he developed wheeze". Such a finding is the drug's, and a disease ranked on
it is ranked on the treatment. :func:`drug_effect_scopes` finds where a text says so, for
the context rules (:mod:`encoders.negation`) to hedge the findings there.

A drug is known by its name's stem (the INN stems: "-olol", "-pril", "-mab", "-platin",
...), a short list of drugs whose names have none, or a class word ("steroids",
"chemotherapy"). A finding is a drug's effect when:

- a drug's name is joined to it by "induced", "related" or "associated" ("steroid-induced
  hyperglycaemia");
- it is "attributed to", "secondary to", "due to", "caused by" or "induced by" a drug, in
  its clause or right before a comma ("a neuropathy, attributed to vincristine");
- it follows, in the drug's sentence, "complicated by", "but led to", or the drug stopped
  "because of", "due to" or "after" ("acitretin ..., complicated by cheilitis"; "timolol was stopped
  after he developed nocturnal wheeze"); or, right after the drug, "caused", "led to",
  "resulted in", or a change it made ("filgrastim raised her neutrophil count": no
  *Neutrophilia*).

A trial of a drug that failed ("seizures persisted on valproate") says nothing of the
kind: the seizures are the disease's, and they are left as they are.
"""

from __future__ import annotations

from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from functools import lru_cache
from itertools import compress

__all__ = ["drug_effect_scopes", "is_drug"]

#: Endings of drug names (INN stems and common names).
_DRUG_ENDINGS = (
    "mycin", "micin", "cillin", "cycline", "floxacin", "conazole", "olol", "alol", "ilol",
    "pril", "sartan", "dipine", "statin", "prazole", "semide", "thiazide", "mab", "tinib",
    "platin", "rubicin",
    "taxel", "cristine", "blastine", "trexate", "afil", "parin", "triptan", "azepam",
    "azolam", "barbital", "oxetine", "tretin", "tretinoin", "igine", "racetam", "proate",
    "zolamide", "ainide", "arone", "profen", "methacin", "formin", "gliptin", "glitazone",
    "sentan", "prostenol", "prostinil", "lukast", "olimus", "sporin", "sporine",
    "phosphamide", "thioprine", "olone", "asone", "isone", "cortisone", "zepine", "pamil",
    "toin", "suximide", "clazide", "farin", "sirox", "oxamine", "vudine", "citabine",
    "arabine", "pentin", "gabalin", "oxacin", "idronate", "dronate", "grastim", "poetin",
    "anib", "fenib", "parib", "ciclib", "lisib", "zolomide",
)  # fmt: skip
#: Drugs whose names end in no stem above, and words for drugs as a class.
_DRUG_WORDS = frozenset(
    {
        "amiodarone", "quinidine", "digoxin", "adenosine", "mexiletine", "diltiazem",
        "eplerenone", "spironolactone", "valproate", "valproic", "topiramate", "vigabatrin",
        "clobazam", "stiripentol", "cannabidiol", "colchicine", "anakinra", "insulin",
        "levothyroxine", "hydroxyurea", "rifampicin", "rifampin", "aspirin", "paracetamol",
        "acetaminophen", "morphine", "penicillamine", "trientine", "cysteamine",
        "nitisinone", "miglustat", "mycophenolate", "vincristine", "ursodiol", "heparin",
        "lithium", "haloperidol", "risperidone", "olanzapine", "methylphenidate",
        "ivacaftor", "somatropin", "chemotherapy", "radiotherapy", "steroid", "steroids",
        "corticosteroid", "corticosteroids", "glucocorticoid", "glucocorticoids", "drug",
        "drugs", "medication", "medications", "antibiotic", "antibiotics",
        "anticonvulsant", "anticonvulsants", "antiepileptic", "antiepileptics",
        "immunosuppression", "infusion", "infusions", "treatment", "trihexyphenidyl",
        "oxybutynin", "tetrabenazine", "levodopa", "baclofen", "riluzole", "dantrolene",
        "amitriptyline", "nortriptyline",
    }
)  # fmt: skip
_JOINED = frozenset({"induced", "related", "associated"})
#: After a finding: what it is put down to (the drug follows, "a" or "the" between).
_PUT_DOWN_TO = (
    ("attributed", "to"),
    ("attributable", "to"),
    ("secondary", "to"),
    ("due", "to"),
    ("caused", "by"),
    ("induced", "by"),
    ("related", "to"),
)
#: Verbs of which a drug right before them is the subject ("vincristine caused a
#: neuropathy"; not "despite valproate, the epilepsy caused regression").
_CAUSED = (
    ("caused",),
    ("led", "to"),
    ("resulted", "in"),
    # a response read the other way: "filgrastim raised her neutrophil count" is no
    # *Neutrophilia*, "indomethacin reduced the urine output" no *Oliguria*
    ("raised",),
    ("increased",),
    ("reduced",),
    ("lowered",),
    ("decreased",),
)
_CAUSED_REACH = 3
#: In a drug's sentence, after it: what opens its effects.
_EFFECTS = (
    ("complicated", "by"),
    ("stopped", "because", "of"),
    ("stopped", "due", "to"),
    ("stopped", "after"),
    ("discontinued", "because", "of"),
    ("discontinued", "due", "to"),
    ("discontinued", "after"),
    ("withdrawn", "because", "of"),
    ("withdrawn", "due", "to"),
    ("withdrawn", "after"),
    ("ceased", "because", "of"),
    ("ceased", "after"),
    # since linking version 47: "risperidone was started for aggression but led to weight
    # gain"
    ("but", "led", "to"),
    ("but", "caused"),
    ("but", "resulted", "in"),
    ("which", "caused"),
    ("which", "has", "caused"),
    ("which", "had", "caused"),
)
#: Words between the cue and the effects it opens.
_AFTER_EFFECT = frozenset(
    {"he", "she", "they", "the", "patient", "developed", "had", "experienced", "showed"}
)
_SENTENCE_ENDS = frozenset({".", "!", "?", ";", "\n"})
#: How far after a drug's name the words opening its effects may come.
_EFFECT_REACH = 16


@lru_cache(maxsize=1 << 16)
def is_drug(word: str) -> bool:
    """Whether a lower-case word names a drug or a class of drugs (cached: texts repeat
    their words)."""
    if word in _DRUG_WORDS:
        return True
    return len(word) > 5 and word.endswith(_DRUG_ENDINGS)


def drug_effect_scopes(
    words: Sequence[str], inside: AbstractSet[int] = frozenset()
) -> list[tuple[int, int, str]]:
    """Where the lower-case ``words`` of a text give findings as a drug's effect: triples
    ``(start, end, direction)``, the words of the cue with the direction of its scope
    (``"forward"``: the findings after ``end``; ``"backward"``: those before ``start``, in
    its clause). For "a neuropathy, attributed to vincristine" the cue starts at the comma,
    so that the scope is the clause before it. A drug's name inside a mention (positions
    ``inside``) is part of a finding's name ("aminoglycoside-induced hearing loss") and
    opens no scope."""
    drugs = [d for d in compress(range(len(words)), map(is_drug, words)) if d not in inside]
    n = len(words)
    out: list[tuple[int, int, str]] = []
    for d in drugs:
        if d + 1 < n and words[d + 1] in _JOINED:
            out.append((d, d + 2, "forward"))  # "steroid-induced hyperglycaemia"
        a = d - 1
        while a >= 0 and words[a] in ("a", "an", "the", "his", "her", "their"):
            a -= 1
        for phrase in _PUT_DOWN_TO:
            k = a - len(phrase) + 1
            if k >= 0 and tuple(words[k : a + 1]) == phrase:
                start = k - 1 if k > 0 and words[k - 1] == "," else k
                out.append((start, d + 1, "backward"))  # "..., attributed to vincristine"
                break
        for e in range(d + 1, min(n, d + 1 + _EFFECT_REACH)):
            if words[e] in _SENTENCE_ENDS:
                break
            phrases = _EFFECTS + _CAUSED if e - d <= _CAUSED_REACH else _EFFECTS
            found = next((p for p in phrases if tuple(words[e : e + len(p)]) == p), None)
            if found is not None:
                end = e + len(found)
                while end < n and words[end] in _AFTER_EFFECT:
                    end += 1  # "stopped after he developed wheeze"
                out.append((e, end, "forward"))  # "..., complicated by cheilitis"
                break
    return out
