"""Where a replayed decision finds its model, KG and home (``kgfuse audit verify``).

A record keeps the folders it was made with; ``--model``, ``--kg`` and ``--home`` may stand
in for them when they hold the same model files or the same KG fingerprint.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kg.knowledge_graph import KnowledgeGraph
from kg.remote import kg_location
from kgfuse.model_files import model_files_fingerprint, model_fingerprint_of

__all__ = [
    "recorded_config",
    "recorded_location",
    "replay_home",
    "replay_kg",
    "replay_model_dir",
]


def recorded_location(location: Path | str) -> str:
    """A folder as an audit record keeps it (absolute, so that a replay from another folder
    finds it); an endpoint URL as it is."""
    return str(location.absolute()) if isinstance(location, Path) else location


def recorded_config(record: Mapping[str, Any]) -> Mapping[str, Any]:
    """The configuration a decision was recorded with (its KG, model and settings).

    Raises:
        ValueError: the record holds none, so the decision cannot be re-run.
    """
    config = record.get("config")
    if not isinstance(config, Mapping):
        raise ValueError(
            f"record {record.get('id')} holds no configuration (no KG, model or settings): "
            "the decision cannot be re-run"
        )
    return config


def _overrides(record: Mapping[str, Any]) -> Mapping[str, Any]:
    """What ``kgfuse audit verify`` gives in place of the recorded model, KG and home."""
    return record.get("overrides") or {}


def replay_home(record: Mapping[str, Any]) -> Path | None:
    """The kgfuse home a replay uses: ``--home`` of ``audit verify``, else the recorded one,
    else (None) ``$KGFUSE_HOME`` or ``~/.kgfuse``."""
    home = _overrides(record).get("home") or (record.get("config") or {}).get("home")
    return Path(home) if home else None


def replay_kg(record: Mapping[str, Any], home: Path | None = None) -> Path | str:
    """The KG a replay opens: the override when its fingerprint is the record's, else the
    recorded one.

    Raises:
        ValueError: the override is another KG; the record names no KG (and no override is
            given); the recorded KG folder no longer exists.
        KGNotFoundError: nothing is built at the override.
    """
    recorded_fp = record.get("kg_fingerprint")
    given = _overrides(record).get("kg")
    if given:
        location = kg_location(given)
        found = KnowledgeGraph.open(location, home=home).fingerprint
        if recorded_fp and found != recorded_fp:
            raise ValueError(
                f"--kg {given} is not the KG of decision {record.get('id')}: its fingerprint "
                f"is {found}, the record's {recorded_fp}"
            )
        return location
    recorded = (record.get("config") or {}).get("kg")
    if not recorded:
        hint = f"; give --kg DIR (a KG with fingerprint {recorded_fp})" if recorded_fp else ""
        raise ValueError(
            f"record {record.get('id')} holds no KG in its configuration: the decision "
            f"cannot be re-run{hint}"
        )
    location = kg_location(recorded)
    if isinstance(location, Path) and not location.exists():
        raise ValueError(
            f"the recorded KG folder {location} no longer exists; give --kg DIR (a KG with "
            f"fingerprint {recorded_fp}) to re-run decision {record.get('id')}"
        )
    return location


def replay_model_dir(record: Mapping[str, Any], *, used: bool = True) -> Path | None:
    """The model folder a replay loads: the override (``--model``) when it is the recorded
    model (the same files when the record holds their content fingerprint, else the same
    :func:`model_fingerprint_of`), else the recorded folder, which must still exist when the
    decision ``used`` a model; None when the record names none (an ``ask`` recorded before
    kgfuse kept it: the replay then uses the home's model, as it did).

    Raises:
        ValueError: the override is another model, or is given for a decision that used no
            model; the recorded model folder no longer exists.
        FileNotFoundError: no model at the override.
    """
    from kgfuse.audit import model_file_changes

    rid = record.get("id")
    metadata = (record.get("explanation") or {}).get("metadata") or {}
    recorded_files = metadata.get("model_files")
    given = _overrides(record).get("model_dir")
    if given:
        folder = Path(given)
        if not used:
            raise ValueError(f"decision {rid} used no model: --model does not apply to it")
        if recorded_files:
            changes = model_file_changes(recorded_files, model_files_fingerprint(folder))
            if changes:
                shown = "; ".join(changes[:5]) + (
                    f"; {len(changes) - 5} more" if changes[5:] else ""
                )
                raise ValueError(
                    f"--model {folder} is not the model of decision {rid} (its files differ "
                    f"from the recorded ones: {shown})"
                )
        else:
            from fusion.model_meta import load_model_meta

            found = model_fingerprint_of(load_model_meta(folder))
            if found != record.get("model_fingerprint"):
                raise ValueError(
                    f"--model {folder} is not the model of decision {rid}: its fingerprint "
                    f"is {found}, the record's {record.get('model_fingerprint')}"
                )
        return folder
    recorded = (record.get("config") or {}).get("model_dir")
    if not recorded:
        return None
    folder = Path(recorded)
    if used and not folder.is_dir():
        raise ValueError(
            f"the recorded model folder {folder} no longer exists; give --model DIR with the "
            f"same model files to re-run decision {rid}"
        )
    return folder
