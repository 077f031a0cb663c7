"""Standards in and out, library face: a stored trial as MatchMiner CTML (`export`), and any
patient file trialmatch reads shown as the patient.json v1 profiles it understood (`convert`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trialmatch.errors import UsageError
from trialmatch.ingest.ctml_export import Export, export_trial
from trialmatch.ontology import Ontology


def export_ctml(trial_id: str, db: str | Path | None = None) -> Export:
    """The CTML document of a stored trial, and what CTML could not say (warnings)."""
    from trialmatch.app.catalog import open_catalog, stored_trials

    store, ont = open_catalog(db, read_only=True)
    try:
        found = stored_trials(store, [trial_id])
    finally:
        store.close()
    if trial_id not in found:
        raise UsageError(f"{trial_id}: no such trial in the catalogue (load it first)")
    return export_trial(found[trial_id], ont)


@dataclass
class Conversion:
    """The patient.json v1 profiles a file holds, as its reader understood them."""

    profiles: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # rejected records


def convert_patients(path: str | Path, ontology: Ontology | None = None) -> Conversion:
    """Read a patient file in any supported form (patient.json, JSONL, a FHIR R4 Bundle, a
    GA4GH Phenopacket) and return the v1 profiles, validated, with the readers' warnings and
    the normaliser's (unknown genes or drugs). File-level errors raise InputError."""
    from trialmatch.ontology import default_ontology
    from trialmatch.patients.normalize import Normalizer
    from trialmatch.patients.read import iter_records
    from trialmatch.patients.validate import validate

    norm = Normalizer(ontology or default_ontology())
    out = Conversion()
    for rec in iter_records(Path(path)):
        out.warnings.extend(f"{rec.where}: {w}" for w in rec.warnings)
        if rec.error:
            out.problems.append(f"{rec.where}: {rec.error}")
            continue
        model, problems = validate(rec.data, rec.prefix)
        if model is None:
            out.problems.extend(f"{rec.where}: {p}" for p in problems)
            continue
        facts, warnings, errors = norm.facts(model, rec.prefix)
        out.warnings.extend(f"{rec.where}: {w}" for w in warnings)
        if facts is None:
            out.problems.extend(f"{rec.where}: {e}" for e in errors)
            continue
        out.profiles.append(rec.data)
    return out
