"""Readers of patient cases: GA4GH phenopackets v2 and the development-data formats.

Every reader returns :class:`eval.diagnosis.Case` objects with IRIs. Term ids are checked
against a :class:`kg.hierarchy.TermHierarchy` when one is given: obsolete and alternative ids
are replaced by the current term, unknown ids are skipped and reported in ``Case.warnings``
(phenopacket-store uses HPO releases newer than the KG's); nothing about an id is fatal.

Formats:

* a phenopacket v2 JSON document (``phenotypicFeatures[].type.id`` / ``.excluded``,
  ``subject.sex`` / ``.timeAtLastEncounter``, ``diseases[]`` (and their ``onset``) and
  ``interpretations[].diagnosis.disease``, ``metaData.externalReferences[]`` PMIDs);
* rows of ``ppkt_dev.jsonl`` (``present_hpo``, ``excluded_hpo``, ``diseases``, ``sex``,
  ``age_last_encounter``, ``disease_onset``, ``pmids``);
* rows of ``vignettes_dev.jsonl`` (``text``, ``disease_id``, ``pmid``; the title is not read,
  it often names the diagnosis).
"""

from __future__ import annotations

import codecs
import json
import logging
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from eval.diagnosis import Case
from kg.hierarchy import TermHierarchy
from kg.namespaces import to_iri
from kg.rules.onset import (
    ANTENATAL_ONSET,
    is_onset_class,
    not_an_onset_class,
    onset_class_of_age,
)

logger = logging.getLogger(__name__)

__all__ = [
    "HPO_ONSET_AGE_YEARS",
    "Case",
    "CaseFormatError",
    "case_from_dev_row",
    "case_from_phenopacket",
    "case_from_vignette",
    "onset_of",
    "parse_iso8601_age",
    "read_cases",
    "read_phenopacket",
]

#: Age range in years of the HPO onset classes (``HP:0003674`` subtree), from their
#: definitions: antenatal and congenital onsets are age 0.
HPO_ONSET_AGE_YEARS: dict[str, tuple[float, float]] = {
    to_iri(curie): ages
    for curie, ages in {
        "HP:0030674": (0.0, 0.0),  # Antenatal onset
        "HP:0011460": (0.0, 0.0),  # Embryonal onset
        "HP:0011461": (0.0, 0.0),  # Fetal onset
        "HP:0034199": (0.0, 0.0),  # Late first trimester onset
        "HP:0034198": (0.0, 0.0),  # Second trimester onset
        "HP:0034197": (0.0, 0.0),  # Third trimester onset
        "HP:0003577": (0.0, 0.0),  # Congenital onset
        "HP:0003623": (0.0, 28 / 365.25),  # Neonatal onset
        "HP:0003593": (28 / 365.25, 1.0),  # Infantile onset
        "HP:0011463": (1.0, 5.0),  # Childhood onset
        "HP:0410280": (1.0, 15.0),  # Pediatric onset
        "HP:0003621": (5.0, 15.0),  # Juvenile onset
        "HP:0003581": (16.0, 80.0),  # Adult onset
        "HP:0011462": (16.0, 40.0),  # Young adult onset
        "HP:0025708": (16.0, 19.0),  # Early young adult onset
        "HP:0025709": (19.0, 25.0),  # Intermediate young adult onset
        "HP:0025710": (25.0, 40.0),  # Late young adult onset
        "HP:0003596": (40.0, 60.0),  # Middle age onset
        "HP:0003584": (60.0, 90.0),  # Late onset
    }.items()
}

_DURATION = re.compile(
    r"^P(?:(?P<y>\d+(?:\.\d+)?)Y)?(?:(?P<mo>\d+(?:\.\d+)?)M)?(?:(?P<w>\d+(?:\.\d+)?)W)?"
    r"(?:(?P<d>\d+(?:\.\d+)?)D)?(?:T[\d.HMS]*)?$"
)
_SEXES = {"MALE": "MALE", "FEMALE": "FEMALE", "OTHER_SEX": "OTHER", "OTHER": "OTHER"}


class CaseFormatError(ValueError):
    """A case document is not in a format this module reads (names the file when known)."""


def parse_iso8601_age(value: str | None) -> float | None:
    """Years of an ISO 8601 duration (``P5Y8M`` -> 5.67); None when absent or malformed."""
    if not value:
        return None
    m = _DURATION.match(value.strip())
    if m is None or value.strip() == "P":
        logger.debug("not an ISO 8601 duration: %r", value)
        return None
    y, mo, w, d = (float(m.group(k) or 0.0) for k in ("y", "mo", "w", "d"))
    return y + mo / 12.0 + (w * 7.0 + d) / 365.25


def _age_of(time_element: Mapping[str, Any] | None) -> float | None:
    """Years of a phenopacket ``TimeElement`` (age, age range, gestational age, onset class)."""
    if not time_element:
        return None
    if "age" in time_element:
        return parse_iso8601_age(time_element["age"].get("iso8601duration"))
    if "ageRange" in time_element:
        ages = [
            parse_iso8601_age(time_element["ageRange"].get(k, {}).get("iso8601duration"))
            for k in ("start", "end")
        ]
        known = [a for a in ages if a is not None]
        return sum(known) / len(known) if known else None
    if "gestationalAge" in time_element:
        return 0.0
    if "ontologyClass" in time_element:
        try:
            low, high = HPO_ONSET_AGE_YEARS[to_iri(time_element["ontologyClass"]["id"])]
        except (KeyError, ValueError):
            return None
        return (low + high) / 2.0
    return None


def onset_of(value: str) -> str:
    """An onset as stated: an ISO 8601 age (``P2Y``) becomes the IRI of its onset class, a
    gestational age (``GA:33w0d``) antenatal onset; any other text (a term id) is returned as
    it is.

    Raises:
        ValueError: an age that is not an ISO 8601 duration.
    """
    if value.upper().startswith("GA:"):
        return ANTENATAL_ONSET
    if not value.startswith("P"):
        return value
    years = parse_iso8601_age(value)
    if years is None:
        raise ValueError(f"onset {value!r} is not an ISO 8601 duration such as P2Y")
    return onset_class_of_age(years)


def _onset_text(time_element: Any) -> str | None:
    """The onset class id or ISO 8601 age of a phenopacket ``TimeElement`` (an age range: its
    start); None for other kinds."""
    if not isinstance(time_element, Mapping):
        return None
    if "ontologyClass" in time_element:
        return (time_element["ontologyClass"] or {}).get("id")
    if "age" in time_element:
        return (time_element["age"] or {}).get("iso8601duration")
    if "ageRange" in time_element:
        return ((time_element["ageRange"] or {}).get("start") or {}).get("iso8601duration")
    if "gestationalAge" in time_element:
        return ANTENATAL_ONSET
    return None


def _sex(value: str | None) -> str | None:
    return _SEXES.get((value or "").upper())


class _TermResolver:
    """Turns ids into current IRIs, collecting warnings for the ones it cannot."""

    def __init__(self, hierarchy: TermHierarchy | None) -> None:
        self.hierarchy = hierarchy
        self.warnings: list[str] = []

    def __call__(self, ids: Iterable[str]) -> tuple[str, ...]:
        out: list[str] = []
        for term in ids:
            iri = self.one(term)
            if iri is not None and iri not in out:
                out.append(iri)
        return tuple(out)

    def onset(self, value: str | None) -> str | None:
        """The onset class of an HPO onset term, an ISO 8601 age of onset (``P2Y``) or a
        gestational age (``GA:33w0d``, antenatal); anything else is reported in ``warnings``."""
        if not value or not value.strip():
            return None
        value = value.strip()
        try:
            onset = onset_of(value)
        except ValueError as exc:
            self.warnings.append(f"{exc}; skipped")
            return None
        if onset != value:  # an age: its class
            return onset
        iri = self.one(value)
        if iri is None or self.hierarchy is None:
            return iri
        if not is_onset_class(self.hierarchy, iri):
            self.warnings.append(f"{not_an_onset_class(value)}; skipped")
            return None
        return iri

    def one(self, term: str) -> str | None:
        term = term.strip()
        if self.hierarchy is None:
            try:
                return to_iri(term)
            except ValueError:
                self.warnings.append(f"{term}: not a CURIE or IRI; skipped")
                return None
        iri = self.hierarchy.resolve(term)
        if iri is None:
            self.warnings.append(f"{term}: unknown or obsolete term; skipped")
            return None
        try:
            given = to_iri(term)
        except ValueError:
            given = term
        if iri != given:
            self.warnings.append(f"{term}: replaced by {iri}")
        return iri


def _disease_iris(ids: Iterable[str], warnings: list[str]) -> tuple[str, ...]:
    out: list[str] = []
    for d in ids:
        try:
            iri = to_iri(d.strip())
        except ValueError:
            warnings.append(f"{d}: disease id is not a CURIE or IRI; skipped")
            continue
        if iri not in out:
            out.append(iri)
    return tuple(out)


def _pmid_iris(ids: Iterable[str]) -> tuple[str, ...]:
    out: list[str] = []
    for p in ids:
        p = p.strip()
        if p.upper().startswith("PMID:"):
            iri = to_iri("PMID:" + p.split(":", 1)[1].strip())
        elif p.startswith("https://pubmed.ncbi.nlm.nih.gov/"):
            iri = p.rstrip("/")
        else:
            continue
        if iri not in out:
            out.append(iri)
    return tuple(out)


def case_from_phenopacket(data: Mapping[str, Any], hierarchy: TermHierarchy | None = None) -> Case:
    """A :class:`Case` from a parsed phenopacket v2 document.

    Args:
        data: the phenopacket as parsed JSON.
        hierarchy: resolves and checks term ids (default: ids are only turned into IRIs).

    Raises:
        CaseFormatError: ``data`` is not a JSON object.
    """
    if not isinstance(data, Mapping):
        raise CaseFormatError("a phenopacket must be a JSON object")
    try:
        return _case(data, hierarchy)
    except (AttributeError, TypeError, KeyError) as exc:  # a field of another shape
        raise CaseFormatError(
            f"not a phenopacket v2 document: a field has an unexpected shape ({exc})"
        ) from None


def _excluded(item: Mapping[str, Any], what: str) -> bool:
    """The ``excluded`` flag of a phenotypic feature or a disease: a JSON boolean, false
    when absent (or null, as the protobuf JSON mapping reads it).

    Raises:
        CaseFormatError: any other value (the string ``"false"`` would otherwise read as
            true), naming ``what`` (the feature's or disease's id) and the value.
    """
    value = item.get("excluded")
    if value is None:
        return False
    if not isinstance(value, bool):
        raise CaseFormatError(
            f"{what}: 'excluded' must be true or false (a JSON boolean), got {json.dumps(value)}"
        )
    return value


def _features(data: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The phenotypic features, each an object whose ``type.id`` is a string or absent."""
    features = data.get("phenotypicFeatures") or []
    if not isinstance(features, list) or not all(isinstance(f, Mapping) for f in features):
        raise CaseFormatError("phenotypicFeatures must be a list of objects")
    for f in features:
        kind = f.get("type") or {}
        if not isinstance(kind, Mapping) or not isinstance(kind.get("id", ""), str):
            raise CaseFormatError(
                'each phenotypic feature needs "type": {"id": "HP:..."} (got '
                f"{json.dumps(f.get('type'))[:60]})"
            )
    return features


def _case(data: Mapping[str, Any], hierarchy: TermHierarchy | None) -> Case:
    resolve = _TermResolver(hierarchy)
    present_ids: list[str] = []
    excluded_ids: list[str] = []
    pmids: list[str] = []
    for feature in _features(data):
        term = (feature.get("type") or {}).get("id")
        if not term:
            resolve.warnings.append("a phenotypic feature has no type.id; skipped")
            continue
        (excluded_ids if _excluded(feature, f"phenotypic feature {term}") else present_ids).append(
            term
        )
        for evidence in feature.get("evidence", []) or []:
            ref = (evidence.get("reference") or {}).get("id")
            if ref:
                pmids.append(ref)
    present = resolve(present_ids)
    excluded = tuple(t for t in resolve(excluded_ids) if t not in present)
    diseases_in = data.get("diseases", []) or []
    disease_ids = [
        (d.get("term") or {}).get("id", "")
        for d in diseases_in
        if not _excluded(d, f"disease {(d.get('term') or {}).get('id', '(no id)')}")
    ]
    for interpretation in data.get("interpretations", []) or []:
        disease = ((interpretation.get("diagnosis") or {}).get("disease") or {}).get("id")
        if disease:
            disease_ids.append(disease)
    meta = data.get("metaData") or {}
    pmids += [r.get("id", "") for r in meta.get("externalReferences", []) or []]
    subject = data.get("subject") or {}
    onsets = [
        _onset_text(d.get("onset"))
        for d in diseases_in
        if not _excluded(d, "a disease") and d.get("onset")
    ]
    onset = resolve.onset(onsets[0]) if onsets else None
    warnings = resolve.warnings
    diseases = _disease_iris([d for d in disease_ids if d], warnings)
    return Case(
        id=str(data.get("id", "")),
        present=present,
        excluded=excluded,
        sex=_sex(subject.get("sex")),
        age_years=_age_of(subject.get("timeAtLastEncounter")),
        onset=onset,
        diseases=diseases,
        pmids=_pmid_iris(pmids),
        warnings=tuple(warnings),
    )


def read_phenopacket(
    source: Path | str | Mapping[str, Any], hierarchy: TermHierarchy | None = None
) -> Case:
    """Read one phenopacket v2: a JSON file, or an already parsed document.

    Args:
        source: path of a JSON file, or the parsed phenopacket.
        hierarchy: resolves and checks term ids (default: ids are only turned into IRIs).

    Raises:
        CaseFormatError: the file is not UTF-8, not JSON or not a phenopacket.
    """
    if isinstance(source, Mapping):
        return case_from_phenopacket(source, hierarchy)
    path = Path(source)
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError as err:
        raise CaseFormatError(f"{path}: {_not_utf8(err, 'the file')}") from None
    except json.JSONDecodeError as err:
        raise CaseFormatError(f"{path}: not JSON ({err})") from err
    try:
        return case_from_phenopacket(data, hierarchy)
    except CaseFormatError as err:
        raise CaseFormatError(f"{path}: {err}") from err


def _not_utf8(err: UnicodeDecodeError, where: str) -> str:
    """Which byte of ``where`` (the line, the file) is not UTF-8."""
    byte = err.object[err.start]
    return (
        f"not valid UTF-8 (byte 0x{byte:02x} at position {err.start + 1} of {where}); "
        "save the file as UTF-8"
    )


def _strings(row: Mapping[str, Any], key: str, what: str = "ids") -> list[str]:
    """The field ``key`` of a row: a list of strings (absent or null: empty).

    Raises:
        CaseFormatError: a field of another type (a string would be read character by
            character), or an item that is not a string, naming the field.
    """
    value = row.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise CaseFormatError(
            f"{key!r} must be a list of {what} (strings), got {_shown(value)}"
            + ('; write it as a list: ["..."]' if isinstance(value, str) else "")
        )
    for i, item in enumerate(value, start=1):
        if not isinstance(item, str):
            raise CaseFormatError(
                f"{key!r} must be a list of {what} (strings); item {i} is {_shown(item)}"
            )
    return value


def _optional_string(row: Mapping[str, Any], key: str) -> str | None:
    """The field ``key``: a string, or None when absent or null.

    Raises:
        CaseFormatError: a value of another type, naming the field.
    """
    value = row.get(key)
    if value is not None and not isinstance(value, str):
        raise CaseFormatError(f"{key!r} must be a string, got {_shown(value)}")
    return value


def _shown(value: Any) -> str:
    """A JSON value as written, cut short."""
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


def case_from_dev_row(row: Mapping[str, Any], hierarchy: TermHierarchy | None = None) -> Case:
    """A :class:`Case` from one row of ``ppkt_dev.jsonl``.

    Raises:
        CaseFormatError: a field of the wrong type (``present_hpo`` not a list of strings,
            ``sex`` not a string ...), naming the field.
    """
    present_ids = _strings(row, "present_hpo", "HPO ids")
    excluded_ids = _strings(row, "excluded_hpo", "HPO ids")
    disease_ids = _strings(row, "diseases", "disease ids")
    pmids = _strings(row, "pmids", "PMIDs")
    onset_values = row.get("disease_onset")
    if onset_values is not None and not isinstance(onset_values, list):
        raise CaseFormatError(f"'disease_onset' must be a list, got {_shown(onset_values)}")
    sex = _optional_string(row, "sex")
    age = _optional_string(row, "age_last_encounter")
    resolve = _TermResolver(hierarchy)
    present = resolve(present_ids)
    excluded = tuple(t for t in resolve(excluded_ids) if t not in present)
    # "HP:0003593|Infantile onset" or "P2Y"; the first one stated
    onsets = [str(o).split("|", 1)[0] for o in onset_values or [] if o]
    onset = resolve.onset(onsets[0]) if onsets else None
    warnings = resolve.warnings
    return Case(
        id=str(row.get("id", "")),
        present=present,
        excluded=excluded,
        sex=_sex(sex),
        age_years=parse_iso8601_age(age),
        onset=onset,
        diseases=_disease_iris(disease_ids, warnings),
        pmids=_pmid_iris(pmids),
        warnings=tuple(warnings),
    )


def case_from_vignette(row: Mapping[str, Any]) -> Case:
    """A text-only :class:`Case` from one row of ``vignettes_dev.jsonl``.

    Raises:
        CaseFormatError: ``text`` is not a string or holds no text; ``disease_id`` or
            ``pmid`` is not a string.
    """
    text = row.get("text")
    if not isinstance(text, str):
        raise CaseFormatError(f"'text' must be a string, got {_shown(text)}")
    if not text.strip():
        raise CaseFormatError("'text' is empty: a vignette needs the case's description")
    warnings: list[str] = []
    disease = _optional_string(row, "disease_id")
    pmid = _optional_string(row, "pmid")
    return Case(
        id=str(row.get("id", "")),
        diseases=_disease_iris([disease] if disease else [], warnings),
        pmids=_pmid_iris([pmid] if pmid else []),
        text=text,
        warnings=tuple(warnings),
    )


def _case_from_any(row: Any, hierarchy: TermHierarchy | None) -> Case:
    if not isinstance(row, Mapping):
        kind = {str: "a string", bool: "a boolean", list: "a list", type(None): "null"}.get(
            type(row), "a number"
        )
        raise CaseFormatError(f"a case must be a JSON object, got {kind} ({_shown(row)})")
    if "phenotypicFeatures" in row or "metaData" in row:
        return case_from_phenopacket(row, hierarchy)
    if "present_hpo" in row:
        return case_from_dev_row(row, hierarchy)
    if "text" in row:
        return case_from_vignette(row)
    raise CaseFormatError(
        "unknown case format: expected a phenopacket, a ppkt_dev row (present_hpo) or a "
        "vignette row (text)"
    )


def iter_cases(path: Path, hierarchy: TermHierarchy | None = None) -> Iterator[Case]:
    """Cases of a file or folder, one at a time (see :func:`read_cases`)."""
    path = Path(path)
    if path.is_dir():
        for file in sorted(path.rglob("*.json")):
            yield read_phenopacket(file, hierarchy)
        return
    if path.suffix == ".json":
        yield read_phenopacket(path, hierarchy)
        return
    with path.open("rb") as fh:
        for n, raw in enumerate(fh, start=1):
            if n == 1 and raw.startswith(codecs.BOM_UTF8):  # read as utf-8-sig
                raw = raw[len(codecs.BOM_UTF8) :]
            if not raw.strip():
                continue
            try:
                row = json.loads(raw.decode("utf-8"))
            except UnicodeDecodeError as err:
                raise CaseFormatError(f"{path}:{n}: {_not_utf8(err, 'the line')}") from None
            except json.JSONDecodeError as err:
                raise CaseFormatError(f"{path}:{n}: not valid JSON ({err})") from None
            try:
                case = _case_from_any(row, hierarchy)
            except CaseFormatError as err:
                raise CaseFormatError(f"{path}:{n}: {err}") from None
            yield case


def read_cases(path: Path, hierarchy: TermHierarchy | None = None) -> list[Case]:
    """Read cases from a phenopacket JSON file, a folder of them, or a JSON-lines file.

    A ``.jsonl`` file may hold phenopackets, ``ppkt_dev`` rows or vignette rows (detected per
    line). Warnings about ids are kept on each case and summarised in the log.

    Args:
        path: the file or folder.
        hierarchy: resolves and checks term ids (default: ids are only turned into IRIs).

    Raises:
        CaseFormatError: a document is not UTF-8, not JSON or not a case, or a field of a
            case has the wrong type (names file, line and field). A bad line stops the
            reading: no case is skipped silently. A UTF-8 byte order mark is accepted.
    """
    cases = list(iter_cases(Path(path), hierarchy))
    skipped = sum(1 for c in cases for w in c.warnings if w.endswith("skipped"))
    if skipped:
        logger.warning(
            "%s: %d ids skipped over %d of %d cases (unknown or obsolete in this KG)",
            path,
            skipped,
            sum(1 for c in cases if c.warnings),
            len(cases),
        )
    return cases
