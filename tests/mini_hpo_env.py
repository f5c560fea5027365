"""A small, fast setting for diagnosis training tests: the mini HPO KG in a home, its fact
index embedded by a tiny random BERT (so training does not load the default encoder), and
the overrides of a tiny run."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import TYPE_CHECKING, Any

from encoders.text import TextEncoder, TextEncoderConfig
from fusion.retrieval import FactIndex, default_index_dir
from kg.knowledge_graph import KnowledgeGraph
from kg.namespaces import compress
from kg.store import build_kg
from tests.tiny_bert import write_tiny_bert

if TYPE_CHECKING:
    from kgfuse.qa import QAService

FIXTURES = Path(__file__).parent / "fixtures"
#: A tiny diagnosis run (18 simulated patients of 3 diseases, 3 validation patients, batches
#: of 4: 5 steps per epoch), as in test_diagnosis.py but without dropout.
TINY_DIAGNOSIS = [
    "model.fusion=kg_only",
    "model.candidates=null",
    "model.hidden_dim=16",
    "model.dropout=0.0",
    "simulation.patients_per_disease=6",
    "simulation.valid_patients=3",
    "train.epochs=2",
    "train.batch_size=4",
    "train.checkpoint_every=1",
    "train.precision=fp32",
    "embedding.epochs=2",
    "embedding.hidden_dim=16",
    # tiny tensors: a second thread only waits for the first (much slower on a busy machine)
    "train.num_threads=1",
]


#: The tiny KG-only diagnosis model of the face's tests (tests/test_kgfuse): one epoch.
FACE_DIAGNOSIS = [
    "model.fusion=kg_only",
    "model.candidates=null",
    "model.hidden_dim=16",
    "simulation.patients_per_disease=4",
    "simulation.valid_patients=3",
    "train.epochs=1",
    "train.batch_size=4",
    "train.precision=fp32",
    "embedding.epochs=1",
    "embedding.hidden_dim=16",
]


def make_mini_hpo_home(home: Path) -> Path:
    """Build the mini HPO KG in ``home/kgs/hpo`` and its fact index; returns ``home``."""
    build_kg(["hpo"], home / "kgs" / "hpo", hpo_dir=FIXTURES / "hpo_mini", progress=False)
    kg = KnowledgeGraph.open(home / "kgs" / "hpo")
    bert = write_tiny_bert(home / "tiny_bert", [])
    encoder = TextEncoder(TextEncoderConfig(model_path=str(bert), precision="fp32", device="cpu"))
    FactIndex.build(kg, text_encoder=encoder).save(default_index_dir(kg))
    return home


#: The parent that :func:`obo_term` gives a term unless told otherwise.
PHENOTYPIC_ABNORMALITY = "HP:0000118 ! Phenotypic abnormality"


def obo_term(
    term_id: str, name: str, *lines: str, parent: str | None = PHENOTYPIC_ABNORMALITY
) -> str:
    """One OBO ``[Term]`` stanza: its id, name, other ``lines`` (``def:``, ``synonym:``) and
    ``is_a: parent`` (None: a class without parent)."""
    body = ["[Term]", f"id: {term_id}", f"name: {name}", *lines]
    if parent is not None:
        body.append(f"is_a: {parent}")
    return "\n".join(body) + "\n"


def obo_terms(*stanzas: str) -> str:
    """``[Term]`` stanzas as :func:`build_extended_mini_hpo` takes them."""
    return "\n" + "\n".join(stanzas) + "\n"


#: The curator column of the annotation rows that :func:`build_extended_mini_hpo` appends.
CURATOR = "HPO:curator[2020-01-01]"


def build_extended_mini_hpo(
    root: Path,
    terms: str,
    annotations: list[tuple[str, str, str, str, str, str]],
    genes: list[tuple[str, str, str, str]],
) -> Path:
    """The mini HPO with more ``terms`` (OBO ``[Term]`` stanzas), ``annotations`` (disease,
    name, qualifier, term, frequency, aspect) and ``genes`` (NCBI id, symbol, term, disease),
    built as a KG under ``root / "kgs" / "hpo"``; that folder."""
    import shutil

    data = root / "hpo"
    shutil.copytree(FIXTURES / "hpo_mini", data)
    obo = (data / "hp.obo").read_text(encoding="utf-8")
    (data / "hp.obo").write_text(obo.replace("[Typedef]", terms + "[Typedef]", 1), "utf-8")
    with (data / "phenotype.hpoa").open("a", encoding="utf-8") as out:
        for disease, name, qualifier, term, frequency, aspect in annotations:
            out.write(
                f"{disease}\t{name}\t{qualifier}\t{term}\t{disease}\tTAS\t\t{frequency}\t\t\t"
                f"{aspect}\t{CURATOR}\n"
            )
    with (data / "genes_to_phenotype.txt").open("a", encoding="utf-8") as out:
        for gene, symbol, term, disease in genes:
            out.write(f"{gene}\t{symbol}\t{term}\t-\t-\t{disease}\n")
    kg_dir = root / "kgs" / "hpo"
    build_kg(["hpo"], kg_dir, hpo_dir=data, progress=False)
    return kg_dir


def extended_mini_qa(
    root: Path,
    terms: str,
    annotations: list[tuple[str, str, str, str, str, str]],
    genes: list[tuple[str, str, str, str]],
) -> QAService:
    """A QA service (no audit trail) on :func:`build_extended_mini_hpo`'s KG under ``root``,
    which is its home too."""
    from kgfuse.qa import QAService

    build_extended_mini_hpo(root, terms, annotations, genes)
    return QAService(root / "kgs" / "hpo", home=root, audit=False)


def mini_case_rows(home: Path, per_disease: int = 10) -> list[dict[str, Any]]:
    """Labelled cases of the mini KG's diseases (``kgfuse calibrate``'s input): one or two of
    each disease's own phenotype terms, at most ``per_disease`` a disease."""
    table, rows = KnowledgeGraph.open(home / "kgs" / "hpo").annotations, []
    for s, subject in enumerate(table.subjects):
        terms = sorted(
            {
                compress(table.terms[table.term[r]])
                for r in table.rows_of(s)
                if table.aspect[r] == "P" and not table.negated[r]
            }
        )
        subsets = [[t] for t in terms] + [list(p) for p in itertools.combinations(terms, 2)]
        for k, present in enumerate(subsets[:per_disease]):
            rows.append({"id": f"{s}-{k}", "present_hpo": present, "diseases": [compress(subject)]})
    return rows
