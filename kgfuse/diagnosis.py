"""The diagnosis service: records in, ranked differential diagnoses out.

An input record is one of
- ``{"id", "text"}`` (free clinical text, linked to terms with negation detection),
- ``{"id", "present_hpo": [...], "excluded_hpo": [...], "sex"?, "age"?, "onset"?}``,
- a GA4GH phenopacket (v2, or v1's fields) object (``phenotypicFeatures`` with ``excluded``
  flags), which may add ``text``, ``sex``, ``age`` and ``onset``: checked as in the other
  forms, a given one replaces the phenopacket's own (a warning says so when they differ),
- a row of ``ppkt_dev.jsonl`` (``present_hpo`` with ``age_last_encounter``,
  ``disease_onset`` or ``feature_onsets``), read by the reader ``kgfuse eval diagnosis``
  uses (:func:`train.phenopacket.case_from_dev_row`); ``age`` and ``onset`` beside its
  fields replace its own as for a phenopacket. Its diagnosis and PMIDs are not read.

Phenopackets and rows are read as ``kgfuse eval diagnosis`` reads them, with the same
warnings; an age outside 0 to :data:`MAX_AGE_YEARS` is reported and not read.

What reading a record reports (a phenopacket's skipped ids, malformed ages ...) comes first
in the output record's ``warnings``.

An output record is ``{"id", "ranking": [{"curie", "label", "score", "probability"}],
"warnings": [...]}`` (plus the findings used). A bad record gives ``{"id", "error"}`` and
never stops the rest of a file.
"""

from __future__ import annotations

import difflib
import logging
import math
import re
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from encoders.demographics_text import read_demographics
from fusion.model_meta import load_model_meta
from fusion.pipeline import Diagnoser, DiagnosisResult
from fusion.shortlist import DEFAULT_LEAD, RankingSettings
from kg.knowledge_graph import KnowledgeGraph
from kg.namespaces import compress, to_iri
from kg.remote import is_endpoint, kg_location
from kg.store import default_kg_path, kgfuse_home, resolve_build
from kgfuse.model_files import BackgroundFingerprint, model_files_fingerprint, model_fingerprint_of
from kgfuse.quoting import clip
from kgfuse.replay import recorded_location, replay_home, replay_kg, replay_model_dir
from train.phenopacket import (
    DEV_ROW_FIELDS,
    DEV_ROW_MARKERS,
    MAX_AGE_YEARS,
    SEX_NAMES,
    CaseFormatError,
    case_files,
    case_from_dev_row,
    case_from_phenopacket,
    feature_names,
    is_dev_row,
    is_phenopacket,
    json_values,
    parse_iso8601_age,
)

if TYPE_CHECKING:
    from eval.diagnosis import Case
    from kg.hierarchy import TermHierarchy
    from kg.rules.engine import RuleSet
    from kgfuse.audit import AuditLog
    from kgfuse.explanation import Explanation

logger = logging.getLogger(__name__)

MAX_TEXT_CHARS = 100_000
#: Most HPO terms a record may list (present and excluded together; real patients list tens).
MAX_TERMS = 1_000
#: How a record may state the patient's sex (any case), and what each means.
#: How a record may state the sex, as phenopackets are read (:data:`SEX_NAMES`); ``other``
#: reads as None, since the rules weigh male and female only.
SEX_VALUES: dict[str, str | None] = {
    name: None if sex == "OTHER" else sex for name, sex in SEX_NAMES.items()
}


class RecordError(ValueError):
    """A record that cannot be diagnosed (the message says why)."""


class NoFindingError(RecordError):
    """A record in which no present finding was recognised: a ranking would be a guess."""


#: The fields of a record that is not a phenopacket; others are not read (a name close to one
#: of these is warned about: a misspelt ``exluded_hpo`` would change the diagnosis unseen).
RECORD_FIELDS = (
    "id",
    "text",
    "present_hpo",
    "excluded_hpo",
    "present_labels",
    "excluded_labels",
    "sex",
    "age",
    "onset",
)


#: A term id written in a note (``HP:0001166``, ``OMIM:154700``)
_WRITTEN_ID = re.compile(r"\b[A-Za-z][A-Za-z0-9]*[:_]\d{4,}\b")


def default_model_dir(home: Path | None = None) -> Path:
    """The model ``kgfuse quickstart`` trains: ``<home>/models/diagnosis``."""
    return kgfuse_home(home) / "models" / "diagnosis"


@dataclass(frozen=True)
class PatientRecord:
    """A parsed input record."""

    id: str
    text: str | None
    present: tuple[str, ...]
    excluded: tuple[str, ...]
    sex: str | None = None
    age: float | None = None
    onset: str | None = None
    #: what reading the record reported (a phenopacket's skipped ids, ages ...), put before
    #: the diagnosis's own warnings
    warnings: tuple[str, ...] = ()
    #: (id as written, name written beside it) of the term ids: an id the KG does not know
    #: (a newer ontology release) is read by its name
    names: tuple[tuple[str, str], ...] = ()
    #: what the text states of the patient where the record gives no field: ``sex`` and
    #: ``age`` -> the words they were read from (:func:`encoders.demographics_text`)
    stated: tuple[tuple[str, str], ...] = ()


def parse_sex(value: Any, rid: str) -> str | None:
    """A record's ``sex``: ``MALE``, ``FEMALE``, or None (absent, other or unknown; the
    phenopacket values ``OTHER_SEX`` and ``UNKNOWN_SEX`` are read too).

    Raises:
        RecordError: a value not in :data:`SEX_VALUES`.
    """
    if value is None:
        return None
    if isinstance(value, str) and value.strip().lower() in SEX_VALUES:
        return SEX_VALUES[value.strip().lower()]
    why = (
        " (a number is ambiguous here: phenopackets count 1 as female, PLINK files as male)"
        if isinstance(value, int | float) and not isinstance(value, bool)
        else ""
    )
    raise RecordError(
        f"record {rid}: sex must be male, female, other or unknown, got {_shown(value)}{why}"
    )


def _shown(value: Any, limit: int = 40) -> str:
    """A value as an error message quotes it, cut to ``limit`` characters."""
    return clip(repr(value), limit)


def _check_encodable(text: str, what: str, rid: str) -> None:
    """Refuse text that holds lone UTF-16 surrogates (a JSON ``"\\ud800"`` decodes to one):
    no tokenizer or UTF-8 writer takes it."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise RecordError(
            f"record {rid}: {what} holds an unpaired UTF-16 surrogate "
            f"(U+{ord(text[exc.start]):04X} at character {exc.start})"
        ) from None


def onset_value(value: Any) -> str | None:
    """An ``onset`` as given: an HPO onset class id (``HP:0003593``), or an ISO 8601 age of
    onset (``P2Y``) turned into its class (:func:`train.phenopacket.onset_of`); None when
    absent.

    Raises:
        ValueError: not a string, or a malformed age (the message names the value).
    """
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ValueError("onset must be an HPO onset class or an age such as P2Y")
    from train.phenopacket import onset_of

    return onset_of(value.strip())


def parse_onset(value: Any, rid: str) -> str | None:
    """A record's ``onset`` (:func:`onset_value`).

    Raises:
        RecordError: not a string, or a malformed age, naming the record.
    """
    try:
        return onset_value(value)
    except ValueError as exc:
        raise RecordError(f"record {rid}: {exc}") from None


def parse_record(
    record: Any,
    index: int = 0,
    *,
    hierarchy: TermHierarchy | None = None,
    unnamed: str | None = None,
) -> PatientRecord:
    """Parse one input record of any of the forms (see the module's docstring).

    Args:
        record: the parsed JSON record.
        index: its place in the input (its id when it has none and ``unnamed`` is None).
        hierarchy: the KG's terms, which check the onset a phenopacket or a ``ppkt_dev`` row
            states as ``kgfuse eval diagnosis`` does (one that is no onset class is
            reported, and the earliest onset of a feature is read instead); the term ids
            are resolved by the diagnoser either way.

    Raises:
        RecordError: not an object, no usable field, empty or oversized text, bad types.
    """
    if not isinstance(record, Mapping):
        raise RecordError(f"record {index}: expected a JSON object, got {type(record).__name__}")
    given = record.get("id")
    if given is None:  # absent, or null as data frames write a missing value
        given = index if unnamed is None else unnamed
    if isinstance(given, bool) or not isinstance(given, str | int):
        raise RecordError(
            f"record {index}: 'id' must be a string or an integer, got {type(given).__name__}"
        )
    rid = str(given)
    _check_encodable(rid, "id", f"{index}")
    if is_phenopacket(record):
        return _parse_phenopacket(record, rid, hierarchy)
    if is_dev_row(record):
        return _parse_dev_row(record, rid, hierarchy)
    warnings = _misspelt_fields(record)
    text = record.get("text")
    present = record.get("present_hpo", [])
    excluded = record.get("excluded_hpo", [])
    for name, value in (("present_hpo", present), ("excluded_hpo", excluded)):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise RecordError(f"record {rid}: {name} must be a list of term ids")
    _check_term_count(len(present) + len(excluded), rid)
    names = _names_beside(record, "present_labels", present, rid) + _names_beside(
        record, "excluded_labels", excluded, rid
    )
    _check_text(text, rid, bool(present or excluded))
    if text is None and not present and not excluded:
        hint = f" ({'; '.join(warnings)})" if warnings else ""
        raise RecordError(
            f"record {rid}: needs 'text', 'present_hpo'/'excluded_hpo' or a phenopacket{hint}"
        )
    age = parse_age(record.get("age"), rid, warnings)
    sex = parse_sex(record.get("sex"), rid)
    onset = parse_onset(record.get("onset"), rid)
    stated: list[tuple[str, str]] = []
    if text is not None and (sex is None or age is None):  # the fields, where given, win
        said = read_demographics(text)
        if sex is None and said.sex is not None and said.sex_text is not None:
            sex = said.sex
            stated.append(("sex", said.sex_text))
        if age is None and said.age_years is not None and said.age_text is not None:
            age = said.age_years
            stated.append(("age", said.age_text))
    return PatientRecord(
        rid,
        text,
        tuple(present),
        tuple(excluded),
        sex,
        age,
        onset,
        tuple(warnings),
        names,
        tuple(stated),
    )


#: Fields a record may hold that are read, or known and not read (a ``ppkt_dev`` row's
#: ``excluded_diseases``, ``genes`` ...): :func:`_misspelt_fields` passes them without a word.
_KNOWN_FIELDS = frozenset(RECORD_FIELDS + DEV_ROW_FIELDS)


def _misspelt_fields(record: Mapping[str, Any]) -> list[str]:
    """A warning for each field that is not one of :data:`RECORD_FIELDS` (or a field of a
    ``ppkt_dev`` row) but reads like one (``exluded_hpo``, ``presentHpo``, ``Sex``,
    ``disease_onsets``): it is not read. Other fields (a case table's ``cohort`` ...) pass
    without a word."""
    out = []
    for key in record:
        if not isinstance(key, str) or key in _KNOWN_FIELDS:
            continue
        plain = re.sub(r"(?<=[a-z])(?=[A-Z])", "_", key).lower().replace("-", "_")
        close = difflib.get_close_matches(plain, RECORD_FIELDS + DEV_ROW_MARKERS, n=1, cutoff=0.75)
        if close:
            out.append(f"field {clip(key, 40)!r} is not read: did you mean {close[0]!r}?")
    return out


def _names_beside(
    record: Mapping[str, Any], key: str, ids: Sequence[str], rid: str
) -> tuple[tuple[str, str], ...]:
    """(id, name) pairs of a record's optional list of names beside its ids
    (``present_labels`` beside ``present_hpo``, as in phenopacket-store's tables).

    Raises:
        RecordError: not a list of strings (or nulls) with one item per id.
    """
    names = record.get(key)
    if names is None:
        return ()
    if not isinstance(names, list) or not all(n is None or isinstance(n, str) for n in names):
        raise RecordError(f"record {rid}: {key} must be a list of names (strings)")
    if len(names) != len(ids):
        raise RecordError(
            f"record {rid}: {key} must give one name per id ({len(ids)}), got {len(names)}"
        )
    for name in names:
        if name is not None:
            _check_encodable(name, key, rid)
    return tuple(
        (term.strip(), name.strip())
        for term, name in zip(ids, names, strict=True)
        if name is not None and name.strip()
    )


def _parse_phenopacket(
    record: Mapping[str, Any], rid: str, hierarchy: TermHierarchy | None
) -> PatientRecord:
    """A phenopacket record (:func:`train.phenopacket.case_from_phenopacket`), its term ids as
    written and what reading it reported in ``warnings``. A ``text``, ``sex``, ``age`` or
    ``onset`` beside its fields is checked as in any record; a given ``sex``, ``age`` or
    ``onset`` replaces the phenopacket's own, with a warning when the two differ.

    Raises:
        RecordError: not a valid phenopacket, or a bad field beside it.
    """
    try:
        case = case_from_phenopacket(record, hierarchy, as_written=True)
        names = tuple(feature_names(record).items())
    except (KeyError, TypeError, ValueError) as exc:
        raise RecordError(f"record {rid}: not a valid phenopacket: {exc}") from exc
    own = {
        "age": "the phenopacket's subject.timeAtLastEncounter",
        "sex": "the phenopacket's subject.sex",
        "onset": "the phenopacket's disease onset",
    }
    return _record_of_case(record, rid, case, names, own, [])


def _parse_dev_row(
    record: Mapping[str, Any], rid: str, hierarchy: TermHierarchy | None
) -> PatientRecord:
    """A ``ppkt_dev.jsonl`` row, read as ``kgfuse eval diagnosis`` reads it
    (:func:`train.phenopacket.case_from_dev_row`: onsets, ages, sex and their warnings), its
    term ids as written; its diagnosis and PMIDs are not read. A ``text``, ``age`` or
    ``onset`` beside its fields is read as for a phenopacket (its ``sex`` is its own).

    Raises:
        RecordError: a field of the wrong type, naming it.
    """
    try:
        case = case_from_dev_row(record, hierarchy, as_written=True)
    except CaseFormatError as exc:
        raise RecordError(f"record {rid}: {exc}") from None
    present, excluded = record.get("present_hpo") or [], record.get("excluded_hpo") or []
    names = _names_beside(record, "present_labels", present, rid) + _names_beside(
        record, "excluded_labels", excluded, rid
    )
    own = {
        "age": "the row's age_last_encounter",
        "onset": "the row's disease onset",
    }
    return _record_of_case(record, rid, case, names, own, _misspelt_fields(record))


def _record_of_case(
    record: Mapping[str, Any],
    rid: str,
    case: Case,
    names: tuple[tuple[str, str], ...],
    own: Mapping[str, str],
    warnings: list[str],
) -> PatientRecord:
    """The record of a case read from a phenopacket or a row, with the ``text`` and the
    ``age``, ``sex`` and ``onset`` given beside its own fields (those ``own`` names: where
    the case states each, for the warning when a given one replaces it).

    Raises:
        RecordError: too many terms, or a bad field beside the case's own.
    """
    _check_term_count(len(case.present) + len(case.excluded), rid)
    text = record.get("text")
    _check_text(text, rid, bool(case.present or case.excluded))
    warnings = [*case.warnings, *warnings]
    age = case.age_years
    if record.get("age") is not None:
        given = parse_age(record["age"], rid, warnings)
        if given is not None:
            if age is not None and abs(given - age) >= 1:
                warnings.append(f"age {given:g} replaces {own['age']} ({age:.1f} years)")
            age = given
    sex = parse_sex(case.sex, rid)
    if "sex" in own and record.get("sex") is not None:
        given_sex = parse_sex(record["sex"], rid)
        if case.sex is not None and given_sex != sex:
            warnings.append(f"sex {record['sex']!r} replaces {own['sex']} ({case.sex})")
        sex = given_sex
    onset = case.onset
    if record.get("onset") is not None:
        given_onset = parse_onset(record["onset"], rid)
        if onset is not None and given_onset is not None and _iri(given_onset) != _iri(onset):
            warnings.append(
                f"onset {record['onset']!r} replaces {own['onset']} ({compress(_iri(onset))})"
            )
        onset = given_onset
    return PatientRecord(
        rid, text, case.present, case.excluded, sex, age, onset, tuple(warnings), names
    )


def _iri(term: str) -> str:
    """The IRI of a term id, or the id itself when it is not a CURIE or IRI."""
    try:
        return to_iri(term)
    except ValueError:
        return term


def parse_age(value: Any, rid: str, warnings: list[str]) -> float | None:
    """A record's ``age`` in years, a number or an ISO 8601 duration as phenopackets write
    ages (``"P3Y6M"``: 3.5); None when absent, or when it is no age from 0 to
    :data:`MAX_AGE_YEARS`, which ``warnings`` says (the age only feeds the rules' checks:
    the record is diagnosed without it).

    Raises:
        RecordError: neither a number nor such a duration.
    """
    if value is None:
        return None
    if isinstance(value, str) and value.strip().upper().startswith("P"):
        years = parse_iso8601_age(value.strip().upper())
        if years is not None:
            value = years
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RecordError(
            f"record {rid}: age must be a number of years (0 to {MAX_AGE_YEARS} are read) "
            f'or an ISO 8601 duration such as "P3Y6M", got {_shown(value)}'
        )
    if not 0 <= value <= MAX_AGE_YEARS:
        warnings.append(
            f"age {_shown(value)} is not an age from 0 to {MAX_AGE_YEARS} years; skipped"
        )
        return None
    return float(value)


def _check_text(text: Any, rid: str, terms: bool) -> None:
    """Refuse a ``text`` that is not a string, is empty in a record without terms
    (``terms``), or is too long; absent (None) is fine."""
    if text is None:
        return
    if not isinstance(text, str):
        raise RecordError(f"record {rid}: text must be a string")
    _check_encodable(text, "text", rid)
    if not text.strip() and not terms:
        raise RecordError(f"record {rid}: empty text")
    if len(text) > MAX_TEXT_CHARS:
        raise RecordError(
            f"record {rid}: text of {len(text):,} characters exceeds {MAX_TEXT_CHARS:,}"
        )


def _check_term_count(count: int, rid: str) -> None:
    if count > MAX_TERMS:
        raise RecordError(
            f"record {rid}: {count:,} HPO terms exceed the {MAX_TERMS:,} a record may list"
        )


def read_jsonl(path: Path) -> Iterator[tuple[int, Any]]:
    """(line number, parsed JSON or a :class:`RecordError` naming the line) of each
    non-blank line (:func:`train.phenopacket.json_lines`), read strictly
    (:func:`kgfuse.json_input.loads_json`: bad UTF-8, ``NaN``, unpaired surrogate escapes are
    errors; a UTF-16 file is one error)."""
    from kgfuse.json_input import loads_json
    from train.phenopacket import json_lines

    for lineno, value in json_lines(Path(path), loads_json):
        yield (
            lineno,
            RecordError(f"line {lineno} is {value}") if isinstance(value, ValueError) else value,
        )


def read_records(path: Path) -> Iterator[tuple[int, Any]]:
    """The records of a ``kgfuse diagnose`` input, read as ``kgfuse eval diagnosis`` reads
    its cases (:func:`train.phenopacket.json_values`): a JSON Lines file, one JSON document
    (a pretty-printed phenopacket; a list: each item a record), or a folder of ``*.json``
    files (sorted, subfolders too), each read so. Each is (its line in a JSON Lines file,
    else its place in the input, from 1; the parsed JSON, or a :class:`RecordError` naming
    the line or the file), read strictly (:func:`kgfuse.json_input.loads_json`: bad UTF-8,
    ``NaN``, unpaired surrogate escapes are errors)."""
    from kgfuse.json_input import loads_json

    path = Path(path)
    folder = path.is_dir()
    count = 0
    for file in case_files(path) if folder else [path]:
        name = str(file.relative_to(path)) if folder else file.name
        for line, _, value in json_values(file, loads_json):
            count += 1
            if isinstance(value, ValueError):
                where = name if line is None else f"line {line}"
                where = f"{name} {where}" if folder and line is not None else where
                value = RecordError(f"{where} is {value}")
            yield (line if line is not None and not folder else count), value


def diagnosis_rules(diagnoser: Diagnoser) -> RuleSet:
    """The rules that check a diagnoser's decisions: every packaged rule, with the
    likelihood rule on the diagnoser's own prior (its settings, candidates, neighbours and
    onset), so that the figures and the rank it states are the ranking's."""
    from kg.rules.engine import RuleSet
    from kg.rules.phenotype import LikelihoodRule

    rule = LikelihoodRule.of_model(diagnoser.builder.likelihood)
    return RuleSet.load().with_rule(rule)


class DiagnosisService:
    """Loads the KG, the model, the linker and the rules once; diagnoses records.

    Each decision is checked by the rules (top ``rules_top`` candidates), explained, and
    appended to the audit log unless ``audit`` is False.

    Args:
        model_dir: model folder (default: the one quickstart trains).
        kg_path: KG folder (default: the HPO KG in the kgfuse home).
        home: kgfuse home.
        audit: record every decision in the audit log.
        audit_db: the audit database (None: ``<home>/audit.sqlite``).
        store_input: keep the input itself in the audit record (else only its hash).
        rules_top: candidates checked by the rules.
        ranking: how the differential is put together
            (:class:`fusion.shortlist.RankingSettings`; default: its defaults); recorded
            with each decision.
        precision: the encoder's inference precision, ``auto``, ``fp32``, ``bf16`` or ``int8``
            (:func:`fusion.pipeline.resolve_precision`); recorded with each decision.
        measurements: the linker also reads growth measurements ("height 98 cm (-2.5 SD)");
            recorded with each decision where set.
        milestones: the linker also reads milestones' ages ("walked at 22 months"); recorded
            with each decision where set.
    """

    def __init__(
        self,
        model_dir: Path | str | None = None,
        kg_path: Path | str | None = None,
        home: Path | str | None = None,
        *,
        audit: bool = True,
        store_input: bool = True,
        rules_top: int = 3,
        ranking: RankingSettings | None = None,
        precision: str = "auto",
        audit_db: Path | str | None = None,
        measurements: bool = False,
        milestones: bool = False,
    ) -> None:
        from kgfuse.resources import default_linker

        home = None if home is None else Path(home)
        audit_db = None if audit_db is None else Path(audit_db)

        self.kg_path = kg_location(kg_path) if kg_path else default_kg_path("hpo", home)
        self.model_dir = Path(model_dir) if model_dir else default_model_dir(home)
        load_model_meta(self.model_dir)  # a folder without a model is refused before loading
        self.kg = KnowledgeGraph.open(self.kg_path, home=home)
        self.audit_log = None
        if audit:  # a database that cannot take the records is refused before the model loads
            from kgfuse.audit import AuditLog

            self.audit_log = AuditLog(audit_db or kgfuse_home(home) / "audit.sqlite")
            self.audit_log.check_writable()
        self._model_files: dict[str, Any] | None = None
        self._model_files_lock = threading.Lock()
        # audited decisions record the model's content fingerprint: hashed while it loads
        self._hashing = (
            BackgroundFingerprint(self.model_dir) if audit and self.model_dir.is_dir() else None
        )
        try:
            self.diagnoser = Diagnoser.load(
                self.model_dir,
                self.kg,
                linker=default_linker(self.kg, measurements=measurements, milestones=milestones),
                ranking=ranking,
                precision=precision,
                prior_cache=kgfuse_home(home) / "cache",
            )
        except BaseException:
            if self._hashing is not None:
                self._hashing.stop()
            raise
        self.rules = diagnosis_rules(self.diagnoser)
        self.rules_top = rules_top
        #: the linker's opt-in readings, as an audit record keeps them (none: the defaults)
        self.readings = {
            k: True for k, on in (("measurements", measurements), ("milestones", milestones)) if on
        }
        self.store_input = store_input

    def diagnose(self, record: PatientRecord, top_k: int = 10) -> DiagnosisResult:
        """Rank the diseases for a record; its reading's warnings come first in the result's."""
        result = self.diagnoser.diagnose(
            record.id,
            text=record.text,
            present=record.present,
            excluded=record.excluded,
            onset=record.onset,
            top_k=top_k,
            names=dict(record.names),
        )
        result.warnings = [*record.warnings, *result.warnings]
        return result

    def explain(self, record: PatientRecord, result: DiagnosisResult, top_k: int) -> Explanation:
        """The explanation of a decision: mentions, facts, rule findings, ranking."""
        from kg.rules.engine import CandidateCheck, CitedFact
        from kg.rules.phenotype import LikelihoodRule, imputed_findings
        from kgfuse.explanation import Explanation, Mention, RankedAnswer, RetrievedFact

        # what the prior weighed: the onset given with the record (as given, when it resolved
        # to a term), else the one its text states
        weighed = record.onset is not None and (
            result.onset is not None and self.kg.hierarchy.resolve(record.onset) == result.onset
        )
        onset = record.onset if weighed else result.onset
        present = tuple(dict.fromkeys(f.iri for f in result.findings if not f.excluded))
        prior = self.diagnoser.builder.likelihood
        unexplained = math.log10(prior.config.false_positive_rate)
        excluded = tuple(dict.fromkeys(f.iri for f in result.findings if f.excluded))
        findings = []
        top = result.ranking[: self.rules_top]
        checks = [
            CandidateCheck(r.iri, present, excluded, record.sex, record.age, onset) for r in top
        ]
        if result.prior_scores is not None and checks:
            # the ranking's prior scored this patient already: the likelihood rule reuses it
            for rule in self.rules:
                if isinstance(rule, LikelihoodRule):
                    rule.remember(self.kg, checks[0], result.prior_scores, prior)
        for ranked, check in zip(top, checks, strict=True):
            findings.extend(self.rules.check(self.kg, check))
            # what the prior credited it for through the diseases most like it
            imputed = [(f.iri, f.log10_lr, f.sources) for f in ranked.imputed]
            findings.extend(
                imputed_findings(self.kg, ranked.iri, imputed, unexplained_log10_lr=unexplained)
            )
        facts = [
            RetrievedFact(
                CitedFact(
                    f["annotation"],
                    f["subject"]["iri"],
                    f["predicate"]["iri"],
                    f["object"]["iri"],
                    tuple(f.get("sources", ())),
                    f.get("evidence"),
                    f.get("frequency"),
                    f.get("frequency_term"),
                    f.get("frequency_label"),
                    bool(f.get("negated")),
                ),
                float(f["score"]),
                f.get("attention"),
            )
            for f in result.facts
        ]
        mentions = [
            Mention(
                f.text,
                f.start,
                f.end,
                f.iri,
                self.kg.labels.get(f.iri, ""),
                "excluded" if f.excluded else "present",
                read_from=f.read_from,
            )
            for f in result.findings
            if f.start >= 0
        ]
        explanation = Explanation(
            kind="diagnose",
            input_text=record.text,
            mentions=mentions,
            facts=facts,
            findings=findings,
            ranking=[RankedAnswer(r.iri, r.label, r.score, r.probability) for r in result.ranking],
            warnings=list(result.warnings),
            kg_fingerprint=self.kg.fingerprint,
            model_fingerprint=self.model_fingerprint,
            metadata={
                "top_k": top_k,
                **self.diagnoser.ranking_settings,
                "rules_fingerprint": self.rules.fingerprint,
                "present": list(present),
                "excluded": list(excluded),
                "onset": onset,
                # what the rules weighed of the patient (given, or read from the text)
                "sex": record.sex,
                "age": record.age,
                **({"stated": dict(record.stated)} if record.stated else {}),
            },
        )
        return explanation.fill_labels(lambda iri: self.kg.labels.get(iri, ""))

    @property
    def model_fingerprint(self) -> str:
        """The training configuration's hash; after ``kgfuse calibrate``, with a hash of the
        temperature and the cases it was fitted on (:func:`model_fingerprint_of`)."""
        return model_fingerprint_of(self.diagnoser.meta)

    @property
    def model_files(self) -> dict[str, Any]:
        """The model folder's content fingerprint (:func:`model_files_fingerprint`), hashed
        once per service (while the model loads, when it audits)."""
        with self._model_files_lock:
            if self._model_files is None:
                hashing, self._hashing = self._hashing, None
                self._model_files = (
                    hashing.result()
                    if hashing is not None
                    else model_files_fingerprint(self.model_dir)
                )
            return self._model_files

    def run(
        self,
        raw: Mapping[str, Any],
        index: int = 0,
        top_k: int = 10,
        *,
        audit: bool = True,
        unnamed: str | None = None,
    ) -> tuple[dict[str, Any], Any]:
        """Diagnose, explain and audit one raw record; returns the output record and explanation.

        ``audit=False`` leaves the record out of the audit log (a caller that records the
        decision itself, such as a QA answer); ``unnamed`` is the id of a record without one
        (default: its ``index``).
        """
        out, explanation = self.decide(raw, index, top_k, unnamed=unnamed)
        if audit and self.audit_log is not None:
            explanation.metadata["model_files"] = self.model_files
            out["audit_id"] = record_decision(
                self.audit_log, explanation, raw, self.audit_config(top_k), self.store_input
            )
        return out, explanation

    def decide(
        self, raw: Mapping[str, Any], index: int = 0, top_k: int = 10, *, unnamed: str | None = None
    ) -> tuple[dict[str, Any], Explanation]:
        """Diagnose and explain one raw record, unrecorded: the output record and explanation.

        Raises:
            RecordError: the record is malformed, or no present finding is recognised in it.
        """
        record = parse_record(raw, index, hierarchy=self.kg.hierarchy, unnamed=unnamed)
        result = self.diagnose(record, top_k)
        if not any(not f.excluded for f in result.findings):
            said = [  # (how much of the text the model read says nothing of why)
                w
                for w in result.warnings
                if not w.startswith("no finding recognised") and not Diagnoser.is_window_note(w)
            ]
            ruled_out = dict.fromkeys(self.kg.labels.get(f.iri, f.iri) for f in result.findings)
            if ruled_out:
                said.insert(0, f"only ruled out: {', '.join(ruled_out)}")
            if record.text and _WRITTEN_ID.search(record.text):  # "HP:0001166" in a note
                said.append(
                    "a note is read by its words, not by the term ids in it: give the ids as "
                    "present_hpo in a JSONL record"
                )
            why = f" ({'; '.join(said)})" if said else ""
            raise NoFindingError(
                f"record {record.id}: no present finding recognised, so there is nothing to "
                f"rank the diseases by{why}"
            )
        explanation = self.explain(record, result, top_k)
        out = result.to_record()
        stated = dict(record.stated)
        if "sex" in stated:  # read from the text: said, with the words, as the onset is
            out["sex"], out["sex_text"] = record.sex, stated["sex"]
        if "age" in stated:
            out["age"], out["age_text"] = record.age, stated["age"]
        out["findings_checked"] = [
            {
                "rule": f.rule_id,
                "status": f.status,
                "kind": f.kind,
                "disease": f.disease,
                "message": f.message,
            }
            for f in explanation.findings
        ]
        return out, explanation

    def audit_config(self, top_k: int) -> dict[str, Any]:
        """The ``config`` an audit record of this service's decisions keeps (what replays them)."""
        return {
            "model_dir": recorded_location(self.model_dir),
            "kg": recorded_location(self.kg_path),
            "top_k": top_k,
            "rules_top": self.rules_top,
            **self.diagnoser.ranking_settings,
            **self.readings,
            "model_config_hash": str(self.diagnoser.meta.get("config_hash", "")),
        }

    def diagnose_records(
        self, records: Iterable[tuple[int, Any]], top_k: int = 10
    ) -> Iterator[dict[str, Any]]:
        """Output records for (index, raw record or error) pairs; errors become error records.
        An output's ``id`` is the record's own, else ``line-N`` (its line, as ``kgfuse link``
        and ``kgfuse predict`` name a record without one)."""
        for index, raw in records:
            try:
                if isinstance(raw, Exception):
                    raise raw
                yield self.run(raw, index, top_k, unnamed=f"line-{index}")[0]
            except Exception as exc:  # a bug met on one record must not end the run
                yield error_record(index, raw, exc)


def error_record(index: int, raw: Any, exc: Exception) -> dict[str, Any]:
    """The output record of a record that could not be diagnosed: its id (its own, else
    ``line-N``) and the error; an unexpected one is logged and called internal."""
    given = raw.get("id") if isinstance(raw, Mapping) else None
    # an id as a diagnosed record's is written (an integer as text), else the line's
    usable = isinstance(given, str | int) and not isinstance(given, bool)
    rid = str(given) if usable else f"line-{index}"
    if isinstance(exc, (RecordError, ValueError, KeyError)):
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        return {"id": rid, "error": str(message)}
    logger.error("record %s: unexpected error", index, exc_info=exc)
    return {"id": rid, "error": f"internal error: {type(exc).__name__}: {exc}"}


def record_decision(
    audit_log: AuditLog,
    explanation: Explanation,
    raw: Mapping[str, Any],
    config: Mapping[str, Any],
    store_input: bool,
) -> str:
    """Append a ``diagnose`` decision to the audit log; returns its audit id. ``config`` is
    :meth:`DiagnosisService.audit_config`; the explanation's metadata holds the model files'
    fingerprint already."""
    return audit_log.record(
        explanation,
        dict(raw),
        store_input=store_input,
        model_fingerprint=explanation.model_fingerprint,
        kg_fingerprint=explanation.kg_fingerprint,
        config=dict(config),
        kind="diagnose",
    )


def diagnose_output_ids(index: int, raw: Any) -> set[str]:
    """The ids the output record of an input record may carry (as strings), as
    :meth:`DiagnosisService.diagnose_records` names them: the record's own ``id``, else its
    line (``line-62``; or its place, ``62``, as versions before 2026-12-05 named a record
    without an id that was not an error, so their output resumes)."""
    if isinstance(raw, Mapping) and "id" in raw:
        return {str(raw["id"])}
    if isinstance(raw, Mapping):
        return {str(index), f"line-{index}"}
    return {f"line-{index}"}


def recorded_ranking(config: Mapping[str, Any]) -> RankingSettings:
    """The ranking settings an audit record's ``config`` holds
    (:attr:`fusion.pipeline.Diagnoser.ranking_settings`); a decision recorded before a setting
    existed was ranked without it."""
    return RankingSettings(
        # decisions recorded before shortlists were made with the model ranking every candidate
        shortlist=int(config.get("shortlist", 0)),
        # and before the similarity, by the model's score alone
        similarity_weight=float(config.get("similarity_weight", 0.0)),
        # and before the pool, in the shortlist's order
        lead=int(config.get("lead", DEFAULT_LEAD)),
        pool=int(config.get("pool", 0)),
        # and before 2026-12-02 with the model's own probabilities
        ordered_probabilities=bool(config.get("ordered_probabilities", False)),
        # and before ranking version 4 with the best-match average in the shortlist
        shortlist_similarity=str(config.get("shortlist_similarity", "BMA")),
        # and before ranking version 5 without partial credit for a text's findings
        text_partial_credit=bool(config.get("text_partial_credit", False)),
    )


def recorded_precision(config: Mapping[str, Any], before: str = "fp32") -> str:
    """The encoder's precision an audit record's ``config`` holds; ``before``: that of the
    decisions recorded before it was kept (fp32: before bf16 inference)."""
    return str(config.get("precision", before))


#: The service of the last replay, kept for the next: verifying records one after another in
#: a process loads the model once (~4 s a record before). Keyed by its settings and by the
#: state of its model folder's files and KG build, so a changed model or KG loads anew.
_REPLAY_SERVICE: dict[tuple[Any, ...], DiagnosisService] = {}
_REPLAY_LOCK = threading.Lock()


def _files_state(folder: Path) -> tuple[tuple[str, int, int], ...]:
    """Path, size and modification time of each file under a folder (its fact index too;
    empty when it is none)."""
    if not folder.is_dir():
        return ()
    return tuple(
        (str(f.relative_to(folder)), (st := f.stat()).st_size, st.st_mtime_ns)
        for f in sorted(folder.rglob("*"))
        if f.is_file()
    )


def _replay_service(
    model_dir: Path | None,
    kg: Path | str,
    home: Path | None,
    rules_top: int,
    ranking: RankingSettings,
    precision: str,
    readings: Mapping[str, bool] | None = None,
) -> DiagnosisService:
    """An unaudited service with these settings (``readings``: the linker's opt-in ones): the
    last replay's when nothing changed."""
    readings = dict(readings or {})
    folder = Path(model_dir) if model_dir else default_model_dir(home)
    build = kg if is_endpoint(kg) else str(resolve_build(Path(kg)))
    state = _files_state(folder)
    key = (
        str(folder.resolve()),
        state,
        build,
        str(home),
        rules_top,
        ranking,
        precision,
        tuple(sorted(readings.items())),
    )
    with _REPLAY_LOCK:
        service = _REPLAY_SERVICE.get(key)
        if service is None:
            _REPLAY_SERVICE.clear()
            service = _REPLAY_SERVICE[key] = DiagnosisService(
                model_dir,
                kg,
                home,
                audit=False,
                rules_top=rules_top,
                ranking=ranking,
                precision=precision,
                measurements=bool(readings.get("measurements")),
                milestones=bool(readings.get("milestones")),
            )
        return service


def replay(record: Mapping[str, Any]) -> Explanation:
    """Re-run a recorded ``diagnose`` decision with its recorded model and KG, or those
    ``kgfuse audit verify --model/--kg`` gives when they are the recorded ones."""
    from kgfuse.replay import recorded_config

    config = recorded_config(record)
    home = replay_home(record)
    service = _replay_service(
        replay_model_dir(record),
        replay_kg(record, home),
        home,
        int(config.get("rules_top", 3)),
        recorded_ranking(config),
        recorded_precision(config),
        # decisions recorded before these readings existed were made without them
        {k: bool(config.get(k)) for k in ("measurements", "milestones")},
    )
    explanation = service.run(record["input"], 0, int(config.get("top_k", 10)))[1]
    if ((record.get("explanation") or {}).get("metadata") or {}).get("model_files"):
        explanation.metadata["model_files"] = service.model_files
    return explanation
