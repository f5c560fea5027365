"""HPO onset classes: their age ranges, and the class of an age.

The onset of a disease is annotated with a subclass of *Onset* (``HP:0003674``) in
``phenotype.hpoa`` (aspect C); a patient's onset comes as such a class or as an age.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kg.namespaces import OBO

if TYPE_CHECKING:
    from kg.hierarchy import TermHierarchy

#: The root of the onset classes.
ONSET_ROOT = OBO + "HP_0003674"
CONGENITAL_ONSET = OBO + "HP_0003577"
#: Onset before birth (a gestational age of onset reads as this class).
ANTENATAL_ONSET = OBO + "HP_0030674"

#: HPO onset classes -> (earliest, latest) age in years (None: open-ended).
ONSET_YEARS: dict[str, tuple[float, float | None]] = {
    OBO + "HP_0011460": (0.0, 0.0),  # Embryonal onset
    OBO + "HP_0011461": (0.0, 0.0),  # Fetal onset
    OBO + "HP_0034199": (0.0, 0.0),  # Late first trimester onset
    OBO + "HP_0034198": (0.0, 0.0),  # Second trimester onset
    OBO + "HP_0034197": (0.0, 0.0),  # Third trimester onset
    ANTENATAL_ONSET: (0.0, 0.0),
    CONGENITAL_ONSET: (0.0, 0.0),  # Congenital onset
    OBO + "HP_0003623": (0.0, 28 / 365.25),  # Neonatal onset
    OBO + "HP_0410280": (0.0, 16.0),  # Pediatric onset
    OBO + "HP_0003593": (28 / 365.25, 1.0),  # Infantile onset
    OBO + "HP_0011463": (1.0, 5.0),  # Childhood onset
    OBO + "HP_0003621": (5.0, 16.0),  # Juvenile onset
    OBO + "HP_0003581": (16.0, None),  # Adult onset
    OBO + "HP_0011462": (16.0, 40.0),  # Young adult onset
    OBO + "HP_0025708": (16.0, 19.0),  # Early young adult onset
    OBO + "HP_0025709": (19.0, 25.0),  # Intermediate young adult onset
    OBO + "HP_0025710": (25.0, 40.0),  # Late young adult onset
    OBO + "HP_0003596": (40.0, 60.0),  # Middle age onset
    OBO + "HP_0003584": (60.0, None),  # Late onset
}

#: The classes an age falls in, from birth on, in order. Each range of :data:`ONSET_YEARS`
#: holds its lower bound and not its upper one (a birthday starts the next class: 16.0 is
#: adult onset, "16 years or later"); an age of 0 is congenital onset.
_BY_AGE = tuple(
    OBO + curie
    for curie in (
        "HP_0003623",  # Neonatal
        "HP_0003593",  # Infantile
        "HP_0011463",  # Childhood
        "HP_0003621",  # Juvenile
        "HP_0011462",  # Young adult
        "HP_0003596",  # Middle age
        "HP_0003584",  # Late: open-ended
    )
)


def is_onset_class(hierarchy: TermHierarchy, iri: str) -> bool:
    """Whether a term of ``hierarchy`` is *Onset* or one of its subclasses."""
    return ONSET_ROOT in hierarchy.ancestors(iri)


def not_an_onset_class(term: str) -> str:
    """The one wording of "this term is not an onset class" (errors and warnings)."""
    return f"onset {term} is not an onset class (a subclass of Onset, HP:0003674)"


def related_onsets(hierarchy: TermHierarchy, iri: str) -> set[str]:
    """The onset classes an onset class agrees with: itself, its broader and its narrower
    classes (pediatric onset agrees with infantile onset; adult onset with neither)."""
    return {*hierarchy.ancestors(iri), *hierarchy.descendants(iri)}


def onset_class_of_age(years: float) -> str:
    """The HPO onset class of an age of onset in years (0: *Congenital onset*); a birthday
    starts the next class (1.0: childhood onset, 16.0: young adult onset).

    Raises:
        ValueError: a negative or non-finite age.
    """
    if not 0.0 <= years < float("inf"):
        raise ValueError(f"an age of onset must be a number of years >= 0, got {years!r}")
    if years == 0.0:
        return CONGENITAL_ONSET
    for onset in _BY_AGE:
        upper = ONSET_YEARS[onset][1]
        if upper is None or years < upper:
            return onset
    raise AssertionError("the last class of _BY_AGE is open-ended")  # pragma: no cover
