"""Findings that a treatment done only for them implies.

Case reports often tell a finding by what was done for it alone: "she underwent bilateral
orchidopexy", "a ventriculoperitoneal shunt was placed at 3 months", "he was fitted with
hearing aids", "a Kasai portoenterostomy at 6 weeks". :data:`PROCEDURE_FINDINGS` names such
treatments by the CURIE of their finding: each is done for that one finding (not a
tracheostomy, a spinal fusion, growth hormone or a splenectomy, which are done for
several), and where it is done for several grades of one finding the term is the grade it
proves (cochlear implants: *Sensorineural hearing impairment*, not its profound form).

:func:`procedure_entries` gives them as lexicon entries of the synonym type
:data:`SYNONYM_TYPE`, which :func:`encoders.linker.linkable_lexicon` adds to an HPO KG's
names. The linker reads a match of one as its finding with the source ``procedure`` and
the treatment's name as what matched; a treatment not done says nothing of the finding
("no shunt was needed" does not rule out *Hydrocephalus*), so it is not read at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from encoders.clinical_names import clinical_entries
from kg.lexicon import LexiconEntry

__all__ = [
    "GLAND_REMOVALS",
    "MENTION_SOURCE",
    "PROCEDURE_FINDINGS",
    "SYNONYM_TYPE",
    "procedure_entries",
]

#: The synonym type of a treatment's name, as the lexicon records it.
SYNONYM_TYPE = "kgfuse_treatment_of"
#: The ``source`` of a linker mention of a finding read from its treatment.
MENTION_SOURCE = "procedure"

#: CURIE of a finding -> the treatments done for it alone, as case reports write them.
PROCEDURE_FINDINGS: Mapping[str, tuple[str, ...]] = {
    # Cryptorchidism
    "HP:0000028": ("orchidopexy", "orchiopexy", "orchidopexies", "orchiopexies"),
    # Hydrocephalus
    "HP:0000238": (
        *("ventriculoperitoneal shunt", "ventriculo-peritoneal shunt", "VP shunt"),
        *("ventriculoperitoneal shunting", "ventriculoatrial shunt"),
        "endoscopic third ventriculostomy",
    ),
    # Hearing impairment; Sensorineural hearing impairment (an implant's nerve is intact)
    "HP:0000365": ("hearing aids", "hearing aid", "hearing amplification"),
    "HP:0000407": ("cochlear implant", "cochlear implants", "cochlear implantation"),
    # Tube feeding (at any age: "gastrostomy-fed" is a clinical name of its infant form);
    # Nasogastric tube feeding
    "HP:0033454": (
        *("gastrostomy", "gastrostomy tube", "G-tube", "PEG tube", "PEG feeding"),
        *("tube-fed", "nasojejunal feeding"),
    ),
    "HP:0040288": ("nasogastric feeding", "nasogastric feeds", "NG feeds", "NG tube feeding"),
    # Gastroesophageal reflux
    "HP:0002020": ("fundoplication", "Nissen fundoplication"),
    # Pyloric stenosis
    "HP:0002021": ("pyloromyotomy", "Ramstedt pyloromyotomy"),
    # Aganglionic megacolon
    "HP:0002251": (
        *("Duhamel procedure", "Soave procedure", "Swenson procedure"),
        *("endorectal pull-through", "transanal endorectal pull-through"),
    ),
    # Biliary atresia
    "HP:0005912": ("Kasai portoenterostomy", "Kasai procedure", "hepatoportoenterostomy"),
    # Intestinal malrotation
    "HP:0002566": ("Ladd procedure", "Ladd's procedure"),
    # Anal atresia (the HPO's *Anorectal anomaly* is no ancestor of it)
    "HP:0002023": ("anorectoplasty", "posterior sagittal anorectoplasty"),
    # Ureteropelvic junction obstruction
    "HP:0000074": ("pyeloplasty",),
    # Stage 5 chronic kidney disease
    "HP:0003774": (
        *("kidney transplant", "kidney transplantation", "renal transplant"),
        *("chronic peritoneal dialysis", "continuous ambulatory peritoneal dialysis"),
        *("renal transplantation", "maintenance dialysis", "maintenance haemodialysis"),
        *("maintenance hemodialysis", "chronic dialysis", "chronic haemodialysis"),
        "chronic hemodialysis",
    ),
    # Craniosynostosis
    "HP:0001363": (
        *("cranial vault remodeling", "cranial vault remodelling"),
        *("cranial vault reconstruction", "fronto-orbital advancement"),
    ),
    # Inguinal hernia
    "HP:0000023": (
        *("inguinal herniotomy", "inguinal herniorrhaphy"),
        *("Lichtenstein repair", "Lichtenstein mesh repair"),
    ),
    # Ptosis
    "HP:0000508": ("frontalis sling", "frontalis suspension"),
    # Cleft palate; Cleft lip; Velopharyngeal insufficiency
    "HP:0000175": ("palatoplasty", "palatoplasties"),
    "HP:0410030": ("cheiloplasty",),
    "HP:0000220": ("pharyngeal flap surgery",),  # not "pharyngoplasty": also for apnoea
    # Otitis media (grommets are put in for recurrent or persistent effusions alike)
    "HP:0000388": (
        *("tympanostomy tubes", "tympanostomy tube", "grommets", "grommet insertion"),
        *("ventilation tubes", "myringotomy tubes", "PE tubes", "myringotomy"),
    ),
    # Glaucoma; Retinal detachment; Amblyopia; Strabismus
    "HP:0000501": ("trabeculectomy", "goniotomy"),
    "HP:0000541": ("scleral buckle", "scleral buckling"),
    "HP:0000646": ("patching therapy",),  # not "occlusion therapy": also a tear duct's
    "HP:0000486": ("eye muscle surgery",),
    # Esotropia; Exotropia
    "HP:0000565": ("medial rectus recession", "medial rectus recessions"),
    "HP:0000577": ("lateral rectus recession", "lateral rectus recessions"),
    # Achilles tendon contracture
    "HP:0001771": (
        *("Achilles tendon lengthening", "tendo-Achilles lengthening", "heel cord lengthening"),
        *("Achilles tenotomy", "heel cord release"),
    ),
    # Hip dysplasia; Talipes equinovarus
    "HP:0001385": ("Pavlik harness",),
    "HP:0001762": ("Ponseti casting", "Ponseti method"),
    # Aortic root aneurysm; Transposition of the great arteries; Hypoplastic left heart
    # (not a Bentall procedure or an aortic root replacement: also for a dissection)
    "HP:0002616": ("valve-sparing root replacement",),
    "HP:0001669": ("arterial switch operation", "arterial switch"),
    "HP:0004383": ("Norwood procedure",),
    # Anemia
    "HP:0001903": ("red cell transfusions", "red blood cell transfusions", "packed red cells"),
    # (not platelet transfusions: also for a platelet function disorder)
    # Adrenal insufficiency; Hypogonadism; Exocrine pancreatic insufficiency;
    # Decreased circulating antibody concentration
    "HP:0000846": ("hydrocortisone replacement", "glucocorticoid replacement"),
    "HP:0000135": ("testosterone replacement", "testosterone replacement therapy"),
    "HP:0001738": (
        *("pancreatic enzyme replacement", "pancreatic enzyme replacement therapy"),
        "pancreatic enzyme supplementation",
    ),
    "HP:0004313": ("immunoglobulin replacement", "immunoglobulin replacement therapy"),
    # Nasolacrimal duct obstruction; Macroglossia; Micrognathia
    "HP:0000579": ("dacryocystorhinostomy", "nasolacrimal duct probing"),
    "HP:0000158": ("tongue reduction", "tongue reduction surgery"),
    "HP:0000347": ("mandibular distraction", "mandibular distraction osteogenesis"),
    # Pulmonic stenosis; Aortic valve stenosis (a bone-anchored hearing aid is a hearing
    # aid's: also for a single-sided deafness, so no *Conductive hearing impairment*)
    "HP:0001642": ("pulmonary valvuloplasty", "balloon pulmonary valvuloplasty"),
    "HP:0001650": ("aortic valvuloplasty", "balloon aortic valvuloplasty"),
    # Umbilical hernia; Scoliosis
    "HP:0001537": ("umbilical herniorrhaphy", "umbilical herniotomy"),
    "HP:0002650": ("Harrington rod", "Harrington rods"),
    # Pectus excavatum; Aplasia/Hypoplasia of the thumb; Cataract
    "HP:0000767": ("Nuss procedure", "Nuss bar"),
    "HP:0009601": ("pollicisation", "pollicization", "pollicised", "pollicized"),
    "HP:0000518": ("phacoemulsification",),
    # Esophageal varix; Epistaxis
    "HP:0002040": (
        *("esophageal variceal banding", "oesophageal variceal banding"),
        *("esophageal variceal ligation", "oesophageal variceal ligation"),
    ),
    "HP:0000421": (
        *("nasal cautery", "nasal cauterisation", "nasal cauterization", "septodermoplasty"),
    ),
    # Hypothyroidism (a drug given for nothing else)
    "HP:0000821": ("levothyroxine", "L-thyroxine", "thyroxine replacement"),
    # Diabetes mellitus
    "HP:0000819": (
        *("insulin therapy", "insulin treatment", "insulin injections", "insulin pump"),
        *("basal-bolus insulin", "basal bolus insulin"),
    ),
    # Nephrolithiasis; Constrictive median neuropathy (the carpal tunnel's)
    "HP:0000787": ("nephrolithotomy", "percutaneous nephrolithotomy"),
    "HP:0012185": ("carpal tunnel release", "carpal tunnel decompression"),
    # Patellar dislocation; Patent ductus arteriosus; Vesicoureteral reflux
    "HP:0002999": ("medial patellofemoral ligament reconstruction",),
    "HP:0001643": ("ductal ligation",),
    "HP:0000076": ("Deflux injection", "dextranomer/hyaluronic acid injection"),
    # Neonatal hyperbilirubinemia
    "HP:0003265": ("neonatal phototherapy",),
    # Seizure
    "HP:0001250": (
        *("antiepileptic drugs", "antiepileptic drug", "antiepileptic medication"),
        *("antiepileptic medications", "antiseizure medication", "antiseizure medications"),
        *("anticonvulsant therapy", "vagus nerve stimulator", "vagal nerve stimulator"),
    ),
}


#: CURIE of a finding -> the words of an operation that removes the gland whose function a
#: replacement of the table gives: after a thyroidectomy, levothyroxine is no sign of
#: *Hypothyroidism* of the patient's disease.
GLAND_REMOVALS: Mapping[str, tuple[str, ...]] = {
    "HP:0000821": ("thyroidectomy", "hemithyroidectomy"),
    "HP:0000846": ("adrenalectomy",),
    "HP:0000135": ("gonadectomy", "orchiectomy", "orchidectomy", "oophorectomy"),
    "HP:0000819": ("pancreatectomy",),
    "HP:0001738": ("pancreatectomy",),
}


def procedure_entries(
    known: Iterable[str], treatments: Mapping[str, tuple[str, ...]] | None = None
) -> Iterator[LexiconEntry]:
    """Lexicon entries of ``treatments`` (default: :data:`PROCEDURE_FINDINGS`) for the
    findings whose IRIs are in ``known`` (a KG's classes); a CURIE the KG lacks adds
    nothing."""
    names = PROCEDURE_FINDINGS if treatments is None else treatments
    return clinical_entries(known, names, synonym_type=SYNONYM_TYPE)
