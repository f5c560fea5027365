"""Readers of patient cases: GA4GH phenopackets v2 and the development-data formats.

Every reader returns :class:`eval.diagnosis.Case` objects with IRIs. Term ids are checked
against a :class:`kg.hierarchy.TermHierarchy` when one is given: obsolete and alternative ids
are replaced by the current term, unknown ids are skipped and reported in ``Case.warnings``
(phenopacket-store uses HPO releases newer than the KG's), or, given a :data:`LabelReader`,
read by the name written beside them (``type.label``, ``present_labels``) and reported;
nothing about an id is fatal.

Formats:

* a phenopacket v2 JSON document (``phenotypicFeatures[].type.id`` / ``.excluded`` /
  ``.onset``, ``subject.sex`` / ``.timeAtLastEncounter``, ``diseases[]`` (and their
  ``onset``) and
  ``interpretations[].diagnosis.disease`` (not of an interpretation whose
  ``progressStatus`` is ``UNSOLVED``: reported in ``Case.warnings``),
  ``metaData.externalReferences[]`` PMIDs), its
  fields under their JSON (``timeAtLastEncounter``) or protobuf names
  (``time_at_last_encounter``), as protobuf's JSON parsers read them; a field of the wrong
  type is refused naming its path, a value that cannot be read (an unknown sex, a malformed
  age, an age over :data:`MAX_AGE_YEARS`) is reported in ``Case.warnings``, and so are the
  sections not read (biosamples' features, measurements ...); a Family or a Cohort is
  refused, naming what to give instead. Phenopacket v1's fields are read as v2's
  (``negated`` as ``excluded``, ``classOfOnset`` / ``ageOfOnset`` / ``ageRangeOfOnset`` as
  ``onset``, ``subject.ageAtCollection`` as ``timeAtLastEncounter``, ages written
  ``{"age": "P3Y"}``);
* rows of ``ppkt_dev.jsonl`` (``present_hpo``, ``excluded_hpo``, ``diseases``, ``sex``,
  ``age_last_encounter``, ``disease_onset``, ``feature_onsets``, ``pmids``); their ages and
  onsets are read as a phenopacket's (a gestational age, an onset class);
* rows of ``vignettes_dev.jsonl`` (``text``, ``disease_id``, ``pmid``; the title is not read,
  it often names the diagnosis).

A case that states no onset of its disease takes the earliest onset of its present features,
and says so in ``Case.warnings``; so does a term given as both present and excluded (counted
as present), and a case whose id an earlier case of the same file or folder has.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import logging
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, NamedTuple

from encoders.linker import read_by_name
from eval.diagnosis import Case
from kg.bounded_read import LineTooLongError, bounded_lines, read_document
from kg.hierarchy import TermHierarchy
from kg.namespaces import compress, to_iri
from kg.rules.onset import (
    ANTENATAL_ONSET,
    ONSET_ROOT,
    ONSET_YEARS,
    is_onset_class,
    not_an_onset_class,
    onset_class_of_age,
)
from kg.sources import wide_encoding
from kg.store import sha256_file

logger = logging.getLogger(__name__)

__all__ = [
    "HPO_ONSET_AGE_YEARS",
    "LabelReader",
    "PHENOPACKET_FIELDS",
    "SEX_NAMES",
    "Case",
    "CaseFormatError",
    "DEV_ROW_FIELDS",
    "DEV_ROW_MARKERS",
    "MAX_AGE_YEARS",
    "case_files",
    "case_from_dev_row",
    "case_from_phenopacket",
    "case_from_vignette",
    "feature_names",
    "is_dev_row",
    "is_phenopacket",
    "iter_cases",
    "json_values",
    "onset_of",
    "parse_iso8601_age",
    "read_cases",
    "read_phenopacket",
]

#: Where the open-ended onset classes (adult, late onset) stop, when an age is drawn within
#: them or their midpoint is taken.
_OPEN_END_YEARS = {to_iri("HP:0003581"): 80.0, to_iri("HP:0003584"): 90.0}
#: Age range in years of the HPO onset classes (``HP:0003674`` subtree):
#: :data:`kg.rules.onset.ONSET_YEARS`, the open ends closed by :data:`_OPEN_END_YEARS`.
HPO_ONSET_AGE_YEARS: dict[str, tuple[float, float]] = {
    iri: (low, _OPEN_END_YEARS[iri] if high is None else high)
    for iri, (low, high) in ONSET_YEARS.items()
}

_NUMBER = r"\d+(?:[.,]\d+)?"  # ISO 8601 allows a comma or a full stop as decimal mark
_DURATION = re.compile(
    rf"^P(?:(?P<y>{_NUMBER})Y)?(?:(?P<mo>{_NUMBER})M)?(?:(?P<w>{_NUMBER})W)?"
    rf"(?:(?P<d>{_NUMBER})D)?"
    rf"(?:T(?=\d)(?:(?P<h>{_NUMBER})H)?(?:(?P<mi>{_NUMBER})M)?(?:(?P<s>{_NUMBER})S)?)?$"
)
#: Days of each unit of a duration.
_UNIT_DAYS = {
    "y": 365.25,
    "mo": 365.25 / 12,
    "w": 7.0,
    "d": 1.0,
    "h": 1 / 24,
    "mi": 1 / 1440,
    "s": 1 / 86400,
}
#: The age in years of a gestational age: before birth, read as birth.
_GESTATIONAL_YEARS = 0.0
#: How a case may state the sex, in any case (``kgfuse diagnose`` reads the same names).
SEX_NAMES: dict[str, str | None] = {
    "male": "MALE",
    "m": "MALE",
    "female": "FEMALE",
    "f": "FEMALE",
    "other": "OTHER",
    "other_sex": "OTHER",
    "unknown": None,
    "unknown_sex": None,
}
#: The numbers of the phenopacket ``Sex`` enum, which protobuf's JSON mapping also accepts.
_SEX_NUMBERS: dict[int, str | None] = {0: None, 1: "FEMALE", 2: "MALE", 3: "OTHER"}
#: Reads a term's name into the IRI of a term the KG knows, or None
#: (:meth:`encoders.linker.ConceptLinker.read_label`). Given to the readers, it reads a
#: feature whose id the KG does not know (a newer ontology release) by the name written
#: beside the id.
LabelReader = Callable[[str], "str | None"]

_CAMEL_HUMP = re.compile(r"(?<!^)([A-Z])")


#: Fields that make a record a phenopacket (its features, subject or metadata, under their
#: JSON or protobuf name) or a Family or Cohort of them (which :func:`case_from_phenopacket`
#: refuses, saying why); :func:`is_phenopacket`.
PHENOPACKET_FIELDS = (
    "phenotypicFeatures",
    "phenotypic_features",
    "subject",
    "metaData",
    "meta_data",
    "proband",
    "members",
)
#: The fields of a ``ppkt_dev.jsonl`` row (its README); the ones that only such a row has
#: are :data:`DEV_ROW_MARKERS`.
DEV_ROW_FIELDS = (
    "id",
    "cohort",
    "file",
    "present_hpo",
    "present_labels",
    "excluded_hpo",
    "excluded_labels",
    "diseases",
    "disease_labels",
    "excluded_diseases",
    "genes",
    "sex",
    "age_last_encounter",
    "vital_status",
    "disease_onset",
    "feature_onsets",
    "pmids",
    "references",
    "hpo_version",
    "source_commit",
)
#: Fields read from a ``ppkt_dev`` row that a plain ``present_hpo`` record does not have:
#: a record with ``present_hpo`` and one of these is such a row (:func:`is_dev_row`).
DEV_ROW_MARKERS = ("age_last_encounter", "disease_onset", "feature_onsets")
#: The oldest age a case may give (years); an older one is reported and not read.
MAX_AGE_YEARS = 130


def is_phenopacket(record: Mapping[str, Any]) -> bool:
    """Whether a parsed record is a phenopacket (or a Family or Cohort): it has one of
    :data:`PHENOPACKET_FIELDS`."""
    return any(key in record for key in PHENOPACKET_FIELDS)


def is_dev_row(record: Mapping[str, Any]) -> bool:
    """Whether a parsed record is a ``ppkt_dev.jsonl`` row: ``present_hpo`` and one of
    :data:`DEV_ROW_MARKERS` (read by :func:`case_from_dev_row`)."""
    return "present_hpo" in record and any(key in record for key in DEV_ROW_MARKERS)


class CaseFormatError(ValueError):
    """A case document is not in a format this module reads (names the file when known)."""


def parse_iso8601_age(value: str | None) -> float | None:
    """Years of an ISO 8601 duration (``P5Y8M`` -> 5.67, ``PT12H`` -> 12 hours); None when
    absent, malformed, without any number (``P``, ``PT``) or too large to be finite."""
    if not value:
        return None
    m = _DURATION.match(value.strip())
    stated = {} if m is None else {k: v for k, v in m.groupdict().items() if v is not None}
    days = sum(float(v.replace(",", ".")) * _UNIT_DAYS[k] for k, v in stated.items())
    if not stated or not math.isfinite(days):
        logger.debug("not an ISO 8601 duration: %r", value)
        return None
    return days / 365.25


def _field(obj: Mapping[str, Any], name: str, path: str) -> tuple[Any, str]:
    """The value of field ``name`` of ``obj`` (None when absent) and its path as written: read
    under its JSON name (``timeAtLastEncounter``) or its protobuf field name
    (``time_at_last_encounter``), as protobuf's JSON parsers accept both."""
    key = name
    if name not in obj:
        proto = _CAMEL_HUMP.sub(r"_\1", name).lower()
        if proto in obj:
            key = proto
    return obj.get(key), f"{path}.{key}" if path else key


def _kind(value: Any) -> str:
    """What a JSON value is, for messages: ``a string ("F")``, ``null``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        kind = "a boolean"
    elif isinstance(value, str):
        kind = "a string"
    elif isinstance(value, list):
        kind = "a list"
    elif isinstance(value, Mapping):
        kind = "an object"
    else:
        kind = "a number"
    return f"{kind} ({_shown(value)})"


def _object(value: Any, path: str) -> Mapping[str, Any]:
    """``value`` when it is an object, ``{}`` when absent (null).

    Raises:
        CaseFormatError: any other value, naming ``path``.
    """
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise CaseFormatError(f"{path} must be an object, got {_kind(value)}")
    return value


def _objects(value: Any, path: str) -> list[tuple[str, Mapping[str, Any]]]:
    """(path, item) of each object of a list (``[]`` when absent).

    Raises:
        CaseFormatError: not a list, or an item that is not an object, naming its path.
    """
    if value is None:
        return []
    if not isinstance(value, list):
        raise CaseFormatError(f"{path} must be a list of objects, got {_kind(value)}")
    for i, item in enumerate(value):
        if not isinstance(item, Mapping):
            raise CaseFormatError(f"{path}[{i}] must be an object, got {_kind(item)}")
    return [(f"{path}[{i}]", item) for i, item in enumerate(value)]


def _string(value: Any, path: str) -> str | None:
    """``value`` when it is a string, None when absent.

    Raises:
        CaseFormatError: any other value, naming ``path``.
    """
    if value is not None and not isinstance(value, str):
        raise CaseFormatError(f"{path} must be a string, got {_kind(value)}")
    return value


def _duration(age: Any, path: str, warnings: list[str]) -> tuple[str | None, str]:
    """The ISO 8601 duration of the phenopacket ``Age`` at ``path``, and its path: v2's
    ``{"iso8601duration": "P3Y"}``, v1's ``{"age": "P3Y"}`` (or that string alone, where a
    v1 document puts the ``Age`` in place of a v2 ``TimeElement``); any other object is
    reported in ``warnings``."""
    if isinstance(age, str):
        return age, path
    element = _object(age, path)
    value, where = _field(element, "iso8601duration", path)
    if value is not None:
        return _string(value, where), where
    value, where = _field(element, "age", path)
    if isinstance(value, str):
        return value, where
    warnings.append(
        f'{path} is not an age such as {{"iso8601duration": "P2Y"}} (got {_shown(age)}); skipped'
    )
    return None, path


def _years(value: str | None, path: str, warnings: list[str]) -> float | None:
    """Years of an ISO 8601 duration; a malformed one is reported in ``warnings``."""
    if value is None:
        return None
    years = parse_iso8601_age(value)
    if years is None:
        warnings.append(f"{path} {value!r} is not an ISO 8601 duration such as P2Y; skipped")
    return years


def _class_years(term_id: str | None) -> float | None:
    """Midpoint in years of an HPO onset class given by id; None for any other id."""
    try:
        low, high = HPO_ONSET_AGE_YEARS[to_iri(term_id or "")]
    except (KeyError, ValueError):
        return None
    return (low + high) / 2.0


def _stated_age(value: str | None, path: str, warnings: list[str]) -> float | None:
    """Years of an age written as text (a dev row's): an ISO 8601 duration, a gestational age
    (``GA:32w0d``, birth: 0) or an HPO onset class (``HP:0003593|Infantile onset``, its
    midpoint), read as :func:`_time_years` reads a phenopacket's; anything else is reported
    in ``warnings``."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    if value.startswith("P"):
        return _years(value, path, warnings)
    if value.upper().startswith("GA:"):
        return _GESTATIONAL_YEARS
    years = _class_years(value.split("|", 1)[0].strip())
    if years is None:
        warnings.append(
            f"{path} {value!r} is not an age (an ISO 8601 duration such as P2Y, a gestational "
            "age or an HPO onset class); skipped"
        )
    return years


class _Time(NamedTuple):
    """What a phenopacket ``TimeElement`` states: its ``kind`` (``age``, ``ageRange``,
    ``ontologyClass`` ...), the ``value`` of that kind and its path ``where``; ``at`` is the
    path of the element itself (``diseases[0].onset``)."""

    kind: str
    value: Any
    where: str
    at: str


#: The kinds of a phenopacket ``TimeElement``, in the order they are read.
_TIME_KINDS = ("age", "ageRange", "gestationalAge", "ontologyClass", "timestamp", "interval")
#: The v1 fields of an onset (of a feature or a disease) and the ``TimeElement`` kind of each.
_V1_ONSETS = (
    ("classOfOnset", "ontologyClass"),
    ("ageOfOnset", "age"),
    ("ageRangeOfOnset", "ageRange"),
)
#: The v1 fields of the subject's age (``Individual.ageAtCollection``), as v2's
#: ``timeAtLastEncounter`` is read.
_V1_AGES = (("ageAtCollection", "age"), ("ageRangeAtCollection", "ageRange"))


def _time(element: Any, path: str, warnings: list[str]) -> _Time | None:
    """What the ``TimeElement`` at ``path`` states; None when absent or empty, and an object
    of no kind of time is reported in ``warnings``."""
    element = _object(element, path)
    for kind in _TIME_KINDS:
        value, where = _field(element, kind, path)
        if value is not None:
            return _Time(kind, value, where, path)
    if element:
        warnings.append(
            f"{path} is not a time element (age, ageRange, gestationalAge, ontologyClass, "
            f"timestamp or interval; got {_shown(element)}); skipped"
        )
    return None


def _time_of(
    item: Mapping[str, Any],
    path: str,
    v2: str,
    v1: Sequence[tuple[str, str]],
    warnings: list[str],
) -> _Time | None:
    """The time ``item`` states under its v2 field ``v2`` (a ``TimeElement``), else under
    one of its v1 fields ``v1`` ((field, kind): ``classOfOnset`` an onset class ...); a
    second one given beside the first is reported in ``warnings``, not read."""
    found: list[_Time] = []
    value, at = _field(item, v2, path)
    if value:
        time = _time(value, at, warnings)
        if time is not None:
            found.append(time)
    for name, kind in v1:
        value, at = _field(item, name, path)
        if value is not None and value != {}:
            found.append(_Time(kind, value, at, at))
    for other in found[1:]:
        warnings.append(f"{other.at} is not read: {found[0].at} gives the time already")
    return found[0] if found else None


def _onset_time(item: Mapping[str, Any], path: str, warnings: list[str]) -> _Time | None:
    """The onset of a phenotypic feature or a disease: v2's ``onset``, else v1's
    ``classOfOnset``, ``ageOfOnset`` or ``ageRangeOfOnset``."""
    return _time_of(item, path, "onset", _V1_ONSETS, warnings)


def _range_ends(time: _Time, warnings: list[str]) -> list[tuple[str | None, str]]:
    """(ISO 8601 duration or None, its path) of the start and the end of an age range."""
    ranged = _object(time.value, time.where)
    ends = []
    for end in ("start", "end"):
        age, where = _field(ranged, end, time.where)
        ends.append((None, where) if age is None else _duration(age, where, warnings))
    return ends


def _time_years(time: _Time | None, warnings: list[str]) -> float | None:
    """Years of a stated time: an age, the middle of an age range, a gestational age (birth),
    the midpoint of an onset class; a malformed age, a class that is no onset class, a
    timestamp or an interval (no age without a birth date) is reported in ``warnings``."""
    if time is None:
        return None
    if time.kind == "age":
        return _years(*_duration(time.value, time.where, warnings), warnings)
    if time.kind == "ageRange":
        ages = [_years(value, where, warnings) for value, where in _range_ends(time, warnings)]
        known = [a for a in ages if a is not None]
        return sum(known) / len(known) if known else None
    if time.kind == "gestationalAge":
        return _GESTATIONAL_YEARS
    if time.kind == "ontologyClass":
        term_id = _string(_object(time.value, time.where).get("id"), f"{time.where}.id")
        years = _class_years(term_id)
        if years is None:
            warnings.append(f"{time.where}.id {term_id!r} is not an HPO onset class; skipped")
        return years
    warnings.append(f"{time.at}: an age given as a {time.kind} is not read; skipped")
    return None


#: How an ISO 8601 age starts (``P2Y``, ``PT5H``): what :func:`onset_of` reads as an age.
_AGE_FORM = re.compile(r"P[\dT]")


def onset_of(value: str) -> str:
    """An onset as stated: an ISO 8601 age (``P2Y``) becomes the IRI of its onset class, a
    gestational age (``GA:33w0d``) antenatal onset; any other text (a term id) is returned as
    it is.

    Raises:
        ValueError: an age that is not an ISO 8601 duration.
    """
    if value.upper().startswith("GA:"):
        return ANTENATAL_ONSET
    if not _AGE_FORM.match(value):  # "Pediatric onset" is no age
        return value
    years = parse_iso8601_age(value)
    if years is None:
        raise ValueError(f"onset {value!r} is not an ISO 8601 duration such as P2Y")
    return onset_class_of_age(years)


def _time_onset(time: _Time, warnings: list[str]) -> str | None:
    """The onset class id, ISO 8601 age or gestational age (``GA:21w0d``, as a ``ppkt_dev``
    row writes it) of a stated time (an age range: its start); None for other kinds (a
    timestamp, an interval) and for a malformed age, which is reported in ``warnings``."""
    if time.kind == "ontologyClass":
        return _string(_object(time.value, time.where).get("id"), f"{time.where}.id")
    if time.kind == "gestationalAge":  # as a row writes it (GA:21w0d): antenatal onset
        weeks, days = (_object(time.value, time.where).get(k) for k in ("weeks", "days"))
        if isinstance(weeks, int) and isinstance(days or 0, int):
            return f"GA:{weeks}w{days or 0}d"
        return ANTENATAL_ONSET
    if time.kind == "age":
        value, where = _duration(time.value, time.where, warnings)
    elif time.kind == "ageRange":
        start, where = _field(_object(time.value, time.where), "start", time.where)
        if start is None:
            warnings.append(f"{where} is absent: the onset of an age range is its start; skipped")
            return None
        value, where = _duration(start, where, warnings)
    else:
        return None
    return value if _years(value, where, warnings) is not None else None


def _sex(value: Any, path: str, warnings: list[str]) -> str | None:
    """``MALE``, ``FEMALE``, ``OTHER`` or None of a stated sex: a phenopacket ``Sex`` name or
    number (``FEMALE``, 1), or ``male``, ``F`` ... in any case; another string or number is
    reported in ``warnings`` and read as unknown.

    Raises:
        CaseFormatError: neither a string nor a whole number, naming ``path``.
    """
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        if value in _SEX_NUMBERS:
            return _SEX_NUMBERS[value]
    elif not isinstance(value, str):
        raise CaseFormatError(
            f"{path} must be a sex such as FEMALE (or its number, 0 to 3), got {_kind(value)}"
        )
    elif not value.strip():
        return None
    elif value.strip().lower() in SEX_NAMES:
        return SEX_NAMES[value.strip().lower()]
    warnings.append(
        f"{path} {value!r} is not a sex (MALE, FEMALE, OTHER_SEX, UNKNOWN_SEX or 0 to 3); "
        "read as unknown"
    )
    return None


class _TermResolver:
    """Turns ids into current IRIs, collecting warnings for the ones it cannot.

    ``as_written``: an onset class id is returned as written (checked, not converted), and
    the hierarchy checks only onsets (the features' ids are only turned into IRIs), for a
    caller that resolves ids itself and names them as written (``kgfuse diagnose``).
    """

    def __init__(
        self,
        hierarchy: TermHierarchy | None,
        *,
        as_written: bool = False,
        read_label: LabelReader | None = None,
    ) -> None:
        self.hierarchy = hierarchy
        self.as_written = as_written
        self.read_label = read_label
        self.warnings: list[str] = []

    def __call__(
        self, ids: Iterable[str], labels: Sequence[str | None] | None = None
    ) -> tuple[str, ...]:
        return tuple(iri for _, iri in self.pairs(ids, labels))

    def pairs(
        self, ids: Iterable[str], labels: Sequence[str | None] | None = None
    ) -> list[tuple[str, str]]:
        """(id as written, current IRI) of each id that resolves, once per IRI; ``labels``
        (the names written beside the ids, in their order) read an unknown id by its name
        when the resolver has a label reader (the id "as written" is then the found term's
        CURIE)."""
        out: dict[str, str] = {}
        for n, term in enumerate(ids):
            label = labels[n] if labels is not None and n < len(labels) else None
            iri, by_label = self._resolve(term, label, check=not self.as_written)
            if iri is not None and iri not in out:
                out[iri] = compress(iri) if by_label else term.strip()
        return [(term, iri) for iri, term in out.items()]

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
        try:
            to_iri(value)
        except ValueError:  # a name without its id ("Infantile onset")
            self.warnings.append(
                f"onset {value!r} is neither an onset class id (such as HP:0003593), an ISO "
                "8601 age (P2Y) nor a gestational age (GA:33w0d); skipped"
            )
            return None
        iri = self.one(value)
        if (
            iri is not None
            and self.hierarchy is not None
            and not is_onset_class(self.hierarchy, iri)
        ):
            self.warnings.append(f"{not_an_onset_class(value)}; skipped")
            return None
        return value if iri is not None and self.as_written else iri

    def earliest_onset(self, stated: Iterable[tuple[str, str | None]]) -> str | None:
        """The earliest onset class (by its midpoint) of the onsets of features, ``(feature
        id, onset as stated)``, for a case that states no onset of the disease, which
        ``warnings`` says; None when none reads."""
        found: list[tuple[float, str, str, str]] = []
        for term, value in stated:
            onset = self.onset(value)
            if onset is not None:
                years = _class_years(onset)
                found.append((math.inf if years is None else years, term, value or "", onset))
        if not found:
            return None
        _, term, value, onset = min(found, key=lambda f: f[0])
        self.warnings.append(
            f"no onset of the disease stated: read the earliest onset of a feature, "
            f"{value!r} ({term})"
        )
        return onset

    def one(self, term: str) -> str | None:
        return self._resolve(term, None)[0]

    def _resolve(
        self, term: str, label: str | None, *, check: bool = True
    ) -> tuple[str | None, bool]:
        """The IRI of ``term`` (None: skipped, with a warning) and whether it was read by
        its ``label``; ``check`` False: only turned into an IRI, not checked."""
        term = term.strip()
        if self.hierarchy is None or not check:
            try:
                return to_iri(term), False
            except ValueError:
                self.warnings.append(f"{term}: not a CURIE or IRI; skipped")
                return None, False
        iri = self.hierarchy.resolve(term)
        if iri is None:
            named = label.strip() if isinstance(label, str) and label.strip() else None
            found = self.read_label(named) if named and self.read_label else None
            if named is not None and found is not None and found in self.hierarchy:
                label = self.hierarchy.labels[self.hierarchy.index(found)]
                self.warnings.append(read_by_name(term, named, found, label))
                return found, True
            unread = named is not None and self.read_label is not None
            why = f", and its name {named!r} names no term of this KG" if unread else ""
            self.warnings.append(f"{term}: unknown or obsolete term{why}; skipped")
            return None, False
        try:
            given = to_iri(term)
        except ValueError:
            given = term
        if iri != given:
            self.warnings.append(f"{term}: replaced by {iri}")
        return iri, False


def _not_also_present(
    excluded: list[tuple[str, str]], present: set[str], warnings: list[str]
) -> list[tuple[str, str]]:
    """The excluded ``(id as written, IRI)`` pairs whose term is not also present; a term
    given as both is counted as present, and named in ``warnings``."""
    both = sorted(term for term, iri in excluded if iri in present)
    if both:
        warnings.append(f"both present and excluded, counted as present: {', '.join(both)}")
    return [(term, iri) for term, iri in excluded if iri not in present]


_HPO_IRI = to_iri("HP:0000001").removesuffix("0000001")
_COLON_SPACES = re.compile(r"\s*:\s*")


def _disease_iris(ids: Iterable[str], warnings: list[str]) -> tuple[str, ...]:
    out: list[str] = []
    for d in ids:
        written = _COLON_SPACES.sub(":", d.strip())  # "OMIM: 154700", as people write it
        try:
            if any(c.isspace() for c in written) and "://" not in written:
                raise ValueError(written)  # a space inside an id makes a broken IRI
            iri = to_iri(written)
        except ValueError:
            warnings.append(f"{d}: disease id is not a CURIE or IRI; skipped")
            continue
        if iri.startswith(_HPO_IRI):
            warnings.append(f"{d}: a phenotype's id (HPO), not a disease's; skipped")
            continue
        if iri not in out:
            out.append(iri)
    return tuple(out)


#: A PubMed id as cases write it: "PMID:123", "pmid: 0123", "PMID_123", a bare number, or a
#: PubMed address (pubmed.ncbi.nlm.nih.gov/123, www.ncbi.nlm.nih.gov/pubmed/123).
_PMID = re.compile(
    r"(?:pmid\s*[:_]?\s*|https?://(?:pubmed\.ncbi\.nlm\.nih\.gov|(?:www\.)?ncbi\.nlm\.nih\.gov/"
    r"pubmed)/)?(\d{1,9})/?",
    re.IGNORECASE,
)


def pmid_iri(reference: str) -> str | None:
    """The PubMed IRI of a reference written as a PubMed id, else None (a DOI, a URL of
    another site). Leading zeros are dropped: "PMID:0123" is PMID 123."""
    match = _PMID.fullmatch(reference.strip())
    if match is None or int(match.group(1)) == 0:
        return None
    return to_iri(f"PMID:{int(match.group(1))}")


def _pmid_iris(ids: Iterable[str]) -> tuple[str, ...]:
    """The PubMed IRIs of the references that are PubMed ids, each once, in order."""
    found = (pmid_iri(p) for p in ids)
    return tuple(dict.fromkeys(iri for iri in found if iri is not None))


def case_from_phenopacket(
    data: Mapping[str, Any],
    hierarchy: TermHierarchy | None = None,
    *,
    as_written: bool = False,
    read_label: LabelReader | None = None,
) -> Case:
    """A :class:`Case` from a parsed phenopacket v2 document.

    Args:
        data: the phenopacket as parsed JSON.
        hierarchy: resolves and checks term ids (default: ids are only turned into IRIs).
        as_written: give the phenotypic features' ids and the onset class id as the document
            writes them (checked, not converted), for a caller that resolves them itself and
            names them as written (``kgfuse diagnose``).
        read_label: with ``hierarchy``, reads a feature whose id the KG does not know by
            its ``type.label`` (:data:`LabelReader`; default: such a feature is skipped).

    Raises:
        CaseFormatError: ``data`` is not a JSON object, is a Family or a Cohort, or a field
            has the wrong type (named by its path: ``subject must be an object, got ...``).
    """
    if not isinstance(data, Mapping):
        raise CaseFormatError("a phenopacket must be a JSON object")
    if "proband" in data:
        raise CaseFormatError(
            'a Family, not a phenopacket: give its proband (the phenopacket under "proband") '
            "on its own"
        )
    if "members" in data:
        members = data["members"]
        count = f"{len(members)} " if isinstance(members, list) else ""
        raise CaseFormatError(
            f"a Cohort, not a phenopacket: give each of its {count}members (the phenopackets "
            'under "members") on its own'
        )
    try:
        return _case(data, hierarchy, as_written, read_label)
    except (AttributeError, TypeError, KeyError) as exc:  # a field of another shape
        raise CaseFormatError(
            f"not a phenopacket v2 document: a field has an unexpected shape ({exc})"
        ) from None


def feature_names(data: Mapping[str, Any]) -> dict[str, str]:
    """The name written beside each phenotypic feature's id (``type.label``), by the id as
    written (stripped); features without both are left out."""
    names: dict[str, str] = {}
    for _, feature in _features(data):
        kind = feature.get("type") or {}
        term, label = kind.get("id"), kind.get("label")
        if isinstance(term, str) and term.strip() and isinstance(label, str) and label.strip():
            names.setdefault(term.strip(), label.strip())
    return names


def _flag(item: Mapping[str, Any], name: str, what: str) -> bool | None:
    """The boolean field ``name`` of ``item``; None when absent (or null, as the protobuf
    JSON mapping reads it).

    Raises:
        CaseFormatError: any other value (the string ``"false"`` would otherwise read as
            true), naming ``what`` (the feature's or disease's id) and the value.
    """
    value = item.get(name)
    if value is not None and not isinstance(value, bool):
        raise CaseFormatError(
            f"{what}: {name!r} must be true or false (a JSON boolean), got {json.dumps(value)}"
        )
    return value


def _excluded(item: Mapping[str, Any], what: str, warnings: list[str]) -> bool:
    """Whether a phenotypic feature or a disease is excluded: its ``excluded`` flag, or v1's
    ``negated``; false when neither is given, and excluded (with a warning) when the two
    disagree.

    Raises:
        CaseFormatError: a flag that is not a JSON boolean (see :func:`_flag`).
    """
    excluded = _flag(item, "excluded", what)
    negated = _flag(item, "negated", what)
    if excluded is not None and negated is not None and excluded != negated:
        warnings.append(
            f"{what}: 'excluded' ({json.dumps(excluded)}) and v1's 'negated' "
            f"({json.dumps(negated)}) disagree; read as excluded"
        )
    return bool(excluded or negated)


def _features(data: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """(path, feature) of the phenotypic features, each an object whose ``type.id`` is a
    string or absent."""
    features = _objects(*_field(data, "phenotypicFeatures", ""))
    for path, f in features:
        kind = f.get("type")
        if kind is not None and (
            not isinstance(kind, Mapping) or not isinstance(kind.get("id", ""), str)
        ):
            raise CaseFormatError(
                f'{path}: a phenotypic feature needs "type": {{"id": "HP:..."}} (got '
                f"{json.dumps(kind)[:60]})"
            )
    return features


#: Sections of a phenopacket that hold findings or history the diagnosis does not read,
#: named in one warning when a document gives them (v1's ``genes`` and ``variants`` too).
_UNREAD_SECTIONS = ("measurements", "medicalActions", "genes", "variants")


def _unread_sections(data: Mapping[str, Any], subject: Mapping[str, Any]) -> str | None:
    """The one warning naming the sections of a phenopacket that are given but not read
    (biosamples' features, measurements, treatments, vital status ...), or None."""
    unread = []
    samples = _field(data, "biosamples", "")[0]
    if isinstance(samples, list) and any(
        isinstance(s, Mapping) and _field(s, "phenotypicFeatures", "")[0] for s in samples
    ):
        unread.append("biosamples[].phenotypicFeatures")
    unread += [name for name in _UNREAD_SECTIONS if _field(data, name, "")[0]]
    if _field(subject, "vitalStatus", "")[0]:
        unread.append("subject.vitalStatus")
    if not unread:
        return None
    return (
        f"not read: {', '.join(unread)} (the diagnosis reads the patient's phenotypicFeatures, "
        "sex, age and onsets)"
    )


#: ``Interpretation.progressStatus`` of a case the curators did not solve: its number in
#: the phenopacket schema's ``ProgressStatus`` enum, which protobuf's JSON mapping accepts.
_UNSOLVED = ("UNSOLVED", 4)


def _unsolved(interpretation: Mapping[str, Any], path: str) -> bool:
    """Whether an interpretation's ``progressStatus`` is ``UNSOLVED`` (by name, in any case,
    or by number): its disease is a candidate the curators did not confirm."""
    status, _ = _field(interpretation, "progressStatus", path)
    if isinstance(status, str):
        return status.strip().upper() == _UNSOLVED[0]
    return isinstance(status, int) and not isinstance(status, bool) and status == _UNSOLVED[1]


def _plausible_age(years: float | None, path: str, warnings: list[str]) -> float | None:
    """``years`` when it is a patient's age (0 to :data:`MAX_AGE_YEARS`), else None, reported
    in ``warnings``: the age only feeds the rules' checks, the case is read without it."""
    if years is None or 0 <= years <= MAX_AGE_YEARS:
        return years
    warnings.append(
        f"{path} is {years:.1f} years, not an age from 0 to {MAX_AGE_YEARS} years; skipped"
    )
    return None


def _case(
    data: Mapping[str, Any],
    hierarchy: TermHierarchy | None,
    as_written: bool,
    read_label: LabelReader | None = None,
) -> Case:
    resolve = _TermResolver(hierarchy, as_written=as_written, read_label=read_label)
    warnings = resolve.warnings
    present_ids: list[str] = []
    excluded_ids: list[str] = []
    present_labels: list[str | None] = []
    excluded_labels: list[str | None] = []
    pmids: list[str] = []
    feature_onsets: list[tuple[str, _Time]] = []  # (id, onset) of present ones
    if _field(data, "phenotypicFeatures", "")[0] is None:
        warnings.append("no phenotypicFeatures: the phenopacket states no phenotypic feature")
    for path, feature in _features(data):
        kind = feature.get("type") or {}
        term = kind.get("id")
        if not term:
            label = kind.get("label")
            named = f" ({label!r})" if isinstance(label, str) and label else ""
            warnings.append(f"{path} has no type.id{named}; skipped")
            continue
        label = kind.get("label")
        label = label if isinstance(label, str) else None
        if _excluded(feature, f"phenotypic feature {term}", warnings):
            excluded_ids.append(term)
            excluded_labels.append(label)
        else:
            present_ids.append(term)
            present_labels.append(label)
            stated = _onset_time(feature, path, warnings)
            if stated is not None:
                feature_onsets.append((term, stated))
        for where, evidence in _objects(*_field(feature, "evidence", path)):
            ref, at = _field(evidence, "reference", where)
            ref_id = _string(_object(ref, at).get("id"), f"{at}.id")
            if ref_id:
                pmids.append(ref_id)
    present = resolve.pairs(present_ids, present_labels)
    counted = {iri for _, iri in present}
    excluded = _not_also_present(resolve.pairs(excluded_ids, excluded_labels), counted, warnings)
    disease_ids: list[str] = []
    onsets: list[str] = []
    unread: list[str] = []  # onsets of a kind not read (a timestamp, an interval)
    for path, disease in _objects(*_field(data, "diseases", "")):
        term, at = _field(disease, "term", path)
        disease_id = _string(_object(term, at).get("id"), f"{at}.id")
        if _excluded(disease, f"disease {disease_id or '(no id)'}", warnings):
            continue
        if disease_id:
            disease_ids.append(disease_id)
        stated = _onset_time(disease, path, warnings)
        if stated is not None:
            text = _time_onset(stated, warnings)
            if text:
                onsets.append(text)
            elif stated.kind in ("timestamp", "interval"):
                unread.append(stated.at)
    for path, interpretation in _objects(*_field(data, "interpretations", "")):
        diagnosis, at = _field(interpretation, "diagnosis", path)
        disease, at = _field(_object(diagnosis, at), "disease", at)
        disease_id = _string(_object(disease, at).get("id"), f"{at}.id")
        if disease_id and _unsolved(interpretation, path):
            warnings.append(
                f"{path} is UNSOLVED: its disease {disease_id} is not read as the diagnosis"
            )
        elif disease_id:
            disease_ids.append(disease_id)
    meta, at = _field(data, "metaData", "")
    for path, reference in _objects(*_field(_object(meta, at), "externalReferences", at)):
        pmids.append(_string(reference.get("id"), f"{path}.id") or "")
    subject, at = _field(data, "subject", "")
    subject = _object(subject, at)
    sex = _sex(*_field(subject, "sex", at), warnings)
    last_encounter = _time_of(subject, at, "timeAtLastEncounter", _V1_AGES, warnings)
    age = _time_years(last_encounter, warnings)
    if last_encounter is not None:
        age = _plausible_age(age, last_encounter.at, warnings)
    onset = None
    for text in onsets:  # the first one that reads
        onset = resolve.onset(text)
        if onset is not None:
            break
    if onset is None and unread:
        warnings.append(f"{unread[0]}: an onset given as a timestamp or interval is not read")
    if onset is None and feature_onsets:
        onset = resolve.earliest_onset(
            (term, _time_onset(time, warnings)) for term, time in feature_onsets
        )
    diseases = _disease_iris(disease_ids, warnings)
    unread_sections = _unread_sections(data, subject)
    if unread_sections:
        warnings.append(unread_sections)
    return Case(
        id=str(data.get("id", "")),
        present=tuple(term if as_written else iri for term, iri in present),
        excluded=tuple(term if as_written else iri for term, iri in excluded),
        sex=sex,
        age_years=age,
        onset=onset,
        diseases=diseases,
        pmids=_pmid_iris(pmids),
        warnings=tuple(warnings),
    )


def read_phenopacket(
    source: Path | str | Mapping[str, Any],
    hierarchy: TermHierarchy | None = None,
    *,
    read_label: LabelReader | None = None,
) -> Case:
    """Read one phenopacket v2: a JSON file, or an already parsed document.

    Args:
        source: path of a JSON file, or the parsed phenopacket.
        hierarchy: resolves and checks term ids (default: ids are only turned into IRIs).
        read_label: reads an id the KG does not know by its name (:data:`LabelReader`).

    Raises:
        CaseFormatError: the file is not UTF-8, not JSON or not a phenopacket.
    """
    if isinstance(source, Mapping):
        return case_from_phenopacket(source, hierarchy, read_label=read_label)
    path = Path(source)
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError as err:
        raise CaseFormatError(f"{path}: {_not_utf8(err, 'the file')}") from None
    except json.JSONDecodeError as err:
        raise CaseFormatError(f"{path}: not JSON ({err})") from err
    try:
        return case_from_phenopacket(data, hierarchy, read_label=read_label)
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


def case_from_dev_row(
    row: Mapping[str, Any],
    hierarchy: TermHierarchy | None = None,
    *,
    as_written: bool = False,
    read_label: LabelReader | None = None,
) -> Case:
    """A :class:`Case` from one row of ``ppkt_dev.jsonl``; with ``read_label``, an id the
    KG does not know is read by its name in ``present_labels`` / ``excluded_labels`` (lists
    in the order of the ids); ``as_written`` as in :func:`case_from_phenopacket` (the row's
    diagnosis and PMIDs are read, for a caller that uses them, as in any case).

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
    feature_onsets = row.get("feature_onsets")
    if feature_onsets is not None and not (
        isinstance(feature_onsets, Mapping)
        and all(isinstance(v, str | None) for v in feature_onsets.values())
    ):
        raise CaseFormatError(
            "'feature_onsets' must be an object of onsets (strings) by HPO id, got "
            f"{_shown(feature_onsets)}"
        )
    sex = _optional_string(row, "sex")
    age = _optional_string(row, "age_last_encounter")
    resolve = _TermResolver(hierarchy, as_written=as_written, read_label=read_label)
    present = resolve.pairs(present_ids, _labels(row, "present_labels"))
    counted = {iri for _, iri in present}
    excluded = _not_also_present(
        resolve.pairs(excluded_ids, _labels(row, "excluded_labels")), counted, resolve.warnings
    )
    # "HP:0003593|Infantile onset" or "P2Y"; the first one that reads, as a phenopacket's,
    # past a bare "Onset" (the root class, which says nothing) when a narrower one follows
    read = (resolve.onset(str(v).split("|", 1)[0]) for v in onset_values or [] if v)
    onsets = [o for o in read if o is not None]
    onset = next((o for o in onsets if not _is_onset_root(o)), onsets[0] if onsets else None)
    if onset is None and feature_onsets:
        onset = resolve.earliest_onset(
            _present_feature_onsets(feature_onsets, present_ids, resolve.warnings)
        )
    warnings = resolve.warnings
    sex = _sex(sex, "sex", warnings)
    years = _stated_age(age, "age_last_encounter", warnings)
    return Case(
        id=str(row.get("id", "")),
        present=tuple(term if as_written else iri for term, iri in present),
        excluded=tuple(term if as_written else iri for term, iri in excluded),
        sex=sex,
        age_years=_plausible_age(years, "age_last_encounter", warnings),
        onset=onset,
        diseases=_disease_iris(disease_ids, warnings),
        pmids=_pmid_iris(pmids),
        warnings=tuple(warnings),
    )


def _is_onset_root(onset: str) -> bool:
    """Whether an onset read from a case is *Onset* itself (``HP:0003674``, as an IRI or as
    written), the root class that any onset agrees with."""
    try:
        return to_iri(onset) == ONSET_ROOT
    except ValueError:
        return False


def _present_feature_onsets(
    feature_onsets: Mapping[str, str | None], present_ids: Sequence[str], warnings: list[str]
) -> list[tuple[str, str]]:
    """The ``(feature id, onset id or age)`` of a row's ``feature_onsets`` whose feature is a
    present finding of the row (as written); the others (an excluded finding, a term the row
    does not list) are named in ``warnings``: the onset of a feature the patient lacks is not
    the patient's."""
    present = {t.strip() for t in present_ids}
    kept: list[tuple[str, str]] = []
    for term, value in feature_onsets.items():
        if not value:
            continue
        if term.strip() in present:
            kept.append((term, value.split("|", 1)[0]))
        else:
            warnings.append(
                f"feature_onsets names {term}, which is not a present finding of the case; "
                "its onset is not read"
            )
    return kept


def _labels(row: Mapping[str, Any], key: str) -> list[str | None] | None:
    """The names beside a row's ids (``present_labels``): a list whose strings are read,
    anything else (absent, another type) not."""
    value = row.get(key)
    if not isinstance(value, list):
        return None
    return [v if isinstance(v, str) else None for v in value]


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


def _case_from_any(
    row: Any, hierarchy: TermHierarchy | None, read_label: LabelReader | None = None
) -> Case:
    if not isinstance(row, Mapping):
        raise CaseFormatError(f"a case must be a JSON object, got {_kind(row)}")
    if is_phenopacket(row):
        return case_from_phenopacket(row, hierarchy, read_label=read_label)
    if "present_hpo" in row:
        return case_from_dev_row(row, hierarchy, read_label=read_label)
    if "text" in row:
        return case_from_vignette(row)
    raise CaseFormatError(
        "unknown case format: expected a phenopacket (phenotypicFeatures, subject or "
        "metaData), a ppkt_dev row (present_hpo) or a vignette row (text)"
    )


def case_files(folder: Path) -> list[Path]:
    """The case files of a folder: its ``*.json`` files, in subfolders too, sorted (a
    subfolder named ``*.json`` is a folder to look in, not a case)."""
    return sorted(path for path in Path(folder).rglob("*.json") if path.is_file())


def cases_sha256(path: Path) -> str:
    """sha256 of a cases file's bytes; of a folder, of the relative name and sha256 of each
    of its :func:`case_files`, in order (names and contents, not times or the folder's
    path)."""
    path = Path(path)
    if not path.is_dir():
        return sha256_file(path)
    digest = hashlib.sha256()
    for file in case_files(path):
        digest.update(f"{file.relative_to(path).as_posix()}\0{sha256_file(file)}\n".encode())
    return digest.hexdigest()


def _first_line(path: Path) -> tuple[bytes, bool] | None:
    """The first non-blank line of a file (a UTF-8 byte order mark dropped), and whether it
    is whole (else only its first :data:`kg.bounded_read.MAX_LINE_BYTES` and one more
    bytes: it is not read into memory whole), or None."""
    with path.open("rb") as fh:
        for n, item in enumerate(bounded_lines(fh), start=1):
            whole = not isinstance(item, LineTooLongError)
            raw = item.head if isinstance(item, LineTooLongError) else item
            if n == 1 and raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8) :]
            if raw.strip():
                return raw, whole
    return None


def _lines_after(path: Path, loads: Callable[[bytes], Any], lines: int = 5) -> bool:
    """Whether one of the few non-blank lines after the first is a JSON value alone: the
    file is JSON Lines whose first line is broken, not one document."""
    with path.open("rb") as fh:
        seen = 0
        for item in bounded_lines(fh):
            if isinstance(item, LineTooLongError) or not item.strip():
                continue
            seen += 1
            if seen > lines + 1:
                return False
            if seen > 1 and _loads_alone(item, loads):
                return True
    return False


def json_values(
    path: Path, loads: Callable[[bytes], Any]
) -> Iterator[tuple[int | None, int | None, Any]]:
    """The JSON values of a case file, ``(line, item, value)``, read as ``kgfuse diagnose``
    and ``kgfuse eval diagnosis`` both read them:

    * one JSON document (``line`` None) when the file is named ``.json`` or its first
      non-blank line opens a list, or an object it does not close (a pretty-printed
      phenopacket); a list's items are each a value (``item`` from 1);
    * else, or when such a document is not JSON but its first line is (a ``.json`` file
      that holds JSON lines) or the file is not named ``.json``, one value per non-blank
      line.

    ``value`` is the ``ValueError`` of ``loads`` (bytes -> value) where a line, or the
    document, is not JSON, or too long to read (a line over
    :data:`kg.bounded_read.MAX_LINE_BYTES`, a document over
    :data:`kg.bounded_read.MAX_DOCUMENT_BYTES`, neither read into memory). A UTF-8 byte
    order mark is dropped.
    """
    found = _first_line(path)
    if found is None:
        return
    first, whole = found
    # (a first line too long to read whole is no pretty-printed document's "{")
    opens = first.lstrip().startswith(b"[") or (
        first.lstrip().startswith(b"{") and whole and not _loads_alone(first, loads)
    )
    if path.suffix.lower() == ".json" or opens:
        try:
            raw = read_document(path)
        except ValueError as err:  # too large: one error where it is one document, else
            # (a .json file of JSON lines, or JSON lines whose first is broken) read line by
            # line below
            if opens and (path.suffix.lower() == ".json" or not _lines_after(path, loads)):
                yield None, None, err
                return
        else:
            if raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8) :]
            try:
                document = loads(raw)
            except ValueError as err:
                if path.suffix.lower() == ".json" and opens:
                    yield None, None, err
                    return
            else:
                yield from _items(None, document)
                return
    for n, value in json_lines(path, loads):
        yield n, None, value


def json_lines(path: Path, loads: Callable[[bytes], Any]) -> Iterator[tuple[int, Any]]:
    """``(line, value)`` of each non-blank line of a JSON Lines file, ``value`` the
    ``ValueError`` of ``loads`` where the line is not JSON; a UTF-8 byte-order mark is
    dropped, and a UTF-16 or UTF-32 file is one error on line 1 (its lines are not split at
    its newlines); a line over :data:`kg.bounded_read.MAX_LINE_BYTES` is a
    :class:`kg.bounded_read.LineTooLongError` (not read into memory)."""
    with path.open("rb") as fh:
        for n, raw in enumerate(bounded_lines(fh), start=1):
            if isinstance(raw, LineTooLongError):
                wide = wide_encoding(raw.head) if n == 1 else None
                if wide is not None:
                    yield 1, ValueError(wide)
                    return
                yield n, raw
                continue
            if n == 1:
                wide = wide_encoding(raw)
                if wide is not None:
                    yield 1, ValueError(wide)
                    return
                raw = raw.removeprefix(codecs.BOM_UTF8)
            if not raw.strip():
                continue
            try:
                yield n, loads(raw)
            except ValueError as err:
                yield n, err


def _loads_alone(line: bytes, loads: Callable[[bytes], Any]) -> bool:
    """Whether a line is JSON on its own."""
    try:
        loads(line)
    except ValueError:
        return False
    return True


def _items(line: int | None, value: Any) -> Iterator[tuple[int | None, int | None, Any]]:
    """A list's items, each with its number; any other value alone."""
    if isinstance(value, list):
        for i, item in enumerate(value, start=1):
            yield line, i, item
    else:
        yield line, None, value


def _loads(raw: bytes) -> Any:
    """A JSON value of UTF-8 bytes (``UnicodeDecodeError`` and ``JSONDecodeError`` are
    ``ValueError``)."""
    return json.loads(raw.decode("utf-8"))


def _where(path: Path, line: int | None, item: int | None) -> str:
    """A value's place in a case file, for messages: ``cases.jsonl:3``, ``all.json: item 2``."""
    at = f"{path}:{line}" if line is not None else str(path)
    return at if item is None else f"{at}: item {item}"


def iter_cases(
    path: Path, hierarchy: TermHierarchy | None = None, *, read_label: LabelReader | None = None
) -> Iterator[Case]:
    """Cases of a file or folder, one at a time (see :func:`read_cases`)."""
    path = Path(path)
    first_at: dict[str, str] = {}  # case id -> where the first case of that id is
    for file in case_files(path) if path.is_dir() else [path]:
        for line, item, value in json_values(file, _loads):
            where = _where(file, line, item)
            if isinstance(value, UnicodeDecodeError):
                of = "the file" if line is None else "the line"
                raise CaseFormatError(f"{where}: {_not_utf8(value, of)}") from None
            if isinstance(value, ValueError):
                raise CaseFormatError(f"{where}: not valid JSON ({value})") from None
            try:
                case = _case_from_any(value, hierarchy, read_label)
            except CaseFormatError as err:
                raise CaseFormatError(f"{where}: {err}") from None
            yield _noted_repeat(case, _where(Path(file.name), line, item), first_at)


def _noted_repeat(case: Case, where: str, first_at: dict[str, str]) -> Case:
    """``case``, with a warning naming its id when an earlier case of the same read has it
    (``first_at``: id -> where the first such case is, updated); a case without an id is
    named by its place (``cases.jsonl:3``), so that reports and per-case flags tell such
    cases apart."""
    if not case.id:
        return replace(case, id=where)
    if case.id not in first_at:
        first_at[case.id] = where
        return case
    note = f"case id {case.id!r} is also the id of an earlier case ({first_at[case.id]})"
    return replace(case, warnings=(*case.warnings, note))


def read_cases(
    path: Path, hierarchy: TermHierarchy | None = None, *, read_label: LabelReader | None = None
) -> list[Case]:
    """Read cases from a JSON file (a phenopacket, or a list of cases), a folder of them
    (``*.json``, sorted), or a JSON-lines file (:func:`json_values`).

    Each case may be a phenopacket, a ``ppkt_dev`` row or a vignette row (detected per
    case). Warnings about ids are kept on each case and summarised in the log; a case whose
    id an earlier case has is read, and warned about. No record is skipped.

    Args:
        path: the file or folder.
        hierarchy: resolves and checks term ids (default: ids are only turned into IRIs).
        read_label: with ``hierarchy``, reads an id the KG does not know by the name written
            beside it (:data:`LabelReader`; default: such an id is skipped).

    Raises:
        CaseFormatError: a document is not UTF-8, not JSON or not a case, or a field of a
            case has the wrong type (names file, line and field). A bad line stops the
            reading: no case is skipped silently. A UTF-8 byte order mark is accepted.
    """
    cases = list(iter_cases(Path(path), hierarchy, read_label=read_label))
    skipped = sum(1 for c in cases for w in c.warnings if w.endswith("skipped"))
    if skipped:
        logger.warning(
            "%s: %d ids or values skipped over %d of %d cases (unknown or obsolete ids, "
            "malformed ages ...: see each case's warnings)",
            path,
            skipped,
            sum(1 for c in cases if c.warnings),
            len(cases),
        )
    return cases
