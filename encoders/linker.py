"""Concept recognition: find the terms of a knowledge graph named in free text.

:class:`ConceptLinker` is built from any :class:`kg.lexicon.Lexicon` (labels and synonyms of
any ontology), optionally with the ``is_a`` parent map of its terms. One pass over a text:

1. **Dictionary.** Tokens are normalised (:mod:`encoders.normalize`: case, accents, British
   spellings, plurals and light stems, hyphens, punctuation, stop words) and walked through
   a token trie of every name. Names are also indexed under word-order variants (``X of Y``
   -> ``Y X``, and every order of names of up to three words), and a child term under its
   parent's synonyms plus the words its own name adds (``profound`` + ``developmental
   delay``). Single-word acronyms (``GERD``) are matched case-sensitively, except a few
   that notes use in another sense (``RA``: room air) and sacral levels (``L5-S1``); an
   acronym defined in the text (``developmental dysplasia of the hip (DDH)``), whose
   letters fit its long form, links its later uses. ``non-X`` is read as the word ``nonX``
   first. A one-word name that is an everyday word (*Falls*, *Stroke*) is not matched where
   the word has its everyday sense (``falls asleep``, ``stroke volume``).
   Coordinated words share a head (``axial and appendicular hypotonia``, ``dilatation of
   the lateral and third ventricles``) or a modifier (``decreased power, tone and
   reflexes``) unless a conjunct has its own (``low calcium and phosphate elevated``), one
   extra modifier may sit inside a name (``brisk tendon reflexes``) where
   no contiguous match covers the text, and a predicate may follow its subject (``speech
   was severely delayed``). One word after a modal verb (``she can jump``) is not a
   finding.
2. **Choice.** Overlapping matches are resolved longest first; when one span names several
   terms, the best kind of name wins (label/exact before narrow, related, broad) and among
   equals the most specific term (one that is not an ancestor of another candidate).
   Terms outside ``allowed_roots`` or shallower than ``min_depth`` are never linked: they are
   too general to be findings (``Abnormality of the nervous system``, clinical modifiers).
3. **Dense path** (optional, :mod:`encoders.dense`): phrases that the dictionary left
   uncovered are embedded with the text encoder and matched to term names by FAISS, above a
   threshold calibrated on held-out synonyms.
4. **Measurements** (optional, :mod:`encoders.measurements`): a growth measurement stated
   with its centile or SD score (``height 98 cm (-2 SD)``) links the term its definition
   names (*Short stature*), when the lexicon has that term.
5. **Milestones** (optional, :mod:`encoders.milestones`): a developmental milestone
   stated with an age past its window (``walked at 22 months``) links the delay's term
   (*Delayed ability to walk*).
6. **Laboratory values** (:mod:`encoders.lab_values`): a value outside its stated reference
   range (``serum phosphate 0.72 mmol/L (1.20-1.80 mmol/L)``) links the term the dictionary
   gives the words before it read as ``low X`` or ``high X`` (*Hypophosphatemia*), unless
   that term is already linked there.
7. **Context** (:mod:`encoders.negation`): ruled-out findings are marked ``excluded``;
   hedged or hypothetical ones ``uncertain``; findings of relatives are marked ``family``
   and, by default, left out of :func:`link_records`. A record gives all three flags.

:func:`link_records` implements the record contract: ``{"id", "text"}`` in,
``{"id", "mentions": [...]}`` out, with one clear error per bad record.
"""

from __future__ import annotations

import bisect
import itertools
import logging
import multiprocessing
import re
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from encoders.absences import DENIED, denied_keys, ends_a_phrase
from encoders.clinical_names import clinical_entries, kept_entry
from encoders.examination import read_examination
from encoders.gestation import read_preterm_births
from encoders.lab_values import read_lab_values
from encoders.lessened import LessenedNames
from encoders.linker_index import index_key, load_index, save_index
from encoders.measurements import read_measurements
from encoders.milestones import read_milestones
from encoders.negation import ContextResult, ContextRules
from encoders.normal_functions import read_normal_functions
from encoders.normalize import (
    BREAK,
    COMMA,
    JOINERS,
    STOPWORDS,
    TokenTable,
    content_tokens,
    is_acronym,
    normalize_token,
    phrase_variants,
    scan,
    singularize,
    tight_mark,
)
from encoders.procedures import GLAND_REMOVALS, procedure_entries
from encoders.procedures import MENTION_SOURCE as TREATMENT_SOURCE
from encoders.procedures import SYNONYM_TYPE as TREATMENT_TYPE
from encoders.reference_intervals import analyte_phrase, read_unranged_values
from kg.collector import gc_paused
from kg.lexicon import NAME_KINDS, Lexicon
from kg.namespaces import OWL, OWL_CLASS, RDF_TYPE, SKOS, compress, to_iri

if TYPE_CHECKING:
    from pathlib import Path

    from encoders.dense import DenseMatcher

logger = logging.getLogger(__name__)

__all__ = [
    "LINKING_VERSION",
    "ConceptLinker",
    "InputTooLargeError",
    "LINKED_NODE_TYPES",
    "MAX_LABEL_CHARS",
    "MAX_NAME_WORDS",
    "LinkerConfig",
    "Mention",
    "RecordError",
    "index_folder_of",
    "RecordLinker",
    "link_records",
    "linkable_lexicon",
    "linker_from_kg",
    "default_linker_config",
    "HPO_PHENOTYPE_ROOT",
    "read_by_name",
]

#: Raised whenever one text may link to other terms than before (new phrasings of names,
#: new readers). Audit records store it, so ``kgfuse audit verify`` can say that a recorded
#: text was linked by another version. 2: laboratory phrasings and reference ranges;
#: 3: negated lists ("D, E, and F were excluded", "were excluded: D, E and F"), and a
#: one-word gerund synonym no longer matched by a past form ("ordered" is not "Ordering");
#: 4: the onset a text states is read and weighed (:mod:`encoders.onset_text`); 5: plurals
#: in -ys ("motor delays", "kidneys") and -thoraces, a direction's compound in two words
#: ("down turned", "up-slanting"), "attenuated" as "decreased", "luxation" as "dislocation",
#: "unstable" as "unsteady", "lens" as "lenses" reads, a person said to be tall or short
#: ("he is very tall": *Tall stature*), a gerund synonym not matched by a singular noun
#: of its stem ("his mouth" is not "Mouthing"), onsets stated with "since" ("impaired
#: vision since age 4"), the earliest statement counting, "until" ending a negation's
#: scope ("not crawling until 10 months and a tremor"), and names written with their comma
#: ("Intellectual disability, severe, and microcephaly"); 6: "deficit" as "impairment"
#: ("hearing deficit": *Hearing impairment*); 7: a person's height after a comma ("a boy,
#: very tall, with ...": *Tall stature*); 8: a term id the KG does not know is read by the
#: name written beside it (:meth:`ConceptLinker.read_label`); 9: context rules: "no family
#: history of X" a relative's ruled-out finding, hypothetical and generic statements hedged
#: ("at risk of", "to rule out", "if", "patients with this syndrome typically have"),
#: negated lists to their end and cut at an affirmed item ("no seizures, hypotonia present"),
#: line breaks end scopes and names, "finding: none/(-)/(+)" statuses, "resolved" / "not ...
#: until" / "no improvement in" no negation, relatives across appositives, "in her
#: brother" and "Mother:" labels, a parent "concerned about" no experiencer; records carry
#: ``uncertain`` and ``family``.
#: 10: comma-joined modifiers of one noun ("low-set, posteriorly rotated ears": *Low-set ears*).
#: 11: a coordinated word with its own modifier or status takes none of the others' ("Low Hb
#: and ESR elevated", "cleft lip and palate was intact"); "non-X" read as "nonX" first;
#: an acronym in brackets defines only what its letters fit, and never a test's ("(EEG)");
#: overloaded clinical acronyms ("RA", "BPD") and sacral levels ("L5-S1") no terms; everyday
#: words ("he falls asleep", "stroke volume") no findings; the ellipsis and the fullwidth and
#: ideographic marks end phrases, a lone carriage return, NEL, VT, FF, U+2028
#: and U+2029 are line breaks, and combining accents (NFD) and zero-width characters stay
#: inside a word; decimal commas beside a range written with them ("2,125 (2,2-2,6)"); SD
#: ranges ("-1 to -2 SD"); "since age 4." an onset; and the context rules of the same review
#: (:mod:`encoders.negation`: clause ends, "with or without", "-free", relatives' words).
#: 12: a person's height spans what is said of them ("very tall", not "boy is very tall")
#: and is read when denied ("he is not tall": excluded), and "tall" standing alone as an
#: item of a list of findings is read ("Findings: very tall, long fingers"); a growth
#: measurement's span runs over the bracket that closes one it opens ("height 98 cm (-2.5 SD)").
#: 13: a KG's SKOS concepts and OWL named individuals are linked as its classes are
#: (:func:`linker_from_kg`); names of more than :data:`MAX_NAME_WORDS` words are left out;
#: a negated list ends at a comma before a word of degree ("no seizures, severe hypotonia").
#: 14: a name that writes its own coordination is read as that one term ("Sparse or absent
#: eyelashes", "Diminished or absent deep tendon reflexes", "Cleft hard and soft palate"),
#: not as the terms of its conjuncts.
#: 15: a mark that a name writes inside its words is read as one of them where a text writes
#: it the same way: a colon with no space around it ("Elevated lactate:pyruvate ratio",
#: "CD4:CD8"), a comma or point between digits ("1,5-anhydroglucitol", "0.4 LogMAR"), a
#: colon after a test's name ("EMG: myopathic abnormalities").
#: 16: a capital "A" inside a phrase is the letter a name gives ("vitamin A", "type A"), not
#: the article: "low vitamin levels" is no longer *vitamin A*, nor "type B" *type A*; a
#: capital "S" before a hyphen is a letter too ("S-cone monochromacy", "S-shaped").
#: 17: a laboratory value stated as a multiple of the upper limit of normal ("CK was 5 times
#: the upper limit of normal", "10x ULN", "twice the upper normal limit") is read as high;
#: an ordinal in digits reads as in words ("syndactyly of the 2nd and 3rd toes" is *2-3 toe
#: syndactyly*, whose names write "second and third"); a modifier coordinated with a name's
#: longer modifier shares its head ("prominent and low-set ears": *Protruding ear* too); a
#: predicate may be denied ("the liver was not enlarged": *Hepatomegaly* ruled out, where
#: nothing was read before), reported ("the joints were found to be hyperextensible") or
#: of several words ("ears were low-set"); "enlarged" reads as "large" ("enlarged spleen":
#: *Splenomegaly*, whose names write "Large spleen"); a gapped match that reads a modifier
#: and one more word before a name refines it where its term descends from the name's
#: ("proximal dominant muscle weakness": *Proximal muscle weakness*); a name's leading words
#: also lead a conjunct of several words after it ("difficulty walking and climbing stairs":
#: *Difficulty climbing stairs* too); "did not present (with)" negates what follows it
#: ("present" was read as an affirmed status, so "She did not present facial weakness,
#: ophthalmoparesis, or ptosis" gave all three present) and "did not occur" what precedes;
#: British spellings read as HPO's American ones ("tumour", "fibre", "generalised",
#: "paralysed", "leucopenia", "sulphate", "diarrhoea", "distension", "greying"); "extremity"
#: reads as "limb" ("short extremities": *Limb undergrowth*, whose names write "Short limbs");
#: a test's result reported by a verb is the test's name ("Electromyogram showed myotonic
#: discharges": *EMG: myotonic discharges*, not the *Myotonia* of "myotonic").
#: 18: a finding of which a text says there is "no information" or "no data" is hedged,
#: not ruled out ("no information on vertebral anomalies"); a cell's stain is not its count
#: ("eosinophilic inclusions" is not *Eosinophilia*); "deep seated eyes" reads as "deep
#: set"; a phrasal verb's particle may end a shared lead's first conjunct ("difficulty
#: standing up and climbing stairs": *Difficulty climbing stairs* too); a word that a name
#: goes on with may also be the extra word of a gap ("hyperpigmented [skin] lesions", though
#: "Hyperpigmented skin patches" is a name too); "lost", "lose" and "losing" read as "loss"
#: ("lost the ability to walk": *Loss of ambulation*) and "base" as "based" ("wide base
#: gait"); laboratory values: "10x above normal" and "10x higher than the ULN" are multiples
#: of normal, and "1.250,5" is 1250.5 (points group the thousands before a decimal comma).
#: 19: "Abnormally X Y" is also written "X Y" where X is a size ("small head":
#: *Microcephaly*; "small eyes": *Microphthalmia*, whose layperson name says "Abnormally
#: small eyeball"); a behaviour is also written with "features" or "traits" ("autistic
#: features": *Autistic behavior*), for adjectives that describe behaviour alone.
#: 20: "my son", "my daughter", "my child" are the patient, not a relative: who writes so is
#: a parent describing the patient ("my son has seizures" was read as a relative's finding);
#: a son, daughter, baby, toddler, teenager ... said to be tall or short is read as one of
#: the persons of a stature statement ("my daughter is very tall": *Tall stature*); a
#: negation or hedge after a comma that follows a finding opens one item of the list, not
#: the rest of it ("hypotonia, no seizures, microcephaly": the microcephaly is present); a
#: cell is not its raised count ("the neutrophils were normal" was *Neutrophilia*: words in
#: -philia are no longer folded to the cell's name); a blood cell count's name is also
#: written with the cells ("low platelets", "platelets were low": *Thrombocytopenia*, whose
#: synonym is "Low platelet count").
#: 21: developmental milestones reached past their window ("walked at 22 months", "sat at
#: 15 months", "said his first words at 3 years") link the delay's term when asked
#: (``LinkerConfig.milestones``, :mod:`encoders.milestones`); "along with" ends a negation
#: or hedge as "as well as" does ("suggestive of an arachnoid cyst, along with partial
#: agenesis of the corpus callosum": the agenesis is stated).
#: 22: a person said to have a quality by its adjective ("she is obese", "an obese boy", "he
#: is hyperactive and impulsive") has the finding the quality's one-word name names, as a
#: person said to be tall has *Tall stature* (``ConceptLinker.person_adjectives``).
#: 23: a predicate denied of coordinated subjects rules out each ("the liver and spleen
#: were not enlarged" linked *Hepatomegaly* as present); a joint's motion not done fully is
#: its limitation ("the knees were not fully extendable", "could not be fully flexed":
#: *Limited knee extension*, *Limited knee flexion*); "restricted" reads as "limited".
#: 24: a myelination finding without its site is the central nervous system's
#: ("hypomyelination": *CNS hypomyelination*; :func:`encoders.normalize.phrase_variants`).
#: 25: a relative tied to someone across an age, an ordinal or "newborn" is a relative
#: ("her 3-year-old daughter has microcephaly", "her first son has seizures" were the
#: patient's findings).
#: 26: a terminal's colour codes are blanks between words ("\x1b[31mSeizures" was the
#: token "31mSeizures"; :func:`encoders.normalize.scan`).
#: 27: coordinated joints each have their limitation ("the elbows and knees were not fully
#: extendable": *Limited elbow extension* too, from the name read for the knees).
#: 28: "absence of X" rules X out ("absence of seizures" was *Absence seizure*, present); a
#: backward "was normal" or "was suspected" after "and" stays in its own clause ("he had
#: cataracts and his hearing was normal" ruled the cataracts out); "was suspected to have
#: X" hedges X; a name leads no noun phrase of its own ("a small jaw and her eyes" was
#: *Microphthalmia*).
#: 29: a prefix written apart before a conjunction takes the next word's place ("hepato- and
#: splenomegaly": *Hepatomegaly* too; "micro- and retrognathia", "pre- and postnatal growth
#: retardation").
#: 30: "excluded" as a verb rules out what follows ("echocardiography excluded a heart
#: defect" linked it as present); parents whom the patient was born to have none of the
#: findings after them ("an infant born to consanguineous parents had short limbs" made the
#: limbs the family's; "born to a mother who had epilepsy" stays hers); a pattern's key is
#: not read across "with" ("low IgM with elevated IgA" was *Increased circulating IgM*);
#: coordinated predicates each complete their subject's name ("his skin was soft, velvety
#: and markedly hyperextensible": *Hyperextensible skin* too, where *Soft skin* alone was);
#: a modifier stacked before a name without a comma names its own term with the head
#: ("low-set posteriorly rotated ears": *Low-set ears* too; "large protruding ears":
#: *Macrotia*), unless that term is broader or finer than the name's.
#: 31: a plain quantity that a term of increase names reads as its lessened counterpart
#: after a lessening word ("inadequate weight gain": *Failure to thrive*;
#: :mod:`encoders.lessened`). 32: a clinic letter's shorthand ("Scoliosis not seen",
#: "Seizures -ve", "Not present: A, B", "Father (45): ..."; a plan's "to look for"). 33: a
#: "?" written against a finding queries it. 34: "no speech" reads *Absent speech*
#: (:mod:`encoders.absences`). 35: "nil", statuses with their site, plural differentials, a
#: plan's surveillance or a service named by a finding; "knee jerks", "optic pallor" are no
#: findings of their word. 36: laboratory values flagged "(raised)", "(low)", "LOW".
#: 37: a list written one item a line without bullets is read item by item, in lower case
#: too ("Problems:\nhypotonia\nseizures" was *Atonic seizure*;
#: :func:`encoders.normalize.scan`), and a heading that rules out a list reaches its lines
#: ("Negative for:\nSeizures\nHypotonia" ruled out nothing); a muscle's weakness or wasting
#: is also written without "muscle" ("proximal weakness" was *Asthenia*; "distal wasting").
#: 38: from case reports two reviewers wrote: "was not evident / apparent / confirmed",
#: "could not be demonstrated" and "was negative for" rule out; advice ("advised to avoid
#: drugs that prolong the QT interval"), "may develop", "misdiagnosed as" and "presumed"
#: hedge; a relative after "of" before "revealed" ("screening of his sister revealed"), a
#: sentence that opens "In her daughter," and "the mother of a child with" are a
#: relative's; "the patient and her sister both had" is the patient's too; "Both sided cleft
#: lip" no longer reads "right-sided cleft lip" as bilateral; the body's compounds in two
#: words ("ear lobes", "eye brows"), a cell's shape by its cells ("spherocytes"),
#: "syncopal", "prolonged QTc", "dilated left ventricle" (no longer *Ventriculomegaly*);
#: "fine-needle aspiration", "regional akinesia", "a central depression" are no findings of
#: their word; a word of degree or extent leads only its own conjunct ("severe
#: constipation and myopia" was *High myopia*).
#: 39: laboratory values stated without a range are read against built-in limits that are
#: abnormal at any age past the newborn period ("serum potassium was 2.6 mmol/L":
#: *Hypokalemia*; "blood pressure 165/100 mmHg": *Hypertension*;
#: :mod:`encoders.reference_intervals`).
#: 40: an HPO KG's names get kgfuse's own clinical phrasings of 28 terms (29 since 43)
#: that the release does not spell ("overfriendly", "a floppy infant", "temper tantrums",
#: "prolonged APTT"; :mod:`encoders.clinical_names`).
#: 41: a pregnancy's findings that are the fetus's (*Polyhydramnios*, *Oligohydramnios*,
#: *Decreased fetal movement*) are the patient's in a sentence that says the mother had
#: them ("the mother had polyhydramnios" was a relative's; ``LinkerConfig.pregnancy_terms``).
#: 42: a modifier before a name read with "of" no longer names a term with the name's head
#: ("small joint hypermobility of the fingers" was *Small finger* too).
#: 43: from case reports of an immunologist and a neurogeneticist: "a boy of Turkish
#: parents", "whose parents are cousins," are the patient's findings; a cause stays in a
#: relative's sentence ("due to amyloidosis"); ", and recurrent pneumonia" and ", and two
#: episodes of" end a negation; "lack of X with Y" no longer rules Y out; "never
#: documented" rules out; "provoked by", "triggered by", "mimicking" hedge; a value's
#: analyte is not the specimen after "in" ("activity in leukocytes" was *Leukopenia*), nor
#: the end of a longer name ("galactose-1-phosphate"), and keeps its specimen ("CSF
#: lactate"); a unit is no analyte ("40 mg/L" was magnesium); bare "weakness" is *Muscle
#: weakness*, not *Asthenia*; IgG, IgE, CRP, lymphocytes, eosinophils, low cholesterol and
#: low glucose without a range, and a range stated after a count's unit.
#: 44: kgfuse's clinical phrasings of 19 more terms of neurology, immunology and
#: metabolism ("burst-suppression pattern", "upgoing plantars", "absent knee jerks",
#: "onion bulbs", "photoparoxysmal response", "pneumatoceles", "doll-like face"); a
#: treatment's effects ("as a side effect of valproate") and an earlier diagnosis
#: ("initially attributed to cerebral palsy") are hedged.
#: 45: a laboratory value said to be undetectable is low ("IgA was undetectable":
#: *Decreased circulating IgA concentration*; "undetectable parathyroid hormone").
#: 46: a relative's second predicate is the relative's ("his grandfather walked with a cane
#: and died of heart failure"), so is a "who" clause after "In her sister,"; a finding said to
#: be brought on by what a narrower term's name writes first is that term ("seizures were
#: triggered by fever": *Febrile seizure*; "myalgia after exercise", "dyspnoea on exertion");
#: from three reviewers' case reports: a relative's procedure or need ("his uncle underwent
#: surgery for aortic dissection") and a participle appositive are the relative's, "maternal
#: diabetes" a parent's; new negations, hedges and a treatment's effects
#: (:mod:`encoders.drug_effects`: "amiodarone was complicated by hypothyroidism"); values
#: written as bounds ("IgA <0.07 g/L"), the LVEF and the QTc read against limits; a
#: defibrillator's shock, a ratio's denominator, "low-normal" and urine values are no
#: findings; 44 clinical names; from two held-out reviewers: a suspicion refuted ("suspected
#: but excluded") is ruled out, alternatives ruled out end with their pair, an absent
#: structure rules out only itself, examination numbers (:mod:`encoders.examination`:
#: "liver 7 cm below the costal margin", "hip flexors 3/5", "VA 6/60"), 21 more clinical
#: names.
#: 47: functions stated normal are ruled out (:mod:`encoders.normal_functions`: "Hearing is
#: normal", "normal growth and development", "audiometry was normal"); one episode is no
#: recurrence ("an episode of fever": *Fever*); a verb form that is a name of its own is read
#: ("fainted": *Syncope*; "fainting" no longer *Loss of consciousness*); an examination
#: reading's own words name nothing else ("vision reduced to hand movements"); from four
#: reviewers' case reports (a biochemical geneticist, a paediatric neurologist, a
#: nephrologist, a neonatologist): the electrolytes' short forms ("K 2.6 mmol/L"), chloride,
#: amino acids, sweat chloride and faecal elastase against limits; the other organ of an
#: examination's sentence ("spleen 12 cm below the costal margin, liver 4 cm"); the MRC's
#: dyspnoea grade no weakness; a test, a vaccine or a diet named by a finding is none
#: ("hepatitis serology", "a low-methionine diet"); "born to healthy parents with X" is the
#: child's; what a relative passed or carries is the relative's; "? mild X" and "X
#: suspected." hedge; an absent structure's or a lacking motion's gloss in brackets is
#: present ("absence of the third ray (split hand)"); a drug's effect further along its
#: sentence ("but led to"); with ``measurements``, a birth before 37 weeks is *Premature
#: birth* (:mod:`encoders.gestation`); the spinal fluid's glucose and IgA against limits;
#: a specimen ("cough swab"), a good "weight gain" and a swallow's "incoordination" are
#: none; 113 clinical phrasings of 65 terms ("pulmonary hypertension", "SNHL", "increased
#: tone", "positive Romberg test", "no words", "CKD G3b", "absent ganglion cells", ...);
#: from two held-out reviewers (a cancer geneticist, a gastroenterologist with surgeons),
#: after their cases were scored: "X rather than Y" rules Y out, "treatment was
#: complicated by" and "initially labelled" hedge, a bone density's Z-score and a Beighton
#: score are read (:mod:`encoders.examination`), 32 more clinical phrasings ("colorectal
#: cancer", "CHRPE", "DCIS", "HSCR", "flexor spasms", "globally delayed", ...); from two
#: more held-out reviewers (an adult neurogeneticist, a developmental paediatrician), after
#: their cases were scored: "normal growth velocity" states no normal growth; "unable to
#: speak and walks" no *Inability to walk*; a one-word match inside a coordination is the
#: conjunct's ("loss of pain and temperature sensation": no *Pain*); ", plus" ends a
#: negation; "which has caused" and the neurology clinic's drugs give a treatment's
#: effects; HbA1c against its limit; 42 more clinical phrasings ("mild ID", "moderate
#: learning disability", "colobomata", "twitching" as *Fasciculations*, "T2DM", ...).
#: 48: from what version 47's reviews left open and four more clinicians' case reports (a
#: cardiogeneticist, a dermatologist, an ophthalmic geneticist, a haematologist): a finding
#: "not present at birth" came later; a relative's gapped verb ("his mother breast cancer at
#: 52"), pronoun ("his mother has a white forelock; her hearing is normal"), "was told she
#: had X", "neither has X" and "no X in the family" are read; "unable to sit or walk";
#: modifier lists before one head ("pale, bulky, offensive stools"); counted episodes are a
#: recurrence ("three episodes of otitis media"); a suspected diagnosis after findings
#: hedges only its own mention; matches across a dash written apart, a heart wall's
#: dyskinesia, a vessel after an organ's adjective, a lesion after a skin quality, "the
#: large joints", "diabetic retinopathy"'s adjective and "QT-prolonging drugs" name no
#: finding of their own; ranged values read with their term's own word ("prolonged QTc");
#: eGFR, reticulocytes, factor VIII, LDH, fibrinogen, high neutrophils and "BP 150/95"
#: against limits; verbless normal results; bones' Latin plurals; ~150 clinical phrasings.
#: 49: from a nephrologist's, a hepatologist's and a chest physician's case reports: a
#: backward "negative" whose last item names no finding is about that test ("hepatomegaly
#: and splenomegaly, viral serology negative" rules neither out); "born at term to ...
#: parents developed X" is the child's; "no stigmata of X" hedges X; a stool's paleness
#: listed with fat's qualities is steatorrhoea's; an analyte's short name before a range
#: ("K 2.6 mmol/L (3.5-5.0)"); a ratio to creatinine is the urine's, no blood creatinine
#: ("calcium:creatinine 1.1 (ref <0.7)" is *Hypercalciuria*; "TmP/GFR" no GFR); counted
#: acute episodes are a recurrence; a suspicion confirmed right after states its finding;
#: no gap of a name skips a letter or a number ("protein [B] deficiency" is no *Protein S
#: deficiency*); 17 clinical phrasings (ESRD, dRTA, RVH ...).
#: 50: from a gastroenterologist's, a cancer geneticist's and a dysmorphologist's case
#: reports: after a negated item's plain "and", a clause with a subject and a verb of its
#: own is stated ("no hepatomegaly and the spleen was enlarged"); a forward "suspected"
#: hedges again ("suspected seizures", lost since version 48); "clear of" rules out;
#: counts of two or more read as "multiple" ("six cafe-au-lait spots"; "numerous" and
#: "several" too); a word before an investigation is no conjunct ("renal ultrasound and
#: pelvic MRI" is no *Pelvic kidney*); a compound split in two keeps its order ("growth
#: for over a year" is no *Overgrowth*); "catch-up weight gain"; an adverb is coordinated
#: with adverbs only; combining forms before a hyphen ("tracheo-oesophageal",
#: "hepato-splenomegaly"); "mutism" is no "mut"; an INR above 1.5 and an oxygen
#: saturation below 92% without a range; "Oncology" no *Neoplasm*; 12 clinical phrasings
#: (skin tears, white reflex, SEGA, SGA, TOF, CIPO, supravalvar ...).
#: 51: from a fetal medicine specialist's, a reproductive geneticist's and a developmental
#: paediatrician's case reports (held out until scored on version 50): an earlier
#: pregnancy's child or fetus is a relative ("previous child with developmental delay");
#: a reading set aside is ruled out ("initially mistaken for seizures", "misdiagnosed
#: as"); "could not be assessed" hedges; a short "normal" ends at a time it was normal in
#: ("normal before seizure onset" ruled the seizures out); "has been normal"; an intact
#: lip rules out *Cleft lip*; "audiology normal"; a nuchal translucency of 3.5 mm or more;
#: "hydrops" is *Hydrops fetalis*, not plain *Edema*; 17 clinical phrasings (FGR, breech,
#: hot flushes, perineoscrotal hypospadias, slow to talk, gastrostomy-fed ...).
#: 52: from an adult neurogeneticist's, a psychiatric geneticist's and an oral medicine
#: specialist's case reports (held out until scored on version 51): sweating stated
#: normal rules out *Hypohidrosis*, and "sweating" alone is no *Hyperhidrosis* ("She
#: sweats normally" was hyperhidrosis); flexor plantars rule out the *Babinski sign*;
#: full eye movements rule out *Ophthalmoplegia*; "less likely" hedges; 24 clinical
#: phrasings (hearing voices, paranoid ideation, FTD, AVSD, walked late, early
#: exfoliation of the primary teeth, supernumeraries ...).
#: 53: a finding absent since a time or for a duration was there before; from case reports
#: in six styles (English as a second language, 1960-1995 journals, family reports; then,
#: held out until scored, abstracts, natural histories, specialists outside genetics):
#: relatives with a bracket and an appositive, as the subject's appositive, with the side
#: of the family, in a lay history ("went deaf") or reported speech, or by a pronoun of
#: their sex opening the next sentence; a relative's "but"; hedges before a verb and
#: before a copula ("probably has", "may be", "queried"); "not reported", "not
#: suspected", "not ... until now"; "neither patient had"; a "without" list with "or";
#: "became", "looks", "feels" as copulas, "floppy" from "floppiness"; an absence
#: confirmed in brackets; "late teens"; older units (mg per 100 ml, mg%); "attacks of
#: fever" as *Recurrent fever*; an enzyme's "activity in leukocytes" no *Leukopenia*; PR
#: and QRS intervals and the ESR without a range; a composed name never displaces a real
#: one; a contracted "n't" negates ("he doesn't have seizures"); "he was pale"; 16
#: clinical phrasings (convulsions, psychomotor retardation, lethargic ...) and 7 of
#: families' words (short of breath, black stools, crossed eyes ...). 54, from parents'
#: letters, dictated notes and primary-care referrals: a contracted "n't" read in full by
#: every reader ("didn't crawl until", "can't walk"); a verb's negation ending with its
#: first item; spoken hedges; a family's words for relatives; functions said to be "fine";
#: values without their unit where the number tells it; "gets", "went", "a bit" before a
#: predicate; words that name no finding here (a body gone limp, a letter's given name);
#: 224 lay names. 55, from the investigations paragraphs of case reports (imaging, EEG,
#: nerve conduction and EMG, echo, audiology, biopsies): a finding of one side written
#: with its side ("right-sided facial palsy": *Unilateral facial palsy*); "normotensive"
#: and a trileaflet aortic valve rule out; the GGT and the spinal fluid's protein against
#: limits; a test's specimen is no conjunct ("normal blood glucose, and urine amino acid
#: chromatography" was *Hematuria*); an MR angiogram's "TOF"; "apnoeas"; "DTRs"; 40
#: clinical names of reports ("diffuse background slowing", "slowed motor CVs", "MVP",
#: "CALMs", "WM hyperintensities", "conductive HL" ...); a longer name said of its subject
#: ("the glomerular basement membrane was thickened"); a refraction in dioptres ("-7.50
#: D": *High myopia*); the intraocular pressure, the blood pressure and the platelets
#: stated normal, "within normal limits", clear lenses and corneas rule out; an appositive
#: that describes a relative is the relative's ("his father, myopic since childhood,
#: had"); 25 more clinical names ("COX-negative fibres", "late gadolinium enhancement",
#: "short-duration, low-amplitude polyphasic MUAPs" ...); a finding named without its site
#: in a sentence that an investigation of one organ opens is the organ's where the
#: ontology names it so ("Echo: ... rhabdomyomas": *Cardiac rhabdomyoma*; "MRI brain: ...
#: abscess": *Brain abscess*); an echo's "agitated saline" is no *Agitation*; the spinal
#: fluid's lactate against its limit; "irides"; 20 more clinical names ("PFO", "delta
#: waves", "reduced NAA", "lactate doublet", "vasogenic oedema", "Chiari I" ...); a word
#: before a predicate is no stacked modifier ("Leukocyte alpha-galactosidase A activity
#: was reduced" was *Leukopenia*); a fundoscopy's pallor is the optic disc's; the HDL
#: cholesterol, and a urate in mmol/L, against limits; 5 more clinical names; a hearing
#: test's report heading stated normal ("Audiogram: within normal limits", "ABR: WNL").
#: 56: a treatment done only for a finding reads that finding ("underwent orchidopexy":
#: *Cryptorchidism*; "a VP shunt", "hearing aids", "a Kasai portoenterostomy"); one not
#: done says nothing of it (:mod:`encoders.procedures`).
#: 57: an acronym defined in brackets inside a name is read past ("growth hormone (GH)
#: deficiency", "creatine kinase (CK) was elevated", "a ventriculoperitoneal (VP) shunt"),
#: the bracket still defining it (:func:`_acronyms_inside_names`).
#: 58: ``-ified`` participles meet their ``-ification`` nouns and ``-otic`` adjectives their
#: ``-osis`` nouns (:func:`encoders.normalize.stem`): "calcified basal ganglia" is *Basal
#: ganglia calcification*, "a stenotic pulmonary valve" *Pulmonic stenosis*.
#: 59: the participles and ``-ing`` nouns of ``-en`` verbs meet their adjective
#: ("shortened femurs": *Short femur*; "widened", "flattened", "thickened" ...).
#: 60: adverbs of degree meet their adjective ("highly myopic": *High myopia*; "profoundly
#: deaf": *Profound hearing impairment*; "severely delayed development").
#: 61: a predicate's adverb that is a word of the name is read with it ("the eyes are
#: widely spaced": *Widely spaced eyes*; "the eyes are deeply set": *Deeply set eye*).
#: 62: ``-xation`` nouns meet their participles ("both lenses are subluxed": *Lens
#: subluxation*; "luxated" and "luxation" still meet).
#: 63: "disturbed" meets "disturbance" ("disturbed sleep": *Sleep abnormality*, by its
#: synonym "Sleep disturbance"; "a disturbed gait") and "atrium" "atrial" ("the left atrium
#: is dilated": *Left atrial enlargement*).
#: 64: a coordinated predicate's adverb that is a word of the name is read with it, as
#: version 61 reads the first ("the teeth are small and widely spaced").
#: 65: of terms tied for a span, one whose label it is goes before one whose synonym it is
#: ("Wide cavum septum pellucidum", since 59 a key of another term's synonym too).
#: 66, after a review: an adverb is read as a word of a predicate's name only when the name
#: goes on past it ("the TSH is highly suppressed" was *Elevated TSH*); "highly" is no
#: adverb of degree ("highly arched" was *Pes cavus*); "-ification" meets "-ified" as
#: "calcify", not "calcif" ("not specified" was *Specific learning disability*), "-otic"
#: meets "-osis" as "-osis" ("polio" was *Poliosis*), "lordotic" not at all (the normal
#: curve); "subluxed" meets "subluxation" and "subluxating" again; the bare ``-en`` verbs
#: meet their adjective ("Inability to straighten knee").
#: 67, from two reviews of false readings: a finding's context as case reports and letters
#: state it (a relative's finding denied, "her parents do not have hearing loss"; a clause
#: hedged, "it is possible that he has scoliosis", "if he has hypotonia"; a finding not ruled
#: out in full, "the EEG does not exclude epilepsy"; a clinician's negated opinion, "I don't
#: think he has ataxia"; a syndrome's or the literature's findings, "hypotonia is a
#: recognised feature of this syndrome"; a relative named after "in", "found in his sister,
#: who has nystagmus"), and words that here name no finding ("the short arm of chromosome
#: 4", "his weight falls on the 50th centile", "cancer risk", "ptotic breasts").
LINKING_VERSION = 67

#: Names (labels, synonyms) with more words than this are left out of the dictionary: no
#: text writes such a phrase, and each word is one level of the token trie (a trie of
#: ~1,000 levels cannot be saved as JSON). The longest names of HPO have 24 words (a
#: disease) and 14 (a phenotype class).
MAX_NAME_WORDS = 64

#: Weight of a match by the kind of name matched.
KIND_WEIGHT: dict[str, float] = {
    "label": 1.0,
    "exact": 1.0,
    "narrow": 0.9,
    "related": 0.8,
    "broad": 0.7,
}
#: Weight of a match by how the dictionary key was derived from the name.
VARIANT_WEIGHT: dict[str, float] = {
    "exact": 1.0,
    "hyphen": 1.0,
    "inverted": 0.95,
    "permuted": 0.9,
    "lexical": 0.9,
    "predicative": 0.9,
    "pattern": 0.85,
    "acronym": 0.95,
    "defined": 0.95,
    "composed": 0.9,
    "coordinated": 0.9,
    "gapped": 0.85,
    "denied": 0.9,
}

#: Confidence of a finding read from a measurement (a stated number against a definition).
MEASUREMENT_SCORE = 0.95
#: Confidence of a delay read from a milestone's stated age (a window, not a definition).
MILESTONE_SCORE = 0.9
#: Relatives who, as the subject of a milestone, make it theirs ("his brother walked at 3
#: years"); a son, daughter or child may be the patient ("the child walked at 3 years").
_MILESTONE_RELATIVES = frozenset(
    {
        "brother", "sister", "sibling", "sib", "mother", "father", "mom", "mum", "dad",
        "cousin", "aunt", "uncle", "twin", "grandmother", "grandfather", "parent",
        "nephew", "niece", "brothers", "sisters", "siblings", "sibs", "cousins", "aunts",
        "uncles", "twins", "parents", "nephews", "nieces",
    }
)  # fmt: skip


def _relative_subject(lowers: Sequence[str], i: int) -> bool:
    """Whether the words right before token ``i`` name a relative as its subject ("his
    brother", "her older sister also"), within three words and the same sentence."""
    for k in range(i - 1, max(-1, i - 4), -1):
        word = lowers[k]
        if word in _MILESTONE_RELATIVES:
            return True
        if word in (".", ";", ",", "and", "but", "he", "she", "they") or not word.isalpha():
            return False
    return False


_END = ""  # trie terminal key; never a token
_UNSET = object()
#: Key variants a gapped match may use: names in their own word order only.
_GAPPABLE = frozenset({"exact", "hyphen", "lexical"})
#: The variants of a treatment's name (encoders.procedures): in its own word order.
_TREATMENT_VARIANTS = _GAPPABLE
_ANY_VARIANT = frozenset(VARIANT_WEIGHT)
#: Variants whose candidate lists are built per match (not owned by the trie).
_PER_MATCH = frozenset({"gapped", "predicative"})


class RecordError(ValueError):
    """A record cannot be linked (missing fields, empty, too large or not UTF-8 text)."""


class InputTooLargeError(RecordError):
    """A text is longer than ``LinkerConfig.max_chars``."""


@dataclass(frozen=True)
class LinkerConfig:
    """Settings of a :class:`ConceptLinker`.

    Attributes:
        kinds: kinds of names used for matching (see ``kg.lexicon.NAME_KINDS``); a span
            named by several terms goes to the best kind (:data:`KIND_WEIGHT`), so a broad
            synonym links only what no other name covers. (default: every kind)
        allowed_roots: IRIs or CURIEs; only their descendants (and themselves) are linked.
            Empty: every term. Needs ``parents``. For HPO, ``("HP:0000118",)`` keeps
            phenotypic abnormalities and leaves out modifiers, onsets and inheritance modes.
            (default: ``()``)
        min_depth: terms fewer than this many ``is_a`` steps below an allowed root (or below
            a top-level term when there are no roots) are too general to link.
            (default: ``0``)
        min_name_chars: single-word names shorter than this are not matched, except
            acronyms. (default: ``3``)
        max_chars: texts longer than this are refused. (default: ``100_000``)
        context: detect negation, uncertainty and family history. (default: ``True``)
        include_family: keep findings of relatives in :func:`link_records` output.
            (default: ``False``)
        define_acronyms: link acronyms defined in the text, ``long form (ACR)``.
            (default: ``True``)
        allow_gap: let one extra word of the text sit inside a name (``brisk tendon
            reflexes`` -> ``Brisk reflexes``); never a function word or conjunction.
            (default: ``True``)
        measurements: read growth measurements stated with a centile or SD score as the
            HPO terms they meet (:mod:`encoders.measurements`), and a birth's gestational
            age before 37 weeks as *Premature birth* (:mod:`encoders.gestation`). Off by
            default: on ID-68 and the dev vignettes the terms it adds cost more than they
            give (README).
            (default: ``False``)
        milestones: read developmental milestones stated with an age past their window as
            the delay's term (:mod:`encoders.milestones`). Off by default: on ID-68 and the
            dev vignettes the terms it adds cost more than they give (docs/measurements.md).
            (default: ``False``)
        lab_values: read laboratory values outside their stated reference range as the
            terms their analyte's words name as ``low X`` or ``high X``
            (:mod:`encoders.lab_values`), and values of common analytes stated without a
            range outside built-in limits (:mod:`encoders.reference_intervals`).
            (default: ``True``)
        pregnancy_terms: IRIs or CURIEs of findings of a pregnancy that are the fetus's
            when the text says the mother had them ("the mother had polyhydramnios"): never
            read as a relative's finding in a sentence that names the mother. For HPO
            (:func:`default_linker_config`): :data:`HPO_PREGNANCY_TERMS`. (default: ``()``)
    """

    kinds: tuple[str, ...] = ("label", "exact", "narrow", "related", "broad")
    allowed_roots: tuple[str, ...] = ()
    min_depth: int = 0
    min_name_chars: int = 3
    max_chars: int = 100_000
    context: bool = True
    include_family: bool = False
    define_acronyms: bool = True
    allow_gap: bool = True
    measurements: bool = False
    milestones: bool = False
    lab_values: bool = True
    pregnancy_terms: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        unknown = set(self.kinds) - set(NAME_KINDS)
        if unknown:
            raise ValueError(f"unknown name kinds {sorted(unknown)}; choose from {NAME_KINDS}")
        if self.max_chars < 1:
            raise ValueError("max_chars must be positive")


@dataclass(frozen=True)
class Mention:
    """One linked concept mention.

    Attributes:
        start: character offset of the mention in the text.
        end: character offset one past its end.
        text: the mention as written.
        iri: IRI of the term.
        curie: compact form of the IRI.
        label: preferred label of the term.
        excluded: the finding is ruled out (negated).
        score: match confidence in [0, 1] (dictionary weights or dense cosine).
        uncertain: the finding is hedged.
        family: the finding belongs to a relative, not the patient.
        source: ``dictionary``, ``acronym``, ``defined`` (acronym defined in the text),
            ``dense``, ``measurement``, ``milestone``, ``laboratory`` or ``procedure`` (a
            treatment done only for the finding: :mod:`encoders.procedures`).
        matched: the dictionary name (or nearest name) that matched; for a measurement,
            the quantity and the number read (``height -2.5 SD``); for a milestone, the
            milestone and its age (``walking alone at 22 months``); for a laboratory value,
            the phrase it was read as (``low serum phosphate``).
    """

    start: int
    end: int
    text: str
    iri: str
    curie: str
    label: str
    excluded: bool = False
    score: float = 1.0
    uncertain: bool = False
    family: bool = False
    source: str = "dictionary"
    matched: str = ""

    def to_record(self) -> dict[str, Any]:
        """The contract's mention dict (``start end text curie iri label excluded score
        uncertain family``)."""
        return {
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "curie": self.curie,
            "iri": self.iri,
            "label": self.label,
            "excluded": self.excluded,
            "score": round(self.score, 4),
            "uncertain": self.uncertain,
            "family": self.family,
        }

    def as_dict(self) -> dict[str, Any]:
        """Every field."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class _Name:
    iri: str
    text: str
    kind: str
    synonym_type: str | None


@dataclass(slots=True)
class _Match:
    i: int  # first token
    j: int  # one past the last token
    candidates: list[tuple[int, str]] = field(default_factory=list)  # (name id, variant)
    source: str = "dictionary"
    denied: bool = False  # a predicate the text denies: "the liver was not enlarged"
    relative: bool = False  # a relative's milestone: "his brother walked at 3 years"


class _PhraseReading(Protocol):
    """What a reader of numbers or statements gives (:class:`encoders.examination.
    ExaminationFinding`, ...): a dictionary phrase over characters ``[start, end)``."""

    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...
    @property
    def phrase(self) -> str: ...


#: A match with its chosen term: (match, iri, score, matched name).
_Scored = tuple[_Match, str, float, str]
#: A linked mention before it becomes a Mention or a record:
#: (start, end, iri, score, matched name, source, context).
_Found = tuple[int, int, str, float, str, str, ContextResult]
_NO_CONTEXT = ContextResult()


#: What brings findings on, as a text writes it -> as narrower terms' names write it first
#: ("Fever induced seizures", "Exercise-induced myalgia", "Cold-induced muscle cramps",
#: "Fasting hypoglycemia"): :meth:`ConceptLinker._induced_forms`.
_INDUCERS = {
    "fever": "fever",
    "fevers": "fever",
    "febrile": "fever",
    "pyrexia": "fever",
    "exercise": "exercise",
    "exertion": "exercise",
    "exercising": "exercise",
    "effort": "exercise",
    "cold": "cold",
    "fasting": "fasting",
    "alcohol": "alcohol",
}
#: The words a name writes before a finding for each inducer ("Febrile seizure",
#: "Exertional dyspnea") besides "<inducer> induced".
_INDUCED_ADJECTIVES = {"fever": ("febrile",), "exercise": ("exertional",), "fasting": ("fasting",)}
#: After a finding: "were (often) triggered by (a) fever", "during (febrile) illnesses",
#: "on exertion", "after exercise", "in the context of fever".
_INDUCING_VERBS = frozenset(
    {"triggered", "provoked", "precipitated", "induced", "elicited", "brought"}
)
_INDUCING_PREPOSITIONS = frozenset(
    {"during", "with", "on", "upon", "after", "following", "when", "while"}
)
_INDUCING_SKIPPED = frozenset(
    {
        "was",
        "were",
        "is",
        "are",
        "been",
        "being",
        "often",
        "usually",
        "typically",
        "mostly",
        "mainly",
        "always",
        "only",
        "repeatedly",
        "frequently",
        "sometimes",
        "invariably",
        "consistently",
        "on",  # "brought on by"
        "by",
        "a",
        "an",
        "the",
        "episodes",
        "of",
        "high",
        "intercurrent",
        "prolonged",
        "strenuous",
        "mild",
        "minor",
        "physical",
        "in",
        "context",
        "setting",
        "occurred",
        "occur",
        "occurs",
        "occurring",
        "appeared",
        "began",
        "started",
    }
)
_INDUCER_WINDOW = 7

#: words before "episode of X" that say it recurs ("each episode of fever")
_RECURRENCE_WORDS = frozenset(
    {
        "each",
        "every",
        "another",
        "recurrent",
        "repeated",
        "further",
        "frequent",
        "multiple",
        "several",
        "many",
        "recurring",
        "intermittent",
        "new",
    }
)


def _identifier(norm: str) -> bool:
    """Whether a word is a letter or a number that tells one thing of a kind from another
    ("protein [B] deficiency", "type [2]"): no gap of a name skips it, since the name's own
    letter may be one the index leaves out ("Protein S deficiency"; since linking version
    49)."""
    return len(norm) == 1 or norm.isdigit()


#: Words that count episodes as more than one: "three episodes of", "his fourth episode of",
#: "two pneumonias" (since linking version 48).
_COUNTS = frozenset({"two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"})
_ORDINALS = frozenset({"second", "third", "fourth", "fifth", "sixth", "seventh", "eighth"})
_COUNT_WORDS = _COUNTS | _ORDINALS | {"multiple", "several", "repeated", "numerous"}
_EPISODE_WORDS = frozenset({"episode", "episodes", "bouts", "bout", "attacks", "courses"})


def _count_before(lowers: Sequence[str], i: int) -> int | None:
    """Where a count of more than one episode starts right before the finding at ``i``:
    "[three episodes of] otitis media", "[his fourth episode of] pneumonia", "[two]
    pneumonias", "[multiple] pneumonias"; else None."""
    k = i - 1
    if k >= 1 and lowers[k] == "of" and lowers[k - 1] in _EPISODE_WORDS:
        k -= 2
    elif not (k >= 0 and lowers[k] in _COUNT_WORDS):
        return None
    if k < 0:
        return None
    word = lowers[k]
    if word in _ORDINALS:
        return k if lowers[k + 1] in ("episode", "bout", "attack") else None
    if word in _COUNT_WORDS or (word.isdigit() and int(word) > 1):
        return k
    return None


def _inducer_after(lowers: Sequence[str], j: int) -> str | None:
    """What the words after a finding ending at ``j`` say brings it on, or None:
    "seizures were often triggered by a high fever", "myalgia on exertion", "seizures in
    the context of fever"."""
    n = len(lowers)
    if j >= n:
        return None
    k, linked = j, False
    while k < n and k - j < _INDUCER_WINDOW:
        w = lowers[k]
        if w in _INDUCERS:
            return _INDUCERS[w] if linked else None
        if w in _INDUCING_VERBS or w in _INDUCING_PREPOSITIONS or w == "context" or w == "setting":
            linked = True
        elif w not in _INDUCING_SKIPPED:
            return None
        k += 1
    return None


def _inducer_before(lowers: Sequence[str], i: int) -> str | None:
    """What the words before a finding starting at ``i`` say brings it on, or None:
    "fever-triggered seizures", "exercise-related cramps"."""
    if i >= 2 and lowers[i - 2] in _INDUCERS and lowers[i - 1] in _BEFORE_INDUCED:
        return _INDUCERS[lowers[i - 2]]
    return None


_BEFORE_INDUCED = frozenset(
    {"triggered", "provoked", "precipitated", "induced", "related", "associated"}
)


def _induced_names(inducer: str, finding: str) -> list[str]:
    """Names of the narrower term a finding brought on by ``inducer`` may have."""
    return [f"{inducer} induced {finding}"] + [
        f"{adjective} {finding}" for adjective in _INDUCED_ADJECTIVES.get(inducer, ())
    ]


def _descendants_depths(
    parents: Mapping[str, Sequence[str]], roots: Sequence[str]
) -> dict[str, int]:
    """Shortest ``is_a`` distance from ``roots`` (or from parentless terms) to each term."""
    children: dict[str, list[str]] = defaultdict(list)
    nodes: set[str] = set(parents)
    for child, ps in parents.items():
        for p in ps:
            children[p].append(child)
            nodes.add(p)
    starts = list(roots) if roots else [n for n in nodes if not parents.get(n)]
    depth: dict[str, int] = {r: 0 for r in starts}
    queue = deque(starts)
    while queue:
        node = queue.popleft()
        for c in children.get(node, ()):
            if c not in depth:
                depth[c] = depth[node] + 1
                queue.append(c)
    return depth


class ConceptLinker:
    """Dictionary (and optionally dense) concept recognition with context detection.

    Args:
        lexicon: the names of the terms to recognise.
        config: the settings; defaults to :class:`LinkerConfig` ``()``.
        parents: ``is_a`` parent map (IRI -> parent IRIs), used to keep the most specific
            term and for ``allowed_roots`` / ``min_depth``. (default: ``None``)
        ancestors: alternative to ``parents`` for the most-specific decision: a callable
            giving the (strict) ancestors of an IRI. (default: ``None``)
        dense: a :class:`encoders.dense.DenseMatcher` for what the dictionary misses.
            (default: ``None``)
        context_rules: negation/uncertainty/family rules; None for the built-in English set.
        index_folder: a folder where the dictionary index is saved once built and read back
            by later processes with the same names and settings (:mod:`encoders.linker_index`;
            ~10x faster than building it). (default: ``None``: built each time)

    Raises:
        ValueError: ``allowed_roots`` or ``min_depth`` set without ``parents``.
    """

    def __init__(
        self,
        lexicon: Lexicon,
        config: LinkerConfig | None = None,
        *,
        parents: Mapping[str, Sequence[str]] | None = None,
        ancestors: Callable[[str], AbstractSet[str]] | None = None,
        dense: DenseMatcher | None = None,
        context_rules: ContextRules | None = None,
        index_folder: Path | None = None,
    ) -> None:
        self.config = config or LinkerConfig()
        if (self.config.allowed_roots or self.config.min_depth) and parents is None:
            raise ValueError("allowed_roots and min_depth need the is_a parent map (parents=)")
        self.parents = parents
        self._ancestors_fn = ancestors
        self._ancestor_cache: dict[str, frozenset[str]] = {}
        self._choice_cache: dict[int, Any] = {}
        self._curies: dict[str, str] = {}
        self.dense = dense
        self.context_rules = context_rules or ContextRules()
        self.labels = lexicon.labels()
        self._allowed = self._allowed_terms(lexicon)
        self._pregnancy = frozenset(to_iri(t) for t in self.config.pregnancy_terms)
        self._names: list[_Name] = []
        self._person_adjectives: dict[str, str] | None = None
        self._person_words: frozenset[str] = _STATURE_WORDS  # with person_adjectives' keys
        self._trie: dict[str, Any] = {}
        self._acronyms: dict[str, list[tuple[int, str]]] = defaultdict(list)
        self.vocabulary: set[str] = set()
        self._obsolete = lexicon.obsolete
        self._index_source = "built"
        self._lessened = LessenedNames({})
        lexicon = self._without_overlong_names(lexicon)
        if index_folder is None:
            with gc_paused():
                self._build(lexicon)
        else:
            self._build_or_load(lexicon, index_folder)
        # Each acronym as written alone and with a plural s ("VSD", "VSDs").
        self._acronym_forms: dict[str, list[tuple[int, str]]] = {}
        for key, hits in self._acronyms.items():
            self._acronym_forms[key] = hits
            self._acronym_forms.setdefault(key + "s", hits)
        # Normalised forms that may start a match: a name's first word or an acronym.
        self._acronym_norms = frozenset(map(normalize_token, self._acronym_forms))
        self._starters = frozenset(self._trie) | self._acronym_norms
        # (term, name) of the treatments that imply their finding (encoders.procedures)
        self._treatments = frozenset(
            (n.iri, n.text) for n in self._names if n.synonym_type == TREATMENT_TYPE
        )
        self._removals = {to_iri(c): frozenset(words) for c, words in GLAND_REMOVALS.items()}
        self._removal_words = frozenset().union(*self._removals.values())
        self._candidate_vocabulary = self.vocabulary | (dense.vocabulary if dense else set())
        logger.info(
            "linker: %d names of %d terms (%d acronyms), index %s",
            len(self._names),
            len({n.iri for n in self._names}),
            len(self._acronyms),
            self._index_source,
        )

    # ------------------------------------------------------------------ building
    def _allowed_terms(self, lexicon: Lexicon) -> set[str] | None:
        if self.parents is None or not (self.config.allowed_roots or self.config.min_depth):
            return None
        roots = [to_iri(r) for r in self.config.allowed_roots]
        _check_roots(self.config.allowed_roots, roots, self.parents, lexicon)
        depth = _descendants_depths(self.parents, roots)
        if not roots:
            # Terms with no is_a in the map are top-level (depth 0).
            for e in lexicon:
                depth.setdefault(e.iri, 0)
        return {t for t, d in depth.items() if d >= self.config.min_depth}

    def _without_overlong_names(self, lexicon: Lexicon) -> Lexicon:
        """``lexicon`` without the names of more than :data:`MAX_NAME_WORDS` words, with one
        warning that counts those the dictionary would have held and names one."""
        limit = MAX_NAME_WORDS
        # a word is at least one character: only names longer than the limit are split
        overlong = [
            e for e in lexicon if len(e.text) > limit and len(content_tokens(e.text)) > limit
        ]
        if not overlong:
            return lexicon
        used = [e for e in overlong if e.kind in self.config.kinds and self.is_linkable(e.iri)]
        if used:
            example = used[0]
            words = example.text.split()
            logger.warning(
                "linker: %d name(s) of more than %d words left out of the dictionary "
                "(no text writes such a phrase), e.g. %s %s %r (%d words)",
                len(used),
                limit,
                example.kind,
                example.iri,
                " ".join(words[:8]) + (" ..." if len(words) > 8 else ""),
                len(content_tokens(example.text)),
            )
        dropped = {id(e) for e in overlong}
        return Lexicon([e for e in lexicon if id(e) not in dropped], lexicon.obsolete)

    def is_linkable(self, iri: str) -> bool:
        """Whether a term may be linked (not obsolete, under the roots, deep enough)."""
        if iri in self._obsolete:
            return False
        return self._allowed is None or iri in self._allowed

    def _build_or_load(self, lexicon: Lexicon, folder: Path) -> None:
        """The index saved in ``folder`` for these names and settings, else built and saved
        there (:mod:`encoders.linker_index`)."""
        allowed = sorted(self._allowed) if self._allowed is not None else None
        settings = {
            "kinds": self.config.kinds,
            "min_name_chars": self.config.min_name_chars,
            "allowed": allowed,  # what the roots and depth let through, not how they are named
        }
        key = index_key(lexicon, settings, self.parents, LINKING_VERSION)
        saved = load_index(folder, key)
        if saved is not None:
            with gc_paused():
                problem = self._restore(saved)
            if problem is None:
                self._index_source = "saved"
                return
            logger.warning("linker index in %s not used (%s); building it again", folder, problem)
        with gc_paused():
            self._build(lexicon)
        index = {
            "names": [[n.iri, n.text, n.kind, n.synonym_type] for n in self._names],
            "trie": self._trie,
            "acronyms": self._acronyms,
            "vocabulary": sorted(self.vocabulary),
            "lessened": self._lessened.rows(),
        }
        save_index(folder, key, index)

    def _restore(self, saved: dict[str, Any]) -> str | None:
        """Take the index of a saved file (its digest checked by
        :func:`encoders.linker_index.load_index`): names of four fields and a known kind.
        Returns what is wrong, else None."""
        names: list[_Name] = []
        try:
            for iri, text, kind, synonym_type in saved["names"]:
                if not (isinstance(iri, str) and isinstance(text, str) and kind in KIND_WEIGHT):
                    return f"name {len(names)} is not a name"
                names.append(_Name(iri, text, kind, synonym_type))
        except (ValueError, TypeError) as exc:
            return f"name {len(names)}: {exc}"
        try:
            lessened = LessenedNames.from_rows(saved.get("lessened"), len(names))
        except ValueError as exc:
            return str(exc)
        self._names, self._trie, self._lessened = names, saved["trie"], lessened
        self._acronyms = defaultdict(list, saved["acronyms"])
        self.vocabulary = set(map(str, saved["vocabulary"]))
        return None

    def _build(self, lexicon: Lexicon) -> None:
        kinds = set(self.config.kinds)
        seen: set[tuple[str, str, str]] = set()
        for entry in lexicon:
            if entry.kind not in kinds or not self.is_linkable(entry.iri):
                continue
            text = entry.text.strip()
            if not text or (entry.iri, text, entry.kind) in seen:
                continue
            seen.add((entry.iri, text, entry.kind))
            name_id = len(self._names)
            self._names.append(_Name(entry.iri, text, entry.kind, entry.synonym_type))
            if " " not in text and is_acronym(text):
                self._acronyms[text.removesuffix("s") if text.endswith("s") else text].append(
                    (name_id, "acronym")
                )
                continue
            treatment = entry.synonym_type == TREATMENT_TYPE
            for key, variant in phrase_variants(text).items():
                if len(key) == 1 and len(key[0]) < self.config.min_name_chars:
                    continue
                if treatment and variant not in _TREATMENT_VARIANTS:
                    continue  # "replacement for an aortic root" is no "aortic root replacement"
                self._insert(key, name_id, variant)
        for name_id, key in denied_keys([n.text for n in self._names]):
            if self._names[name_id].synonym_type == TREATMENT_TYPE:
                continue  # a treatment not done is read by _read_treatments
            node = self._walk(key)
            if node is None or _END not in node:  # "no eyeball" is a name of its own
                self._insert(key, name_id, DENIED)
        if self.parents is not None:
            self._compose_names()
        self._lessened = LessenedNames.from_names(
            [(n.iri, n.text) for n in self._names], self.labels
        )

    def _insert(self, key: tuple[str, ...], name_id: int, variant: str) -> None:
        node = self._trie
        for tok in key:
            node = node.setdefault(tok, {})
        node.setdefault(_END, []).append((name_id, variant))
        self.vocabulary.update(t for t in key if t != COMMA)

    def _compose_names(self, max_extra: int = 2) -> None:
        """Give a child the parent's synonyms, with the words its own name adds.

        When a name of a term is a name of its parent plus at most ``max_extra`` words
        (``Profound global developmental delay`` = ``profound`` + ``Global developmental
        delay``), the term is also indexed under every other name of the parent plus those
        words (``profound developmental delay``). Composed names weigh less than real ones,
        so they never displace an existing name of another term.
        """
        parents = self.parents or {}
        by_term: dict[str, list[tuple[int, tuple[str, ...]]]] = defaultdict(list)
        # a parent's treatments compose treatments of the child, names of their own that
        # _read_treatments reads as treatments ("bilateral orchidopexy [was not
        # performed]": *Bilateral cryptorchidism*'s)
        treatments_of: dict[str, list[tuple[str, tuple[str, ...]]]] = defaultdict(list)
        for name_id, name in enumerate(self._names):
            if name.kind in ("label", "exact"):
                key = content_tokens(name.text)
                if not key:
                    continue
                if name.synonym_type == TREATMENT_TYPE:
                    treatments_of[name.iri].append((name.text, key))
                else:
                    by_term[name.iri].append((name_id, key))
        added = 0
        for child, child_names in by_term.items():
            for parent in parents.get(child, ()):
                parent_names = by_term.get(parent)
                if not parent_names:
                    continue
                extras: set[tuple[str, ...]] = set()
                for _, ck in child_names:
                    cbag = set(ck)
                    for _, pk in parent_names:
                        new_words = cbag - set(pk)
                        if (
                            not new_words & JOINERS  # "and spleen" + "Hepatomegaly"
                            and set(pk) < cbag
                            and len(new_words) <= max_extra
                            and len(ck) == len(pk) + len(new_words)
                        ):
                            extras.add(tuple(t for t in ck if t in new_words))
                child_id = child_names[0][0]
                for words in extras:
                    for _, pk in parent_names:
                        for key in (words + pk, pk + words):
                            if self._named_otherwise(key, child):
                                continue
                            self._insert(key, child_id, "composed")
                            added += 1
                    # in the treatment's own order only, the child's words first
                    # ("bilateral orchidopexy"): a reversed key skips the stop words
                    # between and takes a finding's words ("antiepileptic drugs for
                    # prolonged febrile seizures")
                    for text, tk in treatments_of.get(parent, ()):
                        key = words + tk
                        if self._named_otherwise(key, child):
                            continue
                        # shown as the child's name writes its words ("bilateral
                        # orchidopexy"), not their stems ("sever")
                        raw = self._names[child_id].text.lower().split()
                        shown = [w for w in raw if set(content_tokens(w)) & set(words)]
                        extra = " ".join(shown if len(shown) == len(words) else words)
                        self._names.append(_Name(child, f"{extra} {text}", "exact", TREATMENT_TYPE))
                        self._insert(key, len(self._names) - 1, "composed")
                        added += 1
        logger.debug("linker: %d composed names", added)

    def _named_otherwise(self, key: tuple[str, ...], iri: str) -> bool:
        """Whether ``key`` is already a real name (not a composed one) of a term other than
        ``iri``: a composed name never displaces it (since linking version 53; "generalized
        seizures" is *Generalized-onset seizure*'s, not *Bilateral tonic-clonic seizure*'s
        through its "Generalized convulsion" once "convulsion" names *Seizure*)."""
        node = self._walk(key)
        return node is not None and any(
            variant != "composed" and self._names[name_id].iri != iri
            for name_id, variant in node.get(_END, ())
        )

    # ------------------------------------------------------------------ ontology helpers
    def ancestors(self, iri: str) -> frozenset[str]:
        """Strict ancestors of a term (from ``ancestors=`` or the ``parents`` map)."""
        cached = self._ancestor_cache.get(iri)
        if cached is not None:
            return cached
        if self._ancestors_fn is not None:
            out = frozenset(self._ancestors_fn(iri)) - {iri}
        elif self.parents is not None:
            acc: set[str] = set()
            stack = list(self.parents.get(iri, ()))
            while stack:
                p = stack.pop()
                if p not in acc:
                    acc.add(p)
                    stack.extend(self.parents.get(p, ()))
            out = frozenset(acc)
        else:
            out = frozenset()
        self._ancestor_cache[iri] = out
        return out

    def _choose(self, candidates: Sequence[tuple[int, str]]) -> tuple[str, float, str] | None:
        """Best term for one span: best-weighted name, then the most specific term, then
        a term whose label it is over one whose synonym it is (since linking version 65: "wide
        cavum septum pellucidum" is its own term's label and another's synonym "Widened
        cavum septum pellucidum" once both stems meet)."""
        best: dict[str, tuple[float, str]] = {}
        for name_id, variant in candidates:
            name = self._names[name_id]
            w = KIND_WEIGHT[name.kind] * VARIANT_WEIGHT[variant]
            if name.iri not in best or w > best[name.iri][0]:
                best[name.iri] = (w, name.text)
        top = max(w for w, _ in best.values())
        terms = sorted(t for t, (w, _) in best.items() if w >= top - 1e-9)
        if len(terms) > 1:
            covered: set[str] = set()
            for t in terms:
                covered |= self.ancestors(t)
            specific = [t for t in terms if t not in covered]
            terms = specific or terms
        if len(terms) > 1:  # the terms whose label is among their best names
            labelled = {
                name.iri
                for name_id, variant in candidates
                if (name := self._names[name_id]).kind == "label"
                and KIND_WEIGHT["label"] * VARIANT_WEIGHT[variant] >= best[name.iri][0] - 1e-9
            }
            terms = [t for t in terms if t in labelled] or terms
        if len(terms) > 1 and all(v in ("acronym",) for _, v in candidates):
            return None  # an ambiguous acronym is not linked
        iri = terms[0]
        return iri, best[iri][0], best[iri][1]

    # ------------------------------------------------------------------ matching
    def _dictionary_matches(self, tokens: TokenTable) -> list[_Match]:
        norms, raws = tokens.norms, tokens.raws
        n = len(norms)
        trie, stop, acronyms = self._trie, STOPWORDS, self._acronym_forms
        gap, no_skip = self.config.allow_gap, _FUNCTION_WORDS
        copulas, measures = _COPULA_STARTS, _MEASURE_WORDS
        conjuncts: dict[int, Any] = {}  # position -> _conjuncts(tokens, position), memoised
        lowers, seps = tokens.lowers, _SEPARATORS
        matches: list[_Match] = []
        # Only tokens that start a name or are an acronym need a look (C-level scans);
        # stop words never start a name.
        acronym_norms = self._acronym_norms
        starts: Iterable[int] = itertools.compress(
            range(n), map(self._starters.__contains__, norms)
        )
        # "non-X" is read as the one word "nonX" first ("non-progressive" as in the name
        # "Nonprogressive ..."); its start is given as ~i (negative) and the word X read
        # as usual after it.
        joined = _non_prefixed(tokens) if "non" in lowers else {}
        if joined:
            starts = itertools.chain(starts, (~i for i in joined))
        for i in starts:
            if i < 0:
                i = ~i
                j = i + 1
                node = trie.get(joined[i])
            else:
                if norms[i] in acronym_norms:
                    hit = acronyms.get(raws[i])
                    if hit is not None and not _other_sense(tokens, i):
                        matches.append(_Match(i, i + 1, list(hit), "acronym"))
                node = trie.get(norms[i])
                j = i
            first = j  # the first word read
            prev: Any = trie  # the node before the word matched last
            gapped = coordinated = across_comma = False
            gappable = _GAPPABLE
            # Walks left to take: a name that goes on with its own "and"/"or" ("Sparse or
            # absent eyelashes") is read as written as well as across the coordination.
            forks: list[tuple[int, Any, Any, bool, bool]] = []
            while True:
                while node is not None:
                    term = node.get(_END)
                    if term is not None and across_comma and not _ends_an_item(tokens, j + 1):
                        term = None  # "intellectual disability, severe [hypotonia]"
                    if term is not None:
                        if coordinated:
                            in_order = _in_word_order(term, lowers, i, j + 1)
                            shared = [(k, "coordinated") for k, _ in in_order]
                            if shared:
                                matches.append(_Match(i, j + 1, shared, "coordinated"))
                        else:
                            if gapped:
                                term = [(k, "gapped") for k, v in term if v in gappable]
                            if term:
                                matches.append(_Match(i, j + 1, term))
                    last = j
                    j += 1
                    while j < n and norms[j] in stop:
                        j += 1
                    if j >= n:
                        break
                    if (
                        lowers[j] == COMMA
                        and j == last + 1
                        and not (gapped or coordinated)
                        and j + 1 < n
                        and norms[j + 1] in node.get(COMMA, ())
                    ):
                        # A name written with its comma, as a list of names writes it:
                        # "Intellectual disability, severe, and microcephaly".
                        prev, node, j, across_comma = node, node[COMMA][norms[j + 1]], j + 1, True
                        continue
                    if lowers[j] in seps and j == last + 1 and not coordinated:
                        # The word matched last is the first of coordinated words.
                        items = conjuncts.get(last, _UNSET)
                        if items is _UNSET:
                            items = conjuncts[last] = _conjuncts(tokens, last)
                        if items and last > first and not _modifies_next(tokens, items[-1]):
                            # Each other conjunct after the shared words: "contractures of hands
                            # and [knees]", "dilatation of the lateral and [third ventricles]";
                            # not one that names a test's specimen (since linking version 55).
                            matches.extend(_distribute(tokens, i, prev, node, items))
                        if items:
                            # They share the next head: "dilatation of the lateral [and third]
                            # ventricles". Not after a plural noun ("seizures and generalized
                            # tonic ..."), nor over a degree word, which modifies only what
                            # follows it ("the corpus callosum and mild atrophy").
                            head = items[-1] + 1
                            if (
                                head < n
                                and norms[head] in node
                                and singularize(lowers[last]) == lowers[last]
                                and not any(norms[k] in _DEGREE_WORDS for k in items[1:])
                            ):
                                if not gapped and norms[j] in node:
                                    forks.append((j, node[norms[j]], node, across_comma, False))
                                prev, node, j, coordinated = node, node[norms[head]], head, True
                                continue
                    if norms[j] == BREAK:
                        # a mark the name writes too, with no space around it, is read as
                        # one of its words: "lactate:pyruvate ratio", "1,5-anhydroglucitol"
                        mark = tight_mark(tokens, j) if j == last + 1 else None
                        nxt = node.get(mark) if mark is not None else None
                        if nxt is None:
                            break
                    else:
                        nxt = node.get(norms[j])
                        if (
                            nxt is not None
                            and gap
                            and not (gapped or coordinated)
                            and j + 1 < n
                            and norms[j + 1] in node
                            and norms[j] not in no_skip
                            and not _identifier(norms[j])
                        ):
                            # The word is also the extra word of a gap: "hyperpigmented
                            # [skin] lesions", where a name goes on with "skin" too
                            # ("Hyperpigmented skin patches").
                            forks.append((j + 1, node[norms[j + 1]], node, across_comma, True))
                    if (
                        nxt is None
                        and j + 1 < n
                        and lowers[j + 1] in seps
                        and (j == last + 1 or (j == last + 2 and lowers[last + 1] == "to"))
                    ):
                        # A word that no name continues with, coordinated with others that one
                        # may: "decreased power, tone and [reflexes]"; not over a preposition
                        # ("negative for tremor and chorea" is no "Negative chorea"), but over
                        # an infinitive's "to": "unable to sit or [walk]" (since linking
                        # version 48).
                        items = conjuncts.get(j, _UNSET)
                        if items is _UNSET:
                            items = conjuncts[j] = _conjuncts(tokens, j)
                        if items and not _modifies_next(tokens, items[-1], norms[j]):
                            matches.extend(_distribute(tokens, i, node, None, items))
                    if nxt is None and norms[j] in measures:
                        # "serum creatinine [levels] increased", "elevated [levels of] lactate":
                        # a measured quantity's noun.
                        k = j + 1
                        while k < n and norms[k] in stop:
                            k += 1
                        if k < n and (norms[k] in copulas or norms[k] in node):
                            j = k
                            nxt = node.get(norms[j])
                    copula = norms[j] in copulas
                    if (
                        nxt is not None
                        and copula
                        and not gapped
                        and j > i
                        and not _of_before(lowers, i)
                    ):
                        # a name that goes on with the copula's word ("Whites of eyes are a
                        # bluish-gray color", inverted) leaves the subject's predicate to be
                        # read too: "his eyes are wide apart" (since linking version 54); not
                        # another noun's ("the whites of her eyes are blue")
                        predicate = _predicate_match(tokens, i, j, node)
                        if predicate is not None:
                            matches.append(predicate)
                    if (
                        nxt is None
                        and not gapped
                        and (copula or norms[j] in _MODAL_COPULAS or lowers[j] == "not")
                    ):
                        # A predicate after its subject: "speech is severely delayed"; a
                        # modal's, only "the knees could not be fully extended"
                        predicate = _predicate_match(tokens, i, j, node)
                        if predicate is not None:
                            if coordinated:
                                predicate.source = "coordinated"
                            matches.append(predicate)
                            # "the skin was soft and hyperextensible": each predicate
                            matches.extend(_coordinated_predicates(tokens, predicate, node))
                        if copula or predicate is not None:
                            break
                    if (
                        nxt is None
                        and gap
                        and not (gapped or coordinated)
                        and norms[j] not in no_skip
                        and not _identifier(norms[j])
                    ):
                        # One modifier right before a word of a name: "brisk [tendon] reflexes",
                        # or a generic head noun before a preposition: "spastic [movements] of
                        # the upper limbs".
                        k = j + 1
                        if norms[j] in _GENERIC_HEADS:
                            while k < n and norms[k] in stop:
                                k += 1
                        if k < n and norms[k] != BREAK:
                            nxt = node.get(norms[k])
                            if nxt is not None:
                                # Next to a preposition the name is inverted ("laxity of the
                                # [major] joints", "spastic [movements] of the limbs");
                                # elsewhere only a name in its own word order may take the
                                # extra word, so "urine [organic] acid" is not "Acidic urine".
                                inverted = norms[j - 1] in stop or k > j + 1
                                gappable = _ANY_VARIANT if inverted else _GAPPABLE
                                gapped, j = True, k
                    prev, node = node, nxt
                if not forks:
                    break
                j, node, prev, across_comma, gapped = forks.pop()
                coordinated = False
                gappable = _GAPPABLE
        return matches

    @staticmethod
    def _resolve_overlaps(scored: list[_Scored]) -> list[_Scored]:
        """Longest match first (then higher score, then earlier); drop overlapping ones."""
        scored.sort(key=lambda m: (-(m[0].j - m[0].i), -m[2], m[0].i))
        taken: set[int] = set()
        kept = []
        for item in scored:
            m = item[0]
            span = range(m.i, m.j)
            if any(k in taken for k in span):
                continue
            taken.update(span)
            kept.append(item)
        kept.sort(key=lambda m: m[0].i)
        return kept

    def _walk(self, words: Iterable[str], node: Any = None) -> Any:
        """The trie node that ``words`` lead to from ``node`` (the root by default); None
        where no name continues with them."""
        node = self._trie if node is None else node
        for tok in words:
            node = node.get(tok)
            if node is None:
                return None
        return node

    def _coordinated_term(self, node: Any) -> tuple[str, float, str] | None:
        """The term of the name that a coordination's words complete at ``node``, or None."""
        if node is None or _END not in node:
            return None
        return self._choose([(name_id, "coordinated") for name_id, _ in node[_END]])

    def _refined_by_gapped(
        self, tokens: TokenTable, kept: list[_Scored], gapped: list[_Scored]
    ) -> list[_Scored]:
        """``kept`` with a contiguous match replaced by a gapped one that reads a modifier
        and one more word before it, where the gapped term is a descendant of its term:
        "proximal dominant muscle weakness" is *Proximal muscle weakness*, not *Muscle
        weakness*. A contiguous match that takes the extra word ("prominent [deformed
        ears]") or starts the gapped one, or a gapped term that is no refinement, stays; but a
        gapped name whose extra word is a report verb after a test's name takes the matches
        of its result ("EMG showed myotonic discharges")."""
        lowers = tokens.lowers
        for g in gapped:
            m, iri = g[0], g[1]
            inside = [x for x in kept if x[0].i < m.j and m.i < x[0].j]
            if not inside:
                continue
            if (
                len(inside) == 1
                and (inside[0][0].i, inside[0][0].j) == (m.i + 2, m.j)
                and inside[0][1] in self.ancestors(iri)
            ) or (
                # a test's name, a report verb, its result: "EMG showed myotonic discharges"
                # is *EMG: myotonic discharges*, not the *Myotonia* of "myotonic"
                lowers[m.i + 1] in _REPORT_VERBS
                and all(m.i + 2 <= x[0].i and x[0].j <= m.j for x in inside)
            ):
                kept = sorted([x for x in kept if x not in inside] + [g], key=lambda x: x[0].i)
        return kept

    def _coordinated(
        self, tokens: TokenTable, kept: list[_Scored], max_conjuncts: int = 3
    ) -> list[_Scored]:
        """Terms named by coordinated modifiers sharing one head.

        In ``axial and appendicular hypotonia`` or ``long, thin and hyperextensible fingers``
        the words before the linked mention replace its first word in turn; each
        combination that is a name gives a mention spanning from the modifier to the head.
        Where the mention's own modifier is longer than a word (``prominent and low-set
        ears``, ``small and posteriorly rotated ears``), the modifier before it replaces the
        whole of it when replacing its first word names nothing (*Protruding ear*).
        """
        norms, raws = tokens.norms, tokens.raws
        covered = {k for m, *_ in kept for k in range(m.i, m.j)}
        out = []
        for m, _, _, matched in kept:
            if m.source != "dictionary" or m.j - m.i < 2:
                continue
            if m.i == 0 or norms[m.i - 1] not in ("and", "or"):
                continue  # no conjunction right before it: nothing coordinated
            # the mention's words after its first, then after its first two, ... (its head)
            rests = [
                rest
                for w in range(1, m.j - m.i)
                if (rest := [t for t in norms[m.i + w : m.j] if t not in STOPWORDS])
            ]
            k = m.i - 1
            named = False  # the conjunct before named a term with the head
            for step in range(max_conjuncts):
                if k >= 0 and (norms[k] in ("and", "or") or (step and raws[k] == ",")):
                    k -= 1
                elif step == 0:
                    # The modifier next to the head is joined by a conjunction ("X and Y
                    # head", "X, Y and Z head"); a comma alone separates findings of a
                    # list ("facial dysmorphism, prominent forehead").
                    break
                elif not named:
                    # since linking version 46: a word before a conjunct that named nothing
                    # with the head is that conjunct's own ("lacrimal puncta and
                    # nasolacrimal duct obstruction" is no "lacrimal duct obstruction")
                    break
                if k < 0 or k in covered:
                    break
                word = norms[k]
                if word == BREAK or word in STOPWORDS or word in _FUNCTION_WORDS:
                    break
                swapped = _subject_swapped(m, matched, norms[m.i], word)
                named = False
                for key in (*((word, *rest) for rest in rests), swapped):
                    chosen = self._coordinated_term(self._walk(key)) if key else None
                    if chosen is not None:
                        # a denied predicate is denied of each subject: "the liver and
                        # spleen were not enlarged" rules out Hepatomegaly too
                        out.append((_Match(k, m.j, [], "coordinated", m.denied), *chosen))
                        named = True
                        break
                k -= 1
        return out

    def _shared_prefixes(self, text: str, tokens: TokenTable, max_words: int = 3) -> list[_Scored]:
        """Terms named by a prefix written apart before a conjunction ("hepato- and
        splenomegaly", "micro- and retrognathia", "pre- and postnatal growth retardation"):
        the prefix takes the place of the next word's own (the longest ending of that word
        that makes a name with it), with up to ``max_words`` words after it."""
        lowers, norms = tokens.lowers, tokens.norms
        n = len(lowers)
        out: list[_Scored] = []
        for c in range(1, n - 1):
            if lowers[c] not in ("and", "or"):
                continue
            p, w = c - 1, c + 1
            prefix, word = lowers[p], lowers[w]
            between = text[tokens.ends[p] : tokens.starts[c]]
            if between.strip() != "-" or not between.startswith("-") or not prefix.isalpha():
                continue  # "hepato- and": the prefix's hyphen right after it
            for cut in range(1, len(word) - _MIN_SUFFIX + 1):
                if word[cut] in "aeiouy":
                    continue  # an ending starts at a consonant: "spleno|megaly", "hyper|pigmented"
                node = self._walk((normalize_token(prefix + word[cut:]),))
                found = None
                k = w
                while node is not None:
                    chosen = self._coordinated_term(node)
                    if chosen is not None:
                        found = (_Match(p, k + 1, [], "coordinated"), *chosen)
                    k += 1
                    if k >= n or k - w > max_words or norms[k] == BREAK:
                        break
                    node = node.get(norms[k])
                if found is not None:
                    out.append(found)
                    break
        return out

    def _shared_lead(
        self, tokens: TokenTable, kept: list[_Scored], max_words: int = 3
    ) -> list[_Scored]:
        """Terms named by a name's leading words with a conjunct of several words after it.

        In ``difficulty walking and climbing stairs`` or ``delayed speech and motor
        development`` the linked name's words but its last lead the words after the
        conjunction too (also past a phrasal verb's particle: ``difficulty standing up and
        climbing stairs``): when they and up to ``max_words`` words of the conjunct (not linked
        by themselves) make a name, it gives a mention spanning the coordination. One-word
        conjuncts are read by the trie walk ("decreased power, tone and reflexes").
        """
        norms, lowers = tokens.norms, tokens.lowers
        n = len(norms)
        covered = {k for m, *_ in kept for k in range(m.i, m.j)}
        out = []
        for m, *_ in kept:
            c = m.j
            if c + 1 < n and lowers[c] in _PARTICLES and lowers[c + 1] in ("and", "or"):
                c += 1  # a phrasal verb's particle ends the first conjunct: "standing up and"
            if (
                m.source != "dictionary"
                or m.j - m.i < 2
                or c >= n
                or lowers[c] not in ("and", "or")
                or (c + 1 < n and lowers[c + 1] in _OWN_PHRASE_STARTS)
            ):
                continue  # "a small jaw and her eyes ...": a phrase of its own, no lead
            node = self._walk(t for t in norms[m.i : m.j - 1] if t not in STOPWORDS)
            found: _Scored | None = None
            k = c + 1
            while node is not None and k < n and k - c <= max_words and k not in covered:
                if norms[k] == BREAK:
                    break
                if norms[k] in STOPWORDS:
                    k += 1
                    continue
                node = node.get(norms[k])
                chosen = self._coordinated_term(node) if k - c >= 2 else None
                if chosen is not None:
                    found = (_Match(m.i, k + 1, [], "coordinated", m.denied), *chosen)
                k += 1
            if found is not None:
                out.append(found)
        return out

    def _comma_modifiers(
        self, tokens: TokenTable, kept: list[_Scored], max_words: int = 3
    ) -> list[_Scored]:
        """Terms named by a modifier that a comma joins to the next phrase's head noun.

        In ``low-set, posteriorly rotated ears`` or ``long, thin fingers`` the item before
        the comma links to nothing by itself and qualifies the head of the phrase after it:
        when the modifier with that head (or with the head's last words) is a name, it gives
        a mention spanning from the modifier to the head. An item that links by itself is a
        finding of a list ("short stature, low-set ears") and is left alone.
        """
        norms, raws, lowers = tokens.norms, tokens.raws, tokens.lowers
        n = len(norms)
        covered = {k for m, *_ in kept for k in range(m.i, m.j)}

        def plain(k: int) -> bool:
            return _modifier_word(tokens, k)

        out = []
        for c in range(1, n - 1):
            if raws[c] != "," or not plain(c - 1) or c - 1 in covered:
                continue
            # The item before the comma: its words back to punctuation or a function word.
            a = c - 1
            while a > 0 and plain(a - 1) and c - a < max_words + 1:
                a -= 1
            if a > 0 and plain(a - 1):
                continue  # a longer item than a modifier
            if covered.intersection(range(a, c)):
                continue
            b = a - 1
            while b >= 0 and lowers[b] in _DETERMINERS:
                b -= 1
            if b >= 0 and lowers[b] in _PREPOSITIONS:
                continue  # a preposition's object: "deformity of the foot, varus deformity"
            while a < c - 1 and lowers[a] in _LEAD_WORDS:
                a += 1  # "no [low-set], posteriorly rotated ears", "had [small], ..."
            # The phrase after the comma, up to its head noun.
            e = c + 1
            while e < n and plain(e) and e - c <= max_words + 1:
                e += 1
            while (
                e + 1 < n
                and raws[e] == ","
                and plain(e + 1)
                and not covered.intersection(range(c + 1, e))
            ):
                # A list of modifiers before one head (since linking version 48): "pale,
                # bulky, offensive stools" reads "pale stools" too
                f = e + 1
                while f < n and plain(f) and f - e <= max_words + 1:
                    f += 1
                if f < n and plain(f):
                    break
                e = f
            if e == c + 1 or (e < n and plain(e)):
                continue
            head = e - 1
            found = None
            # The whole item is the modifier: "facial dysmorphism, prominent forehead" is no
            # "Dysmorphic forehead".
            for t in range(head, c, -1):
                chosen = self._coordinated_term(self._walk((*norms[a:c], *norms[t : head + 1])))
                if chosen is not None:
                    found = (_Match(a, head + 1, [], "coordinated"), *chosen)
                    break
            if found is not None and found[1] == _ACHOLIC_STOOLS and _fatty_stools(lowers, a, e):
                continue  # "pale, bulky, offensive stools": steatorrhoea's paleness
            if found is not None and not any(
                k[1] == found[1] and k[0].i < found[0].j and found[0].i < k[0].j for k in kept
            ):
                out.append(found)
        return out

    def _stacked_modifiers(
        self, tokens: TokenTable, kept: list[_Scored], max_words: int = 3
    ) -> list[_Scored]:
        """Terms named by a modifier stacked before a linked name without a comma (since
        linking version 30): in ``low-set posteriorly rotated ears`` or ``large protruding
        ears`` the words before *Posteriorly rotated ears* / *Protruding ear* link to nothing
        by themselves and qualify the same head noun: when they with that head (or with the
        head's last words) are a name, a mention spans from them to the head. The words are
        a short run after punctuation, a function word or a lead word ("had", "no"), as in
        :meth:`_comma_modifiers`; a longer run, or one a preposition governs, is left, and so
        is a term broader or finer than the name's (the same finding again), and a name read
        with "of", whose head the words before it do not qualify (since version 42)."""
        norms, lowers = tokens.norms, tokens.lowers
        covered = {k for m, *_ in kept for k in range(m.i, m.j)}

        def plain(k: int) -> bool:
            return _modifier_word(tokens, k, lead=True)

        out = []
        for m, iri, *_ in kept:
            if m.source != "dictionary" or m.j - m.i < 2 or m.i == 0 or not plain(m.i - 1):
                continue
            if m.candidates and m.candidates[0][1] == "predicative":
                # a predicate ends the match, no head noun (since linking version 55):
                # "Leukocyte alpha-galactosidase A activity was reduced" is no *Leukopenia*
                continue
            a = m.i - 1
            while a > 0 and plain(a - 1) and m.i - a < max_words:
                a -= 1
            if (a > 0 and plain(a - 1)) or covered.intersection(range(a, m.i)):
                continue  # a longer run than a modifier, or words linked by themselves
            if "of" in lowers[m.i : m.j]:
                continue  # "small joint hypermobility of the fingers": the joints are small
            b = a - 1
            while b >= 0 and lowers[b] in _DETERMINERS:
                b -= 1
            if b >= 0 and lowers[b] in _PREPOSITIONS:
                continue
            head = m.j - 1
            for t in range(head, m.i, -1):
                chosen = self._coordinated_term(self._walk((*norms[a : m.i], *norms[t : head + 1])))
                if chosen is not None:
                    found = (_Match(a, head + 1, [], "coordinated"), *chosen)
                    related = found[1] in self.ancestors(iri) or iri in self.ancestors(found[1])
                    if not related and not any(
                        k[1] == found[1] and k[0].i < found[0].j and found[0].i < k[0].j
                        for k in kept
                    ):
                        out.append(found)  # not the same finding again, broader or finer
                    break
        return out

    def _defined_acronyms(
        self,
        tokens: TokenTable,
        kept: list[_Scored],
        brackets: Mapping[int, _Bracket] | None = None,
        from_brackets: dict[int, str] | None = None,
    ) -> list[tuple[_Match, str]]:
        """Uses of acronyms defined in the text right after a linked long form: ``long form
        (ACR)`` where the acronym's letters fit the long form (:func:`_fits_long_form`) and
        it is no test or measurement (:data:`_NOT_DEFINED`: "hypsarrhythmia (EEG)" says
        where the finding was seen); ``brackets``: those blanked inside a name ("atrial
        septal defect (ASD) closure"), by the end of the word before each; each defined is
        put in ``from_brackets``."""
        raws, lowers = tokens.raws, tokens.lowers
        defined: dict[str, str] = {}
        for m, iri, _, matched in kept:
            k, bracketed = m.j, None
            if k + 2 < len(raws) and raws[k] == "(" and raws[k + 2] == ")":
                acronym = raws[k + 1]
            elif brackets and tokens.ends[m.j - 1] in brackets:
                bracketed = tokens.ends[m.j - 1]
                acronym = brackets[bracketed].acronym
            else:
                continue
            if (
                (iri, matched) not in self._treatments  # read where it is said: not "CI"
                and is_acronym(acronym)
                and acronym.upper() not in _NOT_DEFINED
                and _fits_long_form(acronym, lowers[m.i : m.j], _lead_words(tokens, m.i))
            ):
                defined[acronym] = iri
                if bracketed is not None and from_brackets is not None:
                    from_brackets[bracketed] = iri
        for end, b in (brackets or {}).items():
            acronym = b.acronym
            if acronym not in defined:  # a name read across it: its long form's own term
                found = self._long_form_across(tokens, kept, end, acronym)
                if found is not None:
                    defined[acronym] = found
        if not defined:
            return []
        covered = {k for m, *_ in kept for k in range(m.i, m.j)}
        out = []
        for idx, raw in enumerate(raws):
            if idx not in covered and raw in defined:
                out.append((_Match(idx, idx + 1, [], "defined"), defined[raw]))
        return out

    def _candidate_phrases(
        self, tokens: TokenTable, covered: set[int], max_words: int = 6
    ) -> list[tuple[int, int]]:
        """Token ranges the dense path should look at.

        Maximal runs of uncovered content words (stop words allowed inside, function words
        and punctuation end a run) with at least one word of the ontology's vocabulary;
        a single word must be in the vocabulary and five letters or more. Runs longer than
        ``max_words`` content words are cut into sliding windows.
        """
        vocab = self._candidate_vocabulary
        norms, raws = tokens.norms, tokens.raws
        runs: list[tuple[int, int]] = []
        start = None
        for idx, (norm, lower) in enumerate(zip(norms, tokens.lowers, strict=True)):
            ok = idx not in covered and norm != BREAK and lower not in _FUNCTION_WORDS
            if ok and start is None:
                start = idx
            if not ok and start is not None:
                runs.append((start, idx))
                start = None
        if start is not None:
            runs.append((start, len(tokens)))
        out = []
        for a, b in runs:
            while a < b and norms[a] in STOPWORDS:
                a += 1
            while b > a and norms[b - 1] in STOPWORDS:
                b -= 1
            words = [k for k in range(a, b) if norms[k] not in STOPWORDS]
            if not any(norms[k] in vocab for k in words):
                continue
            if len(words) == 1 and (len(raws[words[0]]) < 5 or raws[a].isdigit()):
                continue
            if len(words) <= max_words:
                out.append((a, b))
            else:
                for s in range(0, len(words) - max_words + 1):
                    out.append((words[s], words[s + max_words - 1] + 1))
        return out

    def link(self, text: str) -> list[Mention]:
        """All mentions in ``text``, in order of position (family findings included).

        Args:
            text: the text.

        Returns:
            The mentions, each with its context flags.

        Raises:
            TypeError: ``text`` is not a string (bytes: decode them first).
            InputTooLargeError: the text is longer than ``config.max_chars``.
        """
        if not isinstance(text, str):
            raise TypeError(f"text is a string, not {type(text).__name__}")
        if len(text) > self.config.max_chars:
            raise InputTooLargeError(
                f"text has {len(text):,} characters, more than max_chars="
                f"{self.config.max_chars:,}; split it or raise the limit"
            )
        # "growth hormone (GH) deficiency": an acronym defined inside a name is read past,
        # the name as a whole (offsets kept: the brackets are blanked, not cut)
        found = _acronyms_inside_names(text) if "(" in text else {}
        across = {e: b for e, b in found.items() if self._named_across(text, e, b.stop)}
        read = _blanked(text, [(b.start, b.stop) for b in across.values()]) if across else text
        defined: dict[int, str] = {}
        mentions = [
            self._mention(text, f) for f in self._link_tokens(read, scan(read), across, defined)
        ]
        if defined:
            mentions = _with_bracketed_uses(text, mentions, across, defined)
        # "adrenocorticotropic hormone (ACTH) 1,240 pg/mL": a value the acronym's readers
        # read, where the long form names no term and nothing read the value already
        valued = [
            b
            for e, b in found.items()
            if e not in across
            and _VALUE_AFTER.match(text, b.stop)
            and not self._names_a_term(text[b.long_start : e])
        ]
        if valued:
            mentions = self._with_valued_acronyms(text, mentions, valued)
        return mentions

    def _mention(self, text: str, found: _Found, offset: int = 0) -> Mention:
        start, end, iri, score, matched, source, ctx = found
        start, end = start + offset, end + offset
        return Mention(
            start=start,
            end=end,
            text=text[start:end],
            iri=iri,
            curie=self._curie(iri),
            label=self.labels.get(iri, matched),
            excluded=ctx.negated,
            score=score,
            uncertain=ctx.uncertain,
            family=ctx.family,
            source=source,
            matched=matched,
        )

    def _with_valued_acronyms(
        self, text: str, mentions: list[Mention], valued: Sequence[_Bracket]
    ) -> list[Mention]:
        """``mentions`` with the value after each of the ``valued`` brackets read as its
        acronym's ("ACTH 1,240 pg/mL"): its sentence read again with the long form blanked,
        a reading that opens at the acronym kept where no mention covers the words, spanning
        the long form as written ("international normalized ratio (INR) was 1.6")."""
        windows: dict[tuple[int, int], list[_Bracket]] = {}
        for b in valued:  # one reading again of each sentence
            s0 = max(text.rfind(". ", 0, b.long_start) + 2, text.rfind("\n", 0, b.long_start) + 1)
            after = _SENTENCE_END.search(text, b.stop)
            s1 = after.start() if after else len(text)
            windows.setdefault((s0, s1), []).append(b)
        added: list[Mention] = []
        for (s0, s1), forms in windows.items():
            # the long form and the brackets blanked: "ACTH 1,240 pg/mL"
            blanks = [
                span for b in forms for span in ((b.long_start, b.start + 1), (b.stop - 1, b.stop))
            ]
            opens = {b.start + 1: b.long_start for b in forms}
            window = _blanked(text, blanks)[s0:s1]
            for f in self._link_tokens(window, scan(window)):
                m = self._mention(text, f, s0)
                if m.start not in opens:
                    continue  # only an acronym's own reading
                m = replace(m, start=opens[m.start], text=text[opens[m.start] : m.end])
                if not any(o.start < m.end and m.start < o.end for o in mentions + added):
                    added.append(m)
        return sorted(mentions + added, key=lambda m: m.start) if added else mentions

    def _counts_as_multiple(self, tokens: TokenTable) -> TokenTable:
        """``tokens`` with a count of two or more before a plural read as "multiple" where a
        name goes on with that plural: "six cafe-au-lait spots" and "3 renal cysts" are
        *Multiple cafe-au-lait spots* and *Multiple renal cysts* (since linking version
        50); the words and offsets are unchanged."""
        node = self._trie.get(_MULTIPLE)
        if node is None:
            return tokens
        lowers, norms, raws = tokens.lowers, tokens.norms, tokens.raws
        counted: list[str] | None = None
        # the words before one that a "multiple" name goes on with (a C-level scan)
        for k in itertools.compress(itertools.count(), map(node.__contains__, norms[1:])):
            w = lowers[k]
            # at most three digits: a longer number is a measure, and converting one of
            # thousands of digits would raise ("There were 999...9 renal cysts")
            count = len(w) <= _MOST_COUNTED_DIGITS and w.isdecimal() and int(w) >= 2
            if not (count or w in _COUNT_NUMBER_WORDS):
                continue
            if k > 0 and raws[k - 1] in (".", ","):
                continue  # "1.5 cm", "1,500": no count of things
            if _plural_ahead(tokens, k + 1):
                counted = counted if counted is not None else list(norms)
                counted[k] = _MULTIPLE
        if counted is None:
            return tokens
        return tokens.with_norms(counted)

    def _long_form_across(
        self, tokens: TokenTable, kept: list[_Scored], end: int, acronym: str
    ) -> str | None:
        """The term of the words before a blanked bracket ending at offset ``end``, where a
        kept match reads on across it ("Muscle weakness (MW) was proximal": *Muscle
        weakness* for MW, not the *Proximal muscle weakness* read): the longest name that
        ends there and that the acronym fits; None if none."""
        k = bisect.bisect_left(tokens.ends, end)
        if k >= len(tokens) or tokens.ends[k] != end:
            return None
        if not any(m.i <= k < m.j - 1 for m, *_ in kept):
            return None
        if not is_acronym(acronym) or acronym.upper() in _NOT_DEFINED:
            return None
        for a in range(max(0, k - 5), k + 1):
            chosen = self._coordinated_term(self._walk(tokens.norms[a : k + 1]))
            if chosen is not None and _fits_long_form(acronym, tokens.lowers[a : k + 1]):
                return chosen[0]
        return None

    def _named_across(self, text: str, end: int, stop: int) -> bool:
        """Whether some of the last words before ``end`` and the first after ``stop`` walk a
        name's path in the dictionary's trie."""
        before = [n for n in scan(text[max(0, end - 120) : end]).norms if n != BREAK][-6:]
        after = [
            n
            for n in scan(text[stop : stop + 80]).norms[:6]
            if n not in STOPWORDS and n not in _COPULA_STARTS
        ]
        if not before or not after or after[0] == BREAK:
            return False
        for k in range(len(before)):
            node = self._walk(before[k:])
            if node is not None and node.get(after[0]) is not None:
                return True
        return False

    def _names_a_term(self, phrase: str) -> bool:
        """Whether ``phrase`` is a name the dictionary reads whole (in any of its keys)."""
        return any(
            (node := self._walk(key)) is not None and _END in node
            for key in phrase_variants(phrase)
        )

    def _link_tokens(
        self,
        text: str,
        tokens: TokenTable,
        brackets: Mapping[int, _Bracket] | None = None,
        defined: dict[int, str] | None = None,
    ) -> list[_Found]:
        """The linker's findings in ``text``, scanned as ``tokens``; ``brackets``: the
        acronyms blanked inside names, by the end of the word before each
        (:func:`_acronyms_inside_names`), which still define their long forms (each that
        does is put in ``defined``: that end -> the term)."""
        scored = []
        lessened: list[tuple[int, int]] = []  # spans of plain quantities a word lessens
        cache = self._choice_cache
        lowers = tokens.lowers
        dashed = not _DASHES.isdisjoint(tokens.raws)  # looked for once per text
        with_ = "with" in lowers
        for m in self._dictionary_matches(self._counts_as_multiple(tokens)):
            in_order = _in_word_order(m.candidates, lowers, m.i, m.j)
            filtered = len(in_order) < len(m.candidates)
            if filtered:
                if not in_order:
                    continue
                m = replace(m, candidates=in_order)
            # Trie-owned candidate lists live as long as the linker: cache by identity
            # (a filtered list is this call's own: never cached).
            key = id(m.candidates)
            owned = (
                m.source == "dictionary" and m.candidates[0][1] not in _PER_MATCH and not filtered
            )
            chosen: Any = cache.get(key, _UNSET) if owned else _UNSET
            if chosen is _UNSET:
                chosen = self._choose(m.candidates)
                if owned:
                    cache[key] = chosen
            if chosen is not None:
                if m.j - m.i == 1 and m.i and tokens.lowers[m.i - 1] in _MODALS:
                    continue  # "can jump", "could fall": an ability, not a finding
                if (
                    m.j - m.i == 1
                    and _gerund_by_stem(chosen[2], tokens.lowers[m.i])
                    and chosen[2] != self.labels.get(chosen[0])
                    and not any(
                        self._names[n].text.lower() == tokens.lowers[m.i] for n, _ in m.candidates
                    )
                ):
                    continue  # "tests were ordered" is not "Ordering", "mouth" not "Mouthing"
                if m.j - m.i == 1 and _everyday_sense(chosen[2], tokens, m.i):
                    continue  # "he falls asleep", "a chess club", "stroke volume"
                if _at_another_site(chosen[2], lowers, m.i, m.j):
                    continue  # "knee jerks" are reflexes, "optic pallor" is the disc's
                if chosen[0] == _ACHOLIC_STOOLS and _fatty_stools(lowers, m.i, m.j):
                    # "greasy, offensive, pale stools": steatorrhoea's paleness
                    if _STEATORRHEA not in self.labels:
                        continue
                    chosen = (_STEATORRHEA, chosen[1], self.labels[_STEATORRHEA])
                if _names_another_thing(tokens, m, chosen[2], dashed, with_):
                    continue  # "hepatitis serology", "rupture of the splenic artery", ...
                if _outside_the_blood(self.labels, chosen, tokens, m.i, m.j):
                    continue  # "TmP/GFR was low", "urinary magnesium was high"
                if (
                    m.j < len(lowers)
                    and lowers[m.j] == "like"
                    and tokens.separator_before(m.j) == "-"
                ):
                    continue  # "a stroke-like lesion" is no Stroke
                if (
                    m.j - m.i > 2
                    and lowers[m.i] == "absence"
                    and lowers[m.i + 1] == "of"
                    and not chosen[2].lower().startswith("absence of")
                ):
                    continue  # "absence of seizures" is no Absence seizure: a negation
                if _denies_itself(m) and not ends_a_phrase(lowers, m.j):
                    continue  # "no speech therapy" is no Absent speech
                if _denies_itself(m) and _examined_after(lowers, m.j):
                    continue  # "No skin pigmentation was noted": nothing seen, no absence
                if chosen[0] in self._lessened.terms:
                    lessening = self._lessened.reading(
                        chosen[0],
                        chosen[2],
                        lowers,
                        m.i,
                        verbal=m.candidates[0][1] in _VERBAL,
                    )
                    if lessening is not None:
                        # "inadequate weight gain" is no Increased body weight
                        lessened.append((lessening.start, m.j))
                        if lessening.name_id is None:
                            continue
                        name = self._names[lessening.name_id]
                        m = _Match(lessening.start, m.j, [(lessening.name_id, "exact")])
                        chosen = (name.iri, chosen[1], name.text)
                scored.append((m, *chosen))
        if lessened:
            # Nor is a name inside the lessened words read ("loss of lumbar [lordosis]").
            scored = [
                x
                for x in scored
                if not any(
                    a <= x[0].i and x[0].j <= b and (a, b) != (x[0].i, x[0].j) for a, b in lessened
                )
            ]
        # Matches across a coordination overlap the conjuncts' own matches: added at the end.
        across = [x for x in scored if x[0].source == "coordinated"]
        if across:
            scored = [x for x in scored if x[0].source != "coordinated"]
        # A gapped match only fills text that no contiguous match covers, or refines the
        # contiguous matches inside it ("proximal [dominant] muscle weakness").
        kept = self._resolve_overlaps([x for x in scored if x[0].candidates[0][1] != "gapped"])
        gapped = [x for x in scored if x[0].candidates[0][1] == "gapped"]
        if gapped and kept:
            kept = self._refined_by_gapped(tokens, kept, gapped)
        taken = {k for m, *_ in kept for k in range(m.i, m.j)}
        gapped = [x for x in gapped if not taken.intersection(range(x[0].i, x[0].j))]
        if gapped:
            kept.extend(self._resolve_overlaps(gapped))
            kept.sort(key=lambda x: x[0].i)
        if kept:
            # "lost independent walking in her late teens": "late" is the teens', not the
            # walking's (*Delayed ability to walk*; since linking version 53)
            kept = [
                x
                for x in kept
                if not (
                    _ends_on_a_periods_word(lowers, x[0].i, x[0].j)
                    or _limited_not_unable(lowers, x[0].i, x[0].j, x[3])
                    or _no_finding_here(tokens, x[0].i, x[0].j)
                )
            ]
        if kept:
            kept.extend(self._coordinated(tokens, kept) + self._shared_lead(tokens, kept))
            kept.sort(key=lambda x: x[0].i)
            kept.extend(self._comma_modifiers(tokens, kept))
            kept.extend(self._stacked_modifiers(tokens, kept))
            kept.sort(key=lambda x: x[0].i)
        if ("- " in text or "-\n" in text) and _APART_PREFIX_RE.search(text) is not None:
            # "hepato- and splenomegaly" (a substring test first: the search is slower)
            prefixed = self._shared_prefixes(text, tokens)
            if prefixed:
                kept = sorted(kept + prefixed, key=lambda x: x[0].i)
        if across:
            # Longest first; a term already linked on overlapping text is not repeated, and
            # a conjunct that a contiguous match reads with words outside the coordination
            # (the match crosses one end of it) has its own modifier or predicate, which
            # the others do not share: "Low Hb and [ESR elevated]" is no "Decreased ESR",
            # "[Low Hb] and ESR elevated" no "Increased Hb". Nor is a coordination that a
            # name writes as its own read across: "Sparse or absent eyelashes" is that one
            # term, not *Absent eyelashes*.
            own = [(k[0].i, k[0].j) for k in kept if k[0].source != "coordinated"]
            names = [(k[0].i, k[0].j) for k in kept if k[0].source == "dictionary"]
            across.sort(key=lambda x: (x[0].i - x[0].j, x[0].i))
            for item in across:
                m, iri = item[0], item[1]
                if any(a < m.j and m.i < b and (a < m.i) != (b > m.j) for a, b in own):
                    continue
                if any(a <= m.i and m.j <= b for a, b in names):
                    continue
                if not any(k[1] == iri and k[0].i < m.j and m.i < k[0].j for k in kept):
                    kept.append(item)
            kept.sort(key=lambda x: x[0].i)
        if any(k[0].source == "coordinated" for k in kept):
            kept = _inside_no_coordination(kept, lowers)
        if self.config.define_acronyms and kept:
            for m, iri in self._defined_acronyms(tokens, kept, brackets, defined):
                kept.append((m, iri, VARIANT_WEIGHT["defined"], tokens.raws[m.i]))
            kept.sort(key=lambda x: x[0].i)
        if self.dense is not None:
            covered = {k for m, *_ in kept for k in range(m.i, m.j)}
            ranges = self._candidate_phrases(tokens, covered)
            if ranges:
                phrases = [text[tokens.starts[a] : tokens.ends[b - 1]] for a, b in ranges]
                hits = self.dense.match(phrases)
                dense_scored = []
                for (a, b), hit in zip(ranges, hits, strict=True):
                    if hit is not None and self.is_linkable(hit.iri):
                        dense_scored.append(
                            (_Match(a, b, [], "dense"), hit.iri, hit.score, hit.name)
                        )
                kept = kept + self._resolve_overlaps(dense_scored)
                kept.sort(key=lambda x: x[0].i)
        if self.config.measurements:
            measured = self._measured(text, tokens)
            if measured:
                kept = sorted(kept + measured, key=lambda x: x[0].i)
        late = self._late_milestones(text, tokens, kept) if self.config.milestones else []
        if late:
            kept = sorted(kept + late, key=lambda x: x[0].i)
        statures = self._stature_statements(tokens, kept)
        if statures:
            kept = sorted(kept + statures, key=lambda x: x[0].i)
        examined = self._readings(tokens, read_examination(text), kept, "examination")
        if examined:
            # The reading's own words name no finding of their own: "vision reduced to hand
            # movements" is no *Diminished movement*.
            kept = [
                x
                for x in kept
                if not any(
                    e.i <= x[0].i and x[0].j <= e.j and e.j - e.i > x[0].j - x[0].i
                    for e, *_ in examined
                )
            ]
            kept = sorted(kept + examined, key=lambda x: x[0].i)
        # functions stated normal rule out their loss ("Hearing is normal")
        normal = self._readings(tokens, read_normal_functions(text), kept, "normal", denied=True)
        if normal:
            kept = sorted(kept + normal, key=lambda x: x[0].i)
        preterm = (
            self._readings(tokens, read_preterm_births(text), kept, "gestation")
            if self.config.measurements
            else []
        )
        if preterm:
            kept = sorted(kept + preterm, key=lambda x: x[0].i)
        if kept and _INDUCERS.keys() & set(lowers):
            kept = self._induced_forms(tokens, kept)
        if kept and ("episode" in lowers or "attack" in lowers):
            kept = self._single_episodes(tokens, kept)
        if kept and _COUNT_WORDS.intersection(lowers):
            kept = self._counted_episodes(tokens, kept)
        if "/" in text:  # "CRP 40 mg/L and ferritin were elevated": a unit is no magnesium
            kept = [
                x
                for x in kept
                if not (
                    tokens.lowers[x[0].i] in _UNIT_WORDS and tokens.after(x[0].i).startswith("/")
                )
            ]
        if self.config.lab_values:
            lab = self._lab_findings(text, tokens, kept)
            if lab:
                kept = sorted(kept + lab, key=lambda x: x[0].i)
        if kept and not _SITE_CUES.isdisjoint(lowers):
            kept = self._sited_by_investigation(tokens, kept)
        spans = [(m.i, m.j) for m, *_ in kept]
        contexts = (
            self.context_rules.analyze(tokens, spans)
            if self.config.context
            else [_NO_CONTEXT] * len(kept)
        )
        if self.config.context:
            # A match that says its own polarity: a predicate the text denies ("the liver
            # was not enlarged") is ruled out; "no speech" (*Absent speech*) holds its own
            # denial, which a "no" before it does not turn ("no eye contact, no speech").
            stated = [True if m.denied else False if _denies_itself(m) else None for m, *_ in kept]
            if any(s is not None for s in stated):
                contexts = [
                    ctx if s is None else replace(ctx, negated=s)
                    for s, ctx in zip(stated, contexts, strict=True)
                ]
        if self.config.context and late:
            # A milestone's reader has read its negations ("did not walk until 3 years" is
            # a late walker); its subject says whose it is.
            contexts = [
                replace(ctx, negated=False, family=ctx.family or m.relative)
                if m.source == "milestone"
                else ctx
                for (m, *_), ctx in zip(kept, contexts, strict=True)
            ]
        if self.config.context and any(m.i > 0 and lowers[m.i - 1] in _PARENTAL for m, *_ in kept):
            # "maternal diabetes", "paternal epilepsy": a parent's (not the pregnancy's,
            # below: "maternal polyhydramnios" is the patient's)
            contexts = [
                replace(ctx, family=True)
                if m.i > 0 and lowers[m.i - 1] in _PARENTAL and iri not in self._pregnancy
                else ctx
                for (m, iri, *_), ctx in zip(kept, contexts, strict=True)
            ]
        if self._pregnancy and self.config.context:
            # "The mother had polyhydramnios": the pregnancy with the patient
            contexts = [
                replace(ctx, family=False)
                if ctx.family and iri in self._pregnancy and _mother_in_sentence(tokens, m.i)
                else ctx
                for (m, iri, *_), ctx in zip(kept, contexts, strict=True)
            ]
        found = [
            (start, end, iri, float(score), matched, m.source, ctx)
            for (m, iri, score, matched), ctx, (start, end) in zip(
                kept, contexts, tokens.char_spans(spans), strict=True
            )
        ]
        if self._treatments:
            found = self._read_treatments(tokens, spans, found)
        return found

    def _read_treatments(
        self, tokens: TokenTable, spans: Sequence[tuple[int, int]], found: list[_Found]
    ) -> list[_Found]:
        """A treatment done only for a finding is read as that finding, with the source
        ``procedure`` ("she underwent orchidopexy": *Cryptorchidism*), and dropped where it
        says nothing of the patient's finding (:mod:`encoders.procedures`): one not done
        ("no shunt was needed", "a Kasai portoenterostomy was not performed" rule no
        *Hydrocephalus* or *Biliary atresia* out); a replacement after the gland's removal
        ("thyroidectomy ..., and he takes levothyroxine"); one whose person has a narrower
        finding named ("recurrent epistaxis needed nasal cautery" is no more than
        *Spontaneous, recurrent epistaxis*); one given for another finding named right after
        it ("Dor fundoplication for achalasia"); one not the patient's own ("prophylactic
        antiepileptic drugs", "in utero exposure to ...", "born to a mother on insulin
        therapy"). ``spans`` are the matches' token ranges."""
        treatments = self._treatments
        is_treatment = [f[5] == "dictionary" and (f[2], f[4]) in treatments for f in found]
        if not any(is_treatment):
            return found
        lowers = tokens.lowers
        removed = (
            set()
            if self._removal_words.isdisjoint(lowers)
            else _removed_glands(lowers, self._removals, self._removal_words)
        )
        # the terms above each person's own named findings, certain ones only
        broader: dict[bool, set[str]] = {False: set(), True: set()}
        for f, treatment in zip(found, is_treatment, strict=True):
            if not treatment and not f[6].negated and not f[6].uncertain:
                broader[f[6].family] |= self.ancestors(f[2])
        # the findings named, by the token they start at: what a treatment is "for"
        named_at = {
            i: f[2]
            for f, treatment, (i, _) in zip(found, is_treatment, spans, strict=True)
            if not treatment
        }
        out = []
        for f, treatment, (i, j) in zip(found, is_treatment, spans, strict=True):
            if treatment:
                if (
                    f[6].negated
                    or f[2] in broader[f[6].family]
                    or f[2] in removed
                    or _not_done(lowers, j)
                    or (not f[6].family and _not_the_patients(lowers, i))
                    or self._for_another(lowers, j, f[2], named_at)
                ):
                    continue
                f = (*f[:5], TREATMENT_SOURCE, f[6])
            out.append(f)
        return out

    def _for_another(
        self, lowers: Sequence[str], j: int, iri: str, named_at: Mapping[int, str]
    ) -> bool:
        """Whether the treatment ending before token ``j`` is said to be "for" (or "because
        of") a finding named right after it that is neither its own term nor one above or
        under it: "Dor fundoplication for achalasia"."""
        k = j
        if k < len(lowers) and lowers[k] == "for":
            k += 1
        elif k + 1 < len(lowers) and lowers[k] == "because" and lowers[k + 1] == "of":
            k += 2
        else:
            return False
        # the findings of the clause after it, a coordination's too ("for a hernia and
        # cryptorchidism"): given for another finding when none is its own or related
        others = []
        for start in range(k, min(k + 8, len(lowers))):
            if lowers[start] in _SENTENCE_MARKS or lowers[start] in (",", ";"):
                break  # "levothyroxine for years. Seizures began at 4."
            other = named_at.get(start)
            if other is not None:
                if other == iri or iri in self.ancestors(other) or other in self.ancestors(iri):
                    return False
                others.append(other)
        return bool(others)

    def _induced_forms(self, tokens: TokenTable, kept: list[_Scored]) -> list[_Scored]:
        """Findings said to be brought on by what a name of a narrower term writes first:
        "seizures were triggered by fever" is *Febrile seizure* ("Fever induced seizures"),
        "myalgia after exercise" *Exercise-induced myalgia*, "hypoglycemia on fasting"
        *Fasting hypoglycemia*. The finding keeps its words; what brings it on keeps its own
        mention and context ("triggered by" hedges the fever itself)."""
        lowers = tokens.lowers
        out = []
        for item in kept:
            m, iri = item[0], item[1]
            inducer = _inducer_after(lowers, m.j) or _inducer_before(lowers, m.i)
            if inducer is not None and m.source == "dictionary":
                finding = " ".join(lowers[m.i : m.j])
                for phrase in _induced_names(inducer, finding):
                    narrower = self.link_phrase(phrase)
                    if narrower is None or narrower == iri or not self.is_linkable(narrower):
                        continue
                    broader = self.ancestors(narrower)
                    if iri in broader or not broader:  # no hierarchy known: the name decides
                        item = (m, narrower, item[2], self.labels.get(narrower, phrase))
                        break
            out.append(item)
        return out

    def _single_episodes(self, tokens: TokenTable, kept: list[_Scored]) -> list[_Scored]:
        """One episode is no recurrence: "an episode of fever" matches *Recurrent fever*'s
        "Episodic fever", and is *Fever*; "episodes of fever", "each episode of fever" stay
        recurrent. So is one attack (since linking version 53: "a single attack of
        abdominal pain")."""
        lowers = tokens.lowers
        out = []
        for item in kept:
            m, iri = item[0], item[1]
            words = lowers[m.i : m.j]
            if (
                m.source == "dictionary"
                and words[0] in ("episode", "attack")  # it opens the match: "[episode of fever]"
                and "of" in words
                and (m.i == 0 or lowers[m.i - 1] not in _RECURRENCE_WORDS)
            ):
                rest = " ".join(words[words.index("of") + 1 :])
                single = self.link_phrase(rest) if rest else None
                if single is not None and single in self.ancestors(iri):
                    item = (m, single, item[2], self.labels.get(single, rest))
            elif (
                m.source == "dictionary"
                and words[-1] == "episode"  # "a hypoglycaemic episode" (since version 48)
                and len(words) > 1
                and m.i > 0
                and lowers[m.i - 1] in ("a", "an", "one", "single")
            ):
                rest = " ".join(tokens.raws[m.i : m.j - 1])
                single = self.link_phrase(rest)
                if single is not None and single in self.ancestors(iri):
                    item = (m, single, item[2], self.labels.get(single, rest))
            out.append(item)
        return out

    def _counted_episodes(self, tokens: TokenTable, kept: list[_Scored]) -> list[_Scored]:
        """Episodes counted are a recurrence (since linking version 48): "three episodes of
        otitis media" is *Recurrent otitis media*, "his fourth episode of pneumonia" and "two
        pneumonias" *Recurrent pneumonia*, where "recurrent" and the finding's words name a
        term under the finding's."""
        lowers = tokens.lowers
        out = []
        for item in kept:
            m, iri = item[0], item[1]
            start = _count_before(lowers, m.i) if m.source == "dictionary" else None
            if start is not None:
                phrase = "recurrent " + " ".join(tokens.raws[m.i : m.j])
                recurrent = self.link_phrase(phrase)
                under: str | None = iri  # the term the recurrence lies under
                if recurrent is None and m.j - m.i > 1 and lowers[m.i] == "acute":
                    # "six episodes of acute otitis media": each acute, together recurrent
                    # (since linking version 49)
                    plain = " ".join(tokens.raws[m.i + 1 : m.j])
                    phrase = "recurrent " + plain
                    recurrent, under = self.link_phrase(phrase), self.link_phrase(plain)
                if (
                    recurrent is not None
                    and recurrent != iri
                    and under in self.ancestors(recurrent)
                    and self.is_linkable(recurrent)
                ):
                    match = _Match(start, m.j, [], "coordinated")
                    item = (match, recurrent, item[2], self.labels.get(recurrent, phrase))
            out.append(item)
        return out

    def _measured(self, text: str, tokens: TokenTable) -> list[_Scored]:
        """The findings that growth measurements state, as matches over their tokens."""
        out: list[_Scored] = []
        for found in read_measurements(text):
            placed = self._read_finding(tokens, to_iri(found.curie), found.start, found.end)
            if placed is not None:
                iri, i, j = placed
                matched = f"{found.quantity} {found.statement}"
                out.append((_Match(i, j, [], "measurement"), iri, MEASUREMENT_SCORE, matched))
        return out

    def _read_finding(
        self, tokens: TokenTable, iri: str | None, start: int, end: int
    ) -> tuple[str, int, int] | None:
        """A finding a reader gave over characters ``[start, end)``: its IRI and token range,
        or None when the lexicon lacks the term, it is not linkable or no token is covered."""
        if iri is None or iri not in self.labels or not self.is_linkable(iri):
            return None
        i = bisect.bisect_left(tokens.starts, start)
        j = bisect.bisect_left(tokens.starts, end)
        return (iri, i, j) if i < j else None

    def _late_milestones(
        self, text: str, tokens: TokenTable, kept: Sequence[_Scored]
    ) -> list[_Scored]:
        """The delays that milestones stated with their age give, as matches over their
        tokens; a statement over tokens a name already links is left to the name."""
        out: list[_Scored] = []
        taken: set[int] | None = None
        for found in read_milestones(text):
            placed = self._read_finding(tokens, to_iri(found.curie), found.start, found.end)
            if placed is None:
                continue
            iri, i, j = placed
            if taken is None:
                taken = {k for m, *_ in kept for k in range(m.i, m.j)}
            if not taken.intersection(range(i, j)):
                matched = f"{found.milestone} at {found.months:g} months"
                relative = _relative_subject(tokens.lowers, i)
                match = _Match(i, j, [], "milestone", relative=relative)
                out.append((match, iri, MILESTONE_SCORE, matched))
        return out

    @property
    def person_adjectives(self) -> dict[str, str]:
        """The adjective of each one-word name of a quality, and that name: "obese" ->
        "Obesity", "spastic" -> "Spasticity", "hyperactive" -> "Hyperactivity" (by
        :data:`_QUALITY_ENDINGS`; built on first use). A person said to be so has the
        finding; elsewhere the adjective is left to the names ("spastic movements of the
        upper limbs" is *Upper limb spasticity*)."""
        if self._person_adjectives is None:
            found: dict[str, str] = {}
            for name in self._names:
                word = name.text.lower()
                if " " in word or "-" in word or not word.endswith(("ity", "iness")):
                    continue
                for noun, adjective in _QUALITY_ENDINGS:
                    if word.endswith(noun) and len(word) - len(noun) >= 2:
                        found.setdefault(word[: -len(noun)] + adjective, name.text)
                        break
            for adjective, state in _PERSON_STATES.items():
                found.setdefault(adjective, state)
            self._person_adjectives = found
            self._person_words = _STATURE_WORDS | found.keys()
        return self._person_adjectives

    def _stature_statements(self, tokens: TokenTable, kept: Sequence[_Scored]) -> list[_Scored]:
        """A person said to be tall or short: "he is very tall", "a short girl", "a boy,
        very tall, with ...". The words name the body as a whole, so they read as
        ``<adjective> stature`` (*Tall stature*) where the dictionary links that phrase;
        "short of breath" or "short fingers" are left to the names. So is a person said to
        have a quality (:attr:`person_adjectives`: "she is obese", "an obese girl", "he was
        very spastic")."""
        out: list[_Scored] = []
        lowers, norms, n = tokens.lowers, tokens.norms, len(tokens.norms)
        qualities = self.person_adjectives
        said = self._person_words  # tall, short and the qualities' adjectives
        words = list(itertools.compress(range(n), map(said.__contains__, lowers)))
        if not words:  # most texts: no set of taken tokens to build
            return out
        read_at: set[int] = set()  # the words read so far: "he is obese and hyperactive"
        taken = {k for m, *_ in kept for k in range(m.i, m.j)}
        for k in words:
            if k in taken:
                continue
            nxt = lowers[k + 1] if k + 1 < n else ""
            if nxt in _PERSONS:  # "a tall boy"
                first, last = k, k + 1
            else:
                # "he is (very) tall", "a boy, very tall,": a person, a copula or a comma,
                # adverbs, then the word at the end of its phrase (not "short of breath",
                # "tall forehead").
                if nxt and norms[k + 1] != BREAK and nxt not in _AFTER_PREDICATE:
                    continue
                j = k - 1
                while j >= 0 and (norms[j] in _ADVERBS or lowers[j].endswith("ly")):
                    j -= 1
                adverbs = j + 1  # the span: "very tall", not "he is very tall"
                if j >= 1 and lowers[j] in ("not", "never"):
                    j -= 1  # "he is not tall": left before the span, for the negation rules
                if lowers[k] in _LIST_ITEM_STATURE and (
                    j < 0 or (norms[j] == BREAK and (tokens.raws[j] != "," or j - 1 in taken))
                ):
                    # an item of its own in a list of findings ("Findings: very tall, long
                    # fingers"; "tall, arachnodactyly"; "long fingers, tall"): the patient's,
                    # as "he is tall" is; not after a comma that follows no finding ("his
                    # mother, very tall,"), and not "short" ("short, broad thumbs" qualifies
                    # the thumbs)
                    pass
                elif j >= 1 and lowers[j] == "been" and lowers[j - 1] in ("has", "had"):
                    if j < 2 or lowers[j - 2] not in _PERSONS:  # "she has been short"
                        continue
                elif lowers[j] in ("and", "or") and j - 1 in read_at:
                    pass  # the second of a coordination said of the person
                elif (
                    j < 1
                    or (lowers[j] not in _PERSON_COPULAS and lowers[j] != ",")
                    or lowers[j - 1] not in _PERSONS
                ):
                    continue  # not "he is (very) tall", "a boy, tall,"
                first, last = adverbs, k
            phrase = qualities.get(lowers[k]) or f"{lowers[k]} stature"
            iri = self.link_phrase(phrase)
            if iri is not None and self.is_linkable(iri):
                read_at.add(k)
                match = _Match(first, last + 1, [], "dictionary")
                out.append((match, iri, VARIANT_WEIGHT["pattern"], phrase))
        return out

    def _lab_findings(
        self, text: str, tokens: TokenTable, kept: Sequence[_Scored]
    ) -> list[_Scored]:
        """The findings that laboratory values outside their reference range state, as
        matches from the analyte's words to the range's closing bracket."""
        out: list[_Scored] = []
        norms, raws = tokens.norms, tokens.raws
        ranged: list[tuple[int, int]] = []
        for found in read_lab_values(text):
            ranged.append((found.start, found.end))
            v = bisect.bisect_left(tokens.starts, found.start)
            end = bisect.bisect_left(tokens.starts, found.end)
            # The analyte's words: up to four words before the value in its clause, after
            # a linking word or a quantity's noun ("calcium of", "CK was", "lactate level").
            k = v - 1
            while k >= 0 and (norms[k] in _LAB_LINKS or norms[k] in _MEASURE_WORDS):
                k -= 1
            words: list[int] = []
            while k >= 0 and len(words) < 4 and norms[k] != BREAK and raws[k][0].isalpha():
                if tokens.lowers[k] in _SPECIMEN_PLACES:
                    # "activity in leukocytes was 0.05": what comes after "in" is where the
                    # analyte was measured, not the analyte
                    words.clear()
                    k -= 1
                    continue
                words.insert(0, k)
                k -= 1
            if (
                words
                and k >= 0
                and norms[k] != BREAK
                and not any(c.isspace() for c in tokens.separator_before(words[0]))
            ):
                continue  # "Galactose-1-phosphate 12 mg/dL": part of a longer name
            parts = _ratio_parts(tokens, words)
            if parts is not None:
                # "calcium:creatinine 1.1 mmol/mmol (ref <0.7)": a urine ratio, no blood
                # creatinine; "TmP/GFR 0.6": no GFR (since linking version 49)
                numerator, denominator = parts
                ratio = _urine_ratio_phrase(tokens, numerator, denominator, found.direction)
                iri = self.link_phrase(ratio) if ratio else None
                if (
                    ratio is not None
                    and iri is not None
                    and self.is_linkable(iri)
                    and not any(iri == x[1] and x[0].i < end and numerator < x[0].j for x in kept)
                ):
                    out.append(
                        (_Match(numerator, end, [], "laboratory"), iri, MEASUREMENT_SCORE, ratio)
                    )
                continue
            # a specimen named among the words stays in the phrase: "CSF lactate" is no
            # blood lactate
            specimen = max(
                (len(words) - p for p, w in enumerate(words) if tokens.lowers[w] in _SPECIMENS),
                default=1,
            )
            for n in range(len(words), specimen - 1, -1):
                first = words[-n]
                analyte = raws[first : words[-1] + 1]
                for direction in _DIRECTION_WORDS.get(found.direction, (found.direction,)):
                    # "high QTc" is no name, "prolonged QTc" is (since linking version 48)
                    phrase = " ".join([direction, *analyte])
                    iri = self.link_phrase(phrase)
                    if iri is not None and self.is_linkable(iri):
                        break
                else:
                    # an analyte's short name that the dictionary lacks: "K 2.6 mmol/L
                    # (3.5-5.0)" is low potassium (since linking version 49)
                    named = analyte_phrase(" ".join(analyte), found.direction)
                    iri = self.link_phrase(named) if named else None
                    if named is None or iri is None or not self.is_linkable(iri):
                        continue
                    phrase = named
                if not any(iri == x[1] and x[0].i < end and first < x[0].j for x in kept):
                    match = _Match(first, end, [], "laboratory")
                    out.append((match, iri, MEASUREMENT_SCORE, phrase))
                break
        for value in read_unranged_values(text):  # no range stated: the built-in limits
            if any(a < value.end and value.value_start < b for a, b in ranged):
                continue
            reading = self._phrase_finding(tokens, value.phrase, value.start, value.end, kept)
            if reading is not None:
                term, a, b, phrase = reading
                out.append((_Match(a, b, [], "laboratory"), term, MEASUREMENT_SCORE, phrase))
        return out

    def _readings(
        self,
        tokens: TokenTable,
        readings: Iterable[_PhraseReading],
        kept: Sequence[_Scored],
        source: str,
        *,
        denied: bool = False,
    ) -> list[_Scored]:
        """The findings a reader of ``text`` gave as dictionary phrases over their characters
        (:mod:`encoders.examination`: "hip flexors 3/5"; :mod:`encoders.normal_functions`:
        "Hearing is normal", ``denied``; :mod:`encoders.gestation`: "delivered at 31
        weeks"), as matches of ``source``; a term already matched over its tokens is kept
        as it was."""
        out: list[_Scored] = []
        for found in readings:
            reading = self._phrase_finding(
                tokens, found.phrase, found.start, found.end, [*kept, *out]
            )
            if reading is not None:
                iri, i, j, phrase = reading
                match = _Match(i, j, [], source, denied=denied)
                out.append((match, iri, MEASUREMENT_SCORE, phrase))
        return out

    def _phrase_finding(
        self, tokens: TokenTable, phrase: str, start: int, end: int, taken: Sequence[_Scored]
    ) -> tuple[str, int, int, str] | None:
        """A reader's finding given as a phrase of the dictionary ("low potassium",
        "hepatomegaly") over characters ``[start, end)``: its IRI, token range and phrase;
        None where the phrase names nothing linkable or a match of its term in ``taken``
        already covers those tokens."""
        placed = self._read_finding(tokens, self.link_phrase(phrase), start, end)
        if placed is None:
            return None
        iri, i, j = placed
        if any(iri == x[1] and x[0].i < j and i < x[0].j for x in taken):
            return None
        return iri, i, j, phrase

    def _curie(self, iri: str) -> str:
        curie = self._curies.get(iri)
        if curie is None:
            curie = self._curies[iri] = compress(iri)
        return curie

    def records(self, text: str) -> list[dict[str, Any]]:
        """The contract's mention dicts of ``text`` (family findings only when configured);
        the same as ``[m.to_record() for m in link(text)]``, without the Mention objects."""
        keep, labels, curie = self.config.include_family, self.labels, self._curie
        if "(" in text and _acronyms_inside_names(text):  # brackets as link() reads them
            return [m.to_record() for m in self.link(text) if keep or not m.family]
        return [
            {
                "start": start,
                "end": end,
                "text": text[start:end],
                "curie": curie(iri),
                "iri": iri,
                "label": labels.get(iri, matched),
                "excluded": ctx.negated,
                "score": round(score, 4),
                "uncertain": ctx.uncertain,
                "family": ctx.family,
            }
            for start, end, iri, score, matched, _, ctx in self._link_tokens(text, scan(text))
            if keep or not ctx.family
        ]

    def _sited_by_investigation(self, tokens: TokenTable, kept: list[_Scored]) -> list[_Scored]:
        """A finding named without its site in a sentence that an investigation of one
        organ opens is that organ's where the ontology names it so (since linking version
        55): "Echo: two rhabdomyomas" is *Cardiac rhabdomyoma*, "Renal US: no cysts" rules
        out *Renal cyst*, "MRI brain: ... consistent with abscess" is *Brain abscess*: the
        term the ontology names by the site and the words read, where it has one."""
        lowers = tokens.lowers
        openings = _sentence_openings(lowers)
        headings: dict[int, tuple[tuple[str, ...], int]] = {}
        out: list[_Scored] = []
        for scored in kept:
            m, iri, score, matched = scored
            start = openings[m.i]
            heading = headings.get(start)
            if heading is None:
                heading = headings[start] = _investigation_heading(lowers, start)
            sites, heading_end = heading
            if (
                sites
                and heading_end <= m.i
                and not any(lowers[k] in _SITE_WORDS for k in range(m.i, m.j))
            ):
                words = " ".join(lowers[m.i : m.j])
                for site in sites:
                    narrower = self.link_phrase(f"{site} {words}")
                    if narrower is not None and narrower != iri and self.is_linkable(narrower):
                        scored = (m, narrower, score, f"{site} {words}")
                        break
            out.append(scored)
        return out

    def link_phrase(self, phrase: str) -> str | None:
        """IRI of the term a whole phrase names in the dictionary, or None.

        Args:
            phrase: a short phrase (a name, a query term).
        """
        node = self._walk(content_tokens(phrase))
        if node is None:
            return None
        cands = node.get(_END)
        if not cands:
            return None
        chosen = self._choose(cands)
        return chosen[0] if chosen else None

    def read_label(self, label: str) -> str | None:
        """IRI of the term that a term's name stands for, read by this linker: the whole
        name when it is a dictionary name, else the longest finding recognised in it that
        is stated of the patient (not negated, hedged or a relative's; ties: the first).
        For ids the KG does not know (a newer ontology release) written with their name:
        ``"Viral meningitis"`` -> *Meningitis*. None when it names nothing linkable.

        Args:
            label: the name (its first :data:`MAX_LABEL_CHARS` characters are read).
        """
        label = label.strip()[:MAX_LABEL_CHARS]
        if not label:
            return None
        iri = self.link_phrase(label)
        if iri is not None and self.is_linkable(iri):
            return iri
        found = [
            m
            for m in self.link(label)
            if not (m.excluded or m.uncertain or m.family) and self.is_linkable(m.iri)
        ]
        if not found:
            return None
        return max(found, key=lambda m: (m.end - m.start, -m.start)).iri


#: What says a treatment was not done, after "not" or "never": "a Kasai portoenterostomy
#: was therefore not performed", "a shunt was never needed".
_NOT_DONE = frozenset(
    {
        *("performed", "done", "required", "needed", "undertaken", "carried", "placed"),
        *("inserted", "indicated", "necessary", "attempted", "pursued", "started", "given"),
    }
)
#: How far after a treatment its "not performed" may stand.
_NOT_DONE_WINDOW = 6


def _not_done(lowers: Sequence[str], j: int) -> bool:
    """Whether the clause of a treatment ending before token ``j`` says it was not done
    ("... was not performed", "... was therefore not needed", "... never required"; not
    "... was not performed until age 5", nor another clause's "and surgery was not
    needed")."""
    has_verb = False  # "X and Y were not performed": the two share the verb
    for k in range(j, min(j + _NOT_DONE_WINDOW, len(lowers))):
        word = lowers[k]
        if word in _SENTENCE_MARKS or word in _NOT_DONE_ENDS:
            return False
        if word in ("and", "while", "whereas", "although") and has_verb:
            return False
        has_verb = has_verb or word in _CLAUSE_VERBS
        if word in ("not", "never", "n't"):
            after = range(k + 1, min(k + 3, len(lowers)))
            verb = next((v for v in after if lowers[v] in _NOT_DONE), None)
            if verb is not None:
                return not (verb + 1 < len(lowers) and lowers[verb + 1] == "until")
    return False


#: Words that end a treatment's clause for :func:`_not_done`.
_NOT_DONE_ENDS = frozenset({",", ";", "but", "because"})
#: Verbs of a treatment's own clause: an "and" after one starts another clause.
_CLAUSE_VERBS = frozenset(
    {"was", "were", "is", "are", "had", "has", "started", "given", "placed", "performed"}
    | {"inserted", "done", "underwent", "received", "required", "needed"}
)


def _not_the_patients(lowers: Sequence[str], i: int) -> bool:
    """Whether the words right before a treatment starting at token ``i`` make it no sign
    of the patient's finding: "prophylactic antiepileptic drugs", "prophylaxis with ...",
    "(in utero) exposure to antiepileptic drugs", "a mother on insulin therapy", "maternal
    insulin therapy"; not "his mother reports that he takes levothyroxine", "after noise
    exposure he needed hearing aids"."""
    before = lowers[max(i - 2, 0) : i]
    last = before[-1] if before else ""
    first = before[0] if len(before) == 2 else ""
    return (
        last in ("prophylactic", "maternal")
        or (last == "with" and first == "prophylaxis")
        or (last == "to" and first in ("exposure", "exposed"))
        or (last == "on" and first == "mother")
    )


def _removed_glands(
    lowers: Sequence[str], removals: Mapping[str, frozenset[str]], words: AbstractSet[str]
) -> set[str]:
    """The terms of :data:`encoders.procedures.GLAND_REMOVALS` whose gland the patient had
    removed: a removal named and not denied before it ("no thyroidectomy") or after it
    ("... was not performed"), with no relative in its sentence ("his mother had a
    thyroidectomy"). One pass over the text."""
    sentence = 0
    sentences: list[int] = []  # each token's sentence
    with_relatives: set[int] = set()
    for w in lowers:
        if w in _SENTENCE_MARKS:
            sentence += 1
        sentences.append(sentence)
        if w in _MILESTONE_RELATIVES:
            with_relatives.add(sentence)
    done: set[str] = set()
    for k, w in enumerate(lowers):
        if w not in words or sentences[k] in with_relatives:
            continue
        before = lowers[max(k - 3, 0) : k]
        if any(b in ("no", "not", "never", "without") for b in before) or _not_done(lowers, k + 1):
            continue
        done |= {iri for iri, ws in removals.items() if w in ws}
    return done


def read_by_name(term: str, name: str, iri: str, label: str) -> str:
    """The warning that an id the KG does not know, ``term``, was read by the ``name``
    written beside it as the term ``iri`` (``label``), :meth:`ConceptLinker.read_label`."""
    return (
        f"{term} ({name!r}): not a term of this KG; read by its name as {compress(iri)} ({label})"
    )


#: The most characters of a name that :meth:`ConceptLinker.read_label` reads (a term's name
#: is a phrase; HPO's longest is under 200 characters).
MAX_LABEL_CHARS = 500

# Pronouns, auxiliaries and other function words that never start or end a finding phrase.
_FUNCTION_WORDS = frozenset(
    [
        "he",
        "she",
        "they",
        "it",
        "his",
        "her",
        "their",
        "its",
        "him",
        "them",
        "we",
        "our",
        "you",
        "your",
        "i",
        "me",
        "my",
        "this",
        "that",
        "these",
        "those",
        "there",
        "here",
        "who",
        "which",
        "what",
        "when",
        "where",
        "while",
        "was",
        "were",
        "is",
        "are",
        "be",
        "been",
        "being",
        "has",
        "had",
        "have",
        "do",
        "did",
        "does",
        "not",
        "no",
        "and",
        "or",
        "but",
        "also",
        "as",
        "than",
        "then",
        "so",
        "very",
        "such",
        "since",
        "after",
        "before",
        "during",
        "until",
        "about",
        "into",
        "upon",
        "over",
        "under",
        "again",
        "further",
        "once",
        "age",
        "year",
        "month",
        "week",
        "day",
        "old",
        "time",
        "first",
        "second",
        "third",
        "noted",
        "found",
        "showed",
        "shows",
        "revealed",
        "born",
    ]
)


#: Verbs of a change or an appearance read as a copula (normalised; since version 53).
_CHANGE_COPULAS = frozenset(
    {"becam", "becom", "look", "feel", "grew", "seem", "appear"}
    # since linking version 54: "her speech gets slurred", "his voice went hoarse"
    | {"get", "got", "went", "turn"}
)
#: Adverbs of time or pace before such a copula ("gradually became").
_BEFORE_COPULA = frozenset(
    normalize_token(w) for w in ("gradually", "progressively", "slowly", "rapidly", "later")
)
#: First words of a copula between a subject and its predicate ("is", "has been", "seems
#: to be", "that were"), as normalised tokens.
_COPULA_STARTS = (
    frozenset({"is", "was", "are", "were", "has", "have", "had", "remain", "that", "which"})
    # since linking version 53: a change or an appearance ("her speech became slurred", "the
    # palate looks high", "his gait gradually became unsteady")
    | _CHANGE_COPULAS
    | _BEFORE_COPULA
)
#: Generic head nouns of a finding's description ("spastic movements of the limbs").
_GENERIC_HEADS = frozenset(
    normalize_token(w)
    for w in ("movement", "feature", "change", "sign", "finding", "appearance", "involvement")
)
#: Prepositions that join two findings ("seizures with hypotonia", "cataract without
#: glaucoma"): a name in another word order ("Hypotonic seizure") never matches across one.
_ACCOMPANIMENT = frozenset({"with", "without"})
#: Key variants that reorder a name's words (a pattern's too, since version 30: "low IgM
#: with elevated IgA" is no "IgM ... elevated").
_REORDERED = frozenset({"permuted", "inverted", "pattern"})
_VERBAL = frozenset({"permuted", "inverted"})  # "gained weight" for *Weight gain*
#: Modal verbs: the one word after one is a verb ("she can jump"), not a finding's name.
_MODALS = frozenset({"can", "could", "cannot", "will", "would", "may", "might", "should", "must"})
#: Words between a laboratory analyte and its value ("calcium of 2.01", "CK was 385").
_LAB_LINKS = frozenset(
    normalize_token(w) for w in ("of", "was", "were", "is", "are", "at", "about", "approximately")
)
#: Normalised nouns of a measured quantity, skipped inside a name ("creatinine levels").
_MEASURE_WORDS = frozenset({"level", "concentrat", "value"})
_ADVERBS = frozenset(
    {"always", "still", "very", "now", "also", "quite", "somewhat", "all", "just", "barely"}
    | {"super", "rather"}  # since linking version 54: "her joints are super bendy"
)
#: Words that say a person's height (lower case), and who a patient is called in a case.
_STATURE_WORDS = frozenset({"tall", "short"})
#: Endings of the noun of a quality and of its adjective ("spasticity" / "spastic",
#: "hyperactivity" / "hyperactive", "obesity" / "obese", "irritability" / "irritable",
#: "rigidity" / "rigid", "infertility" / "infertile", "grandiosity" / "grandiose").
_QUALITY_ENDINGS = (
    ("icity", "ic"),
    ("ivity", "ive"),
    ("esity", "ese"),
    ("ability", "able"),
    ("ibility", "ible"),
    ("idity", "id"),
    ("ility", "ile"),
    ("osity", "ose"),
    # since linking version 53: "floppiness" / "floppy", "dizziness" / "dizzy"
    ("iness", "y"),
)
#: A person's states whose adjective no ending derives from their name, by the name a
#: person said to be so has (since linking version 53: "on examination, he was pale").
_PERSON_STATES = {"pale": "Pallor", "yellow": "Jaundice"}  # "yellow": since version 54
#: Stature words read as a finding when they stand alone as an item of a list of findings.
_LIST_ITEM_STATURE = frozenset({"tall"})
_PERSONS = frozenset(
    {"he", "she", "boy", "girl", "child", "patient", "proband", "infant", "man", "woman"}
    # since version 20; a relative's height ("her son is tall") is the family's by the
    # context rules, as any finding in a relative's scope is
    | {"son", "daughter", "baby", "toddler", "teenager", "teen", "adolescent", "kid"}
    | {"newborn", "neonate", "individual"}
)
_PERSON_COPULAS = frozenset(
    {"is", "was", "remained", "remains", "became", "appeared"}
    # since linking version 54, a family's "went" and "turned" ("she went really pale")
    | {"went", "goes", "turned"}
)
#: Words that may follow a predicate adjective without it modifying them.
_AFTER_PREDICATE = frozenset(
    {"for", "and", "but", "with", "compared", "relative", "as", "like", "since", "when"}
)


_CONJUNCTIONS = frozenset({"and", "or"})
#: Particles of phrasal verbs that may close a name's verb ("standing up", "lying down").
_PARTICLES = frozenset({"up", "down", "out"})
_PREPOSITIONS = frozenset(
    {"of", "in", "on", "at", "from", "to", "with", "without", "by", "for", "over", "into"}
)
_LEAD_WORDS = frozenset(
    {"no", "not", "nor", "without", "had", "has", "have", "having", "was", "were", "is", "are"}
    | {"also", "showed", "shows", "noted"}
    | {"passes", "passed", "passing"}  # "passes pale, offensive stools" (since version 48)
)
_DETERMINERS = frozenset({"the", "a", "an", "his", "her", "their", "its", "both", "all"})
#: Words and marks that join coordinated words (lower case).
_SEPARATORS = _CONJUNCTIONS | {","}
# Degree and size words: they modify the noun after them, so they are not conjuncts of a
# modifier before them ("callosum and mild atrophy").
_DEGREE_WORDS = frozenset(
    normalize_token(w)
    for w in (
        "mild",
        "mildly",
        "moderate",
        "severe",
        "marked",
        "significant",
        "slight",
        "subtle",
        "profound",
        "small",
        "large",
        "normal",
        "abnormal",
    )
)


#: Words that state the status or direction of the word before them ("calcium low",
#: "palate was intact"): a coordinated word they follow has its own, and takes no modifier
#: of the other conjuncts (normalised).
_STATUS_WORDS = frozenset(
    normalize_token(w)
    for w in (
        "normal",
        "intact",
        "absent",
        "low",
        "high",
        "elevated",
        "increased",
        "decreased",
        "reduced",
        "raised",
        "diminished",
        "preserved",
        "spared",
        "unremarkable",
        "unaffected",
        "large",
        "small",
        "negative",
        "positive",
        "brisk",
    )
)
#: Copulas between a word and its status (lower case; "has been" is read as one).
_STATUS_COPULAS = frozenset({"is", "was", "are", "were", "remained", "remains", "became"})


# Words that end a coordination rather than join it: pronouns, auxiliaries, conjunctions.
_NOT_CONJUNCTS = _FUNCTION_WORDS - {
    "first",
    "second",
    "third",
    "age",
    "year",
    "month",
    "week",
    "day",
    "old",
    "time",
}


def _in_word_order(
    candidates: list[tuple[int, str]], lowers: Sequence[str], i: int, j: int
) -> list[tuple[int, str]]:
    """The candidates of a match over tokens ``[i, j)``; when a "with" or "without" sits
    inside it ("seizures with hypotonia" names two findings, not "Hypotonic seizure"), only
    those whose key keeps its name's word order (``candidates`` itself when nothing goes)."""
    if j - i > 2 and not _ACCOMPANIMENT.isdisjoint(lowers[i + 1 : j - 1]):
        kept = [c for c in candidates if c[1] not in _REORDERED]
        if len(kept) < len(candidates):
            return kept
    return candidates


def _distribute(
    tokens: TokenTable,
    i: int,
    node: Mapping[str, Any],
    first: Mapping[str, Any] | None,
    items: Sequence[int],
) -> list[_Match]:
    """Matches from ``i`` that read the conjuncts after the first in its place.

    ``node`` is the trie node before the first conjunct; ``first`` the node after it (None
    when no name goes on with it). A conjunct may complete a name, or go on with the words
    after it when the first conjunct shares them: "dilatation of the lateral and [third
    ventricles]", not "acute encephalitis and [disseminated intravascular coagulation]".
    """
    norms = tokens.norms
    n = len(norms)
    out: list[_Match] = []
    if _stated_of_itself(tokens, items[-1] + 1):
        return out  # "low calcium and phosphate [elevated]": the last has its own status
    if tokens.lowers[i] in _UNSHARED_LEADS:
        return out  # "severe constipation and myopia" is no *Severe myopia*
    for q in items[1:]:
        shared = node.get(norms[q])
        shares_head = False
        while shared is not None:
            if _END in shared:
                in_order = _in_word_order(shared[_END], tokens.lowers, i, q + 1)
                hits = [(k, "coordinated") for k, _ in in_order]
                if hits and not _finite_after_infinitive(tokens.lowers, i, q):
                    out.append(_Match(i, q + 1, hits, "coordinated"))
            q += 1
            while q < n and norms[q] in STOPWORDS:
                q += 1
            if q >= n:
                break
            if not shares_head:
                if first is None or norms[q] not in first:
                    break
                shares_head = True
            shared = shared.get(norms[q])
    return out


#: Words of degree or extent that lead one finding of a list, not the others (since
#: linking version 38): "severe constipation and myopia" was *High myopia*, "generalized
#: hypotonia and seizures" *Generalized-onset seizure*. Words of shape, size, time or
#: recurrence still lead each conjunct ("short fingers and toes", "bilateral cleft lip and
#: palate", "neonatal jaundice and hypotonia", "recurrent shoulder and patellar
#: dislocations").
_UNSHARED_LEADS = frozenset(
    {
        *("severe", "mild", "moderate", "profound", "marked", "significant", "slight"),
        *("generalized", "generalised", "truncal", "axial", "global", "diffuse"),
    }
)


#: Acronyms that clinical notes use far more often in another sense than the ontology's
#: (its sense in brackets): they are never linked as acronyms, only where the text defines
#: them ("rheumatoid arthritis (RA)"). The dictionary links other acronyms wherever they
#: stand: on ID-68, linking an acronym only where a word of its long form is in the text
#: loses more right links (ADHD, GERD, PDA) than it saves.
_OVERLOADED_ACRONYMS = frozenset(
    {
        "BPD",  # bronchopulmonary dysplasia (Borderline personality disorder)
        "RA",  # room air, right atrium (Rheumatoid arthritis)
        "LFT",  # liver function tests (Filum terminale lipoma)
        "RAD",  # reactive airway disease (Right axis deviation)
        "TMD",  # temporomandibular disorder (Transient myeloproliferative syndrome)
        "MI",  # mitral insufficiency (Myocardial infarction)
        "BO",  # bowels opened (Body odor)
        "CP",  # cleft palate, chest pain (Cerebral palsy)
        "OCD",  # osteochondritis dissecans (Compulsive behaviors)
    }
)
#: Sacral levels that name heart sounds in HPO (S3: *Third heart sound*).
_SACRAL_LEVELS = frozenset({"S1", "S2", "S3", "S4", "S5"})
#: Words of a sentence about the spine: a sacral level there is a level (lower case).
_SPINAL_WORDS = frozenset(
    {
        "sacral",
        "sacrum",
        "lumbar",
        "lumbosacral",
        "thoracic",
        "spine",
        "spinal",
        "vertebra",
        "vertebrae",
        "vertebral",
        "cord",
        "root",
        "roots",
        "dermatome",
        "level",
        "levels",
        "disc",
        "coccyx",
        "coccygeal",
        "conus",
    }
)


def _other_sense(tokens: TokenTable, k: int) -> bool:
    """Whether the acronym at token ``k`` is used in another sense than the ontology's: an
    overloaded clinical abbreviation (:data:`_OVERLOADED_ACRONYMS`), or a sacral level in a
    sentence about the spine ("lipoma at L5-S1 extending to S3-S4", "sacral dimple at S3"),
    which has a vertebral level or a word of :data:`_SPINAL_WORDS`."""
    raw = tokens.raws[k]
    if raw in _OVERLOADED_ACRONYMS or raw.removesuffix("s") in _OVERLOADED_ACRONYMS:
        return True
    other = _OTHER_SENSE_WORDS.get(raw)
    if raw not in _SACRAL_LEVELS and other is None:
        return False
    lowers, raws = tokens.lowers, tokens.raws
    n = len(raws)
    a = k
    while a > 0 and lowers[a - 1] not in _SENTENCE_MARKS:
        a -= 1
    b = k + 1
    while b < n and lowers[b] not in _SENTENCE_MARKS:
        b += 1
    if other is not None:
        return any(lowers[q] in other for q in range(a, b))
    return (k > 0 and lowers[k - 1] == "at") or any(
        lowers[q] in _SPINAL_WORDS or _VERTEBRA_RE.fullmatch(raws[q]) is not None
        for q in range(a, b)
        if q != k
    )


#: Acronyms of the ontology that a sentence with one of these words uses in another sense
#: (since linking version 55): an MR angiogram's time-of-flight sequence ("MRA (TOF)") is
#: no *Tetralogy of Fallot*.
_OTHER_SENSE_WORDS: dict[str, frozenset[str]] = {
    "TOF": frozenset({"mra", "angiography", "angiogram", "flight", "sequence", "sequences"}),
}
_VERTEBRA_RE = re.compile(r"[CTL]\d{1,2}")
#: Marks that end a sentence (lower-cased tokens; "\n" a line break that starts a line).
_SENTENCE_MARKS = frozenset({".", ";", "!", "?", "\n", "...", "\u3002"})


#: Acronyms of tests and measurements: in brackets after a finding they say where it was
#: seen or measured ("cerebellar atrophy (MRI)", "microcephaly (OFC)"), never define it.
_NOT_DEFINED = frozenset(
    {
        "EEG",
        "EMG",
        "ENG",
        "NCS",
        "MRI",
        "MRA",
        "MRS",
        "CT",
        "PET",
        "SPECT",
        "US",
        "ECG",
        "EKG",
        "ECHO",
        "CXR",
        "ABR",
        "BAER",
        "OAE",
        "VEP",
        "ERG",
        "OCT",
        "CSF",
        "OFC",
        "HC",
        "BMI",
        "IQ",
        "DQ",
        "SD",
        "SDS",
    }
)


#: An acronym in brackets that a name goes on after ("growth hormone (GH) deficiency",
#: "a ventriculoperitoneal (VP) shunt", "immunoglobulin G (IgG) was 18.9 g/L"): upper case,
#: or a short form with a capital after its first letters ("IgG", "HbA1c").
_BRACKETED_ACRONYM = re.compile(r"\(\s?([A-Za-z][A-Za-z0-9-]{0,9})\s?\)(?=[ \t]+[^\W_])")
_WORDS_BEFORE = re.compile(r"((?:[^\W_][\w'-]*[ \t]+){1,6})$")
_SHORT_FORM = re.compile(r"[A-Za-z][a-z]?[A-Z][A-Za-z0-9]*")


class _Bracket(NamedTuple):
    """An acronym in brackets after its long form: the bracket's span, the acronym, and where
    the fewest words before it that the acronym fits begin (its long form)."""

    start: int
    stop: int
    acronym: str
    long_start: int


def _acronyms_inside_names(text: str) -> dict[int, _Bracket]:
    """The brackets of ``text`` that define an acronym of the words right before them and
    that words go on after ("creatine kinase (CK) was elevated"), by the end offset of the
    word before each. The acronym's letters fit the words before (:func:`_fits_long_form`),
    its last the last word's."""
    found: dict[int, _Bracket] = {}
    for m in _BRACKETED_ACRONYM.finditer(text):
        acronym = m.group(1)
        if not (is_acronym(acronym) or _SHORT_FORM.fullmatch(acronym)):
            continue
        before = _WORDS_BEFORE.search(text, max(0, m.start() - 120), m.start())
        if before is None:
            continue
        words = list(re.finditer(r"\S+", before.group(1)))
        lowers = [w.group(0).lower() for w in words]
        last = acronym.lower().removesuffix("s") if acronym.endswith("s") else acronym.lower()
        if last[-1] not in lowers[-1] or not _fits_long_form(acronym, lowers):
            continue
        first = next(
            k for k in range(len(words) - 1, -1, -1) if _fits_long_form(acronym, lowers[k:])
        )
        end = before.start(1) + words[-1].end()
        found[end] = _Bracket(m.start(), m.end(), acronym, before.start(1) + words[first].start())
    return found


#: The end of a sentence, for the sentence of a value read again.
_SENTENCE_END = re.compile(r"\.(?=\s|$)|\n")
#: What follows an analyte's name before its value: "(ACTH) 1,240", "(INR) was 1.6".
_VALUE_AFTER = re.compile(r"\s*(?:(?:was|were|is|of|at|:|=)\s*)?(?:[<>\u2264\u2265]\s*)?\d")


def _with_bracketed_uses(
    text: str,
    mentions: list[Mention],
    brackets: Mapping[int, _Bracket],
    defined: Mapping[int, str],
) -> list[Mention]:
    """``mentions`` with the acronym in each blanked bracket that defined its long form
    ("atrial septal defect (ASD) was found") read as a use of it, as the brackets left in
    place read it: the long form's term and context (:func:`_acronyms_inside_names`)."""
    added = []
    for end, iri in defined.items():
        long = next((m for m in mentions if m.end == end and m.iri == iri), None)
        if long is None:
            continue
        start, stop, acronym, _ = brackets[end]
        at = text.index(acronym, start, stop)
        if any(m.start < at + len(acronym) and at < m.end for m in mentions):
            continue
        added.append(
            replace(
                long,
                start=at,
                end=at + len(acronym),
                text=acronym,
                score=VARIANT_WEIGHT["defined"],
                source="defined",
                matched=acronym,
            )
        )
    return sorted(mentions + added, key=lambda m: m.start) if added else mentions


def _blanked(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """``text`` with each span's characters made spaces (offsets unchanged)."""
    chars = list(text)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)


def _fits_long_form(acronym: str, words: Sequence[str], lead: Sequence[str] = ()) -> bool:
    """Whether an acronym's letters and digits occur in order in a long form's words, its
    first at the start of a word (the check of Schwartz and Hearst, 2003: "ventricular septal
    defect" fits VSD, "hypsarrhythmia" does not fit EEG). ``lead``: words right before the
    mention that the long form may start with ("[generalized] tonic-clonic seizure (GTCS)");
    the acronym's last letter is the mention's. A plural s is no letter of it."""
    short = [c for c in acronym.lower() if c.isalnum()]
    if len(short) > 2 and acronym.endswith("s") and acronym[:-1].isupper():
        short.pop()  # "VSDs"
    own = " ".join(words)
    long = " ".join([*lead, own])
    at = len(long) - 1
    for k in range(len(short) - 1, -1, -1):
        c = short[k]
        while at >= 0 and (long[at] != c or (k == 0 and at > 0 and long[at - 1].isalnum())):
            at -= 1
        if at < 0 or (k == len(short) - 1 and at < len(long) - len(own)):
            return False
        at -= 1
    return bool(short)


def _lead_words(tokens: TokenTable, i: int, limit: int = 3) -> list[str]:
    """Up to ``limit`` words right before token ``i`` in its phrase that may start a long form
    with it: no function or stop words (lower case, in text order)."""
    norms, lowers = tokens.norms, tokens.lowers
    k = i
    while (
        k > 0
        and i - k < limit
        and norms[k - 1] != BREAK
        and norms[k - 1] not in STOPWORDS
        and lowers[k - 1] not in _FUNCTION_WORDS
        and lowers[k - 1] not in _CONJUNCTIONS
    ):
        k -= 1
    return lowers[k:i]


def _non_prefixed(tokens: TokenTable) -> dict[int, str]:
    """Position of each "non" joined to the next word by a hyphen ("non-febrile") -> the
    normalised form of the two as one word ("nonfebrile"), as a name writes it."""
    lowers, raws = tokens.lowers, tokens.raws
    n = len(lowers)
    return {
        k: normalize_token("non" + raws[k + 1])
        for k in range(n - 1)
        if lowers[k] == "non" and tokens.after(k) == "-" and raws[k + 1][:1].isalpha()
    }


def _stated_of_itself(tokens: TokenTable, k: int) -> bool:
    """Whether the words from ``k`` state a status or direction of the word before them: a
    word of :data:`_STATUS_WORDS`, right after it or after a copula, with adverbs between
    ("phosphate elevated", "palate was intact", "reflexes were mildly increased")."""
    norms, lowers = tokens.norms, tokens.lowers
    n = len(norms)
    if k < n and lowers[k] in ("has", "have", "had"):
        if k + 1 >= n or lowers[k + 1] != "been":
            return False
        k += 2
    elif k < n and lowers[k] in _STATUS_COPULAS:
        k += 1
    k = _skip_adverbs(tokens, k)
    return k < n and norms[k] in _STATUS_WORDS


#: The normalised "multiple" that counts read as (:meth:`ConceptLinker._counts_as_multiple`).
_MULTIPLE = normalize_token("multiple")
#: Counts in words that say "multiple" before a plural.
_COUNT_NUMBER_WORDS = frozenset(
    {"two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven"}
    | {"twelve", "fifteen", "twenty", "thirty", "dozens", "hundreds"}
)
#: The most digits of a count read so (a longer number is a measure, not a count).
_MOST_COUNTED_DIGITS = 3


def _plural_ahead(tokens: TokenTable, k: int, most: int = 6) -> bool:
    """Whether a plural noun comes within ``most`` words from ``k``, before any mark: what a
    count counts ("six [cafe-au-lait spots]", "3 [renal cysts]")."""
    for q in range(k, min(k + most, len(tokens.norms))):
        if tokens.norms[q] == BREAK:
            return False
        word = tokens.lowers[q]
        if word.isalpha() and singularize(word) != word:
            return True
    return False


#: Investigations named after their organ ("renal ultrasound and pelvic MRI"): a word
#: before one of them modifies it, and is no conjunct of its own.
_INVESTIGATION_NOUNS = frozenset(
    {"ultrasound", "mri", "ct", "scan", "imaging", "radiograph", "xray", "x-ray", "biopsy"}
    | {"examination", "exam", "echo", "angiography", "doppler", "views", "assessment"}
    # since linking version 55, a specimen's tests: "normal blood glucose, and urine amino
    # acid chromatography" lists no blood in the urine (*Hematuria*)
    | {"amino", "chromatography", "analysis", "culture", "microscopy", "electrophoresis"}
    | {"test", "tests", "testing", "studies", "study", "screen", "screening", "dipstick"}
)


def _modifies_next(tokens: TokenTable, q: int, head: str | None = None) -> bool:
    """Whether the last conjunct at ``q`` modifies the word after it, as the first conjunct
    modified ``head`` (when it has one): "renal ultrasound and pelvic [ultrasound]" (the same
    head) or "renal ultrasound and pelvic [MRI]" (an investigation) share no word with a name
    (since linking version 50: *Pelvic kidney* was read); nor, since version 55, "blood
    glucose, and urine [amino acid chromatography]" (a test's specimen)."""
    k = q + 1
    if k >= len(tokens.norms):
        return False
    return tokens.norms[k] == head or tokens.lowers[k] in _INVESTIGATION_NOUNS


def _conjuncts(tokens: TokenTable, p: int, max_items: int = 6) -> list[int] | None:
    """Positions of the one-word conjuncts of a coordination whose first word is at ``p``.

    ``w0, w1 and w2`` (commas, ``and``/``or``, ``, and``) -> ``[p, ...]`` up to the word
    after the conjunction; None when no ``and``/``or`` ends the list.
    """
    norms, raws = tokens.norms, tokens.raws
    n = len(norms)
    items = [p]
    k = p + 1
    while k < n and len(items) < max_items:
        joined = norms[k] in _CONJUNCTIONS
        if raws[k] == ",":
            joined = k + 1 < n and norms[k + 1] in _CONJUNCTIONS
            k += 1 + joined
        elif joined:
            k += 1
        else:
            return None
        if k >= n or norms[k] == BREAK or norms[k] in STOPWORDS or norms[k] in _NOT_CONJUNCTS:
            return None
        items.append(k)
        if joined:
            # an adverb is coordinated with adverbs only: "tears easily and wounds heal"
            # lists no "easily" and "wounds" (since linking version 50)
            adverbs = {_adverb(tokens.lowers[q]) for q in items}
            return items if len(adverbs) == 1 else None
        k += 1
    return None


def _adverb(lower: str) -> bool:
    """Whether a lower-case word reads as an adverb ("easily", "bilaterally")."""
    return len(lower) > 4 and lower.endswith("ly")


#: How an inability's words start ("cannot walk", "can't walk", "unable to walk").
_UNABLE_WORDS = frozenset({"cannot", "can", "unable"})
#: Words after "cannot walk" that limit the walking, not rule it out ("he can't walk far",
#: "unable to walk long distances", "cannot walk more than 100 m", "cannot walk properly").
_LIMITING_WORDS = frozenset(
    {"far", "long", "very", "more", "fast", "quickly", "properly", "well", "for", "as", "much"}
)


def _limited_not_unable(lowers: Sequence[str], i: int, j: int, name: str) -> bool:
    """Whether the match ``[i, j)`` of the name ``name`` reads an inability (*Inability to
    walk*) that the words after it limit instead: "he can't walk far, tires easily" is no
    *Inability to walk* (since linking version 54); "he can't hold his head up properly" is
    still *Poor head control*."""
    return (
        name[:9].lower() == "inability"
        and lowers[i] in _UNABLE_WORDS
        and j < len(lowers)
        and lowers[j] in _LIMITING_WORDS
    )


#: What a body that goes limp does ("she went limp in the water", "floppy and limp"): no
#: gait's *Limp*.
_LIMP_BEFORE = frozenset(
    {"went", "go", "goes", "going", "gone", "was", "were", "is", "are", "became", "becomes"}
    | {"felt", "feels", "and", "floppy", "completely", "totally", "all", "very"}
)
#: Words that a "throw ... up" holding them throws (no *Throwing up*: "he throws his arms
#: up").
_THROWN = frozenset({"arm", "arms", "hand", "hands", "head", "leg", "legs", "ball", "toy"})
#: What a "slow to" that tells a delay goes on with ("his speech was slow to come"); not
#: "saccades were slow to initiate".
_SLOW_TO = frozenset({"come", "develop", "start", "appear", "arrive", "begin"})
#: Verbs of speech and the words after them that make them speak of something ("never
#: talked about it").
_SPEECH_VERBS = frozenset({"talked", "spoke", "spoken", "talk", "speak", "said"})
_SPOKEN_OF = frozenset({"about", "of", "to", "with"})
#: Words before a person's given name in a clinic letter ("Seen Amelia, twenty months");
#: "re" and "dear" before a given name and a surname ("re Amelia Pryce"). Not a story's
#: "saw" ("Alice saw France"): a user's ontology names places and people.
_BEFORE_A_NAME = frozenset({"seen"})


#: Words of a vaccination, and the words a vaccine's disease may carry before them.
_VACCINE_STARTS = ("vaccin", "immunis", "immuniz", "booster")
_VACCINE_BETWEEN = frozenset({"type", "virus", "conjugate"})
_VACCINATED = frozenset(
    {"vaccinated", "vaccination", "vaccinations", "vaccine", "vaccines", "immunised"}
    | {"immunized", "immunisation", "immunization"}
)


def _a_vaccines_disease(tokens: TokenTable, i: int, j: int) -> bool:
    """Whether the match ``[i, j)`` names the disease of a vaccine, no finding of the
    patient (since linking version 56): "vaccinated against hepatitis B", "hepatitis A and
    B vaccines", "influenza vaccination"; not "a febrile seizure and a vaccine reaction"."""
    lowers, raws = tokens.lowers, tokens.raws

    def letter(k: int) -> bool:  # a disease's type as written: "B", not the article "a"
        return k < len(raws) and len(raws[k]) == 1 and raws[k].isupper()

    k = j
    while k < len(lowers) and k < j + 4:
        word = lowers[k]
        if word in ("and", "&"):
            if not letter(k + 1):
                break  # "hepatitis A and B vaccines", not "hepatitis and vaccinations"
        elif not letter(k) and word not in _VACCINE_BETWEEN:
            break
        k += 1
    if k < len(lowers) and lowers[k].startswith(_VACCINE_STARTS):
        return True
    return i >= 2 and lowers[i - 1] in ("against", "for") and lowers[i - 2] in _VACCINATED


#: Words of cytogenetics near a chromosome's arm ("a deletion of the short arm of chromosome
#: 4", "4p (short arm)") or a supernumerary chromosome (since linking version 67).
_CYTOGENETIC_WORDS = frozenset(
    {"chromosome", "chromosomes", "karyotype", "deletion", "duplication", "translocation"}
    | {"inversion", "microdeletion", "microduplication", "centromere", "telomere", "del"}
    | {"dup", "isochromosome", "derivative", "breakpoint", "breakpoints", "loss", "gain"}
    | {"trisomy", "monosomy", "deleted", "duplicated"}
)
#: Words that end the look back from a chromosome's arm ("a ring chromosome 20 and short
#: arms" names the arms of the body).
_ARM_LOOK_BACK_ENDS = frozenset({",", ";", ".", ":", "and", "with", "has", "have", "had"})
_CHROMOSOME_NAMES = frozenset({"chromosome", "chromosomes", "x", "y", "acrocentric"})
_CHROMOSOME_ARM = re.compile(r"(?:[1-9]|1[0-9]|2[0-2]|x|y)[pq]")
_CHROMOSOME_AFTER_SUPERNUMERARY = frozenset({"marker", "ring", "chromosome", "chromosomes"})
#: Subjects that "falls" on a scale or in a region, a verb, no *Falls* ("his weight falls on
#: the 50th centile", "the variant falls in the kinase domain").
_FALLING_MEASURES = frozenset(
    {"weight", "height", "length", "value", "values", "level", "levels", "score", "scores"}
    | {"centile", "percentile", "measurement", "circumference", "ofc", "bmi", "variant"}
    | {"variants", "deletion", "mutation", "change", "breakpoint"}
    | {"region", "gene", "temperature", "pressure", "count", "saturation", "curve"}
)
#: A finding's name before these words names a risk, a service or a gene, none of the
#: patient's findings ("cancer risk", "a fracture risk", "the cancer genetics clinic", "the
#: short stature homeobox gene").
_RISK_OR_SERVICE = frozenset({"risk", "risks", "genetics", "homeobox"})
#: Words about newborn screening near "blood spots" (a card's, no *Purpura*).
_BLOOD_SPOT_CARD = frozenset(
    {"screening", "screen", "collected", "card", "cards", "newborn", "dried", "guthrie"}
    | {"test", "testing", "sample", "samples", "taken", "sent", "heel", "prick"}
)


def _cytogenetic_sense(lowers: Sequence[str], i: int, j: int) -> bool:
    """Whether the match ``[i, j)`` names a chromosome's arm or a supernumerary chromosome,
    none of the body's findings (since linking version 67): "the short arm of chromosome
    4", "4p (short arm)", "a supernumerary marker chromosome"; not "short arms and legs"."""
    last = lowers[j - 1]
    if last == "supernumerary":
        return j < len(lowers) and lowers[j] in _CHROMOSOME_AFTER_SUPERNUMERARY
    if last not in ("arm", "arms"):
        return False
    after = lowers[j + 1 : j + 3] if j < len(lowers) and lowers[j] == "of" else []
    if _CHROMOSOME_NAMES.intersection(after) or (after and after[0][:1].isdigit()):
        return True  # "the short arm of chromosome 4", "... of the X chromosome"
    if i >= 2 and lowers[i - 1] == "(" and _CHROMOSOME_ARM.fullmatch(lowers[i - 2]):
        return True  # "4p (short arm)", not "a group (short arms)"
    k = i - 1
    while k >= max(0, i - 4) and lowers[k] not in _ARM_LOOK_BACK_ENDS:
        if lowers[k] in _CYTOGENETIC_WORDS:
            return True  # "a deletion of the short arm", "the breakpoint was on the short arm"
        k -= 1
    return False


def _no_finding_here(tokens: TokenTable, i: int, j: int) -> bool:
    """Whether the match ``[i, j)`` reads a word that here names no finding (since linking
    version 54): a speech "slow to come" (a delay), "never talked about it", a body gone
    limp, arms thrown up, shocks (a defibrillator's, a nerve test's), "it was a shock", a
    finding's name that is a person's given name ("Seen Amelia", "I saw Amelia", "re Amelia
    Pryce"); since version 55 an echo's "agitated saline" and an EEG's delta waves; since
    version 67 a chromosome's arm, a risk or a service named by a finding ("cancer risk"), a
    measure that "falls" on a centile, a change that "affects" splicing, a screening card's
    blood spots and "ptotic breasts"."""
    lowers, raws = tokens.lowers, tokens.raws
    if _a_vaccines_disease(tokens, i, j):
        return True  # "vaccinated against hepatitis B" (since linking version 56)
    # since linking version 67: a chromosome's arm, a risk, a verb's "falls" and "affects",
    # a newborn screening card's blood spots, "ptotic breasts"
    if _cytogenetic_sense(lowers, i, j):
        return True
    if j < len(lowers) and lowers[j] in _RISK_OR_SERVICE:
        return True  # "cancer risk", "the cancer genetics clinic", "short stature homeobox"
    if lowers[j - 1] in ("affects", "affecting"):
        return True  # "this change affects splicing": a verb, no *Abnormal affect*
    if (
        j - i == 1
        and lowers[i] == "falls"
        and (
            (i and lowers[i - 1] in _FALLING_MEASURES) or (j < len(lowers) and lowers[j] == "short")
        )
    ):
        return True  # "his weight falls on the 50th centile", "falls short of a diagnosis"
    if lowers[i] == "ptotic" and j < len(lowers) and lowers[j] in ("breast", "breasts"):
        return True  # a breast's ptosis, no eyelid's
    if lowers[i] == "blood" and lowers[j - 1] in ("spot", "spots"):
        near = lowers[max(0, i - 3) : j + 6]
        if _BLOOD_SPOT_CARD.intersection(near):
            return True  # "blood spots were collected for newborn screening"
    if lowers[i] == "delta" and _in_an_eeg_sentence(lowers, i):
        return True  # an EEG's delta waves (slow waves), no ECG's *Ventricular preexcitation*
    if (
        j + 1 < len(lowers)
        and lowers[j - 1] == "slow"
        and lowers[j] == "to"
        and lowers[j + 1] in _SLOW_TO
    ):
        return True  # "his speech was slow to come": a delay, no slow speech
    if j < len(lowers) and lowers[j - 1] in _SPEECH_VERBS and lowers[j] in _SPOKEN_OF:
        return True  # "my mum never really talked about it": no *Absent speech*
    if j - i == 1:
        if lowers[i] == "agitated" and j < len(lowers) and lowers[j] == "saline":
            return True  # an echo's bubble study (since linking version 55), no *Agitation*
        if lowers[i] == "limp" and i > 0 and lowers[i - 1] in _LIMP_BEFORE:
            return True
        if lowers[i] == "shocks":
            return True  # a defibrillator's, a nerve test's or an electric pain's, no *Shock*
        if lowers[i] == "shock" and i > 0 and lowers[i - 1] in ("a", "big", "such"):
            return True  # "it was a shock", a surprise
        raw = raws[i]
        if not (raw[:1].isupper() and raw[1:].islower() and i > 0):
            return False
        if lowers[i - 1] in ("re", "dear"):  # "re Amelia Pryce", not "Re: Seizures"
            after = raws[j] if j < len(raws) else ""
            return after[:1].isupper() and after[1:].islower()
        if lowers[i - 1] == "saw" and i > 1 and lowers[i - 2] == "i":
            return True  # a letter's "I saw Amelia, fourteen weeks"
        return lowers[i - 1] in _BEFORE_A_NAME
    return lowers[i].startswith("throw") and any(w in _THROWN for w in lowers[i + 1 : j])


#: Investigations of one organ, by the words that name them, and the adjectives of the
#: organ's findings (since linking version 55): "Echo:" opens the heart's findings.
_INVESTIGATION_SITES: dict[tuple[str, ...], tuple[str, ...]] = {
    ("echo",): ("cardiac",),
    ("echocardiogram",): ("cardiac",),
    ("echocardiography",): ("cardiac",),
    ("cardiac", "mri"): ("cardiac",),
    ("renal", "ultrasound"): ("renal",),
    ("renal", "us"): ("renal",),
    ("renal", "uss"): ("renal",),
    ("fundoscopy",): ("retinal", "optic disc"),
    ("funduscopy",): ("retinal", "optic disc"),
    ("ophthalmoscopy",): ("retinal", "optic disc"),
    ("mri", "brain"): ("cerebral", "brain"),
    ("brain", "mri"): ("cerebral", "brain"),
    ("ct", "head"): ("cerebral", "brain"),
    ("head", "ct"): ("cerebral", "brain"),
    ("mra",): ("cerebral",),
}
_SITE_CUES = frozenset(word for key in _INVESTIGATION_SITES for word in key)
_SITES_BY_FIRST_WORD: dict[str, list[tuple[tuple[str, ...], tuple[str, ...]]]] = {
    first: [(key, sites) for key, sites in _INVESTIGATION_SITES.items() if key[0] == first]
    for first in {key[0] for key in _INVESTIGATION_SITES}
}
#: Organs a word next to an investigation's name may give it instead of its usual one: an
#: "abdominal echo" (an echography) or an "MRA of the aorta" is no heart's or brain's.
_OTHER_ORGANS = frozenset(
    {"abdominal", "abdomen", "renal", "kidney", "pelvic", "hepatic", "liver", "thyroid"}
    | {"scrotal", "testicular", "neck", "carotid", "aorta", "aortic", "pulmonary", "chest"}
    | {"thoracic", "coronary", "mesenteric", "iliac", "femoral", "limb", "leg", "legs"}
    | {"peripheral", "spine", "spinal", "transfontanellar", "cranial", "transcranial"}
)
#: Words that already say a finding's site: no other site is read for it.
_SITE_WORDS = frozenset(
    {"cardiac", "heart", "renal", "kidney", "kidneys", "retinal", "retina", "cerebral"}
    | {"brain", "hepatic", "liver", "pulmonary", "lung", "lungs", "skin", "cutaneous"}
)
#: How many words of a sentence may come before its investigation's name ("Transthoracic
#: echo:", "Repeat MRI brain showed").
_SITE_OPENING = 3


def _decimal_point(lowers: Sequence[str], k: int) -> bool:
    """Whether the full stop at token ``k`` is a number's decimal point ("2.6 cm")."""
    return (
        lowers[k] == "."
        and 0 < k < len(lowers) - 1
        and lowers[k - 1].isdigit()
        and lowers[k + 1].isdigit()
    )


def _sentence_openings(lowers: Sequence[str]) -> list[int]:
    """The first token of each token's sentence (a number's decimal point ends none)."""
    out = []
    start = 0
    for k, word in enumerate(lowers):
        out.append(start)
        if word in _SENTENCE_MARKS and not _decimal_point(lowers, k):
            start = k + 1
    return out


def _investigation_heading(lowers: Sequence[str], start: int) -> tuple[tuple[str, ...], int]:
    """The organ adjectives of the investigation named within the first words of the
    sentence at ``start``, and the token after its name; ``((), 0)`` for none."""
    for k in range(start, min(start + _SITE_OPENING + 1, len(lowers))):
        for key, sites in _SITES_BY_FIRST_WORD.get(lowers[k], ()):
            if tuple(lowers[k : k + len(key)]) == key:
                end = k + len(key)
                near = {lowers[q] for q in range(max(start, k - 1), min(end + 4, len(lowers)))}
                if len(key) == 1 and not _OTHER_ORGANS.isdisjoint(near):
                    return (), 0  # "abdominal echo", "MRA of the aorta": another organ's
                return sites, end
    return (), 0


#: Words that make a sentence an EEG's (its "delta waves" are slow waves).
_EEG_WORDS = frozenset({"eeg", "eegs", "electroencephalogram", "electroencephalography"})


def _in_an_eeg_sentence(lowers: Sequence[str], i: int) -> bool:
    """Whether the sentence of token ``i`` names an EEG."""
    a = i
    while a > 0 and (lowers[a - 1] not in _SENTENCE_MARKS or _decimal_point(lowers, a - 1)):
        a -= 1
    b = i
    while b < len(lowers) and (lowers[b] not in _SENTENCE_MARKS or _decimal_point(lowers, b)):
        b += 1
    return not _EEG_WORDS.isdisjoint(lowers[a:b])


#: Periods of life that "early" and "late" qualify ("in her late teens", "early childhood").
_LIFE_PERIODS = frozenset(
    {"teens", "twenties", "thirties", "forties", "fifties", "sixties", "seventies", "eighties"}
    | {"childhood", "adolescence", "adulthood", "infancy", "life", "pregnancy", "gestation"}
)


def _ends_on_a_periods_word(lowers: Sequence[str], i: int, j: int) -> bool:
    """Whether a match of several words ends with "early" or "late" that the next word, a
    period of life, takes ("walking in her late teens")."""
    return (
        j - i > 1
        and j < len(lowers)
        and lowers[j - 1] in ("late", "early")
        and lowers[j] in _LIFE_PERIODS
    )


#: What is measured in a specimen whose name is a finding's subject ("activity in
#: leukocytes was low" is no *Leukopenia*; since linking version 53).
_MEASURED_IN = frozenset({"activity", "activities", "enzyme", "assay", "level", "levels"})


def _of_before(lowers: Sequence[str], i: int) -> bool:
    """Whether the words before ``i`` end with "of" and a possessive or article ("the whites
    of her eyes"): the noun at ``i`` is another's complement, no subject; not after a
    quantifier ("both of his eyes")."""
    p = i - 1
    while p >= 0 and lowers[p] in ("his", "her", "their", "the", "a", "an"):
        p -= 1
    return p >= 1 and lowers[p] == "of" and lowers[p - 1] not in ("both", "all", "each", "one")


def _predicate_match(tokens: TokenTable, i: int, j: int, node: Mapping[str, Any]) -> _Match | None:
    """A name whose last word is the predicate of the text's subject at ``i``.

    ``norms[i:j]`` walked the trie down to ``node``; from ``j`` on the text reads
    ``[that|which] copula [adverbs] word`` (copula: ``is``, ``was``, ``are``, ``were``, ``has
    been``, ``seems to be``, ``remained``). When ``word`` completes a name from ``node``,
    the match spans subject to predicate (``speech is severely delayed`` -> ``Delayed
    speech``, indexed as ``speech delayed`` among the word orders of the name).
    """
    norms = tokens.norms
    n = len(norms)
    if i >= 2 and tokens.lowers[i - 1] == "in" and tokens.lowers[i - 2] in _MEASURED_IN:
        return None  # "arylsulfatase A activity in leukocytes was low": the activity's
    k = j
    if norms[k] in ("that", "which"):
        k += 1
    if k >= n:
        return None
    verb = norms[k]
    k += 1
    if verb in _BEFORE_COPULA and k < n and norms[k] in _CHANGE_COPULAS:
        verb, k = norms[k], k + 1  # "gradually became"
    if tokens.lowers[k - 1] == "not":
        # a letter's verbless denial (since linking version 48): "Sclerae not blue", "Skin
        # not hyperextensible"; not "not only soft but ..."
        if k < n and tokens.lowers[k] == "only":
            return None
        term, end = _predicate_words(tokens, _skip_adverbs(tokens, k), node)
        if not term:
            return None
        return _Match(i, end, [(name_id, "predicative") for name_id, _ in term], denied=True)
    if verb in ("has", "have", "had"):
        k = _skip_adverbs(tokens, k)
        if k >= n or norms[k] != "been":
            return None
        k += 1
    elif verb in _CHANGE_COPULAS:
        if k + 1 < n and norms[k] == "to" and norms[k + 1] == "be":
            k += 2  # "seems to be"; "looks high", "became slurred" have no "to be"
    elif verb in _MODAL_COPULAS:  # only "could not be fully extended" and its kind
        if verb != "cannot":
            if k >= n or norms[k] != "not":
                return None
            k += 1
        if k + 1 >= n or norms[k] != "be" or tokens.lowers[k + 1] != "fully":
            return None
        return _limited_motion(tokens, i, k + 2, node)
    elif verb not in ("is", "was", "are", "were", "remain"):
        return None
    adverbs, k = k, _skip_adverbs(tokens, k)
    denied = k + 1 < n and tokens.lowers[k] in ("not", "never")
    if denied:  # "the liver was not enlarged", "tone was never increased"
        k += 1
        if tokens.lowers[k] == "only":  # "was not only enlarged but ..."
            denied, k = False, k + 1
        elif tokens.lowers[k] == "fully":  # "the knees were not fully extendable"
            return _limited_motion(tokens, i, k + 1, node)
        adverbs, k = k, _skip_adverbs(tokens, k)
    if k < n and tokens.lowers[k] in _REPORTED:
        # "the joints were found to be hyperextensible", "ears were noted to be low-set"
        k += 1
        if k + 1 < n and norms[k] == "to" and norms[k + 1] == "be":
            k += 2
        adverbs, k = k, _skip_adverbs(tokens, k)
    # The predicate: the words that complete a name from ``node``, the longest ("low-set");
    # an adverb that is a word of the name first, with the word after it (since linking
    # version 61: "the eyes are widely spaced" is *Widely spaced eyes*, "deeply set"
    # *Deeply set eye*; not the adverb alone: "the microcephaly is mildly progressive" is
    # no *Mild microcephaly*), else past the adverbs ("speech is severely delayed")
    term, end = _with_adverbs(tokens, adverbs, k, node)
    if not term:
        return None
    return _Match(i, end, [(name_id, "predicative") for name_id, _ in term], denied=denied)


def _predicate_words(
    tokens: TokenTable, k: int, node: Mapping[str, Any]
) -> tuple[list[tuple[int, str]] | None, int]:
    """The names the words from ``k`` complete from ``node`` (the longest: "low-set"), and
    the index after them; None when none does."""
    norms, n = tokens.norms, len(tokens.norms)
    term, end = None, k
    walk: Mapping[str, Any] | None = node
    for last in range(k, min(k + _PREDICATE_WORDS, n)):
        if norms[last] == BREAK or walk is None:
            break
        walk = walk.get(norms[last])
        if walk is not None and _END in walk:
            term, end = walk[_END], last + 1
    return term, end


def _with_adverbs(
    tokens: TokenTable, adverbs: int, k: int, node: Mapping[str, Any]
) -> tuple[list[tuple[int, str]] | None, int]:
    """:func:`_predicate_words` from the adverbs at ``adverbs`` (``k`` is the word after
    them) when the name goes on past them ("widely spaced", not "mildly" alone), else from
    ``k``, past the adverbs ("severely delayed")."""
    if adverbs < k:
        term, end = _predicate_words(tokens, adverbs, node)
        if term and end > k:
            return term, end
    return _predicate_words(tokens, k, node)


def _coordinated_predicates(
    tokens: TokenTable, first: _Match, node: Mapping[str, Any]
) -> list[_Match]:
    """The predicates coordinated after a predicate match ``first`` that also complete a
    name of its subject (``node``): "his skin was soft, velvety and markedly hyperextensible"
    reads *Hyperextensible skin* too (since linking version 30). A word no name of the
    subject takes ("velvety") is passed over when a separator follows it; anything else
    ends the coordination ("the skin was soft and he had seizures")."""
    lowers, n = tokens.lowers, len(tokens.lowers)
    out: list[_Match] = []
    k = first.j
    while k < n and lowers[k] in _SEPARATORS:
        q = k + 1
        while q < n and lowers[q] in _SEPARATORS:
            q += 1  # ", and"
        adverbs, q = q, _skip_adverbs(tokens, q)
        # an adverb of the name first ("the teeth are small and widely spaced")
        term, end = _with_adverbs(tokens, adverbs, q, node)
        if not term:
            if q + 1 < n and lowers[q].isalpha() and lowers[q + 1] in _SEPARATORS:
                k = q + 1  # "velvety," / "velvety and"
                continue
            break
        candidates = [(name_id, "predicative") for name_id, _ in term]
        out.append(_Match(first.i, end, candidates, "coordinated", denied=first.denied))
        k = end
    return out


def _subject_swapped(m: _Match, matched: str, subject: str, word: str) -> tuple[str, ...]:
    """The key of the name a predicate match read (``matched``) with its ``subject`` (the
    match's first word) replaced by a coordinated subject ``word``: "the elbows and knees
    were not fully extendable" reads *Limited knee extension*, whose words with "elbow" name
    *Limited elbow extension*. Empty for other matches, and where the name does not hold
    the subject."""
    if not m.candidates or m.candidates[0][1] != "predicative":
        return ()
    key = content_tokens(matched)
    if subject not in key:
        return ()
    return tuple(word if t == subject else t for t in key)


def _limited_motion(tokens: TokenTable, i: int, k: int, node: Mapping[str, Any]) -> _Match | None:
    """A joint's limited motion said as a motion not done fully (``the knees were not fully
    extendable``, ``could not be fully flexed``): the name ``Limited <joint> <motion>``,
    indexed as ``<joint> <motion> limited``, when ``node`` (the joint) has one; ``k`` is the
    word after ``fully``."""
    motion = _FULL_MOTIONS.get(tokens.norms[k]) if k < len(tokens.norms) else None
    walk = node.get(motion) if motion is not None else None
    names = walk.get(_LIMITED) if walk is not None else None
    if names is None or _END not in names:
        return None
    return _Match(i, k + 1, [(name_id, "predicative") for name_id, _ in names[_END]])


#: Words that start a noun phrase of its own after a conjunction: the name before it does
#: not lead it ("a small jaw and her eyes are far apart" is no *Microphthalmia*).
_OWN_PHRASE_STARTS = frozenset({"his", "her", "their", "its", "my", "our", "the"})
#: A prefix written apart before a conjunction, looked for before the tokens are (C-level).
_APART_PREFIX_RE = re.compile(r"[^\W\d_]-[ \t]*\r?\n?[ \t]*(?:and|or)\b", re.IGNORECASE)
#: The shortest ending of a word that a prefix written apart may take ("hepato- and
#: spleno[megaly]").
_MIN_SUFFIX = 4
#: Modal verbs read as a copula in ``could not be fully extended`` only (normalised).
_MODAL_COPULAS = frozenset({"could", "can", "cannot"})
#: A motion not done fully, as the noun of the names of its limitation (normalised).
_FULL_MOTIONS = {
    normalize_token(word): normalize_token(noun)
    for words, noun in (
        (("extended", "extendable", "extensible", "straightened"), "extension"),
        (("flexed", "flexible", "bent"), "flexion"),
    )
    for word in words
}
_LIMITED = normalize_token("limited")


#: Verbs that report a test's result ("EMG showed ..."), lower case.
_REPORT_VERBS = frozenset({"showed", "shows", "revealed", "reveals", "demonstrated", "disclosed"})
#: Participles of a report between a copula and its predicate ("was found to be", "were
#: noted"), lower case.
_REPORTED = frozenset({"found", "noted", "observed", "seen", "shown", "considered", "judged"})
#: The most words of a predicate that completes a name ("low-set", "severely delayed").
_PREDICATE_WORDS = 3


def _ends_an_item(tokens: TokenTable, k: int) -> bool:
    """Whether token ``k`` ends a list item: the text's end, punctuation or a conjunction."""
    return k >= len(tokens.norms) or tokens.norms[k] == BREAK or tokens.lowers[k] in _CONJUNCTIONS


def _gerund_by_stem(name: str, word: str) -> bool:
    """A one-word name that is a gerund (``Ordering``, ``Mouthing``) reached by a past form
    of its verb or a singular noun of its stem (``ordered``, ``order``, ``mouth``). As a
    synonym such a name is a behaviour (*Atypical sorting*, *Hyperorality*), and "tests were
    ordered" or "his mouth" is none. Plural nouns name the events ("frequent jerks":
    *Myoclonus*, from "Jerking"); the caller keeps labels ("she vomited": *Vomiting*)."""
    name = name.lower()
    if " " in name or not name.endswith("ing"):
        return False
    return word.endswith("ed") or not word.endswith(("ing", "s"))


#: One-word names that are everyday English words, and the words that, right after one,
#: make it part of another thing ("stroke volume", "a tumor board", "falls asleep"). Such
#: a name is a finding only as the noun of the finding: a gerund name (*Jumping*,
#: *Clubbing*) is not matched by its stem ("jump", "a chess club", "the toilet flush"), a
#: plural name (*Falls*, *Piles*) not by its singular ("to fall", "a pile of pillows").
_EVERYDAY_NAMES: dict[str, frozenset[str]] = {
    "falls": frozenset({"asleep"}),
    "piles": frozenset(),
    "jumping": frozenset({"jack", "jacks", "rope"}),
    "clubbing": frozenset(),
    "flushing": frozenset(),
    "spinning": frozenset({"top", "tops", "wheel", "class"}),
    "stroke": frozenset({"volume", "volumes", "index", "work", "rate"}),
    "shock": frozenset({"absorbing", "absorber", "absorbers", "absorption", "wave", "waves"}),
    "tumor": frozenset({"board", "boards", "suppressor", "suppressors", "marker", "markers"}),
    "tumour": frozenset({"board", "boards", "suppressor", "suppressors", "marker", "markers"}),
    "sad": frozenset({"to", "that", "about", "when", "because"}),
    "irritable": frozenset({"bowel"}),
}


#: Words that name a class of body parts, not a finding of them: "arthritis of the large
#: joints" (knees, hips), not *Enlarged joints* (since linking version 48).
_CLASSES_OF_PARTS = frozenset({("large", "joints"), ("large", "joint")})
#: Lesions: right after a name of the skin's quality ("soft skin [nodules]") the quality is
#: the lesion's, not the skin's (since linking version 48).
_LESION_NOUNS = frozenset(
    {"nodule", "nodules", "tag", "tags", "lesion", "lesions", "lump", "lumps", "mass"}
    | {"masses", "swelling", "swellings", "tumour", "tumours", "tumor", "tumors", "papules"}
)
#: A disease's adjectives that, before a noun, qualify it ("diabetic retinopathy", "a
#: diabetic mother", "a hypertensive crisis") rather than state the patient's disease, which
#: the text states elsewhere when it is the patient's (since linking version 48).
_QUALIFYING_ADJECTIVES = frozenset({"diabetic", "hypertensive"})
#: Drugs: after a name read from a participle ("QT-prolonging [drugs]") they make it a kind
#: of drug (since linking version 48).
_DRUG_NOUNS = frozenset({"drug", "drugs", "medication", "medications", "medicines", "agents"})
#: The words a value outside its stated range is read with, in turn, before its analyte's
#: words ("high calcium"; "prolonged QTc", "reduced Arden ratio": since linking version 48).
_DIRECTION_WORDS = {
    "high": ("high", "increased", "elevated", "prolonged"),
    "low": ("low", "decreased", "reduced"),
}
#: Dashes: written apart from the words around them they end a phrase (since linking
#: version 48).
_DASHES = frozenset({"-", "\u2013", "\u2014"})
#: Words before "phosphate" that make it an ester's name ("pyridoxal 5'-phosphate",
#: "glucose-6-phosphate"), not the serum's phosphate (since linking version 48).
_PHOSPHATE_ESTERS = frozenset({"5", "6", "1", "pyridoxal", "glucose", "inositol", "sugar"})
#: What an examiner found of an absence's words after them: "No skin pigmentation was
#: noted" says that none was seen, not that the skin lacks pigment (since version 48).
_EXAMINED = frozenset({"noted", "seen", "observed", "found", "detected", "present", "evident"})


def _examined_after(lowers: Sequence[str], j: int) -> bool:
    """Whether the words from ``j`` say what an examination found: "was noted", "were
    seen", "was present"."""
    return (
        j + 1 < len(lowers)
        and lowers[j] in ("was", "were", "is", "are")
        and lowers[j + 1] in _EXAMINED
    )


#: Vessels and ducts: right after a name that ends with an organ's adjective ("rupture of
#: the splenic [artery]", "dilatation of the hepatic [ducts]") they make the finding theirs,
#: not the organ's (since linking version 48).
_VESSELS = frozenset(
    {"artery", "arteries", "vein", "veins", "vessel", "vessels", "duct", "ducts", "arterial"}
)


#: Words after a finding's name that make the name part of another thing: a test ("hepatitis
#: serology"), a vaccine, a treatment's diet ("a low-methionine diet", "a low-protein
#: formula"); since linking version 47.
_NAMES_ANOTHER_THING = frozenset(
    {"serology", "serologies", "vaccine", "vaccines", "vaccination", "immunisation"}
    | {"immunization", "diet", "diets", "formula", "formulas", "swab", "swabs"}
)
#: The words after a name that :func:`_names_another_thing` looks at first.
_AFTER_WORDS = _NAMES_ANOTHER_THING | _VESSELS | _LESION_NOUNS | _DRUG_NOUNS


#: Words of the heart's walls: before a motion's name or after its "of", they make it the
#: wall's motion, not a movement disorder ("dyskinesia of the right ventricular free wall").
_HEART_WALL = frozenset(
    {"ventricle", "ventricles", "ventricular", "septum", "septal", "wall", "apex", "apical"}
    | {"myocardium", "myocardial", "rv", "lv", "regional", "segmental"}
)
#: Motions' names that a heart's wall after their "of" puts in the heart (see above).
_WALL_MOTIONS = frozenset({"dyskinesia", "dyskinesis", "akinesia", "hypokinesia"})


#: Names of a finding (in lower case) that the word before them puts elsewhere or gives
#: another sense: "knee jerks" are tendon reflexes (not *Myoclonus*'s "jerking"), "optic
#: pallor" the optic disc's (not the skin's *Pallor*), "CSF lymphocytosis" the spinal
#: fluid's (not the blood's), "dried blood spots" a screening card (not *Purpura*).
_OTHER_SITES: dict[str, frozenset[str]] = {
    "jerking": frozenset({"knee", "ankle", "biceps", "triceps", "supinator", "jaw", "reflex"}),
    "jerks": frozenset({"knee", "ankle", "biceps", "triceps", "supinator", "jaw", "reflex"}),
    "pallor": frozenset({"optic", "disc", "disk", "nerve", "temporal"}),
    "lymphocytosis": frozenset({"csf"}),
    # since linking version 38: procedures and the heart's wall ("fine-needle aspiration",
    # "bone marrow aspiration", "regional akinesia of the right ventricle")
    "aspiration": frozenset({"needle", "marrow", "biopsy", "suction", "aspiration"}),
    "akinesia": frozenset({"regional", "wall", "septal", "apical", "segmental"}),
    # "uplifted ear lobes with a central depression", "ST depression": not the mood's
    "depression": frozenset({"central", "midline", "small", "shallow", "st", "segment"}),
    # "enzyme activity in dried blood spots": the newborn screening card, not *Purpura*
    "blood spots": frozenset({"dried"}),
    "blood spot": frozenset({"dried"}),
    "hypokinesia": frozenset({"regional", "wall", "septal", "apical", "segmental", "global"}),
    # since linking version 48: a ventricle's wall motion ("right ventricular dyskinesia")
    "dyskinesia": _HEART_WALL,
    "dyskinesis": _HEART_WALL,
    # the optic disc's or the retina's vessels, not the skin's
    "telangiectasia": frozenset({"peripapillary", "retinal", "juxtafoveal", "macular"}),
    # the eye's or the mouth's, not the skin's ("retinal hyperpigmentation")
    "hyperpigmentation": frozenset(
        {"retinal", "fundus", "fundal", "macular", "rpe", "mucosal", "oral", "gingival"}
        | {"conjunctival", "nail", "iris"}
    ),
    # since linking version 47: a treatment's good response ("with good weight gain"), a
    # baby's swallow ("poor suck and swallow incoordination")
    "weight gain": frozenset(
        {"good", "adequate", "appropriate", "satisfactory", "steady", "improved", "better"}
        | {"up", "catch-up"}  # since linking version 50: "catch-up weight gain"
    ),
    "incoordination": frozenset({"swallow", "swallowing", "suck", "sucking"}),
    # since linking version 52: a bare "hydrops" is the fetus's (version 51), but not an
    # organ's ("gallbladder hydrops", "endolymphatic hydrops", "acute corneal hydrops")
    "hydrops": frozenset(
        {"gallbladder", "bladder", "endolymphatic", "cochlear", "labyrinthine", "corneal"}
        | {"joint", "knee", "articular"}
    ),
    # since linking version 46: a defibrillator's "shock" is a therapy ("a single 200 J
    # shock", "an appropriate ICD shock"), not circulatory *Shock*
    "shock": frozenset(
        {"j", "joule", "joules", "appropriate", "inappropriate", "icd", "defibrillator", "dc"}
        | {"electric", "electrical", "single", "delivered"}
    ),
}


#: Words that put a laboratory value in a specimen ("activity in leukocytes", "level in
#: plasma"): the analyte's words end before them.
_SPECIMEN_PLACES = frozenset({"in", "on", "from", "within"})
#: Specimens other than blood that an analyte's words may name ("CSF lactate").
_SPECIMENS = frozenset(
    {"csf", "urine", "urinary", "cerebrospinal", "amniotic", "sweat", "stool", "fecal", "faecal"}
)
#: Units that a slash follows ("mg/L", "g/dL"): never an analyte's acronym.
_UNIT_WORDS = frozenset({"mg", "g", "ug", "ng", "pg", "mmol", "umol", "nmol", "iu", "u", "ml"})


def _denies_itself(m: _Match) -> bool:
    """Whether ``m`` is a denial that names an absence ("no speech": :mod:`encoders.absences`)."""
    return bool(m.candidates) and m.candidates[0][1] == DENIED


def _names_another_thing(
    tokens: TokenTable, m: _Match, name: str, dashed: bool, with_: bool
) -> bool:
    """Whether the words a name matched, read with the words around them, name no finding of
    the patient: "hepatitis [serology]", "a low-methionine [diet]" (since linking version
    47); since version 48 "rupture of the splenic [artery]", "soft skin
    [nodules]", "no diabetic [retinopathy]", "QT-prolonging [drugs]", "in the right eye a
    large [cavity]", "skin with atrophic [scars]", "bilirubin raised - haemolysis", "the
    large joints", "pyridoxal 5'-phosphate". ``dashed`` and ``with_``: whether the text
    holds a dash and a "with" at all (each looked for once per text)."""
    lowers = tokens.lowers
    i, j = m.i, m.j
    after = lowers[j] if j < len(lowers) else ""
    if after in _AFTER_WORDS:
        if after in _NAMES_ANOTHER_THING:
            return True  # a test, a vaccine, a diet, a specimen
        lowered = name.lower()
        if after in _VESSELS and not _VESSELS.intersection(lowered.split()):
            return True  # "rupture of the splenic artery" is no Splenic rupture
        if after in _LESION_NOUNS and lowered.endswith("skin"):
            return True  # "soft skin nodules", "thick skin tags": the lesion's quality
        if after in _DRUG_NOUNS and lowers[j - 1].endswith("ing"):
            return True  # "QT-prolonging drugs" are a kind of drug, no finding
    goes_on = after.isalpha() and after not in _CONJUNCTIONS and tokens.norms[j] not in STOPWORDS
    if goes_on and j - i == 1 and lowers[i] in _QUALIFYING_ADJECTIVES:
        return True  # "no diabetic retinopathy" rules out no diabetes
    if goes_on and j - i > 2 and lowers[j - 2] in ("a", "an"):
        return True  # "in the right eye a large [cavity]": the cavity's size
    if (
        goes_on
        and with_
        and j - i > 2
        and m.source == "dictionary"
        and "with" in lowers[i + 1 : j - 1]
        and "with" not in name.lower().split()
    ):
        # "skin with atrophic [scars]" is no Skin atrophy: the words after "with" begin a
        # phrase of their own; "difficulty with sleep." and "valve with minimal
        # regurgitation." stay
        return True
    if dashed and j - i > 2 and m.source == "dictionary" and _across_a_dash(tokens, i, j):
        return True  # "bilirubin raised - haemolysis": a dash apart ends a phrase
    if lowers[i] == "large" and tuple(lowers[i:j]) in _CLASSES_OF_PARTS:
        return True  # "the large joints" are knees and hips, not enlarged ones
    return lowers[i] == "phosphate" and i > 0 and lowers[i - 1] in _PHOSPHATE_ESTERS


def _across_a_dash(tokens: TokenTable, i: int, j: int) -> bool:
    """Whether the words ``[i, j)`` hold a dash written apart, other than a label's after
    its first word at the start of a phrase ("Ears - low set", "palate - high arched";
    since linking version 48)."""
    raws = tokens.raws
    for k in range(i + 1, j - 1):
        if raws[k] in _DASHES and not any(tokens.touching(k)):
            label = k == i + 1 and (i == 0 or not raws[i - 1][:1].isalnum())
            if not label:
                return True
    return False


def _at_another_site(name: str, lowers: Sequence[str], k: int, end: int = -1) -> bool:
    """Whether the word before token ``k`` puts the finding ``name`` matched from there (to
    ``end``) at another site or in another sense (:data:`_OTHER_SITES`), or a heart's wall
    after its "of" does (:data:`_WALL_MOTIONS`)."""
    lowered = name.lower()
    if (
        lowered in _WALL_MOTIONS
        and 0 < end < len(lowers)
        and lowers[end] == "of"
        and _HEART_WALL.intersection(lowers[end + 1 : end + 5])
    ):
        return True  # "akinesia of the left ventricular apex"
    before = _OTHER_SITES.get(lowered)
    if before is None or k == 0:
        return False
    j = k - 1
    if lowers[j] == ":" and j > 0:  # "CSF: lymphocytosis"
        j -= 1
    return lowers[j] in before


#: A stool's qualities that tell of fat in it: its paleness read with them ("pale, bulky,
#: offensive stools", "greasy, offensive, pale stools") is steatorrhoea's, not a lack of
#: bile (*Acholic stools*; since linking version 49).
_FATTY_STOOL_WORDS = frozenset(
    {"bulky", "offensive", "greasy", "fatty", "oily", "floating", "frothy", "foul", "smelly"}
    | {"malodorous"}
)
_ACHOLIC_STOOLS, _STEATORRHEA = to_iri("HP:0011985"), to_iri("HP:0002570")


def _fatty_stools(lowers: Sequence[str], i: int, j: int) -> bool:
    """Whether the words ``[i, j)`` of a stool's colour, or the list of qualities right
    before them, name one that tells of fat in it (:data:`_FATTY_STOOL_WORDS`)."""
    while i > 0 and (lowers[i - 1] in (",", "and") or lowers[i - 1] in _FATTY_STOOL_WORDS):
        i -= 1
    return not _FATTY_STOOL_WORDS.isdisjoint(lowers[i:j])


#: Words before a finding that make it a parent's ("maternal diabetes"; since linking
#: version 46).
_PARENTAL = frozenset({"maternal", "paternal"})
#: A laboratory name read from a ratio's second part ("TmP/GFR", "calcium/creatinine") is
#: no finding of its own.
_RATIO_DENOMINATORS = frozenset({"gfr", "creatinine", "cr", "crea", "creat"})
#: Words right before a blood concentration's name that put it in the urine.
_URINE_WORDS = frozenset({"urinary", "urine"})
_URINE_PHRASES = (("excretion", "of"), ("clearance", "of"))


#: A ratio's mark between its parts ("calcium/creatinine", "calcium:creatinine").
_RATIO_MARKS = frozenset({"/", ":"})


def _ratio_numerator(tokens: TokenTable, k: int) -> int | None:
    """The token of a ratio's first part where token ``k`` is its second ("calcium:
    creatinine", "TmP/GFR": the words after the mark name no value of their own); None
    where ``k`` is none."""
    if k < 1 or tokens.lowers[k] not in _RATIO_DENOMINATORS:
        return None
    if tokens.separator_before(k).strip() in _RATIO_MARKS:
        return k - 1
    if k > 1 and tokens.raws[k - 1] in _RATIO_MARKS and not tokens.separator_before(k - 1):
        return k - 2
    return None


def _ratio_parts(tokens: TokenTable, words: Sequence[int]) -> tuple[int, int] | None:
    """The tokens of a ratio's first and second parts where an analyte's words
    (``words``, tokens) end with a ratio ("calcium:creatinine [ratio]"); else None."""
    if not words:
        return None
    last = words[-2] if len(words) > 1 and tokens.lowers[words[-1]] == "ratio" else words[-1]
    numerator = _ratio_numerator(tokens, last)
    return None if numerator is None else (numerator, last)


def _urine_ratio_phrase(tokens: TokenTable, numerator: int, k: int, direction: str) -> str | None:
    """The dictionary phrase of a ratio to creatinine (token ``k``) outside its range, of
    its first part (token ``numerator``): "calcium:creatinine 1.1 (ref <0.7)" is "high
    urine calcium", *Hypercalciuria*; None for other ratios."""
    first = tokens.lowers[numerator]
    if tokens.lowers[k] == "gfr" or not first.isalpha():
        return None
    return f"{'high' if direction == 'high' else 'low'} urine {first}"


def _outside_the_blood(
    labels: Mapping[str, str], chosen: tuple[str, float, str], tokens: TokenTable, i: int, j: int
) -> bool:
    """Whether a match over tokens ``[i, j)`` of the ``chosen`` term (IRI, weight, name)
    reads a ratio's second part ("TmP/GFR was low" is no *Decreased glomerular filtration
    rate*), a value within its range ("PTH was low-normal"), or a blood concentration's name
    measured in the urine ("fractional excretion of magnesium was high", "urinary calcium was
    low"): each is no finding of the term. Since linking version 46."""
    lowers = tokens.lowers
    if i > 0 and lowers[i] in _RATIO_DENOMINATORS and tokens.separator_before(i) == "/":
        return True
    if j < len(lowers) and lowers[j] == "normal" and lowers[j - 1] in ("low", "high"):
        return True
    in_urine = (i > 0 and lowers[i - 1] in _URINE_WORDS) or (
        i > 1 and (lowers[i - 2], lowers[i - 1]) in _URINE_PHRASES
    )
    if not in_urine:
        return False
    text = labels.get(chosen[0], chosen[2]).lower()
    return "circulating" in text or text.endswith("emia")


def _inside_no_coordination(kept: list[_Scored], lowers: Sequence[str]) -> list[_Scored]:
    """``kept`` without the one-word dictionary matches that lie strictly inside a
    coordinated one that shares a head after its conjuncts: in "loss of [pain] and
    temperature sensation" the pain is the first conjunct's (*Impaired pain sensation*), no
    *Pain* of its own (since linking version 47); a coordination that shares a lead before
    them keeps them ("episodic [headaches], [palpitations] and sweating": since version
    48)."""
    spans = [
        (k[0].i, k[0].j)
        for k in kept
        if k[0].source == "coordinated" and lowers[k[0].j - 2] not in _SEPARATORS
    ]
    return [
        k
        for k in kept
        if not (
            k[0].source == "dictionary"
            and k[0].j - k[0].i == 1
            and any(a < k[0].i and k[0].j < b for a, b in spans)
        )
    ]


def _finite_after_infinitive(lowers: Sequence[str], i: int, j: int) -> bool:
    """Whether a coordination from an infinitive ends in a finite verb, so its last word is
    no second infinitive: "unable to speak and walks with a broad-based gait" (since
    linking version 47)."""
    if j >= len(lowers):
        return False
    last = lowers[j]
    return "to" in lowers[i:j] and last.endswith("s") and not last.endswith(("ss", "us", "is"))


def _everyday_sense(name: str, tokens: TokenTable, k: int) -> bool:
    """Whether the one word at token ``k``, matched to ``name``, is used in its everyday
    sense rather than as the finding's name (see :data:`_EVERYDAY_NAMES`)."""
    name = name.lower()
    after = _EVERYDAY_NAMES.get(name)
    if after is None:
        return False
    word = tokens.lowers[k]
    if name.endswith("ing") and _gerund_by_stem(name, word):
        return True
    if name.endswith("s") and not word.endswith("s"):
        return True
    return k + 1 < len(tokens.lowers) and tokens.lowers[k + 1] in after


def _modifier_word(tokens: TokenTable, k: int, *, lead: bool = False) -> bool:
    """Whether token ``k`` may be a word of a modifier before a head noun: no break, stop
    word, function word or conjunction (``lead``: nor a lead word such as "had" or a
    determiner, which start the phrase instead)."""
    word, lower = tokens.norms[k], tokens.lowers[k]
    return not (
        word == BREAK
        or word in STOPWORDS
        or word in _FUNCTION_WORDS
        or word in _CONJUNCTIONS
        or word in _NOT_CONJUNCTS
        or (lead and (lower in _LEAD_WORDS or lower in _DETERMINERS))
    )


def _skip_adverbs(tokens: TokenTable, k: int, limit: int = 2) -> int:
    """Index after at most ``limit`` adverbs (``-ly`` words and a few others) from ``k``, and
    a spoken "a bit" or "a little" before them (since linking version 54: "the chest looks
    a bit bell-shaped")."""
    norms, lowers = tokens.norms, tokens.lowers
    if k + 1 < len(lowers) and lowers[k] == "a" and lowers[k + 1] in ("bit", "little"):
        k += 2
    for _ in range(limit):
        if k < len(norms) and (norms[k] in _ADVERBS or lowers[k].endswith("ly")):
            k += 1
    return k


def _check_roots(
    written: Sequence[str],
    roots: Sequence[str],
    parents: Mapping[str, Sequence[str]],
    lexicon: Lexicon,
) -> None:
    """Refuse ``allowed_roots`` that name no concept of the ontology: a typo would leave
    nothing to link, and a model trained so would read no fact of its KG."""
    unseen = [(w, r) for w, r in zip(written, roots, strict=True) if r not in parents]
    if not unseen:
        return
    known = {e.iri for e in lexicon} | {p for ps in parents.values() for p in ps}
    missing = [w for w, r in unseen if r not in known]
    if missing:
        raise ValueError(
            f"allowed_roots: {', '.join(missing)} is no concept of the ontology (neither named "
            "nor in its is_a hierarchy); give the id or IRI of a class it has"
        )


# ---------------------------------------------------------------------- record contract
def _record_text(record: Mapping[str, Any], max_chars: int) -> str:
    text = record.get("text")
    if isinstance(text, (bytes, bytearray)):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError as err:
            raise RecordError(f"text is not valid UTF-8 (byte {err.start})") from err
    if text is None:
        terms = (
            " (its present_hpo/excluded_hpo are read by kgfuse diagnose)"
            if any(k in record for k in ("present_hpo", "excluded_hpo", "phenotypicFeatures"))
            else ""
        )
        raise RecordError(f"the record has no 'text' to link{terms}")
    if not isinstance(text, str):
        raise RecordError(f"'text' must be a string, got {type(text).__name__}")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as err:  # lone surrogates, e.g. from errors="surrogateescape"
        raise RecordError(f"text is not valid UTF-8 (character {err.start})") from err
    if not text.strip():
        raise RecordError("text is empty")
    if len(text) > max_chars:
        raise InputTooLargeError(
            f"text has {len(text):,} characters, more than max_chars={max_chars:,}"
        )
    return text


class RecordLinker(Protocol):
    """What :func:`link_records` and the linking evaluation read of a linker: a
    :class:`ConceptLinker`, or a tagger grounded by one (``fusion.ner_linker.NerLinker``)."""

    @property
    def config(self) -> LinkerConfig: ...

    @property
    def dense(self) -> DenseMatcher | None: ...

    def records(self, text: str) -> list[dict[str, Any]]:
        """The contract's mention dicts of ``text``."""
        ...


def _link_one(record: Any, linker: RecordLinker) -> dict[str, Any]:
    rid = record.get("id") if isinstance(record, Mapping) else None
    try:
        if not isinstance(record, Mapping):
            raise RecordError(f"a record must be an object, got {type(record).__name__}")
        if rid is None:
            raise RecordError("record has no 'id'")
        if isinstance(rid, bool) or not isinstance(rid, str | int):
            raise RecordError(f"'id' must be a string or an integer, got {type(rid).__name__}")
        text = _record_text(record, linker.config.max_chars)
    except RecordError as err:
        logger.warning("record %r: %s", rid, err)
        return {"id": rid, "mentions": [], "error": str(err)}
    return {"id": rid, "mentions": linker.records(text)}


_WORKER_LINKER: RecordLinker | None = None


def _init_worker(linker: RecordLinker) -> None:
    global _WORKER_LINKER
    _WORKER_LINKER = linker


def _link_in_worker(record: Any) -> dict[str, Any]:
    if _WORKER_LINKER is None:  # pragma: no cover - set by the pool initializer
        raise RuntimeError("worker linker not initialised")
    return _link_one(record, _WORKER_LINKER)


def link_records(
    records: Iterable[Any],
    linker: RecordLinker,
    n_process: int = 1,
    chunksize: int = 256,
) -> Iterator[dict[str, Any]]:
    """Link a stream of ``{"id", "text"}`` records, in order.

    A bad record (not an object, no id, text missing, empty, longer than
    ``linker.config.max_chars``, not UTF-8) yields ``{"id", "mentions": [], "error": ...}``
    and the stream goes on. Findings of relatives are left out unless
    ``linker.config.include_family``.

    Args:
        records: the records; ``text`` may be ``str`` or UTF-8 ``bytes``.
        linker: the linker.
        n_process: worker processes (fork; the dictionary is shared copy-on-write). Use 1
            with a dense path on a GPU. (default: ``1``)
        chunksize: records sent to a worker at a time; larger chunks cost the parent
            process less per record. (default: ``256``)

    Yields:
        ``{"id", "mentions": [{"start", "end", "text", "curie", "iri", "label",
        "excluded", "score", "uncertain", "family"}]}`` (plus ``"error"`` for a bad
        record). ``uncertain``: hedged or hypothetical ("possible ptosis", "at risk of
        scoliosis"), neither present nor ruled out; ``family``: a relative's finding (only
        with ``include_family``).
    """
    if n_process <= 1:
        for record in records:
            yield _link_one(record, linker)
        return
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(n_process, initializer=_init_worker, initargs=(linker,)) as pool:
        yield from pool.imap(_link_in_worker, records, chunksize=chunksize)


#: Node types whose names a KG's linker finds in text (:func:`linker_from_kg`): ontology
#: classes, SKOS concepts and OWL named individuals.
LINKED_NODE_TYPES = (OWL_CLASS, SKOS + "Concept", OWL + "NamedIndividual")


#: HPO's "Phenotypic abnormality": in a KG that holds it, findings are linked below it by
#: default, which leaves out modifiers, onsets, frequencies and modes of inheritance (and
#: *Family history*, whose "no family history of X" would rule X out for the patient).
HPO_PHENOTYPE_ROOT = "HP:0000118"


#: Findings of a pregnancy that are the fetus's when said of the mother: *Polyhydramnios*,
#: *Oligohydramnios*, *Decreased fetal movement* (``LinkerConfig.pregnancy_terms``).
HPO_PREGNANCY_TERMS = ("HP:0001561", "HP:0001562", "HP:0001558")
#: The words for the patient's mother that make a sentence about her pregnancy.
_MOTHER_WORDS = frozenset({"mother", "mom", "mum", "mummy", "mommy", "maternal"})
_MOTHER_REACH = 24


def _mother_in_sentence(tokens: TokenTable, i: int) -> bool:
    """Whether the sentence of token ``i``, before it, names the mother."""
    lowers = tokens.lowers
    for k in range(i - 1, max(-1, i - 1 - _MOTHER_REACH), -1):
        if lowers[k] in _SENTENCE_MARKS:
            return False
        if lowers[k] in _MOTHER_WORDS:
            return True
    return False


def default_linker_config(
    kg: Any, *, measurements: bool = False, milestones: bool = False
) -> LinkerConfig:
    """Linker settings for a KG: below HPO's phenotype root when the KG has it, with HPO's
    findings of a pregnancy (:data:`HPO_PREGNANCY_TERMS`); ``measurements`` also reads
    growth measurements (:mod:`encoders.measurements`), ``milestones`` late developmental
    milestones (:mod:`encoders.milestones`)."""
    hpo = to_iri(HPO_PHENOTYPE_ROOT) in kg.hierarchy
    return LinkerConfig(
        allowed_roots=(HPO_PHENOTYPE_ROOT,) if hpo else (),
        measurements=measurements,
        milestones=milestones,
        pregnancy_terms=HPO_PREGNANCY_TERMS if hpo else (),
    )


def linker_from_kg(
    kg: Any, config: LinkerConfig | None = None, *, dense: DenseMatcher | None = None
) -> ConceptLinker:
    """A dictionary linker over the concept names of a built KG (``kg.knowledge_graph``),
    with ``config`` or else :func:`default_linker_config` (what the CLI links with).

    The terms linked are those of :data:`LINKED_NODE_TYPES`: ontology classes
    (``owl:Class``), SKOS concepts (``skos:Concept``) and OWL named individuals (typed
    ``owl:NamedIndividual``, with or without a class of their own); never the KG's diseases
    or genes. A KG with none of them gets a warning and links nothing. The is_a parents
    come from the KG's hierarchy, so the most specific term wins and ``allowed_roots`` /
    ``min_depth`` work. The dictionary index is saved in the KG's ``derived/linker`` folder
    for later processes.
    """
    hierarchy = kg.hierarchy
    parents = {
        iri: [hierarchy.terms[p] for p in hierarchy.parents(i)]
        for i, iri in enumerate(hierarchy.terms)
    }
    return ConceptLinker(
        linkable_lexicon(kg),
        default_linker_config(kg) if config is None else config,
        parents=parents,
        dense=dense,
        index_folder=index_folder_of(kg),
    )


def linkable_lexicon(kg: Any) -> Lexicon:
    """The names in ``kg.lexicon`` of the terms :func:`linker_from_kg` links (warned of when
    there are none); for an HPO KG also kgfuse's clinical phrasings of its terms
    (:mod:`encoders.clinical_names`) and the treatments done only for one of them
    (:mod:`encoders.procedures`)."""
    lexicon = kg.lexicon
    individuals = _named_individuals(kg)
    kept = with_clinical_names(
        Lexicon(
            [e for e in lexicon if e.node_type in LINKED_NODE_TYPES or e.iri in individuals],
            lexicon.obsolete,
        )
    )
    if not kept.entries:
        found = Counter(compress(e.node_type) if e.node_type else "untyped" for e in lexicon)
        logger.warning(
            "the KG has no names of the terms the linker finds (%s): no text will be linked "
            "to it%s",
            ", ".join(compress(t) for t in LINKED_NODE_TYPES),
            "; its names are of " + ", ".join(f"{t} ({n})" for t, n in found.most_common(5))
            if found
            else " (it has no names at all)",
        )
    return kept


def with_clinical_names(lexicon: Lexicon) -> Lexicon:
    """``lexicon`` as the linker reads an HPO's names: where it has HPO's phenotype root,
    the names of the release that case reports use for another term dropped, kgfuse's
    clinical phrasings added (:mod:`encoders.clinical_names`) and the treatments done only
    for one finding (:mod:`encoders.procedures`). Another lexicon is returned as it is."""
    terms = {e.iri for e in lexicon.entries}
    if to_iri(HPO_PHENOTYPE_ROOT) not in terms:
        return lexicon
    entries = [e for e in lexicon.entries if kept_entry(e)]
    entries.extend(clinical_entries(terms))
    entries.extend(procedure_entries(terms))
    return Lexicon(entries, lexicon.obsolete)


def _named_individuals(kg: Any) -> frozenset[str]:
    """IRIs typed ``owl:NamedIndividual`` in a KG's local store. An individual also typed
    with a class of its own has that class as its lexicon node type; one behind a SPARQL
    endpoint is found by its node type only (the linker is built without a query)."""
    import pyoxigraph as ox

    store = getattr(kg, "store", None)
    if not isinstance(store, ox.Store):
        return frozenset()
    kind, individual = ox.NamedNode(RDF_TYPE), ox.NamedNode(OWL + "NamedIndividual")
    return frozenset(
        q.subject.value
        for q in store.quads_for_pattern(None, kind, individual)
        if isinstance(q.subject, ox.NamedNode)
    )


def index_folder_of(kg: Any) -> Path | None:
    """Where a built KG keeps its linker indexes (``derived/linker``), or None for an
    object with no folder."""
    from pathlib import Path

    folder = getattr(kg, "path", None)
    return Path(folder) / "derived" / "linker" if folder else None
