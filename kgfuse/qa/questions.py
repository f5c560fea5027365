"""The kinds of questions the QA interface answers, and the paraphrase templates of each.

A question is *delexicalised* before its intent is detected: every linked entity is replaced
by a placeholder of its type (``DISEASE``, ``GENE``, ``TERM`` for ontology classes such as
phenotypes), so "Which genes are associated with Marfan syndrome?" reads "which genes are
associated with DISEASE?". Intent detection (``kgfuse.qa.intent``) learns from such forms.

Each intent has two disjoint sets of paraphrase templates: ``TRAIN_TEMPLATES`` teach the
intent classifier; ``HELDOUT_TEMPLATES`` are never seen in training and measure it
(``kgfuse eval qa``). Slots: ``{D}`` a disease, ``{D2}`` a second disease, ``{G}`` a gene,
``{T}`` an ontology term, ``{PS}`` a list of findings (some possibly ruled out).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

DISEASE = "DISEASE"
GENE = "GENE"
TERM = "TERM"
#: What an intent needs when any entity will do (a term, a disease or a gene).
ANY = "ANY"
PLACEHOLDERS = (DISEASE, GENE, TERM)


class Intent(str, Enum):
    """What a question asks for."""

    DIAGNOSE = "diagnose"
    DISEASE_FEATURES = "disease_features"
    DISEASES_WITH_FEATURE = "diseases_with_feature"
    GENES_OF_DISEASE = "genes_of_disease"
    GENES_OF_PHENOTYPE = "genes_of_phenotype"
    DISEASES_OF_GENE = "diseases_of_gene"
    DEFINITION = "definition"
    SYNONYMS = "synonyms"
    PARENTS = "parents"
    CHILDREN = "children"
    IS_FEATURE_OF = "is_feature_of"
    DISTINGUISH = "distinguish"
    INHERITANCE_ONSET = "inheritance_onset"
    SIMILAR_DISEASES = "similar_diseases"
    PHENOTYPES_OF_GENE = "phenotypes_of_gene"


@dataclass(frozen=True)
class IntentSpec:
    """What an intent needs: the entity slots it must fill, and a one-line description."""

    description: str
    needs: tuple[str, ...]


SPECS: dict[Intent, IntentSpec] = {
    Intent.DIAGNOSE: IntentSpec("differential diagnosis of a described patient", (TERM,)),
    Intent.DISEASE_FEATURES: IntentSpec("phenotypic features of a disease", (DISEASE,)),
    Intent.DISEASES_WITH_FEATURE: IntentSpec(
        "diseases with a feature or any of its subtypes", (TERM,)
    ),
    Intent.GENES_OF_DISEASE: IntentSpec("genes associated with a disease", (DISEASE,)),
    Intent.GENES_OF_PHENOTYPE: IntentSpec("genes associated with a phenotype", (TERM,)),
    Intent.DISEASES_OF_GENE: IntentSpec("diseases associated with a gene", (GENE,)),
    Intent.DEFINITION: IntentSpec("definition of a term", (ANY,)),
    Intent.SYNONYMS: IntentSpec("synonyms of a term", (ANY,)),
    Intent.PARENTS: IntentSpec("parents (superclasses) of a term", (TERM,)),
    Intent.CHILDREN: IntentSpec("children (subclasses) of a term", (TERM,)),
    Intent.IS_FEATURE_OF: IntentSpec(
        "whether a phenotype is a feature of a disease", (TERM, DISEASE)
    ),
    Intent.DISTINGUISH: IntentSpec(
        "features annotated for one disease and not the other", (DISEASE, DISEASE)
    ),
    Intent.INHERITANCE_ONSET: IntentSpec(
        "mode of inheritance, onset and clinical course of a disease", (DISEASE,)
    ),
    Intent.SIMILAR_DISEASES: IntentSpec(
        "diseases whose annotated phenotypes are most like a disease's", (DISEASE,)
    ),
    Intent.PHENOTYPES_OF_GENE: IntentSpec("phenotypes linked to a gene", (GENE,)),
}

# ---- paraphrase templates ----------------------------------------------------------------------
# Written by hand; the held-out ones use other verbs, word orders and registers on purpose.

TRAIN_TEMPLATES: dict[Intent, tuple[str, ...]] = {
    Intent.DIAGNOSE: (
        "Which diseases explain {PS}?",
        "What could cause {PS}?",
        "Differential diagnosis for a patient with {PS}",
        "A child presents with {PS}. What is the diagnosis?",
        "Patient with {PS}, what are the likely diagnoses?",
        "What disease does a patient with {PS} have?",
        "Diagnose: {PS}",
        "Rank the diagnoses for {PS}",
        "Which syndrome fits {PS}?",
        "What condition explains {PS}?",
        "Which disorders are consistent with {PS}?",
        "Most likely diagnosis given {PS}",
        "A 5-year-old boy with {PS}. Differential?",
        "What is the differential for {PS}?",
        "She has {PS}. What does she have?",
        "Suggest diagnoses for {PS}",
        "My patient shows {PS}; which rare disease could it be?",
        # a patient's onset and age are findings' context, not a question on a disease's onset
        "A boy with onset at age 2 of {PS}",
        "Since the age of 3 she has had {PS}. Which disease?",
        "Infant with onset of {PS} in the first year: differential?",
    ),
    Intent.DISEASE_FEATURES: (
        "What are the features of {D}?",
        "What are the symptoms of {D}?",
        "Which phenotypes are associated with {D}?",
        "List the clinical features of {D}",
        "What are the signs of {D}?",
        "Which findings does {D} have?",
        "Phenotype of {D}",
        "What does {D} look like clinically?",
        "Show the phenotypic abnormalities annotated to {D}",
        "Clinical manifestations of {D}",
        "What are the characteristics of {D}?",
        "Features of {D}",
        "How does {D} present?",
        "Which HPO terms are annotated to {D}?",
        "Tell me the symptoms of {D}",
    ),
    Intent.DISEASES_WITH_FEATURE: (
        "Which diseases have {T}?",
        "What diseases are associated with {T}?",
        "Which disorders present with {T}?",
        "List diseases with {T}",
        "What conditions cause {T}?",
        "Diseases featuring {T}",
        "In which diseases is {T} found?",
        "Which syndromes include {T}?",
        "What disorders show {T}?",
        "Diseases annotated with {T}",
        "Which conditions have {T} as a feature?",
        "What diseases can present with {T}?",
        "Show disorders that include {T} or a subtype of it",
    ),
    Intent.GENES_OF_DISEASE: (
        "Which genes are associated with {D}?",
        "What genes cause {D}?",
        "What is the gene for {D}?",
        "Genes of {D}",
        "Which gene is mutated in {D}?",
        "List the genes linked to {D}",
        "What are the causative genes of {D}?",
        "Which genes contribute to {D}?",
        "Genetic cause of {D}",
        "Which gene should I test for {D}?",
        "Genes implicated in {D}",
        "What is the molecular basis of {D}?",
    ),
    Intent.GENES_OF_PHENOTYPE: (
        "Which genes are associated with {T}?",
        "What genes cause {T}?",
        "Genes linked to {T}",
        "Which genes are involved in {T}?",
        "List genes associated with {T}",
        "What genes are annotated with {T}?",
        "Which gene mutations lead to {T}?",
        "Genes related to {T}",
        "Which genes should be tested for {T}?",
        "Genes implicated in {T}",
    ),
    Intent.DISEASES_OF_GENE: (
        "Which diseases are associated with {G}?",
        "What diseases are caused by {G}?",
        "Diseases of {G}",
        "What conditions are linked to {G} mutations?",
        "List the disorders associated with {G}",
        "Which syndromes involve {G}?",
        "What does a mutation in {G} cause?",
        "Diseases caused by variants in {G}",
        "What disorders is {G} implicated in?",
        "Conditions associated with the {G} gene",
        # whether the gene is linked to a disease the question names: answered yes or not
        # linked, with the gene's diseases
        "Is {G} associated with {D}?",
        "Does {G} cause {D}?",
        "Is {D} caused by {G}?",
        "Can mutations in {G} cause {D}?",
        "Is {G} a gene for {D}?",
        "Is {G} linked to {D}?",
    ),
    Intent.DEFINITION: (
        "What is {T}?",
        "Define {T}",
        "Definition of {T}",
        "What does {T} mean?",
        "Explain {T}",
        "What is meant by {T}?",
        "Give me the definition of {T}",
        "Describe {T}",
        "What is {D}?",
        "Define {D}",
        "What is {G}?",
        "Meaning of {T}",
    ),
    Intent.SYNONYMS: (
        "What are the synonyms of {T}?",
        "Synonyms for {T}",
        "Other names for {T}",
        "What else is {T} called?",
        "Alternative names of {T}",
        "List synonyms of {T}",
        "How else can {T} be called?",
        "Other terms for {T}",
        "What are other names of {D}?",
        "Also known as for {T}",
    ),
    Intent.PARENTS: (
        "What are the parents of {T}?",
        "What is {T} a kind of?",
        "Parent terms of {T}",
        "Superclasses of {T}",
        "What is the broader term for {T}?",
        "Which class does {T} belong to?",
        "What is above {T} in the ontology?",
        "Is-a parents of {T}",
        "What category is {T} in?",
        "Generalisations of {T}",
        "What are the ancestors of {T}?",
        "Supertypes of {T}",
    ),
    Intent.CHILDREN: (
        "What are the children of {T}?",
        "What are the subtypes of {T}?",
        "Child terms of {T}",
        "Subclasses of {T}",
        "What kinds of {T} are there?",
        "Narrower terms of {T}",
        "What are the types of {T}?",
        "List the more specific terms under {T}",
        "Which terms are below {T}?",
        "Specialisations of {T}",
        "What are the descendants of {T}?",
    ),
    Intent.IS_FEATURE_OF: (
        "Is {T} a feature of {D}?",
        "Does {D} cause {T}?",
        "Is {T} seen in {D}?",
        "Do patients with {D} have {T}?",
        "Is {T} associated with {D}?",
        "Can {D} present with {T}?",
        "Is {T} part of {D}?",
        "Does {D} include {T}?",
        "Is {T} a symptom of {D}?",
        "Does {T} occur in {D}?",
        "Is {T} found in {D}?",
        "Could {D} explain {T}?",
    ),
    Intent.DISTINGUISH: (
        "What distinguishes {D} from {D2}?",
        "How does {D} differ from {D2}?",
        "Differences between {D} and {D2}",
        "What is the difference between {D} and {D2}?",
        "Compare {D} and {D2}",
        "How to tell {D} from {D2}?",
        "Which features separate {D} from {D2}?",
        "{D} versus {D2}",
        "Contrast {D} with {D2}",
        "What features differ between {D} and {D2}?",
    ),
    Intent.INHERITANCE_ONSET: (
        "How is {D} inherited?",
        "What is the inheritance pattern of {D}?",
        "What is the mode of inheritance of {D}?",
        "Inheritance of {D}",
        "Is {D} dominant or recessive?",
        "How is {D} passed on in families?",
        "What is the age of onset of {D}?",
        "When does {D} start?",
        "At what age does {D} begin?",
        "Onset of {D}",
        "When do the symptoms of {D} appear?",
        "What is the clinical course of {D}?",
        "How is {D} transmitted?",
        "Which mode of inheritance does {D} have?",
        "Is {D} hereditary?",
        "How do children get {D} from their parents?",
        "What pattern of inheritance does {D} show?",
        "At which age does {D} usually appear?",
        "How old is a patient when {D} starts?",
        "When do the first symptoms of {D} show?",
        "What is the typical age at onset for {D}?",
        # held out once (2026-12-06: 4 of 12 read right), then joined the training data
        "What inheritance does {D} follow?",
        "How is {D} transmitted to children?",
        "At which age do the first signs of {D} show?",
    ),
    Intent.SIMILAR_DISEASES: (
        "Which diseases are similar to {D}?",
        "What diseases resemble {D}?",
        "What is the differential diagnosis of {D}?",
        "Diseases like {D}",
        "Which conditions mimic {D}?",
        "Which syndromes overlap with {D}?",
        "What are the phenotypic mimics of {D}?",
        "Diseases phenotypically similar to {D}",
        "What else could present like {D}?",
        "Which disorders should be considered besides {D}?",
        "What can be mistaken for {D}?",
        "Which diseases share the features of {D}?",
        "Differential of {D}",
        "What are the closest diseases to {D}?",
        "Show me disorders with a similar phenotype to {D}",
        "Which disorders have a presentation like {D}?",
        "Other diagnoses to consider for a suspected {D}",
        "Phenocopies of {D}",
        "Which conditions are often confused with {D}?",
        "Alternative diagnoses to {D}",
        # held out once each (2026-12-06: 4 of 12 read right three times), then joined the
        # training data
        "Name conditions that can be confused with {D}",
        "Which disorders look most like {D}?",
        "Give me the look-alikes of {D}",
        "Which other diseases present like {D}?",
        "What is {D} commonly mistaken for?",
        "List disorders with a clinical picture close to {D}",
        "Which syndromes could be misdiagnosed as {D}?",
        "Tell me about diseases comparable to {D}",
        "What might a patient with suspected {D} actually have?",
    ),
    Intent.PHENOTYPES_OF_GENE: (
        "Which phenotypes result from {G} variants?",
        "What phenotypes are caused by mutations of {G}?",
        "What are the phenotypes of {G}?",
        "Which features are linked to {G}?",
        "What symptoms do {G} mutations cause?",
        "Phenotypes associated with {G}",
        "What clinical features are seen with {G} variants?",
        "Which HPO terms are annotated to {G}?",
        "List the phenotypes of the gene {G}",
        "What abnormalities do patients with {G} variants have?",
        "How does a {G} defect present clinically?",
        "What do {G} variants look like in patients?",
        "Which characteristics are reported with {G} mutations?",
        "What is the clinical picture of {G} deficiency?",
        "Tell me the traits of {G}-related disease",
        # held out once each (2026-12-06: 0, then 4, then 4 of 12 read right), then joined
        # the training data
        "What signs are typical in carriers of pathogenic {G} variants?",
        "Give the phenotypic spectrum of {G}",
        "Which manifestations are connected with the {G} gene?",
        "Which traits do people with {G} mutations show?",
        "Describe the phenotype linked to {G}",
        "What findings are reported for {G}?",
        "What does a patient with a {G} defect look like clinically?",
        "Which clinical characteristics go with {G}?",
        "{G}: which phenotypes?",
    ),
}

_TRAIN_TEMPLATES_2: dict[Intent, tuple[str, ...]] = {
    Intent.DIAGNOSE: (
        "Which conditions could account for {PS}?",
        "Proband has {PS}; what is the most probable disorder?",
        "Work-up of an infant with {PS}: candidate diseases?",
        "What might be going on in a patient presenting {PS}?",
        "Given {PS}, which diagnoses should be considered?",
    ),
    Intent.DISEASE_FEATURES: (
        "Which symptoms are typical for {D}?",
        "Give me the phenotypic spectrum of {D}",
        "What abnormalities are seen in {D}?",
        "Describe the clinical picture of {D}",
        "What manifestations are reported for {D}?",
    ),
    Intent.DISEASES_WITH_FEATURE: (
        "Name disorders in which {T} occurs",
        "Which rare diseases manifest {T}?",
        "What conditions are characterised by {T}?",
        "Find diseases that show {T}",
        "Which illnesses feature {T}?",
    ),
    Intent.GENES_OF_DISEASE: (
        "Which genes underlie {D}?",
        "Which genes are responsible for {D}?",
        "What gene causes {D}?",
        "Name the disease genes of {D}",
        "Mutations in which genes lead to {D}?",
    ),
    Intent.GENES_OF_PHENOTYPE: (
        "Which genes underlie {T}?",
        "Which genes are responsible for {T}?",
        "Name genes whose variants cause {T}",
        "What genes are connected with {T}?",
        "Mutations in which genes lead to {T}?",
    ),
    Intent.DISEASES_OF_GENE: (
        "Which disorders result from {G} mutations?",
        "Name the conditions linked with {G}",
        "What illnesses are tied to {G}?",
        "Pathogenic {G} variants cause which diseases?",
        "What disorders are connected with {G}?",
        "Are {G} variants a cause of {D}?",
        "Is {G} implicated in {D}?",
    ),
    Intent.DEFINITION: (
        "Can you define {T}?",
        "What's {T}?",
        "Tell me what {T} is",
        "I need the definition of {T}",
        "What exactly is {T}?",
    ),
    Intent.SYNONYMS: (
        "What other names does {T} have?",
        "Is there another name for {T}?",
        "Give alternative terms for {T}",
        "Which synonyms exist for {T}?",
        "By what other names is {T} known?",
    ),
    Intent.PARENTS: (
        "Which broader terms include {T}?",
        "What is the parent class of {T}?",
        "Under which term is {T} classified?",
        "Which superclass does {T} have?",
        "What are the direct ancestors of {T}?",
    ),
    Intent.CHILDREN: (
        "Which subclasses does {T} have?",
        "What more specific terms exist for {T}?",
        "Name the subtypes of {T}",
        "What are the direct descendants of {T}?",
        "Which terms are children of {T}?",
    ),
    Intent.IS_FEATURE_OF: (
        "Is {T} reported in {D}?",
        "Does {D} present with {T}?",
        "Is {T} a known finding in {D}?",
        "Would {D} explain {T}?",
        "Is {T} typical of {D}?",
    ),
    Intent.DISTINGUISH: (
        "How can {D} be distinguished from {D2}?",
        "What sets {D} apart from {D2}?",
        "Which findings differentiate {D} and {D2}?",
        "Tell {D} and {D2} apart",
        "Distinguishing features of {D} vs {D2}",
    ),
}


# Held-out sets are used once to measure, then join the training data: the first two
# (``_TRAIN_TEMPLATES_2`` above and ``_TRAIN_TEMPLATES_3`` here) measured earlier versions;
# ``HELDOUT_TEMPLATES`` below was written after them and has not been tuned against.
_TRAIN_TEMPLATES_3: dict[Intent, tuple[str, ...]] = {
    Intent.DIAGNOSE: (
        "Our patient has {PS}. Which genetic syndromes are in the differential?",
        "What rare disease would present as {PS}?",
        "Teenager with {PS} - what do you suspect?",
        "Help me diagnose a case with {PS}",
        "Candidate disorders for {PS}, please",
    ),
    Intent.DISEASE_FEATURES: (
        "What clinical signs go with {D}?",
        "Which phenotypic features are reported in {D}?",
        "Give the main findings of {D}",
        "What problems do people with {D} have?",
        "Summarise the phenotype of {D}",
    ),
    Intent.DISEASES_WITH_FEATURE: (
        "Which disorders list {T} among their features?",
        "What diseases may cause {T}?",
        "Give me syndromes with {T}",
        "Where is {T} seen as a feature?",
        "Which genetic conditions are known to have {T}?",
    ),
    Intent.GENES_OF_DISEASE: (
        "What genes are mutated in {D}?",
        "Tell me the genes behind {D}",
        "Which gene variants cause {D}?",
        "What is the genetic basis of {D}?",
        "Find the genes for {D}",
    ),
    Intent.GENES_OF_PHENOTYPE: (
        "What genes are mutated in patients with {T}?",
        "Tell me the genes behind {T}",
        "Which gene variants cause {T}?",
        "What is the genetic basis of {T}?",
        "Find the genes for {T}",
    ),
    Intent.DISEASES_OF_GENE: (
        "Which diseases does {G} cause?",
        "What are the disorders related to {G}?",
        "Tell me the diseases linked to the gene {G}",
        "Find conditions associated with {G}",
        "Do {G} mutations lead to {D}?",
        "Is {D} associated with the {G} gene?",
    ),
    Intent.DEFINITION: (
        "Please define {T}",
        "What is the meaning of {T}?",
        "What does the term {T} refer to?",
        "Could you explain what {T} is?",
        "{T}: definition?",
    ),
    Intent.SYNONYMS: (
        "What is {T} also called?",
        "Give me synonyms for {T}",
        "Which other names are used for {T}?",
        "What are alternative labels of {T}?",
        "Is {T} known under other names?",
    ),
    Intent.PARENTS: (
        "What is the parent term of {T}?",
        "Which more general terms does {T} fall under?",
        "What are the superclasses of {T}?",
        "{T} is a subtype of what?",
        "Which broader category contains {T}?",
    ),
    Intent.CHILDREN: (
        "What are the more specific types of {T}?",
        "Which child terms does {T} have?",
        "List subtypes of {T}",
        "What narrower terms fall under {T}?",
        "Which terms are more specific than {T}?",
    ),
    Intent.IS_FEATURE_OF: (
        "Do people with {D} get {T}?",
        "Is {T} expected in {D}?",
        "Does {T} belong to the phenotype of {D}?",
        "Could {T} be caused by {D}?",
        "Is {T} a characteristic of {D}?",
    ),
    Intent.DISTINGUISH: (
        "What is different between {D} and {D2}?",
        "How do I differentiate {D} from {D2}?",
        "Which features tell {D} and {D2} apart?",
        "{D} or {D2}: what are the distinguishing findings?",
        "Differential features of {D} compared with {D2}",
    ),
}


HELDOUT_TEMPLATES: dict[Intent, tuple[str, ...]] = {
    Intent.DIAGNOSE: (
        "Possible diagnoses for a newborn with {PS}?",
        "Which inherited disorders fit a presentation of {PS}?",
        "I see {PS} in a patient. Ideas for the diagnosis?",
        "Rank candidate syndromes: {PS}",
        "Differential diagnosis please: {PS}",
    ),
    Intent.DISEASE_FEATURES: (
        "What phenotype does {D} have?",
        "List all features annotated for {D}",
        "Which abnormalities characterise {D}?",
        "Key clinical features in {D}?",
        "How is {D} characterised clinically?",
    ),
    Intent.DISEASES_WITH_FEATURE: (
        "What disorders have {T} as a symptom?",
        "Show me diseases presenting with {T}",
        "Which conditions list {T}?",
        "Diseases where {T} is reported",
        "Which syndromes are characterized by {T}?",
    ),
    Intent.GENES_OF_DISEASE: (
        "What are the genes associated with {D}?",
        "Which genes are known for {D}?",
        "Which gene is linked to {D}?",
        "Disease genes for {D}?",
        "What genes should be sequenced for {D}?",
    ),
    Intent.GENES_OF_PHENOTYPE: (
        "What are the genes associated with {T}?",
        "Which genes are known for {T}?",
        "Which gene is linked to {T}?",
        "Genes annotated to {T}?",
        "What genes should be sequenced in a patient with {T}?",
    ),
    Intent.DISEASES_OF_GENE: (
        "Which disorders are caused by mutations in {G}?",
        "What diseases are linked to {G}?",
        "Which conditions does the {G} gene cause?",
        "{G}: associated diseases?",
        "List all diseases of the gene {G}",
        "Is {G} a known cause of {D}?",
        "Could {D} be due to {G} variants?",
        "Are {G} variants responsible for {D}?",
    ),
    Intent.DEFINITION: (
        "What is the definition of {T}?",
        "Define the term {T}",
        "What is {T}, exactly?",
        "Could you define {T} for me?",
        "Explain the term {T}",
    ),
    Intent.SYNONYMS: (
        "What synonyms does {T} have?",
        "Alternative names for {T}?",
        "Does {T} have other names?",
        "What is another name for {T}?",
        "List the synonyms of {T}",
    ),
    Intent.PARENTS: (
        "Which terms are parents of {T}?",
        "What is the superclass of {T}?",
        "What broader terms does {T} have?",
        "{T} is a kind of what?",
        "Show the parent classes of {T}",
    ),
    Intent.CHILDREN: (
        "Which subtypes does {T} have?",
        "Show the subclasses of {T}",
        "What are the child terms of {T}?",
        "What specific kinds of {T} exist?",
        "List the narrower terms of {T}",
    ),
    Intent.IS_FEATURE_OF: (
        "Do {D} patients have {T}?",
        "Is {T} observed in {D}?",
        "Is {T} one of the features of {D}?",
        "Can {T} occur in {D}?",
        "Is {T} present in {D}?",
    ),
    Intent.DISTINGUISH: (
        "How do {D} and {D2} differ?",
        "Difference between {D} and {D2}?",
        "Which findings separate {D} from {D2}?",
        "What tells {D} apart from {D2}?",
        "Compare the phenotypes of {D} and {D2}",
    ),
    Intent.INHERITANCE_ONSET: (
        "Which inheritance mode applies to {D}?",
        "How old are patients when {D} manifests?",
        "What genetic transmission does {D} follow?",
    ),
    Intent.SIMILAR_DISEASES: (
        "Which rare diseases share most of the features of {D}?",
        "What are the alternatives to {D} in the differential?",
        "Are there syndromes that resemble {D}?",
    ),
    Intent.PHENOTYPES_OF_GENE: (
        "What is the clinical presentation of {G}-related disorders?",
        "Which phenotypic features have been described with {G}?",
        "Show the HPO annotations of {G}",
    ),
}

#: Training questions with a word that names a qualifier term ("frequency", "frequent"):
#: learnt by the intent classifier but, unlike ``TRAIN_TEMPLATES``, not read as words of
#: the templates that never name an entity ("What are the children of Frequency?"). The
#: frequency of a feature in a disease is given with the answer whether it is one.
QUALIFIER_TEMPLATES: dict[Intent, tuple[str, ...]] = {
    Intent.IS_FEATURE_OF: (
        "How common is {T} in {D}?",
        "What is the frequency of {T} in {D}?",
        "How often does {D} show {T}?",
        "How frequent is {T} in {D}?",
        "In what fraction of {D} patients is {T} seen?",
    ),
}

# questions in the forms of those out of scope below ("How is {D} treated?"), for the
# classifier to learn the words that tell them apart rather than the form
_TRAIN_TEMPLATES_4: dict[Intent, tuple[str, ...]] = {
    Intent.DISEASE_FEATURES: ("How is {D} manifested?", "What is {D} like in patients?"),
    Intent.DEFINITION: ("Tell me about {T}", "Tell me about {D}"),
}

# held out once (2026-12-06: 0 of 8 read right each), then joined the training data with a
# few more forms of their kind; ``HELDOUT_TEMPLATES`` holds a new form in the place of each,
# written before it was measured
_TRAIN_TEMPLATES_5: dict[Intent, tuple[str, ...]] = {
    Intent.DISEASES_OF_GENE: (
        "Is there a link between {G} and {D}?",
        "Is there a connection between {G} and {D}?",
        "Any association between {G} and {D}?",
    ),
    Intent.INHERITANCE_ONSET: (
        "Tell me how {D} is handed down",
        "Explain how {D} is handed down in a family",
        "How does {D} run in families?",
    ),
}

# held out once (2026-12-06: 0 of 4 read right with each of two seeds), then joined the
# training data with two more forms of its kind; ``HELDOUT_TEMPLATES`` holds a new form in
# its place, written before it was measured
_TRAIN_TEMPLATES_6: dict[Intent, tuple[str, ...]] = {
    Intent.DISEASES_OF_GENE: (
        "Has {G} been reported as the gene behind {D}?",
        "Has {G} been shown to cause {D}?",
        "Was {G} ever reported in {D}?",
    ),
}

_MORE_TRAIN_TEMPLATES = (
    _TRAIN_TEMPLATES_2,
    _TRAIN_TEMPLATES_3,
    _TRAIN_TEMPLATES_4,
    _TRAIN_TEMPLATES_5,
    _TRAIN_TEMPLATES_6,
)
for _table in _MORE_TRAIN_TEMPLATES:
    for _intent, _more in _table.items():
        TRAIN_TEMPLATES[_intent] = TRAIN_TEMPLATES[_intent] + _more

#: The label the intent classifier learns for questions that no intent answers.
OUT_OF_SCOPE = "out_of_scope"
#: Questions about the KG's entities that the KG does not answer (treatment, prevalence,
#: prognosis, a gene's locus or function):
#: the classifier learns them as :data:`OUT_OF_SCOPE`, so that such a question is not
#: answered by the lookup its entities happen to fit.
OUT_OF_SCOPE_TEMPLATES: tuple[str, ...] = (
    "What is the treatment for {D}?",
    "What treatments exist for {D}?",
    "What is the therapy of {D}?",
    "Which drugs treat {T}?",
    "What medication helps with {T}?",
    "How do you treat {T}?",
    "Is there a cure for {D}?",
    "What is the prevalence of {D}?",
    "How many people have {D}?",
    "What is the incidence of {D}?",
    "How rare is {D}?",
    "What is the prognosis of {D}?",
    "What is the prognosis of {T}?",
    "What is the life expectancy with {D}?",
    "Is {D} fatal?",
    "Who discovered {G}?",
    "Who first described {D}?",
    "When was {D} first described?",
    "On which chromosome is {G}?",
    "Where is {G} located?",
    "What protein does {G} encode?",
    "What is the function of {G}?",
    "What is the mechanism of {G} mutations?",
    "What does {G} do?",
    "Which diseases are associated with {D}?",
    "What diseases are related to {D}?",
    "What is the differential diagnosis of {D}?",
    "Which diagnostic test is used for {D}?",
    "Which test confirms {D}?",
    "How common is {T}?",
    "What is the frequency of {T}?",
    "Is {D} contagious?",
    "Can {D} be prevented?",
    "What is the weather today?",
    "Tell me a joke",
    "Who are you?",
)


def _no_overlap() -> None:
    for intent in Intent:
        shared = set(TRAIN_TEMPLATES[intent]) & set(HELDOUT_TEMPLATES[intent])
        if shared:  # pragma: no cover - a guard on the tables above
            raise AssertionError(f"{intent.value}: held-out templates also in training: {shared}")


_no_overlap()
